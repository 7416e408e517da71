/* test_schema.c: record types as data, common/sl_schema.c (P9: a 6-star
 * rating, invalid UTF-8 or a date in 1900 is refused with a clear error).
 *
 * sl_schema_build turns text values (command line, CSV) into a payload;
 * sl_schema_check validates a payload from the wire.  For the three record
 * types: required fields, ranges, dates, enums, text length in characters,
 * invalid UTF-8, unknown and duplicate fields, references through a lookup
 * callback, and wire payloads with values of the wrong msgpack type.  Every
 * refusal must name the field at fault, and every sentence must be valid
 * UTF-8 (it may travel in an ERROR message).
 * Prints one line per check; exits 1 on any failure. */
#include "sl_id.h"
#include "sl_limits.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"

/* ---- a tiny record store for references --------------------------------------- */

#define ID_MATTER "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"
#define ID_REPORT "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c"
#define ID_RATING "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2d"
#define ID_NONE   "0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2e"

static int s_lookups;

static bool s_lookup(void *ctx, const uint8_t *id, char *type, size_t cap)
{
    static const char *ids[] = { ID_MATTER, ID_REPORT, ID_RATING };
    static const char *types[] = { "service_matter", "problem_report", "rating" };
    s_lookups++;
    if (ctx != &s_lookups)
        s_check(false, "lookup gets the caller's context");
    for (int i = 0; i < 3; i++) {
        uint8_t known[SL_ID_BYTES];
        sl_id_parse(ids[i], known);
        if (memcmp(known, id, SL_ID_BYTES) == 0) {
            snprintf(type, cap, "%s", types[i]);
            return true;
        }
    }
    return false;
}

/* ---- helpers ----------------------------------------------------------------------- */

static const sl_rtype_t *s_type(const char *name)
{
    return sl_schema_find(name, strlen(name));
}

/* Builds a record of `type` from "name=value" strings; returns 0 or -1 with
 * the sentence in err, the payload in sb. */
static int s_build(msgpack_sbuffer *sb, char *err, size_t errlen, const char *type, ...)
{
    const char *names[16], *values[16];
    char copies[16][6000];
    size_t n = 0;
    va_list ap;
    va_start(ap, type);
    const char *arg;
    while (n < 16 && (arg = va_arg(ap, const char *)) != NULL) {
        snprintf(copies[n], sizeof copies[n], "%s", arg);
        char *eq = strchr(copies[n], '=');
        *eq = 0;
        names[n] = copies[n];
        values[n] = eq + 1;
        n++;
    }
    va_end(ap);
    msgpack_sbuffer_clear(sb);
    err[0] = 0;
    return sl_schema_build(s_type(type), n, names, values, sb, s_lookup, &s_lookups, err, errlen);
}

/* A build that must succeed, and whose payload must pass the wire check. */
/* True when the bytes buf[0..len) contain needle[0..n). */
static bool s_has(const char *buf, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return true;
    return false;
}

static void s_good(const char *what, const char *type, int rc, msgpack_sbuffer *sb,
                   const char *err)
{
    char err2[400] = "";
    int rc2 = rc ? -1 : sl_schema_check(s_type(type), (const uint8_t *) sb->data, sb->size,
                                        s_lookup, &s_lookups, err2, sizeof err2);
    s_check(rc == 0 && rc2 == 0, "%s: accepted %s%s", what, err, err2);
}

/* A refusal that must name `field` (and `also`, when given) in valid UTF-8. */
static void s_bad(const char *what, int rc, const char *err, const char *field, const char *also)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", field);
    s_check(rc == -1 && strstr(err, quoted) && (!also || strstr(err, also))
            && sl_utf8_valid(err, strlen(err)), "%s: refused naming %s: %s", what, quoted, err);
}

/* ---- build: the command line and CSV path ----------------------------------------- */

