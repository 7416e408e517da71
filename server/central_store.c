/* central_store.c: the district's SQLite store of every site's events.
 *
 * Table `events` is WITHOUT ROWID keyed on (site_no, seq), so a site's batch
 * inserts in key order (shared/PITFALLS.md: ordered keys insert ~5x faster
 * than random ones).  Event ids are UUIDv7-like and mostly ordered too. */
#include "central_store.h"
#include "audit_log.h"
#include "command_store.h"
#include "server_auth.h"
#include "sl_commands.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include <sodium.h>
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_items.h"
#include "sl_schema.h"
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>

/* A site's records, as the fold and the reference checks read them. */
typedef struct {
    sqlite3_stmt *by_id;        /* seq, type, payload of a record of this site, by id */
    sqlite3_stmt *by_seq;       /* type, payload by seq */
    int64_t site_no;
} events_ctx_t;

#define BY_ID_SQL "SELECT seq, type, payload FROM events WHERE id = ? AND site_no = ?"
#define BY_SEQ_SQL "SELECT type, payload FROM events WHERE site_no = ? AND seq = ?"

typedef struct {
    uint32_t hash;
    int64_t lseq;                   /* 0: empty */
    char kind[SL_MAX_NAME_BYTES + 1];
    char key[SL_FOLD_KEY_CAP];
} ref_slot_t;

struct central_store {
    sqlite3 *db;
    sqlite3_stmt *insert;
    sqlite3_stmt *hash_at;
    sqlite3_stmt *lookup;       /* type of a record of one site, by id */
    sqlite3_stmt *site_get;
    sqlite3_stmt *site_put;
    sqlite3_stmt *site_advance;
    sqlite3_stmt *ref_known;
    sqlite3_stmt *ref_first;    /* the first publication of a key to every site */
    events_ctx_t evs;
    sl_items_t *items;          /* the fold's state of every site's items */
    bool without_items;         /* bench/report_scale.sh only: ingest without the state table */
    /* The engine writes item rows behind (sl_items_defer): the table holds
     * every site's records up to sites.items_seq, and the engine's memory
     * the rest.  After a rollback that memory is gone: the records after
     * the mark are folded again (s_items_sync) before anything else. */
    bool defer_items;
    bool items_refold;
    long items_at_open;         /* records folded again when opened */
    /* the site whose batch is being checked: its id and reference cursor */
    const char *check_site;
    uint64_t check_cursor;
    /* Keys published to every site, with the lseq of their first such
     * publication: a key known at lseq L is known for every cursor >= L,
     * whatever comes later, so a hit needs no query (the same unit is named
     * by thousands of records). */
    ref_slot_t ref_cache[1024];
    /* Statements of the connection path (HELLO, PING: a thousand sites may
     * connect within seconds), prepared once: preparing cost more than the
     * update it prepared (s_stmt). */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } stmts[8];
};

/* The prepared statement for `sql`, reset, from the store's cache (prepared
 * on first use); NULL when it cannot be prepared or the cache is full.  The
 * caller steps it and does not finalize it. */
static sqlite3_stmt *s_stmt(central_store_t *self, const char *sql)
{
    size_t n = sizeof self->stmts / sizeof self->stmts[0];
    for (size_t i = 0; i < n && self->stmts[i].st; i++)
        if (strcmp(self->stmts[i].sql, sql) == 0) {
            sqlite3_reset(self->stmts[i].st);
            sqlite3_clear_bindings(self->stmts[i].st);
            return self->stmts[i].st;
        }
    for (size_t i = 0; i < n; i++)
        if (!self->stmts[i].st) {
            if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                   &self->stmts[i].st, NULL) != SQLITE_OK) {
                sl_terror("数据库：%s（准备语句：%.80s）", "database: %s (preparing: %.80s)",
                          sqlite3_errmsg(self->db), sql);
                self->stmts[i].st = NULL;
                return NULL;
            }
            self->stmts[i].sql = sql;
            return self->stmts[i].st;
        }
    sl_terror("中心存储：语句缓存已满（准备语句：%.80s）",
              "central store: statement cache full (preparing: %.80s)", sql);
    return NULL;
}

/* Reads type and payload columns (type at col, payload at col + 1):
 * 0, 1 for an unknown type, -1 damaged. */
static int s_event_cols(sqlite3_stmt *st, int col, const sl_rtype_t **rt, const uint8_t **payload,
                        size_t *len)
{
    const char *type = sl_db_text(st, col);
    *rt = sl_schema_find(type, strlen(type));
    *payload = sqlite3_column_blob(st, col + 1);
    *len = (size_t) sqlite3_column_bytes(st, col + 1);
    if (sqlite3_column_type(st, col + 1) != SQLITE_BLOB || !*payload)
        return -1;
    return *rt ? 0 : 1;
}

static int s_by_id(void *ctx, const uint8_t *id, uint64_t *seq, const sl_rtype_t **rt,
                   const uint8_t **payload, size_t *len)
{
    events_ctx_t *e = ctx;
    sqlite3_stmt *st = e->by_id;
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, id, SL_ID_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, e->site_no);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return -1;
    *seq = (uint64_t) sqlite3_column_int64(st, 0);
    return s_event_cols(st, 1, rt, payload, len);
}

static void s_release(void *ctx)
{
    sqlite3_reset(((events_ctx_t *) ctx)->by_id);
    sqlite3_reset(((events_ctx_t *) ctx)->by_seq);
}

static int s_by_seq(void *ctx, uint64_t seq, const sl_rtype_t **rt, const uint8_t **payload,
                    size_t *len)
{
    events_ctx_t *e = ctx;
    sqlite3_stmt *st = e->by_seq;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, e->site_no);
    sqlite3_bind_int64(st, 2, (int64_t) seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return -1;
    return s_event_cols(st, 0, rt, payload, len);
}

/* Folds every record of every site in db's events, in each site's order,
 * into `items` (whose table may be in another database).  A record the
 * fold refuses (0.2.0 had no lifecycle rules, and did not check one rating
 * per item on the server) is kept, not counted, and logged when `log`;
 * *skipped counts them.  0, or -1 when the events cannot be read. */
