// proc_sip/services.h: what the sip kernel itself serves over channels: the
// name directory (sip_ns_register / sip_ns_connect), the file service "fs"
// over the shared ramfs, and the console's input as a Stream. The ABI
// functions (proc_sip/sip_abi.c) and the boot (proc_sip/variant.c) use these.
#pragma once
#include "ipc/chan.h"

// ---- The name directory (proc_sip/nsdir.c) ----
#define NSDIR_NAME_MAX 32        // bytes of a name, with its NUL
// Registers dir_end (a Connect:dir endpoint) under name; takes it on success.
// 0, -EEXIST (a live service has the name), -EINVAL (bad name or endpoint).
int nsdir_register(const char *name, struct endpoint *dir_end);
// Sends client to the service registered as name inside a Connect message;
// takes it on success. 0, -ENOENT (no live service of that name), -EINTR.
int nsdir_connect(const char *name, struct endpoint *client);

// ---- The file service (proc_sip/fileserv.c) ----
// Starts the kernel thread that serves FileService connections and registers
// it as "fs". Call once at boot, after contracts_load().
void fileserv_start(void);

// ---- The console as a Stream (proc_sip/consserv.c) ----
// Starts a kernel thread that sends cooked console lines as Stream.Data on a
// new channel and returns its reader end (to become a SIP's stdin), or NULL.
struct endpoint *consserv_start(void);
