/*
 * main.c: the consumer daemon. Reads the queue in delivery order, applies
 * messages in batches of one transaction each, and acks exactly the committed
 * deliveries after the commit. Survives the broker or the database going away
 * by rolling back, reconnecting with capped backoff and taking the
 * redeliveries.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "backoff.h"
#include "clock.h"
#include "commitclock.h"
#include "config.h"
#include "db.h"
#include "db_changes.h"
#include "db_status.h"
#include "idcache.h"
#include "linker.h"
#include "live.h"
#include "log.h"
#include "mem.h"
#include "mirror.h"
#include "mq.h"
#include "rc.h"
#include "text.h"

#define HEARTBEAT_EVERY_MS 5000
#define DRAIN_WAIT_MS      2 /* no delivery within this: the queue is momentarily drained */

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* The deliveries of the open transaction and what they did. */
struct batch {
    int open;
    unsigned n, applied, rejected, skipped, changed;
    uint64_t last_ok_tag; /* highest tag to ack (0: none) */
    uint64_t *dead;       /* tags to dead-letter after the commit */
    size_t ndead;
    long started_ms;
    uint64_t version; /* data_version read when the batch began */
};

/*
 * The search mirror runs in a thread of its own, with its own database
 * connection, so ingestion never waits for a round (a restarted consumer
 * takes deliveries at once), and only while this process is the row's
 * active consumer: a stand-by does not mirror beside it.
 */
struct mirror_thread {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int notified;
    volatile sig_atomic_t stop;
    atomic_int busy; /* the consumer's last batch filled up */
    struct db *db;
    struct mirror *m;
    struct backoff reconnect; /* between the mirror's attempts to reach the database */
    int started;
};

struct consumer {
    const struct config *cfg;
    struct db *db;
    struct mq *mq;
    struct batch b;
    struct apply_pending pending; /* log and outbox rows of the open batch */
    unsigned careful_left;        /* messages still to apply in careful mode */
    struct idcache *cache;        /* ids of rows this process upserted and committed */
    uint64_t expected_version;    /* data_version after our last commit */
    int version_known;
    struct backoff backoff;
    long last_heartbeat_ms;
    int64_t started;           /* unix time this process started */
    struct mirror_thread mt;   /* m == NULL when search is off */
    struct live *live;         /* publishes committed changes, prunes the feed */
    struct commitclock *clock; /* shared with the workers; NULL when off */
    int clock_settled;
    int busy; /* the last batch filled up: more deliveries are waiting */
    /* relinks what the batches queue (NULL: LINK_ENABLED=0) */
    struct linker *linker;
    uint64_t linker_seen;     /* linker_bumps() when the last batch began */
    pthread_mutex_t clock_mu; /* commitclock_settle against the linker's commits */
    /* what the status row says of ingestion (db_status_report) */
    const char *state; /* "running", "retrying", "blocked" */
    char reason[512];  /* why, when not running */
    long waiting_ms;   /* monotonic ms since deliveries wait uncommitted; 0 = none */
    unsigned failed_batches;
    int report_due;     /* the state changed: report at the next chance */
    int broker_trouble; /* the state is the broker's doing: a working connection ends it */
    int db_trouble;     /* the state is the database being unreachable: reaching it ends it */
};

/* Sets the state the status row reports; logs each change once. */
static void
set_state(struct consumer *c, const char *state, const char *reason)
{
    if (strcmp(c->state, state) != 0 || strcmp(c->reason, reason) != 0) {
        if (strcmp(state, "running") == 0) {
            log_info("consumer", "event=state state=running");
        } else {
            log_warn("consumer", "event=state state=%s reason=\"%s\"", state, reason);
        }
        c->report_due = 1;
    }
    c->state = state;
    c->broker_trouble = 0;
    c->db_trouble = 0;
    snprintf(c->reason, sizeof(c->reason), "%s", reason);
    text_cut_utf8(c->reason);
}

/* The same for a state the broker caused (unreachable, lost, blocked). */
static void
set_broker_state(struct consumer *c, const char *state, const char *reason)
{
    set_state(c, state, reason);
    c->broker_trouble = 1;
}

/* Deliveries wait from now on, unless they already did. */
static void
note_waiting(struct consumer *c)
{
    if (c->waiting_ms == 0) {
        c->waiting_ms = dt_mono_ms();
    }
}

/* Writes the consumer's state to the status row (only the row's own
 * consumer's report lands; a stand-by takes the row over once the broker
 * gives it the queue and the owner is gone). measure: ask the broker for the
 * queue's depth. */
