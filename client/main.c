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
#define DATA_OPT { "--data", "DIR", "site data directory (default " DEFAULT_DATA ")", &s_data, NULL }

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
    printf("【区里的通知 notice from the district, %s】%s\n", when, text);
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
        snprintf(err, errlen, "%s 里是站点 %s，注册包是给 %s 的：请换一个目录（--data） %s holds site %s, "
                 "but the bundle is for %s: use another directory (--data)", s_data,
                 site_store_site_id(store), b->site, s_data, site_store_site_id(store), b->site);
        rc = -1;
    } else {
        char path[600], aside[700];
        const char *names[] = { "site.key", "site.key.next", "enroll.key" };
        for (size_t i = 0; i < 3 && rc == 0; i++) {
            snprintf(path, sizeof path, "%s/%s", s_data, names[i]);
            snprintf(aside, sizeof aside, "%s.before-bundle", path);
            if (access(path, F_OK) == 0 && rename(path, aside) != 0) {
                snprintf(err, errlen, "cannot set %.400s aside", path);
                rc = -1;
            }
        }
        printf("站点目录已存在：保留 %llu 条记录，旧密钥文件改名为 *.before-bundle the site directory "
               "exists: its %llu records are kept, the old key files renamed *.before-bundle\n",
               (unsigned long long) site_store_last_seq(store),
               (unsigned long long) site_store_last_seq(store));
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
        fprintf(stderr, PROG " init: this enrollment bundle expired on %s; ask the district "
                "administrator for a new one\n", when);
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
        fprintf(stderr, PROG " init: %s\n", store ? "cannot write the site database" : err);
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
        printf("新注册包已装入现有站点目录，原有记录都保留 the new bundle is installed in the existing "
               "site directory, every record kept: %s (%s) in %s, server %s\n", b.site,
               b.community, s_data, b.server);
    else
        printf("站点已创建 site created: %s (%s) in %s, server %s\n", b.site, b.community, s_data,
               b.server);
    printf("  records can be entered now; the first sync completes the enrollment.\n"
           "  请删除注册包文件 delete the bundle file now: %s\n", path);
    return 0;
}

