/* sl_schema.c: the record-type table and everything that reads it.
 *
 * The table below is the single description of each record type of
 * shared/RECORDS.md (wire names fixed there).  Nothing outside this file
 * knows a field name's spelling rules; entry, import, validation, the fold,
 * display and the protocol's record catalog all go through the functions
 * here.  Named initialisers only: a field is found by what it says. */
#include "sl_schema.h"
#include "sl_id.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include "sl_mpcheck.h"
#include "sl_text.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DATE_MIN 20000101
#define DATE_MAX 20991231
#define TEXT(n, zh, req, maxc) \
    { .name = n, .label = zh, .type = SL_F_TEXT, .required = req, .min = 1, .max = maxc }
#define INT(n, zh, req, lo, hi) \
    { .name = n, .label = zh, .type = SL_F_INT, .required = req, .min = lo, .max = hi }
#define DATE(n, zh, req) \
    { .name = n, .label = zh, .type = SL_F_DATE, .required = req, .min = DATE_MIN, .max = DATE_MAX }
#define ENUM(n, zh, req, c, cl) \
    { .name = n, .label = zh, .type = SL_F_ENUM, .required = req, .choices = c, .choice_labels = cl }
#define ITEM(n, zh, req, types) \
    { .name = n, .label = zh, .type = SL_F_ITEM, .required = req, .choices = types }
#define REF(n, zh, req, kind) \
    { .name = n, .label = zh, .type = SL_F_REF, .required = req, .min = 1, .max = 64, .choices = kind }

#define COUNT_MAX 1000000
#define LIFE_ITEMS "service_matter|micro_wish|enterprise_problem|problem_report"

/* ---- lifecycles (RECORDS.md "Lifecycles") ------------------------------------------ */

static const sl_move_t s_matter_moves[] = {
    { .from = "planned", .to = "in_progress" },
    { .from = "in_progress", .to = "done" },
    { .from = "planned", .to = "cancelled" },
    { .from = "in_progress", .to = "cancelled" },
};
static const sl_lifecycle_t s_matter_life = {
    .statuses = "planned|in_progress|done|cancelled",
    .labels = "计划|推进中|已完成|已取消",
    .create = "planned|in_progress|done",
    .good = "done",
    .moves = s_matter_moves, .nmoves = sizeof s_matter_moves / sizeof s_matter_moves[0],
};

static const sl_move_t s_wish_moves[] = {
    { .from = "posted", .to = "claimed", .needs = "unit|member" },
    { .from = "claimed", .to = "fulfilled" },
    { .from = "posted", .to = "cancelled" },
    { .from = "claimed", .to = "cancelled" },
};
static const sl_lifecycle_t s_wish_life = {
    .statuses = "posted|claimed|fulfilled|cancelled",
    .labels = "已发布|已认领|已实现|已取消",
    .create = "posted|claimed|fulfilled",
    .create_needs = "claimed|fulfilled",
    .good = "fulfilled",
    .moves = s_wish_moves, .nmoves = sizeof s_wish_moves / sizeof s_wish_moves[0],
};

static const sl_move_t s_enterprise_moves[] = {
    { .from = "reported", .to = "solved" },
    { .from = "reported", .to = "cancelled" },
};
static const sl_lifecycle_t s_enterprise_life = {
    .statuses = "reported|solved|cancelled",
    .labels = "已登记|已解决|已取消",
    .create = "reported|solved",
    .good = "solved",
    .moves = s_enterprise_moves, .nmoves = sizeof s_enterprise_moves / sizeof s_enterprise_moves[0],
};

static const sl_move_t s_report_moves[] = {
    { .from = "reported", .to = "accepted" },
    { .from = "accepted", .to = "assigned", .needs = "unit|member" },
    { .from = "assigned", .to = "handled" },
    { .from = "handled", .to = "closed" },
    { .from = "reported", .to = "rejected", .needs = "note" },
    { .from = "closed", .to = "reopened" },
    { .from = "reopened", .to = "assigned", .needs = "unit|member" },
};
static const sl_lifecycle_t s_report_life = {
    .statuses = "reported|accepted|assigned|handled|closed|rejected|reopened",
    .labels = "已上报|已受理|已交办|已办理|已办结|不予受理|发回重办",
    .initial = "reported",
    .good = "closed",
    .moves = s_report_moves, .nmoves = sizeof s_report_moves / sizeof s_report_moves[0],
};

/* ---- record types (RECORDS.md "Records entered at a community site") --------------- */

static const sl_field_t s_member_checkin[] = {
    REF("member", "党员", true, "member"),
    DATE("on", "报到日期", true),
    TEXT("batch", "批次", false, 100),
    TEXT("note", "备注", false, 500),
};
static const sl_field_t s_member_checkout[] = {
    REF("member", "党员", true, "member"),
    DATE("on", "调出日期", true),
    TEXT("reason", "原因", true, 500),
};
static const sl_field_t s_service_matter[] = {
    REF("unit", "单位", true, "unit"),
    TEXT("title", "事项", true, 200),
    { .name = "status", .label = "状态", .type = SL_F_ENUM, .required = true,
      .choices = "planned|in_progress|done", .choice_labels = "计划|推进中|已完成",
      .legacy_default = "done" },       /* 0.2.0 recorded only done matters */
    { .name = "on", .label = "日期", .type = SL_F_DATE, .required = true, .min = DATE_MIN,
      .max = DATE_MAX, .legacy_name = "done_on" },
    INT("beneficiaries", "受益人数", false, 0, COUNT_MAX),
    TEXT("community", "社区(旧版)", false, 64),   /* 0.2.0's free text; the site's community counts */
};
static const sl_field_t s_party_day[] = {
    REF("unit", "单位", true, "unit"),
    TEXT("theme", "主题", true, 200),
    DATE("on", "日期", true),
    INT("participants", "参加人数", false, 0, COUNT_MAX),
};
static const sl_field_t s_party_lecture[] = {
    REF("unit", "单位", true, "unit"),
    REF("speaker", "主讲人", true, "member"),
    TEXT("title", "题目", true, 200),
    DATE("on", "日期", true),
    INT("audience", "听课人数", false, 0, COUNT_MAX),
};
static const sl_field_t s_micro_wish[] = {
    TEXT("resident", "对象", true, 100),
    TEXT("wish", "心愿", true, 500),
    DATE("on", "日期", true),
    ENUM("status", "状态", true, "posted|claimed|fulfilled", "已发布|已认领|已实现"),
    REF("unit", "认领单位", false, "unit"),
    REF("member", "认领党员", false, "member"),
};
static const sl_field_t s_enterprise_problem[] = {
    TEXT("enterprise", "企业", true, 200),
    TEXT("problem", "难题", true, 500),
    REF("unit", "单位", true, "unit"),
    DATE("on", "日期", true),
    ENUM("status", "状态", true, "reported|solved", "已登记|已解决"),
};
static const sl_field_t s_problem_report[] = {
    ENUM("reporter_kind", "上报人类别", true,
         "grid_worker|volunteer|courier|delivery_rider|resident|member",
         "网格员|志愿者|快递员|外卖员|居民|党员"),
    TEXT("reporter", "上报人", false, 100),
    ENUM("category", "类别", false,
         "environment|facilities|safety|traffic|neighbourhood|elderly_child|other",
         "环境卫生|设施维修|安全隐患|交通出行|邻里纠纷|一老一小|其他"),
    TEXT("summary", "问题描述", true, 500),
    TEXT("location", "地点", false, 200),
    { .name = "on", .label = "上报日期", .type = SL_F_DATE, .required = true, .min = DATE_MIN,
      .max = DATE_MAX, .legacy_name = "reported_on" },
};
static const sl_field_t s_update[] = {
    ITEM("item", "事项", true, LIFE_ITEMS),
    /* One of the item type's statuses: the fold checks it against the item. */
    ENUM("status", "状态", true,
         "planned|in_progress|done|cancelled|posted|claimed|fulfilled|reported|solved|"
         "accepted|assigned|handled|closed|rejected|reopened",
         "计划|推进中|已完成|已取消|已发布|已认领|已实现|已上报|已解决|"
         "已受理|已交办|已办理|已办结|不予受理|发回重办"),
    DATE("on", "日期", true),
    REF("unit", "责任单位", false, "unit"),
    REF("member", "责任党员", false, "member"),
    TEXT("note", "说明", false, 500),
};
static const sl_field_t s_home_visit[] = {
    REF("member", "党员", false, "member"),
    REF("unit", "单位", false, "unit"),
    TEXT("household", "住户", true, 100),
    TEXT("purpose", "事由", true, 500),
    DATE("on", "日期", true),
};
static const sl_field_t s_rating[] = {
    ITEM("item", "评价事项", true, LIFE_ITEMS),
    INT("stars", "星级", true, 1, 5),
    TEXT("comment", "评语", false, 500),
    DATE("on", "日期", false),
};
static const sl_field_t s_volunteer_activity[] = {
    REF("team", "志愿服务队", false, "team"),
    REF("brand", "服务品牌", false, "brand"),
    REF("unit", "单位", false, "unit"),
    TEXT("title", "活动", true, 200),
    DATE("on", "日期", true),
    INT("participants", "参加人次", true, 0, COUNT_MAX),
    INT("new_employment", "其中新就业群体人次", false, 0, COUNT_MAX),
    INT("hours", "总服务时长(小时)", true, 0, COUNT_MAX),
};
static const sl_field_t s_talent[] = {
    TEXT("name", "姓名", true, 100),
    TEXT("skills", "技能", true, 500),
    DATE("on", "登记日期", true),
};
static const sl_field_t s_training[] = {
    ENUM("kind", "类别", true, "talent|worker", "人才|社区工作者"),
    TEXT("title", "培训班", true, 200),
    DATE("on", "日期", true),
    INT("attendees", "培训人次", true, 0, COUNT_MAX),
};
static const sl_field_t s_talent_service[] = {
    ITEM("talent", "人才", true, "talent"),
    TEXT("need", "群众需求", true, 500),
    DATE("on", "日期", true),
    ENUM("solved", "是否解决", true, "yes|no", "已解决|未解决"),
};
static const sl_field_t s_certificate_demand[] = {
    TEXT("department", "索要部门", true, 200),
    TEXT("certificate", "证明事项", true, 200),
    DATE("on", "日期", true),
    REF("banned", "不应出具证明目录条目", false, "banned_certificate"),
};
static const sl_field_t s_inspection[] = {
    REF("unit", "被督查单位", true, "unit"),
    TEXT("inspector", "督查人", true, 100),
    DATE("on", "日期", true),
    ENUM("tasks_met", "是否完成任务", true, "yes|no", "是|否"),
    ENUM("action", "处理", false, "none|reminder_interview", "无|约谈提醒"),
    TEXT("finding", "发现问题", false, 1000),
};
static const sl_field_t s_correction[] = {
    ITEM("item", "更正的记录", true, "*"),
    TEXT("field", "字段", true, 64),
    TEXT("value", "新值", false, 1000),
    TEXT("reason", "原因", true, 500),
};
static const sl_field_t s_void[] = {
    ITEM("item", "作废的记录", true, "*"),
    TEXT("reason", "原因", true, 500),
};
/* The result of a remote command (PROTOCOL.md 12.11), written by the site
 * in the same transaction as the command's execution, so that it reaches the
 * district exactly once like any record. */
