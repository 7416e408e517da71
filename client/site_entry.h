/* site_entry.h: entering records at a community site, for every front end.
 *
 * The command line (client/main.c) and the browser page call these, never
 * the store or the schema directly: text values in (field=value, a CSV
 * file), a saved record or a sentence saying exactly what is wrong out.
 * "#12" in a record-id field means this site's record 12 (what `record
 * list` shows); field names and choices may be typed in Chinese.  Entry
 * never waits for the network (P1) and "saved" means committed and fsynced
 * (P2); the fold's rules (sl_fold.c) are enforced here, before saving, as
 * the server will enforce them again. */
#ifndef SITE_ENTRY_H
#define SITE_ENTRY_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "site_store.h"

/* A record type by wire name or Chinese label; NULL with a sentence listing
 * the types when there is none. */
const sl_rtype_t *site_entry_type(const char *name, char *err, size_t errlen);

typedef struct {
    uint64_t seq;                       /* the record saved */
    uint8_t id[SL_ID_BYTES];
    char warning[2048];                 /* saved, but worth saying (empty: none) */
} site_entry_saved_t;

/* Entry exit codes, as the programs use them (sl_cli.h). */
typedef enum {
    SITE_ENTRY_OK = 0,
    SITE_ENTRY_FAIL = 1,                /* the store failed: not saved */
    SITE_ENTRY_INVALID = 64,            /* the input is wrong: not saved */
} site_entry_rc_t;

/* Saves one record from field=value texts, in its own transaction.  On a
 * refusal writes a sentence naming the field (and `field`, when not NULL,
 * gets its wire name). */
site_entry_rc_t site_entry_add(site_store_t *store, const sl_rtype_t *rt, size_t n,
                               const char *const *names, const char *const *values,
                               site_entry_saved_t *saved, char *err, size_t errlen,
                               const char **field);

/* Saves every row of a CSV file (first row: field names or Chinese labels),
 * all or none, in one transaction.  `rows` gets the number saved.  Errors
 * name the line. */
site_entry_rc_t site_entry_import(site_store_t *store, const sl_rtype_t *rt, FILE *in,
                                  long *rows, char *err, size_t errlen);

/* Renders a record for people: its fields with Chinese labels, choices by
 * label, and each record it refers to as "#SEQ title". */
void site_entry_render(site_store_t *store, const site_record_t *rec, char *out, size_t cap);

#endif
