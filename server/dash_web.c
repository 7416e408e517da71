/* dash_web.c: the district's dashboard (see dash_web.h).
 *
 *   /login, /logout   an administrator's name and web password
 *   /sites            every enrolled site: last seen, last record, silent flag
 *   /five /dispatch /loop /points /records
 *                     a report of server/report.h, every table as HTML
 *   /download         the same report as CSV, XLSX or HTML (sl_render.h)
 *
 * Every page but /login needs a logged-in session; every form carries the
 * session's CSRF token.  Report arguments come from the query string and
 * are checked by the report module itself (a refusal names the argument);
 * this file only lays the tables out.  It owns one table, dash_logins
 * (name, password hash), in central.db.  Must never: compute a figure, or
 * accept a login for a name whose administrator keys are all revoked. */
#define _GNU_SOURCE             /* strptime */
#include "dash_web.h"
#include "central_store.h"
#include "server_auth.h"
#include "sl_cli.h"
#include "sl_lang.h"
#include "sl_db.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_refkinds.h"
#include "sl_schema.h"
#include "sl_text.h"
#include "sl_web.h"
#include <czmq.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include("report.h") && __has_include("sl_render.h")
#define DASH_REPORTS 1
#include "report.h"
#include "sl_render.h"
#endif
#endif

#define PROG "shuanglian-server web"
#define DEFAULT_DATA "server-data"
#define DEFAULT_LISTEN "127.0.0.1:8621"
#define RECORDS_PAGE "50"
#define DASH_BRAND SL_D("双进双联 · 区级看板", "shuanglian · district dashboard")

#define LOGINS_SCHEMA \
    "CREATE TABLE IF NOT EXISTS dash_logins(" \
    "  name TEXT PRIMARY KEY,"          /* an administrator's name (keys.name) */ \
    "  pwhash TEXT NOT NULL,"           /* crypto_pwhash_str */ \
    "  changed_ms INTEGER NOT NULL) WITHOUT ROWID;"

typedef struct {
    central_store_t *store;
    server_auth_t *auth;
    /* One request at a time (libmicrohttpd's thread) or the main thread's
     * recomputation of the reports on screen (s_warm): the store's
     * connection and the report cache are theirs in turn. */
    pthread_mutex_t lock;
} dash_t;

#ifdef DASH_REPORTS
static const char *s_menu[] = {
    "/sites", SL_D("站点", "Sites"), "/five", SL_D("五个一", "Five tasks"),
    "/dispatch", SL_D("每月调度", "Dispatch"), "/loop", SL_D("闭环办理", "Closed loop"),
    "/points", SL_D("积分黄牌", "Points"), "/records", SL_D("记录", "Records"),
};
#else
static const char *s_menu[] = { "/sites", SL_D("站点", "Sites") };
#endif
#define MENU_N (sizeof s_menu / sizeof s_menu[0] / 2)

/* ---- logins (table dash_logins) ------------------------------------------------ */

