/*
 * commitclock.c: the shared commit counter (see commitclock.h). Two 64-bit
 * atomics in a mapped file; sequentially consistent operations, so the
 * order of the reads and writes is the order written here.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "commitclock.h"
#include "log.h"
#include "mapfile.h"
#include "mem.h"

struct clock_page {
    _Atomic uint64_t begun;
    _Atomic uint64_t done;
};

struct commitclock {
    struct clock_page *p;
};

struct commitclock *
commitclock_open(const char *path)
{
    struct commitclock *c;
    void *m = mapfile_open(path, sizeof(struct clock_page), "commitclock", "database");

    if (m == NULL) {
        return NULL;
    }
    c = xmalloc(sizeof(*c));
    c->p = m;
    return c;
}

void
commitclock_close(struct commitclock *c)
{
    if (c != NULL) {
        mapfile_close(c->p, sizeof(struct clock_page));
        free(c);
    }
}

void
commitclock_begin(struct commitclock *c)
{
    if (c != NULL) {
        atomic_fetch_add(&c->p->begun, 1);
    }
}

void
commitclock_done(struct commitclock *c)
{
    if (c != NULL) {
        atomic_fetch_add(&c->p->done, 1);
    }
}

void
commitclock_settle(struct commitclock *c)
{
    uint64_t begun, done;

    if (c == NULL) {
        return;
    }
    begun = atomic_load(&c->p->begun);
    done = atomic_load(&c->p->done);
    if (begun != done) {
        log_warn("commitclock", "event=settled begun=%llu done=%llu", (unsigned long long)begun,
                 (unsigned long long)done);
        /* done moves forward only, so no worker reuses an older version */
        atomic_store(&c->p->done, begun > done ? begun : done);
        atomic_store(&c->p->begun, begun > done ? begun : done);
    }
}

uint64_t
commitclock_read(const struct commitclock *c)
{
    uint64_t done = atomic_load(&c->p->done);

    if (atomic_load(&c->p->begun) != done) {
        return 0;
    }
    return done + 1;
}
