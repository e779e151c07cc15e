/* test_cache.c: the workers' response cache (fcgi/cache.c, included as
 * test_route_match includes route_match.c): served only at the version it
 * was rendered at, bounded by the bytes it is given, 0 keeping nothing. */
#include "testutil.h"

#include "../../fcgi/cache.c"

/* cache_run's partners, which these tests do not reach */
const char *
req_origin(struct req *r)
{
    (void)r;
    fail();
    return "";
}

void
resp_result(struct req *r, enum answer answer, int rc)
{
    (void)r, (void)answer, (void)rc;
    fail();
}

void
resp_cached(struct req *r, enum answer answer, const char *etag)
{
    (void)r, (void)answer, (void)etag;
    fail();
}

int
view_ingest_stalled(struct req *r)
{
    (void)r;
    fail();
    return 0;
}

static int
get(struct cache *c, const char *key, uint64_t version, const char *want)
{
    buf_t out;
    char etag[24] = "";
    int rc;

    buf_init(&out, 0);
    rc = cache_get(c, key, version, &out, etag);
    if (rc == RC_OK) {
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);
        assert_string_equal(etag, "\"e1\"");
    }
    buf_cleanup(&out);
    return rc;
}

static void
test_served_at_its_version_only(void **state)
{
    struct cache *c = cache_new(1024);

    (void)state;
    assert_int_equal(get(c, "/api/matches/", 1, ""), RC_NOTFOUND);
    cache_put(c, "/api/matches/", 1, "[1]", 3, "\"e1\"");
    assert_int_equal(get(c, "/api/matches/", 1, "[1]"), RC_OK);
    assert_int_equal(get(c, "/api/matches/", 2, ""), RC_NOTFOUND);
    assert_int_equal(get(c, "/api/matches/?page=2", 1, ""), RC_NOTFOUND);
    cache_put(c, "/api/matches/", 2, "[2]", 3, "\"e1\"");
    assert_int_equal(get(c, "/api/matches/", 2, "[2]"), RC_OK);
    assert_int_equal(get(c, "/api/matches/", 1, ""), RC_NOTFOUND);
    assert_int_equal(c->bytes, 3);
    cache_free(c);
}

static void
test_bounded_by_its_bytes(void **state)
{
    struct cache *c = cache_new(100);
    char body[101];
    char key[32];
    int i, kept = 0;

    (void)state;
    memset(body, 'x', sizeof(body));
    /* larger than the whole budget: never kept */
    cache_put(c, "/big", 1, body, 101, "\"e1\"");
    assert_int_equal(get(c, "/big", 1, ""), RC_NOTFOUND);
    assert_int_equal(c->bytes, 0);
    /* exactly the budget fits */
    cache_put(c, "/exact", 1, body, 100, "\"e1\"");
    assert_int_equal(c->bytes, 100);
    /* many small ones: never more than the budget held */
    for (i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "/k%d", i);
        cache_put(c, key, 1, body, 30, "\"e1\"");
        assert_true(c->bytes <= 100);
    }
    for (i = 0; i < 50; i++) {
        buf_t out;
        char etag[24];

        snprintf(key, sizeof(key), "/k%d", i);
        buf_init(&out, 0);
        kept += cache_get(c, key, 1, &out, etag) == RC_OK;
        buf_cleanup(&out);
    }
    assert_true(kept >= 1 && kept <= 3);
    /* the newest is always there */
    assert_int_equal(get(c, "/k49", 1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), RC_OK);
    cache_free(c);
}

static void
test_zero_keeps_nothing(void **state)
{
    struct cache *c = cache_new(0);

    (void)state;
    cache_put(c, "/", 1, "x", 1, "\"e1\"");
    assert_int_equal(get(c, "/", 1, ""), RC_NOTFOUND);
    cache_put(c, "/empty", 1, "", 0, "\"e1\"");
    assert_int_equal(c->bytes, 0);
    cache_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served_at_its_version_only),
        cmocka_unit_test(test_bounded_by_its_bytes),
        cmocka_unit_test(test_zero_keeps_nothing),
    };

    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
