/*
 * commitclock.h: a commit counter in a small file that the consumer and the
 * FastCGI workers of one host map (COMMIT_CLOCK_FILE). The consumer marks
 * each commit that changes match data as begun, then done; a worker reads
 * the counter instead of asking MariaDB for data_version on every cached
 * request, so a cache hit costs no round trip.
 *
 * The rule that keeps responses fresh: a worker reads `done`, then `begun`.
 * If they differ, a commit is under way and it must go to the database;
 * otherwise every commit that finished before the read has moved `done`
 * past the value any older cached response was kept under. Every process
 * that writes match data must share the file; one that crashes between
 * begin and done leaves the workers asking the database (slower, never
 * stale) until a consumer starts and settles the counter.
 */
#ifndef ESPORTS_COMMITCLOCK_H
#define ESPORTS_COMMITCLOCK_H

#include <stdint.h>

struct commitclock;

/* Maps path (created when missing). NULL, with a warning logged, when it
 * cannot: the callers then fall back to the database. */
struct commitclock *commitclock_open(const char *path);
void commitclock_close(struct commitclock *c);

/* The consumer, around each commit that changes match data. */
void commitclock_begin(struct commitclock *c);
void commitclock_done(struct commitclock *c);
/* The consumer at start: forgets commits begun by a process that died
 * before finishing them. */
void commitclock_settle(struct commitclock *c);

/* A version for cached responses (never 0), or 0 while a commit is under
 * way (ask the database). */
uint64_t commitclock_read(const struct commitclock *c);

#endif
