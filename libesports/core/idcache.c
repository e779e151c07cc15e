/* idcache.c: an open-addressing hash map of strings; see idcache.h. */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "idcache.h"
#include "mem.h"
#include "rc.h"

/* Past this many entries the map starts over rather than grow without bound. */
#define IDCACHE_MAX 1000000

struct slot {
    char *key; /* NULL = empty */
    char *name;
    uint64_t id;
    uint64_t hash;
};

struct idcache {
    struct slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

struct idcache *
idcache_new(void)
{
    struct idcache *c = xcalloc(1, sizeof(*c));

    c->cap = 1024;
    c->slots = xcalloc(c->cap, sizeof(*c->slots));
    return c;
}

void
idcache_clear(struct idcache *c)
{
    size_t i;

    for (i = 0; i < c->cap; i++) {
        free(c->slots[i].key);
        free(c->slots[i].name);
    }
    memset(c->slots, 0, c->cap * sizeof(*c->slots));
    c->count = 0;
}

void
idcache_free(struct idcache *c)
{
    if (c == NULL) {
        return;
    }
    idcache_clear(c);
    free(c->slots);
    free(c);
}

size_t
idcache_count(const struct idcache *c)
{
    return c->count;
}

static struct slot *
find(const struct idcache *c, const char *key, uint64_t h)
{
    size_t i = (size_t)h & (c->cap - 1);

    for (;;) {
        struct slot *s = &c->slots[i];

        if (s->key == NULL || (s->hash == h && strcmp(s->key, key) == 0)) {
            return s;
        }
        i = (i + 1) & (c->cap - 1);
    }
}

static void
grow(struct idcache *c)
{
    struct slot *old = c->slots;
    size_t oldcap = c->cap, i;

    c->cap *= 2;
    c->slots = xcalloc(c->cap, sizeof(*c->slots));
    for (i = 0; i < oldcap; i++) {
        if (old[i].key != NULL) {
            *find(c, old[i].key, old[i].hash) = old[i];
        }
    }
    free(old);
}

int
idcache_get(const struct idcache *c, const char *key, const char *name, uint64_t *id)
{
    const struct slot *s = find(c, key, hash_str(key));

    if (s->key == NULL) {
        return RC_NOTFOUND;
    }
    if (name != NULL && name[0] != '\0' && (s->name == NULL || strcmp(s->name, name) != 0)) {
        return RC_NOTFOUND;
    }
    *id = s->id;
    return RC_OK;
}

void
idcache_put(struct idcache *c, const char *key, const char *name, uint64_t id)
{
    uint64_t h = hash_str(key);
    struct slot *s;

    if (c->count >= IDCACHE_MAX) {
        idcache_clear(c);
    }
    if ((c->count + 1) * 4 > c->cap * 3) {
        grow(c);
    }
    s = find(c, key, h);
    if (s->key == NULL) {
        s->key = xstrdup(key);
        s->hash = h;
        c->count++;
    }
    s->id = id;
    if (name != NULL && name[0] != '\0') {
        free(s->name);
        s->name = xstrdup(name);
    }
}
