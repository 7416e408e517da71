/* sl_refkinds.c: the table of reference kinds, and the checks every entry
 * passes before it enters the server log (shared/RECORDS.md, "Reference
 * data").  A field name appears here and nowhere else in C.
 *
 * Must never: accept an entry the sites could not read back the same way,
 * or trust a stored value (a damaged one is an error, not a crash). */
#include "sl_refkinds.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include "sl_text.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table ---------------------------------------------------------- */

#define NAME_FIELD(lbl) \
    { .name = "name", .label = lbl, .type = SL_RF_TEXT, .required = true, .min = 1, .max = 100 }
#define COUNT_FIELD(nm, lbl, top) \
    { .name = nm, .label = lbl, .type = SL_RF_INT, .min = 0, .max = top }

static const sl_reffield_t s_community[] = {
    NAME_FIELD("名称"),
    { .name = "street", .label = "街道", .type = SL_RF_TEXT, .min = 1, .max = 100 },
    COUNT_FIELD("households", "户数", 1000000),
    COUNT_FIELD("center_area_m2", "党群服务中心面积", 1000000),
    COUNT_FIELD("workers", "社区工作者", 10000),
    COUNT_FIELD("ladder_cadres", "两委干部(三岗十八级)", 10000),
    COUNT_FIELD("ladder_hired", "公开招聘社工(三岗十八级)", 10000),
    COUNT_FIELD("flat_wage_min", "月薪下限(元)", 1000000),
    COUNT_FIELD("flat_wage_max", "月薪上限(元)", 1000000),
    COUNT_FIELD("member_cap", "报到上限", 100000),
    { .name = "needs", .label = "需求清单", .type = SL_RF_TEXT, .min = 1, .max = 2000 },
};

static const sl_reffield_t s_unit[] = {
    NAME_FIELD("名称"),
    { .name = "secretary", .label = "书记", .type = SL_RF_REF, .ref = "member",
      .ref_back = "unit" },
    { .name = "secretary_since", .label = "任职日期", .type = SL_RF_DATE,
      .min = 19490101, .max = 20991231 },
    { .name = "communities", .label = "联系社区", .type = SL_RF_REFS, .ref = "community" },
};

static const sl_reffield_t s_member[] = {
    NAME_FIELD("姓名"),
    { .name = "unit", .label = "所属单位", .type = SL_RF_REF, .required = true, .ref = "unit" },
    { .name = "skills", .label = "特长", .type = SL_RF_TEXT, .min = 1, .max = 500 },
};

static const sl_reffield_t s_team[] = {
    NAME_FIELD("名称"),
    { .name = "unit", .label = "所属单位", .type = SL_RF_REF, .ref = "unit" },
    { .name = "brand", .label = "服务品牌", .type = SL_RF_REF, .ref = "brand" },
};

static const sl_reffield_t s_brand[] = {
    NAME_FIELD("名称"),
};

static const sl_reffield_t s_target[] = {
    { .name = "required", .label = "要求数量", .type = SL_RF_INT, .required = true,
      .min = 0, .max = 1000 },
};

static const sl_reffield_t s_duty_item[] = {
    { .name = "title", .label = "事项", .type = SL_RF_TEXT, .required = true, .min = 1,
      .max = 500 },
    { .name = "kind", .label = "类别", .type = SL_RF_ENUM, .required = true,
      .choices = "duty|assist", .choice_labels = "职责事项|配合事项" },
};

static const sl_reffield_t s_banned_certificate[] = {
    { .name = "title", .label = "证明事项", .type = SL_RF_TEXT, .required = true, .min = 1,
      .max = 500 },
};

/* A setting's range is its own (s_settings), not the field's. */
static const sl_reffield_t s_setting[] = {
    { .name = "value", .label = "值", .type = SL_RF_INT, .required = true,
      .min = INT64_MIN, .max = INT64_MAX },
};

#define FIELDS(a) .fields = a, .nfields = sizeof a / sizeof a[0]

