/* sl_log.c: stderr logging.  Kept deliberately tiny: programs log one line
 * per event worth an operator's attention, prefixed with UTC time, program
 * and level so that logs from server and sites can be merged and sorted. */
#include "sl_log.h"
#include <stdio.h>
#include <time.h>
#include <sys/time.h>

static sl_log_level_t s_level = SL_LOG_INFO;
static const char *s_name = "shuanglian";

void sl_log_set_level(sl_log_level_t level) { s_level = level; }
void sl_log_set_name(const char *program) { s_name = program; }

void sl_log(sl_log_level_t level, const char *fmt, ...)
{
    if (level < s_level)
        return;
    static const char *names[] = { "debug", "info", "WARN", "ERROR" };
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03dZ %s %s: %s\n", stamp, (int) (tv.tv_usec / 1000),
            s_name, names[level], line);
}
