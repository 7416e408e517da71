/* report.c: the district's figures (see report.h and shared/FIGURES.md).
 *
 * One context per run: the reference data in force for all sites (units
 * with every secretary they ever had, members, communities, teams, brands,
 * targets, settings), the sites and their communities, then one pass per
 * record type over the item-state table.  An item is rebuilt from its state
 * row and its record (sl_fold_decode / sl_fold_start); an item whose history
 * goes on past the date a report is "as of" is rebuilt once more from its
 * records without the later steps (s_as_of), so a past month shows who was
 * responsible then.  The counting rules are sl_tally.c's.
 *
 * Interpretations (docs/USER-GUIDE.md, 报表): a problem report counts for the
 * probe figures by its own date; responsibility for 五个一 is the item's
 * responsible unit now (corrections are retroactive); lists name units and
 * communities by their names in the reference data (the code when there is
 * no entry). */
#include "report.h"
#include "sl_lang.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_mpcheck.h"
#include "sl_refkinds.h"
#include "sl_schema.h"
#include "sl_tally.h"
#include "sl_text.h"
#include <czmq.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The statuses the figures name (RECORDS.md, lifecycles). */
#define ST_REPORTED "reported"
#define ST_REJECTED "rejected"
#define ST_CLOSED "closed"
#define ST_REOPENED "reopened"
#define NAME_CAP 400

typedef struct {
    char *code, *name;
    sl_secretary_t *secs;       /* every secretary published for it, in order */
    size_t nsecs;
} unit_t;

typedef struct {
    char *code, *name;
    int64_t households, area, workers, cadres, hired, wage_min, wage_max, cap;
    bool has_wage_min, has_wage_max;
} community_t;

typedef struct {
    char *name, *unit, *brand;
} named_t;

typedef struct {
    int64_t site_no;
    char *site_id, *community;
} site_t;

typedef struct {
    int done[SL_TASKS];
    int not_secretary;          /* lectures by someone else (非书记): not counted */
} unitstat_t;

typedef struct {
    central_store_t *store;
    sl_report_t *rep;
    char *err;
    size_t errlen;
    const char *field;
    int code;
    unit_t *units;
    size_t nunits;
    community_t *comms;
    size_t ncomms;
    zhashx_t *members, *teams, *brands, *targets, *unit_index;   /* code -> named_t / int64 */
    site_t *sites;
    size_t nsites;
    int64_t duty_items;
    int64_t accept_days, close_days, points_5, card_max, area_per_100;
    sl_item_t *it, *past, *full;
    const uint8_t *pay;         /* the payload that counts of c->it (NULL: not read) */
    size_t pay_len;
    bool has_view;
    sl_view_t view;             /* of pay, once asked for (s_view) */
    int64_t site_no;            /* of c->it */
    /* one pass over a type */
    int (*fn)(void *c, const central_report_row_t *row);
    void *pass;                 /* the pass's own state */
    const sl_rtype_t *rt;       /* the type of the pass */
    int nstatus, good;          /* its lifecycle: how many statuses, the good one's index */
    int st_rep, st_rej, st_clo, st_reo;     /* reported, rejected, closed, reopened (or -1) */
    bool with_voided;
} rctx_t;

/* A record type as a refusal names it (a dual piece; the buffer lives as
 * long as the statement). */
#define S_TYPE(rt) s_type_named(rt, (char[200]) { 0 }, 200)
static const char *s_type_named(const sl_rtype_t *rt, char *buf, size_t cap)
{
    sl_dpair(buf, cap, rt->label, rt->name);
    return buf;
}

static int s_fail(rctx_t *c, int code, const char *field, const char *zh, const char *en, ...)
    __attribute__((format(printf, 4, 6), format(printf, 5, 6)));
static int s_fail(rctx_t *c, int code, const char *field, const char *zh, const char *en, ...)
{
    if (c->code)
        return -1;
    va_list ap;
    va_start(ap, en);
    sl_vtf(c->err, c->errlen, zh, en, ap);     /* dual: the server writes for a reader elsewhere */
    va_end(ap);
    c->code = code;
    c->field = field;
    return -1;
}

static void s_named_free(void **item)
{
    named_t *n = *item;
    if (n) {
        free(n->name);
        free(n->unit);
        free(n->brand);
        free(n);
        *item = NULL;
    }
}

static void s_ctx_free(rctx_t *c)
{
    for (size_t i = 0; i < c->nunits; i++) {
        free(c->units[i].code);
        free(c->units[i].name);
        for (size_t j = 0; j < c->units[i].nsecs; j++)
            free((char *) c->units[i].secs[j].member);
        free(c->units[i].secs);
    }
    free(c->units);
    for (size_t i = 0; i < c->ncomms; i++) {
        free(c->comms[i].code);
        free(c->comms[i].name);
    }
    free(c->comms);
    for (size_t i = 0; i < c->nsites; i++) {
        free(c->sites[i].site_id);
        free(c->sites[i].community);
    }
    free(c->sites);
    zhashx_destroy(&c->members);
    zhashx_destroy(&c->teams);
    zhashx_destroy(&c->brands);
    zhashx_destroy(&c->targets);
    zhashx_destroy(&c->unit_index);
    sl_item_destroy(&c->it);
    sl_item_destroy(&c->past);
    sl_item_destroy(&c->full);
}

static bool s_is(const char *a, const char *b) { return strcmp(a, b) == 0; }


/* ---- reference data ------------------------------------------------------ */

static int64_t s_int_field(const char *value, size_t len, const char *field, bool *has)
{
    char buf[32];
    if (has)
        *has = false;
    if (sl_refvalue_field(value, len, field, buf, sizeof buf) != 1)
        return 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end)
        return 0;
    if (has)
        *has = true;
    return v;
}

static char *s_text_field(const char *value, size_t len, const char *field)
{
    char buf[SL_MAX_TEXT_BYTES + 1];
    if (sl_refvalue_field(value, len, field, buf, sizeof buf) != 1)
        buf[0] = 0;
    return strdup(buf);
}

static int s_load_unit(void *ctx, const char *target, const char *kind, const char *key,
                       const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) kind; (void) lseq;
    rctx_t *c = ctx;
    unit_t *grown = realloc(c->units, (c->nunits + 1) * sizeof *grown);
    if (!grown)
        return -1;
    c->units = grown;
    unit_t *u = &c->units[c->nunits];
    memset(u, 0, sizeof *u);
    u->code = strdup(key);
    u->name = s_text_field(value, len, "name");
    if (!u->code || !u->name) {
        free(u->code);
        free(u->name);
        return -1;
    }
    c->nunits++;
    zhashx_insert(c->unit_index, key, (void *) (intptr_t) c->nunits);
    return 0;
}

static unit_t *s_unit(rctx_t *c, const char *code)
{
    intptr_t i = (intptr_t) zhashx_lookup(c->unit_index, code);
    return i ? &c->units[i - 1] : NULL;
}

/* Every published version of every unit: who was secretary since when. */
static int s_load_secretary(void *ctx, const char *target, const char *kind, const char *key,
                            const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) kind; (void) lseq;
    rctx_t *c = ctx;
    unit_t *u = s_unit(c, key);
    if (!u || !value)
        return 0;
    char who[SL_FOLD_KEY_CAP], since[16];
    if (sl_refvalue_field(value, len, "secretary", who, sizeof who) != 1)
        return 0;
    int32_t day = 0;
    if (sl_refvalue_field(value, len, "secretary_since", since, sizeof since) == 1)
        day = (int32_t) sl_schema_date(since, strlen(since));
    sl_secretary_t *grown = realloc(u->secs, (u->nsecs + 1) * sizeof *grown);
    if (!grown)
        return -1;
    u->secs = grown;
    u->secs[u->nsecs].since = day > 0 ? day : 0;
    u->secs[u->nsecs].member = strdup(who);
    if (!u->secs[u->nsecs].member)
        return -1;
    u->nsecs++;
    return 0;
}

static int s_load_named(void *ctx, const char *target, const char *kind, const char *key,
                        const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) lseq;
    zhashx_t *h = ctx;
    named_t *n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    n->name = s_text_field(value, len, "name");
    n->unit = s_text_field(value, len, "unit");
    n->brand = s_text_field(value, len, strcmp(kind, "team") == 0 ? "brand" : "-");
    zhashx_update(h, key, n);
    return n->name && n->unit && n->brand ? 0 : -1;
}

static int s_load_comm(void *ctx, const char *target, const char *kind, const char *key,
                       const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) kind; (void) lseq;
    rctx_t *c = ctx;
    community_t *grown = realloc(c->comms, (c->ncomms + 1) * sizeof *grown);
    if (!grown)
        return -1;
    c->comms = grown;
    community_t *m = &c->comms[c->ncomms];
    memset(m, 0, sizeof *m);
    m->code = strdup(key);
    m->name = s_text_field(value, len, "name");
    m->households = s_int_field(value, len, "households", NULL);
    m->area = s_int_field(value, len, "center_area_m2", NULL);
    m->workers = s_int_field(value, len, "workers", NULL);
    m->cadres = s_int_field(value, len, "ladder_cadres", NULL);
    m->hired = s_int_field(value, len, "ladder_hired", NULL);
    m->wage_min = s_int_field(value, len, "flat_wage_min", &m->has_wage_min);
    m->wage_max = s_int_field(value, len, "flat_wage_max", &m->has_wage_max);
    m->cap = s_int_field(value, len, "member_cap", NULL);
    c->ncomms++;
    return m->code && m->name ? 0 : -1;
}

static int s_load_target(void *ctx, const char *target, const char *kind, const char *key,
                         const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) kind; (void) lseq;
    bool has;
    int64_t v = s_int_field(value, len, "required", &has);
    if (has)
        zhashx_update(ctx, key, (void *) (intptr_t) (v + 1));
    return 0;
}

static int s_load_setting(void *ctx, const char *target, const char *kind, const char *key,
                          const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) kind; (void) lseq;
    rctx_t *c = ctx;
    bool has;
    int64_t v = s_int_field(value, len, "value", &has);
    if (!has)
        return 0;
    if (strcmp(key, "accept_days") == 0) c->accept_days = v;
    else if (strcmp(key, "close_days") == 0) c->close_days = v;
    else if (strcmp(key, "points_per_5_star") == 0) c->points_5 = v;
    else if (strcmp(key, "yellow_card_max_stars") == 0) c->card_max = v;
    else if (strcmp(key, "area_per_100_households") == 0) c->area_per_100 = v;
    return 0;
}

static int s_count_entry(void *ctx, const char *target, const char *kind, const char *key,
                         const char *value, size_t len, uint64_t lseq)
{
    (void) target; (void) kind; (void) key; (void) value; (void) len; (void) lseq;
    (*(int64_t *) ctx)++;
    return 0;
}

static int s_load_site(void *ctx, int64_t site_no, const char *site_id, const char *community)
{
    rctx_t *c = ctx;
    site_t *grown = realloc(c->sites, (c->nsites + 1) * sizeof *grown);
    if (!grown)
        return -1;
    c->sites = grown;
    c->sites[c->nsites] = (site_t) { site_no, strdup(site_id), strdup(community) };
    c->nsites++;
    return c->sites[c->nsites - 1].site_id && c->sites[c->nsites - 1].community ? 0 : -1;
}

static int s_load(rctx_t *c)
{
    c->members = zhashx_new();
    c->teams = zhashx_new();
    c->brands = zhashx_new();
    c->targets = zhashx_new();
    c->unit_index = zhashx_new();
    c->it = sl_item_new();
    c->past = sl_item_new();
    c->full = sl_item_new();
    if (!c->members || !c->teams || !c->brands || !c->targets || !c->unit_index || !c->it
        || !c->past || !c->full)
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    zhashx_set_destructor(c->members, s_named_free);
    zhashx_set_destructor(c->teams, s_named_free);
    zhashx_set_destructor(c->brands, s_named_free);
    c->accept_days = sl_setting_default("accept_days");
    c->close_days = sl_setting_default("close_days");
    c->points_5 = sl_setting_default("points_per_5_star");
    c->card_max = sl_setting_default("yellow_card_max_stars");
    c->area_per_100 = sl_setting_default("area_per_100_households");
    central_store_t *s = c->store;
    if (central_store_ref_each(s, "unit", NULL, s_load_unit, c)
        || central_store_ref_history(s, "unit", 0, s_load_secretary, c)
        || central_store_ref_each(s, "member", NULL, s_load_named, c->members)
        || central_store_ref_each(s, "team", NULL, s_load_named, c->teams)
        || central_store_ref_each(s, "brand", NULL, s_load_named, c->brands)
        || central_store_ref_each(s, "community", NULL, s_load_comm, c)
        || central_store_ref_each(s, "target", NULL, s_load_target, c->targets)
        || central_store_ref_each(s, "setting", NULL, s_load_setting, c)
        || central_store_ref_each(s, "duty_item", NULL, s_count_entry, &c->duty_items)
        || central_store_sites_each(s, s_load_site, c))
        return s_fail(c, SL_E_INTERNAL, NULL, "不能读取参考数据或站点（见服务器日志）",
                      "cannot read the reference data or the sites (see the server log)");
    return 0;
}

static const char *s_member_unit(rctx_t *c, const char *member)
{
    named_t *m = *member ? zhashx_lookup(c->members, member) : NULL;
    return m ? m->unit : "";
}

static const char *s_member_name(rctx_t *c, const char *member)
{
    named_t *m = *member ? zhashx_lookup(c->members, member) : NULL;
    return m && *m->name ? m->name : member;
}

static const char *s_unit_name(rctx_t *c, const char *code)
{
    unit_t *u = *code ? s_unit(c, code) : NULL;
    return u && *u->name ? u->name : code;
}

/* The responsible unit: the item's, or its member's. */
static const char *s_resp_unit(rctx_t *c, const sl_item_t *it)
{
    return it->unit[0] ? it->unit : s_member_unit(c, it->member);
}

static const site_t *s_site(rctx_t *c, int64_t site_no)
{
    for (size_t i = 0; i < c->nsites; i++)
        if (c->sites[i].site_no == site_no)
            return &c->sites[i];
    return NULL;
}

static const community_t *s_comm(rctx_t *c, const char *code)
{
    for (size_t i = 0; i < c->ncomms; i++)
        if (strcmp(c->comms[i].code, code) == 0)
            return &c->comms[i];
    return NULL;
}

/* The community (its name, or code) of a site: "未知社区" when not known. */
static const char *s_site_comm_name(rctx_t *c, int64_t site_no)
{
    const site_t *s = s_site(c, site_no);
    if (!s || !*s->community)
        return SL_D("未知社区", "unknown");
    const community_t *m = s_comm(c, s->community);
    return m && *m->name ? m->name : s->community;
}

static int64_t s_required(rctx_t *c, int year, int task)
{
    char key[64];
    snprintf(key, sizeof key, "%d:%s", year, sl_tally_task_type(task));
    intptr_t v = (intptr_t) zhashx_lookup(c->targets, key);
    return v ? (int64_t) v - 1 : sl_target_default(sl_tally_task_type(task));
}

/* ---- items ------------------------------------------------------------------ */

/* The type a pass reads, and what its rows need of its lifecycle. */
static void s_pass_type(rctx_t *c, const sl_rtype_t *rt)
{
    char part[32];
    c->rt = rt;
    c->nstatus = 0;
    c->good = -1;
    while (rt->life && sl_schema_part(rt->life->statuses, (size_t) c->nstatus, part, sizeof part))
        c->nstatus++;
    if (rt->life)
        c->good = sl_schema_index(rt->life->statuses, rt->life->good, strlen(rt->life->good));
    c->st_rep = rt->life ? sl_schema_index(rt->life->statuses, ST_REPORTED, strlen(ST_REPORTED)) : -1;
    c->st_rej = rt->life ? sl_schema_index(rt->life->statuses, ST_REJECTED, strlen(ST_REJECTED)) : -1;
    c->st_clo = rt->life ? sl_schema_index(rt->life->statuses, ST_CLOSED, strlen(ST_CLOSED)) : -1;
    c->st_reo = rt->life ? sl_schema_index(rt->life->statuses, ST_REOPENED, strlen(ST_REOPENED)) : -1;
}

static int s_row_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    if (row->voided && !c->with_voided)
        return 0;
    int rc = c->fn(c, row);
    return rc ? rc : c->code ? -1 : 0;
}

/* Calls fn(c, row) for every item of a type (not void unless with_voided), with
 * its record's payload when `payload` (else only the state row is read). */
static int s_each(rctx_t *c, const char *type, int32_t from, int32_t to, bool with_voided,
                  bool payload, int (*fn)(void *c, const central_report_row_t *row))
{
    const sl_rtype_t *rt = sl_schema_find(type, strlen(type));
    if (!rt)
        return s_fail(c, SL_E_INTERNAL, NULL, "未知的类型 %s", "unknown type %s", type);
    c->fn = fn;
    s_pass_type(c, rt);
    c->with_voided = with_voided;
    int rc = central_store_report_items(c->store, rt, NULL, NULL, from, to, payload, s_row_cb, c);
    if (rc && !c->code)
        s_fail(c, SL_E_INTERNAL, NULL, "不能读取%s的状态（见服务器日志）",
               "cannot read the %s items (see the server log)", S_TYPE(rt));
    return rc ? -1 : 0;
}

