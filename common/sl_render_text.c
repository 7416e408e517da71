/* sl_render_text.c: a report for a terminal (see sl_render.h), and the cell
 * helpers every form shares. */
#include "sl_render.h"
#include "sl_lang.h"
#include "sl_text.h"
#include <stdlib.h>
#include <string.h>

bool sl_render_is_number(const char *cell)
{
    if (!*cell)
        return false;
    char *end;
    double v = strtod(cell, &end);
    if (*end || v != v || strspn(cell, "-0123456789.eE+") != strlen(cell))
        return false;
    /* JSON: no leading '+', no leading zeros, digits around the point */
    const char *p = cell[0] == '-' ? cell + 1 : cell;
    if (!(*p >= '0' && *p <= '9') || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    const char *dot = strchr(p, '.');
    return !dot || (dot[1] >= '0' && dot[1] <= '9');
}

sl_rcol_t sl_render_type(const sl_rtable_t *t, size_t row, size_t col)
{
    if (t->style == SL_RS_OBJECT && col == 3) {
        const char *ty = sl_rtable_cell(t, row, 2);
        if (ty[0] && !ty[1] && strchr("tirndlb", ty[0]))
            return (sl_rcol_t) ty[0];
        return SL_RC_TEXT;
    }
    return col < t->ncols ? t->cols[col].type : SL_RC_TEXT;
}

const char *sl_render_lang(const char *text, char *buf, size_t cap)
{
    if (!sl_lang_is_dual(text))
        return text;
    sl_lang_render_as(sl_lang_reader() == SL_LANG_EN ? SL_LANG_EN : SL_LANG_ZH, text, strlen(text),
                      buf, cap);
    return buf;
}

const char *sl_render_word(const char *zh, const char *en)
{
    return sl_lang_reader() == SL_LANG_EN ? en : zh;
}

bool sl_render_is_total(const char *cell)
{
    return strncmp(cell, "合计", 6) == 0 || strncmp(cell, SL_DUAL_OPEN "合计", 9) == 0;
}

const char *sl_render_group(const char *group)
{
    return strcmp(group, "frozen") == 0 ? SL_D("冻结数", "frozen")
           : strcmp(group, "live") == 0 ? SL_D("实时数", "live") : group;
}

void sl_render_cell(sl_rcol_t type, const char *cell, char *out, size_t cap)
{
    if (!cap)
        return;
    switch (type) {
    case SL_RC_RATE:
        sl_report_rate_text(cell, out, cap);
        return;
    case SL_RC_BOOL:
        snprintf(out, cap, "%s", !*cell ? "—" : strcmp(cell, "1") == 0 ? sl_render_word("是", "yes")
                 : sl_render_word("否", "no"));
        return;
    case SL_RC_INT: case SL_RC_NUM: case SL_RC_DATE:
        if (!*cell) {
            snprintf(out, cap, "—");
            return;
        }
        break;
    default:
        break;
    }
    char *shown = sl_lang_is_dual(cell) ? malloc(cap) : NULL;
    if (shown)
        cell = sl_render_lang(cell, shown, cap);
    const char *sep = sl_render_word("；", "; ");     /* U+FF1B, or "; " */
    size_t o = 0;
    for (const char *p = cell; *p && o + 4 < cap; p++) {
        if (*p == '\n' && type == SL_RC_LIST) {
            memcpy(out + o, sep, strlen(sep));
            o += strlen(sep);
        } else {
            out[o++] = *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p;
        }
    }
    out[o] = 0;
    free(shown);
}

#define CELL_CAP 8192

static int s_table(const sl_rtable_t *t, FILE *out)
{
    char title[1000];
    fprintf(out, "%s%s%s\n", sl_render_word("【", "["), sl_render_lang(t->title, title, sizeof title),
            sl_render_word("】", "]"));
    if (t->flags & SL_RF_PROSE) {
        for (size_t r = 0; r < t->nrows; r++)
            fprintf(out, "%s\n\n", sl_rtable_cell(t, r, 0));
        return 0;
    }
    bool fig = t->style == SL_RS_OBJECT;
    size_t ncols = fig ? 3 : t->ncols;
    const char *heads[SL_REPORT_MAX_COLS];
    if (fig) {
        heads[0] = SL_RENDER_FIG_LABEL;     /* sl_table renders them */
        heads[1] = SL_RENDER_FIG_KEY;
        heads[2] = SL_RENDER_FIG_VALUE;
    } else {
        for (size_t c = 0; c < ncols; c++)
            heads[c] = t->cols[c].label;
    }
    sl_table_t *tab = sl_table_new(ncols, heads);
    char *buf = malloc(ncols * CELL_CAP);
    if (!tab || !buf) {
        sl_table_destroy(&tab);
        free(buf);
        return -1;
    }
    for (size_t c = 0; c < ncols; c++) {
        sl_rcol_t ty = fig ? (c == 2 ? SL_RC_INT : SL_RC_TEXT) : t->cols[c].type;
        if (ty == SL_RC_INT || ty == SL_RC_RATE || ty == SL_RC_NUM)
            sl_table_align(tab, c, 'r');
    }
    if (!t->nrows)
        fprintf(out, "%s\n", sl_render_word("（无 none）", "(none)"));
    for (size_t r = 0; r < t->nrows; r++) {
        const char *row[SL_REPORT_MAX_COLS];
        for (size_t c = 0; c < ncols; c++) {
            size_t src = fig ? (c == 0 ? 1 : c == 1 ? 0 : 3) : c;
            sl_render_cell(sl_render_type(t, r, src), sl_rtable_cell(t, r, src),
                           buf + c * CELL_CAP, CELL_CAP);
            row[c] = buf + c * CELL_CAP;
        }
        if ((long) r == t->total_row && !fig && ncols) {
            /* the total row says so in its first cell when that is empty */
            if (!row[0][0] && (ncols < 2 || !sl_render_is_total(sl_rtable_cell(t, r, 1))))
                row[0] = SL_RENDER_TOTAL;
        }
        sl_table_add(tab, row);
    }
    if (t->nrows)
        sl_table_print(tab, out);
    sl_table_destroy(&tab);
    free(buf);
    return 0;
}

int sl_render_text(const sl_report_t *r, FILE *out)
{
    char text[1000];
    fprintf(out, "%s\n\n", sl_render_lang(r->title, text, sizeof text));
    const char *group = "";
    for (size_t i = 0; i < r->ntables; i++) {
        const sl_rtable_t *t = r->tables[i];
        if (strcmp(t->group, group) != 0) {
            group = t->group;
            if (*group)
                fprintf(out, "======== %s ========\n\n",
                        sl_render_lang(sl_render_group(group), text, sizeof text));
        }
        if (s_table(t, out))
            return -1;
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}
