/*
 * cache.h: each worker's cache of rendered API responses, keyed by the
 * request (route, path and query) and the data_version the consumer moves
 * with every commit. An entry is served only while data_version is the one
 * it was rendered at, so no response is older than the last commit the
 * worker can see. Direct-mapped, bounded in entries and bytes.
 */
#ifndef ESPORTS_FCGI_CACHE_H
#define ESPORTS_FCGI_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CACHE_SLOTS     512
#define CACHE_MAX_BYTES (2 * 1024 * 1024)
#define CACHE_MAX_ENTRY (256 * 1024) /* larger bodies are not kept */

/* Appends the body cached for key at version to out and copies its ETag
 * (24 bytes): RC_OK, or RC_NOTFOUND. */
int cache_get(const char *key, uint64_t version, buf_t *out, char etag[24]);
/* Keeps a copy of body and its ETag for key at version (replacing what the
 * slot held). */
void cache_put(const char *key, uint64_t version, const char *body, size_t len, const char *etag);
/* Frees everything. */
void cache_clear(void);

#endif
