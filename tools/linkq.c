/*
 * linkq: the linker's quality, offline. For each seed it generates
 * fixtures-mode messages (gen.h), parses them as the consumer does, links
 * them in memory the way ingestion does (blocking by title and start window,
 * after every message the components of the changed match recomputed) and
 * compares the fixtures and team identities with the generator's truth:
 * pairwise precision, recall and F1, beside exact-name grouping. Run
 * `linkq --help` for the options.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "gen.h"
#include "hash.h"
#include "link.h"
#include "mem.h"
#include "msg.h"
#include "rc.h"

#define MAX_TEAMS 8

/* ---- a string -> index map (open addressing) ---- */

struct map {
    char **keys;
    size_t *vals;
    size_t cap, n;
};

static size_t *
map_slot(struct map *m, const char *key, int *found)
{
    size_t i;

    if (2 * (m->n + 1) > m->cap) {
        struct map old = *m;

        m->cap = old.cap ? 2 * old.cap : 1024;
        m->keys = xcalloc(m->cap, sizeof(char *));
        m->vals = xcalloc(m->cap, sizeof(size_t));
        m->n = 0;
        for (i = 0; i < old.cap; i++) {
            if (old.keys[i] != NULL) {
                int f;

                *map_slot(m, old.keys[i], &f) = old.vals[i];
                free(old.keys[i]);
            }
        }
        free(old.keys);
        free(old.vals);
    }
    for (i = hash_str(key) & (m->cap - 1); m->keys[i] != NULL; i = (i + 1) & (m->cap - 1)) {
        if (strcmp(m->keys[i], key) == 0) {
            *found = 1;
            return &m->vals[i];
        }
    }
    *found = 0;
    m->keys[i] = xstrdup(key);
    m->vals[i] = 0;
    m->n++;
    return &m->vals[i];
}

static void
map_free(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->keys[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* ---- the rows, as the database keeps them ---- */

struct team {
    int source, truth;
    char *name_key, *norm;
    struct link_team_form form; /* norm prepared */
    int64_t identity;
};

struct match {
    int source, truth, title;
    int has_date, has_bestof, has_state;
    int64_t start, bestof, state;
    char *tnorm;
    size_t nteams;
    size_t team[MAX_TEAMS];
    int has_score[MAX_TEAMS];
    int64_t score[MAX_TEAMS];
    int64_t fixture; /* the smallest member's index */
    size_t bucket;   /* the block it sits in (+1; 0 none) */
};

struct vec {
    size_t *v, n, cap;
};

static void
vec_push(struct vec *v, size_t x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 4;
        v->v = xrealloc(v->v, v->cap * sizeof(size_t));
    }
    v->v[v->n++] = x;
}

static void
vec_remove(struct vec *v, size_t x)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->v[i] == x) {
            v->v[i] = v->v[--v->n];
            return;
        }
    }
}

struct world {
    struct link_params p;
    struct map match_ids, team_ids, titles, norms, buckets;
    struct match *m;
    size_t nm, mcap;
    struct team *t;
    size_t nt, tcap;
    uint64_t *norm_count; /* by norms' index */
    size_t ncounts;
    struct vec *blocks; /* by buckets' index: the matches of a (title, hour) */
    size_t nblocks;
    struct vec *members; /* by fixture (a match index): its matches */
    /* the BFS of a relink */
    unsigned *seen, *done; /* queued, expanded: this relink when == gen */
    unsigned gen;
    struct vec queue, found;
    struct link_edge *edges;
    size_t nedges, ecap;
    int use_identities;
};

static uint64_t
norm_freq(struct world *w, const char *norm, int delta)
{
    int found;
    size_t *slot = map_slot(&w->norms, norm, &found);

    if (!found) {
        *slot = w->ncounts;
        w->norm_count = xrealloc(w->norm_count, (w->ncounts + 1) * sizeof(uint64_t));
        w->norm_count[w->ncounts++] = 0;
    }
    w->norm_count[*slot] = (uint64_t)((int64_t)w->norm_count[*slot] + delta);
    return w->norm_count[*slot];
}

