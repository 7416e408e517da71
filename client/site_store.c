/* site_store.c: the site's SQLite store: events, meta, reference data.
 *
 * Never updates an event in place: events are appended (entry, or restore of
 * the site's own history from the server) and only meta rows change.  The
 * acknowledged sequence is written with synchronous=NORMAL: losing it in a
 * power cut only makes the site resend what the server already has, which
 * the server skips. */
#include "site_store.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_items.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_commands.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct site_store {
    sqlite3 *db;
    char site_id[SL_MAX_NAME_BYTES + 1];
    char server[256];
    /* State of the open entry transaction, read at begin. */
    uint64_t last_seq;
    uint8_t last_hash[SL_HASH_BYTES];
    uint64_t hlc;
    bool in_txn;
    sqlite3_stmt *insert;
    sqlite3_stmt *read;
    sqlite3_stmt *lookup_type;
    sqlite3_stmt *record_by_id;
    sqlite3_stmt *get_meta;
    sqlite3_stmt *set_meta;
    void *evs;                   /* events_ctx_t: by id and by seq, for the fold */
    sqlite3_stmt *ref_known;
    sl_items_t *items;           /* the fold's state of this site's items */
    sl_items_events_t events;    /* this store's records, for the fold */
    sl_schema_lookup_t lookup;   /* references checked at entry */
    int64_t data_version;
};

/* Site stores keep their own items as site 0 of the shared state table. */
#define SITE_NO 0

/* ---- this store's records, as the fold reads them -------------------------------------- */

typedef struct {
    sqlite3_stmt *by_id;        /* SELECT seq, type, payload FROM events WHERE id = ? */
    sqlite3_stmt *by_seq;       /* SELECT type, payload FROM events WHERE seq = ? */
} events_ctx_t;

#define BY_ID_SQL "SELECT seq, type, payload FROM events WHERE id = ?"
#define BY_SEQ_SQL "SELECT type, payload FROM events WHERE seq = ?"

/* Reads type and payload columns (type at col, payload at col + 1):
 * 0, 1 for an unknown type (a store of a newer version), -1 damaged. */
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
    sqlite3_stmt *st = ((events_ctx_t *) ctx)->by_id;
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, id, SL_ID_BYTES, SQLITE_TRANSIENT);
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
    sqlite3_stmt *st = ((events_ctx_t *) ctx)->by_seq;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t) seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return -1;
    return s_event_cols(st, 0, rt, payload, len);
}

/* Folds every record already in the store, in order (a store made by
 * 0.2.0, or events restored from the server).  A record the fold refuses
 * (0.2.0 had no lifecycle rules) is kept, not counted, and logged. */
static int s_fold_all(sqlite3 *db, uint64_t from, char *err, size_t errlen)
{
    events_ctx_t ctx = { sl_db_prepare(db, BY_ID_SQL), sl_db_prepare(db, BY_SEQ_SQL) };
    sqlite3_stmt *all = sl_db_prepare(db, "SELECT seq, type, payload FROM events WHERE seq >= ?"
                                          " ORDER BY seq");
    sl_items_t *items = sl_items_new(db);
    int rc = ctx.by_id && ctx.by_seq && all && items ? 0 : -1;
    sl_items_events_t ev = { s_by_id, s_by_seq, s_release, &ctx };
    sqlite3_bind_int64(all, 1, (int64_t) from);
    while (rc == 0 && sqlite3_step(all) == SQLITE_ROW) {
        uint64_t seq = (uint64_t) sqlite3_column_int64(all, 0);
        const sl_rtype_t *rt;
        const uint8_t *payload;
        size_t len;
        int found = s_event_cols(all, 1, &rt, &payload, &len);
        if (found) {
            sl_twarn("site store：记录 #%llu %s：不计入", "site store: record #%llu is %s: not counted",
                     (unsigned long long) seq, found > 0 ? SL_D("类型未知", "of an unknown type")
                                                         : SL_D("已损坏", "damaged"));
            continue;
        }
        /* The statements of `ev` are separate from `all`'s: the payload
         * stays valid while the fold reads other records. */
        sl_fold_err_t ferr;
        if (sl_items_apply(items, SITE_NO, seq, rt, payload, len, &ev, NULL, &ferr))
            sl_twarn("site store：记录 #%llu（%s）保留但不计入：%s",
                     "site store: record #%llu (%s) is kept but not counted: %s",
                     (unsigned long long) seq, rt->name, ferr.text);
    }
    if (rc)
        sl_tf(err, errlen, "无法汇总记录：%s", "cannot fold the records: %s", sqlite3_errmsg(db));
    sl_items_destroy(&items);
    sqlite3_finalize(all);
    sqlite3_finalize(ctx.by_id);
    sqlite3_finalize(ctx.by_seq);
    return rc;
}

static int s_backfill(sqlite3 *db, char *err, size_t errlen)
{
    return s_fold_all(db, 1, err, errlen);
}

/* Schema versions (PRAGMA user_version); see sl_db_migrate.  Version 1 is
 * the 0.2.0 schema. */
