/* server_engine.c: protocol state machine of the server side.
 *
 * Per connection (ROUTER routing id) the engine keeps a session: which site
 * said HELLO and its session number.  Everything durable is in the central
 * store; a session is only a cache and may be dropped at any time (the site
 * then gets NO_SESSION and says HELLO again).
 *
 * Must never: acknowledge before commit, block on a send, or let one peer's
 * bad input affect another peer. */
#include "server_engine.h"
#include "central_store.h"
#include "command_store.h"
#include "server_admin.h"
#include "server_auth.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_net.h"
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUND_MAX_MESSAGES 64      /* messages drained per commit round */
#define SESSION_IDLE_MS    60000   /* forget a silent peer after this */
#define HOUSEKEEPING_MS    500
#define REPLY_PATIENCE_MS  5000    /* a big reply not shown read: no second one before this */

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    char site_id[SL_MAX_NAME_BYTES + 1];
    uint64_t sess;
    int64_t last_seen_ms;       /* monotonic clock (zclock_mono), like every timer */
    /* The big replies (EVENTS, LOG) sent on this connection and not yet
     * shown read: the next request of that kind asks past them.  A repeat
     * before that, within REPLY_PATIENCE_MS, is not answered: a peer that
     * asks and never reads must not fill the server's memory. */
    int64_t fetch_sent_ms, log_sent_ms;
    uint64_t fetch_next, log_next;
} session_t;

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    uint64_t sess;
    uint8_t *data;
    size_t len;
} reply_t;

struct server_engine {
    server_engine_opts_t opts;
    central_store_t *store;
    server_auth_t *auth;         /* NULL principal checks when plaintext (--insecure) */
    bool secure;
    zsock_t *sock;
    /* server_engine_feed: replies go here instead of the socket */
    void (*feed_reply)(void *ctx, const uint8_t *data, size_t len);
    void *feed_ctx;
    zhashx_t *sessions;          /* hex routing id -> session_t */
    zhashx_t *site_rkeys;        /* site id -> hex routing id of its last session */
    zhashx_t *sites;             /* site id -> central_site_t (pending state) */
    msgpack_sbuffer out;
    sl_msg_t msg;
    bool in_txn;
    reply_t *acks;               /* held until the round commits */
    size_t nacks, cap_acks;
    uint64_t log_head;
    char log_id[SL_MAX_NAME_BYTES + 1];  /* identity of this server log (meta log_id) */
    uint64_t hlc;
    /* counters, logged periodically */
    uint64_t n_events, n_dups, n_batches, n_refused, n_malformed;
    uint64_t n_forbidden;
    uint64_t n_unread;           /* requests not answered: the last reply was not read yet */
    uint64_t n_dropped;          /* peers dropped: their reply queue was full */
    long fd_cap;                 /* stop listening at this many open descriptors (0: no cap) */
    long last_open;              /* the last count of open descriptors */
    bool listening;
    char bound[256];             /* the endpoint as bound (ZMQ_LAST_ENDPOINT), to unbind */
    int64_t fd_check_ms;
    uint64_t n_commits;          /* group commits: batches per commit = n_batches / n_commits */
    uint64_t logged_events;
    int64_t warn_window_ms;      /* rate limit for refusal warnings */
    int warns_in_window, warns_dropped;
    int64_t last_report_ms;
    /* for the health check (DIR/server.status, written by housekeeping) */
    int64_t started_ms, status_ms, last_commit_ms;
    uint64_t commits_seen;
};

static volatile sig_atomic_t s_stop;

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

void server_engine_stop(void) { s_stop = 1; }

/* Raises the soft descriptor limit to the hard one (every connection is a
 * descriptor; the usual soft limit of 1,024 is too low for a district).
 * Returns the limit in force. */
static long s_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1048576 : (long) rl.rlim_cur;
}

static int s_revoked_again(void *ctx, const server_key_change_t *c)
{
    (void) ctx;
    sl_twarn("%s 密钥 %.8s…（%s）在密钥日志里已吊销，central.db 里却没有：已重新吊销",
             "%s key %.8s… (%s) was revoked on the journal's record but not in central.db: "
             "revoked again", c->role, c->key, c->who);
    return 0;
}

/* DIR/server.status, for `shuanglian-server health` (and any monitor): who
 * is serving, since when, and that the loop is alive (updated_ms). */
static void s_write_status(server_engine_t *self, const char *state)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/server.status", self->opts.data_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "# shuanglian-server status, rewritten every few seconds while it runs\n"
            "state = %s\npid = %ld\nstarted_ms = %lld\nupdated_ms = %lld\nendpoint = %s\n"
            "listening = %d\nsessions = %zu\nevents_committed = %llu\nlast_commit_ms = %lld\n"
            "batches_refused = %llu\n", state, (long) getpid(), (long long) self->started_ms,
            (long long) sl_now_ms(), self->opts.endpoint, self->listening ? 1 : 0,
            zhashx_size(self->sessions), (unsigned long long) self->n_events,
            (long long) self->last_commit_ms, (unsigned long long) self->n_refused);
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

