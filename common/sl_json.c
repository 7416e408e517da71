/* sl_json.c: flat JSON objects (strings, integers, null), read strictly and
 * written canonically.  See sl_json.h.
 *
 * Must never read past `len`, trust a length it was not given, or accept a
 * value it could not write back the same way. */
#include "sl_json.h"
#include "sl_text.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t len, pos;
    char *arena;
    size_t used;
    char *err;
    size_t errlen;
} s_reader_t;

static int s_fail(s_reader_t *r, const char *zh, const char *en)
{
    snprintf(r->err, r->errlen, "JSON 值第 %zu 字节处%s JSON value, byte %zu: %s", r->pos + 1,
             zh, r->pos + 1, en);
    return -1;
}

static void s_ws(s_reader_t *r)
{
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t'
                               || r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
        r->pos++;
}

/* Length of the UTF-8 character starting with byte c (0: not a lead byte). */
static size_t s_utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
         : (c & 0xF8) == 0xF0 ? 4 : 0;
}

static int s_hex4(s_reader_t *r, uint32_t *out)
{
    if (r->len - r->pos < 4)
        return s_fail(r, "\\u 后须有 4 位十六进制数", "\\u needs 4 hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->s[r->pos + (size_t) i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return s_fail(r, "\\u 后须有 4 位十六进制数", "\\u needs 4 hex digits");
        v = v << 4 | (uint32_t) d;
    }
    r->pos += 4;
    *out = v;
    return 0;
}

static void s_put_cp(s_reader_t *r, uint32_t cp)
{
    char *o = r->arena + r->used;
    if (cp < 0x80) {
        o[0] = (char) cp;
        r->used += 1;
    } else if (cp < 0x800) {
        o[0] = (char) (0xC0 | cp >> 6);
        o[1] = (char) (0x80 | (cp & 0x3F));
        r->used += 2;
    } else if (cp < 0x10000) {
        o[0] = (char) (0xE0 | cp >> 12);
        o[1] = (char) (0x80 | (cp >> 6 & 0x3F));
        o[2] = (char) (0x80 | (cp & 0x3F));
        r->used += 3;
    } else {
        o[0] = (char) (0xF0 | cp >> 18);
        o[1] = (char) (0x80 | (cp >> 12 & 0x3F));
        o[2] = (char) (0x80 | (cp >> 6 & 0x3F));
        o[3] = (char) (0x80 | (cp & 0x3F));
        r->used += 4;
    }
}

/* After a \u: one code point, a surrogate pair taken whole. */
static int s_unicode_escape(s_reader_t *r)
{
    uint32_t cp;
    if (s_hex4(r, &cp))
        return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return s_fail(r, "有落单的低代理项", "a lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t lo;
        if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
            return s_fail(r, "高代理项后缺少低代理项", "a high surrogate without its low half");
        r->pos += 2;
        if (s_hex4(r, &lo))
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return s_fail(r, "高代理项后缺少低代理项", "a high surrogate without its low half");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        return s_fail(r, "不允许 \\u0000", "\\u0000 is not allowed");
    s_put_cp(r, cp);
    return 0;
}

/* A string (r->pos at its opening quote), unescaped into the arena. */
static int s_string(s_reader_t *r, const char **out, size_t *out_len)
{
    r->pos++;
    char *start = r->arena + r->used;
    for (;;) {
        if (r->pos >= r->len)
            return s_fail(r, "字符串没有结束", "the string is not closed");
        unsigned char c = (unsigned char) r->s[r->pos];
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c < 0x20)
            return s_fail(r, "字符串中有未转义的控制字符", "an unescaped control character in a string");
        if (c == '\\') {
            if (r->pos + 1 >= r->len)
                return s_fail(r, "字符串没有结束", "the string is not closed");
            char e = r->s[r->pos + 1];
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *at = e ? strchr(from, e) : NULL;
            r->pos += 2;
            if (at) {
                r->arena[r->used++] = to[at - from];
            } else if (e == 'u') {
                if (s_unicode_escape(r))
                    return -1;
            } else {
                r->pos -= 2;
                return s_fail(r, "有未知的转义", "an unknown escape");
            }
            continue;
        }
        size_t n = s_utf8_len(c);
        if (n == 0 || n > r->len - r->pos || (n > 1 && !sl_utf8_valid(r->s + r->pos, n)))
            return s_fail(r, "不是有效的 UTF-8", "not valid UTF-8");
        memcpy(r->arena + r->used, r->s + r->pos, n);
        r->used += n;
        r->pos += n;
    }
    *out_len = (size_t) (r->arena + r->used - start);
    r->arena[r->used++] = 0;
    *out = start;
    return 0;
}

