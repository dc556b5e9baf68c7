/*
 * Bus-master DMA on the PIIX3 IDE function: PRD tables (exact, long,
 * short, endless, odd counts, 64 KiB entries), targets outside RAM or in
 * MMIO, the engine started before or without a command, bus mastering
 * off, reset mid-transfer, and a qcow2 image checked afterwards.
 */
#include "ide-harness.h"

#include <string.h>
#include <unistd.h>

#define IMG_SECTORS 4096
#define IMG_SIZE (IMG_SECTORS * 512)
#define PRD_TABLE 0x1000u
#define BUF 0x20000u

static IDETest *t;
static const char *img;
static const char *img_fmt;
static uint8_t *expect; /* the image's initial contents */

static void setup_fmt(const char *fmt)
{
    g_autofree char *opt = NULL;
    Error *err = NULL;

    t = it_new();
    img_fmt = fmt;
    img = it_image(t, g_str_equal(fmt, "raw") ? "disk.raw" : "disk.qcow2", fmt, IMG_SIZE);
    expect = g_malloc(IMG_SIZE);
    it_pattern(expect, IMG_SIZE, 1);
    it_image_write(img, fmt, 0, expect, IMG_SIZE);
    opt = g_strdup_printf("file=%s,format=%s,if=ide,index=0", img, fmt);
    if (!it_drives(t, &err, opt, NULL)) {
        ck_abort_msg("%s", error_get_pretty(err));
    }
    it_firmware(t);
    ck_assert_uint_ne(t->bmdma, 0);
}

static void setup(void)
{
    setup_fmt("raw");
}

static void teardown(void)
{
    if (t) {
        it_free(t);
    }
    t = NULL;
    g_free(expect);
    expect = NULL;
}

static void prd(int i, uint32_t addr, uint32_t count, bool eot)
{
    address_space_stl(&address_space_memory, PRD_TABLE + 8 * i, addr, MEMTXATTRS_UNSPECIFIED,
                      NULL);
    address_space_stl(&address_space_memory, PRD_TABLE + 8 * i + 4,
                      count | (eot ? BMDMA_PRD_EOT : 0), MEMTXATTRS_UNSPECIFIED, NULL);
}

static uint8_t bm_status(void)
{
    return inb(t->bmdma + 2);
}

/* Linux's order: table address, direction, ATA command, then start. */
static void dma_cmd(uint8_t cmd, uint32_t lba, uint8_t count, bool to_memory)
{
    outl(t->bmdma + 4, PRD_TABLE);
    outb(t->bmdma, to_memory ? BM_CMD_READ : 0);
    outb(t->bmdma + 2, BM_STATUS_INT | BM_STATUS_ERROR);
    ide_lba28(0, lba, count);
    outb(IDE_CMD, cmd);
}

static void bm_start(bool to_memory)
{
    outb(t->bmdma, BM_CMD_START | (to_memory ? BM_CMD_READ : 0));
}

START_TEST(test_dma_read)
{
    prd(0, BUF, 1024, false);
    prd(1, BUF + 0x8000, 512, true);
    dma_cmd(0xc8, 10, 3, true);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_int_eq(t->irq_raises[0], 0);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    /* Table used up exactly: Active clear, Interrupt set. */
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    ck_assert_int_eq(t->irq_raises[0], 1);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 10 * 512, 1024);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x8000, expect + 12 * 512, 512);
    outb(t->bmdma, 0);
    inb(IDE_STATUS);
    outb(t->bmdma + 2, BM_STATUS_INT);
    ck_assert_uint_eq(bm_status() & 7, 0);
}
END_TEST

START_TEST(test_dma_write)
{
    uint8_t back[4 * 512];

    it_pattern(t->ram_ptr + BUF, 3 * 512, 77);
    prd(0, BUF, 3 * 512, true);
    dma_cmd(0xca, 200, 3, false);
    bm_start(false);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    it_image_read(img, "raw", 200 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, t->ram_ptr + BUF, 3 * 512);
    ck_assert_mem_eq(back + 3 * 512, expect + 203 * 512, 512);
}
END_TEST

