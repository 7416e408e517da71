/* shuanglian-site: the community service center's tool.
 *
 *   shuanglian-site init --site ID [--server ENDPOINT] [--data DIR]
 *   shuanglian-site record add TYPE FIELD=VALUE…
 *   shuanglian-site record import TYPE FILE.csv
 *   shuanglian-site record list [--type TYPE] [--limit N]
 *   shuanglian-site record types
 *   shuanglian-site status
 *   shuanglian-site sync [--watch]
 *   shuanglian-site ref list [KIND]
 *
 * Entry works with no network at all; only `sync` talks to the server.
 * This file parses arguments and prints; the work is in site_store.c and
 * site_sync.c. */
#include "site_store.h"
#include "site_sync.h"
#include "sl_cli.h"
#include "sl_csv.h"
#include "sl_db.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_keys.h"
#include "sl_log.h"
#include "sl_refkinds.h"
#include "sl_schema.h"
#include "sl_text.h"
#include <czmq.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG "shuanglian-site"
#define DEFAULT_DATA "site-data"
#define DEFAULT_SERVER "tcp://127.0.0.1:7450"

static const char *s_data = DEFAULT_DATA;
#define DATA_OPT { "--data", "DIR", "site data directory (default " DEFAULT_DATA ")", &s_data, NULL }

static site_store_t *s_open(const char *command)
{
    char err[512];
    site_store_t *store = site_store_open(s_data, err, sizeof err);
    if (!store)
        fprintf(stderr, "%s: %s\n", command, err);
    return store;
}

static void s_time(int64_t ms, char *out, size_t cap)
{
    if (ms <= 0) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* init --bundle: the site's store, its own long-term key pair (made here:
 * its secret never travels) and the bundle's one-time key, kept until the
 * first sync has enrolled the long-term key. */
static int s_init_bundle(const char *path)
{
    char err[600], keypath[600];
    sl_bundle_t b;
    if (sl_bundle_read(path, &b, err, sizeof err)) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    if (b.expires_ms < sl_now_ms()) {
        char when[32];
        s_time(b.expires_ms, when, sizeof when);
        fprintf(stderr, PROG " init: this enrollment bundle expired on %s; ask the district "
                "administrator for a new one\n", when);
        memset(&b.enroll, 0, sizeof b.enroll);
        return SL_EXIT_FAIL;
    }
    sl_keypair_t mine;
    int rc = site_store_init(s_data, b.site, b.server, err, sizeof err);
    site_store_t *store = rc ? NULL : site_store_open(s_data, err, sizeof err);
    if (!store || site_store_set_meta(store, "server_public", b.server_public)
        || site_store_set_meta(store, "community", b.community)) {
        fprintf(stderr, PROG " init: %s\n", store ? "cannot write the site database" : err);
        site_store_destroy(&store);
        memset(&b.enroll, 0, sizeof b.enroll);
        return SL_EXIT_FAIL;
    }
    site_store_destroy(&store);
    snprintf(keypath, sizeof keypath, "%s/site.key", s_data);
    rc = sl_keypair_new(&mine) || sl_keyfile_write(keypath, &mine, "shuanglian site key", err, sizeof err);
    snprintf(keypath, sizeof keypath, "%s/enroll.key", s_data);
    rc = rc || sl_keyfile_write(keypath, &b.enroll, "one-time enrollment key (deleted once enrolled)",
                                err, sizeof err);
    memset(&mine, 0, sizeof mine);
    memset(&b.enroll, 0, sizeof b.enroll);
    if (rc) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    printf("站点已创建 site created: %s (%s) in %s, server %s\n", b.site, b.community, s_data,
           b.server);
    printf("  records can be entered now; the first sync completes the enrollment.\n"
           "  请删除注册包文件 delete the bundle file now: %s\n", path);
    return 0;
}

