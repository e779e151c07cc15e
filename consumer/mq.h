/*
 * mq.h: the consumer's side of RabbitMQ (librabbitmq behind consumer/mq.c;
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
    /* the AMQP short strings as the broker sent them: any bytes, NUL
     * included, at most 255 (each also NUL-terminated for logs) */
    char exchange[256];
    size_t exchange_len;
    char routing_key[256];
    size_t routing_key_len;
    char message_id[256]; /* empty when the publisher set none */
    size_t message_id_len;
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

/* Messages ready in the queue (a passive queue.declare on a channel of its
 * own), or -1 when not connected or it failed (the connection is then
 * treated as lost). */
int64_t mq_queue_depth(struct mq *mq);
/* The depth the last connection attempt's queue.declare-ok gave (a blocked
 * queue is declared before the consume fails), or -1. */
int64_t mq_last_depth(const struct mq *mq);

/* The reply code (and "code text" in *text) of the broker's last close of
 * the connection or a channel, 0 once a delivery came through since. A 541
 * whose text names content_properties_shortstr_overflow means the broker
 * cannot encode the message at the head of the queue (a property over 255
 * bytes, published through the management API): every consume fails until
 * that message is moved away (README: "A message the broker cannot deliver"). */
int mq_broker_close(const struct mq *mq, const char **text);

/* basic.ack of every delivery up to and including tag. */
int mq_ack_upto(struct mq *mq, uint64_t tag);
/* basic.reject without requeue: the broker dead-letters the message. */
int mq_dead_letter(struct mq *mq, uint64_t tag);

#endif
