/* sl_render.h: a report (sl_report.h) in each of its forms.
 *
 *   text   aligned tables for a terminal (CJK characters take two columns);
 *          paragraphs as paragraphs; a rate as "66.7%", a null as "—"
 *   csv    UTF-8 with a byte-order mark (Excel opens it as UTF-8): each table
 *          under its title, a blank line between tables
 *   json   one object: the figures' keys of shared/FIGURES.md, rates as
 *          fractions (null for a zero denominator), lists as arrays
 *   xlsx   one sheet per table, headings in the reader's language, numbers as
 *          numbers, rates as percentages, dates as dates (libxlsxwriter)
 *   html   one self-contained page: inline style and SVG charts, no script,
 *          nothing fetched from anywhere
 *
 * Renderers read nothing but the report: the server, shuanglian-server and
 * shuanglian-admin render the same value the same way.  The report's titles,
 * headings, figure labels and status words are dual texts (sl_lang.h), the
 * server writing for a reader elsewhere: every form but JSON shows them in
 * the language of the process's reader ("中文 English", or English only);
 * JSON, read by programs, is the same in both (keys in English, a dual
 * value as the default language shows it).  Must never: write a cell
 * without escaping it for its form, or a dual text's marks into a file. */
#ifndef SL_RENDER_H
#define SL_RENDER_H
#include "sl_lang.h"
#include "sl_report.h"
#include <stdio.h>

typedef enum { SL_FORM_TEXT, SL_FORM_CSV, SL_FORM_JSON, SL_FORM_XLSX, SL_FORM_HTML } sl_form_t;

int sl_render_text(const sl_report_t *r, FILE *out);
int sl_render_csv(const sl_report_t *r, FILE *out);
int sl_render_json(const sl_report_t *r, FILE *out);
/* Writes the workbook at path.  0, or -1 with a sentence in err. */
int sl_render_xlsx(const sl_report_t *r, const char *path, char *err, size_t errlen);
int sl_render_html(const sl_report_t *r, FILE *out);

/* A cell as people read it in a table: rates as percentages, booleans as
 * 是/否 (yes/no in English), lists joined by "；" ("; "), nulls as "—", line
 * breaks as spaces, a dual text in the reader's language. */
void sl_render_cell(sl_rcol_t type, const char *cell, char *out, size_t cap);
/* The type of a cell: the column's, or for a figures table (OBJECT) the
 * row's own type. */
sl_rcol_t sl_render_type(const sl_rtable_t *t, size_t row, size_t col);
/* A text of the report (a title, a heading, a cell) for the reader: a dual
 * text rendered in the reader's language into buf, a plain one as it is. */
const char *sl_render_lang(const char *text, char *buf, size_t cap);
/* One of two words by the reader's language ("（无 none）" / "(none)"). */
const char *sl_render_word(const char *zh, const char *en);
/* True when a cell names the total row ("合计", plain or dual). */
bool sl_render_is_total(const char *cell);
/* The headings of a figures table's three columns, and the total row's word. */
#define SL_RENDER_FIG_LABEL SL_D("指标", "figure")
#define SL_RENDER_FIG_KEY SL_D("键", "key")
#define SL_RENDER_FIG_VALUE SL_D("值", "value")
#define SL_RENDER_TOTAL SL_D("合计", "total")
/* The heading of a group of tables (frozen, live): "冻结数 frozen". */
const char *sl_render_group(const char *group);
/* True when a cell holds a JSON number as it stands (INT and NUM cells). */
bool sl_render_is_number(const char *cell);

#endif