static int s_init(int argc, char **argv)
{
    const char *site = NULL, *server = DEFAULT_SERVER, *bundle = NULL;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--bundle", "FILE", "enrollment bundle from the district (the normal way)", &bundle, NULL },
        { "--site", "ID", "without a bundle: this site's id, for a server run with --insecure "
          "(benchmarks and tests on one machine only)", &site, NULL },
        { "--server", "ENDPOINT", "without a bundle: the server (default " DEFAULT_SERVER ")",
          &server, NULL },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " init", "--bundle FILE [--data DIR]",
                          "Creates this site's local store (DIR/site.db) from the enrollment "
                          "bundle the district gave you, and this site's own key pair "
                          "(DIR/site.key).  Records can be entered at once; the first sync "
                          "completes the enrollment.", opts, 4, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (bundle && site) {
        fprintf(stderr, PROG " init: give --bundle or --site, not both\n");
        return SL_EXIT_USAGE;
    }
    if (bundle)
        return s_init_bundle(bundle);
    if (!site) {
        fprintf(stderr, PROG " init: --bundle FILE is required (see " PROG " init --help)\n");
        return SL_EXIT_USAGE;
    }
    char err[512];
    if (site_store_init(s_data, site, server, err, sizeof err)) {
        fprintf(stderr, PROG " init: %s\n", err);
        return SL_EXIT_FAIL;
    }
    printf("站点已创建 site created: %s in %s/site.db, server %s (no keys: for a server run "
           "with --insecure only)\n", site, s_data, server);
    return 0;
}

static const sl_rtype_t *s_type(const char *command, const char *name)
{
    const sl_rtype_t *rt = sl_schema_find_entry(name);
    if (!rt) {
        fprintf(stderr, "%s: unknown record type \"%s\"; types are:", command, name);
        for (size_t i = 0; i < sl_schema_count(); i++)
            fprintf(stderr, " %s(%s)", sl_schema_at(i)->name, sl_schema_at(i)->label);
        fprintf(stderr, " (see " PROG " record types)\n");
    }
    return rt;
}

