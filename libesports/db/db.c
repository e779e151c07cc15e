/*
 * db.c: connecting, reconnecting, transactions and the prepared-statement
 * registry. Statements are keyed by the address of their static SQL text, so
 * finding one is a short pointer scan and no SQL is ever built at run time.
 */
#include <errno.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "clock.h"
#include "db_internal.h"
#include "log.h"
#include "mem.h"
#include "rc.h"
#include "text.h"

struct db_entry {
    const char *sql;
    MYSQL_STMT *st;
};

struct db {
    const struct config *cfg;
    MYSQL *conn;
    int flags;
    struct db_entry *stmts;
    size_t nstmts;
    int in_tx;            /* a transaction is open */
    int tx_lost;          /* the connection died inside a transaction: nothing runs
                           * until the caller rolls back or begins again, so no write
                           * of that transaction can land in autocommit mode */
    char last_error[512]; /* the server's text of the last failure */
};

struct db *
db_new(const struct config *cfg, int flags)
{
    struct db *db = xcalloc(1, sizeof(*db));

    db->cfg = cfg;
    db->flags = flags;
    return db;
}

static void
db_close_conn(struct db *db)
{
    size_t i;

    if (db->in_tx) {
        db->tx_lost = 1;
    }
    db->in_tx = 0;
    for (i = 0; i < db->nstmts; i++) {
        if (db->stmts[i].st != NULL) {
            mysql_stmt_close(db->stmts[i].st);
            db->stmts[i].st = NULL;
        }
    }
    if (db->conn != NULL) {
        mysql_close(db->conn);
        db->conn = NULL;
    }
}

void
db_free(struct db *db)
{
    if (db == NULL) {
        return;
    }
    db_close_conn(db);
    free(db->stmts);
    free(db);
}

void
db_register(struct db *db, const char *const *sqls, size_t n)
{
    size_t i;

    db->stmts = xrealloc(db->stmts, (db->nstmts + n) * sizeof(*db->stmts));
    for (i = 0; i < n; i++) {
        db->stmts[db->nstmts].sql = sqls[i];
        db->stmts[db->nstmts].st = NULL;
        db->nstmts++;
    }
}

/* Errors that mean the connection is gone, not that the statement is wrong. */
static int
conn_lost(unsigned int err)
{
    switch (err) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
        return 1;
    default:
        return 0;
    }
}

/* Errors of the server's state, not of the statement: worth retrying later
 * (a full disk, a read-only server, lock conflicts, no connections left, a
 * statement the server cut short). */
static int
transient(unsigned int err)
{
    switch (err) {
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_DISK_FULL:
    case ER_RECORD_FILE_FULL:
    case ER_OPTION_PREVENTS_STATEMENT:
    case ER_CON_COUNT_ERROR:
    case ER_OUT_OF_RESOURCES:
    case ER_STATEMENT_TIMEOUT: /* the server's max_statement_time */
    case ER_QUERY_INTERRUPTED: /* KILL QUERY */
        return 1;
    default:
        return 0;
    }
}

/* Errors that refuse the values of one statement, not the server's state nor
 * the schema: the message that brought them is at fault, and only it must be
 * rejected. (SQLSTATE classes 22, data exception, and 23, integrity
 * constraint, plus the strict-mode conversions MariaDB files under HY000.) */
static int
refused_value(unsigned int err)
{
    switch (err) {
    case ER_DUP_ENTRY:
    case ER_BAD_NULL_ERROR:
    case ER_DATA_TOO_LONG:
    case ER_WARN_DATA_OUT_OF_RANGE:
    case WARN_DATA_TRUNCATED:
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_ILLEGAL_VALUE_FOR_TYPE:
    case ER_WRONG_VALUE_FOR_TYPE:
    case ER_DATA_OUT_OF_RANGE:
    case ER_INVALID_CHARACTER_STRING:
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
    case ER_DIVISION_BY_ZERO:
    case 4025: /* ER_CONSTRAINT_FAILED: a CHECK constraint */
        return 1;
    default:
        return 0;
    }
}

const char *
db_last_error(const struct db *db)
{
    return db->last_error;
}

