/* sl_text.c: UTF-8 validation, East Asian display width, and table output
 * (a cell holding both languages, sl_lang.h, is shown in the reader's). */
#include "sl_text.h"
#include "sl_lang.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one code point; returns its byte length or 0 when malformed. */
static size_t s_decode(const unsigned char *p, size_t left, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t n;
    uint32_t min;
    if ((p[0] & 0xE0) == 0xC0) { n = 2; min = 0x80; *cp = p[0] & 0x1F; }
    else if ((p[0] & 0xF0) == 0xE0) { n = 3; min = 0x800; *cp = p[0] & 0x0F; }
    else if ((p[0] & 0xF8) == 0xF0) { n = 4; min = 0x10000; *cp = p[0] & 0x07; }
    else return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

bool sl_utf8_valid(const char *s, size_t len)
{
    return sl_utf8_chars(s, len) >= 0;
}

size_t sl_utf8_valid_prefix(const char *s, size_t len, size_t max)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_decode(p + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7F || i + n > max)
            break;
        i += n;
    }
    return i;
}

long sl_utf8_chars(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    long count = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_decode(p + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7F)
            return -1;
        i += n;
        count++;
    }
    return count;
}

/* Wide (two-column) ranges: the CJK blocks, Hangul, full-width forms. */
static bool s_is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E)
        || (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF)
        || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60)
        || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF)
        || (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t sl_display_width(const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t len = strlen(s), i = 0, width = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_decode(p + i, len - i, &cp);
        if (n == 0) {           /* not ours to judge here: count a column */
            i++;
            width++;
            continue;
        }
        i += n;
        if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF)
            continue;           /* zero width: the marks of a dual text (sl_lang.h) */
        width += s_is_wide(cp) ? 2 : 1;
    }
    return width;
}

struct sl_table {
    size_t columns, rows, cap;
    char **cells;               /* (rows + 1) * columns; row 0 is headers */
    char *align;
};

sl_table_t *sl_table_new(size_t columns, const char *const *headers)
{
    sl_table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->columns = columns;
    self->align = malloc(columns);
    if (!self->align) {
        free(self);
        return NULL;
    }
    memset(self->align, 'l', columns);
    if (sl_table_add(self, headers)) {
        sl_table_destroy(&self);
        return NULL;
    }
    return self;
}

void sl_table_destroy(sl_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_table_t *self = *self_p;
    for (size_t i = 0; i < self->rows * self->columns; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self->align);
    free(self);
    *self_p = NULL;
}

int sl_table_add(sl_table_t *self, const char *const *cells)
{
    if (self->rows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **grown = realloc(self->cells, cap * self->columns * sizeof *grown);
        if (!grown)
            return -1;
        self->cells = grown;
        self->cap = cap;
    }
    char **row = self->cells + self->rows * self->columns;
    for (size_t c = 0; c < self->columns; c++) {
        row[c] = sl_lang_rendered(cells[c] ? cells[c] : "");
        if (!row[c]) {
            while (c--)
                free(row[c]);
            return -1;
        }
    }
    self->rows++;
    return 0;
}

void sl_table_align(sl_table_t *self, size_t column, char how)
{
    if (column < self->columns)
        self->align[column] = how;
}

void sl_table_print(sl_table_t *self, FILE *out)
{
    size_t *width = calloc(self->columns, sizeof *width);
    if (!width)
        return;
    for (size_t r = 0; r < self->rows; r++)
        for (size_t c = 0; c < self->columns; c++) {
            size_t w = sl_display_width(self->cells[r * self->columns + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < self->rows; r++) {
        for (size_t c = 0; c < self->columns; c++) {
            const char *cell = self->cells[r * self->columns + c];
            size_t pad = width[c] - sl_display_width(cell);
            bool last = c + 1 == self->columns;
            if (self->align[c] == 'r')
                fprintf(out, "%*s%s", (int) pad, "", cell);
            else
                fprintf(out, "%s%*s", cell, last ? 0 : (int) pad, "");
            fputs(last ? "\n" : "  ", out);
        }
        if (r == 0) {           /* rule under the headers */
            for (size_t c = 0; c < self->columns; c++) {
                for (size_t i = 0; i < width[c]; i++)
                    fputc('-', out);
                fputs(c + 1 == self->columns ? "\n" : "  ", out);
            }
        }
    }
    free(width);
}

void sl_table_print_cells(size_t columns, const char *const *cells, size_t ncells, FILE *out)
{
    if (!columns || ncells < columns)
        return;
    sl_table_t *t = sl_table_new(columns, cells);
    for (size_t r = 1; t && r < ncells / columns; r++)
        sl_table_add(t, cells + r * columns);
    if (t)
        sl_table_print(t, out);
    sl_table_destroy(&t);
}

void sl_text_copy(char *out, size_t cap, const char *in)
{
    size_t n = strlen(in);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, in, n);
    out[n] = 0;
}

char *sl_text_dup(const char *p, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, p, len);
    copy[len] = 0;
    return copy;
}
