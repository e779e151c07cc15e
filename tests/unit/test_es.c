/* test_es.c: the _bulk answer read back item by item (canned answers, no
 * engine): all confirmed, some refused, malformed. */
#include "testutil.h"

#include <json-c/json.h>

#include "es.h"
#include "rc.h"
#include "util.h"

/* A bulk of three operations: two index, one delete. */
static void
three(struct es_bulk *b)
{
    json_object *doc = json_object_new_object();

    es_bulk_init(b);
    json_object_object_add(doc, "id", json_object_new_int(1));
    es_bulk_index(b, "matches", "1", doc);
    es_bulk_index(b, "matches", "2", doc);
    es_bulk_delete(b, "matches", "3");
    json_object_put(doc);
}

static int
read_answer(struct es_bulk *b, const char *text, char *err, size_t n)
{
    json_object *answer = text ? json_tokener_parse(text) : NULL;
    int rc = es_bulk_read(b, answer, err, n);

    json_object_put(answer);
    return rc;
}

static void
test_body(void **state)
{
    struct es_bulk b;

    (void)state;
    three(&b);
    assert_int_equal(b.n, 3);
    assert_string_equal(b.body.data, "{\"index\":{\"_index\":\"matches\",\"_id\":\"1\"}}\n"
                                     "{\"id\":1}\n"
                                     "{\"index\":{\"_index\":\"matches\",\"_id\":\"2\"}}\n"
                                     "{\"id\":1}\n"
                                     "{\"delete\":{\"_index\":\"matches\",\"_id\":\"3\"}}\n");
    es_bulk_reset(&b);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.body.len, 0);
    es_bulk_cleanup(&b);
    es_bulk_cleanup(NULL);
}

static void
test_all_ok(void **state)
{
    struct es_bulk b;
    char err[128] = "";

    (void)state;
    three(&b);
    assert_int_equal(
        read_answer(&b,
                    "{\"took\":3,\"errors\":false,\"items\":["
                    "{\"index\":{\"_id\":\"1\",\"status\":201,\"result\":\"created\"}},"
                    "{\"index\":{\"_id\":\"2\",\"status\":200,\"result\":\"updated\"}},"
                    "{\"delete\":{\"_id\":\"3\",\"status\":404,\"result\":\"not_found\"}}"
                    "]}",
                    err, sizeof(err)),
        RC_OK);
    assert_int_equal(b.nok, 3);
    assert_int_equal(b.nfailed, 0);
    assert_int_equal(b.items[0].status, 201);
    assert_true(b.items[0].ok);
    assert_string_equal(b.items[0].id, "1");
    assert_int_equal(b.items[2].status, 404); /* a delete of a missing document is done */
    assert_true(b.items[2].ok);
    assert_string_equal(err, "");
    es_bulk_cleanup(&b);
}

static void
test_item_failures(void **state)
{
    struct es_bulk b;
    char err[128] = "";

    (void)state;
    three(&b);
    assert_int_equal(
        read_answer(&b,
                    "{\"errors\":true,\"items\":["
                    "{\"index\":{\"_id\":\"1\",\"status\":400,\"error\":{\"type\":"
                    "\"strict_dynamic_mapping_exception\",\"reason\":\"mapping set to strict\"}}},"
                    "{\"index\":{\"_id\":\"2\",\"status\":429}},"
                    "{\"delete\":{\"_id\":\"3\",\"status\":404}}"
                    "]}",
                    err, sizeof(err)),
        RC_OK);
    assert_int_equal(b.nok, 0);
    assert_int_equal(b.nfailed, 3);
    assert_false(b.items[0].ok);
    assert_int_equal(b.items[0].status, 400);
    assert_string_equal(b.items[0].error,
                        "strict_dynamic_mapping_exception: mapping set to strict");
    assert_string_equal(b.items[1].error, "status 429");
    /* a 404 without a result is no delete that was done */
    assert_false(b.items[2].ok);
    assert_string_equal(b.items[2].error, "status 404");

    /* the same bulk read again: the earlier results are gone */
    assert_int_equal(read_answer(&b,
                                 "{\"items\":[{\"index\":{\"status\":200}},"
                                 "{\"index\":{\"status\":500,\"error\":\"flat\"}},"
                                 "{\"delete\":{}}]}",
                                 err, sizeof(err)),
                     RC_OK);
    assert_int_equal(b.nok, 1);
    assert_int_equal(b.nfailed, 2);
    assert_true(b.items[0].ok);
    assert_string_equal(b.items[0].error, "");
    assert_string_equal(b.items[1].error, "status 500");
    assert_int_equal(b.items[2].status, 0);
    assert_string_equal(b.items[2].error, "no result for this item");
    es_bulk_cleanup(&b);
}

static void
test_malformed(void **state)
{
    static const char *const answers[] = {
        NULL,                                         /* no JSON at all */
        "{\"errors\":false}",                         /* no items */
        "{\"items\":{}}",                             /* not an array */
        "{\"items\":[{\"index\":{\"status\":201}}]}", /* one result for three items */
        "[1,2,3]",
    };
    struct es_bulk b;

    (void)state;
    three(&b);
    for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
        char err[128] = "";

        assert_int_equal(read_answer(&b, answers[i], err, sizeof(err)), RC_ERR);
        assert_string_equal(err, "bulk answer without one result per item");
        assert_int_equal(b.nok, 0);
        assert_int_equal(b.nfailed, 3);
        for (size_t k = 0; k < b.n; k++) {
            assert_false(b.items[k].ok);
            assert_string_equal(b.items[k].error, err);
        }
    }
    es_bulk_cleanup(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_all_ok),
        cmocka_unit_test(test_item_failures),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests_name("es", tests, NULL, NULL);
}
