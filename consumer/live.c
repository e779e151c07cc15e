/*
 * live.c: publishing committed changes to nchan and pruning the feed; see
 * live.h. The thread keeps a cursor (the last seq it handled) and a target
 * (the last seq committed, from live_notify); a round reads the changes in
 * between from the feed, as /api/changes/ would, and posts each one.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "db_changes.h"
#include "db_matches.h"
#include "es.h"
#include "live.h"
#include "log.h"
#include "mem.h"
#include "rc.h"
#include "render_json.h"

#define PAGE           100     /* changes read per round trip */
#define BACKLOG_MAX    10000   /* further behind than this: skip ahead (clients use the feed) */
#define PRUNE_EVERY_MS 10000   /* how often the retention is applied */
#define PRUNE_BATCH    1000    /* rows per DELETE */
#define PRUNE_BUDGET   200     /* ms of deleting per turn at most */
#define BODY_MAX       1048576 /* one change's JSON (a match with 64 long-named teams fits) */
/* After a failed publish the next try waits this long; the changes committed
 * meanwhile are counted as not sent, without reading them (a publisher that
 * is down cost a page of changes and views read per batch). */
#define RETRY_MS 1000
/* The counts go to live_status at most this often (a transaction a round
 * was one a batch), and when the thread stops. */
#define FLUSH_EVERY_MS 1000

struct live {
    const struct config *cfg;
    struct db *db;
    struct es *http; /* the HTTP client, to nchan's publisher; NULL: no push */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    volatile sig_atomic_t stop;
    int started;
    uint64_t cursor; /* handled up to here; 0: nothing yet (set by the first notify) */
    uint64_t target; /* committed up to here */
    struct backoff reconnect;
    struct arena arena;
    buf_t body;
    int failing;          /* publishes fail; logged at the start of the streak */
    uint64_t streak;      /* failures in the current streak */
    long prune_ms;        /* when the retention is applied next */
    long retry_ms;        /* failing: when to try the publisher again */
    long flush_ms;        /* when the counts are written next, at the latest */
    uint64_t pending_pub; /* counts not yet written to live_status */
    uint64_t pending_fail;
    char last_error[512];
};

/* Posts one change to the channels of its match. RC_OK or the client's rc. */
static int
publish(struct live *l, const struct change_row *c, const struct match_view *m)
{
    char path[64];
    long status = 0;
    int rc;

    buf_reset(&l->body);
    render_json_change(&l->body, c, m);
    if (l->body.err) {
        snprintf(l->last_error, sizeof(l->last_error), "change %llu: too large to publish",
                 (unsigned long long)c->seq);
        return RC_ERR;
    }
    snprintf(path, sizeof(path), "/match/%llu", (unsigned long long)c->match_id);
    rc = es_request(l->http, "POST", path, "application/json", l->body.data, l->body.len, &status,
                    NULL);
    if (rc != RC_OK) {
        snprintf(l->last_error, sizeof(l->last_error), "%s", es_last_error(l->http));
    }
    return rc;
}

/* A publish failed (first of a streak: logged) or went through again. */
static void
note_result(struct live *l, int ok, uint64_t seq, uint64_t skipped)
{
    if (ok) {
        l->pending_pub++;
        if (l->failing) {
            log_info("live", "event=live_publish_resumed seq=%llu failed=%llu",
                     (unsigned long long)seq, (unsigned long long)l->streak);
            l->failing = 0;
            l->streak = 0;
        }
        return;
    }
    l->pending_fail += 1 + skipped;
    l->streak += 1 + skipped;
    l->retry_ms = dt_mono_ms() + RETRY_MS;
    if (!l->failing) {
        log_warn("live", "event=live_publish_failed seq=%llu error=\"%s\" action=skipped",
                 (unsigned long long)seq, l->last_error);
        l->failing = 1;
    }
}

/* Publishes the changes after from up to to; returns the last seq handled
 * (from when the database could not be read: the round is tried again). */
static uint64_t
publish_round(struct live *l, uint64_t from, uint64_t to)
{
    if (to - from > BACKLOG_MAX) {
        log_warn("live", "event=live_backlog_skipped from=%llu to=%llu", (unsigned long long)from,
                 (unsigned long long)(to - BACKLOG_MAX));
        l->pending_fail += to - BACKLOG_MAX - from;
        from = to - BACKLOG_MAX;
    }
    while (from < to && !l->stop) {
        struct change_row *rows;
        struct match_view *views;
        size_t n, i;
        int rc;

        arena_reset(&l->arena);
        rc = db_changes_after(l->db, from, to - from < PAGE ? (size_t)(to - from) : PAGE, &l->arena,
                              &rows, &n);
        if (rc == RC_OK) {
            rc = db_changes_matches(l->db, rows, n, &l->arena, &views);
        }
        if (rc != RC_OK) {
            break; /* logged by db: the next round reads them again */
        }
        if (n == 0) {
            return to; /* pruned meanwhile */
        }
        for (i = 0; i < n; i++) {
            if (publish(l, &rows[i], views[i].id != 0 ? &views[i] : NULL) == RC_OK) {
                note_result(l, 1, rows[i].seq, 0);
            } else {
                /* unreachable or refusing: the rest of the round is not sent,
                 * so a dead publisher costs one timeout per round */
                note_result(l, 0, rows[i].seq, to - rows[i].seq);
                return to;
            }
        }
        from = rows[n - 1].seq;
    }
    return from;
}

/* The changes after from up to to, when the publisher failed less than
 * RETRY_MS ago: counted as not sent, unread. */
static uint64_t
skip_round(struct live *l, uint64_t from, uint64_t to)
{
    l->pending_fail += to - from;
    l->streak += to - from;
    return to;
}

