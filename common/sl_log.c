/* sl_log.c: stderr logging.  Kept deliberately tiny: programs log one line
 * per event worth an operator's attention, prefixed with UTC time, program
 * and level so that logs from server and sites can be merged and sorted. */
#include "sl_log.h"
#include "sl_lang.h"
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/time.h>

static sl_log_level_t s_level = SL_LOG_INFO;
static const char *s_name = "shuanglian";
static FILE *s_file;
static char s_file_path[4096];
static long s_file_max;

void sl_log_set_level(sl_log_level_t level) { s_level = level; }

int sl_log_level_parse(const char *name)
{
    if (strcmp(name, "debug") == 0)
        return SL_LOG_DEBUG;
    if (strcmp(name, "info") == 0)
        return SL_LOG_INFO;
    if (strcmp(name, "warn") == 0 || strcmp(name, "warning") == 0)
        return SL_LOG_WARN;
    if (strcmp(name, "error") == 0)
        return SL_LOG_ERROR;
    return -1;
}

int sl_log_set_file(const char *path, long max_bytes)
{
    if (s_file)
        fclose(s_file);
    s_file = NULL;
    if (!path)
        return 0;
    snprintf(s_file_path, sizeof s_file_path, "%s", path);
    s_file_max = max_bytes;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    s_file = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!s_file && fd >= 0)
        close(fd);
    return s_file ? 0 : -1;
}

/* Past its size the file becomes path.1 and a new one starts. */
static void s_file_line(const char *text)
{
    if (!s_file)
        return;
    fputs(text, s_file);
    fflush(s_file);
    if (s_file_max > 0 && ftell(s_file) > s_file_max) {
        char old[4200];
        snprintf(old, sizeof old, "%s.1", s_file_path);
        rename(s_file_path, old);
        char path[4096];
        snprintf(path, sizeof path, "%s", s_file_path);
        sl_log_set_file(path, s_file_max);
    }
}
void sl_log_set_name(const char *program) { s_name = program; }

/* One line: time, program, level, the message rendered for the reader. */
static void s_line(sl_log_level_t level, const char *text)
{
    static const char *names[] = { "debug", "info", "WARN", "ERROR" };
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    sl_lang_render_as(sl_lang_reader(), text, strlen(text), line, sizeof line);
    char out[2200];
    snprintf(out, sizeof out, "%s.%03dZ %s %s: %s\n", stamp, (int) (tv.tv_usec / 1000),
             s_name, names[level], line);
    fputs(out, stderr);
    s_file_line(out);
}

void sl_log(sl_log_level_t level, const char *fmt, ...)
{
    if (level < s_level)
        return;
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s_line(level, line);
}

void sl_tlog(sl_log_level_t level, const char *zh, const char *en, ...)
{
    if (level < s_level)
        return;
    char line[4096];
    va_list ap;
    va_start(ap, en);
    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    sl_vtf(line, sizeof line, zh, en, ap);
    sl_lang_use(was);
    va_end(ap);
    s_line(level, line);
}
