/* sl_keys.h: CurveZMQ key pairs and the small text files that carry them.
 *
 * Three kinds of file, all "key = value" lines with '#' comments:
 *   - a key file (server.key, site.key): this program's own key pair;
 *   - an enrollment bundle: what a new site needs, once (site id, a one-time
 *     enrollment key pair, the server's public key and endpoint, an expiry);
 *   - an admin credential: an administrator's key pair and the server's.
 * Every file holding a secret is created 0600 and refused when readable by
 * group or others.  No function here ever prints a secret: errors name the
 * file and the line, never the value. */
#ifndef SL_KEYS_H
#define SL_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_Z85_KEY 41           /* 40 characters and NUL */

typedef struct {
    char public_z85[SL_Z85_KEY];
    char secret_z85[SL_Z85_KEY];
} sl_keypair_t;

typedef struct {
    char site[65];
    char community[256];
    char server[256];
    char server_public[SL_Z85_KEY];
    sl_keypair_t enroll;        /* one-time key: used once, then refused */
    int64_t expires_ms;
} sl_bundle_t;

typedef struct {
    char name[65];
    char server[256];
    char server_public[SL_Z85_KEY];
    sl_keypair_t keys;
} sl_admin_cred_t;

/* A new key pair (zmq_curve_keypair).  0 or -1. */
int sl_keypair_new(sl_keypair_t *out);
/* True when `z85` is a well-formed 40-character Z85 key. */
bool sl_key_valid(const char *z85);

/* Writes/reads a key file.  Reading refuses a file readable by others. */
int sl_keyfile_write(const char *path, const sl_keypair_t *kp, const char *comment,
                     char *err, size_t errlen);
int sl_keyfile_read(const char *path, sl_keypair_t *kp, char *err, size_t errlen);
/* Writes/reads a public key alone (e.g. server.pub: safe to share). */
int sl_pubfile_write(const char *path, const char *public_z85, char *err, size_t errlen);
int sl_pubfile_read(const char *path, char *public_z85, char *err, size_t errlen);

int sl_bundle_write(const char *path, const sl_bundle_t *b, char *err, size_t errlen);
int sl_bundle_read(const char *path, sl_bundle_t *b, char *err, size_t errlen);

int sl_admin_cred_write(const char *path, const sl_admin_cred_t *c, char *err, size_t errlen);
int sl_admin_cred_read(const char *path, sl_admin_cred_t *c, char *err, size_t errlen);

/* 0 when `path` is not readable by group or others; else -1 and a sentence. */
int sl_secret_file_check(const char *path, char *err, size_t errlen);

#endif
