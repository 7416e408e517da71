/* sl_fold.c: an item's state from its history (see sl_fold.h).
 *
 * Pure: the same records in the same order give the same state, byte for
 * byte, on any machine.  The fields the fold reads have the same name and
 * meaning in every type that has them (RECORDS.md): `on`, `status`, `unit`,
 * `member`; an update's `note`; a rating's `stars`; a correction's `field`
 * and `value`.  Everything else about a type is in the table of
 * sl_schema.c. */
#include "sl_fold.h"
#include "sl_lang.h"
#include "sl_mpcheck.h"
#include "sl_text.h"
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fold's fields (one spelling, here). */
#define F_ON "on"
#define F_STATUS "status"
#define F_UNIT "unit"
#define F_MEMBER "member"
#define F_NOTE "note"
#define F_STARS "stars"
#define F_FIELD "field"
#define F_VALUE "value"
#define F_ITEM_NAME "item"

sl_item_t *sl_item_new(void)
{
    sl_item_t *it = calloc(1, sizeof *it);
    if (it)
        msgpack_sbuffer_init(&it->payload);
    return it;
}

void sl_item_destroy(sl_item_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    msgpack_sbuffer_destroy(&(*self_p)->payload);
    free(*self_p);
    *self_p = NULL;
}

/* Empties an item for reuse, keeping its payload buffer.  Only the fields
 * before the step and record arrays are cleared: the counts say how much of
 * the arrays is in use (this runs for every record the server takes). */
static void s_reset(sl_item_t *it)
{
    it->rt = NULL;
    it->seq = 0;
    it->legacy = it->voided = it->corrected = false;
    it->on = it->status_on = it->good_on = 0;
    it->status = -1;
    it->goods = it->rated_goods = it->ratings = 0;
    it->unit[0] = it->member[0] = it->rating_unit[0] = it->rating_member[0] = 0;
    it->rating_seq = 0;
    it->stars = 0;
    it->rating_on = 0;
    it->nsteps = it->nkids = 0;
    msgpack_sbuffer_clear(&it->payload);
}

/* A refusal in both languages (common/sl_lang.h). */
static int s_refuse(sl_fold_err_t *err, const char *field, const char *zh, const char *en, ...)
    __attribute__((format(printf, 3, 5), format(printf, 4, 5)));
static int s_refuse(sl_fold_err_t *err, const char *field, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtf(err->text, sizeof err->text, zh, en, ap);
    va_end(ap);
    err->field = field;
    return -1;
}

/* A record type, or a status, as its Chinese label and its wire name (a
 * dual piece: each side of a refusal shows its own).  The buffer lives as
 * long as the statement. */
#define S_NAMED(zh, en) s_named(zh, en, (char[300]) { 0 }, 300)
static const char *s_named(const char *zh, const char *en, char *buf, size_t cap)
{
    sl_dpair(buf, cap, zh, en);
    return buf;
}

/* A lifecycle split once per thread: the fold reads statuses and moves for
 * every update and rating, and walking the '|'-lists each time cost it a
 * tenth of its time.  The lifecycles are the schema's constant tables: one
 * is known by its address.  test_fold checks that every lifecycle fits
 * (SL_FOLD_MAX_STATUSES, SL_FOLD_MAX_MOVES). */
typedef struct {
    const sl_lifecycle_t *l;
    int n;                              /* statuses */
    int good, initial;                  /* their indexes; -1 when none */
    uint32_t create, create_needs;      /* status bits */
    char name[SL_FOLD_MAX_STATUSES][32];        /* wire names */
    int8_t from[SL_FOLD_MAX_MOVES], to[SL_FOLD_MAX_MOVES];
    size_t nmoves;
} s_life_t;

static int s_life_index(const s_life_t *x, const char *name, size_t len)
{
    for (int i = 0; i < x->n; i++)
        if (strlen(x->name[i]) == len && memcmp(x->name[i], name, len) == 0)
            return i;
    return -1;
}

static uint32_t s_life_bits(const s_life_t *x, const char *list)
{
    char part[32];
    uint32_t bits = 0;
    for (size_t i = 0; list && sl_schema_part(list, i, part, sizeof part); i++) {
        int k = s_life_index(x, part, strlen(part));
        if (k >= 0)
            bits |= 1u << k;
    }
    return bits;
}

/* NULL only without a lifecycle.  The schema has a handful of lifecycles,
 * each split once into its own entry (an entry is never reused while the
 * schema has fewer than S_LIVES: the pointers handed out stay valid). */
#define S_LIVES 16
static const s_life_t *s_life(const sl_lifecycle_t *l)
{
    static _Thread_local s_life_t cache[S_LIVES];
    if (!l)
        return NULL;
    s_life_t *x = cache;
    for (size_t i = 0; i < S_LIVES; i++) {
        x = &cache[i];
        if (x->l == l)
            return x;
        if (!x->l)
            break;
    }
    memset(x, 0, sizeof *x);
    while (x->n < SL_FOLD_MAX_STATUSES
           && sl_schema_part(l->statuses, (size_t) x->n, x->name[x->n], sizeof x->name[0]))
        x->n++;
    x->good = l->good ? s_life_index(x, l->good, strlen(l->good)) : -1;
    x->initial = l->initial ? s_life_index(x, l->initial, strlen(l->initial)) : -1;
    x->create = s_life_bits(x, l->create);
    x->create_needs = s_life_bits(x, l->create_needs);
    x->nmoves = l->nmoves < SL_FOLD_MAX_MOVES ? l->nmoves : SL_FOLD_MAX_MOVES;
    for (size_t i = 0; i < x->nmoves; i++) {
        x->from[i] = (int8_t) s_life_index(x, l->moves[i].from, strlen(l->moves[i].from));
        x->to[i] = (int8_t) s_life_index(x, l->moves[i].to, strlen(l->moves[i].to));
    }
    x->l = l;
    return x;
}

