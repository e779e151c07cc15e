/*
 * db_outbox.h: the search_outbox table, the queue of matches whose search
 * document must be (re)sent. The consumer writes its rows (db_ingest.c) in
 * the same transaction as the match change; the mirror (consumer/mirror.c)
 * reads pending rows in id order, deletes those the engine confirmed, and
 * counts failures until a row is parked.
 */
#ifndef ESPORTS_DB_OUTBOX_H
#define ESPORTS_DB_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct outbox_row {
    uint64_t id;
    uint64_t match_id;
    unsigned attempts; /* failed sends so far */
};

void db_outbox_register(struct db *db);

/* The mirror's lock, so two mirrors never send at once: RC_OK when this
 * connection holds it (now or already), RC_NOTFOUND when another one does. */
int db_outbox_lock(struct db *db);
/* Gives the lock back (RC_OK also when it was not held). */
int db_outbox_unlock(struct db *db);

/* Up to limit pending (not parked) rows with an id of at least from, oldest
 * first, into rows (room for limit). RC_OK with *n (0: none) or an error. */
int db_outbox_pending(struct db *db, uint64_t from, size_t limit, struct outbox_row *rows,
                      size_t *n);

/* Deletes the rows with these ids; one round trip. */
int db_outbox_delete(struct db *db, const uint64_t *ids, size_t n);

/* Records a failed send of each row: attempts + 1 and errors[i] (truncated to
 * 1024 bytes) as last_error; a row reaching max_attempts is parked. One round
 * trip. */
int db_outbox_failed(struct db *db, const uint64_t *ids, const char *const *errors, size_t n,
                     unsigned max_attempts);

/* How many rows are pending and parked. */
int db_outbox_count(struct db *db, uint64_t *pending, uint64_t *parked);

/* The database's clock, unix seconds. */
int db_outbox_now(struct db *db, int64_t *now);

/* Queues every match updated at or after since (unix seconds), so the mirror
 * sends them again (tools/reindex, for changes made while it copied).
 * *n receives how many rows were added. */
int db_outbox_enqueue_updated_since(struct db *db, int64_t since, uint64_t *n);

/* A tournament or team renamed by a message about another match: the
 * documents of every match naming it carry the old name. */
enum renamed_kind { RENAMED_TOURNAMENT, RENAMED_TEAM };

struct renamed {
    uint64_t id;
    char name[4 * 255 + 1];
    char at[32]; /* updated_at, "YYYY-MM-DD HH:MM:SS.ffffff" */
};

/* Up to limit tournaments or teams renamed after `after` (an `at` from an
 * earlier call; "" for all since they were created), in the order renamed. */
int db_outbox_renamed(struct db *db, enum renamed_kind kind, const char *after, size_t limit,
                      struct renamed *out, size_t *n);

#endif
