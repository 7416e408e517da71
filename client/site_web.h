/* site_web.h: `shuanglian-site web`, the community's pages in a browser.
 *
 * A local web server (common/sl_web.h) on the site's own store: entry
 * forms made from the record-type table, my records with their state and
 * the actions on them, CSV import with a preview, and the sync status in
 * plain Chinese with a "sync now" button.  Every write goes through the
 * entry module (client/site_entry.h) exactly as `record add` and `record
 * import` do: the same checks, the same messages, saved means fsynced.
 * Loopback only unless --listen names another address, which needs a
 * password (`shuanglian-site web passwd`). */
#ifndef SITE_WEB_H
#define SITE_WEB_H

/* The `web` verb: argv holds the words after it. */
int site_web_main(int argc, char **argv);

#endif