/* The id of this site's record `seq`, as text; 0 or -1 when there is none. */
static int s_id_of(site_store_t *store, long seq, char text[SL_ID_TEXT])
{
    sqlite3_stmt *st = sl_db_prepare(site_store_db(store), "SELECT id FROM events WHERE seq = ?");
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, seq);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == SL_ID_BYTES) {
            sl_id_format(sqlite3_column_blob(st, 0), text);
            rc = 0;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* "#12" in a record-id field (add, or a CSV column) stands for the id of
 * this site's record 12, as `record list` shows it: rewrites values[k] to
 * point at the id text in ids[k].  Other fields keep '#' as typed.  0, or
 * -1 with a sentence naming the field. */
static int s_resolve_seq_refs(site_store_t *store, const sl_rtype_t *rt, size_t n,
                              const char *const *names, const char **values,
                              char ids[][SL_ID_TEXT], char *err, size_t errlen)
{
    for (size_t k = 0; k < n; k++) {
        bool is_ref = false;
        for (size_t f = 0; f < rt->nfields; f++)
            if (rt->fields[f].type == SL_F_REF && (strcmp(rt->fields[f].name, names[k]) == 0
                                                   || strcmp(rt->fields[f].label, names[k]) == 0))
                is_ref = true;
        if (!is_ref || values[k][0] != '#')
            continue;
        char *end;
        long seq = strtol(values[k] + 1, &end, 10);
        if (*end || end == values[k] + 1 || seq < 1 || s_id_of(store, seq, ids[k])) {
            snprintf(err, errlen, "%s=%s: this site has no record %s (see " PROG " record list)",
                     names[k], values[k], values[k]);
            return -1;
        }
        values[k] = ids[k];
    }
    return 0;
}

static int s_record_add(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[SL_MAX_FIELDS + 1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record add", "TYPE FIELD=VALUE… [--data DIR]",
                          "Saves one record locally (works offline).  'record types' lists the "
                          "types and fields; Chinese names work too (一事一评 星级=5).  A record "
                          "id may be given as #SEQ, the number that "
                          "'record list' shows.\nexample: " PROG " record add rating item=#12 stars=5",
                          opts, 1, pos, SL_MAX_FIELDS + 1, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos < 1) {
        fprintf(stderr, PROG " record add: TYPE is required (see " PROG " record types)\n");
        return SL_EXIT_USAGE;
    }
    const sl_rtype_t *rt = s_type(PROG " record add", pos[0]);
    if (!rt)
        return SL_EXIT_USAGE;
    const char *names[SL_MAX_FIELDS], *values[SL_MAX_FIELDS];
    char *copies[SL_MAX_FIELDS];
    size_t n = 0;
    for (size_t i = 1; i < npos; i++) {
        char *eq = strchr(pos[i], '=');
        if (!eq || eq == pos[i]) {
            fprintf(stderr, PROG " record add: \"%s\" must be FIELD=VALUE\n", pos[i]);
            for (size_t k = 0; k < n; k++)
                free(copies[k]);
            return SL_EXIT_USAGE;
        }
        copies[n] = strndup(pos[i], (size_t) (eq - pos[i]));
        names[n] = copies[n];
        values[n] = eq + 1;
        n++;
    }
    site_store_t *store = s_open(PROG " record add");
    rc = store ? 0 : SL_EXIT_FAIL;
    char ids[SL_MAX_FIELDS][SL_ID_TEXT], why[300];
    if (!rc && s_resolve_seq_refs(store, rt, n, names, values, ids, why, sizeof why)) {
        fprintf(stderr, PROG " record add: %s\n", why);
        rc = SL_EXIT_USAGE;
    }
    msgpack_sbuffer payload;
    msgpack_sbuffer_init(&payload);
    char err[600];
    uint64_t seq;
    uint8_t id[SL_ID_BYTES];
    if (!rc && sl_schema_build(rt, n, names, values, &payload, site_store_ref_lookup, store,
                               err, sizeof err)) {
        fprintf(stderr, PROG " record add: %s\n", err);
        rc = SL_EXIT_USAGE;
    } else if (!rc && site_store_append(store, rt, (const uint8_t *) payload.data, payload.size,
                                        &seq, id, err, sizeof err)) {
        fprintf(stderr, PROG " record add: not saved: %s\n", err);
        rc = SL_EXIT_FAIL;
    } else if (!rc) {
        char text[SL_ID_TEXT];
        sl_id_format(id, text);
        printf("已保存 saved: %s %s #%llu id=%s\n", rt->label, rt->name,
               (unsigned long long) seq, text);
    }
    msgpack_sbuffer_destroy(&payload);
    for (size_t k = 0; k < n; k++)
        free(copies[k]);
    site_store_destroy(&store);
    return rc;
}

static int s_record_import(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record import", "TYPE FILE.csv [--data DIR]",
                          "Saves every row of a CSV file (UTF-8, first row = field names) as a "
                          "record of TYPE.  All rows or none: the first bad row stops the "
                          "import and nothing is saved.", opts, 1, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos != 2) {
        fprintf(stderr, PROG " record import: TYPE and FILE are required\n");
        return SL_EXIT_USAGE;
    }
    const sl_rtype_t *rt = s_type(PROG " record import", pos[0]);
    if (!rt)
        return SL_EXIT_USAGE;
    FILE *f = strcmp(pos[1], "-") == 0 ? stdin : fopen(pos[1], "r");
    if (!f) {
        fprintf(stderr, PROG " record import: cannot read %s\n", pos[1]);
        return SL_EXIT_FAIL;
    }
    site_store_t *store = s_open(PROG " record import");
    if (!store) {
        if (f != stdin)
            fclose(f);
        return SL_EXIT_FAIL;
    }
    enum { CAP = 65536 };
    char *head_buf = malloc(CAP), *row_buf = malloc(CAP);
    char *heads[SL_MAX_FIELDS], *cells[SL_MAX_FIELDS];
    char err[700], why[600];
    long line = 0, rows = 0;
    msgpack_sbuffer payload;
    msgpack_sbuffer_init(&payload);
    rc = SL_EXIT_FAIL;
    sl_csv_t *csv = sl_csv_from_file(f);
    int nh = head_buf && row_buf && csv
             ? sl_csv_row(csv, heads, SL_MAX_FIELDS, head_buf, CAP, err, sizeof err) : -1;
    if (nh <= 0) {
        if (nh == 0)
            snprintf(err, sizeof err, "file is empty: the first row must name the fields");
        rc = SL_EXIT_USAGE;
    } else if (site_store_begin(store)) {
        snprintf(err, sizeof err, "cannot start a transaction");
    } else {
        int nc;
        rc = 0;
        while ((nc = sl_csv_row(csv, cells, SL_MAX_FIELDS, row_buf, CAP, err, sizeof err)) > 0) {
            line = sl_csv_line(csv);
            if (nc == 1 && cells[0][0] == 0)
                continue;       /* blank line */
            if (nc != nh) {
                snprintf(err, sizeof err, "line %ld: %d fields, the header has %d", line, nc, nh);
                rc = SL_EXIT_USAGE;
                break;
            }
            char ids[SL_MAX_FIELDS][SL_ID_TEXT];
            if (s_resolve_seq_refs(store, rt, (size_t) nh, (const char *const *) heads,
                                   (const char **) cells, ids, why, sizeof why)) {
                snprintf(err, sizeof err, "line %ld: %s", line, why);
                rc = SL_EXIT_USAGE;
            }
            if (rc)
                break;
            msgpack_sbuffer_clear(&payload);
            if (sl_schema_build(rt, (size_t) nh, (const char *const *) heads,
                                (const char *const *) cells, &payload, site_store_ref_lookup,
                                store, why, sizeof why)) {
                snprintf(err, sizeof err, "line %ld: %s", line, why);
                rc = SL_EXIT_USAGE;
                break;
            }
            if (site_store_add(store, rt, (const uint8_t *) payload.data, payload.size, NULL,
                               NULL, why, sizeof why)) {
                snprintf(err, sizeof err, "line %ld: %s", line, why);
                rc = SL_EXIT_FAIL;
                break;
            }
            rows++;
        }
        if (nc < 0 && rc == 0)
            rc = SL_EXIT_USAGE;
        if (rc == 0 && site_store_commit(store)) {
            snprintf(err, sizeof err, "cannot commit");
            rc = SL_EXIT_FAIL;
        }
        if (rc)
            site_store_rollback(store);
    }
    if (rc)
        fprintf(stderr, PROG " record import: %s: %s; nothing was saved\n", pos[1], err);
    else
        printf("已保存 saved: %ld %s (%s) records from %s\n", rows, rt->label, rt->name, pos[1]);
    msgpack_sbuffer_destroy(&payload);
    sl_csv_destroy(&csv);
    free(head_buf);
    free(row_buf);
    if (f != stdin)
        fclose(f);
    site_store_destroy(&store);
    return rc;
}

