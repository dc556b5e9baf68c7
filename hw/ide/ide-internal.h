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
/* Packet devices (ATA/ATAPI-6 6.3: the PACKET command feature set) take
 * only the commands marked CMD_PACKET_OK and abort the rest; CMD_PACKET_SIG
 * commands (IDENTIFY DEVICE, READ SECTOR(S)) are aborted with the device
 * signature in the task file, so that a host probing for a disk finds the
 * packet device (ATA/ATAPI-6 8.15.5, 8.27.5).  ATA disks abort
 * CMD_PACKET_ONLY commands. */
#define CMD_PACKET_OK    (1u << 6)
#define CMD_PACKET_SIG   (1u << 7)
#define CMD_PACKET_ONLY  (1u << 8)

/* What differs between an ATA disk and a packet device in the task-file
 * layer: data, so core.c and atacmd.c need no switch over the kind. */
struct IDEDriveClass {
    const char *name;         /* "ide-hd", "ide-cd" */
    const char *model;        /* IDENTIFY model string */
    bool packet;              /* the PACKET feature set (CMD_PACKET_* flags) */
    uint8_t sig_lcyl, sig_hcyl; /* signature: ATA 00h/00h, ATAPI 14h/EBh (ATA-6 9.12) */
    uint8_t reset_status;     /* status after reset and diagnostics */
    void (*reset)(IDEState *s); /* the class's own state at reset (may be NULL) */
};

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

/* hw/ide/atapi.c: the PACKET protocol; hw/ide/atapi-cmd.c: MMC commands. */
bool cmd_packet(IDEState *s, uint8_t cmd);
bool cmd_identify_packet(IDEState *s, uint8_t cmd);
bool cmd_device_reset(IDEState *s, uint8_t cmd);
/* Packet device state at power-on and after a hard reset. */
void ide_atapi_reset(IDEState *s);
/* A new medium arrived (ide_cd_change_medium): UNIT ATTENTION and a NEW
 * MEDIA event. */
void ide_atapi_medium_inserted(IDEState *s);

/* SPC-3 sense keys and additional sense codes used by the CD-ROM */
#define SENSE_NONE            0x00
#define SENSE_NOT_READY       0x02
#define SENSE_MEDIUM_ERROR    0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_UNIT_ATTENTION  0x06
#define SENSE_ABORTED_COMMAND 0x0b
#define ASC_READ_ERROR                 0x11
#define ASC_ILLEGAL_OPCODE             0x20
#define ASC_LOGICAL_BLOCK_OOR          0x21
#define ASC_INV_FIELD_IN_CMD_PACKET    0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED    0x28
#define ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x39
#define ASC_MEDIUM_NOT_PRESENT         0x3a
#define ASC_MEDIA_REMOVAL_PREVENTED    0x53

/* Ends the packet command: GOOD (no data) or CHECK CONDITION with sense. */
void ide_atapi_cmd_ok(IDEState *s);
void ide_atapi_cmd_error(IDEState *s, uint8_t sense_key, uint8_t asc);
/* Sends io_buffer[0..size) (cut to max_size, the allocation length). */
void ide_atapi_cmd_reply(IDEState *s, uint32_t size, uint32_t max_size);
/* Sends nblocks 2048-byte blocks of the medium from lba. */
void ide_atapi_cmd_read(IDEState *s, int64_t lba, uint32_t nblocks);
/* Runs the packet in s->packet (atapi-cmd.c's table). */
void ide_atapi_exec_packet(IDEState *s);

#endif
