/*
 * db_link.h: the stored links (migrations/0006_linking.sql) and the
 * incremental linker that keeps them a function of the current rows and a
 * person's decisions.
 *
 * db_link_matches() recomputes every fixture a set of changed matches can
 * touch: their old fixtures, the fixtures of their candidates, and so on
 * along the links at or above the high threshold (and the pairs a person
 * confirmed) until the set is closed. Inside that closed set the clusters are
 * exactly what a rebuild of every row gives, so incremental linking and
 * tools/relink agree. Only what differs from the stored rows is written.
 * Team identities follow from the fixtures: the teams two linked matches
 * pair up are one team, unless a person said otherwise.
 *
 * Everything runs inside the caller's transaction.
 */
#ifndef ESPORTS_DB_LINK_H
#define ESPORTS_DB_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "link.h"

/* Closed sets larger than this are linked as far as they were gathered and logged. */
#define DB_LINK_MAX_NODES 4096

struct db_link_stats {
    uint64_t runs;            /* db_link_matches calls */
    uint64_t nodes;           /* matches gathered */
    uint64_t pairs;           /* pairs scored */
    uint64_t fixture_rows;    /* fixture_members rows written */
    uint64_t identity_rows;   /* team_identity_members rows written */
    uint64_t suggestion_rows; /* match_links suggestions written or removed */
    uint64_t team_edge_rows;  /* team_edges rows written or removed */
    uint64_t truncated;       /* closed sets cut at DB_LINK_MAX_NODES */
    double ms_nodes, ms_links, ms_block, ms_write, ms_teams; /* where the time went */
    /* The matches whose JSON the links changed (their fixture_id, or a
     * team's identity_id): appended when `touch` is set, for the change feed
     * and the search outbox; duplicates possible; the caller frees. */
    int touch;
    int64_t *touched;
    size_t ntouched, captouched;
    /* The matches whose search documents changed though their JSON did not:
     * a team of theirs gained or lost an identity-mate, whose name is one of
     * its aliases. Appended with `touched`, for the outbox only; duplicates
     * possible; the caller frees. */
    int64_t *resent;
    size_t nresent, capresent;
    /* Set: the matches of a renamed team or tournament are queued in
     * link_queue (0011_link_queue.sql) for db_link_queue_take() instead of
     * being relinked now; `queued` counts the renames queued. */
    int defer_renames;
    uint64_t queued;
    uint64_t queue_seq; /* the seq of the rows it queues */
    /* Called (unless NULL) once the links are written, before the first
     * write of a row that ingestion writes too (teams.link_norm,
     * tournaments.link_norm, link_queue): everything before it reads, or
     * writes only the tables of links (fixture_members, match_links,
     * team_edges, team_identity_members), which ingestion never locks. The
     * consumer's linker takes the batches' row lock there, so it never holds
     * a row a batch may want while it waits for that lock. A failure ends
     * the run with it. */
    int (*before_shared_write)(void *arg);
    void *before_shared_write_arg;
    /* The match rows read by earlier runs (NULL: read every one); `cached`
     * counts the nodes taken from it. */
    struct db_link_cache *cache;
    uint64_t cached;
};

/*
 * The match rows (with their teams, stored fixture and norms) a run read,
 * kept for the next runs of the same writer: the consumer's linker, whose
 * slices read mostly the same candidates one after the other. What makes an
 * entry stale is named to it: the matches a batch changed (the queue: forget
 * them before the run), a rename, or a write by another writer of links (the
 * epoch moved: tools/link, tools/relink); the run itself records the
 * fixtures it writes into it, so a transaction that does not commit must
 * clear it. At most max_nodes entries: past that it starts over.
 */
struct db_link_cache;
struct db_link_cache *db_link_cache_new(size_t max_nodes);
void db_link_cache_free(struct db_link_cache *c);
void db_link_cache_clear(struct db_link_cache *c);
void db_link_cache_forget(struct db_link_cache *c, const int64_t *ids, size_t n);
/* Clears c unless it was filled at this epoch (db_link_epoch), and when it is full. */
void db_link_cache_epoch(struct db_link_cache *c, uint64_t epoch);

/* Frees the lists of st (touched, resent). */
void db_link_stats_cleanup(struct db_link_stats *st);

/* Registers the linker's statements and those of the decisions. */
void db_link_register(struct db *db);
void db_link_decide_register(struct db *db);

/* Relinks the matches ids[0..n) (duplicates allowed). RC_OK or an error as
 * db.h describes; on an error the caller rolls back (or to a savepoint). */
int db_link_matches(struct db *db, const struct link_params *p, const int64_t *ids, size_t n,
                    struct db_link_stats *st);

/* A savepoint before linking, and the way back to it (the links undone,
 * the rows kept). */
int db_link_savepoint(struct db *db);
int db_link_undo(struct db *db);

/* For a writer other than the consumer (tools/link, tools/relink), first in
 * its transaction: moves data_version, so cached responses are not served
 * past the commit, and holds the row the consumer's batches lock, so the two
 * never relink the same matches at once. */
