/*
 * Local APIC (xAPIC and x2APIC modes, Intel SDM vol.3 chapter 10), one per vCPU, and
 * the APIC "bus" that carries interrupt messages between them and from
 * the IOAPIC.
 *
 * Wiring: an APIC drives its CPU through two lines, @int_out (INTR, a
 * level: something is deliverable) and @nmi_out (pulsed), and answers
 * the CPU's INTA with apic_get_interrupt.  LINT0 and LINT1 are inputs
 * (the 8259's INT and the NMI line); an ExtINT acknowledge is passed to
 * the handler set with apic_set_extint_handler (the 8259's INTA).
 *
 * The registers are one MMIO window, at the BSP's IA32_APIC_BASE address;
 * an access goes to the APIC of the vCPU that makes it (current_cpu), or
 * to the first APIC when no vCPU does (device tests).
 */
#ifndef HW_INTC_APIC_H
#define HW_INTC_APIC_H

#include <stdbool.h>
#include <stdint.h>

#include "exec/cpu.h"
#include "exec/memory.h"
#include "hw/irq.h"

#define APIC_DEFAULT_ADDRESS 0xfee00000ULL
#define APIC_SPACE_SIZE      0x1000
/* Version register as QEMU's and KVM's xAPIC report it: version 0x14,
 * six LVT entries (max LVT entry 5), no EOI-broadcast suppression. */
#define APIC_VERSION_REG     0x00050014u

/* IA32_APIC_BASE (SDM 10.4.4) */
#define MSR_APICBASE_BSP    (1ull << 8)
#define MSR_APICBASE_EXTD   (1ull << 10) /* x2APIC mode (when CPUID offers it) */
#define MSR_APICBASE_ENABLE (1ull << 11)
#define MSR_APICBASE_BASE   0xffffff000ull /* bits 35:12 (MAXPHYADDR 36) */

/* Delivery modes of ICR, LVT and IOAPIC redirection entries (SDM 10.6.1) */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWPRI = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_SIPI = 6,
    APIC_DM_EXTINT = 7,
};

typedef struct APICBus APICBus;
typedef struct APICState APICState;

/* The bus maps the register window into @sysmem. */
APICBus *apic_bus_new(MemoryRegion *sysmem);
void apic_bus_free(APICBus *bus);
/* Called with the vector of every EOI for a level-triggered interrupt
 * (SDM 10.8.5): the IOAPIC clears its remote IRR. */
void apic_bus_set_eoi_handler(APICBus *bus, void (*handler)(void *opaque, int vector),
                              void *opaque);
/* An interrupt message (IOAPIC redirection entry, later MSI): every APIC
 * that @dest names accepts it; lowest priority picks one of them. */
void apic_bus_deliver(APICBus *bus, uint8_t dest, bool logical, int delivery_mode, int vector,
                      bool level_triggered);

/*
 * A local APIC with initial APIC ID @id.  With a @cpu, the APIC keeps
 * cpu->env.apic_base and cpu->env.cr8 current and installs
 * cpu->apic_ops (IA32_APIC_BASE and CR8 writes).  Power-on state.
 */
APICState *apic_new(APICBus *bus, uint8_t id, CPUState *cpu, qemu_irq int_out,
                    qemu_irq nmi_out);
void apic_free(APICState *s);
void apic_set_extint_handler(APICState *s, int (*ack)(void *opaque), void *opaque);
/* RESET (SDM 10.4.7.1); the BSP's LINT0 comes out as ExtINT, as QEMU and
 * KVM leave it, so the 8259 reaches a CPU that never touches its APIC. */
void apic_reset(APICState *s, bool bsp);
/* The APIC's part of an INIT (SDM 10.4.7.3, the wait-for-SIPI state):
 * the RESET state but the ID and IA32_APIC_BASE are kept.  Called on the
 * vCPU's thread when it takes the INIT (cpu->apic_ops->init_reset). */
void apic_init_reset(APICState *s);
/* Input pins LINT0 (0) and LINT1 (1) */
qemu_irq apic_get_lint(APICState *s, int pin);
/* INTA: the vector to take now, or -1 when nothing is deliverable. */
int apic_get_interrupt(APICState *s);
/* info lapic, QEMU's layout. */
void apic_print_info(APICState *s, GString *out);
uint64_t apic_get_base(APICState *s);
/* false: the value is not a legal IA32_APIC_BASE (the WRMSR #GPs). */
bool apic_set_base(APICState *s, uint64_t val);
/* RDMSR/WRMSR 800H-8FFH in x2APIC mode; false: the access #GPs. */
bool apic_msr_read(APICState *s, uint32_t index, uint64_t *val);
bool apic_msr_write(APICState *s, uint32_t index, uint64_t val);
/* IA32_TSC_DEADLINE (SDM 10.5.4.1): reads 0 unless armed in TSC-deadline
 * mode; a write arms it (0 disarms) to fire at @expiry_ns on the virtual
 * clock, the time the vCPU's TSC reaches @tsc. */
uint64_t apic_get_tsc_deadline(APICState *s);
void apic_set_tsc_deadline(APICState *s, uint64_t tsc, int64_t expiry_ns);
/* CR8 is TPR[7:4] (SDM 10.8.6.1). */
uint8_t apic_get_tpr(APICState *s);
void apic_set_tpr(APICState *s, uint8_t cr8);

#endif
