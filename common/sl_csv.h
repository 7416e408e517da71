/* sl_csv.h: an RFC 4180 CSV reader, from a file or from memory.
 *
 * Spreadsheets are how districts and communities keep lists, so CSV is the
 * way rows come in: records at a site (`record import`), reference data on
 * the server (`ref import`, whose file may arrive inside an ADMIN request).
 * Quotes, "" escapes, line breaks inside quotes, CRLF or LF; a UTF-8
 * byte-order mark at the start is skipped.  A NUL byte is refused, never
 * cut at (a UTF-16 file saved by mistake would otherwise lose its cells in
 * silence).  Errors name the line. */
#ifndef SL_CSV_H
#define SL_CSV_H
#include <stddef.h>
#include <stdio.h>

typedef struct sl_csv sl_csv_t;

/* Reads from f (left open by sl_csv_destroy).  NULL without memory. */
sl_csv_t *sl_csv_from_file(FILE *f);
/* Reads data[0..len), which the caller keeps while reading.  NULL without memory. */
sl_csv_t *sl_csv_from_buffer(const char *data, size_t len);
void sl_csv_destroy(sl_csv_t **self_p);

/* Reads one record: its fields are NUL-terminated strings in buf[0..cap),
 * pointed to by fields[0..max).  Returns the number of fields (an empty
 * line is one empty field), 0 at the end, or -1 with a sentence in err
 * (Chinese, then English, naming the line). */
int sl_csv_row(sl_csv_t *self, char **fields, size_t max, char *buf, size_t cap,
               char *err, size_t errlen);
/* The line (1-based) on which the last record read begins. */
long sl_csv_line(const sl_csv_t *self);
/* Cells are separated by `sep` (',' unless told; '\t' for Excel's
 * "Unicode text" and other tab-separated files). */
void sl_csv_set_separator(sl_csv_t *self, char sep);

/* ---- files as spreadsheets save them --------------------------------------------------
 *
 * Excel and WPS on Chinese Windows save "CSV" in the system's code page
 * (GBK), "CSV UTF-8" with a byte-order mark, and "Unicode text" as UTF-16LE
 * with a byte-order mark and tabs between cells.  sl_csv_decode turns any
 * of these into UTF-8 (glibc iconv) and says which it was; a file it cannot
 * read as text is refused by name (an .xlsx or .xls workbook, UTF-32, a
 * UTF-8 file with a line in another encoding), never as "not valid UTF-8". */

/* Converts a whole file's bytes to UTF-8: with a byte-order mark, UTF-8,
 * UTF-16LE or UTF-16BE as it says; without, UTF-8 when every byte fits,
 * UTF-16 when NUL bytes fall on every other byte, else GBK (or GB18030,
 * GBK's superset, when it uses GB18030's four-byte characters).  On
 * success *out is malloc'ed (NUL-terminated, no BOM, *outlen bytes) and
 * `encoding` names what the file was ("GBK", "UTF-16LE"); 0, or -1 with a
 * sentence naming the encoding and the line (Chinese first). */
int sl_csv_decode(const char *data, size_t len, char **out, size_t *outlen, char *encoding,
                  size_t enccap, char *err, size_t errlen);
/* The separator of a decoded file: '\t' when its first line has more tabs
 * than commas outside quotes, else ','. */
char sl_csv_guess_separator(const char *data, size_t len);
/* Reads all of f (at most max bytes) into a malloc'ed buffer: 0, or -1 with
 * a sentence (too large, a read error). */
int sl_csv_slurp(FILE *f, size_t max, char **out, size_t *outlen, char *err, size_t errlen);

/* Writes one row as RFC 4180 CSV with CRLF (what Excel writes): a cell is
 * quoted when it holds the separator, a quote, a line break or leading or
 * trailing spaces.  0, or -1 on a write error. */
int sl_csv_write_row(FILE *out, const char *const *cells, size_t n, char sep);

#endif