static const sl_refkind_t s_kinds[] = {
    { .name = "community", .label = "社区", .label_en = "community", .key = SL_RK_CODE,
      .key_name = "code", .key_label = "代码", FIELDS(s_community) },
    { .name = "unit", .label = "区直单位党组织", .label_en = "district unit's party organization",
      .key = SL_RK_CODE, .key_name = "code", .key_label = "代码", FIELDS(s_unit) },
    { .name = "member", .label = "在职党员", .label_en = "in-service party member",
      .key = SL_RK_CODE, .key_name = "code", .key_label = "代码", FIELDS(s_member) },
    { .name = "team", .label = "志愿服务队", .label_en = "volunteer team", .key = SL_RK_CODE,
      .key_name = "code", .key_label = "代码", FIELDS(s_team) },
    { .name = "brand", .label = "服务品牌", .label_en = "service brand", .key = SL_RK_CODE,
      .key_name = "code", .key_label = "代码", FIELDS(s_brand) },
    { .name = "target", .label = "五个一年度要求", .label_en = "annual five-tasks target",
      .key = SL_RK_YEAR_TASK, .key_name = "year:task", .key_label = "年度:任务",
      FIELDS(s_target) },
    { .name = "duty_item", .label = "权责清单事项", .label_en = "rights-and-responsibilities item",
      .key = SL_RK_CODE, .key_name = "code", .key_label = "代码", FIELDS(s_duty_item) },
    { .name = "banned_certificate", .label = "不应由社区出具证明事项",
      .label_en = "certificate communities must not be asked for", .key = SL_RK_CODE,
      .key_name = "code", .key_label = "代码", FIELDS(s_banned_certificate) },
    { .name = "setting", .label = "参数", .label_en = "setting", .key = SL_RK_NAME,
      .key_name = "name", .key_label = "参数名", FIELDS(s_setting) },
};

static const sl_setting_t s_settings[] = {
    { .name = "area_per_100_households", .label = "每百户服务中心面积(平方米)", .def = 30,
      .min = 1, .max = 10000 },
    { .name = "accept_days", .label = "受理时限(天)", .def = 1, .min = 0, .max = 365 },
    { .name = "close_days", .label = "办结时限(天)", .def = 7, .min = 1, .max = 365 },
    { .name = "points_per_5_star", .label = "五星积分", .def = 1, .min = 0, .max = 100 },
    { .name = "yellow_card_max_stars", .label = "黄牌星级上限", .def = 1, .min = 0, .max = 4 },
    { .name = "site_silent_hours", .label = "站点失联提醒(小时)", .def = 72, .min = 1,
      .max = 8760 },
};

static const sl_target_task_t s_tasks[] = {
    { .task = "service_matter", .label = "民生实事", .def = 2 },
    { .task = "party_day", .label = "主题党日", .def = 1 },
    { .task = "party_lecture", .label = "党课", .def = 1 },
    { .task = "micro_wish", .label = "微心愿", .def = 1 },
    { .task = "enterprise_problem", .label = "企业难题", .def = 1 },
};

#define COUNT(a) (sizeof a / sizeof a[0])

size_t sl_refkind_count(void) { return COUNT(s_kinds); }
const sl_refkind_t *sl_refkind_at(size_t i) { return i < COUNT(s_kinds) ? &s_kinds[i] : NULL; }
size_t sl_setting_count(void) { return COUNT(s_settings); }
const sl_setting_t *sl_setting_at(size_t i) { return i < COUNT(s_settings) ? &s_settings[i] : NULL; }
size_t sl_target_task_count(void) { return COUNT(s_tasks); }
const sl_target_task_t *sl_target_task_at(size_t i)
{
    return i < COUNT(s_tasks) ? &s_tasks[i] : NULL;
}

const sl_refkind_t *sl_refkind_find(const char *kind)
{
    for (size_t i = 0; kind && i < COUNT(s_kinds); i++)
        if (strcmp(s_kinds[i].name, kind) == 0 || strcmp(s_kinds[i].label, kind) == 0)
            return &s_kinds[i];
    return NULL;
}

const sl_setting_t *sl_setting_find(const char *name)
{
    for (size_t i = 0; name && i < COUNT(s_settings); i++)
        if (strcmp(s_settings[i].name, name) == 0 || strcmp(s_settings[i].label, name) == 0)
            return &s_settings[i];
    return NULL;
}

int64_t sl_setting_default(const char *name)
{
    const sl_setting_t *s = sl_setting_find(name);
    return s ? s->def : -1;
}

static const sl_target_task_t *s_task_find(const char *task, size_t len)
{
    for (size_t i = 0; i < COUNT(s_tasks); i++)
        if ((strlen(s_tasks[i].task) == len && memcmp(s_tasks[i].task, task, len) == 0)
            || (strlen(s_tasks[i].label) == len && memcmp(s_tasks[i].label, task, len) == 0))
            return &s_tasks[i];
    return NULL;
}

int64_t sl_target_default(const char *task)
{
    const sl_target_task_t *t = task ? s_task_find(task, strlen(task)) : NULL;
    return t ? t->def : -1;
}

const sl_reffield_t *sl_refkind_field(const sl_refkind_t *k, const char *name)
{
    for (size_t i = 0; k && name && i < k->nfields; i++)
        if (strcmp(k->fields[i].name, name) == 0 || strcmp(k->fields[i].label, name) == 0)
            return &k->fields[i];
    return NULL;
}

