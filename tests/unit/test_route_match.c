/* test_route_match.c: request paths against route patterns
 * (fcgi/route_match.c, included as test_param includes param.c). */
#include "testutil.h"

#include "../../fcgi/route_match.c"

/* route_match(pattern, path) is want; want_arg is the {id} it gives (NULL:
 * none). */
static void
expect(const char *pattern, const char *path, int want, const char *want_arg)
{
    struct arena a;
    const char *arg = NULL;
    int got;

    arena_init(&a, 256);
    got = route_match(pattern, path, &a, &arg);
    assert_int_equal(got, want);
    if (want_arg == NULL) {
        assert_null(arg);
    } else {
        assert_string_equal(arg, want_arg);
    }
    arena_cleanup(&a);
}

static void
test_plain(void **state)
{
    (void)state;
    expect("/api/matches/", "/api/matches/", 1, NULL);
    expect("/api/matches/", "/api/matches", 0, NULL);
    expect("/api/matches/", "/api/matches/x", 0, NULL);
    expect("/", "/", 1, NULL);
    expect("/", "", 0, NULL);
}

static void
test_id(void **state)
{
    (void)state;
    expect("/api/matches/{id}/", "/api/matches/42/", 1, "42");
    expect("/api/matches/{id}/", "/api/matches/0/", 1, "0");
    expect("/api/matches/{id}/messages/", "/api/matches/7/messages/", 1, "7");
    expect("/matches/{id}/", "/matches/99999999999999999999999/", 1, "99999999999999999999999");
    /* digits only, at least one, and the rest of the pattern around them */
    expect("/api/matches/{id}/", "/api/matches//", 0, NULL);
    expect("/api/matches/{id}/", "/api/matches/4a/", 0, NULL);
    expect("/api/matches/{id}/", "/api/matches/-1/", 0, NULL);
    expect("/api/matches/{id}/", "/api/matches/42", 0, NULL);
    expect("/api/matches/{id}/", "/api/matches/42/messages/", 0, NULL);
    expect("/api/matches/{id}/", "/api/matches/{id}/", 0, NULL);
    expect("/api/matches/{id}/", "/api/", 0, NULL);
    expect("/api/matches/{id}/", "", 0, NULL);
    expect("/api/matches/{id}/messages/", "/api/matches/1/messages", 0, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_id),
    };

    return cmocka_run_group_tests_name("route_match", tests, NULL, NULL);
}
