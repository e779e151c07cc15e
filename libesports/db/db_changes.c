/* db_changes.c: SQL of the change feed and of live_status; see db_changes.h. */
#include <stdlib.h>
#include <string.h>

#include "db_changes.h"
#include "db_internal.h"
#include "rc.h"
#include "util.h"

#define ERROR_MAX 1024 /* the width of live_status.last_error */

/* the batch's start by the database's clock (a session variable of the
 * consumer's connection: it dies with it, and so does the open batch) */
static const char SQL_BEGIN[] = "SET @esports_batch_t0 = UTC_TIMESTAMP(6)";
/* LAST_INSERT_ID(expr) hands the new value back through the OK packet */
static const char SQL_TAKE[] = "UPDATE change_seq SET seq = LAST_INSERT_ID(seq + ?) WHERE id = 1";
static const char SQL_INSERT[] = "INSERT INTO changes (seq, match_id, kind, fixture_id, changed_at)"
                                 " VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))";
#define IN8      "?,?,?,?,?,?,?,?"
#define IN32     IN8 "," IN8 "," IN8 "," IN8
#define IN128    IN32 "," IN32 "," IN32 "," IN32
#define KIND_IDS 128
/* created when the batch (@esports_batch_t0: when it began; NULL outside
 * the consumer) inserted the match; the fixture the match belongs to at the
 * commit. A plain read, which locks nothing: the caller holds the lock that
 * every writer of fixtures commits under, so what it reads is what the
 * commit leaves, and the consumer's linker, which writes fixture rows
 * before it takes that lock, is never waited for. */
static const char SQL_KIND[] =
    "SELECT m.id, m.created_at >= @esports_batch_t0, f.fixture_id FROM matches m"
    " LEFT JOIN fixture_members f ON f.match_id = m.id WHERE m.id IN (" IN128 ")";
static const char SQL_OLDEST[] = "SELECT MIN(seq) FROM changes";
/* a plain read: no lock, the committed value */
static const char SQL_NEWEST[] = "SELECT seq FROM change_seq WHERE id = 1";
static const char SQL_AFTER[] =
    "SELECT seq, match_id, kind = 'created', DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ'),"
    " COALESCE(fixture_id, match_id) FROM changes WHERE seq > ? ORDER BY seq LIMIT ?";
/* the oldest change young enough to keep (changed_at grows with seq) */
static const char SQL_FIRST_YOUNG[] =
    "SELECT seq FROM changes WHERE changed_at >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND"
    " ORDER BY changed_at, seq LIMIT 1";
/* always a prefix of the feed, so what is kept has no holes */
static const char SQL_PRUNE[] = "DELETE FROM changes WHERE seq <= ? ORDER BY seq LIMIT ?";
static const char SQL_LIVE_COUNT[] =
    "UPDATE live_status SET published = published + ?, publish_failures = publish_failures + ?,"
    " last_published_seq = GREATEST(last_published_seq, ?),"
    " last_error = IF(? IS NULL, last_error, ?),"
    " last_failure_at = IF(? IS NULL, last_failure_at, UTC_TIMESTAMP(6)) WHERE id = 1";
static const char SQL_LIVE_STATUS[] =
    "SELECT published, publish_failures, last_published_seq FROM live_status WHERE id = 1";

static const char *const changes_sqls[] = {
    SQL_BEGIN, SQL_TAKE,        SQL_INSERT, SQL_KIND,       SQL_OLDEST,      SQL_NEWEST,
    SQL_AFTER, SQL_FIRST_YOUNG, SQL_PRUNE,  SQL_LIVE_COUNT, SQL_LIVE_STATUS,
};

void
db_changes_register(struct db *db)
{
    db_register(db, changes_sqls, ARRAY_SIZE(changes_sqls));
}

int
db_changes_begin(struct db *db)
{
    return db_execute(db, SQL_BEGIN, NULL);
}

/* The kind and fixture of the n (at most KIND_IDS) matches ids: kinds[i]
 * becomes "created" and fixtures[i] the fixture (fnull[i] cleared) where the
 * rows say so. */
static int
read_kinds(struct db *db, const int64_t *ids, size_t n, const char **kinds, int64_t *fixtures,
           char *fnull)
{
    MYSQL_BIND p[KIND_IDS], res[3];
    int64_t vals[KIND_IDS], id = 0, created = 0, fixture = 0;
    char nulls[KIND_IDS], cnull = 0, fxnull = 0;
    size_t i;
    int rc;

    db_bind_in(p, vals, nulls, KIND_IDS, ids, n);
    rc = db_execute(db, SQL_KIND, p);
    if (rc == RC_OK) {
        db_bind_i64(&res[0], &id, NULL);
        db_bind_i64(&res[1], &created, &cnull);
        db_bind_i64(&res[2], &fixture, &fxnull);
        rc = db_bind_result(db, SQL_KIND, res);
    }
    while (rc == RC_OK && (rc = db_fetch(db, SQL_KIND)) == RC_OK) {
        for (i = 0; i < n; i++) {
            if (ids[i] != id) {
                continue;
            }
            if (!cnull && created) {
                kinds[i] = "created";
            }
            if (!fxnull) {
                fixtures[i] = fixture;
                fnull[i] = STMT_INDICATOR_NONE;
            }
        }
    }
    db_stmt_done(db, SQL_KIND);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}

