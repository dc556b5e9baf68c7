/*
 * The drive's DMA engine interface (IDEDMAOps) without the PIIX: a second
 * IDE channel at 0x1e8/0x3ee in the harness machine, driven through the
 * memory API like any other, with either a fake engine that records what
 * the drive asks of it or no engine at all.  Also the DMA layer's results
 * on their own: a failed guest access (MemTxResult) apart from a host I/O
 * error (-errno).
 */
#include "ide-harness.h"

#include <errno.h>
#include <string.h>

#include "hw/irq.h"
#include "sysemu/block-backend.h"

#define CH_BASE  0x1e8
#define CH_CTRL  0x3ee
#define CH_DATA    (CH_BASE + 0)
#define CH_ERROR   (CH_BASE + 1)
#define CH_NSECTOR (CH_BASE + 2)
#define CH_SECTOR  (CH_BASE + 3)
#define CH_LCYL    (CH_BASE + 4)
#define CH_HCYL    (CH_BASE + 5)
#define CH_SELECT  (CH_BASE + 6)
#define CH_STATUS  (CH_BASE + 7)
#define CH_CMD     (CH_BASE + 7)

#define IMG_SECTORS 256
#define IMG_SIZE (IMG_SECTORS * 512)
#define BUF 0x10000u

#define IDLE (READY_STAT | SEEK_STAT)

/* An engine that hands out one window of guest memory and counts calls. */
typedef struct FakeDMA {
    IDEDMA dma; /* first */
    bool running;
    IDEState *s;
    IDEDMAFunc *cb;
    hwaddr addr;     /* next byte it gives */
    uint32_t len;    /* bytes left in its window */
    MemTxResult prepare_fails; /* MEMTX_OK: prepare_buf works */
    unsigned starts, prepares, rw_bufs, stalls, dones, errors, irqs, resets;
    MemTxResult last_error;
} FakeDMA;

static IDETest *t;
static IDEBus *bus;
static FakeDMA fake;
static qemu_irq ch_irq;
static int irq_level;
static unsigned irq_raises;
static const char *img;
static uint8_t *expect;

static bool fake_start_dma(IDEDMA *dma, IDEState *s, IDEDMAFunc *cb)
{
    FakeDMA *f = (FakeDMA *)dma;

    f->starts++;
    f->s = s;
    f->cb = cb;
    if (f->running) {
        cb(s);
    }
    return true;
}

static uint32_t fake_take(FakeDMA *f, uint32_t limit)
{
    uint32_t take = MIN(limit, f->len) & ~511u;

    f->addr += take;
    f->len -= take;
    return take;
}

static MemTxResult fake_prepare_buf(IDEDMA *dma, IDEState *s, uint32_t limit,
                                    uint32_t *bytes)
{
    FakeDMA *f = (FakeDMA *)dma;
    hwaddr at = f->addr;

    f->prepares++;
    qemu_sglist_init(&s->sg, 1, &address_space_memory);
    *bytes = 0;
    if (f->prepare_fails != MEMTX_OK) {
        return f->prepare_fails;
    }
    if (f->running) {
        *bytes = fake_take(f, limit);
        if (*bytes) {
            qemu_sglist_add(&s->sg, at, *bytes);
        }
    }
    return MEMTX_OK;
}

static MemTxResult fake_rw_buf(IDEDMA *dma, uint8_t *buf, uint32_t len, bool to_memory,
                               uint32_t *done)
{
    FakeDMA *f = (FakeDMA *)dma;
    hwaddr at = f->addr;

    f->rw_bufs++;
    *done = f->running ? fake_take(f, len) : 0;
    return address_space_rw(&address_space_memory, at, MEMTXATTRS_UNSPECIFIED, buf, *done,
                            to_memory);
}

static void fake_set_inactive(IDEDMA *dma, bool more)
{
    FakeDMA *f = (FakeDMA *)dma;

    f->running = false;
    if (more) {
        f->stalls++;
    } else {
        f->dones++;
        f->cb = NULL;
    }
}

static void fake_set_error(IDEDMA *dma, MemTxResult res)
{
    FakeDMA *f = (FakeDMA *)dma;

    f->running = false;
    f->errors++;
    f->last_error = res;
    f->cb = NULL;
}

static void fake_set_irq(IDEDMA *dma)
{
    ((FakeDMA *)dma)->irqs++;
}

static void fake_reset(IDEDMA *dma)
{
    ((FakeDMA *)dma)->resets++;
}

static const IDEDMAOps fake_ops = {
    .start_dma = fake_start_dma,
    .prepare_buf = fake_prepare_buf,
    .rw_buf = fake_rw_buf,
    .set_inactive = fake_set_inactive,
    .set_error = fake_set_error,
    .set_irq = fake_set_irq,
    .reset = fake_reset,
};

