/* sl_msg.c: encoder and validating decoder for protocol v1.
 *
 * The decoder never trusts a length: sl_mp_unpack checks every container
 * count against the bytes left before msgpack-c allocates, and each field is
 * checked for presence, type and range here.  Malformed input is a return
 * value, never an assert.  The order of the checks (which decides the code
 * of a frame with several faults) and the session number kept in a refused
 * message are those of PROTOCOL.md, sections 2.5 and 2.6. */
#include "sl_msg.h"
#include "sl_id.h"
#include "sl_mpcheck.h"
#include "sl_text.h"
#include <stdio.h>
#include <string.h>

const char *sl_msg_type_name(int type)
{
    static const char *names[] = { "?", "HELLO", "WELCOME", "BATCH", "ACK", "FETCH", "EVENTS",
                                   "LOG_PULL", "LOG", "PING", "PONG", "ERROR",
                                   "ADMIN", "REPLY", "ENROLL", "ROTATE" };
    return type >= 1 && type <= SL_MSG_TYPE_MAX ? names[type] : "UNKNOWN";
}

const char *sl_error_name(int code)
{
    switch (code) {
    case SL_E_MALFORMED: return "MALFORMED";
    case SL_E_FORBIDDEN: return "FORBIDDEN";
    case SL_E_VERSION: return "VERSION";
    case SL_E_UNKNOWN_TYPE: return "UNKNOWN_TYPE";
    case SL_E_BAD_FIELD: return "BAD_FIELD";
    case SL_E_NO_SESSION: return "NO_SESSION";
    case SL_E_GAP: return "GAP";
    case SL_E_CONFLICT: return "CONFLICT";
    case SL_E_CHAIN: return "CHAIN";
    case SL_E_TOO_LARGE: return "TOO_LARGE";
    case SL_E_INVALID: return "INVALID";
    case SL_E_INTERNAL: return "INTERNAL";
    default: return "UNKNOWN_ERROR";
    }
}

/* ---- encoding ---------------------------------------------------------- */

static void s_key(msgpack_packer *pk, const char *key)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
}

static void s_kv_u64(msgpack_packer *pk, const char *key, uint64_t v)
{
    s_key(pk, key);
    msgpack_pack_uint64(pk, v);
}

static void s_kv_str(msgpack_packer *pk, const char *key, const char *s, size_t len)
{
    s_key(pk, key);
    msgpack_pack_str_with_body(pk, s ? s : "", s ? len : 0);
}

static void s_kv_bin(msgpack_packer *pk, const char *key, const uint8_t *b, size_t len)
{
    s_key(pk, key);
    msgpack_pack_bin_with_body(pk, b, len);
}

/* Packs text as valid UTF-8 of at most `max` bytes: each byte that does not
 * start a valid character (or is a control other than tab and newline)
 * becomes '?', and the text is cut at a character boundary.  ERROR texts are
 * built with snprintf from whatever was refused; a peer must always be able
 * to decode the ERROR that explains the refusal. */
static void s_kv_text(msgpack_packer *pk, const char *key, const char *s, size_t len,
                      size_t max)
{
    char buf[SL_MAX_TEXT_BYTES];
    size_t used = 0, i = 0;
    if (max > sizeof buf)
        max = sizeof buf;
    while (s && i < len) {
        unsigned char c = (unsigned char) s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || n > len - i || !sl_utf8_valid(s + i, n)) {
            n = 1;
            if (used + 1 > max)
                break;
            buf[used++] = '?';
        } else {
            if (used + n > max)
                break;
            memcpy(buf + used, s + i, n);
            used += n;
        }
        i += n;
    }
    s_key(pk, key);
    msgpack_pack_str_with_body(pk, buf, used);
}

/* How many telemetry keys tm adds to a body. */
static size_t s_tm_count(const sl_telemetry_t *tm, bool ping)
{
    uint32_t bits = tm->has & (ping ? 0x3Fu : 0x1Fu);
    size_t n = 0;
    for (; bits; bits &= bits - 1)
        n++;
    return n;
}

/* The telemetry keys, in the order of PROTOCOL.md 4.1.1. */
static void s_tm_pack(msgpack_packer *pk, const sl_telemetry_t *tm, bool ping)
{
    if (ping && (tm->has & SL_TM_LAST_SEQ))
        s_kv_u64(pk, "last_seq", tm->last_seq);
    if (tm->has & SL_TM_OUTBOX)
        s_kv_u64(pk, "outbox", tm->outbox);
    if (tm->has & SL_TM_OUTBOX_AGE)
        s_kv_u64(pk, "outbox_age_ms", tm->outbox_age_ms);
    if (tm->has & SL_TM_CLOCK) {
        s_key(pk, "clock_ms");
        msgpack_pack_int64(pk, tm->clock_ms);
    }
    if (tm->has & SL_TM_DISK_FREE)
        s_kv_u64(pk, "disk_free", tm->disk_free);
    if (tm->has & SL_TM_LAST_ERROR)
        s_kv_text(pk, "last_error", tm->last_error, tm->last_error_len, SL_MAX_TELEMETRY_TEXT);
}

