/* test_render_json.c: the JSON the service sends: a match, /healthz, the
 * page envelope, errors, strings. */
#include "testutil.h"

#include <json-c/json.h>

#include "buf.h"
#include "render_json.h"

static void
test_match(void **state)
{
    struct team_view teams[2] = {
        {.id = 5,
         .name = "Bayes \"B\" Team",
         .identity_id = 4,
         .has_score = 1,
         .score = 2,
         .winner = TRI_TRUE},
        {.id = 6, .name = "Méga/Team", .identity_id = 6, .has_score = 0, .winner = TRI_NULL},
    };
    struct match_view m = {
        .id = 17,
        .fixture_id = 12,
        .source = "bayes",
        .external_id = "8802",
        .url = NULL,
        .has_state = 1,
        .state = 2,
        .has_bestof = 0,
        .date_start = "2020-01-07T14:30:00Z",
        .title_id = 3,
        .title_name = "Overcooked",
        .tournament_id = 0,
        .updated_at = "2020-01-07T15:00:00.000001Z",
        .nteams = 2,
        .teams = teams,
    };
    buf_t b;

    (void)state;
    buf_init(&b, 0);
    render_json_match(&b, &m);
    assert_string_equal(
        b.data,
        "{\"id\":17,\"fixture_id\":12,\"source\":\"bayes\",\"external_id\":\"8802\",\"url\":null,"
        "\"state\":2,\"bestof\":null,\"date_start\":\"2020-01-07T14:30:00Z\","
        "\"title\":{\"id\":3,\"name\":\"Overcooked\"},\"tournament\":null,\"teams\":["
        "{\"id\":5,\"identity_id\":4,\"name\":\"Bayes \\\"B\\\" "
        "Team\",\"score\":2,\"winner\":true},"
        "{\"id\":6,\"identity_id\":6,\"name\":\"Méga/Team\",\"score\":null,\"winner\":null}],"
        "\"updated_at\":\"2020-01-07T15:00:00.000001Z\"}");
    /* and it is JSON */
    json_object *o = json_tokener_parse(b.data);
    assert_non_null(o);
    json_object_put(o);

    buf_reset(&b);
    teams[0].winner = TRI_FALSE;
    m.nteams = 1;
    m.url = "https://example.org/m/8802";
    m.tournament_id = 9;
    m.tournament_name = NULL; /* an id without a name keeps the object */
    render_json_match(&b, &m);
    assert_non_null(strstr(b.data, "\"url\":\"https://example.org/m/8802\""));
    assert_non_null(strstr(b.data, "\"tournament\":{\"id\":9,\"name\":\"\"}"));
    assert_non_null(strstr(b.data, "\"winner\":false}]"));
    buf_cleanup(&b);
}

static void
test_change(void **state)
{
    struct change_row c = {.seq = 9007199254740993ULL,
                           .match_id = 4,
                           .fixture_id = 4,
                           .created = 1,
                           .changed_at = "2026-01-02T03:04:05.000006Z"};
    struct match_view m = {
        .id = 4, .fixture_id = 4, .source = "s", .external_id = "x", .updated_at = "u"};
    buf_t b;
    json_object *o;

    (void)state;
    buf_init(&b, 0);
    render_json_change(&b, &c, &m);
    assert_non_null(strstr(
        b.data, "{\"seq\":9007199254740993,\"match_id\":4,\"fixture_id\":4,\"kind\":\"created\","
                "\"changed_at\":\"2026-01-02T03:04:05.000006Z\","
                "\"match\":{\"id\":4,\"fixture_id\":4,\"source\":\"s\""));
    o = json_tokener_parse(b.data);
    assert_non_null(o);
    json_object_put(o);
    /* a match that is gone, an update */
    buf_reset(&b);
    c.created = 0;
    render_json_change(&b, &c, NULL);
    assert_non_null(strstr(b.data, "\"kind\":\"updated\""));
    assert_non_null(strstr(b.data, "\"match\":null}"));
    buf_cleanup(&b);
}

static void
test_page_envelope(void **state)
{
    buf_t b;

    (void)state;
    buf_init(&b, 0);
    render_json_page_start(&b, 41, "http://h/api/matches/?page=3", NULL);
    buf_append_str(&b, "1,2");
    render_json_page_end(&b);
    assert_string_equal(b.data, "{\"count\":41,\"next\":\"http://h/api/matches/?page=3\","
                                "\"previous\":null,\"results\":[1,2]}");
    buf_reset(&b);
    render_json_page_start(&b, 0, NULL, NULL);
    render_json_page_end(&b);
    assert_string_equal(b.data, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}");
    buf_cleanup(&b);
}

static struct consumer_status
healthy(void)
{
    struct consumer_status cs;

    memset(&cs, 0, sizeof(cs));
    cs.pid = 77;
    cs.applied = 10;
    cs.broker_connected = 1;
    cs.heartbeat_age = 1;
    snprintf(cs.state, sizeof(cs.state), "running");
    cs.queue_depth = -1;
    cs.queue_depth_age = -1;
    cs.waiting_age = -1;
    cs.commit_age = 3;
    return cs;
}

