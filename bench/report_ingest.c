/* bench-report-ingest: builds a district for bench/report_scale.sh and
 * measures what the state table costs the server at ingest.
 *
 *   bench-report-ingest DIR N [SITES [UNITS [ROUNDS]]]
 *
 * Generates N records over SITES sites (default 60) and UNITS units
 * (default 67) — problem reports with their whole lifecycle and ratings
 * (some rejected, some reopened and rated again), service matters, home
 * visits, volunteer activities, lectures (most by the unit's secretary),
 * party days, micro-wishes, enterprise problems, talents and their
 * services, trainings, certificate demands, inspections, corrections and
 * voids — each site's records a real hash chain, every payload built by the
 * schema (sl_schema_build) and valid under the fold's rules.  The reference
 * data (units with secretaries, 4,500 members, communities, teams, brands,
 * targets, duty items) is published first.
 *
 * Then the same records go into two fresh central stores through
 * central_store_apply_batch, as the engine applies them (batches of 1,000 of
 * one site, round robin over the sites, one committed transaction each,
 * synchronous=FULL): DIR/without (central_store_bench_without_items: no
 * state table) and DIR/with (the server as it runs: rows written behind,
 * central_store_defer_items, and every row written before the clock
 * stops), timed, ROUNDS times each (default 3), alternating, each into a
 * fresh store.  The last DIR/with is then the district the reports are
 * timed on.  Prints each round with its own ratio, then the medians:
 *   ingest: records=N ingest_without_s=… ingest_with_s=… ratio=…
 *           cpu_without_s=… cpu_with_s=… cpu_ratio=… rounds=R
 *           paired_cpu_ratio=…
 * (wall times, then this process's CPU times, which a busy machine does
 * not inflate; ratio and cpu_ratio are the ratios of the medians,
 * paired_cpu_ratio the median of each round's own ratio, which a machine
 * that slows down for a while between rounds moves less).  Then both stores
 * are filled at once, each batch into both, which one first alternating
 * (the DIR/with the reports read):
 *   ingest_interleaved: records=N without_s=… with_s=… ratio=…
 *           cpu_without_s=… cpu_with_s=… cpu_ratio=…
 * the same machine at the same moment for both: on a shared machine whose
 * speed drifts by ±15 % from minute to minute, the steadiest figure. */
#include "central_store.h"
#include "sl_event.h"
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_log.h"
#include "sl_report.h"
#include "sl_schema.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEMBERS 4500

typedef struct {
    sl_event_t ev;
    char type[32];
} gen_event_t;

typedef struct {
    char site_id[32];
    gen_event_t *evs;
    size_t n, cap;
    uint64_t hlc;
    uint8_t prev[SL_HASH_BYTES];
    uint8_t talent[SL_ID_BYTES];
    bool has_talent;
    uint8_t last_visit[SL_ID_BYTES];
    bool has_visit;
} gen_site_t;

static uint64_t s_rng = 88172645463325252ull;
static uint32_t s_rand(uint32_t n)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng % n);
}

static int s_units;

/* A day of 2025 as yyyymmdd, from its index (0 = Jan 1), capped at Dec 31. */
static long s_day(long idx)
{
    if (idx > 364)
        idx = 364;
    long base = sl_report_days(20250101) + idx;
    /* back to civil */
    long z = base + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9);
    return (y + (m <= 2)) * 10000 + m * 100 + d;
}

