/* gen_vectors.c: writes the protocol v1 test vectors in proto/vectors/.
 *
 * Not a unit test and not part of the build: run it by hand after a change
 * to the wire format, then review the diff of proto/vectors/ like code.
 * Everything is fixed (site, ids, clocks, payloads, session numbers), so two
 * runs write identical files.  From the repository root:
 *
 *   cmake --build build-proto --target slcore
 *   cc -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -I common -I proto \
 *      proto/vectors/gen_vectors.c build-proto/libslcore.a \
 *      $(pkg-config --cflags --libs msgpack libsodium libzmq) -o /tmp/gen_vectors
 *   /tmp/gen_vectors proto/vectors
 *
 * File formats are described in proto/vectors/README.md and in
 * proto/PROTOCOL.md, section "Test vectors".  Descriptions (NAME.txt) are
 * written from the values the frames were built from, never from decoding
 * the frames, so tests/test_vectors.c really compares two things. */
#include "sl_event.h"
#include "sl_id.h"
#include "sl_limits.h"
#include "sl_msg.h"
#include "sl_schema.h"
#include <msgpack.h>
#include <sodium.h>
#include <stdarg.h>
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SITE        "qu01.gongyuan"
#define MS0         1732752000000ULL          /* 2024-11-28T00:00:00.000Z */
#define SESS        1732752000000000ULL       /* a site's session: ms * 1000 */
#define AGENT       "shuanglian-site/0.1.0"
#define ADMIN_SESS  1732752000000ULL          /* an admin request's session: ms */

static const char *s_dir;
static FILE *s_index;

/* ---- output helpers ------------------------------------------------------ */

static FILE *s_open(const char *name, const char *ext)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", s_dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static void s_hex_line(FILE *f, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", b[i]);
}

/* NAME.hex: a comment, then the bytes in lowercase hex, 64 digits a line. */
static void s_write_hex(const char *name, const char *comment, const uint8_t *b, size_t len)
{
    for (const char *c = comment; *c; c++)
        if ((unsigned char) *c >= 0x80) {
            fprintf(stderr, "gen_vectors: %s: .hex files are ASCII, the comment is not\n", name);
            exit(1);
        }
    FILE *f = s_open(name, "hex");
    fprintf(f, "# %s: %s\n# %zu bytes\n", name, comment, len);
    for (size_t i = 0; i < len; i += 32) {
        s_hex_line(f, b + i, len - i < 32 ? len - i : 32);
        fputc('\n', f);
    }
    fclose(f);
}

static FILE *s_txt(const char *name, const char *kind, const char *comment)
{
    FILE *f = s_open(name, "txt");
    fprintf(f, "# %s: %s\nkind = %s\n", name, comment, kind);
    fprintf(s_index, "%s\n", name);
    return f;
}

static void s_kv(FILE *f, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_kv(FILE *f, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "%s = ", key);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
}

static void s_kv_u(FILE *f, const char *key, uint64_t v)
{
    s_kv(f, key, "%llu", (unsigned long long) v);
}

static void s_kv_hex(FILE *f, const char *key, const uint8_t *b, size_t len)
{
    fprintf(f, "%s = ", key);
    s_hex_line(f, b, len);
    fputc('\n', f);
}

static void s_kv_str(FILE *f, const char *key, const char *s, size_t len)
{
    s_kv(f, key, "%.*s", (int) len, s);
}

/* ---- the fixed world ----------------------------------------------------- */

typedef struct {
    sl_event_t ev;
    uint8_t payload[1024];
    uint8_t hash_input[2048];
    size_t hash_input_len;
} s_event_t;

static s_event_t s_ev[3];        /* events 1 and 2 of SITE, and one odd one */

/* CURVE public keys (X25519, from fixed secrets): the site's long-term key
 * sent in ENROLL, and the next one sent in ROTATE.  The secrets are never
 * on the wire; they are fixed only so that the keys are real keys. */
static uint8_t s_site_key[32], s_next_key[32];
static char s_log_id[2 * SL_ID_BYTES + 1];  /* WELCOME log_id: hex of an id */

/* A UUIDv7-layout id: 48 bits of ms, version 7, fixed "random" bits. */
static void s_id(uint8_t id[SL_ID_BYTES], uint64_t hlc, uint8_t salt)
{
    uint64_t ms = hlc >> 16;
    for (int i = 0; i < 6; i++)
        id[i] = (uint8_t) (ms >> (40 - 8 * i));
    for (int i = 6; i < SL_ID_BYTES; i++)
        id[i] = (uint8_t) (salt * 17 + i * 29);
    id[6] = (uint8_t) (0x70 | (id[6] & 0x0F));
    id[8] = (uint8_t) (0x80 | (id[8] & 0x3F));
}

static void s_put(s_event_t *e, const void *b, size_t len)
{
    memcpy(e->hash_input + e->hash_input_len, b, len);
    e->hash_input_len += len;
}

static void s_put_u64(s_event_t *e, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t) (v >> (56 - 8 * i));
    s_put(e, b, 8);
}

/* Builds the bytes PROTOCOL.md says are hashed, hashes them, and checks the
 * result against sl_event_hash: the generator refuses to write a vector on
 * which the written rule and the code disagree. */
static void s_seal(s_event_t *e, const char *site)
{
    static const char domain[] = "shuanglian.event.v1";
    sl_event_t *ev = &e->ev;
    uint8_t n;
    e->hash_input_len = 0;
    s_put(e, domain, sizeof domain - 1);
    s_put(e, ev->prev, SL_HASH_BYTES);
    n = (uint8_t) strlen(site);
    s_put(e, &n, 1);
    s_put(e, site, strlen(site));
    s_put_u64(e, ev->seq);
    s_put(e, ev->id, SL_ID_BYTES);
    s_put_u64(e, ev->hlc);
    s_put_u64(e, (uint64_t) ev->wall_ms);
    n = (uint8_t) ev->type_len;
    s_put(e, &n, 1);
    s_put(e, ev->type, ev->type_len);
    s_put_u64(e, ev->payload_len);
    s_put(e, ev->payload, ev->payload_len);
    crypto_generichash(ev->hash, SL_HASH_BYTES, e->hash_input, e->hash_input_len, NULL, 0);
    uint8_t check[SL_HASH_BYTES];
    sl_event_hash(ev, site, strlen(site), check);
    if (memcmp(check, ev->hash, SL_HASH_BYTES) != 0) {
        fprintf(stderr, "gen_vectors: sl_event_hash disagrees with the written rule\n");
        exit(1);
    }
}

static size_t s_payload(const char *type, size_t n, const char *const *names,
                        const char *const *values, uint8_t *out, size_t cap)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[300];
    const sl_rtype_t *rt = sl_schema_find(type, strlen(type));
    if (!rt || sl_schema_build(rt, n, names, values, &sb, NULL, err, sizeof err, NULL)
        || sb.size > cap) {
        fprintf(stderr, "gen_vectors: payload for %s: %s\n", type, rt ? err : "no such type");
        exit(1);
    }
    memcpy(out, sb.data, sb.size);
    size_t len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return len;
}

