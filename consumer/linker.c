/* linker.c: the consumer's linker thread; see linker.h. */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "db.h"
#include "db_changes.h"
#include "db_ingest.h"
#include "db_link.h"
#include "db_status.h"
#include "link.h"
#include "linker.h"
#include "log.h"
#include "mem.h"
#include "rc.h"

/* How long an idle linker waits before it looks at the queue by itself
 * (what an earlier consumer left, a busy named lock). */
#define IDLE_MS  1000
#define RETRY_MS 1000
/* After a slice that emptied the queue while the consumer is still taking a
 * backlog (linker_feeding), the batches get this long to queue more before
 * the next: a slice gathers the candidates of all its matches at once, and
 * its matches share most of them, so one of 1,000 loads under 2 rows per
 * match where one of 100 (a batch) loaded 5. Once the consumer has drained
 * its queue the wait ends: the last batches of a burst, and a first match
 * after a quiet time, are linked at once. */
#define LINGER_MS 200

struct linker {
    const struct config *cfg;
    struct link_params lp;
    struct db *db;
    struct commitclock *clock;
    pthread_mutex_t *clock_mu;
    linker_published_fn published;
    void *arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int notified;
    int feeding; /* the consumer is taking a backlog: see linker_feeding */
    volatile sig_atomic_t stop;
    atomic_ulong bumps;
    struct backoff reconnect;
    int64_t *ids;
    struct db_link_cache *cache; /* match rows read by earlier slices */
};

/* Match rows the linker keeps between slices (about 1 kB each). */
#define CACHE_NODES 20000

/* What one slice did. */
enum slice_end {
    SLICE_EMPTY,  /* the queue was empty */
    SLICE_DONE,   /* a slice committed; maybe more */
    SLICE_AGAIN,  /* a slice committed and the queue holds more */
    SLICE_WAIT,   /* not our turn: another writer of links, or a stand-by */
    SLICE_FAILED, /* rolled back */
};

/* The second step of a slice (linker.h): db_link_matches calls it once the
 * closed set is read, or the slice does when it had no match to relink. */
struct hold {
    struct linker *l;
    struct db_link_stats *st;
    const struct db_link_taken *taken;
    uint64_t version; /* data_version under the lock */
    int held;
    long held_ms; /* when it was taken (dt_mono_ms) */
};

static int
hold(void *arg)
{
    struct hold *h = arg;
    int rc = db_status_lock_version(h->l->db, &h->version);

    if (rc == RC_OK) {
        h->held = 1;
        h->held_ms = dt_mono_ms();
        /* what the slice queues again is behind every row read before */
        h->st->queue_seq = h->version;
        rc = db_link_queue_settle(h->l->db, h->taken);
    }
    return rc;
}

/* Commits, marked on the workers' commit clock when links moved. */
static int
commit(struct linker *l, int bumped)
{
    int rc;

    pthread_mutex_lock(l->clock_mu);
    if (bumped) {
        commitclock_begin(l->clock);
    }
    rc = db_commit(l->db);
    if (bumped) {
        commitclock_done(l->clock);
    }
    pthread_mutex_unlock(l->clock_mu);
    return rc;
}

/* What the cache may no longer hold: the matches taken (a batch changed
 * them), everything after a rename or another writer's transaction. */
static void
forget(struct linker *l, const struct db_link_taken *t, uint64_t epoch)
{
    size_t i;

    db_link_cache_epoch(l->cache, epoch);
    for (i = 0; i < t->n; i++) {
        if (t->q[i].kind != DB_LINK_QUEUED_MATCH) {
            db_link_cache_clear(l->cache);
            db_link_cache_epoch(l->cache, epoch);
            return;
        }
        db_link_cache_forget(l->cache, &t->q[i].id, 1);
    }
}

