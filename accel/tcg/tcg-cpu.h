/*
 * The interpreter's private view of a vCPU.
 *
 * Guest code is decoded once into TranslationBlocks (arrays of
 * DecodedInsn, each carrying its handler), cached per guest physical page
 * and run by cpu_tb_exec.  Condition codes are computed lazily from the
 * last flag-setting operation (cc_op, cc_dst, cc_src, cc_src2).  Memory
 * accesses go segment -> linear -> software TLB -> host pointer; anything
 * that is not RAM takes the slow path to memory_region_dispatch_*.
 */
#ifndef ACCEL_TCG_TCG_CPU_H
#define ACCEL_TCG_TCG_CPU_H

#include <inttypes.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "exec/breakpoint.h"
#include "exec/cpu.h"
#include "exec/memory.h"
#include "qapi/error.h"

#ifndef container_of
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

typedef struct TCGCPU TCGCPU;
typedef struct DecodedInsn DecodedInsn;
typedef struct TranslationBlock TranslationBlock;
typedef void (*InsnHandler)(TCGCPU *s, const DecodedInsn *d);

/* Operand sizes as log2(bytes) */
enum { MO_8, MO_16, MO_32, MO_64 };

#define REG_NONE 0xff
#define REG_RIPREL  0xfe /* base of a RIP-relative operand (long mode) */

/* DecodedInsn.prefix */
#define PREFIX_REPZ  0x01
#define PREFIX_REPNZ 0x02
#define PREFIX_LOCK  0x04
#define PREFIX_DATA  0x08
#define PREFIX_ADR   0x10
#define PREFIX_REX   0x20

/* DecodedInsn.flags */
#define INSN_BRANCH   0x01 /* handler sets env->eip itself */
#define INSN_END_TB   0x02 /* block ends after this instruction */
#define INSN_CONT     0x08 /* a branch the block continues past when not taken */
#define INSN_CHAIN    0x04 /* ends the block without changing mode: the next
                            * block may be found through the link cache */

/*
 * One decoded instruction.  For byte-sized register operands, reg/rm hold
 * the byte offset of the register inside env->regs (AH is at 1, CH at 9,
 * ...), so no instruction branches on high-byte registers at run time.
 */
struct DecodedInsn {
    InsnHandler handler;
    /* Effective address = *basep + (*indexp << scale) + disp, branch-free:
     * absent registers point at a constant zero (RIP-relative targets are
     * folded into disp). */
    const uint64_t *basep, *indexp;
    uint64_t amask;      /* address-size mask: 0xffff, 0xffffffff or ~0 */
    uint64_t next_eip;   /* EIP of the following instruction */
    uint64_t imm;        /* immediate, sign- or zero-extended as the opcode says */
    int64_t disp;        /* ModRM displacement */
    uint32_t imm2;       /* second immediate (enter, far pointer selector) */
    uint8_t len;
    uint8_t ot;          /* operand size, MO_* */
    uint8_t aflag;       /* address size, MO_* */
    uint8_t seg;         /* segment of the memory operand (R_ES..R_GS) */
    uint8_t mod3;        /* ModRM.rm names a register */
    uint8_t reg;         /* ModRM.reg, or the register in the opcode byte */
    uint8_t rm;          /* ModRM.rm register when mod3 */
    uint8_t base, index, scale; /* effective address; REG_NONE when absent */
    uint8_t prefix;
    uint8_t b;           /* opcode-specific: condition code, sub-op, port size... */
    uint8_t flags;
    uint8_t exit_slot;   /* TranslationBlock.link_tb slot when the block ends here */
    uint8_t seg_bit;     /* 1 << seg, to test TCGCPU.seg_flat */
};

#define TB_MAX_INSNS 64
#define TB_LINKS 8

/* Decoding context: what the code segment and mode say (part of the key). */
#define TB_FLAG_CS32  0x01
#define TB_FLAG_SS32  0x02
#define TB_FLAG_CODE64 0x04
#define TB_FLAG_PE    0x08
#define TB_FLAG_VM    0x10
#define TB_FLAG_STEP  0x20 /* one instruction per block (debug_helper.c) */

struct TranslationBlock {
    uint64_t pc;           /* EIP of the first instruction */
    uint64_t cs_base;
    uint32_t flags;        /* TB_FLAG_* */
    uint8_t *host_pc;      /* host address of the first byte (part of the key) */
    uint8_t *page[2];      /* host addresses of the guest pages it came from */
    bool invalid;
    bool gdb_breakpoint;   /* the debugger's breakpoint stop (guest-debug.c) */
    uint16_t n_insns;
    uint16_t size;         /* bytes of guest code */
    /* Link cache: blocks that followed this one (valid while link_gen
     * equals TCGCPU.tb_gen, which any invalidation or TLB flush bumps).
     * Slots 0 and 1 belong to the last instruction (a RET may alternate
     * between two callers), one slot each to the Jccs inside the block
     * (a fixed target; they share slots beyond TB_LINKS). */
    TranslationBlock *link_tb[TB_LINKS];
    uint32_t link_gen[TB_LINKS];
    DecodedInsn insns[];
};

