/* central_store.h: the district's central store (SQLite, <dir>/central.db).
 *
 * Events are keyed on (site, seq) and inserted in order, idempotently: an
 * event the store already holds with the same hash is skipped, one with a
 * different hash is a conflict (a fork) and is refused and recorded as an
 * incident, never merged (P3, P7).  Each site's chain is verified on the way
 * in.  Nothing is acknowledged before the transaction that holds it has
 * committed with synchronous=FULL (P4); the caller owns that ordering.
 *
 * The server log (reference data, settings, commands) has its own sequence
 * (lseq) and flows down to sites by cursor (P6). */
#ifndef CENTRAL_STORE_H
#define CENTRAL_STORE_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sl_event.h"
#include "sl_items.h"
#include "sl_msg.h"

typedef struct central_store central_store_t;

typedef struct {
    int64_t site_no;
    uint64_t last_seq;                  /* highest committed (or pending) seq */
    uint8_t last_hash[SL_HASH_BYTES];
    uint64_t cursor;                    /* the most reference data it ever said it applied */
} central_site_t;

int central_store_init(const char *dir, char *err, size_t errlen);
central_store_t *central_store_open(const char *dir, char *err, size_t errlen);
void central_store_destroy(central_store_t **self_p);
sqlite3 *central_store_db(central_store_t *self);

/* Finds a site, registering it on first contact.  0 or -1. */
int central_store_site(central_store_t *self, const char *site_id, central_site_t *out);
/* Notes a hello: time and the site's cursor and agent, for operators. */
void central_store_touch(central_store_t *self, int64_t site_no, uint64_t cursor,
                         const char *agent, size_t agent_len);
/* Notes a site's telemetry (HELLO or PING, PROTOCOL.md 4.1.1) and that it
 * was heard from now.  local_seq: its own highest seq as it said (HELLO
 * last_seq, PING last_seq), when has_local_seq.  Joins the caller's
 * transaction; a failure is logged, not returned (telemetry is advice). */
void central_store_telemetry(central_store_t *self, int64_t site_no, bool has_local_seq,
                             uint64_t local_seq, const sl_telemetry_t *tm, int64_t now_ms);

/* One site as `shuanglian-admin sites` shows it: every site that has (or
 * had) a key or has ever connected.  Strings live during the callback. */
typedef struct {
    const char *site_id;
    const char *community;      /* its keys' community, or "" */
    const char *key_status;     /* its newest site key: active, revoked, retired; "" none */
    const char *bundle_status;  /* its newest bundle: pending, used, revoked; "" none */
    int64_t bundle_expires_ms;
    int64_t enrolled_ms;        /* its first key (0: none) */
    bool seen;                  /* it has connected at least once */
    int64_t first_seen_ms, last_seen_ms;
    uint64_t last_seq;          /* committed here */
    uint64_t cursor;
    const char *agent;          /* "shuanglian-site/0.2.0", or "" */
    bool has_tm;                /* telemetry received */
    int64_t tm_ms;
    bool has_local_seq, has_outbox_age, has_clock, has_disk;
    uint64_t tm_local_seq, tm_outbox, tm_outbox_age_ms, tm_disk_free;
    int64_t tm_clock_offset_ms;
    const char *tm_last_error;
} central_site_health_t;

/* Every site by id (at most 10,000).  fn non-zero stops.  0, fn's answer,
 * or -1 on a read error. */
int central_store_site_health_each(central_store_t *self,
                                   int (*fn)(void *ctx, const central_site_health_t *h),
                                   void *ctx);

/* Records per site and type for `stats`: every site that has a key or has
 * connected (a site never synced has 0), by id.  per_type[i] counts
 * sl_schema_at(i); records counts every type, unknown ones too. */
typedef struct {
    const char *site_id;
    uint64_t last_seq;
    int64_t last_seen_ms;       /* 0: never */
    long long records;
    long long per_type[SL_MAX_TYPES];
} central_site_counts_t;
int central_store_site_counts_each(central_store_t *self,
                                   int (*fn)(void *ctx, const central_site_counts_t *c),
                                   void *ctx);

