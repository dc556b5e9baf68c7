/*
 * The boot-protocol test kernel: checks what duet's Linux loader handed
 * over (boot.rst, zero-page.rst) and prints it for the runner:
 *   - the entry state: CS = __BOOT_CS (0x10), DS = ES = SS = __BOOT_DS
 *     (0x18), %esi = boot_params, interrupts off; for the 64-bit entry
 *     long mode with paging;
 *   - boot_params: the setup header copied, type_of_loader, cmd_line_ptr,
 *     the initrd (its first line printed), the e820 map (entries printed
 *     with '~': the runner checks them).
 * Built twice (-m32 and -m64) and wrapped into a bzImage by mkbzimage.py.
 */
#include "../runtime/guest.h"

extern uint16_t entry_cs, entry_ds, entry_ss, entry_es;
extern uint32_t entry_esi;

static inline uint8_t bp8(const uint8_t *bp, unsigned off) { return bp[off]; }
static inline uint16_t bp16(const uint8_t *bp, unsigned off) { return *(const uint16_t *)(bp + off); }
static inline uint32_t bp32(const uint8_t *bp, unsigned off) { return *(const uint32_t *)(bp + off); }
static inline uint64_t bp64(const uint8_t *bp, unsigned off) { return *(const uint64_t *)(bp + off); }

static bool check_entry_state(unsigned entered, const uint8_t *bp)
{
    bool ok = true;
    unsigned long flags;

    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    printf_serial("entry: %u-bit cs=0x%x ds=0x%x es=0x%x ss=0x%x esi=0x%x\n", entered, entry_cs,
                  entry_ds, entry_es, entry_ss, entry_esi);
    ok &= check(entry_cs == 0x10, "CS is __BOOT_CS");
    ok &= check(entry_ds == 0x18 && entry_es == 0x18 && entry_ss == 0x18, "data segments are __BOOT_DS");
    ok &= check(entry_esi == (uint32_t)(unsigned long)bp, "esi is boot_params");
    ok &= check(!(flags & 0x200), "interrupts off");
#ifdef __x86_64__
    unsigned long cr0, cr4;
    uint32_t lo, hi;
    __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
    ok &= check(entered == 64, "entered at the 64-bit entry");
    ok &= check((cr0 & 0x80000001) == 0x80000001 && (cr4 & 0x20), "paging with PAE");
    ok &= check(lo & (1 << 10), "EFER.LMA");
#else
    ok &= check(entered == 32, "entered at code32_start");
#endif
    return ok;
}

static bool check_params(const uint8_t *bp)
{
    bool ok = true;
    const char *cmdline = (const char *)(unsigned long)bp32(bp, 0x228);
    uint32_t initrd = bp32(bp, 0x218), initrd_size = bp32(bp, 0x21c);
    unsigned n = bp8(bp, 0x1e8);
    bool low_ram = false, high_ram = false, ioapic = false;

    ok &= check(bp16(bp, 0x1fe) == 0xaa55 && !strncmp((const char *)bp + 0x202, "HdrS", 4),
                "setup header copied");
    ok &= check(bp8(bp, 0x210) == 0xff, "type_of_loader 0xff");
    ok &= check(bp32(bp, 0x214) == 0x100000, "code32_start is the load address");
    printf_serial("cmdline='%s'\n", cmdline);
    if (initrd_size) {
        const char *p = (const char *)(unsigned long)initrd;
        unsigned len = 0;
        while (len < initrd_size && p[len] != '\n') {
            len++;
        }
        printf_serial("~initrd at 0x%x\n", initrd);
        printf_serial("initrd: %u bytes, first line '", initrd_size);
        for (unsigned i = 0; i < len; i++) {
            putchar_serial(p[i]);
        }
        puts_serial("'\n");
        ok &= check(!(initrd & 0xfff), "initrd page aligned");
        ok &= check(initrd + initrd_size <= bp32(bp, 0x22c) + 1u, "initrd below initrd_addr_max");
    }
    printf_serial("e820: %u entries\n", n);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = bp + 0x2d0 + i * 20;
        uint64_t addr = bp64(e, 0), size = bp64(e, 8);
        uint32_t type = bp32(e, 16);
        printf_serial("~e820 0x%llx-0x%llx type %u\n", (unsigned long long)addr,
                      (unsigned long long)(addr + size), type);
        low_ram |= addr == 0 && size == 0x9fc00 && type == 1;
        high_ram |= addr == 0x100000 && type == 1 && addr + size > 0x1000000;
        ioapic |= addr <= 0xfec00000 && addr + size >= 0xfec01000 && type == 2;
    }
    ok &= check(low_ram, "e820: RAM up to the EBDA");
    ok &= check(high_ram, "e820: RAM from 1 MiB");
    ok &= check(ioapic, "e820: the IOAPIC page reserved");
    return ok;
}

int guest_main(uint32_t entered, struct multiboot_info *info)
{
    const uint8_t *bp = (const uint8_t *)info;
    bool ok = check_entry_state(entered, bp);

    ok &= check_params(bp);
    puts_serial(ok ? "linuxboot: PASS\n" : "linuxboot: FAIL\n");
    return ok ? GUEST_PASS : GUEST_FAIL;
}