/* The first line of an SQL text, at most 60 bytes, for log lines. */
static int
sql_head(const char *sql)
{
    size_t n = strcspn(sql, "\n");

    return n > 60 ? 60 : (int)n;
}

/* Records a failure of the connection or of stmt; returns the rc to give back. */
static int
db_fail(struct db *db, unsigned int no, const char *sqlstate, const char *err, const char *what,
        const char *sql)
{
    snprintf(db->last_error, sizeof(db->last_error), "%s", err ? err : "");
    if (conn_lost(no)) {
        log_warn("db", "event=connection_lost during=%s errno=%u err=\"%s\" sql=\"%.*s\"", what, no,
                 err, sql ? sql_head(sql) : 0, sql ? sql : "");
        db_close_conn(db);
        return RC_UNAVAIL;
    }
    if (transient(no)) {
        log_warn("db", "event=server_busy during=%s errno=%u err=\"%s\"", what, no, err);
        return RC_UNAVAIL;
    }
    if (refused_value(no) ||
        (sqlstate != NULL && sqlstate[0] == '2' && (sqlstate[1] == '2' || sqlstate[1] == '3'))) {
        log_warn("db", "event=values_refused during=%s errno=%u err=\"%s\" sql=\"%.*s\"", what, no,
                 err, sql ? sql_head(sql) : 0, sql ? sql : "");
        return RC_INVALID;
    }
    log_error("db", "event=query_failed during=%s errno=%u err=\"%s\" sql=\"%.*s\"", what, no, err,
              sql ? sql_head(sql) : 0, sql ? sql : "");
    return RC_ERR;
}

/* db_fail for a statement call that failed. A statement keeps its own
 * error, except when the connection failed under it (an error packet or a
 * lost connection while rows are read, for one): its error is then 0 and
 * the connection's is the one that says what happened. */
static int
stmt_fail(struct db *db, MYSQL_STMT *st, const char *what, const char *sql)
{
    if (mysql_stmt_errno(st) == 0 && db->conn != NULL && mysql_errno(db->conn) != 0) {
        return db_fail(db, mysql_errno(db->conn), mysql_sqlstate(db->conn), mysql_error(db->conn),
                       what, sql);
    }
    return db_fail(db, mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st), what,
                   sql);
}

/* Prepares e on the current connection. */
static int
prepare_one(struct db *db, struct db_entry *e)
{
    e->st = mysql_stmt_init(db->conn);
    if (e->st == NULL) {
        log_error("db", "event=stmt_init_failed err=\"%s\"", mysql_error(db->conn));
        return RC_ERR;
    }
    if (mysql_stmt_prepare(e->st, e->sql, (unsigned long)strlen(e->sql)) != 0) {
        unsigned int no = mysql_stmt_errno(e->st);
        int rc =
            db_fail(db, no, mysql_stmt_sqlstate(e->st), mysql_stmt_error(e->st), "prepare", e->sql);

        if (e->st != NULL) { /* db_fail may have closed the connection and it */
            mysql_stmt_close(e->st);
            e->st = NULL;
        }
        return rc;
    }
    return RC_OK;
}

/* One connection attempt: connect and set the session up. Statements are
 * prepared on first use on each connection (stmt_get). */
