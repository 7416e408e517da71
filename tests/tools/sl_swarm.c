/* sl-swarm: many sites syncing at once, from one process.
 *
 *   sl-swarm --endpoint EP --sites S --records M [--prefix P] [--timeout SECS]
 *   sl-swarm --endpoint EP --keys FILE --server-public Z85 --records M [--timeout SECS]
 *   sl-swarm keygen --sites S [--prefix P]
 *
 * Opens one DEALER connection per site, each a well-behaved site: HELLO,
 * then its records (problem reports made here, hash-chained like a site's)
 * in batches under the server's credit, until the server has acknowledged
 * M of them; then it closes its connection.  A connection the server
 * refuses (busy: too many connections) is retried by libzmq's own
 * reconnection, with backoff; a HELLO without an answer is repeated.
 *
 * Without --keys the sites P.0001 … P.S are plaintext (a server run with
 * --insecure: no enrollment needed).  With --keys, each line of FILE is
 * "site<TAB>public<TAB>secret" (as `keygen` prints them) and the sites speak
 * CurveZMQ with those keys to the server whose public key is given: the
 * caller registers the public keys with the server first, as enrollment
 * would (bench/many_sites.sh).
 *
 * A site's records are the same in every run (ids, clocks and hashes derive
 * from the site id and the record number), so a later run with a higher M
 * continues where the server stands: the server's WELCOME says how many it
 * holds, and the site sends the rest (a "next sync").
 *
 * Prints one line at the end:
 *   SWARM sites=S records=M level=L ms=T hellos=H restarts=R slowest_ms=W
 * (restarts: HELLOs beyond the first of each site; slowest_ms: when the last
 * site was level) and exits 0 when all S sites are level with the server
 * within the timeout, 1 otherwise.  For integration tests (many concurrent
 * connections under a low descriptor limit) and benchmarks. */
#include "sl_event.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_keys.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "sl_net.h"
#include "sl_schema.h"
#include <czmq.h>
#include <sodium.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    char id[SL_MAX_NAME_BYTES + 1];
    zsock_t *sock;
    uint64_t sess;
    bool welcomed, done;
    bool hello_unsent;                      /* no connection yet: retry each turn */
    int64_t last_recv_ms;                   /* the last reply of this session */
    int64_t hello_ms;
    uint32_t credit, max_batch;
    uint64_t acked, next_send, inflight;    /* inflight: batches awaiting ACK */
    uint64_t base_hlc;
    uint64_t made;                          /* events made so far (hashes known) */
    uint8_t *hashes;                        /* hash of each event made, [seq] */
    sl_keypair_t keys;                      /* with --keys */
    int64_t level_ms;                       /* when the server had all M */
} site_t;

#define SWARM_TYPE "problem_report"
static msgpack_sbuffer s_payload;
static bool s_abort;            /* a site found the server not fresh */

/* The payload of this swarm's records: one problem report (a type that
 * names no reference data, so a fresh server takes it).  Built through the
 * schema table, like an entry at a site. */
static int s_make_payload(void)
{
    const char *names[] = { "reporter_kind", "summary", "location", "on" };
    const char *values[] = { "grid_worker", "群集站点上报的问题", "3号楼", "2025-06-01" };
    char err[600];
    msgpack_sbuffer_init(&s_payload);
    if (sl_schema_build(sl_schema_find(SWARM_TYPE, strlen(SWARM_TYPE)), 4, names, values,
                        &s_payload, NULL, err, sizeof err, NULL)) {
        fprintf(stderr, "sl-swarm: cannot build a record: %s\n", err);
        return -1;
    }
    return 0;
}

static int s_send(site_t *s, msgpack_sbuffer *out)
{
    return sl_net_send(s->sock, NULL, 0, out->data, out->size);
}