/* Lazy condition codes (cc_op), QEMU's scheme: size in the low two bits. */
enum {
    CC_OP_EFLAGS = 0, /* cc_src holds the flags */
    CC_OP_ADD = 4,
    CC_OP_ADC = 8,
    CC_OP_SUB = 12,
    CC_OP_SBB = 16,
    CC_OP_LOGIC = 20,
    CC_OP_INC = 24,
    CC_OP_DEC = 28,
    CC_OP_SHL = 32,
    CC_OP_SAR = 36,   /* SAR and SHR: cc_src = value shifted by count-1 */
    CC_OP_MUL = 40,   /* cc_src != 0 means CF=OF=1 */
    CC_OP_NB = 44,
};
#define CC_ALL (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

/* Software TLB: one direct-mapped table per privilege class. */
#define TLB_BITS 8
#define TLB_SIZE (1 << TLB_BITS)
#define TLB_INVALID ((uint64_t)-1)
typedef struct TLBEntry {
    uint64_t addr_read;  /* page-aligned linear address, or TLB_INVALID */
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;    /* host = addend + linear */
} TLBEntry;
enum { MMU_KERNEL, MMU_USER, MMU_COUNT };

/* Block lookup by linear pc; flushed with the TLB. */
#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1 << TB_JMP_CACHE_BITS)
#define TB_JMP_PAGES_WORDS 16
enum { TCG_PAUSE_NOP, TCG_PAUSE_EXIT, TCG_PAUSE_YIELD };
/* Blocks that branch handlers chain to before cpu_tb_exec's loop sees
 * them again: bounds the nesting where handlers do not end in sibling calls. */
#define TB_CHAIN_INLINE_MAX 32

struct TCGCPU {
    CPUState *cpu;
    CPUX86State *env;

    /* Lazy flags */
    uint32_t cc_op;
    uint64_t cc_dst, cc_src, cc_src2;

    /* Execution of the current block */
    const DecodedInsn *cur;  /* instruction being executed */
    const DecodedInsn *end;  /* one past the last to execute */
    TranslationBlock *cur_tb;
    TranslationBlock *last_tb; /* previous block, for the link cache (or NULL) */
    uint8_t last_exit;         /* ... and the link slot of the instruction that ended it */
    uint32_t tb_gen;
    bool inhibit_irq;        /* interrupt shadow after mov ss / sti */
    bool inhibit_db;         /* ... and the #DB shadow after mov ss / pop ss */
    bool stop_chain;         /* end_block: look the next block up in full */
    int chain_budget;        /* blocks a branch may still chain to itself (chain_next_tb) */
    bool triple_faulted;     /* waiting for the reset we requested */

    /* Exceptions: raise_exception longjmps here. */
    sigjmp_buf jmp_env;
    int exception_index;
    int error_code;
    bool exception_has_error;
    bool exception_is_int;   /* INT n: software interrupt (trap, DPL check) */
    bool exception_is_trap;  /* returns to exception_next_eip all the same (INT1) */
    int exception_next_eip_valid;
    uint64_t exception_next_eip;
    int old_exception;       /* for #DF: vector being delivered, or -1 */

    /* Debug (debug_helper.c).  While debug_active, blocks hold one
     * instruction and cpu_exec checks instruction breakpoints before it
     * and single-step after it; nothing else looks at DR7 or TF. */
    bool debug_active;       /* a code breakpoint is armed, TF or RF is set, or db_pending */
    bool step_tf;            /* TF was set when the current instruction began */
    uint8_t bp_code, bp_data_w, bp_data_r, bp_io; /* DR7: armed DR0-3 (bit n) by kind */
    uint32_t db_pending;     /* DR6 bits of a trap-class #DB due at the next boundary */
    /* The host debugger's (guest-debug.c, CPUState.breakpoints). */
    bool gdb_code;           /* a breakpoint is set: translation looks for it */
    bool gdb_watch;          /* a watchpoint is set: its pages take the TLB slow path */
    bool gdb_stop;           /* return EXCP_DEBUG at the next boundary */

    /* Segment fast path: bit n set = segment n is flat, 32-bit, writable
     * data with base 0 and 4 GiB limit, so no limit check is needed. */
    uint32_t seg_flat;
    int cpl;
    int mmu_idx;            /* set with tcg_set_mmu_idx */
    TLBEntry *tlb_table;    /* tlb[mmu_idx] */
    bool code64;            /* 64-bit mode: EFER.LMA and CS.L */
    /* Near branch targets above this fault: the CS limit, or ~0 in 64-bit
     * mode, where the decoder has checked relative targets for canonical
     * form and indirect ones are checked as they are taken. */
    uint64_t ip_limit;

