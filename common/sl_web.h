/* sl_web.h: the small web server both browser front ends run on
 * (libmicrohttpd, one internal thread).
 *
 * `shuanglian-site web` (client/site_web.c) and `shuanglian-server web`
 * (server/dash_web.c) write pages; this file owns everything that is the
 * same for both and must never be got wrong twice: the listening address
 * (loopback unless told), request size and rate limits, form and upload
 * parsing with every value checked as UTF-8 text, sessions in HttpOnly
 * SameSite=Strict cookies, CSRF tokens, the Host and Origin checks, the
 * security headers (a Content-Security-Policy that forbids inline script
 * and anything from outside), escaping, and the assets compiled into the
 * binary (common/sl_web_assets.c).  Handlers run one at a time on the
 * server's thread, so a page may use its store without locks.
 *
 * Must never: serve a file from disk, build a page from an unescaped
 * value, or let a request it refused reach a handler. */
#ifndef SL_WEB_H
#define SL_WEB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sl_lang.h"

typedef struct sl_web sl_web_t;
typedef struct sl_web_req sl_web_req_t;

/* Limits (docs/OPERATIONS.md "Web"). */
#define SL_WEB_MAX_BODY         (2 * 1024 * 1024)  /* one request's body, bytes */
#define SL_WEB_MAX_FORM_FIELDS  96                 /* fields in one form */
#define SL_WEB_MAX_CONNECTIONS  64
#define SL_WEB_MAX_PER_IP       16                 /* connections from one address */
#define SL_WEB_TIMEOUT_S        30                 /* an idle connection is closed */
#define SL_WEB_RATE_PER_S       50                 /* requests per second per address … */
#define SL_WEB_RATE_BURST       300                /* … after a burst of this many */
#define SL_WEB_MAX_SESSIONS     512
#define SL_WEB_SESSION_IDLE_S   (8 * 3600)         /* a session unused this long ends */
#define SL_WEB_LOGIN_FAILS      5                  /* failed logins per address … */
#define SL_WEB_LOGIN_WINDOW_S   600                /* … in this window, then refused */

typedef struct {
    const char *listen;         /* "HOST:PORT": 127.0.0.1:8620, 0.0.0.0:8620, [::1]:8620 */
    const char *cookie;         /* the session cookie's name (one per program: ports share cookies) */
    const char *program;        /* for the log: "shuanglian-site web" */
    size_t max_body;            /* 0: SL_WEB_MAX_BODY */
    /* Writes the page for one request (sl_web_page_*, sl_web_reply_*).
     * Called only for requests that passed every check above. */
    void (*handle)(void *ctx, sl_web_req_t *req);
    void *ctx;
} sl_web_opts_t;

/* Parses "HOST:PORT" ("localhost" is 127.0.0.1; IPv6 in brackets).  0, or
 * -1 with a sentence.  *loopback says whether only this computer can
 * connect. */
int sl_web_parse_listen(const char *listen, char *host, size_t hostcap, int *port,
                        bool *loopback, char *err, size_t errlen);
/* The end of a `web` verb's arguments, the same for both front ends: no
 * word left over (npos words at pos), and --listen parsed.  0, or
 * SL_EXIT_USAGE after saying what is wrong (as `prog`). */
int sl_web_verb_listen(const char *prog, size_t npos, char **pos, const char *listen, char *host,
                       size_t hostcap, int *port, bool *loopback);

/* Starts serving (a thread of its own).  NULL with a sentence when the
 * address is wrong or taken. */
sl_web_t *sl_web_start(const sl_web_opts_t *opts, char *err, size_t errlen);
/* The port actually bound (after port 0). */
int sl_web_port(sl_web_t *self);
bool sl_web_loopback(sl_web_t *self);
/* Stops and frees (waits for the request in hand). */
void sl_web_stop(sl_web_t **self_p);

/* ---- the request ------------------------------------------------------- */
const char *sl_web_method(sl_web_req_t *req);
const char *sl_web_path(sl_web_req_t *req);
bool sl_web_is_post(sl_web_req_t *req);
const char *sl_web_client(sl_web_req_t *req);          /* the peer's address, for logs */
/* A query-string value (checked UTF-8 text, no control characters), or
 * NULL when absent. */
const char *sl_web_query(sl_web_req_t *req, const char *name);
/* A form field of a POST (urlencoded or multipart; checked like a query
 * value), or NULL.  Files are not fields. */
const char *sl_web_form(sl_web_req_t *req, const char *name);
/* An uploaded file's bytes (any bytes; NUL-terminated for convenience),
 * its length and the name the browser gave; NULL when none was sent. */
const char *sl_web_file(sl_web_req_t *req, const char *name, size_t *len, const char **filename);
const char *sl_web_header(sl_web_req_t *req, const char *name);

/* ---- sessions and CSRF ------------------------------------------------- */
/* Every browser gets a session on its first request (a random id in the
 * cookie); its CSRF token goes into every form as a hidden field `csrf`. */
