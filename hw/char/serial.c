/*
 * NS16550A UART (National Semiconductor PC16550D data sheet).
 *
 * Transmission is instantaneous: a byte written to THR goes straight to
 * the backend and THR/TSR are empty again at once, so a guest polling LSR
 * never waits.  Reception goes through a 16-byte FIFO (one byte when FIFOs
 * are off), with the data sheet's trigger levels and character timeout.
 */
#include <inttypes.h>

#include "hw/char/serial.h"

#include "qemu/log.h"
#include "qemu/timer.h"
#include "trace/trace.h"

#define UART_FIFO_SIZE 16
#define UART_CLOCK_DIVISOR_BASE 115200 /* 1.8432 MHz / 16 */

/* IER */
#define UART_IER_RDI  0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI  0x08
/* IIR: bit 0 set = nothing pending; bits 3-1 identify the source */
#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI    0x00
#define UART_IIR_THRI   0x02
#define UART_IIR_RDI    0x04
#define UART_IIR_RLSI   0x06
#define UART_IIR_CTI    0x0c
#define UART_IIR_FE     0xc0 /* FIFOs enabled */
/* FCR */
#define UART_FCR_FE       0x01
#define UART_FCR_RFR      0x02
#define UART_FCR_XFR      0x04
#define UART_FCR_DMS      0x08
#define UART_FCR_ITL_MASK 0xc0
/* LCR */
#define UART_LCR_DLAB 0x80
/* MCR */
#define UART_MCR_LOOP 0x10
/* LSR */
#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_PE   0x04
#define UART_LSR_FE   0x08
#define UART_LSR_BI   0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_INT_ANY (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
/* MSR */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_ANY_DELTA 0x0f
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI  0x40
#define UART_MSR_DCD 0x80

struct SerialState {
    uint16_t divider;
    uint8_t ier;
    uint8_t iir;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr; /* DR is derived from the receive FIFO */
    uint8_t msr;
    uint8_t scr;
    uint8_t fcr;
    uint8_t rx_buf[UART_FIFO_SIZE];
    unsigned rx_head;
    unsigned rx_count;
    unsigned rx_trigger;
    bool thr_ipending;     /* THR-empty interrupt not yet acknowledged */
    bool timeout_ipending; /* character timeout indication */
    QEMUTimer *fifo_timeout_timer;

    qemu_irq irq;
    CharFrontend *chr;
    MemoryRegion io;
    MemoryRegion *io_parent;
};

static bool serial_fifo_enabled(SerialState *s)
{
    return s->fcr & UART_FCR_FE;
}

static void serial_update_irq(SerialState *s)
{
    uint8_t id = UART_IIR_NO_INT;

    /* Data sheet Table 4: priority order of the interrupt sources */
    if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_INT_ANY)) {
        id = UART_IIR_RLSI;
    } else if ((s->ier & UART_IER_RDI) &&
               s->rx_count >= (serial_fifo_enabled(s) ? s->rx_trigger : 1)) {
        id = UART_IIR_RDI;
    } else if ((s->ier & UART_IER_RDI) && s->timeout_ipending) {
        id = UART_IIR_CTI;
    } else if ((s->ier & UART_IER_THRI) && s->thr_ipending) {
        id = UART_IIR_THRI;
    } else if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_ANY_DELTA)) {
        id = UART_IIR_MSI;
    }
    s->iir = id | (serial_fifo_enabled(s) ? UART_IIR_FE : 0);
    qemu_set_irq(s->irq, !(id & UART_IIR_NO_INT));
}

/* One character time (start + data + parity + stop bits) in ns. */
static int64_t serial_char_time_ns(SerialState *s)
{
    unsigned data_bits = 5 + (s->lcr & 3);
    /* 1.5 stop bits with 5 data bits; counted as 2 (round up) */
    unsigned bits = 1 + data_bits + ((s->lcr >> 3) & 1) + ((s->lcr & 4) ? 2 : 1);
    unsigned divider = s->divider ? s->divider : 1;

    return (int64_t)bits * NANOSECONDS_PER_SECOND * divider / UART_CLOCK_DIVISOR_BASE;
}

/* FIFO mode: data below the trigger level is reported after 4 character
 * times without a read or a new character (data sheet, FIFO interrupt mode). */
