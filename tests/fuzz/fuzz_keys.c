/* fuzz_keys: the files that carry keys (issue 14): key files, server.pub,
 * enrollment bundles and administrator credentials (common/sl_keys.c), as a
 * damaged or hostile file would come.  The input is written to a private
 * file and read as each kind.  Must never crash or read out of bounds; a
 * bundle or credential that is accepted must write and read back identical.
 * Seeds: tests/fuzz/corpus/fuzz_keys/. */
#include "fuzz_dir.h"
#include "sl_keys.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_path[200], s_back[200];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_path[0]) {
        const char *root = fuzz_dir_root("fuzz-keys");
        snprintf(s_path, sizeof s_path, "%s/input", root);
        snprintf(s_back, sizeof s_back, "%s/back", root);
    }
    int fd = open(s_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size))
        abort();
    close(fd);
    char err[600], pub[SL_Z85_KEY];
    sl_keypair_t kp;
    sl_keyfile_read(s_path, &kp, err, sizeof err);
    sl_pubfile_read(s_path, pub, err, sizeof err);
    sl_bundle_t b, b2;
    if (sl_bundle_read(s_path, &b, err, sizeof err) == 0) {
        unlink(s_back);
        if (sl_bundle_write(s_back, &b, err, sizeof err)
            || sl_bundle_read(s_back, &b2, err, sizeof err)
            || strcmp(b.site, b2.site) || strcmp(b.community, b2.community)
            || strcmp(b.server, b2.server) || strcmp(b.server_public, b2.server_public)
            || strcmp(b.enroll.public_z85, b2.enroll.public_z85)
            || strcmp(b.enroll.secret_z85, b2.enroll.secret_z85) || b.expires_ms != b2.expires_ms)
            abort();
    }
    sl_admin_cred_t c, c2;
    if (sl_admin_cred_read(s_path, &c, err, sizeof err) == 0) {
        unlink(s_back);
        if (sl_admin_cred_write(s_back, &c, err, sizeof err)
            || sl_admin_cred_read(s_back, &c2, err, sizeof err) || strcmp(c.name, c2.name)
            || strcmp(c.server, c2.server) || strcmp(c.keys.secret_z85, c2.keys.secret_z85))
            abort();
    }
    return 0;
}
