/* test_codec.c: the protocol v1 codec, proto/sl_msg.c (P9: bad input gets a
 * clear error, and nothing else).
 *
 *   - a few frames compared with bytes worked out by hand from the msgpack
 *     spec, so encoder and decoder are not only checked against each other;
 *   - every message type round-trips (encode, decode, same fields), with
 *     integers at every msgpack width boundary, and the optional keys
 *     (HELLO agent and telemetry, WELCOME log_id, ERROR field/seq/expected) both present
 *     and absent;
 *   - the messages of security (ADMIN, REPLY, ENROLL, ROTATE): their
 *     argument map, table and key rules, limits (SL_MAX_ARGS,
 *     SL_MAX_CELLS) and the order of their checks;
 *   - every malformed case is refused with its exact code and no crash:
 *     each prefix of a BATCH, each key missing, each key of the wrong type,
 *     out-of-range values, huge announced lengths (refused before msgpack-c
 *     can allocate for them), trailing bytes, unknown version and type,
 *     too many events, nesting and object-count limits, oversize frames;
 *   - an ERROR is always decodable, whatever text it was given;
 *   - 20,000 deterministic random mutations of valid frames: each is
 *     refused with a protocol error code or decodes to a message that
 *     re-encodes to the same fields (run it under ASan).
 * Prints one line per check; exits 1 on any failure. */
#include "sl_limits.h"
#include "sl_mpcheck.h"
#include "sl_msg.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"

/* ---- rendering a message as text, to compare two messages ------------------ */

static size_t s_used;

