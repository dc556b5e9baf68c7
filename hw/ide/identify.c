/*
 * IDENTIFY DEVICE data (ATA8-ACS 7.16, table 22; word numbers below).
 */
#include "hw/ide/ide.h"

/* ATA strings: space padded, the two bytes of each word swapped. */
static void ide_put_string(uint16_t *words, const char *src, int len)
{
    for (int i = 0; i < len; i++) {
        char c = *src ? *src++ : ' ';

        if (i & 1) {
            words[i / 2] |= (uint8_t)c;
        } else {
            words[i / 2] = (uint16_t)(uint8_t)c << 8;
        }
    }
}

void ide_identify(IDEState *s, uint16_t *words)
{
    uint64_t lba28 = MIN(s->nb_sectors, 0x0fffffffULL);
    uint64_t chs_capacity = (uint64_t)s->cylinders * s->cur_heads * s->cur_sectors;
    bool wce = s->blk ? blk_enable_write_cache(s->blk) : false;
    uint8_t mode = s->xfer_mode;
    uint8_t sum = 0;

    memset(words, 0, 512);
    words[0] = 0x0040;             /* fixed ATA device */
    words[1] = s->cylinders;
    words[3] = s->heads;
    words[6] = s->sectors;
    ide_put_string(words + 10, s->drive_serial, 20);
    ide_put_string(words + 23, s->version, 8);
    ide_put_string(words + 27, s->model, 40);
    words[47] = 0x8000 | IDE_MAX_MULT_SECTORS;
    words[49] = (1 << 11) | (1 << 9) | (1 << 8); /* IORDY, LBA, DMA */
    words[50] = 0x4000;
    words[51] = 0x0200;            /* obsolete PIO timing: mode 2 */
    words[53] = 0x0007;            /* words 54-58, 64-70 and 88 are valid */
    words[54] = s->cylinders;
    words[55] = s->cur_heads;
    words[56] = s->cur_sectors;
    chs_capacity = MIN(chs_capacity, s->nb_sectors);
    words[57] = chs_capacity;
    words[58] = chs_capacity >> 16;
    words[59] = s->mult_sectors ? 0x0100 | s->mult_sectors : 0;
    words[60] = lba28;
    words[61] = lba28 >> 16;
    words[63] = 0x0007;            /* multiword DMA 0-2 */
    if ((mode >> 3) == 4) {
        words[63] |= 1 << (8 + (mode & 7));
    }
    words[64] = 0x0003;            /* PIO 3 and 4 */
    words[65] = 120;               /* ns: minimum multiword DMA cycle */
    words[66] = 120;
    words[67] = 120;
    words[68] = 120;
    words[80] = 0x00f0;            /* ATA/ATAPI-4 to -7 */
    /* READ BUFFER, WRITE BUFFER, look-ahead, write cache, PM; the DMA
     * forms of the buffer commands (ACS-2) have no bit in these words. */
    words[82] = (1 << 13) | (1 << 12) | (1 << 6) | (1 << 5) | (1 << 3);
    /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit addressing */
    words[83] = 0x4000 | (1 << 13) | (1 << 12) | (1 << 10);
    words[84] = 0x4000;
    words[85] = (1 << 13) | (1 << 12) | (1 << 6) | (wce ? 1 << 5 : 0) | (1 << 3);
    words[86] = (1 << 13) | (1 << 12) | (1 << 10);
    words[87] = 0x4000;
    words[88] = 0x003f;            /* Ultra DMA 0-5 */
    if ((mode >> 3) == 8) {
        words[88] |= 1 << (8 + (mode & 7));
    }
    words[93] = 0x6001;            /* reset results; 80-conductor cable */
    words[100] = s->nb_sectors;
    words[101] = s->nb_sectors >> 16;
    words[102] = s->nb_sectors >> 32;
    words[103] = s->nb_sectors >> 48;

    /* Word 255: signature A5h and a checksum making all 512 bytes sum to 0. */
    words[255] = 0x00a5;
    for (int i = 0; i < 255; i++) {
        sum += (words[i] & 0xff) + (words[i] >> 8);
    }
    sum += 0xa5;
    words[255] |= (uint16_t)(uint8_t)-sum << 8;
}

/*
 * IDENTIFY PACKET DEVICE (ATA/ATAPI-6 8.16, table 17): an ATAPI CD/DVD-ROM
 * with 12-byte packets, accelerated DRQ for the packet, removable medium,
 * PIO modes 3-4, multiword DMA 0-2 and Ultra DMA 0-5; the words as
 * qemu-system-x86_64 7.2's drive has them (no mode-selected bits in 63).
 */
void ide_atapi_identify(IDEState *s, uint16_t *words)
{
    uint8_t mode = s->xfer_mode;

    memset(words, 0, 512);
    /* ATAPI (10b), device type 05h (CD/DVD), removable, DRQ within 50 us (10b) */
    words[0] = (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5);
    ide_put_string(words + 10, s->drive_serial, 20);
    /* Retired since ATA-2, as QEMU 7.2 still fills them: dual-ported
     * buffer, 512 sectors of it, 4 ECC bytes. */
    words[20] = 3;
    words[21] = 512;
    words[22] = 4;
    ide_put_string(words + 23, s->version, 8);
    ide_put_string(words + 27, s->model, 40);
    words[48] = 1;                 /* (retired) 32-bit I/O */
    words[49] = (1 << 9) | (1 << 8); /* LBA, DMA */
    words[53] = 0x0007;            /* words 54-58, 64-70 and 88 are valid */
    words[62] = 0x0007;            /* (ATAPI-4) single word DMA 0-2 */
    words[63] = 0x0007;            /* multiword DMA 0-2 */
    words[64] = 0x0003;            /* PIO 3 and 4 */
    words[65] = 0x00b4;            /* ns: minimum multiword DMA cycle */
    words[66] = 0x00b4;
    words[67] = 0x012c;            /* minimum PIO cycle without flow control */
    words[68] = 0x00b4;            /* ... with IORDY */
    words[71] = 30;                /* ns: PACKET to bus release */
    words[72] = 30;                /* ns: SERVICE to BSY clear */
    words[80] = 0x001e;            /* ATA/ATAPI-1 to -4 */
    words[88] = 0x003f;            /* Ultra DMA 0-5 */
    if ((mode >> 3) == 8) {
        words[88] |= 1 << (8 + (mode & 7));
    }
}
