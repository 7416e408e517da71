/* test_commands: remote commands (issue 9; PROTOCOL.md 12.11), promise P6
 * for commands: the table's checks, the server's states, and a site that
 * runs each command at most once whatever is delivered to it.
 *
 *   - sl_commands.c: every command's arguments checked (numbers, choices,
 *     text lengths, endpoints a site can dial, site settings), an entry
 *     read back from a LOG value refused when damaged (outside input);
 *   - command_store.c: queued -> delivered (a LOG) -> done (its result
 *     record commits); cancelled only while queued; expired by the
 *     server's clock; a withdrawn entry goes out as nil; a result for an
 *     unknown command is kept, not matched;
 *   - the site: a LOG with a command runs it and appends its result in the
 *     same transaction as the cursor; the same entry again (a repeated LOG,
 *     or the log pulled again from 0 after reset_refdata) runs nothing; a
 *     nil entry runs nothing; an unknown verb gets a failed result;
 *   - audit_log.c: rows added and read back newest first, details cut at
 *     a character. */
#include "audit_log.h"
#include "central_store.h"
#include "command_store.h"
#include "site_commands.h"
#include "site_store.h"
#include "sl_check.h"
#include "sl_commands.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_json.h"
#include "sl_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_args_ok(const char *verb, const char *json, char *err, size_t errlen)
{
    const sl_command_t *c = sl_command_find(verb);
    if (!c) {
        snprintf(err, errlen, "no command %s", verb);
        return -1;
    }
    sl_json_writer_t w;
    sl_json_begin(&w);
    int rc = sl_command_check_args(c, json, json ? strlen(json) : 0, &w, err, errlen);
    free(sl_json_end(&w, NULL));
    return rc;
}

