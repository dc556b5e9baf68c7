/*
 * fw_cfg, the selector/data interface and the DMA interface (QEMU
 * docs/specs/fw_cfg.txt; hw/include/hw/nvram/fw_cfg.h).
 *
 * Items live in one table indexed by key & FW_CFG_ENTRY_MASK, one table
 * per side of FW_CFG_ARCH_LOCAL.  Files occupy keys FW_CFG_FILE_FIRST on,
 * in name order (a new file moves the ones after it up a key, as in QEMU,
 * so the directory and the keys agree); the FW_CFG_FILE_DIR item is
 * rebuilt whenever a file is added.
 *
 * Reading past an item's end, or with no valid item selected, gives 0
 * (selector/data) or zero-fills the DMA buffer.  A DMA descriptor or
 * buffer that is not in guest memory sets the error bit; nothing the
 * guest writes can make the device touch host memory outside an item.
 */
#include "hw/nvram/fw_cfg.h"

#include <inttypes.h>
#include <string.h>

#include "qemu/log.h"
#include "trace/trace.h"

typedef struct FWCfgEntry {
    uint8_t *data;
    uint32_t len;
    bool writable; /* by DMA, in place */
} FWCfgEntry;

typedef struct FWCfgFile {
    char name[FW_CFG_MAX_FILE_PATH];
} FWCfgFile;

struct FWCfgState {
    FWCfgEntry entries[2][FW_CFG_MAX_ENTRY];
    FWCfgFile files[FW_CFG_FILE_SLOTS];
    unsigned nr_files;
    uint16_t cur_entry;   /* the key as selected, or FW_CFG_INVALID */
    uint32_t cur_offset;
    uint64_t dma_addr;
    AddressSpace *dma_as;
    MemoryRegion *io_parent;
    MemoryRegion comb_io;
    MemoryRegion dma_io;
    bool has_dma;
};

static FWCfgEntry *fw_cfg_entry(FWCfgState *s, uint16_t key)
{
    unsigned idx = key & FW_CFG_ENTRY_MASK;

    if (key == FW_CFG_INVALID || idx >= FW_CFG_MAX_ENTRY) {
        return NULL;
    }
    return &s->entries[!!(key & FW_CFG_ARCH_LOCAL)][idx];
}

static void fw_cfg_set_entry(FWCfgState *s, uint16_t key, uint8_t *data, size_t len,
                             bool writable)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    g_assert(e && len <= UINT32_MAX);
    g_free(e->data);
    e->data = data;
    e->len = len;
    e->writable = writable;
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len)
{
    fw_cfg_set_entry(s, key, len ? g_memdup2(data, len) : NULL, len, false);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *value)
{
    fw_cfg_add_bytes(s, key, value, strlen(value) + 1);
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    uint8_t b[2] = { value, value >> 8 };

    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    uint8_t b[4];

    for (int i = 0; i < 4; i++) {
        b[i] = value >> (8 * i);
    }
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++) {
        b[i] = value >> (8 * i);
    }
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

const uint8_t *fw_cfg_get_item(FWCfgState *s, uint16_t key, size_t *len)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    *len = e ? e->len : 0;
    return e ? e->data : NULL;
}

/* FW_CFG_FILE_DIR: be32 count, then per file be32 size, be16 select,
 * u16 reserved, name[56] (fw_cfg.txt "File Directory"). */
static void fw_cfg_update_dir(FWCfgState *s)
{
    size_t len = 4 + (size_t)s->nr_files * FW_CFG_DIR_ENTRY_SIZE;
    uint8_t *dir = g_malloc0(len);

    dir[0] = s->nr_files >> 24;
    dir[1] = s->nr_files >> 16;
    dir[2] = s->nr_files >> 8;
    dir[3] = s->nr_files;
    for (unsigned i = 0; i < s->nr_files; i++) {
        uint8_t *d = dir + 4 + i * FW_CFG_DIR_ENTRY_SIZE;
        uint32_t size = s->entries[0][FW_CFG_FILE_FIRST + i].len;
        uint16_t key = FW_CFG_FILE_FIRST + i;

        d[0] = size >> 24;
        d[1] = size >> 16;
        d[2] = size >> 8;
        d[3] = size;
        d[4] = key >> 8;
        d[5] = key;
        memcpy(d + 8, s->files[i].name, FW_CFG_MAX_FILE_PATH);
    }
    fw_cfg_set_entry(s, FW_CFG_FILE_DIR, dir, len, false);
}

