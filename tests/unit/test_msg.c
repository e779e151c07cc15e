/* test_msg.c: parsing and normalization of messages, against the shared samples. */
#include "testutil.h"

#include <limits.h>

#include "msg.h"
#include "rc.h"
#include "util.h"

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
           "data.id: must be an integer or a string, not a number with a fraction or an exponent");
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

/* Parses s (limit 1 MiB) into *ev; returns the rc, why filled on failure. */
static int
parse_str(struct arena *a, const char *s, size_t n, struct match_event **ev, char *why)
{
    return msg_parse(s, n, &opts, a, ev, why, 256);
}

/* The id msg_parse gives the message {"source": "s", "data": {"id": ID}}. */
static const char *
id_of(struct arena *a, const char *id_json)
{
    char m[256], why[256];
    struct match_event *ev;
    int n = snprintf(m, sizeof(m), "{\"source\": \"s\", \"data\": {\"id\": %s}}", id_json);

    if (parse_str(a, m, (size_t)n, &ev, why) != RC_OK) {
        fail_msg("%s: %s", m, why);
    }
    return ev->external_id;
}

/* Ids above 2^63 were clamped to 9223372036854775807 and collided; an
 * integer and its decimal string are one id, whatever the size. */
static void
test_big_ids(void **state)
{
    struct arena a;

    (void)state;
    arena_init(&a, 4096);
    assert_string_equal(id_of(&a, "9223372036854775807"), "9223372036854775807");
    assert_string_equal(id_of(&a, "9223372036854775808"), "9223372036854775808");
    assert_string_equal(id_of(&a, "18446744073709551616"), "18446744073709551616");
    assert_string_equal(id_of(&a, "\"18446744073709551616\""), "18446744073709551616");
    assert_string_equal(id_of(&a, "123456789012345678901234567890"),
                        "123456789012345678901234567890");
    assert_string_equal(id_of(&a, "-9223372036854775809"), "-9223372036854775809");
    assert_string_equal(id_of(&a, "1000000000000000000"), "1000000000000000000");
    assert_string_equal(id_of(&a, "17"), "17");
    /* a big number elsewhere keeps its meaning: a fraction stays a fraction */
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1e20}}",
           "data.id: must be an integer or a string, not a number with a fraction or an exponent");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 12345678901234567890.5}}",
           "data.id: must be an integer or a string, not a number with a fraction or an exponent");
    /* byte offsets still point into the original bytes past a quoted integer */
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 12345678901234567890, \"x\": ]}}",
           "invalid JSON at byte 58: unexpected character");
    arena_cleanup(&a);
}

/* A NUL cut values short: "c001\u0000-attacker" overwrote match c001. */
static void
test_controls_rejected(void **state)
{
    (void)state;
    REJECT("{\"source\": \"s\", \"data\": {\"id\": \"c001\\u0000-x\"}}",
           "data.id: contains the control character U+0000");
    REJECT("{\"source\": \"s\\u0000x\", \"data\": {\"id\": 1}}",
           "source: contains the control character U+0000");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1, \"name\": "
           "\"A\\u0007B\"}]}}",
           "data.teams[0].name: contains the control character U+0007");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"title\": \"a\\tb\"}}",
           "data.title: contains the control character U+0009");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"url\": \"http://x/\\u0000\"}}",
           "data.url: contains the control character U+0000");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"tournament\": {\"id\": \"t\\u001f\"}}}",
           "data.tournament.id: contains the control character U+001F");
    /* raw TAB and LF inside strings are not JSON (RFC 8259) */
    REJECT("{\"source\": \"a\tb\", \"data\": {\"id\": 1}}",
           "invalid JSON at byte 13: control character U+0009 inside a string (write it escaped)");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": \"a\nb\"}}",
           "invalid JSON at byte 33: control character U+000A inside a string (write it escaped)");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": \"a\\\nb\"}}",
           "invalid JSON at byte 34: control character U+000A inside a string (write it escaped)");
}

/* Reasons that were wrong: a null body ("truncated JSON"), "data": null
 * ("missing"), an out-of-range score (reported as 9223372036854775807). */
static void
test_reasons(void **state)
{
    (void)state;
    REJECT("null", "message is null, not a JSON object");
    REJECT(" null ", "message is null, not a JSON object");
    REJECT("{\"source\": \"s\", \"data\": null}", "data: must be an object, not null");
    REJECT("{\"source\": null, \"data\": {}}", "source: must be a string, not null");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": null}}",
           "data.id: must be an integer or a string, not null");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1}], \"scores\": "
           "[{\"team\": 1, \"score\": 99999999999}]}}",
           "data.scores[0].score: 99999999999 is out of range -2147483648..2147483647");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1}], \"scores\": "
           "[{\"team\": 1, \"score\": 99999999999999999999}]}}",
           "data.scores[0].score: 99999999999999999999 is out of range -2147483648..2147483647");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1, \"state\": \"-99999999999999999999\"}}",
           "data.state: -99999999999999999999 is out of range -2147483648..2147483647");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1}} {}",
           "invalid JSON at byte 35: data after the end of the value");
    REJECT("{\"source\": \"s\", \"data\": {\"id\": 1}} 5",
           "invalid JSON at byte 35: data after the end of the value");
}