/* In a rendered record, replaces each referenced record's id by "#SEQ 标题":
 * a rating then says what was rated.  Ids of records this site does not
 * hold stay as they are. */
static void s_name_refs(site_store_t *store, const sl_rtype_t *rt, const uint8_t *payload,
                        size_t len, char *content, size_t cap)
{
    for (size_t k = 0; k < rt->nfields; k++) {
        if (rt->fields[k].type != SL_F_REF)
            continue;
        char idtext[SL_ID_TEXT + 8], name[400], out[2048];
        uint8_t id[SL_ID_BYTES];
        sl_schema_field_text(rt, payload, len, rt->fields[k].name, idtext, sizeof idtext);
        char *at = sl_id_parse(idtext, id) ? NULL : strstr(content, idtext);
        if (!at)
            continue;
        sqlite3_stmt *q = sl_db_prepare(site_store_db(store),
                                        "SELECT seq, type, payload FROM events WHERE id = ?");
        if (!q)
            continue;
        sqlite3_bind_blob(q, 1, id, SL_ID_BYTES, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            const char *type = sl_db_text(q, 1);
            const sl_rtype_t *rrt = sl_schema_find(type, strlen(type));
            char first[300] = "";
            /* The referenced record's first required text field: its title. */
            for (size_t f = 0; rrt && f < rrt->nfields && !first[0]; f++)
                if (rrt->fields[f].type == SL_F_TEXT && rrt->fields[f].required
                    && strcmp(rrt->fields[f].name, "unit") != 0)
                    sl_schema_field_text(rrt, sqlite3_column_blob(q, 2),
                                         (size_t) sqlite3_column_bytes(q, 2),
                                         rrt->fields[f].name, first, sizeof first);
            snprintf(name, sizeof name, "#%lld %s", (long long) sqlite3_column_int64(q, 0), first);
            snprintf(out, sizeof out, "%.*s%s%s", (int) (at - content), content, name,
                     at + strlen(idtext));
            snprintf(content, cap, "%s", out);
        }
        sqlite3_finalize(q);
    }
}

