/* report.h: the district's figures and reports (shared/FIGURES.md), computed
 * on the server into a report value (common/sl_report.h) that any form can
 * render (common/sl_render.h).
 *
 *   dispatch  --month YYYY-MM [--freeze | --live]   每月调度: every x of the report
 *   five      --year Y                              五个一: unit × task
 *   loop      --from D --to D [--by unit|community|month]   闭环办理
 *   points    --year Y                              积分与黄牌, line by line
 *   volunteers --year Y | --from D --to D           志愿服务
 *   talent    --year Y                              人才超市, per community
 *   facilities                                      阵地与队伍, per community
 *   supervision --half Y-1|Y-2                      督查与约谈提醒
 *   records   TYPE [filters]                        the records themselves
 *
 * Reports read the item-state table the fold keeps (one range per record
 * type, each with its record found by key) and the reference data; no report
 * reads every event.  Figures do not depend on site clocks or arrival order:
 * items count by their dates (RECORDS.md), and a frozen month is cut at the
 * server's receive time.  Must never: write anything but a frozen month, or
 * trust what it reads (damaged rows are errors naming the item). */
#ifndef REPORT_H
#define REPORT_H
#include "central_store.h"
#include "sl_msg.h"
#include "sl_report.h"

/* The reports and their arguments, for help and for the verb table. */
typedef struct {
    const char *name;           /* "dispatch" */
    const char *label;          /* "每月调度 monthly dispatch" */
    const char *args;           /* "month [freeze|live]" */
} report_kind_t;
size_t report_count(void);
const report_kind_t *report_at(size_t index);

/* Computes report `name` with its arguments (ADMIN arguments: month, year,
 * from, to, by, half, type, community, unit, status, text, limit, offset,
 * freeze, live; values need not be NUL-terminated).  Returns 0 with *out, or
 * an sl_error_code_t (407 a bad argument, named in *field; 500 the store
 * failed) with a sentence in err. */
int report_run(central_store_t *store, const char *name, const sl_arg_t *args, size_t nargs,
               sl_report_t **out, char *err, size_t errlen, const char **field);

#endif
