/* sl_report_cli.c: `report …` for both programs (see sl_report_cli.h). */
#include "sl_report_cli.h"
#include <stdlib.h>
#include <string.h>

static const char *const s_names[] = { "dispatch", "five", "loop", "points", "volunteers",
                                       "talent", "facilities", "supervision", "records" };

static const char s_summary[] =
    "District figures and reports (shared/FIGURES.md), computed on the server.\n"
    "  dispatch --month YYYY-MM [--freeze|--live]  每月调度: every x of the report, its paragraphs\n"
    "  five [--year Y]                   五个一: unit × task, done / required, complete\n"
    "  loop --from D --to D [--by unit|community|month]   闭环办理: rates, medians\n"
    "  points [--year Y] [--unit U] [--limit N] [--offset N]   积分与黄牌, every rating behind them\n"
    "  volunteers [--year Y | --from D --to D]   志愿服务 by unit, team, brand, community\n"
    "  talent [--year Y]                 人才超市 per community\n"
    "  facilities                        阵地与队伍: areas against the standard, workers\n"
    "  supervision --half Y-1|Y-2        督查: reminder candidates with the evidence\n"
    "  records TYPE [--community C] [--unit U] [--status S] [--from D] [--to D] [--text T]\n"
    "               [--limit N] [--offset N]   the records themselves (an item type)\n"
    "Forms: a table (default), --csv (UTF-8 with BOM), --json, --xlsx FILE, --html FILE.\n"
    "A month ended on the server's clock may be frozen (--freeze): from then on it prints\n"
    "its stored figures; --live shows live figures beside them and the records received\n"
    "after the freeze.  Exit codes: 0 done, 3 refused (a bad argument), 1 failed.";

