/* test_msg.c: parsing and normalization of messages, against the shared samples. */
#include "testutil.h"

#include "msg.h"
#include "rc.h"

static const struct msg_opts opts = {1024 * 1024, 0};

static struct match_event *
parse_file(struct arena *a, const char *sub, int i)
{
    char path[512], why[256];
    struct match_event *ev;
    size_t len;
    char *body;
    int rc;

    snprintf(path, sizeof(path), "%s/%smessage%d.json", fixtures_dir(), sub, i);
    body = slurp(path, &len);
    rc = msg_parse(body, len, &opts, a, &ev, why, sizeof(why));
    if (rc != RC_OK) {
        fail_msg("%s: %s", path, why);
    }
    free(body);
    return ev;
}

static void
assert_same_event(const struct match_event *x, const struct match_event *y)
{
    assert_string_equal(x->source, y->source);
    assert_string_equal(x->external_id, y->external_id);
    assert_string_equal(x->url, y->url);
    assert_int_equal(x->state, y->state);
    assert_int_equal(x->has_bestof, y->has_bestof);
    assert_int_equal(x->bestof, y->bestof);
    assert_int_equal(x->date_start, y->date_start);
    assert_string_equal(x->title, y->title);
    assert_string_equal(x->tournament_key, y->tournament_key);
    assert_string_equal(x->tournament_name, y->tournament_name);
    assert_int_equal(x->nteams, y->nteams);
    for (size_t i = 0; i < x->nteams; i++) {
        assert_string_equal(x->teams[i].external_id, y->teams[i].external_id);
        assert_string_equal(x->teams[i].name, y->teams[i].name);
        assert_int_equal(x->teams[i].has_score, y->teams[i].has_score);
        assert_int_equal(x->teams[i].score, y->teams[i].score);
        assert_int_equal(x->teams[i].winner, y->teams[i].winner);
    }
}

static void
test_samples(void **state)
{
    struct arena a;
    struct match_event *m1, *m2, *m3, *m4;

    (void)state;
    arena_init(&a, 4096);
    m1 = parse_file(&a, "", 1);
    assert_string_equal(m1->source, "source1");
    assert_string_equal(m1->external_id, "1");
    assert_int_equal(m1->state, 1);
    assert_int_equal(m1->bestof, 3);
    assert_int_equal(m1->date_start, 1578407400); /* 2020-01-07 14:30:00 UTC */
    assert_string_equal(m1->title, "Overcooked");
    assert_string_equal(m1->tournament_ext_id, "15");
    assert_string_equal(m1->tournament_key, "id:15");
    assert_string_equal(m1->tournament_name, "Overbayes Season 1");
    assert_int_equal(m1->nteams, 2);
    assert_string_equal(m1->teams[0].name, "Bayes Esports Team 1");
    assert_int_equal(m1->teams[0].has_score, 0);
    assert_int_equal(m1->teams[0].winner, TRI_NULL);

    m2 = parse_file(&a, "", 2);
    assert_string_equal(m2->external_id, "1"); /* "1" and 1 are one match */
    assert_int_equal(m2->state, 2);
    assert_string_equal(m2->teams[0].external_id, "2");
    assert_string_equal(m2->teams[1].name, "Bayes Team 3");
    assert_int_equal(m2->teams[0].score, 2);
    assert_int_equal(m2->teams[0].winner, TRI_TRUE);
    assert_int_equal(m2->teams[1].score, 0);
    assert_int_equal(m2->teams[1].winner, TRI_FALSE);
    assert_string_equal(m2->tournament_name, "Overbayes Season 1 - Group Stage");

    m3 = parse_file(&a, "", 3);
    assert_false(m3->has_bestof);
    assert_null(m3->tournament_ext_id);
    assert_string_equal(m3->tournament_key, "name:overbayes premium series");
    assert_string_equal(m3->title, "OverCooked");
    assert_string_equal(m3->title_key, m1->title_key);
    assert_string_equal(m3->teams[1].name, "Bayes Esports 3");
    assert_int_equal(m3->teams[1].score, 1);

    m4 = parse_file(&a, "", 4);
    assert_string_equal(m4->external_id,
                        "bayes1-bayes2-overcooked-season-2-group-stage-lower-bracket-seed12");
    assert_string_equal(m4->teams[0].external_id, "17");
    assert_int_equal(m4->teams[0].winner, TRI_TRUE);
    assert_string_not_equal(m4->title_key, m1->title_key);

    /* the strict copies give the same events */
    for (int i = 1; i <= 4; i++) {
        assert_same_event(parse_file(&a, "", i), parse_file(&a, "strict/", i));
    }
    arena_cleanup(&a);
}

/* Parses s and expects RC_INVALID with exactly the reason want. */
static void
expect_reject(const char *s, size_t n, const char *want)
{
    struct arena a;
    struct match_event *ev;
    char why[256];
    struct msg_opts o = {200, 0};

    arena_init(&a, 1024);
    assert_int_equal(msg_parse(s, n, &o, &a, &ev, why, sizeof(why)), RC_INVALID);
    if (strcmp(why, want) != 0) {
        fail_msg("for %.60s\n  want \"%s\"\n  got  \"%s\"", s, want, why);
    }
    arena_cleanup(&a);
}

