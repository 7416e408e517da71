/* sl_schema.c: the record-type table and everything that reads it.
 *
 * The table below is the single description of each record type.  Nothing
 * outside this file knows a field name; entry, import, validation and
 * display all go through the functions here. */
#include "sl_schema.h"
#include "sl_id.h"
#include "sl_limits.h"
#include "sl_mpcheck.h"
#include "sl_text.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATE_MIN 20000101
#define DATE_MAX 20991231

static const sl_field_t s_service_matter[] = {
    { "unit", "单位", SL_F_TEXT, true, 1, 64, NULL },
    { "title", "事项", SL_F_TEXT, true, 1, 200, NULL },
    { "community", "社区", SL_F_TEXT, false, 1, 64, NULL },
    { "done_on", "完成日期", SL_F_DATE, true, DATE_MIN, DATE_MAX, NULL },
    { "beneficiaries", "受益人数", SL_F_INT, false, 0, 1000000, NULL },
};

static const sl_field_t s_problem_report[] = {
    { "reporter_kind", "上报人类别", SL_F_ENUM, true, 0, 0,
      "grid_worker|volunteer|courier|delivery_rider|resident|member",
      "网格员|志愿者|快递员|外卖员|居民|党员" },
    { "summary", "问题描述", SL_F_TEXT, true, 1, 500, NULL },
    { "location", "地点", SL_F_TEXT, false, 1, 200, NULL },
    { "reported_on", "上报日期", SL_F_DATE, true, DATE_MIN, DATE_MAX, NULL },
};

static const sl_field_t s_rating[] = {
    /* 一事一评: one rating per finished item. */
    { "item", "评价事项", SL_F_REF, true, 0, 0, "service_matter|problem_report", NULL, true },
    { "stars", "星级", SL_F_INT, true, 1, 5, NULL },
    { "comment", "评语", SL_F_TEXT, false, 1, 500, NULL },
};

#define TYPE(n, zh, en, f) { n, zh, en, f, sizeof f / sizeof f[0] }
static const sl_rtype_t s_types[] = {
    TYPE("service_matter", "民生实事", "livelihood service matter", s_service_matter),
    TYPE("problem_report", "问题上报", "problem report", s_problem_report),
    TYPE("rating", "一事一评", "resident rating (1-5 stars)", s_rating),
};

size_t sl_schema_count(void) { return sizeof s_types / sizeof s_types[0]; }

const sl_rtype_t *sl_schema_at(size_t index)
{
    return index < sl_schema_count() ? &s_types[index] : NULL;
}

const sl_rtype_t *sl_schema_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sl_schema_count(); i++)
        if (strlen(s_types[i].name) == len && memcmp(s_types[i].name, name, len) == 0)
            return &s_types[i];
    return NULL;
}

const sl_rtype_t *sl_schema_find_entry(const char *name)
{
    const sl_rtype_t *rt = sl_schema_find(name, strlen(name));
    for (size_t i = 0; !rt && i < sl_schema_count(); i++)
        if (strcmp(s_types[i].label, name) == 0)
            rt = &s_types[i];
    return rt;
}

/* The i-th '|'-separated part of list into out; false past the end. */
static bool s_part(const char *list, size_t i, char *out, size_t cap)
{
    const char *p = list;
    for (; p && i > 0; i--) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (!p || !*p)
        return false;
    size_t n = strcspn(p, "|");
    snprintf(out, cap, "%.*s", (int) n, p);
    return true;
}

bool sl_schema_choice(const sl_field_t *f, size_t i, char *name, size_t ncap,
                      char *label, size_t lcap)
{
    if (f->type != SL_F_ENUM || !s_part(f->choices, i, name, ncap))
        return false;
    if (!f->choice_labels || !s_part(f->choice_labels, i, label, lcap))
        snprintf(label, lcap, "%s", name);
    return true;
}

/* A field by wire name or by Chinese label (entry only). */
static const sl_field_t *s_field_entry(const sl_rtype_t *rt, const char *name)
{
    for (size_t i = 0; i < rt->nfields; i++)
        if (strcmp(rt->fields[i].name, name) == 0 || strcmp(rt->fields[i].label, name) == 0)
            return &rt->fields[i];
    return NULL;
}