/* Builds {"source": "s", "data": {"id": 1, <field>}} around n copies of unit. */
static char *
with_long(const char *before, const char *unit, size_t n, const char *after, size_t *len)
{
    size_t ul = strlen(unit), bl = strlen(before), al = strlen(after);
    char *m = malloc(bl + ul * n + al + 1);

    memcpy(m, before, bl);
    for (size_t i = 0; i < n; i++) {
        memcpy(m + bl + i * ul, unit, ul);
    }
    memcpy(m + bl + ul * n, after, al + 1);
    *len = bl + ul * n + al;
    return m;
}

/* One limit per field, the columns' (names 255 characters, ids 191),
 * counted in characters: a 4-byte emoji is one. */
static void
test_limits(void **state)
{
    static const struct {
        const char *before, *unit, *after, *why;
        size_t max;
    } cases[] = {
        {"{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1, \"name\": \"", "x",
         "\"}]}}", "data.teams[0].name: longer than 255 characters", 255},
        {"{\"source\": \"s\", \"data\": {\"id\": 1, \"teams\": [{\"id\": 1, \"name\": \"",
         "\xf0\x9f\x8e\xae", "\"}]}}", "data.teams[0].name: longer than 255 characters", 255},
        {"{\"source\": \"s\", \"data\": {\"id\": 1, \"tournament\": \"", "\xc3\xa9", "\"}}",
         "data.tournament: longer than 255 characters", 255},
        {"{\"source\": \"s\", \"data\": {\"id\": 1, \"title\": \"", "t", "\"}}",
         "data.title: longer than 255 characters", 255},
        {"{\"source\": \"s\", \"data\": {\"id\": \"", "i", "\"}}",
         "data.id: longer than 191 characters", 191},
        {"{\"source\": \"", "s", "\", \"data\": {\"id\": 1}}", "source: longer than 191 characters",
         191},
    };
    struct arena a;
    struct match_event *ev;
    char why[256];

    (void)state;
    for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
        size_t len;
        char *m = with_long(cases[k].before, cases[k].unit, cases[k].max, cases[k].after, &len);

        arena_init(&a, 4096);
        if (parse_str(&a, m, len, &ev, why) != RC_OK) {
            fail_msg("case %zu at the limit: %s", k, why);
        }
        free(m);
        m = with_long(cases[k].before, cases[k].unit, cases[k].max + 1, cases[k].after, &len);
        assert_int_equal(parse_str(&a, m, len, &ev, why), RC_INVALID);
        assert_string_equal(why, cases[k].why);
        free(m);
        arena_cleanup(&a);
    }
}

#define REJECTED LLONG_MIN

/* The dates of the whole DATETIME range; no epoch edge at 1970 or 2038. */
static void
test_date_range(void **state)
{
    static const struct {
        const char *text;
        long long want; /* unix seconds, or REJECTED: rejected */
    } cases[] = {
        {"2040-01-01 00:00:00", 2208988800LL},   {"2038-01-19 03:14:08", 2147483648LL},
        {"1969-12-31 23:59:59", -1LL},           {"1970-01-01 00:00:00", 0LL},
        {"1000-01-01 00:00:00", -30610224000LL}, {"9999-12-31 23:59:59", 253402300799LL},
        {"0999-12-31 23:59:59", REJECTED},       {"1000-01-01T00:30:00+01:00", REJECTED},
        {"9999-12-31T23:00:00-01:00", REJECTED},
    };
    struct arena a;
    struct match_event *ev;
    char m[256], why[256];

    (void)state;
    arena_init(&a, 4096);
    for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
        int n = snprintf(m, sizeof(m),
                         "{\"source\": \"s\", \"data\": {\"id\": 1, \"date_start_text\": \"%s\"}}",
                         cases[k].text);
        int rc = parse_str(&a, m, (size_t)n, &ev, why);

        if (cases[k].want == REJECTED) {
            assert_int_equal(rc, RC_INVALID);
            assert_non_null(strstr(why, "is outside the years 1000 to 9999 (UTC)"));
        } else {
            if (rc != RC_OK) {
                fail_msg("%s: %s", cases[k].text, why);
            }
            assert_int_equal(ev->date_start, cases[k].want);
        }
    }
    arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),    cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_accepts),    cmocka_unit_test(test_rejection_keeps_identity),
        cmocka_unit_test(test_big_ids),    cmocka_unit_test(test_controls_rejected),
        cmocka_unit_test(test_reasons),    cmocka_unit_test(test_limits),
        cmocka_unit_test(test_date_range),
    };

    return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
