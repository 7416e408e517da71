/* site_entry.c: records entered at a community site (see site_entry.h).
 *
 * Text in, a saved record or a sentence out.  The order for one record:
 * "#SEQ" resolved to an id, the payload built through the schema table
 * (types, ranges, choices, this site's records and reference data), then
 * the store saves it, which runs the fold (lifecycle moves, one rating per
 * closure, check-ins) inside the same transaction. */
#include "site_entry.h"
#include "sl_csv.h"
#include "sl_hlc.h"
#include "sl_refkinds.h"
#include "sl_id.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include "sl_log.h"
#include <czmq.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A field's Chinese label in brackets, shown to a reader of Chinese only
 * (dual: "（标题）" and nothing), to format after its wire name. */
static const char *s_field_label(const sl_field_t *f)
{
    static _Thread_local char buf[300];
    char zh[200];
    snprintf(zh, sizeof zh, "（%s）", f->label);
    sl_dpair(buf, sizeof buf, zh, "");
    return buf;
}

const sl_rtype_t *site_entry_type(const char *name, char *err, size_t errlen)

{
    const sl_rtype_t *rt = sl_schema_find_entry(name);
    if (!rt) {
        size_t used = sl_tf(err, errlen, "没有记录类型 \"%s\"；类型有：",
                            "unknown record type \"%s\"; types are:", name);
        /* The types a person may enter (not those the program writes). */
        for (size_t i = 0, k = 0; i < sl_schema_count() && used + 1 < errlen; i++)
            if (!sl_schema_at(i)->internal) {
                used += (size_t) snprintf(err + used, errlen - used, "%s ", k++ ? "," : "");
                if (used < errlen)
                    used += sl_tpair(err + used, errlen - used, sl_schema_at(i)->label,
                                     sl_schema_at(i)->name);
            }
    }
    return rt;
}

/* Records the program writes itself (a command's result) are never typed:
 * true after writing the refusal. */
static bool s_internal(const sl_rtype_t *rt, char *err, size_t errlen)
{
    if (rt->internal)
        sl_tf(err, errlen, "%s（%s）由程序自动生成，不能手工录入%.0s",
              "%.0s%.0s%s records are written by the program itself (results of the district's "
              "commands), not entered by hand", rt->label, rt->name, rt->name);
    return rt->internal;
}

/* What entry rewrites before the schema reads the values: record ids for
 * "#12", reference codes for names, a correction's field and value in
 * their canonical forms. */
typedef struct {
    char ids[SL_MAX_FIELDS][SL_ID_TEXT];
    char keys[SL_MAX_FIELDS][SL_MAX_NAME_BYTES + 1];
    char field[SL_MAX_NAME_BYTES + 1];
    char value[SL_MAX_TEXT_BYTES + 1];
} entry_texts_t;

/* "#12" (or "＃１２") in a record-id field (add, or a CSV column) stands for
 * the id of this site's record 12: rewrites values[k] to point at the id
 * text.  Other fields keep '#' as typed.  0, or -1 with a sentence. */
static int s_resolve_seq_refs(site_store_t *store, const sl_rtype_t *rt, size_t n,
                              const char *const *names, const char **values, entry_texts_t *t,
                              char *err, size_t errlen)
{
    for (size_t k = 0; k < n; k++) {
        const sl_field_t *f = sl_schema_field_entry(rt, names[k]);
        char half[64];
        if (!f || f->type != SL_F_ITEM
            || sl_schema_entry_value(f, values[k], strlen(values[k]), 0, t->ids[k],
                                     sizeof t->ids[k], err, errlen, NULL) <= 0
            || sl_schema_halfwidth(t->ids[k], strlen(t->ids[k]), half, sizeof half) < 1
            || half[0] != '#')
            continue;       /* an id, or a value too long for one: the schema says so */
        char *end;
        long seq = strtol(half + 1, &end, 10);
        uint8_t id[SL_ID_BYTES];
        if (*end || end == half + 1 || seq < 1 || site_store_id_of(store, (uint64_t) seq, id)) {
            sl_tf(err, errlen, "%s=%s：本站点没有记录 %s（见 record list）",
                  "%s=%s: this site has no record %s (see record list)", names[k], half, half);
            return -1;
        }
        sl_id_format(id, t->ids[k]);
        values[k] = t->ids[k];
    }
    return 0;
}

/* The name people know a reference entry by: its first field (name, or a
 * title); "" when it has none. */
static void s_ref_name(const char *kind, const char *value, size_t len, char *out, size_t cap)
{
    const sl_refkind_t *k = sl_refkind_find(kind);
    out[0] = 0;
    if (!k || !k->nfields || sl_refvalue_field(value, len, k->fields[0].name, out, cap) != 1)
        out[0] = 0;
}

typedef struct {
    const char *name;
    int found;
    char key[SL_MAX_NAME_BYTES + 1];
    char keys[400];             /* the codes of every entry with that name, for a refusal */
} ref_by_name_t;

static int s_ref_by_name(void *ctx, const char *kind, const char *key, const char *value,
                         size_t len, uint64_t lseq)
{
    ref_by_name_t *x = ctx;
    char name[SL_MAX_TEXT_BYTES + 1];
    (void) lseq;
    s_ref_name(kind, value, len, name, sizeof name);
    if (strcmp(name, x->name) != 0)
        return 0;
    if (x->found++ == 0)
        snprintf(x->key, sizeof x->key, "%s", key);
    size_t used = strlen(x->keys);
    snprintf(x->keys + used, sizeof x->keys - used, "%s%s", used ? " " : "", key);
    return 0;
}

/* A reference given by its name ("区委办") instead of its code ("u1"): the
 * code when exactly one entry of the kind this site holds has that name,
 * written to key (cap bytes).  1 rewritten, 0 left as typed (a code, or
 * nothing to look up), -1 with a sentence when no entry has that code or
 * name, or several have that name. */
