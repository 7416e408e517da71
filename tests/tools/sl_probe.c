/* sl-probe: a scriptable protocol peer for integration tests.
 *
 *   sl-probe --endpoint EP [--data SITEDIR] [--wait MS] OP…
 *
 * Connects one DEALER to the server (the same socket a site uses) and runs
 * the operations in order, printing one machine-readable line per reply:
 *
 *   TYPE op=OP [from=N to=M] sess=S key=value…      (a reply)
 *   NONE op=OP …                                     (no reply within --wait)
 *
 * Operations (events come from the site store in SITEDIR, read-only):
 *   hello               HELLO as the site (its last seq and hash, its cursor, and
 *                       the telemetry it would send: outbox, clock, disk …)
 *   batch FROM TO       BATCH of the site's events FROM..TO; wait for its reply
 *   send FROM TO        the same, without waiting (pipelining)
 *   replies K           wait for K replies to earlier sends
 *   alter FROM TO SEQ   BATCH FROM..TO where event SEQ has other content
 *                       (wall_ms + 1000) and a hash recomputed to match it
 *   forge FROM TO SEQ   the same, but event SEQ keeps its original hash
 *   ping                PING in the current session
 *   raw HEX             one raw frame given in hex; print the first reply
 *   rawfile FILE        one raw frame per line of FILE (hex); a reply each
 *   sleep MS            pause
 *   event TYPE HEX      BATCH of one new event on top of the site's chain (seq
 *                       last+1, prev = hash of the last event, a new id, hash
 *                       computed for the claimed site) with record type TYPE and
 *                       payload HEX (any bytes: schema tests); wait for its reply
 *   pair T1 H1 T2 H2    BATCH of two such new events, chained (a valid record and
 *                       a refused one: nothing of the batch may be stored)
 *   admin VERB          ADMIN request VERB without arguments; print the reply
 *   big BYTES           one frame of BYTES garbage bytes (over ZMQ_MAXMSGSIZE:
 *                       the server drops the connection); prints DROPPED when
 *                       the connection went down within --wait (and waits for
 *                       the reconnection: reconnected=1), else the reply
 *   flood N             N varied garbage frames as fast as the socket takes
 *                       them, without waiting for replies (those that come are
 *                       drained and counted); prints FLOODING when the first
 *                       frame is out, FLOOD sent=… replies=… errors=… ms=… at the end
 *
 * A message that cannot be sent within --wait (no connection: the handshake
 * is refused, or nothing listens) prints UNSENT op=OP and the run goes on.
 * NONE and UNSENT lines end with mon=…, the connection events seen so far
 * (connected, handshake_ok, auth_failed, protocol_failed, disconnected).
 *
 *   sl-probe keygen FILE
 *
 * Writes a fresh CURVE key pair to FILE (0600), in the key-file format of
 * site.key: a key no server knows.
 *
 *   sl-probe --bind EP blackhole SECONDS
 *
 * A server that is not one: answers HELLO with WELCOME (it has nothing of
 * the site) and PING with PONG, takes BATCHes and never acknowledges them.
 * Prints a line per message received (HELLO, BATCH, …) for SECONDS.  For
 * testing how a site notices a server that stalls.
 *
 * Exit status: 0 when every operation ran (whatever the server answered,
 * even nothing), 1 on a local failure, 64 on a usage error. */
#include "site_store.h"
#include "sl_id.h"
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_hlc.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_net.h"
#include <czmq.h>
#include <sodium.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    zsock_t *sock;
    zsock_t *mon;               /* connection events of sock (may be NULL) */
    int ev_connected, ev_ok, ev_auth, ev_proto, ev_disc;
    site_store_t *store;
    const char *site_id;
    uint64_t sess;
    int wait_ms;
    msgpack_sbuffer out;
    const char *op;             /* label printed with each reply */
    uint64_t from, to;
    const char *data;           /* SITEDIR, for the HELLO's telemetry */
} probe_t;

static void s_usage(void)
{
    fprintf(stderr, "usage: sl-probe --endpoint EP [--data SITEDIR] [--wait MS]\n"
                    "                [--keyfile FILE --server-public Z85] [--as-site ID] OP…\n"
                    "       sl-probe --bind EP blackhole SECONDS\n"
                    "       sl-probe keygen FILE\n"
                    "ops: hello | batch FROM TO | send FROM TO | replies K | alter FROM TO SEQ |\n"
                    "     forge FROM TO SEQ | ping | raw HEX | rawfile FILE | sleep MS |\n"
                    "     event TYPE HEX | admin VERB | big BYTES | flood N |\n"
                    "     fetchflood N | pingflood N | rotate\n");
}