static int s_fold_from(sqlite3 *db, sl_items_t *items, bool log, long *skipped, bool since_mark,
                       long *folded)
{
    events_ctx_t ctx = { sl_db_prepare(db, BY_ID_SQL), sl_db_prepare(db, BY_SEQ_SQL), 0 };
    sqlite3_stmt *all = sl_db_prepare(db, since_mark
        ? "SELECT e.site_no, e.seq, e.type, e.payload FROM sites s JOIN events e"
          " ON e.site_no = s.site_no AND e.seq > s.items_seq ORDER BY e.site_no, e.seq"
        : "SELECT site_no, seq, type, payload FROM events ORDER BY site_no, seq");
    int rc = ctx.by_id && ctx.by_seq && all && items ? 0 : -1, step = SQLITE_DONE;
    sl_items_events_t ev = { s_by_id, s_by_seq, s_release, &ctx };
    *skipped = 0;
    while (rc == 0 && (step = sqlite3_step(all)) == SQLITE_ROW) {
        ++*folded;
        ctx.site_no = sqlite3_column_int64(all, 0);
        uint64_t seq = (uint64_t) sqlite3_column_int64(all, 1);
        const sl_rtype_t *rt;
        const uint8_t *payload;
        size_t len;
        sl_fold_err_t ferr;
        if (s_event_cols(all, 2, &rt, &payload, &len)
            || sl_items_apply(items, ctx.site_no, seq, rt, payload, len, &ev, NULL, &ferr)) {
            if (++*skipped <= 20 && log)
                sl_twarn("中心存储：站点 #%lld 的第 #%llu 条记录已保留但不计入统计：%s",
                         "central store: site #%lld record #%llu is kept but not counted: %s",
                         (long long) ctx.site_no, (unsigned long long) seq,
                         rt ? ferr.text : SL_D("类型未知或已损坏", "unknown type or damaged"));
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    if (log && *skipped > 20)
        sl_twarn("中心存储：共有 %ld 条记录已保留但不计入统计",
                 "central store: %ld records in all are kept but not counted", *skipped);
    sqlite3_finalize(all);
    sqlite3_finalize(ctx.by_id);
    sqlite3_finalize(ctx.by_seq);
    return rc;
}

static int s_fold_all(sqlite3 *db, sl_items_t *items, bool log, long *skipped)
{
    long folded = 0;
    return s_fold_from(db, items, log, skipped, false, &folded);
}

/* The rows this process kept may no longer match the store (a rollback, a
 * failed write): forgotten, and the records after the marks folded again
 * before anything else. */
static void s_items_drop(central_store_t *self)
{
    sl_items_forget(self->items);
    self->items_refold = true;
}

/* Whether some site's records are not all in the item table (`on_error`
 * when that cannot be read). */
static bool s_items_behind(central_store_t *self, bool on_error)
{
    return sl_db_int(self->db, "SELECT count(*) FROM sites WHERE items_seq < last_seq",
                     on_error) != 0;
}

/* Makes the item table hold every record committed: writes the rows the
 * engine keeps (sl_items_defer), after folding again the records after
 * each site's mark when this process does not hold them (another process
 * wrote them, or a rollback dropped them), and moves the marks.  Inside
 * the caller's transaction when one is open, else in one of its own; a
 * savepoint keeps a failure from leaving half of it.  0 or -1 (logged). */
static int s_items_sync(central_store_t *self, long *caught_up)
{
    if (self->without_items)
        return 0;
    /* another process reads inside its own snapshot (central_store_read_begin
     * made the table whole before it began) */
    if (!self->defer_items && !sqlite3_get_autocommit(self->db))
        return 0;
    bool refold = self->items_refold || !self->defer_items;
    if (!sl_items_pending(self->items, NULL, NULL)
        && (!refold || !s_items_behind(self, false)))
        return 0;
    bool own = sqlite3_get_autocommit(self->db) != 0;
    if ((own && sl_db_exec(self->db, "BEGIN IMMEDIATE")) || sl_db_exec(self->db, "SAVEPOINT items")) {
        if (own)
            sl_db_rollback(self->db);
        return -1;
    }
    long skipped = 0, folded = 0;
    int rc = 0;
    if (refold) {
        sl_items_catching_up(self->items, true);
        rc = s_fold_from(self->db, self->items, true, &skipped, true, &folded);
        sl_items_catching_up(self->items, false);
    }
    if (rc == 0)
        rc = sl_items_flush(self->items);
    if (rc == 0)
        rc = sl_db_exec(self->db, "UPDATE sites SET items_seq = last_seq WHERE items_seq != last_seq");
    if (rc) {
        sl_db_exec(self->db, "ROLLBACK TO items");
        s_items_drop(self);
        sl_terror("中心存储：无法把事项状态写入状态表：%s", "central store: cannot write the items' states: %s",
                  sqlite3_errmsg(self->db));
    }
    sl_db_exec(self->db, "RELEASE items");
    if (own && (rc ? (sl_db_rollback(self->db), -1) : sl_db_commit(self->db))) {
        s_items_drop(self);
        return -1;
    }
    if (rc == 0) {
        self->items_refold = false;
        if (caught_up)
            *caught_up += folded;
    }
    return rc;
}

/* Migration 3: the state table of a store made by 0.2.0. */
static int s_backfill(sqlite3 *db, char *err, size_t errlen)
{
    sl_items_t *items = sl_items_new(db);
    long skipped;
    int rc = s_fold_all(db, items, true, &skipped);
    if (rc)
        sl_tf(err, errlen, "无法汇总记录：%s", "cannot fold the records: %s", sqlite3_errmsg(db));
    sl_items_destroy(&items);
    return rc;
}

/* The key of a line of sl_items_dump (#SITE|type|seq|…) as the table
 * orders it: type code, site, seq. */
static int s_dump_key_cmp(const char *a, const char *b)
{
    int64_t ka[3] = { 0 }, kb[3] = { 0 };
    const char *line[2] = { a, b };
    int64_t *key[2] = { ka, kb };
    for (int i = 0; i < 2; i++) {
        const char *type = strchr(line[i], '|');
        const char *seq = type ? strchr(type + 1, '|') : NULL;
        const sl_rtype_t *rt = seq ? sl_schema_find(type + 1, (size_t) (seq - type - 1)) : NULL;
        key[i][0] = rt ? rt->code : INT32_MAX;
        key[i][1] = strtoll(line[i] + 1, NULL, 10);
        key[i][2] = seq ? strtoll(seq + 1, NULL, 10) : 0;
    }
    for (int k = 0; k < 3; k++)
        if (ka[k] != kb[k])
            return ka[k] < kb[k] ? -1 : 1;
    return 0;
}

/* One row that differs: what the table holds, what the records give
 * (NULL: no such row), without the state's hex unless that is all that
 * differs (the fields before it are what the reports read). */
static void s_verify_row(FILE *out, char *have, char *want)
{
    char *h[2] = { have, want };
    for (int i = 0; i < 2; i++)
        if (h[i])
            h[i][strcspn(h[i], "\n")] = 0;
    char *ha = have ? strrchr(have, '|') : NULL, *hb = want ? strrchr(want, '|') : NULL;
    if (ha && hb && strcmp(ha, hb) == 0) {
        *ha = *hb = 0;
    } else {
        for (int i = 0; i < 2; i++) {
            char *bar = h[i] ? strrchr(h[i], '|') : NULL;
            if (bar && strlen(bar) > 16)
                memcpy(bar, "|…", sizeof "|…");
        }
    }
    sl_tprintf(out, "状态表：存的是 \"%.200s\"，按记录重新汇总应为 \"%.200s\"\n",
               "state table: holds \"%.200s\", the records folded again give \"%.200s\"\n",
               have ? have : "—", want ? want : "—");
}

/* verify: the state table against the records folded again, in a table of
 * its own (in memory), compared row by row in key order.  Prints each of
 * the first rows that differ; returns how many differ (-1: could not run). */
static long s_verify_items(central_store_t *self, FILE *out)
{
    if (s_items_sync(self, NULL))
        return -1;
    sqlite3 *mem = NULL;
    sl_items_t *again = NULL;
    FILE *have = tmpfile(), *want = tmpfile();
    long skipped = 0, differ = -1;
    if (have && want && sqlite3_open(":memory:", &mem) == SQLITE_OK
        && sl_db_exec(mem, SL_ITEMS_SCHEMA SL_ITEMS_PLACEMENT_INDEX) == 0
        && (again = sl_items_new(mem)) && s_fold_all(self->db, again, false, &skipped) == 0
        && sl_items_dump(self->items, -1, have) == 0 && sl_items_dump(again, -1, want) == 0) {
        rewind(have);
        rewind(want);
        char a[4096], b[4096];
        char *x = fgets(a, sizeof a, have), *y = fgets(b, sizeof b, want);
        differ = 0;
        /* both in key order: a merge, so that a row missing on one side is
         * one difference, not a shift of every row after it */
        while (x || y) {
            int cmp = !x ? 1 : !y ? -1 : s_dump_key_cmp(a, b);
            if (cmp == 0 && strcmp(a, b) == 0) {
                x = fgets(a, sizeof a, have);
                y = fgets(b, sizeof b, want);
                continue;
            }
            if (differ++ < 5)
                s_verify_row(out, cmp <= 0 ? a : NULL, cmp >= 0 ? b : NULL);
            if (cmp <= 0)
                x = fgets(a, sizeof a, have);
            if (cmp >= 0)
                y = fgets(b, sizeof b, want);
        }
    }
    sl_items_destroy(&again);
    sqlite3_close(mem);
    if (have)
        fclose(have);
    if (want)
        fclose(want);
    return differ;
}

/* Schema versions (PRAGMA user_version); see sl_db_migrate.  Version 1 is
 * the 0.2.0 schema; each later step is one numbered migration. */
static const sl_db_step_t s_steps[] = {
    /* 1: the 0.2.0 schema */
    { .sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS sites("
    "  site_no INTEGER PRIMARY KEY,"
    "  site_id TEXT NOT NULL UNIQUE,"
    "  last_seq INTEGER NOT NULL DEFAULT 0,"
    "  last_hash BLOB NOT NULL DEFAULT (zeroblob(32)),"
    "  first_seen_ms INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL,"
    "  cursor INTEGER NOT NULL DEFAULT 0,"
    "  agent TEXT);"
    "CREATE TABLE IF NOT EXISTS events("
    "  site_no INTEGER NOT NULL REFERENCES sites(site_no),"
    "  seq INTEGER NOT NULL,"
    "  id BLOB NOT NULL,"
    "  hlc INTEGER NOT NULL,"
    "  wall_ms INTEGER NOT NULL,"       /* the site's clock: kept, not trusted */
    "  recv_ms INTEGER NOT NULL,"       /* the server's clock at commit */
    "  type TEXT NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  PRIMARY KEY(site_no, seq)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id);"
    "CREATE TABLE IF NOT EXISTS server_log("
    "  lseq INTEGER PRIMARY KEY,"
    "  target TEXT,"                    /* NULL: every site */
    "  kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS incidents("
    "  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, site_id TEXT NOT NULL,"
    "  code INTEGER NOT NULL, seq INTEGER, text TEXT NOT NULL);" },
    /* 2: repeated incidents are one row with a count (a key that sends
     * garbage must not grow the store without bound) */
    { .sql =
    "ALTER TABLE incidents ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE incidents ADD COLUMN last_ms INTEGER;"
    "UPDATE incidents SET last_ms = at_ms;"
    "CREATE INDEX incidents_open ON incidents(site_id, code, last_ms);" },
    /* 3: the fold's state of every item, kept as records commit
     * (common/sl_items.h); the reference keys a site may use are found by
     * kind and key in the server log; each site's community */
    { .sql = SL_ITEMS_SCHEMA
      "CREATE INDEX IF NOT EXISTS server_log_kind_key ON server_log(kind, key);"
      "ALTER TABLE sites ADD COLUMN community TEXT;"
      "ALTER TABLE sites ADD COLUMN max_cursor INTEGER NOT NULL DEFAULT 0;"
      "UPDATE sites SET max_cursor = cursor;", .fn = s_backfill },
    /* 4: reports (server/report.c): events by receive time (late arrivals
     * after a frozen month's cut-off), and the frozen months themselves */
    { .sql =
      "CREATE INDEX IF NOT EXISTS events_recv ON events(recv_ms);"
      "CREATE TABLE IF NOT EXISTS report_frozen("
      "  month TEXT PRIMARY KEY,"           /* YYYY-MM */
      "  frozen_ms INTEGER NOT NULL,"       /* the server's clock when frozen */
      "  recv_cutoff_ms INTEGER NOT NULL,"  /* records received up to here are in it */
      "  lseq_cutoff INTEGER NOT NULL,"     /* reference data up to this server-log entry */
      "  cells BLOB NOT NULL) WITHOUT ROWID;" },
    /* 5: site telemetry (PROTOCOL.md 4.1.1), remote commands and the audit
     * log (issue 9) */
    { .sql =
      "ALTER TABLE sites ADD COLUMN tm_ms INTEGER;"             /* server clock at receipt */
      "ALTER TABLE sites ADD COLUMN tm_local_seq INTEGER;"
      "ALTER TABLE sites ADD COLUMN tm_outbox INTEGER;"
      "ALTER TABLE sites ADD COLUMN tm_outbox_age_ms INTEGER;"
      "ALTER TABLE sites ADD COLUMN tm_clock_offset_ms INTEGER;"
      "ALTER TABLE sites ADD COLUMN tm_disk_free INTEGER;"
      "ALTER TABLE sites ADD COLUMN tm_last_error TEXT;"
      COMMAND_STORE_SCHEMA AUDIT_LOG_SCHEMA },
    /* 6: check-ins and check-outs by member (a check-in is checked without
     * reading every one of its site's) */
    { .sql = SL_ITEMS_PLACEMENT_INDEX },
    /* 7: item rows written behind: the table holds each site's records up
     * to items_seq (the rest are folded again when the store opens) */
    { .sql =
      "ALTER TABLE sites ADD COLUMN items_seq INTEGER NOT NULL DEFAULT 0;"
      "UPDATE sites SET items_seq = last_seq;" },
};

static const sl_db_schema_t s_db_schema = {
    .what = "central store",
    .steps = s_steps,
    .nsteps = (int) (sizeof s_steps / sizeof s_steps[0]),
    .legacy_sql = "SELECT 1 FROM meta WHERE key = 'created_ms'",
};

static char *s_path(const char *dir, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/central.db", dir);
    return buf;
}

static central_store_t *s_open(const char *dir, bool create, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (strlen(dir) > PATH_MAX - 16) {
        sl_tf(err, errlen, "数据目录的路径太长", "data directory path is too long");
        return NULL;
    }
    central_store_t *self = calloc(1, sizeof *self);
    if (!self) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        return NULL;
    }
    self->db = sl_db_open(s_path(dir, path, sizeof path), create, err, errlen);
    if (!self->db || sl_db_migrate(self->db, &s_db_schema, create, path, err, errlen)) {
        central_store_destroy(&self);
        return NULL;
    }
    sl_db_tune_bulk(self->db);
    /* The keys table belongs to server_auth.c; the site lists read it. */
    if (server_auth_create_tables(self->db)) {
        sl_tf(err, errlen, "无法在 %s 里创建密钥表", "cannot create the keys table in %s", path);
        central_store_destroy(&self);
        return NULL;
    }
    self->insert = sl_db_prepare(self->db,
        "INSERT INTO events(site_no, seq, id, hlc, wall_ms, recv_ms, type, payload, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?)");
    self->hash_at = sl_db_prepare(self->db,
        "SELECT hash FROM events WHERE site_no = ? AND seq = ?");
    self->lookup = sl_db_prepare(self->db, "SELECT type FROM events WHERE id = ? AND site_no = ?");
    self->site_get = sl_db_prepare(self->db,
        "SELECT site_no, last_seq, last_hash, max_cursor FROM sites WHERE site_id = ?");
    self->site_put = sl_db_prepare(self->db,
        "INSERT INTO sites(site_id, first_seen_ms, last_seen_ms) VALUES (?, ?, ?)");
    self->site_advance = sl_db_prepare(self->db,
        "UPDATE sites SET last_seq = ?1, last_hash = ?2,"
        /* the item table written with the records: it holds them too (when
         * it held every earlier one) */
        " items_seq = CASE WHEN ?4 AND items_seq = last_seq THEN ?1 ELSE items_seq END"
        " WHERE site_no = ?3");
    /* A key a site may name: published to all sites or to it, as a value
     * (not a deletion), at or before the cursor it has applied. */
    self->ref_known = sl_db_prepare(self->db,
        "SELECT 1 FROM server_log WHERE kind = ?1 AND key = ?2 AND value IS NOT NULL"
        " AND (target IS NULL OR target = ?3) AND lseq <= ?4 LIMIT 1");
    self->ref_first = sl_db_prepare(self->db,
        "SELECT min(lseq) FROM server_log WHERE kind = ? AND key = ? AND value IS NOT NULL"
        " AND target IS NULL");
    self->evs.by_id = sl_db_prepare(self->db, BY_ID_SQL);
    self->evs.by_seq = sl_db_prepare(self->db, BY_SEQ_SQL);
    self->items = sl_items_new(self->db);
    if (!self->insert || !self->hash_at || !self->lookup || !self->site_get || !self->site_put
        || !self->site_advance || !self->ref_known || !self->ref_first || !self->evs.by_id
        || !self->evs.by_seq
        || !self->items) {
        sl_tf(err, errlen, "无法在 %s 上准备语句", "cannot prepare statements on %s", path);
        central_store_destroy(&self);
        return NULL;
    }
    /* records the server took but had not written to the item table when
     * it stopped (a crash; a kill -9) are folded now (on failure, logged:
     * the reports say so again, and verify shows what differs) */
    if (!create)
        s_items_sync(self, &self->items_at_open);
    return self;
}

int central_store_init(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            sl_tf(err, errlen, "无法创建数据目录 %s", "cannot create data directory %s", dir);
            return -1;
        }
    }
    char path[PATH_MAX];
    if (strlen(dir) < PATH_MAX - 16 && access(s_path(dir, path, sizeof path), F_OK) == 0) {
        sl_tf(err, errlen, "%s 已经存在（不会覆盖中心存储）",
              "%s already exists (refusing to overwrite the central store)", path);
        return -1;
    }
    central_store_t *self = s_open(dir, true, err, errlen);
    if (!self)
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT INTO meta VALUES ('created_ms', %lld)",
             (long long) sl_now_ms());
    int rc = sl_db_exec(self->db, sql);
    central_store_destroy(&self);
    return rc;
}

