/* sl_db.c: SQLite helpers shared by the site and central stores. */
#include "sl_db.h"
#include "sl_lang.h"
#include "sl_log.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sqlite3 *sl_db_open(const char *path, bool create, char *err, size_t errlen)
{
    struct stat sb;
    if (!create && stat(path, &sb) != 0) {
        sl_tf(err, errlen, "数据库 %s 不存在（请先运行 init，或用 --data 指明目录）",
              "database %s does not exist (run init first, or give its directory with --data)",
              path);
        return NULL;
    }
    if (!create && sb.st_size == 0) {
        /* Opening it would write a new empty database into it: a failed
         * copy or a full disk must not pass for a new store. */
        sl_tf(err, errlen, "%s 是空文件（0 字节），里面没有数据；请从备份恢复（它不会被当作新存储，保持原样）",
              "%s is empty (zero bytes): it holds no store; restore it from a backup (it is not "
              "taken for a new store, and is left as it is)", path);
        return NULL;
    }
    static bool configured;
    if (!configured) {
        /* No memory statistics: they cost a mutex on every allocation, and
         * nothing reads them.  Only possible before SQLite starts. */
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        configured = true;
    }
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        sl_tf(err, errlen, "无法打开数据库 %s：%s", "cannot open database %s: %s", path,
              db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    /* Temporary tables and statement journals in memory: a statement
     * journal on disk is a new file per transaction, and a server with a
     * thousand connections has no descriptor to spare for it (PITFALLS). */
    sl_db_exec(db, "PRAGMA temp_store=MEMORY");
    /* 16 KiB pages: a quarter of the write calls of the default 4 KiB for
     * the same rows.  Takes effect only when the file is created. */
    if (create)
        sl_db_exec(db, "PRAGMA page_size=16384");
    if (sl_db_exec(db, "PRAGMA journal_mode=WAL") || sl_db_exec(db, "PRAGMA synchronous=FULL")
        || sl_db_exec(db, "PRAGMA foreign_keys=ON")) {
        int code = sqlite3_errcode(db);
        sl_tf(err, errlen, "无法打开数据库 %s：%s%s", "cannot open database %s: %s%s", path,
              sqlite3_errmsg(db), code == SQLITE_NOTADB || code == SQLITE_CORRUPT
              ? SL_D("（文件已损坏，或不是 shuanglian 的数据库；请从备份恢复）",
                     " (the file is damaged or is not a shuanglian database; restore it from a "
                     "backup)") : "");
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

const char *sl_db_text(sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    return v ? (const char *) v : "";
}

bool sl_db_blob(sqlite3_stmt *st, int col, void *out, size_t n)
{
    if (sqlite3_column_type(st, col) != SQLITE_BLOB
        || (size_t) sqlite3_column_bytes(st, col) != n)
        return false;
    memcpy(out, sqlite3_column_blob(st, col), n);
    return true;
}

static int s_set_version(sqlite3 *db, int v)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v);
    return sl_db_exec(db, sql);
}

int sl_db_migrate(sqlite3 *db, const sl_db_schema_t *schema, bool create, const char *path,
                  char *err, size_t errlen)
{
    int64_t v = sl_db_int(db, "PRAGMA user_version", -1);
    int64_t tables = sl_db_int(db, "SELECT count(*) FROM sqlite_master", -1);
    if (v < 0 || tables < 0) {
        sl_tf(err, errlen, "无法读取 %s：%s（文件已损坏，或不是 shuanglian 的数据库；请从备份恢复）",
              "cannot read %s: %s (the file is damaged or is not a shuanglian database; restore "
              "it from a backup)", path, sqlite3_errmsg(db));
        return -1;
    }
    if (v > schema->nsteps) {
        sl_tf(err, errlen, "%s 是较新版本的 shuanglian 建立的%.0s（结构版本 %lld），本程序只认识到版本 %d："
              "请升级", "%s is a %s of schema version %lld, made by a newer shuanglian; this "
              "program knows versions up to %d: upgrade it", path, schema->what, (long long) v,
              schema->nsteps);
        return -1;
    }
    if (v == 0 && tables > 0) {
        sqlite3_stmt *st = sl_db_prepare(db, schema->legacy_sql);
        bool ours = st && sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (!ours) {
            sl_tf(err, errlen, "%s 不是 shuanglian 的数据库%.0s（表不是我们的）",
                  "%s is not a shuanglian %s (its tables are not ours)", path, schema->what);
            return -1;
        }
        v = 1;                  /* made by 0.2.0, before versions */
        if (s_set_version(db, 1))
            return -1;
    }
    if (v == 0 && !create) {
        sl_tf(err, errlen, "%s 里没有数据%.0s（空文件，可能是复制失败）：请从备份恢复；它不会被当作新存储",
              "%s holds no %s (an empty or zero-length file, perhaps a failed copy): restore it "
              "from a backup; it is not taken for a new store", path, schema->what);
        return -1;
    }
    int64_t start = v;
    for (; v < schema->nsteps; v++) {
        const sl_db_step_t *step = &schema->steps[v];
        if (sl_db_begin(db)) {
            sl_tf(err, errlen, "无法升级 %s：%s", "cannot upgrade %s: %s", path, sqlite3_errmsg(db));
            return -1;
        }
        char why[300] = "";
        int rc = (step->sql && sl_db_exec(db, step->sql))
                 || (step->fn && step->fn(db, why, sizeof why))
                 || s_set_version(db, (int) v + 1) || sl_db_commit(db);
        if (rc) {
            sl_tf(err, errlen, "无法把 %s 从结构版本 %lld 升级到 %lld：%s",
                  "cannot upgrade %s from schema version %lld to %lld: %s", path, (long long) v,
                  (long long) v + 1, why[0] ? why : sqlite3_errmsg(db));
            sl_db_rollback(db);
            return -1;
        }
        if (start > 0)
            sl_tinfo("%s 已升级到结构版本 %lld", "%s upgraded to schema version %lld", path,
                     (long long) v + 1);

    }
    return 0;
}
