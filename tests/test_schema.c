/* test_schema.c: record types as data, common/sl_schema.c (P9: a 6-star
 * rating, invalid UTF-8 or a date in 1900 is refused with a clear error).
 *
 * Table-driven over every record type of RECORDS.md: a valid record built
 * from text is accepted on the wire and reads back; for every field, a
 * value of the wrong kind or out of range is refused with a sentence naming
 * that field (and the field's wire name given back for the protocol's
 * ERROR); every required field missing is refused naming it.  Then the
 * particulars: Chinese labels for types, fields and choices; trimming;
 * references to records and to reference data through the lookups; 0.2.0
 * payloads (done_on, reported_on, no status) valid and read with their
 * meaning; wire payloads with values of the wrong msgpack type, unknown and
 * repeated fields, trailing bytes; every sentence valid UTF-8.
 * Prints one line per check; exits 1 on any failure. */
#include "sl_id.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"

#define ID_MATTER "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
#define ID_TALENT "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c"
#define ID_NONE   "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2e"

static int s_item_lookups, s_ref_lookups;

static bool s_item(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    static const char *ids[] = { ID_MATTER, ID_TALENT };
    static const char *types[] = { "service_matter", "talent" };
    s_item_lookups++;
    (void) ctx;
    for (int i = 0; i < 2; i++) {
        uint8_t known[SL_ID_BYTES];
        sl_id_parse(ids[i], known);
        if (memcmp(known, id, SL_ID_BYTES) == 0) {
            snprintf(type, cap, "%s", types[i]);
            return true;
        }
    }
    return false;
}

/* Reference keys: every kind has "k1" and "区委办"; nothing else. */
static int s_ref(void *ctx, const char *kind, const char *key, size_t len)
{
    s_ref_lookups++;
    (void) ctx;
    (void) kind;
    return (len == 2 && memcmp(key, "k1", 2) == 0) || (len == 9 && memcmp(key, "区委办", 9) == 0);
}

static const sl_schema_lookup_t s_lk = { s_item, s_ref, NULL };

/* A valid text value for a field. */
static const char *s_valid(const sl_field_t *f, char *buf, size_t cap)
{
    switch (f->type) {
    case SL_F_TEXT: return "一段文字";
    case SL_F_INT: snprintf(buf, cap, "%lld", (long long) f->min); return buf;
    case SL_F_DATE: return "2025-03-05";
    case SL_F_ENUM: sl_schema_part(f->choices, 0, buf, cap); return buf;
    case SL_F_REF: return "k1";
    case SL_F_ITEM:
        return strcmp(f->choices, "talent") == 0 ? ID_TALENT : ID_MATTER;
    }
    return "";
}

/* A refused text value for a field, and why. */
static const char *s_invalid(const sl_field_t *f, char *buf, size_t cap)
{
    switch (f->type) {
    case SL_F_TEXT:
        {
            size_t n = 0;
            for (int64_t i = 0; i <= f->max && n + 4 < cap; i++)
                n += (size_t) snprintf(buf + n, cap - n, "字");
            return buf;     /* one character too many */
        }
    case SL_F_INT: snprintf(buf, cap, "%lld", (long long) f->max + 1); return buf;
    case SL_F_DATE: return "1900-02-30";
    case SL_F_ENUM: return "no_such_choice";
    case SL_F_REF: return "no-such-key";
    case SL_F_ITEM: return ID_NONE;
    }
    return "";
}

static int s_build(const sl_rtype_t *rt, size_t n, const char **names, const char **values,
                   msgpack_sbuffer *sb, char *err, size_t errlen, const char **field)
{
    msgpack_sbuffer_clear(sb);
    err[0] = 0;
    return sl_schema_build(rt, n, names, values, sb, &s_lk, err, errlen, field);
}