static int s_ref_code(site_store_t *store, const sl_field_t *f, const char *value, char *key,
                      size_t cap, char *err, size_t errlen)
{
    char text[SL_MAX_TEXT_BYTES + 1], found[SL_MAX_TEXT_BYTES + 1];
    if (sl_schema_entry_value(f, value, strlen(value), 0, text, sizeof text, err, errlen,
                              NULL) <= 0
        || site_store_ref_get(store, f->choices, text, found, sizeof found) != 0)
        return 0;
    ref_by_name_t x = { .name = text };
    if (site_store_ref_each(store, f->choices, s_ref_by_name, &x) < 0)
        return 0;               /* the schema's lookup says it cannot read them */
    if (x.found == 0) {
        const sl_refkind_t *k = sl_refkind_find(f->choices);
        char kind[200];
        sl_dpair(kind, sizeof kind, k ? k->label : f->choices, f->choices);
        sl_tf(err, errlen, "字段 \"%s\"%s 是 \"%s\"：本站点的参考数据中没有这个代码或名称的%s（用 ref list %s "
              "查看；区里刚发布的要先同步）", "field \"%s\"%s is \"%s\": no %s has this code or name "
              "in this site's reference data (see ref list %s; sync first for new entries)",
              f->name, s_field_label(f), text, kind, f->choices);
        return -1;
    }
    if (x.found > 1) {
        char kind[200];
        sl_dpair(kind, sizeof kind, f->label, f->choices);
        sl_tf(err, errlen, "字段 \"%s\"%s 是 \"%s\"：参考数据中有 %d 个叫这个名字的%s（%s），请写代码",
              "field \"%s\"%s is \"%s\": %d %s entries have this name (%s); give the code",
              f->name, s_field_label(f), text, x.found, kind, x.keys);
        return -1;
    }
    snprintf(key, cap, "%s", x.key);
    return 1;
}

static int s_resolve_ref_names(site_store_t *store, const sl_rtype_t *rt, size_t n,
                               const char *const *names, const char **values, entry_texts_t *t,
                               char *err, size_t errlen, const char **field)
{
    for (size_t k = 0; k < n; k++) {
        const sl_field_t *f = sl_schema_field_entry(rt, names[k]);
        if (!f || f->type != SL_F_REF)
            continue;
        int rc = s_ref_code(store, f, values[k], t->keys[k], sizeof t->keys[k], err, errlen);
        if (rc < 0) {
            if (field)
                *field = f->name;
            return -1;
        }
        if (rc > 0)
            values[k] = t->keys[k];
    }
    return 0;
}

/* A correction names a field of its item and a new value: both are
 * written in their canonical forms here (the wire name, YYYY-MM-DD, a
 * reference code), so that the record carries what the server's fold
 * applies, and a wrong value is refused now rather than by the fold. */
static int s_canonical_correction(site_store_t *store, const sl_rtype_t *rt, size_t n,
                                  const char *const *names, const char **values,
                                  entry_texts_t *t, char *err, size_t errlen, const char **field)
{
    if (rt->role != SL_ROLE_CORRECTION)
        return 0;
    int item = -1, fname = -1, value = -1;
    for (size_t k = 0; k < n; k++) {
        const sl_field_t *f = sl_schema_field_entry(rt, names[k]);
        const char *wire = f ? f->name : "";
        if (strcmp(wire, "item") == 0)
            item = (int) k;
        else if (strcmp(wire, "field") == 0)
            fname = (int) k;
        else if (strcmp(wire, "value") == 0)
            value = (int) k;
    }
    uint8_t id[SL_ID_BYTES];
    site_record_t rec;
    if (item < 0 || fname < 0 || sl_id_parse(values[item], id)
        || site_store_record(store, id, &rec) != 0 || !rec.rt) {
        if (item >= 0)
            site_store_release(store);
        return 0;               /* the schema or the fold says what is wrong */
    }
    const sl_rtype_t *target = rec.rt;
    site_store_release(store);
    char name[SL_MAX_TEXT_BYTES + 1];
    const sl_field_t *ff = sl_schema_field(rt, "field", 5);
    if (sl_schema_entry_value(ff, values[fname], strlen(values[fname]), 0, name, sizeof name,
                              err, errlen, NULL) <= 0)
        return 0;
    const sl_field_t *f = sl_schema_field_entry(target, name);
    if (!f)
        return 0;
    snprintf(t->field, sizeof t->field, "%s", f->name);
    values[fname] = t->field;
    if (value < 0)
        return 0;
    if (f->type == SL_F_REF) {
        int rc = s_ref_code(store, f, values[value], t->keys[value], sizeof t->keys[value], err,
                            errlen);
        if (rc < 0) {
            if (field)
                *field = "value";
            return -1;
        }
        if (rc > 0)
            values[value] = t->keys[value];
    }
    if (f->type == SL_F_ITEM)
        return 0;               /* the fold refuses a corrected record reference */
    char why[900];
    if (sl_schema_entry_value(f, values[value], strlen(values[value]), sl_schema_today(),
                              t->value, sizeof t->value, why, sizeof why, NULL) < 0) {
        char tname[200];
        sl_dpair(tname, sizeof tname, target->label, target->name);
        size_t used = sl_tf(err, errlen, "字段 \"value\"（新值）不能用于%s的字段 \"%s\"",
                            "field \"value\" does not fit field \"%2$s\" of %1$s", tname, f->name);
        if (used < errlen)
            snprintf(err + used, errlen - used, ": %s", why);

        if (field)
            *field = "value";
        return -1;
    }
    values[value] = t->value;
    return 0;
}

/* One field of a reference entry this site holds ("" when absent). */
static void s_ref_field(site_store_t *store, const char *kind, const char *key,
                        const char *field, char *out, size_t cap)
{
    char value[SL_MAX_TEXT_BYTES + 1];
    out[0] = 0;
    if (site_store_ref_get(store, kind, key, value, sizeof value) == 1
        && sl_refvalue_field(value, strlen(value), field, out, cap) != 1)
        out[0] = 0;
}

/* What is worth saying about a record just saved, from what this site
 * knows (the server decides what counts): a lecture not given by the
 * unit's secretary (非书记), a check-in above the community's cap. */