static const sl_db_step_t s_steps[] = {
    /* 1: the 0.2.0 schema */
    { .sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS events("
    "  seq INTEGER PRIMARY KEY,"          /* 1, 2, 3 … no gaps */
    "  id BLOB NOT NULL UNIQUE,"
    "  hlc INTEGER NOT NULL,"
    "  wall_ms INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  prev BLOB NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  restored INTEGER NOT NULL DEFAULT 0);" /* 1: fetched back from the server */
    /* One row per record that a unique field points at (one rating per
     * item): the uniqueness check is a key lookup, not a scan. */
    "CREATE TABLE IF NOT EXISTS unique_refs("
    "  type TEXT NOT NULL, field TEXT NOT NULL, target BLOB NOT NULL, seq INTEGER NOT NULL,"
    "  PRIMARY KEY(type, field, target)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS refdata("
    "  kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT, lseq INTEGER NOT NULL,"
    "  PRIMARY KEY(kind, key)) WITHOUT ROWID;" },
    /* 2: the fold's state of every item (common/sl_items.h), built from the
     * records already here; one rating per item is now a rule of the fold */
    { .sql = SL_ITEMS_SCHEMA "DROP TABLE unique_refs;", .fn = s_backfill },
    /* 3: the history of CSV imports (record import): a file or rows
     * imported before are named when they come again.  The records an
     * import saved are the seqs first_seq..last_seq (one transaction);
     * import_rows keeps the line each came from. */
    { .sql =
    "CREATE TABLE imports("
    "  no INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"           /* this computer's clock */
    "  type TEXT NOT NULL,"
    "  file TEXT NOT NULL,"               /* the file's name as given */
    "  hash BLOB NOT NULL,"               /* BLAKE2b-256 of the file's bytes */
    "  encoding TEXT NOT NULL,"
    "  rows INTEGER NOT NULL,"
    "  first_seq INTEGER NOT NULL,"
    "  last_seq INTEGER NOT NULL);"
    "CREATE INDEX imports_hash ON imports(hash);"
    "CREATE TABLE import_rows("
    "  seq INTEGER PRIMARY KEY, import_no INTEGER NOT NULL, line INTEGER NOT NULL) WITHOUT ROWID;" },
    /* 4: remote commands run here, each once (uid; written in the same
     * transaction as the cursor that delivered it), and notices from the
     * district waiting to be shown (PROTOCOL.md 12.11) */
    { .sql =
      "CREATE TABLE IF NOT EXISTS commands_run("
      "  uid TEXT PRIMARY KEY, number INTEGER, verb TEXT NOT NULL, lseq INTEGER,"
      "  executed_ms INTEGER NOT NULL, outcome TEXT NOT NULL, result_seq INTEGER) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS notices("
      "  id INTEGER PRIMARY KEY, uid TEXT, number INTEGER, text TEXT NOT NULL,"
      "  received_ms INTEGER NOT NULL, shown_ms INTEGER);" },
    /* 5: check-ins and check-outs by member (a check-in is checked without
     * reading every one of this site's) */
    { .sql = SL_ITEMS_PLACEMENT_INDEX },
};

static const sl_db_schema_t s_db_schema = {
    .what = "site store",
    .steps = s_steps,
    .nsteps = (int) (sizeof s_steps / sizeof s_steps[0]),
    .legacy_sql = "SELECT 1 FROM meta WHERE key = 'site_id'",
};

static int s_meta_set_text(site_store_t *self, const char *key, const char *value)
{
    sqlite3_stmt *st = self->set_meta;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    return rc;
}

static int s_meta_set_int(site_store_t *self, const char *key, int64_t value)
{
    sqlite3_stmt *st = self->set_meta;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_reset(st);
    return rc;
}

static int64_t s_meta_int(site_store_t *self, const char *key, int64_t fallback)
{
    sqlite3_stmt *st = self->get_meta;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int64_t v = fallback;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

int site_store_reset_refdata(site_store_t *self, const char *log_id)
{
    if (sl_db_begin(self->db))
        return -1;
    if (sl_db_exec(self->db, "DELETE FROM refdata") || s_meta_set_int(self, "cursor", 0)
        || s_meta_set_text(self, "log_id", log_id) || sl_db_commit(self->db)) {
        sl_db_rollback(self->db);
        return -1;
    }
    return 0;
}

int site_store_set_meta(site_store_t *self, const char *key, const char *value)
{
    return s_meta_set_text(self, key, value);
}

int site_store_set_server(site_store_t *self, const char *endpoint)
{
    if (strlen(endpoint) >= sizeof self->server)
        return -1;
    if (strcmp(endpoint, self->server) == 0)
        return 0;
    if (s_meta_set_text(self, "server_previous", self->server)
        || s_meta_set_text(self, "server", endpoint))
        return -1;
    snprintf(self->server, sizeof self->server, "%s", endpoint);
    return 0;
}

const char *site_store_meta(site_store_t *self, const char *key, char *buf, size_t cap)
{
    sqlite3_stmt *st = self->get_meta;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    buf[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf, cap, "%s", sl_db_text(st, 0));
    sqlite3_reset(st);
    return buf;
}

static int s_ref_known(void *ctx, const char *kind, const char *key, size_t len);

static char *s_path(const char *dir, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/site.db", dir);
    return buf;
}

static site_store_t *s_open(const char *dir, bool create, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (strlen(dir) > PATH_MAX - 16) {
        sl_tf(err, errlen, "数据目录的路径太长", "data directory path is too long");
        return NULL;
    }
    site_store_t *self = calloc(1, sizeof *self);
    if (!self) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        return NULL;
    }
    self->db = sl_db_open(s_path(dir, path, sizeof path), create, err, errlen);
    if (!self->db || sl_db_migrate(self->db, &s_db_schema, create, path, err, errlen)) {
        site_store_destroy(&self);
        return NULL;
    }
    self->insert = sl_db_prepare(self->db,
        "INSERT INTO events(seq, id, hlc, wall_ms, type, payload, prev, hash, restored)"
        " VALUES (?,?,?,?,?,?,?,?,?)");
    self->read = sl_db_prepare(self->db,
        "SELECT seq, id, hlc, wall_ms, type, payload, prev, hash FROM events"
        " WHERE seq BETWEEN ? AND ? ORDER BY seq");
    self->lookup_type = sl_db_prepare(self->db, "SELECT type FROM events WHERE id = ?");
    self->record_by_id = sl_db_prepare(self->db,
        "SELECT seq, id, wall_ms, type, payload FROM events WHERE id = ?");
    self->get_meta = sl_db_prepare(self->db, "SELECT value FROM meta WHERE key = ?");
    events_ctx_t *evs = calloc(1, sizeof *evs);
    self->evs = evs;
    if (evs) {
        evs->by_id = sl_db_prepare(self->db, BY_ID_SQL);
        evs->by_seq = sl_db_prepare(self->db, BY_SEQ_SQL);
    }
    self->ref_known = sl_db_prepare(self->db, "SELECT 1 FROM refdata WHERE kind = ? AND key = ?"
                                              " AND value IS NOT NULL");
    self->items = sl_items_new(self->db);
    self->events = (sl_items_events_t) { s_by_id, s_by_seq, s_release, evs };
    self->lookup = (sl_schema_lookup_t) { site_store_ref_lookup, s_ref_known, self };
    self->set_meta = sl_db_prepare(self->db,
        "INSERT INTO meta(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!self->insert || !self->read || !self->lookup_type || !self->record_by_id
        || !self->get_meta || !self->set_meta
        || !evs || !evs->by_id || !evs->by_seq || !self->ref_known || !self->items) {
        sl_tf(err, errlen, "无法在 %s 上准备语句", "cannot prepare statements on %s", path);
        site_store_destroy(&self);
        return NULL;
    }
    return self;
}

int site_store_init(const char *dir, const char *site_id, const char *server,
                    char *err, size_t errlen)
{
    const char *why = sl_site_id_check(site_id, strlen(site_id));
    if (why) {
        snprintf(err, errlen, "%s: \"%s\"", why, site_id);
        return -1;
    }
    if (strncmp(server, "tcp://", 6) != 0 || strlen(server) > 200) {
        sl_tf(err, errlen, "服务器地址 \"%s\" 应写成 tcp://主机:端口",
              "server endpoint \"%s\" must look like tcp://HOST:PORT", server);
        return -1;
    }
    if (mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            sl_tf(err, errlen, "无法创建数据目录 %s", "cannot create data directory %s", dir);
            return -1;
        }
    }
    char path[PATH_MAX];
    if (strlen(dir) < PATH_MAX - 16 && access(s_path(dir, path, sizeof path), F_OK) == 0) {
        sl_tf(err, errlen, "%s 已经存在：这个目录里已经有一个站点（不会覆盖它的历史记录）",
              "%s already exists: this directory already holds a site (refusing to overwrite its "
              "history)", path);
        return -1;
    }
    site_store_t *self = s_open(dir, true, err, errlen);
    if (!self)
        return -1;
    int rc = sl_db_begin(self->db);
    rc = rc || s_meta_set_text(self, "site_id", site_id) || s_meta_set_text(self, "server", server)
         || s_meta_set_int(self, "acked_seq", 0) || s_meta_set_int(self, "cursor", 0)
         || s_meta_set_int(self, "hlc", 0) || s_meta_set_int(self, "created_ms", sl_now_ms())
         || sl_db_commit(self->db);
    if (rc) {
        sl_db_rollback(self->db);
        sl_tf(err, errlen, "无法写入新的站点数据库", "cannot write the new site database");
    }
    site_store_destroy(&self);
    return rc ? -1 : 0;
}

