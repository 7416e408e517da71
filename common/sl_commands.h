/* sl_commands.h: the remote commands a district may send to a site, as data.
 *
 * A command (PROTOCOL.md 12.11) is sent by an administrator (`shuanglian-admin
 * send SITE COMMAND ARGS…`), kept by the server with its state, delivered
 * down the server log to the site at its next connection and executed there
 * at most once; its result comes back up as a `command_result` record.  This
 * table is the one description of each command: its wire name, Chinese
 * label, arguments (in the order the command line gives them) and what the
 * site does.  The server checks a command against it before queueing it;
 * the site reads the same table before executing it.
 *
 * A command travels as a server-log entry of kind `command` whose key is
 * the command's uid and whose value is a flat JSON object (sl_json.h):
 * {"uid":"…","no":12,"verb":"resend","from":"120"}: the uid, the number the
 * administrators see, the verb and each argument as a string. */
#ifndef SL_COMMANDS_H
#define SL_COMMANDS_H
#include "sl_json.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_COMMAND_KIND "command"       /* the server-log kind of a command entry */
#define SL_COMMAND_MAX_ARGS 4
#define SL_COMMAND_UID_CHARS 32         /* hex of 16 random bytes */

typedef enum { SL_CA_TEXT, SL_CA_INT, SL_CA_CHOICE, SL_CA_ENDPOINT } sl_cmd_argtype_t;

typedef struct {
    const char *name;           /* JSON member and ADMIN `args` key */
    const char *label;          /* Chinese */
    sl_cmd_argtype_t type;
    bool required;
    int64_t min, max;           /* INT: value; TEXT: characters */
    const char *choices;        /* CHOICE: "a|b|c" */
    const char *def;            /* the value when not given (NULL: none) */
} sl_cmd_arg_t;

typedef struct {
    const char *name;           /* wire name: "rotate_key" (the CLI also takes rotate-key) */
    const char *label;          /* "更换密钥" */
    const char *summary;        /* what the site does, for help and docs */
    const sl_cmd_arg_t *args;
    size_t nargs;
} sl_command_t;

size_t sl_command_count(void);
const sl_command_t *sl_command_at(size_t index);
/* By wire name, with '-' read as '_', or by Chinese label; NULL when none. */
const sl_command_t *sl_command_find(const char *name);
/* "ping(连通检测) status(状态报告) …", for refusals and help. */
void sl_command_names(char *out, size_t cap);

/* The settings a site keeps that a command (`set`) or the site's own
 * command line may change: name, Chinese label, type and range. */
typedef struct {
    const char *name;           /* log_level, telemetry_minutes, server */
    const char *label;
    sl_cmd_argtype_t type;
    int64_t min, max;
    const char *choices;
    const char *def;
} sl_site_setting_t;

size_t sl_site_setting_count(void);
const sl_site_setting_t *sl_site_setting_at(size_t index);
const sl_site_setting_t *sl_site_setting_find(const char *name);
/* Checks a value for a site setting: 0, or -1 with a sentence (Chinese first). */
int sl_site_setting_check(const sl_site_setting_t *s, const char *value, char *err,
                          size_t errlen);

/* Checks a command's arguments, given as a flat JSON object of strings
 * (what shuanglian-admin sends: {"from":"120"}) or as NULL for none, and
 * writes the canonical argument members (each as a string, defaults
 * filled, in table order) into w.  0, or -1 with a sentence naming the
 * argument (Chinese first, then English). */
int sl_command_check_args(const sl_command_t *c, const char *json, size_t len,
                          sl_json_writer_t *w, char *err, size_t errlen);

/* A command entry as it arrives at a site (a LOG value): its uid, number,
 * verb and arguments.  Outside input: every member is checked. */
typedef struct {
    char uid[SL_COMMAND_UID_CHARS + 1];
    int64_t number;
    const sl_command_t *command;
    const char *values[SL_COMMAND_MAX_ARGS];  /* per table argument; NULL absent */
    sl_json_obj_t obj;                        /* owns the values */
} sl_command_entry_t;

/* 0, or -1 with a sentence (an unknown verb, a bad argument, damaged JSON);
 * free with sl_command_entry_free either way. */
int sl_command_entry_parse(const char *value, size_t len, sl_command_entry_t *out, char *err,
                           size_t errlen);
void sl_command_entry_free(sl_command_entry_t *e);

/* Endpoints that a site can dial: tcp://HOST:PORT with a real host (not
 * "*", 0.0.0.0 or ::, which only make sense for a server's bind) and a port
 * of 1..65535.  0, or -1 with a sentence (Chinese first).  *loopback (may
 * be NULL) is set when HOST is this machine (127.x, localhost, ::1): valid,
 * but only a site on the server's own machine can use it. */
int sl_endpoint_check(const char *endpoint, bool *loopback, char *err, size_t errlen);

#endif
