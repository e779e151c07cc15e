/*
 * db_messages.h: the raw message log. Every message received is stored here
 * byte-exact, with its SHA-256, delivery facts and outcome.
 */
#ifndef ESPORTS_DB_MESSAGES_H
#define ESPORTS_DB_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "sha256.h"

struct raw_message {
    const char *payload; /* the bytes exactly as received */
    size_t len;
    unsigned char sha256[SHA256_LEN];
    int rejected;       /* 0 applied, 1 rejected */
    const char *error;  /* reason when rejected, else NULL */
    const char *source; /* NULL when the message has none we could read */
    const char *external_id;
    uint64_t match_id; /* 0 = none */
    uint64_t delivery_tag;
    int redelivered;
    /* delivery properties: bytes with their lengths (0 = none) */
    const char *exchange;
    size_t exchange_len;
    const char *routing_key;
    size_t routing_key_len;
    const char *message_id;
    size_t message_id_len;
};

void db_messages_register(struct db *db);

/* Inserts n rows in one round trip (array binding), in order. */
int db_messages_insert_many(struct db *db, const struct raw_message *rows, size_t n);

/* Whether a message with this SHA-256 and message id (id_len bytes; 0 =
 * none) is already in the log: RC_OK yes, RC_NOTFOUND no. Asked for
 * redeliveries, to skip what an interrupted run had already committed. */
int db_messages_seen(struct db *db, const unsigned char sha256[SHA256_LEN], const char *message_id,
                     size_t id_len);

#endif
