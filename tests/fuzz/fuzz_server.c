/* fuzz_server: the server's handling of messages after decoding, in-process
 * against a real central store in a temporary directory (issue 14).
 *
 * An input is a sequence of messages, each [who][length: 2 bytes BE][frame]:
 *   who & 3:  0 the site qu01.gongyuan's key, 1 an administrator's key,
 *             2 an enrollment key (for site qu01.newsite), 3 an unknown key;
 *   who & 4:  "fix-up": a BATCH's events are re-sequenced and re-hashed to
 *             continue the site's chain as the store has it, so that fuzzed
 *             records get past the chain checks into the schema, the
 *             reference checks and the fold;
 *   who >> 3: which connection (routing id) it came on.
 * The engine is the real one (server_engine_feed: decode, role checks,
 * HELLO/BATCH/FETCH/LOG_PULL/ADMIN/ENROLL/ROTATE handlers, commits); its
 * replies go to a socket with no peers.  After each input the store must
 * still verify (central_store_verify: chains, integrity check): whatever a
 * key sends, the store stays whole.  Seeds: tests/fuzz/corpus/fuzz_server/
 * (made from the protocol's test vectors by make_server_seeds.py). */
#include "central_store.h"
#include "server_auth.h"
#include "server_engine.h"
#include "sl_event.h"
#include "sl_hlc.h"
#include "sl_keys.h"
#include "sl_log.h"
#include "sl_msg.h"
#include "fuzz_dir.h"
#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SITE "qu01.gongyuan"

static server_engine_t *s_engine;
static central_store_t *s_check;        /* a second connection, to verify and read the chain */
static char s_keys[4][SL_Z85_KEY];
static sl_keypair_t s_server;
static bool s_ready;

/* The reference data the seeds name (fuzz_refs): a HELLO with cursor
 * FUZZ_NREFS (as the seeds send) has seen them all. */
static int s_publish(central_store_t *store)
{
    char err[600];
    for (size_t i = 0; i < FUZZ_NREFS; i++)
        if (central_store_log_append(store, NULL, fuzz_refs[i][0], fuzz_refs[i][1],
                                     fuzz_refs[i][2], NULL, err, sizeof err)) {
            fprintf(stderr, "fuzz_server: %s\n", err);
            return -1;
        }
    return 0;
}

/* Once: a template store with three keys and the reference data, on tmpfs
 * when there is one (commits are synced). */
static void s_setup(void)
{
    sl_log_set_level(getenv("SL_FUZZ_VERBOSE") ? SL_LOG_DEBUG : SL_LOG_ERROR);
    zsys_init();
    zsys_set_logstream(NULL);
    if (sodium_init() < 0)
        abort();
    char err[600], tpl[200];
    snprintf(tpl, sizeof tpl, "%s/template", fuzz_dir_root("fuzz-server"));
    if (central_store_init(tpl, err, sizeof err))
        abort();
    central_store_t *store = central_store_open(tpl, err, sizeof err);
    server_auth_t *auth = store ? server_auth_new(central_store_db(store), false, err, sizeof err)
                                : NULL;
    sl_keypair_t kp[3];
    for (int i = 0; i < 3; i++) {
        if (sl_keypair_new(&kp[i]))
            abort();
        snprintf(s_keys[i], sizeof s_keys[i], "%s", kp[i].public_z85);
    }
    sl_keypair_t unknown;
    sl_keypair_new(&unknown);
    snprintf(s_keys[3], sizeof s_keys[3], "%s", unknown.public_z85);
    if (!auth
        || server_auth_add(auth, SL_ROLE_SITE, s_keys[0], SITE, "c1", "active", 0)
        || server_auth_add(auth, SL_ROLE_ADMIN, s_keys[1], NULL, "fuzz", "active", 0)
        || server_auth_add(auth, SL_ROLE_ENROLL, s_keys[2], "qu01.newsite", "c1", "pending",
                           sl_now_ms() + 86400000LL * 300)
        || s_publish(store))
        abort();
    server_auth_destroy(&auth);
    central_store_destroy(&store);      /* the last connection: the WAL is folded in */
    sl_keypair_new(&s_server);
}

