/* shuanglian-admin: the district administrator's tool.
 *
 *   shuanglian-admin site enroll --site ID --community NAME [--days N] [--out FILE]
 *   shuanglian-admin site revoke SITE
 *   shuanglian-admin site list
 *   shuanglian-admin ref put KIND KEY FIELD=VALUE… | del KIND KEY [--site SITE]
 *   shuanglian-admin ref list [KIND]
 *   shuanglian-admin ref import KIND FILE.csv [--site SITE]
 *   shuanglian-admin report NAME … [--csv|--json|--xlsx FILE|--html FILE]
 *
 * Talks to the running server over CurveZMQ with an administrator
 * credential (--cred FILE, default $SHUANGLIAN_ADMIN_CRED or ./admin.cred),
 * made by `shuanglian-server init` or `shuanglian-server admin add`.  The
 * server checks the admin key on every request. */
#include "sl_cli.h"
#include "sl_commands.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_net.h"
#include "sl_report_cli.h"
#include "sl_text.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG "shuanglian-admin"

static const char *s_cred_path;
static const char *s_timeout = "10";

#define CRED_OPTS \
    { "--cred", "FILE", SL_D("管理员凭据（默认 $SHUANGLIAN_ADMIN_CRED 或 ./admin.cred）", "administrator credential (default $SHUANGLIAN_ADMIN_CRED or ./admin.cred)"), \
      &s_cred_path, NULL }, \
    { "--timeout", "S", SL_D("等服务器回答的秒数（默认 10）", "seconds to wait for the server (default 10)"), &s_timeout, NULL }

/* When set, a REPLY goes to this instead of being printed (report …). */
static int (*s_reply_hook)(const char *command, const sl_msg_t *rep);

/* Sends one ADMIN request and prints the REPLY.  Returns an exit code. */
static bool s_tsv;              /* --tsv: machine-readable (format=raw, tab-separated) */

/* send and site set-server: every site, and the command's expiry. */
#define SEND_OPTS(all, expires) \
    { "--all", NULL, SL_D("所有已注册的站点（每个站点一条命令）", "every enrolled site (each gets its own command)"), NULL, &all }, \
    { "--expires", "WHEN", SL_D("到期未送达则作废：7d、12h、30m、90s 或 YYYY-MM-DD（默认 30 天）", "void if not delivered by then: 7d, 12h, 30m, 90s or YYYY-MM-DD " \
      "(default 30 days)"), &expires, NULL }

#define TSV_OPT { "--tsv", NULL, SL_D("供程序读取：制表符分隔，英文表头，原始数值（毫秒、字节）", "machine-readable output: tab-separated, English headings, " \
                  "raw values (ms, bytes)"), NULL, &s_tsv }

/* The cells of a REPLY, tab-separated, a row a line (tabs and line breaks
 * inside a cell become spaces). */
