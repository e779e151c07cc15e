/*
 * link: a person's view of and say over the links.
 *
 *   link list [--status suggested|confirmed|rejected] [--match ID] [--limit N]
 *   link confirm MATCH_A MATCH_B [--note TEXT]
 *   link reject MATCH_A MATCH_B [--note TEXT]
 *   link split MATCH [--note TEXT]
 *   link merge-teams TEAM_A TEAM_B [--note TEXT]
 *   link split-team TEAM [--note TEXT]
 *   link alias-title ALIAS TITLE_ID [--note TEXT]
 *
 * Every decision is recorded (link_decisions: when, what, the note) and
 * applied at once in the same transaction; the linker and tools/relink read
 * the decisions as inputs, so they always win. A bad argument is named on
 * stderr with exit status 2; a database that cannot be reached gives 1.
 */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commitclock.h"
#include "config.h"
#include "db.h"
#include "db_changes.h"
#include "db_ingest.h"
#include "db_link.h"
#include "log.h"
#include "rc.h"

/* How long a decision waits for the other writers of links. */
#define LOCK_WAIT_S 30
#include "text.h"

struct cmd {
    const char *name;
    enum db_link_kind kind;
    int nargs;        /* positional arguments */
    const char *args; /* their names, for messages */
    int first_is_alias;
};

static const struct cmd cmds[] = {
    {"confirm", DB_LINK_CONFIRM, 2, "MATCH_A MATCH_B", 0},
    {"reject", DB_LINK_REJECT, 2, "MATCH_A MATCH_B", 0},
    {"split", DB_LINK_SPLIT, 1, "MATCH", 0},
    {"merge-teams", DB_LINK_MERGE_TEAMS, 2, "TEAM_A TEAM_B", 0},
    {"split-team", DB_LINK_SPLIT_TEAM, 1, "TEAM", 0},
    {"alias-title", DB_LINK_ALIAS_TITLE, 2, "ALIAS TITLE_ID", 1},
};

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: link list [--status suggested|confirmed|rejected] [--match ID] [--limit N]\n"
        "       link confirm MATCH_A MATCH_B [--note TEXT]   one fixture, whatever the linker "
        "says\n"
        "       link reject MATCH_A MATCH_B [--note TEXT]    never one fixture\n"
        "       link split MATCH [--note TEXT]               take a match out of its fixture\n"
        "       link merge-teams TEAM_A TEAM_B [--note TEXT] one team identity\n"
        "       link split-team TEAM [--note TEXT]           take a team out of its identity\n"
        "       link alias-title ALIAS TITLE_ID [--note TEXT] the title named ALIAS is TITLE_ID\n"
        "  MATCH and TEAM are ids (matches.id, teams.id, as /api/ shows them).\n"
        "Settings come from the environment (MARIADB_*, LINK_*; see --help-config).\n");
}

/* Names a bad argument on stderr and gives exit status 2. */
#define BAD(...)                                                                                   \
    (fputs("link: error: ", stderr), fprintf(stderr, __VA_ARGS__),                                 \
     fputs("\n(link --help shows the commands)\n", stderr), 2)

/* A positive decimal id without sign, spaces or overflow. */
static int
parse_id(const char *s, int64_t *out)
{
    long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9' || strlen(s) > 19) {
        return RC_INVALID;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0) {
        return RC_INVALID;
    }
    *out = (int64_t)v;
    return RC_OK;
}

/* A note or alias: UTF-8 without control characters. */
static int
check_text(const char *s, size_t max)
{
    size_t badat;

    if (strlen(s) > max || utf8_check(s, strlen(s), &badat) != RC_OK) {
        return RC_INVALID;
    }
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return RC_INVALID;
        }
    }
    return RC_OK;
}

static void
print_row(const struct db_link_row *row, void *ctx)
{
    json_object *ev = json_tokener_parse(row->evidence);
    json_object *fields = NULL;
    size_t i;

    (void)ctx;
    printf("%lld %lld  p=%.4f  %s/%s ~ %s/%s  %s\n", (long long)row->match_a,
           (long long)row->match_b, row->probability, row->source_a, row->external_a, row->source_b,
           row->external_b, row->status);
    if (ev != NULL && json_object_object_get_ex(ev, "fields", &fields) &&
        json_object_is_type(fields, json_type_array)) {
        for (i = 0; i < json_object_array_length(fields); i++) {
            json_object *f = json_object_array_get_idx(fields, i), *name, *level, *w;

            if (json_object_object_get_ex(f, "field", &name) &&
                json_object_object_get_ex(f, "level", &level) &&
                json_object_object_get_ex(f, "weight", &w)) {
                printf("    %-11s %-40s %+7.2f\n", json_object_get_string(name),
                       json_object_get_string(level), json_object_get_double(w));
            }
        }
    } else if (row->evidence[0] != '\0') {
        printf("    %s\n", row->evidence);
    }
    json_object_put(ev);
}

