/* sl_schema.h: record types described as data (DESIGN.md section 4).
 *
 * Each record type of shared/RECORDS.md is one row of the table in
 * sl_schema.c: its fields (type, required, range, choices, what they refer
 * to), its lifecycle (statuses, the moves an `update` may make, which status
 * is the good final one) and its role in the fold (a fact, an update, a
 * rating, a correction, a void, a member's check-in or check-out).  Entry on
 * the site (command line, CSV, the web page), validation on the server, the
 * fold, display, the record catalog of proto/PROTOCOL.md and the reports all
 * read that one table; adding a record type is a table entry and a test.
 *
 * A payload is a msgpack map from field name to value: TEXT, ENUM and REF as
 * str, INT as int, DATE as str "YYYY-MM-DD", ITEM as the 16-byte bin id of an
 * earlier record of the same site.  Payloads written by 0.2.0 use older
 * field names (`done_on`, `reported_on`); the table says what they mean. */
#ifndef SL_SCHEMA_H
#define SL_SCHEMA_H
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sl_limits.h"

typedef enum {
    SL_F_TEXT,      /* text of min..max characters, trimmed at entry */
    SL_F_INT,       /* whole number in min..max */
    SL_F_DATE,      /* a real calendar date, yyyymmdd in min..max */
    SL_F_ENUM,      /* one of `choices` */
    SL_F_ITEM,      /* an earlier record of this site, of one of the types in `choices` ("*": any) */
    SL_F_REF,       /* the key of a reference entry of kind `choices` (unit, member …) */
} sl_ftype_t;

typedef struct {
    const char *name;           /* wire name, fixed (RECORDS.md) */
    const char *label;          /* Chinese label: what people see and may type */
    sl_ftype_t type;
    bool required;
    int64_t min, max;           /* TEXT: characters; INT: value; DATE: yyyymmdd */
    const char *choices;        /* ENUM: "a|b|c"; ITEM: record types or "*"; REF: reference kind */
    const char *choice_labels;  /* ENUM: Chinese names of the choices, same order */
    const char *legacy_name;    /* the 0.2.0 name of this field ("done_on" for `on`) */
    const char *legacy_default; /* what a 0.2.0 payload without this field means ("done") */
} sl_field_t;

/* One move an `update` may make; `needs` names what the move requires:
 * "unit|member" (a responsible unit or member, given or already set) or
 * "note" (the update's note). */
typedef struct {
    const char *from, *to;
    const char *needs;
} sl_move_t;

typedef struct {
    const char *statuses;       /* every status, "a|b|c" */
    const char *labels;         /* their Chinese names, same order */
    const char *create;         /* statuses a record may be created in (its forward path) */
    const char *initial;        /* the status of a new record when the type has no status field */
    const char *good;           /* the good final status: rated, counted */
    const sl_move_t *moves;
    size_t nmoves;
    const char *create_needs;   /* statuses that need "unit|member" already at creation */
} sl_lifecycle_t;

/* What a record does in the fold (common/sl_fold.c). */
typedef enum {
    SL_ROLE_FACT,       /* an item of its own: counted, corrected, voided */
    SL_ROLE_UPDATE,     /* moves its item along its lifecycle */
    SL_ROLE_RATING,     /* rates a finished item (一事一评) */
    SL_ROLE_CORRECTION, /* changes one field of an item, retroactively */
    SL_ROLE_VOID,       /* removes an item (or an update or rating) from every figure */
    SL_ROLE_CHECKIN,    /* a member reports to this community (an item too) */
    SL_ROLE_CHECKOUT,   /* a member leaves this community (an item too) */
} sl_role_kind_t;

typedef struct {
    int code;                   /* its number in the state table, never reused */
    const char *name;           /* e.g. "service_matter" */
    const char *label;          /* e.g. "民生实事" */
    const char *label_en;       /* e.g. "livelihood practical matter" */
    const sl_field_t *fields;
    size_t nfields;
    sl_role_kind_t role;
    const sl_lifecycle_t *life; /* NULL: no lifecycle */
    const char *title_field;    /* the field that names a record of this type in lists */
    /* Written by the site program itself (the result of a remote command,
     * PROTOCOL.md 12.11), never entered by people: `record add` and
     * `record import` refuse it; everything else reads it like any type. */
    bool internal;
} sl_rtype_t;

