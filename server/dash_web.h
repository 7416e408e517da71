/* dash_web.h: `shuanglian-server web`, the district's dashboard in a browser.
 *
 * A web server (common/sl_web.h) on the central store, default
 * 127.0.0.1:8621: administrators log in with their name (an administrator
 * credential's name, `shuanglian-server admin add`) and a password set by
 * `shuanglian-server web passwd NAME` (libsodium crypto_pwhash); pages for
 * the sites' health, the 五个一 matrix, the monthly dispatch, the closed
 * loop, points and yellow cards, the records, and downloads of every report
 * as CSV, XLSX and HTML.  Figures come from the report module
 * (server/report.h) and its renderers, never computed here. */
#ifndef DASH_WEB_H
#define DASH_WEB_H

/* The `web` verb: argv holds the words after it. */
int dash_web_main(int argc, char **argv);

#endif