/* ---- reading an item without decoding all of it ----------------------------
 * A report reads thousands of items per pass: the state bytes
 * (sl_fold_encode) are walked once with a bounds-checked reader that takes
 * only what figures need (steps, the latest rating, whether the payload was
 * corrected and the corrected payload), with no allocation.  A value of the
 * wrong type or out of range is a damaged state: an error, never a guess.
 * The records about an item (kids) are read only when a report needs the
 * item as it stood at an earlier date (s_as_of: the full decode). */

typedef struct {
    const uint8_t *p, *end;
    bool bad;
} mp_t;

static uint64_t s_mp_be(mp_t *m, size_t n)
{
    if ((size_t) (m->end - m->p) < n) {
        m->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | m->p[i];
    m->p += n;
    return v;
}

static uint8_t s_mp_byte(mp_t *m)
{
    return (uint8_t) s_mp_be(m, 1);
}

static uint32_t s_mp_container(mp_t *m, bool map)
{
    uint8_t b = s_mp_byte(m);
    if (map ? (b & 0xf0) == 0x80 : (b & 0xf0) == 0x90)
        return b & 0x0f;
    if (b == (map ? 0xde : 0xdc))
        return (uint32_t) s_mp_be(m, 2);
    if (b == (map ? 0xdf : 0xdd))
        return (uint32_t) s_mp_be(m, 4);
    m->bad = true;
    return 0;
}

static int64_t s_mp_int(mp_t *m, int64_t lo, int64_t hi)
{
    uint8_t b = s_mp_byte(m);
    int64_t v;
    if (b <= 0x7f)
        v = b;
    else if (b >= 0xe0)
        v = (int8_t) b;
    else if (b >= 0xcc && b <= 0xcf) {
        uint64_t u = s_mp_be(m, (size_t) 1 << (b - 0xcc));
        if (u > INT64_MAX)
            m->bad = true;
        v = (int64_t) u;
    } else if (b >= 0xd0 && b <= 0xd3) {
        size_t n = (size_t) 1 << (b - 0xd0);
        uint64_t u = s_mp_be(m, n);
        v = n == 8 ? (int64_t) u : (int64_t) (u ^ (1ull << (8 * n - 1))) - (int64_t) (1ull << (8 * n - 1));
    } else {
        m->bad = true;
        return lo;
    }
    if (v < lo || v > hi)
        m->bad = true;
    return v;
}

/* A str (or with `bin`, a bin; with `nil`, nil as an empty value). */
static const uint8_t *s_mp_bytes(mp_t *m, bool bin, size_t *len)
{
    uint8_t b = s_mp_byte(m);
    size_t n;
    if (!bin && (b & 0xe0) == 0xa0)
        n = b & 0x1f;
    else if (b == (bin ? 0xc4 : 0xd9))
        n = (size_t) s_mp_be(m, 1);
    else if (b == (bin ? 0xc5 : 0xda))
        n = (size_t) s_mp_be(m, 2);
    else if (b == (bin ? 0xc6 : 0xdb))
        n = (size_t) s_mp_be(m, 4);
    else if (bin && b == 0xc0)
        n = 0, b = 0;
    else {
        m->bad = true;
        return NULL;
    }
    if (m->bad || (size_t) (m->end - m->p) < n) {
        m->bad = true;
        return NULL;
    }
    const uint8_t *at = m->p;
    m->p += n;
    *len = n;
    return b ? at : NULL;
}

static void s_mp_key(mp_t *m, char *out, size_t cap)
{
    size_t n = 0;
    const uint8_t *k = s_mp_bytes(m, false, &n);
    if (!k || n >= cap) {
        m->bad = true;
        out[0] = 0;
        return;
    }
    memcpy(out, k, n);
    out[n] = 0;
}

static void s_mp_text(mp_t *m, char *out, size_t cap)
{
    s_mp_key(m, out, cap);
}

/* Reads the state bytes into it (not its records about it); the payload
 * that counts (the corrected one, or NULL for the record's own) in *pay. */
static int s_peek(const uint8_t *state, size_t len, sl_item_t *it, int nstatus,
                  const uint8_t **pay, size_t *pay_len)
{
    mp_t m = { state, state + len, false };
    uint32_t n = s_mp_container(&m, true);
    *pay = NULL;
    *pay_len = 0;
    for (uint32_t i = 0; i < n && !m.bad; i++) {
        char key[16];
        s_mp_key(&m, key, sizeof key);
        if (m.bad)
            break;
        if (s_is(key, "voided"))
            it->voided = s_mp_int(&m, 0, 1);
        else if (s_is(key, "legacy"))
            it->legacy = s_mp_int(&m, 0, 1);
        else if (s_is(key, "on"))
            it->on = (int32_t) s_mp_int(&m, 0, 99991231);
        else if (s_is(key, "corrected"))
            it->corrected = s_mp_int(&m, 0, 1);
        else if (s_is(key, "v"))
            s_mp_int(&m, 1, 1);
        else if (s_is(key, "seq") || s_is(key, "nsteps") || s_is(key, "nkids"))
            s_mp_int(&m, 0, INT64_MAX);
        else if (s_is(key, "unit"))
            s_mp_text(&m, it->unit, sizeof it->unit);
        else if (s_is(key, "member"))
            s_mp_text(&m, it->member, sizeof it->member);
        else if (s_is(key, "payload"))
            *pay = s_mp_bytes(&m, true, pay_len);
        else if (s_is(key, "rating")) {
            if (s_mp_container(&m, false) != 7) {
                m.bad = true;
                break;
            }
            it->rating_seq = (uint64_t) s_mp_int(&m, 0, INT64_MAX);
            it->stars = (int) s_mp_int(&m, 0, 5);
            it->rating_on = (int32_t) s_mp_int(&m, 0, 99991231);
            s_mp_text(&m, it->rating_unit, sizeof it->rating_unit);
            s_mp_text(&m, it->rating_member, sizeof it->rating_member);
            it->rated_goods = (uint32_t) s_mp_int(&m, 0, UINT32_MAX);
            it->ratings = (uint32_t) s_mp_int(&m, 0, UINT32_MAX);
        } else if (s_is(key, "steps")) {
            uint32_t k = s_mp_container(&m, false);
            if (k > SL_FOLD_MAX_STEPS || (k && !nstatus)) {
                m.bad = true;
                break;
            }
            for (uint32_t j = 0; j < k && !m.bad; j++) {
                if (s_mp_container(&m, false) != 2)
                    m.bad = true;
                it->steps[j].on = (int32_t) s_mp_int(&m, 0, 99991231);
                it->steps[j].status = (int8_t) s_mp_int(&m, 0, nstatus - 1);
            }
            it->nsteps = k;
        } else if (s_is(key, "kids")) {
            uint32_t k = s_mp_container(&m, false);
            if (k > SL_FOLD_MAX_KIDS) {
                m.bad = true;
                break;
            }
            for (uint32_t j = 0; j < k && !m.bad; j++) {
                if (s_mp_container(&m, false) != 4)
                    m.bad = true;
                for (int f = 0; f < 4; f++)
                    s_mp_int(&m, 0, INT64_MAX);
            }
        } else {
            m.bad = true;
        }
    }
    if (m.bad || m.p != m.end || (it->corrected && !*pay))
        return -1;
    if (!it->corrected)
        *pay = NULL;
    return 0;
}

/* Fills c->it from a row (the view of its payload comes when asked for:
 * s_view).  0, or -1 (damaged: c's error). */
static int s_item(rctx_t *c, const central_report_row_t *row)
{
    sl_item_t *it = c->it;
    const sl_rtype_t *rt = c->rt;
    it->rt = rt;
    it->seq = row->seq;
    it->legacy = it->corrected = false;
    it->voided = row->voided;
    it->on = row->on_date;
    sl_text_copy(it->unit, sizeof it->unit, row->unit);
    sl_text_copy(it->member, sizeof it->member, row->member);
    it->rating_seq = 0;
    it->stars = 0;
    it->rating_on = 0;
    it->rating_unit[0] = it->rating_member[0] = 0;
    it->ratings = it->rated_goods = 0;
    it->nsteps = it->nkids = 0;
    c->pay = row->payload;
    c->pay_len = row->payload_len;
    c->has_view = false;
    c->site_no = row->site_no;
    bool ok = true;
    if (row->state) {
        const uint8_t *pay;
        size_t len;
        ok = s_peek(row->state, row->state_len, it, c->nstatus, &pay, &len) == 0;
        if (pay) {
            c->pay = pay;
            c->pay_len = len;
        }
    } else if (rt->life) {
        int st = sl_schema_index(rt->life->statuses, row->status, strlen(row->status));
        ok = st >= 0;
        it->steps[0].on = it->on;
        it->steps[0].status = (int8_t) st;
        it->nsteps = 1;
    }
    if (!ok) {
        const site_t *s = s_site(c, row->site_no);
        return s_fail(c, SL_E_INTERNAL, NULL, "站点 %s 的%s #%llu 的状态已损坏（请运行 shuanglian-server verify）",
                      "site %s: the state of %s #%llu is damaged (run shuanglian-server verify)",
                      s ? s->site_id : "?", S_TYPE(rt), (unsigned long long) row->seq);
    }
    sl_fold_derive(it);
    return 0;
}

/* The view of the current item's payload (decoded on first use). */
static const sl_view_t *s_view(rctx_t *c)
{
    if (c->has_view)
        return &c->view;
    char why[600];
    if (!c->pay || sl_schema_view(c->rt, c->pay, c->pay_len, &c->view, why, sizeof why)) {
        const site_t *s = s_site(c, c->site_no);
        s_fail(c, SL_E_INTERNAL, NULL, "站点 %s 的%s #%llu 已损坏：%s",
               "site %s: %s #%llu is damaged: %s", s ? s->site_id : "?", S_TYPE(c->rt),
               (unsigned long long) c->it->seq, c->pay ? why : SL_D("没有读到内容", "no payload read"));
        memset(&c->view, 0, sizeof c->view);
        c->view.rt = c->rt;
        return &c->view;
    }
    c->it->legacy = c->view.legacy;
    c->has_view = true;
    return &c->view;
}

/* One field of the current payload without decoding it all: a payload is a
 * flat map (sl_schema.h), walked with the bounds-checked reader.  Returns 1
 * with the value (a str as ptr/len, an int in *i), or 0 when the field is not
 * there as a plain value or the map is not as expected: the caller then asks
 * the full view (which gives a 0.2.0 payload its meaning, or says what is
 * damaged). */
static int s_scan(rctx_t *c, const char *field, const char **str, size_t *len, int64_t *i)
{
    if (!c->pay)
        return 0;
    mp_t m = { c->pay, c->pay + c->pay_len, false };
    uint32_t n = s_mp_container(&m, true);
    size_t flen = strlen(field);
    for (uint32_t k = 0; k < n && !m.bad; k++) {
        size_t klen = 0;
        const uint8_t *key = s_mp_bytes(&m, false, &klen);
        if (m.bad || !m.p || m.p >= m.end)
            return 0;
        bool hit = key && klen == flen && memcmp(key, field, flen) == 0;
        uint8_t b = *m.p;
        if ((b & 0xe0) == 0xa0 || b == 0xd9 || b == 0xda || b == 0xdb) {
            const uint8_t *v = s_mp_bytes(&m, false, len);
            if (hit && v && !m.bad) {
                *str = (const char *) v;
                return 1;
            }
        } else if (b == 0xc4 || b == 0xc5 || b == 0xc6) {
            size_t blen;
            s_mp_bytes(&m, true, &blen);
            if (hit)
                return 0;
        } else if (b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3)) {
            int64_t v = s_mp_int(&m, INT64_MIN, INT64_MAX);
            if (hit && !m.bad) {
                *i = v;
                *str = NULL;
                return 1;
            }
        } else {
            return 0;
        }
    }
    return 0;
}

static const char *s_v(rctx_t *c, const char *field, char *buf, size_t cap)
{
    const char *str = NULL;
    size_t len = 0;
    int64_t i = 0;
    if (!c->has_view && s_scan(c, field, &str, &len, &i) == 1) {
        if (!str)
            snprintf(buf, cap, "%lld", (long long) i);
        else {
            if (len >= cap)
                len = cap - 1;
            memcpy(buf, str, len);
            buf[len] = 0;
        }
        return buf;
    }
    return sl_view_text(s_view(c), field, buf, cap);
}

static int64_t s_vint(rctx_t *c, const char *field)
{
    const char *str = NULL;
    size_t len;
    int64_t i = 0;
    if (!c->has_view && s_scan(c, field, &str, &len, &i) == 1 && !str)
        return i;
    const sl_view_t *v = s_view(c);
    int k = sl_schema_field_index(v->rt, field);
    return k >= 0 && v->v[k].present ? v->v[k].i : 0;
}

