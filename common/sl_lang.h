/* sl_lang.h: the message catalog: every text a site worker or a district
 * official reads is written once, in Chinese and in English, where it is
 * used, and shown in the reader's language:
 *
 *   中文 English    both on one line, Chinese first: the default (--lang zh)
 *   English         English only: LC_ALL, LC_MESSAGES or LANG starting with
 *                   "en" (the first of them that is set decides), or --lang en
 *
 * Writing a text:
 *   SL_T("已保存", "saved")              the text now, in this thread's language
 *   sl_tf(buf, cap, "第 %ld 行", "row %ld", line)   formatted, into a buffer
 *   sl_tprintf(stderr, "无法读取 %s\n", "cannot read %s\n", path)
 *   SL_D("站点", "site")                 a string literal holding both texts, for
 *                                        static tables (headings, option help):
 *                                        only for a sink that renders (below)
 * Both formats of a pair take the same arguments in the same order (the
 * compiler checks both against them).  A text of several lines pairs its
 * lines: line i of the Chinese, then line i of the English.
 *
 * Text that is kept or travels -- an ERROR or REPLY the server sends to an
 * administrator or a site, a site's last sync result, a command's result --
 * is kept "dual": both texts, marked by three invisible characters
 * (U+2061..U+2063), so that whoever reads it later sees it in their own
 * language.  The server writes its answers in SL_LANG_DUAL (sl_lang_use);
 * every sink renders: sl_tprintf, sl_lang_fputs, sl_lang_fprintf, sl_log,
 * sl_table, the help of sl_cli, the report renderers and the web pages.  A
 * dual text shown by a program that does not know the marks reads as
 * "中文 English" (the marks take no room on a terminal).
 *
 * Must never: allocate for a text of one line (SL_T picks one of three
 * literals), or guess a language from the text itself. */
#ifndef SL_LANG_H
#define SL_LANG_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    SL_LANG_PROCESS = -1, /* sl_lang_use: back to the process's language */
    SL_LANG_ZH,     /* 中文 English, side by side (the default) */
    SL_LANG_EN,     /* English only */
    SL_LANG_DUAL,   /* both, marked: for text that is kept or sent */
} sl_lang_t;

#define SL_DUAL_OPEN  "\xE2\x81\xA1"    /* U+2061: the Chinese text begins */
#define SL_DUAL_MID   " \xE2\x81\xA2"   /* U+2062: the English text begins */
#define SL_DUAL_CLOSE "\xE2\x81\xA3"    /* U+2063: the pair ends */
#define SL_DUAL_EITHER "\xE2\x81\xA4"   /* U+2064, in place of MID: one or the other */

/* Both texts as one literal (usable in a static initializer). */
#define SL_D(zh, en) SL_DUAL_OPEN zh SL_DUAL_MID en SL_DUAL_CLOSE
/* Either text, never both: a dual text that shows only its Chinese by
 * default and only its English in English, where a pair would make a cell
 * too wide ("民生实事" / "service_matter", "5星" / "5 stars"). */
#define SL_E(zh, en) SL_DUAL_OPEN zh SL_DUAL_EITHER en SL_DUAL_CLOSE
/* The text in this thread's language. */
#define SL_T(zh, en) sl_lang_pick(zh " " en, en, SL_D(zh, en))

/* What --lang does, for every program's help. */
#define SL_LANG_HELP SL_D("界面语言：zh 中文在前、英文在后（默认），en 只用英文", \
                          "language: zh Chinese first, then English (default); en English only")

/* The language of the process from the environment (LC_ALL, LC_MESSAGES,
 * LANG), then `--lang zh|en` or `--lang=zh|en` anywhere before a "--"
 * in argv, which is taken out of argv.  0, or -1 after saying what is
 * wrong (an unknown language: the caller exits 64). */
int sl_lang_init(int *argc, char **argv);
/* The language from an environment value ("en_US.UTF-8" -> EN). */
sl_lang_t sl_lang_from_env(const char *lc_all, const char *lc_messages, const char *lang);
/* The language of whoever reads this process's terminal and logs. */
sl_lang_t sl_lang_reader(void);
/* SL_LANG_ZH or SL_LANG_EN: the reader's, and what the process writes;
 * SL_LANG_DUAL: the process writes dual (a server, whose every sentence
 * goes to a reader elsewhere or to a sink that renders), for the same
 * reader; SL_LANG_PROCESS: writes for its reader again. */
void sl_lang_set(sl_lang_t lang);
/* This thread's language (the process's unless sl_lang_use said otherwise). */
sl_lang_t sl_lang(void);
/* Makes this thread write in `lang` until the returned value is given back:
 *   sl_lang_t was = sl_lang_use(SL_LANG_DUAL); … sl_lang_use(was);
 * (SL_LANG_PROCESS: the process's language, whatever it becomes). */
sl_lang_t sl_lang_use(sl_lang_t lang);

/* SL_T's choice; a text of several lines is paired once and kept. */
const char *sl_lang_pick(const char *both, const char *en, const char *dual);

/* Formats the pair in this thread's language into buf (always
 * NUL-terminated when cap > 0).  Returns the length written. */
size_t sl_tf(char *buf, size_t cap, const char *zh, const char *en, ...)
    __attribute__((format(printf, 3, 5), format(printf, 4, 5)));
size_t sl_vtf(char *buf, size_t cap, const char *zh, const char *en, va_list ap);
/* Two texts that are not formats (a Chinese label and a wire name: "民生实事"
 * and "service_matter") as a pair in this thread's language into buf. */
size_t sl_tpair(char *buf, size_t cap, const char *zh, const char *en);
/* The same, always dual: a piece to format into a pair, where the Chinese
 * side shows only its Chinese and the English side only its English. */
size_t sl_dpair(char *buf, size_t cap, const char *zh, const char *en);
size_t sl_df(char *buf, size_t cap, const char *zh, const char *en, ...)
    __attribute__((format(printf, 3, 5), format(printf, 4, 5)));
/* The same as SL_E, from two texts that are not literals (always dual). */
size_t sl_epair(char *buf, size_t cap, const char *zh, const char *en);
/* One of two names, where a pair would make a cell too wide: the Chinese
 * label ("民生实事"), or for a reader of English the wire name. */
const char *sl_lang_either(const char *zh, const char *en);
/* Formats the pair for the reader of this process (never dual) onto out. */
void sl_tprintf(FILE *out, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));
void sl_vtprintf(FILE *out, const char *zh, const char *en, va_list ap);
/* One format for both languages whose arguments may hold dual text (a
 * server's answer, a stored result), rendered for the reader. */
void sl_lang_fprintf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_lang_fputs(const char *text, FILE *out);

/* A text (dual or not) rendered in `lang` into out (NUL-terminated when
 * cap > 0); SL_LANG_DUAL copies it.  Returns the length written. */
size_t sl_lang_render_as(sl_lang_t lang, const char *text, size_t len, char *out, size_t cap);
/* Rendered for the reader of this process, as a new string (NULL without
 * memory); a text without marks is copied. */
char *sl_lang_rendered(const char *text);
/* True when text holds a dual pair. */
int sl_lang_is_dual(const char *text);

#endif