static enum slice_end
slice(struct linker *l)
{
    struct db_link_stats st;
    struct db_link_taken taken;
    struct consumer_status cs;
    struct hold h;
    uint64_t first = 0, last = 0;
    size_t n = 0;
    long t0 = dt_mono_ms();
    uint64_t epoch = 0;
    int got = 0, more = 0, bumped = 0, rc;

    rc = db_link_lock(l->db, 0, &got);
    if (rc != RC_OK || !got) {
        return rc == RC_OK ? SLICE_WAIT : SLICE_FAILED;
    }
    if (db_status_get(l->db, &cs) != RC_OK || cs.pid != (int)getpid()) {
        (void)db_link_unlock(l->db);
        db_link_cache_clear(l->cache); /* another consumer may link meanwhile */
        return SLICE_WAIT;
    }
    memset(&st, 0, sizeof(st));
    memset(&taken, 0, sizeof(taken));
    memset(&h, 0, sizeof(h));
    h.l = l;
    h.st = &st;
    h.taken = &taken;
    st.touch = 1;
    st.defer_renames = 1; /* what a slice renames is queued for the next */
    st.before_shared_write = hold;
    st.before_shared_write_arg = &h;
    st.cache = l->cache;
    rc = db_begin(l->db);
    if (rc == RC_OK) {
        rc = db_changes_begin(l->db);
    }
    if (rc == RC_OK) {
        rc = db_link_epoch(l->db, &epoch); /* the snapshot's first read */
    }
    if (rc == RC_OK) {
        rc = db_link_queue_take(l->db, LINKER_SLICE, l->ids, &n, &more, &taken);
    }
    if (rc == RC_OK) {
        forget(l, &taken, epoch);
    }
    if (rc == RC_OK && taken.n == 0) {
        (void)db_rollback(l->db);
        (void)db_link_unlock(l->db);
        db_link_taken_free(&taken);
        return SLICE_EMPTY;
    }
    if (rc == RC_OK) {
        rc = db_link_matches(l->db, &l->lp, l->ids, n, &st);
    }
    if (rc == RC_OK && !h.held) {
        rc = hold(&h);
    }
    if (rc == RC_OK && st.ntouched > 0) {
        rc = db_link_bump_data_version(l->db);
        if (rc == RC_OK) {
            bumped = 1;
            atomic_fetch_add(&l->bumps, 1); /* under the lock: see linker_bumps */
        }
    }
    if (rc == RC_OK) {
        rc = db_link_publish(l->db, &st, &first, &last);
    }
    if (rc == RC_OK) {
        rc = commit(l, bumped);
    }
    if (rc != RC_OK) {
        log_warn(
            "link",
            "event=slice_failed rc=%s matches=%zu err=\"%s\" action=rolled_back_retry_in_ms=%d",
            rc_name(rc), n, db_last_error(l->db), RETRY_MS);
        if (bumped) {
            atomic_fetch_sub(&l->bumps, 1);
        }
        (void)db_rollback(l->db);
        db_link_cache_clear(l->cache); /* it holds what this slice would have written */
    }
    (void)db_link_unlock(l->db);
    if (rc == RC_OK) {
        size_t i, renames = 0;

        for (i = 0; i < taken.n; i++) {
            renames += taken.q[i].kind != DB_LINK_QUEUED_MATCH;
        }
        log_info("link",
                 "event=linked_slice queue_rows=%zu renames=%zu matches=%zu nodes=%llu cached=%llu "
                 "pairs=%llu "
                 "changed=%llu fixture_rows=%llu identity_rows=%llu queued_again=%llu "
                 "truncated=%llu more=%d ms=%ld nodes_ms=%.0f links_ms=%.0f block_ms=%.0f "
                 "write_ms=%.0f teams_ms=%.0f locked_ms=%ld",
                 taken.n, renames, n, (unsigned long long)st.nodes, (unsigned long long)st.cached,
                 (unsigned long long)st.pairs, (unsigned long long)(last ? last - first + 1 : 0),
                 (unsigned long long)st.fixture_rows, (unsigned long long)st.identity_rows,
                 (unsigned long long)st.queued, (unsigned long long)st.truncated, more,
                 dt_mono_ms() - t0, st.ms_nodes, st.ms_links, st.ms_block, st.ms_write, st.ms_teams,
                 dt_mono_ms() - h.held_ms);
        l->published(l->arg, first, last);
    }
    db_link_stats_cleanup(&st);
    db_link_taken_free(&taken);
    if (rc != RC_OK) {
        return SLICE_FAILED;
    }
    return more || st.queued > 0 ? SLICE_AGAIN : SLICE_DONE;
}

