/* test_consensus.c: a fixture's consensus from hand-built member views: one
 * member, members agreeing, the start (most reported, ties the earliest),
 * the state (most advanced), best-of, teams by identity, scores and winners
 * only where the members that give one agree, and each conflict's values. */
#include "testutil.h"

#include "consensus.h"

#define NONE INT64_MIN /* no value (state, bestof, score) */

/* Identities of the teams the members report. */
enum { X = 10, Y = 20, Z = 30 };

struct member {
    struct match_view m;
    struct team_view t[4];
};

static void
member(struct member *b, uint64_t id, const char *source, const char *date, int64_t state,
       int64_t bestof)
{
    memset(b, 0, sizeof(*b));
    b->m.id = id;
    b->m.source = source;
    b->m.external_id = "1";
    b->m.date_start = date;
    b->m.has_state = state != NONE;
    b->m.state = state != NONE ? state : 0;
    b->m.has_bestof = bestof != NONE;
    b->m.bestof = bestof != NONE ? bestof : 0;
    b->m.title_id = 7;
    b->m.title_name = "Dota 2";
    b->m.teams = b->t;
}

/* Adds a team of identity (its own teams.id is identity + the member's id). */
static void
team(struct member *b, uint64_t identity, const char *name, int64_t score, enum tristate winner)
{
    struct team_view *t = &b->t[b->m.nteams++];

    t->id = identity + b->m.id;
    t->identity_id = identity;
    t->name = name;
    t->has_score = score != NONE;
    t->score = score != NONE ? score : 0;
    t->winner = winner;
}

/* The conflict on field (of the team identity, or 0), or NULL. */
static const struct conflict *
conflict_of(const struct consensus *c, const char *field, uint64_t identity)
{
    size_t i;

    for (i = 0; i < c->nconflicts; i++) {
        if (strcmp(c->conflicts[i].field, field) == 0 && c->conflicts[i].identity_id == identity) {
            return &c->conflicts[i];
        }
    }
    return NULL;
}

/* Builds the consensus of ms[0..n) into c. */
static void
build(struct arena *a, const struct member *ms, size_t n, struct consensus *c)
{
    struct match_view v[4];
    size_t i;

    assert_true(n <= 4);
    for (i = 0; i < n; i++) {
        v[i] = ms[i].m;
    }
    consensus_build(v, n, a, c);
}

/* Each member's number in conflict k: has 0 for want NONE. */
static void
assert_nums(const struct conflict *k, const struct member *ms, size_t n, const int64_t *want)
{
    size_t i;

    assert_non_null(k);
    assert_int_equal(k->n, n);
    for (i = 0; i < n; i++) {
        assert_int_equal(k->values[i].match_id, ms[i].m.id);
        assert_string_equal(k->values[i].source, ms[i].m.source);
        assert_null(k->values[i].s);
        assert_int_equal(k->values[i].has, want[i] != NONE);
        if (want[i] != NONE) {
            assert_int_equal(k->values[i].v, want[i]);
        }
    }
}

static void
test_state_rank(void **state)
{
    (void)state;
    assert_int_equal(consensus_state_rank(1), 1); /* upcoming */
    assert_int_equal(consensus_state_rank(3), 2); /* live */
    assert_int_equal(consensus_state_rank(2), 3); /* finished */
    assert_int_equal(consensus_state_rank(0), 0);
    assert_int_equal(consensus_state_rank(4), 0);
    assert_int_equal(consensus_state_rank(-1), 0);
    assert_int_equal(consensus_state_rank(INT64_MAX), 0);
    assert_int_equal(consensus_state_rank(INT64_MIN), 0);
}

