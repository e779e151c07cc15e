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

/* dt_write_fields writes what snprintf("%04u-%02u-%02u%c%02u:%02u:%02u[.%06lu]%s")
 * wrote before it, field values past their width and truncation included. */
static void
test_write_fields_as_printf(void **state)
{
    static const int fields[][6] = {{2020, 1, 7, 15, 0, 0},        {1, 2, 3, 4, 5, 6},
                                    {9999, 12, 31, 23, 59, 59},    {0, 0, 0, 0, 0, 0},
                                    {12345, 123, 99, 100, 61, 60}, {-1, -5, 7, 8, 9, 10}};
    static const long micros[] = {-1, 0, 7, 999999, 1234567};
    static const char *const tails[] = {"", "Z", "+00:00"};
    char want[64], got[64];
    size_t i, m, t, n;

    (void)state;
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const int *f = fields[i];

        for (m = 0; m < sizeof(micros) / sizeof(micros[0]); m++) {
            for (t = 0; t < 3; t++) {
                for (n = 1; n <= 40; n++) {
                    int len;

                    if (micros[m] >= 0) {
                        len = snprintf(want, n, "%04u-%02u-%02u%c%02u:%02u:%02u.%06lu%s",
                                       (unsigned)f[0] % 10000u, (unsigned)f[1] % 100u,
                                       (unsigned)f[2] % 100u, 'T', (unsigned)f[3] % 100u,
                                       (unsigned)f[4] % 100u, (unsigned)f[5] % 100u,
                                       (unsigned long)micros[m] % 1000000ul, tails[t]);
                    } else {
                        len = snprintf(want, n, "%04u-%02u-%02u%c%02u:%02u:%02u%s",
                                       (unsigned)f[0] % 10000u, (unsigned)f[1] % 100u,
                                       (unsigned)f[2] % 100u, 'T', (unsigned)f[3] % 100u,
                                       (unsigned)f[4] % 100u, (unsigned)f[5] % 100u, tails[t]);
                    }
                    memset(got, 'x', sizeof(got));
                    assert_int_equal(dt_write_fields(f, 'T', micros[m], tails[t], got, n),
                                     (size_t)len < n ? (size_t)len : n - 1);
                    assert_string_equal(got, want);
                    assert_true(got[n] == 'x' || n == sizeof(got)); /* nothing past n */
                }
            }
        }
    }
    assert_int_equal(dt_write_fields(fields[0], ' ', -1, "", got, 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_offsets_and_format),
        cmocka_unit_test(test_format_range),
        cmocka_unit_test(test_mono),
        cmocka_unit_test(test_write_fields_as_printf),
    };

    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
