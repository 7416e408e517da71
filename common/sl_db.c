/* sl_db.c: SQLite helpers shared by the site and central stores. */
#include "sl_db.h"
#include "sl_log.h"
#include <stdio.h>
#include <unistd.h>

sqlite3 *sl_db_open(const char *path, bool create, char *err, size_t errlen)
{
    if (!create && access(path, F_OK) != 0) {
        snprintf(err, errlen, "database %s does not exist (run init first)", path);
        return NULL;
    }
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    /* 16 KiB pages: a quarter of the write calls of the default 4 KiB for
     * the same rows.  Takes effect only when the file is created. */
    if (create)
        sl_db_exec(db, "PRAGMA page_size=16384");
    if (sl_db_exec(db, "PRAGMA journal_mode=WAL") || sl_db_exec(db, "PRAGMA synchronous=FULL")
        || sl_db_exec(db, "PRAGMA foreign_keys=ON")) {
        snprintf(err, errlen, "cannot set up database %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

void sl_db_tune_bulk(sqlite3 *db)
{
    sl_db_exec(db, "PRAGMA cache_size=-32768");        /* 32 MiB */
    sl_db_exec(db, "PRAGMA wal_autocheckpoint=8192");  /* pages: 32 MiB of WAL */
}

void sl_db_close(sqlite3 **db_p)
{
    if (db_p && *db_p) {
        sqlite3_close_v2(*db_p);
        *db_p = NULL;
    }
}

int sl_db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sl_error("database: %s (in: %.80s)", msg ? msg : sqlite3_errmsg(db), sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int sl_db_begin(sqlite3 *db) { return sl_db_exec(db, "BEGIN IMMEDIATE"); }
int sl_db_commit(sqlite3 *db) { return sl_db_exec(db, "COMMIT"); }

void sl_db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t sl_db_int(sqlite3 *db, const char *sql, int64_t fallback)
{
    sqlite3_stmt *st = sl_db_prepare(db, sql);
    int64_t v = fallback;
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

sqlite3_stmt *sl_db_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sl_error("database: %s (preparing: %.80s)", sqlite3_errmsg(db), sql);
        return NULL;
    }
    return st;
}