/* Reads pending connection events of the probe's socket into the counters. */
static void s_monitor(probe_t *p)
{
    if (!p->mon)
        return;
    for (int id; (id = sl_net_monitor_event(p->mon, NULL)) != 0;) {
        if (id == ZMQ_EVENT_CONNECTED)
            p->ev_connected++;
        else if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            p->ev_ok++;
        else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            p->ev_auth++;
        else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            p->ev_proto++;
        else if (id == ZMQ_EVENT_DISCONNECTED)
            p->ev_disc++;
    }
}

static void s_print_mon(probe_t *p)
{
    s_monitor(p);
    printf(" mon=connected:%d,handshake_ok:%d,auth_failed:%d,protocol_failed:%d,"
           "disconnected:%d", p->ev_connected, p->ev_ok, p->ev_auth, p->ev_proto, p->ev_disc);
}

static void s_label(const probe_t *p);

/* Sends p->out, retrying while no connection is up (the socket is
 * ZMQ_IMMEDIATE), for at most --wait ms.  Returns 0 when sent, 1 when no
 * connection took it (UNSENT printed: the server refused the handshake or is
 * not there), -1 on another error. */
static int s_send(probe_t *p)
{
    int64_t deadline = sl_now_ms() + p->wait_ms;
    while (sl_net_send(p->sock, NULL, 0, p->out.data, p->out.size) != 0) {
        if (errno != EAGAIN) {
            fprintf(stderr, "sl-probe: cannot send (%s)\n", zmq_strerror(errno));
            return -1;
        }
        if (sl_now_ms() >= deadline) {
            printf("UNSENT");
            s_label(p);
            s_print_mon(p);
            printf("\n");
            fflush(stdout);
            return 1;
        }
        zclock_sleep(10);
    }
    return 0;
}

static void s_print_text(const char *s, size_t len)
{
    /* A dual text (sl_lang.h: the server's ERRORs) is shown as a site shows
     * it: rendered for the reader. */
    static char shown[2 * SL_MAX_TEXT_BYTES + 1];
    len = sl_lang_render_as(sl_lang_reader(), s, len, shown, sizeof shown);
    s = shown;
    putchar('"');
    for (size_t i = 0; i < len; i++)
        putchar(s[i] == '"' || s[i] == '\n' || s[i] == '\t' ? ' ' : s[i]);
    putchar('"');
}

static void s_label(const probe_t *p)
{
    printf(" op=%s", p->op);
    if (p->from || p->to)
        printf(" from=%llu to=%llu", (unsigned long long) p->from, (unsigned long long) p->to);
}

static void s_print(const probe_t *p, const sl_msg_t *m)
{
    printf("%s", sl_msg_type_name(m->type));
    s_label(p);
    printf(" sess=%llu", (unsigned long long) m->sess);
    switch (m->type) {
    case SL_WELCOME:
        printf(" server_seq=%llu match_seq=%llu log_head=%llu credit=%u max_batch=%u",
               (unsigned long long) m->server_seq, (unsigned long long) m->match_seq,
               (unsigned long long) m->log_head, m->credit, m->max_batch);
        break;
    case SL_ACK:
        printf(" acked=%llu log_head=%llu", (unsigned long long) m->acked,
               (unsigned long long) m->log_head);
        break;
    case SL_ERROR:
        printf(" code=%u name=%s seq=%llu expected=%llu field=%.*s text=", m->code,
               sl_error_name((int) m->code), (unsigned long long) m->seq,
               (unsigned long long) m->expected, (int) m->field_len,
               m->field ? m->field : "");
        s_print_text(m->text ? m->text : "", m->text ? m->text_len : 0);
        break;
    case SL_PONG:
        printf(" log_head=%llu", (unsigned long long) m->log_head);
        break;
    case SL_EVENTS:
        printf(" server_seq=%llu events=%zu", (unsigned long long) m->server_seq, m->nevents);
        break;
    default:
        break;
    }
    printf("\n");
    fflush(stdout);
}

/* Waits for a reply.  any: the first frame whatever its session (raw
 * frames); otherwise the first in the current session that is not a PONG
 * (the server announces log changes with PONGs at any time).  Returns 1
 * when one was printed, 0 on timeout. */
static int s_reply(probe_t *p, bool any)
{
    int64_t deadline = sl_now_ms() + p->wait_ms;
    for (;;) {
        int64_t left = deadline - sl_now_ms();
        if (left <= 0)
            break;
        zmq_pollitem_t item = { zsock_resolve(p->sock), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&item, 1, (long) left) <= 0)
            continue;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, zsock_resolve(p->sock), ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            continue;
        }
        sl_msg_t m = { 0 };
        char err[300];
        int code = sl_msg_decode(&m, zmq_msg_data(&frame), zmq_msg_size(&frame), err, sizeof err);
        int done = 0;
        if (code) {
            printf("UNDECODABLE");
            s_label(p);
            printf(" bytes=%zu code=%d text=", zmq_msg_size(&frame), code);
            s_print_text(err, strlen(err));
            printf("\n");
            done = any;
        } else if (any || (m.sess == p->sess && m.type != SL_PONG)) {
            s_print(p, &m);
            done = 1;
        }
        sl_msg_reset(&m);
        zmq_msg_close(&frame);
        if (done)
            return 1;
    }
    printf("NONE");
    s_label(p);
    s_print_mon(p);
    printf("\n");
    fflush(stdout);
    return 0;
}