START_TEST(test_dma_lba48)
{
    prd(0, BUF, 2 * 512, true);
    outl(t->bmdma + 4, PRD_TABLE);
    ide_lba48(0, 4000, 2);
    outb(IDE_CMD, 0x25);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 4000 * 512, 1024);
    /* And past the end. */
    ide_lba48(0, IMG_SECTORS - 1, 2);
    outb(IDE_CMD, 0x35);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), IDNF_ERR);
}
END_TEST

/* The engine may be started before the command (ata_piix does not, others do). */
START_TEST(test_engine_first)
{
    prd(0, BUF, 512, true);
    outl(t->bmdma + 4, PRD_TABLE);
    bm_start(true);
    ck_assert_uint_eq(bm_status() & BM_STATUS_DMAING, BM_STATUS_DMAING);
    ide_lba28(0, 1, 1);
    outb(IDE_CMD, 0xc8);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 512, 512);
}
END_TEST

START_TEST(test_no_command_pending)
{
    bm_start(true);
    for (int i = 0; i < 100; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_DMAING);
    ck_assert_int_eq(t->irq_raises[0], 0);
    ck_assert_int_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    outb(t->bmdma, 0);
    ck_assert_uint_eq(bm_status() & 7, 0);
}
END_TEST

/* Table longer than the transfer: Interrupt set, Active stays set. */
START_TEST(test_overlong_table)
{
    prd(0, BUF, 0, false); /* 0 = 64 KiB */
    prd(1, BUF + 0x10000, 4096, true);
    dma_cmd(0xc8, 0, 2, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT | BM_STATUS_DMAING);
    ck_assert_int_eq(t->irq_raises[0], 1);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect, 1024);
    outb(t->bmdma, 0);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
}
END_TEST

/* Table shorter than the transfer: Active clears, no interrupt, the drive
 * keeps DRQ; restarting with a new table finishes the command. */
START_TEST(test_short_table_restart)
{
    prd(0, BUF, 512, true);
    dma_cmd(0xc8, 20, 3, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_uint_eq(bm_status() & 7, 0);
    ck_assert_int_eq(t->irq_raises[0], 0);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 20 * 512, 512);
    /* A second table for the rest. */
    outb(t->bmdma, BM_CMD_READ);
    prd(0, BUF + 0x4000, 1024, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x4000, expect + 21 * 512, 1024);
}
END_TEST

START_TEST(test_short_table_srst)
{
    prd(0, BUF, 700, true); /* ends inside the second sector */
    dma_cmd(0xca, 30, 4, false);
    memset(t->ram_ptr + BUF, 0xab, 1024);
    bm_start(false);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_uint_eq(bm_status() & 7, 0);
    /* The guest gives up: reset, and the drive is usable again. */
    outb(t->bmdma, 0);
    outb(IDE_CTRL, IDE_CTRL_RESET);
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    uint8_t back[3 * 512];
    it_image_read(img, "raw", 30 * 512, back, sizeof(back));
    ck_assert_mem_eq(back, t->ram_ptr + BUF, 512);          /* the whole sector went */
    ck_assert_mem_eq(back + 512, expect + 31 * 512, 1024); /* the partial one did not */
    outb(IDE_CMD, 0xe7);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
}
END_TEST

/* A table without EOT: the walk ends at the table's 64 KiB page. */
START_TEST(test_endless_table)
{
    uint32_t base = 0x30000; /* 8192 entries fill the page */

    for (int i = 0; i < 8192; i++) {
        address_space_stl(&address_space_memory, base + 8 * i, BUF + 2 * i,
                          MEMTXATTRS_UNSPECIFIED, NULL);
        address_space_stl(&address_space_memory, base + 8 * i + 4, 2, MEMTXATTRS_UNSPECIFIED,
                          NULL);
    }
    outl(t->bmdma + 4, base);
    outb(t->bmdma, BM_CMD_READ);
    ide_lba28(0, 0, 64); /* 32 KiB wanted, the table holds 16 KiB */
    outb(IDE_CMD, 0xc8);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | DRQ_STAT);
    ck_assert_uint_eq(bm_status() & 7, 0);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect, 16384);
    outb(IDE_CTRL, IDE_CTRL_RESET);
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);

    /* Entries of 64 KiB without EOT for a short transfer: overlong. */
    prd(0, BUF, 0, false);
    prd(1, BUF, 0, false);
    dma_cmd(0xc8, 0, 1, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT | BM_STATUS_DMAING);
}
END_TEST

