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
#include "site_commands.h"
#include "sl_hlc.h"
#include "sl_lang.h"
#include "sl_log.h"

#include "sl_net.h"
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define STALL_MS        10000   /* no answer to work in flight: start over */
#define SUSPENDED_MS    5000    /* a loop turn this long: we were stopped, not the server */
#define HELLO_FIRST_MS  2000
#define HELLO_MAX_MS    30000
/* A HELLO that went out over a live connection is not lost (a lost
 * connection is seen by the monitor and starts over at once): no answer
 * yet means a busy server, with a thousand sites' batches queued before the
 * HELLO.  Asking again would only add to its queue: wait this long first. */
#define HELLO_LIVE_MS   10000
/* No connection at all (the HELLO never went out) for this long: make a new
 * socket, in case libzmq stopped trying or its connection event was lost;
 * doubling up to RECONNECT_MAX_MS while the server stays unreachable. */
#define RECONNECT_FIRST_MS 30000
#define RECONNECT_MAX_MS   600000
#define CONNECT_WAIT_MS 2000    /* one-shot: no connection at all this long: unreachable */

typedef enum { PHASE_HELLO, PHASE_RESTORING, PHASE_STREAMING, PHASE_ENROLL,
               PHASE_ROTATE } phase_t;

typedef struct {
    site_store_t *store;
    const site_sync_opts_t *opts;
    site_sync_report_t *report;
    zsock_t *sock;
    zsock_t *mon;               /* connection events of sock (NULL: timers only) */
    const char *endpoint;
    bool secure;                /* CurveZMQ: the store knows the server's public key */
    char server_public[SL_Z85_KEY];
    sl_keypair_t keys;          /* this site's key pair (site.key) */
    sl_keypair_t enroll;        /* one-time key while enrolling (enroll.key) */
    sl_keypair_t next;          /* rotation in progress (site.key.next) */
    bool enrolling, rotating;
    const char *refused_why;    /* last handshake failure, for the summary (dual) */
    char server_error[800];     /* last INTERNAL error from the server, for the summary */
    int64_t handshake_failed_ms; /* when; the socket is made anew after a wait */
    bool link_up;               /* a connection is up (always true without mon) */
    msgpack_sbuffer out;
    sl_msg_t msg;
    phase_t phase;
    uint64_t sess;
    int64_t hello_sent_ms, hello_wait_ms;
    int64_t last_recv_ms, last_send_ms;
    int64_t last_progress_ms;   /* something committed or applied (one-shot timeout) */
    bool welcomed_once;
    bool hello_unsent;          /* HELLO is in s->out, waiting for a connection */
    int64_t reconnect_ms;       /* see RECONNECT_FIRST_MS */
    bool backing_off;           /* after a 500: waiting hello_wait_ms, no HELLO out */
    uint32_t credit, max_batch, heartbeat_ms;
    uint64_t local_last, acked, next_send, server_seq;
    uint64_t inflight[SL_MAX_CREDIT];   /* last seq of each batch in flight */
    size_t ninflight;
    uint64_t cursor, log_head;
    bool pull_inflight, fetch_inflight;
    bool done;
    bool ever_up;               /* a connection was made at least once */
    bool busy_seen;             /* the server answered "busy" (ZAP 300): it is there */
    bool reached;               /* a TCP connection was made at least once */
    site_commands_t cmds;       /* the district's commands run by this sync */
    uint64_t resend_from;       /* a `resend` command: send again from here (0: none) */
    int64_t tm_sent_ms;         /* the last PING that carried telemetry */
    char tm_error[SL_MAX_TELEMETRY_TEXT + 1];
} sync_t;

/* Timers run on the monotonic clock: the wall clock of a site is often
 * wrong and gets corrected by jumps (P10), which must not fire or freeze a
 * timer.  The wall clock is only for HLC stamps and session numbers. */
static int64_t s_mono(void) { return zclock_mono(); }

static volatile sig_atomic_t s_stop;
void site_sync_stop(void) { s_stop = 1; }

/* The test hook (docs/OPERATIONS.md, "Test hooks"): SHUANGLIAN_TEST_HOOK
 * names one point where the process kills itself with SIGKILL, so that a
 * test can stop it exactly there (crash_after_command: a command ran and
 * committed, its result not yet sent).  Nothing else reads it. */
static bool s_test_hook(const char *name)
{
    const char *hook = getenv("SHUANGLIAN_TEST_HOOK");
    return hook && strcmp(hook, name) == 0;
}

/* The outcome, in both languages (dual): printed now in the reader's,
 * kept in the store for `status`, sent up as telemetry for the district. */
static site_sync_result_t s_finish(sync_t *s, site_sync_result_t result, const char *zh,
                                   const char *en, ...)
    __attribute__((format(printf, 3, 5), format(printf, 4, 5)));
static site_sync_result_t s_finish(sync_t *s, site_sync_result_t result, const char *zh,
                                   const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    sl_vtf(s->report->text, sizeof s->report->text, zh, en, ap);
    sl_lang_use(was);
    va_end(ap);
    s->report->result = result;
    s->done = true;
    return result;
}

static int s_send_out(sync_t *s)
{
    /* After a disconnect the dead connection's pipe may still take a
     * message for a moment (the socket learns of its end asynchronously),
     * and that message is lost: send nothing until a new one is up. */
    if (!s->link_up) {
        errno = EAGAIN;
        return -1;
    }
    if (sl_net_send(s->sock, NULL, 0, s->out.data, s->out.size) != 0)
        return -1;
    s->last_send_ms = s_mono();
    return 0;
}

