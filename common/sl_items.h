/* sl_items.h: the item-state table, kept the same way by the site store and
 * the central store.
 *
 * Table `items` holds one row per item (a record that is a fact of its own)
 * with what the fold (sl_fold.c) made of its history: its date, status,
 * good date, responsible unit and member, whether it is void, and the full
 * state as bytes when there is more than its own record.  Records about an
 * item (updates, ratings, corrections, voids) change its row.  The site keeps
 * the rows of its own items (site_no 0); the server keeps every site's,
 * folded inside the transaction that stores the records and written behind
 * (see sl_items_defer), so figures are read, not recomputed.  SQL on `items` lives here and nowhere else; the
 * stores give access to their own events through callbacks. */
#ifndef SL_ITEMS_H
#define SL_ITEMS_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sl_fold.h"
#include "sl_schema.h"

/* The table, for the stores' migrations.  Keyed by type first, so that the
 * reports read one type's rows as one range. */
#define SL_ITEMS_SCHEMA \
    "CREATE TABLE items(" \
    "  type INTEGER NOT NULL,"         /* the record type's code (sl_rtype_t.code) */ \
    "  site_no INTEGER NOT NULL,"      /* 0 in a site store */ \
    "  seq INTEGER NOT NULL,"          /* the record that created the item */ \
    "  on_date INTEGER,"               /* yyyymmdd, as corrected */ \
    "  status TEXT,"                   /* lifecycle status now */ \
    "  good_on INTEGER,"               /* when it last entered its good status (NULL: not in it) */ \
    "  unit TEXT, member TEXT,"        /* responsible now */ \
    "  voided INTEGER NOT NULL DEFAULT 0," \
    "  state BLOB,"                    /* sl_fold_encode; NULL: rebuilt from the record */ \
    "  PRIMARY KEY(type, site_no, seq)) WITHOUT ROWID;"

/* Where a member is checked in: each site's check-ins and check-outs
 * (types 1 and 2, member_checkin and member_checkout) by member, so that
 * a check-in is checked without reading the site's others.  A migration of
 * both stores; sl_items_new refuses a type table whose codes differ. */
#define SL_ITEMS_PLACEMENT_INDEX \
    "CREATE INDEX IF NOT EXISTS items_placement ON items(site_no, member, seq)" \
    " WHERE type IN (1, 2);"
#define SL_ITEMS_CHECKIN_CODE 1
#define SL_ITEMS_CHECKOUT_CODE 2

/* A store's own records, by id (of the same site) or by seq.  The pointers
 * stay valid until the next call of either, or `release`, which ends the
 * reads (an SQLite statement left stepped keeps a read snapshot open: the
 * next write transaction of that connection would then fail as busy).
 * 0 found, 1 none, -1 error. */
typedef struct {
    int (*by_id)(void *ctx, const uint8_t *id, uint64_t *seq, const sl_rtype_t **rt,
                 const uint8_t **payload, size_t *len);
    int (*by_seq)(void *ctx, uint64_t seq, const sl_rtype_t **rt, const uint8_t **payload,
                  size_t *len);
    void (*release)(void *ctx);
    void *ctx;
} sl_items_events_t;

typedef struct sl_items sl_items_t;

sl_items_t *sl_items_new(sqlite3 *db);
void sl_items_destroy(sl_items_t **self_p);

/* Folds one new record of site `site_no` into the table, inside the
 * caller's transaction: a new item gets its row; a record about an item
 * (through its `item` field) changes that item's row.  The payload has
 * passed sl_schema_check.  Returns 0, or -1 with the refusal in err (the
 * fold's rules, a check-in of a member already here, a correction of an
 * update …; err->field names the payload field) and nothing written. */
int sl_items_apply(sl_items_t *self, int64_t site_no, uint64_t seq, const sl_rtype_t *rt,
                   const uint8_t *payload, size_t len, const sl_items_events_t *events,
                   const sl_schema_lookup_t *lookup, sl_fold_err_t *err);
/* The same, with the payload already decoded by sl_schema_check_view (the
 * server's hot path: every record is decoded once); `id` is the record's
 * own id (NULL when not known), by which later records of a batch find
 * the item in memory. */
