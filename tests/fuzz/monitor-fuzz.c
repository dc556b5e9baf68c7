/*
 * Fuzzes the monitor's input side: the QMP byte stream (framer, json-glib,
 * request checks, dispatch) and HMP command lines (name lookup, /FMT,
 * expressions, arguments), with no machine behind them.  The first input
 * byte picks the target; the rest is fed as it would arrive from a client,
 * in chunks.  Any crash, sanitizer report or runaway output is a bug.
 *
 *   - with clang -fsanitize=fuzzer (tests/fuzz/build-libfuzzer.sh monitor):
 *     LLVMFuzzerTestOneInput is the libFuzzer entry point;
 *   - with gcc and MONITOR_FUZZ_STANDALONE: a replay driver with a small
 *     mutator over built-in seeds (requests good and bad), bounded in time:
 *       monitor-fuzz [--seconds N] [--seed S] [--make-corpus DIR] [FILE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-internal.h"
#include "trace/trace.h"

static Monitor *qmp_mon, *hmp_mon;

static void fuzz_init(void)
{
    if (qmp_mon) {
        return;
    }
    /* trace-event * on must not flood the terminal. */
    trace_opt_parse("file=/dev/null", NULL);
    qmp_mon = monitor_alloc_detached(true);
    hmp_mon = monitor_alloc_detached(false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size < 1) {
        return 0;
    }
    if (data[0] & 1) {
        /* QMP: negotiated or not, in chunks of up to 64 bytes. */
        qmp_mon->caps_done = data[0] & 2;
        json_framer_reset(&qmp_mon->framer);
        for (size_t off = 1; off < size;) {
            size_t n = MIN(size - off, 1 + (size_t)(data[off] % 64));
            qmp_handle_input(qmp_mon, data + off, n);
            off += n;
        }
        g_string_truncate(qmp_mon->out, 0);
    } else {
        /* HMP: one line per '\n'; a line with a NUL ends at it. */
        g_autofree char *text = g_strndup((const char *)data + 1, size - 1);
        g_auto(GStrv) lines = g_strsplit(text, "\n", 64);

        for (int i = 0; lines[i]; i++) {
            if (strlen(lines[i]) < HMP_LINE_MAX) {
                hmp_handle_command(hmp_mon, lines[i]);
            }
            g_string_truncate(hmp_mon->out, 0);
        }
    }
    return 0;
}

#ifdef MONITOR_FUZZ_STANDALONE
#include "fuzz-standalone.h"

static const char *const qmp_seeds[] = {
    "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\",\"id\":1}\n",
    "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"}}",
    "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"x/4i $pc+2*(3-1)\"}}",
    "{\"execute\":\"query-block\",\"id\":[1,{\"a\":null}]}{\"execute\":\"query-version\"}",
    "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\",1]}}",
    "{\"execute\":\"stop\",\"arguments\":{\"x\":[[[[[]]]]]}}\n[1,2,\"\\u00e9\\ud83d\\ude00\"]\n",
    "{\"a\":tru}\n}\n\"str\"\n{\"execute\":1}\n{\"id\":5}\n{\"execute\":\"x\",\"foo\":1}\n",
    "{\"execute\":\"query-blockstats\",\"arguments\":{\"query-nodes\":\"yes\"}}",
    "{\"execute\":\"query-commands\"}{\"execute\":\"query-cpus-fast\"}{\"execute\":\"query-name\"}",
};

static const char *const hmp_seeds[] = {
    "info status\ninfo version\nhelp\nhelp info\nhelp info block\n",
    "x/10i $pc\nxp/4xg 0x100000\nx/3c $esp + 4\nxp/2dh (1 << 2)\n",
    "x/16xb ($eax & 0xfff) | ~0 ^ 7 % 3\nx/1u -1\nx/0x 0\nxp /5o 0x10\n",
    "info trace-events ide*\ntrace-event foo_* on\ntrace-event x maybe\n",
    "info block\ninfo blockstats\ncommit all\ncommit ide0-hd0\ninfo block -n -v ide0-hd0\n",
    "info registers\ninfo registers -a\ninfo lapic 1\ninfo mtree -f\ninfo foo\nstop extra\n",
    "\"quoted \\\" word\" x\ninfo\nq junk\nx/99999999999999999999i 0\nx $nosuch\n",
};

/* A seed is its first byte (bit 0: QMP) and the text. */
static void add_seeds(GPtrArray *seeds, const char *const *texts, size_t n, bool qmp)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(texts[i]);
        uint8_t *d = g_malloc(len + 1);
        g_autofree char *name = g_strdup_printf("%s-%02zu", qmp ? "qmp" : "hmp", i);

        d[0] = qmp;
        memcpy(d + 1, texts[i], len);
        fuzz_seed_add(seeds, name, g_bytes_new_take(d, len + 1));
    }
}

static GPtrArray *make_seeds(void)
{
    GPtrArray *seeds = fuzz_seeds_new();

    add_seeds(seeds, qmp_seeds, G_N_ELEMENTS(qmp_seeds), true);
    add_seeds(seeds, hmp_seeds, G_N_ELEMENTS(hmp_seeds), false);
    return seeds;
}

static uint8_t *mutate(FuzzRng *rng, GBytes *seed, GBytes *other, size_t *size)
{
    gsize len;
    const uint8_t *src = g_bytes_get_data(seed, &len);
    const size_t cap = len + 64;
    uint8_t *d = g_malloc(cap);
    int n = fuzz_rnd(rng) % 6;

    (void)other;
    memcpy(d, src, len);
    /* Keep the target; negotiated or not is random. */
    d[0] = (fuzz_rnd(rng) & ~1u) | (src[0] & 1);
    for (int i = 0; i < n && len > 1; i++) {
        size_t pos = 1 + fuzz_rnd(rng) % (len - 1);

        switch (fuzz_rnd(rng) % 5) {
        case 0: d[pos] ^= 1 << (fuzz_rnd(rng) % 8); break;
        case 1: d[pos] = "{}[]\",:\\/$()+-*x0\n \x01\xff"[fuzz_rnd(rng) % 22]; break;
        case 2: len = pos + 1; break;
        case 3:
            if (len < cap) {
                memmove(d + pos + 1, d + pos, len - pos);
                d[pos] = fuzz_rnd(rng);
                len++;
            }
            break;
        default: d[pos] = fuzz_rnd(rng); break;
        }
    }
    *size = len;
    return d;
}

/* The oversized cases, once: a 2 MiB text without a newline, 5000 nested
 * arrays, a 10 KiB HMP line. */
static void oversized_inputs(void)
{
    size_t big = 2u << 20;
    uint8_t *d = g_malloc(big);

    d[0] = 1;
    memset(d + 1, 'a', big - 1);
    d[1] = '"';
    LLVMFuzzerTestOneInput(d, big);
    memset(d + 1, '[', 5000);
    LLVMFuzzerTestOneInput(d, 5001);
    d[0] = 0;
    memset(d + 1, 'x', 10000);
    LLVMFuzzerTestOneInput(d, 10001);
    g_free(d);
}

int main(int argc, char **argv)
{
    static const FuzzStandalone target = {
        .name = "monitor-fuzz",
        .seed = 1,
        .seconds = 20,
        .seeds = make_seeds,
        .mutate = mutate,
        .after_run = oversized_inputs,
    };

    return fuzz_standalone_main(&target, argc, argv);
}
#endif