static void
test_one_member(void **state)
{
    struct arena *a = *state;
    struct member ms[1];
    struct consensus c;

    member(&ms[0], 5, "src-a", "2020-01-07T15:00:00Z", 2, 3);
    team(&ms[0], X, "Bayes Team 2", 2, TRI_TRUE);
    team(&ms[0], Y, "Ninjas", 1, TRI_FALSE);
    build(a, ms, 1, &c);
    assert_int_equal(c.title_id, 7);
    assert_string_equal(c.title_name, "Dota 2");
    assert_string_equal(c.date_start, "2020-01-07T15:00:00Z");
    assert_true(c.has_state);
    assert_int_equal(c.state, 2);
    assert_true(c.has_bestof);
    assert_int_equal(c.bestof, 3);
    assert_int_equal(c.nteams, 2);
    assert_int_equal(c.teams[0].identity_id, X);
    assert_string_equal(c.teams[0].name, "Bayes Team 2");
    assert_true(c.teams[0].has_score);
    assert_int_equal(c.teams[0].score, 2);
    assert_int_equal(c.teams[0].winner, TRI_TRUE);
    assert_int_equal(c.teams[1].identity_id, Y);
    assert_int_equal(c.teams[1].score, 1);
    assert_int_equal(c.teams[1].winner, TRI_FALSE);
    assert_int_equal(c.nconflicts, 0);

    /* nothing given: nothing in the consensus, and still no conflict */
    member(&ms[0], 5, "src-a", NULL, NONE, NONE);
    team(&ms[0], X, "Bayes Team 2", NONE, TRI_NULL);
    build(a, ms, 1, &c);
    assert_null(c.date_start);
    assert_false(c.has_state);
    assert_false(c.has_bestof);
    assert_int_equal(c.nteams, 1);
    assert_false(c.teams[0].has_score);
    assert_int_equal(c.teams[0].winner, TRI_NULL);
    assert_int_equal(c.nconflicts, 0);
}

static void
test_agree(void **state)
{
    struct arena *a = *state;
    struct member ms[2];
    struct consensus c;

    member(&ms[0], 5, "src-a", "2020-01-07T15:00:00Z", 2, 3);
    team(&ms[0], X, "Overcooked", 2, TRI_TRUE);
    team(&ms[0], Y, "Ninjas", 0, TRI_FALSE);
    /* the other source lists the teams the other way round, spelled its way */
    member(&ms[1], 9, "src-b", "2020-01-07T15:00:00Z", 2, 3);
    team(&ms[1], Y, "NINJAS", 0, TRI_FALSE);
    team(&ms[1], X, "OverCooked ", 2, TRI_TRUE);
    build(a, ms, 2, &c);
    assert_int_equal(c.nconflicts, 0);
    assert_string_equal(c.date_start, "2020-01-07T15:00:00Z");
    assert_int_equal(c.state, 2);
    assert_int_equal(c.bestof, 3);
    /* the first-reported member's order and spelling */
    assert_int_equal(c.nteams, 2);
    assert_int_equal(c.teams[0].identity_id, X);
    assert_string_equal(c.teams[0].name, "Overcooked");
    assert_int_equal(c.teams[0].score, 2);
    assert_int_equal(c.teams[0].winner, TRI_TRUE);
    assert_int_equal(c.teams[1].identity_id, Y);
    assert_string_equal(c.teams[1].name, "Ninjas");
    assert_true(c.teams[1].has_score);
    assert_int_equal(c.teams[1].score, 0);
    assert_int_equal(c.teams[1].winner, TRI_FALSE);
}