static void s_hello(sync_t *s)
{
    s->backing_off = false;
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
    /* How this site is doing, for the district (PROTOCOL.md 4.1.1). */
    site_store_telemetry(s->store, s->opts->data_dir, &h.tm, s->tm_error, sizeof s->tm_error);
    sl_msg_encode(&h, &s->out);
    /* Not connected yet: s_timers retries every poll until it goes out. */
    s->hello_unsent = s_send_out(s) != 0;
    s->hello_sent_ms = s_mono();
}

static void s_enroll(sync_t *s);
static int s_connect(sync_t *s, char *err, size_t errlen);

/* Opening phases: the first message goes out as soon as a link is up. */
static bool s_opening(const sync_t *s)
{
    return s->phase == PHASE_HELLO || s->phase == PHASE_ENROLL;
}

/* why: a dual text (SL_D). */
static void s_restart(sync_t *s, const char *why)
{
    sl_tinfo("sync：重新开始（%s）", "sync: starting over (%s)", why);
    s->report->reconnects++;
    if (s->enrolling)
        s_enroll(s);
    else
        s_hello(s);
}

/* Fills the window with batches from the outbox. */
static void s_pump(sync_t *s)
{
    /* The server log first: a command waiting there runs before this
     * site's outbox goes up (and one already run is recognised before the
     * server hears of its result, whatever the order of its delivery). */
    if (s->phase == PHASE_STREAMING && !s->pull_inflight && s->cursor < s->log_head) {
        sl_msg_t p = { .type = SL_LOG_PULL, .sess = s->sess, .cursor = s->cursor,
                       .max = SL_MAX_LOG_ENTRIES };
        sl_msg_encode(&p, &s->out);
        if (s_send_out(s) == 0)
            s->pull_inflight = true;
    }
    while (s->phase == PHASE_STREAMING && s->ninflight < s->credit
           && s->next_send <= s->local_last) {
        uint64_t to = s->next_send + s->max_batch - 1;
        if (to > s->local_last)
            to = s->local_last;
        /* Bytes, not only events, bound a batch: 1000 records of 16 KiB would
         * pass the frame limit, and the server's socket would drop it. */
        if (site_store_pack_batch_upto(s->store, s->sess, s->next_send, to,
                                       SL_MAX_FRAME_BYTES - 4096, &s->out, &to)) {
            s_finish(s, SITE_SYNC_FAILED, "无法从本机存储读出记录 %llu..%llu",
                     "cannot read records %llu..%llu from the local store",
                     (unsigned long long) s->next_send, (unsigned long long) to);
            return;
        }
        if (s_send_out(s))
            return;             /* no connection: the monitor or a timer starts over */
        s->inflight[s->ninflight++] = to;
        s->report->sent_events += to - s->next_send + 1;
        s->next_send = to + 1;
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

static void s_rotate(sync_t *s);
static void s_on_reply(sync_t *s);

static void s_on_welcome(sync_t *s, const sl_msg_t *m)
{
    if (s->rotating) {
        s_rotate(s);            /* sync resumes after the switch to the new key */
        return;
    }
    s->welcomed_once = true;
    s->hello_wait_ms = HELLO_FIRST_MS;
    s->credit = m->credit;
    s->max_batch = m->max_batch;
    s->heartbeat_ms = m->heartbeat_ms ? m->heartbeat_ms : SL_HEARTBEAT_MS;
    s->server_seq = m->server_seq;
    s->log_head = m->log_head;
    if (m->log_id) {
        /* Another server log than the one our cursor points into (the central
         * store was replaced or restored): pull all reference data again. */
        char stored[SL_MAX_NAME_BYTES + 1], id[SL_MAX_NAME_BYTES + 1];
        snprintf(id, sizeof id, "%.*s", (int) m->log_id_len, m->log_id);
        site_store_meta(s->store, "log_id", stored, sizeof stored);
        if ((stored[0] && strcmp(stored, id) != 0) || m->log_head < s->cursor) {
            sl_twarn("sync：服务器的参考数据日志不是本站点一直跟随的那一个（游标 %llu，服务器日志头 %llu）："
                     "重新接收全部参考数据", "sync: the server's reference-data log is not the "
                     "one this site followed (cursor %llu, server log head %llu): reloading all "
                     "reference data", (unsigned long long) s->cursor,
                     (unsigned long long) m->log_head);
            if (site_store_reset_refdata(s->store, id) == 0)
                s->cursor = 0;
        } else if (!stored[0]) {
            site_store_set_meta(s->store, "log_id", id);
        }
    }
    site_store_observe_hlc(s->store, m->hlc);
    uint8_t mine[SL_HASH_BYTES];
    if (site_store_hash_at(s->store, m->match_seq, mine)) {
        s_finish(s, SITE_SYNC_FAILED, "无法读取本机记录 %llu", "cannot read local record %llu",
                 (unsigned long long) m->match_seq);
        return;
    }
    if (memcmp(mine, m->match_hash, SL_HASH_BYTES) != 0) {
        s_finish(s, SITE_SYNC_REFUSED,
                 "历史记录分叉了：本站点的记录 %llu 与服务器已保存的不同（数据目录是从较早的备份恢复的且之后又录入了新记录，"
                 "或者磁盘被复制过）。什么也没有发送。请保持本目录原样，联系区管理员。",
                 "history has forked: this site's record %llu differs from the one the server "
                 "committed (the data directory was restored from an older copy and new "
                 "records were entered since, or the disk was cloned). Nothing was sent. "
                 "Keep this directory as it is and ask the district administrator.",
                 (unsigned long long) m->match_seq);
        return;
    }
    uint64_t acked = site_store_acked(s->store);
    if (m->server_seq < acked)
        sl_twarn("sync：服务器只有本站点的 %llu 条记录，但曾确认过 %llu 条（服务器从备份恢复了？）：从 %llu 起重新发送",
                 "sync: server has only %llu of this site's records but had acknowledged %llu "
                 "(server restored from a backup?): resending from %llu",
                 (unsigned long long) m->server_seq, (unsigned long long) acked,
                 (unsigned long long) m->server_seq + 1);
    if (m->server_seq > s->local_last) {
        sl_twarn("sync：服务器有本站点的记录 %llu..%llu，本机存储里没有（从较早的备份恢复的？）：取回这些记录",
                 "sync: server holds records %llu..%llu of this site that the local store lacks "
                 "(restored from an older copy?): fetching them back",
                 (unsigned long long) s->local_last + 1, (unsigned long long) m->server_seq);
        s->phase = PHASE_RESTORING;
        s_fetch(s);
        return;
    }
    /* Progress only when the server committed more of our records than we
     * knew: a WELCOME alone is not progress (a server that answers HELLO
     * and then fails every FETCH must not keep a one-shot sync alive). */
    if (m->server_seq > s->acked && m->server_seq > acked)
        s->last_progress_ms = s_mono();
    s->acked = m->server_seq;
    if (s->acked != acked)
        site_store_set_acked(s->store, s->acked);
    s->next_send = s->acked + 1;
    /* A `resend` command: from its point again; the server checks each
     * record against the one it holds and skips it (P3). */
    char from[32];
    site_store_meta(s->store, "resend_from", from, sizeof from);
    s->resend_from = strtoull(from, NULL, 10);
    if (s->resend_from && s->resend_from < s->next_send) {
        sl_tinfo("sync：按区里的要求重新发送记录 %llu..%llu",
                 "sync: sending records %llu..%llu again, as the district asked",
                 (unsigned long long) s->resend_from, (unsigned long long) s->local_last);
        s->next_send = s->resend_from;
    }
    s->phase = PHASE_STREAMING;
    s_pump(s);
}

/* The resend asked for is complete once everything sent was acknowledged. */
static void s_resend_done(sync_t *s)
{
    if (s->resend_from && s->next_send > s->local_last && s->ninflight == 0) {
        site_store_set_meta(s->store, "resend_from", "");
        sl_tinfo("sync：记录 %llu..%llu 已重新发送并得到确认",
                 "sync: records %llu..%llu were sent again and acknowledged",
                 (unsigned long long) s->resend_from, (unsigned long long) s->local_last);
        s->resend_from = 0;
    }
}

static void s_on_events(sync_t *s, const sl_msg_t *m)
{
    char err[300];
    s->fetch_inflight = false;
    if (m->nevents == 0) {
        s_finish(s, SITE_SYNC_REFUSED, "服务器说有到 %llu 的记录，却一条也没发来",
                 "server announced records up to %llu but sent none",
                 (unsigned long long) m->server_seq);
        return;
    }
    if (site_store_restore_events(s->store, m->events, m->nevents, err, sizeof err)) {
        s_finish(s, SITE_SYNC_REFUSED, "无法从服务器恢复记录：%s",
                 "cannot restore records from the server: %s", err);
        return;
    }
    s->report->restored += m->nevents;
    s->last_progress_ms = s_mono();
    s->local_last = site_store_last_seq(s->store);
    if (s->local_last < m->server_seq) {
        s_fetch(s);
        return;
    }
    sl_tinfo("sync：从服务器恢复了 %llu 条记录；本机存储已与服务器一致",
             "sync: restored %llu records from the server; local store is level again",
             (unsigned long long) s->report->restored);
    s->acked = s->local_last;
    s->next_send = s->acked + 1;
    s->phase = PHASE_STREAMING;
    s_pump(s);
}

static void s_on_ack(sync_t *s, const sl_msg_t *m)
{
    if (m->acked > s->acked) {
        s->last_progress_ms = s_mono();
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
    s_resend_done(s);
}

/* What the commands of a LOG ask of this sync: a key rotation now, another
 * server, records sent again.  Each starts the session over. */
static void s_after_commands(sync_t *s)
{
    char err[300];
    site_commands_t *c = &s->cmds;
    if (c->rotate && !s->rotating && s->secure) {
        char path[600];
        snprintf(path, sizeof path, "%s/site.key.next", s->opts->data_dir ? s->opts->data_dir
                                                                           : ".");
        if (sl_keyfile_read(path, &s->next, err, sizeof err) == 0) {
            s->rotating = true;
            s_restart(s, SL_D("区里要求更换密钥", "the district asked for a new key"));
        } else {
            sl_twarn("sync：无法读取要换上的新密钥：%s", "sync: cannot read the new key for the "
                     "rotation: %s", err);
        }
    }
    if (c->server_changed && !s->opts->endpoint) {
        s->endpoint = site_store_server(s->store);
        sl_twarn("sync：区里把本站点的服务器改成了 %s：现在连接那里",
                 "sync: the district changed this site's server to %s: connecting there",
                 s->endpoint);
        if (s_connect(s, err, sizeof err)) {
            s_finish(s, SITE_SYNC_FAILED, "%s", "%s", err);
            return;
        }
        s_restart(s, SL_D("新的服务器地址", "new server address"));
    } else if (c->resend && !c->rotate) {
        s_restart(s, SL_D("有记录要重新发送", "records to send again"));
    }
    c->rotate = c->server_changed = c->resend = false;
}

static void s_on_log(sync_t *s, const sl_msg_t *m)
{
    char err[300];
    s->pull_inflight = false;
    int ran = s->cmds.ran;
    if (site_store_apply_log(s->store, m->entries, m->nentries, m->upto, site_commands_run,
                             &s->cmds, err, sizeof err)) {
        s_finish(s, SITE_SYNC_FAILED, "%s", "%s", err);
        return;
    }
    if (s->cmds.ran > ran) {
        /* The result records are in the outbox now. */
        s->local_last = site_store_last_seq(s->store);
        if (s_test_hook("crash_after_command")) {
            sl_twarn("sync：测试钩子 crash_after_command：结束本进程",
                     "sync: test hook crash_after_command: killing this process");
            raise(SIGKILL);
        }
    }
    s->report->log_entries += m->nentries;
    s->last_progress_ms = s_mono();
    if (m->upto > s->cursor)
        s->cursor = m->upto;
    if (m->log_head > s->log_head)
        s->log_head = m->log_head;
    s_pump(s);
    if (s->cmds.rotate || s->cmds.server_changed || s->cmds.resend)
        s_after_commands(s);
}

static void s_key_path(sync_t *s, const char *name, char *path, size_t cap);

/* Another process (rotate-key, or a second sync) may have replaced site.key
 * since we read it: the server then refuses our old key.  Reads site.key
 * again; when it holds another key, connects with it and starts over.
 * True when it did. */
static bool s_take_new_key(sync_t *s)
{
    char path[600], err[300];
    sl_keypair_t now;
    if (!s->secure || s->enrolling || s->rotating)
        return false;
    s_key_path(s, "site.key", path, sizeof path);
    if (sl_keyfile_read(path, &now, err, sizeof err)
        || strcmp(now.public_z85, s->keys.public_z85) == 0) {
        memset(&now, 0, sizeof now);
        return false;
    }
    s->keys = now;
    memset(&now, 0, sizeof now);
    sl_tinfo("sync：本站点的密钥已被更换（rotate-key）；改用新密钥 %.8s…",
             "sync: this site's key was replaced meanwhile (rotate-key); going on with the new "
             "key %.8s…", s->keys.public_z85);
    if (s_connect(s, err, sizeof err)) {
        s_finish(s, SITE_SYNC_FAILED, "%s", "%s", err);
        return true;
    }
    s_hello(s);
    return true;
}

static void s_on_error(sync_t *s, const sl_msg_t *m)
{
    switch (m->code) {
    case SL_E_FORBIDDEN:
        if (s_take_new_key(s))
            break;
        s_finish(s, SITE_SYNC_REFUSED, "服务器拒绝：%s（%u）：%.*s", "server refused: %s (%u): %.*s",
                 sl_error_name((int) m->code), m->code, (int) m->text_len, m->text);
        break;
    case SL_E_NO_SESSION:
    case SL_E_GAP:
        s_restart(s, sl_error_name((int) m->code));
        break;
    case SL_E_INTERNAL:
        /* The server cannot commit (a full disk?): back off before trying
         * again instead of hammering it; s_timers says HELLO when the wait,
         * doubling up to HELLO_MAX_MS, is over. */
        sl_twarn("sync：服务器无法保存（%.*s）；%lld 秒后重试", "sync: server could not commit (%.*s); "
                 "retrying in %lld s", (int) m->text_len, m->text,
                 (long long) (s->hello_wait_ms / 1000));
        snprintf(s->server_error, sizeof s->server_error, "%.*s", (int) m->text_len, m->text);
        s->sess++;
        s->phase = PHASE_HELLO;
        s->ninflight = 0;
        s->pull_inflight = s->fetch_inflight = false;
        s->hello_unsent = false;
        s->hello_sent_ms = s_mono();
        s->backing_off = true;
        break;
    default:
        s_finish(s, SITE_SYNC_REFUSED, "服务器拒绝：%s（%u）：%.*s", "server refused: %s (%u): %.*s",
                 sl_error_name((int) m->code), m->code, (int) m->text_len, m->text);
    }
}

static void s_on_message(sync_t *s, const uint8_t *frame, size_t len)
{
    char err[300];
    sl_msg_t *m = &s->msg;
    int code = sl_msg_decode(m, frame, len, err, sizeof err);
    if (code) {
        sl_twarn("sync：忽略服务器发来的一条消息：%s", "sync: ignoring a message from the server: %s",
                 err);
        return;
    }
    if (m->sess != s->sess)
        return;                 /* answer to an earlier session */
    s->last_recv_ms = s_mono();
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
    case SL_REPLY:
        s_on_reply(s);
        break;
    case SL_ERROR:
        s_on_error(s, m);
        break;
    default:
        break;
    }
}

/* Connection events.  A connection that drops takes with it whatever was
 * queued or in flight on it, and the server at the other end may be a new
 * process that knows no session: start over at once (the HELLO goes out as
 * soon as a connection is up again) instead of waiting for a stall timer. */
static void s_on_monitor(sync_t *s)
{
    for (int i = 0; i < 64; i++) {
        int value = 0, id = sl_net_monitor_event(s->mon, &value);
        if (id == 0)
            return;
        if (id == ZMQ_EVENT_CONNECTED) {
            /* The server's machine answered (TCP): a slow handshake on a
             * busy server is not "unreachable". */
            s->reached = true;
            continue;
        }
        if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            s->handshake_failed_ms = s_mono();
        if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == SL_ZAP_BUSY) {
            s->busy_seen = true;    /* it is there: worth the whole timeout */
            s->refused_why = SL_D("服务器繁忙（同时连接的太多）；本站点会自己再试",
                                  "the server is busy (too many connections at once); this site "
                                  "tries again by itself");
        } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            s->refused_why = SL_D("服务器在握手时拒绝了本站点的密钥（不认识，或还没注册）",
                                  "the server refused this site's key at the handshake (unknown "
                                  "or not yet enrolled key)");
        } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                   || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            s->refused_why = SL_D("加密握手失败（本站点设置里的服务器公钥不对，或服务器没有用 CurveZMQ）",
                                  "the secure handshake failed (wrong server key in this site's "
                                  "setup, or the server does not use CurveZMQ)");
        } else if (id == ZMQ_EVENT_DISCONNECTED) {
            s->link_up = false;
            if (!s_opening(s) || !s->hello_unsent)
                s_restart(s, SL_D("与服务器的连接断了", "connection to the server lost"));
        } else if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            /* A new connection: nothing sent before it went over it. */
            s->link_up = true;
            s->reconnect_ms = RECONNECT_FIRST_MS;
            s->ever_up = true;
            s->refused_why = NULL;
            if (!s_opening(s) || !s->hello_unsent) {
                s_restart(s, SL_D("与服务器建立了新连接", "new connection to the server"));
            } else {
                /* The socket may attach the connection a moment after this
                 * event: then s_timers sends the HELLO on its next turn. */
                s->hello_unsent = s_send_out(s) != 0;
                if (!s->hello_unsent)
                    s->hello_sent_ms = s_mono();
            }
        }
    }
}