static void s_print_tsv(const sl_msg_t *rep)
{
    for (size_t i = 0; i < rep->ncells; i++) {
        char *cell = sl_text_dup(rep->cells[i].ptr, rep->cells[i].len);
        char *shown = cell ? sl_lang_rendered(cell) : NULL;     /* a heading may be dual */
        for (const char *p = shown ? shown : ""; *p; p++)
            putchar(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
        free(shown);
        free(cell);
        putchar((i + 1) % rep->columns ? '\t' : '\n');
    }
}

static void s_print_table(const sl_msg_t *rep)
{
    char **cells = calloc(rep->ncells, sizeof *cells);
    bool ok = cells != NULL;
    for (size_t i = 0; ok && i < rep->ncells; i++)
        ok = (cells[i] = sl_text_dup(rep->cells[i].ptr, rep->cells[i].len)) != NULL;
    if (ok)
        sl_table_print_cells(rep->columns, (const char *const *) cells, rep->ncells, stdout);
    for (size_t i = 0; cells && i < rep->ncells; i++)
        free(cells[i]);
    free(cells);
}

/* Sends one ADMIN request and prints the REPLY.  Returns an exit code.
 * No connection within 2 s is reported at once (the server is down or
 * the address wrong), as is a handshake the server refuses. */
static int s_request(const char *command, const char *verb, size_t nargs,
                     const char *const *keys, const char *const *values, const size_t *lens,
                     bool quiet_rows)
{
    if (!s_cred_path)
        s_cred_path = getenv("SHUANGLIAN_ADMIN_CRED");
    if (!s_cred_path)
        s_cred_path = "admin.cred";
    long secs;
    if (sl_cli_number(command, "--timeout", s_timeout, 1, 3600, &secs))
        return SL_EXIT_USAGE;
    char err[512];
    sl_admin_cred_t cred;
    if (sl_admin_cred_read(s_cred_path, &cred, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", command, err);
        return SL_EXIT_FAIL;
    }
    sl_net_curve_t curve = { .server_public = cred.server_public, .keys = &cred.keys };
    zsock_t *mon = NULL;
    zsock_t *sock = sl_net_client_socket(cred.server, &curve, ZMQ_EVENT_CONNECTED
                                         | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &mon,
                                         err, sizeof err);
    memset(&cred.keys, 0, sizeof cred.keys);
    if (!sock) {
        fprintf(stderr, "%s: %s\n", command, err);
        return SL_EXIT_FAIL;
    }
    sl_arg_t args[SL_MAX_ARGS];
    size_t n = 0;
    for (size_t i = 0; i < nargs && n < SL_MAX_ARGS; i++, n++) {
        args[n].key = keys[i];
        args[n].key_len = strlen(keys[i]);
        args[n].value = values[i];
        args[n].value_len = lens ? lens[i] : strlen(values[i]);
    }
    if (s_tsv && n < SL_MAX_ARGS)
        args[n++] = (sl_arg_t) { "format", 6, "raw", 3 };
    uint64_t sess = (uint64_t) sl_now_ms();
    sl_msg_t req = { .type = SL_ADMIN, .sess = sess, .verb = verb, .verb_len = strlen(verb),
                     .args = args, .nargs = n };
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    sl_msg_encode(&req, &out);
    int rc = SL_EXIT_UNREACHABLE;
    int64_t start = zclock_mono(), deadline = start + secs * 1000;
    bool sent = false, up = false, refused = false;
    const char *why = NULL;
    sl_msg_t rep;
    memset(&rep, 0, sizeof rep);
    while (zclock_mono() < deadline && !why) {
        int value = 0, ev;
        while (mon && (ev = sl_net_monitor_event(mon, &value)) != 0) {
            if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED || ev == ZMQ_EVENT_CONNECTED)
                up = true;      /* the server's machine answered: wait for its answer */
            else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && (refused = value != SL_ZAP_BUSY, 1))
                why = value == SL_ZAP_BUSY ? SL_D("服务器繁忙，请稍后再试", "the server is busy: try again later")
                      : SL_D("服务器不认识这个管理员凭据（已吊销，或不是这台服务器的）",
                             "the server refused this administrator credential (unknown to it)");
            else
                why = SL_D("加密握手失败：凭据里的服务器公钥不对",
                           "the secure handshake failed: the server key in the credential is wrong");
        }
        if (!up && !why && zclock_mono() - start > 2000 && secs > 2)
            why = SL_D("2 秒内连不上：服务器没有运行、地址不对，或网络不通",
                       "no connection within 2 s: the server is not running, the address is "
                       "wrong, or the network is out");
        if (why)
            break;
        if (!sent)
            sent = sl_net_send(sock, NULL, 0, out.data, out.size) == 0;
        zmq_pollitem_t item = { zsock_resolve(sock), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, zsock_resolve(sock), ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            continue;
        }
        int code = sl_msg_decode(&rep, zmq_msg_data(&frame), zmq_msg_size(&frame), err, sizeof err);
        if (code) {
            fprintf(stderr, "%s: ", command);
            sl_tprintf(stderr, "服务器的回答无法读取：%s\n", "unreadable answer from the server: %s\n",
                       err);
            rc = SL_EXIT_FAIL;
        } else if (rep.sess != sess) {
            zmq_msg_close(&frame);
            sl_msg_reset(&rep);
            continue;
        } else if (rep.type == SL_ERROR) {
            char text[SL_MAX_TEXT_BYTES + 1];
            snprintf(text, sizeof text, "%.*s", (int) rep.text_len, rep.text);
            fprintf(stderr, "%s: ", command);
            sl_tprintf(stderr, "服务器拒绝：%s (%u)：%s\n", "refused by the server: %s (%u): %s\n",
                       sl_error_name((int) rep.code), rep.code, text);
            rc = rep.code == SL_E_INTERNAL ? SL_EXIT_FAIL : SL_EXIT_REFUSED;
        } else if (rep.type == SL_REPLY && s_reply_hook) {
            rc = s_reply_hook(command, &rep);
        } else if (rep.type == SL_REPLY) {
            if (rep.text_len)
                sl_lang_fprintf(s_tsv ? stderr : stdout, "%.*s\n", (int) rep.text_len, rep.text);
            if (rep.columns && rep.ncells >= rep.columns && !quiet_rows) {
                if (s_tsv)
                    s_print_tsv(&rep);
                else
                    s_print_table(&rep);
            }
            rc = 0;
        } else {
            fprintf(stderr, "%s: ", command);
            sl_tprintf(stderr, "服务器发来意外的 %s\n", "unexpected %s from the server\n",
                       sl_msg_type_name(rep.type));
            rc = SL_EXIT_FAIL;
        }
        zmq_msg_close(&frame);
        sl_msg_reset(&rep);
        break;
    }
    if (why) {
        fprintf(stderr, "%s: ", command);
        sl_tprintf(stderr, "无法连接服务器 %s：%s\n", "cannot reach the server %s: %s\n",
                   cred.server, why);
        rc = refused ? SL_EXIT_REFUSED : SL_EXIT_UNREACHABLE;
    }
    else if (rc == SL_EXIT_UNREACHABLE)
        sl_cli_err(command, "%s 在 %ld 秒内没有回答（服务器没有运行、%s 里的服务器公钥不对，或服务器不认识这个管理员密钥）",
                   "no answer from %s within %ld s (server down, wrong server key in %s, or "
                   "this administrator key is unknown to the server)",
                   cred.server, secs, s_cred_path);
    msgpack_sbuffer_destroy(&out);
    sl_net_client_close(&sock, &mon);
    return rc;
}

