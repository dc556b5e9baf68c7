/* null (discards output, no input) and ringbuf (keeps output in memory: tests). */
#include "char-internal.h"

static int chr_null_write(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

const ChardevClass char_null_class = {
    .name = "null", .help = "discards output, no input",
    .write = chr_null_write,
};

static bool chr_ringbuf_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    chr->state = g_string_new(NULL);
    return true;
}

static int chr_ringbuf_write(Chardev *chr, const uint8_t *buf, int len)
{
    g_string_append_len(chr->state, (const char *)buf, len);
    return len;
}

static void chr_ringbuf_close(Chardev *chr)
{
    g_string_free(chr->state, true);
}

const ChardevClass char_ringbuf_class = {
    .name = "ringbuf", .help = "keeps output in memory (tests)",
    .open = chr_ringbuf_open, .write = chr_ringbuf_write, .close = chr_ringbuf_close,
};