static void s_put(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void s_put(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (s_used < cap) {
        int n = vsnprintf(out + s_used, cap - s_used, fmt, ap);
        if (n > 0)
            s_used += (size_t) n;
    }
    va_end(ap);
}

static void s_put_hex(char *out, size_t cap, const char *key, const uint8_t *b, size_t len)
{
    s_put(out, cap, " %s=", key);
    for (size_t i = 0; i < len; i++)
        s_put(out, cap, "%02x", b[i]);
}

static void s_put_str(char *out, size_t cap, const char *key, const char *s, size_t len)
{
    if (s)
        s_put(out, cap, " %s=\"%.*s\"", key, (int) len, s);
}

static void s_put_tm(char *out, size_t cap, const sl_telemetry_t *tm)
{
    s_put(out, cap, " tm.has=%u", (unsigned) tm->has);
    if (tm->has & SL_TM_LAST_SEQ)
        s_put(out, cap, " tm.last_seq=%llu", (unsigned long long) tm->last_seq);
    if (tm->has & SL_TM_OUTBOX)
        s_put(out, cap, " tm.outbox=%llu", (unsigned long long) tm->outbox);
    if (tm->has & SL_TM_OUTBOX_AGE)
        s_put(out, cap, " tm.outbox_age_ms=%llu", (unsigned long long) tm->outbox_age_ms);
    if (tm->has & SL_TM_CLOCK)
        s_put(out, cap, " tm.clock_ms=%lld", (long long) tm->clock_ms);
    if (tm->has & SL_TM_DISK_FREE)
        s_put(out, cap, " tm.disk_free=%llu", (unsigned long long) tm->disk_free);
    if (tm->has & SL_TM_LAST_ERROR)
        s_put_str(out, cap, "tm.last_error", tm->last_error, tm->last_error_len);
}

/* Every field the type carries, in a fixed order. */
static const char *s_text(const sl_msg_t *m, char *out, size_t cap)
{
    s_used = 0;
    out[0] = 0;
#define U(k, v) s_put(out, cap, " %s=%llu", k, (unsigned long long) (v))
    s_put(out, cap, "%s", sl_msg_type_name(m->type));
    U("sess", m->sess);
    switch (m->type) {
    case SL_HELLO:
        s_put_str(out, cap, "site", m->site, m->site_len);
        U("last_seq", m->last_seq);
        s_put_hex(out, cap, "last_hash", m->last_hash, SL_HASH_BYTES);
        U("cursor", m->cursor);
        U("hlc", m->hlc);
        s_put_str(out, cap, "agent", m->agent, m->agent_len);
        s_put_tm(out, cap, &m->tm);
        break;
    case SL_WELCOME:
        U("server_seq", m->server_seq);
        U("match_seq", m->match_seq);
        s_put_hex(out, cap, "match_hash", m->match_hash, SL_HASH_BYTES);
        U("log_head", m->log_head);
        U("hlc", m->hlc);
        U("credit", m->credit);
        U("max_batch", m->max_batch);
        U("heartbeat_ms", m->heartbeat_ms);
        s_put_str(out, cap, "log_id", m->log_id, m->log_id_len);   /* absent: no text */
        break;
    case SL_ADMIN:
        s_put_str(out, cap, "verb", m->verb, m->verb_len);
        U("args", m->nargs);
        for (size_t i = 0; i < m->nargs; i++) {
            s_put_str(out, cap, " name", m->args[i].key, m->args[i].key_len);
            s_put_str(out, cap, "value", m->args[i].value, m->args[i].value_len);
        }
        break;
    case SL_REPLY:
        s_put_str(out, cap, "text", m->text, m->text_len);
        U("columns", m->columns);
        U("cells", m->ncells);
        for (size_t i = 0; i < m->ncells; i++)
            s_put_str(out, cap, "cell", m->cells[i].ptr, m->cells[i].len);
        break;
    case SL_ENROLL:
        s_put_str(out, cap, "site", m->site, m->site_len);
        /* fall through */
    case SL_ROTATE:
        s_put_hex(out, cap, "key", m->key, 32);
        break;
    case SL_EVENTS:
        U("server_seq", m->server_seq);
        /* fall through */
    case SL_BATCH:
        U("events", m->nevents);
        for (size_t i = 0; i < m->nevents; i++) {
            const sl_event_t *e = &m->events[i];
            U(" seq", e->seq);
            s_put_hex(out, cap, "id", e->id, SL_ID_BYTES);
            U("hlc", e->hlc);
            s_put(out, cap, " wall_ms=%lld", (long long) e->wall_ms);
            s_put_str(out, cap, "type", e->type, e->type_len);
            s_put_hex(out, cap, "payload", e->payload, e->payload_len);
            s_put_hex(out, cap, "prev", e->prev, SL_HASH_BYTES);
            s_put_hex(out, cap, "hash", e->hash, SL_HASH_BYTES);
        }
        break;
    case SL_ACK:
        U("acked", m->acked);
        U("log_head", m->log_head);
        break;
    case SL_FETCH:
        U("from", m->from);
        U("max", m->max);
        break;
    case SL_LOG_PULL:
        U("after", m->cursor);
        U("max", m->max);
        break;
    case SL_LOG:
        U("entries", m->nentries);
        for (size_t i = 0; i < m->nentries; i++) {
            const sl_log_entry_t *e = &m->entries[i];
            U(" lseq", e->lseq);
            s_put_str(out, cap, "kind", e->kind, e->kind_len);
            s_put_str(out, cap, "key", e->key, e->key_len);
            if (e->value)
                s_put_str(out, cap, "value", e->value, e->value_len);
            else
                s_put(out, cap, " value=nil");
        }
        U("upto", m->upto);
        U("log_head", m->log_head);
        break;
    case SL_PING:
        s_put_tm(out, cap, &m->tm);
        break;
    case SL_PONG:
        U("log_head", m->log_head);
        break;
    case SL_ERROR:
        U("code", m->code);
        s_put_str(out, cap, "text", m->text, m->text_len);
        s_put_str(out, cap, "field", m->field, m->field_len);
        U("seq", m->seq);
        U("expected", m->expected);
        break;
    default:
        break;
    }
#undef U
    return out;
}

/* ---- sample messages ----------------------------------------------------------- */

static uint8_t s_h1[SL_HASH_BYTES], s_h2[SL_HASH_BYTES], s_zero[SL_HASH_BYTES];
static uint8_t s_payload[] = { 0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xa2, 0xe4, 0xb8 };
static sl_event_t s_events[3];
static sl_log_entry_t s_entries[3] = {
    { 5, "unit", 4, "u1", 2, "区民政局", 12 },
    { 6, "setting", 7, "", 0, NULL, 0 },
    { 70000, "community", 9, "公园", 6, "", 0 },
};

static sl_arg_t s_args[4] = {
    { "site", 4, "qu01.gongyuan", 13 },
    { "community", 9, "公园社区", 12 },
    { "enroll_key", 10, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", 40 },
    { "expires_ms", 10, "1733356800000", 13 },
};
static sl_str_t s_cells[6] = {
    { "站点 site", 11 }, { "状态 status", 13 }, { "", 0 },
    { "qu01.gongyuan", 13 }, { "active", 6 }, { "社区\t公园", 13 },
};
static uint8_t s_key1[32], s_key2[32];

static void s_init_samples(void)
{
    for (int i = 0; i < SL_HASH_BYTES; i++) {
        s_h1[i] = (uint8_t) (i * 7 + 1);
        s_h2[i] = (uint8_t) (255 - i);
    }
    for (int i = 0; i < 3; i++) {
        sl_event_t *e = &s_events[i];
        e->seq = (uint64_t[]) { 1, 127, (uint64_t) INT64_MAX }[i];
        for (int b = 0; b < SL_ID_BYTES; b++)
            e->id[b] = (uint8_t) (i * 16 + b);
        e->hlc = (uint64_t[]) { 0, 65536, UINT64_MAX }[i];
        e->wall_ms = (int64_t[]) { 0, -33, INT64_MIN }[i];
        e->type = (const char *[]) { "rating", "问题上报", "0123456789012345678901234567890123456789"
                                     "012345678901234567890123" }[i];
        e->type_len = strlen(e->type);
        e->payload = s_payload;
        e->payload_len = (size_t[]) { sizeof s_payload, 0, 3 }[i];
        memcpy(e->prev, i == 0 ? s_zero : s_h1, SL_HASH_BYTES);
        memcpy(e->hash, i == 0 ? s_h1 : s_h2, SL_HASH_BYTES);
    }
    for (int i = 0; i < 32; i++) {
        s_key1[i] = (uint8_t) (i * 3 + 1);
        s_key2[i] = (uint8_t) (0xff - i);
    }
}

#define NSAMPLES 24

/* Sample `i`: every type once with ordinary values, then edge values. */
static sl_msg_t s_sample(int i)
{
    sl_msg_t m = { 0 };
    switch (i) {
    case 0:
        m = (sl_msg_t) { .type = SL_HELLO, .sess = 1732752000000000ULL, .site = "qu01.gongyuan",
                         .site_len = 13, .last_seq = 128, .cursor = 255, .hlc = 113557635072000001ULL,
                         .agent = "shuanglian-site/0.1.0", .agent_len = 21 };
        memcpy(m.last_hash, s_h1, SL_HASH_BYTES);
        break;
    case 1:
        m = (sl_msg_t) { .type = SL_WELCOME, .sess = 256, .server_seq = 65535, .match_seq = 65535,
                         .log_head = 65536, .hlc = 4294967295ULL, .credit = SL_MAX_CREDIT,
                         .max_batch = SL_MAX_BATCH_EVENTS, .heartbeat_ms = 600000 };
        memcpy(m.match_hash, s_h2, SL_HASH_BYTES);
        break;
    case 2:
        m = (sl_msg_t) { .type = SL_BATCH, .sess = 4294967296ULL, .events = s_events, .nevents = 3 };
        break;
    case 3:
        m = (sl_msg_t) { .type = SL_ACK, .sess = 0, .acked = (uint64_t) INT64_MAX, .log_head = 0 };
        break;
    case 4:
        m = (sl_msg_t) { .type = SL_FETCH, .sess = 7, .from = 1, .max = SL_MAX_BATCH_EVENTS };
        break;
    case 5:
        m = (sl_msg_t) { .type = SL_EVENTS, .sess = UINT64_MAX, .server_seq = 3, .events = s_events,
                         .nevents = 2 };
        break;
    case 6:
        m = (sl_msg_t) { .type = SL_LOG_PULL, .sess = 7, .cursor = 0, .max = 1 };
        break;
    case 7:
        m = (sl_msg_t) { .type = SL_LOG, .sess = 7, .entries = s_entries, .nentries = 3,
                         .upto = 70000, .log_head = 70001 };
        break;
    case 8:
        m = (sl_msg_t) { .type = SL_PING, .sess = 127 };
        break;
    case 9:
        m = (sl_msg_t) { .type = SL_PONG, .sess = 128, .log_head = 9 };
        break;
    case 10:
        m = (sl_msg_t) { .type = SL_ERROR, .sess = 7, .code = 409, .text = "gap", .text_len = 3,
                         .field = "seq", .field_len = 3, .seq = 5, .expected = 3 };
        break;
    case 11:
        m = (sl_msg_t) { .type = SL_ERROR, .sess = 7, .code = 408, .text = "", .text_len = 0 };
        break;
    case 12:
        m = (sl_msg_t) { .type = SL_BATCH, .sess = 7, .events = NULL, .nevents = 0 };
        break;
    case 13:
        m = (sl_msg_t) { .type = SL_LOG, .sess = 7, .entries = NULL, .nentries = 0, .upto = 0,
                         .log_head = 0 };
        break;
    case 14:            /* sample 1 with the optional log_id */
        m = s_sample(1);
        m.log_id = "0192d5927c007764819ebbd8f5122f4c";
        m.log_id_len = 32;
        break;
    case 15:
        m = (sl_msg_t) { .type = SL_ADMIN, .sess = 1733356800000ULL, .verb = "site.enroll",
                         .verb_len = 11, .args = s_args, .nargs = 4 };
        break;
    case 16:            /* a table of 3 columns: headers and one row */
        m = (sl_msg_t) { .type = SL_REPLY, .sess = 1733356800000ULL, .text = "2 行 rows",
                         .text_len = 10, .columns = 3, .cells = s_cells, .ncells = 6 };
        break;
    case 17:
        m = (sl_msg_t) { .type = SL_REPLY, .sess = 65536, .text = "key registered",
                         .text_len = 14, .columns = 0, .cells = NULL, .ncells = 0 };
        break;
    case 18:
        m = (sl_msg_t) { .type = SL_ENROLL, .sess = 1732752000000000ULL, .site = "qu01.gongyuan",
                         .site_len = 13 };
        memcpy(m.key, s_key1, 32);
        break;
    case 19:
        m = (sl_msg_t) { .type = SL_ROTATE, .sess = 1732752000000001ULL };
        memcpy(m.key, s_key2, 32);
        break;
    case 20:
        m = (sl_msg_t) { .type = SL_ADMIN, .sess = 1, .verb = "site.list", .verb_len = 9,
                         .args = NULL, .nargs = 0 };
        break;
    case 21:            /* HELLO with every telemetry key at its edges (PROTOCOL.md 4.1.1) */
        m = s_sample(0);
        m.tm = (sl_telemetry_t) { .has = SL_TM_OUTBOX | SL_TM_OUTBOX_AGE | SL_TM_CLOCK
                                         | SL_TM_DISK_FREE | SL_TM_LAST_ERROR,
                                  .outbox = (uint64_t) INT64_MAX, .outbox_age_ms = 65536,
                                  .clock_ms = INT64_MIN, .disk_free = UINT64_MAX,
                                  .last_error = "无法连接服务器 unreachable", .last_error_len = 33 };
        break;
    case 22:            /* PING with some telemetry keys only */
        m = (sl_msg_t) { .type = SL_PING, .sess = 9 };
        m.tm = (sl_telemetry_t) { .has = SL_TM_LAST_SEQ | SL_TM_CLOCK, .last_seq = 300,
                                  .clock_ms = 1732752000000LL };
        break;
    case 23:            /* PING with telemetry: zeros and an empty error */
        m = (sl_msg_t) { .type = SL_PING, .sess = 10 };
        m.tm = (sl_telemetry_t) { .has = SL_TM_OUTBOX | SL_TM_OUTBOX_AGE | SL_TM_DISK_FREE
                                         | SL_TM_LAST_ERROR | SL_TM_CLOCK,
                                  .last_error = "", .clock_ms = -1 };
        break;
    }
    return m;
}

/* ---- helpers ------------------------------------------------------------------------ */

static int s_decode(const void *frame, size_t len, sl_msg_t *m, char *err, size_t errlen)
{
    return sl_msg_decode(m, (const uint8_t *) frame, len, err, errlen);
}

static int s_decode_sb(const msgpack_sbuffer *sb, char *err, size_t errlen)
{
    sl_msg_t m = { 0 };
    int rc = s_decode(sb->data, sb->size, &m, err, errlen);
    sl_msg_reset(&m);
    return rc;
}

static void s_bytes_equal(const char *what, const msgpack_sbuffer *sb, const uint8_t *want,
                          size_t len)
{
    s_check(sb->size == len && memcmp(sb->data, want, len) == 0, "%s: %zu bytes as worked out "
            "by hand", what, len);
}

/* ---- the checks ------------------------------------------------------------------------ */

static void s_hand_made(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    sl_msg_t ping = { .type = SL_PING, .sess = 1 };
    sl_msg_encode(&ping, &sb);
    /* fixarray 4, uint16 0x534C, 1, 9, fixmap 1, fixstr "sess", 1 */
    static const uint8_t ping_bytes[] = { 0x94, 0xcd, 0x53, 0x4c, 0x01, 0x09, 0x81, 0xa4, 's',
                                          'e', 's', 's', 0x01 };
    s_bytes_equal("PING sess 1", &sb, ping_bytes, sizeof ping_bytes);

    sl_msg_t ack = { .type = SL_ACK, .sess = 300, .acked = 70000, .log_head = 5000000000ULL };
    sl_msg_encode(&ack, &sb);
    static const uint8_t ack_bytes[] = {
        0x94, 0xcd, 0x53, 0x4c, 0x01, 0x04, 0x83,
        0xa4, 's', 'e', 's', 's', 0xcd, 0x01, 0x2c,                 /* uint16 300 */
        0xa5, 'a', 'c', 'k', 'e', 'd', 0xce, 0x00, 0x01, 0x11, 0x70, /* uint32 70000 */
        0xa8, 'l', 'o', 'g', '_', 'h', 'e', 'a', 'd',
        0xcf, 0x00, 0x00, 0x00, 0x01, 0x2a, 0x05, 0xf2, 0x00,        /* uint64 5e9 */
    };
    s_bytes_equal("ACK with 16-, 32- and 64-bit integers", &sb, ack_bytes, sizeof ack_bytes);

    uint8_t id[16], h[32];
    memset(id, 0x11, sizeof id);
    memset(h, 0x22, sizeof h);
    sl_event_t ev = { .seq = 2, .hlc = 3, .wall_ms = -200, .type = "t", .type_len = 1,
                      .payload = (const uint8_t *) "\x80", .payload_len = 1 };
    memcpy(ev.id, id, 16);
    memcpy(ev.prev, h, 32);
    memcpy(ev.hash, h, 32);
    sl_msg_t batch = { .type = SL_BATCH, .sess = 5, .events = &ev, .nevents = 1 };
    sl_msg_encode(&batch, &sb);
    uint8_t want[200], *p = want;
    static const uint8_t head[] = { 0x94, 0xcd, 0x53, 0x4c, 0x01, 0x03, 0x82, 0xa4, 's', 'e',
                                    's', 's', 0x05, 0xa6, 'e', 'v', 'e', 'n', 't', 's', 0x91,
                                    0x98, 0x02, 0xc4, 0x10 };
    memcpy(p, head, sizeof head);
    p += sizeof head;
    memset(p, 0x11, 16);
    p += 16;
    *p++ = 0x03;
    *p++ = 0xd1;                /* int16 -200 */
    *p++ = 0xff;
    *p++ = 0x38;
    *p++ = 0xa1;
    *p++ = 't';
    *p++ = 0xc4;
    *p++ = 0x01;
    *p++ = 0x80;
    for (int k = 0; k < 2; k++) {
        *p++ = 0xc4;
        *p++ = 0x20;
        memset(p, 0x22, 32);
        p += 32;
    }
    s_bytes_equal("BATCH of one event (bin8 id, int16 wall_ms)", &sb, want, (size_t) (p - want));

    /* And the decoder reads a hand-made frame. */
    sl_msg_t m = { 0 };
    char err[300];
    int rc = s_decode(ping_bytes, sizeof ping_bytes, &m, err, sizeof err);
    s_check(rc == 0 && m.type == SL_PING && m.sess == 1, "hand-made PING decodes");
    sl_msg_reset(&m);
    msgpack_sbuffer_destroy(&sb);
}

static void s_round_trips(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < NSAMPLES; i++) {
        sl_msg_t m = s_sample(i);
        char a[8000], b[8000], err[300] = "";
        s_text(&m, a, sizeof a);
        sl_msg_encode(&m, &sb);
        sl_msg_t d = { 0 };
        int rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
        s_text(&d, b, sizeof b);
        s_check(rc == 0 && strcmp(a, b) == 0, "round trip %s (sample %d, %zu bytes) %s",
                sl_msg_type_name(m.type), i, sb.size, err);
        if (rc == 0 && strcmp(a, b) != 0)
            printf("#   sent %s\n#   got  %s\n", a, b);
        sl_msg_reset(&d);
    }
    /* Streaming encoding gives the same bytes as the one-call form. */
    sl_msg_t batch = s_sample(2);
    msgpack_sbuffer whole;
    msgpack_sbuffer_init(&whole);
    sl_msg_encode(&batch, &whole);
    sl_msg_encode_events_begin(&sb, SL_BATCH, batch.sess, 0, batch.nevents);
    for (size_t i = 0; i < batch.nevents; i++)
        sl_msg_encode_event(&sb, &batch.events[i]);
    s_check(sb.size == whole.size && memcmp(sb.data, whole.data, sb.size) == 0,
            "streaming BATCH encoding equals sl_msg_encode");
    msgpack_sbuffer_destroy(&whole);

    /* A message decoded into twice: the first decode's memory is released. */
    sl_msg_t m = { 0 };
    char err[300];
    sl_msg_encode(&batch, &sb);
    int rc1 = s_decode(sb.data, sb.size, &m, err, sizeof err);
    int rc2 = s_decode(sb.data, sb.size, &m, err, sizeof err);
    s_check(rc1 == 0 && rc2 == 0 && m.nevents == 3, "decoding into a used message works");
    sl_msg_reset(&m);
    msgpack_sbuffer_destroy(&sb);
}

static void s_truncations(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    sl_msg_t batch = s_sample(2);
    sl_msg_encode(&batch, &sb);
    size_t bad = 0, first_bad = 0;
    for (size_t n = 0; n < sb.size; n++) {
        char err[300];
        uint8_t *copy = malloc(n ? n : 1);   /* exact size: ASan sees any over-read */
        memcpy(copy, sb.data, n);
        sl_msg_t m = { 0 };
        int rc = s_decode(copy, n, &m, err, sizeof err);
        if (rc != SL_E_MALFORMED && !bad++)
            first_bad = n;
        sl_msg_reset(&m);
        free(copy);
    }
    s_check(bad == 0, "BATCH cut at each of its %zu byte offsets: all refused with 400%s",
            sb.size, bad ? " (not at some)" : "");
    if (bad)
        printf("#   first wrong at %zu\n", first_bad);
    msgpack_sbuffer_destroy(&sb);
}

/* Rebuilds a frame with the body pair `skip` left out, or its value
 * replaced by `with` (raw msgpack bytes). */
static void s_rebuild(const msgpack_object *root, int skip, const uint8_t *with, size_t with_len,
                      msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(out);
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    const msgpack_object *a = root->via.array.ptr;
    msgpack_pack_array(&pk, 4);
    msgpack_pack_object(&pk, a[0]);
    msgpack_pack_object(&pk, a[1]);
    msgpack_pack_object(&pk, a[2]);
    const msgpack_object_map *body = &a[3].via.map;
    msgpack_pack_map(&pk, body->size - (with ? 0 : 1));
    for (uint32_t i = 0; i < body->size; i++) {
        if ((int) i == skip && !with)
            continue;
        msgpack_pack_object(&pk, body->ptr[i].key);
        if ((int) i == skip)
            msgpack_sbuffer_write(out, (const char *) with, with_len);
        else
            msgpack_pack_object(&pk, body->ptr[i].val);
    }
}

typedef enum { K_UINT, K_STR, K_BIN32, K_ARRAY, K_MAP, K_INT } s_kind_t;

static s_kind_t s_key_kind(const char *key)
{
    if (!strcmp(key, "site") || !strcmp(key, "agent") || !strcmp(key, "text")
        || !strcmp(key, "field") || !strcmp(key, "log_id") || !strcmp(key, "verb"))
        return K_STR;
    if (!strcmp(key, "last_hash") || !strcmp(key, "match_hash") || !strcmp(key, "key"))
        return K_BIN32;
    if (!strcmp(key, "events") || !strcmp(key, "entries") || !strcmp(key, "cells"))
        return K_ARRAY;
    if (!strcmp(key, "args"))
        return K_MAP;
    if (!strcmp(key, "clock_ms"))
        return K_INT;           /* signed: -1 is a right value */
    if (!strcmp(key, "last_error"))
        return K_STR;
    return K_UINT;
}

static bool s_optional(const char *key)
{
    return !strcmp(key, "agent") || !strcmp(key, "field") || !strcmp(key, "seq")
        || !strcmp(key, "expected") || !strcmp(key, "log_id")
        /* telemetry (PROTOCOL.md 4.1.1); PING's last_seq, HELLO's is required */
        || !strcmp(key, "outbox") || !strcmp(key, "outbox_age_ms") || !strcmp(key, "clock_ms")
        || !strcmp(key, "disk_free") || !strcmp(key, "last_error");
}

static void s_keys(void)
{
    static const struct { const char *name; s_kind_t kind; uint8_t bytes[8]; size_t len; } wrong[] = {
        { "str \"x\"", K_STR, { 0xa1, 'x' }, 2 },
        { "nil", K_UINT + 100, { 0xc0 }, 1 },
        { "true", K_UINT + 100, { 0xc3 }, 1 },
        { "-1", K_INT, { 0xff }, 1 },
        { "float 1.5", K_UINT + 100, { 0xca, 0x3f, 0xc0, 0x00, 0x00 }, 5 },
        { "bin of 3 bytes", K_UINT + 100, { 0xc4, 0x03, 1, 2, 3 }, 5 },
        { "empty array", K_ARRAY, { 0x90 }, 1 },
        { "empty map", K_MAP, { 0x80 }, 1 },
    };
    msgpack_sbuffer sb, out;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_init(&out);
    for (int i = 0; i < NSAMPLES; i++) {
        if (i == 11 || i == 12 || i == 13 || i == 17 || i == 20)
            continue;           /* same keys as samples 10, 2, 7, 16 and 15 */
        sl_msg_t m = s_sample(i);
        sl_msg_encode(&m, &sb);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object root;
        size_t off = 0;
        if (msgpack_unpack(sb.data, sb.size, &off, &zone, &root) != MSGPACK_UNPACK_SUCCESS) {
            s_check(false, "sample %d unpacks", i);
            msgpack_zone_destroy(&zone);
            continue;
        }
        const msgpack_object_map *body = &root.via.array.ptr[3].via.map;
        for (uint32_t k = 0; k < body->size; k++) {
            char key[32], err[300];
            const msgpack_object *ko = &body->ptr[k].key;
            snprintf(key, sizeof key, "%.*s", (int) ko->via.str.size, ko->via.str.ptr);
            s_kind_t kind = s_key_kind(key);
            s_rebuild(&root, (int) k, NULL, 0, &out);
            int rc = s_decode_sb(&out, err, sizeof err);
            if (s_optional(key) || (m.type == SL_PING && !strcmp(key, "last_seq")))
                s_check(rc == 0, "%s without optional %s: accepted", sl_msg_type_name(m.type), key);
            else
                s_check(rc == SL_E_BAD_FIELD && strstr(err, key), "%s without %s: 407 naming it "
                        "(%s)", sl_msg_type_name(m.type), key, err);
            int wrong_ok = 0, wrong_total = 0;
            for (size_t w = 0; w < sizeof wrong / sizeof wrong[0]; w++) {
                if ((int) wrong[w].kind == (int) kind)
                    continue;   /* the right kind of value, not a wrong one */
                s_rebuild(&root, (int) k, wrong[w].bytes, wrong[w].len, &out);
                rc = s_decode_sb(&out, err, sizeof err);
                wrong_total++;
                if (rc == SL_E_BAD_FIELD)
                    wrong_ok++;
                else
                    printf("#   %s.%s = %s: got %d %s\n", sl_msg_type_name(m.type), key,
                           wrong[w].name, rc, err);
            }
            s_check(wrong_ok == wrong_total, "%s.%s of each of %d wrong types: 407",
                    sl_msg_type_name(m.type), key, wrong_total);
            /* Given twice: refused, whichever value would have counted. */
            msgpack_sbuffer dup;
            msgpack_sbuffer_init(&dup);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &dup, msgpack_sbuffer_write);
            msgpack_pack_object(&pk, body->ptr[k].val);
            s_rebuild(&root, (int) k, (const uint8_t *) dup.data, dup.size, &out);
            /* out now equals the original; append the pair once more */
            uint8_t *b = (uint8_t *) out.data;
            if ((b[6] & 0xF0) == 0x80 && (b[6] & 0x0F) < 15) {
                b[6]++;
                msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
                msgpack_pack_object(&pk, body->ptr[k].key);
                msgpack_pack_object(&pk, body->ptr[k].val);
                rc = s_decode_sb(&out, err, sizeof err);
                s_check(rc == SL_E_BAD_FIELD, "%s.%s given twice: 407 (%s)",
                        sl_msg_type_name(m.type), key, err);
            }
            msgpack_sbuffer_destroy(&dup);
        }
        msgpack_zone_destroy(&zone);
    }
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&out);
}