static int s_site_enroll(int argc, char **argv)
{
    const char *site = NULL, *community = NULL, *days = "7", *out = NULL;
    bool again = false;
    sl_opt_t opts[] = {
        CRED_OPTS,
        { "--site", "ID", SL_D("新站点的编号（如 qu01.gongyuan）", "the new site's id (e.g. qu01.gongyuan)"), &site, NULL },
        { "--community", "NAME", SL_D("它所在社区的代码（用 ref put community 发布的）",
                                          "its community's code (as published by ref put community)"), &community, NULL },
        { "--days", "N", SL_D("注册包 N 天后过期（默认 7）", "the bundle expires after N days (default 7)"), &days, NULL },
        { "--out", "FILE", SL_D("注册包写到哪里（默认 ID.bundle）", "where to write the bundle (default ID.bundle)"), &out, NULL },
        { "--again", NULL, SL_D("为已注册的站点重新生成注册包（电脑丢失、历史分叉）；不加时，已在使用的编号会被当作笔误拒绝", "a new bundle for a site already enrolled (a lost machine, a fork); "
          "without it an id in use is refused as a likely typo"), NULL, &again },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " site enroll", "--site ID --community NAME [--days N] "
                          "[--out FILE]",
                          SL_D("注册一个站点并写出注册包：一个文件，包含站点编号、一次性密钥、服务器的公钥和地址以及有效期。交给站点（用 U 盘，不要用电子邮件）；站点用 `shuanglian-site init --bundle FILE` 安装。注册包只能用一次。", "Registers a site and writes its enrollment bundle: one file holding "
                          "the site id, a one-time key, the server's public key and address, "
                          "and an expiry.  Give it to the site (USB stick, not e-mail); it "
                          "installs it with `shuanglian-site init --bundle FILE`.  A bundle "
                          "works once."), opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long ndays;
    char path[512];
    rc = sl_cli_enroll_args(PROG " site enroll", site, community, days, out, &ndays, path,
                            sizeof path);
    if (rc)
        return rc;
    sl_bundle_t b = { 0 };
    if (sl_keypair_new(&b.enroll)) {
        sl_cli_err(PROG " site enroll", "无法生成密钥对", "cannot make a key pair");
        return SL_EXIT_FAIL;
    }
    b.expires_ms = sl_now_ms() + ndays * 86400000LL;
    char expires[32];
    snprintf(expires, sizeof expires, "%lld", (long long) b.expires_ms);
    const char *keys[] = { "site", "community", "enroll_key", "expires_ms", "again" };
    const char *values[] = { site, community, b.enroll.public_z85, expires, "yes" };
    rc = s_request(PROG " site enroll", "site.enroll", again ? 5 : 4, keys, values, NULL, false);
    if (rc)
        return rc;
    sl_admin_cred_t cred;
    char err[512];
    if (sl_admin_cred_read(s_cred_path, &cred, err, sizeof err)) {
        fprintf(stderr, PROG " site enroll: %s\n", err);
        return SL_EXIT_FAIL;
    }
    snprintf(b.site, sizeof b.site, "%s", site);
    snprintf(b.community, sizeof b.community, "%s", community);
    snprintf(b.server, sizeof b.server, "%s", cred.server);
    snprintf(b.server_public, sizeof b.server_public, "%s", cred.server_public);
    memset(&cred.keys, 0, sizeof cred.keys);
    if (sl_bundle_write(path, &b, err, sizeof err)) {
        fprintf(stderr, PROG " site enroll: %s\n", err);
        return SL_EXIT_FAIL;
    }
    memset(&b.enroll, 0, sizeof b.enroll);
    time_t t = (time_t) (b.expires_ms / 1000);
    struct tm tm;
    char when[32];
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    sl_tprintf(stdout, "注册包已生成：%s（站点 %s，%s；%s 过期；只能用一次）\n",
               "enrollment bundle written: %s (site %s, %s; expires %s; single use)\n",
               path, site, community, when);
    return 0;
}

static int s_send_command(const char *command, const char *target, bool all,
                          const sl_command_t *c, char **words, size_t nwords,
                          const char *expires);

/* site set-server SITE|--all tcp://HOST:PORT: the command set_server. */
static int s_site_set_server(int argc, char **argv)
{
    bool all = false;
    const char *expires = NULL;
    sl_opt_t opts[] = { CRED_OPTS, SEND_OPTS(all, expires) };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " site set-server", "SITE|--all tcp://HOST:PORT",
                          SL_D("让一个站点（或所有站点）今后连接另一个地址：即 set_server 命令，在站点下次连接当前地址时执行。站点会保留旧地址（shuanglian-site set-server --previous 可以改回去）。", "Tells a site (or every site) to connect to another address from "
                          "now on: the command set_server, carried out at the site's next "
                          "connection to the current address.  The site keeps the old "
                          "address (shuanglian-site set-server --previous goes back to it)."),
                          opts, sizeof opts / sizeof opts[0], pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != (all ? 1u : 2u)) {
        sl_cli_err(PROG " site set-server", "请给出 SITE（或 --all）和新地址",
                   "give SITE (or --all) and the new address");
        return SL_EXIT_USAGE;
    }
    return s_send_command(PROG " site set-server", all ? NULL : pos[0], all,
                          sl_command_find("set_server"), pos + npos - 1, 1, expires);
}