    TLBEntry tlb[MMU_COUNT][TLB_SIZE];
    /* Entries filled from global pages (CR4.PGE): kept by CR3 writes. */
    uint64_t tlb_global[MMU_COUNT][TLB_SIZE / 64];
    /* One range covering every large page (2M/4M/1G) the TLB holds 4 KiB
     * pieces of (QEMU's large_page_addr/mask): INVLPG inside it must drop
     * all the pieces, elsewhere only its own page. */
    bool tlb_has_large;
    uint64_t tlb_large_addr, tlb_large_mask;
    TranslationBlock *tb_jmp_cache[TB_JMP_CACHE_SIZE];
    /* A bit per hash of each linear code page with blocks in tb_jmp_cache
     * (set on insertion, cleared with the cache): INVLPG of a page
     * without a bit needs no scan of the cache. */
    uint64_t tb_jmp_cache_pages[TB_JMP_PAGES_WORDS];
    int tlb_flush_pending; /* atomic: memory map changed elsewhere */

    /* Code cache: host page address -> TranslationBlock list */
    GTree *code_pages;
    GHashTable *tb_htable; /* key: TBKey; value: TranslationBlock * */
    GPtrArray *tb_graveyard; /* invalidated, freed at the next block boundary */
    GMutex ram_write_lock;  /* pending invalidations reported by DMA/loaders */
    GArray *ram_write_pending; /* of PendingWrite */
    int ram_write_flag;       /* atomic */

    /* cpus-common.c, under tcg_cpus_lock */
    unsigned cpu_slot;        /* index in the vCPU set and in code-page owner masks */
    bool exec_running;        /* between cpu_exec_start and cpu_exec_end */
    bool exclusive_was_running;
    uint64_t exclusive_count; /* exclusive sections this vCPU ran (tests, stats) */

    MemoryListener listener;
    uint64_t insns_executed_bytes; /* times sizeof(DecodedInsn): no division per block */
    uint64_t tsc_offset;
    /* -accel tcg,thread=single: PAUSE hands the one thread to the next
     * vCPU (op_pause asks cpu_exec to return). */
    int pause_action;        /* TCG_PAUSE_*: what PAUSE does besides nothing */
    bool csh_open;
    size_t csh; /* capstone handle */
};

static inline TCGCPU *tcg_cpu(CPUState *cpu) { return cpu->accel; }

/* The vCPU has CPUID flag(s) mask in word w (system/x86-cpuid.c). */
static inline bool cpu_has(TCGCPU *s, FeatureWord w, uint32_t mask)
{
    return x86_cpuid_has(&s->cpu->cpuid, w, mask);
}

/* 48-bit linear addresses: bits 63:47 all equal (SDM vol.1 3.3.7.1). */
static inline bool is_canonical(uint64_t lin)
{
    return (uint64_t)((int64_t)(lin << 16) >> 16) == lin;
}

/* ---- registers ---- */
static inline uint8_t *reg8p(TCGCPU *s, unsigned off)
{
    return (uint8_t *)s->env->regs + off;
}
static inline uint16_t *reg16p(TCGCPU *s, unsigned r) { return (uint16_t *)&s->env->regs[r]; }
static inline void set_reg32(TCGCPU *s, unsigned r, uint32_t v) { s->env->regs[r] = v; }
/* Writes a register of size ot with x86 merge rules (32-bit zero-extends). */
static inline void set_reg(TCGCPU *s, int ot, unsigned r, uint64_t v)
{
    switch (ot) {
    case MO_8: *reg8p(s, r) = v; break;
    case MO_16: *reg16p(s, r) = v; break;
    case MO_32: s->env->regs[r] = (uint32_t)v; break;
    default: s->env->regs[r] = v; break;
    }
}
static inline uint64_t get_reg(TCGCPU *s, int ot, unsigned r)
{
    switch (ot) {
    case MO_8: return *reg8p(s, r);
    case MO_16: return *reg16p(s, r);
    case MO_32: return (uint32_t)s->env->regs[r];
    default: return s->env->regs[r];
    }
}
/* byte offset of 8-bit register n as encoded without REX */
static inline unsigned reg8_offset(unsigned n, bool rex)
{
    if (n >= 4 && n < 8 && !rex) {
        return (n - 4) * 8 + 1;
    }
    return n * 8;
}

static inline uint64_t size_mask(int ot)
{
    return ot == MO_64 ? ~0ull : (1ull << (8 << ot)) - 1;
}
static inline uint64_t sext(int ot, uint64_t v)
{
    switch (ot) {
    case MO_8: return (int64_t)(int8_t)v;
    case MO_16: return (int64_t)(int16_t)v;
    case MO_32: return (int64_t)(int32_t)v;
    default: return v;
    }
}

/* ---- flags.c ---- */
uint32_t cc_compute_all(TCGCPU *s);
uint32_t cc_compute_c(TCGCPU *s);
bool cc_test(TCGCPU *s, int cond); /* Jcc condition 0..15 */

