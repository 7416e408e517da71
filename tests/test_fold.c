/* test_fold.c: the fold's rules and its determinism, on real stores.
 *
 * Part 1, at a site (a real site.db in a temporary directory, records
 * entered through client/site_entry.c as the command line enters them):
 * every lifecycle rule of RECORDS.md — allowed and refused moves (the
 * refusal names the current status and the allowed next ones), dates before
 * the latest step, what a move needs (a responsible unit or member, a note),
 * rating only of finished items and once per closure (a reopened and
 * closed-again problem may be rated again; the latest rating counts),
 * corrections (a field, the date that moves the record, no status, no
 * clearing a required field), voids (of an item; of its latest update, which
 * replays its history; of a rating), check-ins and check-outs, and a record
 * written by 0.2.0.
 *
 * Part 2, the property: three sites' records (entered at real site stores)
 * are applied to a real central store in many random interleavings and
 * batchings; the state table comes out byte-identical every time, and equal
 * to each site's own fold of its records.
 *
 * Part 3, the state bytes: sl_fold_encode writes what msgpack-c's packer
 * wrote before it (the reference below), byte for byte, for states of every
 * size and value range. */
#include "central_store.h"
#include "site_entry.h"
#include "site_store.h"
#include "sl_fold.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_tally.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sl_check.h"

static char s_dir[256];
static site_store_t *s_store;
static char s_err[2000];
static const char *s_field;
static uint64_t s_last;         /* seq of the last record saved */

/* Enters a record: "type", then "name=value" strings, NULL-terminated.
 * Returns the entry's result code; s_err has the refusal, s_last the seq. */
static int s_add(site_store_t *store, const char *type, ...)
{
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS];
    static char copies[SL_MAX_FIELDS][600];
    size_t n = 0;
    va_list ap;
    va_start(ap, type);
    const char *arg;
    while (n < SL_MAX_FIELDS && (arg = va_arg(ap, const char *)) != NULL) {
        snprintf(copies[n], sizeof copies[n], "%s", arg);
        char *eq = strchr(copies[n], '=');
        *eq = 0;
        names[n] = copies[n];
        values[n] = eq + 1;
        n++;
    }
    va_end(ap);
    char emsg[200];
    const sl_rtype_t *rt = site_entry_type(type, emsg, sizeof emsg);
    site_entry_saved_t saved;
    s_err[0] = 0;
    s_field = NULL;
    int rc = (int) site_entry_add(store, rt, n, names, values, &saved, s_err, sizeof s_err,
                                  &s_field);
    if (rc == 0)
        s_last = saved.seq;
    return rc;
}

static sl_item_t *s_it;

static sl_item_t *s_item(uint64_t seq)
{
    char err[400];
    int rc = site_store_item(s_store, seq, s_it, err, sizeof err);
    if (rc != 1)
        printf("# cannot load item #%llu: %s\n", (unsigned long long) seq, err);
    return s_it;
}

static const char *s_status(uint64_t seq)
{
    static char name[32];
    char label[64];
    sl_item_t *it = s_item(seq);
    sl_fold_status_name(it, it->status, name, sizeof name, label, sizeof label);
    return name;
}

/* Reference data as the site receives it from the server. */
static void s_refdata(site_store_t *store)
{
    static const char *kv[][3] = {
        { "unit", "u1", "{\"name\":\"区委办\"}" }, { "unit", "u2", "{\"name\":\"司法局\"}" },
        { "member", "m1", "{\"name\":\"张三\",\"unit\":\"u1\"}" },
        { "member", "m2", "{\"name\":\"李四\",\"unit\":\"u2\"}" },
        { "member", "m3", "{\"name\":\"王五\",\"unit\":\"u2\"}" },
    };
    sl_log_entry_t e[5];
    for (size_t i = 0; i < 5; i++)
        e[i] = (sl_log_entry_t) { .lseq = i + 1, .kind = kv[i][0], .kind_len = strlen(kv[i][0]),
                                  .key = kv[i][1], .key_len = strlen(kv[i][1]),
                                  .value = kv[i][2], .value_len = strlen(kv[i][2]) };
    char err[300];
    s_check(site_store_apply_log(store, e, 5, 5, NULL, NULL, err, sizeof err) == 0, "reference data applied");
}

static site_store_t *s_new_site(const char *name)
{
    char dir[400], err[400];
    snprintf(dir, sizeof dir, "%s/%s", s_dir, name);
    if (site_store_init(dir, name, "tcp://127.0.0.1:1", err, sizeof err)) {
        printf("# %s\n", err);
        return NULL;
    }
    site_store_t *store = site_store_open(dir, err, sizeof err);
    if (store)
        s_refdata(store);
    return store;
}

#define REFUSED(rc, field, ...) \
    s_check((rc) != 0 && s_field && strcmp(s_field, field) == 0, __VA_ARGS__)

