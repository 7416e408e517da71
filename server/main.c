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
#include "audit_log.h"
#include "central_store.h"
#include "dash_web.h"
#include "server_admin.h"
#include "server_auth.h"
#include "server_engine.h"
#include "sl_cli.h"
#include "sl_commands.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_report_cli.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Who acts on the server machine, for the audit log. */
static const char *s_local_who(char *buf, size_t cap)
{
    const char *user = getenv("USER");
    struct passwd *pw = user && *user ? NULL : getpwuid(getuid());
    sl_df(buf, cap, "%.60s（服务器本机）", "%.60s on the server machine", user && *user ? user
          : pw && pw->pw_name ? pw->pw_name : "someone");
    return buf;
}

/* One row of the audit log for a local action (audit_log.h). */
static void s_audit_local(central_store_t *store, const char *action, const char *detail,
                          int code, const char *result)
{
    char who[200];
    audit_log_add(central_store_db(store), s_local_who(who, sizeof who), action, detail, code,
                  result);
}

/* Prints a reply's table tab-separated (tabs and line breaks in a cell
 * become spaces), the headings first: what --tsv gives. */
static void s_print_tsv(const server_admin_reply_t *r)
{
    for (size_t i = 0; r->columns && i < r->ncells; i++) {
        char *shown = sl_lang_rendered(r->cells[i]);           /* a heading may be dual */
        for (const char *p = shown ? shown : r->cells[i]; *p; p++)
            putchar(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
        free(shown);
        putchar((i + 1) % r->columns ? '\t' : '\n');
    }
}

/* Runs an administrative verb on the central store, as the running server
 * does for shuanglian-admin (server_admin.c: the same checks, the same
 * answer, the same audit row), and prints the answer (tab-separated with
 * `tsv`, which asks for raw values).  Returns the exit code. */
static int s_admin_verb_as(const char *command, const char *verb, size_t nargs,
                           const char *const *keys, const char *const *values,
                           const size_t *lens, bool tsv)
{
    central_store_t *store = s_open_store(command);
    if (!store)
        return SL_EXIT_FAIL;
    char err[512], who[200];
    server_auth_t *auth = server_auth_new(central_store_db(store), false, err, sizeof err);
    if (!auth) {
        fprintf(stderr, "%s: %s\n", command, err);
        central_store_destroy(&store);
        return SL_EXIT_FAIL;
    }
    sl_arg_t args[SL_MAX_ARGS];
    size_t n = 0;
    for (size_t i = 0; i < nargs && n < SL_MAX_ARGS; i++)
        args[n++] = (sl_arg_t) { keys[i], strlen(keys[i]), values[i],
                                 lens ? lens[i] : strlen(values[i]) };
    if (tsv && n < SL_MAX_ARGS)
        args[n++] = (sl_arg_t) { "format", 6, "raw", 3 };
    server_admin_env_t env = { .store = store, .auth = auth, .role = SL_ROLE_ADMIN,
                               .admin = s_local_who(who, sizeof who) };
    server_admin_reply_t reply;
    sl_log_set_level(SL_LOG_ERROR);     /* the answer is printed; no log lines besides */
    server_admin_run(&env, verb, args, n, &reply);
    sl_log_set_level(SL_LOG_INFO);
    int rc;
    if (tsv && !reply.code) {
        if (reply.text[0])
            sl_lang_fprintf(stderr, "%s\n", reply.text);
        s_print_tsv(&reply);
        rc = 0;
    } else {
        rc = server_admin_print(&reply, command, stdout, stderr);
    }
    server_admin_reply_free(&reply);
    server_auth_destroy(&auth);
    central_store_destroy(&store);
    return rc;
}

static int s_admin_verb(const char *command, const char *verb, size_t nargs,
                        const char *const *keys, const char *const *values, const size_t *lens)
{
    return s_admin_verb_as(command, verb, nargs, keys, values, lens, false);
}

/* Writes an administrator credential and registers its key.  0 or -1. */
static int s_admin_add(central_store_t *store, const char *name, const char *path, char *err,
                       size_t errlen)
{
    char server_pub[SL_Z85_KEY], pubpath[600], endpoint[256];
    snprintf(pubpath, sizeof pubpath, "%s/server.pub", s_data);
    if (sl_pubfile_read(pubpath, server_pub, err, errlen))
        return -1;
    if (central_store_meta_get(store, "public_endpoint", endpoint, sizeof endpoint) || !*endpoint)
        snprintf(endpoint, sizeof endpoint, "%s", DEFAULT_BIND);
    sqlite3 *db = central_store_db(store);
    sl_admin_cred_t cred = { 0 };
    snprintf(cred.name, sizeof cred.name, "%s", name);
    snprintf(cred.server, sizeof cred.server, "%s", endpoint);
    snprintf(cred.server_public, sizeof cred.server_public, "%s", server_pub);
    if (sl_keypair_new(&cred.keys)) {
        sl_tf(err, errlen, "无法生成密钥对", "cannot make a key pair");
        return -1;
    }
    server_auth_t *auth = server_auth_new(db, false, err, errlen);
    int named = auth ? server_auth_admin_named(auth, name) : -1;
    if (named != 0) {
        if (named > 0)
            sl_tf(err, errlen, "已有名为 \"%s\" 的管理员凭据：请换一个名称，或先吊销它（admin revoke %s）",
                  "an active administrator credential is already named \"%s\": choose another "
                  "name, or revoke it first (admin revoke %s)", name, name);
        server_auth_destroy(&auth);
        memset(&cred.keys, 0, sizeof cred.keys);
        return named > 0 ? 1 : -1;
    }
    char who[200];
    server_auth_set_actor(auth, s_local_who(who, sizeof who));
    int rc = sl_admin_cred_write(path, &cred, err, errlen);
    if (rc == 0) {
        rc = server_auth_add(auth, SL_ROLE_ADMIN, cred.keys.public_z85, NULL, name, "active", 0);
        if (rc) {
            sl_tf(err, errlen, "无法登记管理员密钥", "cannot register the administrator key");
            unlink(path);
        }
    }
    server_auth_destroy(&auth);
    memset(&cred.keys, 0, sizeof cred.keys);
    s_audit_local(store, "admin.add", name, rc ? SL_E_INTERNAL : 0, rc ? err : path);
    return rc;
}

static int s_init(int argc, char **argv)
{
    const char *endpoint = DEFAULT_BIND;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("要创建的数据目录（默认 " DEFAULT_DATA "）", "data directory to create (default " DEFAULT_DATA ")"), &s_data, NULL },
        { "--endpoint", "ENDPOINT", SL_D("站点和管理员连接本服务器的地址（默认 " DEFAULT_BIND "）；写进注册包和凭据", "address sites and admins will use to reach this server "
          "(default " DEFAULT_BIND "); written into bundles and credentials"), &endpoint, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " init", "[--data DIR] [--endpoint tcp://HOST:PORT]",
                          SL_D("创建中心存储（DIR/central.db）、服务器的 CURVE 密钥对（DIR/server.key 私钥；DIR/server.pub 公钥，可分发）和第一个管理员凭据（DIR/admin.cred）。", "Creates the central store (DIR/central.db), the server's CURVE key "
                          "pair (DIR/server.key, private; DIR/server.pub, to share) and a first "
                          "administrator credential (DIR/admin.cred)."), opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    char why[600];
    bool loopback = false;
    if (sl_endpoint_check(endpoint, &loopback, why, sizeof why)) {
        fprintf(stderr, PROG " init: --endpoint %s\n", why);
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
    if (rc == 0 && s_admin_add(store, "admin", path, err, sizeof err))
        rc = -1;
    central_store_destroy(&store);
    if (rc) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    sl_tprintf(stdout, "中心存储已创建：%s/central.db\n", "central store created: %s/central.db\n",
               s_data);
    sl_tprintf(stdout, "服务器密钥对：%s/server.key（私钥），%s/server.pub（公钥）\n",
               "server key pair: %s/server.key (private), %s/server.pub (public)\n", s_data, s_data);
    sl_tprintf(stdout, "管理员凭据：%s/admin.cred，交给区里的管理员（shuanglian-admin --cred FILE），不要外传\n",
               "administrator credential: %s/admin.cred -- give it to the district administrator "
               "(shuanglian-admin --cred FILE) and keep it private\n", s_data);
    if (loopback)
        sl_tprintf(stdout, "注意：%s 是本机地址，只有本机上的站点和管理员能用；正式部署请写服务器的内网地址，"
                   "以后可以用 set-endpoint 修改\n", "note: %s is this machine: only sites and "
                   "administrators on it can use it; give the server's intranet address for a "
                   "deployment (set-endpoint changes it later)\n", endpoint);
    return 0;
}

static int s_admin(int argc, char **argv)
{
    const char *out = NULL;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &s_data, NULL },
        { "--out", "FILE", SL_D("凭据写到哪里（默认 NAME.cred）", "where to write the credential (default NAME.cred)"), &out, NULL },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " admin", "add NAME [--out FILE] | list | revoke NAME "
                          "[--data DIR]",
                          SL_D("add：为 shuanglian-admin 再建一个管理员凭据（立即可用，运行中的服务器也认）；list：列出管理员凭据；revoke：立即吊销一个（最后一个有效的不能吊销）。需要能访问服务器的数据目录。", "add: creates another administrator credential for shuanglian-admin "
                          "(usable at once, also by a running server); list: the administrator "
                          "credentials; revoke: revokes one at once (never the last active one).  "
                          "Needs access to the server's data directory."), opts, 2, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos == 1 && strcmp(pos[0], "list") == 0)
        return s_admin_verb(PROG " admin list", "admin.list", 0, NULL, NULL, NULL);
    if (npos == 2 && strcmp(pos[0], "revoke") == 0) {
        const char *keys[] = { "name" }, *values[] = { pos[1] };
        return s_admin_verb(PROG " admin revoke", "admin.revoke", 1, keys, values, NULL);
    }
    if (npos != 2 || strcmp(pos[0], "add") != 0) {
        sl_cli_err(PROG " admin", "应为 add NAME、list 或 revoke NAME（见 " PROG " admin --help）",
                   "expected add NAME, list or revoke NAME (see " PROG " admin --help)");
        return SL_EXIT_USAGE;
    }
    if (!*pos[1] || strlen(pos[1]) > 64 || !sl_utf8_valid(pos[1], strlen(pos[1]))) {
        sl_cli_err(PROG " admin add", "NAME 须为 1..64 字节的 UTF-8 文字",
                   "NAME must be UTF-8 text of 1..64 bytes");
        return SL_EXIT_USAGE;
    }
    char path[600], err[512];
    snprintf(path, sizeof path, "%s", out ? out : pos[1]);
    if (!out)
        strncat(path, ".cred", sizeof path - strlen(path) - 1);
    central_store_t *store = s_open_store(PROG " admin add");
    if (!store)
        return SL_EXIT_FAIL;
    rc = s_admin_add(store, pos[1], path, err, sizeof err);
    central_store_destroy(&store);
    if (rc) {
        fprintf(stderr, PROG " admin add: %s\n", err);
        return rc > 0 ? SL_EXIT_REFUSED : SL_EXIT_FAIL;
    }
    sl_tprintf(stdout, "管理员凭据已写入：%s（不要外传）\n",
               "administrator credential written: %s (keep it private)\n", path);
    return 0;
}