static int s_need_store(probe_t *p)
{
    if (!p->store) {
        fprintf(stderr, "sl-probe: op %s needs --data SITEDIR\n", p->op);
        return -1;
    }
    return 0;
}

static int s_hello(probe_t *p)
{
    if (s_need_store(p))
        return -1;
    p->sess++;
    uint64_t last = site_store_last_seq(p->store);
    sl_msg_t h = { .type = SL_HELLO, .sess = p->sess, .site = p->site_id,
                   .site_len = strlen(p->site_id), .last_seq = last,
                   .cursor = site_store_cursor(p->store), .hlc = site_store_hlc(p->store),
                   .agent = "sl-probe", .agent_len = 8 };
    if (site_store_hash_at(p->store, last, h.last_hash))
        return -1;
    /* The telemetry the site itself would send (PROTOCOL.md 4.1.1). */
    char last_error[SL_MAX_TELEMETRY_TEXT + 1];
    site_store_telemetry(p->store, p->data, &h.tm, last_error, sizeof last_error);
    sl_msg_encode(&h, &p->out);
    int rc = s_send(p);
    if (rc == 0)
        s_reply(p, false);
    return rc < 0 ? -1 : 0;
}

/* Packs events from..to into p->out; with alter_seq, that event gets other
 * content (wall_ms + 1000), its hash recomputed when rehash. */
static int s_pack(probe_t *p, uint64_t from, uint64_t to, uint64_t alter_seq, bool rehash)
{
    if (s_need_store(p))
        return -1;
    if (from < 1 || to < from || to - from >= SL_MAX_BATCH_EVENTS) {
        fprintf(stderr, "sl-probe: bad range %llu..%llu\n", (unsigned long long) from,
                (unsigned long long) to);
        return -1;
    }
    if (site_store_pack_batch(p->store, p->sess, from, to, &p->out))
        return -1;
    if (!alter_seq)
        return 0;
    if (alter_seq < from || alter_seq > to) {
        fprintf(stderr, "sl-probe: event %llu is not in %llu..%llu\n",
                (unsigned long long) alter_seq, (unsigned long long) from,
                (unsigned long long) to);
        return -1;
    }
    sl_msg_t m = { 0 };
    char err[300];
    if (sl_msg_decode(&m, (const uint8_t *) p->out.data, p->out.size, err, sizeof err)) {
        fprintf(stderr, "sl-probe: cannot decode our own batch: %s\n", err);
        return -1;
    }
    msgpack_sbuffer copy;
    msgpack_sbuffer_init(&copy);
    sl_msg_encode_events_begin(&copy, SL_BATCH, p->sess, 0, m.nevents);
    for (size_t i = 0; i < m.nevents; i++) {
        sl_event_t ev = m.events[i];
        if (ev.seq == alter_seq) {
            ev.wall_ms += 1000;
            if (rehash)
                sl_event_hash(&ev, p->site_id, strlen(p->site_id), ev.hash);
        }
        sl_msg_encode_event(&copy, &ev);
    }
    sl_msg_reset(&m);
    msgpack_sbuffer_clear(&p->out);
    msgpack_sbuffer_write(&p->out, copy.data, copy.size);
    msgpack_sbuffer_destroy(&copy);
    return 0;
}

static int s_hex_frame(probe_t *p, const char *hex)
{
    size_t len = strlen(hex);
    while (len && (hex[len - 1] == '\n' || hex[len - 1] == '\r' || hex[len - 1] == ' '))
        len--;
    if (len % 2) {
        fprintf(stderr, "sl-probe: odd number of hex digits\n");
        return -1;
    }
    msgpack_sbuffer_clear(&p->out);
    for (size_t i = 0; i < len; i += 2) {
        unsigned int byte;
        char two[3] = { hex[i], hex[i + 1], 0 };
        if (sscanf(two, "%2x", &byte) != 1) {
            fprintf(stderr, "sl-probe: not hex: %s\n", two);
            return -1;
        }
        char c = (char) byte;
        msgpack_sbuffer_write(&p->out, &c, 1);
    }
    int rc = s_send(p);
    if (rc == 0)
        s_reply(p, true);
    return rc < 0 ? -1 : 0;
}

