/* server_admin.c: the administrative verbs (server_admin.h), each written
 * once for the ADMIN message and for `shuanglian-server` on the server
 * machine.  Reference data is checked here against the kind table
 * (common/sl_refkinds.c) and against the entries in force: a member's unit
 * must exist, an entry still referred to cannot be deleted, `--site` must
 * name an enrolled site.  Every change is one transaction: a refused
 * import leaves the server log as it was.
 *
 * Must never: prepare SQL (the stores own their tables), or act on an
 * argument it has not checked. */
#include "server_admin.h"
#include "report.h"
#include "audit_log.h"
#include "command_store.h"
#include "sl_commands.h"
#include "sl_csv.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_refkinds.h"
#include "sl_text.h"
#include <czmq.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A REPLY must fit in one frame: cells stop here (the sentence says so). */
#define REPLY_CELL_BUDGET (SL_MAX_FRAME_BYTES - 1024 * 1024)
#define CSV_ROW_BYTES 65536

/* ---- the reply ------------------------------------------------------------ */

/* The reply's sentence, in both languages (common/sl_lang.h): the server
 * writes dual text, which the administrator's tool shows in its reader's
 * language (server_admin_run sets the thread's language). */
static void s_say(server_admin_reply_t *r, const char *zh, const char *en, ...)
    __attribute__((format(printf, 2, 4), format(printf, 3, 4)));
static void s_say(server_admin_reply_t *r, const char *zh, const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtf(r->text, sizeof r->text, zh, en, ap);
    va_end(ap);
}

static void s_refuse(server_admin_reply_t *r, int code, const char *field, const char *zh,
                     const char *en, ...) __attribute__((format(printf, 4, 6), format(printf, 5, 6)));
static void s_refuse(server_admin_reply_t *r, int code, const char *field, const char *zh,
                     const char *en, ...)
{
    va_list ap;
    va_start(ap, en);
    sl_vtf(r->text, sizeof r->text, zh, en, ap);
    va_end(ap);
    r->code = code;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
}

/* Two names of one thing (a Chinese label and a wire name) as a dual piece,
 * each side of a sentence showing its own; the buffer lives as long as the
 * statement. */
#define S_PAIR(zh, en) s_pair(zh, en, (char[300]) { 0 }, 300)
static const char *s_pair(const char *zh, const char *en, char *buf, size_t cap)
{
    sl_dpair(buf, cap, zh, en);
    return buf;
}

/* Adds one row of r->columns cells (copied).  0, 1 when the reply is full
 * (the row is not added), -1 without memory. */
static int s_row(server_admin_reply_t *r, const char *const *cells)
{
    size_t bytes = 0;
    for (uint32_t c = 0; c < r->columns; c++)
        bytes += strlen(cells[c]) + 5;
    if (r->ncells + r->columns > SL_MAX_CELLS || r->bytes + bytes > REPLY_CELL_BUDGET)
        return 1;
    if (r->ncells + r->columns > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        while (cap < r->ncells + r->columns)
            cap *= 2;
        char **grown = realloc(r->cells, cap * sizeof *grown);
        if (!grown)
            return -1;
        r->cells = grown;
        r->cap = cap;
    }
    for (uint32_t c = 0; c < r->columns; c++) {
        /* A cell the protocol would refuse (over SL_MAX_TEXT_BYTES, or not
         * text: a damaged row, a text cut inside a character) is cut
         * before it, with "…": the reply must decode at the other end. */
        size_t len = strlen(cells[c]), ok = sl_utf8_valid_prefix(cells[c], len, SL_MAX_TEXT_BYTES);
        if (ok < len)
            ok = sl_utf8_valid_prefix(cells[c], ok, SL_MAX_TEXT_BYTES - 3);
        char *copy = malloc(ok + 4);
        if (!copy)
            return -1;
        memcpy(copy, cells[c], ok);
        strcpy(copy + ok, ok < len ? "…" : "");
        r->cells[r->ncells++] = copy;
    }
    r->bytes += bytes;
    return 0;
}

static int s_table(server_admin_reply_t *r, uint32_t columns, const char *const *heads)
{
    r->columns = columns;
    return s_row(r, heads);
}

/* s_row for a list: counts the rows added, notes a full reply. */
static int s_row_counted(server_admin_reply_t *r, const char *const *cells, size_t *rows,
                         bool *full)
{
    int rc = s_row(r, cells);
    if (rc > 0)
        *full = true;
    else if (rc == 0)
        (*rows)++;
    return rc;
}

void server_admin_reply_free(server_admin_reply_t *reply)
{
    for (size_t i = 0; i < reply->ncells; i++)
        free(reply->cells[i]);
    free(reply->cells);
    memset(reply, 0, sizeof *reply);
}

int server_admin_print(const server_admin_reply_t *reply, const char *command, FILE *out,
                       FILE *err)
{
    if (reply->code) {
        sl_lang_fprintf(err, "%s: %s\n", command, reply->text);
        return reply->code == SL_E_INTERNAL ? 1 : 3;
    }
    if (reply->text[0])
        sl_lang_fprintf(out, "%s\n", reply->text);
    if (reply->columns)
        sl_table_print_cells(reply->columns, (const char *const *) reply->cells, reply->ncells,
                             out);
    return 0;
}

/* ---- arguments -------------------------------------------------------------- */

static const sl_arg_t *s_arg(const sl_arg_t *args, size_t nargs, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < nargs; i++)
        if (args[i].key_len == len && memcmp(args[i].key, name, len) == 0)
            return &args[i];
    return NULL;
}

/* Copies text argument `name` of at most max bytes into buf[max + 1].
 * 1 given, 0 absent or empty, -1 refused (too long: the reply says so). */
static int s_text(const sl_arg_t *args, size_t nargs, const char *name, size_t max, char *buf,
                  server_admin_reply_t *r)
{
    const sl_arg_t *a = s_arg(args, nargs, name);
    buf[0] = 0;
    if (!a || a->value_len == 0)
        return 0;
    if (a->value_len > max || !sl_utf8_valid(a->value, a->value_len)) {
        s_refuse(r, SL_E_BAD_FIELD, name, "参数 %s 须为不超过 %zu 字节的文本",
                 "argument %s must be text of at most %zu bytes", name, max);
        return -1;
    }
    memcpy(buf, a->value, a->value_len);
    buf[a->value_len] = 0;
    return 1;
}

/* ---- formatting for people ------------------------------------------------------- */

/* True when the request asks for machine-readable cells (format=raw):
 * English headings, numbers as numbers, times in ms. */
static bool s_raw(const sl_arg_t *args, size_t nargs)
{
    const sl_arg_t *a = s_arg(args, nargs, "format");
    return a && a->value_len == 3 && memcmp(a->value, "raw", 3) == 0;
}

static const char *s_when(int64_t ms, char *buf, size_t cap)
{
    if (ms <= 0) {
        snprintf(buf, cap, "-");
        return buf;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M", &tm))
        snprintf(buf, cap, "?");
    return buf;
}

/* A duration for people, with words around it: "3 天 3d", "5 小时前 5h ago"
 * (zh_after and en_after follow each part: "前", " ago"). */
static const char *s_span_words(int64_t ms, const char *zh_after, const char *en_after,
                                char *buf, size_t cap)
{
    int64_t s = (ms < 0 ? -ms : ms) / 1000, n = s;
    const char *zh = "秒", *en = " s";
    if (s >= 2 * 86400)
        n = s / 86400, zh = "天", en = "d";
    else if (s >= 2 * 3600)
        n = s / 3600, zh = "小时", en = "h";
    else if (s >= 120)
        n = s / 60, zh = "分钟", en = " min";
    snprintf(buf, cap, "%lld %s%s %lld%s%s", (long long) n, zh, zh_after, (long long) n, en,
             en_after);
    return buf;
}

static const char *s_span(int64_t ms, char *buf, size_t cap)
{
    return s_span_words(ms, "", "", buf, cap);
}

static const char *s_bytes(uint64_t b, char *buf, size_t cap)
{
    if (b >= 10ULL << 30)
        snprintf(buf, cap, "%llu GB", (unsigned long long) (b >> 30));
    else if (b >= 1ULL << 30)
        snprintf(buf, cap, "%.1f GB", (double) b / (1 << 30));
    else
        snprintf(buf, cap, "%llu MB", (unsigned long long) (b >> 20));
    return buf;
}

static const char *s_num(int64_t v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%lld", (long long) v);
    return buf;
}

/* The site_silent_hours setting in force (RECORDS.md), or its default. */
static int64_t s_silent_hours(const server_admin_env_t *env)
{
    char value[SL_MAX_TEXT_BYTES + 1], field[32];
    int64_t hours = sl_setting_default("site_silent_hours");
    if (central_store_ref_get(env->store, "setting", "site_silent_hours", NULL, value,
                              sizeof value) == 1
        && sl_refvalue_field(value, strlen(value), "value", field, sizeof field) == 1) {
        char *end;
        long long v = strtoll(field, &end, 10);
        if (!*end && v > 0)
            hours = v;
    }
    return hours;
}

/* ---- site verbs ------------------------------------------------------------ */

/* Enrolling a site id that is in use (an active key, or a bundle not yet
 * used) is most often a typo for another site: refused, unless `again` is
 * "yes" (a lost machine, a fork: the new bundle's key replaces the old
 * one when it is used).  Then the community must stay the site's own.
 * 1 after refusing, else 0. */
static int s_site_in_use(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                         const char *site, const char *community, server_admin_reply_t *r)
{
    server_site_standing_t st;
    char again[8];
    if (server_auth_site_standing(env->auth, site, &st)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取密钥表", "cannot read the keys table");
        return 1;
    }
    bool redo = s_text(args, nargs, "again", 3, again, r) > 0 && strcmp(again, "yes") == 0;
    if (r->code)
        return 1;
    if ((st.active || st.pending) && !redo) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "站点编号 %s 已在使用（社区 %s，%s）。如果是另一个社区，请换一个编号；"
                 "如果确要为这个站点重新生成注册包（电脑丢失、历史分叉），加 --again", "site id %s is in use "
                 "(community %s, %s). For another community choose another id; to issue a new "
                 "bundle for this very site (a lost machine, a fork) add --again", site,
                 st.community, st.active ? SL_D("已注册", "enrolled")
                 : SL_D("注册包未使用", "a bundle not yet used"));
        return 1;
    }
    if (st.keys && st.community[0] && strcmp(st.community, community) != 0) {
        s_refuse(r, SL_E_BAD_FIELD, "community", "站点 %s 属于社区 %s，不是 %s；一个站点只属于一个社区",
                 "site %s belongs to community %s, not %s: a site belongs to one community",
                 site, st.community, community);
        return 1;
    }
    return 0;
}

