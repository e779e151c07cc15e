/*
 * db_changes.h: the change feed (migrations/0010_changes.sql). The consumer records one
 * change per (batch, changed match) in the batch's transaction, numbered from
 * the change_seq counter so that seq grows in commit order without gaps; the
 * workers read it for /api/changes/; the consumer's live thread reads it to
 * publish to nchan, counts what it published in live_status, and prunes
 * what is past the retention.
 */
#ifndef ESPORTS_DB_CHANGES_H
#define ESPORTS_DB_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "db_matches.h"
#include "mem.h"

/* The longest page of the feed. */
#define CHANGES_LIMIT_MAX 1000

struct change_row {
    uint64_t seq;
    uint64_t match_id;
    uint64_t fixture_id;    /* the match's fixture at the commit (its own id when alone) */
    int created;            /* kind: 1 created, 0 updated */
    const char *changed_at; /* ISO 8601 UTC with microseconds and Z */
};

void db_changes_register(struct db *db);

/* Notes the database's clock at the start of a batch, inside its
 * transaction: a match whose row was created after it is "created". */
int db_changes_begin(struct db *db);

/*
 * Records the changes of match_ids (n distinct ids, all written by this
 * batch) just before the commit: takes n numbers from change_seq (its row
 * lock holds until the commit, so committers number one after the other) and
 * inserts the rows, two round trips. *first and *last receive the seqs taken
 * (both 0 when n is 0).
 */
int db_changes_record(struct db *db, const uint64_t *match_ids, size_t n, uint64_t *first,
                      uint64_t *last);

/* The oldest and newest seq kept (both 0 when the feed is empty). */
int db_changes_bounds(struct db *db, uint64_t *oldest, uint64_t *newest);

/* Up to limit changes with a seq above after, in seq order, from arena a. */
int db_changes_after(struct db *db, uint64_t after, size_t limit, struct arena *a,
                     struct change_row **out, size_t *n);

/* The matches of rows as they are now: (*out)[i] is the match of rows[i]
 * (its id 0 when it no longer exists); from arena a, one round trip per 64
 * distinct matches. */
int db_changes_matches(struct db *db, const struct change_row *rows, size_t n, struct arena *a,
                       struct match_view **out);

/*
 * Deletes up to batch changes that are older than keep_s seconds or beyond
 * the newest keep_rows (the oldest first); *deleted receives how many. Runs
 * outside a batch, in autocommit: the caller repeats it while it deletes a
 * full batch.
 */
int db_changes_prune(struct db *db, int64_t keep_s, int64_t keep_rows, size_t batch,
                     uint64_t *deleted);

/* Adds to live_status: published and failed publishes, the last seq sent
 * and, when error is not NULL, the last error. */
int db_changes_live_count(struct db *db, uint64_t published, uint64_t failed, uint64_t last_seq,
                          const char *error);

/* What live_status says: publishes and failures so far, the last seq sent. */
int db_changes_live_status(struct db *db, uint64_t *published, uint64_t *failed,
                           uint64_t *last_seq);

#endif