/* Parses HEX into a new buffer (*out, *len); -1 on bad hex. */
static int s_unhex(const char *hex, uint8_t **out, size_t *len)
{
    size_t n = strlen(hex);
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' '))
        n--;
    if (n % 2) {
        fprintf(stderr, "sl-probe: odd number of hex digits\n");
        return -1;
    }
    *out = malloc(n / 2 + 1);
    if (!*out)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        unsigned int byte;
        char two[3] = { hex[i], hex[i + 1], 0 };
        if (sscanf(two, "%2x", &byte) != 1) {
            fprintf(stderr, "sl-probe: not hex: %s\n", two);
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[i / 2] = (uint8_t) byte;
    }
    *len = n / 2;
    return 0;
}

/* event TYPE HEX: one new event continuing the site's chain, in a BATCH. */
static int s_event(probe_t *p, const char *type, const char *hex)
{
    if (s_need_store(p))
        return -1;
    uint8_t *payload;
    size_t plen;
    if (s_unhex(hex, &payload, &plen))
        return -1;
    uint64_t last = site_store_last_seq(p->store);
    sl_event_t ev = { .seq = last + 1, .type = type, .type_len = strlen(type),
                      .payload = payload, .payload_len = plen };
    ev.hlc = sl_hlc_next(site_store_hlc(p->store), sl_now_ms());
    ev.wall_ms = sl_now_ms();
    sl_id_new(ev.id, ev.hlc);
    if (site_store_hash_at(p->store, last, ev.prev)) {
        free(payload);
        return -1;
    }
    sl_event_hash(&ev, p->site_id, strlen(p->site_id), ev.hash);
    sl_msg_encode_events_begin(&p->out, SL_BATCH, p->sess, 0, 1);
    sl_msg_encode_event(&p->out, &ev);
    free(payload);
    int rc = s_send(p);
    if (rc == 0)
        s_reply(p, false);
    return rc < 0 ? -1 : 0;
}

/* rotate: a ROTATE with a fresh random public key (nobody holds its secret:
 * what a site key that registers keys in a loop would send). */
static int s_rotate(probe_t *p)
{
    sl_keypair_t kp;
    if (sl_keypair_new(&kp))
        return -1;
    sl_msg_t m = { .type = SL_ROTATE, .sess = p->sess };
    zmq_z85_decode(m.key, kp.public_z85);
    memset(&kp, 0, sizeof kp);
    sl_msg_encode(&m, &p->out);
    int rc = s_send(p);
    if (rc == 0)
        s_reply(p, false);
    return rc < 0 ? -1 : 0;
}

/* pair TYPE1 HEX1 TYPE2 HEX2: one BATCH of two new events on top of the
 * site's chain (as `event`, chained to each other): a valid record followed
 * by a refused one shows that nothing of a refused batch is stored. */
static int s_pair(probe_t *p, char **args)
{
    if (s_need_store(p))
        return -1;
    uint8_t *payload[2] = { NULL, NULL };
    size_t plen[2];
    if (s_unhex(args[1], &payload[0], &plen[0]) || s_unhex(args[3], &payload[1], &plen[1])) {
        free(payload[0]);
        return -1;
    }
    uint64_t last = site_store_last_seq(p->store);
    sl_event_t ev[2];
    uint64_t hlc = site_store_hlc(p->store);
    uint8_t prev[SL_HASH_BYTES];
    if (site_store_hash_at(p->store, last, prev)) {
        free(payload[0]);
        free(payload[1]);
        return -1;
    }
    sl_msg_encode_events_begin(&p->out, SL_BATCH, p->sess, 0, 2);
    for (int i = 0; i < 2; i++) {
        ev[i] = (sl_event_t) { .seq = last + 1 + (uint64_t) i, .type = args[2 * i],
                               .type_len = strlen(args[2 * i]), .payload = payload[i],
                               .payload_len = plen[i] };
        hlc = sl_hlc_next(hlc, sl_now_ms());
        ev[i].hlc = hlc;
        ev[i].wall_ms = sl_now_ms();
        sl_id_new(ev[i].id, ev[i].hlc);
        memcpy(ev[i].prev, prev, SL_HASH_BYTES);
        sl_event_hash(&ev[i], p->site_id, strlen(p->site_id), ev[i].hash);
        memcpy(prev, ev[i].hash, SL_HASH_BYTES);
        sl_msg_encode_event(&p->out, &ev[i]);
    }
    free(payload[0]);
    free(payload[1]);
    int rc = s_send(p);
    if (rc == 0)
        s_reply(p, false);
    return rc < 0 ? -1 : 0;
}

/* admin VERB: an ADMIN request without arguments, in its own sess. */
static int s_admin(probe_t *p, const char *verb)
{
    sl_msg_t m = { .type = SL_ADMIN, .sess = p->sess, .verb = verb, .verb_len = strlen(verb) };
    sl_msg_encode(&m, &p->out);
    int rc = s_send(p);
    if (rc == 0)
        s_reply(p, false);
    return rc < 0 ? -1 : 0;
}