static const sl_field_t *s_field(const sl_rtype_t *rt, const char *name, size_t len)
{
    for (size_t i = 0; i < rt->nfields; i++)
        if (strlen(rt->fields[i].name) == len && memcmp(rt->fields[i].name, name, len) == 0)
            return &rt->fields[i];
    return NULL;
}

/* Where the c-th choice starts inside `choices` (it ends at '|' or NUL). */
static const char *s_choice_ptr(const char *choices, size_t c)
{
    const char *p = choices;
    for (; c > 0 && p; c--) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    return p ? p : "";
}

/* True when `value` (len bytes) is one of the '|'-separated choices. */
static bool s_choice(const char *choices, const char *value, size_t len)
{
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t) (bar - p) : strlen(p);
        if (n == len && memcmp(p, value, len) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

/* Quotes untrusted text for an error message: at most 40 characters, each
 * byte that does not start a valid character shown as '?', "..." when cut.
 * Error sentences travel in ERROR messages, which must be valid UTF-8: a
 * plain "%.40s" could cut a Chinese character in half. */
#define QUOTE_CHARS 40
#define QUOTE_CAP (QUOTE_CHARS * 4 + 4)
static const char *s_quote(const char *v, size_t len, char out[QUOTE_CAP])
{
    size_t used = 0, i = 0, chars = 0;
    while (i < len && chars < QUOTE_CHARS) {
        unsigned char c = (unsigned char) v[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || n > len - i || !sl_utf8_valid(v + i, n)) {
            out[used++] = '?';
            i++;
        } else {
            memcpy(out + used, v + i, n);
            used += n;
            i += n;
        }
        chars++;
    }
    if (i < len) {
        memcpy(out + used, "...", 3);
        used += 3;
    }
    out[used] = 0;
    return out;
}

static bool s_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Parses "YYYY-MM-DD" into yyyymmdd; -1 when not a real calendar date. */
static long s_date(const char *s, size_t len)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1)
        return -1;
    if (d > days[m - 1] + (m == 2 && s_leap(y)))
        return -1;
    return (long) y * 10000 + m * 100 + d;
}

/* Checks a string value of a TEXT, ENUM or DATE field. */
static int s_check_text(const sl_field_t *f, const char *v, size_t len, char *err, size_t errlen)
{
    long chars = sl_utf8_chars(v, len);
    if (chars < 0 || len > SL_MAX_TEXT_BYTES) {
        snprintf(err, errlen, "field \"%s\" (%s) is not valid UTF-8 text of at most %d bytes",
                 f->name, f->label, SL_MAX_TEXT_BYTES);
        return -1;
    }
    if (f->type == SL_F_TEXT && (chars < f->min || chars > f->max)) {
        snprintf(err, errlen, "field \"%s\" (%s) has %ld characters, must have %" PRId64 "..%" PRId64,
                 f->name, f->label, chars, f->min, f->max);
        return -1;
    }
    char quoted[QUOTE_CAP];
    if (f->type == SL_F_ENUM && !s_choice(f->choices, v, len)) {
        snprintf(err, errlen, "field \"%s\" (%s) is \"%s\", must be one of %s",
                 f->name, f->label, s_quote(v, len, quoted), f->choices);
        return -1;
    }
    if (f->type == SL_F_DATE) {
        long d = s_date(v, len);
        if (d < 0 || d < f->min || d > f->max) {
            snprintf(err, errlen, "field \"%s\" (%s) is \"%s\", must be a date YYYY-MM-DD "
                     "from 2000-01-01 to 2099-12-31", f->name, f->label,
                     s_quote(v, len, quoted));
            return -1;
        }
    }
    return 0;
}

static int s_check_int(const sl_field_t *f, int64_t v, char *err, size_t errlen)
{
    if (v < f->min || v > f->max) {
        snprintf(err, errlen, "field \"%s\" (%s) is %" PRId64 ", must be %" PRId64 "..%" PRId64,
                 f->name, f->label, v, f->min, f->max);
        return -1;
    }
    return 0;
}

