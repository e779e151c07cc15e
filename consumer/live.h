/*
 * live.h: the change feed's work after each commit, in a thread of its own
 * with its own database connection (consumer/main.c), so ingestion never
 * waits for it:
 *   - publishes each committed change (the JSON of /api/changes/) to nginx's
 *     nchan through its publisher location (LIVE_PUBLISH_URL/match/<id>,
 *     which nginx.conf delivers to the channels "matches" and "match-<id>"),
 *     with short timeouts; a failure is logged once per streak, counted in
 *     live_status (/metrics) and never retried: subscribers that missed a
 *     change catch up from /api/changes/;
 *   - prunes the feed past CHANGES_KEEP_S and CHANGES_KEEP_ROWS, in small
 *     batches.
 */
#ifndef ESPORTS_LIVE_H
#define ESPORTS_LIVE_H

#include <stdint.h>

#include "config.h"

struct live;

/* Starts the thread (without LIVE_PUBLISH_URL it only prunes). Call after
 * the first database connection of the process. Never NULL. */
struct live *live_start(const struct config *cfg);

/* A batch committed the changes first..last: publish them. Cheap; never
 * blocks on the network. */
void live_notify(struct live *l, uint64_t first, uint64_t last);

/* Stops the thread (after its request in flight) and frees l. Accepts NULL. */
void live_stop(struct live *l);

#endif
