/* test_catalog.c: proto/PROTOCOL.md carries the record-type catalog that
 * the table of common/sl_schema.c generates (section 7.2), so the
 * specification cannot drift from the code.  On a difference it prints the
 * generated text: paste it between the catalog markers (or run
 * `shuanglian-site record types --markdown`). */
#include "sl_schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"

int main(void)
{
    const char *src = getenv("SL_SOURCE_DIR");
    char path[600];
    snprintf(path, sizeof path, "%s/proto/PROTOCOL.md", src ? src : "..");
    FILE *f = fopen(path, "r");
    if (!s_check(f != NULL, "read %s", path))
        return 1;
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    const char *begin = strstr(doc, "<!-- catalog:begin -->\n");
    const char *end = begin ? strstr(begin, "<!-- catalog:end -->") : NULL;
    s_check(begin && end, "PROTOCOL.md has the catalog markers");
    char *gen = NULL;
    size_t glen = 0;
    FILE *g = open_memstream(&gen, &glen);
    sl_schema_markdown(g);
    fclose(g);
    if (begin && end) {
        begin += strlen("<!-- catalog:begin -->\n");
        bool same = (size_t) (end - begin) == glen && memcmp(begin, gen, glen) == 0;
        if (!same)
            printf("# PROTOCOL.md section 7.2 differs from the table; generated text:\n%s", gen);
        s_check(same, "PROTOCOL.md's catalog is the table's (%zu bytes)", glen);
        for (size_t i = 0; i < sl_schema_count(); i++) {
            char heading[200];
            snprintf(heading, sizeof heading, "#### `%s`", sl_schema_at(i)->name);
            s_check(strstr(begin, heading) != NULL, "the catalog has %s", sl_schema_at(i)->name);
        }
    }
    free(gen);
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
