/*
 * Multiboot v1 loader.  Section numbers refer to the Multiboot
 * Specification version 0.6.96.
 *
 * The plan is a list of blobs (address, bytes to copy, bytes to zero)
 * checked against RAM and against each other before the machine starts,
 * so a reset only has to copy memory.  The information block, memory map,
 * module list, strings and a flat GDT share one "info area", placed at
 * 0x9000 when the kernel leaves that free, else just past the modules.
 */
#include "hw/i386/multiboot.h"
#include "qemu/option.h"

#include <inttypes.h>
#include <assert.h>
#include <elf.h>
#include <string.h>

#include "exec/memory.h"
#include "qemu/file-read.h"
#include "trace/trace.h"

/* 3.1.2 header flags */
#define MULTIBOOT_PAGE_ALIGN  (1u << 0)
#define MULTIBOOT_MEMORY_INFO (1u << 1)
#define MULTIBOOT_VIDEO_MODE  (1u << 2)
#define MULTIBOOT_AOUT_KLUDGE (1u << 16)
#define MULTIBOOT_KNOWN_REQUIRED (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | \
                                  MULTIBOOT_VIDEO_MODE)

/* 3.3 boot information flags and offsets */
#define MBI_FLAG_MEM      (1u << 0)
#define MBI_FLAG_CMDLINE  (1u << 2)
#define MBI_FLAG_MODS     (1u << 3)
#define MBI_FLAG_MMAP     (1u << 6)
#define MBI_FLAG_LOADER   (1u << 9)
#define MBI_FLAGS         0
#define MBI_MEM_LOWER     4
#define MBI_MEM_UPPER     8
#define MBI_CMDLINE       16
#define MBI_MODS_COUNT    20
#define MBI_MODS_ADDR     24
#define MBI_MMAP_LENGTH   44
#define MBI_MMAP_ADDR     48
#define MBI_LOADER_NAME   64
#define MBI_SIZE          88
#define MB_MOD_SIZE       16
#define MB_MMAP_ENTRY_SIZE 24 /* the size field plus 20 bytes */

#define MB_LOW_INFO_ADDR 0x9000
#define MB_LOW_RAM_END   0x9fc00 /* the EBDA starts here on a PC */
#define MB_HIGH_RAM      0x100000
#define MB_PAGE_SIZE     4096
#define MB_GDT_ENTRIES   4
#define MB_CODE_SEL      0x10
#define MB_DATA_SEL      0x18

typedef struct MultibootBlob {
    uint64_t addr;
    uint64_t mem_len;      /* bytes occupied; past data_len they are zeroed */
    const uint8_t *data;
    uint64_t data_len;
    char *what;            /* for error messages */
} MultibootBlob;

struct MultibootImage {
    GArray *blobs;         /* of MultibootBlob */
    GPtrArray *buffers;    /* owned file contents the blobs point into */
    uint32_t entry;
    uint32_t info_addr;
    uint32_t gdt_addr;
};

typedef struct MultibootModule {
    char *spec;            /* "FILE ARGS", passed to the kernel */
    uint8_t *data;
    size_t len;
    uint64_t addr;
} MultibootModule;

static uint32_t mb_ldl(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}

static void mb_stl(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

static void mb_stq(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}

static uint64_t mb_align_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

/* 3.1.1: 32-bit aligned, wholly within the first 8192 bytes, summing to 0. */
long multiboot_find_header(const uint8_t *buf, size_t len)
{
    size_t limit = MIN(len, (size_t)MULTIBOOT_SEARCH);

    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t magic = mb_ldl(buf + off);

        if (magic == MULTIBOOT_HEADER_MAGIC &&
            (uint32_t)(magic + mb_ldl(buf + off + 4) + mb_ldl(buf + off + 8)) == 0) {
            return (long)off;
        }
    }
    return -1;
}

static void mb_add_blob(MultibootImage *mb, uint64_t addr, const uint8_t *data,
                        uint64_t data_len, uint64_t mem_len, char *what)
{
    MultibootBlob blob = {
        .addr = addr, .mem_len = mem_len, .data = data, .data_len = data_len, .what = what,
    };

    g_array_append_val(mb->blobs, blob);
}