/* Each input starts from a copy of the template: a finding replays alone. */
static void s_fresh(void)
{
    char err[600];
    server_engine_destroy(&s_engine);
    central_store_destroy(&s_check);
    const char *run = fuzz_dir_fresh("central.db");
    server_engine_opts_t eo = { .data_dir = run, .keys = &s_server, .feed_only = true };
    s_engine = server_engine_new(&eo, err, sizeof err);
    s_check = s_engine ? central_store_open(run, err, sizeof err) : NULL;
    if (!s_engine || !s_check) {
        fprintf(stderr, "fuzz_server: %s\n", err);
        abort();
    }
}

/* Before the directory goes (atexit runs in reverse order). */
static void s_close(void)
{
    server_engine_destroy(&s_engine);
    central_store_destroy(&s_check);
}

/* Every reply the server sends must decode: whatever it was sent, it
 * answers in its own protocol. */
static void s_on_reply(void *ctx, const uint8_t *data, size_t len)
{
    (void) ctx;
    sl_msg_t m;
    char err[300];
    memset(&m, 0, sizeof m);
    if (sl_msg_decode(&m, data, len, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_server: the server sent a reply that does not decode: %s\n", err);
        abort();
    }
    if (getenv("SL_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_server: reply %s%s%.*s\n", sl_msg_type_name(m.type),
                m.type == SL_ERROR || m.type == SL_REPLY ? ": " : "",
                m.type == SL_ERROR || m.type == SL_REPLY ? (int) m.text_len : 0,
                m.text ? m.text : "");
    sl_msg_reset(&m);
}

/* Re-sequences and re-hashes a BATCH to continue the site's chain. */
static bool s_fixup(const uint8_t *frame, size_t len, msgpack_sbuffer *out)
{
    sl_msg_t m;
    char err[300];
    memset(&m, 0, sizeof m);
    if (sl_msg_decode(&m, frame, len, err, sizeof err) || m.type != SL_BATCH) {
        sl_msg_reset(&m);
        return false;
    }
    central_site_t site;
    if (central_store_site(s_check, SITE, &site)) {
        sl_msg_reset(&m);
        return false;
    }
    uint8_t prev[SL_HASH_BYTES];
    memcpy(prev, site.last_hash, SL_HASH_BYTES);
    for (size_t i = 0; i < m.nevents; i++) {
        sl_event_t *ev = &m.events[i];
        ev->seq = site.last_seq + 1 + i;
        memcpy(ev->prev, prev, SL_HASH_BYTES);
        sl_event_hash(ev, SITE, strlen(SITE), ev->hash);
        memcpy(prev, ev->hash, SL_HASH_BYTES);
    }
    sl_msg_encode(&m, out);
    sl_msg_reset(&m);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_ready) {
        s_setup();
        s_ready = true;
        atexit(s_close);
    }
    s_fresh();
    msgpack_sbuffer fixed;
    msgpack_sbuffer_init(&fixed);
    size_t pos = 0;
    while (pos + 3 <= size) {
        uint8_t who = data[pos];
        size_t len = (size_t) data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        const uint8_t *frame = data + pos;
        pos += len;
        if (who & 4) {
            msgpack_sbuffer_clear(&fixed);
            if (s_fixup(frame, len, &fixed)) {
                frame = (const uint8_t *) fixed.data;
                len = fixed.size;
            }
        }
        uint8_t rid[5] = { 0, 'f', 'z', 0, (uint8_t) (who >> 3) };
        server_engine_feed(s_engine, rid, sizeof rid, s_keys[who & 3], frame, len,
                           s_on_reply, NULL);
        if (getenv("SL_FUZZ_VERBOSE")) {
            central_site_t site;
            if (central_store_site(s_check, SITE, &site) == 0)
                fprintf(stderr, "fuzz_server: after message of %zu bytes from %d: %s has %llu\n",
                        len, who, SITE, (unsigned long long) site.last_seq);
        }
    }
    msgpack_sbuffer_destroy(&fixed);
    char *report = NULL;
    size_t rlen = 0;
    FILE *out = open_memstream(&report, &rlen);
    long problems = central_store_verify(s_check, out);
    fclose(out);
    if (problems != 0) {
        fprintf(stderr, "fuzz_server: the store no longer verifies:\n%s", report);
        abort();
    }
    free(report);
    return 0;
}
