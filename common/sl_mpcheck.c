/* sl_mpcheck.c: allocation-free structural check of msgpack input. */
#include "sl_mpcheck.h"
#include "sl_limits.h"
#include <stdio.h>
#include <string.h>

static uint64_t s_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int sl_mp_check(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    uint64_t pending[SL_MAX_DEPTH + 1];
    size_t depth = 0, pos = 0, objects = 0;
    pending[0] = 1;
    if (len == 0) {
        snprintf(err, errlen, "empty message");
        return -1;
    }
    for (;;) {
        while (pending[depth] == 0) {
            if (depth == 0) {
                if (pos != len) {
                    snprintf(err, errlen, "%zu trailing bytes after the message at offset %zu",
                             len - pos, pos);
                    return -1;
                }
                return 0;
            }
            depth--;
        }
        pending[depth]--;
        if (pos >= len) {
            snprintf(err, errlen, "truncated: message ends at offset %zu inside a value", pos);
            return -1;
        }
        if (++objects > SL_MAX_OBJECTS) {
            snprintf(err, errlen, "more than %d values in one message", SL_MAX_OBJECTS);
            return -1;
        }
        uint8_t b = buf[pos++];
        size_t left = len - pos;
        uint64_t skip = 0, count = 0;
        int head = 0;           /* length bytes after the type byte */
        int container = 0;      /* 1 array, 2 map */
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        } else if (b >= 0x80 && b <= 0x8f) { container = 2; count = b & 0x0f; }
        else if (b >= 0x90 && b <= 0x9f) { container = 1; count = b & 0x0f; }
        else if (b >= 0xa0 && b <= 0xbf) { skip = b & 0x1f; }
        else switch (b) {
        case 0xc4: case 0xd9: head = 1; break;
        case 0xc5: case 0xda: head = 2; break;
        case 0xc6: case 0xdb: head = 4; break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xdc: container = 1; head = 2; break;
        case 0xdd: container = 1; head = 4; break;
        case 0xde: container = 2; head = 2; break;
        case 0xdf: container = 2; head = 4; break;
        default:
            snprintf(err, errlen, "type byte 0x%02x at offset %zu is not allowed "
                     "(ext types and 0xc1 are not used)", b, pos - 1);
            return -1;
        }
        if (head) {
            if ((size_t) head > left) {
                snprintf(err, errlen, "truncated: length at offset %zu needs %d bytes, %zu left",
                         pos, head, left);
                return -1;
            }
            uint64_t n = s_be(buf + pos, head);
            pos += (size_t) head;
            left -= (size_t) head;
            if (container)
                count = n;
            else
                skip = n;
        }
        if (container) {
            uint64_t need = container == 2 ? count * 2 : count;
            if (need > left) {
                snprintf(err, errlen, "%s at offset %zu announces %llu %s but only %zu bytes "
                         "are left", container == 2 ? "map" : "array", pos,
                         (unsigned long long) count, container == 2 ? "pairs" : "elements", left);
                return -1;
            }
            if (depth + 1 > SL_MAX_DEPTH) {
                snprintf(err, errlen, "nesting deeper than %d at offset %zu", SL_MAX_DEPTH, pos);
                return -1;
            }
            pending[++depth] = need;
        } else {
            if (skip > left) {
                snprintf(err, errlen, "truncated: value at offset %zu needs %llu bytes, %zu left",
                         pos, (unsigned long long) skip, left);
                return -1;
            }
            pos += (size_t) skip;
        }
    }
}

int sl_mp_unpack(const uint8_t *buf, size_t len, msgpack_zone *zone,
                 msgpack_object *obj, char *err, size_t errlen)
{
    if (sl_mp_check(buf, len, err, errlen))
        return -1;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack((const char *) buf, len, &off, zone, obj);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len) {
        snprintf(err, errlen, "msgpack decoder refused the message (code %d, %zu of %zu bytes)",
                 (int) rc, off, len);
        return -1;
    }
    return 0;
}

const msgpack_object *sl_mp_get(const msgpack_object *map, const char *key)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen
            && memcmp(k->via.str.ptr, key, klen) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}