/* ---- small text helpers ------------------------------------------------- */

/* Appends printf output to out[0..cap) at *used, never past cap. */
static void s_cat(char *out, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_cat(char *out, size_t cap, size_t *used, const char *fmt, ...)
{
    if (*used >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t) n < cap - *used ? (size_t) n : cap - *used - 1;
}

void sl_refkind_unknown(const char *kind, char *err, size_t errlen)
{
    size_t used = 0;
    s_cat(err, errlen, &used, "未知的参考数据类别 \"%.64s\" unknown reference kind \"%.64s\"; "
          "类别有 kinds are:", kind, kind);
    for (size_t i = 0; i < COUNT(s_kinds); i++)
        s_cat(err, errlen, &used, " %s(%s)", s_kinds[i].name, s_kinds[i].label);
}

void sl_refkind_fields_text(const sl_refkind_t *k, char *out, size_t cap)
{
    size_t used = 0;
    if (cap)
        out[0] = 0;
    for (size_t i = 0; i < k->nfields; i++)
        s_cat(out, cap, &used, "%s%s(%s)", i ? " " : "", k->fields[i].name, k->fields[i].label);
}

void sl_reffield_heading(const sl_reffield_t *f, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s", f->label, f->name);
}

/* Copies at most `max` bytes of s[0..len) into out, cut at a character
 * boundary, with "…" when cut: a value quoted in a message. */
static const char *s_quote(const char *s, size_t len, char *out, size_t cap)
{
    size_t max = cap > 8 ? cap - 8 : 0, n = 0;
    while (n < len && n < max) {
        unsigned char c = (unsigned char) s[n];
        size_t w = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
        if (n + w > max || n + w > len)
            break;
        n += w;
    }
    snprintf(out, cap, "%.*s%s", (int) n, s, n < len ? "…" : "");
    return out;
}

/* The i-th |-separated part of list (NUL-terminated into out); false past
 * the end. */
static bool s_part(const char *list, size_t i, char *out, size_t cap)
{
    const char *p = list;
    for (size_t k = 0; k < i; k++) {
        p = strchr(p, '|');
        if (!p)
            return false;
        p++;
    }
    size_t n = strcspn(p, "|");
    snprintf(out, cap, "%.*s", (int) n, p);
    return true;
}

/* Trims ASCII white space and the ideographic space (U+3000) off both ends. */
static void s_trim(const char **s, size_t *len)
{
    for (;;) {
        if (*len && strchr(" \t\r\n", (*s)[0])) {
            (*s)++;
            (*len)--;
        } else if (*len >= 3 && memcmp(*s, "\xE3\x80\x80", 3) == 0) {
            *s += 3;
            *len -= 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (*len && strchr(" \t\r\n", (*s)[*len - 1]))
            (*len)--;
        else if (*len >= 3 && memcmp(*s + *len - 3, "\xE3\x80\x80", 3) == 0)
            *len -= 3;
        else
            break;
    }
}

/* A code: 1..64 bytes of text, no control character, no '|' (it separates
 * codes in lists such as a unit's communities). */
static bool s_code_ok(const char *s, size_t len)
{
    return len >= 1 && len <= SL_MAX_NAME_BYTES && sl_utf8_valid(s, len)
        && !memchr(s, '|', len) && !memchr(s, '\t', len) && !memchr(s, '\n', len);
}

/* ---- keys ----------------------------------------------------------------- */

int sl_refkind_check_key(const sl_refkind_t *k, const char *key, char *out, size_t cap,
                         char *err, size_t errlen)
{
    const char *s = key ? key : "";
    size_t len = strlen(s);
    char q[80];
    s_trim(&s, &len);
    s_quote(s, len, q, sizeof q);
    if (k->key == SL_RK_CODE) {
        if (!s_code_ok(s, len) || len >= cap) {
            snprintf(err, errlen, "%s的代码 \"%s\" 无效：须为 1..64 字节的文本，不含控制字符和 | "
                     "invalid %s code \"%s\": it must be 1..64 bytes of text without control "
                     "characters or |", k->label, q, k->name, q);
            return -1;
        }
        snprintf(out, cap, "%.*s", (int) len, s);
        return 0;
    }
    if (k->key == SL_RK_NAME) {
        char name[SL_MAX_NAME_BYTES + 1];
        const sl_setting_t *st = NULL;
        if (len < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int) len, s);
            st = sl_setting_find(name);
        }
        if (!st) {
            size_t used = 0;
            s_cat(err, errlen, &used, "未知的参数 \"%s\" unknown setting \"%s\"; 参数有 settings "
                  "are:", q, q);
            for (size_t i = 0; i < COUNT(s_settings); i++)
                s_cat(err, errlen, &used, " %s(%s)", s_settings[i].name, s_settings[i].label);
            return -1;
        }
        snprintf(out, cap, "%s", st->name);
        return 0;
    }
    /* YEAR:TASK */
    const char *colon = memchr(s, ':', len);
    const sl_target_task_t *t = colon ? s_task_find(colon + 1, len - (size_t) (colon - s) - 1)
                                      : NULL;
    bool year_ok = colon && colon - s == 4;
    int year = 0;
    for (int i = 0; year_ok && i < 4; i++) {
        year_ok = s[i] >= '0' && s[i] <= '9';
        year = year * 10 + (s[i] - '0');
    }
    if (!year_ok || year < 2000 || year > 2099 || !t) {
        size_t used = 0;
        s_cat(err, errlen, &used, "五个一年度要求的键 \"%s\" 无效：须为 年度:任务（2000..2099 年）"
              " invalid target key \"%s\": it must be YEAR:TASK with YEAR 2000..2099 and TASK "
              "one of", q, q);
        for (size_t i = 0; i < COUNT(s_tasks); i++)
            s_cat(err, errlen, &used, " %s(%s)", s_tasks[i].task, s_tasks[i].label);
        return -1;
    }
    snprintf(out, cap, "%04d:%s", year, t->task);
    return 0;
}