static const sl_field_t s_command_result[] = {
    TEXT("command", "命令编号", true, 64),
    INT("number", "命令序号", false, 1, INT64_MAX - 1),
    TEXT("verb", "命令", true, 64),
    ENUM("outcome", "结果", true, "done|failed", "已完成|失败"),
    TEXT("output", "输出", false, SL_COMMAND_OUTPUT_CHARS),
    DATE("on", "执行日期", true),
};

/* `code`: the type's number in the state table (common/sl_items.c), stable
 * for ever: a new type takes the next number, a number is never reused. */
#define TYPE(c, n, zh, en, f, r, l, t) \
    { .code = c, .name = n, .label = zh, .label_en = en, .fields = f, \
      .nfields = sizeof f / sizeof f[0], .role = r, .life = l, .title_field = t }
static const sl_rtype_t s_types[] = {
    TYPE(1, "member_checkin", "党员报到", "a member reports to the community", s_member_checkin,
         SL_ROLE_CHECKIN, NULL, "member"),
    TYPE(2, "member_checkout", "党员调出", "a member leaves the community", s_member_checkout,
         SL_ROLE_CHECKOUT, NULL, "member"),
    TYPE(3, "service_matter", "民生实事", "livelihood practical matter", s_service_matter,
         SL_ROLE_FACT, &s_matter_life, "title"),
    TYPE(4, "party_day", "主题党日", "joint theme party day", s_party_day, SL_ROLE_FACT, NULL,
         "theme"),
    TYPE(5, "party_lecture", "党课", "party lecture", s_party_lecture, SL_ROLE_FACT, NULL, "title"),
    TYPE(6, "micro_wish", "微心愿", "micro-wish of a resident in need", s_micro_wish,
         SL_ROLE_FACT, &s_wish_life, "wish"),
    TYPE(7, "enterprise_problem", "企业难题", "problem of a community enterprise",
         s_enterprise_problem, SL_ROLE_FACT, &s_enterprise_life, "problem"),
    TYPE(8, "problem_report", "问题上报", "problem report", s_problem_report, SL_ROLE_FACT,
         &s_report_life, "summary"),
    TYPE(9, "update", "进展", "progress of an item (lifecycle move)", s_update, SL_ROLE_UPDATE,
         NULL, "status"),
    TYPE(10, "home_visit", "上门服务", "home visit", s_home_visit, SL_ROLE_FACT, NULL, "purpose"),
    TYPE(11, "rating", "一事一评", "resident rating of a finished item (1-5 stars)", s_rating,
         SL_ROLE_RATING, NULL, "stars"),
    TYPE(12, "volunteer_activity", "志愿活动", "volunteer activity", s_volunteer_activity,
         SL_ROLE_FACT, NULL, "title"),
    TYPE(13, "talent", "人才登记", "practical talent (talent supermarket)", s_talent, SL_ROLE_FACT,
         NULL, "name"),
    TYPE(14, "training", "培训班", "training class", s_training, SL_ROLE_FACT, NULL, "title"),
    TYPE(15, "talent_service", "人才服务", "service given by a talent", s_talent_service,
         SL_ROLE_FACT, NULL, "need"),
    TYPE(16, "certificate_demand", "违规索要证明", "certificate demanded from the community",
         s_certificate_demand, SL_ROLE_FACT, NULL, "certificate"),
    TYPE(17, "inspection", "督查", "inspection of a unit", s_inspection, SL_ROLE_FACT, NULL,
         "finding"),
    TYPE(18, "correction", "更正", "correction of one field of a record", s_correction,
         SL_ROLE_CORRECTION, NULL, "field"),
    TYPE(19, "void", "作废", "void: a record removed from every figure", s_void, SL_ROLE_VOID,
         NULL, "reason"),
    { .code = 20, .name = "command_result", .label = "命令结果",
      .label_en = "result of a remote command from the district", .fields = s_command_result,
      .nfields = sizeof s_command_result / sizeof s_command_result[0], .role = SL_ROLE_FACT,
      .title_field = "verb", .internal = true },
};

/* What makes two records of a type the same row (docs/USER-GUIDE.md 5.4):
 * an import refuses a row whose values of these fields equal those of a
 * record this site already holds, or of an earlier row of the same file
 * (unless told --allow-duplicates or --skip-duplicates).  The fields that
 * name the fact: who, what and when; not the figures (a matter's
 * beneficiaries, an activity's hours) nor a status (a matter entered as
 * planned and again as done is one matter: enter an update). */
static const struct {
    const char *type;
    const char *fields;
} s_same_row[] = {
    { .type = "member_checkin", .fields = "member|on" },
    { .type = "member_checkout", .fields = "member|on" },
    { .type = "service_matter", .fields = "unit|title|on" },
    { .type = "party_day", .fields = "unit|theme|on" },
    { .type = "party_lecture", .fields = "unit|speaker|title|on" },
    { .type = "micro_wish", .fields = "resident|wish|on" },
    { .type = "enterprise_problem", .fields = "enterprise|problem|on" },
    { .type = "problem_report", .fields = "reporter_kind|reporter|summary|location|on" },
    { .type = "update", .fields = "item|status|on" },
    { .type = "home_visit", .fields = "member|unit|household|purpose|on" },
    { .type = "rating", .fields = "item|stars|comment|on" },
    { .type = "volunteer_activity", .fields = "team|unit|title|on" },
    { .type = "talent", .fields = "name|skills" },
    { .type = "training", .fields = "kind|title|on" },
    { .type = "talent_service", .fields = "talent|need|on" },
    { .type = "certificate_demand", .fields = "department|certificate|on" },
    { .type = "inspection", .fields = "unit|inspector|on" },
    { .type = "correction", .fields = "item|field|value|reason" },
    { .type = "void", .fields = "item|reason" },
    { .type = "command_result", .fields = "command" },     /* one result per command */
};

