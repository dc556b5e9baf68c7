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
        tcg_cpu_exec(&harness_cpu);
    }
    if (!env->halted) { fprintf(stderr, "not halted eip=%x\n", (unsigned)env->eip); }
    ck_assert_msg(env->halted, "code did not reach HLT");
    uint32_t v = get32(EXC_VECTOR);
    return v == 0xffffffff ? -1 : (int)v;
}

static inline int run_code(const uint8_t *code, size_t len)
{
    return run_at(CODE_ADDR, code, len);
}

#endif
