/* server_engine.h: the district server's sync endpoint (one ROUTER socket).
 *
 * One thread, one writer: messages are drained from the socket in rounds;
 * all BATCH messages of a round are applied in one SQLite transaction (each
 * in its own savepoint) and their ACKs are sent only after that transaction
 * has committed with synchronous=FULL.  No reply ever blocks: a site that is
 * slow or gone loses its reply, never anyone else's time. */
#ifndef SERVER_ENGINE_H
#define SERVER_ENGINE_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "sl_keys.h"

typedef struct server_engine server_engine_t;

typedef struct {
    const char *data_dir;
    const char *endpoint;        /* e.g. tcp://127.0.0.1:7450 */
    uint32_t credit;             /* batches a site may have in flight */
    uint32_t max_batch;          /* events per batch */
    const sl_keypair_t *keys;    /* server's CURVE keys; NULL = plaintext (--insecure) */
    bool feed_only;              /* tests and fuzzing: no socket, no ZAP handler; messages
                                    come only through server_engine_feed */
} server_engine_opts_t;

server_engine_t *server_engine_new(const server_engine_opts_t *opts, char *err, size_t errlen);
void server_engine_destroy(server_engine_t **self_p);
/* For tests and fuzzing: handles one frame as if it had come from the
 * connection `rid` with key `key` (the User-Id ZAP gave it; NULL in
 * plaintext), then ends the round (commit, held replies sent).  Every reply
 * of this round goes to `reply` instead of the socket. */
void server_engine_feed(server_engine_t *self, const uint8_t *rid, size_t rid_len,
                        const char *key, const uint8_t *frame, size_t len,
                        void (*reply)(void *ctx, const uint8_t *data, size_t len), void *ctx);
/* Serves until server_engine_stop() is called (e.g. from a signal handler). */
int server_engine_run(server_engine_t *self);
void server_engine_stop(void);

#endif
