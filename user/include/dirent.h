// user/include/dirent.h: struct dirent and readdir(fd, &dirent), a system
// call (syscall/hw_abi.h): 1 with an entry, 0 at the end, -errno on error.
// Open the directory with open(path, O_RDONLY) first.
#pragma once
#include <hw_abi.h>