static volatile sig_atomic_t s_signal;      /* the signal that asked us to stop */

static void s_on_signal(int sig)
{
    s_signal = sig;
    server_engine_stop();
}

/* The configuration file (docs/OPERATIONS.md 3.1): "key = value" lines, '#'
 * comments, the keys of run's options.  A flag given on the command line
 * wins over the file.  Unknown keys and bad values are refused by line. */
typedef struct {
    char data[1024], bind[256], credit[16], batch[16], log_level[16];
} server_config_t;

static int s_config_read(const char *path, server_config_t *c, bool must_exist)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        sl_cli_err(PROG " run", "无法读取配置文件 %s：%s",
                   "cannot read the configuration %s: %s", path,
                strerror(errno));
        return -1;
    }
    char line[1200];
    int n = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        n++;
        char *p = line + strspn(line, " \t");
        p[strcspn(p, "\r\n")] = 0;
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            sl_cli_err(PROG " run", "%s 第 %d 行：应为 key = value",
                       "%s line %d: expected key = value", path, n);
            rc = -1;
            break;
        }
        char *key = p, *value = eq + 1;
        for (char *e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
            e[-1] = 0;
        *eq = 0;
        value += strspn(value, " \t");
        for (size_t l = strlen(value); l && (value[l - 1] == ' ' || value[l - 1] == '\t'); l--)
            value[l - 1] = 0;
        struct { const char *name; char *out; size_t cap; } keys[] = {
            { "data", c->data, sizeof c->data }, { "bind", c->bind, sizeof c->bind },
            { "credit", c->credit, sizeof c->credit }, { "batch", c->batch, sizeof c->batch },
            { "log_level", c->log_level, sizeof c->log_level } };
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] && strcmp(keys[k].name, key) != 0)
            k++;
        if (k == sizeof keys / sizeof keys[0]) {
            sl_cli_err(PROG " run", "%s 第 %d 行：没有 \"%s\" 这个键（键有：data bind credit "
                       "batch log_level）", "%s line %d: unknown key \"%s\" (keys: data "
                       "bind credit batch log_level)", path, n, key);
            rc = -1;
        } else if (strlen(value) >= keys[k].cap || !*value) {
            sl_cli_err(PROG " run", "%s 第 %d 行：%s 的值最多 %zu 字节",
                       "%s line %d: %s needs a value of at most %zu bytes",
                    path, n, key, keys[k].cap - 1);
            rc = -1;
        } else {
            snprintf(keys[k].out, keys[k].cap, "%s", value);
        }
    }
    fclose(f);
    return rc;
}

