/* sl_report.c: the report value and its flat form (see sl_report.h).
 *
 * The flat form, W cells per row (W = max(8, 1 + the widest table)):
 *   row 0   "报表 report", "1" (version), name, title
 *   T       key, title, group, total_key, chart, style, flags   (a table begins)
 *   C       the column keys        L  their headings        Y  their types
 *   R       a data row             S  the total row
 * Cells past a table's columns are empty. */
#include "sl_report.h"
#include "sl_lang.h"
#include "sl_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_dup(sl_report_t *r, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d && r)
        r->failed = true;
    return d;
}

sl_report_t *sl_report_new(const char *name, const char *title)
{
    sl_report_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->name = strdup(name);
    self->title = strdup(title);
    if (!self->name || !self->title)
        sl_report_destroy(&self);
    return self;
}

static void s_table_free(sl_rtable_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    for (size_t c = 0; c < t->ncols; c++) {
        free(t->cols[c].key);
        free(t->cols[c].label);
    }
    free(t->key);
    free(t->title);
    free(t->group);
    free(t->total_key);
    free(t->chart);
    free(t);
}

void sl_report_destroy(sl_report_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_report_t *self = *self_p;
    for (size_t i = 0; i < self->ntables; i++)
        s_table_free(self->tables[i]);
    free(self->tables);
    free(self->name);
    free(self->title);
    free(self);
    *self_p = NULL;
}

sl_rtable_t *sl_report_table(sl_report_t *self, const char *key, const char *title,
                             sl_rstyle_t style, unsigned flags)
{
    sl_rtable_t *t = calloc(1, sizeof *t);
    sl_rtable_t **grown = realloc(self->tables, (self->ntables + 1) * sizeof *grown);
    if (!t || !grown) {
        free(t);
        if (grown)
            self->tables = grown;
        self->failed = true;
        return NULL;
    }
    self->tables = grown;
    t->key = s_dup(self, key);
    t->title = s_dup(self, title);
    t->group = s_dup(self, "");
    t->total_key = s_dup(self, "");
    t->chart = s_dup(self, "");
    t->style = style;
    t->flags = flags;
    t->total_row = -1;
    self->tables[self->ntables++] = t;
    return t;
}

static void s_set(char **field, const char *v)
{
    char *d = strdup(v ? v : "");
    if (d) {
        free(*field);
        *field = d;
    }
}

void sl_rtable_chart(sl_rtable_t *t, const char *chart) { if (t) s_set(&t->chart, chart); }
void sl_rtable_group(sl_rtable_t *t, const char *group) { if (t) s_set(&t->group, group); }

void sl_rtable_col(sl_rtable_t *t, const char *key, const char *label, sl_rcol_t type)
{
    if (!t || t->ncols >= SL_REPORT_MAX_COLS || t->nrows)
        return;
    sl_rcolumn_t *c = &t->cols[t->ncols];
    c->key = strdup(key);
    c->label = strdup(label);
    c->type = type;
    if (c->key && c->label)
        t->ncols++;
    else {
        free(c->key);
        free(c->label);
    }
}

int sl_rtable_row(sl_rtable_t *t, const char *const *cells)
{
    if (!t)
        return -1;
    if (t->nrows >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **grown = realloc(t->cells, cap * (t->ncols ? t->ncols : 1) * sizeof *grown);
        if (!grown)
            return -1;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "");
        if (!row[c]) {
            while (c-- > 0)
                free(row[c]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

void sl_rtable_total(sl_rtable_t *t, const char *total_key)
{
    if (!t || !t->nrows)
        return;
    t->total_row = (long) t->nrows - 1;
    s_set(&t->total_key, total_key);
}

const char *sl_rtable_cell(const sl_rtable_t *t, size_t row, size_t col)
{
    return row < t->nrows && col < t->ncols ? t->cells[row * t->ncols + col] : "";
}

void sl_report_figures_init(sl_rtable_t *t)
{
    sl_rtable_col(t, "key", SL_D("键", "key"), SL_RC_TEXT);
    sl_rtable_col(t, "label", SL_D("指标", "figure"), SL_RC_TEXT);
    sl_rtable_col(t, "type", SL_D("类型", "type"), SL_RC_TEXT);
    sl_rtable_col(t, "value", SL_D("值", "value"), SL_RC_TEXT);
}

void sl_report_fig_text(sl_rtable_t *t, const char *key, const char *label, sl_rcol_t type,
                        const char *v)
{
    char ty[2] = { (char) type, 0 };
    const char *cells[4] = { key, label, ty, v };
    sl_rtable_row(t, cells);
}

void sl_report_fig_int(sl_rtable_t *t, const char *key, const char *label, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long) v);
    sl_report_fig_text(t, key, label, SL_RC_INT, buf);
}

void sl_report_fig_null(sl_rtable_t *t, const char *key, const char *label, sl_rcol_t type)
{
    sl_report_fig_text(t, key, label, type, "");
}

void sl_report_fig_rate(sl_rtable_t *t, const char *key, const char *label, int64_t num,
                        int64_t den)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%lld/%lld", (long long) num, (long long) den);
    sl_report_fig_text(t, key, label, SL_RC_RATE, buf);
}

