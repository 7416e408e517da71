/* site_commands.c: the district's remote commands, run at a site
 * (site_commands.h).  Each command's work is a small function below; all
 * of them run inside the transaction that applies the command's log entry,
 * so the database work they do (a setting, a notice, the resend point)
 * commits with the cursor or not at all.  Two reach outside the database:
 * `rotate_key` writes site.key.next (idempotent: an existing one is kept,
 * as an interrupted rotation would), and `log` reads the log file. */
#include "site_commands.h"
#include "site_sync.h"
#include "sl_commands.h"
#include "sl_hlc.h"
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define OUT_CAP (SL_COMMAND_OUTPUT_CHARS * 4 + 1)

/* ---- settings ------------------------------------------------------------------------ */

const char *site_commands_setting(site_store_t *store, const char *name, char *buf, size_t cap)
{
    const sl_site_setting_t *s = sl_site_setting_find(name);
    buf[0] = 0;
    if (!s)
        return buf;
    if (strcmp(s->name, "server") == 0) {
        snprintf(buf, cap, "%s", site_store_server(store));
        return buf;
    }
    char key[96];
    snprintf(key, sizeof key, "setting.%s", s->name);
    site_store_meta(store, key, buf, cap);
    if (!buf[0] && s->def)
        snprintf(buf, cap, "%s", s->def);
    return buf;
}

int site_commands_set(site_store_t *store, const char *name, const char *value, char *err,
                      size_t errlen)
{
    const sl_site_setting_t *s = sl_site_setting_find(name);
    if (!s) {
        sl_tf(err, errlen, "没有站点参数 \"%.40s\"", "no site setting \"%.40s\"", name);
        return -1;
    }
    if (sl_site_setting_check(s, value, err, errlen))
        return -1;
    if (strcmp(s->name, "server") == 0)
        return site_store_set_server(store, value) ? (sl_tf(err, errlen, "无法保存服务器地址",
                                                            "cannot store the server address"),
                                                      -1) : 0;
    char key[96];
    snprintf(key, sizeof key, "setting.%s", s->name);
    if (site_store_set_meta(store, key, value)) {
        sl_tf(err, errlen, "无法保存参数 %s", "cannot store the setting %s", s->name);
        return -1;
    }
    if (strcmp(s->name, "log_level") == 0 && sl_log_level_parse(value) >= 0)
        sl_log_set_level((sl_log_level_t) sl_log_level_parse(value));
    return 0;
}

/* ---- the commands --------------------------------------------------------------------- */

typedef struct {
    site_commands_t *c;
    site_store_t *store;
    const sl_command_entry_t *e;
    char *out;                  /* OUT_CAP bytes: what goes back as the result */
} run_t;

static const char *s_arg(const run_t *r, const char *name)
{
    const sl_command_t *c = r->e->command;
    for (size_t k = 0; k < c->nargs; k++)
        if (strcmp(c->args[k].name, name) == 0)
            return r->e->values[k];
    return NULL;
}

static void s_clock(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S %z", &tm))
        snprintf(buf, cap, "?");
}

static int s_ping(run_t *r)
{
    char now[64];
    s_clock(now, sizeof now);
    sl_tf(r->out, OUT_CAP, "pong：站点时间 %s；shuanglian-site/%s", "pong: site clock %s; "
          "shuanglian-site/%s", now, SL_VERSION);
    return 0;
}

