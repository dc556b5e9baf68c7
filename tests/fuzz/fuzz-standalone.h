/*
 * The gcc-built driver shared by the fuzz targets (built with
 * <TARGET>_FUZZ_STANDALONE): it replays saved inputs and, for a bounded
 * time, runs the target's seeds and mutations of them, so the fuzz-smoke
 * suite needs no libFuzzer.  A target supplies its seeds and a mutator;
 * the command line is the same for all:
 *   NAME [--seconds N] [--seed S] [--make-corpus DIR] [--regressions] [FILE...]
 */
#ifndef TESTS_FUZZ_STANDALONE_H
#define TESTS_FUZZ_STANDALONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* xorshift64: reproducible from --seed, cheap enough for the inner loop. */
typedef struct FuzzRng {
    uint64_t state;
} FuzzRng;

uint64_t fuzz_rnd(FuzzRng *rng);

typedef struct FuzzSeed {
    char *name;             /* the file name under --make-corpus */
    GBytes *data;
} FuzzSeed;

/* Adds a seed to an array made by fuzz_seeds_new(); takes data. */
void fuzz_seed_add(GPtrArray *seeds, const char *name, GBytes *data);
GPtrArray *fuzz_seeds_new(void);

typedef struct FuzzStandalone {
    const char *name;       /* messages, the kept last input */
    uint64_t seed;          /* the default --seed */
    double seconds;         /* the default --seconds */
    bool quiet;             /* stderr to /dev/null in the random run,
                               unless the environment has DUET_FUZZ_VERBOSE */
    GPtrArray *(*seeds)(void);
    /* A new input from seed (and other, for splicing); g_free()d. */
    uint8_t *(*mutate)(FuzzRng *rng, GBytes *seed, GBytes *other, size_t *size);
    void (*after_run)(void);    /* once after the random run, optional */
    void (*cleanup)(void);      /* before every return, optional */
} FuzzStandalone;

int fuzz_standalone_main(const FuzzStandalone *t, int argc, char **argv);

#endif
