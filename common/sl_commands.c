/* sl_commands.c: the table of remote commands and site settings, and the
 * checks both the server (before queueing) and the site (before executing)
 * make with it.  A command's arguments are text on the wire, so every check
 * here parses text strictly: a number is decimal digits only, a choice one
 * of its choices, an endpoint one a site can dial. */
#include "sl_commands.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include "sl_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- site settings ----------------------------------------------------------- */

static const sl_site_setting_t s_settings[] = {
    { .name = "log_level", .label = "日志级别", .type = SL_CA_CHOICE,
      .choices = "debug|info|warn|error", .def = "info" },
    { .name = "telemetry_minutes", .label = "状态上报间隔（分钟）", .type = SL_CA_INT, .min = 1,
      .max = 1440, .def = "1" },
    { .name = "server", .label = "服务器地址", .type = SL_CA_ENDPOINT },
};

size_t sl_site_setting_count(void) { return sizeof s_settings / sizeof s_settings[0]; }

const sl_site_setting_t *sl_site_setting_at(size_t index)
{
    return index < sl_site_setting_count() ? &s_settings[index] : NULL;
}

const sl_site_setting_t *sl_site_setting_find(const char *name)
{
    for (size_t i = 0; i < sl_site_setting_count(); i++)
        if (strcmp(s_settings[i].name, name) == 0 || strcmp(s_settings[i].label, name) == 0)
            return &s_settings[i];
    return NULL;
}

/* ---- commands ------------------------------------------------------------------ */

static const sl_cmd_arg_t s_resend_args[] = {
    { .name = "from", .label = "起始序号", .type = SL_CA_INT, .required = true, .min = 1,
      .max = INT64_MAX },
};
static const sl_cmd_arg_t s_set_args[] = {
    { .name = "name", .label = "参数名", .type = SL_CA_TEXT, .required = true, .min = 1, .max = 64 },
    { .name = "value", .label = "值", .type = SL_CA_TEXT, .required = true, .min = 1, .max = 200 },
};
static const sl_cmd_arg_t s_set_server_args[] = {
    { .name = "endpoint", .label = "服务器地址", .type = SL_CA_ENDPOINT, .required = true },
};
static const sl_cmd_arg_t s_log_args[] = {
    { .name = "lines", .label = "行数", .type = SL_CA_INT, .min = 1, .max = 200, .def = "50" },
};
static const sl_cmd_arg_t s_notice_args[] = {
    { .name = "text", .label = "内容", .type = SL_CA_TEXT, .required = true, .min = 1,
      .max = 1000 },
};

#define CMD(n, zh, what, a) { .name = n, .label = zh, .summary = what, .args = a, \
                              .nargs = sizeof a / sizeof a[0] }
#define CMD0(n, zh, what) { .name = n, .label = zh, .summary = what }
static const sl_command_t s_commands[] = {
    CMD0("ping", "连通检测", SL_D("连通检测：回答站点的时钟和版本",
                                  "answers with the site's clock and version")),
    CMD0("status", "状态报告", SL_D("状态报告：传回记录、待同步、上次同步、时钟、磁盘",
                                  "sends back its status: records, outbox, last sync, clock, disk")),
    CMD("resend", "重发记录", SL_D("重发记录：从序号 FROM 起再发一遍（服务器逐条与已有的核对，跳过重复的）",
                                 "sends its records again from sequence FROM (the server checks "
                                 "each against what it holds and skips duplicates)"), s_resend_args),
    CMD("set", "设置站点参数", SL_D("设置站点参数：把参数 NAME 设为 VALUE（log_level、telemetry_minutes、server）",
                                   "sets a site setting NAME to VALUE (log_level, "
                                   "telemetry_minutes, server)"), s_set_args),
    CMD("set_server", "更改服务器地址", SL_D("更改服务器地址：站点今后连接的地址（tcp://HOST:PORT）；旧地址保留，可以改回去",
                                          "changes the server address the site connects to "
                                          "(tcp://HOST:PORT); the site keeps the old one to go "
                                          "back to"), s_set_server_args),
    CMD("log", "回传日志", SL_D("回传日志：传回日志的最后 LINES 行（默认 50，最多 200）",
                               "sends back the last LINES lines of its log (default 50, at "
                               "most 200)"), s_log_args),
    CMD0("check", "检查数据库", SL_D("检查数据库：SQLite 完整性检查和记录的哈希链，传回结果",
                                   "checks its database (SQLite integrity check and its "
                                   "records' hash chain) and sends back the result")),
    CMD0("rotate_key", "更换密钥", SL_D("更换密钥：经服务器同意，立即换用新的密钥对（同 rotate-key）",
                                    "replaces its key pair with a new one, at once, with the "
                                    "server's agreement (as rotate-key)")),
    CMD("notice", "通知", SL_D("通知：站点的使用者下次用程序时显示 TEXT",
                             "shows TEXT to the site's users the next time they use the program"),
        s_notice_args),
};

