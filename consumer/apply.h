/*
 * apply.h: one message, inside the batch's transaction: the raw bytes go to
 * the message log, and a valid message's normalized rows and search-outbox
 * entry are written with it. A rejected message is recorded with its reason
 * and never disturbs the rest of the batch (it works inside a savepoint).
 */
#ifndef ESPORTS_CONSUMER_APPLY_H
#define ESPORTS_CONSUMER_APPLY_H

#include "config.h"
#include "db.h"
#include "mq.h"

enum apply_outcome {
    APPLY_APPLIED,  /* recorded and applied */
    APPLY_REJECTED, /* recorded as rejected: the caller dead-letters it after commit */
    APPLY_SKIPPED,  /* a redelivery of a message already committed: only ack it */
};

struct apply_result {
    enum apply_outcome outcome;
    int changed;      /* match rows were written (data_version must move) */
    char reason[256]; /* why it was rejected */
};

/* Registers the statements apply needs with db (before db_connect). */
void apply_register(struct db *db);

/*
 * Applies d inside the open transaction. RC_OK with *res filled; RC_UNAVAIL
 * or RC_ERR when the database failed, in which case the whole batch must be
 * rolled back and redelivered.
 */
int apply_message(const struct config *cfg, struct db *db, const struct mq_delivery *d,
                  struct apply_result *res);

#endif
