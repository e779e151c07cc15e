/* test_search_doc.c: the search document of a match view, queued into a bulk
 * (no engine) and parsed back with json-c: its fields and values, what a
 * match without date or tournament gives, escaping, the teams' aliases, the
 * view (the API's JSON of the match, byte for byte), and the name of a new
 * concrete index. */
#include "testutil.h"

#include <json-c/json.h>

#include "mapping.h"
#include "rc.h"
#include "render_json.h"
#include "search_doc.h"
#include "util.h"

/* The keys of a document and of each team, in the order rendered. */
static const char *const doc_keys[] = {
    "id",         "fixture_id", "source",     "external_id", "url",        "state",     "bestof",
    "date_start", "title",      "tournament", "teams",       "updated_at", MAPPING_VIEW};
static const char *const team_keys[] = {"id", "identity_id", "name", "score", "winner"};

static struct team_view teams[2];

/* A finished match of two teams with every field given. */
static struct match_view
full(void)
{
    struct match_view m;

    memset(&m, 0, sizeof(m));
    memset(teams, 0, sizeof(teams));
    m.id = 42;
    m.fixture_id = 40;
    m.source = "src-a";
    m.external_id = "m-1";
    m.url = "https://example.org/m/1";
    m.has_state = 1;
    m.state = 2;
    m.has_bestof = 1;
    m.bestof = 3;
    m.date_start = "2020-01-07T15:00:00Z";
    m.title_id = 7;
    m.title_name = "Dota 2";
    m.tournament_id = 8;
    m.tournament_name = "ESL One";
    m.updated_at = "2020-01-07T16:30:00.123456Z";
    teams[0] = (struct team_view){.id = 100,
                                  .name = "Bayes",
                                  .has_score = 1,
                                  .score = 2,
                                  .winner = TRI_TRUE,
                                  .identity_id = 100};
    teams[1] = (struct team_view){.id = 101,
                                  .name = "Ninjas",
                                  .has_score = 1,
                                  .score = 1,
                                  .winner = TRI_FALSE,
                                  .identity_id = 99};
    m.nteams = 2;
    m.teams = teams;
    return m;
}

/* Line k (from 0) of the bulk's NDJSON body, parsed; put it. */
static json_object *
line(const struct es_bulk *b, size_t k)
{
    const char *p = b->body.data, *end;
    json_object *o;
    char *text;

    assert_non_null(p);
    for (; k > 0; k--) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    end = strchr(p, '\n');
    assert_non_null(end);
    text = xstrndup(p, (size_t)(end - p));
    o = json_tokener_parse(text);
    if (o == NULL) {
        fail_msg("line does not parse: %s", text);
    }
    free(text);
    return o;
}

/* The document of m, alone in a bulk for index "matches" (also checks the
 * action line before it, and that its view is render_json_match's text of
 * m). Put it. */
static json_object *
doc_of(const struct match_view *m)
{
    struct es_bulk b;
    buf_t scratch, api;
    json_object *action, *meta, *v, *doc;
    char id[24];

    es_bulk_init(&b);
    buf_init(&scratch, 0);
    assert_int_equal(search_doc_bulk_add(&b, "matches", m, &scratch), RC_OK);
    assert_int_equal(b.n, 1);
    snprintf(id, sizeof(id), "%llu", (unsigned long long)m->id);
    assert_string_equal(b.items[0].id, id);
    action = line(&b, 0);
    assert_true(json_object_object_get_ex(action, "index", &meta));
    assert_int_equal(json_object_object_length(action), 1);
    assert_true(json_object_object_get_ex(meta, "_index", &v));
    assert_string_equal(json_object_get_string(v), "matches");
    assert_true(json_object_object_get_ex(meta, "_id", &v));
    assert_string_equal(json_object_get_string(v), id);
    json_object_put(action);
    doc = line(&b, 1);
    /* two lines, no more: no raw line break inside a document */
    assert_int_equal(strlen(b.body.data), b.body.len);
    assert_null(strchr(strchr(strchr(b.body.data, '\n') + 1, '\n') + 1, '\n'));
    assert_int_equal(b.body.data[b.body.len - 1], '\n');
    buf_init(&api, 0);
    render_json_match(&api, m);
    assert_true(json_object_object_get_ex(doc, MAPPING_VIEW, &v));
    assert_true(json_object_is_type(v, json_type_string));
    assert_int_equal((size_t)json_object_get_string_len(v), api.len);
    assert_memory_equal(json_object_get_string(v), api.data, api.len);
    buf_cleanup(&api);
    buf_cleanup(&scratch);
    es_bulk_cleanup(&b);
    return doc;
}

static json_object *
get(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
    }
    return v;
}

