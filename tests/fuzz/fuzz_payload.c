/* fuzz_payload: libFuzzer target for record validation and the fold.
 *
 * The first input byte picks the record type; the rest is the payload as
 * it would arrive inside an event.  Validation (sl_schema_check) must never
 * crash, leak or read out of bounds, and must refuse anything the schema
 * does not allow.  A payload it accepts must also read back (sl_schema_view,
 * render), and when the record is an item, the fold must start from it and
 * its state must survive encoding: decode(encode(state)) encodes to the same
 * bytes.  The lookups pretend that ids with an even first byte exist as
 * service matters and that reference keys starting with an even byte exist. */
#include "sl_fold.h"
#include "sl_schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool s_item(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    (void) ctx;
    if (id[0] % 2)
        return false;
    snprintf(type, cap, "%s", id[1] % 2 ? "service_matter" : "rating");
    return true;
}

static int s_ref(void *ctx, const char *kind, const char *key, size_t len)
{
    (void) ctx;
    (void) kind;
    return len > 0 && ((unsigned char) key[0]) % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const sl_rtype_t *rt = sl_schema_at(data[0] % sl_schema_count());
    const uint8_t *payload = data + 1;
    size_t len = size - 1;
    char err[1024];
    sl_schema_lookup_t lk = { s_item, s_ref, NULL };
    if (sl_schema_check(rt, payload, len, &lk, err, sizeof err, NULL) != 0)
        return 0;
    char text[8192];
    sl_schema_render(rt, payload, len, text, sizeof text);
    sl_view_t view;
    if (sl_schema_view(rt, payload, len, &view, err, sizeof err) != 0)
        abort();                /* checked, but not readable: a bug */
    if (rt->role != SL_ROLE_FACT && rt->role != SL_ROLE_CHECKIN && rt->role != SL_ROLE_CHECKOUT)
        return 0;
    sl_item_t *it = sl_item_new(), *back = sl_item_new();
    sl_fold_err_t ferr;
    if (it && back && sl_fold_start(it, rt, 7, payload, len, &ferr) == 0) {
        msgpack_sbuffer a, b;
        msgpack_sbuffer_init(&a);
        msgpack_sbuffer_init(&b);
        if (sl_fold_encode(it, &a) != 0)
            abort();
        if (sl_fold_decode(back, rt, (const uint8_t *) a.data, a.size, payload, len, err,
                           sizeof err) != 0)
            abort();
        if (sl_fold_encode(back, &b) != 0)
            abort();
        if (a.size != b.size || memcmp(a.data, b.data, a.size) != 0)
            abort();
        msgpack_sbuffer_destroy(&a);
        msgpack_sbuffer_destroy(&b);
    }
    sl_item_destroy(&it);
    sl_item_destroy(&back);
    return 0;
}