int sl_items_apply_view(sl_items_t *self, int64_t site_no, uint64_t seq, const uint8_t *id,
                        const sl_view_t *view, const uint8_t *payload, size_t len,
                        const sl_items_events_t *events, const sl_schema_lookup_t *lookup,
                        sl_fold_err_t *err);

/* A batch: between these two calls, the states of the items the batch
 * creates or changes are kept in memory (the last SL_ITEMS_CACHE items
 * touched; an older one is written when its place is needed) and written
 * once each at the end, instead of read, decoded, encoded and written again
 * for every record about them.  The rows of check-ins and check-outs are
 * still written at once (the next check-in is checked against them).
 *
 * sl_items_batch_end(self, true) writes what is kept (inside the caller's
 * transaction, before its commit): 0, or -1 after logging why (the caller
 * then rolls back).  sl_items_batch_end(self, false) forgets it: the caller
 * rolls back (a refused batch; after a refusal inside a batch, the kept
 * states are no longer the store's and must not be written).  Nothing else
 * may read the table in between. */
#define SL_ITEMS_CACHE 64
void sl_items_batch_begin(sl_items_t *self);
int sl_items_batch_end(sl_items_t *self, bool keep);

/* Written behind (the server's engine, sl_items_defer(self, true)): the
 * rows of items that are facts (not check-ins or check-outs, whose rows the
 * next check-in is checked against) are kept in memory when a batch ends,
 * changed there by later batches, and written together by sl_items_flush.
 * A store commits one page of the table for many batches instead of one
 * per type for every batch.  The caller keeps a mark of the records the
 * table holds (sites.items_seq in the central store): after a crash, or
 * sl_items_forget after a rollback, it folds the records after the mark
 * again with sl_items_catching_up(self, true), which leaves check-ins and
 * check-outs (and records about them) alone.  Refused batches take back
 * what they kept.
 *
 * sl_items_pending: rows kept, the memory they take (with the rows they
 * replaced, given back together when written) and since when (sl_now_ms).
 * sl_items_flush: writes them inside the caller's transaction, in the
 * table's order, and forgets them: 0, or -1 (logged; the caller rolls back
 * and folds again from its mark).  sl_items_each and sl_items_dump refuse
 * while rows are kept. */
void sl_items_defer(sl_items_t *self, bool on);
void sl_items_catching_up(sl_items_t *self, bool on);
size_t sl_items_pending(const sl_items_t *self, size_t *bytes, int64_t *since_ms);
int sl_items_flush(sl_items_t *self);
void sl_items_forget(sl_items_t *self);

/* Loads an item's state by the seq of the record that created it.
 * 1 found, 0 when that record is not an item, -1 when damaged (err). */
int sl_items_load(sl_items_t *self, int64_t site_no, uint64_t seq,
                  const sl_items_events_t *events, sl_item_t *it, char *err, size_t errlen);

/* Members checked in at this site now (their latest check-in or check-out
 * here, not void, is a check-in). -1 on error. */
long sl_items_members_here(sl_items_t *self, int64_t site_no);

/* Calls fn for every row of a type (all sites when site_no < 0), in key
 * order: the reports' and the lists' way in.  Stops when fn returns
 * non-zero, and returns that; -1 on a database error. */
typedef struct {
    const sl_rtype_t *rt;
    int64_t site_no;
    uint64_t seq;
    int32_t on_date, good_on;
    const char *status, *unit, *member;
    bool voided;
    const uint8_t *state;
    size_t state_len;
} sl_items_row_t;
int sl_items_each(sl_items_t *self, const char *type, int64_t site_no,
                  int (*fn)(void *ctx, const sl_items_row_t *row), void *ctx);

/* A canonical dump of the table (every row, key order, state bytes in hex;
 * with site_no < 0, every site's rows, each line starting "#SITE_NO|"):
 * equal dumps mean equal states (the fold's determinism tests, verify). */
int sl_items_dump(sl_items_t *self, int64_t site_no, FILE *out);

#endif
