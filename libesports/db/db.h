/*
 * db.h: the MariaDB connection (MariaDB Connector/C behind this module and the
 * db_<table>.c modules; nothing else includes mysql.h).
 *
 * A struct db holds one connection, utf8mb4, UTC session time zone, and the
 * prepared statements of every table module registered with it. When the
 * server goes away, the next call that needs it reconnects and prepares the
 * statements again; callers only ever see RC_UNAVAIL while it is down.
 */
#ifndef ESPORTS_DB_H
#define ESPORTS_DB_H

#include <signal.h>
#include <stddef.h>

#include "config.h"

struct db;

enum db_flags {
    DB_MULTI_STATEMENTS = 1, /* allow db_exec_script (migrations only) */
    /* the session checks no foreign key: its writes take no shared lock on
     * the rows they refer to (the consumer's linker, consumer/linker.h) */
    DB_NO_FK_CHECKS = 2,
};

/* A new, unconnected handle. cfg must outlive it. */
struct db *db_new(const struct config *cfg, int flags);
/* Closes the connection and its statements. Accepts NULL. */
void db_free(struct db *db);

/* Registers a table module's SQL texts. Each is prepared on every
 * (re)connect and found again by db_stmt() through the same pointer, so the
 * strings must be static. Call before db_connect(). */
void db_register(struct db *db, const char *const *sqls, size_t n);

/*
 * Connects, retrying with exponential backoff (100 ms doubling up to
 * DB_RETRY_MAX_MS) until wait_ms have passed (wait_ms < 0: forever) or *stop
 * becomes non-zero (stop may be NULL). Returns RC_OK or RC_UNAVAIL; every
 * failed attempt is logged.
 */
int db_connect(struct db *db, long wait_ms, volatile sig_atomic_t *stop);

/* RC_OK when connected; otherwise one immediate reconnect attempt, then
 * RC_UNAVAIL. */
int db_ensure(struct db *db);

/* Round trip to the server (reconnecting once if needed): RC_OK or RC_UNAVAIL. */
int db_ping(struct db *db);

/* 1 while the handle believes it is connected. */
int db_is_connected(const struct db *db);

/*
 * Every statement function returns RC_OK, RC_NOTFOUND (no row), or:
 *   RC_UNAVAIL  the server's state: connection lost, server busy, locked,
 *               read-only, disk full: worth retrying later;
 *   RC_INVALID  the server refused the values of this statement (too long,
 *               out of range, a duplicate, a failed CHECK): the input is at
 *               fault, retrying the same values fails again;
 *   RC_ERR      anything else: a broken schema, permissions, our bug.
 * db_last_error() gives the server's text of the last failure.
 */
const char *db_last_error(const struct db *db);

int db_begin(struct db *db);
int db_commit(struct db *db);
/* Rolls back; a lost connection rolls back by itself, so that is RC_OK too. */
int db_rollback(struct db *db);

/* Runs a script of ;-separated statements (migrations; needs
 * DB_MULTI_STATEMENTS). On failure err holds the server's message. */
int db_exec_script(struct db *db, const char *sql, size_t len, char *err, size_t errlen);

#endif
