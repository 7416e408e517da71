/* server_auth.c: the keys table, the ZAP handler and the per-message lookup.
 *
 * The ZAP handler runs in the server's own thread (its REP socket is polled
 * beside the ROUTER), so it shares the server's SQLite connection and needs
 * no locking.  Must never accept an unknown key, nor log a secret. */
#include "server_auth.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_net.h"
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct server_auth {
    sqlite3 *db;
    zsock_t *zap;
    zhashx_t *keys;              /* z85 -> server_principal_t */
    zhashx_t *active_per_site;   /* site id -> its active site keys (a count, as a pointer) */
    int64_t data_version;
    uint64_t refused_unknown;
    int64_t warn_window_ms;
    int warns_in_window;
    long max_fds;                /* refuse handshakes at this many open descriptors (0: off) */
    long last_open;              /* the last count: far below max_fds, counted less often */
    bool plaintext;              /* --insecure: the handler accepts NULL, only counts */
    int64_t busy_window_ms;
    uint64_t busy_refused, busy_logged;
    char actor[256];             /* who changes keys through this handle (journal) */
};

void server_auth_set_actor(server_auth_t *self, const char *by)
{
    snprintf(self->actor, sizeof self->actor, "%s", by ? by : "");
}

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
    zhashx_purge(self->active_per_site);
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
        if (p->role == SL_ROLE_SITE && strcmp(p->status, "active") == 0 && p->site_id[0]) {
            intptr_t n = (intptr_t) zhashx_lookup(self->active_per_site, p->site_id);
            zhashx_update(self->active_per_site, p->site_id, (void *) (n + 1));
        }
    }
    sqlite3_finalize(st);
    self->data_version = sl_db_int(self->db, "PRAGMA data_version", 0);
}

