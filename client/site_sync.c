/* site_sync.c: the site's sync state machine.
 *
 *   HELLO ──WELCOME──> (fork?) ──yes──> stop, REFUSED
 *                         │ behind: FETCH/EVENTS until level
 *                         v
 *                     STREAMING: BATCH×credit, ACK; LOG_PULL/LOG by cursor
 *
 * Any silence, NO_SESSION or GAP sends us back to HELLO with a new session
 * number; replies carrying an older session number are ignored.  The
 * acknowledged sequence and the cursor are only ever advanced from what the
 * server said, and only after the local transaction that depends on them. */
#include "site_sync.h"
#include "sl_hlc.h"
#include "sl_log.h"
#include "sl_net.h"
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#define STALL_MS        10000   /* no answer to work in flight: start over */
#define HELLO_FIRST_MS  2000
#define HELLO_MAX_MS    30000

typedef enum { PHASE_HELLO, PHASE_RESTORING, PHASE_STREAMING } phase_t;

typedef struct {
    site_store_t *store;
    const site_sync_opts_t *opts;
    site_sync_report_t *report;
    zsock_t *sock;
    msgpack_sbuffer out;
    sl_msg_t msg;
    phase_t phase;
    uint64_t sess;
    int64_t hello_sent_ms, hello_wait_ms;
    int64_t last_recv_ms, last_send_ms;
    bool welcomed_once;
    bool hello_unsent;          /* HELLO is in s->out, waiting for a connection */
    uint32_t credit, max_batch, heartbeat_ms;
    uint64_t local_last, acked, next_send, server_seq;
    uint64_t inflight[SL_MAX_CREDIT];   /* last seq of each batch in flight */
    size_t ninflight;
    uint64_t cursor, log_head;
    bool pull_inflight, fetch_inflight;
    bool done;
} sync_t;

static volatile sig_atomic_t s_stop;
void site_sync_stop(void) { s_stop = 1; }

static site_sync_result_t s_finish(sync_t *s, site_sync_result_t result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static site_sync_result_t s_finish(sync_t *s, site_sync_result_t result, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->report->text, sizeof s->report->text, fmt, ap);
    va_end(ap);
    s->report->result = result;
    s->done = true;
    return result;
}

static int s_send_out(sync_t *s)
{
    if (sl_net_send(s->sock, NULL, 0, s->out.data, s->out.size) != 0)
        return -1;
    s->last_send_ms = sl_now_ms();
    return 0;
}

static void s_hello(sync_t *s)
{
    s->sess++;
    s->phase = PHASE_HELLO;
    s->ninflight = 0;
    s->pull_inflight = s->fetch_inflight = false;
    s->local_last = site_store_last_seq(s->store);
    sl_msg_t h = { .type = SL_HELLO, .sess = s->sess, .site = site_store_site_id(s->store),
                   .site_len = strlen(site_store_site_id(s->store)), .last_seq = s->local_last,
                   .cursor = s->cursor, .hlc = site_store_hlc(s->store),
                   .agent = "shuanglian-site/" SL_VERSION,
                   .agent_len = strlen("shuanglian-site/" SL_VERSION) };
    site_store_hash_at(s->store, s->local_last, h.last_hash);
    sl_msg_encode(&h, &s->out);
    /* Not connected yet: s_timers retries every poll until it goes out. */
    s->hello_unsent = s_send_out(s) != 0;
    s->hello_sent_ms = sl_now_ms();
}

static void s_restart(sync_t *s, const char *why)
{
    sl_info("sync: starting over (%s)", why);
    s->report->reconnects++;
    s_hello(s);
}