/* A condition after a 32- or 64-bit CMP/SUB: dst is the result, src the
 * subtrahend, so the minuend is dst + src.  -1: not one computed here. */
static inline int cc_test_sub(uint64_t dst, uint64_t src, bool wide, int cond)
{
    uint64_t m = wide ? ~0ull : 0xffffffffull;
    uint64_t b = src & m, a = (dst + src) & m;
    int64_t sa = wide ? (int64_t)a : (int32_t)a, sb = wide ? (int64_t)b : (int32_t)b;
    bool r;

    switch (cond >> 1) {
    case 1: r = a < b; break;
    case 2: r = (dst & m) == 0; break;
    case 3: r = a <= b; break;
    case 4: r = wide ? (int64_t)dst < 0 : (int32_t)dst < 0; break;
    case 6: r = sa < sb; break;
    case 7: r = sa <= sb; break;
    default: return -1;
    }
    return r ^ (cond & 1);
}

/* cc_test's common cases, inline (cond is a constant at each use):
 * 0 or 1, or -1 when only cc_test can tell. */
static inline int cc_test_try(TCGCPU *s, int cond)
{
    uint32_t op = s->cc_op;
    bool r;

    if (op == CC_OP_SUB + MO_32 || op == CC_OP_SUB + MO_64) {
        return cc_test_sub(s->cc_dst, s->cc_src, op == CC_OP_SUB + MO_64, cond);
    }
    if (op == CC_OP_LOGIC + MO_32 || op == CC_OP_LOGIC + MO_64) {
        /* CF = OF = 0 */
        uint64_t dst = op == CC_OP_LOGIC + MO_32 ? (uint32_t)s->cc_dst : s->cc_dst;
        bool neg = op == CC_OP_LOGIC + MO_32 ? (int32_t)dst < 0 : (int64_t)dst < 0;
        switch (cond >> 1) {
        case 0: case 1: r = false; break;
        case 2: case 3: r = dst == 0; break;
        case 4: case 6: r = neg; break;
        case 7: r = dst == 0 || neg; break;
        default: return -1;
        }
        return r ^ (cond & 1);
    }
    if (op != CC_OP_EFLAGS && ((cond >> 1) == 2 || (cond >> 1) == 4)) {
        /* ZF and SF come from the result for every lazy operation */
        uint64_t dst = s->cc_dst & size_mask(op & 3);
        r = (cond >> 1) == 2 ? dst == 0 : (dst >> ((8 << (op & 3)) - 1)) & 1;
        return r ^ (cond & 1);
    }
    return -1;
}
/* Full EFLAGS; folds lazy flags into env->eflags. */
uint32_t cpu_compute_eflags(TCGCPU *s);
/* Loads EFLAGS bits in mask from val (and the lazy flags from its CC bits). */
void cpu_load_eflags(TCGCPU *s, uint32_t val, uint32_t mask);
static inline void set_cc(TCGCPU *s, int op, uint64_t dst, uint64_t src)
{
    s->cc_op = op;
    s->cc_dst = dst;
    s->cc_src = src;
}
static inline void set_cc_flags(TCGCPU *s, uint32_t flags)
{
    s->cc_op = CC_OP_EFLAGS;
    s->cc_src = flags & CC_ALL;
}

/* ---- exceptions (seg_helper.c) ---- */
#define EXCP00_DIVZ 0
#define EXCP01_DB 1
#define EXCP02_NMI 2
#define EXCP03_INT3 3
#define EXCP04_INTO 4
#define EXCP05_BOUND 5
#define EXCP06_ILLOP 6
#define EXCP07_PREX 7
#define EXCP08_DBLE 8
#define EXCP0A_TSS 10
#define EXCP0B_NOSEG 11
#define EXCP0C_STACK 12
#define EXCP0D_GPF 13
#define EXCP0E_PAGE 14
#define EXCP10_COPR 16
#define EXCP11_ALGN 17
#define EXCP12_MCHK 18
#define EXCP13_XM 19

G_NORETURN void raise_exception(TCGCPU *s, int vector);
G_NORETURN void raise_exception_err(TCGCPU *s, int vector, int error_code);
/* INT n / INT3 / INTO: a trap delivered with next_eip as the return address. */
G_NORETURN void raise_interrupt(TCGCPU *s, int vector, bool is_int, uint64_t next_eip);
/* A trap without the software-interrupt rules (no DPL check, EXT set):
 * INT1/ICEBP (SDM vol.2 INT n). */
G_NORETURN void raise_exception_trap(TCGCPU *s, int vector, uint64_t next_eip);
/* Delivers s->exception_index (or a hardware vector) through IDT/IVT. */
void do_interrupt(TCGCPU *s, int vector, bool is_int, bool has_error, int error_code,
                  uint64_t next_eip, bool is_hw);
