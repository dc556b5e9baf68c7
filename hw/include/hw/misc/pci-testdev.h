/*
 * pci-testdev: QEMU's PCI test device (QEMU docs/specs/pci-testdev.rst),
 * vendor 0x1b36 (Red Hat) device 0x0005, class 0x00ff.  BAR0 is 4 KiB of
 * memory and BAR1 256 bytes of I/O; each starts with the header
 *
 *   +0  u8  test        write: select test n of this BAR (reads the
 *                       selected test's index over both BARs)
 *   +1  u8  width_type  access width of the test: 1, 2 or 4; 0 = no such test
 *   +4  u32 offset      where in this BAR the test writes
 *   +8  u32 data        the value it writes
 *   +12 u32 count       writes of the test seen so far
 *   +16 name            NUL-terminated
 *
 * Three tests per BAR, as QEMU's: "no-eventfd", "wildcard-eventfd" and
 * "datamatch-eventfd" (mmio-... on BAR0 at 0x800+n, portio-... on BAR1 at
 * 0x80+n, data 0xfa, the wildcard's 0xce).  duet has no ioeventfd, so all
 * three are plain writes: one at the test's offset counts when its data
 * matches (any data for the wildcard test).  QEMU's membar= (a 64-bit BAR2)
 * is not offered.
 */
#ifndef HW_MISC_PCI_TESTDEV_H
#define HW_MISC_PCI_TESTDEV_H

#include "hw/pci/pci.h"

#define PCI_VENDOR_ID_REDHAT        0x1b36
#define PCI_DEVICE_ID_REDHAT_TEST   0x0005

typedef struct PCITestDevState PCITestDevState;

PCITestDevState *pci_testdev_init(PCIBus *bus, int devfn, Error **errp);
void pci_testdev_free(PCITestDevState *s);

#endif