static void s_head(msgpack_packer *pk, int type, size_t nkeys)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint16(pk, SL_SIGNATURE);
    msgpack_pack_uint8(pk, SL_PROTO_VERSION);
    msgpack_pack_uint8(pk, (uint8_t) type);
    msgpack_pack_map(pk, nkeys);
}

static void s_event(msgpack_packer *pk, const sl_event_t *ev)
{
    msgpack_pack_array(pk, 8);
    msgpack_pack_uint64(pk, ev->seq);
    msgpack_pack_bin_with_body(pk, ev->id, SL_ID_BYTES);
    msgpack_pack_uint64(pk, ev->hlc);
    msgpack_pack_int64(pk, ev->wall_ms);
    msgpack_pack_str_with_body(pk, ev->type, ev->type_len);
    msgpack_pack_bin_with_body(pk, ev->payload, ev->payload_len);
    msgpack_pack_bin_with_body(pk, ev->prev, SL_HASH_BYTES);
    msgpack_pack_bin_with_body(pk, ev->hash, SL_HASH_BYTES);
}

void sl_msg_encode_events_begin(msgpack_sbuffer *out, sl_msg_type_t type, uint64_t sess,
                                uint64_t server_seq, size_t nevents)
{
    msgpack_sbuffer_clear(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    s_head(&pk, type, type == SL_EVENTS ? 3 : 2);
    s_kv_u64(&pk, "sess", sess);
    if (type == SL_EVENTS)
        s_kv_u64(&pk, "server_seq", server_seq);
    s_key(&pk, "events");
    msgpack_pack_array(&pk, nevents);
}

void sl_msg_encode_event(msgpack_sbuffer *out, const sl_event_t *ev)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    s_event(&pk, ev);
}

void sl_msg_encode_error(msgpack_sbuffer *out, uint64_t sess, int code, const char *text,
                         const char *field, uint64_t seq, uint64_t expected)
{
    sl_msg_t m = { .type = SL_ERROR, .sess = sess, .code = (uint32_t) code,
                   .text = text, .text_len = strlen(text), .field = field,
                   .field_len = field ? strlen(field) : 0, .seq = seq, .expected = expected };
    sl_msg_encode(&m, out);
}