static void
assert_str(json_object *o, const char *key, const char *want)
{
    json_object *v = get(o, key);

    assert_true(json_object_is_type(v, json_type_string));
    assert_string_equal(json_object_get_string(v), want);
}

static void
assert_int(json_object *o, const char *key, int64_t want)
{
    json_object *v = get(o, key);

    assert_true(json_object_is_type(v, json_type_int));
    assert_int_equal(json_object_get_int64(v), want);
}

static void
assert_json_null(json_object *o, const char *key)
{
    assert_null(get(o, key));
}

/* o has exactly these keys, in this order. */
static void
assert_keys(json_object *o, const char *const *keys, size_t n)
{
    size_t i = 0;

    assert_true(json_object_is_type(o, json_type_object));
    json_object_object_foreach(o, k, v)
    {
        (void)v;
        assert_true(i < n);
        assert_string_equal(k, keys[i]);
        i++;
    }
    assert_int_equal(i, n);
}

static void
test_fields(void **state)
{
    struct match_view m = full();
    json_object *doc = doc_of(&m), *t, *list;

    (void)state;
    assert_keys(doc, doc_keys, ARRAY_SIZE(doc_keys));
    assert_int(doc, "id", 42);
    assert_int(doc, "fixture_id", 40);
    assert_str(doc, "source", "src-a");
    assert_str(doc, "external_id", "m-1");
    assert_str(doc, "url", "https://example.org/m/1");
    assert_int(doc, "state", 2);
    assert_int(doc, "bestof", 3);
    assert_str(doc, "date_start", "2020-01-07T15:00:00Z");
    assert_int(get(doc, "title"), "id", 7);
    assert_str(get(doc, "title"), "name", "Dota 2");
    assert_int_equal(json_object_object_length(get(doc, "title")), 2);
    assert_int(get(doc, "tournament"), "id", 8);
    assert_str(get(doc, "tournament"), "name", "ESL One");
    assert_str(doc, "updated_at", "2020-01-07T16:30:00.123456Z");
    list = get(doc, "teams");
    assert_true(json_object_is_type(list, json_type_array));
    assert_int_equal(json_object_array_length(list), 2);
    t = json_object_array_get_idx(list, 0);
    assert_keys(t, team_keys, ARRAY_SIZE(team_keys));
    assert_int(t, "id", 100);
    assert_int(t, "identity_id", 100);
    assert_str(t, "name", "Bayes");
    assert_int(t, "score", 2);
    assert_true(json_object_get_boolean(get(t, "winner")));
    assert_true(json_object_is_type(get(t, "winner"), json_type_boolean));
    t = json_object_array_get_idx(list, 1);
    assert_keys(t, team_keys, ARRAY_SIZE(team_keys));
    assert_int(t, "id", 101);
    assert_int(t, "identity_id", 99);
    assert_str(t, "name", "Ninjas");
    assert_int(t, "score", 1);
    assert_true(json_object_is_type(get(t, "winner"), json_type_boolean));
    assert_false(json_object_get_boolean(get(t, "winner")));
    json_object_put(doc);
}

static void
test_absent(void **state)
{
    struct match_view m = full();
    json_object *doc, *t;

    (void)state;
    /* no url, state, bestof, date, title or tournament; a team without a
     * score or winner, another with a score of 0 and no winner yet */
    m.url = NULL;
    m.has_state = 0;
    m.has_bestof = 0;
    m.date_start = NULL;
    m.title_id = 0;
    m.tournament_id = 0;
    m.tournament_name = "ignored without an id";
    teams[0].has_score = 0;
    teams[0].winner = TRI_NULL;
    teams[1].score = 0;
    teams[1].winner = TRI_NULL;
    doc = doc_of(&m);
    assert_keys(doc, doc_keys, ARRAY_SIZE(doc_keys));
    assert_json_null(doc, "url");
    assert_json_null(doc, "state");
    assert_json_null(doc, "bestof");
    assert_json_null(doc, "date_start");
    assert_json_null(doc, "title");
    assert_json_null(doc, "tournament");
    t = json_object_array_get_idx(get(doc, "teams"), 0);
    assert_json_null(t, "score");
    assert_json_null(t, "winner");
    t = json_object_array_get_idx(get(doc, "teams"), 1);
    assert_int(t, "score", 0);
    assert_json_null(t, "winner");
    json_object_put(doc);

    /* a tournament with an id but no name has the name "", no teams an empty list */
    m.tournament_id = 8;
    m.tournament_name = NULL;
    m.nteams = 0;
    doc = doc_of(&m);
    assert_str(get(doc, "tournament"), "name", "");
    assert_int_equal(json_object_array_length(get(doc, "teams")), 0);
    json_object_put(doc);
}