size_t sl_command_count(void) { return sizeof s_commands / sizeof s_commands[0]; }

const sl_command_t *sl_command_at(size_t index)
{
    return index < sl_command_count() ? &s_commands[index] : NULL;
}

const sl_command_t *sl_command_find(const char *name)
{
    char wire[SL_MAX_NAME_BYTES + 1];
    size_t len = strlen(name);
    if (len > SL_MAX_NAME_BYTES)
        return NULL;
    for (size_t i = 0; i <= len; i++)
        wire[i] = name[i] == '-' ? '_' : name[i];
    for (size_t i = 0; i < sl_command_count(); i++)
        if (strcmp(s_commands[i].name, wire) == 0 || strcmp(s_commands[i].label, name) == 0)
            return &s_commands[i];
    return NULL;
}

void sl_command_names(char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < sl_command_count() && used < cap; i++)
    {
        char zh[100];
        used += (size_t) snprintf(out + used, cap - used, "%s%s", i ? " " : "", s_commands[i].name);
        snprintf(zh, sizeof zh, "(%s)", s_commands[i].label);
        if (used < cap)
            used += sl_dpair(out + used, cap - used, zh, "");
    }
}

/* ---- values ---------------------------------------------------------------------- */

/* An argument as a message names it: 起始序号（from）, for a reader of English
 * from (a dual piece; the buffer lives as long as the statement). */
#define S_ARG(label, name) s_arg_named(label, name, (char[200]) { 0 }, 200)
static const char *s_arg_named(const char *label, const char *name, char *buf, size_t cap)
{
    char zh[150];
    snprintf(zh, sizeof zh, "%s（%s）", label, name);
    sl_dpair(buf, cap, zh, name);
    return buf;
}

/* A whole decimal number in [min, max], digits only. */
static bool s_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!*text || strlen(text) > 19)
        return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end || v < min || v > max)
        return false;
    if (out)
        *out = v;
    return true;
}