void helper_iret(TCGCPU *s, int ot, uint64_t next_eip);
void helper_ljmp(TCGCPU *s, uint32_t sel, uint64_t off, uint64_t next_eip);
void helper_lcall(TCGCPU *s, uint32_t sel, uint64_t off, int ot, uint64_t next_eip);
void helper_lret(TCGCPU *s, int ot, int addend);
/* mov/pop to a segment register, with protected-mode checks. */
void load_seg(TCGCPU *s, int seg, uint32_t sel);
void cpu_x86_load_seg_cache(TCGCPU *s, int seg, uint32_t sel, uint64_t base,
                            uint32_t limit, uint32_t flags);
void helper_lldt(TCGCPU *s, uint32_t sel);
void helper_ltr(TCGCPU *s, uint32_t sel);
/* LAR/LSL/VERR/VERW: returns false (ZF=0) if the descriptor doesn't qualify. */
bool helper_lar_lsl(TCGCPU *s, uint32_t sel, bool lsl, uint32_t *out);
bool helper_verrw(TCGCPU *s, uint32_t sel, bool write);
void tcg_update_hflags(TCGCPU *s); /* cpl, mmu_idx, seg_flat after a mode change */
void tcg_update_seg_flat(TCGCPU *s, int seg);

/* ---- excp_helper.c / tlb.c: memory ---- */
enum { ACC_READ, ACC_WRITE, ACC_CODE };
void tlb_flush(TCGCPU *s);
void tlb_flush_nonglobal(TCGCPU *s); /* MOV to CR3 */
void tlb_flush_page(TCGCPU *s, uint64_t lin);
/* Fills the TLB entry for lin or raises #PF; returns false for non-RAM
 * (then *paddr is the physical address for the slow path). */
bool tlb_fill(TCGCPU *s, uint64_t lin, int acc, int mmu_idx, uint64_t *paddr);
/* Page walk: the physical address of lin, or a #PF (raise: raised now;
 * else false with the error code in s->error_code). */
typedef struct X86Translation {
    uint64_t paddr;
    bool writable;  /* the fast write path may use it (D already set) */
    bool global;    /* CR4.PGE and the G bit: survives CR3 writes */
    uint64_t page_mask; /* size - 1 of the page that maps it (0xfff without paging) */
} X86Translation;
bool x86_cpu_get_phys(TCGCPU *s, uint64_t lin, int acc, int mmu_idx, X86Translation *t,
                      bool raise);
/* #GP(0), or #SS(0) for a stack reference: lin is not canonical. */
G_NORETURN void raise_noncanonical(TCGCPU *s, bool stack);

G_NORETURN void raise_page_fault(TCGCPU *s, uint64_t lin, int err);
/* A new page of decoded code: route s's stores to it through st_slow. */
void tlb_protect_code(TCGCPU *s, uint8_t *host_page);
/* Host address for a locked read-modify-write of size bytes at lin after
 * the write checks (#PF raised here), or NULL when it is not plain RAM in
 * one page (MMIO, ROM, crossing); *code: the page may hold decoded code,
 * so call tb_invalidate_phys_write after the write. */
void *tlb_rmw_host(TCGCPU *s, uint64_t lin, int size, bool *code);
uint64_t ld_slow(TCGCPU *s, uint64_t lin, int size, int acc);
void st_slow(TCGCPU *s, uint64_t lin, uint64_t val, int size);

static inline void tcg_set_mmu_idx(TCGCPU *s, int mmu_idx)
{
    s->mmu_idx = mmu_idx;
    s->tlb_table = s->tlb[mmu_idx];
}

static inline TLBEntry *tlb_entry(TCGCPU *s, uint64_t lin)
{
    return &s->tlb_table[(lin >> 12) & (TLB_SIZE - 1)];
}

/*
 * The fast paths compare the tag with the page of the access's LAST byte,
 * in the entry chosen by its first byte: an access that crosses into the
 * next page can never match (that page lives in the next entry), so one
 * compare checks both "mapped" and "within one page".
 */
static inline uint64_t tlb_tag(uint64_t lin, int size)
{
    return (lin + size - 1) & ~0xfffull;
}

#define DEFINE_LD(name, type, size)                                           \
static inline type name(TCGCPU *s, uint64_t lin)                              \
{                                                                             \
    TLBEntry *e = tlb_entry(s, lin);                                          \
    if (G_LIKELY(e->addr_read == tlb_tag(lin, size))) {                       \
        type v;                                                               \
        memcpy(&v, (void *)(e->addend + (uintptr_t)lin), size);               \
        return v;                                                             \
    }                                                                         \
    return ld_slow(s, lin, size, ACC_READ);                                   \
}
DEFINE_LD(lin_ldub, uint8_t, 1)
DEFINE_LD(lin_lduw, uint16_t, 2)
DEFINE_LD(lin_ldl, uint32_t, 4)
DEFINE_LD(lin_ldq, uint64_t, 8)

