/*
 * Character backends for -serial: stdio, file (file:PATH), null, and ringbuf (an
 * in-memory sink for tests).  One frontend (a UART) per backend.
 *
 * The frontend says how much it can take (can_read) and gets bytes
 * (read); when it was full and has room again it calls
 * qemu_chr_fe_accept_input so the backend resumes reading.
 */
#ifndef HW_CHAR_CHARDEV_H
#define HW_CHAR_CHARDEV_H

#include <stdint.h>
#include <stdio.h>

#include "qapi/error.h"
#include "qemu/option.h"

typedef struct Chardev Chardev;
typedef int IOCanReadHandler(void *opaque);
typedef void IOReadHandler(void *opaque, const uint8_t *buf, int size);

/*
 * @spec as -serial takes it: QEMU's "file:PATH", or BACKEND[,KEY=VALUE...]
 * ("file,path=out.txt,append=on"); "none" is the caller's business.
 */
Chardev *qemu_chr_new(const char *label, const char *spec, Error **errp);
/* @spec checked as qemu_chr_new would, opening nothing; "help",
 * "file,help", "file,append=help" print to @out and set *help. */
bool qemu_chr_check_spec(const char *spec, FILE *out, bool *help, Error **errp);
/* Restores the terminal (stdio) and closes files. */
void qemu_chr_delete(Chardev *chr);
/* Lists the backend names (for "-serial help"). */
void qemu_chr_print_backends(FILE *out);

/* Frontend side */
void qemu_chr_fe_set_handlers(Chardev *chr, IOCanReadHandler *can_read,
                              IOReadHandler *read, void *opaque);
/* Writes everything (retrying short writes); returns len or -errno. */
int qemu_chr_fe_write_all(Chardev *chr, const uint8_t *buf, int len);
void qemu_chr_fe_accept_input(Chardev *chr);

/* Backend side: delivers input to the frontend (also used by tests). */
void qemu_chr_be_write(Chardev *chr, const uint8_t *buf, int len);
/* ringbuf: everything written so far (owned by the chardev). */
const char *qemu_chr_ringbuf_contents(Chardev *chr, size_t *len);

#endif