/* Every blob inside loadable RAM and no two overlapping. */
static bool mb_check_blobs(MultibootImage *mb, const char *kernel, uint64_t ram_below_4g,
                           Error **errp)
{
    for (guint i = 0; i < mb->blobs->len; i++) {
        MultibootBlob *a = &g_array_index(mb->blobs, MultibootBlob, i);

        if (a->addr > ram_below_4g || a->mem_len > ram_below_4g - a->addr) {
            error_setg(errp, "-kernel %s: %s [0x%" PRIx64 ", 0x%" PRIx64 ") is outside RAM "
                       "(0x%" PRIx64 " bytes below 4 GiB; try a larger -m)", kernel, a->what,
                       a->addr, a->addr + a->mem_len, ram_below_4g);
            return false;
        }
        for (guint j = 0; j < i; j++) {
            MultibootBlob *b = &g_array_index(mb->blobs, MultibootBlob, j);

            if (a->mem_len && b->mem_len && a->addr < b->addr + b->mem_len &&
                b->addr < a->addr + a->mem_len) {
                error_setg(errp, "-kernel %s: %s [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps "
                           "%s [0x%" PRIx64 ", 0x%" PRIx64 ")", kernel, a->what, a->addr,
                           a->addr + a->mem_len, b->what, b->addr, b->addr + b->mem_len);
                return false;
            }
        }
    }
    return true;
}

/* 3.1.3: the a.out kludge, address fields at header offsets 12-28. */
static bool mb_plan_aout(MultibootImage *mb, const char *kernel, const uint8_t *buf,
                         size_t len, size_t hdr, Error **errp)
{
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
    uint64_t load_offset, load_size, mem_size;

    if (hdr + 32 > len) {
        error_setg(errp, "-kernel %s: Multiboot header truncated (address fields missing)",
                   kernel);
        return false;
    }
    header_addr = mb_ldl(buf + hdr + 12);
    load_addr = mb_ldl(buf + hdr + 16);
    load_end_addr = mb_ldl(buf + hdr + 20);
    bss_end_addr = mb_ldl(buf + hdr + 24);
    mb->entry = mb_ldl(buf + hdr + 28);

    if (load_addr > header_addr || header_addr - load_addr > hdr) {
        error_setg(errp, "-kernel %s: Multiboot header_addr 0x%x and load_addr 0x%x do not "
                   "match the header's file offset 0x%zx", kernel, header_addr, load_addr, hdr);
        return false;
    }
    load_offset = hdr - (header_addr - load_addr);
    if (load_end_addr == 0) {
        load_size = len - load_offset; /* the rest of the file */
    } else if (load_end_addr < load_addr || load_offset + (load_end_addr - load_addr) > len) {
        error_setg(errp, "-kernel %s: Multiboot load_end_addr 0x%x is past the end of the "
                   "file or before load_addr 0x%x", kernel, load_end_addr, load_addr);
        return false;
    } else {
        load_size = load_end_addr - load_addr;
    }
    mem_size = load_size;
    if (bss_end_addr) {
        if (bss_end_addr < load_addr + load_size) {
            error_setg(errp, "-kernel %s: Multiboot bss_end_addr 0x%x is below the end of "
                       "the loaded image 0x%" PRIx64, kernel, bss_end_addr,
                       load_addr + load_size);
            return false;
        }
        mem_size = bss_end_addr - load_addr;
    }
    mb_add_blob(mb, load_addr, buf + load_offset, load_size, mem_size,
                g_strdup("the a.out-kludge image"));
    return true;
}

