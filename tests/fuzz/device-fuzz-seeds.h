/*
 * Seed inputs of the device fuzz target, written with the command encoding
 * of device-fuzz.c, and every input a fuzz run has found (a regression test
 * each: `device-fuzz --regressions` replays them all).
 */
#ifndef DEVICE_FUZZ_SEEDS_H
#define DEVICE_FUZZ_SEEDS_H

#include <stddef.h>
#include <stdint.h>

/* A port given in full (selector 0xff), sizes 1/2/4 (size codes 0/1/2). */
#define P16(p)          0xff, (p) & 0xff, ((p) >> 8) & 0xff
#define V16(v)          (v) & 0xff, ((v) >> 8) & 0xff
#define V32(v)          V16(v), V16((v) >> 16)
#define OUTB(p, v)      0, 0, P16(p), (v) & 0xff
#define OUTW(p, v)      0, 1, P16(p), V16(v)
#define OUTL(p, v)      0, 2, P16(p), V32(v)
#define INB(p)          1, 0, P16(p)
#define INW(p)          1, 1, P16(p)
#define INL(p)          1, 2, P16(p)
/* MMIO window (device-fuzz.c's fuzz_mmio index), offset, 32-bit value. */
#define MMIOWL(w, o, v) 2, 2, (w), V16(o), V32(v)
#define MMIORL(w, o)    3, 2, (w), V16(o)
#define WIN_APIC   0
#define WIN_IOAPIC 1
#define WIN_HPET   2
/* 8 bytes into the scratch window at SCRATCH_BASE + off. */
#define RAMW8(o, ...)   4, V16(o), 8, __VA_ARGS__
/* An IDE PRD (bus master IDE 1.0, 2.1): buffer, byte count, end of table. */
#define PRD(o, buf, len) RAMW8(o, V32(buf), V16(len), 0x00, 0x80)
#define IRQ(line, level) 5, ((line) | ((level) << 7))
#define POLL(n)         6, (n)
#define DRAIN           7

/* PCI configuration mechanism #1 for the PIIX3 IDE function (00:01.1). */
#define IDE_CFG(reg)    (0x80000000u | (1u << 11) | (1u << 8) | (reg))
#define IDE_BUS_MASTER  OUTL(0xcf8, IDE_CFG(0x04)), OUTW(0xcfc, 0x0005)
#define BMDMA           0xc000
/* A one-sector DMA on the primary master: PRD at scratch+0, data at +0x1000. */
#define DMA_SETUP(cmd)  IDE_BUS_MASTER, PRD(0, 0x11000, 512), OUTL(BMDMA + 4, 0x10000), \
                        OUTB(0x1f6, 0xe0), OUTB(0x1f2, 1), OUTB(0x1f3, 0), OUTB(0x1f7, cmd)

typedef struct DeviceFuzzSeed {
    const char *name;
    const uint8_t *data;
    size_t len;
} DeviceFuzzSeed;

#define SEED(n, ...) \
    static const uint8_t seed_##n[] = { __VA_ARGS__ }

SEED(ide_identify,
     OUTB(0x1f6, 0xa0), OUTB(0x1f7, 0xec), POLL(1), INB(0x1f7), INW(0x1f0), INW(0x1f0),
     INL(0x1f0), INB(0x3f6));
SEED(ide_read_dma,
     DMA_SETUP(0xc8), OUTB(BMDMA, 0x09), POLL(2), DRAIN, INB(BMDMA + 2), INB(0x1f7),
     OUTB(BMDMA + 2, 0x06), OUTB(BMDMA, 0x00));
SEED(ide_write_dma,
     RAMW8(0x1000, 'd', 'u', 'e', 't', 1, 2, 3, 4),
     DMA_SETUP(0xca), OUTB(BMDMA, 0x01), POLL(2), DRAIN, INB(BMDMA + 2), INB(0x1f7));
/* Reset of the channel while a DMA is in flight: QEMU 7.2 aborts in
 * ide_cancel_dma_sync on this; duet must cancel it cleanly. */
SEED(ide_srst_during_dma,
     DMA_SETUP(0xc8), OUTB(BMDMA, 0x09), OUTB(0x3f6, 0x04), OUTB(0x3f6, 0x00), POLL(2),
     DRAIN, INB(0x1f7));