static int s_init(int argc, char **argv)
{
    const char *site = NULL, *server = DEFAULT_SERVER, *bundle = NULL;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--bundle", "FILE", "enrollment bundle from the district (the normal way)", &bundle, NULL },
        { "--site", "ID", "without a bundle: this site's id, for a server run with --insecure "
          "(benchmarks and tests on one machine only)", &site, NULL },
        { "--server", "ENDPOINT", "without a bundle: the server (default " DEFAULT_SERVER ")",
          &server, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " init", "--bundle FILE [--data DIR]",
                          "Creates this site's local store (DIR/site.db) from the enrollment "
                          "bundle the district gave you, and this site's own key pair "
                          "(DIR/site.key).  Records can be entered at once; the first sync "
                          "completes the enrollment.", opts, 4, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (bundle && site) {
        fprintf(stderr, PROG " init: give --bundle or --site, not both\n");
        return SL_EXIT_USAGE;
    }
    if (bundle)
        return s_init_bundle(bundle);
    if (!site) {
        fprintf(stderr, PROG " init: --bundle FILE is required (see " PROG " init --help)\n");
        return SL_EXIT_USAGE;
    }
    char err[512];
    if (site_store_init(s_data, site, server, err, sizeof err)) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    printf("站点已创建 site created: %s in %s/site.db, server %s (no keys: for a server run "
           "with --insecure only)\n", site, s_data, server);
    return 0;
}

/* The record type the user named, or NULL after saying what the types are. */
static const sl_rtype_t *s_type(const char *command, const char *name)
{
    char err[1200];
    const sl_rtype_t *rt = site_entry_type(name, err, sizeof err);
    if (!rt)
        fprintf(stderr, "%s: %s (see " PROG " record types)\n", command, err);
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
    fprintf(stderr, "%s %s（必填 required）\n", f->label, f->name);
    for (size_t i = 0; i < c.n; i++)
        fprintf(stderr, "  %2zu  %s\n", i + 1, labels[i]);
    if (f->type == SL_F_REF && c.n == 0)
        fprintf(stderr, "  （本站点还没有%s参考数据，先同步一次 no %s reference data yet: sync first）\n",
                f->label, f->choices);
    const char *hint = c.n ? "输入编号或值 number or value"
                     : f->type == SL_F_DATE ? "日期 date，如 2026-03-05 或 2026/3/5"
                     : f->type == SL_F_INT ? "整数 whole number"
                     : f->type == SL_F_ITEM ? "记录序号 record, #SEQ" : "文字 text";
    for (;;) {
        if (f->type == SL_F_DATE)
            fprintf(stderr, "%s（回车 = 今天 Enter = today %s）: ", hint, today);
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
        fprintf(stderr, "  %s\n", n == 0 ? "必填，请输入 required: please answer" : err);
    }
}

static int s_record_add(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[SL_MAX_FIELDS + 1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record add", "TYPE FIELD=VALUE… [--data DIR]",
                          "保存一条记录（不需要网络） Saves one record locally (works offline).  "
                          "'record types' lists the types and fields; Chinese names work too "
                          "(一事一评 星级=5).  Dates may be 2026-03-05, 2026/3/5 or 2026年3月5日.  "
                          "A record id may be given as #SEQ, the number that 'record list' shows; "
                          "a unit or member by its code or name.  On a terminal, required fields "
                          "left out are asked for, with the choices numbered.\n"
                          "example: " PROG " record add rating item=#12 stars=5",
                          opts, 1, pos, SL_MAX_FIELDS + 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos < 1) {
        fprintf(stderr, PROG " record add: 缺少记录类型 TYPE is required (see " PROG
                " record types)\n");
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
            fprintf(stderr, PROG " record add: \"%s\" 应写成 字段=值 must be FIELD=VALUE\n", pos[i]);
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
    if (nmissing)
        fprintf(stderr, "%s %s：还需要填 %zu 项 %zu more required field(s)\n", rt->label, rt->name,
                nmissing, nmissing);
    for (size_t m = 0; rc == 0 && m < nmissing && n < SL_MAX_FIELDS; m++) {
        char answer[SL_MAX_TEXT_BYTES + 1];
        if (s_prompt_field(store, missing[m], answer, sizeof answer)) {
            fprintf(stderr, "\n" PROG " record add: 未保存 not saved: 输入已结束 input ended\n");
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
            fprintf(stderr, PROG " record add: 未保存 not saved: %s\n", err);
    }
    if (!rc) {
        char text[SL_ID_TEXT];
        sl_id_format(saved.id, text);
        printf("已保存 saved: %s %s #%llu id=%s\n", rt->label, rt->name,
               (unsigned long long) saved.seq, text);
        if (saved.warning[0])
            printf("  注意 note: %s\n", saved.warning);
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
        { "--allow-duplicates", NULL, "照样保存重复的行和导入过的文件 save duplicate rows, and a file "
          "imported before, anyway", NULL, &allow },
        { "--skip-duplicates", NULL, "只保存不重复的行 save only the rows that are not duplicates",
          NULL, &skip },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record import",
                          "TYPE FILE.csv [--allow-duplicates | --skip-duplicates] [--data DIR]",
                          "把表格文件的每一行存为一条记录，全部保存或全部不保存 Saves every row of a CSV "
                          "file as a record of TYPE, all or none: the first bad row stops the "
                          "import, naming its line and column, and nothing is saved.  The file may "
                          "be saved by Excel or WPS as CSV UTF-8, CSV (GBK) or Unicode text "
                          "(UTF-16, tab-separated); the first row names the fields (Chinese "
                          "labels or field names); empty rows and columns and a 序号 column are "
                          "ignored.  A file or rows already saved are refused, naming when.",
                          opts, 3, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 2) {
        fprintf(stderr, PROG " record import: 需要记录类型和文件 TYPE and FILE are required\n");
        return SL_EXIT_USAGE;
    }
    if (allow && skip) {
        fprintf(stderr, PROG " record import: --allow-duplicates 和 --skip-duplicates 只能选一个 "
                "give one of --allow-duplicates and --skip-duplicates\n");
        return SL_EXIT_USAGE;
    }
    const sl_rtype_t *rt = s_type(PROG " record import", pos[0]);
    if (!rt)
        return SL_EXIT_USAGE;
    FILE *f = strcmp(pos[1], "-") == 0 ? stdin : fopen(pos[1], "rb");
    if (!f) {
        fprintf(stderr, PROG " record import: 无法读取 cannot read %s: %s\n", pos[1],
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
        fprintf(stderr, PROG " record import: %s: %s\n", pos[1], err);
        if (res.notes[0])
            fprintf(stderr, "%s", res.notes);
        fprintf(stderr, "  没有保存任何记录 nothing was saved\n");
    } else {
        printf("已保存 saved: %ld 条%s %s records from %s（%s%s）\n", res.rows, rt->label, rt->name,
               pos[1], res.encoding, res.separator == '\t' ? ", 制表符分隔 tab-separated" : "");
        if (res.blank)
            printf("  跳过空行 empty rows ignored: %ld\n", res.blank);
        if (res.ignored[0])
            printf("  忽略的列 columns ignored: %s\n", res.ignored);
        if (res.skipped)
            printf("  跳过重复的行 duplicate rows skipped: %ld\n", res.skipped);
        if (res.duplicates)
            printf("  照样保存的重复行 duplicate rows saved anyway: %ld\n", res.duplicates);
        if (res.notes[0])
            printf("%s", res.notes);
        if (res.import_no)
            printf("  第 %ld 次导入 import %ld (record imports)\n", res.import_no, res.import_no);
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
                          "把一种记录存为表格文件 Writes every record of TYPE, oldest first, to a "
                          "CSV file that Excel and WPS open as it is (UTF-8 with a byte-order "
                          "mark, Chinese headings, choices by their Chinese names) and that "
                          "'record import' reads back unchanged.  The 序号 column is this site's "
                          "seq (import ignores it).  FILE - writes standard output.",
                          opts, 1, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 2) {
        fprintf(stderr, PROG " record export: 需要记录类型和文件 TYPE and FILE are required\n");
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
        fprintf(stderr, PROG " record export: 无法写入 cannot write %s: %s\n", pos[1],
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
    else if (f != stdout)
        printf("已导出 exported: %ld 条%s %s records to %s\n", rows, rt->label, rt->name, pos[1]);
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
    const char *row[] = { no, when, rt ? rt->label : im->type, rows, range, im->encoding,
                          im->file };
    return sl_table_add(ctx, row);
}

static int s_record_imports(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record imports", "[--data DIR]",
                          "列出以前的导入 Lists the CSV imports of this site, newest first: when, "
                          "the type, how many records (their seqs), the file's encoding and name.",
                          opts, 1, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " record imports");
    if (!store)
        return SL_EXIT_FAIL;
    const char *heads[] = { "导入 no", "时间 when", "类型 type", "条数 rows", "记录 records",
                            "编码 encoding", "文件 file" };
    sl_table_t *t = sl_table_new(7, heads);
    sl_table_align(t, 0, 'r');
    sl_table_align(t, 3, 'r');
    rc = t && site_store_imports_each(store, 0, s_import_row, t) == 0 ? 0 : SL_EXIT_FAIL;
    if (rc)
        fprintf(stderr, PROG " record imports: 无法读取导入记录 cannot read the import history\n");
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
    snprintf(out, cap, "%s%s%s", ctx->item->voided ? "已作废 void" : label,
             ctx->item->voided || !label[0] ? "" : " ", ctx->item->voided ? "" : name);
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
        const char *row[] = { seq, rec->rt ? rec->rt->label : rec->type, when,
                              synced ? "已同步 yes" : "待同步 no", state, id, content };
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
        { "--type", "TYPE", "只列这一种记录（中文或英文名） only records of this type", &type, NULL },
        { "--limit", "N", "最新的 N 条（默认 20；0 = 全部） newest N records (default 20; 0 = all)",
          &limit, NULL },
        { "--tsv", NULL, "制表符分隔，供脚本读取 tab-separated, for scripts", NULL, &tsv },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record list",
                          "[--type TYPE] [--limit N] [--tsv] [--data DIR]",
                          "列出记录，最新的在前 Lists saved records, newest first, with their sync "
                          "state and, for items, their current status.", opts, 4, pos, 0, &npos);
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
    const char *heads[] = { "序号 seq", "类型 type", "录入时间 entered", "同步 synced",
                            "状态 state", "编号 id", "内容 content" };
    ctx.table = sl_table_new(7, heads);
    sl_table_align(ctx.table, 0, 'r');
    const sl_rtype_t *only = type ? sl_schema_find_entry(type) : NULL;
    rc = ctx.item && ctx.table
         && site_store_records(store, only ? only->name : NULL, lim, s_list_row, &ctx) == 0
         ? 0 : SL_EXIT_FAIL;
    if (rc)
        fprintf(stderr, PROG " record list: 无法读取记录 cannot read the records\n");
    else if (!tsv)
        sl_table_print(ctx.table, stdout);
    sl_table_destroy(&ctx.table);
    sl_item_destroy(&ctx.item);
    site_store_destroy(&store);
    return rc;
}

/* A status of a lifecycle for people: "已完成 done". */
static const char *s_status_text(const sl_lifecycle_t *life, const char *name, char *out,
                                 size_t cap)
{
    char label[64] = "";
    int i = sl_schema_status(life, name, strlen(name));
    if (i >= 0)
        sl_schema_part(life->labels, (size_t) i, label, sizeof label);
    snprintf(out, cap, "%s%s%s", label, label[0] ? " " : "", name);
    return out;
}

/* A '|'-separated list of statuses as "计划 planned、推进中 in_progress". */
static void s_statuses_text(const sl_lifecycle_t *life, const char *list, char *out, size_t cap)
{
    char name[32], text[100];
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; list && used < cap && sl_schema_part(list, i, name, sizeof name); i++)
        used += (size_t) snprintf(out + used, cap - used, "%s%s", i ? "、" : "",
                                  s_status_text(life, name, text, sizeof text));
}

/* The lifecycle of a type and its same-row rule, after its fields. */
static void s_type_rules(const sl_rtype_t *rt)
{
    const sl_lifecycle_t *l = rt->life;
    char a[100], b[100], list[600];
    if (l) {
        printf("状态和进展 statuses and the moves an update (进展) may make:\n");
        s_statuses_text(l, l->create ? l->create : l->initial, list, sizeof list);
        printf("  新建时 created as: %s\n", list);
        if (l->create_needs) {
            s_statuses_text(l, l->create_needs, list, sizeof list);
            printf("  新建为 %s 时须有责任单位或党员 needs a unit or member\n", list);
        }
        for (size_t m = 0; m < l->nmoves; m++) {
            const char *needs = l->moves[m].needs;
            printf("  %s → %s%s\n", s_status_text(l, l->moves[m].from, a, sizeof a),
                   s_status_text(l, l->moves[m].to, b, sizeof b),
                   !needs ? "" : strcmp(needs, "note") == 0 ? "（须写说明 needs a note）"
                                                             : "（须有责任单位或党员 needs a unit or member）");
        }
        printf("  评价、计数 rated and counted when: %s\n", s_status_text(l, l->good, a, sizeof a));
    }
    char zh[400], en[400];
    site_entry_same_row_text(rt, zh, sizeof zh, en, sizeof en);
    printf("重复的行 the same row (record import): %s相同 same %s\n", zh, en);
}

/* The range column of a field: its choices, what it refers to, its limits. */
static void s_field_range(const sl_field_t *f, char *range, size_t cap)
{
    if (f->type == SL_F_ENUM) {
        char name[65], label[65];
        size_t used = 0;
        range[0] = 0;
        for (size_t c = 0; used < cap && sl_schema_choice(f, c, name, sizeof name, label,
                                                          sizeof label); c++)
            used += (size_t) snprintf(range + used, cap - used, "%s%s %s", c ? " | " : "",
                                      label, name);
    } else if (f->type == SL_F_ITEM && strcmp(f->choices, "*") == 0) {
        snprintf(range, cap, "本站点任一记录 any record of this site");
    } else if (f->type == SL_F_ITEM) {
        char name[SL_MAX_NAME_BYTES + 1];
        size_t used = 0;
        for (size_t i = 0; used < cap && sl_schema_part(f->choices, i, name, sizeof name); i++) {
            const sl_rtype_t *t = sl_schema_find(name, strlen(name));
            used += (size_t) snprintf(range + used, cap - used, "%s%s %s", i ? " | " : "",
                                      t ? t->label : "", name);
        }
    } else if (f->type == SL_F_REF) {
        const sl_refkind_t *k = sl_refkind_find(f->choices);
        snprintf(range, cap, "%s %s 代码或名称 code or name", k ? k->label : "", f->choices);
    } else if (f->type == SL_F_DATE) {
        snprintf(range, cap, "2000-01-01..2099-12-31，不晚于明天 not after tomorrow");
    } else if (f->type == SL_F_TEXT) {
        snprintf(range, cap, "%lld..%lld 字 chars", (long long) f->min, (long long) f->max);
    } else {
        snprintf(range, cap, "%lld..%lld", (long long) f->min, (long long) f->max);
    }
}

static void s_type_fields(const sl_rtype_t *rt)
{
    static const char *tnames[] = { "文字 text", "整数 integer", "日期 date", "选项 choice",
                                    "记录 record (#SEQ)", "参考数据 reference" };
    const char *heads[] = { "字段 field", "名称 label", "类型 type", "必填 required",
                            "范围 range" };
    sl_table_t *t = sl_table_new(5, heads);
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        char range[600];
        s_field_range(f, range, sizeof range);
        const char *row[] = { f->name, f->label, tnames[f->type], f->required ? "是 yes" : "否 no",
                              range };
        sl_table_add(t, row);
    }
    sl_table_print(t, stdout);
    sl_table_destroy(&t);
}

static int s_record_types(int argc, char **argv)
{
    bool markdown = false, brief = false, same_row = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--brief", NULL, "每种一行 one line per type", NULL, &brief },
        { "--same-row", NULL, "每种记录怎样算重复的行 what makes two rows the same, per type", NULL,
          &same_row },
        { "--markdown", NULL, "the catalog of proto/PROTOCOL.md section 7.2", NULL, &markdown },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record types",
                          "[TYPE] [--brief | --same-row | --markdown] [--data DIR]",
                          "列出记录类型及其字段 Lists the record types: each field with its Chinese "
                          "name, kind and range, the statuses and the moves of an update, and "
                          "what makes two rows the same for an import.  With TYPE (its name or "
                          "Chinese name) only that type.", opts, 4, pos, 1, &npos);
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
        const char *heads[] = { "类型 type", "名称 name", brief ? "用途 what it records"
                                : "这些字段相同即为重复的行 the same row: these fields equal" };
        sl_table_t *t = sl_table_new(3, heads);
        for (size_t i = 0; i < sl_schema_count(); i++) {
            const sl_rtype_t *rt = sl_schema_at(i);
            char zh[400], en[400], rule[820];
            site_entry_same_row_text(rt, zh, sizeof zh, en, sizeof en);
            snprintf(rule, sizeof rule, "%s (%s)", zh, en);
            const char *row[] = { rt->label, rt->name, brief ? rt->label_en : rule };
            if (!only || only == rt)
                sl_table_add(t, row);
        }
        sl_table_print(t, stdout);
        sl_table_destroy(&t);
        return 0;
    }
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        if (only && only != rt)
            continue;
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
    if (argc >= 1 && !help)
        fprintf(stderr, PROG " record: 没有 \"%s\" 这个命令 unknown verb \"%s\"\n\n", argv[0], argv[0]);
    fprintf(help ? stdout : stderr,
            "usage: " PROG " record add|import|export|list|types|imports … [--data DIR]\n\n"
            "  add TYPE FIELD=VALUE…    录入一条记录 save one record (works offline)\n"
            "  import TYPE FILE.csv     导入表格文件，全部保存或全部不保存 save every row of a CSV\n"
            "                           file, all or nothing\n"
            "  export TYPE FILE.csv     导出为表格文件 write the records of TYPE to a CSV file\n"
            "  list [--type TYPE]       查看记录 newest records and whether they are synced\n"
            "  types                    记录类型和字段 record types and their fields\n"
            "  imports                  以前的导入 the CSV imports done so far\n");
    return help ? 0 : SL_EXIT_USAGE;
}

