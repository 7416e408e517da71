/* central_store.c: the district's SQLite store of every site's events.
 *
 * Table `events` is WITHOUT ROWID keyed on (site_no, seq), so a site's batch
 * inserts in key order (shared/PITFALLS.md: ordered keys insert ~5x faster
 * than random ones).  Event ids are UUIDv7-like and mostly ordered too. */
#include "central_store.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include <sodium.h>
#include "sl_log.h"
#include "sl_schema.h"
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct central_store {
    sqlite3 *db;
    sqlite3_stmt *insert;
    sqlite3_stmt *hash_at;
    sqlite3_stmt *lookup;
    sqlite3_stmt *site_get;
    sqlite3_stmt *site_put;
    sqlite3_stmt *site_advance;
};

static const char *s_schema =
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
    "  code INTEGER NOT NULL, seq INTEGER, text TEXT NOT NULL);";

static char *s_path(const char *dir, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/central.db", dir);
    return buf;
}

static central_store_t *s_open(const char *dir, bool create, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (strlen(dir) > PATH_MAX - 16) {
        snprintf(err, errlen, "data directory path is too long");
        return NULL;
    }
    central_store_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->db = sl_db_open(s_path(dir, path, sizeof path), create, err, errlen);
    if (!self->db || sl_db_exec(self->db, s_schema)) {
        if (self->db)
            snprintf(err, errlen, "cannot create tables in %s", path);
        central_store_destroy(&self);
        return NULL;
    }
    sl_db_tune_bulk(self->db);
    self->insert = sl_db_prepare(self->db,
        "INSERT INTO events(site_no, seq, id, hlc, wall_ms, recv_ms, type, payload, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?)");
    self->hash_at = sl_db_prepare(self->db,
        "SELECT hash FROM events WHERE site_no = ? AND seq = ?");
    self->lookup = sl_db_prepare(self->db, "SELECT type FROM events WHERE id = ?");
    self->site_get = sl_db_prepare(self->db,
        "SELECT site_no, last_seq, last_hash FROM sites WHERE site_id = ?");
    self->site_put = sl_db_prepare(self->db,
        "INSERT INTO sites(site_id, first_seen_ms, last_seen_ms) VALUES (?, ?, ?)");
    self->site_advance = sl_db_prepare(self->db,
        "UPDATE sites SET last_seq = ?, last_hash = ? WHERE site_no = ?");
    if (!self->insert || !self->hash_at || !self->lookup || !self->site_get || !self->site_put
        || !self->site_advance) {
        snprintf(err, errlen, "cannot prepare statements on %s", path);
        central_store_destroy(&self);
        return NULL;
    }
    return self;
}

int central_store_init(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "cannot create data directory %s", dir);
            return -1;
        }
    }
    char path[PATH_MAX];
    if (strlen(dir) < PATH_MAX - 16 && access(s_path(dir, path, sizeof path), F_OK) == 0) {
        snprintf(err, errlen, "%s already exists (refusing to overwrite the central store)", path);
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
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->hash_at);
    sqlite3_finalize(self->lookup);
    sqlite3_finalize(self->site_get);
    sqlite3_finalize(self->site_put);
    sqlite3_finalize(self->site_advance);
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
        memset(out->last_hash, 0, SL_HASH_BYTES);
        if (sqlite3_column_bytes(st, 2) == SL_HASH_BYTES)
            memcpy(out->last_hash, sqlite3_column_blob(st, 2), SL_HASH_BYTES);
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

int central_store_site(central_store_t *self, const char *site_id, central_site_t *out)
{
    if (s_site_get(self, site_id, out) == 0)
        return 0;
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
    sl_info("site %s registered", site_id);
    return s_site_get(self, site_id, out) == 0 ? 0 : -1;
}

