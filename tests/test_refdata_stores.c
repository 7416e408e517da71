/* test_refdata_stores: reference data in force, as the stores answer it
 * (promise P6; what the server will check records against).
 *
 * Central store: the entry in force for all sites and for one site (the
 * latest of the two wins, a deletion included), "ever published up to
 * lseq N" for records entered with an old roster, "unchanged", the walks
 * per site and per target, the kind/key index (migration 3), and a damaged
 * value read back as an error.  Site store: the value of kind/key after a
 * LOG has been applied, and the walk. */
#include "central_store.h"
#include "site_store.h"
#include "sl_check.h"
#include "sl_db.h"
#include "sl_limits.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t s_put(central_store_t *cs, const char *target, const char *kind,
                      const char *key, const char *value)
{
    uint64_t lseq = 0;
    char err[300];
    if (central_store_log_append(cs, target, kind, key, value, &lseq, err, sizeof err))
        printf("append failed: %s\n", err);
    return lseq;
}

static int s_get(central_store_t *cs, const char *kind, const char *key, const char *site,
                 char *value)
{
    return central_store_ref_get(cs, kind, key, site, value, SL_MAX_TEXT_BYTES + 1);
}

typedef struct {
    char seen[2000];
    size_t used;
    int stop_after;
    int calls;
} walk_t;

static int s_walk(void *ctx, const char *target, const char *kind, const char *key,
                  const char *value, size_t value_len, uint64_t lseq)
{
    walk_t *w = ctx;
    w->used += (size_t) snprintf(w->seen + w->used, sizeof w->seen - w->used, "%s/%s@%s=%.*s#%llu;",
                                 kind, key, target ? target : "*", (int) value_len, value,
                                 (unsigned long long) lseq);
    return ++w->calls == w->stop_after ? 7 : 0;
}

static void s_central(const char *dir)
{
    char err[300], value[SL_MAX_TEXT_BYTES + 1];
    s_check(central_store_init(dir, err, sizeof err) == 0, "central store created (%s)", err);
    central_store_t *cs = central_store_open(dir, err, sizeof err);
    if (!s_check(cs != NULL, "central store opened (%s)", err))
        return;
    s_check(sl_db_int(central_store_db(cs), "SELECT count(*) FROM pragma_index_list('server_log')"
                      " WHERE name = 'server_log_kind_key'", 0) == 1,
            "migration 3: server_log has its (kind, key) index");

    uint64_t u1 = s_put(cs, NULL, "unit", "u01", "{\"name\":\"区委办\"}");
    s_put(cs, "qu01.a", "unit", "u01", "{\"name\":\"区委办(a)\"}");
    uint64_t del = s_put(cs, NULL, "member", "m001", "{\"name\":\"张三\",\"unit\":\"u01\"}");
    s_put(cs, NULL, "member", "m001", NULL);
    s_put(cs, "qu01.b", "unit", "u09", "{\"name\":\"只给b\"}");

    s_check(s_get(cs, "unit", "u01", NULL, value) == 1 && strcmp(value, "{\"name\":\"区委办\"}") == 0,
            "in force for all sites: %s", value);
    s_check(s_get(cs, "unit", "u01", "qu01.a", value) == 1 && strstr(value, "区委办(a)"),
            "a later entry for one site wins for that site: %s", value);
    s_check(s_get(cs, "unit", "u01", "qu01.b", value) == 1 && !strstr(value, "(a)"),
            "another site keeps the entry for all sites");
    s_check(s_get(cs, "member", "m001", NULL, value) == 0, "a deleted entry is absent");
    s_check(s_get(cs, "unit", "u09", NULL, value) == 0 && s_get(cs, "unit", "u09", "qu01.b", value) == 1,
            "an entry for one site is not in force for all sites");
    s_check(s_get(cs, "unit", "u77", "qu01.a", value) == 0, "an entry never published is absent");
    s_put(cs, NULL, "unit", "u01", "{\"name\":\"区委办公室\"}");
    s_check(s_get(cs, "unit", "u01", "qu01.a", value) == 1 && strstr(value, "区委办公室"),
            "a later entry for all sites wins over an earlier one for a site");
    char small[8];
    s_check(central_store_ref_get(cs, "unit", "u01", NULL, small, sizeof small) == -1,
            "a value that does not fit the buffer is an error, not cut");

    s_check(central_store_ref_known(cs, "member", "m001", "qu01.a", del) == 1,
            "old roster: m001 was published at #%llu (known up to it)", (unsigned long long) del);
    s_check(central_store_ref_known(cs, "member", "m001", "qu01.a", del - 1) == 0,
            "… but not known to a site whose cursor was before it");
    s_check(central_store_ref_known(cs, "member", "m001", "qu01.a", UINT64_MAX) == 1,
            "… and still known after its deletion (records entered with it are accepted)");
    s_check(central_store_ref_known(cs, "unit", "u09", "qu01.a", UINT64_MAX) == 0
            && central_store_ref_known(cs, "unit", "u09", "qu01.b", UINT64_MAX) == 1,
            "an entry for one site is known to that site only");
    s_check(central_store_ref_known(cs, "unit", "u01", NULL, u1) == 1
            && central_store_ref_known(cs, "unit", "u01", NULL, u1 - 1) == 0,
            "known for all sites from its lseq on");

    s_check(central_store_ref_unchanged(cs, NULL, "unit", "u01", "{\"name\":\"区委办公室\"}") == 1,
            "the same value for all sites is unchanged");
    s_check(central_store_ref_unchanged(cs, NULL, "unit", "u01", "{\"name\":\"x\"}") == 0,
            "another value is a change");
    s_check(central_store_ref_unchanged(cs, "qu01.a", "unit", "u01", "{\"name\":\"区委办公室\"}") == 1,
            "what a site already holds is unchanged for it");
    s_check(central_store_ref_unchanged(cs, NULL, "unit", "u09", "{\"name\":\"只给b\"}") == 0,
            "for all sites, an entry some site holds for itself alone is a change");

    walk_t w = { .stop_after = 0 };
    s_check(central_store_ref_each(cs, "unit", "qu01.b", s_walk, &w) == 0
            && strcmp(w.seen, "unit/u01@*={\"name\":\"区委办公室\"}#6;unit/u09@*={\"name\":\"只给b\"}#5;") == 0,
            "each: what site qu01.b holds, by key: %s", w.seen);
    memset(&w, 0, sizeof w);
    s_check(central_store_ref_each(cs, "member", NULL, s_walk, &w) == 0 && w.calls == 0,
            "each: a deleted entry is left out");
    memset(&w, 0, sizeof w);
    s_check(central_store_ref_each_target(cs, NULL, s_walk, &w) == 0
            && strcmp(w.seen, "unit/u01@*={\"name\":\"区委办公室\"}#6;"
                              "unit/u01@qu01.a={\"name\":\"区委办(a)\"}#2;"
                              "unit/u09@qu01.b={\"name\":\"只给b\"}#5;") == 0,
            "each_target: per kind, key and target, all sites first: %s", w.seen);
    memset(&w, 0, sizeof w);
    w.stop_after = 1;
    s_check(central_store_ref_each_target(cs, "unit", s_walk, &w) == 7 && w.calls == 1,
            "a walk stops at the callback's first non-zero answer and returns it");

    /* A database is outside input: a value of the wrong type is damaged. */
    sl_db_exec(central_store_db(cs), "UPDATE server_log SET value = x'00ff' WHERE lseq = 6");
    s_check(s_get(cs, "unit", "u01", NULL, value) == -1, "a damaged value (a blob) gives -1");
    memset(&w, 0, sizeof w);
    s_check(central_store_ref_each_target(cs, "unit", s_walk, &w) == -1,
            "… and stops a walk with -1");
    central_store_destroy(&cs);
}

