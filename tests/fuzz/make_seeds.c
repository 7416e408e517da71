/* make_seeds: writes the seed corpora and dictionaries of the fuzz targets
 * (issue 14) into tests/fuzz/, from the real codec, schema and key writers,
 * so that the seeds stay valid as the protocol and the domain grow:
 *
 *     build/tests/fuzz/make_seeds tests/fuzz
 *
 * (built in every configuration; scripts/fuzz.sh runs it before fuzzing).
 * Writes corpus/<target>/<name> and <target>.dict for fuzz_server,
 * fuzz_site, fuzz_entry, fuzz_keys, fuzz_reply and fuzz_payload.  Seeds are
 * deterministic: the same tree writes the same bytes (keys are fixed). */
#include "fuzz_dir.h"
#include "sl_event.h"
#include "sl_keys.h"
#include "sl_msg.h"
#include "sl_schema.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SITE_ID "qu01.gongyuan"
static const char *s_root;

static void s_die(const char *what)
{
    fprintf(stderr, "make_seeds: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void s_mkdir(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST)
        s_die(path);
}

static void s_write(const char *target, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/corpus", s_root);
    s_mkdir(path);
    snprintf(path, sizeof path, "%s/corpus/%s", s_root, target);
    s_mkdir(path);
    snprintf(path, sizeof path, "%s/corpus/%s/%s", s_root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
        s_die(path);
}

/* ---- a sample record of each type ---------------------------------------------------- */

/* A payload for `rt` built from its fields' definitions: every field given
 * (required or not) with a value its rules allow.  References name the keys
 * the fuzz targets publish (u1, m1, c1, t1, b1 …); item fields name `item`. */
/* The reference key the fuzz targets publish for each kind. */
static const char *s_refkey(const char *kind)
{
    static const char *keys[][2] = { { "unit", "u1" }, { "member", "m1" }, { "team", "t1" },
                                     { "brand", "b1" }, { "banned_certificate", "bc1" },
                                     { "community", "c1" } };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(kind, keys[i][0]))
            return keys[i][1];
    return "x1";
}

/* The id of the first of evs[0..n) whose type an ITEM field allows, or NULL. */
static const uint8_t *s_item_for(const sl_field_t *f, const sl_event_t *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f->choices, "*") || sl_schema_index(f->choices, evs[i].type,
                                                         evs[i].type_len) >= 0)
            return evs[i].id;
    return NULL;
}

static void s_sample(const sl_rtype_t *rt, const sl_event_t *evs, size_t nevs,
                     msgpack_sbuffer *out)
{
    msgpack_packer pk;
    msgpack_sbuffer_clear(out);
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    size_t n = 0;
    for (size_t i = 0; i < rt->nfields; i++)
        n += rt->fields[i].type != SL_F_ITEM || s_item_for(&rt->fields[i], evs, nevs);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < rt->nfields; i++) {
        const sl_field_t *f = &rt->fields[i];
        const uint8_t *item = f->type == SL_F_ITEM ? s_item_for(f, evs, nevs) : NULL;
        if (f->type == SL_F_ITEM && !item)
            continue;
        msgpack_pack_str_with_body(&pk, f->name, strlen(f->name));
        char buf[256];
        switch (f->type) {
        case SL_F_TEXT:
            snprintf(buf, sizeof buf, "%s", "社区便民服务测试");
            if (f->max > 0 && (int64_t) strlen("测试") / 3 * 2 > f->max)
                snprintf(buf, sizeof buf, "x");
            msgpack_pack_str_with_body(&pk, buf, strlen(buf));
            break;
        case SL_F_INT:
            msgpack_pack_int64(&pk, f->min > 1 ? f->min : (f->max >= 3 ? 3 : f->max));
            break;
        case SL_F_DATE:
            msgpack_pack_str_with_body(&pk, "2025-03-01", 10);
            break;
        case SL_F_ENUM: {
            /* The last status the record may be created in (the furthest:
             * "done", so that it may be rated), else the first choice. */
            const char *list = f->choices;
            size_t pick = 0;
            if (rt->life && !strcmp(f->name, "status") && rt->life->create) {
                list = rt->life->create;
                while (sl_schema_part(list, pick + 1, buf, sizeof buf))
                    pick++;
            }
            if (!sl_schema_part(list, pick, buf, sizeof buf))
                buf[0] = 0;
            msgpack_pack_str_with_body(&pk, buf, strlen(buf));
            break;
        }
        case SL_F_ITEM:
            msgpack_pack_bin_with_body(&pk, item, SL_ID_BYTES);
            break;
        case SL_F_REF:
            msgpack_pack_str_with_body(&pk, s_refkey(f->choices), strlen(s_refkey(f->choices)));
            break;
        }
    }
}