/* One server per data directory: DIR/server.pid, locked while it runs
 * (restore and health ask the lock).  The descriptor stays open. */
static int s_lock(const char *command, bool shared_probe)
{
    char path[600];
    snprintf(path, sizeof path, "%s/server.pid", s_data);
    int fd = open(path, shared_probe ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return shared_probe && errno == ENOENT ? -2 : -1;
    if (flock(fd, (shared_probe ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        char pid[32] = "?";
        ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
        pid[got > 0 ? got : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        if (!shared_probe)
            sl_cli_err(command, "另一个 shuanglian-server（pid %s）正在 %s 上运行",
                       "another shuanglian-server (pid %s) is running on %s",
                    pid, s_data);
        close(fd);
        return -3;
    }
    if (shared_probe) {
        close(fd);
        return -2;              /* nobody holds it */
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t) len, 0) != len)
        sl_twarn("无法写入 %s", "cannot write %s", path);
    return fd;
}

/* Is a server running on s_data?  (It holds the lock of server.pid.) */
static bool s_running(void)
{
    return s_lock(NULL, true) == -3;
}

static int s_run(int argc, char **argv)
{
    const char *bind = NULL, *credit = NULL, *batch = NULL, *config = NULL, *level = NULL;
    bool verbose = false, insecure = false;
    const char *data_flag = NULL;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &data_flag, NULL },
        { "--config", "FILE", SL_D("配置文件（有 DIR/server.conf 时默认用它）；这里给的选项优先", "configuration file (default DIR/server.conf when it exists); "
          "options given here win over it"), &config, NULL },
        { "--bind", "ENDPOINT", SL_D("站点连接的地址（默认 " DEFAULT_BIND "）", "where sites connect (default " DEFAULT_BIND ")"), &bind, NULL },
        { "--credit", "N", SL_D("一个站点同时在途的批次数（1-16，默认 4）", "batches a site may have in flight (1-16, default 4)"), &credit, NULL },
        { "--batch", "N", SL_D("每批的事件数（1-2000，默认 1000）", "events per batch (1-2000, default 1000)"), &batch, NULL },
        { "--log-level", "LEVEL", SL_D("日志级别：debug、info（默认）、warn 或 error", "debug, info (default), warn or error"), &level, NULL },
        { "--verbose", NULL, SL_D("记录协议的每一步（即 --log-level debug）", "log every protocol step (--log-level debug)"), NULL, &verbose },
        { "--insecure", NULL, SL_D("明文、不认证：只用于同一台机器上的性能测试，绝不能用在网络上", "plaintext, no authentication: for benchmarks on one machine "
          "only, never on a network"), NULL, &insecure },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " run", "[--data DIR] [--config FILE] "
                          "[--bind ENDPOINT] [--log-level LEVEL]",
                          SL_D("为站点服务直到被中断：SIGTERM 或 SIGINT 会做完手头这一轮（提交并发出确认）后以 0 退出。", "Serves sites until interrupted: SIGTERM or SIGINT finishes the round "
                          "in hand (commits it, sends its acknowledgements) and exits 0."), opts,
                          sizeof opts / sizeof opts[0], pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    server_config_t conf = { .bind = DEFAULT_BIND, .log_level = "info" };
    char conf_path[1100];
    if (data_flag)
        s_data = data_flag;
    snprintf(conf_path, sizeof conf_path, "%s/server.conf", s_data);
    if (s_config_read(config ? config : conf_path, &conf, config != NULL))
        return SL_EXIT_USAGE;
    if (!data_flag && conf.data[0])
        s_data = conf.data;
    if (bind)
        snprintf(conf.bind, sizeof conf.bind, "%s", bind);
    if (credit)
        snprintf(conf.credit, sizeof conf.credit, "%s", credit);
    if (batch)
        snprintf(conf.batch, sizeof conf.batch, "%s", batch);
    if (level)
        snprintf(conf.log_level, sizeof conf.log_level, "%s", level);
    if (verbose)
        snprintf(conf.log_level, sizeof conf.log_level, "debug");
    long c = SL_DEFAULT_CREDIT, b = SL_DEFAULT_BATCH_EVENTS;
    if ((conf.credit[0] && sl_cli_number(PROG " run", "credit", conf.credit, 1, SL_MAX_CREDIT, &c))
        || (conf.batch[0]
            && sl_cli_number(PROG " run", "batch", conf.batch, 1, SL_MAX_BATCH_EVENTS, &b)))
        return SL_EXIT_USAGE;
    if (sl_log_level_parse(conf.log_level) < 0) {
        sl_cli_err(PROG " run", "日志级别 \"%s\" 须为 debug、info、warn 或 error",
                   "log level \"%s\" must be debug, info, warn or error",
                conf.log_level);
        return SL_EXIT_USAGE;
    }
    sl_log_set_level((sl_log_level_t) sl_log_level_parse(conf.log_level));
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
    int lock = s_lock(PROG " run", false);
    if (lock < 0) {
        if (lock != -3)
            sl_cli_err(PROG " run", "无法锁定 %s/server.pid：%s",
                       "cannot lock %s/server.pid: %s", s_data, strerror(errno));
        memset(&keys, 0, sizeof keys);
        return SL_EXIT_FAIL;
    }
    if (insecure)
        sl_twarn("--insecure：明文、不认证；任何对端都可以冒充任何站点",
                 "--insecure: plaintext and unauthenticated; any peer may claim any site");
    server_engine_opts_t eo = { .data_dir = s_data, .endpoint = conf.bind,
                                .credit = (uint32_t) c, .max_batch = (uint32_t) b,
                                .keys = insecure ? NULL : &keys };
    server_engine_t *engine = server_engine_new(&eo, err, sizeof err);
    if (!engine) {
        fprintf(stderr, PROG " run: %s\n", err);
        close(lock);
        return SL_EXIT_FAIL;
    }
    memset(&keys, 0, sizeof keys);
    rc = server_engine_run(engine);
    server_engine_destroy(&engine);
    close(lock);
    /* Every exit says why (0.2.0 once vanished with an empty log). */
    if (rc)
        sl_terror("以状态 %d 退出：同步端点出错（见上面）",
                  "exiting with status %d: the sync endpoint failed (see above)", SL_EXIT_FAIL);
    else
        sl_tinfo("以状态 0 退出：因 %s 停止", "exiting with status 0: stopped by %s",
                 s_signal == SIGINT ? "SIGINT (Ctrl-C)" : s_signal == SIGTERM ? "SIGTERM"
                 : SL_D("停止请求", "a request to stop"));
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
        { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &s_data, NULL },
        { "--tsv", NULL, SL_D("供程序读取：制表符分隔，英文表头", "machine-readable output: tab-separated, English headers"), NULL, &tsv },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " stats", "[--data DIR] [--tsv]",
                          SL_D("按站点和合计显示中心存储里的记录：每个已注册的站点，同步过的和没同步过的都在。", "Shows, per site and in total, the records held in the central store: "
                          "every enrolled site, synced or not."), opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    return s_admin_verb_as(PROG " stats", "stats", 0, NULL, NULL, NULL, tsv);
}

static int s_verify(int argc, char **argv)
{
    sl_opt_t opts[] = { { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"),
                          &s_data, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " verify", "[--data DIR]",
                          SL_D("检查中心存储：数据库文件的完整性；每个站点的哈希链没有缺口，每个事件的哈希都核对过；报表读的状态表与把记录重新汇总的结果一致。全部完整时退出码为 0，否则为 1。", "Checks the central store: the database file's integrity; every site's hash "
                          "chain, with no gaps and every event's hash verified; and that the state "
                          "table the reports read is what the records, folded again, say.  Exit 0 "
                          "when all is intact, 1 otherwise."),
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
        sl_tprintf(stdout, "链完整：%lld 个站点，%lld 个事件已核对；状态表与记录一致\n",
                   "chain intact: %lld sites, %lld events verified; the state table agrees with "
                   "the records\n", sites, events);
    else
        sl_tprintf(stdout, "链有问题：%ld 处\n", "chain problems: %ld\n", problems);
    return problems == 0 ? 0 : SL_EXIT_FAIL;
}

/* ref new-epoch: after restoring central.db from a backup, entries made
 * since the backup may reuse sequence numbers sites already applied. */
static int s_new_epoch(void)
{
    central_store_t *store = s_open_store(PROG " ref new-epoch");
    if (!store)
        return SL_EXIT_FAIL;
    int rc = central_store_new_log_id(store) ? SL_EXIT_FAIL : 0;
    s_audit_local(store, "ref.new-epoch", "", rc, rc ? "failed" : "new log identity");
    if (!rc)
        sl_tprintf(stdout, "服务器日志有了新的标识：每个站点下次同步时重新接收全部参考数据（运行中的服务器须重启才生效）\n",
                   "server log has a new identity: every site reloads all reference data at its "
                   "next sync (restart a running server to apply)\n");
    central_store_destroy(&store);
    return rc;
}

static int s_ref(int argc, char **argv)
{
    const char *target = NULL;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &s_data, NULL },
        { "--site", "SITE", SL_D("put、del、import：只对这个站点（默认：所有站点）；须是已注册的站点", "put, del, import: for this site only (default: every site); it "
          "must be enrolled"), &target, NULL },
    };
    static char summary[7000];
    snprintf(summary, sizeof summary, "%s\n%s\n  new-epoch                   %s", sl_cli_ref_summary(),
             SL_D("与 shuanglian-admin ref 相同，在服务器本机上用（不需要凭据）；运行中的服务器一秒内就会用上改动。",
                  "The same as shuanglian-admin ref, on the server machine (no credential); a "
                  "running server picks changes up within a second."),
             SL_D("从备份恢复 central.db 之后，让每个站点重新接收全部参考数据",
                  "after restoring central.db from a backup, makes every site reload all "
                  "reference data"));
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
    bool tsv = false;
    sl_opt_t opts[] = { { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"),
                          &s_data, NULL },
                        { "--tsv", NULL, SL_D("供程序读取的输出（制表符分隔）", "machine-readable output"), NULL, &tsv } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " incidents", "[--data DIR] [--tsv]",
                          SL_D("列出需要运维人员处理的被拒批次：分叉（同一站点同一序号的记录互相冲突）、链断裂、无效记录。", "Lists refused batches that need an operator: forks (conflicting "
                          "records for one site and sequence), broken chains, invalid records."),
                          opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    return s_admin_verb_as(PROG " incidents", "incidents.list", 0, NULL, NULL, NULL, tsv);
}

/* site enroll|revoke|list, done on the server's own files: the same verbs
 * as shuanglian-admin's, for a district whose server is not running yet.
 * A running server sees the change within a second. */
static int s_site(int argc, char **argv)
{
    const char *site = NULL, *community = NULL, *days = "7", *out = NULL;
    bool again = false;
    sl_opt_t opts[] = {
        { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &s_data, NULL },
        { "--site", "ID", SL_D("enroll：新站点的编号", "enroll: the new site's id"), &site, NULL },
        { "--community", "NAME", SL_D("enroll：它所在的社区", "enroll: its community"), &community, NULL },
        { "--days", "N", SL_D("enroll：注册包 N 天后过期（默认 7）", "enroll: the bundle expires after N days (default 7)"), &days, NULL },
        { "--out", "FILE", SL_D("enroll：注册包写到哪里（默认 ID.bundle）", "enroll: where to write the bundle (default ID.bundle)"), &out, NULL },
        { "--again", NULL, SL_D("enroll：为已注册的站点重新生成注册包（电脑丢失、历史分叉）", "enroll: a new bundle for a site already enrolled (a lost machine, "
          "a fork)"), NULL, &again },
    };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " site", "enroll --site ID --community NAME [--days N] "
                          "[--out FILE] | revoke SITE | list   [--data DIR]",
                          SL_D("直接在中心存储里注册、吊销或列出站点（和 shuanglian-admin site enroll|revoke|list 相同，但不经网络）。", "Enrolls, revokes or lists sites directly in the central store (the "
                          "same as shuanglian-admin site enroll|revoke|list, without the "
                          "network)."), opts, 6, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    bool enroll = npos == 1 && strcmp(pos[0], "enroll") == 0;
    bool revoke = npos == 2 && strcmp(pos[0], "revoke") == 0;
    bool list = npos == 1 && strcmp(pos[0], "list") == 0;
    if (!enroll && !revoke && !list) {
        sl_cli_err(PROG " site", "应为 enroll --site ID --community NAME、revoke SITE 或 list",
                   "expected enroll --site ID --community NAME, revoke SITE or list");
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
    central_store_meta_get(store, "public_endpoint", b.server, sizeof b.server);
    central_store_destroy(&store);
    if (sl_pubfile_read(pubpath, b.server_public, err, sizeof err) || sl_keypair_new(&b.enroll)) {
        fprintf(stderr, PROG " site enroll: %s\n", err);
        return SL_EXIT_FAIL;
    }
    b.expires_ms = sl_now_ms() + ndays * 86400000LL;
    snprintf(expires, sizeof expires, "%lld", (long long) b.expires_ms);
    const char *keys[] = { "site", "community", "enroll_key", "expires_ms", "again" };
    const char *values[] = { site, community, b.enroll.public_z85, expires, "yes" };
    rc = s_admin_verb(PROG " site enroll", "site.enroll", again ? 5 : 4, keys, values, NULL);
    if (rc == 0 && sl_bundle_write(path, &b, err, sizeof err)) {
        fprintf(stderr, PROG " site enroll: %s\n", err);
        rc = SL_EXIT_FAIL;
    } else if (rc == 0) {
        sl_tprintf(stdout, "注册包已生成：%s（站点 %s，%s；%ld 天内有效，只能用一次）\n",
                   "enrollment bundle written: %s (site %s, %s; valid %ld days, single use)\n",
                   path, site, community, ndays);
    }
    memset(&b.enroll, 0, sizeof b.enroll);
    return rc;
}

/* report …: the district's figures, computed here by the same verb the
 * running server answers shuanglian-admin with, and printed by the same
 * code (common/sl_report_cli.c). */
static int s_report(int argc, char **argv)
{
    sl_opt_t extra[] = { { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &s_data,
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
                               .admin = SL_D("服务器本机", "the server machine") };
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

#define DATA_OPT { "--data", "DIR", SL_D("数据目录（默认 " DEFAULT_DATA "）", "data directory (default " DEFAULT_DATA ")"), &s_data, NULL }

/* backup FILE: an online copy of central.db, taken while the server runs. */
static int s_backup(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " backup", "FILE [--data DIR]",
                          SL_D("在服务器运行、站点同步的同时把中心存储复制到 FILE（SQLite 在线备份：存储的一个一致时刻），像 verify 一样检查副本，并在副本里记下备份时间（restore 据此找出之后的密钥变化）。FILE 不能已存在；给一个目录则在其中生成 central-YYYYmmdd-HHMMSS.db。副本里没有 server.key：请另外离线保存一份。", "Copies the central store into FILE while the server runs and sites "
                          "sync (SQLite's online backup: one consistent moment of the store), "
                          "checks the copy as verify does, and notes in it when it was taken "
                          "(restore uses that to find the key changes made since).  FILE must "
                          "not exist; a directory gets central-YYYYmmdd-HHMMSS.db in it.  "
                          "server.key is not in it: keep one offline copy of that apart."),
                          opts, 1, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 1) {
        sl_cli_err(PROG " backup", "需要 FILE", "FILE is required");
        return SL_EXIT_USAGE;
    }
    char path[1100], err[600];
    struct stat sb;
    if (stat(pos[0], &sb) == 0 && S_ISDIR(sb.st_mode)) {
        time_t t = time(NULL);
        struct tm tm;
        char stamp[32];
        localtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(path, sizeof path, "%s/central-%s.db", pos[0], stamp);
    } else {
        snprintf(path, sizeof path, "%s", pos[0]);
    }
    central_store_t *store = s_open_store(PROG " backup");
    if (!store)
        return SL_EXIT_FAIL;
    int64_t t0 = sl_now_ms();
    rc = central_store_backup(store, path, err, sizeof err);
    s_audit_local(store, "backup", path, rc ? SL_E_INTERNAL : 0, rc ? err : "done");
    central_store_destroy(&store);
    if (rc) {
        fprintf(stderr, PROG " backup: %s\n", err);
        return SL_EXIT_FAIL;
    }
    if (stat(path, &sb) == 0)
        sl_tprintf(stdout, "备份完成：%s（%lld KB，%.1f 秒），已检查：完整性和每个站点的链\n",
                   "backup done: %s (%lld KB, %.1f s), checked: integrity and every site's chain\n",
                   path, (long long) sb.st_size / 1024, (sl_now_ms() - t0) / 1000.0);
    return 0;
}

typedef struct {
    int64_t backup_ms;
    central_store_t *store;
    int shown;
} changes_t;

static int s_show_change(void *ctx, const server_key_change_t *c)
{
    changes_t *x = ctx;
    char when[32];
    if (strcmp(c->action, "revoke") != 0 && strcmp(c->action, "add") != 0)
        return 0;
    s_time(c->at_ms, when, sizeof when);
    printf("  %s  %-6s %-6s %.8s…  %s%s%s\n", when, c->action, c->role, c->key, c->who,
           c->by[0] ? "  by " : "", c->by);
    x->shown++;
    return 0;
}

static int s_show_reapplied(void *ctx, const server_key_change_t *c)
{
    (void) ctx;
    printf("  已重新吊销 revoked again: %s key %.8s… (%s)%s%s\n", c->role, c->key, c->who,
           c->by[0] ? ", revoked by " : "", c->by);
    return 0;
}

/* After a restore told not to re-apply revocations: the journal says so,
 * key by key, so that the server's start does not re-apply them either. */
static int s_unrevoke(void *ctx, const server_key_change_t *c)
{
    changes_t *x = ctx;
    if (strcmp(c->action, "revoke") == 0)
        server_auth_journal_add(central_store_db(x->store), "unrevoke", c->role, c->key, c->who,
                                "restore --keep-revocations-undone");
    return 0;
}

/* Copies a file (a backup into the data directory).  0 or -1. */
static int s_copy(const char *from, const char *to, char *err, size_t errlen)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wbx") : NULL;
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in && ferror(in))
        rc = -1;
    if (out && (fflush(out) != 0 || fsync(fileno(out)) != 0))
        rc = -1;
    if (rc)
        sl_tf(err, errlen, "无法把 %.200s 复制到 %.200s：%s", "cannot copy %.200s to %.200s: %s",
              from, to, strerror(errno));
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    return rc;
}

/* restore FILE: the central store from a backup, without undoing the key
 * revocations made since (keys.journal), unless told to. */
static int s_restore(int argc, char **argv)
{
    bool keep = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--keep-revocations-undone", NULL, SL_D("不重新吊销备份之后吊销的密钥（它们是误吊销的）", "do not revoke again the keys revoked after the "
          "backup (they were revoked by mistake)"), NULL, &keep },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " restore", "FILE [--data DIR] "
                          "[--keep-revocations-undone]",
                          SL_D("在服务器停止时用备份（backup 生成的）替换中心存储。先检查备份；把现在的存储留作 central.db.before-restore-TIME；列出备份之后的密钥变化（DIR/keys.journal），除非另有要求，重新吊销之后吊销过的每个密钥；给服务器日志一个新的标识，让每个站点重新接收参考数据。站点会自己重发备份缺少的记录。", "Replaces the central store with a backup (made by backup), with the "
                          "server stopped.  Checks the backup first; keeps the current store as "
                          "central.db.before-restore-TIME; lists the key changes made since the "
                          "backup (DIR/keys.journal) and revokes again every key revoked since, "
                          "unless told not to; gives the server log a new identity so that "
                          "every site reloads its reference data.  Sites resend the records "
                          "the backup lacks by themselves."), opts, 2, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 1) {
        sl_cli_err(PROG " restore", "需要 FILE", "FILE is required");
        return SL_EXIT_USAGE;
    }
    if (s_running()) {
        sl_cli_err(PROG " restore", "服务器正在 %s 上运行，请先停止（systemctl stop shuanglian-server）",
                   "the server is running on %s: stop it first (systemctl stop "
                   "shuanglian-server)", s_data);
        return SL_EXIT_FAIL;
    }
    char dir[1100], copy[1200], err[600], db[1100], aside[1200], stamp[32];
    snprintf(dir, sizeof dir, "%s/restore.tmp.d", s_data);
    snprintf(copy, sizeof copy, "%s/central.db", dir);
    unlink(copy);
    rmdir(dir);
    if (mkdir(dir, 0700) != 0 || s_copy(pos[0], copy, err, sizeof err)) {
        fprintf(stderr, PROG " restore: %s\n", errno ? strerror(errno) : err);
        rmdir(dir);
        return SL_EXIT_FAIL;
    }
    /* The backup must be a whole, intact store before anything moves. */
    central_store_t *store = central_store_open(dir, err, sizeof err);
    long problems = store ? central_store_verify(store, stdout) : -1;
    char backup_ms[32] = "";
    if (store)
        central_store_meta_get(store, "backup_ms", backup_ms, sizeof backup_ms);
    central_store_destroy(&store);
    if (problems != 0) {
        sl_cli_err(PROG " restore", "%s 不能用于恢复：%s", "%s cannot be "
                   "restored: %s", pos[0], problems < 0 ? err
                   : SL_D("检查没有通过（见上面），什么也没改", "it does not verify (see above); "
                          "nothing was changed"));
        unlink(copy);
        rmdir(dir);
        return SL_EXIT_FAIL;
    }
    int64_t since = atoll(backup_ms);
    struct stat sb;
    if (!since && stat(pos[0], &sb) == 0)
        since = (int64_t) sb.st_mtime * 1000;   /* a copy not made by backup: its file time */
    char when[32], journal[1200];
    s_time(since, when, sizeof when);
    snprintf(journal, sizeof journal, "%s/keys.journal", s_data);
    changes_t x = { .backup_ms = since };
    printf("备份时间 the backup was taken %s%s\n备份之后的密钥变化 key changes since then "
           "(%s):\n", when, backup_ms[0] ? "" : " (the file's time: it was not made by backup)",
           journal);
    server_auth_journal_each(journal, since, s_show_change, &x);
    if (!x.shown)
        printf("  （没有 none）\n");
    /* Move the current store aside (with its WAL: a newer WAL beside an
     * older database would damage it), the backup in. */
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const char *suffix[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf(db, sizeof db, "%s/central.db%s", s_data, suffix[i]);
        snprintf(aside, sizeof aside, "%s/central.db.before-restore-%s%s", s_data, stamp,
                 suffix[i]);
        if (access(db, F_OK) == 0 && rename(db, aside) != 0) {
            sl_cli_err(PROG " restore", "无法移开 %s：%s",
                       "cannot move %s aside: %s", db, strerror(errno));
            return SL_EXIT_FAIL;
        }
    }
    snprintf(db, sizeof db, "%s/central.db", s_data);
    if (rename(copy, db) != 0) {
        sl_cli_err(PROG " restore", "无法放入备份：%s",
                   "cannot put the backup in place: %s", strerror(errno));
        return SL_EXIT_FAIL;
    }
    rmdir(dir);
    store = s_open_store(PROG " restore");
    if (!store)
        return SL_EXIT_FAIL;
    server_auth_t *auth = server_auth_new(central_store_db(store), false, err, sizeof err);
    int again = 0;
    x.store = store;
    if (auth && !keep) {
        printf("重新吊销备份之后吊销的密钥 revoking again the keys revoked since the backup:\n");
        again = server_auth_reapply_revocations(auth, since, s_show_reapplied, NULL);
        if (again == 0)
            printf("  （没有需要的 none needed）\n");
    } else if (auth) {
        server_auth_journal_each(journal, since, s_unrevoke, &x);
        printf("按要求没有重新吊销 as asked, the keys revoked since the backup are NOT revoked again\n");
    }
    rc = auth && again >= 0 && central_store_new_log_id(store) == 0 ? 0 : SL_EXIT_FAIL;
    char detail[1300];
    snprintf(detail, sizeof detail, "%s (taken %s)%s", pos[0], when,
             keep ? " --keep-revocations-undone" : "");
    s_audit_local(store, "restore", detail, rc, rc ? "failed" : "done");
    server_auth_destroy(&auth);
    central_store_destroy(&store);
    if (rc) {
        sl_cli_err(PROG " restore", "备份已放入但没能完成：请再运行一次 restore",
                   "the backup is in place but could not be finished: run restore again");
        return SL_EXIT_FAIL;
    }
    printf("恢复完成 restored: %s; the previous store is %s/central.db.before-restore-%s\n"
           "  - 站点会自动重发备份之后的记录 sites resend the records the backup lacks at their next sync;\n"
           "  - 服务器日志有了新的标识，站点会重新接收全部参考数据 the server log has a new identity: "
           "sites reload all reference data;\n"
           "  - 备份之后登记的密钥（上面的 add）现在不认识了：那些站点和管理员需要重新注册 keys added "
           "since the backup (the add lines above) are unknown now: enroll those sites and "
           "administrators again.\n", pos[0], s_data, stamp);
    return 0;
}