const char *sl_schema_same_row(const sl_rtype_t *rt)
{
    for (size_t i = 0; i < sizeof s_same_row / sizeof s_same_row[0]; i++)
        if (strcmp(s_same_row[i].type, rt->name) == 0)
            return s_same_row[i].fields;
    return NULL;
}

size_t sl_schema_count(void) { return sizeof s_types / sizeof s_types[0]; }

const sl_rtype_t *sl_schema_at(size_t index)
{
    return index < sl_schema_count() ? &s_types[index] : NULL;
}

const sl_rtype_t *sl_schema_find(const char *name, size_t len)
{
    for (size_t i = 0; name && i < sl_schema_count(); i++)
        if (strlen(s_types[i].name) == len && memcmp(s_types[i].name, name, len) == 0)
            return &s_types[i];
    return NULL;
}

const sl_rtype_t *sl_schema_by_code(int code)
{
    for (size_t i = 0; i < sl_schema_count(); i++)
        if (s_types[i].code == code)
            return &s_types[i];
    return NULL;
}

const sl_rtype_t *sl_schema_find_entry(const char *name)
{
    const sl_rtype_t *rt = sl_schema_find(name, strlen(name));
    for (size_t i = 0; !rt && i < sl_schema_count(); i++)
        if (strcmp(s_types[i].label, name) == 0)
            rt = &s_types[i];
    return rt;
}

bool sl_schema_part(const char *list, size_t i, char *out, size_t cap)
{
    const char *p = list;
    for (; p && i > 0; i--) {
        p = strchr(p, '|');
        if (p)
            p++;
    }
    if (!p || !*p || cap == 0)
        return false;
    size_t n = strcspn(p, "|");     /* no snprintf: this runs for every record */
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

int sl_schema_index(const char *list, const char *value, size_t len)
{
    const char *p = list;
    for (int i = 0; p && *p; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t) (bar - p) : strlen(p);
        if (n == len && memcmp(p, value, len) == 0)
            return i;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

bool sl_schema_choice(const sl_field_t *f, size_t i, char *name, size_t ncap,
                      char *label, size_t lcap)
{
    if (f->type != SL_F_ENUM || !sl_schema_part(f->choices, i, name, ncap))
        return false;
    if (!f->choice_labels || !sl_schema_part(f->choice_labels, i, label, lcap))
        snprintf(label, lcap, "%s", name);
    return true;
}

int sl_schema_status(const sl_lifecycle_t *life, const char *name, size_t len)
{
    if (!life)
        return -1;
    int i = sl_schema_index(life->statuses, name, len);
    return i >= 0 ? i : sl_schema_index(life->labels, name, len);
}

const sl_field_t *sl_schema_field(const sl_rtype_t *rt, const char *name, size_t len)
{
    for (size_t i = 0; i < rt->nfields; i++)
        if (strlen(rt->fields[i].name) == len && memcmp(rt->fields[i].name, name, len) == 0)
            return &rt->fields[i];
    return NULL;
}

int sl_schema_field_index(const sl_rtype_t *rt, const char *name)
{
    /* The fold asks for the same few fields of every record, by the same
     * string constants: remember the last answers per type (the table is
     * constant).  A caller may pass a reused buffer holding another name at
     * the same address, so a remembered answer is checked against the name
     * (one strcmp, still cheaper than the lookup); misses are not kept. */
    static _Thread_local struct { const sl_rtype_t *rt; const char *name; int index; } memo[64];
    size_t slot = ((size_t) (rt - s_types) * 7 + (size_t) name[0]) % 64;
    if (memo[slot].rt == rt && memo[slot].name == name
        && strcmp(rt->fields[memo[slot].index].name, name) == 0)
        return memo[slot].index;
    const sl_field_t *f = sl_schema_field(rt, name, strlen(name));
    int index = f ? (int) (f - rt->fields) : -1;
    if (index >= 0 && rt >= s_types && rt < s_types + sl_schema_count()) {
        memo[slot].rt = rt;
        memo[slot].name = name;
        memo[slot].index = index;
    }
    return index;
}

/* A field by its 0.2.0 name (payloads written by 0.2.0). */
static const sl_field_t *s_legacy_field(const sl_rtype_t *rt, const char *name, size_t len)
{
    for (size_t i = 0; i < rt->nfields; i++) {
        const char *old = rt->fields[i].legacy_name;
        if (old && strlen(old) == len && memcmp(old, name, len) == 0)
            return &rt->fields[i];
    }
    return NULL;
}

const sl_field_t *sl_schema_field_entry(const sl_rtype_t *rt, const char *name)
{
    const sl_field_t *f = sl_schema_field(rt, name, strlen(name));
    for (size_t i = 0; !f && i < rt->nfields; i++)
        if (strcmp(rt->fields[i].label, name) == 0)
            f = &rt->fields[i];
    return f ? f : s_legacy_field(rt, name, strlen(name));
}

static bool s_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

long sl_schema_date(const char *s, size_t len)
{
    if (!s || len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1)
        return -1;
    if (d > days[m - 1] + (m == 2 && s_leap(y)))
        return -1;
    return (long) y * 10000 + m * 100 + d;
}

void sl_schema_date_text(long date, char out[11])
{
    if (date <= 0 || date > 99991231)
        snprintf(out, 11, "%s", "");
    else
        snprintf(out, 11, "%04ld-%02ld-%02ld", date / 10000 % 10000, date / 100 % 100, date % 100);
}

/* Quotes untrusted text for an error message: at most 40 characters, each
 * byte that does not start a valid character shown as '?', "..." when cut.
 * Error sentences travel in ERROR messages, which must be valid UTF-8: a
 * plain "%.40s" could cut a Chinese character in half. */
#define QUOTE_CHARS 40
#define QUOTE_CAP (QUOTE_CHARS * 4 + 4)
static const char *s_quote(const char *v, size_t len, char out[QUOTE_CAP])
{
    size_t used = 0, i = 0, chars = 0;
    while (i < len && chars < QUOTE_CHARS) {
        unsigned char c = (unsigned char) v[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || n > len - i || !sl_utf8_valid(v + i, n)) {
            out[used++] = '?';
            i++;
        } else {
            memcpy(out + used, v + i, n);
            used += n;
            i += n;
        }
        chars++;
    }
    if (i < len) {
        memcpy(out + used, "...", 3);
        used += 3;
    }
    out[used] = 0;
    return out;
}



/* ---- checking one value --------------------------------------------------------------- */

/* A refusal naming field f (NULL: none) into err, in both languages. */
static int s_bad(char *err, size_t errlen, const char **field_out, const sl_field_t *f,
                 const char *zh, const char *en, ...)
    __attribute__((format(printf, 5, 7), format(printf, 6, 7)));
static int s_bad(char *err, size_t errlen, const char **field_out, const sl_field_t *f,
                 const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtf(err, errlen, zh, en, ap);
    va_end(ap);
    if (field_out)
        *field_out = f ? f->name : NULL;
    return -1;
}

/* A field as a refusal names it: "title"（事项）, for a reader of English
 * "title" (a dual piece, sl_lang.h).  S_FIELD's buffer lives as long as
 * the statement that uses it. */
#define S_FIELD(f) s_field_name(f, (char[400]) { 0 }, 400)
static const char *s_field_name(const sl_field_t *f, char *buf, size_t cap)
{
    char zh[300], en[100];
    snprintf(zh, sizeof zh, "\"%s\"（%s）", f->name, f->label);
    snprintf(en, sizeof en, "\"%s\"", f->name);
    sl_dpair(buf, cap, zh, en);
    return buf;
}

/* A record type as a refusal names it: 民生实事（service_matter）, or service_matter. */
#define S_TYPE(rt) s_type_name(rt, (char[400]) { 0 }, 400)
static const char *s_type_name(const sl_rtype_t *rt, char *buf, size_t cap)
{
    char zh[300];
    snprintf(zh, sizeof zh, "%s（%s）", rt->label, rt->name);
    sl_dpair(buf, cap, zh, rt->name);
    return buf;
}

/* Lists a field's choices "a(甲) b(乙)" into out. */
static void s_choices(const sl_field_t *f, char *out, size_t cap)
{
    char name[65], label[65];
    size_t used = 0;
    out[0] = 0;
    for (size_t c = 0; used < cap && sl_schema_choice(f, c, name, sizeof name, label, sizeof label); c++) {
        used += (size_t) snprintf(out + used, cap - used, "%s%s", c ? " " : "", name);
        if (used < cap) {
            char zh[80];
            snprintf(zh, sizeof zh, "(%s)", label);
            used += sl_dpair(out + used, cap - used, zh, "");
        }
    }
}

/* Checks a string value of a TEXT, ENUM, DATE or REF field. */
static int s_check_string(const sl_field_t *f, const char *v, size_t len,
                          const sl_schema_lookup_t *lk, bool legacy, char *err, size_t errlen,
                          const char **field_out)
{
    char quoted[QUOTE_CAP];
    long chars = sl_utf8_chars(v, len);
    if (chars < 0 || len > SL_MAX_TEXT_BYTES)
        return s_bad(err, errlen, field_out, f, "字段 %s不是有效的文字（UTF-8，最多 %d 字节）",
                     "field %s is not valid UTF-8 text of at most %d bytes", S_FIELD(f),
                     SL_MAX_TEXT_BYTES);
    switch (f->type) {
    case SL_F_TEXT:
    case SL_F_REF:
        if (chars < f->min || chars > f->max)
            return s_bad(err, errlen, field_out, f, "字段 %s有 %ld 个字，应为 %" PRId64 "..%" PRId64
                         " 个", "field %s has %ld characters, must have %" PRId64 "..%" PRId64,
                         S_FIELD(f), chars, f->min, f->max);
        if (f->type == SL_F_REF && !legacy && lk && lk->ref) {
            int known = lk->ref(lk->ctx, f->choices, v, len);
            if (known < 0)
                return s_bad(err, errlen, field_out, f, "无法查询参考数据来检查字段 %s",
                             "cannot read the reference data to check field %s", S_FIELD(f));
            if (known == 0) {
                char kind[200];
                sl_dpair(kind, sizeof kind, f->label, f->choices);
                return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，参考数据中没有这个%s",
                             "field %s is \"%s\": no %s with this code in the reference data",
                             S_FIELD(f), s_quote(v, len, quoted), kind);
            }
        }
        return 0;
    case SL_F_ENUM:
        if (sl_schema_index(f->choices, v, len) < 0) {
            char list[600];
            s_choices(f, list, sizeof list);
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为其中之一：%s",
                         "field %s is \"%s\", must be one of: %s", S_FIELD(f),
                         s_quote(v, len, quoted), list);
        }
        return 0;
    case SL_F_DATE: {
        long d = sl_schema_date(v, len);
        if (d < 0 || d < f->min || d > f->max)
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为 2000-01-01 至 "
                         "2099-12-31 之间的日期", "field %s is \"%s\", must be a date YYYY-MM-DD "
                         "from 2000-01-01 to 2099-12-31", S_FIELD(f), s_quote(v, len, quoted));
        return 0;
    }
    default:
        return s_bad(err, errlen, field_out, f, "字段 %s不应是文字", "field %s must not be a string",
                     S_FIELD(f));
    }
}

