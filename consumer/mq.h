/*
 * mq.h: the consumer's side of RabbitMQ (librabbitmq behind consumer/amqp.c;
 * nothing else includes amqp.h).
 *
 * mq_connect() opens the connection with heartbeats, declares the topology
 * (exchange, queue with single-active-consumer and dead-lettering, the
 * dead-letter exchange and queue), sets the prefetch and starts consuming.
 * Any failure afterwards is RC_UNAVAIL: the caller rolls back what it has not
 * committed, calls mq_close() and connects again; unacked messages come back
 * as redeliveries.
 */
#ifndef ESPORTS_CONSUMER_MQ_H
#define ESPORTS_CONSUMER_MQ_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct mq;

struct mq_delivery {
    uint64_t tag;
    int redelivered;
    const char *body; /* borrowed: valid until mq_release() */
    size_t len;
    char exchange[256];
    char routing_key[256];
    char message_id[256]; /* "" when the publisher set none */
};

struct mq *mq_new(const struct config *cfg);
/* Closes the connection if open. Accepts NULL. */
void mq_free(struct mq *mq);

/* Connects, declares the topology and starts consuming: RC_OK, or RC_UNAVAIL
 * (logged). */
int mq_connect(struct mq *mq);
/* Closes the channel and connection (gracefully when still possible). */
void mq_close(struct mq *mq);
int mq_is_connected(const struct mq *mq);

/*
 * Waits up to timeout_ms for the next delivery. RC_OK with *d filled (release
 * it with mq_release before the next call), RC_NOTFOUND on timeout (heartbeats
 * are serviced meanwhile), RC_UNAVAIL when the connection or channel is lost.
 */
int mq_next(struct mq *mq, int timeout_ms, struct mq_delivery *d);
void mq_release(struct mq *mq);

/* basic.ack of every delivery up to and including tag. */
int mq_ack_upto(struct mq *mq, uint64_t tag);
/* basic.reject without requeue: the broker dead-letters the message. */
int mq_dead_letter(struct mq *mq, uint64_t tag);

#endif