static int s_login_hash(sqlite3 *db, const char *name, char *hash, size_t cap)
{
    sqlite3_stmt *st = sl_db_prepare(db, "SELECT pwhash FROM dash_logins WHERE name = ?");
    hash[0] = 0;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT
        && (size_t) sqlite3_column_bytes(st, 0) < cap)
        snprintf(hash, cap, "%s", sl_db_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int s_login_set(sqlite3 *db, const char *name, const char *hash)
{
    sqlite3_stmt *st = sl_db_prepare(db, "INSERT OR REPLACE INTO dash_logins(name, pwhash, "
                                         "changed_ms) VALUES (?, ?, ?)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t) time(NULL) * 1000);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* ---- page frame ---------------------------------------------------------------- */

static void s_begin(sl_web_req_t *req, const char *title, const char *current)
{
    sl_web_page_begin(req, title, DASH_BRAND, s_menu, MENU_N, current);
    FILE *o = sl_web_out(req);
    fprintf(o, "<form method=\"post\" action=\"/logout\" class=\"logout\">");
    sl_web_csrf_field(req);
    sl_web_printf(o, "<span class=\"hint\">%s</span> <button type=\"submit\" class=\"quiet\" "
                  "id=\"logout\">%s</button></form>", sl_web_user(req), SL_D("退出", "log out"));
}

#define s_time sl_web_local_time

/* ---- login ------------------------------------------------------------------------ */

static void s_login(dash_t *d, sl_web_req_t *req)
{
    const char *msg = NULL, *name = sl_web_form(req, "name");
    if (sl_web_is_post(req)) {
        const char *pw = sl_web_form(req, "password");
        char hash[crypto_pwhash_STRBYTES];
        if (sl_web_login_blocked(req)) {
            sl_web_status(req, 429);
            msg = SL_WEB_LOGIN_BLOCKED;
        } else if (name && pw && strlen(name) <= 64
                   && server_auth_admin_active(d->auth, name) == 1
                   && s_login_hash(central_store_db(d->store), name, hash, sizeof hash) == 0
                   && sl_web_check_password(hash, pw)) {
            char said[300];
            sl_df(said, sizeof said, "管理员 %s 已登录", "administrator %s logged in", name);
            sl_info("web: %s: %s", sl_web_client(req), said);
            sl_web_set_user(req, name);
            sl_web_redirect(req, "/sites");
            return;
        } else {
            sl_web_login_failed(req);
            char said[300];
            sl_df(said, sizeof said, "拒绝登录 \"%.64s\"", "login refused for \"%.64s\"",
                  name ? name : "");
            sl_info("web: %s: %s", sl_web_client(req), said);
            msg = SL_D("用户名或密码不对", "wrong name or password");
        }
    }
    sl_web_login_page(req, DASH_BRAND, SL_D("管理员登录", "Administrator login"),
                      name && strlen(name) <= 64 ? name : "", msg);
}

/* ---- sites ------------------------------------------------------------------------- */

typedef struct {
    FILE *out;
    long silent_hours;
    size_t n, silent;
} sites_t;

static int s_site_row(void *ctx, const char *const *cells)
{
    sites_t *s = ctx;
    /* cells: site, community, role, status, key, last seq, last connection (local time) */
    struct tm tm = { 0 };
    bool seen = strcmp(cells[6], "-") != 0 && strptime(cells[6], "%Y-%m-%d %H:%M:%S", &tm);
    tm.tm_isdst = -1;
    time_t at = seen ? mktime(&tm) : 0;
    bool active = strcmp(cells[3], "active") == 0 || strcmp(cells[3], "pending") == 0;
    bool silent = active && (!seen || time(NULL) - at > s->silent_hours * 3600);
    s->silent += silent;
    s->n++;
    sl_web_printf(s->out, "<tr data-key=\"%s\"><td>%s</td><td>%s</td><td>%s %s</td>"
                  "<td class=\"num\">%s</td><td>%s</td><td>", cells[0], cells[0], cells[1],
                  cells[2], cells[3], cells[5], cells[6]);
    sl_web_printf(s->out, "<span class=\"badge%r\">%s</span>",
                  !active ? "" : silent ? " bad" : " ok", !active ? SL_D("停用", "inactive")
                  : silent ? SL_D("沉默", "silent") : SL_D("正常", "ok"));
    fprintf(s->out, "</td></tr>\n");
    return 0;
}

static void s_sites(dash_t *d, sl_web_req_t *req)
{
    char value[SL_MAX_TEXT_BYTES + 1], hours[32];
    sites_t s = { .out = sl_web_out(req), .silent_hours = (long) sl_setting_default("site_silent_hours") };
    if (central_store_ref_get(d->store, "setting", "site_silent_hours", NULL, value,
                              sizeof value) == 1
        && sl_refvalue_field(value, strlen(value), "value", hours, sizeof hours) == 1
        && atol(hours) > 0)
        s.silent_hours = atol(hours);
    s_begin(req, SL_D("站点", "Sites"), "/sites");
    FILE *o = s.out;
    sl_web_printf(o, "<h1>%s</h1><div class=\"scroll\"><table id=\"sites\"><thead><tr>",
                  SL_D("站点状况", "Sites' health"));
    static const char *const heads[] = { SL_D("站点", "site"), SL_D("社区", "community"),
        SL_D("密钥", "key"), SL_D("最新序号", "last seq"), SL_D("最近连接", "last seen"),
        SL_D("状况", "health") };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        sl_web_printf(o, "<th>%s</th>", heads[i]);
    fprintf(o, "</tr></thead><tbody>\n");
    int rc = server_auth_site_list(d->auth, s_site_row, &s);
    fprintf(o, "</tbody></table></div>");
    if (rc)
        sl_web_printf(o, "<p class=\"flash error\">%s</p>",
                      SL_D("无法读取站点", "cannot read the sites"));
    char text[600];
    sl_df(text, sizeof text, "共 %zu 个站点密钥；超过 %ld 小时没有连接的站点标为“沉默”（参数 "
          "site_silent_hours）。", "%zu site keys; a site not seen for %ld hours is marked "
          "silent.", s.n, s.silent_hours);
    sl_web_printf(o, "<p>%s</p>", text);
    int64_t now = (int64_t) time(NULL) * 1000;
    char when[40];
    s_time(now, when, sizeof when);
    sl_web_printf(o, "<p class=\"hint\">%s: %s</p>", SL_D("服务器时间", "server clock"), when);
    sl_web_page_end(req);
}

#ifdef DASH_REPORTS
/* ---- reports ------------------------------------------------------------------------- */

typedef struct {
    const char *path;           /* /five */
    const char *report;         /* five */
    const char *title;
    const char *args;           /* query names passed on, '|'-separated */
} page_t;

static const page_t s_pages[] = {
    { "/five", "five", SL_D("五个一", "Five tasks"), "year" },
    { "/dispatch", "dispatch", SL_D("每月调度", "Monthly dispatch"), "month" },
    { "/loop", "loop", SL_D("闭环办理", "Closed loop"), "from|to|by" },
    { "/points", "points", SL_D("积分与黄牌", "Points and yellow cards"), "year" },
    { "/records", "records", SL_D("记录浏览", "Records"), "type|community|unit|status|from|to|text|offset" },
};

static const page_t *s_page_by_report(const char *name)
{
    for (size_t i = 0; name && i < sizeof s_pages / sizeof s_pages[0]; i++)
        if (strcmp(s_pages[i].report, name) == 0)
            return &s_pages[i];
    return NULL;
}

/* The report's arguments from the query: the page's names, with defaults
 * (this year, this month, the closed loop of the year so far, 50 records). */
static size_t s_args(sl_web_req_t *req, const page_t *p, sl_arg_t *args, char defaults[4][16])
{
    size_t n = 0;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char name[32];
    const char *key = p->args;          /* the part's first byte: the argument's name */
    for (size_t i = 0; sl_schema_part(p->args, i, name, sizeof name) && n + 1 < SL_MAX_ARGS;
         i++, key += strlen(name) + 1) {
        const char *v = sl_web_query(req, name);
        if (v && strlen(v) > 200)
            v = NULL;
        if ((!v || !*v) && strcmp(name, "year") == 0)
            strftime(defaults[0], 16, "%Y", &tm), v = defaults[0];
        if ((!v || !*v) && strcmp(name, "month") == 0)
            strftime(defaults[1], 16, "%Y-%m", &tm), v = defaults[1];
        bool loop = strcmp(p->report, "loop") == 0;       /* the records' dates stay open */
        if ((!v || !*v) && loop && strcmp(name, "from") == 0)
            strftime(defaults[2], 16, "%Y-01-01", &tm), v = defaults[2];
        if ((!v || !*v) && loop && strcmp(name, "to") == 0)
            strftime(defaults[3], 16, "%Y-%m-%d", &tm), v = defaults[3];
        if ((!v || !*v) && strcmp(name, "type") == 0)
            v = "service_matter";
        if (!v || !*v)
            continue;
        args[n++] = (sl_arg_t) { key, strlen(name), v, strlen(v) };
    }
    if (strcmp(p->report, "records") == 0)
        args[n++] = (sl_arg_t) { "limit", 5, RECORDS_PAGE, strlen(RECORDS_PAGE) };
    return n;
}

/* The filter form: one input per argument, the values as given. */
static void s_filters(sl_web_req_t *req, const page_t *p, const sl_arg_t *args, size_t nargs,
                      const char *bad)
{
    FILE *o = sl_web_out(req);
    sl_web_printf(o, "<form class=\"filters\" method=\"get\" action=\"%s\">", p->path);
    char name[32];
    for (size_t i = 0; sl_schema_part(p->args, i, name, sizeof name); i++) {
        if (strcmp(name, "offset") == 0)
            continue;
        const char *v = "";
        for (size_t k = 0; k < nargs; k++)
            if (args[k].key_len == strlen(name) && memcmp(args[k].key, name, args[k].key_len) == 0)
                v = args[k].value;
        bool invalid = bad && strcmp(bad, name) == 0;
        const char *type = strcmp(name, "month") == 0 ? "month"
                         : strcmp(name, "from") == 0 || strcmp(name, "to") == 0 ? "date"
                         : strcmp(name, "year") == 0 ? "number" : "text";
        sl_web_printf(o, "<div class=\"field%s\"><label for=\"q_%s\">%s</label>",
                      invalid ? " invalid" : "", name, name);
        if (strcmp(name, "type") == 0) {
            fprintf(o, "<select name=\"type\" id=\"q_type\">");
            for (size_t t = 0; t < sl_schema_count(); t++) {
                char label[200];    /* "问题上报", or the wire name in English */
                sl_epair(label, sizeof label, sl_schema_at(t)->label, sl_schema_at(t)->name);
                sl_web_printf(o, "<option value=\"%s\"%s>%s</option>", sl_schema_at(t)->name,
                              strcmp(v, sl_schema_at(t)->name) == 0 ? " selected" : "", label);
            }
            fprintf(o, "</select>");
        } else if (strcmp(name, "by") == 0) {
            sl_web_printf(o, "<select name=\"by\" id=\"q_by\"><option value=\"\">%s</option>"
                          "<option value=\"unit\"%r>%s</option><option "
                          "value=\"community\"%r>%s</option><option "
                          "value=\"month\"%r>%s</option></select>", SL_D("合计", "total"),
                          strcmp(v, "unit") == 0 ? " selected" : "", SL_D("按单位", "by unit"),
                          strcmp(v, "community") == 0 ? " selected" : "",
                          SL_D("按社区", "by community"),
                          strcmp(v, "month") == 0 ? " selected" : "", SL_D("按月", "by month"));
        } else {
            sl_web_printf(o, "<input type=\"%s\" name=\"%s\" id=\"q_%s\" value=\"%s\">", type, name,
                          name, v);
        }
        fprintf(o, "</div>");
    }
    sl_web_printf(o, "<button type=\"submit\">%s</button></form>", SL_D("查看", "Show"));
}

/* The download links: the same report and arguments, in each form. */
static void s_downloads(sl_web_req_t *req, const page_t *p, const sl_arg_t *args, size_t nargs)
{
    FILE *o = sl_web_out(req);
    static const char *const forms[][2] = { { "xlsx", "Excel (XLSX)" }, { "csv", "CSV" },
                                            { "html", SL_D("网页", "HTML") } };
    sl_web_printf(o, "<p class=\"downloads\">%s: ", SL_D("下载", "download"));
    for (size_t f = 0; f < 3; f++) {
        sl_web_printf(o, "<a class=\"button\" id=\"dl-%s\" href=\"/download?report=%s&amp;form=%s",
                      forms[f][0], p->report, forms[f][0]);
        for (size_t k = 0; k < nargs; k++) {
            if (args[k].key_len == 5 && memcmp(args[k].key, "limit", 5) == 0)
                continue;
            fprintf(o, "&amp;%.*s=", (int) args[k].key_len, args[k].key);
            char v[256];
            snprintf(v, sizeof v, "%.*s", (int) args[k].value_len, args[k].value);
            sl_web_urlenc(o, v);
        }
        sl_web_printf(o, "\">%s</a> ", forms[f][1]);
    }
    fprintf(o, "</p>");
}

/* One table of a report, laid out; the 五个一 matrix coloured by how much
 * of each task is done. */
static void s_table(FILE *o, const sl_rtable_t *t)
{
    char text[2000];
    sl_web_printf(o, "<h2>%s</h2>", t->title);
    if (t->flags & SL_RF_PROSE) {
        fprintf(o, "<div class=\"prose\" id=\"t-%s\">", t->key[0] ? t->key : "figures");
        for (size_t r = 0; r < t->nrows; r++)
            sl_web_printf(o, "<p>%s</p>", sl_rtable_cell(t, r, 0));
        fprintf(o, "</div>");
        return;
    }
    bool matrix = t->chart && strcmp(t->chart, "matrix") == 0;
    sl_web_printf(o, "<div class=\"scroll\"><table id=\"t-%s\"%r><thead><tr>",
                  t->key[0] ? t->key : "figures", matrix ? " class=\"matrix\"" : "");
    if (t->style == SL_RS_OBJECT) {
        sl_web_printf(o, "<th>%s</th><th>%s</th></tr></thead><tbody>", SL_D("项目", "figure"),
                      SL_D("值", "value"));
        for (size_t r = 0; r < t->nrows; r++) {
            sl_render_cell(sl_render_type(t, r, 3), sl_rtable_cell(t, r, 3), text, sizeof text);
            sl_web_printf(o, "<tr data-key=\"%s\"><td>%s</td><td class=\"num\">%s</td></tr>\n",
                          sl_rtable_cell(t, r, 0), sl_rtable_cell(t, r, 1), text);
        }
        fprintf(o, "</tbody></table></div>");
        return;
    }
    for (size_t c = 0; c < t->ncols; c++)
        sl_web_printf(o, "<th>%s</th>", t->cols[c].label);
    fprintf(o, "</tr></thead><tbody>\n");
    for (size_t r = 0; r < t->nrows; r++) {
        sl_web_printf(o, "<tr data-key=\"%s\"%r>", (long) r == t->total_row ? "total"
                      : sl_rtable_cell(t, r, 0), (long) r == t->total_row ? " class=\"total\"" : "");
        for (size_t c = 0; c < t->ncols; c++) {
            sl_rcol_t type = sl_render_type(t, r, c);
            sl_render_cell(type, sl_rtable_cell(t, r, c), text, sizeof text);
            const char *css = type == SL_RC_INT || type == SL_RC_NUM || type == SL_RC_RATE
                              ? "num" : "";
            const char *key = t->cols[c].key;
            size_t kl = strlen(key);
            if (matrix && kl > 5 && strcmp(key + kl - 5, "_done") == 0 && c + 1 < t->ncols) {
                long done = atol(sl_rtable_cell(t, r, c)), need = atol(sl_rtable_cell(t, r, c + 1));
                css = done >= need ? "num cell-done" : done > 0 ? "num cell-part" : "num cell-none";
            }
            sl_web_printf(o, "<td class=\"%s\" data-col=\"%s\">%s</td>", css, key, text);
        }
        fprintf(o, "</tr>\n");
    }
    fprintf(o, "</tbody></table></div>");
}

/* Reports computed for pages, kept while the store is unchanged: a second
 * look (or a download of what is on the screen) costs no recomputation.
 * PRAGMA data_version changes whenever another connection commits (a sync,
 * a reference entry, a freeze); an entry is also recomputed after a minute,
 * as a report may depend on the date.  A report looked at in the last
 * WARM_MS is recomputed by the main thread as soon as the store changes
 * (s_warm, every second), so that the next look after a sync does not wait
 * for it either. */
#define CACHE_SLOTS 16
#define CACHE_MS 60000
#define WARM_MS (10 * 60000)
typedef struct {
    char *key;                  /* the report's name and arguments, as one string */
    char *name, *argbuf;        /* the same, for recomputing: args point into argbuf */
    sl_arg_t args[SL_MAX_ARGS];
    size_t nargs;
    int64_t version, at_ms, used_ms;
    sl_report_t *rep;
} cached_t;
static cached_t s_cache[CACHE_SLOTS];

static int64_t s_ms(void) { return (int64_t) time(NULL) * 1000; }

static void s_cache_free(cached_t *c)
{
    free(c->key);
    free(c->name);
    free(c->argbuf);
    sl_report_destroy(&c->rep);
    memset(c, 0, sizeof *c);
}

static void s_cache_clear(void)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        s_cache_free(&s_cache[i]);
}

/* Keeps a copy of the report's name and arguments in c (0, or -1 without memory). */
static int s_cache_args(cached_t *c, const char *name, const sl_arg_t *args, size_t nargs)
{
    size_t len = 1;
    for (size_t i = 0; i < nargs; i++)
        len += args[i].key_len + args[i].value_len;
    c->name = strdup(name);
    c->argbuf = malloc(len);
    if (!c->name || !c->argbuf || nargs > SL_MAX_ARGS)
        return -1;
    char *at = c->argbuf;
    for (size_t i = 0; i < nargs; i++) {
        c->args[i] = (sl_arg_t) { .key = at, .key_len = args[i].key_len,
                                  .value = at + args[i].key_len, .value_len = args[i].value_len };
        memcpy(at, args[i].key, args[i].key_len);
        memcpy(at + args[i].key_len, args[i].value, args[i].value_len);
        at += args[i].key_len + args[i].value_len;
    }
    c->nargs = nargs;
    return 0;
}

/* report_run through the cache: *out is borrowed (never destroyed by the
 * caller), valid until the next call. */
static int s_report(dash_t *d, const char *name, const sl_arg_t *args, size_t nargs,
                    sl_report_t **out, char *err, size_t errlen, const char **field)
{
    char *key = NULL;
    size_t klen = 0;
    FILE *k = open_memstream(&key, &klen);
    if (!k)
        return SL_E_INTERNAL;
    fprintf(k, "%s", name);
    for (size_t i = 0; i < nargs; i++)
        fprintf(k, "\x1f%.*s=%.*s", (int) args[i].key_len, args[i].key, (int) args[i].value_len,
                args[i].value);
    fclose(k);
    int64_t version = sl_db_int(central_store_db(d->store), "PRAGMA data_version", -1);
    int64_t now = s_ms();
    cached_t *slot = &s_cache[0];
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        cached_t *c = &s_cache[i];
        if (c->key && strcmp(c->key, key) == 0 && c->version == version
            && now - c->at_ms < CACHE_MS) {
            free(key);
            c->used_ms = now;
            *out = c->rep;
            return 0;
        }
        if (c->used_ms < slot->used_ms)
            slot = c;
    }
    sl_report_t *rep = NULL;
    int rc = report_run(d->store, name, args, nargs, &rep, err, errlen, field);
    if (rc) {
        free(key);
        return rc;
    }
    s_cache_free(slot);
    *slot = (cached_t) { .key = key, .version = version, .at_ms = now, .used_ms = now, .rep = rep };
    if (s_cache_args(slot, name, args, nargs)) {
        free(slot->name);
        free(slot->argbuf);
        slot->name = slot->argbuf = NULL;       /* kept, but not recomputed ahead */
    }
    *out = rep;
    return 0;
}

/* The main thread, every second: recomputes each report looked at in the
 * last WARM_MS whose store has changed (or whose minute is up), one at a
 * time, letting requests in between. */
static void s_warm(void *ctx)
{
    dash_t *d = ctx;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        pthread_mutex_lock(&d->lock);
        cached_t *c = &s_cache[i];
        int64_t version = sl_db_int(central_store_db(d->store), "PRAGMA data_version", -1);
        int64_t now = s_ms();
        if (c->rep && c->name && now - c->used_ms < WARM_MS
            && (c->version != version || now - c->at_ms >= CACHE_MS)) {
            sl_report_t *rep = NULL;
            char err[600];
            const char *field = NULL;
            if (report_run(d->store, c->name, c->args, c->nargs, &rep, err, sizeof err, &field)
                == 0) {
                sl_report_destroy(&c->rep);
                c->rep = rep;
                c->version = version;
                c->at_ms = now;
            } else {
                s_cache_free(c);        /* computed again when asked, saying why */
            }
        }
        pthread_mutex_unlock(&d->lock);
    }
}

