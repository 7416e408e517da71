/* sl_csv.c: the CSV reader of sl_csv.h (RFC 4180), one byte at a time from
 * a FILE* or a buffer; the decoding of spreadsheet files to UTF-8; the CSV
 * writer.  Must never write past the caller's buffer, nor read past the end
 * of a memory buffer, nor give text it has not checked as UTF-8. */
#include "sl_csv.h"
#include "sl_lang.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sl_csv {
    FILE *f;
    const unsigned char *data;
    size_t len, pos;
    int back[4];                /* bytes pushed back, last one on top */
    int nback;
    long line;                  /* lines begun so far */
    long start;                 /* line on which the last record begins */
    bool bom_checked;
    char sep;                   /* ',' or '\t' */
};

static sl_csv_t *s_new(FILE *f, const char *data, size_t len)
{
    sl_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->f = f;
    self->sep = ',';
    self->data = (const unsigned char *) data;
    self->len = data ? len : 0;
    return self;
}

sl_csv_t *sl_csv_from_file(FILE *f) { return s_new(f, NULL, 0); }
sl_csv_t *sl_csv_from_buffer(const char *data, size_t len) { return s_new(NULL, data, len); }

void sl_csv_destroy(sl_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

long sl_csv_line(const sl_csv_t *self) { return self->start; }
void sl_csv_set_separator(sl_csv_t *self, char sep) { self->sep = sep; }

static int s_get(sl_csv_t *self)
{
    if (self->nback)
        return self->back[--self->nback];
    if (self->f)
        return fgetc(self->f);
    return self->pos < self->len ? self->data[self->pos++] : EOF;
}

static void s_unget(sl_csv_t *self, int c)
{
    if (c != EOF && self->nback < 4)
        self->back[self->nback++] = c;
}

/* A UTF-8 byte-order mark (spreadsheets write one) is not part of the
 * first heading: skip it, or give back what was read. */
static void s_skip_bom(sl_csv_t *self)
{
    static const int bom[3] = { 0xEF, 0xBB, 0xBF };
    int got[3], n = 0;
    self->bom_checked = true;
    while (n < 3 && (got[n] = s_get(self)) == bom[n])
        n++;
    if (n == 3)
        return;
    s_unget(self, got[n]);
    while (n > 0)
        s_unget(self, got[--n]);
}

int sl_csv_row(sl_csv_t *self, char **fields, size_t max, char *buf, size_t cap,
               char *err, size_t errlen)
{
    if (!self->bom_checked)
        s_skip_bom(self);
    size_t n = 0, used = 0;
    int c = s_get(self);
    if (c == EOF)
        return 0;
    self->start = ++self->line;
    if (max == 0 || cap == 0) {
        sl_tf(err, errlen, "第 %ld 行：没有存放的空间", "line %ld: no room for the row",
              self->start);
        return -1;
    }
    fields[n++] = buf;
    bool quoted = false;
    for (;; c = s_get(self)) {
        if (c == EOF && quoted) {
            sl_tf(err, errlen, "第 %ld 行：引号不成对", "line %ld: a quoted field is not closed",
                  self->start);
            return -1;
        }
        if (!quoted && (c == EOF || c == '\n'))
            break;
        if (c == 0) {
            /* A C string would end here and the rest of the cell would be
             * dropped in silence: refuse the file instead. */
            sl_tf(err, errlen, "第 %ld 行第 %zu 列含有 NUL 字节，文件是 UTF-16 吗？请另存为 CSV UTF-8",
                  "line %ld, field %zu: contains a NUL byte (0x00); is the file UTF-16? save it "
                  "as CSV UTF-8", self->line, n);
            return -1;
        }
        if (!quoted && c == '\r')
            continue;
        if (c == '"') {
            if (!quoted && used > 0 && buf[used - 1] != 0) {
                sl_tf(err, errlen, "第 %ld 行：未加引号的字段中有引号",
                      "line %ld: a quote inside an unquoted field", self->line);
                return -1;
            }
            if (quoted) {
                int d = s_get(self);
                if (d == '"') {
                    c = '"';
                } else {
                    s_unget(self, d);
                    quoted = false;
                    continue;
                }
            } else {
                quoted = true;
                continue;
            }
        } else if (c == self->sep && !quoted) {
            if (used + 1 >= cap || n >= max) {
                sl_tf(err, errlen, "第 %ld 行：超过 %zu 列", "line %ld: more than %zu fields",
                      self->line, max);
                return -1;
            }
            buf[used++] = 0;
            fields[n++] = buf + used;
            continue;
        }
        if (c == '\n')
            self->line++;
        if (used + 1 >= cap) {
            sl_tf(err, errlen, "第 %ld 行：一行超过 %zu 字节", "line %ld: row longer than %zu bytes",
                  self->line, cap);

            return -1;
        }
        buf[used++] = (char) c;
    }
    buf[used] = 0;
    return (int) n;
}

/* ---- decoding ----------------------------------------------------------------------- */

/* The length of the well-formed UTF-8 character at p (NUL and controls
 * included: the reader judges those), or 0. */
static size_t s_utf8_len(const unsigned char *p, size_t left)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    uint32_t cp = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Scans UTF-8: the offset of the first malformed byte (len when none) and
 * the number of well-formed three-byte characters (Chinese text in UTF-8)
 * and of malformed bytes in the whole buffer. */
static size_t s_utf8_scan(const unsigned char *p, size_t len, size_t *chinese, size_t *bad)
{
    size_t first = len;
    *chinese = *bad = 0;
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_len(p + i, len - i);
        if (n == 0) {
            if (first == len)
                first = i;
            (*bad)++;
            i++;
            continue;
        }
        *chinese += n == 3;
        i += n;
    }
    return first;
}

