/* sl_schema.h: record types described as data (DESIGN.md section 4).
 *
 * Each record type is one row of a table in sl_schema.c: its fields with
 * type, required flag, range and references.  Entry on the site (command
 * line and CSV), validation on the server, and display all read that one
 * table; adding a record type is a table entry and a test.
 *
 * A payload is a msgpack map from field name to value, in table order:
 * TEXT and ENUM as str, INT as int, DATE as str "YYYY-MM-DD", REF as the
 * 16-byte bin id of an earlier event. */
#ifndef SL_SCHEMA_H
#define SL_SCHEMA_H
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { SL_F_TEXT, SL_F_INT, SL_F_DATE, SL_F_ENUM, SL_F_REF } sl_ftype_t;

typedef struct {
    const char *name;        /* wire and command-line name */
    const char *label;       /* Chinese label for display */
    sl_ftype_t type;
    bool required;
    int64_t min, max;        /* TEXT: characters; INT: value; DATE: yyyymmdd */
    const char *choices;     /* ENUM: "a|b|c"; REF: allowed record types */
    const char *choice_labels; /* ENUM: Chinese names of the choices, same order */
    bool unique;             /* REF: at most one record of this type per referenced record */
} sl_field_t;

typedef struct {
    const char *name;        /* e.g. "service_matter" */
    const char *label;       /* e.g. "民生实事" */
    const char *label_en;    /* e.g. "livelihood service matter" */
    const sl_field_t *fields;
    size_t nfields;
} sl_rtype_t;

size_t sl_schema_count(void);
const sl_rtype_t *sl_schema_at(size_t index);
/* By wire name ("rating") only: what the server accepts. */
const sl_rtype_t *sl_schema_find(const char *name, size_t len);
/* By wire name or Chinese label ("一事一评"): what people type. */
const sl_rtype_t *sl_schema_find_entry(const char *name);
/* The i-th choice of an ENUM field and its label; false past the end. */
bool sl_schema_choice(const sl_field_t *f, size_t i, char *name, size_t ncap,
                      char *label, size_t lcap);

/* Looks up an earlier event by id; on success writes its type name
 * (NUL-terminated, at most cap bytes) and returns true. */
typedef bool (*sl_ref_lookup_fn)(void *ctx, const uint8_t *id, char *type, size_t cap);

/* Builds a payload from text values (command line, CSV).  Field names may
 * be wire names or Chinese labels ("星级=5"), choices too ("快递员"); the
 * payload always holds the wire names.  Empty values count as absent.  On error returns -1 and writes a sentence naming the field. */
int sl_schema_build(const sl_rtype_t *rt, size_t n, const char *const *names,
                    const char *const *values, msgpack_sbuffer *out,
                    sl_ref_lookup_fn lookup, void *ctx, char *err, size_t errlen);

/* Validates a payload from the wire.  `lookup` may be NULL to skip the
 * reference check.  Returns 0, or -1 with a sentence naming the field. */
int sl_schema_check(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                    sl_ref_lookup_fn lookup, void *ctx, char *err, size_t errlen);

/* Renders a stored payload for people: "标题=… 星级=5". */
void sl_schema_render(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                      char *out, size_t cap);
/* Renders the value of one field as text ("" when absent). */
void sl_schema_field_text(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                          const char *field, char *out, size_t cap);

#endif