static void s_report_page(dash_t *d, sl_web_req_t *req, const page_t *p)
{
    sl_arg_t args[SL_MAX_ARGS];
    char defaults[4][16];
    size_t nargs = s_args(req, p, args, defaults);
    sl_report_t *rep = NULL;
    char err[600];
    const char *field = NULL;
    int rc = s_report(d, p->report, args, nargs, &rep, err, sizeof err, &field);
    s_begin(req, p->title, p->path);
    FILE *o = sl_web_out(req);
    sl_web_printf(o, "<h1>%s</h1>", rep && rep->title ? rep->title : p->title);
    s_filters(req, p, args, nargs, rc ? field : NULL);
    if (rc) {
        if (rc == SL_E_INTERNAL)
            sl_web_status(req, 500);
        sl_web_printf(o, "<p class=\"flash error\" id=\"report-error\">%s</p>", err);
    } else {
        s_downloads(req, p, args, nargs);
        for (size_t i = 0; i < rep->ntables; i++)
            if (!(rep->tables[i]->flags & SL_RF_NOJSON) || (rep->tables[i]->chart
                && strcmp(rep->tables[i]->chart, "matrix") == 0))
                s_table(o, rep->tables[i]);
        if (strcmp(p->report, "records") == 0) {
            const sl_rtable_t *pg = sl_report_find(rep, "page", NULL);
            const char *next = pg ? sl_report_fig(pg, "next") : NULL;
            if (next && strncmp(next, "--offset ", 9) == 0) {
                fprintf(o, "<p><a id=\"next\" href=\"/records?offset=%ld", atol(next + 9));
                for (size_t k = 0; k < nargs; k++) {
                    if ((args[k].key_len == 6 && memcmp(args[k].key, "offset", 6) == 0)
                        || (args[k].key_len == 5 && memcmp(args[k].key, "limit", 5) == 0))
                        continue;
                    char v[256];
                    snprintf(v, sizeof v, "%.*s", (int) args[k].value_len, args[k].value);
                    fprintf(o, "&amp;%.*s=", (int) args[k].key_len, args[k].key);
                    sl_web_urlenc(o, v);
                }
                sl_web_printf(o, "\">%s →</a></p>", SL_D("下一页", "next page"));
            }
        }
    }
    sl_web_page_end(req);
}

