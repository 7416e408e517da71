/* sl_hlc.h: hybrid logical clock stamps (48 bits of ms, 16 bits of counter).
 *
 * Site clocks lie (promise P10).  A stamp never goes backwards on one site,
 * whatever the wall clock does, and moves past any stamp the site has seen
 * from the server.  Ordering and deduplication use (site, seq), never these
 * stamps; the stamps order events across sites for reports. */
#ifndef SL_HLC_H
#define SL_HLC_H
#include <stdint.h>

int64_t sl_now_ms(void);
/* The next stamp after `last`, given the wall clock now. */
uint64_t sl_hlc_next(uint64_t last, int64_t now_ms);
/* Merges a stamp seen from a peer.  A remote stamp more than a day ahead of
 * our wall clock is not adopted (a broken peer clock must not drag us). */
uint64_t sl_hlc_observe(uint64_t last, uint64_t remote, int64_t now_ms);

#endif
