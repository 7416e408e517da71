/* site_web.c: the community's pages (see site_web.h).
 *
 *   /entry?type=T     a form per record type, made from common/sl_schema.c
 *   /records          my records: filter by type, text and sync state; pages of 50
 *   /record?seq=N     one record, its state and history; update, rate, correct, void
 *   /import           CSV import: preview with row-level checks, then all or nothing
 *   /sync             sync status in plain words; "立即同步 Sync now" runs one sync
 *   /login, /logout   only when served beyond this computer (a password)
 *
 * Every write is one call of the entry module (site_entry_add or
 * site_entry_import), as on the command line.  A refused form comes back
 * with what was typed and the entry module's sentence beside the field it
 * names; nothing is saved.  Every label, heading, button and message is in
 * the message catalog (sl_lang.h) and shown in the program's language
 * (--lang, LANG): "中文 English" by default, English only in English; a
 * record type, field, status or choice by its Chinese label by default and
 * by its English (a type's label_en in headings) or wire name in English.
 * The records' contents and the reference data stay as entered.  Must
 * never: write to the store any other way, or show a value unescaped. */
#define _GNU_SOURCE             /* memmem */
#include "site_web.h"
#include "site_entry.h"
#include "site_store.h"
#include "site_sync.h"
#include "sl_cli.h"
#include "sl_lang.h"
#include "sl_csv.h"
#include "sl_fold.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_refkinds.h"
#include "sl_schema.h"
#include "sl_text.h"
#include "sl_web.h"
#include <czmq.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG "shuanglian-site web"
#define DEFAULT_DATA "site-data"
#define DEFAULT_LISTEN "127.0.0.1:8620"
#define PAGE_ROWS 50
#define PICK_MAX 200            /* recent records offered for a record field */
#define PREVIEW_ROWS 500
#define META_PASSWORD "web_password"

typedef struct {
    site_store_t *store;
    const char *data_dir;
    bool need_login;
    char pwhash[crypto_pwhash_STRBYTES];
    sl_item_t *item;
    /* one sync at a time, on a thread of its own with its own store */
    pthread_mutex_t lock;
    pthread_t thread;
    bool thread_started, syncing;
    int sync_result;
    char sync_text[sizeof ((site_sync_report_t *) 0)->text];
} site_web_t;

static const char *s_menu[] = {
    "/entry", SL_D("录入", "Entry"), "/records", SL_D("我的记录", "My records"),
    "/import", SL_D("导入", "Import"), "/sync", SL_D("同步", "Sync"),
};
#define MENU_N 4

#define s_time sl_web_local_time

/* True for a reader of English (--lang en): where a "中文 English" text
 * cannot be made of a pair (its English half alone would lose what it is
 * about), the page picks one of two whole texts. */
#define S_EN (sl_lang() == SL_LANG_EN)

/* A record type, field, status or choice for the reader: its Chinese label
 * ("问题上报", "上报人类别", "已受理"), or in English its wire name. */
static const char *s_label(const char *label, const char *name)
{
    return sl_lang_either(label, name);
}

/* A record type in a heading: "问题上报", or in English "problem report". */
static const char *s_type_heading(const sl_rtype_t *rt)
{
    return sl_lang_either(rt->label, rt->label_en);
}

/* A label with its wire name beside it ("快递员 courier"); in English the
 * wire name alone. */
static void s_label_name(FILE *o, const char *label, const char *name)
{
    if (!S_EN && label && *label)
        sl_web_printf(o, "%s ", label);
    sl_web_esc(o, name);
}

static void s_begin(site_web_t *w, sl_web_req_t *req, const char *title, const char *current)
{
    char heading[200];
    snprintf(heading, sizeof heading, "%s · %s", SL_E("双进双联", "shuanglian"),
             site_store_site_id(w->store));
    sl_web_page_begin(req, title, heading, s_menu, MENU_N, current);
    if (w->need_login)
        sl_web_printf(sl_web_out(req), "<p class=\"hint\"><a href=\"/logout\">%s</a></p>",
                      SL_D("退出", "log out"));
}

/* A positive whole number from a query or form value, or 0. */
static uint64_t s_seq(const char *v)
{
    if (!v || !*v || strlen(v) > 18)
        return 0;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return strtoull(v, NULL, 10);
}

/* ---- pick lists -------------------------------------------------------------- */

typedef struct {
    FILE *out;
    const char *selected;
    size_t n;
} pick_t;

/* An <option> per reference entry of a kind: "u1 区委办". */
static int s_ref_option(void *ctx, const char *kind, const char *key, const char *value,
                        size_t value_len, uint64_t lseq)
{
    (void) kind, (void) lseq;
    pick_t *p = ctx;
    char name[400] = "";
    if (sl_refvalue_field(value, value_len, "name", name, sizeof name) != 1)
        sl_refvalue_field(value, value_len, "title", name, sizeof name);
    bool sel = p->selected && strcmp(p->selected, key) == 0;
    sl_web_printf(p->out, "<option value=\"%s\"%s>%s %s</option>", key, sel ? " selected" : "",
                  key, name);
    p->n++;
    return 0;
}

typedef struct {
    site_web_t *w;
    FILE *out;
    const char *types;          /* "a|b" or "*" */
    size_t n;
} item_pick_t;

/* A datalist option per recent record a record field may name. */
static int s_item_option(void *ctx, const site_record_t *rec)
{
    item_pick_t *p = ctx;
    if (!rec->rt || (strcmp(p->types, "*") != 0
                     && sl_schema_index(p->types, rec->type, strlen(rec->type)) < 0))
        return 0;
    char title[300] = "";
    if (rec->rt->title_field)
        sl_schema_field_text(rec->rt, rec->payload, rec->len, rec->rt->title_field, title,
                             sizeof title);
    fprintf(p->out, "<option value=\"#%llu\">", (unsigned long long) rec->seq);
    sl_web_printf(p->out, "%s %s</option>", s_label(rec->rt->label, rec->rt->name), title);
    return ++p->n >= PICK_MAX;
}

/* ---- the entry form -------------------------------------------------------------- */

static void s_field_input(site_web_t *w, sl_web_req_t *req, const sl_field_t *f,
                          const char *value)
{
    FILE *o = sl_web_out(req);
    char id[80];
    snprintf(id, sizeof id, "f_%s", f->name);
    const char *v = value ? value : "";
    switch (f->type) {
    case SL_F_TEXT:
        if (f->max > 200)
            sl_web_printf(o, "<textarea name=\"%s\" id=\"%s\" maxlength=\"%lld\"%s>%s</textarea>",
                          id, id, (long long) f->max, f->required ? " required" : "", v);
        else
            sl_web_printf(o, "<input type=\"text\" name=\"%s\" id=\"%s\" maxlength=\"%lld\" "
                          "value=\"%s\"%s>", id, id, (long long) f->max, v,
                          f->required ? " required" : "");
        break;
    case SL_F_INT:
        sl_web_printf(o, "<input type=\"number\" inputmode=\"numeric\" name=\"%s\" id=\"%s\" "
                      "min=\"%lld\" max=\"%lld\" value=\"%s\"%s>", id, id, (long long) f->min,
                      (long long) f->max, v, f->required ? " required" : "");
        break;
    case SL_F_DATE:
        sl_web_printf(o, "<input type=\"date\" name=\"%s\" id=\"%s\" min=\"2000-01-01\" "
                      "max=\"2099-12-31\" value=\"%s\"%s>", id, id, v,
                      f->required ? " required" : "");
        break;
    case SL_F_ENUM: {
        sl_web_printf(o, "<select name=\"%s\" id=\"%s\"><option value=\"\">— %s —</option>", id,
                      id, SL_D("请选择", "choose"));
        char name[65], label[65];
        for (size_t c = 0; sl_schema_choice(f, c, name, sizeof name, label, sizeof label); c++) {
            bool sel = strcmp(v, name) == 0 || strcmp(v, label) == 0;
            sl_web_printf(o, "<option value=\"%s\"%s>", name, sel ? " selected" : "");
            s_label_name(o, label, name);
            fprintf(o, "</option>");
        }
        fprintf(o, "</select>");
        break;
    }
    case SL_F_REF: {
        sl_web_printf(o, "<select name=\"%s\" id=\"%s\"><option value=\"\">— %s —</option>", id,
                      id, SL_D("请选择", "choose"));
        pick_t p = { .out = o, .selected = v };
        site_store_ref_each(w->store, f->choices, s_ref_option, &p);
        char held[SL_MAX_TEXT_BYTES + 1];
        /* A value typed elsewhere (a name, an old code) stays visible, and
         * is checked on save like any other. */
        if (*v && site_store_ref_get(w->store, f->choices, v, held, sizeof held) != 1)
            sl_web_printf(o, "<option value=\"%s\" selected>%s</option>", v, v);
        fprintf(o, "</select>");
        if (p.n == 0) {
            const sl_refkind_t *k = sl_refkind_find(f->choices);
            char hint[400];
            sl_df(hint, sizeof hint, "本站点还没有收到“%s”参考数据：请先同步%.0s",
                  "%.0sthis site has no %s entries yet: sync first", k ? k->label : f->choices,
                  f->choices);
            sl_web_printf(o, "<div class=\"hint\">%s</div>", hint);
        }
        break;
    }
    case SL_F_ITEM: {
        sl_web_printf(o, "<input type=\"text\" name=\"%s\" id=\"%s\" list=\"dl_%s\" "
                      "placeholder=\"%s\" value=\"%s\"%s>", id, id, f->name,
                      SL_D("#序号", "#seq"), v, f->required ? " required" : "");
        sl_web_printf(o, "<datalist id=\"dl_%s\">", f->name);
        item_pick_t p = { .w = w, .out = o, .types = f->choices };
        site_store_records(w->store, NULL, 20000, s_item_option, &p);
        sl_web_printf(o, "</datalist><div class=\"hint\">%s</div>",
                      SL_D("填写记录序号，如 #12（见“我的记录”）", "the record's number, e.g. #12"));
        break;
    }
    }
}

