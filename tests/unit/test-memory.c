/*
 * The memory API without a CPU: build region trees, check the rendered
 * FlatViews, the listener callback sequences, and how guest accesses
 * reach device callbacks (split, widened, refused, byte-swapped).
 */
#include <check.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "exec/ioport.h"
#include "exec/memory.h"
#include "qemu/log.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED

/* Device callbacks and listeners append here; tests compare and clear it. */
static GString *call_log;

static char *log_take(void)
{
    char *s = g_strdup(call_log->str);
    g_string_truncate(call_log, 0);
    return s;
}

#define ck_assert_log(expected)                 \
    do {                                        \
        g_autofree char *got_ = log_take();     \
        ck_assert_str_eq(got_, expected);       \
    } while (0)

typedef struct TestDev {
    const char *name;
    uint8_t regs[64];
} TestDev;

static uint64_t testdev_read(void *opaque, hwaddr addr, unsigned size)
{
    TestDev *d = opaque;
    uint64_t val = 0;
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)d->regs[(addr + i) % 64] << (8 * i);
    }
    g_string_append_printf(call_log, "%s:r%u@%" PRIx64 "=%" PRIx64 " ", d->name, size, addr,
                           val);
    return val;
}

static void testdev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    TestDev *d = opaque;
    g_string_append_printf(call_log, "%s:w%u@%" PRIx64 "=%" PRIx64 " ", d->name, size, addr,
                           val);
}

static const MemoryRegionOps plain_ops = {
    .read = testdev_read,
    .write = testdev_write,
};

static const MemoryRegionOps byte_impl_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps dword_impl_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static const MemoryRegionOps word_valid_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = { .min_access_size = 2, .max_access_size = 2 },
};

static const MemoryRegionOps byte_valid_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps be_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .endianness = DEVICE_BIG_ENDIAN,
};

static const MemoryRegionOps be_byte_impl_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps be_dword_impl_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static MemoryRegion root;
static AddressSpace as;

static void setup(void)
{
    call_log = g_string_new("");
    memory_region_init(&root, "root", 0x100000);
    address_space_init(&as, &root, "test");
}

static void teardown(void)
{
    address_space_destroy(&as);
    memory_region_finalize(&root);
    g_string_free(call_log, true);
    qemu_loglevel = 0;
}

/* "name@addr+size" per range, "/off" when not at offset 0, "(ro)" if readonly. */
static char *flatview_string(AddressSpace *space)
{
    FlatView *fv = address_space_get_flatview(space);
    GString *s = g_string_new("");
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        g_string_append_printf(s, "%s%s@%" PRIx64 "+%" PRIx64, i ? " " : "", fr->mr->name,
                               fr->addr, fr->size);
        if (fr->offset_in_region) {
            g_string_append_printf(s, "/%" PRIx64, fr->offset_in_region);
        }
        if (fr->readonly) {
            g_string_append(s, "(ro)");
        }
    }
    flatview_unref(fv);
    return g_string_free(s, false);
}

#define ck_assert_flat(expected)                        \
    do {                                                \
        g_autofree char *fv_ = flatview_string(&as);    \
        ck_assert_str_eq(fv_, expected);                \
    } while (0)

static void init_test_io(MemoryRegion *mr, TestDev *dev, const MemoryRegionOps *ops,
                         const char *name, uint64_t size)
{
    memset(dev, 0, sizeof(*dev));
    dev->name = name;
    for (unsigned i = 0; i < sizeof(dev->regs); i++) {
        dev->regs[i] = 0x10 + i;
    }
    memory_region_init_io(mr, ops, dev, name, size);
}

static void init_test_ram(MemoryRegion *mr, const char *name, uint64_t size)
{
    Error *err = NULL;
    ck_assert(memory_region_init_ram(mr, name, size, &err));
}

/* ---- Rendering ---------------------------------------------------------- */

START_TEST(test_priority_overlap)
{
    MemoryRegion ram, io_b, io_c, bg;
    TestDev b, c, d;

    init_test_ram(&ram, "ram", 0x1000);
    init_test_io(&io_b, &b, &plain_ops, "b", 0x1000);
    init_test_io(&io_c, &c, &plain_ops, "c", 0x100);
    init_test_io(&bg, &d, &plain_ops, "bg", 0x4000);

    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion_overlap(&root, 0x800, &io_b, 1);
    ck_assert_flat("ram@0+800 b@800+1000");
    /* Equal priority: the later one wins. */
    memory_region_add_subregion_overlap(&root, 0x800, &io_c, 1);
    ck_assert_flat("ram@0+800 c@800+100 b@900+f00/100");
    /* Lower priority fills only the gaps. */
    memory_region_add_subregion_overlap(&root, 0, &bg, -1);
    ck_assert_flat("ram@0+800 c@800+100 b@900+f00/100 bg@1800+2800/1800");
    /* Lowering b below ram (re-add at prio -2) exposes ram under it. */
    memory_region_del_subregion(&root, &io_b);
    memory_region_add_subregion_overlap(&root, 0x800, &io_b, -2);
    ck_assert_flat("ram@0+800 c@800+100 ram@900+700/900 bg@1000+3000/1000");

    memory_region_del_subregion(&root, &io_b);
    memory_region_del_subregion(&root, &io_c);
    memory_region_del_subregion(&root, &bg);
    memory_region_del_subregion(&root, &ram);
    ck_assert_flat("");
    memory_region_finalize(&ram);
    memory_region_finalize(&io_b);
    memory_region_finalize(&io_c);
    memory_region_finalize(&bg);
}
END_TEST