static int
db_try_connect(struct db *db)
{
    const struct config *c = db->cfg;
    unsigned int timeout = (unsigned int)c->db_connect_timeout_s;
    unsigned long flags = CLIENT_FOUND_ROWS;
    const char *sock = c->mariadb_socket[0] ? c->mariadb_socket : NULL;
    my_bool off = 0;

    db_close_conn(db);
    db->conn = mysql_init(NULL);
    if (db->conn == NULL) {
        log_error("db", "event=init_failed");
        return RC_ERR;
    }
    mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &(unsigned int){30});
    mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &(unsigned int){30});
    mysql_options(db->conn, MYSQL_OPT_RECONNECT, &off); /* we reconnect ourselves */
    mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(db->conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    if (db->flags & DB_NO_FK_CHECKS) {
        mysql_options(db->conn, MYSQL_INIT_COMMAND, "SET foreign_key_checks = 0");
    }
    if (db->flags & DB_MULTI_STATEMENTS) {
        flags |= CLIENT_MULTI_STATEMENTS;
    }
    if (mysql_real_connect(db->conn, c->mariadb_host, c->mariadb_user, c->mariadb_password,
                           c->mariadb_database, (unsigned int)c->mariadb_port, sock,
                           flags) == NULL) {
        log_warn("db",
                 "event=connect_failed host=%s port=%d socket=\"%s\" db=%s errno=%u err=\"%s\"",
                 c->mariadb_host, c->mariadb_port, c->mariadb_socket, c->mariadb_database,
                 mysql_errno(db->conn), mysql_error(db->conn));
        db_close_conn(db);
        return RC_UNAVAIL;
    }
    log_info("db",
             "event=connected host=%s port=%d socket=\"%s\" db=%s server=\"%s\" statements=%zu",
             c->mariadb_host, c->mariadb_port, c->mariadb_socket, c->mariadb_database,
             mysql_get_server_info(db->conn), db->nstmts);
    return RC_OK;
}

int
db_connect(struct db *db, long wait_ms, volatile sig_atomic_t *stop)
{
    long start = dt_mono_ms();
    int attempt = 0;
    struct backoff delay;

    backoff_init(&delay, 100, db->cfg->db_retry_max_ms);

    for (;;) {
        int rc = db_try_connect(db);

        attempt++;
        if (rc == RC_OK) {
            return RC_OK;
        }
        if (rc == RC_ERR) {
            return RC_ERR; /* the client library failed: retrying will not help */
        }
        if ((stop != NULL && *stop) ||
            (wait_ms >= 0 && dt_mono_ms() - start + delay.delay_ms > wait_ms)) {
            log_error("db", "event=unavailable attempts=%d waited_ms=%ld", attempt,
                      dt_mono_ms() - start);
            return RC_UNAVAIL;
        }
        log_info("db", "event=retry attempt=%d delay_ms=%ld", attempt, delay.delay_ms);
        backoff_sleep_ms(backoff_next(&delay));
    }
}

int
db_is_connected(const struct db *db)
{
    return db->conn != NULL;
}

int
db_ensure(struct db *db)
{
    if (db->conn != NULL) {
        return RC_OK;
    }
    return db_try_connect(db) == RC_OK ? RC_OK : RC_UNAVAIL;
}

int
db_ping(struct db *db)
{
    if (db_ensure(db) != RC_OK) {
        return RC_UNAVAIL;
    }
    if (mysql_ping(db->conn) != 0) {
        db_fail(db, mysql_errno(db->conn), mysql_sqlstate(db->conn), mysql_error(db->conn), "ping",
                NULL);
        return db_ensure(db);
    }
    return RC_OK;
}

static int
db_simple(struct db *db, const char *q, const char *what)
{
    if (db->conn == NULL) {
        return RC_UNAVAIL;
    }
    if (mysql_real_query(db->conn, q, (unsigned long)strlen(q)) != 0) {
        return db_fail(db, mysql_errno(db->conn), mysql_sqlstate(db->conn), mysql_error(db->conn),
                       what, NULL);
    }
    return RC_OK;
}

int
db_begin(struct db *db)
{
    if (db_ensure(db) != RC_OK) {
        return RC_UNAVAIL;
    }
    db->tx_lost = 0;
    db->in_tx = db_simple(db, "START TRANSACTION", "begin") == RC_OK;
    return db->in_tx ? RC_OK : RC_UNAVAIL;
}

int
db_commit(struct db *db)
{
    if (db->tx_lost) {
        return RC_UNAVAIL;
    }
    db->in_tx = 0;
    return db_simple(db, "COMMIT", "commit");
}

int
db_rollback(struct db *db)
{
    int rc;

    db->in_tx = 0;
    db->tx_lost = 0;
    rc = db_simple(db, "ROLLBACK", "rollback");

    return rc == RC_UNAVAIL ? RC_OK : rc;
}

