/* sl_report_cli.c: `report …` for both programs (see sl_report_cli.h). */
#include "sl_report_cli.h"
#include "sl_cli.h"
#include "sl_lang.h"
#include <stdlib.h>
#include <string.h>

static const char *const s_names[] = { "dispatch", "five", "loop", "points", "volunteers",
                                       "talent", "facilities", "supervision", "records" };

/* The help of `report`: the reports' words, each with what it gives (dual,
 * sl_lang.h: the help renders it for its reader). */
static const struct { const char *words, *help; } s_reports[] = {
    { "dispatch --month YYYY-MM [--freeze|--live]",
      SL_D("每月调度：报告里的每个数字和段落", "monthly dispatch: every figure of the report, its paragraphs") },
    { "five [--year Y]", SL_D("五个一：单位 × 任务，完成 / 要求，是否全部完成",
                              "the five tasks: unit × task, done / required, complete") },
    { "loop --from D --to D [--by unit|community|month]",
      SL_D("闭环办理：各项比率、中位数", "closed loop: rates, medians") },
    { "points [--year Y] [--unit U] [--limit N] [--offset N]",
      SL_D("积分与黄牌，及其背后的每条评价", "points and yellow cards, every rating behind them") },
    { "volunteers [--year Y | --from D --to D]",
      SL_D("志愿服务：按单位、队伍、品牌、社区", "volunteering by unit, team, brand, community") },
    { "talent [--year Y]", SL_D("人才超市：按社区", "the talent market per community") },
    { "facilities", SL_D("阵地与队伍：面积对照标准，工作人员", "facilities and staff: areas against the standard, workers") },
    { "supervision --half Y-1|Y-2", SL_D("督查：提醒对象及依据", "supervision: reminder candidates with the evidence") },
    { "records TYPE [--community C] [--unit U] [--status S] [--from D] [--to D] [--text T] "
      "[--limit N] [--offset N]", SL_D("记录本身（一种事项类型）", "the records themselves (an item type)") },
};

