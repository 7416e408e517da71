/* sl_db.h: the few SQLite habits every store shares.
 *
 * WAL journal, synchronous=FULL (an acknowledged or "saved" record must
 * survive a power cut: promise P2/P4), a busy timeout so that a CLI and a
 * running daemon can share one file, and BEGIN IMMEDIATE for every write. */
#ifndef SL_DB_H
#define SL_DB_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens (and with `create`, creates) a database file.  NULL on failure with
 * a sentence in err. */
sqlite3 *sl_db_open(const char *path, bool create, char *err, size_t errlen);
void sl_db_close(sqlite3 **db_p);
/* Settings for a store that takes bulk inserts (the central store, and the
 * benchmark's ceiling, which must be measured with the same settings):
 * a larger page cache and fewer, larger WAL checkpoints.  Durability is
 * unchanged (synchronous=FULL). */
void sl_db_tune_bulk(sqlite3 *db);
/* Runs SQL without results; logs and returns -1 on failure. */
int sl_db_exec(sqlite3 *db, const char *sql);
int sl_db_begin(sqlite3 *db);       /* BEGIN IMMEDIATE */
int sl_db_commit(sqlite3 *db);
void sl_db_rollback(sqlite3 *db);
/* First column of the first row as an integer; `fallback` when no row. */
int64_t sl_db_int(sqlite3 *db, const char *sql, int64_t fallback);
sqlite3_stmt *sl_db_prepare(sqlite3 *db, const char *sql);

/* Column values read defensively: a database file is outside input (a
 * damaged row must give a clear error, never a crash).  sl_db_text gives ""
 * for NULL; sl_db_blob copies exactly n bytes and is false when the value is
 * not a BLOB of exactly that length. */
const char *sl_db_text(sqlite3_stmt *st, int col);
bool sl_db_blob(sqlite3_stmt *st, int col, void *out, size_t n);

/* Versioned stores: PRAGMA user_version numbers the schema, and each step
 * turns version i into version i + 1 inside one transaction.  steps[0]
 * creates version 1 from an empty file.  A file made before versions
 * existed (0.2.0: user_version 0 but tables present) is version 1 when
 * `legacy_sql` returns a row (it recognises the store's own tables); a file
 * with no tables is refused unless `create` (a zero-length or foreign
 * file is never taken for a new store), and so is a file of a newer
 * version than this program knows. */
typedef struct {
    const char *sql;                                    /* run first, may be NULL */
    int (*fn)(sqlite3 *db, char *err, size_t errlen);   /* then this, may be NULL */
} sl_db_step_t;

typedef struct {
    const char *what;               /* "central store" */
    const sl_db_step_t *steps;
    int nsteps;                     /* the newest version this program knows */
    const char *legacy_sql;
} sl_db_schema_t;

/* Brings the store at `path` (already open as db) to the newest version.
 * 0, or -1 with a sentence in err. */
int sl_db_migrate(sqlite3 *db, const sl_db_schema_t *schema, bool create, const char *path,
                  char *err, size_t errlen);

#endif
