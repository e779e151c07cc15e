/* consensus.c: a fixture's consensus and conflicts; see consensus.h. */
#include <string.h>

#include "consensus.h"

int
consensus_state_rank(int64_t state)
{
    switch (state) {
    case 1:
        return 1;
    case 3:
        return 2;
    case 2:
        return 3;
    default:
        return 0;
    }
}

/* The team of m with identity id, or NULL. */
static const struct team_view *
team_of(const struct match_view *m, uint64_t id)
{
    size_t i;

    for (i = 0; i < m->nteams; i++) {
        if (m->teams[i].identity_id == id) {
            return &m->teams[i];
        }
    }
    return NULL;
}

/* One member's number for a field: has, v. */
struct num {
    int has;
    int64_t v;
};

/* Whether the members that give a number disagree. */
static int
nums_differ(const struct num *v, size_t n)
{
    size_t i, first = n;

    for (i = 0; i < n; i++) {
        if (!v[i].has) {
            continue;
        }
        if (first == n) {
            first = i;
        } else if (v[i].v != v[first].v) {
            return 1;
        }
    }
    return 0;
}

/* The number most members give (ties: the smallest); *has 0 when none does. */
static int64_t
nums_mode(const struct num *v, size_t n, int *has)
{
    size_t i, k, best = 0, votes;
    int64_t out = 0;

    *has = 0;
    for (i = 0; i < n; i++) {
        if (!v[i].has) {
            continue;
        }
        for (votes = 0, k = 0; k < n; k++) {
            votes += v[k].has && v[k].v == v[i].v;
        }
        if (!*has || votes > best || (votes == best && v[i].v < out)) {
            out = v[i].v;
            best = votes;
            *has = 1;
        }
    }
    return out;
}

static struct conflict *
add_conflict(struct consensus *c, const char *field, uint64_t identity_id,
             const struct match_view *members, size_t n, struct arena *a)
{
    struct conflict *k = &c->conflicts[c->nconflicts++];
    size_t i;

    k->field = field;
    k->identity_id = identity_id;
    k->n = n;
    k->values = arena_alloc(a, n * sizeof(*k->values));
    memset(k->values, 0, n * sizeof(*k->values));
    for (i = 0; i < n; i++) {
        k->values[i].match_id = members[i].id;
        k->values[i].source = members[i].source;
    }
    return k;
}

static void
num_conflict(struct consensus *c, const char *field, uint64_t identity_id,
             const struct match_view *members, const struct num *v, size_t n, struct arena *a)
{
    struct conflict *k;
    size_t i;

    if (!nums_differ(v, n)) {
        return;
    }
    k = add_conflict(c, field, identity_id, members, n, a);
    for (i = 0; i < n; i++) {
        k->values[i].has = v[i].has;
        k->values[i].v = v[i].v;
    }
}

/* The start most members give, ties the earliest; a conflict when they
 * differ. */
static void
start_of(struct consensus *c, const struct match_view *m, size_t n, struct arena *a)
{
    size_t i, k, best = 0, votes;
    int differ = 0;

    c->date_start = NULL;
    for (i = 0; i < n; i++) {
        if (m[i].date_start == NULL) {
            continue;
        }
        for (votes = 0, k = 0; k < n; k++) {
            votes += m[k].date_start != NULL && strcmp(m[k].date_start, m[i].date_start) == 0;
        }
        if (c->date_start != NULL && strcmp(c->date_start, m[i].date_start) != 0) {
            differ = 1;
        }
        /* ISO 8601 UTC strings compare as the instants do */
        if (c->date_start == NULL || votes > best ||
            (votes == best && strcmp(m[i].date_start, c->date_start) < 0)) {
            c->date_start = m[i].date_start;
            best = votes;
        }
    }
    if (differ) {
        struct conflict *k2 = add_conflict(c, "date_start", 0, m, n, a);

        for (i = 0; i < n; i++) {
            k2->values[i].s = m[i].date_start;
        }
    }
}