/* Fills the window with batches from the outbox. */
static void s_pump(sync_t *s)
{
    while (s->phase == PHASE_STREAMING && s->ninflight < s->credit
           && s->next_send <= s->local_last) {
        uint64_t to = s->next_send + s->max_batch - 1;
        if (to > s->local_last)
            to = s->local_last;
        if (site_store_pack_batch(s->store, s->sess, s->next_send, to, &s->out)) {
            s_finish(s, SITE_SYNC_FAILED, "cannot read records %llu..%llu from the local store",
                     (unsigned long long) s->next_send, (unsigned long long) to);
            return;
        }
        if (s_send_out(s))
            return;             /* not connected or queue full: the stall timer restarts */
        s->inflight[s->ninflight++] = to;
        s->report->sent_events += to - s->next_send + 1;
        s->next_send = to + 1;
    }
    if (s->phase == PHASE_STREAMING && !s->pull_inflight && s->cursor < s->log_head) {
        sl_msg_t p = { .type = SL_LOG_PULL, .sess = s->sess, .cursor = s->cursor,
                       .max = SL_MAX_LOG_ENTRIES };
        sl_msg_encode(&p, &s->out);
        if (s_send_out(s) == 0)
            s->pull_inflight = true;
    }
}

static void s_fetch(sync_t *s)
{
    sl_msg_t f = { .type = SL_FETCH, .sess = s->sess, .from = s->local_last + 1,
                   .max = s->max_batch };
    sl_msg_encode(&f, &s->out);
    if (s_send_out(s) == 0)
        s->fetch_inflight = true;
}

static void s_on_welcome(sync_t *s, const sl_msg_t *m)
{
    s->welcomed_once = true;
    s->hello_wait_ms = HELLO_FIRST_MS;
    s->credit = m->credit;
    s->max_batch = m->max_batch;
    s->heartbeat_ms = m->heartbeat_ms ? m->heartbeat_ms : SL_HEARTBEAT_MS;
    s->server_seq = m->server_seq;
    s->log_head = m->log_head;
    site_store_observe_hlc(s->store, m->hlc);
    uint8_t mine[SL_HASH_BYTES];
    if (site_store_hash_at(s->store, m->match_seq, mine)) {
        s_finish(s, SITE_SYNC_FAILED, "cannot read local record %llu",
                 (unsigned long long) m->match_seq);
        return;
    }
    if (memcmp(mine, m->match_hash, SL_HASH_BYTES) != 0) {
        s_finish(s, SITE_SYNC_REFUSED,
                 "history has forked: this site's record %llu differs from the one the server "
                 "committed (the data directory was restored from an older copy and new "
                 "records were entered since, or the disk was cloned). Nothing was sent. "
                 "Keep this directory as it is and ask the district administrator.",
                 (unsigned long long) m->match_seq);
        return;
    }
    uint64_t acked = site_store_acked(s->store);
    if (m->server_seq < acked)
        sl_warn("sync: server has only %llu of this site's records but had acknowledged %llu "
                "(server restored from a backup?): resending from %llu",
                (unsigned long long) m->server_seq, (unsigned long long) acked,
                (unsigned long long) m->server_seq + 1);
    if (m->server_seq > s->local_last) {
        sl_warn("sync: server holds records %llu..%llu of this site that the local store lacks "
                "(restored from an older copy?): fetching them back",
                (unsigned long long) s->local_last + 1, (unsigned long long) m->server_seq);
        s->phase = PHASE_RESTORING;
        s_fetch(s);
        return;
    }
    s->acked = m->server_seq;
    if (s->acked != acked)
        site_store_set_acked(s->store, s->acked);
    s->next_send = s->acked + 1;
    s->phase = PHASE_STREAMING;
    s_pump(s);
}

static void s_on_events(sync_t *s, const sl_msg_t *m)
{
    char err[300];
    s->fetch_inflight = false;
    if (m->nevents == 0) {
        s_finish(s, SITE_SYNC_REFUSED, "server announced records up to %llu but sent none",
                 (unsigned long long) m->server_seq);
        return;
    }
    if (site_store_restore_events(s->store, m->events, m->nevents, err, sizeof err)) {
        s_finish(s, SITE_SYNC_REFUSED, "cannot restore records from the server: %s", err);
        return;
    }
    s->report->restored += m->nevents;
    s->local_last = site_store_last_seq(s->store);
    if (s->local_last < m->server_seq) {
        s_fetch(s);
        return;
    }
    sl_info("sync: restored %llu records from the server; local store is level again",
            (unsigned long long) s->report->restored);
    s->acked = s->local_last;
    s->next_send = s->acked + 1;
    s->phase = PHASE_STREAMING;
    s_pump(s);
}

