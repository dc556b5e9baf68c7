/*
 * SFF-8038i bus-master IDE registers as the PIIX3 implements them (82371SB
 * datasheet 2.7): 8 bytes per channel in BAR4.
 *
 *   +0 command: bit 0 start/stop, bit 3 direction (1 = device to memory)
 *   +2 status:  bit 0 active (RO), bits 1 error and 2 interrupt (write 1
 *               to clear), bits 5-6 drive DMA capable (plain storage)
 *   +4 PRD table address, dword aligned
 *
 * A PRD is two dwords: the memory address (bit 0 ignored), then the byte
 * count in bits 15:1 (0 = 64 KiB) with bit 31 marking the last entry.
 *
 * The drive reaches all of this through bmdma_dma_ops (IDEDMAOps): it
 * asks for buffers, says when its data phase ends or stalls, reports a
 * guest memory access that failed and when it raised INTRQ.  The status
 * bits, the PCI status register and bus-master enable are handled here.
 */
#include <inttypes.h>

#include "hw/ide/pci.h"
#include "qemu/log.h"
#include "trace/trace.h"

#define BMDMA_CHANNEL_SIZE 8

static const IDEDMAOps bmdma_dma_ops;

void bmdma_init(BMDMAState *bm, IDEBus *bus, PCIDevice *pci_dev)
{
    memset(bm, 0, sizeof(*bm));
    bm->dma.ops = &bmdma_dma_ops;
    bm->bus = bus;
    bm->pci_dev = pci_dev;
    ide_bus_set_dma(bus, &bm->dma);
}

static BMDMAState *bmdma_of(IDEDMA *dma)
{
    return (BMDMAState *)dma; /* dma is the first member */
}

static bool bmdma_table_exhausted(BMDMAState *bm)
{
    return bm->cur_prd_last && bm->cur_prd_len == 0;
}

/* Removes bytes from the end of sg (a partial sector the table ended in). */
static void bmdma_sglist_trim(QEMUSGList *sg, uint32_t excess)
{
    while (excess) {
        ScatterGatherEntry *last = &sg->sg[sg->nsg - 1];

        if (last->len > excess) {
            last->len -= excess;
            sg->size -= excess;
            return;
        }
        excess -= last->len;
        sg->size -= last->len;
        sg->nsg--;
    }
}

/*
 * Adds up to max_bytes from the PRD table to sg, in whole units of granule
 * bytes (a sector for the medium, 1 for the drive's own data), and stores
 * the count in *bytes.  Not MEMTX_OK: a descriptor fetch failed.
 */
static MemTxResult bmdma_walk(BMDMAState *bm, uint32_t max_bytes, uint32_t granule,
                              QEMUSGList *sg, uint32_t *bytes)
{
    AddressSpace *as = pci_get_address_space(bm->pci_dev);
    uint32_t total = 0;

    *bytes = 0;
    while (total < max_bytes) {
        uint32_t take;

        if (bm->cur_prd_len == 0) {
            MemTxResult r1 = MEMTX_OK, r2 = MEMTX_OK;
            uint32_t prd_addr, prd_count;

            if (bm->cur_prd_last) {
                break;
            }
            /* The descriptor table may not cross a 64 KiB boundary: the
             * end of the table's page ends the table, so a table without
             * EOT is at most 8192 entries. */
            if ((bm->cur_addr & ~0xffffu) != (bm->addr & ~0xffffu)) {
                qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: PRD table runs past its 64 KiB "
                              "page without EOT\n", bm->bus->bus_id);
                bm->cur_prd_last = true;
                break;
            }
            prd_addr = address_space_ldl(as, bm->cur_addr, MEMTXATTRS_UNSPECIFIED, &r1);
            prd_count = address_space_ldl(as, bm->cur_addr + 4, MEMTXATTRS_UNSPECIFIED, &r2);
            if (r1 != MEMTX_OK || r2 != MEMTX_OK) {
                qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: PRD fetch at 0x%x not decoded\n",
                              bm->bus->bus_id, bm->cur_addr);
                return r1 != MEMTX_OK ? r1 : r2;
            }
            trace_event(bmdma_prd, "bus=%d prd=0x%x addr=0x%x count=0x%x", bm->bus->bus_id,
                        bm->cur_addr, prd_addr, prd_count);
            bm->cur_addr += 8;
            bm->cur_prd_addr = prd_addr & ~1u;
            bm->cur_prd_len = prd_count & 0xfffe;
            if (bm->cur_prd_len == 0) {
                bm->cur_prd_len = 0x10000;
            }
            bm->cur_prd_last = prd_count & BMDMA_PRD_EOT;
        }
        take = MIN(bm->cur_prd_len, max_bytes - total);
        qemu_sglist_add(sg, bm->cur_prd_addr, take);
        bm->cur_prd_addr += take;
        bm->cur_prd_len -= take;
        total += take;
    }
    /* Only whole sectors go to the disk; the table ran out inside one. */
    if (total % granule) {
        qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: PRD table ends inside a sector; "
                      "the partial sector is not transferred\n", bm->bus->bus_id);
        bmdma_sglist_trim(sg, total % granule);
        total -= total % granule;
    }
    if (total == 0) {
        /* SFF-8038i: a table shorter than the transfer stops the engine
         * (Active 0, Interrupt 0); the drive still has data to move. */
        qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: PRD table shorter than the transfer\n",
                      bm->bus->bus_id);
    }
    *bytes = total;
    return MEMTX_OK;
}

