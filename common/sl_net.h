/* sl_net.h: every ZeroMQ socket of the system is made here.
 *
 * One function per role, so socket options (frame size limit, heartbeats,
 * reconnect backoff, linger, router-mandatory) are set in one place, and
 * CurveZMQ security (issue 3) slots in here and nowhere else. */
#ifndef SL_NET_H
#define SL_NET_H
#include <czmq.h>
#include "sl_keys.h"

/* A client's CurveZMQ settings: the server's public key and our key pair. */
typedef struct {
    const char *server_public;
    const sl_keypair_t *keys;
} sl_net_curve_t;

/* The server's ROUTER, bound to `endpoint`.  With `keys`, CurveZMQ server
 * with ZAP enforced: the caller must have bound its ZAP handler first.
 * NULL `keys` makes a plaintext socket (benchmarks and tests only).  NULL on
 * failure with a sentence in err. */
zsock_t *sl_net_server_socket(const char *endpoint, const sl_keypair_t *keys,
                              char *err, size_t errlen);
/* A client DEALER (site or admin), connecting to `endpoint` without waiting
 * for the server.  NULL `curve` makes a plaintext socket.
 *
 * With `monitor` non-NULL, *monitor becomes a PAIR socket that receives the
 * connection events in `events` (ZMQ_EVENT_* bits), attached BEFORE the
 * connect: on loopback the handshake can finish before zmq_connect returns,
 * and an event emitted before the monitor exists is lost for good
 * (shared/PITFALLS.md; 0.3-0.6 % of connects on a busy machine in 0.2.0). */
zsock_t *sl_net_client_socket(const char *endpoint, const sl_net_curve_t *curve,
                              int events, zsock_t **monitor, char *err, size_t errlen);
/* Reads one pending monitor event without blocking: its ZMQ_EVENT_* id, or
 * 0 when none is waiting.  `value` (may be NULL) gets the event's value
 * (for HANDSHAKE_FAILED_AUTH, the ZAP status: 300 busy, 400 refused). */
int sl_net_monitor_event(zsock_t *monitor, int *value);
/* Stops the monitor and closes both sockets (either may be NULL). */
void sl_net_client_close(zsock_t **sock_p, zsock_t **monitor_p);

/* Sends one frame without blocking.  Returns 0, or -1 (errno EAGAIN when the
 * peer's queue is full or no peer is connected, EHOSTUNREACH when a ROUTER
 * peer is gone). */
int sl_net_send(zsock_t *sock, const void *routing_id, size_t id_len,
                const void *data, size_t len);

/* Descriptors this process has open now (/proc/self/fd), or -1 when they
 * cannot be counted (no descriptor left to count them with). */
long sl_net_open_fds(void);
/* The same, counted at most every `max_age_ms` (reading /proc/self/fd
 * costs a directory walk: once per new connection it made 1,000 connections
 * cost a million directory entries).  Between counts, the last count plus
 * the descriptors declared with sl_net_fds_added since: an upper bound, as
 * closed descriptors are only seen at the next count.  One thread only. */
long sl_net_open_fds_recent(int64_t max_age_ms);
void sl_net_fds_added(long n);

#define SL_HEARTBEAT_MS 2000

/* The ZAP status a server gives when it has no descriptor to spare for
 * another connection (RFC 27: 300 = temporary error). */
#define SL_ZAP_BUSY 300

#endif
