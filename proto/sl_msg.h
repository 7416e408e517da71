/* sl_msg.h: the shuanglian sync protocol v1 codec (see PROTOCOL.md).
 *
 * A message is one ZeroMQ frame holding one msgpack array:
 *     [ 0x534C ("SL"), version 1, message type, { body map } ]
 * Body keys are short strings; a decoder ignores keys it does not know, so a
 * later minor version may add keys.  Unknown message types and versions are
 * refused with an ERROR (codes below).
 *
 * sl_msg_decode validates every field it reads; strings and byte fields in
 * the decoded message point into the frame, which must outlive the message.
 * Event and log-entry arrays live in the message's zone, freed by
 * sl_msg_reset. */
#ifndef SL_MSG_H
#define SL_MSG_H
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sl_event.h"
#include "sl_limits.h"

#define SL_SIGNATURE 0x534C
#define SL_PROTO_VERSION 1

typedef enum {
    SL_HELLO = 1,      /* site -> server: who I am, what I have */
    SL_WELCOME = 2,    /* server -> site: what I have of you */
    SL_BATCH = 3,      /* site -> server: events to commit */
    SL_ACK = 4,        /* server -> site: committed up to seq */
    SL_FETCH = 5,      /* site -> server: send me my own events back */
    SL_EVENTS = 6,     /* server -> site: a site's own events */
    SL_LOG_PULL = 7,   /* site -> server: server-log entries after cursor */
    SL_LOG = 8,        /* server -> site: server-log entries */
    SL_PING = 9,       /* either way: are you there */
    SL_PONG = 10,      /* answer to PING */
    SL_ERROR = 11,     /* either way: refused, with a reason */
    SL_ADMIN = 12,     /* admin -> server: a request (verb and arguments) */
    SL_REPLY = 13,     /* server -> admin or site: request done (text, table) */
    SL_ENROLL = 14,    /* site -> server, with a bundle's one-time key */
    SL_ROTATE = 15,    /* site -> server: replace my key with a new one */
    SL_MSG_TYPE_MAX = 15
} sl_msg_type_t;

typedef enum {
    SL_E_MALFORMED = 400,   /* not a well-formed frame */
    SL_E_FORBIDDEN = 403,   /* not allowed for this peer */
    SL_E_VERSION = 405,     /* unsupported protocol version */
    SL_E_UNKNOWN_TYPE = 406,/* unknown message type */
    SL_E_BAD_FIELD = 407,   /* a field is missing, of the wrong type or out of range */
    SL_E_NO_SESSION = 408,  /* HELLO first (also after a server restart) */
    SL_E_GAP = 409,         /* batch does not continue the committed sequence */
    SL_E_CONFLICT = 410,    /* other content for a (site, seq) already committed */
    SL_E_CHAIN = 411,       /* previous-hash or hash does not verify */
    SL_E_TOO_LARGE = 413,   /* over a limit in sl_limits.h */
    SL_E_INVALID = 422,     /* a record fails its type's schema */
    SL_E_INTERNAL = 500,    /* the server could not commit; retry later */
} sl_error_code_t;

typedef struct {
    uint64_t lseq;          /* server-log sequence */
    const char *kind;       /* e.g. "unit", "community", "setting" */
    size_t kind_len;
    const char *key;
    size_t key_len;
    const char *value;      /* UTF-8; NULL means the key is deleted */
    size_t value_len;
} sl_log_entry_t;

typedef struct {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} sl_arg_t;

typedef struct {
    const char *ptr;
    size_t len;
} sl_str_t;

/* Site telemetry (PROTOCOL.md 4.1.1): optional keys of HELLO and PING that
 * tell the district how a site is doing.  Each key is optional on its own;
 * `has` says which were given (SL_TM_* bits). */
enum {
    SL_TM_OUTBOX = 1 << 0,
    SL_TM_OUTBOX_AGE = 1 << 1,
    SL_TM_CLOCK = 1 << 2,
    SL_TM_DISK_FREE = 1 << 3,
    SL_TM_LAST_ERROR = 1 << 4,
    SL_TM_LAST_SEQ = 1 << 5,            /* PING only: HELLO has its own last_seq */
};