/* An event of the site qu01.gongyuan (seq, chain and hash filled in). */
static void s_event(sl_event_t *ev, uint64_t seq, const uint8_t prev[SL_HASH_BYTES],
                    const sl_rtype_t *rt, const msgpack_sbuffer *payload)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = seq;
    for (int i = 0; i < SL_ID_BYTES; i++)
        ev->id[i] = (uint8_t) (seq * 31 + (uint64_t) i);
    ev->hlc = (uint64_t) 1740787200000 << 16 | seq;
    ev->wall_ms = 1740787200000 + (int64_t) seq;
    ev->type = rt->name;
    ev->type_len = strlen(rt->name);
    ev->payload = (const uint8_t *) payload->data;
    ev->payload_len = payload->size;
    memcpy(ev->prev, prev, SL_HASH_BYTES);
    sl_event_hash(ev, "qu01.gongyuan", 13, ev->hash);
}

/* ---- framing -------------------------------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} seq_t;

static void s_put(seq_t *s, const void *data, size_t len)
{
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2 + 256;
        s->data = realloc(s->data, s->cap);
        if (!s->data)
            s_die("realloc");
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
}

/* fuzz_server's framing: [who][len16][frame]; fuzz_site's: [len16][frame]. */
static void s_frame(seq_t *s, int who, const sl_msg_t *m)
{
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    sl_msg_encode(m, &b);
    uint8_t head[3] = { (uint8_t) who, (uint8_t) (b.size >> 8), (uint8_t) b.size };
    if (who >= 0)
        s_put(s, head, 3);
    else
        s_put(s, head + 1, 2);
    s_put(s, b.data, b.size);
    msgpack_sbuffer_destroy(&b);
}

static void s_admin(seq_t *s, const char *verb, size_t nargs, const char *const *kv)
{
    sl_arg_t args[8];
    for (size_t i = 0; i < nargs; i++)
        args[i] = (sl_arg_t) { kv[2 * i], strlen(kv[2 * i]), kv[2 * i + 1],
                               strlen(kv[2 * i + 1]) };
    sl_msg_t m = { .type = SL_ADMIN, .sess = 7, .verb = verb, .verb_len = strlen(verb),
                   .args = args, .nargs = nargs };
    s_frame(s, 1, &m);
}

/* ---- the targets ---------------------------------------------------------------------- */

