/* sl_hlc.c: hybrid logical clock. */
#include "sl_hlc.h"
#include <time.h>

int64_t sl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t sl_hlc_next(uint64_t last, int64_t now_ms)
{
    uint64_t wall = now_ms > 0 ? (uint64_t) now_ms << 16 : 0;
    return wall > last ? wall : last + 1;
}

uint64_t sl_hlc_observe(uint64_t last, uint64_t remote, int64_t now_ms)
{
    uint64_t horizon = (uint64_t) (now_ms + 86400000LL) << 16;
    if (remote > last && remote <= horizon)
        return remote;
    return last;
}