static void s_site_enroll(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                          server_admin_reply_t *r)
{
    char site[SL_MAX_NAME_BYTES + 1], community[201], key[SL_MAX_NAME_BYTES + 1], expires[32];
    char value[SL_MAX_TEXT_BYTES + 1];
    int known;
    int has_site = s_text(args, nargs, "site", SL_MAX_NAME_BYTES, site, r);
    int has_comm = has_site < 0 ? -1 : s_text(args, nargs, "community", 200, community, r);
    int has_key = has_comm < 0 ? -1 : s_text(args, nargs, "enroll_key", SL_MAX_NAME_BYTES, key, r);
    int has_exp = has_key < 0 ? -1 : s_text(args, nargs, "expires_ms", 30, expires, r);
    if (has_exp < 0)
        return;
    char *end = NULL;
    long long exp = has_exp ? strtoll(expires, &end, 10) : 0;
    if (!has_site || !has_comm || !has_key || !has_exp) {
        s_refuse(r, SL_E_BAD_FIELD, NULL, "site.enroll 需要 site、community、enroll_key 和 expires_ms",
                 "site.enroll needs site, community, enroll_key and expires_ms");
    } else if (!sl_key_valid(key)) {
        s_refuse(r, SL_E_BAD_FIELD, "enroll_key", "enroll_key 不是 Z85 密钥", "enroll_key is not a Z85 key");
    } else if (!end || *end || exp <= sl_now_ms() || exp > sl_now_ms() + 366LL * 86400000) {
        s_refuse(r, SL_E_BAD_FIELD, "expires_ms", "expires_ms 须在今后一年之内",
                 "expires_ms must be within the next year");
    } else if (server_auth_lookup(env->auth, key)) {
        s_refuse(r, SL_E_BAD_FIELD, "enroll_key", "这个密钥已经登记过", "this key is already known");
    } else if (s_site_in_use(env, args, nargs, site, community, r)) {
        return;
    } else if ((known = central_store_ref_get(env->store, "community", community, NULL, value,
                                              sizeof value)) != 1) {
        /* A site belongs to one community (RECORDS.md): its code, as the
         * reference data has it, so that every record is counted there. */
        if (known < 0)
            s_refuse(r, SL_E_INTERNAL, NULL, "无法读取参考数据", "cannot read the reference data");
        else
            s_refuse(r, SL_E_BAD_FIELD, "community", "社区代码 \"%1$s\" 不在参考数据中；请先发布："
                     "ref put community %1$s name=社区名称", "community \"%1$s\" is not the code of a "
                     "community in the reference data; publish it first: ref put community %1$s "
                     "name=NAME", community);
    } else if (server_auth_add(env->auth, SL_ROLE_ENROLL, key, site, community, "pending", exp)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法保存密钥", "cannot store the key");
    } else {
        s_say(r, "站点 %s（%s）已注册；注册包只能用一次", "site %s (%s) registered; its bundle is valid once",
              site, community);
    }
}

static void s_site_revoke(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                          server_admin_reply_t *r)
{
    char site[SL_MAX_NAME_BYTES + 1];
    int has = s_text(args, nargs, "site", SL_MAX_NAME_BYTES, site, r);
    if (has < 0)
        return;
    if (!has) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "site.revoke 需要站点编号", "site.revoke needs site");
        return;
    }
    server_site_standing_t st;
    if (server_auth_site_standing(env->auth, site, &st)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取密钥表", "cannot read the keys table");
        return;
    }
    if (!st.keys) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "没有登记过站点 \"%s\"，没有吊销任何密钥；请检查拼写（shuanglian-admin sites）",
                 "no site \"%s\" is enrolled: nothing was revoked; check the spelling (shuanglian-admin "
                 "sites)", site);
        return;
    }
    int n = server_auth_revoke_site(env->auth, site);
    if (n < 0) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法吊销", "cannot revoke");
        return;
    }
    if (n == 0) {
        char when[32];
        s_refuse(r, SL_E_BAD_FIELD, "site", "站点 %s 没有可吊销的密钥：已于 %s 吊销或更换",
                 "site %s has no key left to revoke: its keys were revoked or replaced (last change %s)",
                 site, s_when(st.last_change_ms, when, sizeof when));
        return;
    }
    if (env->site_revoked)
        env->site_revoked(env->ctx, site);
    s_say(r, "站点 %s：%d 个密钥已吊销，立即生效", "site %s: %d key(s) revoked, effective now", site, n);
    sl_twarn("%s（管理员 %s）", "%s (by admin %s)", r->text, env->admin);
}

static int s_site_row(void *ctx, const char *const *cells)
{
    return s_row(ctx, cells) < 0 ? -1 : 0;
}

static void s_site_list(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                        server_admin_reply_t *r)
{
    (void) args;
    (void) nargs;
    static const char *const heads[SERVER_AUTH_SITE_COLUMNS] = {
        SL_D("站点", "site"), SL_D("社区", "community"), SL_D("密钥", "key role"), SL_D("状态", "status"), SL_D("公钥", "key"),
        SL_D("记录", "records"), SL_D("最近连接", "last seen") };
    if (s_table(r, SERVER_AUTH_SITE_COLUMNS, heads)
        || server_auth_site_list(env->auth, s_site_row, r))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取站点", "cannot read the sites");
}

/* ---- reference data ----------------------------------------------------------- */

typedef struct {
    central_store_t *store;
    const char *site;
} refctx_t;

static int s_ref_get(void *ctx, const char *kind, const char *key, char *value, size_t cap)
{
    const refctx_t *c = ctx;
    return central_store_ref_get(c->store, kind, key, c->site, value, cap);
}

static const char *s_for(const char *site, char *buf, size_t cap)
{
    if (site)
        sl_df(buf, cap, "站点 %s", "site %s", site);
    else
        snprintf(buf, cap, "%s", SL_D("所有站点", "all sites"));
    return buf;
}

/* The `kind` argument (wire name or Chinese label).  NULL after refusing. */
static const sl_refkind_t *s_kind(const sl_arg_t *args, size_t nargs, bool required,
                                  const char *verb, server_admin_reply_t *r)
{
    char kind[SL_MAX_NAME_BYTES + 1];
    int has = s_text(args, nargs, "kind", SL_MAX_NAME_BYTES, kind, r);
    if (has < 0)
        return NULL;
    if (!has) {
        if (required)
            s_refuse(r, SL_E_BAD_FIELD, "kind", "%s 需要参数 kind", "%s needs kind", verb);
        return NULL;
    }
    const sl_refkind_t *k = sl_refkind_find(kind);
    if (!k) {
        char err[SL_MAX_TEXT_BYTES];
        sl_refkind_unknown(kind, err, sizeof err);
        s_refuse(r, SL_E_BAD_FIELD, "kind", "%s", "%s", err);
    }
    return k;
}

/* The optional `site` of a change: it must be enrolled (a misspelt site
 * would wait for a site that never comes).  0, or -1 after refusing. */
static int s_target_site(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                         char *site, const char **out, server_admin_reply_t *r)
{
    int has = s_text(args, nargs, "site", SL_MAX_NAME_BYTES, site, r);
    *out = has > 0 ? site : NULL;
    if (has <= 0)
        return has;
    int enrolled = server_auth_site_enrolled(env->auth, site);
    if (enrolled < 0) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取密钥表", "cannot read the keys table");
        return -1;
    }
    if (!enrolled) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "没有登记过站点 \"%s\"，请检查拼写（shuanglian-admin site list）",
                 "no site \"%s\" is enrolled; check the spelling (shuanglian-admin site list)", site);
        return -1;
    }
    return 0;
}

/* kind, key (canonical) and site of ref.put and ref.del.  0 or -1. */
static int s_entry_args(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                        const char *verb, const sl_refkind_t **k, char *key, char *site,
                        const char **site_out, server_admin_reply_t *r)
{
    char raw[SL_MAX_NAME_BYTES + 1], err[SL_MAX_TEXT_BYTES];
    *k = s_kind(args, nargs, true, verb, r);
    if (!*k)
        return -1;
    int has = s_text(args, nargs, "key", SL_MAX_NAME_BYTES, raw, r);
    if (has < 0)
        return -1;
    if (!has) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "%s 需要参数 key（%s的%s）", "%s needs key (the %s's %s)",
                 verb, S_PAIR((*k)->label, (*k)->name), S_PAIR((*k)->key_label, (*k)->key_name));
        return -1;
    }
    if (sl_refkind_check_key(*k, raw, key, SL_MAX_NAME_BYTES + 1, err, sizeof err)) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "%s", "%s", err);
        return -1;
    }
    return s_target_site(env, args, nargs, site, site_out, r);
}

/* Builds and appends one entry inside the caller's transaction.  0
 * appended (*lseq), 1 unchanged (nothing appended), or SL_REF_REFUSED /
 * SL_REF_FAILED with a sentence in err and *bad the pair at fault. */
static int s_put_entry(const server_admin_env_t *env, const sl_refkind_t *k, const char *key,
                       const char *site, size_t n, const char *const *names,
                       const char *const *values, uint64_t *lseq, size_t *bad, char *err,
                       size_t errlen)
{
    refctx_t ctx = { env->store, site };
    char *json = NULL;
    int rc = sl_refkind_build(k, key, n, names, values, s_ref_get, &ctx, &json, bad, err, errlen);
    if (rc)
        return rc;
    int same = central_store_ref_unchanged(env->store, site, k->name, key, json);
    if (same < 0) {
        snprintf(err, errlen, "cannot read the server log");
        rc = SL_REF_FAILED;
    } else if (same) {
        rc = 1;
    } else if (central_store_log_append(env->store, site, k->name, key, json, lseq, err,
                                        errlen)) {
        rc = SL_REF_FAILED;
    }
    free(json);
    return rc;
}