static int s_site(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "enroll") == 0)
        return s_site_enroll(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "set-server") == 0)
        return s_site_set_server(argc - 1, argv + 1);
    bool revoke = argc >= 1 && strcmp(argv[0], "revoke") == 0;
    bool list = argc >= 1 && strcmp(argv[0], "list") == 0;
    if (revoke || list) {
        sl_opt_t opts[] = { CRED_OPTS, TSV_OPT };
        char *pos[1];
        size_t npos;
        int rc = sl_cli_parse(argc - 1, argv + 1, revoke ? PROG " site revoke" : PROG " site list",
                              revoke ? "SITE" : "",
                              revoke ? SL_D("立即吊销 SITE 的所有密钥：它已打开的连接在下一条消息时被拒绝，新连接被拒绝，还没用过的注册包也失效。", "Revokes every key of SITE at once: its open connection is "
                                       "refused on its next message, new connections are refused, "
                                       "and an unused bundle for it stops working.")
                                     : SL_D("列出站点、它们的密钥和最近连接时间。", "Lists sites, their keys and when they were last seen."),
                              opts, 3, pos, revoke ? 1 : 0, &npos);
        if (rc)
            return rc > 0 ? 0 : SL_EXIT_USAGE;
        if (revoke && npos != 1) {
            fprintf(stderr, PROG " site revoke: SITE is required\n");
            return SL_EXIT_USAGE;
        }
        const char *keys[] = { "site" };
        const char *values[] = { revoke ? pos[0] : "" };
        return s_request(revoke ? PROG " site revoke" : PROG " site list",
                         revoke ? "site.revoke" : "site.list", revoke ? 1 : 0, keys, values, NULL,
                         false);
    }
    bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
    static const sl_cli_verb_help_t verbs[] = {
        { "enroll --site ID --community NAME", SL_D("注册站点，写出注册包", "register a site, write its bundle") },
        { "revoke SITE", SL_D("立即拒绝 SITE 的所有密钥", "refuse every key of SITE, at once") },
        { "list", SL_D("站点、密钥状态、最近连接", "sites, key states, last seen") },
        { "set-server SITE|--all ENDPOINT", SL_D("让站点改用另一个服务器地址",
                                                 "tell a site to use another server address") },
    };
    sl_cli_verbs_help(help ? stdout : stderr, PROG " site", "enroll|revoke|list|set-server …", NULL,
                      verbs, sizeof verbs / sizeof verbs[0], 34,
                      SL_D("（各站点的状况：" PROG " sites）", "(how each site is doing: " PROG " sites)"));
    return help ? 0 : SL_EXIT_USAGE;
}