static void s_lifecycles(void)
{
    char item[16], rating1[16];
    /* problem_report: reported → accepted → assigned → handled → closed */
    s_check(s_add(s_store, "problem_report", "reporter_kind=courier", "summary=路灯不亮",
                  "on=2025-03-01", NULL) == 0, "a problem report is saved (%s)", s_err);
    uint64_t pr = s_last;
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) pr);
    s_check(strcmp(s_status(pr), "reported") == 0, "it starts reported");
    int rc = s_add(s_store, "update", item, "status=handled", "on=2025-03-02", NULL);
    REFUSED(rc, "status", "reported → handled is refused: %s", s_err);
    s_check(strstr(s_err, "当前状态「已上报」") && strstr(s_err, "「已受理」、「不予受理」")
            && strstr(s_err, "from reported it may go to: accepted, rejected"),
            "… naming the current status and the allowed ones");
    s_check(s_add(s_store, "update", item, "status=已受理", "on=2025-03-02", NULL) == 0,
            "reported → accepted (status by its Chinese name) %s", s_err);
    rc = s_add(s_store, "update", item, "status=assigned", "on=2025-03-03", NULL);
    REFUSED(rc, "unit", "accepted → assigned without a unit or member is refused: %s", s_err);
    rc = s_add(s_store, "update", item, "status=assigned", "unit=u1", "on=2025-03-01", NULL);
    REFUSED(rc, "on", "an update dated before the latest step is refused: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=assigned", "unit=u1", "member=m1",
                  "on=2025-03-03", NULL) == 0, "accepted → assigned to u1/m1 %s", s_err);
    rc = s_add(s_store, "rating", item, "stars=5", NULL);
    REFUSED(rc, "item", "rating before it is closed is refused: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=handled", "on=2025-03-04", NULL) == 0
            && s_add(s_store, "update", item, "status=closed", "on=2025-03-05", NULL) == 0,
            "assigned → handled → closed %s", s_err);
    sl_item_t *it = s_item(pr);
    s_check(it->good_on == 20250305 && it->goods == 1 && strcmp(it->unit, "u1") == 0,
            "closed on 2025-03-05, responsible u1");
    s_check(s_add(s_store, "rating", item, "stars=5", "comment=很好", NULL) == 0,
            "a closed item is rated %s", s_err);
    snprintf(rating1, sizeof rating1, "item=#%llu", (unsigned long long) s_last);
    rc = s_add(s_store, "rating", item, "stars=4", NULL);
    REFUSED(rc, "item", "a second rating of the same closure is refused: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=reopened", "on=2025-03-10", NULL) == 0,
            "closed → reopened (发回重办) %s", s_err);
    rc = s_add(s_store, "rating", item, "stars=1", NULL);
    REFUSED(rc, "item", "a reopened item cannot be rated: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=assigned", "unit=u2", "on=2025-03-11", NULL) == 0
            && s_add(s_store, "update", item, "status=handled", "on=2025-03-12", NULL) == 0
            && s_add(s_store, "update", item, "status=closed", "on=2025-03-13", NULL) == 0,
            "reopened → assigned (now u2) → handled → closed %s", s_err);
    s_check(s_add(s_store, "rating", item, "stars=1", NULL) == 0,
            "closed again: it may be rated again %s", s_err);
    it = s_item(pr);
    s_check(it->stars == 1 && it->ratings == 2 && it->goods == 2 && it->rating_on == 20250313
            && strcmp(it->rating_unit, "u2") == 0 && strcmp(it->rating_member, "m1") == 0,
            "the latest rating counts (1 star, on the closing date, for u2 and m1)");

    /* void of a rating: the one before counts again */
    uint64_t r2 = s_last;
    char target[32];
    snprintf(target, sizeof target, "item=#%llu", (unsigned long long) r2);
    s_check(s_add(s_store, "void", target, "reason=评错了单位", NULL) == 0, "a rating is voided %s",
            s_err);
    it = s_item(pr);
    s_check(it->stars == 5 && it->ratings == 1, "… the earlier rating counts again (%d stars)",
            it->stars);
    rc = s_add(s_store, "void", target, "reason=again", NULL);
    REFUSED(rc, "item", "a void rating cannot be voided again: %s", s_err);
    /* void of updates: only the latest; the state replays */
    rc = s_add(s_store, "void", rating1, "reason=x", NULL);
    (void) rc;
    uint64_t kids[3] = { 0 };
    size_t nk = 0;
    it = s_item(pr);
    for (size_t i = 0; i < it->nkids; i++)
        if (it->kids[i].role == SL_ROLE_UPDATE && !it->kids[i].voided)
            kids[nk < 3 ? nk++ : 2] = it->kids[i].seq;
    uint64_t last_update = 0;
    for (size_t i = 0; i < it->nkids; i++)
        if (it->kids[i].role == SL_ROLE_UPDATE && !it->kids[i].voided)
            last_update = it->kids[i].seq;
    snprintf(target, sizeof target, "item=#%llu", (unsigned long long) kids[0]);
    rc = s_add(s_store, "void", target, "reason=x", NULL);
    REFUSED(rc, "item", "an update that is not the latest cannot be voided: %s", s_err);
    snprintf(target, sizeof target, "item=#%llu", (unsigned long long) last_update);
    s_check(s_add(s_store, "void", target, "reason=办结录早了", NULL) == 0,
            "the latest update (closed) is voided %s", s_err);
    s_check(strcmp(s_status(pr), "handled") == 0 && s_item(pr)->good_on == 0,
            "… the item is handled again, not counted as closed");
    s_check(s_item(pr)->ratings == 0 || s_item(pr)->stars == 5,
            "… and its ratings replayed (%u)", s_item(pr)->ratings);

    /* rejected needs a note */
    s_add(s_store, "problem_report", "reporter_kind=resident", "summary=不合理要求", "on=2025-04-01",
          NULL);
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
    rc = s_add(s_store, "update", item, "status=rejected", "on=2025-04-02", NULL);
    REFUSED(rc, "note", "rejected without a note is refused: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=rejected", "note=不属于社区职责",
                  "on=2025-04-02", NULL) == 0, "rejected with a note %s", s_err);

    /* service matter: created in any status on its forward path */
    s_check(s_add(s_store, "service_matter", "unit=u1", "title=健身区长椅", "status=planned",
                  "on=2025-02-01", NULL) == 0, "a planned matter %s", s_err);
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
    uint64_t sm = s_last;
    rc = s_add(s_store, "service_matter", "unit=u1", "title=x", "status=cancelled",
               "on=2025-02-01", NULL);
    s_check(rc != 0 && s_field && strcmp(s_field, "status") == 0,
            "a matter cannot be created cancelled: %s", s_err);
    rc = s_add(s_store, "update", item, "status=done", "on=2025-02-05", NULL);
    REFUSED(rc, "status", "planned → done directly is refused: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=in_progress", "on=2025-02-03", NULL) == 0
            && s_add(s_store, "update", item, "status=done", "on=2025-02-20", NULL) == 0,
            "planned → in_progress → done %s", s_err);
    s_check(s_item(sm)->good_on == 20250220, "it counts from the day it was done");

    /* corrections */
    char field[32];
    snprintf(field, sizeof field, "item=#%llu", (unsigned long long) sm);
    s_check(s_add(s_store, "correction", field, "field=title", "value=健身区新增长椅",
                  "reason=错别字", NULL) == 0, "a title is corrected %s", s_err);
    char text[300];
    sl_schema_field_text(s_item(sm)->rt, (const uint8_t *) s_item(sm)->payload.data,
                         s_item(sm)->payload.size, "title", text, sizeof text);
    s_check(strcmp(text, "健身区新增长椅") == 0, "… and reads corrected (%s)", text);
    rc = s_add(s_store, "correction", field, "field=status", "value=planned", "reason=x", NULL);
    REFUSED(rc, "field", "the status is not corrected (use an update): %s", s_err);
    rc = s_add(s_store, "correction", field, "field=title", "value=", "reason=x", NULL);
    REFUSED(rc, "value", "a required field cannot be cleared: %s", s_err);
    rc = s_add(s_store, "correction", field, "field=unit", "value=nosuch", "reason=x", NULL);
    REFUSED(rc, "value", "a correction to an unknown unit is refused: %s", s_err);
    s_check(s_add(s_store, "correction", field, "field=单位", "value=u2", "reason=单位填错",
                  NULL) == 0 && strcmp(s_item(sm)->unit, "u2") == 0,
            "the responsible unit is corrected (field by its Chinese name) %s", s_err);
    s_add(s_store, "service_matter", "unit=u1", "title=录成去年", "status=done", "on=2024-12-30",
          NULL);
    uint64_t late = s_last;
    snprintf(field, sizeof field, "item=#%llu", (unsigned long long) late);
    s_check(s_add(s_store, "correction", field, "field=on", "value=2025-01-03", "reason=日期错",
                  NULL) == 0 && s_item(late)->good_on == 20250103 && s_item(late)->on == 20250103,
            "a corrected date moves a matter created done into the new period %s", s_err);
    snprintf(target, sizeof target, "item=#%llu", (unsigned long long) s_last);
    rc = s_add(s_store, "correction", target, "field=reason", "value=x", "reason=x", NULL);
    REFUSED(rc, "item", "a correction of a correction is refused: %s", s_err);

    /* void of an item */
    s_check(s_add(s_store, "void", field, "reason=重复录入", NULL) == 0 && s_item(late)->voided,
            "a matter is voided %s", s_err);
    rc = s_add(s_store, "correction", field, "field=title", "value=x", "reason=x", NULL);
    REFUSED(rc, "item", "a void item is not corrected: %s", s_err);

    /* micro-wish: claimed needs who */
    rc = s_add(s_store, "micro_wish", "resident=王奶奶", "wish=助听器", "on=2025-05-01",
               "status=claimed", NULL);
    REFUSED(rc, "unit", "a wish created claimed needs a unit or member: %s", s_err);
    s_check(s_add(s_store, "micro_wish", "resident=王奶奶", "wish=助听器", "on=2025-05-01",
                  "status=posted", NULL) == 0, "a posted wish %s", s_err);
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
    rc = s_add(s_store, "update", item, "status=claimed", "on=2025-05-02", NULL);
    REFUSED(rc, "unit", "posted → claimed needs a unit or member: %s", s_err);
    s_check(s_add(s_store, "update", item, "status=claimed", "member=m2", "on=2025-05-02", NULL) == 0,
            "claimed by member m2 %s", s_err);

    /* check-ins */
    s_check(s_add(s_store, "member_checkin", "member=m1", "on=2025-01-05", NULL) == 0,
            "m1 checks in %s", s_err);
    rc = s_add(s_store, "member_checkin", "member=m1", "on=2025-01-06", NULL);
    REFUSED(rc, "member", "m1 cannot check in twice: %s", s_err);
    rc = s_add(s_store, "member_checkout", "member=m2", "on=2025-01-06", "reason=调整", NULL);
    REFUSED(rc, "member", "m2 cannot check out without having checked in: %s", s_err);
    s_check(s_add(s_store, "member_checkin", "member=m2", "on=2025-01-05", NULL) == 0
            && site_store_members_here(s_store) == 2, "m2 checks in: 2 members here");
    s_check(s_add(s_store, "member_checkout", "member=m1", "on=2025-06-01", "reason=调强补优",
                  NULL) == 0 && site_store_members_here(s_store) == 1, "m1 checks out: 1 here");
    s_check(s_add(s_store, "member_checkin", "member=m1", "on=2025-07-01", NULL) == 0,
            "m1 may check in again after leaving %s", s_err);
    rc = s_add(s_store, "member_checkin", "member=nobody", "on=2025-07-01", NULL);
    REFUSED(rc, "member", "a member not in the reference data is refused: %s", s_err);
}

