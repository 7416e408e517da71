/* server_auth.h: who may talk to the server, checked twice.
 *
 * At the CurveZMQ handshake, a ZAP handler (RFC 27) accepts only public keys
 * the server knows (table `keys` in central.db) and stamps each connection
 * with its key as User-Id.  ZAP runs only at handshake (shared/PITFALLS.md),
 * so the engine also looks the key up again on every message: a key revoked
 * a moment ago is refused on its next message, without a restart.
 *
 * Roles: a site key may speak for its own site only; an enrollment key (from
 * a bundle) may only send ENROLL, once, before it expires; an admin key may
 * only send ADMIN requests.  Known keys that are revoked, used or expired
 * still complete the handshake, so that their first message can be answered
 * with a clear refusal instead of silence. */
#ifndef SERVER_AUTH_H
#define SERVER_AUTH_H
#include <czmq.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "sl_keys.h"

typedef enum { SL_ROLE_NONE = 0, SL_ROLE_SITE, SL_ROLE_ENROLL, SL_ROLE_ADMIN } sl_role_t;

typedef struct {
    char key[SL_Z85_KEY];
    sl_role_t role;
    char site_id[65];           /* site and enroll keys */
    char name[256];             /* admin name, or the site's community */
    char status[16];            /* active, pending, used, revoked, retired */
    int64_t expires_ms;         /* enroll keys; 0 = never */
    int64_t changed_ms;
} server_principal_t;

typedef struct server_auth server_auth_t;

/* Creates the keys table if needed.  With `zap`, binds the ZAP handler
 * (must happen before the server socket binds). */
server_auth_t *server_auth_new(sqlite3 *db, bool zap, char *err, size_t errlen);
void server_auth_destroy(server_auth_t **self_p);
int server_auth_create_tables(sqlite3 *db);

/* The ZAP socket, to poll; NULL when made without `zap` (command-line use). */
zsock_t *server_auth_zap_socket(server_auth_t *self);
/* Past `max_fds` open descriptors the ZAP handler refuses new connections
 * with status 300 (busy, retry later) and logs why.  0 turns it off. */
void server_auth_set_fd_limit(server_auth_t *self, long max_fds);
/* For a server run with --insecure: the ZAP handler accepts any plaintext
 * (NULL mechanism) connection, and is there only for the descriptor limit. */
void server_auth_set_plaintext(server_auth_t *self);
/* Answers one pending ZAP request. */
void server_auth_handle_zap(server_auth_t *self);
/* Reloads the key cache when another process changed the database. */
void server_auth_refresh(server_auth_t *self);
/* Reloads the key cache now (after this process wrote to `keys` itself:
 * PRAGMA data_version does not change for a connection's own writes). */
void server_auth_reload(server_auth_t *self);

const server_principal_t *server_auth_lookup(server_auth_t *self, const char *key_z85);
const char *sl_role_name(sl_role_t role);

/* Who changes keys through this handle, for the journal ("" by default). */
void server_auth_set_actor(server_auth_t *self, const char *by);

/* Changes, written through to the database and the cache.  0 or -1. */
int server_auth_add(server_auth_t *self, sl_role_t role, const char *key, const char *site_id,
                    const char *name, const char *status, int64_t expires_ms);
int server_auth_set_status(server_auth_t *self, const char *key, const char *status);
/* Revokes every key of a site; returns how many, or -1. */
int server_auth_revoke_site(server_auth_t *self, const char *site_id);
/* The key's current status as a sentence for a refusal, or NULL when it may
 * act now (active; pending enroll keys are judged by the ENROLL handler). */
const char *server_auth_refusal(const server_principal_t *p, char *buf, size_t cap);

/* 1 when site_id has (or had) a site or enrollment key, whatever its
 * status: the site exists for the district.  0 when not, -1 on error. */
int server_auth_site_enrolled(server_auth_t *self, const char *site_id);