size_t sl_schema_count(void);
const sl_rtype_t *sl_schema_at(size_t index);
/* By wire name only: what the server accepts. */
const sl_rtype_t *sl_schema_find(const char *name, size_t len);
/* By its number in the state table; NULL when unknown. */
const sl_rtype_t *sl_schema_by_code(int code);
/* By wire name or Chinese label ("一事一评"): what people type. */
const sl_rtype_t *sl_schema_find_entry(const char *name);
/* The fields, '|'-separated, whose equal values make two records of this
 * type the same row for a duplicate import; NULL when the type has no rule
 * (test_entry_values checks every type has one, of its own fields). */
const char *sl_schema_same_row(const sl_rtype_t *rt);
/* A field by wire name (payloads): NULL when the type has none. */
const sl_field_t *sl_schema_field(const sl_rtype_t *rt, const char *name, size_t len);
/* A field by wire name, Chinese label or 0.2.0 name (what people type). */
const sl_field_t *sl_schema_field_entry(const sl_rtype_t *rt, const char *name);
/* The i-th choice of an ENUM field and its label; false past the end. */
bool sl_schema_choice(const sl_field_t *f, size_t i, char *name, size_t ncap,
                      char *label, size_t lcap);
/* The i-th part of a '|'-separated list; false past the end. */
bool sl_schema_part(const char *list, size_t i, char *out, size_t cap);
/* The index of `value` (len bytes) in a '|'-separated list, or -1. */
int sl_schema_index(const char *list, const char *value, size_t len);
/* A status's index in a lifecycle, by wire name or Chinese label; -1 when none. */
int sl_schema_status(const sl_lifecycle_t *life, const char *name, size_t len);
/* Parses "YYYY-MM-DD" into yyyymmdd; -1 when not a real calendar date. */
long sl_schema_date(const char *s, size_t len);
/* Formats yyyymmdd as "YYYY-MM-DD" (11 bytes). */
void sl_schema_date_text(long date, char out[11]);

/* How a payload's references are checked: each callback may be NULL, which
 * skips that check.  `item`: an earlier record of THIS site by id (writes its
 * type name, NUL-terminated); `ref`: whether a reference entry kind/key is
 * known (1), unknown (0), or the lookup failed (-1). */
typedef struct {
    bool (*item)(void *ctx, const uint8_t *id, char *type, size_t cap);
    int (*ref)(void *ctx, const char *kind, const char *key, size_t key_len);
    void *ctx;
    /* Entry only (sl_schema_build): the entering site's date, yyyymmdd; a
     * date more than one day after it is refused.  0: not checked (the
     * server, which has no say over a site's clock). */
    long today;
} sl_schema_lookup_t;

/* ---- entry: what people type, read leniently but exactly ----------------------------
 *
 * A value typed at a prompt or a command line, or held in a spreadsheet
 * cell, is read the way a person means it (RECORDS.md "Field kinds"):
 * leading and trailing white space is dropped (also the full-width space
 * U+3000, U+00A0, U+200B, U+FEFF) and white space alone is an empty value;
 * dates may be 2026-03-05, 2026-3-5, 2026/3/5, 2026.3.5 or 2026年3月5日,
 * numbers and dates may be written with full-width digits and punctuation
 * (２０２６－０３－０５, １２０); choices by wire name (any case) or Chinese
 * label.  Nothing is guessed: 3/5/2026, 26-3-5, 1,200 or 120人 are refused.
 * A control character inside a text (a tab, a line break from Alt+Enter in
 * an Excel cell) is refused, naming the field: every output keeps one
 * record per line.  The wire keeps one canonical form (YYYY-MM-DD, ASCII
 * decimal, wire names), which sl_schema_check alone accepts. */

/* The canonical text of one entered value for field f into out (cap bytes):
 * its length, 0 when the value is empty (white space only: absent), or -1
 * with a sentence naming the field (and *field, when not NULL, its wire
 * name).  References and record ids are not looked up here. */
int sl_schema_entry_value(const sl_field_t *f, const char *v, size_t len, long today,
                          char *out, size_t cap, char *err, size_t errlen, const char **field);
