/* test_hash.c: hash.c: every byte and the length count, strings hash as
 * their bytes, and the values spread (no collision among 200,000 keys of
 * the kinds the maps and the validators see, even slots). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "hash.h"

static void
test_bytes_and_strings(void **state)
{
    (void)state;
    assert_true(hash_bytes(NULL, 0) == hash_str(""));
    assert_true(hash_bytes("foobar", 6) == hash_str("foobar"));
    assert_true(hash_str("foobar") == hash_str("foobar"));
    assert_true(hash_str("foobar") != hash_str("foobaz"));
    /* bytes, not a string: a NUL inside counts, and trailing NULs too */
    assert_true(hash_bytes("a\0b", 3) != hash_bytes("a", 1));
    assert_true(hash_bytes("a\0", 2) != hash_bytes("a", 1));
    assert_true(hash_bytes("\0\0\0\0\0\0\0\0", 8) != hash_bytes("\0\0\0\0\0\0\0", 7));
    assert_true(hash_bytes("\0", 1) != hash_bytes(NULL, 0));
    assert_true(hash_bytes("\xff", 1) == hash_str("\xff"));
}

/* Flipping any one bit of a buffer of any length up to 40 changes the hash
 * (the words, the tail and their boundaries), and the hash does not depend
 * on where the bytes lie. */
static void
test_every_bit_counts(void **state)
{
    unsigned char buf[48], moved[48 + 7];
    size_t n, i, b;

    (void)state;
    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (unsigned char)(i * 37 + 11);
    }
    for (n = 1; n <= 40; n++) {
        uint64_t h = hash_bytes(buf, n);

        for (i = 0; i < 7; i++) {
            memcpy(moved + i, buf, n);
            assert_true(hash_bytes(moved + i, n) == h);
        }
        for (i = 0; i < n; i++) {
            for (b = 0; b < 8; b++) {
                buf[i] ^= (unsigned char)(1u << b);
                assert_true(hash_bytes(buf, n) != h);
                buf[i] ^= (unsigned char)(1u << b);
            }
        }
        assert_true(hash_bytes(buf, n - 1) != h);
    }
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

#define NKEYS  200000
#define NSLOTS 1024

/* Keys like the maps' ("s:team 123") and the validators' (bodies that
 * differ in a digit): no two hash alike, and the low bits (a map's slot)
 * fill every slot within 25 % of the mean. */
static void
test_spread(void **state)
{
    uint64_t *h = malloc(NKEYS * sizeof(*h));
    size_t counts[NSLOTS] = {0}, i, lo = (size_t)-1, hi = 0;
    char key[64];

    (void)state;
    assert_non_null(h);
    for (i = 0; i < NKEYS; i++) {
        int len = snprintf(key, sizeof(key), i % 2 ? "s:team %zu" : "{\"id\":%zu,\"n\":1}", i);

        h[i] = hash_bytes(key, (size_t)len);
        counts[h[i] % NSLOTS]++;
    }
    for (i = 0; i < NSLOTS; i++) {
        lo = counts[i] < lo ? counts[i] : lo;
        hi = counts[i] > hi ? counts[i] : hi;
    }
    assert_true(lo > NKEYS / NSLOTS * 3 / 4 && hi < NKEYS / NSLOTS * 5 / 4);
    qsort(h, NKEYS, sizeof(*h), cmp_u64);
    for (i = 1; i < NKEYS; i++) {
        assert_true(h[i] != h[i - 1]);
    }
    free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_and_strings),
        cmocka_unit_test(test_every_bit_counts),
        cmocka_unit_test(test_spread),
    };

    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