/* Out-of-range values, one key at a time. */
static void s_ranges(void)
{
    static const struct { int sample; const char *key; uint8_t bytes[12]; size_t len; int rc; } cases[] = {
        { 0, "last_seq", { 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 9, SL_E_BAD_FIELD },
        { 0, "last_seq", { 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9, 0 },
        { 0, "cursor", { 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 9, SL_E_BAD_FIELD },
        { 0, "hlc", { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9, 0 },
        { 0, "last_hash", { 0xc4, 0x00 }, 2, SL_E_BAD_FIELD },
        { 0, "site", { 0xa0 }, 1, SL_E_BAD_FIELD },
        { 0, "site", { 0xa4, '-', 'a', 'b', 'c' }, 5, SL_E_BAD_FIELD },
        { 0, "site", { 0xa4, 'a', '/', 'b', 'c' }, 5, SL_E_BAD_FIELD },
        { 0, "site", { 0xa3, 'a', '.', 'b' }, 4, 0 },
        { 0, "agent", { 0xa2, 'a', 0x00 }, 3, SL_E_BAD_FIELD },
        { 0, "agent", { 0xa0 }, 1, 0 },
        { 1, "credit", { 0x00 }, 1, SL_E_BAD_FIELD },
        { 1, "credit", { 0x11 }, 1, SL_E_BAD_FIELD },
        { 1, "credit", { 0x01 }, 1, 0 },
        { 1, "max_batch", { 0x00 }, 1, SL_E_BAD_FIELD },
        { 1, "max_batch", { 0xcd, 0x07, 0xd1 }, 3, SL_E_BAD_FIELD },
        { 1, "heartbeat_ms", { 0xce, 0x00, 0x09, 0x27, 0xc1 }, 5, SL_E_BAD_FIELD },
        { 1, "heartbeat_ms", { 0x00 }, 1, 0 },
        { 1, "match_seq", { 0xcd, 0xff, 0xff }, 3, 0 },
        { 1, "match_seq", { 0xce, 0x00, 0x01, 0x00, 0x00 }, 5, SL_E_BAD_FIELD },
        { 4, "max", { 0x00 }, 1, SL_E_BAD_FIELD },
        { 4, "max", { 0xcd, 0x07, 0xd1 }, 3, SL_E_BAD_FIELD },
        { 6, "max", { 0xcd, 0x03, 0xe9 }, 3, SL_E_BAD_FIELD },
        { 6, "max", { 0xcd, 0x03, 0xe8 }, 3, 0 },
        { 10, "code", { 0xcd, 0x03, 0xe8 }, 3, SL_E_BAD_FIELD },
        { 10, "code", { 0xcd, 0x03, 0xe7 }, 3, 0 },
        { 10, "seq", { 0x00 }, 1, 0 },
        { 7, "upto", { 0xcd, 0x11, 0x6f }, 3, SL_E_BAD_FIELD }, /* 4463 < last lseq 70000 */
        { 7, "entries", { 0x91, 0x94, 0x00, 0xa1, 'k', 0xa0, 0xc0 }, 7, SL_E_BAD_FIELD },
        { 7, "entries", { 0x91, 0x94, 0x01, 0xa0, 0xa0, 0xc0 }, 6, SL_E_BAD_FIELD },
        { 7, "entries", { 0x91, 0x94, 0x01, 0xa1, 'k', 0xa0, 0x05 }, 7, SL_E_BAD_FIELD },
        { 7, "entries", { 0x91, 0x93, 0x01, 0xa1, 'k', 0xa0 }, 6, SL_E_BAD_FIELD },
        { 7, "entries", { 0x91, 0x95, 0x01, 0xa1, 'k', 0xa0, 0xc0, 0xc0 }, 8, 0 },
        { 7, "entries", { 0x91, 0x01 }, 2, SL_E_BAD_FIELD },
        { 14, "log_id", { 0xa0 }, 1, 0 },
        { 14, "log_id", { 0xa1, 0x00 }, 2, SL_E_BAD_FIELD },
        { 14, "log_id", { 0xa2, 0xc3, 0x28 }, 3, SL_E_BAD_FIELD },          /* bad UTF-8 */
        { 15, "verb", { 0xa0 }, 1, 0 },         /* the server, not the codec, knows verbs */
        { 15, "verb", { 0xa1, 0x0d }, 2, SL_E_BAD_FIELD },
        { 15, "args", { 0x80 }, 1, 0 },
        { 15, "args", { 0x81, 0xa0, 0xa0 }, 3, 0 },
        { 15, "args", { 0x81, 0xa1, 'a', 0x05 }, 4, SL_E_BAD_FIELD },     /* value an int */
        { 15, "args", { 0x81, 0xa1, 'a', 0xc0 }, 4, SL_E_BAD_FIELD },     /* value nil */
        { 15, "args", { 0x81, 0xa1, 'a', 0xc4, 0x01, 'x' }, 6, SL_E_BAD_FIELD }, /* bin */
        { 15, "args", { 0x81, 0xa1, 'a', 0xa1, 0xff }, 5, SL_E_BAD_FIELD },  /* bad UTF-8 */
        { 15, "args", { 0x81, 0x05, 0xa1, 'a' }, 4, SL_E_BAD_FIELD },     /* name an int */
        { 15, "args", { 0x82, 0xa1, 'a', 0xa0, 0xa1, 'a', 0xa1, 'b' }, 8, SL_E_BAD_FIELD },
        { 15, "args", { 0x82, 0xa1, 'a', 0xa0, 0xa1, 'b', 0xa0 }, 7, 0 },
        { 15, "args", { 0x81, 0xa1, 'a', 0x91, 0xa0 }, 5, SL_E_BAD_FIELD }, /* value array */
        { 16, "text", { 0xa1, 0x01 }, 2, SL_E_BAD_FIELD },
        { 16, "text", { 0xa2, 'a', '\n' }, 3, 0 },
        { 16, "columns", { 0x41 }, 1, SL_E_BAD_FIELD },          /* 65: over 64 */
        { 16, "columns", { 0x40 }, 1, SL_E_BAD_FIELD },          /* 64, but 6 cells */
        { 16, "columns", { 0x00 }, 1, SL_E_BAD_FIELD },          /* cells without columns */
        { 16, "columns", { 0x01 }, 1, 0 },
        { 16, "columns", { 0x02 }, 1, 0 },
        { 16, "columns", { 0x04 }, 1, SL_E_BAD_FIELD },
        { 16, "columns", { 0x06 }, 1, 0 },
        { 16, "columns", { 0xff }, 1, SL_E_BAD_FIELD },          /* -1 */
        { 16, "cells", { 0x90 }, 1, 0 },                         /* no rows at all */
        { 16, "cells", { 0x93, 0xa0, 0xa0, 0xa0 }, 4, 0 },
        { 16, "cells", { 0x92, 0xa0, 0xa0 }, 3, SL_E_BAD_FIELD },
        { 16, "cells", { 0x94, 0xa0, 0xa0, 0xa0, 0xa0 }, 5, SL_E_BAD_FIELD },
        { 16, "cells", { 0x93, 0xa0, 0xa0, 0x01 }, 4, SL_E_BAD_FIELD },
        { 16, "cells", { 0x93, 0xa0, 0xc0, 0xa0 }, 4, SL_E_BAD_FIELD },
        { 16, "cells", { 0x93, 0xa1, 0x07, 0xa0, 0xa0 }, 5, SL_E_BAD_FIELD },
        { 16, "cells", { 0x93, 0xa0, 0xa0, 0x90 }, 4, SL_E_BAD_FIELD },
        { 18, "site", { 0xa0 }, 1, SL_E_BAD_FIELD },
        { 18, "site", { 0xa4, '-', 'a', 'b', 'c' }, 5, SL_E_BAD_FIELD },
        { 18, "site", { 0xa4, 'a', '/', 'b', 'c' }, 5, SL_E_BAD_FIELD },
        { 18, "site", { 0xa4, 'a', ' ', 'b', 'c' }, 5, SL_E_BAD_FIELD },
        { 18, "site", { 0xa3, 'a', '.', 'b' }, 4, 0 },
        { 18, "key", { 0xc4, 0x00 }, 2, SL_E_BAD_FIELD },
        { 18, "key", { 0xa1, 'k' }, 2, SL_E_BAD_FIELD },
        { 19, "key", { 0xc4, 0x00 }, 2, SL_E_BAD_FIELD },
    };
    msgpack_sbuffer sb, out;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_init(&out);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sl_msg_t m = s_sample(cases[c].sample);
        sl_msg_encode(&m, &sb);
        msgpack_zone zone;
        msgpack_zone_init(&zone, 4096);
        msgpack_object root;
        size_t off = 0;
        msgpack_unpack(sb.data, sb.size, &off, &zone, &root);
        const msgpack_object_map *body = &root.via.array.ptr[3].via.map;
        int at = -1;
        for (uint32_t k = 0; k < body->size; k++)
            if (body->ptr[k].key.via.str.size == strlen(cases[c].key)
                && !memcmp(body->ptr[k].key.via.str.ptr, cases[c].key, strlen(cases[c].key)))
                at = (int) k;
        char err[300] = "";
        int rc = -1;
        if (at >= 0) {
            s_rebuild(&root, at, cases[c].bytes, cases[c].len, &out);
            rc = s_decode_sb(&out, err, sizeof err);
        }
        s_check(rc == cases[c].rc, "%s with %s = %zu bytes starting %02x: %d (%s)",
                sl_msg_type_name(m.type), cases[c].key, cases[c].len, cases[c].bytes[0],
                cases[c].rc, err);
        msgpack_zone_destroy(&zone);
    }
    /* Strings one byte over their limit (the encoder would cut them: pack
     * by hand). */
    for (int which = 0; which < 2; which++) {
        size_t n = which ? SL_MAX_TEXT_BYTES + 1 : SL_MAX_NAME_BYTES + 1;
        char *big = malloc(n);
        memset(big, 'f', n);
        msgpack_packer pk;
        msgpack_sbuffer_clear(&out);
        msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint16(&pk, SL_SIGNATURE);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint8(&pk, SL_ERROR);
        msgpack_pack_map(&pk, 4);
        msgpack_pack_str_with_body(&pk, "sess", 4);
        msgpack_pack_uint64(&pk, 1);
        msgpack_pack_str_with_body(&pk, "code", 4);
        msgpack_pack_uint64(&pk, 400);
        msgpack_pack_str_with_body(&pk, "text", 4);
        msgpack_pack_str_with_body(&pk, big, which ? n : 1);
        msgpack_pack_str_with_body(&pk, "field", 5);
        msgpack_pack_str_with_body(&pk, big, which ? 1 : n);
        char err[300] = "";
        int rc = s_decode_sb(&out, err, sizeof err);
        s_check(rc == SL_E_BAD_FIELD && strstr(err, which ? "text" : "field"),
                "ERROR %s of %zu bytes: 407 (%s)", which ? "text" : "field", n, err);
        free(big);
    }
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&out);
}

/* Events: each of the 8 positions with a wrong or out-of-range value. */
static void s_event_fields(void)
{
    /* bytes, then `fill` more bytes 'a' (to complete a bin or str). */
    struct { const char *what; int field; uint8_t bytes[10]; size_t len, fill; int rc; } cases[] = {
        { "seq 0", 0, { 0x00 }, 1, 0, SL_E_BAD_FIELD },
        { "seq 2^63", 0, { 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 9, 0, SL_E_BAD_FIELD },
        { "seq 2^63-1", 0, { 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9, 0, 0 },
        { "seq -1", 0, { 0xff }, 1, 0, SL_E_BAD_FIELD },
        { "id of 15 bytes", 1, { 0xc4, 15 }, 2, 15, SL_E_BAD_FIELD },
        { "id of 17 bytes", 1, { 0xc4, 17 }, 2, 17, SL_E_BAD_FIELD },
        { "id as str", 1, { 0xa1, 'x' }, 2, 0, SL_E_BAD_FIELD },
        { "hlc -1", 2, { 0xff }, 1, 0, SL_E_BAD_FIELD },
        { "wall_ms nil", 3, { 0xc0 }, 1, 0, SL_E_BAD_FIELD },
        { "wall_ms -2^63", 3, { 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 9, 0, 0 },
        { "wall_ms 2^63", 3, { 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 9, 0, SL_E_BAD_FIELD },
        { "type empty", 4, { 0xa0 }, 1, 0, SL_E_BAD_FIELD },
        { "type as bin", 4, { 0xc4, 0x01, 'x' }, 3, 0, SL_E_BAD_FIELD },
        { "type with a control", 4, { 0xa1, 0x07 }, 2, 0, SL_E_BAD_FIELD },
        { "type of 65 bytes", 4, { 0xd9, 65 }, 2, 65, SL_E_BAD_FIELD },
        { "type of 64 bytes", 4, { 0xd9, 64 }, 2, 64, 0 },
        { "payload as str", 5, { 0xa1, 'x' }, 2, 0, SL_E_BAD_FIELD },
        { "payload empty", 5, { 0xc4, 0x00 }, 2, 0, 0 },
        { "prev empty", 6, { 0xc4, 0x00 }, 2, 0, SL_E_BAD_FIELD },
        { "prev of 33 bytes", 6, { 0xc4, 33 }, 2, 33, SL_E_BAD_FIELD },
        { "hash nil", 7, { 0xc0 }, 1, 0, SL_E_BAD_FIELD },
    };
    sl_event_t ev = s_events[0];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint16(&pk, SL_SIGNATURE);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint8(&pk, SL_BATCH);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "sess", 4);
        msgpack_pack_uint64(&pk, 9);
        msgpack_pack_str_with_body(&pk, "events", 6);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_array(&pk, 8);
        for (int f = 0; f < 8; f++) {
            if (f == cases[c].field) {
                msgpack_sbuffer_write(&sb, (const char *) cases[c].bytes, cases[c].len);
                for (size_t i = 0; i < cases[c].fill; i++)
                    msgpack_sbuffer_write(&sb, "a", 1);
                continue;
            }
            switch (f) {
            case 0: msgpack_pack_uint64(&pk, ev.seq); break;
            case 1: msgpack_pack_bin_with_body(&pk, ev.id, SL_ID_BYTES); break;
            case 2: msgpack_pack_uint64(&pk, ev.hlc); break;
            case 3: msgpack_pack_int64(&pk, ev.wall_ms); break;
            case 4: msgpack_pack_str_with_body(&pk, ev.type, ev.type_len); break;
            case 5: msgpack_pack_bin_with_body(&pk, ev.payload, ev.payload_len); break;
            case 6: msgpack_pack_bin_with_body(&pk, ev.prev, SL_HASH_BYTES); break;
            case 7: msgpack_pack_bin_with_body(&pk, ev.hash, SL_HASH_BYTES); break;
            }
        }
        char err[300] = "";
        int rc = s_decode_sb(&sb, err, sizeof err);
        s_check(rc == cases[c].rc, "event with %s: %d (%s)", cases[c].what, cases[c].rc, err);
        msgpack_sbuffer_destroy(&sb);
    }

    /* Payload at the limit and one byte over. */
    static uint8_t big[SL_MAX_PAYLOAD_BYTES + 1];
    for (int over = 0; over < 2; over++) {
        sl_event_t e = ev;
        e.payload = big;
        e.payload_len = SL_MAX_PAYLOAD_BYTES + (size_t) over;
        sl_msg_t m = { .type = SL_BATCH, .sess = 1, .events = &e, .nevents = 1 };
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        sl_msg_encode(&m, &sb);
        char err[300] = "";
        int rc = s_decode_sb(&sb, err, sizeof err);
        s_check(rc == (over ? SL_E_BAD_FIELD : 0), "payload of %zu bytes: %s", e.payload_len,
                over ? "407" : "accepted");
        msgpack_sbuffer_destroy(&sb);
    }
}

static void s_frame_errors(void)
{
    char err[300];
    sl_msg_t m = { 0 };
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

    /* Huge announced lengths, at the top and deep inside a frame: refused by
     * the allocation-free pre-check (its sentence says "announces" or
     * "needs"), before msgpack-c could reserve memory for them.  Under ASan,
     * a 48 GB reservation would abort the test. */
    static const uint8_t heads[][5] = {
        { 0xdd, 0x77, 0x35, 0x94, 0x00 }, { 0xdf, 0x77, 0x35, 0x94, 0x00 },
        { 0xdb, 0x77, 0x35, 0x94, 0x00 }, { 0xc6, 0x77, 0x35, 0x94, 0x00 },
        { 0xdd, 0xff, 0xff, 0xff, 0xff }, { 0xdf, 0xff, 0xff, 0xff, 0xff },
    };
    static const char *names[] = { "array32 of 2e9", "map32 of 2e9", "str32 of 2e9",
                                   "bin32 of 2e9", "array32 of 2^32-1", "map32 of 2^32-1" };
    for (int i = 0; i < 6; i++) {
        char check[200];
        int rc = s_decode(heads[i], 5, &m, err, sizeof err);
        s_check(rc == SL_E_MALFORMED && (strstr(err, "announces") || strstr(err, "needs")),
                "%s in 5 bytes: 400 before any allocation (%s)", names[i], err);
        s_check(sl_mp_check(heads[i], 5, check, sizeof check) != 0,
                "%s: sl_mp_check refuses it", names[i]);
        /* The same header as the value of an unknown key in a PING. */
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint16(&pk, SL_SIGNATURE);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint8(&pk, SL_PING);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "sess", 4);
        msgpack_pack_uint64(&pk, 1);
        msgpack_pack_str_with_body(&pk, "x", 1);
        msgpack_sbuffer_write(&sb, (const char *) heads[i], 5);
        msgpack_sbuffer_write(&sb, "\x01\x02\x03", 3);
        rc = s_decode(sb.data, sb.size, &m, err, sizeof err);
        s_check(rc == SL_E_MALFORMED && (strstr(err, "announces") || strstr(err, "needs")),
                "%s inside a PING body: 400 before any allocation", names[i]);
    }

    /* Trailing bytes, empty frame, not an array, wrong signature. */
    sl_msg_t ping = { .type = SL_PING, .sess = 3 };
    sl_msg_encode(&ping, &sb);
    msgpack_sbuffer_write(&sb, "\x00", 1);
    s_check(s_decode(sb.data, sb.size, &m, err, sizeof err) == SL_E_MALFORMED
            && strstr(err, "trailing"), "PING + 1 trailing byte: 400 (%s)", err);
    s_check(s_decode("", 0, &m, err, sizeof err) == SL_E_MALFORMED, "empty frame: 400");
    s_check(s_decode("\x01", 1, &m, err, sizeof err) == SL_E_MALFORMED, "frame 0x01: 400");
    s_check(s_decode("\xc1", 1, &m, err, sizeof err) == SL_E_MALFORMED, "frame 0xc1 (never used): 400");
    static const uint8_t sig_str[] = { 0x94, 0xa2, 'S', 'L', 0x01, 0x09, 0x81, 0xa4, 's', 'e',
                                       's', 's', 0x01 };
    s_check(s_decode(sig_str, sizeof sig_str, &m, err, sizeof err) == SL_E_MALFORMED
            && m.sess == 0, "signature as the string \"SL\": 400, no session echoed");

    /* Version and type. */
    static const uint8_t v0[] = { 0x94, 0xcd, 0x53, 0x4c, 0x00, 0x09, 0x81, 0xa4, 's', 'e', 's',
                                  's', 0x05 };
    s_check(s_decode(v0, sizeof v0, &m, err, sizeof err) == SL_E_VERSION && m.sess == 5,
            "version 0: 405, session 5 echoed");
    static const uint8_t vstr[] = { 0x94, 0xcd, 0x53, 0x4c, 0xa1, '1', 0x09, 0x81, 0xa4, 's',
                                    'e', 's', 's', 0x05 };
    s_check(s_decode(vstr, sizeof vstr, &m, err, sizeof err) == SL_E_VERSION,
            "version as the string \"1\": 405");
    static const uint8_t v2long[] = { 0x96, 0xcd, 0x53, 0x4c, 0x02, 0x01, 0x02, 0x03, 0x04 };
    s_check(s_decode(v2long, sizeof v2long, &m, err, sizeof err) == SL_E_VERSION,
            "version 2 with a 6-element frame: 405 (version before shape)");
    static const uint8_t v1long[] = { 0x95, 0xcd, 0x53, 0x4c, 0x01, 0x09, 0x81, 0xa4, 's', 'e',
                                      's', 's', 0x05, 0xc0 };
    s_check(s_decode(v1long, sizeof v1long, &m, err, sizeof err) == SL_E_MALFORMED,
            "version 1 with a 5-element frame: 400");
    for (int t = 0; t < 256; t += (t < 20 ? 1 : 47)) {
        uint8_t f[] = { 0x94, 0xcd, 0x53, 0x4c, 0x01, 0xcc, (uint8_t) t, 0x81, 0xa4, 's', 'e',
                        's', 's', 0x05 };
        int rc = s_decode(f, sizeof f, &m, err, sizeof err);
        if (t >= 1 && t <= SL_MSG_TYPE_MAX)
            s_check(rc != SL_E_UNKNOWN_TYPE, "type %d is known", t);
        else
            s_check(rc == SL_E_UNKNOWN_TYPE && m.sess == 5, "type %d: 406, session echoed", t);
    }
    static const uint8_t tneg[] = { 0x94, 0xcd, 0x53, 0x4c, 0x01, 0xff, 0x81, 0xa4, 's', 'e',
                                    's', 's', 0x05 };
    s_check(s_decode(tneg, sizeof tneg, &m, err, sizeof err) == SL_E_UNKNOWN_TYPE,
            "type -1: 406");

    /* Frame size limit: checked before anything is parsed. */
    size_t big = SL_MAX_FRAME_BYTES + 1;
    uint8_t *huge = calloc(1, big);
    s_check(s_decode(huge, big, &m, err, sizeof err) == SL_E_TOO_LARGE,
            "frame of %zu bytes: 413", big);
    free(huge);
    sl_msg_reset(&m);
    msgpack_sbuffer_destroy(&sb);
}

/* Count limits: events per batch, entries per log, objects, depth. */
static void s_limits(void)
{
    char err[300];
    static sl_event_t evs[SL_MAX_BATCH_EVENTS + 1];
    for (size_t i = 0; i < SL_MAX_BATCH_EVENTS + 1; i++) {
        evs[i] = s_events[0];
        evs[i].seq = i + 1;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int over = 0; over < 2; over++) {
        for (int t = 0; t < 2; t++) {
            sl_msg_t m = { .type = t ? SL_EVENTS : SL_BATCH, .sess = 4,
                           .events = evs, .nevents = SL_MAX_BATCH_EVENTS + (size_t) over };
            sl_msg_encode(&m, &sb);
            sl_msg_t d = { 0 };
            int rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
            if (over)
                s_check(rc == SL_E_TOO_LARGE && d.sess == 4, "%s of %d events: 413, session "
                        "echoed (%s)", sl_msg_type_name(m.type), SL_MAX_BATCH_EVENTS + 1, err);
            else
                s_check(rc == 0 && d.nevents == SL_MAX_BATCH_EVENTS
                        && d.events[SL_MAX_BATCH_EVENTS - 1].seq == SL_MAX_BATCH_EVENTS,
                        "%s of %d events (the limit, %zu bytes): accepted",
                        sl_msg_type_name(m.type), SL_MAX_BATCH_EVENTS, sb.size);
            sl_msg_reset(&d);
        }
    }
    static sl_log_entry_t ents[SL_MAX_LOG_ENTRIES + 1];
    for (size_t i = 0; i < SL_MAX_LOG_ENTRIES + 1; i++)
        ents[i] = (sl_log_entry_t) { i + 1, "unit", 4, "k", 1, "v", 1 };
    for (int over = 0; over < 2; over++) {
        sl_msg_t m = { .type = SL_LOG, .sess = 4, .entries = ents,
                       .nentries = SL_MAX_LOG_ENTRIES + (size_t) over,
                       .upto = SL_MAX_LOG_ENTRIES + 1, .log_head = SL_MAX_LOG_ENTRIES + 1 };
        sl_msg_encode(&m, &sb);
        int rc = s_decode_sb(&sb, err, sizeof err);
        s_check(rc == (over ? SL_E_TOO_LARGE : 0), "LOG of %zu entries: %s", m.nentries,
                over ? "413" : "accepted");
    }

    /* Depth: frame (1) and body (2) leave six levels under a body key. */
    for (int depth = 7; depth <= 10; depth++) {
        msgpack_packer pk;
        msgpack_sbuffer_clear(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint16(&pk, SL_SIGNATURE);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint8(&pk, SL_PING);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "sess", 4);
        msgpack_pack_uint64(&pk, 1);
        msgpack_pack_str_with_body(&pk, "x", 1);
        for (int i = 3; i < depth; i++) {
            if (i % 2) {
                msgpack_pack_map(&pk, 1);
                msgpack_pack_str_with_body(&pk, "y", 1);
            } else
                msgpack_pack_array(&pk, 1);
        }
        msgpack_pack_array(&pk, 0);
        int rc = s_decode_sb(&sb, err, sizeof err);
        s_check(rc == (depth <= SL_MAX_DEPTH ? 0 : SL_E_MALFORMED),
                "PING with containers nested %d deep: %s", depth,
                depth <= SL_MAX_DEPTH ? "accepted" : "400");
    }
    /* Deep nesting of a lone value, far past msgpack-c's own stack. */
    uint8_t deep[1000];
    memset(deep, 0x91, sizeof deep);
    deep[sizeof deep - 1] = 0x90;
    char check[200];
    s_check(sl_mp_check(deep, sizeof deep, check, sizeof check) != 0 && strstr(check, "nesting"),
            "1000 nested arrays: refused by sl_mp_check (%s)", check);

    /* Objects: frame 1 + 3 + body map 1 + sess 2 + key 1 + array 1 = 9. */
    for (int over = 0; over < 2; over++) {
        size_t n = SL_MAX_OBJECTS - 9 + (size_t) over;
        msgpack_packer pk;
        msgpack_sbuffer_clear(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_uint16(&pk, SL_SIGNATURE);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint8(&pk, SL_PING);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "sess", 4);
        msgpack_pack_uint64(&pk, 1);
        msgpack_pack_str_with_body(&pk, "x", 1);
        msgpack_pack_array(&pk, n);
        for (size_t i = 0; i < n; i++)
            msgpack_pack_nil(&pk);
        int rc = s_decode_sb(&sb, err, sizeof err);
        s_check(rc == (over ? SL_E_MALFORMED : 0), "frame of %zu msgpack values: %s",
                n + 9, over ? "400" : "accepted");
    }
    msgpack_sbuffer_destroy(&sb);
}

/* Replaces the value of body key `key` of sample `sample` by the msgpack
 * bytes `with` and decodes the result.  Returns the code; the refusal's
 * sentence goes to err and the decoded (or refused) message to *d, whose
 * integers stay readable (its strings pointed into a frame now freed). */
static int s_with(int sample, const char *key, const uint8_t *with, size_t with_len,
                  sl_msg_t *d, char *err, size_t errlen)
{
    msgpack_sbuffer sb, out;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_init(&out);
    sl_msg_t m = s_sample(sample);
    sl_msg_encode(&m, &sb);
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object root;
    size_t off = 0;
    int rc = -1;
    snprintf(err, errlen, "no key %s in sample %d", key, sample);
    if (msgpack_unpack(sb.data, sb.size, &off, &zone, &root) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object_map *body = &root.via.array.ptr[3].via.map;
        for (uint32_t k = 0; k < body->size; k++)
            if (body->ptr[k].key.via.str.size == strlen(key)
                && !memcmp(body->ptr[k].key.via.str.ptr, key, strlen(key))) {
                s_rebuild(&root, (int) k, with, with_len, &out);
                /* an exact-size copy, so ASan sees any over-read */
                uint8_t *copy = malloc(out.size);
                memcpy(copy, out.data, out.size);
                rc = s_decode(copy, out.size, d, err, errlen);
                free(copy);
                break;
            }
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&out);
    return rc;
}

/* msgpack str of n bytes: the UTF-8 character `first`, then 'a's. */
static void s_pack_str(msgpack_sbuffer *sb, const char *first, size_t n)
{
    size_t w = strlen(first);
    char *b = malloc(n + 1);
    memset(b, 'a', n);
    memcpy(b, first, n < w ? n : w);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_str_with_body(&pk, b, n);
    free(b);
}

/* ADMIN, REPLY, ENROLL, ROTATE and WELCOME log_id: what the key tables of
 * PROTOCOL.md section 4 say beyond types (lengths at and over each limit,
 * counts, the order of checks), and what the encoder guarantees. */
static void s_security_messages(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    sl_msg_t d = { 0 };
    char err[300];

    /* ROTATE, worked out by hand: fixarray 4, 0x534C, 1, 15, fixmap 2,
     * "sess" 1, "key" bin8 of 32 bytes. */
    uint8_t key[32];
    memset(key, 0x22, sizeof key);
    sl_msg_t rot = { .type = SL_ROTATE, .sess = 1 };
    memcpy(rot.key, key, 32);
    sl_msg_encode(&rot, &sb);
    uint8_t want[64] = { 0x94, 0xcd, 0x53, 0x4c, 0x01, 0x0f, 0x82, 0xa4, 's', 'e', 's', 's',
                         0x01, 0xa3, 'k', 'e', 'y', 0xc4, 0x20 };
    memset(want + 19, 0x22, 32);
    s_bytes_equal("ROTATE sess 1 (bin8 key)", &sb, want, 51);

    /* One byte over each length limit, and exactly at it. */
    static const struct {
        int sample;
        const char *key, *what, *fill;
        size_t limit;
        int shape;      /* 0 the value itself, 1 an argument's name, 2 its value, 3 cell 0 */
    } lens[] = {
        { 14, "log_id", "WELCOME log_id", "0", SL_MAX_NAME_BYTES, 0 },
        { 15, "verb", "ADMIN verb", "v", SL_MAX_NAME_BYTES, 0 },
        { 15, "args", "ADMIN argument name", "名", SL_MAX_NAME_BYTES, 1 },
        { 15, "args", "ADMIN argument value (a CSV file for ref.import)", "值",
          SL_MAX_ADMIN_ARG_BYTES, 2 },
        { 16, "text", "REPLY text", "字", SL_MAX_TEXT_BYTES, 0 },
        { 16, "cells", "REPLY cell", "格", SL_MAX_TEXT_BYTES, 3 },
        { 18, "site", "ENROLL site", "s", SL_MAX_NAME_BYTES, 0 },
    };
    for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++) {
        for (int over = 0; over < 2; over++) {
            size_t n = lens[c].limit + (size_t) over;
            msgpack_sbuffer_clear(&sb);
            if (lens[c].shape == 1 || lens[c].shape == 2) {
                msgpack_pack_map(&pk, 1);
                if (lens[c].shape == 1)
                    s_pack_str(&sb, lens[c].fill, n);
                msgpack_pack_str_with_body(&pk, "x", 1);
                if (lens[c].shape == 2)
                    s_pack_str(&sb, lens[c].fill, n);
            } else if (lens[c].shape == 3) {
                msgpack_pack_array(&pk, 3);
                s_pack_str(&sb, lens[c].fill, n);
                msgpack_pack_str_with_body(&pk, "", 0);
                msgpack_pack_str_with_body(&pk, "", 0);
            } else {
                s_pack_str(&sb, lens[c].fill, n);
            }
            int rc = s_with(lens[c].sample, lens[c].key, (const uint8_t *) sb.data, sb.size,
                            &d, err, sizeof err);
            s_check(rc == (over ? SL_E_BAD_FIELD : 0), "%s of %zu bytes: %s (%s)",
                    lens[c].what, n, over ? "407" : "accepted", over ? err : "");
            sl_msg_reset(&d);
        }
    }
    /* Keys of 31, 32 and 33 bytes. */
    for (size_t n = 31; n <= 33; n++) {
        for (int sample = 18; sample <= 19; sample++) {
            uint8_t bin[40] = { 0xc4, (uint8_t) n };
            memset(bin + 2, 0x5a, n);
            int rc = s_with(sample, "key", bin, n + 2, &d, err, sizeof err);
            s_check(rc == (n == 32 ? 0 : SL_E_BAD_FIELD)
                    && (n == 32 || (strstr(err, "key") && d.sess == s_sample(sample).sess)),
                    "%s with a %zu-byte key: %s, session echoed (%s)",
                    sample == 18 ? "ENROLL" : "ROTATE", n, n == 32 ? "accepted" : "407",
                    n == 32 ? "" : err);
            sl_msg_reset(&d);
        }
    }

    /* The brief's malformed cases, each named. */
    static const uint8_t admin_int[] = { 0x82, 0xa4, 's', 'i', 't', 'e', 0xa1, 'q',
                                         0xa4, 'd', 'a', 'y', 's', 0x07 };
    int rc = s_with(15, "args", admin_int, sizeof admin_int, &d, err, sizeof err);
    s_check(rc == SL_E_BAD_FIELD && strstr(err, "argument 1"),
            "ADMIN with a non-string argument value: 407 naming the argument (%s)", err);
    sl_msg_reset(&d);
    static const uint8_t admin_dup[] = { 0x82, 0xa4, 's', 'i', 't', 'e', 0xa1, 'q',
                                         0xa4, 's', 'i', 't', 'e', 0xa1, 'r' };
    rc = s_with(15, "args", admin_dup, sizeof admin_dup, &d, err, sizeof err);
    s_check(rc == SL_E_BAD_FIELD && strstr(err, "\"site\""),
            "ADMIN with argument site given twice: 407 (%s)", err);
    sl_msg_reset(&d);
    static const uint8_t cells5[] = { 0x95, 0xa0, 0xa0, 0xa0, 0xa0, 0xa0 };
    rc = s_with(16, "cells", cells5, sizeof cells5, &d, err, sizeof err);
    s_check(rc == SL_E_BAD_FIELD && strstr(err, "5 cells"),
            "REPLY of 5 cells in 3 columns: 407 (%s)", err);
    sl_msg_reset(&d);
    static const uint8_t bad_site[] = { 0xad, 'q', 'u', '0', '1', '/', 'g', 'o', 'n', 'g',
                                        'y', 'u', 'a', 'n' };
    rc = s_with(18, "site", bad_site, sizeof bad_site, &d, err, sizeof err);
    s_check(rc == SL_E_BAD_FIELD && strstr(err, "site"),
            "ENROLL with site qu01/gongyuan: 407 (%s)", err);
    sl_msg_reset(&d);

    /* Argument count: at the limit, over it (413 whatever the arguments
     * hold: the count is checked first), session echoed. */
    sl_arg_t args[SL_MAX_ARGS + 1];
    char names[SL_MAX_ARGS + 1][8];
    for (int i = 0; i < SL_MAX_ARGS + 1; i++) {
        snprintf(names[i], sizeof names[i], "a%d", i);
        args[i] = (sl_arg_t) { names[i], strlen(names[i]), "值", 3 };
    }
    for (int over = 0; over < 2; over++) {
        sl_msg_t m = { .type = SL_ADMIN, .sess = 42, .verb = "site.list", .verb_len = 9,
                       .args = args, .nargs = SL_MAX_ARGS + (size_t) over };
        sl_msg_encode(&m, &sb);
        rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
        if (over)
            s_check(rc == SL_E_TOO_LARGE && d.sess == 42, "ADMIN with %d arguments: 413, "
                    "session echoed (%s)", SL_MAX_ARGS + 1, err);
        else
            s_check(rc == 0 && d.nargs == SL_MAX_ARGS && sl_msg_arg(&d, "a15")
                    && sl_msg_arg(&d, "a15")->value_len == 3, "ADMIN with %d arguments "
                    "(the limit): accepted", SL_MAX_ARGS);
        sl_msg_reset(&d);
    }
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, SL_MAX_ARGS + 1);
    for (int i = 0; i < SL_MAX_ARGS + 1; i++) {
        msgpack_pack_uint64(&pk, (uint64_t) i);     /* neither names nor values are text */
        msgpack_pack_nil(&pk);
    }
    rc = s_with(15, "args", (const uint8_t *) sb.data, sb.size, &d, err, sizeof err);
    s_check(rc == SL_E_TOO_LARGE, "ADMIN with 17 arguments that are not text: 413 (the count "
            "first)");
    sl_msg_reset(&d);

    /* Cell count: 100,000 cells (2,000 rows of 50) accepted; 100,001 cells
     * refused with 413 before the row rule (407) and before any cell. */
    static sl_str_t cells[SL_MAX_CELLS + 1];
    for (size_t i = 0; i < SL_MAX_CELLS + 1; i++)
        cells[i] = (sl_str_t) { "x", 1 };
    for (int over = 0; over < 2; over++) {
        sl_msg_t m = { .type = SL_REPLY, .sess = 43, .text = "", .text_len = 0, .columns = 50,
                       .cells = cells, .ncells = SL_MAX_CELLS + (size_t) over };
        sl_msg_encode(&m, &sb);
        rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
        if (over)
            s_check(rc == SL_E_TOO_LARGE && d.sess == 43, "REPLY of %d cells: 413, session "
                    "echoed (%s)", SL_MAX_CELLS + 1, err);
        else
            s_check(rc == 0 && d.ncells == SL_MAX_CELLS && d.columns == 50
                    && d.cells[SL_MAX_CELLS - 1].len == 1, "REPLY of %d cells (the limit, "
                    "%zu bytes): accepted", SL_MAX_CELLS, sb.size);
        sl_msg_reset(&d);
    }

    /* Order of checks: ENROLL site before key; REPLY text, columns, cells. */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint16(&pk, SL_SIGNATURE);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint8(&pk, SL_ENROLL);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "key", 3);
    msgpack_pack_bin_with_body(&pk, key, 31);
    msgpack_pack_str_with_body(&pk, "site", 4);
    msgpack_pack_str_with_body(&pk, "-x", 2);
    msgpack_pack_str_with_body(&pk, "sess", 4);
    msgpack_pack_uint64(&pk, 9);
    rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
    s_check(rc == SL_E_BAD_FIELD && strstr(err, "site") && !strstr(err, "key") && d.sess == 9,
            "ENROLL with a bad site and a bad key: the site is reported (%s)", err);
    sl_msg_reset(&d);
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint16(&pk, SL_SIGNATURE);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_uint8(&pk, SL_REPLY);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "cells", 5);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_str_with_body(&pk, "columns", 7);
    msgpack_pack_uint64(&pk, 65);
    msgpack_pack_str_with_body(&pk, "text", 4);
    msgpack_pack_str_with_body(&pk, "ok", 2);
    msgpack_pack_str_with_body(&pk, "sess", 4);
    msgpack_pack_uint64(&pk, 9);
    rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
    s_check(rc == SL_E_BAD_FIELD && strstr(err, "columns"),
            "REPLY with columns 65 and a nil cell: columns is reported (%s)", err);
    sl_msg_reset(&d);

    /* sl_msg_arg: exact names only. */
    sl_msg_t m = s_sample(15);
    sl_msg_encode(&m, &sb);
    rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
    const sl_arg_t *a = rc ? NULL : sl_msg_arg(&d, "community");
    s_check(a && a->value_len == 12 && memcmp(a->value, "公园社区", 12) == 0
            && sl_msg_arg(&d, "expires_ms") && !sl_msg_arg(&d, "sit")
            && !sl_msg_arg(&d, "sites") && !sl_msg_arg(&d, "Site"),
            "sl_msg_arg finds arguments by their exact name");
    sl_msg_reset(&d);

    /* WELCOME: log_id absent stays absent, present-but-empty stays present. */
    m = s_sample(1);
    sl_msg_encode(&m, &sb);
    rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
    s_check(rc == 0 && d.log_id == NULL && d.log_id_len == 0, "WELCOME without log_id: "
            "decoded as absent");
    size_t plain = sb.size;
    sl_msg_reset(&d);
    m.log_id = "";
    sl_msg_encode(&m, &sb);
    rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
    s_check(rc == 0 && d.log_id != NULL && d.log_id_len == 0 && sb.size == plain + 8,
            "WELCOME with an empty log_id: present, 8 bytes more");
    sl_msg_reset(&d);

    /* The encoder makes REPLY text valid, like ERROR text (the admin must
     * be able to read every answer); cells are the caller's to get right. */
    m = (sl_msg_t) { .type = SL_REPLY, .sess = 5, .text = "ok\x01\xff", .text_len = 4 };
    sl_msg_encode(&m, &sb);
    rc = s_decode(sb.data, sb.size, &d, err, sizeof err);
    s_check(rc == 0 && d.text_len == 4 && memcmp(d.text, "ok??", 4) == 0,
            "REPLY text with a control and an invalid byte: each becomes '?'");
    sl_msg_reset(&d);
    msgpack_sbuffer_destroy(&sb);
}

