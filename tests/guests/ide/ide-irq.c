/*
 * The interrupt-driven IDE test: nIEN clear, IRQ14 through the 8259
 * cascade to vector 0x2e, and the handler as ata_piix does it: read the
 * bus master status (the Interrupt bit says the interrupt is ours), read
 * the ATA status (which negates INTRQ), clear the Interrupt bit, EOI.
 *
 * Counts interrupts per command against the ATA protocols: PIO data-in
 * one per DRQ block, PIO data-out one per block written (none before the
 * first), DMA and non-data one at the end.
 *
 * Protected-mode IRET does not work under this host's KVM, so the test runs
 * under -accel tcg (and qemu-system-x86_64 -accel tcg for the differential).
 */
#include "ata.h"

#define PIC1 0x20
#define PIC2 0xa0
#define IRQ_BASE 0x20
#define IDE_VECTOR (IRQ_BASE + 14)

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t zero, type_attr;
    uint16_t offset_high;
} __attribute__((packed));

static struct idt_gate idt[256];
static struct ide_dev ide;
static uint8_t dma_area[65536] __attribute__((aligned(65536)));
static uint8_t buf[16 * 512] __attribute__((aligned(16)));
static uint8_t buf_back[16 * 512] __attribute__((aligned(16)));

static volatile uint32_t irq_count, stray_count;
static volatile uint8_t last_bm_status, last_status;
static bool all_ok = true;

void ide_irq_handler_c(void);
void ide_irq_handler_c(void)
{
    uint8_t bm = inb(ide.bmdma_base + BM_STATUS);

    if (!(bm & BM_STATUS_INT)) {
        stray_count++; /* not ours: ata_piix would return IRQ_NONE */
    }
    last_bm_status = bm;
    last_status = inb(ATA_STATUS);
    outb(ide.bmdma_base + BM_STATUS, (bm & 0x60) | BM_STATUS_INT);
    irq_count++;
    outb(PIC2, 0x20); /* non-specific EOI, slave then master */
    outb(PIC1, 0x20);
}

void stray_vector_c(void);
void stray_vector_c(void)
{
    puts_serial("FAIL: unexpected interrupt or exception\n");
    debug_exit(GUEST_FAIL);
}

extern void ide_irq_entry(void), stray_entry(void);
__asm__(".text\n"
        "ide_irq_entry:\n"
        "    pushal\n"
        "    cld\n"
        "    call ide_irq_handler_c\n"
        "    popal\n"
        "    iret\n"
        "stray_entry:\n"
        "    call stray_vector_c\n");

static const uint64_t gdt[] = {
    0,
    0x00cf9a000000ffffull, /* 0x08 code */
    0x00cf92000000ffffull, /* 0x10 data */
};

static void set_gate(int vector, void (*entry)(void))
{
    uint32_t a = (uint32_t)entry;

    idt[vector] = (struct idt_gate){ a & 0xffff, 0x08, 0, 0x8e, a >> 16 };
}

static void setup_cpu_and_pic(void)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (uint32_t)gdt },
      idtr = { sizeof(idt) - 1, (uint32_t)idt };

    __asm__ volatile("lgdt %0\n"
                     "ljmp $0x08, $1f\n"
                     "1: movw $0x10, %%ax\n"
                     "movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss\n"
                     : : "m"(gdtr) : "eax", "memory");
    for (int v = 0; v < 256; v++) {
        set_gate(v, stray_entry);
    }
    set_gate(IDE_VECTOR, ide_irq_entry);
    __asm__ volatile("lidt %0" : : "m"(idtr));

    /* 8259A: ICW1 edge/cascade/ICW4, ICW2 base, ICW3 wiring, ICW4 8086 mode. */
    outb(PIC1, 0x11);
    outb(PIC2, 0x11);
    outb(PIC1 + 1, IRQ_BASE);
    outb(PIC2 + 1, IRQ_BASE + 8);
    outb(PIC1 + 1, 0x04); /* slave on IRQ2 */
    outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01);
    outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xfb); /* only the cascade */
    outb(PIC2 + 1, 0xbf); /* only IRQ14 */
}

