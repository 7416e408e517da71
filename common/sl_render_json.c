/* sl_render_json.c: a report as one JSON object (see sl_render.h).
 *
 * Tables of group "" write their members at the top; the tables of a group
 * ("frozen", "live") go into one object under the group's name, where the
 * first of them stands.  A figures table (OBJECT) without a key writes its
 * figures as members of the object it is in; with a key, as an object under
 * it.  ROWS: an array of objects (the total row, when there is one, under
 * total_key beside it).  VALUES: an array of the first column.  Rates are
 * fractions, shortest round-trip decimals, null for a zero denominator.
 * JSON is read by programs: the same in every language, a dual value (a
 * status word, "未交办 unassigned") as the default language shows it. */
#include "sl_render.h"
#include "sl_json.h"
#include "sl_lang.h"
#include <stdlib.h>
#include <string.h>

static void s_str(FILE *out, const char *s)
{
    size_t len = strlen(s);
    char *shown = NULL;
    if (sl_lang_is_dual(s) && (shown = malloc(len + 1)) != NULL) {
        len = sl_lang_render_as(SL_LANG_ZH, s, len, shown, len + 1);   /* never longer */
        s = shown;
    }
    size_t need = sl_json_escape(s, len, NULL, 0);
    char *buf = malloc(need + 1);
    if (!buf) {
        fputs("\"\"", out);
        free(shown);
        return;
    }
    sl_json_escape(s, len, buf, need + 1);
    fprintf(out, "\"%s\"", buf);
    free(buf);
    free(shown);
}

static void s_value(FILE *out, sl_rcol_t type, const char *cell)
{
    char buf[64];
    switch (type) {
    case SL_RC_INT: case SL_RC_NUM:
        fputs(sl_render_is_number(cell) ? cell : "null", out);
        return;
    case SL_RC_RATE:
        sl_report_rate_json(cell, buf, sizeof buf);
        fputs(buf, out);
        return;
    case SL_RC_BOOL:
        fputs(strcmp(cell, "1") == 0 ? "true" : strcmp(cell, "0") == 0 ? "false" : "null", out);
        return;
    case SL_RC_DATE:
        if (!*cell)
            fputs("null", out);
        else
            s_str(out, cell);
        return;
    case SL_RC_LIST: {
        fputc('[', out);
        const char *p = cell;
        bool first = true;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t) (nl - p) : strlen(p);
            char *item = strndup(p, n);
            if (item) {
                if (!first)
                    fputs(", ", out);
                s_str(out, item);
                first = false;
                free(item);
            }
            p += n + (nl ? 1 : 0);
        }
        fputc(']', out);
        return;
    }
    default:
        s_str(out, cell);
    }
}

static void s_indent(FILE *out, int depth)
{
    fputc('\n', out);
    for (int i = 0; i < depth; i++)
        fputs("  ", out);
}

/* One member "key": value; *first says whether a comma is due. */
static void s_key(FILE *out, const char *key, bool *first, int depth)
{
    if (!*first)
        fputc(',', out);
    *first = false;
    s_indent(out, depth);
    s_str(out, key);
    fputs(": ", out);
}

static void s_row_object(FILE *out, const sl_rtable_t *t, size_t r)
{
    fputc('{', out);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            fputs(", ", out);
        s_str(out, t->cols[c].key);
        fputs(": ", out);
        s_value(out, t->cols[c].type, sl_rtable_cell(t, r, c));
    }
    fputc('}', out);
}

static void s_members(FILE *out, const sl_rtable_t *t, bool *first, int depth)
{
    if (t->style == SL_RS_OBJECT) {
        bool inner = true;
        bool *f = first;
        int d = depth;
        if (*t->key) {
            s_key(out, t->key, first, depth);
            fputc('{', out);
            f = &inner;
            d = depth + 1;
        }
        for (size_t r = 0; r < t->nrows; r++) {
            s_key(out, sl_rtable_cell(t, r, 0), f, d);
            s_value(out, sl_render_type(t, r, 3), sl_rtable_cell(t, r, 3));
        }
        if (*t->key) {
            s_indent(out, depth);
            fputc('}', out);
        }
        return;
    }
    s_key(out, *t->key ? t->key : "rows", first, depth);
    fputc('[', out);
    bool any = false;
    for (size_t r = 0; r < t->nrows; r++) {
        if ((long) r == t->total_row)
            continue;
        if (any)
            fputc(',', out);
        any = true;
        s_indent(out, depth + 1);
        if (t->style == SL_RS_VALUES)
            s_value(out, t->cols[0].type, sl_rtable_cell(t, r, 0));
        else
            s_row_object(out, t, r);
    }
    if (any)
        s_indent(out, depth);
    fputc(']', out);
    if (t->total_row >= 0 && t->style == SL_RS_ROWS) {
        s_key(out, *t->total_key ? t->total_key : "total", first, depth);
        s_row_object(out, t, (size_t) t->total_row);
    }
}

int sl_render_json(const sl_report_t *r, FILE *out)
{
    bool first = true;
    fputc('{', out);
    for (size_t i = 0; i < r->ntables; i++) {
        const sl_rtable_t *t = r->tables[i];
        if (t->flags & SL_RF_NOJSON)
            continue;
        if (!*t->group) {
            s_members(out, t, &first, 1);
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !(r->tables[j]->flags & SL_RF_NOJSON)
                   && strcmp(r->tables[j]->group, t->group) == 0;
        if (seen)
            continue;
        s_key(out, t->group, &first, 1);
        fputc('{', out);
        bool inner = true;
        for (size_t j = i; j < r->ntables; j++)
            if (!(r->tables[j]->flags & SL_RF_NOJSON) && strcmp(r->tables[j]->group, t->group) == 0)
                s_members(out, r->tables[j], &inner, 2);
        s_indent(out, 1);
        fputc('}', out);
    }
    fputs("\n}\n", out);
    return ferror(out) ? -1 : 0;
}