static void s_ref_put(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                      server_admin_reply_t *r)
{
    const sl_refkind_t *k;
    char key[SL_MAX_NAME_BYTES + 1], site_buf[SL_MAX_NAME_BYTES + 1], err[SL_MAX_TEXT_BYTES],
         who[100];
    const char *site;
    if (s_entry_args(env, args, nargs, "ref.put", &k, key, site_buf, &site, r))
        return;
    const sl_arg_t *fa = s_arg(args, nargs, "fields");
    sl_json_obj_t obj;
    if (!fa) {
        sl_refkind_fields_text(k, err, sizeof err);
        s_refuse(r, SL_E_BAD_FIELD, "fields", "ref.put 需要参数 fields（字段=值）；%s的字段有：%s",
                 "ref.put needs fields (FIELD=VALUE); the fields of %s are: %s", k->name, err);
        return;
    }
    if (sl_json_parse(fa->value, fa->value_len, SL_MAX_FIELDS, &obj, err, sizeof err)) {
        s_refuse(r, SL_E_BAD_FIELD, "fields", "参数 fields 须为 JSON 对象：%s",
                 "argument fields must be a JSON object: %s", err);
        return;
    }
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS];
    for (size_t i = 0; i < obj.n; i++) {
        names[i] = obj.members[i].key;
        values[i] = obj.members[i].str;
        if (obj.members[i].type != SL_JSON_STRING) {
            s_refuse(r, SL_E_BAD_FIELD, "fields", "参数 fields 中 \"%s\" 的值须为字符串",
                     "argument fields: the value of \"%s\" must be a string", names[i]);
            sl_json_obj_free(&obj);
            return;
        }
    }
    uint64_t lseq = 0;
    int rc = central_store_begin(env->store) ? SL_REF_FAILED : 0;
    if (rc)
        snprintf(err, sizeof err, "cannot start a transaction");
    else
        rc = s_put_entry(env, k, key, site, obj.n, names, values, &lseq, NULL, err, sizeof err);
    sl_json_obj_free(&obj);
    if (rc >= 0 && central_store_commit(env->store)) {
        snprintf(err, sizeof err, "cannot commit");
        rc = SL_REF_FAILED;
    }
    if (rc < 0) {
        central_store_rollback(env->store);
        s_refuse(r, rc == SL_REF_REFUSED ? SL_E_BAD_FIELD : SL_E_INTERNAL,
                 rc == SL_REF_REFUSED ? "fields" : NULL, "%s", "%s", err);
    } else if (rc == 1) {
        s_say(r, "未变：%3$s的 %1$s %2$s 已经是这个值", "unchanged: %s %s for %s already holds this value",
              k->name, key, s_for(site, who, sizeof who));
    } else {
        s_say(r, "服务器日志 #%llu：发布 %s/%s，给%s", "server log #%llu: put %s/%s for %s",
              (unsigned long long) lseq, k->name, key, s_for(site, who, sizeof who));
    }
}

/* Entries in force that refer to the entry being deleted. */
typedef struct {
    const sl_refkind_t *kind;       /* the referring kind */
    const sl_reffield_t *field;     /* its field that refers */
    const char *key, *site;         /* the entry being deleted, and for whom */
    size_t count;
    char list[600];
    size_t used;
} referrers_t;

static int s_referrer(void *ctx, const char *target, const char *kind, const char *key,
                      const char *value, size_t value_len, uint64_t lseq)
{
    (void) kind;
    (void) lseq;
    referrers_t *x = ctx;
    if (x->site && target && strcmp(target, x->site) != 0)
        return 0;               /* another site's entry: it keeps what it has */
    char refs[SL_MAX_TEXT_BYTES + 1], name[SL_MAX_TEXT_BYTES + 1];
    if (sl_refvalue_field(value, value_len, x->field->name, refs, sizeof refs) <= 0)
        return 0;
    bool match = false;
    for (char *save = NULL, *p = strtok_r(refs, "|", &save); p && !match;
         p = strtok_r(NULL, "|", &save))
        match = strcmp(p, x->key) == 0;
    if (!match)
        return 0;
    if (++x->count <= 5) {
        char item[SL_MAX_TEXT_BYTES + 200];
        if (sl_refvalue_field(value, value_len, "name", name, sizeof name) <= 0)
            name[0] = 0;
        snprintf(item, sizeof item, "%s %s%s%s (%s)%s%s", x->kind->name, key, name[0] ? " " : "",
                 name, x->field->name, target ? " @" : "", target ? target : "");
        size_t room = sizeof x->list - x->used;
        int n = snprintf(x->list + x->used, room, "%s%s", x->count > 1 ? ", " : "", item);
        if (n > 0)
            x->used += (size_t) n < room ? (size_t) n : room - 1;
    }
    return 0;
}

/* Counts the entries in force that refer to k/key (for `site`, or for any
 * site when NULL), listing the first five in list.  -1 on a read error. */
static long s_referrers(const server_admin_env_t *env, const sl_refkind_t *k, const char *key,
                        const char *site, char *list, size_t cap)
{
    long total = 0;
    list[0] = 0;
    for (size_t i = 0; i < sl_refkind_count(); i++) {
        const sl_refkind_t *other = sl_refkind_at(i);
        for (size_t f = 0; f < other->nfields; f++) {
            const sl_reffield_t *field = &other->fields[f];
            if ((field->type != SL_RF_REF && field->type != SL_RF_REFS)
                || strcmp(field->ref, k->name) != 0)
                continue;
            referrers_t x = { .kind = other, .field = field, .key = key, .site = site };
            if (central_store_ref_each_target(env->store, other->name, s_referrer, &x))
                return -1;
            if (x.count && total < 5)
                snprintf(list + strlen(list), cap - strlen(list), "%s%s", total ? ", " : "",
                         x.list);
            total += (long) x.count;
        }
    }
    return total;
}

static void s_ref_del(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                      server_admin_reply_t *r)
{
    const sl_refkind_t *k;
    char key[SL_MAX_NAME_BYTES + 1], site_buf[SL_MAX_NAME_BYTES + 1], who[100];
    char value[SL_MAX_TEXT_BYTES + 1], list[1200], err[SL_MAX_TEXT_BYTES];
    const char *site;
    if (s_entry_args(env, args, nargs, "ref.del", &k, key, site_buf, &site, r))
        return;
    if (central_store_begin(env->store)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法开始事务", "cannot start a transaction");
        return;
    }
    uint64_t lseq = 0;
    int found = central_store_ref_get(env->store, k->name, key, site, value, sizeof value);
    long refs = found > 0 ? s_referrers(env, k, key, site, list, sizeof list) : 0;
    s_for(site, who, sizeof who);
    if (found < 0 || refs < 0) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取服务器日志", "cannot read the server log");
    } else if (found == 0) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "没有可删除的%1$s %2$s（%3$s；见 ref list %4$s）",
                 "there is no %1$s %2$s for %3$s to delete (see ref list %4$s)",
                 S_PAIR(k->label, k->name), key, who, k->name);
    } else if (refs > 0) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "不能删除%s %s：仍有 %ld 个条目引用它，请先修改或删除它们：%s%s",
                 "cannot delete %s %s: %ld entries still refer to it, change or delete them "
                 "first: %s%s", S_PAIR(k->label, k->name), key, refs, list,
                 refs > 5 ? " …" : "");
    } else if (central_store_log_append(env->store, site, k->name, key, NULL, &lseq, err,
                                        sizeof err) || central_store_commit(env->store)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法写入服务器日志", "cannot append to the server log");
    } else {
        s_say(r, "服务器日志 #%llu：删除 %s/%s，给%s", "server log #%llu: del %s/%s for %s",
              (unsigned long long) lseq, k->name, key, who);
        return;
    }
    central_store_rollback(env->store);
}

typedef struct {
    server_admin_reply_t *r;
    const sl_refkind_t *k;      /* NULL: every kind, one content column */
    char *texts;                /* k: one cell per field, SL_MAX_TEXT_BYTES each */
    size_t rows;
    bool full;
} lister_t;

static int s_list_row(void *ctx, const char *target, const char *kind, const char *key,
                      const char *value, size_t value_len, uint64_t lseq)
{
    lister_t *l = ctx;
    char seq[24];
    const char *cells[2 + SL_MAX_FIELDS + 1];
    size_t n = 0;
    snprintf(seq, sizeof seq, "%llu", (unsigned long long) lseq);
    if (l->k) {
        cells[n++] = target ? target : "*";
        cells[n++] = key;
        sl_refvalue_cells(l->k, value, value_len, l->texts, SL_MAX_TEXT_BYTES, cells + n);
        n += l->k->nfields;
    } else {
        sl_refvalue_render(sl_refkind_find(kind), value, value_len, l->texts, SL_MAX_TEXT_BYTES);
        cells[n++] = kind;
        cells[n++] = key;
        cells[n++] = target ? target : "*";
        cells[n++] = l->texts;
    }
    cells[n++] = seq;
    return s_row_counted(l->r, cells, &l->rows, &l->full);
}

static void s_ref_list(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                       server_admin_reply_t *r)
{
    const sl_refkind_t *k = s_kind(args, nargs, false, "ref.list", r);
    if (r->code)
        return;
    lister_t l = { .r = r, .k = k };
    const char *heads[2 + SL_MAX_FIELDS + 1];
    char texts[SL_MAX_FIELDS + 1][SL_MAX_NAME_BYTES * 3];
    uint32_t n = 0;
    if (k) {
        heads[n++] = "站点 site";
        n += (uint32_t) sl_refkind_headings(k, texts[0], sizeof texts[0], heads + n);
    } else {
        heads[n++] = "类别 kind";
        heads[n++] = "键 key";
        heads[n++] = "站点 site";
        heads[n++] = "内容 content";
    }
    heads[n++] = "序号 lseq";
    l.texts = malloc((k ? k->nfields : 1) * SL_MAX_TEXT_BYTES);
    int rc = l.texts ? s_table(r, n, heads) : -1;
    if (rc == 0)
        rc = central_store_ref_each_target(env->store, k ? k->name : NULL, s_list_row, &l);
    free(l.texts);
    if (rc < 0 || (rc > 0 && !l.full)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取服务器日志", "cannot read the server log");
        return;
    }
    s_say(r, "%s%s%zu 条参考数据%s", "%s%s%zu reference entries%s", k ? S_PAIR(k->label, k->name) : "",
          k ? " " : "", l.rows, l.full ? SL_D("；回复已满，只列出这些，请按类别列出",
          "; the reply is full: these are the first ones; list one kind at a time") : "");
}