/* The team row of (source, external id), its name updated. */
static size_t
upsert_team(struct world *w, int source, const struct match_team *mt, int truth)
{
    char key[512], norm[LINK_NORM_MAX];
    int found;
    size_t *slot, i;

    snprintf(key, sizeof(key), "%d\037%s", source, mt->external_id);
    slot = map_slot(&w->team_ids, key, &found);
    if (!found) {
        if (w->nt == w->tcap) {
            w->tcap = w->tcap ? 2 * w->tcap : 1024;
            w->t = xrealloc(w->t, w->tcap * sizeof(*w->t));
        }
        *slot = w->nt;
        memset(&w->t[w->nt], 0, sizeof(w->t[0]));
        w->t[w->nt].source = source;
        w->t[w->nt].truth = truth;
        w->t[w->nt].identity = (int64_t)w->nt;
        w->nt++;
    }
    i = *slot;
    link_norm_team(mt->name, norm, sizeof(norm));
    if (w->t[i].norm == NULL || strcmp(w->t[i].norm, norm) != 0) {
        if (w->t[i].norm != NULL) {
            norm_freq(w, w->t[i].norm, -1);
            free(w->t[i].norm);
        }
        w->t[i].norm = xstrdup(norm);
        norm_freq(w, norm, 1);
        link_team_prepare(w->t[i].norm, &w->t[i].form);
    }
    free(w->t[i].name_key);
    w->t[i].name_key = xstrdup(mt->name_key);
    return i;
}

static size_t
block_of(struct world *w, int title, int64_t start)
{
    char key[64];
    int found;
    size_t *slot;

    snprintf(key, sizeof(key), "%d:%lld", title, (long long)(start / 3600));
    slot = map_slot(&w->buckets, key, &found);
    if (!found) {
        *slot = w->nblocks;
        w->blocks = xrealloc(w->blocks, (w->nblocks + 1) * sizeof(struct vec));
        memset(&w->blocks[w->nblocks], 0, sizeof(struct vec));
        w->nblocks++;
    }
    return *slot;
}

/* The linker's view of match i (teams into lt[MAX_TEAMS]). */
static void
view(struct world *w, size_t i, struct link_match *lm, struct link_team *lt)
{
    const struct match *m = &w->m[i];

    memset(lm, 0, sizeof(*lm));
    lm->id = (int64_t)i;
    lm->source_id = m->source;
    lm->title_id = m->title;
    lm->has_date = m->has_date;
    lm->date_start = m->start;
    lm->tournament_norm = m->tnorm;
    lm->has_bestof = m->has_bestof;
    lm->bestof = m->bestof;
    lm->has_state = m->has_state;
    lm->state = m->state;
    lm->nteams = m->nteams;
    lm->teams = lt;
    for (size_t k = 0; k < m->nteams; k++) {
        const struct team *t = &w->t[m->team[k]];
        int found;
        size_t *slot = map_slot(&w->norms, t->norm, &found);

        lt[k].id = (int64_t)m->team[k];
        lt[k].name = t->name_key;
        lt[k].norm = t->norm;
        lt[k].identity_id = w->use_identities ? t->identity : (int64_t)m->team[k];
        lt[k].norm_freq = w->norm_count[*slot];
        lt[k].has_score = m->has_score[k];
        lt[k].score = m->score[k];
        lt[k].form = &t->form;
    }
}

/* The candidates of match i: same title, starts within the window. */
static void
candidates(struct world *w, size_t i, struct vec *out)
{
    const struct match *m = &w->m[i];
    int64_t h;

    out->n = 0;
    if (!m->has_date || m->title == 0) {
        return;
    }
    for (h = (m->start - w->p.window_s) / 3600; h <= (m->start + w->p.window_s) / 3600; h++) {
        char key[64];
        int found;
        size_t *slot;
        const struct vec *b;

        snprintf(key, sizeof(key), "%d:%lld", m->title, (long long)h);
        slot = map_slot(&w->buckets, key, &found);
        if (!found) {
            /* an empty block now exists: harmless, give it storage */
            *slot = w->nblocks;
            w->blocks = xrealloc(w->blocks, (w->nblocks + 1) * sizeof(struct vec));
            memset(&w->blocks[w->nblocks], 0, sizeof(struct vec));
            w->nblocks++;
            continue;
        }
        b = &w->blocks[*slot];
        for (size_t k = 0; k < b->n; k++) {
            const struct match *c = &w->m[b->v[k]];
            int64_t d = c->start > m->start ? c->start - m->start : m->start - c->start;

            if (b->v[k] != i && c->source != m->source && d <= w->p.window_s) {
                vec_push(out, b->v[k]);
            }
        }
    }
}

static double
pair_probability(struct world *w, size_t a, size_t b)
{
    struct link_team ta[MAX_TEAMS], tb[MAX_TEAMS];
    struct link_match ma, mb;
    struct link_score s;

    view(w, a, &ma, ta);
    view(w, b, &mb, tb);
    link_score_pair(&ma, &mb, &w->p, &s);
    return s.probability;
}

/* Recomputes the fixtures of the component of the threshold graph holding
 * `start` and the members of its fixture. */
