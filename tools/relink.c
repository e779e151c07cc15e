/*
 * relink: rebuilds every automatic link from the stored rows. First the
 * folded team names (teams.link_norm), then every match in id order as a seed
 * of the incremental linker (its closed set is recomputed whole), then every
 * team's identity. A person's decisions are inputs, so they win here as they
 * do in the consumer, and the result is the one incremental linking gives.
 * Only rows that differ are written, each step in its own transaction.
 *
 *   relink [--batch N] [--wait SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "commitclock.h"
#include "config.h"
#include "db.h"
#include "db_changes.h"
#include "db_ingest.h"
#include "db_link.h"
#include "log.h"
#include "mem.h"
#include "rc.h"

struct opts {
    size_t batch;
    int wait_s;
    struct commitclock *clock; /* COMMIT_CLOCK_FILE, or NULL */
};

/* Begins a step: its transaction moves data_version and waits for the consumer's batch. */
static int
step_begin(struct db *db)
{
    int rc = db_begin(db);

    if (rc == RC_OK) {
        rc = db_link_bump_version(db);
    }
    return rc;
}

/* Commits a step (the workers' commit clock around it) or rolls it back. */
static int
step_end(struct db *db, const struct opts *o, int rc)
{
    if (rc != RC_OK) {
        (void)db_rollback(db);
        return rc;
    }
    commitclock_begin(o->clock);
    rc = db_commit(db);
    commitclock_done(o->clock);
    return rc;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: relink [--batch N] [--wait SECONDS]\n"
               "  Rebuilds the fixtures, suggestions and team identities from the stored rows;\n"
               "  a person's decisions (tools/link) always win. Progress goes to stderr.\n"
               "  --batch  matches per transaction (default 200, 1 to 10000)\n"
               "  --wait   seconds to wait for the database (default 10)\n"
               "Settings come from the environment (MARIADB_*, LINK_*; see --help-config).\n");
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
    int i;

    o->batch = 200;
    o->wait_s = 10;
    o->clock = NULL;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if ((strcmp(a, "--batch") == 0 || strcmp(a, "--wait") == 0) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            int batch = strcmp(a, "--batch") == 0;

            if (argv[i][0] == '\0' || *end != '\0' || v < (batch ? 1 : 0) ||
                v > (batch ? 10000 : 3600)) {
                fprintf(stderr, "relink: %s takes %s\n", a,
                        batch ? "a number from 1 to 10000" : "seconds from 0 to 3600");
                return 2;
            }
            if (batch) {
                o->batch = (size_t)v;
            } else {
                o->wait_s = (int)v;
            }
        } else if (strcmp(a, "--help-config") == 0) {
            config_print_help();
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "relink: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* Walks every match (teams = 0) or team (teams = 1) in id order. */
static int
walk(struct db *db, const struct opts *o, const struct link_params *lp, int teams,
     struct db_link_stats *st)
{
    int64_t *ids = xmalloc(o->batch * sizeof(*ids)), after = 0;
    uint64_t done = 0;
    double start = dt_mono(), last = 0;
    size_t n = 0;
    int rc = RC_OK;

    for (;;) {
        rc = step_begin(db);
        if (rc == RC_OK) {
            rc = db_link_next_ids(db, teams, after, o->batch, ids, &n);
        }
        if (rc == RC_OK && n > 0) {
            rc = teams ? db_link_teams(db, ids, n, st) : db_link_matches(db, lp, ids, n, st);
        }
        if (rc == RC_OK) {
            /* what moved in this step: feed rows and search documents */
            uint64_t first, final;

            rc = db_link_publish(db, st, &first, &final);
        }
        st->ntouched = st->nresent = 0;
        rc = step_end(db, o, rc);
        if (rc != RC_OK || n == 0) {
            break;
        }
        after = ids[n - 1];
        done += n;
        if (dt_mono() - last >= 1.0) {
            last = dt_mono();
            fprintf(stderr, "relink: %s %llu done (last id %lld), %.0f/s\n",
                    teams ? "teams" : "matches", (unsigned long long)done, (long long)after,
                    (double)done / (last - start > 0 ? last - start : 1));
        }
    }
    fprintf(stderr, "relink: %s %llu done in %.1f s\n", teams ? "teams" : "matches",
            (unsigned long long)done, dt_mono() - start);
    free(ids);
    return rc;
}

static int
relink(struct opts *o, const struct config *cfg)
{
    struct db *db = db_new(cfg, 0);
    struct link_params lp;
    struct db_link_stats st;
    uint64_t norms = 0;
    int64_t after = 0, last = 0;
    double start = dt_mono();
    int rc, got = 0;

    link_params_config(&lp, cfg);
    memset(&st, 0, sizeof(st));
    st.touch = 1;
    o->clock = cfg->commit_clock_file[0] ? commitclock_open(cfg->commit_clock_file) : NULL;
    db_link_register(db);
    db_ingest_register(db);
    db_changes_register(db);
    rc = db_connect(db, (long)o->wait_s * 1000, NULL);
    if (rc != RC_OK) {
        fprintf(stderr, "relink: MariaDB is unavailable (%s)\n", rc_name(rc));
        commitclock_close(o->clock);
        db_link_stats_cleanup(&st);
        db_free(db);
        return 1;
    }
    /* one writer of links at a time: the consumer's linker waits for the
     * end of this run (it holds the lock for a slice, about a second) */
    rc = db_link_lock(db, o->wait_s > 0 ? o->wait_s : 30, &got);
    if (rc == RC_OK && !got) {
        fprintf(stderr, "relink: another writer of links (tools/link or tools/relink) holds the"
                        " lock 'esports.link'; try again\n");
        commitclock_close(o->clock);
        db_link_stats_cleanup(&st);
        db_free(db);
        return 1;
    }
    /* every match is relinked below: what queued is done with it */
    rc = step_begin(db);
    if (rc == RC_OK) {
        rc = db_link_queue_clear(db);
    }
    rc = step_end(db, o, rc);
    while (rc == RC_OK) {
        rc = step_begin(db);
        if (rc == RC_OK) {
            rc = db_link_norms(db, after, 1000, &last, &norms);
        }
        rc = step_end(db, o, rc);
        after = last;
        if (last == 0) {
            break;
        }
    }
    if (rc == RC_OK) {
        fprintf(stderr, "relink: %llu folded team names updated\n", (unsigned long long)norms);
        rc = walk(db, o, &lp, 0, &st);
    }
    if (rc == RC_OK) {
        rc = walk(db, o, &lp, 1, &st);
    }
    if (rc != RC_OK) {
        fprintf(stderr, "relink: failed (%s): %s\n", rc_name(rc), db_last_error(db));
        commitclock_close(o->clock);
        db_link_stats_cleanup(&st);
        db_free(db);
        return 1;
    }
    printf("relink: done in %.1f s: %llu matches gathered, %llu pairs scored; rows written: "
           "%llu fixture, %llu identity, %llu suggestion, %llu team edge; %llu sets truncated\n",
           dt_mono() - start, (unsigned long long)st.nodes, (unsigned long long)st.pairs,
           (unsigned long long)st.fixture_rows, (unsigned long long)st.identity_rows,
           (unsigned long long)st.suggestion_rows, (unsigned long long)st.team_edge_rows,
           (unsigned long long)st.truncated);
    commitclock_close(o->clock);
    db_link_stats_cleanup(&st);
    db_free(db);
    return 0;
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
        fprintf(stderr, "relink: %s\n", err);
        return 2;
    }
    log_init("relink", cfg.log_level < LL_WARN ? cfg.log_level : LL_WARN);
    rc = relink(&o, &cfg);
    config_cleanup(&cfg);
    return rc;
}