static void s_service_matter(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[400];
    int rc;
#define SM(...) s_build(&sb, err, sizeof err, "service_matter", __VA_ARGS__, NULL)
    rc = SM("unit=区民政局", "title=为独居老人安装烟雾报警器", "done_on=2024-11-27");
    s_good("service_matter with the required fields", "service_matter", rc, &sb, err);
    rc = SM("unit=区民政局", "done_on=2024-11-27");
    s_bad("service_matter without title", rc, err, "title", "required");
    rc = SM("unit=区民政局", "title=", "done_on=2024-11-27");
    s_bad("service_matter with an empty title (empty is absent)", rc, err, "title", "required");
    rc = SM("unit=区民政局", "title=t", "done_on=2024-11-27", "color=red");
    s_bad("service_matter with an unknown field", rc, err, "color", "title");
    rc = SM("unit=a", "title=t", "unit=b", "done_on=2024-11-27");
    s_bad("service_matter with unit given twice", rc, err, "unit", "twice");
    rc = SM("unit=", "title=t", "unit=b", "done_on=2024-11-27");
    s_bad("service_matter with unit given twice, the first empty", rc, err, "unit", "twice");

    /* Dates: a real calendar day from 2000-01-01 to 2099-12-31. */
    static const struct { const char *date; bool ok; } dates[] = {
        { "2024-02-29", true }, { "2000-02-29", true }, { "2000-01-01", true },
        { "2099-12-31", true }, { "2024-04-30", true },
        { "1900-01-01", false }, { "1999-12-31", false }, { "2100-01-01", false },
        { "2025-02-30", false }, { "2023-02-29", false }, { "2024-04-31", false },
        { "2024-13-01", false }, { "2024-00-10", false }, { "2024-01-00", false },
        { "2024-2-29", false }, { "2024/02/29", false }, { "20240229", false },
        { "2024-02-29 ", false }, { "abcd-ef-gh", false }, { "２０２４-02-29", false },
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char arg[80];
        snprintf(arg, sizeof arg, "done_on=%s", dates[i].date);
        rc = SM("unit=u", "title=t", arg);
        char what[120];
        snprintf(what, sizeof what, "done_on %s", dates[i].date);
        if (dates[i].ok)
            s_good(what, "service_matter", rc, &sb, err);
        else
            s_bad(what, rc, err, "done_on", "YYYY-MM-DD");
    }

    /* Integers. */
    static const struct { const char *v; bool ok; } ints[] = {
        { "0", true }, { "1000000", true }, { "12", true },
        { "-1", false }, { "1000001", false }, { "12abc", false }, { "abc", false },
        { " 5", false }, { "+5", false }, { "5.0", false }, { "99999999999999999999", false },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char arg[80], what[120];
        snprintf(arg, sizeof arg, "beneficiaries=%s", ints[i].v);
        snprintf(what, sizeof what, "beneficiaries \"%s\"", ints[i].v);
        rc = SM("unit=u", "title=t", "done_on=2024-01-01", arg);
        if (ints[i].ok)
            s_good(what, "service_matter", rc, &sb, err);
        else
            s_bad(what, rc, err, "beneficiaries", NULL);
    }

    /* Text length counts characters: a CJK character is one. */
    char unit[64 * 3 + 10], arg[300];
    unit[0] = 0;
    for (int i = 0; i < 64; i++)
        strcat(unit, "社");
    snprintf(arg, sizeof arg, "unit=%s", unit);
    rc = SM(arg, "title=t", "done_on=2024-01-01");
    s_good("unit of 64 CJK characters (192 bytes; the limit is 64 characters)",
           "service_matter", rc, &sb, err);
    strcat(arg, "区");
    rc = SM(arg, "title=t", "done_on=2024-01-01");
    s_bad("unit of 65 CJK characters", rc, err, "unit", "65 characters");
    char title[201];
    memset(title, 'x', 200);
    title[200] = 0;
    snprintf(arg, sizeof arg, "title=%s", title);
    rc = SM("unit=u", arg, "done_on=2024-01-01");
    s_good("title of 200 ASCII characters", "service_matter", rc, &sb, err);
    strcat(arg, "y");
    rc = SM("unit=u", arg, "done_on=2024-01-01");
    s_bad("title of 201 characters", rc, err, "title", "201 characters");

    /* UTF-8. */
    static const struct { const char *what, *v; } bad_text[] = {
        { "a lone continuation byte", "ab\x80" },
        { "an overlong '/'", "\xc0\xaf" },
        { "a cut character", "社\xe5\x8c" },
        { "a surrogate", "\xed\xa0\x80" },
        { "a control character", "a\x01" },
        { "DEL", "a\x7f" },
        { "a code point above U+10FFFF", "\xf4\x90\x80\x80" },
    };
    for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
        char what[120];
        snprintf(arg, sizeof arg, "title=%s", bad_text[i].v);
        snprintf(what, sizeof what, "title with %s", bad_text[i].what);
        rc = SM("unit=u", arg, "done_on=2024-01-01");
        s_bad(what, rc, err, "title", "UTF-8");
    }
    rc = SM("unit=u", "title=第一行\n第二行\tend", "done_on=2024-01-01");
    s_good("title with a newline and a tab", "service_matter", rc, &sb, err);
