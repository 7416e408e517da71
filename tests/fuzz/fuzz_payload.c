/* fuzz_payload: libFuzzer target for record validation (sl_schema_check).
 *
 * The first input byte picks the record type; the rest is the payload as
 * it would arrive inside an event.  Validation must never crash, leak or
 * read out of bounds, and must refuse anything the schema does not allow.
 * The reference lookup pretends that ids with an even first byte exist as
 * service matters. */
#include "sl_schema.h"
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool s_lookup(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    (void) ctx;
    if (id[0] % 2)
        return false;
    snprintf(type, cap, "%s", id[1] % 2 ? "service_matter" : "rating");
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const sl_rtype_t *rt = sl_schema_at(data[0] % sl_schema_count());
    char err[512];
    if (sl_schema_check(rt, data + 1, size - 1, s_lookup, NULL, err, sizeof err) == 0) {
        char text[8192];
        sl_schema_render(rt, data + 1, size - 1, text, sizeof text);
    }
    return 0;
}
