/*
 * db_fixtures.c: SQL of the linking read side; see db_fixtures.h. A page of
 * fixtures costs the count, the page of fixture ids and one round trip of
 * members per 64 fixtures. Unfiltered, the page walks the date (or id)
 * index of matches and keeps each fixture's first-reported match (the one
 * whose id names it); filtered, it takes the fixtures of the matches the
 * list's filters select (the same FILTERS, on the same indexes).
 */
#include <stdlib.h>
#include <string.h>

#include "db_filter.h"
#include "db_fixtures.h"
#include "db_internal.h"
#include "rc.h"
#include "util.h"

#define ALL(order)                                                                                 \
    "SELECT r.id FROM matches r JOIN fixture_members fm ON fm.match_id = r.id"                     \
    " WHERE fm.fixture_id = r.id ORDER BY " order " LIMIT ? OFFSET ?"
#define SOME(order)                                                                                \
    "SELECT r.id FROM matches r WHERE r.id IN (SELECT fm.fixture_id FROM matches m"                \
    " JOIN fixture_members fm ON fm.match_id = m.id" FILTERS ") ORDER BY " order                   \
    " LIMIT ? OFFSET ?"
#define BY_DATE_DESC "r.date_start DESC, r.id DESC"
#define BY_DATE_ASC  "r.date_start ASC, r.id ASC"
#define BY_ID_ASC    "r.id ASC"
#define BY_ID_DESC   "r.id DESC"

static const char SQL_ALL_DATE_DESC[] = ALL(BY_DATE_DESC);
static const char SQL_ALL_DATE_ASC[] = ALL(BY_DATE_ASC);
static const char SQL_ALL_ID_ASC[] = ALL(BY_ID_ASC);
static const char SQL_ALL_ID_DESC[] = ALL(BY_ID_DESC);
static const char SQL_SOME_DATE_DESC[] = SOME(BY_DATE_DESC);
static const char SQL_SOME_DATE_ASC[] = SOME(BY_DATE_ASC);
static const char SQL_SOME_ID_ASC[] = SOME(BY_ID_ASC);
static const char SQL_SOME_ID_DESC[] = SOME(BY_ID_DESC);
static const char SQL_COUNT_ALL[] =
    "SELECT COUNT(*) FROM fixture_members WHERE fixture_id = match_id";
static const char SQL_COUNT_SOME[] = "SELECT COUNT(DISTINCT fm.fixture_id) FROM matches m"
                                     " JOIN fixture_members fm ON fm.match_id = m.id" FILTERS;

static const char SQL_MEMBERS[] =
    "SELECT match_id, confidence, origin, evidence FROM fixture_members"
    " WHERE fixture_id = ? ORDER BY match_id";

#define LINK_COLUMNS                                                                               \
    "SELECT match_a, match_b, probability, status, evidence,"                                      \
    " DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM match_links"
static const char SQL_LINKS[] =
    LINK_COLUMNS " WHERE status = ?"
                 " ORDER BY probability DESC, match_a DESC, match_b DESC"
                 " LIMIT ? OFFSET ?";
static const char SQL_COUNT_LINKS[] = "SELECT COUNT(*) FROM match_links WHERE status = ?";
/* the pairs of one match: each side on its own index */
static const char SQL_LINKS_OF[] = LINK_COLUMNS
    " WHERE status = ? AND match_a = ? UNION ALL " LINK_COLUMNS " WHERE status = ? AND match_b = ?"
    " ORDER BY 3 DESC, 1 DESC, 2 DESC LIMIT ? OFFSET ?";
static const char SQL_COUNT_LINKS_OF[] =
    "SELECT (SELECT COUNT(*) FROM match_links WHERE status = ? AND match_a = ?)"
    " + (SELECT COUNT(*) FROM match_links WHERE status = ? AND match_b = ?)";
static const char SQL_SUGGESTED_FOR[] =
    LINK_COLUMNS " WHERE match_a = ? AND status = 'suggested' UNION ALL " LINK_COLUMNS
                 " WHERE match_b = ? AND status = 'suggested' ORDER BY 3 DESC, 1, 2 LIMIT 16";