/* Adds one record: FIELD=VALUE words; returns its id in id_out (may be NULL). */
static void s_add(gen_site_t *s, const char *type, uint8_t *id_out, ...)
{
    const char *names[24], *values[24];
    char copies[24][200];
    size_t n = 0;
    va_list ap;
    va_start(ap, id_out);
    const char *word;
    while ((word = va_arg(ap, const char *)) && n < 24) {
        snprintf(copies[n], sizeof copies[n], "%s", word);
        char *eq = strchr(copies[n], '=');
        *eq = 0;
        names[n] = copies[n];
        values[n] = eq + 1;
        n++;
    }
    va_end(ap);
    const sl_rtype_t *rt = sl_schema_find(type, strlen(type));
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    char err[600];
    const char *field;
    if (sl_schema_build(rt, n, names, values, &buf, NULL, err, sizeof err, &field)) {
        fprintf(stderr, "bench: %s: %s\n", type, err);
        exit(1);
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->evs = realloc(s->evs, s->cap * sizeof *s->evs);
    }
    gen_event_t *g = &s->evs[s->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->type, sizeof g->type, "%s", type);
    sl_event_t *ev = &g->ev;
    ev->seq = s->n;
    s->hlc = sl_hlc_next(s->hlc, 1735689600000 + (int64_t) s->n * 1000);
    ev->hlc = s->hlc;
    ev->wall_ms = 1735689600000 + (int64_t) s->n * 1000;
    sl_id_new(ev->id, ev->hlc);
    ev->type = g->type;         /* re-pointed at ingest: the array moves */
    ev->type_len = strlen(type);
    ev->payload = (const uint8_t *) buf.data;     /* owned: freed at exit */
    ev->payload_len = buf.size;
    memcpy(ev->prev, s->prev, SL_HASH_BYTES);
    sl_event_hash(ev, s->site_id, strlen(s->site_id), ev->hash);
    memcpy(s->prev, ev->hash, SL_HASH_BYTES);
    if (id_out)
        memcpy(id_out, ev->id, SL_ID_BYTES);
}

#define A(...) __VA_ARGS__, (const char *) NULL
static char s_b[16][96];
static const char *s_f(int k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *s_f(int k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s_b[k], sizeof s_b[k], fmt, ap);
    va_end(ap);
    return s_b[k];
}

static const char *s_date(int k, const char *name, long day)
{
    return s_f(k, "%s=%04ld-%02ld-%02ld", name, day / 10000, day / 100 % 100, day % 100);
}

static const char *s_idw(int k, const char *name, const uint8_t *id)
{
    char text[SL_ID_TEXT];
    sl_id_format(id, text);
    return s_f(k, "%s=%s", name, text);
}

static int s_member_of(int unit) { return unit * (MEMBERS / s_units) + (int) s_rand(MEMBERS / s_units); }

