/* sl_event.h: the unit of everything a site records, and its hash chain.
 *
 * An event is immutable once written.  Its hash covers the previous event's
 * hash and every field, so a site's events form a chain: the server can tell
 * a gap, a fork (other content for a (site, seq) it already has) and
 * tampering apart from an honest retry.  The exact bytes hashed are given in
 * proto/PROTOCOL.md, section "Event hash", so another implementation can
 * reproduce them. */
#ifndef SL_EVENT_H
#define SL_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sl_limits.h"

typedef struct {
    uint64_t seq;                  /* 1, 2, 3 … per site, no gaps */
    uint8_t id[SL_ID_BYTES];       /* globally unique */
    uint64_t hlc;                  /* hybrid logical clock stamp */
    int64_t wall_ms;               /* the site's wall clock, kept, never trusted */
    const char *type;              /* record type name, not NUL-terminated */
    size_t type_len;
    const uint8_t *payload;        /* msgpack map of the record's fields */
    size_t payload_len;
    uint8_t prev[SL_HASH_BYTES];   /* hash of event seq-1; zeros for seq 1 */
    uint8_t hash[SL_HASH_BYTES];
} sl_event_t;

/* Computes the hash of `ev` (using ev->prev) for site `site`. */
void sl_event_hash(const sl_event_t *ev, const char *site, size_t site_len,
                   uint8_t out[SL_HASH_BYTES]);
/* True when ev->hash is the hash of ev's content. */
bool sl_event_hash_ok(const sl_event_t *ev, const char *site, size_t site_len);

#endif