server_engine_t *server_engine_new(const server_engine_opts_t *opts, char *err, size_t errlen)
{
    server_engine_t *self = calloc(1, sizeof *self);
    if (!self) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        return NULL;
    }
    self->opts = *opts;
    if (!self->opts.credit || self->opts.credit > SL_MAX_CREDIT)
        self->opts.credit = SL_DEFAULT_CREDIT;
    if (!self->opts.max_batch || self->opts.max_batch > SL_MAX_BATCH_EVENTS)
        self->opts.max_batch = SL_DEFAULT_BATCH_EVENTS;
    self->store = central_store_open(opts->data_dir, err, errlen);
    if (!self->store) {
        free(self);
        return NULL;
    }
    central_store_defer_items(self->store);     /* item rows written behind */
    /* The ZAP handler must be bound before the CURVE socket is. */
    self->secure = opts->keys != NULL;
    self->auth = server_auth_new(central_store_db(self->store), !opts->feed_only, err, errlen);
    if (!self->auth) {
        server_engine_destroy(&self);
        return NULL;
    }
    if (!self->secure)
        server_auth_set_plaintext(self->auth);
    /* A central.db restored from a backup by hand must not bring revoked
     * keys back: the journal beside it says what was revoked since. */
    int again = server_auth_reapply_revocations(self->auth, 0, s_revoked_again, NULL);
    if (again > 0)
        sl_twarn("%d 个密钥在 %s/keys.journal 里已吊销，central.db 里却没有（从备份恢复过？）：已重新吊销",
                 "%d key(s) revoked in %s/keys.journal were not revoked in central.db (restored "
                 "from a backup?): revoked again", again, opts->data_dir);
    else if (again < 0)
        sl_terror("无法读取 %s/keys.journal，不能重新执行吊销",
                  "cannot read %s/keys.journal to re-apply revocations", opts->data_dir);
    long nofile = s_raise_nofile();
    if (nofile > 2 * SL_FD_RESERVE) {
        self->fd_cap = nofile - SL_FD_RESERVE;
        server_auth_set_fd_limit(self->auth, nofile - SL_FD_RESERVE);
        sl_tinfo("文件描述符上限 %ld：打开的描述符超过 %ld 个时不再接受新连接（为存储保留 %d 个）",
                 "descriptor limit %ld: new connections are refused past %ld open descriptors "
                 "(%d kept for the store)", nofile, nofile - SL_FD_RESERVE, SL_FD_RESERVE);
    } else {
        sl_twarn("文件描述符上限 %ld 太低，无法稳妥地服务站点；请调高（LimitNOFILE）",
                 "descriptor limit %ld is too low to serve sites safely; raise it (LimitNOFILE)",
                 nofile);
    }
    if (!opts->feed_only) {
        self->sock = sl_net_server_socket(opts->endpoint, opts->keys, err, errlen);
        if (!self->sock) {
            server_engine_destroy(&self);
            return NULL;
        }
        self->listening = true;
        size_t blen = sizeof self->bound;
        if (zmq_getsockopt(zsock_resolve(self->sock), ZMQ_LAST_ENDPOINT, self->bound, &blen))
            snprintf(self->bound, sizeof self->bound, "%s", opts->endpoint);
    }
    self->sessions = zhashx_new();
    self->site_rkeys = zhashx_new();
    zhashx_set_destructor(self->site_rkeys, s_free_item);
    self->sites = zhashx_new();
    zhashx_set_destructor(self->sessions, s_free_item);
    zhashx_set_destructor(self->sites, s_free_item);
    msgpack_sbuffer_init(&self->out);
    self->log_head = central_store_log_head(self->store);
    if (central_store_log_id(self->store, self->log_id, sizeof self->log_id)) {
        sl_tf(err, errlen, "无法读取或创建服务器日志的标识", "cannot read or create the server log identity");
        server_engine_destroy(&self);
        return NULL;
    }
    return self;
}

void server_engine_destroy(server_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    server_engine_t *self = *self_p;
    if (self->in_txn)
        central_store_rollback(self->store);
    for (size_t i = 0; i < self->nacks; i++)
        free(self->acks[i].data);
    free(self->acks);
    sl_msg_reset(&self->msg);
    msgpack_sbuffer_destroy(&self->out);
    zhashx_destroy(&self->sessions);
    zhashx_destroy(&self->site_rkeys);
    zhashx_destroy(&self->sites);
    zsock_destroy(&self->sock);
    server_auth_destroy(&self->auth);
    central_store_destroy(&self->store);
    free(self);
    *self_p = NULL;
}

static void s_rid_key(const uint8_t *rid, size_t len, char *key)
{
    sl_hex(rid, len > 255 ? 255 : len, key);
}

static void s_drop_session(server_engine_t *self, const uint8_t *rid, size_t rid_len)
{
    char key[520];
    s_rid_key(rid, rid_len, key);
    zhashx_delete(self->sessions, key);
}

static void s_warn_limited(server_engine_t *self, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));

/* Sends self->out to a peer now.  A peer that cannot take it loses it. */
static void s_send(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                   const uint8_t *data, size_t len)
{
    if (self->feed_reply) {
        self->feed_reply(self->feed_ctx, data, len);
        return;
    }
    if (sl_net_send(self->sock, rid, rid_len, data, len) != 0) {
        if (errno == EAGAIN) {
            /* SL_SERVER_SNDHWM replies already wait for this peer: it does
             * not read.  Forget its session (it must say HELLO again) and
             * queue nothing more for it. */
            char key[520];
            s_rid_key(rid, rid_len, key);
            session_t *s = zhashx_lookup(self->sessions, key);
            if (s || self->n_dropped == 0)
                s_warn_limited(self, "站点 %s 不读取回复（%d 条待读）：已丢弃它的会话",
                               "site %s does not read its replies (%d waiting): dropped "
                               "its session", s ? s->site_id : "?", SL_SERVER_SNDHWM);
            self->n_dropped++;
        }
        if (errno == EHOSTUNREACH || errno == EAGAIN)
            s_drop_session(self, rid, rid_len);
        sl_debug("reply dropped: %s", zmq_strerror(errno));
    }
}

static void s_reply(server_engine_t *self, const uint8_t *rid, size_t rid_len)
{
    s_send(self, rid, rid_len, (const uint8_t *) self->out.data, self->out.size);
}

static void s_error(server_engine_t *self, const uint8_t *rid, size_t rid_len, uint64_t sess,
                    int code, const char *text, const char *field, uint64_t seq,
                    uint64_t expected)
{
    sl_msg_encode_error(&self->out, sess, code, text, field, seq, expected);
    s_reply(self, rid, rid_len);
}

/* Holds an ACK until the round's transaction commits. */
static int s_hold(server_engine_t *self, const uint8_t *rid, size_t rid_len, uint64_t sess)
{
    if (self->nacks == self->cap_acks) {
        size_t cap = self->cap_acks ? self->cap_acks * 2 : 64;
        reply_t *grown = realloc(self->acks, cap * sizeof *grown);
        if (!grown)
            return -1;
        self->acks = grown;
        self->cap_acks = cap;
    }
    reply_t *r = &self->acks[self->nacks];
    r->data = malloc(self->out.size);
    if (!r->data)
        return -1;
    memcpy(r->data, self->out.data, self->out.size);
    r->len = self->out.size;
    r->sess = sess;
    memcpy(r->rid, rid, rid_len);
    r->rid_len = rid_len;
    self->nacks++;
    return 0;
}