static const char *const s_sm_names[] = { "unit", "title", "status", "on", "beneficiaries" };
static const char *const s_sm_values[] = { "mz01", "为独居老人安装烟雾报警器", "done",
                                           "2024-11-27", "12" };
static const char *const s_pr_names[] = { "reporter_kind", "summary", "location", "on" };
static const char *const s_pr_values[] = { "courier", "楼道堆放杂物，影响通行", "3号楼2单元",
                                           "2024-11-26" };
static const char *const s_rt_names[] = { "item", "stars", "comment" };
static char s_rt_item[SL_ID_TEXT];
static const char *const s_rt_values[] = { s_rt_item, "5", "很及时，谢谢" };

static void s_world(void)
{
    /* Event 1: a service matter, recorded at MS0. */
    s_event_t *e = &s_ev[0];
    e->ev.seq = 1;
    e->ev.hlc = MS0 << 16;
    e->ev.wall_ms = (int64_t) MS0;
    s_id(e->ev.id, e->ev.hlc, 1);
    e->ev.type = "service_matter";
    e->ev.type_len = strlen(e->ev.type);
    e->ev.payload_len = s_payload("service_matter", 5, s_sm_names, s_sm_values,
                                  e->payload, sizeof e->payload);
    e->ev.payload = e->payload;
    memset(e->ev.prev, 0, SL_HASH_BYTES);
    s_seal(e, SITE);

    /* Event 2: a rating of event 1.  The site's wall clock went back 5 s;
     * the HLC did not (same ms, counter 1). */
    e = &s_ev[1];
    e->ev.seq = 2;
    e->ev.hlc = (MS0 << 16) + 1;
    e->ev.wall_ms = (int64_t) MS0 - 5000;
    s_id(e->ev.id, e->ev.hlc, 2);
    e->ev.type = "rating";
    e->ev.type_len = strlen(e->ev.type);
    sl_id_format(s_ev[0].ev.id, s_rt_item);
    e->ev.payload_len = s_payload("rating", 3, s_rt_names, s_rt_values,
                                  e->payload, sizeof e->payload);
    e->ev.payload = e->payload;
    memcpy(e->ev.prev, s_ev[0].ev.hash, SL_HASH_BYTES);
    s_seal(e, SITE);

    /* An event from a site whose clock is before 1970 (wall_ms -1), with an
     * empty payload and a non-zero HLC counter: pins signed and edge cases. */
    e = &s_ev[2];
    e->ev.seq = 7;
    e->ev.hlc = ((MS0 + 1234) << 16) | 0x0102;
    e->ev.wall_ms = -1;
    s_id(e->ev.id, e->ev.hlc, 3);
    e->ev.type = "problem_report";
    e->ev.type_len = strlen(e->ev.type);
    e->ev.payload_len = 0;
    e->ev.payload = e->payload;
    memset(e->ev.prev, 0xab, SL_HASH_BYTES);
    s_seal(e, "qu02.hexi-3");

    uint8_t secret[32], id[SL_ID_BYTES];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t) (i * 7 + 3);
    crypto_scalarmult_base(s_site_key, secret);
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t) (i * 11 + 5);
    crypto_scalarmult_base(s_next_key, secret);
    sodium_memzero(secret, sizeof secret);
    /* The server log was created 30 days before MS0 (shuanglian-server init). */
    s_id(id, (MS0 - 30 * 86400000ULL) << 16, 9);
    sl_hex(id, SL_ID_BYTES, s_log_id);
}

/* ---- descriptions ---------------------------------------------------------- */

static void s_describe_event(FILE *f, size_t i, const s_event_t *e)
{
    char key[64], text[SL_ID_TEXT];
    const sl_event_t *ev = &e->ev;
#define K(name) (snprintf(key, sizeof key, "event.%zu.%s", i, name), key)
    s_kv_u(f, K("seq"), ev->seq);
    s_kv_hex(f, K("id"), ev->id, SL_ID_BYTES);
    sl_id_format(ev->id, text);
    s_kv(f, K("id_text"), "%s", text);
    s_kv_u(f, K("hlc"), ev->hlc);
    s_kv_u(f, K("hlc_ms"), ev->hlc >> 16);
    s_kv_u(f, K("hlc_counter"), ev->hlc & 0xFFFF);
    s_kv(f, K("wall_ms"), "%lld", (long long) ev->wall_ms);
    s_kv_str(f, K("type"), ev->type, ev->type_len);
    s_kv_hex(f, K("payload"), ev->payload, ev->payload_len);
    s_kv_hex(f, K("prev"), ev->prev, SL_HASH_BYTES);
    s_kv_hex(f, K("hash"), ev->hash, SL_HASH_BYTES);
    s_kv_hex(f, K("hash_input"), e->hash_input, e->hash_input_len);
#undef K
}

/* The telemetry keys of HELLO and PING (PROTOCOL.md 4.1.1) that are present. */
static void s_describe_tm(FILE *f, const sl_telemetry_t *tm)
{
    if (tm->has & SL_TM_LAST_SEQ)
        s_kv_u(f, "last_seq", tm->last_seq);
    if (tm->has & SL_TM_OUTBOX)
        s_kv_u(f, "outbox", tm->outbox);
    if (tm->has & SL_TM_OUTBOX_AGE)
        s_kv_u(f, "outbox_age_ms", tm->outbox_age_ms);
    if (tm->has & SL_TM_CLOCK)
        s_kv(f, "clock_ms", "%lld", (long long) tm->clock_ms);
    if (tm->has & SL_TM_DISK_FREE)
        s_kv_u(f, "disk_free", tm->disk_free);
    if (tm->has & SL_TM_LAST_ERROR)
        s_kv_str(f, "last_error", tm->last_error, tm->last_error_len);
}

