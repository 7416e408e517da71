/* audit_log.h: who did what to the district's server, and what came of it.
 *
 * Every administrative action (server_admin.c: enroll, revoke, ref put,
 * send, cancel, admin revoke …, whether it was done or refused) and every
 * local action on the server's files (init, admin add, backup, restore …)
 * is one row of table `audit`: when (server clock), who (the
 * administrator's name, or the user on the server machine), what (the verb
 * and its arguments, long values cut), the result code and sentence.  Rows
 * are only ever added; `shuanglian-admin audit` lists them.
 *
 * Must never: record a secret (ADMIN arguments hold none: keys travel as
 * public keys), or grow without bound from one request (each row is cut to
 * AUDIT_DETAIL_MAX bytes of detail). */
#ifndef AUDIT_LOG_H
#define AUDIT_LOG_H
#include <sqlite3.h>
#include <stdint.h>

#define AUDIT_LOG_SCHEMA \
    "CREATE TABLE IF NOT EXISTS audit(" \
    "  id INTEGER PRIMARY KEY," \
    "  at_ms INTEGER NOT NULL," \
    "  who TEXT NOT NULL," \
    "  action TEXT NOT NULL," \
    "  detail TEXT NOT NULL," \
    "  code INTEGER NOT NULL," \
    "  result TEXT NOT NULL);"

#define AUDIT_DETAIL_MAX 1000

/* Adds one row in its own transaction (or the caller's, when one is open).
 * code 0 = done.  0, or -1 (logged: an action is not undone because its
 * audit row could not be written). */
int audit_log_add(sqlite3 *db, const char *who, const char *action, const char *detail,
                  int code, const char *result);

typedef struct {
    int64_t id, at_ms;
    const char *who, *action, *detail, *result;
    int code;
} audit_row_t;

/* Rows newest first, at most `limit` (0: 100), only those at or after
 * since_ms (0: all) and, when who is not NULL, of that administrator.
 * fn non-zero stops.  0, fn's answer, or -1 on a read error. */
int audit_log_each(sqlite3 *db, int64_t since_ms, const char *who, long limit,
                   int (*fn)(void *ctx, const audit_row_t *row), void *ctx);

#endif