/* The cached (pending) state of a site, loading it on first use. */
static central_site_t *s_site(server_engine_t *self, const char *site_id)
{
    central_site_t *site = zhashx_lookup(self->sites, site_id);
    if (site)
        return site;
    site = malloc(sizeof *site);
    if (!site)
        return NULL;
    if (central_store_site(self->store, site_id, site)) {
        free(site);
        return NULL;
    }
    zhashx_insert(self->sites, site_id, site);
    return site;
}

/* Opens the round's write transaction if none is open.  0 or -1. */
static int s_begin(server_engine_t *self)
{
    if (self->in_txn)
        return 0;
    if (central_store_begin(self->store))
        return -1;
    self->in_txn = true;
    return 0;
}

/* Ends the round: commit, then release the held ACKs.  On a failed commit
 * the held ACKs become INTERNAL errors and the site cache is reloaded. */
static void s_flush(server_engine_t *self)
{
    if (self->in_txn) {
        self->in_txn = false;
        self->n_commits++;
        if (central_store_commit(self->store) != 0) {
            central_store_rollback(self->store);
            zhashx_purge(self->sites);
            server_auth_reload(self->auth);     /* key changes of the round are undone */
            sl_terror("提交失败：%zu 批记录回复了 INTERNAL，站点会重发",
                      "commit failed: %zu batches answered with INTERNAL, sites will resend",
                      self->nacks);
            for (size_t i = 0; i < self->nacks; i++) {
                s_error(self, self->acks[i].rid, self->acks[i].rid_len, self->acks[i].sess,
                        SL_E_INTERNAL, SL_D("服务器无法保存；请重试", "the server could not commit; retry"),
                        NULL, 0, 0);
                free(self->acks[i].data);
            }
            self->nacks = 0;
            return;
        }
    }
    for (size_t i = 0; i < self->nacks; i++) {
        s_send(self, self->acks[i].rid, self->acks[i].rid_len, self->acks[i].data,
               self->acks[i].len);
        free(self->acks[i].data);
    }
    self->nacks = 0;
}

static void s_retire_other_keys(server_engine_t *self, const char *site_id, const char *key);

/* A site's telemetry (HELLO, PING: PROTOCOL.md 4.1.1), for `sites`.  Joins
 * the round's transaction; telemetry is advice, so a failure only logs. */
static void s_on_telemetry(server_engine_t *self, central_site_t *site, bool has_local_seq,
                           uint64_t local_seq, const sl_telemetry_t *tm)
{
    if (s_begin(self))
        return;
    central_store_telemetry(self->store, site->site_no, has_local_seq, local_seq, tm,
                            sl_now_ms());
}

/* A PING of a site's session: its telemetry, then PONG. */
static void s_on_site_ping(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                           const sl_msg_t *m, session_t *s)
{
    if (m->tm.has) {
        central_site_t *site = s_site(self, s->site_id);
        if (site)
            s_on_telemetry(self, site, (m->tm.has & SL_TM_LAST_SEQ) != 0, m->tm.last_seq,
                           &m->tm);
    }
    sl_msg_t pong = { .type = SL_PONG, .sess = m->sess, .log_head = self->log_head };
    sl_msg_encode(&pong, &self->out);
    s_reply(self, rid, rid_len);
}

/* Whether a command entry may go out in a LOG now (command_store.h); the
 * state change joins the round's transaction. */
static int s_command_live(void *ctx, uint64_t lseq)
{
    server_engine_t *self = ctx;
    if (s_begin(self))
        return -1;
    return command_store_entry_live(self->store, lseq, sl_now_ms());
}

/* For site.health: does this site have a live session? */
static int s_site_connected(void *ctx, const char *site_id)
{
    server_engine_t *self = ctx;
    for (session_t *s = zhashx_first(self->sessions); s; s = zhashx_next(self->sessions))
        if (strcmp(s->site_id, site_id) == 0)
            return 1;
    return 0;
}

/* HELLO.  `retire_key` (secure mode): the key the site spoke with; any
 * older active key of the site is retired (the end of a rotation). */