site_store_t *site_store_open(const char *dir, char *err, size_t errlen)
{
    site_store_t *self = s_open(dir, false, err, errlen);
    if (!self)
        return NULL;
    char buf[256];
    site_store_meta(self, "site_id", buf, sizeof buf);
    if (!*buf || sl_site_id_check(buf, strlen(buf))) {
        sl_tf(err, errlen, "%s/site.db 不是已创建的站点（没有有效的站点编号）",
              "%s/site.db is not an initialised site (no valid site id)", dir);
        site_store_destroy(&self);
        return NULL;
    }
    memcpy(self->site_id, buf, strlen(buf) + 1);
    site_store_meta(self, "server", self->server, sizeof self->server);
    self->data_version = -1;
    return self;
}

void site_store_destroy(site_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    site_store_t *self = *self_p;
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->read);
    sqlite3_finalize(self->lookup_type);
    sqlite3_finalize(self->record_by_id);
    sqlite3_finalize(self->get_meta);
    sqlite3_finalize(self->ref_known);
    events_ctx_t *evs = self->evs;
    if (evs) {
        sqlite3_finalize(evs->by_id);
        sqlite3_finalize(evs->by_seq);
        free(evs);
    }
    sl_items_destroy(&self->items);
    sqlite3_finalize(self->set_meta);
    sl_db_close(&self->db);
    free(self);
    *self_p = NULL;
}

sqlite3 *site_store_db(site_store_t *self) { return self->db; }
const char *site_store_site_id(site_store_t *self) { return self->site_id; }
const char *site_store_server(site_store_t *self) { return self->server; }

uint64_t site_store_last_seq(site_store_t *self)
{
    return (uint64_t) sl_db_int(self->db, "SELECT max(seq) FROM events", 0);
}

int site_store_hash_at(site_store_t *self, uint64_t seq, uint8_t out[SL_HASH_BYTES])
{
    memset(out, 0, SL_HASH_BYTES);
    if (seq == 0)
        return 0;
    sqlite3_stmt *st = sl_db_prepare(self->db, "SELECT hash FROM events WHERE seq = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (int64_t) seq);
    int rc = sqlite3_step(st) == SQLITE_ROW && sl_db_blob(st, 0, out, SL_HASH_BYTES) ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int site_store_begin(site_store_t *self)
{
    if (sl_db_begin(self->db))
        return -1;
    self->in_txn = true;
    self->last_seq = site_store_last_seq(self);
    if (site_store_hash_at(self, self->last_seq, self->last_hash)) {
        site_store_rollback(self);
        return -1;
    }
    self->hlc = (uint64_t) s_meta_int(self, "hlc", 0);
    return 0;
}

int site_store_commit(site_store_t *self)
{
    if (s_meta_set_int(self, "hlc", (int64_t) self->hlc) || sl_db_commit(self->db)) {
        site_store_rollback(self);
        return -1;
    }
    self->in_txn = false;
    return 0;
}

void site_store_rollback(site_store_t *self)
{
    sl_db_rollback(self->db);
    self->in_txn = false;
}

static int s_insert(site_store_t *self, const sl_event_t *ev, int restored)
{
    sqlite3_stmt *st = self->insert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t) ev->seq);
    sqlite3_bind_blob(st, 2, ev->id, SL_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t) ev->hlc);
    sqlite3_bind_int64(st, 4, ev->wall_ms);
    sqlite3_bind_text(st, 5, ev->type, (int) ev->type_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, ev->payload, (int) ev->payload_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, ev->prev, SL_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, ev->hash, SL_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, restored);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        sl_terror("site store：无法写入事件 %llu：%s", "site store: cannot insert event %llu: %s",
                  (unsigned long long) ev->seq, sqlite3_errmsg(self->db));
    sqlite3_reset(st);
    return rc;
}

