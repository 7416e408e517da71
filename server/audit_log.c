/* audit_log.c: table `audit` of the central store (audit_log.h). */
#include "audit_log.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_log.h"
#include <string.h>

int audit_log_add(sqlite3 *db, const char *who, const char *action, const char *detail,
                  int code, const char *result)
{
    sqlite3_stmt *st = sl_db_prepare(db,
        "INSERT INTO audit(at_ms, who, action, detail, code, result) VALUES (?,?,?,?,?,?)");
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, sl_now_ms());
        sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
        /* The detail is cut at a character boundary, never mid-character. */
        size_t len = strlen(detail);
        if (len > AUDIT_DETAIL_MAX) {
            len = AUDIT_DETAIL_MAX;
            while (len > 0 && ((unsigned char) detail[len] & 0xC0) == 0x80)
                len--;
        }
        sqlite3_bind_text(st, 4, detail, (int) len, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, code);
        sqlite3_bind_text(st, 6, result, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    if (rc)
        sl_error("audit: cannot record %s by %s: %s", action, who, sqlite3_errmsg(db));
    return rc;
}

int audit_log_each(sqlite3 *db, int64_t since_ms, const char *who, long limit,
                   int (*fn)(void *ctx, const audit_row_t *row), void *ctx)
{
    sqlite3_stmt *st = sl_db_prepare(db,
        "SELECT id, at_ms, who, action, detail, code, result FROM audit"
        " WHERE at_ms >= ?1 AND (?2 IS NULL OR who = ?2) ORDER BY id DESC LIMIT ?3");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : 100);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        audit_row_t r = { .id = sqlite3_column_int64(st, 0), .at_ms = sqlite3_column_int64(st, 1),
                          .who = sl_db_text(st, 2), .action = sl_db_text(st, 3),
                          .detail = sl_db_text(st, 4), .code = sqlite3_column_int(st, 5),
                          .result = sl_db_text(st, 6) };
        rc = fn(ctx, &r);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize(st);
    return rc;
}