/* ---- building an entry -------------------------------------------------- */

typedef struct {
    const sl_refkind_t *k;
    const char *key;
    char *err;
    size_t errlen;
} s_ctx_t;

/* sl_tf with formats made at run time (the compiler cannot check them:
 * s_refuse below builds them from literals). */
static void s_tf_args(char *buf, size_t cap, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtf(buf, cap, zh, en, ap);
    va_end(ap);
}

/* text with every '%' doubled, for a format. */
static const char *s_percent_safe(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = text; *p && o + 2 < cap; p++) {
        if (*p == '%')
            out[o++] = '%';
        out[o++] = *p;
    }
    out[o] = 0;
    return out;
}

/* A refusal about field f: "在职党员 m001 的字段 "unit"（所属单位）必填 field
 * "unit" is required for member m001". */
static int s_refuse(const s_ctx_t *c, const sl_reffield_t *f, const char *zh, const char *en)
{
    char kind[200], field[300], zh_field[250], en_field[80], fmt_zh[500], fmt_en[500];
    sl_dpair(kind, sizeof kind, c->k->label, c->k->name);
    snprintf(zh_field, sizeof zh_field, "\"%s\"（%s）", f->name, f->label);
    snprintf(en_field, sizeof en_field, "\"%s\"", f->name);
    sl_dpair(field, sizeof field, zh_field, en_field);
    /* zh and en are the predicates ("必填", "is required"), which may quote
     * a value: their '%' are doubled before they go into a format. */
    char pz[400], pe[400];
    snprintf(fmt_zh, sizeof fmt_zh, "%%1$s %%2$s 的字段 %%3$s%s", s_percent_safe(zh, pz, sizeof pz));
    snprintf(fmt_en, sizeof fmt_en, "field %%3$s %s for %%1$s %%2$s", s_percent_safe(en, pe, sizeof pe));
    s_tf_args(c->err, c->errlen, fmt_zh, fmt_en, kind, c->key, field);
    return SL_REF_REFUSED;
}

/* Parses "YYYY-MM-DD", "YYYY/M/D", "YYYY.M.D" or "YYYY年M月D日" into
 * yyyymmdd; -1 when it is none of them or not a real calendar date. */
static long s_date(const char *s, size_t len)
{
    size_t i = 0;
    long part[3] = { 0, 0, 0 };
    static const char *const cjk[3] = { "年", "月", "日" };
    char sep = 0;
    for (int p = 0; p < 3; p++) {
        size_t first = i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - first < 4)
            part[p] = part[p] * 10 + (s[i++] - '0');
        size_t digits = i - first;
        if (p == 0 ? digits != 4 : digits < 1 || digits > 2)
            return -1;
        if (p == 0) {
            if (i < len && strchr("-/.", s[i]))
                sep = s[i];
            else if (len - i >= 3 && memcmp(s + i, cjk[0], 3) == 0)
                sep = 'y';
            else
                return -1;
        }
        if (sep == 'y' && (p < 2 || i < len)) {
            if (len - i < 3 || memcmp(s + i, cjk[p], 3) != 0)
                return -1;
            i += 3;
        } else if (p < 2) {
            if (i >= len || s[i] != sep)
                return -1;
            i++;
        }
    }
    if (i != len)
        return -1;
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    long y = part[0], m = part[1], d = part[2];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && leap))
        return -1;
    return y * 10000 + m * 100 + d;
}

