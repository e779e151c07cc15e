/*
 * mirror.h: the search mirror of the consumer. In a thread of its own (with
 * its own database connection; consumer/main.c) it sends the
 * documents of the matches named in search_outbox to the search engine in
 * one _bulk per round, deletes the outbox rows the engine confirmed, counts
 * failures per row and parks a row after MIRROR_MAX_ATTEMPTS. The engine
 * being down never blocks ingestion: the outbox grows, the mirror backs off
 * (capped) and catches up by itself.
 */
#ifndef ESPORTS_MIRROR_H
#define ESPORTS_MIRROR_H

#include "config.h"
#include "db.h"

struct mirror;

/* A mirror writing through db, or NULL when ELASTICSEARCH_URL is empty.
 * Registers its statements: call before db_connect(). */
struct mirror *mirror_new(const struct config *cfg, struct db *db);
/* Accepts NULL. */
void mirror_free(struct mirror *m);

/* Whether this process (pid) should mirror: it is the status row's active
 * consumer and holds the mirror's lock (taken here; given back when it is
 * no longer the active one). A stand-by consumer never mirrors. */
int mirror_is_active(struct mirror *m, int pid);

/* A commit queued outbox rows: there is work again. Accepts NULL. */
void mirror_notify(struct mirror *m);

/*
 * Runs one round when one is due, outside any transaction. busy: the queue
 * has more deliveries waiting, so rounds are spaced out to leave ingestion
 * its speed. Returns how many ms the caller may wait for deliveries before
 * the mirror wants to run again, at most max_wait_ms (max_wait_ms for NULL).
 */
int mirror_poll(struct mirror *m, int busy, int max_wait_ms);

#endif