bool sl_fold_life_fits(const sl_lifecycle_t *l)
{
    char part[32];
    size_t lives = 0;
    for (size_t i = 0; i < sl_schema_count(); i++)
        lives += sl_schema_at(i)->life != NULL;
    return lives <= S_LIVES
           && (!l || (l->nmoves <= SL_FOLD_MAX_MOVES
                      && !sl_schema_part(l->statuses, SL_FOLD_MAX_STATUSES, part, sizeof part)));
}

const char *sl_fold_status_of(const sl_item_t *it, int status)
{
    const s_life_t *x = s_life(it->rt->life);
    return x && status >= 0 && status < x->n ? x->name[status] : NULL;
}

/* A status's wire name ("" without a lifecycle or for -1). */
static const char *s_wire(const sl_item_t *it, int status)
{
    const char *wire = sl_fold_status_of(it, status);
    return wire ? wire : "";
}

/* A status's index by its wire name or its label, -1 when neither. */
static int s_status_index(const sl_lifecycle_t *l, const char *name, size_t len)
{
    const s_life_t *x = s_life(l);
    int i = x ? s_life_index(x, name, len) : -1;
    return i >= 0 ? i : sl_schema_status(l, name, len);
}

static int s_good_index(const sl_item_t *it)
{
    const s_life_t *x = s_life(it->rt->life);
    return x ? x->good : -1;
}

void sl_fold_status_name(const sl_item_t *it, int status, char *name, size_t ncap,
                         char *label, size_t lcap)
{
    snprintf(name, ncap, "%s", s_wire(it, status));
    label[0] = 0;
    if (!name[0])
        return;
    if (!sl_schema_part(it->rt->life->labels, (size_t) status, label, lcap))
        snprintf(label, lcap, "%s", name);
}

/* The fields the fold reads, by number: their indexes in each type are
 * looked up once per thread (by name, for every record, they cost the
 * fold a tenth of its time). */
enum { K_ON, K_STATUS, K_UNIT, K_MEMBER, K_NOTE, K_STARS, K_FIELD, K_VALUE, K_COUNT };
static const char *const s_field_names[K_COUNT] = { F_ON, F_STATUS, F_UNIT, F_MEMBER, F_NOTE,
                                                    F_STARS, F_FIELD, F_VALUE };

/* Field `which` of a type: its index, or -1 when the type has none. */
static int s_field(const sl_rtype_t *rt, int which)
{
    static _Thread_local struct { const sl_rtype_t *rt; int8_t k[K_COUNT]; } cache[64];
    size_t i = (size_t) rt->code % 64;
    if (cache[i].rt != rt) {
        for (int w = 0; w < K_COUNT; w++)
            cache[i].k[w] = (int8_t) sl_schema_field_index(rt, s_field_names[w]);
        cache[i].rt = rt;
    }
    return cache[i].k[which];
}

/* A view's value as text in a fixed buffer ("" when absent). */
static const char *s_text(const sl_view_t *v, int which, char *out, size_t cap)
{
    return sl_view_text_at(v, s_field(v->rt, which), out, cap);
}

static int32_t s_date(const sl_view_t *v, int which)
{
    int k = s_field(v->rt, which);
    return k >= 0 && v->v[k].present && v->v[k].i > 0 ? (int32_t) v->v[k].i : 0;
}

/* Whether a view has a text value, not empty, in field `which`. */
static bool s_has(const sl_view_t *v, int which)
{
    int k = s_field(v->rt, which);
    return k >= 0 && v->v[k].present && v->v[k].s && v->v[k].len > 0;
}

/* Status, date of the latest step, good date and count: all from the steps. */
void sl_fold_derive(sl_item_t *it)
{
    it->goods = 0;
    it->good_on = 0;
    if (!it->rt->life || it->nsteps == 0) {
        it->status = -1;
        it->status_on = it->on;
        return;
    }
    int good = s_good_index(it);
    for (size_t i = 0; i < it->nsteps; i++) {
        bool enters = it->steps[i].status == good && (i == 0 || it->steps[i - 1].status != good);
        if (enters) {
            it->goods++;
            it->good_on = it->steps[i].on;
        }
    }
    it->status = it->steps[it->nsteps - 1].status;
    it->status_on = it->steps[it->nsteps - 1].on;
    if (it->status != good)
        it->good_on = 0;
}

/* "已受理 accepted, 不予受理 rejected": where an update may take the item now. */
static void s_next(const sl_item_t *it, char *out, size_t cap)
{
    const sl_lifecycle_t *l = it->rt->life;
    char from[32], name[32], label[64], zh[300] = "", en[200] = "";
    size_t zu = 0, eu = 0;
    sl_fold_status_name(it, it->status, from, sizeof from, label, sizeof label);
    for (size_t i = 0; l && i < l->nmoves; i++) {
        if (strcmp(l->moves[i].from, from) != 0)
            continue;
        int to = sl_schema_index(l->statuses, l->moves[i].to, strlen(l->moves[i].to));
        sl_fold_status_name(it, to, name, sizeof name, label, sizeof label);
        if (zu < sizeof zh)
            zu += (size_t) snprintf(zh + zu, sizeof zh - zu, "%s「%s」", zu ? "、" : "", label);
        if (eu < sizeof en)
            eu += (size_t) snprintf(en + eu, sizeof en - eu, "%s%s", eu ? ", " : "", name);
    }
    if (!eu)
        snprintf(out, cap, "%s", SL_D("无，已是最终状态", "none, a final status"));
    else
        sl_dpair(out, cap, zh, en);
}