central_store_t *central_store_open(const char *dir, char *err, size_t errlen)
{
    return s_open(dir, false, err, errlen);
}

void central_store_destroy(central_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    central_store_t *self = *self_p;
    if (self->items && self->defer_items)
        s_items_sync(self, NULL);     /* else folded again when opened */
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->hash_at);
    sqlite3_finalize(self->lookup);
    sqlite3_finalize(self->site_get);
    sqlite3_finalize(self->site_put);
    sqlite3_finalize(self->site_advance);
    sqlite3_finalize(self->ref_known);
    sqlite3_finalize(self->ref_first);
    sqlite3_finalize(self->evs.by_id);
    sqlite3_finalize(self->evs.by_seq);
    for (size_t i = 0; i < sizeof self->stmts / sizeof self->stmts[0]; i++)
        sqlite3_finalize(self->stmts[i].st);
    sl_items_destroy(&self->items);
    sl_db_close(&self->db);
    free(self);
    *self_p = NULL;
}

sqlite3 *central_store_db(central_store_t *self) { return self->db; }

static int s_site_get(central_store_t *self, const char *site_id, central_site_t *out)
{
    sqlite3_stmt *st = self->site_get;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, site_id, -1, SQLITE_STATIC);
    int rc = 1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->site_no = sqlite3_column_int64(st, 0);
        out->last_seq = (uint64_t) sqlite3_column_int64(st, 1);
        out->cursor = (uint64_t) sqlite3_column_int64(st, 3);
        /* A damaged last_hash is refused here, not answered with zeros: the
         * site would be told its chain is broken (CHAIN) for the store's fault. */
        rc = sl_db_blob(st, 2, out->last_hash, SL_HASH_BYTES) ? 0 : -1;
        if (rc)
            sl_terror("中心存储：站点 %s：last_hash 已损坏（请运行 shuanglian-server verify）",
                      "central store: site %s: last_hash is damaged (run shuanglian-server verify)",
                      site_id);
    }
    sqlite3_reset(st);
    return rc;
}

int central_store_site(central_store_t *self, const char *site_id, central_site_t *out)
{
    int found = s_site_get(self, site_id, out);
    if (found <= 0)
        return found;           /* 0: known; -1: its row is damaged */
    bool own_txn = sqlite3_get_autocommit(self->db);
    if (own_txn && sl_db_begin(self->db))
        return -1;
    sqlite3_stmt *st = self->site_put;
    sqlite3_reset(st);
    int64_t now = sl_now_ms();
    sqlite3_bind_text(st, 1, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    if (own_txn) {
        if (rc || sl_db_commit(self->db)) {
            sl_db_rollback(self->db);
            return -1;
        }
    }
    if (rc)
        return -1;
    sl_tinfo("站点 %s 已登记", "site %s registered", site_id);
    return s_site_get(self, site_id, out) == 0 ? 0 : -1;
}

void central_store_touch(central_store_t *self, int64_t site_no, uint64_t cursor,
                         const char *agent, size_t agent_len)
{
    sqlite3_stmt *st = s_stmt(self,
        "UPDATE sites SET last_seen_ms = ?1, cursor = ?2, max_cursor = max(max_cursor, ?2),"
        " agent = ?3 WHERE site_no = ?4");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, sl_now_ms());
    sqlite3_bind_int64(st, 2, (int64_t) cursor);
    sqlite3_bind_text(st, 3, agent ? agent : "", agent ? (int) agent_len : 0, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, site_no);
    sqlite3_step(st);
    sqlite3_reset(st);
}

void central_store_telemetry(central_store_t *self, int64_t site_no, bool has_local_seq,
                             uint64_t local_seq, const sl_telemetry_t *tm, int64_t now_ms)
{
    /* A key the site left out keeps its last value. */
    sqlite3_stmt *st = s_stmt(self,
        "UPDATE sites SET last_seen_ms = ?1, tm_ms = ?1,"
        " tm_local_seq = coalesce(?2, tm_local_seq), tm_outbox = coalesce(?3, tm_outbox),"
        " tm_outbox_age_ms = coalesce(?4, tm_outbox_age_ms),"
        " tm_clock_offset_ms = coalesce(?5, tm_clock_offset_ms),"
        " tm_disk_free = coalesce(?6, tm_disk_free), tm_last_error = coalesce(?7, tm_last_error)"
        " WHERE site_no = ?8");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, now_ms);
    if (has_local_seq)
        sqlite3_bind_int64(st, 2, (int64_t) local_seq);
    if (tm->has & SL_TM_OUTBOX)
        sqlite3_bind_int64(st, 3, (int64_t) tm->outbox);
    if (tm->has & SL_TM_OUTBOX_AGE)
        sqlite3_bind_int64(st, 4, (int64_t) tm->outbox_age_ms);
    /* Saturating: a clock set to year 1 or 9999 is an offset, not an overflow. */
    if (tm->has & SL_TM_CLOCK)
        sqlite3_bind_int64(st, 5, tm->clock_ms < INT64_MIN / 2 ? INT64_MIN / 2
                                  : tm->clock_ms > INT64_MAX / 2 ? INT64_MAX / 2
                                  : tm->clock_ms - now_ms);
    if (tm->has & SL_TM_DISK_FREE)
        sqlite3_bind_int64(st, 6, tm->disk_free > INT64_MAX ? INT64_MAX : (int64_t) tm->disk_free);
    if (tm->has & SL_TM_LAST_ERROR)
        sqlite3_bind_text(st, 7, tm->last_error ? tm->last_error : "",
                          tm->last_error ? (int) tm->last_error_len : 0, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, site_no);
    if (sqlite3_step(st) != SQLITE_DONE)
        sl_twarn("中心存储：无法记下站点的运行状况：%s", "central store: cannot note a site's telemetry: %s",
                 sqlite3_errmsg(self->db));
    sqlite3_reset(st);
}

/* Every site the district knows: one with a key (of any status), and one
 * that has connected (a plaintext site, or one whose keys are gone). */
#define SITE_IDS_CTE \
    "WITH ids(site_id) AS (SELECT site_id FROM keys WHERE role IN ('site', 'enroll')" \
    " AND coalesce(site_id, '') != '' UNION SELECT site_id FROM sites) "
#define SITE_IDS_MAX "10000"

static int64_t s_col_int(sqlite3_stmt *st, int col, bool *has)
{
    *has = sqlite3_column_type(st, col) == SQLITE_INTEGER;
    return *has ? sqlite3_column_int64(st, col) : 0;
}

