/*
 * -kernel with the compressed kernel unpacked on the host
 * (linux_boot_unpack_kernel): crafted bzImages whose payload is a small
 * ELF vmlinux compressed with XZ or gzip.  Checked: the segments land at
 * their p_paddr (the preferred address), the bytes past p_filesz are
 * zeroed even over old RAM contents (a reset), the entry is the ELF entry
 * in the mode the ELF class says; the cases that must keep the in-guest
 * decompressor (another compression, a kernel not at its preferred
 * address, protocol 2.09); and the corrupt ones that must be an error
 * (truncated or damaged payload, an ELF that does not match the header,
 * segments outside init_size or the file).
 */
#include <elf.h>
#include <lzma.h>
#include <zlib.h>

#include "linux-boot-test.h"

#define PREF (16 * MiB)
#define SETUP_SECTS 4
#define PM_OFFSET ((SETUP_SECTS + 1) * 512)

typedef enum { COMP_XZ, COMP_GZIP, COMP_NONE } Comp;

typedef struct Fake {
    bool is64;             /* ELF class and the header's XLF_KERNEL_64 */
    bool elf64_hdr_32;     /* header says 64-bit, ELF is 32-bit */
    Comp comp;
    uint16_t version;
    uint64_t pref;         /* the header's pref_address */
    uint64_t seg2_paddr;   /* the second (bss-carrying) segment */
    uint64_t seg2_filesz;  /* bytes of the second segment in the file */
    uint64_t entry;
    bool cut_payload;      /* payload truncated in the middle */
    bool flip_payload;     /* one byte of compressed data damaged */
} Fake;

static Fake fake_default(bool is64, Comp comp)
{
    return (Fake){ .is64 = is64, .comp = comp, .version = 0x020f, .pref = PREF,
                   .seg2_paddr = PREF + MiB, .seg2_filesz = 0x100, .entry = PREF + 0x40 };
}

/*
 * vmlinux: ELF header, two PT_LOAD segments: 8 KiB of 0x11 at the
 * preferred address, then seg2_filesz bytes of 0x22 followed by 64 KiB of
 * bss at seg2_paddr.
 */
static uint8_t *make_elf(const Fake *f, size_t *len)
{
    bool cls64 = f->is64 && !f->elf64_hdr_32;
    size_t ehsize = cls64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t phsize = cls64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    size_t off1 = 0x1000, off2 = 0x3000;
    uint8_t *e = g_malloc0(off2 + f->seg2_filesz);
    uint64_t paddr[2] = { PREF, f->seg2_paddr }, offs[2] = { off1, off2 };
    uint64_t filesz[2] = { 0x2000, f->seg2_filesz }, memsz[2] = { 0x2000,
                                                                    f->seg2_filesz + 0x10000 };

    memcpy(e, ELFMAG, SELFMAG);
    e[EI_CLASS] = cls64 ? ELFCLASS64 : ELFCLASS32;
    e[EI_DATA] = ELFDATA2LSB;
    e[EI_VERSION] = EV_CURRENT;
    if (cls64) {
        Elf64_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                         .e_entry = f->entry, .e_phoff = ehsize, .e_ehsize = ehsize,
                         .e_phentsize = phsize, .e_phnum = 2 };
        memcpy(h.e_ident, e, EI_NIDENT);
        memcpy(e, &h, sizeof(h));
        for (int i = 0; i < 2; i++) {
            Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = offs[i], .p_vaddr = paddr[i] +
                              0xffffffff80000000ull, .p_paddr = paddr[i], .p_filesz = filesz[i],
                              .p_memsz = memsz[i] };
            memcpy(e + ehsize + i * phsize, &ph, sizeof(ph));
        }
    } else {
        Elf32_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
                         .e_entry = f->entry, .e_phoff = ehsize, .e_ehsize = ehsize,
                         .e_phentsize = phsize, .e_phnum = 2 };
        memcpy(h.e_ident, e, EI_NIDENT);
        memcpy(e, &h, sizeof(h));
        for (int i = 0; i < 2; i++) {
            Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = offs[i], .p_vaddr = paddr[i] +
                              0xc0000000u, .p_paddr = paddr[i], .p_filesz = filesz[i],
                              .p_memsz = memsz[i] };
            memcpy(e + ehsize + i * phsize, &ph, sizeof(ph));
        }
    }
    memset(e + off1, 0x11, 0x2000);
    memset(e + off2, 0x22, f->seg2_filesz);
    *len = off2 + f->seg2_filesz;
    return e;
}