static void
test_start(void **state)
{
    static const char *const early = "2020-01-07T14:00:00Z", *const late = "2020-01-07T15:00:00Z";
    struct arena *a = *state;
    struct member ms[4];
    struct consensus c;
    const struct conflict *k;

    /* two members, two starts: a tie, the earliest wins, whoever gives it */
    member(&ms[0], 5, "src-a", late, 1, NONE);
    member(&ms[1], 9, "src-b", early, 1, NONE);
    build(a, ms, 2, &c);
    assert_string_equal(c.date_start, early);
    assert_int_equal(c.nconflicts, 1);
    k = conflict_of(&c, "date_start", 0);
    assert_non_null(k);
    assert_int_equal(k->n, 2);
    assert_int_equal(k->values[0].match_id, 5);
    assert_string_equal(k->values[0].source, "src-a");
    assert_string_equal(k->values[0].s, late);
    assert_int_equal(k->values[1].match_id, 9);
    assert_string_equal(k->values[1].source, "src-b");
    assert_string_equal(k->values[1].s, early);
    assert_false(k->values[0].has);

    /* the one most members give beats an earlier one */
    member(&ms[2], 11, "src-c", late, 1, NONE);
    build(a, ms, 3, &c);
    assert_string_equal(c.date_start, late);
    k = conflict_of(&c, "date_start", 0);
    assert_non_null(k);
    assert_int_equal(k->n, 3);
    assert_string_equal(k->values[2].s, late);

    /* two against two: the earliest */
    member(&ms[3], 12, "src-d", early, 1, NONE);
    build(a, ms, 4, &c);
    assert_string_equal(c.date_start, early);
    assert_non_null(conflict_of(&c, "date_start", 0));

    /* a member without a start neither votes nor conflicts */
    member(&ms[0], 5, "src-a", NULL, 1, NONE);
    member(&ms[1], 9, "src-b", late, 1, NONE);
    build(a, ms, 2, &c);
    assert_string_equal(c.date_start, late);
    assert_int_equal(c.nconflicts, 0);

    /* with another that differs, the conflict shows the missing one as none */
    member(&ms[2], 11, "src-c", early, 1, NONE);
    build(a, ms, 3, &c);
    assert_string_equal(c.date_start, early);
    k = conflict_of(&c, "date_start", 0);
    assert_non_null(k);
    assert_null(k->values[0].s);
    assert_string_equal(k->values[1].s, late);
    assert_string_equal(k->values[2].s, early);

    /* no member gives one: none, no conflict */
    member(&ms[0], 5, "src-a", NULL, 1, NONE);
    member(&ms[1], 9, "src-b", NULL, 1, NONE);
    build(a, ms, 2, &c);
    assert_null(c.date_start);
    assert_int_equal(c.nconflicts, 0);
}

/* The consensus state of members with these states (NONE: none). */
static int64_t
state_of(struct arena *a, int64_t s0, int64_t s1, int *has, size_t *nconflicts)
{
    struct member ms[2];
    struct consensus c;

    member(&ms[0], 5, "src-a", NULL, s0, NONE);
    member(&ms[1], 9, "src-b", NULL, s1, NONE);
    build(a, ms, 2, &c);
    *has = c.has_state;
    *nconflicts = c.nconflicts;
    return c.state;
}

static void
test_state(void **state)
{
    struct arena *a = *state;
    struct member ms[3];
    struct consensus c;
    int has;
    size_t nk;
    static const int64_t want[] = {1, 3, 2};

    /* upcoming (1) < live (3) < finished (2), either way round */
    assert_int_equal(state_of(a, 1, 3, &has, &nk), 3);
    assert_int_equal(nk, 1);
    assert_int_equal(state_of(a, 3, 1, &has, &nk), 3);
    assert_int_equal(state_of(a, 3, 2, &has, &nk), 2);
    assert_int_equal(state_of(a, 2, 3, &has, &nk), 2);
    assert_int_equal(state_of(a, 1, 2, &has, &nk), 2);
    assert_int_equal(state_of(a, 2, 1, &has, &nk), 2);
    /* numbers of no known state count below upcoming */
    assert_int_equal(state_of(a, 7, 1, &has, &nk), 1);
    assert_int_equal(state_of(a, 1, 0, &has, &nk), 1);
    assert_int_equal(state_of(a, -5, 1, &has, &nk), 1);
    assert_int_equal(nk, 1);
    /* only unknown ones: the first-reported member's */
    assert_int_equal(state_of(a, 7, 9, &has, &nk), 7);
    assert_true(has);
    /* one member without a state: the other's, no conflict */
    assert_int_equal(state_of(a, NONE, 1, &has, &nk), 1);
    assert_true(has);
    assert_int_equal(nk, 0);
    assert_int_equal(state_of(a, 2, NONE, &has, &nk), 2);
    assert_int_equal(nk, 0);
    state_of(a, NONE, NONE, &has, &nk);
    assert_false(has);
    assert_int_equal(nk, 0);
    /* agreeing: no conflict */
    assert_int_equal(state_of(a, 3, 3, &has, &nk), 3);
    assert_int_equal(nk, 0);

    /* the conflict lists every member's state */
    member(&ms[0], 5, "src-a", NULL, 1, NONE);
    member(&ms[1], 9, "src-b", NULL, 3, NONE);
    member(&ms[2], 11, "src-c", NULL, 2, NONE);
    build(a, ms, 3, &c);
    assert_int_equal(c.state, 2);
    assert_int_equal(c.nconflicts, 1);
    assert_nums(conflict_of(&c, "state", 0), ms, 3, want);
}

