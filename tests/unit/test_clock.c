/* test_clock.c: date-times parsed and formatted over the stored range; the
 * monotonic clock. */
#include "testutil.h"

#include "clock.h"
#include "rc.h"
#include "util.h"

static void
test_dates(void **state)
{
    int64_t t;
    int date_only;

    (void)state;
    assert_int_equal(dt_parse("2020-01-07 14:30:00", 19, 0, 0, &t, NULL), RC_OK);
    assert_int_equal(t, 1578407400);
    assert_int_equal(dt_parse("2020-01-07T14:30:00Z", 20, 0, 0, &t, NULL), RC_OK);
    assert_int_equal(t, 1578407400);
    assert_int_equal(dt_parse("2020-01-07T16:30:00+02:00", 25, 0, 0, &t, NULL), RC_OK);
    assert_int_equal(t, 1578407400);
    assert_int_equal(dt_parse("2020-01-07T09:30:00.250-0500", 28, 0, 0, &t, NULL), RC_OK);
    assert_int_equal(t, 1578407400);
    /* a naive time read at a configured source offset */
    assert_int_equal(dt_parse("2020-01-07 15:30:00", 19, 3600, 0, &t, NULL), RC_OK);
    assert_int_equal(t, 1578407400);
    assert_int_equal(dt_parse("2020-01-07", 10, 0, 1, &t, &date_only), RC_OK);
    assert_int_equal(t, 1578355200);
    assert_int_equal(date_only, 1);
    assert_int_equal(dt_parse("2020-01-07", 10, 0, 0, &t, NULL), RC_INVALID);
    assert_int_equal(dt_parse("2020-13-45", 10, 0, 1, &t, NULL), RC_INVALID);
    assert_int_equal(dt_parse("2021-02-29 00:00:00", 19, 0, 0, &t, NULL), RC_INVALID);
    assert_int_equal(dt_parse("2020-02-29 00:00:00", 19, 0, 0, &t, NULL), RC_OK);
    assert_int_equal(dt_parse("2020-01-07 24:00:00", 19, 0, 0, &t, NULL), RC_INVALID);
    assert_int_equal(dt_parse("2020-01-07 14:30:00 junk", 24, 0, 0, &t, NULL), RC_INVALID);
    assert_int_equal(dt_parse("yesterday", 9, 0, 1, &t, NULL), RC_INVALID);
    assert_int_equal(dt_parse("", 0, 0, 1, &t, NULL), RC_INVALID);
}

static void
test_offsets_and_format(void **state)
{
    int off;
    char s[21];

    (void)state;
    assert_int_equal(dt_offset_parse("UTC", &off), RC_OK);
    assert_int_equal(off, 0);
    assert_int_equal(dt_offset_parse("-05:30", &off), RC_OK);
    assert_int_equal(off, -19800);
    assert_int_equal(dt_offset_parse("+25:00", &off), RC_INVALID);
    assert_int_equal(dt_offset_parse("CET", &off), RC_INVALID);
    dt_format(1578407400, s);
    assert_string_equal(s, "2020-01-07T14:30:00Z");
}

/* Calendar arithmetic over the whole stored range, both ways. */
static void
test_format_range(void **state)
{
    static const struct {
        long long t;
        const char *iso, *sql;
    } cases[] = {
        {-1, "1969-12-31T23:59:59Z", "1969-12-31 23:59:59"},
        {0, "1970-01-01T00:00:00Z", "1970-01-01 00:00:00"},
        {2147483648LL, "2038-01-19T03:14:08Z", "2038-01-19 03:14:08"},
        {2208988800LL, "2040-01-01T00:00:00Z", "2040-01-01 00:00:00"},
        {DT_MIN, "1000-01-01T00:00:00Z", "1000-01-01 00:00:00"},
        {DT_MAX, "9999-12-31T23:59:59Z", "9999-12-31 23:59:59"},
        {DT_MIN - 1, "1000-01-01T00:00:00Z", "1000-01-01 00:00:00"}, /* clamped */
        {951782400LL, "2000-02-29T00:00:00Z", "2000-02-29 00:00:00"},
    };
    char iso[21], sql[20];
    int64_t back;

    (void)state;
    for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
        dt_format(cases[k].t, iso);
        dt_format_sql(cases[k].t, sql);
        assert_string_equal(iso, cases[k].iso);
        assert_string_equal(sql, cases[k].sql);
        if (dt_in_range(cases[k].t)) {
            assert_int_equal(dt_parse(iso, strlen(iso), 0, 0, &back, NULL), RC_OK);
            assert_int_equal(back, cases[k].t);
        }
    }
    assert_true(dt_in_range(DT_MIN));
    assert_true(dt_in_range(DT_MAX));
    assert_false(dt_in_range(DT_MAX + 1));
}

static void
test_mono(void **state)
{
    double s = dt_mono();
    long ms = dt_mono_ms();

    (void)state;
    assert_true(s > 0);
    assert_true(ms >= 0);
    assert_true(dt_mono() >= s);
    assert_true(dt_mono_ms() >= ms);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_offsets_and_format),
        cmocka_unit_test(test_format_range),
        cmocka_unit_test(test_mono),
    };

    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
