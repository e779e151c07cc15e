/*
 * apply.c: one message inside the batch transaction; see apply.h.
 *
 * A redelivered message whose bytes (and message id) are already in the log
 * was committed by an earlier run that died before its ack: it is skipped,
 * not applied twice.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "clock.h"
#include "db_changes.h"
#include "db_ingest.h"
#include "db_link.h"
#include "db_status.h"
#include "log.h"
#include "mem.h"
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
    db_link_register(db);
    db_changes_register(db);
}

void
apply_pending_init(struct apply_pending *p)
{
    memset(p, 0, sizeof(*p));
    arena_init(&p->arena, 256 * 1024);
    p->changed_set = idcache_new();
}

void
apply_pending_reset(struct apply_pending *p)
{
    arena_reset(&p->arena);
    p->nraw = 0;
    p->nmatches = 0;
    p->nteams = 0;
    p->bytes = 0;
    p->new_matches = 0;
    p->nchanged = 0;
    p->link_seq = 0;
    idcache_clear(p->changed_set);
}

void
apply_pending_cleanup(struct apply_pending *p)
{
    arena_cleanup(&p->arena);
    free(p->raw);
    free(p->raw_slot);
    free(p->matches);
    free(p->teams);
    free(p->team_slot);
    free(p->changed);
    idcache_free(p->changed_set);
    arena_cleanup(&msg_arena);
}

static const char *
dup_opt(struct arena *a, const char *s)
{
    return s != NULL ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* Makes room for one more element in *v and its parallel array *slots. */
static void
reserve(void **v, size_t **slots, size_t *cap, size_t have, size_t more, size_t sz)
{
    if (have + more > *cap) {
        *cap = 2 * (*cap + more);
        *v = xrealloc(*v, *cap * sz);
        if (slots != NULL) {
            *slots = xrealloc(*slots, *cap * sizeof(**slots));
        }
    }
}

/* Queues the log row of m (copied: the delivery dies before the flush);
 * slot is its match's index in p->matches, or SIZE_MAX. */
static void
queue_raw(struct apply_pending *p, const struct raw_message *m, size_t slot)
{
    struct raw_message *q;

    reserve((void **)&p->raw, &p->raw_slot, &p->capraw, p->nraw, 1, sizeof(*p->raw));
    p->raw_slot[p->nraw] = slot;
    q = &p->raw[p->nraw++];
    *q = *m;
    q->payload = arena_strndup(&p->arena, m->payload ? m->payload : "", m->len);
    q->error = dup_opt(&p->arena, m->error);
    q->source = dup_opt(&p->arena, m->source);
    q->external_id = dup_opt(&p->arena, m->external_id);
    q->exchange = arena_strndup(&p->arena, m->exchange ? m->exchange : "", m->exchange_len);
    q->routing_key =
        arena_strndup(&p->arena, m->routing_key ? m->routing_key : "", m->routing_key_len);
    q->message_id = arena_strndup(&p->arena, m->message_id ? m->message_id : "", m->message_id_len);
    p->bytes += m->len;
}

/* Queues the match row m and the team list of ev; returns the match's slot. */
static size_t
queue_match(struct apply_pending *p, const struct match_row *m, const struct match_event *ev,
            const uint64_t *team_ids)
{
    size_t slot = p->nmatches, i;
    struct match_row *q;

    reserve((void **)&p->matches, NULL, &p->capmatches, p->nmatches, 1, sizeof(*p->matches));
    q = &p->matches[p->nmatches++];
    *q = *m;
    q->external_id = dup_opt(&p->arena, m->external_id);
    q->url = dup_opt(&p->arena, m->url);
    reserve((void **)&p->teams, &p->team_slot, &p->capteams, p->nteams, ev->nteams,
            sizeof(*p->teams));
    for (i = 0; i < ev->nteams; i++) {
        struct match_team_row *r = &p->teams[p->nteams];

        r->match_id = 0; /* known after the flush has upserted the match */
        r->team_id = team_ids[i];
        r->position = (int)i;
        r->has_score = ev->teams[i].has_score;
        r->score = ev->teams[i].score;
        r->winner = ev->teams[i].winner;
        p->team_slot[p->nteams++] = slot;
    }
    return slot;
}

