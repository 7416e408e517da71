/* site_sync.h: the site side of the sync protocol (one DEALER socket).
 *
 * Streams the outbox upward in batches with several in flight, pulls the
 * server log downward by cursor, restores the site's own events from the
 * server when the local store is behind it, and refuses to go on when the
 * local history has forked from what the server holds (P7).  Everything it
 * needs to resume lives in the site store, so a kill -9 at any instant costs
 * at most a resend that the server skips. */
#ifndef SITE_SYNC_H
#define SITE_SYNC_H
#include <stdbool.h>
#include <stdint.h>
#include "site_store.h"

/* The longest sentence a sync ends with (stored as last_sync_result): a
 * server's refusal of up to 2400 bytes (central_store.h) fits in both
 * halves of a dual text. */
#define SITE_SYNC_TEXT_MAX 4800

typedef struct {
    bool watch;                 /* stay connected and push new records */
    int connect_timeout_ms;     /* one-shot: give up when the server is silent this long */
    int connect_wait_ms;        /* one-shot: give up when no connection is made this long
                                 * (0: 2 s); a refused handshake counts as made */
    const char *endpoint;       /* overrides the store's server endpoint when set */
    const char *data_dir;       /* where site.key, enroll.key, site.key.next live */
    bool rotate;                /* replace this site's key pair during this sync */
} site_sync_opts_t;

typedef enum {
    SITE_SYNC_OK = 0,
    SITE_SYNC_UNREACHABLE = 2,  /* server did not answer; nothing lost */
    SITE_SYNC_REFUSED = 3,      /* server refused (fork, invalid record…): operator needed */
    SITE_SYNC_FAILED = 4,       /* local problem (database, memory) */
} site_sync_result_t;

typedef struct {
    site_sync_result_t result;
    char text[SITE_SYNC_TEXT_MAX]; /* what happened, in a sentence (dual: sl_lang.h) */
    uint64_t local_last;        /* site's last seq at the end */
    uint64_t acked_before, acked_after;
    uint64_t sent_events;       /* events sent, resends included */
    uint64_t restored;          /* own events pulled back from the server */
    uint64_t server_seq;
    uint64_t cursor_before, cursor_after, log_head;
    uint64_t log_entries;       /* reference-data entries applied */
    int reconnects;
    bool enrolled;              /* this run completed the enrollment */
    bool rotated;               /* this run replaced the site's key */
} site_sync_report_t;

site_sync_result_t site_sync_run(site_store_t *store, const site_sync_opts_t *opts,
                                 site_sync_report_t *report);
void site_sync_stop(void);      /* async-signal-safe: ends a --watch run */

/* For tests and fuzzing: runs the site's handling of the server's messages
 * (WELCOME, EVENTS, LOG, ACK, ERROR …) on `data`, a sequence of frames each
 * preceded by its length (2 bytes, big-endian), without any connection.
 * Each decodable frame is given the site's current session, and an EVENTS'
 * records are re-chained onto the local store, so that they reach the
 * handlers.  Returns the result when the run finished, else 0. */
int site_sync_replay(site_store_t *store, const site_sync_opts_t *opts, const uint8_t *data,
                     size_t size, site_sync_report_t *report);

#endif
