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

typedef struct {
    const char *file_name;      /* named in the import history ("-": standard input) */
    bool allow_duplicates;      /* save rows that are the same as records held, or as an
                                   earlier row, and a file imported before */
    bool skip_duplicates;       /* save only the rows that are not */
} site_entry_import_opts_t;

typedef struct {
    long rows;                  /* records saved */
    long skipped;               /* duplicate rows not saved (skip_duplicates) */
    long duplicates;            /* duplicate rows saved anyway (allow_duplicates) */
    long blank;                 /* empty rows ignored (Excel's ,,,,) */
    long import_no;             /* its number in the import history; 0 when nothing was saved */
    char encoding[80];          /* what the file was: "UTF-8", "GBK", "UTF-16LE" … (dual: sl_lang.h) */
    char separator;             /* ',' or '\t' */
    char ignored[200];          /* columns ignored: "A 列（序号）" */
    char notes[4096];           /* a line per duplicate row found */
} site_entry_import_t;

/* Saves every row of a CSV file (first row: field names or Chinese labels),
 * all or none, in one transaction, and notes the import in the site's
 * history.  The file may be UTF-8 (with or without BOM), GBK, GB18030 or
 * UTF-16 (sl_csv_decode), comma- or tab-separated; empty rows, empty
 * columns and a 序号 column are ignored.  A file imported before, or a row
 * that is the same as a record held or an earlier row (sl_schema_same_row),
 * is refused naming the earlier import or line, unless opts says to allow
 * or skip duplicates; every duplicate is listed in res->notes.  Errors name
 * the line and the column (as Excel names it: C). */
site_entry_rc_t site_entry_import(site_store_t *store, const sl_rtype_t *rt, FILE *in,
                                  const site_entry_import_opts_t *opts,
                                  site_entry_import_t *res, char *err, size_t errlen);

/* The required fields of rt that names/values leave out or empty, in
 * table order, into out (at most cap): what a prompt asks for.  A record
 * given a 0.2.0 name with a default (done_on: done) lacks nothing there. */
size_t site_entry_missing(const sl_rtype_t *rt, size_t n, const char *const *names,
                          const char *const *values, const sl_field_t **out, size_t cap);

/* What people may pick for field f, at most max, each as the value to
 * enter and a label to show: a choice ("已完成 done"), a reference entry
 * this site holds ("u1 区委办"), or one of the latest records an item field
 * may name ("#12 问题上报 楼道堆放杂物").  fn returns non-zero to stop.
 * Returns how many were offered. */
size_t site_entry_choices(site_store_t *store, const sl_field_t *f, size_t max,
                          int (*fn)(void *ctx, const char *value, const char *label), void *ctx);

/* Writes every record of rt, oldest first, as CSV that Excel opens and
 * site_entry_import reads back to the same records: UTF-8 with a BOM, CRLF,
 * a 序号 column (this site's seq, ignored by import), then one column per
 * field headed by its Chinese label; choices by their Chinese names, dates
 * YYYY-MM-DD, record references as ids.  0 (rows written to *rows), or -1
 * with a sentence. */
int site_entry_export(site_store_t *store, const sl_rtype_t *rt, FILE *out, long *rows,
                      char *err, size_t errlen);

/* The fields of rt's same-row rule (sl_schema_same_row) for people:
 * "单位、事项、日期" into zh and "unit, title, on" into en. */
void site_entry_same_row_text(const sl_rtype_t *rt, char *zh, size_t zcap, char *en,
                              size_t ecap);

/* Renders a record for people: its fields with Chinese labels, choices by
 * label, and each record it refers to as "#SEQ title"; a control character
 * in a value (a record of 0.2.0, which took them) is shown escaped (\n,
 * \t, \xHH): one record is one line. */
void site_entry_render(site_store_t *store, const site_record_t *rec, char *out, size_t cap);

#endif
