/*
 * dispatch.c: which thread serves which FastCGI connection; see dispatch.h.
 *
 * One epoll set per process holds the listening socket and every open
 * connection that waits for its next request, each registered one-shot: an
 * event goes to exactly one thread, and the descriptor stays quiet until that
 * thread hands it back. A thread takes whatever is ready first, a new
 * connection or a request on a kept one, so an idle connection holds no
 * thread and a request never waits for one particular thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "dispatch.h"
#include "log.h"
#include "mem.h"

/* How often a waiting thread looks at the stop flag. */
#define WAIT_MS 250
/* Connections taken from the backlog at one wake-up. */
#define ACCEPT_BURST 16
/* Once no request has started for this long, the heap's free pages go back
 * to the system: a worker that served a burst keeps only what it holds. */
#define IDLE_TRIM_MS 1000

struct dispatch {
    int epfd;
    int listen_fd;
    int tcp;             /* the listening socket is TCP: no Nagle on its connections */
    atomic_int served;   /* a request started since the last trim */
    atomic_long last_ms; /* when the last one started (dt_mono_ms) */
};

/* A thread whose wait timed out: trims the heap when the whole process has
 * been idle IDLE_TRIM_MS since it last served (one thread does it). */
static void
idle(struct dispatch *d)
{
    if (atomic_load(&d->served) && dt_mono_ms() - atomic_load(&d->last_ms) >= IDLE_TRIM_MS &&
        atomic_exchange(&d->served, 0)) {
        malloc_trim(0);
    }
}

static int
watch(struct dispatch *d, int op, int fd, uint32_t events)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = events | EPOLLONESHOT;
    ev.data.fd = fd;
    return epoll_ctl(d->epfd, op, fd, &ev);
}

struct dispatch *
dispatch_open(int listen_fd, char *err, size_t errlen)
{
    struct dispatch *d;
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    int flags = fcntl(listen_fd, F_GETFL);

    memset(&sa, 0, sizeof(sa));

    /* Shared with the other worker processes: a wake-up may find the
     * connection taken by one of them, and accept() must then not wait. */
    if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "the listening socket (fd %d): %s", listen_fd, strerror(errno));
        return NULL;
    }
    d = xcalloc(1, sizeof(*d));
    d->listen_fd = listen_fd;
    atomic_init(&d->served, 0);
    atomic_init(&d->last_ms, 0);
    d->tcp = getsockname(listen_fd, (struct sockaddr *)&sa, &len) == 0 &&
             (sa.ss_family == AF_INET || sa.ss_family == AF_INET6);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->epfd < 0 || watch(d, EPOLL_CTL_ADD, listen_fd, EPOLLIN) < 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        dispatch_close(d);
        return NULL;
    }
    return d;
}

void
dispatch_close(struct dispatch *d)
{
    if (d == NULL) {
        return;
    }
    if (d->epfd >= 0) {
        close(d->epfd);
    }
    free(d);
}

/* Takes what waits in the backlog into the set; 0, or -1 on a failure that
 * leaves the process unable to accept. */
static int
accept_some(struct dispatch *d)
{
    int i, fd, one = 1;
    struct timeval read_limit = {.tv_sec = 1, .tv_usec = 0};

    for (i = 0; i < ACCEPT_BURST; i++) {
        fd = accept(d->listen_fd, NULL, NULL);
        if (fd < 0) {
            switch (errno) {
            case EAGAIN:
#if EAGAIN != EWOULDBLOCK
            case EWOULDBLOCK:
#endif
            case EINTR:
            case ECONNABORTED:
            case EPROTO:
                goto rearm;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                /* the kept connections still get their answers; new ones
                 * wait in the backlog until a descriptor is free */
                log_warn("fcgi", "event=accept_deferred err=\"%s\"", strerror(errno));
                goto rearm;
            default:
                return -1;
            }
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        /* a peer that stops inside a request holds its thread this long at
         * most (libfcgi reads the request blocking). nginx writes a request
         * whole; a request waits behind one such hold per thread of its
         * worker, and at 4 threads three rounds of 2 s were 6 s. */
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_limit, sizeof(read_limit));
        if (d->tcp) {
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        if (watch(d, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP) < 0) {
            log_warn("fcgi", "event=connection_refused err=\"epoll: %s\"", strerror(errno));
            close(fd);
        }
    }
rearm:
    return watch(d, EPOLL_CTL_MOD, d->listen_fd, EPOLLIN) < 0 ? -1 : 0;
}

/* Whether a ready connection has a request to read (1), was closed by its
 * peer (0, and it is closed here), or woke for nothing (-1, watched again).
 * Readable alone, with no hang-up or error beside it, is bytes waiting on a
 * stream socket (each connection is armed one-shot, so no other thread
 * took them): only the other wake-ups cost a look. */
static int
has_request(struct dispatch *d, int fd, uint32_t events)
{
    char c;
    ssize_t n;

    if (events == EPOLLIN) {
        return 1;
    }
    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    if (n > 0) {
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
        watch(d, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLRDHUP) == 0) {
        return -1;
    }
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    return 0;
}

int
dispatch_next(struct dispatch *d, const volatile sig_atomic_t *stopping)
{
    struct epoll_event ev;
    int n;

    while (!*stopping) {
        n = epoll_wait(d->epfd, &ev, 1, WAIT_MS);
        if (n < 0 && errno != EINTR) {
            return -2;
        }
        if (n == 0) {
            idle(d);
        }
        if (n <= 0) {
            continue;
        }
        if (ev.data.fd == d->listen_fd) {
            if (accept_some(d) < 0) {
                return -2;
            }
        } else if (has_request(d, ev.data.fd, ev.events) > 0) {
            atomic_store(&d->last_ms, dt_mono_ms());
            atomic_store(&d->served, 1);
            return ev.data.fd;
        }
    }
    return -1;
}

void
dispatch_keep(struct dispatch *d, int fd)
{
    /* every connection came from the set: libfcgi accepts none itself */
    if (watch(d, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLRDHUP) < 0) {
        log_warn("fcgi", "event=connection_dropped err=\"epoll: %s\"", strerror(errno));
        close(fd);
    }
}
