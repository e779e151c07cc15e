/* db_migrations.c: SQL of schema_migrations; see db_migrations.h. */
#include <string.h>

#include "db_internal.h"
#include "db_migrations.h"
#include "log.h"
#include "rc.h"
#include "util.h"

static const char SQL_CREATE[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 " name VARCHAR(191) NOT NULL PRIMARY KEY,"
                                 " checksum CHAR(64) NOT NULL,"
                                 " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                                 ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

static const char SQL_LOCK[] = "SELECT GET_LOCK('esports_migrate', 60)";
static const char SQL_UNLOCK[] = "SELECT RELEASE_LOCK('esports_migrate')";
static const char SQL_CHECKSUM[] = "SELECT checksum FROM schema_migrations WHERE name = ?";
static const char SQL_RECORD[] = "INSERT INTO schema_migrations (name, checksum) VALUES (?, ?)";

static const char *const migration_sqls[] = {SQL_CREATE, SQL_LOCK, SQL_UNLOCK, SQL_CHECKSUM,
                                             SQL_RECORD};

void
db_migrations_register(struct db *db)
{
    db_register(db, migration_sqls, ARRAY_SIZE(migration_sqls));
}

int
db_migrations_begin(struct db *db)
{
    int64_t got = 0;
    char is_null = 0;
    int rc;

    rc = db_execute(db, SQL_CREATE, NULL);
    if (rc != RC_OK) {
        return rc;
    }
    rc = db_select_i64(db, SQL_LOCK, NULL, &got, &is_null);
    if (rc != RC_OK) {
        return rc;
    }
    if (is_null || got != 1) {
        log_error("migrate", "event=lock_timeout lock=esports_migrate");
        return RC_ERR;
    }
    return RC_OK;
}

void
db_migrations_end(struct db *db)
{
    int64_t released;
    char is_null;

    (void)db_select_i64(db, SQL_UNLOCK, NULL, &released, &is_null);
}

int
db_migrations_checksum(struct db *db, const char *name, char checksum[65])
{
    MYSQL_BIND p[1], r[1];
    unsigned long nlen = (unsigned long)strlen(name), clen = 0;
    int rc;

    db_bind_str(&p[0], name, &nlen, NULL);
    rc = db_execute(db, SQL_CHECKSUM, p);
    if (rc != RC_OK) {
        return rc;
    }
    db_bind_out_str(&r[0], checksum, 64, &clen, NULL);
    rc = db_bind_result(db, SQL_CHECKSUM, r);
    if (rc == RC_OK) {
        rc = db_fetch(db, SQL_CHECKSUM);
    }
    db_stmt_done(db, SQL_CHECKSUM);
    checksum[clen <= 64 ? clen : 64] = '\0';
    return rc;
}

int
db_migrations_record(struct db *db, const char *name, const char *checksum)
{
    MYSQL_BIND p[2];
    unsigned long nlen = (unsigned long)strlen(name), clen = (unsigned long)strlen(checksum);

    db_bind_str(&p[0], name, &nlen, NULL);
    db_bind_str(&p[1], checksum, &clen, NULL);
    return db_execute(db, SQL_RECORD, p);
}