/* Adds the matches a flush wrote (ids, distinct) to the batch's changed set. */
static void
note_changed(struct apply_pending *p, const uint64_t *ids, size_t n)
{
    char key[24];
    uint64_t at;
    size_t i;

    reserve((void **)&p->changed, NULL, &p->capchanged, p->nchanged, n, sizeof(*p->changed));
    /* ids come last message first: the changes go in the order of the
     * matches' last messages */
    for (i = n; i-- > 0;) {
        snprintf(key, sizeof(key), "%llu", (unsigned long long)ids[i]);
        if (idcache_get(p->changed_set, key, NULL, &at) != RC_OK) {
            idcache_put(p->changed_set, key, NULL, 1);
            p->changed[p->nchanged++] = ids[i];
        }
    }
}

int
apply_record_changes(struct db *db, struct apply_pending *p, uint64_t *first, uint64_t *last)
{
    int rc = db_changes_record(db, p->changed, p->nchanged, first, last);

    return rc == RC_OK || rc == RC_UNAVAIL || rc == RC_INVALID ? rc : RC_ERR;
}

/*
 * Writes what the batch queued. The match rows first, in order (a later
 * message for a match replaces an earlier one's fields), which gives their
 * ids. Then the team lists: each touched match loses its old list and gets
 * the one of the last message in the batch that named it. Then the log rows
 * and one outbox row per touched match.
 */
int
apply_flush(struct db *db, struct apply_pending *p)
{
    struct idcache *last = NULL; /* match id -> 1 + slot of its last message */
    uint64_t *ids = NULL, at;
    struct match_team_row *rows = NULL;
    size_t nids = 0, nrows = 0, i;
    char key[24];
    uint64_t inserted = 0;
    int rc = db_ingest_matches_many(db, p->matches, p->nmatches, &inserted);

    if (rc == RC_OK && p->nmatches > 0) {
        last = idcache_new();
        ids = xmalloc(p->nmatches * sizeof(*ids));
        rows = xmalloc((p->nteams + 1) * sizeof(*rows));
        for (i = p->nmatches; i-- > 0;) {
            snprintf(key, sizeof(key), "%llu", (unsigned long long)p->matches[i].id);
            if (idcache_get(last, key, NULL, &at) != RC_OK) {
                idcache_put(last, key, NULL, i + 1);
                ids[nids++] = p->matches[i].id;
            }
        }
        for (i = 0; i < p->nteams; i++) {
            size_t slot = p->team_slot[i];

            snprintf(key, sizeof(key), "%llu", (unsigned long long)p->matches[slot].id);
            if (idcache_get(last, key, NULL, &at) == RC_OK && at == slot + 1) {
                rows[nrows] = p->teams[i];
                rows[nrows++].match_id = p->matches[slot].id;
            }
        }
        rc = db_ingest_match_teams_many(db, ids, nids, rows, nrows);
    }
    for (i = 0; i < p->nraw; i++) {
        p->raw[i].match_id = p->raw_slot[i] == SIZE_MAX ? 0 : p->matches[p->raw_slot[i]].id;
    }
    if (rc == RC_OK) {
        rc = db_messages_insert_many(db, p->raw, p->nraw);
    }
    if (rc == RC_OK) {
        rc = db_ingest_outbox_many(db, ids, nids);
    }
    if (rc == RC_OK) {
        note_changed(p, ids, nids);
    }
    idcache_free(last);
    free(ids);
    free(rows);
    if (rc == RC_OK) {
        p->new_matches += inserted;
        p->nraw = 0;
        p->nmatches = 0;
        p->nteams = 0;
        p->bytes = 0;
        /* the arena keeps its memory until the batch ends */
        return RC_OK;
    }
    return rc == RC_UNAVAIL || rc == RC_INVALID ? rc : RC_ERR;
}

/* Careful mode: the database refused the rows of this message. Undo them and
 * keep the batch; the caches may name rows the rollback undid. */
static int
undo_message(struct db *db, struct idcache *cache, struct apply_pending *pending, size_t nraw,
             size_t nmatches, size_t nteams)
{
    if (db_ingest_rollback_to(db) != RC_OK) {
        return RC_UNAVAIL;
    }
    idcache_clear(cache);
    pending->nraw = nraw;
    pending->nmatches = nmatches;
    pending->nteams = nteams;
    return RC_OK;
}