int central_store_site_health_each(central_store_t *self,
                                   int (*fn)(void *ctx, const central_site_health_t *h),
                                   void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db, SITE_IDS_CTE
        "SELECT ids.site_id,"
        " coalesce((SELECT name FROM keys k WHERE k.site_id = ids.site_id"
        "   AND k.role IN ('site', 'enroll') ORDER BY k.created_ms DESC, k.rowid DESC LIMIT 1),"
        "   s.community, ''),"
        " coalesce((SELECT status FROM keys k WHERE k.site_id = ids.site_id AND k.role = 'site'"
        "   ORDER BY k.status = 'active' DESC, k.created_ms DESC, k.rowid DESC LIMIT 1), ''),"
        " coalesce((SELECT status FROM keys k WHERE k.site_id = ids.site_id AND k.role = 'enroll'"
        "   ORDER BY k.created_ms DESC, k.rowid DESC LIMIT 1), ''),"
        " coalesce((SELECT expires_ms FROM keys k WHERE k.site_id = ids.site_id"
        "   AND k.role = 'enroll' ORDER BY k.created_ms DESC, k.rowid DESC LIMIT 1), 0),"
        " coalesce((SELECT min(created_ms) FROM keys k WHERE k.site_id = ids.site_id), 0),"
        " s.site_no IS NOT NULL, coalesce(s.first_seen_ms, 0), coalesce(s.last_seen_ms, 0),"
        " coalesce(s.last_seq, 0), coalesce(s.cursor, 0), coalesce(s.agent, ''),"
        " s.tm_ms, s.tm_local_seq, s.tm_outbox, s.tm_outbox_age_ms, s.tm_clock_offset_ms,"
        " s.tm_disk_free, coalesce(s.tm_last_error, '')"
        " FROM ids LEFT JOIN sites s ON s.site_id = ids.site_id ORDER BY ids.site_id"
        " LIMIT " SITE_IDS_MAX);
    if (!st)
        return -1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        central_site_health_t h = {
            .site_id = sl_db_text(st, 0), .community = sl_db_text(st, 1),
            .key_status = sl_db_text(st, 2), .bundle_status = sl_db_text(st, 3),
            .bundle_expires_ms = sqlite3_column_int64(st, 4),
            .enrolled_ms = sqlite3_column_int64(st, 5), .seen = sqlite3_column_int(st, 6) != 0,
            .first_seen_ms = sqlite3_column_int64(st, 7),
            .last_seen_ms = sqlite3_column_int64(st, 8),
            .last_seq = (uint64_t) sqlite3_column_int64(st, 9),
            .cursor = (uint64_t) sqlite3_column_int64(st, 10), .agent = sl_db_text(st, 11),
            .tm_last_error = sl_db_text(st, 19) };
        bool has_outbox;
        h.tm_ms = s_col_int(st, 12, &h.has_tm);
        h.tm_local_seq = (uint64_t) s_col_int(st, 13, &h.has_local_seq);
        h.tm_outbox = (uint64_t) s_col_int(st, 14, &has_outbox);
        h.tm_outbox_age_ms = (uint64_t) s_col_int(st, 15, &h.has_outbox_age);
        h.tm_clock_offset_ms = s_col_int(st, 16, &h.has_clock);
        h.tm_disk_free = (uint64_t) s_col_int(st, 17, &h.has_disk);
        rc = fn(ctx, &h);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int central_store_site_counts_each(central_store_t *self,
                                   int (*fn)(void *ctx, const central_site_counts_t *c),
                                   void *ctx)
{
    sqlite3_stmt *sites = sl_db_prepare(self->db, SITE_IDS_CTE
        "SELECT ids.site_id, coalesce(s.last_seq, 0), coalesce(s.last_seen_ms, 0),"
        " coalesce(s.site_no, -1) FROM ids LEFT JOIN sites s ON s.site_id = ids.site_id"
        " ORDER BY ids.site_id LIMIT " SITE_IDS_MAX);
    sqlite3_stmt *count = sl_db_prepare(self->db,
        "SELECT type, count(*) FROM events WHERE site_no = ? GROUP BY type");
    int rc = sites && count ? 0 : -1, step = SQLITE_DONE;
    size_t ntypes = sl_schema_count();
    while (rc == 0 && (step = sqlite3_step(sites)) == SQLITE_ROW) {
        central_site_counts_t c = { .site_id = sl_db_text(sites, 0),
                                    .last_seq = (uint64_t) sqlite3_column_int64(sites, 1),
                                    .last_seen_ms = sqlite3_column_int64(sites, 2) };
        sqlite3_reset(count);
        sqlite3_bind_int64(count, 1, sqlite3_column_int64(sites, 3));
        int crc;
        while ((crc = sqlite3_step(count)) == SQLITE_ROW) {
            const char *type = sl_db_text(count, 0);
            long long k = sqlite3_column_int64(count, 1);
            c.records += k;
            for (size_t t = 0; t < ntypes && t < SL_MAX_TYPES; t++)
                if (strcmp(type, sl_schema_at(t)->name) == 0)
                    c.per_type[t] += k;
        }
        rc = crc == SQLITE_DONE ? fn(ctx, &c) : -1;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(sites);
    sqlite3_finalize(count);
    return rc;
}

int central_store_incidents_each(central_store_t *self, long limit,
                                 int (*fn)(void *ctx, const central_incident_t *i), void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT at_ms, coalesce(last_ms, at_ms), count, site_id, code, coalesce(seq, 0), text"
        " FROM incidents ORDER BY id LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        central_incident_t i = { .first_ms = sqlite3_column_int64(st, 0),
                                 .last_ms = sqlite3_column_int64(st, 1),
                                 .count = sqlite3_column_int64(st, 2),
                                 .site_id = sl_db_text(st, 3), .code = sqlite3_column_int(st, 4),
                                 .seq = (uint64_t) sqlite3_column_int64(st, 5),
                                 .text = sl_db_text(st, 6) };
        rc = fn(ctx, &i);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int central_store_hash_at(central_store_t *self, int64_t site_no, uint64_t seq,
                          uint8_t out[SL_HASH_BYTES])
{
    memset(out, 0, SL_HASH_BYTES);
    if (seq == 0)
        return 0;
    sqlite3_stmt *st = self->hash_at;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, site_no);
    sqlite3_bind_int64(st, 2, (int64_t) seq);
    int rc = sqlite3_step(st) == SQLITE_ROW && sl_db_blob(st, 0, out, SL_HASH_BYTES) ? 0 : -1;
    sqlite3_reset(st);
    return rc;
}

int central_store_begin(central_store_t *self) { return sl_db_begin(self->db); }
int central_store_commit(central_store_t *self) { return sl_db_commit(self->db); }
void central_store_rollback(central_store_t *self)
{
    sl_db_rollback(self->db);
    /* the rows kept may hold records that were just undone */
    if (self->defer_items)
        s_items_drop(self);
}

/* Rows kept: written before a batch once there are this many (or this
 * many bytes), and by the engine's housekeeping (every half second, busy or
 * not: central_store_items_idle) once the oldest is this old. */
#define S_ITEMS_KEEP_MS 1000
#define S_ITEMS_KEEP_ROWS 32768
#define S_ITEMS_KEEP_BYTES (6u << 20)

void central_store_defer_items(central_store_t *self)
{
    /* the server opening the store: what it lacked was its own rows, lost
     * when it stopped without writing them */
    if (self->items_at_open)
        sl_tinfo("中心存储：状态表补上了上次停止前未写入的 %ld 条记录",
                 "central store: the state table now has the %ld records it lacked at the last stop",
                 self->items_at_open);
    sl_items_defer(self->items, self->defer_items = true);
}

int central_store_items_sync(central_store_t *self) { return s_items_sync(self, NULL); }

int central_store_read_begin(central_store_t *self)
{
    /* The table made whole, then a snapshot in which it is: the server may
     * commit records in between, and then this is tried again. */
    for (int tries = 0; tries < 5; tries++) {
        if (s_items_sync(self, NULL) || sl_db_exec(self->db, "BEGIN"))
            return -1;
        if (self->without_items || !s_items_behind(self, true))
            return 0;
        sl_db_exec(self->db, "COMMIT");
    }
    return sl_db_exec(self->db, "BEGIN");
}

int central_store_items_idle(central_store_t *self, int64_t now_ms)
{
    int64_t since;
    size_t n = sl_items_pending(self->items, NULL, &since);
    return (n && now_ms - since >= S_ITEMS_KEEP_MS) || self->items_refold ? s_items_sync(self, NULL) : 0;
}

/* An earlier record of the site being checked (an item is handled and
 * rated at its own community: another site's record does not exist here). */
static bool s_lookup(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    central_store_t *self = ctx;
    sqlite3_stmt *st = self->lookup;
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, id, SL_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, self->evs.site_no);
    bool found = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(type, cap, "%s", sl_db_text(st, 0));
        found = true;
    }
    sqlite3_reset(st);
    return found;
}

static int s_ref_known_db(central_store_t *self, const char *kind, const char *key, size_t len);

/* A reference key the site may name: one it could have held (published to
 * it at or before its cursor), even if deleted since (an old roster never
 * blocks a sync). */
static int s_ref_known(void *ctx, const char *kind, const char *key, size_t len)
{
    central_store_t *self = ctx;
    size_t klen = strlen(kind);
    if (klen > SL_MAX_NAME_BYTES || len >= SL_FOLD_KEY_CAP)
        return 0;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < klen; i++)
        h = (h ^ (uint8_t) kind[i]) * 16777619u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t) key[i]) * 16777619u;
    ref_slot_t *slot = &self->ref_cache[h % 1024];
    if (slot->lseq && slot->hash == h && strcmp(slot->kind, kind) == 0
        && strlen(slot->key) == len && memcmp(slot->key, key, len) == 0)
        return (uint64_t) slot->lseq <= self->check_cursor ? 1 : s_ref_known_db(self, kind, key, len);
    sqlite3_stmt *first = self->ref_first;
    sqlite3_reset(first);
    sqlite3_bind_text(first, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(first, 2, key, (int) len, SQLITE_STATIC);
    int rc = sqlite3_step(first);
    int64_t lseq = rc == SQLITE_ROW && sqlite3_column_type(first, 0) != SQLITE_NULL
                   ? sqlite3_column_int64(first, 0) : 0;
    sqlite3_reset(first);
    if (rc != SQLITE_ROW)
        return -1;
    if (lseq > 0) {
        slot->hash = h;
        slot->lseq = lseq;
        memcpy(slot->kind, kind, klen + 1);
        memcpy(slot->key, key, len);
        slot->key[len] = 0;
        if ((uint64_t) lseq <= self->check_cursor)
            return 1;
    }
    return s_ref_known_db(self, kind, key, len);
}

/* The full question, for keys published to this site only (or not yet
 * to every site at its cursor). */
static int s_ref_known_db(central_store_t *self, const char *kind, const char *key, size_t len)
{
    sqlite3_stmt *st = self->ref_known;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, (int) len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, self->check_site, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t) self->check_cursor);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The refusal's text is sent to the site in an ERROR: written in this
 * thread's language, which the engine makes dual (sl_lang.h). */
static int s_refuse(central_batch_result_t *r, int code, uint64_t seq, const char *field,
                    const char *zh, const char *en, ...)
    __attribute__((format(printf, 5, 7), format(printf, 6, 7)));
static int s_refuse(central_batch_result_t *r, int code, uint64_t seq, const char *field,
                    const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtf(r->text, sizeof r->text, zh, en, ap);
    va_end(ap);
    r->code = code;
    r->seq = seq;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
    return code;
}

/* Checks and inserts one batch; returns 0 or an error code.  Runs inside
 * the savepoint opened by central_store_apply_batch. */