/* Trimmed copy of a text value (ASCII and ideographic spaces). */
static void s_trim(const char *in, char *out, size_t cap)
{
    while (*in == ' ' || *in == '\t' || strncmp(in, "\xE3\x80\x80", 3) == 0)
        in += *in == ' ' || *in == '\t' ? 1 : 3;
    snprintf(out, cap, "%s", in);
    size_t n = strlen(out);
    for (;;) {
        if (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
            out[--n] = 0;
        else if (n >= 3 && memcmp(out + n - 3, "\xE3\x80\x80", 3) == 0)
            out[n -= 3] = 0;
        else
            break;
    }
}


/* The item as it stood with its first `keep` steps only and the ratings
 * dated up to `date`: rebuilt into c->past from its records.  0 or -1. */
static int s_as_of(rctx_t *c, int64_t site_no, const sl_item_t *now, size_t keep, int32_t date)
{
    const sl_rtype_t *rt;
    uint8_t *p = NULL;
    size_t len;
    sl_fold_err_t ferr;
    char why[600];
    /* the item with its records (kids), then its history again */
    if (central_store_item(c->store, site_no, now->seq, c->full, why, sizeof why) != 1)
        return s_fail(c, SL_E_INTERNAL, NULL, "不能读取站点 #%2$lld 的事项 #%1$llu：%3$s",
                      "cannot read item #%llu of site #%lld: %s",
                      (unsigned long long) now->seq, (long long) site_no, why);
    const sl_item_t *all = c->full;
    int found = central_store_record(c->store, site_no, now->seq, &rt, &p, &len, NULL);
    if (found != 1 || sl_fold_start(c->past, rt, now->seq, p, len, &ferr)) {
        free(p);
        return s_fail(c, SL_E_INTERNAL, NULL, "不能读取站点 #%2$lld 的记录 #%1$llu",
                      "cannot read record #%llu of site #%lld",
                      (unsigned long long) now->seq, (long long) site_no);
    }
    free(p);
    size_t steps = 1;
    for (size_t i = 0; i < all->nkids; i++) {
        const sl_kid_t *k = &all->kids[i];
        if (k->role == SL_ROLE_VOID || k->voided) {
            if (k->role == SL_ROLE_VOID && k->of_item)
                c->past->voided = true;
            continue;
        }
        if (k->role == SL_ROLE_UPDATE && steps >= keep)
            continue;
        if (central_store_record(c->store, site_no, k->seq, &rt, &p, &len, NULL) != 1)
            return s_fail(c, SL_E_INTERNAL, NULL, "不能读取站点 #%2$lld 的记录 #%1$llu",
                          "cannot read record #%llu of site #%lld",
                          (unsigned long long) k->seq, (long long) site_no);
        sl_view_t v;
        bool skip = false;
        if (k->role == SL_ROLE_RATING && sl_schema_view(rt, p, len, &v, why, sizeof why) == 0) {
            int f = sl_schema_field_index(rt, "on");
            skip = f >= 0 && v.v[f].present && v.v[f].i > date;
        }
        if (!skip && sl_fold_apply(c->past, rt, k->seq, p, len, now->seq, NULL, &ferr) == 0
            && k->role == SL_ROLE_UPDATE)
            steps++;
        free(p);
    }
    return 0;
}

/* ---- small helpers -------------------------------------------------------- */

static void s_date_text(int32_t d, char *out)
{
    if (d > 0)
        sl_schema_date_text(d, out);
    else
        out[0] = 0;
}

static void s_i64(char *buf, size_t cap, int64_t v) { snprintf(buf, cap, "%lld", (long long) v); }

static void s_rate(char *buf, size_t cap, int64_t n, int64_t d)
{
    snprintf(buf, cap, "%lld/%lld", (long long) n, (long long) d);
}

static long s_today(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return (long) (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* A set of strings: the number of distinct keys is its size. */
static void s_set_add(zhashx_t *set, const char *key)
{
    if (*key && !zhashx_lookup(set, key))
        zhashx_insert(set, key, (void *) 1);
}

static int s_cmp_long(const void *a, const void *b)
{
    long x = *(const long *) a, y = *(const long *) b;
    return x < y ? -1 : x > y;
}

typedef struct {
    long *v;
    size_t n, cap;
} longs_t;

static void s_push(longs_t *l, long v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        long *g = realloc(l->v, cap * sizeof *g);
        if (!g)
            return;
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

/* The median as text ("1.5"), "" (null) when empty. */
static void s_median(longs_t *l, char *out, size_t cap)
{
    if (!l->n) {
        out[0] = 0;
        return;
    }
    qsort(l->v, l->n, sizeof *l->v, s_cmp_long);
    long a = l->v[(l->n - 1) / 2], b = l->v[l->n / 2];
    if ((a + b) % 2 == 0)
        snprintf(out, cap, "%ld", (a + b) / 2);
    else
        snprintf(out, cap, "%ld.5", (a + b - 1) / 2);
}

/* "4500余": rounded down to two significant digits with 余 when that
 * changes the number, the exact number otherwise (a count below 20 is
 * always exact): the report writes 余 where it counts loosely. */
static void s_yu(int64_t n, char *out, size_t cap)
{
    int64_t unit = 1;
    if (n >= 20) {
        while (n / unit >= 100)
            unit *= 10;
        if (unit == 1 && n >= 20)
            unit = 10;
    }
    int64_t r = n / unit * unit;
    snprintf(out, cap, "%lld%s", (long long) r, r != n ? "余" : "");
}

/* The ratings by stars (a chart's data; not in JSON). */
static void s_stars_table(rctx_t *c, const int64_t stars[6])
{
    sl_rtable_t *st = sl_report_table(c->rep, "stars", SL_D("评价分布", "ratings by stars"), SL_RS_ROWS,
                                      SL_RF_NOJSON);
    sl_rtable_chart(st, "bars");
    sl_rtable_col(st, "stars", SL_D("星级", "stars"), SL_RC_TEXT);
    sl_rtable_col(st, "ratings", SL_D("评价数", "ratings"), SL_RC_INT);
    for (int k = 5; k >= 1; k--) {
        char a[64], b[24], zh[16], en[16];
        snprintf(zh, sizeof zh, "%d星", k);
        snprintf(en, sizeof en, k == 1 ? "%d star" : "%d stars", k);
        sl_epair(a, sizeof a, zh, en);          /* "5星", or "5 stars" in English */
        s_i64(b, sizeof b, stars[k]);
        const char *cells[2] = { a, b };
        sl_rtable_row(st, cells);
    }
}

/* The keys of a hash, sorted (NULL without memory; destroy it). */
static zlistx_t *s_sorted_keys(zhashx_t *h)
{
    zlistx_t *keys = h ? zhashx_keys(h) : NULL;
    if (keys) {
        zlistx_set_comparator(keys, (zlistx_comparator_fn *) strcmp);
        zlistx_sort(keys);
    }
    return keys;
}

/* ---- 五个一 ------------------------------------------------------------------ */

typedef struct {
    int32_t from, to;
    zhashx_t *stats;            /* unit -> unitstat_t */
    long *trend;                /* [12]: done service matters by month (dispatch), or NULL */
} five_pass_t;

static unitstat_t *s_stat(zhashx_t *stats, const char *unit)
{
    unitstat_t *u = zhashx_lookup(stats, unit);
    if (!u) {
        u = calloc(1, sizeof *u);
        if (u)
            zhashx_insert(stats, unit, u);
    }
    return u;
}

static void s_free_ptr(void **p)
{
    free(*p);
    *p = NULL;
}

static int s_five_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    five_pass_t *f = c->pass;
    if (s_item(c, row))
        return -1;
    int task = sl_tally_task_of(c->rt);
    int32_t since;
    if (!sl_tally_counts(c->it, f->from, f->to, &since))
        return 0;
    const char *unit = s_resp_unit(c, c->it);
    if (!*unit)
        return 0;
    unitstat_t *st = s_stat(f->stats, unit);
    if (!st)
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    if (task == SL_TASK_LECTURE) {
        /* The secretary in force on the lecture's date (RECORDS.md): the
         * server's history of the unit's secretaries decides. */
        char speaker[SL_FOLD_KEY_CAP];
        s_v(c, "speaker", speaker, sizeof speaker);
        unit_t *u = s_unit(c, unit);
        const char *sec = u ? sl_tally_secretary_at(u->secs, u->nsecs, since) : NULL;
        if (!sec || strcmp(sec, speaker) != 0) {
            st->not_secretary++;
            return 0;
        }
    }
    st->done[task]++;
    if (f->trend && task == SL_TASK_MATTER)
        f->trend[since / 100 % 100 - 1]++;
    return 0;
}

/* Counts the five tasks of every unit in [from, to] (as of to). */
static zhashx_t *s_five(rctx_t *c, int32_t from, int32_t to, long *trend)
{
    five_pass_t f = { from, to, zhashx_new(), trend };
    if (!f.stats) {
        s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        return NULL;
    }
    zhashx_set_destructor(f.stats, s_free_ptr);
    c->pass = &f;
    for (int t = 0; t < SL_TASKS; t++)
        if (s_each(c, sl_tally_task_type(t), 0, to, false, t == SL_TASK_LECTURE, s_five_cb)) {
            zhashx_destroy(&f.stats);
            break;
        }
    c->pass = NULL;
    return f.stats;
}

/* The unit × task table (五个一 matrix): one row per unit in the reference
 * data, and the total; *complete and met/required for the figures. */
static sl_rtable_t *s_five_table(rctx_t *c, zhashx_t *stats, int year, const char *key,
                                 const char *title, unsigned flags, int64_t *complete,
                                 int64_t *met_sum, int64_t *req_sum)
{
    sl_rtable_t *t = sl_report_table(c->rep, key, title, SL_RS_ROWS, flags);
    sl_rtable_chart(t, "matrix");
    sl_rtable_col(t, "unit", SL_D("单位代码", "unit"), SL_RC_TEXT);
    sl_rtable_col(t, "unit_name", SL_D("单位", "unit name"), SL_RC_TEXT);
    char keys[SL_TASKS][2][64], labels[SL_TASKS][2][128];
    for (int k = 0; k < SL_TASKS; k++) {
        snprintf(keys[k][0], 64, "%s_done", sl_tally_task_type(k));
        snprintf(keys[k][1], 64, "%s_required", sl_tally_task_type(k));
        char task[64];      /* "民生实事", or "service_matter" in English */
        sl_epair(task, sizeof task, sl_tally_task_label(k), sl_tally_task_type(k));
        snprintf(labels[k][0], 128, "%s %s", task, SL_D("完成", "done"));
        snprintf(labels[k][1], 128, "%s %s", task, SL_D("要求", "required"));
        sl_rtable_col(t, keys[k][0], labels[k][0], SL_RC_INT);
        sl_rtable_col(t, keys[k][1], labels[k][1], SL_RC_INT);
    }
    sl_rtable_col(t, "lectures_not_secretary", SL_D("非书记党课(不计)", "lectures not by the secretary"),
                  SL_RC_INT);
    sl_rtable_col(t, "complete", SL_D("全部完成", "complete"), SL_RC_BOOL);
    sl_rtable_col(t, "completion_rate", SL_D("完成率", "completion rate"), SL_RC_RATE);
    char buf[2 * SL_TASKS + 6][64];
    const char *cells[2 * SL_TASKS + 6];
    int64_t tot_done[SL_TASKS] = { 0 }, tot_req[SL_TASKS] = { 0 }, tot_ns = 0;
    *complete = *met_sum = *req_sum = 0;
    for (size_t i = 0; i < c->nunits; i++) {
        unitstat_t zero = { { 0 }, 0 }, *st = zhashx_lookup(stats, c->units[i].code);
        if (!st)
            st = &zero;
        sl_five_t five;
        for (int k = 0; k < SL_TASKS; k++) {
            five.done[k] = st->done[k];
            five.required[k] = (int) s_required(c, year, k);
        }
        long met = 0, req = 0;
        sl_tally_five_sum(&five, &met, &req);
        bool done = sl_tally_five_complete(&five);
        *complete += done;
        *met_sum += met;
        *req_sum += req;
        size_t n = 0;
        cells[n++] = c->units[i].code;
        cells[n++] = c->units[i].name;
        for (int k = 0; k < SL_TASKS; k++) {
            s_i64(buf[n], 64, five.done[k]);
            cells[n] = buf[n];
            n++;
            s_i64(buf[n], 64, five.required[k]);
            cells[n] = buf[n];
            n++;
            tot_done[k] += five.done[k];
            tot_req[k] += five.required[k];
        }
        s_i64(buf[n], 64, st->not_secretary);
        cells[n] = buf[n];
        n++;
        tot_ns += st->not_secretary;
        cells[n++] = done ? "1" : "0";
        s_rate(buf[n], 64, met, req);
        cells[n] = buf[n];
        n++;
        sl_rtable_row(t, cells);
    }
    size_t n = 0;
    cells[n++] = "";
    cells[n++] = SL_D("合计", "total");
    for (int k = 0; k < SL_TASKS; k++) {
        s_i64(buf[n], 64, tot_done[k]);
        cells[n] = buf[n];
        n++;
        s_i64(buf[n], 64, tot_req[k]);
        cells[n] = buf[n];
        n++;
    }
    s_i64(buf[n], 64, tot_ns);
    cells[n] = buf[n];
    n++;
    cells[n++] = "";
    s_rate(buf[n], 64, *met_sum, *req_sum);
    cells[n] = buf[n];
    sl_rtable_row(t, cells);
    sl_rtable_total(t, "total");
    return t;
}

/* ---- facilities (阵地与队伍) -------------------------------------------- */

typedef struct {
    int64_t area, std_x100, gap, meeting, workers, cadres, hired, wmin, wmax;
    bool has_wmin, has_wmax;
} fac_t;

/* Half up: x100 / 100 rounded. */
static int64_t s_round100(int64_t x100) { return (x100 + 50) / 100; }

static void s_fac(rctx_t *c, fac_t *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < c->ncomms; i++) {
        const community_t *m = &c->comms[i];
        int64_t std_x100 = m->households * c->area_per_100;
        int64_t gap_x100 = std_x100 - 100 * m->area;
        f->area += m->area;
        f->std_x100 += std_x100;
        f->gap += gap_x100 > 0 ? s_round100(gap_x100) : 0;
        f->meeting += gap_x100 <= 0;
        f->workers += m->workers;
        f->cadres += m->cadres;
        f->hired += m->hired;
        if (m->has_wage_min && (!f->has_wmin || m->wage_min < f->wmin)) {
            f->wmin = m->wage_min;
            f->has_wmin = true;
        }
        if (m->has_wage_max && (!f->has_wmax || m->wage_max > f->wmax)) {
            f->wmax = m->wage_max;
            f->has_wmax = true;
        }
    }
}

static int s_gap_cmp(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;   /* [gap, index] */
    return x[0] != y[0] ? (x[0] < y[0] ? 1 : -1) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* ---- the monthly dispatch (每月调度) ----------------------------------------- */

typedef struct {
    int32_t from, to, half_from;
    int year, month;
    int64_t probe_reports, probe_vol, loop_solved, home_visits, talents, trainings, trainees,
            services, solved;
    zhashx_t *probe_names, *loop_members, *departments, *reminders;
    long matters[12], reported[12], closed[12], visits[12];
} disp_t;

typedef struct {
    int status;                 /* at `to`; -1 before the item existed */
    int32_t accepted_on;        /* its first step beyond reported */
    int32_t last_close;         /* when it last became closed, up to `to` */
    size_t last_close_step;
    bool reopened;
    size_t steps_to;            /* its steps dated up to `to` */
} pr_t;

static void s_pr_facts(const rctx_t *c, const sl_item_t *it, int32_t to, pr_t *f)
{
    int rep = c->st_rep, rej = c->st_rej, clo = c->st_clo, reo = c->st_reo;
    memset(f, 0, sizeof *f);
    f->status = -1;
    for (size_t i = 0; i < it->nsteps && it->steps[i].on <= to; i++) {
        const sl_step_t *s = &it->steps[i];
        f->steps_to = i + 1;
        f->status = s->status;
        if (!f->accepted_on && s->status != rep && s->status != rej)
            f->accepted_on = s->on;
        if (s->status == clo && (i == 0 || it->steps[i - 1].status != clo)) {
            f->last_close = s->on;
            f->last_close_step = i;
        }
        if (s->status == reo)
            f->reopened = true;
    }
}


static int s_disp_pr(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    disp_t *d = c->pass;
    if (s_item(c, row))
        return -1;
    sl_item_t *it = c->it;
    char kind[32], who[NAME_CAP], raw[NAME_CAP];
    s_v(c, "reporter_kind", kind, sizeof kind);
    if (it->on >= d->from && it->on <= d->to) {
        d->reported[it->on / 100 % 100 - 1]++;
        if (s_is(kind, "courier") || s_is(kind, "delivery_rider")) {
            d->probe_reports++;
            s_trim(s_v(c, "reporter", raw, sizeof raw), who, sizeof who);
            s_set_add(d->probe_names, who);
        }
    }
    int32_t since;
    if (sl_tally_counts(it, d->from, d->to, &since)) {
        d->loop_solved++;
        d->closed[since / 100 % 100 - 1]++;
    }
    pr_t f;
    s_pr_facts(c, it, d->to, &f);
    if (f.last_close >= d->from && f.last_close <= d->to) {
        /* the member responsible when it was last closed */
        const char *member = it->member;
        if (f.last_close_step + 1 < it->nsteps) {
            if (s_as_of(c, row->site_no, it, f.last_close_step + 1, f.last_close))
                return -1;
            member = c->past->member;
        }
        s_set_add(d->loop_members, member);
    }
    return 0;
}

static void s_remind(rctx_t *c, disp_t *d, const char *unit, const char *reason)
{
    char *had = zhashx_lookup(d->reminders, unit);
    size_t n = (had ? strlen(had) + 1 : 0) + strlen(reason) + 1;
    char *now = malloc(n);
    if (!now) {
        s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        return;
    }
    snprintf(now, n, "%s%s%s", had ? had : "", had ? "\n" : "", reason);
    zhashx_update(d->reminders, unit, now);
}

static int s_disp_fact(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    disp_t *d = c->pass;
    if (s_item(c, row))
        return -1;
    const char *type = c->rt->name;
    int32_t on = c->it->on;
    char buf[NAME_CAP], trimmed[NAME_CAP];
    if (s_is(type, "talent")) {
        d->talents += on <= d->to;
        return 0;
    }
    if (on < d->from || on > d->to)
        return 0;
    if (s_is(type, "home_visit")) {
        d->home_visits++;
        d->visits[on / 100 % 100 - 1]++;
    } else if (s_is(type, "volunteer_activity")) {
        d->probe_vol += s_vint(c, "new_employment");
    } else if (s_is(type, "training")) {
        if (s_is(s_v(c, "kind", buf, sizeof buf), "talent")) {
            d->trainings++;
            d->trainees += s_vint(c, "attendees");
        }
    } else if (s_is(type, "talent_service")) {
        d->services++;
        d->solved += s_is(s_v(c, "solved", buf, sizeof buf), "yes");
    } else if (s_is(type, "certificate_demand")) {
        s_trim(s_v(c, "department", buf, sizeof buf), trimmed, sizeof trimmed);
        s_set_add(d->departments, trimmed);
    } else if (s_is(type, "inspection")) {
        if (on >= d->half_from && s_is(s_v(c, "tasks_met", buf, sizeof buf), "no")) {
            char date[11], who[NAME_CAP], finding[NAME_CAP], reason[3 * NAME_CAP];
            s_date_text(on, date);
            s_v(c, "inspector", who, sizeof who);
            s_v(c, "finding", finding, sizeof finding);
            snprintf(reason, sizeof reason, SL_D("督查未完成任务", "inspection found tasks not met")
                     ": %s %s%s%s",
                     date, who, *finding ? SL_E("：", ": ") : "", finding);
            s_remind(c, d, c->it->unit, reason);
        }
    }
    return c->code ? -1 : 0;
}

/* Fills a paragraph into the sentences table. */
static void s_para(sl_rtable_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_para(sl_rtable_t *t, const char *fmt, ...)
{
    char buf[4000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *cells[1] = { buf };
    sl_rtable_row(t, cells);
}

static int s_dispatch(rctx_t *c, int year, int month)
{
    disp_t d = { .year = year, .month = month, .from = year * 10000 + 101,
                 .to = (int32_t) sl_report_month_end(year, month),
                 .half_from = year * 10000 + (month <= 6 ? 101 : 701) };
    d.probe_names = zhashx_new();
    d.loop_members = zhashx_new();
    d.departments = zhashx_new();
    d.reminders = zhashx_new();
    int rc = d.probe_names && d.loop_members && d.departments && d.reminders ? 0
             : s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    if (d.reminders)
        zhashx_set_destructor(d.reminders, s_free_ptr);
    zhashx_t *stats = rc ? NULL : s_five(c, d.from, d.to, d.matters);
    c->pass = &d;
    static const char *const facts[] = { "home_visit", "volunteer_activity", "talent", "training",
                                         "talent_service", "certificate_demand", "inspection" };
    if (!stats || s_each(c, "problem_report", 0, d.to, false, true, s_disp_pr))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < sizeof facts / sizeof facts[0]; i++)
        rc = s_each(c, facts[i], 0, d.to, false, i != 0 && i != 2, s_disp_fact);
    if (rc) {
        zhashx_destroy(&stats);
        goto done;
    }
    /* June and December: units behind on a task (half of it by June, all by December). */
    if (month == 6 || month == 12) {
        for (size_t i = 0; i < c->nunits; i++) {
            unitstat_t zero = { { 0 }, 0 }, *st = zhashx_lookup(stats, c->units[i].code);
            if (!st)
                st = &zero;
            for (int k = 0; k < SL_TASKS; k++) {
                int64_t req = s_required(c, year, k);
                bool behind = month == 6 ? 2 * (int64_t) st->done[k] < req : st->done[k] < req;
                if (!behind)
                    continue;
                char reason[300], zh[160], en[120];
                snprintf(zh, sizeof zh, "%s %d/%lld，未达%s要求", sl_tally_task_label(k),
                         st->done[k], (long long) req, month == 6 ? "半年过半" : "全年");
                snprintf(en, sizeof en, "behind on %s by %s", sl_tally_task_type(k),
                         month == 6 ? "mid-year (half)" : "year end");
                sl_dpair(reason, sizeof reason, zh, en);
                s_remind(c, &d, c->units[i].code, reason);
            }
        }
    }
    int64_t units_with[SL_TASKS] = { 0 }, matters_done = 0;
    for (unitstat_t *st = zhashx_first(stats); st; st = zhashx_next(stats)) {
        for (int k = 0; k < SL_TASKS; k++)
            units_with[k] += st->done[k] > 0;
        matters_done += st->done[SL_TASK_MATTER];
    }
    fac_t fac;
    s_fac(c, &fac);
    char asof[11], frombuf[11];
    s_date_text(d.to, asof);
    s_date_text(d.from, frombuf);

    sl_rtable_t *basis = sl_report_table(c->rep, "basis", SL_D("口径", "basis"), SL_RS_OBJECT,
                                         SL_RF_NOJSON);
    sl_report_figures_init(basis);
    char month_text[16];
    snprintf(month_text, sizeof month_text, "%04d-%02d", year, month);
    sl_report_fig_text(basis, "month", SL_D("月份", "month"), SL_RC_TEXT, month_text);
    sl_report_fig_text(basis, "from", SL_D("起", "from"), SL_RC_DATE, frombuf);
    sl_report_fig_text(basis, "as_of", SL_D("截至", "as of"), SL_RC_DATE, asof);

    /* The paragraphs come first in every form but JSON's key order. */
    sl_rtable_t *sent = sl_report_table(c->rep, "sentences", SL_D("报告段落（可直接粘贴）", "paragraphs"),
                                        SL_RS_VALUES, SL_RF_PROSE);
    sl_rtable_col(sent, "sentence", SL_D("段落", "paragraph"), SL_RC_TEXT);

    sl_rtable_t *t = sl_report_table(c->rep, "", SL_D("调度数据", "figures"), SL_RS_OBJECT, 0);
    sl_report_figures_init(t);
    int64_t complete, met, req;
    sl_report_fig_int(t, "units_total", SL_D("单位总数", "units in total"), (int64_t) c->nunits);
    sl_report_fig_int(t, "units_with_matters", SL_D("完成民生实事的单位", "units with a service matter done"), units_with[SL_TASK_MATTER]);
    sl_report_fig_int(t, "matters_done", SL_D("完成民生实事(件)", "service matters done"), matters_done);
    sl_report_fig_int(t, "units_secretary_lecture", SL_D("书记讲党课的单位", "units whose secretary gave a lecture"), units_with[SL_TASK_LECTURE]);
    sl_report_fig_int(t, "units_micro_wish", SL_D("完成微心愿的单位", "units with a micro wish fulfilled"), units_with[SL_TASK_WISH]);
    sl_report_fig_int(t, "units_party_day", SL_D("开展主题党日的单位", "units with a party day"), units_with[SL_TASK_PARTY_DAY]);
    sl_report_fig_int(t, "units_enterprise_problem", SL_D("解决企业难题的单位", "units with an enterprise problem solved"),
                      units_with[SL_TASK_ENTERPRISE]);
    /* complete and the rate need the matrix: it is built below, NOJSON */
    size_t complete_row = t->nrows;
    sl_report_fig_int(t, "units_five_complete", SL_D("五个一全部完成的单位", "units that met all five targets"), 0);
    sl_report_fig_rate(t, "five_completion_rate", SL_D("五个一完成率", "five tasks completion rate"), 0, 0);
    int64_t probe_people = (int64_t) zhashx_size(d.probe_names);
    sl_report_fig_int(t, "probe_reporters", SL_D("上报问题的外卖员快递员(人)", "couriers and riders who reported problems"), probe_people);
    sl_report_fig_int(t, "probe_reports", SL_D("外卖员快递员上报问题(件)", "problems reported by couriers and riders"), d.probe_reports);
    sl_report_fig_int(t, "probe_volunteer_times", SL_D("新就业群体参与志愿活动(人次)", "new employment volunteering (person-times)"), d.probe_vol);
    int64_t loop_members = (int64_t) zhashx_size(d.loop_members);
    sl_report_fig_int(t, "loop_members", SL_D("闭环办理的党员(人)", "members who closed problem reports"), loop_members);
    sl_report_fig_int(t, "loop_solved", SL_D("解决问题和困难(个)", "problems solved"), d.loop_solved);
    sl_report_fig_int(t, "home_visits", SL_D("上门服务(次)", "home visits"), d.home_visits);
    sl_report_fig_int(t, "talents", SL_D("实用型人才(名)", "practical talents"), d.talents);
    sl_report_fig_int(t, "trainings", SL_D("人才培训班(期)", "talent trainings"), d.trainings);
    sl_report_fig_int(t, "trainees", SL_D("培训(人次)", "trainees (person-times)"), d.trainees);
    sl_report_fig_int(t, "talent_services", SL_D("技术服务(次)", "talent services"), d.services);
    sl_report_fig_int(t, "talent_solved", SL_D("解决群众问题(个)", "residents' problems solved"), d.solved);
    int64_t standard = s_round100(fac.std_x100);
    sl_report_fig_int(t, "center_area_m2", SL_D("党群服务中心现有面积(平方米)", "service centres' area (m²)"), fac.area);
    sl_report_fig_int(t, "center_standard_m2", SL_D("达标面积(平方米)", "standard area (m²)"), standard);
    sl_report_fig_int(t, "center_gap_m2", SL_D("相差(平方米)", "gap to the standard (m²)"), fac.gap);
    sl_report_fig_int(t, "communities_meeting_standard", SL_D("基本达标的社区", "communities meeting the standard"), fac.meeting);
    sl_report_fig_int(t, "workers", SL_D("社区工作者(名)", "community workers"), fac.workers);
    sl_report_fig_int(t, "workers_ladder", SL_D("三岗十八级(名)", "workers on the 3-post 18-grade ladder"), fac.cadres + fac.hired);
    sl_report_fig_int(t, "workers_flat", SL_D("其余(名)", "other workers"), fac.workers - fac.cadres - fac.hired);
    if (fac.has_wmin)
        sl_report_fig_int(t, "flat_wage_min", SL_D("月薪下限(元)", "monthly wage, lowest (yuan)"), fac.wmin);
    else
        sl_report_fig_null(t, "flat_wage_min", SL_D("月薪下限(元)", "monthly wage, lowest (yuan)"), SL_RC_INT);
    if (fac.has_wmax)
        sl_report_fig_int(t, "flat_wage_max", SL_D("月薪上限(元)", "monthly wage, highest (yuan)"), fac.wmax);
    else
        sl_report_fig_null(t, "flat_wage_max", SL_D("月薪上限(元)", "monthly wage, highest (yuan)"), SL_RC_INT);
    sl_report_fig_int(t, "certificate_units", SL_D("违规索要证明的单位(家)", "departments that demanded certificates"),
                      (int64_t) zhashx_size(d.departments));
    sl_report_fig_int(t, "duty_items", SL_D("权责清单(项)", "duty list items"), c->duty_items);

    /* communities meeting the standard, and the gaps */
    sl_rtable_t *names = sl_report_table(c->rep, "communities_meeting_standard_names",
                                         SL_D("基本达标的社区", "communities meeting the standard"),
                                         SL_RS_VALUES, 0);
    sl_rtable_col(names, "community", SL_D("社区", "community"), SL_RC_TEXT);
    sl_rtable_t *gaps = sl_report_table(c->rep, "community_gaps", SL_D("距离达标相差", "gaps"),
                                        SL_RS_ROWS, 0);
    sl_rtable_col(gaps, "community", SL_D("社区", "community"), SL_RC_TEXT);
    sl_rtable_col(gaps, "gap_m2", SL_D("相差(平方米)", "gap m²"), SL_RC_INT);
    int64_t (*order)[2] = calloc(c->ncomms + 1, sizeof *order);
    size_t ngaps = 0;
    for (size_t i = 0; order && i < c->ncomms; i++) {
        const community_t *m = &c->comms[i];
        int64_t gap_x100 = m->households * c->area_per_100 - 100 * m->area;
        if (gap_x100 <= 0) {
            const char *cell[1] = { m->name };
            sl_rtable_row(names, cell);
        } else if (s_round100(gap_x100) > 0) {
            order[ngaps][0] = s_round100(gap_x100);
            order[ngaps++][1] = (int64_t) i;
        }
    }
    if (order)
        qsort(order, ngaps, sizeof *order, s_gap_cmp);
    for (size_t i = 0; i < ngaps; i++) {
        char g[32];
        s_i64(g, sizeof g, order[i][0]);
        const char *cells[2] = { c->comms[order[i][1]].name, g };
        sl_rtable_row(gaps, cells);
    }
    free(order);

    sl_rtable_t *rem = sl_report_table(c->rep, "reminder_units", SL_D("约谈提醒", "reminder interviews"),
                                       SL_RS_ROWS, 0);
    sl_rtable_col(rem, "unit", SL_D("单位代码", "unit"), SL_RC_TEXT);
    sl_rtable_col(rem, "unit_name", SL_D("单位", "unit name"), SL_RC_TEXT);
    sl_rtable_col(rem, "reasons", SL_D("原因", "reasons"), SL_RC_LIST);
    zlistx_t *rkeys = s_sorted_keys(d.reminders);
    char remind_names[2000] = "";
    size_t nrem = 0;
    for (const char *u = rkeys ? zlistx_first(rkeys) : NULL; u; u = zlistx_next(rkeys)) {
        const char *cells[3] = { u, s_unit_name(c, u), zhashx_lookup(d.reminders, u) };
        sl_rtable_row(rem, cells);
        size_t used = strlen(remind_names);
        if (nrem < 20)
            snprintf(remind_names + used, sizeof remind_names - used, "%s%s", nrem ? "、" : "",
                     s_unit_name(c, u));
        nrem++;
    }
    zlistx_destroy(&rkeys);

    sl_rtable_t *five = s_five_table(c, stats, year, "five", SL_D("五个一完成情况", "the five tasks by unit"),
                                     SL_RF_NOJSON, &complete, &met, &req);
    /* now the two figures that needed the matrix */
    char buf[48];
    s_i64(buf, sizeof buf, complete);
    free(t->cells[complete_row * 4 + 3]);
    t->cells[complete_row * 4 + 3] = strdup(buf);
    s_rate(buf, sizeof buf, met, req);
    free(t->cells[(complete_row + 1) * 4 + 3]);
    t->cells[(complete_row + 1) * 4 + 3] = strdup(buf);
    (void) five;

    sl_rtable_t *trend = sl_report_table(c->rep, "trend", SL_D("月度趋势", "monthly trend"), SL_RS_ROWS,
                                         SL_RF_NOJSON);
    sl_rtable_chart(trend, "trend");
    sl_rtable_col(trend, "month", SL_D("月份", "month"), SL_RC_TEXT);
    sl_rtable_col(trend, "matters_done", SL_D("民生实事完成", "matters done"), SL_RC_INT);
    sl_rtable_col(trend, "problems_reported", SL_D("问题上报", "problems reported"), SL_RC_INT);
    sl_rtable_col(trend, "problems_closed", SL_D("问题办结", "problems closed"), SL_RC_INT);
    sl_rtable_col(trend, "home_visits", SL_D("上门服务", "home visits"), SL_RC_INT);
    for (int m = 1; m <= month; m++) {
        char mm[16], a[24], b[24], cc[24], e[24];
        snprintf(mm, sizeof mm, "%04d-%02d", year, m);
        s_i64(a, sizeof a, d.matters[m - 1]);
        s_i64(b, sizeof b, d.reported[m - 1]);
        s_i64(cc, sizeof cc, d.closed[m - 1]);
        s_i64(e, sizeof e, d.visits[m - 1]);
        const char *cells[5] = { mm, a, b, cc, e };
        sl_rtable_row(trend, cells);
    }

    /* the report's sentences, every slot filled */
    char y1[32], y2[32], y3[32], y4[32], y5[32], y6[32], y7[32], y8[32], y9[32];
    s_yu(probe_people, y1, sizeof y1);
    s_yu(d.probe_reports, y2, sizeof y2);
    s_yu(d.probe_vol, y3, sizeof y3);
    s_yu(loop_members, y4, sizeof y4);
    s_yu(d.loop_solved, y5, sizeof y5);
    s_yu(d.home_visits, y6, sizeof y6);
    s_yu(d.trainees, y7, sizeof y7);
    s_yu(d.services, y8, sizeof y8);
    s_yu(d.solved, y9, sizeof y9);
    s_para(sent, "截至%d年%d月%d日，全区%lld个单位帮助社区完成民生实事共%lld件，已有%lld个单位党组织书记进社区讲一堂党课，"
           "有%lld个单位为社区困难群众完成1次微心愿。", year, month, d.to % 100,
           (long long) units_with[SL_TASK_MATTER], (long long) matters_done,
           (long long) units_with[SL_TASK_LECTURE], (long long) units_with[SL_TASK_WISH]);
    s_para(sent, "%s名外卖员、快递员等新就业群体化身“移动探头”，穿梭于大街小巷，上报反馈问题%s件，参与志愿活动%s次。",
           y1, y2, y3);
    s_para(sent, "截止目前，全县%s名党员闭环办理惠民事项，累计为居民解决问题和困难%s个，上门服务%s次。", y4, y5, y6);
    s_para(sent, "推动各社区集聚%lld名左右实用型人才，先后举办各类培训班%lld期，培训%s人次，为群众提供技术服务%s次，"
           "解决群众问题%s个。", (long long) d.talents, (long long) d.trainings, y7, y8, y9);
    if (nrem)
        s_para(sent, "对没有完成任务的%zu个单位进行约谈提醒：%s%s。", nrem, remind_names,
               nrem > 20 ? "等" : "");
    else
        s_para(sent, "本半年度督查未发现需要约谈提醒的单位。");
    s_para(sent, "对违规要求社区出具证明的%zu家单位进行严肃问责，梳理出权责清单%lld项。",
           zhashx_size(d.departments), (long long) c->duty_items);
    /* The wage range as the communities gave it: both ends, one, or none
     * ("—-—元" would read as a figure). */
    char wmin[32] = "", wmax[32] = "", wage[120];
    if (fac.has_wmin)
        s_i64(wmin, sizeof wmin, fac.wmin);
    if (fac.has_wmax)
        s_i64(wmax, sizeof wmax, fac.wmax);
    if (fac.has_wmin && fac.has_wmax && fac.wmin != fac.wmax)
        snprintf(wage, sizeof wage, "每月%s-%s元左右", wmin, wmax);
    else if (fac.has_wmin || fac.has_wmax)
        snprintf(wage, sizeof wage, "每月%s元左右", fac.has_wmin ? wmin : wmax);
    else
        snprintf(wage, sizeof wage, "尚未填报（社区参考数据 flat_wage_min、flat_wage_max）");
    s_para(sent, "我区城市社区工作者共%lld名，仅%lld名社区两委干部、%lld名公开招聘的社区工作者（专职网格员）薪酬按照“三岗十八级”"
           "等级序列发放，其余%lld名社区工作者薪酬%s。", (long long) fac.workers,
           (long long) fac.cadres, (long long) fac.hired,
           (long long) (fac.workers - fac.cadres - fac.hired), wage);
    char meet[1500] = "", gaptext[1500] = "";
    for (size_t r = 0; r < names->nrows && r < 10; r++) {
        size_t used = strlen(meet);
        snprintf(meet + used, sizeof meet - used, "%s%s", r ? "、" : "", sl_rtable_cell(names, r, 0));
    }
    for (size_t r = 0; r < gaps->nrows && r < 10; r++) {
        size_t used = strlen(gaptext);
        snprintf(gaptext + used, sizeof gaptext - used, "%s%s相差%s平方米", r ? "，" : "",
                 sl_rtable_cell(gaps, r, 0), sl_rtable_cell(gaps, r, 1));
    }
    s_para(sent, "城市社区党群服务中心现有办公场所面积%lld平方米，距离达标面积%lld平方米，相差%lld平方米。按照每百户%lld平方米以上要求，"
           "%s%s%lld个社区党群服务中心基本达标%s%s。", (long long) fac.area, (long long) standard,
           (long long) fac.gap, (long long) c->area_per_100, meet, *meet ? "等" : "",
           (long long) fac.meeting, *gaptext ? "；距离达标：" : "", gaptext);
    zhashx_destroy(&stats);
done:
    zhashx_destroy(&d.probe_names);
    zhashx_destroy(&d.loop_members);
    zhashx_destroy(&d.departments);
    zhashx_destroy(&d.reminders);
    return rc || c->rep->failed ? -1 : 0;
}

/* ---- the closed loop (闭环办理) ---------------------------------------------- */

typedef struct {
    int64_t items, rejected, responded, closed, on_time, rated_after, ratings, sat, dissat,
            reopened, ever_closed;
    longs_t to_accept, to_close;
} loopagg_t;

typedef struct {
    int32_t from, to;
    int by;                     /* 0 none, 'u' unit, 'c' community, 'm' month */
    loopagg_t total;
    zhashx_t *groups;           /* key -> loopagg_t */
    zhashx_t *backlog;          /* site_no text -> open items */
    int64_t stars[6];
} loop_t;

static void s_agg_free(void **p)
{
    loopagg_t *a = *p;
    if (a) {
        free(a->to_accept.v);
        free(a->to_close.v);
        free(a);
        *p = NULL;
    }
}

static void s_agg_add(loopagg_t *a, const sl_item_t *it, const sl_item_t *src, const pr_t *f,
                      int rej, int clo, rctx_t *c)
{
    a->items++;
    a->rejected += f->status == rej;
    long on = sl_report_days(it->on);
    if (f->accepted_on) {
        long days = sl_report_days(f->accepted_on) - on;
        a->responded += days <= c->accept_days;
        s_push(&a->to_accept, days);
    }
    if (f->status == clo) {
        long days = sl_report_days(f->last_close) - on;
        a->closed++;
        a->on_time += days <= c->close_days;
        s_push(&a->to_close, days);
        a->rated_after += src->ratings > 0 && src->goods > 0 && src->rated_goods == src->goods;
    }
    if (src->ratings > 0 && src->stars >= 1 && src->stars <= 5) {
        a->ratings++;
        a->sat += src->stars >= 4;
        a->dissat += src->stars <= 2;
    }
    a->ever_closed += f->last_close != 0;
    a->reopened += f->reopened && f->last_close != 0;
}

static int s_loop_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    loop_t *l = c->pass;
    if (s_item(c, row))
        return -1;
    sl_item_t *it = c->it, *src = it;
    pr_t f;
    s_pr_facts(c, it, l->to, &f);
    if (f.status < 0)
        return 0;
    if (f.steps_to < it->nsteps || (it->ratings && it->rating_on > l->to)) {
        if (s_as_of(c, row->site_no, it, f.steps_to, l->to))
            return -1;
        src = c->past;
    }
    int rej = c->st_rej, clo = c->st_clo;
    s_agg_add(&l->total, it, src, &f, rej, clo, c);
    if (src->ratings > 0 && src->stars >= 1 && src->stars <= 5)
        l->stars[src->stars]++;
    if (f.status != rej && f.status != clo) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long) row->site_no);
        intptr_t n = (intptr_t) zhashx_lookup(l->backlog, key);
        zhashx_update(l->backlog, key, (void *) (n + 1));
    }
    if (!l->by)
        return 0;
    char key[NAME_CAP];
    if (l->by == 'u')
        snprintf(key, sizeof key, "%s", s_resp_unit(c, src));
    else if (l->by == 'c')
        snprintf(key, sizeof key, "%s", s_site_comm_name(c, row->site_no));
    else
        snprintf(key, sizeof key, "%04d-%02d", it->on / 10000, it->on / 100 % 100);
    loopagg_t *a = zhashx_lookup(l->groups, key);
    if (!a) {
        a = calloc(1, sizeof *a);
        if (!a)
            return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        zhashx_insert(l->groups, key, a);
    }
    s_agg_add(a, it, src, &f, rej, clo, c);
    return 0;
}