/* Checks that `ref` names an entry of f->ref in force (and its ref_back).
 * 0, or a refusal/failure code. */
static int s_check_ref(const s_ctx_t *c, const sl_reffield_t *f, const char *ref,
                       sl_refget_fn get, void *ctx)
{
    char q[80], value[SL_MAX_TEXT_BYTES + 1], zh[400], en[400];
    const sl_refkind_t *target = sl_refkind_find(f->ref);
    s_quote(ref, strlen(ref), q, sizeof q);
    if (!s_code_ok(ref, strlen(ref))) {
        snprintf(zh, sizeof zh, "为 \"%s\"，须为%s的代码（1..64 字节，不含 |）", q, target->label);
        snprintf(en, sizeof en, "is \"%s\", must be a %s code (1..64 bytes, no |)", q,
                 target->name);
        return s_refuse(c, f, zh, en);
    }
    if (!get)
        return 0;
    int found = get(ctx, f->ref, ref, value, sizeof value);
    if (found < 0) {
        snprintf(c->err, c->errlen, "无法读取%s \"%s\" cannot read %s \"%s\"", target->label, q,
                 target->name, q);
        return SL_REF_FAILED;
    }
    if (found == 0) {
        snprintf(zh, sizeof zh, "为 \"%s\"，但没有这个%s（请先发布它）", q, target->label);
        snprintf(en, sizeof en, "is \"%s\", but there is no such %s (publish it first)", q,
                 target->name);
        return s_refuse(c, f, zh, en);
    }
    if (f->ref_back) {
        char back[SL_MAX_NAME_BYTES + 1];
        int has = sl_refvalue_field(value, strlen(value), f->ref_back, back, sizeof back);
        if (has <= 0 || strcmp(back, c->key) != 0) {
            char bq[80];
            s_quote(has > 0 ? back : "", has > 0 ? strlen(back) : 0, bq, sizeof bq);
            snprintf(zh, sizeof zh, "为 \"%s\"，但%s \"%s\" 的 %s 是 \"%s\"，不是 \"%s\"", q,
                     target->label, q, f->ref_back, bq, c->key);
            snprintf(en, sizeof en, "is \"%s\", but %s \"%s\" has %s \"%s\", not \"%s\"", q,
                     target->name, q, f->ref_back, bq, c->key);
            return s_refuse(c, f, zh, en);
        }
    }
    return 0;
}

/* Validates one given value (trimmed, not empty) of field f and adds it to
 * the JSON writer.  0, or a refusal/failure code. */