static int s_check_int(const sl_field_t *f, int64_t v, char *err, size_t errlen,
                       const char **field_out)
{
    if (v < f->min || v > f->max)
        return s_bad(err, errlen, field_out, f, "字段 %s是 %" PRId64 "，应为 %" PRId64 "..%" PRId64,
                     "field %s is %" PRId64 ", must be %" PRId64 "..%" PRId64, S_FIELD(f), v,
                     f->min, f->max);
    return 0;
}

static int s_check_item(const sl_field_t *f, const uint8_t *id, const sl_schema_lookup_t *lk,
                        char *err, size_t errlen, const char **field_out)
{
    if (!lk || !lk->item)
        return 0;
    char type[SL_MAX_NAME_BYTES + 1], text[SL_ID_TEXT];
    sl_id_format(id, text);
    if (!lk->item(lk->ctx, id, type, sizeof type))
        return s_bad(err, errlen, field_out, f, "字段 %s指向记录 %s，本站点没有这条记录",
                     "field %s refers to record %s, which this site does not have", S_FIELD(f),
                     text);
    if (strcmp(f->choices, "*") != 0 && sl_schema_index(f->choices, type, strlen(type)) < 0)
        return s_bad(err, errlen, field_out, f, "字段 %s指向记录 %s（类型 %s），应为 %s",
                     "field %s refers to record %s of type %s, must be one of %s", S_FIELD(f),
                     text, type, f->choices);
    return 0;
}

/* ---- entry: text values to a payload -------------------------------------------------- */

/* Leading and trailing white space are never part of a value (a wire
 * value's trimming, kept as 0.2.0 did it: the fold applies corrections
 * with it on the server). */
static void s_trim(const char **v, size_t *len)
{
    while (*len && strchr(" \t\r\n", (*v)[0])) {
        (*v)++;
        (*len)--;
    }
    while (*len && strchr(" \t\r\n", (*v)[*len - 1]))
        (*len)--;
}

/* The white space entry drops around a value: ASCII, and the invisible or
 * wide spaces that a Chinese input method, Word or Excel leave behind:
 * U+3000 (full-width space), U+00A0, U+200B, U+FEFF.  The length of the
 * space at s[0..len), or 0. */
