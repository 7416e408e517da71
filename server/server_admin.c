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
#include "sl_csv.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_keys.h"
#include "sl_log.h"
#include "sl_refkinds.h"
#include "sl_text.h"
#include <czmq.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A REPLY must fit in one frame: cells stop here (the sentence says so). */
#define REPLY_CELL_BUDGET (SL_MAX_FRAME_BYTES - 1024 * 1024)
#define CSV_ROW_BYTES 65536

/* ---- the reply ------------------------------------------------------------ */

static void s_say(server_admin_reply_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_say(server_admin_reply_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
}

static void s_refuse(server_admin_reply_t *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_refuse(server_admin_reply_t *r, int code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof r->text, fmt, ap);
    va_end(ap);
    r->code = code;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
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
        char *copy = strdup(cells[c]);
        if (!copy)
            return -1;
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
        fprintf(err, "%s: %s\n", command, reply->text);
        return reply->code == SL_E_INTERNAL ? 1 : 3;
    }
    if (reply->text[0])
        fprintf(out, "%s\n", reply->text);
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
        s_refuse(r, SL_E_BAD_FIELD, name, "参数 %s 须为不超过 %zu 字节的文本 argument %s must be "
                 "text of at most %zu bytes", name, max, name, max);
        return -1;
    }
    memcpy(buf, a->value, a->value_len);
    buf[a->value_len] = 0;
    return 1;
}

/* ---- site verbs ------------------------------------------------------------ */

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
        s_refuse(r, SL_E_BAD_FIELD, NULL, "site.enroll needs site, community, enroll_key and "
                 "expires_ms");
    } else if (!sl_key_valid(key)) {
        s_refuse(r, SL_E_BAD_FIELD, "enroll_key", "enroll_key is not a Z85 key");
    } else if (!end || *end || exp <= sl_now_ms() || exp > sl_now_ms() + 366LL * 86400000) {
        s_refuse(r, SL_E_BAD_FIELD, "expires_ms", "expires_ms must be within the next year");
    } else if (server_auth_lookup(env->auth, key)) {
        s_refuse(r, SL_E_BAD_FIELD, "enroll_key", "this key is already known");
    } else if ((known = central_store_ref_get(env->store, "community", community, NULL, value,
                                              sizeof value)) != 1) {
        /* A site belongs to one community (RECORDS.md): its code, as the
         * reference data has it, so that every record is counted there. */
        if (known < 0)
            s_refuse(r, SL_E_INTERNAL, NULL, "无法读取参考数据 cannot read the reference data");
        else
            s_refuse(r, SL_E_BAD_FIELD, "community", "社区代码 \"%s\" 不在参考数据中；请先发布："
                     "ref put community %s name=社区名称 community \"%s\" is not the code of a "
                     "community in the reference data; publish it first: ref put community %s "
                     "name=NAME", community, community, community, community);
    } else if (server_auth_add(env->auth, SL_ROLE_ENROLL, key, site, community, "pending", exp)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot store the key");
    } else {
        s_say(r, "site %s (%s) registered; its bundle is valid once", site, community);
    }
}

