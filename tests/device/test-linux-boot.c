/*
 * The Linux boot protocol loader and the e820 map on crafted images: the
 * setup header checks (version, zImage, no protected-mode part), the
 * placement of the kernel (preferred address, alignment fallback, not
 * relocatable) and of the initrd (below initrd_addr_max and the end of
 * RAM), the command line limit, boot_params as the kernel reads it, and
 * the 32- and 64-bit entry states with the identity page tables.
 */
#include "linux-boot-test.h"

typedef struct FakeKernel {
    uint16_t version;
    uint8_t loadflags, setup_sects, relocatable;
    uint16_t xloadflags;
    uint32_t pm_size, init_size, align, initrd_max, cmdline_size;
    uint64_t pref;
} FakeKernel;

static FakeKernel fake_default(void)
{
    return (FakeKernel){ .version = 0x020f, .loadflags = 1, .setup_sects = 4, .relocatable = 1,
                         .xloadflags = 0x1, .pm_size = 64 << 10, .init_size = 8 << 20,
                         .align = 2 << 20, .initrd_max = 0x7fffffff, .cmdline_size = 255,
                         .pref = 16 << 20 };
}

/* A bzImage: setup sectors with the header, then pm_size bytes of 0xc3. */
static uint8_t *make_kernel(const FakeKernel *f, size_t *len)
{
    size_t setup = (f->setup_sects + 1) * 512;
    uint8_t *k = g_malloc0(setup + f->pm_size);

    k[0x1f1] = f->setup_sects;
    put16(k, 0x1fe, 0xaa55);
    k[0x200] = 0xeb;
    k[0x201] = 0x6a;
    memcpy(k + 0x202, "HdrS", 4);
    put16(k, 0x206, f->version);
    k[0x211] = f->loadflags;
    put32(k, 0x214, 0x100000);
    put32(k, 0x22c, f->initrd_max);
    put32(k, 0x230, f->align);
    k[0x234] = f->relocatable;
    put16(k, 0x236, f->xloadflags);
    put32(k, 0x238, f->cmdline_size);
    put64(k, 0x258, f->pref);
    put32(k, 0x260, f->init_size);
    memset(k + setup, 0xc3, f->pm_size);
    *len = setup + f->pm_size;
    return k;
}

static LinuxBootImage *prepare(const FakeKernel *f, const char *cmdline, size_t initrd_len,
                               Error **errp)
{
    size_t len;
    uint8_t *k = make_kernel(f, &len);
    uint8_t *initrd = initrd_len ? g_malloc(initrd_len) : NULL;

    if (initrd) {
        memset(initrd, 0x5a, initrd_len);
    }
    return linux_boot_prepare("bz", k, len, cmdline, "rd", initrd, initrd_len, &e820, errp);
}

static void expect_error(const FakeKernel *f, const char *cmdline, size_t initrd_len,
                         const char *needle)
{
    Error *err = NULL;
    LinuxBootImage *lb = prepare(f, cmdline, initrd_len, &err);

    ck_assert_ptr_null(lb);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(error_get_pretty(err), needle), "'%s' not in '%s'", needle,
                  error_get_pretty(err));
    error_free(err);
}

START_TEST(test_header_checks)
{
    FakeKernel f = fake_default();
    size_t len;
    uint8_t *k = make_kernel(&f, &len);

    ck_assert(linux_boot_is_bzimage(k, len));
    memcpy(k + 0x202, "HdrX", 4);
    ck_assert(!linux_boot_is_bzimage(k, len));
    g_free(k);

    f.version = 0x0205;
    expect_error(&f, "", 0, "Linux boot protocol 2.05 is too old (duet needs 2.06");
    f = fake_default();
    f.loadflags = 0;
    expect_error(&f, "", 0, "a zImage (loaded low), not a bzImage");
    f = fake_default();
    f.pm_size = 0;
    expect_error(&f, "", 0, "no protected-mode kernel");

    /* syssize says more than the file has: a truncated download */
    f = fake_default();
    size_t len2;
    uint8_t *k2 = make_kernel(&f, &len2);
    Error *err = NULL;
    put32(k2, 0x1f4, (f.pm_size + 4096) / 16);
    ck_assert_ptr_null(linux_boot_prepare("bz", k2, len2, "", NULL, NULL, 0, &e820, &err));
    ck_assert_msg(strstr(error_get_pretty(err), "truncated: the header says 69632 bytes of "
                                                 "protected-mode kernel, the file has 65536"),
                  "%s", error_get_pretty(err));
    error_free(err);
}
END_TEST

