/*
 * reindex: rebuilds the search index from MariaDB. Copies every match, in id
 * order, into a new concrete index <alias>-v<unix time> with the current
 * mapping, then switches the alias (ELASTICSEARCH_INDEX) to it in one
 * _aliases call and deletes the indices it pointed at before. Matches that
 * changed while it copied are queued in search_outbox, so the consumer's
 * mirror writes them again into the new index.
 *
 *   reindex [--batch N] [--keep-old] [--wait SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "db_matches.h"
#include "db_outbox.h"
#include "es.h"
#include "log.h"
#include "mapping.h"
#include "mem.h"
#include "rc.h"
#include "search_doc.h"
#include "text.h"

/* Changes committed up to this long before the copy began may still be
 * invisible to it (a batch transaction in flight): they are queued too. */
#define REQUEUE_MARGIN_S 300
#define MAX_REPORTED     5 /* refused documents named on stderr */

struct opts {
    size_t batch;
    int keep_old;
    int wait_s;
    int tty;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: reindex [--batch N] [--keep-old] [--wait SECONDS]\n"
               "  Rebuilds the search index from MariaDB into a new index, then switches the\n"
               "  alias ELASTICSEARCH_INDEX to it and deletes the old one.\n"
               "  --batch     documents per _bulk request (default 1000, 1 to 10000)\n"
               "  --keep-old  keep the index the alias pointed at before\n"
               "  --wait      seconds to wait for the database (default 10)\n"
               "Settings come from the environment (ELASTICSEARCH_URL, MARIADB_*; see "
               "--help-config).\n");
}

static void
progress(const struct opts *o, uint64_t done, uint64_t total, double start, int final)
{
    double el = dt_mono() - start, rate = el > 0 ? (double)done / el : 0;
    int width = 30, fill;

    if (!o->tty) {
        return;
    }
    if (total < done) {
        total = done; /* matches arrived while copying */
    }
    fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, "\r[%.*s%*s] %llu/%llu %3d%% %7.0f docs/s ETA %4.0fs%s", fill,
            "##############################", width - fill, "", (unsigned long long)done,
            (unsigned long long)total, total ? (int)(100 * done / total) : 100, rate,
            rate > 0 ? (double)(total - done) / rate : 0, final ? "\n" : "");
}

/* The number of matches, for the progress bar (the count the consumer keeps). */
static uint64_t
match_count(struct db *db)
{
    struct match_filter f;
    struct match_view *v;
    struct arena a;
    size_t n;
    uint64_t count = 0;

    memset(&f, 0, sizeof(f));
    f.order = ORDER_ID_ASC;
    f.page = 1;
    f.page_size = 1;
    arena_init(&a, 16 * 1024);
    if (db_matches_list(db, &f, &a, &v, &n, &count) != RC_OK) {
        count = 0;
    }
    arena_cleanup(&a);
    return count;
}

