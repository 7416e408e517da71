/* sl_mpcheck.h: check msgpack bytes before msgpack-c sees them.
 *
 * msgpack-c's unpacker reserves memory for an announced array or map count
 * before a single element arrives, so five hostile bytes can ask for
 * gigabytes (shared/PITFALLS.md).  sl_mp_check walks the bytes without
 * allocating and refuses any container whose count exceeds the bytes left,
 * any nesting deeper than SL_MAX_DEPTH, ext types, and trailing bytes.
 * sl_mp_unpack runs the check, then msgpack_unpack, and requires that the
 * whole buffer was one object. */
#ifndef SL_MPCHECK_H
#define SL_MPCHECK_H
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

int sl_mp_check(const uint8_t *buf, size_t len, char *err, size_t errlen);
int sl_mp_unpack(const uint8_t *buf, size_t len, msgpack_zone *zone,
                 msgpack_object *obj, char *err, size_t errlen);

/* Field access on a decoded map with str keys: NULL when absent. */
const msgpack_object *sl_mp_get(const msgpack_object *map, const char *key);

#endif
