/* command_store.h: remote commands to sites, durable on the server
 * (PROTOCOL.md 12.11; the command table is common/sl_commands.c).
 *
 * A command is a row of table `commands` (its number, a uid never reused,
 * target site, verb, arguments, who sent it, expiry and state) and one
 * server-log entry of kind `command` addressed to its site, which carries
 * it down with the log's exactly-once, ordered, resumable delivery.  States:
 *
 *   queued ──(sent in a LOG)──> delivered ──(its result record commits)──> done | failed
 *     │                            │
 *     ├── cancelled (an administrator, while queued)
 *     └── expired (past its expiry before the site applied it)
 *
 * The server decides expiry with its own clock (P10): an entry whose command
 * is cancelled, expired or finished is sent as a deletion (nil value), so a
 * site never runs it; a site that applied the entry has executed it, in the
 * same transaction as its cursor (client/site_commands.c).
 *
 * Must never: prepare SQL on another module's table, or refuse a site's
 * result record (a result for an unknown command is kept and logged: the
 * records of a site must reach the district whatever happened here). */
#ifndef COMMAND_STORE_H
#define COMMAND_STORE_H
#include "central_store.h"
#include "sl_schema.h"
#include <stdbool.h>
#include <stdint.h>

/* The table, created by a migration of the central store. */
#define COMMAND_STORE_SCHEMA \
    "CREATE TABLE IF NOT EXISTS commands(" \
    "  id INTEGER PRIMARY KEY," \
    "  uid TEXT NOT NULL UNIQUE," \
    "  target TEXT NOT NULL," \
    "  verb TEXT NOT NULL," \
    "  args TEXT NOT NULL," \
    "  created_ms INTEGER NOT NULL," \
    "  created_by TEXT NOT NULL," \
    "  expires_ms INTEGER NOT NULL," \
    "  state TEXT NOT NULL," \
    "  lseq INTEGER UNIQUE," \
    "  delivered_ms INTEGER," \
    "  finished_ms INTEGER," \
    "  result_seq INTEGER," \
    "  result TEXT);" \
    "CREATE INDEX IF NOT EXISTS commands_target ON commands(target, id);"

/* Queues a command for `target`: a commands row and its server-log entry.
 * args_json is the canonical members of sl_command_check_args (without
 * braces: "\"from\":\"120\"", or "" for none).  Needs an open transaction
 * (the caller commits, so that --all is one transaction).  The new number
 * goes to *id_out.  0, or -1 with a sentence. */
int command_store_add(central_store_t *store, const char *target, const char *verb,
                      const char *args_json, int64_t expires_ms, const char *by,
                      int64_t *id_out, char *err, size_t errlen);

/* Cancels a queued command: 1 cancelled, 0 not cancellable (its state goes
 * to state_out: delivered, done …), -2 no such command, -1 on error. */
int command_store_cancel(central_store_t *store, int64_t id, char *state_out, size_t cap);

/* For the LOG of a site: may the command entry at `lseq` go out live now?
 * 1: yes (queued becomes delivered); 0: no, send it as a deletion (it is
 * cancelled, finished, unknown, or past its expiry, which makes it
 * expired).  Writes: needs the round's transaction.  -1 on error. */
int command_store_entry_live(central_store_t *store, uint64_t lseq, int64_t now_ms);

/* A command_result record of `site_id` was committed as event `seq`: the
 * command it names becomes done or failed, with the output as its result.
 * A result for a command unknown here, or addressed to another site, only
 * logs a warning.  Needs the batch's transaction.  0, or -1 on error. */
int command_store_result(central_store_t *store, const char *site_id, uint64_t seq,
                         const sl_view_t *view, int64_t recv_ms);

/* One command as `commands` lists it. */
typedef struct {
    int64_t id;
    const char *uid, *target, *verb, *args, *created_by, *state, *result;
    int64_t created_ms, expires_ms, delivered_ms, finished_ms;   /* 0: not yet */
    uint64_t lseq, result_seq;
} command_row_t;

/* The commands of `target` (NULL: every site), or the one numbered `id`
 * (> 0), newest first, at most `limit`.  A queued or delivered command past
 * its expiry is shown as expired.  fn non-zero stops.  0, fn's answer, or
 * -1 on a read error. */
int command_store_each(central_store_t *store, const char *target, int64_t id, long limit,
                       int64_t now_ms, int (*fn)(void *ctx, const command_row_t *row),
                       void *ctx);

#endif