static void s_generate(gen_site_t *s, int site_index, size_t budget)
{
    int first = site_index * 70 % MEMBERS;
    for (int i = 0; i < 70; i++)
        s_add(s, "member_checkin", NULL, A(s_f(0, "member=m%04d", (first + i) % MEMBERS),
                                           s_date(1, "on", s_day(s_rand(20)))));
    while (s->n < budget) {
        uint32_t r = s_rand(100);
        long d = s_rand(330);
        int unit = (int) s_rand((uint32_t) s_units);
        int member = s_member_of(unit);
        uint8_t id[SL_ID_BYTES];
        if (r < 35) {
            static const char *const kinds[] = { "grid_worker", "courier", "delivery_rider",
                                                 "resident", "volunteer" };
            s_add(s, "problem_report", id, A(s_f(0, "reporter_kind=%s", kinds[s_rand(5)]),
                                             s_f(1, "reporter=骑手%03u", s_rand(300)),
                                             s_f(2, "summary=楼道堆放杂物第%zu处", s->n),
                                             s_date(3, "on", s_day(d))));
            if (s_rand(10) == 0) {
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=rejected",
                                           "note=不属于社区职责", s_date(1, "on", s_day(d + 1))));
                continue;
            }
            long a = d + s_rand(3);
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=accepted", s_date(1, "on", s_day(a))));
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=assigned",
                                       s_f(2, "member=m%04d", member), s_date(1, "on", s_day(a + 1))));
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=handled", s_date(1, "on", s_day(a + 2))));
            long cl = a + 2 + s_rand(8);
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=closed", s_date(1, "on", s_day(cl))));
            static const int stars[10] = { 5, 5, 5, 5, 4, 4, 4, 3, 2, 1 };
            s_add(s, "rating", NULL, A(s_idw(0, "item", id), s_f(1, "stars=%d", stars[s_rand(10)]),
                                       s_date(2, "on", s_day(cl + 1))));
            if (s_rand(12) == 0) {
                long ro = cl + 2;
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=reopened", s_date(1, "on", s_day(ro))));
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=assigned",
                                           s_f(2, "member=m%04d", s_member_of(unit)), s_date(1, "on", s_day(ro))));
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=handled", s_date(1, "on", s_day(ro + 1))));
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=closed", s_date(1, "on", s_day(ro + 2))));
                s_add(s, "rating", NULL, A(s_idw(0, "item", id), s_f(1, "stars=%d", stars[s_rand(10)]),
                                           s_date(2, "on", s_day(ro + 3))));
            }
        } else if (r < 50) {
            s_add(s, "home_visit", id, A(s_f(0, "member=m%04d", member), s_f(1, "household=%u栋%u",
                  s_rand(30), s_rand(600)), "purpose=走访慰问", s_date(2, "on", s_day(d))));
            memcpy(s->last_visit, id, SL_ID_BYTES);
            s->has_visit = true;
        } else if (r < 60) {
            if (s_rand(2)) {
                s_add(s, "service_matter", id, A(s_f(0, "unit=u%03d", unit + 1), "title=为社区办实事",
                                                 "status=done", s_date(1, "on", s_day(d))));
            } else {
                s_add(s, "service_matter", id, A(s_f(0, "unit=u%03d", unit + 1), "title=为社区办实事",
                                                 "status=planned", s_date(1, "on", s_day(d))));
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=in_progress", s_date(1, "on", s_day(d + 5))));
                s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=done", s_date(1, "on", s_day(d + 20))));
            }
            if (s_rand(20) == 0)
                s_add(s, "correction", NULL, A(s_idw(0, "item", id), "field=unit",
                                               s_f(1, "value=u%03d", (unit + 1) % s_units + 1),
                                               "reason=录错单位"));
        } else if (r < 67) {
            s_add(s, "volunteer_activity", NULL, A(s_f(0, "team=t%03d", unit + 1), "title=义诊",
                                                   s_date(1, "on", s_day(d)), s_f(2, "participants=%u", 5 + s_rand(20)),
                                                   s_f(3, "new_employment=%u", s_rand(4)),
                                                   s_f(4, "hours=%u", 2 + s_rand(30))));
        } else if (r < 72) {
            s_add(s, "party_day", NULL, A(s_f(0, "unit=u%03d", unit + 1), "theme=主题党日",
                                          s_date(1, "on", s_day(d)), "participants=20"));
        } else if (r < 75) {
            int speaker = s_rand(5) ? unit * (MEMBERS / s_units) : member;
            s_add(s, "party_lecture", NULL, A(s_f(0, "unit=u%03d", unit + 1),
                                              s_f(1, "speaker=m%04d", speaker), "title=党课",
                                              s_date(2, "on", s_day(d)), "audience=30"));
        } else if (r < 80) {
            s_add(s, "micro_wish", id, A("resident=困难群众", "wish=轮椅", "status=posted", s_date(0, "on", s_day(d))));
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=claimed", s_f(2, "unit=u%03d", unit + 1),
                                       s_date(1, "on", s_day(d + 3))));
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=fulfilled", s_date(1, "on", s_day(d + 10))));
        } else if (r < 84) {
            s_add(s, "enterprise_problem", id, A("enterprise=某企业", "problem=用工", s_f(0, "unit=u%03d", unit + 1),
                                                 "status=reported", s_date(1, "on", s_day(d))));
            s_add(s, "update", NULL, A(s_idw(0, "item", id), "status=solved", s_date(1, "on", s_day(d + 12))));
        } else if (r < 87) {
            s_add(s, "talent", s->talent, A(s_f(0, "name=师傅%zu", s->n), "skills=水电",
                                            s_date(1, "on", s_day(d))));
            s->has_talent = true;
        } else if (r < 89) {
            s_add(s, "training", NULL, A(s_rand(2) ? "kind=talent" : "kind=worker", "title=培训班",
                                         s_date(0, "on", s_day(d)), s_f(1, "attendees=%u", 10 + s_rand(40))));
        } else if (r < 94) {
            if (s->has_talent)
                s_add(s, "talent_service", NULL, A(s_idw(0, "talent", s->talent), "need=修水管",
                                                   s_date(1, "on", s_day(d)),
                                                   s_rand(4) ? "solved=yes" : "solved=no"));
        } else if (r < 95) {
            s_add(s, "certificate_demand", NULL, A(s_f(0, "department=部门%u", s_rand(20)), "certificate=证明",
                                                   s_date(1, "on", s_day(d))));
        } else if (r < 97) {
            s_add(s, "inspection", NULL, A(s_f(0, "unit=u%03d", unit + 1), "inspector=督查组",
                                           s_date(1, "on", s_day(d)), s_rand(3) ? "tasks_met=yes" : "tasks_met=no"));
        } else if (s->has_visit) {
            s_add(s, "void", NULL, A(s_idw(0, "item", s->last_visit), "reason=重复录入"));
            s->has_visit = false;
        }
    }
}