/* The guest points the engine at memory and starts it. */
static void fake_go(hwaddr addr, uint32_t len)
{
    fake.addr = addr;
    fake.len = len;
    fake.running = true;
    if (fake.cb) {
        fake.cb(fake.s);
    }
}

static void ch_irq_handler(void *opaque, int n, int level)
{
    if (level && !irq_level) {
        irq_raises++;
    }
    irq_level = level;
}

static void setup_bus(bool with_engine)
{
    Error *err = NULL;
    BlockBackend *blk;

    t = it_new();
    img = it_image(t, "disk.raw", "raw", IMG_SIZE);
    expect = g_malloc(IMG_SIZE);
    it_pattern(expect, IMG_SIZE, 3);
    it_image_write(img, "raw", 0, expect, IMG_SIZE);
    irq_level = 0;
    irq_raises = 0;
    ch_irq = qemu_allocate_irq(ch_irq_handler, NULL, 0);
    bus = g_new0(IDEBus, 1);
    ide_bus_init(bus, 2, ch_irq);
    memset(&fake, 0, sizeof(fake));
    fake.dma.ops = &fake_ops;
    if (with_engine) {
        ide_bus_set_dma(bus, &fake.dma);
    }
    blk = blk_new_open(img, "raw", NULL, false, &err);
    ck_assert_msg(blk, "open: %s", err ? error_get_pretty(err) : "?");
    ck_assert(ide_drive_attach(bus, 0, blk, &err));
    ide_bus_register_ports(bus, get_system_io(), CH_BASE, CH_CTRL);
}

static void setup(void)
{
    setup_bus(true);
}

static void setup_no_engine(void)
{
    setup_bus(false);
}

static void teardown(void)
{
    ide_bus_destroy(bus);
    g_free(bus);
    bus = NULL;
    qemu_free_irq(ch_irq);
    it_free(t);
    t = NULL;
    g_free(expect);
    expect = NULL;
}

static void ch_lba28(uint32_t lba, uint8_t count)
{
    outb(CH_SELECT, 0xe0 | ((lba >> 24) & 0x0f));
    outb(CH_NSECTOR, count);
    outb(CH_SECTOR, lba);
    outb(CH_LCYL, lba >> 8);
    outb(CH_HCYL, lba >> 16);
}

static uint8_t ch_wait(void)
{
    return ide_wait_not_busy(CH_CTRL);
}

START_TEST(test_fake_read_write)
{
    uint8_t back[4 * 512];

    /* READ DMA: DRQ and a start request, nothing moves before the engine runs. */
    ch_lba28(10, 4);
    outb(CH_CMD, WIN_READDMA);
    ck_assert_uint_eq(inb(CH_CTRL), IDLE | DRQ_STAT);
    ck_assert_uint_eq(fake.starts, 1);
    ck_assert_uint_eq(fake.prepares, 0);
    ck_assert_uint_eq(irq_raises, 0);
    fake_go(BUF, 4 * 512);
    ck_assert_uint_eq(ch_wait(), IDLE);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 10 * 512, 4 * 512);
    ck_assert_uint_eq(fake.dones, 1);
    ck_assert_uint_eq(fake.stalls, 0);
    ck_assert_uint_eq(fake.errors, 0);
    ck_assert_uint_eq(fake.irqs, 1);
    ck_assert_uint_eq(irq_raises, 1);

    /* WRITE DMA EXT with the engine already running: it goes at once. */
    it_pattern(t->ram_ptr + BUF, 2 * 512, 44);
    fake.addr = BUF;
    fake.len = 2 * 512;
    fake.running = true;
    outb(CH_SELECT, 0x40);
    outb(CH_NSECTOR, 0);
    outb(CH_SECTOR, 0);
    outb(CH_LCYL, 0);
    outb(CH_HCYL, 0);
    outb(CH_NSECTOR, 2);
    outb(CH_SECTOR, 100);
    outb(CH_LCYL, 0);
    outb(CH_HCYL, 0);
    outb(CH_CMD, WIN_WRITEDMA_EXT);
    ck_assert_uint_eq(ch_wait(), IDLE);
    ck_assert_uint_eq(fake.starts, 2);
    ck_assert_uint_eq(fake.dones, 2);
    it_image_read(img, "raw", 100 * 512, back, 2 * 512);
    ck_assert_mem_eq(back, t->ram_ptr + BUF, 2 * 512);
}
END_TEST