int site_store_add(site_store_t *self, const sl_rtype_t *rt, const uint8_t *payload,
                   size_t len, uint64_t *seq_out, uint8_t *id_out, char *err, size_t errlen,
                   const char **field)
{
    if (!self->in_txn) {
        sl_tf(err, errlen, "内部错误：不在事务中", "internal: add outside a transaction");
        return -1;
    }
    /* The fold's rules (lifecycle moves, one rating per closure, check-in
     * and check-out), and the item's new state, in the same transaction. */
    sl_fold_err_t ferr;
    if (sl_items_apply(self->items, SITE_NO, self->last_seq + 1, rt, payload, len, &self->events,
                       &self->lookup, &ferr)) {
        snprintf(err, errlen, "%s", ferr.text);
        if (field)
            *field = ferr.field;
        return -1;
    }
    sl_event_t ev = { 0 };
    int64_t now = sl_now_ms();
    ev.seq = self->last_seq + 1;
    ev.hlc = self->hlc = sl_hlc_next(self->hlc, now);
    ev.wall_ms = now;
    sl_id_new(ev.id, ev.hlc);
    ev.type = rt->name;
    ev.type_len = strlen(rt->name);
    ev.payload = payload;
    ev.payload_len = len;
    memcpy(ev.prev, self->last_hash, SL_HASH_BYTES);
    sl_event_hash(&ev, self->site_id, strlen(self->site_id), ev.hash);
    if (s_insert(self, &ev, 0)) {
        sl_tf(err, errlen, "无法保存记录：%s", "cannot save the record: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    self->last_seq = ev.seq;
    memcpy(self->last_hash, ev.hash, SL_HASH_BYTES);
    if (seq_out)
        *seq_out = ev.seq;
    if (id_out)
        memcpy(id_out, ev.id, SL_ID_BYTES);
    return 0;
}

int site_store_append(site_store_t *self, const sl_rtype_t *rt, const uint8_t *payload,
                      size_t len, uint64_t *seq_out, uint8_t *id_out, char *err, size_t errlen)
{
    if (site_store_begin(self)) {
        sl_tf(err, errlen, "无法开始事务：%s", "cannot start a transaction: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    if (site_store_add(self, rt, payload, len, seq_out, id_out, err, errlen, NULL)) {
        site_store_rollback(self);
        return -1;
    }
    if (site_store_commit(self)) {
        sl_tf(err, errlen, "无法提交：%s", "cannot commit: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    return 0;
}

bool site_store_ref_lookup(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    site_store_t *self = ctx;
    sqlite3_stmt *st = self->lookup_type;
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, id, SL_ID_BYTES, SQLITE_STATIC);
    bool found = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(type, cap, "%s", sl_db_text(st, 0));
        found = true;
    }
    sqlite3_reset(st);
    return found;
}

/* A reference entry this site has received (entry checks references
 * against the site's own reference data). */
static int s_ref_known(void *ctx, const char *kind, const char *key, size_t len)
{
    site_store_t *self = ctx;
    sqlite3_stmt *st = self->ref_known;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, (int) len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

const sl_schema_lookup_t *site_store_lookup(site_store_t *self) { return &self->lookup; }

int site_store_id_of(site_store_t *self, uint64_t seq, uint8_t id[SL_ID_BYTES])
{
    sqlite3_stmt *st = sl_db_prepare(self->db, "SELECT id FROM events WHERE seq = ?");
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, (int64_t) seq);
        if (sqlite3_step(st) == SQLITE_ROW && sl_db_blob(st, 0, id, SL_ID_BYTES))
            rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Fills a record from columns seq, id, wall_ms, type, payload. */
static int s_record_row(sqlite3_stmt *st, site_record_t *out)
{
    out->seq = (uint64_t) sqlite3_column_int64(st, 0);
    out->wall_ms = sqlite3_column_int64(st, 2);
    out->type = sl_db_text(st, 3);
    out->rt = sl_schema_find(out->type, strlen(out->type));
    out->payload = sqlite3_column_blob(st, 4);
    out->len = (size_t) sqlite3_column_bytes(st, 4);
    if (!sl_db_blob(st, 1, out->id, SL_ID_BYTES) || !out->payload)
        return -1;
    return 0;
}

int site_store_record(site_store_t *self, const uint8_t *id, site_record_t *out)
{
    sqlite3_stmt *st = self->record_by_id;
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, id, SL_ID_BYTES, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return -1;
    return s_record_row(st, out);
}

void site_store_release(site_store_t *self)
{
    sqlite3_reset(self->record_by_id);
}

int site_store_records(site_store_t *self, const char *type, long limit,
                       int (*fn)(void *ctx, const site_record_t *rec), void *ctx)
{
    site_records_filter_t all_of_type = { .type = type };
    return site_store_records_before(self, &all_of_type, limit, fn, ctx);
}

int site_store_records_before(site_store_t *self, const site_records_filter_t *f, long limit,
                              int (*fn)(void *ctx, const site_record_t *rec), void *ctx)
{
    /* instr() of two blobs compares bytes: the text as it is in the
     * msgpack payload (strings are stored as they were entered). */
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT seq, id, wall_ms, type, payload FROM events WHERE seq < ?3 AND seq > ?4"
        " AND (?1 IS NULL OR type = ?1) AND (?5 IS NULL OR instr(payload, ?5) > 0)"
        " ORDER BY seq DESC LIMIT ?2");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, f->type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
    sqlite3_bind_int64(st, 3, f->before && f->before <= INT64_MAX ? (int64_t) f->before : INT64_MAX);
    sqlite3_bind_int64(st, 4, f->after <= INT64_MAX ? (int64_t) f->after : INT64_MAX);
    if (f->text && *f->text)
        sqlite3_bind_blob(st, 5, f->text, (int) strlen(f->text), SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        site_record_t rec;
        if (s_record_row(st, &rec)) {
            sl_twarn("site store：记录 #%lld 已损坏", "site store: record #%lld is damaged",
                     (long long) sqlite3_column_int64(st, 0));
            continue;
        }
        rc = fn(ctx, &rec);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

long site_store_refdata_count(site_store_t *self)
{
    return (long) sl_db_int(self->db, "SELECT count(*) FROM refdata WHERE value IS NOT NULL", 0);
}

int site_store_item(site_store_t *self, uint64_t seq, sl_item_t *it, char *err, size_t errlen)
{
    return sl_items_load(self->items, SITE_NO, seq, &self->events, it, err, errlen);
}

long site_store_members_here(site_store_t *self)
{
    return sl_items_members_here(self->items, SITE_NO);
}

int site_store_items_dump(site_store_t *self, FILE *out)
{
    return sl_items_dump(self->items, SITE_NO, out);
}

int site_store_items_each(site_store_t *self, const char *type,
                          int (*fn)(void *ctx, const sl_items_row_t *row), void *ctx)
{
    return sl_items_each(self->items, type, SITE_NO, fn, ctx);
}

uint64_t site_store_acked(site_store_t *self)
{
    return (uint64_t) s_meta_int(self, "acked_seq", 0);
}

int site_store_set_acked(site_store_t *self, uint64_t acked)
{
    sl_db_exec(self->db, "PRAGMA synchronous=NORMAL");
    int rc = s_meta_set_int(self, "acked_seq", (int64_t) acked);
    sl_db_exec(self->db, "PRAGMA synchronous=FULL");
    return rc;
}

uint64_t site_store_cursor(site_store_t *self)
{
    return (uint64_t) s_meta_int(self, "cursor", 0);
}

uint64_t site_store_hlc(site_store_t *self)
{
    return (uint64_t) s_meta_int(self, "hlc", 0);
}

void site_store_observe_hlc(site_store_t *self, uint64_t remote)
{
    uint64_t hlc = site_store_hlc(self);
    uint64_t merged = sl_hlc_observe(hlc, remote, sl_now_ms());
    if (merged != hlc && sl_db_begin(self->db) == 0) {
        /* Re-read inside the transaction: an entry process may have moved it. */
        hlc = site_store_hlc(self);
        merged = sl_hlc_observe(hlc, remote, sl_now_ms());
        if (s_meta_set_int(self, "hlc", (int64_t) merged) || sl_db_commit(self->db))
            sl_db_rollback(self->db);
    }
}

void site_store_note_sync(site_store_t *self, const char *result, uint64_t server_seq,
                          uint64_t log_head)
{
    sl_db_exec(self->db, "PRAGMA synchronous=NORMAL");
    if (sl_db_begin(self->db) == 0) {
        int rc = s_meta_set_text(self, "last_sync_result", result)
              || s_meta_set_int(self, "last_sync_attempt_ms", sl_now_ms())
              || (strcmp(result, "ok") == 0 && s_meta_set_int(self, "last_sync_ok_ms", sl_now_ms()))
              || s_meta_set_int(self, "server_seq", (int64_t) server_seq)
              || s_meta_set_int(self, "log_head", (int64_t) log_head)
              || sl_db_commit(self->db);
        if (rc)
            sl_db_rollback(self->db);
    }
    sl_db_exec(self->db, "PRAGMA synchronous=FULL");
}

bool site_store_changed(site_store_t *self)
{
    int64_t v = sl_db_int(self->db, "PRAGMA data_version", 0);
    bool changed = v != self->data_version;
    self->data_version = v;
    return changed;
}

/* Reads an events row (seq, id, hlc, wall_ms, type, payload, prev, hash);
 * -1 when a value is damaged (wrong type or length). */
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
    if (!sl_db_blob(st, 1, ev->id, SL_ID_BYTES) || !sl_db_blob(st, 6, ev->prev, SL_HASH_BYTES)
        || !sl_db_blob(st, 7, ev->hash, SL_HASH_BYTES) || !ev->type_len
        || sqlite3_column_type(st, 5) != SQLITE_BLOB || !ev->payload)
        return -1;
    return 0;
}

int site_store_pack_batch_upto(site_store_t *self, uint64_t sess, uint64_t from, uint64_t to,
                               size_t max_bytes, msgpack_sbuffer *out, uint64_t *last)
{
    /* Events go to a side buffer first: the array header needs the count,
     * and the count depends on where the byte budget runs out. */
    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    sqlite3_stmt *st = self->read;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t) from);
    sqlite3_bind_int64(st, 2, (int64_t) to);
    uint64_t expect = from;
    bool full = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sl_event_t ev;
        if (s_row_event(st, &ev) || ev.seq != expect)
            break;
        size_t before = body.size;
        sl_msg_encode_event(&body, &ev);
        if (body.size > max_bytes && expect > from) {
            body.size = before;     /* this one starts the next batch */
            full = true;
            break;
        }
        expect++;
    }
    sqlite3_reset(st);
    int rc = 0;
    if (expect == from || (!full && expect != to + 1)) {
        sl_terror("site store：事件 %llu..%llu 不能全部读出（停在 %llu）",
                  "site store: events %llu..%llu are not all readable (stopped at %llu)",
                  (unsigned long long) from, (unsigned long long) to, (unsigned long long) expect);
        rc = -1;
    } else {
        sl_msg_encode_events_begin(out, SL_BATCH, sess, 0, (size_t) (expect - from));
        msgpack_sbuffer_write(out, body.data, body.size);
        if (last)
            *last = expect - 1;
    }
    msgpack_sbuffer_destroy(&body);
    return rc;
}

int site_store_pack_batch(site_store_t *self, uint64_t sess, uint64_t from, uint64_t to,
                          msgpack_sbuffer *out)
{
    uint64_t last;
    if (site_store_pack_batch_upto(self, sess, from, to, SIZE_MAX, out, &last))
        return -1;
    return last == to ? 0 : -1;
}

/* A restored command_result record: its command counts as run here. */
static int s_restored_result(site_store_t *self, const sl_rtype_t *rt, const sl_event_t *ev)
{
    sl_view_t v;
    char uid[SL_MAX_NAME_BYTES + 1], verb[SL_MAX_NAME_BYTES + 1], outcome[16], num[24], why[200];
    if (strcmp(rt->name, "command_result") != 0
        || sl_schema_view(rt, ev->payload, ev->payload_len, &v, why, sizeof why))
        return 0;
    sl_view_text(&v, "command", uid, sizeof uid);
    sl_view_text(&v, "verb", verb, sizeof verb);
    sl_view_text(&v, "outcome", outcome, sizeof outcome);
    sl_view_text(&v, "number", num, sizeof num);
    return site_store_command_ran(self, uid, atoll(num), verb, 0, outcome, ev->seq);
}

int site_store_restore_events(site_store_t *self, const sl_event_t *events, size_t n,
                              char *err, size_t errlen)
{
    if (site_store_begin(self)) {
        sl_tf(err, errlen, "无法开始事务", "cannot start a transaction");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const sl_event_t *ev = &events[i];
        if (ev->seq != self->last_seq + 1) {
            sl_tf(err, errlen, "服务器发来事件 %llu，应为 %llu", "server sent event %llu, expected %llu",
                  (unsigned long long) ev->seq, (unsigned long long) self->last_seq + 1);
            goto fail;
        }
        if (memcmp(ev->prev, self->last_hash, SL_HASH_BYTES) != 0
            || !sl_event_hash_ok(ev, self->site_id, strlen(self->site_id))) {
            sl_tf(err, errlen, "服务器发来的事件 %llu 接不上本站点的记录链",
                  "event %llu from the server does not continue this site's hash chain",
                  (unsigned long long) ev->seq);
            goto fail;
        }
        /* What comes back from the server is outside input like any
         * other: a record this site could not have written is refused
         * before it is stored (its references to earlier records are
         * checked; reference keys are not, as the roster may have changed
         * since the record was made). */
        const sl_rtype_t *rt = sl_schema_find(ev->type, ev->type_len);
        if (!rt) {
            sl_tf(err, errlen, "服务器发来的事件 %llu 是记录类型 \"%.*s\"，这个版本的 shuanglian-site 不认识"
                  "（请升级）", "event %llu from the server is of record type \"%.*s\", which this "
                  "version of shuanglian-site does not know (upgrade it)",
                  (unsigned long long) ev->seq, (int) (ev->type_len > 64 ? 64 : ev->type_len),
                  ev->type);
            goto fail;
        }
        sl_schema_lookup_t lk = { site_store_ref_lookup, NULL, self };
        char why[700];
        sl_lang_t lang = sl_lang_use(SL_LANG_DUAL);     /* why is part of err's sentence */
        int bad = sl_schema_check(rt, ev->payload, ev->payload_len, &lk, why, sizeof why, NULL);
        sl_lang_use(lang);
        if (bad) {
            sl_tf(err, errlen, "服务器发来的事件 %llu（%s）不是有效的记录：%s",
                  "event %llu (%s) from the server is not a valid record: %s",
                  (unsigned long long) ev->seq, rt->name, why);
            goto fail;
        }
        if (s_insert(self, ev, 1)) {
            sl_tf(err, errlen, "无法保存事件 %llu", "cannot store event %llu", (unsigned long long) ev->seq);
            goto fail;
        }
        /* The server accepted it: fold it; a refusal here (0.2.0 history)
         * keeps the record but does not count it, as on the server. */
        sl_fold_err_t ferr;
        if (sl_items_apply(self->items, SITE_NO, ev->seq, rt, ev->payload, ev->payload_len,
                                 &self->events, NULL, &ferr))
            sl_twarn("site store：恢复的记录 #%llu（%s）保留但不计入：%s",
                     "site store: restored record #%llu (%s) is kept but not counted: %s",
                     (unsigned long long) ev->seq, rt->name, ferr.text);
        /* A command this site ran before it lost its copy: never again,
         * even if the server's log delivers it once more. */
        if (rt && rt->internal && s_restored_result(self, rt, ev)) {
            sl_tf(err, errlen, "无法记下恢复的记录 %llu 的命令", "cannot note the command of restored "
                  "record %llu", (unsigned long long) ev->seq);
            goto fail;
        }
        self->last_seq = ev->seq;
        memcpy(self->last_hash, ev->hash, SL_HASH_BYTES);
        if (ev->hlc > self->hlc)
            self->hlc = ev->hlc;
    }
    if (s_meta_set_int(self, "acked_seq", (int64_t) self->last_seq) || site_store_commit(self)) {
        sl_tf(err, errlen, "无法提交恢复的事件", "cannot commit restored events");
        goto fail;
    }
    return 0;
fail:
    site_store_rollback(self);
    return -1;
}

int site_store_apply_log(site_store_t *self, const sl_log_entry_t *entries, size_t n,
                         uint64_t upto, site_command_fn exec, void *ctx, char *err,
                         size_t errlen)
{
    /* site_store_begin: a command's result is a record, added in this
     * transaction (site_store_add needs the chain's state). */
    if (site_store_begin(self)) {
        sl_tf(err, errlen, "无法开始事务", "cannot start a transaction");
        return -1;
    }
    uint64_t cursor = site_store_cursor(self);
    sqlite3_stmt *put = sl_db_prepare(self->db,
        "INSERT INTO refdata(kind, key, value, lseq) VALUES (?,?,?,?)"
        " ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, lseq = excluded.lseq");
    sqlite3_stmt *del = sl_db_prepare(self->db, "DELETE FROM refdata WHERE kind = ? AND key = ?");
    int rc = put && del ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const sl_log_entry_t *e = &entries[i];
        if (e->lseq <= cursor)
            continue;           /* already applied: a repeated LOG is harmless */
        if (e->kind_len == strlen(SL_COMMAND_KIND)
            && memcmp(e->kind, SL_COMMAND_KIND, e->kind_len) == 0) {
            /* A command runs here, once, in this transaction; a nil value
             * is a command the server withdrew (cancelled, expired). */
            if (e->value && exec)
                rc = exec(ctx, self, e, err, errlen);
            continue;
        }
        sqlite3_stmt *st = e->value ? put : del;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, e->kind, (int) e->kind_len, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, e->key, (int) e->key_len, SQLITE_STATIC);
        if (e->value) {
            sqlite3_bind_text(st, 3, e->value, (int) e->value_len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, (int64_t) e->lseq);
        }
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    if (rc == 0 && upto > cursor)
        rc = s_meta_set_int(self, "cursor", (int64_t) upto);
    if (rc || site_store_commit(self)) {
        if (!rc)
            sl_tf(err, errlen, "无法应用参考数据：%s", "cannot apply reference data: %s",
                  sqlite3_errmsg(self->db));
        site_store_rollback(self);
        return -1;
    }
    return 0;
}