static void s_on_hello(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                       const sl_msg_t *m, const char *retire_key, const char *community)
{
    /* No commit of its own: the HELLO's bookkeeping (first contact, last
     * seen, cursor, the end of a key rotation) joins the round's transaction
     * and its WELCOME is held with the round's ACKs, so it goes out after
     * the commit and reports only committed state.  One fsync per round,
     * however many sites say HELLO in it. */
    self->log_head = central_store_log_head(self->store);   /* a ref put a moment ago */
    char site_id[SL_MAX_NAME_BYTES + 1];
    snprintf(site_id, sizeof site_id, "%.*s", (int) m->site_len, m->site);
    central_site_t *site = s_begin(self) ? NULL : s_site(self, site_id);
    if (!site) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法打开站点的记录", "cannot open the site's record"), NULL, 0, 0);
        return;
    }
    /* The same connection saying HELLO again: what it was sent and has not
     * shown read still counts (a new session is not a new budget). */
    char rkey[520];
    s_rid_key(rid, rid_len, rkey);
    session_t carried = { 0 }, *before = zhashx_lookup(self->sessions, rkey);
    if (before)
        carried = *before;
    /* One live session per site: a new HELLO replaces any older one.  The
     * site's last session is found through site_rkeys (not by walking every
     * session: with a thousand sites connecting, that walk was most of a
     * HELLO's cost); an entry is checked against the session it names, as
     * sessions also end elsewhere (idle, revoked, dropped). */
    const char *old_rkey = zhashx_lookup(self->site_rkeys, site_id);
    if (old_rkey) {
        session_t *other = zhashx_lookup(self->sessions, old_rkey);
        if (other && strcmp(other->site_id, site_id) == 0)
            zhashx_delete(self->sessions, old_rkey);
    }
    session_t *s = calloc(1, sizeof *s);
    if (!s)
        return;
    s->fetch_sent_ms = carried.fetch_sent_ms;
    s->fetch_next = carried.fetch_next;
    s->log_sent_ms = carried.log_sent_ms;
    s->log_next = carried.log_next;
    memcpy(s->rid, rid, rid_len);
    s->rid_len = rid_len;
    snprintf(s->site_id, sizeof s->site_id, "%s", site_id);
    s->sess = m->sess;
    s->last_seen_ms = zclock_mono();
    zhashx_update(self->sessions, rkey, s);
    char *rkey_copy = strdup(rkey);
    if (rkey_copy)
        zhashx_update(self->site_rkeys, site_id, rkey_copy);
    central_store_touch(self->store, site->site_no, m->cursor, m->agent, m->agent_len);
    if (community && *community)    /* the key's community: where its records count */
        central_store_site_community(self->store, site->site_no, community);
    s_on_telemetry(self, site, true, m->last_seq, &m->tm);
    if (m->cursor > site->cursor)
        site->cursor = m->cursor;   /* reference keys it may name: up to here */

    self->hlc = sl_hlc_observe(self->hlc, m->hlc, sl_now_ms());
    self->hlc = sl_hlc_next(self->hlc, sl_now_ms());
    sl_msg_t w = { .type = SL_WELCOME, .sess = m->sess, .server_seq = site->last_seq,
                   .log_head = self->log_head, .hlc = self->hlc, .credit = self->opts.credit,
                   .max_batch = self->opts.max_batch, .heartbeat_ms = SL_HEARTBEAT_MS,
                   .log_id = self->log_id, .log_id_len = strlen(self->log_id) };
    w.match_seq = m->last_seq < site->last_seq ? m->last_seq : site->last_seq;
    if (central_store_hash_at(self->store, site->site_no, w.match_seq, w.match_hash)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法读取站点的记录链", "cannot read the site's chain"), NULL, 0, 0);
        return;
    }
    if (w.match_seq && memcmp(w.match_hash, m->last_hash, SL_HASH_BYTES) != 0
        && m->last_seq <= site->last_seq) {
        char text[200];
        sl_df(text, sizeof text, "站点的第 %llu 条记录与服务器的不同：历史分叉了",
              "site's event %llu differs from the server's: forked history",
              (unsigned long long) w.match_seq);
        central_store_incident(self->store, site_id, SL_E_CONFLICT, w.match_seq, text);
        sl_twarn("站点 %s：%s", "site %s: %s", site_id, text);
    }
    sl_tinfo("站点 %s：HELLO（会话 %llu）：站点有 %llu 条，服务器有 %llu 条，下行游标 %llu/%llu",
             "site %s: hello (session %llu): site has %llu, server has %llu, cursor %llu/%llu",
            site_id, (unsigned long long) m->sess, (unsigned long long) m->last_seq,
            (unsigned long long) site->last_seq, (unsigned long long) m->cursor,
            (unsigned long long) self->log_head);
    if (retire_key)
        s_retire_other_keys(self, site_id, retire_key);
    sl_msg_encode(&w, &self->out);
    if (s_hold(self, rid, rid_len, m->sess))
        sl_terror("内存不足，无法保留 WELCOME；站点会重新发 HELLO",
                  "out of memory holding a WELCOME; the site will say HELLO again");
}

static session_t *s_session(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                            const sl_msg_t *m)
{
    char key[520];
    s_rid_key(rid, rid_len, key);
    session_t *s = zhashx_lookup(self->sessions, key);
    if (!s || s->sess != m->sess) {
        s_error(self, rid, rid_len, m->sess, SL_E_NO_SESSION,
                SL_D("这个连接没有会话：请先发 HELLO", "no session for this connection: send HELLO first"),
                NULL, 0, 0);
        return NULL;
    }
    s->last_seen_ms = zclock_mono();
    return s;
}

static void s_on_batch(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                       const sl_msg_t *m)
{
    session_t *s = s_session(self, rid, rid_len, m);
    if (!s)
        return;
    central_site_t *site = s_site(self, s->site_id);
    if (!site) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法打开站点的记录", "cannot open the site's record"), NULL, 0, 0);
        return;
    }
    if (s_begin(self)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("存储正忙；请重试", "the store is busy; retry"), NULL, 0, 0);
        return;
    }
    central_batch_result_t r;
    int code = central_store_apply_batch(self->store, s->site_id, site, m->events, m->nevents,
                                         sl_now_ms(), &r);
    if (code) {
        self->n_refused++;
        if (code != SL_E_GAP)
            sl_twarn("站点 %s：一批记录被拒绝：%s %s", "site %s: batch refused: %s %s", s->site_id,
                     sl_error_name(code), r.text);
        if (code == SL_E_CONFLICT || code == SL_E_CHAIN || code == SL_E_INVALID)
            central_store_incident(self->store, s->site_id, code, r.seq, r.text);
        s_error(self, rid, rid_len, m->sess, code, r.text, r.field[0] ? r.field : NULL, r.seq,
                r.expected);
        return;
    }
    self->n_batches++;
    self->n_events += r.inserted;
    self->n_dups += r.duplicates;
    sl_msg_t ack = { .type = SL_ACK, .sess = m->sess, .acked = site->last_seq,
                     .log_head = self->log_head };
    sl_msg_encode(&ack, &self->out);
    if (s_hold(self, rid, rid_len, m->sess))
        sl_terror("内存不足，无法保留 ACK；站点会重发", "out of memory holding an ACK; the site will resend");
}

/* True when a big reply of this kind may go out now: the last one was shown
 * read (the request continues exactly where it ended, as a site does), or it
 * went out long enough ago that a site which started over may ask again.
 * Counts the refusals. */
static bool s_may_reply(server_engine_t *self, int64_t sent_ms, uint64_t next, uint64_t asked)
{
    if (!sent_ms || asked == next || zclock_mono() - sent_ms >= REPLY_PATIENCE_MS)
        return true;
    self->n_unread++;
    return false;
}

static void s_on_fetch(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                       const sl_msg_t *m)
{
    s_flush(self);
    session_t *s = s_session(self, rid, rid_len, m);
    if (!s || !s_may_reply(self, s->fetch_sent_ms, s->fetch_next, m->from))
        return;
    central_site_t *site = s_site(self, s->site_id);
    uint64_t next = 0;
    if (!site || central_store_pack_events(self->store, site->site_no, m->from, m->max,
                                           SL_MAX_REPLY_BYTES, site->last_seq, m->sess,
                                           &self->out, &next)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法读取站点的记录", "cannot read the site's events"), NULL, 0, 0);
        return;
    }
    s->fetch_sent_ms = zclock_mono();
    s->fetch_next = next > m->from ? next : m->from + 1;
    s_reply(self, rid, rid_len);
}

