/* sl_fold.h: one fold, the same on the site and on the server.
 *
 * An item (a record that is a fact of its own: a service matter, a problem
 * report, a talent, a member's check-in …) has a state that is a pure
 * function of its history: the record that created it, then every record
 * about it (updates, ratings, corrections, voids) in its site's order.  This
 * file is that function, and nothing else: no I/O, no clock, no database.
 * The site calls it at entry (an illegal move is refused before it is
 * saved), the server calls it again for every record that arrives (and
 * refuses what the site would have refused), and both keep the result in the
 * same state table (common/sl_items.c).  Figures are sums over item states,
 * so they do not depend on arrival order across sites.
 *
 * Rules (shared/RECORDS.md "Lifecycles" and "Rules"): only the listed moves;
 * an update dated before the item's latest step is refused; a move may need
 * a responsible unit or member, or a note; a rating only of an item in its
 * good final state, at most once per time it got there; a correction changes
 * one data field (not the status, not a record reference; a required field
 * cannot be cleared); a void removes the item, or one of its updates (the
 * latest) or ratings, from every figure.  History is never rewritten: a void
 * of an update replays the item's history without it. */
#ifndef SL_FOLD_H
#define SL_FOLD_H
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include "sl_schema.h"

#define SL_FOLD_MAX_STEPS 100   /* lifecycle steps of one item */
#define SL_FOLD_MAX_KIDS  400   /* records about one item */
#define SL_FOLD_MAX_STATUSES 32 /* statuses of one lifecycle (sl_fold_life_fits) */
#define SL_FOLD_MAX_MOVES 32    /* moves of one lifecycle */
#define SL_FOLD_KEY_CAP   257   /* a reference key: 64 characters of UTF-8, and NUL */

typedef struct {
    int32_t on;                 /* yyyymmdd */
    int8_t status;              /* index into the type's lifecycle statuses */
} sl_step_t;

typedef struct {
    uint64_t seq;               /* the record about the item */
    uint8_t role;               /* sl_role_kind_t of that record */
    bool voided;                /* removed by a later void */
    bool of_item;               /* a void of the item itself */
} sl_kid_t;

typedef struct {
    const sl_rtype_t *rt;
    uint64_t seq;               /* the record that created the item */
    bool legacy;                /* created by 0.2.0 (no lifecycle then) */
    bool voided;
    int32_t on;                 /* the record's date, as corrected (yyyymmdd; 0 none) */
    int status;                 /* index into rt->life->statuses; -1 without a lifecycle */
    int32_t status_on;          /* date of the latest step */
    int32_t good_on;            /* when it last entered its good status; 0 when not in it now */
    uint32_t goods;             /* times it entered its good status */
    uint32_t rated_goods;       /* `goods` when it was last rated */
    char unit[SL_FOLD_KEY_CAP], member[SL_FOLD_KEY_CAP];      /* responsible */
    /* the latest rating (the one that counts) */
    uint64_t rating_seq;
    int stars;
    int32_t rating_on;
    char rating_unit[SL_FOLD_KEY_CAP], rating_member[SL_FOLD_KEY_CAP];
    uint32_t ratings;           /* ratings not voided */
    /* From here on, s_reset (sl_fold.c) clears only the counts. */
    size_t nsteps;
    sl_step_t steps[SL_FOLD_MAX_STEPS];
    size_t nkids;
    sl_kid_t kids[SL_FOLD_MAX_KIDS];
    bool corrected;             /* payload differs from the creating record's */
    msgpack_sbuffer payload;    /* the current field values */
} sl_item_t;

/* Why a record was refused: a sentence (Chinese, then English) naming the
 * current status and the allowed next ones where that applies, and the
 * payload field at fault (for the protocol's ERROR). */
typedef struct {
    char text[1024];
    const char *field;
} sl_fold_err_t;

sl_item_t *sl_item_new(void);
void sl_item_destroy(sl_item_t **self_p);

/* Starts an item from the record that creates it (role FACT, CHECKIN or
 * CHECKOUT).  The payload has passed sl_schema_check.  0 or -1. */
int sl_fold_start(sl_item_t *it, const sl_rtype_t *rt, uint64_t seq, const uint8_t *payload,
                  size_t len, sl_fold_err_t *err);
/* The same from the payload's view (already decoded). */
int sl_fold_start_view(sl_item_t *it, const sl_view_t *view, uint64_t seq,
                       const uint8_t *payload, size_t len, sl_fold_err_t *err);

/* Applies a record about the item: an update, a rating or a correction of
 * it, or a void of it (target_seq = it->seq) or of one of its updates or
 * ratings (target_seq = that record).  `lookup` checks a correction's new
 * reference value.  Returns 0, SL_FOLD_REPLAY when the caller must replay
 * the item's history (sl_fold_replay) because a record about it was voided,
 * or -1 with the refusal in err (the item is then unchanged). */
#define SL_FOLD_REPLAY 1
int sl_fold_apply(sl_item_t *it, const sl_rtype_t *rt, uint64_t seq, const uint8_t *payload,
                  size_t len, uint64_t target_seq, const sl_schema_lookup_t *lookup,
                  sl_fold_err_t *err);

/* The same with the record already decoded (the server's hot path). */
int sl_fold_apply_view(sl_item_t *it, const sl_view_t *view, uint64_t seq, uint64_t target_seq,
                       const sl_schema_lookup_t *lookup, sl_fold_err_t *err);

/* Where a replay gets the records of an item's history by seq. */
typedef int (*sl_fold_fetch_fn)(void *ctx, uint64_t seq, const sl_rtype_t **rt,
                                const uint8_t **payload, size_t *len);
/* Rebuilds `it` from its history: the creating record, then every record
 * about it that is not voided, in order.  0 or -1 (a record is missing or
 * no longer applies: the store is damaged). */
int sl_fold_replay(sl_item_t *it, sl_fold_fetch_fn fetch, void *ctx, sl_fold_err_t *err);

/* The item's status as of a date (yyyymmdd): -1 before it existed or
 * without a lifecycle.  `good_on`, when not NULL, gets the date it entered
 * the status it is in then. */
int sl_fold_status_at(const sl_item_t *it, int32_t date, int32_t *since);

/* Sets status, status_on, good_on and goods from it->steps (and on): the
 * fold's one rule for them, for a reader that filled the steps itself. */
void sl_fold_derive(sl_item_t *it);

/* The state as bytes (msgpack), and back.  The payload goes into the bytes
 * only when corrected; otherwise sl_fold_decode takes the creating record's
 * payload.  Decoding checks everything: the bytes come from a database. */
int sl_fold_encode(const sl_item_t *it, msgpack_sbuffer *out);   /* -1: no memory */
int sl_fold_decode(sl_item_t *it, const sl_rtype_t *rt, const uint8_t *state, size_t len,
                   const uint8_t *payload, size_t payload_len, char *errtext, size_t errlen);
/* True when the item needs its state bytes kept (records about it, a
 * correction, a void); an item with only its own record is rebuilt from it. */
bool sl_fold_stateful(const sl_item_t *it);

/* The wire name of status `status` of the item's lifecycle (valid for as
 * long as the thread), NULL without a lifecycle or for -1. */
const char *sl_fold_status_of(const sl_item_t *it, int status);
/* Whether a lifecycle is within the fold's limits (the schema's are: the
 * tests check them). */
bool sl_fold_life_fits(const sl_lifecycle_t *l);
/* The name and the Chinese label of a status index of the item's type. */
void sl_fold_status_name(const sl_item_t *it, int status, char *name, size_t ncap,
                         char *label, size_t lcap);

#endif
