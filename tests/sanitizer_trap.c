/* sanitizer_trap: proves that the sanitizer build stops at the first
 * finding (issue 14).  Built and run only with -DSL_SANITIZE=ON (and, as
 * fuzz_trap, in the fuzzing build).
 *
 * Each planted bug runs in a child process: a signed integer overflow
 * (UndefinedBehaviorSanitizer) and a heap buffer overflow
 * (AddressSanitizer).  The child must die at the bug with the sanitizer's
 * report, never reach the line after it: a build that only prints
 * undefined behaviour and goes on (no -fno-sanitize-recover) fails this
 * test, and so would a test suite that could pass with such findings. */
#include "sl_check.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int s_big = INT_MAX;
static volatile size_t s_index = 8;

static void s_overflow(void)
{
    int x = s_big;
    x += 1;                     /* planted: signed overflow */
    printf("continued after the bug (%d)\n", x);
}

static void s_heap(void)
{
    char *p = malloc(8);
    p[s_index] = 1;             /* planted: one past the end */
    printf("continued after the bug (%d)\n", p[0]);
    free(p);
}

/* Runs `bug` in a child; returns its status, its output in out. */
static int s_run(void (*bug)(void), char *out, size_t cap)
{
    int fd[2];
    if (pipe(fd))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        bug();
        fflush(stdout);
        _exit(0);
    }
    close(fd[1]);
    size_t used = 0;
    ssize_t n;
    while (used + 1 < cap && (n = read(fd[0], out + used, cap - 1 - used)) > 0)
        used += (size_t) n;
    out[used] = 0;
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void s_expect(const char *what, void (*bug)(void), const char *report)
{
    char out[65536];
    int status = s_run(bug, out, sizeof out);
    s_check(!(WIFEXITED(status) && WEXITSTATUS(status) == 0), "%s: the child failed (status %d)",
            what, status);
    s_check(strstr(out, report) != NULL, "%s: the sanitizer reported \"%s\"", what, report);
    s_check(strstr(out, "continued after the bug") == NULL, "%s: it stopped at the bug", what);
    if (s_failures)
        printf("# child's output:\n%s\n", out);
}

int main(void)
{
    s_expect("signed overflow", s_overflow, "signed integer overflow");
    s_expect("heap overflow", s_heap, "heap-buffer-overflow");
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