/* Sends the session's HELLO; false when there is no connection yet. */
static bool s_send_hello(site_t *s, msgpack_sbuffer *out)
{
    sl_msg_t h = { .type = SL_HELLO, .sess = s->sess, .site = s->id, .site_len = strlen(s->id),
                   .agent = "sl-swarm", .agent_len = 8 };
    if (s->acked)
        memcpy(h.last_hash, s->hashes + s->acked * SL_HASH_BYTES, SL_HASH_BYTES);
    h.last_seq = s->acked;      /* what the server has of us is all we "hold" again */
    sl_msg_encode(&h, out);
    return s_send(s, out) == 0;
}

static void s_hello(site_t *s, msgpack_sbuffer *out)
{
    s->sess++;
    s->welcomed = false;
    s->inflight = 0;
    s->hello_ms = zclock_mono();
    s->hello_unsent = !s_send_hello(s, out);    /* EAGAIN until connected: repeated below */
}

/* Event q of site s, the same every time it is made (a resend after a lost
 * connection must be the same event, or the server sees a fork). */
static void s_event(site_t *s, uint64_t q, sl_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = q;
    ev->type = SWARM_TYPE;
    ev->type_len = strlen(SWARM_TYPE);
    ev->payload = (const uint8_t *) s_payload.data;
    ev->payload_len = s_payload.size;
    ev->hlc = s->base_hlc + q;
    ev->wall_ms = (int64_t) (s->base_hlc >> 16);
    uint8_t seed[SL_MAX_NAME_BYTES + 8];
    size_t len = strlen(s->id);
    memcpy(seed, s->id, len);
    memcpy(seed + len, &q, sizeof q);
    crypto_generichash(ev->id, SL_ID_BYTES, seed, len + sizeof q, NULL, 0);
    memcpy(ev->id, &ev->hlc, 6);        /* mostly ordered, as site ids are */
    memcpy(ev->prev, s->hashes + (q - 1) * SL_HASH_BYTES, SL_HASH_BYTES);
    sl_event_hash(ev, s->id, len, ev->hash);
    memcpy(s->hashes + q * SL_HASH_BYTES, ev->hash, SL_HASH_BYTES);
}

/* Makes (hashes) the events up to q: a site that resumes from what the
 * server holds needs the hash of its last event. */
static void s_make_upto(site_t *s, uint64_t q)
{
    for (; s->made < q; ) {
        sl_event_t ev;
        s_event(s, s->made + 1, &ev);
        s->made++;
    }
}

/* Sends batches while credit allows. */
static void s_pump(site_t *s, uint64_t records, msgpack_sbuffer *out)
{
    while (s->welcomed && s->inflight < s->credit && s->next_send <= records) {
        uint64_t from = s->next_send, to = from + s->max_batch - 1;
        if (to > records)
            to = records;
        sl_msg_encode_events_begin(out, SL_BATCH, s->sess, 0, (size_t) (to - from + 1));
        for (uint64_t q = from; q <= to; q++) {
            sl_event_t ev;
            s_event(s, q, &ev);
            if (q > s->made)
                s->made = q;
            sl_msg_encode_event(out, &ev);
        }
        if (s_send(s, out) != 0)
            return;
        s->next_send = to + 1;
        s->inflight++;
    }
}

static void s_on_reply(site_t *s, const sl_msg_t *m, uint64_t records, msgpack_sbuffer *out)
{
    if (m->sess != s->sess)
        return;
    s->last_recv_ms = zclock_mono();
    if (m->type == SL_WELCOME) {
        if (m->server_seq > records) {
            fprintf(stderr, "sl-swarm: site %s: the server holds %llu records, more than this "
                    "run's %llu (use a fresh server, another --prefix or a higher --records)\n",
                    s->id, (unsigned long long) m->server_seq, (unsigned long long) records);
            s_abort = true;
            return;
        }
        /* Ours, made the same way by an earlier run: continue after them
         * (a different history would be refused as a fork at the first
         * batch, and counted as a failure). */
        s_make_upto(s, m->server_seq);
        s->welcomed = true;
        s->acked = m->server_seq;
        s->credit = m->credit ? m->credit : 1;
        s->max_batch = m->max_batch ? m->max_batch : 100;
        s->next_send = s->acked + 1;    /* resent the same, as a site does */
    } else if (m->type == SL_ACK) {
        if (m->acked > s->acked)
            s->acked = m->acked;
        if (s->inflight)
            s->inflight--;
    } else if (m->type == SL_ERROR) {
        s_hello(s, out);
        return;
    }
    if (s->acked >= records) {
        s->done = true;
        s->level_ms = zclock_mono();
        zsock_destroy(&s->sock);    /* frees the server's descriptor at once */
        return;
    }
    s_pump(s, records, out);
}