/* big BYTES: one oversized frame.  The server's libzmq closes the
 * connection on reading its header, before the application sees it. */
static int s_big(probe_t *p, uint64_t bytes)
{
    if (bytes > 64u * 1024 * 1024) {
        fprintf(stderr, "sl-probe: big: at most 64 MiB\n");
        return -1;
    }
    s_monitor(p);
    int disc_before = p->ev_disc;
    msgpack_sbuffer_clear(&p->out);
    char chunk[4096];
    memset(chunk, 0xc1, sizeof chunk);     /* never-used msgpack byte */
    for (uint64_t done = 0; done < bytes; done += sizeof chunk)
        msgpack_sbuffer_write(&p->out, chunk, bytes - done < sizeof chunk ? bytes - done : sizeof chunk);
    int rc = s_send(p);
    msgpack_sbuffer_clear(&p->out);
    if (rc)
        return rc < 0 ? -1 : 0;
    int64_t deadline = sl_now_ms() + p->wait_ms;
    while (sl_now_ms() < deadline) {
        zmq_pollitem_t items[2] = { { zsock_resolve(p->sock), 0, ZMQ_POLLIN, 0 },
                                    { p->mon ? zsock_resolve(p->mon) : NULL, 0, ZMQ_POLLIN, 0 } };
        zmq_poll(items, p->mon ? 2 : 1, 50);
        if (items[0].revents & ZMQ_POLLIN) {
            s_reply(p, true);               /* an answer: the frame got through */
            return 0;
        }
        s_monitor(p);
        if (p->ev_disc > disc_before) {
            /* Wait for the socket's reconnection, so that the next op does
             * not go into the dropped connection's pipe (lost), then let the
             * socket process its pending commands (ZMQ_EVENTS does). */
            int ok_before = p->ev_ok, reconnected = 0;
            while (sl_now_ms() < deadline && !reconnected) {
                zmq_pollitem_t mi = { p->mon ? zsock_resolve(p->mon) : NULL, 0, ZMQ_POLLIN, 0 };
                if (p->mon)
                    zmq_poll(&mi, 1, 50);
                else
                    zclock_sleep(50);
                s_monitor(p);
                reconnected = p->ev_ok > ok_before;
            }
            zclock_sleep(20);
            int events;
            size_t size = sizeof events;
            zmq_getsockopt(zsock_resolve(p->sock), ZMQ_EVENTS, &events, &size);
            printf("DROPPED");
            s_label(p);
            printf(" bytes=%llu reconnected=%d", (unsigned long long) bytes, reconnected);
            s_print_mon(p);
            printf("\n");
            fflush(stdout);
            return 0;
        }
    }
    printf("NONE");
    s_label(p);
    printf(" bytes=%llu", (unsigned long long) bytes);
    s_print_mon(p);
    printf("\n");
    fflush(stdout);
    return 0;
}

/* The k-th garbage frame of a flood, into out: a rotation of kinds of bad
 * input, each refused by the decoder (never a valid message). */
static void s_garbage(uint64_t k, msgpack_sbuffer *out)
{
    static const char *fixed[] = {
        "94cd53",                                   /* truncated */
        "dd77359400",                               /* array32 of 2e9 in 5 bytes */
        "94cd534c020981a47365737305",               /* version 2 */
        "94cd534c011081a47365737305",               /* type 16 */
        "94cd534c010981a47365737305ff",             /* trailing byte */
        "94cd534c010981a473657373a178",             /* sess is a string */
        "df7fffffff",                               /* map32 of 2^31-1 pairs */
        "c1",                                       /* never-used byte */
        "c6ffffffff00",                             /* bin32 of 4 GiB in 6 bytes */
        "91919191919191919191",                     /* nesting deeper than 8 */
    };
    msgpack_sbuffer_clear(out);
    size_t kinds = sizeof fixed / sizeof fixed[0];
    if (k % (kinds + 1) < kinds) {
        const char *hex = fixed[k % (kinds + 1)];
        for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
            unsigned int byte;
            char two[3] = { hex[i], hex[i + 1], 0 };
            sscanf(two, "%2x", &byte);
            char c = (char) byte;
            msgpack_sbuffer_write(out, &c, 1);
        }
        return;
    }
    /* Random bytes of random length (1..300) that start like a frame. */
    uint8_t buf[300];
    size_t n = 1 + (size_t) randombytes_uniform(sizeof buf);
    randombytes_buf(buf, n);
    buf[0] = 0x94;
    if (n > 4) {
        buf[1] = 0xcd;
        buf[2] = 0x53;
        buf[3] = 0x4c;
    }
    msgpack_sbuffer_write(out, (const char *) buf, n);
}

/* flood N: N garbage frames as fast as the socket takes them. */
/* fetchflood N / pingflood N: N FETCH requests (from 1, max 2000) or N
 * PINGs in the current session, as fast as they go, and never a reply read:
 * a peer that asks and does not read (the server must bound what it queues
 * for it, and drop it). */