/* Writes every field of m, as PROTOCOL.md names it. */
static void s_describe(FILE *f, const sl_msg_t *m, const s_event_t *const *evs)
{
    s_kv(f, "type", "%s", sl_msg_type_name(m->type));
    s_kv_u(f, "sess", m->sess);
    switch (m->type) {
    case SL_HELLO:
        s_kv_str(f, "site", m->site, m->site_len);
        s_kv_u(f, "last_seq", m->last_seq);
        s_kv_hex(f, "last_hash", m->last_hash, SL_HASH_BYTES);
        s_kv_u(f, "cursor", m->cursor);
        s_kv_u(f, "hlc", m->hlc);
        if (m->agent)
            s_kv_str(f, "agent", m->agent, m->agent_len);
        s_describe_tm(f, &m->tm);
        break;
    case SL_WELCOME:
        s_kv_u(f, "server_seq", m->server_seq);
        s_kv_u(f, "match_seq", m->match_seq);
        s_kv_hex(f, "match_hash", m->match_hash, SL_HASH_BYTES);
        s_kv_u(f, "log_head", m->log_head);
        s_kv_u(f, "hlc", m->hlc);
        s_kv_u(f, "credit", m->credit);
        s_kv_u(f, "max_batch", m->max_batch);
        s_kv_u(f, "heartbeat_ms", m->heartbeat_ms);
        if (m->log_id)
            s_kv_str(f, "log_id", m->log_id, m->log_id_len);
        break;
    case SL_ADMIN:
        s_kv_str(f, "verb", m->verb, m->verb_len);
        s_kv_u(f, "args", m->nargs);
        for (size_t i = 0; i < m->nargs; i++) {
            char key[64];
            snprintf(key, sizeof key, "arg.%zu.key", i);
            s_kv_str(f, key, m->args[i].key, m->args[i].key_len);
            snprintf(key, sizeof key, "arg.%zu.value", i);
            s_kv_str(f, key, m->args[i].value, m->args[i].value_len);
        }
        break;
    case SL_REPLY:
        s_kv_str(f, "text", m->text, m->text_len);
        s_kv_u(f, "columns", m->columns);
        s_kv_u(f, "cells", m->ncells);
        for (size_t i = 0; i < m->ncells; i++) {
            char key[64];
            snprintf(key, sizeof key, "cell.%zu", i);
            s_kv_str(f, key, m->cells[i].ptr, m->cells[i].len);
        }
        break;
    case SL_ENROLL:
    case SL_ROTATE: {
        char z85[41];
        if (m->type == SL_ENROLL)
            s_kv_str(f, "site", m->site, m->site_len);
        s_kv_hex(f, "key", m->key, 32);
        zmq_z85_encode(z85, m->key, 32);
        s_kv(f, "key_z85", "%s", z85);
        break;
    }
    case SL_BATCH:
    case SL_EVENTS:
        if (m->type == SL_EVENTS)
            s_kv_u(f, "server_seq", m->server_seq);
        s_kv(f, "hash_site", "%s", SITE);
        s_kv_u(f, "events", m->nevents);
        for (size_t i = 0; i < m->nevents; i++)
            s_describe_event(f, i, evs[i]);
        break;
    case SL_ACK:
        s_kv_u(f, "acked", m->acked);
        s_kv_u(f, "log_head", m->log_head);
        break;
    case SL_FETCH:
        s_kv_u(f, "from", m->from);
        s_kv_u(f, "max", m->max);
        break;
    case SL_LOG_PULL:
        s_kv_u(f, "after", m->cursor);
        s_kv_u(f, "max", m->max);
        break;
    case SL_LOG:
        s_kv_u(f, "entries", m->nentries);
        for (size_t i = 0; i < m->nentries; i++) {
            char key[64];
            const sl_log_entry_t *e = &m->entries[i];
            snprintf(key, sizeof key, "entry.%zu.lseq", i);
            s_kv_u(f, key, e->lseq);
            snprintf(key, sizeof key, "entry.%zu.kind", i);
            s_kv_str(f, key, e->kind, e->kind_len);
            snprintf(key, sizeof key, "entry.%zu.key", i);
            s_kv_str(f, key, e->key, e->key_len);
            if (e->value) {
                snprintf(key, sizeof key, "entry.%zu.value", i);
                s_kv_str(f, key, e->value, e->value_len);
            } else {
                snprintf(key, sizeof key, "entry.%zu.value_nil", i);
                s_kv(f, key, "yes");
            }
        }
        s_kv_u(f, "upto", m->upto);
        s_kv_u(f, "log_head", m->log_head);
        break;
    case SL_PING:
        s_describe_tm(f, &m->tm);
        break;
    case SL_PONG:
        s_kv_u(f, "log_head", m->log_head);
        break;
    case SL_ERROR:
        s_kv_u(f, "code", m->code);
        s_kv_str(f, "text", m->text, m->text_len);
        if (m->field)
            s_kv_str(f, "field", m->field, m->field_len);
        if (m->seq)
            s_kv_u(f, "seq", m->seq);
        if (m->expected)
            s_kv_u(f, "expected", m->expected);
        break;
    default:
        break;
    }
}

/* A valid message: NAME.hex holds `frame` (or m encoded when frame is NULL),
 * NAME.txt every field of m.  reencode: whether encoding the decoded
 * message gives back exactly these bytes. */
static void s_valid(const char *name, const char *comment, const sl_msg_t *m,
                    const s_event_t *const *evs, const msgpack_sbuffer *frame, bool reencode)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    sl_msg_encode(m, &sb);
    const msgpack_sbuffer *bytes = frame ? frame : &sb;
    /* The generator checks its own output decodes before writing it. */
    sl_msg_t d = { 0 };
    char err[300];
    int rc = sl_msg_decode(&d, (const uint8_t *) bytes->data, bytes->size, err, sizeof err);
    if (rc) {
        fprintf(stderr, "gen_vectors: %s does not decode: %d %s\n", name, rc, err);
        exit(1);
    }
    sl_msg_reset(&d);
    if (reencode != (bytes->size == sb.size && memcmp(bytes->data, sb.data, sb.size) == 0)) {
        fprintf(stderr, "gen_vectors: %s: reencode flag is wrong\n", name);
        exit(1);
    }
    s_write_hex(name, comment, (const uint8_t *) bytes->data, bytes->size);
    FILE *f = s_txt(name, "message", comment);
    s_kv(f, "reencode", "%s", reencode ? "yes" : "no");
    s_describe(f, m, evs);
    fclose(f);
    msgpack_sbuffer_destroy(&sb);
}

static void s_malformed(const char *name, const char *comment, const uint8_t *b, size_t len,
                        int expect, uint64_t error_sess)
{
    sl_msg_t d = { 0 };
    char err[300] = "";
    int rc = sl_msg_decode(&d, b, len, err, sizeof err);
    if (rc != expect || d.sess != error_sess) {
        fprintf(stderr, "gen_vectors: %s: decoder says %d (sess %llu), vector says %d (%llu): %s\n",
                name, rc, (unsigned long long) d.sess, expect,
                (unsigned long long) error_sess, err);
        exit(1);
    }
    sl_msg_reset(&d);
    s_write_hex(name, comment, b, len);
    FILE *f = s_txt(name, "malformed", comment);
    s_kv(f, "expect", "%d", expect);
    s_kv(f, "expect_name", "%s", sl_error_name(expect));
    s_kv_u(f, "error_sess", error_sess);
    fclose(f);
}

/* ---- raw packing, for frames our encoder would never write ------------------ */

static void s_pstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void s_phead(msgpack_packer *pk, uint64_t sig, uint64_t version, uint64_t type,
                    size_t nkeys)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint64(pk, sig);
    msgpack_pack_uint64(pk, version);
    msgpack_pack_uint64(pk, type);
    msgpack_pack_map(pk, nkeys);
}

typedef enum { EV_OK, EV_EXTRA, EV_SHORT, EV_WALL_OVERFLOW, EV_HASH_31 } s_evraw_t;

