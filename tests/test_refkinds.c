/* test_refkinds: reference data as typed entries (shared/RECORDS.md,
 * "Reference data"; promise P9 for what comes back from a database).
 *
 * The flat JSON reader and writer (common/sl_json.c): canonical output,
 * round trips, and every kind of damaged input refused with a sentence,
 * never a crash (every prefix of a valid value, random bytes).  The kind
 * table (common/sl_refkinds.c): every kind accepts a valid entry, each
 * invalid field is refused with a message naming it, keys, references to
 * entries in force, settings and target defaults, and 0.2.0 plain values. */
#include "sl_check.h"
#include "sl_json.h"
#include "sl_limits.h"
#include "sl_refkinds.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ---------------------------------------------------------------- */

static void s_json_valid(void)
{
    const char *text = " { \"name\" : \"区委办\", \"n\":12 ,\"x\":null,\"neg\":-5,"
                       "\"min\":-9223372036854775808,\"max\":9223372036854775807 } ";
    sl_json_obj_t obj;
    char err[300] = "";
    int rc = sl_json_parse(text, strlen(text), 16, &obj, err, sizeof err);
    s_check(rc == 0 && obj.n == 6, "a flat object with white space parses (%s)", err);
    const sl_json_member_t *m = sl_json_get(&obj, "name");
    s_check(m && m->type == SL_JSON_STRING && strcmp(m->str, "区委办") == 0
            && m->str_len == strlen("区委办"), "string member, UTF-8 kept");
    m = sl_json_get(&obj, "n");
    s_check(m && m->type == SL_JSON_INT && m->num == 12, "integer member");
    m = sl_json_get(&obj, "x");
    s_check(m && m->type == SL_JSON_NULL, "null member");
    m = sl_json_get(&obj, "min");
    s_check(m && m->num == INT64_MIN, "INT64_MIN is accepted");
    m = sl_json_get(&obj, "max");
    s_check(m && m->num == INT64_MAX, "INT64_MAX is accepted");
    s_check(sl_json_get(&obj, "absent") == NULL, "an absent key is NULL");
    sl_json_obj_free(&obj);
    sl_json_obj_free(&obj);
    s_check(obj.members == NULL && obj.n == 0, "free twice is safe");

    const char *esc = "{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4e2d\\ud83d\\ude00\"}";
    rc = sl_json_parse(esc, strlen(esc), 4, &obj, err, sizeof err);
    m = rc == 0 ? sl_json_get(&obj, "e") : NULL;
    s_check(m && strcmp(m->str, "\"\\/\b\f\n\r\té中\xF0\x9F\x98\x80") == 0,
            "escapes, \\u, a surrogate pair (%s)", err);
    sl_json_obj_free(&obj);

    rc = sl_json_parse("{}", 2, 4, &obj, err, sizeof err);
    s_check(rc == 0 && obj.n == 0, "the empty object");
    sl_json_obj_free(&obj);
}

