/*
 * i8042 keyboard controller, minimal (IBM PC/AT and PS/2 technical
 * references): the controller commands firmware and kernels use, a
 * keyboard that acknowledges commands but never sends a key, and port 0x92.
 */
#include <inttypes.h>

#include "hw/input/i8042.h"

#include "qemu/log.h"
#include "sysemu/runstate.h"
#include "trace/trace.h"

/* Status register (0x64 read) */
#define KBD_STAT_OBF      0x01
#define KBD_STAT_SELFTEST 0x04 /* system flag */
#define KBD_STAT_CMD      0x08 /* last write went to 0x64 */
#define KBD_STAT_UNLOCKED 0x10
/* Controller command byte */
#define KBD_MODE_KBD_INT      0x01
#define KBD_MODE_SYS          0x04
#define KBD_MODE_DISABLE_KBD  0x10
#define KBD_MODE_DISABLE_AUX  0x20
/* Output port */
#define KBD_OUT_RESET 0x01 /* active low: 0 holds the CPU in reset */
#define KBD_OUT_A20   0x02
/* Port 0x92 */
#define PORT92_RESET 0x01
#define PORT92_A20   0x02

#define KBD_QUEUE_SIZE 16

struct KBDState {
    uint8_t status;
    uint8_t mode;      /* command byte */
    uint8_t outport;
    uint8_t pending;   /* controller command waiting for its data byte */
    uint8_t queue[KBD_QUEUE_SIZE];
    unsigned queue_head, queue_count;
    uint8_t last_data;
    uint8_t port92;
    qemu_irq irq_kbd;
    qemu_irq a20_out;
    MemoryRegion data_io, cmd_io, port92_io;
    MemoryRegion *io_parent;
};

static void kbd_update_irq(KBDState *s)
{
    if (s->queue_count) {
        s->status |= KBD_STAT_OBF;
    } else {
        s->status &= ~KBD_STAT_OBF;
    }
    qemu_set_irq(s->irq_kbd, s->queue_count && (s->mode & KBD_MODE_KBD_INT));
}

static void kbd_queue(KBDState *s, uint8_t b)
{
    if (s->queue_count == KBD_QUEUE_SIZE) {
        return; /* the controller only ever has a few bytes for us */
    }
    s->queue[(s->queue_head + s->queue_count) % KBD_QUEUE_SIZE] = b;
    s->queue_count++;
    kbd_update_irq(s);
}

static void kbd_update_a20(KBDState *s)
{
    /* The two A20 controls are ORed (PS/2 "fast A20"). */
    qemu_set_irq(s->a20_out, (s->outport & KBD_OUT_A20) || (s->port92 & PORT92_A20));
}

static void kbd_write_outport(KBDState *s, uint8_t val)
{
    s->outport = val;
    kbd_update_a20(s);
    if (!(val & KBD_OUT_RESET)) {
        qemu_system_reset_request();
    }
}

/* Bytes written to 0x60 with no controller command pending go to the keyboard. */
static void kbd_write_keyboard(KBDState *s, uint8_t val)
{
    switch (val) {
    case 0xff: /* reset and self-test */
        kbd_queue(s, 0xfa);
        kbd_queue(s, 0xaa);
        break;
    case 0xf2: /* identify: MF2 keyboard */
        kbd_queue(s, 0xfa);
        kbd_queue(s, 0xab);
        kbd_queue(s, 0x83);
        break;
    case 0xee: /* echo */
        kbd_queue(s, 0xee);
        break;
    default: /* everything else (LEDs, rates, scan sets, enable...) is ACKed */
        kbd_queue(s, 0xfa);
        break;
    }
}

static void kbd_write_command(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    KBDState *s = opaque;
    uint8_t val = data;

    trace_event(kbd_write_command, "val=0x%02x", val);
    s->status |= KBD_STAT_CMD;
    switch (val) {
    case 0x20: /* read command byte */
        kbd_queue(s, s->mode);
        break;
    case 0x60: /* write command byte */
    case 0xd1: /* write output port */
    case 0xd2: /* write keyboard output buffer */
    case 0xd3: /* write aux output buffer */
    case 0xd4: /* write to aux device */
        s->pending = val;
        break;
    case 0xa7:
        s->mode |= KBD_MODE_DISABLE_AUX;
        break;
    case 0xa8:
        s->mode &= ~KBD_MODE_DISABLE_AUX;
        break;
    case 0xa9: /* aux interface test: no error */
    case 0xab: /* keyboard interface test: no error */
        kbd_queue(s, 0x00);
        break;
    case 0xaa: /* controller self-test passed */
        s->status |= KBD_STAT_SELFTEST;
        kbd_queue(s, 0x55);
        break;
    case 0xad:
        s->mode |= KBD_MODE_DISABLE_KBD;
        break;
    case 0xae:
        s->mode &= ~KBD_MODE_DISABLE_KBD;
        break;
    case 0xc0: /* read input port: keyboard not inhibited */
        kbd_queue(s, 0x80);
        break;
    case 0xd0: /* read output port */
        kbd_queue(s, s->outport);
        break;
    case 0xdd: /* disable A20 */
        s->outport &= ~KBD_OUT_A20;
        kbd_update_a20(s);
        break;
    case 0xdf: /* enable A20 */
        s->outport |= KBD_OUT_A20;
        kbd_update_a20(s);
        break;
    default:
        if (val >= 0xf0) {
            /* Pulse the output port bits that are 0 in the low nibble;
             * bit 0 is the CPU reset line (0xFE is the classic reboot). */
            if (!(val & 1)) {
                qemu_system_reset_request();
            }
            break;
        }
        qemu_log_mask(LOG_UNIMP, "i8042: unsupported controller command 0x%02x\n", val);
        break;
    }
}