/* ---- five-one and points, from the states ------------------------------------------------ */

struct five_ctx {
    site_store_t *store;
    sl_item_t *it;
    sl_five_t five;             /* unit u1, 2025 */
    const sl_secretary_t *secretaries;
    size_t nsec;
    int lectures_kept;
    int64_t points[3];          /* u1, u2, m1 */
    int cards[3];
};

static int s_five_row(void *vctx, const sl_items_row_t *row)
{
    struct five_ctx *ctx = vctx;
    char err[300];
    if (site_store_item(ctx->store, row->seq, ctx->it, err, sizeof err) != 1)
        return -1;
    sl_item_t *it = ctx->it;
    int task = sl_tally_task_of(it->rt);
    int32_t since;
    if (task >= 0 && strcmp(it->unit, "u1") == 0
        && sl_tally_counts(it, 20250101, 20251231, &since)) {
        if (task == SL_TASK_LECTURE) {
            char speaker[64];
            sl_schema_field_text(it->rt, (const uint8_t *) it->payload.data, it->payload.size,
                                 "speaker", speaker, sizeof speaker);
            const char *sec = sl_tally_secretary_at(ctx->secretaries, ctx->nsec, since);
            ctx->lectures_kept++;
            if (!sec || strcmp(sec, speaker) != 0)
                return 0;       /* kept, not counted: not the secretary */
        }
        ctx->five.done[task]++;
    }
    if (it->ratings && !it->voided && it->rating_on / 10000 == 2025) {
        sl_rating_effect_t e = sl_tally_rating(it->stars, 1, 1);
        const char *who[] = { "u1", "u2", "m1" };
        for (int w = 0; w < 3; w++)
            if (strcmp(it->rating_unit, who[w]) == 0 || strcmp(it->rating_member, who[w]) == 0) {
                ctx->points[w] += e.points;
                ctx->cards[w] += e.card;
            }
    }
    return 0;
}