static const char SQL_IDENTITY[] =
    "SELECT t.id, t.name, s.name, t.external_id, tim.identity_id, tim.confidence, tim.origin,"
    " tim.evidence, (SELECT COUNT(*) FROM match_teams mt WHERE mt.team_id = t.id)"
    " FROM team_identity_members tim JOIN teams t ON t.id = tim.team_id"
    " JOIN sources s ON s.id = t.source_id"
    " WHERE tim.identity_id = (SELECT identity_id FROM team_identity_members WHERE team_id = ?)"
    " ORDER BY s.name, t.name, t.id";

static const char SQL_LINK_QUEUE[] =
    "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(queued_at), UTC_TIMESTAMP(6)), 0)"
    " FROM link_queue";

static const char *const fixtures_sqls[] = {
    SQL_ALL_DATE_DESC, SQL_ALL_DATE_ASC,   SQL_ALL_ID_ASC,   SQL_ALL_ID_DESC,   SQL_SOME_DATE_DESC,
    SQL_SOME_DATE_ASC, SQL_SOME_ID_ASC,    SQL_SOME_ID_DESC, SQL_COUNT_ALL,     SQL_COUNT_SOME,
    SQL_MEMBERS,       SQL_LINKS,          SQL_COUNT_LINKS,  SQL_SUGGESTED_FOR, SQL_IDENTITY,
    SQL_LINKS_OF,      SQL_COUNT_LINKS_OF, SQL_LINK_QUEUE,
};

/* Evidence larger than this is not the linker's (its JSON is about 1 KB). */
#define EVIDENCE_MAX 32768

void
db_fixtures_register(struct db *db)
{
    db_register(db, fixtures_sqls, ARRAY_SIZE(fixtures_sqls));
}

/* A copy of a fetched string column (NULL when NULL, or cut short). */
static const char *
col(struct arena *a, const char *buf, unsigned long len, size_t cap, char null)
{
    if (null || len >= cap) {
        return NULL;
    }
    return arena_strndup(a, buf, len);
}

/* Groups the members (by fixture id, then match id) under the fixtures of
 * ids, in the order of ids, with their consensus. */
static void
group(const uint64_t *ids, size_t n, struct match_view *ms, size_t nms, struct arena *a,
      struct fixture_view *fx)
{
    size_t i, k;

    for (i = 0; i < n; i++) {
        memset(&fx[i], 0, sizeof(fx[i]));
        fx[i].id = ids[i];
        for (k = 0; k < nms && ms[k].fixture_id != ids[i]; k++) {
        }
        fx[i].matches = k < nms ? &ms[k] : NULL;
        for (; k < nms && ms[k].fixture_id == ids[i]; k++) {
            fx[i].n++;
        }
        consensus_build(fx[i].matches, fx[i].n, a, &fx[i].consensus);
    }
}

int
db_fixtures_list(struct db *db, const struct match_filter *f, struct arena *a,
                 struct fixture_view **out, size_t *n, uint64_t *count)
{
    static const char *const all[] = {SQL_ALL_DATE_DESC, SQL_ALL_DATE_ASC, SQL_ALL_ID_ASC,
                                      SQL_ALL_ID_DESC};
    static const char *const some[] = {SQL_SOME_DATE_DESC, SQL_SOME_DATE_ASC, SQL_SOME_ID_ASC,
                                       SQL_SOME_ID_DESC};
    int none = db_filter_none(f);
    const char *sql = none ? all[f->order] : some[f->order];
    MYSQL_BIND p[NFILTER + 2], r[1];
    struct filter_params fp;
    int64_t limit = f->page_size, offset = (f->page - 1) * f->page_size, c = 0, id = 0;
    uint64_t *ids = arena_alloc(a, (size_t)f->page_size * sizeof(*ids));
    struct match_view *ms;
    size_t k = 0, nms = 0;
    int rc;

