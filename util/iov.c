/* QEMUIOVector: a growable iovec array plus its total size. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "qemu/iov.h"

void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint)
{
    memset(qiov, 0, sizeof(*qiov));
    qiov->nalloc = MAX(alloc_hint, 1);
    qiov->iov = g_new(struct iovec, qiov->nalloc);
}

void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len)
{
    memset(qiov, 0, sizeof(*qiov));
    qiov->local_iov.iov_base = buf;
    qiov->local_iov.iov_len = len;
    qiov->iov = &qiov->local_iov;
    qiov->niov = 1;
    qiov->nalloc = -1;
    qiov->size = len;
}

void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len)
{
    assert(qiov->nalloc != -1);
    if (qiov->niov == qiov->nalloc) {
        qiov->nalloc = 2 * qiov->nalloc + 1;
        qiov->iov = g_renew(struct iovec, qiov->iov, qiov->nalloc);
    }
    qiov->iov[qiov->niov].iov_base = base;
    qiov->iov[qiov->niov].iov_len = len;
    qiov->niov++;
    qiov->size += len;
}

void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src, size_t soffset, size_t sbytes)
{
    for (int i = 0; i < src->niov && sbytes; i++) {
        size_t len = src->iov[i].iov_len;
        if (soffset >= len) {
            soffset -= len;
            continue;
        }
        len = MIN(len - soffset, sbytes);
        qemu_iovec_add(dst, (char *)src->iov[i].iov_base + soffset, len);
        sbytes -= len;
        soffset = 0;
    }
    assert(sbytes == 0);
}

void qemu_iovec_init_slice(QEMUIOVector *qiov, QEMUIOVector *source, size_t offset,
                           size_t len)
{
    assert(offset + len <= source->size);
    qemu_iovec_init(qiov, source->niov);
    qemu_iovec_concat(qiov, source, offset, len);
}

void qemu_iovec_reset(QEMUIOVector *qiov)
{
    assert(qiov->nalloc != -1);
    qiov->niov = 0;
    qiov->size = 0;
}

void qemu_iovec_destroy(QEMUIOVector *qiov)
{
    if (qiov->nalloc != -1) {
        g_free(qiov->iov);
    }
    memset(qiov, 0, sizeof(*qiov));
}

/* Calls fn on each piece of [offset, offset+bytes) in order; returns the
 * number of bytes covered (less than asked if the vector is shorter). */
typedef void IovPieceFunc(void *base, size_t len, size_t done, void *opaque);

static size_t iov_for_each(QEMUIOVector *qiov, size_t offset, size_t bytes,
                           IovPieceFunc *fn, void *opaque)
{
    size_t done = 0;

    for (int i = 0; i < qiov->niov && done < bytes; i++) {
        size_t len = qiov->iov[i].iov_len;
        if (offset >= len) {
            offset -= len;
            continue;
        }
        len = MIN(len - offset, bytes - done);
        fn((char *)qiov->iov[i].iov_base + offset, len, done, opaque);
        done += len;
        offset = 0;
    }
    return done;
}

static void piece_to_buf(void *base, size_t len, size_t done, void *opaque)
{
    memcpy((char *)opaque + done, base, len);
}

size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset, void *buf, size_t bytes)
{
    return iov_for_each(qiov, offset, bytes, piece_to_buf, buf);
}

static void piece_from_buf(void *base, size_t len, size_t done, void *opaque)
{
    memcpy(base, (const char *)opaque + done, len);
}

size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset, const void *buf,
                           size_t bytes)
{
    return iov_for_each(qiov, offset, bytes, piece_from_buf, (void *)buf);
}

static void piece_memset(void *base, size_t len, size_t done, void *opaque)
{
    memset(base, *(int *)opaque, len);
}

size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int fillc, size_t bytes)
{
    return iov_for_each(qiov, offset, bytes, piece_memset, &fillc);
}

static bool buffer_is_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    /* Word-at-a-time after the head; whole clusters are checked in convert. */
    while (len && ((uintptr_t)p & (sizeof(uint64_t) - 1))) {
        if (*p++) {
            return false;
        }
        len--;
    }
    for (; len >= 4 * sizeof(uint64_t); len -= 4 * sizeof(uint64_t)) {
        const uint64_t *w = (const uint64_t *)p;
        if (w[0] | w[1] | w[2] | w[3]) {
            return false;
        }
        p += 4 * sizeof(uint64_t);
    }
    while (len--) {
        if (*p++) {
            return false;
        }
    }
    return true;
}

static void piece_is_zero(void *base, size_t len, size_t done, void *opaque)
{
    bool *zero = opaque;
    if (*zero && !buffer_is_zero(base, len)) {
        *zero = false;
    }
}

bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes)
{
    bool zero = true;
    size_t covered = iov_for_each(qiov, offset, bytes, piece_is_zero, &zero);
    assert(covered == bytes);
    return zero;
}