typedef struct {
    uint32_t has;               /* SL_TM_* bits of the keys present */
    uint64_t outbox;            /* records not yet acknowledged by the server */
    uint64_t outbox_age_ms;     /* age of the oldest of them by the site's clock; 0 none */
    int64_t clock_ms;           /* the site's wall clock when it sent the message */
    uint64_t disk_free;         /* bytes free where the site keeps its data */
    const char *last_error;     /* the site's last problem, or "" */
    size_t last_error_len;
    uint64_t last_seq;          /* PING: the site's highest local seq */
} sl_telemetry_t;

typedef struct {
    sl_msg_type_t type;
    uint64_t sess;          /* the site's session number, echoed by the server */
    /* HELLO */
    const char *site;
    size_t site_len;
    uint64_t last_seq;      /* also the site's last event in FETCH replies */
    uint8_t last_hash[SL_HASH_BYTES];
    uint64_t cursor;        /* HELLO: applied server-log cursor; LOG_PULL: after */
    uint64_t hlc;           /* HELLO, WELCOME */
    const char *agent;      /* HELLO: software name and version */
    size_t agent_len;
    sl_telemetry_t tm;      /* HELLO, PING: optional site telemetry */
    /* WELCOME */
    uint64_t server_seq;    /* WELCOME, EVENTS: highest committed seq of the site */
    uint64_t match_seq;     /* min(site's last_seq, server_seq) */
    uint8_t match_hash[SL_HASH_BYTES]; /* server's hash at match_seq */
    uint64_t log_head;      /* WELCOME, ACK, LOG, PONG: newest server-log seq */
    uint32_t credit;        /* batches the site may have in flight */
    uint32_t max_batch;     /* events per batch */
    uint32_t heartbeat_ms;
    const char *log_id;     /* WELCOME (optional): identity of the server log */
    size_t log_id_len;
    /* BATCH, EVENTS */
    sl_event_t *events;
    size_t nevents;
    /* ACK */
    uint64_t acked;
    /* FETCH: from, max; LOG_PULL: cursor, max */
    uint64_t from;
    uint32_t max;
    /* LOG */
    sl_log_entry_t *entries;
    size_t nentries;
    uint64_t upto;          /* cursor to store after applying this LOG */
    /* ERROR */
    uint32_t code;
    const char *text;
    size_t text_len;
    const char *field;      /* optional: the field at fault */
    size_t field_len;
    uint64_t seq;           /* optional: the event at fault (0 = none) */
    uint64_t expected;      /* optional: GAP: the seq the server expects next */
    /* ADMIN */
    const char *verb;
    size_t verb_len;
    sl_arg_t *args;
    size_t nargs;
    /* REPLY: a table of columns × rows (first row = headers), flattened */
    uint32_t columns;
    sl_str_t *cells;
    size_t ncells;
    /* ENROLL (with site), ROTATE: the site's new long-term public key */
    uint8_t key[32];
    /* decoder state */
    msgpack_zone *zone;
} sl_msg_t;

const char *sl_msg_type_name(int type);
const char *sl_error_name(int code);

/* Decodes one frame.  Returns 0, or an error code (sl_error_code_t) with a
 * sentence in err; the caller may answer it with sl_msg_encode_error. */
int sl_msg_decode(sl_msg_t *msg, const uint8_t *frame, size_t len, char *err, size_t errlen);
/* Frees what decoding allocated; the message may be decoded into again. */
void sl_msg_reset(sl_msg_t *msg);

/* Encodes `msg` (fields of msg->type) into `out`, which is cleared first. */
void sl_msg_encode(const sl_msg_t *msg, msgpack_sbuffer *out);

/* Streaming encoding of BATCH/EVENTS, for senders that read events one by
 * one from a database: begin with the count, pack each event, no end call. */
void sl_msg_encode_events_begin(msgpack_sbuffer *out, sl_msg_type_t type, uint64_t sess,
                                uint64_t server_seq, size_t nevents);
void sl_msg_encode_event(msgpack_sbuffer *out, const sl_event_t *ev);

/* Value of an ADMIN argument, or NULL. */
const sl_arg_t *sl_msg_arg(const sl_msg_t *msg, const char *key);

/* Convenience: an ERROR message. */
void sl_msg_encode_error(msgpack_sbuffer *out, uint64_t sess, int code, const char *text,
                         const char *field, uint64_t seq, uint64_t expected);

#endif
