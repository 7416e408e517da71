/* test_report: the report value (common/sl_report.c) and its renderers
 * (common/sl_render_*.c).  A report survives its flat form (what a REPLY and
 * a frozen month hold) byte for byte; damaged or hostile cells are refused
 * with a sentence, never a crash; rates are exact fractions in JSON and null
 * for a zero denominator, "—" in tables; every form escapes what it writes. */
#include "sl_check.h"
#include "sl_render.h"
#include "sl_report.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sl_report_t *s_sample(void)
{
    sl_report_t *r = sl_report_new("sample", "样例 sample");
    sl_rtable_t *p = sl_report_table(r, "sentences", "段落", SL_RS_VALUES, SL_RF_PROSE);
    sl_rtable_col(p, "sentence", "段落", SL_RC_TEXT);
    const char *para[1] = { "全区3个单位帮助社区完成民生实事共4件。" };
    sl_rtable_row(p, para);
    sl_rtable_t *f = sl_report_table(r, "", "数据 figures", SL_RS_OBJECT, 0);
    sl_report_figures_init(f);
    sl_report_fig_int(f, "matters_done", "完成民生实事", 4);
    sl_report_fig_rate(f, "response_rate", "响应率", 2, 3);
    sl_report_fig_rate(f, "empty_rate", "空", 0, 0);
    sl_report_fig_null(f, "median", "中位数", SL_RC_NUM);
    sl_report_fig_text(f, "half", "半", SL_RC_NUM, "1.5");
    sl_rtable_t *t = sl_report_table(r, "rows", "按单位 by unit", SL_RS_ROWS, 0);
    sl_rtable_chart(t, "bars");
    sl_rtable_col(t, "unit", "单位 unit", SL_RC_TEXT);
    sl_rtable_col(t, "items", "事项 items", SL_RC_INT);
    sl_rtable_col(t, "rate", "比率 rate", SL_RC_RATE);
    sl_rtable_col(t, "on", "日期 on", SL_RC_DATE);
    sl_rtable_col(t, "reasons", "原因 reasons", SL_RC_LIST);
    sl_rtable_col(t, "ok", "完成 ok", SL_RC_BOOL);
    const char *r1[6] = { "区委办, \"引号\"\n换行", "3", "1/2", "2025-03-31", "甲\n乙", "1" };
    const char *r2[6] = { "<script>alert(1)</script>", "0", "0/0", "", "", "0" };
    const char *tot[6] = { "", "3", "1/2", "", "", "" };
    sl_rtable_row(t, r1);
    sl_rtable_row(t, r2);
    sl_rtable_row(t, tot);
    sl_rtable_total(t, "total");
    return r;
}

static char *s_render(const sl_report_t *r, int form, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (form == 0)
        sl_render_text(r, f);
    else if (form == 1)
        sl_render_csv(r, f);
    else if (form == 2)
        sl_render_json(r, f);
    else
        sl_render_html(r, f);
    fclose(f);
    return buf;
}

static sl_report_t *s_round_trip(const sl_report_t *r)
{
    uint32_t w;
    char **cells;
    size_t n;
    char err[300];
    if (sl_report_encode(r, &w, &cells, &n))
        return NULL;
    sl_report_t *back = sl_report_decode(w, (const char *const *) cells, NULL, n, err, sizeof err);
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    return back;
}