static bool s_level(sync_t *s)
{
    return s->phase == PHASE_STREAMING && s->acked >= s->local_last && s->ninflight == 0
           && s->cursor >= s->log_head && !s->pull_inflight;
}

static void s_timers(sync_t *s)
{
    int64_t now = s_mono();
    if (s->handshake_failed_ms && now - s->handshake_failed_ms >= s->hello_wait_ms) {
        /* libzmq may stop retrying a connection whose handshake was
         * refused: make a new socket (a key may have been registered since,
         * or a rotation finished). */
        char err[300];
        s->handshake_failed_ms = 0;
        s->hello_wait_ms = s->hello_wait_ms * 2 > HELLO_MAX_MS ? HELLO_MAX_MS : s->hello_wait_ms * 2;
        if (s_take_new_key(s))
            return;
        if (s_connect(s, err, sizeof err)) {
            s_finish(s, SITE_SYNC_FAILED, "%s", "%s", err);
            return;
        }
        s_restart(s, SL_D("握手被拒绝；再试一次", "handshake refused; trying again"));
        return;
    }
    if (s_opening(s) || s->phase == PHASE_ROTATE) {
        if (s->hello_unsent && s->phase != PHASE_ROTATE) {
            s->hello_unsent = s_send_out(s) != 0;
            if (!s->hello_unsent) {
                s->hello_sent_ms = now;
            } else if (now - s->hello_sent_ms >= s->reconnect_ms) {
                char err[300];
                sl_tinfo("sync：%2$lld 秒没有连上 %1$s；换一个新连接再试",
                         "sync: no connection to %s for %lld s; trying with a new connection",
                         s->endpoint, (long long) ((now - s->hello_sent_ms) / 1000));
                s->reconnect_ms = s->reconnect_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS
                                                                         : s->reconnect_ms * 2;
                if (s_connect(s, err, sizeof err)) {
                    s_finish(s, SITE_SYNC_FAILED, "%s", "%s", err);
                    return;
                }
                s_restart(s, SL_D("还没有连上", "no connection yet"));
            }
        } else if (now - s->hello_sent_ms >= (s->link_up && !s->backing_off
                                              && s->hello_wait_ms < HELLO_LIVE_MS
                                              ? HELLO_LIVE_MS : s->hello_wait_ms)) {
            s->hello_wait_ms = s->hello_wait_ms * 2 > HELLO_MAX_MS ? HELLO_MAX_MS
                                                                   : s->hello_wait_ms * 2;
            s_restart(s, s->phase == PHASE_ROTATE ? SL_D("更换密钥没有回答", "no answer to the key rotation")
                                                  : SL_D("还没有回答", "no answer yet"));
        }
        return;
    }
    /* A one-shot sync starts over at least once before it gives up. */
    int64_t stall = STALL_MS;
    if (!s->opts->watch && s->opts->connect_timeout_ms / 2 < stall)
        stall = s->opts->connect_timeout_ms / 2;
    bool waiting = s->ninflight || s->pull_inflight || s->fetch_inflight;
    if (waiting && now - s->last_recv_ms > stall) {
        s_restart(s, SL_D("服务器没有回答", "no answer from the server"));
        return;
    }
    if (s->opts->watch) {
        if (now - s->last_recv_ms > 3 * (int64_t) s->heartbeat_ms + 1000) {
            s_restart(s, SL_D("服务器没有动静", "server silent"));
            return;
        }
        if (now - s->last_send_ms >= s->heartbeat_ms) {
            sl_msg_t p = { .type = SL_PING, .sess = s->sess };
            /* Telemetry rides on one PING every telemetry_minutes. */
            char minutes[16];
            site_commands_setting(s->store, "telemetry_minutes", minutes, sizeof minutes);
            int64_t every = strtoll(minutes, NULL, 10) * 60000;
            if (now - s->tm_sent_ms >= (every > 0 ? every : 60000)) {
                site_store_telemetry(s->store, s->opts->data_dir, &p.tm, s->tm_error,
                                     sizeof s->tm_error);
                s->tm_sent_ms = now;
            }
            sl_msg_encode(&p, &s->out);
            s_send_out(s);
        }
    }
}