SEED(ide_bm_stop_during_dma,
     DMA_SETUP(0xca), OUTB(BMDMA, 0x01), OUTB(BMDMA, 0x00), OUTB(0x1f7, 0x08), POLL(2),
     DRAIN, INB(BMDMA + 2));
SEED(ide_flush_and_pio,
     OUTB(0x1f6, 0xe0), OUTB(0x1f7, 0xe7), POLL(2), DRAIN, OUTB(0x1f2, 1), OUTB(0x1f7, 0x30),
     OUTW(0x1f0, 0x1234), OUTL(0x1f0, 0x5678), POLL(1), OUTB(0x1f7, 0x20), INW(0x1f0));
SEED(atapi_inquiry,
     OUTB(0x176, 0xa0), OUTB(0x174, 0x24), OUTB(0x175, 0x00), OUTB(0x177, 0xa0),
     OUTW(0x170, 0x0012), OUTW(0x170, 0x2400), OUTW(0x170, 0), OUTW(0x170, 0),
     OUTW(0x170, 0), OUTW(0x170, 0), POLL(1), INB(0x177), INW(0x170), INW(0x170));
SEED(atapi_read10,
     OUTB(0x176, 0xa0), OUTB(0x174, 0x00), OUTB(0x175, 0x08), OUTB(0x177, 0xa0),
     OUTW(0x170, 0x0028), OUTW(0x170, 0), OUTW(0x170, 0), OUTW(0x170, 0x0100),
     OUTW(0x170, 0), OUTW(0x170, 0), POLL(2), DRAIN, INB(0x177), INW(0x170));
SEED(rtc_periodic,
     OUTB(0x70, 0x0a), OUTB(0x71, 0x26), OUTB(0x70, 0x0b), OUTB(0x71, 0x42), POLL(2),
     OUTB(0x70, 0x0c), INB(0x71), OUTB(0x70, 0x80), INB(0x71));
SEED(pit_pic,
     OUTB(0x20, 0x11), OUTB(0x21, 0x20), OUTB(0x21, 0x04), OUTB(0x21, 0x01), OUTB(0x21, 0x00),
     OUTB(0x43, 0x34), OUTB(0x40, 0x10), OUTB(0x40, 0x00), POLL(2), OUTB(0x20, 0x0a),
     INB(0x20), OUTB(0x20, 0x0c), INB(0x20), OUTB(0x43, 0xb0), OUTB(0x42, 0x33), INB(0x61));
SEED(apic_timer,
     MMIOWL(WIN_APIC, 0xf0, 0x1ff), MMIOWL(WIN_APIC, 0x3e0, 0x0b),
     MMIOWL(WIN_APIC, 0x320, 0x20030), MMIOWL(WIN_APIC, 0x380, 100), POLL(2),
     MMIORL(WIN_APIC, 0x390), MMIOWL(WIN_APIC, 0x300, 0x000c4031), MMIORL(WIN_APIC, 0x280),
     MMIOWL(WIN_APIC, 0xb0, 0));
SEED(ioapic_route,
     MMIOWL(WIN_IOAPIC, 0, 0x10), MMIOWL(WIN_IOAPIC, 0x10, 0x8031), MMIOWL(WIN_IOAPIC, 0, 0x11),
     MMIOWL(WIN_IOAPIC, 0x10, 0), IRQ(0, 1), IRQ(0, 0), MMIOWL(WIN_IOAPIC, 0, 0x01),
     MMIORL(WIN_IOAPIC, 0x10), MMIOWL(WIN_IOAPIC, 0x40, 0x31));
SEED(serial_loop,
     OUTB(0x3fb, 0x80), OUTB(0x3f8, 1), OUTB(0x3f9, 0), OUTB(0x3fb, 3), OUTB(0x3f9, 0x0f),
     OUTB(0x3fc, 0x10), OUTB(0x3f8, 'A'), POLL(1), INB(0x3fa), INB(0x3f8), INB(0x3fd));