static int s_apply(central_store_t *self, const char *site_id, central_site_t *site,
                   const sl_event_t *events, size_t n, int64_t recv_ms,
                   central_batch_result_t *r)
{
    size_t site_len = strlen(site_id);
    self->evs.site_no = site->site_no;
    self->check_site = site_id;
    self->check_cursor = site->cursor;
    for (size_t i = 0; i < n; i++) {
        const sl_event_t *ev = &events[i];
        if (i > 0 && ev->seq != events[i - 1].seq + 1)
            return s_refuse(r, SL_E_BAD_FIELD, ev->seq, "seq",
                            "这批记录不连续：第 %llu 条跟在第 %llu 条后面",
                            "batch is not consecutive: event %llu follows %llu",
                            (unsigned long long) ev->seq,
                            (unsigned long long) events[i - 1].seq);
        if (ev->seq <= site->last_seq) {
            /* Already committed: an honest retry has the same hash. */
            uint8_t have[SL_HASH_BYTES];
            if (central_store_hash_at(self, site->site_no, ev->seq, have))
                return s_refuse(r, SL_E_INTERNAL, ev->seq, NULL, "无法读取第 %llu 条记录",
                                "cannot read event %llu",
                                (unsigned long long) ev->seq);
            if (memcmp(have, ev->hash, SL_HASH_BYTES) != 0)
                return s_refuse(r, SL_E_CONFLICT, ev->seq, NULL,
                                "第 %llu 条记录与站点 %s 已提交的那条不同：这个站点的历史分叉了"
                                "（从旧的副本恢复过，或复制过磁盘）；这批记录一条也没有保存",
                                "event %llu differs from the one already committed for site %s: "
                                "this site's history has forked (restored from an old copy, "
                                "or a cloned disk); nothing of this batch was stored",
                                (unsigned long long) ev->seq, site_id);
            /* Same hash, but is it the same content?  A retry carries the
             * committed event; content that does not match its hash is
             * altered, not a duplicate to skip in silence. */
            if (!sl_event_hash_ok(ev, site_id, site_len))
                return s_refuse(r, SL_E_CHAIN, ev->seq, "hash",
                                "第 %llu 条记录：哈希与内容不符（在传输中或被人改动过）；"
                                "这批记录一条也没有保存",
                                "event %llu: hash does not match its content (altered in "
                                "transit or by hand); nothing of this batch was stored",
                                (unsigned long long) ev->seq);
            r->duplicates++;
            continue;
        }
        if (ev->seq != site->last_seq + 1) {
            r->expected = site->last_seq + 1;
            return s_refuse(r, SL_E_GAP, ev->seq, "seq",
                            "第 %llu 条记录没有接在最后提交的第 %llu 条后面",
                            "event %llu does not follow the last committed event %llu",
                            (unsigned long long) ev->seq, (unsigned long long) site->last_seq);
        }
        if (memcmp(ev->prev, site->last_hash, SL_HASH_BYTES) != 0)
            return s_refuse(r, SL_E_CHAIN, ev->seq, "prev",
                            "第 %llu 条记录：前一条的哈希与已提交的第 %llu 条不符",
                            "event %llu: previous hash does not match event %llu as committed",
                            (unsigned long long) ev->seq, (unsigned long long) site->last_seq);
        if (!sl_event_hash_ok(ev, site_id, site_len))
            return s_refuse(r, SL_E_CHAIN, ev->seq, "hash",
                            "第 %llu 条记录：哈希与内容不符（在传输中或被人改动过）",
                            "event %llu: hash does not match its content (altered in transit "
                            "or by hand)", (unsigned long long) ev->seq);
        const sl_rtype_t *rt = sl_schema_find(ev->type, ev->type_len);
        if (!rt)
            return s_refuse(r, SL_E_INVALID, ev->seq, "type", "第 %llu 条记录：未知的记录类型 \"%.*s\"",
                            "event %llu: unknown record type \"%.*s\"",
                            (unsigned long long) ev->seq, (int) ev->type_len, ev->type);
        /* The same rules as at entry on the site: the schema, the record's
         * references (this site's records; reference keys the site held),
         * then the fold (lifecycle moves, one rating per closure …). */
        char why[1024];         /* dual under the engine: room for both */
        const char *bad = NULL;
        sl_schema_lookup_t lk = { s_lookup, s_ref_known, self };
        sl_view_t view;
        if (sl_schema_check_view(rt, ev->payload, ev->payload_len, &lk, &view, why, sizeof why,
                                 &bad))
            return s_refuse(r, SL_E_INVALID, ev->seq, bad ? bad : "payload", "第 %llu 条记录（%s）：%s",
                            "event %llu (%s): %s", (unsigned long long) ev->seq, rt->name, why);
        sl_fold_err_t ferr;
        sl_items_events_t evs = { s_by_id, s_by_seq, s_release, &self->evs };
        if (!self->without_items && sl_items_apply_view(self->items, site->site_no, ev->seq, ev->id, &view, ev->payload,
                                ev->payload_len, &evs, &lk, &ferr))
            return s_refuse(r, SL_E_INVALID, ev->seq, ferr.field ? ferr.field : "payload",
                            "第 %llu 条记录（%s）：%s", "event %llu (%s): %s",
                            (unsigned long long) ev->seq, rt->name, ferr.text);
        sqlite3_stmt *st = self->insert;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, site->site_no);
        sqlite3_bind_int64(st, 2, (int64_t) ev->seq);
        sqlite3_bind_blob(st, 3, ev->id, SL_ID_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t) ev->hlc);
        sqlite3_bind_int64(st, 5, ev->wall_ms);
        sqlite3_bind_int64(st, 6, recv_ms);
        sqlite3_bind_text(st, 7, ev->type, (int) ev->type_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 8, ev->payload, (int) ev->payload_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 9, ev->hash, SL_HASH_BYTES, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_CONSTRAINT)
            return s_refuse(r, SL_E_CONFLICT, ev->seq, "id",
                            "第 %llu 条记录：它的 id 已被另一条记录使用",
                            "event %llu: its id is already used by another event",
                            (unsigned long long) ev->seq);
        if (rc != SQLITE_DONE)
            return s_refuse(r, SL_E_INTERNAL, ev->seq, NULL, "无法保存第 %llu 条记录：%s",
                            "cannot store event %llu: %s",
                            (unsigned long long) ev->seq, sqlite3_errmsg(self->db));
        site->last_seq = ev->seq;
        memcpy(site->last_hash, ev->hash, SL_HASH_BYTES);
        r->inserted++;
        /* A command's result: its command is done (or failed), in the same
         * transaction as the record that says so. */
        if (rt->internal && strcmp(rt->name, "command_result") == 0
            && command_store_result(self, site_id, ev->seq, &view, recv_ms))
            return s_refuse(r, SL_E_INTERNAL, ev->seq, NULL, "无法记录命令的结果：%s",
                            "cannot record the result of a command: %s", sqlite3_errmsg(self->db));
    }
    if (r->inserted) {
        sqlite3_stmt *st = self->site_advance;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t) site->last_seq);
        sqlite3_bind_blob(st, 2, site->last_hash, SL_HASH_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, site->site_no);
        sqlite3_bind_int(st, 4, !self->defer_items && !self->without_items);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return s_refuse(r, SL_E_INTERNAL, 0, NULL, "无法推进站点 %s：%s",
                            "cannot advance site %s: %s",
                            site_id, sqlite3_errmsg(self->db));
    }
    return 0;
}

int central_store_apply_batch(central_store_t *self, const char *site_id, central_site_t *site,
                              const sl_event_t *events, size_t n, int64_t recv_ms,
                              central_batch_result_t *result)
{
    memset(result, 0, sizeof *result);
    /* the rows kept are written now and then, before a batch (never half
     * of one); after a rollback the records after the marks first */
    size_t kept_bytes, kept = sl_items_pending(self->items, &kept_bytes, NULL);
    bool due = kept >= S_ITEMS_KEEP_ROWS || kept_bytes >= S_ITEMS_KEEP_BYTES;
    if ((due || self->items_refold) && s_items_sync(self, NULL))
        return s_refuse(result, SL_E_INTERNAL, 0, NULL, "无法写入事项的状态（见服务器日志）",
                        "cannot write the items' states (see the server log)");
    if (sl_db_exec(self->db, "SAVEPOINT batch"))
        return s_refuse(result, SL_E_INTERNAL, 0, NULL, "无法打开保存点", "cannot open a savepoint");
    central_site_t before = *site;
    sl_items_batch_begin(self->items);
    int rc = s_apply(self, site_id, site, events, n, recv_ms, result);
    if (sl_items_batch_end(self->items, rc == 0) && rc == 0)
        rc = s_refuse(result, SL_E_INTERNAL, 0, NULL, "无法保存事项的状态（见服务器日志）",
                      "cannot store the items' states (see the server log)");
    if (rc) {
        sl_db_exec(self->db, "ROLLBACK TO batch");
        *site = before;
        result->inserted = result->duplicates = 0;
    }
    sl_db_exec(self->db, "RELEASE batch");
    return rc;
}