/* How a nap ends besides a stop and its time. */
enum nap_end {
    NAP_TIMED,    /* only by its time: a retry */
    NAP_NOTIFIED, /* a batch queued matches */
    NAP_LINGER,   /* the consumer drained its queue (or was not taking one) */
};

/* Waits until stopped, wait_ms passed, or what mode says happened. */
static void
nap(struct linker *l, long wait_ms, enum nap_end mode)
{
    struct timespec until;

    dt_deadline(&until, wait_ms);
    pthread_mutex_lock(&l->mu);
    while (!l->stop && !(mode == NAP_NOTIFIED && l->notified) &&
           !(mode == NAP_LINGER && !l->feeding) &&
           pthread_cond_timedwait(&l->cv, &l->mu, &until) == 0) {
    }
    if (mode == NAP_NOTIFIED) {
        l->notified = 0;
    }
    pthread_mutex_unlock(&l->mu);
}

static void *
linker_main(void *arg)
{
    struct linker *l = arg;

    while (!l->stop) {
        enum slice_end e;

        if (!db_is_connected(l->db)) {
            db_link_cache_clear(l->cache); /* what happened while away is not known */
            if (db_connect(l->db, 0, &l->stop) != RC_OK) {
                nap(l, backoff_next(&l->reconnect), NAP_TIMED);
                continue;
            }
        }
        backoff_reset(&l->reconnect);
        e = slice(l);
        switch (e) {
        case SLICE_AGAIN:
            break;
        case SLICE_DONE:
            nap(l, LINGER_MS, NAP_LINGER);
            break;
        case SLICE_FAILED:
            nap(l, RETRY_MS, NAP_TIMED); /* a notification does not cut a retry short */
            break;
        case SLICE_EMPTY:
        case SLICE_WAIT:
            nap(l, IDLE_MS, NAP_NOTIFIED);
            break;
        }
    }
    return NULL;
}

/* What linker_start made, the thread ended or never started. */
static void
linker_free(struct linker *l)
{
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    db_free(l->db);
    db_link_cache_free(l->cache);
    free(l->ids);
    free(l);
}

struct linker *
linker_start(const struct config *cfg, struct commitclock *clock, pthread_mutex_t *clock_mu,
             linker_published_fn published, void *arg)
{
    struct linker *l;

    if (!cfg->link_enabled) {
        return NULL;
    }
    l = xcalloc(1, sizeof(*l));
    l->cfg = cfg;
    link_params_config(&l->lp, cfg);
    l->clock = clock;
    l->clock_mu = clock_mu;
    l->published = published;
    l->arg = arg;
    l->ids = xmalloc(LINKER_SLICE * sizeof(*l->ids));
    l->cache = db_link_cache_new(CACHE_NODES);
    atomic_init(&l->bumps, 0);
    backoff_init(&l->reconnect, 100, cfg->db_retry_max_ms);
    l->db = db_new(cfg, DB_NO_FK_CHECKS);
    db_status_register(l->db);
    db_ingest_register(l->db);
    db_link_register(l->db);
    db_changes_register(l->db);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->thread, NULL, linker_main, l) != 0) {
        log_error("link", "event=linker_thread_failed action=unlinked_until_restart");
        linker_free(l);
        return NULL;
    }
    return l;
}

/* Wakes the thread from nap(): to look at the queue, or (stop) to end. */
static void
wake(struct linker *l, int stop)
{
    pthread_mutex_lock(&l->mu);
    if (stop) {
        l->stop = 1;
    } else {
        l->notified = 1;
    }
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void
linker_notify(struct linker *l)
{
    if (l != NULL) {
        wake(l, 0);
    }
}

void
linker_feeding(struct linker *l, int feeding)
{
    if (l == NULL) {
        return;
    }
    pthread_mutex_lock(&l->mu);
    if (l->feeding != feeding) {
        l->feeding = feeding;
        pthread_cond_signal(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
}

uint64_t
linker_bumps(const struct linker *l)
{
    return l == NULL ? 0 : atomic_load(&((struct linker *)l)->bumps);
}

void
linker_stop(struct linker *l)
{
    if (l == NULL) {
        return;
    }
    wake(l, 1);
    pthread_join(l->thread, NULL);
    linker_free(l);
}