static void s_json_refused(void)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        { "", "an object ({) was expected" },
        { "[1]", "an object ({) was expected" },
        { "\"x\"", "an object ({) was expected" },
        { "{\"a\":{}}", "nested objects and arrays are not allowed" },
        { "{\"a\":[1]}", "nested objects and arrays are not allowed" },
        { "{\"a\":true}", "true and false are not allowed" },
        { "{\"a\":1.5}", "only integers are allowed" },
        { "{\"a\":1e3}", "only integers are allowed" },
        { "{\"a\":01}", "may not start with 0" },
        { "{\"a\":-}", "a digit was expected" },
        { "{\"a\":9223372036854775808}", "out of range" },
        { "{\"a\":-9223372036854775809}", "out of range" },
        { "{\"a\":\"x\\u0000y\"}", "\\u0000 is not allowed" },
        { "{\"a\":\"\\udc00\"}", "a lone low surrogate" },
        { "{\"a\":\"\\ud83dx\"}", "a high surrogate without its low half" },
        { "{\"a\":\"\\u12\"}", "\\u needs 4 hex digits" },
        { "{\"a\":\"\\q\"}", "an unknown escape" },
        { "{\"a\":\"x", "the string is not closed" },
        { "{\"a\":\"x\ty\"}", "an unescaped control character" },
        { "{\"a\":\"\xff\"}", "not valid UTF-8" },
        { "{\"a\":\"\xe4\xb8\"}", "not valid UTF-8" },
        { "{\"a\":1,\"a\":2}", "a key appears twice" },
        { "{\"a\":1} x", "there is more after the object" },
        { "{\"a\":1}{}", "there is more after the object" },
        { "{\"a\" 1}", "a colon was expected" },
        { "{\"a\":1 \"b\":2}", "a comma or } was expected" },
        { "{\"a\":1,}", "a quoted key was expected" },
        { "{a:1}", "a quoted key was expected" },
        { "{\"a\":}", "a string, an integer or null was expected" },
        { "{\"a\":nul}", "a string, an integer or null was expected" },
        { "{\"a\"", "a colon was expected" },
        { "{", "a quoted key was expected" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_json_obj_t obj;
        char err[300] = "";
        int rc = sl_json_parse(bad[i].text, strlen(bad[i].text), 8, &obj, err, sizeof err);
        s_check(rc == -1 && strstr(err, bad[i].why) && strstr(err, "JSON 值")
                && obj.members == NULL && obj.arena == NULL,
                "refused: %s -> %s", bad[i].text, err);
    }
    sl_json_obj_t obj;
    char err[300];
    int rc = sl_json_parse("{\"a\":1,\"b\":2,\"c\":3}", 19, 2, &obj, err, sizeof err);
    s_check(rc == -1 && strstr(err, "more than 2 members"), "members over the limit: %s", err);
    rc = sl_json_parse(NULL, 5, 2, &obj, err, sizeof err);
    s_check(rc == -1, "NULL text is refused, not read");
}

/* Every prefix of a valid value is refused (a value cut short by damage),
 * and random bytes never crash (run under ASan by scripts/build.sh asan). */
static void s_json_damaged(void)
{
    const char *good = "{\"name\":\"公园社区\",\"households\":1200,\"needs\":\"a\\\"b\",\"x\":null}";
    size_t len = strlen(good), refused = 0;
    for (size_t n = 0; n < len; n++) {
        char *copy = malloc(n ? n : 1);     /* exactly n bytes: ASan sees any over-read */
        memcpy(copy, good, n);
        sl_json_obj_t obj;
        char err[300];
        if (sl_json_parse(copy, n, 8, &obj, err, sizeof err) == -1)
            refused++;
        sl_json_obj_free(&obj);
        free(copy);
    }
    s_check(refused == len, "all %zu prefixes of a valid value are refused (%zu)", len, refused);
    uint32_t seed = 12345;
    size_t parsed = 0;
    for (int i = 0; i < 20000; i++) {
        unsigned char buf[24];
        size_t n = 1 + (size_t) (i % (int) sizeof buf);
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            /* Mostly JSON punctuation, so that the parser gets deep. */
            static const char alphabet[] = "{}\":,\\u0123456789-nulabcdef \xe4\xb8\xad\xff";
            buf[k] = (unsigned char) alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        char *copy = malloc(n);
        memcpy(copy, buf, n);
        sl_json_obj_t obj;
        char err[300];
        if (sl_json_parse(copy, n, 8, &obj, err, sizeof err) == 0)
            parsed++;
        sl_json_obj_free(&obj);
        free(copy);
    }
    s_check(true, "20,000 random inputs read without a crash (%zu happened to be valid)", parsed);
}

