/*
 * The pc machine's interrupt wiring and ACPI, as QEMU's pc and real PCs
 * have them:
 *
 *   ISA IRQ n ──┬──> 8259 input n ──INT──> LAPIC LINT0 (ExtINT) ──INTR──> CPU
 *               └──> IOAPIC pin n (IRQ0: pin 2) ──message──> LAPIC
 *
 * Both controllers see every ISA line; the guest decides which one it
 * listens to (the 8259 through LINT0 in ExtINT mode, as after reset, or
 * the IOAPIC's redirection entries).  The CPU's INTA asks its local APIC,
 * which passes ExtINT on to the 8259.  With KVM's in-kernel irqchip none
 * of these devices exist: the lines go to KVM (which routes them the same
 * way, see kvm_set_gsi_routing) and only the ACPI tables remain, which
 * describe KVM's controllers at the same addresses.
 */
#include "hw/i386/pc.h"

#include "hw/i386/acpi-build.h"
#include "qemu/log.h"
#include "sysemu/kvm.h"
#include "trace/trace.h"

#define PC_SCI_IRQ 9

static void pc_gsi_to_accel(void *opaque, int n, int level)
{
    MachineState *ms = opaque;

    ms->accel->set_irq(ms, n, level);
}

static void pc_gsi_to_irqchips(void *opaque, int n, int level)
{
    PCMachineState *pcms = opaque;

    qemu_set_irq(i8259_get_irq(pcms->pic, n), level);
    qemu_set_irq(ioapic_get_irq(pcms->ioapic, n == 0 ? 2 : n), level);
}

/* A local APIC's INTR output, to its CPU */
static void pc_cpu_intr(void *opaque, int n, int level)
{
    CPUState *cpu = opaque;

    if (level) {
        cpu_interrupt(cpu, CPU_INTERRUPT_HARD);
    } else {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
    }
}

static void pc_cpu_nmi(void *opaque, int n, int level)
{
    if (level) {
        cpu_interrupt(opaque, CPU_INTERRUPT_NMI);
    }
}

static int pc_get_interrupt(void *opaque)
{
    return apic_get_interrupt(opaque);
}

static int pc_pic_intack(void *opaque)
{
    PCMachineState *pcms = opaque;

    return pic_read_irq(pcms->pic);
}

/* The 8259's INT is wired to LINT0 of every local APIC (MP spec 3.6.2.2,
 * virtual wire mode); software programs LINT0 as ExtINT on the BSP and
 * masks it on the APs. */
static void pc_pic_intr(void *opaque, int n, int level)
{
    PCMachineState *pcms = opaque;

    for (unsigned i = 0; i < pcms->ms->smp.cpus; i++) {
        qemu_set_irq(apic_get_lint(pcms->apics[i], 0), level);
    }
}

void pc_irq_init(PCMachineState *pcms)
{
    MachineState *ms = pcms->ms;

    if (kvm_irqchip_in_kernel(ms)) {
        for (int i = 0; i < PC_ISA_NUM_IRQS; i++) {
            pcms->gsi[i] = qemu_allocate_irq(pc_gsi_to_accel, ms, i);
        }
        return;
    }
    pcms->apic_bus = apic_bus_new(get_system_memory());
    pcms->apics = g_new0(APICState *, ms->smp.cpus);
    pcms->cpu_irq = g_new0(qemu_irq, ms->smp.cpus);
    pcms->cpu_nmi = g_new0(qemu_irq, ms->smp.cpus);
    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        CPUState *cpu = ms->cpus[i];

        pcms->cpu_irq[i] = qemu_allocate_irq(pc_cpu_intr, cpu, 0);
        pcms->cpu_nmi[i] = qemu_allocate_irq(pc_cpu_nmi, cpu, 0);
        pcms->apics[i] = apic_new(pcms->apic_bus, cpu->apic_id, cpu, pcms->cpu_irq[i],
                                  pcms->cpu_nmi[i]);
        apic_set_extint_handler(pcms->apics[i], pc_pic_intack, pcms);
    }
    pcms->apic = pcms->apics[0];
    pcms->pic_intr = qemu_allocate_irq(pc_pic_intr, pcms, 0);
    pcms->pic = i8259_init(get_system_io(), pcms->pic_intr);
    pcms->ioapic = ioapic_init(get_system_memory(), IOAPIC_DEFAULT_ADDRESS, pcms->apic_bus);
    for (int i = 0; i < PC_ISA_NUM_IRQS; i++) {
        pcms->gsi[i] = qemu_allocate_irq(pc_gsi_to_irqchips, pcms, i);
    }
}

void pc_irq_reset(PCMachineState *pcms)
{
    if (pcms->pic) {
        i8259_reset(pcms->pic);
    }
    if (pcms->ioapic) {
        ioapic_reset(pcms->ioapic);
    }
}

void pc_acpi_init(PCMachineState *pcms)
{
    pcms->acpi_pm = acpi_pm_init(get_system_io(), ACPI_PM_BASE, pcms->gsi[PC_SCI_IRQ]);
}

void pc_acpi_config(PCMachineState *pcms, AcpiBuildConfig *cfg)
{
    MachineState *ms = pcms->ms;

    acpi_build_pc_config(cfg, ms->smp.cpus);
    cfg->max_cpus = ms->smp.max_cpus;
    for (unsigned i = 0; i < ms->smp.max_cpus; i++) {
        cfg->apic_ids[i] = x86_topo_apicid(&ms->smp, i);
    }
    cfg->pci_hole_start = pcms->below_4g_mem_size;
    cfg->hpet = pcms->hpet_enabled;
}

/* What firmware would leave in memory: the ACPI tables (ACPI 5.2.5.1). */
static void pc_acpi_build(PCMachineState *pcms)
{
    AcpiBuildConfig cfg;
    uint8_t *ram = memory_region_get_ram_ptr(&pcms->ram);
    size_t len;

    if (pcms->below_4g_mem_size < ACPI_BUILD_BASE + ACPI_BUILD_SIZE) {
        return;
    }
    pc_acpi_config(pcms, &cfg);
    len = acpi_build_tables(ram + ACPI_BUILD_BASE, ACPI_BUILD_SIZE, ACPI_BUILD_BASE, &cfg);
    trace_event(pc_acpi_build, "base=0x%x len=%zu", ACPI_BUILD_BASE, len);
    if (!len) {
        qemu_log_mask(LOG_GUEST_ERROR, "pc: the ACPI tables do not fit at 0x%x\n",
                      ACPI_BUILD_BASE);
    }
}

void pc_platform_cpu_reset(PCMachineState *pcms)
{
    MachineState *ms = pcms->ms;

    for (unsigned i = 0; pcms->apics && i < ms->smp.cpus; i++) {
        apic_reset(pcms->apics[i], i == 0);
        ms->cpus[i]->get_pic_interrupt = pc_get_interrupt;
        ms->cpus[i]->pic_opaque = pcms->apics[i];
    }
    if (pcms->acpi_pm) {
        acpi_pm_reset(pcms->acpi_pm);
    }
    if (!pcms->firmware) { /* a BIOS builds its own */
        pc_acpi_build(pcms);
    }
}
