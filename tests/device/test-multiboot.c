/*
 * The Multiboot v1 loader on crafted files: ELF and a.out-kludge kernels,
 * command line and modules in the information block, the memory map, the
 * CPU entry state, and the errors for files it must refuse.
 */
#include <elf.h>
#include <glib/gstdio.h>
#include <string.h>

#include "device-test.h"
#include "hw/i386/multiboot.h"

#define RAM_SIZE (8 << 20)

static char *tmpdir;
static uint8_t *ram;

static void setup(void)
{
    tmpdir = g_dir_make_tmp("duet-mb-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
    ram = g_malloc0(RAM_SIZE);
}

static void teardown(void)
{
    g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
    g_free(ram);
}

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);

    ck_assert(g_file_set_contents(path, data, len, NULL));
    return path;
}

static void put_header(uint8_t *buf, size_t off, uint32_t flags)
{
    uint32_t hdr[3] = { MULTIBOOT_HEADER_MAGIC, flags, -(MULTIBOOT_HEADER_MAGIC + flags) };

    memcpy(buf + off, hdr, sizeof(hdr));
}

/* An ELF32 file: one PT_LOAD of @filesz bytes (of 0xcc) at @paddr, @memsz in memory. */
static size_t make_elf(uint8_t *buf, uint32_t paddr, uint32_t filesz, uint32_t memsz)
{
    Elf32_Ehdr eh = { 0 };
    Elf32_Phdr ph = { 0 };
    size_t data_off = 0x1000;

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = paddr + 0x10;
    eh.e_phoff = sizeof(eh);
    eh.e_ehsize = sizeof(eh);
    eh.e_phentsize = sizeof(ph);
    eh.e_phnum = 1;
    ph.p_type = PT_LOAD;
    ph.p_offset = data_off;
    ph.p_vaddr = ph.p_paddr = paddr;
    ph.p_filesz = filesz;
    ph.p_memsz = memsz;
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), &ph, sizeof(ph));
    memset(buf + data_off, 0xcc, filesz);
    put_header(buf, data_off, 0x00000003);
    return data_off + filesz;
}

static uint32_t ram_l(uint32_t addr)
{
    uint32_t v;

    memcpy(&v, ram + addr, 4);
    return v;
}

