/* sl_json.h: a small, strict reader and writer of FLAT JSON objects.
 *
 * A reference entry's value (the server log, a site's refdata table) is one
 * JSON object whose members are strings, integers or null: {"name":"区委办",
 * "households":1200}.  Nothing else is needed, so nothing else is accepted:
 * no nesting, no true/false, no fractions or exponents, no duplicate keys.
 * The text read may come from a damaged database or a peer: every read is
 * bounds-checked and a bad value is an error sentence, never a crash.
 *
 * The writer is canonical: members in the order they are added, the
 * shortest escapes of RFC 8259 (\" \\ \b \f \n \r \t, \u00XX for the other
 * controls), UTF-8 kept as it is, no white space.  The same entry is always
 * the same bytes, so two values can be compared with memcmp. */
#ifndef SL_JSON_H
#define SL_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { SL_JSON_STRING, SL_JSON_INT, SL_JSON_NULL } sl_json_type_t;

typedef struct {
    const char *key;            /* unescaped, NUL-terminated */
    sl_json_type_t type;
    const char *str;            /* SL_JSON_STRING: unescaped, NUL-terminated; else NULL */
    size_t str_len;
    int64_t num;                /* SL_JSON_INT */
} sl_json_member_t;

typedef struct {
    sl_json_member_t *members;
    size_t n;
    char *arena;                /* the unescaped keys and strings */
} sl_json_obj_t;

/* Parses text[0..len) (not NUL-terminated) as one flat object of at most
 * max_members members.  0, or -1 with a sentence in err (Chinese, then
 * English) saying what is wrong and at which byte; `out` is then empty.
 * Strings must be valid UTF-8 without unescaped controls; \u0000 is
 * refused (C strings could not hold it). */
int sl_json_parse(const char *text, size_t len, size_t max_members, sl_json_obj_t *out,
                  char *err, size_t errlen);
void sl_json_obj_free(sl_json_obj_t *obj);
/* The member named key, or NULL. */
const sl_json_member_t *sl_json_get(const sl_json_obj_t *obj, const char *key);

/* Writes s[0..len) escaped for a JSON string (without the quotes) into
 * out[0..cap), NUL-terminated when cap > 0; returns the length the whole
 * escape needs (as snprintf does: truncated when >= cap).  A byte that does
 * not start a valid UTF-8 character becomes \ufffd. */
size_t sl_json_escape(const char *s, size_t len, char *out, size_t cap);

/* The writer: begin, add members, end.  Out of memory is remembered and
 * reported by sl_json_end (NULL); the caller frees what it returns. */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t n;                   /* members so far */
    bool failed;
} sl_json_writer_t;

void sl_json_begin(sl_json_writer_t *w);
void sl_json_add_str(sl_json_writer_t *w, const char *key, const char *value, size_t len);
void sl_json_add_int(sl_json_writer_t *w, const char *key, int64_t value);
void sl_json_add_null(sl_json_writer_t *w, const char *key);
/* Closes the object; returns the text (NUL-terminated, *len_out bytes when
 * given), or NULL when memory ran out (the writer is then reset). */
char *sl_json_end(sl_json_writer_t *w, size_t *len_out);

#endif
