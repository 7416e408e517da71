/* sl_web.c: the web server core under both browser front ends (sl_web.h).
 *
 * Order for every request: the address's rate, the Host header (DNS
 * rebinding: a page elsewhere must not reach a loopback server by a name of
 * its own), the method, the path (printable ASCII, no "..", "//" or
 * backslash: nothing here maps a path to a file anyway), the body's size
 * (refused from Content-Length before it is read), the form's encoding,
 * every field as UTF-8 text, the session, then for a POST the Origin
 * header; only then the program's handler.  Each refusal is logged with the
 * peer's address and answered with a page that says what was wrong. */
#include "sl_web.h"
#include "sl_cli.h"
#include "sl_lang.h"
#include "sl_log.h"
#include "sl_text.h"
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <pthread.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define SID_HEX 64              /* a session id: 32 random bytes in hex */
#define RATE_SLOTS 256          /* addresses remembered for the rate limit */
#define MAX_HEADERS 8

typedef struct {
    char id[SID_HEX + 1];
    char csrf[SID_HEX + 1];
    char user[65];
    char flash_kind[8];
    char flash[600];
    int64_t last_ms;
    bool used;
} session_t;

typedef struct {
    char ip[INET6_ADDRSTRLEN];
    double tokens;
    int64_t last_ms;
    int fails;
    int64_t fail_start_ms;
    long refused;               /* requests refused in a row (logged at 1, 100, 200 …) */
} rate_t;

struct sl_web {
    sl_web_opts_t opts;
    struct MHD_Daemon *daemon;
    int port;
    bool loopback;
    char host[64];
    session_t sessions[SL_WEB_MAX_SESSIONS];
    rate_t rates[RATE_SLOTS];
};

typedef struct {
    char *name;
    char *value;
    size_t len;
    char *filename;             /* NULL: a form field, not a file */
} field_t;

struct sl_web_req {
    sl_web_t *web;
    struct MHD_Connection *conn;
    const char *method, *path;
    char ip[INET6_ADDRSTRLEN];
    bool post;
    struct MHD_PostProcessor *pp;
    size_t body_bytes;
    bool form_bad;              /* too many fields, a parse failure */
    field_t fields[SL_WEB_MAX_FORM_FIELDS];
    size_t nfields;
    session_t *session;
    bool new_cookie;
    /* the answer */
    FILE *out;
    char *page;
    size_t page_len;
    void *body;                 /* sl_web_body: replaces the page */
    size_t body_len;
    int status;
    char ctype[80];
    bool inline_style;
    char *hnames[MAX_HEADERS], *hvalues[MAX_HEADERS];
    size_t nheaders;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- listening ---------------------------------------------------------- */

int sl_web_parse_listen(const char *listen, char *host, size_t hostcap, int *port,
                        bool *loopback, char *err, size_t errlen)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon || colon == listen || strlen(listen) > 100) {
        snprintf(err, errlen, "--listen \"%s\" %s", listen ? listen : "",
                 SL_T("应为", "must be HOST:PORT (e.g. 127.0.0.1:8620)"));
        return -1;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535) {
        snprintf(err, errlen, "--listen \"%s\": %s", listen,
                 SL_T("端口应为 0..65535", "the port must be 0..65535"));
        return -1;
    }
    size_t hl = (size_t) (colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hostcap) {
        snprintf(err, errlen, "--listen \"%s\": %s", listen, SL_T("主机名太长", "host too long"));
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, hostcap, "127.0.0.1");
    if (strcmp(host, "*") == 0)
        snprintf(host, hostcap, "0.0.0.0");
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        *loopback = (ntohl(a4.s_addr) >> 24) == 127;
    else if (inet_pton(AF_INET6, host, &a6) == 1)
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6);
    else {
        snprintf(err, errlen, "--listen \"%s\": \"%s\" %s (127.0.0.1, 0.0.0.0, 192.168.1.10, [::1])",
                 listen, host, SL_T("不是 IP 地址", "is not an IP address"));
        return -1;
    }
    *port = (int) p;
    return 0;
}

/* ---- small helpers -------------------------------------------------------- */

static void s_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

static void s_random_hex(char out[SID_HEX + 1])
{
    uint8_t raw[SID_HEX / 2];
    randombytes_buf(raw, sizeof raw);
    s_hex(raw, sizeof raw, out);
}