static int s_ref(int argc, char **argv)
{
    const char *target = NULL;
    sl_opt_t opts[] = {
        CRED_OPTS,
        { "--site", "SITE", SL_D("put、del、import：只对这个站点（默认：所有站点）；须是已注册的站点", "put, del, import: for this site only (default: every site); it "
          "must be enrolled"), &target, NULL },
    };
    char *pos[3 + SL_MAX_FIELDS];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " ref",
                          "put KIND KEY FIELD=VALUE… | del KIND KEY | list [KIND] | "
                          "import KIND FILE.csv   [--site SITE]", sl_cli_ref_summary(), opts,
                          sizeof opts / sizeof opts[0], pos, sizeof pos / sizeof pos[0], &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    sl_cli_request_t req;
    rc = sl_cli_ref_request(PROG " ref", pos, npos, target, &req);
    if (rc == 0)
        rc = s_request(PROG " ref", req.verb, req.nargs, req.keys, req.values, req.lens, false);
    sl_cli_request_free(&req);
    return rc;
}

/* report …: the server computes, this tool renders (XLSX and HTML files
 * are written here, from the REPLY's cells: nothing needs the server's disk). */
static sl_report_request_t s_report_req;

static int s_report_reply(const char *command, const sl_msg_t *rep)
{
    const char **cells = calloc(rep->ncells ? rep->ncells : 1, sizeof *cells);
    size_t *lens = calloc(rep->ncells ? rep->ncells : 1, sizeof *lens);
    int rc = SL_EXIT_FAIL;
    if (cells && lens) {
        for (size_t i = 0; i < rep->ncells; i++) {
            cells[i] = rep->cells[i].ptr;
            lens[i] = rep->cells[i].len;
        }
        rc = sl_report_cli_print(command, &s_report_req, rep->columns, cells, lens, rep->ncells,
                                 stdout, stderr);
    }
    free(cells);
    free(lens);
    return rc;
}

static int s_report(int argc, char **argv)
{
    sl_opt_t extra[] = { CRED_OPTS };
    int rc = sl_report_cli_parse(PROG, argc, argv, extra, 2, &s_report_req);
    if (rc)
        return rc == 1 ? 0 : rc;
    s_reply_hook = s_report_reply;
    return s_request(PROG " report", s_report_req.verb, s_report_req.nargs, s_report_req.keys,
                     s_report_req.values, NULL, false);
}

/* --expires: 7d, 12h, 30m, 90s, or a date YYYY-MM-DD (its end, local time), as
 * Unix ms.  0 after printing what is wrong. */
static int64_t s_expires(const char *command, const char *text)
{
    char unit = 0;
    long n = 0;
    int year, mon, day;
    char tail;
    if (sscanf(text, "%ld%c%c", &n, &unit, &tail) == 2 && n > 0 && n < 100000
        && (unit == 'd' || unit == 'h' || unit == 'm' || unit == 's'))
        return sl_now_ms() + n * (unit == 'd' ? 86400000LL : unit == 'h' ? 3600000LL
                                  : unit == 'm' ? 60000LL : 1000LL);
    if (sscanf(text, "%4d-%2d-%2d%c", &year, &mon, &day, &tail) == 3) {
        struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                         .tm_hour = 23, .tm_min = 59, .tm_sec = 59, .tm_isdst = -1 };
        time_t t = mktime(&tm);
        if (t != (time_t) -1 && tm.tm_mday == day)
            return (int64_t) t * 1000;
    }
    sl_cli_err(command, "--expires \"%s\" 须为 7d、12h、30m、90s 或 YYYY-MM-DD",
               "--expires \"%s\" must be 7d, 12h, 30m, 90s or YYYY-MM-DD", text);
    return 0;
}

/* ADMIN command.send: the command's words become its arguments in table
 * order; the last text argument takes the remaining words (a notice). */