/* A report as a file: CSV (UTF-8 with BOM), XLSX or a self-contained HTML page. */
static void s_download(dash_t *d, sl_web_req_t *req)
{
    const page_t *p = s_page_by_report(sl_web_query(req, "report"));
    const char *form = sl_web_query(req, "form");
    if (!p || !form || (strcmp(form, "csv") && strcmp(form, "xlsx") && strcmp(form, "html"))) {
        sl_web_error_page(req, 404, SL_D("没有这个报表", "No such report"),
                          SL_D("报表或格式不对", "the report or its form is not one this page offers"));
        return;
    }
    sl_arg_t args[SL_MAX_ARGS];
    char defaults[4][16], err[600];
    size_t nargs = s_args(req, p, args, defaults);
    if (strcmp(p->report, "records") == 0)
        nargs--;                /* a download holds every record that matches */
    sl_report_t *rep = NULL;
    const char *field = NULL;
    if (s_report(d, p->report, args, nargs, &rep, err, sizeof err, &field)) {
        sl_web_error_page(req, 422, SL_D("报表参数不对", "The report's arguments are wrong"), err);
        return;
    }
    char *buf = NULL, dir[300], path[400], disp[200];
    size_t len = 0;
    int rc = -1;
    if (strcmp(form, "xlsx") == 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/sl-dash-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(dir)) {
            snprintf(path, sizeof path, "%s/report.xlsx", dir);
            rc = sl_render_xlsx(rep, path, err, sizeof err);
            FILE *f = rc ? NULL : fopen(path, "rb");
            if (f) {
                FILE *m = open_memstream(&buf, &len);
                char chunk[65536];
                size_t n;
                while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
                    fwrite(chunk, 1, n, m);
                if (m)
                    fclose(m);
                fclose(f);
                rc = buf ? 0 : -1;
            }
            unlink(path);
            rmdir(dir);
        }
        sl_web_content_type(req, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    } else {
        FILE *m = open_memstream(&buf, &len);
        rc = !m ? -1 : strcmp(form, "csv") == 0 ? sl_render_csv(rep, m) : sl_render_html(rep, m);
        if (m)
            fclose(m);
        sl_web_content_type(req, strcmp(form, "csv") == 0 ? "text/csv; charset=utf-8"
                                                           : "text/html; charset=utf-8");
    }
    if (rc || !buf) {
        free(buf);
        sl_web_content_type(req, "text/html; charset=utf-8");
        sl_web_error_page(req, 500, SL_D("无法生成文件", "Cannot make the file"), err);
        return;
    }
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", p->report, form);
    sl_web_add_header(req, "Content-Disposition", disp);
    sl_web_allow_inline_style(req);
    sl_web_body(req, buf, len);
    char said[300];
    sl_df(said, sizeof said, "%s 下载了 %s.%s（%zu 字节）", "%s downloaded %s.%s (%zu bytes)",
          sl_web_user(req), p->report, form, len);
    sl_info("web: %s: %s", sl_web_client(req), said);
    free(buf);
}
#endif

