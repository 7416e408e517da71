/* sl_render_csv.c: a report as CSV for Excel (see sl_render.h): UTF-8 with a
 * byte-order mark, RFC 4180 quoting, each table under its title and a blank
 * line between tables.  Cells read as in the terminal table ("66.7%", "—"). */
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
    const char *title[1] = { r->title };
    s_row(out, 1, title);
    for (size_t i = 0; i < r->ntables; i++) {
        const sl_rtable_t *t = r->tables[i];
        bool fig = t->style == SL_RS_OBJECT, prose = t->flags & SL_RF_PROSE;
        char head[600];
        snprintf(head, sizeof head, "%s%s%s", *t->group ? t->group : "", *t->group ? ": " : "",
                 t->title);
        const char *h[1] = { head };
        fputs("\r\n", out);
        s_row(out, 1, h);
        size_t ncols = fig ? 3 : prose ? 1 : t->ncols;
        const char *cells[SL_REPORT_MAX_COLS];
        if (fig) {
            cells[0] = "指标 figure";
            cells[1] = "键 key";
            cells[2] = "值 value";
        } else {
            for (size_t c = 0; c < ncols; c++)
                cells[c] = t->cols[c].label;
        }
        if (!prose)
            s_row(out, ncols, cells);
        for (size_t row = 0; row < t->nrows; row++) {
            for (size_t c = 0; c < ncols; c++) {
                size_t src = fig ? (c == 0 ? 1 : c == 1 ? 0 : 3) : c;
                sl_rcol_t ty = sl_render_type(t, row, src);
                const char *v = sl_rtable_cell(t, row, src);
                if (ty == SL_RC_TEXT)
                    snprintf(buf + c * CAP, CAP, "%s", v);   /* line breaks kept, quoted */
                else
                    sl_render_cell(ty, v, buf + c * CAP, CAP);
                cells[c] = buf + c * CAP;
            }
            if ((long) row == t->total_row && !fig && !cells[0][0]
                && (ncols < 2 || strncmp(cells[1], "合计", 6) != 0))
                cells[0] = "合计 total";
            s_row(out, ncols, cells);
        }
    }
    free(buf);
    return ferror(out) ? -1 : 0;
}
