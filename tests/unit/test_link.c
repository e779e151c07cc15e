/* test_link.c: the record linker: name folding, compatibility, pair scores
 * (the samples and every distractor kind), the explanation, clustering. */
#include "testutil.h"

#include <math.h>

#include "clock.h"
#include "link.h"
#include "rc.h"

static void
assert_norm(const char *in, const char *want)
{
    char out[LINK_NORM_MAX];
    size_t n = link_norm_team(in, out, sizeof(out));

    if (strcmp(out, want) != 0) {
        fail_msg("link_norm_team(\"%s\") = \"%s\", want \"%s\"", in, out, want);
    }
    assert_int_equal(n, strlen(want));
}

static void
test_norm(void **state)
{
    (void)state;
    assert_norm("Bayes Team 2", "bayes 2");
    assert_norm("Bayes Esports 3 ", "bayes 3");
    assert_norm("Bayes Esports Team 1", "bayes 1");
    assert_norm("  BAYES   team 2", "bayes 2");
    assert_norm("Team Liquid", "liquid");
    assert_norm("Liquid e-Sports Club", "liquid");
    assert_norm("Bayes Team", "bayes");
    assert_norm("Team", "team"); /* nothing else left: kept */
    assert_norm("Team Esports", "team esports");
    assert_norm("Bayes2", "bayes 2");   /* letter/digit boundary */
    assert_norm("Bayes II", "bayes 2"); /* roman numerals */
    assert_norm("Bayes Acad.", "bayes academy");
    assert_norm("Bayes Jr", "bayes junior");
    assert_norm("Óvoda Kör", "ovoda kor"); /* Latin-1 */
    assert_norm("Łódź Gaming", "lodz");    /* Latin Extended-A */
    assert_norm("Straße", "strasse");
    assert_norm("Æther Œuvre", "aether oeuvre");
    assert_norm("x/y\tz!", "x y z");
    assert_norm("Команда 1", "Команда 1"); /* another script kept as written */
    assert_norm("", "");
    assert_norm("\xff\xfe bad", "bad"); /* invalid UTF-8 bytes dropped */
}

