/*
 * cache.h: each worker process's cache of rendered responses, keyed by the
 * request (origin, path and query) and the data version the consumer moves
 * with every commit. An entry is served only while the data version is the
 * one it was rendered at, so no response is older than the last commit the
 * worker can see. Direct-mapped, bounded in entries and bytes, one lock for
 * the threads of the process (held for a lookup or a copy, never while a
 * response is rendered).
 */
#ifndef ESPORTS_FCGI_CACHE_H
#define ESPORTS_FCGI_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "req.h"

#define CACHE_SLOTS     512
#define CACHE_MAX_ENTRY (256 * 1024) /* larger bodies are not kept */

/* How a route's responses are kept. */
enum cache_policy {
    NOT_CACHED,
    PER_VERSION, /* until the consumer's next commit (the data version) */
    PER_SECOND,  /* for the rest of the second: search, whose engine lags anyway */
};

/* A cache of at most max_bytes of bodies (0: it keeps nothing). */
struct cache *cache_new(size_t max_bytes);
void cache_free(struct cache *c);

/* Appends the body cached for key at version to out and copies its ETag
 * (24 bytes): RC_OK, or RC_NOTFOUND. */
int cache_get(struct cache *c, const char *key, uint64_t version, buf_t *out, char etag[24]);
/* Keeps a copy of body and its ETag for key at version (replacing what the
 * slot held). */
void cache_put(struct cache *c, const char *key, uint64_t version, const char *body, size_t len,
               const char *etag);

/* The data version a response is kept under: the commit clock when the
 * consumer shares one and no commit is under way, else data_version from
 * the database. */
int cache_data_version(struct worker *w, uint64_t *version);
/* That version when the commit clock gives it without a round trip, else 0. */
uint64_t cache_clock_version(const struct worker *w);

/* Answers r from the cache when the data has not moved since the response
 * was rendered; otherwise runs handler, answers its result (resp_result)
 * and keeps the response when it is a 200 with a validator. */
void cache_run(struct req *r, int (*handler)(struct req *r), enum cache_policy policy,
               enum answer answer);

#endif