static int s_record_list(int argc, char **argv)
{
    const char *type = NULL, *limit = "20";
    bool tsv = false;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--type", "TYPE", "only records of this type", &type, NULL },
        { "--limit", "N", "newest N records (default 20; 0 = all)", &limit, NULL },
        { "--tsv", NULL, "machine-readable output", NULL, &tsv },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record list", "[--type TYPE] [--limit N] [--tsv]",
                          "Lists saved records, newest first, with their sync state.",
                          opts, 4, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long lim;
    if (sl_cli_number(PROG " record list", "--limit", limit, 0, 1000000000, &lim))
        return SL_EXIT_USAGE;
    if (type && !s_type(PROG " record list", type))
        return SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " record list");
    if (!store)
        return SL_EXIT_FAIL;
    uint64_t acked = site_store_acked(store);
    sqlite3_stmt *st = sl_db_prepare(site_store_db(store),
        "SELECT seq, id, wall_ms, type, payload FROM events WHERE (?1 IS NULL OR type = ?1)"
        " ORDER BY seq DESC LIMIT ?2");
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, lim ? lim : -1);
    const char *heads[] = { "序号 seq", "类型 type", "录入时间 entered", "同步 synced",
                            "编号 id", "内容 content" };
    sl_table_t *t = sl_table_new(6, heads);
    sl_table_align(t, 0, 'r');
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        char seq[32], when[32], id[SL_ID_TEXT], content[2048];
        uint64_t s = (uint64_t) sqlite3_column_int64(st, 0);
        snprintf(seq, sizeof seq, "%llu", (unsigned long long) s);
        s_time(sqlite3_column_int64(st, 2), when, sizeof when);
        if (sqlite3_column_bytes(st, 1) == SL_ID_BYTES)
            sl_id_format(sqlite3_column_blob(st, 1), id);
        else
            snprintf(id, sizeof id, "?");
        const char *tname = sl_db_text(st, 3);
        const sl_rtype_t *rt = sl_schema_find(tname, strlen(tname));
        if (rt) {
            sl_schema_render(rt, sqlite3_column_blob(st, 4),
                             (size_t) sqlite3_column_bytes(st, 4), content, sizeof content);
            s_name_refs(store, rt, sqlite3_column_blob(st, 4),
                        (size_t) sqlite3_column_bytes(st, 4), content, sizeof content);
        } else
            snprintf(content, sizeof content, "(unknown type)");
        const char *row[] = { seq, rt ? rt->label : tname, when,
                              s <= acked ? "已同步 yes" : "待同步 no", id, content };
        if (tsv)
            printf("%s\t%s\t%s\t%s\t%s\t%s\n", seq, tname, when, s <= acked ? "yes" : "no",
                   id, content);
        else
            sl_table_add(t, row);
    }
    sqlite3_finalize(st);
    if (!tsv)
        sl_table_print(t, stdout);
    sl_table_destroy(&t);
    site_store_destroy(&store);
    return 0;
}

static int s_record_types(int argc, char **argv)
{
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " record types", "",
                          "Lists the record types and their fields.", NULL, 0, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    static const char *tnames[] = { "text", "integer", "date", "choice", "record id" };
    for (size_t i = 0; i < sl_schema_count(); i++) {
        const sl_rtype_t *rt = sl_schema_at(i);
        printf("%s %s (%s)\n", rt->label, rt->name, rt->label_en);
        const char *heads[] = { "字段 field", "名称 label", "类型 type", "必填 required",
                                "范围 range" };
        sl_table_t *t = sl_table_new(5, heads);
        for (size_t k = 0; k < rt->nfields; k++) {
            const sl_field_t *f = &rt->fields[k];
            char range[300];
            if (f->type == SL_F_ENUM) {
                char name[65], label[65];
                size_t used = 0;
                range[0] = 0;
                for (size_t c = 0; used < sizeof range
                                   && sl_schema_choice(f, c, name, sizeof name, label, sizeof label); c++)
                    used += (size_t) snprintf(range + used, sizeof range - used, "%s%s %s",
                                              c ? " | " : "", name, label);
            } else if (f->type == SL_F_REF)
                snprintf(range, sizeof range, "%s", f->choices);
            else if (f->type == SL_F_DATE)
                snprintf(range, sizeof range, "2000-01-01..2099-12-31");
            else if (f->type == SL_F_TEXT)
                snprintf(range, sizeof range, "%lld..%lld 字 chars", (long long) f->min,
                         (long long) f->max);
            else
                snprintf(range, sizeof range, "%lld..%lld", (long long) f->min, (long long) f->max);
            const char *row[] = { f->name, f->label, tnames[f->type],
                                  f->required ? "是 yes" : "否 no", range };
            sl_table_add(t, row);
        }
        sl_table_print(t, stdout);
        sl_table_destroy(&t);
        printf("\n");
    }
    return 0;
}