/* 3.1.4 without the kludge: an ELF32 image's PT_LOAD segments, at p_paddr. */
static bool mb_plan_elf(MultibootImage *mb, const char *kernel, const uint8_t *buf,
                        size_t len, Error **errp)
{
    Elf32_Ehdr eh;
    unsigned loaded = 0;
    uint32_t entry;

    if (len < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG) != 0) {
        error_setg(errp, "-kernel %s: Multiboot kernel is not ELF and does not set the "
                   "a.out kludge (header flag bit 16)", kernel);
        return false;
    }
    memcpy(&eh, buf, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        GUINT16_FROM_LE(eh.e_machine) != EM_386) {
        error_setg(errp, "-kernel %s: not a 32-bit little-endian i386 ELF file (a 64-bit "
                   "Multiboot kernel must use the a.out kludge)", kernel);
        return false;
    }
    uint32_t phoff = GUINT32_FROM_LE(eh.e_phoff);
    uint16_t phentsize = GUINT16_FROM_LE(eh.e_phentsize);
    uint16_t phnum = GUINT16_FROM_LE(eh.e_phnum);

    entry = GUINT32_FROM_LE(eh.e_entry);
    if (phentsize < sizeof(Elf32_Phdr) || phoff > len ||
        (uint64_t)phnum * phentsize > len - phoff) {
        error_setg(errp, "-kernel %s: truncated ELF file (program headers at 0x%x, %u x %u "
                   "bytes, file is %zu bytes)", kernel, phoff, phnum, phentsize, len);
        return false;
    }
    mb->entry = entry;
    for (unsigned i = 0; i < phnum; i++) {
        Elf32_Phdr ph;
        uint32_t offset, filesz, memsz, paddr, vaddr;

        memcpy(&ph, buf + phoff + (size_t)i * phentsize, sizeof(ph));
        if (GUINT32_FROM_LE(ph.p_type) != PT_LOAD) {
            continue;
        }
        offset = GUINT32_FROM_LE(ph.p_offset);
        filesz = GUINT32_FROM_LE(ph.p_filesz);
        memsz = GUINT32_FROM_LE(ph.p_memsz);
        paddr = GUINT32_FROM_LE(ph.p_paddr);
        vaddr = GUINT32_FROM_LE(ph.p_vaddr);
        if (filesz > memsz || offset > len || filesz > len - offset) {
            error_setg(errp, "-kernel %s: truncated ELF file (segment %u: offset 0x%x, "
                       "%u bytes in file, %u in memory, file is %zu bytes)", kernel, i,
                       offset, filesz, memsz, len);
            return false;
        }
        /* A higher-half kernel's e_entry is virtual: map it like its segment. */
        if (vaddr != paddr && entry >= vaddr && entry - vaddr < memsz) {
            mb->entry = entry - vaddr + paddr;
        }
        mb_add_blob(mb, paddr, buf + offset, filesz, memsz,
                    g_strdup_printf("ELF segment %u", i));
        loaded++;
    }
    if (!loaded) {
        error_setg(errp, "-kernel %s: ELF file has no loadable segment", kernel);
        return false;
    }
    return true;
}

/*
 * Splits -initrd "a args,b" with the option parser's comma rule (",," is a
 * comma inside a module's string; empty items are dropped) and reads each
 * file into *pmods (which the caller frees, also on failure).
 */
static bool mb_read_modules(const char *initrd, uint64_t ram_size, const char *ram_desc,
                            GArray **pmods, Error **errp)
{
    GArray *mods = g_array_new(false, true, sizeof(MultibootModule));
    g_auto(GStrv) specs = qemu_opt_split_list(initrd);

    *pmods = mods;
    for (int i = 0; specs[i]; i++) {
        MultibootModule mod = { 0 };
        g_autofree char *file = g_strndup(specs[i], strcspn(specs[i], " "));

        if (!qemu_read_file_bounded("-initrd", file, ram_size, ram_desc, &mod.data, &mod.len,
                                    errp)) {
            return false;
        }
        mod.spec = g_strdup(specs[i]);
        g_array_append_val(mods, mod);
    }
    return true;
}

static void mb_free_modules(GArray *mods)
{
    for (guint i = 0; i < mods->len; i++) {
        g_free(g_array_index(mods, MultibootModule, i).spec);
        /* data is handed to the image's buffers or freed by the caller */
    }
    g_array_free(mods, true);
}

