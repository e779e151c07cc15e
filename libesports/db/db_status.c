/* db_status.c: SQL of the consumer_status row; see db_status.h. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "db_status.h"
#include "rc.h"
#include "util.h"

static const char SQL_GET[] =
    "SELECT messages_applied, messages_rejected,"
    " COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01', last_applied_at), 0), COALESCE(last_error, ''),"
    " COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01', last_error_at), 0), COALESCE(pid, 0),"
    " COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01', started_at), 0), broker_connected,"
    " COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01', heartbeat_at), 0),"
    " COALESCE(TIMESTAMPDIFF(SECOND, heartbeat_at, UTC_TIMESTAMP(6)), -1), data_version,"
    " state, COALESCE(state_reason, ''), COALESCE(queue_depth, -1),"
    " COALESCE(TIMESTAMPDIFF(SECOND, queue_depth_at, UTC_TIMESTAMP(6)), -1),"
    " COALESCE(TIMESTAMPDIFF(SECOND, GREATEST(waiting_since, COALESCE(last_commit_at,"
    " waiting_since)), UTC_TIMESTAMP(6)), -1),"
    " COALESCE(TIMESTAMPDIFF(SECOND, last_commit_at, UTC_TIMESTAMP(6)), -1), failed_batches"
    " FROM consumer_status WHERE id = 1";

/* A consumer that starts while another one is alive (a stand-by of the
 * single-active-consumer queue) does not take the row over; the one that
 * commits does (SQL_ADD). MariaDB assigns left to right, so the later
 * assignments see the new pid. */
static const char SQL_STARTED[] =
    "UPDATE consumer_status SET pid = IF(pid IS NULL OR heartbeat_at IS NULL"
    " OR heartbeat_at < UTC_TIMESTAMP(6) - INTERVAL 30 SECOND, ?, pid),"
    " started_at = IF(pid = ?, UTC_TIMESTAMP(6), started_at),"
    " broker_connected = IF(pid = ?, FALSE, broker_connected),"
    " heartbeat_at = UTC_TIMESTAMP(6) WHERE id = 1";

/* A stand-by consumer takes the row over once the broker gives it the queue
 * and the row's consumer is gone (stopped, or silent for 30 s). */
static const char SQL_CLAIM[] =
    "UPDATE consumer_status SET pid = ?, started_at = '1970-01-01' + INTERVAL ? SECOND,"
    " heartbeat_at = UTC_TIMESTAMP(6)"
    " WHERE id = 1 AND NOT (pid <=> ?) AND (pid IS NULL OR heartbeat_at IS NULL"
    " OR heartbeat_at < UTC_TIMESTAMP(6) - INTERVAL 30 SECOND)";

/* Only the row's own consumer reports; a stand-by's report changes nothing. */
static const char SQL_REPORT[] =
    "UPDATE consumer_status SET broker_connected = ?, heartbeat_at = UTC_TIMESTAMP(6),"
    " state = ?, state_reason = NULLIF(LEFT(?, 1024), ''),"
    " queue_depth = IF(? < 0, queue_depth, ?),"
    " queue_depth_at = IF(? < 0, queue_depth_at, UTC_TIMESTAMP(6)),"
    " waiting_since = IF(? < 0, NULL, UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND),"
    " failed_batches = ?"
    " WHERE id = 1 AND pid = ?";

static const char SQL_ERROR[] =
    "UPDATE consumer_status SET last_error = LEFT(?, 1024), last_error_at = UTC_TIMESTAMP(6)"
    " WHERE id = 1";

static const char SQL_ADD[] =
    "UPDATE consumer_status SET messages_applied = messages_applied + ?,"
    " messages_rejected = messages_rejected + ?, matches_total = matches_total + ?,"
    " data_version = data_version + IF(? > 0, 1, 0),"
    " last_applied_at = IF(? > 0, UTC_TIMESTAMP(6), last_applied_at),"
    " last_commit_at = UTC_TIMESTAMP(6), failed_batches = 0, waiting_since = NULL,"
    " state = 'running', state_reason = NULL,"
    " started_at = IF(pid <=> ?, started_at, '1970-01-01' + INTERVAL ? SECOND), pid = ?,"
    " heartbeat_at = UTC_TIMESTAMP(6) WHERE id = 1";

static const char SQL_LOCK_VERSION[] =
    "SELECT data_version FROM consumer_status WHERE id = 1 FOR UPDATE";