static int s_field_value(const s_ctx_t *c, const sl_reffield_t *f, const char *v, size_t len,
                         sl_refget_fn get, void *ctx, sl_json_writer_t *w)
{
    char q[80], zh[400], en[400];
    s_quote(v, len, q, sizeof q);
    if (len > SL_MAX_TEXT_BYTES) {
        snprintf(zh, sizeof zh, "有 %zu 字节，超过 %d 字节", len, SL_MAX_TEXT_BYTES);
        snprintf(en, sizeof en, "is %zu bytes, more than %d", len, SL_MAX_TEXT_BYTES);
        return s_refuse(c, f, zh, en);
    }
    if (!sl_utf8_valid(v, len))
        return s_refuse(c, f, "不是有效的文本（UTF-8，不含控制字符）",
                        "is not valid text (UTF-8 without control characters)");
    switch (f->type) {
    case SL_RF_TEXT: {
        long chars = sl_utf8_chars(v, len);
        if (chars < f->min || chars > f->max) {
            snprintf(zh, sizeof zh, "有 %ld 个字，须为 %lld..%lld 个", chars,
                     (long long) f->min, (long long) f->max);
            snprintf(en, sizeof en, "has %ld characters, must have %lld..%lld", chars,
                     (long long) f->min, (long long) f->max);
            return s_refuse(c, f, zh, en);
        }
        sl_json_add_str(w, f->name, v, len);
        return 0;
    }
    case SL_RF_INT: {
        int64_t min = f->min, max = f->max;
        const sl_setting_t *st = c->k->key == SL_RK_NAME ? sl_setting_find(c->key) : NULL;
        if (st) {
            min = st->min;
            max = st->max;
        }
        char num[32], *end = NULL;
        long long x = 0;
        errno = 0;
        if (len < sizeof num) {
            memcpy(num, v, len);
            num[len] = 0;
            x = strtoll(num, &end, 10);
        }
        if (!end || *end || errno || !strchr("+-0123456789", num[0])) {
            snprintf(zh, sizeof zh, "为 \"%s\"，须为整数", q);
            snprintf(en, sizeof en, "is \"%s\", must be a whole number", q);
            return s_refuse(c, f, zh, en);
        }
        if (x < min || x > max) {
            snprintf(zh, sizeof zh, "为 %lld，须在 %lld..%lld 之间", x, (long long) min,
                     (long long) max);
            snprintf(en, sizeof en, "is %lld, must be %lld..%lld", x, (long long) min,
                     (long long) max);
            return s_refuse(c, f, zh, en);
        }
        sl_json_add_int(w, f->name, x);
        return 0;
    }
    case SL_RF_DATE: {
        long d = s_date(v, len);
        if (d < f->min || d > f->max) {
            snprintf(zh, sizeof zh, "为 \"%s\"，须为 %lld..%lld 之间的日期 YYYY-MM-DD", q,
                     (long long) f->min / 10000, (long long) f->max / 10000);
            snprintf(en, sizeof en, "is \"%s\", must be a date YYYY-MM-DD in %lld..%lld", q,
                     (long long) f->min / 10000, (long long) f->max / 10000);
            return s_refuse(c, f, zh, en);
        }
        char date[40];
        snprintf(date, sizeof date, "%04ld-%02ld-%02ld", d / 10000, d / 100 % 100, d % 100);
        sl_json_add_str(w, f->name, date, 10);
        return 0;
    }
    case SL_RF_ENUM: {
        char name[SL_MAX_NAME_BYTES + 1], label[SL_MAX_NAME_BYTES + 1];
        for (size_t i = 0; s_part(f->choices, i, name, sizeof name); i++) {
            s_part(f->choice_labels, i, label, sizeof label);
            if ((strlen(name) == len && memcmp(name, v, len) == 0)
                || (strlen(label) == len && memcmp(label, v, len) == 0)) {
                sl_json_add_str(w, f->name, name, strlen(name));
                return 0;
            }
        }
        size_t used = 0;
        s_cat(zh, sizeof zh, &used, "为 \"%s\"，须为以下之一：", q);
        for (size_t i = 0; s_part(f->choices, i, name, sizeof name); i++) {
            s_part(f->choice_labels, i, label, sizeof label);
            s_cat(zh, sizeof zh, &used, "%s%s(%s)", i ? " " : "", name, label);
        }
        used = 0;
        s_cat(en, sizeof en, &used, "is \"%s\", must be one of %s", q, f->choices);
        return s_refuse(c, f, zh, en);
    }
    case SL_RF_REF:
    case SL_RF_REFS: {
        /* Each code is trimmed; REFS keeps them as "a|b|c". */
        char *joined = malloc(len + 1), code[SL_MAX_TEXT_BYTES + 1];
        size_t used = 0;
        int rc = joined ? 0 : SL_REF_FAILED;
        const char *p = v, *end = v + len;
        while (rc == 0 && p <= end) {
            const char *bar = f->type == SL_RF_REFS ? memchr(p, '|', (size_t) (end - p)) : NULL;
            const char *stop = bar ? bar : end;
            const char *s = p;
            size_t n = (size_t) (stop - p);
            s_trim(&s, &n);
            snprintf(code, sizeof code, "%.*s", (int) n, s);
            rc = s_check_ref(c, f, code, get, ctx);
            if (rc == 0) {
                if (used)
                    joined[used++] = '|';
                memcpy(joined + used, s, n);
                used += n;
            }
            p = stop + 1;
        }
        if (rc == 0)
            sl_json_add_str(w, f->name, joined, used);
        free(joined);
        if (rc == SL_REF_FAILED && !joined)
            snprintf(c->err, c->errlen, "内存不足 out of memory");
        return rc;
    }
    }
    return SL_REF_FAILED;
}