static void s_kid(sl_item_t *it, uint64_t seq, sl_role_kind_t role, bool of_item)
{
    sl_kid_t *k = &it->kids[it->nkids++];
    k->seq = seq;
    k->role = (uint8_t) role;
    k->voided = false;
    k->of_item = of_item;
}

/* Copies a string value of a view (a reference key) when present. */
static void s_key(const sl_view_t *v, int which, char *out, size_t cap)
{
    int k = s_field(v->rt, which);
    if (k < 0 || !v->v[k].present || !v->v[k].s || v->v[k].len == 0)
        return;
    size_t n = v->v[k].len < cap - 1 ? v->v[k].len : cap - 1;
    memcpy(out, v->v[k].s, n);
    out[n] = 0;
}

/* Sets a responsible unit or member from a view (when the type has it). */
static void s_responsible(sl_item_t *it, const sl_view_t *v)
{
    s_key(v, K_UNIT, it->unit, sizeof it->unit);
    s_key(v, K_MEMBER, it->member, sizeof it->member);
}

int sl_fold_start(sl_item_t *it, const sl_rtype_t *rt, uint64_t seq, const uint8_t *payload,
                  size_t len, sl_fold_err_t *err)
{
    sl_view_t v;
    err->field = NULL;
    if (sl_schema_view(rt, payload, len, &v, err->text, sizeof err->text))
        return -1;
    return sl_fold_start_view(it, &v, seq, payload, len, err);
}

int sl_fold_start_view(sl_item_t *it, const sl_view_t *view, uint64_t seq,
                       const uint8_t *payload, size_t len, sl_fold_err_t *err)
{
    const sl_rtype_t *rt = view->rt;
    s_reset(it);
    err->field = NULL;
    it->rt = rt;
    it->seq = seq;
    if (rt->role != SL_ROLE_FACT && rt->role != SL_ROLE_CHECKIN && rt->role != SL_ROLE_CHECKOUT)
        return s_refuse(err, NULL, "%s记录是关于某个事项的，本身不是事项",
                        "%s records are about an item; they are not one",
                        S_NAMED(rt->label, rt->name));
    it->legacy = view->legacy;
    it->on = s_date(view, K_ON);
    s_responsible(it, view);
    msgpack_sbuffer_write(&it->payload, (const char *) payload, len);
    const sl_lifecycle_t *l = rt->life;
    if (l) {
        char st[32] = "", label[64];
        int k = s_field(rt, K_STATUS);
        if (k >= 0 && view->v[k].present && view->v[k].len < sizeof st) {
            memcpy(st, view->v[k].s, view->v[k].len);
            st[view->v[k].len] = 0;
        }
        const s_life_t *x = s_life(l);
        int status = st[0] ? s_status_index(l, st, strlen(st)) : x->initial;
        /* `create` names the statuses a record may give, by wire name */
        if (status < 0 || (st[0] && l->create && (s_life_index(x, st, strlen(st)) < 0
                                                  || !(x->create >> status & 1))))
            return s_refuse(err, F_STATUS, "%s不能以状态「%s」登记；可用 %s",
                            "%s cannot be created in status \"%s\"; it may be created as: %s",
                            S_NAMED(rt->label, rt->name), st, l->create ? l->create : "");
        if ((x->create_needs >> status & 1) && !it->unit[0] && !it->member[0]) {
            sl_schema_part(l->labels, (size_t) status, label, sizeof label);
            return s_refuse(err, F_UNIT, "%s登记为「%s」时须写明认领的单位或党员（unit 或 member）",
                            "a %s created as %s needs the unit or member that took it on",
                            S_NAMED(rt->label, rt->name), S_NAMED(label, s_wire(it, status)));
        }
        it->steps[0].on = it->on;
        it->steps[0].status = (int8_t) status;
        it->nsteps = 1;
    }
    sl_fold_derive(it);
    return 0;
}

/* A status's label, for a refusal (looked up only then, which every
 * accepted record is spared). */
static const char *s_status_label(const sl_item_t *it, int status, char *label, size_t cap)
{
    char name[32];
    sl_fold_status_name(it, status, name, sizeof name, label, cap);
    return label;
}

