/* test_param.c: query-string parsing and the API's validators (fcgi/param.c,
 * included so its static helpers are reachable, as h2o's unit tests do). */
#include "testutil.h"

#include "../../fcgi/param.c"

static struct arena a;

static int
setup(void **state)
{
    (void)state;
    arena_init(&a, 4096);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    arena_cleanup(&a);
    return 0;
}

static void
test_parse(void **state)
{
    struct query q;
    struct param_errors e = {0};

    (void)state;
    assert_int_equal(
        query_parse("title=Over+cooked&team=Bayes%20Team%202&&empty=&flag", &a, &q, &e), RC_OK);
    assert_string_equal(query_get(&q, "title", &e), "Over cooked");
    assert_string_equal(query_get(&q, "team", &e), "Bayes Team 2");
    assert_string_equal(query_get(&q, "empty", &e), "");
    assert_string_equal(query_get(&q, "flag", &e), "");
    assert_null(query_get(&q, "missing", &e));
    assert_int_equal(e.n, 0);
}

/* Parses qs and expects one error, on name. */
static void
expect_error(const char *qs, const char *name, const char *msg)
{
    struct query q;
    struct param_errors e = {0};
    struct match_filter f;

    if (query_parse(qs, &a, &q, &e) == RC_OK) {
        param_match_filter(&q, &a, &f, &e);
    }
    if (e.n != 1 || strcmp(e.name[0], name) != 0 || strstr(e.msg[0], msg) == NULL) {
        fail_msg("%s: got %zu errors, first %s: %s", qs, e.n, e.n ? e.name[0] : "-",
                 e.n ? e.msg[0] : "-");
    }
}

static void
test_errors(void **state)
{
    char big[2100];

    (void)state;
    expect_error("state=%zz", "state", "percent-encoding");
    expect_error("state=%4", "state", "percent-encoding");
    expect_error("team=%00", "team", "percent-encoding");
    expect_error("title=%ff", "title", "UTF-8");
    expect_error("%zz=1", "query", "percent-encoded");
    expect_error("state=1&state=2", "state", "more than once");
    expect_error("state=abc", "state", "whole number");
    expect_error("page=0", "page", "from 1");
    expect_error("page=-1", "page", "from 1");
    expect_error("page_size=501", "page_size", "1 to 500");
    expect_error("date_start__gte=2020-13-45", "date_start__gte", "not a date");
    expect_error("ordering=foo", "ordering", "one of");
    expect_error("title=0", "title", "id must be");
    expect_error("team=+++", "team", "name or an id");
    memset(big, 'x', sizeof(big));
    memcpy(big, "title=", 6);
    big[sizeof(big) - 1] = '\0';
    expect_error(big, "title", "longer than 1024 bytes");
}

static void
test_filter(void **state)
{
    struct query q;
    struct param_errors e = {0};
    struct match_filter f;

    (void)state;
    assert_int_equal(query_parse("title=+OverCooked+&tournament=12&team=Bayes++Team+3&state=2"
                                 "&date_start__gte=2020-01-07&date_start__lte=2020-01-07"
                                 "&source=source1&ordering=-id&page=3&page_size=20&unknown=1",
                                 &a, &q, &e),
                     RC_OK);
    param_match_filter(&q, &a, &f, &e);
    assert_int_equal(e.n, 0);
    assert_string_equal(f.title_key, "overcooked");
    assert_int_equal(f.tournament_id, 12);
    assert_null(f.tournament_key);
    assert_string_equal(f.team_key, "bayes team 3");
    assert_int_equal(f.state, 2);
    assert_int_equal(f.gte, 1578355200);
    assert_int_equal(f.lte, 1578355200 + 86399); /* a bare date includes its whole day */
    assert_string_equal(f.source, "source1");
    assert_int_equal(f.order, ORDER_ID_DESC);
    assert_int_equal(f.page, 3);
    assert_int_equal(f.page_size, 20);

    assert_int_equal(query_parse("", &a, &q, &e), RC_OK);
    param_match_filter(&q, &a, &f, &e);
    assert_int_equal(f.order, ORDER_DATE_DESC);
    assert_int_equal(f.page, 1);
    assert_int_equal(f.page_size, PAGE_SIZE_DEFAULT);
}

static void
test_ids(void **state)
{
    uint64_t id;

    (void)state;
    assert_int_equal(param_id("42", &id), RC_OK);
    assert_int_equal(id, 42);
    assert_int_equal(param_id("0", &id), RC_INVALID);
    assert_int_equal(param_id("4x", &id), RC_INVALID);
    assert_int_equal(param_id("99999999999999999999", &id), RC_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_ids),
    };

    return cmocka_run_group_tests_name("param", tests, setup, teardown);
}
