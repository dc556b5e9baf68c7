/*
 * A compute-bound guest for scripts/bench-tcg: CRC-32 over a buffer,
 * a heap sort, and FNV-1a hashing, repeated "rounds=N" times (from the
 * Multiboot command line).  Prints a checksum so both emulators can be
 * seen to have done the same work.
 */
#include "../../guests/runtime/guest.h"

#define BUF_SIZE 65536
#define SORT_N 8192

static uint8_t buf[BUF_SIZE];
static uint32_t crc_table[256];
static uint32_t arr[SORT_N];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t c = 0xffffffff;
    while (n--) {
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    }
    return ~c;
}

static void sift(uint32_t *a, int start, int end)
{
    int root = start;
    while (2 * root + 1 <= end) {
        int child = 2 * root + 1, sw = root;
        if (a[sw] < a[child]) {
            sw = child;
        }
        if (child + 1 <= end && a[sw] < a[child + 1]) {
            sw = child + 1;
        }
        if (sw == root) {
            return;
        }
        uint32_t t = a[root];
        a[root] = a[sw];
        a[sw] = t;
        root = sw;
    }
}

static void heapsort(uint32_t *a, int n)
{
    for (int start = (n - 2) / 2; start >= 0; start--) {
        sift(a, start, n - 1);
    }
    for (int end = n - 1; end > 0; end--) {
        uint32_t t = a[end];
        a[end] = a[0];
        a[0] = t;
        sift(a, 0, end - 1);
    }
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    while (n--) {
        h = (h ^ *p++) * 16777619u;
    }
    return h;
}

static uint32_t parse_rounds(struct multiboot_info *mbi)
{
    const char *s = (mbi->flags & 4) ? (const char *)(uintptr_t)mbi->cmdline : "";
    uint32_t n = 0;

    for (; *s; s++) {
        if (strncmp(s, "rounds=", 7) == 0) {
            for (s += 7; *s >= '0' && *s <= '9'; s++) {
                n = n * 10 + (*s - '0');
            }
            break;
        }
    }
    return n ? n : 20;
}

int guest_main(uint32_t magic, struct multiboot_info *mbi)
{
    uint32_t rounds = parse_rounds(mbi), sum = 0, seed = 12345;

    crc_init();
    for (uint32_t i = 0; i < BUF_SIZE; i++) {
        seed = seed * 1103515245 + 12345;
        buf[i] = seed >> 16;
    }
    printf_serial("bench: %u rounds\n", rounds);
    for (uint32_t r = 0; r < rounds; r++) {
        buf[r % BUF_SIZE] ^= r;
        sum += crc32(buf, BUF_SIZE);
        for (int i = 0; i < SORT_N; i++) {
            seed = seed * 1103515245 + 12345 + r;
            arr[i] = seed;
        }
        heapsort(arr, SORT_N);
        sum ^= arr[SORT_N / 2];
        sum += fnv1a(buf, BUF_SIZE);
    }
    printf_serial("bench: checksum=0x%x\n", sum);
    return GUEST_PASS;
}