static int s_record(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "add") == 0)
        return s_record_add(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return s_record_import(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "list") == 0)
        return s_record_list(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "types") == 0)
        return s_record_types(argc - 1, argv + 1);
    bool help = argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0);
    fprintf(help ? stdout : stderr,
            "usage: " PROG " record add|import|list|types …\n\n"
            "  add TYPE FIELD=VALUE…    save one record (works offline)\n"
            "  import TYPE FILE.csv     save every row of a CSV file, all or nothing\n"
            "  list [--type TYPE]       newest records and whether they are synced\n"
            "  types                    record types and their fields\n");
    return help ? 0 : SL_EXIT_USAGE;
}

static int s_status(int argc, char **argv)
{
    bool tsv = false;
    sl_opt_t opts[] = { DATA_OPT, { "--tsv", NULL, "machine-readable output (key<TAB>value)",
                                    NULL, &tsv } };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " status", "[--data DIR] [--tsv]",
                          "Shows local records, the outbox and the last sync.  Works offline.",
                          opts, 2, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    site_store_t *store = s_open(PROG " status");
    if (!store)
        return SL_EXIT_FAIL;
    uint64_t last = site_store_last_seq(store), acked = site_store_acked(store);
    uint64_t pending = last > acked ? last - acked : 0;
    char ok_ms[32], att_ms[32], result[600], server_seq[32], log_head[32];
    site_store_meta(store, "last_sync_ok_ms", ok_ms, sizeof ok_ms);
    site_store_meta(store, "last_sync_attempt_ms", att_ms, sizeof att_ms);
    site_store_meta(store, "last_sync_result", result, sizeof result);
    site_store_meta(store, "server_seq", server_seq, sizeof server_seq);
    site_store_meta(store, "log_head", log_head, sizeof log_head);
    long long refs = sl_db_int(site_store_db(store), "SELECT count(*) FROM refdata", 0);
    char when_ok[32], when_att[32], v[8][64];
    s_time(atoll(ok_ms), when_ok, sizeof when_ok);
    s_time(atoll(att_ms), when_att, sizeof when_att);
    snprintf(v[0], 64, "%llu", (unsigned long long) last);
    snprintf(v[1], 64, "%llu", (unsigned long long) pending);
    snprintf(v[2], 64, "%llu", (unsigned long long) acked);
    snprintf(v[3], 64, "%llu", (unsigned long long) site_store_cursor(store));
    snprintf(v[4], 64, "%s", *log_head ? log_head : "-");
    snprintf(v[5], 64, "%lld", refs);
    const char *rows[][3] = {
        { "站点 site", "site", site_store_site_id(store) },
        { "服务器 server", "server", site_store_server(store) },
        { "本地记录 local records", "local_records", v[0] },
        { "待同步 outbox pending", "outbox_pending", v[1] },
        { "服务器已确认 acknowledged up to", "acked_seq", v[2] },
        { "最近成功同步 last successful sync", "last_sync_ok", when_ok },
        { "最近同步尝试 last sync attempt", "last_sync_attempt", when_att },
        { "最近结果 last result", "last_sync_result", *result ? result : "-" },
        { "下行游标 server cursor", "cursor", v[3] },
        { "服务器日志头 server log head (at last sync)", "log_head", v[4] },
        { "参考数据 reference entries", "refdata", v[5] },
    };
    const char *heads[] = { "项目 item", "值 value" };
    sl_table_t *t = sl_table_new(2, heads);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (tsv) {
            printf("%s\t%s\n", rows[i][1], rows[i][2]);
        } else {
            const char *row[] = { rows[i][0], rows[i][2] };
            sl_table_add(t, row);
        }
    }
    if (!tsv)
        sl_table_print(t, stdout);
    sl_table_destroy(&t);
    site_store_destroy(&store);
    return 0;
}

static void s_on_signal(int sig)
{
    (void) sig;
    site_sync_stop();
}

static bool s_rotate_key;       /* set by the rotate-key verb */