static void
test_bestof(void **state)
{
    struct arena *a = *state;
    struct member ms[3];
    struct consensus c;
    static const int64_t want[] = {3, 5, 5};
    static const int64_t want_none[] = {NONE, 5, 3};

    /* the one most members report */
    member(&ms[0], 5, "src-a", NULL, 1, 3);
    member(&ms[1], 9, "src-b", NULL, 1, 5);
    member(&ms[2], 11, "src-c", NULL, 1, 5);
    build(a, ms, 3, &c);
    assert_true(c.has_bestof);
    assert_int_equal(c.bestof, 5);
    assert_int_equal(c.nconflicts, 1);
    assert_nums(conflict_of(&c, "bestof", 0), ms, 3, want);

    /* a tie: the smaller; a member without one does not vote */
    member(&ms[0], 5, "src-a", NULL, 1, NONE);
    member(&ms[2], 11, "src-c", NULL, 1, 3);
    build(a, ms, 3, &c);
    assert_int_equal(c.bestof, 3);
    assert_nums(conflict_of(&c, "bestof", 0), ms, 3, want_none);

    /* one gives it, the other not: that one, no conflict */
    build(a, ms, 2, &c);
    assert_true(c.has_bestof);
    assert_int_equal(c.bestof, 5);
    assert_int_equal(c.nconflicts, 0);
}

static void
test_scores(void **state)
{
    struct arena *a = *state;
    struct member ms[3];
    struct consensus c;
    static const int64_t want[] = {1, 2};
    static const int64_t want3[] = {1, 2, NONE};

    member(&ms[0], 5, "src-a", NULL, 3, 3);
    team(&ms[0], X, "Bayes", 1, TRI_NULL);
    team(&ms[0], Y, "Ninjas", 0, TRI_NULL);
    member(&ms[1], 9, "src-b", NULL, 3, 3);
    team(&ms[1], X, "Bayes", 2, TRI_NULL);
    team(&ms[1], Y, "Ninjas", 0, TRI_NULL);
    build(a, ms, 2, &c);
    /* X's score differs: none in the consensus, a conflict naming X and both */
    assert_false(c.teams[0].has_score);
    assert_true(c.teams[1].has_score);
    assert_int_equal(c.teams[1].score, 0);
    assert_int_equal(c.nconflicts, 1);
    assert_null(conflict_of(&c, "score", Y));
    assert_nums(conflict_of(&c, "score", X), ms, 2, want);

    /* a third member without a score for X adds a value of none, no vote */
    member(&ms[2], 11, "src-c", NULL, 3, 3);
    team(&ms[2], X, "Bayes", NONE, TRI_NULL);
    team(&ms[2], Y, "Ninjas", 0, TRI_NULL);
    build(a, ms, 3, &c);
    assert_false(c.teams[0].has_score);
    assert_int_equal(c.nconflicts, 1);
    assert_nums(conflict_of(&c, "score", X), ms, 3, want3);

    /* a member without a score makes no conflict: the others' score holds */
    member(&ms[1], 9, "src-b", NULL, 3, 3);
    team(&ms[1], X, "Bayes", NONE, TRI_NULL);
    team(&ms[1], Y, "Ninjas", NONE, TRI_NULL);
    build(a, ms, 2, &c);
    assert_int_equal(c.nconflicts, 0);
    assert_true(c.teams[0].has_score);
    assert_int_equal(c.teams[0].score, 1);
    assert_true(c.teams[1].has_score);
    assert_int_equal(c.teams[1].score, 0);
    /* whichever member it is that has none */
    member(&ms[2], 11, "src-c", NULL, 3, 3);
    team(&ms[2], X, "Bayes", 2, TRI_NULL);
    team(&ms[2], Y, "Ninjas", 0, TRI_NULL);
    build(a, &ms[1], 2, &c);
    assert_int_equal(c.nconflicts, 0);
    assert_true(c.teams[0].has_score);
    assert_int_equal(c.teams[0].score, 2);
    assert_int_equal(c.teams[1].score, 0);
}