/* Form values, query values and cookies are text: UTF-8, no NUL, no
 * control characters but tab and line breaks (textarea sends CR LF). */
static bool s_text_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r')
            continue;
        else if ((unsigned char) s[i] < 0x20 && s[i] != '\t' && s[i] != '\n')
            return false;
    return strlen(s) == len && (len == 0 || sl_utf8_valid(s, len));
}

static rate_t *s_rate(sl_web_t *w, const char *ip)
{
    rate_t *oldest = &w->rates[0];
    for (size_t i = 0; i < RATE_SLOTS; i++) {
        if (strcmp(w->rates[i].ip, ip) == 0)
            return &w->rates[i];
        if (w->rates[i].last_ms < oldest->last_ms)
            oldest = &w->rates[i];
    }
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->ip, sizeof oldest->ip, "%s", ip);
    oldest->tokens = SL_WEB_RATE_BURST;
    oldest->last_ms = s_now_ms();
    return oldest;
}

/* A token for this request: false when the address is over its rate. */
static bool s_rate_take(sl_web_t *w, const char *ip)
{
    rate_t *r = s_rate(w, ip);
    int64_t now = s_now_ms();
    r->tokens += (double) (now - r->last_ms) * SL_WEB_RATE_PER_S / 1000.0;
    if (r->tokens > SL_WEB_RATE_BURST)
        r->tokens = SL_WEB_RATE_BURST;
    r->last_ms = now;
    if (r->tokens < 1) {
        r->refused++;
        return false;
    }
    r->tokens -= 1;
    r->refused = 0;
    return true;
}

/* ---- sessions ------------------------------------------------------------- */

static session_t *s_session_new(sl_web_t *w)
{
    session_t *slot = NULL, *oldest = &w->sessions[0];
    int64_t now = s_now_ms();
    for (size_t i = 0; i < SL_WEB_MAX_SESSIONS && !slot; i++) {
        session_t *s = &w->sessions[i];
        if (!s->used || now - s->last_ms > SL_WEB_SESSION_IDLE_S * 1000LL)
            slot = s;
        else if (s->last_ms < oldest->last_ms)
            oldest = s;
    }
    if (!slot)
        slot = oldest;          /* the least recently used goes */
    memset(slot, 0, sizeof *slot);
    slot->used = true;
    slot->last_ms = now;
    s_random_hex(slot->id);
    s_random_hex(slot->csrf);
    return slot;
}

static session_t *s_session_find(sl_web_t *w, const char *id)
{
    if (!id || strlen(id) != SID_HEX)
        return NULL;
    int64_t now = s_now_ms();
    for (size_t i = 0; i < SL_WEB_MAX_SESSIONS; i++) {
        session_t *s = &w->sessions[i];
        if (s->used && sodium_memcmp(s->id, id, SID_HEX) == 0) {
            if (now - s->last_ms > SL_WEB_SESSION_IDLE_S * 1000LL) {
                memset(s, 0, sizeof *s);
                return NULL;
            }
            s->last_ms = now;
            return s;
        }
    }
    return NULL;
}

static session_t *s_session(sl_web_req_t *req)
{
    if (!req->session) {
        const char *id = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND,
                                                     req->web->opts.cookie);
        req->session = s_session_find(req->web, id);
        if (!req->session) {
            req->session = s_session_new(req->web);
            req->new_cookie = true;
        }
    }
    return req->session;
}

const char *sl_web_csrf(sl_web_req_t *req) { return s_session(req)->csrf; }

bool sl_web_csrf_ok(sl_web_req_t *req)
{
    const char *t = sl_web_form(req, "csrf");
    return t && strlen(t) == SID_HEX && sodium_memcmp(t, s_session(req)->csrf, SID_HEX) == 0;
}

const char *sl_web_user(sl_web_req_t *req) { return s_session(req)->user; }

void sl_web_set_user(sl_web_req_t *req, const char *user)
{
    session_t *s = s_session(req);
    s_random_hex(s->id);        /* a new id and token at every change of who */
    s_random_hex(s->csrf);
    snprintf(s->user, sizeof s->user, "%s", user);
    req->new_cookie = true;
}

void sl_web_flash(sl_web_req_t *req, const char *kind, const char *text)
{
    session_t *s = s_session(req);
    snprintf(s->flash_kind, sizeof s->flash_kind, "%s", kind);
    snprintf(s->flash, sizeof s->flash, "%s", text);
}