static int s_status(run_t *r)
{
    site_store_t *st = r->store;
    char ok[32], att[32], res[SITE_SYNC_TEXT_MAX], now[64], disk[64] = "?", lvl[16];
    uint64_t last = site_store_last_seq(st), acked = site_store_acked(st);
    site_store_meta(st, "last_sync_ok_ms", ok, sizeof ok);
    site_store_meta(st, "last_sync_attempt_ms", att, sizeof att);
    site_store_meta(st, "last_sync_result", res, sizeof res);
    s_clock(now, sizeof now);
    struct statvfs v;
    if (r->c->data_dir && statvfs(r->c->data_dir, &v) == 0)
        snprintf(disk, sizeof disk, "%llu MB",
                 (unsigned long long) ((uint64_t) v.f_bavail * v.f_frsize >> 20));
    /* A line per item, its label in both languages (read by the district in its own). */
    snprintf(r->out, OUT_CAP,
             "%s: %s\n%s: %s\n%s: %llu\n%s: %llu\n%s: %llu\n%s: %llu\n%s: %ld\n%s: %s\n%s: %s\n"
             "%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %ld\n%s: shuanglian-site/%s",
             SL_T("站点", "site"), site_store_site_id(st), SL_T("服务器", "server"),
             site_store_server(st), SL_T("本地记录", "local records"), (unsigned long long) last,
             SL_T("待同步", "outbox"), (unsigned long long) (last > acked ? last - acked : 0),
             SL_T("已确认", "acknowledged"), (unsigned long long) acked,
             SL_T("下行游标", "cursor"), (unsigned long long) site_store_cursor(st),
             SL_T("参考数据", "reference entries"), site_store_refdata_count(st),
             SL_T("最近成功同步（毫秒）", "last ok sync (ms)"), ok[0] ? ok : "-",
             SL_T("最近同步尝试（毫秒）", "last attempt (ms)"), att[0] ? att : "-",
             SL_T("最近结果", "last result"), res[0] ? res : "-", SL_T("站点时间", "clock"), now,
             SL_T("剩余磁盘", "disk free"), disk, SL_T("日志级别", "log level"),
             site_commands_setting(st, "log_level", lvl, sizeof lvl),
             SL_T("已执行命令", "commands run"), site_store_commands_run(st, NULL),
             SL_T("版本", "version"), SL_VERSION);
    return 0;
}

static int s_resend(run_t *r)
{
    uint64_t from = strtoull(s_arg(r, "from"), NULL, 10);
    uint64_t last = site_store_last_seq(r->store);
    if (from > last) {
        sl_tf(r->out, OUT_CAP, "本站只有 %llu 条记录，无法从第 %llu 条重发",
              "this site has only %llu records: nothing to resend from %llu",
              (unsigned long long) last, (unsigned long long) from);
        return -1;
    }
    char before[32], text[32];
    site_store_meta(r->store, "resend_from", before, sizeof before);
    uint64_t was = strtoull(before, NULL, 10);
    if (was && was < from)
        from = was;
    snprintf(text, sizeof text, "%llu", (unsigned long long) from);
    if (site_store_set_meta(r->store, "resend_from", text)) {
        sl_tf(r->out, OUT_CAP, "无法保存重发的起点", "cannot store the resend point");
        return -1;
    }
    r->c->resend = true;
    sl_tf(r->out, OUT_CAP, "将重发第 %llu 至 %llu 条记录（共 %llu 条），服务器逐条核对并跳过已有的",
          "records %llu..%llu (%llu) will be sent again; the server checks each against what it "
          "holds and skips the duplicates", (unsigned long long) from, (unsigned long long) last,
          (unsigned long long) (last - from + 1));
    return 0;
}

static int s_set_one(run_t *r, const char *name, const char *value)
{
    char before[256], why[400];
    site_commands_setting(r->store, name, before, sizeof before);
    if (site_commands_set(r->store, name, value, why, sizeof why)) {
        snprintf(r->out, OUT_CAP, "%s", why);
        return -1;
    }
    const sl_site_setting_t *s = sl_site_setting_find(name);
    if (strcmp(s->name, "server") == 0)
        r->c->server_changed = strcmp(before, value) != 0;
    char label[200];
    sl_dpair(label, sizeof label, s->label, "");
    sl_tf(r->out, OUT_CAP, "%s（%s）: %s → %s", "%s%.0s: %s → %s", s->name, label,
          before[0] ? before : "-", value);
    return 0;
}

static int s_set(run_t *r)
{
    return s_set_one(r, s_arg(r, "name"), s_arg(r, "value"));
}

static int s_set_server(run_t *r)
{
    return s_set_one(r, "server", s_arg(r, "endpoint"));
}

/* The last `lines` lines of the site's log file, as many as fit. */
static int s_log(run_t *r)
{
    long want = strtol(s_arg(r, "lines"), NULL, 10);
    char path[4200];
    snprintf(path, sizeof path, "%s/site.log", r->c->data_dir ? r->c->data_dir : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        sl_tf(r->out, OUT_CAP, "没有日志文件（%s）：本站点还没有用这个版本同步过",
              "no log file (%s): this site has not synced with this version yet", path);
        return 0;
    }
    enum { TAIL = 64 * 1024 };
    char *buf = malloc(TAIL + 1);
    size_t n = 0;
    if (buf && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        fseek(f, size > TAIL ? size - TAIL : 0, SEEK_SET);
        n = fread(buf, 1, TAIL, f);
    }
    fclose(f);
    if (!buf) {
        sl_tf(r->out, OUT_CAP, "内存不足", "out of memory");
        return -1;
    }
    buf[n] = 0;
    /* Walk back over `want` lines, and no further than the result can hold. */
    size_t start = n, lines = 0, limit = SL_COMMAND_OUTPUT_CHARS;
    if (start && buf[start - 1] == '\n')
        start--;
    while (start > 0 && lines < (size_t) want) {
        size_t s = start;
        while (s > 0 && buf[s - 1] != '\n')
            s--;
        if (n - s > limit && lines > 0)
            break;
        start = s;
        lines++;
        if (start > 0)
            start--;
    }
    if (start < n && buf[start] == '\n')
        start++;
    snprintf(r->out, OUT_CAP, "%s", buf + start);
    free(buf);
    return 0;
}

