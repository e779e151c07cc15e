/* test_idcache.c: the consumer's key -> (id, name) memory. */
#include "testutil.h"

#include "idcache.h"
#include "rc.h"

static void
test_get_put(void **state)
{
    struct idcache *c = idcache_new();
    uint64_t id = 0;

    (void)state;
    assert_int_equal(idcache_count(c), 0);
    assert_int_equal(idcache_get(c, "bayes team", NULL, &id), RC_NOTFOUND);
    idcache_put(c, "bayes team", "Bayes Team", 7);
    assert_int_equal(idcache_count(c), 1);
    assert_int_equal(idcache_get(c, "bayes team", NULL, &id), RC_OK);
    assert_int_equal(id, 7);
    /* the same name, or none given: a hit */
    id = 0;
    assert_int_equal(idcache_get(c, "bayes team", "Bayes Team", &id), RC_OK);
    assert_int_equal(id, 7);
    assert_int_equal(idcache_get(c, "bayes team", "", &id), RC_OK);
    /* another spelling of the same key: the row must be updated, a miss */
    assert_int_equal(idcache_get(c, "bayes team", "BAYES team", &id), RC_NOTFOUND);
    /* a put without a name keeps the cached one */
    idcache_put(c, "bayes team", NULL, 8);
    assert_int_equal(idcache_count(c), 1);
    assert_int_equal(idcache_get(c, "bayes team", "Bayes Team", &id), RC_OK);
    assert_int_equal(id, 8);
    idcache_put(c, "bayes team", "BAYES team", 8);
    assert_int_equal(idcache_get(c, "bayes team", "BAYES team", &id), RC_OK);
    idcache_clear(c);
    assert_int_equal(idcache_count(c), 0);
    assert_int_equal(idcache_get(c, "bayes team", NULL, &id), RC_NOTFOUND);
    idcache_free(c);
    idcache_free(NULL);
}

/* Many keys: the map grows and keeps every one. */
static void
test_growth(void **state)
{
    struct idcache *c = idcache_new();
    char key[32];
    uint64_t id;

    (void)state;
    for (uint64_t i = 1; i <= 20000; i++) {
        snprintf(key, sizeof(key), "team %llu", (unsigned long long)i);
        idcache_put(c, key, key, i);
    }
    assert_int_equal(idcache_count(c), 20000);
    for (uint64_t i = 1; i <= 20000; i++) {
        snprintf(key, sizeof(key), "team %llu", (unsigned long long)i);
        assert_int_equal(idcache_get(c, key, key, &id), RC_OK);
        assert_int_equal(id, i);
    }
    assert_int_equal(idcache_get(c, "team 0", NULL, &id), RC_NOTFOUND);
    idcache_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_put),
        cmocka_unit_test(test_growth),
    };

    return cmocka_run_group_tests_name("idcache", tests, NULL, NULL);
}
