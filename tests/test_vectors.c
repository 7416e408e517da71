/* test_vectors.c: checks the codec against the protocol test vectors (P9).
 *
 * proto/vectors/ holds frames as hex (NAME.hex) and, beside each, what they
 * mean (NAME.txt, "key = value" lines; see proto/vectors/README.md).  This
 * test is what another implementation would do with them:
 *   message     decode, compare every field with the description (both ways:
 *               nothing missing, nothing extra), re-encode and compare the
 *               bytes (reencode = yes) or decode the re-encoding again;
 *               recompute every event hash from the listed fields;
 *   malformed   decode must refuse with exactly the listed error code and
 *               echo the listed session number;
 *   event_hash  the hex is the exact hash input: rebuild it from the fields
 *               per PROTOCOL.md, hash it, compare with sl_event_hash;
 *   payload     sl_schema_build from the listed text values gives the bytes.
 * Then proto/vectors/check_vectors.py, an independent Python decoder, must
 * agree on every vector (skipped when python3 is not installed).
 * Prints one line per check; exits 1 on any failure. */
#include "sl_event.h"
#include "sl_id.h"
#include "sl_msg.h"
#include "sl_schema.h"
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "sl_check.h"

/* ---- key = value lists ------------------------------------------------------ */

#define MAX_KV 256

typedef struct {
    size_t n;
    char *key[MAX_KV];
    char *val[MAX_KV];
    bool used[MAX_KV];
} kv_t;

static void s_kv_free(kv_t *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->key[i]);
        free(kv->val[i]);
    }
    kv->n = 0;
}

static void s_kv_add(kv_t *kv, const char *key, const char *val)
{
    if (kv->n == MAX_KV) {
        s_check(false, "too many keys (at %s)", key);
        return;
    }
    kv->key[kv->n] = strdup(key);
    kv->val[kv->n] = strdup(val);
    kv->used[kv->n] = false;
    kv->n++;
}