/* The form of one record type.  values[k] is field k's value (NULL: empty
 * or today for a required date); bad names the field to mark, msg the
 * entry module's sentence. */
static void s_form(site_web_t *w, sl_web_req_t *req, const sl_rtype_t *rt,
                   const char *const *values, const char *bad, const char *msg, const char *back)
{
    FILE *o = sl_web_out(req);
    char today[11];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    /* 民生实事 livelihood practical matter  service_matter: the Chinese
     * and English names on one line; in English the English one */
    if (S_EN)
        sl_web_printf(o, "<h2>%s <span class=\"wire\">%s</span></h2>", rt->label_en, rt->name);
    else
        sl_web_printf(o, "<h2>%s %s <span class=\"wire\">%s</span></h2>", rt->label, rt->label_en,
                      rt->name);
    if (msg && (!bad || !*bad))
        sl_web_printf(o, "<p class=\"flash error\" id=\"form-error\">%s: %s</p>",
                      SL_D("未保存", "not saved"), msg);
    else if (msg)
        sl_web_printf(o, "<p class=\"flash error\" id=\"form-error\">%s</p>",
                      SL_D("未保存：请改正下面标红的字段", "not saved: correct the field marked below"));
    fprintf(o, "<form class=\"entry\" method=\"post\" action=\"/entry\" novalidate>");
    sl_web_csrf_field(req);
    sl_web_printf(o, "<input type=\"hidden\" name=\"type\" value=\"%s\">", rt->name);
    if (back)
        sl_web_printf(o, "<input type=\"hidden\" name=\"back\" value=\"%s\">", back);
    for (size_t k = 0; k < rt->nfields; k++) {
        const sl_field_t *f = &rt->fields[k];
        if (f->legacy_default == NULL && strstr(f->label, "(旧版)"))
            continue;           /* a 0.2.0 field nobody enters any more */
        bool invalid = bad && strcmp(bad, f->name) == 0;
        const char *v = values ? values[k] : NULL;
        if (!values && f->type == SL_F_DATE && f->required)
            v = today;
        /* "上报人类别 reporter_kind", in English the wire name alone */
        sl_web_printf(o, "<div class=\"field%s\" id=\"field-%s\"><label for=\"f_%s\">",
                      invalid ? " invalid" : "", f->name, f->name);
        if (S_EN)
            sl_web_printf(o, "%s", f->name);
        else
            sl_web_printf(o, "%s <span class=\"wire\">%s</span>", f->label, f->name);
        sl_web_printf(o, "%r</label>", f->required ? " <span class=\"req\">*</span>" : "");
        s_field_input(w, req, f, v);
        if (invalid)
            sl_web_printf(o, "<div class=\"msg\" id=\"msg-%s\">%s</div>", f->name, msg);
        fprintf(o, "</div>");
    }
    sl_web_printf(o, "<button type=\"submit\" id=\"save\">%s</button></form>",
                  SL_D("保存", "Save"));
}

static void s_type_chips(sl_web_req_t *req, const sl_rtype_t *current)
{
    FILE *o = sl_web_out(req);
    fprintf(o, "<ul class=\"types\">");
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        if (rt->internal)       /* written by the program (a command's result), not entered */
            continue;
        sl_web_printf(o, "<li><a href=\"/entry?type=%s\"%r>%s</a></li>", rt->name,
                      rt == current ? " class=\"here\"" : "", s_label(rt->label, rt->name));
    }
    fprintf(o, "</ul>");
}

/* A "back" path a form may return to: /record?seq=N only. */
static const char *s_back(const char *v)
{
    return v && strncmp(v, "/record?seq=", 12) == 0 && s_seq(v + 12) ? v : NULL;
}

static void s_entry_page(site_web_t *w, sl_web_req_t *req, const sl_rtype_t *rt,
                         const char *const *values, const char *bad, const char *msg,
                         const char *back)
{
    s_begin(w, req, SL_D("录入", "Entry"), "/entry");
    sl_web_printf(sl_web_out(req), "<h1>%s</h1>", SL_D("录入记录", "Enter a record"));
    s_type_chips(req, rt);
    if (rt)
        s_form(w, req, rt, values, bad, msg, back);
    else
        sl_web_printf(sl_web_out(req), "<p>%s</p>",
                      SL_D("请选择记录类型", "choose the kind of record above."));
    sl_web_page_end(req);
}

/* The field a refusal is about when the entry module did not say: a
 * sentence that starts "name=…" (an unknown #SEQ). */
static const char *s_field_of(const sl_rtype_t *rt, const char *msg)
{
    for (size_t k = 0; k < rt->nfields; k++) {
        size_t n = strlen(rt->fields[k].name);
        if (strncmp(msg, rt->fields[k].name, n) == 0 && msg[n] == '=')
            return rt->fields[k].name;
    }
    return NULL;
}

static void s_entry_post(site_web_t *w, sl_web_req_t *req)
{
    const char *type = sl_web_form(req, "type");
    const sl_rtype_t *rt = type ? sl_schema_find(type, strlen(type)) : NULL;
    if (!rt) {
        sl_web_error_page(req, 400, SL_D("没有这个记录类型", "Unknown record type"),
                          SL_D("表单没有给出有效的记录类型", "the form names no record type this site knows"));
        return;
    }
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS], *shown[SL_MAX_FIELDS];
    size_t n = 0;
    for (size_t k = 0; k < rt->nfields && k < SL_MAX_FIELDS; k++) {
        char key[80];
        snprintf(key, sizeof key, "f_%s", rt->fields[k].name);
        const char *v = sl_web_form(req, key);
        shown[k] = v ? v : "";
        if (v && *v) {
            names[n] = rt->fields[k].name;
            values[n++] = v;
        }
    }
    site_entry_saved_t saved;
    char err[1500];
    const char *field = NULL;
    site_entry_rc_t rc = site_entry_add(w->store, rt, n, names, values, &saved, err, sizeof err,
                                        &field);
    const char *back = s_back(sl_web_form(req, "back"));
    if (rc != SITE_ENTRY_OK) {
        char said[100];
        sl_df(said, sizeof said, "%s 未保存", "%s not saved", rt->name);
        sl_info("web: %s: %s: %s", sl_web_client(req), said, err);
        if (!field)
            field = s_field_of(rt, err);
        /* A refused form is a page like any other (200): browsers log a 4xx
         * as an error, and the page says what is wrong.  A store failure is 500. */
        if (rc != SITE_ENTRY_INVALID)
            sl_web_status(req, 500);
        s_entry_page(w, req, rt, shown, field, err, back);
        return;
    }
    char text[2600], id[SL_ID_TEXT], where[80];
    sl_id_format(saved.id, id);
    snprintf(text, sizeof text, "%s: %s #%llu%s%s", SL_T("已保存", "saved"),
             s_label(rt->label, rt->name), (unsigned long long) saved.seq,
             !saved.warning[0] ? "" : S_EN ? ". note: " : "。注意 note: ", saved.warning);
    char said[300];
    sl_df(said, sizeof said, "已保存 %s #%llu id=%s", "saved %s #%llu id=%s", rt->name,
          (unsigned long long) saved.seq, id);
    sl_info("web: %s: %s", sl_web_client(req), said);
    sl_web_flash(req, saved.warning[0] ? "warn" : "ok", text);
    snprintf(where, sizeof where, "/entry?type=%s", rt->name);
    sl_web_redirect(req, back ? back : where);
}

