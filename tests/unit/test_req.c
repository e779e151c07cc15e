/* test_req.c: the page-link builder of fcgi/req.c (included): a request's
 * query with another page, for the API's absolute next/previous links and
 * the site's relative pager links. */
#include "testutil.h"

#include "../../fcgi/req.c"

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
test_api_links(void **state)
{
    const char *base = "http://h/api/matches/";

    (void)state;
    assert_string_equal(req_link(&a, base, "", 0, 0, 1), base);
    assert_string_equal(req_link(&a, base, "", 0, 0, 2), "http://h/api/matches/?page=2");
    /* the parameters as they came, page replaced wherever it stood */
    assert_string_equal(req_link(&a, base, "page=3&state=2&page_size=5", 0, 0, 4),
                        "http://h/api/matches/?state=2&page_size=5&page=4");
    assert_string_equal(req_link(&a, base, "state=2&page=3", 0, 0, 1),
                        "http://h/api/matches/?state=2");
    /* empty ones kept for the API (they were given), pages= is no page */
    assert_string_equal(req_link(&a, base, "title=&pages=1&&x", 0, 0, 2),
                        "http://h/api/matches/?title=&pages=1&x&page=2");
}

static void
test_page_links(void **state)
{
    (void)state;
    /* page 1 of nothing: "?" (an empty href would be no link) */
    assert_string_equal(req_link(&a, "", "", 1, 1, 1), "?");
    assert_string_equal(req_link(&a, "", "page=2", 1, 1, 1), "?");
    assert_string_equal(req_link(&a, "", "", 1, 1, 3), "?page=3");
    /* the form's empty fields dropped */
    assert_string_equal(req_link(&a, "", "title=&state=2&team=&page=9", 1, 1, 2),
                        "?state=2&page=2");
    assert_string_equal(req_link(&a, "", "q=bayes%20x&flag", 1, 1, 1), "?q=bayes%20x");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_links),
        cmocka_unit_test(test_page_links),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