/* Copies every match into index. RC_OK, or an error already reported. */
static int
copy_all(const struct opts *o, struct db *db, struct es *es, const char *index, uint64_t *copied)
{
    struct es_bulk bulk;
    struct arena a;
    buf_t scratch;
    uint64_t after = 0, total = match_count(db);
    double start = dt_mono(), last = 0;
    size_t reported = 0;
    int rc = RC_OK;

    es_bulk_init(&bulk);
    arena_init(&a, 1024 * 1024);
    buf_init(&scratch, 0);
    *copied = 0;
    for (;;) {
        struct match_view *views;
        size_t n, i;

        arena_reset(&a);
        rc = db_matches_after(db, after, o->batch, &a, &views, &n);
        if (rc != RC_OK) {
            fprintf(stderr, "\nreindex: reading matches from MariaDB failed (%s)\n", rc_name(rc));
            break;
        }
        if (n == 0) {
            break;
        }
        es_bulk_reset(&bulk);
        for (i = 0; i < n && rc == RC_OK; i++) {
            rc = search_doc_bulk_add(&bulk, index, &views[i], &scratch);
        }
        after = views[n - 1].id;
        if (rc == RC_OK) {
            rc = es_bulk_send(es, &bulk);
        }
        if (rc != RC_OK) {
            fprintf(stderr, "\nreindex: sending documents to Elasticsearch failed: %s\n",
                    es_last_error(es));
            break;
        }
        for (i = 0; i < bulk.n && reported < MAX_REPORTED; i++) {
            if (!bulk.items[i].ok) {
                fprintf(stderr, "\nreindex: match %s refused: %s\n", bulk.items[i].id,
                        bulk.items[i].error);
                reported++;
            }
        }
        if (bulk.nfailed > 0) {
            fprintf(stderr, "reindex: %zu of %zu documents refused; the alias stays where it is\n",
                    bulk.nfailed, bulk.n);
            rc = RC_INVALID;
            break;
        }
        *copied += bulk.nok;
        if (dt_mono() - last > 0.1) {
            progress(o, *copied, total, start, 0);
            last = dt_mono();
        }
    }
    if (rc == RC_OK) {
        progress(o, *copied, total, start, 1);
    }
    es_bulk_cleanup(&bulk);
    arena_cleanup(&a);
    buf_cleanup(&scratch);
    return rc;
}

/* One {"<op>": {"index": index, "alias": alias}} action (alias may be NULL). */
static json_object *
alias_action(const char *op, const char *index, const char *alias)
{
    json_object *a = json_object_new_object(), *what = json_object_new_object();

    json_object_object_add(what, "index", json_object_new_string(index));
    if (alias != NULL) {
        json_object_object_add(what, "alias", json_object_new_string(alias));
    }
    json_object_object_add(a, op, what);
    return a;
}

/*
 * Points alias at index alone, atomically. *old receives what it pointed at
 * (a json-c array of index names; put it). A concrete index named like the
 * alias (created by a write before the alias existed) is removed in the same
 * call.
 */
