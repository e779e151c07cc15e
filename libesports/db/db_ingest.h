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

/* The columns of a match row, for db_ingest_matches_many. */
struct match_row {
    uint64_t source_id;
    const char *external_id;
    const char *url; /* NULL = none */
    int has_state, has_bestof, has_date;
    int64_t state, bestof, date_start;
    uint64_t title_id, tournament_id; /* 0 = none */
    uint64_t id;                      /* set by db_ingest_matches_many */
};

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
 * Upserts what ev refers to, its source, title, tournament and teams, and
 * fills *m with the match's columns; team_ids[i] receives the id of
 * ev->teams[i]. The match row itself is written later for the whole batch by
 * db_ingest_matches_many. cache (may be NULL) remembers the ids of sources,
 * titles, tournaments and teams with their names, so unchanged ones cost no
 * round trip. A team or tournament whose name changed is queued for the
 * linker (link_queue) with seq link_seq, the data_version the batch commits;
 * 0: linking is off, nothing is queued.
 */
int db_ingest_event(struct db *db, struct idcache *cache, const struct match_event *ev,
                    uint64_t link_seq, struct match_row *m, uint64_t *team_ids);

/*
 * Upserts rows in order (a later row for the same match replaces an earlier
 * one's fields) in one round trip, then reads their ids back (one round trip
 * per 32 distinct matches) into rows[i].id. *inserted receives how many
 * of the rows were new matches.
 */
int db_ingest_matches_many(struct db *db, struct match_row *rows, size_t n, uint64_t *inserted);

/* Replaces the team lists of match_ids (deleting what they had) with rows,
 * two round trips in all. */
int db_ingest_match_teams_many(struct db *db, const uint64_t *match_ids, size_t nmatches,
                               const struct match_team_row *rows, size_t nrows);

/* Queues the search documents of these matches (search_outbox), one round trip. */
int db_ingest_outbox_many(struct db *db, const uint64_t *match_ids, size_t n);

#endif
