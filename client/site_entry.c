/* site_entry.c: records entered at a community site (see site_entry.h).
 *
 * Text in, a saved record or a sentence out.  The order for one record:
 * "#SEQ" resolved to an id, the payload built through the schema table
 * (types, ranges, choices, this site's records and reference data), then
 * the store saves it, which runs the fold (lifecycle moves, one rating per
 * closure, check-ins) inside the same transaction. */
#include "site_entry.h"
#include "sl_csv.h"
#include "sl_refkinds.h"
#include "sl_id.h"
#include "sl_limits.h"
#include "sl_log.h"
#include <stdlib.h>
#include <string.h>

const sl_rtype_t *site_entry_type(const char *name, char *err, size_t errlen)
{
    const sl_rtype_t *rt = sl_schema_find_entry(name);
    if (!rt) {
        int used = snprintf(err, errlen, "没有记录类型 \"%s\" unknown record type \"%s\"; 类型有 types "
                            "are:", name, name);
        for (size_t i = 0; i < sl_schema_count() && used > 0 && (size_t) used < errlen; i++)
            used += snprintf(err + used, errlen - (size_t) used, " %s(%s)", sl_schema_at(i)->name,
                             sl_schema_at(i)->label);
    }
    return rt;
}

/* Records the program writes itself (a command's result) are never typed:
 * true after writing the refusal. */
static bool s_internal(const sl_rtype_t *rt, char *err, size_t errlen)
{
    if (rt->internal)
        snprintf(err, errlen, "%s（%s）由程序自动生成，不能手工录入 %s records are written by the "
                 "program itself (results of the district's commands), not entered by hand",
                 rt->label, rt->name, rt->name);
    return rt->internal;
}

/* "#12" in a record-id field (add, or a CSV column) stands for the id of
 * this site's record 12: rewrites values[k] to point at the id text in
 * ids[k].  Other fields keep '#' as typed.  0, or -1 with a sentence. */
static int s_resolve_seq_refs(site_store_t *store, const sl_rtype_t *rt, size_t n,
                              const char *const *names, const char **values,
                              char ids[][SL_ID_TEXT], char *err, size_t errlen)
{
    for (size_t k = 0; k < n; k++) {
        const sl_field_t *f = sl_schema_field_entry(rt, names[k]);
        const char *v = values[k];
        while (*v == ' ' || *v == '\t')
            v++;
        if (!f || f->type != SL_F_ITEM || v[0] != '#')
            continue;
        char *end;
        long seq = strtol(v + 1, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        uint8_t id[SL_ID_BYTES];
        if (*end || end == v + 1 || seq < 1 || site_store_id_of(store, (uint64_t) seq, id)) {
            snprintf(err, errlen, "%s=%s：本站点没有记录 %s this site has no record %s (see record "
                     "list)", names[k], v, v, v);
            return -1;
        }
        sl_id_format(id, ids[k]);
        values[k] = ids[k];
    }
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
            snprintf(out, cap, "非书记？参考数据中单位 %s 没有书记；区里按书记任职情况判断是否计入“书记讲党课” "
                     "unit %s has no secretary in this site's reference data; the district decides "
                     "whether the lecture counts", a, a);
        else if (strcmp(b, c) != 0)
            snprintf(out, cap, "非书记：主讲人 %s 不是单位 %s 的书记（%s），记录已保存，但不计入“书记讲党课” "
                     "not the secretary: %s is not the secretary of %s (%s); saved, not counted for "
                     "五个一", b, a, c, b, a, c);
    } else if (rt->role == SL_ROLE_CHECKIN) {
        char community[200];
        site_store_meta(store, "community", community, sizeof community);
        s_ref_field(store, "community", community, "member_cap", c, sizeof c);
        long here = site_store_members_here(store), limit = c[0] ? atol(c) : 0;
        if (c[0] && here > limit)
            snprintf(out, cap, "超出报到上限：本社区已有 %ld 名党员报到，上限 %ld 名（已保存，计入超限统计） "
                     "above the community's cap: %ld members checked in, the cap is %ld (saved, and "
                     "counted as over the cap)", here, limit, here, limit);
    }
}