#define DEFINE_ST(name, type, size)                                           \
static inline void name(TCGCPU *s, uint64_t lin, type v)                      \
{                                                                             \
    TLBEntry *e = tlb_entry(s, lin);                                          \
    if (G_LIKELY(e->addr_write == tlb_tag(lin, size))) {                      \
        memcpy((void *)(e->addend + (uintptr_t)lin), &v, size);               \
        return;                                                               \
    }                                                                         \
    st_slow(s, lin, v, size);                                                 \
}
DEFINE_ST(lin_stb, uint8_t, 1)
DEFINE_ST(lin_stw, uint16_t, 2)
DEFINE_ST(lin_stl, uint32_t, 4)
DEFINE_ST(lin_stq, uint64_t, 8)

static inline uint64_t lin_ld(TCGCPU *s, int ot, uint64_t lin)
{
    switch (ot) {
    case MO_8: return lin_ldub(s, lin);
    case MO_16: return lin_lduw(s, lin);
    case MO_32: return lin_ldl(s, lin);
    default: return lin_ldq(s, lin);
    }
}
static inline void lin_st(TCGCPU *s, int ot, uint64_t lin, uint64_t v)
{
    switch (ot) {
    case MO_8: lin_stb(s, lin, v); break;
    case MO_16: lin_stw(s, lin, v); break;
    case MO_32: lin_stl(s, lin, v); break;
    default: lin_stq(s, lin, v); break;
    }
}
/* Host pointer for a read-modify-write, or NULL (then use ld/st). */
static inline void *lin_rmw_ptr(TCGCPU *s, uint64_t lin, int size)
{
    TLBEntry *e = tlb_entry(s, lin);
    if (G_LIKELY(e->addr_write == tlb_tag(lin, size))) {
        return (void *)(e->addend + (uintptr_t)lin);
    }
    return NULL;
}
/* Checks that a write to [lin, lin+len) would succeed (for multi-part
 * stores that must not fault half way), raising #PF otherwise. */
void probe_write(TCGCPU *s, uint64_t lin, int len);

/* ---- segmentation: effective address -> linear ---- */
G_NORETURN void seg_fault(TCGCPU *s, int seg);
uint64_t seg_check_slow(TCGCPU *s, int seg, uint64_t ea, int size, bool write);

static inline uint64_t ea_mask(int aflag, uint64_t ea)
{
    return aflag == MO_16 ? (uint16_t)ea : aflag == MO_32 ? (uint32_t)ea : ea;
}
static inline uint64_t insn_ea(TCGCPU *s, const DecodedInsn *d)
{
    return (*d->basep + (*d->indexp << d->scale) + d->disp) & d->amask;
}
/* Callers pass ea already reduced to the address size, so a flat
 * segment's linear address is ea itself (32 bits outside 64-bit mode);
 * canonical form is checked where the TLB misses (tlb.c). */
static inline uint64_t seg_lin(TCGCPU *s, int seg, uint64_t ea, int size, bool write)
{
    if (G_LIKELY(s->seg_flat & (1u << seg))) {
        return ea;
    }
    return seg_check_slow(s, seg, ea, size, write);
}
static inline uint64_t insn_lin(TCGCPU *s, const DecodedInsn *d, int size, bool write)
{
    return seg_lin(s, d->seg, insn_ea(s, d), size, write);
}

/* ---- stack ---- */
static inline uint64_t sp_mask(TCGCPU *s)
{
    if (s->code64) {
        return ~0ull;
    }
    return (s->env->segs[R_SS].flags & DESC_B_MASK) ? 0xffffffffull : 0xffff;
}
void push_v(TCGCPU *s, int ot, uint64_t v);
uint64_t pop_v(TCGCPU *s, int ot);
uint64_t stack_peek(TCGCPU *s, int ot, int offset);
/* The linear address of a stack access at sp (reduced to the stack size
 * here; #SS(0) when not canonical in 64-bit mode). */
uint64_t stack_lin_at(TCGCPU *s, uint64_t sp, int size, bool write);

/* ---- debug_helper.c: DR0-DR7, TF, RF (SDM vol.3 chapter 17) ---- */
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR6_BT (1u << 15)
#define DR6_FIXED 0xffff0ff0u
#define DR7_GD (1u << 13)
/* Recomputes debug_active after TF, RF, DR7 or db_pending changed; a
 * handler that turns it on ends its block. */
void tcg_update_debug(TCGCPU *s);
/* DR0-DR3, DR7 or CR4.DE changed. */
void tcg_debug_regs_changed(TCGCPU *s);
static inline void debug_trap_pending(TCGCPU *s, uint32_t dr6_bits)
{
    s->db_pending |= dr6_bits;
    tcg_update_debug(s);
}
/* Data breakpoints (ld_slow/st_slow when bp_data_* is non-zero) */
void debug_check_data(TCGCPU *s, uint64_t lin, int size, bool write);
void debug_check_io(TCGCPU *s, uint32_t port, int size);
/* TLB fill: a page with an armed data breakpoint stays on the slow path */
void debug_tlb_filter(TCGCPU *s, TLBEntry *e, uint64_t page);
/* cpu_exec, while debug_active: before and after one instruction */
void debug_insn_begin(TCGCPU *s, uint64_t lin_pc);
void debug_insn_end(TCGCPU *s);
void debug_deliver_pending(TCGCPU *s);