static void s_server_and_site(void)
{
    size_t nt = sl_schema_count();
    msgpack_sbuffer *pay = calloc(nt, sizeof *pay);
    sl_event_t *evs = calloc(nt, sizeof *evs);
    if (!pay || !evs)
        s_die("calloc");
    uint8_t prev[SL_HASH_BYTES] = { 0 };
    /* One record of each type, in schema order, the item fields naming the
     * first record (a problem report or whatever the first type is). */
    for (size_t i = 0; i < nt; i++) {
        msgpack_sbuffer_init(&pay[i]);
        s_sample(sl_schema_at(i), evs, i, &pay[i]);
        s_event(&evs[i], i + 1, prev, sl_schema_at(i), &pay[i]);
        memcpy(prev, evs[i].hash, SL_HASH_BYTES);
    }
    sl_msg_t hello = { .type = SL_HELLO, .sess = 7, .site = "qu01.gongyuan", .site_len = 13,
                       .agent = "shuanglian-site/0.3.0", .agent_len = 21,
                       .hlc = (uint64_t) 1740787200000 << 16, .cursor = FUZZ_NREFS };

    /* fuzz_server: a site's session: HELLO, a record of every type (a BATCH
     * each, fixed up onto the chain: one refused does not stop the rest),
     * FETCH, LOG_PULL, PING. */
    seq_t s = { 0 };
    s_frame(&s, 0, &hello);
    for (size_t i = 0; i < nt; i++) {
        sl_msg_t one = { .type = SL_BATCH, .sess = 7, .events = &evs[i], .nevents = 1 };
        s_frame(&s, 4, &one);
    }
    sl_msg_t batch = { .type = SL_BATCH, .sess = 7, .events = evs, .nevents = nt };
    sl_msg_t fetch = { .type = SL_FETCH, .sess = 7, .from = 1, .max = 100 };
    s_frame(&s, 0, &fetch);
    sl_msg_t pull = { .type = SL_LOG_PULL, .sess = 7, .cursor = 0, .max = 100 };
    s_frame(&s, 0, &pull);
    sl_msg_t ping = { .type = SL_PING, .sess = 7 };
    s_frame(&s, 0, &ping);
    s_write("fuzz_server", "site_session", s.data, s.len);
    /* One batch per type, so that mutations of each stay small. */
    for (size_t i = 0; i < nt; i++) {
        s.len = 0;
        s_frame(&s, 0, &hello);
        sl_msg_t one = { .type = SL_BATCH, .sess = 7, .events = &evs[i], .nevents = 1 };
        s_frame(&s, 4, &one);
        s_write("fuzz_server", sl_schema_at(i)->name, s.data, s.len);
    }
    /* Administrators' requests. */
    s.len = 0;
    s_admin(&s, "site.list", 0, NULL);
    s_admin(&s, "ref.put", 3, (const char *const[]) { "kind", "unit", "key", "u2", "fields",
                                                      "{\"name\":\"区财政局\"}" });
    s_admin(&s, "ref.put", 3, (const char *const[]) { "kind", "member", "key", "m1", "fields",
                                                      "{\"name\":\"张三\",\"unit\":\"u1\"}" });
    s_admin(&s, "ref.list", 1, (const char *const[]) { "kind", "unit" });
    s_admin(&s, "ref.del", 2, (const char *const[]) { "kind", "unit", "key", "u2" });
    s_admin(&s, "ref.import", 2, (const char *const[]) {
        "kind", "team", "csv", "key,name\nt1,爱满杏林\nt2,百愿牵手\n" });
    s_admin(&s, "site.enroll", 4, (const char *const[]) {
        "site", "qu01.other", "community", "c1", "enroll_key",
        "rq:A^E}=W+9J6[m[n:ZX?&/&%D5a0iZqCK:c+.^M", "expires_ms", "1900000000000" });
    s_admin(&s, "site.revoke", 1, (const char *const[]) { "site", "qu01.other" });
    s_write("fuzz_server", "admin", s.data, s.len);
    /* Commands to sites, health, audit, reports (issues 8 and 9). */
    s.len = 0;
    s_admin(&s, "command.send", 2, (const char *const[]) { "site", SITE_ID, "command", "ping" });
    s_admin(&s, "command.send", 3, (const char *const[]) { "site", SITE_ID, "command", "resend",
                                                           "args", "{\"from\":\"1\"}" });
    s_admin(&s, "command.send", 3, (const char *const[]) {
        "all", "yes", "command", "set", "args", "{\"name\":\"log_level\",\"value\":\"debug\"}" });
    s_admin(&s, "command.list", 1, (const char *const[]) { "format", "raw" });
    s_admin(&s, "command.cancel", 1, (const char *const[]) { "id", "1" });
    s_admin(&s, "site.health", 0, NULL);
    s_admin(&s, "audit.list", 1, (const char *const[]) { "limit", "5" });
    s_admin(&s, "admin.list", 0, NULL);
    s_admin(&s, "stats", 0, NULL);
    s_admin(&s, "incidents.list", 0, NULL);
    s_write("fuzz_server", "admin_commands", s.data, s.len);
    s.len = 0;
    s_frame(&s, 0, &hello);
    s_frame(&s, 4, &batch);
    s_admin(&s, "report.dispatch", 1, (const char *const[]) { "month", "2025-03" });
    s_admin(&s, "report.five", 1, (const char *const[]) { "year", "2025" });
    s_admin(&s, "report.loop", 3, (const char *const[]) { "from", "2025-01-01", "to",
                                                          "2025-12-31", "by", "unit" });
    s_admin(&s, "report.points", 1, (const char *const[]) { "year", "2025" });
    s_admin(&s, "report.volunteers", 1, (const char *const[]) { "year", "2025" });
    s_admin(&s, "report.talent", 0, NULL);
    s_admin(&s, "report.facilities", 0, NULL);
    s_admin(&s, "report.supervision", 1, (const char *const[]) { "half", "2025-1" });
    s_admin(&s, "report.records", 2, (const char *const[]) { "type", "problem_report", "limit",
                                                             "10" });
    s_write("fuzz_server", "reports", s.data, s.len);
    /* Enrollment (the enrollment key) and rotation (the site's key). */
    s.len = 0;
    sl_msg_t enroll = { .type = SL_ENROLL, .sess = 7, .site = "qu01.newsite", .site_len = 12 };
    memset(enroll.key, 0x5a, sizeof enroll.key);
    s_frame(&s, 2, &enroll);
    sl_msg_t rotate = { .type = SL_ROTATE, .sess = 7 };
    memset(rotate.key, 0x33, sizeof rotate.key);
    s_frame(&s, 0, &hello);
    s_frame(&s, 0, &rotate);
    s_write("fuzz_server", "enroll_rotate", s.data, s.len);
    /* A stranger, and a site's message from the wrong key. */
    s.len = 0;
    s_frame(&s, 3, &hello);
    s_frame(&s, 1, &hello);
    s_frame(&s, 3 | 8, &ping);
    s_write("fuzz_server", "strangers", s.data, s.len);

    /* fuzz_site: the server's side of a first sync: WELCOME, LOG with the
     * reference data, EVENTS restoring records of every type, ACK, REPLY,
     * ERROR. */
    s.len = 0;
    sl_msg_t welcome = { .type = SL_WELCOME, .sess = 7, .server_seq = nt, .log_head = FUZZ_NREFS + 1,
                         .credit = 4, .max_batch = 500, .heartbeat_ms = 5000,
                         .log_id = "fuzzlog", .log_id_len = 7,
                         .hlc = (uint64_t) 1740787200000 << 16 };
    s_frame(&s, -1, &welcome);
    sl_log_entry_t le[FUZZ_NREFS + 1];
    fuzz_ref_entries(le);
    le[FUZZ_NREFS] = (sl_log_entry_t) { .lseq = FUZZ_NREFS + 1, .kind = "unit", .kind_len = 4,
                                        .key = "u2", .key_len = 2 };  /* a deletion */
    sl_msg_t log = { .type = SL_LOG, .sess = 7, .entries = le, .nentries = FUZZ_NREFS + 1,
                     .upto = FUZZ_NREFS + 1, .log_head = FUZZ_NREFS + 1 };
    s_frame(&s, -1, &log);
    sl_msg_t events = { .type = SL_EVENTS, .sess = 7, .server_seq = nt, .events = evs,
                        .nevents = nt };
    s_frame(&s, -1, &events);
    sl_msg_t ack = { .type = SL_ACK, .sess = 7, .acked = nt, .log_head = 6 };
    s_frame(&s, -1, &ack);
    s_write("fuzz_site", "first_sync", s.data, s.len);
    /* The district's commands, as server-log entries of kind "command". */
    s.len = 0;
    s_frame(&s, -1, &welcome);
    static const char *cmds[] = {
        "{\"uid\":\"00000000000000000000000000000001\",\"no\":1,\"verb\":\"ping\"}",
        "{\"uid\":\"00000000000000000000000000000002\",\"no\":2,\"verb\":\"status\"}",
        "{\"uid\":\"00000000000000000000000000000003\",\"no\":3,\"verb\":\"set\","
        "\"name\":\"log_level\",\"value\":\"debug\"}",
        "{\"uid\":\"00000000000000000000000000000004\",\"no\":4,\"verb\":\"log\","
        "\"lines\":\"5\"}",
        "{\"uid\":\"00000000000000000000000000000005\",\"no\":5,\"verb\":\"check\"}",
        "{\"uid\":\"00000000000000000000000000000006\",\"no\":6,\"verb\":\"notice\","
        "\"text\":\"请于周五前报送\"}",
        "{\"uid\":\"00000000000000000000000000000007\",\"no\":7,\"verb\":\"resend\","
        "\"from\":\"1\"}",
        "{\"uid\":\"00000000000000000000000000000008\",\"no\":8,\"verb\":\"set_server\","
        "\"endpoint\":\"tcp://127.0.0.1:9\"}",
    };
    sl_log_entry_t ce[8];
    for (size_t i = 0; i < 8; i++) {
        static char keys[8][40];
        snprintf(keys[i], sizeof keys[i], "%032zu", i + 1);
        ce[i] = (sl_log_entry_t) { .lseq = FUZZ_NREFS + 2 + i, .kind = "command", .kind_len = 7,
                                   .key = keys[i], .key_len = 32, .value = cmds[i],
                                   .value_len = strlen(cmds[i]) };
    }
    sl_msg_t clog = { .type = SL_LOG, .sess = 7, .entries = ce, .nentries = 8,
                      .upto = FUZZ_NREFS + 9, .log_head = FUZZ_NREFS + 9 };
    s_frame(&s, -1, &log);
    s_frame(&s, -1, &clog);
    s_write("fuzz_site", "commands", s.data, s.len);
    s.len = 0;
    s_frame(&s, -1, &welcome);
    sl_msg_t error = { .type = SL_ERROR, .sess = 7, .code = SL_E_INVALID,
                       .text = "字段 on 不是日期", .text_len = strlen("字段 on 不是日期"),
                       .field = "on", .field_len = 2, .seq = 1 };
    s_frame(&s, -1, &error);
    s_write("fuzz_site", "refused", s.data, s.len);
    s.len = 0;
    s_frame(&s, -1, &welcome);
    sl_msg_t gap = { .type = SL_ERROR, .sess = 7, .code = SL_E_GAP, .text = "gap", .text_len = 3,
                     .expected = 1 };
    s_frame(&s, -1, &gap);
    s_write("fuzz_site", "gap", s.data, s.len);

    /* fuzz_reply: tables as the admin tool gets them. */
    sl_str_t cells[] = { { "站点", 6 }, { "社区", 6 }, { "状态", 6 },
                         { "qu01.gongyuan", 13 }, { "c1 测试社区", 14 }, { "active", 6 },
                         { "qu01.x", 6 }, { "", 0 }, { "已撤销", 9 } };
    sl_msg_t reply = { .type = SL_REPLY, .sess = 7, .text = "2 个站点", .text_len = 11,
                       .columns = 3, .cells = cells, .ncells = 9 };
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    sl_msg_encode(&reply, &b);
    s_write("fuzz_reply", "table", b.data, b.size);
    reply.columns = 0;
    reply.ncells = 0;
    sl_msg_encode(&reply, &b);
    s_write("fuzz_reply", "text", b.data, b.size);
    msgpack_sbuffer_destroy(&b);

    /* fuzz_payload: [type index][payload] of each type. */
    for (size_t i = 0; i < nt; i++) {
        seq_t p = { 0 };
        uint8_t ti = (uint8_t) i;
        s_put(&p, &ti, 1);
        s_put(&p, pay[i].data, pay[i].size);
        s_write("fuzz_payload", sl_schema_at(i)->name, p.data, p.len);
        free(p.data);
    }
    for (size_t i = 0; i < nt; i++)
        msgpack_sbuffer_destroy(&pay[i]);
    free(pay);
    free(evs);
    free(s.data);
}

