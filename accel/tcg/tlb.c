/*
 * The software TLB: linear page -> host pointer for RAM, per privilege
 * class.  The inline fast paths in tcg-cpu.h hit when the tag matches; the
 * slow paths here walk the page tables, fill the entry, and send anything
 * that is not RAM to memory_region_dispatch_read/write under the BQL.
 */
#include "tcg-cpu.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"

void tlb_flush(TCGCPU *s)
{
    for (int m = 0; m < MMU_COUNT; m++) {
        for (int i = 0; i < TLB_SIZE; i++) {
            s->tlb[m][i] = (TLBEntry){ TLB_INVALID, TLB_INVALID, TLB_INVALID, 0 };
        }
    }
    memset(s->tlb_global, 0, sizeof(s->tlb_global));
    s->tlb_has_large = false;
    /* Block lookup by linear address relies on the same mappings. */
    tb_jmp_cache_flush(s);
    s->tb_gen++;
}

/* MOV to CR3: every translation except those of global pages (SDM 4.10.4.1). */
void tlb_flush_nonglobal(TCGCPU *s)
{
    for (int m = 0; m < MMU_COUNT; m++) {
        for (int i = 0; i < TLB_SIZE; i++) {
            if (!(s->tlb_global[m][i / 64] & (1ull << (i % 64)))) {
                s->tlb[m][i] = (TLBEntry){ TLB_INVALID, TLB_INVALID, TLB_INVALID, 0 };
            }
        }
    }
    /* Blocks are found by linear address: forget them all (cheap to refind). */
    tb_jmp_cache_flush(s);
    s->tb_gen++;
}

/* INVLPG: the page's translation (SDM vol.3 4.10.4.1).  A large page is
 * held as 4 KiB pieces, so an address inside the large-page range drops
 * everything, as the range may be one page of the guest's. */
void tlb_flush_page(TCGCPU *s, uint64_t lin)
{
    uint64_t page = lin & ~0xfffull;

    if (s->tlb_has_large && (lin & s->tlb_large_mask) == s->tlb_large_addr) {
        tlb_flush(s);
        return;
    }
    for (int m = 0; m < MMU_COUNT; m++) {
        TLBEntry *e = &s->tlb[m][(lin >> 12) & (TLB_SIZE - 1)];
        if (e->addr_read == page || e->addr_write == page || e->addr_code == page) {
            *e = (TLBEntry){ TLB_INVALID, TLB_INVALID, TLB_INVALID, 0 };
        }
    }
    tb_jmp_cache_clear_page(s, page);
    s->tb_gen++; /* links are by EIP: one may lead into the page */
}

/* Widens the large-page range to cover lin's page of page_mask + 1 bytes. */
static void tlb_add_large_page(TCGCPU *s, uint64_t lin, uint64_t page_mask)
{
    uint64_t mask = ~page_mask;

    if (s->tlb_has_large) {
        mask &= s->tlb_large_mask;
        while ((lin & mask) != (s->tlb_large_addr & mask)) {
            mask <<= 1; /* ends at 0 at the latest: the whole space */
        }
    }
    s->tlb_has_large = true;
    s->tlb_large_mask = mask;
    s->tlb_large_addr = lin & mask;
}

/*
 * Any vCPU's TLB, from the vCPU registering a code page (tb-maint.c),
 * under the BQL: the owner fills entries only under the BQL, so the only
 * concurrent change it can make is dropping entries, which this agrees
 * with; the accesses are atomic so that neither sees a torn word.
 */
void tlb_protect_code(TCGCPU *s, uint8_t *host_page)
{
    for (int m = 0; m < MMU_COUNT; m++) {
        for (int i = 0; i < TLB_SIZE; i++) {
            TLBEntry *e = &s->tlb[m][i];
            uint64_t w = __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);
            uintptr_t addend = __atomic_load_n(&e->addend, __ATOMIC_RELAXED);
            if (w != TLB_INVALID && (uint8_t *)(addend + (uintptr_t)w) == host_page) {
                __atomic_store_n(&e->addr_write, TLB_INVALID, __ATOMIC_SEQ_CST);
            }
        }
    }
}