static void s_five_and_points(void)
{
    site_store_t *st = s_new_site("qu.five");
    if (!st)
        return;
    char item[32];
    s_add(st, "service_matter", "unit=u1", "title=长椅", "status=done", "on=2025-03-01", NULL);
    s_add(st, "service_matter", "unit=u1", "title=停车棚", "status=planned", "on=2025-03-01", NULL);
    s_add(st, "service_matter", "unit=u1", "title=去年的", "status=done", "on=2024-12-01", NULL);
    s_add(st, "party_day", "unit=u1", "theme=联学", "on=2025-04-01", NULL);
    s_add(st, "party_lecture", "unit=u1", "speaker=m1", "title=书记讲", "on=2025-05-01", NULL);
    s_add(st, "party_lecture", "unit=u1", "speaker=m3", "title=委员讲", "on=2025-05-02", NULL);
    s_add(st, "micro_wish", "resident=甲", "wish=轮椅", "on=2025-06-01", "status=claimed",
          "unit=u1", NULL);
    s_add(st, "micro_wish", "resident=乙", "wish=书包", "on=2025-06-01", "status=claimed",
          "unit=u1", NULL);
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
    s_check(s_add(st, "update", item, "status=fulfilled", "on=2025-06-09", NULL) == 0,
            "a wish is fulfilled %s", s_err);
    s_add(st, "enterprise_problem", "enterprise=某厂", "problem=用电", "unit=u1", "on=2025-07-01",
          "status=solved", NULL);
    s_add(st, "problem_report", "reporter_kind=courier", "summary=井盖", "on=2025-08-01", NULL);
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
    s_add(st, "update", item, "status=accepted", "on=2025-08-01", NULL);
    s_add(st, "update", item, "status=assigned", "unit=u2", "member=m1", "on=2025-08-02", NULL);
    s_add(st, "update", item, "status=handled", "on=2025-08-03", NULL);
    s_add(st, "update", item, "status=closed", "on=2025-08-04", NULL);
    s_check(s_add(st, "rating", item, "stars=5", NULL) == 0, "5 stars for u2/m1 %s", s_err);
    s_add(st, "service_matter", "unit=u1", "title=差评", "status=done", "on=2025-09-01", NULL);
    snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
    s_check(s_add(st, "rating", item, "stars=1", "comment=没解决", NULL) == 0, "1 star for u1 %s",
            s_err);

    sl_secretary_t hist[] = { { 20240101, "m2" }, { 20250101, "m1" } };
    struct five_ctx ctx = { .store = st, .it = sl_item_new(), .secretaries = hist, .nsec = 2 };
    for (int t = 0; t < SL_TASKS; t++) {
        ctx.five.required[t] = t == SL_TASK_MATTER ? 2 : 1;
        site_store_items_each(st, sl_tally_task_type(t), s_five_row, &ctx);
    }
    site_store_items_each(st, "problem_report", s_five_row, &ctx);
    s_check(ctx.five.done[SL_TASK_MATTER] == 2,
            "五个一: 2 done matters of u1 in 2025 (the planned one and last year's do not count; "
            "got %d)", ctx.five.done[SL_TASK_MATTER]);
    s_check(ctx.lectures_kept == 2 && ctx.five.done[SL_TASK_LECTURE] == 1,
            "五个一: two lectures kept, only the secretary's counts");
    s_check(ctx.five.done[SL_TASK_WISH] == 1, "五个一: only the fulfilled wish counts");
    s_check(ctx.five.done[SL_TASK_PARTY_DAY] == 1 && ctx.five.done[SL_TASK_ENTERPRISE] == 1,
            "五个一: the party day and the solved enterprise problem count");
    long met = 0, req = 0;
    sl_tally_five_sum(&ctx.five, &met, &req);
    s_check(sl_tally_five_complete(&ctx.five) && met == 6 && req == 6,
            "u1 completes 五个一 in 2025: %ld of %ld", met, req);
    s_check(ctx.points[1] == 1 && ctx.points[2] == 1 && ctx.cards[1] == 0,
            "5 stars: a point to the unit (u2) and the member (m1) responsible");
    s_check(ctx.cards[0] == 1 && ctx.points[0] == 0, "1 star: a yellow card to u1");
    s_check(sl_tally_secretary_at(hist, 2, 20241231) && strcmp(sl_tally_secretary_at(hist, 2,
            20241231), "m2") == 0 && !sl_tally_secretary_at(hist, 2, 20231231),
            "the secretary in force by date");
    sl_item_destroy(&ctx.it);
    site_store_destroy(&st);
}

