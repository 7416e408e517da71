/* sl_text.h: UTF-8 checking, terminal display width, and aligned tables.
 *
 * Our users read Chinese: a table whose columns hold 社区 names must line up
 * in a terminal, where a CJK character takes two columns.  Everything that
 * prints a table goes through sl_table so the alignment rule lives once. */
#ifndef SL_TEXT_H
#define SL_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) and contains no NUL or ASCII control other than
 * tab and newline. */
bool sl_utf8_valid(const char *s, size_t len);
/* The length of the longest prefix of s[0..len), at most max bytes, that
 * sl_utf8_valid accepts: it ends before the first byte that is not valid,
 * and never inside a character (a text cut to fit a field). */
size_t sl_utf8_valid_prefix(const char *s, size_t len, size_t max);
/* Number of code points, or -1 when not valid UTF-8. */
long sl_utf8_chars(const char *s, size_t len);
/* Terminal columns needed to show a valid UTF-8 string. */
size_t sl_display_width(const char *s);
/* A NUL-terminated copy of the len bytes at p, which need not be terminated
 * (a string inside a received frame): unlike strndup, it never looks past
 * p + len.  NULL without memory. */
char *sl_text_dup(const char *p, size_t len);
/* A bounded copy of a string into out (cap > 0), cut when longer: what
 * snprintf "%s" does, without its cost (the fold and the reports copy for
 * every record). */
void sl_text_copy(char *out, size_t cap, const char *in);

typedef struct sl_table sl_table_t;
sl_table_t *sl_table_new(size_t columns, const char *const *headers);
void sl_table_destroy(sl_table_t **self_p);
/* Adds a row of `columns` strings (copied).  Returns 0, or -1 on no memory. */
int sl_table_add(sl_table_t *self, const char *const *cells);
/* Column alignment: 'l' (default) or 'r' for numbers. */
void sl_table_align(sl_table_t *self, size_t column, char how);
void sl_table_print(sl_table_t *self, FILE *out);
/* Prints a flattened table (row by row, the headings first), as a REPLY
 * carries it; incomplete trailing cells are ignored. */
void sl_table_print_cells(size_t columns, const char *const *cells, size_t ncells, FILE *out);

#endif