void central_store_touch(central_store_t *self, int64_t site_no, uint64_t cursor,
                         const char *agent, size_t agent_len)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "UPDATE sites SET last_seen_ms = ?, cursor = ?, agent = ? WHERE site_no = ?");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, sl_now_ms());
    sqlite3_bind_int64(st, 2, (int64_t) cursor);
    sqlite3_bind_text(st, 3, agent ? agent : "", agent ? (int) agent_len : 0, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, site_no);
    sqlite3_step(st);
    sqlite3_finalize(st);
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
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == SL_HASH_BYTES) {
        memcpy(out, sqlite3_column_blob(st, 0), SL_HASH_BYTES);
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

int central_store_begin(central_store_t *self) { return sl_db_begin(self->db); }
int central_store_commit(central_store_t *self) { return sl_db_commit(self->db); }
void central_store_rollback(central_store_t *self) { sl_db_rollback(self->db); }

static bool s_lookup(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    central_store_t *self = ctx;
    sqlite3_stmt *st = self->lookup;
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, id, SL_ID_BYTES, SQLITE_STATIC);
    bool found = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(type, cap, "%s", (const char *) sqlite3_column_text(st, 0));
        found = true;
    }
    sqlite3_reset(st);
    return found;
}

static int s_refuse(central_batch_result_t *r, int code, uint64_t seq, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int s_refuse(central_batch_result_t *r, int code, uint64_t seq, const char *field,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof r->text, fmt, ap);
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
    for (size_t i = 0; i < n; i++) {
        const sl_event_t *ev = &events[i];
        if (i > 0 && ev->seq != events[i - 1].seq + 1)
            return s_refuse(r, SL_E_BAD_FIELD, ev->seq, "seq",
                            "batch is not consecutive: event %llu follows %llu",
                            (unsigned long long) ev->seq,
                            (unsigned long long) events[i - 1].seq);
        if (ev->seq <= site->last_seq) {
            /* Already committed: an honest retry has the same hash. */
            uint8_t have[SL_HASH_BYTES];
            if (central_store_hash_at(self, site->site_no, ev->seq, have))
                return s_refuse(r, SL_E_INTERNAL, ev->seq, NULL, "cannot read event %llu",
                                (unsigned long long) ev->seq);
            if (memcmp(have, ev->hash, SL_HASH_BYTES) != 0)
                return s_refuse(r, SL_E_CONFLICT, ev->seq, NULL,
                                "event %llu differs from the one already committed for site %s: "
                                "this site's history has forked (restored from an old copy, "
                                "or a cloned disk); nothing of this batch was stored",
                                (unsigned long long) ev->seq, site_id);
            /* Same hash, but is it the same content?  A retry carries the
             * committed event; content that does not match its hash is
             * altered, not a duplicate to skip in silence. */
            if (!sl_event_hash_ok(ev, site_id, site_len))
                return s_refuse(r, SL_E_CHAIN, ev->seq, "hash",
                                "event %llu: hash does not match its content (altered in "
                                "transit or by hand); nothing of this batch was stored",
                                (unsigned long long) ev->seq);
            r->duplicates++;
            continue;
        }
        if (ev->seq != site->last_seq + 1) {
            r->expected = site->last_seq + 1;
            return s_refuse(r, SL_E_GAP, ev->seq, "seq",
                            "event %llu does not follow the last committed event %llu",
                            (unsigned long long) ev->seq, (unsigned long long) site->last_seq);
        }
        if (memcmp(ev->prev, site->last_hash, SL_HASH_BYTES) != 0)
            return s_refuse(r, SL_E_CHAIN, ev->seq, "prev",
                            "event %llu: previous hash does not match event %llu as committed",
                            (unsigned long long) ev->seq, (unsigned long long) site->last_seq);
        if (!sl_event_hash_ok(ev, site_id, site_len))
            return s_refuse(r, SL_E_CHAIN, ev->seq, "hash",
                            "event %llu: hash does not match its content (altered in transit "
                            "or by hand)", (unsigned long long) ev->seq);
        const sl_rtype_t *rt = sl_schema_find(ev->type, ev->type_len);
        if (!rt)
            return s_refuse(r, SL_E_INVALID, ev->seq, "type", "event %llu: unknown record type "
                            "\"%.*s\"", (unsigned long long) ev->seq,
                            (int) ev->type_len, ev->type);
        char why[300];
        if (sl_schema_check(rt, ev->payload, ev->payload_len, s_lookup, self, why, sizeof why))
            return s_refuse(r, SL_E_INVALID, ev->seq, "payload", "event %llu (%s): %s",
                            (unsigned long long) ev->seq, rt->name, why);
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
                            "event %llu: its id is already used by another event",
                            (unsigned long long) ev->seq);
        if (rc != SQLITE_DONE)
            return s_refuse(r, SL_E_INTERNAL, ev->seq, NULL, "cannot store event %llu: %s",
                            (unsigned long long) ev->seq, sqlite3_errmsg(self->db));
        site->last_seq = ev->seq;
        memcpy(site->last_hash, ev->hash, SL_HASH_BYTES);
        r->inserted++;
    }
    if (r->inserted) {
        sqlite3_stmt *st = self->site_advance;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t) site->last_seq);
        sqlite3_bind_blob(st, 2, site->last_hash, SL_HASH_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, site->site_no);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return s_refuse(r, SL_E_INTERNAL, 0, NULL, "cannot advance site %s: %s",
                            site_id, sqlite3_errmsg(self->db));
    }
    return 0;
}

