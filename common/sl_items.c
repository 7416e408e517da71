/* sl_items.c: the item-state table (see sl_items.h).
 *
 * For each new record: find the item it is about (if any), load its state,
 * let the fold (sl_fold.c) apply the record or refuse it, write the state
 * back.  A void of an update or rating replays the item's history through
 * the store's events.  Every value read back is checked (a damaged state is
 * an error, never a crash).
 *
 * Inside a batch (sl_items_batch_begin) the items touched stay in a small
 * cache of slots, found by the id of their record or by seq, and are
 * written once at the end: a problem report and its acceptance, handling,
 * closure and rating, synced together after days offline, cost one row
 * write instead of five reads, decodes and writes.
 *
 * Written behind (sl_items_defer, the server's engine): the rows of items
 * that are facts are not written when a batch ends but kept, encoded, in a
 * table in memory (`pending`, by site and seq), changed there by later
 * batches, and written together by sl_items_flush.  A batch that is
 * refused takes its changes back through an undo list.  Check-ins and
 * check-outs are never kept: their rows are what the next check-in is
 * checked against. */
#include "sl_items.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_lang.h"
#include "sl_log.h"
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F_ITEM "item"          /* the field of a record about an item */
#define F_MEMBER "member"

/* An item kept in memory during a batch. */
typedef struct {
    sl_item_t *it;              /* allocated on first use, kept for the next batch */
    bool used, dirty;           /* holds an item; changed since it was read */
    bool is_new;                /* created in this batch: no row yet */
    bool has_id;
    int64_t site_no;
    uint8_t id[SL_ID_BYTES];    /* the id of the item's own record */
    uint64_t id64;              /* part of it, compared first */
    uint64_t touched;           /* for choosing the least recently used */
} s_slot_t;

/* What a row of the table holds. */
typedef struct {
    int type;                   /* the record type's code */
    int64_t site_no;
    uint64_t seq;
    int32_t on, good_on;        /* 0: NULL */
    bool voided;
    bool is_new;                /* no row in the table yet */
    const char *status, *unit, *member;    /* "": NULL */
    const uint8_t *state;       /* NULL: none (rebuilt from the record) */
    size_t state_len;
} s_rowv_t;

/* A row kept in memory (written behind): in the chunks, the texts and
 * the state bytes after it. */
typedef struct s_row {
    struct s_row *next;         /* in its bucket */
    s_rowv_t v;
    char data[];
} s_row_t;

/* A row a batch replaced in `pending` (NULL: there was none), to put back
 * when the batch is refused. */
typedef struct {
    int64_t site_no;
    uint64_t seq;
    s_row_t *old;
} s_undo_t;

#define S_BUCKETS 65536         /* a power of two: two for every row kept, at most */

/* The kept rows' memory: chunks handed out in order and given back all at
 * once when the rows are written (a row replaced by a newer one stays
 * until then: the undo list may put it back).  The chunks are kept for the
 * next rows: written behind, the server would otherwise allocate and free
 * every row it takes. */
#define S_CHUNK (1u << 20)
typedef struct s_chunk {
    struct s_chunk *next;
    size_t cap, used;
    _Alignas(max_align_t) char data[];
} s_chunk_t;

struct sl_items {
    sqlite3 *db;
    sqlite3_stmt *get, *upd, *add, *put, *members, *last_of_member;
    sl_item_t *it;
    msgpack_sbuffer buf;
    int checkin, checkout;      /* the codes of the check-in and check-out types */
    bool batch;                 /* between sl_items_batch_begin and _end */
    uint64_t clock;
    s_slot_t slots[SL_ITEMS_CACHE];
    /* written behind */
    bool defer;
    bool catching_up;           /* sl_items_catching_up: leave check-ins alone */
    s_row_t **pending;          /* S_BUCKETS chains; NULL until first used */
    size_t npending, pending_bytes;     /* rows kept; bytes of the chunks in use */
    s_chunk_t *chunks, *chunk;  /* every chunk; the one being filled */
    int64_t pending_since;      /* sl_now_ms() when the first row came in */
    s_undo_t *undo;
    size_t nundo, undo_cap;
};

