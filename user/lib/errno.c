// user/lib/errno.c: errno itself. The generated system-call stubs
// (hw_usys.c) set it on failure; one per process, shared by its threads.
int errno;
