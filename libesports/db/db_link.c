/*
 * db_link.c: the incremental linker over the stored rows; see db_link.h.
 *
 * One run gathers a closed set of matches in rounds: load the rows of the
 * matches not seen yet (one query per 128, teams and memberships joined), ask
 * the blocking query for the candidates of the ones to expand (one query per
 * 64 title/time ranges on the (title_id, date_start) index), score the pairs
 * in memory, and expand along the pairs at or above the high threshold and
 * the ones a person confirmed. Then the set is clustered and only the rows
 * that differ are written, with array binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db_internal.h"
#include "db_link.h"
#include "idcache.h"
#include "log.h"
#include "match.h"
#include "mem.h"
#include "rc.h"
#include "util.h"

#define CHUNK           128 /* ids per IN list */
#define BCHUNK          64  /* title/time ranges per blocking query */
#define STR_CAP         1100
#define MATCH_TEAMS_CAP MATCH_MAX_TEAMS

static const char SQL_SAVEPOINT[] = "SAVEPOINT link";
static const char SQL_UNDO[] = "ROLLBACK TO SAVEPOINT link";

static const char SQL_BUMP[] = "UPDATE consumer_status SET data_version = data_version + 1,"
                               " link_epoch = link_epoch + 1 WHERE id = 1";
static const char SQL_BUMP_DATA[] =
    "UPDATE consumer_status SET data_version = data_version + 1 WHERE id = 1";
static const char SQL_EPOCH[] = "SELECT link_epoch FROM consumer_status WHERE id = 1";

static const char SQL_ALIASES[] = "SELECT a.title_id, t.id FROM title_aliases a"
                                  " JOIN titles t ON t.name_key = a.alias_key";

static const char SQL_MATES[] = "SELECT f2.match_id FROM fixture_members f1"
                                " JOIN fixture_members f2 ON f2.fixture_id = f1.fixture_id"
                                " WHERE f1.match_id IN (" DB_IN128 ")";

static const char SQL_NODES[] =
    "SELECT m.id, m.source_id, COALESCE(m.title_id, 0),"
    " TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', m.date_start), m.bestof, m.state, tn.name,"
    " f.fixture_id, f.confidence, f.origin = 'person', mt.position, t.id, t.name, t.link_norm,"
    " mt.score, im.identity_id, im.origin = 'person', tn.id, tn.link_norm"
    " FROM matches m LEFT JOIN fixture_members f ON f.match_id = m.id"
    " LEFT JOIN tournaments tn ON tn.id = m.tournament_id"
    " LEFT JOIN match_teams mt ON mt.match_id = m.id LEFT JOIN teams t ON t.id = mt.team_id"
    " LEFT JOIN team_identity_members im ON im.team_id = t.id"
    " WHERE m.id IN (" DB_IN128 ") ORDER BY m.id, mt.position";

static const char SQL_LINKS[] =
    "SELECT match_a, match_b, status, probability FROM match_links WHERE match_a IN (" DB_IN128 ")"
    " UNION SELECT match_a, match_b, status, probability FROM match_links"
    " WHERE match_b IN (" DB_IN128 ")";

#define RANGE                                                                                      \
    "(m.title_id = ? AND m.date_start BETWEEN CAST(? AS DATETIME) AND CAST(? AS DATETIME))"
#define RANGE4  RANGE " OR " RANGE " OR " RANGE " OR " RANGE
#define RANGE16 RANGE4 " OR " RANGE4 " OR " RANGE4 " OR " RANGE4
static const char SQL_BLOCK[] =
    "SELECT m.id, m.title_id, TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', m.date_start),"
    " m.source_id FROM matches m FORCE INDEX (ix_matches_title_date) WHERE " RANGE16 " OR " RANGE16
    " OR " RANGE16 " OR " RANGE16;

static const char SQL_FREQ[] =
    "SELECT link_norm, COUNT(*) FROM teams WHERE link_norm IN (" DB_IN128 ") GROUP BY link_norm";

static const char SQL_SET_NORM[] = "UPDATE teams SET link_norm = ? WHERE id = ?";
static const char SQL_SET_TNORM[] = "UPDATE tournaments SET link_norm = ? WHERE id = ?";
static const char SQL_TEAM_MATCHES[] = "SELECT match_id FROM match_teams WHERE team_id = ?";
/* the matches of every member of an identity */
static const char SQL_IDENTITY_MATCHES[] =
    "SELECT DISTINCT mt.match_id FROM team_identity_members tim"
    " JOIN match_teams mt ON mt.team_id = tim.team_id WHERE tim.identity_id = ?";
static const char SQL_TOURNAMENT_MATCHES[] = "SELECT id FROM matches WHERE tournament_id = ?";
static const char SQL_QUEUE_TEAM[] = DB_LINK_QUEUE_RENAME("team");
static const char SQL_QUEUE_TOURNAMENT[] = DB_LINK_QUEUE_RENAME("tournament");
static const char SQL_QUEUE_MATCH[] = "INSERT INTO link_queue (kind, subject_id, seq)"
                                      " VALUES ('match', ?, ?) ON DUPLICATE KEY UPDATE"
                                      " seq = VALUES(seq), queued_at = UTC_TIMESTAMP(6)";
static const char SQL_QUEUE_HEAD[] =
    "SELECT kind = 'team', subject_id, after_match, seq FROM link_queue"
    " WHERE kind IN ('team', 'tournament') ORDER BY queued_at, kind, subject_id LIMIT 16";
static const char SQL_QUEUE_MATCHES[] = "SELECT subject_id, seq FROM link_queue"
                                        " WHERE kind = 'match' ORDER BY seq, subject_id LIMIT ?";
/* the queue's rows go only as they were read: one a batch queued again
 * since has a higher seq and stays */
static const char SQL_QUEUE_MATCH_DONE[] =
    "DELETE FROM link_queue WHERE kind = 'match' AND subject_id = ? AND seq = ?";
/* Every row below the highest seq read, in one range of ix_link_queue_seq.
 * The rows read were the oldest; a batch commits its rows under the row
 * lock of data_version, with a seq above every seq committed before it, so
 * a row below that seq now was read (or was queued again, and has a higher
 * seq). The rows of the highest seq go one by one: the read may have taken
 * only part of them. */
static const char SQL_QUEUE_MATCHES_DONE[] =
    "DELETE FROM link_queue WHERE kind = 'match' AND seq < ?";
/* one linker at a time, and no person's decision in the middle of a slice */
static const char SQL_LINK_LOCK[] = "SELECT GET_LOCK('esports.link', ?)";
static const char SQL_LINK_UNLOCK[] = "SELECT RELEASE_LOCK('esports.link')";
static const char SQL_QUEUE_TEAM_NEXT[] = "SELECT match_id FROM match_teams WHERE team_id = ?"
                                          " AND match_id > ? ORDER BY match_id LIMIT ?";
static const char SQL_QUEUE_TOURNAMENT_NEXT[] = "SELECT id FROM matches WHERE tournament_id = ?"
                                                " AND id > ? ORDER BY id LIMIT ?";
static const char SQL_QUEUE_ADVANCE[] =
    "UPDATE link_queue SET after_match = ? WHERE kind = IF(?, 'team', 'tournament')"
    " AND subject_id = ? AND seq = ?";
static const char SQL_QUEUE_DONE[] =
    "DELETE FROM link_queue WHERE kind = IF(?, 'team', 'tournament')"
    " AND subject_id = ? AND seq = ?";
static const char SQL_QUEUE_CLEAR[] = "DELETE FROM link_queue";

static const char SQL_SET_FIXTURE[] =
    "INSERT INTO fixture_members (match_id, fixture_id, confidence, evidence, origin)"
    " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE fixture_id = VALUES(fixture_id),"
    " confidence = VALUES(confidence), evidence = VALUES(evidence), origin = VALUES(origin),"
    " updated_at = UTC_TIMESTAMP(6)";

static const char SQL_SUGGEST[] =
    "INSERT INTO match_links (match_a, match_b, probability, evidence, status)"
    " VALUES (?, ?, ?, ?, 'suggested') ON DUPLICATE KEY UPDATE"
    " probability = VALUES(probability), evidence = VALUES(evidence),"
    " updated_at = UTC_TIMESTAMP(6)";

static const char SQL_UNSUGGEST[] =
    "DELETE FROM match_links WHERE match_a = ? AND match_b = ? AND status = 'suggested'";

static const char SQL_TEDGES[] =
    "SELECT match_id, other_match_id, team_id, other_team_id, probability FROM team_edges"
    " WHERE match_id IN (" DB_IN128
    ") UNION SELECT match_id, other_match_id, team_id, other_team_id,"
    " probability FROM team_edges WHERE other_match_id IN (" DB_IN128 ")";

static const char SQL_TEDGE_DEL[] =
    "DELETE FROM team_edges WHERE match_id = ? AND other_match_id = ? AND team_id = ?";

static const char SQL_TEDGE_SET[] =
    "INSERT INTO team_edges (match_id, other_match_id, team_id, other_team_id, probability)"
    " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE other_team_id = VALUES(other_team_id),"
    " probability = VALUES(probability)";

/* One pair's best probability: MAX on the covering index (team_id,
 * other_team_id, probability) is one index dive, where an IN list of pairs
 * grouped would read every edge of every pair. */
#define PMAX   "(SELECT MAX(probability) FROM team_edges WHERE team_id = ? AND other_team_id = ?)"
#define PMAX4  PMAX "," PMAX "," PMAX "," PMAX
#define PMAX16 PMAX4 "," PMAX4 "," PMAX4 "," PMAX4
#define PCHUNK 64 /* team pairs per aggregate query: one row, a column each */
static const char SQL_PAIR_AGG[] = "SELECT " PMAX16 "," PMAX16 "," PMAX16 "," PMAX16;

/* An edge is stored once, from the pair's smaller team (team_id <
 * other_team_id, migration 0014): a team's partners are in both columns. */
static const char SQL_TEAM_NEIGH[] =
    "SELECT team_id, other_team_id, MAX(probability), COUNT(*) FROM team_edges"
    " WHERE team_id IN (" DB_IN128 ") GROUP BY team_id, other_team_id"
    " UNION ALL SELECT other_team_id, team_id, MAX(probability), COUNT(*) FROM team_edges"
    " WHERE other_team_id IN (" DB_IN128 ") GROUP BY other_team_id, team_id";

static const char SQL_TEAM_DEC[] =
    "SELECT team_a, team_b, status = 'confirmed' FROM team_links WHERE team_a IN (" DB_IN128 ")"
    " UNION SELECT team_a, team_b, status = 'confirmed' FROM team_links"
    " WHERE team_b IN (" DB_IN128 ")";

static const char SQL_TEAM_NODES[] =
    "SELECT t.id, t.source_id, im.identity_id, im.confidence, im.origin = 'person'"
    " FROM teams t LEFT JOIN team_identity_members im ON im.team_id = t.id"
    " WHERE t.id IN (" DB_IN128 ")";

static const char SQL_SET_IDENTITY[] =
    "INSERT INTO team_identity_members (team_id, identity_id, confidence, evidence, origin)"
    " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE identity_id = VALUES(identity_id),"
    " confidence = VALUES(confidence), evidence = VALUES(evidence), origin = VALUES(origin),"
    " updated_at = UTC_TIMESTAMP(6)";

static const char SQL_NORMS[] = "SELECT id, name, link_norm FROM teams WHERE id > ? ORDER BY id"
                                " LIMIT ?";

static const char SQL_NEXT_MATCHES[] = "SELECT id FROM matches WHERE id > ? ORDER BY id LIMIT ?";
static const char SQL_NEXT_TEAMS[] = "SELECT id FROM teams WHERE id > ? ORDER BY id LIMIT ?";

static const char *const link_sqls[] = {
    SQL_SAVEPOINT,
    SQL_UNDO,
    SQL_ALIASES,
    SQL_MATES,
    SQL_NODES,
    SQL_LINKS,
    SQL_BLOCK,
    SQL_FREQ,
    SQL_SET_NORM,
    SQL_SET_TNORM,
    SQL_TEAM_MATCHES,
    SQL_IDENTITY_MATCHES,
    SQL_TOURNAMENT_MATCHES,
    SQL_QUEUE_TEAM,
    SQL_QUEUE_TOURNAMENT,
    SQL_QUEUE_HEAD,
    SQL_QUEUE_MATCH,
    SQL_QUEUE_MATCHES,
    SQL_QUEUE_MATCH_DONE,
    SQL_QUEUE_MATCHES_DONE,
    SQL_LINK_LOCK,
    SQL_LINK_UNLOCK,
    SQL_QUEUE_TEAM_NEXT,
    SQL_QUEUE_TOURNAMENT_NEXT,
    SQL_QUEUE_ADVANCE,
    SQL_QUEUE_DONE,
    SQL_QUEUE_CLEAR,
    SQL_SET_FIXTURE,
    SQL_SUGGEST,
    SQL_UNSUGGEST,
    SQL_TEDGES,
    SQL_TEDGE_DEL,
    SQL_TEDGE_SET,
    SQL_TEAM_NEIGH,
    SQL_TEAM_DEC,
    SQL_TEAM_NODES,
    SQL_SET_IDENTITY,
    SQL_NORMS,
    SQL_NEXT_MATCHES,
    SQL_NEXT_TEAMS,
    SQL_BUMP,
    SQL_BUMP_DATA,
    SQL_EPOCH,
    SQL_PAIR_AGG,
};

