/*
 * Device fuzz target: the whole pc machine, built by qemu_init as duet
 * builds it, with its vCPU held in prelaunch (-S) so that only the fuzz
 * input touches the devices.  The input is a list of small commands: port
 * and MMIO reads and writes, writes into a scratch window of guest RAM (PRD
 * tables and DMA buffers), ISA IRQ lines, and main-loop iterations that let
 * AIO completions, bottom halves and timers run.  Whatever the bytes, duet
 * must answer as the hardware would or log a guest error, never crash,
 * hang or trip a sanitizer.  After each input the block layer is drained
 * and the devices are reset.
 *
 * Built two ways, as the qcow2 target:
 *   - as a libFuzzer target (build-libfuzzer.sh OUTDIR device BUILDDIR);
 *   - with gcc and DEVICE_FUZZ_STANDALONE: a replay driver with a mutator,
 *       device-fuzz [--seconds N] [--seed S] [--make-corpus DIR]
 *                   [--regressions] [FILE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/memory.h"
#include "hw/i386/pc.h"
#include "qemu/main-loop.h"
#include "sysemu/block-backend.h"
#include "sysemu/runstate.h"
#include "sysemu/sysemu.h"


/* Where the input may write guest RAM: low enough for 32-bit PRDs, away
 * from what the loader put in RAM (the kernel at 1 MiB). */
#define SCRATCH_BASE 0x10000
#define SCRATCH_SIZE 0x10000

/* Port ranges with something behind them on the pc machine as the fuzz
 * target builds it (with -device pc-testdev -device pci-testdev). */
static const struct {
    uint16_t base, len;
} fuzz_ports[] = {
    { 0x20, 2 },     /* PIC master */
    { 0xa0, 2 },     /* PIC slave */
    { 0x40, 4 },     /* PIT */
    { 0x61, 1 },     /* speaker / NMI status */
    { 0x60, 5 },     /* i8042 data, status/command at 0x64 */
    { 0x70, 2 },     /* RTC index/data */
    { 0x80, 1 },     /* POST */
    { 0x92, 1 },     /* A20 */
    { 0x1f0, 8 },    /* IDE primary command block */
    { 0x3f6, 1 },    /* IDE primary control */
    { 0x170, 8 },    /* IDE secondary command block */
    { 0x376, 1 },    /* IDE secondary control */
    { 0x3f8, 8 },    /* COM1 */
    { 0x4d0, 2 },    /* ELCR */
    { 0x510, 12 },   /* fw_cfg selector, data, DMA */
    { 0x600, 0x40 }, /* ACPI PM */
    { 0xcf8, 8 },    /* PCI config address/data */
    { 0xcf9, 1 },    /* reset control */
    { 0xc000, 0x40 },/* PCI I/O BARs as firmware assigns them: BMDMA */
    { 0xe0, 12 },    /* pc-testdev: scratch, page flush, byte scratch */
    { 0x2000, 24 },  /* pc-testdev interrupt lines */
    { 0xc100, 0x100 },/* pci-testdev BAR1 */
    { 0xf4, 4 },     /* isa-debug-exit when present */
};

/* MMIO windows: local APIC, IOAPIC, HPET, PCI memory BARs (pci-testdev's
 * BAR0 at 0xfe000000), legacy video and ROM areas, pc-testdev's I/O memory. */
static const struct {
    uint64_t base;
    uint32_t len;
} fuzz_mmio[] = {
    { 0xfee00000, 0x1000 },
    { 0xfec00000, 0x1000 },
    { 0xfed00000, 0x400 },
    { 0xfe000000, 0x10000 },
    { 0xa0000, 0x20000 },
    { 0xe0000, 0x20000 },
    { 0xff000000, 0x1000 },
    { 0xfffff000, 0x1000 },
};

typedef struct FuzzInput {
    const uint8_t *p, *end;
} FuzzInput;

/* Past the end of the input everything reads as zero. */
static uint8_t take8(FuzzInput *in)
{
    return in->p < in->end ? *in->p++ : 0;
}

static uint32_t take(FuzzInput *in, int bytes)
{
    uint32_t v = 0;

    for (int i = 0; i < bytes; i++) {
        v |= (uint32_t)take8(in) << (8 * i);
    }
    return v;
}

static unsigned take_size(FuzzInput *in)
{
    return 1u << (take8(in) % 3);
}

static uint16_t take_port(FuzzInput *in)
{
    uint8_t sel = take8(in);

    if (sel == 0xff) {
        return take(in, 2);     /* anywhere */
    }
    unsigned i = sel % G_N_ELEMENTS(fuzz_ports);
    return fuzz_ports[i].base + take8(in) % fuzz_ports[i].len;
}