server_auth_t *server_auth_new(sqlite3 *db, bool zap, char *err, size_t errlen)
{
    server_auth_t *self = calloc(1, sizeof *self);
    if (!self || server_auth_create_tables(db)) {
        sl_tf(err, errlen, "无法创建密钥表", "cannot create the keys table");
        free(self);
        return NULL;
    }
    self->db = db;
    self->keys = zhashx_new();
    zhashx_set_destructor(self->keys, s_free_item);
    self->active_per_site = zhashx_new();     /* values are counts: no destructor */
    s_load(self);
    if (zap) {
        self->zap = zsock_new(ZMQ_REP);
        if (!self->zap || zsock_bind(self->zap, "inproc://zeromq.zap.01") != 0) {
            sl_tf(err, errlen, "无法启动 ZAP 认证处理（本进程里已有一个在运行？）",
                  "cannot start the ZAP authentication handler (is another one running in this "
                  "process?)");
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
    zhashx_destroy(&self->active_per_site);
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
        sl_tf(buf, cap, "未知的密钥", "unknown key");
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
        sl_tf(buf, cap, "这个 %s 密钥已于 %s 吊销；请联系区里的管理员",
              "this %s key was revoked on %s; ask the district administrator",
              sl_role_name(p->role), when);
    else if (strcmp(p->status, "used") == 0)
        sl_tf(buf, cap, "这个注册包已于 %s 用过；请向区里的管理员要一个新的",
              "this enrollment bundle was already used on %s; ask the district administrator "
              "for a new one", when);
    else if (strcmp(p->status, "retired") == 0)
        sl_tf(buf, cap, "这个密钥已于 %s 换成了新的", "this key was replaced by a newer one on %s", when);
    else
        sl_tf(buf, cap, "这个密钥的状态是 %s", "this key is %s", p->status);
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
    } else if (self->max_fds > 0
               && ((open = self->last_open = sl_net_open_fds_recent(
                        self->last_open < self->max_fds / 2 ? 500 : 50)) < 0
                   || open >= self->max_fds)) {
        /* Every connection is a descriptor, and the store needs some too:
         * past the limit a new connection is refused (ZAP 300, a temporary
         * error the site retries) before SQLite is starved. */
        code = "300";
        text = "server busy: too many connections";
        self->busy_refused++;
        int64_t now = zclock_mono();
        if (now - self->busy_window_ms > 10000) {
            sl_twarn("拒绝新连接：已打开 %ld 个描述符，连接的上限是 %ld（其余留给存储）；至今拒绝 %llu 个；"
                 "站点会自己重试（要同时服务更多站点请调高 LimitNOFILE）",
                 "refusing new connections: %ld descriptors open, the limit for connections "
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
        /* A key made a moment ago by another process (admin add, site
         * enroll on the server machine) is usable at once: an unknown key
         * reloads the cache first when the database has changed. */
        if (!server_auth_lookup(self, user))
            server_auth_refresh(self);
        if (server_auth_lookup(self, user)) {
            code = "200";
            text = "OK";
        } else {
            /* At most 20 lines per 10 s: a flood of strangers must not
             * become a flood of log lines. */
            int64_t now = zclock_mono();
            if (now - self->warn_window_ms > 10000) {
                if (self->warns_in_window > 20)
                    sl_twarn("另有 %d 个未知密钥的连接被拒绝（未逐条记录）",
                             "%d more connections with unknown keys were refused (not logged)",
                            self->warns_in_window - 20);
                self->warn_window_ms = now;
                self->warns_in_window = 0;
            }
            if (++self->warns_in_window <= 20)
                sl_twarn("拒绝了来自 %s 的连接：未知的密钥 %.8s…", "refused a connection from %s: unknown key %.8s…",
                        address ? address : "?", user);
            self->refused_unknown++;
            user[0] = 0;
        }
    }
    if (strcmp(code, "200") == 0)
        sl_net_fds_added(1);    /* this connection, until the next count */
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
    if (rc == 0) {
        s_load(self);
        server_auth_journal_add(self->db, "add", sl_role_name(role), key,
                                role == SL_ROLE_ADMIN ? name : site_id, self->actor);
    }
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

/* Revokes the keys a WHERE clause (on site_id or name, ?2) selects among
 * those still usable, journalling each.  Returns how many, or -1. */
static int s_revoke_where(server_auth_t *self, const char *where, const char *arg)
{
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT public, role, coalesce(site_id, ''), name FROM keys"
             " WHERE %s AND status IN ('active', 'pending')", where);
    sqlite3_stmt *sel = sl_db_prepare(self->db, sql);
    snprintf(sql, sizeof sql, "UPDATE keys SET status = 'revoked', changed_ms = ?1 WHERE %s"
             " AND status IN ('active', 'pending')", where);
    sqlite3_stmt *up = sl_db_prepare(self->db, sql);
    int rc = sel && up ? 0 : -1;
    bool own = rc == 0 && sqlite3_get_autocommit(self->db);
    if (own && sl_db_begin(self->db))
        rc = -1;
    /* Read first, then change: the journal names exactly the keys revoked. */
    server_key_change_t *list = NULL;
    size_t n = 0, cap = 0;
    if (rc == 0) {
        sqlite3_bind_text(sel, 2, arg, -1, SQLITE_STATIC);
        while (rc == 0 && sqlite3_step(sel) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                server_key_change_t *grown = realloc(list, cap * sizeof *grown);
                if (!grown) {
                    rc = -1;
                    break;
                }
                list = grown;
            }
            server_key_change_t *c = &list[n++];
            memset(c, 0, sizeof *c);
            snprintf(c->key, sizeof c->key, "%s", sl_db_text(sel, 0));
            snprintf(c->role, sizeof c->role, "%s", sl_db_text(sel, 1));
            snprintf(c->who, sizeof c->who, "%s", strcmp(c->role, "admin") == 0
                     ? sl_db_text(sel, 3) : sl_db_text(sel, 2));
        }
        sqlite3_bind_int64(up, 1, sl_now_ms());
        sqlite3_bind_text(up, 2, arg, -1, SQLITE_STATIC);
        if (rc == 0 && sqlite3_step(up) != SQLITE_DONE)
            rc = -1;
    }
    if (own && (rc || sl_db_commit(self->db))) {
        sl_db_rollback(self->db);
        rc = -1;
    }
    if (rc == 0)
        for (size_t i = 0; i < n; i++)
            server_auth_journal_add(self->db, "revoke", list[i].role, list[i].key, list[i].who,
                                    self->actor);
    free(list);
    sqlite3_finalize(sel);
    sqlite3_finalize(up);
    s_load(self);
    return rc ? -1 : (int) n;
}

int server_auth_revoke_site(server_auth_t *self, const char *site_id)
{
    return s_revoke_where(self, "site_id = ?2 AND role IN ('site', 'enroll')", site_id);
}

int server_auth_site_standing(server_auth_t *self, const char *site_id,
                              server_site_standing_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT count(*),"
        " coalesce(sum(role = 'site' AND status = 'active'), 0),"
        " coalesce(sum(role = 'enroll' AND status = 'pending' AND (expires_ms = 0 OR expires_ms > ?2)), 0),"
        " coalesce(max(changed_ms), 0),"
        " (SELECT name FROM keys k WHERE k.site_id = ?1 ORDER BY created_ms DESC, rowid DESC LIMIT 1)"
        " FROM keys WHERE site_id = ?1 AND role IN ('site', 'enroll')");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, sl_now_ms());
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0) {
        out->keys = sqlite3_column_int(st, 0);
        out->active = sqlite3_column_int(st, 1);
        out->pending = sqlite3_column_int(st, 2);
        out->last_change_ms = sqlite3_column_int64(st, 3);
        snprintf(out->community, sizeof out->community, "%s", sl_db_text(st, 4));
    }
    sqlite3_finalize(st);
    return rc;
}