static const char *const s_loop_keys[] = {
    "items", "rejected", "response_rate", "on_time_rate", "resolution_rate", "ratings",
    "satisfaction_rate", "dissatisfaction_rate", "rating_rate", "reopen_rate",
    "median_days_to_accept", "median_days_to_close" };
static const char *const s_loop_labels[] = {
    SL_D("事项", "items"), SL_D("不予受理", "rejected"), SL_D("响应率", "response rate"), SL_D("按时办结率", "on-time rate"),
    SL_D("解决率", "resolution rate"), SL_D("评价数", "ratings"), SL_D("满意率", "satisfaction"), SL_D("不满意率", "dissatisfaction"),
    SL_D("评价率", "rating rate"), SL_D("重办率", "reopen rate"), SL_D("受理天数中位数", "median days to accept"),
    SL_D("办结天数中位数", "median days to close") };
static const sl_rcol_t s_loop_types[] = {
    SL_RC_INT, SL_RC_INT, SL_RC_RATE, SL_RC_RATE, SL_RC_RATE, SL_RC_INT, SL_RC_RATE, SL_RC_RATE,
    SL_RC_RATE, SL_RC_RATE, SL_RC_NUM, SL_RC_NUM };
#define LOOP_FIGS 12

static void s_agg_cells(loopagg_t *a, char buf[LOOP_FIGS][48])
{
    int64_t open = a->items - a->rejected;
    s_i64(buf[0], 48, a->items);
    s_i64(buf[1], 48, a->rejected);
    s_rate(buf[2], 48, a->responded, open);
    s_rate(buf[3], 48, a->on_time, a->closed);
    s_rate(buf[4], 48, a->closed, open);
    s_i64(buf[5], 48, a->ratings);
    s_rate(buf[6], 48, a->sat, a->ratings);
    s_rate(buf[7], 48, a->dissat, a->ratings);
    s_rate(buf[8], 48, a->rated_after, a->closed);
    s_rate(buf[9], 48, a->reopened, a->ever_closed);
    s_median(&a->to_accept, buf[10], 48);
    s_median(&a->to_close, buf[11], 48);
}