static void s_on_ack(sync_t *s, const sl_msg_t *m)
{
    if (m->acked > s->acked) {
        s->acked = m->acked;
        site_store_set_acked(s->store, s->acked);
    }
    size_t keep = 0;
    for (size_t i = 0; i < s->ninflight; i++)
        if (s->inflight[i] > s->acked)
            s->inflight[keep++] = s->inflight[i];
    s->ninflight = keep;
    if (m->log_head > s->log_head)
        s->log_head = m->log_head;
    s_pump(s);
}

static void s_on_log(sync_t *s, const sl_msg_t *m)
{
    char err[300];
    s->pull_inflight = false;
    if (site_store_apply_log(s->store, m->entries, m->nentries, m->upto, err, sizeof err)) {
        s_finish(s, SITE_SYNC_FAILED, "%s", err);
        return;
    }
    s->report->log_entries += m->nentries;
    if (m->upto > s->cursor)
        s->cursor = m->upto;
    if (m->log_head > s->log_head)
        s->log_head = m->log_head;
    s_pump(s);
}

static void s_on_error(sync_t *s, const sl_msg_t *m)
{
    switch (m->code) {
    case SL_E_NO_SESSION:
    case SL_E_GAP:
        s_restart(s, sl_error_name((int) m->code));
        break;
    case SL_E_INTERNAL:
        sl_warn("sync: server could not commit (%.*s); retrying", (int) m->text_len, m->text);
        s_restart(s, "server error");
        break;
    default:
        s_finish(s, SITE_SYNC_REFUSED, "server refused: %s (%u): %.*s",
                 sl_error_name((int) m->code), m->code, (int) m->text_len, m->text);
    }
}

static void s_on_message(sync_t *s, const uint8_t *frame, size_t len)
{
    char err[300];
    sl_msg_t *m = &s->msg;
    int code = sl_msg_decode(m, frame, len, err, sizeof err);
    if (code) {
        sl_warn("sync: ignoring a message from the server: %s", err);
        return;
    }
    if (m->sess != s->sess)
        return;                 /* answer to an earlier session */
    s->last_recv_ms = sl_now_ms();
    switch (m->type) {
    case SL_WELCOME:
        if (s->phase == PHASE_HELLO)
            s_on_welcome(s, m);
        break;
    case SL_ACK:
        if (s->phase == PHASE_STREAMING)
            s_on_ack(s, m);
        break;
    case SL_EVENTS:
        if (s->phase == PHASE_RESTORING)
            s_on_events(s, m);
        break;
    case SL_LOG:
        if (s->phase == PHASE_STREAMING)
            s_on_log(s, m);
        break;
    case SL_PONG:
        if (m->log_head > s->log_head)
            s->log_head = m->log_head;
        s_pump(s);
        break;
    case SL_ERROR:
        s_on_error(s, m);
        break;
    default:
        break;
    }
}

static bool s_level(sync_t *s)
{
    return s->phase == PHASE_STREAMING && s->acked >= s->local_last && s->ninflight == 0
           && s->cursor >= s->log_head && !s->pull_inflight;
}