static void
relink(struct world *w, size_t start)
{
    struct vec cand = {0};
    int64_t *ids, *group, *cluster;
    size_t n, k;

    if (++w->gen == 0) {
        memset(w->seen, 0, w->nm * sizeof(unsigned));
        memset(w->done, 0, w->nm * sizeof(unsigned));
        w->gen = 1;
    }
    w->queue.n = 0;
    w->nedges = 0;
    vec_push(&w->queue, start);
    w->seen[start] = w->gen;
    for (k = 0; k < w->members[w->m[start].fixture].n; k++) {
        size_t x = w->members[w->m[start].fixture].v[k];

        if (w->seen[x] != w->gen) {
            w->seen[x] = w->gen;
            vec_push(&w->queue, x);
        }
    }
    for (k = 0; k < w->queue.n; k++) {
        size_t x = w->queue.v[k];

        w->done[x] = w->gen;
        candidates(w, x, &cand);
        for (size_t j = 0; j < cand.n; j++) {
            size_t y = cand.v[j];
            double p;

            if (w->done[y] == w->gen) {
                continue; /* the pair was scored from y's side */
            }
            p = pair_probability(w, x, y);
            if (p < w->p.high) {
                continue;
            }
            if (w->seen[y] != w->gen) {
                w->seen[y] = w->gen;
                vec_push(&w->queue, y);
            }
            if (w->nedges == w->ecap) {
                w->ecap = w->ecap ? 2 * w->ecap : 256;
                w->edges = xrealloc(w->edges, w->ecap * sizeof(*w->edges));
            }
            /* indexes into the queue, filled below */
            w->edges[w->nedges].a = x;
            w->edges[w->nedges].b = y;
            w->edges[w->nedges].probability = p;
            w->edges[w->nedges].forced = 0;
            w->nedges++;
        }
    }
    free(cand.v);
    n = w->queue.n;
    ids = xcalloc(n, sizeof(int64_t));
    group = xcalloc(n, sizeof(int64_t));
    cluster = xcalloc(n, sizeof(int64_t));
    /* node index = position in the queue: sort the queue so that the nodes'
     * order does not depend on the walk */
    for (k = 0; k < n; k++) {
        for (size_t j = k + 1; j < n; j++) {
            if (w->queue.v[j] < w->queue.v[k]) {
                size_t t = w->queue.v[k];

                w->queue.v[k] = w->queue.v[j];
                w->queue.v[j] = t;
            }
        }
    }
    for (k = 0; k < n; k++) {
        ids[k] = (int64_t)w->queue.v[k];
        group[k] = w->m[w->queue.v[k]].source;
    }
    for (k = 0; k < w->nedges; k++) {
        size_t a = 0, b = 0;

        for (size_t j = 0; j < n; j++) {
            a = w->queue.v[j] == w->edges[k].a ? j : a;
            b = w->queue.v[j] == w->edges[k].b ? j : b;
        }
        w->edges[k].a = a;
        w->edges[k].b = b;
    }
    if (link_cluster(n, ids, group, w->edges, w->nedges, NULL, 0, w->p.high, cluster) != 0) {
        fprintf(stderr, "linkq: out of memory\n");
        exit(1);
    }
    for (k = 0; k < n; k++) {
        size_t x = w->queue.v[k];

        vec_remove(&w->members[w->m[x].fixture], x);
    }
    for (k = 0; k < n; k++) {
        size_t x = w->queue.v[k];

        w->m[x].fixture = cluster[k];
        vec_push(&w->members[cluster[k]], x);
    }
    free(ids);
    free(group);
    free(cluster);
}