static void s_json_writer(void)
{
    sl_json_writer_t w;
    sl_json_begin(&w);
    sl_json_add_str(&w, "name", "区委办", strlen("区委办"));
    sl_json_add_int(&w, "n", -42);
    sl_json_add_null(&w, "gone");
    sl_json_add_str(&w, "esc", "a\"b\\c/\x01\n\x7f", 9);
    sl_json_add_str(&w, "bad", "x\xffy", 3);
    size_t len = 0;
    char *text = sl_json_end(&w, &len);
    const char *want = "{\"name\":\"区委办\",\"n\":-42,\"gone\":null,"
                       "\"esc\":\"a\\\"b\\\\c/\\u0001\\n\x7f\",\"bad\":\"x\\ufffdy\"}";
    s_check(text && strcmp(text, want) == 0 && len == strlen(want),
            "canonical: keys in order, shortest escapes, UTF-8 kept, bad byte as \\ufffd: %s",
            text ? text : "(null)");
    sl_json_obj_t obj;
    char err[300] = "";
    int rc = text ? sl_json_parse(text, len, 8, &obj, err, sizeof err) : -1;
    const sl_json_member_t *m = rc == 0 ? sl_json_get(&obj, "esc") : NULL;
    s_check(m && m->str_len == 9 && memcmp(m->str, "a\"b\\c/\x01\n\x7f", 9) == 0,
            "what the writer writes, the reader reads back (%s)", err);
    sl_json_obj_free(&obj);
    free(text);

    sl_json_begin(&w);
    text = sl_json_end(&w, &len);
    s_check(text && strcmp(text, "{}") == 0, "an empty object is {}");
    free(text);

    char small[8];
    size_t need = sl_json_escape("ab\"cd\n", 6, small, sizeof small);
    s_check(need == 8 && strcmp(small, "ab\\\"cd") == 0,
            "escape into a small buffer: needs %zu, never cuts an escape (\"%s\")", need, small);
    need = sl_json_escape("中文", 6, small, 5);
    s_check(need == 6 && strcmp(small, "中") == 0, "never cuts a character (\"%s\")", small);
    s_check(sl_json_escape("x", 1, NULL, 0) == 1, "cap 0 only measures");
}

/* ---- the kind table ------------------------------------------------------ */

/* Reference data in force for the checks: kind/key -> value. */
static const char *const s_store[][3] = {
    { "unit", "u01", "{\"name\":\"区委办\"}" },
    { "unit", "u02", "区政协办" },                  /* a 0.2.0 plain value */
    { "member", "m001", "{\"name\":\"张三\",\"unit\":\"u01\"}" },
    { "member", "m002", "{\"name\":\"李四\",\"unit\":\"u02\"}" },
    { "community", "c01", "{\"name\":\"公园社区\"}" },
    { "community", "c02", "{\"name\":\"河西社区\"}" },
    { "brand", "b01", "{\"name\":\"百愿牵手\"}" },
};
static bool s_get_fails;

static int s_get(void *ctx, const char *kind, const char *key, char *value, size_t cap)
{
    (void) ctx;
    if (s_get_fails)
        return -1;
    for (size_t i = 0; i < sizeof s_store / sizeof s_store[0]; i++)
        if (strcmp(s_store[i][0], kind) == 0 && strcmp(s_store[i][1], key) == 0) {
            snprintf(value, cap, "%s", s_store[i][2]);
            return 1;
        }
    return 0;
}

