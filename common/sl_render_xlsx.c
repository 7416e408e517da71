/* sl_render_xlsx.c: a report as an Excel workbook (see sl_render.h), written
 * with libxlsxwriter: one sheet per table, named by its title as the reader
 * reads it (Chinese first, or English); the headings in bold; integers and numbers as numbers, rates as numbers shown
 * as percentages (an empty cell for a zero denominator, with "—"), dates as
 * dates, booleans as 是/否 (yes/no), lists joined by "；".  No dual text's
 * marks reach the file: every title, heading and cell is rendered first. */
#include "sl_render.h"
#include "sl_text.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* A sheet name Excel accepts: at most 31 characters, none of []:*?/\,
 * unique in the workbook (" 2", " 3" … appended); title is rendered (no
 * marks, which would count as characters). */
static void s_sheet_name(lxw_workbook *wb, const char *title, char *out, size_t cap)
{
    char base[200];
    size_t o = 0, chars = 0;
    for (const unsigned char *p = (const unsigned char *) title; *p && chars < 26 && o + 5 < sizeof base;) {
        size_t n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        if (n == 1 && strchr("[]:*?/\\'", *p)) {
            base[o++] = '_';
            p++;
        } else {
            for (size_t i = 0; i < n && p[i]; i++)
                base[o++] = (char) p[i];
            p += n;
        }
        chars++;
    }
    base[o] = 0;
    if (!o)
        snprintf(base, sizeof base, "表");
    snprintf(out, cap, "%s", base);
    for (int k = 2; workbook_get_worksheet_by_name(wb, out) && k < 1000; k++)
        snprintf(out, cap, "%s %d", base, k);
}

typedef struct {
    lxw_format *head, *pct, *date, *total, *wrap;
} formats_t;