static void s_warnings(site_store_t *store, const sl_rtype_t *rt, const msgpack_sbuffer *payload,
                       char *out, size_t cap)
{
    sl_view_t v;
    char err[200], a[300], b[300], c[300];
    out[0] = 0;
    if (sl_schema_view(rt, (const uint8_t *) payload->data, payload->size, &v, err, sizeof err))
        return;
    if (strcmp(rt->name, "party_lecture") == 0) {
        sl_view_text(&v, "unit", a, sizeof a);
        sl_view_text(&v, "speaker", b, sizeof b);
        s_ref_field(store, "unit", a, "secretary", c, sizeof c);
        if (!c[0])
            sl_tf(out, cap, "非书记？参考数据中单位 %s 没有书记；区里按书记任职情况判断是否计入“书记讲党课”",
                  "unit %s has no secretary in this site's reference data; the district decides "
                  "whether the lecture counts", a);
        else if (strcmp(b, c) != 0)
            sl_tf(out, cap, "非书记：主讲人 %s 不是单位 %s 的书记（%s），记录已保存，但不计入“书记讲党课”",
                  "not the secretary: %s is not the secretary of %s (%s); saved, not counted as "
                  "the secretary's lecture of the five tasks", b, a, c);
    } else if (rt->role == SL_ROLE_CHECKIN) {
        char community[200];
        site_store_meta(store, "community", community, sizeof community);
        s_ref_field(store, "community", community, "member_cap", c, sizeof c);
        long here = site_store_members_here(store), limit = c[0] ? atol(c) : 0;
        if (c[0] && here > limit)
            sl_tf(out, cap, "超出报到上限：本社区已有 %ld 名党员报到，上限 %ld 名（已保存，计入超限统计）",
                  "above the community's cap: %ld members checked in, the cap is %ld (saved, and "
                  "counted as over the cap)", here, limit);
    }
}

/* Saves a built payload inside the store's open transaction: the fold's
 * rules run there. */
static site_entry_rc_t s_store(site_store_t *store, const sl_rtype_t *rt,
                               const msgpack_sbuffer *payload, site_entry_saved_t *saved,
                               char *err, size_t errlen, const char **field)
{
    uint64_t seq;
    uint8_t id[SL_ID_BYTES];
    if (site_store_add(store, rt, (const uint8_t *) payload->data, payload->size, &seq, id, err,
                       errlen, field)) {
        /* The fold's refusal (input: 64) leaves SQLite's last answer a
         * success; a failed write (a full disk: 1) does not. */
        int sqlite_rc = sqlite3_errcode(site_store_db(store));
        return sqlite_rc == SQLITE_OK || sqlite_rc == SQLITE_ROW || sqlite_rc == SQLITE_DONE
               ? SITE_ENTRY_INVALID : SITE_ENTRY_FAIL;
    }
    if (saved) {
        saved->seq = seq;
        memcpy(saved->id, id, SL_ID_BYTES);
        s_warnings(store, rt, payload, saved->warning, sizeof saved->warning);
    }
    return SITE_ENTRY_OK;
}

/* Builds one record's payload: the values rewritten (#SEQ, names of
 * reference entries, a correction's field and value), then read by the
 * schema with this site's clock. */
static site_entry_rc_t s_prepare(site_store_t *store, const sl_rtype_t *rt, size_t n,
                                 const char *const *names, const char **values,
                                 msgpack_sbuffer *payload, char *err, size_t errlen,
                                 const char **field)
{
    entry_texts_t *t = malloc(sizeof *t);
    if (field)
        *field = NULL;
    if (!t) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        return SITE_ENTRY_FAIL;
    }
    site_entry_rc_t rc = SITE_ENTRY_INVALID;
    sl_schema_lookup_t lookup = *site_store_lookup(store);
    lookup.today = sl_schema_today();       /* the site's clock: no dates in the future */
    msgpack_sbuffer_clear(payload);
    if (n > SL_MAX_FIELDS)
        sl_tf(err, errlen, "最多 %d 个字段", "at most %d fields", SL_MAX_FIELDS);
    else if (s_resolve_seq_refs(store, rt, n, names, values, t, err, errlen) == 0
             && s_resolve_ref_names(store, rt, n, names, values, t, err, errlen, field) == 0
             && s_canonical_correction(store, rt, n, names, values, t, err, errlen, field) == 0
             && sl_schema_build(rt, n, names, values, payload, &lookup, err, errlen, field) == 0)
        rc = SITE_ENTRY_OK;
    free(t);
    return rc;
}

/* Saves one record inside the store's open transaction. */
static site_entry_rc_t s_add(site_store_t *store, const sl_rtype_t *rt, size_t n,
                             const char *const *names, const char **values,
                             msgpack_sbuffer *payload, site_entry_saved_t *saved, char *err,
                             size_t errlen, const char **field)
{
    site_entry_rc_t rc = s_prepare(store, rt, n, names, values, payload, err, errlen, field);
    return rc ? rc : s_store(store, rt, payload, saved, err, errlen, field);
}

site_entry_rc_t site_entry_add(site_store_t *store, const sl_rtype_t *rt, size_t n,
                               const char *const *names, const char *const *values,
                               site_entry_saved_t *saved, char *err, size_t errlen,
                               const char **field)
{
    if (s_internal(rt, err, errlen))
        return SITE_ENTRY_INVALID;
    const char *vals[SL_MAX_FIELDS];
    for (size_t k = 0; k < n && k < SL_MAX_FIELDS; k++)
        vals[k] = values[k];
    if (site_store_begin(store)) {
        sl_tf(err, errlen, "无法开始保存", "cannot start a transaction");
        return SITE_ENTRY_FAIL;
    }
    msgpack_sbuffer payload;
    msgpack_sbuffer_init(&payload);
    site_entry_rc_t rc = s_add(store, rt, n, names, vals, &payload, saved, err, errlen, field);
    msgpack_sbuffer_destroy(&payload);
    if (rc) {
        site_store_rollback(store);
        return rc;
    }
    if (site_store_commit(store)) {
        sl_tf(err, errlen, "无法保存", "cannot commit the record");
        return SITE_ENTRY_FAIL;
    }
    return SITE_ENTRY_OK;
}

/* ---- CSV import ----------------------------------------------------------------------- */

/* The largest file an import reads: a year of a busy community's records
 * is a few megabytes. */
#define IMPORT_MAX_BYTES (64u * 1024 * 1024)
#define ROW_BYTES 65536

/* A cell or heading as entry reads it: trimmed of ASCII and full-width
 * spaces ("" when blank) into out. */
static const char *s_cell(const char *cell, char *out, size_t cap)
{
    static const sl_field_t any = { .name = "cell", .label = "单元格", .type = SL_F_TEXT };
    char err[300];
    if (sl_schema_entry_value(&any, cell, strlen(cell), 0, out, cap, err, sizeof err, NULL) < 0)
        snprintf(out, cap, "%s", cell);        /* a control character: not blank */
    return out;
}