static int s_loop(rctx_t *c, int32_t from, int32_t to, int by)
{
    loop_t l = { .from = from, .to = to, .by = by, .groups = zhashx_new(),
                 .backlog = zhashx_new() };
    if (!l.groups || !l.backlog) {
        zhashx_destroy(&l.groups);
        zhashx_destroy(&l.backlog);
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    }
    zhashx_set_destructor(l.groups, s_agg_free);
    c->pass = &l;
    int rc = s_each(c, "problem_report", from, to, false, false, s_loop_cb);
    char buf[LOOP_FIGS][48];
    if (rc == 0 && !by) {
        sl_rtable_t *t = sl_report_table(c->rep, "", SL_D("闭环办理", "closed loop"), SL_RS_OBJECT, 0);
        sl_report_figures_init(t);
        s_agg_cells(&l.total, buf);
        for (int k = 0; k < LOOP_FIGS; k++)
            sl_report_fig_text(t, s_loop_keys[k], s_loop_labels[k], s_loop_types[k], buf[k]);
    } else if (rc == 0) {
        sl_rtable_t *t = sl_report_table(c->rep, "rows", by == 'u' ? SL_D("按责任单位", "by unit")
                                         : by == 'c' ? SL_D("按社区", "by community") : SL_D("按月份", "by month"),
                                         SL_RS_ROWS, 0);
        sl_rtable_col(t, by == 'u' ? "unit" : by == 'c' ? "community" : "month",
                      by == 'u' ? SL_D("单位代码", "unit") : by == 'c' ? SL_D("社区", "community") : SL_D("月份", "month"),
                      SL_RC_TEXT);
        if (by == 'u')
            sl_rtable_col(t, "unit_name", SL_D("单位", "unit name"), SL_RC_TEXT);
        for (int k = 0; k < LOOP_FIGS; k++)
            sl_rtable_col(t, s_loop_keys[k], s_loop_labels[k], s_loop_types[k]);
        zlistx_t *keys = s_sorted_keys(l.groups);
        for (int pass = 0; pass < 2; pass++)    /* 未交办 last */
            for (const char *k = keys ? zlistx_first(keys) : NULL; k; k = zlistx_next(keys)) {
                if ((pass == 0) != (*k != 0))
                    continue;
                s_agg_cells(zhashx_lookup(l.groups, k), buf);
                const char *cells[LOOP_FIGS + 2];
                size_t n = 0;
                cells[n++] = *k ? k : SL_D("未交办", "unassigned");
                if (by == 'u')
                    cells[n++] = *k ? s_unit_name(c, k) : "";
                for (int f = 0; f < LOOP_FIGS; f++)
                    cells[n++] = buf[f];
                sl_rtable_row(t, cells);
            }
        zlistx_destroy(&keys);
        s_agg_cells(&l.total, buf);
        const char *cells[LOOP_FIGS + 2];
        size_t n = 0;
        cells[n++] = "";
        if (by == 'u')
            cells[n++] = SL_D("合计", "total");
        for (int f = 0; f < LOOP_FIGS; f++)
            cells[n++] = buf[f];
        sl_rtable_row(t, cells);
        sl_rtable_total(t, "total");
    }
    if (rc == 0) {
        s_stars_table(c, l.stars);
        sl_rtable_t *bl = sl_report_table(c->rep, "backlog", SL_D("站点积压（未办结）", "open items by site"),
                                          SL_RS_ROWS, SL_RF_NOJSON);
        sl_rtable_chart(bl, "backlog");
        sl_rtable_col(bl, "site", SL_D("站点", "site"), SL_RC_TEXT);
        sl_rtable_col(bl, "open", SL_D("未办结", "open"), SL_RC_INT);
        sl_rtable_col(bl, "community", SL_D("社区", "community"), SL_RC_TEXT);
        for (size_t i = 0; i < c->nsites; i++) {
            char key[32], n[24];
            snprintf(key, sizeof key, "%lld", (long long) c->sites[i].site_no);
            s_i64(n, sizeof n, (intptr_t) zhashx_lookup(l.backlog, key));
            const char *cells[3] = { c->sites[i].site_id, n,
                                     s_site_comm_name(c, c->sites[i].site_no) };
            sl_rtable_row(bl, cells);
        }
    }
    free(l.total.to_accept.v);
    free(l.total.to_close.v);
    zhashx_destroy(&l.groups);
    zhashx_destroy(&l.backlog);
    return rc;
}

/* ---- points and yellow cards (积分与黄牌) --------------------------------- */

typedef struct {
    int year;
    zhashx_t *units, *members;  /* code -> int64[2]: points, cards */
    const char *unit;           /* lines of this unit only (NULL: all) */
    int64_t offset, limit, matched;
    sl_rtable_t *lines;
    int64_t stars[6];
} points_t;

static int64_t *s_pc(zhashx_t *h, const char *key)
{
    int64_t *v = zhashx_lookup(h, key);
    if (!v && (v = calloc(2, sizeof *v)))
        zhashx_insert(h, key, v);
    return v;
}

static int s_points_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    points_t *p = c->pass;
    if (s_item(c, row))
        return -1;
    sl_item_t *it = c->it;
    if (!it->ratings || !it->rating_seq || it->rating_on / 10000 != p->year)
        return 0;
    if (it->stars >= 1 && it->stars <= 5)
        p->stars[it->stars]++;
    sl_rating_effect_t e = sl_tally_rating(it->stars, c->points_5, c->card_max);
    if (!e.points && !e.card)
        return 0;
    const char *unit = it->rating_unit[0] ? it->rating_unit : s_member_unit(c, it->rating_member);
    int64_t *u = *unit ? s_pc(p->units, unit) : NULL, *m = NULL;
    if (*unit && !u)
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    if (it->rating_member[0] && !(m = s_pc(p->members, it->rating_member)))
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    if (u) {
        u[0] += e.points;
        u[1] += e.card;
    }
    if (m) {
        m[0] += e.points;
        m[1] += e.card;
    }
    if (p->unit && !s_is(p->unit, unit))
        return 0;
    if (p->matched++ < p->offset || (int64_t) p->lines->nrows >= p->limit)
        return 0;
    /* a line on the page: its title from its record (corrected: from its state) */
    char seq[32], rseq[32], stars[8], date[11], pts[24], title[NAME_CAP] = "";
    uint8_t *own = NULL;
    if (!c->pay) {
        const sl_rtype_t *rt;
        size_t len;
        if (central_store_record(c->store, row->site_no, it->seq, &rt, &own, &len, NULL) != 1
            || rt != c->rt) {
            free(own);
            return s_fail(c, SL_E_INTERNAL, NULL, "不能读取站点 #%2$lld 的记录 #%1$llu",
                          "cannot read record #%llu of site #%lld",
                          (unsigned long long) it->seq, (long long) row->site_no);
        }
        c->pay = own;
        c->pay_len = len;
    }
    if (c->rt->title_field)
        s_v(c, c->rt->title_field, title, sizeof title);
    const site_t *s = s_site(c, row->site_no);
    snprintf(seq, sizeof seq, "#%llu", (unsigned long long) it->seq);
    snprintf(rseq, sizeof rseq, "#%llu", (unsigned long long) it->rating_seq);
    snprintf(stars, sizeof stars, "%d", it->stars);
    s_date_text(it->rating_on, date);
    s_i64(pts, sizeof pts, e.points);
    char type[100];
    sl_epair(type, sizeof type, c->rt->label, c->rt->name);     /* "问题上报", or the wire name */
    const char *cells[12] = { type, s ? s->site_id : "?", seq, title, rseq, stars, date,
                              unit, s_unit_name(c, unit), it->rating_member, pts,
                              e.card ? "1" : "0" };
    int rc = sl_rtable_row(p->lines, cells);
    c->pay = NULL;
    c->has_view = false;
    free(own);
    return rc ? s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory") : 0;
}

/* The page table of a listing that pages (records, the lines of points). */
static void s_page(rctx_t *c, int64_t matched, int64_t offset, size_t shown)
{
    sl_rtable_t *page = sl_report_table(c->rep, "page", SL_D("分页", "page"), SL_RS_OBJECT, 0);
    sl_report_figures_init(page);
    sl_report_fig_int(page, "matched", SL_D("符合条件", "matched"), matched);
    sl_report_fig_int(page, "offset", SL_D("起始", "offset"), offset);
    sl_report_fig_int(page, "shown", SL_D("本页", "shown"), (int64_t) shown);
    bool more = offset + (int64_t) shown < matched;
    char next[80] = "";
    if (more)
        snprintf(next, sizeof next, "--offset %lld", (long long) (offset + (int64_t) shown));
    sl_report_fig_text(page, "next", more ? SL_D("下一页", "next page")
                       : SL_D("下一页", "next page") " (" SL_D("无", "none") ")",
                       SL_RC_TEXT, next);
}

static int s_points(rctx_t *c, int year, const char *unit, int64_t offset, int64_t limit)
{
    points_t p = { .year = year, .units = zhashx_new(), .members = zhashx_new(), .unit = unit,
                   .offset = offset, .limit = limit };
    if (!p.units || !p.members) {
        zhashx_destroy(&p.units);
        zhashx_destroy(&p.members);
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    }
    zhashx_set_destructor(p.units, s_free_ptr);
    zhashx_set_destructor(p.members, s_free_ptr);
    sl_rtable_t *ut = sl_report_table(c->rep, "units", SL_D("单位积分与黄牌", "points and yellow cards by unit"),
                                      SL_RS_ROWS, 0);
    sl_rtable_t *mt = sl_report_table(c->rep, "members", SL_D("党员积分与黄牌", "by member"), SL_RS_ROWS, 0);
    p.lines = sl_report_table(c->rep, "lines", SL_D("明细（每一条评价）", "every rating behind them"),
                              SL_RS_ROWS, 0);
    sl_rtable_col(ut, "unit", SL_D("单位代码", "unit"), SL_RC_TEXT);
    sl_rtable_col(ut, "unit_name", SL_D("单位", "unit name"), SL_RC_TEXT);
    sl_rtable_col(ut, "points", SL_D("积分", "points"), SL_RC_INT);
    sl_rtable_col(ut, "yellow_cards", SL_D("黄牌", "yellow cards"), SL_RC_INT);
    sl_rtable_col(mt, "member", SL_D("党员代码", "member"), SL_RC_TEXT);
    sl_rtable_col(mt, "member_name", SL_D("党员", "member name"), SL_RC_TEXT);
    sl_rtable_col(mt, "unit", SL_D("所属单位", "unit"), SL_RC_TEXT);
    sl_rtable_col(mt, "points", SL_D("积分", "points"), SL_RC_INT);
    sl_rtable_col(mt, "yellow_cards", SL_D("黄牌", "yellow cards"), SL_RC_INT);
    static const char *const lk[12] = { "type", "site", "item", "title", "rating", "stars",
                                        "rating_on", "unit", "unit_name", "member", "points",
                                        "yellow_card" };
    static const char *const ll[12] = { SL_D("类型", "type"), SL_D("站点", "site"), SL_D("事项", "item"), SL_D("标题", "title"),
                                        SL_D("评价", "rating"), SL_D("星级", "stars"), SL_D("评价日期", "rated on"),
                                        SL_D("单位", "unit"), SL_D("单位名称", "unit name"), SL_D("党员", "member"),
                                        SL_D("积分", "points"), SL_D("黄牌", "yellow card") };
    static const sl_rcol_t lt[12] = { SL_RC_TEXT, SL_RC_TEXT, SL_RC_TEXT, SL_RC_TEXT, SL_RC_TEXT,
                                      SL_RC_INT, SL_RC_DATE, SL_RC_TEXT, SL_RC_TEXT, SL_RC_TEXT,
                                      SL_RC_INT, SL_RC_BOOL };
    for (int k = 0; k < 12; k++)
        sl_rtable_col(p.lines, lk[k], ll[k], lt[k]);
    c->pass = &p;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        if (rt->role == SL_ROLE_FACT && rt->life)
            rc = s_each(c, rt->name, 0, 0, false, false, s_points_cb);
    }
    for (size_t i = 0; rc == 0 && i < c->nunits; i++)
        s_pc(p.units, c->units[i].code);
    zlistx_t *keys = rc ? NULL : s_sorted_keys(p.units);
    for (const char *k = keys ? zlistx_first(keys) : NULL; k; k = zlistx_next(keys)) {
        int64_t *v = zhashx_lookup(p.units, k);
        char a[24], b[24];
        s_i64(a, sizeof a, v[0]);
        s_i64(b, sizeof b, v[1]);
        const char *cells[4] = { k, s_unit_name(c, k), a, b };
        sl_rtable_row(ut, cells);
    }
    zlistx_destroy(&keys);
    keys = rc ? NULL : s_sorted_keys(p.members);
    for (const char *k = keys ? zlistx_first(keys) : NULL; k; k = zlistx_next(keys)) {
        int64_t *v = zhashx_lookup(p.members, k);
        char a[24], b[24];
        s_i64(a, sizeof a, v[0]);
        s_i64(b, sizeof b, v[1]);
        const char *cells[5] = { k, s_member_name(c, k), s_member_unit(c, k), a, b };
        sl_rtable_row(mt, cells);
    }
    zlistx_destroy(&keys);
    s_stars_table(c, p.stars);
    s_page(c, p.matched, offset, p.lines->nrows);
    zhashx_destroy(&p.units);
    zhashx_destroy(&p.members);
    return rc;
}

