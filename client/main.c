/* shuanglian-site: the community service center's tool.
 *
 *   shuanglian-site init --site ID [--server ENDPOINT] [--data DIR]
 *   shuanglian-site record add TYPE FIELD=VALUE…      (asks on a terminal for what is missing)
 *   shuanglian-site record import TYPE FILE.csv [--allow-duplicates|--skip-duplicates]
 *   shuanglian-site record export TYPE FILE.csv
 *   shuanglian-site record list [--type TYPE] [--limit N] [--tsv]
 *   shuanglian-site record types [TYPE] [--brief|--same-row]
 *   shuanglian-site record imports
 *   shuanglian-site status
 *   shuanglian-site sync [--watch]
 *   shuanglian-site ref list [KIND]
 *   shuanglian-site web [passwd] [--listen HOST:PORT]
 *
 * Entry works with no network at all; only `sync` talks to the server.
 * This file parses arguments and prints; the work is in site_store.c and
 * site_sync.c. */
#include "site_commands.h"
#include "site_entry.h"
#include "site_store.h"
#include "site_sync.h"
#include "site_web.h"
#include "sl_cli.h"
#include "sl_commands.h"
#include "sl_csv.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_refkinds.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <czmq.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define PROG "shuanglian-site"
#define DEFAULT_DATA "site-data"
#define DEFAULT_SERVER "tcp://127.0.0.1:7450"

static const char *s_data = DEFAULT_DATA;
#define DATA_OPT { "--data", "DIR", SL_D("站点数据目录（默认 " DEFAULT_DATA "）", \
                                         "site data directory (default " DEFAULT_DATA ")"), &s_data, NULL }

static site_store_t *s_open(const char *command)
{
    char err[512];
    site_store_t *store = site_store_open(s_data, err, sizeof err);
    if (!store)
        fprintf(stderr, "%s: %s\n", command, err);
    return store;
}

static void s_time(int64_t ms, char *out, size_t cap)
{
    if (ms <= 0) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int s_print_notice(void *ctx, int64_t received_ms, const char *text)
{
    (void) ctx;
    char when[32];
    s_time(received_ms, when, sizeof when);
    sl_tprintf(stdout, "【区里的通知，%s】%s\n", "[notice from the district, %s] %s\n", when, text);
    return 0;
}

/* Notices from the district not shown yet: printed once (P1: no network). */
static void s_show_notices(site_store_t *store)
{
    site_store_notices_take(store, s_print_notice, NULL);
}

/* init --bundle into a directory that already holds this site (a lost key,
 * a revocation, an expired bundle): its records stay; the old key files
 * are set aside (site.key.before-bundle) and the new bundle's enrollment
 * replaces the old key at the server.  Another site's directory is refused. */
static int s_init_existing(const sl_bundle_t *b, char *err, size_t errlen)
{
    site_store_t *store = site_store_open(s_data, err, errlen);
    if (!store)
        return -1;
    int rc = 0;
    if (strcmp(site_store_site_id(store), b->site) != 0) {
        sl_tf(err, errlen, "%s 里是站点 %s，注册包是给 %s 的：请换一个目录（--data）",
              "%s holds site %s, but the bundle is for %s: use another directory (--data)", s_data,
              site_store_site_id(store), b->site);
        rc = -1;
    } else {
        char path[600], aside[700];
        const char *names[] = { "site.key", "site.key.next", "enroll.key" };
        for (size_t i = 0; i < 3 && rc == 0; i++) {
            snprintf(path, sizeof path, "%s/%s", s_data, names[i]);
            snprintf(aside, sizeof aside, "%s.before-bundle", path);
            if (access(path, F_OK) == 0 && rename(path, aside) != 0) {
                sl_tf(err, errlen, "无法把 %.400s 改名", "cannot set %.400s aside", path);
                rc = -1;
            }
        }
        sl_tprintf(stdout, "站点目录已存在：保留 %llu 条记录，旧密钥文件改名为 *.before-bundle\n",
                   "the site directory exists: its %llu records are kept, the old key files "
                   "renamed *.before-bundle\n", (unsigned long long) site_store_last_seq(store));
    }
    site_store_destroy(&store);
    return rc;
}

/* init --bundle: the site's store, its own long-term key pair (made here:
 * its secret never travels) and the bundle's one-time key, kept until the
 * first sync has enrolled the long-term key. */
static int s_init_bundle(const char *path)
{
    char err[600], keypath[600];
    sl_bundle_t b;
    if (sl_bundle_read(path, &b, err, sizeof err)) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    if (b.expires_ms < sl_now_ms()) {
        char when[32];
        s_time(b.expires_ms, when, sizeof when);
        sl_cli_err(PROG " init", "这个注册包已于 %s 过期，请向区管理员要一个新的",
                   "this enrollment bundle expired on %s; ask the district administrator for a "
                   "new one", when);
        memset(&b.enroll, 0, sizeof b.enroll);
        return SL_EXIT_FAIL;
    }
    sl_keypair_t mine;
    char dbpath[600];
    snprintf(dbpath, sizeof dbpath, "%s/site.db", s_data);
    bool existing = access(dbpath, F_OK) == 0;
    int rc = existing ? s_init_existing(&b, err, sizeof err)
                      : site_store_init(s_data, b.site, b.server, err, sizeof err);
    site_store_t *store = rc ? NULL : site_store_open(s_data, err, sizeof err);
    if (store && existing)
        rc = site_store_set_server(store, b.server);
    if (!store || site_store_set_meta(store, "server_public", b.server_public)
        || site_store_set_meta(store, "community", b.community)) {
        fprintf(stderr, PROG " init: %s\n", store ? SL_T("无法写入站点数据库",
                                                        "cannot write the site database") : err);
        site_store_destroy(&store);
        memset(&b.enroll, 0, sizeof b.enroll);
        return SL_EXIT_FAIL;
    }
    site_store_destroy(&store);
    snprintf(keypath, sizeof keypath, "%s/site.key", s_data);
    rc = sl_keypair_new(&mine) || sl_keyfile_write(keypath, &mine, "shuanglian site key", err, sizeof err);
    snprintf(keypath, sizeof keypath, "%s/enroll.key", s_data);
    rc = rc || sl_keyfile_write(keypath, &b.enroll, "one-time enrollment key (deleted once enrolled)",
                                err, sizeof err);
    memset(&mine, 0, sizeof mine);
    memset(&b.enroll, 0, sizeof b.enroll);
    if (rc) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    if (existing)
        sl_tprintf(stdout, "新注册包已装入现有站点目录，原有记录都保留：%s（%s），目录 %s，服务器 %s\n",
                   "the new bundle is installed in the existing site directory, every record "
                   "kept: %s (%s) in %s, server %s\n", b.site, b.community, s_data, b.server);
    else
        sl_tprintf(stdout, "站点已创建：%s（%s），目录 %s，服务器 %s\n",
                   "site created: %s (%s) in %s, server %s\n", b.site, b.community, s_data,
                   b.server);
    sl_tprintf(stdout, "  现在就可以录入记录；第一次同步完成注册。\n"
               "  请现在删除注册包文件：%s\n",
               "  records can be entered now; the first sync completes the enrollment.\n"
               "  delete the bundle file now: %s\n", path);
    return 0;
}

static int s_init(int argc, char **argv)
{
    const char *site = NULL, *server = DEFAULT_SERVER, *bundle = NULL;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--bundle", "FILE", SL_D("区里发的注册包（通常的做法）",
                                   "enrollment bundle from the district (the normal way)"),
          &bundle, NULL },
        { "--site", "ID", SL_D("不用注册包时：本站点编号，只用于以 --insecure 运行的服务器（仅限同一台电脑上的"
                               "测试）", "without a bundle: this site's id, for a server run with "
                               "--insecure (benchmarks and tests on one machine only)"), &site, NULL },
        { "--server", "ENDPOINT", SL_D("不用注册包时：服务器地址（默认 " DEFAULT_SERVER "）",
                                       "without a bundle: the server (default " DEFAULT_SERVER ")"),
          &server, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " init", "--bundle FILE [--data DIR]",
                          SL_D("用区里发的注册包创建本站点的本地存储（DIR/site.db）和本站点自己的密钥对"
                               "（DIR/site.key）。马上就可以录入记录；第一次同步完成注册。",
                               "Creates this site's local store (DIR/site.db) from the "
                               "enrollment bundle the district gave you, and this site's own key "
                               "pair (DIR/site.key).  Records can be entered at once; the first "
                               "sync completes the enrollment."), opts, 4, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (bundle && site) {
        sl_cli_err(PROG " init", "--bundle 和 --site 只能写一个", "give --bundle or --site, not both");
        return SL_EXIT_USAGE;
    }
    if (bundle)
        return s_init_bundle(bundle);
    if (!site) {
        sl_cli_err(PROG " init", "需要 --bundle FILE（见 " PROG " init --help）",
                   "--bundle FILE is required (see " PROG " init --help)");
        return SL_EXIT_USAGE;
    }
    char err[512];
    if (site_store_init(s_data, site, server, err, sizeof err)) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    sl_tprintf(stdout, "站点已创建：%s，存储 %s/site.db，服务器 %s（没有密钥：只能用于以 --insecure 运行的服务器）\n",
               "site created: %s in %s/site.db, server %s (no keys: for a server run with "
               "--insecure only)\n", site, s_data, server);
    return 0;
}

