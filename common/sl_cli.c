/* sl_cli.c: option parsing and help text. */
#include "sl_cli.h"
#include "sl_crash.h"
#include "sl_id.h"
#include "sl_limits.h"
#include "sl_refkinds.h"
#include "sl_log.h"
#include "sl_text.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sl_cli_help(const char *command, const char *usage, const char *summary,
                 const sl_opt_t *opts, size_t nopts)
{
    printf("usage: %s %s\n\n%s\n", command, usage, summary);
    if (nopts)
        printf("\noptions:\n");
    for (size_t i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
                 opts[i].metavar ? opts[i].metavar : "");
        printf("  %-22s %s\n", left, opts[i].help);
    }
    printf("  %-22s %s\n", "--help", "show this help");
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
                fprintf(stderr, "%s: unknown option %s (see %s --help)\n", command, word, command);
                return -1;
            }
            if (o->metavar) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "%s: option %s needs a value %s\n", command, word, o->metavar);
                    return -1;
                }
                *o->value = argv[++i];
            } else {
                *o->flag = true;
            }
            continue;
        }
        if (*npos >= maxpos) {
            fprintf(stderr, "%s: unexpected argument \"%s\" (see %s --help)\n",
                    command, word, command);
            return -1;
        }
        pos[(*npos)++] = argv[i];
    }
    return 0;
}

int sl_cli_number(const char *command, const char *what, const char *text, long min,
                  long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "%s: %s is \"%s\", must be a whole number from %ld to %ld\n",
                command, what, text, min, max);
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
    fprintf(stderr, "%s: unknown verb \"%s\"\n\n", program, argv[1]);
    usage(stderr);
    return SL_EXIT_USAGE;
}

int sl_cli_enroll_args(const char *command, const char *site, const char *community,
                       const char *days, const char *out, long *ndays, char *path, size_t cap)
{
    if (!site || !community) {
        fprintf(stderr, "%s: --site and --community are required\n", command);
        return SL_EXIT_USAGE;
    }
    const char *why = sl_site_id_check(site, strlen(site));
    if (why) {
        fprintf(stderr, "%s: --site \"%s\": %s\n", command, site, why);
        return SL_EXIT_USAGE;
    }
    if (!*community || strlen(community) > 200 || !sl_utf8_valid(community, strlen(community))) {
        fprintf(stderr, "%s: --community must be UTF-8 text of 1..200 bytes\n", command);
        return SL_EXIT_USAGE;
    }
    if (sl_cli_number(command, "--days", days, 1, 365, ndays))
        return SL_EXIT_USAGE;
    snprintf(path, cap, "%s%s", out ? out : site, out ? "" : ".bundle");
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "%s: %s already exists (refusing to overwrite)\n", command, path);
        return SL_EXIT_FAIL;
    }
    return 0;
}

const char *sl_cli_ref_summary(void)
{
    static char text[6000];
    if (text[0])
        return text;
    size_t used = (size_t) snprintf(text, sizeof text,
        "Reference data (参考数据) kept by the district and sent down to every site through "
        "the server log, in order and exactly once, at each site's next sync.  Each entry is "
        "checked against its kind's fields; a member's unit must exist, an entry still "
        "referred to cannot be deleted, --site must name an enrolled site.\n"
        "  put KIND KEY FIELD=VALUE…   publish an entry, replacing it whole (fields not given "
        "become empty)\n"
        "  del KIND KEY                delete an entry\n"
        "  list [KIND]                 the entries in force\n"
        "  import KIND FILE.csv        every row of a CSV file (UTF-8, at most 1 MiB; the key "
        "in the first column, field names or Chinese labels as headings), all rows or none\n"
        "KIND, FIELD and choices may be given in Chinese (在职党员 姓名=张三 所属单位=u01).\n"
        "kinds and their fields (* = required):\n");
    for (size_t i = 0; i < sl_refkind_count() && used < sizeof text; i++) {
        const sl_refkind_t *k = sl_refkind_at(i);
        used += (size_t) snprintf(text + used, sizeof text - used, "  %s %s (%s), key %s:",
                                  k->name, k->label, k->label_en, k->key_name);
        for (size_t f = 0; f < k->nfields && used < sizeof text; f++)
            used += (size_t) snprintf(text + used, sizeof text - used, " %s%s(%s)",
                                      k->fields[f].name, k->fields[f].required ? "*" : "",
                                      k->fields[f].label);
        if (used < sizeof text && i + 1 < sl_refkind_count())
            used += (size_t) snprintf(text + used, sizeof text - used, "\n");
    }
    return text;
}

/* Reads a whole file (or standard input for "-") of at most max bytes. */
static char *s_read_file(const char *command, const char *path, size_t max, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: 无法读取 cannot read %s: %s\n", command, path, strerror(errno));
        return NULL;
    }
    char *data = malloc(max + 1);
    size_t got = data ? fread(data, 1, max + 1, f) : 0;
    bool error = !data || ferror(f);
    if (f != stdin)
        fclose(f);
    if (error || got > max) {
        fprintf(stderr, "%s: %s %s\n", command, path, error ? "无法读取 cannot be read"
                : "超过 1 MiB，请分成几个文件 is larger than 1 MiB; split it into several files");
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
            fprintf(stderr, "%s: %s 第 %ld 行不是 UTF-8 文本（或含有控制字符、NUL 字节），请另存为"
                    "“CSV UTF-8” %s line %ld is not UTF-8 text (or has a control character or a "
                    "NUL byte): save the file as \"CSV UTF-8\"\n", command, path, line, path,
                    line);
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
        fprintf(stderr, "%s: expected put KIND KEY FIELD=VALUE…, del KIND KEY, list [KIND] or "
                "import KIND FILE.csv (see %s --help)\n", command, command);
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