/* keygen: S key pairs, one line each: site, public, secret. */
static int s_keygen(long sites, const char *prefix)
{
    for (long i = 0; i < sites; i++) {
        sl_keypair_t kp;
        if (sl_keypair_new(&kp))
            return 1;
        printf("%s.%04ld\t%s\t%s\n", prefix, i + 1, kp.public_z85, kp.secret_z85);
    }
    return fflush(stdout) ? 1 : 0;
}

/* Reads --keys FILE into *all (allocated); returns the count, -1 on error. */
static long s_read_keys(const char *path, site_t **all)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sl-swarm: cannot read %s\n", path);
        return -1;
    }
    long n = 0, cap = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char id[SL_MAX_NAME_BYTES + 1], pub[SL_Z85_KEY], sec[SL_Z85_KEY];
        if (sscanf(line, "%64[^\t]\t%40[^\t]\t%40s", id, pub, sec) != 3 || !sl_key_valid(pub)
            || !sl_key_valid(sec)) {
            fprintf(stderr, "sl-swarm: %s line %ld is not site<TAB>public<TAB>secret\n", path,
                    n + 1);
            fclose(f);
            return -1;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            site_t *more = realloc(*all, (size_t) cap * sizeof **all);
            if (!more) {
                fclose(f);
                return -1;
            }
            *all = more;
        }
        memset(&(*all)[n], 0, sizeof **all);
        snprintf((*all)[n].id, sizeof (*all)[n].id, "%s", id);
        snprintf((*all)[n].keys.public_z85, sizeof (*all)[n].keys.public_z85, "%s", pub);
        snprintf((*all)[n].keys.secret_z85, sizeof (*all)[n].keys.secret_z85, "%s", sec);
        n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *prefix = "swarm", *keys = NULL, *server_public = NULL;
    long sites = 0, records = 0, timeout = 300;
    bool keygen = argc > 1 && !strcmp(argv[1], "keygen");
    for (int i = keygen ? 2 : 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--endpoint"))
            endpoint = argv[i + 1];
        else if (!strcmp(argv[i], "--sites"))
            sites = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--records"))
            records = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--prefix"))
            prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--timeout"))
            timeout = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--keys"))
            keys = argv[i + 1];
        else if (!strcmp(argv[i], "--server-public"))
            server_public = argv[i + 1];
    }
    if (keygen) {
        if (sites < 1 || sites > 100000 || strlen(prefix) > 40) {
            fprintf(stderr, "usage: sl-swarm keygen --sites S [--prefix P]\n");
            return 64;
        }
        return s_keygen(sites, prefix);
    }
    site_t *all = NULL;
    if (keys && (sites = s_read_keys(keys, &all)) < 0)
        return 64;
    if (!endpoint || sites < 1 || sites > 100000 || records < 1 || records > 10000000
        || timeout < 1 || strlen(prefix) > 40 || (keys && !server_public)
        || (server_public && !sl_key_valid(server_public))) {
        fprintf(stderr, "usage: sl-swarm --endpoint EP (--sites S [--prefix P] | --keys FILE "
                        "--server-public Z85) --records M [--timeout SECS]\n"
                        "       sl-swarm keygen --sites S [--prefix P]\n");
        return 64;
    }
    sl_log_set_name("sl-swarm");
    sl_log_set_level(SL_LOG_WARN);
    /* One descriptor per connection, and libzmq's socket limit too. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    zsys_set_max_sockets((size_t) sites + 64);
    zsys_init();
    if (s_make_payload())
        return 1;
    if (!all)
        all = calloc((size_t) sites, sizeof *all);
    zmq_pollitem_t *items = calloc((size_t) sites, sizeof *items);
    size_t *index = calloc((size_t) sites, sizeof *index);
    if (!all || !items || !index)
        return 1;
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    char err[300];
    for (long i = 0; i < sites; i++) {
        site_t *s = &all[i];
        if (!keys)
            snprintf(s->id, sizeof s->id, "%s.%04ld", prefix, i + 1);
        s->hashes = calloc((size_t) records + 1, SL_HASH_BYTES);
        s->sess = (uint64_t) sl_now_ms() * 1000;
        /* The same clock stamps in every run (2025-01-01 plus the record
         * number): a later run remakes the same events. */
        s->base_hlc = sl_hlc_next(0, 1735689600000);
        s->next_send = 1;
        sl_net_curve_t curve = { server_public, &s->keys };
        s->sock = sl_net_client_socket(endpoint, keys ? &curve : NULL, 0, NULL, err, sizeof err);
        if (!s->hashes || !s->sock) {
            fprintf(stderr, "sl-swarm: site %ld: %s\n", i + 1, s->hashes ? err : "out of memory");
            return 1;
        }
    }
    int64_t t0 = zclock_mono(), deadline = t0 + timeout * 1000;
    long hellos = 0, level = 0;
    for (long i = 0; i < sites; i++) {
        s_hello(&all[i], &out);
        hellos++;
    }
    sl_msg_t m;
    memset(&m, 0, sizeof m);
    while (level < sites && zclock_mono() < deadline && !s_abort) {
        size_t n = 0;
        for (long i = 0; i < sites; i++)
            if (!all[i].done) {
                items[n] = (zmq_pollitem_t) { zsock_resolve(all[i].sock), 0, ZMQ_POLLIN, 0 };
                index[n++] = (size_t) i;
            }
        int rc = zmq_poll(items, (int) n, 50);
        for (size_t k = 0; rc > 0 && k < n; k++) {
            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            site_t *s = &all[index[k]];
            for (int j = 0; j < 64 && s->sock; j++) {
                zmq_msg_t frame;
                zmq_msg_init(&frame);
                if (zmq_msg_recv(&frame, zsock_resolve(s->sock), ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&frame);
                    break;
                }
                if (sl_msg_decode(&m, zmq_msg_data(&frame), zmq_msg_size(&frame), err,
                                  sizeof err) == 0)
                    s_on_reply(s, &m, (uint64_t) records, &out);
                sl_msg_reset(&m);
                zmq_msg_close(&frame);
                if (s->done)
                    level++;
            }
        }
        int64_t now = zclock_mono();
        for (long i = 0; i < sites; i++) {
            site_t *s = &all[i];
            /* As a site (client/site_sync.c s_timers): a HELLO with no
             * connection to go over is sent as soon as one exists (a busy
             * server may take seconds to accept a thousand handshakes);
             * one that went out is given 10 s for its WELCOME (a busy
             * server answers late), a stalled stream too; then HELLO
             * again, and that is a restart. */
            if (s->done)
                continue;
            if (s->hello_unsent) {
                s->hello_unsent = !s_send_hello(s, &out);
                if (!s->hello_unsent)
                    s->hello_ms = now;      /* its wait starts when it went out */
            } else if (now - (s->welcomed ? s->last_recv_ms : s->hello_ms) > 10000) {
                s_hello(s, &out);
                hellos++;
            }
        }
    }
    int64_t slowest = 0;
    for (long i = 0; i < sites; i++)
        if (all[i].done && all[i].level_ms - t0 > slowest)
            slowest = all[i].level_ms - t0;
    printf("SWARM sites=%ld records=%ld level=%ld ms=%lld hellos=%ld restarts=%ld slowest_ms=%lld\n",
           sites, records, level, (long long) (zclock_mono() - t0), hellos, hellos - sites,
           (long long) slowest);
    for (long i = 0; i < sites; i++) {
        zsock_destroy(&all[i].sock);
        free(all[i].hashes);
    }
    msgpack_sbuffer_destroy(&out);
    msgpack_sbuffer_destroy(&s_payload);
    free(all);
    free(items);
    free(index);
    return level == sites ? 0 : 1;
}
