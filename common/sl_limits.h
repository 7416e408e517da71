/* sl_limits.h: every size limit of the system, in one place.
 *
 * Anything that comes from outside (a frame, a CSV file, a command line) is
 * checked against these numbers before it is trusted.  Changing one here
 * changes it for the codec, the stores and the CLIs together; the protocol
 * specification (proto/PROTOCOL.md, section "Limits") quotes them.
 */
#ifndef SL_LIMITS_H
#define SL_LIMITS_H

#define SL_MAX_FRAME_BYTES      (4 * 1024 * 1024)  /* ZMQ_MAXMSGSIZE: one frame */
#define SL_MAX_BATCH_EVENTS     2000   /* events in one BATCH or EVENTS message */
#define SL_DEFAULT_BATCH_EVENTS 1000   /* what a site sends unless told less */
#define SL_MAX_CREDIT           16     /* batches in flight, upper bound */
#define SL_DEFAULT_CREDIT       4
#define SL_MAX_LOG_ENTRIES      1000   /* server-log entries in one LOG message */
#define SL_MAX_PAYLOAD_BYTES    16384  /* one event's payload (msgpack map) */
#define SL_MAX_FIELDS           64     /* keys in a payload map */
#define SL_MAX_TYPES            64     /* record types in the schema table */
#define SL_MAX_TEXT_BYTES       4000   /* one string field, UTF-8 bytes */
#define SL_MAX_NAME_BYTES       64     /* site ids, type names, field names, keys */
#define SL_MAX_TELEMETRY_TEXT   400    /* HELLO/PING last_error, UTF-8 bytes */
/* What a remote command's result record carries back (its `output` field,
 * in characters): at most 4 bytes each, well within SL_MAX_PAYLOAD_BYTES. */
#define SL_COMMAND_OUTPUT_CHARS 3000
#define SL_MAX_DEPTH            8      /* nesting of msgpack containers */
#define SL_MAX_OBJECTS          200000 /* msgpack objects in one frame */
#define SL_MAX_ARGS             16     /* arguments of one ADMIN request */
/* One ADMIN argument value: a whole CSV file travels as one (ref.import). */
#define SL_MAX_ADMIN_ARG_BYTES  (1024 * 1024)
#define SL_MAX_CELLS            100000 /* table cells in one REPLY */
/* What one peer may cost the server in queued replies (docs/SECURITY.md):
 * EVENTS and LOG replies stop at SL_MAX_REPLY_BYTES (the site asks again
 * for the rest), and at most SL_SERVER_SNDHWM replies wait for a peer that
 * does not read before it is dropped. */
#define SL_MAX_REPLY_BYTES      (1024 * 1024)
#define SL_SERVER_SNDHWM        32
#define SL_SERVER_RCVHWM        64     /* frames queued from one peer before TCP pushes back */
#define SL_FD_RESERVE           64     /* descriptors kept for the store, never for connections */
#define SL_HASH_BYTES           32     /* BLAKE2b-256 event hash */
#define SL_ID_BYTES             16     /* event id (UUIDv7 layout) */

#endif