int server_auth_admin_each(server_auth_t *self,
                           int (*fn)(void *ctx, const server_admin_key_t *k), void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT name, status, substr(public, 1, 8) || '…', created_ms, changed_ms FROM keys"
        " WHERE role = 'admin' ORDER BY status != 'active', name, created_ms LIMIT 10000");
    if (!st)
        return -1;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        server_admin_key_t k = { .name = sl_db_text(st, 0), .status = sl_db_text(st, 1),
                                 .key_prefix = sl_db_text(st, 2),
                                 .created_ms = sqlite3_column_int64(st, 3),
                                 .changed_ms = sqlite3_column_int64(st, 4) };
        rc = fn(ctx, &k);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

/* How many active admin keys a name (or key prefix) matches, and how many
 * are active in all.  0 or -1. */
static int s_admin_counts(server_auth_t *self, const char *name, int *match, int *total)
{
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT coalesce(sum(name = ?1 OR (length(?1) >= 8 AND substr(public, 1, length(?1)) = ?1)), 0),"
        " count(*) FROM keys WHERE role = 'admin' AND status = 'active'");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0) {
        *match = sqlite3_column_int(st, 0);
        *total = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    return rc;
}

int server_auth_admin_named(server_auth_t *self, const char *name)
{
    int match = 0, total = 0;
    if (s_admin_counts(self, name, &match, &total))
        return -1;
    return match > 0;
}

int server_auth_admin_revoke(server_auth_t *self, const char *name, int *active_left)
{
    int match = 0, total = 0;
    if (s_admin_counts(self, name, &match, &total))
        return -1;
    *active_left = total;
    if (match == 0)
        return 0;
    if (match >= total)
        return -2;
    int n = s_revoke_where(self, "role = 'admin' AND (name = ?2 OR (length(?2) >= 8"
                           " AND substr(public, 1, length(?2)) = ?2))", name);
    if (n > 0)
        *active_left = total - n;
    return n;
}

/* ---- the journal of key changes ------------------------------------------------ */

void server_auth_journal_path(sqlite3 *db, char *path, size_t cap)
{
    const char *file = sqlite3_db_filename(db, "main");
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", file && *file ? file : "./central.db");
    snprintf(path, cap, "%s/keys.journal", dirname(copy));
}

/* Copies text into a journal field: no tab or line break can split it. */
static void s_field(char *out, size_t cap, const char *text)
{
    snprintf(out, cap, "%s", text ? text : "");
    for (char *p = out; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
}

void server_auth_journal_add(sqlite3 *db, const char *action, const char *role,
                             const char *key, const char *who, const char *by)
{
    char path[4200], w[256], b[256];
    server_auth_journal_path(db, path, sizeof path);
    s_field(w, sizeof w, who);
    s_field(b, sizeof b, by);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%lld\t%s\t%s\t%s\t%s\t%s\n", (long long) sl_now_ms(), action, role,
                key ? key : "", w, b);
        fflush(f);
        fsync(fileno(f));
    }
    if (!f || fclose(f) != 0)
        sl_terror("无法追加写入 %s：%s（恢复 central.db 时将无法重做这次密钥变化：%s %s %.8s…）",
                  "cannot append to %s: %s (a restore of central.db could not re-apply this "
                  "key change: %s %s %.8s…)", path, strerror(errno), action, role,
                 key ? key : "");
}