static void s_entry(site_web_t *w, sl_web_req_t *req)
{
    if (sl_web_is_post(req)) {
        s_entry_post(w, req);
        return;
    }
    const char *type = sl_web_query(req, "type");
    const sl_rtype_t *rt = type ? sl_schema_find(type, strlen(type)) : NULL;
    if (type && !rt) {
        sl_web_error_page(req, 404, SL_D("没有这个记录类型", "Unknown record type"),
                          SL_D("没有这种记录类型", "there is no such record type"));
        return;
    }
    /* Fields given in the query prefill the form (the links of a record's page). */
    const char *values[SL_MAX_FIELDS];
    bool any = false;
    for (size_t k = 0; rt && k < rt->nfields && k < SL_MAX_FIELDS; k++) {
        char key[80];
        snprintf(key, sizeof key, "f_%s", rt->fields[k].name);
        values[k] = sl_web_query(req, key);
        any = any || values[k];
    }
    s_entry_page(w, req, rt ? rt : sl_schema_find("service_matter", 14), any ? values : NULL,
                 NULL, NULL, s_back(sl_web_query(req, "back")));
}

/* ---- my records ---------------------------------------------------------------- */

/* An item's state for people: its status, 已作废 void when void, the stars. */
static void s_state(site_web_t *w, uint64_t seq, char *out, size_t cap, const char **css)
{
    char err[300], name[32], label[64];
    out[0] = 0;
    *css = "";
    if (site_store_item(w->store, seq, w->item, err, sizeof err) != 1)
        return;
    sl_fold_status_name(w->item, w->item->status, name, sizeof name, label, sizeof label);
    if (w->item->voided) {
        snprintf(out, cap, "%s", SL_T("已作废", "void"));
        *css = "bad";
        return;
    }
    snprintf(out, cap, "%s", label[0] ? s_label(label, name) : "");
    if (w->item->ratings)
        snprintf(out + strlen(out), cap - strlen(out), "%s%d★", out[0] ? " " : "", w->item->stars);
    *css = w->item->rt->life && w->item->rt->life->good && strcmp(name, w->item->rt->life->good) == 0
           ? "ok" : "warn";
}

typedef struct {
    site_web_t *w;
    sl_web_req_t *req;
    uint64_t acked;
    int synced;                 /* 0 all, 1 synced, 2 waiting */
    long rows;
    uint64_t last;
    char *content;
} list_t;

static int s_list_row(void *ctx, const site_record_t *rec)
{
    list_t *l = ctx;
    bool synced = rec->seq <= l->acked;
    FILE *o = sl_web_out(l->req);
    char when[32], state[120];
    const char *css;
    s_time(rec->wall_ms, when, sizeof when);
    site_entry_render(l->w->store, rec, l->content, 4096);
    s_state(l->w, rec->seq, state, sizeof state, &css);
    unsigned long long seq = (unsigned long long) rec->seq;
    fprintf(o, "<tr id=\"rec-%llu\"><td class=\"num\"><a href=\"/record?seq=%llu\">#%llu</a></td>",
            seq, seq, seq);
    /* narrow cells: one language or the other */
    sl_web_printf(o, "<td>%s</td><td>%s</td><td>%s</td><td>",
                  rec->rt ? s_label(rec->rt->label, rec->type) : rec->type, when,
                  synced ? SL_E("已同步", "synced") : SL_E("待同步", "waiting"));
    if (state[0])
        sl_web_printf(o, "<span class=\"badge %s\">%s</span>", css, state);
    sl_web_printf(o, "</td><td>%s</td></tr>\n", l->content);
    l->last = rec->seq;
    return ++l->rows >= PAGE_ROWS;
}

static void s_records(site_web_t *w, sl_web_req_t *req)
{
    const char *type = sl_web_query(req, "type"), *q = sl_web_query(req, "q");
    const char *sync = sl_web_query(req, "sync");
    const sl_rtype_t *rt = type && *type ? sl_schema_find(type, strlen(type)) : NULL;
    uint64_t before = s_seq(sl_web_query(req, "before"));
    if (q && strlen(q) > 200)
        q = NULL;
    list_t l = { .w = w, .req = req, .acked = site_store_acked(w->store),
                 .synced = sync && strcmp(sync, "yes") == 0 ? 1
                         : sync && strcmp(sync, "no") == 0 ? 2 : 0,
                 .content = malloc(4096) };
    uint64_t last = site_store_last_seq(w->store);
    s_begin(w, req, SL_D("我的记录", "My records"), "/records");
    FILE *o = sl_web_out(req);
    sl_web_printf(o, "<h1>%s</h1>", SL_D("我的记录", "My records"));
    unsigned long long waiting = last - (l.acked < last ? l.acked : last);
    /* the figures keep their ids in both languages */
    if (S_EN)
        fprintf(o, "<p><b id=\"total\">%llu</b> records here, <b id=\"pending\">%llu</b> waiting "
                "to be synced.</p>", (unsigned long long) last, waiting);
    else
        fprintf(o, "<p>本站点共 <b id=\"total\">%llu</b> 条记录，待同步 <b id=\"pending\">%llu</b> "
                "条。 %llu records here, %llu waiting to be synced.</p>", (unsigned long long) last,
                waiting, (unsigned long long) last, waiting);
    sl_web_printf(o, "<form class=\"filters\" method=\"get\" action=\"/records\">"
                  "<div class=\"field\"><label for=\"type\">%s</label><select name=\"type\" "
                  "id=\"type\"><option value=\"\">%s</option>", SL_D("类型", "type"),
                  SL_D("全部", "all"));
    for (size_t i = 0; i < sl_schema_count(); i++)
        sl_web_printf(o, "<option value=\"%s\"%s>%s</option>", sl_schema_at(i)->name,
                      rt == sl_schema_at(i) ? " selected" : "",
                      s_label(sl_schema_at(i)->label, sl_schema_at(i)->name));
    sl_web_printf(o, "</select></div><div class=\"field\"><label for=\"q\">%s</label>"
                  "<input type=\"search\" name=\"q\" id=\"q\" value=\"%s\"></div>",
                  SL_D("包含文字", "text"), q ? q : "");
    sl_web_printf(o, "<div class=\"field\"><label for=\"sync\">%s</label><select "
                  "name=\"sync\" id=\"sync\"><option value=\"\">%s</option><option "
                  "value=\"no\"%s>%s</option><option value=\"yes\"%s>%s"
                  "</option></select></div><button type=\"submit\">%s</button></form>",
                  SL_D("同步", "synced"), SL_D("全部", "all"), l.synced == 2 ? " selected" : "",
                  SL_D("待同步", "waiting"), l.synced == 1 ? " selected" : "",
                  SL_D("已同步", "synced"), SL_D("筛选", "Filter"));
    static const char *const heads[] = { SL_D("序号", "seq"), SL_D("类型", "type"),
        SL_D("录入时间", "entered"), SL_D("同步", "synced"), SL_D("状态", "state"),
        SL_D("内容", "content") };
    fprintf(o, "<div class=\"scroll\"><table id=\"records\"><thead><tr>");
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        sl_web_printf(o, "<th>%s</th>", heads[i]);
    fprintf(o, "</tr></thead><tbody>\n");
    /* waiting: after the last acknowledged; synced: up to it */
    site_records_filter_t f = { .type = rt ? rt->name : NULL, .before = before, .text = q,
                                .after = l.synced == 2 ? l.acked : 0 };
    if (l.synced == 1 && (!f.before || f.before > l.acked + 1))
        f.before = l.acked + 1;
    int rc = l.content ? site_store_records_before(w->store, &f, 0, s_list_row, &l) : -1;
    fprintf(o, "</tbody></table></div>");
    if (rc)
        sl_web_printf(o, "<p class=\"flash error\">%s</p>",
                      SL_D("无法读取记录", "cannot read the records"));
    else if (l.rows == 0)
        sl_web_printf(o, "<p id=\"none\">%s</p>", SL_D("没有符合条件的记录", "no records match."));
    if (l.rows == PAGE_ROWS && l.last > 1) {
        fprintf(o, "<p><a id=\"older\" href=\"/records?before=%llu", (unsigned long long) l.last);
        if (rt)
            sl_web_printf(o, "&amp;type=%s", rt->name);
        if (q && *q) {
            fputs("&amp;q=", o);
            sl_web_urlenc(o, q);
        }
        if (l.synced)
            fputs(l.synced == 1 ? "&amp;sync=yes" : "&amp;sync=no", o);
        sl_web_printf(o, "\">%s →</a></p>", SL_D("更早的记录", "older records"));
    }
    free(l.content);
    sl_web_page_end(req);
}