static void s_handle_locked(dash_t *d, sl_web_req_t *req);

static void s_handle(void *ctx, sl_web_req_t *req)
{
    dash_t *d = ctx;
    pthread_mutex_lock(&d->lock);
    s_handle_locked(d, req);
    pthread_mutex_unlock(&d->lock);
}

static void s_handle_locked(dash_t *d, sl_web_req_t *req)
{
    const char *path = sl_web_path(req);
    if (sl_web_csrf_refused(req))
        return;
    if (strcmp(path, "/login") == 0) {
        s_login(d, req);
        return;
    }
    const char *user = sl_web_user(req);
    /* Logged in, and the name still an active administrator (revoked: out). */
    if (!*user || server_auth_admin_active(d->auth, user) != 1) {
        if (*user)
            sl_web_set_user(req, "");
        sl_web_redirect(req, "/login");
        return;
    }
    if (strcmp(path, "/logout") == 0 && sl_web_is_post(req)) {
        char said[300];
        sl_df(said, sizeof said, "管理员 %s 已退出", "administrator %s logged out", user);
        sl_info("web: %s: %s", sl_web_client(req), said);
        sl_web_set_user(req, "");
        sl_web_redirect(req, "/login");
    } else if (strcmp(path, "/") == 0) {
        sl_web_redirect(req, "/sites");
    } else if (strcmp(path, "/sites") == 0) {
        s_sites(d, req);
#ifdef DASH_REPORTS
    } else if (strcmp(path, "/download") == 0) {
        s_download(d, req);
#endif
    } else {
#ifdef DASH_REPORTS
        for (size_t i = 0; i < sizeof s_pages / sizeof s_pages[0]; i++)
            if (strcmp(path, s_pages[i].path) == 0) {
                s_report_page(d, req, &s_pages[i]);
                return;
            }
#endif
        sl_web_error_page(req, 404, SL_D("没有这个页面", "Not found"),
                          SL_D("没有这个页面", "there is no such page"));
    }
}