static size_t s_space_at(const unsigned char *s, size_t len)
{
    if (len >= 1 && strchr(" \t\r\n\v\f", s[0]) && s[0])
        return 1;
    if (len >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
        return 2;
    if (len >= 3 && ((s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
                     || (s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x8B)
                     || (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)))
        return 3;
    return 0;
}

/* The same at the end of s[0..len): the length of a space ending there, or 0. */
static size_t s_space_before(const unsigned char *s, size_t len)
{
    for (size_t n = 1; n <= 3 && n <= len; n++)
        if (s_space_at(s + len - n, n) == n)
            return n;
    return 0;
}

static void s_trim_entry(const char **v, size_t *len)
{
    size_t n;
    while ((n = s_space_at((const unsigned char *) *v, *len)) > 0) {
        *v += n;
        *len -= n;
    }
    while ((n = s_space_before((const unsigned char *) *v, *len)) > 0)
        *len -= n;
}

long sl_schema_halfwidth(const char *s, size_t len, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t used = 0;
    for (size_t i = 0; i < len;) {
        char c;
        if (i + 2 < len && p[i] == 0xEF && p[i + 1] == 0xBC && p[i + 2] >= 0x81 && p[i + 2] <= 0xBF) {
            c = (char) (p[i + 2] - 0x60);           /* U+FF01..U+FF3F */
            i += 3;
        } else if (i + 2 < len && p[i] == 0xEF && p[i + 1] == 0xBD && p[i + 2] >= 0x80
                   && p[i + 2] <= 0x9E) {
            c = (char) (p[i + 2] - 0x20);           /* U+FF40..U+FF5E */
            i += 3;
        } else if (i + 2 < len && p[i] == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
            c = ' ';                                /* U+3000 */
            i += 3;
        } else {
            c = (char) p[i++];
        }
        if (used + 1 >= cap)
            return -1;
        out[used++] = c;
    }
    if (cap == 0)
        return -1;
    out[used] = 0;
    return (long) used;
}

/* mind..maxd ASCII digits at s[*i] as a number (advancing *i), or -1. */
static long s_digits(const char *s, size_t len, size_t *i, size_t mind, size_t maxd)
{
    long v = 0;
    size_t n = 0;
    while (*i + n < len && n < maxd && s[*i + n] >= '0' && s[*i + n] <= '9')
        v = v * 10 + (s[*i + n++] - '0');
    if (n < mind || (*i + n < len && s[*i + n] >= '0' && s[*i + n] <= '9'))
        return -1;
    *i += n;
    return v;
}

/* Whether s[*i..len) starts with `word` (advancing *i past it). */
static bool s_word(const char *s, size_t len, size_t *i, const char *word)
{
    size_t n = strlen(word);
    if (n > len - *i || memcmp(s + *i, word, n) != 0)
        return false;
    *i += n;
    return true;
}

long sl_schema_date_entry(const char *s, size_t len)
{
    /* The separators a date may be written with: the same one twice, or
     * 年 月 and an optional 日 (号). */
    static const char *const forms[][3] = {
        { "-", "-", "" }, { "/", "/", "" }, { ".", ".", "" },
        { "年", "月", "日" }, { "年", "月", "号" }, { "年", "月", "" },
    };
    char buf[64];
    long n = sl_schema_halfwidth(s, len, buf, sizeof buf);
    if (n < 0)
        return -1;
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        size_t i = 0;
        long y = s_digits(buf, (size_t) n, &i, 4, 4);
        if (y < 0 || !s_word(buf, (size_t) n, &i, forms[f][0]))
            continue;
        long m = s_digits(buf, (size_t) n, &i, 1, 2);
        if (m < 0 || !s_word(buf, (size_t) n, &i, forms[f][1]))
            continue;
        long d = s_digits(buf, (size_t) n, &i, 1, 2);
        if (d < 0 || !s_word(buf, (size_t) n, &i, forms[f][2]) || i != (size_t) n)
            continue;
        char iso[48];                       /* y < 10000, m and d < 100 */
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", (int) y, (int) m, (int) d);
        return sl_schema_date(iso, 10);
    }
    return -1;
}

long sl_schema_today(void)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm))
        return 0;
    return (long) (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The day after yyyymmdd. */
static long s_next_day(long date)
{
    struct tm tm = { .tm_year = (int) (date / 10000) - 1900, .tm_mon = (int) (date / 100 % 100) - 1,
                     .tm_mday = (int) (date % 100) + 1, .tm_hour = 12 };
    timegm(&tm);                                    /* normalises the 32nd of a month */
    return (long) (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The first control character in a text, named in Chinese (*zh) and
 * English (return value), or NULL: a value is one line (tabs and line
 * breaks would split a row of `record list`, of a TSV or of a CSV cell read
 * by the next program). */
static const char *s_control(const char *v, size_t len)
{
    const unsigned char *p = (const unsigned char *) v;
    for (size_t i = 0; i < len; i++) {
        bool c1 = p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F;
        bool sep = p[i] == 0xE2 && i + 2 < len && p[i + 1] == 0x80
                   && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9);      /* U+2028, U+2029 */
        if (p[i] == '\n' || p[i] == '\r' || sep)
            return SL_D("换行", "a line break");
        if (p[i] == '\t')
            return SL_D("制表符", "a tab");
        if (p[i] < 0x20 || p[i] == 0x7F || c1)
            return SL_D("控制字符", "a control character");
    }
    return NULL;
}

/* A choice by wire name, Chinese label or the wire name in another case or
 * in full-width letters; its index, or -1. */
static int s_choice_entry(const sl_field_t *f, const char *v, size_t len)
{
    int c = sl_schema_index(f->choices, v, len);
    if (c < 0 && f->choice_labels)
        c = sl_schema_index(f->choice_labels, v, len);
    char half[SL_MAX_NAME_BYTES + 1];
    long n = c < 0 ? sl_schema_halfwidth(v, len, half, sizeof half) : -1;
    for (long i = 0; i < n; i++)
        half[i] = (char) (half[i] >= 'A' && half[i] <= 'Z' ? half[i] - 'A' + 'a' : half[i]);
    if (n > 0)
        c = sl_schema_index(f->choices, half, (size_t) n);
    return c;
}

int sl_schema_entry_value(const sl_field_t *f, const char *v, size_t len, long today,
                          char *out, size_t cap, char *err, size_t errlen, const char **field_out)
{
    char quoted[QUOTE_CAP], half[64];
    s_trim_entry(&v, &len);
    if (cap == 0)
        return s_bad(err, errlen, field_out, f, "内部错误：没有存放值的空间", "internal: no room for a value");
    out[0] = 0;
    if (len == 0)
        return 0;
    switch (f->type) {
    case SL_F_INT: {
        long n = sl_schema_halfwidth(v, len, half, sizeof half);
        size_t i = n > 0 && half[0] == '-' ? 1 : 0;
        long long x = 0;
        bool ok = n > 0 && (long) i < n && n - (long) i <= 18;
        for (; ok && (long) i < n; i++) {
            ok = half[i] >= '0' && half[i] <= '9';
            x = x * 10 + (half[i] - '0');
        }
        if (!ok)
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为整数（如 120）",
                         "field %s is \"%s\", must be a whole number (such as 120)", S_FIELD(f),
                         s_quote(v, len, quoted));
        x = half[0] == '-' ? -x : x;
        if (s_check_int(f, x, err, errlen, field_out))
            return -1;
        return snprintf(out, cap, "%lld", x) < (int) cap ? (int) strlen(out) : -1;
    }
    case SL_F_DATE: {
        long d = sl_schema_date_entry(v, len);
        if (d < 0 || d < f->min || d > f->max)
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为 2000 至 2099 年间的"
                         "日期，如 2026-03-05、2026/3/5 或 2026年3月5日", "field %s is \"%s\", must "
                         "be a date from 2000-01-01 to 2099-12-31 such as 2026-03-05 or 2026/3/5",
                         S_FIELD(f), s_quote(v, len, quoted));
        char when[11], now[11];
        sl_schema_date_text(d, when);
        sl_schema_date_text(today, now);
        if (today > 0 && d > s_next_day(today))
            return s_bad(err, errlen, field_out, f, "字段 %s是 %s，比本机日期 %s 晚一天以上："
                         "不能录入将来的日期（按本机时钟；时钟不准请先校正）", "field %s is %s, more "
                         "than a day after this computer's date %s (the site's clock): a date in "
                         "the future is refused", S_FIELD(f), when, now);
        if (cap < sizeof when)
            return -1;
        memcpy(out, when, sizeof when);
        return 10;
    }
    case SL_F_ENUM: {
        int c = s_choice_entry(f, v, len);
        if (c < 0) {
            char list[600], name[SL_MAX_NAME_BYTES + 1], label[SL_MAX_NAME_BYTES * 3];
            size_t used = 0;
            list[0] = 0;
            for (size_t i = 0; used < sizeof list && sl_schema_choice(f, i, name, sizeof name,
                                                                       label, sizeof label); i++) {
                char zh[300], en[100];
                snprintf(zh, sizeof zh, "%s%s %s", i ? "、" : "", label, name);

                snprintf(en, sizeof en, "%s%s", i ? ", " : "", name);
                used += sl_dpair(list + used, sizeof list - used, zh, en);
            }
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为其中之一：%s",
                         "field %s is \"%s\", must be one of: %s", S_FIELD(f),
                         s_quote(v, len, quoted), list);
        }
        if (!sl_schema_part(f->choices, (size_t) c, out, cap))
            return -1;
        return (int) strlen(out);
    }
    default:
        break;
    }
    const char *what = f->type == SL_F_ITEM ? NULL : s_control(v, len);
    if (what)
        return s_bad(err, errlen, field_out, f, "字段 %s含有%s：一个值只能是一行文字，请删去（Excel "
                     "单元格里用 Alt+Enter 换的行也算）", "field %s contains %s: a value must be "
                     "one line of text", S_FIELD(f), what);
    if (len >= cap)
        return s_bad(err, errlen, field_out, f, "字段 %s超过 %d 字节", "field %s is longer than %d "
                     "bytes", S_FIELD(f), SL_MAX_TEXT_BYTES);
    memcpy(out, v, len);
    out[len] = 0;
    return (int) len;
}

/* Packs one field's value given as text (already trimmed, not empty). */
static int s_pack_text(const sl_field_t *f, const char *v, size_t len,
                       const sl_schema_lookup_t *lk, msgpack_packer *pk, char *err,
                       size_t errlen, const char **field_out)
{
    char quoted[QUOTE_CAP], buf[SL_MAX_TEXT_BYTES + 1];
    if (f->type == SL_F_INT) {
        snprintf(buf, sizeof buf, "%.*s", (int) (len < sizeof buf ? len : sizeof buf - 1), v);
        char *end;
        errno = 0;
        long long x = strtoll(buf, &end, 10);
        /* Digits with an optional minus: strtoll alone would also take a
         * plus sign and leading spaces. */
        if (errno || *end || end == buf || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为整数",
                         "field %s is \"%s\", must be a whole number", S_FIELD(f),
                         s_quote(v, len, quoted));
        if (s_check_int(f, x, err, errlen, field_out))
            return -1;
        msgpack_pack_int64(pk, x);
        return 0;
    }
    if (f->type == SL_F_ITEM) {
        uint8_t id[SL_ID_BYTES];
        snprintf(buf, sizeof buf, "%.*s", (int) (len < sizeof buf ? len : sizeof buf - 1), v);
        if (sl_id_parse(buf, id))
            return s_bad(err, errlen, field_out, f, "字段 %s是 \"%s\"，应为记录编号（如 #12 或 "
                         "0190f5c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f）", "field %s is \"%s\", must be a "
                         "record id (such as #12)", S_FIELD(f), s_quote(v, len, quoted));
        if (s_check_item(f, id, lk, err, errlen, field_out))
            return -1;
        msgpack_pack_bin_with_body(pk, id, SL_ID_BYTES);
        return 0;
    }
    if (f->type == SL_F_ENUM) {
        /* "快递员" means courier. */
        int c = sl_schema_index(f->choices, v, len);
        if (c < 0 && f->choice_labels)
            c = sl_schema_index(f->choice_labels, v, len);
        if (c >= 0) {
            char canon[SL_MAX_NAME_BYTES + 1];
            sl_schema_part(f->choices, (size_t) c, canon, sizeof canon);
            msgpack_pack_str_with_body(pk, canon, strlen(canon));
            return 0;
        }
    }
    if (s_check_string(f, v, len, lk, false, err, errlen, field_out))
        return -1;
    msgpack_pack_str_with_body(pk, v, len);
    return 0;
}