/* Incidents, oldest first (at most `limit`, 0: all). */
typedef struct {
    int64_t first_ms, last_ms;
    long long count;
    const char *site_id;
    int code;
    uint64_t seq;
    const char *text;
} central_incident_t;
int central_store_incidents_each(central_store_t *self, long limit,
                                 int (*fn)(void *ctx, const central_incident_t *i), void *ctx);

/* Hash of a committed event (zeros for seq 0).  0, or -1 when absent. */
int central_store_hash_at(central_store_t *self, int64_t site_no, uint64_t seq,
                          uint8_t out[SL_HASH_BYTES]);

/* Group commit: begin one write transaction, apply several batches (each in
 * a savepoint, so a refused batch changes nothing), commit once. */
int central_store_begin(central_store_t *self);
int central_store_commit(central_store_t *self);
void central_store_rollback(central_store_t *self);

/* The engine's way of keeping the item table (sl_items_defer): rows are
 * written behind, at most a second or 6 MiB after their records commit,
 * and at once before anything reads the table.  Other processes (reports,
 * verify, the dashboard) fold what the table lacks when they read it.
 * central_store_items_idle: writes the rows kept a second or longer (the
 * engine calls it when idle; opens its own transaction).
 * central_store_items_sync: writes them all now.  0 or -1 (logged). */
void central_store_defer_items(central_store_t *self);
int central_store_items_idle(central_store_t *self, int64_t now_ms);
int central_store_items_sync(central_store_t *self);
/* A read transaction whose snapshot has every record in the item table
 * (the reports'): the table made whole first, again if the server commits
 * in between.  0 or -1; end it with COMMIT. */
int central_store_read_begin(central_store_t *self);

typedef struct {
    int code;                /* 0, or sl_error_code_t */
    char text[2400];         /* dual when the engine asks: both texts (and the dual pieces
                              * in each), so room for both */
    char field[SL_MAX_NAME_BYTES + 1];
    uint64_t seq;            /* event at fault */
    uint64_t expected;       /* GAP: next seq the server expects */
    size_t inserted;
    size_t duplicates;
} central_batch_result_t;

/* Applies one batch for `site` (whose last_seq/last_hash are advanced on
 * success).  Needs an open transaction.  On refusal nothing of the batch
 * remains and `site` is unchanged. */
int central_store_apply_batch(central_store_t *self, const char *site_id, central_site_t *site,
                              const sl_event_t *events, size_t n, int64_t recv_ms,
                              central_batch_result_t *result);

/* Records a refusal worth an operator's attention (conflicts, chain breaks). */
void central_store_incident(central_store_t *self, const char *site_id, int code,
                            uint64_t seq, const char *text);

/* Packs a site's own events from `from` (at most max, and no more bytes
 * than max_bytes after the first) into an EVENTS message; *next gets the
 * seq after the last one packed. */
int central_store_pack_events(central_store_t *self, int64_t site_no, uint64_t from,
                              uint32_t max, size_t max_bytes, uint64_t server_seq,
                              uint64_t sess, msgpack_sbuffer *out, uint64_t *next);

/* Server log. */
/* The log's identity (meta log_id), created on first use.  A site that sees
 * another identity (the central store was restored or replaced) starts its
 * reference data over from cursor 0.  0 or -1. */
int central_store_log_id(central_store_t *self, char *out, size_t cap);
uint64_t central_store_log_head(central_store_t *self);
/* Gives the server log a new identity (after a restore: every site then
 * reloads its reference data from entry 1).  0 or -1. */
int central_store_new_log_id(central_store_t *self);

/* A value of table meta (public_endpoint, created_ms, backup_ms …) as
 * text ("" when absent), and setting one.  0 or -1. */
int central_store_meta_get(central_store_t *self, const char *key, char *out, size_t cap);
int central_store_meta_set(central_store_t *self, const char *key, const char *value);