void
db_link_register(struct db *db)
{
    db_register(db, link_sqls, ARRAY_SIZE(link_sqls));
    db_link_decide_register(db);
}

int
db_link_savepoint(struct db *db)
{
    return db_execute(db, SQL_SAVEPOINT, NULL);
}

int
db_link_bump_version(struct db *db)
{
    return db_execute(db, SQL_BUMP, NULL);
}

int
db_link_bump_data_version(struct db *db)
{
    return db_execute(db, SQL_BUMP_DATA, NULL);
}

int
db_link_epoch(struct db *db, uint64_t *epoch)
{
    int64_t v = 0;
    int rc = db_select_i64(db, SQL_EPOCH, NULL, &v, NULL);

    *epoch = (uint64_t)v;
    return rc == RC_NOTFOUND ? RC_ERR : rc;
}

int
db_link_undo(struct db *db)
{
    return db_execute(db, SQL_UNDO, NULL);
}

/* ---- a map of (a, b) -> index ---------------------------------------- */

struct imap {
    int64_t *ka, *kb;
    size_t *val;
    size_t cap, n;
};

static size_t
imap_slot(const struct imap *m, int64_t a, int64_t b)
{
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^
                 ((uint64_t)b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;

    h ^= h >> 29;
    return (size_t)(h & (m->cap - 1));
}

static size_t
imap_get(const struct imap *m, int64_t a, int64_t b)
{
    size_t i;

    if (m->cap == 0) {
        return SIZE_MAX;
    }
    for (i = imap_slot(m, a, b); m->val[i] != SIZE_MAX; i = (i + 1) & (m->cap - 1)) {
        if (m->ka[i] == a && m->kb[i] == b) {
            return m->val[i];
        }
    }
    return SIZE_MAX;
}

static void imap_put(struct imap *m, int64_t a, int64_t b, size_t v);

static void
imap_grow(struct imap *m)
{
    struct imap old = *m;
    size_t i;

    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->ka = xmalloc(m->cap * sizeof(*m->ka));
    m->kb = xmalloc(m->cap * sizeof(*m->kb));
    m->val = xmalloc(m->cap * sizeof(*m->val));
    for (i = 0; i < m->cap; i++) {
        m->val[i] = SIZE_MAX;
    }
    for (i = 0; i < old.cap; i++) {
        if (old.val[i] != SIZE_MAX) {
            imap_put(m, old.ka[i], old.kb[i], old.val[i]);
        }
    }
    free(old.ka);
    free(old.kb);
    free(old.val);
}

static void
imap_put(struct imap *m, int64_t a, int64_t b, size_t v)
{
    size_t i;

    if (2 * (m->n + 1) > m->cap) {
        imap_grow(m);
    }
    for (i = imap_slot(m, a, b); m->val[i] != SIZE_MAX; i = (i + 1) & (m->cap - 1)) {
        if (m->ka[i] == a && m->kb[i] == b) {
            m->val[i] = v;
            return;
        }
    }
    m->ka[i] = a;
    m->kb[i] = b;
    m->val[i] = v;
    m->n++;
}

static void
imap_free(struct imap *m)
{
    free(m->ka);
    free(m->kb);
    free(m->val);
    memset(m, 0, sizeof(*m));
}

/* Grows *v (of *cap elements of sz bytes) to hold n + 1. */
static void
grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n + 1 > *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *v = xrealloc(*v, *cap * sz);
    }
}

/* ---- binding helpers -------------------------------------------------- */

static void
bind_double(MYSQL_BIND *b, double *v, char *is_null)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_DOUBLE;
    b->buffer = v;
    b->is_null = (my_bool *)is_null;
}

static void
bind_double_array(MYSQL_BIND *b, double *v, char *ind)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_DOUBLE;
    b->buffer = v;
    b->u.indicator = ind;
}

/* Binds ids[0..n) to a list of CHUNK placeholders (the rest NULL). */
static void
bind_in(MYSQL_BIND *p, int64_t *vals, char *nulls, const int64_t *ids, size_t n)
{
    db_bind_in(p, vals, nulls, CHUNK, ids, n);
}

static void
out_str(const char *buf, unsigned long len, char is_null, char *dst)
{
    size_t n = len < STR_CAP - 1 ? len : STR_CAP - 1;

    if (is_null) {
        dst[0] = '\0';
        return;
    }
    memcpy(dst, buf, n);
    dst[n] = '\0';
}

/* ---- the run ---------------------------------------------------------- */

struct lk_node {
    int64_t id, source_id, raw_title;
    struct link_match m;
    struct link_team *teams;
    int64_t fixture_id; /* stored */
    double confidence;
    int person, have_member;
    int expanded; /* in the closed set */
    int64_t new_fixture;
    double new_conf;
    int new_person;
    size_t best; /* pair that holds it in its fixture, or SIZE_MAX */
    int cached;  /* taken from st->cache, not read */
};

/* ---- the linker's cache of match rows (db_link.h) --------------------- */

/* One match as load_nodes reads it, owned by the cache's arena. */
struct cnode {
    int64_t id, source_id, raw_title;
    struct link_match m; /* title_id and teams are set when used */
    int64_t fixture_id;
    double confidence;
    int person, have_member;
    struct link_team *teams; /* m.nteams of them; norm, name and form in the arena */
    int gone;                /* forgotten */
};

struct db_link_cache {
    size_t max;
    struct arena arena;
    struct cnode *v; /* by slot of ix */
    size_t n, cap;
    struct imap ix; /* (id, 0) -> slot in v */
    uint64_t epoch;
    int have_epoch;
};

struct db_link_cache *
db_link_cache_new(size_t max_nodes)
{
    struct db_link_cache *c = xcalloc(1, sizeof(*c));

    c->max = max_nodes;
    arena_init(&c->arena, 256 * 1024);
    return c;
}

void
db_link_cache_clear(struct db_link_cache *c)
{
    if (c == NULL) {
        return;
    }
    arena_reset(&c->arena);
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
    imap_free(&c->ix);
    c->have_epoch = 0;
}

void
db_link_cache_free(struct db_link_cache *c)
{
    if (c == NULL) {
        return;
    }
    db_link_cache_clear(c);
    arena_cleanup(&c->arena);
    free(c);
}

void
db_link_cache_forget(struct db_link_cache *c, const int64_t *ids, size_t n)
{
    size_t i, slot;

    for (i = 0; c != NULL && i < n; i++) {
        if ((slot = imap_get(&c->ix, ids[i], 0)) != SIZE_MAX) {
            c->v[slot].gone = 1;
        }
    }
}

void
db_link_cache_epoch(struct db_link_cache *c, uint64_t epoch)
{
    if (c != NULL && (!c->have_epoch || c->epoch != epoch || c->n >= c->max)) {
        db_link_cache_clear(c);
        c->epoch = epoch;
        c->have_epoch = 1;
    }
}

static const char *
cdup(struct db_link_cache *c, const char *s)
{
    return s == NULL ? NULL : arena_strndup(&c->arena, s, strlen(s));
}

/* Keeps a copy of node x (complete: its teams are all read). */
static void
cache_put(struct db_link_cache *c, const struct lk_node *x)
{
    struct cnode *cn;
    size_t k;

    grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v));
    cn = &c->v[c->n];
    memset(cn, 0, sizeof(*cn));
    cn->id = x->id;
    cn->source_id = x->source_id;
    cn->raw_title = x->raw_title;
    cn->m = x->m;
    cn->m.tournament_norm = cdup(c, x->m.tournament_norm);
    cn->m.teams = NULL;
    cn->fixture_id = x->fixture_id;
    cn->confidence = x->confidence;
    cn->person = x->person;
    cn->have_member = x->have_member;
    cn->teams = arena_alloc(&c->arena, (x->m.nteams + 1) * sizeof(*cn->teams));
    for (k = 0; k < x->m.nteams; k++) {
        struct link_team_form *f = NULL;

        cn->teams[k] = x->teams[k];
        cn->teams[k].name = cdup(c, x->teams[k].name);
        cn->teams[k].norm = cdup(c, x->teams[k].norm);
        if (x->teams[k].form != NULL) {
            f = arena_alloc(&c->arena, sizeof(*f));
            *f = *x->teams[k].form;
        }
        cn->teams[k].form = f;
    }
    imap_put(&c->ix, cn->id, 0, c->n++);
}

/* After a run that clustered the closed set: the stored fixture of each of
 * its matches is what the run writes (the caller clears the cache when the
 * transaction does not commit). */
static void
cache_note_fixtures(struct db_link_cache *c, const struct lk_node *nodes, size_t n)
{
    size_t i, slot;

    for (i = 0; c != NULL && i < n; i++) {
        struct cnode *cn;

        if (!nodes[i].expanded || (slot = imap_get(&c->ix, nodes[i].id, 0)) == SIZE_MAX ||
            (cn = &c->v[slot])->gone) {
            continue;
        }
        cn->fixture_id = nodes[i].new_fixture;
        cn->confidence = nodes[i].new_conf;
        cn->person = nodes[i].new_person;
        cn->have_member = 1;
    }
}

struct lk_pair {
    size_t a, b; /* node indexes, nodes[a].id < nodes[b].id */
    int64_t ida, idb;
    int candidate; /* found by blocking */
    int scored;
    int decision;  /* 1 confirmed, -1 rejected, 0 none */
    int suggested; /* a 'suggested' row is stored */
    double stored_p;
    struct link_score s;
};

/* Team norms to store (teams whose link_norm is missing or stale). */
struct norm_fix {
    int64_t *ids;
    const char **norms;
    size_t n, cap;
    int64_t *renamed; /* of ids, those that had a fold before: their matches are relinked */
    size_t nrenamed;
};

struct run {
    struct db *db;
    const struct link_params *p;
    struct db_link_stats *st;
    struct arena arena;
    struct lk_node *nodes;
    size_t nnodes, capnodes;
    struct imap node_ix; /* (id, 0) -> node */
    struct lk_pair *pairs;
    size_t npairs, cappairs;
    struct imap pair_ix; /* (ida, idb) -> pair */
    int64_t *alias_target, *alias_title;
    size_t naliases;
    struct idcache *freq; /* norm -> 1 + count */
    int64_t *want;        /* ids to load */
    size_t nwant, capwant;
    int64_t *changed_teams;
    size_t nchanged_teams, capchanged_teams;
    int64_t *seeds; /* matches to expand besides the first round's (renames) */
    size_t nseeds, capseeds;
    /* norms to store and renames to queue: written after the set is
     * gathered, when the caller's before_write has run */
    struct norm_fix fix, tfix;
};

static void norm_fix_free(struct norm_fix *fix);

static void
run_init(struct run *r, struct db *db, const struct link_params *p, struct db_link_stats *st)
{
    memset(r, 0, sizeof(*r));
    r->db = db;
    r->p = p;
    r->st = st;
    arena_init(&r->arena, 64 * 1024);
    r->freq = idcache_new();
}

static void
run_cleanup(struct run *r)
{
    arena_cleanup(&r->arena);
    free(r->nodes);
    imap_free(&r->node_ix);
    free(r->pairs);
    imap_free(&r->pair_ix);
    free(r->alias_target);
    free(r->alias_title);
    idcache_free(r->freq);
    free(r->want);
    free(r->changed_teams);
    free(r->seeds);
    norm_fix_free(&r->fix);
    norm_fix_free(&r->tfix);
}

static void
want(struct run *r, int64_t id)
{
    grow((void **)&r->want, &r->capwant, r->nwant, sizeof(*r->want));
    r->want[r->nwant++] = id;
}

static void
note_team(struct run *r, int64_t id)
{
    grow((void **)&r->changed_teams, &r->capchanged_teams, r->nchanged_teams,
         sizeof(*r->changed_teams));
    r->changed_teams[r->nchanged_teams++] = id;
}

static size_t
node_of(const struct run *r, int64_t id)
{
    return imap_get(&r->node_ix, id, 0);
}

/* The pair of nodes with ids x and y, made if new. */
static struct lk_pair *
pair_get(struct run *r, int64_t x, int64_t y, int make)
{
    int64_t a = x < y ? x : y, b = x < y ? y : x;
    size_t i = imap_get(&r->pair_ix, a, b);
    struct lk_pair *q;

    if (i != SIZE_MAX) {
        return &r->pairs[i];
    }
    if (!make) {
        return NULL;
    }
    grow((void **)&r->pairs, &r->cappairs, r->npairs, sizeof(*r->pairs));
    q = &r->pairs[r->npairs];
    memset(q, 0, sizeof(*q));
    q->ida = a;
    q->idb = b;
    q->a = q->b = SIZE_MAX;
    imap_put(&r->pair_ix, a, b, r->npairs++);
    return q;
}

