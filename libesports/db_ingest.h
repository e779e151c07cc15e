/*
 * db_ingest.h: the write side of the match model, used by the consumer
 * inside its batch transaction. Every function is an idempotent upsert keyed
 * by the unique keys of migrations/0001 and returns the row's id.
 */
#ifndef ESPORTS_DB_INGEST_H
#define ESPORTS_DB_INGEST_H

#include <stdint.h>

#include "db.h"
#include "match.h"

void db_ingest_register(struct db *db);

/* Savepoints isolate one message's writes inside the batch. */
int db_ingest_savepoint(struct db *db);
int db_ingest_release(struct db *db);
int db_ingest_rollback_to(struct db *db);

/*
 * Writes ev: source, title, tournament, teams, the match row (replacing its
 * fields), its team list and scores (replaced in message order) and a search
 * outbox row. *match_id receives the match's id.
 */
int db_ingest_event(struct db *db, const struct match_event *ev, uint64_t *match_id);

/* The id of the match (source, external_id): RC_OK, or RC_NOTFOUND. */
int db_ingest_find_match(struct db *db, const char *source, const char *external_id,
                         uint64_t *match_id);

#endif