/* The record type the user named, or NULL after saying what the types are. */
static const sl_rtype_t *s_type(const char *command, const char *name)
{
    char err[1200];
    const sl_rtype_t *rt = site_entry_type(name, err, sizeof err);
    if (!rt)
        sl_lang_fprintf(stderr, "%s: %s (%s " PROG " record types)\n", command, err,
                        SL_T("见", "see"));

    return rt;
}

/* ---- record add, with prompts on a terminal ------------------------------------------ */

typedef struct {
    char (*values)[SL_MAX_TEXT_BYTES + 1];
    char (*labels)[300];
    size_t n, cap;
} prompt_choices_t;

static int s_prompt_choice(void *ctx, const char *value, const char *label)
{
    prompt_choices_t *c = ctx;
    if (c->n >= c->cap)
        return 1;
    snprintf(c->values[c->n], sizeof c->values[c->n], "%s", value);
    snprintf(c->labels[c->n], sizeof c->labels[c->n], "%s", label);
    c->n++;
    return 0;
}

/* Asks for one field on the terminal until the answer reads as the field
 * reads it (a number picks a choice).  0 with the answer in out, or -1 at
 * the end of input. */
static int s_prompt_field(site_store_t *store, const sl_field_t *f, char *out, size_t cap)
{
    enum { MAX_CHOICES = 40 };
    static char values[MAX_CHOICES][SL_MAX_TEXT_BYTES + 1];
    static char labels[MAX_CHOICES][300];
    prompt_choices_t c = { values, labels, 0, MAX_CHOICES };
    site_entry_choices(store, f, MAX_CHOICES, s_prompt_choice, &c);
    char today[11];
    sl_schema_date_text(sl_schema_today(), today);
    char name[300];
    sl_dpair(name, sizeof name, f->label, f->name);
    sl_tprintf(stderr, "%s（必填）\n", "%s (required)\n", name);
    for (size_t i = 0; i < c.n; i++)
        sl_lang_fprintf(stderr, "  %2zu  %s\n", i + 1, labels[i]);
    if (f->type == SL_F_REF && c.n == 0) {
        sl_dpair(name, sizeof name, f->label, f->choices);
        sl_tprintf(stderr, "  （本站点还没有%s参考数据，先同步一次）\n",
                   "  (no %s reference data yet: sync first)\n", name);
    }
    const char *hint = c.n ? SL_T("输入编号或值", "number or value")
                     : f->type == SL_F_DATE ? SL_T("日期，如 2026-03-05 或 2026/3/5",
                                                   "date, e.g. 2026-03-05 or 2026/3/5")
                     : f->type == SL_F_INT ? SL_T("整数", "whole number")
                     : f->type == SL_F_ITEM ? SL_T("记录序号", "record, #SEQ")
                     : SL_T("文字", "text");
    for (;;) {
        if (f->type == SL_F_DATE)
            fprintf(stderr, "%s（%s %s）: ", hint, SL_T("回车 = 今天", "Enter = today"), today);
        else
            fprintf(stderr, "%s: ", hint);
        fflush(stderr);
        char line[SL_MAX_TEXT_BYTES + 2];
        if (!fgets(line, sizeof line, stdin))
            return -1;
        line[strcspn(line, "\r\n")] = 0;
        char err[900], text[SL_MAX_TEXT_BYTES + 1], half[32], *end;
        long pick = sl_schema_halfwidth(line, strlen(line), half, sizeof half) > 0
                    ? strtol(half, &end, 10) : 0;
        while (pick && *end == ' ')
            end++;
        if (c.n && pick >= 1 && (size_t) pick <= c.n && *end == 0) {
            snprintf(out, cap, "%s", values[pick - 1]);     /* a number picks a choice */
            return 0;
        }
        int n = sl_schema_entry_value(f, line, strlen(line), sl_schema_today(), text,
                                      sizeof text, err, sizeof err, NULL);
        if (n == 0 && f->type == SL_F_DATE) {
            snprintf(out, cap, "%s", today);
            return 0;
        }
        if (n > 0) {
            snprintf(out, cap, "%s", text);
            return 0;
        }
        fprintf(stderr, "  %s\n", n == 0 ? SL_T("必填，请输入", "required: please answer") : err);
    }
}

static int s_record_add(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[SL_MAX_FIELDS + 1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record add", "TYPE FIELD=VALUE… [--data DIR]",
                          SL_D("在本机保存一条记录（不需要网络）。'record types' 列出类型和字段；也可以写中文名"
                               "（一事一评 星级=5）。日期可写 2026-03-05、2026/3/5 或 2026年3月5日。"
                               "记录可用 #序号 指明（'record list' 显示的数字）；单位或党员写代码或名称。"
                               "在终端上，没写的必填字段会逐项询问，选项带编号。\n"
                               "示例：" PROG " record add rating item=#12 stars=5",
                               "Saves one record locally (works offline).  'record types' lists "
                               "the types and fields; their Chinese names work too.  Dates may "
                               "be 2026-03-05 or 2026/3/5.  A record id may be given as #SEQ, "
                               "the number that 'record list' shows; a unit or member by its "
                               "code or name.  On a terminal, required fields left out are asked "
                               "for, with the choices numbered.\n"
                               "example: " PROG " record add rating item=#12 stars=5"),
                          opts, 1, pos, SL_MAX_FIELDS + 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos < 1) {
        sl_cli_err(PROG " record add", "缺少记录类型（见 " PROG " record types）",
                   "TYPE is required (see " PROG " record types)");
        return SL_EXIT_USAGE;
    }
    const sl_rtype_t *rt = s_type(PROG " record add", pos[0]);
    if (!rt)
        return SL_EXIT_USAGE;
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS];
    char *copies[SL_MAX_FIELDS], *answers[SL_MAX_FIELDS];
    size_t n = 0, nanswers = 0;
    for (size_t i = 1; i < npos; i++) {
        char *eq = strchr(pos[i], '=');
        if (!eq || eq == pos[i]) {
            sl_cli_err(PROG " record add", "\"%s\" 应写成 字段=值", "\"%s\" must be FIELD=VALUE",
                       pos[i]);
            for (size_t k = 0; k < n; k++)
                free(copies[k]);
            return SL_EXIT_USAGE;
        }
        copies[n] = strndup(pos[i], (size_t) (eq - pos[i]));
        names[n] = copies[n];
        values[n] = eq + 1;
        n++;
    }
    site_store_t *store = s_open(PROG " record add");
    rc = store ? 0 : SL_EXIT_FAIL;
    /* On a terminal, ask for the required fields left out; never when the
     * input is a file or a pipe (scripts get the refusal and exit 64). */
    const sl_field_t *missing[SL_MAX_FIELDS];
    size_t nmissing = rc == 0 && isatty(STDIN_FILENO)
                      ? site_entry_missing(rt, n, names, values, missing, SL_MAX_FIELDS) : 0;
    char tname[200];
    sl_dpair(tname, sizeof tname, rt->label, rt->name);
    if (nmissing)
        sl_tprintf(stderr, "%s：还需要填 %zu 项\n", "%s: %zu more required field(s)\n", tname,
                   nmissing);
    for (size_t m = 0; rc == 0 && m < nmissing && n < SL_MAX_FIELDS; m++) {
        char answer[SL_MAX_TEXT_BYTES + 1];
        if (s_prompt_field(store, missing[m], answer, sizeof answer)) {
            fputc('\n', stderr);
            sl_cli_err(PROG " record add", "未保存：输入已结束", "not saved: input ended");
            rc = SL_EXIT_USAGE;
            break;
        }
        answers[nanswers] = strdup(answer);
        names[n] = missing[m]->name;
        values[n++] = answers[nanswers++];
    }
    char err[2048];
    site_entry_saved_t saved;
    if (!rc) {
        rc = (int) site_entry_add(store, rt, n, names, values, &saved, err, sizeof err, NULL);
        if (rc)
            sl_lang_fprintf(stderr, PROG " record add: %s: %s\n", SL_T("未保存", "not saved"), err);
    }
    if (!rc) {
        char text[SL_ID_TEXT];
        sl_id_format(saved.id, text);
        sl_lang_fprintf(stdout, "%s: %s #%llu id=%s\n", SL_T("已保存", "saved"), tname,
                        (unsigned long long) saved.seq, text);
        if (saved.warning[0])
            printf("  %s: %s\n", SL_T("注意", "note"), saved.warning);

        s_show_notices(store);
    }
    for (size_t k = 0; k < nanswers; k++)
        free(answers[k]);
    for (size_t k = 0; k < n - nanswers; k++)
        free(copies[k]);
    site_store_destroy(&store);
    return rc;
}