static void s_every_type(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[2000];
    static char bufs[SL_MAX_FIELDS][2000];
    for (size_t t = 0; t < sl_schema_count(); t++) {
        const sl_rtype_t *rt = sl_schema_at(t);
        const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS], *field;
        for (size_t k = 0; k < rt->nfields; k++) {
            names[k] = rt->fields[k].name;
            values[k] = s_valid(&rt->fields[k], bufs[k], sizeof bufs[k]);
        }
        /* A correction's field and value must make sense only to the fold;
         * the schema takes any text. */
        int rc = s_build(rt, rt->nfields, names, values, &sb, err, sizeof err, &field);
        s_check(rc == 0, "%s: a record with every field valid is built %s", rt->name, err);
        s_check(rc == 0 && sl_schema_check(rt, (const uint8_t *) sb.data, sb.size, &s_lk, err,
                                           sizeof err, NULL) == 0,
                "%s: … and accepted on the wire %s", rt->name, err);
        sl_view_t view;
        s_check(rc == 0 && sl_schema_view(rt, (const uint8_t *) sb.data, sb.size, &view, err,
                                          sizeof err) == 0 && !view.legacy,
                "%s: … and reads back", rt->name);
        for (size_t k = 0; rc == 0 && k < rt->nfields; k++) {
            char text[SL_MAX_TEXT_BYTES + 1];
            sl_view_text(&view, rt->fields[k].name, text, sizeof text);
            s_check(strcmp(text, values[k]) == 0, "%s: field %s reads back as %s (got %s)",
                    rt->name, rt->fields[k].name, values[k], text);
        }
        for (size_t k = 0; k < rt->nfields; k++) {
            const sl_field_t *f = &rt->fields[k];
            const char *keep = values[k];
            char bad[5000];
            values[k] = s_invalid(f, bad, sizeof bad);
            field = NULL;
            rc = s_build(rt, rt->nfields, names, values, &sb, err, sizeof err, &field);
            s_check(rc != 0 && strstr(err, f->name) && field && strcmp(field, f->name) == 0
                    && sl_utf8_valid(err, strlen(err)),
                    "%s: an invalid %s (\"%.20s…\") is refused naming the field: %.160s",
                    rt->name, f->name, values[k], err);
            values[k] = keep;
            if (!f->required)
                continue;
            /* Leave the required field out. */
            const char *n2[SL_MAX_FIELDS], *v2[SL_MAX_FIELDS];
            size_t m = 0;
            for (size_t j = 0; j < rt->nfields; j++)
                if (j != k) {
                    n2[m] = names[j];
                    v2[m++] = values[j];
                }
            field = NULL;
            rc = s_build(rt, m, n2, v2, &sb, err, sizeof err, &field);
            bool legacy_ok = false;
            s_check(rc != 0 ? strstr(err, f->name) && field && strcmp(field, f->name) == 0
                            : legacy_ok,
                    "%s: without the required %s it is refused naming it: %.120s", rt->name,
                    f->name, err);
        }
    }
    msgpack_sbuffer_destroy(&sb);
}