/* Excel's name of column c (0-based): A … Z, AA …. */
static const char *s_column(int c, char out[8])
{
    char rev[8];
    int n = 0;
    for (c++; c > 0 && n < 7; c = (c - 1) / 26)
        rev[n++] = (char) ('A' + (c - 1) % 26);
    for (int i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = 0;
    return out;
}

static void s_time_text(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    if (ms <= 0 || !localtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M", &tm))
        snprintf(out, cap, "-");
}

/* The same-row key of a payload: a hash of the values of its type's
 * same-row fields (sl_schema_same_row), as hex. */
static void s_row_key(const sl_rtype_t *rt, const uint8_t *payload, size_t len, char key[33])
{
    sl_view_t v;
    char err[200], name[SL_MAX_NAME_BYTES + 1], text[SL_MAX_TEXT_BYTES + 1];
    uint8_t hash[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof hash);
    const char *rule = sl_schema_same_row(rt);
    if (rule && sl_schema_view(rt, payload, len, &v, err, sizeof err) == 0)
        for (size_t i = 0; sl_schema_part(rule, i, name, sizeof name); i++) {
            sl_view_text(&v, name, text, sizeof text);
            crypto_generichash_update(&st, (const uint8_t *) text, strlen(text) + 1);
        }
    else                                /* no rule: the whole record */
        crypto_generichash_update(&st, payload, len);
    crypto_generichash_final(&st, hash, sizeof hash);
    sodium_bin2hex(key, 33, hash, sizeof hash);
}

void site_entry_same_row_text(const sl_rtype_t *rt, char *zh, size_t zcap, char *en,
                              size_t ecap)
{
    char name[SL_MAX_NAME_BYTES + 1];
    const char *rule = sl_schema_same_row(rt);
    size_t zu = 0, eu = 0;
    zh[0] = en[0] = 0;
    for (size_t i = 0; rule && sl_schema_part(rule, i, name, sizeof name); i++) {
        const sl_field_t *f = sl_schema_field(rt, name, strlen(name));
        zu += (size_t) snprintf(zh + zu, zu < zcap ? zcap - zu : 0, "%s%s", i ? "、" : "",
                                f ? f->label : name);
        eu += (size_t) snprintf(en + eu, eu < ecap ? ecap - eu : 0, "%s%s", i ? ", " : "", name);
        if (zu >= zcap || eu >= ecap)
            break;
    }
}

typedef struct {
    site_store_t *store;
    const sl_rtype_t *rt;
    zhashx_t *keys;             /* same-row key -> seq */
    sl_item_t *item;
} existing_t;

static int s_existing_row(void *ctx, const site_record_t *rec)
{
    existing_t *x = ctx;
    char key[33], err[300];
    if (!rec->rt)
        return 0;
    /* A voided item is out of every figure: entering it again is no
     * duplicate. */
    if (site_store_item(x->store, rec->seq, x->item, err, sizeof err) == 1 && x->item->voided)
        return 0;
    s_row_key(rec->rt, rec->payload, rec->len, key);
    zhashx_insert(x->keys, key, (void *) (uintptr_t) rec->seq);
    return 0;
}

/* The same-row keys of every record of the type this site holds. */
static zhashx_t *s_existing_keys(site_store_t *store, const sl_rtype_t *rt)
{
    existing_t x = { store, rt, zhashx_new(), sl_item_new() };
    if (!x.keys || !x.item || site_store_records(store, rt->name, 0, s_existing_row, &x)) {
        zhashx_destroy(&x.keys);
    }
    sl_item_destroy(&x.item);
    return x.keys;
}

/* Appends a formatted line to the import's notes (cut when full). */
static void s_note(site_entry_import_t *res, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));
static void s_note(site_entry_import_t *res, const char *zh, const char *en, ...)
{
    size_t used = strlen(res->notes);
    if (used + 3 >= sizeof res->notes)
        return;
    va_list ap;
    va_start(ap, en);
    strcat(res->notes, "  ");
    used += 2;
    size_t n = sl_vtf(res->notes + used, sizeof res->notes - used, zh, en, ap);
    va_end(ap);
    if (used + n + 2 < sizeof res->notes)
        strcat(res->notes, "\n");
    else
        snprintf(res->notes + sizeof res->notes - 5, 5, "…\n");
}

/* Says which record a duplicate row is the same as: an earlier line of
 * the file, or a record held, named by its import (date, rows, line) or
 * by when it was entered. */
static void s_duplicate_note(site_store_t *store, const sl_rtype_t *rt, long line, long same_line,
                             uint64_t same_seq, site_entry_import_t *res)
{
    char zh[400], en[400], same[900], when[32];
    site_entry_same_row_text(rt, zh, sizeof zh, en, sizeof en);
    sl_dpair(same, sizeof same, zh, en);
    if (same_line) {
        s_note(res, "第 %ld 行与第 %ld 行是同一条记录（%s相同）", "line %ld is the same record as line "
               "%ld (same %s)", line, same_line, same);
        return;
    }
    site_import_t im;
    long at_line = 0;
    if (site_store_import_of(store, same_seq, &im, &at_line) == 1) {
        s_time_text(im.at_ms, when, sizeof when);
        s_note(res, "第 %1$ld 行与已有记录 #%2$llu 相同（%3$s相同）：它是 %4$s 第 %5$ld 次导入（%6$s，%7$ld 条）的第 %8$ld 行",
               "line %1$ld is the same as record #%2$llu (same %3$s): line %8$ld of import %5$ld "
               "on %4$s (%6$s, %7$ld rows)", line, (unsigned long long) same_seq, same, when, im.no, im.file,
               im.rows, at_line);
        return;
    }
    uint8_t id[SL_ID_BYTES];
    site_record_t rec;
    snprintf(when, sizeof when, "-");
    if (site_store_id_of(store, same_seq, id) == 0 && site_store_record(store, id, &rec) == 0)
        s_time_text(rec.wall_ms, when, sizeof when);
    site_store_release(store);
    s_note(res, "第 %ld 行与已有记录 #%llu 相同（%s相同），它于 %s 录入",
           "line %ld is the same as record #%llu (same %s), entered on %s", line,
           (unsigned long long) same_seq, same, when);
}

/* A refusal by the fold may name a record this import saved before it
 * stopped ("already rated (#14)"): say which line that was, since the
 * rollback leaves no record #14. */
static void s_explain_seqs(char *err, size_t errlen, uint64_t base, const long *lines,
                           size_t nlines)
{
    char extra[600] = "";
    size_t used = 0;
    unsigned long long said[4];
    size_t nsaid = 0;
    for (const char *p = strchr(err, '#'); p && nsaid < 4; p = strchr(p + 1, '#')) {
        char *end;
        unsigned long long seq = strtoull(p + 1, &end, 10);
        bool again = false;
        for (size_t i = 0; i < nsaid; i++)
            again = again || said[i] == seq;
        if (end == p + 1 || seq <= base || seq > base + nlines || again)
            continue;
        said[nsaid++] = seq;
        long line = lines[seq - base - 1];
        size_t n = sl_tf(extra + used, sizeof extra - used, "；#%llu 是本文件第 %ld 行，因导入未完成而没有保存",
                         "; #%llu was line %ld of this file, not saved since the import stopped",
                         seq, line);
        if (used + n + 1 >= sizeof extra)
            break;
        used += n;
    }
    size_t len = strlen(err);
    if (used && len < errlen)
        snprintf(err + len, errlen - len, "%s", extra);
}

/* The import of a decoded file: its header, then each row. */
typedef struct {
    site_store_t *store;
    const sl_rtype_t *rt;
    const site_entry_import_opts_t *opts;
    site_entry_import_t *res;
    sl_csv_t *csv;
    int ncols;
    char *heads[SL_MAX_FIELDS];
    const sl_field_t *fields[SL_MAX_FIELDS];  /* per column; NULL: ignored */
    char *head_buf, *row_buf;
    long *lines;                /* the line of each record saved */
    size_t nlines, lines_cap;
    long duplicates;            /* refused duplicate rows (neither flag given) */
} import_t;

/* Reads the header: each column's field; 序号 and empty headings ignored. */
static int s_header(import_t *im, char *err, size_t errlen)
{
    char text[SL_MAX_TEXT_BYTES + 1], col[8];
    im->ncols = sl_csv_row(im->csv, im->heads, SL_MAX_FIELDS, im->head_buf, ROW_BYTES, err,
                           errlen);
    if (im->ncols == 0)
        sl_tf(err, errlen, "文件是空的：第一行应为字段名", "file is empty: the first row must name "
              "the fields");
    if (im->ncols <= 0)
        return -1;
    for (int c = 0; c < im->ncols; c++) {
        s_cell(im->heads[c], text, sizeof text);
        im->fields[c] = NULL;
        if (!text[0])
            continue;
        if (strcmp(text, "序号") == 0) {
            size_t used = strlen(im->res->ignored);
            if (used < sizeof im->res->ignored)
                sl_tf(im->res->ignored + used, sizeof im->res->ignored - used, "%s%s 列（序号）",
                      "%scolumn %s (序号)", used ? " " : "", s_column(c, col));
            continue;
        }
        const sl_field_t *f = sl_schema_field_entry(im->rt, text);
        if (!f) {
            char tname[200];
            sl_dpair(tname, sizeof tname, im->rt->label, im->rt->name);
            size_t n = sl_tf(err, errlen, "第 1 行（标题行）%s 列 \"%s\"：%s没有这个字段；字段有：",
                             "line 1 (the header), column %s \"%s\": record type %s has no such "
                             "field; its fields are:", s_column(c, col), text, tname);
            for (size_t j = 0; j < im->rt->nfields && n + 1 < errlen; j++) {
                n += (size_t) snprintf(err + n, errlen - n, "%s ", j ? "," : "");
                if (n < errlen)
                    n += sl_tpair(err + n, errlen - n, im->rt->fields[j].label,
                                  im->rt->fields[j].name);
            }
            return -1;
        }
        for (int d = 0; d < c; d++)
            if (im->fields[d] == f) {
                char col2[8];
                sl_tf(err, errlen, "第 1 行（标题行）%s 列和 %s 列都是字段 \"%s\"%s",
                      "line 1 (the header): columns %s and %s both name field \"%s\"%s",
                      s_column(d, col2), s_column(c, col), f->name, s_field_label(f));
                return -1;
            }
        im->fields[c] = f;
    }
    return 0;
}

/* The row's values by field; refuses a cell with content under no heading.
 * 0 (n set; 0 when the row is blank), or -1. */
static int s_row_values(import_t *im, int nc, char **cells, const char **names,
                        const char **values, size_t *n, long line, char *err, size_t errlen)
{
    char text[SL_MAX_TEXT_BYTES + 1], col[8];
    bool blank = true;
    *n = 0;
    for (int c = 0; c < nc; c++) {
        bool has = s_cell(cells[c], text, sizeof text)[0] != 0;
        blank = blank && !has;
        if (has && (c >= im->ncols || (!im->fields[c] && !strstr(im->res->ignored,
                                                                   s_column(c, col))))) {
            sl_tf(err, errlen, "第 %ld 行 %s 列有内容 \"%.60s\"，但标题行这一列是空的：请加上字段名或删去这一列",
                  "line %ld, column %s holds \"%.60s\" but its heading is empty: name the field "
                  "or delete the column", line, s_column(c, col), text);
            return -1;
        }
    }
    if (blank)
        return 0;
    for (int c = 0; c < im->ncols; c++)
        if (im->fields[c]) {
            names[*n] = im->fields[c]->name;
            values[(*n)++] = c < nc ? cells[c] : "";    /* Excel drops trailing empty cells */
        }
    return 0;
}

/* Names the row and column of a refusal: "第 3 行 C 列（单位）". */
static void s_row_error(import_t *im, long line, const char *field, const char *why, char *err,
                        size_t errlen)
{
    char col[8];
    int c = -1;
    for (int k = 0; field && k < im->ncols && c < 0; k++)
        if (im->fields[k] && strcmp(im->fields[k]->name, field) == 0)
            c = k;
    size_t n;
    if (c >= 0)
        n = sl_tf(err, errlen, "第 %ld 行 %s 列（%s）", "line %ld, column %s (%s)", line,
                  s_column(c, col), im->heads[c]);
    else if (field)
        n = sl_tf(err, errlen, "第 %ld 行（文件中没有字段 %s这一列）",
                  "line %ld (the file has no column for %s)", line, field);
    else
        n = sl_tf(err, errlen, "第 %ld 行", "line %ld", line);
    if (n < errlen)
        snprintf(err + n, errlen - n, ": %s", why);

}

/* Reads and saves the rows, inside the open transaction. */
static site_entry_rc_t s_rows(import_t *im, char *err, size_t errlen)
{
    char *cells[SL_MAX_FIELDS], why[2048], key[33];
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS], *field;
    msgpack_sbuffer payload;
    msgpack_sbuffer_init(&payload);
    zhashx_t *held = s_existing_keys(im->store, im->rt), *in_file = zhashx_new();
    uint64_t base = site_store_last_seq(im->store);
    site_entry_rc_t rc = held && in_file ? SITE_ENTRY_OK : SITE_ENTRY_FAIL;
    if (rc)
        sl_tf(err, errlen, "无法读取已有记录", "cannot read the records held");
    int nc;
    while (rc == SITE_ENTRY_OK
           && (nc = sl_csv_row(im->csv, cells, SL_MAX_FIELDS, im->row_buf, ROW_BYTES, err,
                               errlen)) != 0) {
        long line = sl_csv_line(im->csv);
        size_t n;
        if (nc < 0 || s_row_values(im, nc, cells, names, values, &n, line, err, errlen)) {
            rc = SITE_ENTRY_INVALID;
            break;
        }
        if (n == 0) {
            im->res->blank++;
            continue;
        }
        rc = s_prepare(im->store, im->rt, n, names, values, &payload, why, sizeof why, &field);
        if (rc) {
            s_row_error(im, line, field, why, err, errlen);
            break;
        }
        s_row_key(im->rt, (const uint8_t *) payload.data, payload.size, key);
        uint64_t same_seq = (uintptr_t) zhashx_lookup(held, key);
        long same_line = (long) (intptr_t) zhashx_lookup(in_file, key);
        if (same_seq || same_line) {
            s_duplicate_note(im->store, im->rt, line, same_line, same_seq, im->res);
            if (im->opts->skip_duplicates) {
                im->res->skipped++;
                continue;
            }
            if (!im->opts->allow_duplicates) {
                im->duplicates++;
                continue;       /* every duplicate is listed, then nothing is saved */
            }
            im->res->duplicates++;
        } else {
            zhashx_insert(in_file, key, (void *) (intptr_t) line);
        }
        rc = s_store(im->store, im->rt, &payload, NULL, why, sizeof why, &field);
        if (rc) {
            s_explain_seqs(why, sizeof why, base, im->lines, im->nlines);
            s_row_error(im, line, field, why, err, errlen);
            break;
        }
        if (im->nlines == im->lines_cap) {
            size_t cap = im->lines_cap ? im->lines_cap * 2 : 1024;
            long *more = realloc(im->lines, cap * sizeof *more);
            if (!more) {
                sl_tf(err, errlen, "内存不足", "out of memory");
                rc = SITE_ENTRY_FAIL;
                break;
            }
            im->lines = more;
            im->lines_cap = cap;
        }
        im->lines[im->nlines++] = line;
    }
    if (rc == SITE_ENTRY_OK && im->duplicates) {
        sl_tf(err, errlen, "发现 %ld 行重复（见下）；要照样保存请加 --allow-duplicates，只保存其余各行请加 "
              "--skip-duplicates", "found %ld duplicate rows (below); --allow-duplicates saves "
              "them anyway, --skip-duplicates saves only the other rows", im->duplicates);

        rc = SITE_ENTRY_INVALID;
    }
    zhashx_destroy(&held);
    zhashx_destroy(&in_file);
    msgpack_sbuffer_destroy(&payload);
    return rc;
}