/* The engine may master the bus: Active, and PCICMD bus master enable. */
static MemTxResult bmdma_can_transfer(BMDMAState *bm, bool *active)
{
    *active = bm->status & BM_STATUS_DMAING;
    if (*active && !pci_bus_master_enabled(bm->pci_dev)) {
        qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: started with bus mastering disabled "
                      "(PCICMD)\n", bm->bus->bus_id);
        return MEMTX_DECODE_ERROR; /* no cycle can be run: as a master abort */
    }
    return MEMTX_OK;
}

/* ---- IDEDMAOps ------------------------------------------------------ */

static bool bmdma_start_dma(IDEDMA *dma, IDEState *s, IDEDMAFunc *cb)
{
    BMDMAState *bm = bmdma_of(dma);

    bm->dma_if = s;
    bm->dma_cb = cb;
    if (bm->status & BM_STATUS_DMAING) {
        if (!!(bm->cmd & BM_CMD_READ) != s->dma_read) {
            qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: direction disagrees with the drive's "
                          "command; the command's direction is used\n", bm->bus->bus_id);
        }
        cb(s); /* the engine was started first */
    }
    return true;
}

static MemTxResult bmdma_prepare_buf(IDEDMA *dma, IDEState *s, uint32_t limit,
                                     uint32_t *bytes)
{
    BMDMAState *bm = bmdma_of(dma);
    bool active;
    MemTxResult res;

    qemu_sglist_init(&s->sg, 8, pci_get_address_space(bm->pci_dev));
    *bytes = 0;
    res = bmdma_can_transfer(bm, &active);
    if (res != MEMTX_OK || !active) {
        return res;
    }
    return bmdma_walk(bm, limit, IDE_SECTOR_SIZE, &s->sg, bytes);
}

static MemTxResult bmdma_rw_buf(IDEDMA *dma, uint8_t *buf, uint32_t len, bool to_memory,
                                uint32_t *done)
{
    BMDMAState *bm = bmdma_of(dma);
    QEMUSGList sg;
    uint32_t bytes = 0;
    dma_addr_t copied = 0;
    bool active;
    MemTxResult res;

    *done = 0;
    res = bmdma_can_transfer(bm, &active);
    if (res != MEMTX_OK || !active) {
        return res;
    }
    qemu_sglist_init(&sg, 2, pci_get_address_space(bm->pci_dev));
    res = bmdma_walk(bm, len, 1, &sg, &bytes);
    if (res == MEMTX_OK && bytes) {
        res = dma_buf_rw(&sg, buf, bytes,
                         to_memory ? DMA_DIRECTION_FROM_DEVICE : DMA_DIRECTION_TO_DEVICE,
                         &copied);
        *done = copied;
    }
    qemu_sglist_destroy(&sg);
    return res;
}

static void bmdma_set_inactive(IDEDMA *dma, bool more)
{
    BMDMAState *bm = bmdma_of(dma);

    if (more) {
        /* The table ended before the drive's data: Active 0, no Interrupt;
         * the drive waits for the guest to start a new table. */
        bm->status &= ~BM_STATUS_DMAING;
        return;
    }
    /* SFF-8038i: the table used up exactly clears Active; a longer table
     * leaves it set (the guest sees Interrupt with Active: a short read). */
    if (bmdma_table_exhausted(bm)) {
        bm->status &= ~BM_STATUS_DMAING;
    }
    bm->dma_if = NULL;
    bm->dma_cb = NULL;
}

/*
 * A transfer cycle the engine ran as PCI master failed: Error and Active
 * 0 in the BMDMA status, "received master abort" in PCISTS.  The memory
 * API's only failure is a decode error (nothing claimed the address); a
 * target abort would need a device that signals one.
 */
