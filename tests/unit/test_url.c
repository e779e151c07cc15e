/* test_url.c: service URLs parsed into their parts; percent-decoding. */
#include "testutil.h"

#include "rc.h"
#include "url.h"
#include "util.h"

static void
test_parse_full(void **state)
{
    struct url u;
    const char *why = NULL;

    (void)state;
    assert_int_equal(url_parse("MySQL://us%40er:p%3Ass@db.example:3307/esp%20orts", &u, &why),
                     RC_OK);
    assert_string_equal(u.scheme, "mysql");
    assert_string_equal(u.user, "us@er");
    assert_string_equal(u.password, "p:ss");
    assert_string_equal(u.host, "db.example");
    assert_int_equal(u.port, 3307);
    assert_string_equal(u.path, "esp orts");
    url_cleanup(&u);
}

static void
test_parse_minimal(void **state)
{
    struct url u;
    const char *why = NULL;

    (void)state;
    assert_int_equal(url_parse("http://127.0.0.1", &u, &why), RC_OK);
    assert_string_equal(u.scheme, "http");
    assert_null(u.user);
    assert_null(u.password);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 0);
    assert_string_equal(u.path, "");
    url_cleanup(&u);

    assert_int_equal(url_parse("amqp://guest@[::1]:5672/", &u, &why), RC_OK);
    assert_string_equal(u.user, "guest");
    assert_null(u.password);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 5672);
    url_cleanup(&u);
    url_cleanup(NULL);
}

static void
test_parse_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "db.example:3306",
        "mysql://",
        "mysql://host:",
        "mysql://host:0",
        "mysql://host:65536",
        "mysql://host:12ab",
        "http://host?q=1",
        "http://host#frag",
        "http://host/path?q=1",
        "amqp://host/%2f?heartbeat=10",
        "http://host:9200/index#x",
        "mysql://user:p%zzss@host",
    };
    struct url u;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        const char *why = NULL;

        if (url_parse(bad[i], &u, &why) != RC_INVALID) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_non_null(why);
    }
}

static void
test_decode(void **state)
{
    char *s = NULL;
    char out[16];

    (void)state;
    assert_int_equal(url_decode("a%2Fb%c3%A9", 11, &s), RC_OK);
    assert_string_equal(s, "a/b\xc3\xa9");
    free(s);
    assert_int_equal(url_decode("a%00b", 5, &s), RC_INVALID);
    assert_int_equal(url_decode("a%4", 3, &s), RC_INVALID);
    assert_int_equal(url_decode("a%g1", 4, &s), RC_INVALID);

    assert_int_equal(url_unescape("a+b%20c", 7, 1, out), RC_OK);
    assert_string_equal(out, "a b c");
    assert_int_equal(url_unescape("a+b", 3, 0, out), RC_OK);
    assert_string_equal(out, "a+b");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_minimal),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_decode),
    };

    return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