static int s_unread_flood(probe_t *p, uint64_t n, bool fetch)
{
    uint64_t sent = 0;
    int64_t deadline = sl_now_ms() + p->wait_ms;
    sl_msg_t f = { .type = fetch ? SL_FETCH : SL_PING, .sess = p->sess, .from = 1,
                   .max = SL_MAX_BATCH_EVENTS };
    sl_msg_encode(&f, &p->out);
    while (sent < n && sl_now_ms() < deadline) {
        if (sl_net_send(p->sock, NULL, 0, p->out.data, p->out.size) == 0) {
            sent++;
            deadline = sl_now_ms() + p->wait_ms;
        } else if (errno != EAGAIN) {
            fprintf(stderr, "sl-probe: %s: cannot send (%s)\n", p->op, zmq_strerror(errno));
            return -1;
        } else {
            zclock_sleep(1);
        }
    }
    printf("%s sent=%llu\n", fetch ? "FETCHFLOOD" : "PINGFLOOD", (unsigned long long) sent);
    fflush(stdout);
    return 0;
}

static int s_flood(probe_t *p, uint64_t n)
{
    uint64_t sent = 0, replies = 0, errors = 0;
    int64_t start = sl_now_ms(), deadline = start + p->wait_ms;
    void *raw = zsock_resolve(p->sock);
    while (sent < n) {
        s_garbage(sent, &p->out);
        if (sl_net_send(p->sock, NULL, 0, p->out.data, p->out.size) == 0) {
            if (sent++ == 0) {
                printf("FLOODING");         /* the first frame went out */
                s_label(p);
                printf("\n");
                fflush(stdout);
            }
            deadline = sl_now_ms() + p->wait_ms;
        } else if (errno != EAGAIN) {
            fprintf(stderr, "sl-probe: flood: cannot send (%s)\n", zmq_strerror(errno));
            return -1;
        } else if (sl_now_ms() >= deadline) {
            break;                          /* no connection takes anything */
        } else {
            zmq_pollitem_t item = { raw, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0 };
            zmq_poll(&item, 1, 10);
        }
        /* Drain what came back, without waiting for it. */
        for (;;) {
            zmq_msg_t frame;
            zmq_msg_init(&frame);
            if (zmq_msg_recv(&frame, raw, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&frame);
                break;
            }
            replies++;
            sl_msg_t m = { 0 };
            char err[300];
            if (sl_msg_decode(&m, zmq_msg_data(&frame), zmq_msg_size(&frame), err, sizeof err) == 0
                && m.type == SL_ERROR)
                errors++;
            sl_msg_reset(&m);
            zmq_msg_close(&frame);
        }
    }
    int64_t ms = sl_now_ms() - start;
    /* Stragglers: at most --wait ms more, or until every frame was answered. */
    int64_t end = sl_now_ms() + p->wait_ms;
    while (replies < sent && sl_now_ms() < end) {
        zmq_pollitem_t item = { raw, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, raw, ZMQ_DONTWAIT) >= 0) {
            replies++;
            sl_msg_t m = { 0 };
            char err[300];
            if (sl_msg_decode(&m, zmq_msg_data(&frame), zmq_msg_size(&frame), err, sizeof err) == 0
                && m.type == SL_ERROR)
                errors++;
            sl_msg_reset(&m);
        }
        zmq_msg_close(&frame);
    }
    printf("FLOOD");
    s_label(p);
    printf(" sent=%llu replies=%llu errors=%llu ms=%lld rate=%lld/s",
           (unsigned long long) sent, (unsigned long long) replies, (unsigned long long) errors,
           (long long) ms, (long long) (ms > 0 ? (int64_t) sent * 1000 / ms : (int64_t) sent));
    s_print_mon(p);
    printf("\n");
    fflush(stdout);
    return 0;
}

