// user/include/sys/stat.h: struct stat, fstat(fd, &st) and mkdir(path)
// (syscall/hw_abi.h). st.type is T_FILE, T_DIR, T_DEV or T_PIPE.
#pragma once
#include <hw_abi.h>

// stat() by path: open, fstat, close.
int stat(const char *path, struct stat *st);
