/* shuanglian-server: the district server.
 *
 *   shuanglian-server init   --data DIR
 *   shuanglian-server run    --data DIR [--bind ENDPOINT]
 *   shuanglian-server stats  --data DIR [--tsv]
 *   shuanglian-server verify --data DIR
 *   shuanglian-server ref put|del|list|import|new-epoch --data DIR …
 *   shuanglian-server site enroll|revoke|list --data DIR …
 *   shuanglian-server incidents --data DIR
 *   shuanglian-server web [passwd NAME] --data DIR [--listen HOST:PORT]
 *   shuanglian-server report NAME … --data DIR   (server/report.h)
 *
 * This file only parses arguments and calls the store and the engine. */
#include "central_store.h"
#include "dash_web.h"
#include "server_admin.h"
#include "server_auth.h"
#include "server_engine.h"
#include "sl_cli.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_keys.h"
#include "sl_log.h"
#include "sl_report_cli.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "shuanglian-server"
#define DEFAULT_DATA "server-data"
#define DEFAULT_BIND "tcp://127.0.0.1:7450"

static const char *s_data = DEFAULT_DATA;

static central_store_t *s_open_store(const char *command)
{
    char err[512];
    central_store_t *store = central_store_open(s_data, err, sizeof err);
    if (!store)
        fprintf(stderr, "%s: %s\n", command, err);
    return store;
}

/* Writes an administrator credential and registers its key.  0 or -1. */
static int s_admin_add(sqlite3 *db, const char *name, const char *path, char *err, size_t errlen)
{
    char server_pub[SL_Z85_KEY], pubpath[600], endpoint[256];
    snprintf(pubpath, sizeof pubpath, "%s/server.pub", s_data);
    if (sl_pubfile_read(pubpath, server_pub, err, errlen))
        return -1;
    sqlite3_stmt *st = sl_db_prepare(db, "SELECT value FROM meta WHERE key = 'public_endpoint'");
    snprintf(endpoint, sizeof endpoint, "%s", DEFAULT_BIND);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        snprintf(endpoint, sizeof endpoint, "%s", sl_db_text(st, 0));
    sqlite3_finalize(st);
    sl_admin_cred_t cred = { 0 };
    snprintf(cred.name, sizeof cred.name, "%s", name);
    snprintf(cred.server, sizeof cred.server, "%s", endpoint);
    snprintf(cred.server_public, sizeof cred.server_public, "%s", server_pub);
    if (sl_keypair_new(&cred.keys)) {
        snprintf(err, errlen, "cannot make a key pair");
        return -1;
    }
    int rc = sl_admin_cred_write(path, &cred, err, errlen);
    if (rc == 0) {
        server_auth_t *auth = server_auth_new(db, false, err, errlen);
        rc = auth ? server_auth_add(auth, SL_ROLE_ADMIN, cred.keys.public_z85, NULL, name,
                                    "active", 0) : -1;
        if (rc) {
            snprintf(err, errlen, "cannot register the administrator key");
            unlink(path);
        }
        server_auth_destroy(&auth);
    }
    memset(&cred.keys, 0, sizeof cred.keys);
    return rc;
}

