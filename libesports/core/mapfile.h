/*
 * mapfile.h: a small file mapped shared, so that processes of one host see
 * the same bytes (the workers' metrics, the consumer's commit clock).
 */
#ifndef ESPORTS_MAPFILE_H
#define ESPORTS_MAPFILE_H

#include <stddef.h>

/* Maps size bytes of path, created (zero-filled) when missing. NULL when it
 * cannot, after a warning naming path, logged as module mod with
 * using=fallback (what the caller does instead). */
void *mapfile_open(const char *path, size_t size, const char *mod, const char *fallback);
/* Unmaps what mapfile_open returned. Accepts NULL. */
void mapfile_close(void *p, size_t size);

#endif