const char *sl_web_take_flash(sl_web_req_t *req, char *text, size_t cap)
{
    session_t *s = s_session(req);
    if (!s->flash_kind[0])
        return NULL;
    snprintf(text, cap, "%s", s->flash);
    s->flash[0] = 0;
    return strcmp(s->flash_kind, "ok") == 0 ? (s->flash_kind[0] = 0, "ok")
         : strcmp(s->flash_kind, "warn") == 0 ? (s->flash_kind[0] = 0, "warn")
         : (s->flash_kind[0] = 0, "error");
}

bool sl_web_login_blocked(sl_web_req_t *req)
{
    rate_t *r = s_rate(req->web, req->ip);
    if (s_now_ms() - r->fail_start_ms > SL_WEB_LOGIN_WINDOW_S * 1000LL)
        r->fails = 0;
    return r->fails >= SL_WEB_LOGIN_FAILS;
}

void sl_web_login_failed(sl_web_req_t *req)
{
    rate_t *r = s_rate(req->web, req->ip);
    int64_t now = s_now_ms();
    if (now - r->fail_start_ms > SL_WEB_LOGIN_WINDOW_S * 1000LL) {
        r->fails = 0;
        r->fail_start_ms = now;
    }
    r->fails++;
}

/* ---- the request ---------------------------------------------------------- */

const char *sl_web_method(sl_web_req_t *req) { return req->method; }
const char *sl_web_path(sl_web_req_t *req) { return req->path; }
bool sl_web_is_post(sl_web_req_t *req) { return req->post; }
const char *sl_web_client(sl_web_req_t *req) { return req->ip; }

const char *sl_web_query(sl_web_req_t *req, const char *name)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && s_text_ok(v, strlen(v)) ? v : NULL;
}

const char *sl_web_form(sl_web_req_t *req, const char *name)
{
    for (size_t i = 0; i < req->nfields; i++)
        if (!req->fields[i].filename && strcmp(req->fields[i].name, name) == 0)
            return req->fields[i].value;
    return NULL;
}

const char *sl_web_file(sl_web_req_t *req, const char *name, size_t *len, const char **filename)
{
    for (size_t i = 0; i < req->nfields; i++)
        if (req->fields[i].filename && strcmp(req->fields[i].name, name) == 0) {
            *len = req->fields[i].len;
            if (filename)
                *filename = req->fields[i].filename;
            return req->fields[i].value;
        }
    return NULL;
}

const char *sl_web_header(sl_web_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ---- the answer ----------------------------------------------------------- */

FILE *sl_web_out(sl_web_req_t *req) { return req->out; }
void sl_web_status(sl_web_req_t *req, int status) { req->status = status; }

void sl_web_content_type(sl_web_req_t *req, const char *type)
{
    snprintf(req->ctype, sizeof req->ctype, "%s", type);
}

void sl_web_add_header(sl_web_req_t *req, const char *name, const char *value)
{
    if (req->nheaders < MAX_HEADERS) {
        req->hnames[req->nheaders] = strdup(name);
        req->hvalues[req->nheaders] = strdup(value);
        req->nheaders++;
    }
}

void sl_web_redirect(sl_web_req_t *req, const char *path)
{
    req->status = 303;
    sl_web_add_header(req, "Location", path);
    fprintf(req->out, "<!DOCTYPE html><title>303</title><a href=\"");
    sl_web_esc(req->out, path);
    sl_web_printf(req->out, "\">%s</a>\n", SL_D("继续", "continue"));
}

void sl_web_body(sl_web_req_t *req, const void *data, size_t len)
{
    free(req->body);
    req->body = malloc(len ? len : 1);
    if (req->body) {
        memcpy(req->body, data, len);
        req->body_len = len;
    }
}

void sl_web_allow_inline_style(sl_web_req_t *req) { req->inline_style = true; }

/* ---- HTML ----------------------------------------------------------------- */

void sl_web_escn(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len && s[i]; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(s[i], out);
        }
    }
}

void sl_web_esc(FILE *out, const char *s)
{
    char *shown = s && sl_lang_is_dual(s) ? sl_lang_rendered(s) : NULL;
    if (shown)
        s = shown;
    if (s)
        sl_web_escn(out, s, strlen(s));
    free(shown);
}