#undef SM
    msgpack_sbuffer_destroy(&sb);
}

static void s_problem_report(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[400];
    int rc;
#define PR(...) s_build(&sb, err, sizeof err, "problem_report", __VA_ARGS__, NULL)
    static const char *kinds[] = { "grid_worker", "volunteer", "courier", "delivery_rider",
                                   "resident", "member" };
    for (int i = 0; i < 6; i++) {
        char arg[80], what[80];
        snprintf(arg, sizeof arg, "reporter_kind=%s", kinds[i]);
        snprintf(what, sizeof what, "reporter_kind %s", kinds[i]);
        rc = PR(arg, "summary=楼道堆放杂物", "reported_on=2024-11-26");
        s_good(what, "problem_report", rc, &sb, err);
    }
    rc = PR("reporter_kind=Courier", "summary=s", "reported_on=2024-11-26");
    s_bad("reporter_kind Courier (enums are exact)", rc, err, "reporter_kind", "one of");
    rc = PR("reporter_kind=mayor", "summary=s", "reported_on=2024-11-26");
    s_bad("reporter_kind mayor", rc, err, "reporter_kind", "grid_worker(网格员) volunteer(志愿者)");
    /* People type Chinese: field labels and choice labels are accepted and
     * stored as the wire names. */
    rc = PR("上报人类别=快递员", "问题描述=路灯不亮", "上报日期=2024-11-26");
    s_good("Chinese field and choice names", "problem_report", rc, &sb, err);
    s_check(rc == 0 && s_has(sb.data, sb.size, "courier", 7)
            && s_has(sb.data, sb.size, "\xe5\xbf\xab\xe9\x80\x92", 6) == false,
            "快递员 is stored as \"courier\"");
    s_check(rc == 0 && s_has(sb.data, sb.size, "reporter_kind", 13),
            "上报人类别 is stored as \"reporter_kind\"");
    rc = PR("上报人类别=邮递员", "问题描述=s", "上报日期=2024-11-26");
    s_bad("an unknown Chinese choice", rc, err, "reporter_kind", "courier(快递员)");
    s_check(sl_schema_find_entry("一事一评") == sl_schema_find("rating", 6)
            && sl_schema_find_entry("rating") == sl_schema_find("rating", 6)
            && sl_schema_find_entry("评价") == NULL && sl_schema_find("一事一评", 12) == NULL,
            "types by Chinese name for entry, by wire name only on the wire");
    rc = PR("summary=s", "reported_on=2024-11-26");
    s_bad("problem_report without reporter_kind", rc, err, "reporter_kind", "required");
    rc = PR("reporter_kind=resident", "summary=s");
    s_bad("problem_report without reported_on", rc, err, "reported_on", "required");
    /* A long wrong enum value is quoted cut at a character, never mid-way. */
    char arg[400] = "reporter_kind=";
    for (int i = 0; i < 50; i++)
        strcat(arg, "快");
    rc = PR(arg, "summary=s", "reported_on=2024-11-26");
    s_bad("reporter_kind of 50 CJK characters", rc, err, "reporter_kind", "快...\"");
#undef PR
    msgpack_sbuffer_destroy(&sb);
}

static void s_rating(void)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[400];
    int rc;
