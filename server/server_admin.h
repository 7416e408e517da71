/* server_admin.h: the district's administrative operations, one verb table.
 *
 * Each verb (site.enroll, site.revoke, site.list, site.health, ref.put,
 * ref.del, ref.list, ref.import, command.send, command.list,
 * command.cancel, audit.list, admin.list, admin.revoke, stats,
 * incidents.list) is written once here: its arguments, its checks,
 * its answer; each one that changes something is written to the audit log.  The engine calls it for an ADMIN message from an admin key
 * (proto/PROTOCOL.md section 12.7); `shuanglian-server` calls it for the
 * same verbs run on the server machine.  Both get the same validation and
 * the same answer: a sentence and/or a table with Chinese-first headings,
 * or a refusal with its error code and the argument at fault.
 *
 * Must never: change anything when it refuses (a refused import appends
 * nothing), or trust an argument's length or content. */
#ifndef SERVER_ADMIN_H
#define SERVER_ADMIN_H
#include "central_store.h"
#include "server_auth.h"
#include "sl_limits.h"
#include "sl_msg.h"
#include <stdio.h>

typedef struct {
    central_store_t *store;
    server_auth_t *auth;
    sl_role_t role;             /* who asks: SL_ROLE_ADMIN (an admin key, or the server machine) */
    const char *admin;          /* the administrator's name, for the log */
    /* Called after site.revoke (the engine drops the site's sessions); may be NULL. */
    void (*site_revoked)(void *ctx, const char *site_id);
    /* Whether a site has a live session now (1) or not (0); NULL when not
     * known (shuanglian-server on the server machine: no engine). */
    int (*site_connected)(void *ctx, const char *site_id);
    void *ctx;
} server_admin_env_t;

typedef struct {
    int code;                   /* 0 done, else sl_error_code_t (407 refused, 500 failed) */
    char field[SL_MAX_NAME_BYTES + 1];  /* the argument at fault, or "" */
    char text[SL_MAX_TEXT_BYTES + 1];   /* a sentence for people (may be empty) */
    uint32_t columns;           /* 0: no table */
    char **cells;               /* row by row, the headings first; owned */
    size_t ncells, cap, bytes;
} server_admin_reply_t;

typedef struct {
    const char *name;           /* the ADMIN verb, e.g. "ref.put" */
    sl_role_t role;             /* who may run it */
    const char *args;           /* its arguments, for help: "kind key fields [site]" */
    void (*run)(const server_admin_env_t *env, const sl_arg_t *args, size_t nargs,
                server_admin_reply_t *reply);
    /* Reads only: not written to the audit log (audit_log.h).  Every other
     * verb, done or refused, is. */
    bool reads;
} server_admin_verb_t;

size_t server_admin_count(void);
const server_admin_verb_t *server_admin_at(size_t index);

/* Runs verb with its arguments (values need not be NUL-terminated) and
 * fills reply (free it with server_admin_reply_free).  No transaction may
 * be open on the store: each verb commits its own.  Returns reply->code. */
int server_admin_run(const server_admin_env_t *env, const char *verb, const sl_arg_t *args,
                     size_t nargs, server_admin_reply_t *reply);
void server_admin_reply_free(server_admin_reply_t *reply);

/* For a command line: prints the sentence and the table to out, or the
 * refusal to err after "command: "; returns the exit code (0, 3 refused,
 * 1 failed: the codes shuanglian-admin gives for the same answers). */
int server_admin_print(const server_admin_reply_t *reply, const char *command, FILE *out,
                       FILE *err);

#endif