static void s_site_revoke(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                          server_admin_reply_t *r)
{
    char site[SL_MAX_NAME_BYTES + 1];
    int has = s_text(args, nargs, "site", SL_MAX_NAME_BYTES, site, r);
    if (has < 0)
        return;
    int n = has ? server_auth_revoke_site(env->auth, site) : -1;
    if (n <= 0) {
        s_refuse(r, SL_E_BAD_FIELD, "site", has ? "this site has no key to revoke"
                                                : "site.revoke needs site");
        return;
    }
    if (env->site_revoked)
        env->site_revoked(env->ctx, site);
    s_say(r, "site %s: %d key(s) revoked, effective now", site, n);
    sl_warn("%s (by admin %s)", r->text, env->admin);
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
        "站点 site", "社区 community", "密钥 key role", "状态 status", "公钥 key",
        "记录 records", "最近连接 last seen" };
    if (s_table(r, SERVER_AUTH_SITE_COLUMNS, heads)
        || server_auth_site_list(env->auth, s_site_row, r))
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot read the sites");
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
        snprintf(buf, cap, "site %s", site);
    else
        snprintf(buf, cap, "all sites");
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
            s_refuse(r, SL_E_BAD_FIELD, "kind", "%s 需要参数 kind %s needs kind", verb, verb);
        return NULL;
    }
    const sl_refkind_t *k = sl_refkind_find(kind);
    if (!k) {
        char err[SL_MAX_TEXT_BYTES];
        sl_refkind_unknown(kind, err, sizeof err);
        s_refuse(r, SL_E_BAD_FIELD, "kind", "%s", err);
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
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot read the keys table");
        return -1;
    }
    if (!enrolled) {
        s_refuse(r, SL_E_BAD_FIELD, "site", "没有登记过站点 \"%s\"，请检查拼写（shuanglian-admin site "
                 "list）no site \"%s\" is enrolled; check the spelling (shuanglian-admin site "
                 "list)", site, site);
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
        s_refuse(r, SL_E_BAD_FIELD, "key", "%s 需要参数 key（%s的%s）%s needs key (the %s's %s)",
                 verb, (*k)->label, (*k)->key_label, verb, (*k)->name, (*k)->key_name);
        return -1;
    }
    if (sl_refkind_check_key(*k, raw, key, SL_MAX_NAME_BYTES + 1, err, sizeof err)) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "%s", err);
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
        s_refuse(r, SL_E_BAD_FIELD, "fields", "ref.put 需要参数 fields（字段=值）ref.put needs "
                 "fields (FIELD=VALUE); the fields of %s are: %s", k->name, err);
        return;
    }
    if (sl_json_parse(fa->value, fa->value_len, SL_MAX_FIELDS, &obj, err, sizeof err)) {
        s_refuse(r, SL_E_BAD_FIELD, "fields", "参数 fields 须为 JSON 对象 argument fields must be "
                 "a JSON object: %s", err);
        return;
    }
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS];
    for (size_t i = 0; i < obj.n; i++) {
        names[i] = obj.members[i].key;
        values[i] = obj.members[i].str;
        if (obj.members[i].type != SL_JSON_STRING) {
            s_refuse(r, SL_E_BAD_FIELD, "fields", "参数 fields 中 \"%s\" 的值须为字符串 argument "
                     "fields: the value of \"%s\" must be a string", names[i], names[i]);
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
                 rc == SL_REF_REFUSED ? "fields" : NULL, "%s", err);
    } else if (rc == 1) {
        s_say(r, "未变 unchanged: %s %s for %s already holds this value", k->name, key,
              s_for(site, who, sizeof who));
    } else {
        s_say(r, "server log #%llu: put %s/%s for %s", (unsigned long long) lseq, k->name, key,
              s_for(site, who, sizeof who));
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
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot start a transaction");
        return;
    }
    uint64_t lseq = 0;
    int found = central_store_ref_get(env->store, k->name, key, site, value, sizeof value);
    long refs = found > 0 ? s_referrers(env, k, key, site, list, sizeof list) : 0;
    s_for(site, who, sizeof who);
    if (found < 0 || refs < 0) {
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot read the server log");
    } else if (found == 0) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "没有可删除的%s %s（%s）there is no %s %s for %s to "
                 "delete (see ref list %s)", k->label, key, site ? site : "所有站点", k->name,
                 key, who, k->name);
    } else if (refs > 0) {
        s_refuse(r, SL_E_BAD_FIELD, "key", "不能删除%s %s：仍有 %ld 个条目引用它，请先修改或删除它们 "
                 "cannot delete %s %s: %ld entries still refer to it, change or delete them "
                 "first: %s%s", k->label, key, refs, k->name, key, refs, list,
                 refs > 5 ? " …" : "");
    } else if (central_store_log_append(env->store, site, k->name, key, NULL, &lseq, err,
                                        sizeof err) || central_store_commit(env->store)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot append to the server log");
    } else {
        s_say(r, "server log #%llu: del %s/%s for %s", (unsigned long long) lseq, k->name, key,
              who);
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
    int rc = s_row(l->r, cells);
    if (rc > 0)
        l->full = true;
    else if (rc == 0)
        l->rows++;
    return rc;
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
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot read the server log");
        return;
    }
    s_say(r, "%s%s%zu 条参考数据 %zu reference entries%s", k ? k->label : "",
          k ? " " : "", l.rows, l.rows, l.full ? "；回复已满，只列出这些，请按类别列出 the reply is "
          "full: these are the first ones; list one kind at a time" : "");
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
            s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行：前两列须为键 year（年度）和 task（任务）"
                     " row 1: the first two columns must be the key, headed year (年度) and task "
                     "(任务)");
        else
            s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行第 1 列（%.64s）：第一列须为键 %s（%s）"
                     " row 1, column 1 (%.64s): the first column must be the key, headed %s (%s)",
                     im->heads[0], k->key_name, k->key_label, im->heads[0], k->key_name,
                     k->key_label);
        return -1;
    }
    for (int c = im->nkey; c < im->nh; c++) {
        const sl_reffield_t *f = sl_refkind_field(k, im->heads[c]);
        char list[600];
        sl_refkind_fields_text(k, list, sizeof list);
        if (!f) {
            s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行第 %d 列（%.64s）：未知字段，%s的字段有 %s"
                     " row 1, column %d (%.64s): unknown field; the fields of %s are: %s", c + 1,
                     im->heads[c], k->label, list, c + 1, im->heads[c], k->name, list);
            return -1;
        }
        for (int d = im->nkey; d < c; d++) {
            if (sl_refkind_field(k, im->heads[d]) == f) {
                s_refuse(im->r, SL_E_BAD_FIELD, "csv", "第 1 行第 %d 列（%.64s）：与第 %d 列是同一个"
                         "字段 row 1, column %d (%.64s): the same field as column %d", c + 1,
                         im->heads[c], d + 1, c + 1, im->heads[c], d + 1);
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
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行有 %d 列，表头有 %d 列 row %ld has %d cells, "
                 "the heading row has %d", line, nc, im->nh, line, nc, im->nh);
        return -1;
    }
    const char *raw_key = im->cells[0];
    if (im->nkey == 2) {
        /* A longer year or task is invalid anyway: cutting it cannot make it valid. */
        snprintf(raw, sizeof raw, "%.64s:%.64s", s_trim(im->cells[0]), s_trim(im->cells[1]));
        raw_key = raw;
    }
    if (sl_refkind_check_key(im->k, raw_key, key, sizeof key, err, sizeof err)) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行第 1 列（%s）row %ld, column 1 (%s): %s", line,
                 im->heads[0], line, im->heads[0], err);
        return -1;
    }
    void *before = zhashx_lookup(im->seen, key);
    if (before) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行：键 \"%s\" 在第 %ld 行已经出现 row %ld: key "
                 "\"%s\" already appears in row %ld", line, key, (long) (intptr_t) before, line,
                 key, (long) (intptr_t) before);
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
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行第 %d 列（%s）row %ld, column %d (%s): %s",
                 line, col, im->heads[col - 1], line, col, im->heads[col - 1], err);
    } else if (rc == SL_REF_REFUSED) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "第 %ld 行 row %ld: %s", line, line, err);
    } else if (rc == SL_REF_FAILED) {
        s_refuse(r, SL_E_INTERNAL, NULL, "第 %ld 行 row %ld: %s", line, line, err);
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
        s_refuse(r, SL_E_BAD_FIELD, "csv", "ref.import 需要参数 csv（文件内容）ref.import needs csv "
                 "(the file's content)");
        return;
    }
    sl_csv_t *csv = sl_csv_from_buffer(csv_arg->value, csv_arg->value_len);
    char *head_buf = malloc(CSV_ROW_BYTES), *row_buf = malloc(CSV_ROW_BYTES);
    im.seen = zhashx_new();
    long line = 0;
    int nc = -1;
    if (!csv || !head_buf || !row_buf || !im.seen) {
        s_refuse(r, SL_E_INTERNAL, NULL, "out of memory");
        goto done;
    }
    im.nh = sl_csv_row(csv, im.heads, SL_MAX_FIELDS + 2, head_buf, CSV_ROW_BYTES, err,
                       sizeof err);
    if (im.nh <= 0) {
        s_refuse(r, SL_E_BAD_FIELD, "csv", "%s", im.nh == 0 ? "文件是空的，第一行须为表头 the file "
                 "is empty: its first row must be the headings" : err);
        goto done;
    }
    if (s_import_heads(&im))
        goto done;
    if (central_store_begin(env->store)) {
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot start a transaction");
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
        s_refuse(r, SL_E_BAD_FIELD, "csv", "%s", err);
    if (!r->code && central_store_commit(env->store))
        s_refuse(r, SL_E_INTERNAL, NULL, "cannot commit");
    if (r->code) {
        central_store_rollback(env->store);
        size_t len = strlen(r->text);
        snprintf(r->text + len, sizeof r->text - len, "；没有导入任何条目 nothing was imported");
        goto done;
    }
    s_say(r, "已导入%s：%zu 条新增或更改，%zu 条未变 imported %s for %s: %zu new or changed, %zu "
          "unchanged", im.k->label, im.added, im.unchanged, im.k->name,
          s_for(im.site, who, sizeof who), im.added, im.unchanged);
    if (im.added) {
        size_t len = strlen(r->text);
        snprintf(r->text + len, sizeof r->text - len, " (server log #%llu..#%llu)",
                 (unsigned long long) im.first, (unsigned long long) im.last);
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
        s_refuse(r, code, field, "%s", err);
        return;
    }
    uint32_t w;
    char **cells;
    size_t n, bytes = 0;
    if (sl_report_encode(rep, &w, &cells, &n)) {
        sl_report_destroy(&rep);
        s_refuse(r, SL_E_INTERNAL, NULL, "out of memory");
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
        s_refuse(r, SL_E_TOO_LARGE, "limit", "报表超出一次回复的上限（%zu 格，%zu 字节）：请用 --limit 分页 "
                 "the report is over one reply's bounds (%zu cells, %zu bytes): page it with "
                 "--limit and --offset", n, bytes, n, bytes);
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

/* ---- the table ----------------------------------------------------------------- */

static const server_admin_verb_t s_verbs[] = {
    { .name = "site.enroll", .role = SL_ROLE_ADMIN,
      .args = "site community enroll_key expires_ms", .run = s_site_enroll },
    { .name = "site.revoke", .role = SL_ROLE_ADMIN, .args = "site", .run = s_site_revoke },
    { .name = "site.list", .role = SL_ROLE_ADMIN, .args = "", .run = s_site_list },
    { .name = "ref.put", .role = SL_ROLE_ADMIN, .args = "kind key fields [site]",
      .run = s_ref_put },
    { .name = "ref.del", .role = SL_ROLE_ADMIN, .args = "kind key [site]", .run = s_ref_del },
    { .name = "ref.list", .role = SL_ROLE_ADMIN, .args = "[kind]", .run = s_ref_list },
    { .name = "ref.import", .role = SL_ROLE_ADMIN, .args = "kind csv [site]",
      .run = s_ref_import },
    { .name = "report.dispatch", .role = SL_ROLE_ADMIN, .args = "month [freeze|live]",
      .run = s_report_dispatch },
    { .name = "report.five", .role = SL_ROLE_ADMIN, .args = "[year]", .run = s_report_five },
    { .name = "report.loop", .role = SL_ROLE_ADMIN, .args = "from to [by]",
      .run = s_report_loop },
    { .name = "report.points", .role = SL_ROLE_ADMIN, .args = "[year]", .run = s_report_points },
    { .name = "report.volunteers", .role = SL_ROLE_ADMIN, .args = "[year | from to]",
      .run = s_report_volunteers },
    { .name = "report.talent", .role = SL_ROLE_ADMIN, .args = "[year]", .run = s_report_talent },
    { .name = "report.facilities", .role = SL_ROLE_ADMIN, .args = "",
      .run = s_report_facilities },
    { .name = "report.supervision", .role = SL_ROLE_ADMIN, .args = "half",
      .run = s_report_supervision },
    { .name = "report.records", .role = SL_ROLE_ADMIN,
      .args = "type [community unit status from to text limit offset]",
      .run = s_report_records },
};

size_t server_admin_count(void) { return sizeof s_verbs / sizeof s_verbs[0]; }

const server_admin_verb_t *server_admin_at(size_t index)
{
    return index < server_admin_count() ? &s_verbs[index] : NULL;
}

int server_admin_run(const server_admin_env_t *env, const char *verb, const sl_arg_t *args,
                     size_t nargs, server_admin_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
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
    sl_info("admin %s: %s%s%s", env->admin, verb, site[0] ? " " : "", site);
    if (!v) {
        size_t used = (size_t) snprintf(reply->text, sizeof reply->text,
                                        "未知的管理命令 unknown admin verb; known:");
        for (size_t i = 0; i < server_admin_count() && used < sizeof reply->text; i++)
            used += (size_t) snprintf(reply->text + used, sizeof reply->text - used, " %s",
                                      s_verbs[i].name);
        reply->code = SL_E_BAD_FIELD;
        snprintf(reply->field, sizeof reply->field, "verb");
    } else if (env->role != v->role) {
        s_refuse(reply, SL_E_FORBIDDEN, "verb", "a %s key may not run %s",
                 sl_role_name(env->role), v->name);
    } else if (why) {
        s_refuse(reply, SL_E_BAD_FIELD, "site", "%s", why);
    } else {
        v->run(env, args, nargs, reply);
    }
    if (reply->code)
        sl_info("admin %s: %s refused (%d): %s", env->admin, verb, reply->code, reply->text);
    return reply->code;
}
