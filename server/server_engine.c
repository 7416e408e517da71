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
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_net.h"
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#define ROUND_MAX_MESSAGES 64      /* messages drained per commit round */
#define SESSION_IDLE_MS    60000   /* forget a silent peer after this */
#define HOUSEKEEPING_MS    500

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    char site_id[SL_MAX_NAME_BYTES + 1];
    uint64_t sess;
    int64_t last_seen_ms;
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
    zsock_t *sock;
    zhashx_t *sessions;          /* hex routing id -> session_t */
    zhashx_t *sites;             /* site id -> central_site_t (pending state) */
    msgpack_sbuffer out;
    sl_msg_t msg;
    bool in_txn;
    reply_t *acks;               /* held until the round commits */
    size_t nacks, cap_acks;
    uint64_t log_head;
    uint64_t hlc;
    /* counters, logged periodically */
    uint64_t n_events, n_dups, n_batches, n_refused, n_malformed;
    uint64_t logged_events;
    int64_t last_report_ms;
};

static volatile sig_atomic_t s_stop;

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

void server_engine_stop(void) { s_stop = 1; }

server_engine_t *server_engine_new(const server_engine_opts_t *opts, char *err, size_t errlen)
{
    server_engine_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
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
    self->sock = sl_net_server_socket(opts->endpoint, err, errlen);
    if (!self->sock) {
        server_engine_destroy(&self);
        return NULL;
    }
    self->sessions = zhashx_new();
    self->sites = zhashx_new();
    zhashx_set_destructor(self->sessions, s_free_item);
    zhashx_set_destructor(self->sites, s_free_item);
    msgpack_sbuffer_init(&self->out);
    self->log_head = central_store_log_head(self->store);
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
    zhashx_destroy(&self->sites);
    zsock_destroy(&self->sock);
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

/* Sends self->out to a peer now.  A peer that cannot take it loses it. */
static void s_send(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                   const uint8_t *data, size_t len)
{
    if (sl_net_send(self->sock, rid, rid_len, data, len) != 0) {
        if (errno == EHOSTUNREACH)
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

/* Ends the round: commit, then release the held ACKs.  On a failed commit
 * the held ACKs become INTERNAL errors and the site cache is reloaded. */
static void s_flush(server_engine_t *self)
{
    if (self->in_txn) {
        self->in_txn = false;
        if (central_store_commit(self->store) != 0) {
            central_store_rollback(self->store);
            zhashx_purge(self->sites);
            sl_error("commit failed: %zu batches answered with INTERNAL, sites will resend",
                     self->nacks);
            for (size_t i = 0; i < self->nacks; i++) {
                s_error(self, self->acks[i].rid, self->acks[i].rid_len, self->acks[i].sess,
                        SL_E_INTERNAL, "the server could not commit; retry", NULL, 0, 0);
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

static void s_on_hello(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                       const sl_msg_t *m)
{
    s_flush(self);              /* WELCOME must report only committed state */
    char site_id[SL_MAX_NAME_BYTES + 1];
    snprintf(site_id, sizeof site_id, "%.*s", (int) m->site_len, m->site);
    central_site_t *site = s_site(self, site_id);
    if (!site) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL, "cannot open the site's record",
                NULL, 0, 0);
        return;
    }
    /* One live session per site: a new HELLO replaces any older one. */
    zlistx_t *keys = zhashx_keys(self->sessions);
    for (char *key = zlistx_first(keys); key; key = zlistx_next(keys)) {
        session_t *other = zhashx_lookup(self->sessions, key);
        if (other && strcmp(other->site_id, site_id) == 0)
            zhashx_delete(self->sessions, key);
    }
    zlistx_destroy(&keys);
    session_t *s = calloc(1, sizeof *s);
    if (!s)
        return;
    memcpy(s->rid, rid, rid_len);
    s->rid_len = rid_len;
    snprintf(s->site_id, sizeof s->site_id, "%s", site_id);
    s->sess = m->sess;
    s->last_seen_ms = sl_now_ms();
    char key[520];
    s_rid_key(rid, rid_len, key);
    zhashx_update(self->sessions, key, s);
    central_store_touch(self->store, site->site_no, m->cursor, m->agent, m->agent_len);

    self->hlc = sl_hlc_observe(self->hlc, m->hlc, sl_now_ms());
    self->hlc = sl_hlc_next(self->hlc, sl_now_ms());
    sl_msg_t w = { .type = SL_WELCOME, .sess = m->sess, .server_seq = site->last_seq,
                   .log_head = self->log_head, .hlc = self->hlc, .credit = self->opts.credit,
                   .max_batch = self->opts.max_batch, .heartbeat_ms = SL_HEARTBEAT_MS };
    w.match_seq = m->last_seq < site->last_seq ? m->last_seq : site->last_seq;
    if (central_store_hash_at(self->store, site->site_no, w.match_seq, w.match_hash)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL, "cannot read the site's chain",
                NULL, 0, 0);
        return;
    }
    if (w.match_seq && memcmp(w.match_hash, m->last_hash, SL_HASH_BYTES) != 0
        && m->last_seq <= site->last_seq) {
        char text[200];
        snprintf(text, sizeof text, "site's event %llu differs from the server's: forked history",
                 (unsigned long long) w.match_seq);
        central_store_incident(self->store, site_id, SL_E_CONFLICT, w.match_seq, text);
        sl_warn("site %s: %s", site_id, text);
    }
    sl_info("site %s: hello (session %llu): site has %llu, server has %llu, cursor %llu/%llu",
            site_id, (unsigned long long) m->sess, (unsigned long long) m->last_seq,
            (unsigned long long) site->last_seq, (unsigned long long) m->cursor,
            (unsigned long long) self->log_head);
    sl_msg_encode(&w, &self->out);
    s_reply(self, rid, rid_len);
}

static session_t *s_session(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                            const sl_msg_t *m)
{
    char key[520];
    s_rid_key(rid, rid_len, key);
    session_t *s = zhashx_lookup(self->sessions, key);
    if (!s || s->sess != m->sess) {
        s_error(self, rid, rid_len, m->sess, SL_E_NO_SESSION,
                "no session for this connection: send HELLO first", NULL, 0, 0);
        return NULL;
    }
    s->last_seen_ms = sl_now_ms();
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
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL, "cannot open the site's record",
                NULL, 0, 0);
        return;
    }
    if (!self->in_txn) {
        if (central_store_begin(self->store)) {
            s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL, "the store is busy; retry",
                    NULL, 0, 0);
            return;
        }
        self->in_txn = true;
    }
    central_batch_result_t r;
    int code = central_store_apply_batch(self->store, s->site_id, site, m->events, m->nevents,
                                         sl_now_ms(), &r);
    if (code) {
        self->n_refused++;
        if (code != SL_E_GAP)
            sl_warn("site %s: batch refused: %s %s", s->site_id, sl_error_name(code), r.text);
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
        sl_error("out of memory holding an ACK; the site will resend");
}

static void s_on_fetch(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                       const sl_msg_t *m)
{
    s_flush(self);
    session_t *s = s_session(self, rid, rid_len, m);
    if (!s)
        return;
    central_site_t *site = s_site(self, s->site_id);
    if (!site || central_store_pack_events(self->store, site->site_no, m->from, m->max,
                                           site->last_seq, m->sess, &self->out)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL, "cannot read the site's events",
                NULL, 0, 0);
        return;
    }
    s_reply(self, rid, rid_len);
}

static void s_on_log_pull(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                          const sl_msg_t *m)
{
    session_t *s = s_session(self, rid, rid_len, m);
    if (!s)
        return;
    if (central_store_pack_log(self->store, s->site_id, m->cursor, m->max ? m->max : 1,
                               m->sess, &self->out)) {
        s_error(self, rid, rid_len, m->sess, SL_E_INTERNAL, "cannot read the server log",
                NULL, 0, 0);
        return;
    }
    s_reply(self, rid, rid_len);
}

static void s_handle(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                     const uint8_t *frame, size_t len)
{
    char err[512];
    sl_msg_t *m = &self->msg;
    int code = sl_msg_decode(m, frame, len, err, sizeof err);
    if (code) {
        self->n_malformed++;
        sl_warn("refused %zu-byte message: %s %s", len, sl_error_name(code), err);
        s_error(self, rid, rid_len, m->sess, code, err, NULL, 0, 0);
        return;
    }
    switch (m->type) {
    case SL_HELLO: s_on_hello(self, rid, rid_len, m); break;
    case SL_BATCH: s_on_batch(self, rid, rid_len, m); break;
    case SL_FETCH: s_on_fetch(self, rid, rid_len, m); break;
    case SL_LOG_PULL: s_on_log_pull(self, rid, rid_len, m); break;
    case SL_PING:
        if (s_session(self, rid, rid_len, m)) {
            sl_msg_t p = { .type = SL_PONG, .sess = m->sess, .log_head = self->log_head };
            sl_msg_encode(&p, &self->out);
            s_reply(self, rid, rid_len);
        }
        break;
    case SL_PONG:
    case SL_ERROR:
        break;                  /* nothing to answer */
    default:
        s_error(self, rid, rid_len, m->sess, SL_E_FORBIDDEN,
                "a site may not send this message type to the server", "type", 0, 0);
    }
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
                "a message must be exactly one frame", NULL, 0, 0);
    } else {
        s_handle(self, zmq_msg_data(&id), zmq_msg_size(&id), zmq_msg_data(&body),
                 zmq_msg_size(&body));
        sl_msg_reset(&self->msg);   /* events point into body: reset before close */
    }
    zmq_msg_close(&id);
    zmq_msg_close(&body);
    return 1;
}