/* The key columns of an import: "code" (or the kind's key label), "name"
 * for settings, "year" and "task" for targets.  How many, or 0 when the
 * headings do not start with them. */
static int s_key_columns(const sl_refkind_t *k, char **heads, int nh)
{
    static const char *const names[2][2] = { { "year", "年度" }, { "task", "任务" } };
    int need = k->key == SL_RK_YEAR_TASK ? 2 : 1;
    for (int c = 0; c < need; c++) {
        const char *s = c < nh ? heads[c] : "";
        bool ok = need == 2 ? strcmp(s, names[c][0]) == 0 || strcmp(s, names[c][1]) == 0
                            : strcmp(s, k->key_name) == 0 || strcmp(s, k->key_label) == 0;
        if (!ok)
            return 0;
    }
    return need;
}

/* Trims the ASCII white space around a heading or cell, in place. */
static char *s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

typedef struct {
    const server_admin_env_t *env;
    const sl_refkind_t *k;
    const char *site;
    server_admin_reply_t *r;
    char *heads[SL_MAX_FIELDS + 2], *cells[SL_MAX_FIELDS + 2];
    int nh, nkey;
    size_t added, unchanged;
    uint64_t first, last;
    zhashx_t *seen;             /* key -> line of its row */
} import_t;

/* Checks the heading row.  0, or -1 after refusing. */
static int s_import_heads(import_t *im)
{
    const sl_refkind_t *k = im->k;
    for (int c = 0; c < im->nh; c++)
        im->heads[c] = s_trim(im->heads[c]);
    im->nkey = s_key_columns(k, im->heads, im->nh);
    if (!im->nkey) {
        if (k->key == SL_RK_YEAR_TASK)
            s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行：前两列须为键 year（年度）和 task（任务）",
                     "row 1: the first two columns must be the key, headed year and task");
        else
            s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行第 1 列（%.64s）：第一列须为键 %s",
                     "row 1, column 1 (%.64s): the first column must be the key, headed %s",
                     im->heads[0], S_PAIR(k->key_label, k->key_name));
        return -1;
    }
    for (int c = im->nkey; c < im->nh; c++) {
        const sl_reffield_t *f = sl_refkind_field(k, im->heads[c]);
        char list[600];
        sl_refkind_fields_text(k, list, sizeof list);
        if (!f) {
            s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行第 %d 列（%.64s）：未知字段，%s的字段有 %s",
                     "row 1, column %d (%.64s): unknown field; the fields of %s are: %s", c + 1,
                     im->heads[c], S_PAIR(k->label, k->name), list);
            return -1;
        }
        for (int d = im->nkey; d < c; d++) {
            if (sl_refkind_field(k, im->heads[d]) == f) {
                s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行第 %d 列（%.64s）：与第 %d 列是同一个字段",
                         "row 1, column %d (%.64s): the same field as column %d", c + 1,
                         im->heads[c], d + 1);
                return -1;
            }
        }
    }
    return 0;
}

/* One data row.  0, or -1 after refusing. */
static int s_import_row(import_t *im, int nc, long line)
{
    server_admin_reply_t *r = im->r;
    char raw[2 * SL_MAX_NAME_BYTES + 2], key[SL_MAX_NAME_BYTES + 1], err[SL_MAX_TEXT_BYTES];
    if (nc != im->nh) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行有 %d 列，表头有 %d 列",
                 "row %ld has %d cells, the heading row has %d", line, nc, im->nh);
        return -1;
    }
    const char *raw_key = im->cells[0];
    if (im->nkey == 2) {
        /* A longer year or task is invalid anyway: cutting it cannot make it valid. */
        snprintf(raw, sizeof raw, "%.64s:%.64s", s_trim(im->cells[0]), s_trim(im->cells[1]));
        raw_key = raw;
    }
    if (sl_refkind_check_key(im->k, raw_key, key, sizeof key, err, sizeof err)) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行第 1 列（%s）：%s", "row %ld, column 1 (%s): %s", line,
                 im->heads[0], err);
        return -1;
    }
    void *before = zhashx_lookup(im->seen, key);
    if (before) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行：键 \"%s\" 在第 %ld 行已经出现",
                 "row %ld: key \"%s\" already appears in row %ld", line, key, (long) (intptr_t) before);
        return -1;
    }
    zhashx_insert(im->seen, key, (void *) (intptr_t) line);
    uint64_t lseq = 0;
    size_t bad = (size_t) -1;
    int rc = s_put_entry(im->env, im->k, key, im->site, (size_t) (im->nh - im->nkey),
                         (const char *const *) im->heads + im->nkey,
                         (const char *const *) im->cells + im->nkey, &lseq, &bad, err,
                         sizeof err);
    if (rc == SL_REF_REFUSED && bad != (size_t) -1) {
        int col = im->nkey + (int) bad + 1;
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行第 %d 列（%s）：%s", "row %ld, column %d (%s): %s",
                 line, col, im->heads[col - 1], err);
    } else if (rc == SL_REF_REFUSED) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行：%s", "row %ld: %s", line, err);
    } else if (rc == SL_REF_FAILED) {
        s_refuse(r, SL_E_INTERNAL, NULL, "第 %ld 行：%s", "row %ld: %s", line, err);
    } else if (rc == 1) {
        im->unchanged++;
    } else {
        im->added++;
        if (!im->first)
            im->first = lseq;
        im->last = lseq;
    }
    return rc < 0 ? -1 : 0;
}

static void s_ref_import(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                         server_admin_reply_t *r)
{
    char site_buf[SL_MAX_NAME_BYTES + 1], err[600], who[100];
    import_t im = { .env = env, .r = r };
    im.k = s_kind(args, nargs, true, "ref.import", r);
    const sl_arg_t *csv_arg = s_arg(args, nargs, "csv");
    if (!im.k || s_target_site(env, args, nargs, site_buf, &im.site, r))
        return;
    if (!csv_arg) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "ref.import 需要参数 csv（文件内容）",
                 "ref.import needs csv (the file's content)");
        return;
    }
    sl_csv_t *csv = sl_csv_from_buffer(csv_arg->value, csv_arg->value_len);
    char *head_buf = malloc(CSV_ROW_BYTES), *row_buf = malloc(CSV_ROW_BYTES);
    im.seen = zhashx_new();
    long line = 0;
    int nc = -1;
    if (!csv || !head_buf || !row_buf || !im.seen) {
        s_refuse(r, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        goto done;
    }
    im.nh = sl_csv_row(csv, im.heads, SL_MAX_FIELDS + 2, head_buf, CSV_ROW_BYTES, err,
                       sizeof err);
    if (im.nh <= 0) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "%s", "%s", im.nh == 0 ? SL_D("文件是空的，第一行须为表头",
                 "the file is empty: its first row must be the headings") : err);
        goto done;
    }
    if (s_import_heads(&im))
        goto done;
    if (central_store_begin(env->store)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法开始事务", "cannot start a transaction");
        goto done;
    }
    while ((nc = sl_csv_row(csv, im.cells, SL_MAX_FIELDS + 2, row_buf, CSV_ROW_BYTES, err,
                            sizeof err)) > 0) {
        line = sl_csv_line(csv);
        if (nc == 1 && im.cells[0][0] == 0)
            continue;           /* a blank line */
        if (s_import_row(&im, nc, line))
            break;
    }
    if (nc < 0)
        s_refuse(r, SL_E_BAD_FIELD, "csv", "%s", "%s", err);
    if (!r->code && central_store_commit(env->store))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法提交", "cannot commit");
    if (r->code) {
        central_store_rollback(env->store);
        size_t len = strlen(r->text);
        sl_tf(r->text + len, sizeof r->text - len, "；没有导入任何条目", "; nothing was imported");
        goto done;
    }
    s_say(r, "已导入%s（%s）：%zu 条新增或更改，%zu 条未变", "imported %s for %s: %zu new or "
          "changed, %zu unchanged", S_PAIR(im.k->label, im.k->name), s_for(im.site, who, sizeof who),
          im.added, im.unchanged);
    if (im.added) {
        size_t len = strlen(r->text);
        sl_tf(r->text + len, sizeof r->text - len, "（服务器日志 #%llu..#%llu）",
              " (server log #%llu..#%llu)", (unsigned long long) im.first,
              (unsigned long long) im.last);
    }
done:
    zhashx_destroy(&im.seen);
    sl_csv_destroy(&csv);
    free(head_buf);
    free(row_buf);
}

/* ---- reports (server/report.c) -------------------------------------------------- */

/* A report travels as its flat table (common/sl_report.h): the admin tool
 * and shuanglian-server decode the same cells and render them alike.  A
 * cell longer than a REPLY allows is cut at a character boundary with "…";
 * a report over the REPLY's bounds is refused, saying how to page it. */
static void s_report(const server_admin_env_t *env, const char *name, const sl_arg_t *args,
                     size_t nargs, server_admin_reply_t *r)
{
    sl_report_t *rep = NULL;
    char err[SL_MAX_TEXT_BYTES];
    const char *field = NULL;
    int code = report_run(env->store, name, args, nargs, &rep, err, sizeof err, &field);
    if (code) {
        s_refuse(r, code, field, "%s", "%s", err);
        return;
    }
    uint32_t w;
    char **cells;
    size_t n, bytes = 0;
    if (sl_report_encode(rep, &w, &cells, &n)) {
        sl_report_destroy(&rep);
        s_refuse(r, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        return;
    }
    sl_report_destroy(&rep);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(cells[i]);
        if (len > SL_MAX_TEXT_BYTES) {
            size_t cut = SL_MAX_TEXT_BYTES - 3;
            while (cut > 0 && ((unsigned char) cells[i][cut] & 0xC0) == 0x80)
                cut--;
            memcpy(cells[i] + cut, "…", 3);
            cells[i][cut + 3] = 0;
            len = cut + 3;
        }
        bytes += len + 5;
    }
    if (n > SL_MAX_CELLS || bytes > REPLY_CELL_BUDGET) {
        for (size_t i = 0; i < n; i++)
            free(cells[i]);
        free(cells);
        s_refuse(r, SL_E_TOO_LARGE, "limit", "报表超出一次回复的上限（%zu 格，%zu 字节）：请用 --limit 和 --offset 分页",
                 "the report is over one reply's bounds (%zu cells, %zu bytes): page it with "
                 "--limit and --offset", n, bytes);
        return;
    }
    r->columns = w;
    r->cells = cells;
    r->ncells = n;
    r->cap = n;
    r->bytes = bytes;
}