static int s_sync(int argc, char **argv)
{
    bool watch = false, quiet = false;
    const char *timeout = "10", *server = NULL;
    sl_opt_t opts[] = {
        DATA_OPT,
        { "--watch", NULL, "stay connected; push new records as they are saved", NULL, &watch },
        { "--timeout", "S", "give up after S seconds without an answer (default 10)", &timeout, NULL },
        { "--server", "ENDPOINT", "use this server instead of the one set at init", &server, NULL },
        { "--quiet", NULL, "log only warnings and errors", NULL, &quiet },
    };
    char *pos[1];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " sync", "[--watch] [--timeout S] [--data DIR]",
                          "Sends unsynced records to the district server and receives reference "
                          "data.  Without --watch: syncs once, prints a summary and exits\n"
                          "(0 level with the server, 2 server unreachable, 3 refused by the "
                          "server, 1 local failure).  Records are never lost either way.",
                          opts, 5, pos, 0, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    long secs;
    if (sl_cli_number(PROG " sync", "--timeout", timeout, 1, 86400, &secs))
        return SL_EXIT_USAGE;
    if (quiet)
        sl_log_set_level(SL_LOG_WARN);
    if (server && (strncmp(server, "tcp://", 6) != 0 || !strchr(server + 6, ':'))) {
        fprintf(stderr, PROG " sync: --server \"%s\" must look like tcp://HOST:PORT\n", server);
        return SL_EXIT_USAGE;
    }
    site_store_t *store = s_open(PROG " sync");
    if (!store)
        return SL_EXIT_FAIL;
    zsys_handler_set(NULL);
    struct sigaction sa = { 0 };
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    site_sync_opts_t so = { .watch = watch, .connect_timeout_ms = (int) secs * 1000,
                            .endpoint = server, .data_dir = s_data, .rotate = s_rotate_key };
    site_sync_report_t r;
    site_sync_result_t result = site_sync_run(store, &so, &r);
    uint64_t pending = r.local_last > r.acked_after ? r.local_last - r.acked_after : 0;
    const char *word = result == SITE_SYNC_OK ? "同步完成 sync done"
                     : result == SITE_SYNC_UNREACHABLE ? "未连上服务器 server unreachable"
                     : result == SITE_SYNC_REFUSED ? "服务器拒绝 refused" : "同步失败 sync failed";
    printf("%s: %s\n", word, r.text);
    if (r.enrolled)
        printf("  注册完成 enrolled: this site now connects with its own key\n");
    if (r.rotated)
        printf("  密钥已更换 key rotated: the old key no longer works\n");
    else if (s_rotate_key && result == SITE_SYNC_OK)
        printf("  key rotation was not confirmed; run rotate-key again\n");
    if (result == SITE_SYNC_UNREACHABLE || result == SITE_SYNC_FAILED)
        printf("  站点 site %s: %llu records saved here, %llu waiting to send; "
               "记录已安全保存在本机 records are safe on this computer\n",
               site_store_site_id(store), (unsigned long long) r.local_last,
               (unsigned long long) pending);
    else
        printf("  站点 site %s: %llu records, server holds %llu, %llu waiting to send\n",
               site_store_site_id(store), (unsigned long long) r.local_last,
               (unsigned long long) r.server_seq, (unsigned long long) pending);
    printf("  sent %llu, acknowledged %llu new, restored from server %llu, "
           "reference entries applied %llu (cursor %llu)\n",
           (unsigned long long) r.sent_events,
           (unsigned long long) (r.acked_after > r.acked_before ? r.acked_after - r.acked_before : 0),
           (unsigned long long) r.restored, (unsigned long long) r.log_entries,
           (unsigned long long) r.cursor_after);
    site_store_destroy(&store);
    switch (result) {
    case SITE_SYNC_OK: return 0;
    case SITE_SYNC_UNREACHABLE: return SL_EXIT_UNREACHABLE;
    case SITE_SYNC_REFUSED: return SL_EXIT_REFUSED;
    default: return SL_EXIT_FAIL;
    }
}

/* One row of `ref list`: with a kind, its fields as columns; without, the
 * kind and the whole entry in one column. */
typedef struct {
    sl_table_t *table;
    const sl_refkind_t *kind;       /* NULL: every kind */
    char *texts;                    /* kind: a cell per field, SL_MAX_TEXT_BYTES each */
    size_t rows;
} ref_rows_t;