int fw_cfg_find_file(FWCfgState *s, const char *name)
{
    for (unsigned i = 0; i < s->nr_files; i++) {
        if (!strcmp(s->files[i].name, name)) {
            return FW_CFG_FILE_FIRST + i;
        }
    }
    return -1;
}

int fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, size_t len,
                    bool writable, Error **errp)
{
    unsigned pos;

    if (strlen(name) >= FW_CFG_MAX_FILE_PATH) {
        error_setg(errp, "fw_cfg: file name '%s' is longer than %d characters", name,
                   FW_CFG_MAX_FILE_PATH - 1);
        return -1;
    }
    if (fw_cfg_find_file(s, name) >= 0) {
        error_setg(errp, "fw_cfg: duplicate file name '%s'", name);
        return -1;
    }
    if (s->nr_files == FW_CFG_FILE_SLOTS || len > UINT32_MAX) {
        error_setg(errp, "fw_cfg: no room for file '%s'", name);
        return -1;
    }
    for (pos = 0; pos < s->nr_files && strcmp(s->files[pos].name, name) < 0; pos++) {
    }
    /* The files after it move up one key. */
    memmove(&s->files[pos + 1], &s->files[pos], (s->nr_files - pos) * sizeof(FWCfgFile));
    memmove(&s->entries[0][FW_CFG_FILE_FIRST + pos + 1], &s->entries[0][FW_CFG_FILE_FIRST + pos],
            (s->nr_files - pos) * sizeof(FWCfgEntry));
    memset(&s->files[pos], 0, sizeof(FWCfgFile));
    g_strlcpy(s->files[pos].name, name, FW_CFG_MAX_FILE_PATH);
    s->entries[0][FW_CFG_FILE_FIRST + pos] = (FWCfgEntry){
        .data = len ? g_memdup2(data, len) : NULL, .len = len, .writable = writable,
    };
    s->nr_files++;
    fw_cfg_update_dir(s);
    trace_event(fw_cfg_add_file, "name=%s key=0x%x len=%zu", name, FW_CFG_FILE_FIRST + pos,
                len);
    return FW_CFG_FILE_FIRST + pos;
}

int fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, size_t len,
                       Error **errp)
{
    int key = fw_cfg_find_file(s, name);

    if (key < 0) {
        return fw_cfg_add_file(s, name, data, len, false, errp);
    }
    fw_cfg_set_entry(s, key, len ? g_memdup2(data, len) : NULL, len,
                     fw_cfg_entry(s, key)->writable);
    fw_cfg_update_dir(s);
    return key;
}

/* Selecting rewinds the item; an unknown key selects nothing. */
static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    s->cur_offset = 0;
    s->cur_entry = fw_cfg_entry(s, key) ? key : FW_CFG_INVALID;
    trace_event(fw_cfg_select, "key=0x%x%s", key,
                s->cur_entry == FW_CFG_INVALID ? " (invalid)" : "");
}