static int s_update(sl_item_t *it, const sl_view_t *v, uint64_t seq, sl_fold_err_t *err)
{
    const sl_lifecycle_t *l = it->rt->life;
    char st[32], fromlabel[64], next[400];
    s_text(v, K_STATUS, st, sizeof st);
    int to = s_status_index(l, st, strlen(st));
    const char *from = s_wire(it, it->status);
    fromlabel[0] = 0;
    /* where it may go, for a refusal only (written out per update, it
     * cost the server a fifth of the fold) */
    if (to < 0) {
        s_next(it, next, sizeof next);
        s_status_label(it, it->status, fromlabel, sizeof fromlabel);
        return s_refuse(err, F_STATUS, "「%s」不是%s的状态；当前状态「%s」，可改为 %s",
                        "\"%s\" is not a status of %s; it is %s now and may go to: %s", st,
                        S_NAMED(it->rt->label, it->rt->name), S_NAMED(fromlabel, from), next);
    }
    char tolabel[64];
    const char *toname = s_wire(it, to);
    tolabel[0] = 0;
    const sl_move_t *move = NULL;
    const s_life_t *x = s_life(l);
    for (size_t i = 0; i < x->nmoves && !move; i++)
        if (x->from[i] == it->status && x->to[i] == to)
            move = &l->moves[i];
    if (!move) {
        s_next(it, next, sizeof next);
        s_status_label(it, it->status, fromlabel, sizeof fromlabel);
        s_status_label(it, to, tolabel, sizeof tolabel);
        return s_refuse(err, F_STATUS, "%1$s #%2$" PRIu64 " 不能从「%3$s」改为「%4$s」；当前状态「%3$s」，"
                        "可改为 %5$s", "%1$s #%2$" PRIu64 " cannot move from %3$s to %4$s; from "
                        "%3$s it may go to: %5$s", S_NAMED(it->rt->label, it->rt->name), it->seq,
                        S_NAMED(fromlabel, from), S_NAMED(tolabel, toname), next);
    }
    int32_t on = s_date(v, K_ON);
    if (on < it->status_on) {
        char a[11], b[11];
        sl_schema_date_text(on, a);
        sl_schema_date_text(it->status_on, b);
        return s_refuse(err, F_ON, "进展日期 %s 早于该事项最近一步的日期 %s（当前状态「%s」）",
                        "the update's date %s is before the item's latest step on %s (it is %s)",
                        a, b, S_NAMED(s_status_label(it, it->status, fromlabel, sizeof fromlabel),
                                      from));
    }
    if (move->needs && strcmp(move->needs, "unit|member") == 0 && !s_has(v, K_UNIT)
        && !s_has(v, K_MEMBER) && !it->unit[0] && !it->member[0])
        return s_refuse(err, F_UNIT, "改为「%s」须写明责任单位或党员（unit 或 member）",
                        "moving to %s needs a responsible unit or member",
                        S_NAMED(s_status_label(it, to, tolabel, sizeof tolabel), toname));
    if (move->needs && strcmp(move->needs, "note") == 0 && !s_has(v, K_NOTE))
        return s_refuse(err, F_NOTE, "改为「%s」须写明理由（note）", "moving to %s needs a note saying "
                        "why", S_NAMED(s_status_label(it, to, tolabel, sizeof tolabel), toname));
    if (it->nsteps >= SL_FOLD_MAX_STEPS || it->nkids >= SL_FOLD_MAX_KIDS)
        return s_refuse(err, F_ITEM_NAME, "该事项的进展已达上限 %d", "the item has reached the limit of "
                        "%d steps", SL_FOLD_MAX_STEPS);
    s_responsible(it, v);
    it->steps[it->nsteps].on = on;
    it->steps[it->nsteps].status = (int8_t) to;
    it->nsteps++;
    sl_fold_derive(it);
    s_kid(it, seq, SL_ROLE_UPDATE, false);
    return 0;
}

static int s_rating(sl_item_t *it, const sl_view_t *v, uint64_t seq, sl_fold_err_t *err)
{
    int good = s_good_index(it);
    char goodname[32], goodlabel[64], now[32], nowlabel[64];     /* for a refusal only */
    if (it->legacy && it->ratings == 0) {
        /* 0.2.0 had no lifecycle: one rating per item, whatever its state. */
    } else if (it->status != good) {
        sl_fold_status_name(it, good, goodname, sizeof goodname, goodlabel, sizeof goodlabel);
        sl_fold_status_name(it, it->status, now, sizeof now, nowlabel, sizeof nowlabel);
        return s_refuse(err, F_ITEM_NAME, "只能评价「%2$s」的%1$s；%1$s #%3$" PRIu64 " 当前状态「%4$s」",
                        "only a %1$s that is %2$s can be rated; #%3$" PRIu64 " is %4$s",
                        S_NAMED(it->rt->label, it->rt->name), S_NAMED(goodlabel, goodname),
                        it->seq, S_NAMED(nowlabel, now));
    } else if (it->rated_goods >= it->goods) {
        return s_refuse(err, F_ITEM_NAME, "%1$s #%2$" PRIu64 " 这次办结已经评价过（#%3$" PRIu64 "）；"
                        "一事一评%4$.0s", "%1$s #%2$" PRIu64 " was already rated (#%3$" PRIu64
                        ") since it last became %4$s", S_NAMED(it->rt->label, it->rt->name),
                        it->seq, it->rating_seq, s_wire(it, good));
    }
    if (it->nkids >= SL_FOLD_MAX_KIDS)
        return s_refuse(err, F_ITEM_NAME, "关于一个事项的记录太多（上限 %d）",
                        "too many records about one item (limit %d)", SL_FOLD_MAX_KIDS);
    int k = s_field(v->rt, K_STARS);
    it->rating_seq = seq;
    it->stars = k >= 0 ? (int) v->v[k].i : 0;
    it->rating_on = s_date(v, K_ON);
    if (!it->rating_on)
        it->rating_on = it->good_on ? it->good_on : it->on;   /* counts when it was finished */
    sl_text_copy(it->rating_unit, sizeof it->rating_unit, it->unit);
    sl_text_copy(it->rating_member, sizeof it->rating_member, it->member);
    it->rated_goods = it->goods;
    it->ratings++;
    s_kid(it, seq, SL_ROLE_RATING, false);
    return 0;
}