/* ---- remote commands and notices (PROTOCOL.md 12.11) ----------------------- */

int site_store_command_seen(site_store_t *self, const char *uid)
{
    sqlite3_stmt *st = sl_db_prepare(self->db, "SELECT 1 FROM commands_run WHERE uid = ?");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int site_store_command_ran(site_store_t *self, const char *uid, int64_t number,
                           const char *verb, uint64_t lseq, const char *outcome,
                           uint64_t result_seq)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT OR IGNORE INTO commands_run(uid, number, verb, lseq, executed_ms, outcome,"
        " result_seq) VALUES (?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, number);
    sqlite3_bind_text(st, 3, verb, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t) lseq);
    sqlite3_bind_int64(st, 5, sl_now_ms());
    sqlite3_bind_text(st, 6, outcome, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (int64_t) result_seq);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

long site_store_commands_run(site_store_t *self, const char *verb)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT count(*) FROM commands_run WHERE ?1 IS NULL OR verb = ?1");
    long n = -1;
    if (st) {
        sqlite3_bind_text(st, 1, verb, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = (long) sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return n;
}

int site_store_notice_add(site_store_t *self, const char *uid, int64_t number, const char *text)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO notices(uid, number, text, received_ms) VALUES (?,?,?,?)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, number);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, sl_now_ms());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int site_store_notices_take(site_store_t *self,
                            int (*fn)(void *ctx, int64_t received_ms, const char *text),
                            void *ctx)
{
    if (sl_db_begin(self->db))
        return -1;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT received_ms, text FROM notices WHERE shown_ms IS NULL ORDER BY id LIMIT 20");
    int rc = st ? 0 : -1, n = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) != SQLITE_TEXT)
            continue;           /* damaged: not shown, not a crash */
        fn(ctx, sqlite3_column_int64(st, 0), sl_db_text(st, 1));
        n++;
    }
    sqlite3_finalize(st);
    if (rc == 0 && n) {
        char sql[120];
        snprintf(sql, sizeof sql, "UPDATE notices SET shown_ms = %lld WHERE shown_ms IS NULL",
                 (long long) sl_now_ms());
        rc = sl_db_exec(self->db, sql);
    }
    if (rc || sl_db_commit(self->db)) {
        sl_db_rollback(self->db);
        return -1;
    }
    return n;
}