int db_link_bump_version(struct db *db);
/* The consumer's linker: moves data_version only (not the epoch). */
int db_link_bump_data_version(struct db *db);
/* consumer_status.link_epoch (0013_link_epoch.sql): moved by every
 * transaction of db_link_bump_version. */
int db_link_epoch(struct db *db, uint64_t *epoch);

/* Queues the matches ids[0..n) in link_queue (kind 'match',
 * 0012_link_queue_matches.sql) for the linker, with seq = the data_version
 * the caller's batch commits: a match queued again moves to the back. */
int db_link_enqueue(struct db *db, const uint64_t *ids, size_t n, uint64_t seq);

/* One row of link_queue as db_link_queue_take read it. */
enum db_link_queued_kind {
    DB_LINK_QUEUED_MATCH,
    DB_LINK_QUEUED_TEAM,
    DB_LINK_QUEUED_TOURNAMENT,
};
struct db_link_queued {
    enum db_link_queued_kind kind;
    int64_t id, after, seq;
    int64_t advance_to; /* team or tournament: its matches up to here are out (0: all) */
};
struct db_link_taken {
    struct db_link_queued *q;
    size_t n, cap;
};

/* Up to `limit` matches to relink into out, *n = how many: the queued
 * matches (the oldest seq first), then those of the queued teams and
 * tournaments (the longest waiting first, each one's matches in id order).
 * Only reads; *t records the rows read, for db_link_queue_settle once they
 * are relinked. *more = the queue may hold more. */
int db_link_queue_take(struct db *db, size_t limit, int64_t *out, size_t *n, int *more,
                       struct db_link_taken *t);
/* Removes the rows of t from the queue (or moves a team's or tournament's
 * past its matches taken), each only if no one queued it again since it was
 * read (its seq is unchanged): that one waits for the next slice. */
int db_link_queue_settle(struct db *db, const struct db_link_taken *t);
void db_link_taken_free(struct db_link_taken *t);

/* The named lock of the writers of links (GET_LOCK('esports.link')): the
 * consumer's linker holds it for one slice, tools/link and tools/relink for
 * their run. *got = 1 when taken within timeout_s seconds (0: not). */
int db_link_lock(struct db *db, int timeout_s, int *got);
int db_link_unlock(struct db *db);
/* Empties the queue (tools/relink, which relinks every match). */
int db_link_queue_clear(struct db *db);

/* Recomputes the identities of the teams ids[0..n) and of everything linked
 * to them. */
int db_link_teams(struct db *db, const int64_t *ids, size_t n, struct db_link_stats *st);

/* Sets teams.link_norm of up to `limit` teams with id > after (in id order)
 * to link_norm_team(name); *last = the last id seen (0: none left),
 * *changed += rows that differed. */
int db_link_norms(struct db *db, int64_t after, size_t limit, int64_t *last, uint64_t *changed);

/* The ids of up to `limit` matches (or teams, teams != 0) with id > after, in
 * order, into out; *n = how many. */
int db_link_next_ids(struct db *db, int teams, int64_t after, size_t limit, int64_t *out,
                     size_t *n);

/* A person's decisions (tools/link). Each is recorded in link_decisions with
 * its note and applied at once. RC_INVALID with a reason in err for a bad
 * subject (no such match, the same match twice, ...). */
enum db_link_kind {
    DB_LINK_CONFIRM,     /* a, b: matches */
    DB_LINK_REJECT,      /* a, b: matches */
    DB_LINK_SPLIT,       /* a: match, out of its fixture */
    DB_LINK_MERGE_TEAMS, /* a, b: teams */
    DB_LINK_SPLIT_TEAM,  /* a: team, out of its identity */
    DB_LINK_ALIAS_TITLE, /* alias: a title's name, b: the title it means */
};

int db_link_decide(struct db *db, const struct link_params *p, enum db_link_kind kind, int64_t a,
                   int64_t b, const char *alias, const char *note, int64_t *decision_id, char *err,
                   size_t errlen, struct db_link_stats *st);

/* Outside the consumer (tools/link, tools/relink): the matches st->touched
 * names (st->touch set before linking) get their search documents sent again
 * and a change feed row each, those st->resent names their documents sent
 * again only, in the caller's transaction; *first..*last
 * receive the change seqs (0: none). Needs db_ingest_register and
 * db_changes_register. */
int db_link_publish(struct db *db, struct db_link_stats *st, uint64_t *first, uint64_t *last);
/* The outbox rows of st->resent alone (each match once; the list is sorted),
 * in the caller's transaction: what the consumer's batch adds to the rows
 * it writes itself. db_link_publish includes it. */
int db_link_resend(struct db *db, struct db_link_stats *st);

/* One row of db_link_list. */
struct db_link_row {
    int64_t match_a, match_b;
    double probability;
    const char *status;
    const char *evidence; /* JSON */
    const char *source_a, *external_a, *source_b, *external_b;
};

/* Calls fn for up to `limit` match_links rows of `status` ("suggested",
 * "confirmed", "rejected"), of match `match` only when it is not 0, the
 * most probable first. */
int db_link_list(struct db *db, const char *status, int64_t match, size_t limit,
                 void (*fn)(const struct db_link_row *row, void *ctx), void *ctx);

#endif