static int s_correction(sl_item_t *it, const sl_view_t *v, uint64_t seq,
                        const sl_schema_lookup_t *lk, sl_fold_err_t *err)
{
    char name[SL_MAX_NAME_BYTES * 4 + 1], value[SL_MAX_TEXT_BYTES + 1];
    s_text(v, K_FIELD, name, sizeof name);
    s_text(v, K_VALUE, value, sizeof value);
    const sl_field_t *f = sl_schema_field_entry(it->rt, name);
    if (!f)
        return s_refuse(err, F_FIELD, "%s没有字段「%s」", "%s has no field \"%s\"",
                        S_NAMED(it->rt->label, it->rt->name), name);
    if (f->type == SL_F_ITEM)
        return s_refuse(err, F_FIELD, "记录引用（%s）不能更正", "a record reference (%s) cannot be "
                        "corrected", f->name);
    if (it->rt->life && strcmp(f->name, F_STATUS) == 0)
        return s_refuse(err, F_FIELD, "状态不能更正，请录入进展（update）",
                        "the status is not corrected: enter an update");
    if (it->nkids >= SL_FOLD_MAX_KIDS)
        return s_refuse(err, F_ITEM_NAME, "关于一个事项的记录太多（上限 %d）",
                        "too many records about one item (limit %d)", SL_FOLD_MAX_KIDS);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    char why[500];
    if (sl_schema_replace(it->rt, (const uint8_t *) it->payload.data, it->payload.size, f, value,
                          &out, lk, why, sizeof why)) {
        msgpack_sbuffer_destroy(&out);
        return s_refuse(err, F_VALUE, "更正无效：%s", "the correction is refused: %s", why);
    }
    msgpack_sbuffer_clear(&it->payload);
    msgpack_sbuffer_write(&it->payload, out.data, out.size);
    msgpack_sbuffer_destroy(&out);
    it->corrected = true;
    sl_view_t now;
    if (sl_schema_view(it->rt, (const uint8_t *) it->payload.data, it->payload.size, &now,
                       why, sizeof why))
        return s_refuse(err, F_VALUE, "%s", "%s", why);
    if (strcmp(f->name, F_ON) == 0) {
        it->on = s_date(&now, K_ON);
        if (it->nsteps)
            it->steps[0].on = it->on;   /* a corrected date moves the record */
        sl_fold_derive(it);
    } else if (strcmp(f->name, F_UNIT) == 0) {
        s_text(&now, K_UNIT, it->unit, sizeof it->unit);         /* cleared too */
    } else if (strcmp(f->name, F_MEMBER) == 0) {
        s_text(&now, K_MEMBER, it->member, sizeof it->member);
    }
    s_kid(it, seq, SL_ROLE_CORRECTION, false);
    return 0;
}

static int s_void(sl_item_t *it, uint64_t seq, uint64_t target, sl_fold_err_t *err)
{
    if (it->nkids >= SL_FOLD_MAX_KIDS)
        return s_refuse(err, F_ITEM_NAME, "关于一个事项的记录太多（上限 %d）",
                        "too many records about one item (limit %d)", SL_FOLD_MAX_KIDS);
    if (target == it->seq) {
        it->voided = true;
        s_kid(it, seq, SL_ROLE_VOID, true);
        return 0;
    }
    sl_kid_t *k = NULL;
    for (size_t i = 0; i < it->nkids && !k; i++)
        if (it->kids[i].seq == target)
            k = &it->kids[i];
    if (!k || (k->role != SL_ROLE_UPDATE && k->role != SL_ROLE_RATING))
        return s_refuse(err, F_ITEM_NAME, "记录 #%" PRIu64 " 不能作废：只能作废事项本身、它的进展或评价；"
                        "更正错了请再更正一次", "record #%" PRIu64 " cannot be voided: only an item, "
                        "its updates and its ratings can (correct a correction again instead)",
                        target);
    if (k->voided)
        return s_refuse(err, F_ITEM_NAME, "记录 #%" PRIu64 " 已经作废", "record #%" PRIu64 " is already void",
                        target);
    if (k->role == SL_ROLE_UPDATE)
        for (size_t i = (size_t) (k - it->kids) + 1; i < it->nkids; i++)
            if (it->kids[i].role == SL_ROLE_UPDATE && !it->kids[i].voided)
                return s_refuse(err, F_ITEM_NAME, "只能作废最近一次进展（#%" PRIu64 "），请先作废它",
                                "only the latest update (#%" PRIu64 ") can be voided; void it first",
                                it->kids[i].seq);
    k->voided = true;
    s_kid(it, seq, SL_ROLE_VOID, false);
    return SL_FOLD_REPLAY;
}

int sl_fold_apply(sl_item_t *it, const sl_rtype_t *rt, uint64_t seq, const uint8_t *payload,
                  size_t len, uint64_t target_seq, const sl_schema_lookup_t *lk,
                  sl_fold_err_t *err)
{
    err->field = NULL;
    sl_view_t v;
    if (sl_schema_view(rt, payload, len, &v, err->text, sizeof err->text))
        return -1;
    return sl_fold_apply_view(it, &v, seq, target_seq, lk, err);
}

