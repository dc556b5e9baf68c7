/*
 * PCI configuration through 0xcf8/0xcfc: the pc machine's IDs, BAR
 * sizing, moving BAR4, I/O decode and IDETIM gating the ports, resets,
 * and pc_pci_ide_init as the board calls it.
 */
#include "ide-harness.h"

#include "hw/i386/pc_piix.h"
#include "hw/irq.h"
#include "sysemu/runstate.h"

static IDETest *t;

static void setup(void)
{
    Error *err = NULL;
    g_autofree char *opt = NULL;
    const char *img;

    t = it_new();
    img = it_image(t, "disk.raw", "raw", 1 << 20);
    opt = g_strdup_printf("file=%s,index=0", img);
    ck_assert(it_drives(t, &err, opt, NULL));
}

static void teardown(void)
{
    it_free(t);
}

START_TEST(test_ids)
{
    it_firmware(t);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(0, 0), 0, 4), 0x12378086);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(0, 0), 0x08, 4) >> 8, 0x060000);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0, 4), 0x70008086);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0x0a, 2), 0x0601);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0x0e, 1), 0x80); /* multi-function */
    /* PIRQA-D routed to IRQ 10, 10, 11, 11, as SeaBIOS leaves them */
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0x60, 4), 0x0b0b0a0a);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0, 4), 0x70108086);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x08, 4), 0x01018000);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x09, 1), 0x80);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x0e, 1), 0x00);
    /* Empty slots and functions, other buses: all-ones. */
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(2, 0), 0, 4), 0xffffffff);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 2), 0, 2), 0xffff);
    outl(0xcf8, 0x80010000);
    ck_assert_uint_eq(inl(0xcfc), 0xffffffff);
    /* Enable bit clear: not a configuration cycle. */
    outl(0xcf8, 0x00000000);
    ck_assert_uint_eq(inl(0xcfc), 0xffffffff);
    /* CONFIG_ADDRESS: dword only, low bits read as 0. */
    outl(0xcf8, 0x80000807);
    ck_assert_uint_eq(inl(0xcf8), 0x80000804);
    outb(0xcfb, 0x01);
    ck_assert_uint_eq(inl(0xcf8), 0x80000804);
    /* Byte and word reads at odd data-port offsets. */
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x02, 2), 0x7010);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x03, 1), 0x70);
}
END_TEST

START_TEST(test_bar_sizing_and_move)
{
    uint32_t bar;

    it_firmware(t);
    ck_assert_uint_eq(t->bmdma, 0xc000);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_COMMAND, 2) & 5, 5);
    /* BARs 0-3 are not implemented on the PIIX3 (legacy mode only). */
    for (int i = 0; i < 4; i++) {
        pci_cfg_write(IT_IDE_DEVFN, 0x10 + 4 * i, 0xffffffff, 4);
        ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x10 + 4 * i, 4), 0);
    }
    /* Sizing BAR4: 16 bytes of I/O. */
    bar = pci_cfg_read(IT_IDE_DEVFN, 0x20, 4);
    pci_cfg_write(IT_IDE_DEVFN, 0x20, 0xffffffff, 4);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x20, 4), 0xfffffff1);
    ck_assert_uint_eq(inb(0xc002), 0xff); /* unmapped while sizing */
    pci_cfg_write(IT_IDE_DEVFN, 0x20, bar, 4);
    outl(0xc004, 0x2000);
    ck_assert_uint_eq(inl(0xc004), 0x2000);
    /* Move it. */
    pci_cfg_write(IT_IDE_DEVFN, 0x20, 0xd000, 4);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x20, 4), 0xd001);
    ck_assert_uint_eq(inl(0xc004), 0xffffffff);
    ck_assert_uint_eq(inl(0xd004), 0x2000);
    /* Write to the word holding the base only. */
    pci_cfg_write(IT_IDE_DEVFN, 0x20, 0xd100, 2);
    ck_assert_uint_eq(inl(0xd104), 0x2000);
    ck_assert_uint_eq(inl(0xd004), 0xffffffff);
}
END_TEST

START_TEST(test_io_decode)
{
    it_firmware(t);
    ck_assert_uint_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    /* Command register: only I/O and bus master are writable. */
    pci_cfg_write(IT_IDE_DEVFN, PCI_COMMAND, 0xffff, 2);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_COMMAND, 2), 0x0005);
    /* I/O decode off: BAR4 and the legacy ports are gone. */
    pci_cfg_write(IT_IDE_DEVFN, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    ck_assert_uint_eq(inb(IDE_STATUS), 0xff);
    ck_assert_uint_eq(inb(IDE_ALTSTATUS), 0xff);
    ck_assert_uint_eq(inb(t->bmdma + 2), 0xff);
    outb(IDE_CMD, 0xec); /* goes nowhere */
    ck_assert_int_eq(t->irq_raises[0], 0);
    pci_cfg_write(IT_IDE_DEVFN, PCI_COMMAND, PCI_COMMAND_MASTER | PCI_COMMAND_IO, 2);
    ck_assert_uint_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    ck_assert_uint_eq(inb(t->bmdma + 2) & 0x20, 0x20);
    /* IDETIM decode enable gates each channel's legacy ports. */
    pci_cfg_write(IT_IDE_DEVFN, 0x40, 0x0000, 2);
    ck_assert_uint_eq(inb(IDE_STATUS), 0xff);
    ck_assert_uint_eq(inb(0x177), 0x7f); /* channel 1 still decoded (and empty) */
    pci_cfg_write(IT_IDE_DEVFN, 0x41, 0x80, 1);
    ck_assert_uint_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
}
END_TEST