static void s_pevent(msgpack_packer *pk, const sl_event_t *ev, s_evraw_t how)
{
    msgpack_pack_array(pk, how == EV_EXTRA ? 9 : how == EV_SHORT ? 7 : 8);
    msgpack_pack_uint64(pk, ev->seq);
    msgpack_pack_bin_with_body(pk, ev->id, SL_ID_BYTES);
    msgpack_pack_uint64(pk, ev->hlc);
    if (how == EV_WALL_OVERFLOW)
        msgpack_pack_uint64(pk, (uint64_t) INT64_MAX + 1);
    else
        msgpack_pack_int64(pk, ev->wall_ms);
    msgpack_pack_str_with_body(pk, ev->type, ev->type_len);
    msgpack_pack_bin_with_body(pk, ev->payload, ev->payload_len);
    msgpack_pack_bin_with_body(pk, ev->prev, SL_HASH_BYTES);
    if (how != EV_SHORT)
        msgpack_pack_bin_with_body(pk, ev->hash, how == EV_HASH_31 ? 31 : SL_HASH_BYTES);
    if (how == EV_EXTRA)
        s_pstr(pk, "a field from a later minor version");
}

static void s_batch_raw(msgpack_sbuffer *sb, s_evraw_t second)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    s_phead(&pk, SL_SIGNATURE, 1, SL_BATCH, 2);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "events");
    msgpack_pack_array(&pk, 2);
    s_pevent(&pk, &s_ev[0].ev, EV_OK);
    s_pevent(&pk, &s_ev[1].ev, second);
}

/* Appends key/value pairs to the body of an encoded frame (the body map is
 * the frame's last element and, for these, a fixmap at offset 6). */
static void s_add_pairs(msgpack_sbuffer *sb, size_t npairs)
{
    uint8_t *b = (uint8_t *) sb->data;
    if (sb->size < 7 || (b[6] & 0xF0) != 0x80 || (b[6] & 0x0F) + npairs > 15) {
        fprintf(stderr, "gen_vectors: cannot add pairs\n");
        exit(1);
    }
    b[6] = (uint8_t) (b[6] + npairs);
}

/* ---- the vectors ----------------------------------------------------------- */

