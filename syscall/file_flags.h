// syscall/file_flags.h: open()'s O_* flags and lseek's SEEK_* values. The hw
// ABI (hw_abi.h) and the sip file service (proc_sip/fileserv.c, which speaks
// them in FileService messages) share them, so the SIP C library passes a
// program's flags through unchanged.
#pragma once

// ---- open flags ----
#define O_RDONLY  0x000
#define O_WRONLY  0x001
#define O_RDWR    0x002
#define O_ACCMODE 0x003
#define O_CREAT   0x040
#define O_TRUNC   0x200
#define O_APPEND  0x400

// ---- lseek ----
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

