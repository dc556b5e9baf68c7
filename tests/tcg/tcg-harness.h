/*
 * A CPU on a private machine for the interpreter's unit tests: 4 MiB of
 * RAM through the memory API, flat 32-bit protected mode, an IDT whose
 * 32 exception stubs record the vector at EXC_VECTOR and halt.  Code is
 * written to RAM like a loader would (so the block cache invalidates) and
 * run until HLT.
 */
#ifndef TESTS_TCG_HARNESS_H
#define TESTS_TCG_HARNESS_H

#include <check.h>
#include <string.h>

#include "exec/cpu.h"
#include "exec/memory.h"
#include "accel/tcg/tcg-cpu.h"

#define RAM_SIZE   (4u << 20)
#define GDT_ADDR   0x600
#define IDT_ADDR   0x800
#define EXC_VECTOR 0x500  /* dword: last exception vector, or 0xffffffff */
#define STUB_ADDR  0x2000
#define CODE_ADDR  0x10000
#define DATA_ADDR  0x20000
#define STACK_TOP  0x90000

static MemoryRegion harness_ram;
static CPUState harness_cpu;
static uint8_t *ram;
static TCGCPU *tcg;
static bool harness_ready;

static inline CPUX86State *henv(void) { return &harness_cpu.env; }

static inline void put32(uint32_t addr, uint32_t v) { memcpy(ram + addr, &v, 4); }
static inline uint32_t get32(uint32_t addr) { uint32_t v; memcpy(&v, ram + addr, 4); return v; }

static void set_flat_seg(int seg, uint32_t sel, uint32_t type)
{
    SegmentCache *sc = &henv()->segs[seg];
    sc->selector = sel;
    sc->base = 0;
    sc->limit = 0xffffffff;
    sc->flags = DESC_P_MASK | DESC_S_MASK | DESC_B_MASK | DESC_G_MASK |
                (type << DESC_TYPE_SHIFT);
}

/* Flat protected mode, paging off, IDT with exception-recording stubs. */
static void harness_reset_cpu(void)
{
    CPUX86State *env = henv();

    x86_cpu_reset(&harness_cpu);
    env->cr[0] = CR0_PE_MASK | CR0_ET_MASK;
    set_flat_seg(R_CS, 0x08, 0xb);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            set_flat_seg(i, 0x10, 0x3);
        }
    }
    /* GDT: null, 0x08 flat code, 0x10 flat data, 0x18 16-bit code, 0x20 16-bit data */
    static const uint64_t gdt[] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull,
                                    0x00009b000000ffffull, 0x000093000000ffffull };
    memcpy(ram + GDT_ADDR, gdt, sizeof(gdt));
    env->gdt.base = GDT_ADDR;
    env->gdt.limit = sizeof(gdt) - 1;
    env->idt.base = IDT_ADDR;
    env->idt.limit = 32 * 8 - 1;
    for (int v = 0; v < 32; v++) {
        uint32_t stub = STUB_ADDR + v * 16;
        /* mov dword [EXC_VECTOR], v ; hlt */
        uint8_t code[] = { 0xc7, 0x05, EXC_VECTOR & 0xff, EXC_VECTOR >> 8, 0, 0, v, 0, 0, 0,
                           0xf4 };
        memcpy(ram + stub, code, sizeof(code));
        /* 32-bit interrupt gate, DPL 0, selector 0x08 (SDM vol.3 6.11) */
        put32(IDT_ADDR + v * 8, (0x08 << 16) | (stub & 0xffff));
        put32(IDT_ADDR + v * 8 + 4, (stub & 0xffff0000) | 0x8e00);
    }
    memory_notify_ram_write(ram, 0x3000);
    env->regs[R_ESP] = STACK_TOP;
    if (tcg) {
        tlb_flush(tcg);
    }
}