static void s_ref(central_store_t *st, const char *kind, const char *key, const char *json)
{
    char err[300];
    if (central_store_log_append(st, NULL, kind, key, json, NULL, err, sizeof err)) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
}

static void s_reference(central_store_t *st, int nsites)
{
    char key[32], json[400];
    central_store_begin(st);
    for (int c = 0; c < nsites; c++) {
        snprintf(key, sizeof key, "c%02d", c + 1);
        snprintf(json, sizeof json, "{\"name\":\"社区%02d\",\"households\":%d,\"center_area_m2\":%d,"
                 "\"workers\":%d,\"ladder_cadres\":5,\"ladder_hired\":2,\"flat_wage_min\":%d,"
                 "\"flat_wage_max\":%d,\"member_cap\":80}", c + 1, 800 + c * 37 % 900,
                 200 + c * 13 % 200, 8 + c % 7, 2400 + c % 5 * 100, 3000 + c % 7 * 100);
        s_ref(st, "community", key, json);
    }
    for (int u = 0; u < s_units; u++) {
        snprintf(key, sizeof key, "u%03d", u + 1);
        snprintf(json, sizeof json, "{\"name\":\"单位%03d\"}", u + 1);
        s_ref(st, "unit", key, json);
    }
    for (int m = 0; m < MEMBERS; m++) {
        snprintf(key, sizeof key, "m%04d", m);
        snprintf(json, sizeof json, "{\"name\":\"党员%04d\",\"unit\":\"u%03d\"}", m,
                 m / (MEMBERS / s_units) % s_units + 1);
        s_ref(st, "member", key, json);
    }
    for (int u = 0; u < s_units; u++) {
        snprintf(key, sizeof key, "u%03d", u + 1);
        snprintf(json, sizeof json, "{\"name\":\"单位%03d\",\"secretary\":\"m%04d\","
                 "\"secretary_since\":\"2024-01-01\"}", u + 1, u * (MEMBERS / s_units));
        s_ref(st, "unit", key, json);
        snprintf(key, sizeof key, "br%02d", u % 10 + 1);
        snprintf(json, sizeof json, "{\"name\":\"品牌%02d\"}", u % 10 + 1);
        s_ref(st, "brand", key, json);
        snprintf(key, sizeof key, "t%03d", u + 1);
        snprintf(json, sizeof json, "{\"name\":\"服务队%03d\",\"unit\":\"u%03d\",\"brand\":\"br%02d\"}",
                 u + 1, u + 1, u % 10 + 1);
        s_ref(st, "team", key, json);
    }
    for (int d = 0; d < 36; d++) {
        snprintf(key, sizeof key, "d%02d", d + 1);
        snprintf(json, sizeof json, "{\"title\":\"权责事项%02d\",\"kind\":\"%s\"}", d + 1,
                 d % 3 ? "duty" : "assist");
        s_ref(st, "duty_item", key, json);
    }
    central_store_commit(st);
}

/* This process's CPU time (user + system), in seconds: on a shared machine
 * the wall time also counts other people's work. */
static double s_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

