/*
 * migrate: applies the pending migrations/NNNN_name.sql files in order and
 * records each in schema_migrations with its SHA-256. A no-op when nothing is
 * pending; refuses to run when an applied file has changed since.
 *
 *   migrate [--dir DIR] [--wait SECONDS] [--status]
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "db_migrations.h"
#include "log.h"
#include "mem.h"
#include "rc.h"
#include "sha256.h"

#define MAX_MIGRATION_BYTES (16 * 1024 * 1024)

static void
usage(FILE *f)
{
    fprintf(f, "usage: migrate [--dir DIR] [--wait SECONDS] [--status]\n"
               "  Applies pending DIR/NNNN_name.sql files (default DIR: migrations) in order.\n"
               "  --wait   seconds to wait for the database (default 30)\n"
               "  --status list the files and whether each is applied; change nothing\n"
               "Connection settings come from the environment (MARIADB_*; see --help-config).\n");
}

static int
is_migration_name(const char *n)
{
    size_t len = strlen(n);
    int i;

    if (len < 10 || strcmp(n + len - 4, ".sql") != 0 || n[4] != '_') {
        return 0;
    }
    for (i = 0; i < 4; i++) {
        if (n[i] < '0' || n[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file; RC_OK with *out (free it) and *len. */
static int
read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "migrate: cannot open %s: %s\n", path, strerror(errno));
        return RC_ERR;
    }
    data = xmalloc(MAX_MIGRATION_BYTES + 1);
    n = fread(data, 1, MAX_MIGRATION_BYTES + 1, f);
    if (ferror(f) || n > MAX_MIGRATION_BYTES) {
        fprintf(stderr, "migrate: cannot read %s (or larger than %d bytes)\n", path,
                MAX_MIGRATION_BYTES);
        fclose(f);
        free(data);
        return RC_ERR;
    }
    fclose(f);
    data[n] = '\0';
    *out = data;
    *len = n;
    return RC_OK;
}

/* Checks or applies one file; returns RC_OK, or an error already reported. */
static int
migrate_one(struct db *db, const char *dir, const char *name, int status_only, int *applied)
{
    char path[4096], recorded[65], sum[65], err[1024];
    char *sql;
    size_t len;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (read_file(path, &sql, &len) != RC_OK) {
        return RC_ERR;
    }
    sha256_hex(sql, len, sum);
    rc = db_migrations_checksum(db, name, recorded);
    if (rc == RC_OK) {
        free(sql);
        if (strcmp(recorded, sum) != 0) {
            fprintf(stderr,
                    "migrate: %s was edited after it was applied (recorded sha256 %s, file "
                    "now %s); refusing to continue: restore the file and add a new migration "
                    "instead\n",
                    name, recorded, sum);
            return RC_INVALID;
        }
        if (status_only) {
            printf("applied  %s\n", name);
        }
        return RC_OK;
    }
    if (rc != RC_NOTFOUND) {
        free(sql);
        fprintf(stderr, "migrate: cannot read schema_migrations: %s\n", rc_name(rc));
        return rc;
    }
    if (status_only) {
        printf("pending  %s\n", name);
        free(sql);
        return RC_OK;
    }
    rc = db_exec_script(db, sql, len, err, sizeof(err));
    free(sql);
    if (rc != RC_OK) {
        fprintf(stderr, "migrate: %s failed: %s\n", name, err);
        return rc;
    }
    rc = db_migrations_record(db, name, sum);
    if (rc != RC_OK) {
        fprintf(stderr, "migrate: %s applied but not recorded: %s\n", name, rc_name(rc));
        return rc;
    }
    log_info("migrate", "event=applied file=%s sha256=%s", name, sum);
    (*applied)++;
    return RC_OK;
}

int
main(int argc, char **argv)
{
    const char *dir = "migrations";
    int status_only = 0, wait_s = 30, applied = 0, i, rc = RC_OK;
    char err[512];
    struct config cfg;
    struct db *db;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);

            if (*end != '\0' || v < 0 || v > 3600) {
                fprintf(stderr, "migrate: --wait takes seconds from 0 to 3600\n");
                return 2;
            }
            wait_s = (int)v;
        } else if (strcmp(argv[i], "--status") == 0) {
            status_only = 1;
        } else if (strcmp(argv[i], "--help-config") == 0) {
            config_print_help();
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (config_load(&cfg, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "migrate: %s\n", err);
        return 2;
    }
    log_init("migrate", cfg.log_level);

    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "migrate: cannot open directory %s: %s\n", dir, strerror(errno));
        config_cleanup(&cfg);
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        if (is_migration_name(de->d_name)) {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = xstrdup(de->d_name);
        }
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(*names), cmp_names);
    }

    db = db_new(&cfg, DB_MULTI_STATEMENTS);
    db_migrations_register(db);
    if (db_connect(db, (long)wait_s * 1000, NULL) != RC_OK) {
        fprintf(stderr, "migrate: database unreachable at %s:%d (socket \"%s\")\n",
                cfg.mariadb_host, cfg.mariadb_port, cfg.mariadb_socket);
        rc = RC_UNAVAIL;
    } else if ((rc = db_migrations_begin(db)) != RC_OK) {
        fprintf(stderr, "migrate: cannot prepare schema_migrations: %s\n", rc_name(rc));
    } else {
        for (size_t k = 0; k < n && rc == RC_OK; k++) {
            rc = migrate_one(db, dir, names[k], status_only, &applied);
        }
        db_migrations_end(db);
    }
    if (rc == RC_OK && !status_only) {
        printf("migrate: %d applied, %zu up to date\n", applied, n - (size_t)applied);
    }
    for (size_t k = 0; k < n; k++) {
        free(names[k]);
    }
    free(names);
    db_free(db);
    config_cleanup(&cfg);
    return rc == RC_OK ? 0 : 1;
}