/* An ERROR always decodes: its text is made valid and short enough. */
static void s_error_text(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    sl_msg_t m = { 0 };
    char err[300];
    /* 星 (e6 98 9f) then the first two bytes of 级 (e7 ba a7), then a NUL-free control */
    sl_msg_encode_error(&sb, 7, SL_E_INVALID, "\xe6\x98\x9f\xe7\xba\x01ok", "st\xffrs", 2, 0);
    int rc = s_decode(sb.data, sb.size, &m, err, sizeof err);
    s_check(rc == 0 && m.text_len == 8 && memcmp(m.text, "\xe6\x98\x9f???ok", 8) == 0,
            "ERROR text with a cut character and a control: each bad byte becomes '?'");
    s_check(rc == 0 && m.field_len == 5 && memcmp(m.field, "st?rs", 5) == 0,
            "ERROR field with an invalid byte: becomes '?'");
    s_check(rc == 0 && m.seq == 2 && m.expected == 0 && m.code == SL_E_INVALID,
            "ERROR seq 2, no expected, code 422");

    char *longtext = malloc(6001);
    for (int i = 0; i < 2000; i++)
        memcpy(longtext + 3 * i, "\xe7\xba\xa7", 3);  /* 6000 bytes of 级 */
    longtext[6000] = 0;
    sl_msg_encode_error(&sb, 7, SL_E_INVALID, longtext, NULL, 0, 0);
    rc = s_decode(sb.data, sb.size, &m, err, sizeof err);
    s_check(rc == 0 && m.text_len == 3999 && m.field == NULL,
            "ERROR text of 6000 bytes: cut to 3999 bytes at a character boundary");
    free(longtext);
    char field[100];
    memset(field, 'f', 99);
    field[99] = 0;
    sl_msg_encode_error(&sb, 7, SL_E_INVALID, "t", field, 0, 0);
    rc = s_decode(sb.data, sb.size, &m, err, sizeof err);
    s_check(rc == 0 && m.field_len == SL_MAX_NAME_BYTES, "ERROR field of 99 bytes: cut to 64");
    sl_msg_reset(&m);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- random mutations ------------------------------------------------------------ */

static uint64_t s_rng = 0x5eed5eed12345678ULL;

static uint32_t s_rand(void)
{
    s_rng ^= s_rng << 13;       /* xorshift64 */
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng >> 32);
}