static void harness_init(void)
{
    Error *err = NULL;

    if (harness_ready) {
        harness_reset_cpu();
        return;
    }
    memory_map_init();
    ck_assert(memory_region_init_ram(&harness_ram, "ram", RAM_SIZE, &err));
    memory_region_add_subregion(get_system_memory(), 0, &harness_ram);
    ram = memory_region_get_ram_ptr(&harness_ram);
    harness_cpu.as = &address_space_memory;
    harness_cpu.as_io = &address_space_io;
    harness_reset_cpu();
    tcg = tcg_cpu_create(&harness_cpu);
    harness_ready = true;
}

/*
 * IA-32e mode, as a 64-bit kernel would set it up: PML4 -> PDPT -> PD
 * identity-mapping the first GiB with 2 MiB user-accessible pages, a GDT
 * with Linux's SYSCALL/SYSRET layout, a 64-bit TSS (RSP0, IST1) and a
 * 64-bit IDT whose stubs record the vector and halt, as the 32-bit ones do.
 */
#define PML4_ADDR  0x1f0000
#define PDPT_ADDR  0x1f1000
#define PD_ADDR64  0x1f2000
#define TSS64_ADDR 0x3000
#define SEL_KCODE64 0x28
#define SEL_KDATA   0x30
#define SEL_UCODE32 0x3b
#define SEL_UDATA   0x43
#define SEL_UCODE64 0x4b
#define SEL_TSS64   0x50
#define RSP0_TOP    0x80000
#define IST1_TOP    0x70000
#define IDT64_VECTORS 64
#define IDT64_ADDR  0xc00   /* 64 16-byte gates, beside the 32-bit IDT */
#define STUB64_ADDR 0x2400

static inline void put64(uint32_t addr, uint64_t v) { memcpy(ram + addr, &v, 8); }
static inline uint64_t get64(uint32_t addr) { uint64_t v; memcpy(&v, ram + addr, 8); return v; }

static inline void set_idt64_gate(int v, uint64_t handler, int ist, int dpl, bool trap)
{
    put32(IDT64_ADDR + v * 16, (SEL_KCODE64 << 16) | (handler & 0xffff));
    put32(IDT64_ADDR + v * 16 + 4, (handler & 0xffff0000) | 0x8000 | (dpl << 13) |
                                   ((trap ? 0xf : 0xe) << 8) | ist);
    put64(IDT64_ADDR + v * 16 + 8, handler >> 32);
    memory_notify_ram_write(ram + IDT64_ADDR + v * 16, 16);
}

/* The tables only (GDT, TSS, page tables, 64-bit IDT); CPU state unchanged. */
static inline void harness_long_tables(void)
{
    CPUX86State *env = henv();
    static const uint64_t gdt[] = {
        0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull, 0x00009b000000ffffull,
        0x000093000000ffffull,
        0x00af9b000000ffffull, /* 0x28 kernel code, 64-bit */
        0x00cf93000000ffffull, /* 0x30 kernel data */
        0x00cffb000000ffffull, /* 0x38 user code, 32-bit (compatibility mode) */
        0x00cff3000000ffffull, /* 0x40 user data */
        0x00affb000000ffffull, /* 0x48 user code, 64-bit */
        0x0000890000000067ull | ((uint64_t)TSS64_ADDR << 16), 0, /* 0x50 TSS, 16 bytes */
    };

    memcpy(ram + GDT_ADDR, gdt, sizeof(gdt));
    env->gdt.limit = sizeof(gdt) - 1;
    memset(ram + TSS64_ADDR, 0, 0x68);
    put64(TSS64_ADDR + 4, RSP0_TOP);
    put64(TSS64_ADDR + 36, IST1_TOP);
    memset(ram + PML4_ADDR, 0, 0x3000);
    put64(PML4_ADDR, PDPT_ADDR | 7);
    put64(PDPT_ADDR, PD_ADDR64 | 7);
    for (uint64_t i = 0; i < 512; i++) {
        put64(PD_ADDR64 + i * 8, (i << 21) | 0x87); /* P, W, U, PS */
    }
    for (int v = 0; v < IDT64_VECTORS; v++) {
        uint32_t stub = STUB64_ADDR + v * 16;
        /* mov dword [abs EXC_VECTOR], v ; hlt (SIB form: no RIP-relative) */
        uint8_t code[] = { 0xc7, 0x04, 0x25, EXC_VECTOR & 0xff, EXC_VECTOR >> 8, 0, 0,
                           v, 0, 0, 0, 0xf4 };
        memcpy(ram + stub, code, sizeof(code));
        set_idt64_gate(v, stub, 0, 0, false);
    }
    memory_notify_ram_write(ram, 0x4000);
}