#define REPORT_VERB(fn, name) \
    static void fn(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs, \
                   server_admin_reply_t *r) { s_report(env, name, args, nargs, r); }
REPORT_VERB(s_report_dispatch, "dispatch")
REPORT_VERB(s_report_five, "five")
REPORT_VERB(s_report_loop, "loop")
REPORT_VERB(s_report_points, "points")
REPORT_VERB(s_report_volunteers, "volunteers")
REPORT_VERB(s_report_talent, "talent")
REPORT_VERB(s_report_facilities, "facilities")
REPORT_VERB(s_report_supervision, "supervision")
REPORT_VERB(s_report_records, "records")
/* ---- site.health: every enrolled site and how it is doing ----------------------------- */

typedef struct {
    const server_admin_env_t *env;
    server_admin_reply_t *r;
    bool raw;
    int64_t now, silent_ms;
    size_t sites, silent, connected;
    bool full;
} health_t;

static int s_health_row(void *vctx, const central_site_health_t *h)
{
    health_t *x = vctx;
    char c[15][192], t1[64], t2[64];   /* a cell holds two of t1/t2 and words */
    const char *cells[15];
    for (int i = 0; i < 15; i++)
        cells[i] = c[i];
    bool raw = x->raw;
    /* Expected to connect: an active key, or a bundle waiting to be used. */
    bool bundle_live = strcmp(h->bundle_status, "pending") == 0
                       && (h->bundle_expires_ms == 0 || h->bundle_expires_ms > x->now);
    bool expected = strcmp(h->key_status, "active") == 0 || bundle_live;
    int64_t since = h->seen ? h->last_seen_ms : h->enrolled_ms;
    bool silent = expected && since > 0 && x->now - since > x->silent_ms;
    int connected = x->env->site_connected ? x->env->site_connected(x->env->ctx, h->site_id)
                                           : -1;
    bool backlog_known = h->seen && h->has_local_seq;
    uint64_t backlog = backlog_known && h->tm_local_seq > h->last_seq
                       ? h->tm_local_seq - h->last_seq : 0;
    const char *state = strcmp(h->key_status, "active") == 0 ? (raw ? "active" : "正常 active")
                      : bundle_live ? (raw ? "enrolling" : "待注册 enrolling")
                      : strcmp(h->key_status, "revoked") == 0
                        || strcmp(h->bundle_status, "revoked") == 0 ? (raw ? "revoked"
                                                                        : "已吊销 revoked")
                      : h->key_status[0] ? h->key_status
                      : raw ? "no key" : "无密钥 no key";
    snprintf(c[0], sizeof c[0], "%s", h->site_id);
    snprintf(c[1], sizeof c[0], "%s", h->community);
    snprintf(c[2], sizeof c[0], "%s", state);
    snprintf(c[3], sizeof c[0], "%s", connected < 0 ? (raw ? "" : "?") : connected
                              ? (raw ? "yes" : "在线 yes") : (raw ? "no" : "否 no"));
    if (raw)
        s_num(h->seen ? h->last_seen_ms : 0, c[4], sizeof c[0]);
    else if (h->seen)
        snprintf(c[4], sizeof c[0], "%s（%s）", s_when(h->last_seen_ms, t1, sizeof t1),
                 s_span_words(x->now - h->last_seen_ms, "前", " ago", t2, sizeof t2));
    else
        snprintf(c[4], sizeof c[0], "从未 never");
    s_num((int64_t) h->last_seq, c[5], sizeof c[0]);
    if (raw)
        snprintf(c[6], sizeof c[0], "%s", backlog_known ? s_num((int64_t) backlog, t1, sizeof t1) : "");
    else
        snprintf(c[6], sizeof c[0], "%s", backlog_known ? s_num((int64_t) backlog, t1, sizeof t1) : "?");
    int64_t age = backlog && h->has_outbox_age && h->tm_outbox_age_ms
                  ? (int64_t) h->tm_outbox_age_ms + (x->now - h->tm_ms) : -1;
    if (raw)
        snprintf(c[7], sizeof c[0], "%s", age >= 0 ? s_num(age, t1, sizeof t1) : "");
    else
        snprintf(c[7], sizeof c[0], "%s", age >= 0 ? s_span(age, t1, sizeof t1) : "-");
    if (raw)
        snprintf(c[8], sizeof c[0], "%s", h->has_clock ? s_num(h->tm_clock_offset_ms, t1, sizeof t1) : "");
    else if (!h->has_clock)
        snprintf(c[8], sizeof c[0], "?");
    else if (h->tm_clock_offset_ms > -120000 && h->tm_clock_offset_ms < 120000)
        snprintf(c[8], sizeof c[0], "准 ok");
    else
        snprintf(c[8], sizeof c[0], "%s %s %s", h->tm_clock_offset_ms > 0 ? "快" : "慢",
                 s_span(h->tm_clock_offset_ms, t1, sizeof t1),
                 h->tm_clock_offset_ms > 0 ? "ahead" : "behind");
    const char *agent = h->agent;
    if (strncmp(agent, "shuanglian-site/", 16) == 0)
        agent += 16;
    snprintf(c[9], sizeof c[0], "%s", *agent ? agent : (raw ? "" : "?"));
    if (raw)
        snprintf(c[10], sizeof c[0], "%s", h->bundle_status);
    else if (!h->bundle_status[0])
        snprintf(c[10], sizeof c[0], "-");
    else if (bundle_live)
        snprintf(c[10], sizeof c[0], "待安装，%s 到期 pending until %s",
                 s_when(h->bundle_expires_ms, t1, sizeof t1), t1);
    else if (strcmp(h->bundle_status, "pending") == 0)
        snprintf(c[10], sizeof c[0], "已过期 expired %s", s_when(h->bundle_expires_ms, t1, sizeof t1));
    else if (strcmp(h->bundle_status, "used") == 0)
        snprintf(c[10], sizeof c[0], "已使用 used");
    else
        snprintf(c[10], sizeof c[0], "%s", h->bundle_status);
    if (raw)
        snprintf(c[11], sizeof c[0], "%s", h->bundle_expires_ms ? s_num(h->bundle_expires_ms, t1, sizeof t1)
                                                        : "");
    else
        snprintf(c[11], sizeof c[0], "%s", h->has_disk ? s_bytes(h->tm_disk_free, t1, sizeof t1) : "?");
    snprintf(c[12], sizeof c[0], "%.120s", h->tm_last_error);
    if (raw)
        snprintf(c[13], sizeof c[0], "%s", h->has_disk ? s_num((int64_t) h->tm_disk_free, t1, sizeof t1)
                                               : "");
    else
        snprintf(c[13], sizeof c[0], "%s", silent ? "沉默 silent" : "");
    snprintf(c[14], sizeof c[0], "%s", silent ? (raw ? "yes" : "") : (raw ? "no" : ""));
    x->sites++;
    x->silent += silent;
    x->connected += connected > 0;
    size_t rows = 0;
    return s_row_counted(x->r, cells, &rows, &x->full);
}

static void s_site_health(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                          server_admin_reply_t *r)
{
    health_t x = { .env = env, .r = r, .raw = s_raw(args, nargs), .now = sl_now_ms() };
    int64_t hours = s_silent_hours(env);
    x.silent_ms = hours * 3600000;
    /* People: 14 columns, the silent flag last; raw: 15, every value apart. */
    static const char *const heads[] = {
        SL_D("站点", "site"), SL_D("社区", "community"), SL_D("状态", "state"), SL_D("在线", "connected"), SL_D("最近连接", "last seen"),
        SL_D("已收序号", "last seq"), SL_D("积压", "backlog"), SL_D("最早待传", "oldest unsent"), SL_D("时钟", "clock"),
        SL_D("版本", "version"), SL_D("注册包", "bundle"), SL_D("剩余磁盘", "disk free"), SL_D("最近错误", "last error"),
        SL_D("沉默", "silent") };
    static const char *const raw_heads[] = {
        "site", "community", "state", "connected", "last_seen_ms", "last_seq", "backlog",
        "oldest_unsent_ms", "clock_offset_ms", "version", "bundle", "bundle_expires_ms",
        "last_error", "disk_free", "silent" };
    if (x.raw ? s_table(r, 15, raw_heads) : s_table(r, 14, heads)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        return;
    }
    int rc = central_store_site_health_each(env->store, s_health_row, &x);
    if (rc < 0 || (rc > 0 && !x.full)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取站点", "cannot read the sites");
        return;
    }
    s_say(r, "%zu 个站点；%zu 个沉默（超过 %lld 小时没有连接，设置 site_silent_hours）%s%zu 个在线%s",
          "%zu sites; %zu silent for over %lld h (setting site_silent_hours)%s%zu connected now%s",
          x.sites, x.silent, (long long) hours, env->site_connected ? SL_D("；", "; ") : "",
          env->site_connected ? x.connected : 0, env->site_connected ? ""
          : SL_D("（在服务器本机不知道谁在线）", " (not known on the server machine)"));
}

/* ---- commands to sites ------------------------------------------------------------------- */

#define COMMAND_DEFAULT_DAYS 30

typedef struct {
    char (*sites)[SL_MAX_NAME_BYTES + 1];
    size_t n, cap;
    int64_t now;
} targets_t;

/* --all: every site expected to connect (an active key or a live bundle). */
static int s_target_row(void *vctx, const central_site_health_t *h)
{
    targets_t *t = vctx;
    bool live = strcmp(h->key_status, "active") == 0
                || (strcmp(h->bundle_status, "pending") == 0
                    && (h->bundle_expires_ms == 0 || h->bundle_expires_ms > t->now));
    if (!live)
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        void *grown = realloc(t->sites, cap * sizeof *t->sites);
        if (!grown)
            return -1;
        t->sites = grown;
        t->cap = cap;
    }
    snprintf(t->sites[t->n++], SL_MAX_NAME_BYTES + 1, "%s", h->site_id);
    return 0;
}