static void serial_arm_timeout(SerialState *s)
{
    s->timeout_ipending = false;
    if (serial_fifo_enabled(s) && s->rx_count > 0) {
        timer_mod(s->fifo_timeout_timer,
                  qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + 4 * serial_char_time_ns(s));
    } else {
        timer_del(s->fifo_timeout_timer);
    }
}

static void serial_fifo_timeout(void *opaque)
{
    SerialState *s = opaque;

    s->timeout_ipending = s->rx_count > 0;
    serial_update_irq(s);
}

static void serial_rx_clear(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->timeout_ipending = false;
    timer_del(s->fifo_timeout_timer);
}

static void serial_receive_byte(SerialState *s, uint8_t ch)
{
    unsigned capacity = serial_fifo_enabled(s) ? UART_FIFO_SIZE : 1;

    if (s->rx_count < capacity) {
        s->rx_buf[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = ch;
        s->rx_count++;
    } else {
        s->lsr |= UART_LSR_OE;
        if (!serial_fifo_enabled(s)) {
            s->rx_buf[s->rx_head] = ch; /* 16450 mode: RBR is overwritten */
        }
    }
    serial_arm_timeout(s);
    serial_update_irq(s);
}

static uint8_t serial_msr_inputs(SerialState *s)
{
    if (s->mcr & UART_MCR_LOOP) {
        /* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
        return (s->mcr & 0x01) << 5 | (s->mcr & 0x02) << 3 | (s->mcr & 0x0c) << 4;
    }
    /* The backend is a line that is always connected and ready. */
    return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

static void serial_update_msr(SerialState *s)
{
    uint8_t now = serial_msr_inputs(s);
    uint8_t changed = (s->msr ^ now) & 0xf0;
    uint8_t delta = s->msr & UART_MSR_ANY_DELTA;

    if (changed & UART_MSR_CTS) {
        delta |= UART_MSR_DCTS;
    }
    if (changed & UART_MSR_DSR) {
        delta |= UART_MSR_DDSR;
    }
    if ((changed & UART_MSR_RI) && !(now & UART_MSR_RI)) {
        delta |= UART_MSR_TERI; /* trailing edge only */
    }
    if (changed & UART_MSR_DCD) {
        delta |= UART_MSR_DDCD;
    }
    s->msr = now | delta;
}

static void serial_xmit(SerialState *s, uint8_t ch)
{
    if (s->mcr & UART_MCR_LOOP) {
        serial_receive_byte(s, ch);
    } else if (s->chr && qemu_chr_fe_write_all(s->chr, &ch, 1) < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "serial: backend write failed, byte dropped\n");
    }
}

static void serial_write_fcr(SerialState *s, uint8_t val)
{
    static const unsigned trigger_levels[4] = { 1, 4, 8, 14 };

    if ((val ^ s->fcr) & UART_FCR_FE) {
        val |= UART_FCR_RFR | UART_FCR_XFR; /* switching modes empties both */
    }
    if (val & UART_FCR_RFR) {
        serial_rx_clear(s);
    }
    /* XFR: the transmit FIFO is always empty here. */
    s->fcr = (val & UART_FCR_FE) ? (val & (UART_FCR_FE | UART_FCR_DMS | UART_FCR_ITL_MASK)) : 0;
    s->rx_trigger = trigger_levels[val >> 6];
}

static void serial_ioport_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    SerialState *s = opaque;
    uint8_t val = data;

    trace_event(serial_ioport_write, "addr=%" HWADDR_PRIx " val=0x%02x", addr, val);
    switch (addr) {
    case 0:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | val;
            break;
        }
        s->thr_ipending = false;
        s->lsr &= ~(UART_LSR_THRE | UART_LSR_TEMT);
        serial_xmit(s, val);
        s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
        s->thr_ipending = true;
        break;
    case 1:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | val << 8;
            break;
        }
        /* Enabling THRI while THR is empty interrupts at once. */
        if ((val & UART_IER_THRI) && !(s->ier & UART_IER_THRI) &&
            (s->lsr & UART_LSR_THRE)) {
            s->thr_ipending = true;
        }
        s->ier = val & 0x0f;
        break;
    case 2:
        serial_write_fcr(s, val);
        if (s->chr) {
            qemu_chr_fe_accept_input(s->chr); /* a cleared FIFO has room */
        }
        break;
    case 3:
        s->lcr = val;
        break;
    case 4: {
        bool was_loop = s->mcr & UART_MCR_LOOP;

        s->mcr = val & 0x1f;
        serial_update_msr(s);
        if (was_loop && !(s->mcr & UART_MCR_LOOP) && s->chr) {
            qemu_chr_fe_accept_input(s->chr); /* the line is connected again */
        }
        break;
    }
    case 5:
    case 6:
        qemu_log_mask(LOG_GUEST_ERROR, "serial: write 0x%02x to read-only %s\n", val,
                      addr == 5 ? "LSR" : "MSR");
        break;
    case 7:
        s->scr = val;
        break;
    }
    serial_update_irq(s);
}