static void s_kv_addf(kv_t *kv, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_kv_addf(kv_t *kv, const char *key, const char *fmt, ...)
{
    char buf[20000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s_kv_add(kv, key, buf);
}

static const char *s_kv_get(kv_t *kv, const char *key)
{
    for (size_t i = 0; i < kv->n; i++)
        if (strcmp(kv->key[i], key) == 0) {
            kv->used[i] = true;
            return kv->val[i];
        }
    return NULL;
}

static void s_kv_hex(kv_t *kv, const char *key, const uint8_t *b, size_t len)
{
    char *hex = malloc(2 * len + 1);
    sl_hex(b, len, hex);
    s_kv_add(kv, key, hex);
    free(hex);
}

static void s_kv_str(kv_t *kv, const char *key, const char *s, size_t len)
{
    char *buf = malloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = 0;
    s_kv_add(kv, key, buf);
    free(buf);
}

/* ---- files ---------------------------------------------------------------------- */

static char s_dir[1024];

static char *s_slurp(const char *name, const char *ext)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.%s", s_dir, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t) size + 1);
    size_t got = fread(text, 1, (size_t) size, f);
    text[got] = 0;
    fclose(f);
    return text;
}

static int s_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Hex text (lowercase, '#' comment lines, any line wrapping) to bytes. */
static int s_unhex_text(const char *text, uint8_t **out, size_t *len)
{
    size_t cap = strlen(text) / 2 + 1, n = 0;
    uint8_t *b = malloc(cap);
    int hi = -1;
    const char *p = text;
    while (*p) {
        if (*p == '#') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') {
            p++;
            continue;
        }
        int v = s_nibble(*p++);
        if (v < 0) {
            free(b);
            return -1;
        }
        if (hi < 0)
            hi = v;
        else {
            b[n++] = (uint8_t) (hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

/* One hex string (no comments) of exactly `len` bytes. */
static bool s_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (!hex || strlen(hex) != 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        int hi = s_nibble(hex[2 * i]), lo = s_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    return true;
}

static int s_read_kv(const char *name, kv_t *kv)
{
    char *text = s_slurp(name, "txt");
    if (!text)
        return -1;
    char *line = text;
    while (line && *line) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        if (*line && *line != '#') {
            char *eq = strstr(line, " =");
            if (!eq) {
                free(text);
                return -1;
            }
            *eq = 0;
            char *val = eq + 2;
            if (*val == ' ')
                val++;
            s_kv_add(kv, line, val);
        }
        line = end ? end + 1 : NULL;
    }
    free(text);
    return 0;
}

/* ---- rendering a decoded message as the description would ----------------- */

static void s_render_event(kv_t *kv, size_t i, const sl_event_t *ev)
{
    char key[64];
#define K(name) (snprintf(key, sizeof key, "event.%zu.%s", i, name), key)
    s_kv_addf(kv, K("seq"), "%llu", (unsigned long long) ev->seq);
    s_kv_hex(kv, K("id"), ev->id, SL_ID_BYTES);
    s_kv_addf(kv, K("hlc"), "%llu", (unsigned long long) ev->hlc);
    s_kv_addf(kv, K("wall_ms"), "%lld", (long long) ev->wall_ms);
    s_kv_str(kv, K("type"), ev->type, ev->type_len);
    s_kv_hex(kv, K("payload"), ev->payload, ev->payload_len);
    s_kv_hex(kv, K("prev"), ev->prev, SL_HASH_BYTES);
    s_kv_hex(kv, K("hash"), ev->hash, SL_HASH_BYTES);
#undef K
}

static void s_render_tm(kv_t *kv, const sl_telemetry_t *tm)
{
    if (tm->has & SL_TM_LAST_SEQ)
        s_kv_addf(kv, "last_seq", "%llu", (unsigned long long) tm->last_seq);
    if (tm->has & SL_TM_OUTBOX)
        s_kv_addf(kv, "outbox", "%llu", (unsigned long long) tm->outbox);
    if (tm->has & SL_TM_OUTBOX_AGE)
        s_kv_addf(kv, "outbox_age_ms", "%llu", (unsigned long long) tm->outbox_age_ms);
    if (tm->has & SL_TM_CLOCK)
        s_kv_addf(kv, "clock_ms", "%lld", (long long) tm->clock_ms);
    if (tm->has & SL_TM_DISK_FREE)
        s_kv_addf(kv, "disk_free", "%llu", (unsigned long long) tm->disk_free);
    if (tm->has & SL_TM_LAST_ERROR)
        s_kv_str(kv, "last_error", tm->last_error, tm->last_error_len);
}

static void s_render(kv_t *kv, const sl_msg_t *m)
{
#define U(key, v) s_kv_addf(kv, key, "%llu", (unsigned long long) (v))
    s_kv_add(kv, "type", sl_msg_type_name(m->type));
    U("sess", m->sess);
    switch (m->type) {
    case SL_HELLO:
        s_kv_str(kv, "site", m->site, m->site_len);
        U("last_seq", m->last_seq);
        s_kv_hex(kv, "last_hash", m->last_hash, SL_HASH_BYTES);
        U("cursor", m->cursor);
        U("hlc", m->hlc);
        if (m->agent)
            s_kv_str(kv, "agent", m->agent, m->agent_len);
        s_render_tm(kv, &m->tm);
        break;
    case SL_WELCOME:
        U("server_seq", m->server_seq);
        U("match_seq", m->match_seq);
        s_kv_hex(kv, "match_hash", m->match_hash, SL_HASH_BYTES);
        U("log_head", m->log_head);
        U("hlc", m->hlc);
        U("credit", m->credit);
        U("max_batch", m->max_batch);
        U("heartbeat_ms", m->heartbeat_ms);
        if (m->log_id)
            s_kv_str(kv, "log_id", m->log_id, m->log_id_len);
        break;
    case SL_ADMIN:
        s_kv_str(kv, "verb", m->verb, m->verb_len);
        U("args", m->nargs);
        for (size_t i = 0; i < m->nargs; i++) {
            char key[64];
            snprintf(key, sizeof key, "arg.%zu.key", i);
            s_kv_str(kv, key, m->args[i].key, m->args[i].key_len);
            snprintf(key, sizeof key, "arg.%zu.value", i);
            s_kv_str(kv, key, m->args[i].value, m->args[i].value_len);
        }
        break;
    case SL_REPLY:
        s_kv_str(kv, "text", m->text, m->text_len);
        U("columns", m->columns);
        U("cells", m->ncells);
        for (size_t i = 0; i < m->ncells; i++) {
            char key[64];
            snprintf(key, sizeof key, "cell.%zu", i);
            s_kv_str(kv, key, m->cells[i].ptr, m->cells[i].len);
        }
        break;
    case SL_ENROLL:
    case SL_ROTATE: {
        /* key_z85: the key as ZAP reports it (User-Id) and the keys table
         * stores it, Z85 of ZeroMQ RFC 32. */
        char z85[41];
        if (m->type == SL_ENROLL)
            s_kv_str(kv, "site", m->site, m->site_len);
        s_kv_hex(kv, "key", m->key, 32);
        zmq_z85_encode(z85, m->key, 32);
        s_kv_add(kv, "key_z85", z85);
        break;
    }
    case SL_EVENTS:
        U("server_seq", m->server_seq);
        /* fall through */
    case SL_BATCH:
        U("events", m->nevents);
        for (size_t i = 0; i < m->nevents; i++)
            s_render_event(kv, i, &m->events[i]);
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
            char key[64];
            const sl_log_entry_t *e = &m->entries[i];
            snprintf(key, sizeof key, "entry.%zu.lseq", i);
            U(key, e->lseq);
            snprintf(key, sizeof key, "entry.%zu.kind", i);
            s_kv_str(kv, key, e->kind, e->kind_len);
            snprintf(key, sizeof key, "entry.%zu.key", i);
            s_kv_str(kv, key, e->key, e->key_len);
            if (e->value) {
                snprintf(key, sizeof key, "entry.%zu.value", i);
                s_kv_str(kv, key, e->value, e->value_len);
            } else {
                snprintf(key, sizeof key, "entry.%zu.value_nil", i);
                s_kv_add(kv, key, "yes");
            }
        }
        U("upto", m->upto);
        U("log_head", m->log_head);
        break;
    case SL_PING:
        s_render_tm(kv, &m->tm);
        break;
    case SL_PONG:
        U("log_head", m->log_head);
        break;
    case SL_ERROR:
        U("code", m->code);
        s_kv_str(kv, "text", m->text, m->text_len);
        if (m->field)
            s_kv_str(kv, "field", m->field, m->field_len);
        if (m->seq)
            U("seq", m->seq);
        if (m->expected)
            U("expected", m->expected);
        break;
    default:
        break;
    }
#undef U
}

/* Every rendered key must be described with the same value, and every
 * described key (but the informational ones) must have been rendered. */
static void s_compare(const char *name, kv_t *want, kv_t *got)
{
    for (size_t i = 0; i < got->n; i++) {
        const char *w = s_kv_get(want, got->key[i]);
        s_check(w && strcmp(w, got->val[i]) == 0, "%s: %s = %.60s%s (described: %.60s)", name,
                got->key[i], got->val[i], strlen(got->val[i]) > 60 ? "..." : "",
                w ? w : "(absent)");
    }
    for (size_t i = 0; i < want->n; i++)
        if (!want->used[i]) {
            s_check(false, "%s: described key %s was not decoded", name, want->key[i]);
            want->used[i] = true;
        }
}

/* ---- event hashes ------------------------------------------------------------ */

static uint64_t s_u64(const char *s)
{
    return s ? strtoull(s, NULL, 10) : 0;
}

static void s_put_u64(uint8_t **p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *(*p)++ = (uint8_t) (v >> (56 - 8 * i));
}

/* Checks event `i` of a description against the spec: the hash input is
 * rebuilt here from the listed fields alone, exactly as PROTOCOL.md says. */
static void s_check_event(const char *name, kv_t *d, size_t i, const char *site,
                          const uint8_t *prev_hash)
{
    char key[64];
#define G(field) (snprintf(key, sizeof key, "event.%zu.%s", i, field), s_kv_get(d, key))
    sl_event_t ev = { 0 };
    uint8_t payload[SL_MAX_PAYLOAD_BYTES];
    const char *type = G("type"), *phex = G("payload");
    ev.seq = s_u64(G("seq"));
    ev.hlc = s_u64(G("hlc"));
    ev.wall_ms = G("wall_ms") ? strtoll(G("wall_ms"), NULL, 10) : 0;
    ev.type = type ? type : "";
    ev.type_len = strlen(ev.type);
    ev.payload_len = phex ? strlen(phex) / 2 : 0;
    ev.payload = payload;
    bool ok = s_unhex(G("id"), ev.id, SL_ID_BYTES) && s_unhex(G("prev"), ev.prev, SL_HASH_BYTES)
              && s_unhex(G("hash"), ev.hash, SL_HASH_BYTES) && phex
              && ev.payload_len <= sizeof payload && s_unhex(phex, payload, ev.payload_len);
    if (!s_check(ok, "%s: event %zu: fields are readable", name, i))
        return;

    /* The id: text form, UUIDv7 layout carrying the HLC milliseconds. */
    char text[SL_ID_TEXT];
    uint8_t parsed[SL_ID_BYTES];
    sl_id_format(ev.id, text);
    const char *id_text = G("id_text");
    s_check(id_text && strcmp(text, id_text) == 0, "%s: event %zu: id text %s", name, i, text);
    s_check(id_text && sl_id_parse(id_text, parsed) == 0
            && memcmp(parsed, ev.id, SL_ID_BYTES) == 0, "%s: event %zu: id text parses back",
            name, i);
    uint64_t ms = s_u64(G("hlc_ms")), counter = s_u64(G("hlc_counter"));
    s_check(ev.hlc == (ms << 16 | counter) && counter < 65536,
            "%s: event %zu: hlc = hlc_ms << 16 | hlc_counter", name, i);
    uint64_t id_ms = 0;
    for (int b = 0; b < 6; b++)
        id_ms = id_ms << 8 | ev.id[b];
    s_check(id_ms == ms && (ev.id[6] >> 4) == 7 && (ev.id[8] >> 6) == 2,
            "%s: event %zu: id is UUIDv7 with the HLC milliseconds", name, i);

    /* The hash input, built from the spec. */
    static const char domain[] = "shuanglian.event.v1";
    uint8_t input[32000], *p = input;
    memcpy(p, domain, sizeof domain - 1);
    p += sizeof domain - 1;
    memcpy(p, ev.prev, SL_HASH_BYTES);
    p += SL_HASH_BYTES;
    *p++ = (uint8_t) strlen(site);
    memcpy(p, site, strlen(site));
    p += strlen(site);
    s_put_u64(&p, ev.seq);
    memcpy(p, ev.id, SL_ID_BYTES);
    p += SL_ID_BYTES;
    s_put_u64(&p, ev.hlc);
    s_put_u64(&p, (uint64_t) ev.wall_ms);
    *p++ = (uint8_t) ev.type_len;
    memcpy(p, ev.type, ev.type_len);
    p += ev.type_len;
    s_put_u64(&p, ev.payload_len);
    memcpy(p, ev.payload, ev.payload_len);
    p += ev.payload_len;
    size_t input_len = (size_t) (p - input);
    const char *ihex = G("hash_input");
    uint8_t *listed = malloc(input_len);
    s_check(ihex && s_unhex(ihex, listed, input_len) && memcmp(listed, input, input_len) == 0,
            "%s: event %zu: hash input rebuilt from the fields matches the listed one (%zu bytes)",
            name, i, input_len);
    free(listed);

    uint8_t h[SL_HASH_BYTES];
    crypto_generichash(h, sizeof h, input, input_len, NULL, 0);
    s_check(memcmp(h, ev.hash, SL_HASH_BYTES) == 0,
            "%s: event %zu: BLAKE2b-256 of the input is the listed hash", name, i);
    sl_event_hash(&ev, site, strlen(site), h);
    s_check(memcmp(h, ev.hash, SL_HASH_BYTES) == 0,
            "%s: event %zu: sl_event_hash gives the listed hash", name, i);
    s_check(sl_event_hash_ok(&ev, site, strlen(site)), "%s: event %zu: sl_event_hash_ok", name, i);
    if (prev_hash)
        s_check(memcmp(prev_hash, ev.prev, SL_HASH_BYTES) == 0,
                "%s: event %zu: prev is the hash of the event before", name, i);
    /* A changed byte anywhere must change the hash. */
    ev.wall_ms ^= 1;
    s_check(!sl_event_hash_ok(&ev, site, strlen(site)),
            "%s: event %zu: another wall_ms does not verify", name, i);
#undef G
}

/* ---- the kinds of vectors ---------------------------------------------------- */

static int s_seen_types[SL_MSG_TYPE_MAX + 1];
static int s_seen_codes[1000];

static void s_message(const char *name, kv_t *d, const uint8_t *frame, size_t len)
{
    sl_msg_t m = { 0 };
    char err[512] = "";
    int rc = sl_msg_decode(&m, frame, len, err, sizeof err);
    if (!s_check(rc == 0, "%s: decodes (%d %s)", name, rc, err)) {
        sl_msg_reset(&m);
        return;
    }
    s_seen_types[m.type]++;
    kv_t got = { 0 };
    s_render(&got, &m);
    s_kv_get(d, "kind");
    const char *reencode = s_kv_get(d, "reencode");
    const char *site = s_kv_get(d, "hash_site");
    /* Informational keys, checked in s_check_event. */
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->key[i], ".id_text") || strstr(d->key[i], ".hlc_ms")
            || strstr(d->key[i], ".hlc_counter") || strstr(d->key[i], ".hash_input"))
            d->used[i] = true;
    s_compare(name, d, &got);

    if (m.type == SL_BATCH || m.type == SL_EVENTS) {
        s_check(site != NULL, "%s: names the site whose chain the events are", name);
        for (size_t i = 0; site && i < m.nevents; i++)
            s_check_event(name, d, i, site, i ? m.events[i - 1].hash : NULL);
    }

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    sl_msg_encode(&m, &sb);
    if (reencode && strcmp(reencode, "yes") == 0) {
        s_check(sb.size == len && memcmp(sb.data, frame, len) == 0,
                "%s: re-encodes to the same %zu bytes", name, len);
    } else {
        s_check(reencode && strcmp(reencode, "no") == 0, "%s: reencode is yes or no", name);
        s_check(sb.size != len || memcmp(sb.data, frame, len) != 0,
                "%s: our encoding differs (as the vector says)", name);
        sl_msg_t again = { 0 };
        rc = sl_msg_decode(&again, (const uint8_t *) sb.data, sb.size, err, sizeof err);
        kv_t got2 = { 0 };
        if (rc == 0)
            s_render(&got2, &again);
        bool same = rc == 0 && got2.n == got.n;
        for (size_t i = 0; same && i < got.n; i++)
            same = strcmp(got.key[i], got2.key[i]) == 0 && strcmp(got.val[i], got2.val[i]) == 0;
        s_check(same, "%s: our re-encoding decodes to the same fields", name);
        s_kv_free(&got2);
        sl_msg_reset(&again);
    }
    msgpack_sbuffer_destroy(&sb);
    s_kv_free(&got);
    sl_msg_reset(&m);
}