/* ---- one record ------------------------------------------------------------------ */

/* One field's value for people: a reference with its name, a record as a link. */
static void s_value(site_web_t *w, FILE *o, const sl_field_t *f, const char *text)
{
    if (f->type == SL_F_ITEM) {
        uint8_t id[SL_ID_BYTES];
        site_record_t ref;
        if (sl_id_parse(text, id) == 0 && site_store_record(w->store, id, &ref) == 0 && ref.rt) {
            char title[300] = "";
            uint64_t seq = ref.seq;
            const char *label = s_label(ref.rt->label, ref.rt->name);
            if (ref.rt->title_field)
                sl_schema_field_text(ref.rt, ref.payload, ref.len, ref.rt->title_field, title,
                                     sizeof title);
            fprintf(o, "<a href=\"/record?seq=%llu\">#%llu</a> ", (unsigned long long) seq,
                    (unsigned long long) seq);
            sl_web_printf(o, "%s %s", label, title);
            site_store_release(w->store);
            return;
        }
        site_store_release(w->store);
    }
    if (f->type == SL_F_ENUM) {
        char name[65], label[65];
        for (size_t c = 0; sl_schema_choice(f, c, name, sizeof name, label, sizeof label); c++)
            if (strcmp(name, text) == 0) {
                if (!S_EN)      /* "快递员 courier"; in English the wire name alone */
                    sl_web_printf(o, "%s ", label);
                break;
            }
    }
    sl_web_esc(o, text);
    if (f->type == SL_F_REF && *text) {
        char value[SL_MAX_TEXT_BYTES + 1], name[400];
        if (site_store_ref_get(w->store, f->choices, text, value, sizeof value) == 1
            && sl_refvalue_field(value, strlen(value), "name", name, sizeof name) == 1)
            sl_web_printf(o, " %s", name);
    }
}

/* The forms of what may be done to an item now. */
static void s_actions(site_web_t *w, sl_web_req_t *req, const sl_rtype_t *rt, uint64_t seq,
                      const sl_item_t *it)
{
    FILE *o = sl_web_out(req);
    char back[40], today[11], name[32], label[64];
    snprintf(back, sizeof back, "/record?seq=%llu", (unsigned long long) seq);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
#define FORM_HEAD(id, type, title) \
    do { \
        sl_web_printf(o, "<form method=\"post\" action=\"/entry\" id=\"" id "\" novalidate>" \
                      "<h2>%s</h2>", title); \
        sl_web_csrf_field(req); \
        fprintf(o, "<input type=\"hidden\" name=\"type\" value=\"" type "\">" \
                "<input type=\"hidden\" name=\"f_item\" value=\"#%llu\">" \
                "<input type=\"hidden\" name=\"back\" value=\"%s\">", \
                (unsigned long long) seq, back); \
    } while (0)
    fprintf(o, "<div class=\"actions\">");
    if (rt->life && it && !it->voided) {
        sl_fold_status_name(it, it->status, name, sizeof name, label, sizeof label);
        size_t moves = 0;
        for (size_t m = 0; m < rt->life->nmoves; m++)
            moves += strcmp(rt->life->moves[m].from, name) == 0;
        if (moves) {
            FORM_HEAD("act-update", "update", SL_D("更新状态", "Update status"));
            sl_web_printf(o, "<div class=\"field\"><label for=\"u_status\">%s</label>"
                          "<select name=\"f_status\" id=\"u_status\">",
                          SL_D("新状态", "new status"));
            for (size_t m = 0; m < rt->life->nmoves; m++) {
                const sl_move_t *mv = &rt->life->moves[m];
                if (strcmp(mv->from, name) != 0)
                    continue;
                int idx = sl_schema_index(rt->life->statuses, mv->to, strlen(mv->to));
                char to_label[64] = "";
                sl_schema_part(rt->life->labels, (size_t) idx, to_label, sizeof to_label);
                sl_web_printf(o, "<option value=\"%s\">", mv->to);
                s_label_name(o, to_label, mv->to);
                sl_web_printf(o, "%s</option>", !mv->needs ? ""
                              : strcmp(mv->needs, "note") == 0
                              ? SL_E("（需说明 needs a note）", " (needs a note)")
                              : SL_E("（需责任单位或党员 needs a unit or member）",
                                     " (needs a unit or member)"));
            }
            sl_web_printf(o, "</select></div><div class=\"field\"><label for=\"u_on\">%s"
                          "</label><input type=\"date\" name=\"f_on\" id=\"u_on\" value=\"%s\">"
                          "</div>", SL_D("日期", "date"), today);
            const sl_rtype_t *up = sl_schema_find("update", 6);
            for (size_t k = 0; up && k < up->nfields; k++)
                if (up->fields[k].type == SL_F_REF) {
                    sl_web_printf(o, "<div class=\"field\"><label for=\"f_%s\">%s</label>",
                                  up->fields[k].name,
                                  s_label(up->fields[k].label, up->fields[k].name));
                    s_field_input(w, req, &up->fields[k], NULL);
                    fprintf(o, "</div>");
                }
            sl_web_printf(o, "<div class=\"field\"><label for=\"u_note\">%s</label><input "
                          "type=\"text\" name=\"f_note\" id=\"u_note\" maxlength=\"500\"></div>"
                          "<button type=\"submit\">%s</button></form>", SL_D("说明", "note"),
                          SL_D("保存进展", "Save"));
        }
        if (rt->life->good && strcmp(name, rt->life->good) == 0) {
            FORM_HEAD("act-rate", "rating", SL_D("一事一评", "Rate"));
            sl_web_printf(o, "<div class=\"field\"><label for=\"r_stars\">%s</label><select "
                          "name=\"f_stars\" id=\"r_stars\"><option value=\"5\">★★★★★ 5 %s</option>"
                          "<option value=\"4\">★★★★ 4</option><option value=\"3\">★★★ 3</option>"
                          "<option value=\"2\">★★ 2</option><option value=\"1\">★ 1 %s</option>"
                          "</select></div><div class=\"field\"><label for=\"r_comment\">%s"
                          "</label><input type=\"text\" name=\"f_comment\" id=\"r_comment\" "
                          "maxlength=\"500\"></div>", SL_D("星级", "stars"), SL_E("好", "good"),
                          SL_E("差", "poor"), SL_D("评语", "comment"));
            sl_web_printf(o, "<div class=\"field\"><label for=\"r_on\">%s</label><input "
                          "type=\"date\" name=\"f_on\" id=\"r_on\" value=\"%s\"></div>"
                          "<button type=\"submit\">%s</button></form>", SL_D("日期", "date"), today,
                          SL_D("保存评价", "Save"));
        }
    }
    if (it && !it->voided) {
        FORM_HEAD("act-correct", "correction", SL_D("更正", "Correct a field"));
        sl_web_printf(o, "<div class=\"field\"><label for=\"c_field\">%s</label><select "
                      "name=\"f_field\" id=\"c_field\">", SL_D("字段", "field"));
        for (size_t k = 0; k < rt->nfields; k++) {
            const sl_field_t *f = &rt->fields[k];
            if (strcmp(f->name, "status") == 0 || f->type == SL_F_ITEM || strstr(f->label, "(旧版)"))
                continue;
            sl_web_printf(o, "<option value=\"%s\">", f->name);
            s_label_name(o, f->label, f->name);
            fprintf(o, "</option>");
        }
        sl_web_printf(o, "</select></div><div class=\"field\"><label for=\"c_value\">%s"
                      "</label><input type=\"text\" name=\"f_value\" id=\"c_value\" "
                      "maxlength=\"1000\"><div class=\"hint\">%s</div></div><div class=\"field\">"
                      "<label for=\"c_reason\">%s</label><input type=\"text\" name=\"f_reason\" "
                      "id=\"c_reason\" maxlength=\"500\"></div><button type=\"submit\">%s</button>"
                      "</form>", SL_D("新值", "new value"),
                      SL_D("留空表示清除（必填字段不能清除）", "empty clears an optional field"),
                      SL_D("原因", "reason"), SL_D("保存更正", "Save"));
    }
    if (!it || !it->voided) {
        FORM_HEAD("act-void", "void", SL_D("作废", "Void"));
        sl_web_printf(o, "<p class=\"hint\">%s</p><div class=\"field\"><label "
                      "for=\"v_reason\">%s</label><input type=\"text\" name=\"f_reason\" "
                      "id=\"v_reason\" maxlength=\"500\"></div><button type=\"submit\" "
                      "class=\"danger\">%s</button></form>",
                      SL_D("作废后这条记录不再计入任何统计；历史保留。", "A void removes the record from "
                           "every figure; history is kept."), SL_D("原因", "reason"),
                      SL_D("作废", "Void"));
    }
    fprintf(o, "</div>");
#undef FORM_HEAD
}