/* ---- record import, export, imports ---------------------------------------------------- */

static int s_record_import(int argc, char **argv)
{
    bool allow = false, skip = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--allow-duplicates", NULL, SL_D("照样保存重复的行和导入过的文件",
                                           "save duplicate rows, and a file imported before, "
                                           "anyway"), NULL, &allow },
        { "--skip-duplicates", NULL, SL_D("只保存不重复的行",
                                          "save only the rows that are not duplicates"),
          NULL, &skip },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record import",
                          "TYPE FILE.csv [--allow-duplicates | --skip-duplicates] [--data DIR]",
                          SL_D("把表格文件的每一行存为一条 TYPE 记录，全部保存或全部不保存：第一个有错的行"
                               "使导入停下，指明行和列，什么也不保存。文件可以是 Excel 或 WPS 另存的"
                               " CSV UTF-8、CSV（GBK）或 Unicode 文本（UTF-16，制表符分隔）；第一行写"
                               "字段（中文名或字段名）；空行、空列和“序号”列不读。已经保存过的文件或行"
                               "会被拒绝，并说明是什么时候保存的。",
                               "Saves every row of a CSV file as a record of TYPE, all or none: "
                               "the first bad row stops the import, naming its line and column, "
                               "and nothing is saved.  The file may be saved by Excel or WPS as "
                               "CSV UTF-8, CSV (GBK) or Unicode text (UTF-16, tab-separated); "
                               "the first row names the fields (Chinese labels or field names); "
                               "empty rows and columns and a sequence-number column are ignored.  "
                               "A file or rows already saved are refused, naming when."),
                          opts, 3, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 2) {
        sl_cli_err(PROG " record import", "需要记录类型和文件", "TYPE and FILE are required");
        return SL_EXIT_USAGE;
    }
    if (allow && skip) {
        sl_cli_err(PROG " record import", "--allow-duplicates 和 --skip-duplicates 只能选一个",
                   "give one of --allow-duplicates and --skip-duplicates");
        return SL_EXIT_USAGE;
    }
    const sl_rtype_t *rt = s_type(PROG " record import", pos[0]);
    if (!rt)
        return SL_EXIT_USAGE;
    FILE *f = strcmp(pos[1], "-") == 0 ? stdin : fopen(pos[1], "rb");
    if (!f) {
        sl_cli_err(PROG " record import", "无法读取 %s：%s", "cannot read %s: %s", pos[1],
                   strerror(errno));
        return SL_EXIT_FAIL;
    }
    site_store_t *store = s_open(PROG " record import");
    if (!store) {
        if (f != stdin)
            fclose(f);
        return SL_EXIT_FAIL;
    }
    static char err[8192];
    static site_entry_import_t res;
    const char *base = strrchr(pos[1], '/');
    site_entry_import_opts_t io = { .file_name = base ? base + 1 : pos[1],
                                    .allow_duplicates = allow, .skip_duplicates = skip };
    rc = (int) site_entry_import(store, rt, f, &io, &res, err, sizeof err);
    if (rc) {
        sl_lang_fprintf(stderr, PROG " record import: %s: %s\n", pos[1], err);
        if (res.notes[0])
            sl_lang_fputs(res.notes, stderr);
        sl_tprintf(stderr, "  没有保存任何记录\n", "  nothing was saved\n");
    } else {
        char tname[200];
        sl_dpair(tname, sizeof tname, rt->label, rt->name);
        sl_tprintf(stdout, "已保存：%ld 条%s，来自 %s（%s%s）\n", "saved: %ld %s records from %s (%s%s)\n",
                   res.rows, tname, pos[1], res.encoding, res.separator == '\t'
                   ? SL_D("，制表符分隔", ", tab-separated") : "");
        if (res.blank)
            sl_lang_fprintf(stdout, "  %s: %ld\n", SL_T("跳过空行", "empty rows ignored"), res.blank);
        if (res.ignored[0])
            sl_lang_fprintf(stdout, "  %s: %s\n", SL_T("忽略的列", "columns ignored"), res.ignored);
        if (res.skipped)
            sl_lang_fprintf(stdout, "  %s: %ld\n", SL_T("跳过重复的行", "duplicate rows skipped"),
                            res.skipped);
        if (res.duplicates)
            sl_lang_fprintf(stdout, "  %s: %ld\n", SL_T("照样保存的重复行",
                                                      "duplicate rows saved anyway"), res.duplicates);
        if (res.notes[0])
            sl_lang_fputs(res.notes, stdout);
        if (res.import_no)
            sl_tprintf(stdout, "  第 %ld 次导入（record imports）\n", "  import %ld (record imports)\n",
                       res.import_no);
    }
    if (f != stdin)
        fclose(f);
    site_store_destroy(&store);
    return rc;
}

static int s_record_export(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record export", "TYPE FILE.csv [--data DIR]",
                          SL_D("把一种记录按从旧到新写成表格文件：Excel 和 WPS 可以直接打开（带 BOM 的 "
                               "UTF-8，中文表头，选项写中文名），'record import' 读回来不变。“序号”列是"
                               "本站点的序号（导入时不读）。FILE 写 - 则输出到标准输出。",
                               "Writes every record of TYPE, oldest first, to a CSV file that "
                               "Excel and WPS open as it is (UTF-8 with a byte-order mark, Chinese "
                               "headings, choices by their Chinese names) and that 'record "
                               "import' reads back unchanged.  The first column is this site's "
                               "seq (import ignores it).  FILE - writes standard output."),
                          opts, 1, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 2) {
        sl_cli_err(PROG " record export", "需要记录类型和文件", "TYPE and FILE are required");
        return SL_EXIT_USAGE;
    }
    const sl_rtype_t *rt = s_type(PROG " record export", pos[0]);
    if (!rt)
        return SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " record export");
    if (!store)
        return SL_EXIT_FAIL;
    FILE *f = strcmp(pos[1], "-") == 0 ? stdout : fopen(pos[1], "wb");
    if (!f) {
        sl_cli_err(PROG " record export", "无法写入 %s：%s", "cannot write %s: %s", pos[1],
                   strerror(errno));
        site_store_destroy(&store);
        return SL_EXIT_FAIL;
    }
    char err[600];
    long rows = 0;
    rc = site_entry_export(store, rt, f, &rows, err, sizeof err) ? SL_EXIT_FAIL : 0;
    if (f != stdout && fclose(f) != 0 && rc == 0) {
        snprintf(err, sizeof err, "%s", strerror(errno));
        rc = SL_EXIT_FAIL;
    }
    if (rc)
        fprintf(stderr, PROG " record export: %s: %s\n", pos[1], err);
    else if (f != stdout) {
        char tname[200];
        sl_dpair(tname, sizeof tname, rt->label, rt->name);
        sl_tprintf(stdout, "已导出：%ld 条%s，写入 %s\n", "exported: %ld %s records to %s\n", rows, tname,
                   pos[1]);
    }
    site_store_destroy(&store);
    return rc;
}