/* ---- the verb ---------------------------------------------------------------------------- */

static int s_passwd(const char *data, const char *name)
{
    char err[600], pw[256], hash[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0)
        return SL_EXIT_FAIL;
    central_store_t *store = central_store_open(data, err, sizeof err);
    server_auth_t *auth = store ? server_auth_new(central_store_db(store), false, err, sizeof err)
                                : NULL;
    int rc = auth && sl_db_exec(central_store_db(store), LOGINS_SCHEMA) == 0 ? 0 : SL_EXIT_FAIL;
    if (rc && store && auth)
        sl_cli_err(PROG " passwd", "无法创建表 dash_logins", "cannot create table dash_logins");
    else if (rc)
        sl_lang_fprintf(stderr, PROG " passwd: %s\n", err);
    int active = rc ? -1 : server_auth_admin_active(auth, name);
    if (!rc && active != 1) {
        sl_cli_err(PROG " passwd", "没有名为 \"%s\" 的有效管理员（见 'shuanglian-server admin add NAME'）",
                   "no active administrator named \"%s\" (see 'shuanglian-server admin add NAME')",
                   name);
        rc = SL_EXIT_USAGE;
    }
    if (!rc)
        rc = sl_web_read_password(PROG " passwd", pw, sizeof pw) ? SL_EXIT_USAGE : 0;
    if (!rc && (sl_web_hash_password(pw, hash, sizeof hash)
                || s_login_set(central_store_db(store), name, hash))) {
        sl_cli_err(PROG " passwd", "无法保存密码", "cannot save the password");
        rc = SL_EXIT_FAIL;
    }
    sodium_memzero(pw, sizeof pw);
    server_auth_destroy(&auth);
    central_store_destroy(&store);
    if (!rc)
        sl_tprintf(stdout, "管理员 %s 的网页密码已设置\n", "web password set for administrator %s\n",
                   name);
    return rc;
}