static uint64_t take_mmio(FuzzInput *in, unsigned size)
{
    unsigned i = take8(in) % G_N_ELEMENTS(fuzz_mmio);
    uint32_t off = take(in, 2) % fuzz_mmio[i].len;

    return fuzz_mmio[i].base + (off & ~(size - 1));
}

enum {
    FUZZ_OUT, FUZZ_IN, FUZZ_MMIO_WRITE, FUZZ_MMIO_READ, FUZZ_RAM_WRITE,
    FUZZ_IRQ, FUZZ_POLL, FUZZ_DRAIN, FUZZ_NR_OPS
};

static void fuzz_ram_write(FuzzInput *in)
{
    uint32_t addr = SCRATCH_BASE + take(in, 2) % SCRATCH_SIZE;
    unsigned len = take8(in) % 33;
    uint8_t buf[32];

    len = MIN(len, SCRATCH_BASE + SCRATCH_SIZE - addr);
    for (unsigned i = 0; i < len; i++) {
        buf[i] = take8(in);
    }
    address_space_write(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED, buf, len);
}

/* One main-loop pass without blocking: AIO completions and BHs run. */
static void fuzz_poll(int n)
{
    for (int i = 0; i < n; i++) {
        main_loop_wait(true);
    }
}

static void fuzz_run(FuzzInput *in)
{
    PCMachineState *pcms = current_machine->board;

    while (in->p < in->end) {
        uint8_t op = take8(in);
        unsigned size;
        uint32_t val;

        switch (op % FUZZ_NR_OPS) {
        case FUZZ_OUT:
            size = take_size(in);
            {
                uint16_t port = take_port(in);
                val = take(in, size);
                address_space_write(&address_space_io, port, MEMTXATTRS_UNSPECIFIED,
                                    &val, size);
            }
            break;
        case FUZZ_IN:
            size = take_size(in);
            address_space_read(&address_space_io, take_port(in), MEMTXATTRS_UNSPECIFIED,
                               &val, size);
            break;
        case FUZZ_MMIO_WRITE:
            size = 1u << (take8(in) % 4);
            {
                uint64_t addr = take_mmio(in, size);
                uint64_t v = take(in, 4) | (uint64_t)take(in, size == 8 ? 4 : 0) << 32;
                address_space_write(&address_space_memory, addr, MEMTXATTRS_UNSPECIFIED,
                                    &v, size);
            }
            break;
        case FUZZ_MMIO_READ: {
            uint64_t v;
            size = 1u << (take8(in) % 4);
            address_space_read(&address_space_memory, take_mmio(in, size),
                               MEMTXATTRS_UNSPECIFIED, &v, size);
            break;
        }
        case FUZZ_RAM_WRITE:
            fuzz_ram_write(in);
            break;
        case FUZZ_IRQ: {
            uint8_t line = take8(in);
            qemu_set_irq(pcms->gsi[line % PC_ISA_NUM_IRQS], line >> 7);
            break;
        }
        case FUZZ_POLL:
            fuzz_poll(1 + take8(in) % 4);
            break;
        case FUZZ_DRAIN:
            bdrv_drain_all();
            fuzz_poll(1);
            break;
        }
    }
}

/* The machine's command line: a do-nothing Multiboot kernel (it never
 * runs: -S), a raw disk on the primary channel and a CD on the secondary. */
static char *fuzz_dir;

static char *fuzz_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(fuzz_dir, name, NULL);

    if (!g_file_set_contents(path, data, len, NULL)) {
        fprintf(stderr, "device-fuzz: cannot write %s\n", path);
        abort();
    }
    return path;
}

static void fuzz_remove_files(void)
{
    static const char *const names[] = { "kernel.bin", "disk.raw", "cd.iso" };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_build_filename(fuzz_dir, names[i], NULL);
        unlink(path);
    }
    rmdir(fuzz_dir);
}

