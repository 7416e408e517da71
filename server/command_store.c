/* command_store.c: table `commands` of the central store (command_store.h).
 *
 * A command's state changes only here, each change a single UPDATE guarded
 * by the states it may come from, so that a result that arrives after a
 * cancellation or an expiry (it cannot, but a restored store might say so)
 * still tells the truth: a site that sent a result ran the command. */
#include "command_store.h"
#include "sl_lang.h"
#include "sl_commands.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_log.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int command_store_add(central_store_t *store, const char *target, const char *verb,
                      const char *args_json, int64_t expires_ms, const char *by,
                      int64_t *id_out, char *err, size_t errlen)
{
    sqlite3 *db = central_store_db(store);
    uint8_t raw[SL_COMMAND_UID_CHARS / 2];
    char uid[SL_COMMAND_UID_CHARS + 1];
    randombytes_buf(raw, sizeof raw);
    sl_hex(raw, sizeof raw, uid);
    sqlite3_stmt *st = sl_db_prepare(db,
        "INSERT INTO commands(uid, target, verb, args, created_ms, created_by, expires_ms, state)"
        " VALUES (?,?,?,?,?,?,?,'queued')");
    if (!st) {
        sl_tf(err, errlen, "无法准备语句：%s", "cannot prepare: %s", sqlite3_errmsg(db));
        return -1;
    }
    char *args = malloc(strlen(args_json) + 3);
    if (!args) {
        sqlite3_finalize(st);
        sl_tf(err, errlen, "内存不足", "out of memory");
        return -1;
    }
    snprintf(args, strlen(args_json) + 3, "{%s}", args_json);
    int64_t now = sl_now_ms();
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, verb, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, args, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, expires_ms);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    free(args);
    if (rc) {
        sl_tf(err, errlen, "无法保存命令：%s", "cannot store the command: %s", sqlite3_errmsg(db));
        return -1;
    }
    int64_t id = sqlite3_last_insert_rowid(db);
    /* The entry a site receives: uid, number, verb, then the arguments. */
    char head[160];
    snprintf(head, sizeof head, "{\"uid\":\"%s\",\"no\":%lld,\"verb\":\"%s\"%s", uid,
             (long long) id, verb, *args_json ? "," : "");
    size_t len = strlen(head) + strlen(args_json) + 2;
    char *value = malloc(len);
    if (!value) {
        sl_tf(err, errlen, "内存不足", "out of memory");
        return -1;
    }
    snprintf(value, len, "%s%s}", head, args_json);
    uint64_t lseq = 0;
    rc = len - 1 > SL_MAX_TEXT_BYTES ? -1 : 0;
    if (rc)
        sl_tf(err, errlen, "命令太长，放不进一条服务器日志（%zu 字节，最多 %d）",
              "the command is too long for one server-log entry (%zu bytes, at most %d)", len - 1,
              SL_MAX_TEXT_BYTES);
    else
        rc = central_store_log_append(store, target, SL_COMMAND_KIND, uid, value, &lseq, err,
                                      errlen);
    free(value);
    if (rc)
        return -1;
    st = sl_db_prepare(db, "UPDATE commands SET lseq = ? WHERE id = ?");
    rc = st ? 0 : -1;
    if (st) {
        sqlite3_bind_int64(st, 1, (int64_t) lseq);
        sqlite3_bind_int64(st, 2, id);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    if (rc) {
        sl_tf(err, errlen, "无法保存命令：%s", "cannot store the command: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (id_out)
        *id_out = id;
    return 0;
}

/* The state of command `id` into state (cap bytes): 1 found, 0 none, -1. */
static int s_state(sqlite3 *db, int64_t id, char *state, size_t cap)
{
    sqlite3_stmt *st = sl_db_prepare(db, "SELECT state FROM commands WHERE id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(state, cap, "%s", sl_db_text(st, 0));
    rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int command_store_cancel(central_store_t *store, int64_t id, char *state_out, size_t cap)
{
    sqlite3 *db = central_store_db(store);
    sqlite3_stmt *st = sl_db_prepare(db,
        "UPDATE commands SET state = 'cancelled', finished_ms = ? WHERE id = ? AND state = 'queued'");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, sl_now_ms());
    sqlite3_bind_int64(st, 2, id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db) : -1;
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    int found = s_state(db, id, state_out, cap);
    return found < 0 ? -1 : found == 0 ? -2 : 0;
}

int command_store_entry_live(central_store_t *store, uint64_t lseq, int64_t now_ms)
{
    sqlite3 *db = central_store_db(store);
    sqlite3_stmt *st = sl_db_prepare(db,
        "SELECT id, state, expires_ms FROM commands WHERE lseq = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (int64_t) lseq);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE)
            sl_twarn("服务器日志 #%llu 是一条在 commands 里没有的命令：按删除发送",
                     "server log #%llu is a command with no row in commands: sent as a deletion",
                     (unsigned long long) lseq);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    int64_t id = sqlite3_column_int64(st, 0), expires = sqlite3_column_int64(st, 2);
    char state[16];
    snprintf(state, sizeof state, "%s", sl_db_text(st, 1));
    sqlite3_finalize(st);
    bool pending = strcmp(state, "queued") == 0 || strcmp(state, "delivered") == 0;
    if (!pending)
        return 0;
    /* The site has not applied this entry (it asks for it): past its expiry
     * the command is expired, and never runs. */
    bool expired = now_ms >= expires;
    st = sl_db_prepare(db, expired
        ? "UPDATE commands SET state = 'expired', finished_ms = ?1 WHERE id = ?2"
        : "UPDATE commands SET state = 'delivered', delivered_ms = coalesce(delivered_ms, ?1)"
          " WHERE id = ?2");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc)
        return -1;
    if (expired)
        sl_tinfo("命令 #%lld 在站点执行前已过期：不会执行",
                 "command #%lld expired before its site applied it: it will not run", (long long) id);
    return expired ? 0 : 1;
}

int command_store_result(central_store_t *store, const char *site_id, uint64_t seq,
                         const sl_view_t *view, int64_t recv_ms)
{
    sqlite3 *db = central_store_db(store);
    char uid[SL_MAX_NAME_BYTES + 1], outcome[16], verb[SL_MAX_NAME_BYTES + 1];
    char *output = malloc(SL_MAX_PAYLOAD_BYTES + 1);
    if (!output)
        return -1;
    sl_view_text(view, "command", uid, sizeof uid);
    sl_view_text(view, "outcome", outcome, sizeof outcome);
    sl_view_text(view, "verb", verb, sizeof verb);
    sl_view_text(view, "output", output, SL_MAX_PAYLOAD_BYTES + 1);
    sqlite3_stmt *st = sl_db_prepare(db,
        "UPDATE commands SET state = ?1, finished_ms = ?2, result_seq = ?3, result = ?4"
        " WHERE uid = ?5 AND target = ?6 AND result_seq IS NULL");
    int rc = st ? 0 : -1;
    if (st) {
        sqlite3_bind_text(st, 1, strcmp(outcome, "done") == 0 ? "done" : "failed", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, recv_ms);
        sqlite3_bind_int64(st, 3, (int64_t) seq);
        sqlite3_bind_text(st, 4, output, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, uid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, site_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        if (rc == 0 && sqlite3_changes(db) == 0)
            sl_twarn("站点 %s：记录 #%llu 是命令 %s（%s）的结果，但本服务器没有发过它，或已有结果：保留，不对应",
                     "site %s: record #%llu is the result of a command %s (%s) this server did "
                     "not send it, or already has a result for: kept, not matched", site_id,
                     (unsigned long long) seq, uid, verb);
        else if (rc == 0)
            sl_tinfo("站点 %s：命令 %s %s（记录 #%llu）", "site %s: command %s %s (record #%llu)",
                     site_id, verb, strcmp(outcome, "done") == 0 ? SL_D("已完成", "done")
                     : SL_D("失败", "failed"), (unsigned long long) seq);
        sqlite3_finalize(st);
    }
    free(output);
    return rc;
}

int command_store_each(central_store_t *store, const char *target, int64_t id, long limit,
                       int64_t now_ms, int (*fn)(void *ctx, const command_row_t *row),
                       void *ctx)
{
    sqlite3 *db = central_store_db(store);
    sqlite3_stmt *st = sl_db_prepare(db,
        "SELECT id, uid, target, verb, args, created_by,"
        " CASE WHEN state = 'queued' AND expires_ms <= ?4 THEN 'expired' ELSE state END,"
        " coalesce(result, ''), created_ms, expires_ms, coalesce(delivered_ms, 0),"
        " coalesce(finished_ms, 0), coalesce(lseq, 0), coalesce(result_seq, 0)"
        " FROM commands WHERE (?1 IS NULL OR target = ?1) AND (?2 <= 0 OR id = ?2)"
        " ORDER BY id DESC LIMIT ?3");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
    sqlite3_bind_int64(st, 4, now_ms);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        command_row_t r = {
            .id = sqlite3_column_int64(st, 0), .uid = sl_db_text(st, 1),
            .target = sl_db_text(st, 2), .verb = sl_db_text(st, 3), .args = sl_db_text(st, 4),
            .created_by = sl_db_text(st, 5), .state = sl_db_text(st, 6),
            .result = sl_db_text(st, 7), .created_ms = sqlite3_column_int64(st, 8),
            .expires_ms = sqlite3_column_int64(st, 9),
            .delivered_ms = sqlite3_column_int64(st, 10),
            .finished_ms = sqlite3_column_int64(st, 11),
            .lseq = (uint64_t) sqlite3_column_int64(st, 12),
            .result_seq = (uint64_t) sqlite3_column_int64(st, 13) };
        rc = fn(ctx, &r);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}