/* The site of a command: enrolled, and not revoked.  0, or -1 after refusing. */
static int s_command_site(const server_admin_env_t *env, const char *site,
                          server_admin_reply_t *r)
{
    server_site_standing_t st;
    if (server_auth_site_standing(env->auth, site, &st)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取密钥表", "cannot read the keys table");
        return -1;
    }
    if (!st.keys) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "没有登记过站点 \"%s\"，请检查拼写（shuanglian-admin sites）",
                 "no site \"%s\" is enrolled; check the spelling (shuanglian-admin sites)", site);
        return -1;
    }
    if (!st.active && !st.pending) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "站点 %s 没有可用的密钥（已吊销或注册包已过期），命令永远送不到",
                 "site %s has no usable key (revoked, or its bundle expired): a command "
                 "would never reach it", site);
        return -1;
    }
    return 0;
}

/* A command as a reply names it: ping（连通检测）, for a reader of English ping. */
static const char *s_command_named(const sl_command_t *c, char *buf, size_t cap)
{
    char zh[200];
    snprintf(zh, sizeof zh, "%s（%s）", c->name, c->label);
    sl_dpair(buf, cap, zh, c->name);
    return buf;
}

static void s_command_send(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                           server_admin_reply_t *r)
{
    char site[SL_MAX_NAME_BYTES + 1], all[8], name[SL_MAX_NAME_BYTES + 1], expires[32];
    char named[300];
    char err[SL_MAX_TEXT_BYTES], names[600];
    int has_site = s_text(args, nargs, "site", SL_MAX_NAME_BYTES, site, r);
    int has_all = has_site < 0 ? -1 : s_text(args, nargs, "all", 3, all, r);
    int has_cmd = has_all < 0 ? -1 : s_text(args, nargs, "command", SL_MAX_NAME_BYTES, name, r);
    int has_exp = has_cmd < 0 ? -1 : s_text(args, nargs, "expires_ms", 30, expires, r);
    if (has_exp < 0)
        return;
    sl_command_names(names, sizeof names);
    bool every = has_all > 0 && strcmp(all, "yes") == 0;
    if ((has_site > 0) == every) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "command.send 需要 site 或 all=yes（二选一）",
                 "command.send needs site or all=yes, not both");
        return;
    }
    const sl_command_t *c = has_cmd > 0 ? sl_command_find(name) : NULL;
    if (!c) {
        s_refuse(r, SL_E_BAD_FIELD, "command", "未知的命令 \"%s\"；命令有：%s",
                 "unknown command \"%s\"; commands are: %s", name, names);
        return;
    }
    int64_t now = sl_now_ms(), exp = now + COMMAND_DEFAULT_DAYS * 86400000LL;
    if (has_exp > 0) {
        char *end;
        exp = strtoll(expires, &end, 10);
        if (*end || exp <= now || exp > now + 366LL * 86400000) {
            s_refuse(r, SL_E_BAD_FIELD, "expires_ms", "过期时间须在今后一年之内",
                     "expires_ms must be within the next year");
            return;
        }
    }
    const sl_arg_t *ca = s_arg(args, nargs, "args");
    sl_json_writer_t w;
    sl_json_begin(&w);
    if (sl_command_check_args(c, ca ? ca->value : NULL, ca ? ca->value_len : 0, &w, err,
                              sizeof err)) {
        free(sl_json_end(&w, NULL));
        s_refuse(r, SL_E_BAD_FIELD, "args", "%s", "%s", err);
        return;
    }
    size_t jlen;
    char *json = sl_json_end(&w, &jlen);
    if (!json) {
        s_refuse(r, SL_E_INTERNAL, NULL, "内存不足", "out of memory");
        return;
    }
    /* The members without the braces: command_store_add adds its own. */
    json[jlen - 1] = 0;
    targets_t t = { .now = now };
    if (!every) {
        if (s_command_site(env, site, r)) {
            free(json);
            return;
        }
        s_target_row(&t, &(central_site_health_t) { .site_id = site, .key_status = "active",
                                                    .bundle_status = "" });
    } else if (central_store_site_health_each(env->store, s_target_row, &t)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取站点", "cannot read the sites");
    } else if (!t.n) {
        s_refuse(r, SL_E_BAD_FIELD, "all", "没有可以接收命令的站点（没有带可用密钥的已注册站点）",
                 "no site could receive the command (none is enrolled with a usable key)");
    }
    int64_t first = 0, last = 0;
    static const char *const heads[] = { SL_D("命令序号", "command"), SL_D("站点", "site") };
    if (!r->code && (s_table(r, 2, heads) || central_store_begin(env->store)))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法开始事务", "cannot start a transaction");
    for (size_t i = 0; i < t.n && !r->code; i++) {
        int64_t id;
        char num[24];
        if (command_store_add(env->store, t.sites[i], c->name, json + 1, exp, env->admin, &id,
                              err, sizeof err)) {
            s_refuse(r, SL_E_INTERNAL, NULL, "%s", "%s", err);
            break;
        }
        first = first ? first : id;
        last = id;
        const char *row[] = { s_num(id, num, sizeof num), t.sites[i] };
        s_row(r, row);
    }
    if (!r->code && central_store_commit(env->store))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法提交", "cannot commit");
    if (r->code && t.n)
        central_store_rollback(env->store);
    free(json);
    if (r->code) {
        free(t.sites);
        return;
    }
    char when[32];
    bool loopback = false;
    if (strcmp(c->name, "set_server") == 0) {
        const sl_arg_t *a = s_arg(args, nargs, "args");
        char ep[256] = "";
        sl_json_obj_t o;
        if (a && sl_json_parse(a->value, a->value_len, 16, &o, err, sizeof err) == 0) {
            const sl_json_member_t *m = sl_json_get(&o, "endpoint");
            if (m && m->type == SL_JSON_STRING)
                snprintf(ep, sizeof ep, "%s", m->str);
            sl_json_obj_free(&o);
        }
        sl_endpoint_check(ep, &loopback, err, sizeof err);
    }
    if (t.n == 1)
        s_say(r, "命令 #%lld %s已排队，站点 %s 下次连接时执行；%s 前未送达则作废%s",
              "command #%lld %s queued for %s: it runs at the site's next connection, unless "
              "it expires first (%s)%s", (long long) first, s_command_named(c, named, sizeof named), t.sites[0],
              s_when(exp, when, sizeof when), loopback ? SL_D("；注意：这是本机地址，只对服务器本机上的站点有效",
              "; note: a loopback address only works for a site on the server's machine") : "");
    else
        s_say(r, "命令 #%1$lld..#%2$lld %3$s已排队，发给 %4$zu 个站点，各自下次连接时执行；%5$s 前未送达则作废",
              "command %3$s queued for %4$zu sites (#%1$lld..#%2$lld), each runs it at its next "
              "connection unless it expires first (%5$s)", (long long) first, (long long) last,
              s_command_named(c, named, sizeof named), t.n, s_when(exp, when, sizeof when));
    free(t.sites);
}

typedef struct {
    server_admin_reply_t *r;
    bool raw, one;
    size_t rows;
    bool full;
} cmdlist_t;

static const char *s_state_label(const char *state)
{
    static const char *const names[][2] = {
        { "queued", "排队 queued" }, { "delivered", "已送达 delivered" },
        { "done", "已完成 done" }, { "failed", "失败 failed" }, { "expired", "已过期 expired" },
        { "cancelled", "已取消 cancelled" } };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], state) == 0)
            return names[i][1];
    return state;
}