int sl_fold_apply_view(sl_item_t *it, const sl_view_t *view, uint64_t seq, uint64_t target_seq,
                       const sl_schema_lookup_t *lk, sl_fold_err_t *err)
{
    const sl_rtype_t *rt = view->rt;
    err->field = NULL;
    if (it->voided)
        return s_refuse(err, F_ITEM_NAME, "%s #%" PRIu64 " 已作废", "%s #%" PRIu64 " is void",
                        S_NAMED(it->rt->label, it->rt->name), it->seq);
    switch (rt->role) {
    case SL_ROLE_UPDATE:
        if (!it->rt->life)
            return s_refuse(err, F_ITEM_NAME, "%s没有办理流程，不能录入进展", "%s has no lifecycle",
                            S_NAMED(it->rt->label, it->rt->name));
        return s_update(it, view, seq, err);
    case SL_ROLE_RATING:
        if (!it->rt->life)
            return s_refuse(err, F_ITEM_NAME, "%s不能评价", "%s cannot be rated",
                            S_NAMED(it->rt->label, it->rt->name));
        return s_rating(it, view, seq, err);
    case SL_ROLE_CORRECTION:
        return s_correction(it, view, seq, lk, err);
    case SL_ROLE_VOID:
        return s_void(it, seq, target_seq, err);
    default:
        return s_refuse(err, NULL, "%s记录本身是事项，不是关于某个事项的记录",
                        "%s records are items, not records about one", S_NAMED(rt->label, rt->name));
    }
}

int sl_fold_replay(sl_item_t *it, sl_fold_fetch_fn fetch, void *ctx, sl_fold_err_t *err)
{
    size_t nkids = it->nkids;
    sl_kid_t *kids = malloc((nkids ? nkids : 1) * sizeof *kids);
    if (!kids)
        return s_refuse(err, NULL, "内存不足", "out of memory");
    memcpy(kids, it->kids, nkids * sizeof *kids);
    uint64_t root = it->seq;
    const sl_rtype_t *rt;
    const uint8_t *payload;
    size_t len;
    int rc = fetch(ctx, root, &rt, &payload, &len) || !rt
             ? s_refuse(err, NULL, "记录 #%" PRIu64 " 缺失", "record #%" PRIu64 " is missing", root)
             : sl_fold_start(it, rt, root, payload, len, err);
    for (size_t i = 0; rc == 0 && i < nkids; i++) {
        if (kids[i].voided || kids[i].role == SL_ROLE_VOID) {
            if (kids[i].role == SL_ROLE_VOID && kids[i].of_item)
                it->voided = true;
            it->kids[it->nkids++] = kids[i];
            continue;
        }
        if (fetch(ctx, kids[i].seq, &rt, &payload, &len) || !rt) {
            rc = s_refuse(err, NULL, "记录 #%" PRIu64 " 缺失",
                          "record #%" PRIu64 " is missing", kids[i].seq);
            break;
        }
        rc = sl_fold_apply(it, rt, kids[i].seq, payload, len, root, NULL, err);
    }
    free(kids);
    return rc ? -1 : 0;
}

int sl_fold_status_at(const sl_item_t *it, int32_t date, int32_t *since)
{
    int status = -1;
    size_t at = 0;
    for (size_t i = 0; i < it->nsteps; i++)
        if (it->steps[i].on <= date) {
            status = it->steps[i].status;
            at = i;
        }
    if (status >= 0 && since) {
        while (at > 0 && it->steps[at - 1].status == status && it->steps[at - 1].on <= date)
            at--;
        *since = it->steps[at].on;
    }
    return status;
}

bool sl_fold_stateful(const sl_item_t *it)
{
    /* An item with only its own record is rebuilt from it (sl_fold_start):
     * most items, and all of a bulk upload, keep no state bytes. */
    return it->nkids || it->corrected || it->voided || it->nsteps > 1;
}

/* ---- state bytes ----------------------------------------------------------------------- */

/* The state is written byte by byte as msgpack-c's packer writes it (the
 * same bytes: tables written before stay equal to their fold), into room
 * made for it once: the server encodes a state for every record about an
 * item, and the packer's call through a function pointer for every value
 * cost 3,000 instructions a state.  test_fold compares the two on many
 * states. */
static uint8_t *s_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t) v;
    return p + n;
}

/* A head byte and an n-byte big-endian value. */
static uint8_t *s_head(uint8_t *p, uint8_t head, uint64_t v, int n)
{
    *p++ = head;
    return s_be(p, v, n);
}

static uint8_t *s_mp_int(uint8_t *p, int64_t d)
{
    if (d < -(1LL << 5)) {
        if (d < -(1LL << 31))
            return s_head(p, 0xd3, (uint64_t) d, 8);
        if (d < -(1LL << 15))
            return s_head(p, 0xd2, (uint32_t) (int32_t) d, 4);
        if (d < -(1 << 7))
            return s_head(p, 0xd1, (uint16_t) (int16_t) d, 2);
        return s_head(p, 0xd0, (uint8_t) (int8_t) d, 1);
    }
    if (d < (1 << 7)) {
        *p = (uint8_t) (int8_t) d;
        return p + 1;
    }
    if (d < (1 << 8))
        return s_head(p, 0xcc, (uint64_t) d, 1);
    if (d < (1LL << 16))
        return s_head(p, 0xcd, (uint64_t) d, 2);
    if (d < (1LL << 32))
        return s_head(p, 0xce, (uint64_t) d, 4);
    return s_head(p, 0xcf, (uint64_t) d, 8);
}

/* An array head: fix form below 16, else 16 bits (the state's arrays and
 * map have at most SL_FOLD_MAX_KIDS entries). */
