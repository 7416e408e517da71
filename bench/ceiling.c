/* bench-ceiling: the fastest the central store could possibly take a site's
 * rows, measured on this machine, for bench/sync_throughput.sh.
 *
 * Reads every event of a site database into memory (not timed), then inserts
 * the same rows into a fresh SQLite file with the central store's table
 * definition, in transactions of BATCH rows, WAL with synchronous=FULL (the
 * same durability the server uses before it acknowledges), using one bare
 * prepared statement: no network, no decoding, no hashing, no validation.
 *
 * usage: bench-ceiling SITE_DB OUT_DB BATCH     prints: ceiling_rate=R rows=N */
#include "sl_db.h"
#include "sl_hlc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int64_t seq, hlc, wall;
    void *id, *payload, *hash;
    int payload_len;
    char type[65];
} row_t;

static void *s_dup(const void *p, int n)
{
    void *d = malloc(n > 0 ? (size_t) n : 1);
    if (d && n > 0)
        memcpy(d, p, (size_t) n);
    return d;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-ceiling SITE_DB OUT_DB BATCH\n");
        return 64;
    }
    int batch = atoi(argv[3]);
    if (batch < 1) {
        fprintf(stderr, "bench-ceiling: BATCH must be at least 1\n");
        return 64;
    }
    char err[512];
    sqlite3 *src = sl_db_open(argv[1], false, err, sizeof err);
    if (!src) {
        fprintf(stderr, "bench-ceiling: %s\n", err);
        return 1;
    }
    size_t n = (size_t) sl_db_int(src, "SELECT count(*) FROM events", 0), k = 0;
    row_t *rows = calloc(n ? n : 1, sizeof *rows);
    sqlite3_stmt *st = sl_db_prepare(src,
        "SELECT seq, id, hlc, wall_ms, type, payload, hash FROM events ORDER BY seq");
    while (rows && st && k < n && sqlite3_step(st) == SQLITE_ROW) {
        row_t *r = &rows[k++];
        r->seq = sqlite3_column_int64(st, 0);
        r->id = s_dup(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1));
        r->hlc = sqlite3_column_int64(st, 2);
        r->wall = sqlite3_column_int64(st, 3);
        snprintf(r->type, sizeof r->type, "%s", (const char *) sqlite3_column_text(st, 4));
        r->payload_len = sqlite3_column_bytes(st, 5);
        r->payload = s_dup(sqlite3_column_blob(st, 5), r->payload_len);
        r->hash = s_dup(sqlite3_column_blob(st, 6), 32);
    }
    sqlite3_finalize(st);
    sl_db_close(&src);

    unlink(argv[2]);
    sqlite3 *db = sl_db_open(argv[2], true, err, sizeof err);
    if (!db) {
        fprintf(stderr, "bench-ceiling: %s\n", err);
        return 1;
    }
    sl_db_tune_bulk(db);        /* as the central store does */
    /* The central store's definition (server/central_store.c). */
    sl_db_exec(db, "CREATE TABLE events(site_no INTEGER NOT NULL, seq INTEGER NOT NULL,"
                   " id BLOB NOT NULL, hlc INTEGER NOT NULL, wall_ms INTEGER NOT NULL,"
                   " recv_ms INTEGER NOT NULL, type TEXT NOT NULL, payload BLOB NOT NULL,"
                   " hash BLOB NOT NULL, PRIMARY KEY(site_no, seq)) WITHOUT ROWID;"
                   "CREATE UNIQUE INDEX events_id ON events(id);");
    sqlite3_stmt *ins = sl_db_prepare(db,
        "INSERT INTO events(site_no, seq, id, hlc, wall_ms, recv_ms, type, payload, hash)"
        " VALUES (1,?,?,?,?,?,?,?,?)");
    int64_t t0 = sl_now_ms();
    for (size_t i = 0; ins && i < k; ) {
        sl_db_begin(db);
        for (int b = 0; b < batch && i < k; b++, i++) {
            row_t *r = &rows[i];
            sqlite3_reset(ins);
            sqlite3_bind_int64(ins, 1, r->seq);
            sqlite3_bind_blob(ins, 2, r->id, 16, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 3, r->hlc);
            sqlite3_bind_int64(ins, 4, r->wall);
            sqlite3_bind_int64(ins, 5, t0);
            sqlite3_bind_text(ins, 6, r->type, -1, SQLITE_STATIC);
            sqlite3_bind_blob(ins, 7, r->payload, r->payload_len, SQLITE_STATIC);
            sqlite3_bind_blob(ins, 8, r->hash, 32, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                fprintf(stderr, "bench-ceiling: insert failed: %s\n", sqlite3_errmsg(db));
                return 1;
            }
        }
        sl_db_commit(db);
    }
    int64_t ms = sl_now_ms() - t0;
    sqlite3_finalize(ins);
    sl_db_close(&db);
    printf("ceiling_rate=%.0f rows=%zu ms=%lld\n", ms > 0 ? (double) k * 1000.0 / (double) ms : 0.0,
           k, (long long) ms);
    for (size_t i = 0; i < k; i++) {
        free(rows[i].id);
        free(rows[i].payload);
        free(rows[i].hash);
    }
    free(rows);
    return 0;
}