static void fuzz_init(void)
{
    static bool done;
    /* Multiboot 3.1.1/3.1.3: magic, flags (bit 16: the a.out addresses
     * follow), checksum, header/load/load_end/bss_end/entry addresses,
     * then HLT; JMP $-1. */
    uint32_t kernel[10] = { 0x1badb002, 1u << 16, (uint32_t)-(0x1badb002 + (1u << 16)),
                            0x100000, 0x100000, 0, 0, 0x100020, 0xfeebf4f4, 0 };
    int status;

    if (done) {
        return;
    }
    done = true;
    fuzz_dir = g_dir_make_tmp("duet-device-fuzz-XXXXXX", NULL);
    if (!fuzz_dir) {
        abort();
    }
    atexit(fuzz_remove_files);
    g_autofree char *k = fuzz_file("kernel.bin", kernel, sizeof(kernel));
    g_autofree uint8_t *zeros = g_malloc0(1 << 20);
    memcpy(zeros + 510, "\x55\xaa", 2);
    g_autofree char *disk = fuzz_file("disk.raw", zeros, 1 << 20);
    g_autofree char *cd = fuzz_file("cd.iso", zeros, 1 << 20);
    g_autofree char *drive = g_strdup_printf("file=%s,format=raw,if=ide,index=0", disk);
    g_autofree char *cdrom = g_strdup_printf("file=%s,format=raw,if=ide,index=2,media=cdrom",
                                             cd);
    char *argv[] = { "duet", "-accel", "tcg", "-S", "-m", "32", "-kernel", k,
                     "-drive", drive, "-drive", cdrom, "-display", "none",
                     "-serial", "null", "-monitor", "none", "-device", "pc-testdev",
                     "-device", "pci-testdev", NULL };

    if (!qemu_init(G_N_ELEMENTS(argv) - 1, argv, &status)) {
        fprintf(stderr, "device-fuzz: the machine did not start\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t zeros[SCRATCH_SIZE];
    FuzzInput in = { data, data + size };

    fuzz_init();
    fuzz_run(&in);
    /* Back to power-on state for the next input: requests finish first, as
     * at a system reset. */
    bdrv_drain_all();
    fuzz_poll(1);
    qemu_devices_reset();
    qemu_reset_requested();
    address_space_write(&address_space_memory, SCRATCH_BASE, MEMTXATTRS_UNSPECIFIED,
                        zeros, sizeof(zeros));
    return 0;
}

#ifdef DEVICE_FUZZ_STANDALONE
#include "device-fuzz-seeds.h"
#include "fuzz-standalone.h"

static GPtrArray *make_seeds(void)
{
    GPtrArray *seeds = fuzz_seeds_new();

    for (size_t k = 0; k < G_N_ELEMENTS(device_fuzz_seeds); k++) {
        const DeviceFuzzSeed *s = &device_fuzz_seeds[k];

        fuzz_seed_add(seeds, s->name, g_bytes_new_static(s->data, s->len));
    }
    return seeds;
}

/* Byte-level mutations, plus splicing in a command from another seed: the
 * command stream resynchronises on any byte, so every result is valid. */
static uint8_t *mutate(FuzzRng *rng, GBytes *seed, GBytes *other, size_t *size)
{
    gsize len, other_len;
    const uint8_t *src = g_bytes_get_data(seed, &len);
    const uint8_t *splice = g_bytes_get_data(other, &other_len);
    size_t cap = len + 64;
    uint8_t *d = g_malloc(cap);
    int n = 1 + fuzz_rnd(rng) % 6;

    memcpy(d, src, len);
    for (int i = 0; i < n && len; i++) {
        size_t pos = fuzz_rnd(rng) % len;
        switch (fuzz_rnd(rng) % 5) {
        case 0:
            d[pos] ^= 1 << (fuzz_rnd(rng) % 8);
            break;
        case 1:
            d[pos] = fuzz_rnd(rng);
            break;
        case 2: {
            static const uint8_t interesting[] = { 0, 1, 0x7f, 0x80, 0xff, 0x08, 0x20,
                                                   0xc8, 0xca, 0xa0, 0xec, 0x25, 0x35 };
            d[pos] = interesting[fuzz_rnd(rng) % sizeof(interesting)];
            break;
        }
        case 3:
            len = pos + 1;
            break;
        default: {
            /* Insert up to 32 bytes of the other seed at pos. */
            size_t from = other_len ? fuzz_rnd(rng) % other_len : 0;
            size_t k = MIN(MIN(32, other_len - from), cap - len);
            memmove(d + pos + k, d + pos, len - pos);
            memcpy(d + pos, splice + from, k);
            len += k;
            break;
        }
        }
    }
    *size = len;
    return d;
}

int main(int argc, char **argv)
{
    static const FuzzStandalone target = {
        .name = "device-fuzz",
        .seed = 0x9e3779b97f4a7c15ULL,
        .seconds = 20,
        /* Guest-error logs on garbage go to stderr. */
        .quiet = true,
        .seeds = make_seeds,
        .mutate = mutate,
    };

    return fuzz_standalone_main(&target, argc, argv);
}
#endif