/* Byte count bit 0 is ignored; 0 means 64 KiB; 128 sectors fill it exactly. */
START_TEST(test_prd_counts)
{
    prd(0, BUF, 0x201, false);
    prd(1, BUF + 0x1000, 0x200, true);
    dma_cmd(0xc8, 5, 2, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 5 * 512, 512);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x1000, expect + 6 * 512, 512);

    prd(0, BUF, 0, true);
    dma_cmd(0xc8, 100, 128, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 100 * 512, 65536);
}
END_TEST

static void check_master_abort(void)
{
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT | ERR_STAT);
    ck_assert_int_eq(inb(IDE_ERROR), ABRT_ERR);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT | BM_STATUS_ERROR);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT,
                      PCI_STATUS_REC_MASTER_ABORT);
    pci_cfg_write(IT_IDE_DEVFN, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT, 2);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT,
                      0);
    outb(t->bmdma, 0);
    outb(t->bmdma + 2, BM_STATUS_INT | BM_STATUS_ERROR);
}

START_TEST(test_prd_outside_ram)
{
    uint8_t back[512];

    /* Data buffer where nothing decodes, both directions. */
    prd(0, IT_UNMAPPED, 512, true);
    dma_cmd(0xc8, 0, 1, true);
    bm_start(true);
    check_master_abort();
    dma_cmd(0xca, 0, 1, false);
    bm_start(false);
    check_master_abort();
    it_image_read(img, "raw", 0, back, 512);
    ck_assert_mem_eq(back, expect, 512);
    /* RAM then a hole: the first part lands, then the abort. */
    prd(0, IT_RAM_SIZE - 512, 1024, true);
    dma_cmd(0xc8, 0, 2, true);
    bm_start(true);
    check_master_abort();
    ck_assert_mem_eq(t->ram_ptr + IT_RAM_SIZE - 512, expect, 512);
    /* The table itself outside RAM. */
    outb(t->bmdma, BM_CMD_READ);
    ide_lba28(0, 0, 1);
    outb(IDE_CMD, 0xc8);
    outl(t->bmdma + 4, IT_UNMAPPED);
    bm_start(true);
    check_master_abort();
    /* The drive still works. */
    prd(0, BUF, 512, true);
    dma_cmd(0xc8, 7, 1, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 7 * 512, 512);
}
END_TEST

/* MMIO targets go through the bounce buffer, or one sector at a time. */
START_TEST(test_prd_mmio)
{
    uint8_t back[8 * 512];

    /* One MMIO region of 2 sectors, then RAM. */
    prd(0, IT_MMIO_BASE, 1024, false);
    prd(1, BUF, 1024, true);
    dma_cmd(0xc8, 40, 4, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->mmio_buf, expect + 40 * 512, 1024);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 42 * 512, 1024);
    ck_assert_uint_gt(t->mmio_writes, 0);

    /* Many tiny MMIO pieces interleaved with RAM, disk write direction. */
    for (int i = 0; i < 8; i++) {
        it_pattern(t->mmio_buf + 0x1000 + i * 256, 256, 30 + i);
        it_pattern(t->ram_ptr + BUF + 0x1000 + i * 256, 256, 60 + i);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t base = (i & 1) ? BUF + 0x1000 : IT_MMIO_BASE + 0x1000;
        prd(i, base + (i / 2) * 256, 256, i == 15);
    }
    dma_cmd(0xca, 300, 8, false);
    bm_start(false);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm_status() & 7, BM_STATUS_INT);
    it_image_read(img, "raw", 300 * 512, back, sizeof(back));
    for (int i = 0; i < 16; i++) {
        const uint8_t *src = (i & 1) ? t->ram_ptr + BUF + 0x1000 : t->mmio_buf + 0x1000;
        ck_assert_mem_eq(back + i * 256, src + (i / 2) * 256, 256);
    }
    /* And read back the same way. */
    memset(t->mmio_buf + 0x1000, 0, 2048);
    memset(t->ram_ptr + BUF + 0x1000, 0, 2048);
    dma_cmd(0xc8, 300, 8, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    for (int i = 0; i < 16; i++) {
        const uint8_t *dst = (i & 1) ? t->ram_ptr + BUF + 0x1000 : t->mmio_buf + 0x1000;
        ck_assert_mem_eq(dst + (i / 2) * 256, back + i * 256, 256);
    }
}
END_TEST