void central_store_incident(central_store_t *self, const char *site_id, int code,
                            uint64_t seq, const char *text)
{
    /* A repeat of the same site and code within an hour of the last one
     * adds to its count: one row per ongoing problem, whatever a key sends. */
    int64_t now = sl_now_ms();
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "UPDATE incidents SET count = count + 1, last_ms = ?1"
        " WHERE id = (SELECT id FROM incidents WHERE site_id = ?2 AND code = ?3"
        "             AND last_ms >= ?1 - 3600000 ORDER BY last_ms DESC LIMIT 1)");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, code);
    bool counted = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(self->db) > 0;
    sqlite3_finalize(st);
    if (counted)
        return;
    st = sl_db_prepare(self->db, "INSERT INTO incidents(at_ms, last_ms, site_id, code, seq, text)"
                                 " VALUES (?1, ?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, code);
    sqlite3_bind_int64(st, 4, (int64_t) seq);
    sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

/* Reads columns seq, id, hlc, wall_ms, type, payload, hash of an events row
 * (prev is not stored).  -1 when a value is damaged (wrong type or length). */
static int s_row_event(sqlite3_stmt *st, sl_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = (uint64_t) sqlite3_column_int64(st, 0);
    ev->hlc = (uint64_t) sqlite3_column_int64(st, 2);
    ev->wall_ms = sqlite3_column_int64(st, 3);
    ev->type = sl_db_text(st, 4);
    ev->type_len = strlen(ev->type);
    ev->payload = sqlite3_column_blob(st, 5);
    ev->payload_len = (size_t) sqlite3_column_bytes(st, 5);
    if (!sl_db_blob(st, 1, ev->id, SL_ID_BYTES) || !sl_db_blob(st, 6, ev->hash, SL_HASH_BYTES)
        || !ev->type_len || sqlite3_column_type(st, 5) != SQLITE_BLOB || !ev->payload)
        return -1;
    return 0;
}

int central_store_pack_events(central_store_t *self, int64_t site_no, uint64_t from,
                              uint32_t max, size_t max_bytes, uint64_t server_seq,
                              uint64_t sess, msgpack_sbuffer *out, uint64_t *next)
{
    if (from == 0)
        from = 1;
    if (from > server_seq + 1)
        from = server_seq + 1;      /* past the end: an empty EVENTS, not an error */
    uint64_t to = from + max - 1;
    if (max == 0 || from > server_seq)
        to = from - 1;
    else if (to > server_seq)
        to = server_seq;
    uint8_t prev[SL_HASH_BYTES];
    if (central_store_hash_at(self, site_no, from - 1, prev))
        return -1;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT seq, id, hlc, wall_ms, type, payload, hash FROM events"
        " WHERE site_no = ? AND seq BETWEEN ? AND ? ORDER BY seq");
    if (!st)
        return -1;
    /* Events go to a side buffer: the reply stops before the frame limit
     * (the site asks again for the rest), and the header needs the count. */
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    bool full = false;
    sqlite3_bind_int64(st, 1, site_no);
    sqlite3_bind_int64(st, 2, (int64_t) from);
    sqlite3_bind_int64(st, 3, (int64_t) to);
    uint64_t expect = from;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sl_event_t ev;
        if (s_row_event(st, &ev) || ev.seq != expect) {
            sl_terror("中心存储：第 %llu 条记录（站点 #%lld）已损坏或缺失"
                      "（请运行 shuanglian-server verify）",
                      "central store: event %llu of site #%lld is damaged or missing (run "
                      "shuanglian-server verify)", (unsigned long long) expect,
                      (long long) site_no);
            break;
        }
        memcpy(ev.prev, prev, SL_HASH_BYTES);
        size_t before = body.size;
        sl_msg_encode_event(&body, &ev);
        if (body.size > max_bytes && expect > from) {
            body.size = before;
            full = true;
            break;
        }
        memcpy(prev, ev.hash, SL_HASH_BYTES);
        expect++;
    }
    sqlite3_finalize(st);
    int rc = full || expect == to + 1 ? 0 : -1;
    if (rc == 0) {
        sl_msg_encode_events_begin(out, SL_EVENTS, sess, server_seq, (size_t) (expect - from));
        msgpack_sbuffer_write(out, body.data, body.size);
        if (next)
            *next = expect;
    }
    msgpack_sbuffer_destroy(&body);
    return rc;
}