static int s_site_walk(void *ctx, const char *kind, const char *key, const char *value,
                       size_t value_len, uint64_t lseq)
{
    return s_walk(ctx, NULL, kind, key, value, value_len, lseq);
}

static void s_site(const char *dir)
{
    char err[300], value[SL_MAX_TEXT_BYTES + 1];
    s_check(site_store_init(dir, "qu01.a", "tcp://127.0.0.1:1", err, sizeof err) == 0,
            "site store created (%s)", err);
    site_store_t *ss = site_store_open(dir, err, sizeof err);
    if (!s_check(ss != NULL, "site store opened (%s)", err))
        return;
    const char *v1 = "{\"name\":\"张三\",\"unit\":\"u01\"}";
    sl_log_entry_t e[3] = {
        { .lseq = 1, .kind = "member", .kind_len = 6, .key = "m001", .key_len = 4,
          .value = v1, .value_len = strlen(v1) },
        { .lseq = 2, .kind = "unit", .kind_len = 4, .key = "u01", .key_len = 3,
          .value = "区委办", .value_len = strlen("区委办") },
        { .lseq = 3, .kind = "unit", .kind_len = 4, .key = "u02", .key_len = 3,
          .value = "x", .value_len = 1 },
    };
    s_check(site_store_apply_log(ss, e, 3, 3, NULL, NULL, err, sizeof err) == 0, "LOG applied (%s)", err);
    sl_log_entry_t del = { .lseq = 4, .kind = "unit", .kind_len = 4, .key = "u02", .key_len = 3 };
    s_check(site_store_apply_log(ss, &del, 1, 4, NULL, NULL, err, sizeof err) == 0, "a deletion applied");
    s_check(site_store_ref_get(ss, "member", "m001", value, sizeof value) == 1
            && strcmp(value, v1) == 0, "site_store_ref_get: the value held");
    s_check(site_store_ref_get(ss, "unit", "u01", value, sizeof value) == 1
            && strcmp(value, "区委办") == 0, "… a 0.2.0 plain value as it came");
    s_check(site_store_ref_get(ss, "unit", "u02", value, sizeof value) == 0, "… a deleted one is absent");
    char small[4];
    s_check(site_store_ref_get(ss, "member", "m001", small, sizeof small) == -1,
            "… too long for the buffer is -1");
    walk_t w = { 0 };
    s_check(site_store_ref_each(ss, NULL, s_site_walk, &w) == 0
            && strcmp(w.seen, "member/m001@*={\"name\":\"张三\",\"unit\":\"u01\"}#1;"
                              "unit/u01@*=区委办#2;") == 0, "site_store_ref_each: %s", w.seen);
    sl_db_exec(site_store_db(ss), "UPDATE refdata SET value = x'00ff' WHERE key = 'u01'");
    s_check(site_store_ref_get(ss, "unit", "u01", value, sizeof value) == -1,
            "a damaged value (a blob) gives -1");
    memset(&w, 0, sizeof w);
    s_check(site_store_ref_each(ss, NULL, s_site_walk, &w) == -1, "… and stops the walk with -1");
    site_store_destroy(&ss);
}

int main(void)
{
    char dir[] = "/tmp/sl-test-refstores.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char central[300], site[300], cmd[400];
    snprintf(central, sizeof central, "%s/srv", dir);
    snprintf(site, sizeof site, "%s/site", dir);
    s_central(central);
    s_site(site);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
