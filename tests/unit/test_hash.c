/* test_hash.c: FNV-1a 64 against its published test values. */
#include "testutil.h"

#include "hash.h"

static void
test_fnv1a(void **state)
{
    (void)state;
    assert_true(hash_bytes(NULL, 0) == 0xcbf29ce484222325ULL);
    assert_true(hash_str("") == 0xcbf29ce484222325ULL);
    assert_true(hash_str("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(hash_str("foobar") == 0x85944171f73967e8ULL);
    assert_true(hash_bytes("foobar", 6) == hash_str("foobar"));
    /* bytes, not a string: a NUL inside counts */
    assert_true(hash_bytes("a\0b", 3) != hash_bytes("a", 1));
    assert_true(hash_bytes("\xff", 1) == hash_str("\xff"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a),
    };

    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
