/*
 * worker.h: everything one serving thread works with. A worker process
 * (main.c) builds the shared pieces once (configuration, templates, commit
 * clock, response cache, metrics) and one struct worker per accept thread,
 * with the thread's own database connection, search client and the small
 * caches of the pages. A handler reaches it as r->w; nothing in fcgi/ keeps
 * state of its own at file level.
 */
#ifndef ESPORTS_FCGI_WORKER_H
#define ESPORTS_FCGI_WORKER_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "db_matches.h"
#include "mem.h"

struct cache;
struct commitclock;
struct metrics;
struct mustache_set;
struct search;

/* The form's reference lists (view.c), kept for the data version they were
 * read at: counting matches is the costliest query of a page. */
struct refs_kept {
    uint64_t version; /* 0: nothing kept */
    struct arena arena;
    struct ref_view *v[3];
    size_t n[3];
};

struct worker {
    /* shared by the threads of the process; read-only or thread-safe */
    const struct config *cfg;
    const struct mustache_set *templates;
    const struct commitclock *commits; /* NULL: no clock shared */
    struct cache *cache;
    struct metrics *metrics;
    /* this thread's own */
    struct db *db;
    struct search *search; /* NULL: search is off */
    struct refs_kept refs;
    long stalled_checked_ms; /* when ingestion was last judged, -1: never */
    int stalled;
};

#endif