static void s_table(void)
{
    char err[600];
    s_check(sl_command_find("rotate-key") == sl_command_find("rotate_key")
            && sl_command_find("rotate_key") != NULL, "rotate-key is rotate_key");
    s_check(sl_command_find("通知") == sl_command_find("notice"), "a command by its Chinese label");
    s_check(sl_command_find("nosuch") == NULL, "an unknown command is NULL");
    struct { const char *verb, *json; int ok; const char *says; } cases[] = {
        { "ping", NULL, 0, NULL },
        { "ping", "{\"x\":\"1\"}", -1, "no argument \"x\"" },
        { "resend", "{\"from\":\"12\"}", 0, NULL },
        { "resend", NULL, -1, "needs argument from" },
        { "resend", "{\"from\":\"0\"}", -1, "whole number" },
        { "resend", "{\"from\":\"1e3\"}", -1, "whole number" },
        { "resend", "{\"from\":\"-4\"}", -1, "whole number" },
        { "resend", "{\"from\":12}", -1, "must be text" },
        { "log", NULL, 0, NULL },
        { "log", "{\"lines\":\"201\"}", -1, "1..200" },
        { "set", "{\"name\":\"log_level\",\"value\":\"debug\"}", 0, NULL },
        { "set", "{\"name\":\"log_level\",\"value\":\"loud\"}", -1, "one of" },
        { "set", "{\"name\":\"colour\",\"value\":\"red\"}", -1, "no site setting" },
        { "set", "{\"name\":\"server\",\"value\":\"tcp://*:7450\"}", -1, "not an address" },
        { "set_server", "{\"endpoint\":\"tcp://10.20.0.5:7450\"}", 0, NULL },
        { "set_server", "{\"endpoint\":\"tcp://10.20.0.5:99999\"}", -1, "1..65535" },
        { "notice", "{\"text\":\"\"}", -1, "needs argument text" },
        { "notice", "{\"text\":\"请于周五前报送\"}", 0, NULL },
        { "notice", "{not json", -1, "JSON object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = 0;
        int rc = s_args_ok(cases[i].verb, cases[i].json, err, sizeof err);
        s_check(rc == cases[i].ok && (!cases[i].says || strstr(err, cases[i].says)),
                "%s %s: %s (%s)", cases[i].verb, cases[i].json ? cases[i].json : "(none)",
                cases[i].ok ? "refused" : "accepted", err);
    }
    struct { const char *ep; int ok; bool loop; } eps[] = {
        { "tcp://10.20.0.5:7450", 0, false }, { "tcp://server.qu01:7450", 0, false },
        { "tcp://[2001:db8::5]:7450", 0, false }, { "tcp://127.0.0.1:7450", 0, true },
        { "tcp://localhost:1", 0, true }, { "tcp://*:7450", -1, false },
        { "tcp://0.0.0.0:7450", -1, false }, { "tcp://[::]:7450", -1, false },
        { "tcp://10.0.0.5:99999", -1, false }, { "tcp://10.0.0.5:0", -1, false },
        { "tcp://10.0.0.5:", -1, false }, { "tcp://10.0.0.5", -1, false },
        { "tcp://:7450", -1, false }, { "udp://10.0.0.5:7450", -1, false },
        { "tcp://2001:db8::5:7450", -1, false }, { "tcp://a b:7450", -1, false },
        { "tcp://10.0.0.5:+80", -1, false },
    };
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        bool loop = false;
        int rc = sl_endpoint_check(eps[i].ep, &loop, err, sizeof err);
        s_check(rc == eps[i].ok && loop == eps[i].loop, "endpoint %s: %s%s", eps[i].ep,
                rc ? "refused: " : "dialable", rc ? err : loop ? " (loopback)" : "");
    }
    /* An entry as a site reads it from a LOG: outside input. */
    struct { const char *value; int ok; } entries[] = {
        { "{\"uid\":\"0123456789abcdef0123456789abcdef\",\"no\":3,\"verb\":\"ping\"}", 0 },
        { "{\"uid\":\"0123456789abcdef0123456789abcdef\",\"no\":3,\"verb\":\"resend\","
          "\"from\":\"2\"}", 0 },
        { "{\"uid\":\"0123456789abcdef0123456789abcdef\",\"no\":3,\"verb\":\"resend\"}", -1 },
        { "{\"uid\":\"0123456789ABCDEF0123456789abcdef\",\"no\":3,\"verb\":\"ping\"}", -1 },
        { "{\"uid\":\"0123\",\"no\":3,\"verb\":\"ping\"}", -1 },
        { "{\"uid\":\"0123456789abcdef0123456789abcdef\",\"no\":0,\"verb\":\"ping\"}", -1 },
        { "{\"uid\":\"0123456789abcdef0123456789abcdef\",\"no\":3,\"verb\":\"format_disk\"}", -1 },
        { "{\"uid\":\"0123456789abcdef0123456789abcdef\",\"no\":3,\"verb\":\"rotate-key\"}", -1 },
        { "[1,2]", -1 }, { "", -1 },
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        sl_command_entry_t e;
        int rc = sl_command_entry_parse(entries[i].value, strlen(entries[i].value), &e, err,
                                        sizeof err);
        s_check(rc == entries[i].ok, "entry %zu %s: %s", i, rc ? "refused" : "read",
                rc ? err : e.command->name);
        sl_command_entry_free(&e);
    }
}

typedef struct {
    char state[16], result[200];
    int rows;
} seen_t;

static int s_row(void *ctx, const command_row_t *r)
{
    seen_t *s = ctx;
    snprintf(s->state, sizeof s->state, "%s", r->state);
    snprintf(s->result, sizeof s->result, "%s", r->result);
    s->rows++;
    return 0;
}

static const char *s_state_of(central_store_t *cs, int64_t id, int64_t now)
{
    static seen_t s;
    memset(&s, 0, sizeof s);
    command_store_each(cs, NULL, id, 0, now, s_row, &s);
    return s.state;
}

/* A LOG for a site, as the server packs it (with the filter of the engine,
 * here called directly), applied by the site with its command runner. */
typedef struct {
    central_store_t *cs;
    int64_t now;
} live_t;

static int s_live(void *ctx, uint64_t lseq)
{
    live_t *l = ctx;
    return command_store_entry_live(l->cs, lseq, l->now);
}

