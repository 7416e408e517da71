/* sl_report.h: a report as a value: tables of typed columns, the district's
 * figures and the lists behind them.
 *
 * The server's report module (server/report.c) computes a report into this
 * value; the renderers (sl_render.h) turn any report into a terminal table,
 * CSV, JSON, XLSX or HTML.  Between the two the value travels as the flat
 * table of strings a REPLY carries (sl_report_encode / sl_report_decode), and
 * the server stores a frozen month in the same form: `shuanglian-server
 * report` and `shuanglian-admin report` decode the same cells and render them
 * with the same code, so their output is the same byte for byte.
 *
 * Cell values are text: an integer in decimal; a rate as "NUM/DEN" (exact;
 * DEN 0 is a rate with a zero denominator: null in JSON, "—" in tables); a
 * number as a decimal ("1.5"); a date "YYYY-MM-DD"; a list as items joined
 * by '\n'; a boolean "1" or "0".  An empty INT, NUM, DATE or BOOL cell is
 * null.  Titles, headings, figure labels and words the report itself writes
 * in a cell (合计, 未交办, a status) are dual texts (sl_lang.h: SL_D, or SL_E
 * where a pair would be too wide), written by the server for whoever reads
 * them; the renderers show them in the reader's language.  Must never:
 * trust decoded cells (they come from a frame or a database) — every decode
 * is checked and refused with a sentence. */
#ifndef SL_REPORT_H
#define SL_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SL_RC_TEXT = 't', SL_RC_INT = 'i', SL_RC_RATE = 'r', SL_RC_NUM = 'n', SL_RC_DATE = 'd',
    SL_RC_LIST = 'l', SL_RC_BOOL = 'b',
} sl_rcol_t;

/* How a table is written in JSON. */
typedef enum {
    SL_RS_ROWS = 'R',           /* an array of objects, one per row, keyed by column */
    SL_RS_OBJECT = 'O',         /* figures: one member per row (columns key, label, type, value) */
    SL_RS_VALUES = 'V',         /* an array of the first column's values */
} sl_rstyle_t;

/* Table flags. */
#define SL_RF_NOJSON  1u        /* not in JSON (the basis of a report, charts' data) */
#define SL_RF_PROSE   2u        /* paragraphs: printed as text, not as a table */

#define SL_REPORT_MAX_COLS 40

typedef struct {
    char *key;                  /* JSON key, English */
    char *label;                /* heading: a dual text (sl_lang.h), rendered by each form */
    sl_rcol_t type;
} sl_rcolumn_t;

typedef struct {
    char *key;                  /* JSON key of the table ("" with OBJECT: members at the top) */
    char *title;                /* dual title: a heading, a sheet's name */
    char *group;                /* "" or the JSON object holding the table ("frozen", "live") */
    char *total_key;            /* ROWS: where the total row goes in JSON ("total") */
    char *chart;                /* HTML: "matrix", "bars", "trend", "backlog" or "" */
    sl_rstyle_t style;
    unsigned flags;
    size_t ncols;
    sl_rcolumn_t cols[SL_REPORT_MAX_COLS];
    size_t nrows, cap;
    char **cells;               /* nrows * ncols */
    long total_row;             /* index of the total row, or -1 */
} sl_rtable_t;

typedef struct {
    char *name;                 /* "dispatch", "five" … */
    char *title;                /* dual: 每月调度 monthly dispatch 2025-03 */
    size_t ntables;
    sl_rtable_t **tables;
    bool failed;                /* out of memory somewhere: the caller refuses */
} sl_report_t;

sl_report_t *sl_report_new(const char *name, const char *title);
void sl_report_destroy(sl_report_t **self_p);

/* A new table (owned by the report); NULL when memory ran out. */
sl_rtable_t *sl_report_table(sl_report_t *self, const char *key, const char *title,
                             sl_rstyle_t style, unsigned flags);
void sl_rtable_chart(sl_rtable_t *t, const char *chart);
void sl_rtable_group(sl_rtable_t *t, const char *group);
void sl_rtable_col(sl_rtable_t *t, const char *key, const char *label, sl_rcol_t type);
/* Adds a row of t->ncols cells (copied); NULL cells are empty.  0 or -1. */
int sl_rtable_row(sl_rtable_t *t, const char *const *cells);
/* Marks the last row as the total (JSON: member total_key beside the rows). */
void sl_rtable_total(sl_rtable_t *t, const char *total_key);
const char *sl_rtable_cell(const sl_rtable_t *t, size_t row, size_t col);

/* OBJECT tables: one figure per row (key, label, type, value). */
void sl_report_figures_init(sl_rtable_t *t);
void sl_report_fig_int(sl_rtable_t *t, const char *key, const char *label, int64_t v);
void sl_report_fig_null(sl_rtable_t *t, const char *key, const char *label, sl_rcol_t type);
void sl_report_fig_rate(sl_rtable_t *t, const char *key, const char *label, int64_t num,
                        int64_t den);
void sl_report_fig_text(sl_rtable_t *t, const char *key, const char *label, sl_rcol_t type,
                        const char *v);
/* The value cell of figure `key` in an OBJECT table, or NULL. */
const char *sl_report_fig(const sl_rtable_t *t, const char *key);
/* The first table with this key (and group), or NULL. */
sl_rtable_t *sl_report_find(const sl_report_t *self, const char *key, const char *group);

/* The flat table a REPLY carries: `columns` cells per row, row 0 a heading
 * row.  sl_report_encode allocates *cells (free each, then the array).
 * sl_report_decode checks every cell; NULL with a sentence in err. */
int sl_report_encode(const sl_report_t *self, uint32_t *columns, char ***cells, size_t *ncells);
sl_report_t *sl_report_decode(uint32_t columns, const char *const *cells, const size_t *lens,
                              size_t ncells, char *err, size_t errlen);

/* Value helpers for renderers and the report module. */
/* A rate cell "NUM/DEN": true with the parts, false when not one. */
bool sl_report_rate(const char *cell, int64_t *num, int64_t *den);
/* A rate for people: "66.7%"; "—" when DEN is 0. */
void sl_report_rate_text(const char *cell, char *out, size_t cap);
/* A rate's JSON number: the shortest decimal that reads back as the same
 * double ("0.6666666666666666"); "null" when DEN is 0. */
void sl_report_rate_json(const char *cell, char *out, size_t cap);
/* Days since 1970-01-01 of a yyyymmdd date (proleptic Gregorian). */
long sl_report_days(long yyyymmdd);
/* The last day of a month, as yyyymmdd. */
long sl_report_month_end(int year, int month);

#endif