const char *sl_report_fig(const sl_rtable_t *t, const char *key)
{
    for (size_t r = 0; t && t->style == SL_RS_OBJECT && r < t->nrows; r++)
        if (strcmp(sl_rtable_cell(t, r, 0), key) == 0)
            return sl_rtable_cell(t, r, 3);
    return NULL;
}

sl_rtable_t *sl_report_find(const sl_report_t *self, const char *key, const char *group)
{
    for (size_t i = 0; i < self->ntables; i++)
        if (strcmp(self->tables[i]->key, key) == 0
            && strcmp(self->tables[i]->group, group ? group : "") == 0)
            return self->tables[i];
    return NULL;
}

/* ---- the flat form ------------------------------------------------------ */

typedef struct {
    char **cells;
    size_t n, cap;
    uint32_t w;
    bool failed;
} flat_t;

static void s_flat_row(flat_t *f, const char *tag, size_t n, const char *const *vals)
{
    if (f->n + f->w > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        while (cap < f->n + f->w)
            cap *= 2;
        char **grown = realloc(f->cells, cap * sizeof *grown);
        if (!grown) {
            f->failed = true;
            return;
        }
        f->cells = grown;
        f->cap = cap;
    }
    for (uint32_t c = 0; c < f->w; c++) {
        const char *v = c == 0 ? tag : (c - 1 < n ? vals[c - 1] : "");
        f->cells[f->n + c] = strdup(v ? v : "");
        if (!f->cells[f->n + c])
            f->failed = true;
    }
    f->n += f->w;
}

int sl_report_encode(const sl_report_t *self, uint32_t *columns, char ***cells, size_t *ncells)
{
    flat_t f = { .w = 8 };
    for (size_t i = 0; i < self->ntables; i++)
        if (self->tables[i]->ncols + 1 > f.w)
            f.w = (uint32_t) self->tables[i]->ncols + 1;
    const char *head[3] = { "1", self->name, self->title };
    s_flat_row(&f, "报表 report", 3, head);
    for (size_t i = 0; i < self->ntables; i++) {
        const sl_rtable_t *t = self->tables[i];
        char style[2] = { (char) t->style, 0 }, flags[16];
        snprintf(flags, sizeof flags, "%u", t->flags);
        const char *tv[7] = { t->key, t->title, t->group, t->total_key, t->chart, style, flags };
        s_flat_row(&f, "T", 7, tv);
        const char *keys[SL_REPORT_MAX_COLS], *labels[SL_REPORT_MAX_COLS];
        char types[SL_REPORT_MAX_COLS][2];
        const char *tp[SL_REPORT_MAX_COLS];
        for (size_t c = 0; c < t->ncols; c++) {
            keys[c] = t->cols[c].key;
            labels[c] = t->cols[c].label;
            types[c][0] = (char) t->cols[c].type;
            types[c][1] = 0;
            tp[c] = types[c];
        }
        s_flat_row(&f, "C", t->ncols, keys);
        s_flat_row(&f, "L", t->ncols, labels);
        s_flat_row(&f, "Y", t->ncols, tp);
        for (size_t r = 0; r < t->nrows; r++)
            s_flat_row(&f, (long) r == t->total_row ? "S" : "R", t->ncols,
                       (const char *const *) t->cells + r * t->ncols);
    }
    if (f.failed || self->failed) {
        for (size_t i = 0; i < f.n; i++)
            free(f.cells[i]);
        free(f.cells);
        return -1;
    }
    *columns = f.w;
    *cells = f.cells;
    *ncells = f.n;
    return 0;
}

/* A decoded cell as a C string (the caller frees). */
static char *s_cell(const char *const *cells, const size_t *lens, size_t i)
{
    size_t len = lens ? lens[i] : strlen(cells[i]);
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, cells[i], len);
        s[len] = 0;
    }
    return s;
}