void sl_msg_encode(const sl_msg_t *m, msgpack_sbuffer *out)
{
    if (m->type == SL_BATCH || m->type == SL_EVENTS) {
        sl_msg_encode_events_begin(out, m->type, m->sess, m->server_seq, m->nevents);
        for (size_t i = 0; i < m->nevents; i++)
            sl_msg_encode_event(out, &m->events[i]);
        return;
    }
    msgpack_sbuffer_clear(out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    switch (m->type) {
    case SL_HELLO:
        s_head(&pk, m->type, 6 + (m->agent != NULL) + s_tm_count(&m->tm, false));
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_str(&pk, "site", m->site, m->site_len);
        s_kv_u64(&pk, "last_seq", m->last_seq);
        s_kv_bin(&pk, "last_hash", m->last_hash, SL_HASH_BYTES);
        s_kv_u64(&pk, "cursor", m->cursor);
        s_kv_u64(&pk, "hlc", m->hlc);
        if (m->agent)           /* optional: absent stays absent */
            s_kv_str(&pk, "agent", m->agent, m->agent_len);
        s_tm_pack(&pk, &m->tm, false);
        break;
    case SL_WELCOME:
        s_head(&pk, m->type, 9 + (m->log_id != NULL));
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_u64(&pk, "server_seq", m->server_seq);
        s_kv_u64(&pk, "match_seq", m->match_seq);
        s_kv_bin(&pk, "match_hash", m->match_hash, SL_HASH_BYTES);
        s_kv_u64(&pk, "log_head", m->log_head);
        s_kv_u64(&pk, "hlc", m->hlc);
        s_kv_u64(&pk, "credit", m->credit);
        s_kv_u64(&pk, "max_batch", m->max_batch);
        s_kv_u64(&pk, "heartbeat_ms", m->heartbeat_ms);
        if (m->log_id)
            s_kv_str(&pk, "log_id", m->log_id, m->log_id_len);
        break;
    case SL_ADMIN:
        s_head(&pk, m->type, 3);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_str(&pk, "verb", m->verb, m->verb_len);
        s_key(&pk, "args");
        msgpack_pack_map(&pk, m->nargs);
        for (size_t i = 0; i < m->nargs; i++) {
            msgpack_pack_str_with_body(&pk, m->args[i].key, m->args[i].key_len);
            msgpack_pack_str_with_body(&pk, m->args[i].value, m->args[i].value_len);
        }
        break;
    case SL_REPLY:
        s_head(&pk, m->type, 4);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_text(&pk, "text", m->text, m->text_len, SL_MAX_TEXT_BYTES);
        s_kv_u64(&pk, "columns", m->columns);
        s_key(&pk, "cells");
        msgpack_pack_array(&pk, m->ncells);
        for (size_t i = 0; i < m->ncells; i++)
            msgpack_pack_str_with_body(&pk, m->cells[i].ptr, m->cells[i].len);
        break;
    case SL_ENROLL:
        s_head(&pk, m->type, 3);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_str(&pk, "site", m->site, m->site_len);
        s_kv_bin(&pk, "key", m->key, 32);
        break;
    case SL_ROTATE:
        s_head(&pk, m->type, 2);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_bin(&pk, "key", m->key, 32);
        break;
    case SL_ACK:
        s_head(&pk, m->type, 3);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_u64(&pk, "acked", m->acked);
        s_kv_u64(&pk, "log_head", m->log_head);
        break;
    case SL_FETCH:
        s_head(&pk, m->type, 3);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_u64(&pk, "from", m->from);
        s_kv_u64(&pk, "max", m->max);
        break;
    case SL_LOG_PULL:
        s_head(&pk, m->type, 3);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_u64(&pk, "after", m->cursor);
        s_kv_u64(&pk, "max", m->max);
        break;
    case SL_LOG:
        s_head(&pk, m->type, 4);
        s_kv_u64(&pk, "sess", m->sess);
        s_key(&pk, "entries");
        msgpack_pack_array(&pk, m->nentries);
        for (size_t i = 0; i < m->nentries; i++) {
            const sl_log_entry_t *e = &m->entries[i];
            msgpack_pack_array(&pk, 4);
            msgpack_pack_uint64(&pk, e->lseq);
            msgpack_pack_str_with_body(&pk, e->kind, e->kind_len);
            msgpack_pack_str_with_body(&pk, e->key, e->key_len);
            if (e->value)
                msgpack_pack_str_with_body(&pk, e->value, e->value_len);
            else
                msgpack_pack_nil(&pk);
        }
        s_kv_u64(&pk, "upto", m->upto);
        s_kv_u64(&pk, "log_head", m->log_head);
        break;
    case SL_PING:
        s_head(&pk, m->type, 1 + s_tm_count(&m->tm, true));
        s_kv_u64(&pk, "sess", m->sess);
        s_tm_pack(&pk, &m->tm, true);
        break;
    case SL_PONG:
        s_head(&pk, m->type, 2);
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_u64(&pk, "log_head", m->log_head);
        break;
    case SL_ERROR:
        s_head(&pk, m->type, 3 + (m->field != NULL) + (m->seq != 0) + (m->expected != 0));
        s_kv_u64(&pk, "sess", m->sess);
        s_kv_u64(&pk, "code", m->code);
        s_kv_text(&pk, "text", m->text, m->text_len, SL_MAX_TEXT_BYTES);
        if (m->field)
            s_kv_text(&pk, "field", m->field, m->field_len, SL_MAX_NAME_BYTES);
        if (m->seq)
            s_kv_u64(&pk, "seq", m->seq);
        if (m->expected)
            s_kv_u64(&pk, "expected", m->expected);
        break;
    default:
        break;
    }
}

/* ---- decoding ---------------------------------------------------------- */

#define S_MAX_HEARTBEAT_MS 600000   /* WELCOME heartbeat_ms: ten minutes */
#define S_MAX_ERROR_CODE   999

typedef struct {
    const msgpack_object *body;
    char *err;
    size_t errlen;
    const char *type_name;
} s_reader_t;

static int s_missing(s_reader_t *r, const char *key, const char *what)
{
    snprintf(r->err, r->errlen, "%s: field \"%s\" %s", r->type_name, key, what);
    return SL_E_BAD_FIELD;
}

/* Finds a body key (NULL in *out when absent).  A key given twice is
 * refused: two readers could otherwise disagree on which value counts. */
static int s_find(s_reader_t *r, const char *key, const msgpack_object **out)
{
    size_t klen = strlen(key);
    *out = NULL;
    for (uint32_t i = 0; i < r->body->via.map.size; i++) {
        const msgpack_object *k = &r->body->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen
            && memcmp(k->via.str.ptr, key, klen) == 0) {
            if (*out)
                return s_missing(r, key, "appears more than once");
            *out = &r->body->via.map.ptr[i].val;
        }
    }
    return 0;
}

static int s_u64_opt(s_reader_t *r, const char *key, uint64_t *out, uint64_t min,
                     uint64_t max, bool required)
{
    const msgpack_object *v;
    int rc = s_find(r, key, &v);
    if (rc)
        return rc;
    if (!v)
        return required ? s_missing(r, key, "is missing") : 0;
    if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return s_missing(r, key, "must be an unsigned integer");
    if (v->via.u64 < min || v->via.u64 > max) {
        snprintf(r->err, r->errlen, "%s: field \"%s\" is %llu, must be %llu..%llu",
                 r->type_name, key, (unsigned long long) v->via.u64,
                 (unsigned long long) min, (unsigned long long) max);
        return SL_E_BAD_FIELD;
    }
    *out = v->via.u64;
    return 0;
}

