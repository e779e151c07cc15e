/* db_outbox.c: SQL of the search outbox; see db_outbox.h. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_outbox.h"
#include "mem.h"
#include "rc.h"
#include "util.h"

#define ERROR_MAX 1024 /* the width of last_error */

/* from a cursor: the rows just deleted at the head of the queue may not be
 * purged yet, and an index scan from the start would step over all of them */
static const char SQL_PENDING[] = "SELECT id, match_id, attempts FROM search_outbox"
                                  " WHERE parked = 0 AND id >= ? ORDER BY id LIMIT ?";
static const char SQL_DELETE[] = "DELETE FROM search_outbox WHERE id = ?";
/* assignments run left to right: parked sees the attempts before this one */
static const char SQL_FAILED[] =
    "UPDATE search_outbox SET parked = (attempts + 1 >= ?), attempts = attempts + 1,"
    " last_error = ? WHERE id = ?";
static const char SQL_COUNT_PENDING[] = "SELECT COUNT(*) FROM search_outbox WHERE parked = 0";
static const char SQL_COUNT_PARKED[] = "SELECT COUNT(*) FROM search_outbox WHERE parked = 1";
static const char SQL_NOW[] = "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', UTC_TIMESTAMP())";
static const char SQL_ENQUEUE_SINCE[] =
    "INSERT INTO search_outbox (match_id)"
    " SELECT id FROM matches WHERE updated_at >= '1970-01-01' + INTERVAL ? SECOND"
    " ORDER BY id";

/* updated_at moves only when the name changes (db_ingest.c); the tables are
 * small (a source's tournaments and teams), and this runs every few seconds */
#define RENAMED(table)                                                                             \
    "SELECT id, name, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') FROM " table                 \
    " WHERE updated_at > created_at AND updated_at > ? ORDER BY updated_at, id LIMIT ?"
static const char SQL_RENAMED_TOURNAMENTS[] = RENAMED("tournaments");
static const char SQL_RENAMED_TEAMS[] = RENAMED("teams");

/* One mirror at a time per database: a named lock (named after the
 * database, since named locks are the server's) held by the mirror's
 * connection and freed with it, when its process dies. Taken only when not
 * held already, so it never nests. */
#define MIRROR_LOCK "CONCAT('esports_mirror:', MD5(DATABASE()))"
static const char SQL_LOCK[] = "SELECT IF(IS_USED_LOCK(" MIRROR_LOCK ") <=> CONNECTION_ID(), 1,"
                               " COALESCE(GET_LOCK(" MIRROR_LOCK ", 0), 0))";
static const char SQL_UNLOCK[] = "SELECT COALESCE(RELEASE_LOCK(" MIRROR_LOCK "), 0)";

static const char *const outbox_sqls[] = {
    SQL_PENDING,       SQL_DELETE, SQL_FAILED,        SQL_COUNT_PENDING,
    SQL_COUNT_PARKED,  SQL_NOW,    SQL_ENQUEUE_SINCE, SQL_RENAMED_TOURNAMENTS,
    SQL_RENAMED_TEAMS, SQL_LOCK,   SQL_UNLOCK,
};

void
db_outbox_register(struct db *db)
{
    db_register(db, outbox_sqls, ARRAY_SIZE(outbox_sqls));
}

int
db_outbox_lock(struct db *db)
{
    int64_t held = 0;
    int rc = db_select_i64(db, SQL_LOCK, NULL, &held, NULL);

    return rc != RC_OK ? rc : held == 1 ? RC_OK : RC_NOTFOUND;
}

int
db_outbox_unlock(struct db *db)
{
    int64_t released = 0;

    return db_select_i64(db, SQL_UNLOCK, NULL, &released, NULL);
}