static void s_table(void)
{
    size_t n = sl_refkind_count();
    s_check(n == 9, "nine reference kinds (%zu)", n);
    static const char *const names[] = { "community", "unit", "member", "team", "brand",
                                         "target", "duty_item", "banned_certificate",
                                         "setting" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const sl_refkind_t *k = sl_refkind_find(names[i]);
        s_check(k && sl_refkind_find(k->label) == k && k->label_en && k->key_label,
                "kind %s is found by wire name and by its label %s", names[i],
                k ? k->label : "?");
    }
    for (size_t i = 0; i < n; i++) {
        const sl_refkind_t *k = sl_refkind_at(i);
        bool ok = k->nfields > 0 && k->nfields <= SL_MAX_FIELDS;
        for (size_t a = 0; a < k->nfields; a++) {
            const sl_reffield_t *f = &k->fields[a];
            if ((f->type == SL_RF_REF || f->type == SL_RF_REFS) && !sl_refkind_find(f->ref))
                ok = false;
            if (f->type == SL_RF_ENUM) {
                size_t bars = 0, lbars = 0;
                for (const char *p = f->choices; *p; p++)
                    bars += *p == '|';
                for (const char *p = f->choice_labels; *p; p++)
                    lbars += *p == '|';
                ok = ok && bars == lbars;
            }
            for (size_t b = 0; b < a; b++)
                if (strcmp(f->name, k->fields[b].name) == 0
                    || strcmp(f->label, k->fields[b].label) == 0
                    || strcmp(f->label, k->fields[b].name) == 0)
                    ok = false;
            if (sl_refkind_field(k, f->label) != f || sl_refkind_field(k, f->name) != f)
                ok = false;
        }
        s_check(ok, "kind %s: fields unique by name and label, references and choices sound",
                k->name);
    }
    char err[600];
    sl_refkind_unknown("units", err, sizeof err);
    s_check(strstr(err, "未知的参考数据类别 \"units\" unknown reference kind \"units\"")
            && strstr(err, "community(社区)") && strstr(err, "setting(参数)"),
            "unknown kind: %s", err);
    s_check(!sl_refkind_find("units") && !sl_refkind_find(""), "unknown kinds are not found");
}

/* Builds kind/key from "name=value" pairs; returns the rc, JSON in *json. */
static int s_build(const char *kind, const char *key, const char *const *pairs, char **json,
                   size_t *bad, char *err, size_t errlen)
{
    const sl_refkind_t *k = sl_refkind_find(kind);
    const char *names[16], *values[16];
    char *copies[16];
    size_t n = 0;
    for (; pairs[n]; n++) {
        copies[n] = strdup(pairs[n]);
        char *eq = strchr(copies[n], '=');
        *eq = 0;
        names[n] = copies[n];
        values[n] = eq + 1;
    }
    char canon[SL_MAX_NAME_BYTES + 1];
    int rc = sl_refkind_check_key(k, key, canon, sizeof canon, err, errlen) ? 99
             : sl_refkind_build(k, canon, n, names, values, s_get, NULL, json, bad, err, errlen);
    for (size_t i = 0; i < n; i++)
        free(copies[i]);
    return rc;
}

