/* QEMUIOVector: building, slicing, copying, memset, zero detection. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "qemu/iov.h"

/* Three pieces of 3, 5 and 8 bytes over one 16-byte buffer, out of order. */
static void make_vector(QEMUIOVector *qiov, unsigned char *buf)
{
    qemu_iovec_init(qiov, 1);
    qemu_iovec_add(qiov, buf + 8, 3);
    qemu_iovec_add(qiov, buf, 5);
    qemu_iovec_add(qiov, buf + 11, 5);
}

START_TEST(test_add_to_from_buf)
{
    unsigned char store[16] = { 0 }, in[13], out[13];
    QEMUIOVector qiov;

    make_vector(&qiov, store);
    ck_assert_int_eq(qiov.niov, 3);
    ck_assert_uint_eq(qiov.size, 13);
    for (int i = 0; i < 13; i++) {
        in[i] = 100 + i;
    }
    ck_assert_uint_eq(qemu_iovec_from_buf(&qiov, 0, in, 13), 13);
    ck_assert_int_eq(store[8], 100);
    ck_assert_int_eq(store[0], 103);
    ck_assert_int_eq(store[11], 108);
    memset(out, 0, sizeof(out));
    ck_assert_uint_eq(qemu_iovec_to_buf(&qiov, 2, out, 6), 6);
    ck_assert_mem_eq(out, in + 2, 6);
    /* Past the end: copies what exists. */
    ck_assert_uint_eq(qemu_iovec_to_buf(&qiov, 10, out, 10), 3);
    qemu_iovec_destroy(&qiov);
}
END_TEST

START_TEST(test_slice_concat)
{
    unsigned char store[16];
    QEMUIOVector qiov, slice, cat;

    for (int i = 0; i < 16; i++) {
        store[i] = i;
    }
    make_vector(&qiov, store);
    qemu_iovec_init_slice(&slice, &qiov, 2, 7); /* bytes 2..8 of the vector */
    ck_assert_uint_eq(slice.size, 7);
    ck_assert_int_eq(slice.niov, 3);
    unsigned char out[7];
    qemu_iovec_to_buf(&slice, 0, out, 7);
    unsigned char expect[7] = { 10, 0, 1, 2, 3, 4, 11 };
    ck_assert_mem_eq(out, expect, 7);

    qemu_iovec_init(&cat, 0);
    qemu_iovec_concat(&cat, &qiov, 3, 5);
    qemu_iovec_concat(&cat, &qiov, 0, 1);
    ck_assert_uint_eq(cat.size, 6);
    unsigned char out2[6];
    qemu_iovec_to_buf(&cat, 0, out2, 6);
    unsigned char expect2[6] = { 0, 1, 2, 3, 4, 8 };
    ck_assert_mem_eq(out2, expect2, 6);
    qemu_iovec_reset(&cat);
    ck_assert_uint_eq(cat.size, 0);
    qemu_iovec_destroy(&cat);
    qemu_iovec_destroy(&slice);
    qemu_iovec_destroy(&qiov);
}
END_TEST

START_TEST(test_memset_is_zero)
{
    unsigned char store[16];
    QEMUIOVector qiov;

    memset(store, 0xff, sizeof(store));
    make_vector(&qiov, store);
    ck_assert(!qemu_iovec_is_zero(&qiov, 0, 13));
    ck_assert_uint_eq(qemu_iovec_memset(&qiov, 1, 0, 10), 10);
    ck_assert(qemu_iovec_is_zero(&qiov, 1, 10));
    ck_assert(!qemu_iovec_is_zero(&qiov, 0, 11));
    ck_assert(!qemu_iovec_is_zero(&qiov, 1, 11));
    ck_assert_int_eq(store[8], 0xff);  /* vector byte 0 untouched */
    ck_assert_int_eq(store[14], 0xff); /* vector byte 11 untouched */
    qemu_iovec_destroy(&qiov);

    /* Large, unaligned buffer: one nonzero byte near the end is found. */
    unsigned char *big = g_malloc0(70001);
    qemu_iovec_init_buf(&qiov, big + 1, 70000);
    ck_assert(qemu_iovec_is_zero(&qiov, 0, 70000));
    big[69990] = 1;
    ck_assert(!qemu_iovec_is_zero(&qiov, 0, 70000));
    ck_assert(qemu_iovec_is_zero(&qiov, 0, 69989));
    qemu_iovec_destroy(&qiov);
    g_free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iov");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_add_to_from_buf);
    tcase_add_test(tc, test_slice_concat);
    tcase_add_test(tc, test_memset_is_zero);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