#define S_MAX_ROUNDS 9

static double s_median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A store of an earlier round, with its WAL and shared memory. */
static void s_remove_store(const char *dir)
{
    static const char *files[] = { "central.db", "central.db-wal", "central.db-shm" };
    char path[700];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
}

static double s_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* One store being filled: its wall and CPU time so far. */
typedef struct {
    central_store_t *st;
    central_site_t *cs;
    double wall, cpu;
    size_t done;
} run_t;

static void s_run_open(run_t *r, const char *dir, gen_site_t *sites, int nsites, bool with_items)
{
    char err[600];
    s_remove_store(dir);
    if (central_store_init(dir, err, sizeof err) || !(r->st = central_store_open(dir, err, sizeof err))) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    s_reference(r->st, nsites);
    r->cs = calloc((size_t) nsites, sizeof *r->cs);
    for (int i = 0; i < nsites; i++) {
        char comm[16];
        central_store_site(r->st, sites[i].site_id, &r->cs[i]);
        central_store_touch(r->st, r->cs[i].site_no, central_store_log_head(r->st), "bench", 5);
        snprintf(comm, sizeof comm, "c%02d", i + 1);
        central_store_site_community(r->st, r->cs[i].site_no, comm);
        central_store_site(r->st, sites[i].site_id, &r->cs[i]);
    }
    if (!with_items)
        central_store_bench_without_items(r->st);
    else
        central_store_defer_items(r->st);     /* as the engine keeps the table */
    r->wall = r->cpu = 0;
    r->done = 0;
}

/* One batch (site i, from off), timed: as the engine applies it. */
static void s_run_batch(run_t *r, gen_site_t *site, int i, const sl_event_t *batch, size_t n,
                        size_t off)
{
    double w0 = s_mono_s(), c0 = s_cpu_s();
    central_batch_result_t res;
    if (central_store_begin(r->st)
        || central_store_apply_batch(r->st, site->site_id, &r->cs[i], batch, n, sl_now_ms(), &res)
        || central_store_commit(r->st)) {
        fprintf(stderr, "bench: site %s batch at %zu refused: %s\n", site->site_id, off, res.text);
        exit(1);
    }
    r->cpu += s_cpu_s() - c0;
    r->wall += s_mono_s() - w0;
    r->done += n;
}

/* The rows still kept are written (the time counts all of them). */
static void s_run_close(run_t *r)
{
    double w0 = s_mono_s(), c0 = s_cpu_s();
    if (central_store_items_sync(r->st)) {
        fprintf(stderr, "bench: cannot write the item rows\n");
        exit(1);
    }
    r->cpu += s_cpu_s() - c0;
    r->wall += s_mono_s() - w0;
    free(r->cs);
    central_store_destroy(&r->st);
}

/* Every batch of every site, round robin over the sites, into one store
 * (runs[0]) or, interleaved, into two (each batch into both, which one
 * first alternating): the same machine at the same moment for both. */
static void s_fill(run_t *runs, int nruns, gen_site_t *sites, int nsites)
{
    sl_event_t *batch = malloc(1000 * sizeof *batch);
    size_t k = 0;
    for (size_t off = 0;; off += 1000) {
        bool any = false;
        for (int i = 0; i < nsites; i++) {
            if (off >= sites[i].n)
                continue;
            any = true;
            size_t n = sites[i].n - off < 1000 ? sites[i].n - off : 1000;
            for (size_t e = 0; e < n; e++) {
                batch[e] = sites[i].evs[off + e].ev;
                batch[e].type = sites[i].evs[off + e].type;
            }
            for (int j = 0; j < nruns; j++)
                s_run_batch(&runs[(j + (int) (k % 2)) % nruns], &sites[i], i, batch, n, off);
            k++;
        }
        if (!any)
            break;
    }
    free(batch);
    for (int j = 0; j < nruns; j++)
        s_run_close(&runs[j]);
}