/* ---- part 2: determinism -------------------------------------------------------------- */

/* Enters a varied history at a site: items, moves, ratings, corrections, voids. */
static void s_history(site_store_t *st, unsigned seed)
{
    srand(seed);
    for (int i = 0; i < 40; i++) {
        char on[16], item[32], title[64];
        snprintf(on, sizeof on, "on=2025-%02d-%02d", 1 + i % 12, 1 + i % 28);
        snprintf(title, sizeof title, "summary=问题 %d", i);
        if (s_add(st, "problem_report", "reporter_kind=grid_worker", title, on, NULL))
            continue;
        snprintf(item, sizeof item, "item=#%llu", (unsigned long long) s_last);
        static const char *path[] = { "accepted", "assigned", "handled", "closed" };
        int steps = rand() % 5;
        for (int k = 0; k < steps; k++) {
            char st_on[16], status[32];
            snprintf(st_on, sizeof st_on, "on=2025-12-%02d", 1 + k);
            snprintf(status, sizeof status, "status=%s", path[k]);
            s_add(st, "update", item, status, st_on, k == 1 ? "unit=u1" : "note=x", NULL);
        }
        if (steps == 4 && rand() % 2)
            s_add(st, "rating", item, rand() % 2 ? "stars=5" : "stars=1", NULL);
        if (rand() % 5 == 0)
            s_add(st, "correction", item, "field=location", "value=3号楼", "reason=补充", NULL);
        if (rand() % 7 == 0)
            s_add(st, "void", item, "reason=重复", NULL);
    }
    /* More items than the server keeps in memory during a batch
     * (SL_ITEMS_CACHE), then moves, ratings, corrections and voids of
     * items far back: in a large batch some are kept, some were written
     * and are read back.  Check-ins and check-outs, one voided, between. */
    uint64_t first = s_last + 1;
    for (int i = 0; i < 90; i++) {
        char on[16], title[64];
        snprintf(on, sizeof on, "on=2025-%02d-%02d", 1 + i % 12, 1 + i % 28);
        snprintf(title, sizeof title, "summary=后来的问题 %d", i);
        s_add(st, "problem_report", "reporter_kind=courier", title, on, NULL);
        if (i % 30 == 0) {
            s_add(st, "member_checkin", i % 60 ? "member=m2" : "member=m1", on, NULL);
            s_add(st, "member_checkout", i % 60 ? "member=m2" : "member=m1", "on=2025-12-20", NULL);
        }
    }
    uint64_t last = s_last;
    for (int i = 0; i < 150; i++) {
        char item[32];
        snprintf(item, sizeof item, "item=#%llu",
                 (unsigned long long) (first + (uint64_t) rand() % (last - first + 1)));
        static const char *path[] = { "accepted", "assigned", "handled", "closed" };
        switch (rand() % 6) {
        case 0: case 1: case 2:
            for (int k = 0; k < 4; k++) {
                char status[32];
                snprintf(status, sizeof status, "status=%s", path[k]);
                if (s_add(st, "update", item, status, "on=2025-12-21", NULL))
                    break;
            }
            break;
        case 3:
            s_add(st, "rating", item, rand() % 2 ? "stars=5" : "stars=2", NULL);
            break;
        case 4:
            s_add(st, "correction", item, "field=location", "value=5号楼", "reason=补充", NULL);
            break;
        default:
            s_add(st, "void", item, "reason=重复", NULL);
        }
        if (i == 75) {
            s_add(st, "member_checkin", "member=m3", "on=2025-12-22", NULL);
            char checkin[32];
            snprintf(checkin, sizeof checkin, "item=#%llu", (unsigned long long) s_last);
            s_add(st, "void", checkin, "reason=报错了", NULL);
            s_add(st, "member_checkin", "member=m3", "on=2025-12-23", NULL);
        }
    }
}

