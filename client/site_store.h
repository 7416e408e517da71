/* site_store.h: a community site's local store (SQLite, <dir>/site.db).
 *
 * Entry never waits on the network (promise P1): a record is validated
 * against its schema, stamped (seq, id, HLC, wall time, hash chain) and
 * committed with synchronous=FULL before "saved" is printed (P2).  The
 * outbox is simply every event above the server's acknowledged sequence; it
 * is read in bounded batches, never loaded whole. */
#ifndef SITE_STORE_H
#define SITE_STORE_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sl_event.h"
#include "sl_msg.h"
#include "sl_items.h"
#include "sl_schema.h"

typedef struct site_store site_store_t;

/* Creates <dir>/site.db for `site_id`, syncing with `server` (an endpoint). */
int site_store_init(const char *dir, const char *site_id, const char *server,
                    char *err, size_t errlen);
site_store_t *site_store_open(const char *dir, char *err, size_t errlen);
void site_store_destroy(site_store_t **self_p);
sqlite3 *site_store_db(site_store_t *self);

const char *site_store_site_id(site_store_t *self);
const char *site_store_server(site_store_t *self);

/* Entry.  site_store_add needs an open transaction (begin/commit), so an
 * import of many rows is one durable commit; site_store_append is the
 * one-record form.  On success the new event's seq and id are written to the
 * optional out parameters; on a refusal by the fold's rules, `field` (when
 * not NULL) gets the payload field at fault. */
int site_store_begin(site_store_t *self);
int site_store_add(site_store_t *self, const sl_rtype_t *rt, const uint8_t *payload,
                   size_t len, uint64_t *seq_out, uint8_t *id_out, char *err, size_t errlen,
                   const char **field);
int site_store_commit(site_store_t *self);
void site_store_rollback(site_store_t *self);
int site_store_append(site_store_t *self, const sl_rtype_t *rt, const uint8_t *payload,
                      size_t len, uint64_t *seq_out, uint8_t *id_out, char *err, size_t errlen);
/* Reference lookup for sl_schema_build / sl_schema_check (ctx = store). */
bool site_store_ref_lookup(void *ctx, const uint8_t *id, char *type, size_t cap);
/* What entry checks references against: this site's records (by id) and
 * the reference data it has received. */
const sl_schema_lookup_t *site_store_lookup(site_store_t *self);

/* A record of this site as read back (pointers valid until the next call). */
typedef struct {
    uint64_t seq;
    uint8_t id[SL_ID_BYTES];
    int64_t wall_ms;            /* the site's clock when entered */
    const sl_rtype_t *rt;       /* NULL: a type this version does not know */
    const char *type;
    const uint8_t *payload;
    size_t len;
} site_record_t;

/* The id of record `seq`: 0, or -1 when there is none. */
int site_store_id_of(site_store_t *self, uint64_t seq, uint8_t id[SL_ID_BYTES]);
/* The record with this id: 0, 1 none, -1 damaged or error.  Its pointers
 * stay valid until the next call or site_store_release (which ends the
 * read: call it when done, or the next write waits on an old snapshot). */
int site_store_record(site_store_t *self, const uint8_t *id, site_record_t *out);
void site_store_release(site_store_t *self);
/* Records newest first, of one type (NULL: all), at most `limit` (0: all);
 * stops when fn returns non-zero.  0, or -1 on a database error. */
int site_store_records(site_store_t *self, const char *type, long limit,
                       int (*fn)(void *ctx, const site_record_t *rec), void *ctx);
/* Which records the web's list shows. */
typedef struct {
    const char *type;           /* of one type (NULL: all) */
    uint64_t before;            /* seq < before (0: from the newest) */
    uint64_t after;             /* seq > after (0: from the first) */
    const char *text;           /* whose payload holds these bytes (NULL or "": any) */
} site_records_filter_t;
/* A page of records for the web's list: newest first, those of the filter
 * (chosen inside SQLite: a search reads no row into the program that does
 * not match), at most `limit`; stops when fn returns non-zero.  0, or -1
 * on a database error. */