static int s_u64(s_reader_t *r, const char *key, uint64_t *out, uint64_t max)
{
    return s_u64_opt(r, key, out, 0, max, true);
}

static int s_u32(s_reader_t *r, const char *key, uint32_t *out, uint32_t min, uint32_t max)
{
    uint64_t v;
    int rc = s_u64_opt(r, key, &v, min, max, true);
    if (!rc)
        *out = (uint32_t) v;
    return rc;
}

static int s_str(s_reader_t *r, const char *key, const char **out, size_t *len,
                 size_t max, bool required)
{
    const msgpack_object *v;
    int rc = s_find(r, key, &v);
    if (rc)
        return rc;
    if (!v)
        return required ? s_missing(r, key, "is missing") : 0;
    if (v->type != MSGPACK_OBJECT_STR)
        return s_missing(r, key, "must be a string");
    if (v->via.str.size > max || !sl_utf8_valid(v->via.str.ptr, v->via.str.size)) {
        snprintf(r->err, r->errlen, "%s: field \"%s\" must be UTF-8 text of at most %zu bytes",
                 r->type_name, key, max);
        return SL_E_BAD_FIELD;
    }
    *out = v->via.str.ptr;
    *len = v->via.str.size;
    return 0;
}

/* An optional uint telemetry key: sets `bit` in tm->has when present. */
static int s_tm_u64(s_reader_t *r, const char *key, uint64_t *out, uint64_t max,
                    sl_telemetry_t *tm, uint32_t bit)
{
    const msgpack_object *v;
    int rc = s_find(r, key, &v);
    if (rc || !v)
        return rc;
    rc = s_u64_opt(r, key, out, 0, max, true);
    if (!rc)
        tm->has |= bit;
    return rc;
}

/* The telemetry keys of HELLO and PING (PROTOCOL.md 4.1.1), all optional. */
static int s_telemetry(s_reader_t *r, sl_telemetry_t *tm, bool ping)
{
    int rc;
    memset(tm, 0, sizeof *tm);
    if (ping && (rc = s_tm_u64(r, "last_seq", &tm->last_seq, INT64_MAX, tm, SL_TM_LAST_SEQ)))
        return rc;
    if ((rc = s_tm_u64(r, "outbox", &tm->outbox, INT64_MAX, tm, SL_TM_OUTBOX))
        || (rc = s_tm_u64(r, "outbox_age_ms", &tm->outbox_age_ms, INT64_MAX, tm,
                          SL_TM_OUTBOX_AGE)))
        return rc;
    const msgpack_object *v;
    if ((rc = s_find(r, "clock_ms", &v)))
        return rc;
    if (v) {
        if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            tm->clock_ms = v->via.i64;
        else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX)
            tm->clock_ms = (int64_t) v->via.u64;
        else
            return s_missing(r, "clock_ms", "must be a signed 64-bit integer");
        tm->has |= SL_TM_CLOCK;
    }
    if ((rc = s_tm_u64(r, "disk_free", &tm->disk_free, UINT64_MAX, tm, SL_TM_DISK_FREE)))
        return rc;
    if ((rc = s_find(r, "last_error", &v)))
        return rc;
    if (v) {
        if ((rc = s_str(r, "last_error", &tm->last_error, &tm->last_error_len,
                        SL_MAX_TELEMETRY_TEXT, true)))
            return rc;
        tm->has |= SL_TM_LAST_ERROR;
    }
    return 0;
}

static int s_hash(s_reader_t *r, const char *key, uint8_t out[SL_HASH_BYTES])
{
    const msgpack_object *v;
    int rc = s_find(r, key, &v);
    if (rc)
        return rc;
    if (!v)
        return s_missing(r, key, "is missing");
    if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != SL_HASH_BYTES)
        return s_missing(r, key, "must be 32 bytes (bin)");
    memcpy(out, v->via.bin.ptr, SL_HASH_BYTES);
    return 0;
}

static int s_key32(s_reader_t *r, const char *key, uint8_t out[32])
{
    const msgpack_object *v;
    int rc = s_find(r, key, &v);
    if (rc)
        return rc;
    if (!v)
        return s_missing(r, key, "is missing");
    if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != 32)
        return s_missing(r, key, "must be a 32-byte CURVE public key (bin)");
    memcpy(out, v->via.bin.ptr, 32);
    return 0;
}