static int s_command_row(void *vctx, const command_row_t *c)
{
    cmdlist_t *x = vctx;
    char id[24], made[32], exp[32], dl[32], fin[32], result[SL_MAX_TEXT_BYTES + 1];
    const char *cmd = c->verb;
    const sl_command_t *def = sl_command_find(c->verb);
    char verb[160];
    if (!x->raw && def)
        snprintf(verb, sizeof verb, "%s %s", def->label, c->verb);
    else
        snprintf(verb, sizeof verb, "%s", cmd);
    /* A list shows the start of a result; one command shows it whole. */
    size_t cut = x->one ? SL_MAX_TEXT_BYTES : 160;
    size_t len = strlen(c->result);
    if (len > cut) {
        len = cut;
        while (len > 0 && ((unsigned char) c->result[len] & 0xC0) == 0x80)
            len--;
    }
    snprintf(result, sizeof result, "%.*s%s", (int) len, c->result,
             len < strlen(c->result) ? "…" : "");
    if (!x->one)
        for (char *p = result; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = ' ';
    s_num(c->id, id, sizeof id);
    if (x->raw) {
        s_num(c->created_ms, made, sizeof made);
        s_num(c->expires_ms, exp, sizeof exp);
        s_num(c->delivered_ms, dl, sizeof dl);
        s_num(c->finished_ms, fin, sizeof fin);
    } else {
        s_when(c->created_ms, made, sizeof made);
        s_when(c->expires_ms, exp, sizeof exp);
        s_when(c->delivered_ms, dl, sizeof dl);
        s_when(c->finished_ms, fin, sizeof fin);
    }
    const char *args = !x->raw && strcmp(c->args, "{}") == 0 ? "-" : c->args;
    const char *cells[] = { id, c->target, verb, args, x->raw ? c->state
                            : s_state_label(c->state), made, c->created_by, exp, dl, fin,
                            result };
    return s_row_counted(x->r, cells, &x->rows, &x->full);
}

static void s_command_list(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                           server_admin_reply_t *r)
{
    char site[SL_MAX_NAME_BYTES + 1], idtext[24], limtext[16];
    const char *target = NULL;
    if (s_target_site(env, args, nargs, site, &target, r))
        return;
    int has_id = s_text(args, nargs, "id", 20, idtext, r);
    int has_lim = has_id < 0 ? -1 : s_text(args, nargs, "limit", 9, limtext, r);
    if (has_lim < 0)
        return;
    char *end = NULL;
    long long id = has_id > 0 ? strtoll(idtext, &end, 10) : 0;
    if (has_id > 0 && (*end || id <= 0)) {
        s_refuse(r, SL_E_BAD_FIELD, "id", "命令序号须为正整数", "id must be a command number");
        return;
    }
    long limit = has_lim > 0 ? strtol(limtext, &end, 10) : 100;
    if (has_lim > 0 && (*end || limit <= 0)) {
        s_refuse(r, SL_E_BAD_FIELD, "limit", "limit 须为正整数", "limit must be a positive number");
        return;
    }
    cmdlist_t x = { .r = r, .raw = s_raw(args, nargs), .one = id > 0 };
    static const char *const heads[] = { SL_D("序号", "id"), SL_D("站点", "site"), SL_D("命令", "command"), SL_D("参数", "args"),
                                         SL_D("状态", "state"), SL_D("发出", "sent"), SL_D("发出人", "by"), SL_D("过期", "expires"),
                                         SL_D("送达", "delivered"), SL_D("完成", "finished"), SL_D("结果", "result") };
    static const char *const raw_heads[] = { "id", "site", "command", "args", "state",
                                             "created_ms", "by", "expires_ms", "delivered_ms",
                                             "finished_ms", "result" };
    int rc = s_table(r, 11, x.raw ? raw_heads : heads);
    if (rc == 0)
        rc = command_store_each(env->store, target, id, limit, sl_now_ms(), s_command_row, &x);
    if (rc < 0 || (rc > 0 && !x.full)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取命令", "cannot read the commands");
        return;
    }
    if (id > 0 && !x.rows)
        s_refuse(r, SL_E_BAD_FIELD, "id", "没有 #%lld 号命令", "there is no command #%lld",
                 (long long) id);
    else
        s_say(r, "%zu 条命令%s%s", "%zu commands%s%s", x.rows, target ? SL_D("，站点 ", " for ") : "",
              target ? target : "");
}

static void s_command_cancel(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                             server_admin_reply_t *r)
{
    char idtext[24], state[32];
    int has = s_text(args, nargs, "id", 20, idtext, r);
    if (has < 0)
        return;
    char *end = NULL;
    long long id = has ? strtoll(idtext, &end, 10) : 0;
    if (!has || *end || id <= 0) {
        s_refuse(r, SL_E_BAD_FIELD, "id", "command.cancel 需要命令序号（shuanglian-admin commands）",
                 "command.cancel needs the command's number (shuanglian-admin commands)");
        return;
    }
    int rc = command_store_cancel(env->store, id, state, sizeof state);
    if (rc < 0 && rc != -2)
        s_refuse(r, SL_E_INTERNAL, NULL, "无法取消", "cannot cancel");
    else if (rc == -2)
        s_refuse(r, SL_E_BAD_FIELD, "id", "没有 #%lld 号命令", "there is no command #%lld", id);
    else if (rc == 0)
        s_refuse(r, SL_E_BAD_FIELD, "id", "#%lld 号命令已经是「%s」，只能取消排队中的命令%s",
                 "command #%lld is %s: only a queued command can be cancelled%s", id,
                 S_PAIR(s_state_label(state), state), strcmp(state, "delivered") == 0
                 ? SL_D("（站点可能已经执行了，结果会出现在 commands 里）", " (the site may already have "
                        "run it; its result will show in commands)") : "");
    else
        s_say(r, "#%lld 号命令已取消，站点不会执行", "command #%lld cancelled: the site will not run it",
              id);
}

/* ---- the audit log, administrators, stats, incidents ------------------------------------ */

typedef struct {
    server_admin_reply_t *r;
    bool raw, full;
    size_t rows;
} lines_t;

static int s_lines_row(lines_t *x, const char *const *cells)
{
    return s_row_counted(x->r, cells, &x->rows, &x->full);
}

static int s_audit_row(void *vctx, const audit_row_t *a)
{
    lines_t *x = vctx;
    char when[32], code[16];
    if (x->raw)
        s_num(a->at_ms, when, sizeof when);
    else
        s_when(a->at_ms, when, sizeof when);
    snprintf(code, sizeof code, "%d", a->code);
    char result[SL_MAX_TEXT_BYTES + 40];
    int cut = (int) sl_utf8_valid_prefix(a->result, strlen(a->result), 600);
    snprintf(result, sizeof result, "%s%s%.*s", a->code ? code : (x->raw ? "0" : "成功 done"),
             a->result[0] ? ": " : "", cut, a->result);
    const char *cells[] = { when, a->who, a->action, a->detail, x->raw ? code : result,
                            a->result };
    return s_lines_row(x, cells);
}

static void s_audit_list(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                         server_admin_reply_t *r)
{
    char who[256], limtext[16];
    int has_who = s_text(args, nargs, "who", 255, who, r);
    int has_lim = has_who < 0 ? -1 : s_text(args, nargs, "limit", 9, limtext, r);
    if (has_lim < 0)
        return;
    char *end = NULL;
    long limit = has_lim > 0 ? strtol(limtext, &end, 10) : 100;
    if (has_lim > 0 && (*end || limit <= 0)) {
        s_refuse(r, SL_E_BAD_FIELD, "limit", "limit 须为正整数", "limit must be a positive number");
        return;
    }
    lines_t x = { .r = r, .raw = s_raw(args, nargs) };
    static const char *const heads[] = { SL_D("时间", "time"), SL_D("谁", "who"), SL_D("操作", "action"), SL_D("内容", "detail"),
                                         SL_D("结果", "result") };
    static const char *const raw_heads[] = { "at_ms", "who", "action", "detail", "code",
                                             "result" };
    int rc = x.raw ? s_table(r, 6, raw_heads) : s_table(r, 5, heads);
    if (rc == 0)
        rc = audit_log_each(central_store_db(env->store), 0, has_who > 0 ? who : NULL, limit,
                            s_audit_row, &x);
    if (rc < 0 || (rc > 0 && !x.full))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取审计日志", "cannot read the audit log");
    else
        s_say(r, "最近 %zu 条管理操作（新的在前）", "the last %zu administrative actions, newest first",
              x.rows);
}

static int s_admin_key_row(void *vctx, const server_admin_key_t *k)
{
    lines_t *x = vctx;
    char made[32], changed[32];
    if (x->raw) {
        s_num(k->created_ms, made, sizeof made);
        s_num(k->changed_ms, changed, sizeof changed);
    } else {
        s_when(k->created_ms, made, sizeof made);
        s_when(k->changed_ms, changed, sizeof changed);
    }
    const char *cells[] = { k->name, k->status, k->key_prefix, made, changed };
    return s_lines_row(x, cells);
}

static void s_admin_list(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                         server_admin_reply_t *r)
{
    lines_t x = { .r = r, .raw = s_raw(args, nargs) };
    static const char *const heads[] = { SL_D("名称", "name"), SL_D("状态", "status"), SL_D("公钥", "key"), SL_D("创建", "created"),
                                         SL_D("变更", "changed") };
    static const char *const raw_heads[] = { "name", "status", "key", "created_ms",
                                             "changed_ms" };
    int rc = s_table(r, 5, x.raw ? raw_heads : heads);
    if (rc == 0)
        rc = server_auth_admin_each(env->auth, s_admin_key_row, &x);
    if (rc < 0 || (rc > 0 && !x.full))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取密钥表", "cannot read the keys table");
    else
        s_say(r, "%zu 个管理员凭据", "%zu administrator credentials", x.rows);
}

static void s_admin_revoke(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                           server_admin_reply_t *r)
{
    char name[SL_MAX_NAME_BYTES + 1];
    int has = s_text(args, nargs, "name", SL_MAX_NAME_BYTES, name, r);
    if (has < 0)
        return;
    if (!has) {
        s_refuse(r, SL_E_BAD_FIELD, "name", "admin.revoke 需要 name（管理员名称或公钥开头 8 个字符）",
                 "admin.revoke needs name (the administrator's name, or the first 8 characters of its key)");
        return;
    }
    int left = 0, n = server_auth_admin_revoke(env->auth, name, &left);
    if (n == -1)
        s_refuse(r, SL_E_INTERNAL, NULL, "无法吊销", "cannot revoke");
    else if (n == -2)
        s_refuse(r, SL_E_BAD_FIELD, "name", "不能吊销最后一个管理员凭据（%s）：请先在服务器上 admin add 一个新的",
                 "refusing to revoke the last active administrator credential (%s): add another "
                 "first (shuanglian-server admin add NAME)", name);
    else if (n == 0)
        s_refuse(r, SL_E_BAD_FIELD, "name", "没有名为 \"%s\" 的可用管理员凭据（见 admin list）",
                 "no active administrator credential is named \"%s\" (see admin list)", name);
    else {
        s_say(r, "管理员 %s 的 %d 个凭据已吊销，立即生效；还有 %d 个可用",
              "administrator %s: %d credential(s) revoked, effective now; %d active left", name, n,
              left);
        sl_twarn("%s（管理员 %s）", "%s (by admin %s)", r->text, env->admin);
    }
}

typedef struct {
    server_admin_reply_t *r;
    bool raw, full;
    size_t rows, ntypes;
    long long total, per_type[SL_MAX_TYPES];
} stats_t;

static int s_stats_row(void *vctx, const central_site_counts_t *c)
{
    stats_t *x = vctx;
    char cells_text[3 + SL_MAX_TYPES + 1][32];
    const char *cells[3 + SL_MAX_TYPES + 1];
    size_t n = 0;
    snprintf(cells_text[n], 32, "%s", "");
    cells[n++] = c->site_id;
    cells[n] = s_num(c->records, cells_text[n], 32);
    n++;
    cells[n] = s_num((int64_t) c->last_seq, cells_text[n], 32);
    n++;
    for (size_t t = 0; t < x->ntypes; t++, n++) {
        cells[n] = s_num(c->per_type[t], cells_text[n], 32);
        x->per_type[t] += c->per_type[t];
    }
    cells[n] = x->raw ? s_num(c->last_seen_ms, cells_text[n], 32)
                      : s_when(c->last_seen_ms, cells_text[n], 32);
    x->total += c->records;
    return s_row_counted(x->r, cells, &x->rows, &x->full);
}

static void s_stats(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                    server_admin_reply_t *r)
{
    stats_t x = { .r = r, .raw = s_raw(args, nargs), .ntypes = sl_schema_count() };
    if (x.ntypes > SL_MAX_TYPES)
        x.ntypes = SL_MAX_TYPES;
    const char *heads[3 + SL_MAX_TYPES + 1];
    size_t n = 0;
    char type_heads[SL_MAX_TYPES][120];
    heads[n++] = x.raw ? "site" : SL_D("站点", "site");
    heads[n++] = x.raw ? "records" : SL_D("记录", "records");
    heads[n++] = x.raw ? "last_seq" : SL_D("最新序号", "last seq");
    for (size_t t = 0; t < x.ntypes; t++)
        heads[n++] = x.raw ? sl_schema_at(t)->name
                     : (sl_dpair(type_heads[t], sizeof type_heads[t], sl_schema_at(t)->label,
                                 sl_schema_at(t)->name), type_heads[t]);
    heads[n++] = x.raw ? "last_seen_ms" : SL_D("最近连接", "last seen");
    int rc = s_table(r, (uint32_t) n, heads);
    if (rc == 0)
        rc = central_store_site_counts_each(env->store, s_stats_row, &x);
    if (rc < 0 || (rc > 0 && !x.full)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取中心存储", "cannot read the central store");
        return;
    }
    /* The total row, as the server's own stats prints it. */
    char text[3 + SL_MAX_TYPES + 1][32];
    const char *cells[3 + SL_MAX_TYPES + 1];
    n = 0;
    snprintf(text[n], 32, x.raw ? "TOTAL" : "合计 total (%zu)", x.rows);
    cells[n] = text[n];
    n++;
    cells[n] = s_num(x.total, text[n], 32);
    n++;
    cells[n++] = "";
    for (size_t t = 0; t < x.ntypes; t++, n++)
        cells[n] = s_num(x.per_type[t], text[n], 32);
    cells[n++] = "";
    s_row(r, cells);
    s_say(r, "%zu 个站点，共 %lld 条记录", "%zu sites, %lld records", x.rows, x.total);
}

static int s_incident_row(void *vctx, const central_incident_t *i)
{
    lines_t *x = vctx;
    char first[32], last[32], count[24], code[16], seq[24];
    if (x->raw) {
        s_num(i->first_ms, first, sizeof first);
        s_num(i->last_ms, last, sizeof last);
    } else {
        s_when(i->first_ms, first, sizeof first);
        s_when(i->last_ms, last, sizeof last);
    }
    const char *cells[] = { first, last, s_num(i->count, count, sizeof count), i->site_id,
                            s_num(i->code, code, sizeof code),
                            s_num((int64_t) i->seq, seq, sizeof seq), i->text };
    return s_lines_row(x, cells);
}

static void s_incidents(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                        server_admin_reply_t *r)
{
    lines_t x = { .r = r, .raw = s_raw(args, nargs) };
    static const char *const heads[] = { SL_D("首次", "first"), SL_D("最近", "last"), SL_D("次数", "count"), SL_D("站点", "site"),
                                         SL_D("代码", "code"), SL_D("序号", "seq"), SL_D("说明", "text") };
    static const char *const raw_heads[] = { "first_ms", "last_ms", "count", "site", "code",
                                             "seq", "text" };
    int rc = s_table(r, 7, x.raw ? raw_heads : heads);
    if (rc == 0)
        rc = central_store_incidents_each(env->store, 0, s_incident_row, &x);
    if (rc < 0 || (rc > 0 && !x.full))
        s_refuse(r, SL_E_INTERNAL, NULL, "无法读取需要处理的事件", "cannot read the incidents");
    else
        s_say(r, "%zu 条需要处理的事件", "%zu incidents", x.rows);
}

/* ---- the table ----------------------------------------------------------------- */

static const server_admin_verb_t s_verbs[] = {
    { .name = "site.enroll", .role = SL_ROLE_ADMIN,
      .args = "site community enroll_key expires_ms", .run = s_site_enroll },
    { .name = "site.revoke", .role = SL_ROLE_ADMIN, .args = "site", .run = s_site_revoke },
    { .name = "site.list", .role = SL_ROLE_ADMIN, .args = "", .run = s_site_list,
      .reads = true },
    { .name = "site.health", .role = SL_ROLE_ADMIN, .args = "[format]", .run = s_site_health,
      .reads = true },
    { .name = "ref.put", .role = SL_ROLE_ADMIN, .args = "kind key fields [site]",
      .run = s_ref_put },
    { .name = "ref.del", .role = SL_ROLE_ADMIN, .args = "kind key [site]", .run = s_ref_del },
    { .name = "ref.list", .role = SL_ROLE_ADMIN, .args = "[kind]", .run = s_ref_list,
      .reads = true },
    { .name = "ref.import", .role = SL_ROLE_ADMIN, .args = "kind csv [site]",
      .run = s_ref_import },
    { .name = "report.dispatch", .role = SL_ROLE_ADMIN, .args = "month [freeze|live]",
      .run = s_report_dispatch },
    { .name = "report.five", .role = SL_ROLE_ADMIN, .args = "[year]", .run = s_report_five, .reads = true },
    { .name = "report.loop", .role = SL_ROLE_ADMIN, .args = "from to [by]",
      .run = s_report_loop, .reads = true },
    { .name = "report.points", .role = SL_ROLE_ADMIN, .args = "[year]", .run = s_report_points, .reads = true },
    { .name = "report.volunteers", .role = SL_ROLE_ADMIN, .args = "[year | from to]",
      .run = s_report_volunteers, .reads = true },
    { .name = "report.talent", .role = SL_ROLE_ADMIN, .args = "[year]", .run = s_report_talent, .reads = true },
    { .name = "report.facilities", .role = SL_ROLE_ADMIN, .args = "",
      .run = s_report_facilities, .reads = true },
    { .name = "report.supervision", .role = SL_ROLE_ADMIN, .args = "half",
      .run = s_report_supervision, .reads = true },
    { .name = "report.records", .role = SL_ROLE_ADMIN,
      .args = "type [community unit status from to text limit offset]",
      .run = s_report_records, .reads = true },
    { .name = "command.send", .role = SL_ROLE_ADMIN,
      .args = "site|all command [args] [expires_ms]", .run = s_command_send },
    { .name = "command.list", .role = SL_ROLE_ADMIN, .args = "[site] [id] [limit] [format]",
      .run = s_command_list, .reads = true },
    { .name = "command.cancel", .role = SL_ROLE_ADMIN, .args = "id", .run = s_command_cancel },
    { .name = "audit.list", .role = SL_ROLE_ADMIN, .args = "[who] [limit] [format]",
      .run = s_audit_list, .reads = true },
    { .name = "admin.list", .role = SL_ROLE_ADMIN, .args = "[format]", .run = s_admin_list,
      .reads = true },
    { .name = "admin.revoke", .role = SL_ROLE_ADMIN, .args = "name", .run = s_admin_revoke },
    { .name = "stats", .role = SL_ROLE_ADMIN, .args = "[format]", .run = s_stats,
      .reads = true },
    { .name = "incidents.list", .role = SL_ROLE_ADMIN, .args = "[format]", .run = s_incidents,
      .reads = true },
};

size_t server_admin_count(void) { return sizeof s_verbs / sizeof s_verbs[0]; }

const server_admin_verb_t *server_admin_at(size_t index)
{
    return index < server_admin_count() ? &s_verbs[index] : NULL;
}

/* One row of the audit log for a request: its arguments, each value cut
 * (a CSV file is named by its size), and its answer. */
static void s_audit(const server_admin_env_t *env, const char *verb, const sl_arg_t *args,
                    size_t nargs, const server_admin_reply_t *reply)
{
    char detail[AUDIT_DETAIL_MAX + 1];
    size_t used = 0;
    detail[0] = 0;
    for (size_t i = 0; i < nargs && used < sizeof detail; i++) {
        size_t len = args[i].value_len > 120 ? 120 : args[i].value_len;
        while (len > 0 && len < args[i].value_len
               && ((unsigned char) args[i].value[len] & 0xC0) == 0x80)
            len--;
        if (args[i].key_len == 3 && memcmp(args[i].key, "csv", 3) == 0)
            used += (size_t) snprintf(detail + used, sizeof detail - used, "%scsv=(%zu bytes)",
                                      used ? " " : "", args[i].value_len);
        else
            used += (size_t) snprintf(detail + used, sizeof detail - used, "%s%.*s=%.*s%s",
                                      used ? " " : "", (int) args[i].key_len, args[i].key,
                                      (int) len, args[i].value,
                                      len < args[i].value_len ? "…" : "");
    }
    for (char *p = detail; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    audit_log_add(central_store_db(env->store), env->admin, verb, detail, reply->code,
                  reply->text);
}

int server_admin_run(const server_admin_env_t *env, const char *verb, const sl_arg_t *args,
                     size_t nargs, server_admin_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    sl_lang_t lang = sl_lang_use(SL_LANG_DUAL);    /* the reply is read elsewhere */
    const server_admin_verb_t *v = NULL;
    for (size_t i = 0; i < server_admin_count() && !v; i++)
        if (strcmp(s_verbs[i].name, verb) == 0)
            v = &s_verbs[i];
    /* Every verb: a `site` argument, when given, is a site id (5.4). */
    char site[SL_MAX_NAME_BYTES + 1];
    const sl_arg_t *sa = s_arg(args, nargs, "site");
    const char *why = sa && sa->value_len ? sl_site_id_check(sa->value, sa->value_len) : NULL;
    snprintf(site, sizeof site, "%.*s", sa && !why ? (int) sa->value_len : 0,
             sa ? sa->value : "");
    sl_tinfo("管理员 %s：%s%s%s", "admin %s: %s%s%s", env->admin, verb, site[0] ? " " : "", site);
    server_auth_set_actor(env->auth, env->admin);
    if (!v) {
        size_t used = sl_tf(reply->text, sizeof reply->text, "未知的管理命令；已知的有：",
                            "unknown admin verb; known:");
        for (size_t i = 0; i < server_admin_count() && used < sizeof reply->text; i++)
            used += (size_t) snprintf(reply->text + used, sizeof reply->text - used, " %s",
                                      s_verbs[i].name);
        reply->code = SL_E_BAD_FIELD;
        snprintf(reply->field, sizeof reply->field, "verb");
    } else if (env->role != v->role) {
        s_refuse(reply, SL_E_FORBIDDEN, "verb", "%s 密钥不能执行 %s", "a %s key may not run %s",
                 sl_role_name(env->role), v->name);
    } else if (why) {
        s_refuse(reply, SL_E_BAD_FIELD, "site", "%s", "%s", why);
    } else {
        v->run(env, args, nargs, reply);
    }
    if (reply->code)
        sl_tinfo("管理员 %s：%s 被拒绝（%d）：%s", "admin %s: %s refused (%d): %s", env->admin, verb,
                 reply->code, reply->text);
    if (!v || !v->reads)
        s_audit(env, verb, args, nargs, reply);
    server_auth_set_actor(env->auth, NULL);
    sl_lang_use(lang);
    return reply->code;
}