static void
report(struct consumer *c, int measure)
{
    struct consumer_report r;
    int connected = mq_is_connected(c->mq);
    int64_t depth = measure && connected ? mq_queue_depth(c->mq) : mq_last_depth(c->mq);

    if (!db_is_connected(c->db)) {
        return;
    }
    if (depth > 0) {
        note_waiting(c);
    }
    if (connected && mq_is_connected(c->mq)) {
        (void)db_status_claim(c->db, (int)getpid(), c->started);
    }
    r.broker_connected = mq_is_connected(c->mq);
    r.state = c->state;
    r.reason = c->reason;
    r.queue_depth = depth;
    r.waiting_us = c->waiting_ms == 0 ? -1 : (int64_t)(dt_mono_ms() - c->waiting_ms) * 1000;
    r.failed_batches = c->failed_batches;
    if (db_status_report(c->db, (int)getpid(), &r) == RC_OK) {
        c->report_due = 0;
    }
    c->last_heartbeat_ms = dt_mono_ms();
}

static void *
mirror_main(void *arg)
{
    struct mirror_thread *t = arg;
    int pid = (int)getpid();
    long check_ms = 0;
    int active = 0;

    while (!t->stop) {
        int wait = 1000;
        struct timespec until;

        if (!db_is_connected(t->db) && db_connect(t->db, 0, &t->stop) != RC_OK) {
            /* capped like the consumer's own reconnects, not once a second */
            wait = (int)backoff_next(&t->reconnect);
        } else {
            backoff_reset(&t->reconnect);
            if (dt_mono_ms() >= check_ms) {
                active = mirror_is_active(t->m, pid);
                check_ms = dt_mono_ms() + 1000;
            }
            if (active) {
                wait = mirror_poll(t->m, atomic_load(&t->busy), 1000);
            }
        }
        dt_deadline(&until, wait);
        pthread_mutex_lock(&t->mu);
        while (!t->notified && !t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0) {
        }
        if (t->notified) {
            mirror_notify(t->m);
            t->notified = 0;
        }
        pthread_mutex_unlock(&t->mu);
    }
    return NULL;
}

static void
mirror_thread_start(struct mirror_thread *t, const struct config *cfg)
{
    memset(t, 0, sizeof(*t));
    backoff_init(&t->reconnect, 100, cfg->db_retry_max_ms);
    t->db = db_new(cfg, 0);
    t->m = mirror_new(cfg, t->db);
    if (t->m == NULL) {
        db_free(t->db);
        t->db = NULL;
        return;
    }
    db_status_register(t->db);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->thread, NULL, mirror_main, t) != 0) {
        log_error("consumer", "event=mirror_thread_failed");
        return;
    }
    t->started = 1;
}

/* A commit queued outbox rows: wake the mirror. */
static void
mirror_thread_notify(struct mirror_thread *t)
{
    if (!t->started) {
        return;
    }
    pthread_mutex_lock(&t->mu);
    t->notified = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void
mirror_thread_stop(struct mirror_thread *t)
{
    if (t->started) {
        pthread_mutex_lock(&t->mu);
        t->stop = 1;
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->thread, NULL);
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
    }
    mirror_free(t->m);
    db_free(t->db);
}

static void
batch_clear(struct batch *b)
{
    b->open = 0;
    b->n = b->applied = b->rejected = b->skipped = b->changed = 0;
    b->last_ok_tag = 0;
    b->ndead = 0;
}

static void
backoff(struct consumer *c, const char *what)
{
    report(c, 0);
    log_info("consumer", "event=reconnecting target=%s delay_ms=%ld", what, c->backoff.delay_ms);
    backoff_sleep_ms(backoff_next(&c->backoff));
}

/* The transaction failed or the broker went away: undo everything and drop
 * both connections' state so the deliveries come back. */
static void
batch_abort(struct consumer *c, const char *why)
{
    if (c->b.open) {
        /* (n counts the messages applied so far, not the one that failed) */
        log_warn("consumer", "event=batch_rolled_back messages=%u reason=\"%s\"", c->b.n, why);
        db_rollback(c->db);
        c->failed_batches++;
        note_waiting(c); /* they come back as redeliveries */
    }
    batch_clear(&c->b);
    apply_pending_reset(&c->pending);
    idcache_clear(c->cache); /* it may name rows the rollback undid */
    c->version_known = 0;
    mq_close(c->mq); /* unacked deliveries are requeued by the broker */
}

/* The database refused the values of a message we had validated. Whatever
 * caused it is in the batch just rolled back, which comes back as
 * redeliveries: take those one savepoint each, so the culprit is rejected
 * alone, with the server's reason, and the rest goes on. */