static const char SQL_VERSION[] = "SELECT data_version FROM consumer_status WHERE id = 1";

static const char SQL_STOPPED[] = "UPDATE consumer_status SET pid = IF(pid <=> ?, NULL, pid),"
                                  " broker_connected = IF(pid IS NULL, FALSE, broker_connected),"
                                  " heartbeat_at = UTC_TIMESTAMP(6) WHERE id = 1";

static const char *const status_sqls[] = {SQL_GET,          SQL_STARTED, SQL_CLAIM,
                                          SQL_REPORT,       SQL_ERROR,   SQL_ADD,
                                          SQL_LOCK_VERSION, SQL_VERSION, SQL_STOPPED};

void
db_status_register(struct db *db)
{
    db_register(db, status_sqls, ARRAY_SIZE(status_sqls));
}

int
db_status_get(struct db *db, struct consumer_status *out)
{
    MYSQL_BIND r[18];
    int64_t applied, rejected, age, version, failed;
    unsigned long errlen = 0, statelen = 0, reasonlen = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = db_execute(db, SQL_GET, NULL);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], &applied, NULL);
    db_bind_i64(&r[1], &rejected, NULL);
    db_bind_i64(&r[2], &out->last_applied_at, NULL);
    db_bind_out_str(&r[3], out->last_error, sizeof(out->last_error) - 1, &errlen, NULL);
    db_bind_i64(&r[4], &out->last_error_at, NULL);
    db_bind_int(&r[5], &out->pid, NULL);
    db_bind_i64(&r[6], &out->started_at, NULL);
    db_bind_int(&r[7], &out->broker_connected, NULL);
    db_bind_i64(&r[8], &out->heartbeat_at, NULL);
    db_bind_i64(&r[9], &age, NULL);
    db_bind_i64(&r[10], &version, NULL);
    db_bind_out_str(&r[11], out->state, sizeof(out->state) - 1, &statelen, NULL);
    db_bind_out_str(&r[12], out->state_reason, sizeof(out->state_reason) - 1, &reasonlen, NULL);
    db_bind_i64(&r[13], &out->queue_depth, NULL);
    db_bind_i64(&r[14], &out->queue_depth_age, NULL);
    db_bind_i64(&r[15], &out->waiting_age, NULL);
    db_bind_i64(&r[16], &out->commit_age, NULL);
    db_bind_i64(&r[17], &failed, NULL);
    rc = db_bind_result(db, SQL_GET, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_GET);
    }
    db_stmt_done(db, SQL_GET);
    if (rc != RC_OK) {
        return rc;
    }
    out->last_error[errlen < sizeof(out->last_error) ? errlen : sizeof(out->last_error) - 1] = '\0';
    out->state[statelen < sizeof(out->state) ? statelen : sizeof(out->state) - 1] = '\0';
    out->state_reason[reasonlen < sizeof(out->state_reason) ? reasonlen
                                                            : sizeof(out->state_reason) - 1] = '\0';
    out->failed_batches = failed;
    out->applied = (uint64_t)applied;
    out->rejected = (uint64_t)rejected;
    out->heartbeat_age = age;
    out->data_version = (uint64_t)version;
    return RC_OK;
}

int
db_status_started(struct db *db, int pid)
{
    MYSQL_BIND p[3];

    db_bind_int(&p[0], &pid, NULL);
    p[1] = p[0];
    p[2] = p[0];
    return db_execute(db, SQL_STARTED, p);
}