static void s_disconnect(sync_t *s)
{
    sl_net_client_close(&s->sock, &s->mon);
}

/* (Re)creates the socket with the key in force: the enrollment key until
 * enrolled, then the site's own key.  The monitor is attached before the
 * connect (sl_net.c): a lost HANDSHAKE_SUCCEEDED would leave link_up false
 * and the HELLO unsent for good. */
static int s_connect(sync_t *s, char *err, size_t errlen)
{
    s_disconnect(s);
    sl_net_curve_t curve = { .server_public = s->server_public,
                             .keys = s->enrolling ? &s->enroll : &s->keys };
    s->link_up = false;
    s->sock = sl_net_client_socket(s->endpoint, s->secure ? &curve : NULL,
                                   ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED
                                   | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                   | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                   | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                   | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &s->mon,
                                   err, errlen);
    return s->sock ? 0 : -1;
}

static void s_key_path(sync_t *s, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", s->opts->data_dir ? s->opts->data_dir : ".", name);
}

/* Reads the keys this site needs.  A store without the server's public key
 * is a plaintext site (for a server run with --insecure). */
static int s_load_keys(sync_t *s, char *err, size_t errlen)
{
    char path[600];
    site_store_meta(s->store, "server_public", s->server_public, sizeof s->server_public);
    s->secure = s->server_public[0] != 0;
    if (!s->secure)
        return 0;
    if (!sl_key_valid(s->server_public)) {
        sl_tf(err, errlen, "site.db 里保存的服务器公钥格式不对",
              "the server public key stored in site.db is malformed");
        return -1;
    }
    s_key_path(s, "site.key", path, sizeof path);
    if (sl_keyfile_read(path, &s->keys, err, errlen))
        return -1;
    s_key_path(s, "enroll.key", path, sizeof path);
    if (access(path, F_OK) == 0) {
        if (sl_keyfile_read(path, &s->enroll, err, errlen))
            return -1;
        s->enrolling = true;
    }
    s_key_path(s, "site.key.next", path, sizeof path);
    if (access(path, F_OK) == 0) {
        /* An interrupted rotation: finish it with the same new key. */
        if (sl_keyfile_read(path, &s->next, err, errlen))
            return -1;
        s->rotating = true;
    } else if (s->opts->rotate) {
        if (sl_keypair_new(&s->next)
            || sl_keyfile_write(path, &s->next, "shuanglian site key (rotation in progress)",
                                err, errlen))
            return -1;
        s->rotating = true;
    }
    return 0;
}