static int s_check_ref(const sl_field_t *f, const uint8_t *id, sl_ref_lookup_fn lookup,
                       void *ctx, char *err, size_t errlen)
{
    if (!lookup)
        return 0;
    char type[SL_MAX_NAME_BYTES + 1];
    char text[SL_ID_TEXT];
    sl_id_format(id, text);
    if (!lookup(ctx, id, type, sizeof type)) {
        snprintf(err, errlen, "field \"%s\" (%s) refers to record %s, which does not exist",
                 f->name, f->label, text);
        return -1;
    }
    if (!s_choice(f->choices, type, strlen(type))) {
        snprintf(err, errlen, "field \"%s\" (%s) refers to record %s of type %s, must be %s",
                 f->name, f->label, text, type, f->choices);
        return -1;
    }
    return 0;
}

int sl_schema_build(const sl_rtype_t *rt, size_t n, const char *const *names,
                    const char *const *values, msgpack_sbuffer *out,
                    sl_ref_lookup_fn lookup, void *ctx, char *err, size_t errlen)
{
    const char *given[SL_MAX_FIELDS] = { 0 };
    bool named[SL_MAX_FIELDS] = { 0 };
    char quoted[QUOTE_CAP];
    for (size_t i = 0; i < n; i++) {
        const sl_field_t *f = s_field_entry(rt, names[i]);
        if (!f) {
            int len = snprintf(err, errlen, "record type %s has no field \"%s\"; its fields are:",
                               rt->name, s_quote(names[i], strlen(names[i]), quoted));
            for (size_t j = 0; j < rt->nfields && len > 0 && (size_t) len < errlen; j++)
                len += snprintf(err + len, errlen - (size_t) len, " %s(%s)", rt->fields[j].name,
                                rt->fields[j].label);
            return -1;
        }
        size_t k = (size_t) (f - rt->fields);
        if (named[k]) {         /* even when the first value was empty */
            snprintf(err, errlen, "field \"%s\" is given twice", f->name);
            return -1;
        }
        named[k] = true;
        if (*values[i])
            given[k] = values[i];
    }
    size_t present = 0;
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (!given[k] && f->required) {
            snprintf(err, errlen, "field \"%s\" (%s) is required for %s (%s)",
                     f->name, f->label, rt->name, rt->label);
            return -1;
        }
        present += given[k] != NULL;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, present);
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        const char *v = given[k];
        if (!v)
            continue;
        size_t len = strlen(v);
        msgpack_pack_str_with_body(&pk, f->name, strlen(f->name));
        if (f->type == SL_F_INT) {
            char *end;
            errno = 0;
            long long x = strtoll(v, &end, 10);
            /* Digits with an optional minus: strtoll alone would also take
             * leading spaces and a plus sign. */
            if (errno || *end || end == v || !(*v == '-' || (*v >= '0' && *v <= '9'))) {
                snprintf(err, errlen, "field \"%s\" (%s) is \"%s\", must be a whole number",
                         f->name, f->label, s_quote(v, len, quoted));
                return -1;
            }
            if (s_check_int(f, x, err, errlen))
                return -1;
            msgpack_pack_int64(&pk, x);
        } else if (f->type == SL_F_REF) {
            uint8_t id[SL_ID_BYTES];
            if (sl_id_parse(v, id)) {
                snprintf(err, errlen, "field \"%s\" (%s) is \"%s\", must be a record id "
                         "like 0190f5c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f", f->name, f->label,
                         s_quote(v, len, quoted));
                return -1;
            }
            if (s_check_ref(f, id, lookup, ctx, err, errlen))
                return -1;
            msgpack_pack_bin_with_body(&pk, id, SL_ID_BYTES);
        } else {
            char canon[SL_MAX_NAME_BYTES + 1], label[SL_MAX_NAME_BYTES + 1];
            for (size_t c = 0; f->type == SL_F_ENUM
                               && sl_schema_choice(f, c, canon, sizeof canon, label, sizeof label); c++)
                if (strcmp(label, v) == 0) {    /* "快递员" means courier */
                    v = s_choice_ptr(f->choices, c);
                    len = strcspn(v, "|");
                    break;
                }
            if (f->type == SL_F_ENUM && !s_choice(f->choices, v, len)) {
                int used = snprintf(err, errlen, "field \"%s\" (%s) is \"%s\", must be one of:",
                                    f->name, f->label, s_quote(v, len, quoted));
                for (size_t c = 0; used > 0 && (size_t) used < errlen
                                   && sl_schema_choice(f, c, canon, sizeof canon, label, sizeof label); c++)
                    used += snprintf(err + used, errlen - (size_t) used, " %s(%s)", canon, label);
                return -1;
            }
            if (s_check_text(f, v, len, err, errlen))
                return -1;
            msgpack_pack_str_with_body(&pk, v, len);
        }
    }
    if (out->size > SL_MAX_PAYLOAD_BYTES) {
        snprintf(err, errlen, "record is %zu bytes, larger than the limit of %d",
                 out->size, SL_MAX_PAYLOAD_BYTES);
        return -1;
    }
    return 0;
}