static void s_mutations(void)
{
    static const uint8_t interesting[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                           0xc1, 0xc4, 0xc6, 0xcc, 0xcf, 0xd0, 0xd3, 0xd4, 0xd9,
                                           0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff };
    msgpack_sbuffer frames[NSAMPLES];
    for (int i = 0; i < NSAMPLES; i++) {
        msgpack_sbuffer_init(&frames[i]);
        sl_msg_t m = s_sample(i);
        sl_msg_encode(&m, &frames[i]);
    }
    int counts[600] = { 0 };
    int odd = 0, unstable = 0;
    int base_used[NSAMPLES] = { 0 }, base_decoded[NSAMPLES] = { 0 };
    msgpack_sbuffer re;
    msgpack_sbuffer_init(&re);
    for (int round = 0; round < 20000; round++) {
        int which = (int) (s_rand() % NSAMPLES);
        const msgpack_sbuffer *base = &frames[which];
        base_used[which]++;
        size_t len = base->size;
        uint8_t *b = malloc(len + 64);
        memcpy(b, base->data, len);
        int nmut = 1 + (int) (s_rand() % 4);
        for (int k = 0; k < nmut && len > 0; k++) {
            size_t at = s_rand() % len;
            switch (s_rand() % 7) {
            case 0: b[at] ^= (uint8_t) (1u << (s_rand() % 8)); break;
            case 1: b[at] = interesting[s_rand() % sizeof interesting]; break;
            case 2: b[at] = (uint8_t) s_rand(); break;
            case 3: len = at; break;                                 /* truncate */
            case 4: {                                                 /* delete */
                size_t n = 1 + s_rand() % 8;
                if (at + n > len)
                    n = len - at;
                memmove(b + at, b + at + n, len - at - n);
                len -= n;
                break;
            }
            case 5: {                                                 /* insert */
                size_t n = 1 + s_rand() % 8;
                if (len + n > base->size + 64)
                    break;
                memmove(b + at + n, b + at, len - at);
                for (size_t i = 0; i < n; i++)
                    b[at + i] = (uint8_t) s_rand();
                len += n;
                break;
            }
            default:                                                  /* 32-bit length */
                if (at + 4 <= len) {
                    b[at] = 0xff;
                    b[at + 1] = (uint8_t) s_rand();
                }
            }
        }
        /* Exact-size copy so ASan sees any read past the end. */
        uint8_t *frame = malloc(len ? len : 1);
        memcpy(frame, b, len);
        free(b);
        sl_msg_t m = { 0 };
        char err[512];
        int rc = s_decode(frame, len, &m, err, sizeof err);
        if (rc == 0 || rc == SL_E_MALFORMED || rc == SL_E_VERSION || rc == SL_E_UNKNOWN_TYPE
            || rc == SL_E_BAD_FIELD || rc == SL_E_TOO_LARGE)
            counts[rc]++;
        else if (!odd++)
            printf("#   round %d: unexpected code %d (%s)\n", round, rc, err);
        if (rc == 0)
            base_decoded[which]++;
        if (rc == 0) {
            /* Whatever decodes must re-encode to a frame with the same fields. */
            char a[20000], c[20000];
            s_text(&m, a, sizeof a);
            sl_msg_encode(&m, &re);
            sl_msg_t again = { 0 };
            int rc2 = s_decode(re.data, re.size, &again, err, sizeof err);
            s_text(&again, c, sizeof c);
            if (rc2 != 0 || strcmp(a, c) != 0) {
                if (!unstable++)
                    printf("#   round %d: re-encoding differs (%d %s)\n#   %s\n#   %s\n", round,
                           rc2, err, a, c);
            }
            sl_msg_reset(&again);
        }
        sl_msg_reset(&m);
        free(frame);
    }
    s_check(odd == 0, "20000 mutated frames: every one decoded or refused with 400/405/406/407/413");
    s_check(unstable == 0, "mutated frames that decode re-encode to the same fields");
    s_check(counts[0] > 100 && counts[SL_E_MALFORMED] > 1000 && counts[SL_E_BAD_FIELD] > 100,
            "the mutations reach the decoder's paths: %d decoded, %d x 400, %d x 405, "
            "%d x 406, %d x 407, %d x 413", counts[0], counts[400], counts[405], counts[406],
            counts[407], counts[413]);
    /* Every sample, ADMIN, REPLY, ENROLL and ROTATE included, was mutated
     * often enough to be both decoded and refused. */
    int thin = -1;
    for (int i = 0; i < NSAMPLES; i++)
        if (base_used[i] < 500 || base_decoded[i] == 0 || base_decoded[i] == base_used[i])
            thin = i;
    s_check(thin < 0, "each of the %d samples was mutated (>= 500 times) into frames both "
            "decoded and refused%s", NSAMPLES, thin < 0 ? "" : " (not all)");
    msgpack_sbuffer_destroy(&re);
    for (int i = 0; i < NSAMPLES; i++)
        msgpack_sbuffer_destroy(&frames[i]);
}

