/*
 * fw_cfg as a guest sees it (QEMU docs/specs/fw_cfg.txt), printed so that
 * run-guest.py can diff duet against qemu-system-x86_64: the selector/data
 * items both machines have, files looked up by name in the directory, the
 * DMA interface (a good read, a skip, a buffer outside RAM, a write to a
 * read-only item) and the DMA register's signature.  Items that legitimately
 * differ (the file list, the ACPI tables, QEMU's option-ROM keys) are not
 * printed.
 */
#include "runtime/guest.h"

#define FW_SEL  0x510
#define FW_DATA 0x511
#define FW_DMA  0x514

static void fw_read(uint16_t key, void *buf, uint32_t len)
{
    uint8_t *p = buf;

    outw(FW_SEL, key);
    for (uint32_t i = 0; i < len; i++) {
        p[i] = inb(FW_DATA);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The directory entry of @name: its key and size (key 0: none). */
static uint16_t fw_find(const char *name, uint32_t *size)
{
    uint8_t count[4], e[64];

    fw_read(0x19, count, 4);
    for (uint32_t i = 0; i < be32(count); i++) {
        int j;

        for (j = 0; j < 64; j++) {
            e[j] = inb(FW_DATA);
        }
        for (j = 0; name[j] && name[j] == (char)e[8 + j]; j++) {
        }
        if (!name[j] && !e[8 + j]) {
            *size = be32(e);
            return e[4] << 8 | e[5];
        }
    }
    return 0;
}

static struct {
    uint32_t control, length;
    uint32_t addr_hi, addr_lo;
} __attribute__((aligned(16))) dma_desc;
static uint8_t dma_buf[64];

static uint32_t fw_dma(uint32_t control, uint32_t length, uint32_t addr)
{
    dma_desc.control = bswap32(control);
    dma_desc.length = bswap32(length);
    dma_desc.addr_hi = 0;
    dma_desc.addr_lo = bswap32(addr);
    outl(FW_DMA, 0);
    __asm__ volatile("" ::: "memory"); /* the device reads the descriptor... */
    outl(FW_DMA + 4, bswap32((uint32_t)&dma_desc));
    __asm__ volatile("" ::: "memory"); /* ...and writes it and the buffer */
    return bswap32(dma_desc.control);
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    uint8_t b[16];
    uint32_t size;
    uint16_t key;

    fw_read(0x00, b, 5);
    printf_serial("fwcfg: signature %c%c%c%c then 0x%x\n", b[0], b[1], b[2], b[3], b[4]);
    fw_read(0x01, b, 4);
    printf_serial("fwcfg: id 0x%x\n", le32(b));
    fw_read(0x03, b, 8);
    printf_serial("fwcfg: ram size 0x%x%08x\n", le32(b + 4), le32(b));
    fw_read(0x05, b, 2);
    printf_serial("fwcfg: nb cpus %u\n", b[0] | b[1] << 8);
    fw_read(0x0f, b, 2);
    printf_serial("fwcfg: max cpus %u\n", b[0] | b[1] << 8);
    fw_read(0x0e, b, 2);
    printf_serial("fwcfg: boot menu %u\n", b[0] | b[1] << 8);
    fw_read(0x04, b, 2);
    printf_serial("fwcfg: nographic %u\n", b[0] | b[1] << 8);
    fw_read(0x8002, b, 4);
    printf_serial("fwcfg: irq0 override %u\n", le32(b));
    fw_read(0x8004, b, 16);
    printf_serial("fwcfg: hpet count %u id 0x%x address 0x%x\n", b[0], le32(b + 1),
                  le32(b + 5));
    fw_read(0x8000, b, 2);
    printf_serial("fwcfg: acpi tables count %u\n", b[0] | b[1] << 8);
    outw(FW_SEL, 0x0000);
    printf_serial("fwcfg: inw of the selector 0x%x, then data 0x%x\n", inw(FW_SEL),
                  inb(FW_DATA));
    printf_serial("fwcfg: dma register reads 0x%x 0x%x\n", inl(FW_DMA), inl(FW_DMA + 4));
    static const char *const files[] = { "bootorder", "etc/boot-fail-wait", "bios-geometry",
                                         "etc/acpi/rsdp", "etc/table-loader", "etc/no-such" };
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        key = fw_find(files[i], &size);
        printf_serial("fwcfg: file %s %s", files[i], key ? "present" : "absent");
        if (key && (i == 1 || i == 2)) { /* QEMU's bootorder names its option ROM */
            printf_serial(" size %u", size);
        }
        printf_serial("\n");
    }
    key = fw_find("etc/boot-fail-wait", &size);
    fw_read(key, b, 4);
    printf_serial("fwcfg: boot-fail-wait 0x%x\n", le32(b));
    /* DMA: each result taken in its own statement, after the transfer */
    for (int i = 0; i < 64; i++) {
        dma_buf[i] = 0xaa;
    }
    size = fw_dma(0x0000000a, 4, (uint32_t)dma_buf);
    printf_serial("fwcfg: dma select+read control 0x%x data %c%c%c%c\n", size, dma_buf[0],
                  dma_buf[1], dma_buf[2], dma_buf[3]);
    size = fw_dma(0x00010002 | 0x8, 8, (uint32_t)dma_buf);
    printf_serial("fwcfg: dma read past the end control 0x%x bytes 0x%x 0x%x 0x%x\n", size,
                  dma_buf[0], dma_buf[3], dma_buf[4]);
    size = fw_dma(0x00000008 | 0x4, 2, 0);
    printf_serial("fwcfg: dma skip control 0x%x\n", size);
    size = fw_dma(0x2, 1, (uint32_t)dma_buf);
    printf_serial("fwcfg: dma read after skip control 0x%x byte %c\n", size, dma_buf[0]);
    size = fw_dma(0x0000000a, 2, 0x40000000);
    printf_serial("fwcfg: dma to no memory control 0x%x\n", size);
    printf_serial("fwcfg: data after it 0x%x\n", inb(FW_DATA));
    size = fw_dma(0x00000018, 2, (uint32_t)dma_buf);
    printf_serial("fwcfg: dma write to the signature control 0x%x\n", size);
    printf_serial("fwcfg: data after it 0x%x\n", inb(FW_DATA));
    size = fw_dma(0x00010008, 0, 0);
    printf_serial("fwcfg: dma no operation control 0x%x\n", size);
    printf_serial("fwcfg: data after it 0x%x\n", inb(FW_DATA));
    puts_serial("fwcfg: PASS\n");
    return GUEST_PASS;
}