static uint8_t serial_read_rbr(SerialState *s)
{
    uint8_t ret;

    if (s->rx_count == 0) {
        return s->rx_buf[s->rx_head]; /* stale byte, as the hardware does */
    }
    ret = s->rx_buf[s->rx_head];
    s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
    s->rx_count--;
    serial_arm_timeout(s);
    if (s->chr) {
        qemu_chr_fe_accept_input(s->chr);
    }
    return ret;
}

static uint64_t serial_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    SerialState *s = opaque;
    uint8_t ret = 0;

    switch (addr) {
    case 0:
        ret = (s->lcr & UART_LCR_DLAB) ? (s->divider & 0xff) : serial_read_rbr(s);
        break;
    case 1:
        ret = (s->lcr & UART_LCR_DLAB) ? (s->divider >> 8) : s->ier;
        break;
    case 2:
        ret = s->iir;
        /* Reading IIR acknowledges a THR-empty interrupt it reports. */
        if ((ret & 0x0f) == UART_IIR_THRI) {
            s->thr_ipending = false;
        }
        break;
    case 3:
        ret = s->lcr;
        break;
    case 4:
        ret = s->mcr;
        break;
    case 5:
        ret = s->lsr | (s->rx_count ? UART_LSR_DR : 0);
        s->lsr &= ~UART_LSR_INT_ANY; /* error bits clear on read */
        break;
    case 6:
        ret = s->msr;
        s->msr &= ~UART_MSR_ANY_DELTA;
        break;
    case 7:
        ret = s->scr;
        break;
    }
    serial_update_irq(s);
    trace_event(serial_ioport_read, "addr=%" HWADDR_PRIx " val=0x%02x", addr, ret);
    return ret;
}

static const MemoryRegionOps serial_io_ops = {
    .read = serial_ioport_read,
    .write = serial_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;

    if (s->mcr & UART_MCR_LOOP) {
        return 0; /* the serial input is disconnected in loopback */
    }
    if (serial_fifo_enabled(s)) {
        return UART_FIFO_SIZE - s->rx_count;
    }
    return s->rx_count ? 0 : 1;
}

static void serial_receive(void *opaque, const uint8_t *buf, int size)
{
    SerialState *s = opaque;

    if (s->mcr & UART_MCR_LOOP) {
        return;
    }
    for (int i = 0; i < size; i++) {
        serial_receive_byte(s, buf[i]);
    }
}

void serial_reset(SerialState *s)
{
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = UART_LSR_THRE | UART_LSR_TEMT;
    s->fcr = 0;
    s->scr = 0;
    s->rx_trigger = 1;
    s->thr_ipending = false;
    serial_rx_clear(s);
    s->msr = serial_msr_inputs(s);
    serial_update_irq(s);
}

SerialState *serial_isa_init(MemoryRegion *io, hwaddr base, qemu_irq irq, CharFrontend *chr)
{
    SerialState *s = g_new0(SerialState, 1);

    s->irq = irq;
    s->chr = chr;
    s->divider = 12; /* 9600 baud; the divisor latch survives reset */
    s->fifo_timeout_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, serial_fifo_timeout, s);
    s->io_parent = io;
    memory_region_init_io(&s->io, &serial_io_ops, s, "serial", 8);
    memory_region_add_subregion(io, base, &s->io);
    if (chr) {
        qemu_chr_fe_set_handlers(chr, serial_can_receive, serial_receive, NULL, s);
    }
    serial_reset(s);
    return s;
}

void serial_destroy(SerialState *s)
{
    if (s->chr) {
        qemu_chr_fe_set_handlers(s->chr, NULL, NULL, NULL, NULL);
    }
    timer_del(s->fifo_timeout_timer);
    timer_free(s->fifo_timeout_timer);
    memory_region_del_subregion(s->io_parent, &s->io);
    memory_region_finalize(&s->io);
    g_free(s);
}