static void s_enroll(sync_t *s)
{
    s->backing_off = false;
    s->sess++;
    s->phase = PHASE_ENROLL;
    const char *site = site_store_site_id(s->store);
    sl_msg_t e = { .type = SL_ENROLL, .sess = s->sess, .site = site, .site_len = strlen(site) };
    zmq_z85_decode(e.key, s->keys.public_z85);
    sl_msg_encode(&e, &s->out);
    s->hello_unsent = s_send_out(s) != 0;
    s->hello_sent_ms = s_mono();
}

static void s_rotate(sync_t *s)
{
    s->phase = PHASE_ROTATE;
    sl_msg_t r = { .type = SL_ROTATE, .sess = s->sess };
    zmq_z85_decode(r.key, s->next.public_z85);
    sl_msg_encode(&r, &s->out);
    if (s_send_out(s) != 0)
        s_restart(s, SL_D("无法发出更换密钥的请求", "cannot send the key rotation"));
    s->hello_sent_ms = s_mono();
}

/* The server answered ENROLL or ROTATE with REPLY: switch keys, start over. */
static void s_on_reply(sync_t *s)
{
    char path[600], next[600], err[300];
    if (s->phase == PHASE_ENROLL) {
        s_key_path(s, "enroll.key", path, sizeof path);
        unlink(path);
        memset(&s->enroll, 0, sizeof s->enroll);
        s->enrolling = false;
        s->report->enrolled = true;
        sl_tinfo("sync：注册完成；今后本站点用自己的密钥连接",
                 "sync: enrolled; from now on this site connects with its own key");
    } else if (s->phase == PHASE_ROTATE) {
        s_key_path(s, "site.key", path, sizeof path);
        s_key_path(s, "site.key.next", next, sizeof next);
        if (rename(next, path) != 0) {
            s_finish(s, SITE_SYNC_FAILED, "无法装上新密钥 %s：%s", "cannot install the new key %s: %s",
                     next, strerror(errno));
            return;
        }
        s->keys = s->next;
        memset(&s->next, 0, sizeof s->next);
        s->rotating = false;
        s->report->rotated = true;
        sl_tinfo("sync：密钥已更换；旧密钥从这次连接起失效",
                 "sync: key rotated; the old key stops working at this connection");
    } else {
        return;
    }
    if (s_connect(s, err, sizeof err)) {
        s_finish(s, SITE_SYNC_FAILED, "%s", "%s", err);
        return;
    }
    s_hello(s);
}