#define RT(...) s_build(&sb, err, sizeof err, "rating", __VA_ARGS__, NULL)
    for (int stars = 0; stars <= 6; stars++) {
        char arg[40], what[40];
        snprintf(arg, sizeof arg, "stars=%d", stars);
        snprintf(what, sizeof what, "a %d-star rating", stars);
        rc = RT("item=" ID_MATTER, arg);
        if (stars >= 1 && stars <= 5)
            s_good(what, "rating", rc, &sb, err);
        else
            s_bad(what, rc, err, "stars", "1..5");
    }
    rc = RT("item=" ID_REPORT, "stars=3", "comment=很好");
    s_good("a rating of a problem_report", "rating", rc, &sb, err);

    /* Exact bytes: map of 2, "item" bin16, "stars" 5 (worked out by hand). */
    rc = RT("stars=5", "item=" ID_MATTER);
    static const uint8_t want[] = { 0x82, 0xa4, 'i', 't', 'e', 'm', 0xc4, 0x10, 0x01, 0x93,
                                    0xa1, 0xb2, 0xc3, 0xd4, 0x7e, 0x5f, 0x8a, 0x6b, 0x7c, 0x8d,
                                    0x9e, 0x0f, 0x1a, 0x2b, 0xa5, 's', 't', 'a', 'r', 's', 0x05 };
    s_check(rc == 0 && sb.size == sizeof want && memcmp(sb.data, want, sizeof want) == 0,
            "rating payload bytes: fields in table order, REF as bin 16, stars as fixint");

    int before = s_lookups;
    rc = RT("item=" ID_NONE, "stars=5");
    s_bad("a rating of a record that does not exist", rc, err, "item", "does not exist");
    s_check(s_lookups == before + 1, "the lookup was asked once");
    rc = RT("item=" ID_RATING, "stars=5");
    s_bad("a rating of a rating (wrong type)", rc, err, "item", "service_matter|problem_report");
    rc = RT("item=not-an-id", "stars=5");
    s_bad("a rating whose item is not an id", rc, err, "item", "record id");
    rc = RT("item=0193a1b2c3d47e5f8a6b7c8d9e0f1a2b0000", "stars=5");
    s_bad("a rating whose item has no dashes", rc, err, "item", "record id");
    rc = RT("stars=5");
    s_bad("a rating without item", rc, err, "item", "required");
    msgpack_sbuffer_clear(&sb);
    const char *n[] = { "item", "stars" }, *v[] = { ID_NONE, "5" };
    rc = sl_schema_build(s_type("rating"), 2, n, v, &sb, NULL, NULL, err, sizeof err);
    s_check(rc == 0, "without a lookup the reference is not checked");
#undef RT
    msgpack_sbuffer_destroy(&sb);
}

/* ---- check: payloads from the wire ------------------------------------------------- */

typedef void (*s_packer_fn)(msgpack_packer *pk);

