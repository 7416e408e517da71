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
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_keys.h"
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
    { "--cred", "FILE", "administrator credential (default $SHUANGLIAN_ADMIN_CRED or ./admin.cred)", \
      &s_cred_path, NULL }, \
    { "--timeout", "S", "seconds to wait for the server (default 10)", &s_timeout, NULL }

/* When set, a REPLY goes to this instead of being printed (report …). */
static int (*s_reply_hook)(const char *command, const sl_msg_t *rep);

/* Sends one ADMIN request and prints the REPLY.  Returns an exit code. */
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
    zsock_t *sock = sl_net_client_socket(cred.server, &curve, 0, NULL, err, sizeof err);
    memset(&cred.keys, 0, sizeof cred.keys);
    if (!sock) {
        fprintf(stderr, "%s: %s\n", command, err);
        return SL_EXIT_FAIL;
    }
    sl_arg_t args[SL_MAX_ARGS];
    for (size_t i = 0; i < nargs; i++) {
        args[i].key = keys[i];
        args[i].key_len = strlen(keys[i]);
        args[i].value = values[i];
        args[i].value_len = lens ? lens[i] : strlen(values[i]);
    }
    uint64_t sess = (uint64_t) sl_now_ms();
    sl_msg_t req = { .type = SL_ADMIN, .sess = sess, .verb = verb, .verb_len = strlen(verb),
                     .args = args, .nargs = nargs };
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    sl_msg_encode(&req, &out);
    int rc = SL_EXIT_UNREACHABLE;
    int64_t deadline = sl_now_ms() + secs * 1000;
    bool sent = false;
    sl_msg_t rep;
    memset(&rep, 0, sizeof rep);
    while (sl_now_ms() < deadline) {
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
            fprintf(stderr, "%s: unreadable answer from the server: %s\n", command, err);
            rc = SL_EXIT_FAIL;
        } else if (rep.sess != sess) {
            zmq_msg_close(&frame);
            sl_msg_reset(&rep);
            continue;
        } else if (rep.type == SL_ERROR) {
            fprintf(stderr, "%s: refused by the server: %s (%u): %.*s\n", command,
                    sl_error_name((int) rep.code), rep.code, (int) rep.text_len, rep.text);
            rc = SL_EXIT_REFUSED;
        } else if (rep.type == SL_REPLY && s_reply_hook) {
            rc = s_reply_hook(command, &rep);
        } else if (rep.type == SL_REPLY) {
            if (rep.text_len)
                printf("%.*s\n", (int) rep.text_len, rep.text);
            if (rep.columns && rep.ncells >= rep.columns && !quiet_rows) {
                char **cells = calloc(rep.ncells, sizeof *cells);
                bool ok = cells != NULL;
                for (size_t i = 0; ok && i < rep.ncells; i++)
                    ok = (cells[i] = strndup(rep.cells[i].ptr, rep.cells[i].len)) != NULL;
                if (ok)
                    sl_table_print_cells(rep.columns, (const char *const *) cells, rep.ncells,
                                         stdout);
                for (size_t i = 0; cells && i < rep.ncells; i++)
                    free(cells[i]);
                free(cells);
            }
            rc = 0;
        } else {
            fprintf(stderr, "%s: unexpected %s from the server\n", command,
                    sl_msg_type_name(rep.type));
            rc = SL_EXIT_FAIL;
        }
        zmq_msg_close(&frame);
        sl_msg_reset(&rep);
        break;
    }
    if (rc == SL_EXIT_UNREACHABLE)
        fprintf(stderr, "%s: no answer from %s within %ld s (server down, wrong server key in "
                "%s, or this administrator key is unknown to the server)\n",
                command, cred.server, secs, s_cred_path);
    msgpack_sbuffer_destroy(&out);
    zsock_destroy(&sock);
    return rc;
}