/* fuzz_entry: [type index][CSV] with a header of Chinese labels and one row. */
static void s_entry(void)
{
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        char head[2048] = "", row[2048] = "";
        size_t hl = 0, rl = 0;
        for (size_t j = 0; j < rt->nfields; j++) {
            const sl_field_t *f = &rt->fields[j];
            char v[256], label[256];
            switch (f->type) {
            case SL_F_TEXT: snprintf(v, sizeof v, "测试,\"引号\""); break;
            case SL_F_INT: snprintf(v, sizeof v, "%lld", (long long) (f->min > 1 ? f->min : 1)); break;
            case SL_F_DATE: snprintf(v, sizeof v, "2025-03-01"); break;
            case SL_F_ENUM:
                if (!sl_schema_choice(f, 0, v, sizeof v, label, sizeof label))
                    v[0] = 0;
                else if (label[0])
                    snprintf(v, sizeof v, "%s", label);
                break;
            case SL_F_ITEM: snprintf(v, sizeof v, "#1"); break;
            case SL_F_REF: snprintf(v, sizeof v, "%s", s_refkey(f->choices)); break;
            }
            hl += (size_t) snprintf(head + hl, sizeof head - hl, "%s%s", j ? "," : "", f->label);
            if (f->type == SL_F_TEXT)
                rl += (size_t) snprintf(row + rl, sizeof row - rl, "%s\"测试,\"\"引号\"\"\"",
                                        j ? "," : "");
            else
                rl += (size_t) snprintf(row + rl, sizeof row - rl, "%s%s", j ? "," : "", v);
        }
        seq_t p = { 0 };
        uint8_t ti = (uint8_t) i;
        s_put(&p, &ti, 1);
        s_put(&p, head, hl);
        s_put(&p, "\n", 1);
        s_put(&p, row, rl);
        s_put(&p, "\n", 1);
        s_write("fuzz_entry", rt->name, p.data, p.len);
        free(p.data);
    }
}

