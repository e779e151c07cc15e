/* cache.c: the response cache and the data version it is kept by; see cache.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "commitclock.h"
#include "db_status.h"
#include "hash.h"
#include "mem.h"
#include "rc.h"
#include "view.h"

struct entry {
    char *key;
    uint64_t version;
    char *body;
    size_t len;
    char etag[24];
};

struct cache {
    pthread_mutex_t lock;
    struct entry slots[CACHE_SLOTS];
    size_t bytes;     /* body bytes held */
    size_t max_bytes; /* at most */
};

struct cache *
cache_new(size_t max_bytes)
{
    struct cache *c = xcalloc(1, sizeof(*c));

    c->max_bytes = max_bytes;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static size_t
slot_of(const char *key)
{
    return (size_t)(hash_str(key) % CACHE_SLOTS);
}

static void
drop(struct cache *c, struct entry *e)
{
    c->bytes -= e->len;
    free(e->key);
    free(e->body);
    memset(e, 0, sizeof(*e));
}

static void
drop_all(struct cache *c)
{
    size_t i;

    for (i = 0; i < CACHE_SLOTS; i++) {
        if (c->slots[i].key != NULL) {
            drop(c, &c->slots[i]);
        }
    }
}

void
cache_free(struct cache *c)
{
    if (c == NULL) {
        return;
    }
    drop_all(c);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int
cache_get(struct cache *c, const char *key, uint64_t version, buf_t *out, char etag[24])
{
    struct entry *e = &c->slots[slot_of(key)];
    int rc = RC_NOTFOUND;

    pthread_mutex_lock(&c->lock);
    if (e->key != NULL && e->version == version && strcmp(e->key, key) == 0) {
        buf_append(out, e->body, e->len);
        memcpy(etag, e->etag, sizeof(e->etag));
        rc = RC_OK;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void
cache_put(struct cache *c, const char *key, uint64_t version, const char *body, size_t len,
          const char *etag)
{
    struct entry *e = &c->slots[slot_of(key)];
    char *k, *b;

    if (len > CACHE_MAX_ENTRY || len > c->max_bytes) {
        return;
    }
    /* copied before the lock: the threads wait for pointers, not bytes */
    k = xstrdup(key);
    b = xmalloc(len ? len : 1);
    memcpy(b, body, len);
    pthread_mutex_lock(&c->lock);
    if (e->key != NULL) {
        drop(c, e);
    }
    /* over the byte budget: start over rather than track ages */
    if (c->bytes + len > c->max_bytes) {
        drop_all(c);
    }
    e->key = k;
    e->version = version;
    e->body = b;
    e->len = len;
    snprintf(e->etag, sizeof(e->etag), "%s", etag);
    c->bytes += len;
    pthread_mutex_unlock(&c->lock);
}

uint64_t
cache_clock_version(const struct worker *w)
{
    uint64_t v;

    if (w->commits != NULL && (v = commitclock_read(w->commits)) != 0) {
        /* the two counters count differently: a cache entry kept under one
         * must never match a version of the other */
        return v | (1ULL << 63);
    }
    return 0;
}

int
cache_data_version(struct worker *w, uint64_t *version)
{
    *version = cache_clock_version(w);
    return *version != 0 ? RC_OK : db_status_version(w->db, version);
}

void
cache_run(struct req *r, int (*handler)(struct req *r), enum cache_policy policy,
          enum answer answer)
{
    uint64_t version;
    char *key, etag[24];
    const char *origin;
    size_t plen = strlen(r->path), qlen = strlen(r->query), olen;

    if (policy == PER_SECOND) {
        version = (uint64_t)time(NULL);
    } else if (cache_data_version(r->w, &version) != RC_OK) {
        /* the handler meets the same database and answers for it */
        resp_result(r, answer, handler(r));
        return;
    } else {
        r->data_version = version;
    }
    /* the origin too: list responses carry absolute next/previous links;
     * and a page shows the stalled banner or not */
    origin = req_origin(r);
    olen = strlen(origin);
    key = arena_alloc(&r->arena, olen + plen + qlen + 3);
    memcpy(key, origin, olen);
    memcpy(key + olen, r->path, plen);
    key[olen + plen] = '?';
    memcpy(key + olen + plen + 1, r->query, qlen + 1);
    if (answer == ANSWER_PAGE && view_ingest_stalled(r)) {
        memcpy(key + olen + plen + 1 + qlen, "\x01", 2); /* no byte of a request line */
    }
    if (cache_get(r->w->cache, key, version, &r->body, etag) == RC_OK) {
        resp_cached(r, answer, etag);
        return;
    }
    r->etag[0] = '\0';
    resp_result(r, answer, handler(r));
    if ((r->status == 200 || r->status == 304) && !r->body.err && r->etag[0] != '\0' &&
        !r->uncached) {
        cache_put(r->w->cache, key, version, r->body.data ? r->body.data : "", r->body.len,
                  r->etag);
    }
}
