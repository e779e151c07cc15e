/*
 * main.c: the FastCGI worker. spawn-fcgi hands it the listening socket as
 * fd 0 and multiwatch keeps several of them running. Each worker owns one
 * database connection and serves one request at a time.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db_matches.h"
#include "db_status.h"
#include "cache.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "rc.h"
#include "req.h"
#include "route.h"
#include "search.h"

/* Responses larger than this are refused with 500 rather than buffered. */
#define MAX_RESPONSE_BYTES (32 * 1024 * 1024)

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
    (void)sig;
    stopping = 1;
    FCGX_ShutdownPending();
}

static void
serve(FCGX_Request *fr, struct req *r)
{
    const char *q;

    r->envp = fr->envp;
    r->out = fr->out;
    r->method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
    r->path = FCGX_GetParam("DOCUMENT_URI", fr->envp);
    q = FCGX_GetParam("QUERY_STRING", fr->envp);
    r->query = q ? q : "";
    r->route = NULL;
    r->route_index = -1;
    r->route_arg = NULL;
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
        resp_error(r, 400, "Malformed FastCGI request.");
    } else if (strlen(r->query) > (size_t)r->cfg->http_max_query_bytes) {
        param_error(&r->errors, "query", "longer than %d bytes", r->cfg->http_max_query_bytes);
        resp_param_errors(r);
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

int
main(int argc, char **argv)
{
    struct config cfg;
    struct req r;
    struct sigaction sa;
    FCGX_Request fr;
    int rc;
    struct db *db;
    char err[512];
    unsigned long served = 0;

    rc = config_start_program(argc, argv, "fcgi",
                              "run under spawn-fcgi (the listening socket on fd 0)", &cfg);
    if (rc >= 0) {
        return rc;
    }

    /* Fixed malloc thresholds: glibc's adaptive ones rise after one large
     * response and then keep freed memory for good. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);

    /* the website's templates: a missing or broken one is a startup error */
    if (pages_init(cfg.templates_dir, err, sizeof(err)) != RC_OK) {
        log_error("fcgi", "event=templates_failed dir=\"%s\" err=\"%s\"", cfg.templates_dir, err);
        config_cleanup(&cfg);
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term; /* no SA_RESTART: accept() must return */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    search_init(&cfg);
    route_init(&cfg);
    db = db_new(&cfg, 0);
    db_status_register(db);
    db_matches_register(db);
    (void)metrics_open(cfg.metrics_file);
    /* one attempt only: a worker must start and answer 503 while the database is down */
    (void)db_connect(db, 0, &stopping);

    if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
        log_error("fcgi", "event=init_failed");
        db_free(db);
        pages_cleanup();
        search_cleanup();
        route_cleanup();
        config_cleanup(&cfg);
        return 1;
    }
    memset(&r, 0, sizeof(r));
    r.cfg = &cfg;
    r.db = db;
    buf_init(&r.headers, 64 * 1024);
    buf_init(&r.body, MAX_RESPONSE_BYTES);
    arena_init(&r.arena, 64 * 1024);
    log_info("fcgi", "event=started pid=%ld", (long)getpid());

    while (!stopping) {
        if (FCGX_Accept_r(&fr) < 0) {
            if (!stopping) {
                log_error("fcgi", "event=accept_failed err=\"%s\"", strerror(errno));
            }
            break;
        }
        serve(&fr, &r);
        FCGX_Finish_r(&fr);
        /* hand back what a burst of large pages left free in the heap */
        if (++served % 256 == 0) {
            malloc_trim(128 * 1024);
        }
    }

    log_info("fcgi", "event=stopped pid=%ld", (long)getpid());
    FCGX_Free(&fr, 1);
    buf_cleanup(&r.headers);
    buf_cleanup(&r.body);
    arena_cleanup(&r.arena);
    metrics_close();
    cache_clear();
    pages_cleanup();
    search_cleanup();
    route_cleanup();
    db_free(db);
    config_cleanup(&cfg);
    return 0;
}
