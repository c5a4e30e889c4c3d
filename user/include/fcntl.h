// user/include/fcntl.h: open() and its O_* flags (from syscall/hw_abi.h).
#pragma once
#include <hw_abi.h>
