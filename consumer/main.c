/*
 * main.c: the consumer daemon. Reads the queue in delivery order, applies
 * messages in batches of one transaction each, and acks exactly the committed
 * deliveries after the commit. Survives the broker or the database going away
 * by rolling back, reconnecting with capped backoff and taking the
 * redeliveries.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "commitclock.h"
#include "config.h"
#include "db.h"
#include "db_status.h"
#include "idcache.h"
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
    long backoff_ms;
    long last_heartbeat_ms;
    int64_t started;           /* unix time this process started */
    struct mirror *mirror;     /* search mirror; NULL when search is off */
    struct commitclock *clock; /* shared with the workers; NULL when off */
    int clock_settled;
    int busy; /* the last batch filled up: more deliveries are waiting */
};

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
    log_info("consumer", "event=reconnecting target=%s delay_ms=%ld", what, c->backoff_ms);
    struct timespec ts = {c->backoff_ms / 1000, (c->backoff_ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
    c->backoff_ms =
        c->backoff_ms * 2 > c->cfg->db_retry_max_ms ? c->cfg->db_retry_max_ms : c->backoff_ms * 2;
}

/* The transaction failed or the broker went away: undo everything and drop
 * both connections' state so the deliveries come back. */
static void
batch_abort(struct consumer *c, const char *why)
{
    if (c->b.open) {
        log_warn("consumer", "event=batch_rolled_back messages=%u reason=\"%s\"", c->b.n, why);
        db_rollback(c->db);
    }
    batch_clear(&c->b);
    apply_pending_reset(&c->pending);
    idcache_clear(c->cache); /* it may name rows the rollback undid */
    c->version_known = 0;
    mq_close(c->mq); /* unacked deliveries are requeued by the broker */
}

/* The database refused a write we had validated. Whatever caused it is in
 * the batch just rolled back, which comes back as redeliveries: take those one
 * savepoint each, so the culprit is rejected alone. */
static void
enter_careful(struct consumer *c)
{
    c->careful_left = (unsigned)c->cfg->amqp_prefetch + (unsigned)c->cfg->batch_size;
    log_warn("consumer", "event=careful_mode messages=%u", c->careful_left);
}

/* Commits the batch, then dead-letters the rejected and acks the rest. */
static int
batch_commit(struct consumer *c)
{
    struct batch *b = &c->b;
    long t0 = dt_mono_ms();
    int rc;
    size_t i;

    if (!b->open) {
        return RC_OK;
    }
    rc = apply_flush(c->db, &c->pending);
    if (rc == RC_OK) {
        rc = db_status_add(c->db, b->applied, b->rejected, b->changed, c->pending.new_matches,
                           (int)getpid(), c->started);
    }
    if (rc == RC_OK) {
        /* workers stop trusting their cache from before the commit to after it */
        if (b->changed > 0) {
            if (!c->clock_settled) {
                commitclock_settle(c->clock); /* this consumer is the active one now */
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
        if (rc == RC_ERR) {
            enter_careful(c);
        } else {
            backoff(c, "mariadb");
        }
        return rc;
    }
    c->backoff_ms = 100; /* a commit went through: the next trouble starts from scratch */
    if (b->applied > 0) {
        mirror_notify(c->mirror);
    }
    apply_pending_reset(&c->pending);
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
    c->last_heartbeat_ms = dt_mono_ms();
    if (rc != RC_OK) {
        /* committed but not acked: the redeliveries are recognised and skipped */
        mq_close(c->mq);
    }
    return RC_OK;
}

static int
handle_delivery(struct consumer *c, const struct mq_delivery *d)
{
    struct batch *b = &c->b;
    struct apply_result res;
    int rc;

    log_debug("consumer", "event=received tag=%llu bytes=%zu redelivered=%d",
              (unsigned long long)d->tag, d->len, d->redelivered);
    if (!b->open) {
        rc = db_begin(c->db);
        if (rc != RC_OK) {
            return rc;
        }
        b->open = 1;
        b->started_ms = dt_mono_ms();
        rc = db_status_lock_version(c->db, &b->version);
        if (rc != RC_OK) {
            return rc;
        }
        /* another writer committed since our last batch: forget what we knew */
        if (!c->version_known || b->version != c->expected_version) {
            idcache_clear(c->cache);
        }
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

/* Makes sure both connections are up; RC_OK, or keeps trying until stopping. */
static int
ensure_connected(struct consumer *c)
{
    while (!stopping) {
        if (!db_is_connected(c->db) && db_connect(c->db, 0, &stopping) != RC_OK) {
            mq_close(c->mq); /* stop taking deliveries we cannot store */
            backoff(c, "mariadb");
            continue;
        }
        if (!mq_is_connected(c->mq)) {
            if (mq_connect(c->mq) != RC_OK) {
                (void)db_status_heartbeat(c->db, 0);
                backoff(c, "rabbitmq");
                continue;
            }
            (void)db_status_heartbeat(c->db, 1);
            c->last_heartbeat_ms = dt_mono_ms();
        }
        return RC_OK;
    }
    return RC_UNAVAIL;
}

static void
run(struct consumer *c)
{
    struct mq_delivery d;

    while (!stopping) {
        int timeout, rc;
        long now;

        if (ensure_connected(c) != RC_OK) {
            break;
        }
        now = dt_mono_ms();
        if (c->b.open) {
            long left = c->cfg->batch_ms - (now - c->b.started_ms);

            timeout = left <= 0 ? 0 : (left < DRAIN_WAIT_MS ? (int)left : DRAIN_WAIT_MS);
        } else {
            /* between batches: the mirror's turn, if it has work */
            timeout = mirror_poll(c->mirror, c->busy, 1000);
        }
        rc = mq_next(c->mq, timeout, &d);
        if (rc == RC_OK) {
            rc = handle_delivery(c, &d);
            mq_release(c->mq);
            if (rc != RC_OK) {
                batch_abort(c,
                            rc == RC_UNAVAIL ? "database unavailable" : "database refused a write");
                if (rc == RC_ERR) {
                    enter_careful(c);
                } else {
                    backoff(c, "mariadb"); /* the server may still answer, but not take writes */
                }
                (void)db_status_error(c->db, "database error while applying a batch");
                continue;
            }
            if (c->b.n >= (unsigned)c->cfg->batch_size) {
                batch_commit(c);
                c->busy = 1;
            }
        } else if (rc == RC_NOTFOUND) {
            /* drained or the batch is old enough */
            batch_commit(c);
            c->busy = 0;
        } else {
            batch_abort(c, "broker connection lost");
            continue;
        }
        if (!c->b.open && dt_mono_ms() - c->last_heartbeat_ms >= HEARTBEAT_EVERY_MS) {
            if (db_status_heartbeat(c->db, mq_is_connected(c->mq)) == RC_UNAVAIL) {
                mq_close(c->mq);
            }
            c->last_heartbeat_ms = dt_mono_ms();
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
    c.backoff_ms = 100;
    c.started = (int64_t)time(NULL);
    c.db = db_new(&cfg, 0);
    db_status_register(c.db);
    apply_register(c.db);
    c.mq = mq_new(&cfg);
    c.mirror = mirror_new(&cfg, c.db);
    c.cache = idcache_new();
    if (cfg.commit_clock_file[0] != '\0') {
        c.clock = commitclock_open(cfg.commit_clock_file);
    }
    apply_pending_init(&c.pending);

    if (db_connect(c.db, -1, &stopping) == RC_OK) {
        (void)db_status_started(c.db, (int)getpid());
        log_info("consumer", "event=started pid=%ld", (long)getpid());
        run(&c);
        mq_close(c.mq);
        (void)db_status_stopped(c.db, (int)getpid());
    }
    log_info("consumer", "event=stopped pid=%ld", (long)getpid());
    free(c.b.dead);
    mirror_free(c.mirror);
    commitclock_close(c.clock);
    mq_free(c.mq);
    idcache_free(c.cache);
    apply_pending_cleanup(&c.pending);
    db_free(c.db);
    config_cleanup(&cfg);
    log_close();
    return 0;
}
