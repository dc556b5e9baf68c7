/*
 * ACPI fixed hardware (ACPI 6.x section 4.8): the PM1a event and control
 * blocks and the PM timer, at QEMU's PIIX4 PM addresses (base 0x600:
 * PM1a_EVT_BLK 0x600, PM1a_CNT_BLK 0x604, PM_TMR_BLK 0x608).  SCI is a
 * level: enabled status bits set.  SCI_EN is always set (no SMI_CMD:
 * the system is always in ACPI mode).
 */
#ifndef HW_ACPI_ACPI_PM_H
#define HW_ACPI_ACPI_PM_H

#include "exec/memory.h"
#include "hw/irq.h"

#define ACPI_PM_BASE        0x600
#define ACPI_PM_SIZE        0x40
#define ACPI_PM1_EVT_OFS    0x00
#define ACPI_PM1_CNT_OFS    0x04
#define ACPI_PM_TMR_OFS     0x08
#define ACPI_PM_TIMER_FREQ  3579545
/* SLP_TYP the DSDT's \_S5 names (QEMU's PIIX4 value: soft off is 0). */
#define ACPI_SLP_TYP_S5     0

typedef struct ACPIPMState ACPIPMState;

ACPIPMState *acpi_pm_init(MemoryRegion *io, hwaddr base, qemu_irq sci);
void acpi_pm_destroy(ACPIPMState *s);
void acpi_pm_reset(ACPIPMState *s);

#endif