/* Applies one parsed message; returns the match's index. */
static size_t
apply(struct world *w, const struct match_event *ev, const struct genfx *g, struct arena *a)
{
    char key[512], norm[LINK_NORM_MAX];
    int found, source = atoi(ev->source + strlen("source"));
    size_t *slot, i;
    struct match *m;
    int64_t ext = strtoll(ev->external_id, NULL, 10);

    snprintf(key, sizeof(key), "%s\037%s", ev->source, ev->external_id);
    slot = map_slot(&w->match_ids, key, &found);
    if (!found) {
        if (w->nm == w->mcap) {
            w->mcap = w->mcap ? 2 * w->mcap : 1024;
            w->m = xrealloc(w->m, w->mcap * sizeof(*w->m));
            w->members = xrealloc(w->members, w->mcap * sizeof(struct vec));
            w->seen = xrealloc(w->seen, w->mcap * sizeof(unsigned));
            w->done = xrealloc(w->done, w->mcap * sizeof(unsigned));
        }
        *slot = w->nm;
        memset(&w->m[w->nm], 0, sizeof(w->m[0]));
        memset(&w->members[w->nm], 0, sizeof(struct vec));
        w->seen[w->nm] = w->done[w->nm] = 0;
        w->m[w->nm].truth = genfx_fixture_of(g, source, ext);
        w->m[w->nm].fixture = (int64_t)w->nm;
        vec_push(&w->members[w->nm], w->nm);
        w->nm++;
    }
    i = *slot;
    m = &w->m[i];
    m->source = source;
    slot = map_slot(&w->titles, ev->title_key ? ev->title_key : "", &found);
    if (!found) {
        *slot = w->titles.n;
    }
    m->title = ev->title_key ? (int)*slot : 0;
    m->has_date = ev->has_date;
    m->start = ev->date_start;
    m->has_bestof = ev->has_bestof;
    m->bestof = ev->bestof;
    m->has_state = ev->has_state;
    m->state = ev->state;
    free(m->tnorm);
    link_norm_team(ev->has_tournament ? ev->tournament_name : "", norm, sizeof(norm));
    m->tnorm = xstrdup(norm);
    m->nteams = ev->nteams < MAX_TEAMS ? ev->nteams : MAX_TEAMS;
    for (size_t k = 0; k < m->nteams; k++) {
        m->team[k] =
            upsert_team(w, source, &ev->teams[k],
                        genfx_team_of(g, source, strtoll(ev->teams[k].external_id, NULL, 10)));
        m->has_score[k] = ev->teams[k].has_score;
        m->score[k] = ev->teams[k].score;
    }
    (void)a;
    if (m->bucket != 0) {
        vec_remove(&w->blocks[m->bucket - 1], i);
        m->bucket = 0;
    }
    if (m->has_date && m->title != 0) {
        m->bucket = block_of(w, m->title, m->start) + 1;
        vec_push(&w->blocks[m->bucket - 1], i);
    }
    return i;
}

/* ---- measures ---- */

struct pr {
    double p, r, f1;
    uint64_t tp, pred, truth;
};

struct pair2 {
    int64_t pred, truth;
};

static int
cmp_pred(const void *x, const void *y)
{
    const struct pair2 *a = x, *b = y;

    if (a->pred != b->pred) {
        return a->pred < b->pred ? -1 : 1;
    }
    return (a->truth > b->truth) - (a->truth < b->truth);
}

static int
cmp_truth(const void *x, const void *y)
{
    const struct pair2 *a = x, *b = y;

    return (a->truth > b->truth) - (a->truth < b->truth);
}

static uint64_t
pairs_in_runs(const struct pair2 *v, size_t n, int both)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < n;) {
        size_t j = i;

        while (j < n && (both ? v[j].pred == v[i].pred && v[j].truth == v[i].truth
                              : v[j].pred == v[i].pred)) {
            j++;
        }
        sum += (uint64_t)(j - i) * (uint64_t)(j - i - 1) / 2;
        i = j;
    }
    return sum;
}

/* Pairwise precision and recall of a clustering against the truth. */
static struct pr
pairwise(struct pair2 *v, size_t n)
{
    struct pr r = {0};

    qsort(v, n, sizeof(*v), cmp_pred);
    r.tp = pairs_in_runs(v, n, 1);
    r.pred = pairs_in_runs(v, n, 0);
    qsort(v, n, sizeof(*v), cmp_truth);
    for (size_t i = 0; i < n; i++) {
        v[i].pred = v[i].truth;
    }
    r.truth = pairs_in_runs(v, n, 0);
    r.p = r.pred ? (double)r.tp / (double)r.pred : 1.0;
    r.r = r.truth ? (double)r.tp / (double)r.truth : 1.0;
    r.f1 = r.p + r.r > 0 ? 2 * r.p * r.r / (r.p + r.r) : 0;
    return r;
}

/* Clusters by a string key: equal keys, one cluster. */
static void
group_by_key(char **keys, size_t n, int64_t *out)
{
    struct map m = {0};

    for (size_t i = 0; i < n; i++) {
        int found;
        size_t *slot = map_slot(&m, keys[i], &found);

        if (!found) {
            *slot = i;
        }
        out[i] = (int64_t)*slot;
    }
    map_free(&m);
}

/* Team identities from the fixtures: every fixture's team edges, the best
 * per pair, clustered one team per source. */