START_TEST(test_elf_load_and_info)
{
    static uint8_t buf[0x3000];
    size_t len = make_elf(buf, 0x100000, 0x800, 0x2000);
    g_autofree char *kernel = write_file("kernel.elf", buf, len);
    g_autofree char *mod1 = write_file("m1", "module-one", 10);
    g_autofree char *mod2 = write_file("m2", "two", 3);
    g_autofree char *initrd = g_strdup_printf("%s a,,b c,%s", mod1, mod2);
    Error *err = NULL;
    CPUX86State env = { 0 };
    MultibootImage *mb;
    uint32_t mbi, mods, mmap;

    memset(ram + 0x100800, 0x55, 0x1800); /* bss must be cleared */
    mb = multiboot_prepare(kernel, "console=ttyS0", initrd, RAM_SIZE, 0, &err);
    ck_assert_msg(mb, "%s", err ? error_get_pretty(err) : "");
    multiboot_load(mb, ram, &env);

    ck_assert_int_eq(ram[0x100000 + 12], 0xcc);
    ck_assert_int_eq(ram[0x1007ff], 0xcc);
    ck_assert_int_eq(ram[0x100800], 0);
    ck_assert_int_eq(ram[0x101fff], 0);
    ck_assert_uint_eq(env.regs[R_EAX], MULTIBOOT_BOOTLOADER_MAGIC);
    ck_assert_uint_eq(env.eip, 0x100010);
    ck_assert_uint_eq(env.cr[0] & (CR0_PE_MASK | CR0_PG_MASK), CR0_PE_MASK);
    ck_assert_uint_eq(env.eflags & IF_MASK, 0);
    ck_assert_uint_eq(env.segs[R_CS].limit, 0xffffffff);
    ck_assert(env.segs[R_CS].flags & DESC_B_MASK);
    ck_assert_uint_eq(env.segs[R_DS].base, 0);

    mbi = env.regs[R_EBX];
    ck_assert_uint_eq(mbi, multiboot_info_addr(mb));
    ck_assert_uint_eq(ram_l(mbi + 0) & 0x24d, 0x24d); /* mem, cmdline, mods, mmap, name */
    ck_assert_uint_eq(ram_l(mbi + 4), 639);
    ck_assert_uint_eq(ram_l(mbi + 8), (RAM_SIZE - 0x100000) / 1024);
    ck_assert(g_str_has_suffix((char *)ram + ram_l(mbi + 16), "kernel.elf console=ttyS0"));
    ck_assert_str_eq((char *)ram + ram_l(mbi + 64), "duet");

    ck_assert_uint_eq(ram_l(mbi + 20), 2);
    mods = ram_l(mbi + 24);
    ck_assert_uint_eq(ram_l(mods) & 0xfff, 0);
    ck_assert_uint_ge(ram_l(mods), 0x102000);          /* past the kernel's bss */
    ck_assert_uint_eq(ram_l(mods + 4) - ram_l(mods), 10);
    ck_assert(memcmp(ram + ram_l(mods), "module-one", 10) == 0);
    ck_assert(g_str_has_suffix((char *)ram + ram_l(mods + 8), "m1 a,b c"));
    ck_assert_uint_eq(ram_l(mods + 16) & 0xfff, 0);
    ck_assert(memcmp(ram + ram_l(mods + 16), "two", 3) == 0);

    mmap = ram_l(mbi + 48);
    /* The pc e820: low RAM, EBDA, BIOS area, RAM, IOAPIC, LAPIC, BIOS ROM. */
    ck_assert_uint_eq(ram_l(mbi + 44), 7 * 24);
    ck_assert_uint_eq(ram_l(mmap), 20);                 /* size of the rest */
    ck_assert_uint_eq(ram_l(mmap + 12), 0x9fc00);       /* length, low half */
    ck_assert_uint_eq(ram_l(mmap + 20), 1);
    ck_assert_uint_eq(ram_l(mmap + 3 * 24 + 4), 0x100000);
    ck_assert_uint_eq(ram_l(mmap + 3 * 24 + 12), RAM_SIZE - 0x100000);
    ck_assert_uint_eq(ram_l(mmap + 4 * 24 + 4), 0xfec00000);
    ck_assert_uint_eq(ram_l(mmap + 4 * 24 + 20), 2);
    multiboot_image_free(mb);
}
END_TEST

START_TEST(test_aout_kludge)
{
    static uint8_t buf[0x2000];
    uint32_t fields[5] = {
        0x200000 + 0x40,   /* header_addr: the header is at file offset 0x40 */
        0x200000,          /* load_addr: file offset 0 */
        0x200000 + 0x1000, /* load_end_addr */
        0x200000 + 0x3000, /* bss_end_addr */
        0x200080,          /* entry_addr */
    };
    g_autofree char *kernel = NULL;
    Error *err = NULL;
    CPUX86State env = { 0 };
    MultibootImage *mb;

    memset(buf, 0x11, sizeof(buf));
    put_header(buf, 0x40, 0x00010000);
    memcpy(buf + 0x4c, fields, sizeof(fields));
    kernel = write_file("aout.bin", buf, sizeof(buf));
    memset(ram + 0x201000, 0x55, 0x2000);
    mb = multiboot_prepare(kernel, "", NULL, RAM_SIZE, 0, &err);
    ck_assert_msg(mb, "%s", err ? error_get_pretty(err) : "");
    multiboot_load(mb, ram, &env);
    ck_assert_uint_eq(env.eip, 0x200080);
    ck_assert_int_eq(ram[0x200000], 0x11);
    ck_assert_int_eq(ram[0x200fff], 0x11);
    ck_assert_int_eq(ram[0x201000], 0);   /* only load_end - load_addr bytes loaded */
    ck_assert_int_eq(ram[0x202fff], 0);   /* bss */
    ck_assert_int_eq(ram[0x203000], 0);
    multiboot_image_free(mb);
}
END_TEST

static void expect_error(const char *name, const void *data, size_t len, const char *needle)
{
    g_autofree char *kernel = write_file(name, data, len);
    Error *err = NULL;
    MultibootImage *mb = multiboot_prepare(kernel, "", NULL, RAM_SIZE, 0, &err);

    ck_assert_ptr_null(mb);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(error_get_pretty(err), needle), "'%s' lacks '%s'",
                  error_get_pretty(err), needle);
    error_free(err);
}

