/* sl_lang.c: the reader's language, and dual texts rendered for it (see
 * sl_lang.h).
 *
 * A dual text is plain text with pairs in it: OPEN chinese MID english
 * CLOSE, where MID carries the one space a reader of the raw text sees
 * between the two.  Pairs nest (a dual argument formatted into a pair):
 * inside the Chinese of a pair only Chinese is shown, inside its English
 * only English, so "导入失败：第 3 行…" never carries English in its middle.
 * A cut text (the wire's limits) may end inside a pair: what is there is
 * shown, an unmatched mark is dropped. */
#include "sl_lang.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static sl_lang_t s_reader = SL_LANG_ZH;     /* who reads this process's terminal and logs */
static sl_lang_t s_process = SL_LANG_ZH;    /* what the process writes: s_reader, or dual */
static _Thread_local int s_thread = -1;

sl_lang_t sl_lang_from_env(const char *lc_all, const char *lc_messages, const char *lang)
{
    const char *v = lc_all && *lc_all ? lc_all : lc_messages && *lc_messages ? lc_messages : lang;
    return v && v[0] == 'e' && v[1] == 'n' && (v[2] == 0 || v[2] == '_' || v[2] == '-'
                                                 || v[2] == '.' || v[2] == '@')
           ? SL_LANG_EN : SL_LANG_ZH;
}

/* "zh", "en", also "zh_CN.UTF-8", "en-GB" …; -1 when neither. */
static int s_lang_word(const char *v)
{
    bool zh = strncmp(v, "zh", 2) == 0, en = strncmp(v, "en", 2) == 0;
    if ((!zh && !en) || (v[2] && v[2] != '_' && v[2] != '-' && v[2] != '.'))
        return -1;
    return zh ? SL_LANG_ZH : SL_LANG_EN;
}

