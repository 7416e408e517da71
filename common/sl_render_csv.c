/* sl_render_csv.c: a report as CSV for Excel (see sl_render.h): UTF-8 with a
 * byte-order mark, RFC 4180 quoting, each table under its title and a blank
 * line between tables.  Cells read as in the terminal table ("66.7%", "—"),
 * titles and headings in the reader's language. */
#include "sl_render.h"
#include <stdlib.h>
#include <string.h>

static void s_cell(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") || s[0] == ' ' || (*s && s[strlen(s) - 1] == ' ')) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
}

static void s_row(FILE *out, size_t n, const char *const *cells)
{
    for (size_t c = 0; c < n; c++) {
        if (c)
            fputc(',', out);
        s_cell(out, cells[c]);
    }
    fputs("\r\n", out);
}

int sl_render_csv(const sl_report_t *r, FILE *out)
{
    enum { CAP = 8192 };
    char *buf = malloc(SL_REPORT_MAX_COLS * CAP);
    if (!buf)
        return -1;
    fputs("\xEF\xBB\xBF", out);
    char text[1000], group[100], heads[SL_REPORT_MAX_COLS][300];
    const char *title[1] = { sl_render_lang(r->title, text, sizeof text) };
    s_row(out, 1, title);
    for (size_t i = 0; i < r->ntables; i++) {
        const sl_rtable_t *t = r->tables[i];
        bool fig = t->style == SL_RS_OBJECT, prose = t->flags & SL_RF_PROSE;
        char head[600];
        snprintf(head, sizeof head, "%s%s%s", sl_render_lang(t->group, group, sizeof group),
                 *t->group ? ": " : "", sl_render_lang(t->title, text, sizeof text));
        const char *h[1] = { head };
        fputs("\r\n", out);
        s_row(out, 1, h);
        size_t ncols = fig ? 3 : prose ? 1 : t->ncols;
        const char *cells[SL_REPORT_MAX_COLS];
        for (size_t c = 0; c < ncols; c++)
            cells[c] = sl_render_lang(!fig ? t->cols[c].label : c == 0 ? SL_RENDER_FIG_LABEL
                                      : c == 1 ? SL_RENDER_FIG_KEY : SL_RENDER_FIG_VALUE,
                                      heads[c], sizeof heads[c]);
        if (!prose)
            s_row(out, ncols, cells);
        for (size_t row = 0; row < t->nrows; row++) {
            for (size_t c = 0; c < ncols; c++) {
                size_t src = fig ? (c == 0 ? 1 : c == 1 ? 0 : 3) : c;
                sl_rcol_t ty = sl_render_type(t, row, src);
                const char *v = sl_rtable_cell(t, row, src);
                if (ty == SL_RC_TEXT) {    /* line breaks kept, quoted */
                    if (sl_render_lang(v, buf + c * CAP, CAP) == v)
                        snprintf(buf + c * CAP, CAP, "%s", v);
                } else {
                    sl_render_cell(ty, v, buf + c * CAP, CAP);
                }
                cells[c] = buf + c * CAP;
            }
            if ((long) row == t->total_row && !fig && !cells[0][0]
                && (ncols < 2 || !sl_render_is_total(sl_rtable_cell(t, row, 1))))
                cells[0] = sl_render_lang(SL_RENDER_TOTAL, heads[0], sizeof heads[0]);
            s_row(out, ncols, cells);
        }
    }
    free(buf);
    return ferror(out) ? -1 : 0;
}