static void
enter_careful(struct consumer *c)
{
    c->careful_left = (unsigned)c->cfg->amqp_prefetch + (unsigned)c->cfg->batch_size;
    log_warn("consumer", "event=careful_mode messages=%u", c->careful_left);
}

/* What to do after the database failed with rc (not RC_OK): find the
 * culprit (RC_INVALID) or wait for the server (RC_UNAVAIL, RC_ERR). */
static void
after_db_failure(struct consumer *c, int rc, const char *during)
{
    char why[512];

    if (rc == RC_INVALID) {
        enter_careful(c);
        return;
    }
    snprintf(why, sizeof(why), "%s: %s: %s", during,
             rc == RC_UNAVAIL ? "mariadb unavailable or busy"
                              : "mariadb refuses the writes (schema or permissions?)",
             db_last_error(c->db));
    set_state(c, "retrying", why);
    c->db_trouble = rc == RC_UNAVAIL; /* a lost connection ends when it is back */
    (void)db_status_error(c->db, why);
    backoff(c, "mariadb");
}

/* Commits the batch, then dead-letters the rejected and acks the rest. */
static int
batch_commit(struct consumer *c)
{
    struct batch *b = &c->b;
    long t0 = dt_mono_ms();
    uint64_t first = 0, last = 0;
    int rc, queued;
    size_t i;

    if (!b->open) {
        return RC_OK;
    }
    rc = apply_flush(c->db, &c->pending);
    if (rc == RC_OK) {
        rc = apply_link(c->db, &c->pending);
    }
    if (rc == RC_OK) {
        /* last of the batch: the counter's row lock is held until the commit */
        rc = apply_record_changes(c->db, &c->pending, &first, &last);
    }
    if (rc == RC_OK) {
        rc = db_status_add(c->db, b->applied, b->rejected, b->changed, c->pending.new_matches,
                           (int)getpid(), c->started);
    }
    if (rc == RC_OK) {
        /* workers stop trusting their cache from before the commit to after it */
        if (b->changed > 0) {
            if (!c->clock_settled) {
                /* this consumer is the active one now (not while the
                 * linker is between its begin and done) */
                pthread_mutex_lock(&c->clock_mu);
                commitclock_settle(c->clock);
                pthread_mutex_unlock(&c->clock_mu);
                c->clock_settled = 1;
            }
            commitclock_begin(c->clock);
        }
        rc = db_commit(c->db);
        if (b->changed > 0) {
            commitclock_done(c->clock);
        }
    }
    if (rc != RC_OK) {
        batch_abort(c, "commit failed");
        after_db_failure(c, rc, "committing a batch");
        return rc;
    }
    backoff_reset(&c->backoff); /* a commit went through: the next trouble starts from scratch */
    c->failed_batches = 0;
    c->waiting_ms = 0;
    set_state(c, "running", "");
    c->report_due = 0; /* the commit wrote the state */
    if (b->applied > 0) {
        mirror_thread_notify(&c->mt);
    }
    live_notify(c->live, first, last);
    queued = c->pending.link_seq != 0 && c->pending.nchanged > 0;
    apply_pending_reset(&c->pending);
    if (queued) {
        linker_notify(c->linker);
    }
    c->expected_version = b->version + (b->changed > 0);
    c->version_known = 1;
    for (i = 0; i < b->ndead && rc == RC_OK; i++) {
        rc = mq_dead_letter(c->mq, b->dead[i]);
    }
    if (rc == RC_OK && b->last_ok_tag != 0) {
        rc = mq_ack_upto(c->mq, b->last_ok_tag);
    }
    log_info("consumer",
             "event=batch_committed messages=%u applied=%u rejected=%u skipped=%u "
             "batch_ms=%ld commit_ms=%ld acked_upto=%llu cached_ids=%zu",
             b->n, b->applied, b->rejected, b->skipped, dt_mono_ms() - b->started_ms,
             dt_mono_ms() - t0, (unsigned long long)b->last_ok_tag, idcache_count(c->cache));
    batch_clear(b);
    if (rc != RC_OK) {
        /* committed but not acked: the redeliveries are recognised and skipped */
        mq_close(c->mq);
    }
    return RC_OK;
}

/* The linker committed changes first..last (linker.h). */
static void
linked(void *arg, uint64_t first, uint64_t last)
{
    struct consumer *c = arg;

    mirror_thread_notify(&c->mt);
    live_notify(c->live, first, last);
}