static int s_init(int argc, char **argv)
{
    const char *endpoint = DEFAULT_BIND;
    sl_opt_t opts[] = {
        { "--data", "DIR", "data directory to create (default " DEFAULT_DATA ")", &s_data, NULL },
        { "--endpoint", "ENDPOINT", "address sites and admins will use to reach this server "
          "(default " DEFAULT_BIND "); written into bundles and credentials", &endpoint, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " init", "[--data DIR] [--endpoint tcp://HOST:PORT]",
                          "Creates the central store (DIR/central.db), the server's CURVE key "
                          "pair (DIR/server.key, private; DIR/server.pub, to share) and a first "
                          "administrator credential (DIR/admin.cred).", opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (strncmp(endpoint, "tcp://", 6) != 0 || !strchr(endpoint + 6, ':') || strlen(endpoint) > 200) {
        fprintf(stderr, PROG " init: --endpoint \"%s\" must look like tcp://HOST:PORT\n", endpoint);
        return SL_EXIT_USAGE;
    }
    char err[512], path[600];
    if (central_store_init(s_data, err, sizeof err)) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    central_store_t *store = s_open_store(PROG " init");
    if (!store)
        return SL_EXIT_FAIL;
    sqlite3 *db = central_store_db(store);
    sl_keypair_t kp;
    uint8_t raw[16];
    char log_id[33], sql[400];
    sl_id_new(raw, sl_hlc_next(0, sl_now_ms()));
    sl_hex(raw, sizeof raw, log_id);
    sqlite3_stmt *st = sl_db_prepare(db, "INSERT OR REPLACE INTO meta(key, value) VALUES"
                                         " ('public_endpoint', ?), ('log_id', ?)");
    rc = st ? 0 : -1;
    if (st) {
        sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, log_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    (void) sql;
    snprintf(path, sizeof path, "%s/server.key", s_data);
    if (rc == 0 && (sl_keypair_new(&kp) || sl_keyfile_write(path, &kp, "shuanglian server key", err, sizeof err)))
        rc = -1;
    snprintf(path, sizeof path, "%s/server.pub", s_data);
    if (rc == 0 && sl_pubfile_write(path, kp.public_z85, err, sizeof err))
        rc = -1;
    chmod(path, 0644);
    memset(&kp, 0, sizeof kp);
    snprintf(path, sizeof path, "%s/admin.cred", s_data);
    if (rc == 0 && s_admin_add(db, "admin", path, err, sizeof err))
        rc = -1;
    central_store_destroy(&store);
    if (rc) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    printf("central store created: %s/central.db\n", s_data);
    printf("server key pair: %s/server.key (private), %s/server.pub (public)\n", s_data, s_data);
    printf("administrator credential: %s/admin.cred -- give it to the district administrator "
           "(shuanglian-admin --cred FILE) and keep it private\n", s_data);
    return 0;
}

static int s_admin(int argc, char **argv)
{
    const char *out = NULL;
    sl_opt_t opts[] = {
        { "--data", "DIR", "data directory (default " DEFAULT_DATA ")", &s_data, NULL },
        { "--out", "FILE", "where to write the credential (default NAME.cred)", &out, NULL },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " admin", "add NAME [--out FILE] [--data DIR]",
                          "Creates another administrator credential for shuanglian-admin "
                          "(needs access to the server's data directory).", opts, 2, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 2 || strcmp(pos[0], "add") != 0) {
        fprintf(stderr, PROG " admin: expected add NAME (see " PROG " admin --help)\n");
        return SL_EXIT_USAGE;
    }
    if (!*pos[1] || strlen(pos[1]) > 64 || !sl_utf8_valid(pos[1], strlen(pos[1]))) {
        fprintf(stderr, PROG " admin add: NAME must be UTF-8 text of 1..64 bytes\n");
        return SL_EXIT_USAGE;
    }
    char path[600], err[512];
    snprintf(path, sizeof path, "%s", out ? out : pos[1]);
    if (!out)
        strncat(path, ".cred", sizeof path - strlen(path) - 1);
    central_store_t *store = s_open_store(PROG " admin add");
    if (!store)
        return SL_EXIT_FAIL;
    rc = s_admin_add(central_store_db(store), pos[1], path, err, sizeof err);
    central_store_destroy(&store);
    if (rc) {
        fprintf(stderr, PROG " admin add: %s\n", err);
        return SL_EXIT_FAIL;
    }
    printf("administrator credential written: %s (keep it private)\n", path);
    return 0;
}

static volatile sig_atomic_t s_signal;      /* the signal that asked us to stop */

static void s_on_signal(int sig)
{
    s_signal = sig;
    server_engine_stop();
}

static int s_run(int argc, char **argv)
{
    const char *bind = DEFAULT_BIND, *credit = NULL, *batch = NULL;
    bool verbose = false, insecure = false;
    sl_opt_t opts[] = {
        { "--data", "DIR", "data directory (default " DEFAULT_DATA ")", &s_data, NULL },
        { "--bind", "ENDPOINT", "where sites connect (default " DEFAULT_BIND ")", &bind, NULL },
        { "--credit", "N", "batches a site may have in flight (1-16, default 4)", &credit, NULL },
        { "--batch", "N", "events per batch (1-2000, default 1000)", &batch, NULL },
        { "--verbose", NULL, "log every protocol step", NULL, &verbose },
        { "--insecure", NULL, "plaintext, no authentication: for benchmarks on one machine "
          "only, never on a network", NULL, &insecure },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " run", "[--data DIR] [--bind ENDPOINT]",
                          "Serves sites until interrupted (SIGINT or SIGTERM).", opts,
                          sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long c = SL_DEFAULT_CREDIT, b = SL_DEFAULT_BATCH_EVENTS;
    if ((credit && sl_cli_number(PROG " run", "--credit", credit, 1, SL_MAX_CREDIT, &c))
        || (batch && sl_cli_number(PROG " run", "--batch", batch, 1, SL_MAX_BATCH_EVENTS, &b)))
        return SL_EXIT_USAGE;
    if (verbose)
        sl_log_set_level(SL_LOG_DEBUG);
    zsys_handler_set(NULL);
    struct sigaction sa = { 0 };
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    char err[512], path[600];
    sl_keypair_t keys;
    snprintf(path, sizeof path, "%s/server.key", s_data);
    if (!insecure && sl_keyfile_read(path, &keys, err, sizeof err)) {
        fprintf(stderr, PROG " run: %s\n", err);
        return SL_EXIT_FAIL;
    }
    if (insecure)
        sl_warn("--insecure: plaintext and unauthenticated; any peer may claim any site");
    server_engine_opts_t eo = { .data_dir = s_data, .endpoint = bind,
                                .credit = (uint32_t) c, .max_batch = (uint32_t) b,
                                .keys = insecure ? NULL : &keys };
    server_engine_t *engine = server_engine_new(&eo, err, sizeof err);
    if (!engine) {
        fprintf(stderr, PROG " run: %s\n", err);
        return SL_EXIT_FAIL;
    }
    memset(&keys, 0, sizeof keys);
    rc = server_engine_run(engine);
    server_engine_destroy(&engine);
    /* Every exit says why (0.2.0 once vanished with an empty log). */
    if (rc)
        sl_error("exiting with status %d: the sync endpoint failed (see above)", SL_EXIT_FAIL);
    else
        sl_info("exiting with status 0: stopped by %s", s_signal == SIGINT ? "SIGINT (Ctrl-C)"
                : s_signal == SIGTERM ? "SIGTERM" : "a request to stop");
    return rc ? SL_EXIT_FAIL : 0;
}

static void s_time(int64_t ms, char *out, size_t cap)
{
    if (ms <= 0) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int s_stats(int argc, char **argv)
{
    bool tsv = false;
    sl_opt_t opts[] = {
        { "--data", "DIR", "data directory (default " DEFAULT_DATA ")", &s_data, NULL },
        { "--tsv", NULL, "machine-readable output: tab-separated, English headers", NULL, &tsv },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " stats", "[--data DIR] [--tsv]",
                          "Shows, per site and in total, the records held in the central store.",
                          opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    central_store_t *store = s_open_store(PROG " stats");
    if (!store)
        return SL_EXIT_FAIL;
    sqlite3 *db = central_store_db(store);
    /* One column per record type, from the schema table. */
    size_t ntypes = sl_schema_count(), ncols = 4 + ntypes;
    const char *heads_zh[4 + SL_MAX_TYPES], *heads_en[4 + SL_MAX_TYPES];
    heads_zh[0] = "站点 site";
    heads_zh[1] = "记录 records";
    heads_zh[2] = "最新序号 last seq";
    heads_en[0] = "site";
    heads_en[1] = "records";
    heads_en[2] = "last_seq";
    for (size_t t = 0; t < ntypes; t++) {
        heads_zh[3 + t] = sl_schema_at(t)->label;
        heads_en[3 + t] = sl_schema_at(t)->name;
    }
    heads_zh[3 + ntypes] = "最近连接 last seen";
    heads_en[3 + ntypes] = "last_seen_ms";
    sl_table_t *table = sl_table_new(ncols, tsv ? heads_en : heads_zh);
    for (size_t c = 1; c < 3 + ntypes; c++)
        sl_table_align(table, c, 'r');
    sqlite3_stmt *sites = sl_db_prepare(db,
        "SELECT site_no, site_id, last_seq, last_seen_ms FROM sites ORDER BY site_id");
    sqlite3_stmt *count = sl_db_prepare(db,
        "SELECT type, count(*) FROM events WHERE site_no = ? GROUP BY type");
    long long total = 0, type_total[SL_MAX_TYPES] = { 0 };
    char cells[4 + SL_MAX_TYPES][64];
    const char *row[4 + SL_MAX_TYPES];
    for (size_t c = 0; c < ncols; c++)
        row[c] = cells[c];
    size_t nsites = 0;
    if (tsv)
        for (size_t c = 0; c < ncols; c++)
            printf("%s%s", heads_en[c], c + 1 == ncols ? "\n" : "\t");
    while (sites && count && sqlite3_step(sites) == SQLITE_ROW) {
        long long per_type[SL_MAX_TYPES] = { 0 }, n = 0;
        sqlite3_reset(count);
        sqlite3_bind_int64(count, 1, sqlite3_column_int64(sites, 0));
        while (sqlite3_step(count) == SQLITE_ROW) {
            const char *type = sl_db_text(count, 0);
            long long k = sqlite3_column_int64(count, 1);
            n += k;
            for (size_t t = 0; t < ntypes; t++)
                if (strcmp(type, sl_schema_at(t)->name) == 0)
                    per_type[t] += k;
        }
        snprintf(cells[0], 64, "%s", sl_db_text(sites, 1));
        snprintf(cells[1], 64, "%lld", n);
        snprintf(cells[2], 64, "%lld", (long long) sqlite3_column_int64(sites, 2));
        for (size_t t = 0; t < ntypes; t++) {
            snprintf(cells[3 + t], 64, "%lld", per_type[t]);
            type_total[t] += per_type[t];
        }
        if (tsv)
            snprintf(cells[3 + ntypes], 64, "%lld", (long long) sqlite3_column_int64(sites, 3));
        else
            s_time(sqlite3_column_int64(sites, 3), cells[3 + ntypes], 64);
        total += n;
        nsites++;
        if (tsv) {
            for (size_t c = 0; c < ncols; c++)
                printf("%s%s", c ? "\t" : "", cells[c]);
            printf("\n");
        } else {
            sl_table_add(table, row);
        }
    }
    snprintf(cells[0], 64, tsv ? "TOTAL" : "合计 total (%zu)", nsites);
    snprintf(cells[1], 64, "%lld", total);
    snprintf(cells[2], 64, "%s", "");
    for (size_t t = 0; t < ntypes; t++)
        snprintf(cells[3 + t], 64, "%lld", type_total[t]);
    snprintf(cells[3 + ntypes], 64, "%s", "");
    if (tsv) {
        for (size_t c = 0; c < ncols; c++)
            printf("%s%s", c ? "\t" : "", cells[c]);
        printf("\n");
    } else {
        sl_table_add(table, row);
        sl_table_print(table, stdout);
    }
    sqlite3_finalize(sites);
    sqlite3_finalize(count);
    sl_table_destroy(&table);
    central_store_destroy(&store);
    return 0;
}

static int s_verify(int argc, char **argv)
{
    sl_opt_t opts[] = { { "--data", "DIR", "data directory (default " DEFAULT_DATA ")",
                          &s_data, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " verify", "[--data DIR]",
                          "Checks every site's hash chain in the central store: no gaps, every "
                          "event's hash verified.  Exit 0 when all is intact, 1 otherwise.",
                          opts, 1, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    central_store_t *store = s_open_store(PROG " verify");
    if (!store)
        return SL_EXIT_FAIL;
    long problems = central_store_verify(store, stdout);
    long long events = sl_db_int(central_store_db(store), "SELECT count(*) FROM events", 0);
    long long sites = sl_db_int(central_store_db(store), "SELECT count(*) FROM sites", 0);
    central_store_destroy(&store);
    if (problems == 0)
        printf("链完整 chain intact: %lld sites, %lld events verified\n", sites, events);
    else
        printf("链有问题 chain problems: %ld\n", problems);
    return problems == 0 ? 0 : SL_EXIT_FAIL;
}

/* Runs an administrative verb on the central store, as the running server
 * does for shuanglian-admin (server_admin.c: the same checks, the same
 * answer), and prints the answer.  Returns the exit code. */
static int s_admin_verb(const char *command, const char *verb, size_t nargs,
                        const char *const *keys, const char *const *values, const size_t *lens)
{
    central_store_t *store = s_open_store(command);
    if (!store)
        return SL_EXIT_FAIL;
    char err[512], who[100];
    server_auth_t *auth = server_auth_new(central_store_db(store), false, err, sizeof err);
    if (!auth) {
        fprintf(stderr, "%s: %s\n", command, err);
        central_store_destroy(&store);
        return SL_EXIT_FAIL;
    }
    sl_arg_t args[SL_MAX_ARGS];
    for (size_t i = 0; i < nargs && i < SL_MAX_ARGS; i++)
        args[i] = (sl_arg_t) { keys[i], strlen(keys[i]), values[i],
                               lens ? lens[i] : strlen(values[i]) };
    const char *user = getenv("USER");
    snprintf(who, sizeof who, "%.60s on the server machine", user && *user ? user : "someone");
    server_admin_env_t env = { .store = store, .auth = auth, .role = SL_ROLE_ADMIN, .admin = who };
    server_admin_reply_t reply;
    sl_log_set_level(SL_LOG_ERROR);     /* the answer is printed; no log lines besides */
    server_admin_run(&env, verb, args, nargs < SL_MAX_ARGS ? nargs : SL_MAX_ARGS, &reply);
    sl_log_set_level(SL_LOG_INFO);
    int rc = server_admin_print(&reply, command, stdout, stderr);
    server_admin_reply_free(&reply);
    server_auth_destroy(&auth);
    central_store_destroy(&store);
    return rc;
}

/* ref new-epoch: after restoring central.db from a backup, entries made
 * since the backup may reuse sequence numbers sites already applied. */
static int s_new_epoch(void)
{
    central_store_t *store = s_open_store(PROG " ref new-epoch");
    if (!store)
        return SL_EXIT_FAIL;
    char sql[160], hex[33];
    uint8_t raw[16];
    sl_id_new(raw, sl_hlc_next(0, sl_now_ms()));
    sl_hex(raw, sizeof raw, hex);
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES ('log_id', '%s')", hex);
    int rc = sl_db_exec(central_store_db(store), sql) ? SL_EXIT_FAIL : 0;
    if (!rc)
        printf("server log has a new identity: every site reloads all reference data at its "
               "next sync (restart a running server to apply)\n");
    central_store_destroy(&store);
    return rc;
}

static int s_ref(int argc, char **argv)
{
    const char *target = NULL;
    sl_opt_t opts[] = {
        { "--data", "DIR", "data directory (default " DEFAULT_DATA ")", &s_data, NULL },
        { "--site", "SITE", "put, del, import: for this site only (default: every site); it "
          "must be enrolled", &target, NULL },
    };
    static char summary[7000];
    snprintf(summary, sizeof summary, "%s\nThe same as shuanglian-admin ref, on the server "
             "machine (no credential); a running server picks changes up within a second.\n"
             "  new-epoch                   after restoring central.db from a backup, makes "
             "every site reload all reference data", sl_cli_ref_summary());
    char *pos[3 + SL_MAX_FIELDS];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " ref",
                          "put KIND KEY FIELD=VALUE… | del KIND KEY | list [KIND] | "
                          "import KIND FILE.csv | new-epoch   [--site SITE] [--data DIR]",
                          summary, opts, 2, pos, sizeof pos / sizeof pos[0], &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos == 1 && strcmp(pos[0], "new-epoch") == 0)
        return s_new_epoch();
    sl_cli_request_t req;
    rc = sl_cli_ref_request(PROG " ref", pos, npos, target, &req);
    if (rc == 0)
        rc = s_admin_verb(PROG " ref", req.verb, req.nargs, req.keys, req.values, req.lens);
    sl_cli_request_free(&req);
    return rc;
}

static int s_incidents(int argc, char **argv)
{
    sl_opt_t opts[] = { { "--data", "DIR", "data directory (default " DEFAULT_DATA ")",
                          &s_data, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " incidents", "[--data DIR]",
                          "Lists refused batches that need an operator: forks (conflicting "
                          "records for one site and sequence), broken chains, invalid records.",
                          opts, 1, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    central_store_t *store = s_open_store(PROG " incidents");
    if (!store)
        return SL_EXIT_FAIL;
    const char *heads[] = { "首次 first", "最近 last", "次数 count", "站点 site", "代码 code",
                            "序号 seq", "说明 text" };
    sl_table_t *t = sl_table_new(7, heads);
    sl_table_align(t, 2, 'r');
    sqlite3_stmt *st = sl_db_prepare(central_store_db(store),
        "SELECT at_ms, last_ms, count, site_id, code, seq, text FROM incidents ORDER BY id");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        char first[32], last[32], count[32], code[32], seq[32];
        s_time(sqlite3_column_int64(st, 0), first, sizeof first);
        s_time(sqlite3_column_int64(st, 1), last, sizeof last);
        snprintf(count, sizeof count, "%lld", (long long) sqlite3_column_int64(st, 2));
        snprintf(code, sizeof code, "%d", sqlite3_column_int(st, 4));
        snprintf(seq, sizeof seq, "%lld", (long long) sqlite3_column_int64(st, 5));
        const char *row[] = { first, last, count, sl_db_text(st, 3), code, seq,
                              sl_db_text(st, 6) };
        sl_table_add(t, row);
    }
    sqlite3_finalize(st);
    sl_table_print(t, stdout);
    sl_table_destroy(&t);
    central_store_destroy(&store);
    return 0;
}

/* Reads a meta value of the central store into buf ("" when absent). */
static void s_meta(sqlite3 *db, const char *key, char *buf, size_t cap)
{
    sqlite3_stmt *st = sl_db_prepare(db, "SELECT value FROM meta WHERE key = ?");
    buf[0] = 0;
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            snprintf(buf, cap, "%s", sl_db_text(st, 0));
    }
    sqlite3_finalize(st);
}

/* site enroll|revoke|list, done on the server's own files: the same verbs
 * as shuanglian-admin's, for a district whose server is not running yet.
 * A running server sees the change within a second. */
static int s_site(int argc, char **argv)
{
    const char *site = NULL, *community = NULL, *days = "7", *out = NULL;
    sl_opt_t opts[] = {
        { "--data", "DIR", "data directory (default " DEFAULT_DATA ")", &s_data, NULL },
        { "--site", "ID", "enroll: the new site's id", &site, NULL },
        { "--community", "NAME", "enroll: its community (社区)", &community, NULL },
        { "--days", "N", "enroll: the bundle expires after N days (default 7)", &days, NULL },
        { "--out", "FILE", "enroll: where to write the bundle (default ID.bundle)", &out, NULL },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " site", "enroll --site ID --community NAME [--days N] "
                          "[--out FILE] | revoke SITE | list   [--data DIR]",
                          "Enrolls, revokes or lists sites directly in the central store (the "
                          "same as shuanglian-admin site enroll|revoke|list, without the "
                          "network).", opts, 5, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    bool enroll = npos == 1 && strcmp(pos[0], "enroll") == 0;
    bool revoke = npos == 2 && strcmp(pos[0], "revoke") == 0;
    bool list = npos == 1 && strcmp(pos[0], "list") == 0;
    if (!enroll && !revoke && !list) {
        fprintf(stderr, PROG " site: expected enroll --site ID --community NAME, revoke SITE or "
                "list\n");
        return SL_EXIT_USAGE;
    }
    if (list)
        return s_admin_verb(PROG " site list", "site.list", 0, NULL, NULL, NULL);
    if (revoke) {
        const char *keys[] = { "site" }, *values[] = { pos[1] };
        return s_admin_verb(PROG " site revoke", "site.revoke", 1, keys, values, NULL);
    }
    long ndays = 0;
    char path[600], pubpath[600], err[512], expires[32];
    rc = sl_cli_enroll_args(PROG " site enroll", site, community, days, out, &ndays, path,
                            sizeof path);
    if (rc)
        return rc;
    sl_bundle_t b = { 0 };
    snprintf(pubpath, sizeof pubpath, "%s/server.pub", s_data);
    snprintf(b.site, sizeof b.site, "%s", site);
    snprintf(b.community, sizeof b.community, "%s", community);
    central_store_t *store = s_open_store(PROG " site enroll");
    if (!store)
        return SL_EXIT_FAIL;
    s_meta(central_store_db(store), "public_endpoint", b.server, sizeof b.server);
    central_store_destroy(&store);
    if (sl_pubfile_read(pubpath, b.server_public, err, sizeof err) || sl_keypair_new(&b.enroll)) {
        fprintf(stderr, PROG " site enroll: %s\n", err);
        return SL_EXIT_FAIL;
    }
    b.expires_ms = sl_now_ms() + ndays * 86400000LL;
    snprintf(expires, sizeof expires, "%lld", (long long) b.expires_ms);
    const char *keys[] = { "site", "community", "enroll_key", "expires_ms" };
    const char *values[] = { site, community, b.enroll.public_z85, expires };
    rc = s_admin_verb(PROG " site enroll", "site.enroll", 4, keys, values, NULL);
    if (rc == 0 && sl_bundle_write(path, &b, err, sizeof err)) {
        fprintf(stderr, PROG " site enroll: %s\n", err);
        rc = SL_EXIT_FAIL;
    } else if (rc == 0) {
        printf("注册包已生成 enrollment bundle written: %s (site %s, %s; valid %ld days, "
               "single use)\n", path, site, community, ndays);
    }
    memset(&b.enroll, 0, sizeof b.enroll);
    return rc;
}

/* report …: the district's figures, computed here by the same verb the
 * running server answers shuanglian-admin with, and printed by the same
 * code (common/sl_report_cli.c). */
static int s_report(int argc, char **argv)
{
    sl_opt_t extra[] = { { "--data", "DIR", "data directory (default " DEFAULT_DATA ")", &s_data,
                           NULL } };
    sl_report_request_t req;
    int rc = sl_report_cli_parse(PROG, argc, argv, extra, 1, &req);
    if (rc)
        return rc == 1 ? 0 : rc;
    central_store_t *store = s_open_store(PROG " report");
    if (!store)
        return SL_EXIT_FAIL;
    char err[512];
    server_auth_t *auth = server_auth_new(central_store_db(store), false, err, sizeof err);
    if (!auth) {
        fprintf(stderr, PROG " report: %s\n", err);
        central_store_destroy(&store);
        return SL_EXIT_FAIL;
    }
    sl_arg_t args[SL_REPORT_CLI_ARGS];
    for (size_t i = 0; i < req.nargs; i++)
        args[i] = (sl_arg_t) { req.keys[i], strlen(req.keys[i]), req.values[i],
                               strlen(req.values[i]) };
    server_admin_env_t env = { .store = store, .auth = auth, .role = SL_ROLE_ADMIN,
                               .admin = "the server machine" };
    server_admin_reply_t reply;
    sl_log_set_level(SL_LOG_ERROR);
    server_admin_run(&env, req.verb, args, req.nargs, &reply);
    sl_log_set_level(SL_LOG_INFO);
    if (reply.code)
        rc = server_admin_print(&reply, PROG " report", stdout, stderr);
    else
        rc = sl_report_cli_print(PROG " report", &req, reply.columns,
                                 (const char *const *) reply.cells, NULL, reply.ncells, stdout,
                                 stderr);
    server_admin_reply_free(&reply);
    server_auth_destroy(&auth);
    central_store_destroy(&store);
    return rc;
}

static void s_usage(FILE *out)
{
    fprintf(out,
        "usage: " PROG " VERB [options]\n\n"
        "The district server of shuanglian (双进双联): central store and sync endpoint.\n\n"
        "verbs:\n"
        "  init        create the central store\n"
        "  run         serve sites (sync endpoint)\n"
        "  stats       records per site and in total\n"
        "  verify      check every site's hash chain\n"
        "  ref         reference data sent down to sites (put, del, list, import, new-epoch)\n"
        "  incidents   refused batches that need an operator\n"
        "  admin       add an administrator credential\n"
        "  site        enroll, revoke or list sites locally (see also shuanglian-admin)\n"
        "  web         the district dashboard in a browser (http://127.0.0.1:8621/)\n"
        "  report      district figures and reports (dispatch, five, loop, points …)\n\n"
        "Run '" PROG " VERB --help' for a verb's options.\n");
}

int main(int argc, char **argv)
{
    static const sl_verb_t verbs[] = {
        { "init", s_init }, { "run", s_run }, { "stats", s_stats }, { "verify", s_verify },
        { "ref", s_ref }, { "incidents", s_incidents }, { "admin", s_admin },
        { "site", s_site }, { "web", dash_web_main }, { "report", s_report },
    };
    return sl_cli_main(argc, argv, PROG, verbs, sizeof verbs / sizeof verbs[0], s_usage);
}
