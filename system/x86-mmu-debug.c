/*
 * Debugger access to guest memory (exec/cpu-debug.h).  The walk follows
 * the paging mode CR0.PG, CR4.PAE and EFER.LMA select (SDM vol.3 4.1.1):
 * none, 32-bit (4 KiB, 4 MiB pages with CR4.PSE), PAE (4 KiB, 2 MiB) and
 * 4-level (4 KiB, 2 MiB, 1 GiB).  Only the present bits are checked: a
 * debugger reads what the guest could reach at any privilege.
 */
#include "exec/cpu-debug.h"

#include "exec/memory.h"
#include "sysemu/accel-ops.h"

#define PG_PRESENT 0x1ull
#define PG_PSE     0x80ull
#define PAE_ADDR   0x000ffffffffff000ull

static bool read_pte(CPUState *cpu, uint64_t addr, bool wide, uint64_t *pte)
{
    MemTxResult res;

    if (wide) {
        *pte = address_space_ldq(cpu->as, addr, MEMTXATTRS_UNSPECIFIED, &res);
    } else {
        *pte = address_space_ldl(cpu->as, addr, MEMTXATTRS_UNSPECIFIED, &res);
    }
    return res == MEMTX_OK && (*pte & PG_PRESENT);
}

bool x86_cpu_get_phys_addr_debug(CPUState *cpu, uint64_t addr, uint64_t *paddr)
{
    const CPUX86State *env = &cpu->env;
    uint64_t pte;

    if (!(env->cr[0] & CR0_PG_MASK)) {
        *paddr = addr & 0xffffffffull & env->a20_mask;
        return true;
    }
    if (env->efer & MSR_EFER_LMA) {
        uint64_t table = env->cr[3] & PAE_ADDR;

        /* PML4, PDPT (1 GiB pages), PD (2 MiB), PT */
        for (int level = 3; level >= 0; level--) {
            unsigned shift = 12 + 9 * level;

            if (!read_pte(cpu, table + (((addr >> shift) & 0x1ff) << 3), true, &pte)) {
                return false;
            }
            if (level == 0 || ((level == 1 || level == 2) && (pte & PG_PSE))) {
                uint64_t mask = (1ull << shift) - 1;
                *paddr = ((pte & PAE_ADDR) & ~mask) | (addr & mask);
                return true;
            }
            table = pte & PAE_ADDR;
        }
        return false;
    }
    addr &= 0xffffffffull;
    if (env->cr[4] & CR4_PAE_MASK) {
        if (!read_pte(cpu, (env->cr[3] & 0xffffffe0ull) + ((addr >> 30) << 3), true, &pte) ||
            !read_pte(cpu, (pte & PAE_ADDR) + (((addr >> 21) & 0x1ff) << 3), true, &pte)) {
            return false;
        }
        if (pte & PG_PSE) {
            *paddr = (pte & PAE_ADDR & ~0x1fffffull) | (addr & 0x1fffff);
            return true;
        }
        if (!read_pte(cpu, (pte & PAE_ADDR) + (((addr >> 12) & 0x1ff) << 3), true, &pte)) {
            return false;
        }
        *paddr = (pte & PAE_ADDR) | (addr & 0xfff);
        return true;
    }
    if (!read_pte(cpu, (env->cr[3] & 0xfffff000ull) + ((addr >> 22) << 2), false, &pte)) {
        return false;
    }
    if ((pte & PG_PSE) && (env->cr[4] & CR4_PSE_MASK)) {
        /* 4 MiB page: bits 20:13 are physical address bits 39:32 (PSE-36) */
        *paddr = (pte & 0xffc00000ull) | ((pte & 0x1fe000ull) << 19) | (addr & 0x3fffff);
        return true;
    }
    if (!read_pte(cpu, (pte & 0xfffff000ull) + (((addr >> 12) & 0x3ff) << 2), false, &pte)) {
        return false;
    }
    *paddr = (pte & 0xfffff000ull) | (addr & 0xfff);
    return true;
}

int cpu_memory_rw_debug(CPUState *cpu, uint64_t addr, void *buf, size_t len, bool is_write)
{
    uint8_t *p = buf;

    while (len) {
        uint64_t paddr;
        size_t chunk = MIN(len, 0x1000 - (addr & 0xfff));
        MemTxResult res;

        if (!x86_cpu_get_phys_addr_debug(cpu, addr, &paddr)) {
            return -1;
        }
        res = address_space_rw(cpu->as, paddr, MEMTXATTRS_UNSPECIFIED, p, chunk, is_write);
        if (res != MEMTX_OK) {
            return -1;
        }
        if (cpu->accel_ops && cpu->accel_ops->debug_memory_fixup) {
            cpu->accel_ops->debug_memory_fixup(cpu, paddr, p, chunk, is_write);
        }
        addr += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

uint64_t x86_cpu_pc_linear(const CPUState *cpu)
{
    uint64_t pc = cpu->env.segs[R_CS].base + cpu->env.eip;

    return x86_cpu_code_bits(cpu) == 64 ? pc : (pc & 0xffffffffull);
}

int x86_cpu_code_bits(const CPUState *cpu)
{
    const CPUX86State *env = &cpu->env;

    if ((env->efer & MSR_EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK)) {
        return 64;
    }
    if (!(env->cr[0] & CR0_PE_MASK) || (env->eflags & VM_MASK)) {
        return 16;
    }
    return (env->segs[R_CS].flags & DESC_B_MASK) ? 32 : 16;
}