static uint8_t *compress_payload(Comp comp, const uint8_t *in, size_t len, size_t *out_len)
{
    size_t cap = len + len / 2 + 4096;
    uint8_t *out = g_malloc(cap);

    if (comp == COMP_XZ) {
        size_t pos = 0;
        ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out,
                                                 &pos, cap), LZMA_OK);
        *out_len = pos;
    } else if (comp == COMP_GZIP) {
        z_stream zs = { 0 };
        ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                      Z_DEFAULT_STRATEGY), Z_OK);
        zs.next_in = (Bytef *)in;
        zs.avail_in = len;
        zs.next_out = out;
        zs.avail_out = cap;
        ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
        *out_len = zs.total_out;
        deflateEnd(&zs);
    } else {
        /* An LZ4 legacy frame's magic: a compression duet leaves to the guest. */
        memcpy(out, "\x02\x21\x4c\x18", 4);
        memset(out + 4, 0, 60);
        *out_len = 64;
    }
    return out;
}

/* A bzImage: setup sectors, 0x100 bytes of "decompressor", the payload
 * and its 4-byte size trailer (as the kernel's build appends it). */
static uint8_t *make_kernel(const Fake *f, size_t *len)
{
    size_t elf_len, pay_len;
    g_autofree uint8_t *elf = make_elf(f, &elf_len);
    g_autofree uint8_t *pay = compress_payload(f->comp, elf, elf_len, &pay_len);
    size_t pm = 0x100 + pay_len + 4;
    uint8_t *k = g_malloc0(PM_OFFSET + pm);

    if (f->flip_payload) {
        pay[pay_len / 2] ^= 0x55;
    }
    k[0x1f1] = SETUP_SECTS;
    put16(k, 0x1fe, 0xaa55);
    k[0x200] = 0xeb;
    k[0x201] = 0x6a;
    memcpy(k + 0x202, "HdrS", 4);
    put16(k, 0x206, f->version);
    k[0x211] = 1;
    put32(k, 0x214, 0x100000);
    put32(k, 0x22c, 0x7fffffff);
    put32(k, 0x230, 2 * MiB);
    k[0x234] = 1;
    put16(k, 0x236, f->is64 ? 1 : 0);
    put32(k, 0x238, 255);
    put32(k, 0x248, 0x100);
    put32(k, 0x24c, f->cut_payload ? pay_len / 2 : pay_len + 4);
    put64(k, 0x258, f->pref);
    put32(k, 0x260, 8 * MiB);
    memset(k + PM_OFFSET, 0xc3, 0x100);
    memcpy(k + PM_OFFSET + 0x100, pay, pay_len);
    put32(k, PM_OFFSET + 0x100 + pay_len, elf_len);
    *len = PM_OFFSET + pm;
    return k;
}

/* Prepared and unpacked; NULL with @err set when either step refused. */
static LinuxBootImage *prepare(const Fake *f, Error **errp)
{
    size_t len;
    uint8_t *k = make_kernel(f, &len);
    LinuxBootImage *lb = linux_boot_prepare("bz", k, len, "", NULL, NULL, 0, &e820, errp);

    if (lb && !linux_boot_unpack_kernel(lb, "bz", &e820, errp)) {
        linux_boot_image_free(lb);
        return NULL;
    }
    return lb;
}

static void expect_error(const Fake *f, const char *needle)
{
    Error *err = NULL;
    LinuxBootImage *lb = prepare(f, &err);

    ck_assert_ptr_null(lb);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(error_get_pretty(err), needle), "'%s' not in '%s'", needle,
                  error_get_pretty(err));
    error_free(err);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static void check_unpacked(Comp comp, bool is64)
{
    Fake f = fake_default(is64, comp);
    Error *err = NULL;
    CPUX86State env = { 0 };
    LinuxBootImage *lb = prepare(&f, &err);

    ck_assert_msg(lb, "%s", err ? error_get_pretty(err) : "");
    ck_assert(linux_boot_is_unpacked(lb));
    /* Old contents where the bss goes: a reset must not leave them. */
    memset(ram + PREF + MiB, 0xee, 0x20000);
    linux_boot_load(lb, ram, &env);
    ck_assert(all_bytes(ram + PREF, 0x2000, 0x11));
    ck_assert(all_bytes(ram + PREF + MiB, 0x100, 0x22));
    ck_assert(all_bytes(ram + PREF + MiB + 0x100, 0x10000, 0));
    ck_assert(all_bytes(ram + PREF + MiB + 0x10100, 0x100, 0xee)); /* past memsz: untouched */
    ck_assert(all_bytes(ram + PREF + 0x2000, 0x100, 0));            /* the bzImage is not there */
    ck_assert_uint_eq(env.eip, PREF + 0x40);
    ck_assert_uint_eq(env.regs[R_ESI], LINUX_BOOT_PARAMS_ADDR);
    ck_assert_uint_eq(!!(env.segs[R_CS].flags & DESC_L_MASK), is64);
    ck_assert_uint_eq(!!(env.cr[0] & CR0_PG_MASK), is64);
    ck_assert_uint_eq(!!(env.efer & MSR_EFER_LMA), is64);
    linux_boot_image_free(lb);
}

