/*
 * Linux native AIO for O_DIRECT files (block/linux-aio.c), used by
 * file-posix; the thread pool serves whatever this declines.
 */
#ifndef BLOCK_LINUX_AIO_H
#define BLOCK_LINUX_AIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block/aio.h"
#include "qemu/coroutine.h"

typedef struct LinuxAioState LinuxAioState;

/* NULL when the kernel has no native AIO. */
LinuxAioState *laio_init(AioContext *ctx);
void laio_cleanup(LinuxAioState *s);
/* Bytes transferred or -errno; -EAGAIN: not submitted, use the pool. */
int64_t coroutine_fn laio_co_submit(LinuxAioState *s, int fd, int64_t offset,
                                    struct iovec *iov, int niov, bool is_write);

#endif
