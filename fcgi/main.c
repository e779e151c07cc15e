/*
 * main.c: the FastCGI worker process. spawn-fcgi hands it the listening
 * socket as fd 0 and multiwatch keeps several of them running. Each process
 * runs FCGI_THREADS threads; each thread is one struct worker (worker.h)
 * with its own database connection, search client and request state. nginx
 * keeps connections open (fastcgi_keep_conn); they wait in dispatch.c's
 * epoll set between requests, and the first free thread serves whichever
 * has a request, so an idle connection holds no thread (README, "How
 * requests are served").
 */
#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "commitclock.h"
#include "config.h"
#include "db.h"
#include "db_fixtures.h"
#include "db_changes.h"
#include "db_matches.h"
#include "db_status.h"
#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "mustache.h"
#include "rc.h"
#include "req.h"
#include "route.h"
#include "search.h"
#include "view.h"

/* Responses larger than this are refused with 500 rather than buffered. */
#define MAX_RESPONSE_BYTES (32 * 1024 * 1024)
#define THREADS_DEFAULT    4
#define THREADS_MAX        64
/* How long a stopping worker lets the requests under way finish. */
#define STOP_GRACE_MS 10000
/* The listening socket libfcgi is given: none. After a broken request
 * FCGX_Accept_r goes on to accept() the next connection itself, which would
 * take it past the dispatcher: no read limit (a record cut short there held
 * the thread until its peer left), and for a Unix socket a 2 s select() on
 * each connection that says nothing yet. accept(-1) fails at once instead,
 * and the thread goes back to dispatch_next, which accepts everything. */
#define NO_LISTENER (-1)

/* What the threads of a process share to start and stop. */
struct pool {
    volatile sig_atomic_t stopping;
    pthread_mutex_t lock;
    pthread_cond_t idle; /* signalled when busy falls */
    int busy;            /* threads inside a request */
    struct dispatch *conns;
};

/* One accept thread: its worker, its request, its FastCGI request. */
struct thread {
    pthread_t id;
    struct pool *pool;
    struct worker w;
    struct req r;
    FCGX_Request fr;
    unsigned long served;
};

/* Installed so that a stop signal a parent left ignored is still delivered
 * to sigwait(); never runs while the signals are blocked. */
static void
on_stop(int sig)
{
    (void)sig;
}

static void
serve(FCGX_Request *fr, struct req *r)
{
    const char *q;

    r->envp = fr->envp;
    r->out = fr;
    r->method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
    r->path = FCGX_GetParam("DOCUMENT_URI", fr->envp);
    q = FCGX_GetParam("QUERY_STRING", fr->envp);
    r->query = q ? q : "";
    r->route = NULL;
    r->route_index = -1;
    r->route_arg = NULL;
    r->detail = NULL;
    r->not_db = 0;
    r->head = 0;
    r->uncached = 0;
    r->data_version = 0;
    r->status = 0;
    r->q.n = 0;
    r->errors.n = 0;
    arena_reset(&r->arena);
    buf_reset(&r->headers);
    buf_reset(&r->body);

    if (r->method == NULL || r->path == NULL) {
        resp_fail(r, ANSWER_API, 400, "Malformed FastCGI request.");
    } else if (strlen(r->query) > (size_t)r->w->cfg->http_max_query_bytes) {
        param_error(&r->errors, "query", "longer than %d bytes", r->w->cfg->http_max_query_bytes);
        resp_result(r, ANSWER_API, RC_INVALID);
    } else {
        route_dispatch(r);
    }
    if (r->status >= 500) {
        log_warn("http", "event=response method=%s path=\"%s\" status=%d", r->method,
                 r->path ? r->path : "", r->status);
    } else {
        log_debug("http", "event=response method=%s path=\"%s\" status=%d", r->method,
                  r->path ? r->path : "", r->status);
    }
}

/* After a request: a response buffer that grew past KEEP_BYTES (larger
 * than the usual pages) goes back to the heap rather than staying with its
 * thread, so an idle worker can return it to the system (dispatch.c trims
 * the heap); the request arena keeps one chunk of ARENA_CHUNK. */
#define KEEP_BYTES  (64 * 1024)
#define ARENA_CHUNK (16 * 1024)

static void
shed(struct req *r)
{
    if (r->body.cap > KEEP_BYTES) {
        buf_cleanup(&r->body);
    }
    if (r->headers.cap > KEEP_BYTES) {
        buf_cleanup(&r->headers);
    }
    arena_reset(&r->arena);
}

static void
set_busy(struct pool *p, int delta)
{
    pthread_mutex_lock(&p->lock);
    p->busy += delta;
    if (p->busy == 0) {
        pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->lock);
}

static void *
accept_loop(void *arg)
{
    struct thread *t = arg;
    int fd, rc;

    while ((fd = dispatch_next(t->pool->conns, &t->pool->stopping)) >= 0) {
        /* libfcgi reads the request from the connection it is given; kept
         * says the connection is not to be closed before */
        t->fr.ipcFd = fd;
        t->fr.keepConnection = 1;
        /* A broken request's connection is closed at once. Otherwise libfcgi
         * shuts its side and waits up to 2 s for the peer to close too (so
         * TCP sends no reset over a response): a peer that sent bytes that
         * are not FastCGI and stayed connected held the thread that long,
         * and there is no response to protect. FCGX_Free clears the flag
         * as it closes. */
        t->fr.detached = 1;
        rc = FCGX_Accept_r(&t->fr);
        if (rc < 0) {
            /* a broken request: libfcgi closed its connection, and its
             * accept() of a next one failed, as it must (NO_LISTENER) */
            continue;
        }
        /* a request is under way: a close after its response waits */
        t->fr.detached = 0;
        set_busy(t->pool, 1);
        serve(&t->fr, &t->r);
        FCGX_Finish_r(&t->fr);
        set_busy(t->pool, -1);
        if (t->fr.ipcFd >= 0) {
            dispatch_keep(t->pool->conns, t->fr.ipcFd);
            t->fr.ipcFd = -1;
        }
        shed(&t->r);
        /* hand back what a burst of large pages left free in the heap */
        if (++t->served % 256 == 0) {
            malloc_trim(128 * 1024);
        }
    }
    if (!t->pool->stopping) {
        log_error("fcgi", "event=accept_failed err=\"%s\"", strerror(errno));
        kill(getpid(), SIGTERM); /* the whole process goes; multiwatch starts another */
    }
    return NULL;
}