int
db_changes_record(struct db *db, const uint64_t *match_ids, size_t n, uint64_t *first,
                  uint64_t *last)
{
    MYSQL_BIND p[2];
    int64_t count = (int64_t)n, *seqs, *ids, *fixtures;
    const char **kinds;
    unsigned long *lens;
    char *ind;
    uint64_t top;
    size_t i;
    int rc;

    *first = *last = 0;
    if (n == 0) {
        return RC_OK;
    }
    db_bind_i64(&p[0], &count, NULL);
    rc = db_execute(db, SQL_TAKE, p);
    if (rc != RC_OK) {
        return rc;
    }
    top = db_insert_id(db, SQL_TAKE);
    if (db_affected(db, SQL_TAKE) != 1 || top < n) {
        /* the counter row is missing: migrations/0010 was not applied */
        return RC_ERR;
    }
    seqs = xmalloc(n * sizeof(*seqs));
    ids = xmalloc(n * sizeof(*ids));
    fixtures = xmalloc(n * sizeof(*fixtures));
    kinds = xmalloc(n * sizeof(*kinds));
    lens = xmalloc(n * sizeof(*lens));
    ind = xmalloc(2 * n);
    for (i = 0; i < n; i++) {
        seqs[i] = (int64_t)(top - n + 1 + i);
        ids[i] = (int64_t)match_ids[i];
        kinds[i] = "updated";
        fixtures[i] = 0;
        ind[i] = STMT_INDICATOR_NONE;
        ind[n + i] = STMT_INDICATOR_NULL;
    }
    for (i = 0; i < n && rc == RC_OK; i += KIND_IDS) {
        rc = read_kinds(db, ids + i, n - i < KIND_IDS ? n - i : KIND_IDS, kinds + i, fixtures + i,
                        ind + n + i);
    }
    for (i = 0; i < n; i++) {
        lens[i] = (unsigned long)strlen(kinds[i]);
    }
    if (rc == RC_OK) {
        MYSQL_BIND q[4];

        db_bind_i64_array(&q[0], seqs, NULL);
        db_bind_i64_array(&q[1], ids, NULL);
        db_bind_str_array(&q[2], kinds, lens, ind, 0);
        db_bind_i64_array(&q[3], fixtures, ind + n);
        rc = db_execute_many(db, SQL_INSERT, q, (unsigned int)n);
    }
    free(seqs);
    free(ids);
    free(fixtures);
    free(kinds);
    free(lens);
    free(ind);
    if (rc == RC_OK) {
        *first = top - n + 1;
        *last = top;
    }
    return rc;
}

int
db_changes_bounds(struct db *db, uint64_t *oldest, uint64_t *newest)
{
    int64_t lo = 0, hi = 0;
    char lo_null = 0;
    int rc;

    *oldest = *newest = 0;
    /* the counter first: a change committed in between only makes oldest
     * look younger than newest, never the reverse */
    rc = db_select_i64(db, SQL_NEWEST, NULL, &hi, NULL);
    if (rc == RC_OK) {
        rc = db_select_i64(db, SQL_OLDEST, NULL, &lo, &lo_null);
    }
    if (rc != RC_OK) {
        return rc == RC_NOTFOUND ? RC_ERR : rc;
    }
    *newest = (uint64_t)hi;
    /* nothing kept: the next change to come is the oldest */
    *oldest = lo_null ? (uint64_t)hi + 1 : (uint64_t)lo;
    return RC_OK;
}

int
db_changes_after(struct db *db, uint64_t after, size_t limit, struct arena *a,
                 struct change_row **out, size_t *n)
{
    MYSQL_BIND p[2], r[5];
    int64_t from = (int64_t)after, lim = (int64_t)limit, seq = 0, match_id = 0, created = 0;
    int64_t fixture_id = 0;
    char when[40];
    unsigned long when_len = 0;
    struct change_row *rows = arena_alloc(a, (limit > 0 ? limit : 1) * sizeof(*rows));
    size_t k = 0;
    int rc;