static void s_on_log_pull(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                          const sl_msg_t *m)
{
    session_t *s = s_session(self, rid, rid_len, m);
    if (!s || !s_may_reply(self, s->log_sent_ms, s->log_next, m->cursor))
        return;
    uint64_t upto = 0;
    if (central_store_pack_log(self->store, s->site_id, m->cursor, m->max ? m->max : 1,
                               SL_MAX_REPLY_BYTES, m->sess, &self->out, &upto,
                               s_command_live, self)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法读取服务器日志", "cannot read the server log"), NULL, 0, 0);
        return;
    }
    s->log_sent_ms = zclock_mono();
    s->log_next = upto > m->cursor ? upto : m->cursor + 1;
    s_reply(self, rid, rid_len);
}

/* A refusal worth logging, at most 20 lines per 10 s: a flood of garbage
 * must not become a flood of log lines. */
static void s_warn_limited(server_engine_t *self, const char *zh, const char *en, ...)
{
    int64_t now = zclock_mono();
    if (now - self->warn_window_ms > 10000) {
        if (self->warns_dropped)
            sl_twarn("另有 %d 次拒绝没有记入日志", "%d more refusals were not logged",
                     self->warns_dropped);
        self->warn_window_ms = now;
        self->warns_in_window = self->warns_dropped = 0;
    }
    if (++self->warns_in_window > 20) {
        self->warns_dropped++;
        return;
    }
    char line[1024];
    va_list ap;
    va_start(ap, en);
    sl_vtf(line, sizeof line, zh, en, ap);
    va_end(ap);
    sl_warn("%s", line);
}

static void s_forbid(server_engine_t *self, const uint8_t *rid, size_t rid_len, uint64_t sess,
                     const char *key, const char *text)
{
    self->n_forbidden++;
    s_warn_limited(self, "拒绝密钥 %.8s…：%s", "refused key %.8s…: %s", key ? key : "(none)", text);
    s_drop_session(self, rid, rid_len);
    s_error(self, rid, rid_len, sess, SL_E_FORBIDDEN, text, NULL, 0, 0);
}

/* Drops every session of a site (after revocation). */
static void s_drop_site_sessions(server_engine_t *self, const char *site_id)
{
    zlistx_t *keys = zhashx_keys(self->sessions);
    for (char *key = zlistx_first(keys); key; key = zlistx_next(keys)) {
        session_t *other = zhashx_lookup(self->sessions, key);
        if (other && strcmp(other->site_id, site_id) == 0)
            zhashx_delete(self->sessions, key);
    }
    zlistx_destroy(&keys);
}

static void s_reply_text(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                         uint64_t sess, const char *text, uint32_t columns,
                         sl_str_t *cells, size_t ncells)
{
    sl_msg_t r = { .type = SL_REPLY, .sess = sess, .text = text, .text_len = strlen(text),
                   .columns = columns, .cells = cells, .ncells = ncells };
    sl_msg_encode(&r, &self->out);
    s_reply(self, rid, rid_len);
}