/* fuzz_keys: each kind of key file, as the writers write them, and the
 * NUL-split line of issue 14. */
static void s_keys(void)
{
    char path[512], err[600];
    sl_keypair_t kp = { "rq:A^E}=W+9J6[m[n:ZX?&/&%D5a0iZqCK:c+.^M",
                        "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6" };
    snprintf(path, sizeof path, "%s/corpus/fuzz_keys", s_root);
    s_mkdir(path);
    static const char *names[] = { "keyfile", "pubfile", "bundle", "credential" };
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/corpus/fuzz_keys/%s", s_root, names[i]);
        unlink(path);           /* the writers refuse to replace a key */
    }
    snprintf(path, sizeof path, "%s/corpus/fuzz_keys/keyfile", s_root);
    if (sl_keyfile_write(path, &kp, "a site's key", err, sizeof err))
        goto fail;
    snprintf(path, sizeof path, "%s/corpus/fuzz_keys/pubfile", s_root);
    if (sl_pubfile_write(path, kp.public_z85, err, sizeof err))
        goto fail;
    sl_bundle_t b = { .site = "qu01.gongyuan", .community = "c1",
                      .server = "tcp://127.0.0.1:7700", .enroll = kp,
                      .expires_ms = 1900000000000 };
    snprintf(b.server_public, sizeof b.server_public, "%s", kp.public_z85);
    snprintf(path, sizeof path, "%s/corpus/fuzz_keys/bundle", s_root);
    if (sl_bundle_write(path, &b, err, sizeof err))
        goto fail;
    sl_admin_cred_t c = { .name = "district", .server = "tcp://127.0.0.1:7700", .keys = kp };
    snprintf(c.server_public, sizeof c.server_public, "%s", kp.public_z85);
    snprintf(path, sizeof path, "%s/corpus/fuzz_keys/credential", s_root);
    if (sl_admin_cred_write(path, &c, err, sizeof err))
        goto fail;
    char nul[1100];
    memset(nul, 'x', sizeof nul);
    memcpy(nul, "comment = ", 10);
    nul[500] = 0;
    memcpy(nul + 1060, "\nsite = x\n", 10);
    s_write("fuzz_keys", "nul_split", nul, 1070);
    return;
