/* sl_tally.h: from item states to the district's counts — 五个一, points and
 * yellow cards — the same pure rules wherever they are counted.
 *
 * RECORDS.md "Rules": an item counts in the period in which it reached its
 * good final state (the date of the update that moved it there, or its own
 * date if it was created in that state) and must still be in that state on
 * the period's last day; other records count by their date; a void record
 * never counts.  五个一 of a unit for a year: done service matters, party
 * days, lectures by the unit's secretary in force at the lecture's date,
 * fulfilled micro-wishes and solved enterprise problems, each against its
 * target; complete when all five are met; the completion rate is
 * Σ min(done, required) / Σ required.  The latest rating of an item counts,
 * in the year of its date, for the unit and member responsible when it was
 * entered: 5 stars give points, few stars a yellow card, each to both. */
#ifndef SL_TALLY_H
#define SL_TALLY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sl_fold.h"

/* The five tasks of 五个一, in RECORDS.md's order; each is a record type. */
enum { SL_TASK_MATTER, SL_TASK_PARTY_DAY, SL_TASK_LECTURE, SL_TASK_WISH, SL_TASK_ENTERPRISE,
       SL_TASKS };

/* The record type of a task ("service_matter" …), and its Chinese name. */
const char *sl_tally_task_type(int task);
const char *sl_tally_task_label(int task);
/* The task a record type counts for, or -1. */
int sl_tally_task_of(const sl_rtype_t *rt);

/* True when the item counts in [from, to] (yyyymmdd), as the state stood on
 * `to`.  `since`, when not NULL, gets the date it counts on. */
bool sl_tally_counts(const sl_item_t *it, int32_t from, int32_t to, int32_t *since);

/* A unit's secretaries over time: who was secretary since when (from the
 * unit's reference entries, each `secretary` with its `secretary_since`). */
typedef struct {
    int32_t since;              /* yyyymmdd */
    const char *member;
} sl_secretary_t;

/* The secretary in force on `date`: the entry with the latest `since` not
 * after it (a later entry wins a tie); NULL when none. */
const char *sl_tally_secretary_at(const sl_secretary_t *history, size_t n, int32_t date);

typedef struct {
    int done[SL_TASKS];
    int required[SL_TASKS];
} sl_five_t;

/* All five met. */
bool sl_tally_five_complete(const sl_five_t *five);
/* Σ min(done, required) and Σ required over units, for the completion rate. */
void sl_tally_five_sum(const sl_five_t *five, long *met, long *required);

/* What a rating gives: points (5 stars) or a yellow card (stars at or below
 * `card_max_stars`), to its unit and to its member. */
typedef struct {
    int64_t points;
    bool card;
} sl_rating_effect_t;
sl_rating_effect_t sl_tally_rating(int stars, int64_t points_per_5_star, int64_t card_max_stars);

#endif