/* Writes what the rounds counted into live_status, FLUSH_EVERY_MS after the
 * last time at the soonest (unless now). */
static void
flush_counts(struct live *l, uint64_t last_seq, int now)
{
    if ((l->pending_pub == 0 && l->pending_fail == 0) || (!now && dt_mono_ms() < l->flush_ms)) {
        return;
    }
    l->flush_ms = dt_mono_ms() + FLUSH_EVERY_MS;
    if (db_changes_live_count(l->db, l->pending_pub, l->pending_fail, last_seq,
                              l->pending_fail > 0 ? l->last_error : NULL) == RC_OK) {
        l->pending_pub = l->pending_fail = 0;
    }
}

static void
prune(struct live *l)
{
    long t0 = dt_mono_ms();
    uint64_t deleted, total = 0;

    do {
        if (db_changes_prune(l->db, l->cfg->changes_keep_s, l->cfg->changes_keep_rows, PRUNE_BATCH,
                             &deleted) != RC_OK) {
            break;
        }
        total += deleted;
    } while (deleted == PRUNE_BATCH && dt_mono_ms() - t0 < PRUNE_BUDGET && !l->stop);
    if (total > 0) {
        log_info("live", "event=changes_pruned deleted=%llu ms=%ld", (unsigned long long)total,
                 dt_mono_ms() - t0);
    }
    /* a full turn leaves the rest for soon, not for the next PRUNE_EVERY_MS */
    l->prune_ms = dt_mono_ms() + (deleted == PRUNE_BATCH ? 1000 : PRUNE_EVERY_MS);
}

/* Waits wait_ms, or until there are changes to publish (unless idle_only is
 * 0: then the whole time, after a failure) or the thread stops. */
static void
wait_for_work(struct live *l, long wait_ms, int idle_only)
{
    struct timespec until;

    dt_deadline(&until, wait_ms);
    pthread_mutex_lock(&l->mu);
    while (!l->stop && (!idle_only || l->cursor >= l->target) &&
           pthread_cond_timedwait(&l->cv, &l->mu, &until) == 0) {
    }
    pthread_mutex_unlock(&l->mu);
}

static void *
live_main(void *arg)
{
    struct live *l = arg;

    while (!l->stop) {
        uint64_t from, to, done;
        long wait;

        if (!db_is_connected(l->db) && db_connect(l->db, 0, &l->stop) != RC_OK) {
            wait_for_work(l, backoff_next(&l->reconnect), 0);
            continue;
        }
        backoff_reset(&l->reconnect);
        pthread_mutex_lock(&l->mu);
        from = l->cursor;
        to = l->target;
        pthread_mutex_unlock(&l->mu);
        if (from < to) {
            if (l->http == NULL) {
                done = to;
            } else if (l->failing && dt_mono_ms() < l->retry_ms) {
                done = skip_round(l, from, to);
            } else {
                done = publish_round(l, from, to);
            }
            pthread_mutex_lock(&l->mu);
            if (done > l->cursor) {
                l->cursor = done;
            }
            pthread_mutex_unlock(&l->mu);
            if (done < to) {
                wait_for_work(l, 200, 0); /* the database failed: not at once again */
                continue;
            }
        }
        flush_counts(l, from < to ? to : from, 0);
        if (dt_mono_ms() >= l->prune_ms) {
            prune(l);
        }
        wait = l->prune_ms - dt_mono_ms();
        wait_for_work(l, wait < 1 ? 1 : wait > 1000 ? 1000 : wait, 1);
    }
    if (db_is_connected(l->db)) {
        flush_counts(l, l->cursor, 1); /* what the last rounds counted */
    }
    return NULL;
}

struct live *
live_start(const struct config *cfg)
{
    struct live *l = xcalloc(1, sizeof(*l));

    l->cfg = cfg;
    l->db = db_new(cfg, 0);
    db_changes_register(l->db);
    db_matches_register(l->db);
    if (cfg->live_publish_url[0] != '\0') {
        struct es_options opt;

        /* one try, short: a change not delivered is in the feed anyway */
        opt.connect_timeout_ms = cfg->live_timeout_ms < 250 ? cfg->live_timeout_ms : 250;
        opt.timeout_ms = cfg->live_timeout_ms;
        opt.retries = 0;
        opt.retry_max_ms = 10;
        l->http = es_new(cfg->live_publish_url, &opt);
    }
    backoff_init(&l->reconnect, 100, cfg->db_retry_max_ms);
    arena_init(&l->arena, 64 * 1024);
    buf_init(&l->body, BODY_MAX);
    l->prune_ms = dt_mono_ms() + 1000;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->thread, NULL, live_main, l) != 0) {
        log_error("live", "event=live_thread_failed");
    } else {
        l->started = 1;
    }
    log_info("live", "event=live_started publish=%s keep_s=%d keep_rows=%d",
             l->http != NULL ? "on" : "off", cfg->changes_keep_s, cfg->changes_keep_rows);
    return l;
}

void
live_notify(struct live *l, uint64_t first, uint64_t last)
{
    if (l == NULL || last == 0) {
        return;
    }
    pthread_mutex_lock(&l->mu);
    if (l->cursor == 0) {
        l->cursor = first - 1; /* what was committed before this process is not pushed */
    }
    if (last > l->target) {
        l->target = last;
    }
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void
live_stop(struct live *l)
{
    if (l == NULL) {
        return;
    }
    if (l->started) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    es_free(l->http);
    buf_cleanup(&l->body);
    arena_cleanup(&l->arena);
    db_free(l->db);
    free(l);
}
