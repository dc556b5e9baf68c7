/*
 * Paging: the page walk behind the software TLB (SDM vol.3 chapter 4).
 * 32-bit paging with 4 KiB and 4 MiB (PSE, PSE-36) pages, PAE paging, and
 * 4-level paging for long mode with 2 MiB and (CPUID pdpe1gb) 1 GiB
 * pages.  Sets accessed/dirty bits, honours U/S, R/W with CR0.WP, NX when
 * EFER.NXE is on, reserved bits (RSVD faults) and global pages (G with
 * CR4.PGE).  Called with the BQL held.
 */
#include "tcg-cpu.h"
#include "qemu/log.h"

#define PG_PRESENT  (1ull << 0)
#define PG_RW       (1ull << 1)
#define PG_USER     (1ull << 2)
#define PG_ACCESSED (1ull << 5)
#define PG_DIRTY    (1ull << 6)
#define PG_PSE      (1ull << 7)
#define PG_GLOBAL   (1ull << 8)
#define PG_NX       (1ull << 63)
#define PG_ADDR_MASK 0x000ffffffffff000ull

#define PF_PRESENT 0x01
#define PF_WRITE   0x02
#define PF_USER    0x04
#define PF_RSVD    0x08
#define PF_FETCH   0x10

/* A page-table entry: where it lives, for the A/D bit updates. */
typedef struct PTEntry {
    uint64_t val;
    void *host;     /* RAM pointer, or NULL if the table is not in RAM */
    bool is64;
} PTEntry;

