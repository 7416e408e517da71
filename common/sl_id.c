/* sl_id.c: event ids (UUIDv7 layout) and site-id rules. */
#include "sl_id.h"
#include "sl_lang.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_id_new(uint8_t id[SL_ID_BYTES], uint64_t hlc)
{
    /* libsodium wants sodium_init() before its first use (idempotent, and
     * cheap after the first call).  No random source: no id. */
    if (sodium_init() < 0)
        abort();
    uint64_t ms = hlc >> 16;
    for (int i = 0; i < 6; i++)
        id[i] = (uint8_t) (ms >> (40 - 8 * i));
    randombytes_buf(id + 6, SL_ID_BYTES - 6);
    id[6] = (uint8_t) (0x70 | (id[6] & 0x0F));  /* version 7 */
    id[8] = (uint8_t) (0x80 | (id[8] & 0x3F));  /* RFC 4122 variant */
}

void sl_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = 0;
}

void sl_id_format(const uint8_t id[SL_ID_BYTES], char text[SL_ID_TEXT])
{
    char hex[33];
    sl_hex(id, SL_ID_BYTES, hex);
    snprintf(text, SL_ID_TEXT, "%.8s-%.4s-%.4s-%.4s-%.12s",
             hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static int s_nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sl_id_parse(const char *text, uint8_t id[SL_ID_BYTES])
{
    if (strlen(text) != 36)
        return -1;
    size_t j = 0;
    for (size_t i = 0; i < 36; ) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -1;
            i++;
            continue;
        }
        int hi = s_nibble(text[i]), lo = s_nibble(text[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        id[j++] = (uint8_t) (hi << 4 | lo);
        i += 2;
    }
    return 0;
}

const char *sl_site_id_check(const char *s, size_t len)
{
    if (len == 0)
        return SL_T("站点编号是空的", "site id is empty");
    if (len > SL_MAX_NAME_BYTES)
        return SL_T("站点编号超过 64 个字符", "site id is longer than 64 characters");
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (i == 0 && !alnum)
            return SL_T("站点编号须以字母或数字开头", "site id must start with a letter or digit");
        if (!alnum && c != '.' && c != '_' && c != '-')
            return SL_T("站点编号只能含字母、数字、'.'、'_' 和 '-'",
                        "site id may only hold letters, digits, '.', '_' and '-'");
    }
    return NULL;
}