int site_store_telemetry(site_store_t *self, const char *dir, sl_telemetry_t *tm,
                         char *last_error, size_t cap)
{
    memset(tm, 0, sizeof *tm);
    uint64_t last = site_store_last_seq(self), acked = site_store_acked(self);
    int64_t now = sl_now_ms();
    tm->has = SL_TM_OUTBOX | SL_TM_OUTBOX_AGE | SL_TM_CLOCK | SL_TM_LAST_ERROR | SL_TM_LAST_SEQ;
    tm->last_seq = last;
    tm->outbox = last > acked ? last - acked : 0;
    tm->clock_ms = now;
    if (tm->outbox) {
        sqlite3_stmt *st = sl_db_prepare(self->db, "SELECT wall_ms FROM events WHERE seq = ?");
        if (st) {
            sqlite3_bind_int64(st, 1, (int64_t) acked + 1);
            if (sqlite3_step(st) == SQLITE_ROW) {
                int64_t wall = sqlite3_column_int64(st, 0);
                tm->outbox_age_ms = now > wall ? (uint64_t) (now - wall) : 0;
            }
            sqlite3_finalize(st);
        }
    }
    struct statvfs vfs;
    if (dir && statvfs(dir, &vfs) == 0) {
        tm->has |= SL_TM_DISK_FREE;
        tm->disk_free = (uint64_t) vfs.f_bavail * (uint64_t) vfs.f_frsize;
    }
    site_store_meta(self, "last_sync_result", last_error, cap);
    if (strcmp(last_error, "ok") == 0)
        last_error[0] = 0;
    tm->last_error = last_error;
    tm->last_error_len = strlen(last_error);
    return 0;
}

