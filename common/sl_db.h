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

#endif