/* ---- grouped sums (volunteers, talent) ------------------------------------- */

#define SUMS 8
typedef struct {
    int64_t v[SUMS];
    char name[NAME_CAP];
} sums_t;

static sums_t *s_sums(rctx_t *c, zhashx_t *h, const char *key, const char *name)
{
    sums_t *s = zhashx_lookup(h, key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) {
            s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
            return NULL;
        }
        snprintf(s->name, sizeof s->name, "%s", name);
        zhashx_insert(h, key, s);
    }
    return s;
}

/* A table of one group's sums, by key, with its total. */
static void s_sums_table(rctx_t *c, zhashx_t *h, const char *key, const char *title,
                         const char *col, const char *col_label, size_t nv,
                         const char *const *vkeys, const char *const *vlabels,
                         const char *total_key)
{
    sl_rtable_t *t = sl_report_table(c->rep, key, title, SL_RS_ROWS, 0);
    char namekey[80];
    snprintf(namekey, sizeof namekey, "%s_name", col);
    sl_rtable_col(t, col, col_label, SL_RC_TEXT);
    sl_rtable_col(t, namekey, SL_D("名称", "name"), SL_RC_TEXT);
    for (size_t i = 0; i < nv; i++)
        sl_rtable_col(t, vkeys[i], vlabels[i], SL_RC_INT);
    zlistx_t *keys = s_sorted_keys(h);
    int64_t tot[SUMS] = { 0 };
    char buf[SUMS][24];
    const char *cells[SUMS + 2];
    for (const char *k = keys ? zlistx_first(keys) : NULL; k; k = zlistx_next(keys)) {
        sums_t *s = zhashx_lookup(h, k);
        cells[0] = *k ? k : "—";
        cells[1] = s->name;
        for (size_t i = 0; i < nv; i++) {
            s_i64(buf[i], 24, s->v[i]);
            cells[i + 2] = buf[i];
            tot[i] += s->v[i];
        }
        sl_rtable_row(t, cells);
    }
    zlistx_destroy(&keys);
    cells[0] = "";
    cells[1] = SL_D("合计", "total");
    for (size_t i = 0; i < nv; i++) {
        s_i64(buf[i], 24, tot[i]);
        cells[i + 2] = buf[i];
    }
    sl_rtable_row(t, cells);
    sl_rtable_total(t, total_key);
}

/* ---- volunteers (志愿服务) ------------------------------------------------- */

typedef struct {
    zhashx_t *unit, *team, *brand, *comm;
} vol_t;

static int s_vol_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    vol_t *v = c->pass;
    if (s_item(c, row))
        return -1;
    char team[SL_FOLD_KEY_CAP], brand[SL_FOLD_KEY_CAP], unit[SL_FOLD_KEY_CAP];
    s_v(c, "team", team, sizeof team);
    s_v(c, "brand", brand, sizeof brand);
    s_v(c, "unit", unit, sizeof unit);
    named_t *tm = *team ? zhashx_lookup(c->teams, team) : NULL;
    if (!*brand && tm)
        snprintf(brand, sizeof brand, "%s", tm->brand);
    if (!*unit && tm)
        snprintf(unit, sizeof unit, "%s", tm->unit);
    named_t *br = *brand ? zhashx_lookup(c->brands, brand) : NULL;
    const site_t *site = s_site(c, row->site_no);
    int64_t vals[4] = { 1, s_vint(c, "participants"), s_vint(c, "new_employment"),
                        s_vint(c, "hours") };
    sums_t *g[4] = {
        s_sums(c, v->unit, unit, *unit ? s_unit_name(c, unit) : SL_D("未填单位", "none")),
        s_sums(c, v->team, team, tm ? tm->name : *team ? team : SL_D("未填服务队", "none")),
        s_sums(c, v->brand, brand, br ? br->name : *brand ? brand : SL_D("未填品牌", "none")),
        s_sums(c, v->comm, site ? site->community : "", s_site_comm_name(c, row->site_no)) };
    for (int i = 0; i < 4; i++) {
        if (!g[i])
            return -1;
        for (int k = 0; k < 4; k++)
            g[i]->v[k] += vals[k];
    }
    return 0;
}

static int s_volunteers(rctx_t *c, int32_t from, int32_t to)
{
    vol_t v = { zhashx_new(), zhashx_new(), zhashx_new(), zhashx_new() };
    int rc = v.unit && v.team && v.brand && v.comm ? 0
             : s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    zhashx_t *all[4] = { v.unit, v.team, v.brand, v.comm };
    for (int i = 0; i < 4; i++)
        if (all[i])
            zhashx_set_destructor(all[i], s_free_ptr);
    c->pass = &v;
    if (rc == 0)
        rc = s_each(c, "volunteer_activity", from, to, false, true, s_vol_cb);
    static const char *const vk[4] = { "activities", "participants", "new_employment", "hours" };
    static const char *const vl[4] = { SL_D("活动(次)", "activities"), SL_D("参与(人次)", "participants"),
                                       SL_D("其中新就业群体", "new employment"), SL_D("服务时长(小时)", "hours") };
    if (rc == 0) {
        s_sums_table(c, v.unit, "by_unit", SL_D("按单位", "by unit"), "unit", SL_D("单位代码", "unit"), 4, vk, vl,
                     "total");
        s_sums_table(c, v.team, "by_team", SL_D("按志愿服务队", "by team"), "team", SL_D("服务队", "team"), 4, vk,
                     vl, "by_team_total");
        s_sums_table(c, v.brand, "by_brand", SL_D("按服务品牌", "by brand"), "brand", SL_D("品牌", "brand"), 4, vk,
                     vl, "by_brand_total");
        s_sums_table(c, v.comm, "by_community", SL_D("按社区", "by community"), "community",
                     SL_D("社区", "community"), 4, vk, vl, "by_community_total");
        sl_rtable_chart(c->rep->tables[c->rep->ntables - 1], "backlog");
    }
    for (int i = 0; i < 4; i++)
        zhashx_destroy(&all[i]);
    c->pass = NULL;
    return rc;
}

/* ---- talent (人才超市) -------------------------------------------------------- */

typedef struct {
    int32_t from, to;
    zhashx_t *comm;
} talent_t;

static int s_talent_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    talent_t *t = c->pass;
    if (s_item(c, row))
        return -1;
    const site_t *site = s_site(c, row->site_no);
    sums_t *s = s_sums(c, t->comm, site ? site->community : "", s_site_comm_name(c, row->site_no));
    if (!s)
        return -1;
    int32_t on = c->it->on;
    char buf[32];
    const char *type = c->rt->name;
    if (s_is(type, "talent")) {
        s->v[0] += on <= t->to;
        s->v[1] += on >= t->from && on <= t->to;
        return 0;
    }
    if (on < t->from || on > t->to)
        return 0;
    if (s_is(type, "training")) {
        bool talent = s_is(s_v(c, "kind", buf, sizeof buf), "talent");
        s->v[talent ? 2 : 4]++;
        s->v[talent ? 3 : 5] += s_vint(c, "attendees");
    } else if (s_is(type, "talent_service")) {
        s->v[6]++;
        s->v[7] += s_is(s_v(c, "solved", buf, sizeof buf), "yes");
    }
    return 0;
}

static int s_talent(rctx_t *c, int year)
{
    talent_t t = { year * 10000 + 101, year * 10000 + 1231, zhashx_new() };
    if (!t.comm)
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    zhashx_set_destructor(t.comm, s_free_ptr);
    c->pass = &t;
    int rc = s_each(c, "talent", 0, t.to, false, false, s_talent_cb)
             || s_each(c, "training", t.from, t.to, false, true, s_talent_cb)
             || s_each(c, "talent_service", t.from, t.to, false, true, s_talent_cb) ? -1 : 0;
    static const char *const vk[8] = { "talents", "talents_new", "trainings", "trainees",
                                       "worker_trainings", "worker_trainees", "services",
                                       "solved" };
    static const char *const vl[8] = { SL_D("人才(名)", "talents"), SL_D("本年新登记", "new this year"),
                                       SL_D("人才培训班(期)", "trainings"), SL_D("培训(人次)", "trainees"),
                                       SL_D("社工培训班(期)", "worker trainings"),
                                       SL_D("社工培训(人次)", "worker trainees"),
                                       SL_D("技术服务(次)", "services"), SL_D("解决问题(个)", "solved") };
    if (rc == 0)
        s_sums_table(c, t.comm, "communities", SL_D("人才超市（按社区）", "talent by community"),
                     "community", SL_D("社区", "community"), 8, vk, vl, "total");
    zhashx_destroy(&t.comm);
    return rc;
}

/* ---- facilities (阵地与队伍) -------------------------------------------------- */

typedef struct {
    zhashx_t *last;             /* "site|member" -> seq << 1 | is_checkin */
} place_t;

static int s_place_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    place_t *p = c->pass;
    char key[SL_FOLD_KEY_CAP + 32];
    snprintf(key, sizeof key, "%lld|%s", (long long) row->site_no, row->member);
    intptr_t had = (intptr_t) zhashx_lookup(p->last, key);
    intptr_t now = (intptr_t) (row->seq << 1 | (c->rt->role == SL_ROLE_CHECKIN));
    if (!had || (had >> 1) < (now >> 1))
        zhashx_update(p->last, key, (void *) now);
    return 0;
}

static int s_facilities(rctx_t *c)
{
    place_t p = { zhashx_new() };
    if (!p.last)
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    c->pass = &p;
    int rc = s_each(c, "member_checkin", 0, 0, false, false, s_place_cb)
             || s_each(c, "member_checkout", 0, 0, false, false, s_place_cb) ? -1 : 0;
    sl_rtable_t *t = rc ? NULL : sl_report_table(c->rep, "communities",
                                                 SL_D("社区阵地与队伍", "facilities and workers"),
                                                 SL_RS_ROWS, 0);
    static const char *const k[15] = { "community", "community_name", "households",
        "center_area_m2", "standard_m2", "gap_m2", "meets_standard", "workers", "workers_ladder",
        "workers_flat", "flat_wage_min", "flat_wage_max", "member_cap", "members_here",
        "over_cap" };
    static const char *const l[15] = { SL_D("社区代码", "community"), SL_D("社区", "name"), SL_D("户数", "households"),
        SL_D("党群服务中心面积", "area m²"), SL_D("达标面积", "standard m²"), SL_D("相差", "gap m²"), SL_D("基本达标", "meets"),
        SL_D("社区工作者", "workers"), SL_D("三岗十八级", "ladder"), SL_D("其余", "flat"), SL_D("月薪下限", "wage min"),
        SL_D("月薪上限", "wage max"), SL_D("报到上限", "member cap"), SL_D("在册报到党员", "members here"),
        SL_D("超出上限", "over cap") };
    static const sl_rcol_t ty[15] = { SL_RC_TEXT, SL_RC_TEXT, SL_RC_INT, SL_RC_INT, SL_RC_NUM,
        SL_RC_INT, SL_RC_BOOL, SL_RC_INT, SL_RC_INT, SL_RC_INT, SL_RC_INT, SL_RC_INT, SL_RC_INT,
        SL_RC_INT, SL_RC_BOOL };
    for (int i = 0; t && i < 15; i++)
        sl_rtable_col(t, k[i], l[i], ty[i]);
    if (t)
        sl_rtable_chart(t, "backlog");
    int64_t tot[15] = { 0 };
    for (size_t i = 0; t && i <= c->ncomms; i++) {
        char b[15][48];
        const char *cells[15];
        for (int j = 0; j < 15; j++) {
            b[j][0] = 0;
            cells[j] = b[j];
        }
        if (i < c->ncomms) {
            const community_t *m = &c->comms[i];
            int64_t std_x100 = m->households * c->area_per_100, gap_x100 = std_x100 - 100 * m->area;
            int64_t here = 0;
            for (size_t s = 0; s < c->nsites; s++) {
                if (strcmp(c->sites[s].community, m->code) != 0)
                    continue;
                char prefix[40];
                int plen = snprintf(prefix, sizeof prefix, "%lld|", (long long) c->sites[s].site_no);
                for (void *v = zhashx_first(p.last); v; v = zhashx_next(p.last))
                    if (strncmp(zhashx_cursor(p.last), prefix, (size_t) plen) == 0)
                        here += (intptr_t) v & 1;
            }
            cells[0] = m->code;
            cells[1] = m->name;
            s_i64(b[2], 48, m->households);
            s_i64(b[3], 48, m->area);
            snprintf(b[4], 48, "%lld.%02lld", (long long) (std_x100 / 100),
                     (long long) (std_x100 % 100));
            s_i64(b[5], 48, gap_x100 > 0 ? s_round100(gap_x100) : 0);
            cells[6] = gap_x100 <= 0 ? "1" : "0";
            s_i64(b[7], 48, m->workers);
            s_i64(b[8], 48, m->cadres + m->hired);
            s_i64(b[9], 48, m->workers - m->cadres - m->hired);
            if (m->has_wage_min)
                s_i64(b[10], 48, m->wage_min);
            if (m->has_wage_max)
                s_i64(b[11], 48, m->wage_max);
            s_i64(b[12], 48, m->cap);
            s_i64(b[13], 48, here);
            cells[14] = m->cap > 0 && here > m->cap ? "1" : "0";
            int64_t add[15] = { 0, 0, m->households, m->area, std_x100,
                                gap_x100 > 0 ? s_round100(gap_x100) : 0, gap_x100 <= 0,
                                m->workers, m->cadres + m->hired,
                                m->workers - m->cadres - m->hired, 0, 0, m->cap, here, 0 };
            for (int j = 0; j < 15; j++)
                tot[j] += add[j];
        } else {
            cells[1] = SL_D("合计", "total");
            for (int j = 2; j < 14; j++)
                if (j != 4 && j != 10 && j != 11)
                    s_i64(b[j], 48, tot[j]);
            snprintf(b[4], 48, "%lld", (long long) s_round100(tot[4]));
            fac_t f;
            s_fac(c, &f);
            if (f.has_wmin)
                s_i64(b[10], 48, f.wmin);
            if (f.has_wmax)
                s_i64(b[11], 48, f.wmax);
            s_i64(b[6], 48, tot[6]);
            ((sl_rtable_t *) t)->cols[6].type = SL_RC_BOOL;
            cells[6] = "";
            cells[14] = "";
        }
        sl_rtable_row(t, cells);
    }
    if (t)
        sl_rtable_total(t, "total");
    zhashx_destroy(&p.last);
    return rc;
}

/* ---- supervision (督查) ------------------------------------------------------ */

typedef struct {
    int32_t from, to;
    sl_rtable_t *list;
    zhashx_t *inspected, *reasons;
} sup_t;

static int s_sup_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    sup_t *s = c->pass;
    if (s_item(c, row))
        return -1;
    char who[NAME_CAP], met[8], action[40], finding[NAME_CAP], date[11], label[80] = "";
    char shown[160] = "";
    s_v(c, "inspector", who, sizeof who);
    s_v(c, "tasks_met", met, sizeof met);
    s_v(c, "action", action, sizeof action);
    s_v(c, "finding", finding, sizeof finding);
    const sl_field_t *af = sl_schema_field(c->rt, "action", 6);
    char name[40];
    for (size_t i = 0; af && *action && sl_schema_choice(af, i, name, sizeof name, label,
                                                          sizeof label); i++)
        if (s_is(name, action))
            break;
    s_date_text(c->it->on, date);
    const site_t *site = s_site(c, row->site_no);
    const char *unit = c->it->unit;
    s_set_add(s->inspected, unit);
    if (*action)
        sl_epair(shown, sizeof shown, label, action);      /* "约谈提醒", or the wire name */
    const char *cells[8] = { unit, s_unit_name(c, unit), who, date,
                             s_is(met, "yes") ? "1" : "0", shown, finding,
                             site ? site->site_id : "?" };
    if (sl_rtable_row(s->list, cells))
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    if (s_is(met, "no")) {
        char reason[3 * NAME_CAP], *had = zhashx_lookup(s->reasons, unit);
        snprintf(reason, sizeof reason, "%s%s%s " SL_D("督查未完成任务", "inspection: tasks not met")
                 " (%s)%s%s",
                 had ? had : "", had ? "\n" : "", date, who, *finding ? SL_E("：", ": ") : "",
                 finding);
        char *copy = strdup(reason);
        if (!copy)
            return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        zhashx_update(s->reasons, unit, copy);
    }
    return 0;
}

