// TEMPORARY: weak -ENOSYS stand-ins for every hw syscall handler while the
// real ones are written; deleted at integration. Not an implementation.
#include "hw_sysprotos.h"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define W __attribute__((weak))
W long sys_fork(void) { return -ENOSYS; }
W long sys_exit(int status) { return -ENOSYS; }
W long sys_wait(uaddr_t status) { return -ENOSYS; }
W long sys_exec(uaddr_t path, uaddr_t argv) { return -ENOSYS; }
W long sys_kill(int pid) { return -ENOSYS; }
W long sys_getpid(void) { return -ENOSYS; }
W long sys_getppid(void) { return -ENOSYS; }
W long sys_sbrk(long delta) { return -ENOSYS; }
W long sys_sleep_ms(long ms) { return -ENOSYS; }
W long sys_uptime(void) { return -ENOSYS; }
W long sys_yield(void) { return -ENOSYS; }
W long sys_thread_create(uaddr_t fn, uaddr_t arg, uaddr_t stack_top) { return -ENOSYS; }
W long sys_thread_join(int tid, uaddr_t status) { return -ENOSYS; }
W long sys_thread_exit(int status) { return -ENOSYS; }
W long sys_futex_wait(uaddr_t addr, int expected, long timeout_ms) { return -ENOSYS; }
W long sys_futex_wake(uaddr_t addr, int count) { return -ENOSYS; }
W long sys_gettid(void) { return -ENOSYS; }
W long sys_open(uaddr_t path, int flags) { return -ENOSYS; }
W long sys_read(int fd, uaddr_t buf, size_t n) { return -ENOSYS; }
W long sys_write(int fd, uaddr_t buf, size_t n) { return -ENOSYS; }
W long sys_close(int fd) { return -ENOSYS; }
W long sys_lseek(int fd, long offset, int whence) { return -ENOSYS; }
W long sys_fstat(int fd, uaddr_t st) { return -ENOSYS; }
W long sys_mkdir(uaddr_t path) { return -ENOSYS; }
W long sys_unlink(uaddr_t path) { return -ENOSYS; }
W long sys_readdir(int fd, uaddr_t dirent) { return -ENOSYS; }
W long sys_chdir(uaddr_t path) { return -ENOSYS; }
W long sys_getcwd(uaddr_t buf, size_t n) { return -ENOSYS; }
W long sys_dup(int fd) { return -ENOSYS; }
W long sys_dup2(int oldfd, int newfd) { return -ENOSYS; }
W long sys_pipe(uaddr_t fds) { return -ENOSYS; }
W long sys_procs(uaddr_t buf, int max) { return -ENOSYS; }
W long sys_sysinfo(uaddr_t info) { return -ENOSYS; }
W long sys_poweroff(int status) { return -ENOSYS; }
W long sys_nullcall(void) { return -ENOSYS; }
W void variant_thread_switch(struct thread *next) { (void)next; }