static void
test_escaping(void **state)
{
    static const char quoted[] = "\"Quoted\" \\back\\slash\\";
    static const char control[] = "a\x01"
                                  "b\x1f"
                                  "c\td\ne\rf\x7f";
    static const char utf8[] = "Óvoda Kör Команда 1 🐉";
    static const char markup[] = "</script><b>ESL</b> & 'One'";
    struct match_view m = full();
    json_object *doc, *t;

    (void)state;
    m.source = "src \"a\"";
    m.external_id = "id\\1";
    m.url = "https://example.org/?a=1&b=\"2\"";
    m.title_name = utf8;
    m.tournament_name = markup;
    teams[0].name = quoted;
    teams[1].name = control;
    doc = doc_of(&m);
    assert_str(doc, "source", "src \"a\"");
    assert_str(doc, "external_id", "id\\1");
    assert_str(doc, "url", "https://example.org/?a=1&b=\"2\"");
    assert_str(get(doc, "title"), "name", utf8);
    assert_str(get(doc, "tournament"), "name", markup);
    t = json_object_array_get_idx(get(doc, "teams"), 0);
    assert_str(t, "name", quoted);
    t = json_object_array_get_idx(get(doc, "teams"), 1);
    assert_str(t, "name", control);
    json_object_put(doc);
}

static void
test_aliases(void **state)
{
    static const char *x_aliases[] = {"Bayes Esports", "BAYES \"B\""};
    static const char *const aliases_keys[] = {"id",    "identity_id", "name",
                                               "score", "winner",      "aliases"};
    struct match_view m = full();
    json_object *doc, *t, *names;

    (void)state;
    teams[0].naliases = 2;
    teams[0].aliases = x_aliases;
    doc = doc_of(&m);
    t = json_object_array_get_idx(get(doc, "teams"), 0);
    assert_keys(t, aliases_keys, ARRAY_SIZE(aliases_keys));
    names = get(t, "aliases");
    assert_true(json_object_is_type(names, json_type_array));
    assert_int_equal(json_object_array_length(names), 2);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(names, 0)),
                        "Bayes Esports");
    assert_string_equal(json_object_get_string(json_object_array_get_idx(names, 1)), "BAYES \"B\"");
    assert_str(t, "name", "Bayes");
    /* a team without other spellings has no aliases field */
    t = json_object_array_get_idx(get(doc, "teams"), 1);
    assert_keys(t, team_keys, ARRAY_SIZE(team_keys));
    json_object_put(doc);
}

static void
test_bulk_of_several(void **state)
{
    struct match_view m = full(), other = full();
    struct es_bulk b;
    buf_t scratch;
    json_object *doc;

    (void)state;
    other.id = 43;
    other.source = "src-b";
    other.nteams = 0;
    es_bulk_init(&b);
    buf_init(&scratch, 0);
    assert_int_equal(search_doc_bulk_add(&b, "matches-v1", &m, &scratch), RC_OK);
    assert_int_equal(search_doc_bulk_add(&b, "matches-v1", &other, &scratch), RC_OK);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.items[0].id, "42");
    assert_string_equal(b.items[1].id, "43");
    /* the scratch is rendered afresh: the second has nothing of the first */
    doc = line(&b, 3);
    assert_int(doc, "id", 43);
    assert_str(doc, "source", "src-b");
    assert_int_equal(json_object_array_length(get(doc, "teams")), 0);
    json_object_put(doc);
    doc = line(&b, 1);
    assert_int(doc, "id", 42);
    assert_int_equal(json_object_array_length(get(doc, "teams")), 2);
    json_object_put(doc);

    /* a rendering that does not fit the scratch queues nothing */
    buf_cleanup(&scratch);
    buf_init(&scratch, 32);
    es_bulk_reset(&b);
    assert_int_equal(search_doc_bulk_add(&b, "matches-v1", &m, &scratch), RC_ERR);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.body.len, 0);
    buf_cleanup(&scratch);
    es_bulk_cleanup(&b);
}

static void
test_index_name(void **state)
{
    char out[64], tiny[10];

    (void)state;
    search_doc_index_name("matches", 1700000000LL, out, sizeof(out));
    assert_string_equal(out, "matches-v1700000000");
    search_doc_index_name("esports-test", 0, out, sizeof(out));
    assert_string_equal(out, "esports-test-v0");
    /* cut short, still a string */
    search_doc_index_name("matches", 1700000000LL, tiny, sizeof(tiny));
    assert_string_equal(tiny, "matches-v");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),          cmocka_unit_test(test_absent),
        cmocka_unit_test(test_escaping),        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_bulk_of_several), cmocka_unit_test(test_index_name),
    };

    return cmocka_run_group_tests_name("search_doc", tests, NULL, NULL);
}
