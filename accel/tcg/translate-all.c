/*
 * The decoded-code cache.  A TranslationBlock is a run of decoded
 * instructions, keyed by (host address of its first byte, EIP, CS base,
 * decode flags), and listed under each guest page it was decoded from.
 * Page lists live in a GTree sorted by host address so that a write of
 * any length finds every page it touches.
 *
 * Invalidation: a page is registered with tb-maint.c before the first
 * block is decoded from it, which write-protects it in every vCPU's TLB.
 * This vCPU's own store there goes to st_slow, which invalidates the
 * page's blocks at once; another vCPU's store, DMA and loader writes are
 * queued here (tb_queue_ram_write, from any thread) until this vCPU's next
 * block boundary.  Invalidated blocks go to a graveyard and are freed only
 * between blocks, never under a running one.
 */
#include "tcg-cpu.h"
#include "qemu/log.h"
#include "trace/trace.h"

#define CODE_PAGE_SIZE 0x1000

typedef struct CodePage {
    uint8_t *host;
    GPtrArray *tbs;
} CodePage;

typedef struct PendingWrite {
    uint8_t *host;
    size_t len;
} PendingWrite;

typedef struct TBKey {
    const uint8_t *host_pc;
    uint64_t pc;
    uint64_t cs_base;
    uint32_t flags;
} TBKey;

static guint tb_key_hash(gconstpointer p)
{
    const TranslationBlock *tb = p;
    uintptr_t h = (uintptr_t)tb->host_pc ^ (tb->pc * 0x9e3779b97f4a7c15ull) ^ tb->flags;
    return (guint)(h ^ (h >> 29));
}

static gboolean tb_key_equal(gconstpointer a, gconstpointer b)
{
    const TranslationBlock *x = a, *y = b;
    return x->host_pc == y->host_pc && x->pc == y->pc &&
           x->cs_base == y->cs_base && x->flags == y->flags;
}

static gint ptr_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

static void code_page_free(gpointer p)
{
    CodePage *cp = p;
    g_ptr_array_free(cp->tbs, true);
    g_free(cp);
}

void tcg_code_cache_init(TCGCPU *s)
{
    s->tb_htable = g_hash_table_new(tb_key_hash, tb_key_equal);
    s->code_pages = g_tree_new_full(ptr_cmp, NULL, NULL, code_page_free);
    s->tb_graveyard = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&s->ram_write_lock);
    s->ram_write_pending = g_array_new(false, false, sizeof(PendingWrite));
}

static GTree *code_tree(TCGCPU *s)
{
    return s->code_pages;
}

/* This vCPU no longer has code on any page of its tree (flush, destroy). */
static gboolean unregister_page(gpointer key, gpointer value, gpointer opaque)
{
    tb_page_unregister(opaque, key);
    return false;
}

static void code_page_drop(TCGCPU *s, uint8_t *host_page)
{
    g_tree_remove(code_tree(s), host_page);
    tb_page_unregister(s, host_page);
}

void tcg_code_cache_destroy(TCGCPU *s)
{
    GHashTableIter it;
    gpointer tb;

    g_hash_table_iter_init(&it, s->tb_htable);
    while (g_hash_table_iter_next(&it, &tb, NULL)) {
        g_free(tb);
    }
    g_hash_table_destroy(s->tb_htable);
    g_tree_foreach(code_tree(s), unregister_page, s);
    g_tree_destroy(code_tree(s));
    g_ptr_array_free(s->tb_graveyard, true);
    g_array_free(s->ram_write_pending, true);
    g_mutex_clear(&s->ram_write_lock);
}

bool tb_page_has_code(TCGCPU *s, uint8_t *host_page)
{
    return g_tree_lookup(code_tree(s), host_page) != NULL;
}

/* The linear pages of tb's first and last byte. */
static void tb_lin_pages(const TranslationBlock *tb, uint64_t *first, uint64_t *last)
{
    uint64_t mask = (tb->flags & TB_FLAG_CODE64) ? ~0ull : 0xffffffffull;
    uint64_t lin = (tb->cs_base + tb->pc) & mask;

    *first = lin & ~0xfffull;
    *last = ((lin + (tb->size ? tb->size - 1 : 0)) & mask) & ~0xfffull;
}