static int s_send_command(const char *command, const char *target, bool all,
                          const sl_command_t *c, char **words, size_t nwords,
                          const char *expires)
{
    char names[600], exp_text[32] = "";
    if (!c) {
        sl_command_names(names, sizeof names);
        sl_cli_err(command, "未知的命令；命令有：%s", "unknown command; commands are: %s", names);
        return SL_EXIT_USAGE;
    }
    if (nwords > c->nargs && !(c->nargs && c->args[c->nargs - 1].type == SL_CA_TEXT)) {
        sl_cli_err(command, "%s 最多 %zu 个参数", "%s takes at most %zu argument(s)", c->name,
                   c->nargs);
        return SL_EXIT_USAGE;
    }
    sl_json_writer_t w;
    sl_json_begin(&w);
    for (size_t k = 0; k < c->nargs && k < nwords; k++) {
        if (k + 1 == c->nargs && nwords > c->nargs) {
            /* The rest of the words, joined by spaces. */
            size_t len = 0;
            for (size_t i = k; i < nwords; i++)
                len += strlen(words[i]) + 1;
            char *joined = malloc(len + 1);
            if (!joined) {
                free(sl_json_end(&w, NULL));
                return SL_EXIT_FAIL;
            }
            joined[0] = 0;
            for (size_t i = k; i < nwords; i++) {
                strcat(joined, words[i]);
                if (i + 1 < nwords)
                    strcat(joined, " ");
            }
            sl_json_add_str(&w, c->args[k].name, joined, strlen(joined));
            free(joined);
        } else {
            sl_json_add_str(&w, c->args[k].name, words[k], strlen(words[k]));
        }
    }
    char *json = sl_json_end(&w, NULL);
    if (!json)
        return SL_EXIT_FAIL;
    if (expires) {
        int64_t ms = s_expires(command, expires);
        if (!ms) {
            free(json);
            return SL_EXIT_USAGE;
        }
        snprintf(exp_text, sizeof exp_text, "%lld", (long long) ms);
    }
    const char *keys[4], *values[4];
    size_t n = 0;
    keys[n] = all ? "all" : "site";
    values[n++] = all ? "yes" : target;
    keys[n] = "command";
    values[n++] = c->name;
    keys[n] = "args";
    values[n++] = json;
    if (exp_text[0]) {
        keys[n] = "expires_ms";
        values[n++] = exp_text;
    }
    int rc = s_request(command, "command.send", n, keys, values, NULL, false);
    free(json);
    return rc;
}

static int s_send(int argc, char **argv)
{
    bool all = false;
    const char *expires = NULL;
    sl_opt_t opts[] = { CRED_OPTS, SEND_OPTS(all, expires) };
    static char summary[3000];
    size_t used = (size_t) snprintf(summary, sizeof summary, "%s\n",
        SL_D("把一条命令发给一个站点（或用 --all 发给所有站点）。服务器保存它，在站点下次连接时送达；站点执行一次，"
             "结果作为一条记录传回（见 " PROG " commands）。命令有：",
             "Sends a command to a site (or to every site with --all).  The server keeps it and "
             "delivers it when the site next connects; the site runs it once and its result "
             "comes back as a record (see " PROG " commands).  Commands:"));
    for (size_t i = 0; i < sl_command_count() && used < sizeof summary; i++) {
        const sl_command_t *c = sl_command_at(i);
        char args[200] = "";
        size_t a = 0;
        for (size_t k = 0; k < c->nargs && a < sizeof args; k++)
            a += (size_t) snprintf(args + a, sizeof args - a, " %s%s%s", c->args[k].required
                                   ? "" : "[", c->args[k].name, c->args[k].required ? "" : "]");
        used += (size_t) snprintf(summary + used, sizeof summary - used, "  %-11s %-12s %s\n",
                                  c->name, args, c->summary);
    }
    char *pos[2 + 64];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " send", "SITE|--all COMMAND [ARGS…] [--expires WHEN]",
                          summary, opts, sizeof opts / sizeof opts[0], pos,
                          sizeof pos / sizeof pos[0], &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    size_t first = all ? 0 : 1;
    if (npos < first + 1) {
        sl_cli_err(PROG " send", "请给出 SITE（或 --all）和 COMMAND（见 " PROG " send --help）",
                   "give SITE (or --all) and COMMAND (see " PROG " send --help)");
        return SL_EXIT_USAGE;
    }
    const char *name = pos[first];
    return s_send_command(PROG " send", all ? NULL : pos[0], all, sl_command_find(name),
                          pos + first + 1, npos - first - 1, expires);
}

/* A verb whose request is only options: sites, stats, incidents, audit … */
static int s_list_verb(int argc, char **argv, const char *command, const char *verb,
                       const char *summary, const sl_opt_t *extra, size_t nextra,
                       const char *const *arg_keys, const char **arg_values, size_t nargs)
{
    sl_opt_t opts[8] = { CRED_OPTS, TSV_OPT };
    size_t nopts = 3;
    for (size_t i = 0; i < nextra && nopts < 8; i++)
        opts[nopts++] = extra[i];
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, command, "[options]", summary, opts, nopts, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    const char *keys[8] = { 0 }, *values[8] = { 0 };
    size_t n = 0;
    for (size_t i = 0; i < nargs && n < 8; i++)
        if (arg_values[i]) {
            keys[n] = arg_keys[i];
            values[n++] = arg_values[i];
        }
    return s_request(command, verb, n, keys, values, NULL, false);
}