fail:
    fprintf(stderr, "make_seeds: %s\n", err);
    exit(1);
}

/* ---- dictionaries --------------------------------------------------------------------- */

static void s_dict_word(FILE *f, const char *w)
{
    fputs("\"", f);
    for (const unsigned char *p = (const unsigned char *) w; *p; p++) {
        if (*p == '"' || *p == '\\' || *p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\x%02X", *p);
        else
            fputc(*p, f);
    }
    fputs("\"\n", f);
}

static FILE *s_dict_open(const char *target)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.dict", s_root, target);
    FILE *f = fopen(path, "w");
    if (!f)
        s_die(path);
    fprintf(f, "# %s: written by make_seeds.c; do not edit\n", target);
    return f;
}

/* Every record type, field, label and choice: the words of payloads and CSV. */
static void s_dict_schema(FILE *f)
{
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        s_dict_word(f, rt->name);
        s_dict_word(f, rt->label);
        for (size_t j = 0; j < rt->nfields; j++) {
            const sl_field_t *fl = &rt->fields[j];
            s_dict_word(f, fl->name);
            s_dict_word(f, fl->label);
            char name[256], label[256];
            for (size_t k = 0; fl->type == SL_F_ENUM
                               && sl_schema_choice(fl, k, name, sizeof name, label, sizeof label);
                 k++) {
                s_dict_word(f, name);
                if (label[0])
                    s_dict_word(f, label);
            }
        }
    }
}