sl_items_t *sl_items_new(sqlite3 *db)
{
    sl_items_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->db = db;
    msgpack_sbuffer_init(&self->buf);
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        if (rt->role == SL_ROLE_CHECKIN)
            self->checkin = rt->code;
        if (rt->role == SL_ROLE_CHECKOUT)
            self->checkout = rt->code;
    }
    self->it = sl_item_new();
    self->get = sl_db_prepare(db, "SELECT state FROM items WHERE type = ? AND site_no = ? AND seq = ?");
    /* A new item: a plain insert (cheaper than the upsert; every record
     * the server takes that is an item goes this way). */
    self->add = sl_db_prepare(db,
        "INSERT INTO items(type, site_no, seq, on_date, status, good_on, unit, member, voided, state)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)");
    /* A new item's row written behind: another process may have folded
     * the same records into the table meanwhile (the same row). */
    self->put = sl_db_prepare(db,
        "INSERT OR REPLACE INTO items(type, site_no, seq, on_date, status, good_on, unit, member,"
        " voided, state) VALUES (?,?,?,?,?,?,?,?,?,?)");
    /* An item that has its row (an update, not an upsert: cheaper; a row
     * that is missing is added, see s_write). */
    self->upd = sl_db_prepare(db,
        "UPDATE items SET on_date = ?4, status = ?5, good_on = ?6, unit = ?7, member = ?8,"
        " voided = ?9, state = ?10 WHERE type = ?1 AND site_no = ?2 AND seq = ?3");
    /* A member is here when their latest check-in or check-out at this
     * site, not void, is a check-in (the codes are written out, so that
     * SQLite reads index items_placement). */
    self->last_of_member = sl_db_prepare(db,
        "SELECT type, seq FROM items WHERE type IN (1, 2) AND site_no = ?3 AND member = ?4"
        " AND voided = 0 ORDER BY seq DESC LIMIT 1");
    self->members = sl_db_prepare(db,
        "SELECT count(*) FROM (SELECT member, type, max(seq) FROM items"
        " WHERE type IN (1, 2) AND site_no = ?3 AND voided = 0 GROUP BY member) WHERE type = ?1");
    bool codes_ok = self->checkin == SL_ITEMS_CHECKIN_CODE
                    && self->checkout == SL_ITEMS_CHECKOUT_CODE;
    if (!codes_ok)
        sl_terror("items：报到和调出的类型代码（%d、%d）与索引 items_placement 不符",
                  "items: the codes of check-in and check-out (%d, %d) differ from index "
                  "items_placement's", self->checkin, self->checkout);
    if (!self->it || !self->get || !self->upd || !self->add || !self->put || !self->last_of_member
        || !self->members || !codes_ok)
        sl_items_destroy(&self);
    return self;
}

void sl_items_destroy(sl_items_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_items_t *self = *self_p;
    sqlite3_finalize(self->get);
    sqlite3_finalize(self->upd);
    for (size_t i = 0; i < SL_ITEMS_CACHE; i++)
        sl_item_destroy(&self->slots[i].it);
    sqlite3_finalize(self->add);
    sqlite3_finalize(self->put);
    sqlite3_finalize(self->members);
    sqlite3_finalize(self->last_of_member);
    sl_item_destroy(&self->it);
    msgpack_sbuffer_destroy(&self->buf);
    sl_items_forget(self);
    while (self->chunks) {
        s_chunk_t *c = self->chunks;
        self->chunks = c->next;
        free(c);
    }
    free(self->pending);
    free(self->undo);
    free(self);
    *self_p = NULL;
}

static int s_fail(sl_fold_err_t *err, const char *field, const char *text)
{
    snprintf(err->text, sizeof err->text, "%s", text);
    err->field = field;
    return -1;
}

static int s_fail_store(sl_fold_err_t *err)
{
    return s_fail(err, NULL, SL_T("无法保存事项的状态", "cannot store the item's state"));
}

/* Writes a row to the table: a plain insert when new, else an update (a
 * row that is missing is then added: a store migrated from 0.2.0 before
 * its backfill wrote it). */