static void s_messages(void)
{
    const s_event_t *both[2] = { &s_ev[0], &s_ev[1] };
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

    sl_msg_t hello = { .type = SL_HELLO, .sess = SESS, .site = SITE, .site_len = strlen(SITE),
                       .last_seq = 2, .cursor = 7, .hlc = s_ev[1].ev.hlc, .agent = AGENT,
                       .agent_len = strlen(AGENT) };
    memcpy(hello.last_hash, s_ev[1].ev.hash, SL_HASH_BYTES);
    s_valid("hello", "HELLO from site " SITE " holding events 1..2, cursor 7", &hello, NULL,
            NULL, true);

    sl_msg_t welcome = { .type = SL_WELCOME, .sess = SESS, .server_seq = 1, .match_seq = 1,
                         .log_head = 9, .hlc = (MS0 + 20) << 16, .credit = 4,
                         .max_batch = 1000, .heartbeat_ms = 2000 };
    memcpy(welcome.match_hash, s_ev[0].ev.hash, SL_HASH_BYTES);
    s_valid("welcome", "WELCOME: the server holds event 1 of the site, log head 9", &welcome,
            NULL, NULL, true);

    sl_event_t evs[2] = { s_ev[0].ev, s_ev[1].ev };
    sl_msg_t batch = { .type = SL_BATCH, .sess = SESS, .events = evs, .nevents = 2 };
    s_valid("batch", "BATCH of events 1 and 2 of site " SITE " with their hashes", &batch,
            both, NULL, true);

    sl_msg_t ack = { .type = SL_ACK, .sess = SESS, .acked = 2, .log_head = 9 };
    s_valid("ack", "ACK: committed up to event 2", &ack, NULL, NULL, true);

    sl_msg_t fetch = { .type = SL_FETCH, .sess = SESS, .from = 2, .max = 1000 };
    s_valid("fetch", "FETCH: send my own events from 2", &fetch, NULL, NULL, true);

    sl_msg_t events = { .type = SL_EVENTS, .sess = SESS, .server_seq = 2, .events = evs,
                        .nevents = 2 };
    s_valid("events", "EVENTS: the site's events 1 and 2 sent back by the server", &events,
            both, NULL, true);

    sl_msg_t pull = { .type = SL_LOG_PULL, .sess = SESS, .cursor = 7, .max = 1000 };
    s_valid("log_pull", "LOG_PULL: server-log entries after 7", &pull, NULL, NULL, true);

    sl_log_entry_t entries[2] = {
        { 8, "community", 9, "gongyuan", 8, "公园社区", strlen("公园社区") },
        { 9, "setting", 7, "retention_days", 14, NULL, 0 },
    };
    sl_msg_t log = { .type = SL_LOG, .sess = SESS, .entries = entries, .nentries = 2,
                     .upto = 9, .log_head = 9 };
    s_valid("log", "LOG: entries 8 (a value) and 9 (a deletion), cursor to store 9", &log,
            NULL, NULL, true);

    sl_msg_t ping = { .type = SL_PING, .sess = SESS };
    s_valid("ping", "PING", &ping, NULL, NULL, true);

    sl_msg_t pong = { .type = SL_PONG, .sess = SESS, .log_head = 10 };
    s_valid("pong", "PONG announcing server-log head 10", &pong, NULL, NULL, true);

    const char *t408 = "no session for this connection: send HELLO first";
    sl_msg_t e408 = { .type = SL_ERROR, .sess = SESS, .code = SL_E_NO_SESSION, .text = t408,
                      .text_len = strlen(t408) };
    s_valid("error_minimal", "ERROR 408 with no optional keys", &e408, NULL, NULL, true);

    const char *t409 = "event 5 does not follow the last committed event 2";
    sl_msg_t e409 = { .type = SL_ERROR, .sess = SESS, .code = SL_E_GAP, .text = t409,
                      .text_len = strlen(t409), .field = "seq", .field_len = 3, .seq = 5,
                      .expected = 3 };
    s_valid("error_full", "ERROR 409 with every optional key (field, seq, expected)", &e409,
            NULL, NULL, true);

    const char *t422 = "event 2 (rating): field \"stars\" (星级) is 6, must be 1..5";
    sl_msg_t e422 = { .type = SL_ERROR, .sess = SESS, .code = SL_E_INVALID, .text = t422,
                      .text_len = strlen(t422), .field = "payload", .field_len = 7, .seq = 2 };
    s_valid("error_invalid", "ERROR 422 with Chinese text, field and seq, no expected",
            &e422, NULL, NULL, true);

    sl_msg_t welcome_id = welcome;
    welcome_id.log_id = s_log_id;
    welcome_id.log_id_len = strlen(s_log_id);
    s_valid("welcome_log_id", "WELCOME with the optional log_id (identity of the server log)",
            &welcome_id, NULL, NULL, true);

    sl_arg_t args[2] = { { "kind", 4, "unit", 4 },
                         { "key", 3, "区民政局", strlen("区民政局") } };
    sl_msg_t admin = { .type = SL_ADMIN, .sess = ADMIN_SESS, .verb = "ref.del", .verb_len = 7,
                       .args = args, .nargs = 2 };
    s_valid("admin", "ADMIN ref.del with 2 arguments, one of them Chinese text (a unit's name)",
            &admin, NULL, NULL, true);

    /* An argument value over SL_MAX_TEXT_BYTES: ADMIN arguments may be up
     * to SL_MAX_ADMIN_ARG_BYTES (a CSV file travels as one argument). */
    static char fields[4400];
    size_t fl = (size_t) snprintf(fields, sizeof fields, "{\"name\":\"公园社区\",\"needs\":\"");
    for (int i = 0; i < 1400; i++)
        fl += (size_t) snprintf(fields + fl, sizeof fields - fl, "需");
    fl += (size_t) snprintf(fields + fl, sizeof fields - fl, "\"}");
    sl_arg_t put_args[3] = { { "kind", 4, "community", 9 }, { "key", 3, "c01", 3 },
                             { "fields", 6, fields, fl } };
    sl_msg_t admin_big = { .type = SL_ADMIN, .sess = ADMIN_SESS, .verb = "ref.put",
                           .verb_len = 7, .args = put_args, .nargs = 3 };
    s_valid("admin_large_arg", "ADMIN ref.put whose fields argument (a JSON object) is 4,234 "
            "bytes: more than SL_MAX_TEXT_BYTES, within SL_MAX_ADMIN_ARG_BYTES (1 MiB)",
            &admin_big, NULL, NULL, true);

    static const char *const table[4] = { "站点 site", "社区 community", SITE, "公园社区" };
    sl_str_t cells[4];
    for (int i = 0; i < 4; i++)
        cells[i] = (sl_str_t) { table[i], strlen(table[i]) };
    const char *tlist = "站点 1 个 (1 site)";
    sl_msg_t reply = { .type = SL_REPLY, .sess = ADMIN_SESS, .text = tlist,
                       .text_len = strlen(tlist), .columns = 2, .cells = cells, .ncells = 4 };
    s_valid("reply_table", "REPLY with a table of 2 columns: a header row and one data row",
            &reply, NULL, NULL, true);

    sl_msg_t reply_text = { .type = SL_REPLY, .sess = SESS, .text = "enrolled", .text_len = 8 };
    s_valid("reply_text", "REPLY answering ENROLL: text only (columns 0, no cells)",
            &reply_text, NULL, NULL, true);

    sl_msg_t enroll = { .type = SL_ENROLL, .sess = SESS, .site = SITE, .site_len = strlen(SITE) };
    memcpy(enroll.key, s_site_key, 32);
    s_valid("enroll", "ENROLL of site " SITE " with its long-term public key", &enroll, NULL,
            NULL, true);

    sl_msg_t rotate = { .type = SL_ROTATE, .sess = SESS + 1 };
    memcpy(rotate.key, s_next_key, 32);
    s_valid("rotate", "ROTATE: the site's next public key", &rotate, NULL, NULL, true);

    /* Valid frames our encoder would not write: each must decode to the
     * same fields as the plain message. */
    sl_msg_encode(&hello, &sb);
    s_add_pairs(&sb, 2);
    s_pstr(&pk, "x-zone");
    s_pstr(&pk, "cn-east");
    msgpack_pack_uint64(&pk, 7);        /* a non-string key: ignored too */
    msgpack_pack_array(&pk, 0);
    s_valid("hello_unknown_keys", "HELLO with two unknown body keys, which are ignored",
            &hello, NULL, &sb, false);

    sl_msg_t hello_noagent = hello;
    hello_noagent.agent = NULL;
    hello_noagent.agent_len = 0;
    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_HELLO, 6);
    s_pstr(&pk, "hlc");                 /* keys in another order than ours */
    msgpack_pack_uint64(&pk, hello.hlc);
    s_pstr(&pk, "cursor");
    msgpack_pack_uint64(&pk, hello.cursor);
    s_pstr(&pk, "last_hash");
    msgpack_pack_bin_with_body(&pk, hello.last_hash, SL_HASH_BYTES);
    s_pstr(&pk, "last_seq");
    msgpack_pack_uint64(&pk, hello.last_seq);
    s_pstr(&pk, "site");
    s_pstr(&pk, SITE);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_valid("hello_no_agent", "HELLO without the optional agent key, keys in reverse order",
            &hello_noagent, NULL, &sb, false);

    /* Integers in longer forms than needed, including signed forms of
     * non-negative values: all the same number. */
    msgpack_sbuffer_clear(&sb);
    const uint8_t ack_long[] = {
        0x94, 0xcf, 0, 0, 0, 0, 0, 0, 0x53, 0x4c, 0xd0, 0x01, 0xcd, 0x00, 0x04, 0x83,
        0xa4, 's', 'e', 's', 's', 0xcf, 0x00, 0x06, 0x27, 0xed, 0xc3, 0x71, 0xa0, 0x00,
        0xa5, 'a', 'c', 'k', 'e', 'd', 0xce, 0, 0, 0, 2,
        0xa8, 'l', 'o', 'g', '_', 'h', 'e', 'a', 'd', 0xd3, 0, 0, 0, 0, 0, 0, 0, 9,
    };
    msgpack_sbuffer_write(&sb, (const char *) ack_long, sizeof ack_long);
    s_valid("ack_long_ints", "ACK with every integer in a longer (and signed) form",
            &ack, NULL, &sb, false);

    s_batch_raw(&sb, EV_EXTRA);
    s_valid("batch_event_extra", "BATCH whose second event has a 9th element, ignored",
            &batch, both, &sb, false);

    /* Nesting of exactly SL_MAX_DEPTH (8): frame 1, body 2, six arrays. */
    sl_msg_encode(&ping, &sb);
    s_add_pairs(&sb, 1);
    s_pstr(&pk, "x");
    for (int i = 0; i < 5; i++)
        msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 0);
    s_valid("ping_depth_8", "PING whose unknown key nests containers 8 deep (the limit)",
            &ping, NULL, &sb, false);

    /* Site telemetry (PROTOCOL.md 4.1.1): a HELLO and a PING with every
     * key; the site's clock is 2 hours behind the server's. */
    static const char err_text[] = "server tcp://10.20.0.5:7450 did not answer for 10 s";
    sl_msg_t hello_tm = hello;
    hello_tm.tm = (sl_telemetry_t) { .has = SL_TM_OUTBOX | SL_TM_OUTBOX_AGE | SL_TM_CLOCK
                                            | SL_TM_DISK_FREE | SL_TM_LAST_ERROR,
                                     .outbox = 1, .outbox_age_ms = 3600000,
                                     .clock_ms = (int64_t) MS0 - 7200000,
                                     .disk_free = 52613349376ULL, .last_error = err_text,
                                     .last_error_len = strlen(err_text) };
    s_valid("hello_telemetry", "HELLO with the site telemetry keys (outbox, age, clock, "
            "disk, last error)", &hello_tm, NULL, NULL, true);
    sl_msg_t ping_tm = { .type = SL_PING, .sess = SESS };
    ping_tm.tm = (sl_telemetry_t) { .has = SL_TM_LAST_SEQ | SL_TM_OUTBOX | SL_TM_OUTBOX_AGE
                                           | SL_TM_CLOCK | SL_TM_DISK_FREE | SL_TM_LAST_ERROR,
                                    .last_seq = 2, .outbox = 0, .outbox_age_ms = 0,
                                    .clock_ms = -1, .disk_free = 0, .last_error = "",
                                    .last_error_len = 0 };
    s_valid("ping_telemetry", "PING with telemetry: last_seq, an empty outbox, a clock "
            "before 1970 (-1), a full disk, no error", &ping_tm, NULL, NULL, true);

    msgpack_sbuffer_destroy(&sb);
}

