/*
 * The pc machine's own state (MachineState.board).
 *
 * RAM layout (QEMU's i440FX "pc"): one RAM block "pc.ram" mapped by the
 * alias "ram-below-4g" at 0 for min(ram_size, 0xe0000000) bytes and, for
 * the rest, "ram-above-4g" at 4 GiB.  RAM backs 0xa0000-0xbffff (duet has
 * no VGA); 0xc0000-0xfffff is the BIOS shadow under the i440FX's PAM
 * registers, RAM or the "PCI window" (hw/i386/pc-bios.c: the ROMs).  With
 * -bios (or neither -bios nor -kernel) the firmware ROM ends at 4 GiB and
 * the CPU starts at its reset vector; with -kernel there is no ROM, the
 * shadow is RAM as a BIOS would leave it, and the memory map handed to the
 * kernel marks 0x9fc00-0xa0000 and 0xf0000-0x100000 reserved, as SeaBIOS's
 * e820 does.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include <stdio.h>

#include "hw/acpi/acpi-pm.h"
#include "hw/audio/pcspk.h"
#include "hw/boards.h"
#include "hw/char/debugcon.h"
#include "hw/char/serial.h"
#include "hw/i386/e820.h"
#include "hw/i386/linux-boot.h"
#include "hw/i386/multiboot.h"
#include "hw/input/i8042.h"
#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/irq.h"
#include "hw/misc/debugexit.h"
#include "hw/misc/ioport80.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci/pam.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"

#define PC_DEFAULT_RAM_SIZE  (128 * 1024 * 1024ULL)
#define PC_MAX_RAM_BELOW_4G  0xe0000000ULL
#define PC_ISA_NUM_IRQS      16
/* Debian's seabios package; QEMU's pc default is the same file (-L DIR
 * looks for it in DIR instead). */
#define PC_DEFAULT_BIOS_DIR  "/usr/share/seabios"
#define PC_DEFAULT_BIOS      "bios-256k.bin"

typedef struct PCMachineState {
    MachineState *ms;
    MemoryRegion ram;
    MemoryRegion ram_below_4g;
    MemoryRegion ram_above_4g;
    uint64_t below_4g_mem_size;
    uint64_t above_4g_mem_size;
    /* The PCI side of the BIOS shadow, offset 0 = 0xc0000 (hw/pci/pam.h) */
    MemoryRegion pci_window;
    bool firmware;                 /* a BIOS ROM: start at the reset vector */
    MemoryRegion bios;             /* "pc.bios": the image, ending at 4 GiB */
    uint64_t bios_size;
    MemoryRegion isa_bios;         /* its last 128 KiB, ending at 1 MiB */
    MemoryRegion option_rom;       /* "pc.rom": 0xc0000-0xdffff */

    qemu_irq gsi[PC_ISA_NUM_IRQS]; /* ISA IRQ lines, to PIC + IOAPIC, or KVM */
    qemu_irq *cpu_irq;             /* per vCPU: its local APIC's INTR output */
    qemu_irq *cpu_nmi;             /* ... and its NMI output */
    qemu_irq pic_intr;             /* the 8259's INT, to every LINT0 */
    qemu_irq a20_line;
    PICState *pic;                 /* NULL with an in-kernel irqchip */
    APICBus *apic_bus;             /* NULL with an in-kernel irqchip */
    APICState **apics;             /* per vCPU, cpu_index order */
    APICState *apic;               /* apics[0], the BSP's */
    IOAPICState *ioapic;
    ACPIPMState *acpi_pm;
    PITCommonState *pit;           /* NULL with an in-kernel PIT */
    PCSpkState *pcspk;
    CharFrontend *serial_fe;       /* COM1's end of MachineState.serial_chr */
    SerialState *serial;
    KBDState *kbd;
    RTCState *rtc;
    IOPort80State *ioport80;
    GPtrArray *debug_exits;        /* of ISADebugExitState * */
    GPtrArray *debugcons;          /* of ISADebugconState * */
    struct PCTestdevState *pc_testdev; /* -device pc-testdev */
    GPtrArray *pci_testdevs;       /* of PCITestDevState *: -device pci-testdev */
    struct PCIIDEState *ide;       /* PIIX3 IDE: -device ide-hd/ide-cd go here */
    struct PCPIIXState *piix;
    E820Table e820;                /* the memory map kernels are given */
    MultibootImage *multiboot;     /* -kernel: one of these two */
    LinuxBootImage *linux_boot;
    struct PCIBus *pci_bus;        /* hw/i386/pc_piix.c's, for info pci */
    FWCfgState *fw_cfg;            /* 0x510/0x514 (hw/i386/fw_cfg.c) */
    bool hpet_enabled;             /* not -no-hpet */
    HPETState *hpet;               /* 0xfed00000; the PIT and RTC interrupts go through it */
} PCMachineState;

/* hw/i386/pc-bios.c: reads -bios (or the default firmware) and maps it
 * at the top of 4 GiB and into pci_window. */
bool pc_bios_init(PCMachineState *pcms, Error **errp);

/* hw/i386/pc-kernel.c: reads -kernel (and -initrd) and plans the load
 * with the loader of its format; loads it and sets the entry state. */
bool pc_kernel_prepare(PCMachineState *pcms, Error **errp);
void pc_kernel_load(PCMachineState *pcms, CPUX86State *env);

/*
 * A -device string checked against the board's device types, at start-up
 * (the board parses it again when it builds the machine).  A help request
 * is printed to @out and sets *help.
 */
bool pc_machine_device_check(const char *optstr, FILE *out, bool *help, Error **errp);

/* hw/i386/pc-info.c: what the monitor's info commands show (QEMU's layouts) */
void pc_machine_print_pci(MachineState *ms, GString *out);
void pc_machine_print_qtree(MachineState *ms, GString *out);
void pc_machine_print_irq(MachineState *ms, GString *out);
void pc_machine_print_pic(MachineState *ms, GString *out);
/* info lapic: the local APIC with @apic_id; false if no CPU has it. */
bool pc_machine_print_lapic(MachineState *ms, uint32_t apic_id, GString *out);
void pc_machine_print_roms(MachineState *ms, GString *out);

/* hw/i386/pc-platform.c: interrupt controllers, ACPI hardware and tables */
void pc_irq_init(PCMachineState *pcms);
void pc_acpi_init(PCMachineState *pcms);
/* The ACPI tables' description of this machine (hw/i386/acpi-build.h). */
struct AcpiBuildConfig;
void pc_acpi_config(PCMachineState *pcms, struct AcpiBuildConfig *cfg);
/* System reset of the PIC and IOAPIC (the devices' reset handler). */
void pc_irq_reset(PCMachineState *pcms);
/* After the CPU's reset: its local APIC, the INTA hook, the ACPI tables. */
void pc_platform_cpu_reset(PCMachineState *pcms);

#endif
