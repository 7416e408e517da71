/* test_net.c: the connect path of sl_net.c, run thousands of times on a busy
 * machine.
 *
 * 0.2.0 attached the connection monitor after zmq_connect; on loopback the
 * handshake sometimes finished first, its HANDSHAKE_SUCCEEDED event was lost,
 * and the site never sent HELLO (0.3-0.6 % of syncs on a busy machine).  Here
 * each connect must report its handshake on the monitor, plaintext and
 * CurveZMQ, while busy loops keep every core occupied.
 *
 *   SL_NET_CONNECTS (default 2000) plaintext connects, a quarter as many with
 *   CurveZMQ. */
#include "sl_check.h"
#include "sl_keys.h"
#include "sl_net.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Waits up to 10 s for the handshake of one new connection; returns the
 * event seen (HANDSHAKE_SUCCEEDED, a failure) or 0 after the deadline. */
static int s_handshake(const char *endpoint, const sl_net_curve_t *curve)
{
    char err[300];
    zsock_t *mon = NULL;
    zsock_t *sock = sl_net_client_socket(endpoint, curve,
                                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                         | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &mon,
                                         err, sizeof err);
    if (!sock) {
        printf("# %s\n", err);
        return -1;
    }
    int seen = 0;
    int64_t deadline = zclock_mono() + 10000;
    while (!seen && zclock_mono() < deadline) {
        zmq_pollitem_t item = { zsock_resolve(mon), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&item, 1, 100) > 0)
            seen = sl_net_monitor_event(mon, NULL);
    }
    sl_net_client_close(&sock, &mon);
    return seen;
}

static int s_run(const char *endpoint, const sl_net_curve_t *curve, int n, const char *what)
{
    int ok = 0, lost = 0, other = 0;
    int64_t t0 = zclock_mono();
    for (int i = 0; i < n; i++) {
        int ev = s_handshake(endpoint, curve);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            ok++;
        else if (ev == 0)
            lost++;
        else
            other++;
    }
    printf("# %s: %d connects in %lld ms: %d handshakes seen, %d lost, %d failed\n", what, n,
           (long long) (zclock_mono() - t0), ok, lost, other);
    s_check(ok == n, "%s: every one of %d connects reports its handshake (lost %d, failed %d)",
            what, n, lost, other);
    return ok == n ? 0 : -1;
}

int main(void)
{
    zsys_init();
    zsys_set_logstream(NULL);
    const char *env = getenv("SL_NET_CONNECTS");
    int n = env ? atoi(env) : 2000;
    if (n < 1)
        n = 2000;
    /* A busy loop on every core, as on the shared CI machine. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pid_t busy[64];
    int nbusy = 0;
    for (long c = 0; c < cores && c < 64; c++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(600);         /* never outlive a crashed test */
            for (volatile unsigned long x = 0;; x++)
                ;
        }
        if (pid > 0)
            busy[nbusy++] = pid;
    }
    printf("# %d busy loops beside the test\n", nbusy);

    char err[300];
    zsock_t *server = sl_net_server_socket("tcp://127.0.0.1:*", NULL, err, sizeof err);
    s_check(server != NULL, "plaintext server socket: %s", server ? "bound" : err);
    if (server) {
        char *ep = zsock_last_endpoint(server);
        s_run(ep, NULL, n, "plaintext");
        zstr_free(&ep);
        zsock_destroy(&server);
    }

    /* CurveZMQ: the server enforces ZAP; zauth answers it for any key. */
    zactor_t *auth = zactor_new(zauth, NULL);
    zstr_sendx(auth, "CURVE", CURVE_ALLOW_ANY, NULL);
    zsock_wait(auth);
    sl_keypair_t skeys, ckeys;
    s_check(sl_keypair_new(&skeys) == 0 && sl_keypair_new(&ckeys) == 0, "key pairs");
    server = sl_net_server_socket("tcp://127.0.0.1:*", &skeys, err, sizeof err);
    s_check(server != NULL, "CurveZMQ server socket: %s", server ? "bound" : err);
    if (server) {
        char *ep = zsock_last_endpoint(server);
        sl_net_curve_t curve = { .server_public = skeys.public_z85, .keys = &ckeys };
        s_run(ep, &curve, n / 4 > 0 ? n / 4 : 1, "CurveZMQ");
        zstr_free(&ep);
        zsock_destroy(&server);
    }
    zactor_destroy(&auth);

    for (int i = 0; i < nbusy; i++) {
        kill(busy[i], SIGKILL);
        waitpid(busy[i], NULL, 0);
    }
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