    *out = NULL;
    *n = 0;
    db_filter_bind(p, &fp, f);
    rc = none ? db_select_i64(db, SQL_COUNT_ALL, NULL, &c, NULL)
              : db_select_i64(db, SQL_COUNT_SOME, p, &c, NULL);
    *count = (uint64_t)c;
    if (rc != RC_OK || *count <= (uint64_t)offset) {
        return rc;
    }
    /* the unfiltered statements have no filter parameters */
    db_bind_i64(&p[none ? 0 : NFILTER], &limit, NULL);
    db_bind_i64(&p[none ? 1 : NFILTER + 1], &offset, NULL);
    rc = db_execute(db, sql, p);
    if (rc == RC_OK) {
        db_bind_i64(&r[0], &id, NULL);
        rc = db_bind_result(db, sql, r);
    }
    while (rc == RC_OK && k < (size_t)f->page_size && (rc = db_fetch(db, sql)) == RC_OK) {
        ids[k++] = (uint64_t)id;
    }
    db_stmt_done(db, sql);
    if (rc != RC_OK && rc != RC_NOTFOUND) {
        return rc;
    }
    rc = db_matches_of_fixtures(db, ids, k, a, &ms, &nms);
    if (rc != RC_OK) {
        return rc;
    }
    /* the members come by fixture id: put them in page order */
    *out = arena_alloc(a, (k ? k : 1) * sizeof(**out));
    group(ids, k, ms, nms, a, *out);
    *n = k;
    return RC_OK;
}

/* The member links of fixture fx (its matches in id order). */
static int
member_links(struct db *db, struct fixture_view *fx, struct arena *a)
{
    MYSQL_BIND p[1], r[4];
    int64_t id = (int64_t)fx->id, mid = 0;
    double confidence = 0;
    char origin[16], *evidence = malloc(EVIDENCE_MAX);
    unsigned long olen = 0, elen = 0;
    char enull = 0;
    size_t i;
    int rc;

    if (evidence == NULL) {
        return RC_ERR;
    }
    fx->links = arena_alloc(a, (fx->n ? fx->n : 1) * sizeof(*fx->links));
    for (i = 0; i < fx->n; i++) {
        memset(&fx->links[i], 0, sizeof(fx->links[i]));
        fx->links[i].match_id = fx->matches[i].id;
        fx->links[i].confidence = 1;
        fx->links[i].origin = "auto";
    }
    db_bind_i64(&p[0], &id, NULL);
    rc = db_execute(db, SQL_MEMBERS, p);
    if (rc == RC_OK) {
        db_bind_i64(&r[0], &mid, NULL);
        memset(&r[1], 0, sizeof(r[1]));
        r[1].buffer_type = MYSQL_TYPE_DOUBLE;
        r[1].buffer = &confidence;
        db_bind_out_str(&r[2], origin, sizeof(origin) - 1, &olen, NULL);
        db_bind_out_str(&r[3], evidence, EVIDENCE_MAX - 1, &elen, &enull);
        rc = db_bind_result(db, SQL_MEMBERS, r);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_MEMBERS)) == RC_OK) {
        for (i = 0; i < fx->n && fx->matches[i].id != (uint64_t)mid; i++) {
        }
        if (i < fx->n) {
            fx->links[i].confidence = confidence;
            fx->links[i].origin = col(a, origin, olen, sizeof(origin), 0);
            fx->links[i].evidence = col(a, evidence, elen, EVIDENCE_MAX, enull);
            if (fx->links[i].origin == NULL) {
                fx->links[i].origin = "auto";
            }
        }
    }
    db_stmt_done(db, SQL_MEMBERS);
    free(evidence);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

int
db_fixtures_find(struct db *db, uint64_t id, struct arena *a, struct fixture_view **out)
{
    struct match_view *ms;
    size_t nms = 0;
    int rc = db_matches_of_fixtures(db, &id, 1, a, &ms, &nms);

    if (rc != RC_OK) {
        return rc;
    }
    if (nms == 0) {
        return RC_NOTFOUND;
    }
    *out = arena_alloc(a, sizeof(**out));
    group(&id, 1, ms, nms, a, *out);
    return member_links(db, *out, a);
}

