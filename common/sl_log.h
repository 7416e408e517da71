/* sl_log.h: one-line log messages to stderr, with time and level.
 * A message a site worker or an operator reads is written in both
 * languages (sl_tinfo("中文 %s", "English %s", …), common/sl_lang.h) and
 * shown in the reader's; a dual argument is rendered too.
 * Never pass a secret (key, bundle) to these functions. */
#ifndef SL_LOG_H
#define SL_LOG_H
#include <stdarg.h>

typedef enum { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR } sl_log_level_t;

void sl_log_set_level(sl_log_level_t level);
/* "debug", "info", "warn" or "error" (also "warning"); -1 when none. */
int sl_log_level_parse(const char *name);
/* Also appends every line to `path` (NULL: stop), kept under `max_bytes`
 * by renaming it to path.1 when it grows past (one old file kept): what a
 * site sends back for the `log` command.  0, or -1 when it cannot be
 * opened (logging to stderr goes on). */
int sl_log_set_file(const char *path, long max_bytes);
void sl_log_set_name(const char *program);
void sl_log(sl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, written in Chinese and in English (the same arguments). */
void sl_tlog(sl_log_level_t level, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));
#define sl_tinfo(...)  sl_tlog(SL_LOG_INFO, __VA_ARGS__)
#define sl_twarn(...)  sl_tlog(SL_LOG_WARN, __VA_ARGS__)
#define sl_terror(...) sl_tlog(SL_LOG_ERROR, __VA_ARGS__)
#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)
#define sl_info(...)  sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_warn(...)  sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_error(...) sl_log(SL_LOG_ERROR, __VA_ARGS__)

#endif