static int s_int(s_reader_t *r, int64_t *out)
{
    bool neg = r->s[r->pos] == '-';
    if (neg)
        r->pos++;
    size_t first = r->pos;
    uint64_t v = 0, limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
        uint64_t d = (uint64_t) (r->s[r->pos] - '0');
        if (v > (limit - d) / 10)
            return s_fail(r, "整数超出范围", "the integer is out of range");
        v = v * 10 + d;
        r->pos++;
    }
    if (r->pos == first)
        return s_fail(r, "应为数字", "a digit was expected");
    if (r->pos - first > 1 && r->s[first] == '0') {
        r->pos = first;
        return s_fail(r, "整数不能以 0 开头", "an integer may not start with 0");
    }
    if (r->pos < r->len && (r->s[r->pos] == '.' || r->s[r->pos] == 'e' || r->s[r->pos] == 'E'))
        return s_fail(r, "只允许整数（不允许小数和指数）",
                      "only integers are allowed (no fractions or exponents)");
    *out = neg ? (int64_t) (0 - v) : (int64_t) v;
    return 0;
}

static int s_value(s_reader_t *r, sl_json_member_t *m)
{
    if (r->pos >= r->len)
        return s_fail(r, "缺少值", "a value is missing");
    char c = r->s[r->pos];
    if (c == '"') {
        m->type = SL_JSON_STRING;
        return s_string(r, &m->str, &m->str_len);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        m->type = SL_JSON_INT;
        return s_int(r, &m->num);
    }
    if (r->len - r->pos >= 4 && memcmp(r->s + r->pos, "null", 4) == 0) {
        m->type = SL_JSON_NULL;
        r->pos += 4;
        return 0;
    }
    if (c == '{' || c == '[')
        return s_fail(r, "不允许嵌套的对象或数组", "nested objects and arrays are not allowed");
    if (c == 't' || c == 'f')
        return s_fail(r, "不允许 true/false，只允许字符串、整数和 null",
                      "true and false are not allowed, only strings, integers and null");
    return s_fail(r, "应为字符串、整数或 null", "a string, an integer or null was expected");
}

static int s_object(s_reader_t *r, size_t max_members, sl_json_obj_t *out)
{
    s_ws(r);
    if (r->pos >= r->len || r->s[r->pos] != '{')
        return s_fail(r, "应为 {（一个对象）", "an object ({) was expected");
    r->pos++;
    s_ws(r);
    if (r->pos < r->len && r->s[r->pos] == '}') {
        r->pos++;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        s_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != '"')
            return s_fail(r, "应为带引号的键", "a quoted key was expected");
        if (out->n == max_members) {
            snprintf(r->err, r->errlen, "JSON 值的成员超过 %zu 个 JSON value has more than %zu "
                     "members", max_members, max_members);
            return -1;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            if (cap > max_members)
                cap = max_members;
            sl_json_member_t *grown = realloc(out->members, cap * sizeof *grown);
            if (!grown)
                return s_fail(r, "内存不足", "out of memory");
            out->members = grown;
        }
        sl_json_member_t *m = &out->members[out->n];
        memset(m, 0, sizeof *m);
        size_t klen;
        size_t at = r->pos;
        if (s_string(r, &m->key, &klen))
            return -1;
        if (sl_json_get(out, m->key)) {
            r->pos = at;
            return s_fail(r, "键重复", "a key appears twice");
        }
        s_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != ':')
            return s_fail(r, "键后应为冒号", "a colon was expected after the key");
        r->pos++;
        s_ws(r);
        if (s_value(r, m))
            return -1;
        out->n++;
        s_ws(r);
        if (r->pos < r->len && r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->pos < r->len && r->s[r->pos] == '}') {
            r->pos++;
            return 0;
        }
        return s_fail(r, "应为逗号或 }", "a comma or } was expected");
    }
}

int sl_json_parse(const char *text, size_t len, size_t max_members, sl_json_obj_t *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    /* Unescaping never lengthens a string, and each string gains one NUL:
     * twice the input is room enough for every string it can hold. */
    s_reader_t r = { .s = text, .len = text ? len : 0, .err = err, .errlen = errlen };
    r.arena = malloc(2 * r.len + 2);
    out->arena = r.arena;
    if (!r.arena) {
        snprintf(err, errlen, "内存不足 out of memory");
        return -1;
    }
    int rc = s_object(&r, max_members, out);
    if (rc == 0) {
        s_ws(&r);
        if (r.pos != r.len)
            rc = s_fail(&r, "对象后面还有多余内容", "there is more after the object");
    }
    if (rc)
        sl_json_obj_free(out);
    return rc;
}