static uint64_t s_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads one scalar at *pos (bounds-checked) into o.  -1 for anything that
 * is not a string, bin, integer, nil or bool (a record's values are flat). */
static int s_scalar(const uint8_t *b, size_t len, size_t *pos, msgpack_object *o)
{
    if (*pos >= len)
        return -2;
    uint8_t t = b[(*pos)++];
    size_t left = len - *pos, n = 0;
    int head = 0;
    memset(o, 0, sizeof *o);
    if (t <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = t;
        return 0;
    }
    if (t >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = (int8_t) t;
        return 0;
    }
    if (t >= 0xa0 && t <= 0xbf) {
        o->type = MSGPACK_OBJECT_STR;
        n = t & 0x1f;
    } else if (t == 0xc0) {
        o->type = MSGPACK_OBJECT_NIL;
        return 0;
    } else if (t == 0xc2 || t == 0xc3) {
        o->type = MSGPACK_OBJECT_BOOLEAN;
        o->via.boolean = t == 0xc3;
        return 0;
    } else if (t >= 0xcc && t <= 0xcf) {
        int w = 1 << (t - 0xcc);
        if ((size_t) w > left)
            return -2;
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = s_be(b + *pos, w);
        *pos += (size_t) w;
        return 0;
    } else if (t >= 0xd0 && t <= 0xd3) {
        int w = 1 << (t - 0xd0);
        if ((size_t) w > left)
            return -2;
        uint64_t u = s_be(b + *pos, w);
        int64_t v = w == 1 ? (int8_t) u : w == 2 ? (int16_t) u : w == 4 ? (int32_t) u : (int64_t) u;
        o->type = v < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
        if (v < 0)
            o->via.i64 = v;
        else
            o->via.u64 = (uint64_t) v;
        *pos += (size_t) w;
        return 0;
    } else if (t == 0xca || t == 0xcb) {
        size_t w = t == 0xca ? 4 : 8;      /* a float: the field check refuses it */
        if (w > left)
            return -2;
        o->type = MSGPACK_OBJECT_FLOAT64;
        *pos += w;
        return 0;
    } else if (t == 0xd9 || t == 0xda || t == 0xdb) {
        o->type = MSGPACK_OBJECT_STR;
        head = t == 0xd9 ? 1 : t == 0xda ? 2 : 4;
    } else if (t == 0xc4 || t == 0xc5 || t == 0xc6) {
        o->type = MSGPACK_OBJECT_BIN;
        head = t == 0xc4 ? 1 : t == 0xc5 ? 2 : 4;
    } else if ((t >= 0x80 && t <= 0x9f) || (t >= 0xdc && t <= 0xdf)) {
        return -1;              /* a list or a map */
    } else {
        return -2;              /* ext types, 0xc1 */
    }
    if (head) {
        if ((size_t) head > left)
            return -2;
        n = (size_t) s_be(b + *pos, head);
        *pos += (size_t) head;
        left -= (size_t) head;
    }
    if (n > left)
        return -2;
    if (o->type == MSGPACK_OBJECT_STR) {
        o->via.str.ptr = (const char *) b + *pos;
        o->via.str.size = (uint32_t) n;
    } else {
        o->via.bin.ptr = (const char *) b + *pos;
        o->via.bin.size = (uint32_t) n;
    }
    *pos += n;
    return 0;
}

/* Decodes a record: one map of at most SL_MAX_FIELDS scalar values, and
 * nothing after it. */
static int s_flat_map(const sl_rtype_t *rt, const uint8_t *b, size_t len, msgpack_object_kv *kv,
                      uint32_t *n, char *err, size_t errlen)
{
    size_t pos = 1;
    uint64_t count;
    if (len < 1) {
        snprintf(err, errlen, "record is empty");
        return -1;
    }
    if (b[0] >= 0x80 && b[0] <= 0x8f)
        count = b[0] & 0x0f;
    else if (b[0] == 0xde && len >= 3)
        count = s_be(b + 1, 2), pos = 3;
    else if (b[0] == 0xdf && len >= 5)
        count = s_be(b + 1, 4), pos = 5;
    else {
        snprintf(err, errlen, "record must be a map of fields");
        return -1;
    }
    if (count * 2 > len - pos) {
        snprintf(err, errlen, "record is not valid msgpack: its map announces %llu fields but "
                 "only %zu bytes are left", (unsigned long long) count, len - pos);
        return -1;
    }
    if (count > SL_MAX_FIELDS) {
        snprintf(err, errlen, "record has %llu fields, more than the limit of %d",
                 (unsigned long long) count, SL_MAX_FIELDS);
        return -1;
    }
    for (uint64_t i = 0; i < count; i++) {
        int rk = s_scalar(b, len, &pos, &kv[i].key), rv = rk ? 0 : s_scalar(b, len, &pos, &kv[i].val);
        if (rk == -2 || rv == -2) {
            snprintf(err, errlen, "record is not valid msgpack (field %llu is truncated or of a "
                     "type msgpack records do not use)", (unsigned long long) i);
            return -1;
        }
        if (rk || kv[i].key.type != MSGPACK_OBJECT_STR) {
            snprintf(err, errlen, "record field names must be strings");
            return -1;
        }
        if (rv) {
            const sl_field_t *f = s_field(rt, kv[i].key.via.str.ptr, kv[i].key.via.str.size);
            char quoted[QUOTE_CAP];
            if (f)
                snprintf(err, errlen, "field \"%s\" (%s) must be %s, not a list or map",
                         f->name, f->label, f->type == SL_F_INT ? "an integer"
                         : f->type == SL_F_REF ? "a 16-byte record id" : "a string");
            else
                snprintf(err, errlen, "record type %s has no field \"%s\"", rt->name,
                         s_quote(kv[i].key.via.str.ptr, kv[i].key.via.str.size, quoted));
            return -1;
        }
    }
    if (pos != len) {
        snprintf(err, errlen, "record has %zu trailing bytes", len - pos);
        return -1;
    }
    *n = (uint32_t) count;
    return 0;
}

int sl_schema_check(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                    sl_ref_lookup_fn lookup, void *ctx, char *err, size_t errlen)
{
    if (len > SL_MAX_PAYLOAD_BYTES) {
        snprintf(err, errlen, "record is %zu bytes, larger than the limit of %d",
                 len, SL_MAX_PAYLOAD_BYTES);
        return -1;
    }
    char inner[200];
    /* A flat map decoded onto the stack: this runs for every event the
     * server receives, so it allocates nothing. */
    msgpack_object_kv kv[SL_MAX_FIELDS];
    uint32_t nkv = 0;
    int rc = -1;
    (void) inner;
    /* s_flat_map checks every length against the bytes left, refuses any
     * nesting and any trailing byte: no separate structural pass needed. */
    if (s_flat_map(rt, payload, len, kv, &nkv, err, errlen))
        goto done;
    bool seen[SL_MAX_FIELDS] = { 0 };
    for (uint32_t i = 0; i < nkv; i++) {
        const msgpack_object *k = &kv[i].key, *v = &kv[i].val;
        if (k->type != MSGPACK_OBJECT_STR) {
            snprintf(err, errlen, "record field names must be strings");
            goto done;
        }
        const sl_field_t *f = s_field(rt, k->via.str.ptr, k->via.str.size);
        if (!f) {
            char quoted[QUOTE_CAP];
            snprintf(err, errlen, "record type %s has no field \"%s\"", rt->name,
                     s_quote(k->via.str.ptr, k->via.str.size, quoted));
            goto done;
        }
        size_t idx = (size_t) (f - rt->fields);
        if (seen[idx]) {
            snprintf(err, errlen, "field \"%s\" appears twice", f->name);
            goto done;
        }
        seen[idx] = true;
        switch (f->type) {
        case SL_F_INT:
            if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                if (v->via.u64 > INT64_MAX) {
                    snprintf(err, errlen, "field \"%s\" (%s) is out of range", f->name, f->label);
                    goto done;
                }
                if (s_check_int(f, (int64_t) v->via.u64, err, errlen))
                    goto done;
            } else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
                if (s_check_int(f, v->via.i64, err, errlen))
                    goto done;
            } else {
                snprintf(err, errlen, "field \"%s\" (%s) must be an integer", f->name, f->label);
                goto done;
            }
            break;
        case SL_F_REF:
            if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != SL_ID_BYTES) {
                snprintf(err, errlen, "field \"%s\" (%s) must be a 16-byte record id",
                         f->name, f->label);
                goto done;
            }
            if (s_check_ref(f, (const uint8_t *) v->via.bin.ptr, lookup, ctx, err, errlen))
                goto done;
            break;
        default:
            if (v->type != MSGPACK_OBJECT_STR) {
                snprintf(err, errlen, "field \"%s\" (%s) must be a string", f->name, f->label);
                goto done;
            }
            if (s_check_text(f, v->via.str.ptr, v->via.str.size, err, errlen))
                goto done;
        }
    }
    for (size_t k = 0; k < rt->nfields; k++)
        if (rt->fields[k].required && !seen[k]) {
            snprintf(err, errlen, "field \"%s\" (%s) is required for %s (%s)",
                     rt->fields[k].name, rt->fields[k].label, rt->name, rt->label);
            goto done;
        }
    rc = 0;
