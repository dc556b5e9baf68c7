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
 */
#include <inttypes.h>

#include "hw/ide/pci.h"
#include "qemu/log.h"
#include "trace/trace.h"

#define BMDMA_CHANNEL_SIZE 8

/* The drive whose DMA command owns the channel's bus master, if any. */
static IDEState *bmdma_active_if(BMDMAState *bm)
{
    for (int i = 0; i < 2; i++) {
        if (bm->bus->ifs[i].dma_pending) {
            return &bm->bus->ifs[i];
        }
    }
    return NULL;
}

void bmdma_init(BMDMAState *bm, IDEBus *bus, PCIDevice *pci_dev)
{
    memset(bm, 0, sizeof(*bm));
    bm->bus = bus;
    bm->pci_dev = pci_dev;
    bus->bmdma = bm;
}

void bmdma_reset(BMDMAState *bm)
{
    bm->cmd = 0;
    bm->status = 0;
    bm->addr = 0;
    bm->cur_addr = 0;
    bm->cur_prd_addr = 0;
    bm->cur_prd_len = 0;
    bm->cur_prd_last = false;
}

void bmdma_set_inactive(BMDMAState *bm)
{
    bm->status &= ~BM_STATUS_DMAING;
}

bool bmdma_table_exhausted(BMDMAState *bm)
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

uint32_t bmdma_prepare_buf(BMDMAState *bm, uint32_t max_bytes, QEMUSGList *sg, bool *error)
{
    AddressSpace *as = pci_get_address_space(bm->pci_dev);
    uint32_t total = 0;

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
                *error = true;
                return 0;
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
    if (total % IDE_SECTOR_SIZE) {
        qemu_log_mask(LOG_GUEST_ERROR, "bmdma%d: PRD table ends inside a sector; "
                      "the partial sector is not transferred\n", bm->bus->bus_id);
        bmdma_sglist_trim(sg, total % IDE_SECTOR_SIZE);
        total -= total % IDE_SECTOR_SIZE;
    }
    return total;
}

IDE_BMDMA_FRAME void bmdma_cmd_writeb(BMDMAState *bm, uint32_t val)
{
    IDEState *s;

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
    s = bmdma_active_if(bm);
    if (s && !s->io_in_flight) {
        ide_dma_cb(s, 0);
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