/* Records the import in the store's history (same transaction). */
static int s_history(import_t *im, const uint8_t hash[SL_HASH_BYTES])
{
    if (im->nlines == 0)
        return 0;
    uint64_t last = site_store_last_seq(im->store);
    site_import_t h = { .at_ms = sl_now_ms(), .rows = (long) im->nlines,
                        .first_seq = last - im->nlines + 1, .last_seq = last };
    snprintf(h.type, sizeof h.type, "%s", im->rt->name);
    snprintf(h.file, sizeof h.file, "%s", im->opts->file_name ? im->opts->file_name : "-");
    snprintf(h.encoding, sizeof h.encoding, "%s", im->res->encoding);
    long no = site_store_import_note(im->store, &h, hash);
    if (no < 0 || site_store_import_rows(im->store, no, h.first_seq, im->lines, im->nlines))
        return -1;
    im->res->import_no = no;
    return 0;
}

/* A file imported before, unless told to import it again. */
static int s_same_file(site_store_t *store, const uint8_t hash[SL_HASH_BYTES], char *err,
                       size_t errlen)
{
    site_import_t im;
    if (site_store_import_by_hash(store, hash, &im) != 1)
        return 0;
    char when[32];
    const sl_rtype_t *rt = sl_schema_find(im.type, strlen(im.type));
    s_time_text(im.at_ms, when, sizeof when);
    char tname[200];
    sl_dpair(tname, sizeof tname, rt ? rt->label : im.type, im.type);
    sl_tf(err, errlen, "这个文件已于 %s 导入过（第 %ld 次导入：%ld 条%s，记录 #%llu–#%llu，文件 %s）；"
          "再导入会重复计数，确实要再导入请加 --allow-duplicates", "this file was already imported on "
          "%s (import %ld: %ld %s records, #%llu-#%llu, file %s); importing it again would count "
          "them twice (--allow-duplicates imports it anyway)", when, im.no, im.rows, tname,
          (unsigned long long) im.first_seq, (unsigned long long) im.last_seq, im.file);

    return -1;
}