static void bmdma_set_error(IDEDMA *dma, MemTxResult res)
{
    BMDMAState *bm = bmdma_of(dma);

    bm->status |= BM_STATUS_ERROR;
    bm->status &= ~BM_STATUS_DMAING;
    pci_set_word(bm->pci_dev->config + PCI_STATUS,
                 pci_get_word(bm->pci_dev->config + PCI_STATUS) |
                 PCI_STATUS_REC_MASTER_ABORT);
    bm->dma_if = NULL;
    bm->dma_cb = NULL;
}

/* The PIIX latches Interrupt when the drive asserts INTRQ, DMA or not. */
static void bmdma_set_irq(IDEDMA *dma)
{
    bmdma_of(dma)->status |= BM_STATUS_INT;
}

static void bmdma_reset(IDEDMA *dma)
{
    BMDMAState *bm = bmdma_of(dma);

    bm->cmd = 0;
    bm->status = 0;
    bm->addr = 0;
    bm->cur_addr = 0;
    bm->cur_prd_addr = 0;
    bm->cur_prd_len = 0;
    bm->cur_prd_last = false;
    bm->dma_if = NULL;
    bm->dma_cb = NULL;
}

static const IDEDMAOps bmdma_dma_ops = {
    .start_dma = bmdma_start_dma,
    .prepare_buf = bmdma_prepare_buf,
    .rw_buf = bmdma_rw_buf,
    .set_inactive = bmdma_set_inactive,
    .set_error = bmdma_set_error,
    .set_irq = bmdma_set_irq,
    .reset = bmdma_reset,
};

/* ---- Registers ------------------------------------------------------ */

IDE_BMDMA_FRAME void bmdma_cmd_writeb(BMDMAState *bm, uint32_t val)
{

    if (!(val & BM_CMD_START)) {
        /* Stop: the engine forgets its place; a request already handed to
         * the host completes, and the drive then waits with DRQ. */
        bm->status &= ~BM_STATUS_DMAING;
        bm->cmd = val & (BM_CMD_START | BM_CMD_READ);
        return;
    }
    if (bm->status & BM_STATUS_DMAING) {
        /* Direction must not change while active (PIIX3 datasheet). */
        return;
    }
    bm->cmd = val & (BM_CMD_START | BM_CMD_READ);
    bm->status |= BM_STATUS_DMAING;
    bm->cur_addr = bm->addr;
    bm->cur_prd_len = 0;
    bm->cur_prd_last = false;
    if (bm->dma_cb) {
        bm->dma_cb(bm->dma_if); /* a DMA command waits for the engine */
    }
}

static uint64_t bmdma_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIIDEState *d = opaque;
    BMDMAState *bm = &d->bmdma[addr / BMDMA_CHANNEL_SIZE];
    unsigned reg = addr % BMDMA_CHANNEL_SIZE;
    uint32_t val;

    switch (reg) {
    case 0:
        val = bm->cmd;
        break;
    case 2:
        ide_bus_poll_in_flight(bm->bus);
        val = bm->status;
        break;
    case 4: case 5: case 6: case 7:
        val = (bm->addr >> (8 * (reg - 4))) & 0xff;
        break;
    default:
        val = 0; /* reserved */
        break;
    }
    trace_event(bmdma_read, "bus=%d reg=%u val=0x%02x", bm->bus->bus_id, reg, val);
    return val;
}

static IDE_BMDMA_FRAME void bmdma_write(void *opaque, hwaddr addr, uint64_t val,
                                         unsigned size)
{
    PCIIDEState *d = opaque;
    BMDMAState *bm = &d->bmdma[addr / BMDMA_CHANNEL_SIZE];
    unsigned reg = addr % BMDMA_CHANNEL_SIZE;
    unsigned shift;

    trace_event(bmdma_write, "bus=%d reg=%u val=0x%02x", bm->bus->bus_id, reg,
                (unsigned)val);
    switch (reg) {
    case 0:
        bmdma_cmd_writeb(bm, val);
        break;
    case 2:
        bm->status = (bm->status & ~BM_STATUS_DMA_CAP) | (val & BM_STATUS_DMA_CAP);
        bm->status &= ~(val & (BM_STATUS_ERROR | BM_STATUS_INT));
        break;
    case 4: case 5: case 6: case 7:
        shift = 8 * (reg - 4);
        bm->addr = (bm->addr & ~(0xffu << shift)) | ((uint32_t)(val & 0xff) << shift);
        bm->addr &= ~3u; /* bits 1:0 reserved */
        break;
    default:
        break;
    }
}

/* Byte registers; the memory core splits wider accesses. */
const MemoryRegionOps bmdma_ops = {
    .read = bmdma_read,
    .write = bmdma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};