int site_store_records_before(site_store_t *self, const site_records_filter_t *filter, long limit,
                              int (*fn)(void *ctx, const site_record_t *rec), void *ctx);
/* Reference entries received. */
long site_store_refdata_count(site_store_t *self);

/* The fold's state of this site's items (common/sl_items.h). */
/* Loads item `seq`: 1, 0 when that record is not an item, -1 damaged. */
int site_store_item(site_store_t *self, uint64_t seq, sl_item_t *it, char *err, size_t errlen);
/* Members checked in here now (-1 on error). */
long site_store_members_here(site_store_t *self);
int site_store_items_dump(site_store_t *self, FILE *out);
int site_store_items_each(site_store_t *self, const char *type,
                          int (*fn)(void *ctx, const sl_items_row_t *row), void *ctx);

/* Sync state. */
uint64_t site_store_last_seq(site_store_t *self);
int site_store_hash_at(site_store_t *self, uint64_t seq, uint8_t out[SL_HASH_BYTES]);
uint64_t site_store_acked(site_store_t *self);
int site_store_set_acked(site_store_t *self, uint64_t acked);
uint64_t site_store_cursor(site_store_t *self);
uint64_t site_store_hlc(site_store_t *self);
void site_store_observe_hlc(site_store_t *self, uint64_t remote);
/* Records the end of a sync attempt ("ok" or a reason) for `status`. */
void site_store_note_sync(site_store_t *self, const char *result, uint64_t server_seq,
                          uint64_t log_head);
/* True when another process committed to the database since the last call. */
bool site_store_changed(site_store_t *self);

/* Packs events [from, to] into a BATCH message in `out`, stopping early
 * (but after at least one event) when the events would pass max_bytes; the
 * last seq packed goes to *last. */
int site_store_pack_batch_upto(site_store_t *self, uint64_t sess, uint64_t from, uint64_t to,
                               size_t max_bytes, msgpack_sbuffer *out, uint64_t *last);
/* Packs events [from, to] into a BATCH message in `out`. */
int site_store_pack_batch(site_store_t *self, uint64_t sess, uint64_t from, uint64_t to,
                          msgpack_sbuffer *out);
/* Inserts the site's own events fetched back from the server (after a restore
 * from an old copy).  They must continue the local chain exactly.  One
 * transaction; returns 0 or -1 with a sentence. */
int site_store_restore_events(site_store_t *self, const sl_event_t *events, size_t n,
                              char *err, size_t errlen);
/* Runs one command entry of the server log (kind `command`, value not nil)
 * inside the transaction of site_store_apply_log: 0 (run, or already run,
 * or refused with a result record saying why), -1 when the store failed
 * (the whole LOG is rolled back and pulled again). */
typedef int (*site_command_fn)(void *ctx, site_store_t *store, const sl_log_entry_t *entry,
                               char *err, size_t errlen);
/* Applies server-log entries and advances the cursor to `upto`, in one
 * transaction.  Entries of kind `command` are not reference data: each one
 * with a value goes to `exec` (may be NULL: ignored), in that same
 * transaction, so a command runs exactly when its cursor moves past it. */
int site_store_apply_log(site_store_t *self, const sl_log_entry_t *entries, size_t n,
                         uint64_t upto, site_command_fn exec, void *ctx, char *err,
                         size_t errlen);

/* Remote commands run here (PROTOCOL.md 12.11), by uid: 1 already run, 0
 * not, -1 on error. */
int site_store_command_seen(site_store_t *self, const char *uid);
/* Notes that a command ran (in the caller's transaction). 0 or -1. */
int site_store_command_ran(site_store_t *self, const char *uid, int64_t number,
                           const char *verb, uint64_t lseq, const char *outcome,
                           uint64_t result_seq);
/* How many commands ran here (of one verb, or all with NULL); -1 on error. */
long site_store_commands_run(site_store_t *self, const char *verb);
/* A notice from the district, shown to the site's users next time. */
int site_store_notice_add(site_store_t *self, const char *uid, int64_t number, const char *text);
/* Calls fn for each notice not yet shown (oldest first, at most 20) and
 * marks them shown.  Returns how many, or -1. */