sl_report_t *sl_report_decode(uint32_t w, const char *const *cells, const size_t *lens,
                              size_t ncells, char *err, size_t errlen)
{
    if (w < 8 || w > SL_REPORT_MAX_COLS + 1 || ncells < w || ncells % w) {
        snprintf(err, errlen, SL_D("报表数据格式不对", "the report's cells are malformed")
                 " (%u columns, %zu cells)", w, ncells);
        return NULL;
    }
    for (size_t i = 0; i < ncells; i++) {
        size_t len = lens ? lens[i] : strlen(cells[i]);
        if (!sl_utf8_valid(cells[i], len) || memchr(cells[i], 0, len)) {
            sl_df(err, errlen, "报表数据第 %zu 格不是有效文本", "cell %zu of the report is not valid text",
                  i);
            return NULL;
        }
    }
    char *tag0 = s_cell(cells, lens, 0), *ver = s_cell(cells, lens, 1);
    char *name = s_cell(cells, lens, 2), *title = s_cell(cells, lens, 3);
    sl_report_t *r = NULL;
    bool ok = tag0 && ver && name && title && strcmp(tag0, "报表 report") == 0
              && strcmp(ver, "1") == 0;
    if (ok)
        r = sl_report_new(name, title);
    free(tag0);
    free(ver);
    free(name);
    free(title);
    if (!r) {
        snprintf(err, errlen, "%s", SL_D("不是报表数据（或版本不对）", "not a report (or of another version)"));
        return NULL;
    }
    sl_rtable_t *t = NULL;
    char *v[SL_REPORT_MAX_COLS + 1];
    const char *why = NULL;
    size_t row = 1;
    for (; row < ncells / w && !why; row++) {
        size_t base = row * w;
        for (uint32_t c = 0; c < w; c++)
            v[c] = s_cell(cells, lens, base + c);
        bool mem = true;
        for (uint32_t c = 0; c < w; c++)
            mem = mem && v[c];
        const char *tag = v[0];
        if (!mem) {
            why = SL_D("内存不足", "out of memory");
        } else if (strcmp(tag, "T") == 0) {
            char style = v[6][0];
            char *end;
            unsigned long flags = strtoul(v[7], &end, 10);
            if ((style != SL_RS_ROWS && style != SL_RS_OBJECT && style != SL_RS_VALUES)
                || v[6][1] || *end || flags > 3) {
                why = SL_D("表头格式不对", "a table heading is malformed");
            } else {
                t = sl_report_table(r, v[1], v[2], (sl_rstyle_t) style, (unsigned) flags);
                sl_rtable_group(t, v[3]);
                if (t)
                    s_set(&t->total_key, v[4]);
                sl_rtable_chart(t, v[5]);
                if (!t)
                    why = SL_D("内存不足", "out of memory");
            }
        } else if (!t) {
            why = SL_D("表格之前有数据", "rows before any table");
        } else if (strcmp(tag, "C") == 0) {
            if (t->ncols || t->nrows)
                why = SL_D("列重复定义", "columns defined twice");
            for (uint32_t c = 1; c < w && !why && v[c][0]; c++)
                sl_rtable_col(t, v[c], "", SL_RC_TEXT);
            if (!why && !t->ncols)
                why = SL_D("表格没有列", "a table has no columns");
        } else if (strcmp(tag, "L") == 0 || strcmp(tag, "Y") == 0) {
            if (!t->ncols || t->nrows) {
                why = SL_D("列标题位置不对", "headings out of place");
            }
            for (size_t c = 0; !why && c < t->ncols; c++) {
                if (tag[0] == 'L') {
                    s_set(&t->cols[c].label, v[c + 1]);
                } else {
                    char ty = v[c + 1][0];
                    if (!strchr("tirndlb", ty) || !ty || v[c + 1][1])
                        why = SL_D("列类型不对", "a column type is unknown");
                    else
                        t->cols[c].type = (sl_rcol_t) ty;
                }
            }
        } else if (strcmp(tag, "R") == 0 || strcmp(tag, "S") == 0) {
            if (!t->ncols)
                why = SL_D("数据行没有列", "a row before its columns");
            else if (t->style == SL_RS_OBJECT && t->ncols != 4)
                why = SL_D("指标表须为四列", "a figures table has four columns");
            else if (sl_rtable_row(t, (const char *const *) v + 1))
                why = SL_D("内存不足", "out of memory");
            else if (tag[0] == 'S')
                t->total_row = (long) t->nrows - 1;
        } else {
            why = SL_D("未知的行标记", "an unknown row tag");
        }
        for (uint32_t c = 0; c < w; c++)
            free(v[c]);
    }
    if (!why && r->failed)
        why = SL_D("内存不足", "out of memory");
    if (why) {
        sl_df(err, errlen, "报表数据第 %zu 行：%s", "report row %zu: %s", row - 1, why);
        sl_report_destroy(&r);
    }
    return r;
}

/* ---- values --------------------------------------------------------------- */

bool sl_report_rate(const char *cell, int64_t *num, int64_t *den)
{
    long long a, b;
    int used = 0;
    if (sscanf(cell, "%lld/%lld%n", &a, &b, &used) != 2 || cell[used] || a < 0 || b < 0)
        return false;
    *num = a;
    *den = b;
    return true;
}

void sl_report_rate_text(const char *cell, char *out, size_t cap)
{
    int64_t n, d;
    if (!sl_report_rate(cell, &n, &d) || d == 0)
        snprintf(out, cap, "—");
    else
        snprintf(out, cap, "%.1f%%", 100.0 * (double) n / (double) d);
}

void sl_report_rate_json(const char *cell, char *out, size_t cap)
{
    int64_t n, d;
    if (!sl_report_rate(cell, &n, &d) || d == 0) {
        snprintf(out, cap, "null");
        return;
    }
    double x = (double) n / (double) d;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            break;
    }
}

long sl_report_days(long ymd)
{
    long y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

long sl_report_month_end(int year, int month)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int d = days[(month - 1) % 12];
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        d = 29;
    return (long) year * 10000 + month * 100 + d;
}
