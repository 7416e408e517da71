/* sl_keys.c: key files, enrollment bundles and admin credentials. */
#include "sl_keys.h"
#include "sl_lang.h"
#include "sl_id.h"
#include "sl_text.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

int sl_keypair_new(sl_keypair_t *out)
{
    memset(out, 0, sizeof *out);
    return zmq_curve_keypair(out->public_z85, out->secret_z85) == 0 ? 0 : -1;
}

bool sl_key_valid(const char *z85)
{
    if (!z85 || strlen(z85) != 40)
        return false;
    uint8_t raw[32];
    return zmq_z85_decode(raw, z85) != NULL;
}

int sl_secret_file_check(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        sl_tf(err, errlen, "无法读取 %s：%s", "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (sb.st_mode & 077) {
        sl_tf(err, errlen, "%1$s 存有私钥，但别人也能读（权限 %2$03o）；请运行：chmod 600 %1$s",
              "%1$s holds a secret key but is readable by others (mode %2$03o); run: chmod 600 %1$s",
              path, (unsigned) (sb.st_mode & 0777));
        return -1;
    }
    return 0;
}

/* Creates `path` 0600 (refusing to overwrite) and writes `text`. */
static int s_write_private(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        sl_tf(err, errlen, "无法创建 %s：%s", "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n <= 0) {
            sl_tf(err, errlen, "无法写入 %s：%s", "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return -1;
        }
        done += (size_t) n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        sl_tf(err, errlen, "无法写入 %s：%s", "cannot write %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

typedef struct {
    const char *key;
    char *value;
    size_t cap;
    bool found;
} s_field_t;

/* Reads "key = value" lines into fields; unknown keys are an error. */
static int s_read_kv(const char *path, bool secret, s_field_t *fields, size_t n,
                     char *err, size_t errlen)
{
    if (secret && sl_secret_file_check(path, err, errlen))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f) {
        sl_tf(err, errlen, "无法读取 %s：%s", "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t got;
    int lineno = 0, rc = 0;
    while (rc == 0 && (got = getline(&buf, &bufcap, f)) >= 0) {
        lineno++;
        /* getline's count, not strlen: a NUL byte inside a line must not
         * cut it in two (the tail would be read as another key = value). */
        size_t len = (size_t) got;
        if (memchr(buf, 0, len)) {
            sl_tf(err, errlen, "%s 第 %d 行：含有 NUL 字节（不是文本文件）", "%s line %d: contains a NUL byte (not a text file)", path, lineno);
            rc = -1;
            break;
        }
        if (len > 1023) {
            sl_tf(err, errlen, "%s 第 %d 行：行太长（超过 1023 字节）", "%s line %d: line too long (more than 1023 bytes)", path, lineno);
            rc = -1;
            break;
        }
        char *line = buf;
        line[strcspn(line, "\r\n")] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            sl_tf(err, errlen, "%s 第 %d 行：应为 key = value", "%s line %d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        char *kend = eq;
        while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t'))
            kend--;
        *kend = 0;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vlen = strlen(v);
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            v[--vlen] = 0;
        s_field_t *fld = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(fields[i].key, p) == 0)
                fld = &fields[i];
        if (!fld) {
            sl_tf(err, errlen, "%s 第 %d 行：未知的键 \"%.40s\"", "%s line %d: unknown key \"%.40s\"", path, lineno, p);
            rc = -1;
        } else if (fld->found) {
            sl_tf(err, errlen, "%s 第 %d 行：\"%s\" 出现了两次", "%s line %d: \"%s\" given twice", path, lineno, p);
            rc = -1;
        } else if (vlen >= fld->cap || !sl_utf8_valid(v, vlen)) {
            sl_tf(err, errlen, "%s 第 %d 行：\"%s\" 的值太长或不是 UTF-8", "%s line %d: value of \"%s\" is too long or not UTF-8",
                     path, lineno, p);
            rc = -1;
        } else {
            memcpy(fld->value, v, vlen + 1);
            fld->found = true;
        }
    }
    if (buf)
        memset(buf, 0, bufcap);     /* it held a secret */
    free(buf);
    fclose(f);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!fields[i].found) {
            sl_tf(err, errlen, "%s：缺少 \"%s\"", "%s: \"%s\" is missing", path, fields[i].key);
            rc = -1;
        }
    return rc;
}

static int s_check_key(const char *path, const char *name, const char *z85, char *err,
                       size_t errlen)
{
    if (!sl_key_valid(z85)) {
        sl_tf(err, errlen, "%s：\"%s\" 不是 40 个字符的 Z85 CURVE 密钥", "%s: \"%s\" is not a 40-character Z85 CURVE key", path, name);
        return -1;
    }
    return 0;
}

int sl_keyfile_write(const char *path, const sl_keypair_t *kp, const char *comment,
                     char *err, size_t errlen)
{
    char text[512];
    snprintf(text, sizeof text, "# %s\n# CURVE key pair: keep this file private (mode 0600)\n"
             "public = %s\nsecret = %s\n", comment, kp->public_z85, kp->secret_z85);
    int rc = s_write_private(path, text, err, errlen);
    memset(text, 0, sizeof text);
    return rc;
}

int sl_keyfile_read(const char *path, sl_keypair_t *kp, char *err, size_t errlen)
{
    memset(kp, 0, sizeof *kp);
    s_field_t f[] = { { "public", kp->public_z85, SL_Z85_KEY, false },
                      { "secret", kp->secret_z85, SL_Z85_KEY, false } };
    if (s_read_kv(path, true, f, 2, err, errlen) || s_check_key(path, "public", kp->public_z85, err, errlen)
        || s_check_key(path, "secret", kp->secret_z85, err, errlen))
        return -1;
    /* The public key must belong to the secret key. */
    char derived[SL_Z85_KEY];
    if (zmq_curve_public(derived, kp->secret_z85) != 0 || strcmp(derived, kp->public_z85) != 0) {
        sl_tf(err, errlen, "%s：公钥和私钥不是一对", "%s: public and secret keys do not belong together", path);
        return -1;
    }
    return 0;
}

int sl_pubfile_write(const char *path, const char *public_z85, char *err, size_t errlen)
{
    char text[256];
    snprintf(text, sizeof text, "# shuanglian server public key (safe to share)\npublic = %s\n",
             public_z85);
    return s_write_private(path, text, err, errlen);
}

int sl_pubfile_read(const char *path, char *public_z85, char *err, size_t errlen)
{
    s_field_t f[] = { { "public", public_z85, SL_Z85_KEY, false } };
    if (s_read_kv(path, false, f, 1, err, errlen))
        return -1;
    return s_check_key(path, "public", public_z85, err, errlen);
}

int sl_bundle_write(const char *path, const sl_bundle_t *b, char *err, size_t errlen)
{
    char text[2048];
    snprintf(text, sizeof text,
             "# shuanglian enrollment bundle for site %s (%s)\n"
             "# Single use: install it with `shuanglian-site init --bundle FILE`, then delete it.\n"
             "# Keep it private: it holds a secret key.\n"
             "bundle_version = 1\nsite = %s\ncommunity = %s\nserver = %s\nserver_public = %s\n"
             "enroll_public = %s\nenroll_secret = %s\nexpires_ms = %lld\n",
             b->site, b->community, b->site, b->community, b->server, b->server_public,
             b->enroll.public_z85, b->enroll.secret_z85, (long long) b->expires_ms);
    int rc = s_write_private(path, text, err, errlen);
    memset(text, 0, sizeof text);
    return rc;
}

int sl_bundle_read(const char *path, sl_bundle_t *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    char version[16], expires[32];
    s_field_t f[] = {
        { "bundle_version", version, sizeof version, false },
        { "site", b->site, sizeof b->site, false },
        { "community", b->community, sizeof b->community, false },
        { "server", b->server, sizeof b->server, false },
        { "server_public", b->server_public, SL_Z85_KEY, false },
        { "enroll_public", b->enroll.public_z85, SL_Z85_KEY, false },
        { "enroll_secret", b->enroll.secret_z85, SL_Z85_KEY, false },
        { "expires_ms", expires, sizeof expires, false },
    };
    if (s_read_kv(path, true, f, sizeof f / sizeof f[0], err, errlen))
        return -1;
    if (strcmp(version, "1") != 0) {
        sl_tf(err, errlen, "%s：不支持 bundle_version %s（应为 1）", "%s: bundle_version %s is not supported (expected 1)", path, version);
        return -1;
    }
    const char *why = sl_site_id_check(b->site, strlen(b->site));
    if (why) {
        sl_tf(err, errlen, "%s：站点：%s", "%s: site: %s", path, why);
        return -1;
    }
    if (strncmp(b->server, "tcp://", 6) != 0) {
        sl_tf(err, errlen, "%s：server 须为 tcp://HOST:PORT", "%s: server must look like tcp://HOST:PORT", path);
        return -1;
    }
    char *end;
    errno = 0;
    b->expires_ms = strtoll(expires, &end, 10);
    if (errno || *end || b->expires_ms <= 0) {
        sl_tf(err, errlen, "%s：expires_ms 须为正数", "%s: expires_ms must be a positive number", path);
        return -1;
    }
    if (s_check_key(path, "server_public", b->server_public, err, errlen)
        || s_check_key(path, "enroll_public", b->enroll.public_z85, err, errlen)
        || s_check_key(path, "enroll_secret", b->enroll.secret_z85, err, errlen))
        return -1;
    return 0;
}

int sl_admin_cred_write(const char *path, const sl_admin_cred_t *c, char *err, size_t errlen)
{
    char text[1024];
    snprintf(text, sizeof text,
             "# shuanglian administrator credential for %s: keep private (mode 0600)\n"
             "name = %s\nserver = %s\nserver_public = %s\npublic = %s\nsecret = %s\n",
             c->name, c->name, c->server, c->server_public, c->keys.public_z85,
             c->keys.secret_z85);
    int rc = s_write_private(path, text, err, errlen);
    memset(text, 0, sizeof text);
    return rc;
}

int sl_admin_cred_read(const char *path, sl_admin_cred_t *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    s_field_t f[] = {
        { "name", c->name, sizeof c->name, false },
        { "server", c->server, sizeof c->server, false },
        { "server_public", c->server_public, SL_Z85_KEY, false },
        { "public", c->keys.public_z85, SL_Z85_KEY, false },
        { "secret", c->keys.secret_z85, SL_Z85_KEY, false },
    };
    if (s_read_kv(path, true, f, sizeof f / sizeof f[0], err, errlen))
        return -1;
    if (s_check_key(path, "server_public", c->server_public, err, errlen)
        || s_check_key(path, "public", c->keys.public_z85, err, errlen)
        || s_check_key(path, "secret", c->keys.secret_z85, err, errlen))
        return -1;
    return 0;
}