/* An online backup of the whole store (SQLite backup API, one read
 * transaction: a consistent copy while sites sync) into `path`, which must
 * not exist.  The copy is checked (integrity check and every site's chain,
 * as verify does) before it gets its name; its meta backup_ms says when it
 * was taken.  0, or -1 with a sentence. */
int central_store_backup(central_store_t *self, const char *path, char *err, size_t errlen);
/* Appends an entry (target NULL = all sites; value NULL = delete key). */
int central_store_log_append(central_store_t *self, const char *target, const char *kind,
                             const char *key, const char *value, uint64_t *lseq_out,
                             char *err, size_t errlen);
/* Whether the command entry at `lseq` may go out live now (1), or as a
 * deletion (0); -1 on error (command_store_entry_live). */
typedef int (*central_log_live_fn)(void *ctx, uint64_t lseq);
/* Packs entries after `after` for `site_id` into a LOG message (at most
 * max entries, and no more bytes than max_bytes after the first); *upto
 * gets the cursor the site stores after applying it.  Entries of kind
 * `command` are asked of `live` (when not NULL) and sent with a nil value
 * when it says no. */
int central_store_pack_log(central_store_t *self, const char *site_id, uint64_t after,
                           uint32_t max, size_t max_bytes, uint64_t sess,
                           msgpack_sbuffer *out, uint64_t *upto,
                           central_log_live_fn live, void *live_ctx);

/* The fold's state of one site's items (site_no < 0: every site), one
 * canonical line per item (sl_items_dump). */
int central_store_items_dump(central_store_t *self, int64_t site_no, FILE *out);
/* Calls fn for every item row of a type (site_no < 0: every site). */
int central_store_items_each(central_store_t *self, const char *type, int64_t site_no,
                             int (*fn)(void *ctx, const sl_items_row_t *row), void *ctx);
/* Loads an item's state by site and seq: 1, 0 not an item, -1 damaged. */
int central_store_item(central_store_t *self, int64_t site_no, uint64_t seq, sl_item_t *it,
                       char *err, size_t errlen);

/* Walks every site's chain: seq 1..last without gaps, each prev/hash
 * verified.  Prints problems to `out`; returns the number of problems. */
long central_store_verify(central_store_t *self, FILE *out);

/* Reference data in force (shared/RECORDS.md, "Reference data").  The
 * entry in force for a site is the latest server-log entry of that kind and
 * key addressed to all sites or to that site (what the site holds once it
 * has applied the log); site_id NULL means the entries for all sites only.
 * Values are the canonical JSON of common/sl_refkinds.h (or 0.2.0 text). */

/* 1 found (value copied; cap should be SL_MAX_TEXT_BYTES + 1), 0 absent or
 * deleted, -1 on a read error or a damaged value. */
int central_store_ref_get(central_store_t *self, const char *kind, const char *key,
                          const char *site_id, char *value, size_t cap);
/* 1 when kind/key was ever published with a value (not a deletion) to all
 * sites or to site_id at an lseq <= max_lseq: a record naming a unit or
 * member of an old roster that the site held then is still accepted.  0
 * when not, -1 on error. */
int central_store_ref_known(central_store_t *self, const char *kind, const char *key,
                            const char *site_id, uint64_t max_lseq);
/* 1 when appending kind/key = value (NULL: a deletion) for target (NULL: all
 * sites) would change nothing that any site holds; 0 when it would; -1. */
int central_store_ref_unchanged(central_store_t *self, const char *target, const char *kind,
                                const char *key, const char *value);

/* Called per entry in force: target NULL for all sites.  Non-zero stops. */
typedef int (*central_ref_fn)(void *ctx, const char *target, const char *kind, const char *key,
                              const char *value, size_t value_len, uint64_t lseq);
/* The entries of `kind` that site_id holds (NULL: the entries for all sites
 * only), one per key, by key (target is passed as NULL).  Returns 0, fn's
 * non-zero answer, or -1 on a read error or a damaged row. */