/* s_reports as the summary of `report --help` (built once). */
static const char *s_summary(void)
{
    static char text[6000];
    if (text[0])
        return text;
    size_t used = (size_t) snprintf(text, sizeof text, "%s\n",
        SL_D("区里的统计和报表（shared/FIGURES.md），在服务器上计算。",
             "District figures and reports (shared/FIGURES.md), computed on the server."));
    for (size_t i = 0; i < sizeof s_reports / sizeof s_reports[0] && used < sizeof text; i++)
        used += (size_t) snprintf(text + used, sizeof text - used, "  %s\n      %s\n",
                                  s_reports[i].words, s_reports[i].help);
    if (used < sizeof text)
        snprintf(text + used, sizeof text - used, "%s", SL_D(
            "形式：表格（默认）、--csv（带 BOM 的 UTF-8）、--json、--xlsx FILE、--html FILE。\n"
            "按服务器时钟已结束的月份可以冻结（--freeze）：之后显示存下的数字；--live 在旁边显示实时数字和冻结后收到的记录。\n"
            "退出码：0 完成，3 被拒绝（参数不对），1 失败。",
            "Forms: a table (default), --csv (UTF-8 with BOM), --json, --xlsx FILE, --html FILE.\n"
            "A month ended on the server's clock may be frozen (--freeze): from then on it prints its stored figures; --live shows live figures beside them and the records received after the freeze.\n"
            "Exit codes: 0 done, 3 refused (a bad argument), 1 failed."));
    return text;
}

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
        { "--month", "YYYY-MM", SL_D("dispatch：月份", "dispatch: the month"), &month, NULL },
        { "--freeze", NULL, SL_D("dispatch：冻结这个月（月底之后）", "dispatch: freeze the month (after its last day)"), NULL, &freeze },
        { "--live", NULL, SL_D("dispatch：已冻结月份的实时数字和迟到的记录", "dispatch: a frozen month's live figures and late records"), NULL, &live },
        { "--year", "Y", SL_D("five、points、volunteers、talent：年份（默认今年）", "five, points, volunteers, talent: the year (default this year)"), &year,
          NULL },
        { "--from", "YYYY-MM-DD", SL_D("loop、volunteers、records：第一天", "loop, volunteers, records: first day"), &from, NULL },
        { "--to", "YYYY-MM-DD", SL_D("loop、volunteers、records：最后一天", "loop, volunteers, records: last day"), &to, NULL },
        { "--by", "unit|community|month", SL_D("loop：每组一行", "loop: one row per group"), &by, NULL },
        { "--half", "Y-1|Y-2", SL_D("supervision：半年", "supervision: the half year"), &half, NULL },
        { "--community", "CODE", SL_D("records：这个社区的站点的", "records: of this community's sites"), &community, NULL },
        { "--unit", "CODE", SL_D("records：这个责任单位的；points：这个单位的各行", "records: of this responsible unit; points: this unit's lines"), &unit,
          NULL },
        { "--status", "STATUS", SL_D("records：处于这个状态的", "records: in this status"), &status, NULL },
        { "--text", "TEXT", SL_D("records：含有这段文字的", "records: containing this text"), &text, NULL },
        { "--limit", "N", SL_D("records：最多 N 行（默认 200，最多 2000）；points：行数（默认 500，最多 5000）", "records: at most N rows (default 200, at most 2000); points: lines "
          "(default 500, at most 5000)"), &limit, NULL },
        { "--offset", "N", SL_D("records、points：跳过前 N 行", "records, points: skip the first N"), &offset, NULL },
        { "--csv", NULL, SL_D("CSV（带 BOM 的 UTF-8）写到标准输出", "CSV (UTF-8 with BOM) on standard output"), NULL, &csv },
        { "--json", NULL, SL_D("JSON 写到标准输出", "JSON on standard output"), NULL, &json },
        { "--xlsx", "FILE", SL_D("Excel 工作簿，每张表一页", "an Excel workbook, one sheet per table"), &xlsx, NULL },
        { "--html", "FILE", SL_D("一个自带图表的网页文件", "one self-contained page with charts"), &html, NULL },
    };
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
        opts[n++] = mine[i];
    char command[100];
    snprintf(command, sizeof command, "%s report", program);
    char *pos[3];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, command, "NAME [TYPE] [options]", s_summary(), opts, n, pos,
                          3, &npos);
    if (rc)
        return rc > 0 ? 1 : SL_EXIT_USAGE;
    const char *name = npos ? pos[0] : NULL;
    bool known = false;
    for (size_t i = 0; name && i < sizeof s_names / sizeof s_names[0]; i++)
        known = known || strcmp(name, s_names[i]) == 0;
    if (!known) {
        sl_cli_err(command, "需要报表名称：dispatch、five、loop、points、volunteers、talent、facilities、"
                   "supervision、records（见 --help）", "a report name is required: dispatch, five, "
                   "loop, points, volunteers, talent, facilities, supervision, records (see --help)");
        return SL_EXIT_USAGE;
    }
    bool records = strcmp(name, "records") == 0;
    if ((records && npos != 2) || (!records && npos != 1)) {
        sl_lang_fprintf(stderr, "%s %s: %s\n", command, name, records
                        ? SL_D("需要记录类型 TYPE（如 records problem_report）",
                               "TYPE is required (e.g. records problem_report)")
                        : SL_D("多余的词（见 --help）", "unexpected words (see --help)"));
        return SL_EXIT_USAGE;
    }
    int forms = csv + json + (xlsx != NULL) + (html != NULL);
    if (forms > 1) {
        sl_cli_err(command, "--csv、--json、--xlsx 和 --html 只能选一个",
                   "--csv, --json, --xlsx and --html exclude each other");
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
        sl_lang_fprintf(err, "%s: %s\n", command, why);
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
            sl_lang_fprintf(err, "%s: %s\n", command, why);
        else
            sl_tprintf(out, "已写入：%s\n", "written: %s\n", req->file);
        break;
    case SL_FORM_HTML: {
        FILE *f = fopen(req->file, "w");
        rc = f ? sl_render_html(r, f) : -1;
        if (f && fclose(f))
            rc = -1;
        if (rc) {
            fprintf(err, "%s: ", command);
            sl_tprintf(err, "不能写入 %s\n", "cannot write %s\n", req->file);
        } else {
            sl_tprintf(out, "已写入：%s\n", "written: %s\n", req->file);
        }
        break;
    }
    }
    if (rc && req->form != SL_FORM_XLSX && req->form != SL_FORM_HTML) {
        fprintf(err, "%s: ", command);
        sl_tprintf(err, "不能写出报表\n", "cannot write the report\n");
    }
    sl_report_destroy(&r);
    return rc ? SL_EXIT_FAIL : 0;
}