static uint8_t fw_cfg_read_byte(FWCfgState *s)
{
    FWCfgEntry *e = fw_cfg_entry(s, s->cur_entry);

    if (!e || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

/*
 * The pair at 0x510, as QEMU 7.2 answers it: a 16-bit write at 0x510
 * selects; a byte read at 0x510 or 0x511 reads the next data byte.  Byte
 * writes are the old data write, which QEMU has ignored since 2.4 (writes
 * go by DMA).  Other accesses are not accepted: reads give 0, writes are
 * dropped.  The region spans 0x510-0x513 so that a 32-bit access at 0x510
 * reaches it whole (and is refused whole, as QEMU does) rather than being
 * cut at 0x512; 0x512 and 0x513 read as nothing there (all ones).
 */
static uint64_t fw_cfg_comb_read(void *opaque, hwaddr addr, unsigned size)
{
    FWCfgState *s = opaque;

    if (addr >= 2) {
        return (1ull << (8 * size)) - 1;
    }
    if (addr == 1 && size == 2) { /* QEMU splits it: a data byte, then 0x512 */
        return 0xff00 | fw_cfg_read_byte(s);
    }
    if (size != 1) {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: %u-byte read of the data port\n", size);
        return 0;
    }
    return fw_cfg_read_byte(s);
}

static void fw_cfg_comb_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    FWCfgState *s = opaque;

    if (size == 2 && addr == 0) {
        fw_cfg_select(s, value);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: %u-byte write 0x%" PRIx64 " to port +%u ignored\n",
                      size, value, (unsigned)addr);
    }
}

static const MemoryRegionOps fw_cfg_comb_ops = {
    .read = fw_cfg_comb_read,
    .write = fw_cfg_comb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4, .unaligned = true },
};

static uint32_t ldl_be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static bool dma_zero(FWCfgState *s, uint64_t addr, uint32_t len)
{
    static const uint8_t zeros[4096];

    while (len) {
        uint32_t n = MIN(len, sizeof(zeros));

        if (address_space_write(s->dma_as, addr, MEMTXATTRS_UNSPECIFIED, zeros, n) != MEMTX_OK) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/*
 * One FWCfgDmaAccess at @desc (fw_cfg.txt "DMA interface"): an optional
 * select, then read, write or skip of @length bytes from the current
 * offset.  The control word is written back as 0 when done, or with only
 * the error bit.  Reads past the item's end are zero-filled; a write past
 * its end, to an item that is not writable, or any access outside guest
 * memory is an error.
 */
static void fw_cfg_dma_transfer(FWCfgState *s, uint64_t desc)
{
    uint8_t d[FW_CFG_DMA_ACCESS_SIZE];
    uint8_t ctl_out[4] = { 0 };
    uint32_t control, length;
    uint64_t address;
    bool error = false;

    if (address_space_read(s->dma_as, desc, MEMTXATTRS_UNSPECIFIED, d, sizeof(d)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA descriptor 0x%" PRIx64 " not in memory\n",
                      desc);
        ctl_out[3] = FW_CFG_DMA_CTL_ERROR;
        address_space_write(s->dma_as, desc, MEMTXATTRS_UNSPECIFIED, ctl_out, 4);
        return;
    }
    control = ldl_be(d);
    length = ldl_be(d + 4);
    address = (uint64_t)ldl_be(d + 8) << 32 | ldl_be(d + 12);
    trace_event(fw_cfg_dma, "desc=0x%" PRIx64 " control=0x%x length=%u address=0x%" PRIx64,
                desc, control, length, address);
    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, control >> 16);
    }
    /* One operation: read wins over write, write over skip. */
    if (control & FW_CFG_DMA_CTL_READ) {
        control = FW_CFG_DMA_CTL_READ;
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        control = FW_CFG_DMA_CTL_WRITE;
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        control = FW_CFG_DMA_CTL_SKIP;
    } else {
        length = 0;
    }
    while (length && !error) {
        FWCfgEntry *e = fw_cfg_entry(s, s->cur_entry);
        uint32_t avail = e && s->cur_offset < e->len ? e->len - s->cur_offset : 0;
        uint32_t n = MIN(length, avail);

        if (!n) {
            /* Past the end: reads see zeros, writes fail, skips do nothing. */
            if (control == FW_CFG_DMA_CTL_READ) {
                error = !dma_zero(s, address, length);
            } else if (control == FW_CFG_DMA_CTL_WRITE) {
                error = true;
            }
            break;
        }
        if (control == FW_CFG_DMA_CTL_READ) {
            error = address_space_write(s->dma_as, address, MEMTXATTRS_UNSPECIFIED,
                                        e->data + s->cur_offset, n) != MEMTX_OK;
        } else if (control == FW_CFG_DMA_CTL_WRITE) {
            /* All or nothing: the whole length must fit the item. */
            error = !e->writable || n != length ||
                    address_space_read(s->dma_as, address, MEMTXATTRS_UNSPECIFIED,
                                       e->data + s->cur_offset, n) != MEMTX_OK;
        }
        /* QEMU 7.2 moves on by the chunk even when it failed */
        s->cur_offset += n;
        address += n;
        length -= n;
    }
    if (error) {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: DMA %s of key 0x%x failed\n",
                      control == FW_CFG_DMA_CTL_WRITE ? "write" : "read", s->cur_entry);
        ctl_out[3] = FW_CFG_DMA_CTL_ERROR;
    }
    address_space_write(s->dma_as, desc, MEMTXATTRS_UNSPECIFIED, ctl_out, 4);
}