/* ---- guest-debug.c: the host debugger (exec/breakpoint.h) ---- */
bool tcg_update_guest_debug(CPUState *cpu, Error **errp);
/* Stops at the next boundary for the debugger, with @reason. */
void gdb_stop_request(TCGCPU *s, CPUDebugStopReason reason, const CPUBreakpoint *bp,
                      uint64_t addr);
void gdb_check_watch(TCGCPU *s, uint64_t lin, int size, bool write);
void gdb_tlb_filter(TCGCPU *s, TLBEntry *e, uint64_t page);
/* The pseudo instruction of a breakpoint at EIP @pc, linear @lin. */
void gdb_breakpoint_insn(DecodedInsn *d, uint64_t pc, uint64_t lin);
void op_gdb_breakpoint(TCGCPU *s, const DecodedInsn *d);
/* ops-control.c: a direct JMP, and one its block continues through */
void op_jmp(TCGCPU *s, const DecodedInsn *d);
void op_jmp_inline(TCGCPU *s, const DecodedInsn *d);

/* ---- translate-all.c: code cache ---- */
TranslationBlock *tb_lookup(TCGCPU *s);
/* Empties the jump cache (a change of many linear mappings). */
void tb_jmp_cache_flush(TCGCPU *s);
/* Drops the jump cache's blocks with code on a linear page (INVLPG). */
void tb_jmp_cache_clear_page(TCGCPU *s, uint64_t page);
void tb_flush(TCGCPU *s);
/* A CPU store hit a page with decoded code: drop its blocks. */
void tb_invalidate_host_page(TCGCPU *s, uint8_t *host_page);
bool tb_page_has_code(TCGCPU *s, uint8_t *host_page);
void tb_process_ram_writes(TCGCPU *s);
void tb_free_graveyard(TCGCPU *s);
void tcg_code_cache_init(TCGCPU *s);
void tcg_code_cache_destroy(TCGCPU *s);
void tb_queue_ram_write(TCGCPU *s, void *host, size_t len);

/* ---- tb-maint.c: code pages across vCPUs ---- */
/* Before decoding from a page this vCPU has no code on (takes the BQL). */
void tb_page_register(TCGCPU *s, uint8_t *host_page);
/* The vCPU dropped its last block on the page. */
void tb_page_unregister(TCGCPU *s, uint8_t *host_page);
/* Some vCPU has (or may have) code on the page: no fast writes. */
bool tb_page_is_code(uint8_t *host_page);
/* This vCPU stored to [host, host+len) (one page) without a fast TLB
 * write entry: drop its own blocks there, queue it for the others. */
void tb_invalidate_phys_write(TCGCPU *s, uint8_t *host, size_t len);
/* memory_set_ram_write_hook: every vCPU with code in the range hears of it. */
void tcg_ram_write_hook(void *opaque, void *host, size_t len);

/* ---- cpus-common.c: the set of vCPUs, exclusive sections ---- */
#define TCG_MAX_CPUS 256
void tcg_cpus_lock(void);
void tcg_cpus_unlock(void);
TCGCPU *tcg_cpus_slot(unsigned slot); /* lock held; NULL if free */
void tcg_cpus_add(TCGCPU *s);
void tcg_cpus_remove(TCGCPU *s);
/* Around cpu_exec: an exclusive section waits for running vCPUs to leave. */
void cpu_exec_start(TCGCPU *s);
void cpu_exec_end(TCGCPU *s);
/* Every other vCPU stopped at a block boundary until end_exclusive
 * (call without the BQL; no guest fault may escape in between). */
void start_exclusive(TCGCPU *s);
void end_exclusive(TCGCPU *s);

/* ---- decode.c ---- */
/* ops-fused.c: gives CMP/SUB/TEST + Jcc pairs of a decoded block one handler */
void tb_fuse_insns(DecodedInsn *insns, int n);
bool fused_pair_is_register_form(InsnHandler h);
/* flags-dead.c: flag-less handlers where the block overwrites the flags unread */
void tb_drop_dead_flags(DecodedInsn *insns, int n);
/* Decodes one instruction at eip; returns false if it faults (raised). */
void decode_insn(TCGCPU *s, DecodedInsn *d, uint64_t pc, uint32_t tb_flags,
                 uint8_t (*fetch)(TCGCPU *s, uint64_t pc, void *opaque), void *opaque);
void op_ud(TCGCPU *s, const DecodedInsn *d);

/* ---- cpu-exec.c ---- */
void cpu_loop_exit(TCGCPU *s) G_GNUC_NORETURN;
/*
 * The part of cpu_exec_needs_attention that can change while blocks chain:
 * requests from other threads and the interrupt shadow.  Dead blocks (the
 * graveyard) bump tb_gen, which already stops chaining; HLT and triple
 * faults leave the chain loop on their own.
 */