int dash_web_main(int argc, char **argv)
{
    const char *data = DEFAULT_DATA, *listen = DEFAULT_LISTEN;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &data, NULL },
        { "--listen", "HOST:PORT", SL_D("区级看板在哪里提供（默认 " DEFAULT_LISTEN "，只限本机）", "where the dashboard is served (default " DEFAULT_LISTEN
          ", this computer only)"), &listen, NULL },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG, "[passwd NAME] [--listen HOST:PORT] [--data DIR]",
                          SL_D("提供区级看板：站点状况、五个一、每月调度、闭环办理、积分与黄牌、记录，以及 CSV、XLSX 或 HTML 形式的报表。管理员用名字和 'passwd NAME' 设置的密码登录（从终端读取，或从标准输入读一行）。收到 SIGINT 或 SIGTERM 时停止。", "Serves the district dashboard: sites' health, the five tasks, monthly "
                          "dispatch, closed loop, points and yellow cards, records, and the "
                          "reports as CSV, XLSX or HTML.  Administrators log in with their name "
                          "and a password set by 'passwd NAME' (read from the terminal, or one "
                          "line from standard input).  Stops on SIGINT or SIGTERM."), opts, 2, pos,
                          2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos >= 1 && strcmp(pos[0], "passwd") == 0) {
        if (npos != 2 || !*pos[1] || strlen(pos[1]) > 64) {
            sl_cli_err(PROG " passwd", "需要 NAME（管理员的名称）", "NAME is required (an administrator's name)");
            return SL_EXIT_USAGE;
        }
        return s_passwd(data, pos[1]);
    }
    char err[600], host[64];
    int port;
    bool loopback;
    if (sl_web_verb_listen(PROG, npos, pos, listen, host, sizeof host, &port, &loopback))
        return SL_EXIT_USAGE;
    dash_t d = { .lock = PTHREAD_MUTEX_INITIALIZER };
    d.store = central_store_open(data, err, sizeof err);
    d.auth = d.store ? server_auth_new(central_store_db(d.store), false, err, sizeof err) : NULL;
    if (!d.auth || sl_db_exec(central_store_db(d.store), LOGINS_SCHEMA)) {
        fprintf(stderr, PROG ": %s\n", d.auth ? "cannot create table dash_logins" : err);
        server_auth_destroy(&d.auth);
        central_store_destroy(&d.store);
        return SL_EXIT_FAIL;
    }
    long admins = (long) sl_db_int(central_store_db(d.store), "SELECT count(*) FROM dash_logins", 0);
    zsys_handler_set(NULL);
    sl_web_block_stop_signals();
    sl_web_opts_t wo = { .listen = listen, .cookie = "sl_dash", .program = PROG,
                         .handle = s_handle, .ctx = &d };
    sl_web_t *web = sl_web_start(&wo, err, sizeof err);
    if (!web) {
        fprintf(stderr, PROG ": %s\n", err);
        server_auth_destroy(&d.auth);
        central_store_destroy(&d.store);
        return SL_EXIT_FAIL;
    }
    sl_lang_fprintf(stdout, "%s: http://%s%s%s:%d/ (%s)\n", SL_D("区级看板已启动", "dashboard ready"),
                    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
                    sl_web_port(web), loopback ? SL_D("只限本机", "this computer only")
                    : SL_D("在网络上：请在前面加防火墙和 HTTPS",
                           "on the network: use a firewall and HTTPS in front"));
    if (admins == 0)
        sl_tprintf(stdout, "  还没有管理员设置网页密码：请运行 'shuanglian-server web passwd NAME --data %s'\n",
                   "  no administrator has a web password yet: run 'shuanglian-server web passwd "
                   "NAME --data %s'\n", data);
    fflush(stdout);
    char said[300];
    sl_df(said, sizeof said, "区级看板在 %s", "dashboard on %s", listen);
    sl_info("web: %s", said);
#ifdef DASH_REPORTS
    sl_web_wait_stop_every(1000, s_warm, &d);
#else
    sl_web_wait_stop();
#endif
    sl_web_stop(&web);
#ifdef DASH_REPORTS
    s_cache_clear();
#endif
    pthread_mutex_destroy(&d.lock);
    server_auth_destroy(&d.auth);
    central_store_destroy(&d.store);
    return 0;
}