static int s_check(run_t *r)
{
    return site_store_check(r->store, r->out, OUT_CAP) == 0 ? 0 : -1;
}

static int s_rotate_key(run_t *r)
{
    char server_public[64], path[4200], why[300];
    site_store_meta(r->store, "server_public", server_public, sizeof server_public);
    if (!server_public[0]) {
        sl_tf(r->out, OUT_CAP, "本站没有密钥（不加密运行），无法更换",
              "this site has no keys (a plaintext site): nothing to rotate");
        return -1;
    }
    snprintf(path, sizeof path, "%s/site.key.next", r->c->data_dir ? r->c->data_dir : ".");
    if (access(path, F_OK) != 0) {
        sl_keypair_t next;
        int rc = sl_keypair_new(&next) || sl_keyfile_write(path, &next, "shuanglian site key "
                                                            "(rotation in progress)", why,
                                                            sizeof why);
        memset(&next, 0, sizeof next);
        if (rc) {
            sl_tf(r->out, OUT_CAP, "无法生成新密钥：%s", "cannot make the new key: %s", why);
            return -1;
        }
    }
    r->c->rotate = true;
    sl_tf(r->out, OUT_CAP, "新密钥已生成，在本次连接中完成更换；旧密钥随后作废",
          "a new key pair was made; the rotation completes during this connection and the old "
          "key stops working");
    return 0;
}

static int s_notice(run_t *r)
{
    if (site_store_notice_add(r->store, r->e->uid, r->e->number, s_arg(r, "text"))) {
        sl_tf(r->out, OUT_CAP, "无法保存通知", "cannot store the notice");
        return -1;
    }
    sl_tf(r->out, OUT_CAP, "通知已保存，站点工作人员下次使用程序时会看到",
          "the notice is stored; the site's staff see it the next time they use the program");
    return 0;
}

static const struct {
    const char *name;
    int (*run)(run_t *r);
} s_runs[] = {
    { "ping", s_ping }, { "status", s_status }, { "resend", s_resend }, { "set", s_set },
    { "set_server", s_set_server }, { "log", s_log }, { "check", s_check },
    { "rotate_key", s_rotate_key }, { "notice", s_notice },
};

/* ---- running one entry ------------------------------------------------------------------ */

/* Makes text fit a TEXT field: valid UTF-8, no control but tab and line
 * break, at most SL_COMMAND_OUTPUT_CHARS characters (the end kept: a log's
 * last lines matter most, and the text says it was cut). */
