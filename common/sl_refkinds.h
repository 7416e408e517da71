/* sl_refkinds.h: the reference kinds (shared/RECORDS.md, "Reference data"),
 * described once, as data.
 *
 * Reference data is kept by the district and flows down to every site
 * through the server log: units, members, communities, teams, brands,
 * annual targets, duty items, banned certificates and settings.  Each kind
 * is one row of the table in sl_refkinds.c: its key (a code, a setting's
 * name, or year:task) and its fields with type, Chinese label, required
 * flag, range, choices and the kind a field refers to.  Validation on the
 * server, `ref put`/`ref import`, and every list on the server and the
 * sites read that one table.
 *
 * An entry's value is a flat JSON object of its fields, in table order,
 * absent fields left out: {"name":"张三","unit":"u01"} (sl_json.h).  A value
 * written by 0.2.0 was plain text ("区委办"): it reads as {"name": text}. */
#ifndef SL_REFKINDS_H
#define SL_REFKINDS_H
#include "sl_json.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SL_RF_TEXT,         /* text, min..max characters */
    SL_RF_INT,          /* a whole number in min..max */
    SL_RF_DATE,         /* YYYY-MM-DD (2026/3/5 and 2026年3月5日 accepted), min..max as yyyymmdd */
    SL_RF_ENUM,         /* one of `choices` (or its Chinese label) */
    SL_RF_REF,          /* the key of an entry of kind `ref` in force */
    SL_RF_REFS          /* keys of entries of kind `ref`, separated by | */
} sl_reftype_t;

typedef struct {
    const char *name;           /* wire name: the JSON key, a CSV heading */
    const char *label;          /* Chinese label, unique within its kind */
    sl_reftype_t type;
    bool required;
    int64_t min, max;
    const char *choices;        /* ENUM: "duty|assist" */
    const char *choice_labels;  /* ENUM: "职责事项|配合事项", same order */
    const char *ref;            /* REF, REFS: the kind referred to */
    /* REF: a field of the entry referred to that must hold this entry's
     * key ("unit": a unit's secretary must be a member of that unit). */
    const char *ref_back;
} sl_reffield_t;

typedef enum { SL_RK_CODE, SL_RK_NAME, SL_RK_YEAR_TASK } sl_refkey_t;

typedef struct {
    const char *name;           /* wire name: "member" */
    const char *label;          /* "在职党员" */
    const char *label_en;       /* "in-service party member" */
    sl_refkey_t key;
    const char *key_name;       /* "code", "name", "year:task" */
    const char *key_label;      /* "代码", "参数名", "年度:任务" */
    const sl_reffield_t *fields;
    size_t nfields;
} sl_refkind_t;

size_t sl_refkind_count(void);
const sl_refkind_t *sl_refkind_at(size_t index);
/* By wire name ("member") or Chinese label ("在职党员"); NULL when unknown. */
const sl_refkind_t *sl_refkind_find(const char *kind);
/* The refusal of an unknown kind: "未知的参考数据类别 "xx" unknown
 * reference kind "xx"; 类别有 kinds are: community(社区) …". */
void sl_refkind_unknown(const char *kind, char *err, size_t errlen);
/* A field by wire name or Chinese label; NULL when the kind has none. */
const sl_reffield_t *sl_refkind_field(const sl_refkind_t *k, const char *name);
/* "name(姓名) unit(所属单位) skills(特长)", for messages. */
void sl_refkind_fields_text(const sl_refkind_t *k, char *out, size_t cap);
/* "姓名 name": the column heading of a field in lists. */
void sl_reffield_heading(const sl_reffield_t *f, char *out, size_t cap);

/* Checks a key and writes its canonical form to out (trimmed; a target's
 * task and a setting's name may be given by Chinese label): a code is
 * 1..64 bytes of text without control characters or |; a target key is
 * YEAR:TASK with YEAR 2000..2099 and TASK one of the five tasks; a setting
 * key one of the known settings.  0, or -1 with a sentence. */
int sl_refkind_check_key(const sl_refkind_t *k, const char *key, char *out, size_t cap,
                         char *err, size_t errlen);

/* Looks up the value in force of kind/key: 1 found (value copied, at most
 * cap bytes with its NUL), 0 absent or deleted, -1 could not read. */
typedef int (*sl_refget_fn)(void *ctx, const char *kind, const char *key, char *value,
                            size_t cap);

