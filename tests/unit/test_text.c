/* test_text.c: UTF-8 checks and name keys. */
#include "testutil.h"

#include "rc.h"
#include "text.h"

static void
test_utf8(void **state)
{
    size_t bad = 99;

    (void)state;
    assert_int_equal(utf8_check("plain", 5, &bad), RC_OK);
    assert_int_equal(utf8_check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xae", 14, &bad), RC_OK);
    assert_int_equal(utf8_check("ab\xff", 3, &bad), RC_INVALID);
    assert_int_equal(bad, 2);
    assert_int_equal(utf8_check("\xc0\xaf", 2, &bad), RC_INVALID);         /* overlong */
    assert_int_equal(utf8_check("\xed\xa0\x80", 3, &bad), RC_INVALID);     /* surrogate */
    assert_int_equal(utf8_check("\xf4\x90\x80\x80", 4, &bad), RC_INVALID); /* > U+10FFFF */
    assert_int_equal(utf8_check("x\xe2\x82", 3, &bad), RC_INVALID);        /* truncated */
    assert_int_equal(bad, 1);
    assert_int_equal(utf8_len("caf\xc3\xa9", 5), 4);
}

static void
test_names(void **state)
{
    struct arena a;

    (void)state;
    arena_init(&a, 1024);
    assert_string_equal(text_clean(&a, "  Bayes \t Team\n2 ", 17), "Bayes Team 2");
    assert_string_equal(text_clean(&a, "\xc2\xa0X\xc2\xa0\xc2\xa0Y", 8), "X Y");
    assert_string_equal(text_clean(&a, "   ", 3), "");
    assert_string_equal(text_key(&a, "OverCooked ", 11), "overcooked");
    assert_string_equal(text_key(&a, " Bayes  ESPORTS 3 ", 18), "bayes esports 3");
    assert_string_equal(text_title_key(&a, "Over Cooked 2 ", 14), "overcooked2");
    assert_string_equal(text_title_key(&a, "Overcooked", 10),
                        text_title_key(&a, "OverCooked ", 11));
    arena_cleanup(&a);
}

/* A truncating snprintf must not leave half a UTF-8 sequence behind. */
static void
test_cut_utf8(void **state)
{
    char s[8];

    (void)state;
    memcpy(s, "abcde\xc3\xa9", 8); /* whole: kept */
    text_cut_utf8(s);
    assert_string_equal(s, "abcde\xc3\xa9");
    memcpy(s, "abcdef\xc3", 8); /* a 2-byte sequence cut after its lead */
    text_cut_utf8(s);
    assert_string_equal(s, "abcdef");
    memcpy(s, "abcd\xf0\x9f\x8e", 8); /* a 4-byte sequence cut after 3 */
    text_cut_utf8(s);
    assert_string_equal(s, "abcd");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_cut_utf8),
    };

    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
