/* test_search.c: the engine's side of search (fcgi/search.c, included with
 * the param.c it reads the filters with): the _search body against the JSON
 * expected, an answer read back as match views and facets. */
#include "testutil.h"

#include "../../fcgi/param.c"
#include "../../fcgi/search.c"

#include "render_json.h"

/* got equals the JSON text want (object keys in any order). */
static void
assert_json(json_object *got, const char *want)
{
    json_object *w = json_tokener_parse(want);

    assert_non_null(w);
    if (!json_object_equal(got, w)) {
        fail_msg("got %s\nwant %s", json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN),
                 json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(w);
}

/* the engine sends only doc values (the ids; the views when asked), never
 * the documents */
#define IDS_ONLY "\"_source\":false,\"stored_fields\":\"_none_\",\"docvalue_fields\":[\"id\"]"
#define IDS_VIEWS                                                                                  \
    "\"_source\":false,\"stored_fields\":\"_none_\",\"docvalue_fields\":[\"id\",\"view\"]"

#define FIELDS "[\"teams.name^3\",\"teams.aliases^2\",\"tournament.name^2\",\"title.name\"]"
/* facets by id only: their names come from the database */
#define AGGS                                                                                       \
    "{\"title\":{\"terms\":{\"field\":\"title.id\",\"size\":20}},"                                 \
    "\"tournament\":{\"terms\":{\"field\":\"tournament.id\",\"size\":20}},"                        \
    "\"state\":{\"terms\":{\"field\":\"state\",\"size\":20}}}"

static void
test_body_by_relevance(void **state)
{
    struct match_filter f = {0};
    json_object *b;

    (void)state;
    f.page = 2;
    f.page_size = 10;
    f.title_key = "overcooked";
    f.team_id = 7;
    f.has_state = 1;
    f.state = 2;
    f.has_gte = 1;
    f.gte = 1577836800;
    b = search_body("bayes \"or\" *", &f, 0, 1, 0);
    assert_json(b, "{\"query\":{\"bool\":{\"should\":["
                   "{\"multi_match\":{\"query\":\"bayes \\\"or\\\" *\",\"type\":\"best_fields\","
                   "\"fields\":" FIELDS ",\"operator\":\"and\",\"fuzziness\":\"AUTO\"}}],"
                   "\"minimum_should_match\":1,\"filter\":["
                   "{\"term\":{\"title.name.key\":\"overcooked\"}},{\"term\":{\"teams.id\":7}},"
                   "{\"term\":{\"state\":2}},{\"range\":{\"date_start\":{\"gte\":1577836800,"
                   "\"format\":\"epoch_second\"}}}]}},"
                   "\"sort\":[\"_score\",{\"id\":{\"order\":\"desc\"}}],"
                   "\"from\":10,\"size\":10,\"track_total_hits\":true," IDS_ONLY ",\"aggs\":" AGGS
                   "}");
    json_object_put(b);
}

/* The first ask takes the words as typed, spread over the fields or not: one
 * clause, no typo allowed. */
static void
test_body_exact(void **state)
{
    struct match_filter f = {0};
    json_object *b;
    const char *text;

    (void)state;
    f.page = 1;
    f.page_size = 50;
    b = search_body("bayes", &f, 0, 0, 1);
    text = json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN);
    assert_null(strstr(text, "fuzziness"));
    assert_null(strstr(text, "\"type\":\"best_fields\""));
    assert_non_null(strstr(text, "\"type\":\"cross_fields\""));
    assert_non_null(strstr(text, IDS_VIEWS));
    json_object_put(b);
}

