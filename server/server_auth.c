/* server_auth.c: the keys table, the ZAP handler and the per-message lookup.
 *
 * The ZAP handler runs in the server's own thread (its REP socket is polled
 * beside the ROUTER), so it shares the server's SQLite connection and needs
 * no locking.  Must never accept an unknown key, nor log a secret. */
#include "server_auth.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_log.h"
#include "sl_net.h"
#include <string.h>
#include <time.h>

struct server_auth {
    sqlite3 *db;
    zsock_t *zap;
    zhashx_t *keys;              /* z85 -> server_principal_t */
    int64_t data_version;
    uint64_t refused_unknown;
    int64_t warn_window_ms;
    int warns_in_window;
    long max_fds;                /* refuse handshakes at this many open descriptors (0: off) */
    bool plaintext;              /* --insecure: the handler accepts NULL, only counts */
    int64_t busy_window_ms;
    uint64_t busy_refused, busy_logged;
};

void server_auth_set_fd_limit(server_auth_t *self, long max_fds)
{
    self->max_fds = max_fds;
}

void server_auth_set_plaintext(server_auth_t *self)
{
    self->plaintext = true;
}

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS keys("
    "  public TEXT PRIMARY KEY,"           /* Z85 CURVE public key */
    "  role TEXT NOT NULL CHECK (role IN ('site', 'enroll', 'admin')),"
    "  site_id TEXT,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL,"              /* active pending used revoked retired */
    "  expires_ms INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  changed_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS keys_site ON keys(site_id);";

const char *sl_role_name(sl_role_t role)
{
    static const char *names[] = { "none", "site", "enroll", "admin" };
    return role <= SL_ROLE_ADMIN ? names[role] : "none";
}

static sl_role_t s_role(const char *text)
{
    if (strcmp(text, "site") == 0) return SL_ROLE_SITE;
    if (strcmp(text, "enroll") == 0) return SL_ROLE_ENROLL;
    if (strcmp(text, "admin") == 0) return SL_ROLE_ADMIN;
    return SL_ROLE_NONE;
}

int server_auth_create_tables(sqlite3 *db)
{
    return sl_db_exec(db, s_schema);
}

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static void s_load(server_auth_t *self)
{
    zhashx_purge(self->keys);
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT public, role, coalesce(site_id, ''), name, status, expires_ms, changed_ms FROM keys");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        server_principal_t *p = calloc(1, sizeof *p);
        if (!p)
            break;
        snprintf(p->key, sizeof p->key, "%s", sl_db_text(st, 0));
        p->role = s_role(sl_db_text(st, 1));
        snprintf(p->site_id, sizeof p->site_id, "%s", sl_db_text(st, 2));
        snprintf(p->name, sizeof p->name, "%s", sl_db_text(st, 3));
        snprintf(p->status, sizeof p->status, "%s", sl_db_text(st, 4));
        p->expires_ms = sqlite3_column_int64(st, 5);
        p->changed_ms = sqlite3_column_int64(st, 6);
        zhashx_update(self->keys, p->key, p);
    }
    sqlite3_finalize(st);
    self->data_version = sl_db_int(self->db, "PRAGMA data_version", 0);
}

