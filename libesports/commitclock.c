/*
 * commitclock.c: the shared commit counter (see commitclock.h). Two 64-bit
 * atomics in a mapped file; sequentially consistent operations, so the
 * order of the reads and writes is the order written here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commitclock.h"
#include "log.h"
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
    void *m;
    int fd;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, sizeof(struct clock_page)) != 0) {
        log_warn("commitclock", "event=open_failed path=\"%s\" err=\"%s\" using=database", path,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    m = mmap(NULL, sizeof(struct clock_page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        log_warn("commitclock", "event=mmap_failed path=\"%s\" err=\"%s\" using=database", path,
                 strerror(errno));
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
        munmap(c->p, sizeof(struct clock_page));
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
