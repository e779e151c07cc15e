/*
 * apply.h: one message, inside the batch's transaction.
 *
 * The message is parsed in memory first. The rows a valid one refers to
 * (source, title, tournament, teams) are upserted at once unless the id cache
 * knows them; its match row, team list, raw log row and search-outbox row
 * are queued in a struct apply_pending and written for the whole batch with
 * a few round trips (apply_flush), just before the commit. A message that does not parse
 * is queued as rejected with its reason and never touches the match tables.
 *
 * Careful mode is the fallback for the case the database refuses a write we
 * validated: each message then gets a savepoint and is written at once, so
 * the one it refuses is rejected and the rest of the batch goes on.
 */
#ifndef ESPORTS_CONSUMER_APPLY_H
#define ESPORTS_CONSUMER_APPLY_H

#include "config.h"
#include "db.h"
#include "db_ingest.h"
#include "db_messages.h"
#include "idcache.h"
#include "mem.h"
#include "mq.h"

enum apply_outcome {
    APPLY_APPLIED,  /* applied; its log row is queued */
    APPLY_REJECTED, /* its log row says why: the caller dead-letters it after commit */
    APPLY_SKIPPED,  /* a redelivery of a message already committed: only ack it */
};

struct apply_result {
    enum apply_outcome outcome;
    int changed;      /* match rows were written (data_version must move) */
    char reason[256]; /* why it was rejected */
};

/* What the open batch has queued: match rows, team lists, log rows. */
struct apply_pending {
    struct arena arena; /* copies of payloads and strings */
    struct raw_message *raw;
    size_t *raw_slot; /* index in matches of each log row's match, or SIZE_MAX */
    size_t nraw, capraw;
    struct match_row *matches; /* one per applied message, in order */
    size_t nmatches, capmatches;
    struct match_team_row *teams; /* in message order */
    size_t *team_slot;            /* index in matches of each row's message */
    size_t nteams, capteams;
    size_t bytes;         /* payload bytes queued */
    uint64_t new_matches; /* matches the flushes of this batch inserted */
    uint64_t *changed;    /* distinct matches the flushes of this batch wrote */
    size_t nchanged, capchanged;
    struct idcache *changed_set; /* the same, to tell a match already there */
    /* the data_version the batch commits, the seq of what it queues for the
     * linker (the batch sets it when it begins); 0: LINK_ENABLED=0 */
    uint64_t link_seq;
};

void apply_pending_init(struct apply_pending *p);
/* Forgets everything queued (after a commit or a rollback). */
void apply_pending_reset(struct apply_pending *p);
void apply_pending_cleanup(struct apply_pending *p);

/* Registers the statements apply needs with db (before db_connect). */
void apply_register(struct db *db);

/*
 * Applies d inside the open transaction. RC_OK with *res filled (in careful
 * mode a message whose values the database refused is rejected, with the
 * server's reason). Otherwise the caller rolls the batch back:
 *   RC_INVALID  outside careful mode, the database refused the values of a
 *               validated message: take the redeliveries in careful mode,
 *               where the culprit is found and rejected alone;
 *   RC_UNAVAIL  the server's state (lost, busy, read-only, full): back off;
 *   RC_ERR      the schema or the server refuses every write (a missing
 *               table, no permission): back off too, and say so in the
 *               status row; the messages are not at fault.
 */
int apply_message(const struct config *cfg, struct db *db, struct idcache *cache,
                  struct apply_pending *pending, int careful, const struct mq_delivery *d,
                  struct apply_result *res);

/* Writes the queued rows: RC_OK, or RC_INVALID, RC_UNAVAIL or RC_ERR as for
 * apply_message. */
int apply_flush(struct db *db, struct apply_pending *pending);

/* Queues the matches the batch changed for the linker (linker.h), after
 * its last flush and before its commit (nothing when link_seq is 0). A
 * failure of the server (RC_UNAVAIL) fails the batch; any other failure
 * undoes only the queue rows, logs it and lets the batch commit: the rows
 * are never held back by the linker, and tools/relink repairs what was left
 * out. */
int apply_link(struct db *db, struct apply_pending *pending);

/* Records the change feed rows of the matches the batch wrote
 * (db_changes_record), just before the commit; *first and *last receive their
 * seqs (0 when none). Errors as apply_flush. */
int apply_record_changes(struct db *db, struct apply_pending *pending, uint64_t *first,
                         uint64_t *last);

#endif