static int s_supervision(rctx_t *c, int year, int half)
{
    sup_t s = { year * 10000 + (half == 1 ? 101 : 701), year * 10000 + (half == 1 ? 630 : 1231),
                NULL, zhashx_new(), zhashx_new() };
    if (!s.inspected || !s.reasons) {
        zhashx_destroy(&s.inspected);
        zhashx_destroy(&s.reasons);
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    }
    zhashx_set_destructor(s.reasons, s_free_ptr);
    sl_rtable_t *cand = sl_report_table(c->rep, "candidates", SL_D("约谈提醒候选", "reminder candidates"),
                                        SL_RS_ROWS, 0);
    sl_rtable_col(cand, "unit", SL_D("单位代码", "unit"), SL_RC_TEXT);
    sl_rtable_col(cand, "unit_name", SL_D("单位", "unit name"), SL_RC_TEXT);
    sl_rtable_col(cand, "reasons", SL_D("依据", "evidence"), SL_RC_LIST);
    s.list = sl_report_table(c->rep, "inspections", SL_D("本半年督查记录", "inspections"), SL_RS_ROWS, 0);
    static const char *const k[8] = { "unit", "unit_name", "inspector", "on", "tasks_met",
                                      "action", "finding", "site" };
    static const char *const l[8] = { SL_D("单位代码", "unit"), SL_D("单位", "unit name"), SL_D("督查人", "inspector"),
                                      SL_D("日期", "date"), SL_D("完成任务", "tasks met"), SL_D("处理", "action"),
                                      SL_D("发现", "finding"), SL_D("站点", "site") };
    static const sl_rcol_t ty[8] = { SL_RC_TEXT, SL_RC_TEXT, SL_RC_TEXT, SL_RC_DATE, SL_RC_BOOL,
                                     SL_RC_TEXT, SL_RC_TEXT, SL_RC_TEXT };
    for (int i = 0; i < 8; i++)
        sl_rtable_col(s.list, k[i], l[i], ty[i]);
    c->pass = &s;
    int rc = s_each(c, "inspection", s.from, s.to, false, true, s_sup_cb);
    zhashx_t *stats = rc ? NULL : s_five(c, year * 10000 + 101, s.to, NULL);
    if (!stats)
        rc = -1;
    sl_rtable_t *not = rc ? NULL : sl_report_table(c->rep, "not_inspected",
                                                   SL_D("本半年未督查的单位", "units not inspected"),
                                                   SL_RS_ROWS, 0);
    sl_rtable_col(not, "unit", SL_D("单位代码", "unit"), SL_RC_TEXT);
    sl_rtable_col(not, "unit_name", SL_D("单位", "unit name"), SL_RC_TEXT);
    for (size_t i = 0; rc == 0 && i < c->nunits; i++) {
        const char *code = c->units[i].code;
        unitstat_t zero = { { 0 }, 0 }, *st = zhashx_lookup(stats, code);
        if (!st)
            st = &zero;
        char buf[2000] = "";
        const char *had = zhashx_lookup(s.reasons, code);
        if (had)
            snprintf(buf, sizeof buf, "%s", had);
        for (int t = 0; t < SL_TASKS; t++) {
            int64_t req = s_required(c, year, t);
            if (half == 1 ? 2 * (int64_t) st->done[t] >= req : st->done[t] >= req)
                continue;
            size_t used = strlen(buf);
            char zh[160], en[80];
            snprintf(zh, sizeof zh, "%s %d/%lld，未达%s要求", sl_tally_task_label(t), st->done[t],
                     (long long) req, half == 1 ? "半年过半" : "全年");
            snprintf(en, sizeof en, "behind on %s", sl_tally_task_type(t));
            if (used && used + 1 < sizeof buf)
                buf[used++] = '\n';
            sl_dpair(buf + used, sizeof buf - used, zh, en);
        }
        if (*buf) {
            const char *cells[3] = { code, c->units[i].name, buf };
            sl_rtable_row(cand, cells);
        }
        if (!zhashx_lookup(s.inspected, code)) {
            const char *cells[2] = { code, c->units[i].name };
            sl_rtable_row(not, cells);
        }
    }
    zhashx_destroy(&stats);
    zhashx_destroy(&s.inspected);
    zhashx_destroy(&s.reasons);
    return rc;
}

/* ---- records (the records themselves) ------------------------------------- */

#define RECORDS_BYTES (2 * 1024 * 1024)

typedef struct {
    const char *community, *text;
    int64_t offset, limit, matched;
    size_t bytes;
    bool full;
    sl_rtable_t *t;
    int fields[SL_MAX_FIELDS];
    size_t nfields;
} rec_t;

static int s_rec_cb(void *ctx, const central_report_row_t *row)
{
    rctx_t *c = ctx;
    rec_t *r = c->pass;
    const site_t *site = s_site(c, row->site_no);
    if (r->community && (!site || strcmp(site->community, r->community) != 0))
        return 0;
    if (s_item(c, row))
        return -1;
    sl_item_t *it = c->it;
    if (r->text) {
        char all[8192];
        sl_schema_render(c->rt, c->pay, c->pay_len, all, sizeof all);
        if (!strstr(all, r->text))
            return 0;
    }
    if (r->matched++ < r->offset || r->full || (int64_t) r->t->nrows >= r->limit)
        return 0;
    char b[SL_REPORT_MAX_COLS][SL_MAX_TEXT_BYTES + 1];
    const char *cells[SL_REPORT_MAX_COLS];
    size_t n = 0;
    for (size_t i = 0; i < SL_REPORT_MAX_COLS; i++)
        cells[i] = b[i];
    snprintf(b[n++], sizeof b[0], "%s", site ? site->site_id : "?");
    snprintf(b[n++], sizeof b[0], "%s", s_site_comm_name(c, row->site_no));
    snprintf(b[n++], sizeof b[0], "%llu", (unsigned long long) it->seq);
    for (size_t i = 0; i < r->nfields; i++) {
        const sl_field_t *f = &c->rt->fields[r->fields[i]];
        const sl_value_t *v = &s_view(c)->v[r->fields[i]];
        if (f->type == SL_F_ENUM && v->present) {
            char name[64], label[128], val[64];
            snprintf(val, sizeof val, "%.*s", (int) (v->len < 63 ? v->len : 63), v->s);
            snprintf(b[n], sizeof b[0], "%s", val);
            for (size_t k = 0; sl_schema_choice(f, k, name, sizeof name, label, sizeof label); k++)
                if (s_is(name, val))
                    sl_epair(b[n], sizeof b[0], label, name);   /* "已完成", or "done" */
        } else {
            sl_view_text(s_view(c), f->name, b[n], sizeof b[0]);
        }
        n++;
    }
    char sname[32], slabel[64];
    sl_fold_status_name(it, it->status, sname, sizeof sname, slabel, sizeof slabel);
    sl_epair(b[n++], sizeof b[0], slabel, sname);
    snprintf(b[n++], sizeof b[0], "%s", s_resp_unit(c, it));
    snprintf(b[n++], sizeof b[0], "%s", it->member);
    if (it->ratings)
        snprintf(b[n++], sizeof b[0], "%d", it->stars);
    else
        b[n++][0] = 0;
    snprintf(b[n++], sizeof b[0], "%s", it->corrected ? "1" : "0");
    snprintf(b[n++], sizeof b[0], "%s", it->voided ? "1" : "0");
    time_t t = (time_t) (row->recv_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(b[n++], sizeof b[0], "%Y-%m-%d %H:%M:%S", &tm);
    if (s_is(c->rt->name, "party_lecture")) {
        char speaker[SL_FOLD_KEY_CAP];
        s_v(c, "speaker", speaker, sizeof speaker);
        unit_t *u = s_unit(c, it->unit);
        const char *sec = u ? sl_tally_secretary_at(u->secs, u->nsecs, it->on) : NULL;
        snprintf(b[n++], sizeof b[0], "%s", sec && s_is(sec, speaker) ? "1" : "0");
    }
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(b[i]) + 5;
    if (r->bytes + bytes > RECORDS_BYTES) {
        r->full = true;
        return 0;
    }
    r->bytes += bytes;
    return sl_rtable_row(r->t, cells) ? s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory") : 0;
}

static int s_records(rctx_t *c, const sl_rtype_t *rt, const char *community, const char *unit,
                     const char *status, int32_t from, int32_t to, const char *text,
                     int64_t offset, int64_t limit)
{
    rec_t r = { .community = community, .text = text, .offset = offset, .limit = limit };
    char title[200];
    sl_dpair(title, sizeof title, rt->label, rt->name);
    r.t = sl_report_table(c->rep, "records", title, SL_RS_ROWS, 0);
    sl_rtable_col(r.t, "site", SL_D("站点", "site"), SL_RC_TEXT);
    sl_rtable_col(r.t, "site_community", SL_D("站点社区", "site's community"), SL_RC_TEXT);
    sl_rtable_col(r.t, "seq", SL_D("序号", "seq"), SL_RC_INT);
    for (size_t i = 0; i < rt->nfields && r.nfields + 11 < SL_REPORT_MAX_COLS; i++) {
        const sl_field_t *f = &rt->fields[i];
        if (rt->life && s_is(f->name, "status"))
            continue;           /* the status column below is the fold's */
        char label[200];
        sl_dpair(label, sizeof label, f->label, f->name);
        sl_rtable_col(r.t, f->name, label, f->type == SL_F_INT ? SL_RC_INT
                      : f->type == SL_F_DATE ? SL_RC_DATE : SL_RC_TEXT);
        r.fields[r.nfields++] = (int) i;
    }
    sl_rtable_col(r.t, "state", SL_D("状态", "status"), SL_RC_TEXT);
    sl_rtable_col(r.t, "responsible_unit", SL_D("责任单位", "unit"), SL_RC_TEXT);
    sl_rtable_col(r.t, "responsible_member", SL_D("责任党员", "member"), SL_RC_TEXT);
    sl_rtable_col(r.t, "stars", SL_D("评价", "stars"), SL_RC_INT);
    sl_rtable_col(r.t, "corrected", SL_D("已更正", "corrected"), SL_RC_BOOL);
    sl_rtable_col(r.t, "voided", SL_D("已作废", "void"), SL_RC_BOOL);
    sl_rtable_col(r.t, "received", SL_D("收到时间", "received"), SL_RC_TEXT);
    if (s_is(rt->name, "party_lecture"))
        sl_rtable_col(r.t, "by_secretary", SL_D("书记讲课", "by the secretary"), SL_RC_BOOL);
    c->pass = &r;
    s_pass_type(c, rt);
    c->fn = s_rec_cb;
    c->with_voided = true;
    if (central_store_report_items(c->store, rt, unit, status, from, to, true, s_row_cb, c))
        return c->code ? -1 : s_fail(c, SL_E_INTERNAL, NULL, "不能读取事项", "cannot read the items");
    s_page(c, r.matched, offset, r.t->nrows);
    return 0;
}

/* ---- frozen months ------------------------------------------------------------ */

static int s_pack_report(const sl_report_t *r, msgpack_sbuffer *out)
{
    uint32_t w;
    char **cells;
    size_t n;
    if (sl_report_encode(r, &w, &cells, &n))
        return -1;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, (uint32_t) n + 1);
    msgpack_pack_uint32(&pk, w);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_str_with_body(&pk, cells[i], strlen(cells[i]));
        free(cells[i]);
    }
    free(cells);
    return 0;
}

static sl_report_t *s_unpack_report(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    sl_report_t *r = NULL;
    if (sl_mp_unpack(data, len, &zone, &o, err, errlen) == 0 && o.type == MSGPACK_OBJECT_ARRAY
        && o.via.array.size >= 2 && o.via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && o.via.array.ptr[0].via.u64 <= SL_REPORT_MAX_COLS + 1) {
        size_t n = o.via.array.size - 1;
        const char **cells = calloc(n, sizeof *cells);
        size_t *lens = calloc(n, sizeof *lens);
        bool ok = cells && lens;
        for (size_t i = 0; ok && i < n; i++) {
            const msgpack_object *c = &o.via.array.ptr[i + 1];
            ok = c->type == MSGPACK_OBJECT_STR;
            if (ok) {
                cells[i] = c->via.str.ptr;
                lens[i] = c->via.str.size;
            }
        }
        if (ok)
            r = sl_report_decode((uint32_t) o.via.array.ptr[0].via.u64, cells, lens, n, err,
                                 errlen);
        else
            snprintf(err, errlen, "not an array of text cells");
        free(cells);
        free(lens);
    } else if (!*err) {
        snprintf(err, errlen, "not an array of text cells");
    }
    msgpack_zone_destroy(&zone);
    return r;
}

static void s_ms_text(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Records received after the cut-off that may change the live figures of
 * the month: dated in the year up to the month's end (an item of a
 * lifecycle: up to its end), or corrections and voids, which may change any
 * figure. */
typedef struct {
    int32_t from, to;
    sl_rtable_t *t;
    rctx_t *c;
} late_t;

static int s_late_cb(void *ctx, int64_t site_no, uint64_t seq, const sl_rtype_t *rt,
                     const uint8_t *payload, size_t len, int64_t recv_ms)
{
    late_t *l = ctx;
    if (rt->role == SL_ROLE_CHECKIN || rt->role == SL_ROLE_CHECKOUT || rt->role == SL_ROLE_RATING)
        return 0;           /* no figure of the dispatch reads them */
    sl_view_t v;
    char why[300], text[2000];
    if (sl_schema_view(rt, payload, len, &v, why, sizeof why))
        return 0;
    int f = sl_schema_field_index(rt, "on");
    int32_t on = f >= 0 && v.v[f].present ? (int32_t) v.v[f].i : 0;
    bool counts = rt->role == SL_ROLE_CORRECTION || rt->role == SL_ROLE_VOID
                  || (on && on <= l->to && (on >= l->from || rt->life
                                            || s_is(rt->name, "talent")));
    if (!counts)
        return 0;
    const site_t *s = s_site(l->c, site_no);
    char seqs[32], date[11], recv[32];
    snprintf(seqs, sizeof seqs, "%llu", (unsigned long long) seq);
    s_date_text(on, date);
    s_ms_text(recv_ms, recv, sizeof recv);
    sl_schema_render(rt, payload, len, text, sizeof text);
    const char *cells[7] = { s ? s->site_id : "?", s_site_comm_name(l->c, site_no), seqs, rt->name,
                             date, recv, text };
    return sl_rtable_row(l->t, cells);
}

static void s_group(sl_report_t *r, size_t from, const char *group)
{
    for (size_t i = from; i < r->ntables; i++)
        sl_rtable_group(r->tables[i], group);
}

/* Moves the tables of `src` to the end of `dst`. */
static int s_adopt(sl_report_t *dst, sl_report_t *src)
{
    sl_rtable_t **grown = realloc(dst->tables, (dst->ntables + src->ntables) * sizeof *grown);
    if (!grown)
        return -1;
    dst->tables = grown;
    memcpy(dst->tables + dst->ntables, src->tables, src->ntables * sizeof *grown);
    dst->ntables += src->ntables;
    src->ntables = 0;
    return 0;
}

/* ---- arguments and the run --------------------------------------------------- */

static const report_kind_t s_kinds[] = {
    { "dispatch", SL_D("每月调度", "monthly dispatch"), "month [freeze|live]" },
    { "five", SL_D("五个一", "the five tasks"), "year" },
    { "loop", SL_D("闭环办理", "closed loop"), "from to [by]" },
    { "points", SL_D("积分与黄牌", "points and yellow cards"), "year" },
    { "volunteers", SL_D("志愿服务", "volunteer service"), "year | from to" },
    { "talent", SL_D("人才超市", "talent supermarket"), "year" },
    { "facilities", SL_D("阵地与队伍", "facilities and workers"), "" },
    { "supervision", SL_D("督查与约谈提醒", "supervision"), "half" },
    { "records", SL_D("记录浏览", "records"), "type [community unit status from to text limit offset]" },
};

size_t report_count(void) { return sizeof s_kinds / sizeof s_kinds[0]; }
const report_kind_t *report_at(size_t i) { return i < report_count() ? &s_kinds[i] : NULL; }

typedef struct {
    const sl_arg_t *args;
    size_t n;
    rctx_t *c;
} argv_t;

/* Argument `name` as text in buf: 1 given, 0 absent, -1 refused. */
static int s_arg(argv_t *a, const char *name, char *buf, size_t cap)
{
    size_t len = strlen(name);
    buf[0] = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->args[i].key_len != len || memcmp(a->args[i].key, name, len) != 0)
            continue;
        if (a->args[i].value_len >= cap || !sl_utf8_valid(a->args[i].value, a->args[i].value_len)
            || memchr(a->args[i].value, 0, a->args[i].value_len))
            return s_fail(a->c, SL_E_BAD_FIELD, name, "参数 %s 太长或不是文本",
                          "argument %s is too long or not text", name);
        memcpy(buf, a->args[i].value, a->args[i].value_len);
        buf[a->args[i].value_len] = 0;
        return *buf ? 1 : 0;
    }
    return 0;
}

static int s_arg_date(argv_t *a, const char *name, int32_t *out, bool required)
{
    char buf[64];
    int has = s_arg(a, name, buf, sizeof buf);
    if (has < 0)
        return -1;
    if (!has) {
        if (required)
            return s_fail(a->c, SL_E_BAD_FIELD, name, "需要 --%s YYYY-MM-DD",
                          "--%s YYYY-MM-DD is required", name);
        return 0;
    }
    long d = sl_schema_date(buf, strlen(buf));
    if (d < 19000101)
        return s_fail(a->c, SL_E_BAD_FIELD, name, "--%s \"%s\" 不是日期 YYYY-MM-DD",
                      "--%s \"%s\" is not a date YYYY-MM-DD", name, buf);
    *out = (int32_t) d;
    return 0;
}

static int s_arg_year(argv_t *a, int *year)
{
    char buf[16];
    int has = s_arg(a, "year", buf, sizeof buf);
    if (has < 0)
        return -1;
    *year = (int) (s_today() / 10000);
    if (!has)
        return 0;
    char *end;
    long y = strtol(buf, &end, 10);
    if (*end || y < 2000 || y > 2099)
        return s_fail(a->c, SL_E_BAD_FIELD, "year", "--year \"%s\" 须为 2000..2099 的年份",
                      "--year \"%s\" must be a year 2000..2099", buf);
    *year = (int) y;
    return 0;
}