static inline bool cpu_chain_needs_attention(TCGCPU *s)
{
    CPUState *cpu = s->cpu;

    return __atomic_load_n(&cpu->exit_request, __ATOMIC_RELAXED) ||
           (__atomic_load_n(&cpu->interrupt_request, __ATOMIC_RELAXED) &
            ((s->env->eflags & IF_MASK) ? ~0
                                        : CPU_INTERRUPT_NMI | CPU_INTERRUPT_INIT |
                                          CPU_INTERRUPT_SIPI)) ||
           __atomic_load_n(&s->tlb_flush_pending, __ATOMIC_RELAXED) ||
           __atomic_load_n(&s->ram_write_flag, __ATOMIC_RELAXED) ||
           s->inhibit_irq || s->debug_active;
}

static inline TranslationBlock *tb_link_lookup(TCGCPU *s, TranslationBlock *last,
                                                unsigned slot)
{
    uint64_t pc = s->env->eip;
    TranslationBlock *tb = last->link_tb[slot];

    /* the generation first: a stale link may point at a freed block */
    if (last->link_gen[slot] == s->tb_gen && tb && tb->pc == pc) {
        return tb;
    }
    tb = last->link_tb[1];
    if (slot == 0 && last->link_gen[1] == s->tb_gen && tb && tb->pc == pc) {
        return tb;
    }
    return NULL;
}


uint64_t insn_eip(TCGCPU *s, const DecodedInsn *d); /* EIP of d itself */
/* Ends the current block after this instruction (state changed). */
static inline void end_block(TCGCPU *s)
{
    s->end = s->cur + 1;
    s->stop_chain = true; /* something the block key depends on may have changed */
}

/* ---- misc_helper.c ---- */
void helper_outb(CPUX86State *env, uint32_t port, uint32_t val);
void helper_outw(CPUX86State *env, uint32_t port, uint32_t val);
void helper_outl(CPUX86State *env, uint32_t port, uint32_t val);
uint32_t helper_inb(CPUX86State *env, uint32_t port);
uint32_t helper_inw(CPUX86State *env, uint32_t port);
uint32_t helper_inl(CPUX86State *env, uint32_t port);
void check_io_perm(TCGCPU *s, uint32_t port, int size);
void helper_cpuid(TCGCPU *s);
void helper_rdtsc(TCGCPU *s);
void helper_rdmsr(TCGCPU *s);
void helper_wrmsr(TCGCPU *s);
void helper_write_crN(TCGCPU *s, int reg, uint64_t val);
uint64_t cpu_get_tsc(TCGCPU *s);
/* F3 90: a spin-wait hint; under thread=single it yields the thread. */
void op_pause(TCGCPU *s, const DecodedInsn *d);

/* ---- disas.c / logging ---- */
void tcg_log_in_asm(TCGCPU *s, TranslationBlock *tb, uint64_t lin_pc);
void tcg_dump_state(TCGCPU *s, FILE *f);

/* ---- tcg-accel-ops.c ---- */
TCGCPU *tcg_cpu_create(CPUState *cpu);
void tcg_cpu_destroy(TCGCPU *s);
/* AccelOps.cpu_exec: runs the guest until the vCPU loop is needed
 * (exported for the unit harness). */
int tcg_cpus_exec(CPUState *cpu);
/* After RESET or INIT rewrote env: lazy flags, shadows, TLB, mode. */
void tcg_cpu_reset_state(TCGCPU *s);
/* The vCPU thread, one per vCPU (tcg-accel-ops-mttcg.c). */
void *mttcg_cpu_thread_fn(void *arg);

/*
 * -accel tcg's per-VM state (MachineState.accel_state).  thread=multi
 * (the default, QEMU's MTTCG) gives each vCPU its own host thread;
 * thread=single runs them all on one thread, round-robin
 * (tcg-accel-ops-rr.c).
 */
typedef struct TCGState {
    struct MachineState *ms;
    bool single;
    CPUState *rr_current;        /* atomic: the vCPU the rr thread runs now */
    struct QEMUTimer *rr_kick_timer; /* ends the current vCPU's time slice */
} TCGState;

/* The running machine's (NULL without one: the unit harness). */
TCGState *tcg_state(void);

/* ---- tcg-accel-ops-rr.c ---- */
/* AccelOps.create_vcpu_thread under thread=single: the first vCPU starts
 * the thread ("ALL CPUs/TCG"), the others join it. */
bool rr_start_vcpu_thread(TCGState *ts, CPUState *cpu, Error **errp);
/* Kicks the vCPU the rr thread is running, whichever it is. */
void rr_kick_current(TCGState *ts);
void rr_cleanup(TCGState *ts);

/* ---- cpu-exec.c ---- */
/* The block loop, entered from tcg_cpus_exec. */
int cpu_exec(CPUState *cpu);

#endif