/* Careful mode: the database refused this message's values. Undo its rows
 * and make it a rejected message, with the server's reason. */
static int
refused(struct db *db, struct idcache *cache, struct apply_pending *pending, size_t nraw,
        size_t nmatches, size_t nteams, struct raw_message *raw, struct apply_result *res)
{
    const char *err = db_last_error(db);
    size_t n;

    if (undo_message(db, cache, pending, nraw, nmatches, nteams) != RC_OK) {
        return RC_UNAVAIL;
    }
    n = (size_t)snprintf(res->reason, sizeof(res->reason), "the database refused the values: %s",
                         err);
    if (n >= sizeof(res->reason)) {
        text_cut_utf8(res->reason);
    }
    raw->rejected = 1;
    raw->error = res->reason;
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
    struct match_row mrow;
    uint64_t team_ids[MATCH_MAX_TEAMS];
    size_t nraw = pending->nraw, nmatches = pending->nmatches, nteams = pending->nteams;
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
    raw.exchange_len = d->exchange_len;
    raw.routing_key = d->routing_key;
    raw.routing_key_len = d->routing_key_len;
    raw.message_id = d->message_id;
    raw.message_id_len = d->message_id_len;

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
        rc = db_messages_seen(db, raw.sha256, d->message_id, d->message_id_len);
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
        rc = db_ingest_event(db, cache, ev, pending->link_seq, &mrow, team_ids);
        if (rc == RC_UNAVAIL || rc == RC_ERR || (rc == RC_INVALID && !careful)) {
            return rc;
        }
    }
    raw.rejected = parsed != RC_OK;
    raw.error = raw.rejected ? res->reason : NULL;
    if (parsed == RC_OK && rc != RC_OK &&
        refused(db, cache, pending, nraw, nmatches, nteams, &raw, res) != RC_OK) {
        return RC_UNAVAIL;
    }
    /* (a parsed message always has its event; the test is for the analyzer) */
    queue_raw(pending, &raw,
              raw.rejected || ev == NULL ? SIZE_MAX : queue_match(pending, &mrow, ev, team_ids));

    if (careful || pending->bytes >= FLUSH_BYTES) {
        rc = apply_flush(db, pending);
        if (rc == RC_INVALID && careful && !raw.rejected) {
            /* the match rows were refused: keep the message on record as rejected */
            if (refused(db, cache, pending, nraw, nmatches, nteams, &raw, res) != RC_OK) {
                return RC_UNAVAIL;
            }
            queue_raw(pending, &raw, SIZE_MAX);
            rc = apply_flush(db, pending);
        }
        if (rc == RC_UNAVAIL || rc == RC_ERR || (rc == RC_INVALID && !careful)) {
            return rc;
        }
        if (rc != RC_OK) {
            /* The log refused the row itself. Retrying would loop on the same
             * bytes forever, so the message goes to the dead-letter queue,
             * where it is kept, and the error is logged. */
            if (undo_message(db, cache, pending, nraw, nmatches, nteams) != RC_OK) {
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
        log_debug("apply", "event=applied tag=%llu source=\"%s\" id=\"%s\"",
                  (unsigned long long)d->tag, raw.source, raw.external_id);
    }
    return RC_OK;
}

int
apply_link(struct db *db, struct apply_pending *pending)
{
    int rc;

    if (pending->link_seq == 0 || pending->nchanged == 0) {
        return RC_OK;
    }
    rc = db_link_savepoint(db);
    if (rc == RC_OK) {
        rc = db_link_enqueue(db, pending->changed, pending->nchanged, pending->link_seq);
    }
    if (rc == RC_UNAVAIL) {
        return rc;
    }
    if (rc != RC_OK) {
        /* the rows go on without their links; tools/relink makes them */
        log_error("apply",
                  "event=link_queue_failed rc=%s matches=%zu err=\"%s\" action=committed_unlinked",
                  rc_name(rc), pending->nchanged, db_last_error(db));
        return db_link_undo(db) == RC_OK ? RC_OK : RC_UNAVAIL;
    }
    return RC_OK;
}
