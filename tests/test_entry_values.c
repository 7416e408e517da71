/* test_entry_values: how entry reads what people type (issue 7, items 3, 4,
 * 5 and 7; common/sl_schema.c sl_schema_entry_value and sl_schema_build).
 *
 * Dates as Excel on Chinese Windows and Chinese input methods write them
 * (2026/3/5, 2026-3-5, 2026年3月5日, full-width ２０２６－０３－０５), numbers
 * with full-width digits, values trimmed of ASCII and full-width spaces,
 * white space alone as empty, choices in any case; and what stays refused
 * because it would be a guess (3/5/2026, 26-3-5, 1,200, 120人).  Control
 * characters in a text are refused naming the field; a date more than a
 * day after the site's clock is refused saying so.  The wire stays strict:
 * sl_schema_check still refuses 2026/3/5. */
#include "sl_check.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <string.h>

static const sl_field_t *s_field(const char *type, const char *name)
{
    const sl_rtype_t *rt = sl_schema_find(type, strlen(type));
    return rt ? sl_schema_field(rt, name, strlen(name)) : NULL;
}

/* Reads `in` as field type.name with today's date `today`; "ERR:…" on a refusal. */
static const char *s_read(const char *type, const char *name, const char *in, long today,
                          char *out, size_t cap)
{
    char err[600];
    const char *field = NULL;
    int n = sl_schema_entry_value(s_field(type, name), in, strlen(in), today, out, cap, err,
                                  sizeof err, &field);
    if (n < 0) {
        s_check(field && strcmp(field, name) == 0 && sl_utf8_valid(err, strlen(err)),
                "the refusal of \"%s\" names field %s and is valid UTF-8", in, name);
        snprintf(out, cap, "ERR:%s", err);
    }
    return out;
}

static void s_same(const char *type, const char *name, const char *in, long today,
                   const char *want)
{
    char out[1200];
    s_read(type, name, in, today, out, sizeof out);
    bool ok = strncmp(want, "ERR:", 4) == 0 ? strncmp(out, "ERR:", 4) == 0 && strstr(out, want + 4)
                                            : strcmp(out, want) == 0;
    s_check(ok, "%s.%s \"%s\" reads as \"%s\" (got \"%.300s\")", type, name, in, want, out);
}

