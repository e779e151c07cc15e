/*
 * idcache.h: the consumer's memory of rows it has already upserted (sources,
 * titles, tournaments, teams): key -> (id, name). A hit with the same name
 * saves a round trip to the database. The cache is only right while this
 * process is the only writer and its transactions commit: the consumer clears
 * it on every rollback and whenever data_version shows another writer.
 */
#ifndef ESPORTS_IDCACHE_H
#define ESPORTS_IDCACHE_H

#include <stddef.h>
#include <stdint.h>

struct idcache;

struct idcache *idcache_new(void);
/* Accepts NULL. */
void idcache_free(struct idcache *c);
void idcache_clear(struct idcache *c);
size_t idcache_count(const struct idcache *c);

/* RC_OK with *id when key is cached and name is NULL, "" or equal to the
 * cached name; RC_NOTFOUND otherwise. */
int idcache_get(const struct idcache *c, const char *key, const char *name, uint64_t *id);
/* Stores or replaces key -> (id, name). name NULL or "" keeps the cached name. */
void idcache_put(struct idcache *c, const char *key, const char *name, uint64_t id);

#endif