/* Where a site stands, for the checks of enroll and revoke. */
typedef struct {
    int keys;                   /* site and enrollment keys, any status */
    int active;                 /* active site keys */
    int pending;                /* bundles not used, not revoked, not expired */
    int64_t last_change_ms;     /* the latest change of any of its keys */
    char community[256];        /* of its newest key */
} server_site_standing_t;
int server_auth_site_standing(server_auth_t *self, const char *site_id,
                              server_site_standing_t *out);

/* Administrator keys (role admin), for `admin list`: name, status, the
 * key's first 8 Z85 characters and "…", created and changed (ms).  fn
 * non-zero stops.  0, fn's answer, or -1. */
typedef struct {
    const char *name, *status, *key_prefix;
    int64_t created_ms, changed_ms;
} server_admin_key_t;
int server_auth_admin_each(server_auth_t *self,
                           int (*fn)(void *ctx, const server_admin_key_t *k), void *ctx);
/* Revokes every active admin key named `name`, or the one whose Z85 key
 * starts with `name` (8 characters or more).  Returns how many were
 * revoked (0: none matched), -2 when that would leave no active
 * administrator key, -1 on error.  *active_left gets the count left. */
int server_auth_admin_revoke(server_auth_t *self, const char *name, int *active_left);
/* 1 when an active admin key has this name, 0 when not, -1 on error. */
int server_auth_admin_named(server_auth_t *self, const char *name);

/* Key changes that must survive a restore of central.db (PROTOCOL.md
 * 12.3): every revocation is also appended to DIR/keys.journal, beside the
 * database, one line "ms<TAB>revoke<TAB>role<TAB>public key<TAB>site or
 * name<TAB>by".  A restore (shuanglian-server restore) replays the lines
 * after the backup's time; so does a server that starts on a store whose
 * keys say less than the journal (a restore done by hand). */
typedef struct {
    int64_t at_ms;
    char action[16];            /* revoke, add, restore */
    char role[16];
    char key[SL_Z85_KEY];
    char who[256];              /* the site id, or the admin's name */
    char by[256];
} server_key_change_t;
/* The journal's path for a database (its directory + "/keys.journal"). */
void server_auth_journal_path(sqlite3 *db, char *path, size_t cap);
/* Appends one line (best effort; logged when it fails). */
void server_auth_journal_add(sqlite3 *db, const char *action, const char *role,
                             const char *key, const char *who, const char *by);
/* Calls fn for each well-formed line at or after since_ms, in order.
 * Missing file: 0.  Returns 0, fn's answer, or -1 when it cannot be read. */
int server_auth_journal_each(const char *path, int64_t since_ms,
                             int (*fn)(void *ctx, const server_key_change_t *c), void *ctx);
/* Makes every key revoked in the journal (after since_ms) revoked in the
 * store too, and says which it changed through fn (may be NULL).  Returns
 * how many, or -1. */
int server_auth_reapply_revocations(server_auth_t *self, int64_t since_ms,
                                    int (*fn)(void *ctx, const server_key_change_t *c),
                                    void *ctx);

/* The rows of `site list`, one per site and enrollment key, by site then
 * age, at most 10,000: site id, community, key role, status, the key's
 * first 8 Z85 characters and "…", the site's highest committed seq, its
 * last connection (local time) or "-".  fn returning non-zero stops.
 * Returns 0, fn's answer, or -1 on a read error. */
#define SERVER_AUTH_SITE_COLUMNS 7
#define SERVER_AUTH_SITE_LIST_MAX "10000"
typedef int (*server_auth_site_fn)(void *ctx, const char *const *cells);
int server_auth_site_list(server_auth_t *self, server_auth_site_fn fn, void *ctx);

/* 1 when an administrator of this name has an active key (the dashboard's
 * login is refused once every key of the name is revoked), 0 when not,
 * -1 on error. */
int server_auth_admin_active(server_auth_t *self, const char *name);

/* The end of a key rotation: the site spoke with `key`, so its active keys
 * older than that one are retired (in the caller's transaction).  Returns
 * how many, -1 on a store error.  Costs nothing when the site has one active
 * key (the cache counts them). */
int server_auth_retire_older_keys(server_auth_t *self, const char *site_id, const char *key);

#endif
