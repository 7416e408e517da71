/* fuzz_dir.h: the scratch directory and reference data of the stateful
 * fuzz targets (fuzz_server, fuzz_site, fuzz_entry) and make_seeds.
 *
 * Each target builds a template store once (keys, reference data, earlier
 * records), then starts every input from a fresh copy of it, so that a
 * finding replays alone from its crash file.  The directory lives on tmpfs
 * when there is one (stores commit with synchronous=FULL) and is removed at
 * exit.  Header-only: each target is one executable. */
#ifndef FUZZ_DIR_H
#define FUZZ_DIR_H
#include "sl_msg.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference data every fuzz target publishes, and the seeds name
 * (make_seeds.c s_refkey): kind, key, value (a flat JSON object). */
#define FUZZ_NREFS 6
static const char *const fuzz_refs[FUZZ_NREFS][3] = {
    { "community", "c1", "{\"name\":\"测试社区\",\"member_cap\":2}" },
    { "unit", "u1", "{\"name\":\"区委办\",\"secretary\":\"m1\"}" },
    { "member", "m1", "{\"name\":\"张三\",\"unit\":\"u1\"}" },
    { "team", "t1", "{\"name\":\"爱满杏林\"}" },
    { "brand", "b1", "{\"name\":\"百愿牵手\"}" },
    { "banned_certificate", "bc1", "{\"title\":\"居住证明\"}" },
};

/* fuzz_refs as server-log entries 1..FUZZ_NREFS. */
__attribute__((unused)) static void fuzz_ref_entries(sl_log_entry_t e[FUZZ_NREFS])
{
    for (size_t i = 0; i < FUZZ_NREFS; i++)
        e[i] = (sl_log_entry_t) { .lseq = i + 1, .kind = fuzz_refs[i][0],
                                  .kind_len = strlen(fuzz_refs[i][0]), .key = fuzz_refs[i][1],
                                  .key_len = strlen(fuzz_refs[i][1]), .value = fuzz_refs[i][2],
                                  .value_len = strlen(fuzz_refs[i][2]) };
}

static char fuzz_root[128];

static void fuzz_dir_cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_root);
    if (fuzz_root[0] && system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_root);
}

/* Creates the scratch directory (once); returns it. */
__attribute__((unused)) static const char *fuzz_dir_root(const char *name)
{
    if (fuzz_root[0])
        return fuzz_root;
    snprintf(fuzz_root, sizeof fuzz_root, "%s/sl-%s.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
    if (!mkdtemp(fuzz_root))
        abort();
    atexit(fuzz_dir_cleanup);
    return fuzz_root;
}

__attribute__((unused)) static void fuzz_copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            abort();
    if (!in || !out || ferror(in) || fclose(out))
        abort();
    fclose(in);
}

/* Makes <root>/run a copy of <root>/template holding the database `db`
 * (closed, so its WAL is folded in); returns <root>/run. */
__attribute__((unused)) static const char *fuzz_dir_fresh(const char *db)
{
    static char run[200];
    char from[300], to[300];
    snprintf(run, sizeof run, "%s/run", fuzz_root);
    if (mkdir(run, 0700) && errno != EEXIST)
        abort();
    static const char *extra[] = { "-wal", "-shm", "-journal" };
    for (int i = 0; i < 3; i++) {
        snprintf(to, sizeof to, "%s/%s%s", run, db, extra[i]);
        unlink(to);
    }
    snprintf(from, sizeof from, "%s/template/%s", fuzz_root, db);
    snprintf(to, sizeof to, "%s/%s", run, db);
    fuzz_copy_file(from, to);
    return run;
}

#endif