START_TEST(test_refusals)
{
    static uint8_t buf[0x3000];
    size_t len;
    Elf32_Phdr ph;

    memset(buf, 0, sizeof(buf));
    expect_error("plain", buf, sizeof(buf), "neither a Linux kernel (bzImage) nor a Multiboot kernel (no Multiboot header in the first 8 KiB)");

    /* header past 8 KiB */
    put_header(buf, 0x2000, 0);
    expect_error("late", buf, sizeof(buf), "nor a Multiboot kernel");

    /* an unknown required feature */
    memset(buf, 0, sizeof(buf));
    put_header(buf, 0, 0x00000008);
    expect_error("feature", buf, 64, "requires features");

    /* not ELF, no kludge */
    memset(buf, 0, sizeof(buf));
    put_header(buf, 0, 0);
    expect_error("notelf", buf, 64, "not ELF");

    /* program headers past the end of the file */
    len = make_elf(buf, 0x100000, 0x100, 0x100);
    {
        uint32_t phoff = len - 8;
        memcpy(buf + offsetof(Elf32_Ehdr, e_phoff), &phoff, 4);
    }
    expect_error("trunc-ph", buf, len, "truncated ELF");
    /* segment data past the end of the file */
    expect_error("trunc-seg", buf, len - 1, "truncated ELF");

    /* segment outside RAM */
    len = make_elf(buf, RAM_SIZE - 0x80, 0x100, 0x100);
    expect_error("outside", buf, len, "outside RAM");

    /* memory size wrapping around 4 GiB */
    len = make_elf(buf, 0x100000, 0x100, 0xfffffff0);
    expect_error("wrap", buf, len, "outside RAM");

    /* filesz > memsz */
    len = make_elf(buf, 0x100000, 0x100, 0x100);
    memcpy(&ph, buf + sizeof(Elf32_Ehdr), sizeof(ph));
    ph.p_memsz = 0x80;
    memcpy(buf + sizeof(Elf32_Ehdr), &ph, sizeof(ph));
    expect_error("filesz", buf, len, "truncated ELF");

    /* a.out kludge with header_addr below load_addr */
    memset(buf, 0, sizeof(buf));
    put_header(buf, 0x40, 0x00010000);
    {
        uint32_t f[5] = { 0x100000, 0x100100, 0, 0, 0x100100 };
        memcpy(buf + 0x4c, f, sizeof(f));
    }
    expect_error("aout", buf, 0x1000, "do not match");
}
END_TEST

START_TEST(test_missing_files)
{
    Error *err = NULL;
    static uint8_t buf[0x2000];
    size_t len = make_elf(buf, 0x100000, 0x100, 0x100);
    g_autofree char *kernel = write_file("k", buf, len);

    ck_assert_ptr_null(multiboot_prepare("/nonexistent/kernel", "", NULL, RAM_SIZE, 0, &err));
    ck_assert(strstr(error_get_pretty(err), "/nonexistent/kernel"));
    error_free(err);
    err = NULL;
    ck_assert_ptr_null(multiboot_prepare(kernel, "", "/nonexistent/mod args", RAM_SIZE, 0,
                                         &err));
    ck_assert(strstr(error_get_pretty(err), "-initrd /nonexistent/mod: No such file"));
    error_free(err);
}
END_TEST

START_TEST(test_low_kernel_moves_info)
{
    static uint8_t buf[0x3000];
    size_t len = make_elf(buf, 0x8000, 0x1000, 0x10000); /* covers 0x9000 */
    g_autofree char *kernel = write_file("low", buf, len);
    Error *err = NULL;
    MultibootImage *mb = multiboot_prepare(kernel, "", NULL, RAM_SIZE, 0, &err);

    ck_assert_msg(mb, "%s", err ? error_get_pretty(err) : "");
    ck_assert_uint_ge(multiboot_info_addr(mb), 0x18000);
    multiboot_image_free(mb);
}
END_TEST

static Suite *multiboot_suite(void)
{
    Suite *s = suite_create("multiboot");
    TCase *tc = tcase_create("loader");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_elf_load_and_info);
    tcase_add_test(tc, test_aout_kludge);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_missing_files);
    tcase_add_test(tc, test_low_kernel_moves_info);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    device_test_init();
    return device_test_run(multiboot_suite());
}
