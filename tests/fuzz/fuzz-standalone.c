/*
 * The replay and mutation driver the gcc-built fuzz targets share (see
 * fuzz-standalone.h).  A crash in the random run leaves its input in
 * $TMPDIR/NAME-last-input, which the same binary replays when given it.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz-standalone.h"

uint64_t fuzz_rnd(FuzzRng *rng)
{
    rng->state ^= rng->state << 13;
    rng->state ^= rng->state >> 7;
    rng->state ^= rng->state << 17;
    return rng->state;
}

static void fuzz_seed_free(gpointer p)
{
    FuzzSeed *s = p;

    g_free(s->name);
    g_bytes_unref(s->data);
    g_free(s);
}

GPtrArray *fuzz_seeds_new(void)
{
    return g_ptr_array_new_with_free_func(fuzz_seed_free);
}

void fuzz_seed_add(GPtrArray *seeds, const char *name, GBytes *data)
{
    FuzzSeed *s = g_new(FuzzSeed, 1);

    s->name = g_strdup(name);
    s->data = data;
    g_ptr_array_add(seeds, s);
}

static void run_bytes(GBytes *b)
{
    gsize len;
    const uint8_t *d = g_bytes_get_data(b, &len);

    LLVMFuzzerTestOneInput(d, len);
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The input under test, so a crash can be replayed (no fsync: speed). */
static void save_input(const char *path, const uint8_t *d, size_t size)
{
    FILE *f = fopen(path, "wb");

    if (f) {
        fwrite(d, 1, size, f);
        fclose(f);
    }
}

static int write_corpus(GPtrArray *seeds, const char *dir)
{
    g_mkdir_with_parents(dir, 0755);
    for (guint k = 0; k < seeds->len; k++) {
        FuzzSeed *s = seeds->pdata[k];
        g_autofree char *path = g_build_filename(dir, s->name, NULL);
        gsize len;
        const char *d = g_bytes_get_data(s->data, &len);

        if (!g_file_set_contents(path, d, len, NULL)) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
    }
    return 0;
}

static int random_run(const FuzzStandalone *t, GPtrArray *seeds, FuzzRng *rng, double seconds)
{
    g_autofree char *base = g_strdup_printf("%s-last-input", t->name);
    g_autofree char *last = g_build_filename(g_get_tmp_dir(), base, NULL);
    struct timespec t0;
    int64_t runs = 0;

    if (!seeds->len) {
        fprintf(stderr, "%s: no seeds\n", t->name);
        return 1;
    }
    if (t->quiet && !getenv("DUET_FUZZ_VERBOSE")) {
        /* Error logs on garbage are expected and many; a crash still fails
         * the run and the last input is kept to reproduce it. */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (guint k = 0; k < seeds->len; k++) {
        run_bytes(((FuzzSeed *)seeds->pdata[k])->data);
        runs++;
    }
    while (elapsed(&t0) < seconds) {
        FuzzSeed *s = seeds->pdata[fuzz_rnd(rng) % seeds->len];
        FuzzSeed *o = seeds->pdata[fuzz_rnd(rng) % seeds->len];
        size_t size;
        uint8_t *d = t->mutate(rng, s->data, o->data, &size);

        save_input(last, d, size);
        LLVMFuzzerTestOneInput(d, size);
        g_free(d);
        runs++;
    }
    unlink(last);
    if (t->after_run) {
        t->after_run();
    }
    printf("%s: %" PRId64 " inputs in %.1f s, no crash\n", t->name, runs, elapsed(&t0));
    return 0;
}

static int run(const FuzzStandalone *t, int argc, char **argv)
{
    double seconds = t->seconds;
    FuzzRng rng = { t->seed | 1 };
    const char *corpus = NULL;
    bool regressions = false;
    int files = 0;
    g_autoptr(GPtrArray) seeds = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            rng.state = g_ascii_strtoull(argv[++i], NULL, 0) | 1;
        } else if (!strcmp(argv[i], "--make-corpus") && i + 1 < argc) {
            corpus = argv[++i];
        } else if (!strcmp(argv[i], "--regressions")) {
            regressions = true;
        } else {
            /* Replay a saved input (a crash reproducer, say). */
            char *contents;
            gsize len;

            if (!g_file_get_contents(argv[i], &contents, &len, NULL)) {
                fprintf(stderr, "%s: cannot read %s\n", t->name, argv[i]);
                return 1;
            }
            LLVMFuzzerTestOneInput((uint8_t *)contents, len);
            g_free(contents);
            files++;
        }
    }
    if (files) {
        printf("%s: %d files replayed, no crash\n", t->name, files);
        return 0;
    }
    seeds = t->seeds();
    if (corpus) {
        return write_corpus(seeds, corpus);
    }
    if (regressions) {
        /* The seeds include every input a run has ever found. */
        for (guint k = 0; k < seeds->len; k++) {
            FuzzSeed *s = seeds->pdata[k];

            printf("replay %s\n", s->name);
            fflush(stdout);
            run_bytes(s->data);
        }
        printf("%s: replayed %u seeds and regressions\n", t->name, seeds->len);
        return 0;
    }
    return random_run(t, seeds, &rng, seconds);
}

int fuzz_standalone_main(const FuzzStandalone *t, int argc, char **argv)
{
    int ret = run(t, argc, argv);

    if (t->cleanup) {
        t->cleanup();
    }
    return ret;
}
