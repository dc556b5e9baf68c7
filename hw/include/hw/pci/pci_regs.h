/*
 * Type 0 configuration header offsets and bits (PCI Local Bus
 * Specification 3.0, chapter 6).
 */
#ifndef HW_PCI_PCI_REGS_H
#define HW_PCI_PCI_REGS_H

#define PCI_VENDOR_ID          0x00 /* 16 bits */
#define PCI_DEVICE_ID          0x02 /* 16 bits */
#define PCI_COMMAND            0x04 /* 16 bits */
#define  PCI_COMMAND_IO        0x1  /* I/O space decode */
#define  PCI_COMMAND_MEMORY    0x2  /* memory space decode */
#define  PCI_COMMAND_MASTER    0x4  /* bus mastering (DMA) */
#define PCI_STATUS             0x06 /* 16 bits */
#define  PCI_STATUS_FAST_BACK  0x0080
#define  PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define  PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define  PCI_STATUS_REC_TARGET_ABORT 0x1000
#define  PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_REVISION_ID        0x08
#define PCI_CLASS_PROG         0x09
#define PCI_CLASS_DEVICE       0x0a /* 16 bits: class << 8 | subclass */
#define PCI_LATENCY_TIMER      0x0d
#define PCI_HEADER_TYPE        0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BASE_ADDRESS_0     0x10
#define PCI_BASE_ADDRESS_5     0x24
#define  PCI_BASE_ADDRESS_SPACE_IO     0x01
#define  PCI_BASE_ADDRESS_SPACE_MEMORY 0x00
#define  PCI_BASE_ADDRESS_IO_MASK      (~0x03u)
#define  PCI_BASE_ADDRESS_MEM_MASK     (~0x0fu)
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID       0x2e
#define PCI_INTERRUPT_LINE     0x3c
#define PCI_INTERRUPT_PIN      0x3d

#define PCI_CLASS_STORAGE_IDE  0x0101
#define PCI_CLASS_BRIDGE_HOST  0x0600
#define PCI_CLASS_BRIDGE_ISA   0x0601

#define PCI_VENDOR_ID_INTEL    0x8086
#define PCI_DEVICE_ID_INTEL_82441      0x1237 /* i440FX host bridge */
#define PCI_DEVICE_ID_INTEL_82371SB_0  0x7000 /* PIIX3 ISA bridge */
#define PCI_DEVICE_ID_INTEL_82371SB_1  0x7010 /* PIIX3 IDE */

#endif