static void s_bad(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
#define BAD(name, comment, code, sess) \
    s_malformed(name, comment, (const uint8_t *) sb.data, sb.size, code, sess)

    msgpack_sbuffer_clear(&sb);
    BAD("m_empty", "an empty frame", SL_E_MALFORMED, 0);

    sl_event_t evs[2] = { s_ev[0].ev, s_ev[1].ev };
    sl_msg_t batch = { .type = SL_BATCH, .sess = SESS, .events = evs, .nevents = 2 };
    sl_msg_encode(&batch, &sb);
    sb.size = 150;
    BAD("m_truncated", "the batch vector cut after 150 bytes", SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 1);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, 1);
    BAD("m_not_array", "a map where the frame array should be", SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint64(&pk, SL_SIGNATURE);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_uint64(&pk, SL_PING);
    BAD("m_short_array", "a frame array of 3 elements (no body)", SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, 0x534D, 1, SL_PING, 1);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, 5);
    BAD("m_bad_signature", "signature 0x534D: not ours, so no session is echoed",
        SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 2, SL_PING, 1);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, 5);
    BAD("m_version_2", "protocol version 2: refused, the session is echoed", SL_E_VERSION, 5);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint64(&pk, SL_SIGNATURE);
    msgpack_pack_uint64(&pk, 2);
    BAD("m_version_2_short", "[0x534C, 2]: the version is checked before the shape",
        SL_E_VERSION, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_MSG_TYPE_MAX + 1, 1);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, 5);
    BAD("m_type_16", "message type 16 (one above the last, ROTATE) is unknown",
        SL_E_UNKNOWN_TYPE, 5);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, 0, 1);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, 5);
    BAD("m_type_0", "message type 0 is unknown", SL_E_UNKNOWN_TYPE, 5);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint64(&pk, SL_SIGNATURE);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_uint64(&pk, SL_PING);
    msgpack_pack_array(&pk, 0);
    BAD("m_body_not_map", "the body is an array", SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_PING, 0);
    BAD("m_missing_sess", "PING without sess", SL_E_BAD_FIELD, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_HELLO, 5);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "last_seq");
    msgpack_pack_uint64(&pk, 0);
    s_pstr(&pk, "last_hash");
    uint8_t zeros[SL_HASH_BYTES] = { 0 };
    msgpack_pack_bin_with_body(&pk, zeros, SL_HASH_BYTES);
    s_pstr(&pk, "cursor");
    msgpack_pack_uint64(&pk, 0);
    s_pstr(&pk, "hlc");
    msgpack_pack_uint64(&pk, 0);
    BAD("m_missing_key", "HELLO without site", SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_ACK, 3);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "acked");
    s_pstr(&pk, "2");
    s_pstr(&pk, "log_head");
    msgpack_pack_uint64(&pk, 9);
    BAD("m_wrong_type", "ACK whose acked is the string \"2\"", SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_FETCH, 3);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "from");
    msgpack_pack_int64(&pk, -1);
    s_pstr(&pk, "max");
    msgpack_pack_uint64(&pk, 10);
    BAD("m_negative", "FETCH whose from is -1", SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_PING, 1);
    s_pstr(&pk, "sess");
    msgpack_pack_double(&pk, 5.0);
    BAD("m_sess_float", "PING whose sess is the float 5.0", SL_E_BAD_FIELD, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_ACK, 4);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "acked");
    msgpack_pack_uint64(&pk, 2);
    s_pstr(&pk, "log_head");
    msgpack_pack_uint64(&pk, 9);
    s_pstr(&pk, "acked");
    msgpack_pack_uint64(&pk, 3);
    BAD("m_duplicate_key", "ACK with acked given twice", SL_E_BAD_FIELD, SESS);

    sl_msg_t ping = { .type = SL_PING, .sess = SESS };
    sl_msg_encode(&ping, &sb);
    msgpack_pack_nil(&pk);
    BAD("m_trailing", "the ping vector followed by one byte (nil)", SL_E_MALFORMED, 0);

    static const uint8_t huge[][5] = {
        { 0xdd, 0x77, 0x35, 0x94, 0x00 }, { 0xdf, 0x77, 0x35, 0x94, 0x00 },
        { 0xdb, 0x77, 0x35, 0x94, 0x00 }, { 0xc6, 0x77, 0x35, 0x94, 0x00 },
    };
    s_malformed("m_array32_huge", "array32 announcing 2,000,000,000 elements in 5 bytes",
                huge[0], 5, SL_E_MALFORMED, 0);
    s_malformed("m_map32_huge", "map32 announcing 2,000,000,000 pairs in 5 bytes",
                huge[1], 5, SL_E_MALFORMED, 0);
    s_malformed("m_str32_huge", "str32 announcing 2,000,000,000 bytes in 5 bytes",
                huge[2], 5, SL_E_MALFORMED, 0);
    s_malformed("m_bin32_huge", "bin32 announcing 2,000,000,000 bytes in 5 bytes",
                huge[3], 5, SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_PING, 2);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "events");
    msgpack_pack_array(&pk, 0xffff);    /* body map, then an array16 of 65535 ... */
    BAD("m_array16_short", "an unknown key holding an array16 of 65535 elements, 0 present",
        SL_E_MALFORMED, 0);

    sl_msg_encode(&ping, &sb);
    s_add_pairs(&sb, 1);
    s_pstr(&pk, "x");
    for (int i = 0; i < 6; i++)
        msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 0);
    BAD("m_depth_9", "PING whose unknown key nests containers 9 deep (limit 8)",
        SL_E_MALFORMED, 0);

    sl_msg_encode(&ping, &sb);
    s_add_pairs(&sb, 1);
    s_pstr(&pk, "x");
    static const uint8_t fixext1[] = { 0xd4, 0x01, 0x00 };
    msgpack_sbuffer_write(&sb, (const char *) fixext1, sizeof fixext1);
    BAD("m_ext", "PING whose unknown key holds an ext value (fixext1)", SL_E_MALFORMED, 0);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_HELLO, 7);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "site");
    s_pstr(&pk, SITE);
    s_pstr(&pk, "last_seq");
    msgpack_pack_uint64(&pk, 0);
    s_pstr(&pk, "last_hash");
    msgpack_pack_bin_with_body(&pk, zeros, SL_HASH_BYTES);
    s_pstr(&pk, "cursor");
    msgpack_pack_uint64(&pk, 0);
    s_pstr(&pk, "hlc");
    msgpack_pack_uint64(&pk, 0);
    s_pstr(&pk, "agent");
    s_pstr(&pk, "site/\xed\xa0\x80");   /* U+D800, a surrogate */
    BAD("m_utf8", "HELLO whose agent holds an encoded surrogate (invalid UTF-8)",
        SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_ERROR, 3);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "code");
    msgpack_pack_uint64(&pk, 422);
    s_pstr(&pk, "text");
    s_pstr(&pk, "\xe6\x98\x9f\xe7\xba");  /* 星 and half of 级 */
    BAD("m_utf8_cut", "ERROR whose text ends in the middle of a character",
        SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_BATCH, 2);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "events");
    msgpack_pack_array(&pk, SL_MAX_BATCH_EVENTS + 1);
    for (int i = 0; i < SL_MAX_BATCH_EVENTS + 1; i++)
        msgpack_pack_nil(&pk);
    BAD("m_too_many_events", "BATCH of 2001 events (nil: the count is checked first)",
        SL_E_TOO_LARGE, SESS);

    s_batch_raw(&sb, EV_SHORT);
    BAD("m_event_short", "BATCH whose second event has 7 elements", SL_E_BAD_FIELD, SESS);
    s_batch_raw(&sb, EV_WALL_OVERFLOW);
    BAD("m_wall_ms_overflow", "BATCH whose second event has wall_ms 2^63", SL_E_BAD_FIELD,
        SESS);
    s_batch_raw(&sb, EV_HASH_31);
    BAD("m_hash_31", "BATCH whose second event's hash is 31 bytes", SL_E_BAD_FIELD, SESS);

    sl_msg_t welcome = { .type = SL_WELCOME, .sess = SESS, .server_seq = 1, .match_seq = 1,
                         .log_head = 9, .hlc = (MS0 + 20) << 16, .credit = 0,
                         .max_batch = 1000, .heartbeat_ms = 2000 };
    sl_msg_encode(&welcome, &sb);
    BAD("m_credit_0", "WELCOME with credit 0", SL_E_BAD_FIELD, SESS);
    welcome.credit = 4;
    welcome.match_seq = 2;
    sl_msg_encode(&welcome, &sb);
    BAD("m_match_beyond", "WELCOME whose match_seq 2 is above its server_seq 1",
        SL_E_BAD_FIELD, SESS);

    sl_log_entry_t entries[2] = {
        { 9, "setting", 7, "a", 1, "1", 1 },
        { 8, "setting", 7, "b", 1, "2", 1 },
    };
    sl_msg_t log = { .type = SL_LOG, .sess = SESS, .entries = entries, .nentries = 2,
                     .upto = 9, .log_head = 9 };
    sl_msg_encode(&log, &sb);
    BAD("m_log_order", "LOG whose entries are not in ascending lseq order", SL_E_BAD_FIELD,
        SESS);

    sl_msg_t fetch = { .type = SL_FETCH, .sess = SESS, .from = 1, .max = 0 };
    sl_msg_encode(&fetch, &sb);
    BAD("m_fetch_max_0", "FETCH asking for at most 0 events", SL_E_BAD_FIELD, SESS);

    char long_id[SL_MAX_NAME_BYTES + 2];
    memset(long_id, 'a', SL_MAX_NAME_BYTES + 1);
    long_id[SL_MAX_NAME_BYTES + 1] = 0;
    welcome.credit = 4;
    welcome.match_seq = 1;
    welcome.log_id = long_id;
    welcome.log_id_len = strlen(long_id);
    sl_msg_encode(&welcome, &sb);
    BAD("m_log_id_65", "WELCOME whose log_id is 65 bytes (limit 64)", SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_ADMIN, 3);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, ADMIN_SESS);
    s_pstr(&pk, "verb");
    s_pstr(&pk, "site.enroll");
    s_pstr(&pk, "args");
    msgpack_pack_map(&pk, 2);
    s_pstr(&pk, "site");
    s_pstr(&pk, SITE);
    s_pstr(&pk, "expires_ms");
    msgpack_pack_uint64(&pk, MS0 + 7 * 86400000ULL);   /* a number, not its text */
    BAD("m_admin_arg_not_str", "ADMIN whose argument expires_ms is an integer, not a string",
        SL_E_BAD_FIELD, ADMIN_SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_ADMIN, 3);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, ADMIN_SESS);
    s_pstr(&pk, "verb");
    s_pstr(&pk, "site.revoke");
    s_pstr(&pk, "args");
    msgpack_pack_map(&pk, 2);
    s_pstr(&pk, "site");
    s_pstr(&pk, SITE);
    s_pstr(&pk, "site");
    s_pstr(&pk, "qu02.hexi-3");
    BAD("m_admin_dup_arg", "ADMIN site.revoke with argument site given twice",
        SL_E_BAD_FIELD, ADMIN_SESS);

    sl_arg_t many[SL_MAX_ARGS + 1];
    char names[SL_MAX_ARGS + 1][8];
    for (int i = 0; i < SL_MAX_ARGS + 1; i++) {
        snprintf(names[i], sizeof names[i], "a%02d", i + 1);
        many[i] = (sl_arg_t) { names[i], strlen(names[i]), "x", 1 };
    }
    sl_msg_t admin = { .type = SL_ADMIN, .sess = ADMIN_SESS, .verb = "site.list",
                       .verb_len = 9, .args = many, .nargs = SL_MAX_ARGS + 1 };
    sl_msg_encode(&admin, &sb);
    BAD("m_admin_17_args", "ADMIN with 17 arguments (limit 16)", SL_E_TOO_LARGE, ADMIN_SESS);

    sl_str_t cells[3] = { { "a", 1 }, { "b", 1 }, { "c", 1 } };
    sl_msg_t reply = { .type = SL_REPLY, .sess = ADMIN_SESS, .text = "", .text_len = 0,
                       .columns = 2, .cells = cells, .ncells = 3 };
    sl_msg_encode(&reply, &sb);
    BAD("m_reply_ragged", "REPLY of 3 cells in 2 columns (not whole rows)", SL_E_BAD_FIELD,
        ADMIN_SESS);
    reply.columns = 0;
    reply.ncells = 2;
    sl_msg_encode(&reply, &sb);
    BAD("m_reply_no_columns", "REPLY of 2 cells with columns 0 (no table)", SL_E_BAD_FIELD,
        ADMIN_SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_ENROLL, 3);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "site");
    s_pstr(&pk, SITE);
    s_pstr(&pk, "key");
    msgpack_pack_bin_with_body(&pk, s_site_key, 31);
    BAD("m_enroll_key_31", "ENROLL whose key is 31 bytes", SL_E_BAD_FIELD, SESS);

    sl_msg_t enroll = { .type = SL_ENROLL, .sess = SESS, .site = "qu01/gongyuan",
                        .site_len = 13 };
    memcpy(enroll.key, s_site_key, 32);
    sl_msg_encode(&enroll, &sb);
    BAD("m_enroll_bad_site", "ENROLL whose site qu01/gongyuan is not a site id",
        SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_PING, 2);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "clock_ms");
    s_pstr(&pk, "1732752000000");
    BAD("m_clock_str", "PING whose telemetry clock_ms is a string", SL_E_BAD_FIELD, SESS);

    char long_error[SL_MAX_TELEMETRY_TEXT + 2];
    memset(long_error, 'x', sizeof long_error - 1);
    long_error[sizeof long_error - 1] = 0;
    /* The encoder cuts text to its limit: this one is packed by hand. */
    msgpack_sbuffer_clear(&sb);
    s_phead(&pk, SL_SIGNATURE, 1, SL_PING, 2);
    s_pstr(&pk, "sess");
    msgpack_pack_uint64(&pk, SESS);
    s_pstr(&pk, "last_error");
    s_pstr(&pk, long_error);
    BAD("m_last_error_401", "PING whose telemetry last_error is 401 bytes (limit 400)",
        SL_E_BAD_FIELD, SESS);

    msgpack_sbuffer_destroy(&sb);
