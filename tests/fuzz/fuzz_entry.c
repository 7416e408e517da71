/* fuzz_entry: entry at a site from text (issue 14): a CSV file to
 * `record import` (the CSV reader, the #SEQ resolver, names and choices in
 * Chinese, sl_schema_build, the fold's rules at entry), in-process against a
 * real site store with reference data and earlier records.  The first byte
 * picks the record type (its high bit: duplicate rows allowed); the rest is
 * the file, in any encoding the site reads (UTF-8, GBK, UTF-16 …).  Invariant: whatever the site
 * builds and saves passes the server's check of its wire form
 * (sl_schema_check), as it will when it syncs.  Seeds:
 * tests/fuzz/corpus/fuzz_entry/. */
#include "fuzz_dir.h"
#include "site_entry.h"
#include "site_store.h"
#include "sl_log.h"
#include "sl_msg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool s_ready;

/* The template: a site with reference data and two earlier records. */
static void s_new_site(const char *dir)
{
    char err[600];
    if (site_store_init(dir, "qu01.fuzz", "tcp://127.0.0.1:9", err, sizeof err))
        abort();
    site_store_t *store = site_store_open(dir, err, sizeof err);
    sl_log_entry_t e[FUZZ_NREFS];
    fuzz_ref_entries(e);
    if (!store || site_store_apply_log(store, e, FUZZ_NREFS, FUZZ_NREFS, NULL, NULL, err,
                                          sizeof err))
        abort();
    /* Earlier records for #SEQ and ratings: a done matter, a talent. */
    static const char *n1[] = { "unit", "title", "status", "on" };
    static const char *v1[] = { "u1", "长椅", "done", "2025-03-01" };
    static const char *n2[] = { "name", "skills", "on" };
    static const char *v2[] = { "李师傅", "水电", "2025-03-01" };
    site_entry_saved_t saved;
    if (site_entry_add(store, sl_schema_find("service_matter", 14), 4, n1, v1, &saved, err,
                       sizeof err, NULL)
        || site_entry_add(store, sl_schema_find("talent", 6), 3, n2, v2, &saved, err, sizeof err,
                          NULL))
        abort();
    site_store_destroy(&store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char err[2000], tpl[200];
    if (!s_ready) {
        sl_log_set_level(getenv("SL_FUZZ_VERBOSE") ? SL_LOG_DEBUG : SL_LOG_ERROR);
        snprintf(tpl, sizeof tpl, "%s/template", fuzz_dir_root("fuzz-entry"));
        s_new_site(tpl);
        s_ready = true;
    }
    /* Each input starts from a copy of the template: a finding replays alone. */
    site_store_t *store = site_store_open(fuzz_dir_fresh("site.db"), err, sizeof err);
    if (!store)
        abort();
    const sl_rtype_t *rt = sl_schema_at((data[0] & 0x7f) % sl_schema_count());
    uint64_t before = site_store_last_seq(store);
    FILE *in = fmemopen((void *) (data + 1), size - 1, "r");
    /* The type byte's high bit: save duplicate rows anyway (else they are
     * refused, and the import with them). */
    site_entry_import_opts_t opts = { .file_name = "fuzz.csv", .allow_duplicates = data[0] & 0x80 };
    static site_entry_import_t res;
    if (in) {
        site_entry_import(store, rt, in, &opts, &res, err, sizeof err);
        fclose(in);
    }
    uint64_t after = site_store_last_seq(store);
    if (after > before) {
        msgpack_sbuffer frame;
        msgpack_sbuffer_init(&frame);
        sl_msg_t m;
        memset(&m, 0, sizeof m);
        if (site_store_pack_batch(store, 1, before + 1, after, &frame)
            || sl_msg_decode(&m, (const uint8_t *) frame.data, frame.size, err, sizeof err))
            abort();
        for (size_t i = 0; i < m.nevents; i++) {
            const sl_rtype_t *ert = sl_schema_find(m.events[i].type, m.events[i].type_len);
            if (!ert || sl_schema_check(ert, m.events[i].payload, m.events[i].payload_len, NULL,
                                        err, sizeof err, NULL)) {
                fprintf(stderr, "fuzz_entry: saved record %llu is refused by the server's check: "
                        "%s\n", (unsigned long long) m.events[i].seq, err);
                abort();
            }
        }
        sl_msg_reset(&m);
        msgpack_sbuffer_destroy(&frame);
    }
    site_store_destroy(&store);
    return 0;
}