static void s_dates(void)
{
    static const char *ok[] = {
        "2026-03-05", "2026-3-5", "2026/3/5", "2026/03/05", "2026.3.5", "2026年3月5日",
        "2026年3月5号", "2026年3月5", "2026年03月05日", "２０２６－０３－０５", "２０２６／３／５",
        "２０２６年３月５日", " 2026-03-05 ", ("\xE3\x80\x80" "2026/3/5" "\xE3\x80\x80"),
        "\t2026-3-5\r\n", ("\xC2\xA0" "2026-03-05"),
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        s_same("problem_report", "on", ok[i], 0, "2026-03-05");
    static const char *bad[] = {
        "3/5/2026", "5/3/2026", "26-3-5", "2026-3/5", "2026年3-5", "2026-02-30", "2026-13-01",
        "20260305", "2026-03-05x", "2026年03月005日", "2026--3-5", "2026-3-5日", "1999-12-31",
        "2100-01-01", "二〇二六年三月五日", "2026-03-05 10:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_same("problem_report", "on", bad[i], 0, "ERR:2026年3月5日");
    s_check(sl_schema_date_entry("2024年2月29日", strlen("2024年2月29日")) == 20240229,
            "a leap day in the 年月日 form");
}

static void s_future(void)
{
    /* More than one day after the site's clock: refused, saying it is the
     * site's clock; the next day is allowed (a clock a little behind, a
     * time zone). */
    s_same("problem_report", "on", "2026-11-29", 20261128, "2026-11-29");
    s_same("problem_report", "on", "2026-11-30", 20261128, "ERR:本机日期 2026-11-28 晚一天以上");
    s_same("problem_report", "on", "2026/11/30", 20261128, "ERR:the site's clock");
    s_same("problem_report", "on", "2027-01-01", 20261231, "2027-01-01");
    s_same("problem_report", "on", "2027-01-02", 20261231, "ERR:2027-01-02");
    s_same("problem_report", "on", "2024-02-29", 20240228, "2024-02-29");
    s_same("problem_report", "on", "2024-03-01", 20240228, "ERR:future");
    s_same("problem_report", "on", "2099-12-31", 20261128, "ERR:future");
    s_same("problem_report", "on", "2099-12-31", 0, "2099-12-31");     /* no clock: no check */
    long today = sl_schema_today();
    s_check(today > 20200101 && sl_schema_date_entry("2026-01-01", 10) > 0,
            "sl_schema_today reads this computer's clock (%ld)", today);
}

static void s_numbers(void)
{
    s_same("service_matter", "beneficiaries", "120", 0, "120");
    s_same("service_matter", "beneficiaries", "１２０", 0, "120");
    s_same("service_matter", "beneficiaries", " １２０\xE3\x80\x80", 0, "120");
    s_same("service_matter", "beneficiaries", "007", 0, "7");
    s_same("service_matter", "beneficiaries", "-1", 0, "ERR:0..1000000");
    s_same("service_matter", "beneficiaries", "－１", 0, "ERR:is -1");
    static const char *bad[] = { "1,200", "120人", "+5", "120.0", "１２０．５", "约100", "五",
                                 "-", "1 200", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_same("service_matter", "beneficiaries", bad[i], 0, "ERR:must be a whole number");
    s_same("rating", "stars", "５", 0, "5");
    s_same("rating", "stars", "6", 0, "ERR:1..5");
}

static void s_texts(void)
{
    s_same("problem_report", "summary", "  楼道堆放杂物 ", 0, "楼道堆放杂物");
    s_same("problem_report", "summary", "\xE3\x80\x80楼道\xE3\x80\x80堆放\xE3\x80\x80", 0,
           "楼道\xE3\x80\x80堆放");                  /* inside a value: kept */
    s_same("service_matter", "unit", " 区委办 ", 0, "区委办");
    s_same("service_matter", "unit", "\xEF\xBB\xBF" "u1\xE2\x80\x8B", 0, "u1");
    s_same("problem_report", "summary", "＃2号楼 加装扶手", 0, "＃2号楼 加装扶手");
    s_same("problem_report", "summary", "第一行\n第二行", 0, "ERR:含有换行");
    s_same("problem_report", "summary", "第一行\r\n第二行", 0, "ERR:contains a line break");
    s_same("problem_report", "summary", "a\tb", 0, "ERR:contains a tab");
    s_same("problem_report", "summary", "a\x01" "b", 0, "ERR:a control character");
    s_same("problem_report", "summary", "a\xE2\x80\xA8" "b", 0, "ERR:a line break");
    s_same("problem_report", "summary", "a\xC2\x85" "b", 0, "ERR:a control character");
    s_same("service_matter", "unit", "区\n委办", 0, "ERR:field \"unit\"");
    char out[16];
    const sl_field_t *f = s_field("problem_report", "summary");
    char err[300];
    const char *blank = " \xE3\x80\x80\t\xC2\xA0 ";
    int n = sl_schema_entry_value(f, blank, strlen(blank), 0, out, sizeof out, err, sizeof err,
                                  NULL);
    s_check(n == 0 && out[0] == 0, "white space alone (ASCII and full-width) is empty (%d)", n);
}

static void s_choices(void)
{
    s_same("problem_report", "reporter_kind", "courier", 0, "courier");
    s_same("problem_report", "reporter_kind", "Courier", 0, "courier");
    s_same("problem_report", "reporter_kind", "ＣＯＵＲＩＥＲ", 0, "courier");
    s_same("problem_report", "reporter_kind", " 快递员　", 0, "courier");
    s_same("problem_report", "reporter_kind", "快递", 0, "ERR:快递员 courier");
    s_same("service_matter", "status", "已完成", 0, "done");
    s_same("service_matter", "status", "IN_PROGRESS", 0, "in_progress");
}

static void s_build(void)
{
    const sl_rtype_t *pr = sl_schema_find("problem_report", 14);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char err[1000], text[200];
    const char *field = NULL;
    sl_schema_lookup_t lk = { .today = 20261128 };

    const char *n1[] = { "上报人类别", "问题描述", "上报日期", "地点" };
    const char *v1[] = { "快递员", "楼道堆放杂物", "２０２６年３月５日", "   " };
    int rc = sl_schema_build(pr, 4, n1, v1, &sb, &lk, err, sizeof err, &field);
    sl_schema_field_text(pr, (const uint8_t *) sb.data, sb.size, "on", text, sizeof text);
    s_check(rc == 0 && strcmp(text, "2026-03-05") == 0,
            "build: ２０２６年３月５日 is stored as 2026-03-05 (%s %s)", text, err);
    sl_schema_field_text(pr, (const uint8_t *) sb.data, sb.size, "location", text, sizeof text);
    s_check(rc == 0 && text[0] == 0, "build: a location of spaces is absent");
    s_check(rc == 0 && sl_schema_check(pr, (const uint8_t *) sb.data, sb.size, NULL, err,
                                       sizeof err, NULL) == 0,
            "build: the payload is canonical: the wire takes it (%s)", err);

    const char *v2[] = { "快递员", "\xE3\x80\x80 \xE3\x80\x80", "2026-03-05", "" };
    msgpack_sbuffer_clear(&sb);
    rc = sl_schema_build(pr, 4, n1, v2, &sb, &lk, err, sizeof err, &field);
    s_check(rc != 0 && field && strcmp(field, "summary") == 0 && strstr(err, "必填"),
            "build: a required field of spaces is missing, not saved: %s", err);

    const char *v3[] = { "快递员", "x", "2099-12-31", "" };
    msgpack_sbuffer_clear(&sb);
    rc = sl_schema_build(pr, 4, n1, v3, &sb, &lk, err, sizeof err, &field);
    s_check(rc != 0 && field && strcmp(field, "on") == 0 && strstr(err, "future"),
            "build: 2099-12-31 is in the future of the lookup's date: %s", err);

    /* The wire is strict: one canonical form. */
    msgpack_sbuffer_clear(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "reporter_kind", 13);
    msgpack_pack_str_with_body(&pk, "courier", 7);
    msgpack_pack_str_with_body(&pk, "summary", 7);
    msgpack_pack_str_with_body(&pk, "x", 1);
    msgpack_pack_str_with_body(&pk, "on", 2);
    msgpack_pack_str_with_body(&pk, "2026/3/5", 8);
    rc = sl_schema_check(pr, (const uint8_t *) sb.data, sb.size, NULL, err, sizeof err, NULL);
    s_check(rc != 0, "wire: 2026/3/5 is refused by sl_schema_check: %s", err);
    msgpack_sbuffer_destroy(&sb);
}

static void s_same_row(void)
{
    for (size_t t = 0; t < sl_schema_count(); t++) {
        const sl_rtype_t *rt = sl_schema_at(t);
        const char *rule = sl_schema_same_row(rt);
        char name[SL_MAX_NAME_BYTES + 1];
        bool ok = rule != NULL;
        for (size_t i = 0; ok && sl_schema_part(rule, i, name, sizeof name); i++)
            ok = sl_schema_field(rt, name, strlen(name)) != NULL;
        s_check(ok, "%s: the same-row rule names fields of the type (%s)", rt->name,
                rule ? rule : "none");
        /* Chinese labels are unique within a type: an exported heading
         * names one field. */
        for (size_t a = 0; a < rt->nfields; a++)
            for (size_t b = a + 1; b < rt->nfields; b++)
                if (strcmp(rt->fields[a].label, rt->fields[b].label) == 0)
                    s_check(false, "%s: label %s is used twice", rt->name, rt->fields[a].label);
    }
}

int main(void)
{
    s_same_row();
    s_dates();
    s_future();
    s_numbers();
    s_texts();
    s_choices();
    s_build();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