int main(void)
{
    sl_report_t *r = s_sample();
    s_check(r && !r->failed, "a report is built");
    sl_report_t *back = s_round_trip(r);
    s_check(back != NULL, "its flat form decodes");
    for (int form = 0; form < 4 && back; form++) {
        size_t a, b;
        char *x = s_render(r, form, &a), *y = s_render(back, form, &b);
        s_check(a == b && memcmp(x, y, a) == 0, "form %d: the same bytes after the flat form", form);
        free(x);
        free(y);
    }
    size_t len;
    char *json = s_render(r, 2, &len);
    s_check(strstr(json, "\"response_rate\": 0.6666666666666666") != NULL, "a rate is its fraction");
    s_check(strstr(json, "\"empty_rate\": null") != NULL, "0/0 is null in JSON");
    s_check(strstr(json, "\"median\": null") != NULL && strstr(json, "\"half\": 1.5"),
            "numbers and null numbers");
    s_check(strstr(json, "\"reasons\": [\"甲\", \"乙\"]") != NULL, "a list is an array");
    s_check(strstr(json, "\"ok\": true") && strstr(json, "\"ok\": false"), "booleans");
    s_check(strstr(json, "\"on\": null") != NULL, "an empty date is null");
    s_check(strstr(json, "\"total\": {\"unit\": \"\", \"items\": 3") != NULL,
            "the total row beside the rows");
    s_check(strstr(json, "\\\"引号\\\"\\n换行") != NULL, "strings escaped");
    s_check(strstr(json, "\"sentences\": [") != NULL, "paragraphs as an array of strings");
    free(json);
    char *text = s_render(r, 0, &len);
    s_check(strstr(text, "66.7%") && strstr(text, "—"), "text: a rate in percent, a null as —");
    s_check(strstr(text, "甲；乙") != NULL, "text: a list joined by ；");
    s_check(strstr(text, "合计 total") != NULL, "text: the total row named");
    s_check(strstr(text, "全区3个单位") != NULL, "text: the paragraphs");
    free(text);
    char *csv = s_render(r, 1, &len);
    s_check(len > 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0, "CSV begins with the UTF-8 BOM");
    s_check(strstr(csv, "\"区委办, \"\"引号\"\"\n换行\"") != NULL, "CSV quotes , \" and line breaks");
    free(csv);
    char *html = s_render(r, 3, &len);
    s_check(!strstr(html, "<script") && strstr(html, "&lt;script&gt;"), "HTML escapes cells");
    s_check(strstr(html, "<svg") != NULL, "HTML: a chart for a table that asks for one");
    s_check(!strstr(html, "http://") && !strstr(html, "https://") ? 1 : strstr(html, "xmlns=\"http://www.w3.org/2000/svg\"") != NULL,
            "HTML: nothing fetched (the only URL is the SVG namespace)");
    free(html);
    char path[] = "/tmp/test_report_XXXXXX.xlsx", err[300];
    int fd = mkstemps(path, 5);
    close(fd);
    s_check(sl_render_xlsx(r, path, err, sizeof err) == 0, "an XLSX is written");
    FILE *f = fopen(path, "rb");
    char magic[2] = { 0 };
    s_check(f && fread(magic, 1, 2, f) == 2 && magic[0] == 'P' && magic[1] == 'K',
            "the XLSX is a zip package");
    if (f)
        fclose(f);
    unlink(path);
    s_check(sl_render_xlsx(r, "/nonexistent/dir/x.xlsx", err, sizeof err) == -1 && err[0],
            "an XLSX that cannot be written is an error with a sentence");

    /* rates and dates */
    char out[64];
    sl_report_rate_json("1/1", out, sizeof out);
    s_check(strcmp(out, "1") == 0, "1/1 is 1 (%s)", out);
    sl_report_rate_json("3/5", out, sizeof out);
    s_check(strcmp(out, "0.6") == 0, "3/5 is 0.6 (%s)", out);
    sl_report_rate_json("x/5", out, sizeof out);
    s_check(strcmp(out, "null") == 0, "a damaged rate is null");
    sl_report_rate_text("0/0", out, sizeof out);
    s_check(strcmp(out, "—") == 0, "0/0 is — in tables");
    s_check(sl_report_days(19700101) == 0 && sl_report_days(20250301) - sl_report_days(20250228) == 1
            && sl_report_days(20240301) - sl_report_days(20240228) == 2, "calendar days");
    s_check(sl_report_month_end(2024, 2) == 20240229 && sl_report_month_end(2025, 2) == 20250228
            && sl_report_month_end(2025, 12) == 20251231, "month ends");

    /* damaged flat forms */
    uint32_t w;
    char **cells;
    size_t n;
    sl_report_encode(r, &w, &cells, &n);
    char *saved = cells[0];
    cells[0] = strdup("not a report");
    s_check(!sl_report_decode(w, (const char *const *) cells, NULL, n, err, sizeof err) && err[0],
            "not a report: refused (%s)", err);
    free(cells[0]);
    cells[0] = saved;
    s_check(!sl_report_decode(w, (const char *const *) cells, NULL, n - 1, err, sizeof err),
            "cells that do not fill rows: refused");
    s_check(!sl_report_decode(3, (const char *const *) cells, NULL, n, err, sizeof err),
            "too few columns: refused");
    size_t lens[4096];
    for (size_t i = 0; i < n && i < 4096; i++)
        lens[i] = strlen(cells[i]);
    const char *bad = "\xff\xfe";
    const char *keep = cells[w + 2];
    cells[w + 2] = (char *) bad;
    lens[w + 2] = 2;
    s_check(!sl_report_decode(w, (const char *const *) cells, lens, n, err, sizeof err),
            "a cell that is not UTF-8: refused");
    cells[w + 2] = (char *) keep;
    lens[w + 2] = strlen(keep);
    /* every cell replaced in turn by hostile values: refused or decoded, never a crash */
    const char *hostile[] = { "", "T", "R", "S", "C", "Y", "L", "Q", "O", "z", "99999999",
                              "-1", "1/0", "R\nS" };
    size_t tried = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        char *orig = cells[i];
        for (size_t h = 0; h < sizeof hostile / sizeof hostile[0]; h++) {
            cells[i] = (char *) hostile[h];
            sl_report_t *x = sl_report_decode(w, (const char *const *) cells, NULL, n, err,
                                              sizeof err);
            tried++;
            if (!x) {
                refused++;
                continue;
            }
            size_t l;
            for (int form = 0; form < 4; form++)
                free(s_render(x, form, &l));
            sl_report_destroy(&x);
        }
        cells[i] = orig;
    }
    s_check(tried > 1000 && refused > 0, "%zu hostile flat forms: %zu refused, the rest rendered",
            tried, refused);
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    sl_report_destroy(&back);
    sl_report_destroy(&r);
    sl_report_destroy(&r);
    s_check(r == NULL, "destroy is safe twice");
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
