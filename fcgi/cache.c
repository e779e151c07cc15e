/* cache.c: the per-worker response cache; see cache.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "hash.h"
#include "mem.h"
#include "rc.h"

struct entry {
    char *key;
    uint64_t version;
    char *body;
    size_t len;
    char etag[24];
};

static struct entry slots[CACHE_SLOTS];
static size_t bytes; /* body bytes held */

static size_t
slot_of(const char *key)
{
    return (size_t)(hash_str(key) % CACHE_SLOTS);
}

static void
drop(struct entry *e)
{
    bytes -= e->len;
    free(e->key);
    free(e->body);
    memset(e, 0, sizeof(*e));
}

int
cache_get(const char *key, uint64_t version, buf_t *out, char etag[24])
{
    struct entry *e = &slots[slot_of(key)];

    if (e->key == NULL || e->version != version || strcmp(e->key, key) != 0) {
        return RC_NOTFOUND;
    }
    buf_append(out, e->body, e->len);
    memcpy(etag, e->etag, sizeof(e->etag));
    return RC_OK;
}

void
cache_put(const char *key, uint64_t version, const char *body, size_t len, const char *etag)
{
    struct entry *e = &slots[slot_of(key)];
    size_t i;

    if (len > CACHE_MAX_ENTRY) {
        return;
    }
    if (e->key != NULL) {
        drop(e);
    }
    /* over the byte budget: start over rather than track ages */
    if (bytes + len > CACHE_MAX_BYTES) {
        for (i = 0; i < CACHE_SLOTS; i++) {
            if (slots[i].key != NULL) {
                drop(&slots[i]);
            }
        }
    }
    e->key = xstrdup(key);
    e->version = version;
    e->body = xmalloc(len ? len : 1);
    memcpy(e->body, body, len);
    e->len = len;
    snprintf(e->etag, sizeof(e->etag), "%s", etag);
    bytes += len;
}

void
cache_clear(void)
{
    size_t i;

    for (i = 0; i < CACHE_SLOTS; i++) {
        if (slots[i].key != NULL) {
            drop(&slots[i]);
        }
    }
}