START_TEST(test_cmdline_limit)
{
    FakeKernel f = fake_default();
    g_autofree char *line = g_strnfill(256, 'x');
    Error *err = NULL;

    expect_error(&f, line, 0, "the kernel command line is 256 characters, more than the 255");
    line[255] = 0;
    LinuxBootImage *lb = prepare(&f, line, 0, &err);
    ck_assert_ptr_nonnull(lb);
    linux_boot_image_free(lb);
}
END_TEST

START_TEST(test_kernel_placement)
{
    FakeKernel f = fake_default();
    Error *err = NULL;
    LinuxBootImage *lb = prepare(&f, "", 0, &err);

    ck_assert_uint_eq(linux_boot_kernel_addr(lb), 16 << 20); /* pref_address */
    linux_boot_image_free(lb);

    f.pref = 200 << 20; /* not in RAM: the first aligned address from 1 MiB */
    f.align = 4 << 20;
    lb = prepare(&f, "", 0, &err);
    ck_assert_uint_eq(linux_boot_kernel_addr(lb), 4 << 20);
    linux_boot_image_free(lb);

    f = fake_default();
    f.relocatable = 0; /* runs at code32_start */
    lb = prepare(&f, "", 0, &err);
    ck_assert_uint_eq(linux_boot_kernel_addr(lb), 0x100000);
    linux_boot_image_free(lb);

    f = fake_default();
    f.init_size = 200 << 20;
    expect_error(&f, "", 0, "the kernel needs 200 MiB of RAM from 0x200000");
}
END_TEST

START_TEST(test_initrd_placement)
{
    FakeKernel f = fake_default();
    Error *err = NULL;
    LinuxBootImage *lb = prepare(&f, "", 10000, &err);
    uint64_t a;

    /* As high as it fits below the end of RAM, page aligned. */
    a = linux_boot_initrd_addr(lb);
    ck_assert_uint_eq(a, (RAM_SIZE - 10000) & ~0xfffull);
    linux_boot_image_free(lb);

    f.initrd_max = (64 << 20) - 1;
    lb = prepare(&f, "", 10000, &err);
    ck_assert_uint_eq(linux_boot_initrd_addr(lb), ((64 << 20) - 10000) & ~0xfffull);
    linux_boot_image_free(lb);

    /* Between the kernel's end (16 MiB + 8 MiB) and 32 MiB there is no room for 20 MiB. */
    f.initrd_max = (32 << 20) - 1;
    expect_error(&f, "", 20 << 20, "-initrd rd: 20 MiB does not fit between the kernel's end");
}
END_TEST

START_TEST(test_boot_params)
{
    FakeKernel f = fake_default();
    Error *err = NULL;
    CPUX86State env = { 0 };
    LinuxBootImage *lb = prepare(&f, "console=ttyS0", 4096, &err);
    const uint8_t *bp = ram + LINUX_BOOT_PARAMS_ADDR;

    linux_boot_load(lb, ram, &env);
    ck_assert_uint_eq(get16(bp, 0x1fe), 0xaa55);
    ck_assert(!memcmp(bp + 0x202, "HdrS", 4));
    ck_assert_uint_eq(get16(bp, 0x206), 0x020f);
    ck_assert_uint_eq(bp[0x1ef], 0);    /* sentinel */
    ck_assert_uint_eq(bp[0x210], 0xff); /* type_of_loader */
    ck_assert_uint_eq(get32(bp, 0x214), 16 << 20);
    ck_assert_uint_eq(get32(bp, 0x228), LINUX_BOOT_CMDLINE_ADDR);
    ck_assert_str_eq((char *)ram + LINUX_BOOT_CMDLINE_ADDR, "console=ttyS0");
    ck_assert_uint_eq(get32(bp, 0x218), linux_boot_initrd_addr(lb));
    ck_assert_uint_eq(get32(bp, 0x21c), 4096);
    ck_assert_uint_eq(ram[linux_boot_initrd_addr(lb)], 0x5a);
    ck_assert_uint_eq(ram[linux_boot_kernel_addr(lb)], 0xc3);
    ck_assert_uint_eq(get32(bp, 0x1e0), (RAM_SIZE - MiB) / 1024); /* alt_mem_k */
    ck_assert_uint_eq(bp[0x1e8], e820.count);
    for (unsigned i = 0; i < e820.count; i++) {
        const uint8_t *e = bp + 0x2d0 + 20 * i;
        ck_assert_uint_eq(get64(e, 0), e820.entry[i].addr);
        ck_assert_uint_eq(get64(e, 8), e820.entry[i].size);
        ck_assert_uint_eq(get32(e, 16), e820.entry[i].type);
    }
    linux_boot_image_free(lb);
}
END_TEST