/* The jump-cache slot of a block at linear address lin. */
static unsigned tb_jmp_hash(uint64_t lin)
{
    return (lin ^ (lin >> TB_JMP_CACHE_BITS)) & (TB_JMP_CACHE_SIZE - 1);
}

static unsigned jmp_page_bit(uint64_t page)
{
    uint64_t pn = page >> 12;

    return (pn ^ (pn >> 10) ^ (pn >> 20)) & (TB_JMP_PAGES_WORDS * 64 - 1);
}

static void tb_jmp_cache_set(TCGCPU *s, unsigned h, TranslationBlock *tb)
{
    uint64_t first, last;

    tb_lin_pages(tb, &first, &last);
    s->tb_jmp_cache[h] = tb;
    s->tb_jmp_cache_pages[jmp_page_bit(first) / 64] |= 1ull << (jmp_page_bit(first) % 64);
    s->tb_jmp_cache_pages[jmp_page_bit(last) / 64] |= 1ull << (jmp_page_bit(last) % 64);
}

void tb_jmp_cache_flush(TCGCPU *s)
{
    memset(s->tb_jmp_cache, 0, sizeof(s->tb_jmp_cache));
    memset(s->tb_jmp_cache_pages, 0, sizeof(s->tb_jmp_cache_pages));
}

void tb_jmp_cache_clear_page(TCGCPU *s, uint64_t page)
{
    unsigned bit = jmp_page_bit(page);

    if (!(s->tb_jmp_cache_pages[bit / 64] & (1ull << (bit % 64)))) {
        return;
    }
    for (int i = 0; i < TB_JMP_CACHE_SIZE; i++) {
        TranslationBlock *tb = s->tb_jmp_cache[i];
        uint64_t first, last;

        if (tb) {
            tb_lin_pages(tb, &first, &last);
            if (first == page || last == page) {
                s->tb_jmp_cache[i] = NULL;
            }
        }
    }
    /* the bit may stand for other pages too: it stays */
}

static void tb_jmp_cache_remove(TCGCPU *s, TranslationBlock *tb)
{
    uint64_t mask = (tb->flags & TB_FLAG_CODE64) ? ~0ull : 0xffffffffull;
    unsigned h = tb_jmp_hash((tb->cs_base + tb->pc) & mask); /* as tb_lookup hashes */
    if (s->tb_jmp_cache[h] == tb) {
        s->tb_jmp_cache[h] = NULL;
    }
}

static void tb_invalidate(TCGCPU *s, TranslationBlock *tb, CodePage *except)
{
    if (tb->invalid) {
        return;
    }
    tb->invalid = true;
    s->tb_gen++; /* drops every link, including links to tb */
    g_hash_table_remove(s->tb_htable, tb);
    tb_jmp_cache_remove(s, tb);
    for (int i = 0; i < 2; i++) {
        CodePage *cp;
        if (!tb->page[i]) {
            continue;
        }
        cp = g_tree_lookup(code_tree(s), tb->page[i]);
        if (cp && cp != except) {
            g_ptr_array_remove_fast(cp->tbs, tb);
            if (cp->tbs->len == 0) {
                code_page_drop(s, cp->host);
            }
        }
    }
    if (tb == s->cur_tb && s->cur) {
        /* Self-modifying code: finish the current instruction, then re-decode. */
        s->end = s->cur + 1;
    }
    g_ptr_array_add(s->tb_graveyard, tb);
}

void tb_invalidate_host_page(TCGCPU *s, uint8_t *host_page)
{
    CodePage *cp = g_tree_lookup(code_tree(s), host_page);

    if (!cp) {
        return;
    }
    trace_event(tcg_tb_invalidate_page, "host=%p blocks=%u", host_page, cp->tbs->len);
    for (unsigned i = 0; i < cp->tbs->len; i++) {
        tb_invalidate(s, g_ptr_array_index(cp->tbs, i), cp);
    }
    code_page_drop(s, host_page);
}