static void
test_norm_bounds(void **state)
{
    char big[4000], out[LINK_NORM_MAX], tiny[4];

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_true(link_norm_team(big, out, sizeof(out)) < sizeof(out));
    assert_int_equal(strlen(out), link_norm_team(big, out, sizeof(out)));
    assert_true(link_norm_team("Bayes Team 2", tiny, sizeof(tiny)) < sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    assert_int_equal(link_norm_team(NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static int
compatible(const char *a, const char *b, double *sim)
{
    char na[LINK_NORM_MAX], nb[LINK_NORM_MAX];

    link_norm_team(a, na, sizeof(na));
    link_norm_team(b, nb, sizeof(nb));
    return link_team_compatible(na, nb, sim);
}

static void
test_compatible(void **state)
{
    double sim;

    (void)state;
    assert_true(compatible("Bayes Team 2", "Bayes Esports 2", &sim));
    assert_true(sim > 0.99);
    assert_true(compatible("Red Falcons", "Red Falcon", &sim));
    assert_true(compatible("Red Falcons Kyiv", "Red Falcons", &sim));
    /* differ in what identifies the team */
    assert_false(compatible("Bayes Team 2", "Bayes Team 3", &sim));
    assert_true(sim > 0.99); /* the rest is the same */
    assert_false(compatible("Falcons", "Falcons Academy", &sim));
    assert_false(compatible("Falcons", "Falcons Youth", &sim));
    assert_false(compatible("Falcons", "Falcons Female", &sim));
    assert_false(compatible("Falcons", "Falcons II", &sim));
    assert_false(compatible("Falcons", "Falcons B", &sim));
    assert_false(compatible("Falcons Junior", "Falcons Academy", &sim));
    /* plainly other teams */
    assert_false(compatible("Red Falcons", "Blue Sharks", &sim));
    assert_true(sim < 0.88);
    assert_false(compatible("", "", &sim));
    assert_false(link_team_compatible(NULL, NULL, NULL));
}

/* ---- pairs ---- */

struct side {
    struct link_team t[2];
    char norm[2][LINK_NORM_MAX];
    struct link_match m;
};

/* A match of two teams: ids, names, scores (-1 = none). */
static void
side(struct side *s, int64_t id, int64_t source, int64_t title, const char *start, int64_t t1,
     const char *n1, int64_t t2, const char *n2, int s1, int s2)
{
    const char *names[2] = {n1, n2};
    int64_t ids[2] = {t1, t2};
    int sc[2] = {s1, s2};

    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 2; i++) {
        link_norm_team(names[i], s->norm[i], sizeof(s->norm[i]));
        s->t[i].id = ids[i];
        s->t[i].name = names[i];
        s->t[i].norm = s->norm[i];
        s->t[i].identity_id = ids[i];
        s->t[i].has_score = sc[i] >= 0;
        s->t[i].score = sc[i];
    }
    s->m.id = id;
    s->m.source_id = source;
    s->m.title_id = title;
    if (start != NULL) {
        assert_int_equal(dt_parse(start, strlen(start), 0, 0, &s->m.date_start, NULL), RC_OK);
        s->m.has_date = 1;
    }
    s->m.nteams = 2;
    s->m.teams = s->t;
}

/* The score of a's and b's teams with their names prepared (link_team_prepare). */
static void
score_prepared(const struct side *a, const struct side *b, const struct link_params *p,
               struct link_score *out)
{
    struct link_team ta[2], tb[2];
    struct link_team_form fa[2], fb[2];
    struct link_match ma = a->m, mb = b->m;

    for (int i = 0; i < 2; i++) {
        ta[i] = a->t[i];
        tb[i] = b->t[i];
        link_team_prepare(ta[i].norm, &fa[i]);
        link_team_prepare(tb[i].norm, &fb[i]);
        ta[i].form = &fa[i];
        tb[i].form = &fb[i];
    }
    ma.teams = ta;
    mb.teams = tb;
    link_score_pair(&ma, &mb, p, out);
}

/* Scores a pair, and checks that prepared names give the very same score. */
static struct link_score
score(const struct side *a, const struct side *b)
{
    struct link_params p;
    struct link_score s, f;

    link_params_default(&p);
    link_score_pair(&a->m, &b->m, &p, &s);
    score_prepared(a, b, &p, &f);
    assert_true(s.weight == f.weight || (isinf(s.weight) && isinf(f.weight)));
    assert_true(s.probability == f.probability);
    assert_int_equal(s.verdict, f.verdict);
    assert_int_equal(s.nfields, f.nfields);
    for (size_t i = 0; i < s.nfields; i++) {
        assert_string_equal(s.fields[i].field, f.fields[i].field);
        assert_string_equal(s.fields[i].level, f.fields[i].level);
        assert_true(s.fields[i].weight == f.fields[i].weight);
    }
    assert_memory_equal(s.team_map, f.team_map, sizeof(s.team_map));
    return s;
}

static const char *
level_of(const struct link_score *s, const char *field)
{
    for (size_t i = 0; i < s->nfields; i++) {
        if (strcmp(s->fields[i].field, field) == 0) {
            return s->fields[i].level;
        }
    }
    return NULL;
}

/* Prepared names: what link_team_prepare keeps, the names it leaves to the
 * strings, and pairs whose tokens are sorted, missing or initials score as
 * the unprepared ones (score() compares both). */
static void
test_prepared(void **state)
{
    struct link_team_form f;
    struct side a, b;
    char long_name[200];
    struct link_score sc;

    (void)state;
    link_team_prepare(NULL, &f);
    assert_false(f.ok);
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    link_team_prepare(long_name, &f);
    assert_false(f.ok);
    link_team_prepare("red falcons academy 2", &f);
    assert_true(f.ok);
    assert_int_equal(f.nident, 2);
    assert_int_equal(f.ident_len[0], 1); /* "2" sorts before "academy" */
    assert_memory_equal(f.idents + f.ident_off[0], "2", 1);
    assert_string_equal(f.base, "red falcons");
    assert_int_equal(f.nbase, 2);

    side(&a, 1, 1, 1, "2020-01-07 15:00:00", 1, "Red Falcons Academy 2", 2, "LK", 1, 0);
    side(&b, 2, 2, 1, "2020-01-07 15:05:00", 3, "2 Red Falcons Academy", 4, "Lucky Knights", 1, 0);
    sc = score(&a, &b);
    assert_string_equal(level_of(&sc, "teams"), "all agree (exact, similar or initials)");
    side(&a, 1, 1, 1, "2020-01-07 15:00:00", 1, long_name, 2, "", 1, 0);
    side(&b, 2, 2, 1, "2020-01-07 15:05:00", 3, long_name, 4, "", 1, 0);
    (void)score(&a, &b);
    side(&b, 2, 2, 1, "2020-01-07 15:05:00", 3, "Red Falcons Academy 2", 4, "Falcons", 1, 0);
    (void)score(&a, &b);
    /* far apart by their letters (the bound decides), yet one's words are the other's */
    side(&a, 1, 1, 1, "2020-01-07 15:00:00", 1, "Falcons", 2, "Blue Sharks", 1, 0);
    side(&b, 2, 2, 1, "2020-01-07 15:05:00", 3, "Kyiv Red Falcons", 4, "Sharks", 1, 0);
    sc = score(&a, &b);
    assert_string_equal(level_of(&sc, "teams"), "all agree (exact, similar or initials)");
    side(&b, 2, 2, 1, "2020-01-07 15:05:00", 3, "Qwerty", 4, "Zyx", 1, 0);
    sc = score(&a, &b);
    assert_string_equal(level_of(&sc, "teams"), "none agree");
}

/* The samples: source1/1 (after its update, message2) and source2/99. */
static void
test_samples(void **state)
{
    struct side s1, s2, s3;
    struct link_score sc;
    buf_t b;

    (void)state;
    side(&s1, 1, 1, 1, "2020-01-07 15:00:00", 2, "Bayes Team 2", 3, "Bayes Team 3", 2, 0);
    s1.m.has_bestof = 1;
    s1.m.bestof = 3;
    s1.m.has_state = 1;
    s1.m.state = 2;
    s1.m.tournament_norm = "overbayes season 1 group stage";
    side(&s2, 2, 2, 1, "2020-01-07 15:15:00", 4, "Bayes Team 2", 5, "Bayes Esports 3 ", 2, 1);
    s2.m.has_state = 1;
    s2.m.state = 1;
    s2.m.tournament_norm = "overbayes premium series";
    /* source3's "Overcooked 2" is another title */
    side(&s3, 3, 3, 2, "2020-01-07 15:00:00", 17, "Bayes Team", 18, "Bayes Esports Team", 1, 0);

    sc = score(&s1, &s2);
    assert_null(sc.veto);
    assert_true(sc.verdict == LINK_AUTO || sc.verdict == LINK_SUGGEST);
    assert_string_equal(level_of(&sc, "teams"), "all exact after normalization or known");
    assert_string_equal(level_of(&sc, "start"), "within 30 min");
    assert_int_equal(sc.team_map[0], 0);
    assert_int_equal(sc.team_map[1], 1);

    sc = score(&s1, &s3);
    assert_int_equal(sc.verdict, LINK_NONE);
    assert_string_equal(sc.veto, "different titles");
    sc = score(&s2, &s3);
    assert_int_equal(sc.verdict, LINK_NONE);

    /* the explanation */
    sc = score(&s1, &s2);
    buf_init(&b, 0);
    link_score_json(&sc, &b);
    assert_false(b.err);
    assert_non_null(strstr(b.data, "\"field\":\"teams\""));
    assert_non_null(strstr(b.data, "\"veto\":null"));
    assert_true(strncmp(b.data, "{\"probability\":", 15) == 0);
    buf_reset(&b);
    sc = score(&s1, &s3);
    link_score_json(&sc, &b);
    assert_non_null(strstr(b.data, "\"veto\":\"different titles\""));
    assert_non_null(strstr(b.data, "\"weight\":null"));
    buf_cleanup(&b);
}

static void
test_true_pairs(void **state)
{
    struct side a, b;
    struct link_score sc;

    (void)state;
    /* the same fixture, spelled otherwise, crossed, a source's clock 5 min off */
    side(&a, 10, 1, 1, "2021-03-01 18:00:00", 1, "Red Falcons Esports", 2, "Blue Sharks", -1, -1);
    side(&b, 20, 2, 1, "2021-03-01 18:05:00", 7, "BLUE SHARKS ", 8, "Team Red Falcons", -1, -1);
    sc = score(&a, &b);
    assert_int_equal(sc.verdict, LINK_AUTO);
    assert_int_equal(sc.team_map[0], 1);
    assert_int_equal(sc.team_map[1], 0);
    /* accents and a dropped word */
    side(&b, 20, 2, 1, "2021-03-01 18:00:00", 7, "Red Falcons", 8, "Blue Sharks Kyiv", 1, 0);
    sc = score(&a, &b);
    assert_int_equal(sc.verdict, LINK_AUTO);
    side(&a, 10, 1, 1, "2021-03-01 18:00:00", 1, "Łódź Wolves", 2, "Blue Sharks", -1, -1);
    side(&b, 20, 2, 1, "2021-03-01 18:02:00", 7, "Lodz Wolves Gaming", 8, "blue sharks", -1, -1);
    sc = score(&a, &b);
    assert_int_equal(sc.verdict, LINK_AUTO);
}

/* Every distractor kind, against "Red Falcons - Blue Sharks" (2-1) or
 * "Bayes Team 2 - Bayes Team 3" of source 1, title 1, 2021-03-01 18:00. */
struct distractor {
    const char *what;
    int bayes; /* against the Bayes match */
    int64_t source, title;
    const char *start, *n1, *n2;
    int s1, s2;
    int known; /* both teams already linked to a's */
    enum link_verdict at_most;
    const char *veto, *teams_level; /* NULL: not checked */
};

static const struct distractor distractors[] = {
    {"rematch hours later", 0, 2, 1, "2021-03-01 20:30:00", "Red Falcons", "Blue Sharks", -1, -1, 0,
     LINK_NONE, NULL, "all exact after normalization or known"},
    {"rematch, identities known", 0, 2, 1, "2021-03-01 20:30:00", "Red Falcons", "Blue Sharks", -1,
     -1, 1, LINK_NONE, NULL, "all known same identities"},
    {"rematch days later", 0, 2, 1, "2021-03-03 18:00:00", "Red Falcons", "Blue Sharks", -1, -1, 0,
     LINK_NONE, "starts further apart than the window", NULL},
    {"same pair, another title", 0, 2, 2, "2021-03-01 18:00:00", "Red Falcons", "Blue Sharks", 2, 1,
     0, LINK_NONE, "different titles", NULL},
    {"academy sides", 0, 2, 1, "2021-03-01 18:00:00", "Red Falcons Academy", "Blue Sharks Academy",
     2, 1, 0, LINK_NONE, NULL, "an identifying token differs"},
    {"one academy side", 0, 2, 1, "2021-03-01 18:00:00", "Red Falcons Academy", "Blue Sharks", 0, 2,
     0, LINK_NONE, NULL, "an identifying token differs"},
    /* same minute, same scores: Blue Sharks cannot play twice, so a source
     * is wrong; a person may look, nothing is linked */
    {"one academy side, same scores", 0, 2, 1, "2021-03-01 18:00:00", "Red Falcons Academy",
     "Blue Sharks", 2, 1, 0, LINK_SUGGEST, NULL, NULL},
    {"numbered side", 1, 2, 1, "2021-03-01 18:00:00", "Bayes Team 2", "Bayes Team 4", -1, -1, 0,
     LINK_NONE, NULL, "an identifying token differs"},
    {"numbered sides", 1, 2, 1, "2021-03-01 18:00:00", "Bayes Esports 4", "Bayes Team 5", -1, -1, 0,
     LINK_NONE, NULL, NULL},
    {"other teams", 0, 2, 1, "2021-03-01 18:40:00", "Green Owls", "Pink Rays", -1, -1, 0, LINK_NONE,
     NULL, "none agree"},
    /* one team in common at the same minute: a source is wrong or spells
     * Red Falcons its own way */
    {"one team in common, same minute", 0, 2, 1, "2021-03-01 18:00:00", "Green Owls", "Blue Sharks",
     -1, -1, 0, LINK_SUGGEST, NULL, "some agree, some differ"},
    {"one team in common", 0, 2, 1, "2021-03-01 18:25:00", "Green Owls", "Blue Sharks", -1, -1, 0,
     LINK_NONE, NULL, NULL},
    {"one source twice", 0, 1, 1, "2021-03-01 18:00:00", "Red Falcons", "Blue Sharks", 2, 1, 0,
     LINK_NONE, "same source", NULL},
};

static void
test_distractors(void **state)
{
    struct side a, b;
    struct link_score sc;

    (void)state;
    for (size_t i = 0; i < sizeof(distractors) / sizeof(distractors[0]); i++) {
        const struct distractor *d = &distractors[i];

        if (d->bayes) {
            side(&a, 10, 1, 1, "2021-03-01 18:00:00", 1, "Bayes Team 2", 2, "Bayes Team 3", -1, -1);
        } else {
            side(&a, 10, 1, 1, "2021-03-01 18:00:00", 1, "Red Falcons", 2, "Blue Sharks", 2, 1);
        }
        side(&b, 20, d->source, d->title, d->start, 7, d->n1, 8, d->n2, d->s1, d->s2);
        if (d->known) {
            b.t[0].identity_id = 1;
            b.t[1].identity_id = 2;
        }
        sc = score(&a, &b);
        if (sc.verdict > d->at_most) {
            fail_msg("%s: verdict %d, probability %g", d->what, sc.verdict, sc.probability);
        }
        if (d->veto != NULL) {
            assert_non_null(sc.veto);
            assert_string_equal(sc.veto, d->veto);
        } else {
            assert_null(sc.veto);
        }
        if (d->teams_level != NULL) {
            assert_string_equal(level_of(&sc, "teams"), d->teams_level);
        }
    }
}

/* An update that changes scores: a source behind is no conflict, a
 * finished match with crossed scores is. */
static void
test_scores(void **state)
{
    struct side a, b;
    struct link_score sc;

    (void)state;
    side(&a, 10, 1, 1, "2021-03-01 18:00:00", 1, "Red Falcons", 2, "Blue Sharks", 2, 1);
    a.m.has_state = 1;
    a.m.state = 2;
    side(&b, 20, 2, 1, "2021-03-01 18:00:00", 7, "Red Falcons", 8, "Blue Sharks", 1, 1);
    b.m.has_state = 1;
    b.m.state = 3;
    sc = score(&a, &b);
    assert_string_equal(level_of(&sc, "scores"), "one source behind");
    b.t[0].score = 1;
    b.t[1].score = 2;
    b.m.state = 2;
    sc = score(&a, &b);
    assert_string_equal(level_of(&sc, "scores"), "conflicting");
    assert_int_equal(sc.verdict, LINK_AUTO); /* kept and shown, not a veto */
    b.t[0].score = 2;
    b.t[1].score = 1;
    sc = score(&a, &b);
    assert_string_equal(level_of(&sc, "scores"), "equal");
}

static void
test_term_frequency(void **state)
{
    struct side a, b;
    struct link_params p;
    struct link_score rare, common;

    (void)state;
    side(&a, 10, 1, 1, "2021-03-01 18:00:00", 1, "Red Falcons", 2, "Blue Sharks", -1, -1);
    side(&b, 20, 2, 1, "2021-03-01 18:20:00", 7, "Red Falcons", 8, "Blue Sharks", -1, -1);
    link_params_default(&p);
    p.nteams = 10000;
    a.t[0].norm_freq = b.t[0].norm_freq = 3;
    link_score_pair(&a.m, &b.m, &p, &rare);
    a.t[0].norm_freq = b.t[0].norm_freq = 1000;
    link_score_pair(&a.m, &b.m, &p, &common);
    assert_true(common.weight < rare.weight - 3);
    assert_string_equal(level_of(&common, "team name frequency"), "common name");
    assert_null(level_of(&rare, "team name frequency"));
}

/* ---- clustering ---- */

static void
test_cluster(void **state)
{
    /* nodes: 0 (id 5, src 1), 1 (id 3, src 2), 2 (id 9, src 3), 3 (id 4, src 1) */
    const int64_t ids[] = {5, 3, 9, 4}, group[] = {1, 2, 3, 1};
    const struct link_edge edges[] = {
        {0, 1, 0.999, 0}, {1, 2, 0.995, 0}, {3, 1, 0.9999, 0}, {0, 2, 0.3, 0}};
    const struct link_edge cannot[] = {{3, 2, 0, 0}};
    int64_t c[4], c2[4];
    struct link_edge rev[4];

    (void)state;
    assert_int_equal(link_cluster(4, ids, group, edges, 4, NULL, 0, 0.99, c), 0);
    /* 3-1 first (highest), then 0-1 refused (source 1 twice), then 1-2 */
    assert_int_equal(c[3], 3);
    assert_int_equal(c[1], 3);
    assert_int_equal(c[2], 3);
    assert_int_equal(c[0], 5);
    /* the edges' order does not matter */
    for (int i = 0; i < 4; i++) {
        rev[i] = edges[3 - i];
    }
    assert_int_equal(link_cluster(4, ids, group, rev, 4, NULL, 0, 0.99, c2), 0);
    assert_memory_equal(c, c2, sizeof(c));
    /* a person's rejection of 3-2 keeps 2 out */
    assert_int_equal(link_cluster(4, ids, group, edges, 4, cannot, 1, 0.99, c), 0);
    assert_int_equal(c[3], 3);
    assert_int_equal(c[1], 3);
    assert_int_equal(c[2], 9);
    assert_int_equal(c[0], 5);
    /* a forced edge goes first whatever its probability */
    {
        const struct link_edge f[] = {{0, 1, 0.2, 1}, {3, 1, 0.9999, 0}};

        assert_int_equal(link_cluster(4, ids, group, f, 2, NULL, 0, 0.99, c), 0);
        assert_int_equal(c[0], 3);
        assert_int_equal(c[1], 3);
        assert_int_equal(c[3], 4);
    }
    /* bad edges are ignored, nothing is alone by accident */
    {
        const struct link_edge bad[] = {{0, 0, 1, 0}, {7, 1, 1, 0}};

        assert_int_equal(link_cluster(4, ids, group, bad, 2, NULL, 0, 0.99, c), 0);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(c[i], ids[i]);
        }
    }
    assert_int_equal(link_cluster(0, NULL, NULL, NULL, 0, NULL, 0, 0.99, NULL), 0);
}

/* Team edges of a fixture: the samples' Bayes Team 2 at both sources, and a
 * team spelled otherwise paired by elimination. */
static void
test_team_edges(void **state)
{
    struct side a, b;
    struct link_match ms[2];
    struct link_team_edge e[8];
    struct link_params p;
    size_t n;

    (void)state;
    link_params_default(&p);
    side(&a, 1, 1, 1, "2020-01-07 15:00:00", 2, "Bayes Team 2", 3, "Bayes Team 3", -1, -1);
    side(&b, 2, 2, 1, "2020-01-07 15:15:00", 4, "Bayes Team 2", 5, "Bayes Esports 3 ", -1, -1);
    ms[0] = a.m;
    ms[1] = b.m;
    n = link_fixture_team_edges(ms, 2, &p, e, 8);
    assert_int_equal(n, 2);
    assert_int_equal(e[0].a, 2);
    assert_int_equal(e[0].b, 4);
    assert_int_equal(e[0].source_a, 1);
    assert_int_equal(e[1].a, 3);
    assert_int_equal(e[1].b, 5);
    assert_string_equal(e[0].level, "exact after normalization");
    assert_true(e[0].probability >= 0.99);
    /* room for none: the count still */
    assert_int_equal(link_fixture_team_edges(ms, 2, &p, e, 0), 2);

    side(&b, 2, 2, 1, "2020-01-07 15:00:00", 4, "Bayes Team 2", 5, "Ninjas", 1, 0);
    ms[1] = b.m;
    n = link_fixture_team_edges(ms, 2, &p, e, 8);
    assert_int_equal(n, 2);
    assert_string_equal(e[1].level, "paired by elimination");
    assert_true(e[1].probability < e[0].probability);
    /* an identifying token never pairs */
    side(&b, 2, 2, 1, "2020-01-07 15:00:00", 4, "Bayes Team 2", 5, "Bayes Team 3 Academy", 1, 0);
    ms[1] = b.m;
    n = link_fixture_team_edges(ms, 2, &p, e, 8);
    assert_int_equal(n, 1);
    assert_int_equal(e[0].a, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm),       cmocka_unit_test(test_norm_bounds),
        cmocka_unit_test(test_compatible), cmocka_unit_test(test_samples),
        cmocka_unit_test(test_true_pairs), cmocka_unit_test(test_distractors),
        cmocka_unit_test(test_scores),     cmocka_unit_test(test_term_frequency),
        cmocka_unit_test(test_cluster),    cmocka_unit_test(test_team_edges),
        cmocka_unit_test(test_prepared),
    };

    return cmocka_run_group_tests_name("link", tests, NULL, NULL);
}