long site_store_check(site_store_t *self, char *out, size_t cap)
{
    long problems = 0;
    size_t used = 0;
    out[0] = 0;
    sqlite3_stmt *ic = sl_db_prepare(self->db, "PRAGMA integrity_check(20)");
    int rc = SQLITE_ERROR;
    while (ic && (rc = sqlite3_step(ic)) == SQLITE_ROW) {
        const char *line = sl_db_text(ic, 0);
        if (strcmp(line, "ok") != 0) {
            problems++;
            if (used < cap)
                used += sl_tf(out + used, cap - used, "数据库：%s\n", "database: %s\n", line);
        }
    }
    sqlite3_finalize(ic);
    if (rc != SQLITE_DONE) {
        problems++;
        if (used < cap)
            used += sl_tf(out + used, cap - used, "数据库：无法做完整性检查：%s\n",
                          "database: the integrity check could not run: %s\n",
                          sqlite3_errmsg(self->db));
    }
    /* The chain: every record's prev and hash, in order, without gaps. */
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT seq, id, hlc, wall_ms, type, payload, prev, hash FROM events ORDER BY seq");
    uint8_t prev[SL_HASH_BYTES] = { 0 };
    uint64_t expect = 1, n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        sl_event_t ev;
        bool ok = s_row_event(st, &ev) == 0 && ev.seq == expect
                  && memcmp(ev.prev, prev, SL_HASH_BYTES) == 0
                  && sl_event_hash_ok(&ev, self->site_id, strlen(self->site_id));
        if (!ok) {
            problems++;
            if (used < cap)
                used += sl_tf(out + used, cap - used, "记录 %llu 接不上记录链（应为 %llu）\n",
                              "record %llu does not continue the chain (expected %llu)\n",
                              (unsigned long long) ev.seq, (unsigned long long) expect);
        }
        memcpy(prev, ev.hash, SL_HASH_BYTES);
        expect = ev.seq + 1;
        n++;
    }
    sqlite3_finalize(st);
    if (used < cap)
        sl_tf(out + used, cap - used, "%s：%llu 条记录，完整性检查%s，记录链%s",
              "%s: %llu records, integrity check %s, chain %s",
              problems ? SL_D("有问题", "problems") : SL_D("正常", "ok"), (unsigned long long) n,
              rc == SQLITE_DONE ? SL_D("通过", "passed") : SL_D("失败", "failed"),
              problems ? SL_D("有误", "broken") : SL_D("完整", "intact"));
    return problems;
}