typedef struct RangeSearch {
    uint8_t *lo, *hi;
    GPtrArray *hits;
} RangeSearch;

static gboolean collect_page(gpointer key, gpointer value, gpointer opaque)
{
    RangeSearch *r = opaque;
    uint8_t *page = key;

    if (page >= r->hi) {
        return true; /* sorted: nothing further can overlap */
    }
    if (page + CODE_PAGE_SIZE > r->lo) {
        g_ptr_array_add(r->hits, page);
    }
    return false;
}

static void tb_invalidate_range(TCGCPU *s, uint8_t *host, size_t len)
{
    RangeSearch r = { host, host + len, g_ptr_array_new() };

    if (g_tree_nnodes(code_tree(s)) == 0) {
        g_ptr_array_free(r.hits, true);
        return;
    }
    g_tree_foreach(code_tree(s), collect_page, &r);
    for (unsigned i = 0; i < r.hits->len; i++) {
        tb_invalidate_host_page(s, g_ptr_array_index(r.hits, i));
    }
    g_ptr_array_free(r.hits, true);
}

/* Another vCPU, DMA or a loader wrote [host, host+len) (any thread):
 * tb-maint.c queues it for each vCPU with code there. */
void tb_queue_ram_write(TCGCPU *s, void *host, size_t len)
{
    PendingWrite w = { host, len };

    g_mutex_lock(&s->ram_write_lock);
    g_array_append_val(s->ram_write_pending, w);
    g_mutex_unlock(&s->ram_write_lock);
    __atomic_store_n(&s->ram_write_flag, 1, __ATOMIC_SEQ_CST);
}

void tb_process_ram_writes(TCGCPU *s)
{
    GArray *pending;

    if (!__atomic_load_n(&s->ram_write_flag, __ATOMIC_RELAXED) ||
        !__atomic_exchange_n(&s->ram_write_flag, 0, __ATOMIC_SEQ_CST)) {
        return;
    }
    g_mutex_lock(&s->ram_write_lock);
    pending = s->ram_write_pending;
    s->ram_write_pending = g_array_new(false, false, sizeof(PendingWrite));
    g_mutex_unlock(&s->ram_write_lock);
    for (unsigned i = 0; i < pending->len; i++) {
        PendingWrite *w = &g_array_index(pending, PendingWrite, i);
        tb_invalidate_range(s, w->host, w->len);
    }
    g_array_free(pending, true);
}

void tb_free_graveyard(TCGCPU *s)
{
    if (s->tb_graveyard->len) {
        s->last_tb = NULL; /* it may be one of them */
        g_ptr_array_set_size(s->tb_graveyard, 0);
    }
}

void tb_flush(TCGCPU *s)
{
    GHashTableIter it;
    gpointer tb;

    g_hash_table_iter_init(&it, s->tb_htable);
    while (g_hash_table_iter_next(&it, &tb, NULL)) {
        ((TranslationBlock *)tb)->invalid = true;
        g_ptr_array_add(s->tb_graveyard, tb);
    }
    g_hash_table_remove_all(s->tb_htable);
    s->tb_gen++;
    g_tree_foreach(code_tree(s), unregister_page, s);
    g_tree_destroy(code_tree(s));
    s->code_pages = g_tree_new_full(ptr_cmp, NULL, NULL, code_page_free);
    tb_jmp_cache_flush(s);
}

static void tb_link_page(TCGCPU *s, TranslationBlock *tb, int i, uint8_t *page)
{
    CodePage *cp = g_tree_lookup(code_tree(s), page);

    if (!cp) {
        cp = g_new0(CodePage, 1);
        cp->host = page;
        cp->tbs = g_ptr_array_new();
        g_tree_insert(code_tree(s), page, cp);
        /* (registered before decoding: tb_lookup, fetch_byte) */
    }
    g_ptr_array_add(cp->tbs, tb);
    tb->page[i] = page;
}

