/* test_gen.c: the message generator is deterministic and its messages parse;
 * the fixtures mode too, and its truth is consistent. */
#include "testutil.h"

#include "gen.h"
#include "msg.h"
#include "rc.h"
#include "sha256.h"

/* SHA-256 of the first n messages of a generator. */
static void
digest(uint64_t seed, int n, char out[65])
{
    struct gen g;
    buf_t all;

    gen_init(&g, seed, 3, 0.3, "source");
    buf_init(&all, 0);
    for (int i = 0; i < n; i++) {
        gen_next(&g, &all);
        buf_append_char(&all, '\n');
    }
    sha256_hex(all.data, all.len, out);
    buf_cleanup(&all);
    gen_cleanup(&g);
}

static void
test_deterministic(void **state)
{
    char a[65], b[65], c[65];

    (void)state;
    digest(7, 1000, a);
    digest(7, 1000, b);
    digest(8, 1000, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
}

static void
test_messages_parse_and_update(void **state)
{
    const struct msg_opts o = {1024 * 1024, 0};
    struct gen g;
    struct arena a;
    buf_t b;
    int updates = 0;
    char seen[3001] = {0};

    (void)state;
    gen_init(&g, 1, 3, 0.3, "source");
    arena_init(&a, 4096);
    buf_init(&b, 0);
    for (int i = 0; i < 3000; i++) {
        struct match_event *ev;
        char why[256];
        long id;

        buf_reset(&b);
        arena_reset(&a);
        gen_next(&g, &b);
        if (msg_parse(b.data, b.len, &o, &a, &ev, why, sizeof(why)) != RC_OK) {
            fail_msg("message %d does not parse: %s\n%s", i, why, b.data);
        }
        assert_int_equal(ev->nteams, 2);
        assert_string_not_equal(ev->teams[0].external_id, ev->teams[1].external_id);
        id = strtol(ev->external_id, NULL, 10);
        assert_true(id >= 1 && id <= 3000);
        updates += seen[id];
        seen[id] = 1;
    }
    /* about 30 % of the messages update an earlier match */
    assert_in_range(updates, 700, 1100);
    buf_cleanup(&b);
    arena_cleanup(&a);
    gen_cleanup(&g);
}

/* SHA-256 of the first n fixtures-mode messages and of the truth after them. */
static void
digest_fx(uint64_t seed, int n, char out[65], char truth[65])
{
    struct genfx g;
    buf_t all, t;

    genfx_init(&g, seed, 3, 0.3, "source");
    buf_init(&all, 0);
    buf_init(&t, 0);
    for (int i = 0; i < n; i++) {
        genfx_next(&g, &all);
        buf_append_char(&all, '\n');
    }
    genfx_truth(&g, &t);
    sha256_hex(all.data, all.len, out);
    sha256_hex(t.data, t.len, truth);
    buf_cleanup(&all);
    buf_cleanup(&t);
    genfx_cleanup(&g);
}

static void
test_fixtures_deterministic(void **state)
{
    char a[65], at[65], b[65], bt[65], c[65], ct[65];

    (void)state;
    digest_fx(7, 2000, a, at);
    digest_fx(7, 2000, b, bt);
    digest_fx(8, 2000, c, ct);
    assert_string_equal(a, b);
    assert_string_equal(at, bt);
    assert_string_not_equal(a, c);
    assert_string_not_equal(at, ct);
}

/* Every message parses; every (source, id) has a truth, which never changes
 * for an id; teams of one fixture are the same true teams at every source;
 * some fixtures are reported by several sources, some spellings differ. */
static void
test_fixtures_truth(void **state)
{
    const struct msg_opts o = {1024 * 1024, 0};
    struct genfx g;
    struct arena a;
    buf_t b, t;
    int multi = 0, spelled_otherwise = 0, lines = 0;
    /* per fixture: its true teams as first seen, and the first source's names */
    int fx_team[4000][2];
    int fx_source[4000];
    char fx_name[4000][2][64];

    (void)state;
    memset(fx_team, -1, sizeof(fx_team));
    genfx_init(&g, 3, 3, 0.3, "source");
    arena_init(&a, 4096);
    buf_init(&b, 0);
    for (int i = 0; i < 3000; i++) {
        struct match_event *ev;
        char why[256];
        int source, f, tt[2];

        buf_reset(&b);
        arena_reset(&a);
        genfx_next(&g, &b);
        if (msg_parse(b.data, b.len, &o, &a, &ev, why, sizeof(why)) != RC_OK) {
            fail_msg("message %d does not parse: %s\n%s", i, why, b.data);
        }
        assert_int_equal(ev->nteams, 2);
        source = atoi(ev->source + 6);
        f = genfx_fixture_of(&g, source, strtoll(ev->external_id, NULL, 10));
        assert_true(f >= 0 && f < 4000);
        for (int k = 0; k < 2; k++) {
            tt[k] = genfx_team_of(&g, source, strtoll(ev->teams[k].external_id, NULL, 10));
            assert_true(tt[k] >= 0);
        }
        assert_int_not_equal(tt[0], tt[1]);
        if (fx_team[f][0] < 0) {
            fx_team[f][0] = tt[0];
            fx_team[f][1] = tt[1];
            fx_source[f] = source;
            snprintf(fx_name[f][0], 64, "%s", ev->teams[0].name_key);
            snprintf(fx_name[f][1], 64, "%s", ev->teams[1].name_key);
        } else {
            /* the same two teams, in either order */
            assert_true((tt[0] == fx_team[f][0] && tt[1] == fx_team[f][1]) ||
                        (tt[0] == fx_team[f][1] && tt[1] == fx_team[f][0]));
            if (source != fx_source[f]) {
                multi++;
                for (int k = 0; k < 2; k++) {
                    int j = tt[k] == fx_team[f][0] ? 0 : 1;

                    spelled_otherwise += strcmp(fx_name[f][j], ev->teams[k].name_key) != 0;
                }
            }
        }
    }
    assert_true(multi > 500);
    assert_true(spelled_otherwise > 50);
    /* the truth names every id given, tab-separated */
    buf_init(&t, 0);
    genfx_truth(&g, &t);
    for (const char *p = t.data; p != NULL && *p != '\0'; p = strchr(p, '\n') + 1) {
        assert_true(strncmp(p, "match\tsource", 12) == 0 || strncmp(p, "team\tsource", 11) == 0);
        lines++;
        if (strchr(p, '\n') == NULL) {
            fail_msg("a truth line without its end");
        }
    }
    assert_true(lines > 3000 / 2);
    assert_int_equal(genfx_fixture_of(&g, 1, -5), -1);
    assert_int_equal(genfx_fixture_of(&g, 9, 1), -1);
    assert_int_equal(genfx_team_of(&g, 0, 1), -1);
    buf_cleanup(&t);
    buf_cleanup(&b);
    arena_cleanup(&a);
    genfx_cleanup(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_messages_parse_and_update),
        cmocka_unit_test(test_fixtures_deterministic),
        cmocka_unit_test(test_fixtures_truth),
    };

    return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