static double s_ingest(const char *dir, gen_site_t *sites, int nsites, bool with_items,
                       size_t *total, double *cpu)
{
    run_t r;
    s_run_open(&r, dir, sites, nsites, with_items);
    s_fill(&r, 1, sites, nsites);
    *total = r.done;
    *cpu = r.cpu;
    return r.wall;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-report-ingest DIR N [SITES [UNITS]]\n");
        return 64;
    }
    const char *dir = argv[1];
    size_t n = (size_t) strtoull(argv[2], NULL, 10);
    int nsites = argc > 3 ? atoi(argv[3]) : 60;
    s_units = argc > 4 ? atoi(argv[4]) : 67;
    int rounds = argc > 5 ? atoi(argv[5]) : 3;
    if (nsites < 1 || nsites > 99 || s_units < 1 || s_units > 999 || n < (size_t) nsites * 200
        || rounds < 1 || rounds > S_MAX_ROUNDS) {
        fprintf(stderr, "bench-report-ingest: SITES 1..99, UNITS 1..999, N >= 200 per site, "
                        "ROUNDS 1..%d\n", S_MAX_ROUNDS);
        return 64;
    }
    sl_log_set_level(SL_LOG_ERROR);
    mkdir(dir, 0700);
    gen_site_t *sites = calloc((size_t) nsites, sizeof *sites);
    for (int i = 0; i < nsites; i++) {
        snprintf(sites[i].site_id, sizeof sites[i].site_id, "bench.s%02d", i + 1);
        s_generate(&sites[i], i, n / (size_t) nsites);
    }
    char path[600];
    size_t total = 0;
    double w[2][S_MAX_ROUNDS], c[2][S_MAX_ROUNDS];   /* [without, with][round] */
    for (int r = 0; r < rounds; r++)
        for (int with = 0; with < 2; with++) {
            snprintf(path, sizeof path, "%s/%s", dir, with ? "with" : "without");
            w[with][r] = s_ingest(path, sites, nsites, with, &total, &c[with][r]);
            printf("ingest_%s: round=%d records=%zu seconds=%.2f cpu_seconds=%.2f rate=%.0f/s",
                   with ? "with" : "without", r + 1, total, w[with][r], c[with][r],
                   total / w[with][r]);
            if (with)
                printf(" cpu_ratio=%.3f", c[1][r] / c[0][r]);
            printf("\n");
            fflush(stdout);
        }
    double paired[S_MAX_ROUNDS];
    for (int r = 0; r < rounds; r++)
        paired[r] = c[1][r] / c[0][r];
    double without = s_median(w[0], rounds), with = s_median(w[1], rounds);
    double without_cpu = s_median(c[0], rounds), with_cpu = s_median(c[1], rounds);
    printf("ingest: records=%zu ingest_without_s=%.2f ingest_with_s=%.2f ratio=%.3f "
           "cpu_without_s=%.2f cpu_with_s=%.2f cpu_ratio=%.3f rounds=%d paired_cpu_ratio=%.3f\n",
           total, without, with, with / without, without_cpu, with_cpu, with_cpu / without_cpu,
           rounds, s_median(paired, rounds));
    /* Then both at once, batch by batch (the with store is left for the
     * reports as before): a machine that changes speed slows both. */
    run_t both[2];
    char wpath[600];
    snprintf(path, sizeof path, "%s/without", dir);
    snprintf(wpath, sizeof wpath, "%s/with", dir);
    s_run_open(&both[0], path, sites, nsites, false);
    s_run_open(&both[1], wpath, sites, nsites, true);
    s_fill(both, 2, sites, nsites);
    printf("ingest_interleaved: records=%zu without_s=%.2f with_s=%.2f ratio=%.3f cpu_without_s=%.2f "
           "cpu_with_s=%.2f cpu_ratio=%.3f\n", both[1].done, both[0].wall, both[1].wall,
           both[1].wall / both[0].wall, both[0].cpu, both[1].cpu, both[1].cpu / both[0].cpu);
    for (int i = 0; i < nsites; i++) {
        for (size_t k = 0; k < sites[i].n; k++)
            free((void *) sites[i].evs[k].ev.payload);
        free(sites[i].evs);
    }
    free(sites);
    return 0;
}
