/* mem.c: the aborting allocators declared in mem.h. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static void
oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL) {
        oom(n);
    }
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

    if (p == NULL) {
        oom(nmemb * size);
    }
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL) {
        oom(n);
    }
    return q;
}

char *
xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    max_align_t data[]; /* aligned storage */
};

void
arena_init(struct arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size < 256 ? 256 : chunk_size;
}

void
arena_reset(struct arena *a)
{
    struct arena_chunk *c, *next;

    if (a->head == NULL) {
        return;
    }
    /* keep the oldest (last) chunk of the usual size: it serves the next round */
    for (c = a->head; c->next != NULL; c = next) {
        next = c->next;
        free(c);
    }
    a->head = c;
    if (c->size != a->chunk_size) {
        free(c);
        a->head = NULL;
        return;
    }
    c->used = 0;
}

void
arena_cleanup(struct arena *a)
{
    struct arena_chunk *c, *next;

    if (a == NULL) {
        return;
    }
    for (c = a->head; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}

void *
arena_alloc(struct arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    struct arena_chunk *c = a->head;
    void *p;

    /* past this the rounding or the chunk header would wrap to a small block */
    if (n > SIZE_MAX - sizeof(*c) - align) {
        oom(n);
    }
    n = (n + align - 1) / align * align;
    if (n == 0) {
        n = align;
    }
    if (c == NULL || c->size - c->used < n) {
        size_t size = n > a->chunk_size ? n : a->chunk_size;

        c = xmalloc(sizeof(*c) + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
