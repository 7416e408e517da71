/* sl_net.c: socket creation and frame sending. */
#include "sl_net.h"
#include "sl_limits.h"
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

zsock_t *sl_net_server_socket(const char *endpoint, char *err, size_t errlen)
{
    zsock_t *sock = zsock_new(ZMQ_ROUTER);
    if (!sock) {
        snprintf(err, errlen, "cannot create socket: %s", zmq_strerror(errno));
        return NULL;
    }
    void *raw = zsock_resolve(sock);
    s_common(raw);
    int one = 1, hwm = 10000;
    zmq_setsockopt(raw, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(raw, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(raw, endpoint) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", endpoint, zmq_strerror(errno));
        zsock_destroy(&sock);
        return NULL;
    }
    return sock;
}

zsock_t *sl_net_site_socket(const char *endpoint, char *err, size_t errlen)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock) {
        snprintf(err, errlen, "cannot create socket: %s", zmq_strerror(errno));
        return NULL;
    }
    void *raw = zsock_resolve(sock);
    s_common(raw);
    int one = 1;
    /* Queue nothing for a server that is not connected: all unsent work
     * lives in the site database, and a send that would queue fails. */
    zmq_setsockopt(raw, ZMQ_IMMEDIATE, &one, sizeof one);
    if (zmq_connect(raw, endpoint) != 0) {
        snprintf(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        zsock_destroy(&sock);
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