/* Code fetch during decoding: pages of the block, looked up through the TLB. */
typedef struct FetchCtx {
    uint64_t cs_base;
    uint64_t mask;        /* linear address mask (32-bit outside long mode) */
    uint64_t page_lin[2];
    uint8_t *page_host[2]; /* NULL: not RAM, fetch with ld_slow */
    int npages;
    uint8_t *first_host;
} FetchCtx;

static uint8_t *code_host_page(TCGCPU *s, uint64_t lin_page)
{
    TLBEntry *e = tlb_entry(s, lin_page);

    if (e->addr_code != lin_page) {
        /* fills the entry (or raises #PF); non-RAM leaves it empty */
        ld_slow(s, lin_page, 1, ACC_CODE);
        if (e->addr_code != lin_page) {
            return NULL;
        }
    }
    return (uint8_t *)(e->addend + (uintptr_t)lin_page);
}

static uint8_t fetch_byte(TCGCPU *s, uint64_t pc, void *opaque)
{
    FetchCtx *f = opaque;
    uint64_t lin = (f->cs_base + pc) & f->mask;
    uint64_t page = lin & ~0xfffull;
    int i;

    for (i = 0; i < f->npages; i++) {
        if (f->page_lin[i] == page) {
            break;
        }
    }
    if (i == f->npages) {
        if (f->npages == 2) {
            return ld_slow(s, lin, 1, ACC_CODE);
        }
        f->page_lin[i] = page;
        f->page_host[i] = code_host_page(s, page);
        f->npages++;
        if (f->page_host[i] && !tb_page_has_code(s, f->page_host[i])) {
            tb_page_register(s, f->page_host[i]);
        }
    }
    if (!f->page_host[i]) {
        return ld_slow(s, lin, 1, ACC_CODE);
    }
    return f->page_host[i][lin & 0xfff];
}

static uint32_t tb_flags_now(TCGCPU *s)
{
    CPUX86State *env = s->env;
    uint32_t f = 0;

    if (env->cr[0] & CR0_PE_MASK) {
        f |= TB_FLAG_PE;
    }
    if (env->eflags & VM_MASK) {
        f |= TB_FLAG_VM;
    } else if ((env->efer & MSR_EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK)) {
        f |= TB_FLAG_CODE64;
    } else if (env->segs[R_CS].flags & DESC_B_MASK) {
        f |= TB_FLAG_CS32;
    }
    if (env->segs[R_SS].flags & DESC_B_MASK) {
        f |= TB_FLAG_SS32;
    }
    if (s->debug_active) {
        f |= TB_FLAG_STEP;
    }
    return f;
}

static TranslationBlock *tb_gen_code(TCGCPU *s, uint64_t pc, uint64_t cs_base, uint32_t flags,
                                     FetchCtx *f)
{
    DecodedInsn buf[TB_MAX_INSNS];
    int n = 0;
    uint64_t cur = pc, end = pc;
    /* Direct JMPs inside a page are followed (the block goes on at the
     * target), except where a block must be one run of bytes: 16-bit IP
     * wrap, and -d in_asm, which disassembles the block's bytes. */
    bool may_follow = (flags & (TB_FLAG_CS32 | TB_FLAG_CODE64)) &&
                      !qemu_loglevel_mask(CPU_LOG_TB_IN_ASM);

    for (;;) {
        DecodedInsn *d = &buf[n];
        /* A debugger's breakpoint starts a block of its own, a pseudo
         * instruction that stops there (guest-debug.c). */
        if (G_UNLIKELY(s->gdb_code)) {
            uint64_t lin = (cs_base + cur) & f->mask;
            if (cpu_breakpoint_find_pc(s->cpu, lin)) {
                if (n == 0) {
                    gdb_breakpoint_insn(d, cur, lin);
                    n = 1;
                }
                break;
            }
        }
        decode_insn(s, d, cur, flags, fetch_byte, f);
        n++;
        end = MAX(end, d->next_eip);
        bool follow = may_follow && d->handler == op_jmp;
        cur = follow ? d->imm : d->next_eip;
        if ((d->flags & (INSN_BRANCH | INSN_END_TB) && !(d->flags & INSN_CONT) && !follow) ||
            n == TB_MAX_INSNS || (flags & TB_FLAG_STEP)) {
            break;
        }
        /* Later instructions never straddle a page, so only the first one
         * of a block can fault on fetch (its own fault), and the block
         * stays on at most two pages. */
        uint64_t lin = (cs_base + cur) & f->mask;
        if ((lin & ~0xfffull) != f->page_lin[0] || (lin & 0xfff) > 0x1000 - 15 ||
            f->npages > 1) {
            break;
        }
        if (!(flags & TB_FLAG_CODE64) && !(flags & TB_FLAG_CS32)) {
            if (cur > 0xfff0) {
                break; /* 16-bit IP wrap: let each instruction start a block */
            }
        }
        if (follow) {
            d->handler = op_jmp_inline; /* the block goes on at the target */
        }
    }

    for (int i = 0, jcc = 0; i < n - 1; i++) {
        if (buf[i].flags & INSN_CONT) {
            buf[i].exit_slot = 2 + jcc++ % (TB_LINKS - 2);
        }
    }

    tb_fuse_insns(buf, n);
    tb_drop_dead_flags(buf, n);

    TranslationBlock *tb = g_malloc0(sizeof(*tb) + n * sizeof(DecodedInsn));
    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->flags = flags;
    tb->n_insns = n;
    tb->size = end - pc; /* followed JMPs stay on pc's page: see may_follow */
    tb->gdb_breakpoint = buf[0].handler == op_gdb_breakpoint;
    memcpy(tb->insns, buf, n * sizeof(DecodedInsn));
    return tb;
}