static void s_malformed(const char *name, kv_t *d, const uint8_t *frame, size_t len)
{
    sl_msg_t m = { 0 };
    char err[512] = "";
    s_kv_get(d, "kind");
    long expect = strtol(s_kv_get(d, "expect") ? s_kv_get(d, "expect") : "-1", NULL, 10);
    const char *expect_name = s_kv_get(d, "expect_name");
    uint64_t error_sess = s_u64(s_kv_get(d, "error_sess"));
    int rc = sl_msg_decode(&m, frame, len, err, sizeof err);
    s_check(rc == expect, "%s: refused with %d (expected %ld): %s", name, rc, expect, err);
    s_check(expect_name && strcmp(sl_error_name(rc), expect_name) == 0, "%s: %s", name,
            sl_error_name(rc));
    s_check(m.sess == error_sess, "%s: session echoed in the ERROR is %llu", name,
            (unsigned long long) error_sess);
    s_check(strlen(err) > 0, "%s: the refusal says why", name);
    /* The sentence goes into an ERROR: that ERROR must itself decode. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    sl_msg_encode_error(&sb, m.sess, rc, err, NULL, 0, 0);
    sl_msg_t e = { 0 };
    char err2[512];
    s_check(sl_msg_decode(&e, (const uint8_t *) sb.data, sb.size, err2, sizeof err2) == 0
            && e.type == SL_ERROR && e.code == (uint32_t) rc,
            "%s: the ERROR answering it decodes", name);
    sl_msg_reset(&e);
    msgpack_sbuffer_destroy(&sb);
    if (rc >= 0 && rc < 1000)
        s_seen_codes[rc]++;
    sl_msg_reset(&m);
}

static void s_event_hash(const char *name, kv_t *d, const uint8_t *bytes, size_t len)
{
    s_kv_get(d, "kind");
    const char *site = s_kv_get(d, "site");
    if (!s_check(site != NULL, "%s: names its site", name))
        return;
    char *hex = malloc(2 * len + 1);
    sl_hex(bytes, len, hex);
    const char *listed = s_kv_get(d, "event.0.hash_input");
    s_check(listed && strcmp(listed, hex) == 0, "%s: the .hex is the listed hash input", name);
    free(hex);
    s_check_event(name, d, 0, site, NULL);
}

static bool s_lookup_event1(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    (void) ctx;
    (void) id;
    snprintf(type, cap, "service_matter");
    return true;
}

static void s_payload(const char *name, kv_t *d, const uint8_t *bytes, size_t len)
{
    s_kv_get(d, "kind");
    const char *type = s_kv_get(d, "record_type");
    const sl_rtype_t *rt = type ? sl_schema_find(type, strlen(type)) : NULL;
    if (!s_check(rt != NULL, "%s: record type %s exists", name, type ? type : "(none)"))
        return;
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS];
    size_t n = 0;
    for (size_t i = 0; i < d->n && n < SL_MAX_FIELDS; i++)
        if (strncmp(d->key[i], "field.", 6) == 0) {
            d->used[i] = true;
            names[n] = d->key[i] + 6;
            values[n++] = d->val[i];
        }
    s_check(n == s_u64(s_kv_get(d, "fields")), "%s: %zu fields listed", name, n);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[300] = "";
    sl_schema_lookup_t lk = { .item = s_lookup_event1 };
    int rc = sl_schema_build(rt, n, names, values, &sb, &lk, err, sizeof err, NULL);
    s_check(rc == 0, "%s: sl_schema_build accepts the fields %s", name, err);
    s_check(rc == 0 && sb.size == len && memcmp(sb.data, bytes, len) == 0,
            "%s: sl_schema_build gives the vector's %zu bytes", name, len);
    s_check(sl_schema_check(rt, bytes, len, &lk, err, sizeof err, NULL) == 0,
            "%s: sl_schema_check accepts the bytes %s", name, err);
    for (size_t i = 0; i < n; i++) {
        char text[SL_MAX_TEXT_BYTES + 1];
        sl_schema_field_text(rt, bytes, len, names[i], text, sizeof text);
        s_check(strcmp(text, values[i]) == 0, "%s: field %s reads back as %s", name, names[i],
                values[i]);
    }
    msgpack_sbuffer_destroy(&sb);
}

/* A payload as 0.2.0 wrote it: valid, and read with its meaning. */
static void s_payload_legacy(const char *name, kv_t *d, const uint8_t *bytes, size_t len)
{
    s_kv_get(d, "kind");
    const char *type = s_kv_get(d, "record_type");
    const sl_rtype_t *rt = type ? sl_schema_find(type, strlen(type)) : NULL;
    if (!s_check(rt != NULL, "%s: record type %s exists", name, type ? type : "(none)"))
        return;
    s_kv_get(d, "fields");
    char err[600] = "";
    s_check(sl_schema_check(rt, bytes, len, NULL, err, sizeof err, NULL) == 0,
            "%s: sl_schema_check accepts the 0.2.0 bytes %s", name, err);
    sl_view_t view;
    s_check(sl_schema_view(rt, bytes, len, &view, err, sizeof err) == 0 && view.legacy,
            "%s: read as a 0.2.0 payload %s", name, err);
    for (size_t i = 0; i < d->n; i++) {
        if (strncmp(d->key[i], "field.", 6) == 0) {
            d->used[i] = true;
        } else if (strncmp(d->key[i], "reads.", 6) == 0) {
            d->used[i] = true;
            char text[SL_MAX_TEXT_BYTES + 1];
            sl_view_text(&view, d->key[i] + 6, text, sizeof text);
            s_check(strcmp(text, d->val[i]) == 0, "%s: %s reads as %s (got %s)", name,
                    d->key[i] + 6, d->val[i], text);
        }
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const char *root = getenv("SL_SOURCE_DIR");
    snprintf(s_dir, sizeof s_dir, "%s/proto/vectors", root ? root : "..");
    char *index = s_slurp("index", "txt");
    if (!s_check(index != NULL, "%s/index.txt is readable (set SL_SOURCE_DIR)", s_dir))
        return 1;
    int counts[4] = { 0 };
    char *line = index;
    while (line && *line) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        if (*line && *line != '#') {
            kv_t d = { 0 };
            char *hex = s_slurp(line, "hex");
            uint8_t *bytes = NULL;
            size_t len = 0;
            bool ok = s_check(hex && s_unhex_text(hex, &bytes, &len) == 0
                              && s_read_kv(line, &d) == 0,
                              "%s: .hex and .txt are readable", line);
            const char *kind = ok ? s_kv_get(&d, "kind") : NULL;
            if (!ok) {
            } else if (kind && strcmp(kind, "message") == 0) {
                counts[0]++;
                s_message(line, &d, bytes, len);
            } else if (kind && strcmp(kind, "malformed") == 0) {
                counts[1]++;
                s_malformed(line, &d, bytes, len);
            } else if (kind && strcmp(kind, "event_hash") == 0) {
                counts[2]++;
                s_event_hash(line, &d, bytes, len);
            } else if (kind && strcmp(kind, "payload") == 0) {
                counts[3]++;
                s_payload(line, &d, bytes, len);
            } else if (kind && strcmp(kind, "payload_legacy") == 0) {
                counts[3]++;
                s_payload_legacy(line, &d, bytes, len);
            } else
                s_check(false, "%s: unknown kind %s", line, kind ? kind : "(none)");
            for (size_t i = 0; ok && i < d.n; i++)
                if (!d.used[i])
                    s_check(false, "%s: key %s was not checked", line, d.key[i]);
            s_kv_free(&d);
            free(bytes);
            free(hex);
        }
        line = end ? end + 1 : NULL;
    }
    free(index);

    /* The set is complete: every message type, every decoder error code. */
    for (int t = 1; t <= SL_MSG_TYPE_MAX; t++)
        s_check(s_seen_types[t] > 0, "a valid vector of %s exists", sl_msg_type_name(t));
    static const int codes[] = { SL_E_MALFORMED, SL_E_VERSION, SL_E_UNKNOWN_TYPE,
                                 SL_E_BAD_FIELD, SL_E_TOO_LARGE };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        s_check(s_seen_codes[codes[i]] > 0, "a malformed vector refused with %d exists",
                codes[i]);
    s_check(counts[2] >= 3 && counts[3] >= 3, "event-hash and payload vectors exist");

    /* The second implementation (Python, written from PROTOCOL.md alone)
     * must agree on every vector too, when python3 is installed. */
    if (system("command -v python3 >/dev/null 2>&1") == 0) {
        char cmd[2200];
        snprintf(cmd, sizeof cmd, "python3 '%s/check_vectors.py' '%s'", s_dir, s_dir);
        fflush(stdout);
        s_check(system(cmd) == 0, "check_vectors.py agrees on every vector");
    } else
        printf("ok - check_vectors.py skipped: no python3\n");
    printf("%d message, %d malformed, %d event-hash, %d payload vectors\n", counts[0],
           counts[1], counts[2], counts[3]);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
