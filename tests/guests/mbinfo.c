/*
 * Checks and prints what the Multiboot loader handed over (spec 3.2, 3.3).
 * Lines that depend on the loader (memory map, sizes, loader name) start
 * with '~' so the differential test against QEMU can leave them out.
 */
#include "runtime/guest.h"

#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
#define MBI_FLAG_MMAP    (1u << 6)
#define MBI_FLAG_LOADER  (1u << 9)

extern char _start[];

/* Everything after the first space: the loader puts the file name first. */
static const char *args_of(const char *s)
{
    while (*s && *s != ' ') {
        s++;
    }
    return *s ? s + 1 : s;
}

static bool check_mmap(struct multiboot_info *mbi)
{
    uint32_t kernel = (uint32_t)_start;
    bool kernel_in_ram = false, ok = true;
    uint32_t p = mbi->mmap_addr;

    while (p < mbi->mmap_addr + mbi->mmap_length) {
        struct multiboot_mmap_entry *e = (void *)p;

        printf_serial("~mmap base=0x%llx length=0x%llx type=%u\n", e->base_addr, e->length,
                      e->type);
        if (e->type == 1 && e->base_addr <= kernel && kernel < e->base_addr + e->length) {
            kernel_in_ram = true;
        }
        ok &= check(e->size >= 20, "mmap entry size");
        p += e->size + 4;
    }
    return check(kernel_in_ram, "the kernel lies in available memory") && ok;
}

static bool check_modules(struct multiboot_info *mbi)
{
    struct multiboot_module *mods = (void *)mbi->mods_addr;
    bool ok = true;

    printf_serial("mods_count=%u\n", mbi->mods_count);
    for (uint32_t i = 0; i < mbi->mods_count; i++) {
        const char *data = (const char *)mods[i].mod_start;
        uint32_t len = mods[i].mod_end - mods[i].mod_start;

        ok &= check((mods[i].mod_start & 0xfff) == 0, "module page aligned");
        ok &= check(mods[i].mod_end >= mods[i].mod_start, "module end after start");
        printf_serial("module %u: args '%s' %u bytes: ", i,
                      args_of((const char *)mods[i].string), len);
        for (uint32_t j = 0; j < len && data[j] != '\n'; j++) {
            putchar_serial(data[j]);
        }
        putchar_serial('\n');
    }
    return ok;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    bool ok = true;

    printf_serial("magic=0x%x\n", magic);
    if (!check(magic == 0x2BADB002, "EAX holds the Multiboot magic")) {
        return GUEST_FAIL;
    }
    ok &= check(mbi->flags & MBI_FLAG_MEM, "memory information present");
    ok &= check(mbi->flags & MBI_FLAG_CMDLINE, "command line present");
    ok &= check(mbi->flags & MBI_FLAG_MMAP, "memory map present");
    if (!ok) {
        return GUEST_FAIL;
    }
    printf_serial("cmdline args='%s'\n", args_of((const char *)mbi->cmdline));
    printf_serial("~mem_lower=%u KiB mem_upper=%u KiB\n", mbi->mem_lower, mbi->mem_upper);
    ok &= check(mbi->mem_lower >= 600 && mbi->mem_lower <= 640, "mem_lower near 640 KiB");
    ok &= check(mbi->mem_upper >= 1024, "mem_upper at least 1 MiB");
    if (mbi->flags & MBI_FLAG_LOADER) {
        printf_serial("~boot_loader_name='%s'\n", (const char *)mbi->boot_loader_name);
    }
    ok &= check_mmap(mbi);
    if (mbi->flags & MBI_FLAG_MODS) {
        ok &= check_modules(mbi);
    } else {
        printf_serial("mods_count=0\n");
    }
    puts_serial(ok ? "mbinfo: PASS\n" : "mbinfo: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
