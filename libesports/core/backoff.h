/*
 * backoff.h: the capped exponential delay between attempts that every
 * retry loop uses (the database connect, the search client, the consumer's
 * reconnects, the mirror): the first delay is start_ms, each next one twice
 * the last, never above max_ms. No jitter: one process retries one peer.
 */
#ifndef ESPORTS_BACKOFF_H
#define ESPORTS_BACKOFF_H

struct backoff {
    long start_ms; /* the first delay, and the one after backoff_reset() */
    long max_ms;   /* the cap of the doubling */
    long delay_ms; /* the delay the next backoff_next() returns */
};

/* A backoff whose first delay is start_ms, doubling up to max_ms. */
void backoff_init(struct backoff *b, long start_ms, long max_ms);
/* The delay to wait now; the one after it doubles, capped at max_ms. */
long backoff_next(struct backoff *b);
/* Back to start_ms (an attempt succeeded). */
void backoff_reset(struct backoff *b);
/* Sleeps ms milliseconds; a signal cuts the sleep short, which is what a
 * stopping process wants. */
void backoff_sleep_ms(long ms);

#endif
