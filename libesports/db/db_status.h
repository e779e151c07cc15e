/*
 * db_status.h: the consumer_status row (id = 1). The consumer writes it; the
 * FastCGI workers read it for /healthz and /metrics.
 */
#ifndef ESPORTS_DB_STATUS_H
#define ESPORTS_DB_STATUS_H

#include <stdint.h>
#include <time.h>

#include "db.h"

struct consumer_status {
    uint64_t applied;
    uint64_t rejected;
    int64_t last_applied_at; /* unix seconds, 0 = never */
    char last_error[1025];
    int64_t last_error_at;
    int pid; /* 0 = never started */
    int64_t started_at;
    int broker_connected;
    int64_t heartbeat_at;  /* unix seconds of the consumer's last sign of life */
    int64_t heartbeat_age; /* seconds since then, by the database clock; -1 = never */
    uint64_t data_version;
    char state[17]; /* what the consumer last said: running, retrying, blocked */
    char state_reason[1025];
    int64_t queue_depth;     /* messages ready in the queue; -1 = never measured */
    int64_t queue_depth_age; /* seconds since it was measured; -1 = never */
    int64_t waiting_age;     /* seconds deliveries have waited without a commit; -1 = none */
    int64_t commit_age;      /* seconds since the last commit; -1 = never */
    int64_t failed_batches;  /* rolled back since the last commit */
};

/* What the active consumer says of itself. */
struct consumer_report {
    int broker_connected;
    const char *state;   /* "running", "retrying" or "blocked" */
    const char *reason;  /* "" when running */
    int64_t queue_depth; /* -1: not measured this time (the last value stays) */
    int64_t waiting_us;  /* how long deliveries have waited uncommitted; -1: none */
    int64_t failed_batches;
};

/* The verdict on ingestion that /healthz, /metrics and the website's banner
 * share, judged from the row by the database clock. */
struct ingest_health {
    const char *state; /* running, retrying, blocked, stalled, down, stopped */
    char reason[1200]; /* why, when not running; "" otherwise */
    int waiting;       /* messages are known to wait */
    int64_t stalled_s; /* how long they have waited without a commit; 0 = not waiting */
    int stalled;       /* waiting longer than the limit, or the consumer silent that long */
};

/* Judges cs (may be NULL: the row could not be read) against stall_s, the
 * seconds of waiting without progress (or of silence) that make a stall. */
void ingest_judge(const struct consumer_status *cs, int stall_s, struct ingest_health *h);

/* Registers the statements with db; call once before db_connect(). */
void db_status_register(struct db *db);

/* Reads the row. RC_OK, RC_NOTFOUND (migrations not applied), RC_UNAVAIL. */
int db_status_get(struct db *db, struct consumer_status *out);

/* The current data_version (no lock): RC_OK or an error. */
int db_status_version(struct db *db, uint64_t *version);

/* The consumer started: records pid and start time, broker not yet
 * connected, unless another consumer's heartbeat is fresh (a stand-by). */
int db_status_started(struct db *db, int pid);
/* A consumer the broker gives the queue takes the row over when its owner
 * stopped or has been silent for 30 s: RC_OK, or RC_NOTFOUND when the row
 * has another live owner (or is pid's already). */
int db_status_claim(struct db *db, int pid, int64_t started);
/* A sign of life with the consumer's state (refreshes heartbeat_at); changes
 * nothing unless pid owns the row. */
int db_status_report(struct db *db, int pid, const struct consumer_report *r);
/* Records an error text (truncated to 1024 bytes) and its time. */
int db_status_error(struct db *db, const char *err);
/* Inside the batch transaction, first thing: locks the row (so two consumers
 * never interleave batches) and reads data_version. */
int db_status_lock_version(struct db *db, uint64_t *version);
/* Inside the batch transaction: adds the batch's counts (and new matches to
 * matches_total), bumps data_version
 * when changed > 0, sets last_applied_at when applied > 0, and makes pid
 * (started at unix time started) the row's consumer: the one committing is
 * the active one. */
int db_status_add(struct db *db, unsigned applied, unsigned rejected, unsigned changed,
                  uint64_t new_matches, int pid, int64_t started);
/* The consumer pid is stopping: when it is the row's, pid cleared and broker
 * disconnected. */
int db_status_stopped(struct db *db, int pid);

#endif