static bool s_choice(const char *choices, const char *value)
{
    size_t len = strlen(value);
    for (const char *p = choices; p && *p; ) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t) (bar - p) : strlen(p);
        if (n == len && memcmp(p, value, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

/* Checks one value of type t (range min..max, choices) named `what` for
 * messages.  0, or -1 with a sentence. */
static int s_value(sl_cmd_argtype_t t, int64_t min, int64_t max, const char *choices,
                   const char *what, const char *label, const char *value, char *err,
                   size_t errlen)
{
    size_t len = strlen(value);
    if (!sl_utf8_valid(value, len)) {
        sl_tf(err, errlen, "%s 须为文本", "%s must be text", S_ARG(label, what));
        return -1;
    }
    switch (t) {
    case SL_CA_INT:
        if (s_int(value, min, max, NULL))
            return 0;
        sl_tf(err, errlen, "%s 须为 %lld..%lld 的整数，而不是 \"%.40s\"",
              "%s must be a whole number %lld..%lld, not \"%.40s\"", S_ARG(label, what),
              (long long) min, (long long) max, value);
        return -1;
    case SL_CA_CHOICE:
        if (s_choice(choices, value))
            return 0;
        sl_tf(err, errlen, "%s 须为 %s 之一，而不是 \"%.40s\"", "%s must be one of %s, not \"%.40s\"",
              S_ARG(label, what), choices, value);
        return -1;
    case SL_CA_ENDPOINT: {
        char why[1200];
        if (sl_endpoint_check(value, NULL, why, sizeof why) == 0)
            return 0;
        sl_tf(err, errlen, "%s：%s", "%s: %s", S_ARG(label, what), why);
        return -1;
    }
    case SL_CA_TEXT: {
        long chars = sl_utf8_chars(value, len);
        if (chars >= min && chars <= max)
            return 0;
        sl_tf(err, errlen, "%s 须为 %lld..%lld 个字符，现有 %ld 个",
              "%s must be %lld..%lld characters, not %ld", S_ARG(label, what), (long long) min,
              (long long) max, chars);
        return -1;
    }
    }
    return -1;
}

int sl_site_setting_check(const sl_site_setting_t *s, const char *value, char *err,
                          size_t errlen)
{
    return s_value(s->type, s->min, s->max, s->choices, s->name, s->label, value, err, errlen);
}

/* What `set` may set: the setting must exist and take the value. */
static int s_check_set(const char *name, const char *value, char *err, size_t errlen)
{
    const sl_site_setting_t *s = sl_site_setting_find(name);
    if (!s) {
        size_t used = sl_tf(err, errlen, "没有站点参数 \"%.40s\"；参数有：",
                            "no site setting \"%.40s\"; settings are:", name);
        for (size_t i = 0; i < sl_site_setting_count() && used < errlen; i++)
            used += sl_tf(err + used, errlen - used, " %s(%s)", " %s%.0s", s_settings[i].name,
                          s_settings[i].label);
        return -1;
    }
    return sl_site_setting_check(s, value, err, errlen);
}

static int s_check_arg(const sl_cmd_arg_t *a, const char *value, char *err, size_t errlen)
{
    return s_value(a->type, a->min, a->max, a->choices, a->name, a->label, value, err, errlen);
}

int sl_command_check_args(const sl_command_t *c, const char *json, size_t len,
                          sl_json_writer_t *w, char *err, size_t errlen)
{
    sl_json_obj_t obj = { 0 };
    char why[1200];
    if (json && len && sl_json_parse(json, len, 16, &obj, why, sizeof why)) {
        sl_tf(err, errlen, "命令参数须为 JSON 对象：%s",
              "the command's arguments must be a JSON object: %s", why);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < obj.n && rc == 0; i++) {
        const sl_json_member_t *m = &obj.members[i];
        bool known = false;
        for (size_t k = 0; k < c->nargs; k++)
            known = known || strcmp(c->args[k].name, m->key) == 0;
        if (!known) {
            size_t used = sl_tf(err, errlen, "命令 %s 没有参数 \"%.40s\"；参数有：",
                                "command %s has no argument \"%.40s\"; its arguments are:",
                                c->name, m->key);
            for (size_t k = 0; k < c->nargs && used < errlen; k++)
                used += sl_tf(err + used, errlen - used, " %s(%s)", " %s%.0s", c->args[k].name,
                              c->args[k].label);
            if (!c->nargs && used < errlen)
                sl_tf(err + used, errlen - used, " （无）", " none");
            rc = -1;
        } else if (m->type != SL_JSON_STRING) {
            sl_tf(err, errlen, "参数 %s 须为文本", "argument %s must be text", m->key);
            rc = -1;
        }
    }
    const char *values[SL_COMMAND_MAX_ARGS] = { 0 };
    for (size_t k = 0; k < c->nargs && rc == 0; k++) {
        const sl_cmd_arg_t *a = &c->args[k];
        const sl_json_member_t *m = sl_json_get(&obj, a->name);
        const char *v = m && m->str_len ? m->str : a->def;
        if (!v && a->required) {
            sl_tf(err, errlen, "命令 %s 需要参数 %s", "command %s needs argument %s", c->name,
                  S_ARG(a->label, a->name));
            rc = -1;
        } else if (v) {
            rc = s_check_arg(a, v, err, errlen);
        }
        values[k] = v;
    }
    if (rc == 0 && strcmp(c->name, "set") == 0)
        rc = s_check_set(values[0], values[1], err, errlen);
    for (size_t k = 0; k < c->nargs && rc == 0; k++)
        if (values[k])
            sl_json_add_str(w, c->args[k].name, values[k], strlen(values[k]));
    sl_json_obj_free(&obj);
    return rc;
}

int sl_command_entry_parse(const char *value, size_t len, sl_command_entry_t *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    char why[1200];
    if (sl_json_parse(value, len, 16, &out->obj, why, sizeof why)) {
        sl_tf(err, errlen, "命令条目已损坏：%s", "damaged command entry: %s", why);
        return -1;
    }
    const sl_json_member_t *uid = sl_json_get(&out->obj, "uid");
    const sl_json_member_t *no = sl_json_get(&out->obj, "no");
    const sl_json_member_t *verb = sl_json_get(&out->obj, "verb");
    if (!uid || uid->type != SL_JSON_STRING || uid->str_len != SL_COMMAND_UID_CHARS
        || strspn(uid->str, "0123456789abcdef") != SL_COMMAND_UID_CHARS) {
        sl_tf(err, errlen, "命令条目：uid 须为 %d 个小写十六进制数字",
              "command entry: uid must be %d lowercase hex digits", SL_COMMAND_UID_CHARS);
        return -1;
    }
    memcpy(out->uid, uid->str, SL_COMMAND_UID_CHARS + 1);
    if (!no || no->type != SL_JSON_INT || no->num < 1) {
        sl_tf(err, errlen, "命令条目 %s：no 须为正整数", "command entry %s: no must be a positive integer",
              out->uid);
        return -1;
    }
    out->number = no->num;
    if (!verb || verb->type != SL_JSON_STRING
        || !(out->command = sl_command_find(verb->str))
        || strcmp(out->command->name, verb->str) != 0) {
        sl_tf(err, errlen, "未知的命令 \"%.40s\"（服务器版本更新？）",
              "unknown command \"%.40s\" (a newer server?)",
              verb && verb->type == SL_JSON_STRING ? verb->str : "?");
        return -1;
    }
    const sl_command_t *c = out->command;
    for (size_t k = 0; k < c->nargs; k++) {
        const sl_json_member_t *m = sl_json_get(&out->obj, c->args[k].name);
        if (m && m->type != SL_JSON_STRING) {
            sl_tf(err, errlen, "命令 %s：参数 %s 须为文本", "command %s: argument %s must be text",
                  c->name, c->args[k].name);
            return -1;
        }
        out->values[k] = m ? m->str : c->args[k].def;
        if (!out->values[k] && c->args[k].required) {
            sl_tf(err, errlen, "命令 %s 缺少参数 %s", "command %s lacks argument %s", c->name,
                  c->args[k].name);
            return -1;
        }
        if (out->values[k] && s_check_arg(&c->args[k], out->values[k], err, errlen))
            return -1;
    }
    if (strcmp(c->name, "set") == 0 && s_check_set(out->values[0], out->values[1], err, errlen))
        return -1;
    return 0;
}

void sl_command_entry_free(sl_command_entry_t *e)
{
    sl_json_obj_free(&e->obj);
    memset(e, 0, sizeof *e);
}

/* ---- endpoints ------------------------------------------------------------------------ */

int sl_endpoint_check(const char *endpoint, bool *loopback, char *err, size_t errlen)
{
    if (loopback)
        *loopback = false;
    size_t len = strlen(endpoint);
    const char *shape = SL_D("须为 tcp://主机:端口（例如 tcp://10.20.0.5:7450）",
                             "must look like tcp://HOST:PORT (e.g. tcp://10.20.0.5:7450)");
    if (len > 200 || strncmp(endpoint, "tcp://", 6) != 0) {
        sl_tf(err, errlen, "\"%.60s\" %s", "\"%.60s\" %s", endpoint, shape);
        return -1;
    }
    const char *host = endpoint + 6, *colon = strrchr(host, ':');
    if (!colon || colon == host || !colon[1]) {
        sl_tf(err, errlen, "\"%.60s\" %s", "\"%.60s\" %s", endpoint, shape);
        return -1;
    }
    size_t hlen = (size_t) (colon - host);
    char h[201];
    memcpy(h, host, hlen);
    h[hlen] = 0;
    for (size_t i = 0; i < hlen; i++)
        if ((unsigned char) h[i] <= ' ' || h[i] == '/' || h[i] == 0x7f) {
            sl_tf(err, errlen, "\"%.60s\" 的主机名含有空白或非法字符；%s",
                  "\"%.60s\" has a blank or a forbidden character in its host; %s", endpoint, shape);
            return -1;
        }
    bool bracketed = h[0] == '[' && h[hlen - 1] == ']';
    if ((strchr(h, ':') && !bracketed) || (h[0] == '[' && !bracketed)) {
        sl_tf(err, errlen, "\"%.60s\"：IPv6 地址须写在方括号里：tcp://[2001:db8::5]:7450",
              "\"%.60s\": an IPv6 address goes in brackets: tcp://[2001:db8::5]:7450", endpoint);
        return -1;
    }
    if (strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "[::]") == 0
        || strcmp(h, "[::0]") == 0) {
        sl_tf(err, errlen, "\"%.60s\" 是服务器的监听写法（所有网卡），站点无法连接；请写服务器的实际地址，"
              "例如 tcp://10.20.0.5:7450", "\"%.60s\" is how a server listens on every interface, "
              "not an address a site can connect to; give the server's real address, e.g. "
              "tcp://10.20.0.5:7450", endpoint);
        return -1;
    }
    const char *port = colon + 1;
    bool digits = strspn(port, "0123456789") == strlen(port);
    long p = digits && strlen(port) <= 5 ? strtol(port, NULL, 10) : 0;
    if (!digits || p < 1 || p > 65535) {
        sl_tf(err, errlen, "\"%.60s\" 的端口 \"%.10s\" 须为 1..65535",
              "\"%.60s\": the port \"%.10s\" must be 1..65535", endpoint, port);
        return -1;
    }
    if (loopback)
        *loopback = strncmp(h, "127.", 4) == 0 || strcmp(h, "localhost") == 0
                    || strcmp(h, "[::1]") == 0;
    return 0;
}