void
ingest_judge(const struct consumer_status *cs, int stall_s, struct ingest_health *h)
{
    memset(h, 0, sizeof(*h));
    h->state = "running";
    if (cs == NULL) {
        h->state = "down";
        snprintf(h->reason, sizeof(h->reason), "the consumer's status row cannot be read");
        return;
    }
    h->waiting = cs->waiting_age >= 0 || cs->queue_depth > 0;
    if (cs->waiting_age >= 0) {
        h->stalled_s = cs->waiting_age;
    } else if (cs->queue_depth > 0) {
        /* the queue holds messages nobody took: since the last commit (or
         * since the depth was measured, if nothing was ever committed) */
        h->stalled_s = cs->commit_age >= 0 ? cs->commit_age : cs->queue_depth_age;
    }
    if (cs->pid == 0) {
        h->state = "stopped";
        snprintf(h->reason, sizeof(h->reason), "no consumer is running");
    } else if (cs->heartbeat_age < 0 || cs->heartbeat_age > stall_s) {
        h->state = "down";
        h->stalled = 1;
        snprintf(h->reason, sizeof(h->reason),
                 "no sign of life from consumer pid %d for %lld s (stopped, hung or killed?)",
                 cs->pid, (long long)cs->heartbeat_age);
    } else if (strcmp(cs->state, "running") != 0) {
        h->state = strcmp(cs->state, "blocked") == 0 ? "blocked" : "retrying";
        snprintf(h->reason, sizeof(h->reason), "%s", cs->state_reason);
    }
    if (h->waiting && h->stalled_s > stall_s && !h->stalled) {
        char was[sizeof(cs->state_reason)];
        int n;

        snprintf(was, sizeof(was), "%s", cs->state_reason);
        h->stalled = 1;
        h->state = "stalled";
        n = snprintf(h->reason, sizeof(h->reason),
                     "messages have waited %lld s without a commit (queue depth %lld)",
                     (long long)h->stalled_s, (long long)cs->queue_depth);
        if (was[0] != '\0' && n > 0 && (size_t)n < sizeof(h->reason) - sizeof(was) - 2) {
            memcpy(h->reason + n, ": ", 2);
            memcpy(h->reason + n + 2, was, strlen(was) + 1);
        }
    }
}

int
db_status_claim(struct db *db, int pid, int64_t started)
{
    MYSQL_BIND p[3];
    int rc;

    db_bind_int(&p[0], &pid, NULL);
    db_bind_i64(&p[1], &started, NULL);
    p[2] = p[0];
    rc = db_execute(db, SQL_CLAIM, p);
    if (rc == RC_OK && db_affected(db, SQL_CLAIM) == 0) {
        return RC_NOTFOUND;
    }
    return rc;
}

int
db_status_report(struct db *db, int pid, const struct consumer_report *r)
{
    MYSQL_BIND p[11];
    unsigned long statelen = (unsigned long)strlen(r->state);
    unsigned long reasonlen = (unsigned long)strlen(r->reason);
    int64_t depth = r->queue_depth, waiting = r->waiting_us, failed = r->failed_batches;
    int connected = r->broker_connected;

    db_bind_int(&p[0], &connected, NULL);
    db_bind_str(&p[1], r->state, &statelen, NULL);
    db_bind_str(&p[2], r->reason, &reasonlen, NULL);
    db_bind_i64(&p[3], &depth, NULL);
    p[4] = p[3];
    p[5] = p[3];
    db_bind_i64(&p[6], &waiting, NULL);
    p[7] = p[6];
    db_bind_i64(&p[8], &failed, NULL);
    db_bind_int(&p[9], &pid, NULL);
    return db_execute(db, SQL_REPORT, p);
}

int
db_status_error(struct db *db, const char *err)
{
    MYSQL_BIND p[1];
    unsigned long len = (unsigned long)strlen(err);

    db_bind_str(&p[0], err, &len, NULL);
    return db_execute(db, SQL_ERROR, p);
}

int
db_status_add(struct db *db, unsigned applied, unsigned rejected, unsigned changed,
              uint64_t new_matches, int pid, int64_t started)
{
    MYSQL_BIND p[8];
    int a = (int)applied, r = (int)rejected, c = (int)changed;
    int64_t nm = (int64_t)new_matches;

    db_bind_int(&p[0], &a, NULL);
    db_bind_int(&p[1], &r, NULL);
    db_bind_i64(&p[2], &nm, NULL);
    db_bind_int(&p[3], &c, NULL);
    db_bind_int(&p[4], &a, NULL);
    db_bind_int(&p[5], &pid, NULL);
    db_bind_i64(&p[6], &started, NULL);
    db_bind_int(&p[7], &pid, NULL);
    return db_execute(db, SQL_ADD, p);
}

static int
select_version(struct db *db, const char *sql, uint64_t *version)
{
    int64_t v;
    int rc = db_select_i64(db, sql, NULL, &v, NULL);

    *version = (uint64_t)v;
    return rc;
}

int
db_status_lock_version(struct db *db, uint64_t *version)
{
    return select_version(db, SQL_LOCK_VERSION, version);
}

int
db_status_version(struct db *db, uint64_t *version)
{
    return select_version(db, SQL_VERSION, version);
}

int
db_status_stopped(struct db *db, int pid)
{
    MYSQL_BIND p[1];

    db_bind_int(&p[0], &pid, NULL);
    return db_execute(db, SQL_STOPPED, p);
}
