/*
 * apply.c: one message inside the batch transaction; see apply.h.
 *
 * A redelivered message whose bytes (and message id) are already in the log
 * was committed by an earlier run that died before its ack: it is skipped,
 * not applied twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "db_ingest.h"
#include "log.h"
#include "msg.h"
#include "rc.h"
#include "sha256.h"
#include "text.h"

/* Queued payload bytes past which the log rows are written before the commit. */
#define FLUSH_BYTES (4 * 1024 * 1024)

static struct arena msg_arena = {NULL, 64 * 1024};

void
apply_register(struct db *db)
{
    db_messages_register(db);
    db_ingest_register(db);
}

void
apply_pending_init(struct apply_pending *p)
{
    memset(p, 0, sizeof(*p));
    arena_init(&p->arena, 256 * 1024);
}

void
apply_pending_reset(struct apply_pending *p)
{
    arena_reset(&p->arena);
    p->nraw = 0;
    p->noutbox = 0;
    p->nteams = 0;
    p->seq = 0;
    p->bytes = 0;
}

void
apply_pending_cleanup(struct apply_pending *p)
{
    arena_cleanup(&p->arena);
    free(p->raw);
    free(p->outbox);
    free(p->teams);
    free(p->team_seq);
    arena_cleanup(&msg_arena);
}