static bool mb_range_free(MultibootImage *mb, uint64_t addr, uint64_t len)
{
    for (guint i = 0; i < mb->blobs->len; i++) {
        MultibootBlob *b = &g_array_index(mb->blobs, MultibootBlob, i);

        if (b->mem_len && addr < b->addr + b->mem_len && b->addr < addr + len) {
            return false;
        }
    }
    return true;
}

/*
 * 3.3: builds the info area at an address that is free: the boot
 * information, the memory map, the module list, the GDT and the strings.
 */
static bool mb_plan_info(MultibootImage *mb, const char *kernel, const char *cmdline,
                         GArray *mods, uint64_t free_from, uint64_t below_4g,
                         const E820Table *e820, Error **errp)
{
    static const char loader_name[] = "duet";
    static const uint64_t gdt[MB_GDT_ENTRIES] = {
        0, 0,
        0x00cf9b000000ffffull, /* 0x10: code, base 0, limit 4 GiB, 32-bit */
        0x00cf93000000ffffull, /* 0x18: data, base 0, limit 4 GiB */
    };
    unsigned nr_mmap = e820->count;
    g_autofree char *kernel_cmdline = g_strdup_printf("%s%s%s", kernel,
                                                      *cmdline ? " " : "", cmdline);
    size_t mmap_off = MBI_SIZE;
    size_t mods_off = mmap_off + nr_mmap * MB_MMAP_ENTRY_SIZE;
    size_t gdt_off = mb_align_up(mods_off + mods->len * MB_MOD_SIZE, 8);
    size_t str_off = gdt_off + sizeof(gdt);
    size_t size = str_off + strlen(kernel_cmdline) + 1 + sizeof(loader_name);
    uint64_t candidates[2] = { MB_LOW_INFO_ADDR, mb_align_up(free_from, MB_PAGE_SIZE) };
    uint64_t limits[2] = { MB_LOW_RAM_END, below_4g };
    uint64_t addr = 0;
    uint8_t *info;
    size_t pos;

    for (guint i = 0; i < mods->len; i++) {
        size += strlen(g_array_index(mods, MultibootModule, i).spec) + 1;
    }
    for (int i = 0; i < 2 && !addr; i++) {
        if (candidates[i] + size <= limits[i] && mb_range_free(mb, candidates[i], size)) {
            addr = candidates[i];
        }
    }
    if (!addr) {
        error_setg(errp, "-kernel %s: no free RAM for the Multiboot information (%zu bytes) "
                   "below 0x%" PRIx64, kernel, size, below_4g);
        return false;
    }

    info = g_malloc0(size);
    g_ptr_array_add(mb->buffers, info);
    mb->info_addr = addr;
    mb->gdt_addr = addr + gdt_off;

    mb_stl(info + MBI_FLAGS, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
                             MBI_FLAG_MMAP | MBI_FLAG_LOADER);
    mb_stl(info + MBI_MEM_LOWER, MB_LOW_RAM_END / 1024);
    mb_stl(info + MBI_MEM_UPPER, (MIN(below_4g, 0xffffffffull) - MB_HIGH_RAM) / 1024);
    mb_stl(info + MBI_MMAP_LENGTH, nr_mmap * MB_MMAP_ENTRY_SIZE);
    mb_stl(info + MBI_MMAP_ADDR, addr + mmap_off);
    for (unsigned i = 0; i < nr_mmap; i++) {
        uint8_t *e = info + mmap_off + i * MB_MMAP_ENTRY_SIZE;

        /* 3.3: "size" precedes each entry and does not count itself */
        mb_stl(e, MB_MMAP_ENTRY_SIZE - 4);
        mb_stq(e + 4, e820->entry[i].addr);
        mb_stq(e + 12, e820->entry[i].size);
        mb_stl(e + 20, e820->entry[i].type);
    }
    for (int i = 0; i < MB_GDT_ENTRIES; i++) {
        mb_stq(info + gdt_off + i * 8, gdt[i]);
    }

    pos = str_off;
    mb_stl(info + MBI_CMDLINE, addr + pos);
    pos = g_strlcpy((char *)info + pos, kernel_cmdline, size - pos) + 1 + pos;
    mb_stl(info + MBI_LOADER_NAME, addr + pos);
    memcpy(info + pos, loader_name, sizeof(loader_name));
    pos += sizeof(loader_name);
    mb_stl(info + MBI_MODS_COUNT, mods->len);
    mb_stl(info + MBI_MODS_ADDR, addr + mods_off);
    for (guint i = 0; i < mods->len; i++) {
        MultibootModule *mod = &g_array_index(mods, MultibootModule, i);
        uint8_t *e = info + mods_off + i * MB_MOD_SIZE;

        mb_stl(e, mod->addr);
        mb_stl(e + 4, mod->addr + mod->len); /* mod_end is exclusive (GRUB) */
        mb_stl(e + 8, addr + pos);
        mb_stl(e + 12, 0);
        pos += g_strlcpy((char *)info + pos, mod->spec, size - pos) + 1;
    }
    assert(pos == size);
    mb_add_blob(mb, addr, info, size, size, g_strdup("the Multiboot information"));
    return true;
}