/* A date as people write it (the forms above) as yyyymmdd, or -1. */
long sl_schema_date_entry(const char *s, size_t len);
/* Full-width forms (U+FF01..U+FF5E) as their ASCII letters and U+3000 as a
 * space, into out (NUL-terminated); the length, or -1 when out is too small. */
long sl_schema_halfwidth(const char *s, size_t len, char *out, size_t cap);
/* Today on this computer's clock as yyyymmdd. */
long sl_schema_today(void);

/* Builds a payload from text values (command line, CSV, a prompt), each
 * read by sl_schema_entry_value (dates after lookup->today + 1 refused).
 * Field names may be wire names, Chinese labels or 0.2.0 names ("done_on"
 * means `on`, and a record given `done_on` without a status is done, as
 * 0.2.0 meant it).  Empty values count as absent.  The payload holds the
 * wire names and canonical values.  On error returns -1, writes a sentence
 * naming the field and, when `field` is not NULL, the field's wire name. */
int sl_schema_build(const sl_rtype_t *rt, size_t n, const char *const *names,
                    const char *const *values, msgpack_sbuffer *out,
                    const sl_schema_lookup_t *lookup, char *err, size_t errlen,
                    const char **field);

/* Validates a payload from the wire (or a store).  Returns 0, or -1 with a
 * sentence naming the field and, when `field` is not NULL, the field's wire
 * name (for the protocol's ERROR).  A payload using 0.2.0 field names is
 * valid as 0.2.0 wrote it: its references are names of its day, not
 * reference keys, and are not looked up. */
int sl_schema_check(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                    const sl_schema_lookup_t *lookup, char *err, size_t errlen,
                    const char **field);

struct sl_view;
/* One field's value in a decoded payload. */
typedef struct {
    bool present;
    int64_t i;                          /* INT; DATE as yyyymmdd */
    const char *s;                      /* TEXT, ENUM, REF, DATE */
    size_t len;
    const uint8_t *id;                  /* ITEM */
} sl_value_t;

/* A decoded payload: each field's value, in table order.  Values point into
 * the payload bytes, which must outlive the view. */
typedef struct sl_view {
    const sl_rtype_t *rt;
    bool legacy;                        /* written by 0.2.0 */
    sl_value_t v[SL_MAX_FIELDS];
} sl_view_t;

/* sl_schema_check that also fills `view` (when not NULL) with what it
 * decoded: the server decodes every record once. */
int sl_schema_check_view(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                         const sl_schema_lookup_t *lookup, sl_view_t *view, char *err,
                         size_t errlen, const char **field);

/* Decodes a payload already validated (or read back from a store) into a
 * view; a field a 0.2.0 payload lacks gets its legacy meaning.  0, or -1
 * with a sentence when the bytes are not a flat map of this type's fields. */
int sl_schema_view(const sl_rtype_t *rt, const uint8_t *payload, size_t len, sl_view_t *view,
                   char *err, size_t errlen);
/* The view's value of a field as text ("" when absent); INT in decimal,
 * ITEM as the 36-character id. */
const char *sl_view_text(const sl_view_t *view, const char *field, char *buf, size_t cap);
/* The same for field index k (-1: absent). */
const char *sl_view_text_at(const sl_view_t *view, int k, char *buf, size_t cap);
/* The index of a field in rt->fields, or -1. */
int sl_schema_field_index(const sl_rtype_t *rt, const char *name);

/* Renders a stored payload for people: "标题=… 星级=5" (choices by label). */
void sl_schema_render(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                      char *out, size_t cap);
/* Renders the value of one field as text ("" when absent). */
void sl_schema_field_text(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                          const char *field, char *out, size_t cap);
/* Copies a payload with one field replaced (value NULL: removed), keeping
 * the table's field order: how a correction changes an item.  The value is
 * text, validated as the field's type.  0, or -1 with a sentence. */
int sl_schema_replace(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                      const sl_field_t *f, const char *value, msgpack_sbuffer *out,
                      const sl_schema_lookup_t *lookup, char *err, size_t errlen);

/* Writes the record-type catalog as Markdown (proto/PROTOCOL.md carries it
 * between its catalog markers; tests/test_catalog.c checks they agree). */
void sl_schema_markdown(FILE *out);

#endif
