/* sl_cli.c: option parsing and help text, in the reader's language
 * (sl_lang.h: a summary or an option's help may hold both languages). */
#include "sl_cli.h"
#include "sl_crash.h"
#include "sl_id.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include "sl_refkinds.h"
#include "sl_log.h"
#include "sl_text.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sl_cli_help(const char *command, const char *usage, const char *summary,
                 const sl_opt_t *opts, size_t nopts)
{
    sl_lang_fprintf(stdout, "%s: %s %s\n\n%s\n\n%s\n", SL_T("用法", "usage"), command, usage,
                    summary, SL_T("选项", "options:"));
    for (size_t i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
                 opts[i].metavar ? opts[i].metavar : "");
        sl_lang_fprintf(stdout, "  %-22s %s\n", left, opts[i].help);
    }
    sl_lang_fprintf(stdout, "  %-22s %s\n", "--help", SL_T("显示本帮助", "show this help"));
    sl_lang_fprintf(stdout, "  %-22s %s\n", "--lang zh|en", SL_LANG_HELP);
}

void sl_cli_verbs_help(FILE *out, const char *command, const char *usage, const char *intro,
                       const sl_cli_verb_help_t *lines, size_t n, int width, const char *outro)
{
    sl_lang_fprintf(out, "%s: %s %s\n\n", SL_T("用法", "usage"), command, usage);
    if (intro)
        sl_lang_fprintf(out, "%s\n", intro);
    for (size_t i = 0; i < n; i++) {
        size_t w = sl_display_width(lines[i].words);
        int pad = w < (size_t) width ? width - (int) w : 0;
        sl_lang_fprintf(out, "  %s%*s %s\n", lines[i].words, pad, "", lines[i].help);
    }
    if (outro)
        sl_lang_fprintf(out, "\n%s\n", outro);
}

void sl_cli_program_help(FILE *out, const char *program, const char *intro,
                         const sl_cli_verb_help_t *verbs, size_t n)
{
    size_t width = 0;
    for (size_t i = 0; i < n; i++)
        if (sl_display_width(verbs[i].words) > width)
            width = sl_display_width(verbs[i].words);
    sl_cli_verbs_help(out, program, "VERB [options]", intro, verbs, n, (int) width, NULL);
    fputc('\n', out);
    sl_tprintf(out, "每个命令的选项见 '%s VERB --help'。\n"
               "--lang en 或 LANG=en_US.UTF-8：只用英文；--lang zh：中文在前、英文在后（默认）。\n",
               "Run '%s VERB --help' for a verb's options.\n"
               "--lang en or LANG=en_US.UTF-8: English only; --lang zh: Chinese first, then "
               "English (the default).\n", program);
}

int sl_cli_parse(int argc, char **argv, const char *command, const char *usage,
                 const char *summary, const sl_opt_t *opts, size_t nopts,
                 char **pos, size_t maxpos, size_t *npos)
{
    *npos = 0;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *word = argv[i];
        if (!options_done && strcmp(word, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)) {
            sl_cli_help(command, usage, summary, opts, nopts);
            return 1;
        }
        if (!options_done && word[0] == '-' && word[1] == '-') {
            const sl_opt_t *o = NULL;
            for (size_t k = 0; k < nopts; k++)
                if (strcmp(opts[k].name, word) == 0)
                    o = &opts[k];
            if (!o) {
                sl_cli_err(command, "没有 %s 这个选项（见 %s --help）",
                           "unknown option %s (see %s --help)", word, command);
                return -1;
            }
            if (o->metavar) {
                if (i + 1 >= argc) {
                    sl_cli_err(command, "选项 %s 后面要写 %s", "option %s needs a value %s", word,
                               o->metavar);
                    return -1;
                }
                *o->value = argv[++i];
            } else {
                *o->flag = true;
            }
            continue;
        }
        if (*npos >= maxpos) {
            sl_cli_err(command, "多余的参数 \"%s\"（见 %s --help）",
                       "unexpected argument \"%s\" (see %s --help)", word, command);
            return -1;
        }
        pos[(*npos)++] = argv[i];
    }
    return 0;
}