void sl_web_printf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            fputc(*p, out);
            continue;
        }
        p++;
        if (*p == 's')
            sl_web_esc(out, va_arg(ap, const char *));
        else if (*p == 'r')
            fputs(va_arg(ap, const char *), out);       /* raw: HTML this program wrote */
        else if (*p == 'd')
            fprintf(out, "%d", va_arg(ap, int));
        else if (*p == 'u')
            fprintf(out, "%u", va_arg(ap, unsigned));
        else if (*p == 'z' && p[1] == 'u')
            p++, fprintf(out, "%zu", va_arg(ap, size_t));
        else if (*p == 'l' && p[1] == 'd')
            p++, fprintf(out, "%ld", va_arg(ap, long));
        else if (*p == 'l' && p[1] == 'l' && p[2] == 'd')
            p += 2, fprintf(out, "%lld", va_arg(ap, long long));
        else if (*p == 'l' && p[1] == 'l' && p[2] == 'u')
            p += 2, fprintf(out, "%llu", va_arg(ap, unsigned long long));
        else if (*p == '%')
            fputc('%', out);
        else
            break;              /* a format this function does not know: stop, never guess */
    }
    va_end(ap);
}

void sl_web_urlenc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char) *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_' || c == '.' || c == '~')
            fputc(c, out);
        else
            fprintf(out, "%%%02X", c);
    }
}

void sl_web_csrf_field(sl_web_req_t *req)
{
    fprintf(req->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", sl_web_csrf(req));
}

/* The page's language, as its reader reads it (--lang). */
static const char *s_html_lang(void)
{
    return sl_lang_reader() == SL_LANG_EN ? "en" : "zh-CN";
}

void sl_web_page_begin(sl_web_req_t *req, const char *title, const char *heading,
                       const char *const *menu, size_t nmenu, const char *current)
{
    FILE *o = req->out;
    sl_web_printf(o, "<!DOCTYPE html>\n<html lang=\"%r\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>%s</title><link rel=\"icon\" href=\"/static/icon.svg\">"
                  "<link rel=\"stylesheet\" href=\"/static/app.css\">"
                  "<script src=\"/static/app.js\" defer></script></head><body>\n"
                  "<header><div class=\"brand\">%s</div><nav>", s_html_lang(), title, heading);
    for (size_t i = 0; i + 1 < nmenu * 2; i += 2) {
        bool here = current && strcmp(current, menu[i]) == 0;
        sl_web_printf(o, here ? "<a href=\"%s\" class=\"here\" aria-current=\"page\">%s</a>"
                              : "<a href=\"%s\">%s</a>", menu[i], menu[i + 1]);
    }
    fprintf(o, "</nav></header>\n<main>\n");
    char text[600];
    const char *kind = sl_web_take_flash(req, text, sizeof text);
    if (kind)
        sl_web_printf(o, "<p class=\"flash %s\" id=\"flash\">%s</p>\n", kind, text);
}

void sl_web_page_end(sl_web_req_t *req)
{
    sl_web_printf(req->out, "</main>\n<footer>%s " SL_VERSION "</footer>\n</body></html>\n",
                  SL_D("双进双联", "shuanglian"));
}

/* Starts the body over (an error page replaces what a handler wrote). */
static void s_reset_out(sl_web_req_t *req)
{
    if (req->out)
        fclose(req->out);
    free(req->page);
    req->page = NULL;
    req->page_len = 0;
    req->out = open_memstream(&req->page, &req->page_len);
    if (!req->out)
        req->out = fopen("/dev/null", "w");
}

void sl_web_error_page(sl_web_req_t *req, int status, const char *title, const char *text)
{
    s_reset_out(req);
    req->status = status;
    sl_web_printf(req->out, "<!DOCTYPE html>\n<html lang=\"%r\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>%s</title><link rel=\"icon\" href=\"/static/icon.svg\">"
                  "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main>"
                  "<h1>%s</h1><p class=\"flash error\" id=\"refusal\">%s</p>"
                  "<p><a href=\"/\">%s</a></p></main></body></html>\n",
                  s_html_lang(), title, title, text, SL_D("返回首页", "back to the first page"));
}

bool sl_web_csrf_refused(sl_web_req_t *req)
{
    if (!req->post || sl_web_csrf_ok(req))
        return false;
    char said[400];
    sl_df(said, sizeof said, "POST %.200s 被拒绝：没有有效的安全令牌（CSRF）",
          "POST %.200s refused: no valid CSRF token", req->path);
    sl_info("web: %s: %s", req->ip, said);
    sl_web_error_page(req, 403, SL_D("拒绝", "Refused"), SL_D("表单缺少安全令牌或令牌不对（页面可能已过期）：请重新"
                      "打开页面再提交", "the form's security token is missing or wrong (the page may be "
                      "old): open the page again and resubmit"));
    return true;
}

void sl_web_login_page(sl_web_req_t *req, const char *brand, const char *heading,
                       const char *name, const char *msg)
{
    sl_web_page_begin(req, SL_D("登录", "Log in"), brand, NULL, 0, NULL);
    FILE *o = req->out;
    sl_web_printf(o, "<h1>%s</h1>", heading);
    if (msg)
        sl_web_printf(o, "<p class=\"flash error\" id=\"login-error\">%s</p>", msg);
    fprintf(o, "<form class=\"entry\" method=\"post\" action=\"/login\">");
    sl_web_csrf_field(req);
    if (name)
        sl_web_printf(o, "<div class=\"field\"><label for=\"name\">%s</label>"
                      "<input type=\"text\" name=\"name\" id=\"name\" autocomplete=\"username\" "
                      "value=\"%s\"></div>", SL_D("管理员", "administrator"), name);
    sl_web_printf(o, "<div class=\"field\"><label for=\"password\">%s</label><input "
                  "type=\"password\" name=\"password\" id=\"password\" "
                  "autocomplete=\"current-password\"></div><button type=\"submit\" id=\"login\">"
                  "%s</button></form>", SL_D("密码", "password"), SL_D("登录", "Log in"));
    sl_web_page_end(req);
}

void sl_web_local_time(int64_t ms, char *out, size_t cap)
{
    if (ms <= 0) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

static sigset_t s_stop_signals;

void sl_web_block_stop_signals(void)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&s_stop_signals);
    sigaddset(&s_stop_signals, SIGINT);
    sigaddset(&s_stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s_stop_signals, NULL);
}