/* ---- Reference data held by this site ------------------------------------ */

int site_store_ref_get(site_store_t *self, const char *kind, const char *key, char *value,
                       size_t cap)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT value FROM refdata WHERE kind = ? AND key = ?");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL) {
        rc = 0;
    } else if (rc == SQLITE_ROW) {
        /* A database is outside input: a value that is not text or does
         * not fit is damaged (a LOG value is at most SL_MAX_TEXT_BYTES). */
        bool is_text = sqlite3_column_type(st, 0) == SQLITE_TEXT;   /* before any conversion */
        const unsigned char *text = is_text ? sqlite3_column_text(st, 0) : NULL;
        size_t len = (size_t) sqlite3_column_bytes(st, 0);
        rc = text && len < cap ? 1 : -1;
        if (rc == 1)
            memcpy(value, text, len + 1);
    } else {
        rc = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int site_store_ref_each(site_store_t *self, const char *kind, site_ref_fn fn, void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT kind, key, value, lseq FROM refdata WHERE (?1 IS NULL OR kind = ?1)"
        " AND value IS NOT NULL ORDER BY kind, key");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 2) != SQLITE_TEXT) {
            sl_terror("site store：参考数据 %s/%s 已损坏", "site store: reference %s/%s is damaged",
                      sl_db_text(st, 0), sl_db_text(st, 1));

            rc = -1;
            break;
        }
        const char *value = sl_db_text(st, 2);
        rc = fn(ctx, sl_db_text(st, 0), sl_db_text(st, 1), value,
                (size_t) sqlite3_column_bytes(st, 2), (uint64_t) sqlite3_column_int64(st, 3));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

/* ---- Import history (record import) --------------------------------------- */

#define IMPORT_COLS "no, at_ms, type, file, encoding, rows, first_seq, last_seq"

static void s_import_row(sqlite3_stmt *st, int col, site_import_t *im)
{
    im->no = (long) sqlite3_column_int64(st, col);
    im->at_ms = sqlite3_column_int64(st, col + 1);
    snprintf(im->type, sizeof im->type, "%s", sl_db_text(st, col + 2));
    snprintf(im->file, sizeof im->file, "%s", sl_db_text(st, col + 3));
    snprintf(im->encoding, sizeof im->encoding, "%s", sl_db_text(st, col + 4));
    im->rows = (long) sqlite3_column_int64(st, col + 5);
    im->first_seq = (uint64_t) sqlite3_column_int64(st, col + 6);
    im->last_seq = (uint64_t) sqlite3_column_int64(st, col + 7);
}

/* Runs a query that binds one value (a blob of n bytes, or an integer when
 * blob is NULL) and reads an import from its first columns, plus an
 * integer after them into *extra when not NULL.  1, 0 none, -1. */
static int s_import_query(site_store_t *self, const char *sql, const void *blob, size_t n,
                          int64_t value, site_import_t *out, long *extra)
{
    sqlite3_stmt *st = sl_db_prepare(self->db, sql);
    if (!st)
        return -1;
    if (blob)
        sqlite3_bind_blob(st, 1, blob, (int) n, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, value);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        s_import_row(st, 0, out);
        if (extra)
            *extra = (long) sqlite3_column_int64(st, 8);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int site_store_import_by_hash(site_store_t *self, const uint8_t hash[SL_HASH_BYTES],
                              site_import_t *out)
{
    return s_import_query(self, "SELECT " IMPORT_COLS " FROM imports WHERE hash = ?"
                          " ORDER BY no DESC LIMIT 1", hash, SL_HASH_BYTES, 0, out, NULL);
}

int site_store_import_of(site_store_t *self, uint64_t seq, site_import_t *out, long *line)
{
    return s_import_query(self, "SELECT i.no, i.at_ms, i.type, i.file, i.encoding, i.rows,"
                          " i.first_seq, i.last_seq, r.line FROM import_rows r"
                          " JOIN imports i ON i.no = r.import_no WHERE r.seq = ?", NULL, 0,
                          (int64_t) seq, out, line);
}

long site_store_import_note(site_store_t *self, const site_import_t *im,
                            const uint8_t hash[SL_HASH_BYTES])
{
    if (!self->in_txn)
        return -1;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO imports(at_ms, type, file, hash, encoding, rows, first_seq, last_seq)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, im->at_ms);
    sqlite3_bind_text(st, 2, im->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, im->file, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, hash, SL_HASH_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, im->encoding, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, im->rows);
    sqlite3_bind_int64(st, 7, (int64_t) im->first_seq);
    sqlite3_bind_int64(st, 8, (int64_t) im->last_seq);
    long no = sqlite3_step(st) == SQLITE_DONE ? (long) sqlite3_last_insert_rowid(self->db) : -1;
    sqlite3_finalize(st);
    return no;
}

int site_store_import_rows(site_store_t *self, long import_no, uint64_t first_seq,
                           const long *lines, size_t n)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO import_rows(seq, import_no, line) VALUES (?, ?, ?)");
    int rc = st && self->in_txn ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t) (first_seq + i));
        sqlite3_bind_int64(st, 2, import_no);
        sqlite3_bind_int64(st, 3, lines[i]);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int site_store_imports_each(site_store_t *self, long limit,
                            int (*fn)(void *ctx, const site_import_t *im), void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT " IMPORT_COLS " FROM imports ORDER BY no DESC LIMIT ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        site_import_t im;
        s_import_row(st, 0, &im);
        rc = fn(ctx, &im);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}