START_TEST(test_alias_and_containers)
{
    MemoryRegion ram, a1, a2, box, inner, ro_alias;
    TestDev dev;
    uint8_t buf[4];

    init_test_ram(&ram, "ram", 0x10000);
    memory_region_init_alias(&a1, "a1", &ram, 0x1000, 0x2000);
    memory_region_init_alias(&a2, "a2", &a1, 0x800, 0x800);
    memory_region_init(&box, "box", 0x200);
    init_test_io(&inner, &dev, &plain_ops, "inner", 0x400);
    memory_region_init_alias(&ro_alias, "ro", &ram, 0, 0x100);

    memory_region_transaction_begin();
    /* The target's own address in some other container is irrelevant. */
    memory_region_add_subregion(&root, 0x20000, &a1);
    memory_region_add_subregion(&root, 0x30000, &a2);
    memory_region_add_subregion(&root, 0x40000, &box);
    memory_region_add_subregion(&box, 0x100, &inner); /* clipped to the box */
    memory_region_add_subregion(&root, 0x50000, &ro_alias);
    memory_region_set_readonly(&ro_alias, true);
    memory_region_transaction_commit();
    ck_assert_flat("ram@20000+2000/1000 ram@30000+800/1800 inner@40100+100 "
                   "ram@50000+100(ro)");

    /* Alias of alias lands in the original RAM. */
    ck_assert_int_eq(address_space_write(&as, 0x30004, ATTRS, "\x01\x02\x03\x04", 4),
                     MEMTX_OK);
    ck_assert_mem_eq((uint8_t *)memory_region_get_ram_ptr(&ram) + 0x1804, "\x01\x02\x03\x04", 4);
    ck_assert_ptr_eq(memory_region_get_ram_ptr(&a2),
                     (uint8_t *)memory_region_get_ram_ptr(&ram) + 0x1800);
    ck_assert_int_eq(address_space_read(&as, 0x20804, ATTRS, buf, 4), MEMTX_OK);
    ck_assert_mem_eq(buf, "\x01\x02\x03\x04", 4);
    /* The readonly alias drops writes. */
    address_space_stl(&as, 0x50000, 0xdeadbeef, ATTRS, NULL);
    ck_assert_uint_eq(address_space_ldl(&as, 0x50000, ATTRS, NULL), 0);

    memory_region_set_alias_offset(&a1, 0x2000);
    ck_assert_flat("ram@20000+2000/2000 ram@30000+800/2800 inner@40100+100 "
                   "ram@50000+100(ro)");

    memory_region_transaction_begin();
    memory_region_del_subregion(&root, &a1);
    memory_region_del_subregion(&root, &a2);
    memory_region_del_subregion(&root, &box);
    memory_region_del_subregion(&root, &ro_alias);
    memory_region_transaction_commit();
    memory_region_finalize(&box); /* detaches inner */
    ck_assert_ptr_null(inner.container);
    memory_region_finalize(&inner);
    memory_region_finalize(&a2);
    memory_region_finalize(&a1);
    memory_region_finalize(&ro_alias);
    memory_region_finalize(&ram);
}
END_TEST

START_TEST(test_enable_move_resize)
{
    MemoryRegion ram, io;
    TestDev dev;

    init_test_ram(&ram, "ram", 0x2000);
    init_test_io(&io, &dev, &plain_ops, "io", 0x100);
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion_overlap(&root, 0x1000, &io, 1);
    ck_assert_flat("ram@0+1000 io@1000+100 ram@1100+f00/1100");

    memory_region_set_enabled(&io, false);
    ck_assert_flat("ram@0+2000");
    memory_region_set_enabled(&io, true);
    ck_assert_flat("ram@0+1000 io@1000+100 ram@1100+f00/1100");

    memory_region_set_address(&io, 0x3000);
    ck_assert_flat("ram@0+2000 io@3000+100");
    memory_region_set_size(&io, 0x10);
    ck_assert_flat("ram@0+2000 io@3000+10");
    memory_region_set_address(&ram, 0x2ff8);
    ck_assert_flat("ram@2ff8+8 io@3000+10 ram@3010+1fe8/18");

    /* A reader that holds the old view keeps it intact. */
    FlatView *old = address_space_get_flatview(&as);
    memory_region_del_subregion(&root, &io);
    ck_assert_flat("ram@2ff8+2000");
    ck_assert_uint_eq(old->nr, 3);
    ck_assert_ptr_eq(old->ranges[1].mr, &io);
    flatview_unref(old);

    memory_region_del_subregion(&root, &ram);
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
}
END_TEST