int central_store_log_id(central_store_t *self, char *out, size_t cap)
{
    sqlite3_stmt *st = sl_db_prepare(self->db, "SELECT value FROM meta WHERE key = 'log_id'");
    out[0] = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        snprintf(out, cap, "%s", (const char *) sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (out[0])
        return 0;
    uint8_t raw[16];
    randombytes_buf(raw, sizeof raw);
    char hex[33], sql[128];
    sl_hex(raw, sizeof raw, hex);
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES ('log_id', '%s')", hex);
    if (sl_db_exec(self->db, sql))
        return -1;
    snprintf(out, cap, "%s", hex);
    return 0;
}

int central_store_meta_get(central_store_t *self, const char *key, char *out, size_t cap)
{
    out[0] = 0;
    sqlite3_stmt *st = sl_db_prepare(self->db, "SELECT value FROM meta WHERE key = ?");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        snprintf(out, cap, "%s", sl_db_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int central_store_meta_set(central_store_t *self, const char *key, const char *value)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int central_store_new_log_id(central_store_t *self)
{
    uint8_t raw[16];
    char hex[33];
    sl_id_new(raw, sl_hlc_next(0, sl_now_ms()));
    sl_hex(raw, sizeof raw, hex);
    return central_store_meta_set(self, "log_id", hex);
}

int central_store_backup(central_store_t *self, const char *path, char *err, size_t errlen)
{
    if (access(path, F_OK) == 0) {
        sl_tf(err, errlen, "%s 已经存在（不会覆盖它）", "%s already exists (refusing to overwrite it)", path);
        return -1;
    }
    /* The copy is made and checked in a directory of its own, as a store
     * (DIR/central.db), then takes its name. */
    char dir[PATH_MAX], copy[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s.tmp.d", path);
    snprintf(copy, sizeof copy, "%s/central.db", dir);
    unlink(copy);
    rmdir(dir);
    if (mkdir(dir, 0700) != 0) {
        sl_tf(err, errlen, "无法创建 %s：%s", "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(copy, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", self->db, "main")
                                        : NULL;
    if (b) {
        /* One step: one read transaction, so the copy is one moment of the
         * store, whatever the server commits meanwhile (WAL lets it). */
        rc = sqlite3_backup_step(b, -1);
        rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    } else {
        rc = SQLITE_ERROR;
    }
    if (rc != SQLITE_OK)
        sl_tf(err, errlen, "备份失败：%s", "the backup failed: %s",
              dst ? sqlite3_errmsg(dst) : SL_T("内存不足", "out of memory"));
    sqlite3_close(dst);
    central_store_t *check = rc == SQLITE_OK ? central_store_open(dir, err, errlen) : NULL;
    if (check) {
        char ms[32];
        snprintf(ms, sizeof ms, "%lld", (long long) sl_now_ms());
        char *text = NULL;
        size_t tlen = 0;
        FILE *report = open_memstream(&text, &tlen);
        long problems = report ? central_store_verify(check, report) : 1;
        if (report)
            fclose(report);
        if (problems || central_store_meta_set(check, "backup_ms", ms)) {
            sl_tf(err, errlen, "副本校验不通过：%.300s", "the copy does not verify: %.300s",
                  text ? text : "?");
            rc = SQLITE_ERROR;
        }
        free(text);
        central_store_destroy(&check);
    } else {
        rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_OK) {
        int fd = open(copy, O_RDONLY);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        if (rename(copy, path) != 0) {
            sl_tf(err, errlen, "无法把副本移到 %s：%s", "cannot move the copy to %s: %s", path,
                  strerror(errno));
            rc = SQLITE_ERROR;
        }
    }
    char side[PATH_MAX + 32];
    snprintf(side, sizeof side, "%s-wal", copy);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", copy);
    unlink(side);
    unlink(copy);
    rmdir(dir);
    return rc == SQLITE_OK ? 0 : -1;
}

uint64_t central_store_log_head(central_store_t *self)
{
    sqlite3_stmt *st = s_stmt(self, "SELECT max(lseq) FROM server_log");
    uint64_t head = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
        head = (uint64_t) sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    return head;
}

int central_store_log_append(central_store_t *self, const char *target, const char *kind,
                             const char *key, const char *value, uint64_t *lseq_out,
                             char *err, size_t errlen)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO server_log(target, kind, key, value, created_ms) VALUES (?,?,?,?,?)");
    if (!st) {
        sl_tf(err, errlen, "无法准备语句：%s", "cannot prepare: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, sl_now_ms());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        sl_tf(err, errlen, "无法追加到服务器日志：%s", "cannot append to the server log: %s",
              sqlite3_errmsg(self->db));
    else if (lseq_out)
        *lseq_out = (uint64_t) sqlite3_last_insert_rowid(self->db);
    sqlite3_finalize(st);
    return rc;
}

int central_store_pack_log(central_store_t *self, const char *site_id, uint64_t after,
                           uint32_t max, size_t max_bytes, uint64_t sess,
                           msgpack_sbuffer *out, uint64_t *upto_out,
                           central_log_live_fn live, void *live_ctx)
{
    uint64_t head = central_store_log_head(self);
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT lseq, kind, key, value FROM server_log"
        " WHERE lseq > ? AND lseq <= ? AND (target IS NULL OR target = ?)"
        " ORDER BY lseq LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (int64_t) after);
    sqlite3_bind_int64(st, 2, (int64_t) head);
    sqlite3_bind_text(st, 3, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int) max);
    /* Rows are copied: their text lives only until the next step. */
    sl_log_entry_t *entries = calloc(max ? max : 1, sizeof *entries);
    char **owned = calloc(max ? max * 3 : 1, sizeof *owned);
    size_t n = 0, bytes = 0;
    bool full = false;
    int rc = entries && owned ? 0 : -1;
    while (rc == 0 && n < max && sqlite3_step(st) == SQLITE_ROW) {
        size_t row = (size_t) sqlite3_column_bytes(st, 1) + (size_t) sqlite3_column_bytes(st, 2)
                     + (size_t) sqlite3_column_bytes(st, 3) + 16;
        if (n > 0 && bytes + row > max_bytes) {
            full = true;        /* the rest in the next LOG */
            break;
        }
        bytes += row;
        sl_log_entry_t *e = &entries[n];
        e->lseq = (uint64_t) sqlite3_column_int64(st, 0);
        owned[3 * n] = strdup(sl_db_text(st, 1));
        owned[3 * n + 1] = strdup(sl_db_text(st, 2));
        /* A command goes out only while it may still run: a cancelled,
         * expired or finished one is sent as a deletion (nil). */
        int go = 1;
        if (live && strcmp(sl_db_text(st, 1), SL_COMMAND_KIND) == 0
            && (go = live(live_ctx, e->lseq)) < 0) {
            rc = -1;
            break;
        }
        if (go && sqlite3_column_type(st, 3) != SQLITE_NULL)
            owned[3 * n + 2] = strdup(sl_db_text(st, 3));
        e->kind = owned[3 * n];
        e->key = owned[3 * n + 1];
        e->value = owned[3 * n + 2];
        if (!e->kind || !e->key) {
            rc = -1;
            break;
        }
        e->kind_len = strlen(e->kind);
        e->key_len = strlen(e->key);
        e->value_len = e->value ? strlen(e->value) : 0;
        n++;
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        /* A full page stops at its last entry; a short one covers all up to head. */
        uint64_t upto = (full || n == max) && n > 0 ? entries[n - 1].lseq
                                                   : (head > after ? head : after);
        if (upto_out)
            *upto_out = upto;
        sl_msg_t m = { .type = SL_LOG, .sess = sess, .entries = entries, .nentries = n,
                       .upto = upto, .log_head = head };
        sl_msg_encode(&m, out);
    }
    for (size_t i = 0; owned && i < (max ? (size_t) max * 3 : 1); i++)
        free(owned[i]);
    free(owned);
    free(entries);
    return rc;
}

int central_store_items_dump(central_store_t *self, int64_t site_no, FILE *out)
{
    return s_items_sync(self, NULL) ? -1 : sl_items_dump(self->items, site_no, out);
}

int central_store_items_each(central_store_t *self, const char *type, int64_t site_no,
                             int (*fn)(void *ctx, const sl_items_row_t *row), void *ctx)
{
    return s_items_sync(self, NULL) ? -1 : sl_items_each(self->items, type, site_no, fn, ctx);
}

int central_store_item(central_store_t *self, int64_t site_no, uint64_t seq, sl_item_t *it,
                       char *err, size_t errlen)
{
    self->evs.site_no = site_no;
    sl_items_events_t evs = { s_by_id, s_by_seq, s_release, &self->evs };
    return sl_items_load(self->items, site_no, seq, &evs, it, err, errlen);
}

long central_store_verify(central_store_t *self, FILE *out)
{
    long problems = 0;
    /* The file itself first: a damaged page anywhere (an index, the server
     * log, the keys) is a problem even if every chain verifies. */
    sqlite3_stmt *ic = sl_db_prepare(self->db, "PRAGMA integrity_check(100)");
    int irc = SQLITE_ERROR;
    while (ic && (irc = sqlite3_step(ic)) == SQLITE_ROW) {
        const char *line = sl_db_text(ic, 0);
        if (strcmp(line, "ok") != 0) {
            /* SQLite's own words (English), under a label: not a sentence of
             * ours, and "^database: " is what a check of the file looks for. */
            fprintf(out, "database: %s\n", line);
            problems++;
        }
    }
    if (irc != SQLITE_DONE) {
        sl_tprintf(out, "数据库：无法运行完整性检查：%s\n",
                   "database: the integrity check could not run: %s\n", sqlite3_errmsg(self->db));
        problems++;
    }
    sqlite3_finalize(ic);
    sqlite3_stmt *sites = sl_db_prepare(self->db,
        "SELECT site_no, site_id, last_seq, last_hash FROM sites ORDER BY site_id");
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT seq, id, hlc, wall_ms, type, payload, hash FROM events"
        " WHERE site_no = ? ORDER BY seq");
    if (!sites || !st) {
        sqlite3_finalize(sites);
        sqlite3_finalize(st);
        sl_tprintf(out, "数据库：无法读取站点和记录：%s\n", "database: cannot read sites and events: %s\n",
                   sqlite3_errmsg(self->db));
        return problems + 1;
    }
    int rc;
    while ((rc = sqlite3_step(sites)) == SQLITE_ROW) {
        int64_t site_no = sqlite3_column_int64(sites, 0);
        char site_id[SL_MAX_NAME_BYTES + 1];
        snprintf(site_id, sizeof site_id, "%s", sl_db_text(sites, 1));
        if (!site_id[0] || sl_site_id_check(site_id, strlen(site_id))) {
            sl_tprintf(out, "站点 #%lld：它的 id 已损坏\n", "site #%lld: its id is damaged\n",
                       (long long) site_no);
            problems++;
        }
        uint64_t last = (uint64_t) sqlite3_column_int64(sites, 2);
        uint8_t last_hash[SL_HASH_BYTES];
        bool last_hash_ok = sl_db_blob(sites, 3, last_hash, SL_HASH_BYTES);
        if (!last_hash_ok) {
            sl_tprintf(out, "站点 %s：它的最后哈希已损坏（不是 %d 字节）\n",
                       "site %s: its last hash is damaged (not %d bytes)\n", site_id,
                       SL_HASH_BYTES);
            problems++;
        }
        uint8_t prev[SL_HASH_BYTES] = { 0 };
        uint64_t expect = 1;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, site_no);
        int erc;
        while ((erc = sqlite3_step(st)) == SQLITE_ROW) {
            sl_event_t ev;
            bool readable = s_row_event(st, &ev) == 0;
            if (ev.seq != expect) {
                sl_tprintf(out, "站点 %s：缺少第 %llu 条记录（下一条现有的是第 %llu 条）\n",
                           "site %s: event %llu missing (next present is %llu)\n", site_id,
                           (unsigned long long) expect, (unsigned long long) ev.seq);
                problems++;
                expect = ev.seq;
            }
            if (!readable) {
                sl_tprintf(out, "站点 %s：第 %llu 条记录已损坏（id、类型、记录或哈希的种类或长度不对）\n",
                           "site %s: event %llu is damaged (id, type, record or hash of the "
                           "wrong kind or length)\n", site_id, (unsigned long long) ev.seq);
                problems++;
                memset(prev, 0, SL_HASH_BYTES);
                expect++;
                continue;
            }
            memcpy(ev.prev, prev, SL_HASH_BYTES);
            if (!sl_event_hash_ok(&ev, site_id, strlen(site_id))) {
                sl_tprintf(out, "站点 %s：第 %llu 条记录与它的记录链对不上\n",
                           "site %s: event %llu does not verify against its chain\n",
                           site_id, (unsigned long long) ev.seq);
                problems++;
            }
            memcpy(prev, ev.hash, SL_HASH_BYTES);
            expect++;
        }
        if (erc != SQLITE_DONE) {
            sl_tprintf(out, "站点 %s：无法读取它的记录：%s\n", "site %s: cannot read its events: %s\n",
                       site_id, sqlite3_errmsg(self->db));
            problems++;
        }
        if (expect - 1 != last) {
            sl_tprintf(out, "站点 %s：最后提交的序号是 %llu，记录却止于 %llu\n",
                       "site %s: last committed seq is %llu but events end at %llu\n",
                       site_id, (unsigned long long) last, (unsigned long long) (expect - 1));
            problems++;
        } else if (last_hash_ok && memcmp(last_hash, prev, SL_HASH_BYTES) != 0) {
            /* The next batch of this site is checked against last_hash: a
             * damaged one would refuse the site's sync with CHAIN. */
            sl_tprintf(out, "站点 %s：它的最后哈希与第 %llu 条记录不符\n",
                       "site %s: its last hash does not match event %llu\n", site_id,
                       (unsigned long long) last);
            problems++;
        }
    }
    if (rc != SQLITE_DONE) {
        sl_tprintf(out, "数据库：无法读取站点：%s\n", "database: cannot read the sites: %s\n",
                   sqlite3_errmsg(self->db));
        problems++;
    }
    sqlite3_finalize(sites);
    sqlite3_finalize(st);
    /* The figures are read from the state table: it must be what the
     * records say. */
    long differ = problems ? 0 : s_verify_items(self, out);
    if (differ < 0)
        sl_tprintf(out, "状态表：无法重新汇总记录来核对\n",
                   "state table: the records could not be folded again to check it\n");
    else if (differ > 0)
        sl_tprintf(out, "状态表：%ld 行与记录不符（报表读它：请报告这个问题）\n",
                   "state table: %ld rows differ from the records (reports read it: please "
                   "report this)\n", differ);
    return problems + (differ != 0);
}

/* ---- Reference data in force ---------------------------------------------
 * The server log holds every version of every entry; the one in force for a
 * site is the latest addressed to all sites or to that site, exactly what
 * the site itself holds once it has applied the log. */

/* Copies column col (TEXT) into value[0..cap); -1 when it does not fit or
 * is not text (a damaged row). */
static int s_copy_value(sqlite3_stmt *st, int col, char *value, size_t cap)
{
    if (sqlite3_column_type(st, col) != SQLITE_TEXT)   /* before any conversion */
        return -1;
    const unsigned char *text = sqlite3_column_text(st, col);
    size_t len = (size_t) sqlite3_column_bytes(st, col);
    if (!text || len >= cap)
        return -1;
    memcpy(value, text, len + 1);
    return 1;
}

/* Prepares a query on the server log with ?1 kind, ?2 key, ?3 site (or
 * target); NULL on failure. */
static sqlite3_stmt *s_ref_query(central_store_t *self, const char *sql, const char *kind,
                                 const char *key, const char *site)
{
    sqlite3_stmt *st = sl_db_prepare(self->db, sql);
    const char *values[3] = { kind, key, site };
    for (int i = 0; st && i < 3 && i < sqlite3_bind_parameter_count(st); i++)
        sqlite3_bind_text(st, i + 1, values[i], -1, SQLITE_STATIC);
    return st;
}

int central_store_ref_get(central_store_t *self, const char *kind, const char *key,
                          const char *site_id, char *value, size_t cap)
{
    sqlite3_stmt *st = s_ref_query(self,
        "SELECT value FROM server_log WHERE kind = ?1 AND key = ?2"
        " AND (target IS NULL OR target = ?3) ORDER BY lseq DESC LIMIT 1", kind, key, site_id);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rc = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : s_copy_value(st, 0, value, cap);
        if (rc < 0)
            sl_terror("中心存储：参考数据 %s/%s 已损坏（不是文本，或超过 %zu 字节）",
                      "central store: reference %s/%s is damaged (not text, or over %zu bytes)",
                      kind, key, cap - 1);
    } else if (rc != SQLITE_DONE) {
        sl_terror("中心存储：无法读取参考数据 %s/%s：%s", "central store: reference %s/%s cannot be read: %s",
                  kind, key, sqlite3_errmsg(self->db));
        rc = -1;
    } else {
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int central_store_ref_known(central_store_t *self, const char *kind, const char *key,
                            const char *site_id, uint64_t max_lseq)
{
    sqlite3_stmt *st = s_ref_query(self,
        "SELECT 1 FROM server_log WHERE kind = ?1 AND key = ?2 AND value IS NOT NULL"
        " AND (target IS NULL OR target = ?3) AND lseq <= ?4 LIMIT 1", kind, key, site_id);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 4, max_lseq > INT64_MAX ? INT64_MAX : (int64_t) max_lseq);
    int rc = sqlite3_step(st);
    rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int central_store_ref_unchanged(central_store_t *self, const char *target, const char *kind,
                                const char *key, const char *value)
{
    /* For all sites: the latest entry of any target is for all sites and
     * says the same.  For one site: what that site holds says the same. */
    sqlite3_stmt *st = s_ref_query(self,
        "SELECT value IS ?4 AND (?3 IS NOT NULL OR target IS NULL) FROM server_log"
        " WHERE kind = ?1 AND key = ?2 AND (?3 IS NULL OR target IS NULL OR target = ?3)"
        " ORDER BY lseq DESC LIMIT 1", kind, key, target);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    rc = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Calls fn for each row (target, kind, key, value, lseq) whose value is not
 * NULL.  Stops at fn's first non-zero answer and returns it; -1 on a read
 * error or a damaged row. */
static int s_ref_walk(central_store_t *self, sqlite3_stmt *st, central_ref_fn fn, void *ctx)
{
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            continue;               /* deleted */
        if (sqlite3_column_type(st, 3) != SQLITE_TEXT
            || sqlite3_column_type(st, 1) != SQLITE_TEXT
            || sqlite3_column_type(st, 2) != SQLITE_TEXT) {
            sl_terror("中心存储：服务器日志第 #%lld 项已损坏（请运行 shuanglian-server verify）",
                      "central store: server log entry #%lld is damaged (run shuanglian-server "
                      "verify)", (long long) sqlite3_column_int64(st, 4));
            rc = -1;
            break;
        }
        const char *target = sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL
                             : sl_db_text(st, 0);
        rc = fn(ctx, target, sl_db_text(st, 1), sl_db_text(st, 2), sl_db_text(st, 3),
                (size_t) sqlite3_column_bytes(st, 3), (uint64_t) sqlite3_column_int64(st, 4));
    }
    if (rc == 0 && step != SQLITE_DONE) {
        sl_terror("中心存储：无法读取服务器日志：%s", "central store: cannot read the server log: %s",
                  sqlite3_errmsg(self->db));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int central_store_ref_each(central_store_t *self, const char *kind, const char *site_id,
                           central_ref_fn fn, void *ctx)
{
    /* max() makes SQLite take the other columns from the row holding it. */
    sqlite3_stmt *st = s_ref_query(self,
        "SELECT NULL, kind, key, value, max(lseq) FROM server_log WHERE kind = ?1"
        " AND (target IS NULL OR target = ?3) GROUP BY key ORDER BY key",
        kind, NULL, site_id);
    return st ? s_ref_walk(self, st, fn, ctx) : -1;
}

int central_store_ref_each_target(central_store_t *self, const char *kind, central_ref_fn fn,
                                  void *ctx)
{
    sqlite3_stmt *st = s_ref_query(self,
        "SELECT target, kind, key, value, max(lseq) FROM server_log"
        " WHERE (?1 IS NULL AND kind != '" SL_COMMAND_KIND "') OR kind = ?1"
        " GROUP BY kind, key, target ORDER BY kind, key, target",
        kind, NULL, NULL);
    return st ? s_ref_walk(self, st, fn, ctx) : -1;
}

/* ---- Reports (server/report.c) ------------------------------------------- */

int central_store_report_items(central_store_t *self, const sl_rtype_t *rt, const char *unit,
                               const char *status, int32_t from, int32_t to, bool payload,
                               int (*fn)(void *ctx, const central_report_row_t *row), void *ctx)
{
    if (s_items_sync(self, NULL))
        return -1;
    /* Items are keyed by type first: one range, and each record is found
     * by its key (site, seq) in the same order. */
    sqlite3_stmt *st = sl_db_prepare(self->db, payload
        ? "SELECT i.site_no, i.seq, i.on_date, i.good_on, i.status, i.unit, i.member, i.voided,"
          " i.state, e.payload, e.recv_ms FROM items i JOIN events e"
          " ON e.site_no = i.site_no AND e.seq = i.seq WHERE i.type = ?1"
          " AND (?2 IS NULL OR i.unit = ?2) AND (?3 IS NULL OR i.status = ?3)"
          " AND (?4 = 0 OR i.on_date >= ?4) AND (?5 = 0 OR i.on_date <= ?5)"
          " ORDER BY i.type, i.site_no, i.seq"
        : "SELECT site_no, seq, on_date, good_on, status, unit, member, voided, state, NULL, 0"
          " FROM items WHERE type = ?1"
          " AND (?2 IS NULL OR unit = ?2) AND (?3 IS NULL OR status = ?3)"
          " AND (?4 = 0 OR on_date >= ?4) AND (?5 = 0 OR on_date <= ?5)"
          " ORDER BY type, site_no, seq");
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, rt->code);
    if (unit)
        sqlite3_bind_text(st, 2, unit, -1, SQLITE_STATIC);
    if (status)
        sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, from);
    sqlite3_bind_int(st, 5, to);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int state_type = sqlite3_column_type(st, 8);
        if ((state_type != SQLITE_NULL && state_type != SQLITE_BLOB)
            || (payload && sqlite3_column_type(st, 9) != SQLITE_BLOB)) {
            sl_terror("中心存储：条目 %s #%lld（站点 #%lld）已损坏（请运行 shuanglian-server verify）",
                      "central store: item %s #%lld of site #%lld is damaged (run "
                      "shuanglian-server verify)", rt->name,
                      (long long) sqlite3_column_int64(st, 1),
                      (long long) sqlite3_column_int64(st, 0));
            rc = -1;
            break;
        }
        central_report_row_t row = {
            .site_no = sqlite3_column_int64(st, 0),
            .seq = (uint64_t) sqlite3_column_int64(st, 1),
            .on_date = (int32_t) sqlite3_column_int64(st, 2),
            .good_on = (int32_t) sqlite3_column_int64(st, 3),
            .status = sl_db_text(st, 4), .unit = sl_db_text(st, 5), .member = sl_db_text(st, 6),
            .voided = sqlite3_column_int(st, 7) != 0,
            .state = sqlite3_column_blob(st, 8), .state_len = (size_t) sqlite3_column_bytes(st, 8),
            .payload = payload ? sqlite3_column_blob(st, 9) : NULL,
            .payload_len = payload ? (size_t) sqlite3_column_bytes(st, 9) : 0,
            .recv_ms = sqlite3_column_int64(st, 10),
        };
        if (state_type == SQLITE_NULL)
            row.state = NULL;
        rc = fn(ctx, &row);
    }
    if (rc == 0 && step != SQLITE_DONE) {
        sl_terror("中心存储：无法读取条目：%s", "central store: cannot read the items: %s",
                  sqlite3_errmsg(self->db));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int central_store_record(central_store_t *self, int64_t site_no, uint64_t seq,
                         const sl_rtype_t **rt, uint8_t **payload, size_t *len, int64_t *recv_ms)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT type, payload, recv_ms FROM events WHERE site_no = ? AND seq = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, site_no);
    sqlite3_bind_int64(st, 2, (int64_t) seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const uint8_t *p;
        rc = s_event_cols(st, 0, rt, &p, len) == 0 ? 1 : -1;
        *payload = rc > 0 ? malloc(*len ? *len : 1) : NULL;
        if (rc > 0 && *payload)
            memcpy(*payload, p, *len);
        else
            rc = -1;
        if (recv_ms)
            *recv_ms = sqlite3_column_int64(st, 2);
    } else {
        rc = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int central_store_sites_each(central_store_t *self,
                             int (*fn)(void *ctx, int64_t site_no, const char *site_id,
                                       const char *community), void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT site_no, site_id, community FROM sites ORDER BY site_id");
    if (!st)
        return -1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = fn(ctx, sqlite3_column_int64(st, 0), sl_db_text(st, 1), sl_db_text(st, 2));
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int central_store_site_community(central_store_t *self, int64_t site_no, const char *community)
{
    sqlite3_stmt *st = s_stmt(self,
        "UPDATE sites SET community = ?1 WHERE site_no = ?2 AND community IS NOT ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, community, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, site_no);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    return rc;
}

int central_store_ref_history(central_store_t *self, const char *kind, uint64_t max_lseq,
                              central_ref_fn fn, void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT target, kind, key, value, lseq FROM server_log WHERE kind = ?1"
        " AND target IS NULL AND (?2 = 0 OR lseq <= ?2) ORDER BY lseq");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, max_lseq > INT64_MAX ? INT64_MAX : (int64_t) max_lseq);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        bool deleted = sqlite3_column_type(st, 3) == SQLITE_NULL;
        if ((!deleted && sqlite3_column_type(st, 3) != SQLITE_TEXT)
            || sqlite3_column_type(st, 2) != SQLITE_TEXT) {
            sl_terror("中心存储：服务器日志第 #%lld 项已损坏",
                      "central store: server log entry #%lld is damaged",
                      (long long) sqlite3_column_int64(st, 4));
            rc = -1;
            break;
        }
        rc = fn(ctx, NULL, kind, sl_db_text(st, 2), deleted ? NULL : sl_db_text(st, 3),
                (size_t) sqlite3_column_bytes(st, 3), (uint64_t) sqlite3_column_int64(st, 4));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int64_t central_store_recv_max(central_store_t *self)
{
    return sl_db_int(self->db, "SELECT coalesce(max(recv_ms), 0) FROM events", -1);
}

int central_store_late_each(central_store_t *self, int64_t after_ms, size_t max,
                            int (*fn)(void *ctx, int64_t site_no, uint64_t seq,
                                      const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                                      int64_t recv_ms), void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT site_no, seq, type, payload, recv_ms FROM events WHERE recv_ms > ?1"
        " ORDER BY recv_ms, site_no, seq LIMIT ?2");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, after_ms);
    sqlite3_bind_int64(st, 2, max ? (int64_t) max : -1);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const sl_rtype_t *rt;
        const uint8_t *payload;
        size_t len;
        int cols = s_event_cols(st, 2, &rt, &payload, &len);
        if (cols < 0) {
            rc = -1;
            break;
        }
        if (cols > 0)
            continue;           /* a type this version does not know: counted nowhere */
        rc = fn(ctx, sqlite3_column_int64(st, 0), (uint64_t) sqlite3_column_int64(st, 1), rt,
                payload, len, sqlite3_column_int64(st, 4));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int central_store_frozen_get(central_store_t *self, const char *month, central_frozen_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT frozen_ms, recv_cutoff_ms, lseq_cutoff, cells FROM report_frozen WHERE month = ?");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 3) != SQLITE_BLOB || sqlite3_column_int64(st, 2) < 0) {
            sl_terror("中心存储：%s 的冻结数字已损坏", "central store: the frozen figures of %s are damaged",
                      month);
            rc = -1;
        } else {
            out->frozen_ms = sqlite3_column_int64(st, 0);
            out->recv_cutoff_ms = sqlite3_column_int64(st, 1);
            out->lseq_cutoff = (uint64_t) sqlite3_column_int64(st, 2);
            out->len = (size_t) sqlite3_column_bytes(st, 3);
            out->cells = malloc(out->len ? out->len : 1);
            if (out->cells) {
                memcpy(out->cells, sqlite3_column_blob(st, 3), out->len);
                rc = 1;
            } else {
                rc = -1;
            }
        }
    } else {
        rc = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int central_store_frozen_put(central_store_t *self, const char *month, const central_frozen_t *f)
{
    if (sl_db_begin(self->db))
        return -1;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT OR IGNORE INTO report_frozen(month, frozen_ms, recv_cutoff_ms, lseq_cutoff, cells)"
        " VALUES (?,?,?,?,?)");
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, f->frozen_ms);
        sqlite3_bind_int64(st, 3, f->recv_cutoff_ms);
        sqlite3_bind_int64(st, 4, (int64_t) f->lseq_cutoff);
        sqlite3_bind_blob(st, 5, f->cells, (int) f->len, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = sqlite3_changes(self->db) > 0 ? 1 : 0;
        sqlite3_finalize(st);
    }
    if (rc < 0 || sl_db_commit(self->db)) {
        sl_db_rollback(self->db);
        return -1;
    }
    return rc;
}

void central_store_bench_without_items(central_store_t *self) { self->without_items = true; }