static void s_write(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, sl_rcol_t type,
                    const char *cell, const formats_t *f, bool total)
{
    char buf[8192];
    lxw_format *plain = total ? f->total : NULL;
    switch (type) {
    case SL_RC_INT: case SL_RC_NUM:
        if (sl_render_is_number(cell))
            worksheet_write_number(ws, row, col, strtod(cell, NULL), plain);
        else
            worksheet_write_string(ws, row, col, "—", plain);
        return;
    case SL_RC_RATE: {
        int64_t n, d;
        if (sl_report_rate(cell, &n, &d) && d)
            worksheet_write_number(ws, row, col, (double) n / (double) d, f->pct);
        else
            worksheet_write_string(ws, row, col, "—", plain);
        return;
    }
    case SL_RC_DATE: {
        long ymd = 0;
        int used = 0, y, m, d;
        if (sscanf(cell, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3 && !cell[used]) {
            lxw_datetime dt = { y, m, d, 0, 0, 0 };
            ymd = 1;
            worksheet_write_datetime(ws, row, col, &dt, f->date);
        }
        if (!ymd)
            worksheet_write_string(ws, row, col, *cell ? cell : "—", plain);
        return;
    }
    default:
        if (type != SL_RC_TEXT)
            sl_render_cell(type, cell, buf, sizeof buf);
        else if (sl_render_lang(cell, buf, sizeof buf) == cell)
            snprintf(buf, sizeof buf, "%s", cell);
        worksheet_write_string(ws, row, col, buf, plain);
    }
}

int sl_render_xlsx(const sl_report_t *r, const char *path, char *err, size_t errlen)
{
    /* A path that cannot be written is said here, in our words (the library
     * would print its own line on stderr at the end). */
    FILE *probe = fopen(path, "wb");
    if (!probe) {
        snprintf(err, errlen, SL_D("不能创建文件 %s", "cannot create %s") ": %s", path, path,
                 strerror(errno));
        return -1;
    }
    fclose(probe);
    lxw_workbook_options opts = { .constant_memory = LXW_FALSE, .tmpdir = NULL };
    lxw_workbook *wb = workbook_new_opt(path, &opts);
    if (!wb) {
        snprintf(err, errlen, SL_D("不能创建文件 %s", "cannot create %s"), path, path);
        return -1;
    }
    formats_t f;
    f.head = workbook_add_format(wb);
    format_set_bold(f.head);
    format_set_bg_color(f.head, 0xDDEBF7);
    f.pct = workbook_add_format(wb);
    format_set_num_format(f.pct, "0.0%");
    f.date = workbook_add_format(wb);
    format_set_num_format(f.date, "yyyy-mm-dd");
    f.total = workbook_add_format(wb);
    format_set_bold(f.total);
    f.wrap = workbook_add_format(wb);
    format_set_text_wrap(f.wrap);
    char text[1000], doc[1000], author[40];
    snprintf(doc, sizeof doc, "%s", sl_render_lang(r->title, text, sizeof text));
    snprintf(author, sizeof author, "%s", sl_render_word("shuanglian 双进双联", "shuanglian"));
    workbook_set_properties(wb, &(lxw_doc_properties) { .title = doc, .author = author });
    for (size_t i = 0; i < r->ntables; i++) {
        const sl_rtable_t *t = r->tables[i];
        char name[200], title[600], head[300];
        const char *shown = sl_render_lang(t->title, text, sizeof text);
        snprintf(title, sizeof title, "%s%s", strcmp(t->group, "frozen") == 0
                 ? sl_render_word("冻结 ", "frozen ") : strcmp(t->group, "live") == 0
                 ? sl_render_word("实时 ", "live ") : "", shown);
        s_sheet_name(wb, title, name, sizeof name);
        lxw_worksheet *ws = workbook_add_worksheet(wb, name);
        if (!ws) {
            snprintf(err, errlen, SL_D("不能添加工作表 %s", "cannot add sheet %s"), name, name);
            workbook_close(wb);
            return -1;
        }
        bool fig = t->style == SL_RS_OBJECT, prose = t->flags & SL_RF_PROSE;
        size_t ncols = fig ? 3 : prose ? 1 : t->ncols;
        if (prose) {
            worksheet_set_column(ws, 0, 0, 120, f.wrap);
            worksheet_write_string(ws, 0, 0, shown, f.head);
            for (size_t row = 0; row < t->nrows; row++)
                worksheet_write_string(ws, (lxw_row_t) row + 1, 0, sl_rtable_cell(t, row, 0),
                                       f.wrap);
            continue;
        }
        for (size_t c = 0; c < ncols; c++) {
            const char *h = sl_render_lang(!fig ? t->cols[c].label : c == 0 ? SL_RENDER_FIG_LABEL
                                           : c == 1 ? SL_RENDER_FIG_KEY : SL_RENDER_FIG_VALUE,
                                           head, sizeof head);
            worksheet_write_string(ws, 0, (lxw_col_t) c, h, f.head);
            size_t w = sl_display_width(h) + 2;
            for (size_t row = 0; row < t->nrows && row < 200; row++) {
                size_t src = fig ? (c == 0 ? 1 : c == 1 ? 0 : 3) : c;
                size_t cw = sl_display_width(sl_rtable_cell(t, row, src)) + 2;
                if (cw > w)
                    w = cw;
            }
            worksheet_set_column(ws, (lxw_col_t) c, (lxw_col_t) c, (double) (w > 60 ? 60 : w),
                                 NULL);
        }
        worksheet_freeze_panes(ws, 1, 0);
        for (size_t row = 0; row < t->nrows; row++) {
            bool total = (long) row == t->total_row;
            for (size_t c = 0; c < ncols; c++) {
                size_t src = fig ? (c == 0 ? 1 : c == 1 ? 0 : 3) : c;
                const char *cell = sl_rtable_cell(t, row, src);
                if (total && c == 0 && !*cell
                    && (ncols < 2 || !sl_render_is_total(sl_rtable_cell(t, row, 1))))
                    cell = SL_RENDER_TOTAL;
                s_write(ws, (lxw_row_t) row + 1, (lxw_col_t) c,
                        total && c == 0 ? SL_RC_TEXT : sl_render_type(t, row, src), cell, &f,
                        total);
            }
        }
    }
    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR) {
        snprintf(err, errlen, SL_D("不能写入 %s", "cannot write %s") ": %s", path, path,
                 lxw_strerror(e));
        return -1;
    }
    return 0;
}
