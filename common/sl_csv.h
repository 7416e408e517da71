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

#endif