int central_store_ref_each(central_store_t *self, const char *kind, const char *site_id,
                           central_ref_fn fn, void *ctx);
/* Every entry in force of `kind` (NULL: of every kind) for each target: the
 * latest per kind, key and target, deletions left out; by kind, key, then
 * target (all sites first).  Returns as central_store_ref_each. */
int central_store_ref_each_target(central_store_t *self, const char *kind, central_ref_fn fn,
                                  void *ctx);


/* ---- Reports (server/report.c) ------------------------------------------
 * What the district's figures read: item states with their records, sites
 * with their communities, every version of a reference entry, records by
 * receive time, and frozen months.  Every value read is checked: a damaged
 * row is an error (-1, logged), never a crash. */

/* One item for a report: its state row and its creating record. */
typedef struct {
    int64_t site_no;
    uint64_t seq;
    int32_t on_date, good_on;
    const char *status, *unit, *member;
    bool voided;
    const uint8_t *state;               /* NULL: rebuilt from the record */
    size_t state_len;
    const uint8_t *payload;             /* the creating record */
    size_t payload_len;
    int64_t recv_ms;
} central_report_row_t;

/* Calls fn for every item of a type (all sites), in key order, with its
 * record when `payload` (else row.payload is NULL: only the state table is
 * read).  unit, status (NULL: any) and from..to on on_date (0: open) filter
 * by the state table's columns.  Returns 0, fn's non-zero answer, or -1. */
int central_store_report_items(central_store_t *self, const sl_rtype_t *rt, const char *unit,
                               const char *status, int32_t from, int32_t to, bool payload,
                               int (*fn)(void *ctx, const central_report_row_t *row), void *ctx);
/* A record by site and seq: its type, a copy of its payload (free it) and
 * when the server received it.  1 found, 0 absent, -1 damaged or failed. */
int central_store_record(central_store_t *self, int64_t site_no, uint64_t seq,
                         const sl_rtype_t **rt, uint8_t **payload, size_t *len, int64_t *recv_ms);
/* Every site: number, id and community code ("" when not known yet). */
int central_store_sites_each(central_store_t *self,
                             int (*fn)(void *ctx, int64_t site_no, const char *site_id,
                                       const char *community), void *ctx);
/* Records a site's community (from its key, at HELLO).  0 or -1. */
int central_store_site_community(central_store_t *self, int64_t site_no, const char *community);
/* Every entry of `kind` ever published to all sites, in server-log order
 * (a unit's secretaries over time), deletions included (value NULL), up to
 * max_lseq (0: all). */
int central_store_ref_history(central_store_t *self, const char *kind, uint64_t max_lseq,
                              central_ref_fn fn, void *ctx);
/* The newest receive time of any record (0 when none). */
int64_t central_store_recv_max(central_store_t *self);
/* Records received after after_ms, in receive order, at most max (0: all):
 * fn gets site, seq, type, payload and receive time. */
int central_store_late_each(central_store_t *self, int64_t after_ms, size_t max,
                            int (*fn)(void *ctx, int64_t site_no, uint64_t seq,
                                      const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                                      int64_t recv_ms), void *ctx);

typedef struct {
    int64_t frozen_ms, recv_cutoff_ms;
    uint64_t lseq_cutoff;
    uint8_t *cells;                     /* the stored report (msgpack array of strings) */
    size_t len;
} central_frozen_t;
/* A frozen month ("YYYY-MM"): 1 found (free out->cells), 0 not frozen, -1. */
int central_store_frozen_get(central_store_t *self, const char *month, central_frozen_t *out);
/* Freezes a month once: 1 stored, 0 already frozen (nothing changed), -1. */
int central_store_frozen_put(central_store_t *self, const char *month, const central_frozen_t *f);

/* bench/report_scale.sh only: take records without keeping the state table
 * (the benchmark's baseline); never for a store that serves sites. */
void central_store_bench_without_items(central_store_t *self);

#endif