static int s_site_enroll(int argc, char **argv)
{
    const char *site = NULL, *community = NULL, *days = "7", *out = NULL;
    sl_opt_t opts[] = {
        CRED_OPTS,
        { "--site", "ID", "the new site's id (e.g. qu01.gongyuan)", &site, NULL },
        { "--community", "NAME", "its community (社区), e.g. 公园社区", &community, NULL },
        { "--days", "N", "the bundle expires after N days (default 7)", &days, NULL },
        { "--out", "FILE", "where to write the bundle (default ID.bundle)", &out, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " site enroll", "--site ID --community NAME [--days N] "
                          "[--out FILE]",
                          "Registers a site and writes its enrollment bundle: one file holding "
                          "the site id, a one-time key, the server's public key and address, "
                          "and an expiry.  Give it to the site (USB stick, not e-mail); it "
                          "installs it with `shuanglian-site init --bundle FILE`.  A bundle "
                          "works once.", opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
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
        fprintf(stderr, PROG " site enroll: cannot make a key pair\n");
        return SL_EXIT_FAIL;
    }
    b.expires_ms = sl_now_ms() + ndays * 86400000LL;
    char expires[32];
    snprintf(expires, sizeof expires, "%lld", (long long) b.expires_ms);
    const char *keys[] = { "site", "community", "enroll_key", "expires_ms" };
    const char *values[] = { site, community, b.enroll.public_z85, expires };
    rc = s_request(PROG " site enroll", "site.enroll", 4, keys, values, NULL, false);
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
    printf("注册包已生成 enrollment bundle written: %s (site %s, %s; expires %s; single use)\n",
           path, site, community, when);
    return 0;
}

static int s_site(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "enroll") == 0)
        return s_site_enroll(argc - 1, argv + 1);
    bool revoke = argc >= 1 && strcmp(argv[0], "revoke") == 0;
    bool list = argc >= 1 && strcmp(argv[0], "list") == 0;
    if (revoke || list) {
        sl_opt_t opts[] = { CRED_OPTS };
        char *pos[1];
        size_t npos;
        int rc = sl_cli_parse(argc - 1, argv + 1, revoke ? PROG " site revoke" : PROG " site list",
                              revoke ? "SITE" : "",
                              revoke ? "Revokes every key of SITE at once: its open connection is "
                                       "refused on its next message, new connections are refused, "
                                       "and an unused bundle for it stops working."
                                     : "Lists sites, their keys and when they were last seen.",
                              opts, 2, pos, revoke ? 1 : 0, &npos);
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
    fprintf(help ? stdout : stderr,
            "usage: " PROG " site enroll|revoke|list …\n\n"
            "  enroll --site ID --community NAME   register a site, write its bundle\n"
            "  revoke SITE                         refuse every key of SITE, at once\n"
            "  list                                sites, key states, last seen\n");
    return help ? 0 : SL_EXIT_USAGE;
}

static int s_ref(int argc, char **argv)
{
    const char *target = NULL;
    sl_opt_t opts[] = {
        CRED_OPTS,
        { "--site", "SITE", "put, del, import: for this site only (default: every site); it "
          "must be enrolled", &target, NULL },
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

static void s_usage(FILE *out)
{
    fprintf(out,
        "usage: " PROG " VERB [options]\n\n"
        "The district administrator's tool for shuanglian (双进双联): talks to the\n"
        "running server over an encrypted, authenticated connection.\n\n"
        "verbs:\n"
        "  site      enroll a site (write its bundle), revoke a site, list sites\n"
        "  ref       reference data for sites: put, del, list, import\n"
        "  report    district figures and reports (dispatch, five, loop, points …)\n\n"
        "Every verb takes --cred FILE (default $SHUANGLIAN_ADMIN_CRED or ./admin.cred).\n"
        "Run '" PROG " VERB --help' for a verb's options.\n");
}

int main(int argc, char **argv)
{
    zsys_handler_set(NULL);
    static const sl_verb_t verbs[] = { { "site", s_site }, { "ref", s_ref },
                                       { "report", s_report } };
    return sl_cli_main(argc, argv, PROG, verbs, sizeof verbs / sizeof verbs[0], s_usage);
}
