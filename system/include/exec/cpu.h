/*
 * The one x86 CPU state shared by every accelerator.  The interpreter
 * runs on it directly; KVM copies it in and out around KVM_RUN
 * (kvm_arch_get_registers / kvm_arch_put_registers).
 */
#ifndef EXEC_CPU_H
#define EXEC_CPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "exec/cpuid.h"
#include "exec/memory.h"

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS };

/* Segment descriptor attribute bits, where they sit in the descriptor's
 * high dword (SDM vol.3 3.4.5); SegmentCache.flags uses this layout. */
#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK  (15 << DESC_TYPE_SHIFT)
#define DESC_S_MASK     (1 << 12)
#define DESC_DPL_SHIFT  13
#define DESC_DPL_MASK   (3 << DESC_DPL_SHIFT)
#define DESC_P_MASK     (1 << 15)
#define DESC_AVL_MASK   (1 << 20)
#define DESC_L_MASK     (1 << 21)
#define DESC_B_MASK     (1 << 22)
#define DESC_G_MASK     (1 << 23)

typedef struct SegmentCache {
    uint32_t selector;
    uint64_t base;
    uint32_t limit; /* byte granular, already scaled by G */
    uint32_t flags;
} SegmentCache;

/* EFLAGS bits (SDM vol.1 3.4.3) */
#define CC_C   0x0001
#define CC_P   0x0004
#define CC_A   0x0010
#define CC_Z   0x0040
#define CC_S   0x0080
#define TF_MASK 0x0100
#define IF_MASK 0x0200
#define DF_MASK 0x0400
#define CC_O   0x0800
#define IOPL_MASK 0x3000
#define NT_MASK 0x4000
#define RF_MASK 0x10000
#define VM_MASK 0x20000
#define AC_MASK 0x40000
#define ID_MASK 0x200000

#define CR0_PE_MASK (1u << 0)
#define CR0_MP_MASK (1u << 1)
#define CR0_EM_MASK (1u << 2)
#define CR0_TS_MASK (1u << 3)
#define CR0_ET_MASK (1u << 4)
#define CR0_NE_MASK (1u << 5)
#define CR0_WP_MASK (1u << 16)
#define CR0_AM_MASK (1u << 18)
#define CR0_NW_MASK (1u << 29)
#define CR0_CD_MASK (1u << 30)
#define CR0_PG_MASK (1u << 31)
#define CR4_VME_MASK (1u << 0)
#define CR4_PVI_MASK (1u << 1)
#define CR4_TSD_MASK (1u << 2)
#define CR4_DE_MASK  (1u << 3)
#define CR4_PSE_MASK (1u << 4)
#define CR4_PAE_MASK (1u << 5)
#define CR4_MCE_MASK (1u << 6)
#define CR4_PGE_MASK (1u << 7)
#define CR4_PCE_MASK (1u << 8)
#define CR4_OSFXSR_MASK (1u << 9)
#define CR4_OSXMMEXCPT_MASK (1u << 10)
#define CR4_UMIP_MASK (1u << 11)
#define CR4_FSGSBASE_MASK (1u << 16)
#define CR4_PCIDE_MASK (1u << 17)
#define CR4_OSXSAVE_MASK (1u << 18)
#define CR4_SMEP_MASK (1u << 20)
#define CR4_SMAP_MASK (1u << 21)
#define MSR_EFER_SCE (1u << 0)
#define MSR_EFER_LME (1u << 8)
#define MSR_EFER_LMA (1u << 10)
#define MSR_EFER_NXE (1u << 11)

/*
 * x87/MMX/SSE state (SDM vol.1 8.1, 9.2, 10.2), field for field what
 * FXSAVE stores and KVM's struct kvm_fpu carries, so both accelerators
 * copy it without translation.  An x87 register is the 80-bit extended
 * format (64-bit significand with explicit integer bit, sign + 15-bit
 * exponent); MMX register i is the significand of physical register i.
 */
typedef struct X86FPReg {
    uint64_t mant;
    uint16_t sign_exp;
} X86FPReg;

typedef union X86XMMReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
    float s[4];
    double d[2];
} X86XMMReg;

typedef struct X86FPUState {
    uint16_t fcw;       /* control word */
    uint16_t fsw;       /* status word, TOP (bits 13:11) included */
    uint8_t ftw;        /* abridged tag: bit i set = physical register i is not empty */
    uint16_t fop;       /* last non-control instruction's opcode (11 bits) */
    uint64_t fip, fdp;  /* ... its offset and its memory operand's offset */
    uint16_t fcs, fds;  /* ... and their selectors */
    X86FPReg st[8];     /* physical registers R0..R7: ST(i) is st[(TOP + i) & 7] */
    uint32_t mxcsr;
    X86XMMReg xmm[16];
} X86FPUState;