static void
test_winners(void **state)
{
    struct arena *a = *state;
    struct member ms[2];
    struct consensus c;
    static const int64_t want[] = {1, 0};

    member(&ms[0], 5, "src-a", NULL, 2, 3);
    team(&ms[0], X, "Bayes", 2, TRI_TRUE);
    team(&ms[0], Y, "Ninjas", 1, TRI_FALSE);
    member(&ms[1], 9, "src-b", NULL, 2, 3);
    team(&ms[1], X, "Bayes", 2, TRI_FALSE);
    team(&ms[1], Y, "Ninjas", 1, TRI_NULL);
    build(a, ms, 2, &c);
    /* X: true against false, unknown; Y: one says false, the other nothing */
    assert_int_equal(c.teams[0].winner, TRI_NULL);
    assert_int_equal(c.teams[1].winner, TRI_FALSE);
    assert_int_equal(c.nconflicts, 1);
    assert_nums(conflict_of(&c, "winner", X), ms, 2, want);
    assert_null(conflict_of(&c, "winner", Y));
    assert_null(conflict_of(&c, "score", X));
}

static void
test_teams(void **state)
{
    struct arena *a = *state;
    struct member ms[3];
    struct consensus c;
    const struct conflict *k;

    member(&ms[0], 5, "src-a", NULL, 2, 3);
    team(&ms[0], X, "Bayes", 2, TRI_TRUE);
    team(&ms[0], Y, "Ninjas", 1, TRI_FALSE);
    member(&ms[1], 9, "src-b", NULL, 2, 3);
    team(&ms[1], X, "Bayes Esports", 2, TRI_TRUE);
    team(&ms[1], Z, "Pirates", 0, TRI_FALSE);
    build(a, ms, 2, &c);
    /* the first-reported member's teams; each member's names in the conflict */
    assert_int_equal(c.nteams, 2);
    assert_int_equal(c.teams[0].identity_id, X);
    assert_int_equal(c.teams[1].identity_id, Y);
    k = conflict_of(&c, "teams", 0);
    assert_non_null(k);
    assert_int_equal(k->n, 2);
    assert_int_equal(k->values[0].match_id, 5);
    assert_string_equal(k->values[0].s, "Bayes vs Ninjas");
    assert_int_equal(k->values[1].match_id, 9);
    assert_string_equal(k->values[1].s, "Bayes Esports vs Pirates");
    /* Y only the first gives: its score stands; Z is no team of the consensus */
    assert_true(c.teams[1].has_score);
    assert_int_equal(c.teams[1].score, 1);
    assert_int_equal(c.teams[1].winner, TRI_FALSE);
    assert_int_equal(c.teams[0].score, 2);
    assert_int_equal(c.nconflicts, 1);

    /* one team more, or one fewer, is another set of teams */
    member(&ms[1], 9, "src-b", NULL, 2, 3);
    team(&ms[1], X, "Bayes", 2, TRI_TRUE);
    team(&ms[1], Y, "Ninjas", 1, TRI_FALSE);
    team(&ms[1], Z, "Pirates", NONE, TRI_NULL);
    build(a, ms, 2, &c);
    k = conflict_of(&c, "teams", 0);
    assert_non_null(k);
    assert_string_equal(k->values[1].s, "Bayes vs Ninjas vs Pirates");
    assert_int_equal(c.nteams, 2);
    member(&ms[1], 9, "src-b", NULL, 2, 3);
    team(&ms[1], Y, "Ninjas", 1, TRI_FALSE);
    build(a, ms, 2, &c);
    k = conflict_of(&c, "teams", 0);
    assert_non_null(k);
    assert_string_equal(k->values[1].s, "Ninjas");
    /* X is given by the first only: no score conflict */
    assert_int_equal(c.nconflicts, 1);
    assert_true(c.teams[0].has_score);

    /* a first member with no teams: an empty consensus, the others in the conflict */
    member(&ms[0], 5, "src-a", NULL, 2, 3);
    member(&ms[2], 11, "src-c", NULL, 2, 3);
    team(&ms[2], X, NULL, NONE, TRI_NULL);
    team(&ms[2], Z, "Pirates", NONE, TRI_NULL);
    build(a, ms, 3, &c);
    assert_int_equal(c.nteams, 0);
    k = conflict_of(&c, "teams", 0);
    assert_non_null(k);
    assert_int_equal(k->n, 3);
    assert_string_equal(k->values[0].s, "");
    assert_string_equal(k->values[1].s, "Ninjas");
    assert_string_equal(k->values[2].s, " vs Pirates"); /* a team without a name */
}

