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
/* A refusal or an error on stderr, one line: "command: " and the message
 * in the reader's language (both texts take the same arguments). */
void sl_cli_err(const char *command, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));
/* Parses a whole number in [min, max]; prints an error naming `what`. */
int sl_cli_number(const char *command, const char *what, const char *text, long min,
                  long max, long *out);

typedef struct {
    const char *verb;
    int (*run)(int argc, char **argv);  /* gets the words after the verb */
} sl_verb_t;

/* A program's or a verb's overview: "usage: COMMAND USAGE", a blank line,
 * the intro (its own line; end it with "\n" for a blank line after), a
 * line per verb (its words, then its help in the reader's language), the
 * outro.  intro, help and outro may be dual (SL_D); NULL leaves one out. */
typedef struct {
    const char *words;          /* "add TYPE FIELD=VALUE…" */
    const char *help;
} sl_cli_verb_help_t;
void sl_cli_verbs_help(FILE *out, const char *command, const char *usage, const char *intro,
                       const sl_cli_verb_help_t *lines, size_t n, int width, const char *outro);
/* A program's overview (its `--help`): "usage: PROGRAM VERB [options]",
 * the intro (dual), a line per verb, and where a verb's options are and
 * how to choose the language. */
void sl_cli_program_help(FILE *out, const char *program, const char *intro,
                         const sl_cli_verb_help_t *verbs, size_t n);

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

/* `ref` on shuanglian-admin and shuanglian-server: the help text (what the
 * verbs do, every kind and its fields, from common/sl_refkinds.c). */
const char *sl_cli_ref_summary(void);

/* An administrative request as the ADMIN message carries it: a verb and
 * up to four text arguments (not NUL-terminated when lens says so). */
typedef struct {
    const char *verb;
    size_t nargs;
    const char *keys[4];
    const char *values[4];
    size_t lens[4];
    char *owned;                /* the fields JSON or the file's bytes */
} sl_cli_request_t;

/* The words after `ref` (put KIND KEY FIELD=VALUE…, del KIND KEY, list
 * [KIND], import KIND FILE.csv) and --site as a request: ref.put {kind,
 * key, fields: the FIELD=VALUE words as a JSON object}, ref.del {kind,
 * key}, ref.list {kind}, ref.import {kind, csv: the file's bytes, at most
 * SL_MAX_ADMIN_ARG_BYTES; FILE - reads standard input}, with site when
 * given.  The server checks the rest.  0, or an exit code after printing
 * what is wrong; free with sl_cli_request_free. */
int sl_cli_ref_request(const char *command, char **words, size_t nwords, const char *site,
                       sl_cli_request_t *out);
void sl_cli_request_free(sl_cli_request_t *request);

/* Exit codes of all programs. */
enum { SL_EXIT_OK = 0, SL_EXIT_FAIL = 1, SL_EXIT_USAGE = 64, SL_EXIT_UNREACHABLE = 2,
       SL_EXIT_REFUSED = 3 };

#endif