typedef struct CPUX86State {
    uint64_t regs[16];
    uint64_t eip;
    /* Architectural EFLAGS.  The interpreter may keep condition codes
     * lazily elsewhere; it folds them in before anyone else reads this. */
    uint64_t eflags;

    SegmentCache segs[6];
    SegmentCache ldt;
    SegmentCache tr;
    SegmentCache gdt; /* base and limit only */
    SegmentCache idt; /* base and limit only */

    uint64_t cr[5]; /* cr[1] unused */
    uint64_t cr8;
    uint64_t dr[8];
    uint64_t efer;
    uint64_t star, lstar, cstar, fmask, kernelgsbase;
    uint32_t sysenter_cs;
    uint64_t sysenter_esp, sysenter_eip;
    uint64_t tsc;
    uint64_t tsc_aux;
    uint64_t apic_base;
    uint64_t pat;
    X86FPUState fpu;
    uint64_t misc_enable;
    uint64_t mcg_status;
    uint64_t mtrr_deftype;
    uint64_t mtrr_var[16];   /* PHYSBASE0, PHYSMASK0, ... PHYSMASK7 */
    uint64_t mtrr_fixed[11]; /* FIX64K_00000, FIX16K_80000/A0000, FIX4K_C0000..F8000 */
    /* AMD family 0Fh MSRs (BKDG for AMD NPT family 0Fh, section 3.11) */
    uint64_t amd_syscfg, amd_hwcr, amd_top_mem, amd_top_mem2;

    /* Non-architectural run state */
    bool halted;
    /* An AP after RESET or INIT (SDM vol.3 8.4.1): halted, and only a
     * SIPI (or another INIT) wakes it; the SIPI's vector is the page
     * it starts at (CS = vector << 8, IP = 0).  Other threads read it
     * (atomically) to decide whether a SIPI is dropped. */
    bool wait_for_sipi;
    uint64_t a20_mask; /* all ones normally; bit 20 cleared when A20 is off */
} CPUX86State;

/* Why cpu_exec returned to the vCPU loop */
enum {
    EXCP_INTERRUPT = 0x10000, /* exit_request or kick: look at the world */
    EXCP_HLT,                 /* halted: sleep until an interrupt */
    EXCP_DEBUG,
    EXCP_HALTED,
    EXCP_YIELD,
    EXCP_FATAL, /* accelerator gave up: message already reported */
};

/* interrupt_request bits */
#define CPU_INTERRUPT_HARD  0x0002 /* the PIC has an interrupt for us */
#define CPU_INTERRUPT_EXITTB 0x0004
#define CPU_INTERRUPT_NMI   0x0200
#define CPU_INTERRUPT_INIT  0x0400
#define CPU_INTERRUPT_SIPI  0x0800 /* Startup IPI; the vector is in CPUState.sipi_vector */

typedef struct CPUState CPUState;

/* Why the vCPU stopped for the debugger (exec/breakpoint.h). */
typedef enum CPUDebugStopReason {
    DEBUG_STOP_NONE,
    DEBUG_STOP_STEP,       /* one instruction ran (single-step) */
    DEBUG_STOP_BREAKPOINT, /* at a breakpoint, before its instruction */
    DEBUG_STOP_WATCH,      /* after the instruction that touched a watchpoint */
} CPUDebugStopReason;

typedef struct CPUDebugStop {
    CPUDebugStopReason reason;
    int type;      /* the breakpoint's GdbBreakpointType */
    uint64_t addr; /* the breakpoint's or watchpoint's address */
} CPUDebugStop;

/*
 * The CPU's side of its local APIC, installed by the APIC device
 * (hw/intc/apic.c) when the board models one; NULL otherwise (KVM's
 * in-kernel irqchip).  The APIC keeps env.apic_base and env.cr8 current;
 * an accelerator passes the guest's writes through these, BQL held.
 */