int
db_exec_script(struct db *db, const char *sql, size_t len, char *err, size_t errlen)
{
    int status;

    if (!(db->flags & DB_MULTI_STATEMENTS)) {
        snprintf(err, errlen, "handle opened without DB_MULTI_STATEMENTS");
        return RC_ERR;
    }
    if (db_ensure(db) != RC_OK) {
        snprintf(err, errlen, "database unavailable");
        return RC_UNAVAIL;
    }
    if (mysql_real_query(db->conn, sql, (unsigned long)len) != 0) {
        snprintf(err, errlen, "%s", mysql_error(db->conn));
        return RC_ERR;
    }
    /* walk every result so an error in a later statement is seen */
    do {
        MYSQL_RES *res = mysql_store_result(db->conn);

        mysql_free_result(res);
        status = mysql_next_result(db->conn);
        if (status > 0) {
            snprintf(err, errlen, "%s", mysql_error(db->conn));
            return RC_ERR;
        }
    } while (status == 0);
    return RC_OK;
}

/* Finds the entry of sql and prepares it on this connection if needed. */
static int
stmt_get(struct db *db, const char *sql, MYSQL_STMT **out)
{
    size_t i;

    *out = NULL;
    if (db->conn == NULL) {
        return RC_UNAVAIL;
    }
    for (i = 0; i < db->nstmts; i++) {
        struct db_entry *e = &db->stmts[i];

        if (e->sql == sql) {
            int rc = e->st ? RC_OK : prepare_one(db, e);

            *out = e->st;
            return rc;
        }
    }
    log_error("db", "event=unregistered_statement sql=\"%.*s\"", sql_head(sql), sql);
    return RC_ERR;
}

MYSQL_STMT *
db_stmt(struct db *db, const char *sql)
{
    MYSQL_STMT *st;

    return stmt_get(db, sql, &st) == RC_OK ? st : NULL;
}

int
db_execute(struct db *db, const char *sql, MYSQL_BIND *params)
{
    MYSQL_STMT *st;
    int rc, attempt;

    /* A connection found dead on use (the server restarted since) is
     * replaced and the statement run again, unless it was part of an open
     * transaction, which the server has rolled back: that is the caller's. */
    for (attempt = 0; attempt < 2; attempt++) {
        int was_connected = db->conn != NULL, in_tx = db->in_tx;

        if (db->tx_lost) {
            return RC_UNAVAIL;
        }
        if (db_ensure(db) != RC_OK) {
            return RC_UNAVAIL;
        }
        rc = stmt_get(db, sql, &st);
        if (rc == RC_OK && params != NULL && mysql_stmt_bind_param(st, params) != 0) {
            rc = stmt_fail(db, st, "bind", sql);
        }
        if (rc == RC_OK && mysql_stmt_execute(st) != 0) {
            rc = stmt_fail(db, st, "execute", sql);
        }
        if (rc != RC_UNAVAIL || db->conn != NULL || !was_connected || in_tx) {
            return rc;
        }
    }
    return rc;
}

int
db_execute_many(struct db *db, const char *sql, MYSQL_BIND *params, unsigned int n)
{
    MYSQL_STMT *st;
    int rc;

    if (db->tx_lost) {
        return RC_UNAVAIL;
    }
    if (db_ensure(db) != RC_OK) {
        return RC_UNAVAIL;
    }
    rc = stmt_get(db, sql, &st);
    if (rc != RC_OK) {
        return rc;
    }
    if (mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &n) != 0) {
        return stmt_fail(db, st, "array_size", sql);
    }
    if (mysql_stmt_bind_param(st, params) != 0) {
        return stmt_fail(db, st, "bind", sql);
    }
    if (mysql_stmt_execute(st) != 0) {
        return stmt_fail(db, st, "execute", sql);
    }
    return RC_OK;
}

void
db_bind_i64_array(MYSQL_BIND *b, int64_t *v, char *indicators)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
    b->u.indicator = indicators;
}

void
db_bind_str_array(MYSQL_BIND *b, const char **v, unsigned long *lens, char *indicators, int blob)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = blob ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
    b->buffer = (void *)v;
    b->length = lens;
    b->u.indicator = indicators;
}

int
db_select_i64(struct db *db, const char *sql, MYSQL_BIND *params, int64_t *out, char *is_null)
{
    MYSQL_BIND r[1];
    char null = 0;
    int rc = db_execute(db, sql, params);

    *out = 0;
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_i64(&r[0], out, is_null ? is_null : &null);
    rc = db_bind_result(db, sql, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, sql);
    }
    db_stmt_done(db, sql);
    return rc;
}