START_TEST(test_xz64) { check_unpacked(COMP_XZ, true); }
END_TEST
START_TEST(test_gzip64) { check_unpacked(COMP_GZIP, true); }
END_TEST
START_TEST(test_xz32) { check_unpacked(COMP_XZ, false); }
END_TEST
START_TEST(test_gzip32) { check_unpacked(COMP_GZIP, false); }
END_TEST

/* The guest's own decompressor runs: the bzImage's code is at the load
 * address and the entry is the boot protocol's. */
static void expect_guest_path(const Fake *f, uint64_t load, uint64_t entry)
{
    Error *err = NULL;
    CPUX86State env = { 0 };
    LinuxBootImage *lb = prepare(f, &err);

    ck_assert_msg(lb, "%s", err ? error_get_pretty(err) : "");
    ck_assert(!linux_boot_is_unpacked(lb));
    linux_boot_load(lb, ram, &env);
    ck_assert(all_bytes(ram + load, 0x100, 0xc3));
    ck_assert_uint_eq(env.eip, entry);
    linux_boot_image_free(lb);
}

START_TEST(test_guest_decompresses)
{
    Fake f = fake_default(true, COMP_NONE);

    expect_guest_path(&f, PREF, PREF + 0x200);
    /* Preferred address above RAM: loaded at 2 MiB alignment from 1 MiB,
     * where only the kernel's own relocation code can run it. */
    f = fake_default(true, COMP_XZ);
    f.pref = 512 * MiB;
    expect_guest_path(&f, 2 * MiB, 2 * MiB + 0x200);
    /* 2.09: no pref_address field to place vmlinux by. */
    f = fake_default(false, COMP_XZ);
    f.version = 0x0209;
    expect_guest_path(&f, 2 * MiB, 2 * MiB);
    /* The ELF's class is not the entry the header offers (a 64-bit kernel
     * of protocol 2.10/2.11 has no XLF_KERNEL_64): the 32-bit entry. */
    f = fake_default(true, COMP_XZ);
    f.elf64_hdr_32 = true;
    expect_guest_path(&f, PREF, PREF + 0x200);
}
END_TEST

START_TEST(test_corrupt)
{
    Fake f = fake_default(true, COMP_XZ);

    f.cut_payload = true;
    expect_error(&f, "XZ-compressed kernel is corrupt or truncated");
    f = fake_default(true, COMP_GZIP);
    f.cut_payload = true;
    expect_error(&f, "gzip-compressed kernel is corrupt or truncated");
    f = fake_default(true, COMP_XZ);
    f.flip_payload = true;
    expect_error(&f, "corrupt");
    f = fake_default(true, COMP_GZIP);
    f.flip_payload = true;
    expect_error(&f, "corrupt");
    /* A segment past init_size (8 MiB), and one below the preferred address. */
    f = fake_default(true, COMP_GZIP);
    f.seg2_paddr = PREF + 8 * MiB;
    expect_error(&f, "lies outside 0x1000000-0x1800000");
    f = fake_default(false, COMP_GZIP);
    f.seg2_paddr = PREF - MiB;
    expect_error(&f, "lies outside");
    f = fake_default(true, COMP_XZ);
    f.entry = PREF - 0x1000;
    expect_error(&f, "entry point 0xfff000 lies outside");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linux-unpack");
    TCase *tc = tcase_create("unpack");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_xz64);
    tcase_add_test(tc, test_gzip64);
    tcase_add_test(tc, test_xz32);
    tcase_add_test(tc, test_gzip32);
    tcase_add_test(tc, test_guest_decompresses);
    tcase_add_test(tc, test_corrupt);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
