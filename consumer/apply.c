/*
 * apply.c: one message inside the batch transaction; see apply.h.
 *
 * Order of work: parse in memory (no database), then under a savepoint write
 * the normalized rows and the raw log row. A message that does not parse is
 * logged as rejected without touching the match tables. A redelivered message
 * whose bytes (and message id) are already in the log was committed by an
 * earlier run that died before its ack: it is skipped, not applied twice.
 */
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "db_ingest.h"
#include "db_messages.h"
#include "log.h"
#include "mem.h"
#include "msg.h"
#include "rc.h"
#include "sha256.h"
#include "text.h"

void
apply_register(struct db *db)
{
    db_messages_register(db);
    db_ingest_register(db);
}

static struct arena msg_arena = {NULL, 64 * 1024};

int
apply_message(const struct config *cfg, struct db *db, const struct mq_delivery *d,
              struct apply_result *res)
{
    struct msg_opts opts;
    struct match_event *ev = NULL;
    struct raw_message raw;
    uint64_t match_id = 0;
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

    rc = db_ingest_savepoint(db);
    if (rc != RC_OK) {
        return rc;
    }
    if (parsed == RC_OK) {
        rc = db_ingest_event(db, ev, &match_id);
        if (rc == RC_ERR || rc == RC_INVALID) {
            /* the server refused these values: reject this message, keep the batch */
            if (db_ingest_rollback_to(db) != RC_OK) {
                return RC_UNAVAIL;
            }
            snprintf(res->reason, sizeof(res->reason), "the database refused the values");
            parsed = RC_INVALID;
            match_id = 0;
        } else if (rc != RC_OK) {
            return rc;
        }
    }
    raw.rejected = parsed != RC_OK;
    raw.error = raw.rejected ? res->reason : NULL;
    raw.match_id = match_id;
    rc = db_messages_insert(db, &raw, NULL);
    if (rc == RC_ERR || rc == RC_INVALID) {
        /* The log refused the row itself. Retrying would loop on the same
         * bytes forever, so the message goes to the dead-letter queue, where
         * it is kept, and the error is logged. */
        if (db_ingest_rollback_to(db) != RC_OK) {
            return RC_UNAVAIL;
        }
        res->outcome = APPLY_REJECTED;
        log_error("apply", "event=unrecordable tag=%llu bytes=%zu action=dead_lettered",
                  (unsigned long long)d->tag, d->len);
        return RC_OK;
    }
    if (rc == RC_OK) {
        rc = db_ingest_release(db);
    }
    if (rc != RC_OK) {
        return RC_UNAVAIL;
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