START_TEST(test_entry_state)
{
    FakeKernel f = fake_default();
    Error *err = NULL;
    CPUX86State env = { 0 };
    LinuxBootImage *lb = prepare(&f, "", 0, &err);
    const uint8_t *pml4 = ram + LINUX_BOOT_PML4_ADDR;

    /* 64-bit entry: long mode, paging over an identity map of 4 GiB. */
    linux_boot_load(lb, ram, &env);
    ck_assert_uint_eq(env.eip, (16 << 20) + 0x200);
    ck_assert_uint_eq(env.regs[R_ESI], LINUX_BOOT_PARAMS_ADDR);
    ck_assert_uint_eq(env.segs[R_CS].selector, 0x10);
    ck_assert(env.segs[R_CS].flags & DESC_L_MASK);
    ck_assert_uint_eq(env.segs[R_SS].selector, 0x18);
    ck_assert_uint_eq(env.cr[0] & (CR0_PE_MASK | CR0_PG_MASK), CR0_PE_MASK | CR0_PG_MASK);
    ck_assert_uint_eq(env.cr[3], LINUX_BOOT_PML4_ADDR);
    ck_assert(env.cr[4] & CR4_PAE_MASK);
    ck_assert_uint_eq(env.efer & (MSR_EFER_LME | MSR_EFER_LMA), MSR_EFER_LME | MSR_EFER_LMA);
    ck_assert_uint_eq(env.eflags & IF_MASK, 0);
    ck_assert_uint_eq(get64(pml4, 0) & ~0xfffull, LINUX_BOOT_PML4_ADDR + 0x1000);
    for (unsigned gib = 0; gib < 4; gib++) {
        uint64_t pdpte = get64(ram + LINUX_BOOT_PML4_ADDR + 0x1000, gib * 8);
        uint64_t pde = get64(ram + (pdpte & ~0xfffull), 511 * 8);
        ck_assert_uint_eq(pde, ((uint64_t)gib << 30) + (511ull << 21) + 0x83);
    }
    ck_assert_uint_eq(get64(ram + LINUX_BOOT_GDT_ADDR, 16), 0x00af9b000000ffffull);
    linux_boot_image_free(lb);

    /* No 64-bit entry: flat 32-bit protected mode at code32_start, no paging. */
    memset(&env, 0, sizeof(env));
    f.xloadflags = 0;
    lb = prepare(&f, "", 0, &err);
    linux_boot_load(lb, ram, &env);
    ck_assert_uint_eq(env.eip, 16 << 20);
    ck_assert(!(env.segs[R_CS].flags & DESC_L_MASK));
    ck_assert(env.segs[R_CS].flags & DESC_B_MASK);
    ck_assert_uint_eq(env.cr[0] & CR0_PG_MASK, 0);
    ck_assert_uint_eq(env.efer, 0);
    ck_assert_uint_eq(get64(ram + LINUX_BOOT_GDT_ADDR, 16), 0x00cf9b000000ffffull);
    linux_boot_image_free(lb);
}
END_TEST

START_TEST(test_e820)
{
    E820Table t = { 0 };

    e820_build_pc(&t, 64 << 20, 1 << 30);
    ck_assert(e820_is_ram(&t, 0, 0x9fc00));
    ck_assert(!e820_is_ram(&t, 0x9fc00, 1));
    ck_assert(e820_is_ram(&t, 1 << 20, (64 << 20) - (1 << 20)));
    ck_assert(e820_is_ram(&t, 1ull << 32, 1 << 30));
    ck_assert_uint_eq(e820_ram_end_below_4g(&t), 64 << 20);
    /* Carving a range out of RAM splits it; adding it back merges. */
    ck_assert(e820_add_entry(&t, 32 << 20, 1 << 20, E820_ACPI));
    ck_assert(!e820_is_ram(&t, (32 << 20) - 4096, 8192));
    ck_assert(e820_is_ram(&t, 33 << 20, 1 << 20));
    unsigned count = t.count;
    ck_assert(e820_add_entry(&t, 32 << 20, 1 << 20, E820_RAM));
    ck_assert_uint_eq(t.count, count - 2);
    ck_assert(e820_is_ram(&t, 1 << 20, (64 << 20) - (1 << 20)));
    for (unsigned i = 1; i < t.count; i++) {
        ck_assert(t.entry[i - 1].addr + t.entry[i - 1].size <= t.entry[i].addr);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linux-boot");
    TCase *tc = tcase_create("loader");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_header_checks);
    tcase_add_test(tc, test_cmdline_limit);
    tcase_add_test(tc, test_kernel_placement);
    tcase_add_test(tc, test_initrd_placement);
    tcase_add_test(tc, test_boot_params);
    tcase_add_test(tc, test_entry_state);
    tcase_add_test(tc, test_e820);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