/* The engine gives less than the command needs: the drive stalls with DRQ
 * (set_inactive(more)) and resumes when the engine is started again. */
START_TEST(test_fake_stall_and_restart)
{
    ch_lba28(20, 3);
    outb(CH_CMD, WIN_READDMA);
    fake_go(BUF, 512);
    ck_assert_uint_eq(ch_wait(), IDLE | DRQ_STAT);
    ck_assert_uint_eq(fake.stalls, 1);
    ck_assert_uint_eq(fake.dones, 0);
    ck_assert_uint_eq(irq_raises, 0);
    fake_go(BUF + 0x4000, 2 * 512);
    ck_assert_uint_eq(ch_wait(), IDLE);
    ck_assert_uint_eq(fake.dones, 1);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 20 * 512, 512);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x4000, expect + 21 * 512, 1024);
    ck_assert_uint_eq(irq_raises, 1);
}
END_TEST

static void check_mem_error(MemTxResult res)
{
    ck_assert_uint_eq(ch_wait(), IDLE | ERR_STAT);
    ck_assert_uint_eq(inb(CH_ERROR), ABRT_ERR);
    ck_assert_uint_eq(fake.errors, 1);
    ck_assert_int_eq(fake.last_error, res);
    ck_assert_uint_eq(fake.dones, 0);
    ck_assert_uint_eq(irq_level, 1);
    inb(CH_STATUS);
    fake.errors = 0;
}

/* The window where nothing decodes: the DMA layer's MemTxResult reaches
 * the engine as set_error, the drive aborts; the disk is not touched. */
START_TEST(test_fake_unassigned)
{
    uint8_t back[2 * 512];

    ch_lba28(0, 1);
    outb(CH_CMD, WIN_READDMA);
    fake_go(IT_UNMAPPED, 512);
    check_mem_error(MEMTX_DECODE_ERROR);

    ch_lba28(0, 1);
    outb(CH_CMD, WIN_WRITEDMA);
    fake_go(IT_UNMAPPED, 512);
    check_mem_error(MEMTX_DECODE_ERROR);
    it_image_read(img, "raw", 0, back, 512);
    ck_assert_mem_eq(back, expect, 512);

    /* RAM, then the hole: the first sector lands, then the error. */
    ch_lba28(5, 2);
    outb(CH_CMD, WIN_READDMA);
    fake_go(IT_RAM_SIZE - 512, 1024);
    check_mem_error(MEMTX_DECODE_ERROR);
    ck_assert_mem_eq(t->ram_ptr + IT_RAM_SIZE - 512, expect + 5 * 512, 512);

    /* And the drive goes on working. */
    ch_lba28(7, 1);
    outb(CH_CMD, WIN_READDMA);
    fake_go(BUF, 512);
    ck_assert_uint_eq(ch_wait(), IDLE);
    ck_assert_mem_eq(t->ram_ptr + BUF, expect + 7 * 512, 512);
}
END_TEST

/* The engine itself cannot reach memory (its table, say). */
START_TEST(test_fake_prepare_error)
{
    uint8_t back[512];

    it_pattern(t->ram_ptr + BUF, 512, 9);
    fake.prepare_fails = MEMTX_ERROR;
    ch_lba28(3, 1);
    outb(CH_CMD, WIN_WRITEDMA);
    fake_go(BUF, 512);
    check_mem_error(MEMTX_ERROR);
    it_image_read(img, "raw", 3 * 512, back, 512);
    ck_assert_mem_eq(back, expect + 3 * 512, 512);
}
END_TEST

/* WRITE BUFFER DMA / READ BUFFER DMA go through rw_buf, not the medium. */
START_TEST(test_fake_buffer)
{
    uint8_t pio[512], back[512];

    it_pattern(t->ram_ptr + BUF, 512, 21);
    outb(CH_CMD, WIN_WRITE_BUFFER_DMA);
    ck_assert_uint_eq(inb(CH_CTRL), IDLE | DRQ_STAT);
    fake_go(BUF, 512);
    ck_assert_uint_eq(ch_wait(), IDLE);
    ck_assert_uint_eq(fake.rw_bufs, 1);
    ck_assert_uint_eq(fake.prepares, 0);
    ck_assert_uint_eq(fake.dones, 1);
    /* The PIO form reads the same buffer. */
    outb(CH_CMD, WIN_READ_BUFFER);
    ck_assert_uint_eq(ch_wait(), IDLE | DRQ_STAT);
    for (int i = 0; i < 256; i++) {
        uint16_t w = inw(CH_DATA);
        pio[2 * i] = w;
        pio[2 * i + 1] = w >> 8;
    }
    ck_assert_mem_eq(pio, t->ram_ptr + BUF, 512);
    /* READ BUFFER DMA, first with no memory given (stall), then some. */
    outb(CH_CMD, WIN_READ_BUFFER_DMA);
    fake_go(BUF + 0x2000, 0);
    ck_assert_uint_eq(inb(CH_CTRL), IDLE | DRQ_STAT);
    ck_assert_uint_eq(fake.stalls, 1);
    fake_go(BUF + 0x2000, 512);
    ck_assert_uint_eq(ch_wait(), IDLE);
    ck_assert_mem_eq(t->ram_ptr + BUF + 0x2000, pio, 512);
    /* The medium was not touched. */
    it_image_read(img, "raw", 0, back, 512);
    ck_assert_mem_eq(back, expect, 512);
    /* Into the hole: set_error, ABRT. */
    fake.dones = 0;
    outb(CH_CMD, WIN_READ_BUFFER_DMA);
    fake_go(IT_UNMAPPED, 512);
    check_mem_error(MEMTX_DECODE_ERROR);
}
END_TEST