int sl_schema_build(const sl_rtype_t *rt, size_t n, const char *const *names,
                    const char *const *values, msgpack_sbuffer *out,
                    const sl_schema_lookup_t *lk, char *err, size_t errlen, const char **field_out)
{
    const char *given[SL_MAX_FIELDS] = { 0 };
    size_t given_len[SL_MAX_FIELDS] = { 0 };
    bool named[SL_MAX_FIELDS] = { 0 }, legacy = false;
    char quoted[QUOTE_CAP];
    if (field_out)
        *field_out = NULL;
    for (size_t i = 0; i < n; i++) {
        const sl_field_t *f = sl_schema_field_entry(rt, names[i]);
        if (!f) {
            size_t len = sl_tf(err, errlen, "%s没有字段 \"%s\"；字段有：",
                               "record type %s has no field \"%s\"; its fields are:", S_TYPE(rt),
                               s_quote(names[i], strlen(names[i]), quoted));
            for (size_t j = 0; j < rt->nfields && len + 1 < errlen; j++) {
                len += (size_t) snprintf(err + len, errlen - len, "%s ", j ? "," : "");
                if (len < errlen)
                    len += sl_tpair(err + len, errlen - len, rt->fields[j].label,
                                    rt->fields[j].name);
            }
            return -1;
        }
        size_t k = (size_t) (f - rt->fields);
        if (named[k])           /* even when the first value was empty */
            return s_bad(err, errlen, field_out, f, "字段 \"%s\" 出现了两次", "field \"%s\" is given twice",
                         f->name);
        named[k] = true;
        if (f->legacy_name && strcmp(names[i], f->legacy_name) == 0)
            legacy = true;      /* "done_on": done, as 0.2.0 meant it */
        const char *v = values[i];
        size_t len = strlen(v);
        s_trim_entry(&v, &len);
        if (len) {
            given[k] = v;
            given_len[k] = len;
        }
    }
    size_t present = 0;
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (!given[k] && legacy && f->legacy_default) {
            given[k] = f->legacy_default;
            given_len[k] = strlen(f->legacy_default);
        }
        if (!given[k] && f->required)
            return s_bad(err, errlen, field_out, f, "%s的字段 %s必填", "field %2$s is required for %1$s",
                         S_TYPE(rt), S_FIELD(f));
        present += given[k] != NULL;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, present);
    char value[SL_MAX_TEXT_BYTES + 1];
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (!given[k])
            continue;
        msgpack_pack_str_with_body(&pk, f->name, strlen(f->name));
        int vlen = sl_schema_entry_value(f, given[k], given_len[k], lk ? lk->today : 0, value,
                                         sizeof value, err, errlen, field_out);
        if (vlen <= 0 || s_pack_text(f, value, (size_t) vlen, lk, &pk, err, errlen, field_out))
            return -1;
    }
    if (out->size > SL_MAX_PAYLOAD_BYTES)
        return s_bad(err, errlen, field_out, NULL, "记录有 %zu 字节，超过上限 %d",
                     "record is %zu bytes, larger than the limit of %d", out->size,
                     SL_MAX_PAYLOAD_BYTES);

    return 0;
}

/* ---- msgpack: a flat map decoded on the stack ---- */
static uint64_t s_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads one scalar at *pos (bounds-checked) into o.  -1 for anything that
 * is not a string, bin, integer, nil or bool (a record's values are flat). */
static int s_scalar(const uint8_t *b, size_t len, size_t *pos, msgpack_object *o)
{
    if (*pos >= len)
        return -2;
    uint8_t t = b[(*pos)++];
    size_t left = len - *pos, n = 0;
    int head = 0;
    memset(o, 0, sizeof *o);
    if (t <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = t;
        return 0;
    }
    if (t >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = (int8_t) t;
        return 0;
    }
    if (t >= 0xa0 && t <= 0xbf) {
        o->type = MSGPACK_OBJECT_STR;
        n = t & 0x1f;
    } else if (t == 0xc0) {
        o->type = MSGPACK_OBJECT_NIL;
        return 0;
    } else if (t == 0xc2 || t == 0xc3) {
        o->type = MSGPACK_OBJECT_BOOLEAN;
        o->via.boolean = t == 0xc3;
        return 0;
    } else if (t >= 0xcc && t <= 0xcf) {
        int w = 1 << (t - 0xcc);
        if ((size_t) w > left)
            return -2;
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = s_be(b + *pos, w);
        *pos += (size_t) w;
        return 0;
    } else if (t >= 0xd0 && t <= 0xd3) {
        int w = 1 << (t - 0xd0);
        if ((size_t) w > left)
            return -2;
        uint64_t u = s_be(b + *pos, w);
        int64_t v = w == 1 ? (int8_t) u : w == 2 ? (int16_t) u : w == 4 ? (int32_t) u : (int64_t) u;
        o->type = v < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
        if (v < 0)
            o->via.i64 = v;
        else
            o->via.u64 = (uint64_t) v;
        *pos += (size_t) w;
        return 0;
    } else if (t == 0xca || t == 0xcb) {
        size_t w = t == 0xca ? 4 : 8;      /* a float: the field check refuses it */
        if (w > left)
            return -2;
        o->type = MSGPACK_OBJECT_FLOAT64;
        *pos += w;
        return 0;
    } else if (t == 0xd9 || t == 0xda || t == 0xdb) {
        o->type = MSGPACK_OBJECT_STR;
        head = t == 0xd9 ? 1 : t == 0xda ? 2 : 4;
    } else if (t == 0xc4 || t == 0xc5 || t == 0xc6) {
        o->type = MSGPACK_OBJECT_BIN;
        head = t == 0xc4 ? 1 : t == 0xc5 ? 2 : 4;
    } else if ((t >= 0x80 && t <= 0x9f) || (t >= 0xdc && t <= 0xdf)) {
        return -1;              /* a list or a map */
    } else {
        return -2;              /* ext types, 0xc1 */
    }
    if (head) {
        if ((size_t) head > left)
            return -2;
        n = (size_t) s_be(b + *pos, head);
        *pos += (size_t) head;
        left -= (size_t) head;
    }
    if (n > left)
        return -2;
    if (o->type == MSGPACK_OBJECT_STR) {
        o->via.str.ptr = (const char *) b + *pos;
        o->via.str.size = (uint32_t) n;
    } else {
        o->via.bin.ptr = (const char *) b + *pos;
        o->via.bin.size = (uint32_t) n;
    }
    *pos += n;
    return 0;
}

/* Decodes a record: one map of at most SL_MAX_FIELDS scalar values, and
 * nothing after it. */
static int s_flat_map(const sl_rtype_t *rt, const uint8_t *b, size_t len, msgpack_object_kv *kv,
                      uint32_t *n, char *err, size_t errlen)
{
    size_t pos = 1;
    uint64_t count;
    if (len < 1) {
        sl_tf(err, errlen, "记录是空的", "record is empty");
        return -1;
    }
    if (b[0] >= 0x80 && b[0] <= 0x8f)
        count = b[0] & 0x0f;
    else if (b[0] == 0xde && len >= 3)
        count = s_be(b + 1, 2), pos = 3;
    else if (b[0] == 0xdf && len >= 5)
        count = s_be(b + 1, 4), pos = 5;
    else {
        sl_tf(err, errlen, "记录应为字段的映射（map）", "record must be a map of fields");
        return -1;
    }
    if (count * 2 > len - pos) {
        sl_tf(err, errlen, "记录不是有效的 msgpack：声称有 %llu 个字段，但只剩 %zu 字节",
              "record is not valid msgpack: its map announces %llu fields but only %zu bytes are "
              "left", (unsigned long long) count, len - pos);
        return -1;
    }
    if (count > SL_MAX_FIELDS) {
        sl_tf(err, errlen, "记录有 %llu 个字段，超过上限 %d", "record has %llu fields, more than the "
              "limit of %d", (unsigned long long) count, SL_MAX_FIELDS);
        return -1;
    }
    for (uint64_t i = 0; i < count; i++) {
        int rk = s_scalar(b, len, &pos, &kv[i].key), rv = rk ? 0 : s_scalar(b, len, &pos, &kv[i].val);
        if (rk == -2 || rv == -2) {
            sl_tf(err, errlen, "记录不是有效的 msgpack（第 %llu 个字段被截断，或是记录不用的类型）",
                  "record is not valid msgpack (field %llu is truncated or of a type msgpack "
                  "records do not use)", (unsigned long long) i);
            return -1;
        }
        if (rk || kv[i].key.type != MSGPACK_OBJECT_STR) {
            sl_tf(err, errlen, "记录的字段名应为字符串", "record field names must be strings");
            return -1;
        }
        if (rv) {
            const sl_field_t *f = sl_schema_field(rt, kv[i].key.via.str.ptr, kv[i].key.via.str.size);
            char quoted[QUOTE_CAP];
            if (f)
                sl_tf(err, errlen, "字段 %s应为%s，不能是列表或映射",
                      "field %s must be %s, not a list or map", S_FIELD(f),
                      f->type == SL_F_INT ? SL_D("整数", "an integer")
                      : f->type == SL_F_ITEM ? SL_D("16 字节的记录编号", "a 16-byte record id")
                      : SL_D("文字", "a string"));
            else
                sl_tf(err, errlen, "%s没有字段 \"%s\"", "record type %s has no field \"%s\"",
                      S_TYPE(rt), s_quote(kv[i].key.via.str.ptr, kv[i].key.via.str.size, quoted));
            return -1;
        }
    }
    if (pos != len) {
        sl_tf(err, errlen, "记录末尾多出 %zu 字节", "record has %zu trailing bytes", len - pos);
        return -1;
    }
    *n = (uint32_t) count;
    return 0;
}


/* ---- the wire: payloads checked and decoded -------------------------------------------- */

/* Matches decoded keys to fields: idx[i] is the field of key i.  Sets
 * *legacy when a 0.2.0 name is used.  -1 with a sentence on an unknown or
 * repeated field. */
static int s_match(const sl_rtype_t *rt, const msgpack_object_kv *kv, uint32_t n, int *idx,
                   bool *legacy, char *err, size_t errlen, const char **field_out)
{
    bool seen[SL_MAX_FIELDS] = { 0 };
    *legacy = false;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &kv[i].key;
        const sl_field_t *f = sl_schema_field(rt, k->via.str.ptr, k->via.str.size);
        if (!f) {
            f = s_legacy_field(rt, k->via.str.ptr, k->via.str.size);
            if (f)
                *legacy = true;
        }
        if (!f) {
            char quoted[QUOTE_CAP];
            if (field_out)
                *field_out = NULL;
            sl_tf(err, errlen, "%s没有字段 \"%s\"", "record type %s has no field \"%s\"", S_TYPE(rt),
                  s_quote(k->via.str.ptr, k->via.str.size, quoted));
            return -1;
        }
        size_t j = (size_t) (f - rt->fields);
        if (seen[j])
            return s_bad(err, errlen, field_out, f, "字段 \"%s\" 出现了两次", "field \"%s\" appears twice",
                         f->name);
        seen[j] = true;
        idx[i] = (int) j;
    }
    return 0;
}