static void s_clean(char *text)
{
    size_t len = strlen(text), used = 0;
    for (size_t i = 0; i < len; ) {
        unsigned char ch = (unsigned char) text[i];
        size_t n = ch < 0x80 ? 1 : (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3
                 : (ch & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || n > len - i || !sl_utf8_valid(text + i, n)) {
            text[used++] = ch == '\r' ? ' ' : '?';
            i++;
            continue;
        }
        memmove(text + used, text + i, n);
        used += n;
        i += n;
    }
    text[used] = 0;
    long chars = sl_utf8_chars(text, used);
    if (chars > SL_COMMAND_OUTPUT_CHARS) {
        /* Keep the last characters, after "..": dropping at least three
         * characters frees the two bytes the dots take. */
        size_t drop = 0;
        for (long skip = chars - (SL_COMMAND_OUTPUT_CHARS - 2); skip > 0; skip--) {
            drop++;
            while (drop < used && ((unsigned char) text[drop] & 0xC0) == 0x80)
                drop++;
        }
        memmove(text + 2, text + drop, used - drop + 1);
        text[0] = text[1] = '.';
    }
}

/* Appends the command_result record.  0, or -1 with a sentence. */
static int s_result(site_store_t *store, const sl_command_entry_t *e, const char *verb, bool ok,
                    char *output, uint64_t *seq, char *err, size_t errlen)
{
    const sl_rtype_t *rt = sl_schema_find("command_result", strlen("command_result"));
    char on[40];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    /* A clock far off still gives a date the record can hold (P10: the
     * server keeps its own receive time beside it). */
    int year = tm.tm_year + 1900 < 2000 ? 2000 : tm.tm_year + 1900 > 2099 ? 2099
             : tm.tm_year + 1900;
    snprintf(on, sizeof on, "%04d-%02d-%02d", year, tm.tm_mon + 1, tm.tm_mday);
    s_clean(output);
    /* Written in its wire form, not through entry's reading of typed text:
     * a command's output has several lines (status, log), which entry
     * refuses in a value a person types, and which every listing escapes.
     * The wire check (sl_schema_check) still vets it, as the server will. */
    const char *names[] = { "command", "verb", "outcome", "output", "on" };
    const char *values[] = { e->uid, verb, ok ? "done" : "failed", output, on };
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, e->number > 0 ? 6 : 5);
    for (size_t i = 0; i < 5; i++) {
        msgpack_pack_str_with_body(&pk, names[i], strlen(names[i]));
        msgpack_pack_str_with_body(&pk, values[i], strlen(values[i]));
    }
    if (e->number > 0) {
        msgpack_pack_str_with_body(&pk, "number", 6);
        msgpack_pack_int64(&pk, e->number);
    }
    int rc = rt && sl_schema_check(rt, (const uint8_t *) sb.data, sb.size, NULL, err, errlen,
                                   NULL) == 0
             ? site_store_add(store, rt, (const uint8_t *) sb.data, sb.size, seq, NULL, err,
                              errlen, NULL) : -1;
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

int site_commands_run(void *ctx, site_store_t *store, const sl_log_entry_t *entry, char *err,
                      size_t errlen)
{
    site_commands_t *c = ctx;
    sl_command_entry_t e;
    char why[600];
    int parsed = sl_command_entry_parse(entry->value, entry->value_len, &e, why, sizeof why);
    if (!e.uid[0]) {
        /* Nothing to answer to: no uid. */
        sl_twarn("sync：服务器日志 #%llu 不是本站点能读的命令（%s）：不理会",
                 "sync: server log #%llu is not a command this site can read (%s): ignored",
                 (unsigned long long) entry->lseq, why);
        sl_command_entry_free(&e);
        return 0;
    }
    int seen = site_store_command_seen(store, e.uid);
    if (seen != 0) {
        if (seen > 0)
            sl_tinfo("sync：命令 #%lld 在本站点已执行过：不再执行",
                     "sync: command #%lld was already run here: not again", (long long) e.number);
        else
            sl_tf(err, errlen, "无法读取本站点执行过的命令", "cannot read the commands run here");
        sl_command_entry_free(&e);
        return seen > 0 ? 0 : -1;
    }
    char verb[SL_MAX_NAME_BYTES + 1] = "?";
    const sl_json_member_t *v = sl_json_get(&e.obj, "verb");
    if (v && v->type == SL_JSON_STRING)
        snprintf(verb, sizeof verb, "%.64s", v->str);
    char *out = malloc(OUT_CAP);
    if (!out) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        sl_command_entry_free(&e);
        return -1;
    }
    bool ok = false;
    if (parsed) {
        sl_tf(out, OUT_CAP, "无法执行：%s", "cannot run: %s", why);
    } else {
        run_t r = { .c = c, .store = store, .e = &e, .out = out };
        out[0] = 0;
        for (size_t i = 0; i < sizeof s_runs / sizeof s_runs[0]; i++)
            if (strcmp(s_runs[i].name, e.command->name) == 0)
                ok = s_runs[i].run(&r) == 0;
    }
    sl_tinfo("sync：区里的命令 #%lld %s：%s", "sync: command #%lld %s from the district: %s",
             (long long) e.number, verb, ok ? SL_D("已完成", "done") : SL_D("失败", "failed"));

    uint64_t seq = 0;
    int rc = s_result(store, &e, verb, ok, out, &seq, err, errlen);
    if (rc == 0)
        rc = site_store_command_ran(store, e.uid, e.number, verb, entry->lseq,
                                    ok ? "done" : "failed", seq);
    if (rc == 0)
        c->ran++;
    free(out);
    sl_command_entry_free(&e);
    return rc;
}