int
main(int argc, char **argv)
{
    const struct cmd *c = NULL;
    const char *note = NULL, *status = "suggested", *alias = NULL;
    int64_t ids[2] = {0, 0}, decision = 0;
    long limit = 50;
    int64_t match = 0;
    struct config cfg;
    struct link_params lp;
    struct db_link_stats st;
    struct db *db;
    char err[512] = "";
    int i, npos = 0, list = 0, rc;
    size_t k;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--help-config") == 0) {
        config_print_help();
        return 0;
    }
    list = strcmp(argv[1], "list") == 0;
    for (k = 0; !list && k < sizeof(cmds) / sizeof(cmds[0]); k++) {
        if (strcmp(argv[1], cmds[k].name) == 0) {
            c = &cmds[k];
        }
    }
    if (!list && c == NULL) {
        return BAD("unknown command '%s'", argv[1]);
    }
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--note") == 0 && !list) {
            if (i + 1 >= argc) {
                return BAD("%s takes a text", a);
            }
            note = argv[++i];
            if (check_text(note, 1024) != RC_OK) {
                return BAD("%s must be UTF-8 text without control characters, at most 1024 bytes",
                           "--note");
            }
        } else if (strcmp(a, "--status") == 0 && list) {
            if (i + 1 >= argc) {
                return BAD("%s takes suggested, confirmed or rejected", a);
            }
            status = argv[++i];
            if (strcmp(status, "suggested") != 0 && strcmp(status, "confirmed") != 0 &&
                strcmp(status, "rejected") != 0) {
                return BAD("--status takes suggested, confirmed or rejected, not '%s'", status);
            }
        } else if (strcmp(a, "--match") == 0 && list) {
            if (i + 1 >= argc || parse_id(argv[i + 1], &match) != RC_OK) {
                return BAD("--match takes a match id (a positive whole number), not '%s'",
                           i + 1 < argc ? argv[i + 1] : "");
            }
            i++;
        } else if (strcmp(a, "--limit") == 0 && list) {
            char *end;

            if (i + 1 >= argc) {
                return BAD("%s takes a number from 1 to 10000", a);
            }
            errno = 0;
            limit = strtol(argv[++i], &end, 10);
            if (argv[i][0] == '\0' || *end != '\0' || errno != 0 || limit < 1 || limit > 10000) {
                return BAD("--limit takes a number from 1 to 10000, not '%s'", argv[i]);
            }
        } else if (a[0] == '-' && a[1] != '\0' && !(c && c->first_is_alias && npos == 0)) {
            return BAD("unknown option '%s'", a);
        } else if (list || npos >= c->nargs) {
            return BAD("unexpected argument '%s'", a);
        } else if (c->first_is_alias && npos == 0) {
            alias = a;
            if (check_text(alias, 1024) != RC_OK) {
                return BAD("%s must be UTF-8 text without control characters", "ALIAS");
            }
            npos++;
        } else {
            if (parse_id(a, &ids[c->first_is_alias ? 1 : npos]) != RC_OK) {
                fprintf(stderr, "link: error: '%s' is not an id (a positive whole number)\n", a);
                return 2;
            }
            npos++;
        }
    }
    if (!list && npos != c->nargs) {
        fprintf(stderr, "link: error: %s takes %s\n", c->name, c->args);
        return 2;
    }
    if (config_load(&cfg, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "link: %s\n", err);
        return 2;
    }
    log_init("link", cfg.log_level < LL_WARN ? cfg.log_level : LL_WARN);
    link_params_config(&lp, &cfg);
    db = db_new(&cfg, 0);
    memset(&st, 0, sizeof(st));
    st.touch = 1;
    db_link_register(db);
    db_ingest_register(db);
    db_changes_register(db);
    rc = db_connect(db, 5000, NULL);
    if (rc != RC_OK) {
        fprintf(stderr, "link: MariaDB is unavailable (%s)\n", rc_name(rc));
        db_free(db);
        config_cleanup(&cfg);
        return 1;
    }
    if (list) {
        rc = db_link_list(db, status, match, (size_t)limit, print_row, NULL);
    } else {
        struct commitclock *clock =
            cfg.commit_clock_file[0] ? commitclock_open(cfg.commit_clock_file) : NULL;

        int got = 0;

        err[0] = '\0';
        /* the consumer's linker holds it for a slice, about a second */
        rc = db_link_lock(db, LOCK_WAIT_S, &got);
        if (rc == RC_OK && !got) {
            snprintf(err, sizeof(err),
                     "another writer of links (tools/link or tools/relink) held the lock"
                     " 'esports.link' for %d s; try again",
                     LOCK_WAIT_S);
            rc = RC_UNAVAIL; /* not the input's fault: exit status 1 */
        }
        if (rc == RC_OK) {
            rc = db_begin(db);
        }
        if (rc == RC_OK) {
            rc = db_link_bump_version(db);
        }
        if (rc == RC_OK) {
            rc = db_link_decide(db, &lp, c->kind, ids[0], ids[1], alias, note, &decision, err,
                                sizeof(err), &st);
        }
        if (rc == RC_OK) {
            /* the matches the decision moved: feed rows and search documents */
            uint64_t first, last;

            rc = db_link_publish(db, &st, &first, &last);
        }
        if (rc == RC_OK) {
            commitclock_begin(clock);
            rc = db_commit(db);
            commitclock_done(clock);
        } else {
            (void)db_rollback(db);
        }
        commitclock_close(clock);
    }
    if ((rc == RC_INVALID || rc == RC_UNAVAIL) && err[0] != '\0') {
        fprintf(stderr, "link: error: %s\n", err);
    } else if (rc != RC_OK) {
        fprintf(stderr, "link: failed (%s): %s\n", rc_name(rc), db_last_error(db));
    } else if (!list) {
        printf("link: %s recorded as decision %lld and applied\n", c->name, (long long)decision);
    }
    db_link_stats_cleanup(&st);
    db_free(db);
    config_cleanup(&cfg);
    return rc == RC_OK ? 0 : rc == RC_INVALID ? 2 : 1;
}