/* Renders /healthz and returns the parsed document; *code the HTTP status. */
static json_object *
health(int db_ok, const struct consumer_status *cs, int *code)
{
    buf_t b;
    json_object *o;

    buf_init(&b, 0);
    *code = render_json_health(&b, db_ok, cs, 30);
    o = json_tokener_parse(b.data);
    assert_non_null(o);
    buf_cleanup(&b);
    return o;
}

static const char *
field(json_object *o, const char *a, const char *b)
{
    json_object *v = NULL;

    assert_true(json_object_object_get_ex(o, a, &v));
    if (b != NULL) {
        json_object *w = NULL;

        assert_true(json_object_object_get_ex(v, b, &w));
        v = w;
    }
    return v ? json_object_get_string(v) : "null";
}

static void
test_health(void **state)
{
    struct consumer_status cs = healthy();
    json_object *o;
    int code;

    (void)state;
    o = health(1, &cs, &code);
    assert_int_equal(code, 200);
    assert_string_equal(field(o, "status", NULL), "ok");
    assert_string_equal(field(o, "database", NULL), "ok");
    assert_string_equal(field(o, "broker", NULL), "connected");
    assert_string_equal(field(o, "consumer", "state"), "running");
    assert_string_equal(field(o, "consumer", "reason"), "null");
    assert_string_equal(field(o, "consumer", "queue_depth"), "null");
    assert_string_equal(field(o, "consumer", "seconds_since_commit"), "3");
    assert_string_equal(field(o, "consumer", "stall_after_seconds"), "30");
    json_object_put(o);

    /* the broker away: degraded, still 200 */
    cs.broker_connected = 0;
    o = health(1, &cs, &code);
    assert_int_equal(code, 200);
    assert_string_equal(field(o, "status", NULL), "degraded");
    assert_string_equal(field(o, "broker", NULL), "disconnected");
    json_object_put(o);

    /* retrying: degraded with the reason */
    cs = healthy();
    snprintf(cs.state, sizeof(cs.state), "retrying");
    snprintf(cs.state_reason, sizeof(cs.state_reason), "mariadb gone");
    o = health(1, &cs, &code);
    assert_int_equal(code, 200);
    assert_string_equal(field(o, "status", NULL), "degraded");
    assert_string_equal(field(o, "consumer", "reason"), "mariadb gone");
    json_object_put(o);

    /* stalled: 503 */
    cs = healthy();
    cs.waiting_age = 31;
    cs.queue_depth = 4;
    o = health(1, &cs, &code);
    assert_int_equal(code, 503);
    assert_string_equal(field(o, "status", NULL), "stalled");
    assert_string_equal(field(o, "consumer", "state"), "stalled");
    assert_string_equal(field(o, "consumer", "waiting_seconds"), "31");
    json_object_put(o);

    /* silent: down, 503, the broker unknown */
    cs = healthy();
    cs.heartbeat_age = 60;
    o = health(1, &cs, &code);
    assert_int_equal(code, 503);
    assert_string_equal(field(o, "status", NULL), "stalled");
    assert_string_equal(field(o, "broker", NULL), "unknown");
    assert_string_equal(field(o, "consumer", "state"), "down");
    json_object_put(o);

    /* stopped cleanly: degraded */
    cs = healthy();
    cs.pid = 0;
    o = health(1, &cs, &code);
    assert_int_equal(code, 200);
    assert_string_equal(field(o, "status", NULL), "degraded");
    assert_string_equal(field(o, "consumer", "pid"), "null");
    json_object_put(o);

    /* no database: 503 unavailable, nothing judged */
    o = health(0, NULL, &code);
    assert_int_equal(code, 503);
    assert_string_equal(field(o, "status", NULL), "unavailable");
    assert_string_equal(field(o, "database", NULL), "unavailable");
    assert_string_equal(field(o, "consumer", "state"), "unknown");
    json_object_put(o);
}

static void
test_errors_and_strings(void **state)
{
    const char *names[] = {"state", "page"};
    const char msgs[2][160] = {"must be a whole number", "must be \"1\" or more"};
    buf_t b;

    (void)state;
    buf_init(&b, 0);
    render_json_errors(&b, "Invalid query parameters.", 2, names, msgs);
    assert_string_equal(b.data, "{\"detail\":\"Invalid query parameters.\",\"errors\":{"
                                "\"state\":\"must be a whole number\","
                                "\"page\":\"must be \\\"1\\\" or more\"}}");
    buf_reset(&b);
    render_json_str(&b, NULL);
    buf_append_char(&b, ' ');
    render_json_str(&b, "a/b\n\x01");
    assert_string_equal(b.data, "null \"a/b\\n\\u0001\"");
    buf_cleanup(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_change),
        cmocka_unit_test(test_page_envelope),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_errors_and_strings),
    };

    return cmocka_run_group_tests_name("render_json", tests, NULL, NULL);
}
