/* test_db.c: db.c's pure parts: db_time_iso, the DATETIME columns of the read
 * model written as the API writes them (what DATE_FORMAT wrote before). */
#include "testutil.h"

#include "db_internal.h"

static MYSQL_TIME
at(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s, unsigned long us)
{
    MYSQL_TIME t;

    memset(&t, 0, sizeof(t));
    t.year = y;
    t.month = mo;
    t.day = d;
    t.hour = h;
    t.minute = mi;
    t.second = s;
    t.second_part = us;
    t.time_type = MYSQL_TIMESTAMP_DATETIME;
    return t;
}

static void
test_time_iso(void **state)
{
    char out[DB_TIME_ISO_MAX];
    MYSQL_TIME t = at(2020, 1, 7, 15, 0, 0, 0);

    (void)state;
    assert_int_equal(db_time_iso(&t, 0, out), 20);
    assert_string_equal(out, "2020-01-07T15:00:00Z");
    t = at(2026, 12, 2, 1, 25, 47, 89546);
    assert_int_equal(db_time_iso(&t, 1, out), 27);
    assert_string_equal(out, "2026-12-02T01:25:47.089546Z");
    /* the ends of what a DATETIME holds, past 2038 too */
    t = at(1000, 1, 1, 0, 0, 0, 0);
    db_time_iso(&t, 1, out);
    assert_string_equal(out, "1000-01-01T00:00:00.000000Z");
    t = at(9999, 12, 31, 23, 59, 59, 999999);
    assert_int_equal(db_time_iso(&t, 1, out), DB_TIME_ISO_MAX - 1);
    assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
    t = at(2106, 2, 7, 6, 28, 16, 0);
    db_time_iso(&t, 0, out);
    assert_string_equal(out, "2106-02-07T06:28:16Z");
    /* nothing a column holds: none, not a wrong date */
    t = at(10000, 1, 1, 0, 0, 0, 0);
    assert_int_equal(db_time_iso(&t, 0, out), 0);
    assert_string_equal(out, "");
    t = at(2020, 13, 1, 0, 0, 0, 0);
    assert_int_equal(db_time_iso(&t, 0, out), 0);
    t = at(2020, 1, 1, 24, 0, 0, 0);
    assert_int_equal(db_time_iso(&t, 0, out), 0);
    t = at(2020, 1, 1, 0, 0, 0, 1000000);
    assert_int_equal(db_time_iso(&t, 1, out), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_iso),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