static int
switch_alias(struct es *es, const char *alias, const char *index, json_object **old)
{
    json_object *actions = json_object_new_array();
    int rc = es_alias_indices(es, alias, old);
    size_t i;

    if (rc == RC_NOTFOUND) {
        *old = json_object_new_array();
        rc = es_index_exists(es, alias);
        if (rc == RC_OK) {
            json_object_array_add(actions, alias_action("remove_index", alias, NULL));
        } else if (rc == RC_NOTFOUND) {
            rc = RC_OK;
        }
    } else if (rc == RC_OK) {
        for (i = 0; i < json_object_array_length(*old); i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(*old, i));

            json_object_array_add(actions, alias_action("remove", name, alias));
        }
    }
    if (rc == RC_OK) {
        json_object_array_add(actions, alias_action("add", index, alias));
        rc = es_aliases(es, actions);
    }
    json_object_put(actions);
    return rc;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
    int i;

    o->batch = 1000;
    o->keep_old = 0;
    o->wait_s = 10;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if ((strcmp(a, "--batch") == 0 || strcmp(a, "--wait") == 0) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            int batch = strcmp(a, "--batch") == 0;

            if (*end != '\0' || v < (batch ? 1 : 0) || v > (batch ? 10000 : 3600)) {
                fprintf(stderr, "reindex: %s takes %s\n", a,
                        batch ? "a number from 1 to 10000" : "seconds from 0 to 3600");
                return 2;
            }
            if (batch) {
                o->batch = (size_t)v;
            } else {
                o->wait_s = (int)v;
            }
        } else if (strcmp(a, "--keep-old") == 0) {
            o->keep_old = 1;
        } else if (strcmp(a, "--help-config") == 0) {
            config_print_help();
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* Everything after the settings are loaded; returns the exit status. */
static int
reindex(const struct opts *o, const struct config *cfg)
{
    const char *alias = cfg->elasticsearch_index;
    struct es *es = es_new_from_config(cfg);
    struct db *db = NULL;
    json_object *body, *old = NULL;
    char index[256];
    long status;
    int64_t since = 0;
    uint64_t copied = 0, requeued = 0;
    double start = dt_mono();
    size_t i;
    int rc, created = 0;

    rc = es_request(es, "GET", "/", NULL, NULL, 0, &status, NULL);
    if (rc != RC_OK) {
        fprintf(stderr, "reindex: Elasticsearch at %s is unreachable: %s\n", cfg->elasticsearch_url,
                es_last_error(es));
        goto out;
    }
    db = db_new(cfg, 0);
    db_matches_register(db);
    db_outbox_register(db);
    rc = db_connect(db, (long)o->wait_s * 1000, NULL);
    if (rc == RC_OK) {
        rc = db_outbox_now(db, &since);
    }
    if (rc != RC_OK) {
        fprintf(stderr, "reindex: MariaDB is unavailable (%s)\n", rc_name(rc));
        goto out;
    }
    search_doc_index_name(alias, (long long)since, index, sizeof(index));
    body = mapping_match_index(NULL);
    rc = es_index_create(es, index, body);
    json_object_put(body);
    if (rc != RC_OK) {
        fprintf(stderr, "reindex: cannot create index %s: %s\n", index, es_last_error(es));
        goto out;
    }
    created = 1;
    rc = copy_all(o, db, es, index, &copied);
    if (rc == RC_OK) {
        rc = es_refresh(es, index);
    }
    if (rc == RC_OK) {
        rc = switch_alias(es, alias, index, &old);
        if (rc != RC_OK) {
            fprintf(stderr, "reindex: cannot switch alias %s to %s: %s\n", alias, index,
                    es_last_error(es));
        }
    }
    if (rc != RC_OK) {
        goto out;
    }
    created = 0; /* it is the live index now */
    rc = db_outbox_enqueue_updated_since(db, since - REQUEUE_MARGIN_S, &requeued);
    if (rc != RC_OK) {
        fprintf(stderr,
                "reindex: could not queue the matches changed meanwhile (%s); "
                "run reindex again\n",
                rc_name(rc));
    }
    for (i = 0; !o->keep_old && i < json_object_array_length(old); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(old, i));

        if (strcmp(name, index) != 0 && es_index_delete(es, name) != RC_OK) {
            fprintf(stderr, "reindex: could not delete the old index %s: %s\n", name,
                    es_last_error(es));
        }
    }
    printf("reindex: %llu documents into %s in %.1f s (%.0f docs/s); alias %s now points at "
           "it; old: %s%s; %llu recently changed matches queued for the mirror\n",
           (unsigned long long)copied, index, dt_mono() - start,
           (double)copied / (dt_mono() - start > 0 ? dt_mono() - start : 1), alias,
           json_object_array_length(old) ? json_object_to_json_string(old) : "none",
           json_object_array_length(old) ? (o->keep_old ? " (kept)" : " (deleted)") : "",
           (unsigned long long)requeued);
out:
    if (created && es_index_delete(es, index) == RC_OK) {
        fprintf(stderr, "reindex: deleted the incomplete index %s\n", index);
    }
    json_object_put(old);
    db_free(db);
    es_free(es);
    return rc == RC_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
    struct opts o;
    struct config cfg;
    char err[512];
    int rc = parse_args(argc, argv, &o);

    if (rc >= 0) {
        return rc;
    }
    if (config_load(&cfg, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "reindex: %s\n", err);
        return 2;
    }
    log_init("reindex", cfg.log_level < LL_WARN ? cfg.log_level : LL_WARN);
    if (cfg.elasticsearch_url[0] == '\0') {
        fprintf(stderr, "reindex: ELASTICSEARCH_URL is empty: there is no search index to "
                        "rebuild (start the stack's search component or set the URL)\n");
        config_cleanup(&cfg);
        return 2;
    }
    o.tty = isatty(STDERR_FILENO);
    rc = reindex(&o, &cfg);
    config_cleanup(&cfg);
    return rc;
}
