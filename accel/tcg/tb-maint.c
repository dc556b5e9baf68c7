/*
 * Code pages across vCPUs.  Each vCPU has its own code cache
 * (translate-all.c: decoded instructions point at its own registers), so
 * a store by one vCPU, or DMA, into a page another vCPU has decoded must
 * reach that vCPU's cache.  The owners table maps a host page to the set
 * of vCPUs with code there (QEMU keeps per-page flags for the same job):
 *
 * - A vCPU registers a page before it decodes from it, and every vCPU's
 *   TLB loses its fast write entries for the page (under the BQL, which
 *   every TLB fill holds, so no fill can race with that).  From then on
 *   all stores to it take st_slow or the atomic slow path.
 * - A store there, or DMA (memory_notify_ram_write), queues an
 *   invalidation for each owning vCPU (translate-all.c's pending list,
 *   applied at its next block boundary, and by CPUID) and drops the
 *   vCPU from the owners, so the following stores go fast again; the
 *   vCPU registers the page anew when it decodes there again.  A vCPU
 *   frees only its own blocks, between its own blocks, so a block is
 *   never freed under the vCPU running it.
 *
 * SDM vol.3 8.1.3: a vCPU must see the new code once it has executed a
 * serializing instruction after the modification; block boundaries come
 * at every taken branch and at the serializing instructions (they end the
 * block or, CPUID, apply the queue themselves).  A store whose TLB check
 * passed just before the page was registered may still land unseen; the
 * guest cannot tell that from a store that raced the other vCPU's fetch.
 *
 * The table is under tcg_cpus_lock (cpus-common.c).
 */
#include "tcg-cpu.h"
#include "qemu/main-loop.h"

#define PAGE_MASK_4K (~(uintptr_t)0xfff)

typedef struct CodePageOwners {
    uint64_t bits[TCG_MAX_CPUS / 64];
} CodePageOwners;

static GHashTable *code_owners; /* host page -> CodePageOwners */

static CodePageOwners *owners_lookup(uint8_t *page, bool create)
{
    CodePageOwners *o;

    if (!code_owners) {
        if (!create) {
            return NULL;
        }
        code_owners = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    }
    o = g_hash_table_lookup(code_owners, page);
    if (!o && create) {
        o = g_new0(CodePageOwners, 1);
        g_hash_table_insert(code_owners, page, o);
    }
    return o;
}

static bool owners_empty(const CodePageOwners *o)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(o->bits); i++) {
        if (o->bits[i]) {
            return false;
        }
    }
    return true;
}

void tb_page_register(TCGCPU *s, uint8_t *host_page)
{
    bql_lock();
    tcg_cpus_lock();
    CodePageOwners *o = owners_lookup(host_page, true);
    o->bits[s->cpu_slot / 64] |= 1ull << (s->cpu_slot % 64);
    for (unsigned i = 0; i < TCG_MAX_CPUS; i++) {
        TCGCPU *x = tcg_cpus_slot(i);
        if (x) {
            tlb_protect_code(x, host_page);
        }
    }
    tcg_cpus_unlock();
    bql_unlock();
}

void tb_page_unregister(TCGCPU *s, uint8_t *host_page)
{
    tcg_cpus_lock();
    CodePageOwners *o = owners_lookup(host_page, false);
    if (o) {
        o->bits[s->cpu_slot / 64] &= ~(1ull << (s->cpu_slot % 64));
        if (owners_empty(o)) {
            g_hash_table_remove(code_owners, host_page);
        }
    }
    tcg_cpus_unlock();
}

bool tb_page_is_code(uint8_t *host_page)
{
    bool r;

    tcg_cpus_lock();
    r = owners_lookup(host_page, false) != NULL;
    tcg_cpus_unlock();
    return r;
}

/* Takes the vCPUs in mask (but not self) off page's owners (NULL: the
 * entry was already removed) and queues [host, host+len) for each. */
static void owners_notify(const uint64_t *mask, TCGCPU *self, uint8_t *host, size_t len)
{
    for (unsigned w = 0; w < TCG_MAX_CPUS / 64; w++) {
        for (uint64_t m = mask[w]; m; m &= m - 1) {
            TCGCPU *x = tcg_cpus_slot(w * 64 + __builtin_ctzll(m));
            if (x && x != self) {
                tb_queue_ram_write(x, host, len);
            }
        }
    }
}

void tb_invalidate_phys_write(TCGCPU *s, uint8_t *host, size_t len)
{
    uint8_t *page = (uint8_t *)((uintptr_t)host & PAGE_MASK_4K);

    if (tb_page_has_code(s, page)) {
        tb_invalidate_host_page(s, page);
    }
    tcg_cpus_lock();
    CodePageOwners *o = owners_lookup(page, false);
    if (o) {
        CodePageOwners m = *o;
        g_hash_table_remove(code_owners, page); /* s dropped its own above */
        owners_notify(m.bits, s, host, len);
    }
    tcg_cpus_unlock();
}

/* memory_set_ram_write_hook: DMA, a loader or a device wrote guest RAM
 * (any thread, BQL held or not). */
void tcg_ram_write_hook(void *opaque, void *host, size_t len)
{
    uint8_t *lo = (uint8_t *)((uintptr_t)host & PAGE_MASK_4K);
    uint8_t *hi = (uint8_t *)host + len;
    CodePageOwners m = { { 0 } };
    bool any = false;

    if (!len) {
        return;
    }
    tcg_cpus_lock();
    if (!code_owners || !g_hash_table_size(code_owners)) {
        tcg_cpus_unlock();
        return;
    }
    if ((size_t)(hi - lo) / 0x1000 > g_hash_table_size(code_owners)) {
        /* a large write: walk the table rather than the range */
        GHashTableIter it;
        gpointer key, val;
        g_hash_table_iter_init(&it, code_owners);
        while (g_hash_table_iter_next(&it, &key, &val)) {
            if ((uint8_t *)key >= lo && (uint8_t *)key < hi) {
                CodePageOwners *o = val;
                for (unsigned w = 0; w < G_N_ELEMENTS(m.bits); w++) {
                    m.bits[w] |= o->bits[w];
                }
                g_hash_table_iter_remove(&it);
                any = true;
            }
        }
    } else {
        for (uint8_t *p = lo; p < hi; p += 0x1000) {
            CodePageOwners *o = owners_lookup(p, false);
            if (o) {
                for (unsigned w = 0; w < G_N_ELEMENTS(m.bits); w++) {
                    m.bits[w] |= o->bits[w];
                }
                g_hash_table_remove(code_owners, p);
                any = true;
            }
        }
    }
    if (any) {
        owners_notify(m.bits, NULL, host, len);
    }
    tcg_cpus_unlock();
}