static void s_record(site_web_t *w, sl_web_req_t *req)
{
    uint64_t seq = s_seq(sl_web_query(req, "seq"));
    uint8_t id[SL_ID_BYTES];
    site_record_t rec;
    if (!seq || site_store_id_of(w->store, seq, id) || site_store_record(w->store, id, &rec) != 0) {
        site_store_release(w->store);
        sl_web_error_page(req, 404, SL_D("没有这条记录", "No such record"),
                          SL_D("本站点没有这个序号的记录", "this site has no record with that number"));
        return;
    }
    /* Copy what is shown: the record's pointers end at the next read. */
    const sl_rtype_t *rt = rec.rt;
    char type[SL_MAX_NAME_BYTES + 1], idtext[SL_ID_TEXT], when[32];
    snprintf(type, sizeof type, "%s", rec.type);
    sl_id_format(rec.id, idtext);
    s_time(rec.wall_ms, when, sizeof when);
    size_t nf = rt ? rt->nfields : 0;
    char (*texts)[SL_MAX_TEXT_BYTES + 1] = calloc(nf ? nf : 1, sizeof *texts);
    for (size_t k = 0; texts && k < nf; k++)
        sl_schema_field_text(rt, rec.payload, rec.len, rt->fields[k].name, texts[k],
                             sizeof texts[k]);
    site_store_release(w->store);
    char title[200];
    snprintf(title, sizeof title, "#%llu %s", (unsigned long long) seq,
             rt ? s_type_heading(rt) : type);
    s_begin(w, req, title, "/records");
    FILE *o = sl_web_out(req);
    sl_web_printf(o, "<h1 id=\"title\">%s</h1><dl class=\"kv\" id=\"fields\">", title);
    for (size_t k = 0; texts && k < nf; k++) {
        if (!texts[k][0])
            continue;
        sl_web_printf(o, "<dt>%s</dt><dd id=\"v-%s\">",
                      s_label(rt->fields[k].label, rt->fields[k].name), rt->fields[k].name);
        s_value(w, o, &rt->fields[k], texts[k]);
        fprintf(o, "</dd>");
    }
    uint64_t acked = site_store_acked(w->store);
    sl_web_printf(o, "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd></dl>",
                  SL_D("录入时间", "entered"), when, SL_D("同步", "synced"),
                  seq <= acked ? SL_D("已同步", "synced") : SL_D("待同步", "waiting"),
                  SL_D("编号", "id"), idtext);
    free(texts);
    char err[300];
    int item = rt ? site_store_item(w->store, seq, w->item, err, sizeof err) : 0;
    if (item == 1) {
        char state[120];
        const char *css;
        s_state(w, seq, state, sizeof state, &css);
        sl_web_printf(o, "<h2>%s</h2><p><span class=\"badge %s\" id=\"state\">%s</span>",
                      SL_D("状态", "State"), css, state[0] ? state : "—");
        if (w->item->unit[0] || w->item->member[0])
            sl_web_printf(o, " %s: %s %s", SL_D("责任", "responsible"), w->item->unit,
                          w->item->member);
        fprintf(o, "</p>");
        if (w->item->nkids) {
            sl_web_printf(o, "<h2>%s</h2><ul id=\"history\">", SL_D("历史", "History"));
            for (size_t i = 0; i < w->item->nkids; i++) {
                const sl_kid_t *kid = &w->item->kids[i];
                fprintf(o, "<li><a href=\"/record?seq=%llu\">#%llu</a>", (unsigned long long) kid->seq,
                        (unsigned long long) kid->seq);
                sl_web_printf(o, "%s</li>",
                              kid->voided ? SL_E(" （已作废 void）", " (void)") : "");
            }
            fprintf(o, "</ul>");
        }
    } else if (item < 0) {
        sl_web_printf(o, "<p class=\"flash error\">%s</p>", err);
    }
    if (rt)
        s_actions(w, req, rt, seq, item == 1 ? w->item : NULL);
    sl_web_page_end(req);
}

/* ---- import ---------------------------------------------------------------------- */

static void s_import_form(site_web_t *w, sl_web_req_t *req, const char *msg)
{
    s_begin(w, req, SL_D("导入", "Import"), "/import");
    FILE *o = sl_web_out(req);
    sl_web_printf(o, "<h1>%s</h1><p>%s</p>", SL_D("从表格导入", "Import from a spreadsheet"),
                  SL_D("第一行是字段名（中文或英文），每一行是一条记录。先预览，确认后一次全部保存；"
                       "有一行不对就一条也不保存。", "The first row names the fields (Chinese or "
                       "English); each row is a record.  Preview first; then every row is saved "
                       "at once, or none."));
    if (msg)
        sl_web_printf(o, "<p class=\"flash error\" id=\"import-error\">%s</p>", msg);
    fprintf(o, "<form class=\"entry\" method=\"post\" action=\"/import\" "
            "enctype=\"multipart/form-data\" novalidate>");
    sl_web_csrf_field(req);
    sl_web_printf(o, "<input type=\"hidden\" name=\"step\" value=\"preview\"><div class=\"field\">"
                  "<label for=\"type\">%s</label><select name=\"type\" id=\"type\">",
                  SL_D("记录类型", "record type"));
    for (size_t i = 0; i < sl_schema_count(); i++) {
        if (sl_schema_at(i)->internal)
            continue;
        sl_web_printf(o, "<option value=\"%s\">", sl_schema_at(i)->name);
        s_label_name(o, sl_schema_at(i)->label, sl_schema_at(i)->name);
        fprintf(o, "</option>");
    }
    sl_web_printf(o, "</select></div><div class=\"field\"><label for=\"file\">CSV %s</label>"
                  "<input type=\"file\" name=\"file\" id=\"file\" accept=\".csv,.txt,text/csv\">"
                  "</div><button type=\"submit\" id=\"preview\">%s</button></form>",
                  SL_D("文件", "file"), SL_D("预览", "Preview"));
    sl_web_page_end(req);
}

/* The line a refusal of the entry module names ("第 3 行", in English
 * "line 3"), or 0. */
static long s_error_line(const char *err)
{
    const char *p = strstr(err, "第 ");
    if (p)
        return strtol(p + strlen("第 "), NULL, 10);
    p = strstr(err, "line ");
    return p ? strtol(p + strlen("line "), NULL, 10) : 0;
}

/* Checks one row as entry would build it: types, ranges, choices, the
 * references this site holds.  The fold's rules are checked at import. */