/* Fetches up to cap link rows of the executed sql into *out. */
static int
fetch_links(struct db *db, const char *sql, size_t cap, struct arena *a, struct link_view **out,
            size_t *n)
{
    MYSQL_BIND r[6];
    int64_t ma = 0, mb = 0;
    double prob = 0;
    char status[16], updated[40], *evidence = malloc(EVIDENCE_MAX);
    unsigned long slen = 0, ulen = 0, elen = 0;
    char enull = 0;
    struct link_view *v = arena_alloc(a, (cap ? cap : 1) * sizeof(*v));
    size_t k = 0;
    int rc;

    if (evidence == NULL) {
        return RC_ERR;
    }
    db_bind_i64(&r[0], &ma, NULL);
    db_bind_i64(&r[1], &mb, NULL);
    memset(&r[2], 0, sizeof(r[2]));
    r[2].buffer_type = MYSQL_TYPE_DOUBLE;
    r[2].buffer = &prob;
    db_bind_out_str(&r[3], status, sizeof(status) - 1, &slen, NULL);
    db_bind_out_str(&r[4], evidence, EVIDENCE_MAX - 1, &elen, &enull);
    db_bind_out_str(&r[5], updated, sizeof(updated) - 1, &ulen, NULL);
    rc = db_bind_result(db, sql, r);
    while (rc == RC_OK && k < cap && (rc = db_fetch(db, sql)) == RC_OK) {
        memset(&v[k], 0, sizeof(v[k]));
        v[k].match_a = (uint64_t)ma;
        v[k].match_b = (uint64_t)mb;
        v[k].probability = prob;
        v[k].status = col(a, status, slen, sizeof(status), 0);
        v[k].evidence = col(a, evidence, elen, EVIDENCE_MAX, enull);
        v[k].updated_at = col(a, updated, ulen, sizeof(updated), 0);
        k++;
    }
    db_stmt_done(db, sql);
    free(evidence);
    *out = v;
    *n = k;
    return rc == RC_NOTFOUND || rc == RC_OK ? RC_OK : rc;
}

/* Points each link at its two matches (one round trip per 32 links). */
static int
link_matches(struct db *db, struct link_view *v, size_t n, struct arena *a)
{
    uint64_t *ids = arena_alloc(a, (n > 0 ? 2 * n : 1) * sizeof(*ids));
    struct match_view *ms;
    size_t nms = 0, i, k;
    int rc;

    for (i = 0; i < n; i++) {
        ids[2 * i] = v[i].match_a;
        ids[2 * i + 1] = v[i].match_b;
    }
    rc = db_matches_find_many(db, ids, 2 * n, a, &ms, &nms);
    for (i = 0; rc == RC_OK && i < n; i++) {
        for (k = 0; k < nms; k++) {
            if (ms[k].id == v[i].match_a) {
                v[i].a = &ms[k];
            }
            if (ms[k].id == v[i].match_b) {
                v[i].b = &ms[k];
            }
        }
    }
    return rc;
}

int
db_fixtures_links(struct db *db, const char *status, uint64_t match, int64_t page,
                  int64_t page_size, struct arena *a, struct link_view **out, size_t *n,
                  uint64_t *count)
{
    MYSQL_BIND p[6];
    unsigned long len = (unsigned long)strlen(status);
    int64_t limit = page_size, offset = (page - 1) * page_size, c = 0, id = (int64_t)match;
    const char *sql = match ? SQL_LINKS_OF : SQL_LINKS;
    size_t np = match ? 4 : 1;
    int rc;

    *out = NULL;
    *n = 0;
    db_bind_str(&p[0], status, &len, NULL);
    db_bind_i64(&p[1], &id, NULL);
    p[2] = p[0];
    p[3] = p[1];
    rc = db_select_i64(db, match ? SQL_COUNT_LINKS_OF : SQL_COUNT_LINKS, p, &c, NULL);
    *count = (uint64_t)c;
    if (rc != RC_OK || *count <= (uint64_t)offset) {
        return rc;
    }
    db_bind_i64(&p[np], &limit, NULL);
    db_bind_i64(&p[np + 1], &offset, NULL);
    rc = db_execute(db, sql, p);
    if (rc == RC_OK) {
        rc = fetch_links(db, sql, (size_t)page_size, a, out, n);
    }
    return rc == RC_OK ? link_matches(db, *out, *n, a) : rc;
}

int
db_fixtures_suggested_for(struct db *db, uint64_t match_id, struct arena *a, struct link_view **out,
                          size_t *n)
{
    MYSQL_BIND p[2];
    int64_t id = (int64_t)match_id;
    int rc;

    *out = NULL;
    *n = 0;
    db_bind_i64(&p[0], &id, NULL);
    p[1] = p[0];
    rc = db_execute(db, SQL_SUGGESTED_FOR, p);
    if (rc == RC_OK) {
        rc = fetch_links(db, SQL_SUGGESTED_FOR, 16, a, out, n);
    }
    return rc == RC_OK ? link_matches(db, *out, *n, a) : rc;
}