static const char *
dup_opt(struct arena *a, const char *s)
{
    return s != NULL ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* Queues the log row of m (copied: the delivery dies before the flush). */
static void
queue_raw(struct apply_pending *p, const struct raw_message *m)
{
    struct raw_message *q;

    if (p->nraw == p->capraw) {
        p->capraw = p->capraw ? 2 * p->capraw : 128;
        p->raw = xrealloc(p->raw, p->capraw * sizeof(*p->raw));
    }
    q = &p->raw[p->nraw++];
    *q = *m;
    q->payload = arena_strndup(&p->arena, m->payload ? m->payload : "", m->len);
    q->error = dup_opt(&p->arena, m->error);
    q->source = dup_opt(&p->arena, m->source);
    q->external_id = dup_opt(&p->arena, m->external_id);
    q->exchange = dup_opt(&p->arena, m->exchange);
    q->routing_key = dup_opt(&p->arena, m->routing_key);
    q->message_id = dup_opt(&p->arena, m->message_id);
    p->bytes += m->len;
}

static void
queue_outbox(struct apply_pending *p, uint64_t match_id)
{
    if (p->noutbox == p->capoutbox) {
        p->capoutbox = p->capoutbox ? 2 * p->capoutbox : 128;
        p->outbox = xrealloc(p->outbox, p->capoutbox * sizeof(*p->outbox));
    }
    p->outbox[p->noutbox++] = match_id;
}

/* Queues the team list of ev for match_id. */
static void
queue_teams(struct apply_pending *p, uint64_t match_id, const struct match_event *ev,
            const uint64_t *team_ids)
{
    size_t i;

    if (p->nteams + ev->nteams > p->capteams) {
        p->capteams = 2 * (p->capteams + ev->nteams);
        p->teams = xrealloc(p->teams, p->capteams * sizeof(*p->teams));
        p->team_seq = xrealloc(p->team_seq, p->capteams * sizeof(*p->team_seq));
    }
    for (i = 0; i < ev->nteams; i++) {
        struct match_team_row *r = &p->teams[p->nteams];

        r->match_id = match_id;
        r->team_id = team_ids[i];
        r->position = (int)i;
        r->has_score = ev->teams[i].has_score;
        r->score = ev->teams[i].score;
        r->winner = ev->teams[i].winner;
        p->team_seq[p->nteams++] = p->seq;
    }
}

/*
 * Writes the queued team lists: each touched match loses its old list and
 * gets the one of the last message in the batch that named it (the earlier
 * lists were replaced by the later ones, as if applied one by one).
 */
static int
flush_teams(struct db *db, struct apply_pending *p)
{
    struct idcache *latest;
    uint64_t *matches, last;
    struct match_team_row *rows;
    size_t nmatches = 0, nrows = 0, i;
    char key[24];
    int rc;

    if (p->noutbox == 0) {
        return RC_OK;
    }
    /* match id -> 1 + seq of the last message that applied to it */
    latest = idcache_new();
    matches = xmalloc(p->noutbox * sizeof(*matches));
    rows = xmalloc((p->nteams ? p->nteams : 1) * sizeof(*rows));
    for (i = p->nteams; i-- > 0;) {
        snprintf(key, sizeof(key), "%llu", (unsigned long long)p->teams[i].match_id);
        if (idcache_get(latest, key, NULL, &last) != RC_OK) {
            last = (uint64_t)p->team_seq[i] + 1;
            idcache_put(latest, key, NULL, last);
        }
        if (last == (uint64_t)p->team_seq[i] + 1) {
            rows[nrows++] = p->teams[i];
        }
    }
    for (i = 0; i < p->noutbox; i++) {
        snprintf(key, sizeof(key), "%llu", (unsigned long long)p->outbox[i]);
        if (idcache_get(latest, key, NULL, &last) != RC_OK || last != 0) {
            idcache_put(latest, key, NULL, 0); /* listed now */
            matches[nmatches++] = p->outbox[i];
        }
    }
    rc = db_ingest_match_teams_many(db, matches, nmatches, rows, nrows);
    idcache_free(latest);
    free(matches);
    free(rows);
    return rc;
}

int
apply_flush(struct db *db, struct apply_pending *pending)
{
    int rc = db_messages_insert_many(db, pending->raw, pending->nraw);

    if (rc == RC_OK) {
        rc = flush_teams(db, pending);
    }
    if (rc == RC_OK) {
        rc = db_ingest_outbox_many(db, pending->outbox, pending->noutbox);
    }
    if (rc == RC_OK) {
        pending->nraw = 0;
        pending->noutbox = 0;
        pending->nteams = 0;
        pending->bytes = 0;
        /* the arena keeps its memory until the batch ends */
        return RC_OK;
    }
    return rc == RC_UNAVAIL ? RC_UNAVAIL : RC_ERR;
}

/* Careful mode: the database refused the rows of this message. Undo them and
 * keep the batch; the caches may name rows the rollback undid. */
static int
undo_message(struct db *db, struct idcache *cache, struct apply_pending *pending, size_t nraw,
             size_t noutbox, size_t nteams)
{
    if (db_ingest_rollback_to(db) != RC_OK) {
        return RC_UNAVAIL;
    }
    idcache_clear(cache);
    pending->nraw = nraw;
    pending->noutbox = noutbox;
    pending->nteams = nteams;
    return RC_OK;
}

int
apply_message(const struct config *cfg, struct db *db, struct idcache *cache,
              struct apply_pending *pending, int careful, const struct mq_delivery *d,
              struct apply_result *res)
{
    struct msg_opts opts;
    struct match_event *ev = NULL;
    struct raw_message raw;
    uint64_t match_id = 0, team_ids[MATCH_MAX_TEAMS];
    size_t nraw = pending->nraw, noutbox = pending->noutbox, nteams = pending->nteams;
    int rc, parsed;

    memset(res, 0, sizeof(*res));
    memset(&raw, 0, sizeof(raw));
    arena_reset(&msg_arena);

    raw.payload = d->body;
    raw.len = d->len;
    sha256(d->body, d->len, raw.sha256);
    raw.delivery_tag = d->tag;
    raw.redelivered = d->redelivered;
    raw.exchange = d->exchange;
    raw.routing_key = d->routing_key;
    raw.message_id = d->message_id;

    opts.max_bytes = (size_t)cfg->max_message_bytes;
    if (dt_offset_parse(cfg->source_timezone, &opts.tz_offset_s) != RC_OK) {
        opts.tz_offset_s = 0; /* config_load validated it */
    }
    parsed = msg_parse(d->body, d->len, &opts, &msg_arena, &ev, res->reason, sizeof(res->reason));
    if (ev != NULL) {
        raw.source = ev->source;
        raw.external_id = ev->external_id;
    }

    if (d->redelivered) {
        rc = db_messages_seen(db, raw.sha256, d->message_id);
        if (rc == RC_OK) {
            /* committed by a run that died before its ack; a rejection on record
             * still goes to the dead-letter queue */
            res->outcome = parsed == RC_OK ? APPLY_SKIPPED : APPLY_REJECTED;
            log_info("apply", "event=skipped_redelivery tag=%llu source=\"%s\" id=\"%s\"",
                     (unsigned long long)d->tag, raw.source ? raw.source : "",
                     raw.external_id ? raw.external_id : "");
            return RC_OK;
        }
        if (rc != RC_NOTFOUND) {
            return rc;
        }
    }

    if (careful && (rc = db_ingest_savepoint(db)) != RC_OK) {
        return rc == RC_UNAVAIL ? RC_UNAVAIL : RC_ERR;
    }
    if (parsed == RC_OK) {
        rc = db_ingest_event(db, cache, ev, &match_id, team_ids);
        if (rc == RC_UNAVAIL) {
            return rc;
        }
        if (rc != RC_OK) {
            if (!careful) {
                return RC_ERR;
            }
            if (undo_message(db, cache, pending, nraw, noutbox, nteams) != RC_OK) {
                return RC_UNAVAIL;
            }
            snprintf(res->reason, sizeof(res->reason), "the database refused the values");
            parsed = RC_INVALID;
            match_id = 0;
        }
    }
    raw.rejected = parsed != RC_OK;
    raw.error = raw.rejected ? res->reason : NULL;
    raw.match_id = match_id;
    queue_raw(pending, &raw);
    if (!raw.rejected) {
        queue_teams(pending, match_id, ev, team_ids);
        queue_outbox(pending, match_id);
    }
    pending->seq++;

    if (careful || pending->bytes >= FLUSH_BYTES) {
        rc = apply_flush(db, pending);
        if (rc == RC_UNAVAIL) {
            return rc;
        }
        if (rc != RC_OK) {
            if (!careful) {
                return RC_ERR;
            }
            /* The log refused the row itself. Retrying would loop on the same
             * bytes forever, so the message goes to the dead-letter queue,
             * where it is kept, and the error is logged. */
            if (undo_message(db, cache, pending, nraw, noutbox, nteams) != RC_OK) {
                return RC_UNAVAIL;
            }
            res->outcome = APPLY_REJECTED;
            log_error("apply", "event=unrecordable tag=%llu bytes=%zu action=dead_lettered",
                      (unsigned long long)d->tag, d->len);
            return RC_OK;
        }
    }

    if (raw.rejected) {
        res->outcome = APPLY_REJECTED;
        log_warn("apply", "event=rejected tag=%llu source=\"%s\" id=\"%s\" bytes=%zu reason=\"%s\"",
                 (unsigned long long)d->tag, raw.source ? raw.source : "",
                 raw.external_id ? raw.external_id : "", d->len, res->reason);
    } else {
        res->outcome = APPLY_APPLIED;
        res->changed = 1;
        log_debug("apply", "event=applied tag=%llu source=\"%s\" id=\"%s\" match_id=%llu",
                  (unsigned long long)d->tag, raw.source, raw.external_id,
                  (unsigned long long)match_id);
    }
    return RC_OK;
}