static PTEntry pte_load(TCGCPU *s, hwaddr pa, bool is64)
{
    PTEntry e = { .is64 = is64 };
    hwaddr xlat, len = is64 ? 8 : 4;
    MemoryRegion *mr;
    bool readonly;

    pa &= s->env->a20_mask;
    mr = address_space_translate_ro(s->cpu->as, pa, &xlat, &len, &readonly);
    /* A table in ROM is read there but its A/D bits cannot be set. */
    if (mr && memory_region_is_ram(mr) && !readonly && len >= (is64 ? 8u : 4u)) {
        e.host = (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;
        if (is64) {
            memcpy(&e.val, e.host, 8);
        } else {
            uint32_t v;
            memcpy(&v, e.host, 4);
            e.val = v;
        }
    } else {
        e.val = is64 ? address_space_ldq(s->cpu->as, pa, MEMTXATTRS_UNSPECIFIED, NULL)
                     : address_space_ldl(s->cpu->as, pa, MEMTXATTRS_UNSPECIFIED, NULL);
    }
    return e;
}

static void pte_set_bits(PTEntry *e, uint64_t bits)
{
    if ((e->val & bits) == bits || !e->host) {
        return;
    }
    e->val |= bits;
    /* Only the low dword holds A and D. */
    __atomic_fetch_or((uint32_t *)e->host, (uint32_t)bits, __ATOMIC_RELAXED);
}

G_NORETURN void raise_page_fault(TCGCPU *s, uint64_t lin, int err)
{
    s->env->cr[2] = lin;
    qemu_log_mask(CPU_LOG_INT, "tcg: #PF lin=0x%" PRIx64 " err=0x%x\n", lin, err);
    raise_exception_err(s, EXCP0E_PAGE, err);
}

G_NORETURN void raise_noncanonical(TCGCPU *s, bool stack)
{
    qemu_log_mask(CPU_LOG_INT, "tcg: non-canonical %s address\n", stack ? "stack" : "memory");
    raise_exception_err(s, stack ? EXCP0C_STACK : EXCP0D_GPF, 0);
}

bool x86_cpu_get_phys(TCGCPU *s, uint64_t lin, int acc, int mmu_idx, X86Translation *t,
                      bool raise)
{
    CPUX86State *env = s->env;
    bool is_user = mmu_idx == MMU_USER;
    bool is_write = acc == ACC_WRITE;
    bool pae = env->cr[4] & CR4_PAE_MASK;
    bool lma = env->efer & MSR_EFER_LMA;
    bool wide = pae || lma;          /* 8-byte entries */
    bool nxe = wide && (env->efer & MSR_EFER_NXE);
    /* Address bits at and above MAXPHYADDR are reserved (SDM 4.4.2, 4.5.4);
     * so is NX without EFER.NXE, and in PAE paging bits 62:52 too. */
    uint64_t phys_rsvd = (~0ull << s->cpu->cpuid.phys_bits) & (lma ? 0x000fffffffffffffull
                                                                   : 0x7fffffffffffffffull);
    uint64_t rsvd = phys_rsvd | (nxe ? 0 : PG_NX);
    PTEntry entries[4];
    int levels, n = 0, i, err;
    uint64_t table, page_mask = 0xfff, allowed_user = PG_USER, allowed_rw = PG_RW;
    bool nx = false;

    if (!(env->cr[0] & CR0_PG_MASK)) {
        t->paddr = lin & env->a20_mask;
        t->writable = true;
        t->global = false;
        t->page_mask = 0xfff;
        return true;
    }

    if (lma) {
        levels = 4;
        table = env->cr[3] & PG_ADDR_MASK & ~phys_rsvd;
    } else if (pae) {
        /* The PDPTEs: present and the address, nothing else (SDM 4.4.1). */
        PTEntry pdpte = pte_load(s, (env->cr[3] & ~0x1full) + ((lin >> 30) & 3) * 8, true);
        if (!(pdpte.val & PG_PRESENT)) {
            err = 0;
            goto fault;
        }
        if (pdpte.val & (phys_rsvd | PG_NX | 0x1e6)) {
            err = PF_PRESENT | PF_RSVD;
            goto fault;
        }
        levels = 2;
        table = pdpte.val & PG_ADDR_MASK;
    } else {
        levels = 2;
        table = env->cr[3] & 0xfffff000ull;
    }

    for (i = levels - 1; i >= 0; i--) {
        int shift = wide ? 12 + 9 * i : 12 + 10 * i;
        unsigned idx = wide ? (lin >> shift) & 0x1ff : (lin >> shift) & 0x3ff;
        PTEntry e = pte_load(s, table + idx * (wide ? 8 : 4), wide);

        if (!(e.val & PG_PRESENT)) {
            err = 0;
            goto fault;
        }
        bool large = i > 0 && (e.val & PG_PSE);
        uint64_t bad = wide ? e.val & rsvd : 0;
        if (large) {
            /* PS: 2 MiB (PDE), 1 GiB (PDPTE, with CPUID pdpe1gb), never in a
             * PML4E; 32-bit paging: 4 MiB with CR4.PSE, else PS is ignored. */
            if (!wide) {
                large = env->cr[4] & CR4_PSE_MASK;
                /* PSE-36: bits 20:13 are address bits 39:32, bit 21 reserved */
                bad = large ? e.val & (cpu_has(s, FEAT_1_EDX, CPUID_PSE36) ? 0x200000 : 0x3fe000)
                            : 0;
            } else if (i == 3 || (i == 2 && !cpu_has(s, FEAT_8000_0001_EDX,
                                                     CPUID_EXT2_PDPE1GB))) {
                bad |= PG_PSE;
            } else {
                bad |= e.val & ((1ull << shift) - 1) & ~0x1fffull; /* above PAT (bit 12) */
            }
        }
        if (bad) {
            err = PF_PRESENT | PF_RSVD;
            goto fault;
        }
        if (nxe && (e.val & PG_NX)) {
            nx = true;
        }
        allowed_user &= e.val;
        allowed_rw &= e.val;
        entries[n++] = e;
        if (large) {
            page_mask = (1ull << shift) - 1;
            if (wide) {
                table = e.val & PG_ADDR_MASK & ~page_mask;
            } else {
                table = (e.val & 0xffc00000ull) | (((e.val >> 13) & 0xff) << 32);
            }
            break;
        }
        table = e.val & (wide ? PG_ADDR_MASK : 0xfffff000ull);
    }

    /* Protection (SDM 4.6) */
    err = PF_PRESENT;
    if (is_user && !allowed_user) {
        goto fault;
    }
    if (is_write && !allowed_rw && (is_user || (env->cr[0] & CR0_WP_MASK))) {
        goto fault;
    }
    if (acc == ACC_CODE && nx) {
        goto fault;
    }

    for (i = 0; i < n; i++) {
        pte_set_bits(&entries[i], PG_ACCESSED);
    }
    if (is_write) {
        pte_set_bits(&entries[n - 1], PG_DIRTY);
    }
    t->paddr = ((table & ~page_mask) | (lin & page_mask)) & env->a20_mask;
    /* The fast write path must come back here for the first write that
     * sets D, and must never bypass a read-only page. */
    t->writable = (entries[n - 1].val & PG_DIRTY) &&
                  (allowed_rw || (!is_user && !(env->cr[0] & CR0_WP_MASK)));
    t->global = (env->cr[4] & CR4_PGE_MASK) && (entries[n - 1].val & PG_GLOBAL);
    t->page_mask = page_mask;
    return true;

fault:
    if (is_write) {
        err |= PF_WRITE;
    }
    if (is_user) {
        err |= PF_USER;
    }
    if (acc == ACC_CODE && nxe) {
        err |= PF_FETCH;
    }
    if (!raise) {
        s->error_code = err; /* for raise_page_fault once the BQL is dropped */
        return false;
    }
    raise_page_fault(s, lin, err);
}
