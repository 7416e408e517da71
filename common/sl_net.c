/* sl_net.c: socket creation and frame sending. */
#include "sl_net.h"
#include "sl_lang.h"
#include "sl_limits.h"
#include <dirent.h>
#include <errno.h>
#include <string.h>

static void s_common(void *raw)
{
    int linger = 0, ivl = 100, ivl_max = 5000;
    int hb = SL_HEARTBEAT_MS, hb_timeout = 3 * SL_HEARTBEAT_MS;
    int64_t maxmsg = SL_MAX_FRAME_BYTES;
    zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(raw, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(raw, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(raw, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    zmq_setsockopt(raw, ZMQ_HEARTBEAT_TTL, &hb_timeout, sizeof hb_timeout);
    zmq_setsockopt(raw, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(raw, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
}

zsock_t *sl_net_server_socket(const char *endpoint, const sl_keypair_t *keys,
                              char *err, size_t errlen)
{
    zsock_t *sock = zsock_new(ZMQ_ROUTER);
    if (!sock) {
        sl_tf(err, errlen, "无法创建套接字：%s", "cannot create socket: %s", zmq_strerror(errno));
        return NULL;
    }
    void *raw = zsock_resolve(sock);
    s_common(raw);
    /* High-water marks count messages, not bytes (PITFALLS): with replies
     * of at most SL_MAX_REPLY_BYTES, SNDHWM bounds what a peer that does not
     * read can cost; a send past it fails (ROUTER_MANDATORY) and the engine
     * drops that peer's session instead of queueing more. */
    int one = 1, sndhwm = SL_SERVER_SNDHWM, rcvhwm = SL_SERVER_RCVHWM;
    zmq_setsockopt(raw, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(raw, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    zmq_setsockopt(raw, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    if (keys) {
        /* ZAP_ENFORCE_DOMAIN (93) by its number: Debian's czmq setter for it
         * is a no-op (shared/PITFALLS.md).  With it, no handler = refusal. */
        int enforce = 1;
        if (zmq_setsockopt(raw, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
            || zmq_setsockopt(raw, ZMQ_CURVE_SECRETKEY, keys->secret_z85, 40) != 0
            || zmq_setsockopt(raw, ZMQ_ZAP_DOMAIN, "shuanglian", 10) != 0
            || zmq_setsockopt(raw, 93, &enforce, sizeof enforce) != 0) {
            sl_tf(err, errlen, "无法启用 CurveZMQ：%s", "cannot enable CurveZMQ: %s", zmq_strerror(errno));
            zsock_destroy(&sock);
            return NULL;
        }
    } else {
        /* Plaintext (--insecure) still asks the ZAP handler, which accepts
         * anyone but refuses connections past the descriptor limit. */
        zmq_setsockopt(raw, ZMQ_ZAP_DOMAIN, "shuanglian", 10);
    }
    if (zmq_bind(raw, endpoint) != 0) {
        sl_tf(err, errlen, "无法在 %s 上监听：%s", "cannot listen on %s: %s", endpoint, zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

/* Attaches a monitor PAIR to `sock` (before any connect).  0 or -1. */
static int s_monitor(zsock_t *sock, int events, zsock_t **monitor, char *err, size_t errlen)
{
    static int counter;         /* inproc names must be unique per process */
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://sl-monitor-%d-%p", __atomic_add_fetch(&counter, 1,
             __ATOMIC_RELAXED), (void *) sock);
    if (zmq_socket_monitor(zsock_resolve(sock), ep, events) != 0) {
        sl_tf(err, errlen, "无法监视连接：%s", "cannot watch the connection: %s", zmq_strerror(errno));
        return -1;
    }
    *monitor = zsock_new(ZMQ_PAIR);
    if (!*monitor || zmq_connect(zsock_resolve(*monitor), ep) != 0) {
        sl_tf(err, errlen, "无法监视连接：%s", "cannot watch the connection: %s", zmq_strerror(errno));
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
        zsock_destroy(monitor);
        return -1;
    }
    return 0;
}

int sl_net_monitor_event(zsock_t *monitor, int *value)
{
    void *raw = zsock_resolve(monitor);
    zmq_msg_t ev;
    zmq_msg_init(&ev);
    if (zmq_msg_recv(&ev, raw, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        return 0;
    }
    uint16_t id = 0;
    uint32_t v = 0;
    if (zmq_msg_size(&ev) >= sizeof id + sizeof v) {
        memcpy(&id, zmq_msg_data(&ev), sizeof id);
        memcpy(&v, (uint8_t *) zmq_msg_data(&ev) + sizeof id, sizeof v);
    }
    if (value)
        *value = (int) v;
    while (zmq_msg_more(&ev)) {     /* second frame: the endpoint */
        zmq_msg_close(&ev);
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, raw, 0) < 0)
            break;
    }
    zmq_msg_close(&ev);
    return id;
}

void sl_net_client_close(zsock_t **sock_p, zsock_t **monitor_p)
{
    if (monitor_p && *monitor_p && sock_p && *sock_p)
        zmq_socket_monitor(zsock_resolve(*sock_p), NULL, 0);
    if (sock_p)
        zsock_destroy(sock_p);
    if (monitor_p)
        zsock_destroy(monitor_p);
}

zsock_t *sl_net_client_socket(const char *endpoint, const sl_net_curve_t *curve,
                              int events, zsock_t **monitor, char *err, size_t errlen)
{
    if (monitor)
        *monitor = NULL;
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        sl_tf(err, errlen, "无法创建套接字：%s", "cannot create socket: %s", zmq_strerror(errno));
        return NULL;
    }
    void *raw = zsock_resolve(sock);
    s_common(raw);
    int one = 1;
    /* Queue nothing for a server that is not connected: all unsent work
     * lives in the site database, and a send that would queue fails. */
    zmq_setsockopt(raw, ZMQ_IMMEDIATE, &one, sizeof one);
    if (curve && (zmq_setsockopt(raw, ZMQ_CURVE_SERVERKEY, curve->server_public, 40) != 0
                  || zmq_setsockopt(raw, ZMQ_CURVE_PUBLICKEY, curve->keys->public_z85, 40) != 0
                  || zmq_setsockopt(raw, ZMQ_CURVE_SECRETKEY, curve->keys->secret_z85, 40) != 0)) {
        sl_tf(err, errlen, "无法启用 CurveZMQ：%s", "cannot enable CurveZMQ: %s", zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    if (monitor && s_monitor(sock, events, monitor, err, errlen) != 0) {
        zsock_destroy(&sock);
        return NULL;
    }
    if (zmq_connect(raw, endpoint) != 0) {
        sl_tf(err, errlen, "无法连接 %s：%s", "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        sl_net_client_close(&sock, monitor);
        return NULL;
    }
    return sock;
}

int sl_net_send(zsock_t *sock, const void *routing_id, size_t id_len,
                const void *data, size_t len)
{
    void *raw = zsock_resolve(sock);
    if (routing_id && zmq_send(raw, routing_id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send(raw, data, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

long sl_net_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3;               /* ".", ".." and the directory's own descriptor */
}

static long s_fds_counted = -1, s_fds_added;
static int64_t s_fds_counted_ms;

long sl_net_open_fds_recent(int64_t max_age_ms)
{
    int64_t now = zclock_mono();
    if (s_fds_counted < 0 || now - s_fds_counted_ms >= max_age_ms) {
        s_fds_counted = sl_net_open_fds();
        s_fds_counted_ms = now;
        s_fds_added = 0;
        return s_fds_counted;
    }
    return s_fds_counted + s_fds_added;
}

void sl_net_fds_added(long n) { s_fds_added += n; }