/* Reads give the "QEMU CFG" signature, byte by byte in address order. */
static uint64_t fw_cfg_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    return (FW_CFG_DMA_SIGNATURE >> (8 * (8 - size - addr))) &
           (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
}

/* Big-endian register: a 32-bit write at +0 is the high half, at +4 the
 * low half, which starts the transfer; so does a 64-bit write at +0. */
static void fw_cfg_dma_write(void *opaque, hwaddr addr, uint64_t value, unsigned size)
{
    FWCfgState *s = opaque;

    if (size == 4 && addr == 0) {
        s->dma_addr = value << 32;
        return;
    }
    if (size == 4 && addr == 4) {
        s->dma_addr |= value;
    } else if (size == 8 && addr == 0) {
        s->dma_addr = value;
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "fw_cfg: %u-byte DMA register write at +%u ignored\n",
                      size, (unsigned)addr);
        return;
    }
    fw_cfg_dma_transfer(s, s->dma_addr);
    s->dma_addr = 0;
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

void fw_cfg_reset(FWCfgState *s)
{
    fw_cfg_select(s, FW_CFG_INVALID);
    s->dma_addr = 0;
}

FWCfgState *fw_cfg_init_io_dma(MemoryRegion *io, uint32_t iobase, uint32_t dma_iobase,
                               AddressSpace *dma_as)
{
    FWCfgState *s = g_new0(FWCfgState, 1);
    uint32_t id = FW_CFG_VERSION;

    s->io_parent = io;
    s->dma_as = dma_as;
    s->has_dma = dma_iobase && dma_as;
    memory_region_init_io(&s->comb_io, &fw_cfg_comb_ops, s, "fwcfg", 4);
    memory_region_add_subregion(io, iobase, &s->comb_io);
    if (s->has_dma) {
        memory_region_init_io(&s->dma_io, &fw_cfg_dma_ops, s, "fwcfg.dma", 8);
        memory_region_add_subregion(io, dma_iobase, &s->dma_io);
        id |= FW_CFG_VERSION_DMA;
    }
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(s, FW_CFG_ID, id);
    fw_cfg_update_dir(s);
    fw_cfg_reset(s);
    return s;
}

void fw_cfg_destroy(FWCfgState *s)
{
    memory_region_del_subregion(s->io_parent, &s->comb_io);
    memory_region_finalize(&s->comb_io);
    if (s->has_dma) {
        memory_region_del_subregion(s->io_parent, &s->dma_io);
        memory_region_finalize(&s->dma_io);
    }
    for (int side = 0; side < 2; side++) {
        for (int i = 0; i < FW_CFG_MAX_ENTRY; i++) {
            g_free(s->entries[side][i].data);
        }
    }
    g_free(s);
}