static void
identities(struct world *w, int64_t *cluster)
{
    struct link_team_edge *te = NULL;
    struct link_edge *e = NULL;
    size_t nte = 0, tcap = 0, ne = 0;
    int64_t *ids = xcalloc(w->nt ? w->nt : 1, sizeof(int64_t));
    int64_t *group = xcalloc(w->nt ? w->nt : 1, sizeof(int64_t));

    for (size_t f = 0; f < w->nm; f++) {
        struct link_match ms[16];
        struct link_team lt[16][MAX_TEAMS];
        size_t k = 0, need;

        if (w->members[f].n < 2) {
            continue;
        }
        for (size_t j = 0; j < w->members[f].n && k < 16; j++) {
            view(w, w->members[f].v[j], &ms[k], lt[k]);
            k++;
        }
        need = link_fixture_team_edges(ms, k, &w->p, NULL, 0);
        if (nte + need > tcap) {
            tcap = 2 * (nte + need);
            te = xrealloc(te, tcap * sizeof(*te));
        }
        if (need > 0) {
            nte += link_fixture_team_edges(ms, k, &w->p, te + nte, need);
        }
    }
    e = xcalloc(nte ? nte : 1, sizeof(*e));
    for (size_t i = 0; i < nte; i++) {
        e[ne].a = (size_t)te[i].a;
        e[ne].b = (size_t)te[i].b;
        e[ne].probability = te[i].probability;
        ne++;
    }
    for (size_t i = 0; i < w->nt; i++) {
        ids[i] = (int64_t)i;
        group[i] = w->t[i].source;
    }
    if (link_cluster(w->nt, ids, group, e, ne, NULL, 0, w->p.high, cluster) != 0) {
        fprintf(stderr, "linkq: out of memory\n");
        exit(1);
    }
    free(te);
    free(e);
    free(ids);
    free(group);
}

/* ---- the m/u estimate: every blocked pair's levels by truth ---- */

struct tally {
    const char *field, *level;
    uint64_t m, u;
};

static void
estimate(struct world *w, struct tally *t, size_t *nt, size_t cap, uint64_t *pairs_m,
         uint64_t *pairs_u)
{
    struct vec cand = {0};

    for (size_t i = 0; i < w->nm; i++) {
        candidates(w, i, &cand);
        for (size_t j = 0; j < cand.n; j++) {
            struct link_team ta[MAX_TEAMS], tb[MAX_TEAMS];
            struct link_match ma, mb;
            struct link_score s;
            size_t y = cand.v[j];
            int same;

            if (y < i) {
                continue;
            }
            view(w, i, &ma, ta);
            view(w, y, &mb, tb);
            link_score_pair(&ma, &mb, &w->p, &s);
            same = w->m[i].truth == w->m[y].truth;
            *(same ? pairs_m : pairs_u) += 1;
            for (size_t f = 0; f < s.nfields; f++) {
                size_t k;

                for (k = 0; k < *nt; k++) {
                    if (strcmp(t[k].field, s.fields[f].field) == 0 &&
                        strcmp(t[k].level, s.fields[f].level) == 0) {
                        break;
                    }
                }
                if (k == *nt) {
                    if (*nt == cap) {
                        continue;
                    }
                    t[k].field = s.fields[f].field;
                    t[k].level = s.fields[f].level;
                    t[k].m = t[k].u = 0;
                    (*nt)++;
                }
                *(same ? &t[k].m : &t[k].u) += 1;
            }
        }
    }
    free(cand.v);
}

/* ---- one seed ---- */

struct result {
    struct pr fx, teams, fx_exact, teams_exact, fx_first;
    size_t messages, matches, nteams, suggestions;
    int rebuild_equal;
    double seconds;
};

static void
world_free(struct world *w)
{
    for (size_t i = 0; i < w->nm; i++) {
        free(w->m[i].tnorm);
        free(w->members[i].v);
    }
    for (size_t i = 0; i < w->nt; i++) {
        free(w->t[i].name_key);
        free(w->t[i].norm);
    }
    for (size_t i = 0; i < w->nblocks; i++) {
        free(w->blocks[i].v);
    }
    free(w->blocks);
    free(w->m);
    free(w->members);
    free(w->seen);
    free(w->done);
    free(w->t);
    free(w->norm_count);
    free(w->queue.v);
    free(w->found.v);
    free(w->edges);
    map_free(&w->match_ids);
    map_free(&w->team_ids);
    map_free(&w->titles);
    map_free(&w->norms);
    map_free(&w->buckets);
}

/* Every fixture recomputed from the rows as they are (a rebuild). */
static void
rebuild(struct world *w)
{
    for (size_t i = 0; i < w->nm; i++) {
        w->members[i].n = 0;
    }
    for (size_t i = 0; i < w->nm; i++) {
        w->m[i].fixture = (int64_t)i;
        vec_push(&w->members[i], i);
    }
    for (size_t i = 0; i < w->nm; i++) {
        if (w->members[w->m[i].fixture].n == 1) {
            relink(w, i);
        }
    }
}

static struct pr
fixture_quality(struct world *w)
{
    struct pair2 *v = xcalloc(w->nm ? w->nm : 1, sizeof(*v));
    struct pr r;

    for (size_t i = 0; i < w->nm; i++) {
        v[i].pred = w->m[i].fixture;
        v[i].truth = w->m[i].truth;
    }
    r = pairwise(v, w->nm);
    free(v);
    return r;
}