static void s_timers(sync_t *s)
{
    int64_t now = sl_now_ms();
    if (s->phase == PHASE_HELLO) {
        if (s->hello_unsent) {
            s->hello_unsent = s_send_out(s) != 0;
            if (!s->hello_unsent)
                s->hello_sent_ms = now;
        } else if (now - s->hello_sent_ms >= s->hello_wait_ms) {
            s->hello_wait_ms = s->hello_wait_ms * 2 > HELLO_MAX_MS ? HELLO_MAX_MS
                                                                   : s->hello_wait_ms * 2;
            s_hello(s);
        }
        return;
    }
    bool waiting = s->ninflight || s->pull_inflight || s->fetch_inflight;
    if (waiting && now - s->last_recv_ms > STALL_MS) {
        s_restart(s, "no answer from the server");
        return;
    }
    if (s->opts->watch) {
        if (now - s->last_recv_ms > 3 * (int64_t) s->heartbeat_ms + 1000) {
            s_restart(s, "server silent");
            return;
        }
        if (now - s->last_send_ms >= s->heartbeat_ms) {
            sl_msg_t p = { .type = SL_PING, .sess = s->sess };
            sl_msg_encode(&p, &s->out);
            s_send_out(s);
        }
    }
}

site_sync_result_t site_sync_run(site_store_t *store, const site_sync_opts_t *opts,
                                 site_sync_report_t *report)
{
    memset(report, 0, sizeof *report);
    sync_t s = { .store = store, .opts = opts, .report = report };
    const char *endpoint = opts->endpoint ? opts->endpoint : site_store_server(store);
    char err[300];
    s.sock = sl_net_site_socket(endpoint, err, sizeof err);
    if (!s.sock)
        return s_finish(&s, SITE_SYNC_FAILED, "%s", err);
    msgpack_sbuffer_init(&s.out);
    s.sess = (uint64_t) sl_now_ms() * 1000;
    s.cursor = report->cursor_before = site_store_cursor(store);
    report->acked_before = site_store_acked(store);
    s.hello_wait_ms = HELLO_FIRST_MS;
    s.heartbeat_ms = SL_HEARTBEAT_MS;
    s.credit = 1;
    s.max_batch = SL_DEFAULT_BATCH_EVENTS;
    int64_t started = sl_now_ms();
    site_store_changed(store);
    s_hello(&s);

    while (!s.done && !s_stop) {
        zmq_pollitem_t item = { zsock_resolve(s.sock), 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll(&item, 1, 100);
        if (rc < 0 && errno != EINTR) {
            s_finish(&s, SITE_SYNC_FAILED, "poll failed: %s", zmq_strerror(errno));
            break;
        }
        for (int i = 0; rc > 0 && i < 64 && !s.done; i++) {
            zmq_msg_t frame;
            zmq_msg_init(&frame);
            if (zmq_msg_recv(&frame, zsock_resolve(s.sock), ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&frame);
                break;
            }
            s_on_message(&s, zmq_msg_data(&frame), zmq_msg_size(&frame));
            sl_msg_reset(&s.msg);
            zmq_msg_close(&frame);
        }
        if (s.done)
            break;
        if (opts->watch) {
            if (site_store_changed(store)) {
                s.local_last = site_store_last_seq(store);
                s_pump(&s);
            }
        } else if (s_level(&s)) {
            s_finish(&s, SITE_SYNC_OK, "level with the server");
            break;
        } else if (sl_now_ms() - (s.last_recv_ms > started ? s.last_recv_ms : started)
                   > opts->connect_timeout_ms) {
            s_finish(&s, SITE_SYNC_UNREACHABLE, "server %s %s for %d s", endpoint,
                     s.welcomed_once ? "went silent" : "did not answer",
                     opts->connect_timeout_ms / 1000);
            break;
        }
        s_timers(&s);
    }
    if (!s.done)
        s_finish(&s, SITE_SYNC_OK, "stopped");
    report->local_last = site_store_last_seq(store);
    report->acked_after = site_store_acked(store);
    report->server_seq = s.acked > s.server_seq ? s.acked : s.server_seq;
    if (!s.welcomed_once && report->acked_before > report->server_seq)
        report->server_seq = report->acked_before;   /* as last known */
    report->cursor_after = site_store_cursor(store);
    report->log_head = s.log_head;
    site_store_note_sync(store, report->result == SITE_SYNC_OK ? "ok" : report->text,
                         report->server_seq, report->log_head);
    sl_msg_reset(&s.msg);
    msgpack_sbuffer_destroy(&s.out);
    zsock_destroy(&s.sock);
    return report->result;
}