static int s_import_row(void *ctx, const site_import_t *im)
{
    char no[24], when[32], rows[24], range[64];
    const sl_rtype_t *rt = sl_schema_find(im->type, strlen(im->type));
    snprintf(no, sizeof no, "%ld", im->no);
    s_time(im->at_ms, when, sizeof when);
    snprintf(rows, sizeof rows, "%ld", im->rows);
    snprintf(range, sizeof range, "#%llu-#%llu", (unsigned long long) im->first_seq,
             (unsigned long long) im->last_seq);
    char type[200];
    sl_dpair(type, sizeof type, rt ? rt->label : "", im->type);
    const char *row[] = { no, when, type, rows, range, im->encoding, im->file };
    return sl_table_add(ctx, row);
}

static int s_record_imports(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record imports", "[--data DIR]",
                          SL_D("列出本站点以前的 CSV 导入，最新的在前：时间、类型、条数（及其序号）、文件的编码和"
                               "文件名。", "Lists the CSV imports of this site, newest first: when, "
                               "the type, how many records (their seqs), the file's encoding and "
                               "name."),
                          opts, 1, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " record imports");
    if (!store)
        return SL_EXIT_FAIL;
    const char *heads[] = { SL_D("导入", "no"), SL_D("时间", "when"), SL_D("类型", "type"),
                            SL_D("条数", "rows"), SL_D("记录", "records"), SL_D("编码", "encoding"),
                            SL_D("文件", "file") };
    sl_table_t *t = sl_table_new(7, heads);
    sl_table_align(t, 0, 'r');
    sl_table_align(t, 3, 'r');
    rc = t && site_store_imports_each(store, 0, s_import_row, t) == 0 ? 0 : SL_EXIT_FAIL;
    if (rc)
        sl_cli_err(PROG " record imports", "无法读取导入记录", "cannot read the import history");

    else
        sl_table_print(t, stdout);
    sl_table_destroy(&t);
    site_store_destroy(&store);
    return rc;
}

/* ---- record list, types ---------------------------------------------------------------- */

struct list_ctx {
    site_store_t *store;
    uint64_t acked;
    bool tsv;
    sl_table_t *table;
    sl_item_t *item;
};

/* An item's state for people: its status, 已作废 when void. */
static void s_state(struct list_ctx *ctx, const site_record_t *rec, char *out, size_t cap)
{
    char err[300], name[32], label[64];
    out[0] = 0;
    if (!rec->rt || site_store_item(ctx->store, rec->seq, ctx->item, err, sizeof err) != 1)
        return;
    sl_fold_status_name(ctx->item, ctx->item->status, name, sizeof name, label, sizeof label);
    if (ctx->item->voided)
        snprintf(out, cap, "%s", SL_T("已作废", "void"));
    else
        sl_tpair(out, cap, strcmp(label, name) ? label : "", name);
    if (!ctx->item->voided && ctx->item->ratings)
        snprintf(out + strlen(out), cap - strlen(out), "%s%d★", out[0] ? " " : "",
                 ctx->item->stars);
}

static int s_list_row(void *vctx, const site_record_t *rec)
{
    struct list_ctx *ctx = vctx;
    char seq[32], when[32], id[SL_ID_TEXT], state[128], content[2048];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long) rec->seq);
    s_time(rec->wall_ms, when, sizeof when);
    sl_id_format(rec->id, id);
    site_entry_render(ctx->store, rec, content, sizeof content);
    s_state(ctx, rec, state, sizeof state);
    bool synced = rec->seq <= ctx->acked;
    if (ctx->tsv) {
        /* Columns of 0.2.0 first (scripts cut them by number), the new
         * state column last. */
        printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", seq, rec->type, when, synced ? "yes" : "no", id,
               content, state);
    } else {
        const char *type = sl_lang_either(rec->rt ? rec->rt->label : NULL, rec->type);
        const char *row[] = { seq, type, when, synced ? SL_D("已同步", "yes") : SL_D("待同步", "no"),

                              state, id, content };
        sl_table_add(ctx->table, row);
    }
    return 0;
}

static int s_record_list(int argc, char **argv)
{
    const char *type = NULL, *limit = "20";
    bool tsv = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--type", "TYPE", SL_D("只列这一种记录（中文或英文名）", "only records of this type"), &type,
          NULL },
        { "--limit", "N", SL_D("最新的 N 条（默认 20；0 = 全部）", "newest N records (default 20; 0 = all)"),
          &limit, NULL },
        { "--tsv", NULL, SL_D("制表符分隔，供脚本读取", "tab-separated, for scripts"), NULL, &tsv },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record list",
                          "[--type TYPE] [--limit N] [--tsv] [--data DIR]",
                          SL_D("列出记录，最新的在前，带同步状态；事项还带当前状态。",
                               "Lists saved records, newest first, with their sync state and, "
                               "for items, their current status."), opts, 4, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long lim;
    if (sl_cli_number(PROG " record list", "--limit", limit, 0, 1000000000, &lim))
        return SL_EXIT_USAGE;
    if (type && !s_type(PROG " record list", type))
        return SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " record list");
    if (!store)
        return SL_EXIT_FAIL;
    struct list_ctx ctx = { .store = store, .acked = site_store_acked(store), .tsv = tsv,
                            .item = sl_item_new() };
    const char *heads[] = { SL_D("序号", "seq"), SL_D("类型", "type"), SL_D("录入时间", "entered"),
                            SL_D("同步", "synced"), SL_D("状态", "state"), SL_D("编号", "id"),
                            SL_D("内容", "content") };
    ctx.table = sl_table_new(7, heads);
    sl_table_align(ctx.table, 0, 'r');
    const sl_rtype_t *only = type ? sl_schema_find_entry(type) : NULL;
    rc = ctx.item && ctx.table
         && site_store_records(store, only ? only->name : NULL, lim, s_list_row, &ctx) == 0
         ? 0 : SL_EXIT_FAIL;
    if (rc)
        sl_cli_err(PROG " record list", "无法读取记录", "cannot read the records");

    else if (!tsv)
        sl_table_print(ctx.table, stdout);
    sl_table_destroy(&ctx.table);
    sl_item_destroy(&ctx.item);
    site_store_destroy(&store);
    return rc;
}

/* A status of a lifecycle for people, as a dual pair ("已完成" "done"). */
static const char *s_status_text(const sl_lifecycle_t *life, const char *name, char *out,
                                 size_t cap)
{
    char label[64] = "";
    int i = sl_schema_status(life, name, strlen(name));
    if (i >= 0)
        sl_schema_part(life->labels, (size_t) i, label, sizeof label);
    sl_dpair(out, cap, label, name);
    return out;
}

/* A '|'-separated list of statuses as a dual pair: "计划、推进中" and
 * "planned, in_progress". */
static void s_statuses_text(const sl_lifecycle_t *life, const char *list, char *out, size_t cap)
{
    char name[32], label[64], zh[300] = "", en[300] = "";
    size_t zu = 0, eu = 0;
    for (size_t i = 0; list && sl_schema_part(list, i, name, sizeof name); i++) {
        int k = sl_schema_status(life, name, strlen(name));
        if (k < 0 || !sl_schema_part(life->labels, (size_t) k, label, sizeof label))
            snprintf(label, sizeof label, "%s", name);
        if (zu < sizeof zh)
            zu += (size_t) snprintf(zh + zu, sizeof zh - zu, "%s%s", i ? "、" : "", label);
        if (eu < sizeof en)
            eu += (size_t) snprintf(en + eu, sizeof en - eu, "%s%s", i ? ", " : "", name);
    }
    sl_dpair(out, cap, zh, en);
}

