/* test_param.c: query-string parsing and the API's validators (fcgi/param.c,
 * included so its static helpers are reachable, as h2o's unit tests do). */
#include "testutil.h"

#include "../../fcgi/param.c"
#include "util.h"

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
    expect_error("title_id=0", "title_id", "from 1");
    expect_error("team_id=Bayes", "team_id", "whole number");
    expect_error("page=000", "page", "from 1");
    expect_error("date_start__gte=2020-01-07T14:30:00.0000000000000000000000000Z",
                 "date_start__gte", "not a date");
    memset(big, 'x', sizeof(big));
    memcpy(big, "title=", 6);
    big[sizeof(big) - 1] = '\0';
    expect_error(big, "title", "longer than 1024 bytes");
    big[6 + 256] = '\0';
    expect_error(big, "title", "longer than 255 characters");
    memset(big, 'x', sizeof(big));
    memcpy(big, "source=", 7);
    big[7 + 192] = '\0';
    expect_error(big, "source", "longer than 191 characters");
}

/* Parses qs into f expecting no error. */
static void
filter_of(const char *qs, struct match_filter *f)
{
    struct query q;
    struct param_errors e = {0};

    assert_int_equal(query_parse(qs, &a, &q, &e), RC_OK);
    param_match_filter(&q, &a, f, &e);
    if (e.n != 0) {
        fail_msg("%s: %s: %s", qs, e.name[0], e.msg[0]);
    }
}

/* Names are names whatever their first character; ids have their own
 * parameters. */
static void
test_names_and_ids(void **state)
{
    struct match_filter f;

    (void)state;
    filter_of("team=100%20Thieves&title=2XKO&tournament=2024+Spring", &f);
    assert_string_equal(f.team_key, "100 thieves");
    assert_string_equal(f.title_key, "2xko");
    assert_string_equal(f.tournament_key, "2024 spring");
    assert_int_equal(f.team_id, 0);
    assert_int_equal(f.title_id, 0);
    filter_of("team=7&team_id=7&title_id=3&tournament_id=12", &f);
    assert_string_equal(f.team_key, "7");
    assert_int_equal(f.team_id, 7);
    assert_int_equal(f.title_id, 3);
    assert_int_equal(f.tournament_id, 12);
    assert_null(f.tournament_key);
}

/* An empty value is an absent parameter (what an empty form field sends);
 * a name of white space is no filter either. */
static void
test_empty_is_absent(void **state)
{
    struct match_filter f;

    (void)state;
    filter_of("title=&tournament=&team=&title_id=&tournament_id=&team_id=&state="
              "&date_start__gte=&date_start__lte=&source=&ordering=&page=&page_size=",
              &f);
    assert_null(f.title_key);
    assert_null(f.team_key);
    assert_null(f.source);
    assert_int_equal(f.team_id, 0);
    assert_int_equal(f.has_state, 0);
    assert_int_equal(f.has_gte, 0);
    assert_int_equal(f.has_lte, 0);
    assert_int_equal(f.has_order, 0);
    assert_int_equal(f.order, ORDER_DATE_DESC);
    assert_int_equal(f.page, 1);
    assert_int_equal(f.page_size, PAGE_SIZE_DEFAULT);
    filter_of("team=+%C2%A0+&source=%20", &f);
    assert_null(f.team_key);
    assert_null(f.source);
}

/* Any page number from 1 is valid; the ones no list reaches read as
 * PAGE_BEYOND, a page past the end. */
static void
test_huge_pages(void **state)
{
    struct match_filter f;

    (void)state;
    filter_of("page=1536022769989019178458094239744000", &f);
    assert_int_equal(f.page, PAGE_BEYOND);
    filter_of("page=0042", &f);
    assert_int_equal(f.page, 42);
}

static void
test_filter(void **state)
{
    struct query q;
    struct param_errors e = {0};
    struct match_filter f;

    (void)state;
    assert_int_equal(query_parse("title=+OverCooked+&tournament_id=12&team=Bayes++Team+3&state=2"
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

static void
test_changes(void **state)
{
    static const struct {
        const char *qs, *name; /* name: the parameter named, NULL: valid */
        int64_t after, limit;
    } cases[] = {
        {"", NULL, 0, CHANGES_LIMIT_DEFAULT},
        {"after=&limit=", NULL, 0, CHANGES_LIMIT_DEFAULT},
        {"after=41&limit=7", NULL, 41, 7},
        {"after=9223372036854775807&limit=1000", NULL, INT64_MAX, 1000},
        {"after=9223372036854775808", "after", 0, 0},
        {"after=-1", "after", 0, 0},
        {"after=1e3", "after", 0, 0},
        {"after=%2B5", "after", 0, 0},
        {"after=%205", "after", 0, 0},
        {"limit=0", "limit", 0, 0},
        {"limit=1001", "limit", 0, 0},
        {"limit=12abc", "limit", 0, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct query q;
        struct param_errors e = {0};
        int64_t after, limit;

        assert_int_equal(query_parse(cases[i].qs, &a, &q, &e), RC_OK);
        param_changes(&q, &after, &limit, &e);
        if (cases[i].name == NULL) {
            if (e.n != 0 || after != cases[i].after || limit != cases[i].limit) {
                fail_msg("%s: %zu errors, after %lld, limit %lld", cases[i].qs, e.n,
                         (long long)after, (long long)limit);
            }
        } else if (e.n != 1 || strcmp(e.name[0], cases[i].name) != 0) {
            fail_msg("%s: expected one error on %s, got %zu", cases[i].qs, cases[i].name, e.n);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_names_and_ids),
        cmocka_unit_test(test_empty_is_absent),
        cmocka_unit_test(test_huge_pages),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_changes),
    };

    return cmocka_run_group_tests_name("param", tests, setup, teardown);
}