static void s_valid_entries(void)
{
    static const struct {
        const char *kind, *key;
        const char *pairs[14];
        const char *want;
    } cases[] = {
        { "community", "c03", { "name=西城社区", "street=西城街道", "households= 1200 ",
                                "center_area_m2=350", "workers=9", "两委干部(三岗十八级)=5",
                                "ladder_hired=3", "flat_wage_min=2500", "flat_wage_max=3200",
                                "member_cap=80", "needs=养老服务|儿童托管", NULL },
          "{\"name\":\"西城社区\",\"street\":\"西城街道\",\"households\":1200,"
          "\"center_area_m2\":350,\"workers\":9,\"ladder_cadres\":5,\"ladder_hired\":3,"
          "\"flat_wage_min\":2500,\"flat_wage_max\":3200,\"member_cap\":80,"
          "\"needs\":\"养老服务|儿童托管\"}" },
        { "unit", "u01", { "name=区委办", "书记=m001", "secretary_since=2024/3/5",
                           "communities= c01 | c02 ", NULL },
          "{\"name\":\"区委办\",\"secretary\":\"m001\",\"secretary_since\":\"2024-03-05\","
          "\"communities\":\"c01|c02\"}" },
        { "unit", "u09", { "name=卫健委", "secretary_since=2023年11月1日", NULL },
          "{\"name\":\"卫健委\",\"secretary_since\":\"2023-11-01\"}" },
        { "在职党员", " m003 ", { "姓名=王五", "所属单位=u02", "skills=", NULL },
          "{\"name\":\"王五\",\"unit\":\"u02\"}" },
        { "team", "t01", { "name=爱满杏林", "unit=u01", "brand=b01", NULL },
          "{\"name\":\"爱满杏林\",\"unit\":\"u01\",\"brand\":\"b01\"}" },
        { "brand", "b02", { "name=法律明白人", NULL }, "{\"name\":\"法律明白人\"}" },
        { "target", "2026:主题党日", { "required=3", NULL }, "{\"required\":3}" },
        { "duty_item", "d01", { "title=居民身份证明", "kind=配合事项", NULL },
          "{\"title\":\"居民身份证明\",\"kind\":\"assist\"}" },
        { "banned_certificate", "x01", { "证明事项=亲属关系证明", NULL },
          "{\"title\":\"亲属关系证明\"}" },
        { "setting", "受理时限(天)", { "value=2", NULL }, "{\"value\":2}" },
        { "setting", "yellow_card_max_stars", { "值=0", NULL }, "{\"value\":0}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = NULL, err[600] = "";
        size_t bad = 0;
        int rc = s_build(cases[i].kind, cases[i].key, cases[i].pairs, &json, &bad, err,
                         sizeof err);
        s_check(rc == 0 && json && strcmp(json, cases[i].want) == 0 && bad == (size_t) -1,
                "%s %s accepted as %s (%s)", cases[i].kind, cases[i].key, json ? json : "-",
                err);
        free(json);
    }
}

static void s_refused_fields(void)
{
    static char long_text[700];
    memset(long_text, 'x', 600);
    snprintf(long_text, sizeof long_text, "skills=%0600d", 7);
    static char needs[5000];
    snprintf(needs, sizeof needs, "needs=");
    for (int i = 0; i < 1330; i++)
        strcat(needs, "需");
    static const struct {
        const char *kind, *key;
        const char *pairs[6];
        size_t bad;             /* index of the pair at fault; 9 = none */
        const char *want[3];    /* substrings of the message */
    } cases[] = {
        { "member", "m001", { "name=张三", "uint=u01", NULL }, 1,
          { "未知字段 \"uint\"", "unknown field \"uint\" for member m001",
            "name(姓名) unit(所属单位) skills(特长)" } },
        { "member", "m001", { "name=张三", NULL }, 9,
          { "在职党员 m001 的字段 \"unit\"（所属单位）必填",
            "field \"unit\" is required for member m001", NULL } },
        { "member", "m001", { "unit=u01", "name=  ", NULL }, 1,
          { "字段 \"name\"（姓名）必填", "field \"name\" is required for member m001", NULL } },
        { "member", "m001", { "name=张三", "姓名=张三", "unit=u01", NULL }, 1,
          { "给了两次", "field \"name\" is given twice for member m001", NULL } },
        { "member", "m009", { "name=赵六", "unit=u77", NULL }, 1,
          { "\"u77\"，但没有这个区直单位党组织",
            "field \"unit\" is \"u77\", but there is no such unit (publish it first)", NULL } },
        { "member", "m009", { "name=赵六", "unit=u0|1", NULL }, 1,
          { "field \"unit\" is \"u0|1\", must be a unit code", NULL, NULL } },
        { "member", "m009", { "name=赵六", "unit=u01", long_text, NULL }, 2,
          { "field \"skills\" has 600 characters, must have 1..500", NULL, NULL } },
        { "unit", "u01", { "name=区委办", "secretary=m002", NULL }, 1,
          { "但在职党员 \"m002\" 的 unit 是 \"u02\"，不是 \"u01\"",
            "field \"secretary\" is \"m002\", but member \"m002\" has unit \"u02\", not \"u01\"",
            NULL } },
        { "unit", "u01", { "name=区委办", "secretary_since=2025-02-29", NULL }, 1,
          { "field \"secretary_since\" is \"2025-02-29\", must be a date YYYY-MM-DD", NULL,
            NULL } },
        { "unit", "u01", { "name=区委办", "secretary_since=2025-1-32", NULL }, 1,
          { "must be a date", NULL, NULL } },
        { "unit", "u01", { "name=区委办", "communities=c01||c02", NULL }, 1,
          { "field \"communities\" is \"\", must be a community code", NULL, NULL } },
        { "unit", "u01", { "name=区委办", "communities=c01|c99", NULL }, 1,
          { "field \"communities\" is \"c99\", but there is no such community", NULL, NULL } },
        { "community", "c03", { "name=西城社区", "households=很多", NULL }, 1,
          { "字段 \"households\"（户数）为 \"很多\"，须为整数",
            "field \"households\" is \"很多\", must be a whole number", NULL } },
        { "community", "c03", { "name=西城社区", "households=12.5", NULL }, 1,
          { "must be a whole number", NULL, NULL } },
        { "community", "c03", { "name=西城社区", "workers=-1", NULL }, 1,
          { "field \"workers\" is -1, must be 0..10000", NULL, NULL } },
        { "community", "c03", { "name=西城社区", "households=99999999999999999999", NULL }, 1,
          { "must be a whole number", NULL, NULL } },
        { "community", "c03", { "name=西城社区", needs, NULL }, 9,
          { "超过 4000 字节的上限", "the entry community c03 is", "more than the limit of 4000" } },
        { "duty_item", "d01", { "title=证明", "kind=职责", NULL }, 1,
          { "须为以下之一：duty(职责事项) assist(配合事项)",
            "field \"kind\" is \"职责\", must be one of duty|assist", NULL } },
        { "setting", "yellow_card_max_stars", { "value=5", NULL }, 0,
          { "field \"value\" is 5, must be 0..4 for setting yellow_card_max_stars", NULL, NULL } },
        { "setting", "accept_days", { "value=1", "note=x", NULL }, 1,
          { "unknown field \"note\" for setting accept_days", NULL, NULL } },
        { "target", "2026:party_day", { NULL }, 9,
          { "field \"required\" is required for target 2026:party_day", NULL, NULL } },
        { "brand", "b03", { "name=a\x01b", NULL }, 0,
          { "is not valid text", NULL, NULL } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = NULL, err[1000] = "";
        size_t bad = 0;
        int rc = s_build(cases[i].kind, cases[i].key, cases[i].pairs, &json, &bad, err,
                         sizeof err);
        bool ok = rc == SL_REF_REFUSED && !json
                  && bad == (cases[i].bad == 9 ? (size_t) -1 : cases[i].bad);
        for (int k = 0; k < 3; k++)
            if (cases[i].want[k] && !strstr(err, cases[i].want[k]))
                ok = false;
        s_check(ok, "%s %s refused (pair %zu): %s", cases[i].kind, cases[i].key, bad, err);
        free(json);
    }
    /* A reference that cannot be looked up is a failure, not a refusal. */
    s_get_fails = true;
    char *json = NULL, err[600];
    const char *pairs[] = { "name=张三", "unit=u01", NULL };
    int rc = s_build("member", "m001", pairs, &json, NULL, err, sizeof err);
    s_get_fails = false;
    s_check(rc == SL_REF_FAILED && !json && strstr(err, "cannot read unit \"u01\""),
            "a failed lookup is SL_REF_FAILED: %s", err);
    /* Without a lookup only the form of a reference is checked. */
    const sl_refkind_t *k = sl_refkind_find("member");
    const char *names[] = { "name", "unit" }, *values[] = { "张三", "u77" };
    rc = sl_refkind_build(k, "m001", 2, names, values, NULL, NULL, &json, NULL, err, sizeof err);
    s_check(rc == 0 && json && strcmp(json, "{\"name\":\"张三\",\"unit\":\"u77\"}") == 0,
            "without a lookup, a reference is only checked for its form");
    free(json);
}

static void s_keys(void)
{
    static const struct {
        const char *kind, *key, *want;  /* want NULL: refused */
        const char *why;
    } cases[] = {
        { "unit", "u01", "u01", NULL },
        { "unit", "  区委办  ", "区委办", NULL },
        { "unit", "", NULL, "invalid unit code \"\"" },
        { "unit", "a|b", NULL, "without control characters or |" },
        { "unit", "a\tb", NULL, "invalid unit code" },
        { "unit", "0123456789012345678901234567890123456789012345678901234567890123", 
          "0123456789012345678901234567890123456789012345678901234567890123", NULL },
        { "unit", "01234567890123456789012345678901234567890123456789012345678901234", NULL,
          "1..64 bytes" },
        { "target", "2026:party_day", "2026:party_day", NULL },
        { "target", " 2026:党课 ", "2026:party_lecture", NULL },
        { "target", "1999:party_day", NULL, "YEAR 2000..2099" },
        { "target", "2026:party", NULL, "TASK one of service_matter(民生实事)" },
        { "target", "2026-party_day", NULL, "invalid target key" },
        { "target", "26:party_day", NULL, "invalid target key" },
        { "setting", "close_days", "close_days", NULL },
        { "setting", "五星积分", "points_per_5_star", NULL },
        { "setting", "welcome", NULL, "unknown setting \"welcome\"; 参数有 settings are: "
          "area_per_100_households" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[SL_MAX_NAME_BYTES + 1] = "", err[600] = "";
        int rc = sl_refkind_check_key(sl_refkind_find(cases[i].kind), cases[i].key, out,
                                      sizeof out, err, sizeof err);
        bool ok = cases[i].want ? rc == 0 && strcmp(out, cases[i].want) == 0
                                : rc == -1 && strstr(err, cases[i].why) != NULL;
        s_check(ok, "%s key \"%s\": %s", cases[i].kind, cases[i].key, rc ? err : out);
    }
}

static void s_values(void)
{
    char out[64];
    const char *v = "{\"name\":\"张三\",\"unit\":\"u01\",\"n\":7,\"x\":null}";
    s_check(sl_refvalue_field(v, strlen(v), "unit", out, sizeof out) == 1
            && strcmp(out, "u01") == 0, "field of a JSON value");
    s_check(sl_refvalue_field(v, strlen(v), "n", out, sizeof out) == 1
            && strcmp(out, "7") == 0, "an integer field as text");
    s_check(sl_refvalue_field(v, strlen(v), "x", out, sizeof out) == 0 && out[0] == 0,
            "a null field is absent");
    s_check(sl_refvalue_field(v, strlen(v), "skills", out, sizeof out) == 0,
            "an absent field");
    s_check(sl_refvalue_field(v, strlen(v), "name", out, 4) == -1 && out[0] == 0,
            "a value longer than the buffer is -1, not cut");
    const char *legacy = "区委办";
    s_check(sl_refvalue_field(legacy, strlen(legacy), "name", out, sizeof out) == 1
            && strcmp(out, "区委办") == 0, "a 0.2.0 plain value is its name");
    s_check(sl_refvalue_field(legacy, strlen(legacy), "unit", out, sizeof out) == 0,
            "… and has no other field");
    s_check(sl_refvalue_field("", 0, "name", out, sizeof out) == 0, "an empty value is empty");
    static const char *const damaged[] = { "{\"name\":\"x\"", "{\"name\":[1]}", "{name}",
                                           "bad\xff", "a\x01" };
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++)
        s_check(sl_refvalue_field(damaged[i], strlen(damaged[i]), "name", out, sizeof out) == -1,
                "damaged stored value %zu gives -1", i);
    /* Only len bytes are read: a value stored without a NUL after it. */
    const char cut[] = { '{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', 'x', '"', '}', 'J', 'U' };
    s_check(sl_refvalue_field(cut, 12, "name", out, sizeof out) == 1 && strcmp(out, "x") == 0,
            "reads exactly len bytes");

    char text[300];
    const sl_refkind_t *duty = sl_refkind_find("duty_item");
    const char *dv = "{\"title\":\"身份证明\",\"kind\":\"assist\",\"extra\":5}";
    sl_refvalue_render(duty, dv, strlen(dv), text, sizeof text);
    s_check(strcmp(text, "事项=身份证明 类别=配合事项 extra=5") == 0,
            "render: labels, enum label, unknown fields kept: %s", text);
    sl_refvalue_render(sl_refkind_find("unit"), legacy, strlen(legacy), text, sizeof text);
    s_check(strcmp(text, "名称=区委办") == 0, "render a 0.2.0 value: %s", text);
    sl_refvalue_render(duty, "{oops", 5, text, sizeof text);
    s_check(strstr(text, "damaged") != NULL, "render a damaged value: %s", text);
    sl_json_obj_t obj;
    char err[200];
    sl_refvalue_parse(dv, strlen(dv), &obj, err, sizeof err);
    sl_refvalue_text(&duty->fields[1], &obj, text, sizeof text);
    s_check(strcmp(text, "配合事项") == 0, "an enum is shown by its label");
    sl_json_obj_free(&obj);
    char head[100];
    sl_reffield_heading(&duty->fields[0], head, sizeof head);
    s_check(strcmp(head, "事项 title") == 0, "heading: Chinese label, then name (%s)", head);
}

static void s_defaults(void)
{
    static const struct {
        const char *name;
        int64_t def;
    } settings[] = { { "area_per_100_households", 30 }, { "accept_days", 1 },
                     { "close_days", 7 }, { "points_per_5_star", 1 },
                     { "yellow_card_max_stars", 1 }, { "site_silent_hours", 72 } };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        s_check(sl_setting_default(settings[i].name) == settings[i].def,
                "setting %s defaults to %lld", settings[i].name, (long long) settings[i].def);
    s_check(sl_setting_count() == 6 && sl_setting_default("nope") == -1,
            "six settings; an unknown one has no default");
    static const struct {
        const char *task;
        int64_t def;
    } tasks[] = { { "service_matter", 2 }, { "party_day", 1 }, { "party_lecture", 1 },
                  { "micro_wish", 1 }, { "enterprise_problem", 1 } };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        s_check(sl_target_default(tasks[i].task) == tasks[i].def,
                "target %s defaults to %lld", tasks[i].task, (long long) tasks[i].def);
    s_check(sl_target_task_count() == 5 && sl_target_default("rating") == -1
            && sl_target_default("民生实事") == 2, "five tasks, by name or label");
    for (size_t i = 0; i < sl_setting_count(); i++) {
        const sl_setting_t *s = sl_setting_at(i);
        s_check(s->def >= s->min && s->def <= s->max, "setting %s: default within %lld..%lld",
                s->name, (long long) s->min, (long long) s->max);
    }
}

static void s_pairs(void)
{
    char *json = NULL, err[300] = "";
    char *words[] = { "name=张三", "所属单位=u01", "note=a=b", "empty=" };
    int rc = sl_ref_pairs_json(4, words, &json, err, sizeof err);
    s_check(rc == 0 && json && strcmp(json, "{\"name\":\"张三\",\"所属单位\":\"u01\","
                                            "\"note\":\"a=b\",\"empty\":\"\"}") == 0,
            "field=value words as a JSON object of strings: %s", json ? json : err);
    free(json);
    char *dup[] = { "name=a", "unit=u", "name=b" };
    rc = sl_ref_pairs_json(3, dup, &json, err, sizeof err);
    s_check(rc == -1 && !json && strstr(err, "field \"name\" is given twice"), "%s", err);
    char *noeq[] = { "name" };
    rc = sl_ref_pairs_json(1, noeq, &json, err, sizeof err);
    s_check(rc == -1 && strstr(err, "\"name\" must be FIELD=VALUE"), "%s", err);
    char *empty_name[] = { "=x" };
    rc = sl_ref_pairs_json(1, empty_name, &json, err, sizeof err);
    s_check(rc == -1, "an empty field name is refused");
}

int main(void)
{
    s_json_valid();
    s_json_refused();
    s_json_damaged();
    s_json_writer();
    s_table();
    s_valid_entries();
    s_refused_fields();
    s_keys();
    s_values();
    s_defaults();
    s_pairs();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