done:
    return rc;
}

static void s_value_text(const msgpack_object *v, char *out, size_t cap)
{
    switch (v->type) {
    case MSGPACK_OBJECT_STR:
        snprintf(out, cap, "%.*s", (int) v->via.str.size, v->via.str.ptr);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(out, cap, "%" PRIu64, v->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(out, cap, "%" PRId64, v->via.i64);
        break;
    case MSGPACK_OBJECT_BIN:
        if (v->via.bin.size == SL_ID_BYTES) {
            char text[SL_ID_TEXT];
            sl_id_format((const uint8_t *) v->via.bin.ptr, text);
            snprintf(out, cap, "%s", text);
            break;
        }
        /* fall through */
    default:
        snprintf(out, cap, "?");
    }
}

/* Decodes a stored payload for display; returns 0 or -1. */
static int s_open(const uint8_t *payload, size_t len, msgpack_zone *zone, msgpack_object *obj)
{
    char err[160];
    msgpack_zone_init(zone, 1024);
    if (sl_mp_unpack(payload, len, zone, obj, err, sizeof err) || obj->type != MSGPACK_OBJECT_MAP) {
        msgpack_zone_destroy(zone);
        return -1;
    }
    return 0;
}

void sl_schema_render(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                      char *out, size_t cap)
{
    msgpack_zone zone;
    msgpack_object obj;
    out[0] = 0;
    if (s_open(payload, len, &zone, &obj)) {
        snprintf(out, cap, "(unreadable record)");
        return;
    }
    size_t used = 0;
    for (size_t k = 0; k < rt->nfields && used < cap; k++) {
        const msgpack_object *v = sl_mp_get(&obj, rt->fields[k].name);
        if (!v)
            continue;
        char text[SL_MAX_TEXT_BYTES + 1], name[65], label[65];
        s_value_text(v, text, sizeof text);
        for (size_t c = 0; rt->fields[k].type == SL_F_ENUM
                           && sl_schema_choice(&rt->fields[k], c, name, sizeof name, label,
                                               sizeof label); c++)
            if (strcmp(name, text) == 0) {      /* show 快递员, not courier */
                snprintf(text, sizeof text, "%s", label);
                break;
            }
        int n = snprintf(out + used, cap - used, "%s%s=%s", used ? " " : "",
                         rt->fields[k].label, text);
        if (n < 0)
            break;
        used += (size_t) n;
    }
    msgpack_zone_destroy(&zone);
}

void sl_schema_field_text(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                          const char *field, char *out, size_t cap)
{
    (void) rt;
    msgpack_zone zone;
    msgpack_object obj;
    out[0] = 0;
    if (s_open(payload, len, &zone, &obj))
        return;
    const msgpack_object *v = sl_mp_get(&obj, field);
    if (v)
        s_value_text(v, out, cap);
    msgpack_zone_destroy(&zone);
}
