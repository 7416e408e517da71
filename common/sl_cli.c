/* sl_cli.c: option parsing and help text. */
#include "sl_cli.h"
#include "sl_crash.h"
#include "sl_id.h"
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
