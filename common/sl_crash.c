/* sl_crash.c: fatal-signal handlers that log before dying (see sl_crash.h).
 *
 * Only async-signal-safe calls in the handler: write(2), backtrace_symbols_fd
 * (its buffer is allocated at install time by a first backtrace call),
 * signal(2) and raise(3). */
#include "sl_crash.h"
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SL_CRASH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SL_CRASH_SANITIZED 1
#endif
#endif

static char s_program[64] = "shuanglian";

#ifndef SL_CRASH_SANITIZED
static void s_write(const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, text, len);
        if (n <= 0)
            return;
        text += n;
        len -= (size_t) n;
    }
}

static void s_on_fatal(int sig)
{
    const char *name = sig == SIGSEGV ? "SIGSEGV (invalid memory access)"
                     : sig == SIGBUS ? "SIGBUS (bus error)"
                     : sig == SIGFPE ? "SIGFPE (arithmetic error)"
                     : sig == SIGILL ? "SIGILL (illegal instruction)"
                     : sig == SIGABRT ? "SIGABRT (aborted)" : "a fatal signal";
    s_write(s_program);
    s_write(": FATAL: died of ");
    s_write(name);
    s_write("; backtrace:\n");
    void *frames[48];
    int n = backtrace(frames, 48);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    s_write(s_program);
    s_write(": please keep this log and the core file, if any, for the developers\n");
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

void sl_crash_install(const char *program)
{
    size_t len = strlen(program);
    if (len >= sizeof s_program)
        len = sizeof s_program - 1;
    memcpy(s_program, program, len);
    s_program[len] = 0;
#ifndef SL_CRASH_SANITIZED
    void *warm[2];
    backtrace(warm, 2);         /* loads libgcc now, not inside the handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_fatal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
#endif
}