/* The title identity of title t: the title an alias points it to, or itself. */
static int64_t
title_identity(const struct run *r, int64_t t)
{
    size_t i;

    for (i = 0; i < r->naliases; i++) {
        if (r->alias_title[i] == t) {
            return r->alias_target[i];
        }
    }
    return t;
}

static int
load_aliases(struct run *r)
{
    MYSQL_BIND res[2];
    int64_t target = 0, title = 0;
    int rc = db_execute(r->db, SQL_ALIASES, NULL);

    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&res[0], &target, NULL);
    db_bind_i64(&res[1], &title, NULL);
    rc = db_bind_result(r->db, SQL_ALIASES, res);
    while (rc == RC_OK && (rc = db_fetch(r->db, SQL_ALIASES)) == RC_OK) {
        size_t cap = r->naliases;

        grow((void **)&r->alias_target, &cap, r->naliases, sizeof(*r->alias_target));
        cap = r->naliases;
        grow((void **)&r->alias_title, &cap, r->naliases, sizeof(*r->alias_title));
        r->alias_target[r->naliases] = target;
        r->alias_title[r->naliases++] = title;
    }
    db_stmt_done(r->db, SQL_ALIASES);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

/* Adds the fixture mates of ids[0..n) to the wanted ids. */
static int
load_mates(struct run *r, const int64_t *ids, size_t n)
{
    MYSQL_BIND p[CHUNK], res[1];
    int64_t vals[CHUNK], id = 0;
    char nulls[CHUNK];
    size_t at;
    int rc = RC_OK;

    for (at = 0; at < n && rc == RC_OK; at += CHUNK) {
        bind_in(p, vals, nulls, ids + at, n - at < CHUNK ? n - at : CHUNK);
        rc = db_execute(r->db, SQL_MATES, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_i64(&res[0], &id, NULL);
        rc = db_bind_result(r->db, SQL_MATES, res);
        while (rc == RC_OK && (rc = db_fetch(r->db, SQL_MATES)) == RC_OK) {
            want(r, id);
        }
        db_stmt_done(r->db, SQL_MATES);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

/* One row of SQL_NODES. */
#define NODE_COLS 19
struct node_row {
    int64_t v[NODE_COLS];
    char null[NODE_COLS];
    char tname[STR_CAP], name[STR_CAP], norm[STR_CAP], tnorm[STR_CAP];
    unsigned long tlen, nlen, normlen, tnormlen;
    double conf;
};

static void
bind_node_row(MYSQL_BIND *res, struct node_row *w)
{
    size_t k;

    for (k = 0; k < NODE_COLS; k++) {
        db_bind_i64(&res[k], &w->v[k], &w->null[k]);
    }
    db_bind_out_str(&res[18], w->tnorm, STR_CAP - 1, &w->tnormlen, &w->null[18]);
    db_bind_out_str(&res[6], w->tname, STR_CAP - 1, &w->tlen, &w->null[6]);
    bind_double(&res[8], &w->conf, &w->null[8]);
    db_bind_out_str(&res[12], w->name, STR_CAP - 1, &w->nlen, &w->null[12]);
    db_bind_out_str(&res[13], w->norm, STR_CAP - 1, &w->normlen, &w->null[13]);
}

static char *
adup(struct run *r, const char *s)
{
    return arena_strndup(&r->arena, s, strlen(s));
}

/* Starts node id from the match columns of w. */
struct norm_fix;
static void norm_fix_add(struct norm_fix *fix, int64_t id, const char *norm, int renamed);

/* A new node for match id, in the index, its fields zero (valid until the next). */
static struct lk_node *
node_add(struct run *r, int64_t id)
{
    struct lk_node *n;

    grow((void **)&r->nodes, &r->capnodes, r->nnodes, sizeof(*r->nodes));
    n = &r->nodes[r->nnodes];
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->best = SIZE_MAX;
    imap_put(&r->node_ix, id, 0, r->nnodes++);
    return n;
}

static struct lk_node *
node_start(struct run *r, const struct node_row *w, struct norm_fix *tfix)
{
    struct lk_node *n = node_add(r, w->v[0]);
    char buf[STR_CAP];

    n->source_id = w->v[1];
    n->raw_title = w->v[2];
    n->m.id = n->id;
    n->m.source_id = n->source_id;
    n->m.title_id = n->raw_title ? title_identity(r, n->raw_title) : 0;
    n->m.has_date = !w->null[3];
    n->m.date_start = w->v[3];
    n->m.has_bestof = !w->null[4];
    n->m.bestof = w->v[4];
    n->m.has_state = !w->null[5];
    n->m.state = w->v[5];
    if (!w->null[6]) {
        char norm[LINK_NORM_MAX];

        out_str(w->tname, w->tlen, 0, buf);
        link_norm_team(buf, norm, sizeof(norm));
        n->m.tournament_norm = adup(r, norm);
        out_str(w->tnorm, w->tnormlen, w->null[18], buf);
        if (!w->null[17] && (w->null[18] || strcmp(buf, norm) != 0)) {
            norm_fix_add(tfix, w->v[17], n->m.tournament_norm, !w->null[18]);
        }
    }
    n->have_member = !w->null[7];
    n->fixture_id = n->have_member ? w->v[7] : n->id;
    n->confidence = n->have_member ? w->conf : 1.0;
    n->person = n->have_member && w->v[9] != 0;
    n->teams = arena_alloc(&r->arena, MATCH_TEAMS_CAP * sizeof(*n->teams));
    return n;
}

static void
norm_fix_add(struct norm_fix *fix, int64_t id, const char *norm, int renamed)
{
    size_t k;

    for (k = 0; k < fix->n; k++) {
        if (fix->ids[k] == id) {
            return;
        }
    }
    if (fix->n + 1 > fix->cap) {
        fix->cap = fix->cap ? 2 * fix->cap : 16;
        fix->ids = xrealloc(fix->ids, fix->cap * sizeof(*fix->ids));
        fix->norms = xrealloc(fix->norms, fix->cap * sizeof(*fix->norms));
        fix->renamed = xrealloc(fix->renamed, fix->cap * sizeof(*fix->renamed));
    }
    fix->ids[fix->n] = id;
    fix->norms[fix->n++] = norm;
    if (renamed) {
        fix->renamed[fix->nrenamed++] = id;
    }
}

static void
norm_fix_free(struct norm_fix *fix)
{
    free(fix->ids);
    free(fix->norms);
    free(fix->renamed);
    memset(fix, 0, sizeof(*fix));
}

static void
node_team(struct run *r, struct lk_node *n, const struct node_row *w, struct norm_fix *fix)
{
    struct link_team *t;
    struct link_team_form *form;
    char name[STR_CAP], stored[STR_CAP], norm[LINK_NORM_MAX];

    if (w->null[10] || w->null[11] || n->m.nteams >= MATCH_TEAMS_CAP) {
        return;
    }
    out_str(w->name, w->nlen, w->null[12], name);
    out_str(w->norm, w->normlen, w->null[13], stored);
    link_norm_team(name, norm, sizeof(norm));
    t = &n->teams[n->m.nteams++];
    memset(t, 0, sizeof(*t));
    t->id = w->v[11];
    t->name = adup(r, name);
    t->norm = adup(r, norm);
    form = arena_alloc(&r->arena, sizeof(*form));
    link_team_prepare(t->norm, form);
    t->form = form;
    /* a person's merge is evidence; the linker's own identities are not, or
     * the result would depend on the order the rows came in */
    t->identity_id = !w->null[15] && w->v[16] != 0 ? w->v[15] : t->id;
    t->has_score = !w->null[14];
    t->score = w->v[14];
    if (w->null[13] || strcmp(stored, norm) != 0) {
        norm_fix_add(fix, t->id, t->norm, !w->null[13]);
    }
}

static int
store_norms(struct db *db, const char *sql, const struct norm_fix *fix, uint64_t *changed)
{
    MYSQL_BIND p[2];
    unsigned long *lens;
    char *ind;
    int rc;
    size_t k;

    if (fix->n == 0) {
        return RC_OK;
    }
    lens = xmalloc(fix->n * sizeof(*lens));
    ind = xcalloc(fix->n, 1);
    for (k = 0; k < fix->n; k++) {
        lens[k] = (unsigned long)strlen(fix->norms[k]);
    }
    db_bind_str_array(&p[0], fix->norms, lens, ind, 0);
    db_bind_i64_array(&p[1], fix->ids, ind);
    rc = db_execute_many(db, sql, p, (unsigned int)fix->n);
    free(lens);
    free(ind);
    if (rc == RC_OK && changed != NULL) {
        *changed += fix->n;
    }
    return rc;
}

/* Term frequencies of the norms of nodes[from..): one query per 128 norms not known yet. */
static int
load_freq(struct run *r, size_t from)
{
    const char **list = NULL;
    size_t nlist = 0, cap = 0, i, k, at;
    int rc = RC_OK;

    for (i = from; i < r->nnodes; i++) {
        for (k = 0; k < r->nodes[i].m.nteams; k++) {
            const char *norm = r->nodes[i].teams[k].norm;
            uint64_t got;

            if (idcache_get(r->freq, norm, NULL, &got) != RC_OK) {
                idcache_put(r->freq, norm, NULL, 1); /* none stored yet: 0 */
                grow((void **)&list, &cap, nlist, sizeof(*list));
                list[nlist++] = norm;
            }
        }
    }
    for (at = 0; at < nlist && rc == RC_OK; at += CHUNK) {
        MYSQL_BIND p[CHUNK], res[2];
        unsigned long lens[CHUNK], outlen = 0;
        char nulls[CHUNK], out[STR_CAP];
        int64_t count = 0;
        size_t j;

        for (j = 0; j < CHUNK; j++) {
            int have = at + j < nlist;

            lens[j] = have ? (unsigned long)strlen(list[at + j]) : 0;
            nulls[j] = !have;
            db_bind_str(&p[j], have ? list[at + j] : "", &lens[j], &nulls[j]);
        }
        rc = db_execute(r->db, SQL_FREQ, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_out_str(&res[0], out, STR_CAP - 1, &outlen, NULL);
        db_bind_i64(&res[1], &count, NULL);
        rc = db_bind_result(r->db, SQL_FREQ, res);
        while (rc == RC_OK && (rc = db_fetch(r->db, SQL_FREQ)) == RC_OK) {
            out_str(out, outlen, 0, out);
            idcache_put(r->freq, out, NULL, 1 + (uint64_t)count);
        }
        db_stmt_done(r->db, SQL_FREQ);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    free(list);
    for (i = from; i < r->nnodes; i++) {
        for (k = 0; k < r->nodes[i].m.nteams; k++) {
            struct link_team *t = &r->nodes[i].teams[k];
            uint64_t got = 0;

            t->norm_freq =
                idcache_get(r->freq, t->norm, NULL, &got) == RC_OK && got > 0 ? got - 1 : 0;
        }
    }
    return rc;
}

/* Reads the match_links rows of nodes[from..): decisions and stored suggestions. */
static int
load_links(struct run *r, size_t from)
{
    MYSQL_BIND p[2 * CHUNK], res[4];
    int64_t vals[2 * CHUNK], ids[CHUNK], a = 0, b = 0;
    char nulls[2 * CHUNK], status[16];
    unsigned long slen = 0;
    double prob = 0;
    size_t at, k;
    int rc = RC_OK;

    for (at = from; at < r->nnodes && rc == RC_OK; at += CHUNK) {
        size_t n = r->nnodes - at < CHUNK ? r->nnodes - at : CHUNK;

        for (k = 0; k < n; k++) {
            ids[k] = r->nodes[at + k].id;
        }
        bind_in(p, vals, nulls, ids, n);
        bind_in(p + CHUNK, vals + CHUNK, nulls + CHUNK, ids, n);
        rc = db_execute(r->db, SQL_LINKS, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_i64(&res[0], &a, NULL);
        db_bind_i64(&res[1], &b, NULL);
        db_bind_out_str(&res[2], status, sizeof(status) - 1, &slen, NULL);
        bind_double(&res[3], &prob, NULL);
        rc = db_bind_result(r->db, SQL_LINKS, res);
        while (rc == RC_OK && (rc = db_fetch(r->db, SQL_LINKS)) == RC_OK) {
            struct lk_pair *q = pair_get(r, a, b, 1);

            status[slen < sizeof(status) ? slen : sizeof(status) - 1] = '\0';
            q->decision = strcmp(status, "confirmed") == 0  ? 1
                          : strcmp(status, "rejected") == 0 ? -1
                                                            : 0;
            q->suggested = q->decision == 0;
            q->stored_p = prob;
        }
        db_stmt_done(r->db, SQL_LINKS);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

/* Appends id to st->touched when the caller asked for it. */
static void
touch(struct db_link_stats *st, int64_t id)
{
    if (st == NULL || !st->touch) {
        return;
    }
    grow((void **)&st->touched, &st->captouched, st->ntouched, sizeof(*st->touched));
    st->touched[st->ntouched++] = id;
}

void
db_link_stats_cleanup(struct db_link_stats *st)
{
    free(st->touched);
    free(st->resent);
    st->touched = st->resent = NULL;
    st->ntouched = st->captouched = st->nresent = st->capresent = 0;
}

/* Appends every match id sql gives for id to list[0..*n) (grown in *cap). */
static int
collect_matches(struct db *db, const char *sql, int64_t id, int64_t **list, size_t *n, size_t *cap)
{
    MYSQL_BIND p[1], res[1];
    int64_t got = 0;
    int rc;

    db_bind_i64(&p[0], &id, NULL);
    rc = db_execute(db, sql, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &got, NULL);
        rc = db_bind_result(db, sql, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, sql)) == RC_OK) {
        grow((void **)list, cap, *n, sizeof(**list));
        (*list)[(*n)++] = got;
    }
    db_stmt_done(db, sql);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

/* Touches every match of team id (its identity changed). */
static int
touch_team(struct db *db, struct db_link_stats *st, int64_t id)
{
    if (st == NULL || !st->touch) {
        return RC_OK;
    }
    return collect_matches(db, SQL_TEAM_MATCHES, id, &st->touched, &st->ntouched, &st->captouched);
}

/* Makes every match sql gives for id a seed: wanted, and expanded. */
static int
cascade(struct run *r, const char *sql, int64_t id)
{
    MYSQL_BIND p[1], res[1];
    int64_t got = 0;
    int rc;

    db_bind_i64(&p[0], &id, NULL);
    rc = db_execute(r->db, sql, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &got, NULL);
        rc = db_bind_result(r->db, sql, res);
    }
    while (rc == RC_OK && (rc = db_fetch(r->db, sql)) == RC_OK) {
        want(r, got);
        grow((void **)&r->seeds, &r->capseeds, r->nseeds, sizeof(*r->seeds));
        r->seeds[r->nseeds++] = got;
    }
    db_stmt_done(r->db, sql);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

/* Queues the renamed team or tournament id in link_queue (a deferred cascade). */
static int
enqueue(struct run *r, const char *sql, int64_t id)
{
    MYSQL_BIND p[2];
    int64_t seq = (int64_t)r->st->queue_seq;
    int rc;

    db_bind_i64(&p[0], &id, NULL);
    db_bind_i64(&p[1], &seq, NULL);
    rc = db_execute(r->db, sql, p);
    if (rc == RC_OK) {
        r->st->queued++;
    }
    return rc;
}

/* Makes id a node from st->cache: 1, or 0 when the cache does not have it. */
static int
node_from_cache(struct run *r, int64_t id)
{
    struct db_link_cache *c = r->st->cache;
    const struct cnode *cn;
    struct lk_node *x;
    size_t slot;

    if (c == NULL || (slot = imap_get(&c->ix, id, 0)) == SIZE_MAX || (cn = &c->v[slot])->gone) {
        return 0;
    }
    x = node_add(r, cn->id);
    x->source_id = cn->source_id;
    x->raw_title = cn->raw_title;
    x->m = cn->m;
    x->m.title_id = x->raw_title ? title_identity(r, x->raw_title) : 0; /* the aliases of now */
    x->fixture_id = cn->fixture_id;
    x->confidence = cn->confidence;
    x->person = cn->person;
    x->have_member = cn->have_member;
    x->teams = arena_alloc(&r->arena, (cn->m.nteams + 1) * sizeof(*x->teams));
    memcpy(x->teams, cn->teams, cn->m.nteams * sizeof(*x->teams));
    x->cached = 1;
    return 1;
}

/* Loads the wanted ids that are not nodes yet, with their teams, norms,
 * frequencies and links. */
static int
load_nodes(struct run *r)
{
    MYSQL_BIND p[CHUNK], res[NODE_COLS];
    int64_t vals[CHUNK], ids[CHUNK];
    char nulls[CHUNK];
    struct node_row *w = xmalloc(sizeof(*w));
    size_t from = r->nnodes, i, n = 0, team_from = r->fix.nrenamed, tour_from = r->tfix.nrenamed;
    double t0 = dt_mono();
    int rc = RC_OK;

    for (i = 0; i <= r->nwant && rc == RC_OK; i++) {
        if (i < r->nwant) {
            size_t k;

            if (node_of(r, r->want[i]) != SIZE_MAX || node_from_cache(r, r->want[i])) {
                continue;
            }
            for (k = 0; k < n && ids[k] != r->want[i]; k++) {
            }
            if (k < n) {
                continue;
            }
            ids[n++] = r->want[i];
            if (n < CHUNK) {
                continue;
            }
        }
        if (n == 0) {
            continue;
        }
        bind_in(p, vals, nulls, ids, n);
        n = 0;
        rc = db_execute(r->db, SQL_NODES, p);
        if (rc != RC_OK) {
            break;
        }
        bind_node_row(res, w);
        rc = db_bind_result(r->db, SQL_NODES, res);
        while (rc == RC_OK && (rc = db_fetch(r->db, SQL_NODES)) == RC_OK) {
            size_t at = node_of(r, w->v[0]);

            if (at == SIZE_MAX) {
                node_start(r, w, &r->tfix);
                at = r->nnodes - 1;
            }
            node_team(r, &r->nodes[at], w, &r->fix);
        }
        db_stmt_done(r->db, SQL_NODES);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    free(w);
    r->nwant = 0;
    for (i = from; i < r->nnodes; i++) {
        r->nodes[i].m.teams = r->nodes[i].teams;
        if (r->st->cache != NULL && !r->nodes[i].cached && rc == RC_OK) {
            cache_put(r->st->cache, &r->nodes[i]);
        }
        r->st->cached += r->nodes[i].cached;
    }
    r->st->nodes += r->nnodes - from;
    /* a renamed team or tournament changes the scores of all its matches
     * (deferred: queued by store_fixes) */
    for (i = team_from; i < r->fix.nrenamed && rc == RC_OK && !r->st->defer_renames; i++) {
        rc = cascade(r, SQL_TEAM_MATCHES, r->fix.renamed[i]);
    }
    for (i = tour_from; i < r->tfix.nrenamed && rc == RC_OK && !r->st->defer_renames; i++) {
        rc = cascade(r, SQL_TOURNAMENT_MATCHES, r->tfix.renamed[i]);
    }
    if (rc == RC_OK && r->p->nteams > 0) {
        rc = load_freq(r, from); /* the term frequencies count only when the total is known */
    }
    r->st->ms_nodes += (dt_mono() - t0) * 1000;
    t0 = dt_mono();
    if (rc == RC_OK) {
        rc = load_links(r, from);
    }
    r->st->ms_links += (dt_mono() - t0) * 1000;
    return rc;
}

/* One title/time window of the blocking query and the node it is for. */
struct range {
    size_t node;
    int64_t title;
    int64_t date;   /* the node's start */
    int64_t lo, hi; /* its window (window_of) */
};

/* Windows of one title merged where they overlap: one range of a query. */
struct window {
    int64_t title, lo, hi;
};

static int
range_cmp(const void *x, const void *y)
{
    const struct range *a = x, *b = y;

    if (a->title != b->title) {
        return a->title < b->title ? -1 : 1;
    }
    if (a->date != b->date) {
        return a->date < b->date ? -1 : 1;
    }
    return a->node < b->node ? -1 : a->node > b->node;
}

/* The window [d - w, d + w], the ends kept inside the dates SQL takes. */
static void
window_of(int64_t d, int64_t w, int64_t *lo, int64_t *hi)
{
    *lo = dt_in_range(d - w) ? d - w : d;
    *hi = dt_in_range(d + w) ? d + w : d;
}

/* One blocking query over the merged windows q[0..m) (m <= BCHUNK): each of
 * its rows pairs with every node of rg whose window holds it. */
static int
block_query(struct run *r, const struct range *rg, size_t nrg, const struct window *q, size_t m)
{
    MYSQL_BIND p[3 * BCHUNK], res[4];
    int64_t titles[BCHUNK], id = 0, title = 0, date = 0, source = 0, w = r->p->window_s;
    char nulls[BCHUNK], lo[BCHUNK][20], hi[BCHUNK][20], dnull = 0;
    unsigned long lens[BCHUNK];
    size_t k;
    int rc;

    for (k = 0; k < BCHUNK; k++) {
        int have = k < m;

        titles[k] = have ? q[k].title : 0;
        nulls[k] = !have;
        dt_format_sql(have ? q[k].lo : 0, lo[k]);
        dt_format_sql(have ? q[k].hi : 0, hi[k]);
        lens[k] = (unsigned long)strlen(lo[k]);
        db_bind_i64(&p[3 * k], &titles[k], &nulls[k]);
        db_bind_str(&p[3 * k + 1], lo[k], &lens[k], &nulls[k]);
        db_bind_str(&p[3 * k + 2], hi[k], &lens[k], &nulls[k]);
    }
    rc = db_execute(r->db, SQL_BLOCK, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&res[0], &id, NULL);
    db_bind_i64(&res[1], &title, NULL);
    db_bind_i64(&res[2], &date, &dnull);
    db_bind_i64(&res[3], &source, NULL);
    rc = db_bind_result(r->db, SQL_BLOCK, res);
    while (rc == RC_OK && (rc = db_fetch(r->db, SQL_BLOCK)) == RC_OK) {
        size_t a = 0, b = nrg;

        if (dnull) {
            continue;
        }
        /* the first window of this title starting at date - w or later:
         * rg is sorted by (title, date) */
        while (a < b) {
            size_t mid = a + (b - a) / 2;

            if (rg[mid].title < title || (rg[mid].title == title && rg[mid].date < date - w)) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        for (k = a; k < nrg && rg[k].title == title && rg[k].date <= date + w; k++) {
            const struct lk_node *x = &r->nodes[rg[k].node];

            if (x->id != id && x->source_id != source && date >= rg[k].lo && date <= rg[k].hi) {
                struct lk_pair *pq = pair_get(r, x->id, id, 1);

                pq->candidate = 1;
                want(r, id);
            }
        }
    }
    db_stmt_done(r->db, SQL_BLOCK);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

/* Asks for the candidates of the nodes in todo[0..n): each gets a pair with
 * every match of another source, of its title identity, starting within
 * the window. The candidates become wanted ids. The windows of one title
 * that overlap are asked as one range (a slice's matches start close
 * together), 64 ranges per query on the (title_id, date_start) index. */
static int
block(struct run *r, const size_t *todo, size_t n)
{
    struct range *rg = NULL;
    struct window *q;
    size_t nrg = 0, caprg = 0, nq = 0, i, k, at;
    int rc = RC_OK;

    for (i = 0; i < n; i++) {
        const struct lk_node *x = &r->nodes[todo[i]];

        if (!x->m.has_date || x->m.title_id == 0) {
            continue; /* no start or no title: nothing to compare with */
        }
        /* its title, and each title an alias points to it */
        for (k = 0; k <= r->naliases; k++) {
            if (k < r->naliases && r->alias_target[k] != x->m.title_id) {
                continue;
            }
            grow((void **)&rg, &caprg, nrg, sizeof(*rg));
            rg[nrg].node = todo[i];
            rg[nrg].title = k < r->naliases ? r->alias_title[k] : x->m.title_id;
            rg[nrg].date = x->m.date_start;
            window_of(x->m.date_start, r->p->window_s, &rg[nrg].lo, &rg[nrg].hi);
            nrg++;
        }
    }
    if (nrg > 1) {
        qsort(rg, nrg, sizeof(*rg), range_cmp);
    }
    q = xmalloc((nrg + 1) * sizeof(*q));
    for (i = 0; i < nrg; i++) {
        if (nq > 0 && q[nq - 1].title == rg[i].title && rg[i].lo <= q[nq - 1].hi) {
            if (rg[i].hi > q[nq - 1].hi) {
                q[nq - 1].hi = rg[i].hi;
            }
            continue;
        }
        q[nq].title = rg[i].title;
        q[nq].lo = rg[i].lo;
        q[nq++].hi = rg[i].hi;
    }
    for (at = 0; at < nq && rc == RC_OK; at += BCHUNK) {
        rc = block_query(r, rg, nrg, q + at, nq - at < BCHUNK ? nq - at : BCHUNK);
    }
    free(rg);
    free(q);
    return rc;
}

/* Scores the pairs whose nodes are both loaded and that are not scored yet. */
static void
score_pairs(struct run *r)
{
    size_t i;

    for (i = 0; i < r->npairs; i++) {
        struct lk_pair *q = &r->pairs[i];

        if (q->a == SIZE_MAX) {
            q->a = node_of(r, q->ida);
        }
        if (q->b == SIZE_MAX) {
            q->b = node_of(r, q->idb);
        }
        if (q->scored || q->a == SIZE_MAX || q->b == SIZE_MAX) {
            continue;
        }
        link_score_pair(&r->nodes[q->a].m, &r->nodes[q->b].m, r->p, &q->s);
        q->scored = 1;
        r->st->pairs++;
    }
}

/* Whether a pair joins its nodes in one fixture if it can: at or above the
 * high threshold, or confirmed by a person; never when a person rejected it. */
static int
pair_strong(const struct run *r, const struct lk_pair *q)
{
    if (q->decision != 0) {
        return q->decision > 0;
    }
    return q->scored && q->candidate && q->s.veto == NULL && q->s.probability >= r->p->high;
}

/* Gathers the closed set from the wanted ids. */
static int
gather(struct run *r)
{
    size_t *todo = NULL, ntodo = 0, cap = 0, i;
    double t0;
    int rc = RC_OK;

    for (;;) {
        size_t before = r->nnodes;

        rc = load_nodes(r);
        if (rc != RC_OK) {
            break;
        }
        /* the wanted matches that are loaded and not expanded are expanded
         * when they are seeds (first round) or reached by a strong pair */
        ntodo = 0;
        if (before == 0) {
            for (i = 0; i < r->nnodes; i++) {
                grow((void **)&todo, &cap, ntodo, sizeof(*todo));
                todo[ntodo++] = i;
            }
        } else {
            score_pairs(r);
            for (i = 0; i < r->npairs; i++) {
                const struct lk_pair *q = &r->pairs[i];

                if (q->a == SIZE_MAX || q->b == SIZE_MAX || !pair_strong(r, q)) {
                    continue;
                }
                if (r->nodes[q->a].expanded != r->nodes[q->b].expanded) {
                    size_t x = r->nodes[q->a].expanded ? q->b : q->a;
                    size_t k;

                    for (k = 0; k < ntodo && todo[k] != x; k++) {
                    }
                    if (k == ntodo) {
                        grow((void **)&todo, &cap, ntodo, sizeof(*todo));
                        todo[ntodo++] = x;
                    }
                }
            }
        }
        /* the matches of a renamed team or tournament */
        for (i = 0; i < r->nseeds; i++) {
            size_t x = node_of(r, r->seeds[i]), k;

            if (x == SIZE_MAX || r->nodes[x].expanded) {
                continue;
            }
            for (k = 0; k < ntodo && todo[k] != x; k++) {
            }
            if (k == ntodo) {
                grow((void **)&todo, &cap, ntodo, sizeof(*todo));
                todo[ntodo++] = x;
            }
        }
        /* partners a person confirmed must be loaded to be expanded */
        for (i = 0; i < r->npairs; i++) {
            const struct lk_pair *q = &r->pairs[i];

            if (q->decision > 0 &&
                (node_of(r, q->ida) == SIZE_MAX) != (node_of(r, q->idb) == SIZE_MAX)) {
                want(r, node_of(r, q->ida) == SIZE_MAX ? q->ida : q->idb);
            }
        }
        if (ntodo == 0 && r->nwant == 0) {
            break;
        }
        if (r->nnodes > DB_LINK_MAX_NODES) {
            r->st->truncated++;
            log_warn("link", "event=closed_set_truncated nodes=%zu", r->nnodes);
            break;
        }
        for (i = 0; i < ntodo; i++) {
            r->nodes[todo[i]].expanded = 1;
        }
        t0 = dt_mono();
        rc = block(r, todo, ntodo);
        r->st->ms_block += (dt_mono() - t0) * 1000;
        if (rc != RC_OK) {
            break;
        }
        if (ntodo == 0 && r->nwant > 0) {
            continue; /* confirmed partners: load them, then look again */
        }
    }
    free(todo);
    if (rc == RC_OK) {
        score_pairs(r);
    }
    return rc;
}

static int
in_set(const struct run *r, size_t node)
{
    return node != SIZE_MAX && r->nodes[node].expanded;
}

static int64_t
fixture_now(const struct run *r, size_t node)
{
    return in_set(r, node) ? r->nodes[node].new_fixture : r->nodes[node].fixture_id;
}

/* Clusters the closed set: new_fixture, new_conf, new_person and best of each of its nodes. */
static int
cluster(struct run *r)
{
    size_t n = 0, i, ne = 0, nc = 0, *sx = xmalloc((r->nnodes + 1) * sizeof(*sx));
    int64_t *ids = xmalloc((r->nnodes + 1) * sizeof(*ids));
    int64_t *group = xmalloc((r->nnodes + 1) * sizeof(*group));
    int64_t *out = xmalloc((r->nnodes + 1) * sizeof(*out));
    struct link_edge *edges = xmalloc((r->npairs + 1) * sizeof(*edges));
    struct link_edge *cannot = xmalloc((r->npairs + 1) * sizeof(*cannot));
    int rc = RC_OK;

    for (i = 0; i < r->nnodes; i++) {
        sx[i] = SIZE_MAX;
        if (r->nodes[i].expanded) {
            sx[i] = n;
            ids[n] = r->nodes[i].id;
            group[n++] = r->nodes[i].source_id;
        }
    }
    for (i = 0; i < r->npairs; i++) {
        const struct lk_pair *q = &r->pairs[i];

        if (!in_set(r, q->a) || !in_set(r, q->b)) {
            continue;
        }
        if (q->decision < 0) {
            cannot[nc].a = sx[q->a];
            cannot[nc].b = sx[q->b];
            cannot[nc].probability = 0;
            cannot[nc++].forced = 0;
        } else if (pair_strong(r, q)) {
            edges[ne].a = sx[q->a];
            edges[ne].b = sx[q->b];
            edges[ne].probability = q->scored ? q->s.probability : 1.0;
            edges[ne++].forced = q->decision > 0;
        }
    }
    if (n > 0 && link_cluster(n, ids, group, edges, ne, cannot, nc, r->p->high, out) != 0) {
        rc = RC_ERR;
    }
    for (i = 0; i < r->nnodes && rc == RC_OK; i++) {
        struct lk_node *x = &r->nodes[i];

        if (sx[i] != SIZE_MAX) {
            x->new_fixture = out[sx[i]];
            x->new_conf = 1.0;
            x->new_person = 0;
            x->best = SIZE_MAX;
        }
    }
    /* what holds each node in its fixture: a confirmed pair first, then the
     * most probable, then the smaller partner */
    for (i = 0; i < r->npairs && rc == RC_OK; i++) {
        const struct lk_pair *q = &r->pairs[i];
        size_t e, end[2];

        if (!in_set(r, q->a) || !in_set(r, q->b) || !pair_strong(r, q) ||
            r->nodes[q->a].new_fixture != r->nodes[q->b].new_fixture) {
            continue;
        }
        end[0] = q->a;
        end[1] = q->b;
        for (e = 0; e < 2; e++) {
            struct lk_node *x = &r->nodes[end[e]];
            double conf = q->decision > 0 ? 1.0 : q->s.probability;
            int person = q->decision > 0;
            int64_t other = e == 0 ? q->idb : q->ida;
            const struct lk_pair *b = x->best == SIZE_MAX ? NULL : &r->pairs[x->best];
            int better = b == NULL;

            if (b != NULL) {
                int64_t bother = b->ida == x->id ? b->idb : b->ida;

                better = person != x->new_person ? person
                         : conf != x->new_conf   ? conf > x->new_conf
                                                 : other < bother;
            }
            if (better) {
                x->best = i;
                x->new_conf = conf;
                x->new_person = person;
            }
        }
    }
    free(sx);
    free(ids);
    free(group);
    free(out);
    free(edges);
    free(cannot);
    return rc;
}

/* The evidence of pair q as seen from node x: {"linked_to":id, ...the score}. */
static const char *
evidence(struct run *r, const struct lk_pair *q, int64_t x, buf_t *b)
{
    buf_reset(b);
    buf_appendf(b, "{\"linked_to\":%lld,\"origin\":\"%s\"",
                (long long)(q->ida == x ? q->idb : q->ida), q->decision > 0 ? "person" : "auto");
    if (q->scored) {
        buf_t s;

        buf_init(&s, 0);
        link_score_json(&q->s, &s);
        if (!s.err && s.len > 1 && s.data[0] == '{') {
            buf_append_char(b, ',');
            buf_append(b, s.data + 1, s.len - 1);
        } else {
            buf_append_char(b, '}');
        }
        buf_cleanup(&s);
    } else {
        buf_append_char(b, '}');
    }
    return b->err ? NULL : adup(r, b->data);
}

/* Column arrays of one array-bound write. */
/* One array execution: at most this many rows and bytes of text. */
#define ROWS_CHUNK       1000
#define ROWS_CHUNK_BYTES (1024 * 1024)

struct rows {
    size_t n, cap;
    int64_t *i[5];
    double *d;
    const char **s[2];
    unsigned long *len[2];
    char *ind[8];
};

static void
rows_add(struct rows *w)
{
    size_t k;

    if (w->n + 1 > w->cap) {
        w->cap = w->cap ? 2 * w->cap : 32;
        for (k = 0; k < 5; k++) {
            w->i[k] = xrealloc(w->i[k], w->cap * sizeof(**w->i));
        }
        w->d = xrealloc(w->d, w->cap * sizeof(*w->d));
        for (k = 0; k < 2; k++) {
            w->s[k] = xrealloc(w->s[k], w->cap * sizeof(**w->s));
            w->len[k] = xrealloc(w->len[k], w->cap * sizeof(**w->len));
        }
        for (k = 0; k < 8; k++) {
            w->ind[k] = xrealloc(w->ind[k], w->cap);
        }
    }
    for (k = 0; k < 8; k++) {
        w->ind[k][w->n] = STMT_INDICATOR_NONE;
    }
    w->n++;
}

static void
rows_str(struct rows *w, size_t k, const char *s)
{
    size_t r = w->n - 1;

    w->s[k][r] = s ? s : "";
    w->len[k][r] = s ? (unsigned long)strlen(s) : 0;
    w->ind[6 + k][r] = s ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
}

static void
rows_free(struct rows *w)
{
    size_t k;

    for (k = 0; k < 5; k++) {
        free(w->i[k]);
    }
    free(w->d);
    for (k = 0; k < 2; k++) {
        free(w->s[k]);
        free(w->len[k]);
    }
    for (k = 0; k < 8; k++) {
        free(w->ind[k]);
    }
    memset(w, 0, sizeof(*w));
}

/* Runs sql over the rows with params: `ni` integer columns, then the double
 * when `dbl`, then `ns` strings, in the order `order` gives ('i', 'd', 's'). */
static int
rows_exec(struct db *db, const char *sql, struct rows *w, const char *order)
{
    MYSQL_BIND p[8];
    size_t k, ni, ns, from = 0, to, bytes, row;
    int rc = RC_OK;

    /* in chunks of at most ROWS_CHUNK rows and ROWS_CHUNK_BYTES of text: one
     * array execution is one packet, and a closed set's suggestions with
     * their evidence can pass the server's max_allowed_packet */
    while (rc == RC_OK && from < w->n) {
        for (to = from, bytes = 0; to < w->n && to - from < ROWS_CHUNK; to++) {
            row = 64;
            for (k = 0, ns = 0; order[k]; k++) {
                if (order[k] == 's') {
                    row += w->len[ns++][to];
                }
            }
            if (to > from && bytes + row > ROWS_CHUNK_BYTES) {
                break;
            }
            bytes += row;
        }
        for (k = 0, ni = 0, ns = 0; order[k]; k++) {
            if (order[k] == 'i') {
                db_bind_i64_array(&p[k], w->i[ni] + from, w->ind[ni] + from);
                ni++;
            } else if (order[k] == 'd') {
                bind_double_array(&p[k], w->d + from, w->ind[5] + from);
            } else {
                db_bind_str_array(&p[k], w->s[ns] + from, w->len[ns] + from, w->ind[6 + ns] + from,
                                  0);
                ns++;
            }
        }
        rc = db_execute_many(db, sql, p, (unsigned int)(to - from));
        from = to;
    }
    return rc;
}

/* Writes the fixture rows and suggestions of the closed set that differ. */
static int
write_fixtures(struct run *r)
{
    struct rows fx, sg, un;
    buf_t b;
    size_t i;
    int rc;

    memset(&fx, 0, sizeof(fx));
    memset(&sg, 0, sizeof(sg));
    memset(&un, 0, sizeof(un));
    buf_init(&b, 0);
    for (i = 0; i < r->nnodes; i++) {
        const struct lk_node *x = &r->nodes[i];

        if (!x->expanded || (x->have_member && x->new_fixture == x->fixture_id &&
                             x->new_conf == x->confidence && x->new_person == x->person)) {
            continue;
        }
        if (!x->have_member || x->new_fixture != x->fixture_id) {
            touch(r->st, x->id);
        }
        rows_add(&fx);
        fx.i[0][fx.n - 1] = x->id;
        fx.i[1][fx.n - 1] = x->new_fixture;
        fx.d[fx.n - 1] = x->new_conf;
        rows_str(&fx, 0, x->best == SIZE_MAX ? NULL : evidence(r, &r->pairs[x->best], x->id, &b));
        rows_str(&fx, 1, x->new_person ? "person" : "auto");
    }
    for (i = 0; i < r->npairs; i++) {
        const struct lk_pair *q = &r->pairs[i];
        size_t a = node_of(r, q->ida), bb = node_of(r, q->idb);
        int want_it;

        if (!in_set(r, a) && !in_set(r, bb)) {
            continue;
        }
        want_it = q->decision == 0 && q->candidate && q->scored && q->s.veto == NULL &&
                  q->s.probability >= r->p->low && a != SIZE_MAX && bb != SIZE_MAX &&
                  fixture_now(r, a) != fixture_now(r, bb);
        if (want_it && (!q->suggested || q->stored_p != q->s.probability)) {
            rows_add(&sg);
            sg.i[0][sg.n - 1] = q->ida;
            sg.i[1][sg.n - 1] = q->idb;
            sg.d[sg.n - 1] = q->s.probability;
            rows_str(&sg, 0, evidence(r, q, q->ida, &b));
        } else if (!want_it && q->suggested) {
            rows_add(&un);
            un.i[0][un.n - 1] = q->ida;
            un.i[1][un.n - 1] = q->idb;
        }
    }
    buf_cleanup(&b);
    rc = rows_exec(r->db, SQL_SET_FIXTURE, &fx, "iidss");
    if (rc == RC_OK) {
        rc = rows_exec(r->db, SQL_SUGGEST, &sg, "iids");
    }
    if (rc == RC_OK) {
        rc = rows_exec(r->db, SQL_UNSUGGEST, &un, "ii");
    }
    r->st->fixture_rows += fx.n;
    r->st->suggestion_rows += sg.n + un.n;
    rows_free(&fx);
    rows_free(&sg);
    rows_free(&un);
    return rc;
}

struct tedge {
    int64_t m, om, t, ot;
    double p;
};

static int
tedge_cmp(const void *x, const void *y)
{
    const struct tedge *a = x, *b = y;

    if (a->m != b->m) {
        return a->m < b->m ? -1 : 1;
    }
    if (a->om != b->om) {
        return a->om < b->om ? -1 : 1;
    }
    return a->t < b->t ? -1 : a->t > b->t;
}

static void
tedge_add(struct tedge **v, size_t *n, size_t *cap, int64_t m, int64_t om, int64_t t, int64_t ot,
          double p)
{
    grow((void **)v, cap, *n, sizeof(**v));
    (*v)[*n].m = m;
    (*v)[*n].om = om;
    (*v)[*n].t = t;
    (*v)[*n].ot = ot;
    (*v)[(*n)++].p = p;
}

/* Reads the stored team edges of the closed set's matches. */
static int
load_tedges(struct run *r, struct tedge **v, size_t *n, size_t *cap)
{
    MYSQL_BIND p[2 * CHUNK], res[5];
    int64_t vals[2 * CHUNK], ids[CHUNK];
    struct tedge e;
    char nulls[2 * CHUNK];
    size_t i = 0, k;
    int rc = RC_OK;

    while (i < r->nnodes && rc == RC_OK) {
        for (k = 0; i < r->nnodes && k < CHUNK; i++) {
            if (r->nodes[i].expanded) {
                ids[k++] = r->nodes[i].id;
            }
        }
        if (k == 0) {
            break;
        }
        bind_in(p, vals, nulls, ids, k);
        bind_in(p + CHUNK, vals + CHUNK, nulls + CHUNK, ids, k);
        rc = db_execute(r->db, SQL_TEDGES, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_i64(&res[0], &e.m, NULL);
        db_bind_i64(&res[1], &e.om, NULL);
        db_bind_i64(&res[2], &e.t, NULL);
        db_bind_i64(&res[3], &e.ot, NULL);
        bind_double(&res[4], &e.p, NULL);
        rc = db_bind_result(r->db, SQL_TEDGES, res);
        while (rc == RC_OK && (rc = db_fetch(r->db, SQL_TEDGES)) == RC_OK) {
            tedge_add(v, n, cap, e.m, e.om, e.t, e.ot, e.p);
        }
        db_stmt_done(r->db, SQL_TEDGES);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

/* Team pairs (a < b) whose edges a run changed, with their best stored
 * probability before and after the writes (-1: no edge). An edge added or
 * raised can only raise a pair's best, to the highest such (raised); only
 * a pair that lost an edge or saw one lowered is asked again. */
struct tpairs {
    int64_t *a, *b;
    double *before, *after, *raised;
    unsigned char *lowered;
    size_t n, cap;
    struct imap ix;
};

/* The pair of teams x and y, noted once. */
static size_t
note_pair(struct tpairs *tp, int64_t x, int64_t y)
{
    int64_t a = x < y ? x : y, b = x < y ? y : x;
    size_t k = imap_get(&tp->ix, a, b);

    if (k != SIZE_MAX) {
        return k;
    }
    if (tp->n + 1 > tp->cap) {
        tp->cap = tp->cap ? 2 * tp->cap : 32;
        tp->a = xrealloc(tp->a, tp->cap * sizeof(*tp->a));
        tp->b = xrealloc(tp->b, tp->cap * sizeof(*tp->b));
        tp->before = xrealloc(tp->before, tp->cap * sizeof(*tp->before));
        tp->after = xrealloc(tp->after, tp->cap * sizeof(*tp->after));
        tp->raised = xrealloc(tp->raised, tp->cap * sizeof(*tp->raised));
        tp->lowered = xrealloc(tp->lowered, tp->cap * sizeof(*tp->lowered));
    }
    tp->a[tp->n] = a;
    tp->b[tp->n] = b;
    tp->raised[tp->n] = -1;
    tp->lowered[tp->n] = 0;
    imap_put(&tp->ix, a, b, tp->n);
    return tp->n++;
}

/* An edge of teams x, y gets probability p (added, or raised from below). */
static void
pair_raised(struct tpairs *tp, int64_t x, int64_t y, double p)
{
    size_t k = note_pair(tp, x, y);

    if (p > tp->raised[k]) {
        tp->raised[k] = p;
    }
}

/* An edge of teams x, y goes, or gets a lower probability. */
static void
pair_lowered(struct tpairs *tp, int64_t x, int64_t y)
{
    size_t k = note_pair(tp, x, y); /* before tp->lowered is read: it may move */

    tp->lowered[k] = 1;
}

static void
tpairs_free(struct tpairs *tp)
{
    free(tp->a);
    free(tp->b);
    free(tp->before);
    free(tp->after);
    free(tp->raised);
    free(tp->lowered);
    imap_free(&tp->ix);
}

/* The best stored probability of each pair (a[k], b[k]) into out[k] (-1:
 * none). */
static int
pair_agg(struct db *db, const int64_t *a, const int64_t *b, size_t n, double *out)
{
    size_t at, k;
    int rc = RC_OK;

    for (k = 0; k < n; k++) {
        out[k] = -1;
    }
    for (at = 0; at < n && rc == RC_OK; at += PCHUNK) {
        MYSQL_BIND p[2 * PCHUNK], res[PCHUNK];
        int64_t va[PCHUNK], vb[PCHUNK];
        char nulls[PCHUNK], none[PCHUNK];
        double best[PCHUNK];

        for (k = 0; k < PCHUNK; k++) {
            int have = at + k < n;

            va[k] = have ? a[at + k] : 0;
            vb[k] = have ? b[at + k] : 0;
            nulls[k] = !have;
            db_bind_i64(&p[2 * k], &va[k], &nulls[k]);
            db_bind_i64(&p[2 * k + 1], &vb[k], &nulls[k]);
            bind_double(&res[k], &best[k], &none[k]);
        }
        rc = db_execute(db, SQL_PAIR_AGG, p);
        if (rc != RC_OK) {
            break;
        }
        rc = db_bind_result(db, SQL_PAIR_AGG, res);
        if (rc == RC_OK && (rc = db_fetch(db, SQL_PAIR_AGG)) == RC_OK) {
            for (k = 0; k < PCHUNK && at + k < n; k++) {
                out[at + k] = none[k] ? -1 : best[k];
            }
        }
        db_stmt_done(db, SQL_PAIR_AGG);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

/* The best probability of each pair after the writes: in memory where its
 * edges were only added or raised, asked for the others. */
static int
pairs_after(struct db *db, struct tpairs *tp)
{
    int64_t *a = xmalloc((tp->n + 1) * sizeof(*a)), *b = xmalloc((tp->n + 1) * sizeof(*b));
    double *got = xmalloc((tp->n + 1) * sizeof(*got));
    size_t *at = xmalloc((tp->n + 1) * sizeof(*at)), k, m = 0;
    int rc;

    for (k = 0; k < tp->n; k++) {
        if (tp->lowered[k]) {
            a[m] = tp->a[k];
            b[m] = tp->b[k];
            at[m++] = k;
        } else {
            tp->after[k] = tp->raised[k] > tp->before[k] ? tp->raised[k] : tp->before[k];
        }
    }
    rc = pair_agg(db, a, b, m, got);
    for (k = 0; k < m && rc == RC_OK; k++) {
        tp->after[at[k]] = got[k];
    }
    free(a);
    free(b);
    free(got);
    free(at);
    return rc;
}

/* The team pairs the fixtures of the closed set imply, against the stored
 * ones; writes the difference and notes the teams it touches. */
static int
write_tedges(struct run *r)
{
    struct tedge *want_v = NULL, *have_v = NULL;
    size_t nw = 0, cw = 0, nh = 0, ch = 0, i, j;
    struct rows set, del;
    struct tpairs tp;
    int rc;

    memset(&tp, 0, sizeof(tp));
    for (i = 0; i < r->npairs; i++) {
        const struct lk_pair *q = &r->pairs[i];
        struct link_match ms[2];
        struct link_team_edge te[8];
        size_t k, ne;

        int linked, suggested;

        if ((!in_set(r, q->a) && !in_set(r, q->b)) || q->a == SIZE_MAX || q->b == SIZE_MAX ||
            q->decision < 0) {
            continue;
        }
        /* a pair in one fixture pairs its teams; a suggested pair only those
         * whose names agree exactly (or a person already joined) */
        linked = fixture_now(r, q->a) == fixture_now(r, q->b);
        suggested = !linked && q->decision == 0 && q->candidate && q->scored && q->s.veto == NULL &&
                    q->s.probability >= r->p->low;
        if (!linked && !suggested) {
            continue;
        }
        ms[0] = r->nodes[q->a].m;
        ms[1] = r->nodes[q->b].m;
        ne = link_fixture_team_edges(ms, 2, r->p, te, ARRAY_SIZE(te));
        for (k = 0; k < ne && k < ARRAY_SIZE(te); k++) {
            if (!linked && strcmp(te[k].level, "exact after normalization") != 0 &&
                strcmp(te[k].level, "known same identity") != 0) {
                continue;
            }
            /* te[k].a is a team of one of the two matches, te[k].b of the other */
            int a_first = te[k].source_a == ms[0].source_id;
            int64_t ma = a_first ? ms[0].id : ms[1].id, mb = a_first ? ms[1].id : ms[0].id;

            /* stored once, from the pair's smaller team (te[k].a < te[k].b) */
            tedge_add(&want_v, &nw, &cw, ma, mb, te[k].a, te[k].b, te[k].probability);
        }
    }
    rc = load_tedges(r, &have_v, &nh, &ch);
    if (rc != RC_OK) {
        free(want_v);
        free(have_v);
        return rc;
    }
    if (nw > 1) {
        qsort(want_v, nw, sizeof(*want_v), tedge_cmp);
    }
    if (nh > 1) {
        /* a row read from both of its matches' chunks comes twice */
        size_t u = 1;

        qsort(have_v, nh, sizeof(*have_v), tedge_cmp);
        for (i = 1; i < nh; i++) {
            if (tedge_cmp(&have_v[i], &have_v[u - 1]) != 0) {
                have_v[u++] = have_v[i];
            }
        }
        nh = u;
    }
    if (nw > 1) {
        size_t u = 1;

        for (i = 1; i < nw; i++) {
            if (tedge_cmp(&want_v[i], &want_v[u - 1]) != 0) {
                want_v[u++] = want_v[i];
            }
        }
        nw = u;
    }
    memset(&set, 0, sizeof(set));
    memset(&del, 0, sizeof(del));
    for (i = j = 0; i < nw || j < nh;) {
        int c = i == nw ? 1 : j == nh ? -1 : tedge_cmp(&want_v[i], &have_v[j]);

        if (c < 0 || (c == 0 && (want_v[i].ot != have_v[j].ot || want_v[i].p != have_v[j].p))) {
            const struct tedge *e = &want_v[i];

            rows_add(&set);
            set.i[0][set.n - 1] = e->m;
            set.i[1][set.n - 1] = e->om;
            set.i[2][set.n - 1] = e->t;
            set.i[3][set.n - 1] = e->ot;
            set.d[set.n - 1] = e->p;
            if (c == 0 && (have_v[j].ot != e->ot || have_v[j].p > e->p)) {
                /* the edge leaves its pair of teams, or falls in it */
                pair_lowered(&tp, have_v[j].t, have_v[j].ot);
            }
            pair_raised(&tp, e->t, e->ot, e->p);
        } else if (c > 0) {
            const struct tedge *e = &have_v[j];

            rows_add(&del);
            del.i[0][del.n - 1] = e->m;
            del.i[1][del.n - 1] = e->om;
            del.i[2][del.n - 1] = e->t;
            pair_lowered(&tp, e->t, e->ot);
        }
        i += c <= 0;
        j += c >= 0;
    }
    /* the identities change only where a team pair appears, disappears or
     * gets another best probability: compare those before and after */
    rc = pair_agg(r->db, tp.a, tp.b, tp.n, tp.before);
    if (rc == RC_OK) {
        rc = rows_exec(r->db, SQL_TEDGE_DEL, &del, "iii");
    }
    if (rc == RC_OK) {
        rc = rows_exec(r->db, SQL_TEDGE_SET, &set, "iiiid");
    }
    if (rc == RC_OK) {
        rc = pairs_after(r->db, &tp);
    }
    for (i = 0; i < tp.n && rc == RC_OK; i++) {
        if (tp.before[i] != tp.after[i]) {
            note_team(r, tp.a[i]);
            note_team(r, tp.b[i]);
        }
    }
    tpairs_free(&tp);
    r->st->team_edge_rows += set.n + del.n;
    rows_free(&set);
    rows_free(&del);
    free(want_v);
    free(have_v);
    return rc;
}

/* The norms found missing or stale, and the renames to queue. */
static int
store_fixes(struct run *r)
{
    size_t i;
    int rc = store_norms(r->db, SQL_SET_NORM, &r->fix, NULL);

    if (rc == RC_OK) {
        rc = store_norms(r->db, SQL_SET_TNORM, &r->tfix, NULL);
    }
    for (i = 0; i < r->fix.nrenamed && rc == RC_OK && r->st->defer_renames; i++) {
        rc = enqueue(r, SQL_QUEUE_TEAM, r->fix.renamed[i]);
    }
    for (i = 0; i < r->tfix.nrenamed && rc == RC_OK && r->st->defer_renames; i++) {
        rc = enqueue(r, SQL_QUEUE_TOURNAMENT, r->tfix.renamed[i]);
    }
    return rc;
}

int
db_link_matches(struct db *db, const struct link_params *p, const int64_t *ids, size_t n,
                struct db_link_stats *st)
{
    struct db_link_stats local;
    struct run r;
    size_t i;
    double t0;
    int rc;

    if (st == NULL) {
        memset(&local, 0, sizeof(local));
        st = &local;
    }
    if (n == 0) {
        return RC_OK;
    }
    st->runs++;
    run_init(&r, db, p, st);
    rc = load_aliases(&r);
    for (i = 0; i < n && rc == RC_OK; i++) {
        want(&r, ids[i]);
    }
    if (rc == RC_OK) {
        rc = load_mates(&r, ids, n);
    }
    if (rc == RC_OK) {
        rc = gather(&r);
    }
    if (rc == RC_OK) {
        rc = cluster(&r);
    }
    if (rc == RC_OK) {
        cache_note_fixtures(st->cache, r.nodes, r.nnodes);
    }
    t0 = dt_mono();
    if (rc == RC_OK) {
        rc = write_fixtures(&r);
    }
    if (rc == RC_OK) {
        rc = write_tedges(&r);
    }
    st->ms_write += (dt_mono() - t0) * 1000;
    t0 = dt_mono();
    if (rc == RC_OK && r.nchanged_teams > 0) {
        rc = db_link_teams(db, r.changed_teams, r.nchanged_teams, st);
    }
    st->ms_teams += (dt_mono() - t0) * 1000;
    /* everything above wrote only the tables of links */
    if (rc == RC_OK && st->before_shared_write != NULL) {
        rc = st->before_shared_write(st->before_shared_write_arg);
    }
    if (rc == RC_OK) {
        rc = store_fixes(&r);
    }
    run_cleanup(&r);
    return rc;
}

/* ---- team identities -------------------------------------------------- */

struct tnode {
    int64_t id, source, identity;
    double conf;
    int person, have, loaded;
    int64_t new_id, via, count;
    double new_conf;
    int new_person;
};

struct tpair {
    int64_t a, b;
    double p;
    int64_t count;
    int decision;
};

struct trun {
    struct db *db;
    struct tnode *nodes;
    size_t n, cap;
    struct imap ix;
    struct tpair *pairs;
    size_t np, capp;
    struct imap pix;
};

static size_t
tnode_add(struct trun *t, int64_t id)
{
    size_t i = imap_get(&t->ix, id, 0);

    if (i != SIZE_MAX) {
        return i;
    }
    grow((void **)&t->nodes, &t->cap, t->n, sizeof(*t->nodes));
    memset(&t->nodes[t->n], 0, sizeof(*t->nodes));
    t->nodes[t->n].id = id;
    imap_put(&t->ix, id, 0, t->n);
    return t->n++;
}

static struct tpair *
tpair_get(struct trun *t, int64_t x, int64_t y)
{
    int64_t a = x < y ? x : y, b = x < y ? y : x;
    size_t i = imap_get(&t->pix, a, b);

    if (i == SIZE_MAX) {
        grow((void **)&t->pairs, &t->capp, t->np, sizeof(*t->pairs));
        memset(&t->pairs[t->np], 0, sizeof(*t->pairs));
        t->pairs[t->np].a = a;
        t->pairs[t->np].b = b;
        imap_put(&t->pix, a, b, t->np);
        i = t->np++;
    }
    return &t->pairs[i];
}

/* Reads the implied pairs and a person's decisions of nodes[from..to). */
static int
team_expand(struct trun *t, size_t from, size_t to)
{
    MYSQL_BIND p[2 * CHUNK], res[4];
    int64_t vals[2 * CHUNK], ids[CHUNK], a = 0, b = 0, c = 0;
    char nulls[2 * CHUNK];
    double prob = 0;
    size_t at, k;
    int rc = RC_OK;

    for (at = from; at < to && rc == RC_OK; at += CHUNK) {
        size_t n = to - at < CHUNK ? to - at : CHUNK;

        for (k = 0; k < n; k++) {
            ids[k] = t->nodes[at + k].id;
        }
        bind_in(p, vals, nulls, ids, n);
        bind_in(p + CHUNK, vals + CHUNK, nulls + CHUNK, ids, n);
        rc = db_execute(t->db, SQL_TEAM_NEIGH, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_i64(&res[0], &a, NULL);
        db_bind_i64(&res[1], &b, NULL);
        bind_double(&res[2], &prob, NULL);
        db_bind_i64(&res[3], &c, NULL);
        rc = db_bind_result(t->db, SQL_TEAM_NEIGH, res);
        while (rc == RC_OK && (rc = db_fetch(t->db, SQL_TEAM_NEIGH)) == RC_OK) {
            struct tpair *q = tpair_get(t, a, b);

            if (prob > q->p) {
                q->p = prob;
            }
            if (c > q->count) {
                q->count = c;
            }
            tnode_add(t, b);
        }
        db_stmt_done(t->db, SQL_TEAM_NEIGH);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
        if (rc != RC_OK) {
            break;
        }
        bind_in(p, vals, nulls, ids, n);
        bind_in(p + CHUNK, vals + CHUNK, nulls + CHUNK, ids, n);
        rc = db_execute(t->db, SQL_TEAM_DEC, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_i64(&res[0], &a, NULL);
        db_bind_i64(&res[1], &b, NULL);
        db_bind_i64(&res[2], &c, NULL);
        rc = db_bind_result(t->db, SQL_TEAM_DEC, res);
        while (rc == RC_OK && (rc = db_fetch(t->db, SQL_TEAM_DEC)) == RC_OK) {
            tpair_get(t, a, b)->decision = c ? 1 : -1;
            if (c) {
                tnode_add(t, a);
                tnode_add(t, b);
            }
        }
        db_stmt_done(t->db, SQL_TEAM_DEC);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

static int
team_load(struct trun *t)
{
    MYSQL_BIND p[CHUNK], res[5];
    int64_t vals[CHUNK], ids[CHUNK], id = 0, source = 0, identity = 0, person = 0;
    char nulls[CHUNK], inull = 0, cnull = 0, pnull = 0;
    double conf = 0;
    size_t at, k;
    int rc = RC_OK;

    for (at = 0; at < t->n && rc == RC_OK; at += CHUNK) {
        size_t n = t->n - at < CHUNK ? t->n - at : CHUNK;

        for (k = 0; k < n; k++) {
            ids[k] = t->nodes[at + k].id;
        }
        bind_in(p, vals, nulls, ids, n);
        rc = db_execute(t->db, SQL_TEAM_NODES, p);
        if (rc != RC_OK) {
            break;
        }
        db_bind_i64(&res[0], &id, NULL);
        db_bind_i64(&res[1], &source, NULL);
        db_bind_i64(&res[2], &identity, &inull);
        bind_double(&res[3], &conf, &cnull);
        db_bind_i64(&res[4], &person, &pnull);
        rc = db_bind_result(t->db, SQL_TEAM_NODES, res);
        while (rc == RC_OK && (rc = db_fetch(t->db, SQL_TEAM_NODES)) == RC_OK) {
            struct tnode *x = &t->nodes[imap_get(&t->ix, id, 0)];

            x->loaded = 1;
            x->source = source;
            x->have = !inull;
            x->identity = inull ? id : identity;
            x->conf = cnull ? 1.0 : conf;
            x->person = !pnull && person != 0;
        }
        db_stmt_done(t->db, SQL_TEAM_NODES);
        rc = rc == RC_NOTFOUND ? RC_OK : rc;
    }
    return rc;
}

static int
team_cluster(struct trun *t)
{
    int64_t *ids = xmalloc((t->n + 1) * sizeof(*ids)),
            *group = xmalloc((t->n + 1) * sizeof(*group));
    int64_t *out = xmalloc((t->n + 1) * sizeof(*out));
    struct link_edge *edges = xmalloc((t->np + 1) * sizeof(*edges));
    struct link_edge *cannot = xmalloc((t->np + 1) * sizeof(*cannot));
    size_t i, ne = 0, nc = 0;
    int rc = RC_OK;

    for (i = 0; i < t->n; i++) {
        ids[i] = t->nodes[i].id;
        /* a team gone from the table is alone in a group of its own */
        group[i] = t->nodes[i].loaded ? t->nodes[i].source : -(int64_t)i - 1;
    }
    for (i = 0; i < t->np; i++) {
        const struct tpair *q = &t->pairs[i];
        size_t a = imap_get(&t->ix, q->a, 0), b = imap_get(&t->ix, q->b, 0);

        if (a == SIZE_MAX || b == SIZE_MAX) {
            continue;
        }
        if (q->decision < 0) {
            cannot[nc].a = a;
            cannot[nc].b = b;
            cannot[nc].probability = 0;
            cannot[nc++].forced = 0;
        } else if (q->decision > 0 || q->count > 0) {
            edges[ne].a = a;
            edges[ne].b = b;
            edges[ne].probability = q->decision > 0 ? 1.0 : q->p;
            edges[ne++].forced = q->decision > 0;
        }
    }
    if (t->n > 0 && link_cluster(t->n, ids, group, edges, ne, cannot, nc, 0.0, out) != 0) {
        rc = RC_ERR;
    }
    for (i = 0; i < t->n && rc == RC_OK; i++) {
        t->nodes[i].new_id = out[i];
        t->nodes[i].new_conf = 1.0;
        t->nodes[i].via = 0;
    }
    for (i = 0; i < t->np && rc == RC_OK; i++) {
        const struct tpair *q = &t->pairs[i];
        size_t a = imap_get(&t->ix, q->a, 0), b = imap_get(&t->ix, q->b, 0), e;

        if (a == SIZE_MAX || b == SIZE_MAX || q->decision < 0 ||
            (q->decision == 0 && q->count == 0) || t->nodes[a].new_id != t->nodes[b].new_id) {
            continue;
        }
        for (e = 0; e < 2; e++) {
            struct tnode *x = &t->nodes[e == 0 ? a : b];
            int64_t other = e == 0 ? q->b : q->a;
            double conf = q->decision > 0 ? 1.0 : q->p;
            int person = q->decision > 0;
            int better = x->via == 0 || (person != x->new_person ? person
                                         : conf != x->new_conf   ? conf > x->new_conf
                                                                 : other < x->via);

            if (better) {
                x->via = other;
                x->new_conf = conf;
                x->new_person = person;
                x->count = q->count;
            }
        }
    }
    free(ids);
    free(group);
    free(out);
    free(edges);
    free(cannot);
    return rc;
}

/* Appends the matches of every member of identity to st->resent, once per
 * identity (seen). */
static int
resend_identity(struct trun *t, struct db_link_stats *st, struct imap *seen, int64_t identity)
{
    if (imap_get(seen, identity, 0) != SIZE_MAX) {
        return RC_OK;
    }
    imap_put(seen, identity, 0, 0);
    return collect_matches(t->db, SQL_IDENTITY_MATCHES, identity, &st->resent, &st->nresent,
                           &st->capresent);
}

/* Once the identities are written: the matches of every member of the
 * identities a team joined or left are sent to the search engine again (the
 * team's name is an alias of each of its identity-mates). */
static int
resend_identities(struct trun *t, struct db_link_stats *st)
{
    struct imap seen;
    size_t i;
    int rc = RC_OK;

    if (st == NULL || !st->touch) {
        return RC_OK;
    }
    memset(&seen, 0, sizeof(seen));
    for (i = 0; i < t->n && rc == RC_OK; i++) {
        const struct tnode *x = &t->nodes[i];

        if (!x->loaded || (x->have && x->new_id == x->identity)) {
            continue;
        }
        rc = resend_identity(t, st, &seen, x->new_id); /* the one it joined */
        if (rc == RC_OK && x->have) {
            rc = resend_identity(t, st, &seen, x->identity); /* the one it left */
        }
    }
    imap_free(&seen);
    return rc;
}

static int
team_write(struct trun *t, struct db_link_stats *st)
{
    struct rows w;
    struct arena a;
    size_t i;
    int rc;

    memset(&w, 0, sizeof(w));
    arena_init(&a, 16 * 1024);
    for (i = 0; i < t->n; i++) {
        struct tnode *x = &t->nodes[i];
        char ev[160];

        if (!x->loaded || (x->have && x->new_id == x->identity && x->new_conf == x->conf &&
                           x->new_person == x->person)) {
            continue;
        }
        if (!x->have || x->new_id != x->identity) {
            rc = touch_team(t->db, st, x->id);
            if (rc != RC_OK) {
                rows_free(&w);
                arena_cleanup(&a);
                return rc;
            }
        }
        rows_add(&w);
        w.i[0][w.n - 1] = x->id;
        w.i[1][w.n - 1] = x->new_id;
        w.d[w.n - 1] = x->new_conf;
        if (x->via != 0) {
            snprintf(ev, sizeof(ev), "{\"linked_to\":%lld,\"origin\":\"%s\",\"probability\":%.6f}",
                     (long long)x->via, x->new_person ? "person" : "auto", x->new_conf);
            rows_str(&w, 0, arena_strndup(&a, ev, strlen(ev)));
        } else {
            rows_str(&w, 0, NULL);
        }
        rows_str(&w, 1, x->new_person ? "person" : "auto");
    }
    rc = rows_exec(t->db, SQL_SET_IDENTITY, &w, "iidss");
    if (st != NULL) {
        st->identity_rows += w.n;
    }
    rows_free(&w);
    arena_cleanup(&a);
    return rc == RC_OK ? resend_identities(t, st) : rc;
}

int
db_link_teams(struct db *db, const int64_t *ids, size_t n, struct db_link_stats *st)
{
    struct trun t;
    size_t i, done = 0;
    int rc = RC_OK;

    memset(&t, 0, sizeof(t));
    t.db = db;
    for (i = 0; i < n; i++) {
        tnode_add(&t, ids[i]);
    }
    while (done < t.n && rc == RC_OK) {
        size_t to = t.n;

        if (to > DB_LINK_MAX_NODES) {
            if (st != NULL) {
                st->truncated++;
            }
            log_warn("link", "event=team_set_truncated teams=%zu", to);
            break;
        }
        rc = team_expand(&t, done, to);
        done = to;
    }
    if (rc == RC_OK) {
        rc = team_load(&t);
    }
    if (rc == RC_OK) {
        rc = team_cluster(&t);
    }
    if (rc == RC_OK) {
        rc = team_write(&t, st);
    }
    free(t.nodes);
    imap_free(&t.ix);
    free(t.pairs);
    imap_free(&t.pix);
    return rc;
}

int
db_link_norms(struct db *db, int64_t after, size_t limit, int64_t *last, uint64_t *changed)
{
    MYSQL_BIND p[2], res[3];
    int64_t lim = (int64_t)limit, id = 0;
    char name[STR_CAP], norm[STR_CAP], nnull = 0, fixed[LINK_NORM_MAX];
    unsigned long nlen = 0, normlen = 0;
    struct norm_fix fix;
    struct arena a;
    int rc;

    *last = 0;
    memset(&fix, 0, sizeof(fix));
    arena_init(&a, 64 * 1024);
    db_bind_i64(&p[0], &after, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    rc = db_execute(db, SQL_NORMS, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &id, NULL);
        db_bind_out_str(&res[1], name, STR_CAP - 1, &nlen, NULL);
        db_bind_out_str(&res[2], norm, STR_CAP - 1, &normlen, &nnull);
        rc = db_bind_result(db, SQL_NORMS, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_NORMS)) == RC_OK) {
        out_str(name, nlen, 0, name);
        out_str(norm, normlen, nnull, norm);
        link_norm_team(name, fixed, sizeof(fixed));
        *last = id;
        if (nnull || strcmp(norm, fixed) != 0) {
            norm_fix_add(&fix, id, arena_strndup(&a, fixed, strlen(fixed)), 0);
        }
    }
    db_stmt_done(db, SQL_NORMS);
    rc = rc == RC_NOTFOUND ? RC_OK : rc;
    if (rc == RC_OK) {
        rc = store_norms(db, SQL_SET_NORM, &fix, changed);
    }
    norm_fix_free(&fix);
    arena_cleanup(&a);
    return rc;
}

/* Runs sql (one id column) with params p and appends what it gives to
 * out[*n..cap). */
static int
fetch_ids(struct db *db, const char *sql, MYSQL_BIND *p, int64_t *out, size_t cap, size_t *n)
{
    MYSQL_BIND res[1];
    int64_t got = 0;
    int rc = db_execute(db, sql, p);

    if (rc == RC_OK) {
        db_bind_i64(&res[0], &got, NULL);
        rc = db_bind_result(db, sql, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, sql)) == RC_OK) {
        if (*n < cap) {
            out[(*n)++] = got;
        }
    }
    db_stmt_done(db, sql);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

int
db_link_next_ids(struct db *db, int teams, int64_t after, size_t limit, int64_t *out, size_t *n)
{
    const char *sql = teams ? SQL_NEXT_TEAMS : SQL_NEXT_MATCHES;
    MYSQL_BIND p[2];
    int64_t lim = (int64_t)limit;

    *n = 0;
    db_bind_i64(&p[0], &after, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    return fetch_ids(db, sql, p, out, limit, n);
}

static int
queue_head(struct db *db, struct db_link_queued *out, size_t cap, size_t *n)
{
    MYSQL_BIND res[4];
    struct db_link_queued q;
    int team = 0, rc;

    *n = 0;
    memset(&q, 0, sizeof(q));
    rc = db_execute(db, SQL_QUEUE_HEAD, NULL);
    if (rc == RC_OK) {
        db_bind_int(&res[0], &team, NULL);
        db_bind_i64(&res[1], &q.id, NULL);
        db_bind_i64(&res[2], &q.after, NULL);
        db_bind_i64(&res[3], &q.seq, NULL);
        rc = db_bind_result(db, SQL_QUEUE_HEAD, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_QUEUE_HEAD)) == RC_OK) {
        q.kind = team ? DB_LINK_QUEUED_TEAM : DB_LINK_QUEUED_TOURNAMENT;
        if (*n < cap) {
            out[(*n)++] = q;
        }
    }
    db_stmt_done(db, SQL_QUEUE_HEAD);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

/* Appends up to limit matches of q after q->after to out[*n..]. */
static int
queue_matches(struct db *db, const struct db_link_queued *q, size_t limit, int64_t *out, size_t *n)
{
    const char *sql =
        q->kind == DB_LINK_QUEUED_TEAM ? SQL_QUEUE_TEAM_NEXT : SQL_QUEUE_TOURNAMENT_NEXT;
    MYSQL_BIND p[3];
    int64_t id = q->id, after = q->after, lim = (int64_t)limit;

    db_bind_i64(&p[0], &id, NULL);
    db_bind_i64(&p[1], &after, NULL);
    db_bind_i64(&p[2], &lim, NULL);
    return fetch_ids(db, sql, p, out, *n + limit, n);
}

static void
taken_add(struct db_link_taken *t, const struct db_link_queued *q)
{
    grow((void **)&t->q, &t->cap, t->n, sizeof(*t->q));
    t->q[t->n++] = *q;
}

/* The queued matches themselves, the oldest first. */
static int
take_matches(struct db *db, size_t limit, int64_t *out, size_t *n, struct db_link_taken *t)
{
    MYSQL_BIND p[1], res[2];
    struct db_link_queued q;
    int64_t lim = (int64_t)limit;
    int rc;

    memset(&q, 0, sizeof(q));
    q.kind = DB_LINK_QUEUED_MATCH;
    db_bind_i64(&p[0], &lim, NULL);
    rc = db_execute(db, SQL_QUEUE_MATCHES, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &q.id, NULL);
        db_bind_i64(&res[1], &q.seq, NULL);
        rc = db_bind_result(db, SQL_QUEUE_MATCHES, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_QUEUE_MATCHES)) == RC_OK) {
        if (*n < limit) {
            out[(*n)++] = q.id;
            taken_add(t, &q);
        }
    }
    db_stmt_done(db, SQL_QUEUE_MATCHES);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

int
db_link_queue_take(struct db *db, size_t limit, int64_t *out, size_t *n, int *more,
                   struct db_link_taken *t)
{
    struct db_link_queued head[16];
    size_t nhead = 0, i;
    int rc;

    *n = 0;
    *more = 0;
    t->n = 0;
    rc = take_matches(db, limit, out, n, t);
    if (rc != RC_OK) {
        return rc;
    }
    *more = *n == limit;
    rc = queue_head(db, head, ARRAY_SIZE(head), &nhead);
    *more = *more || nhead == ARRAY_SIZE(head);
    for (i = 0; i < nhead && rc == RC_OK; i++) {
        size_t from = *n, room = limit - *n;

        if (room == 0) {
            *more = 1;
            break;
        }
        rc = queue_matches(db, &head[i], room, out, n);
        if (rc != RC_OK) {
            break;
        }
        if (*n - from == room) {
            /* maybe more of its matches: the next slice goes on after these */
            head[i].advance_to = out[*n - 1];
            *more = 1;
        }
        taken_add(t, &head[i]);
    }
    return rc;
}

int
db_link_queue_settle(struct db *db, const struct db_link_taken *t)
{
    struct rows done;
    MYSQL_BIND below[1];
    int64_t top = 0;
    size_t i;
    int rc = RC_OK;

    memset(&done, 0, sizeof(done));
    for (i = 0; i < t->n; i++) {
        if (t->q[i].kind == DB_LINK_QUEUED_MATCH && t->q[i].seq > top) {
            top = t->q[i].seq;
        }
    }
    for (i = 0; i < t->n && rc == RC_OK; i++) {
        const struct db_link_queued *q = &t->q[i];
        MYSQL_BIND p[4];
        int team = q->kind == DB_LINK_QUEUED_TEAM;
        int64_t id = q->id, seq = q->seq, after = q->advance_to;

        if (q->kind == DB_LINK_QUEUED_MATCH) {
            if (seq == top) {
                rows_add(&done);
                done.i[0][done.n - 1] = id;
                done.i[1][done.n - 1] = seq;
            }
        } else if (after != 0) {
            db_bind_i64(&p[0], &after, NULL);
            db_bind_int(&p[1], &team, NULL);
            db_bind_i64(&p[2], &id, NULL);
            db_bind_i64(&p[3], &seq, NULL);
            rc = db_execute(db, SQL_QUEUE_ADVANCE, p);
        } else {
            db_bind_int(&p[0], &team, NULL);
            db_bind_i64(&p[1], &id, NULL);
            db_bind_i64(&p[2], &seq, NULL);
            rc = db_execute(db, SQL_QUEUE_DONE, p);
        }
    }
    if (rc == RC_OK && top > 0) {
        db_bind_i64(&below[0], &top, NULL);
        rc = db_execute(db, SQL_QUEUE_MATCHES_DONE, below);
    }
    if (rc == RC_OK) {
        rc = rows_exec(db, SQL_QUEUE_MATCH_DONE, &done, "ii");
    }
    rows_free(&done);
    return rc;
}

void
db_link_taken_free(struct db_link_taken *t)
{
    free(t->q);
    memset(t, 0, sizeof(*t));
}

int
db_link_enqueue(struct db *db, const uint64_t *ids, size_t n, uint64_t seq)
{
    struct rows w;
    size_t i;
    int rc;

    if (n == 0) {
        return RC_OK;
    }
    memset(&w, 0, sizeof(w));
    for (i = 0; i < n; i++) {
        rows_add(&w);
        w.i[0][i] = (int64_t)ids[i];
        w.i[1][i] = (int64_t)seq;
    }
    rc = rows_exec(db, SQL_QUEUE_MATCH, &w, "ii");
    rows_free(&w);
    return rc;
}

int
db_link_lock(struct db *db, int timeout_s, int *got)
{
    MYSQL_BIND p[1], res[1];
    int64_t t = timeout_s, v = 0;
    char vnull = 0;
    int rc;

    *got = 0;
    db_bind_i64(&p[0], &t, NULL);
    rc = db_execute(db, SQL_LINK_LOCK, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &v, &vnull);
        rc = db_bind_result(db, SQL_LINK_LOCK, res);
    }
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_LINK_LOCK);
    }
    db_stmt_done(db, SQL_LINK_LOCK);
    if (rc == RC_OK) {
        *got = !vnull && v == 1;
    }
    return rc == RC_NOTFOUND ? RC_ERR : rc;
}

int
db_link_unlock(struct db *db)
{
    int rc = db_execute(db, SQL_LINK_UNLOCK, NULL);

    db_stmt_done(db, SQL_LINK_UNLOCK);
    return rc;
}

int
db_link_queue_clear(struct db *db)
{
    return db_execute(db, SQL_QUEUE_CLEAR, NULL);
}