server_auth_t *server_auth_new(sqlite3 *db, bool zap, char *err, size_t errlen)
{
    server_auth_t *self = calloc(1, sizeof *self);
    if (!self || server_auth_create_tables(db)) {
        snprintf(err, errlen, "cannot create the keys table");
        free(self);
        return NULL;
    }
    self->db = db;
    self->keys = zhashx_new();
    zhashx_set_destructor(self->keys, s_free_item);
    s_load(self);
    if (zap) {
        self->zap = zsock_new(ZMQ_REP);
        if (!self->zap || zsock_bind(self->zap, "inproc://zeromq.zap.01") != 0) {
            snprintf(err, errlen, "cannot start the ZAP authentication handler "
                     "(is another one running in this process?)");
            server_auth_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void server_auth_destroy(server_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    server_auth_t *self = *self_p;
    zsock_destroy(&self->zap);
    zhashx_destroy(&self->keys);
    free(self);
    *self_p = NULL;
}

zsock_t *server_auth_zap_socket(server_auth_t *self) { return self->zap; }

void server_auth_refresh(server_auth_t *self)
{
    if (sl_db_int(self->db, "PRAGMA data_version", 0) != self->data_version)
        s_load(self);
}

void server_auth_reload(server_auth_t *self)
{
    s_load(self);
}

const server_principal_t *server_auth_lookup(server_auth_t *self, const char *key_z85)
{
    return key_z85 ? zhashx_lookup(self->keys, key_z85) : NULL;
}

const char *server_auth_refusal(const server_principal_t *p, char *buf, size_t cap)
{
    if (!p) {
        snprintf(buf, cap, "unknown key");
        return buf;
    }
    if (strcmp(p->status, "active") == 0 || strcmp(p->status, "pending") == 0)
        return NULL;
    char when[32] = "?";
    time_t t = (time_t) (p->changed_ms / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    if (strcmp(p->status, "revoked") == 0)
        snprintf(buf, cap, "this %s key was revoked on %s; ask the district administrator",
                 sl_role_name(p->role), when);
    else if (strcmp(p->status, "used") == 0)
        snprintf(buf, cap, "this enrollment bundle was already used on %s; ask the district "
                 "administrator for a new one", when);
    else if (strcmp(p->status, "retired") == 0)
        snprintf(buf, cap, "this key was replaced by a newer one on %s", when);
    else
        snprintf(buf, cap, "this key is %s", p->status);
    return buf;
}

/* ZAP (RFC 27): [version, request id, domain, address, identity, mechanism,
 * credentials…] -> [version, request id, status code, status text, user id,
 * metadata]. */
void server_auth_handle_zap(server_auth_t *self)
{
    zmsg_t *req = zmsg_recv(self->zap);
    if (!req)
        return;
    char *version = zmsg_popstr(req), *request_id = zmsg_popstr(req);
    char *domain = zmsg_popstr(req), *address = zmsg_popstr(req);
    char *identity = zmsg_popstr(req), *mechanism = zmsg_popstr(req);
    zframe_t *cred = zmsg_pop(req);
    const char *code = "400", *text = "unknown key";
    long open = 0;
    char user[SL_Z85_KEY] = "";
    if (!version || strcmp(version, "1.0") != 0) {
        text = "bad ZAP version";
    } else if (!mechanism || strcmp(mechanism, self->plaintext ? "NULL" : "CURVE") != 0) {
        text = self->plaintext ? "plaintext server" : "CURVE required";
    } else if (!self->plaintext && (!cred || zframe_size(cred) != 32)) {
        text = "bad credentials";
    } else if (self->max_fds > 0 && ((open = sl_net_open_fds()) < 0 || open >= self->max_fds)) {
        /* Every connection is a descriptor, and the store needs some too:
         * past the limit a new connection is refused (ZAP 300, a temporary
         * error the site retries) before SQLite is starved. */
        code = "300";
        text = "server busy: too many connections";
        self->busy_refused++;
        int64_t now = zclock_mono();
        if (now - self->busy_window_ms > 10000) {
            sl_warn("refusing new connections: %ld descriptors open, the limit for connections "
                    "is %ld (the rest are kept for the store); %llu refused so far; sites retry "
                    "by themselves (raise LimitNOFILE to serve more at once)", open,
                    self->max_fds, (unsigned long long) self->busy_refused);
            self->busy_window_ms = now;
        }
    } else if (self->plaintext) {
        code = "200";           /* --insecure: anyone; the handler only counts */
        text = "OK";
    } else {
        zmq_z85_encode(user, zframe_data(cred), 32);
        if (server_auth_lookup(self, user)) {
            code = "200";
            text = "OK";
        } else {
            /* At most 20 lines per 10 s: a flood of strangers must not
             * become a flood of log lines. */
            int64_t now = zclock_mono();
            if (now - self->warn_window_ms > 10000) {
                if (self->warns_in_window > 20)
                    sl_warn("%d more connections with unknown keys were refused (not logged)",
                            self->warns_in_window - 20);
                self->warn_window_ms = now;
                self->warns_in_window = 0;
            }
            if (++self->warns_in_window <= 20)
                sl_warn("refused a connection from %s: unknown key %.8s…",
                        address ? address : "?", user);
            self->refused_unknown++;
            user[0] = 0;
        }
    }
    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, request_id ? request_id : "");
    zmsg_addstr(rep, code);
    zmsg_addstr(rep, text);
    zmsg_addstr(rep, user);
    zmsg_addmem(rep, NULL, 0);
    zmsg_send(&rep, self->zap);
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&domain);
    zstr_free(&address);
    zstr_free(&identity);
    zstr_free(&mechanism);
    zframe_destroy(&cred);
    zmsg_destroy(&req);
}

int server_auth_add(server_auth_t *self, sl_role_t role, const char *key, const char *site_id,
                    const char *name, const char *status, int64_t expires_ms)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "INSERT INTO keys(public, role, site_id, name, status, expires_ms, created_ms, changed_ms)"
        " VALUES (?,?,?,?,?,?,?,?)");
    if (!st)
        return -1;
    int64_t now = sl_now_ms();
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sl_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, expires_ms);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc == 0)
        s_load(self);
    return rc;
}

int server_auth_set_status(server_auth_t *self, const char *key, const char *status)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "UPDATE keys SET status = ?, changed_ms = ? WHERE public = ?");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, sl_now_ms());
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc == 0)
        s_load(self);
    return rc;
}

int server_auth_revoke_site(server_auth_t *self, const char *site_id)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "UPDATE keys SET status = 'revoked', changed_ms = ?"
        " WHERE site_id = ? AND role IN ('site', 'enroll') AND status IN ('active', 'pending')");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, sl_now_ms());
    sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(self->db) : -1;
    sqlite3_finalize(st);
    s_load(self);
    return rc;
}

int server_auth_site_enrolled(server_auth_t *self, const char *site_id)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT 1 FROM keys WHERE site_id = ? AND role IN ('site', 'enroll') LIMIT 1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, site_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int server_auth_site_list(server_auth_t *self, server_auth_site_fn fn, void *ctx)
{
    /* The sites table belongs to the central store; read here, never written. */
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT k.site_id, k.name, k.role, k.status, substr(k.public, 1, 8) || '…',"
        " coalesce(s.last_seq, 0), coalesce(datetime(s.last_seen_ms / 1000, 'unixepoch',"
        " 'localtime'), '-') FROM keys k LEFT JOIN sites s ON s.site_id = k.site_id"
        " WHERE k.role IN ('site', 'enroll') ORDER BY k.site_id, k.created_ms"
        " LIMIT " SERVER_AUTH_SITE_LIST_MAX);
    if (!st)
        return -1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cells[SERVER_AUTH_SITE_COLUMNS];
        for (int c = 0; c < SERVER_AUTH_SITE_COLUMNS; c++)
            cells[c] = sl_db_text(st, c);
        rc = fn(ctx, cells);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int server_auth_admin_active(server_auth_t *self, const char *name)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT count(*) FROM keys WHERE role = 'admin' AND name = ? AND status = 'active'");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) > 0 : -1;
    sqlite3_finalize(st);
    return rc;
}
