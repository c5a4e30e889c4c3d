// ipc/pipe.h: pipes for the hw kernel: a bounded byte buffer between one
// or more writers and one or more readers (ipc/pipe.c). The file layer
// (proc_hw/file.c) counts the duplicates of each end; the pipe only knows
// whether any reader end and any writer end is still open.
#pragma once
#include <stddef.h>
#include <stdbool.h>

#define PIPE_SIZE 4096                 // bytes buffered before a writer blocks

struct pipe;
struct pipe *pipe_alloc(void);         // one reader and one writer end open; NULL if out of memory
// Blocks while the pipe is empty and a writer is left. Bytes read (at most
// n, as many as are buffered), 0 at end of file (empty, no writer left),
// or -EINTR if the process was killed while waiting.
long pipe_read(struct pipe *p, void *buf, size_t n);
// Blocks while the pipe is full, until all n bytes are in. n, or fewer if
// the last reader left (-EPIPE) or the process was killed (-EINTR) part
// way; the error itself when nothing was written.
long pipe_write(struct pipe *p, const void *buf, size_t n);
// Closes one end (the last file referring to it); wakes the other side.
// The pipe is freed when both ends are closed.
void pipe_close(struct pipe *p, bool writer_end);
size_t pipe_bytes(struct pipe *p);     // bytes buffered now (fstat)