static uint8_t *s_mp_array(uint8_t *p, size_t n)
{
    if (n < 16) {
        *p = (uint8_t) (0x90 | n);
        return p + 1;
    }
    return s_head(p, 0xdc, n, 2);
}

static uint8_t *s_mp_str(uint8_t *p, const char *v, size_t n)
{
    if (n < 32)
        *p++ = (uint8_t) (0xa0 | n);
    else if (n < 256)
        p = s_head(p, 0xd9, n, 1);
    else if (n < 65536)
        p = s_head(p, 0xda, n, 2);
    else
        p = s_head(p, 0xdb, n, 4);
    memcpy(p, v, n);
    return p + n;
}

static uint8_t *s_key_str(uint8_t *p, const char *key, const char *v)
{
    return s_mp_str(s_mp_str(p, key, strlen(key)), v, strlen(v));
}

static uint8_t *s_key_int(uint8_t *p, const char *key, int64_t v)
{
    return s_mp_int(s_mp_str(p, key, strlen(key)), v);
}

int sl_fold_encode(const sl_item_t *it, msgpack_sbuffer *out)
{
    _Static_assert(SL_FOLD_MAX_KIDS < 65536 && SL_FOLD_MAX_STEPS < 65536, "16-bit array heads");
    /* at most: the keys and heads, 9 bytes an integer, 5 more a text */
    size_t most = 256 + 9 * (16 + 2 * it->nsteps + 4 * it->nkids) + 4 * (SL_FOLD_KEY_CAP + 5)
                  + it->payload.size + 5;
    if (out->alloc - out->size < most) {
        size_t cap = out->size + most;
        char *data = realloc(out->data, cap);
        if (!data)
            return -1;
        out->data = data;
        out->alloc = cap;
    }
    uint8_t *p = (uint8_t *) out->data + out->size;
    *p++ = 0x80 | 14;       /* a map of the 14 keys below */
    p = s_key_int(p, "v", 1);
    p = s_key_int(p, "seq", (int64_t) it->seq);
    p = s_key_int(p, "legacy", it->legacy);
    p = s_key_int(p, "voided", it->voided);
    p = s_key_int(p, "on", it->on);
    p = s_key_str(p, "unit", it->unit);
    p = s_key_str(p, "member", it->member);
    p = s_mp_str(p, "rating", 6);
    p = s_mp_array(p, 7);
    p = s_mp_int(p, (int64_t) it->rating_seq);
    p = s_mp_int(p, it->stars);
    p = s_mp_int(p, it->rating_on);
    p = s_mp_str(p, it->rating_unit, strlen(it->rating_unit));
    p = s_mp_str(p, it->rating_member, strlen(it->rating_member));
    p = s_mp_int(p, it->rated_goods);
    p = s_mp_int(p, it->ratings);
    p = s_mp_str(p, "steps", 5);
    p = s_mp_array(p, it->nsteps);
    for (size_t i = 0; i < it->nsteps; i++) {
        p = s_mp_array(p, 2);
        p = s_mp_int(p, it->steps[i].on);
        p = s_mp_int(p, it->steps[i].status);
    }
    p = s_mp_str(p, "kids", 4);
    p = s_mp_array(p, it->nkids);
    for (size_t i = 0; i < it->nkids; i++) {
        p = s_mp_array(p, 4);
        p = s_mp_int(p, (int64_t) it->kids[i].seq);
        p = s_mp_int(p, it->kids[i].role);
        p = s_mp_int(p, it->kids[i].voided);
        p = s_mp_int(p, it->kids[i].of_item);
    }
    p = s_key_int(p, "corrected", it->corrected);
    p = s_mp_str(p, "payload", 7);
    if (it->corrected) {
        size_t n = it->payload.size;
        p = n < 256 ? s_head(p, 0xc4, n, 1) : n < 65536 ? s_head(p, 0xc5, n, 2)
                                                        : s_head(p, 0xc6, n, 4);
        memcpy(p, it->payload.data, n);
        p += n;
    } else {
        *p++ = 0xc0;        /* nil */
    }
    p = s_key_int(p, "nsteps", (int64_t) it->nsteps);
    p = s_key_int(p, "nkids", (int64_t) it->nkids);
    out->size = (size_t) (p - (uint8_t *) out->data);
    return 0;
}

/* Reads an integer in [lo, hi] from a decoded object. */
static bool s_int(const msgpack_object *o, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    if (!o)
        return false;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        v = (int64_t) o->via.u64;
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        v = o->via.i64;
    else
        return false;
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool s_str(const msgpack_object *o, char *out, size_t cap)
{
    if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap)
        return false;
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = 0;
    return true;
}