START_TEST(test_bus_master_disabled)
{
    uint16_t cmd = pci_cfg_read(IT_IDE_DEVFN, PCI_COMMAND, 2);

    pci_cfg_write(IT_IDE_DEVFN, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
    prd(0, BUF, 512, true);
    dma_cmd(0xc8, 0, 1, true);
    bm_start(true);
    check_master_abort();
    pci_cfg_write(IT_IDE_DEVFN, PCI_COMMAND, cmd, 2);
    dma_cmd(0xc8, 0, 1, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
}
END_TEST

/* Reset and engine stop while a DMA write is with the host. */
START_TEST(test_reset_during_dma)
{
    uint8_t back[64 * 512];

    it_pattern(t->ram_ptr + BUF, sizeof(back), 5);
    prd(0, BUF, sizeof(back), true);
    dma_cmd(0xca, 500, 64, false);
    bm_start(false);
    outb(t->bmdma, 0);
    outb(IDE_CTRL, IDE_CTRL_RESET);
    ck_assert_int_eq(inb(IDE_ALTSTATUS), BUSY_STAT);
    outb(IDE_CTRL, 0);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(t->irq_level[0], 0);
    ck_assert_uint_eq(bm_status() & 7, 0);
    /* The request that was already issued completed whole, or not at all. */
    it_image_read(img, "raw", 500 * 512, back, sizeof(back));
    ck_assert(!memcmp(back, t->ram_ptr + BUF, sizeof(back)) ||
              !memcmp(back, expect + 500 * 512, sizeof(back)));
    /* Usable afterwards. */
    prd(0, BUF, 512, true);
    dma_cmd(0xc8, 2, 1, true);
    bm_start(true);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 1024, 512);
}
END_TEST

START_TEST(test_bmdma_registers)
{
    outl(t->bmdma + 4, 0x12345677);
    ck_assert_uint_eq(inl(t->bmdma + 4), 0x12345674); /* dword aligned */
    outb(t->bmdma + 7, 0xab);
    ck_assert_uint_eq(inl(t->bmdma + 4), 0xab345674);
    /* Drive-capable bits are storage; Active cannot be written. */
    ck_assert_uint_eq(bm_status() & 0x60, 0x20); /* firmware: drive 0 present */
    outb(t->bmdma + 2, 0x41);
    ck_assert_uint_eq(bm_status(), 0x40);
    ck_assert_uint_eq(inb(t->bmdma + 1), 0);
    /* Channel 1's block is separate. */
    outl(t->bmdma + 12, 0x1000);
    ck_assert_uint_eq(inl(t->bmdma + 4), 0xab345674);
    ck_assert_uint_eq(inl(t->bmdma + 12), 0x1000);
    /* Interrupt is set by a PIO command's interrupt too (ata_piix relies on it). */
    outb(IDE_CMD, 0xe5);
    ck_assert_uint_eq(bm_status() & BM_STATUS_INT, BM_STATUS_INT);
    outb(t->bmdma + 2, BM_STATUS_INT);
    ck_assert_uint_eq(bm_status() & BM_STATUS_INT, 0);
    /* ...but not with nIEN set. */
    outb(IDE_CTRL, IDE_CTRL_DISABLE_IRQ);
    outb(IDE_CMD, 0xe5);
    ck_assert_uint_eq(bm_status() & BM_STATUS_INT, 0);
}
END_TEST

/*
 * A guest that only polls status gets its completion even when nothing
 * runs the main loop (as on a host where the main loop thread is starved
 * of CPU): the polled drive runs the pending completion itself.
 */
START_TEST(test_polled_completion)
{
    gint64 deadline;
    uint8_t bm = 0, st;

    prd(0, BUF, 4 * 512, true);
    dma_cmd(0xc8, 40, 4, true);
    bm_start(true);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    do {
        ck_assert_msg(g_get_monotonic_time() < deadline, "DMA not done after 5 s of polling");
        bm = bm_status();
        st = inb(IDE_ALTSTATUS);
    } while ((st & BUSY_STAT) || (bm & BM_STATUS_DMAING));
    ck_assert_int_eq(st, READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(bm & 7, BM_STATUS_INT);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 40 * 512, 4 * 512);

    /* The same for a PIO read, polled through the alternate status. */
    ide_lba28(0, 50, 1);
    outb(IDE_CMD, 0x20);
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((st = inb(IDE_ALTSTATUS)) & BUSY_STAT) {
        ck_assert_msg(g_get_monotonic_time() < deadline, "PIO not done after 5 s of polling");
    }
    ck_assert_int_eq(st, READY_STAT | SEEK_STAT | DRQ_STAT);
}
END_TEST

/* qcow2: DMA writes allocate clusters; the image checks clean afterwards. */
START_TEST(test_dma_qcow2)
{
    BlockBackend *blk;
    BdrvCheckResult res = { 0 };
    Error *err = NULL;
    uint8_t back[128 * 512];
    char *path, *dir;

    teardown();
    setup_fmt("qcow2");
    /* Keep the image past it_free. */
    path = g_ptr_array_steal_index(t->images, 0);
    dir = g_strdup(t->tmpdir);
    it_pattern(t->ram_ptr + BUF, sizeof(back), 11);
    prd(0, BUF, 0x8000, false);
    prd(1, BUF + 0x8000, 0x8000, true);
    dma_cmd(0xca, 1000, 128, false);
    bm_start(false);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    outb(IDE_CMD, 0xe7);
    ck_assert_int_eq(ide_wait_not_busy(IDE_ALTSTATUS), READY_STAT | SEEK_STAT);
    it_free(t);
    t = NULL;
    blk = blk_new_open(path, "qcow2", NULL, false, &err);
    ck_assert_msg(blk, "reopen: %s", err ? error_get_pretty(err) : "?");
    ck_assert_int_eq(blk_pread(blk, 1000 * 512, sizeof(back), back, 0), 0);
    ck_assert_int_eq(bdrv_check(blk_bs(blk), &res, 0), 0);
    ck_assert_int_eq(res.corruptions, 0);
    ck_assert_int_eq(res.leaks, 0);
    blk_unref(blk);
    unlink(path);
    rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

static Suite *dma_suite(void)
{
    Suite *s = suite_create("ide-dma");
    TCase *tc = tcase_create("bmdma");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dma_read);
    tcase_add_test(tc, test_dma_write);
    tcase_add_test(tc, test_dma_lba48);
    tcase_add_test(tc, test_engine_first);
    tcase_add_test(tc, test_no_command_pending);
    tcase_add_test(tc, test_overlong_table);
    tcase_add_test(tc, test_short_table_restart);
    tcase_add_test(tc, test_short_table_srst);
    tcase_add_test(tc, test_endless_table);
    tcase_add_test(tc, test_prd_counts);
    tcase_add_test(tc, test_prd_outside_ram);
    tcase_add_test(tc, test_prd_mmio);
    tcase_add_test(tc, test_bus_master_disabled);
    tcase_add_test(tc, test_reset_during_dma);
    tcase_add_test(tc, test_bmdma_registers);
    tcase_add_test(tc, test_dma_qcow2);
    tcase_add_test(tc, test_polled_completion);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dma_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