int site_store_notices_take(site_store_t *self,
                            int (*fn)(void *ctx, int64_t received_ms, const char *text),
                            void *ctx);
/* This site's telemetry for HELLO and PING (PROTOCOL.md 4.1.1): outbox,
 * the age of its oldest record, the clock, free disk under `dir`, the last
 * sync's problem (copied into last_error, which tm points to).  0. */
int site_store_telemetry(site_store_t *self, const char *dir, sl_telemetry_t *tm,
                         char *last_error, size_t cap);
/* Checks the database (SQLite integrity check) and the records' hash
 * chain; a report for people goes to out.  Returns the problems found. */
long site_store_check(site_store_t *self, char *out, size_t cap);

/* Forgets all reference data and sets the cursor to 0, in one transaction:
 * the server's log is not the one the cursor points into (restored or
 * replaced), so everything is pulled again.  0 or -1. */
int site_store_reset_refdata(site_store_t *self, const char *log_id);

/* Sets a meta value (text), durably.  0 or -1. */
int site_store_set_meta(site_store_t *self, const char *key, const char *value);
/* Changes the server address this site syncs with (already checked with
 * sl_endpoint_check); the old one is kept as meta server_previous.  0 or -1. */
int site_store_set_server(site_store_t *self, const char *endpoint);

/* A meta value as text (NULL-safe empty string when absent), into buf. */
const char *site_store_meta(site_store_t *self, const char *key, char *buf, size_t cap);

/* Reference data this site holds (applied from the server log): the value
 * of kind/key, the canonical JSON of common/sl_refkinds.h or 0.2.0 text.
 * 1 found (copied; cap should be SL_MAX_TEXT_BYTES + 1), 0 absent, -1 on a
 * read error or a damaged value. */
int site_store_ref_get(site_store_t *self, const char *kind, const char *key, char *value,
                       size_t cap);
/* Calls fn for each entry of `kind` (NULL: every kind), by kind and key.
 * Returns 0, fn's first non-zero answer, or -1 on a read error. */
typedef int (*site_ref_fn)(void *ctx, const char *kind, const char *key, const char *value,
                           size_t value_len, uint64_t lseq);
int site_store_ref_each(site_store_t *self, const char *kind, site_ref_fn fn, void *ctx);

/* ---- Import history (record import) ----------------------------------------
 * Each CSV import that saved records is one row: when, the type, the
 * file's name and hash, its encoding, the rows saved (records
 * first_seq..last_seq, one transaction) and the line of each; a file or a
 * row seen before is named by it (docs/USER-GUIDE.md section 5). */
typedef struct {
    long no;                    /* 1, 2, 3 … */
    int64_t at_ms;              /* this computer's clock */
    char type[SL_MAX_NAME_BYTES + 1];
    char file[256];
    char encoding[80];
    long rows;
    uint64_t first_seq, last_seq;
} site_import_t;

/* The latest import of a file with this hash: 1 found, 0 none, -1 error. */
int site_store_import_by_hash(site_store_t *self, const uint8_t hash[SL_HASH_BYTES],
                              site_import_t *out);
/* The import that saved record seq, and the file's line it came from:
 * 1, 0 when the record was not imported, -1 error. */
int site_store_import_of(site_store_t *self, uint64_t seq, site_import_t *out, long *line);
/* Records an import inside the open entry transaction (kept with its rows
 * or not at all): its number, or -1.  im->no is not read. */
long site_store_import_note(site_store_t *self, const site_import_t *im,
                            const uint8_t hash[SL_HASH_BYTES]);
/* The line of each record of the import, records first_seq … first_seq + n - 1. */
int site_store_import_rows(site_store_t *self, long import_no, uint64_t first_seq,
                           const long *lines, size_t n);
/* Imports, newest first, at most `limit` (0: all); stops when fn returns
 * non-zero.  0, or -1 on a database error. */
int site_store_imports_each(site_store_t *self, long limit,
                            int (*fn)(void *ctx, const site_import_t *im), void *ctx);

#endif
