/* test_keys.c: the key files, bundles and credentials of common/sl_keys.c,
 * written and read back, and refused when damaged (every file from outside
 * gets a clear error naming the file and line, never a crash, never a
 * secret in the message).  0.2.0 split a line over 1,023 bytes that held a
 * NUL byte into two lines, and read the tail as another key = value. */
#include "sl_keys.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_check.h"

static char s_dir[128];

static void s_write(const char *path, const char *bytes, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "w");
    fwrite(bytes, 1, len, f);
    fclose(f);
    chmod(path, mode);
}

int main(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/sl-test-keys.XXXXXX");
    if (!mkdtemp(s_dir))
        return 1;
    char path[300], err[600];
    sl_keypair_t kp, back;
    s_check(sl_keypair_new(&kp) == 0, "a key pair");
    snprintf(path, sizeof path, "%s/site.key", s_dir);
    s_check(sl_keyfile_write(path, &kp, "test key", err, sizeof err) == 0, "key file written");
    struct stat sb;
    s_check(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "… mode 0600");
    s_check(sl_keyfile_read(path, &back, err, sizeof err) == 0
            && strcmp(back.public_z85, kp.public_z85) == 0
            && strcmp(back.secret_z85, kp.secret_z85) == 0, "… and read back the same");
    chmod(path, 0644);
    s_check(sl_keyfile_read(path, &back, err, sizeof err) != 0 && strstr(err, "readable"),
            "a secret file readable by others is refused: %s", err);

    sl_bundle_t b = { .expires_ms = 1893456000000LL }, b2;
    snprintf(b.site, sizeof b.site, "qu01.gongyuan");
    snprintf(b.community, sizeof b.community, "gongyuan");
    snprintf(b.server, sizeof b.server, "tcp://10.0.0.5:7450");
    snprintf(b.server_public, sizeof b.server_public, "%s", kp.public_z85);
    sl_keypair_new(&b.enroll);
    snprintf(path, sizeof path, "%s/a.bundle", s_dir);
    s_check(sl_bundle_write(path, &b, err, sizeof err) == 0
            && sl_bundle_read(path, &b2, err, sizeof err) == 0
            && strcmp(b2.site, b.site) == 0 && b2.expires_ms == b.expires_ms
            && strcmp(b2.enroll.secret_z85, b.enroll.secret_z85) == 0,
            "a bundle writes and reads back identical %s", err);

    sl_admin_cred_t c = { 0 }, c2;
    snprintf(c.name, sizeof c.name, "admin");
    snprintf(c.server, sizeof c.server, "tcp://10.0.0.5:7450");
    snprintf(c.server_public, sizeof c.server_public, "%s", kp.public_z85);
    sl_keypair_new(&c.keys);
    snprintf(path, sizeof path, "%s/admin.cred", s_dir);
    s_check(sl_admin_cred_write(path, &c, err, sizeof err) == 0
            && sl_admin_cred_read(path, &c2, err, sizeof err) == 0
            && strcmp(c2.keys.public_z85, c.keys.public_z85) == 0,
            "a credential writes and reads back identical %s", err);

    /* Damaged files. */
    struct { const char *what; const char *text; size_t len; const char *says; } bad[] = {
        { "an unknown key", "public = x\nfoo = bar\n", 0, "unknown key" },
        { "a key given twice", "public = a\npublic = b\n", 0, "twice" },
        { "a line without =", "public\n", 0, "expected key = value" },
        { "a missing secret", "# only public\npublic = 0123456789012345678901234567890123456789\n",
          0, "missing" },
        { "not Z85", "public = !!!!\nsecret = !!!!\n", 0, "Z85" },
        { "a NUL byte inside a line", "public = abc\0secret = def\n", 26, "NUL" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.key", s_dir, i);
        s_write(path, bad[i].text, bad[i].len ? bad[i].len : strlen(bad[i].text), 0600);
        int rc = sl_keyfile_read(path, &back, err, sizeof err);
        s_check(rc != 0 && strstr(err, bad[i].says) && strstr(err, path),
                "%s is refused, naming the file: %s", bad[i].what, err);
    }
    /* The 0.2.0 bug: over 1,023 bytes with a NUL, the tail became a line. */
    char long_line[2100];
    size_t n = (size_t) snprintf(long_line, sizeof long_line, "public = %s\n# ", kp.public_z85);
    memset(long_line + n, 'x', 1100);
    n += 1100;
    long_line[n - 600] = 0;
    n += (size_t) snprintf(long_line + n, sizeof long_line - n, "secret = %s\n", kp.secret_z85);
    snprintf(path, sizeof path, "%s/nul-long.key", s_dir);
    s_write(path, long_line, n, 0600);
    int rc = sl_keyfile_read(path, &back, err, sizeof err);
    s_check(rc != 0 && strstr(err, "line 2: contains a NUL byte"),
            "a long comment line with a NUL byte is refused with its line number, not split: %s",
            err);
    s_check(!strstr(err, kp.secret_z85), "… and the message holds no secret");

    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", s_dir);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
