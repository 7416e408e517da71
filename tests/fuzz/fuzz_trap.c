/* fuzz_trap: proves that the fuzzing build turns undefined behaviour into a
 * finding (issue 14).  An input starting with 'U' overflows a signed
 * integer; scripts/fuzz.sh runs this target on such an input first and
 * requires it to fail with UndefinedBehaviorSanitizer's report and a crash
 * file.  Without -fno-sanitize-recover=all the report would be printed, the
 * run would go on, and every real fuzz run would hide such findings. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile int s_big = INT_MAX;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'U') {
        int x = s_big;
        x += data[0] == 'U';    /* planted: signed overflow */
        printf("fuzz_trap: continued after the bug (%d)\n", x);
    }
    return 0;
}