SEED(pci_bars,
     OUTL(0xcf8, IDE_CFG(0x20)), OUTL(0xcfc, 0xffffffff), INL(0xcfc), OUTL(0xcfc, 0x1f0),
     OUTL(0xcf8, IDE_CFG(0x04)), OUTW(0xcfc, 0x0005), OUTB(0x1f0, 0x01), INB(0x1f2),
     OUTL(0xcf8, 0x80000000u), INL(0xcfc), OUTL(0xcf8, 0x80000800u | 0x4c), OUTL(0xcfc, 0));
SEED(pm_and_reset,
     OUTW(0x600, 0xffff), INW(0x600), OUTW(0x602, 0x0121), INL(0x608), OUTW(0x604, 0x0001),
     OUTB(0x64, 0xd1), OUTB(0x60, 0x03), OUTB(0x92, 0x02), INB(0x92), OUTB(0x64, 0xfe));
SEED(fw_cfg_and_testdev,
     OUTW(0x510, 0x0000), INB(0x511), INB(0x511), OUTW(0x510, 0x0019), INL(0x511),
     OUTL(0x514, 0), OUTL(0x518, 0x00000100), OUTB(0xe0, 1), INB(0xe0),
     MMIOWL(WIN_HPET, 0x10, 3), MMIORL(WIN_HPET, 0xf0), MMIOWL(WIN_HPET, 0x100, 0x4c),
     MMIOWL(WIN_HPET, 0x108, 1000), POLL(2));

/* fw_cfg's DMA interface: a FWCfgDmaAccess (big-endian control, length,
 * address) in the scratch window, its address written as two big-endian
 * halves (the low one at 0x518 starts it). */
#define BE32(v)          ((v) >> 24) & 0xff, ((v) >> 16) & 0xff, ((v) >> 8) & 0xff, (v) & 0xff
#define FW_DMA_DESC(o, ctl, len, addr) \
    RAMW8(o, BE32(ctl), BE32(len)), RAMW8((o) + 8, BE32(0), BE32(addr))
#define FW_DMA_KICK(o)   OUTL(0x514, 0), OUTL(0x518, __builtin_bswap32(0x10000 + (o)))
SEED(fw_cfg_dir_and_dma,
     OUTW(0x510, 0x0000), INB(0x511), INB(0x511), INB(0x511), INB(0x511), INL(0x514),
     OUTW(0x510, 0x0019), INB(0x511), INB(0x511), INB(0x511), INB(0x511), INB(0x511),
     FW_DMA_DESC(0, 0x0019000a, 0x100, 0x11000), FW_DMA_KICK(0),
     FW_DMA_DESC(0x20, 0x00200004, 8, 0), FW_DMA_KICK(0x20),
     FW_DMA_DESC(0x40, 0x00210002, 0x20, 0x11100), FW_DMA_KICK(0x40),
     FW_DMA_DESC(0x60, 0x00000010, 4, 0x11000), FW_DMA_KICK(0x60));
/* DMA to nowhere, lengths past the item and the end of RAM, a descriptor
 * across the top of the address space: the error bit each time. */
SEED(fw_cfg_dma_bad,
     FW_DMA_DESC(0, 0x0000000a, 0xffffffff, 0x11000), FW_DMA_KICK(0),
     FW_DMA_DESC(0x20, 0x0001000a, 4, 0xfffffff0), FW_DMA_KICK(0x20),
     FW_DMA_DESC(0x40, 0x00190012, 0x40, 0xfec00000), FW_DMA_KICK(0x40),
     OUTL(0x514, 0xffffffff), OUTL(0x518, 0xf8ffffff), OUTW(0x518, 0x0100), OUTB(0x514, 1),
     INL(0x510), OUTL(0x510, 0x19), INW(0x511));
/* HPET: legacy route, timer 0 periodic in 32-bit mode as Linux sets it,
 * timer 2 one-shot level on pin 2, status cleared, then halted. */
SEED(hpet_timers,
     MMIOWL(WIN_HPET, 0x10, 2), MMIOWL(WIN_HPET, 0x100, 0x14c), MMIOWL(WIN_HPET, 0x108, 5000),
     MMIOWL(WIN_HPET, 0x108, 5000), MMIOWL(WIN_HPET, 0x140, 0x406),
     MMIOWL(WIN_HPET, 0x148, 2000), MMIOWL(WIN_HPET, 0x10, 3), POLL(3), MMIORL(WIN_HPET, 0x20),
     MMIORL(WIN_HPET, 0xf0), MMIOWL(WIN_HPET, 0x20, 4), MMIOWL(WIN_HPET, 0x10, 0),
     MMIOWL(WIN_HPET, 0xf0, 0xfffffff0), MMIOWL(WIN_HPET, 0xf4, 0xffffffff),
     MMIOWL(WIN_HPET, 0x10, 1), POLL(2), MMIORL(WIN_HPET, 0x104), IRQ(0, 1), IRQ(8, 1));