typedef struct {
    sl_event_t *events;
    size_t n;
    msgpack_sbuffer frame;
    sl_msg_t msg;
} site_events_t;

/* All events of a site, decoded from the BATCH the site would send. */
static int s_events(site_store_t *st, site_events_t *out)
{
    char err[300];
    msgpack_sbuffer_init(&out->frame);
    memset(&out->msg, 0, sizeof out->msg);
    uint64_t last = site_store_last_seq(st);
    if (site_store_pack_batch(st, 1, 1, last, &out->frame)
        || sl_msg_decode(&out->msg, (const uint8_t *) out->frame.data, out->frame.size, err,
                         sizeof err)) {
        printf("# %s\n", err);
        return -1;
    }
    out->events = out->msg.events;
    out->n = out->msg.nevents;
    return 0;
}

static char *s_dump_central(const char *dir, int64_t site_no)
{
    char err[400];
    central_store_t *c = central_store_open(dir, err, sizeof err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (c && f)
        central_store_items_dump(c, site_no, f);
    if (f)
        fclose(f);
    central_store_destroy(&c);
    return buf;
}

static void s_reload_sites(central_store_t *c, const char *const *names, central_site_t *cs)
{
    for (int i = 0; i < 3; i++) {
        central_store_site(c, names[i], &cs[i]);
        cs[i].cursor = 5;
    }
}

/* Rows written behind, under the faults they must survive (rounds that
 * keep them): a refused batch that kept rows before its refusal, a batch
 * rolled back after it kept rows, another connection that folds what the
 * table lacks while rows are kept, and (round 3) a process that takes a
 * site's records and dies without writing its rows.  True when the batch
 * in hand was taken here (the caller does not apply it). */
static bool s_defer_faults(central_store_t **c, const char *dir, int r, int nb,
                           const char *const *names, central_site_t *cs, site_events_t *evs,
                           size_t *next, int i, size_t batch)
{
    central_batch_result_t res;
    char err[400];
    if (r == 3 && nb > 8)
        return false;   /* after the process that died: nothing else folds again */
    if (nb % 23 == 5 && evs[i].n - next[i] > 3) {
        /* many records (more items than the batch keeps in its slots: some
         * rows are kept before the end), then the record after the next
         * one: a gap, refused whole */
        size_t many = evs[i].n - next[i] - 2 < 300 ? evs[i].n - next[i] - 2 : 300;
        sl_event_t *with_gap = malloc((many + 1) * sizeof *with_gap);
        memcpy(with_gap, evs[i].events + next[i], many * sizeof *with_gap);
        with_gap[many] = evs[i].events[next[i] + many + 1];
        central_store_begin(*c);
        int code = central_store_apply_batch(*c, names[i], &cs[i], with_gap, many + 1, 1, &res);
        central_store_commit(*c);
        free(with_gap);
        s_check(code != 0 && res.inserted == 0, "round %d: a batch of %zu records with a gap is "
                "refused whole", r, many + 1);
        return false;   /* then the batch itself */
    }
    if (nb % 23 == 10) {
        central_store_begin(*c);
        central_store_apply_batch(*c, names[i], &cs[i], evs[i].events + next[i], batch, 1, &res);
        central_store_rollback(*c);
        s_reload_sites(*c, names, cs);
        return false;   /* applied again, for good */
    }
    if (nb % 23 == 15) {
        char *dump = s_dump_central(dir, -1);
        s_check(dump != NULL, "round %d: another connection reads the table while rows are kept",
                r);
        free(dump);
        return false;
    }
    if (r == 3 && nb == 8 && next[i] < evs[i].n) {
        central_store_destroy(c);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            central_store_t *k = central_store_open(dir, err, sizeof err);
            central_site_t ks[3];
            central_store_defer_items(k);
            s_reload_sites(k, names, ks);
            for (size_t at = next[i]; at < evs[i].n; at += 7) {
                size_t n = evs[i].n - at < 7 ? evs[i].n - at : 7;
                central_store_begin(k);
                if (central_store_apply_batch(k, names[i], &ks[i], evs[i].events + at, n, 1, &res)
                    || central_store_commit(k))
                    _exit(3);
            }
            _exit(0);   /* no flush: the rows kept are lost with the process */
        }
        int status = -1;
        waitpid(pid, &status, 0);
        s_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "round %d: a process takes site %s's last records and dies with rows kept", r,
                names[i]);
        *c = central_store_open(dir, err, sizeof err);
        central_store_defer_items(*c);
        s_reload_sites(*c, names, cs);
        next[i] = evs[i].n;
        return true;
    }
    return false;
}