/* The block at CS:EIP, decoded now if it is not cached. */
TranslationBlock *tb_lookup(TCGCPU *s)
{
    CPUX86State *env = s->env;
    uint32_t flags = tb_flags_now(s);
    /* 64-bit mode ignores the CS base (SDM vol.1 3.4.2.1) */
    uint64_t pc = env->eip, cs_base = (flags & TB_FLAG_CODE64) ? 0 : env->segs[R_CS].base;
    uint64_t mask = (flags & TB_FLAG_CODE64) ? ~0ull : 0xffffffffull;
    uint64_t lin = (cs_base + pc) & mask;
    unsigned h = tb_jmp_hash(lin);
    TranslationBlock *tb = s->tb_jmp_cache[h];

    if (G_LIKELY(tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags)) {
        return tb;
    }

    FetchCtx f = { .cs_base = cs_base, .mask = mask };
    f.page_lin[0] = lin & ~0xfffull;
    f.page_host[0] = code_host_page(s, f.page_lin[0]);
    f.npages = 1;

    if (f.page_host[0]) {
        TranslationBlock key = { .pc = pc, .cs_base = cs_base, .flags = flags };
        key.host_pc = f.page_host[0] + (lin & 0xfff);
        tb = g_hash_table_lookup(s->tb_htable, &key);
        if (tb) {
            tb_jmp_cache_set(s, h, tb);
            return tb;
        }
    }

    /* Register before reading a byte: a store that comes after this
     * reaches the block (tb-maint.c). */
    if (f.page_host[0] && !tb_page_has_code(s, f.page_host[0])) {
        tb_page_register(s, f.page_host[0]);
    }
    tb = tb_gen_code(s, pc, cs_base, flags, &f);
    if (qemu_loglevel_mask(CPU_LOG_TB_IN_ASM)) {
        tcg_log_in_asm(s, tb, lin);
    }
    if (!f.page_host[0] || (f.npages > 1 && !f.page_host[1])) {
        /* Code outside RAM (ROM device, unassigned): run once, uncached. */
        tb->invalid = true;
        g_ptr_array_add(s->tb_graveyard, tb);
        return tb;
    }
    tb->host_pc = f.page_host[0] + (lin & 0xfff);
    tb_link_page(s, tb, 0, f.page_host[0]);
    if (f.npages > 1) {
        tb_link_page(s, tb, 1, f.page_host[1]);
    }
    g_hash_table_add(s->tb_htable, tb);
    tb_jmp_cache_set(s, h, tb);
    return tb;
}