/* set_irq: whenever INTRQ reaches the cable (nIEN clear); reset: hard reset. */
START_TEST(test_fake_irq_and_reset)
{
    outb(CH_CMD, WIN_CHECKPOWERMODE1);
    ck_assert_uint_eq(fake.irqs, 1);
    inb(CH_STATUS);
    outb(CH_CTRL, IDE_CTRL_DISABLE_IRQ);
    outb(CH_CMD, WIN_CHECKPOWERMODE1);
    ck_assert_uint_eq(fake.irqs, 1);
    ck_assert_int_eq(irq_level, 0);
    outb(CH_CTRL, 0); /* the pending request now reaches the cable */
    ck_assert_uint_eq(fake.irqs, 2);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(fake.resets, 1); /* ide_drive_attach's reset */
    ide_bus_reset(bus);
    ck_assert_uint_eq(fake.resets, 2);
    /* A DMA command waiting when the reset came is gone: a start does nothing. */
    ch_lba28(0, 1);
    outb(CH_CMD, WIN_READDMA);
    ide_bus_reset(bus);
    memset(t->ram_ptr + BUF, 0, 512);
    fake_go(BUF, 512);
    ck_assert_uint_eq(inb(CH_CTRL), IDLE);
    ck_assert_uint_eq(fake.prepares, 0);
}
END_TEST

/* No engine on the channel: every DMA command aborts, PIO works. */
START_TEST(test_no_engine)
{
    static const uint8_t dma_cmds[] = { WIN_READDMA, WIN_WRITEDMA, WIN_READDMA_EXT,
                                        WIN_WRITEDMA_EXT, WIN_READ_BUFFER_DMA,
                                        WIN_WRITE_BUFFER_DMA };
    uint8_t buf[512];

    ck_assert_ptr_eq(bus->dma, &bus->no_dma);
    for (unsigned i = 0; i < sizeof(dma_cmds); i++) {
        ch_lba28(0, 0); /* the high-order bytes of the EXT commands */
        ch_lba28(1, 1);
        outb(CH_CMD, dma_cmds[i]);
        ck_assert_uint_eq(inb(CH_CTRL), IDLE | ERR_STAT);
        ck_assert_uint_eq(inb(CH_ERROR), ABRT_ERR);
        ck_assert_int_eq(irq_level, 1);
        inb(CH_STATUS);
    }
    ck_assert_uint_eq(irq_raises, sizeof(dma_cmds));
    ch_lba28(1, 1);
    outb(CH_CMD, WIN_READ);
    ck_assert_uint_eq(ch_wait(), IDLE | DRQ_STAT);
    for (int i = 0; i < 256; i++) {
        uint16_t w = inw(CH_DATA);
        buf[2 * i] = w;
        buf[2 * i + 1] = w >> 8;
    }
    ck_assert_mem_eq(buf, expect + 512, 512);
    ck_assert_uint_eq(inb(CH_STATUS), IDLE);
}
END_TEST

/* ---- The DMA layer's results ---------------------------------------- */

typedef struct DMAResultProbe {
    bool done;
    int ret;
    MemTxResult mem;
    unsigned io_calls;
    int io_ret; /* what the fake block request answers */
} DMAResultProbe;

static void probe_cb(void *opaque, int ret, MemTxResult mem)
{
    DMAResultProbe *p = opaque;

    p->done = true;
    p->ret = ret;
    p->mem = mem;
}