static void s_particulars(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[2000];
    const char *field;
    const sl_rtype_t *pr = sl_schema_find_entry("问题上报");
    s_check(pr && strcmp(pr->name, "problem_report") == 0, "a type by its Chinese label");
    s_check(sl_schema_find_entry("nonsense") == NULL, "an unknown type is NULL");

    /* Chinese field names and choice labels; values trimmed. */
    const char *n1[] = { "上报人类别", "问题描述", "上报日期", "类别" };
    const char *v1[] = { "快递员", "  楼道堆放杂物 ", "2025-03-05", "安全隐患" };
    int rc = s_build(pr, 4, n1, v1, &sb, err, sizeof err, NULL);
    char text[600];
    sl_schema_field_text(pr, (const uint8_t *) sb.data, sb.size, "reporter_kind", text,
                         sizeof text);
    s_check(rc == 0 && strcmp(text, "courier") == 0, "label 快递员 is stored as courier (%s)", err);
    sl_schema_field_text(pr, (const uint8_t *) sb.data, sb.size, "summary", text, sizeof text);
    s_check(strcmp(text, "楼道堆放杂物") == 0, "values are trimmed (\"%s\")", text);
    sl_schema_render(pr, (const uint8_t *) sb.data, sb.size, text, sizeof text);
    s_check(strstr(text, "上报人类别=快递员") && strstr(text, "类别=安全隐患"),
            "render shows labels: %s", text);
    sl_lang_t was = sl_lang_use(SL_LANG_EN);
    sl_schema_render(pr, (const uint8_t *) sb.data, sb.size, text, sizeof text);
    sl_lang_use(was);
    s_check(strstr(text, "reporter_kind=courier") && strstr(text, "category=safety"),
            "render in English shows wire names, choices too: %s", text);

    /* 0.2.0 names at entry: done_on means on, and done. */
    const sl_rtype_t *sm = sl_schema_find("service_matter", 14);
    const char *n2[] = { "unit", "title", "done_on" };
    const char *v2[] = { "k1", "装长椅", "2025-01-02" };
    rc = s_build(sm, 3, n2, v2, &sb, err, sizeof err, NULL);
    sl_schema_field_text(sm, (const uint8_t *) sb.data, sb.size, "status", text, sizeof text);
    s_check(rc == 0 && strcmp(text, "done") == 0, "entry with done_on: status done (%s %s)", text,
            err);
    sl_schema_field_text(sm, (const uint8_t *) sb.data, sb.size, "on", text, sizeof text);
    s_check(strcmp(text, "2025-01-02") == 0, "… stored under `on`");
    const char *n3[] = { "unit", "title", "on" };
    rc = s_build(sm, 3, n3, v2, &sb, err, sizeof err, &field);
    s_check(rc != 0 && field && strcmp(field, "status") == 0,
            "with `on` the status is required: %s", err);

    /* A 0.2.0 payload on the wire: valid; references are its day's names. */
    msgpack_sbuffer_clear(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "unit", 4);
    msgpack_pack_str_with_body(&pk, "区直单位7", strlen("区直单位7"));
    msgpack_pack_str_with_body(&pk, "title", 5);
    msgpack_pack_str_with_body(&pk, "旧记录", strlen("旧记录"));
    msgpack_pack_str_with_body(&pk, "done_on", 7);
    msgpack_pack_str_with_body(&pk, "2024-11-27", 10);
    s_ref_lookups = 0;
    rc = sl_schema_check(sm, (const uint8_t *) sb.data, sb.size, &s_lk, err, sizeof err, NULL);
    s_check(rc == 0 && s_ref_lookups == 0,
            "a 0.2.0 service_matter is valid, its unit not looked up (%s)", err);
    sl_view_t view;
    sl_schema_view(sm, (const uint8_t *) sb.data, sb.size, &view, err, sizeof err);
    s_check(view.legacy && strcmp(sl_view_text(&view, "status", text, sizeof text), "done") == 0,
            "… and reads as done");
    s_check(strcmp(sl_view_text(&view, "on", text, sizeof text), "2024-11-27") == 0,
            "… on its done_on date");

    /* References. */
    const sl_rtype_t *ra = sl_schema_find("rating", 6);
    const char *n4[] = { "item", "stars" };
    const char *v4[] = { ID_NONE, "5" };
    rc = s_build(ra, 2, n4, v4, &sb, err, sizeof err, &field);
    s_check(rc != 0 && strstr(err, "does not have") && field && strcmp(field, "item") == 0,
            "a rating of a record this site does not have: %s", err);
    const char *v5[] = { ID_TALENT, "5" };
    rc = s_build(ra, 2, n4, v5, &sb, err, sizeof err, &field);
    s_check(rc != 0 && strstr(err, "talent"), "a rating of a talent (not rateable): %s", err);
    const char *v6[] = { ID_MATTER, "6" };
    rc = s_build(ra, 2, n4, v6, &sb, err, sizeof err, &field);
    s_check(rc != 0 && strstr(err, "stars"), "a 6-star rating: %s", err);
    const char *n7[] = { "unit", "title", "status", "on" };
    const char *v7[] = { "区委办", "x", "已完成", "2025-02-29" };
    rc = s_build(sm, 4, n7, v7, &sb, err, sizeof err, &field);
    s_check(rc != 0 && field && strcmp(field, "on") == 0, "2025-02-29 is not a date: %s", err);
    const char *v8[] = { "区委办", "x", "已完成", "2024-02-29" };
    rc = s_build(sm, 4, n7, v8, &sb, err, sizeof err, &field);
    s_check(rc == 0, "2024-02-29 is, and a Chinese key and status label work: %s", err);

    /* Unknown and repeated fields at entry. */
    const char *n9[] = { "unit", "nonsense" };
    const char *v9[] = { "k1", "x" };
    rc = s_build(sm, 2, n9, v9, &sb, err, sizeof err, NULL);
    s_check(rc != 0 && strstr(err, "nonsense") && strstr(err, "事项 title"),
            "an unknown field is refused, listing the fields: %.120s", err);
    const char *n10[] = { "unit", "单位" };
    rc = s_build(sm, 2, n10, v9, &sb, err, sizeof err, NULL);
    s_check(rc != 0 && strstr(err, "twice"), "a field given twice (by name and label): %s", err);
    const char *n11[] = { "beneficiaries" };
    const char *v11[] = { "+5" };
    const char *n11b[] = { "unit", "title", "status", "on", "beneficiaries" };
    const char *v11b[] = { "k1", "x", "done", "2025-01-01", v11[0] };
    (void) n11;
    rc = s_build(sm, 5, n11b, v11b, &sb, err, sizeof err, &field);
    s_check(rc != 0 && field && strcmp(field, "beneficiaries") == 0, "+5 is not a number: %s",
            err);

    /* Wire payloads of the wrong shape. */
    struct { const char *what; const char *hex; } bad[] = {
        { "not a map", "93010203" },
        { "a map announcing more fields than bytes", "8f" },
        { "a string where a number belongs", "85a4756e6974a26b31a57469746c65a178a6737461747573a4646f6e65a26f6eaa323032352d30312d3031ad62656e6566696369617269657381a178a179" },
        { "trailing bytes", "80c0" },
        { "invalid UTF-8", "81a57469746c65a2c328" },
        { "an unknown field", "81a3666f6fa3626172" },
        { "a repeated field", "82a57469746c65a178a57469746c65a179" },
        { "a nested map", "81a57469746c6581a178a179" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t bytes[256];
        size_t len = strlen(bad[i].hex) / 2;
        for (size_t j = 0; j < len; j++)
            sscanf(bad[i].hex + 2 * j, "%2hhx", &bytes[j]);
        rc = sl_schema_check(sm, bytes, len, &s_lk, err, sizeof err, NULL);
        s_check(rc != 0 && err[0] && sl_utf8_valid(err, strlen(err)),
                "wire: %s is refused: %.120s", bad[i].what, err);
    }
    msgpack_sbuffer_destroy(&sb);
}

/* A field's index by name, also when the caller reuses one buffer for
 * several names (the same address each time): sl_schema_field_index
 * remembers answers by address, and once answered "team" for "title", so
 * that every volunteer activity of a day looked like the same row to the
 * duplicate check. */
static void s_field_index_reused_buffer(void)
{
    const sl_rtype_t *rt = sl_schema_find("volunteer_activity", strlen("volunteer_activity"));
    char name[SL_MAX_NAME_BYTES + 1];
    static const char *names[] = { "team", "unit", "title", "on", "team", "hours", "nosuch",
                                   "title" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(name, sizeof name, "%s", names[i]);
        const sl_field_t *f = sl_schema_field(rt, names[i], strlen(names[i]));
        int want = f ? (int) (f - rt->fields) : -1;
        int got = sl_schema_field_index(rt, name);
        s_check(got == want, "field index of \"%s\" from a reused buffer: %d (want %d)",
                names[i], got, want);
    }
}

int main(void)
{
    s_check(sl_schema_count() <= SL_MAX_TYPES, "the table has %zu types, at most SL_MAX_TYPES",
            sl_schema_count());
    s_every_type();
    s_particulars();
    s_field_index_reused_buffer();
    s_check(s_item_lookups > 0 && s_ref_lookups > 0, "the lookups were used (%d, %d)",
            s_item_lookups, s_ref_lookups);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