/*
 * RAM through a host pointer, as one host access of the guest's size:
 * an aligned (or within-line) guest access stays single-copy atomic, as
 * the SDM's 8.1.1 guarantees, when another vCPU looks (no byte copies).
 */
static inline uint64_t host_ld(const void *p, int size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void host_st(void *p, int size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)p = v; break;
    case 2: { uint16_t x = v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

/*
 * A linear address that is not canonical never has a TLB entry, so every
 * access to one ends up here: #GP(0), or #SS(0) when the instruction's
 * memory operand is stack-relative (the stack helpers check their own
 * addresses before they get this far).
 */
static inline void check_canonical(TCGCPU *s, uint64_t lin)
{
    if (G_UNLIKELY(!is_canonical(lin)) && (s->env->efer & MSR_EFER_LMA)) {
        raise_noncanonical(s, s->cur && s->cur->seg == R_SS);
    }
}

typedef struct PhysTarget {
    MemoryRegion *mr;
    hwaddr xlat;
    uint8_t *host; /* RAM: host address of lin */
    bool readonly; /* writes are dropped (ROM, or a read-only alias of RAM) */
} PhysTarget;

/*
 * Translates lin and fills its TLB entry when it is RAM.  Takes the BQL
 * for the walk and the flat-view lookup and leaves it held on return
 * (the caller may need it for MMIO); faults drop it before raising.
 */
static PhysTarget tlb_fill_locked(TCGCPU *s, uint64_t lin, int acc)
{
    PhysTarget t = { 0 };
    uint64_t paddr, page = lin & ~0xfffull;
    X86Translation xl;
    hwaddr len;
    TLBEntry *e = tlb_entry(s, lin);
    unsigned slot = (lin >> 12) & (TLB_SIZE - 1);

    check_canonical(s, lin);
    bql_lock();
    if (!x86_cpu_get_phys(s, lin, acc, s->mmu_idx, &xl, false)) {
        bql_unlock();
        raise_page_fault(s, lin, s->error_code);
    }
    paddr = xl.paddr;
    len = 0x1000 - (paddr & 0xfff);
    t.mr = address_space_translate_ro(s->cpu->as, paddr, &t.xlat, &len, &t.readonly);
    if (!t.mr || !memory_region_is_ram(t.mr)) {
        return t;
    }
    t.host = (uint8_t *)memory_region_get_ram_ptr(t.mr) + t.xlat;
    /* The whole guest page must be backed by this RAM block. */
    if (len < 0x1000 - (paddr & 0xfff)) {
        return t; /* the page's tail is something else */
    }
    if (paddr & 0xfff) {
        /* ... and so must its head be this same RAM, contiguously */
        hwaddr xlat0, len0 = paddr & 0xfff;
        bool ro0;
        MemoryRegion *mr0 = address_space_translate_ro(s->cpu->as, paddr & ~0xfffull, &xlat0,
                                                       &len0, &ro0);
        if (mr0 != t.mr || xlat0 + (paddr & 0xfff) != t.xlat || len0 < (paddr & 0xfff) ||
            ro0 != t.readonly) {
            return t;
        }
    }
    uint8_t *host_page = t.host - (lin & 0xfff);
    e->addend = (uintptr_t)host_page - (uintptr_t)page;
    e->addr_read = page;
    e->addr_code = page;
    e->addr_write = TLB_INVALID;
    if (xl.writable && !t.readonly && !tb_page_is_code(host_page)) {
        e->addr_write = page;
    }
    if (G_UNLIKELY(s->bp_data_r | s->bp_data_w | s->gdb_watch)) {
        debug_tlb_filter(s, e, page);
    }
    if (xl.page_mask > 0xfff) {
        tlb_add_large_page(s, lin, xl.page_mask);
    }
    if (xl.global) {
        s->tlb_global[s->mmu_idx][slot / 64] |= 1ull << (slot % 64);
    } else {
        s->tlb_global[s->mmu_idx][slot / 64] &= ~(1ull << (slot % 64));
    }
    return t;
}

static void log_unassigned(uint64_t lin, const char *what)
{
    qemu_log_mask(LOG_GUEST_ERROR, "tcg: %s of unassigned memory at linear 0x%" PRIx64 "\n",
                  what, lin);
}

uint64_t ld_slow(TCGCPU *s, uint64_t lin, int size, int acc)
{
    uint64_t v = 0;

    if (G_UNLIKELY(s->bp_data_r | s->gdb_watch) && acc != ACC_CODE) {
        debug_check_data(s, lin, size, false);
    }
    if ((lin & 0xfff) + size > 0x1000) {
        /* Crosses a page: byte by byte, little-endian (wrapping at 4 GiB
         * outside long mode). */
        uint64_t m = (s->env->efer & MSR_EFER_LMA) ? ~0ull : 0xffffffffull;
        check_canonical(s, lin + size - 1);
        for (int i = 0; i < size; i++) {
            v |= ld_slow(s, (lin + i) & m, 1, acc) << (8 * i);
        }
        return v;
    }
    PhysTarget t = tlb_fill_locked(s, lin, acc);
    if (t.host) {
        v = host_ld(t.host, size);
    } else if (t.mr) {
        memory_region_dispatch_read(t.mr, t.xlat, &v, size, MEMTXATTRS_UNSPECIFIED);
    } else {
        log_unassigned(lin, "read");
        v = size_mask(__builtin_ctz(size));
    }
    bql_unlock();
    return v;
}

void probe_write(TCGCPU *s, uint64_t lin, int len)
{
    uint64_t end = lin + len - 1;
    X86Translation xl;

    check_canonical(s, lin);
    check_canonical(s, end);
    if (!(s->env->efer & MSR_EFER_LMA) && end > 0xffffffffull) {
        probe_write(s, lin, 0x100000000ull - lin); /* wraps at 4 GiB */
        probe_write(s, 0, end - 0xffffffffull);
        return;
    }
    for (uint64_t p = lin & ~0xfffull; p <= (end & ~0xfffull); p += 0x1000) {
        uint64_t a = p < lin ? lin : p;
        if (lin_rmw_ptr(s, a, 1)) {
            continue;
        }
        bql_lock();
        bool ok = x86_cpu_get_phys(s, a, ACC_WRITE, s->mmu_idx, &xl, false);
        bql_unlock();
        if (!ok) {
            raise_page_fault(s, a, s->error_code);
        }
    }
}

void st_slow(TCGCPU *s, uint64_t lin, uint64_t val, int size)
{
    if (G_UNLIKELY(s->bp_data_w | s->gdb_watch)) {
        debug_check_data(s, lin, size, true);
    }
    if ((lin & 0xfff) + size > 0x1000) {
        uint64_t m = (s->env->efer & MSR_EFER_LMA) ? ~0ull : 0xffffffffull;
        probe_write(s, lin, size);
        for (int i = 0; i < size; i++) {
            st_slow(s, (lin + i) & m, (val >> (8 * i)) & 0xff, 1);
        }
        return;
    }
    PhysTarget t = tlb_fill_locked(s, lin, ACC_WRITE);
    if (t.host) {
        if (!t.readonly) {
            host_st(t.host, size, val);
            /* no fast write entry: the page may hold some vCPU's code */
            if (tlb_entry(s, lin)->addr_write != (lin & ~0xfffull)) {
                tb_invalidate_phys_write(s, t.host, size);
            }
        }
    } else if (t.mr) {
        memory_region_dispatch_write(t.mr, t.xlat, val, size, MEMTXATTRS_UNSPECIFIED);
    } else {
        log_unassigned(lin, "write");
    }
    bql_unlock();
}

void *tlb_rmw_host(TCGCPU *s, uint64_t lin, int size, bool *code)
{
    void *p = NULL;

    *code = false;
    if ((lin & 0xfff) + size > 0x1000) {
        return NULL;
    }
    if (G_UNLIKELY(s->bp_data_w | s->gdb_watch)) {
        debug_check_data(s, lin, size, true);
    }
    PhysTarget t = tlb_fill_locked(s, lin, ACC_WRITE);
    if (t.host && !t.readonly) {
        p = t.host;
        *code = tlb_entry(s, lin)->addr_write != (lin & ~0xfffull);
    }
    bql_unlock();
    return p;
}