/* The lifecycle of a type and its same-row rule, after its fields. */
static void s_type_rules(const sl_rtype_t *rt)
{
    const sl_lifecycle_t *l = rt->life;
    char a[200], b[200], list[900];
    if (l) {
        sl_tprintf(stdout, "状态和进展（进展记录可以做的变动）：\n",
                   "statuses and the moves an update may make:\n");
        s_statuses_text(l, l->create ? l->create : l->initial, list, sizeof list);
        sl_tprintf(stdout, "  新建时：%s\n", "  created as: %s\n", list);
        if (l->create_needs) {
            s_statuses_text(l, l->create_needs, list, sizeof list);
            sl_tprintf(stdout, "  新建为 %s 时须有责任单位或党员\n",
                       "  created as %s: needs a unit or member\n", list);
        }
        for (size_t m = 0; m < l->nmoves; m++) {
            const char *needs = l->moves[m].needs;
            sl_lang_fprintf(stdout, "  %s → %s%s\n", s_status_text(l, l->moves[m].from, a, sizeof a),
                            s_status_text(l, l->moves[m].to, b, sizeof b),
                            !needs ? "" : strcmp(needs, "note") == 0
                            ? SL_T("（须写说明）", " (needs a note)")
                            : SL_T("（须有责任单位或党员）", " (needs a unit or member)"));
        }
        sl_tprintf(stdout, "  评价、计数：%s\n", "  rated and counted when: %s\n",
                   s_status_text(l, l->good, a, sizeof a));
    }
    char zh[400], en[400];
    site_entry_same_row_text(rt, zh, sizeof zh, en, sizeof en);
    sl_dpair(list, sizeof list, zh, en);
    sl_tprintf(stdout, "重复的行（record import）：%s相同\n", "the same row (record import): same %s\n",
               list);
}

/* Joins a dual pair onto a cell's text. */
static size_t s_add_pair(char *out, size_t used, size_t cap, const char *sep, const char *zh,
                         const char *en)
{
    if (used < cap)
        used += (size_t) snprintf(out + used, cap - used, "%s", sep);
    if (used < cap)
        used += sl_dpair(out + used, cap - used, zh, en);
    return used;
}

/* The range column of a field: its choices, what it refers to, its limits
 * (dual: the table shows it in the reader's language). */
static void s_field_range(const sl_field_t *f, char *range, size_t cap)
{
    range[0] = 0;
    if (f->type == SL_F_ENUM) {
        char name[65], label[65];
        size_t used = 0;
        for (size_t c = 0; used < cap && sl_schema_choice(f, c, name, sizeof name, label,
                                                          sizeof label); c++)
            used = s_add_pair(range, used, cap, c ? " | " : "", label, name);
    } else if (f->type == SL_F_ITEM && strcmp(f->choices, "*") == 0) {
        snprintf(range, cap, "%s", SL_D("本站点任一记录", "any record of this site"));
    } else if (f->type == SL_F_ITEM) {
        char name[SL_MAX_NAME_BYTES + 1];
        size_t used = 0;
        for (size_t i = 0; used < cap && sl_schema_part(f->choices, i, name, sizeof name); i++) {
            const sl_rtype_t *t = sl_schema_find(name, strlen(name));
            used = s_add_pair(range, used, cap, i ? " | " : "", t ? t->label : "", name);
        }
    } else if (f->type == SL_F_REF) {
        const sl_refkind_t *k = sl_refkind_find(f->choices);
        size_t used = s_add_pair(range, 0, cap, "", k ? k->label : "", f->choices);
        s_add_pair(range, used, cap, " ", "代码或名称", "code or name");
    } else if (f->type == SL_F_DATE) {
        s_add_pair(range, 0, cap, "2000-01-01..2099-12-31 ", "不晚于明天", "not after tomorrow");
    } else if (f->type == SL_F_TEXT) {
        int n = snprintf(range, cap, "%lld..%lld ", (long long) f->min, (long long) f->max);
        s_add_pair(range, n > 0 ? (size_t) n : 0, cap, "", "字", "chars");
    } else {
        snprintf(range, cap, "%lld..%lld", (long long) f->min, (long long) f->max);
    }
}

static void s_type_fields(const sl_rtype_t *rt)
{
    static const char *tnames[] = { SL_D("文字", "text"), SL_D("整数", "integer"),
                                    SL_D("日期", "date"), SL_D("选项", "choice"),
                                    SL_D("记录", "record (#SEQ)"), SL_D("参考数据", "reference") };
    /* The Chinese label is a column of its own, left out for a reader of English. */
    bool labels = sl_lang_reader() != SL_LANG_EN;
    const char *heads[] = { SL_D("字段", "field"), SL_D("名称", "label"), SL_D("类型", "type"),
                            SL_D("必填", "required"), SL_D("范围", "range") };
    const char *heads_en[] = { heads[0], heads[2], heads[3], heads[4] };
    sl_table_t *t = sl_table_new(labels ? 5 : 4, labels ? heads : heads_en);
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        char range[900];
        s_field_range(f, range, sizeof range);
        const char *req = f->required ? SL_D("是", "yes") : SL_D("否", "no");
        const char *row[] = { f->name, f->label, tnames[f->type], req, range };
        const char *row_en[] = { f->name, tnames[f->type], req, range };
        sl_table_add(t, labels ? row : row_en);
    }
    sl_table_print(t, stdout);
    sl_table_destroy(&t);
}

static int s_record_types(int argc, char **argv)
{
    bool markdown = false, brief = false, same_row = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--brief", NULL, SL_D("每种一行", "one line per type"), NULL, &brief },
        { "--same-row", NULL, SL_D("每种记录怎样算重复的行", "what makes two rows the same, per type"),
          NULL, &same_row },
        { "--markdown", NULL, SL_D("proto/PROTOCOL.md 第 7.2 节的类型目录",
                                   "the catalog of proto/PROTOCOL.md section 7.2"), NULL, &markdown },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record types",
                          "[TYPE] [--brief | --same-row | --markdown] [--data DIR]",
                          SL_D("列出记录类型：每个字段的中文名、类型和范围，状态和进展可以做的变动，以及导入时"
                               "怎样算重复的行。写了 TYPE（名称或中文名）就只列这一种。",
                               "Lists the record types: each field with its Chinese name, kind "
                               "and range, the statuses and the moves of an update, and what "
                               "makes two rows the same for an import.  With TYPE (its name or "
                               "Chinese name) only that type."), opts, 4, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (markdown) {
        sl_schema_markdown(stdout);
        return 0;
    }
    const sl_rtype_t *only = npos ? s_type(PROG " record types", pos[0]) : NULL;
    if (npos && !only)
        return SL_EXIT_USAGE;
    if (brief || same_row) {
        /* For a reader of English: the wire name and the English, no Chinese label. */
        bool en_only = sl_lang_reader() == SL_LANG_EN;
        const char *heads[] = { SL_D("类型", "type"), SL_D("名称", "name"),
                                brief ? SL_D("用途", "what it records")
                                : SL_D("这些字段相同即为重复的行", "the same row: these fields equal") };
        sl_table_t *t = sl_table_new(en_only ? 2 : 3, en_only ? heads + 1 : heads);
        for (size_t i = 0; i < sl_schema_count(); i++) {
            const sl_rtype_t *rt = sl_schema_at(i);
            char zh[400], en[400], rule[820];
            site_entry_same_row_text(rt, zh, sizeof zh, en, sizeof en);
            sl_dpair(rule, sizeof rule, zh, en);
            const char *row[] = { rt->label, rt->name, brief ? rt->label_en : rule };
            if (!only || only == rt)
                sl_table_add(t, en_only ? row + 1 : row);
        }
        sl_table_print(t, stdout);
        sl_table_destroy(&t);
        return 0;
    }
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        if (only && only != rt)
            continue;
        if (sl_lang_reader() == SL_LANG_EN)
            printf("%s (%s)\n", rt->name, rt->label_en);
        else
            printf("%s %s (%s)\n", rt->label, rt->name, rt->label_en);
        s_type_fields(rt);
        s_type_rules(rt);
        if (!only && i + 1 < sl_schema_count())
            printf("\n");
    }
    return 0;
}