static long s_line_at(const unsigned char *p, size_t offset)
{
    long line = 1;
    for (size_t i = 0; i < offset; i++)
        line += p[i] == '\n';
    return line;
}

/* The line of a UTF-16 offset: line breaks are 16-bit units (a byte 0x0A
 * is also half of 上, U+4E0A). */
static long s_line_at16(const unsigned char *p, size_t offset, bool little)
{
    long line = 1;
    for (size_t i = 0; i + 1 < offset; i += 2)
        line += (little ? p[i] == '\n' && p[i + 1] == 0 : p[i] == 0 && p[i + 1] == '\n');
    return line;
}

/* Converts with iconv: 0, or -1 with the offset of the input that failed. */
static int s_iconv(const char *from, const char *data, size_t len, char **out, size_t *outlen,
                   size_t *fail_at)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t) -1) {
        *fail_at = 0;
        return -1;
    }
    size_t cap = len * 2 + 16;          /* GBK 2 -> UTF-8 3, UTF-16 2 -> 3 at most */
    char *buf = malloc(cap + 1);
    char *in = (char *) data, *o = buf;
    size_t inleft = len, outleft = cap;
    int rc = buf ? 0 : -1;
    if (rc == 0 && iconv(cd, &in, &inleft, &o, &outleft) == (size_t) -1)
        rc = -1;
    if (rc == 0 && iconv(cd, NULL, NULL, &o, &outleft) == (size_t) -1)
        rc = -1;
    iconv_close(cd);
    *fail_at = (size_t) (in - data);
    if (rc) {
        free(buf);
        return -1;
    }
    *outlen = (size_t) (o - buf);
    buf[*outlen] = 0;
    *out = buf;
    return 0;
}

/* Whether GB18030 bytes use its four-byte characters (outside GBK). */
static bool s_gb18030_four(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (p[i] < 0x81)
            continue;
        if (p[i + 1] >= 0x30 && p[i + 1] <= 0x39 && p[i + 2] >= 0x81 && p[i + 3] >= 0x30
            && p[i + 3] <= 0x39)
            return true;
        i++;                            /* a two-byte character */
    }
    return false;
}

/* How many NUL bytes stand at even and at odd offsets. */
static void s_nuls(const unsigned char *p, size_t len, size_t *even, size_t *odd)
{
    *even = *odd = 0;
    for (size_t i = 0; i < len; i++)
        if (p[i] == 0)
            (i % 2 ? (*odd)++ : (*even)++);
}

static const char s_save_as[] = SL_D("请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”",
                                     "save it from Excel as \"CSV UTF-8 (Comma delimited)\"");