static int s_deliver(central_store_t *cs, site_store_t *ss, uint64_t after, int64_t now,
                     site_commands_t *cmds, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    uint64_t upto = 0;
    live_t l = { cs, now };
    int rc = central_store_begin(cs) || central_store_pack_log(cs, "qu01.a", after, 1000,
                                                               SL_MAX_REPLY_BYTES, 1, &sb, &upto,
                                                               s_live, &l)
             || central_store_commit(cs) ? -1 : 0;
    sl_msg_t m = { 0 };
    if (rc == 0)
        rc = sl_msg_decode(&m, (const uint8_t *) sb.data, sb.size, err, errlen) ? -1 : 0;
    if (rc == 0)
        rc = site_store_apply_log(ss, m.entries, m.nentries, m.upto, site_commands_run, cmds,
                                  err, errlen);
    sl_msg_reset(&m);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static long s_results(site_store_t *ss)
{
    return (long) sl_db_int(site_store_db(ss),
                            "SELECT count(*) FROM events WHERE type = 'command_result'", -1);
}

/* The site's result records go up; the server commits them (the batch
 * path, which marks the command done). */
static int s_upload(central_store_t *cs, site_store_t *ss, central_site_t *site)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    uint64_t last = site_store_last_seq(ss), acked = site_store_acked(ss);
    int rc = last > acked ? site_store_pack_batch(ss, 1, acked + 1, last, &sb) : 0;
    sl_msg_t m = { 0 };
    char err[300];
    central_batch_result_t r;
    if (rc == 0 && last > acked)
        rc = sl_msg_decode(&m, (const uint8_t *) sb.data, sb.size, err, sizeof err)
             || central_store_begin(cs)
             || central_store_apply_batch(cs, "qu01.a", site, m.events, m.nevents, sl_now_ms(), &r)
             || central_store_commit(cs) ? -1 : 0;
    if (rc == 0 && last > acked)
        site_store_set_acked(ss, last);
    if (rc)
        printf("# upload: %s\n", r.text);
    sl_msg_reset(&m);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int64_t s_send(central_store_t *cs, const char *verb, const char *args, int64_t expires)
{
    char err[300];
    int64_t id = 0;
    if (central_store_begin(cs) || command_store_add(cs, "qu01.a", verb, args, expires, "tester",
                                                     &id, err, sizeof err)
        || central_store_commit(cs))
        printf("# send %s: %s\n", verb, err);
    return id;
}

static void s_lifecycle(const char *dir)
{
    char err[600], sdir[600], cdir[600];
    snprintf(cdir, sizeof cdir, "%s/srv", dir);
    snprintf(sdir, sizeof sdir, "%s/site", dir);
    s_check(central_store_init(cdir, err, sizeof err) == 0, "central store (%s)", err);
    central_store_t *cs = central_store_open(cdir, err, sizeof err);
    s_check(site_store_init(sdir, "qu01.a", "tcp://127.0.0.1:1", err, sizeof err) == 0,
            "site store (%s)", err);
    site_store_t *ss = site_store_open(sdir, err, sizeof err);
    if (!s_check(cs && ss, "stores open (%s)", err))
        return;
    central_site_t site;
    s_check(central_store_site(cs, "qu01.a", &site) == 0, "the site is registered");
    int64_t now = sl_now_ms(), later = now + 86400000;
    int64_t ping = s_send(cs, "ping", "", later);
    int64_t notice = s_send(cs, "notice", "\"text\":\"周五前报送\"", later);
    int64_t gone = s_send(cs, "status", "", now + 1000);
    int64_t cancelled = s_send(cs, "log", "\"lines\":\"5\"", later);
    int64_t unknown = s_send(cs, "format_disk", "", later);     /* a verb this site lacks */
    char state[32];
    s_check(command_store_cancel(cs, cancelled, state, sizeof state) == 1, "a queued command is cancelled");
    s_check(command_store_cancel(cs, cancelled, state, sizeof state) == 0
            && strcmp(state, "cancelled") == 0, "… not twice (it is %s)", state);
    s_check(command_store_cancel(cs, 999, state, sizeof state) == -2, "no command 999");
    s_check(!strcmp(s_state_of(cs, ping, now), "queued"), "ping is queued");
    s_check(!strcmp(s_state_of(cs, gone, now + 2000), "expired"),
            "a queued command past its expiry lists as expired");

    /* Delivery, 2 s later: the expiring one is past its time. */
    site_commands_t cmds = { .data_dir = sdir };
    s_check(s_deliver(cs, ss, 0, now + 2000, &cmds, err, sizeof err) == 0, "LOG applied (%s)", err);
    s_check(cmds.ran == 3, "3 commands ran: ping, notice and the unknown one (%d)", cmds.ran);
    s_check(!strcmp(s_state_of(cs, ping, now), "delivered"), "ping is delivered");
    s_check(!strcmp(s_state_of(cs, gone, now), "expired"), "the late one is expired for good");
    s_check(!strcmp(s_state_of(cs, cancelled, now), "cancelled"), "the cancelled one stays so");
    s_check(s_results(ss) == 3, "3 result records at the site (%ld)", s_results(ss));
    s_check(site_store_commands_run(ss, "status") == 0 && site_store_commands_run(ss, "log") == 0,
            "neither the expired nor the cancelled command ran");
    s_check((long) site_store_cursor(ss) == site_store_commands_run(ss, NULL) + 2,
            "the cursor moved past all five entries (%llu)",
            (unsigned long long) site_store_cursor(ss));

    /* Delivered twice: the same entries again (the log pulled from 0). */
    s_check(site_store_reset_refdata(ss, "another-log") == 0, "the site forgets the log");
    s_check(s_deliver(cs, ss, 0, now + 3000, &cmds, err, sizeof err) == 0, "LOG applied again");
    s_check(cmds.ran == 3 && s_results(ss) == 3, "nothing ran twice (%d ran, %ld results)",
            cmds.ran, s_results(ss));

    /* The results go up: done, failed, and the output kept. */
    s_check(s_upload(cs, ss, &site) == 0, "the results are committed on the server");
    seen_t s = { 0 };
    command_store_each(cs, NULL, ping, 0, now, s_row, &s);
    s_check(!strcmp(s.state, "done") && strstr(s.result, "pong"), "ping is done: %s", s.result);
    s_check(!strcmp(s_state_of(cs, notice, now), "done"), "the notice is done");
    s_check(!strcmp(s_state_of(cs, unknown, now), "failed"), "the unknown verb failed");
    /* A finished command's entry is withdrawn: a site that pulls the log
     * once more gets nil, even one that forgot what it ran. */
    sl_db_exec(site_store_db(ss), "DELETE FROM commands_run");
    s_check(site_store_reset_refdata(ss, "a-third-log") == 0, "the site forgets everything");
    s_check(s_deliver(cs, ss, 0, now + 4000, &cmds, err, sizeof err) == 0 && cmds.ran == 3,
            "a finished command is never delivered again (%d ran)", cmds.ran);

    /* A result for a command this server never sent: kept, not matched. */
    sl_view_t v;
    const sl_rtype_t *rt = sl_schema_find("command_result", 14);
    const char *names[] = { "command", "verb", "outcome", "on" };
    const char *values[] = { "ffffffffffffffffffffffffffffffff", "ping", "done", "2026-01-02" };
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    s_check(sl_schema_build(rt, 4, names, values, &sb, NULL, err, sizeof err, NULL) == 0
            && sl_schema_view(rt, (const uint8_t *) sb.data, sb.size, &v, err, sizeof err) == 0,
            "a stray result record");
    s_check(command_store_result(cs, "qu01.a", 99, &v, now) == 0, "… is accepted (no state changes)");
    msgpack_sbuffer_destroy(&sb);

    /* Audit. */
    char detail[AUDIT_DETAIL_MAX + 100];
    memset(detail, 'x', sizeof detail - 4);
    memcpy(detail + AUDIT_DETAIL_MAX - 1, "错", 3);
    detail[sizeof detail - 4] = 0;
    s_check(audit_log_add(central_store_db(cs), "tester", "command.send", "site=qu01.a", 0,
                          "queued") == 0
            && audit_log_add(central_store_db(cs), "tester", "site.revoke", detail, 407,
                             "refused") == 0, "audit rows added");
    s_check(sl_db_int(central_store_db(cs), "SELECT length(CAST(detail AS BLOB)) FROM audit "
                      "WHERE action = 'site.revoke'", 0) == AUDIT_DETAIL_MAX - 1,
            "a long detail is cut before the character it would split");
    site_store_destroy(&ss);
    central_store_destroy(&cs);
}

int main(void)
{
    sl_log_set_level(SL_LOG_ERROR);
    char dir[] = "/tmp/sl-test-commands.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    s_table();
    s_lifecycle(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