void sl_json_obj_free(sl_json_obj_t *obj)
{
    if (!obj)
        return;
    free(obj->members);
    free(obj->arena);
    memset(obj, 0, sizeof *obj);
}

const sl_json_member_t *sl_json_get(const sl_json_obj_t *obj, const char *key)
{
    for (size_t i = 0; obj && i < obj->n; i++)
        if (strcmp(obj->members[i].key, key) == 0)
            return &obj->members[i];
    return NULL;
}

size_t sl_json_escape(const char *s, size_t len, char *out, size_t cap)
{
    size_t need = 0;
#define EMIT(p, n)                                                       \
    do {                                                                 \
        if (cap && need + (n) < cap)                                     \
            memcpy(out + need, (p), (n));                                \
        else if (cap && need < cap)                                      \
            cap = need + 1; /* stop writing: never cut a character */   \
        need += (n);                                                     \
    } while (0)
    for (size_t i = 0; s && i < len;) {
        unsigned char c = (unsigned char) s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) c;
            EMIT(esc, 2);
            i++;
        } else if (c < 0x20) {
            static const char short_form[] = "\b\f\n\r\t", letters[] = "bfnrt";
            const char *at = c ? strchr(short_form, c) : NULL;
            if (at) {
                esc[0] = '\\';
                esc[1] = letters[at - short_form];
                EMIT(esc, 2);
            } else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                EMIT(esc, 6);
            }
            i++;
        } else {
            size_t n = s_utf8_len(c);
            if (n == 0 || n > len - i || (n > 1 && !sl_utf8_valid(s + i, n))) {
                EMIT("\\ufffd", 6);
                i++;
            } else {
                EMIT(s + i, n);
                i += n;
            }
        }
    }
#undef EMIT
    if (cap)
        out[need < cap ? need : cap - 1] = 0;
    return need;
}

/* Room for n more bytes and a NUL; false (and remembered) without memory. */
static bool s_reserve(sl_json_writer_t *w, size_t n)
{
    if (w->failed)
        return false;
    if (w->len + n + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < w->len + n + 1)
        cap *= 2;
    char *grown = realloc(w->buf, cap);
    if (!grown) {
        w->failed = true;
        return false;
    }
    w->buf = grown;
    w->cap = cap;
    return true;
}

static void s_append(sl_json_writer_t *w, const char *p, size_t n)
{
    if (!s_reserve(w, n))
        return;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    w->buf[w->len] = 0;
}

static void s_append_escaped(sl_json_writer_t *w, const char *s, size_t len)
{
    size_t need = sl_json_escape(s, len, NULL, 0);
    if (!s_reserve(w, need + 2))
        return;
    w->buf[w->len++] = '"';
    sl_json_escape(s, len, w->buf + w->len, need + 1);
    w->len += need;
    w->buf[w->len++] = '"';
    w->buf[w->len] = 0;
}

static void s_key(sl_json_writer_t *w, const char *key)
{
    if (w->n++)
        s_append(w, ",", 1);
    s_append_escaped(w, key, strlen(key));
    s_append(w, ":", 1);
}

void sl_json_begin(sl_json_writer_t *w)
{
    memset(w, 0, sizeof *w);
    s_append(w, "{", 1);
}

void sl_json_add_str(sl_json_writer_t *w, const char *key, const char *value, size_t len)
{
    s_key(w, key);
    s_append_escaped(w, value, len);
}

void sl_json_add_int(sl_json_writer_t *w, const char *key, int64_t value)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%lld", (long long) value);
    s_key(w, key);
    s_append(w, num, (size_t) n);
}

void sl_json_add_null(sl_json_writer_t *w, const char *key)
{
    s_key(w, key);
    s_append(w, "null", 4);
}

char *sl_json_end(sl_json_writer_t *w, size_t *len_out)
{
    s_append(w, "}", 1);
    if (w->failed) {
        free(w->buf);
        memset(w, 0, sizeof *w);
        return NULL;
    }
    char *text = w->buf;
    if (len_out)
        *len_out = w->len;
    memset(w, 0, sizeof *w);
    return text;
}
