/* sl_cli.h: command-line parsing shared by the three programs.
 *
 * Conventions (as git and curl): `program verb [subverb] [--option value]
 * [--flag] [positional…]`, `--help` on every verb, errors that name the
 * argument and point to --help.  Exit codes are documented in docs/. */
#ifndef SL_CLI_H
#define SL_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *name;           /* "--data" */
    const char *metavar;        /* "DIR"; NULL for a flag */
    const char *help;
    const char **value;         /* where an option's value goes */
    bool *flag;                 /* where a flag goes */
} sl_opt_t;

/* Parses argv[0..argc) (the words after the verb).  Positional words are
 * collected into pos (at most maxpos).  Returns 0, 1 when --help was asked
 * (help printed), or -1 after printing an error naming the word. */
int sl_cli_parse(int argc, char **argv, const char *command, const char *usage,
                 const char *summary, const sl_opt_t *opts, size_t nopts,
                 char **pos, size_t maxpos, size_t *npos);
void sl_cli_help(const char *command, const char *usage, const char *summary,
                 const sl_opt_t *opts, size_t nopts);
/* Parses a whole number in [min, max]; prints an error naming `what`. */
int sl_cli_number(const char *command, const char *what, const char *text, long min,
                  long max, long *out);

typedef struct {
    const char *verb;
    int (*run)(int argc, char **argv);  /* gets the words after the verb */
} sl_verb_t;

/* The main() of every program: --help, --version, then the verb table.
 * `usage` prints the program's overview to the stream it is given. */
int sl_cli_main(int argc, char **argv, const char *program, const sl_verb_t *verbs,
                size_t nverbs, void (*usage)(FILE *out));

/* The arguments of `site enroll` (shuanglian-admin and shuanglian-server):
 * checks the site id, the community (1..200 bytes of UTF-8) and the days
 * (1..365), and works out the bundle's path (--out, or ID.bundle), which
 * must not exist yet.  0, or an exit code after printing what is wrong. */
int sl_cli_enroll_args(const char *command, const char *site, const char *community,
                       const char *days, const char *out, long *ndays, char *path, size_t cap);

/* Exit codes of all programs. */
enum { SL_EXIT_OK = 0, SL_EXIT_FAIL = 1, SL_EXIT_USAGE = 64, SL_EXIT_UNREACHABLE = 2,
       SL_EXIT_REFUSED = 3 };

#endif