int
db_bind_result(struct db *db, const char *sql, MYSQL_BIND *results)
{
    MYSQL_STMT *st = db_stmt(db, sql);

    if (st == NULL) {
        return RC_UNAVAIL;
    }
    if (mysql_stmt_bind_result(st, results) != 0) {
        return stmt_fail(db, st, "bind_result", sql);
    }
    return RC_OK;
}

int
db_fetch(struct db *db, const char *sql)
{
    MYSQL_STMT *st = db_stmt(db, sql);
    int r;

    if (st == NULL) {
        return RC_UNAVAIL;
    }
    r = mysql_stmt_fetch(st);
    if (r == 0 || r == MYSQL_DATA_TRUNCATED) {
        return RC_OK;
    }
    if (r == MYSQL_NO_DATA) {
        return RC_NOTFOUND;
    }
    return stmt_fail(db, st, "fetch", sql);
}

void
db_stmt_done(struct db *db, const char *sql)
{
    MYSQL_STMT *st = db_stmt(db, sql);

    if (st != NULL) {
        mysql_stmt_free_result(st);
    }
}

uint64_t
db_affected(struct db *db, const char *sql)
{
    MYSQL_STMT *st = db_stmt(db, sql);

    return st ? (uint64_t)mysql_stmt_affected_rows(st) : 0;
}

uint64_t
db_insert_id(struct db *db, const char *sql)
{
    MYSQL_STMT *st = db_stmt(db, sql);

    return st ? (uint64_t)mysql_stmt_insert_id(st) : 0;
}

void
db_bind_i64(MYSQL_BIND *b, int64_t *v, char *is_null)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
    b->is_null = (my_bool *)is_null;
}

void
db_bind_in(MYSQL_BIND *p, int64_t *vals, char *nulls, size_t cap, const int64_t *ids, size_t n)
{
    size_t k;

    for (k = 0; k < cap; k++) {
        vals[k] = k < n ? ids[k] : 0;
        nulls[k] = k >= n;
        db_bind_i64(&p[k], &vals[k], &nulls[k]);
    }
}

void
db_bind_int(MYSQL_BIND *b, int *v, char *is_null)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_LONG;
    b->buffer = v;
    b->is_null = (my_bool *)is_null;
}

void
db_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len, char *is_null)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)(uintptr_t)(s != NULL ? s : "");
    b->buffer_length = *len;
    b->length = len;
    b->is_null = (my_bool *)is_null;
}

void
db_bind_blob(MYSQL_BIND *b, const void *p, unsigned long *len)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_BLOB;
    b->buffer = (void *)(uintptr_t)(p != NULL ? p : ""); /* a NULL buffer would bind SQL NULL */
    b->buffer_length = *len;
    b->length = len;
}

void
db_bind_datetime(MYSQL_BIND *b, MYSQL_TIME *t, char *is_null)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_DATETIME;
    b->buffer = t;
    b->is_null = (my_bool *)is_null;
}

size_t
db_time_iso(const MYSQL_TIME *t, int micro, char out[DB_TIME_ISO_MAX])
{
    int f[6];

    if (t->year > 9999 || t->month > 12 || t->day > 31 || t->hour > 23 || t->minute > 59 ||
        t->second > 59 || t->second_part > 999999) {
        out[0] = '\0';
        return 0;
    }
    f[0] = (int)t->year;
    f[1] = (int)t->month;
    f[2] = (int)t->day;
    f[3] = (int)t->hour;
    f[4] = (int)t->minute;
    f[5] = (int)t->second;
    return dt_write_fields(f, 'T', micro ? (long)t->second_part : -1, "Z", out, DB_TIME_ISO_MAX);
}

void
db_bind_out_str(MYSQL_BIND *b, char *buf, unsigned long cap, unsigned long *len, char *is_null)
{
    memset(b, 0, sizeof(*b));
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = buf;
    b->buffer_length = cap;
    b->length = len;
    b->is_null = (my_bool *)is_null;
}
