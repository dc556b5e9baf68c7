/*
 * The pc machine's fw_cfg items (QEMU hw/i386/fw_cfg.c's set): what a
 * BIOS asks the board -- RAM size, CPUs, the memory map, the boot order,
 * the ACPI tables with their linker/loader script, HPET and NUMA.
 */
#ifndef HW_I386_FW_CFG_H
#define HW_I386_FW_CFG_H

#include "hw/nvram/fw_cfg.h"

struct PCMachineState;

/* Creates the device at 0x510/0x514 and fills in the items. */
bool pc_fw_cfg_init(struct PCMachineState *pcms, Error **errp);

/* QEMU's struct hpet_fw_config: count, then 8 entries of be-unaligned
 * u32 block ID, u64 address, u16 min tick, u8 page protection. */
#define PC_FW_CFG_HPET_SIZE (1 + 8 * 15)

#endif