/* Prints up to n true pairs apart (misses) or false pairs together. */
static void
show_errors(struct world *w, int n, int misses)
{
    struct vec cand = {0};

    for (size_t i = 0; i < w->nm && n > 0; i++) {
        candidates(w, i, &cand);
        for (size_t j = 0; j < cand.n && n > 0; j++) {
            size_t y = cand.v[j];
            int same_truth = w->m[i].truth == w->m[y].truth;
            int same_pred = w->m[i].fixture == w->m[y].fixture;
            struct link_team ta[MAX_TEAMS], tb[MAX_TEAMS];
            struct link_match ma, mb;
            struct link_score s;
            buf_t b;

            if (y < i || (misses ? !(same_truth && !same_pred) : !(!same_truth && same_pred))) {
                continue;
            }
            view(w, i, &ma, ta);
            view(w, y, &mb, tb);
            link_score_pair(&ma, &mb, &w->p, &s);
            buf_init(&b, 0);
            link_score_json(&s, &b);
            printf("%s %zu [%s | %s] ~ %zu [%s | %s]: %s\n", misses ? "miss" : "false", i,
                   w->m[i].nteams > 0 ? ta[0].norm : "", w->m[i].nteams > 1 ? ta[1].norm : "", y,
                   w->m[y].nteams > 0 ? tb[0].norm : "", w->m[y].nteams > 1 ? tb[1].norm : "",
                   b.data);
            buf_cleanup(&b);
            n--;
        }
    }
    free(cand.v);
}

static int
run_seed(uint64_t seed, long nmsg, int sources, double update_ratio, const struct link_params *p,
         int do_estimate, struct result *res)
{
    const struct msg_opts o = {1024 * 1024, 0};
    struct genfx g;
    struct world w;
    struct arena a;
    buf_t b;
    double t0 = dt_mono();
    int64_t *fixture_inc, *tc;
    struct pair2 *v;
    char **keys;
    size_t n;

    memset(&w, 0, sizeof(w));
    memset(res, 0, sizeof(*res));
    w.p = *p;
    genfx_init(&g, seed, sources, update_ratio, "source");
    arena_init(&a, 16384);
    buf_init(&b, 0);
    for (long k = 0; k < nmsg; k++) {
        struct match_event *ev;
        char why[256];
        size_t i;

        buf_reset(&b);
        arena_reset(&a);
        genfx_next(&g, &b);
        if (msg_parse(b.data, b.len, &o, &a, &ev, why, sizeof(why)) != RC_OK) {
            fprintf(stderr, "linkq: seed %llu message %ld does not parse: %s\n",
                    (unsigned long long)seed, k + 1, why);
            return -1;
        }
        i = apply(&w, ev, &g, &a);
        w.p.nteams = w.nt;
        relink(&w, i);
    }
    res->seconds = dt_mono() - t0;
    res->messages = (size_t)nmsg;
    res->matches = w.nm;
    res->nteams = w.nt;

    /* incremental against a rebuild from the rows */
    fixture_inc = xcalloc(w.nm ? w.nm : 1, sizeof(int64_t));
    for (size_t i = 0; i < w.nm; i++) {
        fixture_inc[i] = w.m[i].fixture;
    }
    res->fx_first = fixture_quality(&w);
    rebuild(&w);
    res->rebuild_equal = 1;
    for (size_t i = 0; i < w.nm; i++) {
        res->rebuild_equal &= fixture_inc[i] == w.m[i].fixture;
    }
    free(fixture_inc);

    /* team identities from the fixtures, then the fixtures again with the
     * identities known, then the identities once more */
    tc = xcalloc(w.nt ? w.nt : 1, sizeof(int64_t));
    identities(&w, tc);
    for (size_t i = 0; i < w.nt; i++) {
        w.t[i].identity = tc[i];
    }
    w.use_identities = 1;
    rebuild(&w);
    identities(&w, tc);
    res->fx = fixture_quality(&w);
    if (getenv("LINKQ_SHOW") != NULL) {
        show_errors(&w, atoi(getenv("LINKQ_SHOW")), 1);
        show_errors(&w, atoi(getenv("LINKQ_SHOW")), 0);
    }

    /* suggestions: pairs between low and high not in one fixture */
    {
        struct vec cand = {0};

        for (size_t i = 0; i < w.nm; i++) {
            candidates(&w, i, &cand);
            for (size_t j = 0; j < cand.n; j++) {
                size_t y = cand.v[j];
                double pr;

                if (y < i || w.m[y].fixture == w.m[i].fixture) {
                    continue;
                }
                pr = pair_probability(&w, i, y);
                res->suggestions += pr >= w.p.low && pr < w.p.high;
            }
        }
        free(cand.v);
    }

    n = w.nt;
    v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].pred = tc[i];
        v[i].truth = w.t[i].truth;
    }
    res->teams = pairwise(v, n);

    /* exact names: teams by their name key; fixtures by title, both names
     * and the start */
    keys = xcalloc(w.nm > n ? w.nm + 1 : n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        keys[i] = w.t[i].name_key;
    }
    group_by_key(keys, n, tc);
    for (size_t i = 0; i < n; i++) {
        v[i].pred = tc[i];
        v[i].truth = w.t[i].truth;
    }
    res->teams_exact = pairwise(v, n);
    free(v);
    free(tc);
    tc = xcalloc(w.nm ? w.nm : 1, sizeof(int64_t));
    for (size_t i = 0; i < w.nm; i++) {
        const struct match *m = &w.m[i];
        const char *x = m->nteams > 0 ? w.t[m->team[0]].name_key : "";
        const char *y = m->nteams > 1 ? w.t[m->team[1]].name_key : "";
        buf_t k;

        buf_init(&k, 0);
        if (strcmp(x, y) > 0) {
            const char *t = x;

            x = y;
            y = t;
        }
        buf_appendf(&k, "%d\037%s\037%s\037%lld", m->title, x, y, (long long)m->start);
        keys[i] = buf_release(&k);
    }
    group_by_key(keys, w.nm, tc);
    v = xcalloc(w.nm ? w.nm : 1, sizeof(*v));
    for (size_t i = 0; i < w.nm; i++) {
        v[i].pred = tc[i];
        v[i].truth = w.m[i].truth;
        free(keys[i]);
    }
    res->fx_exact = pairwise(v, w.nm);
    free(v);
    free(tc);
    free(keys);

    if (do_estimate) {
        struct tally t[64];
        size_t nt = 0;
        uint64_t pm = 0, pu = 0;

        w.use_identities = 0;
        estimate(&w, t, &nt, 64, &pm, &pu);
        printf("seed %llu: %llu blocked pairs, %llu of them one fixture (prior %.2f bits)\n",
               (unsigned long long)seed, (unsigned long long)pm + (unsigned long long)pu,
               (unsigned long long)pm, pm && pu ? log2((double)pm / (double)pu) : 0.0);
        for (size_t k = 0; k < nt; k++) {
            printf("  %-20s %-40s m %.4f  u %.4f\n", t[k].field, t[k].level,
                   pm ? (double)t[k].m / (double)pm : 0.0, pu ? (double)t[k].u / (double)pu : 0.0);
        }
    }
    buf_cleanup(&b);
    arena_cleanup(&a);
    genfx_cleanup(&g);
    world_free(&w);
    return 0;
}