START_TEST(test_whole_space_root)
{
    MemoryRegion big, sys, io;
    AddressSpace space;
    TestDev dev;

    /* A region spanning all of 2^64, as QEMU's "system" and "pci" do. */
    memory_region_init(&sys, "sys", UINT64_MAX);
    init_test_io(&big, &dev, &plain_ops, "big", UINT64_MAX);
    init_test_io(&io, &dev, &plain_ops, "top", 0x1000);
    memory_region_add_subregion_overlap(&sys, 0, &big, -1);
    memory_region_add_subregion(&sys, 0xfffffffffffff000ull, &io);
    address_space_init(&space, &sys, "whole");
    FlatView *fv = address_space_get_flatview(&space);
    ck_assert_uint_eq(fv->nr, 2);
    ck_assert_uint_eq(fv->ranges[0].size, 0xfffffffffffff000ull);
    ck_assert_ptr_eq(fv->ranges[1].mr, &io);
    ck_assert_uint_eq(fv->ranges[1].size, 0xfff); /* the last byte is never mapped */
    flatview_unref(fv);
    address_space_destroy(&space);
    memory_region_finalize(&sys);
    memory_region_finalize(&big);
    memory_region_finalize(&io);
}
END_TEST

/* ---- Dispatch ----------------------------------------------------------- */

START_TEST(test_access_split_and_widen)
{
    MemoryRegion bytes, dwords;
    TestDev db, dd;
    uint64_t val;

    init_test_io(&bytes, &db, &byte_impl_ops, "b", 0x10);
    init_test_io(&dwords, &dd, &dword_impl_ops, "d", 0x10);
    memory_region_add_subregion(&root, 0x100, &bytes);
    memory_region_add_subregion(&root, 0x200, &dwords);

    /* Split: a 4-byte access to a 1-byte implementation, lowest byte first. */
    address_space_stl(&as, 0x104, 0x44332211, ATTRS, NULL);
    ck_assert_log("b:w1@4=11 b:w1@5=22 b:w1@6=33 b:w1@7=44 ");
    ck_assert_uint_eq(address_space_lduw(&as, 0x102, ATTRS, NULL), 0x1312);
    ck_assert_log("b:r1@2=12 b:r1@3=13 ");

    /* 8 bytes to a 4-byte implementation: two calls. */
    ck_assert_int_eq(memory_region_dispatch_write(&dwords, 8, 0x1122334455667788ull, 8,
                                                  ATTRS), MEMTX_OK);
    ck_assert_log("d:w4@8=55667788 d:w4@c=11223344 ");
    ck_assert_int_eq(memory_region_dispatch_read(&dwords, 0, &val, 8, ATTRS), MEMTX_OK);
    ck_assert_uint_eq(val, 0x1716151413121110ull);
    ck_assert_log("d:r4@0=13121110 d:r4@4=17161514 ");

    /* Widen: a narrow access becomes one aligned 4-byte call. */
    ck_assert_uint_eq(address_space_ldub(&as, 0x206, ATTRS, NULL), 0x16);
    ck_assert_log("d:r4@4=17161514 ");
    ck_assert_uint_eq(address_space_lduw(&as, 0x201, ATTRS, NULL), 0x1211);
    ck_assert_log("d:r4@0=13121110 ");
    address_space_stb(&as, 0x205, 0xab, ATTRS, NULL);
    ck_assert_log("d:w4@4=ab00 ");
    /* Straddling two units: a byte at a time, each widened. */
    ck_assert_int_eq(memory_region_dispatch_read(&dwords, 3, &val, 2, ATTRS), MEMTX_OK);
    ck_assert_uint_eq(val, 0x1413);
    ck_assert_log("d:r4@0=13121110 d:r4@4=17161514 ");

    memory_region_del_subregion(&root, &bytes);
    memory_region_del_subregion(&root, &dwords);
    memory_region_finalize(&bytes);
    memory_region_finalize(&dwords);
}
END_TEST