static int s_args(s_reader_t *r, sl_msg_t *m)
{
    const msgpack_object *v;
    int rc = s_find(r, "args", &v);
    if (rc)
        return rc;
    if (!v)
        return s_missing(r, "args", "is missing");
    if (v->type != MSGPACK_OBJECT_MAP)
        return s_missing(r, "args", "must be a map of strings");
    if (v->via.map.size > SL_MAX_ARGS) {
        snprintf(r->err, r->errlen, "ADMIN: %u arguments, more than the limit of %d",
                 v->via.map.size, SL_MAX_ARGS);
        return SL_E_TOO_LARGE;
    }
    m->nargs = v->via.map.size;
    if (!m->nargs)
        return 0;
    m->args = msgpack_zone_malloc(m->zone, m->nargs * sizeof *m->args);
    if (!m->args) {
        snprintf(r->err, r->errlen, "out of memory");
        return SL_E_INTERNAL;
    }
    for (size_t i = 0; i < m->nargs; i++) {
        const msgpack_object *k = &v->via.map.ptr[i].key, *x = &v->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR || x->type != MSGPACK_OBJECT_STR
            || k->via.str.size > SL_MAX_NAME_BYTES || x->via.str.size > SL_MAX_ADMIN_ARG_BYTES
            || !sl_utf8_valid(k->via.str.ptr, k->via.str.size)
            || !sl_utf8_valid(x->via.str.ptr, x->via.str.size)) {
            snprintf(r->err, r->errlen, "ADMIN: argument %zu must map a name of at most %d "
                     "bytes to UTF-8 text of at most %d bytes", i, SL_MAX_NAME_BYTES,
                     SL_MAX_ADMIN_ARG_BYTES);
            return SL_E_BAD_FIELD;
        }
        /* A name given twice is refused, like a body key (PROTOCOL.md 2.4):
         * sl_msg_arg takes the first, another reader might take the last. */
        for (size_t j = 0; j < i; j++)
            if (m->args[j].key_len == k->via.str.size
                && (k->via.str.size == 0
                    || memcmp(m->args[j].key, k->via.str.ptr, k->via.str.size) == 0)) {
                snprintf(r->err, r->errlen, "ADMIN: argument \"%.*s\" appears more than once",
                         (int) k->via.str.size, k->via.str.ptr);
                return SL_E_BAD_FIELD;
            }
        m->args[i] = (sl_arg_t) { k->via.str.ptr, k->via.str.size, x->via.str.ptr,
                                  x->via.str.size };
    }
    return 0;
}

static int s_cells(s_reader_t *r, sl_msg_t *m)
{
    const msgpack_object *v;
    int rc = s_find(r, "cells", &v);
    if (rc)
        return rc;
    if (!v)
        return s_missing(r, "cells", "is missing");
    if (v->type != MSGPACK_OBJECT_ARRAY)
        return s_missing(r, "cells", "must be an array of strings");
    if (v->via.array.size > SL_MAX_CELLS) {
        snprintf(r->err, r->errlen, "REPLY: %u cells, more than the limit of %d",
                 v->via.array.size, SL_MAX_CELLS);
        return SL_E_TOO_LARGE;
    }
    if (m->columns ? v->via.array.size % m->columns != 0 : v->via.array.size != 0) {
        snprintf(r->err, r->errlen, "REPLY: %u cells do not fill rows of %u columns",
                 v->via.array.size, m->columns);
        return SL_E_BAD_FIELD;
    }
    m->ncells = v->via.array.size;
    if (!m->ncells)
        return 0;
    m->cells = msgpack_zone_malloc(m->zone, m->ncells * sizeof *m->cells);
    if (!m->cells) {
        snprintf(r->err, r->errlen, "out of memory");
        return SL_E_INTERNAL;
    }
    for (size_t i = 0; i < m->ncells; i++) {
        const msgpack_object *c = &v->via.array.ptr[i];
        if (c->type != MSGPACK_OBJECT_STR || c->via.str.size > SL_MAX_TEXT_BYTES
            || !sl_utf8_valid(c->via.str.ptr, c->via.str.size)) {
            snprintf(r->err, r->errlen, "REPLY: cell %zu must be UTF-8 text of at most %d bytes",
                     i, SL_MAX_TEXT_BYTES);
            return SL_E_BAD_FIELD;
        }
        m->cells[i] = (sl_str_t) { c->via.str.ptr, c->via.str.size };
    }
    return 0;
}

const sl_arg_t *sl_msg_arg(const sl_msg_t *msg, const char *key)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < msg->nargs; i++)
        if (msg->args[i].key_len == len && memcmp(msg->args[i].key, key, len) == 0)
            return &msg->args[i];
    return NULL;
}

