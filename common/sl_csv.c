/* sl_csv.c: the CSV reader of sl_csv.h (RFC 4180), one byte at a time from
 * a FILE* or a buffer.  Must never write past the caller's buffer, nor read
 * past the end of a memory buffer. */
#include "sl_csv.h"
#include <stdbool.h>
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
};

static sl_csv_t *s_new(FILE *f, const char *data, size_t len)
{
    sl_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->f = f;
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
        snprintf(err, errlen, "第 %ld 行：没有存放的空间 line %ld: no room for the row",
                 self->start, self->start);
        return -1;
    }
    fields[n++] = buf;
    bool quoted = false;
    for (;; c = s_get(self)) {
        if (c == EOF && quoted) {
            snprintf(err, errlen, "第 %ld 行：引号不成对 line %ld: a quoted field is not closed",
                     self->start, self->start);
            return -1;
        }
        if (!quoted && (c == EOF || c == '\n'))
            break;
        if (c == 0) {
            /* A C string would end here and the rest of the cell would be
             * dropped in silence: refuse the file instead. */
            snprintf(err, errlen, "第 %ld 行第 %zu 列含有 NUL 字节，文件是 UTF-16 吗？请另存为 CSV "
                     "UTF-8 line %ld, field %zu: contains a NUL byte (0x00); is the file UTF-16? "
                     "save it as CSV UTF-8", self->line, n, self->line, n);
            return -1;
        }
        if (!quoted && c == '\r')
            continue;
        if (c == '"') {
            if (!quoted && used > 0 && buf[used - 1] != 0) {
                snprintf(err, errlen, "第 %ld 行：未加引号的字段中有引号 line %ld: a quote "
                         "inside an unquoted field", self->line, self->line);
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
        } else if (c == ',' && !quoted) {
            if (used + 1 >= cap || n >= max) {
                snprintf(err, errlen, "第 %ld 行：超过 %zu 列 line %ld: more than %zu fields",
                         self->line, max, self->line, max);
                return -1;
            }
            buf[used++] = 0;
            fields[n++] = buf + used;
            continue;
        }
        if (c == '\n')
            self->line++;
        if (used + 1 >= cap) {
            snprintf(err, errlen, "第 %ld 行：一行超过 %zu 字节 line %ld: row longer than %zu "
                     "bytes", self->line, cap, self->line, cap);
            return -1;
        }
        buf[used++] = (char) c;
    }
    buf[used] = 0;
    return (int) n;
}