static int s_record(int argc, char **argv)
{
    static const sl_verb_t verbs[] = {
        { "add", s_record_add }, { "import", s_record_import }, { "export", s_record_export },
        { "list", s_record_list }, { "types", s_record_types }, { "imports", s_record_imports },
    };
    /* `record --data DIR VERB …` as well as `record VERB … --data DIR`. */
    while (argc >= 2 && strcmp(argv[0], "--data") == 0) {
        s_data = argv[1];
        argc -= 2;
        argv += 2;
    }
    for (size_t i = 0; argc >= 1 && i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[0], verbs[i].verb) == 0)
            return verbs[i].run(argc - 1, argv + 1);
    bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
    if (argc >= 1 && !help) {
        sl_cli_err(PROG " record", "没有 \"%s\" 这个命令", "unknown verb \"%s\"", argv[0]);
        fputc('\n', stderr);
    }
    static const sl_cli_verb_help_t lines[] = {
        { "add TYPE FIELD=VALUE…", SL_D("录入一条记录（不需要网络）", "save one record (works offline)") },
        { "import TYPE FILE.csv", SL_D("导入表格文件，全部保存或全部不保存",
                                       "save every row of a CSV file, all or nothing") },
        { "export TYPE FILE.csv", SL_D("导出为表格文件", "write the records of TYPE to a CSV file") },
        { "list [--type TYPE]", SL_D("查看记录：最新的记录及是否已同步",
                                     "newest records and whether they are synced") },
        { "types", SL_D("记录类型和字段", "record types and their fields") },
        { "imports", SL_D("以前的导入", "the CSV imports done so far") },
    };
    sl_cli_verbs_help(help ? stdout : stderr, PROG " record",
                      "add|import|export|list|types|imports … [--data DIR]", NULL, lines,
                      sizeof lines / sizeof lines[0], 24, NULL);
    return help ? 0 : SL_EXIT_USAGE;

}

/* One line for people: is all well, and if not, what to do.  Read from
 * what the store knows (status works offline). */
static void s_summary(site_store_t *store, char *out, size_t cap)
{
    char code[8], result[SITE_SYNC_TEXT_MAX], ok_ms[32], att_ms[32], path[600], when[32];
    uint64_t last = site_store_last_seq(store), acked = site_store_acked(store);
    uint64_t pending = last > acked ? last - acked : 0;
    site_store_meta(store, "last_sync_code", code, sizeof code);
    site_store_meta(store, "last_sync_result", result, sizeof result);
    site_store_meta(store, "last_sync_ok_ms", ok_ms, sizeof ok_ms);
    site_store_meta(store, "last_sync_attempt_ms", att_ms, sizeof att_ms);
    snprintf(path, sizeof path, "%s/enroll.key", s_data);
    int64_t now = sl_now_ms(), ok = atoll(ok_ms), att = atoll(att_ms);
    struct statvfs v;
    uint64_t free_mb = statvfs(s_data, &v) == 0 ? (uint64_t) v.f_bavail * v.f_frsize >> 20 : 0;
    s_time(att, when, sizeof when);
    /* The stored result is dual (site_sync.c): its English part says what happened. */
    if (access(path, F_OK) == 0 && !att)
        sl_tf(out, cap, "尚未完成注册：请在能连网时运行 shuanglian-site sync（记录可以先录入）",
              "not enrolled yet: run shuanglian-site sync when the network is up (records can be "
              "entered now)");
    else if (strstr(result, "forked"))
        sl_tf(out, cap, "历史记录分叉：请不要再录入，保持本目录原样，联系区管理员",
              "history has forked: enter nothing more, keep this directory as it is and call the "
              "district administrator");
    else if (strstr(result, "revoked") || strstr(result, "replaced by a newer")
             || strstr(result, "bundle was already used") || strstr(result, "expired on"))
        sl_tf(out, cap, "本站的密钥或注册包已不能使用：请联系区管理员重新注册（记录都保存在本机）",
              "this site's key or bundle no longer works: ask the district administrator to "
              "enroll it again (every record is kept here)");
    else if (free_mb && free_mb < 200)
        sl_tf(out, cap, "磁盘空间只剩 %llu MB：请清理磁盘，否则将无法保存记录",
              "only %llu MB of disk left: free some space, or records cannot be saved",
              (unsigned long long) free_mb);
    else if (!att)
        sl_tf(out, cap, "还没有同步过：请运行 shuanglian-site sync（%llu 条记录在本机）",
              "never synced: run shuanglian-site sync (%llu records here)", (unsigned long long) last);
    else if (atoi(code) == 2 && pending)
        sl_tf(out, cap, "连不上服务器（上次尝试 %s）：请检查网络，或联系区管理员；%llu 条记录已安全保存在本机，"
              "连上后自动上传", "cannot reach the server (last try %s): check the network or "
              "call the district administrator; %llu records are safe here and go up once "
              "connected", when, (unsigned long long) pending);
    else if (atoi(code) == 2)
        sl_tf(out, cap, "连不上服务器（上次尝试 %s）：请检查网络，或联系区管理员；录入不受影响",
              "cannot reach the server (last try %s): check the network or call the district "
              "administrator; entry works as usual", when);
    else if (atoi(code) != 0)
        sl_tf(out, cap, "上次同步没有完成（%s，%.400s）：请再运行 shuanglian-site sync，仍不行请联系区管理员",
              "the last sync did not finish (%s, %.400s): run shuanglian-site sync again, and "
              "call the district administrator if it fails again", when, result);
    else if (pending && now - ok > 3 * 86400000LL)
        sl_tf(out, cap, "有 %llu 条记录已 %lld 天没有上传：请运行 shuanglian-site sync",
              "%llu records have waited %lld days: run shuanglian-site sync",
              (unsigned long long) pending, (long long) ((now - ok) / 86400000));
    else if (pending)
        sl_tf(out, cap, "一切正常：%llu 条新记录下次同步时上传",
              "all is well: %llu new records go up at the next sync", (unsigned long long) pending);
    else
        sl_tf(out, cap, "一切正常：全部 %llu 条记录都已上传（上次同步 %s）",
              "all is well: all %llu records are on the server (last sync %s)",
              (unsigned long long) last, when);
}


static int s_status(int argc, char **argv)
{
    bool tsv = false;
    sl_opt_t opts[] = { DATA_OPT, { "--tsv", NULL, SL_D("供脚本读取（键<TAB>值）",
                                                        "machine-readable output (key<TAB>value)"),
                                    NULL, &tsv } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " status", "[--data DIR] [--tsv]",
                          SL_D("显示本机记录、待同步的记录和上次同步的情况。不需要网络。",
                               "Shows local records, the outbox and the last sync.  Works "
                               "offline."), opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " status");
    if (!store)
        return SL_EXIT_FAIL;
    uint64_t last = site_store_last_seq(store), acked = site_store_acked(store);
    uint64_t pending = last > acked ? last - acked : 0;
    char ok_ms[32], att_ms[32], result[SITE_SYNC_TEXT_MAX], server_seq[32], log_head[32];
    site_store_meta(store, "last_sync_ok_ms", ok_ms, sizeof ok_ms);
    site_store_meta(store, "last_sync_attempt_ms", att_ms, sizeof att_ms);
    site_store_meta(store, "last_sync_result", result, sizeof result);
    site_store_meta(store, "server_seq", server_seq, sizeof server_seq);
    site_store_meta(store, "log_head", log_head, sizeof log_head);
    long long refs = sl_db_int(site_store_db(store), "SELECT count(*) FROM refdata", 0);
    char when_ok[32], when_att[32], v[8][64];
    s_time(atoll(ok_ms), when_ok, sizeof when_ok);
    s_time(atoll(att_ms), when_att, sizeof when_att);
    snprintf(v[0], 64, "%llu", (unsigned long long) last);
    snprintf(v[1], 64, "%llu", (unsigned long long) pending);
    snprintf(v[2], 64, "%llu", (unsigned long long) acked);
    snprintf(v[3], 64, "%llu", (unsigned long long) site_store_cursor(store));
    snprintf(v[4], 64, "%s", *log_head ? log_head : "-");
    snprintf(v[5], 64, "%lld", refs);
    /* --tsv keeps the English of the last result, as scripts read it. */
    char result_en[800];
    sl_lang_render_as(SL_LANG_EN, result, strlen(result), result_en, sizeof result_en);
    const char *rows[][3] = {
        { SL_D("站点", "site"), "site", site_store_site_id(store) },
        { SL_D("服务器", "server"), "server", site_store_server(store) },
        { SL_D("本地记录", "local records"), "local_records", v[0] },
        { SL_D("待同步", "outbox pending"), "outbox_pending", v[1] },
        { SL_D("服务器已确认", "acknowledged up to"), "acked_seq", v[2] },
        { SL_D("最近成功同步", "last successful sync"), "last_sync_ok", when_ok },
        { SL_D("最近同步尝试", "last sync attempt"), "last_sync_attempt", when_att },
        { SL_D("最近结果", "last result"), "last_sync_result",
          *result ? (tsv ? result_en : result) : "-" },
        { SL_D("下行游标", "server cursor"), "cursor", v[3] },
        { SL_D("服务器日志头", "server log head (at last sync)"), "log_head", v[4] },
        { SL_D("参考数据", "reference entries"), "refdata", v[5] },
    };
    char summary[2400];
    s_summary(store, summary, sizeof summary);
    if (!tsv)
        printf("%s\n\n", summary);
    const char *heads[] = { SL_D("项目", "item"), SL_D("值", "value") };

    sl_table_t *t = sl_table_new(2, heads);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (tsv) {
            printf("%s\t%s\n", rows[i][1], rows[i][2]);
        } else {
            const char *row[] = { rows[i][0], rows[i][2] };
            sl_table_add(t, row);
        }
    }
    if (tsv)
        printf("summary\t%s\n", summary);
    else
        sl_table_print(t, stdout);
    sl_table_destroy(&t);
    if (!tsv)
        s_show_notices(store);
    site_store_destroy(&store);
    return 0;
}