static void
test_every_field_differs(void **state)
{
    static const char *const fields[] = {"date_start", "state",  "bestof", "teams",
                                         "score",      "winner", "score",  "winner"};
    static const uint64_t ids[] = {0, 0, 0, 0, X, X, Y, Y};
    struct arena *a = *state;
    struct member ms[2];
    struct consensus c;
    size_t i;

    member(&ms[0], 5, "src-a", "2020-01-07T15:00:00Z", 1, 1);
    team(&ms[0], X, "Bayes", 0, TRI_FALSE);
    team(&ms[0], Y, "Ninjas", 1, TRI_TRUE);
    member(&ms[1], 9, "src-b", "2020-01-08T15:00:00Z", 2, 3);
    team(&ms[1], Y, "Ninjas", 2, TRI_FALSE);
    team(&ms[1], X, "Bayes", 1, TRI_TRUE);
    team(&ms[1], Z, "Pirates", 0, TRI_FALSE);
    build(a, ms, 2, &c);
    /* every one kept, in this order */
    assert_int_equal(c.nconflicts, 8);
    for (i = 0; i < 8; i++) {
        assert_string_equal(c.conflicts[i].field, fields[i]);
        assert_int_equal(c.conflicts[i].identity_id, ids[i]);
        assert_int_equal(c.conflicts[i].n, 2);
    }
    assert_string_equal(c.date_start, "2020-01-07T15:00:00Z");
    assert_int_equal(c.state, 2);
    assert_int_equal(c.bestof, 1);
    assert_string_equal(c.conflicts[3].values[1].s, "Ninjas vs Bayes vs Pirates");
    for (i = 0; i < c.nteams; i++) {
        assert_false(c.teams[i].has_score);
        assert_int_equal(c.teams[i].winner, TRI_NULL);
    }
}

/* Each test's arena, of small chunks: a consensus spans several. */
static int
setup(void **state)
{
    struct arena *a = xmalloc(sizeof(*a));

    arena_init(a, 256);
    *state = a;
    return 0;
}

static int
teardown(void **state)
{
    arena_cleanup(*state);
    free(*state);
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_rank),
        T(test_one_member),
        T(test_agree),
        T(test_start),
        T(test_state),
        T(test_bestof),
        T(test_scores),
        T(test_winners),
        T(test_teams),
        T(test_every_field_differs),
    };

    return cmocka_run_group_tests_name("consensus", tests, NULL, NULL);
}