static int s_check_row(site_web_t *w, const sl_rtype_t *rt, size_t n, char **heads, char **cells,
                       char *err, size_t errlen)
{
    const char *vals[SL_MAX_FIELDS];
    char ids[SL_MAX_FIELDS][SL_ID_TEXT];
    for (size_t k = 0; k < n; k++) {
        vals[k] = cells[k];
        const sl_field_t *f = sl_schema_field_entry(rt, heads[k]);
        uint8_t id[SL_ID_BYTES];
        if (f && f->type == SL_F_ITEM && cells[k][0] == '#') {
            uint64_t seq = s_seq(cells[k] + 1);
            if (!seq || site_store_id_of(w->store, seq, id)) {
                snprintf(err, errlen, "%s=%s%s", heads[k], cells[k],
                         S_EN ? ": this site has no such record"
                              : "：本站点没有这条记录 this site has no such record");
                return -1;
            }
            sl_id_format(id, ids[k]);
            vals[k] = ids[k];
        }
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int rc = sl_schema_build(rt, n, (const char *const *) heads, vals, &buf,
                             site_store_lookup(w->store), err, errlen, NULL);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* The preview: headings, rows, what is wrong with each; the import button
 * when nothing is.  err_line/err_text: the import's own refusal. */
static void s_preview(site_web_t *w, sl_web_req_t *req, const sl_rtype_t *rt, const char *data,
                      size_t len, const char *fname, long err_line, const char *err_text)
{
    char err[1200], enc[40];
    size_t tlen = 0;
    char *text = NULL;
    /* Read as the import reads it (client/site_entry.c): any encoding
     * sl_csv_decode knows, commas or Excel's tabs. */
    if (sl_csv_decode(data, len, &text, &tlen, enc, sizeof enc, err, sizeof err)) {
        s_import_form(w, req, err);
        return;
    }
    FILE *f = fmemopen(text, tlen ? tlen : 1, "r");
    sl_csv_t *csv = f ? sl_csv_from_file(f) : NULL;
    if (csv)
        sl_csv_set_separator(csv, sl_csv_guess_separator(text, tlen));
    enum { CAP = 65536 };
    char *head_buf = malloc(CAP), *row_buf = malloc(CAP);
    char *heads[SL_MAX_FIELDS], *cells[SL_MAX_FIELDS];
    int nh = csv && head_buf && row_buf && tlen
             ? sl_csv_row(csv, heads, SL_MAX_FIELDS, head_buf, CAP, err, sizeof err) : -1;
    s_begin(w, req, SL_D("导入预览", "Import preview"), "/import");
    FILE *o = sl_web_out(req);
    sl_web_printf(o, "<h1>%s: %s</h1>", SL_D("导入预览", "Import preview"), s_type_heading(rt));
    if (S_EN)
        sl_web_printf(o, "<p>file: <b>%s</b>, encoding: %s, type: %s</p>", fname, enc, rt->name);
    else
        sl_web_printf(o, "<p>文件 file: <b>%s</b>，编码 encoding: %s，记录类型 type: %s %s</p>", fname,
                      enc, rt->label, rt->name);
    if (err_text)
        sl_web_printf(o, "<p class=\"flash error\" id=\"import-error\">%s: %s</p>",
                      SL_D("没有保存任何记录", "nothing was saved"), err_text);
    long rows = 0, bad = 0;
    if (nh <= 0) {
        sl_web_printf(o, "<p class=\"flash error\" id=\"import-error\">%s</p>",
                      nh == 0 || !tlen ? SL_D("文件是空的：第一行应为字段名", "the file is empty: "
                                              "the first row must name the fields") : err);
        bad = 1;
    } else {
        sl_web_printf(o, "<div class=\"scroll\"><table id=\"preview\"><thead><tr><th>%s</th>",
                      SL_D("行", "line"));
        for (int k = 0; k < nh; k++) {
            const sl_field_t *fd = sl_schema_field_entry(rt, heads[k]);
            if (fd && S_EN)
                sl_web_printf(o, "<th><span class=\"wire\">%s</span></th>", fd->name);
            else if (fd)
                sl_web_printf(o, "<th>%s<br><span class=\"wire\">%s</span></th>", fd->label,
                              fd->name);
            else
                sl_web_printf(o, "<th class=\"rowerr\">%s<br>%s</th>", heads[k],
                              SL_D("未知字段", "unknown field"));
        }
        sl_web_printf(o, "<th>%s</th></tr></thead><tbody>\n", SL_D("检查", "check"));
        int nc;
        char why[1200];
        while ((nc = sl_csv_row(csv, cells, SL_MAX_FIELDS, row_buf, CAP, why, sizeof why)) > 0) {
            long line = sl_csv_line(csv);
            if (nc == 1 && cells[0][0] == 0)
                continue;
            rows++;
            int rc = nc != nh ? (sl_tf(err, sizeof err, "有 %d 列，标题行有 %d 列",
                                       "%d fields, the header has %d", nc, nh), -1)
                              : s_check_row(w, rt, (size_t) nh, heads, cells, err, sizeof err);
            bool import_bad = err_line == line;
            if (rc || import_bad)
                bad++;
            if (rows > PREVIEW_ROWS && !rc && !import_bad)
                continue;
            fprintf(o, "<tr id=\"line-%ld\"%s><td class=\"num\">%ld</td>", line,
                    rc || import_bad ? " class=\"bad\"" : "", line);
            for (int k = 0; k < nh; k++)
                sl_web_printf(o, "<td>%s</td>", k < nc ? cells[k] : "");
            if (rc || import_bad) {
                char where[60];
                sl_tf(where, sizeof where, "第 %ld 行", "line %ld", line);
                sl_web_printf(o, "<td class=\"rowerr\" id=\"err-%ld\">%s: %s</td>", line, where,
                              rc ? err : err_text);
            }
            else
                fprintf(o, "<td>✓</td>");
            fprintf(o, "</tr>\n");
        }
        fprintf(o, "</tbody></table></div>");
        if (nc < 0) {
            sl_web_printf(o, "<p class=\"flash error\">%s</p>", why);
            bad++;
        }
        if (rows > PREVIEW_ROWS) {
            char shown[300];
            sl_tf(shown, sizeof shown, "只显示前 %d 行和有错误的行", "only the first %d rows and the "
                  "rows with errors are shown.", PREVIEW_ROWS);
            sl_web_printf(o, "<p>%s</p>", shown);
        }
    }
    if (bad) {
        char blocked[400];
        sl_tf(blocked, sizeof blocked, "有 %ld 处错误：请在表格中改正标红的行后重新上传；没有保存任何记录。",
              "%ld problem(s): correct the rows marked red in the spreadsheet and upload it again; "
              "nothing was saved.", bad);
        sl_web_printf(o, "<p class=\"flash error\" id=\"import-blocked\">%s</p>", blocked);
        sl_web_printf(o, "<p><a class=\"button\" href=\"/import\">%s</a></p>",
                      SL_D("重新选择文件", "choose a file"));
    } else {
        size_t b64cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(b64cap);
        if (b64) {
            sodium_bin2base64(b64, b64cap, (const unsigned char *) data, len,
                              sodium_base64_VARIANT_ORIGINAL);
            fprintf(o, "<form method=\"post\" action=\"/import\" id=\"confirm\">");
            sl_web_csrf_field(req);
            char passed[200], button[200];
            sl_tf(passed, sizeof passed, "预检通过 %ld 行", "%ld rows passed the pre-check.", rows);
            sl_tf(button, sizeof button, "确认导入 %ld 条", "Import %ld records", rows);
            sl_web_printf(o, "<input type=\"hidden\" name=\"step\" value=\"import\">"
                          "<input type=\"hidden\" name=\"type\" value=\"%s\">"
                          "<input type=\"hidden\" name=\"name\" value=\"%s\">"
                          "<input type=\"hidden\" name=\"data\" value=\"%s\">"
                          "<p>%s</p><button type=\"submit\" id=\"import\">%s</button> "
                          "<a href=\"/import\">%s</a></form>", rt->name, fname, b64, passed, button,
                          SL_D("取消", "cancel"));
            free(b64);
        }
    }
    sl_web_page_end(req);
    sl_csv_destroy(&csv);
    if (f)
        fclose(f);
    free(head_buf);
    free(row_buf);
    free(text);
}

static void s_import(site_web_t *w, sl_web_req_t *req)
{
    if (!sl_web_is_post(req)) {
        s_import_form(w, req, NULL);
        return;
    }
    const char *type = sl_web_form(req, "type"), *step = sl_web_form(req, "step");
    const sl_rtype_t *rt = type ? sl_schema_find(type, strlen(type)) : NULL;
    if (!rt || !step) {
        sl_web_status(req, 400);
        s_import_form(w, req, SL_D("请选择记录类型和文件", "choose a record type and a file"));
        return;
    }
    if (strcmp(step, "preview") == 0) {
        size_t len = 0;
        const char *fname = NULL;
        const char *data = sl_web_file(req, "file", &len, &fname);
        if (!data || !fname || !*fname) {
            s_import_form(w, req, SL_D("没有选择文件", "no file was chosen"));
            return;
        }
        s_preview(w, req, rt, data, len, fname, 0, NULL);
        return;
    }
    const char *b64 = sl_web_form(req, "data"), *fname = sl_web_form(req, "name");
    size_t cap = b64 ? strlen(b64) : 0, len = 0;
    unsigned char *bytes = malloc(cap + 1);
    if (!bytes || !b64 || !fname
        || sodium_base642bin(bytes, cap + 1, b64, cap, NULL, &len, NULL,
                             sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(bytes);
        sl_web_status(req, 400);
        s_import_form(w, req, SL_D("导入的数据不完整，请重新上传", "the import's data is damaged; "
                                   "upload the file again"));
        return;
    }
    char err[1500];
    /* The file's bytes as uploaded: the entry module decodes them, checks
     * every row and saves all or none, as `record import` does. */
    FILE *f = fmemopen(bytes, len ? len : 1, "r");
    site_entry_import_opts_t opts = { .file_name = fname };
    site_entry_import_t res;
    memset(&res, 0, sizeof res);
    site_entry_rc_t rc = f && len ? site_entry_import(w->store, rt, f, &opts, &res, err,
                                                      sizeof err)
                                  : SITE_ENTRY_INVALID;
    if (!f || !len)
        snprintf(err, sizeof err, "%s", SL_T("文件是空的", "the file is empty"));
    if (f)
        fclose(f);
    long rows = res.rows;
    if (rc == SITE_ENTRY_OK) {
        char msg[300], said[400];
        if (S_EN)
            snprintf(msg, sizeof msg, "imported: %ld %s records from %s", rows, rt->name, fname);
        else
            snprintf(msg, sizeof msg, "已导入 imported: %ld 条%s records from %s", rows, rt->label,
                     fname);
        sl_df(said, sizeof said, "导入了 %ld 条 %s 记录（来自 %s）", "imported %ld %s records from %s",
              rows, rt->name, fname);
        sl_info("web: %s: %s", sl_web_client(req), said);
        sl_web_flash(req, "ok", msg);
        char where[80];
        snprintf(where, sizeof where, "/records?type=%s", rt->name);
        sl_web_redirect(req, where);
    } else {
        char said[400];
        sl_df(said, sizeof said, "导入 %s 被拒绝", "import of %s refused", fname);
        sl_info("web: %s: %s: %s", sl_web_client(req), said, err);
        s_preview(w, req, rt, (const char *) bytes, len, fname, s_error_line(err), err);
    }
    free(bytes);
}

/* ---- sync ------------------------------------------------------------------------ */

static void *s_sync_thread(void *arg)
{
    site_web_t *w = arg;
    char err[600];
    site_sync_report_t r;
    memset(&r, 0, sizeof r);
    site_sync_result_t res = SITE_SYNC_FAILED;
    site_store_t *store = site_store_open(w->data_dir, err, sizeof err);
    if (store) {
        site_sync_opts_t so = { .connect_timeout_ms = 10000, .data_dir = w->data_dir };
        res = site_sync_run(store, &so, &r);
        site_store_destroy(&store);
    } else {
        snprintf(r.text, sizeof r.text, "%s", err);
    }
    pthread_mutex_lock(&w->lock);
    w->syncing = false;
    w->sync_result = (int) res;
    snprintf(w->sync_text, sizeof w->sync_text, "%s", r.text);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* How long ago, in words. */
static void s_ago(int64_t ms, char *out, size_t cap)
{
    int64_t s = (int64_t) time(NULL) - ms / 1000;
    if (ms <= 0)
        snprintf(out, cap, "%s", SL_T("从未", "never"));
    else if (s < 120)
        snprintf(out, cap, "%s", SL_T("刚才", "just now"));
    else if (s < 7200)
        snprintf(out, cap, S_EN ? "%lld minutes ago" : "%lld 分钟前 minutes ago", (long long) s / 60);
    else if (s < 172800)
        snprintf(out, cap, S_EN ? "%lld hours ago" : "%lld 小时前 hours ago", (long long) s / 3600);
    else
        snprintf(out, cap, S_EN ? "%lld days ago" : "%lld 天前 days ago", (long long) s / 86400);
}

static void s_sync(site_web_t *w, sl_web_req_t *req)
{
    if (sl_web_is_post(req)) {
        pthread_mutex_lock(&w->lock);
        bool busy = w->syncing;
        pthread_mutex_unlock(&w->lock);
        if (!busy) {
            if (w->thread_started)
                pthread_join(w->thread, NULL);
            w->syncing = true;
            w->sync_text[0] = 0;
            w->thread_started = pthread_create(&w->thread, NULL, s_sync_thread, w) == 0;
            if (!w->thread_started) {
                w->syncing = false;
                sl_web_flash(req, "error", SL_T("无法开始同步", "cannot start a sync"));
            }
            sl_info("web: %s: %s", sl_web_client(req), SL_D("立即同步", "sync now"));
        }
        sl_web_redirect(req, "/sync");
        return;
    }
    pthread_mutex_lock(&w->lock);
    bool busy = w->syncing;
    int result = w->sync_result;
    char text[sizeof w->sync_text];
    snprintf(text, sizeof text, "%s", w->sync_text);
    pthread_mutex_unlock(&w->lock);
    uint64_t last = site_store_last_seq(w->store), acked = site_store_acked(w->store);
    uint64_t pending = last > acked ? last - acked : 0;
    char ok_ms[32], att_ms[32], res[SITE_SYNC_TEXT_MAX], when_ok[40], ago_ok[60], when_att[40];
    site_store_meta(w->store, "last_sync_ok_ms", ok_ms, sizeof ok_ms);
    site_store_meta(w->store, "last_sync_attempt_ms", att_ms, sizeof att_ms);
    site_store_meta(w->store, "last_sync_result", res, sizeof res);
    s_time(atoll(ok_ms), when_ok, sizeof when_ok);
    s_ago(atoll(ok_ms), ago_ok, sizeof ago_ok);
    s_time(atoll(att_ms), when_att, sizeof when_att);
    s_begin(w, req, SL_D("同步", "Sync"), "/sync");
    FILE *o = sl_web_out(req);
    if (busy)
        fprintf(o, "<meta http-equiv=\"refresh\" content=\"2\">");
    sl_web_printf(o, "<h1>%s</h1>", SL_D("同步", "Sync"));
    /* One sentence first: is all well, and if not, what to do. */
    const char *css, *say;
    bool ok_last = strcmp(res, "ok") == 0;
    if (busy) {
        css = "warn";
        say = SL_D("正在同步，请稍候……", "A sync is running; this page refreshes by itself.");
    } else if (!ok_ms[0] && !att_ms[0]) {
        css = "warn";
        say = SL_D("本站点还没有同步过。连上网络后点“立即同步”。记录已安全保存在本机。", "This site has "
                   "never synced: when the network is there, press Sync now. Records are safe on "
                   "this computer.");
    } else if (ok_last && pending == 0) {
        css = "ok";
        say = SL_D("一切正常：全部记录都已同步到区里。", "All is well: every record has reached the "
                   "district.");
    } else if (ok_last) {
        css = "warn";
        say = SL_D("有新记录等待同步：点“立即同步”。", "New records are waiting: press Sync now.");
    } else {
        css = "error";
        say = SL_D("上次同步没有成功。记录已安全保存在本机，不会丢失；请检查网络后再点“立即同步”，"
                   "仍不成功请联系区里。", "The last sync failed. Records are safe on this "
                   "computer; check the network and press Sync now again, or call the district.");
    }
    sl_web_printf(o, "<p class=\"flash %s big\" id=\"sync-state\">%s</p>", css, say);
    sl_web_printf(o, "<dl class=\"kv\"><dt>%s</dt><dd id=\"waiting\">%llu %s</dd>"
                  "<dt>%s</dt><dd>%llu</dd><dt>%s</dt><dd id=\"last-ok\">%s%r%s%r</dd>",
                  SL_D("待同步", "waiting"), (unsigned long long) pending, SL_D("条", "records"),
                  SL_D("本地记录", "local records"), (unsigned long long) last,
                  SL_D("最近成功同步", "last successful sync"), when_ok, S_EN ? " (" : "（", ago_ok,
                  S_EN ? ")" : "）");
    sl_web_printf(o, "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd id=\"last-result\">%s</dd>"
                  "<dt>%s</dt><dd>%ld</dd><dt>%s</dt><dd>%s</dd></dl>",
                  SL_D("最近尝试", "last attempt"), when_att, SL_D("最近结果", "last result"),
                  res[0] ? res : "-", SL_D("参考数据", "reference entries"),
                  site_store_refdata_count(w->store), SL_D("区服务器", "server"),
                  site_store_server(w->store));
    if (!busy && text[0])
        sl_web_printf(o, "<p class=\"flash %s\" id=\"sync-now-result\">%s: %s</p>",
                      result == SITE_SYNC_OK ? "ok" : "error", SL_D("本次同步", "this sync"), text);
    fprintf(o, "<form method=\"post\" action=\"/sync\">");
    sl_web_csrf_field(req);
    sl_web_printf(o, "<button type=\"submit\" id=\"sync-now\"%r>%s</button></form>",
                  busy ? " disabled" : "", SL_D("立即同步", "Sync now"));
    sl_web_page_end(req);
}

/* ---- login (only beyond this computer) ------------------------------------------- */

static void s_login(site_web_t *w, sl_web_req_t *req)
{
    const char *msg = NULL;
    if (sl_web_is_post(req)) {
        const char *pw = sl_web_form(req, "password");
        if (sl_web_login_blocked(req)) {
            sl_web_status(req, 429);
            msg = SL_WEB_LOGIN_BLOCKED;
        } else if (pw && sl_web_check_password(w->pwhash, pw)) {
            sl_info("web: %s: %s", sl_web_client(req), SL_D("已登录", "logged in"));
            sl_web_set_user(req, "site");
            sl_web_redirect(req, "/entry");
            return;
        } else {
            sl_web_login_failed(req);
            sl_info("web: %s: %s", sl_web_client(req), SL_D("密码不对", "wrong password"));
            msg = SL_D("密码不对", "wrong password");
        }
    }
    sl_web_login_page(req, SL_E("双进双联 社区站点", "shuanglian community site"),
                      SL_D("登录", "Log in"), NULL, msg);
}

static void s_handle(void *ctx, sl_web_req_t *req)
{
    site_web_t *w = ctx;
    const char *path = sl_web_path(req);
    if (sl_web_csrf_refused(req))
        return;
    if (strcmp(path, "/login") == 0 && w->need_login) {
        s_login(w, req);
        return;
    }
    if (w->need_login && !*sl_web_user(req)) {
        sl_web_redirect(req, "/login");
        return;
    }
    if (strcmp(path, "/logout") == 0) {
        sl_web_set_user(req, "");
        sl_web_redirect(req, w->need_login ? "/login" : "/entry");
    } else if (strcmp(path, "/") == 0)
        sl_web_redirect(req, "/entry");
    else if (strcmp(path, "/entry") == 0)
        s_entry(w, req);
    else if (strcmp(path, "/records") == 0)
        s_records(w, req);
    else if (strcmp(path, "/record") == 0)
        s_record(w, req);
    else if (strcmp(path, "/import") == 0)
        s_import(w, req);
    else if (strcmp(path, "/sync") == 0)
        s_sync(w, req);
    else
        sl_web_error_page(req, 404, SL_D("没有这个页面", "Not found"),
                          SL_D("没有这个页面", "there is no such page"));
}

/* ---- the verb ---------------------------------------------------------------------- */

static int s_passwd(const char *data)
{
    char err[600], pw[256], hash[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0)
        return SL_EXIT_FAIL;
    site_store_t *store = site_store_open(data, err, sizeof err);
    if (!store) {
        fprintf(stderr, PROG " passwd: %s\n", err);
        return SL_EXIT_FAIL;
    }
    int rc = sl_web_read_password(PROG " passwd", pw, sizeof pw) ? SL_EXIT_USAGE : 0;
    if (!rc && (sl_web_hash_password(pw, hash, sizeof hash)
                || site_store_set_meta(store, META_PASSWORD, hash))) {
        fprintf(stderr, PROG " passwd: %s\n", SL_T("无法保存密码", "cannot save the password"));
        rc = SL_EXIT_FAIL;
    }
    sodium_memzero(pw, sizeof pw);
    site_store_destroy(&store);
    if (!rc)
        printf("%s\n", SL_T("网页密码已设置", "web password set: restart '" PROG "' for it to take "
                            "effect"));
    return rc;
}

int site_web_main(int argc, char **argv)
{
    const char *data = DEFAULT_DATA, *listen = DEFAULT_LISTEN;
    bool login = false;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("站点数据目录（默认 " DEFAULT_DATA "）", "site data directory (default " DEFAULT_DATA ")"), &data, NULL },
        { "--listen", "HOST:PORT", SL_D("网页在哪里提供（默认 " DEFAULT_LISTEN "，只限本机）；别的地址需要密码（web passwd）", "where the page is served (default " DEFAULT_LISTEN ", this "
          "computer only); another address needs a password (web passwd)"), &listen, NULL },
        { "--login", NULL, SL_D("在本机也要输入密码（多人共用的电脑）", "ask for the password on this computer too (a computer several "
          "people use)"), NULL, &login },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG, "[passwd] [--listen HOST:PORT] [--login] [--data DIR]",
                          SL_D("在浏览器里提供本站点的页面：录入表单、我的记录、CSV 导入、同步状态。在本机打开 http://127.0.0.1:8620/。'passwd' 设置在网络上提供页面所需的密码。收到 SIGINT 或 SIGTERM 时停止。", "Serves this site's pages in a browser: entry forms, my records, CSV "
                          "import, sync status.  Open http://127.0.0.1:8620/ on this computer.  "
                          "'passwd' sets the password that serving on the network needs.  Stops "
                          "on SIGINT or SIGTERM."), opts, 3, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos == 1 && strcmp(pos[0], "passwd") == 0)
        return s_passwd(data);
    char err[600], host[64];
    int port;
    bool loopback;
    if (sl_web_verb_listen(PROG, npos, pos, listen, host, sizeof host, &port, &loopback))
        return SL_EXIT_USAGE;
    site_web_t w = { .data_dir = data, .need_login = !loopback || login };
    w.store = site_store_open(data, err, sizeof err);
    if (!w.store) {
        fprintf(stderr, PROG ": %s\n", err);
        return SL_EXIT_FAIL;
    }
    site_store_meta(w.store, META_PASSWORD, w.pwhash, sizeof w.pwhash);
    if (w.need_login && !w.pwhash[0]) {
        char text[700];
        sl_tf(text, sizeof text, "在 %s 上提供网页需要密码%.0s%.0s", "serving on %s %s needs a "
              "password: run '" PROG " passwd --data %s' first", listen,
              loopback ? "with --login" : "(beyond this computer)", data);
        fprintf(stderr, PROG ": %s\n", text);
        site_store_destroy(&w.store);
        return SL_EXIT_USAGE;
    }
    w.item = sl_item_new();
    pthread_mutex_init(&w.lock, NULL);
    /* Signals are taken by this thread alone (sigwait); the server's and
     * the sync's threads inherit the mask. */
    zsys_handler_set(NULL);
    sl_web_block_stop_signals();
    sl_web_opts_t wo = { .listen = listen, .cookie = "sl_site", .program = PROG,
                         .handle = s_handle, .ctx = &w };
    sl_web_t *web = w.item ? sl_web_start(&wo, err, sizeof err) : NULL;
    if (!web) {
        fprintf(stderr, PROG ": %s\n", w.item ? err : SL_T("内存不足", "out of memory"));
        sl_item_destroy(&w.item);
        site_store_destroy(&w.store);
        return SL_EXIT_FAIL;
    }
    sl_lang_fprintf(stdout, "%s: http://%s%s%s:%d/ (%s %s, %s)\n",
                    SL_D("网页已启动", "web page ready"), strchr(host, ':') ? "[" : "", host,
                    strchr(host, ':') ? "]" : "", sl_web_port(web), SL_D("站点", "site"),
                    site_store_site_id(w.store),
                    !w.need_login ? SL_D("只限本机", "this computer only")
                    : loopback ? SL_D("需要密码", "password required")
                    : SL_D("在网络上，需要密码", "on the network, password required"));
    fflush(stdout);
    char said[300];
    sl_df(said, sizeof said, "提供站点 %s 的网页，地址 %s", "serving site %s on %s",
          site_store_site_id(w.store), listen);
    sl_info("web: %s", said);
    sl_web_wait_stop();
    site_sync_stop();
    sl_web_stop(&web);
    if (w.thread_started)
        pthread_join(w.thread, NULL);
    pthread_mutex_destroy(&w.lock);
    sl_item_destroy(&w.item);
    site_store_destroy(&w.store);
    sodium_memzero(w.pwhash, sizeof w.pwhash);
    return 0;
}
