/* sl_render_html.c: a report as one self-contained HTML page (see
 * sl_render.h): inline style, inline SVG charts drawn from the tables that
 * ask for one (chart "matrix": the 五个一 matrix; "bars": a distribution;
 * "trend": monthly series; "backlog": one bar per site), and every table.
 * No script, no font, no style sheet, no image fetched from anywhere: the
 * page opens the same offline.  Titles, headings and labels in the reader's
 * language (sl_render_lang), never a dual text's marks. */
#include "sl_render.h"
#include "sl_lang.h"
#include <stdlib.h>
#include <string.h>

static void s_esc(FILE *out, const char *s)
{
    char *shown = sl_lang_is_dual(s) ? sl_lang_rendered(s) : NULL;
    if (shown)
        s = shown;
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
    free(shown);
}

static const char *s_colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                  "#8c564b" };

static double s_num(const char *cell)
{
    return sl_render_is_number(cell) ? strtod(cell, NULL) : 0;
}

/* The label of a row: its name column when there is one, else its first. */
static const char *s_label(const sl_rtable_t *t, size_t r)
{
    if (t->ncols > 1 && t->cols[1].type == SL_RC_TEXT && strstr(t->cols[1].key, "name"))
        return sl_rtable_cell(t, r, 1);
    return sl_rtable_cell(t, r, 0);
}

static size_t s_first_int(const sl_rtable_t *t)
{
    for (size_t c = 1; c < t->ncols; c++)
        if (t->cols[c].type == SL_RC_INT)
            return c;
    return 0;
}

static void s_matrix(FILE *out, const sl_rtable_t *t)
{
    size_t done[8], req[8], n = 0;
    for (size_t c = 0; c < t->ncols && n < 8; c++) {
        const char *k = t->cols[c].key;
        size_t len = strlen(k);
        if (len > 5 && strcmp(k + len - 5, "_done") == 0) {
            for (size_t d = 0; d < t->ncols; d++)
                if (strncmp(t->cols[d].key, k, len - 5) == 0
                    && strcmp(t->cols[d].key + len - 5, "_required") == 0) {
                    done[n] = c;
                    req[n++] = d;
                }
        }
    }
    size_t rows = 0;
    for (size_t r = 0; r < t->nrows; r++)
        rows += (long) r != t->total_row;
    if (!n || !rows)
        return;
    int cw = 90, ch = 26, lw = 160, top = 40;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\">\n", lw + cw * (int) n + 10,
            top + ch * (int) rows + 10, lw + cw * (int) n + 10, top + ch * (int) rows + 10);
    for (size_t i = 0; i < n; i++) {
        char label[200], buf[200];   /* the task, without "完成 done" */
        snprintf(label, sizeof label, "%s", sl_render_lang(t->cols[done[i]].label, buf, sizeof buf));
        char *sp = strchr(label, ' ');
        if (sp)
            *sp = 0;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">",
                lw + cw * (int) i + cw / 2, top - 12);
        s_esc(out, label);
        fputs("</text>\n", out);
    }
    size_t y = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if ((long) r == t->total_row)
            continue;
        int yy = top + ch * (int) y++;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", lw - 8,
                yy + 17);
        s_esc(out, s_label(t, r));
        fputs("</text>\n", out);
        for (size_t i = 0; i < n; i++) {
            double d = s_num(sl_rtable_cell(t, r, done[i]));
            double q = s_num(sl_rtable_cell(t, r, req[i]));
            const char *fill = d >= q ? "#2e7d32" : d > 0 ? "#f9a825" : "#c62828";
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                    "stroke=\"#fff\"/><text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#fff\" "
                    "text-anchor=\"middle\">%g/%g</text>\n", lw + cw * (int) i, yy, cw, ch, fill,
                    lw + cw * (int) i + cw / 2, yy + 17, d, q);
        }
    }
    fputs("</svg>\n", out);
}

static void s_bars(FILE *out, const sl_rtable_t *t, bool horizontal)
{
    size_t vc = s_first_int(t);
    if (!vc || !t->nrows)
        return;
    double max = 0;
    size_t rows = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if ((long) r == t->total_row)
            continue;
        double v = s_num(sl_rtable_cell(t, r, vc));
        if (v > max)
            max = v;
        rows++;
    }
    if (max <= 0)
        max = 1;
    if (horizontal) {
        int bh = 22, lw = 170, w = 420;
        fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
                "height=\"%d\">\n", lw + w + 60, bh * (int) rows + 10);
        size_t y = 0;
        for (size_t r = 0; r < t->nrows; r++) {
            if ((long) r == t->total_row)
                continue;
            double v = s_num(sl_rtable_cell(t, r, vc));
            int yy = 5 + bh * (int) y++;
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", lw - 6,
                    yy + 15);
            s_esc(out, s_label(t, r));
            fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                    "fill=\"#1f77b4\"/><text x=\"%.1f\" y=\"%d\" font-size=\"12\">%g</text>\n",
                    lw, yy + 2, w * v / max, bh - 6, lw + w * v / max + 4, yy + 15, v);
        }
        fputs("</svg>\n", out);
        return;
    }
    int bw = 56, h = 180, top = 20;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
            "height=\"%d\">\n", 20 + bw * (int) rows, top + h + 40);
    size_t x = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if ((long) r == t->total_row)
            continue;
        double v = s_num(sl_rtable_cell(t, r, vc));
        double bhgt = h * v / max;
        int xx = 10 + bw * (int) x++;
        fprintf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#ff7f0e\"/>"
                "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%g</text>"
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">", xx + 6,
                top + h - bhgt, bw - 12, bhgt, xx + bw / 2, top + h - bhgt - 4, v, xx + bw / 2,
                top + h + 16);
        s_esc(out, sl_rtable_cell(t, r, 0));
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
}