typedef struct CPUAPICOps {
    bool (*set_base)(void *opaque, uint64_t val); /* WRMSR IA32_APIC_BASE; false: #GP */
    void (*set_tpr)(void *opaque, uint8_t cr8);   /* MOV to CR8 (TPR[7:4]) */
    /* RDMSR/WRMSR of the x2APIC registers 800H-8FFH; false: #GP */
    bool (*msr_read)(void *opaque, uint32_t index, uint64_t *val);
    bool (*msr_write)(void *opaque, uint32_t index, uint64_t val);
    /* IA32_TSC_DEADLINE: the TSC value armed (0: none, or not in
     * TSC-deadline mode), and arming it; expiry is when, on the virtual
     * clock, the vCPU's TSC reaches tsc. */
    uint64_t (*get_tsc_deadline)(void *opaque);
    void (*set_tsc_deadline)(void *opaque, uint64_t tsc, int64_t expiry_ns);
    /* The vCPU took an INIT: the APIC's INIT reset (SDM vol.3 10.4.7.3). */
    void (*init_reset)(void *opaque);
} CPUAPICOps;

struct CPUState {
    int cpu_index;     /* 0 is the bootstrap processor */
    uint32_t apic_id;  /* initial APIC ID: CPUID.01H:EBX[31:24], leaf 0BH, MADT */
    CPUX86State env;
    /* The model (-cpu) and the features the accelerator gave it. */
    X86CPUID cpuid;

    GThread *thread;
    pthread_t thread_id;
    int tid;             /* the vCPU thread's kernel id (info cpus, query-cpus-fast) */
    /* What the vCPU thread sleeps on while idle, NULL: halt_cond_own.
     * Under -accel tcg,thread=single every vCPU points at the first's:
     * one thread waits for all of them. */
    GCond *halt_cond;
    GCond halt_cond_own;
    bool created;
    bool stop;
    bool stopped;
    bool unplug;

    /* Set from other threads: leave the guest at the next boundary. */
    int exit_request;      /* atomic */
    int interrupt_request; /* atomic; CPU_INTERRUPT_* */
    int sipi_vector;       /* atomic; stored before CPU_INTERRUPT_SIPI is raised */

    /* env is newer than the accelerator's copy (KVM: put before KVM_RUN). */
    bool vcpu_dirty;

    /* The machine's answer to INTA: vector of the highest pending IRQ,
     * or -1 (the local APIC's, which passes ExtINT on to the 8259).  Set
     * by the board so accelerators never include interrupt controller code. */
    int (*get_pic_interrupt)(void *opaque);
    void *pic_opaque;
    const CPUAPICOps *apic_ops;
    void *apic_opaque;

    AddressSpace *as;    /* memory */
    AddressSpace *as_io; /* ports */

    /* A debugger's breakpoints and watchpoints (exec/breakpoint.h), of
     * CPUBreakpoint, NULL until the first; changed only while paused. */
    GArray *breakpoints;
    bool singlestep_enabled;
    CPUDebugStop debug_stop; /* why cpu_exec last returned EXCP_DEBUG */

    void *accel; /* the accelerator's per-vCPU state */
    /* The accelerator running this vCPU: cpu_interrupt kicks through it. */
    const struct AccelOps *accel_ops;
};

static inline GCond *cpu_halt_cond(CPUState *cpu)
{
    return cpu->halt_cond ? cpu->halt_cond : &cpu->halt_cond_own;
}

/* Raises / clears interrupt_request bits and kicks the vCPU. */
void cpu_interrupt(CPUState *cpu, int mask);
void cpu_reset_interrupt(CPUState *cpu, int mask);
/* Power-on / RESET state (SDM vol.3 9.1.1): real mode, CS:IP f000:fff0. */
void x86_cpu_reset(CPUState *cpu);
/*
 * An INIT (SDM vol.3 9.1, table 9-1 "following INIT"): the RESET state,
 * but x87/MMX/SSE state, the MSRs (MTRRs, PAT, SYSENTER/SYSCALL, ...),
 * the TSC and CR0.CD/NW are kept; the BSP restarts at the reset vector,
 * an AP waits for a SIPI (8.4.1).  A SIPI already pending survives.  The
 * local APIC gets its own INIT (apic_ops->init_reset).  BQL held, on the
 * vCPU's own thread.
 */
void x86_cpu_init_reset(CPUState *cpu);
/* A SIPI with @vector to a vCPU in wait-for-SIPI (SDM vol.3 8.4.4.1):
 * real mode at CS = vector << 8 (base vector << 12), IP = 0. */
void x86_cpu_sipi_start(CPUState *cpu, uint8_t vector);
/* Register dump, "info registers" style. */
void x86_cpu_dump_state(CPUState *cpu, FILE *f);
/* FNINIT's x87 state and MXCSR 1F80H, as at RESET (SDM vol.3 9.1.1). */
void x86_fpu_reset(X86FPUState *fpu);

#endif