#define REJECT(lit, want) expect_reject((lit), sizeof(lit) - 1, (want))

static void
test_bad_input(void **state)
{
    char big[300];

    (void)state;
    REJECT("", "empty body");
    REJECT("not json", "invalid JSON at byte 0: unexpected word 'not'");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1",
           "truncated JSON: the message ends at byte 32 inside a value");
    REJECT("[1, 2]", "message is an array, not a JSON object");
    REJECT("\"str\"", "message is a string, not a JSON object");
    REJECT("{\"data\": {\"id\": 1}}", "source: missing");
    REJECT("{\"source\": 5, \"data\": {\"id\": 1}}", "source: must be a string, not an integer");
    REJECT("{\"source\": \"s\"}", "data: missing");
    REJECT("{\"source\": \"s\", \"data\": []}", "data: must be an object, not an array");
    REJECT("{\"source\": \"s\", \"data\": {}}", "data.id: missing");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1.5}}",
           "data.id: must be an integer or a string, not a fractional number");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": \" \"}}", "data.id: empty");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": {}}}",
           "data.teams: must be an array, not an object");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"name\": \"x\"}]}}",
           "data.teams[0].id: missing");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1}], \"scores\": "
           "[{\"team\": 1, \"score\": \"two\"}]}}",
           "data.scores[0].score: must be an integer, not the string \"two\"");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1}], \"scores\": "
           "[{\"team\": 9}]}}",
           "data.scores[0].team: team 9 is not in data.teams");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"state\": \"live\"}}",
           "data.state: must be an integer, not the string \"live\"");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"state\": true}}",
           "data.state: must be an integer, not a boolean");
    REJECT(
        "{\"source\": \"s\", \"data\": {\"id\": 1, \"date_start_text\": \"2020-13-45 00:00:00\"}}",
        "data.date_start_text: \"2020-13-45 00:00:00\" is not a date-time (expected "
        "YYYY-MM-DD HH:MM:SS or ISO 8601)");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"tournament\": 7}}",
           "data.tournament: must be an object {id, name} or a string, not an integer");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1}, {\"id\": \"1\"}]}}",
           "data.teams[1].id: team 1 is listed twice");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": NaN}}",
           "invalid JSON at byte 31: unexpected word 'NaN'");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1}} trailing",
           "invalid JSON at byte 35: unexpected word 'trailing'");
    REJECT("{\"source\": \"s\", /* c */ \"data\": {\"id\": 1}}",
           "invalid JSON at byte 16: unexpected character '/'");
    REJECT("{,}", "invalid JSON at byte 1: quoted object property name expected");
    REJECT("{\"source\": \"s\xff\"}", "invalid UTF-8 at byte 13");
    memset(big, ' ', sizeof(big));
    big[0] = '{';
    big[sizeof(big) - 1] = '}';
    expect_reject(big, sizeof(big),
                  "payload of 300 bytes exceeds the limit of 200 (MAX_MESSAGE_BYTES)");
}

static void
test_accepts(void **state)
{
    struct arena a;
    struct match_event *ev;
    char why[256];
    const char m[] = "{\"source\": \" src \", \"extra\": [1,], \"data\": {\"id\": \" 7 \", "
                     "\"bestof\": 5, \"state\": \"3\", \"unknown\": {\"x\": null,},"
                     " \"date_start_text\": \"2020-01-07T14:30:00+01:00\","
                     " \"tournament\": {\"id\": 4}, \"teams\": [], \"scores\": null,}}";

    (void)state;
    arena_init(&a, 1024);
    assert_int_equal(msg_parse(m, sizeof(m) - 1, &opts, &a, &ev, why, sizeof(why)), RC_OK);
    assert_string_equal(ev->source, "src");
    assert_string_equal(ev->external_id, "7");
    assert_int_equal(ev->bestof, 5);
    assert_int_equal(ev->state, 3);
    assert_int_equal(ev->date_start, 1578403800);
    assert_string_equal(ev->tournament_key, "id:4");
    assert_string_equal(ev->tournament_name, "");
    assert_int_equal(ev->nteams, 0);
    assert_null(ev->title);
    assert_null(ev->url);
    arena_cleanup(&a);
}

static void
test_rejection_keeps_identity(void **state)
{
    struct arena a;
    struct match_event *ev;
    char why[256];
    const char m[] = "{\"source\": \"s1\", \"data\": {\"id\": 42, \"teams\": 3}}";

    (void)state;
    arena_init(&a, 1024);
    assert_int_equal(msg_parse(m, sizeof(m) - 1, &opts, &a, &ev, why, sizeof(why)), RC_INVALID);
    assert_non_null(ev);
    assert_string_equal(ev->source, "s1");
    assert_string_equal(ev->external_id, "42");
    arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_rejection_keeps_identity),
    };

    return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