static int s_wire(const char *type, s_packer_fn fn, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fn(&pk);
    err[0] = 0;
    int rc = sl_schema_check(s_type(type), (const uint8_t *) sb.data, sb.size, s_lookup,
                             &s_lookups, err, errlen);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void s_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void s_item(msgpack_packer *pk)
{
    uint8_t id[SL_ID_BYTES];
    sl_id_parse(ID_MATTER, id);
    s_str(pk, "item");
    msgpack_pack_bin_with_body(pk, id, SL_ID_BYTES);
}

static void s_w_ok(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_str(pk, "comment");       /* any order is fine on the wire */
    s_str(pk, "好");
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 4);
    s_item(pk);
}
static void s_w_stars_str(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_item(pk);
    s_str(pk, "stars");
    s_str(pk, "5");
}
static void s_w_stars_float(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_double(pk, 5.0);
}
static void s_w_stars_neg(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, -3);
}
static void s_w_stars_huge(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_uint64(pk, UINT64_MAX);
}
static void s_w_stars_nil(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_nil(pk);
}
static void s_w_item_text(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_str(pk, "item");
    s_str(pk, ID_MATTER);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
}
static void s_w_item_short(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_str(pk, "item");
    msgpack_pack_bin_with_body(pk, "0123456789abcde", 15);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
}
static void s_w_item_missing_record(msgpack_packer *pk)
{
    uint8_t id[SL_ID_BYTES];
    sl_id_parse(ID_NONE, id);
    msgpack_pack_map(pk, 2);
    s_str(pk, "item");
    msgpack_pack_bin_with_body(pk, id, SL_ID_BYTES);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
}
static void s_w_comment_int(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
    s_str(pk, "comment");
    msgpack_pack_int64(pk, 5);
}
static void s_w_comment_bad_utf8(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
    s_str(pk, "comment");
    msgpack_pack_str_with_body(pk, "\xe5\xa5", 2);
}
static void s_w_comment_empty(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
    s_str(pk, "comment");
    s_str(pk, "");
}
static void s_w_unknown(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
    msgpack_pack_str_with_body(pk, "\xe6\x98\x9fxx\xff", 6);
    s_str(pk, "x");
}
static void s_w_int_key(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
    msgpack_pack_int64(pk, 1);
    s_str(pk, "x");
}
static void s_w_duplicate(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 1);
}
static void s_w_missing(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    s_item(pk);
}
static void s_w_array(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    s_str(pk, "stars");
    msgpack_pack_int64(pk, 5);
}
static void s_w_trailing(msgpack_packer *pk)
{
    s_w_ok(pk);
    msgpack_pack_nil(pk);
}
static void s_w_nested(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    s_item(pk);
    s_str(pk, "stars");
    msgpack_pack_map(pk, 1);
    s_str(pk, "v");
    msgpack_pack_int64(pk, 5);
}
static void s_w_date_bad(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_str(pk, "unit");
    s_str(pk, "u");
    s_str(pk, "title");
    s_str(pk, "t");
    s_str(pk, "done_on");
    s_str(pk, "2025-02-30");
}
static void s_w_date_int(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_str(pk, "unit");
    s_str(pk, "u");
    s_str(pk, "title");
    s_str(pk, "t");
    s_str(pk, "done_on");
    msgpack_pack_int64(pk, 20240101);
}
static void s_w_enum_bin(msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    s_str(pk, "reporter_kind");
    msgpack_pack_bin_with_body(pk, "courier", 7);
    s_str(pk, "summary");
    s_str(pk, "s");
    s_str(pk, "reported_on");
    s_str(pk, "2024-01-01");
}

