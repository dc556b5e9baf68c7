/*
 * x /FMT ADDR (linear addresses, through the guest's page tables) and
 * xp /FMT ADDR (physical), in QEMU's layout:
 *   0000000000100000: 0x464c457f 0x00010101 0x00000000 0x00000000
 * 16 bytes a line (8 with byte units), c as quoted characters, i as the
 * instructions at ADDR, disassembled by capstone (AT&T syntax, as QEMU) in
 * the vCPU's current mode, with their bytes.  The format and size are
 * remembered for the next x/xp without them, as QEMU does.  The vCPU is
 * paused for the read, so what is shown is one consistent moment.
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

#include "exec/cpu-debug.h"
#include "exec/memory.h"
#include "monitor-internal.h"
#include "sysemu/cpus.h"

#define HMP_DUMP_MAX (1u << 20) /* bytes one x/xp may show */

static bool mem_read(CPUState *cpu, bool physical, uint64_t addr, uint8_t *buf, size_t len)
{
    if (physical) {
        return address_space_read(cpu->as, addr, MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
    }
    return cpu_memory_rw_debug(cpu, addr, buf, len, false) == 0;
}

static void print_char(Monitor *mon, uint8_t c)
{
    switch (c) {
    case '\'': monitor_puts(mon, " '\\''"); break;
    case '\\': monitor_puts(mon, " '\\\\'"); break;
    case '\n': monitor_puts(mon, " '\\n'"); break;
    case '\r': monitor_puts(mon, " '\\r'"); break;
    default:
        if (c >= 32 && c <= 126) {
            monitor_printf(mon, " '%c'", c);
        } else {
            monitor_printf(mon, " '\\x%02x'", c);
        }
    }
}

static void print_value(Monitor *mon, char format, int wsize, uint64_t v)
{
    int digits = (wsize * 8 * 10 + 32) / 33; /* decimal digits of the widest value */

    switch (format) {
    case 'x':
        monitor_printf(mon, " 0x%0*" PRIx64, wsize * 2, v);
        break;
    case 'o':
        monitor_printf(mon, " %#*" PRIo64, (wsize * 8 + 2) / 3, v);
        break;
    case 'd':
        /* As QEMU: the unit is loaded zero-extended and printed signed,
         * so only a g unit can come out negative (xp/1db of 0xfb: 251). */
        monitor_printf(mon, " %*" PRId64, digits, (int64_t)v);
        break;
    default:
        monitor_printf(mon, " %*" PRIu64, digits, v);
        break;
    }
}

static void dump_data(Monitor *mon, CPUState *cpu, bool physical, uint64_t addr, char format,
                      int size, uint64_t len)
{
    int wsize = format == 'c' ? 1 : size;
    int line_size = (format == 'c' || wsize != 1) ? 16 : 8;

    while (len > 0) {
        uint8_t buf[16];
        int l = MIN(len, (uint64_t)line_size);

        monitor_printf(mon, "%016" PRIx64 ":", addr);
        if (!mem_read(cpu, physical, addr, buf, l)) {
            monitor_puts(mon, " Cannot access memory\n");
            return;
        }
        for (int i = 0; i + wsize <= l; i += wsize) {
            uint64_t v = 0;

            for (int b = wsize - 1; b >= 0; b--) {
                v = (v << 8) | buf[i + b]; /* little-endian */
            }
            if (format == 'c') {
                print_char(mon, buf[i]);
            } else {
                print_value(mon, format, wsize, v);
            }
        }
        monitor_puts(mon, "\n");
        addr += l;
        len -= l;
    }
}

static void dump_insns(Monitor *mon, CPUState *cpu, bool physical, uint64_t addr, int count)
{
    int bits = x86_cpu_code_bits(cpu);
    csh handle;
    cs_insn *insn;

    if (cs_open(CS_ARCH_X86, bits == 64 ? CS_MODE_64 : bits == 32 ? CS_MODE_32 : CS_MODE_16,
                &handle) != CS_ERR_OK) {
        monitor_puts(mon, "disassembler not available\n");
        return;
    }
    cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    for (int i = 0; i < count; i++) {
        uint8_t buf[15];
        size_t n = 0;

        /* As many of the 15 bytes an instruction may have as can be read. */
        while (n < sizeof(buf) && mem_read(cpu, physical, addr + n, buf + n, 1)) {
            n++;
        }
        if (!n) {
            monitor_printf(mon, "0x%08" PRIx64 ": unable to read memory\n", addr);
            break;
        }
        size_t got = cs_disasm(handle, buf, n, addr, 1, &insn);
        GString *bytes = g_string_new(NULL);
        size_t size = got ? insn->size : 1;

        for (size_t b = 0; b < size; b++) {
            g_string_append_printf(bytes, "%02x ", buf[b]);
        }
        monitor_printf(mon, "0x%08" PRIx64 ":  %-24s %-8s %s\n", addr, bytes->str,
                       got ? insn->mnemonic : "(bad)", got ? insn->op_str : "");
        g_string_free(bytes, true);
        if (got) {
            cs_free(insn, got);
        }
        addr += size;
    }
    cs_close(&handle);
}

void hmp_memory_dump(Monitor *mon, const HMPArgs *args, bool physical)
{
    MachineState *ms = monitor_machine;
    const HMPFormat *f = &args->fmt;
    uint64_t len = (uint64_t)f->count * f->size;
    bool paused;

    mon->last_format = f->format;
    mon->last_size = f->size;
    CPUState *cpu = mon_get_cpu(mon);

    if (!ms || !cpu) {
        monitor_puts(mon, "no cpu defined\n");
        return;
    }
    if (f->format != 'i' && len > HMP_DUMP_MAX) {
        monitor_printf(mon, "dump too large (at most %u bytes at a time)\n", HMP_DUMP_MAX);
        return;
    }
    paused = vm_peek_begin(ms);
    if (f->format == 'i') {
        dump_insns(mon, cpu, physical, args->addr, MIN(f->count, 65536));
    } else {
        dump_data(mon, cpu, physical, args->addr, f->format, f->size, len);
    }
    vm_peek_end(ms, paused);
}
