/*
 * Linux x86 boot protocol loader (hw/i386/linux-boot.h).  Offsets and
 * rules are the boot protocol's (Documentation/arch/x86/boot.rst,
 * "THE REAL-MODE KERNEL HEADER", "32-bit BOOT PROTOCOL", "64-bit BOOT
 * PROTOCOL"); the zero page layout is struct boot_params
 * (Documentation/arch/x86/zero-page.rst).
 */
#include <inttypes.h>
#include <string.h>
#include <glib.h>

#include "hw/i386/linux-boot.h"
#include "hw/i386/linux-vmlinux.h"

#include "exec/memory.h"
#include "qemu/file-read.h"
#include "trace/trace.h"

/* Setup header fields: offsets in the file and in boot_params alike. */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_SYSSIZE         0x1f4 /* protected-mode code, in 16-byte units */
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200
#define HDR_MAGIC           0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PAYLOAD_OFFSET  0x248 /* from the protected-mode kernel's start */
#define HDR_PAYLOAD_LENGTH  0x24c
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260
#define HDR_END_MAX         0x290 /* boot_params.edd_mbr_sig_buffer follows */

/* boot_params fields outside the setup header (zero-page.rst). */
#define BP_ALT_MEM_K        0x1e0
#define BP_E820_ENTRIES     0x1e8
#define BP_E820_TABLE       0x2d0
#define BP_SIZE             0x1000

#define LOADED_HIGH         0x01 /* loadflags: protected-mode code at 1 MiB (bzImage) */
#define XLF_KERNEL_64       0x01 /* xloadflags: 64-bit entry at load address + 0x200 */
#define LOADER_TYPE_UNKNOWN 0xff /* boot.rst: "no assigned id" */
#define MIN_VERSION         0x0206

#define MiB (1ull << 20)
#define PAGE 4096ull

struct LinuxBootImage {
    uint8_t *kernel;          /* the whole file */
    size_t kernel_len;
    size_t pm_offset;         /* the protected-mode kernel in the file */
    uint8_t *initrd;
    size_t initrd_len;
    char *cmdline;
    uint8_t params[BP_SIZE];  /* the zero page, complete */
    uint64_t load_addr, initrd_addr, entry;
    bool entry64;
    bool unpacked;            /* vmlinux below is loaded instead of the bzImage's code */
    LinuxVmlinux vmlinux;
};