/* Waits (interrupts on) until the count reaches @want. */
static bool wait_irq(uint32_t want, const char *what)
{
    bool arrived = false;

    __asm__ volatile("sti" : : : "memory");
    for (uint32_t i = 0; i < ATA_POLL_LIMIT && !arrived; i++) {
        inb(ATA_CTRL); /* an I/O access per round bounds the wait in time */
        arrived = irq_count >= want;
    }
    __asm__ volatile("cli" : : : "memory");
    if (arrived) {
        return true;
    }
    printf_serial("FAIL: %s: no interrupt (count %u, want %u)\n", what, irq_count, want);
    all_ok = false;
    return false;
}

/* Interrupts on for a while, so that a wrong extra interrupt is counted. */
static void settle(void)
{
    __asm__ volatile("sti" : : : "memory");
    for (volatile int i = 0; i < 1000; i++) {
    }
    __asm__ volatile("cli" : : : "memory");
}

static void expect(bool cond, const char *what)
{
    all_ok &= check(cond, what);
}

static void pio_irq(uint8_t cmd, uint64_t lba, uint32_t n, void *data, const char *name)
{
    bool is_write = cmd == CMD_WRITE_SECTORS || cmd == CMD_WRITE_SECTORS_EXT;
    uint32_t start = irq_count;
    uint16_t *p = data;

    if (!ata_load_taskfile(cmd, lba, n)) {
        all_ok = false;
        return;
    }
    outb(ATA_COMMAND, cmd);
    for (uint32_t s = 0; s < n; s++) {
        uint32_t words = 256;

        if (is_write) {
            uint8_t st;
            /* Data-out: the first block is requested by DRQ alone. */
            if (s > 0 && !wait_irq(start + s, name)) {
                return;
            }
            if (!ata_wait_not_busy(&st) || !(st & ATA_SR_DRQ)) {
                printf_serial("FAIL: %s: no DRQ for sector %u\n", name, s);
                all_ok = false;
                return;
            }
            __asm__ volatile("rep outsw" : "+S"(p), "+c"(words) : "d"(ATA_DATA) : "memory");
        } else {
            if (!wait_irq(start + s + 1, name)) {
                return;
            }
            expect(last_status & ATA_SR_DRQ, "DRQ with the data-in interrupt");
            __asm__ volatile("rep insw" : "+D"(p), "+c"(words) : "d"(ATA_DATA) : "memory");
        }
    }
    if (is_write) {
        wait_irq(start + n, name);
    }
    /* Let a wrong extra interrupt arrive before counting. */
    settle();
    printf_serial("%s: %u sectors, %u interrupts, status 0x%02x\n", name, n,
                  irq_count - start, last_status & ATA_SR_COMPARABLE);
    expect(irq_count - start == n, "one interrupt per PIO block");
    expect(!(last_status & (ATA_SR_ERR | ATA_SR_BSY)), "PIO status");
}

static void dma_irq(uint8_t cmd, uint64_t lba, uint32_t n, const char *name)
{
    uint16_t bm = ide.bmdma_base;
    uint8_t dir = (cmd == CMD_READ_DMA || cmd == CMD_READ_DMA_EXT) ? BM_CMD_TO_MEMORY : 0;
    uint32_t start = irq_count;
    uint32_t half = n * 512 / 2;

    prd_build(&ide, (uint32_t[]){ (uint32_t)dma_area, (uint32_t)dma_area + 0x8000 },
              (uint32_t[]){ half, half }, 2);
    outb(bm + BM_CMD, 0);
    outl(bm + BM_PRDT, (uint32_t)ide.prdt);
    outb(bm + BM_STATUS, (inb(bm + BM_STATUS) & 0x60) | BM_STATUS_INT | BM_STATUS_ERROR);
    outb(bm + BM_CMD, dir);
    if (!ata_load_taskfile(cmd, lba, n)) {
        all_ok = false;
        return;
    }
    outb(ATA_COMMAND, cmd);
    outb(bm + BM_CMD, dir | BM_CMD_START);
    wait_irq(start + 1, name);
    outb(bm + BM_CMD, dir);
    settle();
    printf_serial("%s: %u sectors, %u interrupts, bm status int=%d active=%d error=%d, "
                  "status 0x%02x\n", name, n, irq_count - start,
                  !!(last_bm_status & BM_STATUS_INT), !!(last_bm_status & BM_STATUS_ACTIVE),
                  !!(last_bm_status & BM_STATUS_ERROR), last_status & ATA_SR_COMPARABLE);
    expect(irq_count - start == 1, "one interrupt per DMA command");
    expect((last_bm_status & (BM_STATUS_INT | BM_STATUS_ACTIVE | BM_STATUS_ERROR)) ==
           BM_STATUS_INT, "bus master status at the DMA interrupt");
    expect(!(last_status & (ATA_SR_ERR | ATA_SR_BSY | ATA_SR_DRQ)), "DMA status");
}