int central_store_apply_batch(central_store_t *self, const char *site_id, central_site_t *site,
                              const sl_event_t *events, size_t n, int64_t recv_ms,
                              central_batch_result_t *result)
{
    memset(result, 0, sizeof *result);
    if (sl_db_exec(self->db, "SAVEPOINT batch"))
        return s_refuse(result, SL_E_INTERNAL, 0, NULL, "cannot open a savepoint");
    central_site_t before = *site;
    int rc = s_apply(self, site_id, site, events, n, recv_ms, result);
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
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO incidents(at_ms, site_id, code, seq, text) VALUES (?,?,?,?,?)");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, sl_now_ms());
    sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, code);
    sqlite3_bind_int64(st, 4, (int64_t) seq);
    sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

int central_store_pack_events(central_store_t *self, int64_t site_no, uint64_t from,
                              uint32_t max, uint64_t server_seq, uint64_t sess,
                              msgpack_sbuffer *out)
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
        ev.seq = (uint64_t) sqlite3_column_int64(st, 0);
        if (ev.seq != expect || sqlite3_column_bytes(st, 1) != SL_ID_BYTES
            || sqlite3_column_bytes(st, 6) != SL_HASH_BYTES)
            break;
        memcpy(ev.id, sqlite3_column_blob(st, 1), SL_ID_BYTES);
        ev.hlc = (uint64_t) sqlite3_column_int64(st, 2);
        ev.wall_ms = sqlite3_column_int64(st, 3);
        ev.type = (const char *) sqlite3_column_text(st, 4);
        ev.type_len = (size_t) sqlite3_column_bytes(st, 4);
        ev.payload = sqlite3_column_blob(st, 5);
        ev.payload_len = (size_t) sqlite3_column_bytes(st, 5);
        memcpy(ev.prev, prev, SL_HASH_BYTES);
        memcpy(ev.hash, sqlite3_column_blob(st, 6), SL_HASH_BYTES);
        size_t before = body.size;
        sl_msg_encode_event(&body, &ev);
        if (body.size > SL_MAX_FRAME_BYTES - 4096 && expect > from) {
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

uint64_t central_store_log_head(central_store_t *self)
{
    return (uint64_t) sl_db_int(self->db, "SELECT max(lseq) FROM server_log", 0);
}

int central_store_log_append(central_store_t *self, const char *target, const char *kind,
                             const char *key, const char *value, uint64_t *lseq_out,
                             char *err, size_t errlen)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO server_log(target, kind, key, value, created_ms) VALUES (?,?,?,?,?)");
    if (!st) {
        snprintf(err, errlen, "cannot prepare: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, sl_now_ms());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "cannot append to the server log: %s", sqlite3_errmsg(self->db));
    else if (lseq_out)
        *lseq_out = (uint64_t) sqlite3_last_insert_rowid(self->db);
    sqlite3_finalize(st);
    return rc;
}

int central_store_pack_log(central_store_t *self, const char *site_id, uint64_t after,
                           uint32_t max, uint64_t sess, msgpack_sbuffer *out)
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
    size_t n = 0;
    int rc = entries && owned ? 0 : -1;
    while (rc == 0 && n < max && sqlite3_step(st) == SQLITE_ROW) {
        sl_log_entry_t *e = &entries[n];
        e->lseq = (uint64_t) sqlite3_column_int64(st, 0);
        owned[3 * n] = strdup((const char *) sqlite3_column_text(st, 1));
        owned[3 * n + 1] = strdup((const char *) sqlite3_column_text(st, 2));
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            owned[3 * n + 2] = strdup((const char *) sqlite3_column_text(st, 3));
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
        uint64_t upto = n == max && n > 0 ? entries[n - 1].lseq : (head > after ? head : after);
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

long central_store_verify(central_store_t *self, FILE *out)
{
    long problems = 0;
    sqlite3_stmt *sites = sl_db_prepare(self->db,
        "SELECT site_no, site_id, last_seq, last_hash FROM sites ORDER BY site_id");
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT seq, id, hlc, wall_ms, type, payload, hash FROM events"
        " WHERE site_no = ? ORDER BY seq");
    if (!sites || !st) {
        sqlite3_finalize(sites);
        sqlite3_finalize(st);
        return -1;
    }
    while (sqlite3_step(sites) == SQLITE_ROW) {
        int64_t site_no = sqlite3_column_int64(sites, 0);
        const char *site_id = (const char *) sqlite3_column_text(sites, 1);
        uint64_t last = (uint64_t) sqlite3_column_int64(sites, 2);
        uint8_t prev[SL_HASH_BYTES] = { 0 };
        uint64_t expect = 1;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, site_no);
        while (sqlite3_step(st) == SQLITE_ROW) {
            sl_event_t ev;
            ev.seq = (uint64_t) sqlite3_column_int64(st, 0);
            if (ev.seq != expect) {
                fprintf(out, "site %s: event %llu missing (next present is %llu)\n", site_id,
                        (unsigned long long) expect, (unsigned long long) ev.seq);
                problems++;
                expect = ev.seq;
            }
            memcpy(ev.id, sqlite3_column_blob(st, 1), SL_ID_BYTES);
            ev.hlc = (uint64_t) sqlite3_column_int64(st, 2);
            ev.wall_ms = sqlite3_column_int64(st, 3);
            ev.type = (const char *) sqlite3_column_text(st, 4);
            ev.type_len = (size_t) sqlite3_column_bytes(st, 4);
            ev.payload = sqlite3_column_blob(st, 5);
            ev.payload_len = (size_t) sqlite3_column_bytes(st, 5);
            memcpy(ev.prev, prev, SL_HASH_BYTES);
            memcpy(ev.hash, sqlite3_column_blob(st, 6), SL_HASH_BYTES);
            if (!sl_event_hash_ok(&ev, site_id, strlen(site_id))) {
                fprintf(out, "site %s: event %llu does not verify against its chain\n",
                        site_id, (unsigned long long) ev.seq);
                problems++;
            }
            memcpy(prev, ev.hash, SL_HASH_BYTES);
            expect++;
        }
        if (expect - 1 != last) {
            fprintf(out, "site %s: last committed seq is %llu but events end at %llu\n",
                    site_id, (unsigned long long) last, (unsigned long long) (expect - 1));
            problems++;
        }
    }
    sqlite3_finalize(sites);
    sqlite3_finalize(st);
    return problems;
}
