/*
 * db_internal.h: what the db_<table>.c modules share with db.c. Only those
 * files include this header (and with it mysql.h).
 */
#ifndef ESPORTS_DB_INTERNAL_H
#define ESPORTS_DB_INTERNAL_H

#include <mysql.h>
#include <stdint.h>

#include "db.h"

/* The prepared statement for sql (a pointer registered with db_register), or
 * NULL when not connected. */
MYSQL_STMT *db_stmt(struct db *db, const char *sql);

/*
 * Binds params (may be NULL) and executes. Returns RC_OK; RC_UNAVAIL when the
 * connection was lost (the handle is marked for reconnect) or the server
 * cannot take writes for now (disk full, read-only, lock conflicts);
 * RC_INVALID for a duplicate key; RC_ERR otherwise. Failures are logged with the SQL's first
 * words.
 */
int db_execute(struct db *db, const char *sql, MYSQL_BIND *params);

/* Executes sql once for n parameter rows bound column-wise (MariaDB array
 * binding: each MYSQL_BIND's buffer is an array of n values, or of n pointers
 * for strings and blobs, with u.indicator marking NULLs). One round trip. */
int db_execute_many(struct db *db, const char *sql, MYSQL_BIND *params, unsigned int n);

/* Array-binding helpers: fill one MYSQL_BIND for n rows. */
void db_bind_i64_array(MYSQL_BIND *b, int64_t *v, char *indicators);
void db_bind_str_array(MYSQL_BIND *b, const char **v, unsigned long *lens, char *indicators,
                       int blob);

/* Runs a SELECT of one integer column and reads its first row into *out
 * (*is_null, when not NULL, tells SQL NULL). RC_OK, RC_NOTFOUND without a
 * row, or an error as db_execute. */
int db_select_i64(struct db *db, const char *sql, MYSQL_BIND *params, int64_t *out, char *is_null);

/* After db_execute of a SELECT: binds results and fetches the next row.
 * Returns RC_OK with a row, RC_NOTFOUND at the end, or an error as above. */
int db_bind_result(struct db *db, const char *sql, MYSQL_BIND *results);
int db_fetch(struct db *db, const char *sql);
/* Frees the result set of the statement so it can run again. */
void db_stmt_done(struct db *db, const char *sql);

/* Rows changed by the last execute of sql; the last insert id. */
uint64_t db_affected(struct db *db, const char *sql);
uint64_t db_insert_id(struct db *db, const char *sql);

/* Bind helpers: fill one MYSQL_BIND. The pointed-to values must live until
 * db_execute()/db_fetch() returns. */
void db_bind_i64(MYSQL_BIND *b, int64_t *v, char *is_null);
void db_bind_int(MYSQL_BIND *b, int *v, char *is_null);
void db_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len, char *is_null);
void db_bind_blob(MYSQL_BIND *b, const void *p, unsigned long *len);
void db_bind_datetime(MYSQL_BIND *b, MYSQL_TIME *t, char *is_null);
/* A DATETIME as the API writes it, "2020-01-07T15:00:00Z", or with micro
 * "2020-01-07T15:00:00.000000Z" (what DATE_FORMAT(x, '%Y-%m-%dT%H:%i:%s.%fZ')
 * gives, without the server's work per row); its length, or 0 (and "") for a
 * value no DATETIME column holds. */
#define DB_TIME_ISO_MAX 28
size_t db_time_iso(const MYSQL_TIME *t, int micro, char out[DB_TIME_ISO_MAX]);
/* Result binding of a string column into buf (cap bytes, NUL added by caller
 * from *len); truncation is reported by MYSQL_DATA_TRUNCATED from db_fetch. */
void db_bind_out_str(MYSQL_BIND *b, char *buf, unsigned long cap, unsigned long *len,
                     char *is_null);

/* The placeholders of an IN list of 8, 32, 64 or 128 values; the unused
 * ones are bound to NULL, which matches nothing, so one prepared text serves
 * every length up to its own. */
#define DB_IN8   "?,?,?,?,?,?,?,?"
#define DB_IN32  DB_IN8 "," DB_IN8 "," DB_IN8 "," DB_IN8
#define DB_IN64  DB_IN32 "," DB_IN32
#define DB_IN128 DB_IN64 "," DB_IN64
/* Binds ids[0..n) (n <= cap) to cap such placeholders, the rest to NULL;
 * vals and nulls hold cap values each. */
void db_bind_in(MYSQL_BIND *p, int64_t *vals, char *nulls, size_t cap, const int64_t *ids,
                size_t n);

/* Queues a renamed team or tournament (kind) in link_queue for the linker,
 * with seq (0011_link_queue.sql, 0012_link_queue_matches.sql); params: its
 * id, the seq. A rename while its matches are being relinked starts them
 * over. */
#define DB_LINK_QUEUE_RENAME(kind)                                                                 \
    "INSERT INTO link_queue (kind, subject_id, seq) VALUES ('" kind "', ?, ?)"                     \
    " ON DUPLICATE KEY UPDATE after_match = 0, seq = VALUES(seq), queued_at = UTC_TIMESTAMP(6)"

#endif