static void s_names(void)
{
    s_check(strcmp(sl_msg_type_name(SL_LOG_PULL), "LOG_PULL") == 0
            && strcmp(sl_msg_type_name(SL_ERROR), "ERROR") == 0
            && strcmp(sl_msg_type_name(12), "ADMIN") == 0
            && strcmp(sl_msg_type_name(13), "REPLY") == 0
            && strcmp(sl_msg_type_name(14), "ENROLL") == 0
            && strcmp(sl_msg_type_name(15), "ROTATE") == 0
            && strcmp(sl_msg_type_name(0), "UNKNOWN") == 0
            && strcmp(sl_msg_type_name(16), "UNKNOWN") == 0
            && strcmp(sl_msg_type_name(-1), "UNKNOWN") == 0, "message type names");
    s_check(strcmp(sl_error_name(409), "GAP") == 0 && strcmp(sl_error_name(413), "TOO_LARGE") == 0
            && strcmp(sl_error_name(499), "UNKNOWN_ERROR") == 0, "error code names");
    s_check(SL_HELLO == 1 && SL_WELCOME == 2 && SL_BATCH == 3 && SL_ACK == 4 && SL_FETCH == 5
            && SL_EVENTS == 6 && SL_LOG_PULL == 7 && SL_LOG == 8 && SL_PING == 9
            && SL_PONG == 10 && SL_ERROR == 11 && SL_ADMIN == 12 && SL_REPLY == 13
            && SL_ENROLL == 14 && SL_ROTATE == 15 && SL_MSG_TYPE_MAX == 15,
            "message type numbers are those of PROTOCOL.md");
}