static void s_housekeeping(server_engine_t *self)
{
    int64_t now = sl_now_ms();
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
        sl_info("committed %llu events in %llu batches; %llu duplicates skipped, "
                "%llu batches refused, %llu malformed messages; %zu sessions",
                (unsigned long long) self->n_events, (unsigned long long) self->n_batches,
                (unsigned long long) self->n_dups, (unsigned long long) self->n_refused,
                (unsigned long long) self->n_malformed, zhashx_size(self->sessions));
        self->logged_events = self->n_events;
        self->last_report_ms = now;
    }
}

int server_engine_run(server_engine_t *self)
{
    sl_info("serving %s from %s/central.db (credit %u, batch %u)", self->opts.endpoint,
            self->opts.data_dir, self->opts.credit, self->opts.max_batch);
    int64_t next_house = sl_now_ms() + HOUSEKEEPING_MS;
    while (!s_stop) {
        zmq_pollitem_t item = { zsock_resolve(self->sock), 0, ZMQ_POLLIN, 0 };
        int64_t wait = next_house - sl_now_ms();
        int rc = zmq_poll(&item, 1, wait < 0 ? 0 : (long) wait);
        if (rc < 0 && errno != EINTR) {
            sl_error("poll failed: %s", zmq_strerror(errno));
            break;
        }
        if (rc > 0) {
            for (int i = 0; i < ROUND_MAX_MESSAGES && !s_stop; i++)
                if (s_receive(self) <= 0)
                    break;
            s_flush(self);
        }
        if (sl_now_ms() >= next_house) {
            s_housekeeping(self);
            next_house = sl_now_ms() + HOUSEKEEPING_MS;
        }
    }
    s_flush(self);
    sl_info("stopping: committed %llu events in %llu batches this run",
            (unsigned long long) self->n_events, (unsigned long long) self->n_batches);
    return 0;
}