site_entry_rc_t site_entry_import(site_store_t *store, const sl_rtype_t *rt, FILE *in,
                                  const site_entry_import_opts_t *opts,
                                  site_entry_import_t *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    char *raw = NULL, *text = NULL;
    size_t rawlen = 0, textlen = 0;
    uint8_t hash[SL_HASH_BYTES];
    import_t im = { .store = store, .rt = rt, .opts = opts, .res = res,
                    .head_buf = malloc(ROW_BYTES), .row_buf = malloc(ROW_BYTES) };
    site_entry_rc_t rc = SITE_ENTRY_INVALID;
    if (s_internal(rt, err, errlen)) {
        free(im.head_buf);
        free(im.row_buf);
        return SITE_ENTRY_INVALID;
    }
    if (!im.head_buf || !im.row_buf) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        rc = SITE_ENTRY_FAIL;
    } else if (sl_csv_slurp(in, IMPORT_MAX_BYTES, &raw, &rawlen, err, errlen)) {
        rc = ferror(in) ? SITE_ENTRY_FAIL : SITE_ENTRY_INVALID;
    } else if (crypto_generichash(hash, sizeof hash, (const uint8_t *) raw, rawlen, NULL, 0),
               !opts->allow_duplicates && !opts->skip_duplicates
               && s_same_file(store, hash, err, errlen)) {
        /* refused: err says when it was imported */
    } else if (sl_csv_decode(raw, rawlen, &text, &textlen, res->encoding,
                             sizeof res->encoding, err, errlen) != 0) {
        /* refused: err names the encoding */
    } else if ((im.csv = sl_csv_from_buffer(text, textlen)) == NULL) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        rc = SITE_ENTRY_FAIL;
    } else {
        res->separator = sl_csv_guess_separator(text, textlen);
        sl_csv_set_separator(im.csv, res->separator);
        if (s_header(&im, err, errlen) == 0) {
            if (site_store_begin(store)) {
                sl_tf(err, errlen, "无法开始保存", "cannot start a transaction");
                rc = SITE_ENTRY_FAIL;
            } else {
                rc = s_rows(&im, err, errlen);
                if (rc == SITE_ENTRY_OK && s_history(&im, hash)) {
                    sl_tf(err, errlen, "无法记下这次导入", "cannot record the import");
                    rc = SITE_ENTRY_FAIL;
                }
                if (rc == SITE_ENTRY_OK && site_store_commit(store)) {
                    sl_tf(err, errlen, "无法保存", "cannot commit");
                    rc = SITE_ENTRY_FAIL;
                }
                if (rc)
                    site_store_rollback(store);
            }
        }
    }
    res->rows = rc ? 0 : (long) im.nlines;
    if (rc)
        res->import_no = 0;
    sl_csv_destroy(&im.csv);
    free(im.lines);
    free(im.head_buf);
    free(im.row_buf);
    free(text);
    free(raw);
    return rc;
}