#undef BAD
}

static void s_hashes(void)
{
    static const char *names[] = { "eh_event1", "eh_event2", "eh_negative_wall" };
    static const char *comments[] = {
        "event hash of event 1 of " SITE " (first event: prev is 32 zero bytes)",
        "event hash of event 2 of " SITE " (prev is the hash of event 1)",
        "event hash with wall_ms -1, an empty payload and HLC counter 0x0102",
    };
    static const char *sites[] = { SITE, SITE, "qu02.hexi-3" };
    for (int i = 0; i < 3; i++) {
        const s_event_t *e = &s_ev[i];
        s_write_hex(names[i], "the exact bytes hashed (BLAKE2b-256) for this event",
                    e->hash_input, e->hash_input_len);
        FILE *f = s_txt(names[i], "event_hash", comments[i]);
        s_kv(f, "site", "%s", sites[i]);
        s_describe_event(f, 0, e);
        fclose(f);
    }
}

/* Payloads as 0.2.0 wrote them: still valid on the wire (events are
 * immutable), read with the meaning RECORDS.md gives them (`done_on` is
 * `on`, a service matter without a status is done). */
static void s_legacy_payloads(void)
{
    struct {
        const char *name, *type, *comment;
        size_t n;
        const char *names[5], *values[5];
        size_t nreads;
        const char *reads[6], *read_values[6];
    } p[] = {
        { "payload_legacy_service_matter", "service_matter",
          "a service_matter as 0.2.0 wrote it: done_on, no status",
          5, { "unit", "title", "community", "done_on", "beneficiaries" },
          { "区民政局", "为独居老人安装烟雾报警器", "公园社区", "2024-11-27", "12" },
          6, { "unit", "title", "status", "on", "beneficiaries", "community" },
          { "区民政局", "为独居老人安装烟雾报警器", "done", "2024-11-27", "12", "公园社区" } },
        { "payload_legacy_problem_report", "problem_report",
          "a problem_report as 0.2.0 wrote it: reported_on",
          4, { "reporter_kind", "summary", "location", "reported_on" },
          { "courier", "楼道堆放杂物，影响通行", "3号楼2单元", "2024-11-26" },
          4, { "reporter_kind", "summary", "location", "on" },
          { "courier", "楼道堆放杂物，影响通行", "3号楼2单元", "2024-11-26" } },
    };
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, p[i].n);
        for (size_t k = 0; k < p[i].n; k++) {
            msgpack_pack_str_with_body(&pk, p[i].names[k], strlen(p[i].names[k]));
            if (strcmp(p[i].names[k], "beneficiaries") == 0)
                msgpack_pack_int64(&pk, atoll(p[i].values[k]));
            else
                msgpack_pack_str_with_body(&pk, p[i].values[k], strlen(p[i].values[k]));
        }
        const sl_rtype_t *rt = sl_schema_find(p[i].type, strlen(p[i].type));
        char err[600];
        if (!rt || sl_schema_check(rt, (const uint8_t *) sb.data, sb.size, NULL, err, sizeof err,
                                   NULL)) {
            fprintf(stderr, "gen_vectors: %s is refused: %s\n", p[i].name, err);
            exit(1);
        }
        s_write_hex(p[i].name, "payload bytes as 0.2.0 wrote them", (const uint8_t *) sb.data,
                    sb.size);
        FILE *f = s_txt(p[i].name, "payload_legacy", p[i].comment);
        s_kv(f, "record_type", "%s", p[i].type);
        s_kv_u(f, "fields", p[i].n);
        for (size_t k = 0; k < p[i].n; k++) {
            char key[80];
            snprintf(key, sizeof key, "field.%s", p[i].names[k]);
            s_kv(f, key, "%s", p[i].values[k]);
        }
        for (size_t k = 0; k < p[i].nreads; k++) {
            char key[80];
            snprintf(key, sizeof key, "reads.%s", p[i].reads[k]);
            s_kv(f, key, "%s", p[i].read_values[k]);
        }
        fclose(f);
        msgpack_sbuffer_destroy(&sb);
    }
}