static void s_determinism(void)
{
    const char *names[] = { "qu.a", "qu.b", "qu.c" };
    site_store_t *sites[3];
    site_events_t evs[3];
    for (int i = 0; i < 3; i++) {
        sites[i] = s_new_site(names[i]);
        if (!sites[i])
            return;
        s_history(sites[i], 100 + (unsigned) i);
        if (s_events(sites[i], &evs[i]))
            return;
    }
    char *first = NULL;
    int rounds = 12, same = 0;
    for (int r = 0; r < rounds; r++) {
        char dir[400], err[400];
        snprintf(dir, sizeof dir, "%s/central%d", s_dir, r);
        if (central_store_init(dir, err, sizeof err)) {
            printf("# %s\n", err);
            return;
        }
        central_store_t *c = central_store_open(dir, err, sizeof err);
        /* odd rounds as the engine keeps the table: rows written behind */
        bool defer = r % 2 == 1;
        if (defer)
            central_store_defer_items(c);
        central_site_t cs[3];
        for (int i = 0; i < 3; i++)
            central_store_site(c, names[i], &cs[i]);
        /* The server takes any reference key these sites could have held. */
        for (size_t k = 0; k < 5; k++) {
            static const char *kv[][2] = { { "unit", "u1" }, { "unit", "u2" }, { "member", "m1" },
                                           { "member", "m2" }, { "member", "m3" } };
            central_store_log_append(c, NULL, kv[k][0], kv[k][1], "{\"name\":\"x\"}", NULL, err,
                                     sizeof err);
        }
        for (int i = 0; i < 3; i++)
            cs[i].cursor = 5;
        size_t next[3] = { 0, 0, 0 };
        srand(1000 + (unsigned) r);
        bool ok = true;
        int nb = 0;
        while (ok && (next[0] < evs[0].n || next[1] < evs[1].n || next[2] < evs[2].n)) {
            int i = rand() % 3;
            if (next[i] >= evs[i].n)
                continue;
            /* small batches, and (every other round) some the size of a
             * site's sync after days offline */
            size_t batch = 1 + (size_t) (rand() % (r % 2 && rand() % 4 == 0 ? 400 : 17));
            if (batch > evs[i].n - next[i])
                batch = evs[i].n - next[i];
            central_batch_result_t res;
            nb++;
            if (defer && s_defer_faults(&c, dir, r, nb, names, cs, evs, next, i, batch))
                continue;
            central_store_begin(c);
            int code = central_store_apply_batch(c, names[i], &cs[i], evs[i].events + next[i],
                                                 batch, 1, &res);
            central_store_commit(c);
            if (code) {
                printf("# round %d: site %s batch at %zu refused: %s\n", r, names[i], next[i],
                       res.text);
                ok = false;
            }
            next[i] += batch;
        }
        central_store_destroy(&c);
        char *dump = s_dump_central(dir, -1);
        if (!first)
            first = dump;
        else {
            same += dump && strcmp(dump, first) == 0;
            free(dump);
        }
        if (r == 0) {
            for (int i = 0; i < 3; i++) {
                char *site_dump = NULL, *central = s_dump_central(dir, cs[i].site_no);
                size_t len = 0;
                FILE *f = open_memstream(&site_dump, &len);
                site_store_items_dump(sites[i], f);
                fclose(f);
                s_check(central && site_dump && strlen(central) > 100
                        && strcmp(central, site_dump) == 0,
                        "site %s: the site's fold of its records equals the server's (%zu bytes)",
                        names[i], len);
                free(site_dump);
                free(central);
            }
        }
    }
    s_check(first && strlen(first) > 1000 && same == rounds - 1,
            "%d random interleavings and batchings of 3 sites give byte-identical states "
            "(%d of %d equal)", rounds, same + 1, rounds);
    free(first);
    for (int i = 0; i < 3; i++) {
        sl_msg_reset(&evs[i].msg);
        msgpack_sbuffer_destroy(&evs[i].frame);
        site_store_destroy(&sites[i]);
    }
}

/* ---- part 3: the state bytes against msgpack-c's packer */

static void s_ref_str(msgpack_packer *pk, const char *key, const char *v)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    msgpack_pack_str_with_body(pk, v, strlen(v));
}

static void s_ref_int(msgpack_packer *pk, const char *key, int64_t v)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    msgpack_pack_int64(pk, v);
}

/* sl_fold_encode as 0.3.2 wrote it, through msgpack-c. */
static void s_ref_encode(const sl_item_t *it, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 14);
    s_ref_int(&pk, "v", 1);
    s_ref_int(&pk, "seq", (int64_t) it->seq);
    s_ref_int(&pk, "legacy", it->legacy);
    s_ref_int(&pk, "voided", it->voided);
    s_ref_int(&pk, "on", it->on);
    s_ref_str(&pk, "unit", it->unit);
    s_ref_str(&pk, "member", it->member);
    msgpack_pack_str_with_body(&pk, "rating", 6);
    msgpack_pack_array(&pk, 7);
    msgpack_pack_int64(&pk, (int64_t) it->rating_seq);
    msgpack_pack_int64(&pk, it->stars);
    msgpack_pack_int64(&pk, it->rating_on);
    msgpack_pack_str_with_body(&pk, it->rating_unit, strlen(it->rating_unit));
    msgpack_pack_str_with_body(&pk, it->rating_member, strlen(it->rating_member));
    msgpack_pack_int64(&pk, it->rated_goods);
    msgpack_pack_int64(&pk, it->ratings);
    msgpack_pack_str_with_body(&pk, "steps", 5);
    msgpack_pack_array(&pk, it->nsteps);
    for (size_t i = 0; i < it->nsteps; i++) {
        msgpack_pack_array(&pk, 2);
        msgpack_pack_int64(&pk, it->steps[i].on);
        msgpack_pack_int64(&pk, it->steps[i].status);
    }
    msgpack_pack_str_with_body(&pk, "kids", 4);
    msgpack_pack_array(&pk, it->nkids);
    for (size_t i = 0; i < it->nkids; i++) {
        msgpack_pack_array(&pk, 4);
        msgpack_pack_int64(&pk, (int64_t) it->kids[i].seq);
        msgpack_pack_int64(&pk, it->kids[i].role);
        msgpack_pack_int64(&pk, it->kids[i].voided);
        msgpack_pack_int64(&pk, it->kids[i].of_item);
    }
    s_ref_int(&pk, "corrected", it->corrected);
    msgpack_pack_str_with_body(&pk, "payload", 7);
    if (it->corrected)
        msgpack_pack_bin_with_body(&pk, it->payload.data, it->payload.size);
    else
        msgpack_pack_nil(&pk);
    s_ref_int(&pk, "nsteps", (int64_t) it->nsteps);
    s_ref_int(&pk, "nkids", (int64_t) it->nkids);
}