/* Loads the 64-bit IDT and the TSS (as LIDT and LTR would). */
static inline void harness_long_idt(void)
{
    CPUX86State *env = henv();

    env->idt.base = IDT64_ADDR;
    env->idt.limit = IDT64_VECTORS * 16 - 1;
    env->tr = (SegmentCache){ SEL_TSS64, TSS64_ADDR, 0x67, DESC_P_MASK | (11 << DESC_TYPE_SHIFT) };
}

static inline void harness_long_mode(void)
{
    CPUX86State *env = henv();

    harness_reset_cpu();
    harness_long_tables();
    harness_long_idt();
    env->cr[3] = PML4_ADDR;
    env->cr[4] |= CR4_PAE_MASK;
    env->efer |= MSR_EFER_LME | MSR_EFER_LMA | MSR_EFER_NXE | MSR_EFER_SCE;
    env->cr[0] |= CR0_PG_MASK;
    env->segs[R_CS] = (SegmentCache){ SEL_KCODE64, 0, 0xffffffff,
                                      DESC_P_MASK | DESC_S_MASK | DESC_L_MASK | DESC_G_MASK |
                                      (0xb << DESC_TYPE_SHIFT) };
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            set_flat_seg(i, SEL_KDATA, 0x3);
        }
    }
    env->star = ((uint64_t)(SEL_UCODE32 & ~3) << 48) | ((uint64_t)SEL_KCODE64 << 32);
    env->regs[R_ESP] = STACK_TOP;
    if (tcg) {
        tlb_flush(tcg);
    }
}

/* The CPU model (and so CPUID and the features) the next runs have. */
static inline void harness_cpu_model(const char *name)
{
    uint32_t supported[FEATURE_WORDS];

    x86_cpuid_tcg_supported(supported);
    x86_cpuid_realize(&harness_cpu.cpuid, x86_cpu_model_find(name), supported, "TCG");
}

/* The same from a -cpu string (MODEL,+flag,-flag,vendor=...). */
static inline void harness_cpu_spec(const char *spec)
{
    uint32_t supported[FEATURE_WORDS];
    Error *err = NULL;

    if (!x86_cpuid_parse(&harness_cpu.cpuid, spec, &err)) {
        error_report_err(err);
        abort();
    }
    x86_cpuid_tcg_supported(supported);
    x86_cpuid_realize(&harness_cpu.cpuid, harness_cpu.cpuid.model, supported, "TCG");
}

/* Writes code (plus a HLT) at addr and runs from there until the CPU halts.
 * Returns the exception vector the code raised, or -1. */
static int run_at(uint32_t addr, const uint8_t *code, size_t len)
{
    CPUX86State *env = henv();

    memcpy(ram + addr, code, len);
    ram[addr + len] = 0xf4;
    memory_notify_ram_write(ram + addr, len + 1);
    put32(EXC_VECTOR, 0xffffffff);
    env->eip = addr;
    env->halted = false;
    for (int i = 0; i < 1000 && !env->halted; i++) {
        tcg_cpus_exec(&harness_cpu);
    }
    if (!env->halted) {
        fprintf(stderr, "not halted eip=%" PRIx64 "\n", env->eip);
    }
    ck_assert_msg(env->halted, "code did not reach HLT");
    uint32_t v = get32(EXC_VECTOR);
    return v == 0xffffffff ? -1 : (int)v;
}

static inline int run_code(const uint8_t *code, size_t len)
{
    return run_at(CODE_ADDR, code, len);
}

#endif
