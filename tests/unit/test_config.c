/* test_config.c: settings from the environment, and URL parsing. */
#include "testutil.h"

#include "config.h"
#include "rc.h"
#include "url.h"
#include "util.h"

static const char *const all_vars[] = {
    "MARIADB_URL",       "MARIADB_HOST",
    "MARIADB_PORT",      "MARIADB_USER",
    "MARIADB_PASSWORD",  "MARIADB_DATABASE",
    "MARIADB_SOCKET",    "AMQP_URL",
    "AMQP_PREFETCH",     "LOG_LEVEL",
    "ELASTICSEARCH_URL", "SOURCE_TIMEZONE",
    "AMQP_QUEUE",        "CONSUMER_BATCH_SIZE",
    "LINK_ENABLED",      "LINK_WINDOW_S",
    "LINK_HIGH",         "LINK_LOW",
    "CHANGES_KEEP_S",    "CHANGES_KEEP_ROWS",
    "LIVE_PUBLISH_URL",  "LIVE_TIMEOUT_MS",
};

static int
clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(all_vars); i++) {
        unsetenv(all_vars[i]);
    }
    return 0;
}

static void
test_defaults(void **state)
{
    struct config c;
    char err[256];

    (void)state;
    assert_int_equal(config_load(&c, err, sizeof(err)), RC_OK);
    assert_string_equal(c.mariadb_host, "127.0.0.1");
    assert_int_equal(c.mariadb_port, 3307);
    assert_string_equal(c.amqp_queue, "matches");
    assert_string_equal(c.amqp_dead_queue, "matches.dead");
    assert_int_equal(c.amqp_prefetch, 300);
    assert_int_equal(c.batch_size, 100);
    assert_int_equal(c.log_level, LL_INFO);
    assert_string_equal(c.elasticsearch_url, "");
    assert_int_equal(c.link_enabled, 1);
    assert_int_equal(c.link_window_s, 10800);
    assert_true(c.link_high == 0.99);
    assert_true(c.link_low == 0.5);
    assert_int_equal(c.changes_keep_s, 7 * 24 * 3600);
    assert_int_equal(c.changes_keep_rows, 1000000);
    assert_string_equal(c.live_publish_url, "");
    assert_int_equal(c.live_timeout_ms, 1000);
    config_cleanup(&c);
}

/* Loads with one variable set and expects failure naming it. */
static void
expect_invalid(const char *name, const char *value, const char *fragment)
{
    struct config c;
    char err[256];

    setenv(name, value, 1);
    assert_int_equal(config_load(&c, err, sizeof(err)), RC_INVALID);
    if (strstr(err, name) == NULL || strstr(err, fragment) == NULL) {
        fail_msg("error for %s='%s' was \"%s\"", name, value, err);
    }
    unsetenv(name);
}

static void
test_invalid(void **state)
{
    (void)state;
    expect_invalid("MARIADB_PORT", "abc", "integer from 1 to 65535");
    expect_invalid("MARIADB_PORT", "70000", "integer from 1 to 65535");
    expect_invalid("MARIADB_PORT", "", "integer");
    expect_invalid("AMQP_PREFETCH", "0", "from 1");
    expect_invalid("LOG_LEVEL", "loud", "error, warn, info or debug");
    expect_invalid("AMQP_URL", "http://x", "amqp://");
    expect_invalid("AMQP_URL", "amqp://host:99999/", "port");
    expect_invalid("ELASTICSEARCH_URL", "ftp://x", "http://");
    expect_invalid("MARIADB_URL", "mysql://u:p@h:3306", "no database");
    expect_invalid("AMQP_QUEUE", "has space", "spaces");
    expect_invalid("SOURCE_TIMEZONE", "Europe/Paris", "UTC or an offset");
    expect_invalid("LINK_ENABLED", "yes", "integer from 0 to 1");
    expect_invalid("LINK_WINDOW_S", "59", "integer from 60 to 604800");
    expect_invalid("LINK_HIGH", "1.5", "decimal number from 0 to 1");
    expect_invalid("LINK_HIGH", "-0.1", "decimal number from 0 to 1");
    expect_invalid("LINK_HIGH", "nan", "decimal number from 0 to 1");
    expect_invalid("LINK_LOW", "0.5e0", "decimal number from 0 to 1");
    expect_invalid("LINK_LOW", "", "decimal number from 0 to 1");
    /* the low threshold above the high one */
    setenv("LINK_HIGH", "0.6", 1);
    expect_invalid("LINK_LOW", "0.7", "must not exceed LINK_HIGH");
    unsetenv("LINK_HIGH");
    expect_invalid("CHANGES_KEEP_S", "0", "from 1");
    expect_invalid("CHANGES_KEEP_S", "-5", "integer");
    expect_invalid("CHANGES_KEEP_ROWS", "99", "from 100");
    expect_invalid("CHANGES_KEEP_ROWS", "99999999999", "integer");
    expect_invalid("LIVE_PUBLISH_URL", "nchan://127.0.0.1/pub", "http://");
    expect_invalid("LIVE_TIMEOUT_MS", "5", "from 10");
}

static void
test_secret_not_echoed(void **state)
{
    struct config c;
    char err[256];

    (void)state;
    setenv("AMQP_URL", "http://user:hunter2@x", 1);
    assert_int_equal(config_load(&c, err, sizeof(err)), RC_INVALID);
    assert_null(strstr(err, "hunter2"));
    unsetenv("AMQP_URL");
}

static void
test_db_url_overrides(void **state)
{
    struct config c;
    char err[256];

    (void)state;
    setenv("MARIADB_HOST", "ignored", 1);
    setenv("MARIADB_URL", "mariadb://app:s%40cret@db.example:3310/matches", 1);
    assert_int_equal(config_load(&c, err, sizeof(err)), RC_OK);
    assert_string_equal(c.mariadb_host, "db.example");
    assert_int_equal(c.mariadb_port, 3310);
    assert_string_equal(c.mariadb_user, "app");
    assert_string_equal(c.mariadb_password, "s@cret");
    assert_string_equal(c.mariadb_database, "matches");
    config_cleanup(&c);
}

static void
test_url_parse(void **state)
{
    struct url u;
    const char *why;

    (void)state;
    assert_int_equal(url_parse("amqp://guest:guest@127.0.0.1:5673/%2f", &u, &why), RC_OK);
    assert_string_equal(u.scheme, "amqp");
    assert_string_equal(u.user, "guest");
    assert_string_equal(u.password, "guest");
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 5673);
    assert_string_equal(u.path, "/");
    url_cleanup(&u);
    assert_int_equal(url_parse("HTTP://[::1]:9200", &u, &why), RC_OK);
    assert_string_equal(u.scheme, "http");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9200);
    assert_null(u.user);
    url_cleanup(&u);
    assert_int_equal(url_parse("no-scheme", &u, &why), RC_INVALID);
    assert_int_equal(url_parse("http://", &u, &why), RC_INVALID);
    assert_string_equal(why, "missing host");
    assert_int_equal(url_parse("http://h:0", &u, &why), RC_INVALID);
    assert_int_equal(url_parse("http://h/%zz", &u, &why), RC_INVALID);
    assert_int_equal(url_parse("http://h/%00", &u, &why), RC_INVALID);
    assert_int_equal(url_parse("http://h?x=1", &u, &why), RC_INVALID);
    url_cleanup(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_invalid, clear_env),
        cmocka_unit_test_setup(test_secret_not_echoed, clear_env),
        cmocka_unit_test_setup(test_db_url_overrides, clear_env),
        cmocka_unit_test(test_url_parse),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
