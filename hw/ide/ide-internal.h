/*
 * What the parts of the ATA drive share among themselves: core.c (task
 * file, interrupts, reset, completion), atacmd.c (command table, PIO and
 * non-data commands), dma.c (DMA commands).  Not for the host adapters:
 * they see hw/ide/ide.h.
 */
#ifndef HW_IDE_IDE_INTERNAL_H
#define HW_IDE_IDE_INTERNAL_H

#include "hw/ide/ide.h"

/* Keep the layers of a guest I/O as separate frames for gdb. */
#define IDE_FRAME __attribute__((noinline))

#define IDE_STATUS_IDLE (READY_STAT | SEEK_STAT)

/*
 * Command properties, one set per opcode in atacmd.c's table: everything
 * the dispatch and the handlers need to know about a command beyond its
 * handler (ATA8-ACS, each command's "inputs" and "normal outputs").
 */
#define CMD_MEDIUM       (1u << 0) /* accesses the medium: ABRT|NM without one */
#define CMD_LBA48        (1u << 1) /* 48-bit address and sector count */
#define CMD_MULTIPLE     (1u << 2) /* PIO DRQ blocks of the multiple count; ABRT when off */
#define CMD_WRITE        (1u << 3) /* data host -> drive; on the medium: ABRT if read-only */
#define CMD_DMA          (1u << 4) /* data by DMA: the handler sets up, the dispatch starts it */
#define CMD_BOTH_DEVICES (1u << 5) /* addressed to both drives, runs if one is absent */

IDEState *idebus_active_if(IDEBus *bus);
/* Negates the drive's interrupt request (command written, status read). */
void ide_clear_irq(IDEBus *bus);

/* A block request goes out / every completion's first call (true: drop it). */
void ide_io_start(IDEState *s);
bool ide_complete_pending_reset(IDEState *s);

/* The ATA device signature in the task file (after reset or diagnostics). */
void ide_set_signature(IDEState *s);

void ide_abort_command(IDEState *s);
void ide_command_error(IDEState *s, uint8_t error);
/* A host I/O error: UNC for reads, ABRT for writes, address of the block. */
void ide_rw_error(IDEState *s, bool is_read, int ret);
/* Loads sector_num/nsector_left from the task file; false: refused (done). */
bool ide_start_rw(IDEState *s);

void ide_transfer_start(IDEState *s, uint32_t size, IDEXferDir dir,
                        EndTransferFunc *end_transfer_func);
void ide_transfer_stop(IDEState *s);

/*
 * hw/ide/dma.c: DMA commands.  Their handlers only set up (true: go on),
 * then the dispatch starts the data phase: the engine runs it at once or
 * when started; without an engine the command aborts.
 */
bool cmd_rw_dma(IDEState *s, uint8_t cmd);
bool cmd_buffer_dma(IDEState *s, uint8_t cmd);
void ide_dma_start(IDEState *s);
/* The engine's start entry, also the continuation after each request. */
void ide_dma_cb(IDEState *s);

#endif