/* One line for people: is all well, and if not, what to do.  Read from
 * what the store knows (status works offline). */
static void s_summary(site_store_t *store, char *out, size_t cap)
{
    char code[8], result[600], ok_ms[32], att_ms[32], path[600], when[32];
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
    if (access(path, F_OK) == 0 && !att)
        snprintf(out, cap, "尚未完成注册：请在能连网时运行 shuanglian-site sync（记录可以先录入） not enrolled "
                 "yet: run shuanglian-site sync when the network is up (records can be entered now)");
    else if (strstr(result, "forked"))
        snprintf(out, cap, "历史记录分叉：请不要再录入，保持本目录原样，联系区管理员 history has forked: enter "
                 "nothing more, keep this directory as it is and call the district administrator");
    else if (strstr(result, "revoked") || strstr(result, "replaced by a newer")
             || strstr(result, "bundle was already used") || strstr(result, "expired on"))
        snprintf(out, cap, "本站的密钥或注册包已不能使用：请联系区管理员重新注册（记录都保存在本机） this site's "
                 "key or bundle no longer works: ask the district administrator to enroll it again "
                 "(every record is kept here)");
    else if (free_mb && free_mb < 200)
        snprintf(out, cap, "磁盘空间只剩 %llu MB：请清理磁盘，否则将无法保存记录 only %llu MB of disk "
                 "left: free some space, or records cannot be saved", (unsigned long long) free_mb,
                 (unsigned long long) free_mb);
    else if (!att)
        snprintf(out, cap, "还没有同步过：请运行 shuanglian-site sync（%llu 条记录在本机） never synced: "
                 "run shuanglian-site sync (%llu records here)", (unsigned long long) last,
                 (unsigned long long) last);
    else if (atoi(code) == 2 && pending)
        snprintf(out, cap, "连不上服务器（上次尝试 %s）：请检查网络，或联系区管理员；%llu 条记录已安全保存在本机，"
                 "连上后自动上传 cannot reach the server (last try %s): check the network or call "
                 "the district administrator; %llu records are safe here and go up once "
                 "connected", when, (unsigned long long) pending, when,
                 (unsigned long long) pending);
    else if (atoi(code) == 2)
        snprintf(out, cap, "连不上服务器（上次尝试 %s）：请检查网络，或联系区管理员；录入不受影响 cannot reach "
                 "the server (last try %s): check the network or call the district "
                 "administrator; entry works as usual", when, when);
    else if (atoi(code) != 0)
        snprintf(out, cap, "上次同步没有完成（%s）：请再运行 shuanglian-site sync，仍不行请联系区管理员 the "
                 "last sync did not finish (%.200s): run shuanglian-site sync again, and call the "
                 "district administrator if it fails again", when, result);
    else if (pending && now - ok > 3 * 86400000LL)
        snprintf(out, cap, "有 %llu 条记录已 %lld 天没有上传：请运行 shuanglian-site sync %llu records have "
                 "waited %lld days: run shuanglian-site sync", (unsigned long long) pending,
                 (long long) ((now - ok) / 86400000), (unsigned long long) pending,
                 (long long) ((now - ok) / 86400000));
    else if (pending)
        snprintf(out, cap, "一切正常：%llu 条新记录下次同步时上传 all is well: %llu new records go up at "
                 "the next sync", (unsigned long long) pending, (unsigned long long) pending);
    else
        snprintf(out, cap, "一切正常：全部 %llu 条记录都已上传（上次同步 %s） all is well: all %llu "
                 "records are on the server (last sync %s)", (unsigned long long) last, when,
                 (unsigned long long) last, when);
}