static void s_wire_checks(void)
{
    static const struct {
        const char *what, *type;
        s_packer_fn fn;
        const char *field, *also;     /* field NULL: accepted */
    } cases[] = {
        { "a rating, fields in another order", "rating", s_w_ok, NULL, NULL },
        { "stars as the string \"5\"", "rating", s_w_stars_str, "stars", "integer" },
        { "stars as the float 5.0", "rating", s_w_stars_float, "stars", "integer" },
        { "stars -3", "rating", s_w_stars_neg, "stars", "1..5" },
        { "stars 2^64-1", "rating", s_w_stars_huge, "stars", "range" },
        { "stars nil", "rating", s_w_stars_nil, "stars", "integer" },
        { "item as the id's text", "rating", s_w_item_text, "item", "16-byte" },
        { "item of 15 bytes", "rating", s_w_item_short, "item", "16-byte" },
        { "item of a record that does not exist", "rating", s_w_item_missing_record, "item",
          "does not exist" },
        { "comment as an integer", "rating", s_w_comment_int, "comment", "string" },
        { "comment with a cut character", "rating", s_w_comment_bad_utf8, "comment", "UTF-8" },
        { "comment empty (must have 1..500 characters)", "rating", s_w_comment_empty, "comment",
          "0 characters" },
        { "an unknown field with invalid UTF-8 in its name", "rating", s_w_unknown,
          "\xe6\x98\x9fxx?", "no field" },
        { "stars given twice", "rating", s_w_duplicate, "stars", "twice" },
        { "a rating without stars", "rating", s_w_missing, "stars", "required" },
        { "stars as a map", "rating", s_w_nested, "stars", "integer" },
        { "done_on 2025-02-30", "service_matter", s_w_date_bad, "done_on", "YYYY-MM-DD" },
        { "done_on as an integer", "service_matter", s_w_date_int, "done_on", "string" },
        { "reporter_kind as bin", "problem_report", s_w_enum_bin, "reporter_kind", "string" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[400];
        int rc = s_wire(cases[i].type, cases[i].fn, err, sizeof err);
        char what[200];
        snprintf(what, sizeof what, "wire: %s", cases[i].what);
        if (!cases[i].field)
            s_check(rc == 0, "%s: accepted %s", what, err);
        else
            s_bad(what, rc, err, cases[i].field, cases[i].also);
    }
    char err[400];
    int rc = s_wire("rating", s_w_int_key, err, sizeof err);
    s_check(rc == -1 && strstr(err, "names must be strings"), "wire: an integer key: refused: %s",
            err);
    rc = s_wire("rating", s_w_array, err, sizeof err);
    s_check(rc == -1 && strstr(err, "map"), "wire: an array instead of a map: refused: %s", err);
    rc = s_wire("rating", s_w_trailing, err, sizeof err);
    s_check(rc == -1 && strstr(err, "trailing"), "wire: trailing bytes: refused: %s", err);

    static const uint8_t garbage[][5] = { { 0xdf, 0x77, 0x35, 0x94, 0x00 },
                                          { 0x81, 0xa1, 'a', 0xd4, 0x01 } };
    for (int i = 0; i < 2; i++) {
        rc = sl_schema_check(s_type("rating"), garbage[i], 5, NULL, NULL, err, sizeof err);
        s_check(rc == -1 && strstr(err, "msgpack"), "wire: %s: refused: %s",
                i ? "an ext value" : "a map32 announcing 2e9 pairs", err);
    }
    rc = sl_schema_check(s_type("rating"), (const uint8_t *) "", 0, NULL, NULL, err, sizeof err);
    s_check(rc == -1, "wire: an empty payload: refused: %s", err);
    uint8_t *big = calloc(1, SL_MAX_PAYLOAD_BYTES + 1);
    rc = sl_schema_check(s_type("rating"), big, SL_MAX_PAYLOAD_BYTES + 1, NULL, NULL, err,
                         sizeof err);
    s_check(rc == -1 && strstr(err, "16384"), "wire: a payload of 16385 bytes: refused: %s", err);
    free(big);
}

/* ---- the table and display ------------------------------------------------------ */

static void s_table(void)
{
    s_check(sl_schema_count() == 3, "three record types");
    s_check(s_type("rating") && strcmp(s_type("rating")->label, "一事一评") == 0,
            "rating is found, labelled 一事一评");
    s_check(sl_schema_find("ratings", 7) == NULL && sl_schema_find("rat", 3) == NULL,
            "ratings and rat are not record types");
    s_check(sl_schema_at(3) == NULL && sl_schema_at(0) == s_type("service_matter"),
            "sl_schema_at walks the table");
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        bool ok = rt->nfields > 0 && rt->nfields <= SL_MAX_FIELDS;
        for (size_t k = 0; k < rt->nfields; k++)
            ok = ok && strlen(rt->fields[k].name) <= SL_MAX_NAME_BYTES
                 && sl_utf8_valid(rt->fields[k].label, strlen(rt->fields[k].label));
        s_check(ok, "%s: 1..64 fields with short names and UTF-8 labels", rt->name);
    }

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[400], out[600];
    s_build(&sb, err, sizeof err, "service_matter", "beneficiaries=12", "done_on=2024-11-27",
            "unit=区民政局", "title=安装烟雾报警器", NULL);
    sl_schema_render(s_type("service_matter"), (const uint8_t *) sb.data, sb.size, out,
                     sizeof out);
    s_check(strcmp(out, "单位=区民政局 事项=安装烟雾报警器 完成日期=2024-11-27 受益人数=12") == 0,
            "render: %s", out);
    sl_schema_field_text(s_type("service_matter"), (const uint8_t *) sb.data, sb.size,
                         "community", out, sizeof out);
    s_check(strcmp(out, "") == 0, "an absent field reads as empty text");
    s_build(&sb, err, sizeof err, "rating", "item=" ID_MATTER, "stars=5", NULL);
    sl_schema_field_text(s_type("rating"), (const uint8_t *) sb.data, sb.size, "item", out,
                         sizeof out);
    s_check(strcmp(out, ID_MATTER) == 0, "a REF reads back as the id's text");
    sl_schema_render(s_type("rating"), (const uint8_t *) "\xc1", 1, out, sizeof out);
    s_check(strcmp(out, "(unreadable record)") == 0, "render of garbage: (unreadable record)");
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    s_service_matter();
    s_problem_report();
    s_rating();
    s_wire_checks();
    s_table();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
