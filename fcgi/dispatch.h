/*
 * dispatch.h: hands the FastCGI connections of one worker process to its
 * threads by readiness. nginx keeps connections open between requests
 * (fastcgi_keep_conn); here an open connection waits in an epoll set, not
 * in a thread, and the first free thread serves whichever connection has a
 * request, so idle connections cost a descriptor and no thread.
 */
#ifndef ESPORTS_DISPATCH_H
#define ESPORTS_DISPATCH_H

#include <signal.h>
#include <stddef.h>

struct dispatch;

/* Watches listen_fd (made non-blocking: the worker processes share it).
 * NULL with the reason in err on failure. */
struct dispatch *dispatch_open(int listen_fd, char *err, size_t errlen);
void dispatch_close(struct dispatch *d);

/* Waits for a connection with a request to read and returns it, taken out of
 * the set until dispatch_keep(); new connections are accepted on the way and
 * closed ones dropped. -1 once *stopping is set (looked at every 250 ms),
 * -2 when the process can no longer wait or accept (errno says why). */
int dispatch_next(struct dispatch *d, const volatile sig_atomic_t *stopping);

/* Gives back a connection dispatch_next returned, kept open after its
 * request. */
void dispatch_keep(struct dispatch *d, int fd);

#endif