static int s_arg_long(argv_t *a, const char *name, int64_t def, int64_t max, int64_t *out)
{
    char buf[32];
    int has = s_arg(a, name, buf, sizeof buf);
    *out = def;
    if (has <= 0)
        return has;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end || v < 0 || v > max)
        return s_fail(a->c, SL_E_BAD_FIELD, name, "--%s 须为 0..%lld 的整数",
                      "--%s must be a whole number 0..%lld", name, (long long) max);
    *out = v;
    return 0;
}

static int s_run_dispatch(rctx_t *c, argv_t *a, sl_report_t **out)
{
    char month[16], flag[8];
    int has = s_arg(a, "month", month, sizeof month);
    int y = 0, m = 0, used = 0;
    if (has < 0)
        return -1;
    if (!has || sscanf(month, "%4d-%2d%n", &y, &m, &used) != 2 || month[used] || y < 2000
        || y > 2099 || m < 1 || m > 12 || strlen(month) != 7)
        return s_fail(c, SL_E_BAD_FIELD, "month", "需要 --month YYYY-MM（如 2025-03）",
                      "--month YYYY-MM is required (e.g. 2025-03)");
    bool freeze = s_arg(a, "freeze", flag, sizeof flag) > 0;
    bool live = s_arg(a, "live", flag, sizeof flag) > 0;
    if (freeze && live)
        return s_fail(c, SL_E_BAD_FIELD, "live", "--freeze 与 --live 不能同时使用",
                      "--freeze and --live exclude each other");
    central_frozen_t fz;
    int frozen = central_store_frozen_get(c->store, month, &fz);
    if (frozen < 0)
        return s_fail(c, SL_E_INTERNAL, NULL, "不能读取 %s 的冻结数", "cannot read the frozen figures of %s",
                      month);
    char title[120];
    snprintf(title, sizeof title, SL_D("每月调度", "monthly dispatch") " %s", month);
    if (frozen && !live) {
        /* byte for byte what was frozen, whatever arrived since */
        char why[300] = "";
        *out = s_unpack_report(fz.cells, fz.len, why, sizeof why);
        free(fz.cells);
        if (!*out)
            return s_fail(c, SL_E_INTERNAL, NULL, "%s 的冻结数已损坏：%s",
                          "the frozen figures of %s are damaged: %s", month, why);
        return 0;
    }
    if (!frozen && live) {
        return s_fail(c, SL_E_BAD_FIELD, "live", "%s 没有冻结：不加 --live 即为实时数",
                      "%s is not frozen: without --live its figures are computed live", month);
    }
    if (freeze && s_today() <= sl_report_month_end(y, m))
        return s_fail(c, SL_E_BAD_FIELD, "freeze", "%s 还没有结束（服务器日期 %ld）：月底之后才能冻结",
                      "%s has not ended on the server's clock (today is %ld): a month is frozen "
                      "after its last day", month, s_today());
    c->rep = sl_report_new("dispatch", title);
    if (!c->rep)
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    int64_t recv_cut = central_store_recv_max(c->store);
    uint64_t lseq_cut = central_store_log_head(c->store);
    if (s_dispatch(c, y, m)) {
        if (frozen)
            free(fz.cells);
        return c->code ? -1 : s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    }
    sl_rtable_t *basis = sl_report_find(c->rep, "basis", NULL);
    char when[32], cut[32], lseq[32];
    if (freeze) {
        s_ms_text(sl_now_ms(), when, sizeof when);
        s_ms_text(recv_cut, cut, sizeof cut);
        s_i64(lseq, sizeof lseq, (int64_t) lseq_cut);
        sl_report_fig_text(basis, "state", SL_D("状态", "state"), SL_RC_TEXT, SL_D("已冻结", "frozen"));
        sl_report_fig_text(basis, "frozen_at", SL_D("冻结时间", "frozen at"), SL_RC_TEXT, when);
        sl_report_fig_text(basis, "recv_cutoff", SL_D("收到截止", "records received up to"), SL_RC_TEXT,
                           recv_cut ? cut : "—");
        sl_report_fig_text(basis, "lseq_cutoff", SL_D("参考数据截止", "reference data up to server log #"),
                           SL_RC_INT, lseq);
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        central_frozen_t put = { sl_now_ms(), recv_cut, lseq_cut, NULL, 0 };
        int stored = -1;
        if (s_pack_report(c->rep, &buf) == 0) {
            put.cells = (uint8_t *) buf.data;
            put.len = buf.size;
            /* the figures were read in one snapshot; the write is its own */
            sqlite3 *db = central_store_db(c->store);
            sl_db_exec(db, "COMMIT");
            stored = central_store_frozen_put(c->store, month, &put);
            sl_db_exec(db, "BEGIN");
        }
        if (stored < 0) {
            msgpack_sbuffer_destroy(&buf);
            return s_fail(c, SL_E_INTERNAL, NULL, "不能保存 %s 的冻结数", "cannot store the frozen figures of %s",
                          month);
        }
        /* What is printed is what was stored (a freeze that lost a race
         * prints the figures frozen first). */
        char why[300] = "";
        sl_report_destroy(&c->rep);
        if (stored == 0) {
            central_frozen_t again;
            if (central_store_frozen_get(c->store, month, &again) == 1) {
                c->rep = s_unpack_report(again.cells, again.len, why, sizeof why);
                free(again.cells);
            }
        } else {
            c->rep = s_unpack_report((const uint8_t *) buf.data, buf.size, why, sizeof why);
        }
        msgpack_sbuffer_destroy(&buf);
        if (!c->rep)
            return s_fail(c, SL_E_INTERNAL, NULL, "不能读回冻结数：%s", "cannot read back the frozen figures: %s",
                          why);
        *out = c->rep;
        c->rep = NULL;
        return 0;
    }
    if (!frozen) {
        sl_report_fig_text(basis, "state", SL_D("状态", "state"), SL_RC_TEXT, SL_D("实时计算（未冻结）",
                                                                    "live, not frozen"));
        *out = c->rep;
        c->rep = NULL;
        return 0;
    }
    /* --live on a frozen month: F, L and the late records */
    sl_report_fig_text(basis, "state", SL_D("状态", "state"), SL_RC_TEXT, SL_D("实时计算", "live"));
    char why[300] = "";
    sl_report_t *f = s_unpack_report(fz.cells, fz.len, why, sizeof why);
    int64_t cutoff = fz.recv_cutoff_ms;
    free(fz.cells);
    if (!f)
        return s_fail(c, SL_E_INTERNAL, NULL, "%s 的冻结数已损坏：%s",
                      "the frozen figures of %s are damaged: %s", month, why);
    sl_report_t *all = sl_report_new("dispatch", title);
    if (!all) {
        sl_report_destroy(&f);
        return s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
    }
    s_group(f, 0, "frozen");
    s_group(c->rep, 0, "live");
    int rc = s_adopt(all, f) || s_adopt(all, c->rep) ? -1 : 0;
    sl_report_destroy(&f);
    sl_report_destroy(&c->rep);
    late_t l = { y * 10000 + 101, (int32_t) sl_report_month_end(y, m), NULL, c };
    l.t = sl_report_table(all, "late", SL_D("冻结后收到的记录", "records received after the cut-off"),
                          SL_RS_ROWS, 0);
    sl_rtable_col(l.t, "site", SL_D("站点", "site"), SL_RC_TEXT);
    sl_rtable_col(l.t, "community", SL_D("社区", "community"), SL_RC_TEXT);
    sl_rtable_col(l.t, "seq", SL_D("序号", "seq"), SL_RC_INT);
    sl_rtable_col(l.t, "type", SL_D("类型", "type"), SL_RC_TEXT);
    sl_rtable_col(l.t, "on", SL_D("日期", "date"), SL_RC_DATE);
    sl_rtable_col(l.t, "received", SL_D("收到时间", "received"), SL_RC_TEXT);
    sl_rtable_col(l.t, "record", SL_D("内容", "record"), SL_RC_TEXT);
    if (rc == 0 && central_store_late_each(c->store, cutoff, 20000, s_late_cb, &l))
        rc = -1;
    if (rc || all->failed) {
        sl_report_destroy(&all);
        return c->code ? -1 : s_fail(c, SL_E_INTERNAL, NULL, "不能读取迟到的记录", "cannot read the late records");
    }
    *out = all;
    return 0;
}

int report_run(central_store_t *store, const char *name, const sl_arg_t *args, size_t nargs,
               sl_report_t **out, char *err, size_t errlen, const char **field)
{
    rctx_t ctx = { .store = store, .err = err, .errlen = errlen };
    rctx_t *c = &ctx;
    argv_t a = { args, nargs, c };
    *out = NULL;
    err[0] = 0;
    *field = NULL;
    const report_kind_t *k = NULL;
    for (size_t i = 0; i < report_count() && !k; i++)
        if (s_is(s_kinds[i].name, name))
            k = &s_kinds[i];
    if (!k) {
        snprintf(err, errlen, SL_D("未知的报表", "unknown report") " \"%s\"", name);
        *field = "report";
        return SL_E_BAD_FIELD;
    }
    /* One read transaction: every table of a report sees the same data.
     * Reads through a memory map: a report reads most of the store's pages
     * once, and copying each through read() costs more than the figures. */
    sqlite3 *db = central_store_db(store);
    sl_db_exec(db, "PRAGMA mmap_size = 4294967296");
    if (central_store_read_begin(store)) {
        snprintf(err, errlen, "cannot start a read transaction");
        return SL_E_INTERNAL;
    }
    int rc = s_load(c);
    char title[300], pair[200];
    if (rc == 0 && s_is(name, "dispatch")) {
        rc = s_run_dispatch(c, &a, out);
    } else if (rc == 0) {
        int year = 0;
        int32_t from = 0, to = 0;
        char by[32] = "", half[16] = "", type[SL_MAX_NAME_BYTES + 1] = "";
        if (s_is(name, "five") || s_is(name, "points") || s_is(name, "talent")
            || s_is(name, "volunteers"))
            rc = s_arg_year(&a, &year);
        if (rc == 0 && (s_is(name, "loop") || s_is(name, "volunteers") || s_is(name, "records"))) {
            bool need = s_is(name, "loop");
            rc = s_arg_date(&a, "from", &from, need) || s_arg_date(&a, "to", &to, need) ? -1 : 0;
            if (rc == 0 && from && to && from > to)
                rc = s_fail(c, SL_E_BAD_FIELD, "to", "--to 早于 --from", "--to is before --from");
            if (rc == 0 && s_is(name, "volunteers") && !from && !to) {
                from = year * 10000 + 101;
                to = year * 10000 + 1231;
            }
        }
        if (rc == 0 && s_is(name, "loop") && s_arg(&a, "by", by, sizeof by) < 0)
            rc = -1;
        if (rc == 0 && *by && !s_is(by, "unit") && !s_is(by, "community") && !s_is(by, "month"))
            rc = s_fail(c, SL_E_BAD_FIELD, "by", "--by 须为 unit、community 或 month",
                        "--by must be unit, community or month");
        int hy = 0, hh = 0, used = 0;
        if (rc == 0 && s_is(name, "supervision")) {
            int has = s_arg(&a, "half", half, sizeof half);
            if (has < 0)
                rc = -1;
            else if (!has || sscanf(half, "%4d-%1d%n", &hy, &hh, &used) != 2 || half[used]
                     || hy < 2000 || hy > 2099 || hh < 1 || hh > 2)
                rc = s_fail(c, SL_E_BAD_FIELD, "half", "需要 --half YYYY-1（上半年）或 YYYY-2（下半年）",
                            "--half YYYY-1 (January to June) or YYYY-2 (July to December) is "
                            "required");
        }
        const sl_rtype_t *rt = NULL;
        if (rc == 0 && s_is(name, "records")) {
            int has = s_arg(&a, "type", type, sizeof type);
            rt = has > 0 ? sl_schema_find_entry(type) : NULL;
            if (has >= 0 && (!rt || (rt->role != SL_ROLE_FACT && rt->role != SL_ROLE_CHECKIN
                                     && rt->role != SL_ROLE_CHECKOUT)))
                rc = s_fail(c, SL_E_BAD_FIELD, "type", "需要记录类型 TYPE（事项类型，如 problem_report、"
                            "service_matter；进展、评价、更正、作废随其事项显示）", "a record type is required "
                            "(an item type; updates, ratings, corrections and voids show with "
                            "their item)");
            else if (has < 0)
                rc = -1;
        }
        if (rc == 0) {
            if (s_is(name, "five"))
                snprintf(title, sizeof title, SL_D("五个一", "the five tasks") " %d", year);
            else if (s_is(name, "loop"))
                snprintf(title, sizeof title, SL_D("闭环办理", "closed loop")
                         " %04d-%02d-%02d..%04d-%02d-%02d",
                         from / 10000, from / 100 % 100, from % 100, to / 10000, to / 100 % 100,
                         to % 100);
            else if (s_is(name, "points"))
                snprintf(title, sizeof title, SL_D("积分与黄牌", "points and yellow cards") " %d",
                         year);
            else if (s_is(name, "volunteers"))
                snprintf(title, sizeof title, SL_D("志愿服务", "volunteers")
                         " %04d-%02d-%02d..%04d-%02d-%02d",
                         from / 10000, from / 100 % 100, from % 100, to / 10000, to / 100 % 100,
                         to % 100);
            else if (s_is(name, "talent"))
                snprintf(title, sizeof title, SL_D("人才超市", "talent") " %d", year);
            else if (s_is(name, "supervision"))
                snprintf(title, sizeof title, SL_D("督查", "supervision") " %d %s", hy,
                         hh == 1 ? SL_D("上半年", "H1") : SL_D("下半年", "H2"));
            else if (s_is(name, "records") && sl_dpair(pair, sizeof pair, rt->label, rt->name))
                snprintf(title, sizeof title, SL_D("记录", "records") ": %s", pair);
            else
                snprintf(title, sizeof title, "%s", k->label);
            c->rep = sl_report_new(name, title);
            if (!c->rep)
                rc = s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        }
        if (rc == 0) {
            if (s_is(name, "five")) {
                zhashx_t *stats = s_five(c, year * 10000 + 101, year * 10000 + 1231, NULL);
                int64_t complete, met, req;
                if (!stats)
                    rc = -1;
                else
                    s_five_table(c, stats, year, "units", SL_D("五个一完成情况", "the five tasks by unit"), 0,
                                 &complete, &met, &req);
                zhashx_destroy(&stats);
            } else if (s_is(name, "loop")) {
                rc = s_loop(c, from, to, by[0] == 'u' ? 'u' : by[0] == 'c' ? 'c' : by[0] ? 'm' : 0);
            } else if (s_is(name, "points")) {
                char unit[SL_MAX_NAME_BYTES + 1];
                int64_t offset, limit;
                rc = s_arg(&a, "unit", unit, sizeof unit) < 0
                     || s_arg_long(&a, "offset", 0, INT32_MAX, &offset) < 0
                     || s_arg_long(&a, "limit", 500, 5000, &limit) < 0 ? -1 : 0;
                if (rc == 0)
                    rc = s_points(c, year, *unit ? unit : NULL, offset, limit);
            } else if (s_is(name, "volunteers")) {
                rc = s_volunteers(c, from, to);
            } else if (s_is(name, "talent")) {
                rc = s_talent(c, year);
            } else if (s_is(name, "facilities")) {
                rc = s_facilities(c);
            } else if (s_is(name, "supervision")) {
                rc = s_supervision(c, hy, hh);
            } else {
                char community[SL_MAX_NAME_BYTES + 1], unit[SL_MAX_NAME_BYTES + 1];
                char status[64], text[SL_MAX_TEXT_BYTES + 1];
                int64_t offset, limit;
                rc = s_arg(&a, "community", community, sizeof community) < 0
                     || s_arg(&a, "unit", unit, sizeof unit) < 0
                     || s_arg(&a, "status", status, sizeof status) < 0
                     || s_arg(&a, "text", text, sizeof text) < 0
                     || s_arg_long(&a, "offset", 0, INT32_MAX, &offset) < 0
                     || s_arg_long(&a, "limit", 200, 2000, &limit) < 0 ? -1 : 0;
                if (rc == 0 && *status && rt->life) {
                    int si = sl_schema_status(rt->life, status, strlen(status));
                    if (si < 0)
                        rc = s_fail(c, SL_E_BAD_FIELD, "status", "%s没有状态「%s」", "%s has no status \"%s\"",
                                    S_TYPE(rt), status);
                    else
                        sl_schema_part(rt->life->statuses, (size_t) si, status, sizeof status);
                }
                if (rc == 0)
                    rc = s_records(c, rt, *community ? community : NULL, *unit ? unit : NULL,
                                   *status ? status : NULL, from, to, *text ? text : NULL, offset,
                                   limit);
            }
        }
        if (rc == 0 && c->rep && c->rep->failed)
            rc = s_fail(c, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        if (rc == 0) {
            *out = c->rep;
            c->rep = NULL;
        }
    }
    sl_db_exec(db, rc ? "ROLLBACK" : "COMMIT");
    sl_report_destroy(&c->rep);
    s_ctx_free(c);
    if (rc) {
        sl_report_destroy(out);
        *field = c->field;
        return c->code ? c->code : SL_E_INTERNAL;
    }
    return 0;
}