int sl_web_wait_stop(void)
{
    return sl_web_wait_stop_every(0, NULL, NULL);
}

int sl_web_wait_stop_every(int ms, void (*tick)(void *ctx), void *ctx)
{
    int sig = 0;
    if (!tick || ms <= 0) {
        sigwait(&s_stop_signals, &sig);
    } else {
        struct timespec every = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while ((sig = sigtimedwait(&s_stop_signals, NULL, &every)) < 0)
            if (errno == EAGAIN)
                tick(ctx);
    }
    char said[100];
    sl_df(said, sizeof said, "停止（%s）", "stopping (%s)", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sl_info("web: %s", said);
    return sig;
}

/* ---- passwords ------------------------------------------------------------ */

int sl_web_hash_password(const char *password, char *out, size_t cap)
{
    if (cap < crypto_pwhash_STRBYTES)
        return -1;
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

bool sl_web_check_password(const char *hash, const char *password)
{
    if (!hash || !*hash || strlen(hash) >= crypto_pwhash_STRBYTES)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static int s_read_line(bool tty, const char *prompt, char *out, size_t cap)
{
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s: ", prompt);
        tcgetattr(0, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
    bool ok = fgets(out, (int) cap, stdin) != NULL;
    if (tty) {
        tcsetattr(0, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = 0;
    return 0;
}

int sl_web_read_password(const char *command, char *out, size_t cap)
{
    bool tty = isatty(0);
    char again[256];
    if (s_read_line(tty, SL_T("新密码", "new password"), out, cap)) {
        fprintf(stderr, "%s: %s\n", command,
                SL_T("没有读到密码", "no password given (type it, or pipe one line)"));
        return -1;
    }
    long chars = sl_utf8_chars(out, strlen(out));
    if (chars < 8 || !s_text_ok(out, strlen(out)) || strlen(out) > 200) {
        fprintf(stderr, "%s: %s\n", command,
                SL_T("密码至少 8 个字符", "the password must be 8..200 characters of text"));
        sodium_memzero(out, cap);
        return -1;
    }
    if (tty) {
        int rc = s_read_line(tty, SL_T("再输入一次", "again"), again, sizeof again);
        if (rc || strcmp(again, out) != 0) {
            fprintf(stderr, "%s: %s\n", command,
                    SL_T("两次输入不一致", "the two entries differ; nothing changed"));
            sodium_memzero(out, cap);
            sodium_memzero(again, sizeof again);
            return -1;
        }
        sodium_memzero(again, sizeof again);
    }
    return 0;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------ */

static enum MHD_Result s_post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *filename, const char *content_type,
                                   const char *transfer_encoding, const char *data,
                                   uint64_t off, size_t size)
{
    (void) kind, (void) content_type, (void) transfer_encoding;
    sl_web_req_t *req = cls;
    field_t *f = req->nfields ? &req->fields[req->nfields - 1] : NULL;
    if (!f || off == 0 || strcmp(f->name, key) != 0) {
        if (req->nfields == SL_WEB_MAX_FORM_FIELDS) {
            req->form_bad = true;
            return MHD_NO;
        }
        f = &req->fields[req->nfields++];
        f->name = strdup(key);
        f->filename = filename ? strdup(filename) : NULL;
        f->value = calloc(1, 1);
        f->len = 0;
        if (!f->name || !f->value || (filename && !f->filename)) {
            req->form_bad = true;
            return MHD_NO;
        }
    }
    if (size) {
        char *grown = realloc(f->value, f->len + size + 1);
        if (!grown) {
            req->form_bad = true;
            return MHD_NO;
        }
        memcpy(grown + f->len, data, size);
        f->len += size;
        grown[f->len] = 0;
        f->value = grown;
    }
    return MHD_YES;
}

static void s_req_free(sl_web_req_t *req)
{
    if (!req)
        return;
    if (req->pp)
        MHD_destroy_post_processor(req->pp);
    for (size_t i = 0; i < req->nfields; i++) {
        free(req->fields[i].name);
        free(req->fields[i].value);
        free(req->fields[i].filename);
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        free(req->hnames[i]);
        free(req->hvalues[i]);
    }
    if (req->out)
        fclose(req->out);
    free(req->page);
    free(req->body);
    free(req);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void) cls, (void) conn, (void) toe;
    s_req_free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result s_send(sl_web_req_t *req)
{
    fflush(req->out);
    struct MHD_Response *resp;
    if (req->body)
        resp = MHD_create_response_from_buffer(req->body_len, req->body, MHD_RESPMEM_MUST_COPY);
    else
        resp = MHD_create_response_from_buffer(req->page_len, req->page, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", req->ctype);
    MHD_add_response_header(resp, "Content-Security-Policy", req->inline_style
        ? "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
          "frame-ancestors 'none'; base-uri 'none'"
        : "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");  /* "no-referrer" makes Origin "null" */
    bool asset = strncmp(req->path, "/static/", 8) == 0 && req->status == 200;
    MHD_add_response_header(resp, "Cache-Control", asset ? "max-age=3600" : "no-store");
    for (size_t i = 0; i < req->nheaders; i++)
        MHD_add_response_header(resp, req->hnames[i], req->hvalues[i]);
    if (req->new_cookie && req->session) {
        char cookie[200];
        snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
                 req->web->opts.cookie, req->session->id, SL_WEB_SESSION_IDLE_S);
        MHD_add_response_header(resp, "Set-Cookie", cookie);
    }
    enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned) req->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Refuses the request with a page; the handler never sees it. */
static enum MHD_Result s_refuse(sl_web_req_t *req, int status, const char *why)
{
    sl_info("web: %s %s %.200s refused (%d): %s", req->ip, req->method, req->path, status, why);
    const char *title = status == 413 ? SL_D("请求太大", "Request too large")
                      : status == 429 ? SL_D("请求太频繁", "Too many requests")
                      : status == 403 ? SL_D("拒绝", "Refused")
                      : status == 404 ? SL_D("没有这个页面", "Not found")
                      : status == 405 ? SL_D("不支持的方法", "Method not allowed")
                      : SL_D("请求有误", "Bad request");
    sl_web_error_page(req, status, title, why);
    if (status == 429)
        sl_web_add_header(req, "Retry-After", "1");
    if (status == 405)
        sl_web_add_header(req, "Allow", "GET, HEAD, POST");
    return s_send(req);
}

/* A 429 that is not logged: one line per hundred keeps a flood out of the log. */
static enum MHD_Result s_refuse_quietly(sl_web_req_t *req)
{
    sl_web_error_page(req, 429, SL_D("请求太频繁", "Too many requests"),
                      SL_D("请稍后再试", "try again in a moment"));
    sl_web_add_header(req, "Retry-After", "1");
    return s_send(req);
}

static bool s_path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 256 || p[0] != '/' || strstr(p, "..") || strstr(p, "//") || strchr(p, '\\'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) p[i] <= 0x20 || (unsigned char) p[i] >= 0x7f || p[i] == '%')
            return false;
    return true;
}

/* A loopback server answers only to its own names: a page on another site
 * whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing. */
static bool s_host_ok(sl_web_req_t *req)
{
    if (!req->web->loopback)
        return true;
    const char *h = sl_web_header(req, "Host");
    if (!h)
        return false;
    char want[100];
    const char *names[] = { "127.0.0.1", "localhost", "[::1]", req->web->host };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(want, sizeof want, "%s:%d", names[i], req->web->port);
        if (strcmp(h, want) == 0)
            return true;
    }
    return false;
}

/* A POST from a page of another origin is refused even before its token is
 * looked at (browsers send Origin with every POST). */
static bool s_origin_ok(sl_web_req_t *req)
{
    const char *origin = sl_web_header(req, "Origin"), *host = sl_web_header(req, "Host");
    if (!origin)
        return true;
    char want[300];
    snprintf(want, sizeof want, "http://%s", host ? host : "");
    return strcmp(origin, want) == 0;
}

static void s_serve_asset(sl_web_req_t *req)
{
    const char *p = req->path;
    if (strcmp(p, "/static/app.css") == 0) {
        sl_web_content_type(req, "text/css; charset=utf-8");
        fputs(sl_web_asset_css, req->out);
    } else if (strcmp(p, "/static/app.js") == 0) {
        sl_web_content_type(req, "text/javascript; charset=utf-8");
        fputs(sl_web_asset_js, req->out);
    } else if (strcmp(p, "/static/icon.svg") == 0 || strcmp(p, "/favicon.ico") == 0) {
        sl_web_content_type(req, "image/svg+xml");
        fputs(sl_web_asset_icon, req->out);
    } else {
        sl_web_error_page(req, 404, SL_D("没有这个页面", "Not found"),
                          SL_D("没有这个文件", "no such asset"));
    }
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    (void) version;
    sl_web_t *w = cls;
    sl_web_req_t *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        req->web = w;
        req->conn = conn;
        req->method = method;
        req->path = url;
        req->status = 200;
        snprintf(req->ctype, sizeof req->ctype, "text/html; charset=utf-8");
        req->out = open_memstream(&req->page, &req->page_len);
        if (!req->out)
            return MHD_NO;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        snprintf(req->ip, sizeof req->ip, "?");
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, req->ip,
                      sizeof req->ip);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, req->ip,
                      sizeof req->ip);
        if (!s_rate_take(w, req->ip) && s_rate(w, req->ip)->refused % 100 != 1)
            return s_refuse_quietly(req);
        if (s_rate(w, req->ip)->refused)
            return s_refuse(req, 429, SL_D("这个地址的请求太频繁，请稍后再试", "too many requests from "
                            "this address; try again in a moment"));
        if (!s_host_ok(req))
            return s_refuse(req, 400, SL_D("Host 头不是本服务器的地址", "the Host header does not "
                            "name this server"));
        req->post = strcmp(method, "POST") == 0;
        if (!req->post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return s_refuse(req, 405, SL_D("只接受 GET 和 POST", "only GET and POST are served"));
        if (!s_path_ok(url))
            return s_refuse(req, 404, SL_D("路径不合法", "this path is not served (only the pages "
                            "of this program; no file is ever served from disk)"));
        size_t max = w->opts.max_body ? w->opts.max_body : SL_WEB_MAX_BODY;
        const char *cl = sl_web_header(req, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > max) {
            char why[300];
            sl_df(why, sizeof why, "请求有 %.40s 字节，上限 %zu 字节",
                  "the request has %.40s bytes, the limit is %zu", cl, max);
            return s_refuse(req, 413, why);
        }
        if (req->post) {
            req->pp = MHD_create_post_processor(conn, 65536, s_post_iter, req);
            bool body = (cl && strcmp(cl, "0") != 0) || sl_web_header(req, "Transfer-Encoding");
            if (!req->pp && body)
                return s_refuse(req, 400, SL_D("表单编码不对", "a form must be sent as "
                                "application/x-www-form-urlencoded or multipart/form-data"));
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t max = w->opts.max_body ? w->opts.max_body : SL_WEB_MAX_BODY;
        req->body_bytes += *upload_data_size;
        if (req->body_bytes > max) {
            char said[400];
            sl_df(said, sizeof said, "%s %.200s 被拒绝：正文超过 %zu 字节（没有 Content-Length）",
                  "%s %.200s refused: body over %zu bytes (no Content-Length)", method, url, max);
            sl_info("web: %s %s", req->ip, said);
            return MHD_NO;      /* closes the connection: nothing more is read */
        }
        if (req->pp && !req->form_bad
            && MHD_post_process(req->pp, upload_data, *upload_data_size) != MHD_YES)
            req->form_bad = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The whole request is in. */
    if (req->form_bad)
        return s_refuse(req, 400, SL_D("表单无法读取（字段太多或格式不对）", "the form could not "
                        "be read (too many fields, or malformed)"));
    for (size_t i = 0; i < req->nfields; i++) {
        field_t *f = &req->fields[i];
        if (!s_text_ok(f->name, strlen(f->name)) || strlen(f->name) > 64
            || (f->filename && !s_text_ok(f->filename, strlen(f->filename)))
            || (!f->filename && !s_text_ok(f->value, f->len)))
            return s_refuse(req, 400, SL_D("表单字段不是有效的文字（UTF-8，无控制字符）", "a form "
                            "field is not valid text (UTF-8 without control characters)"));
    }
    if (strncmp(url, "/static/", 8) == 0 || strcmp(url, "/favicon.ico") == 0) {
        s_serve_asset(req);
        return s_send(req);
    }
    if (req->post && !s_origin_ok(req))
        return s_refuse(req, 403, SL_D("表单来自别的网站", "the form came from another site (Origin)"));
    s_session(req);
    w->opts.handle(w->opts.ctx, req);
    return s_send(req);
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    char line[400];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    sl_info("web: %s", line);
}

sl_web_t *sl_web_start(const sl_web_opts_t *opts, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "%s", SL_T("libsodium 无法启动", "libsodium failed to start"));
        return NULL;
    }
    sl_web_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "%s", SL_T("内存不足", "out of memory"));
        return NULL;
    }
    w->opts = *opts;
    if (sl_web_parse_listen(opts->listen, w->host, sizeof w->host, &w->port, &w->loopback, err,
                            errlen)) {
        free(w);
        return NULL;
    }
    struct sockaddr_in a4 = { 0 };
    struct sockaddr_in6 a6 = { 0 };
    struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, w->host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t) w->port);
        sa = (struct sockaddr *) &a4;
    } else {
        inet_pton(AF_INET6, w->host, &a6.sin6_addr);
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t) w->port);
        sa = (struct sockaddr *) &a6;
        flags |= MHD_USE_IPv6;
    }
    w->daemon = MHD_start_daemon(flags, (uint16_t) w->port, NULL, NULL, s_access, w,
                                 MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, w,   /* first: see its doc */
                                 MHD_OPTION_SOCK_ADDR, sa,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned) SL_WEB_MAX_CONNECTIONS,
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) SL_WEB_MAX_PER_IP,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) SL_WEB_TIMEOUT_S,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 131072,
                                 MHD_OPTION_NOTIFY_COMPLETED, s_completed, w,
                                 MHD_OPTION_END);
    if (!w->daemon) {
        sl_tf(err, errlen, "无法在 %s 上监听%.0s", "cannot listen on %s (%s; is another program "
              "using the port?)", opts->listen, errno ? strerror(errno) : "refused");
        free(w);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (di && di->port)
        w->port = di->port;
    return w;
}

int sl_web_port(sl_web_t *self) { return self->port; }
bool sl_web_loopback(sl_web_t *self) { return self->loopback; }

void sl_web_stop(sl_web_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sl_web_t *w = *self_p;
    MHD_stop_daemon(w->daemon);
    sodium_memzero(w->sessions, sizeof w->sessions);
    free(w);
    *self_p = NULL;
}

int sl_web_verb_listen(const char *prog, size_t npos, char **pos, const char *listen, char *host,
                       size_t hostcap, int *port, bool *loopback)
{
    if (npos) {
        sl_cli_err(prog, "多余的词 \"%s\"（见 %s --help）", "unknown word \"%s\" (see %s --help)",
                   pos[0], prog);
        return SL_EXIT_USAGE;
    }
    char err[600];
    if (sl_web_parse_listen(listen, host, hostcap, port, loopback, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return SL_EXIT_USAGE;
    }
    return 0;
}