static int
handle_delivery(struct consumer *c, const struct mq_delivery *d)
{
    struct batch *b = &c->b;
    struct apply_result res;
    uint64_t bumps;
    int rc;

    log_debug("consumer", "event=received tag=%llu bytes=%zu redelivered=%d",
              (unsigned long long)d->tag, d->len, d->redelivered);
    note_waiting(c);
    if (!b->open) {
        rc = db_begin(c->db);
        if (rc != RC_OK) {
            return rc;
        }
        b->open = 1;
        b->started_ms = dt_mono_ms();
        rc = db_status_lock_version(c->db, &b->version);
        if (rc == RC_OK) {
            rc = db_changes_begin(c->db);
        }
        if (rc != RC_OK) {
            return rc;
        }
        /* another writer committed since our last batch: forget what we
         * knew (the linker's commits are not another writer's; it counts
         * them under this lock) */
        bumps = linker_bumps(c->linker);
        if (!c->version_known || b->version != c->expected_version + (bumps - c->linker_seen)) {
            idcache_clear(c->cache);
        }
        c->linker_seen = bumps;
        c->pending.link_seq = c->linker != NULL ? b->version + 1 : 0;
        if (b->dead == NULL) {
            b->dead = xmalloc((size_t)c->cfg->batch_size * sizeof(*b->dead));
        }
    }
    rc = apply_message(c->cfg, c->db, c->cache, &c->pending, c->careful_left > 0, d, &res);
    if (rc != RC_OK) {
        return rc;
    }
    if (c->careful_left > 0) {
        c->careful_left--;
    }
    b->n++;
    switch (res.outcome) {
    case APPLY_APPLIED:
        b->applied++;
        b->last_ok_tag = d->tag;
        break;
    case APPLY_SKIPPED:
        b->skipped++;
        b->last_ok_tag = d->tag;
        break;
    case APPLY_REJECTED:
        b->rejected++;
        b->dead[b->ndead++] = d->tag;
        break;
    }
    b->changed += (unsigned)res.changed;
    return RC_OK;
}

/* The broker closed the connection with 541 INTERNAL_ERROR before any
 * delivery came through: it fails to deliver the message at the head of the
 * queue. The known cause is a property over 255 bytes, which its management
 * API lets in and no AMQP frame can carry (its log says
 * content_properties_shortstr_overflow); every consume fails until that
 * message is moved away. */
static int
broker_blocked(struct consumer *c)
{
    const char *text;
    int code = mq_broker_close(c->mq, &text);
    char why[512];

    if (code != 541) {
        return 0;
    }
    snprintf(why, sizeof(why),
             "the broker cannot deliver the message at the head of queue %s (%s; its log "
             "names the cause, usually content_properties_shortstr_overflow: a property over "
             "255 bytes): move that message away, see the README, 'A message the broker "
             "cannot deliver'",
             c->cfg->amqp_queue, text);
    set_broker_state(c, "blocked", why);
    return 1;
}

/* Makes sure both connections are up; RC_OK, or keeps trying until stopping. */
static int
ensure_connected(struct consumer *c)
{
    while (!stopping) {
        if (!db_is_connected(c->db)) {
            if (db_connect(c->db, 0, &stopping) != RC_OK) {
                mq_close(c->mq); /* stop taking deliveries we cannot store */
                set_state(c, "retrying", "mariadb unreachable");
                c->db_trouble = 1;
                backoff(c, "mariadb");
                continue;
            }
            if (c->db_trouble) {
                set_state(c, "running", ""); /* reachable again */
            }
        }
        if (!mq_is_connected(c->mq)) {
            if (mq_connect(c->mq) != RC_OK) {
                if (!broker_blocked(c)) {
                    set_broker_state(c, "retrying", "rabbitmq unreachable");
                }
                backoff(c, "rabbitmq");
                continue;
            }
            if (c->broker_trouble && strcmp(c->state, "blocked") != 0) {
                set_state(c, "running", ""); /* connected again */
            }
            report(c, 0);
        }
        return RC_OK;
    }
    return RC_UNAVAIL;
}

/* How long to wait for the next delivery: with a batch open, until the
 * group-commit window has passed (then only to see the queue drained), and
 * never past the batch's age limit; between batches, the heartbeat's due. */
static int
next_timeout(const struct consumer *c, long now)
{
    long age, left, wait;

    if (!c->b.open) {
        wait = HEARTBEAT_EVERY_MS - (now - c->last_heartbeat_ms);
        return wait < 0 ? 0 : (wait > 1000 ? 1000 : (int)wait);
    }
    age = now - c->b.started_ms;
    left = c->cfg->batch_ms - age;
    wait = age < c->cfg->commit_window_ms ? c->cfg->commit_window_ms - age : DRAIN_WAIT_MS;
    wait = wait < left ? wait : left;
    return wait <= 0 ? 0 : (int)wait;
}