int sl_lang_init(int *argc, char **argv)
{
    s_reader = sl_lang_from_env(getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG"));
    int w = 1, rc = 0;
    bool done = false;
    for (int i = 1; i < *argc; i++) {
        const char *word = argv[i], *value = NULL;
        if (!done && strcmp(word, "--") == 0)
            done = true;
        if (!done && strcmp(word, "--lang") == 0) {
            value = i + 1 < *argc ? argv[++i] : "";
        } else if (!done && strncmp(word, "--lang=", 7) == 0) {
            value = word + 7;
        } else {
            argv[w++] = argv[i];
            continue;
        }
        int lang = s_lang_word(value);
        if (lang < 0 && rc == 0) {
            fprintf(stderr, "%s: ", argv[0]);
            sl_tprintf(stderr, "--lang \"%s\" 须为 zh（中文在前、英文在后）或 en（只用英文）\n",
                       "--lang \"%s\" must be zh (Chinese first, then English) or en "
                       "(English only)\n", value);
            rc = -1;
        } else if (lang >= 0) {
            s_reader = (sl_lang_t) lang;
        }
    }
    s_process = s_reader;
    argv[w] = NULL;
    *argc = w;
    return rc;
}

sl_lang_t sl_lang_reader(void) { return s_reader; }

void sl_lang_set(sl_lang_t lang)
{
    if (lang == SL_LANG_ZH || lang == SL_LANG_EN)
        s_reader = lang;
    s_process = lang == SL_LANG_PROCESS ? s_reader : lang;
}
sl_lang_t sl_lang(void) { return s_thread >= 0 ? (sl_lang_t) s_thread : s_process; }

sl_lang_t sl_lang_use(sl_lang_t lang)
{
    sl_lang_t was = (sl_lang_t) s_thread;
    s_thread = (int) lang;
    return was;
}

int sl_lang_is_dual(const char *text)
{
    return text && strstr(text, SL_DUAL_OPEN) != NULL;
}

/* ---- rendering ----------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf_t;

static void s_put(sbuf_t *b, const char *s, size_t n)
{
    if (b->failed || n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

enum { MARK_NONE, MARK_OPEN, MARK_MID, MARK_CLOSE, MARK_EITHER };

/* The mark at p (3 bytes), or MARK_NONE. */
static int s_mark(const char *p, const char *end)
{
    if (end - p < 3 || (unsigned char) p[0] != 0xE2 || (unsigned char) p[1] != 0x81)
        return MARK_NONE;
    switch ((unsigned char) p[2]) {
    case 0xA1: return MARK_OPEN;
    case 0xA2: return MARK_MID;
    case 0xA3: return MARK_CLOSE;
    case 0xA4: return MARK_EITHER;
    default: return MARK_NONE;
    }
}

/* How a stretch is shown: both (at the top), or one language only. */
typedef enum { SHOW_BOTH, SHOW_ZH, SHOW_EN } show_t;

static void s_render(const char *p, const char *end, show_t show, sbuf_t *out);

/* Line i of both texts side by side when they have as many lines; else the
 * whole Chinese, a space, the whole English.  A final line break of either
 * ends the pair; the English of a line loses its indentation (the Chinese
 * keeps it). */
static void s_join(const char *zh, size_t zn, const char *en, size_t en_len, sbuf_t *out)
{
    bool nl = false;
    if (zn && zh[zn - 1] == '\n')
        zn--, nl = true;
    if (en_len && en[en_len - 1] == '\n')
        en_len--, nl = true;
    size_t zl = 1, el = 1;
    for (size_t i = 0; i < zn; i++)
        zl += zh[i] == '\n';
    for (size_t i = 0; i < en_len; i++)
        el += en[i] == '\n';
    const char *z = zh, *zend = zh + zn, *e = en, *eend = en + en_len;
    bool paired = zl == el;
    while (z <= zend || e <= eend) {
        const char *zl_end = paired ? memchr(z, '\n', (size_t) (zend - z)) : NULL;
        const char *el_end = paired ? memchr(e, '\n', (size_t) (eend - e)) : NULL;
        if (!zl_end)
            zl_end = zend;
        if (!el_end)
            el_end = eend;
        const char *es = e;
        while (es < el_end && (*es == ' ' || *es == '\t'))
            es++;
        const char *ze = zl_end;
        while (ze > z && ze[-1] == ' ')
            ze--;
        if (ze > z) {
            s_put(out, z, (size_t) (ze - z));
            if (es < el_end) {
                s_put(out, " ", 1);
                s_put(out, es, (size_t) (el_end - es));
            }
        } else {
            s_put(out, e, (size_t) (el_end - e));
        }
        if (zl_end >= zend && el_end >= eend)
            break;
        s_put(out, "\n", 1);
        z = zl_end + 1;
        e = el_end + 1;
    }
    if (nl)
        s_put(out, "\n", 1);
}

/* One pair: p is just past its OPEN; returns where the text goes on. */
static const char *s_pair(const char *p, const char *end, show_t show, sbuf_t *out)
{
    const char *mid = NULL, *close = NULL, *q = p;
    int depth = 0;
    bool either = false;                        /* EITHER in place of MID: never both */
    while (q < end && !close) {
        int m = s_mark(q, end);
        if (m == MARK_OPEN)
            depth++;
        else if (m == MARK_CLOSE && depth == 0)
            close = q;
        else if (m == MARK_CLOSE)
            depth--;
        else if ((m == MARK_MID || m == MARK_EITHER) && depth == 0 && !mid) {
            mid = q;
            either = m == MARK_EITHER;
        }
        q += m ? 3 : 1;
    }
    const char *stop = close ? close : end;
    const char *zh_end = mid ? mid : stop, *en = mid ? mid + 3 : stop;
    if (zh_end > p && zh_end[-1] == ' ' && !either)
        zh_end--;                               /* the space SL_DUAL_MID brought */
    if (show == SHOW_ZH || (show == SHOW_BOTH && either)) {
        s_render(p, zh_end, SHOW_ZH, out);
    } else if (show == SHOW_EN) {
        s_render(en, stop, SHOW_EN, out);
    } else {
        sbuf_t z = { 0 }, e = { 0 };
        s_render(p, zh_end, SHOW_ZH, &z);
        s_render(en, stop, SHOW_EN, &e);
        if (z.failed || e.failed)
            out->failed = true;
        s_join(z.p ? z.p : "", z.len, e.p ? e.p : "", e.len, out);
        free(z.p);
        free(e.p);
    }
    return close ? close + 3 : end;
}

static void s_render(const char *p, const char *end, show_t show, sbuf_t *out)
{
    const char *plain = p;
    while (p < end) {
        int m = s_mark(p, end);
        if (m == MARK_NONE) {
            p++;
            continue;
        }
        s_put(out, plain, (size_t) (p - plain));
        p = m == MARK_OPEN ? s_pair(p + 3, end, show, out) : p + 3;   /* a stray mark: dropped */
        plain = p;
    }
    s_put(out, plain, (size_t) (p - plain));
}

/* Copies at most cap - 1 bytes of s, cut at a character boundary. */
static size_t s_copy(const char *s, size_t n, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = 0;
    return n;
}

size_t sl_lang_render_as(sl_lang_t lang, const char *text, size_t len, char *out, size_t cap)
{
    if (lang == SL_LANG_DUAL || !memchr(text, 0xE2, len))
        return s_copy(text, len, out, cap);
    sbuf_t b = { 0 };
    s_render(text, text + len, lang == SL_LANG_EN ? SHOW_EN : SHOW_BOTH, &b);
    size_t n = b.failed ? s_copy(text, len, out, cap) : s_copy(b.p ? b.p : "", b.len, out, cap);
    free(b.p);
    return n;
}

char *sl_lang_rendered(const char *text)
{
    size_t len = strlen(text);
    if (!memchr(text, 0xE2, len))
        return strdup(text);
    sbuf_t b = { 0 };
    s_render(text, text + len, sl_lang_reader() == SL_LANG_EN ? SHOW_EN : SHOW_BOTH, &b);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p ? b.p : strdup("");
}

/* ---- SL_T ------------------------------------------------------------------------------ */

/* Texts of several lines, paired once (a literal's address is its key). */
typedef struct {
    const char *dual;
    char *both;
} paired_t;
static paired_t *s_paired;
static size_t s_npaired, s_cap_paired;
static pthread_mutex_t s_paired_lock = PTHREAD_MUTEX_INITIALIZER;

const char *sl_lang_pick(const char *both, const char *en, const char *dual)
{
    sl_lang_t lang = sl_lang();
    if (lang == SL_LANG_EN)
        return en;
    if (lang == SL_LANG_DUAL)
        return dual;
    if (!strchr(en, '\n'))
        return both;
    const char *found = NULL;
    pthread_mutex_lock(&s_paired_lock);
    for (size_t i = 0; i < s_npaired && !found; i++)
        if (s_paired[i].dual == dual)
            found = s_paired[i].both;
    if (!found && s_npaired == s_cap_paired) {
        size_t cap = s_cap_paired ? s_cap_paired * 2 : 32;
        paired_t *grown = realloc(s_paired, cap * sizeof *grown);
        if (grown) {
            s_paired = grown;
            s_cap_paired = cap;
        }
    }
    if (!found && s_npaired < s_cap_paired) {
        sbuf_t b = { 0 };
        s_render(dual, dual + strlen(dual), SHOW_BOTH, &b);
        if (!b.failed && b.p) {
            s_paired[s_npaired].dual = dual;
            s_paired[s_npaired++].both = b.p;
            found = b.p;
        } else {
            free(b.p);
        }
    }
    pthread_mutex_unlock(&s_paired_lock);
    return found ? found : both;
}

/* ---- formatting ------------------------------------------------------------------------ */

/* The pair formatted as one dual text (malloc'd), or NULL without memory.
 * Two identical formats ("%s", "%s": a text passed on, dual or not) are
 * no pair: the text is formatted once, as it is. */
static char *s_vdual(const char *zh, const char *en, va_list ap)
{
    if (strcmp(zh, en) == 0) {
        va_list a1;
        va_copy(a1, ap);
        int n = vsnprintf(NULL, 0, zh, a1);
        va_end(a1);
        char *out = n >= 0 ? malloc((size_t) n + 1) : NULL;
        if (out)
            vsnprintf(out, (size_t) n + 1, zh, ap);
        return out;
    }
    va_list a1, a2, a3;
    va_copy(a1, ap);
    va_copy(a2, ap);
    va_copy(a3, ap);
    int nz = vsnprintf(NULL, 0, zh, a1);
    int ne = vsnprintf(NULL, 0, en, a2);
    va_end(a1);
    va_end(a2);
    char *out = NULL;
    if (nz >= 0 && ne >= 0) {
        size_t o = strlen(SL_DUAL_OPEN), m = strlen(SL_DUAL_MID), c = strlen(SL_DUAL_CLOSE);
        size_t total = o + (size_t) nz + m + (size_t) ne + c;
        out = malloc(total + 1);
        if (out) {
            memcpy(out, SL_DUAL_OPEN, o);
            vsnprintf(out + o, (size_t) nz + 1, zh, a3);
            memcpy(out + o + (size_t) nz, SL_DUAL_MID, m);
            vsnprintf(out + o + (size_t) nz + m, (size_t) ne + 1, en, ap);
            memcpy(out + total - c, SL_DUAL_CLOSE, c + 1);
        }
    }
    va_end(a3);
    return out;
}

size_t sl_vtf(char *buf, size_t cap, const char *zh, const char *en, va_list ap)
{
    char *dual = s_vdual(zh, en, ap);
    if (!dual)
        return s_copy("?", 1, buf, cap);
    size_t n = sl_lang_render_as(sl_lang(), dual, strlen(dual), buf, cap);
    free(dual);
    return n;
}

size_t sl_tf(char *buf, size_t cap, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    size_t n = sl_vtf(buf, cap, zh, en, ap);
    va_end(ap);
    return n;
}

const char *sl_lang_either(const char *zh, const char *en)
{
    return sl_lang() == SL_LANG_EN || !zh || !*zh ? en : zh;
}

size_t sl_dpair(char *buf, size_t cap, const char *zh, const char *en)
{
    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    size_t n = sl_tpair(buf, cap, zh, en);
    sl_lang_use(was);
    return n;
}

size_t sl_epair(char *buf, size_t cap, const char *zh, const char *en)
{
    int n = snprintf(buf, cap, SL_DUAL_OPEN "%s" SL_DUAL_EITHER "%s" SL_DUAL_CLOSE, zh, en);
    if (n < 0 || cap == 0)
        return 0;
    size_t len = (size_t) n;
    if (len >= cap) {                           /* cut at a character (an unmatched mark is dropped) */
        len = cap - 1;
        while (len > 0 && ((unsigned char) buf[len] & 0xC0) == 0x80)
            len--;
        buf[len] = 0;
    }
    return len;
}

size_t sl_df(char *buf, size_t cap, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    size_t n = sl_vtf(buf, cap, zh, en, ap);
    sl_lang_use(was);
    va_end(ap);
    return n;
}

size_t sl_tpair(char *buf, size_t cap, const char *zh, const char *en)
{
    size_t nz = strlen(zh), ne = strlen(en);
    size_t o = strlen(SL_DUAL_OPEN), m = strlen(SL_DUAL_MID), c = strlen(SL_DUAL_CLOSE);
    char *dual = malloc(o + nz + m + ne + c + 1);
    if (!dual)
        return s_copy("?", 1, buf, cap);
    memcpy(dual, SL_DUAL_OPEN, o);
    memcpy(dual + o, zh, nz);
    memcpy(dual + o + nz, SL_DUAL_MID, m);
    memcpy(dual + o + nz + m, en, ne);
    memcpy(dual + o + nz + m + ne, SL_DUAL_CLOSE, c + 1);
    size_t n = sl_lang_render_as(sl_lang(), dual, o + nz + m + ne + c, buf, cap);
    free(dual);
    return n;
}

void sl_lang_fputs(const char *text, FILE *out)
{
    char *shown = sl_lang_rendered(text);
    fputs(shown ? shown : text, out);
    free(shown);
}

void sl_vtprintf(FILE *out, const char *zh, const char *en, va_list ap)
{
    char *dual = s_vdual(zh, en, ap);
    if (dual)
        sl_lang_fputs(dual, out);
    free(dual);
}

void sl_tprintf(FILE *out, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtprintf(out, zh, en, ap);
    va_end(ap);
}

void sl_lang_fprintf(FILE *out, const char *fmt, ...)
{
    va_list ap, a2;
    va_start(ap, fmt);
    va_copy(a2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *text = n >= 0 ? malloc((size_t) n + 1) : NULL;
    if (text) {
        vsnprintf(text, (size_t) n + 1, fmt, a2);
        sl_lang_fputs(text, out);
        free(text);
    }
    va_end(a2);
    va_end(ap);
}