/* Builds and saves one record inside the store's open transaction. */
static site_entry_rc_t s_add(site_store_t *store, const sl_rtype_t *rt, size_t n,
                             const char *const *names, const char **values,
                             msgpack_sbuffer *payload, site_entry_saved_t *saved, char *err,
                             size_t errlen, const char **field)
{
    char ids[SL_MAX_FIELDS][SL_ID_TEXT];
    if (field)
        *field = NULL;
    if (n > SL_MAX_FIELDS) {
        snprintf(err, errlen, "最多 %d 个字段 at most %d fields", SL_MAX_FIELDS, SL_MAX_FIELDS);
        return SITE_ENTRY_INVALID;
    }
    if (s_resolve_seq_refs(store, rt, n, names, values, ids, err, errlen))
        return SITE_ENTRY_INVALID;
    msgpack_sbuffer_clear(payload);
    if (sl_schema_build(rt, n, names, values, payload, site_store_lookup(store), err, errlen,
                        field))
        return SITE_ENTRY_INVALID;
    uint64_t seq;
    uint8_t id[SL_ID_BYTES];
    if (site_store_add(store, rt, (const uint8_t *) payload->data, payload->size, &seq, id, err,
                       errlen, field))
        return SITE_ENTRY_INVALID;      /* the fold's refusal, or the store's error */
    if (saved) {
        saved->seq = seq;
        memcpy(saved->id, id, SL_ID_BYTES);
        s_warnings(store, rt, payload, saved->warning, sizeof saved->warning);
    }
    return SITE_ENTRY_OK;
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
        snprintf(err, errlen, "无法开始保存 cannot start a transaction");
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
        snprintf(err, errlen, "无法保存 cannot commit the record");
        return SITE_ENTRY_FAIL;
    }
    return SITE_ENTRY_OK;
}

site_entry_rc_t site_entry_import(site_store_t *store, const sl_rtype_t *rt, FILE *in,
                                  long *rows, char *err, size_t errlen)
{
    *rows = 0;
    if (s_internal(rt, err, errlen))
        return SITE_ENTRY_INVALID;
    enum { CAP = 65536 };
    char *head_buf = malloc(CAP), *row_buf = malloc(CAP);
    char *heads[SL_MAX_FIELDS], *cells[SL_MAX_FIELDS];
    char why[900];
    long line = 0;
    msgpack_sbuffer payload;
    msgpack_sbuffer_init(&payload);
    *rows = 0;
    site_entry_rc_t rc = SITE_ENTRY_FAIL;
    sl_csv_t *csv = sl_csv_from_file(in);
    int nh = head_buf && row_buf && csv
             ? sl_csv_row(csv, heads, SL_MAX_FIELDS, head_buf, CAP, err, errlen) : -1;
    if (nh < 0 && !csv)
        snprintf(err, errlen, "内存不足 out of memory");
    if (nh <= 0) {
        if (nh == 0)
            snprintf(err, errlen, "文件是空的：第一行应为字段名 file is empty: the first row must name "
                     "the fields");
        rc = SITE_ENTRY_INVALID;
    } else if (site_store_begin(store)) {
        snprintf(err, errlen, "无法开始保存 cannot start a transaction");
    } else {
        int nc;
        rc = SITE_ENTRY_OK;
        while ((nc = sl_csv_row(csv, cells, SL_MAX_FIELDS, row_buf, CAP, why, sizeof why)) > 0) {
            line = sl_csv_line(csv);
            if (nc == 1 && cells[0][0] == 0)
                continue;       /* blank line */
            if (nc != nh) {
                snprintf(err, errlen, "第 %ld 行有 %d 列，标题行有 %d 列 line %ld: %d fields, the "
                         "header has %d", line, nc, nh, line, nc, nh);
                rc = SITE_ENTRY_INVALID;
                break;
            }
            rc = s_add(store, rt, (size_t) nh, (const char *const *) heads, (const char **) cells,
                       &payload, NULL, why, sizeof why, NULL);
            if (rc) {
                snprintf(err, errlen, "第 %ld 行 line %ld: %s", line, line, why);
                break;
            }
            (*rows)++;
        }
        if (nc < 0 && rc == SITE_ENTRY_OK) {
            snprintf(err, errlen, "%s", why);
            rc = SITE_ENTRY_INVALID;
        }
        if (rc == SITE_ENTRY_OK && site_store_commit(store)) {
            snprintf(err, errlen, "无法保存 cannot commit");
            rc = SITE_ENTRY_FAIL;
        }
        if (rc)
            site_store_rollback(store);
    }
    if (rc)
        *rows = 0;
    msgpack_sbuffer_destroy(&payload);
    sl_csv_destroy(&csv);
    free(head_buf);
    free(row_buf);
    return rc;
}

void site_entry_render(site_store_t *store, const site_record_t *rec, char *out, size_t cap)
{
    if (!rec->rt) {
        snprintf(out, cap, "(本版本不认识的类型 a type this version does not know: %s)", rec->type);
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
}