static void mb_free_blob(gpointer p)
{
    g_free(((MultibootBlob *)p)->what);
}

/* "guest RAM (128 MiB)": what a kernel or module has to fit in. */
static char *mb_ram_desc(uint64_t ram_size)
{
    g_autofree char *size = qemu_format_size(ram_size);
    return g_strdup_printf("guest RAM (%s)", size);
}

MultibootImage *multiboot_prepare(const char *kernel_filename, const char *cmdline,
                                  const char *initrd, uint64_t ram_below_4g,
                                  uint64_t ram_above_4g, Error **errp)
{
    g_autofree char *ram_desc = mb_ram_desc(ram_below_4g + ram_above_4g);
    E820Table e820;
    uint8_t *buf;
    size_t len;

    if (!qemu_read_file_bounded("-kernel", kernel_filename, ram_below_4g, ram_desc, &buf, &len,
                                errp)) {
        return NULL;
    }
    e820_build_pc(&e820, ram_below_4g, ram_above_4g);
    return multiboot_prepare_image(kernel_filename, buf, len, cmdline, initrd, ram_below_4g,
                                   &e820, errp);
}

MultibootImage *multiboot_prepare_image(const char *kernel_filename, uint8_t *buf, size_t len,
                                        const char *cmdline, const char *initrd,
                                        uint64_t ram_below_4g, const E820Table *e820,
                                        Error **errp)
{
    g_autofree char *ram_desc = mb_ram_desc(ram_below_4g);
    MultibootImage *mb;
    GArray *mods;
    long hdr;
    uint32_t flags;
    uint64_t end = 0;

    if (ram_below_4g < 2 * MB_HIGH_RAM) {
        error_setg(errp, "-kernel %s: Multiboot needs at least 2 MiB of RAM", kernel_filename);
        g_free(buf);
        return NULL;
    }
    hdr = multiboot_find_header(buf, len);
    if (hdr < 0) {
        error_setg(errp, "-kernel %s: neither a Linux kernel (bzImage) nor a Multiboot kernel "
                   "(no Multiboot header in the first 8 KiB)", kernel_filename);
        g_free(buf);
        return NULL;
    }

    mb = g_new0(MultibootImage, 1);
    mb->blobs = g_array_new(false, true, sizeof(MultibootBlob));
    g_array_set_clear_func(mb->blobs, mb_free_blob);
    mb->buffers = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(mb->buffers, buf);

    flags = mb_ldl(buf + hdr + 4);
    trace_event(multiboot_header, "offset=0x%lx flags=0x%x", hdr, flags);
    if (flags & 0xffff & ~MULTIBOOT_KNOWN_REQUIRED) {
        error_setg(errp, "-kernel %s: Multiboot header requires features duet does not know "
                   "(flags 0x%x)", kernel_filename, flags);
        goto fail;
    }
    if ((flags & MULTIBOOT_AOUT_KLUDGE)
            ? !mb_plan_aout(mb, kernel_filename, buf, len, hdr, errp)
            : !mb_plan_elf(mb, kernel_filename, buf, len, errp)) {
        goto fail;
    }
    if (mb->entry >= ram_below_4g) {
        error_setg(errp, "-kernel %s: entry point 0x%x is outside RAM", kernel_filename,
                   mb->entry);
        goto fail;
    }
    for (guint i = 0; i < mb->blobs->len; i++) {
        MultibootBlob *b = &g_array_index(mb->blobs, MultibootBlob, i);

        end = MAX(end, b->addr + b->mem_len);
    }

    /* 3.3: modules page aligned (header flag bit 0 asks for it; we always do). */
    if (!mb_read_modules(initrd, ram_below_4g, ram_desc, &mods, errp)) {
        for (guint i = 0; i < mods->len; i++) {
            g_free(g_array_index(mods, MultibootModule, i).data);
        }
        mb_free_modules(mods);
        goto fail;
    }
    for (guint i = 0; i < mods->len; i++) {
        MultibootModule *mod = &g_array_index(mods, MultibootModule, i);

        mod->addr = mb_align_up(end, MB_PAGE_SIZE);
        end = mod->addr + mod->len;
        g_ptr_array_add(mb->buffers, mod->data);
        mb_add_blob(mb, mod->addr, mod->data, mod->len, mod->len,
                    g_strdup_printf("module '%s'", mod->spec));
    }
    if (!mb_check_blobs(mb, kernel_filename, ram_below_4g, errp) ||
        !mb_plan_info(mb, kernel_filename, cmdline ? cmdline : "", mods, end, ram_below_4g,
                      e820, errp)) {
        mb_free_modules(mods);
        goto fail;
    }
    mb_free_modules(mods);
    return mb;

fail:
    multiboot_image_free(mb);
    return NULL;
}

