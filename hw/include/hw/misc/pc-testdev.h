/*
 * pc-testdev: QEMU's ISA device for kvm-unit-tests (-device pc-testdev).
 *   0xe0-0xe3   a 32-bit scratch register, any width at any offset
 *   0xe4        write a guest-physical address: its page is "flushed"
 *               (decoded guest code for it is dropped, as after a write)
 *   0xe8-0xeb   the scratch register again, byte by byte
 *   0x2000+n    write: interrupt line n (0-23) to (value != 0); reads 0
 *   0xff000000  64 KiB of memory-mapped scratch RAM (little-endian, any width)
 * Behaviour measured against qemu-system-x86_64 7.2 over qtest, except that
 * QEMU aborts (an assertion) on lines 16-23; here they are IOAPIC pins.
 */
#ifndef HW_MISC_PC_TESTDEV_H
#define HW_MISC_PC_TESTDEV_H

#include "exec/memory.h"
#include "hw/irq.h"

#define PC_TESTDEV_IOPORT      0xe0
#define PC_TESTDEV_FLUSH_PORT  0xe4
#define PC_TESTDEV_BYTE_PORT   0xe8
#define PC_TESTDEV_IRQ_PORT    0x2000
#define PC_TESTDEV_NUM_IRQS    24
#define PC_TESTDEV_IOMEM_BASE  0xff000000
#define PC_TESTDEV_IOMEM_LEN   0x10000

typedef struct PCTestdevState PCTestdevState;

/* @irqs: PC_TESTDEV_NUM_IRQS lines (NULL entries are not wired). */
PCTestdevState *pc_testdev_init(MemoryRegion *io, MemoryRegion *sysmem, const qemu_irq *irqs);
void pc_testdev_destroy(PCTestdevState *s);

#endif