/* "A vs B" of m's team names. */
static const char *
names_of(const struct match_view *m, struct arena *a)
{
    size_t len = 1, i, at = 0, n;
    char *s;

    for (i = 0; i < m->nteams; i++) {
        len += strlen(m->teams[i].name ? m->teams[i].name : "") + 4;
    }
    s = arena_alloc(a, len);
    for (i = 0; i < m->nteams; i++) {
        const char *name = m->teams[i].name ? m->teams[i].name : "";

        if (i > 0) {
            memcpy(s + at, " vs ", 4);
            at += 4;
        }
        n = strlen(name);
        memcpy(s + at, name, n);
        at += n;
    }
    s[at] = '\0';
    return s;
}

/* Whether m's teams are the identities of c's teams, in any order. */
static int
same_teams(const struct consensus *c, const struct match_view *m)
{
    size_t i;

    if (m->nteams != c->nteams) {
        return 0;
    }
    for (i = 0; i < c->nteams; i++) {
        if (team_of(m, c->teams[i].identity_id) == NULL) {
            return 0;
        }
    }
    return 1;
}

static void
teams_of(struct consensus *c, const struct match_view *m, size_t n, struct num *v, struct arena *a)
{
    size_t i, k;

    c->nteams = m[0].nteams;
    c->teams = arena_alloc(a, (c->nteams ? c->nteams : 1) * sizeof(*c->teams));
    for (i = 0; i < c->nteams; i++) {
        c->teams[i].identity_id = m[0].teams[i].identity_id;
        c->teams[i].name = m[0].teams[i].name;
    }
    for (k = 1; k < n && same_teams(c, &m[k]); k++) {
    }
    if (k < n) {
        struct conflict *t = add_conflict(c, "teams", 0, m, n, a);

        for (k = 0; k < n; k++) {
            t->values[k].s = names_of(&m[k], a);
        }
    }
    for (i = 0; i < c->nteams; i++) {
        struct consensus_team *ct = &c->teams[i];
        int has;

        for (k = 0; k < n; k++) {
            const struct team_view *t = team_of(&m[k], ct->identity_id);

            v[k].has = t != NULL && t->has_score;
            v[k].v = v[k].has ? t->score : 0;
        }
        ct->has_score = !nums_differ(v, n);
        ct->score = nums_mode(v, n, &has);
        ct->has_score = ct->has_score && has;
        num_conflict(c, "score", ct->identity_id, m, v, n, a);
        for (k = 0; k < n; k++) {
            const struct team_view *t = team_of(&m[k], ct->identity_id);

            v[k].has = t != NULL && t->winner != TRI_NULL;
            v[k].v = v[k].has && t->winner == TRI_TRUE;
        }
        ct->winner = TRI_NULL;
        if (!nums_differ(v, n)) {
            int64_t w = nums_mode(v, n, &has);

            ct->winner = !has ? TRI_NULL : w ? TRI_TRUE : TRI_FALSE;
        }
        num_conflict(c, "winner", ct->identity_id, m, v, n, a);
    }
}

void
consensus_build(const struct match_view *m, size_t n, struct arena *a, struct consensus *c)
{
    struct num *v = arena_alloc(a, (n ? n : 1) * sizeof(*v));
    size_t i;
    int best = -1;

    memset(c, 0, sizeof(*c));
    if (n == 0) {
        return;
    }
    /* date, state, bestof, teams, and a score and a winner per team */
    c->conflicts = arena_alloc(a, (4 + 2 * m[0].nteams) * sizeof(*c->conflicts));
    c->title_id = m[0].title_id;
    c->title_name = m[0].title_name;
    start_of(c, m, n, a);

    for (i = 0; i < n; i++) {
        v[i].has = m[i].has_state;
        v[i].v = m[i].state;
        if (m[i].has_state && consensus_state_rank(m[i].state) > best) {
            best = consensus_state_rank(m[i].state);
            c->has_state = 1;
            c->state = m[i].state;
        }
    }
    num_conflict(c, "state", 0, m, v, n, a);

    for (i = 0; i < n; i++) {
        v[i].has = m[i].has_bestof;
        v[i].v = m[i].bestof;
    }
    c->bestof = nums_mode(v, n, &c->has_bestof);
    num_conflict(c, "bestof", 0, m, v, n, a);

    teams_of(c, m, n, v, a);
}