/* A block request that completes at once: fills reads with 0x5a. */
static BlockAIOCB *probe_io(int64_t offset, QEMUIOVector *iov, BlockCompletionFunc *cb,
                            void *cb_opaque, void *opaque)
{
    DMAResultProbe *p = opaque;

    p->io_calls++;
    for (int i = 0; i < iov->niov; i++) {
        memset(iov->iov[i].iov_base, 0x5a, iov->iov[i].iov_len);
    }
    cb(cb_opaque, p->io_ret);
    return NULL;
}

static DMAResultProbe run_dma(hwaddr addr, uint32_t len, DMADirection dir, int io_ret)
{
    DMAResultProbe p = { .io_ret = io_ret };
    QEMUSGList sg;

    qemu_sglist_init(&sg, 1, &address_space_memory);
    qemu_sglist_add(&sg, addr, len);
    dma_blk_io(qemu_get_aio_context(), &sg, 0, 512, probe_io, &p, probe_cb, &p, dir);
    ck_assert(p.done);
    qemu_sglist_destroy(&sg);
    return p;
}

START_TEST(test_dma_layer_results)
{
    DMAResultProbe p;
    QEMUSGList sg;
    uint8_t buf[1024];
    dma_addr_t done = 99;

    /* Success. */
    p = run_dma(BUF, 1024, DMA_DIRECTION_FROM_DEVICE, 0);
    ck_assert_int_eq(p.ret, 0);
    ck_assert_int_eq(p.mem, MEMTX_OK);
    ck_assert_uint_eq(t->ram_ptr[BUF + 1023], 0x5a);
    /* A host I/O error: -errno, memory fine. */
    p = run_dma(BUF, 1024, DMA_DIRECTION_TO_DEVICE, -EIO);
    ck_assert_int_eq(p.ret, -EIO);
    ck_assert_int_eq(p.mem, MEMTX_OK);
    /* Memory that does not decode: the memory API's result, ret 0. */
    p = run_dma(IT_UNMAPPED, 512, DMA_DIRECTION_TO_DEVICE, 0);
    ck_assert_int_eq(p.ret, 0);
    ck_assert_int_eq(p.mem, MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(p.io_calls, 0); /* nothing read from memory went to the disk */
    p = run_dma(IT_UNMAPPED, 512, DMA_DIRECTION_FROM_DEVICE, 0);
    ck_assert_int_eq(p.ret, 0);
    ck_assert_int_eq(p.mem, MEMTX_DECODE_ERROR);
    p = run_dma(IT_RAM_SIZE - 512, 1024, DMA_DIRECTION_FROM_DEVICE, 0);
    ck_assert_int_eq(p.mem, MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(t->ram_ptr[IT_RAM_SIZE - 1], 0x5a);

    /* dma_buf_rw: stops at the hole, says how much went. */
    memset(buf, 0x33, sizeof(buf));
    qemu_sglist_init(&sg, 2, &address_space_memory);
    qemu_sglist_add(&sg, IT_RAM_SIZE - 256, 512);
    qemu_sglist_add(&sg, BUF, 512);
    ck_assert_int_eq(dma_buf_rw(&sg, buf, 1024, DMA_DIRECTION_FROM_DEVICE, &done),
                     MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(done, 0);
    qemu_sglist_destroy(&sg);
    qemu_sglist_init(&sg, 2, &address_space_memory);
    qemu_sglist_add(&sg, BUF + 0x1000, 512);
    qemu_sglist_add(&sg, IT_UNMAPPED, 512);
    ck_assert_int_eq(dma_buf_rw(&sg, buf, 1024, DMA_DIRECTION_FROM_DEVICE, &done),
                     MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(done, 512);
    ck_assert_uint_eq(t->ram_ptr[BUF + 0x1000 + 511], 0x33);
    ck_assert_int_eq(dma_buf_rw(&sg, buf, 512, DMA_DIRECTION_TO_DEVICE, &done), MEMTX_OK);
    ck_assert_uint_eq(done, 512);
    qemu_sglist_destroy(&sg);
}
END_TEST

static Suite *dmaops_suite(void)
{
    Suite *s = suite_create("ide-dmaops");
    TCase *tc = tcase_create("fake-engine");
    TCase *none = tcase_create("no-engine");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fake_read_write);
    tcase_add_test(tc, test_fake_stall_and_restart);
    tcase_add_test(tc, test_fake_unassigned);
    tcase_add_test(tc, test_fake_prepare_error);
    tcase_add_test(tc, test_fake_buffer);
    tcase_add_test(tc, test_fake_irq_and_reset);
    tcase_add_test(tc, test_dma_layer_results);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(none, setup_no_engine, teardown);
    tcase_set_timeout(none, 30);
    tcase_add_test(none, test_no_engine);
    suite_add_tcase(s, none);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dmaops_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
