/*
 * db_ingest.h: the write side of the match model, used by the consumer
 * inside its batch transaction. Every function is an idempotent upsert keyed
 * by the unique keys of migrations/0001 and returns the row's id.
 */
#ifndef ESPORTS_DB_INGEST_H
#define ESPORTS_DB_INGEST_H

#include <stdint.h>

#include "db.h"
#include "idcache.h"
#include "match.h"

void db_ingest_register(struct db *db);

/* A savepoint isolates one message's writes inside the batch; the next
 * message's savepoint replaces it, so none is ever released explicitly. */
int db_ingest_savepoint(struct db *db);
int db_ingest_rollback_to(struct db *db);

/* One row of a match's team list, for db_ingest_match_teams_many. */
struct match_team_row {
    uint64_t match_id;
    uint64_t team_id;
    int position;
    int has_score;
    int64_t score;
    enum tristate winner;
};

/*
 * Writes ev: source, title, tournament, teams and the match row (replacing
 * its fields). team_ids[i] receives the id of ev->teams[i]; the team list
 * itself is written by db_ingest_match_teams_many. *match_id receives the match's
 * id. cache (may be NULL) remembers the ids of sources, titles, tournaments and teams with their
 * names, so unchanged ones cost no round trip.
 */
int db_ingest_event(struct db *db, struct idcache *cache, const struct match_event *ev,
                    uint64_t *match_id, uint64_t *team_ids);

/* Replaces the team lists of the matches in match_ids (deleting what they
 * had) with rows, two round trips in all. Every row's match must be listed. */
int db_ingest_match_teams_many(struct db *db, const uint64_t *match_ids, size_t nmatches,
                               const struct match_team_row *rows, size_t nrows);

/* Queues the search documents of these matches (search_outbox), one round trip. */
int db_ingest_outbox_many(struct db *db, const uint64_t *match_ids, size_t n);

/* The id of the match (source, external_id): RC_OK, or RC_NOTFOUND. */
int db_ingest_find_match(struct db *db, const char *source, const char *external_id,
                         uint64_t *match_id);

#endif
