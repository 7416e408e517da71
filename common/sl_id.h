/* sl_id.h: identifiers that must stay unique across sites and districts.
 *
 * Event ids are 16 bytes in the UUIDv7 layout: 48 bits of the event's hybrid
 * logical clock milliseconds, then version and random bits.  Ids from one site
 * therefore grow with its sequence, which keeps the server's id index
 * inserting in order.  Site ids are short ASCII names chosen by the district
 * ("qu01.gongyuan"); the dot lets a city prefix its districts later. */
#ifndef SL_ID_H
#define SL_ID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sl_limits.h"

#define SL_ID_TEXT 37           /* 36 characters and NUL */

void sl_id_new(uint8_t id[SL_ID_BYTES], uint64_t hlc);
void sl_id_format(const uint8_t id[SL_ID_BYTES], char text[SL_ID_TEXT]);
/* Parses the 36-character form; returns 0 or -1 when malformed. */
int sl_id_parse(const char *text, uint8_t id[SL_ID_BYTES]);

/* A site id: 1..64 of [A-Za-z0-9._-], starting with a letter or digit.
 * Returns NULL when valid, else a sentence saying what is wrong. */
const char *sl_site_id_check(const char *s, size_t len);

void sl_hex(const uint8_t *bytes, size_t len, char *out /* 2*len+1 */);

#endif