int sl_refkind_build(const sl_refkind_t *k, const char *key, size_t n, const char *const *names,
                     const char *const *values, sl_refget_fn get, void *ctx, char **json_out,
                     size_t *bad, char *err, size_t errlen)
{
    s_ctx_t c = { .k = k, .key = key, .err = err, .errlen = errlen };
    size_t given[SL_MAX_FIELDS];
    size_t none = (size_t) -1, dummy;
    if (!bad)
        bad = &dummy;
    *bad = none;
    *json_out = NULL;
    for (size_t i = 0; i < k->nfields && i < SL_MAX_FIELDS; i++)
        given[i] = none;
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        size_t nlen = strlen(name);
        char trimmed[SL_MAX_NAME_BYTES + 1], q[80], list[600];
        s_trim(&name, &nlen);
        snprintf(trimmed, sizeof trimmed, "%.*s", (int) nlen, name);
        const sl_reffield_t *f = nlen < sizeof trimmed ? sl_refkind_field(k, trimmed) : NULL;
        *bad = i;
        if (!f) {
            s_quote(name, nlen, q, sizeof q);
            sl_refkind_fields_text(k, list, sizeof list);
            snprintf(err, errlen, "%s %s：未知字段 \"%s\"，%s的字段有 %s unknown field \"%s\" for "
                     "%s %s; the fields of %s are: %s", k->label, key, q, k->label, list, q,
                     k->name, key, k->name, list);
            return SL_REF_REFUSED;
        }
        size_t fi = (size_t) (f - k->fields);
        if (given[fi] != none)
            return s_refuse(&c, f, "给了两次", "is given twice");
        given[fi] = i;
    }
    *bad = none;
    sl_json_writer_t w;
    sl_json_begin(&w);
    int rc = 0;
    for (size_t fi = 0; rc == 0 && fi < k->nfields; fi++) {
        const sl_reffield_t *f = &k->fields[fi];
        const char *v = given[fi] != none ? values[given[fi]] : "";
        size_t len = strlen(v);
        s_trim(&v, &len);
        if (len == 0) {
            if (f->required) {
                *bad = given[fi];
                rc = s_refuse(&c, f, "必填", "is required");
            }
            continue;
        }
        rc = s_field_value(&c, f, v, len, get, ctx, &w);
        if (rc)
            *bad = given[fi];
    }
    size_t jlen = 0;
    char *json = sl_json_end(&w, &jlen);
    if (rc == 0 && !json) {
        snprintf(err, errlen, "内存不足 out of memory");
        rc = SL_REF_FAILED;
    }
    if (rc == 0 && jlen > SL_MAX_TEXT_BYTES) {
        snprintf(err, errlen, "%s %s 共 %zu 字节，超过 %d 字节的上限 the entry %s %s is %zu bytes, "
                 "more than the limit of %d", k->label, key, jlen, SL_MAX_TEXT_BYTES, k->name,
                 key, jlen, SL_MAX_TEXT_BYTES);
        rc = SL_REF_REFUSED;
    }
    if (rc) {
        free(json);
        return rc;
    }
    *json_out = json;
    return 0;
}

int sl_ref_pairs_json(size_t n, char *const *words, char **json_out, char *err, size_t errlen)
{
    sl_json_writer_t w;
    sl_json_begin(&w);
    *json_out = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(words[i], '=');
        char q[80];
        if (!eq || eq == words[i]) {
            s_quote(words[i], strlen(words[i]), q, sizeof q);
            snprintf(err, errlen, "\"%s\" 须为 字段=值 \"%s\" must be FIELD=VALUE", q, q);
            free(sl_json_end(&w, NULL));
            return -1;
        }
        size_t nlen = (size_t) (eq - words[i]);
        for (size_t j = 0; j < i; j++) {
            if (strncmp(words[j], words[i], nlen + 1) == 0) {
                s_quote(words[i], nlen, q, sizeof q);
                snprintf(err, errlen, "字段 \"%s\" 给了两次 field \"%s\" is given twice", q, q);
                free(sl_json_end(&w, NULL));
                return -1;
            }
        }
        char *name = strndup(words[i], nlen);
        if (!name) {
            snprintf(err, errlen, "内存不足 out of memory");
            free(sl_json_end(&w, NULL));
            return -1;
        }
        sl_json_add_str(&w, name, eq + 1, strlen(eq + 1));
        free(name);
    }
    *json_out = sl_json_end(&w, NULL);
    if (!*json_out) {
        snprintf(err, errlen, "内存不足 out of memory");
        return -1;
    }
    return 0;
}

/* ---- reading stored values ---------------------------------------------- */

int sl_refvalue_parse(const char *value, size_t len, sl_json_obj_t *obj, char *err,
                      size_t errlen)
{
    memset(obj, 0, sizeof *obj);
    size_t i = 0;
    while (value && i < len && strchr(" \t\r\n", value[i]) && value[i])
        i++;
    if (value && i < len && value[i] == '{')
        return sl_json_parse(value, len, SL_MAX_FIELDS, obj, err, errlen);
    if (len == 0)
        return 0;
    /* 0.2.0: the value was the entry's name, as plain text. */
    if (!value || !sl_utf8_valid(value, len) || len > SL_MAX_TEXT_BYTES) {
        snprintf(err, errlen, "值既不是 JSON 也不是有效的文本 the value is neither JSON nor "
                 "valid text");
        return -1;
    }
    obj->members = calloc(1, sizeof *obj->members);
    obj->arena = malloc(len + 6);
    if (!obj->members || !obj->arena) {
        sl_json_obj_free(obj);
        snprintf(err, errlen, "内存不足 out of memory");
        return -1;
    }
    memcpy(obj->arena, "name", 5);
    memcpy(obj->arena + 5, value, len);
    obj->arena[5 + len] = 0;
    obj->members[0] = (sl_json_member_t) { .key = obj->arena, .type = SL_JSON_STRING,
                                           .str = obj->arena + 5, .str_len = len };
    obj->n = 1;
    return 0;
}