int sl_schema_check(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                    const sl_schema_lookup_t *lk, char *err, size_t errlen, const char **field_out)
{
    return sl_schema_check_view(rt, payload, len, lk, NULL, err, errlen, field_out);
}

int sl_schema_check_view(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                         const sl_schema_lookup_t *lk, sl_view_t *view, char *err, size_t errlen,
                         const char **field_out)
{
    if (field_out)
        *field_out = NULL;
    if (len > SL_MAX_PAYLOAD_BYTES) {
        sl_tf(err, errlen, "记录有 %zu 字节，超过上限 %d", "record is %zu bytes, larger than the limit "
              "of %d", len, SL_MAX_PAYLOAD_BYTES);
        return -1;
    }
    /* A flat map decoded onto the stack: this runs for every event the
     * server receives, so it allocates nothing.  s_flat_map checks every
     * length against the bytes left and refuses nesting and trailing bytes:
     * no separate structural pass. */
    msgpack_object_kv kv[SL_MAX_FIELDS];
    uint32_t nkv = 0;
    int idx[SL_MAX_FIELDS];
    bool legacy;
    if (s_flat_map(rt, payload, len, kv, &nkv, err, errlen)
        || s_match(rt, kv, nkv, idx, &legacy, err, errlen, field_out))
        return -1;
    bool seen[SL_MAX_FIELDS] = { 0 };
    if (view) {
        view->rt = rt;
        view->legacy = legacy;
        memset(view->v, 0, rt->nfields * sizeof view->v[0]);
    }
    for (uint32_t i = 0; i < nkv; i++) {
        const sl_field_t *f = &rt->fields[idx[i]];
        const msgpack_object *v = &kv[i].val;
        seen[idx[i]] = true;
        if (view) {
            sl_value_t *out = &view->v[idx[i]];
            out->present = true;
            if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                out->i = (int64_t) v->via.u64;
            else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                out->i = v->via.i64;
            else if (v->type == MSGPACK_OBJECT_BIN)
                out->id = (const uint8_t *) v->via.bin.ptr;
            else if (v->type == MSGPACK_OBJECT_STR) {
                out->s = v->via.str.ptr;
                out->len = v->via.str.size;
                if (f->type == SL_F_DATE)
                    out->i = sl_schema_date(out->s, out->len);
            }
        }
        switch (f->type) {
        case SL_F_INT:
            if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                if (v->via.u64 > INT64_MAX)
                    return s_bad(err, errlen, field_out, f, "字段 %s超出范围", "field %s is out of range",
                                 S_FIELD(f));
                if (s_check_int(f, (int64_t) v->via.u64, err, errlen, field_out))
                    return -1;
            } else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
                if (s_check_int(f, v->via.i64, err, errlen, field_out))
                    return -1;
            } else {
                return s_bad(err, errlen, field_out, f, "字段 %s应为整数", "field %s must be an integer",
                             S_FIELD(f));
            }
            break;
        case SL_F_ITEM:
            if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != SL_ID_BYTES)
                return s_bad(err, errlen, field_out, f, "字段 %s应为 16 字节的记录编号",
                             "field %s must be a 16-byte record id", S_FIELD(f));
            if (s_check_item(f, (const uint8_t *) v->via.bin.ptr, lk, err, errlen, field_out))
                return -1;
            break;
        default:
            if (v->type != MSGPACK_OBJECT_STR)
                return s_bad(err, errlen, field_out, f, "字段 %s应为文字", "field %s must be a string",
                             S_FIELD(f));
            if (s_check_string(f, v->via.str.ptr, v->via.str.size, lk, legacy, err, errlen,
                               field_out))
                return -1;
        }
    }
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (f->required && !seen[k] && !(legacy && f->legacy_default))
            return s_bad(err, errlen, field_out, f, "%s的字段 %s必填", "field %2$s is required for %1$s",
                         S_TYPE(rt), S_FIELD(f));
        if (view && !seen[k] && legacy && f->legacy_default) {
            view->v[k].present = true;
            view->v[k].s = f->legacy_default;
            view->v[k].len = strlen(f->legacy_default);
        }
    }
    return 0;
}

int sl_schema_view(const sl_rtype_t *rt, const uint8_t *payload, size_t len, sl_view_t *view,
                   char *err, size_t errlen)
{
    /* Only the fields of this type: this runs for every record. */
    view->rt = rt;
    view->legacy = false;
    memset(view->v, 0, (rt->nfields < SL_MAX_FIELDS ? rt->nfields : SL_MAX_FIELDS)
                       * sizeof view->v[0]);
    msgpack_object_kv kv[SL_MAX_FIELDS];
    uint32_t nkv = 0;
    int idx[SL_MAX_FIELDS];
    if (rt->nfields > SL_MAX_FIELDS || s_flat_map(rt, payload, len, kv, &nkv, err, errlen)
        || s_match(rt, kv, nkv, idx, &view->legacy, err, errlen, NULL))
        return -1;
    for (uint32_t i = 0; i < nkv; i++) {
        const sl_field_t *f = &rt->fields[idx[i]];
        const msgpack_object *v = &kv[i].val;
        sl_value_t *out = &view->v[idx[i]];
        if (v->type == MSGPACK_OBJECT_NIL)
            continue;
        if (f->type == SL_F_INT) {
            if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX)
                out->i = (int64_t) v->via.u64;
            else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                out->i = v->via.i64;
            else
                goto wrong;
        } else if (f->type == SL_F_ITEM) {
            if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != SL_ID_BYTES)
                goto wrong;
            out->id = (const uint8_t *) v->via.bin.ptr;
        } else {
            if (v->type != MSGPACK_OBJECT_STR)
                goto wrong;
            out->s = v->via.str.ptr;
            out->len = v->via.str.size;
            if (f->type == SL_F_DATE)
                out->i = sl_schema_date(out->s, out->len);
        }
        out->present = true;
        continue;
    wrong:
        sl_tf(err, errlen, "已存的%s记录的字段 %s的值类型不对",
              "field %2$s of a stored %1$s record has a value of the wrong kind", S_TYPE(rt),
              S_FIELD(f));
        return -1;
    }
    for (size_t k = 0; view->legacy && k < rt->nfields; k++)
        if (!view->v[k].present && rt->fields[k].legacy_default) {
            view->v[k].present = true;
            view->v[k].s = rt->fields[k].legacy_default;
            view->v[k].len = strlen(rt->fields[k].legacy_default);
        }
    return 0;
}