/* ---- prompts and export ------------------------------------------------------------------ */

size_t site_entry_missing(const sl_rtype_t *rt, size_t n, const char *const *names,
                          const char *const *values, const sl_field_t **out, size_t cap)
{
    bool given[SL_MAX_FIELDS] = { 0 }, legacy = false;
    char text[SL_MAX_TEXT_BYTES + 1], err[300];
    for (size_t i = 0; i < n; i++) {
        const sl_field_t *f = sl_schema_field_entry(rt, names[i]);
        if (!f)
            continue;
        legacy = legacy || (f->legacy_name && strcmp(names[i], f->legacy_name) == 0);
        /* Empty or white space only is not given; a value that does not
         * read is given (the schema names what is wrong with it). */
        given[f - rt->fields] = given[f - rt->fields]
                                || sl_schema_entry_value(f, values[i], strlen(values[i]), 0, text,
                                                         sizeof text, err, sizeof err, NULL) != 0;
    }
    size_t m = 0;
    for (size_t k = 0; k < rt->nfields && m < cap; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (f->required && !given[k] && !(legacy && f->legacy_default))
            out[m++] = f;
    }
    return m;
}

typedef struct {
    site_store_t *store;
    const sl_field_t *f;
    size_t max, n;
    int (*fn)(void *ctx, const char *value, const char *label);
    void *ctx;
} choices_t;

static int s_choice_ref(void *vctx, const char *kind, const char *key, const char *value,
                        size_t len, uint64_t lseq)
{
    choices_t *c = vctx;
    char name[SL_MAX_TEXT_BYTES + 1], label[SL_MAX_TEXT_BYTES + 80];
    (void) lseq;
    if (c->n >= c->max)
        return 1;
    s_ref_name(kind, value, len, name, sizeof name);
    snprintf(label, sizeof label, "%s %s", key, name);
    c->n++;
    return c->fn(c->ctx, key, label);
}

static int s_choice_item(void *vctx, const site_record_t *rec)
{
    choices_t *c = vctx;
    if (c->n >= c->max)
        return 1;
    if (!rec->rt || rec->rt->role == SL_ROLE_UPDATE || rec->rt->role == SL_ROLE_RATING
        || rec->rt->role == SL_ROLE_CORRECTION || rec->rt->role == SL_ROLE_VOID
        || (strcmp(c->f->choices, "*") != 0
            && sl_schema_index(c->f->choices, rec->rt->name, strlen(rec->rt->name)) < 0))
        return 0;
    char value[32], title[200] = "", label[400];
    snprintf(value, sizeof value, "#%llu", (unsigned long long) rec->seq);
    if (rec->rt->title_field)
        sl_schema_field_text(rec->rt, rec->payload, rec->len, rec->rt->title_field, title,
                             sizeof title);
    snprintf(label, sizeof label, "%s %s %s", value, sl_lang_either(rec->rt->label, rec->rt->name),
             title);
    c->n++;
    return c->fn(c->ctx, value, label);
}

size_t site_entry_choices(site_store_t *store, const sl_field_t *f, size_t max,
                          int (*fn)(void *ctx, const char *value, const char *label), void *ctx)
{
    choices_t c = { store, f, max, 0, fn, ctx };
    if (f->type == SL_F_ENUM) {
        char name[SL_MAX_NAME_BYTES + 1], label[SL_MAX_NAME_BYTES * 3];
        for (size_t i = 0; c.n < max && sl_schema_choice(f, i, name, sizeof name, label,
                                                         sizeof label); i++) {
            char both[SL_MAX_NAME_BYTES * 5];
            snprintf(both, sizeof both, "%s %s", label, name);
            c.n++;
            if (fn(ctx, name, both))
                break;
        }
    } else if (f->type == SL_F_REF) {
        site_store_ref_each(store, f->choices, s_choice_ref, &c);
    } else if (f->type == SL_F_ITEM) {
        site_store_records(store, NULL, 500, s_choice_item, &c);    /* the latest */
    }
    return c.n;
}