static void
test_body_ordered(void **state)
{
    struct match_filter f = {0};
    json_object *b, *v;

    (void)state;
    f.page = 1;
    f.page_size = 50;
    f.order = ORDER_DATE_ASC;
    f.has_order = 1;
    f.source = "s1";
    f.tournament_id = 3;
    f.tournament_key = "major";
    b = search_body("x", &f, 1, 1, 0);
    assert_true(json_object_object_get_ex(b, "sort", &v));
    assert_json(v, "[{\"date_start\":{\"order\":\"asc\",\"missing\":\"_last\"}},"
                   "{\"id\":{\"order\":\"asc\"}}]");
    assert_true(json_object_object_get_ex(b, "query", &v));
    assert_true(json_object_object_get_ex(v, "bool", &v));
    assert_true(json_object_object_get_ex(v, "filter", &v));
    assert_json(v, "[{\"term\":{\"tournament.id\":3}},{\"term\":{\"tournament.name.key\":"
                   "\"major\"}},{\"term\":{\"source\":\"s1\"}}]");
    json_object_put(b);

    f.order = ORDER_ID_DESC;
    b = search_body("x", &f, 1, 1, 0);
    assert_true(json_object_object_get_ex(b, "sort", &v));
    assert_json(v, "[{\"id\":{\"order\":\"desc\"}}]");
    json_object_put(b);
}

static void
test_params(void **state)
{
    struct arena a;
    struct query qs;
    struct param_errors e = {0};
    struct match_filter f;
    const char *q;
    int ordered;

    (void)state;
    arena_init(&a, 4096);
    assert_int_equal(query_parse("q=%20bayes%20&ordering=-id&page=3", &a, &qs, &e), RC_OK);
    assert_int_equal(search_check_params(&qs, &a, &q, &f, &ordered, &e), RC_OK);
    assert_string_equal(q, "bayes");
    assert_true(ordered);
    assert_int_equal(f.page, 3);
    assert_false(search_past_window(&f));
    f.page = SEARCH_WINDOW / f.page_size + 1;
    assert_true(search_past_window(&f));

    assert_int_equal(query_parse("q=%20%20", &a, &qs, &e), RC_OK);
    assert_int_equal(search_check_params(&qs, &a, &q, &f, &ordered, &e), RC_INVALID);
    assert_null(q);
    assert_string_equal(e.name[0], "q");
    arena_cleanup(&a);
}

static const char ANSWER[] =
    "{\"hits\":{\"total\":{\"value\":42,\"relation\":\"eq\"},\"hits\":["
    "{\"_id\":\"5\",\"fields\":{\"id\":[5]}},"
    "{\"_id\":\"6\"},"
    "{\"_id\":\"7\",\"fields\":{\"id\":[\"7\"]}},"
    "{\"_id\":\"8\",\"fields\":{\"id\":[-8]}},"
    "{\"_id\":\"9\",\"fields\":{\"id\":[9,10]}},"
    "{\"_id\":\"3\",\"fields\":{\"id\":[3]}}]},"
    "\"aggregations\":{\"title\":{\"buckets\":[{\"key\":1,\"doc_count\":40},"
    "{\"key\":2,\"doc_count\":2}]},"
    "\"state\":{\"buckets\":[{\"key\":2,\"doc_count\":41}]}}}";

static void
test_answer(void **state)
{
    struct arena a;
    struct search_result res;
    json_object *answer = json_tokener_parse(ANSWER);

    (void)state;
    arena_init(&a, 4096);
    assert_int_equal(search_read_answer(answer, &a, &res), RC_OK);
    assert_int_equal(res.count, 42);
    /* in the engine's order; a hit without one whole positive id is left out */
    assert_int_equal(res.n, 2);
    assert_int_equal(res.ms[0].id, 5);
    assert_int_equal(res.ms[1].id, 3);
    assert_null(res.ms[0].source); /* the row comes from the database */
    assert_null(res.views[0].json);
    assert_null(res.views[1].json);
    assert_int_equal(res.nfacets[FACET_TITLE], 2);
    assert_int_equal(res.facets[FACET_TITLE][0].id, 1);
    assert_null(res.facets[FACET_TITLE][0].name); /* from the database, later */
    assert_int_equal(res.facets[FACET_TITLE][0].count, 40);
    assert_int_equal(res.facets[FACET_TITLE][1].id, 2);
    assert_int_equal(res.nfacets[FACET_TOURNAMENT], 0);
    assert_int_equal(res.facets[FACET_STATE][0].value, 2);
    json_object_put(answer);

    /* what the engine sends, filtered to ANSWER_PARTS, when nothing matches */
    answer = json_tokener_parse("{\"hits\":{\"total\":{\"value\":0,\"relation\":\"eq\"}}}");
    assert_int_equal(search_read_answer(answer, &a, &res), RC_OK);
    assert_int_equal(res.count, 0);
    assert_int_equal(res.n, 0);
    assert_int_equal(res.nfacets[FACET_TITLE], 0);
    json_object_put(answer);

    answer = json_tokener_parse("{\"hits\":{\"hits\":{}}}");
    assert_int_equal(search_read_answer(answer, &a, &res), RC_INVALID);
    json_object_put(answer);

    answer = json_tokener_parse("{\"error\":\"x\"}");
    assert_int_equal(search_read_answer(answer, &a, &res), RC_INVALID);
    json_object_put(answer);
    arena_cleanup(&a);
}