const char *sl_view_text(const sl_view_t *view, const char *field, char *buf, size_t cap)
{
    return sl_view_text_at(view, sl_schema_field_index(view->rt, field), buf, cap);
}

const char *sl_view_text_at(const sl_view_t *view, int k, char *buf, size_t cap)
{
    buf[0] = 0;
    if (k < 0 || !view->v[k].present)
        return buf;
    const sl_field_t *f = &view->rt->fields[k];
    if (f->type == SL_F_INT)
        snprintf(buf, cap, "%" PRId64, view->v[k].i);
    else if (f->type == SL_F_ITEM) {
        char text[SL_ID_TEXT];
        sl_id_format(view->v[k].id, text);
        snprintf(buf, cap, "%s", text);
    } else if (cap > 0) {
        /* a copy, not snprintf: the fold reads texts for every record */
        size_t n = view->v[k].len < cap - 1 ? view->v[k].len : cap - 1;
        memcpy(buf, view->v[k].s, n);
        buf[n] = 0;
    }
    return buf;
}

void sl_schema_render(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                      char *out, size_t cap)
{
    sl_view_t view;
    char err[200];
    out[0] = 0;
    if (sl_schema_view(rt, payload, len, &view, err, sizeof err)) {
        snprintf(out, cap, "%s", SL_T("（无法读取的记录）", "(unreadable record)"));
        return;
    }
    size_t used = 0;
    for (size_t k = 0; k < rt->nfields && used < cap; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (!view.v[k].present)
            continue;
        char text[SL_MAX_TEXT_BYTES + 1], label[65];
        sl_view_text(&view, f->name, text, sizeof text);
        int c = f->type == SL_F_ENUM ? sl_schema_index(f->choices, text, strlen(text)) : -1;
        if (c >= 0 && f->choice_labels && sl_schema_part(f->choice_labels, (size_t) c, label,
                                                         sizeof label)) {
            /* 快递员, not courier; in English the wire name, as it is (copying text onto
             * itself with snprintf emptied it) */
            const char *shown = sl_lang_either(label, text);
            if (shown != text)
                snprintf(text, sizeof text, "%s", shown);
        }
        int n = snprintf(out + used, cap - used, "%s%s=%s", used ? " " : "",
                         sl_lang_either(f->label, f->name), text);

        if (n < 0)
            break;
        used += (size_t) n;
    }
}

void sl_schema_field_text(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                          const char *field, char *out, size_t cap)
{
    sl_view_t view;
    char err[200];
    out[0] = 0;
    if (sl_schema_view(rt, payload, len, &view, err, sizeof err) == 0)
        sl_view_text(&view, field, out, cap);
}

int sl_schema_replace(const sl_rtype_t *rt, const uint8_t *payload, size_t len,
                      const sl_field_t *f, const char *value, msgpack_sbuffer *out,
                      const sl_schema_lookup_t *lk, char *err, size_t errlen)
{
    sl_view_t view;
    if (sl_schema_view(rt, payload, len, &view, err, errlen))
        return -1;
    size_t vlen = value ? strlen(value) : 0;
    if (value)
        s_trim(&value, &vlen);
    if (!vlen && f->required) {
        sl_tf(err, errlen, "字段 %s必填，不能清空", "field %s is required: it cannot be cleared",
              S_FIELD(f));

        return -1;
    }
    size_t target = (size_t) (f - rt->fields), present = 0;
    for (size_t k = 0; k < rt->nfields; k++)
        present += k == target ? vlen > 0 : view.v[k].present;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, present);
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *g = &rt->fields[k];
        if (k == target ? !vlen : !view.v[k].present)
            continue;
        msgpack_pack_str_with_body(&pk, g->name, strlen(g->name));
        if (k == target) {
            if (s_pack_text(g, value, vlen, lk, &pk, err, errlen, NULL))
                return -1;
        } else if (g->type == SL_F_INT) {
            msgpack_pack_int64(&pk, view.v[k].i);
        } else if (g->type == SL_F_ITEM) {
            msgpack_pack_bin_with_body(&pk, view.v[k].id, SL_ID_BYTES);
        } else {
            msgpack_pack_str_with_body(&pk, view.v[k].s, view.v[k].len);
        }
    }
    return 0;
}

/* ---- the catalog ---------------------------------------------------------------------- */

static const char *s_role_text(sl_role_kind_t role)
{
    switch (role) {
    case SL_ROLE_FACT: return "an item of its own";
    case SL_ROLE_UPDATE: return "moves its item (`item`) along its lifecycle";
    case SL_ROLE_RATING: return "rates its item (`item`), which must be in its good final status";
    case SL_ROLE_CORRECTION: return "changes one field of its item (`item`), retroactively";
    case SL_ROLE_VOID: return "removes its item, or one of the item's updates or ratings, from every figure";
    case SL_ROLE_CHECKIN: return "an item; the member must not be checked in at this site already";
    case SL_ROLE_CHECKOUT: return "an item; the member must be checked in at this site";
    }
    return "";
}

void sl_schema_markdown(FILE *out)
{
    static const char *tnames[] = { "text", "int", "date", "enum", "item", "ref" };
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = &s_types[i];
        fprintf(out, "#### `%s` — %s (%s)\n\n", rt->name, rt->label, rt->label_en);
        fprintf(out, "Role: %s%s.\n\n", s_role_text(rt->role),
                rt->internal ? "; written by the site program itself (the result of a remote "
                               "command, section 12.11), never entered by people" : "");
        fprintf(out, "| field | 中文 | type | req. | range or choices | 0.2.0 |\n|---|---|---|---|---|---|\n");
        for (size_t k = 0; k < rt->nfields; k++) {
            const sl_field_t *f = &rt->fields[k];
            char range[700] = "";
            if (f->type == SL_F_TEXT)
                snprintf(range, sizeof range, "%lld..%lld characters", (long long) f->min,
                         (long long) f->max);
            else if (f->type == SL_F_INT)
                snprintf(range, sizeof range, "%lld..%lld", (long long) f->min, (long long) f->max);
            else if (f->type == SL_F_DATE)
                snprintf(range, sizeof range, "YYYY-MM-DD, 2000-01-01..2099-12-31");
            else if (f->type == SL_F_ENUM) {
                char dual[700];
                s_choices(f, dual, sizeof dual);
                sl_lang_render_as(SL_LANG_ZH, dual, strlen(dual), range, sizeof range);
            }
            else if (f->type == SL_F_ITEM)
                snprintf(range, sizeof range, "a record of this site: %s",
                         strcmp(f->choices, "*") == 0 ? "any type" : f->choices);
            else
                snprintf(range, sizeof range, "a `%s` key (1..64 characters)", f->choices);
            char old[200] = "";
            if (f->legacy_name || f->legacy_default)
                snprintf(old, sizeof old, "%s%s%s%s%s", f->legacy_name ? "`" : "",
                         f->legacy_name ? f->legacy_name : "", f->legacy_name ? "`" : "",
                         f->legacy_default ? "absent = " : "",
                         f->legacy_default ? f->legacy_default : "");
            fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", f->name, f->label,
                    tnames[f->type], f->required ? "yes" : "", range, old);
        }
        const sl_lifecycle_t *l = rt->life;
        if (l) {
            fprintf(out, "\nStatuses: ");
            char name[32], label[64];
            for (size_t c = 0; sl_schema_part(l->statuses, c, name, sizeof name); c++) {
                sl_schema_part(l->labels, c, label, sizeof label);
                fprintf(out, "%s`%s` %s", c ? ", " : "", name, label);
            }
            fprintf(out, "; good final status `%s`; created %s.\n\nMoves of an `update`:\n\n",
                     l->good, l->create ? l->create : l->initial);
            for (size_t m = 0; m < l->nmoves; m++)
                fprintf(out, "* `%s` → `%s`%s%s\n", l->moves[m].from, l->moves[m].to,
                        l->moves[m].needs ? ", needs " : "",
                        l->moves[m].needs ? (strcmp(l->moves[m].needs, "note") == 0
                                             ? "a `note`" : "a `unit` or `member`") : "");
            if (l->create_needs)
                fprintf(out, "* created as %s: needs a `unit` or `member`\n", l->create_needs);
        }
        fprintf(out, "\n");
    }
}
