/*
 * metrics.h: request counters and a latency histogram per route, shared by
 * every worker through a memory-mapped file (METRICS_FILE), so /metrics gives
 * the same totals whichever worker answers. Without a file the counters are
 * the worker's own. Every count is an atomic add: the threads of a worker
 * share one struct metrics.
 */
#ifndef ESPORTS_FCGI_METRICS_H
#define ESPORTS_FCGI_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "db_status.h"

#define METRICS_ROUTES 16

struct metrics;

/* Maps METRICS_FILE (created if needed), or private memory when path is ""
 * or cannot be mapped (logged). Never NULL. */
struct metrics *metrics_open(const char *path);
void metrics_close(struct metrics *m);

/* One answered request of route (0..METRICS_ROUTES-1) with status and duration. */
void metrics_observe(struct metrics *m, int route, int status, double seconds);
/* A database call that failed (unavailable or error). */
void metrics_db_error(struct metrics *m);

/* The Prometheus text: routes are named by names[0..n); cs (may be NULL) adds
 * the consumer's progress. */
void metrics_render(const struct metrics *m, buf_t *out, const char *const *names, size_t n,
                    const struct consumer_status *cs, int stall_s);

/* The change feed and its live push (live_status): changes published to
 * nchan, publishes that failed, the newest seq of the feed. */
void metrics_render_live(buf_t *out, uint64_t published, uint64_t failed, uint64_t newest_seq);

/* The rows waiting in link_queue for the linker (matches, renames), and
 * how long the oldest has waited. */
void metrics_render_link_queue(buf_t *out, uint64_t depth, double oldest_s);

#endif