const char *sl_web_csrf(sl_web_req_t *req);
/* True when the POST carries the session's token (constant-time compare). */
bool sl_web_csrf_ok(sl_web_req_t *req);
/* The logged-in user ("" when none). */
const char *sl_web_user(sl_web_req_t *req);
/* Logs the session in as `user` under a new id (no fixation); "" logs out. */
void sl_web_set_user(sl_web_req_t *req, const char *user);
/* A one-time message shown on the next page (after a redirect). */
void sl_web_flash(sl_web_req_t *req, const char *kind, const char *text);
/* Takes the pending message: its kind ("ok", "warn", "error") or NULL. */
const char *sl_web_take_flash(sl_web_req_t *req, char *text, size_t cap);
/* Failed logins from this address: true when it must wait (after
 * SL_WEB_LOGIN_FAILS in SL_WEB_LOGIN_WINDOW_S); `failed` counts one more. */
bool sl_web_login_blocked(sl_web_req_t *req);
void sl_web_login_failed(sl_web_req_t *req);

/* ---- the answer -------------------------------------------------------- */
/* The page body being written (HTML unless told otherwise). */
FILE *sl_web_out(sl_web_req_t *req);
void sl_web_status(sl_web_req_t *req, int status);
void sl_web_content_type(sl_web_req_t *req, const char *type);
/* An extra header (Content-Disposition …); value is copied. */
void sl_web_add_header(sl_web_req_t *req, const char *name, const char *value);
/* 303 See Other to a path of this server (POST, then GET). */
void sl_web_redirect(sl_web_req_t *req, const char *path);
/* Replaces the body with these bytes (a download). */
void sl_web_body(sl_web_req_t *req, const void *data, size_t len);
/* Relaxes the page's Content-Security-Policy to allow inline style (a
 * self-contained report page); script stays forbidden. */
void sl_web_allow_inline_style(sl_web_req_t *req);

/* ---- writing HTML ------------------------------------------------------ */
/* Writes text escaped for HTML text and attribute values; a dual text
 * (sl_lang.h) in the language of the process's reader (--lang). */
void sl_web_esc(FILE *out, const char *s);
void sl_web_escn(FILE *out, const char *s, size_t len);
/* printf whose every %s argument is escaped; %r writes a string as it is
 * (only HTML this program wrote itself); also %d %u %ld %lld %llu %zu. */
void sl_web_printf(FILE *out, const char *fmt, ...);
/* Percent-encodes a value for a URL's query string. */
void sl_web_urlenc(FILE *out, const char *s);
/* The head of a page (title, the compiled-in style and script, a menu of
 * (path, label) pairs with `current` marked) and its foot. */
void sl_web_page_begin(sl_web_req_t *req, const char *title, const char *heading,
                       const char *const *menu, size_t nmenu, const char *current);
void sl_web_page_end(sl_web_req_t *req);
/* The hidden CSRF field of a form. */
void sl_web_csrf_field(sl_web_req_t *req);
/* For a POST without the session's CSRF token: logs it, writes the 403
 * page and returns true (the handler then returns); false otherwise. */
bool sl_web_csrf_refused(sl_web_req_t *req);
/* The login page: a password field, and a name field when `name` is not
 * NULL (its value kept); msg, when not NULL, says why the last try failed. */
void sl_web_login_page(sl_web_req_t *req, const char *brand, const char *heading,
                       const char *name, const char *msg);
#define SL_WEB_LOGIN_BLOCKED SL_D("登录失败次数太多，请 10 分钟后再试", "too many failed logins " \
    "from this address; wait 10 minutes")
/* Milliseconds since 1970 as local time "YYYY-MM-DD HH:MM" ("-" for 0). */
void sl_web_local_time(int64_t ms, char *out, size_t cap);
/* The programs' main thread: blocks SIGINT and SIGTERM (before any thread
 * starts, so that the server's threads inherit it) and ignores SIGPIPE;
 * then waits for one of them and returns it. */
void sl_web_block_stop_signals(void);
int sl_web_wait_stop(void);
/* The same, calling tick(ctx) on this thread every `ms` milliseconds
 * while it waits (work between requests: the dashboard recomputes the
 * reports it shows when the store has changed). */
int sl_web_wait_stop_every(int ms, void (*tick)(void *ctx), void *ctx);
/* A whole page saying what went wrong, with status. */
void sl_web_error_page(sl_web_req_t *req, int status, const char *title, const char *text);

/* ---- passwords (libsodium crypto_pwhash) ------------------------------- */
/* Hashes a password (crypto_pwhash_str, interactive limits) into out
 * (crypto_pwhash_STRBYTES).  0, or -1 when memory ran out. */
int sl_web_hash_password(const char *password, char *out, size_t cap);
/* True when password matches hash. */
bool sl_web_check_password(const char *hash, const char *password);
/* Reads a new password: twice from a terminal, or one line from a pipe.
 * Refuses fewer than 8 characters.  0, or -1 after saying why on stderr. */
int sl_web_read_password(const char *command, char *out, size_t cap);

/* The assets compiled into the binary (sl_web_assets.c). */
extern const char sl_web_asset_css[];
extern const char sl_web_asset_js[];
extern const char sl_web_asset_icon[];

#endif
