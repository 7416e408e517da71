/* fuzz_site: the site's handling of what the server sends (WELCOME, EVENTS,
 * LOG, ACK, ERROR, REPLY), in-process against a real site store in a
 * temporary directory (issue 14).  An input is a sequence of frames, each
 * preceded by its length (2 bytes, big-endian); site_sync_replay gives each
 * the site's session and re-chains an EVENTS' records onto the local store,
 * so that fuzzed records get past the chain checks to the restore's record
 * checks and the fold, and fuzzed reference data is applied.  Then every
 * record is rendered as `record list` shows it.  Must never crash; the
 * store must stay readable.  Each input starts from a new site.
 * Seeds: tests/fuzz/corpus/fuzz_site/. */
#include "fuzz_dir.h"
#include "site_entry.h"
#include "site_store.h"
#include "site_sync.h"
#include "sl_log.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool s_ready;

static int s_render(void *ctx, const site_record_t *rec)
{
    char out[4096];
    site_entry_render(ctx, rec, out, sizeof out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[600], tpl[200];
    if (!s_ready) {
        sl_log_set_level(getenv("SL_FUZZ_VERBOSE") ? SL_LOG_DEBUG : SL_LOG_ERROR);
        zsys_init();
        zsys_set_logstream(NULL);
        snprintf(tpl, sizeof tpl, "%s/template", fuzz_dir_root("fuzz-site"));
        if (site_store_init(tpl, "qu01.gongyuan", "tcp://127.0.0.1:9", err, sizeof err))
            abort();
        s_ready = true;
    }
    /* Each input starts from a new site: a finding replays alone. */
    const char *dir = fuzz_dir_fresh("site.db");
    site_store_t *store = site_store_open(dir, err, sizeof err);
    if (!store)
        abort();
    /* A fixed endpoint: a fuzzed set_server command changes the store's
     * address but never makes this run connect anywhere. */
    site_sync_opts_t opts = { .connect_timeout_ms = 1000, .data_dir = dir,
                              .endpoint = "tcp://127.0.0.1:9" };
    site_sync_report_t report;
    site_sync_replay(store, &opts, data, size, &report);
    if (site_store_records(store, NULL, 50, s_render, store) != 0)
        abort();                /* the store no longer reads */
    site_store_destroy(&store);
    return 0;
}
