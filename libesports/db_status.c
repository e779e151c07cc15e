/* db_status.c: SQL of the consumer_status row; see db_status.h. */
#include <string.h>

#include "db_internal.h"
#include "db_status.h"
#include "rc.h"

static const char SQL_GET[] =
    "SELECT messages_applied, messages_rejected,"
    " COALESCE(UNIX_TIMESTAMP(last_applied_at), 0), COALESCE(last_error, ''),"
    " COALESCE(UNIX_TIMESTAMP(last_error_at), 0), COALESCE(pid, 0),"
    " COALESCE(UNIX_TIMESTAMP(started_at), 0), broker_connected,"
    " COALESCE(UNIX_TIMESTAMP(heartbeat_at), 0),"
    " COALESCE(TIMESTAMPDIFF(SECOND, heartbeat_at, UTC_TIMESTAMP(6)), -1), data_version"
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

static const char SQL_HEARTBEAT[] =
    "UPDATE consumer_status SET broker_connected = ?, heartbeat_at = UTC_TIMESTAMP(6)"
    " WHERE id = 1";

static const char SQL_ERROR[] =
    "UPDATE consumer_status SET last_error = LEFT(?, 1024), last_error_at = UTC_TIMESTAMP(6)"
    " WHERE id = 1";

static const char SQL_ADD[] =
    "UPDATE consumer_status SET messages_applied = messages_applied + ?,"
    " messages_rejected = messages_rejected + ?, matches_total = matches_total + ?,"
    " data_version = data_version + IF(? > 0, 1, 0),"
    " last_applied_at = IF(? > 0, UTC_TIMESTAMP(6), last_applied_at),"
    " started_at = IF(pid <=> ?, started_at, FROM_UNIXTIME(?)), pid = ?,"
    " heartbeat_at = UTC_TIMESTAMP(6) WHERE id = 1";

static const char SQL_LOCK_VERSION[] =
    "SELECT data_version FROM consumer_status WHERE id = 1 FOR UPDATE";

static const char SQL_VERSION[] = "SELECT data_version FROM consumer_status WHERE id = 1";

static const char SQL_STOPPED[] = "UPDATE consumer_status SET pid = IF(pid <=> ?, NULL, pid),"
                                  " broker_connected = IF(pid IS NULL, FALSE, broker_connected),"
                                  " heartbeat_at = UTC_TIMESTAMP(6) WHERE id = 1";

static const char *const status_sqls[] = {SQL_GET, SQL_STARTED,      SQL_HEARTBEAT, SQL_ERROR,
                                          SQL_ADD, SQL_LOCK_VERSION, SQL_VERSION,   SQL_STOPPED};

void
db_status_register(struct db *db)
{
    db_register(db, status_sqls, sizeof(status_sqls) / sizeof(status_sqls[0]));
}

int
db_status_get(struct db *db, struct consumer_status *out)
{
    MYSQL_BIND r[11];
    int64_t applied, rejected, age, version;
    unsigned long errlen = 0;
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
    rc = db_bind_result(db, SQL_GET, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_GET);
    }
    db_stmt_done(db, SQL_GET);
    if (rc != RC_OK) {
        return rc;
    }
    out->last_error[errlen < sizeof(out->last_error) ? errlen : sizeof(out->last_error) - 1] = '\0';
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

int
db_status_heartbeat(struct db *db, int broker_connected)
{
    MYSQL_BIND p[1];

    db_bind_int(&p[0], &broker_connected, NULL);
    return db_execute(db, SQL_HEARTBEAT, p);
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