int
db_fixtures_identity(struct db *db, uint64_t team_id, struct arena *a, struct identity_view **out)
{
    MYSQL_BIND p[1], r[9];
    int64_t id = (int64_t)team_id, tid = 0, identity = 0, matches = 0;
    double confidence = 0;
    char name[4 * MATCH_NAME_MAX + 1], source[4 * MATCH_ID_MAX + 1], ext[4 * MATCH_ID_MAX + 1];
    char origin[16], *evidence = malloc(EVIDENCE_MAX);
    unsigned long lens[9] = {0};
    char enull = 0;
    size_t cap = 8;
    struct identity_view *v = arena_alloc(a, sizeof(*v));
    int rc;

    if (evidence == NULL) {
        return RC_ERR;
    }
    memset(v, 0, sizeof(*v));
    v->team_id = team_id;
    v->teams = arena_alloc(a, cap * sizeof(*v->teams));
    db_bind_i64(&p[0], &id, NULL);
    rc = db_execute(db, SQL_IDENTITY, p);
    if (rc == RC_OK) {
        db_bind_i64(&r[0], &tid, NULL);
        db_bind_out_str(&r[1], name, sizeof(name) - 1, &lens[1], NULL);
        db_bind_out_str(&r[2], source, sizeof(source) - 1, &lens[2], NULL);
        db_bind_out_str(&r[3], ext, sizeof(ext) - 1, &lens[3], NULL);
        db_bind_i64(&r[4], &identity, NULL);
        memset(&r[5], 0, sizeof(r[5]));
        r[5].buffer_type = MYSQL_TYPE_DOUBLE;
        r[5].buffer = &confidence;
        db_bind_out_str(&r[6], origin, sizeof(origin) - 1, &lens[6], NULL);
        db_bind_out_str(&r[7], evidence, EVIDENCE_MAX - 1, &lens[7], &enull);
        db_bind_i64(&r[8], &matches, NULL);
        rc = db_bind_result(db, SQL_IDENTITY, r);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_IDENTITY)) == RC_OK) {
        struct team_alias *t;

        if (v->n == cap) {
            struct team_alias *grown = arena_alloc(a, 2 * cap * sizeof(*grown));

            memcpy(grown, v->teams, cap * sizeof(*grown));
            v->teams = grown;
            cap *= 2;
        }
        t = &v->teams[v->n++];
        t->id = (uint64_t)tid;
        t->name = col(a, name, lens[1], sizeof(name), 0);
        t->source = col(a, source, lens[2], sizeof(source), 0);
        t->external_id = col(a, ext, lens[3], sizeof(ext), 0);
        t->confidence = confidence;
        t->origin = col(a, origin, lens[6], sizeof(origin), 0);
        t->evidence = col(a, evidence, lens[7], EVIDENCE_MAX, enull);
        t->matches = (uint64_t)matches;
        v->identity_id = (uint64_t)identity;
    }
    db_stmt_done(db, SQL_IDENTITY);
    free(evidence);
    if (rc != RC_NOTFOUND) {
        return rc == RC_OK ? RC_ERR : rc;
    }
    *out = v;
    return v->n > 0 ? RC_OK : RC_NOTFOUND;
}

int
db_fixtures_link_queue(struct db *db, uint64_t *n, double *oldest_s)
{
    MYSQL_BIND res[2];
    int64_t count = 0, us = 0;
    int rc = db_execute(db, SQL_LINK_QUEUE, NULL);

    *n = 0;
    *oldest_s = 0;
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &count, NULL);
        db_bind_i64(&res[1], &us, NULL);
        rc = db_bind_result(db, SQL_LINK_QUEUE, res);
    }
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_LINK_QUEUE);
    }
    db_stmt_done(db, SQL_LINK_QUEUE);
    if (rc == RC_OK) {
        *n = count > 0 ? (uint64_t)count : 0;
        *oldest_s = us > 0 ? (double)us / 1e6 : 0;
    }
    return rc == RC_NOTFOUND ? RC_ERR : rc;
}