/* Starts a PING frame by hand in sb: `npairs` body pairs, the first `sess`. */
static void s_ping_head(msgpack_sbuffer *sb, msgpack_packer *pk, uint32_t npairs, uint64_t sess)
{
    msgpack_sbuffer_clear(sb);
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint16(pk, SL_SIGNATURE);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_uint8(pk, SL_PING);
    msgpack_pack_map(pk, npairs);
    msgpack_pack_str_with_body(pk, "sess", 4);
    msgpack_pack_uint64(pk, sess);
}

/* Telemetry keys (PROTOCOL.md 4.1.1): optional, each checked like any body
 * key; an old HELLO or PING without them decodes with tm.has 0. */
static void s_telemetry(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    char err[300];
    sl_msg_t m = { 0 };
    sl_msg_t hello = s_sample(0);
    sl_msg_encode(&hello, &sb);
    s_check(s_decode(sb.data, sb.size, &m, err, sizeof err) == 0 && m.tm.has == 0,
            "a HELLO without telemetry decodes with no telemetry");
    sl_msg_reset(&m);
    struct { const char *key; int kind; uint64_t bad; const char *why; } cases[] = {
        { "outbox", 0, (uint64_t) INT64_MAX + 1, "outbox 2^63" },
        { "outbox_age_ms", 0, (uint64_t) INT64_MAX + 1, "outbox_age_ms 2^63" },
        { "clock_ms", 0, (uint64_t) INT64_MAX + 1, "clock_ms 2^63" },
        { "disk_free", 1, 0, "disk_free as a string" },
        { "last_error", 2, 0, "last_error as an integer" },
        { "last_seq", 1, 0, "PING last_seq as a string" },
        { "outbox", 3, 0, "outbox negative" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_ping_head(&sb, &pk, 2, 77);
        msgpack_pack_str_with_body(&pk, cases[i].key, strlen(cases[i].key));
        if (cases[i].kind == 0)
            msgpack_pack_uint64(&pk, cases[i].bad);
        else if (cases[i].kind == 1)
            msgpack_pack_str_with_body(&pk, "12", 2);
        else if (cases[i].kind == 2)
            msgpack_pack_uint64(&pk, 12);
        else
            msgpack_pack_int64(&pk, -5);
        int rc = s_decode(sb.data, sb.size, &m, err, sizeof err);
        s_check(rc == SL_E_BAD_FIELD && m.sess == 77 && strstr(err, cases[i].key),
                "PING with %s: 407 naming the key (%d: %s)", cases[i].why, rc, err);
        sl_msg_reset(&m);
    }
    /* A key given twice is refused, as for every body key. */
    s_ping_head(&sb, &pk, 3, 78);
    msgpack_pack_str_with_body(&pk, "outbox", 6);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "outbox", 6);
    msgpack_pack_uint64(&pk, 2);
    s_check(s_decode(sb.data, sb.size, &m, err, sizeof err) == SL_E_BAD_FIELD,
            "PING with outbox twice: 407");
    sl_msg_reset(&m);
    /* The encoder keeps last_error within its limit, cut at a character. */
    char long_text[SL_MAX_TELEMETRY_TEXT + 10];
    memset(long_text, 'x', sizeof long_text);
    memcpy(long_text + SL_MAX_TELEMETRY_TEXT - 1, "错", 3);
    sl_msg_t ping = { .type = SL_PING, .sess = 79 };
    ping.tm = (sl_telemetry_t) { .has = SL_TM_LAST_ERROR, .last_error = long_text,
                                 .last_error_len = sizeof long_text };
    sl_msg_encode(&ping, &sb);
    int rc = s_decode(sb.data, sb.size, &m, err, sizeof err);
    s_check(rc == 0 && m.tm.last_error_len == SL_MAX_TELEMETRY_TEXT - 1,
            "an over-long last_error is cut to the limit at a character boundary (%zu)",
            m.tm.last_error_len);
    sl_msg_reset(&m);
    /* last_seq is PING's: in a HELLO it is the HELLO's own key. */
    s_check(!(hello.tm.has & SL_TM_LAST_SEQ), "HELLO carries no telemetry last_seq");
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    s_init_samples();
    s_telemetry();
    s_names();
    s_hand_made();
    s_round_trips();
    s_truncations();
    s_keys();
    s_ranges();
    s_event_fields();
    s_frame_errors();
    s_limits();
    s_security_messages();
    s_error_text();
    s_mutations();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