/* FCGI_THREADS: 1 to THREADS_MAX, THREADS_DEFAULT when unset or empty. */
static int
threads_wanted(char *err, size_t errlen)
{
    const char *v = getenv("FCGI_THREADS");
    char *end;
    long n;

    if (v == NULL || v[0] == '\0') {
        return THREADS_DEFAULT;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || end == v || n < 1 || n > THREADS_MAX) {
        snprintf(err, errlen, "invalid FCGI_THREADS='%s': expected 1 to %d", v, THREADS_MAX);
        return -1;
    }
    return (int)n;
}

/* The thread's own pieces beside the shared ones of shared. */
static void
thread_init(struct thread *t, const struct worker *shared, struct pool *pool)
{
    memset(t, 0, sizeof(*t));
    t->pool = pool;
    t->w = *shared;
    t->w.db = db_new(shared->cfg, 0);
    db_status_register(t->w.db);
    db_matches_register(t->w.db);
    db_fixtures_register(t->w.db);
    db_changes_register(t->w.db);
    /* one attempt only: a worker must start and answer 503 while the database is down */
    (void)db_connect(t->w.db, 0, &pool->stopping);
    t->w.search = search_new(shared->cfg);
    t->w.stalled_checked_ms = -1;
    t->r.w = &t->w;
    buf_init(&t->r.headers, 64 * 1024);
    buf_init(&t->r.body, MAX_RESPONSE_BYTES);
    arena_init(&t->r.arena, ARENA_CHUNK);
}

/* Waits until no thread is inside a request, or STOP_GRACE_MS. */
static void
wait_idle(struct pool *p)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STOP_GRACE_MS / 1000;
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0) {
        if (pthread_cond_timedwait(&p->idle, &p->lock, &until) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

int
main(int argc, char **argv)
{
    struct config cfg;
    struct worker shared;
    struct pool pool = {.busy = 0};
    struct thread *threads;
    struct mustache_set *templates;
    struct commitclock *commits = NULL;
    pthread_attr_t attr;
    struct sigaction sa;
    sigset_t stop_signals;
    int rc, nthreads, i, sig = 0;
    char err[512];

    rc = config_start_program(argc, argv, "fcgi",
                              "run under spawn-fcgi (the listening socket on fd 0)", &cfg);
    if (rc >= 0) {
        return rc;
    }
    nthreads = threads_wanted(err, sizeof(err));
    if (nthreads < 0) {
        log_error("fcgi", "event=config_invalid err=\"%s\"", err);
        config_cleanup(&cfg);
        return 2;
    }

    /* Fixed malloc thresholds: glibc's adaptive ones rise after one large
     * response and then keep freed memory for good; and few heaps, not one
     * per thread: the threads allocate little, each heap costs its pages. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);
    mallopt(M_ARENA_MAX, 2);

    /* the website's templates: a missing or broken one is a startup error */
    templates = view_load(cfg.templates_dir, err, sizeof(err));
    if (templates == NULL) {
        log_error("fcgi", "event=templates_failed dir=\"%s\" err=\"%s\"", cfg.templates_dir, err);
        config_cleanup(&cfg);
        return 1;
    }

    /* the stop signals are taken by this thread alone (sigwait below) */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGUSR1); /* multiwatch's "finish and go" */
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.idle, NULL);

    if (cfg.commit_clock_file[0] != '\0') {
        commits = commitclock_open(cfg.commit_clock_file);
    }
    memset(&shared, 0, sizeof(shared));
    shared.cfg = &cfg;
    shared.templates = templates;
    shared.commits = commits;
    shared.cache = cache_new((size_t)cfg.fcgi_cache_bytes);
    shared.metrics = metrics_open(cfg.metrics_file);

    if (FCGX_Init() != 0) {
        log_error("fcgi", "event=init_failed");
        return 1;
    }
    pool.conns = dispatch_open(FCGI_LISTENSOCK_FILENO, err, sizeof(err));
    if (pool.conns == NULL) {
        log_error("fcgi", "event=init_failed err=\"%s\"", err);
        return 1;
    }
    threads = xcalloc((size_t)nthreads, sizeof(*threads));
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    for (i = 0; i < nthreads; i++) {
        thread_init(&threads[i], &shared, &pool);
        if (FCGX_InitRequest(&threads[i].fr, NO_LISTENER, 0) != 0 ||
            pthread_create(&threads[i].id, &attr, accept_loop, &threads[i]) != 0) {
            log_error("fcgi", "event=init_failed thread=%d", i);
            return 1;
        }
    }
    pthread_attr_destroy(&attr);
    log_info("fcgi", "event=started pid=%ld threads=%d", (long)getpid(), nthreads);

    while (sigwait(&stop_signals, &sig) != 0) {
    }
    pool.stopping = 1;
    FCGX_ShutdownPending();
    wait_idle(&pool);
    log_info("fcgi", "event=stopped pid=%ld signal=%d", (long)getpid(), sig);
    /* The threads see the flag within 250 ms, but a thread inside a
     * request past the grace must not keep the process: it ends under them. */
    _exit(0);
}