int
db_outbox_pending(struct db *db, uint64_t from, size_t limit, struct outbox_row *rows, size_t *n)
{
    MYSQL_BIND p[2], r[3];
    int64_t start = (int64_t)from, lim = (int64_t)limit, id = 0, match_id = 0, attempts = 0;
    size_t k = 0;
    int rc;

    *n = 0;
    db_bind_i64(&p[0], &start, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    rc = db_execute(db, SQL_PENDING, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &id, NULL);
    db_bind_i64(&r[1], &match_id, NULL);
    db_bind_i64(&r[2], &attempts, NULL);
    rc = db_bind_result(db, SQL_PENDING, r);
    while (rc == RC_OK && k < limit && (rc = db_fetch(db, SQL_PENDING)) == RC_OK) {
        rows[k].id = (uint64_t)id;
        rows[k].match_id = (uint64_t)match_id;
        rows[k].attempts = (unsigned)attempts;
        k++;
    }
    db_stmt_done(db, SQL_PENDING);
    *n = k;
    return rc == RC_NOTFOUND || rc == RC_OK ? RC_OK : rc;
}

int
db_outbox_delete(struct db *db, const uint64_t *ids, size_t n)
{
    MYSQL_BIND p[1];
    int64_t *v;
    size_t i;
    int rc;

    if (n == 0) {
        return RC_OK;
    }
    v = xmalloc(n * sizeof(*v));
    for (i = 0; i < n; i++) {
        v[i] = (int64_t)ids[i];
    }
    db_bind_i64_array(&p[0], v, NULL);
    rc = db_execute_many(db, SQL_DELETE, p, (unsigned int)n);
    free(v);
    return rc;
}

int
db_outbox_failed(struct db *db, const uint64_t *ids, const char *const *errors, size_t n,
                 unsigned max_attempts)
{
    MYSQL_BIND p[3];
    int64_t *max, *v;
    const char **errs;
    unsigned long *lens;
    size_t i;
    int rc;

    if (n == 0) {
        return RC_OK;
    }
    max = xmalloc(n * sizeof(*max));
    v = xmalloc(n * sizeof(*v));
    errs = xmalloc(n * sizeof(*errs));
    lens = xmalloc(n * sizeof(*lens));
    for (i = 0; i < n; i++) {
        size_t len = strlen(errors[i]);

        max[i] = (int64_t)max_attempts;
        v[i] = (int64_t)ids[i];
        errs[i] = errors[i];
        /* cut on a UTF-8 boundary */
        if (len > ERROR_MAX) {
            len = ERROR_MAX;
            while (len > 0 && ((unsigned char)errors[i][len] & 0xC0) == 0x80) {
                len--;
            }
        }
        lens[i] = (unsigned long)len;
    }
    db_bind_i64_array(&p[0], max, NULL);
    db_bind_str_array(&p[1], errs, lens, NULL, 0);
    db_bind_i64_array(&p[2], v, NULL);
    rc = db_execute_many(db, SQL_FAILED, p, (unsigned int)n);
    free(max);
    free(v);
    free(errs);
    free(lens);
    return rc;
}

int
db_outbox_count(struct db *db, uint64_t *pending, uint64_t *parked)
{
    int64_t a = 0, b = 0;
    int rc = db_select_i64(db, SQL_COUNT_PENDING, NULL, &a, NULL);

    if (rc == RC_OK) {
        rc = db_select_i64(db, SQL_COUNT_PARKED, NULL, &b, NULL);
    }
    *pending = (uint64_t)a;
    *parked = (uint64_t)b;
    return rc;
}

int
db_outbox_now(struct db *db, int64_t *now)
{
    return db_select_i64(db, SQL_NOW, NULL, now, NULL);
}

int
db_outbox_enqueue_updated_since(struct db *db, int64_t since, uint64_t *n)
{
    MYSQL_BIND p[1];
    int rc;

    db_bind_i64(&p[0], &since, NULL);
    rc = db_execute(db, SQL_ENQUEUE_SINCE, p);
    *n = rc == RC_OK ? db_affected(db, SQL_ENQUEUE_SINCE) : 0;
    return rc;
}

int
db_outbox_renamed(struct db *db, enum renamed_kind kind, const char *after, size_t limit,
                  struct renamed *out, size_t *n)
{
    const char *sql = kind == RENAMED_TEAM ? SQL_RENAMED_TEAMS : SQL_RENAMED_TOURNAMENTS;
    const char *from = after[0] ? after : "1970-01-01 00:00:00";
    MYSQL_BIND p[2], r[3];
    unsigned long flen = (unsigned long)strlen(from), nlen = 0, alen = 0;
    int64_t lim = (int64_t)limit, id = 0;
    char name[sizeof(out->name)], at[sizeof(out->at)];
    size_t k = 0;
    int rc;

    *n = 0;
    db_bind_str(&p[0], from, &flen, NULL);
    db_bind_i64(&p[1], &lim, NULL);
    rc = db_execute(db, sql, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &id, NULL);
    db_bind_out_str(&r[1], name, sizeof(name) - 1, &nlen, NULL);
    db_bind_out_str(&r[2], at, sizeof(at) - 1, &alen, NULL);
    rc = db_bind_result(db, sql, r);
    while (rc == RC_OK && k < limit && (rc = db_fetch(db, sql)) == RC_OK) {
        out[k].id = (uint64_t)id;
        nlen = nlen < sizeof(name) - 1 ? nlen : sizeof(name) - 1;
        alen = alen < sizeof(at) - 1 ? alen : sizeof(at) - 1;
        memcpy(out[k].name, name, nlen);
        out[k].name[nlen] = '\0';
        memcpy(out[k].at, at, alen);
        out[k].at[alen] = '\0';
        k++;
    }
    db_stmt_done(db, sql);
    *n = k;
    return rc == RC_NOTFOUND || rc == RC_OK ? RC_OK : rc;
}