int sl_csv_decode(const char *data, size_t len, char **out, size_t *outlen, char *encoding,
                  size_t enccap, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *) data;
    const char *from = NULL, *name = NULL;
    size_t skip = 0;
    *out = NULL;
    snprintf(encoding, enccap, "%s", "");
    if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) {
        sl_tf(err, errlen, "这是 Excel 工作簿（.xlsx），不是 CSV 文件；%s",
              "this is an Excel workbook (.xlsx), not a CSV file; %s", s_save_as);
        return -1;
    }
    if (len >= 8 && memcmp(p, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0) {
        sl_tf(err, errlen, "这是 Excel 97-2003 工作簿（.xls），不是 CSV 文件；%s",
              "this is an Excel 97-2003 workbook (.xls), not a CSV file; %s", s_save_as);
        return -1;
    }
    if (len >= 4 && (memcmp(p, "\xFF\xFE\0\0", 4) == 0 || memcmp(p, "\0\0\xFE\xFF", 4) == 0)) {
        sl_tf(err, errlen, "这个文件是 UTF-32 编码；%s", "this file is UTF-32; %s", s_save_as);
        return -1;
    }
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        name = "UTF-8 (BOM)";
        skip = 3;
    } else if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        from = "UTF-16LE";
        name = "UTF-16LE";
        skip = 2;
    } else if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        from = "UTF-16BE";
        name = "UTF-16BE";
        skip = 2;
    } else {
        /* No mark.  UTF-16 has a NUL in every ASCII character's other
         * byte (commas, line breaks, digits); one stray NUL in a UTF-8
         * file is the reader's to refuse, naming its cell. */
        size_t even, odd;
        s_nuls(p, len, &even, &odd);
        if (odd >= 2 && even == 0 && odd * 8 >= len)
            from = "UTF-16LE", name = "UTF-16LE " SL_D("（无 BOM）", "(no BOM)");
        else if (even >= 2 && odd == 0 && even * 8 >= len)
            from = "UTF-16BE", name = "UTF-16BE " SL_D("（无 BOM）", "(no BOM)");
    }
    if (from) {
        size_t fail_at = len - skip;
        if ((len - skip) % 2 != 0 || s_iconv(from, data + skip, len - skip, out, outlen, &fail_at)) {
            long line = s_line_at16(p + skip, fail_at, from[6] == 'L');
            sl_tf(err, errlen, "这个文件是 %s 编码，但第 %ld 行有无法读取的字符（文件不完整或已损坏）",
                  "this file is %s, but line %ld holds a character that cannot be read (the file "
                  "is cut short or damaged)", name, line);
            return -1;
        }
        snprintf(encoding, enccap, "%s", name);
        return 0;
    }
    size_t chinese, bad, first = s_utf8_scan(p + skip, len - skip, &chinese, &bad);
    if (first == len - skip) {
        *out = malloc(len - skip + 1);
        if (!*out) {
            sl_tf(err, errlen, "内存不足", "out of memory");
            return -1;
        }
        memcpy(*out, data + skip, len - skip);
        (*out)[len - skip] = 0;
        *outlen = len - skip;
        snprintf(encoding, enccap, "%s", name ? name : "UTF-8");
        return 0;
    }
    long line = s_line_at(p + skip, first);
    if (name || chinese >= 2 * bad) {
        /* Marked as UTF-8, or mostly UTF-8: a line from somewhere else. */
        sl_tf(err, errlen, "这个文件是 UTF-8 编码，但第 %ld 行不是（字节 0x%02X；这一行可能是从 GBK 文件粘贴来的），"
              "请改正这一行", "this file is UTF-8, but line %ld is not (byte 0x%02X; was it pasted "
              "from a GBK file?): fix that line", line, p[skip + first]);
        return -1;
    }
    size_t fail_at;
    if (s_iconv("GB18030", data, len, out, outlen, &fail_at) == 0) {
        snprintf(encoding, enccap, "%s", s_gb18030_four(p, len) ? "GB18030" : "GBK");
        return 0;
    }
    line = s_line_at(p, fail_at);
    sl_tf(err, errlen, "这个文件既不是 UTF-8 也不是 GBK/GB18030 编码（第 %ld 行，字节 0x%02X）；%s",
          "this file is neither UTF-8 nor GBK/GB18030 (line %ld, byte 0x%02X); %s", line,
          fail_at < len ? p[fail_at] : 0, s_save_as);
    return -1;
}

char sl_csv_guess_separator(const char *data, size_t len)
{
    size_t tabs = 0, commas = 0;
    bool quoted = false;
    for (size_t i = 0; i < len && (quoted || (data[i] != '\n' && data[i] != '\r')); i++) {
        if (data[i] == '"')
            quoted = !quoted;
        else if (!quoted && data[i] == '\t')
            tabs++;
        else if (!quoted && data[i] == ',')
            commas++;
    }
    return tabs > commas ? '\t' : ',';
}

int sl_csv_slurp(FILE *f, size_t max, char **out, size_t *outlen, char *err, size_t errlen)
{
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap + 1);
    *out = NULL;
    while (buf && used <= max) {
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0)
            break;
        if (used == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf || used > max || ferror(f)) {
        if (!buf)
            sl_tf(err, errlen, "内存不足", "out of memory");
        else if (used > max)
            sl_tf(err, errlen, "文件超过 %zu 字节，请分成几个文件", "the file is larger than %zu "
                  "bytes: split it", max);
        else
            sl_tf(err, errlen, "无法读取文件：%s", "cannot read the file: %s", strerror(errno));

        free(buf);
        return -1;
    }
    buf[used] = 0;
    *out = buf;
    *outlen = used;
    return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

int sl_csv_write_row(FILE *out, const char *const *cells, size_t n, char sep)
{
    for (size_t i = 0; i < n; i++) {
        const char *c = cells[i] ? cells[i] : "";
        size_t len = strlen(c);
        bool quote = strchr(c, sep) || strchr(c, '"') || strchr(c, '\n') || strchr(c, '\r')
                     || (len && (c[0] == ' ' || c[len - 1] == ' '));
        if (i && fputc(sep, out) == EOF)
            return -1;
        if (!quote) {
            if (fputs(c, out) == EOF && len)
                return -1;
            continue;
        }
        fputc('"', out);
        for (; *c; c++) {
            if (*c == '"')
                fputc('"', out);
            fputc(*c, out);
        }
        fputc('"', out);
    }
    return fputs("\r\n", out) == EOF || ferror(out) ? -1 : 0;
}
