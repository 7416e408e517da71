/* sl_event.c: the event hash (BLAKE2b-256 via libsodium). */
#include "sl_event.h"
#include <sodium.h>
#include <string.h>

static const char s_domain[] = "shuanglian.event.v1";

static void s_u64(crypto_generichash_state *st, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t) (v >> (56 - 8 * i));
    crypto_generichash_update(st, b, 8);
}

void sl_event_hash(const sl_event_t *ev, const char *site, size_t site_len,
                   uint8_t out[SL_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, SL_HASH_BYTES);
    crypto_generichash_update(&st, (const uint8_t *) s_domain, sizeof s_domain - 1);
    crypto_generichash_update(&st, ev->prev, SL_HASH_BYTES);
    uint8_t n = (uint8_t) site_len;
    crypto_generichash_update(&st, &n, 1);
    crypto_generichash_update(&st, (const uint8_t *) site, site_len);
    s_u64(&st, ev->seq);
    crypto_generichash_update(&st, ev->id, SL_ID_BYTES);
    s_u64(&st, ev->hlc);
    s_u64(&st, (uint64_t) ev->wall_ms);
    n = (uint8_t) ev->type_len;
    crypto_generichash_update(&st, &n, 1);
    crypto_generichash_update(&st, (const uint8_t *) ev->type, ev->type_len);
    s_u64(&st, ev->payload_len);
    crypto_generichash_update(&st, ev->payload, ev->payload_len);
    crypto_generichash_final(&st, out, SL_HASH_BYTES);
}

bool sl_event_hash_ok(const sl_event_t *ev, const char *site, size_t site_len)
{
    uint8_t h[SL_HASH_BYTES];
    sl_event_hash(ev, site, site_len, h);
    return memcmp(h, ev->hash, SL_HASH_BYTES) == 0;   /* integrity, not a secret */
}