static void s_on_signal(int sig)
{
    (void) sig;
    site_sync_stop();
}

static bool s_rotate_key;       /* set by the rotate-key verb */

static int s_sync(int argc, char **argv)
{
    bool watch = false, quiet = false;
    const char *timeout = "10", *server = NULL, *connect = "2";
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--watch", NULL, SL_D("保持连接；新记录一保存就上传", "stay connected; push new records as "
                                "they are saved"), NULL, &watch },
        { "--timeout", "S", SL_D("S 秒没有回答就放弃（默认 10）",
                                 "give up after S seconds without an answer (default 10)"),
          &timeout, NULL },
        { "--server", "ENDPOINT", SL_D("这次用这个服务器，而不是 init 时设定的",
                                       "use this server instead of the one set at init"),
          &server, NULL },
        { "--quiet", NULL, SL_D("日志只写警告和错误", "log only warnings and errors"), NULL, &quiet },
        { "--connect-timeout", "S", SL_D("同步一次时：S 秒内连不上就说服务器连不上（默认 2）",
                                         "one-shot: say the server is unreachable when no "
                                         "connection is made within S seconds (default 2)"),
          &connect, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " sync", "[--watch] [--timeout S] [--data DIR]",
                          SL_D("把还没同步的记录发给区服务器，并接收参考数据。不加 --watch 时：同步一次，"
                               "打印摘要后退出\n"
                               "（0 与服务器一致，2 连不上服务器，3 被服务器拒绝，1 本机出错）。无论怎样"
                               "记录都不会丢失。",
                               "Sends unsynced records to the district server and receives "
                               "reference data.  Without --watch: syncs once, prints a summary "
                               "and exits\n"
                               "(0 level with the server, 2 server unreachable, 3 refused by the "
                               "server, 1 local failure).  Records are never lost either way."),
                          opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long secs, csecs;
    if (sl_cli_number(PROG " sync", "--timeout", timeout, 1, 86400, &secs)
        || sl_cli_number(PROG " sync", "--connect-timeout", connect, 1, 86400, &csecs))
        return SL_EXIT_USAGE;
    if (server && (strncmp(server, "tcp://", 6) != 0 || !strchr(server + 6, ':'))) {
        sl_cli_err(PROG " sync", "--server \"%s\" 应写成 tcp://主机:端口",
                   "--server \"%s\" must look like tcp://HOST:PORT", server);
        return SL_EXIT_USAGE;
    }
    site_store_t *store = s_open(PROG " sync");
    if (!store)
        return SL_EXIT_FAIL;
    /* The site's log level (a setting the district may change), and its
     * log file: what the `log` command sends back. */
    char level[16], logpath[600];
    site_commands_setting(store, "log_level", level, sizeof level);
    if (sl_log_level_parse(level) >= 0)
        sl_log_set_level((sl_log_level_t) sl_log_level_parse(level));
    if (quiet)
        sl_log_set_level(SL_LOG_WARN);
    snprintf(logpath, sizeof logpath, "%s/site.log", s_data);
    if (sl_log_set_file(logpath, 1024 * 1024))
        sl_twarn("无法写入日志文件 %s", "cannot write the log file %s", logpath);
    zsys_handler_set(NULL);
    struct sigaction sa = { 0 };
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    site_sync_opts_t so = { .watch = watch, .connect_timeout_ms = (int) secs * 1000,
                            .connect_wait_ms = (int) csecs * 1000,
                            .endpoint = server, .data_dir = s_data, .rotate = s_rotate_key };
    site_sync_report_t r;
    site_sync_result_t result = site_sync_run(store, &so, &r);
    uint64_t pending = r.local_last > r.acked_after ? r.local_last - r.acked_after : 0;
    const char *word = result == SITE_SYNC_OK ? SL_T("同步完成", "sync done")
                     : result == SITE_SYNC_UNREACHABLE ? SL_T("未连上服务器", "server unreachable")
                     : result == SITE_SYNC_REFUSED ? SL_T("服务器拒绝", "refused")
                     : SL_T("同步失败", "sync failed");
    sl_lang_fprintf(stdout, "%s: %s\n", word, r.text);
    if (r.enrolled)
        sl_tprintf(stdout, "  注册完成：本站点今后用自己的密钥连接\n",
                   "  enrolled: this site now connects with its own key\n");
    if (r.rotated)
        sl_tprintf(stdout, "  密钥已更换：旧密钥不再有效\n", "  key rotated: the old key no longer works\n");
    else if (s_rotate_key && result == SITE_SYNC_OK)
        sl_tprintf(stdout, "  密钥更换没有得到确认，请再运行 rotate-key\n",
                   "  key rotation was not confirmed; run rotate-key again\n");
    if (result == SITE_SYNC_UNREACHABLE || result == SITE_SYNC_FAILED)
        sl_tprintf(stdout, "  站点 %s：本机保存 %llu 条记录，%llu 条等待上传；记录已安全保存在本机\n",
                   "  site %s: %llu records saved here, %llu waiting to send; records are safe "
                   "on this computer\n", site_store_site_id(store),
                   (unsigned long long) r.local_last, (unsigned long long) pending);
    else
        sl_tprintf(stdout, "  站点 %s：%llu 条记录，服务器已有 %llu 条，%llu 条等待上传\n",
                   "  site %s: %llu records, server holds %llu, %llu waiting to send\n",
                   site_store_site_id(store), (unsigned long long) r.local_last,
                   (unsigned long long) r.server_seq, (unsigned long long) pending);
    sl_tprintf(stdout, "  发送 %llu 条，新确认 %llu 条，从服务器恢复 %llu 条，应用参考数据 %llu 条（游标 %llu）\n",
               "  sent %llu, acknowledged %llu new, restored from server %llu, reference "
               "entries applied %llu (cursor %llu)\n", (unsigned long long) r.sent_events,
               (unsigned long long) (r.acked_after > r.acked_before ? r.acked_after - r.acked_before : 0),
               (unsigned long long) r.restored, (unsigned long long) r.log_entries,
               (unsigned long long) r.cursor_after);

    site_store_destroy(&store);
    sl_log_set_file(NULL, 0);
    switch (result) {
    case SITE_SYNC_OK: return 0;
    case SITE_SYNC_UNREACHABLE: return SL_EXIT_UNREACHABLE;
    case SITE_SYNC_REFUSED: return SL_EXIT_REFUSED;
    default: return SL_EXIT_FAIL;
    }
}

/* One row of `ref list`: with a kind, its fields as columns; without, the
 * kind and the whole entry in one column. */
typedef struct {
    sl_table_t *table;
    const sl_refkind_t *kind;       /* NULL: every kind */
    char *texts;                    /* kind: a cell per field, SL_MAX_TEXT_BYTES each */
    size_t rows;
} ref_rows_t;