/* A hit's view is kept only when it is that match's document: a string
 * {"id":<the hit's id>,...} with no control byte; anything else is left
 * unread (the row then comes from the database). */
static void
test_answer_views(void **state)
{
    static const char answer_text[] =
        "{\"hits\":{\"total\":{\"value\":9},\"hits\":["
        "{\"fields\":{\"id\":[1],\"view\":[\"{\\\"id\\\":1,\\\"source\\\":\\\"s\\\"}\"]}},"
        "{\"fields\":{\"id\":[2],\"view\":[\"{\\\"id\\\":12,\\\"source\\\":\\\"s\\\"}\"]}},"
        "{\"fields\":{\"id\":[3],\"view\":[\"{\\\"id\\\":3,\\\"x\\\":\\\"a\\\\u0000b\\\"}\"]}},"
        "{\"fields\":{\"id\":[4],\"view\":[\"{\\\"id\\\":4,\\\"x\\\":\\\"a\\nb\\\"}\"]}},"
        "{\"fields\":{\"id\":[5],\"view\":[\"{\\\"id\\\":5,\\\"x\\\":1\"]}},"
        "{\"fields\":{\"id\":[6],\"view\":[{\"id\":6}]}},"
        "{\"fields\":{\"id\":[7],\"view\":[\"{\\\"id\\\":7,}\",\"{}\"]}},"
        "{\"fields\":{\"id\":[8],\"view\":[\"{\\\"id\\\":8,\\\"\\u00e9\\\":[]}\"]}},"
        "{\"fields\":{\"id\":[9],\"view\":\"{\\\"id\\\":9,\\\"x\\\":1}\"}},"
        "{\"fields\":{\"id\":[10],\"view\":[\"{\\\"id\\\":10,\\\"x\\\":\\\"\xff\\\"}\"]}}]}}";
    struct arena a;
    struct search_result res;
    json_object *answer = json_tokener_parse(answer_text);
    size_t i;

    (void)state;
    assert_non_null(answer);
    arena_init(&a, 4096);
    assert_int_equal(search_read_answer(answer, &a, &res), RC_OK);
    assert_int_equal(res.n, 10);
    for (i = 0; i < res.n; i++) {
        assert_int_equal(res.ms[i].id, i + 1);
    }
    assert_string_equal(res.views[0].json, "{\"id\":1,\"source\":\"s\"}");
    assert_int_equal(res.views[0].len, strlen(res.views[0].json));
    assert_null(res.views[1].json); /* another match's (12, not 2) */
    /* an escaped NUL in the view's JSON is six characters, not a NUL */
    assert_string_equal(res.views[2].json, "{\"id\":3,\"x\":\"a\\u0000b\"}");
    assert_null(res.views[3].json); /* a raw new line: not render_json's */
    assert_null(res.views[4].json); /* cut short */
    assert_null(res.views[5].json); /* not a string */
    assert_null(res.views[6].json); /* two values */
    assert_string_equal(res.views[7].json, "{\"id\":8,\"\xc3\xa9\":[]}");
    assert_null(res.views[8].json); /* not a list */
    assert_null(res.views[9].json); /* not UTF-8 */
    json_object_put(answer);
    arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_by_relevance),
        cmocka_unit_test(test_body_exact),
        cmocka_unit_test(test_body_ordered),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_answer_views),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
