/* sl_tally.c: the counting rules of RECORDS.md over item states (see
 * sl_tally.h).  Pure, like the fold: no I/O, no clock. */
#include "sl_tally.h"
#include <string.h>

static const char *s_task_types[SL_TASKS] = {
    "service_matter", "party_day", "party_lecture", "micro_wish", "enterprise_problem",
};
static const char *s_task_labels[SL_TASKS] = {
    "民生实事", "主题党日", "书记讲党课", "微心愿", "企业难题",
};

const char *sl_tally_task_type(int task)
{
    return task >= 0 && task < SL_TASKS ? s_task_types[task] : NULL;
}

const char *sl_tally_task_label(int task)
{
    return task >= 0 && task < SL_TASKS ? s_task_labels[task] : NULL;
}

int sl_tally_task_of(const sl_rtype_t *rt)
{
    for (int t = 0; rt && t < SL_TASKS; t++)
        if (strcmp(rt->name, s_task_types[t]) == 0)
            return t;
    return -1;
}

bool sl_tally_counts(const sl_item_t *it, int32_t from, int32_t to, int32_t *since)
{
    if (it->voided)
        return false;
    int32_t day = it->on;
    if (it->rt->life) {
        const sl_lifecycle_t *l = it->rt->life;
        int good = sl_schema_index(l->statuses, l->good, strlen(l->good));
        int32_t entered = 0;
        if (it->legacy && it->status != good)
            return false;
        if (sl_fold_status_at(it, to, &entered) != good)
            return false;       /* not in its good state on the period's last day */
        day = entered;
    }
    if (day < from || day > to)
        return false;
    if (since)
        *since = day;
    return true;
}

const char *sl_tally_secretary_at(const sl_secretary_t *history, size_t n, int32_t date)
{
    const char *who = NULL;
    int32_t best = 0;
    for (size_t i = 0; i < n; i++)
        if (history[i].since <= date && history[i].since >= best && history[i].member) {
            best = history[i].since;
            who = history[i].member;
        }
    return who;
}

bool sl_tally_five_complete(const sl_five_t *five)
{
    for (int t = 0; t < SL_TASKS; t++)
        if (five->done[t] < five->required[t])
            return false;
    return true;
}

void sl_tally_five_sum(const sl_five_t *five, long *met, long *required)
{
    for (int t = 0; t < SL_TASKS; t++) {
        *met += five->done[t] < five->required[t] ? five->done[t] : five->required[t];
        *required += five->required[t];
    }
}

sl_rating_effect_t sl_tally_rating(int stars, int64_t points_per_5_star, int64_t card_max_stars)
{
    sl_rating_effect_t e = { 0, false };
    if (stars == 5)
        e.points = points_per_5_star;
    if (stars >= 1 && stars <= card_max_stars)
        e.card = true;
    return e;
}
