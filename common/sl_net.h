/* sl_net.h: every ZeroMQ socket of the system is made here.
 *
 * One function per role, so socket options (frame size limit, heartbeats,
 * reconnect backoff, linger, router-mandatory) are set in one place, and
 * CurveZMQ security (issue 3) slots in here and nowhere else. */
#ifndef SL_NET_H
#define SL_NET_H
#include <czmq.h>

/* The server's ROUTER, bound to `endpoint`.  NULL with a sentence in err. */
zsock_t *sl_net_server_socket(const char *endpoint, char *err, size_t errlen);
/* A site's DEALER, connecting to `endpoint` (does not wait for the server). */
zsock_t *sl_net_site_socket(const char *endpoint, char *err, size_t errlen);

/* Sends one frame without blocking.  Returns 0, or -1 (errno EAGAIN when the
 * peer's queue is full or no peer is connected, EHOSTUNREACH when a ROUTER
 * peer is gone). */
int sl_net_send(zsock_t *sock, const void *routing_id, size_t id_len,
                const void *data, size_t len);

#define SL_HEARTBEAT_MS 2000

#endif
