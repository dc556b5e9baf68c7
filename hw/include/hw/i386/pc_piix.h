/*
 * The pc machine's PCI side, as QEMU's pc (i440FX + PIIX3) has it:
 * 00:00.0 host bridge, 00:01.0 PIIX3 ISA bridge, 00:01.1 PIIX3 IDE with
 * the -drive if=ide disks.
 */
#ifndef HW_I386_PC_PIIX_H
#define HW_I386_PC_PIIX_H

#include "hw/boards.h"
#include "hw/irq.h"

typedef struct PCIIDEState PCIIDEState;
typedef struct PCPIIXState PCPIIXState;

/*
 * Builds the PCI bus and its functions into get_system_memory()/io and
 * opens ms->drive_opts (if=ide drives get their devices; -device ide-hd/
 * ide-cd may then add more on *ide).  isa_irqs[14] and [15] are the IDE
 * channels' lines; the PIIX3 routes PCI INTx (PIRQA-D) onto
 * isa_irqs[10]/[11] as firmware would.
 */
bool pc_pci_ide_init(MachineState *ms, qemu_irq *isa_irqs, PCIIDEState **ide,
                     PCPIIXState **piix, Error **errp);
/* Once every device is there: assigns BARs as firmware would and
 * registers a reset handler (qemu_register_reset) that restores that
 * state at every system reset. */
void pc_pci_firmware_init(PCPIIXState *piix);
/* With a BIOS instead: resets leave the functions at power-on state. */
void pc_pci_power_on_init(PCPIIXState *piix);
/* Puts the BIOS shadow 0xc0000-0xfffff under the i440FX's PAM registers
 * (hw/include/hw/pci/i440fx.h). */
void pc_pci_pam_init(PCPIIXState *piix, MemoryRegion *system_memory, MemoryRegion *ram,
                     MemoryRegion *pci_window);

#endif