static int s_status(int argc, char **argv)
{
    bool tsv = false;
    sl_opt_t opts[] = { DATA_OPT, { "--tsv", NULL, "machine-readable output (key<TAB>value)",
                                    NULL, &tsv } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " status", "[--data DIR] [--tsv]",
                          "Shows local records, the outbox and the last sync.  Works offline.",
                          opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " status");
    if (!store)
        return SL_EXIT_FAIL;
    uint64_t last = site_store_last_seq(store), acked = site_store_acked(store);
    uint64_t pending = last > acked ? last - acked : 0;
    char ok_ms[32], att_ms[32], result[600], server_seq[32], log_head[32];
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
    const char *rows[][3] = {
        { "站点 site", "site", site_store_site_id(store) },
        { "服务器 server", "server", site_store_server(store) },
        { "本地记录 local records", "local_records", v[0] },
        { "待同步 outbox pending", "outbox_pending", v[1] },
        { "服务器已确认 acknowledged up to", "acked_seq", v[2] },
        { "最近成功同步 last successful sync", "last_sync_ok", when_ok },
        { "最近同步尝试 last sync attempt", "last_sync_attempt", when_att },
        { "最近结果 last result", "last_sync_result", *result ? result : "-" },
        { "下行游标 server cursor", "cursor", v[3] },
        { "服务器日志头 server log head (at last sync)", "log_head", v[4] },
        { "参考数据 reference entries", "refdata", v[5] },
    };
    char summary[1200];
    s_summary(store, summary, sizeof summary);
    if (!tsv)
        printf("%s\n\n", summary);
    const char *heads[] = { "项目 item", "值 value" };
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
        { "--watch", NULL, "stay connected; push new records as they are saved", NULL, &watch },
        { "--timeout", "S", "give up after S seconds without an answer (default 10)", &timeout, NULL },
        { "--server", "ENDPOINT", "use this server instead of the one set at init", &server, NULL },
        { "--quiet", NULL, "log only warnings and errors", NULL, &quiet },
        { "--connect-timeout", "S", "one-shot: say the server is unreachable when no "
          "connection is made within S seconds (default 2)", &connect, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " sync", "[--watch] [--timeout S] [--data DIR]",
                          "Sends unsynced records to the district server and receives reference "
                          "data.  Without --watch: syncs once, prints a summary and exits\n"
                          "(0 level with the server, 2 server unreachable, 3 refused by the "
                          "server, 1 local failure).  Records are never lost either way.",
                          opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long secs, csecs;
    if (sl_cli_number(PROG " sync", "--timeout", timeout, 1, 86400, &secs)
        || sl_cli_number(PROG " sync", "--connect-timeout", connect, 1, 86400, &csecs))
        return SL_EXIT_USAGE;
    if (server && (strncmp(server, "tcp://", 6) != 0 || !strchr(server + 6, ':'))) {
        fprintf(stderr, PROG " sync: --server \"%s\" must look like tcp://HOST:PORT\n", server);
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
        sl_warn("cannot write the log file %s", logpath);
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
    const char *word = result == SITE_SYNC_OK ? "同步完成 sync done"
                     : result == SITE_SYNC_UNREACHABLE ? "未连上服务器 server unreachable"
                     : result == SITE_SYNC_REFUSED ? "服务器拒绝 refused" : "同步失败 sync failed";
    printf("%s: %s\n", word, r.text);
    if (r.enrolled)
        printf("  注册完成 enrolled: this site now connects with its own key\n");
    if (r.rotated)
        printf("  密钥已更换 key rotated: the old key no longer works\n");
    else if (s_rotate_key && result == SITE_SYNC_OK)
        printf("  key rotation was not confirmed; run rotate-key again\n");
    if (result == SITE_SYNC_UNREACHABLE || result == SITE_SYNC_FAILED)
        printf("  站点 site %s: %llu records saved here, %llu waiting to send; "
               "记录已安全保存在本机 records are safe on this computer\n",
               site_store_site_id(store), (unsigned long long) r.local_last,
               (unsigned long long) pending);
    else
        printf("  站点 site %s: %llu records, server holds %llu, %llu waiting to send\n",
               site_store_site_id(store), (unsigned long long) r.local_last,
               (unsigned long long) r.server_seq, (unsigned long long) pending);
    printf("  sent %llu, acknowledged %llu new, restored from server %llu, "
           "reference entries applied %llu (cursor %llu)\n",
           (unsigned long long) r.sent_events,
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
        snprintf(kind_text, sizeof kind_text, "%s%s%s", k ? k->label : "", k ? " " : "", kind);
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
                          "Shows the reference data received from the district server (units, "
                          "members, communities, targets, settings …).  With KIND (a wire name "
                          "or its Chinese name, e.g. member or 在职党员), one column per field.",
                          opts, 1, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos < 1 || strcmp(pos[0], "list") != 0) {
        fprintf(stderr, PROG " ref: expected 'list [KIND]'\n");
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
        heads[n++] = "类别 kind";
        heads[n++] = "键 key";
        heads[n++] = "内容 content";
    }
    heads[n++] = "序号 lseq";
    x.table = sl_table_new(n, heads);
    x.texts = malloc((x.kind ? x.kind->nfields : 1) * SL_MAX_TEXT_BYTES);
    rc = x.table && x.texts ? site_store_ref_each(store, x.kind ? x.kind->name : NULL,
                                                  s_ref_row, &x) : -1;
    free(x.texts);
    if (rc)
        fprintf(stderr, PROG " ref list: cannot read the reference data\n");
    else
        sl_table_print(x.table, stdout);
    sl_table_destroy(&x.table);
    site_store_destroy(&store);
    return rc ? SL_EXIT_FAIL : 0;
}

static int s_rotate(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: " PROG " rotate-key [--data DIR] [--timeout S]\n\n"
               "Replaces this site's key pair with a new one, with the server's agreement,\n"
               "then syncs.  History and outbox are untouched.  Safe to run again after an\n"
               "interruption: it finishes the same rotation.\n");
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
        { "--previous", NULL, "go back to the address used before the last change", NULL,
          &previous },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " set-server", "tcp://HOST:PORT | --previous "
                          "[--data DIR]", "Changes the address of the district server this "
                          "site syncs with (the old one is kept: --previous goes back to it).  "
                          "Works offline; the next sync uses it.", opts, 2, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if ((npos == 1) == previous) {
        fprintf(stderr, PROG " set-server: give the new address (tcp://HOST:PORT) or --previous\n");
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
        fprintf(stderr, PROG " set-server: 没有以前的地址 no previous address is known\n");
        rc = SL_EXIT_USAGE;
    } else if (sl_endpoint_check(endpoint, &loopback, err, sizeof err)) {
        fprintf(stderr, PROG " set-server: %s\n", err);
        rc = SL_EXIT_USAGE;
    } else if (site_commands_set(store, "server", endpoint, err, sizeof err)) {
        fprintf(stderr, PROG " set-server: %s\n", err);
        rc = SL_EXIT_FAIL;
    } else {
        printf("服务器地址已更改 server address changed: %s → %s（下次同步生效 used from the next "
               "sync）\n", before, endpoint);
        if (loopback)
            printf("  注意 note: %s 是本机地址，只有服务器和站点在同一台电脑上才能用 is this computer: it "
                   "only works when the server runs on it\n", endpoint);
    }
    site_store_destroy(&store);
    return rc;
}

static void s_usage(FILE *out)
{
    fprintf(out,
        "usage: " PROG " VERB [options]\n\n"
        "The community site of shuanglian (双进双联): records are saved locally and\n"
        "synced to the district server when a link exists.\n\n"
        "verbs:\n"
        "  init      create this site's local store\n"
        "  record    add, import, export, list records; record types; imports\n"
        "  status    local records, outbox, last sync (offline)\n"
        "  sync      send records to the server, receive reference data\n"
        "  ref       reference data received from the server\n"
        "  rotate-key  replace this site's key pair (keeps history and outbox)\n"
        "  set-server  change the address of the district server\n"
        "  web       this site's pages in a browser (http://127.0.0.1:8620/)\n\n"
        "Run '" PROG " VERB --help' for a verb's options.\n");
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