static int s_blackhole(const char *endpoint, int seconds)
{
    char err[512];
    zsock_t *sock = sl_net_server_socket(endpoint, NULL, err, sizeof err);
    if (!sock) {
        fprintf(stderr, "sl-probe: %s\n", err);
        return 1;
    }
    printf("LISTENING endpoint=%s\n", endpoint);
    fflush(stdout);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    void *raw = zsock_resolve(sock);
    int64_t end = sl_now_ms() + (int64_t) seconds * 1000;
    while (sl_now_ms() < end) {
        zmq_pollitem_t item = { raw, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&id, raw, ZMQ_DONTWAIT) < 0 || !zmq_msg_more(&id)
            || zmq_msg_recv(&body, raw, 0) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            continue;
        }
        sl_msg_t m = { 0 };
        if (sl_msg_decode(&m, zmq_msg_data(&body), zmq_msg_size(&body), err, sizeof err) == 0) {
            printf("%s sess=%llu at_ms=%lld", sl_msg_type_name(m.type),
                   (unsigned long long) m.sess, (long long) sl_now_ms());
            if (m.type == SL_BATCH && m.nevents)
                printf(" from=%llu to=%llu", (unsigned long long) m.events[0].seq,
                       (unsigned long long) m.events[m.nevents - 1].seq);
            printf("\n");
            fflush(stdout);
            sl_msg_t r = { .sess = m.sess };
            if (m.type == SL_HELLO) {
                r.type = SL_WELCOME;
                r.credit = 4;
                r.max_batch = 100;
                r.heartbeat_ms = SL_HEARTBEAT_MS;
            } else if (m.type == SL_PING) {
                r.type = SL_PONG;
            }
            if (r.type) {
                sl_msg_encode(&r, &out);
                sl_net_send(sock, zmq_msg_data(&id), zmq_msg_size(&id), out.data, out.size);
            }
        }
        sl_msg_reset(&m);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
    }
    msgpack_sbuffer_destroy(&out);
    zsock_destroy(&sock);
    return 0;
}