static int s_ref_row(void *ctx, const char *kind, const char *key, const char *value,
                     size_t value_len, uint64_t lseq)
{
    ref_rows_t *x = ctx;
    char seq[24], content[SL_MAX_TEXT_BYTES], kind_text[200];
    const char *row[2 + SL_MAX_FIELDS + 1];
    size_t n = 0;
    snprintf(seq, sizeof seq, "%llu", (unsigned long long) lseq);
    if (x->kind) {
        row[n++] = key;
        sl_refvalue_cells(x->kind, value, value_len, x->texts, SL_MAX_TEXT_BYTES, row + n);
        n += x->kind->nfields;
    } else {
        const sl_refkind_t *k = sl_refkind_find(kind);
        sl_dpair(kind_text, sizeof kind_text, k ? k->label : "", kind);
        sl_refvalue_render(k, value, value_len, content, sizeof content);
        row[n++] = kind_text;
        row[n++] = key;
        row[n++] = content;
    }
    row[n++] = seq;
    x->rows++;
    return sl_table_add(x->table, row);
}

static int s_ref(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " ref", "list [KIND] [--data DIR]",
                          SL_D("显示从区服务器收到的参考数据（单位、党员、社区、年度要求、参数……）。写了 KIND"
                               "（名称或中文名，如 member 或 在职党员）则每个字段一列。",
                               "Shows the reference data received from the district server "
                               "(units, members, communities, targets, settings …).  With KIND "
                               "(a wire name or its Chinese name, e.g. member), one column per "
                               "field."),
                          opts, 1, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos < 1 || strcmp(pos[0], "list") != 0) {
        sl_cli_err(PROG " ref", "应为 'list [KIND]'", "expected 'list [KIND]'");
        return SL_EXIT_USAGE;
    }
    ref_rows_t x = { .kind = npos > 1 ? sl_refkind_find(pos[1]) : NULL };
    if (npos > 1 && !x.kind) {
        char err[600];
        sl_refkind_unknown(pos[1], err, sizeof err);
        fprintf(stderr, PROG " ref list: %s\n", err);
        return SL_EXIT_USAGE;
    }
    site_store_t *store = s_open(PROG " ref");
    if (!store)
        return SL_EXIT_FAIL;
    const char *heads[2 + SL_MAX_FIELDS + 1];
    char texts[SL_MAX_FIELDS + 1][SL_MAX_NAME_BYTES * 3];
    size_t n = 0;
    if (x.kind) {
        n += sl_refkind_headings(x.kind, texts[0], sizeof texts[0], heads);
    } else {
        heads[n++] = SL_D("类别", "kind");
        heads[n++] = SL_D("键", "key");
        heads[n++] = SL_D("内容", "content");
    }
    heads[n++] = SL_D("序号", "lseq");
    x.table = sl_table_new(n, heads);
    x.texts = malloc((x.kind ? x.kind->nfields : 1) * SL_MAX_TEXT_BYTES);
    rc = x.table && x.texts ? site_store_ref_each(store, x.kind ? x.kind->name : NULL,
                                                  s_ref_row, &x) : -1;
    free(x.texts);
    if (rc)
        sl_cli_err(PROG " ref list", "无法读取参考数据", "cannot read the reference data");
    else
        sl_table_print(x.table, stdout);
    sl_table_destroy(&x.table);
    site_store_destroy(&store);
    return rc ? SL_EXIT_FAIL : 0;
}

static int s_rotate(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        sl_cli_verbs_help(stdout, PROG " rotate-key", "[--data DIR] [--timeout S]",
                          SL_D("经服务器同意，把本站点的密钥对换成新的，然后同步。历史记录和待同步的记录不变。\n"
                               "中途断了可以再运行：它会完成同一次更换。",
                               "Replaces this site's key pair with a new one, with the server's "
                               "agreement, then syncs.  History and outbox are untouched.\n"
                               "Safe to run again after an interruption: it finishes the same "
                               "rotation."), NULL, 0, 0, SL_T("--lang zh|en：界面语言",
                                                             "--lang zh|en: language"));
        return 0;
    }
    s_rotate_key = true;
    return s_sync(argc, argv);
}

/* set-server: the server address this site syncs with, changed here (the
 * district can also send the command set_server). */
static int s_set_server(int argc, char **argv)
{
    bool previous = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--previous", NULL, SL_D("改回上一次更改前的地址", "go back to the address used before the "
                                   "last change"), NULL, &previous },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " set-server", "tcp://HOST:PORT | --previous "
                          "[--data DIR]", SL_D("更改本站点同步用的区服务器地址（旧地址会保留：--previous "
                                               "改回去）。不需要网络；下次同步时生效。",
                                               "Changes the address of the district server this "
                                               "site syncs with (the old one is kept: --previous "
                                               "goes back to it).  Works offline; the next sync "
                                               "uses it."), opts, 2, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if ((npos == 1) == previous) {
        sl_cli_err(PROG " set-server", "请写新地址（tcp://主机:端口）或 --previous",
                   "give the new address (tcp://HOST:PORT) or --previous");
        return SL_EXIT_USAGE;
    }
    site_store_t *store = s_open(PROG " set-server");
    if (!store)
        return SL_EXIT_FAIL;
    char err[600], endpoint[256], before[256];
    snprintf(before, sizeof before, "%s", site_store_server(store));
    if (previous)
        site_store_meta(store, "server_previous", endpoint, sizeof endpoint);
    else
        snprintf(endpoint, sizeof endpoint, "%s", pos[0]);
    bool loopback = false;
    if (!endpoint[0]) {
        sl_cli_err(PROG " set-server", "没有以前的地址", "no previous address is known");
        rc = SL_EXIT_USAGE;
    } else if (sl_endpoint_check(endpoint, &loopback, err, sizeof err)) {
        fprintf(stderr, PROG " set-server: %s\n", err);
        rc = SL_EXIT_USAGE;
    } else if (site_commands_set(store, "server", endpoint, err, sizeof err)) {
        fprintf(stderr, PROG " set-server: %s\n", err);
        rc = SL_EXIT_FAIL;
    } else {
        sl_tprintf(stdout, "服务器地址已更改：%s → %s（下次同步生效）\n",
                   "server address changed: %s → %s (used from the next sync)\n", before, endpoint);
        if (loopback)
            sl_tprintf(stdout, "  注意：%s 是本机地址，只有服务器和站点在同一台电脑上才能用\n",
                       "  note: %s is this computer: it only works when the server runs on it\n",
                       endpoint);
    }
    site_store_destroy(&store);
    return rc;
}

static void s_usage(FILE *out)
{
    static const sl_cli_verb_help_t verbs[] = {
        { "init", SL_D("创建本站点的本地存储", "create this site's local store") },
        { "record", SL_D("录入、导入、导出、查看记录；记录类型；导入记录",
                         "add, import, export, list records; record types; imports") },
        { "status", SL_D("本机记录、待同步、上次同步（不需要网络）",
                         "local records, outbox, last sync (offline)") },
        { "sync", SL_D("把记录发给服务器，接收参考数据", "send records to the server, receive "
                       "reference data") },
        { "ref", SL_D("从服务器收到的参考数据", "reference data received from the server") },
        { "rotate-key", SL_D("更换本站点的密钥对（历史和待同步记录不变）",
                             "replace this site's key pair (keeps history and outbox)") },
        { "set-server", SL_D("更改区服务器的地址", "change the address of the district server") },
        { "web", SL_D("在浏览器里打开本站点的页面（http://127.0.0.1:8620/）",
                      "this site's pages in a browser (http://127.0.0.1:8620/)") },
    };
    sl_cli_program_help(out, PROG,
                        SL_D("双进双联的社区站点：记录保存在本机，有网络时同步到区服务器。\n\n命令：",
                             "The community site of shuanglian: records are saved locally and "
                             "synced to the district server when a link exists.\n\nverbs:"),
                        verbs, sizeof verbs / sizeof verbs[0]);
}

int main(int argc, char **argv)
{
    static const sl_verb_t verbs[] = {
        { "init", s_init }, { "record", s_record }, { "status", s_status },
        { "sync", s_sync }, { "ref", s_ref }, { "rotate-key", s_rotate },
        { "set-server", s_set_server },
        { "web", site_web_main },
    };
    return sl_cli_main(argc, argv, PROG, verbs, sizeof verbs / sizeof verbs[0], s_usage);
}