static void s_dicts(void)
{
    static const char *proto[] = { "sess", "site", "last_seq", "last_hash", "cursor", "hlc",
                                   "agent", "server_seq", "match_seq", "match_hash", "log_head",
                                   "credit", "max_batch", "heartbeat_ms", "log_id", "events",
                                   "acked", "from", "max", "entries", "upto", "code", "text",
                                   "field", "seq", "expected", "verb", "args", "columns",
                                   "cells", "key", "after", "\xcd\x53\x4c", "\x94\xcd\x53\x4c\x01",
                                   NULL };
    static const char *verbs[] = { "site.enroll", "site.revoke", "site.list", "ref.put",
                                   "ref.del", "ref.list", "ref.import", "kind", "fields", "csv",
                                   "community", "enroll_key", "expires_ms", "unit", "member",
                                   "site.health", "command.send", "command.list",
                                   "command.cancel", "audit.list", "admin.list", "admin.revoke",
                                   "stats", "incidents.list", "report.dispatch", "report.five",
                                   "report.loop", "report.points", "report.records", "month",
                                   "year", "format", "raw", "all", "command", "args", "ping",
                                   "status", "resend", "set", "set_server", "log", "check",
                                   "rotate_key", "notice", "uid", "no", "verb",
                                   "team", "brand", "setting", "target", NULL };
    FILE *f;
    static const char *const peers[] = { "fuzz_server", "fuzz_site" };
    for (int k = 0; k < 2; k++) {
        f = s_dict_open(peers[k]);
        for (int i = 0; proto[i]; i++)
            s_dict_word(f, proto[i]);
        for (int i = 0; verbs[i]; i++)
            s_dict_word(f, verbs[i]);
        s_dict_schema(f);
        fclose(f);
    }
    f = s_dict_open("fuzz_payload");
    s_dict_schema(f);
    fclose(f);
    f = s_dict_open("fuzz_entry");
    s_dict_schema(f);
    static const char *csv[] = { ",", "\"", "\"\"", "\r\n", "#", "\xef\xbb\xbf", "\xff\xfe",
                                 "\xfe\xff", "2025-03-01", "2025/3/1", "20250301", NULL };
    for (int i = 0; csv[i]; i++)
        s_dict_word(f, csv[i]);
    fclose(f);
    f = s_dict_open("fuzz_keys");
    static const char *keys[] = { "public", "secret", "site", "community", "server",
                                  "server_public", "enroll_public", "enroll_secret",
                                  "expires_ms", "bundle_version", "name", " = ", "=", "\n", "#",
                                  "[", "]", "tcp://127.0.0.1:7700", NULL };
    for (int i = 0; keys[i]; i++)
        s_dict_word(f, keys[i]);
    fclose(f);
    f = s_dict_open("fuzz_reply");
    for (int i = 0; proto[i]; i++)
        s_dict_word(f, proto[i]);
    static const char *wide[] = { "\xe4\xb8\xad", "\xe2\x80\x8b", "\xf0\x9f\x98\x80",
                                  "\xcc\x81", "\t", "\x1b[", NULL };
    for (int i = 0; wide[i]; i++)
        s_dict_word(f, wide[i]);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR   (DIR: tests/fuzz)\n");
        return 2;
    }
    s_root = argv[1];
    s_server_and_site();
    s_entry();
    s_keys();
    s_dicts();
    return 0;
}