START_TEST(test_reset_state)
{
    /* Power-on: nothing decoded until firmware runs. */
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_COMMAND, 2), 0);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x20, 4), 0x1);
    ck_assert_uint_eq(inb(IDE_STATUS), 0xff);
    it_firmware(t);
    ck_assert_uint_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
    pci_cfg_write(PCI_DEVFN(1, 0), 0x60, 0x0b, 1);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0x60, 1), 0x0b);
    pci_cfg_write(PCI_DEVFN(0, 0), 0x59, 0x30, 1);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(0, 0), 0x59, 1), 0x30);
    /* Read-only header fields stay. */
    pci_cfg_write(IT_IDE_DEVFN, 0, 0, 4);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0, 4), 0x70108086);
    pci_bus_reset(t->bus);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0x60, 1), 0x80);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(0, 0), 0x59, 1), 0x00);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0x20, 4), 0x1);
    ck_assert_uint_eq(inb(IDE_STATUS), 0xff);
    ck_assert_uint_eq(inb(0xc002), 0xff);
    it_firmware(t);
    ck_assert_uint_eq(inb(IDE_STATUS), READY_STAT | SEEK_STAT);
}
END_TEST

static int board_irq_level[16];

static void board_irq(void *opaque, int n, int level)
{
    board_irq_level[n] = level;
}

/* What the board does: pc_pci_ide_init with -drive strings, then resets.
 * Its devices live as long as the process, like the machine's. */
START_TEST(test_pc_pci_ide_init)
{
    MachineState ms = { 0 };
    PCIIDEState *ide;
    PCPIIXState *piix;
    qemu_irq irqs[16];
    Error *err = NULL;
    char *tmpdir = g_dir_make_tmp("duet-pcpiix-XXXXXX", NULL);
    char *img = g_build_filename(tmpdir, "d.raw", NULL);
    BlockCreateOpts opts = { .filename = img, .size = 1 << 20 };

    it_memory_init();
    ck_assert(bdrv_create(bdrv_find_format("raw"), &opts, &err));
    for (int i = 0; i < 16; i++) {
        irqs[i] = qemu_allocate_irq(board_irq, NULL, i);
    }
    ms.drive_opts = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(ms.drive_opts, g_strdup_printf("file=%s,index=3,if=ide", img));
    /* A bad drive fails cleanly, leaving nothing mapped. */
    g_ptr_array_add(ms.drive_opts, g_strdup("file=/nonexistent,index=0"));
    ck_assert(!pc_pci_ide_init(&ms, irqs, &ide, &piix, &err));
    ck_assert_ptr_nonnull(err);
    error_free(err);
    err = NULL;
    ck_assert_uint_eq(inl(0xcf8), 0xffffffff);
    g_ptr_array_remove_index(ms.drive_opts, 1);

    ck_assert(pc_pci_ide_init(&ms, irqs, &ide, &piix, &err));
    pc_pci_firmware_init(piix);
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, 0, 4), 0x70108086);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(0, 0), 0, 4), 0x12378086);
    ck_assert_uint_eq(pci_cfg_read(PCI_DEVFN(1, 0), 0, 4), 0x70008086);
    /* The drive is the secondary slave, on IRQ 15. */
    outb(0x176, 0xb0);
    outb(0x177, 0xe5);
    ck_assert_uint_eq(inb(0x376), READY_STAT | SEEK_STAT);
    ck_assert_int_eq(board_irq_level[15], 1);
    inb(0x177);
    ck_assert_int_eq(board_irq_level[15], 0);
    /* A system reset restores the firmware state. */
    pci_cfg_write(IT_IDE_DEVFN, PCI_COMMAND, 0, 2);
    ck_assert_uint_eq(inb(0x376), 0xff);
    qemu_devices_reset();
    ck_assert_uint_eq(pci_cfg_read(IT_IDE_DEVFN, PCI_COMMAND, 2), 0x5);
    ck_assert_uint_eq(inb(0x376), 0x00); /* reset selects the absent master */
    outb(0x176, 0xb0);
    ck_assert_uint_eq(inb(0x376), READY_STAT | SEEK_STAT);
    g_ptr_array_free(ms.drive_opts, true);
    for (int i = 0; i < 14; i++) {
        qemu_free_irq(irqs[i]); /* 14 and 15 now belong to the IDE channels */
    }
    unlink(img);
    rmdir(tmpdir);
    g_free(img);
    g_free(tmpdir);
}
END_TEST

static Suite *pci_suite(void)
{
    Suite *s = suite_create("ide-pci");
    TCase *tc = tcase_create("pci");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_ids);
    tcase_add_test(tc, test_bar_sizing_and_move);
    tcase_add_test(tc, test_io_decode);
    tcase_add_test(tc, test_reset_state);
    suite_add_tcase(s, tc);
    tc = tcase_create("board");
    tcase_add_test(tc, test_pc_pci_ide_init);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pci_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