static void s_trend(FILE *out, const sl_rtable_t *t)
{
    size_t rows = t->nrows;
    if (rows < 1)
        return;
    double max = 1;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 1; c < t->ncols; c++)
            if (t->cols[c].type == SL_RC_INT && s_num(sl_rtable_cell(t, r, c)) > max)
                max = s_num(sl_rtable_cell(t, r, c));
    int w = 60 * (int) (rows > 1 ? rows : 2), h = 200, left = 40, top = 20;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" "
            "height=\"%d\">\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n"
            "<text x=\"4\" y=\"%d\" font-size=\"11\">%g</text>\n", left + w + 200, top + h + 40,
            left, top + h, left + w, top + h, top + 4, max);
    size_t series = 0;
    for (size_t c = 1; c < t->ncols; c++) {
        if (t->cols[c].type != SL_RC_INT)
            continue;
        const char *color = s_colors[series % 6];
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        for (size_t r = 0; r < rows; r++)
            fprintf(out, "%s%.1f,%.1f", r ? " " : "",
                    left + (rows > 1 ? (double) w * (double) r / (double) (rows - 1) : w / 2.0),
                    top + h - h * s_num(sl_rtable_cell(t, r, c)) / max);
        fprintf(out, "\"/>\n<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\" font-size=\"12\">", left + w + 20,
                top + 16 * (int) series, color, left + w + 34, top + 16 * (int) series + 9);
        s_esc(out, t->cols[c].label);
        fputs("</text>\n", out);
        series++;
    }
    for (size_t r = 0; r < rows; r++) {
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
                left + (rows > 1 ? (double) w * (double) r / (double) (rows - 1) : w / 2.0),
                top + h + 16);
        s_esc(out, sl_rtable_cell(t, r, 0));
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
}

static void s_table(FILE *out, const sl_rtable_t *t)
{
    fputs("<section>\n<h2>", out);
    if (*t->group) {
        s_esc(out, sl_render_group(t->group));
        fputs(sl_render_word("：", ": "), out);
    }
    s_esc(out, t->title);
    fputs("</h2>\n", out);
    if (strcmp(t->chart, "matrix") == 0)
        s_matrix(out, t);
    else if (strcmp(t->chart, "bars") == 0)
        s_bars(out, t, false);
    else if (strcmp(t->chart, "backlog") == 0)
        s_bars(out, t, true);
    else if (strcmp(t->chart, "trend") == 0)
        s_trend(out, t);
    if (t->flags & SL_RF_PROSE) {
        for (size_t r = 0; r < t->nrows; r++) {
            fputs("<p class=\"prose\">", out);
            s_esc(out, sl_rtable_cell(t, r, 0));
            fputs("</p>\n", out);
        }
        fputs("</section>\n", out);
        return;
    }
    bool fig = t->style == SL_RS_OBJECT;
    size_t ncols = fig ? 3 : t->ncols;
    fputs("<table>\n<thead><tr>", out);
    for (size_t c = 0; c < ncols; c++) {
        fputs("<th>", out);
        s_esc(out, fig ? (c == 0 ? SL_RENDER_FIG_LABEL : c == 1 ? SL_RENDER_FIG_KEY
                          : SL_RENDER_FIG_VALUE) : t->cols[c].label);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    char buf[8192];
    for (size_t r = 0; r < t->nrows; r++) {
        fputs((long) r == t->total_row ? "<tr class=\"total\">" : "<tr>", out);
        for (size_t c = 0; c < ncols; c++) {
            size_t src = fig ? (c == 0 ? 1 : c == 1 ? 0 : 3) : c;
            sl_rcol_t ty = sl_render_type(t, r, src);
            sl_render_cell(ty, sl_rtable_cell(t, r, src), buf, sizeof buf);
            if ((long) r == t->total_row && c == 0 && !buf[0]
                && (ncols < 2 || !sl_render_is_total(sl_rtable_cell(t, r, 1))))
                sl_render_lang(SL_RENDER_TOTAL, buf, sizeof buf);
            bool num = ty == SL_RC_INT || ty == SL_RC_NUM || ty == SL_RC_RATE;
            fputs(num ? "<td class=\"n\">" : "<td>", out);
            s_esc(out, buf);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    if (!t->nrows)
        fprintf(out, "<tr><td colspan=\"%zu\">%s</td></tr>\n", ncols,
                sl_render_word("（无 none）", "(none)"));
    fputs("</tbody>\n</table>\n</section>\n", out);
}

int sl_render_html(const sl_report_t *r, FILE *out)
{
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<link rel=\"icon\" href=\"data:,\">\n<title>", sl_render_word("zh-CN", "en"));
    s_esc(out, r->title);
    fputs("</title>\n<style>\n"
          "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",sans-serif;"
          "margin:24px;color:#222}\n"
          "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}\n"
          "table{border-collapse:collapse;margin:8px 0;font-size:13px}\n"
          "th,td{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}\n"
          "th{background:#ddebf7}td.n{text-align:right}tr.total td{font-weight:bold}\n"
          "p.prose{max-width:60em;line-height:1.7;text-indent:2em}\n"
          "svg{display:block;margin:8px 0;font-family:inherit}\n"
          "</style>\n</head>\n<body>\n<h1>", out);
    s_esc(out, r->title);
    fputs("</h1>\n", out);
    for (size_t i = 0; i < r->ntables; i++)
        s_table(out, r->tables[i]);
    fputs("</body>\n</html>\n", out);
    return ferror(out) ? -1 : 0;
}