/* Decodes one event array into ev; `index` names it in errors. */
static int s_decode_event(const msgpack_object *o, sl_event_t *ev, size_t index,
                          char *err, size_t errlen)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 8) {
        snprintf(err, errlen, "event %zu: must be an array of 8 fields", index);
        return SL_E_BAD_FIELD;
    }
    const msgpack_object *f = o->via.array.ptr;
    const char *bad = NULL;
    if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[0].via.u64 == 0
        || f[0].via.u64 > INT64_MAX)
        bad = "seq must be an integer 1..2^63-1";
    else if (f[1].type != MSGPACK_OBJECT_BIN || f[1].via.bin.size != SL_ID_BYTES)
        bad = "id must be 16 bytes (bin)";
    else if (f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        bad = "hlc must be an unsigned integer";
    else if ((f[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER
              && f[3].type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
             || (f[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER && f[3].via.u64 > INT64_MAX))
        bad = "wall_ms must be a signed 64-bit integer";
    else if (f[4].type != MSGPACK_OBJECT_STR || f[4].via.str.size == 0
             || f[4].via.str.size > SL_MAX_NAME_BYTES
             || !sl_utf8_valid(f[4].via.str.ptr, f[4].via.str.size))
        bad = "type must be a name of 1..64 bytes";
    else if (f[5].type != MSGPACK_OBJECT_BIN || f[5].via.bin.size > SL_MAX_PAYLOAD_BYTES)
        bad = "payload must be bin of at most 16384 bytes";
    else if (f[6].type != MSGPACK_OBJECT_BIN || f[6].via.bin.size != SL_HASH_BYTES)
        bad = "prev must be 32 bytes (bin)";
    else if (f[7].type != MSGPACK_OBJECT_BIN || f[7].via.bin.size != SL_HASH_BYTES)
        bad = "hash must be 32 bytes (bin)";
    if (bad) {
        snprintf(err, errlen, "event %zu: %s", index, bad);
        return SL_E_BAD_FIELD;
    }
    ev->seq = f[0].via.u64;
    memcpy(ev->id, f[1].via.bin.ptr, SL_ID_BYTES);
    ev->hlc = f[2].via.u64;
    ev->wall_ms = f[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t) f[3].via.u64
                                                               : f[3].via.i64;
    ev->type = f[4].via.str.ptr;
    ev->type_len = f[4].via.str.size;
    ev->payload = (const uint8_t *) f[5].via.bin.ptr;
    ev->payload_len = f[5].via.bin.size;
    memcpy(ev->prev, f[6].via.bin.ptr, SL_HASH_BYTES);
    memcpy(ev->hash, f[7].via.bin.ptr, SL_HASH_BYTES);
    return 0;
}

static int s_events(s_reader_t *r, sl_msg_t *msg)
{
    const msgpack_object *v;
    int rc = s_find(r, "events", &v);
    if (rc)
        return rc;
    if (!v)
        return s_missing(r, "events", "is missing");
    if (v->type != MSGPACK_OBJECT_ARRAY)
        return s_missing(r, "events", "must be an array");
    if (v->via.array.size > SL_MAX_BATCH_EVENTS) {
        snprintf(r->err, r->errlen, "%s: %u events, more than the limit of %d",
                 r->type_name, v->via.array.size, SL_MAX_BATCH_EVENTS);
        return SL_E_TOO_LARGE;
    }
    msg->nevents = v->via.array.size;
    if (msg->nevents == 0)
        return 0;
    msg->events = msgpack_zone_malloc(msg->zone, msg->nevents * sizeof(sl_event_t));
    if (!msg->events) {
        snprintf(r->err, r->errlen, "out of memory");
        return SL_E_INTERNAL;
    }
    for (size_t i = 0; i < msg->nevents; i++) {
        rc = s_decode_event(&v->via.array.ptr[i], &msg->events[i], i, r->err, r->errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* A LOG entry is [lseq, kind, key, value|nil]; lseq ascending, at most upto. */
static bool s_entry_ok(const msgpack_object *o, uint64_t prev_lseq, uint64_t upto)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 4)
        return false;
    const msgpack_object *f = o->via.array.ptr;
    return f[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER && f[0].via.u64 > prev_lseq
        && f[0].via.u64 <= upto
        && f[1].type == MSGPACK_OBJECT_STR && f[1].via.str.size > 0
        && f[1].via.str.size <= SL_MAX_NAME_BYTES
        && sl_utf8_valid(f[1].via.str.ptr, f[1].via.str.size)
        && f[2].type == MSGPACK_OBJECT_STR && f[2].via.str.size <= SL_MAX_NAME_BYTES
        && sl_utf8_valid(f[2].via.str.ptr, f[2].via.str.size)
        && (f[3].type == MSGPACK_OBJECT_NIL
            || (f[3].type == MSGPACK_OBJECT_STR && f[3].via.str.size <= SL_MAX_TEXT_BYTES
                && sl_utf8_valid(f[3].via.str.ptr, f[3].via.str.size)));
}

static int s_entries(s_reader_t *r, sl_msg_t *msg)
{
    const msgpack_object *v;
    int rc = s_find(r, "entries", &v);
    if (rc)
        return rc;
    if (!v)
        return s_missing(r, "entries", "is missing");
    if (v->type != MSGPACK_OBJECT_ARRAY)
        return s_missing(r, "entries", "must be an array");
    if (v->via.array.size > SL_MAX_LOG_ENTRIES) {
        snprintf(r->err, r->errlen, "LOG: %u entries, more than the limit of %d",
                 v->via.array.size, SL_MAX_LOG_ENTRIES);
        return SL_E_TOO_LARGE;
    }
    msg->nentries = v->via.array.size;
    if (msg->nentries == 0)
        return 0;
    msg->entries = msgpack_zone_malloc(msg->zone, msg->nentries * sizeof(sl_log_entry_t));
    if (!msg->entries) {
        snprintf(r->err, r->errlen, "out of memory");
        return SL_E_INTERNAL;
    }
    uint64_t prev = 0;
    for (size_t i = 0; i < msg->nentries; i++) {
        const msgpack_object *o = &v->via.array.ptr[i];
        if (!s_entry_ok(o, prev, msg->upto)) {
            snprintf(r->err, r->errlen, "LOG: entry %zu must be [lseq, kind, key, value|nil] "
                     "with lseq ascending and at most upto, UTF-8 kind of 1..64 bytes, key of "
                     "at most 64 and value of at most %d", i, SL_MAX_TEXT_BYTES);
            return SL_E_BAD_FIELD;
        }
        const msgpack_object *f = o->via.array.ptr;
        sl_log_entry_t *e = &msg->entries[i];
        e->lseq = prev = f[0].via.u64;
        e->kind = f[1].via.str.ptr;
        e->kind_len = f[1].via.str.size;
        e->key = f[2].via.str.ptr;
        e->key_len = f[2].via.str.size;
        e->value = f[3].type == MSGPACK_OBJECT_NIL ? NULL : f[3].via.str.ptr;
        e->value_len = f[3].type == MSGPACK_OBJECT_NIL ? 0 : f[3].via.str.size;
    }
    return 0;
}

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

static int s_decode_body(sl_msg_t *m, s_reader_t *r)
{
    TRY(s_u64(r, "sess", &m->sess, UINT64_MAX));
    switch (m->type) {
    case SL_HELLO:
        TRY(s_str(r, "site", &m->site, &m->site_len, SL_MAX_NAME_BYTES, true));
        if (sl_site_id_check(m->site, m->site_len)) {
            snprintf(r->err, r->errlen, "HELLO: field \"site\": %s",
                     sl_site_id_check(m->site, m->site_len));
            return SL_E_BAD_FIELD;
        }
        TRY(s_u64(r, "last_seq", &m->last_seq, INT64_MAX));
        TRY(s_hash(r, "last_hash", m->last_hash));
        TRY(s_u64(r, "cursor", &m->cursor, INT64_MAX));
        TRY(s_u64(r, "hlc", &m->hlc, UINT64_MAX));
        TRY(s_str(r, "agent", &m->agent, &m->agent_len, SL_MAX_NAME_BYTES, false));
        return s_telemetry(r, &m->tm, false);
    case SL_WELCOME:
        TRY(s_u64(r, "server_seq", &m->server_seq, INT64_MAX));
        TRY(s_u64(r, "match_seq", &m->match_seq, m->server_seq));
        TRY(s_hash(r, "match_hash", m->match_hash));
        TRY(s_u64(r, "log_head", &m->log_head, INT64_MAX));
        TRY(s_u64(r, "hlc", &m->hlc, UINT64_MAX));
        TRY(s_u32(r, "credit", &m->credit, 1, SL_MAX_CREDIT));
        TRY(s_u32(r, "max_batch", &m->max_batch, 1, SL_MAX_BATCH_EVENTS));
        TRY(s_u32(r, "heartbeat_ms", &m->heartbeat_ms, 0, S_MAX_HEARTBEAT_MS));
        return s_str(r, "log_id", &m->log_id, &m->log_id_len, SL_MAX_NAME_BYTES, false);
    case SL_ADMIN:
        TRY(s_str(r, "verb", &m->verb, &m->verb_len, SL_MAX_NAME_BYTES, true));
        return s_args(r, m);
    case SL_REPLY:
        TRY(s_str(r, "text", &m->text, &m->text_len, SL_MAX_TEXT_BYTES, true));
        TRY(s_u32(r, "columns", &m->columns, 0, 64));
        return s_cells(r, m);
    case SL_ENROLL:
        TRY(s_str(r, "site", &m->site, &m->site_len, SL_MAX_NAME_BYTES, true));
        if (sl_site_id_check(m->site, m->site_len)) {
            snprintf(r->err, r->errlen, "ENROLL: field \"site\": %s",
                     sl_site_id_check(m->site, m->site_len));
            return SL_E_BAD_FIELD;
        }
        return s_key32(r, "key", m->key);
    case SL_ROTATE:
        return s_key32(r, "key", m->key);
    case SL_BATCH:
        return s_events(r, m);
    case SL_EVENTS:
        TRY(s_u64(r, "server_seq", &m->server_seq, INT64_MAX));
        return s_events(r, m);
    case SL_ACK:
        TRY(s_u64(r, "acked", &m->acked, INT64_MAX));
        return s_u64(r, "log_head", &m->log_head, INT64_MAX);
    case SL_FETCH:
        TRY(s_u64(r, "from", &m->from, INT64_MAX));
        return s_u32(r, "max", &m->max, 1, SL_MAX_BATCH_EVENTS);
    case SL_LOG_PULL:
        TRY(s_u64(r, "after", &m->cursor, INT64_MAX));
        return s_u32(r, "max", &m->max, 1, SL_MAX_LOG_ENTRIES);
    case SL_LOG:
        TRY(s_u64(r, "upto", &m->upto, INT64_MAX));
        TRY(s_u64(r, "log_head", &m->log_head, INT64_MAX));
        return s_entries(r, m);
    case SL_PING:
        return s_telemetry(r, &m->tm, true);
    case SL_PONG:
        return s_u64(r, "log_head", &m->log_head, INT64_MAX);
    case SL_ERROR:
        TRY(s_u32(r, "code", &m->code, 0, S_MAX_ERROR_CODE));
        TRY(s_str(r, "text", &m->text, &m->text_len, SL_MAX_TEXT_BYTES, true));
        TRY(s_str(r, "field", &m->field, &m->field_len, SL_MAX_NAME_BYTES, false));
        TRY(s_u64_opt(r, "seq", &m->seq, 0, INT64_MAX, false));
        return s_u64_opt(r, "expected", &m->expected, 0, INT64_MAX, false);
    default:
        return SL_E_UNKNOWN_TYPE;
    }
}

int sl_msg_decode(sl_msg_t *msg, const uint8_t *frame, size_t len, char *err, size_t errlen)
{
    sl_msg_reset(msg);
    if (len > SL_MAX_FRAME_BYTES) {
        snprintf(err, errlen, "frame of %zu bytes is larger than the limit of %d",
                 len, SL_MAX_FRAME_BYTES);
        return SL_E_TOO_LARGE;
    }
    msg->zone = msgpack_zone_new(8192);
    if (!msg->zone) {
        snprintf(err, errlen, "out of memory");
        return SL_E_INTERNAL;
    }
    msgpack_object root;
    char inner[200];
    if (sl_mp_unpack(frame, len, msg->zone, &root, inner, sizeof inner)) {
        snprintf(err, errlen, "not a msgpack frame: %s", inner);
        return SL_E_MALFORMED;
    }
    if (root.type != MSGPACK_OBJECT_ARRAY || root.via.array.size < 2) {
        snprintf(err, errlen, "frame must be an array [signature, version, type, body]");
        return SL_E_MALFORMED;
    }
    const msgpack_object *a = root.via.array.ptr;
    if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[0].via.u64 != SL_SIGNATURE) {
        snprintf(err, errlen, "frame signature is not 0x534C (\"SL\"): not a shuanglian peer");
        return SL_E_MALFORMED;
    }
    /* From here on the frame is ours: an ERROR in reply echoes its session
     * number when it has a readable one, so the peer can match the reply. */
    if (root.via.array.size >= 4 && a[3].type == MSGPACK_OBJECT_MAP) {
        const msgpack_object *sess = sl_mp_get(&a[3], "sess");
        if (sess && sess->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            msg->sess = sess->via.u64;
    }
    /* The version is checked before the shape, so that a later version may
     * change everything after it and still get a clear 405 from us. */
    if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[1].via.u64 != SL_PROTO_VERSION) {
        snprintf(err, errlen, "protocol version %s%llu is not supported; this peer speaks "
                 "version %d", a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER ? "" : "(not a number) ",
                 a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (unsigned long long) a[1].via.u64 : 0ULL,
                 SL_PROTO_VERSION);
        return SL_E_VERSION;
    }
    if (root.via.array.size != 4) {
        snprintf(err, errlen, "frame must be an array of 4 elements "
                 "[signature, version, type, body], not %u", root.via.array.size);
        return SL_E_MALFORMED;
    }
    if (a[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER || a[2].via.u64 < 1
        || a[2].via.u64 > SL_MSG_TYPE_MAX) {
        snprintf(err, errlen, "unknown message type %llu",
                 a[2].type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (unsigned long long) a[2].via.u64 : 0ULL);
        return SL_E_UNKNOWN_TYPE;
    }
    if (a[3].type != MSGPACK_OBJECT_MAP) {
        snprintf(err, errlen, "message body must be a map");
        return SL_E_MALFORMED;
    }
    msg->type = (sl_msg_type_t) a[2].via.u64;
    s_reader_t r = { &a[3], err, errlen, sl_msg_type_name(msg->type) };
    return s_decode_body(msg, &r);
}

void sl_msg_reset(sl_msg_t *msg)
{
    if (msg->zone)
        msgpack_zone_free(msg->zone);
    memset(msg, 0, sizeof *msg);
}