static int s_u64_arg(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "sl-probe: \"%s\" is not a number\n", s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    sl_log_set_name("sl-probe");
    sl_log_set_level(SL_LOG_WARN);
    if (sodium_init() < 0) {
        fprintf(stderr, "sl-probe: libsodium does not start\n");
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "keygen") == 0) {
        sl_keypair_t kp;
        char err[512];
        if (sl_keypair_new(&kp)
            || sl_keyfile_write(argv[2], &kp, "sl-probe: a key no server knows", err, sizeof err)) {
            fprintf(stderr, "sl-probe: keygen: %s\n", err);
            return 1;
        }
        printf("public = %s\n", kp.public_z85);      /* the public half only */
        memset(&kp, 0, sizeof kp);
        return 0;
    }
    const char *endpoint = NULL, *data = NULL, *bind = NULL;
    const char *keyfile = NULL, *server_public = NULL, *as_site = NULL;
    int wait_ms = 5000, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) {
            s_usage();
            return 64;
        }
        if (strcmp(argv[i], "--endpoint") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--bind") == 0)
            bind = argv[i + 1];
        else if (strcmp(argv[i], "--data") == 0)
            data = argv[i + 1];
        else if (strcmp(argv[i], "--wait") == 0)
            wait_ms = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--keyfile") == 0)
            keyfile = argv[i + 1];
        else if (strcmp(argv[i], "--server-public") == 0)
            server_public = argv[i + 1];
        else if (strcmp(argv[i], "--as-site") == 0)
            as_site = argv[i + 1];
        else {
            s_usage();
            return 64;
        }
    }
    if (bind && i + 1 < argc && strcmp(argv[i], "blackhole") == 0)
        return s_blackhole(bind, atoi(argv[i + 1]));
    if (!endpoint || i >= argc || wait_ms <= 0) {
        s_usage();
        return 64;
    }
    probe_t p = { .wait_ms = wait_ms, .data = data };
    char err[512];
    if (data) {
        p.store = site_store_open(data, err, sizeof err);
        if (!p.store) {
            fprintf(stderr, "sl-probe: %s\n", err);
            return 1;
        }
        p.site_id = site_store_site_id(p.store);
    }
    if (as_site)
        p.site_id = as_site;    /* claim another site's id (authorization tests) */
    /* CurveZMQ: --keyfile/--server-public, or the site directory's own keys. */
    char spub[SL_Z85_KEY] = "", path[600];
    sl_keypair_t kp;
    if (server_public)
        snprintf(spub, sizeof spub, "%s", server_public);
    else if (p.store)
        site_store_meta(p.store, "server_public", spub, sizeof spub);
    if (spub[0] && !keyfile && data) {
        snprintf(path, sizeof path, "%s/site.key", data);
        keyfile = path;
    }
    if (spub[0] && (!keyfile || sl_keyfile_read(keyfile, &kp, err, sizeof err))) {
        fprintf(stderr, "sl-probe: %s\n", keyfile ? err : "--server-public needs --keyfile");
        site_store_destroy(&p.store);
        return 1;
    }
    sl_net_curve_t curve = { .server_public = spub, .keys = &kp };
    /* Connection events (handshake refused, connection dropped), for the
     * NONE/UNSENT/DROPPED lines; attached before the connect (sl_net.c). */
    p.sock = sl_net_client_socket(endpoint, spub[0] ? &curve : NULL,
                                  ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED
                                  | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                  | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                  | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &p.mon, err, sizeof err);
    memset(&kp, 0, sizeof kp);
    if (!p.sock) {
        fprintf(stderr, "sl-probe: %s\n", err);
        site_store_destroy(&p.store);
        return 1;
    }
    msgpack_sbuffer_init(&p.out);
    p.sess = (uint64_t) sl_now_ms() * 1000 + 500;
    int rc = 0;
    while (i < argc && rc == 0) {
        const char *op = argv[i];
        int nargs = 0;
        if (!strcmp(op, "batch") || !strcmp(op, "send"))
            nargs = 2;
        else if (!strcmp(op, "alter") || !strcmp(op, "forge"))
            nargs = 3;
        else if (!strcmp(op, "event"))
            nargs = 2;
        else if (!strcmp(op, "pair"))
            nargs = 4;
        else if (!strcmp(op, "replies") || !strcmp(op, "raw") || !strcmp(op, "rawfile")
                 || !strcmp(op, "sleep") || !strcmp(op, "admin") || !strcmp(op, "big")
                 || !strcmp(op, "flood") || !strcmp(op, "fetchflood")
                 || !strcmp(op, "pingflood"))
            nargs = 1;
        else if (strcmp(op, "hello") && strcmp(op, "ping") && strcmp(op, "rotate")) {
            fprintf(stderr, "sl-probe: unknown op \"%s\"\n", op);
            rc = 64;
            break;
        }
        if (i + nargs >= argc) {
            fprintf(stderr, "sl-probe: op %s needs %d argument(s)\n", op, nargs);
            rc = 64;
            break;
        }
        uint64_t a[3] = { 0 };
        bool numeric = strcmp(op, "raw") && strcmp(op, "rawfile") && strcmp(op, "event")
                       && strcmp(op, "admin") && strcmp(op, "pair");
        for (int k = 0; numeric && k < nargs; k++)
            if (s_u64_arg(argv[i + 1 + k], &a[k]))
                rc = 64;
        if (rc)
            break;
        p.op = op;
        p.from = p.to = 0;
        if (!strcmp(op, "hello")) {
            rc = s_hello(&p) ? 1 : 0;
        } else if (!strcmp(op, "batch") || !strcmp(op, "send") || !strcmp(op, "alter")
                   || !strcmp(op, "forge")) {
            p.from = a[0];
            p.to = a[1];
            bool altered = op[0] == 'a' || op[0] == 'f';
            int sent = 1;
            rc = s_pack(&p, a[0], a[1], altered ? a[2] : 0, op[0] == 'a') ? 1 : 0;
            if (rc == 0 && (sent = s_send(&p)) < 0)
                rc = 1;
            if (rc == 0 && sent == 0 && strcmp(op, "send"))
                s_reply(&p, false);
        } else if (!strcmp(op, "replies")) {
            for (uint64_t k = 0; k < a[0]; k++)
                s_reply(&p, false);
        } else if (!strcmp(op, "ping")) {
            sl_msg_t m = { .type = SL_PING, .sess = p.sess };
            sl_msg_encode(&m, &p.out);
            int sent = s_send(&p);
            rc = sent < 0 ? 1 : 0;
            if (sent == 0)
                s_reply(&p, true);
        } else if (!strcmp(op, "raw")) {
            rc = s_hex_frame(&p, argv[i + 1]) ? 1 : 0;
        } else if (!strcmp(op, "rawfile")) {
            FILE *f = fopen(argv[i + 1], "r");
            if (!f) {
                fprintf(stderr, "sl-probe: cannot read %s\n", argv[i + 1]);
                rc = 1;
            }
            char *line = NULL;
            size_t cap = 0;
            while (f && rc == 0 && getline(&line, &cap, f) > 0)
                if (line[0] != '#' && line[0] != '\n')
                    rc = s_hex_frame(&p, line) ? 1 : 0;
            free(line);
            if (f)
                fclose(f);
        } else if (!strcmp(op, "sleep")) {
            zclock_sleep((int) a[0]);
        } else if (!strcmp(op, "event")) {
            rc = s_event(&p, argv[i + 1], argv[i + 2]) ? 1 : 0;
        } else if (!strcmp(op, "admin")) {
            rc = s_admin(&p, argv[i + 1]) ? 1 : 0;
        } else if (!strcmp(op, "big")) {
            rc = s_big(&p, a[0]) ? 1 : 0;
        } else if (!strcmp(op, "flood")) {
            rc = s_flood(&p, a[0]) ? 1 : 0;
        } else if (!strcmp(op, "pair")) {
            rc = s_pair(&p, argv + i + 1) ? 1 : 0;
        } else if (!strcmp(op, "rotate")) {
            rc = s_rotate(&p) ? 1 : 0;
        } else if (!strcmp(op, "fetchflood") || !strcmp(op, "pingflood")) {
            rc = s_unread_flood(&p, a[0], op[0] == 'f') ? 1 : 0;
        }
        i += 1 + nargs;
    }
    msgpack_sbuffer_destroy(&p.out);
    sl_net_client_close(&p.sock, &p.mon);
    site_store_destroy(&p.store);
    return rc;
}