static void s_on_enroll(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                        const sl_msg_t *m, const server_principal_t *p)
{
    char site_id[SL_MAX_NAME_BYTES + 1], newkey[SL_Z85_KEY], text[600];
    snprintf(site_id, sizeof site_id, "%.*s", (int) m->site_len, m->site);
    zmq_z85_encode(newkey, m->key, 32);
    if (strcmp(site_id, p->site_id) != 0) {
        sl_df(text, sizeof text, "这个注册包是给站点 %s 的，不是给 %s 的", "this bundle is for site %s, not %s",
              p->site_id, site_id);
        central_store_incident(self->store, site_id, SL_E_FORBIDDEN, 0, text);
        s_forbid(self, rid, rid_len, m->sess, p->key, text);
        return;
    }
    const server_principal_t *existing = server_auth_lookup(self->auth, newkey);
    if (existing && (existing->role != SL_ROLE_SITE || strcmp(existing->site_id, site_id) != 0)) {
        s_forbid(self, rid, rid_len, m->sess, p->key,
                 SL_D("新密钥已被使用", "the new key is already in use"));
        return;
    }
    if (strcmp(p->status, "used") == 0 && existing) {
        /* A retry after a lost reply: the same site, the same new key. */
        s_reply_text(self, rid, rid_len, m->sess, "enrolled", 0, NULL, 0);
        return;
    }
    if (server_auth_refusal(p, text, sizeof text)) {
        s_forbid(self, rid, rid_len, m->sess, p->key, text);
        return;
    }
    if (p->expires_ms && sl_now_ms() > p->expires_ms) {
        time_t t = (time_t) (p->expires_ms / 1000);
        struct tm tm;
        char when[32] = "?";
        if (localtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        sl_df(text, sizeof text, "这个注册包已于 %s 过期；请向区里的管理员要一个新的",
              "this enrollment bundle expired on %s; ask the district administrator for a new one",
              when);
        s_forbid(self, rid, rid_len, m->sess, p->key, text);
        return;
    }
    char enroll_key[SL_Z85_KEY], community[256];
    snprintf(enroll_key, sizeof enroll_key, "%s", p->key);
    snprintf(community, sizeof community, "%s", p->name);
    sqlite3 *db = central_store_db(self->store);
    s_flush(self);
    int rc = sl_db_begin(db);
    /* One active key per site: a new enrollment replaces the old key. */
    sqlite3_stmt *st = rc ? NULL : sl_db_prepare(db,
        "UPDATE keys SET status = 'retired', changed_ms = ?"
        " WHERE site_id = ? AND role = 'site' AND status = 'active'");
    if (st) {
        sqlite3_bind_int64(st, 1, sl_now_ms());
        sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    } else {
        rc = -1;
    }
    rc = rc || server_auth_add(self->auth, SL_ROLE_SITE, newkey, site_id, community, "active", 0)
            || server_auth_set_status(self->auth, enroll_key, "used") || sl_db_commit(db);
    if (rc) {
        sl_db_rollback(db);
        server_auth_reload(self->auth);
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法记录注册；请重试", "cannot record the enrollment; retry"), NULL, 0, 0);
        return;
    }
    sl_tinfo("站点 %s（%s）已用密钥 %.8s… 完成注册", "site %s (%s) enrolled with key %.8s…", site_id,
             community, newkey);
    s_reply_text(self, rid, rid_len, m->sess, "enrolled", 0, NULL, 0);
}

static void s_on_rotate(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                        const sl_msg_t *m, const server_principal_t *p)
{
    char newkey[SL_Z85_KEY], site_id[65];
    zmq_z85_encode(newkey, m->key, 32);
    snprintf(site_id, sizeof site_id, "%s", p->site_id);
    const server_principal_t *existing = server_auth_lookup(self->auth, newkey);
    if (existing) {
        if (existing->role == SL_ROLE_SITE && strcmp(existing->site_id, site_id) == 0
            && strcmp(existing->status, "active") == 0)
            s_reply_text(self, rid, rid_len, m->sess, "key registered", 0, NULL, 0);
        else
            s_forbid(self, rid, rid_len, m->sess, p->key,
                     SL_D("新密钥已被使用", "the new key is already in use"));
        return;
    }
    s_flush(self);
    /* The old key stays valid until the new one is first used (see HELLO).
     * At most two keys per site: the one in use and the next.  A ROTATE
     * with yet another key replaces the pending one (a site key must not
     * be able to register any number of keys). */
    char inuse[SL_Z85_KEY];
    snprintf(inuse, sizeof inuse, "%s", p->key);
    sqlite3 *db = central_store_db(self->store);
    int rc = sl_db_begin(db);
    sqlite3_stmt *st = rc ? NULL : sl_db_prepare(db,
        "UPDATE keys SET status = 'retired', changed_ms = ?"
        " WHERE site_id = ? AND role = 'site' AND status = 'active' AND public != ?");
    if (st) {
        sqlite3_bind_int64(st, 1, sl_now_ms());
        sqlite3_bind_text(st, 2, site_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, inuse, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        if (rc == 0 && sqlite3_changes(db) > 0)
            sl_tinfo("站点 %s：未完成的换钥被更新的密钥取代",
                     "site %s: an unfinished rotation's key is replaced by a newer one", site_id);
        sqlite3_finalize(st);
    } else {
        rc = -1;
    }
    rc = rc || server_auth_add(self->auth, SL_ROLE_SITE, newkey, site_id, p->name, "active", 0)
            || sl_db_commit(db);
    if (rc) {
        sl_db_rollback(db);
        server_auth_reload(self->auth);
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL,
                SL_D("无法登记密钥；请重试", "cannot register the key; retry"), NULL, 0, 0);
        return;
    }
    server_auth_reload(self->auth);
    sl_tinfo("站点 %s：新密钥 %.8s… 已登记（换钥）", "site %s: new key %.8s… registered (rotation)",
             site_id, newkey);
    s_reply_text(self, rid, rid_len, m->sess, "key registered", 0, NULL, 0);
}

/* After a HELLO with key `key`: any other active key of the site is retired
 * (the end of a rotation or of a re-enrollment). */
static void s_retire_other_keys(server_engine_t *self, const char *site_id, const char *key)
{
    if (server_auth_retire_older_keys(self->auth, site_id, key) > 0)
        sl_tinfo("站点 %s：换钥完成，现在使用 %.8s…", "site %s: key rotation complete, now using %.8s…",
                 site_id, key);
}

static void s_site_revoked(void *ctx, const char *site_id)
{
    s_drop_site_sessions(ctx, site_id);
}

/* ADMIN: the verb table of server_admin.c does the work, as it does for
 * shuanglian-server on the server machine. */
static void s_on_admin(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                       const sl_msg_t *m, const server_principal_t *p)
{
    char verb[SL_MAX_NAME_BYTES + 1];
    /* The admin's name is copied: changes to `keys` reload the cache that
     * `p` points into. */
    char admin[sizeof p->name];
    snprintf(admin, sizeof admin, "%s", p->name);
    snprintf(verb, sizeof verb, "%.*s", (int) m->verb_len, m->verb);
    s_flush(self);
    server_admin_env_t env = { .store = self->store, .auth = self->auth, .role = p->role,
                               .admin = admin, .site_revoked = s_site_revoked,
                               .site_connected = s_site_connected, .ctx = self };
    server_admin_reply_t r;
    server_admin_run(&env, verb, m->args, m->nargs, &r);
    sl_str_t *cells = r.ncells ? malloc(r.ncells * sizeof *cells) : NULL;
    if (r.code == 0 && r.ncells && !cells) {
        r.code = SL_E_INTERNAL;
        sl_df(r.text, sizeof r.text, "内存不足", "out of memory");
    }
    if (r.code) {
        s_error(self, rid, rid_len, m->sess, r.code, r.text, r.field[0] ? r.field : NULL, 0, 0);
    } else {
        for (size_t i = 0; i < r.ncells; i++)
            cells[i] = (sl_str_t) { r.cells[i], strlen(r.cells[i]) };
        s_reply_text(self, rid, rid_len, m->sess, r.text, r.columns, cells, r.ncells);
    }
    free(cells);
    server_admin_reply_free(&r);
}

/* May this principal send this message type?  (Checked on every message.) */
static bool s_allowed(sl_role_t role, sl_msg_type_t type)
{
    switch (type) {
    case SL_PING: case SL_PONG: case SL_ERROR:
        return role != SL_ROLE_NONE;
    case SL_HELLO: case SL_BATCH: case SL_FETCH: case SL_LOG_PULL: case SL_ROTATE:
        return role == SL_ROLE_SITE;
    case SL_ENROLL:
        return role == SL_ROLE_ENROLL;
    case SL_ADMIN:
        return role == SL_ROLE_ADMIN;
    default:
        return false;
    }
}

static void s_handle(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                     const char *key, const uint8_t *frame, size_t len)
{
    char err[512];
    sl_msg_t *m = &self->msg;
    int code = sl_msg_decode(m, frame, len, err, sizeof err);
    if (code) {
        self->n_malformed++;
        s_warn_limited(self, "拒绝一条 %zu 字节的消息（密钥 %.8s…）：%s %s",
                       "refused %zu-byte message from key %.8s…: %s %s", len,
                       key ? key : "(none)", sl_error_name(code), err);
        s_error(self, rid, rid_len, m->sess, code, err, NULL, 0, 0);
        return;
    }
    const server_principal_t *p = NULL;
    server_principal_t who;     /* a copy: handlers change `keys`, which reloads the cache */
    if (self->secure) {
        /* ZAP ran at handshake; the key's standing is checked again now. */
        p = server_auth_lookup(self->auth, key);
        if (p) {
            who = *p;
            p = &who;
        }
        char why[600];
        if (!p) {
            s_forbid(self, rid, rid_len, m->sess, key, SL_D("未知的密钥", "unknown key"));
            return;
        }
        if (p->role != SL_ROLE_ENROLL && server_auth_refusal(p, why, sizeof why)) {
            s_forbid(self, rid, rid_len, m->sess, key, why);
            return;
        }
        if (!s_allowed(p->role, m->type)) {
            sl_df(why, sizeof why, "%s 密钥不能发送 %s", "a %s key may not send %s",
                  sl_role_name(p->role), sl_msg_type_name(m->type));
            s_forbid(self, rid, rid_len, m->sess, key, why);
            return;
        }
        if (m->type == SL_HELLO && ((size_t) m->site_len != strlen(p->site_id)
                                    || memcmp(m->site, p->site_id, m->site_len) != 0)) {
            sl_df(why, sizeof why, "这个密钥属于站点 %s；不能代表站点 %.*s",
                  "this key belongs to site %s; it may not speak for site %.*s", p->site_id,
                  (int) m->site_len, m->site);
            central_store_incident(self->store, p->site_id, SL_E_FORBIDDEN, 0, why);
            s_forbid(self, rid, rid_len, m->sess, key, why);
            return;
        }
    } else if (m->type == SL_ENROLL || m->type == SL_ROTATE || m->type == SL_ADMIN) {
        s_error(self, rid, rid_len, m->sess, SL_E_FORBIDDEN,
                SL_D("这个服务器不加密运行（--insecure）：不能注册、换钥或管理",
                     "this server runs without security (--insecure): no enrollment, keys or "
                     "admin"),
                NULL, 0, 0);
        return;
    }
    switch (m->type) {
    case SL_HELLO:
        s_on_hello(self, rid, rid_len, m, p ? p->key : NULL, p ? p->name : NULL);
        break;
    case SL_BATCH: s_on_batch(self, rid, rid_len, m); break;
    case SL_FETCH: s_on_fetch(self, rid, rid_len, m); break;
    case SL_LOG_PULL: s_on_log_pull(self, rid, rid_len, m); break;
    case SL_ENROLL: s_on_enroll(self, rid, rid_len, m, p); break;
    case SL_ROTATE:
        if (s_session(self, rid, rid_len, m))
            s_on_rotate(self, rid, rid_len, m, p);
        break;
    case SL_ADMIN: s_on_admin(self, rid, rid_len, m, p); break;
    case SL_PING:
        if (p && p->role != SL_ROLE_SITE) {
            sl_msg_t pong = { .type = SL_PONG, .sess = m->sess, .log_head = self->log_head };
            sl_msg_encode(&pong, &self->out);
            s_reply(self, rid, rid_len);
        } else {
            session_t *s = s_session(self, rid, rid_len, m);
            if (s)
                s_on_site_ping(self, rid, rid_len, m, s);
        }
        break;
    case SL_PONG:
    case SL_ERROR:
        break;                  /* nothing to answer */
    default:
        s_error(self, rid, rid_len, m->sess, SL_E_FORBIDDEN,
                SL_D("站点不能向服务器发送这种消息", "a site may not send this message type to the server"),
                "type", 0, 0);
    }
}

void server_engine_feed(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                        const char *key, const uint8_t *frame, size_t len,
                        void (*reply)(void *ctx, const uint8_t *data, size_t len), void *ctx)
{
    if (rid_len > sizeof ((session_t *) 0)->rid)
        rid_len = sizeof ((session_t *) 0)->rid;
    self->feed_reply = reply;
    self->feed_ctx = ctx;
    sl_lang_t lang = sl_lang_use(SL_LANG_DUAL);    /* what a site is told, it reads */
    s_handle(self, rid, rid_len, key, frame, len);
    sl_lang_use(lang);
    sl_msg_reset(&self->msg);
    s_flush(self);
    server_auth_refresh(self->auth);
    self->feed_reply = NULL;
}

/* Receives one [routing id][body] message; returns 1, 0 when none, -1 on error. */
static int s_receive(server_engine_t *self)
{
    void *raw = zsock_resolve(self->sock);
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, raw, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return errno == EAGAIN ? 0 : -1;
    }
    zmq_msg_init(&body);
    int more = zmq_msg_more(&id);
    if (!more || zmq_msg_recv(&body, raw, 0) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return 1;
    }
    if (zmq_msg_more(&body)) {
        /* Our protocol is one frame per message: drain and refuse the rest. */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        while (zmq_msg_more(&body) && zmq_msg_recv(&extra, raw, 0) >= 0
               && zmq_msg_more(&extra))
            ;
        zmq_msg_close(&extra);
        self->n_malformed++;
        s_error(self, zmq_msg_data(&id), zmq_msg_size(&id), 0, SL_E_MALFORMED,
                SL_D("一条消息必须正好是一帧", "a message must be exactly one frame"), NULL, 0, 0);
    } else {
        /* The key as ZAP stamped it, read from the body frame: the routing-id
         * frame can lose its metadata once the socket is polled (PITFALLS). */
        const char *key = self->secure ? zmq_msg_gets(&body, "User-Id") : NULL;
        sl_lang_t lang = sl_lang_use(SL_LANG_DUAL);    /* what a site is told, it reads */
        s_handle(self, zmq_msg_data(&id), zmq_msg_size(&id), key, zmq_msg_data(&body),
                 zmq_msg_size(&body));
        sl_lang_use(lang);
        sl_msg_reset(&self->msg);   /* events point into body: reset before close */
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return 1;
}

/* Every connection is a descriptor.  libzmq accepts connections as fast as
 * they come, before any check of ours, and past the process's limit its
 * accept fails and spins while the waiting connections time out.  So near
 * the cap the server stops listening (new connections are refused by the
 * kernel and their sites retry with backoff), and listens again once a
 * tenth of the room is free.  The ZAP handler refuses what got in anyway. */
static void s_guard_descriptors(server_engine_t *self)
{
    int64_t now = zclock_mono();
    if (!self->fd_cap || now - self->fd_check_ms < 50)
        return;
    self->fd_check_ms = now;
    /* Counted every 50 ms near the cap, every 500 ms far below it (the
     * count grows with each connection admitted in between). */
    long open = self->last_open = sl_net_open_fds_recent(self->last_open < self->fd_cap / 2
                                                         ? 500 : 50);
    void *raw = zsock_resolve(self->sock);
    if (self->listening && (open < 0 || open >= self->fd_cap - SL_FD_RESERVE / 2)) {
        if (zmq_unbind(raw, self->bound) == 0) {
            self->listening = false;
            sl_twarn("已打开 %ld 个描述符，接近连接上限 %ld：暂不接受新连接（站点会自己重试；"
                     "要同时服务更多站点请调高 LimitNOFILE）",
                     "%ld descriptors open, near the limit of %ld for connections: not taking "
                     "new connections for now (sites retry by themselves; raise LimitNOFILE "
                     "to serve more at once)", open, self->fd_cap);
        }
    } else if (!self->listening && open >= 0 && open < self->fd_cap * 9 / 10) {
        if (zmq_bind(raw, self->bound) == 0) {
            self->listening = true;
            sl_tinfo("已打开 %ld 个描述符：重新接受新连接", "%ld descriptors open: taking new connections again",
                     open);
        } else {
            sl_twarn("无法重新监听 %s：%s；稍后重试", "cannot listen on %s again: %s; retrying", self->bound,
                     zmq_strerror(errno));
        }
    }
}

static void s_housekeeping(server_engine_t *self)
{
    int64_t now = zclock_mono();
    server_auth_refresh(self->auth);
    /* item rows kept a second or longer are written (the round is
     * committed: this is a transaction of its own) */
    central_store_items_idle(self->store, sl_now_ms());
    if (self->n_commits != self->commits_seen) {
        self->commits_seen = self->n_commits;
        self->last_commit_ms = sl_now_ms();
    }
    if (now - self->status_ms >= 2000) {
        s_write_status(self, "running");
        self->status_ms = now;
    }
    if (self->warns_dropped && now - self->warn_window_ms > 10000) {
        sl_twarn("另有 %d 次拒绝没有记入日志", "%d more refusals were not logged", self->warns_dropped);
        self->warns_dropped = self->warns_in_window = 0;
        self->warn_window_ms = now;
    }
    uint64_t head = central_store_log_head(self->store);
    bool announce = head != self->log_head;
    self->log_head = head;
    zlistx_t *keys = zhashx_keys(self->sessions);
    for (char *key = zlistx_first(keys); key; key = zlistx_next(keys)) {
        session_t *s = zhashx_lookup(self->sessions, key);
        if (!s)
            continue;
        if (now - s->last_seen_ms > SESSION_IDLE_MS) {
            zhashx_delete(self->sessions, key);
        } else if (announce) {
            /* Tell connected sites that new reference data is waiting. */
            sl_msg_t p = { .type = SL_PONG, .sess = s->sess, .log_head = head };
            sl_msg_encode(&p, &self->out);
            s_reply(self, s->rid, s->rid_len);
        }
    }
    zlistx_destroy(&keys);
    if (self->n_events != self->logged_events && now - self->last_report_ms >= 10000) {
        sl_tinfo("已提交 %llu 条记录（%llu 批）；跳过重复 %llu 条，拒绝 %llu 批，格式错误的消息 %llu 条，"
                 "越权 %llu 次，回复未读前的重复请求 %llu 次，断开不读回复的连接 %llu 个；会话 %zu 个",
                 "committed %llu events in %llu batches; %llu duplicates skipped, "
                 "%llu batches refused, %llu malformed messages, %llu forbidden, "
                 "%llu repeats before a reply was read, %llu peers dropped; %zu sessions",
                (unsigned long long) self->n_events, (unsigned long long) self->n_batches,
                (unsigned long long) self->n_dups, (unsigned long long) self->n_refused,
                (unsigned long long) self->n_malformed, (unsigned long long) self->n_forbidden,
                (unsigned long long) self->n_unread, (unsigned long long) self->n_dropped,
                zhashx_size(self->sessions));
        self->logged_events = self->n_events;
        self->last_report_ms = now;
    }
}

int server_engine_run(server_engine_t *self)
{
    if (!self->sock)
        return -1;              /* feed_only: nothing to serve */
    sl_tinfo("正在服务 %s，存储 %s/central.db（窗口 %u，每批 %u 条）",
             "serving %s from %s/central.db (credit %u, batch %u)", self->opts.endpoint,
            self->opts.data_dir, self->opts.credit, self->opts.max_batch);
    int64_t next_house = zclock_mono() + HOUSEKEEPING_MS;
    self->started_ms = sl_now_ms();
    s_write_status(self, "running");
    self->status_ms = zclock_mono();
    while (!s_stop) {
        zmq_pollitem_t items[2] = { { zsock_resolve(self->sock), 0, ZMQ_POLLIN, 0 },
                                    { NULL, 0, ZMQ_POLLIN, 0 } };
        zsock_t *zap = server_auth_zap_socket(self->auth);
        if (zap)
            items[1].socket = zsock_resolve(zap);
        int64_t wait = next_house - zclock_mono();
        int rc = zmq_poll(items, zap ? 2 : 1, wait < 0 ? 0 : (long) wait);
        if (rc > 0 && zap && (items[1].revents & ZMQ_POLLIN))
            server_auth_handle_zap(self->auth);
        s_guard_descriptors(self);
        if (rc < 0 && errno != EINTR) {
            sl_terror("poll 失败：%s", "poll failed: %s", zmq_strerror(errno));
            break;
        }
        if (rc > 0) {
            for (int i = 0; i < ROUND_MAX_MESSAGES && !s_stop; i++)
                if (s_receive(self) <= 0)
                    break;
            s_flush(self);
        }
        if (zclock_mono() >= next_house) {
            s_housekeeping(self);
            next_house = zclock_mono() + HOUSEKEEPING_MS;
        }
    }
    /* Stopping (SIGTERM, SIGINT): the round in hand is committed and its
     * replies get a moment to leave (CZMQ's linger is 0); a site that
     * misses its ACK resends, and the duplicates are skipped. */
    s_flush(self);
    zsock_set_linger(self->sock, 1000);
    s_write_status(self, "stopped");
    sl_tinfo("停止：本次运行提交了 %llu 条记录（%llu 批，%llu 个事务）；拒绝 %llu 批，"
             "格式错误的消息 %llu 条，越权 %llu 次",
             "stopping: committed %llu events in %llu batches (%llu transactions) this run; "
             "refused %llu batches, %llu malformed messages, %llu forbidden",
            (unsigned long long) self->n_events, (unsigned long long) self->n_batches,
            (unsigned long long) self->n_commits, (unsigned long long) self->n_refused,
            (unsigned long long) self->n_malformed, (unsigned long long) self->n_forbidden);
    return 0;
}