/* health: one line for people and monitors (exit 0 OK, 1 warning, 2 critical). */
static int s_health(int argc, char **argv)
{
    const char *max_age = "15";
    sl_opt_t opts[] = { DATA_OPT, { "--max-age", "S", SL_D("状态超过 S 秒没更新即认为服务器卡住（默认 15）", "the status older than S seconds means the "
                                    "server is stuck (default 15)"), &max_age, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " health", "[--data DIR] [--max-age S]",
                          SL_D("用一行说明 DIR 上的服务器是否正常，给人看也给监控看（Nagios/Icinga/Zabbix 检查）：在运行（持有 DIR/server.pid）、主循环活着（DIR/server.status 每 2 秒重写）、在监听、磁盘没有快满。退出码 0 正常，1 警告，2 严重。", "Says in one line whether the server on DIR is healthy, for people "
                          "and for monitors (Nagios/Icinga/Zabbix checks): running (it holds "
                          "DIR/server.pid), its loop alive (DIR/server.status rewritten every 2 "
                          "s), listening, the disk not nearly full.  Exit 0 OK, 1 WARNING, 2 "
                          "CRITICAL."), opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long age_max;
    if (sl_cli_number(PROG " health", "--max-age", max_age, 1, 86400, &age_max))
        return SL_EXIT_USAGE;
    char path[1100], line[400], state[32] = "", pid[32] = "?", endpoint[260] = "";
    int64_t updated = 0, started = 0, last_commit = 0;
    long sessions = 0, listening = 0;
    snprintf(path, sizeof path, "%s/server.status", s_data);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        char key[64], value[300];
        if (sscanf(line, "%63s = %299[^\n]", key, value) != 2)
            continue;
        if (!strcmp(key, "state")) snprintf(state, sizeof state, "%.31s", value);
        else if (!strcmp(key, "pid")) snprintf(pid, sizeof pid, "%.31s", value);
        else if (!strcmp(key, "endpoint")) snprintf(endpoint, sizeof endpoint, "%.259s", value);
        else if (!strcmp(key, "updated_ms")) updated = atoll(value);
        else if (!strcmp(key, "started_ms")) started = atoll(value);
        else if (!strcmp(key, "last_commit_ms")) last_commit = atoll(value);
        else if (!strcmp(key, "sessions")) sessions = atol(value);
        else if (!strcmp(key, "listening")) listening = atol(value);
    }
    if (f)
        fclose(f);
    int64_t now = sl_now_ms();
    struct statvfs v;
    uint64_t free_mb = statvfs(s_data, &v) == 0 ? (uint64_t) v.f_bavail * v.f_frsize >> 20 : 0;
    char up[64], commit[64];
    sl_tf(up, sizeof up, "%lld 分钟", "%lld min", (long long) ((now - started) / 60000));
    if (last_commit)
        sl_tf(commit, sizeof commit, "%lld 秒前", "%lld s ago",
              (long long) ((now - last_commit) / 1000));
    else
        sl_tf(commit, sizeof commit, "还没有", "none yet");
    if (!s_running()) {
        sl_tprintf(stdout, "CRITICAL: shuanglian-server 没有在 %s 上运行%s%s%s\n",
                   "CRITICAL: shuanglian-server is not running on %s%s%s%s\n", s_data,
                   state[0] ? SL_D("（最后的状态：", " (its last state: ") : "", state,
                   state[0] ? SL_D("）", ")") : "");
        return 2;
    }
    if (!f || now - updated > age_max * 1000) {
        sl_tprintf(stdout, "CRITICAL: shuanglian-server（pid %s）没有响应：状态 %lld 秒前最后写入\n",
                   "CRITICAL: shuanglian-server (pid %s) is not responding: its status was last "
                   "written %lld s ago\n", pid, (long long) (updated ? (now - updated) / 1000 : -1));
        return 2;
    }
    if (!listening) {
        sl_tprintf(stdout, "WARNING: shuanglian-server（pid %s）暂停接收新连接（接近描述符上限）：%ld 个会话\n",
                   "WARNING: shuanglian-server (pid %s) is not taking new connections (near its "
                   "descriptor limit): %ld sessions\n", pid, sessions);
        return 1;
    }
    if (free_mb < 1024) {
        sl_tprintf(stdout, "WARNING: shuanglian-server（pid %1$s）%3$s 的磁盘只剩 %2$llu MB\n",
                   "WARNING: shuanglian-server (pid %s) only %llu MB of disk left in %s\n", pid,
                   (unsigned long long) free_mb, s_data);
        return 1;
    }
    sl_tprintf(stdout, "OK: shuanglian-server（pid %s）正常服务于 %s，已运行 %s，%ld 个会话，最近提交 %s，"
               "剩余 %llu MB\n", "OK: shuanglian-server (pid %s) serving %s, up %s, %ld sessions, "
               "last commit %s, %llu MB free\n", pid, endpoint, up, sessions, commit,
               (unsigned long long) free_mb);
    return 0;
}

/* set-endpoint: the address written into new bundles and credentials. */
static int s_set_endpoint(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " set-endpoint", "tcp://HOST:PORT [--data DIR]",
                          SL_D("更改站点和管理员连接本服务器的地址，即写进新注册包和凭据的地址。已注册的站点仍用原地址：请在旧地址还能用时用 shuanglian-admin site set-server --all ENDPOINT 通知它们。", "Changes the address sites and administrators use to reach this "
                          "server, as written into new bundles and credentials.  Sites already "
                          "enrolled keep theirs: tell them with shuanglian-admin site "
                          "set-server --all ENDPOINT (while the old address still works)."),
                          opts, 1, pos, 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    char why[600], before[260];
    bool loopback = false;
    if (npos != 1 || sl_endpoint_check(pos[0], &loopback, why, sizeof why)) {
        sl_lang_fprintf(stderr, PROG " set-endpoint: %s\n", npos == 1 ? why
                        : SL_D("需要 ENDPOINT", "ENDPOINT is required"));
        return SL_EXIT_USAGE;
    }
    central_store_t *store = s_open_store(PROG " set-endpoint");
    if (!store)
        return SL_EXIT_FAIL;
    central_store_meta_get(store, "public_endpoint", before, sizeof before);
    rc = central_store_meta_set(store, "public_endpoint", pos[0]) ? SL_EXIT_FAIL : 0;
    char was[300];
    snprintf(was, sizeof was, "was %s", before[0] ? before : "-");
    s_audit_local(store, "set-endpoint", pos[0], rc, rc ? "failed" : was);
    central_store_destroy(&store);
    if (rc) {
        sl_cli_err(PROG " set-endpoint", "无法写入中心存储", "cannot write the central store");
        return rc;
    }
    printf("对外地址已更改 public address changed: %s → %s\n  新的注册包和管理员凭据使用新地址 new "
           "bundles and credentials use it;\n  已注册的站点请发命令 tell the enrolled sites: "
           "shuanglian-admin site set-server --all %s\n%s", before[0] ? before : "-", pos[0],
           pos[0], loopback ? "  注意 note: 本机回环地址只在这台机器上有效 a loopback address only works on this machine\n" : "");
    return 0;
}

/* sites, commands, audit: the same verbs as shuanglian-admin's, on the
 * server machine (no credential; "connected" is not known here). */
static int s_local_list(int argc, char **argv, const char *command, const char *verb,
                        const char *summary, bool with_site)
{
    bool tsv = false;
    const char *site = NULL;
    sl_opt_t opts[] = { DATA_OPT, { "--tsv", NULL, SL_D("供程序读取的输出（制表符分隔）", "machine-readable output"), NULL, &tsv },
                        { "--site", "SITE", SL_D("只看这个站点", "only this site"), &site, NULL } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, command, with_site ? "[--site SITE] [--tsv] [--data DIR]"
                          : "[--tsv] [--data DIR]", summary, opts, with_site ? 3 : 2, pos, 0,
                          &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    const char *keys[] = { "site" }, *values[] = { site };
    return s_admin_verb_as(command, verb, site ? 1 : 0, keys, values, NULL, tsv);
}

static int s_sites(int argc, char **argv)
{
    return s_local_list(argc, argv, PROG " sites", "site.health", SL_D("每个已注册的站点及其状况（同 shuanglian-admin sites）。", "Every enrolled site and how "
                        "it is doing (as shuanglian-admin sites)."), false);
}

static int s_commands(int argc, char **argv)
{
    return s_local_list(argc, argv, PROG " commands", "command.list", SL_D("发给站点的命令及其结果（同 shuanglian-admin commands）。", "Commands sent to sites "
                        "and their results (as shuanglian-admin commands)."), true);
}

static int s_audit(int argc, char **argv)
{
    return s_local_list(argc, argv, PROG " audit", "audit.list", SL_D("每一项管理操作（同 shuanglian-admin audit）。", "Every administrative action "
                        "(as shuanglian-admin audit)."), false);
}

static void s_usage(FILE *out)
{
    static const sl_cli_verb_help_t verbs[] = {
        { "init", SL_D("创建中心存储", "create the central store") },
        { "run", SL_D("为站点服务（同步端点）", "serve sites (sync endpoint)") },
        { "stats", SL_D("各站点和合计的记录数", "records per site and in total") },
        { "verify", SL_D("检查每个站点的哈希链和状态表", "check every site's hash chain and the state table") },
        { "ref", SL_D("下发给站点的参考数据（put、del、list、import、new-epoch）",
                      "reference data sent down to sites (put, del, list, import, new-epoch)") },
        { "incidents", SL_D("需要运维人员处理的被拒批次", "refused batches that need an operator") },
        { "admin", SL_D("添加、列出或吊销管理员凭据", "add, list or revoke administrator credentials") },
        { "site", SL_D("在本机注册、吊销或列出站点（另见 shuanglian-admin）",
                       "enroll, revoke or list sites locally (see also shuanglian-admin)") },
        { "sites", SL_D("每个站点的状况（沉默、积压、时钟…）",
                        "every site and how it is doing (silent, backlog, clock …)") },
        { "commands", SL_D("发给站点的命令及其结果", "commands sent to sites and their results") },
        { "audit", SL_D("谁在什么时候对服务器做了什么，结果如何",
                        "who did what to the server, when, with what result") },
        { "backup", SL_D("中心存储的在线备份（服务运行时）",
                         "online copy of the central store (while it serves)") },
        { "restore", SL_D("从备份恢复中心存储（服务器须停止）",
                          "the central store from a backup (server stopped)") },
        { "health", SL_D("给监控用的一行状态（和退出码）", "one line (and exit code) for monitors") },
        { "set-endpoint", SL_D("写进新注册包和凭据的地址",
                               "the address written into new bundles and credentials") },
        { "web", SL_D("在浏览器里看区里的总览（http://127.0.0.1:8621/）",
                      "the district dashboard in a browser (http://127.0.0.1:8621/)") },
        { "report", SL_D("区里的统计和报表（调度、五个一、闭环、积分…）",
                         "district figures and reports (dispatch, five, loop, points …)") },
    };
    sl_cli_program_help(out, PROG,
                        SL_D("双进双联的区服务器：中心存储和同步端点。\n\n命令：",
                             "The district server of shuanglian: central store and sync "
                             "endpoint.\n\nverbs:"),
                        verbs, sizeof verbs / sizeof verbs[0]);
}

int main(int argc, char **argv)
{
    static const sl_verb_t verbs[] = {
        { "init", s_init }, { "run", s_run }, { "stats", s_stats }, { "verify", s_verify },
        { "ref", s_ref }, { "incidents", s_incidents }, { "admin", s_admin },
        { "site", s_site }, { "sites", s_sites }, { "commands", s_commands },
        { "audit", s_audit }, { "backup", s_backup }, { "restore", s_restore },
        { "health", s_health }, { "set-endpoint", s_set_endpoint }, { "web", dash_web_main },
        { "report", s_report },
    };
    return sl_cli_main(argc, argv, PROG, verbs, sizeof verbs / sizeof verbs[0], s_usage);
}