    *out = rows;
    *n = 0;
    db_bind_i64(&p[0], &from, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    rc = db_execute(db, SQL_AFTER, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &seq, NULL);
    db_bind_i64(&r[1], &match_id, NULL);
    db_bind_i64(&r[2], &created, NULL);
    db_bind_out_str(&r[3], when, sizeof(when) - 1, &when_len, NULL);
    db_bind_i64(&r[4], &fixture_id, NULL);
    rc = db_bind_result(db, SQL_AFTER, r);
    while (rc == RC_OK && k < limit && (rc = db_fetch(db, SQL_AFTER)) == RC_OK) {
        rows[k].seq = (uint64_t)seq;
        rows[k].match_id = (uint64_t)match_id;
        rows[k].created = created != 0;
        rows[k].fixture_id = (uint64_t)fixture_id;
        rows[k].changed_at = arena_strndup(a, when, when_len < sizeof(when) ? when_len : 0);
        k++;
    }
    db_stmt_done(db, SQL_AFTER);
    if (rc != RC_OK && rc != RC_NOTFOUND) {
        return rc;
    }
    *n = k;
    return RC_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int
cmp_view_id(const void *key, const void *v)
{
    uint64_t x = *(const uint64_t *)key, y = ((const struct match_view *)v)->id;

    return x < y ? -1 : x > y;
}

int
db_changes_matches(struct db *db, const struct change_row *rows, size_t n, struct arena *a,
                   struct match_view **out)
{
    struct match_view *per = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*per));
    uint64_t *ids = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*ids));
    struct match_view *views = NULL;
    size_t nids = 0, nviews = 0, i;
    int rc;

    *out = per;
    for (i = 0; i < n; i++) {
        ids[i] = rows[i].match_id;
    }
    /* sorted and distinct, so the views come back in one id order */
    qsort(ids, n, sizeof(*ids), cmp_u64);
    for (i = 0; i < n; i++) {
        if (nids == 0 || ids[nids - 1] != ids[i]) {
            ids[nids++] = ids[i];
        }
    }
    rc = db_matches_find_many(db, ids, nids, a, &views, &nviews);
    for (i = 0; i < n; i++) {
        const struct match_view *v =
            rc != RC_OK ? NULL
                        : bsearch(&rows[i].match_id, views, nviews, sizeof(*views), cmp_view_id);

        if (v != NULL) {
            per[i] = *v; /* (its strings and teams stay in a) */
        } else {
            memset(&per[i], 0, sizeof(per[i]));
        }
    }
    return rc;
}

int
db_changes_prune(struct db *db, int64_t keep_s, int64_t keep_rows, size_t batch, uint64_t *deleted)
{
    MYSQL_BIND p[2];
    uint64_t oldest, newest;
    int64_t young = 0, cut, lim = (int64_t)batch;
    int rc;

    *deleted = 0;
    rc = db_changes_bounds(db, &oldest, &newest);
    if (rc != RC_OK || oldest > newest) {
        return rc;
    }
    db_bind_i64(&p[0], &keep_s, NULL);
    rc = db_select_i64(db, SQL_FIRST_YOUNG, p, &young, NULL);
    if (rc == RC_NOTFOUND) {
        cut = (int64_t)newest; /* everything kept is too old */
    } else if (rc == RC_OK) {
        cut = young - 1;
    } else {
        return rc;
    }
    if ((int64_t)newest - keep_rows > cut) {
        cut = (int64_t)newest - keep_rows;
    }
    if (cut < (int64_t)oldest) {
        return RC_OK;
    }
    db_bind_i64(&p[0], &cut, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    rc = db_execute(db, SQL_PRUNE, p);
    if (rc == RC_OK) {
        *deleted = db_affected(db, SQL_PRUNE);
    }
    return rc;
}

int
db_changes_live_count(struct db *db, uint64_t published, uint64_t failed, uint64_t last_seq,
                      const char *error)
{
    MYSQL_BIND p[6];
    int64_t pub = (int64_t)published, fail = (int64_t)failed, last = (int64_t)last_seq;
    unsigned long len = error ? strlen(error) : 0;
    char null = error == NULL;

    if (len > ERROR_MAX) {
        len = ERROR_MAX; /* bytes: the column takes characters, so this always fits */
    }
    db_bind_i64(&p[0], &pub, NULL);
    db_bind_i64(&p[1], &fail, NULL);
    db_bind_i64(&p[2], &last, NULL);
    db_bind_str(&p[3], error ? error : "", &len, &null);
    db_bind_str(&p[4], error ? error : "", &len, &null);
    db_bind_str(&p[5], error ? error : "", &len, &null);
    return db_execute(db, SQL_LIVE_COUNT, p);
}

int
db_changes_live_status(struct db *db, uint64_t *published, uint64_t *failed, uint64_t *last_seq)
{
    MYSQL_BIND r[3];
    int64_t pub = 0, fail = 0, last = 0;
    int rc = db_execute(db, SQL_LIVE_STATUS, NULL);

    *published = *failed = *last_seq = 0;
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &pub, NULL);
    db_bind_i64(&r[1], &fail, NULL);
    db_bind_i64(&r[2], &last, NULL);
    rc = db_bind_result(db, SQL_LIVE_STATUS, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_LIVE_STATUS);
    }
    db_stmt_done(db, SQL_LIVE_STATUS);
    if (rc == RC_OK) {
        *published = (uint64_t)pub;
        *failed = (uint64_t)fail;
        *last_seq = (uint64_t)last;
    }
    return rc;
}
