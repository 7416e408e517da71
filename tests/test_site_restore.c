/* test_site_restore: records restored from the server are checked like any
 * other input before the site stores them (issue 14; promise P7).
 *
 * A site that lost its store gets its own records back from the server
 * (EVENTS).  Those records continue the site's hash chain, so the chain
 * check alone would let through a record of a type this site does not know
 * or a payload its own entry would have refused.  Each such batch must be
 * refused whole, with the event and the field named, and the store left as
 * it was; a valid batch (including an update naming a record restored in
 * the same batch) is stored and folded. */
#include "site_store.h"
#include "sl_check.h"
#include "sl_event.h"
#include "sl_id.h"
#include "sl_schema.h"
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SITE "qu01.restore"

typedef struct {
    sl_event_t ev[4];
    msgpack_sbuffer pay[4];
    size_t n;
    uint64_t seq;
    uint8_t prev[SL_HASH_BYTES];
} chain_t;

/* Appends a record built from text values (the entry path's builder). */
static void s_add(chain_t *c, const char *type, size_t n, const char *const *names,
                  const char *const *values)
{
    char err[600];
    msgpack_sbuffer *p = &c->pay[c->n];
    msgpack_sbuffer_init(p);
    const sl_rtype_t *rt = sl_schema_find(type, strlen(type));
    if (rt && sl_schema_build(rt, n, names, values, p, NULL, err, sizeof err, NULL))
        printf("# build %s: %s\n", type, err);
    sl_event_t *ev = &c->ev[c->n++];
    memset(ev, 0, sizeof *ev);
    ev->seq = ++c->seq;
    ev->id[0] = (uint8_t) c->seq;
    ev->id[1] = 0x42;
    ev->hlc = (uint64_t) 1740787200000 << 16 | c->seq;
    ev->wall_ms = 1740787200000;
    ev->type = type;
    ev->type_len = strlen(type);
    ev->payload = (const uint8_t *) p->data;
    ev->payload_len = p->size;
    memcpy(ev->prev, c->prev, SL_HASH_BYTES);
    sl_event_hash(ev, SITE, strlen(SITE), ev->hash);
    memcpy(c->prev, ev->hash, SL_HASH_BYTES);
}

static void s_reset(chain_t *c, site_store_t *st)
{
    for (size_t i = 0; i < c->n; i++)
        msgpack_sbuffer_destroy(&c->pay[i]);
    c->n = 0;
    c->seq = site_store_last_seq(st);
    site_store_hash_at(st, c->seq, c->prev);
}

static void s_refused(site_store_t *st, chain_t *c, const char *what, const char *must_say)
{
    char err[1200];
    uint64_t before = site_store_last_seq(st);
    int rc = site_store_restore_events(st, c->ev, c->n, err, sizeof err);
    s_check(rc != 0, "%s: refused", what);
    s_check(rc != 0 && strstr(err, must_say) != NULL, "%s: the error says \"%s\" (%s)", what,
            must_say, rc ? err : "accepted");
    s_check(site_store_last_seq(st) == before, "%s: nothing stored (last seq %llu)", what,
            (unsigned long long) site_store_last_seq(st));
    s_reset(c, st);
}

int main(void)
{
    char dir[] = "/tmp/sl-test-restore.XXXXXX", err[1200];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (site_store_init(dir, SITE, "tcp://127.0.0.1:9", err, sizeof err)) {
        printf("site_store_init: %s\n", err);
        return 1;
    }
    site_store_t *st = site_store_open(dir, err, sizeof err);
    if (!st) {
        printf("site_store_open: %s\n", err);
        return 1;
    }
    chain_t c = { 0 };
    static const char *pr_n[] = { "reporter_kind", "summary", "on" };
    static const char *pr_v[] = { "courier", "路灯坏了", "2025-03-01" };

    /* A valid batch: a problem report, and an update of it in the same batch. */
    s_add(&c, "problem_report", 3, pr_n, pr_v);
    char item[SL_ID_TEXT];
    sl_id_format(c.ev[0].id, item);
    const char *up_n[] = { "item", "status", "on" };
    const char *up_v[] = { item, "accepted", "2025-03-02" };
    s_add(&c, "update", 3, up_n, up_v);
    int rc = site_store_restore_events(st, c.ev, c.n, err, sizeof err);
    s_check(rc == 0, "a valid batch (a report and its update) is restored (%s)", rc ? err : "ok");
    s_check(site_store_last_seq(st) == 2, "last seq is 2 (%llu)",
            (unsigned long long) site_store_last_seq(st));
    s_reset(&c, st);

    /* A record type this version does not know. */
    s_add(&c, "problem_report", 3, pr_n, pr_v);
    s_add(&c, "flying_saucer", 3, pr_n, pr_v);
    s_refused(st, &c, "unknown record type", "event 4 from the server is of record type "
              "\"flying_saucer\", which this version of shuanglian-site does not know");

    /* A payload the entry path would have refused: a date out of range. */
    s_add(&c, "problem_report", 3, pr_n, pr_v);
    msgpack_sbuffer_clear(&c.pay[0]);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &c.pay[0], msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    for (int i = 0; i < 3; i++) {
        static const char *bad_v[] = { "courier", "路灯坏了", "1999-03-01" };
        msgpack_pack_str_with_body(&pk, pr_n[i], strlen(pr_n[i]));
        msgpack_pack_str_with_body(&pk, bad_v[i], strlen(bad_v[i]));
    }
    c.ev[0].payload = (const uint8_t *) c.pay[0].data;
    c.ev[0].payload_len = c.pay[0].size;
    sl_event_hash(&c.ev[0], SITE, strlen(SITE), c.ev[0].hash);
    s_refused(st, &c, "a date out of range", "event 3 (problem_report) from the server is not "
              "a valid record: field \"on\" is \"1999-03-01\"");

    /* A payload that is not a map at all. */
    s_add(&c, "problem_report", 3, pr_n, pr_v);
    static const uint8_t junk[] = { 0x93, 0x01, 0x02, 0x03 };
    c.ev[0].payload = junk;
    c.ev[0].payload_len = sizeof junk;
    sl_event_hash(&c.ev[0], SITE, strlen(SITE), c.ev[0].hash);
    s_refused(st, &c, "a payload that is not a map", "event 3 (problem_report)");

    /* A rating of a record this site does not have. */
    const char *ra_n[] = { "item", "stars" };
    const char *ra_v[] = { "77777777-7777-7777-7777-777777777777", "5" };
    s_add(&c, "rating", 2, ra_n, ra_v);
    s_refused(st, &c, "a rating of a record the site does not have", "item");

    /* And the store still takes valid records after the refusals. */
    s_add(&c, "problem_report", 3, pr_n, pr_v);
    rc = site_store_restore_events(st, c.ev, c.n, err, sizeof err);
    s_check(rc == 0 && site_store_last_seq(st) == 3, "a valid record after the refusals is "
            "restored (%s)", rc ? err : "ok");
    s_reset(&c, st);
    site_store_destroy(&st);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