START_TEST(test_valid_refusal_and_unassigned)
{
    MemoryRegion words, bytes;
    TestDev dw, db;
    uint64_t val;
    uint8_t buf[6];
    MemTxResult r;

    qemu_loglevel = LOG_GUEST_ERROR; /* exercise the log lines too */
    init_test_io(&words, &dw, &word_valid_ops, "w", 0x10);
    init_test_io(&bytes, &db, &byte_valid_ops, "b8", 0x10);
    memory_region_add_subregion(&root, 0x100, &words);
    memory_region_add_subregion(&root, 0x200, &bytes);

    /* .valid refuses: reads float high, writes go nowhere, no callback. */
    ck_assert_int_eq(memory_region_dispatch_read(&words, 0, &val, 4, ATTRS),
                     MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(val, 0xffffffff);
    ck_assert_uint_eq(address_space_ldub(&as, 0x100, ATTRS, &r), 0xff);
    ck_assert_int_eq(r, MEMTX_DECODE_ERROR);
    ck_assert_int_eq(memory_region_dispatch_write(&words, 1, 0, 2, ATTRS),
                     MEMTX_DECODE_ERROR); /* unaligned */
    address_space_stb(&as, 0x101, 1, ATTRS, &r);
    ck_assert_int_eq(r, MEMTX_DECODE_ERROR);
    ck_assert_log("");
    ck_assert_uint_eq(address_space_lduw(&as, 0x102, ATTRS, &r), 0x1312);
    ck_assert_int_eq(r, MEMTX_OK);
    ck_assert_log("w:r2@2=1312 ");

    /* Wider than .valid.max: address_space_* split into allowed accesses. */
    address_space_stw(&as, 0x204, 0xbbaa, ATTRS, &r);
    ck_assert_int_eq(r, MEMTX_OK);
    ck_assert_log("b8:w1@4=aa b8:w1@5=bb ");
    ck_assert_int_eq(address_space_write(&as, 0x100, ATTRS, "\x01\x02\x03\x04\x05\x06", 6),
                     MEMTX_OK);
    ck_assert_log("w:w2@0=201 w:w2@2=403 w:w2@4=605 ");

    /* Unassigned: 0xff bytes, DECODE_ERROR, mapped bytes still served. */
    r = address_space_read(&as, 0x1fe, ATTRS, buf, 4);
    ck_assert_int_eq(r, MEMTX_DECODE_ERROR);
    ck_assert_mem_eq(buf, "\xff\xff\x10\x11", 4);
    ck_assert_log("b8:r1@0=10 b8:r1@1=11 ");
    ck_assert_int_eq(address_space_write(&as, 0x5000, ATTRS, buf, 4), MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(address_space_ldl(&as, 0x5000, ATTRS, &r), 0xffffffff);
    ck_assert_int_eq(r, MEMTX_DECODE_ERROR);
    ck_assert_uint_eq(address_space_ldq(&as, 0x5000, ATTRS, NULL), UINT64_MAX);
    ck_assert_log("");

    /* An I/O region without ops (a hole that claims addresses) acts unassigned. */
    MemoryRegion hole;
    memory_region_init_io(&hole, NULL, NULL, "hole", 0x10);
    memory_region_add_subregion(&root, 0x300, &hole);
    ck_assert_uint_eq(address_space_lduw(&as, 0x302, ATTRS, &r), 0xffff);
    ck_assert_int_eq(r, MEMTX_DECODE_ERROR);
    address_space_stl(&as, 0x304, 0, ATTRS, &r);
    ck_assert_int_eq(r, MEMTX_DECODE_ERROR);
    memory_region_del_subregion(&root, &hole);
    memory_region_finalize(&hole);

    memory_region_del_subregion(&root, &words);
    memory_region_del_subregion(&root, &bytes);
    memory_region_finalize(&words);
    memory_region_finalize(&bytes);
}
END_TEST

START_TEST(test_big_endian)
{
    MemoryRegion be, be1;
    TestDev d, d1;

    init_test_io(&be, &d, &be_ops, "be", 0x10);
    init_test_io(&be1, &d1, &be_byte_impl_ops, "be1", 0x10);
    memory_region_add_subregion(&root, 0x100, &be);
    memory_region_add_subregion(&root, 0x200, &be1);

    address_space_stl(&as, 0x100, 0x11223344, ATTRS, NULL);
    ck_assert_log("be:w4@0=44332211 ");
    ck_assert_uint_eq(address_space_ldl(&as, 0x104, ATTRS, NULL), 0x14151617);
    ck_assert_log("be:r4@4=17161514 ");
    ck_assert_uint_eq(address_space_lduw(&as, 0x100, ATTRS, NULL), 0x1011);
    ck_assert_log("be:r2@0=1110 ");

    /* Split in a big-endian region: each byte still lands at its address. */
    address_space_stw(&as, 0x200, 0x2211, ATTRS, NULL);
    ck_assert_log("be1:w1@0=11 be1:w1@1=22 ");
    ck_assert_uint_eq(address_space_ldl(&as, 0x200, ATTRS, NULL), 0x13121110);
    ck_assert_log("be1:r1@0=10 be1:r1@1=11 be1:r1@2=12 be1:r1@3=13 ");

    /* Widening in a big-endian region: byte 0 is the most significant. */
    MemoryRegion be4;
    TestDev d4;
    init_test_io(&be4, &d4, &be_dword_impl_ops, "be4", 0x10);
    memory_region_add_subregion(&root, 0x300, &be4);
    ck_assert_uint_eq(address_space_ldub(&as, 0x301, ATTRS, NULL), 0x12);
    ck_assert_uint_eq(address_space_lduw(&as, 0x302, ATTRS, NULL), 0x1011);
    ck_assert_log("be4:r4@0=13121110 be4:r4@0=13121110 ");
    address_space_stb(&as, 0x301, 0xab, ATTRS, NULL);
    ck_assert_log("be4:w4@0=ab0000 ");

    memory_region_del_subregion(&root, &be);
    memory_region_del_subregion(&root, &be1);
    memory_region_del_subregion(&root, &be4);
    memory_region_finalize(&be);
    memory_region_finalize(&be1);
    memory_region_finalize(&be4);
}
END_TEST

/* ---- Listeners ---------------------------------------------------------- */

static void l_begin(MemoryListener *l)
{
    g_string_append_printf(call_log, "%s:begin ", l->name);
}

static void l_commit(MemoryListener *l)
{
    g_string_append_printf(call_log, "%s:commit ", l->name);
}

static void l_add(MemoryListener *l, MemoryRegionSection *s)
{
    g_string_append_printf(call_log, "%s:add %s@%" PRIx64 "+%" PRIx64 " ", l->name,
                           s->mr->name, s->offset_within_address_space, s->size);
}

static void l_del(MemoryListener *l, MemoryRegionSection *s)
{
    g_string_append_printf(call_log, "%s:del %s@%" PRIx64 "+%" PRIx64 " ", l->name,
                           s->mr->name, s->offset_within_address_space, s->size);
}

static void l_cadd(MemoryListener *l, MemoryRegionSection *s, hwaddr addr, hwaddr len)
{
    g_string_append_printf(call_log, "%s:cadd %" PRIx64 "+%" PRIx64 " ", l->name, addr, len);
}

static void l_cdel(MemoryListener *l, MemoryRegionSection *s, hwaddr addr, hwaddr len)
{
    g_string_append_printf(call_log, "%s:cdel %" PRIx64 "+%" PRIx64 " ", l->name, addr, len);
}

START_TEST(test_listeners)
{
    MemoryListener l1 = {
        .begin = l_begin, .commit = l_commit, .region_add = l_add, .region_del = l_del,
        .coalesced_io_add = l_cadd, .coalesced_io_del = l_cdel, .name = "L1",
    };
    MemoryListener l2 = { .region_add = l_add, .region_del = l_del, .name = "L2" };
    MemoryRegion ram, io;
    TestDev dev;

    init_test_ram(&ram, "ram", 0x1000);
    init_test_io(&io, &dev, &plain_ops, "io", 0x100);
    memory_region_add_coalescing(&io, 0x10, 0x8);

    memory_listener_register(&l1, &as);
    ck_assert_ptr_eq(l1.address_space, &as);
    ck_assert_log("L1:begin L1:commit ");

    memory_region_add_subregion(&root, 0, &ram);
    ck_assert_log("L1:begin L1:add ram@0+1000 L1:commit ");

    /* I/O over RAM: the RAM section changes (del first), then adds in order. */
    memory_region_add_subregion_overlap(&root, 0x800, &io, 1);
    ck_assert_log("L1:begin L1:del ram@0+1000 L1:add ram@0+800 L1:add io@800+100 "
                  "L1:cadd 810+8 L1:add ram@900+700 L1:commit ");

    /* Nested transactions: one render, one begin/commit pair. */
    memory_region_transaction_begin();
    memory_region_set_enabled(&io, false);
    memory_region_transaction_begin();
    memory_region_set_address(&ram, 0x2000);
    memory_region_transaction_commit();
    ck_assert_log("");
    memory_region_transaction_commit();
    ck_assert_log("L1:begin L1:del ram@0+800 L1:cdel 810+8 L1:del io@800+100 "
                  "L1:del ram@900+700 L1:add ram@2000+1000 L1:commit ");

    /* A change that renders the same view is no change. */
    memory_region_transaction_begin();
    memory_region_set_address(&ram, 0x3000);
    memory_region_set_address(&ram, 0x2000);
    memory_region_transaction_commit();
    ck_assert_log("");

    /* A late listener catches up; coalescing added later reaches mapped I/O. */
    memory_region_set_enabled(&io, true);
    ck_assert_log("L1:begin L1:add io@800+100 L1:cadd 810+8 L1:commit ");
    memory_listener_register(&l2, &as);
    ck_assert_log("L2:add io@800+100 L2:add ram@2000+1000 ");
    memory_region_add_coalescing(&io, 0xf8, 0x10);
    ck_assert_log("L1:cadd 8f8+8 ");

    /* Deletions run in reverse listener order, additions forward. */
    memory_region_set_address(&io, 0x900);
    ck_assert_log("L1:begin L2:del io@800+100 L1:cdel 810+8 L1:cdel 8f8+8 L1:del io@800+100 "
                  "L1:add io@900+100 L1:cadd 910+8 L1:cadd 9f8+8 L2:add io@900+100 "
                  "L1:commit ");

    memory_listener_unregister(&l2);
    ck_assert_log("L2:del ram@2000+1000 L2:del io@900+100 ");
    ck_assert_ptr_null(l2.address_space);
    memory_region_del_subregion(&root, &io);
    memory_listener_unregister(&l1);
    ck_assert_log("L1:begin L1:cdel 910+8 L1:cdel 9f8+8 L1:del io@900+100 L1:commit "
                  "L1:begin L1:del ram@2000+1000 L1:commit ");

    memory_region_del_subregion(&root, &ram);
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
}
END_TEST

/* ---- RAM writes, translation, mapping ----------------------------------- */

static void *hook_host;
static size_t hook_len;
static int hook_calls;

static void ram_hook(void *opaque, void *host, size_t len)
{
    ck_assert_ptr_eq(opaque, &hook_calls);
    hook_host = host;
    hook_len = len;
    hook_calls++;
}

START_TEST(test_ram_write_hook)
{
    MemoryRegion ram, rom, io;
    TestDev dev;
    uint8_t *host;

    init_test_ram(&ram, "ram", 0x1000);
    init_test_ram(&rom, "rom", 0x1000);
    memory_region_set_readonly(&rom, true);
    init_test_io(&io, &dev, &plain_ops, "io", 0x10);
    memory_region_add_subregion(&root, 0x1000, &ram);
    memory_region_add_subregion(&root, 0x2000, &rom);
    memory_region_add_subregion(&root, 0x3000, &io);
    host = memory_region_get_ram_ptr(&ram);

    memory_set_ram_write_hook(ram_hook, &hook_calls);
    address_space_write(&as, 0x1010, ATTRS, "abc", 3);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_ptr_eq(hook_host, host + 0x10);
    ck_assert_uint_eq(hook_len, 3);
    ck_assert_mem_eq(host + 0x10, "abc", 3);

    address_space_stw(&as, 0x1020, 0xbeef, ATTRS, NULL);
    ck_assert_int_eq(hook_calls, 2);
    ck_assert_ptr_eq(hook_host, host + 0x20);
    ck_assert_uint_eq(hook_len, 2);
    ck_assert_uint_eq(address_space_lduw(&as, 0x1020, ATTRS, NULL), 0xbeef);

    uint8_t val = 7;
    address_space_rw(&as, 0x1fff, ATTRS, &val, 1, true);
    ck_assert_int_eq(hook_calls, 3);

    /* Not RAM, or a dropped ROM write: no notification. */
    address_space_stb(&as, 0x3000, 1, ATTRS, NULL);
    address_space_write(&as, 0x2000, ATTRS, "x", 1);
    ck_assert_int_eq(hook_calls, 3);
    ck_assert_uint_eq(*(uint8_t *)memory_region_get_ram_ptr(&rom), 0);
    ck_assert_log("io:w1@0=1 ");

    /* A write crossing RAM into I/O: one notification for the RAM part. */
    memory_region_set_address(&io, 0x2000); /* right after ram, over the ROM */
    address_space_write(&as, 0x1ffe, ATTRS, "\x01\x02\x03\x04", 4);
    ck_assert_int_eq(hook_calls, 4);
    ck_assert_uint_eq(hook_len, 2);
    ck_assert_log("io:w2@0=403 ");

    memory_set_ram_write_hook(NULL, NULL);
    address_space_write(&as, 0x1010, ATTRS, "abc", 3);
    ck_assert_int_eq(hook_calls, 4);

    memory_region_transaction_begin();
    memory_region_del_subregion(&root, &ram);
    memory_region_del_subregion(&root, &rom);
    memory_region_del_subregion(&root, &io);
    memory_region_transaction_commit();
    memory_region_finalize(&ram);
    memory_region_finalize(&rom);
    memory_region_finalize(&io);
}
END_TEST

START_TEST(test_translate_and_map)
{
    MemoryRegion ram, io;
    TestDev dev;
    hwaddr xlat = 0, len;
    uint8_t *host;

    init_test_ram(&ram, "ram", 0x1000);
    init_test_io(&io, &dev, &byte_impl_ops, "io", 0x10);
    memory_region_add_subregion(&root, 0x1000, &ram);
    memory_region_add_subregion(&root, 0x3000, &io);
    host = memory_region_get_ram_ptr(&ram);

    len = 0x2000;
    ck_assert_ptr_eq(address_space_translate(&as, 0x1800, &xlat, &len, false, ATTRS), &ram);
    ck_assert_uint_eq(xlat, 0x800);
    ck_assert_uint_eq(len, 0x800);
    len = 0x5000;
    ck_assert_ptr_null(address_space_translate(&as, 0x2000, &xlat, &len, false, ATTRS));
    ck_assert_uint_eq(len, 0x1000);

    /* RAM maps directly, clamped to the RAM section. */
    len = 0x2000;
    ck_assert_ptr_eq(address_space_map(&as, 0x1f00, &len, true, ATTRS), host + 0xf00);
    ck_assert_uint_eq(len, 0x100);
    hook_calls = 0;
    memory_set_ram_write_hook(ram_hook, &hook_calls);
    address_space_unmap(&as, host + 0xf00, len, true, 0x80);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_len, 0x80);
    memory_set_ram_write_hook(NULL, NULL);

    /* I/O goes through the bounce buffer: read in on map... */
    len = 0x100;
    uint8_t *bounce = address_space_map(&as, 0x3004, &len, false, ATTRS);
    ck_assert_ptr_nonnull(bounce);
    ck_assert_uint_eq(len, 0xc);
    ck_assert_uint_eq(bounce[0], 0x14);
    ck_assert_uint_eq(bounce[11], 0x1f);
    g_string_truncate(call_log, 0);
    /* ...only one at a time... */
    len = 4;
    ck_assert_ptr_null(address_space_map(&as, 0x3000, &len, true, ATTRS));
    ck_assert_uint_eq(len, 0);
    address_space_unmap(&as, bounce, 0xc, false, 0xc);
    ck_assert_log("");
    /* ...and written back on unmap for a write. */
    len = 4;
    bounce = address_space_map(&as, 0x3000, &len, true, ATTRS);
    ck_assert_ptr_nonnull(bounce);
    ck_assert_log("");
    memcpy(bounce, "\xa1\xa2\xa3\xa4", 4);
    address_space_unmap(&as, bounce, 4, true, 2);
    ck_assert_log("io:w1@0=a1 io:w1@1=a2 ");

    /* Unmapped: nothing to map. */
    len = 4;
    ck_assert_ptr_null(address_space_map(&as, 0x9000, &len, false, ATTRS));

    memory_region_del_subregion(&root, &ram);
    memory_region_del_subregion(&root, &io);
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
}
END_TEST

/* ---- Port lists --------------------------------------------------------- */

static uint32_t pio_read8(void *opaque, uint32_t port)
{
    g_string_append_printf(call_log, "r8@%x ", port);
    return port & 0xff;
}

static void pio_write8(void *opaque, uint32_t port, uint32_t data)
{
    g_string_append_printf(call_log, "w8@%x=%x ", port, data);
}

static uint32_t pio_read16(void *opaque, uint32_t port)
{
    g_string_append_printf(call_log, "r16@%x ", port);
    return 0xbeef;
}

static void pio_write16(void *opaque, uint32_t port, uint32_t data)
{
    g_string_append_printf(call_log, "w16@%x=%x ", port, data);
}

static uint32_t pio_read32(void *opaque, uint32_t port)
{
    g_string_append_printf(call_log, "r32@%x ", port);
    return 0xcafef00d;
}

/* Shaped like IDE's: a data port at three widths beside 8-bit registers. */
static const MemoryRegionPortio test_portio_list[] = {
    { 0, 8, 1, .read = pio_read8, .write = pio_write8 },
    { 0, 1, 2, .read = pio_read16, .write = pio_write16 },
    { 0, 1, 4, .read = pio_read32 },
    { 0x10, 2, 2, .read = pio_read16, .write = pio_write16 },
    { 0x206, 1, 1, .read = pio_read8, .write = pio_write8 },
    PORTIO_END_OF_LIST(),
};

START_TEST(test_portio)
{
    PortioList pl;
    AddressSpace ioas;
    MemoryRegion io;
    uint8_t buf[4];

    memory_region_init(&io, "io", 0x10000);
    address_space_init(&ioas, &io, "I/O");
    portio_list_init(&pl, test_portio_list, NULL, "tp");
    portio_list_add(&pl, &io, 0x1f0);
    ck_assert_uint_eq(pl.regions->len, 3);
    FlatView *fv = address_space_get_flatview(&ioas);
    ck_assert_uint_eq(fv->nr, 3);
    ck_assert_uint_eq(fv->ranges[0].addr, 0x1f0);
    ck_assert_uint_eq(fv->ranges[0].size, 8);
    ck_assert_uint_eq(fv->ranges[1].addr, 0x200);
    ck_assert_uint_eq(fv->ranges[1].size, 2);
    ck_assert_uint_eq(fv->ranges[2].addr, 0x3f6);
    flatview_unref(fv);

    /* Exact widths: one call each. */
    ck_assert_uint_eq(address_space_lduw(&ioas, 0x1f0, ATTRS, NULL), 0xbeef);
    ck_assert_uint_eq(address_space_ldl(&ioas, 0x1f0, ATTRS, NULL), 0xcafef00d);
    ck_assert_uint_eq(address_space_ldub(&ioas, 0x1f7, ATTRS, NULL), 0xf7);
    address_space_stw(&ioas, 0x1f0, 0x1234, ATTRS, NULL);
    ck_assert_log("r16@1f0 r32@1f0 r8@1f7 w16@1f0=1234 ");

    /* No 2-byte entry at 0x1f2: two byte accesses; no 4-byte write at all. */
    ck_assert_uint_eq(address_space_lduw(&ioas, 0x1f2, ATTRS, NULL), 0xf3f2);
    address_space_stl(&ioas, 0x1f0, 0xa1b2c3d4, ATTRS, NULL);
    ck_assert_log("r8@1f2 r8@1f3 w8@1f0=d4 w8@1f1=c3 w8@1f2=b2 w8@1f3=a1 ");

    /* The KVM path: address_space_rw with the exit's buffer. */
    memcpy(buf, "\x34\x12", 2);
    ck_assert_int_eq(address_space_rw(&ioas, 0x1f0, ATTRS, buf, 2, true), MEMTX_OK);
    ck_assert_int_eq(address_space_rw(&ioas, 0x1f6, ATTRS, buf, 1, false), MEMTX_OK);
    ck_assert_uint_eq(buf[0], 0xf6);
    ck_assert_log("w16@1f0=1234 r8@1f6 ");

    /* Only 2-byte entries: a byte read floats high, a byte write is dropped. */
    ck_assert_uint_eq(address_space_ldub(&ioas, 0x200, ATTRS, NULL), 0xff);
    address_space_stb(&ioas, 0x201, 5, ATTRS, NULL);
    ck_assert_uint_eq(address_space_lduw(&ioas, 0x200, ATTRS, NULL), 0xbeef);
    ck_assert_log("r16@200 ");

    /* Moving the list re-creates its regions at the new base. */
    portio_list_add(&pl, &io, 0x170);
    ck_assert_uint_eq(address_space_ldub(&ioas, 0x177, ATTRS, NULL), 0x77);
    ck_assert_uint_eq(address_space_ldub(&ioas, 0x1f7, ATTRS, NULL), 0xff);
    ck_assert_log("r8@177 ");

    portio_list_del(&pl);
    fv = address_space_get_flatview(&ioas);
    ck_assert_uint_eq(fv->nr, 0);
    flatview_unref(fv);
    portio_list_destroy(&pl);
    address_space_destroy(&ioas);
    memory_region_finalize(&io);
}
END_TEST

/* ---- System address spaces and info mtree ------------------------------- */

START_TEST(test_memory_map_and_mtree)
{
    MemoryRegion ram, low, io;
    TestDev dev;
    char *text = NULL;
    size_t text_len = 0;

    memory_map_init();
    ck_assert_ptr_eq(address_space_memory.root, get_system_memory());
    ck_assert_ptr_eq(address_space_io.root, get_system_io());
    ck_assert_uint_eq(memory_region_size(get_system_io()), 65536);
    ck_assert_uint_eq(memory_region_size(get_system_memory()), UINT64_MAX);

    init_test_ram(&ram, "pc.ram", 0x200000);
    memory_region_init_alias(&low, "ram-below-4g", &ram, 0, 0xa0000);
    init_test_io(&io, &dev, &plain_ops, "serial", 8);
    memory_region_add_subregion(get_system_memory(), 0, &low);
    memory_region_add_subregion(get_system_io(), 0x3f8, &io);
    memory_region_set_enabled(&io, false);

    FILE *out = open_memstream(&text, &text_len);
    mtree_info(out, false);
    mtree_info(out, true);
    fclose(out);
    ck_assert_msg(strstr(text,
        "address-space: memory\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
        "    0000000000000000-000000000009ffff (prio 0, ram): alias ram-below-4g @pc.ram "
        "0000000000000000-000000000009ffff\n"), "%s", text);
    ck_assert_msg(strstr(text,
        "address-space: I/O\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
        "    00000000000003f8-00000000000003ff (prio 0, i/o): serial [disabled]\n"), "%s", text);
    ck_assert_msg(strstr(text, "memory-region: pc.ram\n"
                         "  0000000000000000-00000000001fffff (prio 0, ram): pc.ram\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "FlatView #1\n AS \"memory\", root: system\n"
                         " Root memory region: system\n"
                         "  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "FlatView #2\n AS \"I/O\", root: io\n"
                         " Root memory region: io\n  No rendered FlatView\n"), "%s", text);
    free(text);

    memory_region_del_subregion(get_system_memory(), &low);
    memory_region_del_subregion(get_system_io(), &io);
    memory_region_finalize(&low);
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
    address_space_destroy(&address_space_memory);
    address_space_destroy(&address_space_io);
    memory_region_finalize(get_system_memory());
    memory_region_finalize(get_system_io());
}
END_TEST

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_priority_overlap);
    tcase_add_test(tc, test_alias_and_containers);
    tcase_add_test(tc, test_enable_move_resize);
    tcase_add_test(tc, test_whole_space_root);
    tcase_add_test(tc, test_access_split_and_widen);
    tcase_add_test(tc, test_valid_refusal_and_unassigned);
    tcase_add_test(tc, test_big_endian);
    tcase_add_test(tc, test_listeners);
    tcase_add_test(tc, test_ram_write_hook);
    tcase_add_test(tc, test_translate_and_map);
    tcase_add_test(tc, test_portio);
    tcase_add_test(tc, test_memory_map_and_mtree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(memory_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