static void
run(struct consumer *c)
{
    struct mq_delivery d;

    while (!stopping) {
        int rc;
        long now;

        if (ensure_connected(c) != RC_OK) {
            break;
        }
        now = dt_mono_ms();
        rc = mq_next(c->mq, next_timeout(c, now), &d);
        if (rc == RC_OK) {
            if (c->broker_trouble) {
                set_state(c, "running", ""); /* the broker delivers again */
            }
            rc = handle_delivery(c, &d);
            mq_release(c->mq);
            if (rc != RC_OK) {
                batch_abort(c, rc == RC_UNAVAIL   ? "database unavailable"
                               : rc == RC_INVALID ? "database refused a message's values"
                                                  : "database refused a write");
                after_db_failure(c, rc, "applying a message");
                continue;
            }
            if (c->b.n >= (unsigned)c->cfg->batch_size) {
                batch_commit(c);
                c->busy = 1;
                atomic_store(&c->mt.busy, 1);
                linker_feeding(c->linker, 1);
            }
        } else if (rc == RC_NOTFOUND) {
            long age = c->b.open ? dt_mono_ms() - c->b.started_ms : 0;

            /* drained (once the window has passed) or the batch is old enough */
            if (c->b.open &&
                (age >= c->cfg->commit_window_ms || age >= c->cfg->batch_ms || stopping)) {
                batch_commit(c);
                c->busy = 0;
                atomic_store(&c->mt.busy, 0);
                linker_feeding(c->linker, 0);
            } else if (!c->b.open) {
                /* nothing waits, also after a feed that ended with a full
                 * batch: the mirror's turn */
                c->busy = 0;
                atomic_store(&c->mt.busy, 0);
                linker_feeding(c->linker, 0);
            }
        } else {
            batch_abort(c, "broker connection lost");
            if (broker_blocked(c)) {
                backoff(c, "rabbitmq");
            } else {
                set_broker_state(c, "retrying", "rabbitmq connection lost");
            }
            continue;
        }
        if (!c->b.open &&
            (c->report_due || dt_mono_ms() - c->last_heartbeat_ms >= HEARTBEAT_EVERY_MS)) {
            report(c, 1);
            if (!mq_is_connected(c->mq)) {
                mq_close(c->mq);
            }
        }
    }
    /* stopping: finish the batch in hand */
    if (c->b.open) {
        batch_commit(c);
    }
}

int
main(int argc, char **argv)
{
    struct config cfg;
    struct consumer c;
    struct sigaction sa;
    int rc;

    rc = config_start_program(argc, argv, "consumer",
                              "consumes the match queue; settings from the environment", &cfg);
    if (rc >= 0) {
        return rc;
    }
    config_log(&cfg);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&c, 0, sizeof(c));
    c.cfg = &cfg;
    pthread_mutex_init(&c.clock_mu, NULL);
    backoff_init(&c.backoff, 100, cfg.db_retry_max_ms);
    c.started = (int64_t)time(NULL);
    c.state = "running";
    c.db = db_new(&cfg, 0);
    db_status_register(c.db);
    apply_register(c.db);
    c.mq = mq_new(&cfg);
    c.cache = idcache_new();
    if (cfg.commit_clock_file[0] != '\0') {
        c.clock = commitclock_open(cfg.commit_clock_file);
    }
    apply_pending_init(&c.pending);

    if (db_connect(c.db, -1, &stopping) == RC_OK) {
        (void)db_status_started(c.db, (int)getpid());
        log_info("consumer", "event=started pid=%ld", (long)getpid());
        /* after the first connection: the client library is initialised */
        mirror_thread_start(&c.mt, &cfg);
        c.live = live_start(&cfg);
        c.linker = linker_start(&cfg, c.clock, &c.clock_mu, linked, &c);
        run(&c);
        mq_close(c.mq);
        (void)db_status_stopped(c.db, (int)getpid());
    }
    log_info("consumer", "event=stopped pid=%ld", (long)getpid());
    linker_stop(c.linker); /* it notifies the mirror and the feed */
    mirror_thread_stop(&c.mt);
    live_stop(c.live);
    free(c.b.dead);
    commitclock_close(c.clock);
    mq_free(c.mq);
    idcache_free(c.cache);
    apply_pending_cleanup(&c.pending);
    db_free(c.db);
    config_cleanup(&cfg);
    log_close();
    return 0;
}
