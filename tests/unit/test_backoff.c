/* test_backoff.c: the capped exponential delay. */
#include "testutil.h"

#include "backoff.h"

static void
test_doubling_capped(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 100, 1000);
    assert_int_equal(backoff_next(&b), 100);
    assert_int_equal(backoff_next(&b), 200);
    assert_int_equal(backoff_next(&b), 400);
    assert_int_equal(backoff_next(&b), 800);
    assert_int_equal(backoff_next(&b), 1000);
    assert_int_equal(backoff_next(&b), 1000);
    assert_int_equal(b.delay_ms, 1000);
    backoff_reset(&b);
    assert_int_equal(b.delay_ms, 100);
    assert_int_equal(backoff_next(&b), 100);
}

/* A cap that is no power of two times the start, or below the start. */
static void
test_odd_caps(void **state)
{
    struct backoff b;

    (void)state;
    backoff_init(&b, 200, 500);
    assert_int_equal(backoff_next(&b), 200);
    assert_int_equal(backoff_next(&b), 400);
    assert_int_equal(backoff_next(&b), 500);
    assert_int_equal(backoff_next(&b), 500);
    backoff_init(&b, 100, 50);
    assert_int_equal(backoff_next(&b), 100); /* the first delay as given */
    assert_int_equal(backoff_next(&b), 50);
    /* no overflow however long it goes on */
    backoff_init(&b, 1, 0x7fffffffL);
    for (int i = 0; i < 100; i++) {
        assert_true(backoff_next(&b) > 0);
    }
    assert_int_equal(b.delay_ms, 0x7fffffffL);
}

static void
test_sleep(void **state)
{
    (void)state;
    backoff_sleep_ms(0);
    backoff_sleep_ms(1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubling_capped),
        cmocka_unit_test(test_odd_caps),
        cmocka_unit_test(test_sleep),
    };

    return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