static void kbd_write_data(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    KBDState *s = opaque;
    uint8_t val = data;
    uint8_t cmd = s->pending;

    trace_event(kbd_write_data, "val=0x%02x pending=0x%02x", val, cmd);
    s->status &= ~KBD_STAT_CMD;
    s->pending = 0;
    switch (cmd) {
    case 0x60:
        s->mode = val;
        s->status = (s->status & ~KBD_STAT_SELFTEST) | (val & KBD_MODE_SYS);
        kbd_update_irq(s);
        break;
    case 0xd1:
        kbd_write_outport(s, val);
        break;
    case 0xd2:
    case 0xd3:
        kbd_queue(s, val);
        break;
    case 0xd4:
        qemu_log_mask(LOG_UNIMP, "i8042: no aux (mouse) device, byte 0x%02x dropped\n", val);
        break;
    default:
        kbd_write_keyboard(s, val);
        break;
    }
}

static uint64_t kbd_read_data(void *opaque, hwaddr addr, unsigned size)
{
    KBDState *s = opaque;

    if (s->queue_count) {
        s->last_data = s->queue[s->queue_head];
        s->queue_head = (s->queue_head + 1) % KBD_QUEUE_SIZE;
        s->queue_count--;
        kbd_update_irq(s);
    }
    return s->last_data; /* an empty buffer reads its last byte again */
}

static uint64_t kbd_read_status(void *opaque, hwaddr addr, unsigned size)
{
    KBDState *s = opaque;

    return s->status;
}

static const MemoryRegionOps kbd_data_ops = {
    .read = kbd_read_data,
    .write = kbd_write_data,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps kbd_cmd_ops = {
    .read = kbd_read_status,
    .write = kbd_write_command,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t port92_read(void *opaque, hwaddr addr, unsigned size)
{
    KBDState *s = opaque;

    return s->port92;
}

static void port92_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    KBDState *s = opaque;
    uint8_t old = s->port92;

    s->port92 = data & (PORT92_RESET | PORT92_A20);
    kbd_update_a20(s);
    /* A 0 -> 1 transition of bit 0 resets the CPU. */
    if ((data & PORT92_RESET) && !(old & PORT92_RESET)) {
        qemu_system_reset_request();
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void i8042_reset(KBDState *s)
{
    s->status = KBD_STAT_CMD | KBD_STAT_UNLOCKED;
    s->mode = KBD_MODE_KBD_INT;
    s->outport = KBD_OUT_RESET | KBD_OUT_A20;
    s->pending = 0;
    s->queue_head = s->queue_count = 0;
    s->last_data = 0;
    s->port92 = 0;
    kbd_update_irq(s);
    kbd_update_a20(s);
}

KBDState *i8042_init(MemoryRegion *io, qemu_irq irq_kbd, qemu_irq a20_out)
{
    KBDState *s = g_new0(KBDState, 1);

    s->irq_kbd = irq_kbd;
    s->a20_out = a20_out;
    s->io_parent = io;
    memory_region_init_io(&s->data_io, &kbd_data_ops, s, "i8042-data", 1);
    memory_region_add_subregion(io, 0x60, &s->data_io);
    memory_region_init_io(&s->cmd_io, &kbd_cmd_ops, s, "i8042-cmd", 1);
    memory_region_add_subregion(io, 0x64, &s->cmd_io);
    memory_region_init_io(&s->port92_io, &port92_ops, s, "port92", 1);
    memory_region_add_subregion(io, 0x92, &s->port92_io);
    i8042_reset(s);
    return s;
}

void i8042_destroy(KBDState *s)
{
    MemoryRegion *regions[] = { &s->data_io, &s->cmd_io, &s->port92_io };

    for (size_t i = 0; i < G_N_ELEMENTS(regions); i++) {
        memory_region_del_subregion(s->io_parent, regions[i]);
        memory_region_finalize(regions[i]);
    }
    g_free(s);
}