/* ---- main ---- */

static void
usage(FILE *f)
{
    fprintf(f, "usage: linkq [--seeds A-B | --seed S]... [--messages N] [--sources K]\n"
               "             [--update-ratio R] [--window S] [--high P] [--low P] [--estimate]\n"
               "\n"
               "Generates fixtures-mode messages for each seed, links them in memory as\n"
               "ingestion does (incrementally, message by message) and prints pairwise\n"
               "precision, recall and F1 of the fixtures and the team identities against\n"
               "the generator's truth, beside exact-name grouping.\n"
               "\n"
               "  --seed S          one seed (repeatable); --seeds A-B a range (default 101-105)\n"
               "  --messages N      messages per seed (default 20000, 1 to 1000000)\n"
               "  --sources K       sources (default 3, 1 to 9)\n"
               "  --update-ratio R  share of updates (default 0.3, 0 to 1)\n"
               "  --window S        blocking window in seconds (default 10800)\n"
               "  --high P, --low P the thresholds (default 0.99 and 0.5)\n"
               "  --estimate        also print each field level's m and u among blocked pairs\n");
}

static int
parse_num(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d;

    if (v == NULL) {
        fprintf(stderr, "linkq: %s needs a value\n", flag);
        return RC_INVALID;
    }
    errno = 0;
    d = strtod(v, &end);
    if (v[0] == '\0' || *end != '\0' || errno != 0 || !(d >= lo && d <= hi)) {
        fprintf(stderr, "linkq: invalid %s '%s': expected a number from %g to %g\n", flag, v, lo,
                hi);
        return RC_INVALID;
    }
    *out = d;
    return RC_OK;
}

static int
whole(double d)
{
    return d == floor(d);
}