static void s_payloads(void)
{
    struct {
        const char *name, *type, *comment;
        size_t n;
        const char *const *names, *const *values;
    } p[] = {
        { "payload_service_matter", "service_matter", "a service_matter record (event 1)",
          5, s_sm_names, s_sm_values },
        { "payload_problem_report", "problem_report", "a problem_report record",
          4, s_pr_names, s_pr_values },
        { "payload_rating", "rating", "a rating of event 1 (event 2): REF as 16-byte bin",
          3, s_rt_names, s_rt_values },
    };
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        uint8_t buf[1024];
        size_t len = s_payload(p[i].type, p[i].n, p[i].names, p[i].values, buf, sizeof buf);
        s_write_hex(p[i].name, "payload bytes (msgpack map, fields in table order)", buf, len);
        FILE *f = s_txt(p[i].name, "payload", p[i].comment);
        s_kv(f, "record_type", "%s", p[i].type);
        s_kv_u(f, "fields", p[i].n);
        for (size_t k = 0; k < p[i].n; k++) {
            char key[80];
            snprintf(key, sizeof key, "field.%s", p[i].names[k]);
            s_kv(f, key, "%s", p[i].values[k]);
        }
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_vectors DIR   (e.g. proto/vectors)\n");
        return 64;
    }
    if (sodium_init() < 0)
        return 1;
    s_dir = argv[1];
    s_index = s_open("index", "txt");
    fprintf(s_index, "# index.txt: every vector of this directory, one name a line "
                     "(NAME.hex + NAME.txt).\n# Written by gen_vectors.c; see README.md.\n");
    s_world();
    s_messages();
    s_bad();
    s_hashes();
    s_payloads();
    s_legacy_payloads();
    fclose(s_index);
    return 0;
}