static int s_sql_write(sl_items_t *self, const s_rowv_t *r, bool behind)
{
    sqlite3_stmt *st = r->is_new ? (behind ? self->put : self->add) : self->upd;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, r->type);
    sqlite3_bind_int64(st, 2, r->site_no);
    sqlite3_bind_int64(st, 3, (int64_t) r->seq);
    if (r->on)
        sqlite3_bind_int(st, 4, r->on);
    else
        sqlite3_bind_null(st, 4);
    if (r->status[0])
        sqlite3_bind_text(st, 5, r->status, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    if (r->good_on)
        sqlite3_bind_int(st, 6, r->good_on);
    else
        sqlite3_bind_null(st, 6);
    if (r->unit[0])
        sqlite3_bind_text(st, 7, r->unit, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 7);
    if (r->member[0])
        sqlite3_bind_text(st, 8, r->member, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_int(st, 9, r->voided);
    if (r->state)
        sqlite3_bind_blob(st, 10, r->state, (int) r->state_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 10);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        sl_terror("items：无法保存事项 #%" PRIu64 "：%s", "items: cannot store item #%" PRIu64 ": %s",
                  r->seq, sqlite3_errmsg(self->db));
    sqlite3_reset(st);
    if (rc == 0 && !r->is_new && sqlite3_changes(self->db) == 0) {
        s_rowv_t again = *r;
        again.is_new = true;
        return s_sql_write(self, &again, behind);
    }
    return rc;
}

/* ---- rows written behind */

static size_t s_bucket(int64_t site_no, uint64_t seq)
{
    uint64_t h = ((uint64_t) site_no * 0x9E3779B97F4A7C15u) ^ (seq * 0xC2B2AE3D27D4EB4Fu);
    return (size_t) (h >> 32) & (S_BUCKETS - 1);
}

/* The kept row of an item, NULL when none. */
static s_row_t *s_pending_get(sl_items_t *self, int64_t site_no, uint64_t seq)
{
    if (!self->pending)
        return NULL;
    for (s_row_t *r = self->pending[s_bucket(site_no, seq)]; r; r = r->next)
        if (r->v.seq == seq && r->v.site_no == site_no)
            return r;
    return NULL;
}

/* Takes an item's kept row out of the table (NULL when none). */
static s_row_t *s_pending_take(sl_items_t *self, int64_t site_no, uint64_t seq)
{
    if (!self->pending)
        return NULL;
    for (s_row_t **p = &self->pending[s_bucket(site_no, seq)]; *p; p = &(*p)->next) {
        s_row_t *r = *p;
        if (r->v.seq == seq && r->v.site_no == site_no) {
            *p = r->next;
            r->next = NULL;
            self->npending--;
            return r;
        }
    }
    return NULL;
}

static void s_pending_put(sl_items_t *self, s_row_t *r)
{
    size_t b = s_bucket(r->v.site_no, r->v.seq);
    r->next = self->pending[b];
    self->pending[b] = r;
    if (self->npending++ == 0)
        self->pending_since = sl_now_ms();
}

/* Puts a row in place of its item's kept row, which it returns (NULL when
 * none): one walk of the bucket for every row the server keeps. */
static s_row_t *s_pending_swap(sl_items_t *self, s_row_t *r)
{
    s_row_t **p = &self->pending[s_bucket(r->v.site_no, r->v.seq)];
    for (; *p; p = &(*p)->next)
        if ((*p)->v.seq == r->v.seq && (*p)->v.site_no == r->v.site_no) {
            s_row_t *old = *p;
            r->next = old->next;
            old->next = NULL;
            *p = r;
            return old;
        }
    s_pending_put(self, r);
    return NULL;
}

/* Room for a row in the chunks, NULL without memory. */
static void *s_chunk_take(sl_items_t *self, size_t size)
{
    size = (size + _Alignof(max_align_t) - 1) & ~(size_t) (_Alignof(max_align_t) - 1);
    while (self->chunk && self->chunk->used + size > self->chunk->cap)
        self->chunk = self->chunk->next;
    if (!self->chunk) {
        size_t cap = size > S_CHUNK ? size : S_CHUNK;
        s_chunk_t *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        *c = (s_chunk_t) { .next = self->chunks, .cap = cap };
        self->chunks = self->chunk = c;
    }
    void *p = self->chunk->data + self->chunk->used;
    self->chunk->used += size;
    self->pending_bytes += size;
    return p;
}

/* A copy of a row that owns its texts and state. */
static s_row_t *s_row_copy(sl_items_t *self, const s_rowv_t *v)
{
    size_t ls = strlen(v->status) + 1, lu = strlen(v->unit) + 1, lm = strlen(v->member) + 1;
    size_t size = sizeof(s_row_t) + ls + lu + lm + (v->state ? v->state_len : 0);
    s_row_t *r = s_chunk_take(self, size);
    if (!r)
        return NULL;
    r->next = NULL;
    r->v = *v;
    char *p = r->data;
    r->v.status = memcpy(p, v->status, ls);
    r->v.unit = memcpy(p += ls, v->unit, lu);
    r->v.member = memcpy(p += lu, v->member, lm);
    p += lm;
    r->v.state = v->state ? memcpy(p, v->state, v->state_len) : NULL;
    return r;
}

/* Keeps a row instead of writing it; inside a batch, what it replaces is
 * remembered for sl_items_batch_end(self, false). */
static int s_keep(sl_items_t *self, const s_rowv_t *v)
{
    if (!self->pending && !(self->pending = calloc(S_BUCKETS, sizeof *self->pending)))
        return -1;
    if (self->batch && self->nundo == self->undo_cap) {
        size_t cap = self->undo_cap ? self->undo_cap * 2 : 256;
        s_undo_t *u = realloc(self->undo, cap * sizeof *u);
        if (!u)
            return -1;
        self->undo = u;
        self->undo_cap = cap;
    }
    s_row_t *r = s_row_copy(self, v);
    if (!r)
        return -1;
    s_row_t *old = s_pending_swap(self, r);
    if (old && old->v.is_new)
        r->v.is_new = true;         /* still no row in the table */
    if (self->batch)
        self->undo[self->nundo++] = (s_undo_t) { v->site_no, v->seq, old };
    return 0;
}

/* The end of a batch for the rows kept: its undo list forgotten (kept) or
 * played backwards (refused). */
static void s_undo_end(sl_items_t *self, bool keep)
{
    for (size_t i = self->nundo; !keep && i-- > 0;) {
        s_undo_t *u = &self->undo[i];
        s_pending_take(self, u->site_no, u->seq);
        if (u->old)
            s_pending_put(self, u->old);
    }
    self->nundo = 0;
}

void sl_items_defer(sl_items_t *self, bool on) { self->defer = on; }

void sl_items_catching_up(sl_items_t *self, bool on) { self->catching_up = on; }

size_t sl_items_pending(const sl_items_t *self, size_t *bytes, int64_t *since_ms)
{
    if (bytes)
        *bytes = self->pending_bytes;
    if (since_ms)
        *since_ms = self->npending ? self->pending_since : 0;
    return self->npending;
}

/* The chunks kept for the next rows, at most (more are given back). */
#define S_CHUNKS_KEPT (8u << 20)

void sl_items_forget(sl_items_t *self)
{
    s_undo_end(self, true);
    if (self->pending && self->npending)
        memset(self->pending, 0, S_BUCKETS * sizeof *self->pending);
    size_t kept = 0;
    for (s_chunk_t **c = &self->chunks; *c;) {
        if (kept + (*c)->cap <= S_CHUNKS_KEPT) {
            kept += (*c)->cap;
            (*c)->used = 0;
            c = &(*c)->next;
        } else {
            s_chunk_t *gone = *c;
            *c = gone->next;
            free(gone);
        }
    }
    self->chunk = self->chunks;
    self->npending = self->pending_bytes = 0;
}

/* A row to write, with its key beside it (sorting reads no row): type,
 * site and seq packed into 64 bits when they fit (always, but for a site
 * number or a seq beyond any real store's), else compared one by one. */
typedef struct {
    uint64_t key;
    const s_row_t *row;
} s_sorted_t;

#define S_KEY_SITE_BITS 20
#define S_KEY_SEQ_BITS 36

static bool s_key_fits(const s_rowv_t *v)
{
    return v->type >= 0 && v->type < 256 && v->site_no >= 0
           && v->site_no < (INT64_C(1) << S_KEY_SITE_BITS) && v->seq < (UINT64_C(1) << S_KEY_SEQ_BITS);
}

static uint64_t s_key_of(const s_rowv_t *v)
{
    return (uint64_t) v->type << (S_KEY_SITE_BITS + S_KEY_SEQ_BITS)
           | (uint64_t) v->site_no << S_KEY_SEQ_BITS | v->seq;
}

static int s_row_cmp(const void *a, const void *b)
{
    const s_rowv_t *x = &((const s_sorted_t *) a)->row->v, *y = &((const s_sorted_t *) b)->row->v;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->site_no != y->site_no)
        return x->site_no < y->site_no ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts by key: a radix sort, one pass per byte that differs between keys
 * (about half the time of qsort's calls for the rows of one flush). */
static bool s_radix(s_sorted_t *all, size_t n)
{
    s_sorted_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return false;
    uint64_t or_ = 0, and_ = ~UINT64_C(0);
    for (size_t i = 0; i < n; i++) {
        or_ |= all[i].key;
        and_ &= all[i].key;
    }
    s_sorted_t *from = all, *to = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        if ((((or_ ^ and_) >> shift) & 0xff) == 0)
            continue;           /* the same byte in every key */
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++)
            count[((from[i].key >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            to[count[(from[i].key >> shift) & 0xff]++] = from[i];
        s_sorted_t *t = from;
        from = to;
        to = t;
    }
    if (from != all)
        memcpy(all, from, n * sizeof *all);
    free(tmp);
    return true;
}

int sl_items_flush(sl_items_t *self)
{
    if (!self->npending)
        return 0;
    s_sorted_t *all = malloc(self->npending * sizeof *all);
    size_t n = 0;
    bool fits = true;
    for (size_t b = 0; all && b < S_BUCKETS; b++)
        for (const s_row_t *r = self->pending[b]; r; r = r->next) {
            fits = fits && s_key_fits(&r->v);
            all[n++] = (s_sorted_t) { s_key_of(&r->v), r };
        }
    int rc = all ? 0 : -1;
    /* in the table's order: each page of it is written once */
    if (all && !(fits && s_radix(all, n)))
        qsort(all, n, sizeof *all, s_row_cmp);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_sql_write(self, &all[i].row->v, true);
    free(all);
    sl_items_forget(self);
    return rc;
}

/* Writes an item's row (or keeps it, written behind). */
static int s_write(sl_items_t *self, int64_t site_no, const sl_item_t *it, bool is_new)
{
    const char *status = sl_fold_status_of(it, it->status);
    msgpack_sbuffer_clear(&self->buf);
    bool stateful = sl_fold_stateful(it);
    if (stateful && sl_fold_encode(it, &self->buf)) {
        sl_terror("items：内存不足，无法写出事项 #%" PRIu64 " 的状态",
                  "items: out of memory writing the state of item #%" PRIu64, it->seq);
        return -1;
    }
    s_rowv_t v = { .type = it->rt->code, .site_no = site_no, .seq = it->seq, .on = it->on,
                   .good_on = it->good_on, .voided = it->voided, .is_new = is_new,
                   .status = status ? status : "", .unit = it->unit, .member = it->member,
                   .state = stateful ? (const uint8_t *) self->buf.data : NULL,
                   .state_len = stateful ? self->buf.size : 0 };
    if (self->defer && it->rt->role == SL_ROLE_FACT) {
        if (s_keep(self, &v) == 0)
            return 0;
        sl_terror("items：内存不足，无法保留事项 #%" PRIu64, "items: out of memory keeping item #%" PRIu64,
                  it->seq);
        return -1;
    }
    return s_sql_write(self, &v, false);
}

static int s_load(sl_items_t *self, int64_t site_no, uint64_t seq,
                  const sl_items_events_t *ev, const sl_rtype_t *known_rt,
                  const uint8_t *known_payload, size_t known_len, sl_item_t *it, char *err,
                  size_t errlen);

int sl_items_load(sl_items_t *self, int64_t site_no, uint64_t seq,
                  const sl_items_events_t *ev, sl_item_t *it, char *err, size_t errlen)
{
    int rc = s_load(self, site_no, seq, ev, NULL, NULL, 0, it, err, errlen);
    ev->release(ev->ctx);
    return rc;
}

/* An item from its state bytes, or, without any (a plain fact; a row
 * never written: a store migrated from 0.2.0 before its backfill), from its
 * own record.  1, or -1 with err. */
static int s_from_state(sl_item_t *it, const sl_rtype_t *rt, uint64_t seq, const uint8_t *state,
                        size_t state_len, const uint8_t *payload, size_t len, char *err,
                        size_t errlen)
{
    if (state)
        return sl_fold_decode(it, rt, state, state_len, payload, len, err, errlen) ? -1 : 1;
    sl_fold_err_t ferr;
    if (sl_fold_start(it, rt, seq, payload, len, &ferr) == 0)
        return 1;
    snprintf(err, errlen, "#%" PRIu64 ": %s", seq, ferr.text);
    return -1;
}

/* Loads item `seq`; its own record (type and payload) when the caller has
 * it already (known_rt not NULL), else by seq. */
static int s_load(sl_items_t *self, int64_t site_no, uint64_t seq,
                  const sl_items_events_t *ev, const sl_rtype_t *known_rt,
                  const uint8_t *known_payload, size_t known_len, sl_item_t *it, char *err,
                  size_t errlen)
{
    const sl_rtype_t *rt = known_rt;
    const uint8_t *payload = known_payload;
    size_t len = known_len;
    int found = known_rt ? 0 : ev->by_seq(ev->ctx, seq, &rt, &payload, &len);
    if (found < 0 || (found == 0 && !rt)) {
        sl_tf(err, errlen, "无法读取记录 #%" PRIu64, "cannot read record #%" PRIu64, seq);
        return -1;
    }
    if (found > 0 || (rt->role != SL_ROLE_FACT && rt->role != SL_ROLE_CHECKIN
                      && rt->role != SL_ROLE_CHECKOUT))
        return 0;
    /* a row kept in memory (written behind) is newer than the table's */
    const s_row_t *kept = s_pending_get(self, site_no, seq);
    if (kept)
        return s_from_state(it, rt, seq, kept->v.state, kept->v.state_len, payload, len, err,
                            errlen);
    sqlite3_stmt *st = self->get;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, rt->code);
    sqlite3_bind_int64(st, 2, site_no);
    sqlite3_bind_int64(st, 3, (int64_t) seq);
    int rc = sqlite3_step(st);
    int out;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        /* (an empty blob is damaged state bytes, not none: SQLite gives NULL for it) */
        bool blob = rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB;
        const uint8_t *state = blob ? sqlite3_column_blob(st, 0) : NULL;
        out = s_from_state(it, rt, seq, blob && !state ? (const uint8_t *) "" : state,
                           blob ? (size_t) sqlite3_column_bytes(st, 0) : 0, payload, len, err,
                           errlen);
    } else {
        sl_tf(err, errlen, "无法读取事项 #%" PRIu64 " 的状态：%s",
              "cannot read the state of item #%" PRIu64 ": %s", seq, sqlite3_errmsg(self->db));
        out = -1;
    }
    sqlite3_reset(st);
    return out;
}

/* The seq of the item a record is about, through its `item` field: the
 * item itself, or (for a void of an update or rating) the item that record
 * is about.  *target gets the seq the record names.  `view` is the record's
 * view when the caller has it (NULL: decoded here).  When the record names
 * the item itself, *root_rt, *root_payload and *root_len get the item's own
 * record (valid until the next by_id lookup; NULL otherwise): the caller
 * need not look it up again.  0, or -1 with err. */
static int s_root_of(const sl_rtype_t *rt, const sl_view_t *view, const uint8_t *payload,
                     size_t len, const sl_items_events_t *ev, uint64_t *root, uint64_t *target,
                     const sl_rtype_t **root_rt, const uint8_t **root_payload, size_t *root_len,
                     sl_fold_err_t *err)
{
    sl_view_t v;
    *root_rt = NULL;
    if (!view) {
        if (sl_schema_view(rt, payload, len, &v, err->text, sizeof err->text))
            return -1;
        view = &v;
    }
    int k = sl_schema_field_index(rt, F_ITEM);
    if (k < 0 || !view->v[k].present)
        return s_fail(err, F_ITEM, SL_T("这条记录没有指明事项", "the record names no item"));
    uint8_t id[SL_ID_BYTES];
    memcpy(id, view->v[k].id, SL_ID_BYTES);
    const sl_rtype_t *trt;
    const uint8_t *tp;
    size_t tlen;
    int found = ev->by_id(ev->ctx, id, target, &trt, &tp, &tlen);
    if (found != 0 || !trt) {
        char text[SL_ID_TEXT];
        sl_id_format(id, text);
        sl_tf(err->text, sizeof err->text, "记录 %s 不是本站点的记录",
              "record %s is not one of this site's records", text);
        err->field = F_ITEM;
        return -1;
    }
    if (trt->role == SL_ROLE_FACT || trt->role == SL_ROLE_CHECKIN || trt->role == SL_ROLE_CHECKOUT) {
        *root = *target;
        *root_rt = trt;
        *root_payload = tp;
        *root_len = tlen;
        return 0;
    }
    if (rt->role == SL_ROLE_VOID && (trt->role == SL_ROLE_UPDATE || trt->role == SL_ROLE_RATING)) {
        uint64_t ignored;
        int rc = s_root_of(trt, NULL, tp, tlen, ev, root, &ignored, root_rt, root_payload,
                           root_len, err);
        *root_rt = NULL;        /* that one is the update's item, found by id too: look it up */
        return rc;
    }
    char zh[400], en[200];
    snprintf(zh, sizeof zh, "%s不能指向一条%s（#%" PRIu64 "）：%s只能针对事项本身%s", rt->label,
             trt->label, *target, rt->label, rt->role == SL_ROLE_VOID ? "、它的进展或评价" : "");
    snprintf(en, sizeof en, "a %s cannot be about a %s record (#%" PRIu64 ")", rt->name,
             trt->name, *target);
    sl_tpair(err->text, sizeof err->text, zh, en);
    err->field = F_ITEM;
    return -1;
}

/* A member checks in only when not here, and out only when here. */
static int s_placement(sl_items_t *self, int64_t site_no, const sl_item_t *it, sl_fold_err_t *err)
{
    sqlite3_stmt *st = self->last_of_member;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, self->checkin);
    sqlite3_bind_int(st, 2, self->checkout);
    sqlite3_bind_int64(st, 3, site_no);
    sqlite3_bind_text(st, 4, it->member, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool here = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == self->checkin;
    long long since = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail(err, NULL, SL_T("无法读取在本社区报到的党员", "cannot read the members checked "
                                      "in here"));
    if (it->rt->role == SL_ROLE_CHECKIN && here) {
        sl_tf(err->text, sizeof err->text, "党员 %s 已在本社区报到（#%lld），调出后才能再次报到",
              "member %s is already checked in here (#%lld)", it->member, since);
        err->field = F_MEMBER;
        return -1;
    }
    if (it->rt->role == SL_ROLE_CHECKOUT && !here) {
        sl_tf(err->text, sizeof err->text, "党员 %s 没有在本社区报到，不能调出",
              "member %s is not checked in here", it->member);
        err->field = F_MEMBER;
        return -1;
    }
    return 0;
}

struct replay_ctx {
    const sl_items_events_t *ev;
};

static int s_fetch(void *ctx, uint64_t seq, const sl_rtype_t **rt, const uint8_t **payload,
                   size_t *len)
{
    const sl_items_events_t *ev = ((struct replay_ctx *) ctx)->ev;
    return ev->by_seq(ev->ctx, seq, rt, payload, len) == 0 ? 0 : -1;
}

int sl_items_apply(sl_items_t *self, int64_t site_no, uint64_t seq, const sl_rtype_t *rt,
                   const uint8_t *payload, size_t len, const sl_items_events_t *ev,
                   const sl_schema_lookup_t *lookup, sl_fold_err_t *err)
{
    sl_view_t view;
    err->field = NULL;
    if (sl_schema_view(rt, payload, len, &view, err->text, sizeof err->text))
        return -1;
    return sl_items_apply_view(self, site_no, seq, NULL, &view, payload, len, ev, lookup, err);
}

/* ---- the batch's slots */

/* Kept in a slot for the rest of the batch: items that later records of it
 * move along (a lifecycle: updates, ratings).  A fact without one is seldom
 * named again (a correction, a void): it is written (or kept behind) at
 * once, and leaves the slots to the items that are. */
static bool s_cached_role(const sl_rtype_t *rt) { return rt->role == SL_ROLE_FACT && rt->life; }

static uint64_t s_id64(const uint8_t *id)
{
    uint64_t v;
    memcpy(&v, id + SL_ID_BYTES - sizeof v, sizeof v);    /* the random end of the id */
    return v;
}

static s_slot_t *s_slot_by_id(sl_items_t *self, int64_t site_no, const uint8_t *id)
{
    uint64_t want = s_id64(id);
    for (size_t i = 0; i < SL_ITEMS_CACHE; i++) {
        s_slot_t *sl = &self->slots[i];
        if (sl->id64 == want && sl->used && sl->has_id && sl->site_no == site_no
            && memcmp(sl->id, id, SL_ID_BYTES) == 0)
            return sl;
    }
    return NULL;
}

static s_slot_t *s_slot_by_seq(sl_items_t *self, int64_t site_no, uint64_t seq)
{
    for (size_t i = 0; i < SL_ITEMS_CACHE; i++) {
        s_slot_t *sl = &self->slots[i];
        if (sl->used && sl->site_no == site_no && sl->it->seq == seq)
            return sl;
    }
    return NULL;
}

/* A slot for another item: a free one, or the least recently used, its
 * item written first when changed.  NULL without memory or when that
 * write fails (logged). */
static s_slot_t *s_slot_take(sl_items_t *self)
{
    s_slot_t *pick = NULL;
    for (size_t i = 0; i < SL_ITEMS_CACHE && !(pick && !pick->used); i++) {
        s_slot_t *sl = &self->slots[i];
        if (!pick || !sl->used || sl->touched < pick->touched)
            pick = sl;
    }
    if (pick->used && pick->dirty && s_write(self, pick->site_no, pick->it, pick->is_new))
        return NULL;
    pick->used = pick->dirty = pick->is_new = pick->has_id = false;
    if (!pick->it && !(pick->it = sl_item_new()))
        return NULL;
    return pick;
}

/* Puts an item in a slot taken for it: its record's id (by which later
 * records of the batch find it), changed or not, new or not. */
static void s_slot_fill(sl_items_t *self, s_slot_t *slot, int64_t site_no, const uint8_t *id,
                        bool changed)
{
    *slot = (s_slot_t) { .it = slot->it, .used = true, .dirty = changed, .is_new = changed,
                         .has_id = true, .site_no = site_no, .touched = ++self->clock };
    memcpy(slot->id, id, SL_ID_BYTES);
    slot->id64 = s_id64(id);
}

void sl_items_batch_begin(sl_items_t *self)
{
    self->batch = true;
}

int sl_items_batch_end(sl_items_t *self, bool keep)
{
    int rc = 0;
    for (size_t i = 0; i < SL_ITEMS_CACHE; i++) {
        s_slot_t *sl = &self->slots[i];
        if (keep && rc == 0 && sl->used && sl->dirty)
            rc = s_write(self, sl->site_no, sl->it, sl->is_new);
        sl->used = sl->dirty = sl->is_new = sl->has_id = false;
    }
    /* a failed write: the caller rolls back, and the rows kept are put
     * back as they were before the batch */
    s_undo_end(self, keep && rc == 0);
    self->batch = false;
    return rc;
}

/* ---- one record */

/* A new item: kept in a slot inside a batch (check-ins and check-outs
 * excepted: the next one is checked against their rows), else written. */
static int s_apply_item(sl_items_t *self, int64_t site_no, uint64_t seq, const uint8_t *id,
                        const sl_view_t *view, const uint8_t *payload, size_t len,
                        sl_fold_err_t *err)
{
    const sl_rtype_t *rt = view->rt;
    s_slot_t *slot = NULL;
    if (self->batch && id && s_cached_role(rt) && !(slot = s_slot_take(self)))
        return s_fail_store(err);
    sl_item_t *it = slot ? slot->it : self->it;
    if (sl_fold_start_view(it, view, seq, payload, len, err))
        return -1;
    if (slot) {
        s_slot_fill(self, slot, site_no, id, true);     /* new: its row is written later */
        return 0;
    }
    if (rt->role != SL_ROLE_FACT && s_placement(self, site_no, it, err))
        return -1;
    return s_write(self, site_no, it, true)
           ? s_fail_store(err) : 0;
}

/* Whether an item is a check-in or a check-out (its type known, or looked
 * up by seq). */
static bool s_placement_root(const sl_rtype_t *root_rt, uint64_t root,
                             const sl_items_events_t *ev)
{
    const uint8_t *p;
    size_t len;
    if (!root_rt && ev->by_seq(ev->ctx, root, &root_rt, &p, &len) != 0)
        return false;
    return root_rt && (root_rt->role == SL_ROLE_CHECKIN || root_rt->role == SL_ROLE_CHECKOUT);
}

int sl_items_apply_view(sl_items_t *self, int64_t site_no, uint64_t seq, const uint8_t *id,
                        const sl_view_t *view, const uint8_t *payload, size_t len,
                        const sl_items_events_t *ev, const sl_schema_lookup_t *lookup,
                        sl_fold_err_t *err)
{
    const sl_rtype_t *rt = view->rt;
    err->field = NULL;
    err->text[0] = 0;
    if (self->catching_up && (rt->role == SL_ROLE_CHECKIN || rt->role == SL_ROLE_CHECKOUT))
        return 0;       /* its row was written with it */
    if (rt->role == SL_ROLE_FACT || rt->role == SL_ROLE_CHECKIN || rt->role == SL_ROLE_CHECKOUT)
        return s_apply_item(self, site_no, seq, id, view, payload, len, err);

    /* A record about an item: the item in a slot when this batch has it
     * (found by the id the record names: no lookup at all), else found
     * through the store's events and its row. */
    s_slot_t *slot = NULL;
    uint64_t root = 0, target = 0;
    int rc = 0;
    int k = sl_schema_field_index(rt, F_ITEM);
    if (self->batch && k >= 0 && view->v[k].present
        && (slot = s_slot_by_id(self, site_no, view->v[k].id)))
        root = target = slot->it->seq;
    /* Its payload is copied: the lookups below reuse the store's
     * statements, which own the bytes they return. */
    uint8_t *own = NULL;
    if (!slot) {
        if (!(own = malloc(len ? len : 1)))
            return s_fail(err, NULL, SL_T("内存不足", "out of memory"));
        memcpy(own, payload, len);
        const sl_rtype_t *root_rt;
        const uint8_t *root_payload = NULL;
        size_t root_len = 0;
        /* the view points into the caller's payload, which outlives this call */
        rc = s_root_of(rt, view, own, len, ev, &root, &target, &root_rt, &root_payload,
                       &root_len, err);
        if (rc == 0 && self->catching_up && s_placement_root(root_rt, root, ev)) {
            ev->release(ev->ctx);
            free(own);
            return 0;   /* a check-in's or check-out's row is written with its records */
        }
        if (rc == 0 && self->batch)
            slot = s_slot_by_seq(self, site_no, root);
        if (rc == 0 && !slot) {
            /* Kept in a slot from now on when it is an item the batch may
             * keep (its record is at hand: it is what the record names). */
            if (self->batch && root_rt && s_cached_role(root_rt) && target == root
                && !(slot = s_slot_take(self)))
                rc = s_fail_store(err);
            char why[400];
            int loaded = rc ? -1 : s_load(self, site_no, root, ev, root_rt, root_payload, root_len,
                                          slot ? slot->it : self->it, why, sizeof why);
            if (rc == 0 && loaded <= 0) {
                rc = s_fail(err, F_ITEM, loaded < 0 ? why : SL_T("这条记录不是关于事项的",
                                                                 "the record is not about an item"));
                slot = NULL;    /* left unused */
            } else if (rc == 0 && slot) {
                s_slot_fill(self, slot, site_no, view->v[k].id, false);   /* as its row says */
            }
        }
    }
    sl_item_t *it = slot ? slot->it : self->it;
    if (rc == 0)
        rc = sl_fold_apply_view(it, view, seq, target, lookup, err);
    if (rc == SL_FOLD_REPLAY) {
        struct replay_ctx rctx = { .ev = ev };
        /* The void itself is in the kids list but not yet in the store's
         * events: the replay does not fetch voids, only what they voided. */
        rc = sl_fold_replay(it, s_fetch, &rctx, err);
    }
    if (rc == 0 && slot) {
        slot->dirty = true;
        slot->touched = ++self->clock;
    } else if (rc == 0 && s_write(self, site_no, it, false)) {
        rc = s_fail_store(err);
    }
    ev->release(ev->ctx);
    free(own);
    return rc ? -1 : 0;
}

long sl_items_members_here(sl_items_t *self, int64_t site_no)
{
    sqlite3_stmt *st = self->members;
    sqlite3_reset(st);
    sqlite3_bind_int(st, 1, self->checkin);
    sqlite3_bind_int(st, 2, self->checkout);
    sqlite3_bind_int64(st, 3, site_no);
    long n = sqlite3_step(st) == SQLITE_ROW ? (long) sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

/* Rows kept and not yet written: the table is not whole (the caller
 * flushes before it reads; logged). */
static bool s_kept_unwritten(const sl_items_t *self)
{
    if (self->npending)
        sl_terror("items：还有 %zu 个事项没有写入表中", "items: %zu items are not written to the table yet",
                  self->npending);
    return self->npending != 0;
}

int sl_items_each(sl_items_t *self, const char *type, int64_t site_no,
                  int (*fn)(void *ctx, const sl_items_row_t *row), void *ctx)
{
    if (s_kept_unwritten(self))
        return -1;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT type, site_no, seq, on_date, good_on, status, unit, member, voided, state FROM items"
        " WHERE type = ?1 AND (?2 < 0 OR site_no = ?2) ORDER BY type, site_no, seq");
    if (!st)
        return -1;
    const sl_rtype_t *rt = sl_schema_find(type, strlen(type));
    if (!rt) {
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_bind_int(st, 1, rt->code);
    sqlite3_bind_int64(st, 2, site_no);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        sl_items_row_t row = {
            .rt = rt, .site_no = sqlite3_column_int64(st, 1),
            .seq = (uint64_t) sqlite3_column_int64(st, 2),
            .on_date = (int32_t) sqlite3_column_int64(st, 3),
            .good_on = (int32_t) sqlite3_column_int64(st, 4), .status = sl_db_text(st, 5),
            .unit = sl_db_text(st, 6), .member = sl_db_text(st, 7),
            .voided = sqlite3_column_int(st, 8) != 0,
            .state = sqlite3_column_blob(st, 9), .state_len = (size_t) sqlite3_column_bytes(st, 9),
        };
        rc = fn(ctx, &row);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}

int sl_items_dump(sl_items_t *self, int64_t site_no, FILE *out)
{
    if (s_kept_unwritten(self))
        return -1;
    sqlite3_stmt *st = sl_db_prepare(self->db,
        "SELECT type, seq, on_date, status, good_on, unit, member, voided, hex(state), site_no"
        " FROM items WHERE ?1 < 0 OR site_no = ?1 ORDER BY type, site_no, seq");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, site_no);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const sl_rtype_t *rt = sl_schema_by_code(sqlite3_column_int(st, 0));
        if (site_no < 0)        /* every site's: which one */
            fprintf(out, "#%lld|", (long long) sqlite3_column_int64(st, 9));
        fprintf(out, "%s|%lld|%lld|%s|%lld|%s|%s|%d|%s\n", rt ? rt->name : "?",
                (long long) sqlite3_column_int64(st, 1), (long long) sqlite3_column_int64(st, 2),
                sl_db_text(st, 3), (long long) sqlite3_column_int64(st, 4), sl_db_text(st, 5),
                sl_db_text(st, 6), sqlite3_column_int(st, 7), sl_db_text(st, 8));
    }
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}