static int s_ref_row(void *ctx, const char *kind, const char *key, const char *value,
                     size_t value_len, uint64_t lseq)
{
    ref_rows_t *x = ctx;
    char seq[24], content[SL_MAX_TEXT_BYTES], kind_text[200];
    const char *row[2 + SL_MAX_FIELDS + 1];
    size_t n = 0;
    snprintf(seq, sizeof seq, "%llu", (unsigned long long) lseq);
    if (x->kind) {
        row[n++] = key;
        sl_refvalue_cells(x->kind, value, value_len, x->texts, SL_MAX_TEXT_BYTES, row + n);
        n += x->kind->nfields;
    } else {
        const sl_refkind_t *k = sl_refkind_find(kind);
        snprintf(kind_text, sizeof kind_text, "%s%s%s", k ? k->label : "", k ? " " : "", kind);
        sl_refvalue_render(k, value, value_len, content, sizeof content);
        row[n++] = kind_text;
        row[n++] = key;
        row[n++] = content;
    }
    row[n++] = seq;
    x->rows++;
    return sl_table_add(x->table, row);
}

static int s_ref(int argc, char **argv)
{
    sl_opt_t opts[] = { DATA_OPT };
    char *pos[2];
    size_t npos;
    int rc = sl_cli_parse(argc, argv, PROG " ref", "list [KIND] [--data DIR]",
                          "Shows the reference data received from the district server (units, "
                          "members, communities, targets, settings …).  With KIND (a wire name "
                          "or its Chinese name, e.g. member or 在职党员), one column per field.",
                          opts, 1, pos, 2, &npos);
    if (rc)
        return rc > 0 ? 0 : SL_EXIT_USAGE;
    if (npos < 1 || strcmp(pos[0], "list") != 0) {
        fprintf(stderr, PROG " ref: expected 'list [KIND]'\n");
        return SL_EXIT_USAGE;
    }
    ref_rows_t x = { .kind = npos > 1 ? sl_refkind_find(pos[1]) : NULL };
    if (npos > 1 && !x.kind) {
        char err[600];
        sl_refkind_unknown(pos[1], err, sizeof err);
        fprintf(stderr, PROG " ref list: %s\n", err);
        return SL_EXIT_USAGE;
    }
    site_store_t *store = s_open(PROG " ref");
    if (!store)
        return SL_EXIT_FAIL;
    const char *heads[2 + SL_MAX_FIELDS + 1];
    char texts[SL_MAX_FIELDS + 1][SL_MAX_NAME_BYTES * 3];
    size_t n = 0;
    if (x.kind) {
        n += sl_refkind_headings(x.kind, texts[0], sizeof texts[0], heads);
    } else {
        heads[n++] = "类别 kind";
        heads[n++] = "键 key";
        heads[n++] = "内容 content";
    }
    heads[n++] = "序号 lseq";
    x.table = sl_table_new(n, heads);
    x.texts = malloc((x.kind ? x.kind->nfields : 1) * SL_MAX_TEXT_BYTES);
    rc = x.table && x.texts ? site_store_ref_each(store, x.kind ? x.kind->name : NULL,
                                                  s_ref_row, &x) : -1;
    free(x.texts);
    if (rc)
        fprintf(stderr, PROG " ref list: cannot read the reference data\n");
    else
        sl_table_print(x.table, stdout);
    sl_table_destroy(&x.table);
    site_store_destroy(&store);
    return rc ? SL_EXIT_FAIL : 0;
}

static int s_rotate(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: " PROG " rotate-key [--data DIR] [--timeout S]\n\n"
               "Replaces this site's key pair with a new one, with the server's agreement,\n"
               "then syncs.  History and outbox are untouched.  Safe to run again after an\n"
               "interruption: it finishes the same rotation.\n");
        return 0;
    }
    s_rotate_key = true;
    return s_sync(argc, argv);
}

static void s_usage(FILE *out)
{
    fprintf(out,
        "usage: " PROG " VERB [options]\n\n"
        "The community site of shuanglian (双进双联): records are saved locally and\n"
        "synced to the district server when a link exists.\n\n"
        "verbs:\n"
        "  init      create this site's local store\n"
        "  record    add, import, list records; list record types\n"
        "  status    local records, outbox, last sync (offline)\n"
        "  sync      send records to the server, receive reference data\n"
        "  ref       reference data received from the server\n"
        "  rotate-key  replace this site's key pair (keeps history and outbox)\n\n"
        "Run '" PROG " VERB --help' for a verb's options.\n");
}

int main(int argc, char **argv)
{
    static const sl_verb_t verbs[] = {
        { "init", s_init }, { "record", s_record }, { "status", s_status },
        { "sync", s_sync }, { "ref", s_ref }, { "rotate-key", s_rotate },
    };
    return sl_cli_main(argc, argv, PROG, verbs, sizeof verbs / sizeof verbs[0], s_usage);
}