static int s_sites(int argc, char **argv)
{
    return s_list_verb(argc, argv, PROG " sites", "site.health",
                       SL_D("每个已注册的站点（同步过的和没同步过的）及其状况：是否在线、最近连接、最近收到的记录、积压（站点有而服务器没有的记录）、最早未上传记录的时长、时钟与服务器的偏差、版本、注册包、剩余磁盘、最近错误，以及超过 site_silent_hours 设置（默认 72；ref put setting site_silent_hours value=N）没有连接时的“沉默”。", "Every enrolled site, synced or not, and how it is doing: connected now, "
                       "last seen, the last record received, its backlog (records it holds "
                       "that the server has not), the age of its oldest unsent record, its "
                       "clock's offset from the server's, its version, bundle, free disk, last "
                       "error, and silent when it has not connected for longer than the "
                       "setting site_silent_hours (default 72; ref put setting "
                       "site_silent_hours value=N)."), NULL, 0, NULL, NULL, 0);
}

static int s_commands(int argc, char **argv)
{
    const char *site = NULL, *id = NULL, *limit = NULL;
    sl_opt_t opts[] = { CRED_OPTS, TSV_OPT,
                        { "--site", "SITE", SL_D("只看这个站点的命令", "only this site's commands"), &site, NULL },
                        { "--id", "N", SL_D("一条命令及其完整结果", "one command, with its whole result"), &id, NULL },
                        { "--limit", "N", SL_D("最新的 N 条（默认 100）", "the newest N (default 100)"), &limit, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " commands", "[--site SITE] [--id N] [--tsv]",
                          SL_D("发给站点的命令，最新的在前：编号、站点、命令、状态（排队、已送达、已完成、失败、已过期、已取消）、发出时间、发出人、过期时间、送达、完成，以及站点结果的开头（--id N 显示完整结果）。", "Commands sent to sites, newest first: their number, site, command, "
                          "state (queued, delivered, done, failed, expired, cancelled), when sent, by whom, expiry, delivery, "
                          "completion, and the start of the site's result (--id N shows it "
                          "whole)."), opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    const char *names[] = { "site", "id", "limit" }, *given[] = { site, id, limit };
    const char *keys[3] = { 0 }, *values[3] = { 0 };
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (given[i]) {
            keys[n] = names[i];
            values[n++] = given[i];
        }
    return s_request(PROG " commands", "command.list", n, keys, values, NULL, false);
}

static int s_cancel(int argc, char **argv)
{
    sl_opt_t opts[] = { CRED_OPTS };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " cancel", "ID",
                          SL_D("取消一条还在排队（尚未送达站点）的命令：站点永远不会执行它。", "Cancels a command that is still queued (not yet delivered to its "
                          "site): the site will never run it."), opts, 2, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 1) {
        sl_cli_err(PROG " cancel", "请给出命令的编号（见 " PROG " commands）",
                   "give the command's number (see " PROG " commands)");
        return SL_EXIT_USAGE;
    }
    const char *keys[] = { "id" }, *values[] = { pos[0] };
    return s_request(PROG " cancel", "command.cancel", 1, keys, values, NULL, false);
}

static int s_audit(int argc, char **argv)
{
    const char *who = NULL, *limit = NULL;
    sl_opt_t opts[] = { CRED_OPTS, TSV_OPT,
                        { "--who", "NAME", SL_D("只看这个管理员的操作", "only this administrator's actions"), &who, NULL },
                        { "--limit", "N", SL_D("最新的 N 条（默认 100）", "the newest N (default 100)"), &limit, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " audit", "[--who NAME] [--limit N] [--tsv]",
                          SL_D("每一项管理操作，最新的在前：时间、谁、做了什么（命令和参数）、执行了还是被拒绝。服务器本机上的操作也在其中。", "Every administrative action, newest first: when, who, what (the "
                          "verb and its arguments), and whether it was done or refused.  "
                          "Actions on the server machine are there too."), opts,
                          sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    const char *keys[2], *values[2];
    size_t n = 0;
    if (who) {
        keys[n] = "who";
        values[n++] = who;
    }
    if (limit) {
        keys[n] = "limit";
        values[n++] = limit;
    }
    return s_request(PROG " audit", "audit.list", n, keys, values, NULL, false);
}

static int s_admin(int argc, char **argv)
{
    bool list = argc >= 1 && strcmp(argv[0], "list") == 0;
    bool revoke = argc >= 1 && strcmp(argv[0], "revoke") == 0;
    if (!list && !revoke) {
        bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
        static const sl_cli_verb_help_t verbs[] = {
            { "list", SL_D("管理员凭据：名称、状态、密钥、日期",
                           "administrator credentials: name, status, key, dates") },
            { "revoke NAME", SL_D("立即吊销一个管理员的凭据（NAME，或其密钥的前 8 个字符）；最后一个有效的不能吊销",
                                  "revoke an administrator's credentials at once (NAME, or the "
                                  "first 8 characters of its key); never the last active one") },
        };
        sl_cli_verbs_help(help ? stdout : stderr, PROG " admin", "list|revoke …", NULL, verbs,
                          sizeof verbs / sizeof verbs[0], 12,
                          SL_D("（新凭据在服务器上生成：shuanglian-server admin add NAME）",
                               "(new credentials are made on the server: shuanglian-server admin "
                               "add NAME)"));
        return help ? 0 : SL_EXIT_USAGE;
    }
    sl_opt_t opts[] = { CRED_OPTS, TSV_OPT };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc - 1, argv + 1, list ? PROG " admin list" : PROG " admin revoke",
                          list ? "[--tsv]" : "NAME", list ? SL_D("列出管理员凭据。", "Lists administrator credentials.")
                          : SL_D("立即吊销名为 NAME 的管理员凭据。", "Revokes the administrator credentials named NAME, at once."),
                          opts, 3, pos, list ? 0 : 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (revoke && npos != 1) {
        sl_cli_err(PROG " admin revoke", "需要 NAME", "NAME is required");
        return SL_EXIT_USAGE;
    }
    const char *keys[] = { "name" }, *values[] = { revoke ? pos[0] : "" };
    return s_request(list ? PROG " admin list" : PROG " admin revoke",
                     list ? "admin.list" : "admin.revoke", revoke ? 1 : 0, keys, values, NULL,
                     false);
}

static int s_stats(int argc, char **argv)
{
    return s_list_verb(argc, argv, PROG " stats", "stats",
                       SL_D("服务器上的记录数，按站点（每个已注册的站点，同步过的和没同步过的）和记录类型，带合计。", "Records held by the server, per site (every enrolled site, synced or "
                       "not) and per record type, with the total."), NULL, 0, NULL, NULL, 0);
}

static int s_incidents(int argc, char **argv)
{
    return s_list_verb(argc, argv, PROG " incidents", "incidents.list",
                       SL_D("需要运维人员处理的拒绝：分叉、链断裂、无效记录、替别的站点说话的密钥。", "Refusals that need an operator: forks, broken chains, invalid records, "
                       "keys speaking for another site."), NULL, 0, NULL, NULL, 0);
}

static void s_usage(FILE *out)
{
    static const sl_cli_verb_help_t verbs[] = {
        { "sites", SL_D("每个站点的状况（沉默、积压、时钟、版本…）",
                        "every site and how it is doing (silent, backlog, clock, version …)") },
        { "site", SL_D("注册站点（写出注册包）、吊销、列出、改服务器地址",
                       "enroll a site (write its bundle), revoke, list, set-server") },
        { "ref", SL_D("给站点的参考数据：put、del、list、import",
                      "reference data for sites: put, del, list, import") },
        { "send", SL_D("给站点发命令（或 --all）；站点下次连接时执行",
                       "send a command to a site (or --all); it runs at its next connection") },
        { "commands", SL_D("发出的命令及其结果", "commands sent and their results") },
        { "cancel", SL_D("取消还在排队的命令", "cancel a command still queued") },
        { "audit", SL_D("谁在什么时候做了什么，结果如何", "who did what, when, with what result") },
        { "admin", SL_D("列出或吊销管理员凭据", "list or revoke administrator credentials") },
        { "stats", SL_D("各站点、各类型的记录数", "records per site and type") },
        { "incidents", SL_D("需要运维人员处理的拒绝", "refusals that need an operator") },
        { "report", SL_D("区里的统计和报表（调度、五个一、闭环、积分…）",
                         "district figures and reports (dispatch, five, loop, points …)") },
    };
    sl_cli_program_help(out, PROG,
                        SL_D("双进双联区管理员的工具：通过加密、认证的连接和运行中的服务器对话。"
                             "每个命令都接受 --cred FILE（默认 $SHUANGLIAN_ADMIN_CRED 或 ./admin.cred）。\n\n命令：",
                             "The district administrator's tool for shuanglian: talks to the "
                             "running server over an encrypted, authenticated connection.  Every "
                             "verb takes --cred FILE (default $SHUANGLIAN_ADMIN_CRED or "
                             "./admin.cred).\n\nverbs:"),
                        verbs, sizeof verbs / sizeof verbs[0]);
}

int main(int argc, char **argv)
{
    zsys_handler_set(NULL);
    static const sl_verb_t verbs[] = {
        { "site", s_site }, { "ref", s_ref }, { "sites", s_sites }, { "send", s_send },
        { "commands", s_commands }, { "cancel", s_cancel }, { "audit", s_audit },
        { "admin", s_admin }, { "stats", s_stats }, { "incidents", s_incidents },
        { "report", s_report },
    };
    return sl_cli_main(argc, argv, PROG, verbs, sizeof verbs / sizeof verbs[0], s_usage);
}