enum { SL_REF_REFUSED = -1, SL_REF_FAILED = -2 };

/* Builds the canonical value of entry `key` (canonical, from
 * sl_refkind_check_key) of kind k from field=value text pairs.  Names may
 * be wire names or Chinese labels, enum values Chinese labels; values are
 * trimmed and empty ones are absent (`ref put` replaces an entry whole).
 * Ints become JSON numbers, dates YYYY-MM-DD.  With `get`, every REF and
 * REFS value must name an entry in force (and satisfy ref_back).  On
 * success *json_out is malloc'ed canonical JSON of at most
 * SL_MAX_TEXT_BYTES bytes.  Returns 0; SL_REF_REFUSED with a sentence
 * naming kind, key and field (Chinese first, then English) and *bad the
 * index into names of the pair at fault ((size_t) -1 when none is); or
 * SL_REF_FAILED when `get` failed or memory ran out. */
int sl_refkind_build(const sl_refkind_t *k, const char *key, size_t n, const char *const *names,
                     const char *const *values, sl_refget_fn get, void *ctx, char **json_out,
                     size_t *bad, char *err, size_t errlen);

/* "field=value" words (a command line) as a JSON object of strings, in
 * order: what shuanglian-admin sends as ADMIN ref.put's `fields`.  A word
 * without '=' or a name given twice is refused.  0, or -1 with a sentence. */
int sl_ref_pairs_json(size_t n, char *const *words, char **json_out, char *err, size_t errlen);

/* Reads a stored value (database or LOG: outside input) into obj: JSON when
 * it starts with '{' (after white space), else 0.2.0 plain text, read as
 * {"name": text}.  0, or -1 (damaged) with a sentence.  Free with
 * sl_json_obj_free. */
int sl_refvalue_parse(const char *value, size_t len, sl_json_obj_t *obj, char *err,
                      size_t errlen);
/* One field of a stored value as text (ints in decimal): 1 found, 0 absent
 * (or null), -1 damaged or longer than cap - 1 bytes. */
int sl_refvalue_field(const char *value, size_t len, const char *field, char *out, size_t cap);
/* A field of a parsed value for people: an enum's Chinese label, other
 * values as text, "" when absent. */
void sl_refvalue_text(const sl_reffield_t *f, const sl_json_obj_t *obj, char *out, size_t cap);
/* The cells of a table row for a stored value of kind k: cells[i] points
 * into texts (k->nfields cells of cell_cap bytes), as sl_refvalue_text
 * gives them; a damaged value gives "(损坏的值 damaged value)" in the first.
 * 0, or -1 when the value is damaged. */
int sl_refvalue_cells(const sl_refkind_t *k, const char *value, size_t len, char *texts,
                      size_t cell_cap, const char **cells);
/* The headings of such a table: the key ("代码 code") then each field
 * ("姓名 name"), into texts (1 + k->nfields headings of cap bytes).
 * Returns how many. */
size_t sl_refkind_headings(const sl_refkind_t *k, char *texts, size_t cap, const char **heads);
/* A whole stored value for people: "姓名=张三 所属单位=u01"; kind k may be
 * NULL (an unknown kind: the value as stored). */
void sl_refvalue_render(const sl_refkind_t *k, const char *value, size_t len, char *out,
                        size_t cap);

/* Settings (kind `setting`): name, label, default and allowed range. */
typedef struct {
    const char *name;
    const char *label;
    int64_t def, min, max;
} sl_setting_t;

size_t sl_setting_count(void);
const sl_setting_t *sl_setting_at(size_t index);
/* By name or Chinese label; NULL when unknown. */
const sl_setting_t *sl_setting_find(const char *name);
/* The default of a setting (area_per_100_households 30 …); -1 when unknown. */
int64_t sl_setting_default(const char *name);

/* The five annual tasks (五个一) of kind `target` and their default counts. */
typedef struct {
    const char *task;           /* "service_matter": a record type's wire name */
    const char *label;          /* "民生实事" */
    int64_t def;                /* required per unit per year without a target entry */
} sl_target_task_t;

size_t sl_target_task_count(void);
const sl_target_task_t *sl_target_task_at(size_t index);
/* The default required count of a task (service_matter 2 …); -1 when unknown. */
int64_t sl_target_default(const char *task);

#endif