static void nondata_irq(uint8_t cmd, const char *name, bool want_error)
{
    uint32_t start = irq_count;

    outb(ATA_DEVICE, 0xa0 | ATA_DEV_LBA);
    outb(ATA_COMMAND, cmd);
    wait_irq(start + 1, name);
    printf_serial("%s: %u interrupts, status 0x%02x\n", name, irq_count - start,
                  last_status & ATA_SR_COMPARABLE);
    expect(irq_count - start == 1, "one interrupt per non-data command");
    expect(!!(last_status & ATA_SR_ERR) == want_error, name);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    uint32_t start;

    setup_cpu_and_pic();
    if (!ide_probe(&ide) || !ata_soft_reset()) {
        puts_serial("ide-irq: FAIL\n");
        return GUEST_FAIL;
    }
    outb(ATA_CTRL, 0); /* nIEN clear: INTRQ reaches IRQ14 */

    start = irq_count;
    outb(ATA_DEVICE, 0xa0);
    outb(ATA_COMMAND, CMD_IDENTIFY);
    if (wait_irq(start + 1, "identify")) {
        uint16_t *p = (uint16_t *)buf;
        uint32_t words = 256;

        __asm__ volatile("rep insw" : "+D"(p), "+c"(words) : "d"(ATA_DATA) : "memory");
        printf_serial("identify: %u interrupt(s), bm int=%d\n", irq_count - start,
                      !!(last_bm_status & BM_STATUS_INT));
        expect(last_bm_status & BM_STATUS_INT, "bus master Interrupt bit on IDENTIFY");
    }

    pattern_fill(buf, 300, 4, 21);
    pio_irq(CMD_WRITE_SECTORS, 300, 4, buf, "pio write");
    printf_serial("wrote lba=300 n=4 tag=21\n");
    memset(buf_back, 0, sizeof(buf_back));
    pio_irq(CMD_READ_SECTORS, 300, 4, buf_back, "pio read");
    expect(pattern_check(buf_back, 300, 4, 21) < 0, "pio data");

    pattern_fill(buf, 400, 16, 22);
    memcpy(dma_area, buf, 8 * 512);
    memcpy(dma_area + 0x8000, buf + 8 * 512, 8 * 512);
    dma_irq(CMD_WRITE_DMA_EXT, 400, 16, "dma write");
    printf_serial("wrote lba=400 n=16 tag=22\n");
    memset(dma_area, 0, sizeof(dma_area));
    dma_irq(CMD_READ_DMA, 400, 16, "dma read");
    memcpy(buf_back, dma_area, 8 * 512);
    memcpy(buf_back + 8 * 512, dma_area + 0x8000, 8 * 512);
    expect(pattern_check(buf_back, 400, 16, 22) < 0, "dma data");

    nondata_irq(CMD_FLUSH_CACHE, "flush", false);
    nondata_irq(0xf1, "unknown command", true);

    outb(ATA_CTRL, ATA_CTRL_NIEN);
    printf_serial("interrupts: %u in all, %u without the bus master Interrupt bit\n",
                  irq_count, stray_count);
    expect(stray_count == 0, "every interrupt had the Interrupt bit");
    puts_serial(all_ok ? "ide-irq: PASS\n" : "ide-irq: FAIL\n");
    return all_ok ? GUEST_PASS : GUEST_FAIL;
}
