/* site_commands.h: a site runs the district's remote commands
 * (PROTOCOL.md 12.11; the table of commands is common/sl_commands.c).
 *
 * A command arrives as a server-log entry and runs inside the transaction
 * that applies that entry and moves the site's cursor past it
 * (site_store_apply_log): the command's uid is noted as run, and its
 * result is appended as a `command_result` record, in that same
 * transaction.  So a command runs at most once whatever is delivered twice
 * (a LOG resent, the log pulled again from 0 after a restore of the
 * server), and its result reaches the server exactly once, like any
 * record (P3).  A command that cannot run (an unknown verb from a newer
 * server, a bad argument) still gets a result: failed, with the reason.
 *
 * Must never: run a command twice, run one whose entry the server
 * withdrew (nil), or let a command's failure stop the sync. */
#ifndef SITE_COMMANDS_H
#define SITE_COMMANDS_H
#include "site_store.h"
#include <stdbool.h>

typedef struct {
    const char *data_dir;       /* where site.key.next and site.log live */
    /* What the running sync must do next (set by the commands it ran): */
    bool rotate;                /* a key rotation was started (site.key.next) */
    bool server_changed;        /* the server address changed */
    bool resend;                /* records are to be sent again (meta resend_from) */
    int ran;                    /* commands run by the last call(s) */
} site_commands_t;

/* site_command_fn for site_store_apply_log; ctx is a site_commands_t. */
int site_commands_run(void *ctx, site_store_t *store, const sl_log_entry_t *entry, char *err,
                      size_t errlen);

/* A site setting (sl_commands.h: log_level, telemetry_minutes, server):
 * its value here, or its default ("" when it has none). */
const char *site_commands_setting(site_store_t *store, const char *name, char *buf, size_t cap);
/* Sets one, checked against the table; the server address keeps the old
 * one as `server_previous`.  0, or -1 with a sentence. */
int site_commands_set(site_store_t *store, const char *name, const char *value, char *err,
                      size_t errlen);

#endif
