/* test_buf.c: buf_t appends, the sticky error, JSON escaping; the arena. */
#include "testutil.h"

#include "buf.h"

static void
test_append(void **state)
{
    buf_t b;
    char *s;

    (void)state;
    buf_init(&b, 0);
    buf_append_str(&b, "abc");
    buf_append_char(&b, '-');
    buf_appendf(&b, "%d/%s", 42, "x");
    assert_string_equal(b.data, "abc-42/x");
    assert_int_equal(b.len, 8);
    for (int i = 0; i < 1000; i++) {
        buf_appendf(&b, "%04d", i);
    }
    assert_int_equal(b.len, 8 + 4000);
    assert_int_equal(b.err, 0);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_append_str(&b, "kept");
    s = buf_release(&b);
    assert_string_equal(s, "kept");
    assert_null(b.data);
    free(s);
    buf_cleanup(&b);
    buf_cleanup(NULL);
}

/* buf_append_u64 and buf_append_i64 write what %llu and %lld write,
 * at the edges of their ranges and at every power of ten. */
static void
test_numbers(void **state)
{
    static const int64_t edges[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    char want[32];
    uint64_t p = 1;
    size_t i;
    buf_t b;

    (void)state;
    buf_init(&b, 0);
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        buf_reset(&b);
        buf_append_i64(&b, edges[i]);
        snprintf(want, sizeof(want), "%lld", (long long)edges[i]);
        assert_string_equal(b.data, want);
    }
    for (i = 0; i < 20; i++, p *= 10) {
        const uint64_t vs[3] = {p - 1, p, p + 1};

        for (size_t k = 0; k < 3; k++) {
            buf_reset(&b);
            buf_append_u64(&b, vs[k]);
            snprintf(want, sizeof(want), "%llu", (unsigned long long)vs[k]);
            assert_string_equal(b.data, want);
        }
    }
    buf_reset(&b);
    buf_append_u64(&b, UINT64_MAX);
    assert_string_equal(b.data, "18446744073709551615");
    buf_cleanup(&b);
    /* the cap holds for numbers too */
    buf_init(&b, 4);
    buf_append_u64(&b, 12345);
    assert_true(b.err);
    buf_cleanup(&b);
}

static void
test_sticky_error(void **state)
{
    buf_t b;

    (void)state;
    buf_init(&b, 10);
    buf_append_str(&b, "12345");
    buf_append_str(&b, "678901"); /* would pass max */
    assert_int_equal(b.err, 1);
    buf_append_str(&b, "x"); /* ignored once in error */
    assert_string_equal(b.data, "12345");
    buf_appendf(&b, "%s", "y");
    assert_string_equal(b.data, "12345");
    buf_reset(&b);
    assert_int_equal(b.err, 0);
    buf_appendf(&b, "%s", "0123456789ABC");
    assert_int_equal(b.err, 1);
    buf_cleanup(&b);
}

static void
test_json_escape(void **state)
{
    buf_t b;
    const char in[] = "a\"b\\c\n\t\x01</script>\xc3\xa9";

    (void)state;
    buf_init(&b, 0);
    buf_append_json_str(&b, in, sizeof(in) - 1);
    assert_string_equal(b.data, "a\\\"b\\\\c\\n\\t\\u0001</script>\xc3\xa9");
    buf_cleanup(&b);
}

static void
test_arena(void **state)
{
    struct arena a;
    char *p, *q;

    (void)state;
    arena_init(&a, 256);
    p = arena_strndup(&a, "hello", 5);
    q = arena_alloc(&a, 10000); /* larger than a chunk */
    memset(q, 'x', 10000);
    assert_string_equal(p, "hello");
    assert_int_equal((uintptr_t)arena_alloc(&a, 3) % _Alignof(max_align_t), 0);
    arena_reset(&a);
    p = arena_strndup(&a, "again", 5);
    assert_string_equal(p, "again");
    arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append),       cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_sticky_error), cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_arena),
    };

    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
