/* sl_check.h: the one assertion of the C unit tests.
 *
 * Each check prints "ok N - what" or "FAIL N - what" and is counted; a test
 * ends with sl_check_done(), which prints the totals and gives the exit
 * status.  Header-only: every test is one executable. */
#ifndef SL_CHECK_H
#define SL_CHECK_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int s_checks, s_failures;

static bool s_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static bool s_check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", ok ? "ok" : "FAIL", ++s_checks);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (!ok)
        s_failures++;
    return ok;
}

#endif