static uint64_t s_xs = 0x2545F4914F6CDD1Dull;
static uint64_t s_rnd(void)
{
    s_xs ^= s_xs << 13;
    s_xs ^= s_xs >> 7;
    s_xs ^= s_xs << 17;
    return s_xs;
}

/* A value near a boundary of msgpack's integer forms, or any. */
static int64_t s_edge_int(void)
{
    static const int64_t edges[] = { 0, 1, -1, 31, 32, -32, -33, 127, 128, -128, -129, 255, 256,
                                     65535, 65536, -32768, -32769, 4294967295LL, 4294967296LL,
                                     2147483647LL, -2147483648LL, -2147483649LL, INT64_MAX,
                                     INT64_MIN };
    uint64_t r = s_rnd();
    return r % 3 ? edges[r / 3 % (sizeof edges / sizeof edges[0])] : (int64_t) s_rnd();
}

static void s_edge_text(char *out, size_t cap)
{
    size_t n = s_rnd() % cap;
    for (size_t i = 0; i < n; i++)
        out[i] = (char) ('a' + s_rnd() % 26);
    out[n] = 0;
}

static void s_encoding(void)
{
    sl_item_t *it = sl_item_new();
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    char *big = malloc(70000);
    int rounds = 3000, same = 0;
    for (int r = 0; big && r < rounds; r++) {
        it->seq = (uint64_t) s_edge_int();
        it->legacy = s_rnd() % 2;
        it->voided = s_rnd() % 2;
        it->on = (int32_t) s_edge_int();
        s_edge_text(it->unit, sizeof it->unit);
        s_edge_text(it->member, sizeof it->member);
        it->rating_seq = (uint64_t) s_edge_int();
        it->stars = (int) s_edge_int();
        it->rating_on = (int32_t) s_edge_int();
        s_edge_text(it->rating_unit, sizeof it->rating_unit);
        s_edge_text(it->rating_member, sizeof it->rating_member);
        it->rated_goods = (uint32_t) s_edge_int();
        it->ratings = (uint32_t) s_edge_int();
        it->nsteps = (size_t) (s_rnd() % (SL_FOLD_MAX_STEPS + 1));
        for (size_t i = 0; i < it->nsteps; i++) {
            it->steps[i].on = (int32_t) s_edge_int();
            it->steps[i].status = (int8_t) s_edge_int();
        }
        it->nkids = (size_t) (s_rnd() % (r % 2 ? 16 : SL_FOLD_MAX_KIDS + 1));
        for (size_t i = 0; i < it->nkids; i++)
            it->kids[i] = (sl_kid_t) { (uint64_t) s_edge_int(), (uint8_t) (s_rnd() % 7),
                                       s_rnd() % 2, s_rnd() % 2 };
        it->corrected = s_rnd() % 2;
        static const size_t sizes[] = { 0, 1, 255, 256, 65535, 65536, 69999 };
        size_t psize = r % 4 ? s_rnd() % 300 : sizes[s_rnd() % 7];
        for (size_t i = 0; i < psize; i++)
            big[i] = (char) s_rnd();
        msgpack_sbuffer_clear(&it->payload);
        msgpack_sbuffer_write(&it->payload, big, psize);
        msgpack_sbuffer_clear(&a);
        msgpack_sbuffer_clear(&b);
        int rc = sl_fold_encode(it, &a);
        s_ref_encode(it, &b);
        same += rc == 0 && a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
    }
    s_check(same == rounds, "the state bytes equal msgpack-c's for %d states of every size and "
            "value range (%d equal)", rounds, same);
    free(big);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    sl_item_destroy(&it);
}

int main(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/sl-test-fold.XXXXXX");
    if (!mkdtemp(s_dir))
        return 1;
    sl_log_set_level(SL_LOG_WARN);
    s_it = sl_item_new();
    /* the fold splits every lifecycle once into a table of fixed size */
    bool fits = true;
    for (size_t i = 0; i < sl_schema_count(); i++)
        fits = fits && sl_fold_life_fits(sl_schema_at(i)->life);
    s_check(fits, "every lifecycle of the schema fits the fold's tables (%d statuses, %d moves)",
            SL_FOLD_MAX_STATUSES, SL_FOLD_MAX_MOVES);
    s_store = s_new_site("qu.fold");
    if (s_check(s_store != NULL, "a site store in %s", s_dir))
        s_lifecycles();
    site_store_destroy(&s_store);
    s_five_and_points();
    s_determinism();
    s_encoding();
    sl_item_destroy(&s_it);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", s_dir);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
