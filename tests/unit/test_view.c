/* test_view.c: the pages' view models (fcgi/view.c, included with the
 * req.c whose links the pager uses): one match, the pager, the facets. */
#include "testutil.h"

#include "../../fcgi/req.c"
#include "../../fcgi/view.c"

static const char *
str(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static int
has(json_object *o, const char *key)
{
    return json_object_object_get_ex(o, key, NULL);
}

static int
flag(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void
test_match(void **state)
{
    struct team_view teams[2] = {
        {.id = 8, .name = "Bayes", .has_score = 1, .score = 2, .winner = TRI_TRUE},
        {.id = 9, .name = "", .winner = TRI_FALSE}};
    struct match_view m = {.id = 5,
                           .source = "s1",
                           .external_id = "e5",
                           .url = "javascript:alert(1)",
                           .has_state = 1,
                           .state = 3,
                           .date_start = "2020-01-07T14:30:00.123456Z",
                           .updated_at = "2020-01-07T15:00:09Z",
                           .title_name = "Overcooked",
                           .teams = teams,
                           .nteams = 2};
    json_object *o, *t;

    (void)state;
    o = view_match(&m);
    assert_string_equal(str(o, "href"), "/matches/5/");
    assert_string_equal(str(o, "state_label"), "Live");
    assert_string_equal(str(o, "state_class"), "live");
    assert_false(flag(o, "url_is_link")); /* only http(s) becomes a link */
    assert_string_equal(str(o, "date_start_iso"), "2020-01-07T14:30:00.123Z");
    assert_string_equal(str(o, "date_start"), "2020-01-07 14:30");
    assert_string_equal(str(o, "updated_at"), "2020-01-07 15:00:09");
    assert_false(has(o, "tournament"));
    assert_false(flag(o, "has_bestof"));
    assert_true(json_object_object_get_ex(o, "teams", &t));
    assert_int_equal(json_object_array_length(t), 2);
    assert_true(flag(json_object_array_get_idx(t, 0), "winner"));
    assert_false(flag(json_object_array_get_idx(t, 0), "last"));
    assert_string_equal(str(json_object_array_get_idx(t, 1), "name"), "(no name)");
    assert_true(flag(json_object_array_get_idx(t, 1), "loser"));
    assert_true(flag(json_object_array_get_idx(t, 1), "last"));
    json_object_put(o);

    m.url = "https://example.org/";
    m.state = 7;
    o = view_match(&m);
    assert_true(flag(o, "url_is_link"));
    assert_string_equal(str(o, "state_label"), "State 7");
    json_object_put(o);
}

static void
test_pager(void **state)
{
    struct req r;
    json_object *o;

    (void)state;
    memset(&r, 0, sizeof(r));
    arena_init(&r.arena, 4096);
    r.query = "state=2&page=2&title=";
    o = view_pager(&r, 2, 10, 35);
    assert_int_equal(json_object_get_int(json_object_object_get(o, "pages")), 4);
    assert_string_equal(str(o, "first"), "?state=2");
    assert_string_equal(str(o, "previous"), "?state=2");
    assert_string_equal(str(o, "next"), "?state=2&page=3");
    assert_string_equal(str(o, "last"), "?state=2&page=4");
    assert_true(flag(o, "several"));
    json_object_put(o);

    r.query = "";
    o = view_pager(&r, 1, 10, 0);
    assert_int_equal(json_object_get_int(json_object_object_get(o, "pages")), 1);
    assert_false(has(o, "first"));
    assert_false(has(o, "next"));
    assert_false(flag(o, "several"));
    json_object_put(o);
    arena_cleanup(&r.arena);
}

static void
test_facets(void **state)
{
    struct search_facet titles[2] = {{.id = 1, .name = "Overcooked", .count = 4},
                                     {.id = 2, .name = NULL, .count = 1}};
    struct search_facet tours[1] = {{.id = 3, .name = "Major", .count = 2}};
    struct search_result res = {0};
    struct req r;
    json_object *o;

    (void)state;
    memset(&r, 0, sizeof(r));
    arena_init(&r.arena, 4096);
    res.facets[FACET_TITLE] = titles;
    res.nfacets[FACET_TITLE] = 2;
    res.facets[FACET_TOURNAMENT] = tours;
    res.nfacets[FACET_TOURNAMENT] = 1;
    r.query = "q=bayes&page=3";
    o = view_facets(&r, &res);
    assert_int_equal(json_object_array_length(o), 3);
    assert_string_equal(str(json_object_array_get_idx(o, 0), "href"), "?q=bayes&title_id=1");
    assert_string_equal(str(json_object_array_get_idx(o, 1), "name"), "(none)");
    assert_string_equal(str(json_object_array_get_idx(o, 2), "field"), "tournament");
    json_object_put(o);

    /* a field already filtered has nothing to refine */
    r.q.n = 1;
    r.q.p[0].key = "title_id";
    r.q.p[0].val = "1";
    r.query = "q=bayes&title_id=1";
    o = view_facets(&r, &res);
    assert_int_equal(json_object_array_length(o), 1);
    assert_string_equal(str(json_object_array_get_idx(o, 0), "href"),
                        "?q=bayes&title_id=1&tournament_id=3");
    json_object_put(o);
    arena_cleanup(&r.arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_pager),
        cmocka_unit_test(test_facets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