int sl_fold_decode(sl_item_t *it, const sl_rtype_t *rt, const uint8_t *state, size_t len,
                   const uint8_t *payload, size_t payload_len, char *errtext, size_t errlen)
{
    s_reset(it);
    it->rt = rt;
    msgpack_zone zone;
    msgpack_object o;
    msgpack_zone_init(&zone, 2048);
    int rc = -1;
    int64_t x;
    const char *what = SL_D("格式", "its format");
    if (sl_mp_unpack(state, len, &zone, &o, errtext, errlen) || o.type != MSGPACK_OBJECT_MAP)
        goto done;
    what = SL_D("版本", "its version");
    if (!s_int(sl_mp_get(&o, "v"), 1, 1, &x))
        goto done;
    what = SL_D("字段", "its fields");
    int64_t seq, legacy, voided, on, corrected, nsteps_check, nkids_check;
    if (!s_int(sl_mp_get(&o, "seq"), 1, INT64_MAX, &seq)
        || !s_int(sl_mp_get(&o, "legacy"), 0, 1, &legacy)
        || !s_int(sl_mp_get(&o, "voided"), 0, 1, &voided)
        || !s_int(sl_mp_get(&o, "on"), 0, 99991231, &on)
        || !s_int(sl_mp_get(&o, "corrected"), 0, 1, &corrected)
        || !s_int(sl_mp_get(&o, "nsteps"), 0, SL_FOLD_MAX_STEPS, &nsteps_check)
        || !s_int(sl_mp_get(&o, "nkids"), 0, SL_FOLD_MAX_KIDS, &nkids_check)
        || !s_str(sl_mp_get(&o, "unit"), it->unit, sizeof it->unit)
        || !s_str(sl_mp_get(&o, "member"), it->member, sizeof it->member))
        goto done;
    it->seq = (uint64_t) seq;
    it->legacy = legacy;
    it->voided = voided;
    it->on = (int32_t) on;
    it->corrected = corrected;
    what = SL_D("评价", "its rating");
    const msgpack_object *r = sl_mp_get(&o, "rating");
    int64_t rs, stars, ron, rg, nr;
    if (!r || r->type != MSGPACK_OBJECT_ARRAY || r->via.array.size != 7
        || !s_int(&r->via.array.ptr[0], 0, INT64_MAX, &rs)
        || !s_int(&r->via.array.ptr[1], 0, 5, &stars)
        || !s_int(&r->via.array.ptr[2], 0, 99991231, &ron)
        || !s_str(&r->via.array.ptr[3], it->rating_unit, sizeof it->rating_unit)
        || !s_str(&r->via.array.ptr[4], it->rating_member, sizeof it->rating_member)
        || !s_int(&r->via.array.ptr[5], 0, UINT32_MAX, &rg)
        || !s_int(&r->via.array.ptr[6], 0, UINT32_MAX, &nr))
        goto done;
    it->rating_seq = (uint64_t) rs;
    it->stars = (int) stars;
    it->rating_on = (int32_t) ron;
    it->rated_goods = (uint32_t) rg;
    it->ratings = (uint32_t) nr;
    what = SL_D("各步", "its steps");
    const msgpack_object *steps = sl_mp_get(&o, "steps");
    const s_life_t *life = s_life(rt->life);
    int nstatus = life ? life->n : 0;
    if (!steps || steps->type != MSGPACK_OBJECT_ARRAY || steps->via.array.size != nsteps_check
        || (!rt->life && nsteps_check))
        goto done;
    for (uint32_t i = 0; i < steps->via.array.size; i++) {
        const msgpack_object *s = &steps->via.array.ptr[i];
        int64_t son, sst;
        if (s->type != MSGPACK_OBJECT_ARRAY || s->via.array.size != 2
            || !s_int(&s->via.array.ptr[0], 0, 99991231, &son)
            || !s_int(&s->via.array.ptr[1], 0, nstatus - 1, &sst))
            goto done;
        it->steps[i].on = (int32_t) son;
        it->steps[i].status = (int8_t) sst;
    }
    it->nsteps = steps->via.array.size;
    what = SL_D("记录", "its records");
    const msgpack_object *kids = sl_mp_get(&o, "kids");
    if (!kids || kids->type != MSGPACK_OBJECT_ARRAY || kids->via.array.size != nkids_check)
        goto done;
    for (uint32_t i = 0; i < kids->via.array.size; i++) {
        const msgpack_object *k = &kids->via.array.ptr[i];
        int64_t kseq, role, kv, ko;
        if (k->type != MSGPACK_OBJECT_ARRAY || k->via.array.size != 4
            || !s_int(&k->via.array.ptr[0], 1, INT64_MAX, &kseq)
            || !s_int(&k->via.array.ptr[1], SL_ROLE_UPDATE, SL_ROLE_VOID, &role)
            || !s_int(&k->via.array.ptr[2], 0, 1, &kv) || !s_int(&k->via.array.ptr[3], 0, 1, &ko))
            goto done;
        it->kids[i] = (sl_kid_t) { .seq = (uint64_t) kseq, .role = (uint8_t) role,
                                   .voided = kv, .of_item = ko };
    }
    it->nkids = kids->via.array.size;
    what = SL_D("内容", "its payload");
    const msgpack_object *p = sl_mp_get(&o, "payload");
    if (!p)
        goto done;
    if (corrected) {
        if (p->type != MSGPACK_OBJECT_BIN)
            goto done;
        msgpack_sbuffer_write(&it->payload, p->via.bin.ptr, p->via.bin.size);
    } else {
        if (p->type != MSGPACK_OBJECT_NIL || !payload)
            goto done;
        msgpack_sbuffer_write(&it->payload, (const char *) payload, payload_len);
    }
    sl_view_t view;
    if (sl_schema_view(rt, (const uint8_t *) it->payload.data, it->payload.size, &view,
                       errtext, errlen))
        goto done;
    sl_fold_derive(it);
    rc = 0;
done:
    if (rc)
        sl_tf(errtext, errlen, "事项 #%lld 的状态已损坏（%s）", "the state of item #%lld is damaged (%s)",
              (long long) it->seq, what);

    msgpack_zone_destroy(&zone);
    return rc;
}