int server_auth_journal_each(const char *path, int64_t since_ms,
                             int (*fn)(void *ctx, const server_key_change_t *c), void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char line[1200];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *fields[6], *save = NULL;
        size_t n = 0;
        line[strcspn(line, "\n")] = 0;
        for (char *t = strtok_r(line, "\t", &save); t && n < 6; t = strtok_r(NULL, "\t", &save))
            fields[n++] = t;
        server_key_change_t c = { 0 };
        char *end;
        c.at_ms = n >= 4 ? strtoll(fields[0], &end, 10) : 0;
        if (n < 4 || *end || c.at_ms < since_ms)
            continue;           /* a damaged line, or before the time asked */
        snprintf(c.action, sizeof c.action, "%s", fields[1]);
        snprintf(c.role, sizeof c.role, "%s", fields[2]);
        snprintf(c.key, sizeof c.key, "%s", fields[3]);
        snprintf(c.who, sizeof c.who, "%s", n > 4 ? fields[4] : "");
        snprintf(c.by, sizeof c.by, "%s", n > 5 ? fields[5] : "");
        rc = fn(ctx, &c);
    }
    fclose(f);
    return rc;
}

/* The journal read into one entry per key: its last revoke or unrevoke
 * (a restore told not to re-apply a revocation writes an unrevoke). */
static int s_collect(void *vctx, const server_key_change_t *c)
{
    zhashx_t *last = vctx;
    if ((strcmp(c->action, "revoke") != 0 && strcmp(c->action, "unrevoke") != 0)
        || !sl_key_valid(c->key))
        return 0;
    server_key_change_t *copy = malloc(sizeof *copy);
    if (!copy)
        return -1;
    *copy = *c;
    zhashx_update(last, c->key, copy);
    return 0;
}

int server_auth_reapply_revocations(server_auth_t *self, int64_t since_ms,
                                    int (*fn)(void *ctx, const server_key_change_t *c),
                                    void *ctx)
{
    char path[4200];
    server_auth_journal_path(self->db, path, sizeof path);
    zhashx_t *last = zhashx_new();
    if (!last)
        return -1;
    zhashx_set_destructor(last, s_free_item);
    int rc = server_auth_journal_each(path, 0, s_collect, last);
    sqlite3_stmt *st = rc ? NULL : sl_db_prepare(self->db,
        "UPDATE keys SET status = 'revoked', changed_ms = ? WHERE public = ?"
        " AND status != 'revoked'");
    int changed = 0;
    if (!st || sl_db_begin(self->db)) {
        sqlite3_finalize(st);
        zhashx_destroy(&last);
        return -1;
    }
    for (server_key_change_t *c = zhashx_first(last); c && rc == 0; c = zhashx_next(last)) {
        if (strcmp(c->action, "revoke") != 0 || c->at_ms < since_ms)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->at_ms);
        sqlite3_bind_text(st, 2, c->key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = -1;
            break;
        }
        if (sqlite3_changes(self->db) > 0) {
            changed++;
            if (fn)
                fn(ctx, c);
        }
    }
    sqlite3_finalize(st);
    if (rc || sl_db_commit(self->db)) {
        sl_db_rollback(self->db);
        zhashx_destroy(&last);
        return -1;
    }
    zhashx_destroy(&last);
    s_load(self);
    return changed;
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

int server_auth_retire_older_keys(server_auth_t *self, const char *site_id, const char *key)
{
    /* Most HELLOs: the site has one active key, the one it speaks with. */
    if ((intptr_t) zhashx_lookup(self->active_per_site, site_id) <= 1)
        return 0;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "UPDATE keys SET status = 'retired', changed_ms = ?"
        " WHERE site_id = ? AND role = 'site' AND status = 'active'"
        " AND rowid < (SELECT rowid FROM keys WHERE public = ?)");
    if (!st)
        return -1;
    /* Only keys older than the one in use: a newer key registered by a
     * ROTATE whose reply was lost must survive a HELLO with the old key. */
    sqlite3_bind_int64(st, 1, sl_now_ms());
    sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    int changed = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(self->db) : -1;
    sqlite3_finalize(st);
    if (changed > 0)
        s_load(self);
    return changed;
}