void multiboot_image_free(MultibootImage *mb)
{
    if (!mb) {
        return;
    }
    g_array_free(mb->blobs, true);
    g_ptr_array_free(mb->buffers, true);
    g_free(mb);
}

uint32_t multiboot_info_addr(const MultibootImage *mb)
{
    return mb->info_addr;
}

uint32_t multiboot_entry(const MultibootImage *mb)
{
    return mb->entry;
}

static void mb_set_seg(SegmentCache *sc, uint32_t selector, uint32_t type)
{
    sc->selector = selector;
    sc->base = 0;
    sc->limit = 0xffffffff;
    sc->flags = (type << DESC_TYPE_SHIFT) | DESC_S_MASK | DESC_P_MASK | DESC_B_MASK |
                DESC_G_MASK;
}

/* 3.2: the machine state when the kernel is entered. */
void multiboot_load(MultibootImage *mb, uint8_t *ram, CPUX86State *env)
{
    for (guint i = 0; i < mb->blobs->len; i++) {
        MultibootBlob *b = &g_array_index(mb->blobs, MultibootBlob, i);

        memcpy(ram + b->addr, b->data, b->data_len);
        memset(ram + b->addr + b->data_len, 0, b->mem_len - b->data_len);
        memory_notify_ram_write(ram + b->addr, b->mem_len);
        trace_event(multiboot_load_blob, "addr=0x%" PRIx64 " len=0x%" PRIx64 " what=%s",
                    b->addr, b->mem_len, b->what);
    }

    env->regs[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    env->regs[R_EBX] = mb->info_addr;
    env->eip = mb->entry;
    env->eflags = 0x2; /* IF and VM clear */
    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK; /* paging off, caches on */
    mb_set_seg(&env->segs[R_CS], MB_CODE_SEL, 0xb); /* execute/read, accessed */
    for (int seg = R_ES; seg <= R_GS; seg++) {
        if (seg != R_CS) {
            mb_set_seg(&env->segs[seg], MB_DATA_SEL, 0x3); /* read/write, accessed */
        }
    }
    env->gdt.base = mb->gdt_addr;
    env->gdt.limit = MB_GDT_ENTRIES * 8 - 1;
    env->a20_mask = ~0ull;
}
