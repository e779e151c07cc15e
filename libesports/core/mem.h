/*
 * mem.h: allocation that never returns NULL. Out of memory aborts the process
 * (as Redis's zmalloc does); every input size is capped before we allocate, so
 * this only happens when the machine itself is out of memory.
 */
#ifndef ESPORTS_MEM_H
#define ESPORTS_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/*
 * An arena: many small allocations freed all at once (one per request in
 * fcgi/, one per message in consumer/). Nothing from it is freed piecemeal;
 * arena_reset() keeps the first chunk for reuse, arena_cleanup() frees all.
 */
struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t chunk_size;
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_reset(struct arena *a);
void arena_cleanup(struct arena *a);
/* n bytes aligned for any type; never NULL. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