int sl_report_cli_parse(const char *program, int argc, char **argv, const sl_opt_t *extra,
                        size_t nextra, sl_report_request_t *req)
{
    memset(req, 0, sizeof *req);
    const char *month = NULL, *year = NULL, *from = NULL, *to = NULL, *by = NULL, *half = NULL;
    const char *community = NULL, *unit = NULL, *status = NULL, *text = NULL, *limit = NULL;
    const char *offset = NULL, *xlsx = NULL, *html = NULL;
    bool freeze = false, live = false, csv = false, json = false;
    sl_opt_t opts[32];
    size_t n = 0;
    for (size_t i = 0; i < nextra && n < 10; i++)
        opts[n++] = extra[i];
    sl_opt_t mine[] = {
        { "--month", "YYYY-MM", "dispatch: the month", &month, NULL },
        { "--freeze", NULL, "dispatch: freeze the month (after its last day)", NULL, &freeze },
        { "--live", NULL, "dispatch: a frozen month's live figures and late records", NULL, &live },
        { "--year", "Y", "five, points, volunteers, talent: the year (default this year)", &year,
          NULL },
        { "--from", "YYYY-MM-DD", "loop, volunteers, records: first day", &from, NULL },
        { "--to", "YYYY-MM-DD", "loop, volunteers, records: last day", &to, NULL },
        { "--by", "unit|community|month", "loop: one row per group", &by, NULL },
        { "--half", "Y-1|Y-2", "supervision: the half year", &half, NULL },
        { "--community", "CODE", "records: of this community's sites", &community, NULL },
        { "--unit", "CODE", "records: of this responsible unit; points: this unit's lines", &unit,
          NULL },
        { "--status", "STATUS", "records: in this status", &status, NULL },
        { "--text", "TEXT", "records: containing this text", &text, NULL },
        { "--limit", "N", "records: at most N rows (default 200, at most 2000); points: lines "
          "(default 500, at most 5000)", &limit, NULL },
        { "--offset", "N", "records, points: skip the first N", &offset, NULL },
        { "--csv", NULL, "CSV (UTF-8 with BOM) on standard output", NULL, &csv },
        { "--json", NULL, "JSON on standard output", NULL, &json },
        { "--xlsx", "FILE", "an Excel workbook, one sheet per table", &xlsx, NULL },
        { "--html", "FILE", "one self-contained page with charts", &html, NULL },
    };
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
        opts[n++] = mine[i];
    char command[100];
    snprintf(command, sizeof command, "%s report", program);
    char *pos[3];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, command, "NAME [TYPE] [options]", s_summary, opts, n, pos,
                          3, &npos);
    if (rc)
        return rc > 0 ? 1 : SL_EXIT_USAGE;
    const char *name = npos ? pos[0] : NULL;
    bool known = false;
    for (size_t i = 0; name && i < sizeof s_names / sizeof s_names[0]; i++)
        known = known || strcmp(name, s_names[i]) == 0;
    if (!known) {
        fprintf(stderr, "%s: 需要报表名称 a report name is required: dispatch, five, loop, points, "
                "volunteers, talent, facilities, supervision, records (see --help)\n", command);
        return SL_EXIT_USAGE;
    }
    bool records = strcmp(name, "records") == 0;
    if ((records && npos != 2) || (!records && npos != 1)) {
        fprintf(stderr, "%s %s: %s\n", command, name, records ? "需要记录类型 TYPE is required "
                "(e.g. records problem_report)" : "unexpected words (see --help)");
        return SL_EXIT_USAGE;
    }
    int forms = csv + json + (xlsx != NULL) + (html != NULL);
    if (forms > 1) {
        fprintf(stderr, "%s: --csv, --json, --xlsx and --html exclude each other\n", command);
        return SL_EXIT_USAGE;
    }
    req->form = csv ? SL_FORM_CSV : json ? SL_FORM_JSON : xlsx ? SL_FORM_XLSX
                : html ? SL_FORM_HTML : SL_FORM_TEXT;
    req->file = xlsx ? xlsx : html;
    snprintf(req->verb, sizeof req->verb, "report.%s", name);
    const char *keys[] = { "type", "month", "year", "from", "to", "by", "half", "community",
                           "unit", "status", "text", "limit", "offset", "freeze", "live" };
    const char *vals[] = { records ? pos[1] : NULL, month, year, from, to, by, half, community,
                           unit, status, text, limit, offset, freeze ? "1" : NULL,
                           live ? "1" : NULL };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (vals[i] && req->nargs < SL_REPORT_CLI_ARGS) {
            req->keys[req->nargs] = keys[i];
            req->values[req->nargs++] = vals[i];
        }
    return 0;
}

int sl_report_cli_print(const char *command, const sl_report_request_t *req, uint32_t columns,
                        const char *const *cells, const size_t *lens, size_t ncells, FILE *out,
                        FILE *err)
{
    char why[600];
    sl_report_t *r = sl_report_decode(columns, cells, lens, ncells, why, sizeof why);
    if (!r) {
        fprintf(err, "%s: %s\n", command, why);
        return SL_EXIT_FAIL;
    }
    int rc = 0;
    switch (req->form) {
    case SL_FORM_CSV: rc = sl_render_csv(r, out); break;
    case SL_FORM_JSON: rc = sl_render_json(r, out); break;
    case SL_FORM_TEXT: rc = sl_render_text(r, out); break;
    case SL_FORM_XLSX:
        rc = sl_render_xlsx(r, req->file, why, sizeof why);
        if (rc)
            fprintf(err, "%s: %s\n", command, why);
        else
            fprintf(out, "已写入 written: %s\n", req->file);
        break;
    case SL_FORM_HTML: {
        FILE *f = fopen(req->file, "w");
        rc = f ? sl_render_html(r, f) : -1;
        if (f && fclose(f))
            rc = -1;
        if (rc)
            fprintf(err, "%s: 不能写入 cannot write %s\n", command, req->file);
        else
            fprintf(out, "已写入 written: %s\n", req->file);
        break;
    }
    }
    if (rc && req->form != SL_FORM_XLSX && req->form != SL_FORM_HTML)
        fprintf(err, "%s: cannot write the report\n", command);
    sl_report_destroy(&r);
    return rc ? SL_EXIT_FAIL : 0;
}