static inline uint16_t ld16(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t ld32(const uint8_t *p) { return ld16(p) | (uint32_t)ld16(p + 2) << 16; }
static inline uint64_t ld64(const uint8_t *p) { return ld32(p) | (uint64_t)ld32(p + 4) << 32; }
static inline void st16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void st32(uint8_t *p, uint32_t v) { st16(p, v); st16(p + 2, v >> 16); }
static inline void st64(uint8_t *p, uint64_t v) { st32(p, v); st32(p + 4, v >> 32); }

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

static void copy_to_ram(uint8_t *ram, uint64_t addr, const void *data, size_t len)
{
    memcpy(ram + addr, data, len);
    memory_notify_ram_write(ram + addr, len);
}

bool linux_boot_is_bzimage(const uint8_t *kernel, size_t len)
{
    return len >= 0x240 && !memcmp(kernel + HDR_MAGIC, "HdrS", 4) &&
           ld16(kernel + HDR_BOOT_FLAG) == 0xaa55;
}

/* The setup header's checks; on success the sizes the plan needs. */
static bool linux_check_header(const char *name, const uint8_t *k, size_t len,
                               size_t *pm_offset, Error **errp)
{
    uint16_t version = ld16(k + HDR_VERSION);
    unsigned setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;

    if (version < MIN_VERSION) {
        error_setg(errp, "-kernel %s: Linux boot protocol %u.%02u is too old "
                   "(duet needs 2.06 or later: kernels from 2.6.22 on)", name,
                   version >> 8, version & 0xff);
        return false;
    }
    if (!(k[HDR_LOADFLAGS] & LOADED_HIGH)) {
        error_setg(errp, "-kernel %s: a zImage (loaded low), not a bzImage: not supported",
                   name);
        return false;
    }
    *pm_offset = (setup_sects + 1) * 512ull;
    if (*pm_offset >= len) {
        error_setg(errp, "-kernel %s: the setup code (%zu bytes) is the whole file: "
                   "no protected-mode kernel", name, *pm_offset);
        return false;
    }
    if (len - *pm_offset < (uint64_t)ld32(k + HDR_SYSSIZE) * 16) {
        error_setg(errp, "-kernel %s: truncated: the header says %" PRIu64 " bytes of "
                   "protected-mode kernel, the file has %zu", name,
                   (uint64_t)ld32(k + HDR_SYSSIZE) * 16, len - *pm_offset);
        return false;
    }
    return true;
}

/*
 * Where the protected-mode kernel goes: its preferred address when it is
 * relocatable and that fits (2.10+), else the first suitably aligned
 * address from 1 MiB; a kernel that is not relocatable runs at
 * code32_start.  It occupies max(init_size, file part) bytes.
 */
static bool linux_plan_kernel(LinuxBootImage *lb, const char *name, const E820Table *e820,
                              Error **errp)
{
    const uint8_t *k = lb->kernel;
    uint16_t version = ld16(k + HDR_VERSION);
    uint64_t pm_size = lb->kernel_len - lb->pm_offset;
    uint64_t init_size = version >= 0x020a ? ld32(k + HDR_INIT_SIZE) : 0;
    uint64_t span = MAX(init_size, pm_size);
    uint64_t align = ld32(k + HDR_KERNEL_ALIGN);
    bool relocatable = k[HDR_RELOCATABLE];
    uint64_t addr;

    if (!relocatable) {
        addr = ld32(k + HDR_CODE32_START);
    } else {
        addr = version >= 0x020a ? ld64(k + HDR_PREF_ADDRESS) : 0;
        if (addr < MiB || !e820_is_ram(e820, addr, span)) {
            if (align < PAGE || (align & (align - 1))) {
                align = 2 * MiB;
            }
            addr = align_up(MiB, align);
        }
    }
    if (!e820_is_ram(e820, addr, span)) {
        g_autofree char *need = qemu_format_size(span);
        error_setg(errp, "-kernel %s: the kernel needs %s of RAM from 0x%" PRIx64
                   " (its init_size), more than the machine has there", name, need, addr);
        return false;
    }
    lb->load_addr = addr;
    return true;
}

/* boot.rst "initrd_addr_max": the initrd as high as it fits below it. */
static bool linux_plan_initrd(LinuxBootImage *lb, const char *name, const E820Table *e820,
                              Error **errp)
{
    const uint8_t *k = lb->kernel;
    uint64_t top = (uint64_t)ld32(k + HDR_INITRD_ADDR_MAX) + 1;
    uint64_t ram_end = e820_ram_end_below_4g(e820);
    uint64_t kernel_end = lb->load_addr + MAX((uint64_t)ld32(k + HDR_INIT_SIZE),
                                              lb->kernel_len - lb->pm_offset);
    uint64_t addr;

    if (!lb->initrd) {
        return true;
    }
    top = MIN(top, ram_end);
    addr = top >= lb->initrd_len ? (top - lb->initrd_len) & ~(PAGE - 1) : 0;
    if (addr < kernel_end || !e820_is_ram(e820, addr, lb->initrd_len)) {
        g_autofree char *size = qemu_format_size(lb->initrd_len);
        error_setg(errp, "-initrd %s: %s does not fit between the kernel's end (0x%" PRIx64
                   ") and the highest address the kernel accepts (0x%" PRIx64 ")", name,
                   size, kernel_end, top);
        return false;
    }
    lb->initrd_addr = addr;
    return true;
}

/* zero-page.rst: the setup header copied, then what the loader fills in. */
static void linux_build_params(LinuxBootImage *lb, const E820Table *e820)
{
    uint8_t *bp = lb->params;
    const uint8_t *k = lb->kernel;
    size_t hdr_end = MIN((size_t)HDR_MAGIC + k[HDR_JUMP + 1], (size_t)HDR_END_MAX);
    uint64_t ext_mem_k = (e820_ram_end_below_4g(e820) - MiB) / 1024;

    memset(bp, 0, BP_SIZE);
    memcpy(bp + HDR_SETUP_SECTS, k + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
    bp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNKNOWN;
    st32(bp + HDR_CODE32_START, lb->load_addr);
    st32(bp + HDR_CMD_LINE_PTR, LINUX_BOOT_CMDLINE_ADDR);
    st32(bp + HDR_RAMDISK_IMAGE, lb->initrd ? lb->initrd_addr : 0);
    st32(bp + HDR_RAMDISK_SIZE, lb->initrd ? lb->initrd_len : 0);
    st32(bp + BP_ALT_MEM_K, MIN(ext_mem_k, UINT32_MAX));
    bp[BP_E820_ENTRIES] = e820->count;
    for (unsigned i = 0; i < e820->count; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20;
        st64(e, e820->entry[i].addr);
        st64(e + 8, e820->entry[i].size);
        st32(e + 16, e820->entry[i].type);
    }
}

LinuxBootImage *linux_boot_prepare(const char *kernel_filename, uint8_t *kernel, size_t len,
                                   const char *cmdline, const char *initrd_filename,
                                   uint8_t *initrd, size_t initrd_len, const E820Table *e820,
                                   Error **errp)
{
    LinuxBootImage *lb = g_new0(LinuxBootImage, 1);
    uint32_t cmdline_size;

    lb->kernel = kernel;
    lb->kernel_len = len;
    lb->initrd = initrd;
    lb->initrd_len = initrd_len;
    lb->cmdline = g_strdup(cmdline ? cmdline : "");
    if (!linux_check_header(kernel_filename, kernel, len, &lb->pm_offset, errp)) {
        goto fail;
    }
    /* boot.rst: cmdline_size excludes the terminating NUL. */
    cmdline_size = ld32(kernel + HDR_CMDLINE_SIZE);
    if (strlen(lb->cmdline) > cmdline_size) {
        error_setg(errp, "-append: the kernel command line is %zu characters, more than the "
                   "%" PRIu32 " the kernel accepts", strlen(lb->cmdline), cmdline_size);
        goto fail;
    }
    if (!linux_plan_kernel(lb, kernel_filename, e820, errp) ||
        !linux_plan_initrd(lb, initrd_filename, e820, errp)) {
        goto fail;
    }
    lb->entry64 = (ld16(kernel + HDR_XLOADFLAGS) & XLF_KERNEL_64);
    lb->entry = lb->load_addr + (lb->entry64 ? 0x200 : 0);
    linux_build_params(lb, e820);
    trace_event(linux_boot_prepare, "version=0x%x load=0x%" PRIx64 " entry=0x%" PRIx64
                " 64bit=%d initrd=0x%" PRIx64 "+0x%zx cmdline='%s'",
                ld16(kernel + HDR_VERSION), lb->load_addr, lb->entry, lb->entry64,
                lb->initrd_addr, lb->initrd_len, lb->cmdline);
    return lb;

fail:
    linux_boot_image_free(lb);
    return NULL;
}

void linux_boot_image_free(LinuxBootImage *lb)
{
    if (!lb) {
        return;
    }
    linux_vmlinux_free(&lb->vmlinux);
    g_free(lb->kernel);
    g_free(lb->initrd);
    g_free(lb->cmdline);
    g_free(lb);
}

/*
 * The decompressor places each PT_LOAD segment at its p_paddr moved by
 * (load address - LOAD_PHYSICAL_ADDR); without KASLR the load address is
 * the preferred one and nothing moves, which is the only case done here:
 * a kernel loaded elsewhere also needs the relocations the decompressor
 * applies, so it decompresses itself.
 */
bool linux_boot_unpack_kernel(LinuxBootImage *lb, const char *name, const E820Table *e820,
                              Error **errp)
{
    const uint8_t *k = lb->kernel;
    uint16_t version = ld16(k + HDR_VERSION);
    uint64_t pm_size = lb->kernel_len - lb->pm_offset;
    uint64_t payload_off, payload_len, pref, kernel_end;
    LinuxVmlinux *v = &lb->vmlinux;

    if (version < 0x020a) {
        trace_event(linux_boot_unpack, "skipped: protocol 0x%x has no payload fields", version);
        return true;
    }
    pref = ld64(k + HDR_PREF_ADDRESS);
    payload_off = ld32(k + HDR_PAYLOAD_OFFSET);
    payload_len = ld32(k + HDR_PAYLOAD_LENGTH);
    if (lb->load_addr != pref || payload_off > pm_size || payload_len > pm_size - payload_off) {
        trace_event(linux_boot_unpack, "skipped: load=0x%" PRIx64 " pref=0x%" PRIx64
                    " payload=0x%" PRIx64 "+0x%" PRIx64, lb->load_addr, pref, payload_off,
                    payload_len);
        return true;
    }
    switch (linux_vmlinux_unpack(name, k + lb->pm_offset + payload_off, payload_len,
                                 e820_ram_end_below_4g(e820), lb->entry64, v, errp)) {
    case LINUX_PAYLOAD_UNSUPPORTED:
        trace_event(linux_boot_unpack, "skipped: a compression duet does not unpack");
        return true;
    case LINUX_PAYLOAD_ERROR:
        return false;
    case LINUX_PAYLOAD_UNPACKED:
        break;
    }
    /* Everything inside the memory the kernel asked for (init_size), so
     * the initrd's plan stays right; the entry inside a segment. */
    kernel_end = lb->load_addr + MAX((uint64_t)ld32(k + HDR_INIT_SIZE), pm_size);
    for (unsigned i = 0; i < v->nseg; i++) {
        const LinuxVmlinuxSegment *sg = &v->seg[i];

        if (sg->paddr < pref || sg->paddr - pref + sg->memsz > kernel_end - lb->load_addr) {
            error_setg(errp, "-kernel %s: the unpacked kernel's segment at 0x%" PRIx64
                       " (0x%" PRIx64 " bytes) lies outside 0x%" PRIx64 "-0x%" PRIx64
                       " (preferred address + init_size)", name, sg->paddr, sg->memsz,
                       lb->load_addr, kernel_end);
            linux_vmlinux_free(v);
            return false;
        }
    }
    if (v->entry < pref || v->entry - pref >= kernel_end - lb->load_addr) {
        error_setg(errp, "-kernel %s: the unpacked kernel's entry point 0x%" PRIx64
                   " lies outside 0x%" PRIx64 "-0x%" PRIx64, name, v->entry, lb->load_addr,
                   kernel_end);
        linux_vmlinux_free(v);
        return false;
    }
    lb->unpacked = true;
    lb->entry = lb->load_addr + (v->entry - pref);
    trace_event(linux_boot_unpack, "vmlinux ELF%d of %zu bytes, %u segments, entry=0x%" PRIx64,
                v->is64 ? 64 : 32, v->len, v->nseg, lb->entry);
    return true;
}

static void linux_boot_load_vmlinux(LinuxBootImage *lb, uint8_t *ram)
{
    uint64_t pref = ld64(lb->kernel + HDR_PREF_ADDRESS);

    for (unsigned i = 0; i < lb->vmlinux.nseg; i++) {
        const LinuxVmlinuxSegment *sg = &lb->vmlinux.seg[i];
        uint64_t dest = lb->load_addr + (sg->paddr - pref);

        copy_to_ram(ram, dest, lb->vmlinux.elf + sg->offset, sg->filesz);
        /* RAM keeps its contents across a reset: the zeros are written. */
        memset(ram + dest + sg->filesz, 0, sg->memsz - sg->filesz);
        memory_notify_ram_write(ram + dest + sg->filesz, sg->memsz - sg->filesz);
    }
}

bool linux_boot_is_unpacked(const LinuxBootImage *lb) { return lb->unpacked; }
uint64_t linux_boot_kernel_addr(const LinuxBootImage *lb) { return lb->load_addr; }
uint64_t linux_boot_initrd_addr(const LinuxBootImage *lb) { return lb->initrd_addr; }
uint64_t linux_boot_entry(const LinuxBootImage *lb) { return lb->entry; }
bool linux_boot_is_64bit_entry(const LinuxBootImage *lb) { return lb->entry64; }

static void set_flat_seg(SegmentCache *sc, uint32_t selector, uint32_t type, bool code64)
{
    sc->selector = selector;
    sc->base = 0;
    sc->limit = 0xffffffff;
    sc->flags = (type << DESC_TYPE_SHIFT) | DESC_S_MASK | DESC_P_MASK | DESC_G_MASK |
                (code64 ? DESC_L_MASK : DESC_B_MASK);
}

/* "64-bit BOOT PROTOCOL": an identity mapping of what the kernel touches
 * first; 2 MiB pages over the first 4 GiB cover all of it. */
static void linux_build_page_tables(uint8_t *ram)
{
    uint8_t tables[6 * PAGE];
    const uint64_t rw_present = 0x3, large = 0x80;

    memset(tables, 0, sizeof(tables));
    st64(tables, (LINUX_BOOT_PML4_ADDR + PAGE) | rw_present);
    for (unsigned pd = 0; pd < 4; pd++) {
        uint64_t pd_addr = LINUX_BOOT_PML4_ADDR + (2 + pd) * PAGE;
        st64(tables + PAGE + pd * 8, pd_addr | rw_present);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t phys = ((uint64_t)pd << 30) | ((uint64_t)i << 21);
            st64(tables + (2 + pd) * PAGE + i * 8, phys | rw_present | large);
        }
    }
    copy_to_ram(ram, LINUX_BOOT_PML4_ADDR, tables, sizeof(tables));
}

void linux_boot_load(LinuxBootImage *lb, uint8_t *ram, CPUX86State *env)
{
    /* Null, null, then __BOOT_CS and __BOOT_DS (boot.rst requires 0x10 and 0x18). */
    const uint64_t gdt[4] = {
        0, 0,
        lb->entry64 ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull,
        0x00cf93000000ffffull,
    };
    uint8_t gdt_bytes[sizeof(gdt)];

    for (unsigned i = 0; i < G_N_ELEMENTS(gdt); i++) {
        st64(gdt_bytes + i * 8, gdt[i]);
    }
    copy_to_ram(ram, LINUX_BOOT_GDT_ADDR, gdt_bytes, sizeof(gdt_bytes));
    copy_to_ram(ram, LINUX_BOOT_PARAMS_ADDR, lb->params, sizeof(lb->params));
    copy_to_ram(ram, LINUX_BOOT_CMDLINE_ADDR, lb->cmdline, strlen(lb->cmdline) + 1);
    if (lb->unpacked) {
        linux_boot_load_vmlinux(lb, ram);
    } else {
        copy_to_ram(ram, lb->load_addr, lb->kernel + lb->pm_offset,
                    lb->kernel_len - lb->pm_offset);
    }
    if (lb->initrd) {
        copy_to_ram(ram, lb->initrd_addr, lb->initrd, lb->initrd_len);
    }

    /* boot.rst: flat segments, interrupts off, %esi = boot_params, and
     * %ebp, %edi, %ebx zero (x86_cpu_reset cleared the rest). */
    env->gdt.base = LINUX_BOOT_GDT_ADDR;
    env->gdt.limit = sizeof(gdt) - 1;
    env->idt.base = 0;
    env->idt.limit = 0;
    env->eflags = 0x2;
    env->regs[R_ESI] = LINUX_BOOT_PARAMS_ADDR;
    env->regs[R_EBX] = env->regs[R_EBP] = env->regs[R_EDI] = 0;
    env->eip = lb->entry;
    set_flat_seg(&env->segs[R_CS], LINUX_BOOT_CS, 0xb, lb->entry64);
    for (int seg = 0; seg < 6; seg++) {
        if (seg != R_CS) {
            set_flat_seg(&env->segs[seg], LINUX_BOOT_DS, 0x3, false);
        }
    }
    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK;
    if (lb->entry64) {
        linux_build_page_tables(ram);
        env->cr[3] = LINUX_BOOT_PML4_ADDR;
        env->cr[4] = CR4_PAE_MASK;
        env->cr[0] |= CR0_PG_MASK;
        env->efer = MSR_EFER_LME | MSR_EFER_LMA;
    }
    trace_event(linux_boot_load, "entry=0x%" PRIx64 " 64bit=%d", lb->entry, lb->entry64);
}