int
main(int argc, char **argv)
{
    uint64_t seeds[256];
    size_t nseeds = 0;
    long nmsg = 20000;
    int sources = 3, do_estimate = 0;
    double update_ratio = 0.3, d, d2;
    struct link_params p;
    struct result sum = {0};

    link_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--estimate") == 0) {
            do_estimate = 1;
            continue;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_num(a, v, 0, 1e15, &d) != RC_OK || !whole(d) || nseeds == 256) {
                fprintf(stderr, "linkq: --seed: a whole number, at most 256 seeds\n");
                return 2;
            }
            seeds[nseeds++] = (uint64_t)d;
        } else if (strcmp(a, "--seeds") == 0) {
            char *end;
            unsigned long long lo, hi;

            errno = 0;
            lo = v ? strtoull(v, &end, 10) : 0;
            if (v == NULL || end == v || *end != '-' || v[0] == '-' || end[1] == '-' ||
                (hi = strtoull(end + 1, &end, 10), *end != '\0') || errno != 0 || hi < lo ||
                hi - lo >= 256 - nseeds) {
                fprintf(stderr,
                        "linkq: invalid --seeds '%s': expected A-B, A <= B, at most "
                        "256 seeds\n",
                        v ? v : "");
                return 2;
            }
            for (unsigned long long s = lo; s <= hi; s++) {
                seeds[nseeds++] = s;
            }
        } else if (strcmp(a, "--messages") == 0) {
            if (parse_num(a, v, 1, 1000000, &d) != RC_OK || !whole(d)) {
                return 2;
            }
            nmsg = (long)d;
        } else if (strcmp(a, "--sources") == 0) {
            if (parse_num(a, v, 1, 9, &d) != RC_OK || !whole(d)) {
                return 2;
            }
            sources = (int)d;
        } else if (strcmp(a, "--update-ratio") == 0) {
            if (parse_num(a, v, 0, 1, &update_ratio) != RC_OK) {
                return 2;
            }
        } else if (strcmp(a, "--window") == 0) {
            if (parse_num(a, v, 60, 7 * 86400, &d) != RC_OK || !whole(d)) {
                return 2;
            }
            p.window_s = (int64_t)d;
        } else if (strcmp(a, "--high") == 0 || strcmp(a, "--low") == 0) {
            if (parse_num(a, v, 0, 1, &d2) != RC_OK) {
                return 2;
            }
            *(a[2] == 'h' ? &p.high : &p.low) = d2;
        } else {
            fprintf(stderr, "linkq: unknown option %s (see --help)\n", a);
            return 2;
        }
        i++;
    }
    if (p.low > p.high) {
        fprintf(stderr, "linkq: --low must not be above --high\n");
        return 2;
    }
    if (nseeds == 0) {
        for (uint64_t s = 101; s <= 105; s++) {
            seeds[nseeds++] = s;
        }
    }
    printf("| seed | messages | fixtures P | R | F1 | teams P | R | F1 | exact-name fixtures R | "
           "exact-name teams P | R | suggestions | incremental = rebuild |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < nseeds; k++) {
        struct result r;

        if (run_seed(seeds[k], nmsg, sources, update_ratio, &p, do_estimate, &r) != 0) {
            return 1;
        }
        printf("| %llu | %zu | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %zu "
               "| %s |\n",
               (unsigned long long)seeds[k], r.messages, r.fx.p, r.fx.r, r.fx.f1, r.teams.p,
               r.teams.r, r.teams.f1, r.fx_exact.r, r.teams_exact.p, r.teams_exact.r, r.suggestions,
               r.rebuild_equal ? "yes" : "no");
        fprintf(stderr,
                "linkq: seed %llu: %zu matches, %zu teams, %.1f s; fixtures before the "
                "identities P %.4f R %.4f\n",
                (unsigned long long)seeds[k], r.matches, r.nteams, r.seconds, r.fx_first.p,
                r.fx_first.r);
        sum.fx.p += r.fx.p;
        sum.fx.r += r.fx.r;
        sum.fx.f1 += r.fx.f1;
        sum.teams.p += r.teams.p;
        sum.teams.r += r.teams.r;
        sum.teams.f1 += r.teams.f1;
        sum.fx_exact.r += r.fx_exact.r;
        sum.teams_exact.p += r.teams_exact.p;
        sum.teams_exact.r += r.teams_exact.r;
        sum.suggestions += r.suggestions;
    }
    d = (double)nseeds;
    printf("| mean | | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.1f | |\n",
           sum.fx.p / d, sum.fx.r / d, sum.fx.f1 / d, sum.teams.p / d, sum.teams.r / d,
           sum.teams.f1 / d, sum.fx_exact.r / d, sum.teams_exact.p / d, sum.teams_exact.r / d,
           (double)sum.suggestions / d);
    return 0;
}