int sl_refvalue_field(const char *value, size_t len, const char *field, char *out, size_t cap)
{
    sl_json_obj_t obj;
    char err[200];
    if (cap)
        out[0] = 0;
    if (sl_refvalue_parse(value, len, &obj, err, sizeof err))
        return -1;
    const sl_json_member_t *m = sl_json_get(&obj, field);
    int rc = 0;
    if (m && m->type == SL_JSON_STRING) {
        rc = m->str_len < cap ? 1 : -1;
        if (rc == 1)
            memcpy(out, m->str, m->str_len + 1);
    } else if (m && m->type == SL_JSON_INT) {
        int n = snprintf(out, cap, "%lld", (long long) m->num);
        rc = n >= 0 && (size_t) n < cap ? 1 : -1;
    }
    if (rc < 0 && cap)
        out[0] = 0;
    sl_json_obj_free(&obj);
    return rc;
}

void sl_refvalue_text(const sl_reffield_t *f, const sl_json_obj_t *obj, char *out, size_t cap)
{
    const sl_json_member_t *m = sl_json_get(obj, f->name);
    if (cap)
        out[0] = 0;
    if (!m || m->type == SL_JSON_NULL)
        return;
    if (m->type == SL_JSON_INT) {
        snprintf(out, cap, "%lld", (long long) m->num);
        return;
    }
    if (f->type == SL_RF_ENUM) {
        char name[SL_MAX_NAME_BYTES + 1], label[SL_MAX_NAME_BYTES + 1];
        for (size_t i = 0; s_part(f->choices, i, name, sizeof name); i++) {
            if (strcmp(name, m->str) == 0) {
                s_part(f->choice_labels, i, label, sizeof label);
                snprintf(out, cap, "%s", label);
                return;
            }
        }
    }
    s_quote(m->str, m->str_len, out, cap);
}

int sl_refvalue_cells(const sl_refkind_t *k, const char *value, size_t len, char *texts,
                      size_t cell_cap, const char **cells)
{
    sl_json_obj_t obj;
    char err[200];
    int rc = sl_refvalue_parse(value, len, &obj, err, sizeof err);
    for (size_t f = 0; f < k->nfields; f++) {
        char *text = texts + f * cell_cap;
        if (rc == 0)
            sl_refvalue_text(&k->fields[f], &obj, text, cell_cap);
        else
            snprintf(text, cell_cap, "%s", f ? "" : "(损坏的值 damaged value)");
        cells[f] = text;
    }
    sl_json_obj_free(&obj);
    return rc;
}

size_t sl_refkind_headings(const sl_refkind_t *k, char *texts, size_t cap, const char **heads)
{
    snprintf(texts, cap, "%s %s", k->key_label, k->key_name);
    heads[0] = texts;
    for (size_t f = 0; f < k->nfields; f++) {
        sl_reffield_heading(&k->fields[f], texts + (f + 1) * cap, cap);
        heads[f + 1] = texts + (f + 1) * cap;
    }
    return 1 + k->nfields;
}

void sl_refvalue_render(const sl_refkind_t *k, const char *value, size_t len, char *out,
                        size_t cap)
{
    sl_json_obj_t obj;
    char err[200], text[SL_MAX_TEXT_BYTES + 8];
    size_t used = 0;
    if (cap)
        out[0] = 0;
    if (!k) {
        s_quote(value ? value : "", value ? len : 0, out, cap);
        return;
    }
    if (sl_refvalue_parse(value, len, &obj, err, sizeof err)) {
        s_cat(out, cap, &used, "(损坏的值 damaged value)");
        return;
    }
    for (size_t i = 0; i < k->nfields; i++) {
        sl_refvalue_text(&k->fields[i], &obj, text, sizeof text);
        if (text[0])
            s_cat(out, cap, &used, "%s%s=%s", used ? " " : "", k->fields[i].label, text);
    }
    /* Fields of a newer table that this program does not know: as stored. */
    for (size_t i = 0; i < obj.n; i++) {
        const sl_json_member_t *m = &obj.members[i];
        if (sl_refkind_field(k, m->key) || m->type == SL_JSON_NULL)
            continue;
        if (m->type == SL_JSON_INT)
            s_cat(out, cap, &used, "%s%s=%lld", used ? " " : "", m->key, (long long) m->num);
        else
            s_cat(out, cap, &used, "%s%s=%s", used ? " " : "", m->key, m->str);
    }
    sl_json_obj_free(&obj);
}