void sl_cli_err(const char *command, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    fprintf(stderr, "%s: ", command);
    sl_vtprintf(stderr, zh, en, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int sl_cli_number(const char *command, const char *what, const char *text, long min,
                  long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        sl_cli_err(command, "%s 是 \"%s\"，须为 %ld 到 %ld 的整数",
                   "%s is \"%s\", must be a whole number from %ld to %ld", what, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int sl_cli_main(int argc, char **argv, const char *program, const sl_verb_t *verbs,
                size_t nverbs, void (*usage)(FILE *out))
{
    sl_log_set_name(program);
    sl_crash_install(program);
    if (sl_lang_init(&argc, argv))
        return SL_EXIT_USAGE;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SL_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", program, SL_VERSION);
        return 0;
    }
    for (size_t i = 0; i < nverbs; i++)
        if (strcmp(argv[1], verbs[i].verb) == 0)
            return verbs[i].run(argc - 2, argv + 2);
    sl_cli_err(program, "没有 \"%s\" 这个命令", "unknown verb \"%s\"", argv[1]);
    fputc('\n', stderr);
    usage(stderr);
    return SL_EXIT_USAGE;
}

int sl_cli_enroll_args(const char *command, const char *site, const char *community,
                       const char *days, const char *out, long *ndays, char *path, size_t cap)
{
    if (!site || !community) {
        sl_cli_err(command, "需要 --site 和 --community", "--site and --community are required");
        return SL_EXIT_USAGE;
    }
    const char *why = sl_site_id_check(site, strlen(site));
    if (why) {
        fprintf(stderr, "%s: --site \"%s\": %s\n", command, site, why);
        return SL_EXIT_USAGE;
    }
    if (!*community || strlen(community) > 200 || !sl_utf8_valid(community, strlen(community))) {
        sl_cli_err(command, "--community 须为 1..200 字节的 UTF-8 文字",
                   "--community must be UTF-8 text of 1..200 bytes");
        return SL_EXIT_USAGE;
    }
    if (sl_cli_number(command, "--days", days, 1, 365, ndays))
        return SL_EXIT_USAGE;
    snprintf(path, cap, "%s%s", out ? out : site, out ? "" : ".bundle");
    if (access(path, F_OK) == 0) {
        sl_cli_err(command, "%s 已经存在（不会覆盖）", "%s already exists (refusing to overwrite)", path);
        return SL_EXIT_FAIL;
    }
    return 0;
}

const char *sl_cli_ref_summary(void)
{
    /* Kept as dual text (sl_lang.h): the help renders it for its reader. */
    static char text[12000];
    if (text[0])
        return text;
    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    size_t used = sl_tf(text, sizeof text,
        "参考数据由区里维护，经服务器日志按顺序、只下发一次，在各站点下次同步时送达。每条都按其类别的"
        "字段检查：党员的所属单位须已存在，仍被引用的条目不能删除，--site 须是已注册的站点。\n",
        "Reference data kept by the district and sent down to every site through the server "
        "log, in order and exactly once, at each site's next sync.  Each entry is checked "
        "against its kind's fields; a member's unit must exist, an entry still referred to "
        "cannot be deleted, --site must name an enrolled site.\n");
    static const struct { const char *words, *help; } verbs[] = {
        { "put KIND KEY FIELD=VALUE…", SL_D("发布一条，整条替换（没写的字段变为空）",
                                           "publish an entry, replacing it whole (fields not "
                                           "given become empty)") },
        { "del KIND KEY", SL_D("删除一条", "delete an entry") },
        { "list [KIND]", SL_D("现行的条目", "the entries in force") },
        { "import KIND FILE.csv", SL_D("CSV 文件的每一行（UTF-8，最大 1 MiB；第一列为键，表头为字段名或"
                                       "中文名），全部导入或全部不导入",
                                       "every row of a CSV file (UTF-8, at most 1 MiB; the key "
                                       "in the first column, field names or Chinese labels as "
                                       "headings), all rows or none") },
    };
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0] && used < sizeof text; i++)
        used += (size_t) snprintf(text + used, sizeof text - used, "  %-27s %s\n",
                                  verbs[i].words, verbs[i].help);
    if (used < sizeof text)
        used += sl_tf(text + used, sizeof text - used,
                      "KIND、FIELD 和选项都可以写中文（在职党员 姓名=张三 所属单位=u01）。\n"
                      "类别及其字段（* = 必填）：\n",
                      "KIND, FIELD and choices may also be given by their Chinese names.\n"
                      "kinds and their fields (* = required):\n");
    for (size_t i = 0; i < sl_refkind_count() && used < sizeof text; i++) {
        const sl_refkind_t *k = sl_refkind_at(i);
        used += (size_t) snprintf(text + used, sizeof text - used, "  %s ", k->name);
        if (used < sizeof text)
            used += sl_tpair(text + used, sizeof text - used, k->label, k->label_en);
        if (used < sizeof text)
            used += (size_t) snprintf(text + used, sizeof text - used, " (%s %s):",
                                      SL_T("键", "key"), k->key_name);
        for (size_t f = 0; f < k->nfields && used < sizeof text; f++) {
            used += (size_t) snprintf(text + used, sizeof text - used, " %s%s",
                                      k->fields[f].name, k->fields[f].required ? "*" : "");
            if (used < sizeof text)
                used += sl_tpair(text + used, sizeof text - used, k->fields[f].label, "");
        }
        if (used < sizeof text && i + 1 < sl_refkind_count())
            used += (size_t) snprintf(text + used, sizeof text - used, "\n");
    }
    sl_lang_use(was);
    return text;
}

/* Reads a whole file (or standard input for "-") of at most max bytes. */
static char *s_read_file(const char *command, const char *path, size_t max, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        sl_cli_err(command, "无法读取 %s：%s", "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *data = malloc(max + 1);
    size_t got = data ? fread(data, 1, max + 1, f) : 0;
    bool error = !data || ferror(f);
    if (f != stdin)
        fclose(f);
    if (error || got > max) {
        if (error)
            sl_cli_err(command, "无法读取 %s", "%s cannot be read", path);
        else
            sl_cli_err(command, "%s 超过 1 MiB，请分成几个文件",
                       "%s is larger than 1 MiB; split it into several files", path);
        free(data);
        return NULL;
    }
    data[got] = 0;
    *len = got;
    return data;
}

/* A CSV file as the text an ADMIN argument must be: CRLF line ends become
 * LF (the reader treats them alike), and the rest must be UTF-8 text; the
 * first line that is not is named.  0, or an exit code after printing. */
static int s_csv_text(const char *command, const char *path, char *data, size_t *len)
{
    size_t w = 0;
    for (size_t i = 0; i < *len; i++)
        if (data[i] != '\r' || i + 1 >= *len || data[i + 1] != '\n')
            data[w++] = data[i];
    data[w] = 0;
    *len = w;
    long line = 1;
    for (size_t start = 0; start < w; line++) {
        const char *nl = memchr(data + start, '\n', w - start);
        size_t end = nl ? (size_t) (nl - data) : w;
        if (!sl_utf8_valid(data + start, end - start)) {
            sl_cli_err(command, "%s 第 %ld 行不是 UTF-8 文本（或含有控制字符、NUL 字节），请另存为"
                       "“CSV UTF-8”", "%s line %ld is not UTF-8 text (or has a control "
                       "character or a NUL byte): save the file as \"CSV UTF-8\"", path, line);
            return SL_EXIT_USAGE;
        }
        start = end + 1;
    }
    return 0;
}

int sl_cli_ref_request(const char *command, char **words, size_t nwords, const char *site,
                       sl_cli_request_t *out)
{
    memset(out, 0, sizeof *out);
    int rc;
    const char *sub = nwords ? words[0] : "";
    bool put = strcmp(sub, "put") == 0 && nwords >= 3, del = strcmp(sub, "del") == 0 && nwords == 3;
    bool list = strcmp(sub, "list") == 0 && nwords <= 2;
    bool import = strcmp(sub, "import") == 0 && nwords == 3;
    if (!put && !del && !list && !import) {
        sl_cli_err(command, "应为 put KIND KEY FIELD=VALUE…、del KIND KEY、list [KIND] 或 "
                   "import KIND FILE.csv（见 %s --help）", "expected put KIND KEY FIELD=VALUE…, "
                   "del KIND KEY, list [KIND] or import KIND FILE.csv (see %s --help)", command);
        return SL_EXIT_USAGE;
    }
    if (site && sl_site_id_check(site, strlen(site))) {
        fprintf(stderr, "%s: --site \"%s\": %s\n", command, site,
                sl_site_id_check(site, strlen(site)));
        return SL_EXIT_USAGE;
    }
    out->verb = put ? "ref.put" : del ? "ref.del" : list ? "ref.list" : "ref.import";
    if (nwords >= 2) {
        out->keys[out->nargs] = "kind";
        out->values[out->nargs++] = words[1];
    }
    if (put || del) {
        out->keys[out->nargs] = "key";
        out->values[out->nargs++] = words[2];
    }
    char err[600];
    if (put && sl_ref_pairs_json(nwords - 3, words + 3, &out->owned, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", command, err);
        return SL_EXIT_USAGE;
    }
    size_t len = 0;
    if (import && !(out->owned = s_read_file(command, words[2], SL_MAX_ADMIN_ARG_BYTES, &len)))
        return SL_EXIT_FAIL;
    if (import && (rc = s_csv_text(command, words[2], out->owned, &len)))
        return rc;
    if (put || import) {
        out->keys[out->nargs] = put ? "fields" : "csv";
        out->lens[out->nargs] = put ? strlen(out->owned) : len;
        out->values[out->nargs++] = out->owned;
    }
    if (site && !list) {
        out->keys[out->nargs] = "site";
        out->values[out->nargs++] = site;
    }
    for (size_t i = 0; i < out->nargs; i++)
        if (!out->lens[i])
            out->lens[i] = strlen(out->values[i]);
    return 0;
}

void sl_cli_request_free(sl_cli_request_t *request)
{
    free(request->owned);
    memset(request, 0, sizeof *request);
}
