/*
 * mux=on: several frontends on one backend (-serial mon:stdio: the serial
 * port and the monitor).  Input goes to the frontend with the focus, after
 * the escape character C-a, as under QEMU's -nographic:
 *   C-a c    next frontend (the monitor and back)
 *   C-a x    quit (an orderly shutdown: drives are closed)
 *   C-a h    help
 *   C-a C-a  a C-a for the frontend
 * Each frontend has a queue for input it had no room for, so an escape
 * still gets through while the guest does not read its UART.
 */
#include <string.h>

#include "char-internal.h"

#define MUX_ESCAPE_CHAR 0x01 /* C-a */
#define MUX_QUEUE_MAX 4096

static void mux_print(Chardev *chr, const char *text)
{
    if (chr->opened) {
        chr->cls->write(chr, (const uint8_t *)text, strlen(text));
    }
}

static void mux_deliver(Chardev *chr)
{
    CharFrontend *fe = &chr->fe[chr->focus];

    while (fe->in_use && fe->pending && fe->pending->len && fe->read) {
        int room = fe->can_read ? fe->can_read(fe->opaque) : 0;
        int n;

        if (room <= 0) {
            return;
        }
        n = MIN((guint)room, fe->pending->len);
        /* Taken off the queue first: the frontend may call back in. */
        g_autofree uint8_t *chunk = g_memdup2(fe->pending->data, n);
        g_byte_array_remove_range(fe->pending, 0, n);
        fe->read(fe->opaque, chunk, n);
    }
}

void mux_chr_flush_pending(Chardev *chr)
{
    mux_deliver(chr);
}

void mux_chr_set_focus(Chardev *chr, int focus)
{
    CharFrontend *old = &chr->fe[chr->focus];

    if (focus == chr->focus || focus < 0 || focus >= CHR_MAX_FRONTENDS ||
        !chr->fe[focus].in_use) {
        return;
    }
    if (old->in_use && old->event) {
        old->event(old->opaque, CHR_EVENT_MUX_OUT);
    }
    chr->focus = focus;
    if (chr->fe[focus].event) {
        chr->fe[focus].event(chr->fe[focus].opaque, CHR_EVENT_MUX_IN);
    }
    mux_deliver(chr);
}

static void mux_next_focus(Chardev *chr)
{
    for (int i = 1; i <= CHR_MAX_FRONTENDS; i++) {
        int next = (chr->focus + i) % CHR_MAX_FRONTENDS;

        if (chr->fe[next].in_use) {
            mux_chr_set_focus(chr, next);
            return;
        }
    }
}

static void mux_help(Chardev *chr)
{
    /* QEMU's text; "\n\r": the terminal's output processing adds the \r. */
    mux_print(chr, "\n\r"
                   "C-a h    print this help\n\r"
                   "C-a x    exit emulator\n\r"
                   "C-a s    save disk data back to file (if -snapshot)\n\r"
                   "C-a t    toggle console timestamps\n\r"
                   "C-a b    send break (magic sysrq)\n\r"
                   "C-a c    switch between console and monitor\n\r"
                   "C-a C-a  sends C-a\n\r");
}

static void mux_queue(Chardev *chr, uint8_t ch)
{
    CharFrontend *fe = &chr->fe[chr->focus];

    if (fe->in_use && fe->pending && fe->pending->len < MUX_QUEUE_MAX) {
        g_byte_array_append(fe->pending, &ch, 1);
    }
}

void mux_chr_input(Chardev *chr, const uint8_t *buf, int len)
{
    for (int i = 0; i < len; i++) {
        uint8_t ch = buf[i];

        if (!chr->mux_escape) {
            if (ch == MUX_ESCAPE_CHAR) {
                chr->mux_escape = true;
            } else {
                mux_queue(chr, ch);
            }
            continue;
        }
        chr->mux_escape = false;
        switch (ch) {
        case 'c':
            mux_deliver(chr);
            mux_next_focus(chr);
            break;
        case 'x':
            mux_print(chr, "duet: Terminated\n\r");
            mux_chr_quit();
            return;
        case 'h':
        case '?':
            mux_help(chr);
            break;
        case MUX_ESCAPE_CHAR:
            mux_queue(chr, ch);
            break;
        default:
            /* C-a s, t, b: nothing duet does (no -snapshot here, no break
             * line, no timestamps); anything else is dropped as in QEMU. */
            break;
        }
    }
    mux_deliver(chr);
}