/* ACPI PM: timer status and its SCI, sleep types, S5 last. */
SEED(pm_timer_sleep,
     OUTW(0x602, 0x0001), INL(0x608), POLL(2), INW(0x600), OUTW(0x600, 0x0001),
     OUTW(0x604, 0x2400), OUTW(0x604, 0x3c00), INW(0x604), OUTW(0x604, 0x2000));
/* pc-testdev's ports, IRQ lines (the high ones too), page flush and
 * MMIO; pci-testdev's BARs as firmware placed them (BAR0 0xfe000000,
 * BAR1 0xc100) and a test write on each. */
#define TESTDEV_CFG(reg) (0x80000000u | (2u << 11) | (reg))
SEED(testdevs,
     OUTL(0xe0, 0x12345678), INB(0xe2), OUTB(0xe9, 0xaa), INL(0xe8), OUTL(0xe4, 0x11000),
     OUTB(0x2003, 1), OUTB(0x2003, 0), OUTB(0x2015, 1), OUTB(0x2015, 0),
     MMIOWL(6, 0x10, 0xdeadbeef), MMIORL(6, 0x10), OUTL(0xcf8, TESTDEV_CFG(0)), INL(0xcfc),
     OUTB(0xc100, 0), INL(0xc104), OUTB(0xc183, 0xfa), INL(0xc10c), OUTB(0xc100, 7),
     INL(0xc100), MMIOWL(3, 0, 1), MMIORL(3, 0x10), MMIORL(3, 4));

/* Regressions: inputs fuzz runs found. */

/* A 4-byte port write at 0xcfd: its first byte lands on the IDE function's
 * command register, which remaps the BARs and freed the view the rest of
 * the access was still walking (use after free in flatview_search). */
SEED(regress_remap_mid_access,
     OUTL(0xcf8, IDE_CFG(0x04)), OUTL(0xcfd, 0x00000001), OUTL(0xcfb, 0x05000000),
     INL(0xcfd));

/* Century 00 written twice: the year's last two digits were taken with a
 * truncating % of a year below 1900, giving year -74 and a shift of a
 * negative value in rtc_to_reg (UBSan); month 00 after century 00 gives
 * year -1 the same way. */
SEED(regress_rtc_negative_year,
     OUTB(0x70, 0x32), OUTB(0x71, 0x00), OUTB(0x70, 0x32), OUTB(0x71, 0x00),
     OUTB(0x70, 0x09), INB(0x71), OUTB(0x70, 0x08), OUTB(0x71, 0x00), OUTB(0x70, 0x09),
     INB(0x71), OUTB(0x70, 0x32), INB(0x71));

#define ENTRY(n) { #n, seed_##n, sizeof(seed_##n) }
static const DeviceFuzzSeed device_fuzz_seeds[] = {
    ENTRY(ide_identify), ENTRY(ide_read_dma), ENTRY(ide_write_dma),
    ENTRY(ide_srst_during_dma), ENTRY(ide_bm_stop_during_dma), ENTRY(ide_flush_and_pio),
    ENTRY(atapi_inquiry), ENTRY(atapi_read10), ENTRY(rtc_periodic), ENTRY(pit_pic),
    ENTRY(apic_timer), ENTRY(ioapic_route), ENTRY(serial_loop), ENTRY(pci_bars),
    ENTRY(pm_and_reset), ENTRY(fw_cfg_and_testdev), ENTRY(fw_cfg_dir_and_dma),
    ENTRY(fw_cfg_dma_bad), ENTRY(hpet_timers), ENTRY(pm_timer_sleep), ENTRY(testdevs),
    ENTRY(regress_remap_mid_access), ENTRY(regress_rtc_negative_year),
};
#undef ENTRY

#endif