site_sync_result_t site_sync_run(site_store_t *store, const site_sync_opts_t *opts,
                                 site_sync_report_t *report)
{
    memset(report, 0, sizeof *report);
    /* What the sync says is kept (status), sent (telemetry, a command's
     * result) or printed later: written in both languages (sl_lang.h). */
    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    sync_t s = { .store = store, .opts = opts, .report = report,
                 .cmds = { .data_dir = opts->data_dir } };
    const char *endpoint = opts->endpoint ? opts->endpoint : site_store_server(store);
    char err[300];
    s.endpoint = endpoint;
    msgpack_sbuffer_init(&s.out);
    s.cursor = report->cursor_before = site_store_cursor(store);
    report->acked_before = site_store_acked(store);
    if (s_load_keys(&s, err, sizeof err) || s_connect(&s, err, sizeof err)) {
        s_finish(&s, SITE_SYNC_FAILED, "%s", "%s", err);
        goto report;
    }
    s.sess = (uint64_t) sl_now_ms() * 1000;
    s.hello_wait_ms = HELLO_FIRST_MS;
    s.reconnect_ms = RECONNECT_FIRST_MS;
    s.heartbeat_ms = SL_HEARTBEAT_MS;
    s.credit = 1;
    s.max_batch = SL_DEFAULT_BATCH_EVENTS;
    int64_t started = s_mono(), turn = started;
    s.last_progress_ms = started;
    site_store_changed(store);
    if (s.enrolling)
        s_enroll(&s);
    else
        s_hello(&s);

    while (!s.done && !s_stop) {
        zmq_pollitem_t items[2] = { { zsock_resolve(s.sock), 0, ZMQ_POLLIN, 0 },
                                    { s.mon ? zsock_resolve(s.mon) : NULL, 0, ZMQ_POLLIN, 0 } };
        int rc = zmq_poll(items, s.mon ? 2 : 1, 100);
        if (rc < 0 && errno != EINTR) {
            s_finish(&s, SITE_SYNC_FAILED, "等待网络出错：%s", "poll failed: %s", zmq_strerror(errno));
            break;
        }
        for (int i = 0; rc > 0 && (items[0].revents & ZMQ_POLLIN) && i < 64 && !s.done; i++) {
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
        if (rc > 0 && s.mon && (items[1].revents & ZMQ_POLLIN) && !s.done)
            s_on_monitor(&s);
        int64_t now = s_mono();
        if (now - turn > SUSPENDED_MS) {
            /* This process did not run (SIGSTOP, a suspended machine, a disk
             * that hung): that time was not the server's silence.  Give the
             * server its full timeout from now; a connection that died
             * meanwhile is reported by the monitor and starts us over. */
            sl_tinfo("sync：本进程停顿了 %lld 秒；计时重新开始",
                     "sync: this process was held up for %lld s; timers restart",
                     (long long) ((now - turn) / 1000));
            started = s.last_recv_ms = s.last_progress_ms = now;
            if (s.phase == PHASE_HELLO)
                s.hello_sent_ms = now;
        }
        turn = now;
        if (s.done)
            break;
        if (opts->watch) {
            if (site_store_changed(store)) {
                s.local_last = site_store_last_seq(store);
                s_pump(&s);
            }
        } else if (s_level(&s)) {
            s_finish(&s, SITE_SYNC_OK, "与服务器一致", "level with the server");
            break;
        } else if (s.mon && !s.reached && !s.ever_up && !s.busy_seen
                   && now - started > (opts->connect_wait_ms > 0 ? opts->connect_wait_ms
                                                                 : CONNECT_WAIT_MS)
                   && now - started < opts->connect_timeout_ms) {
            /* Not even a connection: say so now, not after the whole
             * timeout (nothing is lost; the records wait here). */
            s_finish(&s, SITE_SYNC_UNREACHABLE, "%d 秒内连不上服务器 %s（服务器没有运行、地址不对，或网络不通）",
                     "cannot connect to server %2$s within %1$d s (it is down, the address is "
                     "wrong, or the network is out)", (opts->connect_wait_ms > 0
                                                       ? opts->connect_wait_ms
                                                       : CONNECT_WAIT_MS) / 1000, endpoint);
            break;
        } else if (now - s.last_progress_ms > opts->connect_timeout_ms) {
            /* Measured from the last progress, not the last message: a
             * server that answers HELLO but never commits (full disk, a
             * black hole) must not keep a one-shot sync running forever. */
            bool heard = s.welcomed_once && now - s.last_recv_ms <= opts->connect_timeout_ms;
            s_finish(&s, SITE_SYNC_UNREACHABLE, "服务器 %1$s 在 %3$d 秒内%2$s%4$s%5$s",

                     "server %s %s for %d s%s%s", endpoint,
                     !s.welcomed_once ? SL_D("没有回答", "did not answer")
                     : s.server_seq > s.local_last && heard
                     ? SL_D("有回答，但没能把本站点的记录发回来",
                            "answered but could not send this site's records back")
                     : heard ? SL_D("有回答，但什么也没保存", "answered but committed nothing")
                     : SL_D("没有了动静", "went silent"),
                     opts->connect_timeout_ms / 1000,
                     s.server_error[0] ? SL_D("；服务器说：", "; the server said: ") : "",
                     s.server_error);
            break;
        }
        s_timers(&s);
    }
    if (!s.done && opts->watch && s.welcomed_once)
        s_finish(&s, SITE_SYNC_OK, "已停止", "stopped");
    else if (!s.done && opts->watch)
        s_finish(&s, SITE_SYNC_UNREACHABLE, "服务器回答之前就停止了", "stopped before the server answered");
    else if (!s.done)
        s_finish(&s, SITE_SYNC_FAILED, "在与服务器一致之前被打断了（什么也没有丢失；请再同步）",
                 "interrupted before the site was level with the server (nothing is lost; sync "
                 "again)");
    if (report->result == SITE_SYNC_UNREACHABLE && s.refused_why) {
        size_t used = strlen(report->text);
        snprintf(report->text + used, sizeof report->text - used, ": %s", s.refused_why);
    }

report:
    report->local_last = site_store_last_seq(store);
    report->acked_after = site_store_acked(store);
    report->server_seq = s.acked > s.server_seq ? s.acked : s.server_seq;
    if (!s.welcomed_once && report->acked_before > report->server_seq)
        report->server_seq = report->acked_before;   /* as last known */
    report->cursor_after = site_store_cursor(store);
    report->log_head = s.log_head;
    char code[8];
    snprintf(code, sizeof code, "%d", (int) report->result);
    site_store_set_meta(store, "last_sync_code", code);     /* for status's one line */
    site_store_note_sync(store, report->result == SITE_SYNC_OK ? "ok" : report->text,
                         report->server_seq, report->log_head);
    sl_msg_reset(&s.msg);
    msgpack_sbuffer_destroy(&s.out);
    s_disconnect(&s);
    memset(&s.keys, 0, sizeof s.keys);
    memset(&s.enroll, 0, sizeof s.enroll);
    memset(&s.next, 0, sizeof s.next);
    sl_lang_use(was);
    return report->result;
}


/* ---- for tests and fuzzing ------------------------------------------------------------ */

int site_sync_replay(site_store_t *store, const site_sync_opts_t *opts, const uint8_t *data,
                     size_t size, site_sync_report_t *report)
{
    memset(report, 0, sizeof *report);
    sync_t s = { .store = store, .opts = opts, .report = report,
                 .cmds = { .data_dir = opts->data_dir } };
    s.endpoint = opts->endpoint ? opts->endpoint : site_store_server(store);
    msgpack_sbuffer_init(&s.out);
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    s.cursor = report->cursor_before = site_store_cursor(store);
    report->acked_before = site_store_acked(store);
    s.sess = 1000;
    s.hello_wait_ms = HELLO_FIRST_MS;
    s.reconnect_ms = RECONNECT_FIRST_MS;
    s.heartbeat_ms = SL_HEARTBEAT_MS;
    s.credit = 1;
    s.max_batch = SL_DEFAULT_BATCH_EVENTS;
    s_hello(&s);                /* no socket: nothing is sent */
    size_t pos = 0;
    while (!s.done && pos + 2 <= size) {
        size_t len = (size_t) data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        /* The server answers the session the site is in: adopt it, so that
         * fuzzed replies reach the handlers instead of being ignored. */
        sl_msg_t m;
        char err[300];
        memset(&m, 0, sizeof m);
        const uint8_t *bytes = data + pos;
        size_t n = len;
        if (sl_msg_decode(&m, bytes, n, err, sizeof err) == 0) {
            m.sess = s.sess;
            if (m.type == SL_EVENTS && m.nevents) {
                /* And continue the local chain, so restored records reach
                 * the store and the fold. */
                uint64_t last = site_store_last_seq(store);
                uint8_t prev[SL_HASH_BYTES];
                site_store_hash_at(store, last, prev);
                for (size_t i = 0; i < m.nevents; i++) {
                    m.events[i].seq = last + 1 + i;
                    memcpy(m.events[i].prev, prev, SL_HASH_BYTES);
                    sl_event_hash(&m.events[i], site_store_site_id(store),
                                  strlen(site_store_site_id(store)), m.events[i].hash);
                    memcpy(prev, m.events[i].hash, SL_HASH_BYTES);
                }
            }
            msgpack_sbuffer_clear(&frame);
            sl_msg_encode(&m, &frame);
            bytes = (const uint8_t *) frame.data;
            n = frame.size;
        }
        s_on_message(&s, bytes, n);
        sl_msg_reset(&s.msg);
        sl_msg_reset(&m);
        pos += len;
    }
    msgpack_sbuffer_destroy(&frame);
    msgpack_sbuffer_destroy(&s.out);
    s_disconnect(&s);
    return s.done ? (int) report->result : 0;
}
