/*
 * linker.h: the record linker of the consumer, in a thread of its own with
 * its own database connection (consumer/main.c), so ingestion never waits
 * for it.
 *
 * A batch only queues the matches it changed (link_queue, kind 'match',
 * with seq = the data_version it commits), and the teams and tournaments it
 * renamed. The linker takes the queue in slices of up to LINKER_SLICE
 * matches, one transaction each:
 *   1. reads, in the transaction's snapshot and without a lock: the queue,
 *      then the closed set of the slice's matches (db_link_matches gathers
 *      and clusters it);
 *   2. takes the row lock every batch takes first (db_status_lock_version),
 *      so from here on no batch is open; removes the queue rows it read,
 *      each only if no batch queued it again since (its seq is unchanged);
 *   3. writes what differs, records the change and the search document of
 *      each match whose links moved, and commits.
 * Holding no row before the batches' lock that a batch may want, it never
 * deadlocks with them. Its session checks no foreign key (DB_NO_FK_CHECKS):
 * a check takes a shared lock on the match or team a link row names, which a
 * batch may be updating while it waits for a match the linker's check
 * locked. The rows it names are ones it has just read, and nothing deletes a
 * match or a team.
 * Reading while the batches go on means a slice may link from rows a batch
 * has since changed; that batch queued them again, with a higher seq, and
 * the next slice links them from the new rows: once the queue is empty the
 * links are those of the current rows, what tools/relink would make.
 *
 * Only the status row's consumer links (a stand-by starts once it takes
 * over), and only the holder of the named lock 'esports.link', which
 * tools/link and tools/relink take too: one writer of links at a time.
 */
#ifndef ESPORTS_CONSUMER_LINKER_H
#define ESPORTS_CONSUMER_LINKER_H

#include <pthread.h>
#include <stdint.h>

#include "commitclock.h"
#include "config.h"

/* Matches relinked per transaction at most. Larger slices share more of
 * their candidates (1,000: about 1.8 rows loaded and 36 pairs scored per
 * match against 3.6 and 43 at 500), at the cost of the closed set's size
 * (under DB_LINK_MAX_NODES on the benchmark seeds) and of a longer hold of
 * the batches' lock at the end of each (about 22 ms against 13). */
#define LINKER_SLICE 1000

struct linker;

/* After each commit of the linker that recorded changes first..last (0, 0:
 * it only removed queue rows): called in the linker's thread. */
typedef void (*linker_published_fn)(void *arg, uint64_t first, uint64_t last);

/* Starts the thread (LINK_ENABLED=1; NULL otherwise, which the others
 * accept). clock may be NULL; clock_mu serialises the linker's commits with
 * the consumer's commitclock_settle. Call after the first database
 * connection of the process. */
struct linker *linker_start(const struct config *cfg, struct commitclock *clock,
                            pthread_mutex_t *clock_mu, linker_published_fn published, void *arg);

/* A batch committed queue rows: look at the queue now. */
void linker_notify(struct linker *l);

/* Whether the consumer is taking a backlog (1: its last batch was full) or
 * has drained its queue (0). While it takes one, a slice that emptied the
 * link queue waits up to LINGER_MS for more; after, the linker goes on at
 * once. */
void linker_feeding(struct linker *l, int feeding);

/* How many times the linker has moved data_version (each by one), counted
 * while it holds the batches' row lock: a batch that reads data_version
 * under that lock tells the linker's moves from another writer's. */
uint64_t linker_bumps(const struct linker *l);

/* Stops the thread (after its slice in flight) and frees l. */
void linker_stop(struct linker *l);

#endif