typedef struct {
    uint64_t seq;
    uint8_t *payload;
    size_t len;
} export_row_t;

typedef struct {
    const sl_rtype_t *rt;
    export_row_t *rows;
    size_t n, cap;
} export_t;

static int s_export_row(void *ctx, const site_record_t *rec)
{
    export_t *x = ctx;
    if (!rec->rt)
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        export_row_t *more = realloc(x->rows, cap * sizeof *more);
        if (!more)
            return -1;
        x->rows = more;
        x->cap = cap;
    }
    export_row_t *r = &x->rows[x->n];
    r->payload = malloc(rec->len ? rec->len : 1);
    if (!r->payload)
        return -1;
    memcpy(r->payload, rec->payload, rec->len);
    r->len = rec->len;
    r->seq = rec->seq;
    x->n++;
    return 0;
}

int site_entry_export(site_store_t *store, const sl_rtype_t *rt, FILE *out, long *rows,
                      char *err, size_t errlen)
{
    export_t x = { .rt = rt };
    const char *cells[SL_MAX_FIELDS + 1];
    char (*texts)[SL_MAX_TEXT_BYTES + 1] = malloc((SL_MAX_FIELDS + 1) * sizeof *texts);
    int rc = texts && site_store_records(store, rt->name, 0, s_export_row, &x) == 0 ? 0 : -1;
    err[0] = 0;
    if (rc)
        sl_tf(err, errlen, "无法读取记录", "cannot read the records");
    *rows = 0;
    cells[0] = "序号";
    for (size_t k = 0; k < rt->nfields; k++)
        cells[k + 1] = rt->fields[k].label;
    if (rc == 0 && (fputs("\xEF\xBB\xBF", out) == EOF
                    || sl_csv_write_row(out, cells, rt->nfields + 1, ',')))
        rc = -1;
    /* site_store_records gives the newest first: the file is oldest first,
     * as a ledger is kept and as the records were entered. */
    for (size_t i = x.n; rc == 0 && i-- > 0;) {
        sl_view_t v;
        char why[300];
        if (sl_schema_view(rt, x.rows[i].payload, x.rows[i].len, &v, why, sizeof why)) {
            sl_twarn("record export：记录 #%llu 已损坏：%s", "record export: record #%llu is damaged: %s",
                     (unsigned long long) x.rows[i].seq, why);
            continue;
        }
        snprintf(texts[0], sizeof texts[0], "%llu", (unsigned long long) x.rows[i].seq);
        cells[0] = texts[0];
        for (size_t k = 0; k < rt->nfields; k++) {
            const sl_field_t *f = &rt->fields[k];
            char *t = texts[k + 1];
            sl_view_text(&v, f->name, t, sizeof texts[0]);
            int c = f->type == SL_F_ENUM ? sl_schema_index(f->choices, t, strlen(t)) : -1;
            if (c >= 0 && f->choice_labels)
                sl_schema_part(f->choice_labels, (size_t) c, t, sizeof texts[0]);
            cells[k + 1] = t;
        }
        if (sl_csv_write_row(out, cells, rt->nfields + 1, ','))
            rc = -1;
        else
            (*rows)++;
    }
    if (rc == 0 && fflush(out) != 0)
        rc = -1;
    if (rc && err[0] == 0)
        sl_tf(err, errlen, "写入失败：%s", "cannot write: %s", strerror(errno));
    for (size_t i = 0; i < x.n; i++)
        free(x.rows[i].payload);
    free(x.rows);
    free(texts);
    return rc;
}

/* Shows control characters of a rendered record escaped, in place. */
static void s_escape_controls(char *out, size_t cap)
{
    size_t len = strlen(out), extra = 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) out[i] < 0x20 || out[i] == 0x7F)
            extra += out[i] == '\n' || out[i] == '\t' || out[i] == '\r' ? 1 : 3;
    if (!extra)
        return;
    char *buf = malloc(len + extra + 1);
    if (!buf)
        return;
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) out[i];
        if (c == '\n' || c == '\t' || c == '\r') {
            buf[used++] = '\\';
            buf[used++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else if (c < 0x20 || c == 0x7F) {
            used += (size_t) snprintf(buf + used, 5, "\\x%02X", c);
        } else {
            buf[used++] = (char) c;
        }
    }
    buf[used] = 0;
    snprintf(out, cap, "%s", buf);
    free(buf);
}

void site_entry_render(site_store_t *store, const site_record_t *rec, char *out, size_t cap)
{
    if (!rec->rt) {
        sl_tf(out, cap, "（本版本不认识的类型：%s）", "(a type this version does not know: %s)",
              rec->type);

        return;
    }
    sl_schema_render(rec->rt, rec->payload, rec->len, out, cap);
    /* Each referenced record by "#SEQ title" instead of its id: a rating
     * then says what was rated.  Ids of records this site does not hold
     * stay as they are. */
    sl_view_t view;
    char err[200];
    if (sl_schema_view(rec->rt, rec->payload, rec->len, &view, err, sizeof err))
        return;
    uint8_t ids[SL_MAX_FIELDS][SL_ID_BYTES];
    size_t nids = 0;
    for (size_t k = 0; k < rec->rt->nfields; k++)
        if (rec->rt->fields[k].type == SL_F_ITEM && view.v[k].present)
            memcpy(ids[nids++], view.v[k].id, SL_ID_BYTES);
    for (size_t i = 0; i < nids; i++) {
        char idtext[SL_ID_TEXT], name[600], title[400] = "", *buf = malloc(cap);
        sl_id_format(ids[i], idtext);
        char *at = strstr(out, idtext);
        site_record_t ref;
        if (!buf || !at || site_store_record(store, ids[i], &ref) != 0 || !ref.rt) {
            free(buf);
            continue;
        }
        if (ref.rt->title_field)
            sl_schema_field_text(ref.rt, ref.payload, ref.len, ref.rt->title_field, title,
                                 sizeof title);
        snprintf(name, sizeof name, "#%llu %s", (unsigned long long) ref.seq, title);
        snprintf(buf, cap, "%.*s%s%s", (int) (at - out), out, name, at + strlen(idtext));
        snprintf(out, cap, "%s", buf);
        free(buf);
    }
    site_store_release(store);
    s_escape_controls(out, cap);
}
