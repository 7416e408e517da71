/* test_csv: the CSV reader (common/sl_csv.c) from memory and from a file:
 * quotes, "" escapes, line breaks inside quotes, CRLF, the UTF-8 BOM (also
 * before a quoted heading), blank lines, and refusals that name the line:
 * a NUL byte, an unclosed quote, a quote inside an unquoted field, too many
 * fields, a row too long. */
#include "sl_check.h"
#include "sl_csv.h"
#include <stdlib.h>
#include <string.h>

/* Reads every row of data and joins them as "a|b;c|d;" (rows end with ';'),
 * or "ERR:<message>" at the first error.  Also returns the start line of
 * the last row read. */
static void s_read_all(sl_csv_t *csv, char *out, size_t cap, long *last_line)
{
    char *fields[8], buf[64], err[300];
    size_t used = 0;
    int n;
    out[0] = 0;
    while ((n = sl_csv_row(csv, fields, 8, buf, sizeof buf, err, sizeof err)) > 0) {
        *last_line = sl_csv_line(csv);
        for (int i = 0; i < n; i++)
            used += (size_t) snprintf(out + used, cap - used, "%s%s", i ? "|" : "", fields[i]);
        used += (size_t) snprintf(out + used, cap - used, ";");
    }
    if (n < 0)
        snprintf(out + used, cap - used, "ERR:%s", err);
}

static void s_case(const char *what, const char *data, size_t len, const char *want,
                   long want_line)
{
    char got[1024];
    long line = 0;
    sl_csv_t *csv = sl_csv_from_buffer(data, len);
    s_read_all(csv, got, sizeof got, &line);
    sl_csv_destroy(&csv);
    bool ok = strncmp(want, "ERR:", 4) == 0 ? strstr(got, want + 4) != NULL
                                            : strcmp(got, want) == 0;
    s_check(ok && (want_line == 0 || line == want_line), "%s: got \"%s\" (last line %ld)",
            what, got, line);
}

#define CASE(what, lit, want, line) s_case(what, lit, sizeof lit - 1, want, line)

int main(void)
{
    CASE("plain rows, LF", "a,b\nc,d\n", "a|b;c|d;", 2);
    CASE("CRLF and no final line break", "a,b\r\nc,d", "a|b;c|d;", 2);
    CASE("quotes, \"\" and a comma inside quotes", "\"x,y\",\"say \"\"hi\"\"\"\n",
         "x,y|say \"hi\";", 1);
    CASE("a line break inside quotes: the next row starts on line 3",
         "\"two\nlines\",b\nc,d\n", "two\nlines|b;c|d;", 3);
    CASE("empty cells and a blank line (one empty field)", "a,,c\n\nd\n", "a||c;;d;", 3);
    CASE("UTF-8 BOM skipped", "\xEF\xBB\xBF" "code,名称\n", "code|名称;", 1);
    CASE("UTF-8 BOM before a quoted heading", "\xEF\xBB\xBF\"code\",x\n", "code|x;", 1);
    CASE("a short file that only starts like a BOM", "\xEF\xBB", "\xEF\xBB;", 1);
    CASE("empty input: no rows", "", "", 0);
    CASE("a NUL byte is refused, naming line and field", "a,b\nc,d\0e\n",
         "ERR:line 2, field 2: contains a NUL byte", 0);
    CASE("an unclosed quote", "a,\"b\nc\n", "ERR:line 1: a quoted field is not closed", 0);
    CASE("a quote inside an unquoted field", "ab\"c\n",
         "ERR:line 1: a quote inside an unquoted field", 0);
    CASE("more fields than room", "1,2,3,4,5,6,7,8,9\n", "ERR:more than 8 fields", 0);
    CASE("a row longer than the buffer",
         "0123456789012345678901234567890123456789012345678901234567890123456789\n",
         "ERR:row longer than 64 bytes", 0);
    CASE("messages are Chinese first", "a,\"b\n", "ERR:第 1 行：引号不成对", 0);

    /* The same reader on a FILE*. */
    FILE *f = tmpfile();
    fputs("\xEF\xBB\xBF" "code,name\r\nu01,\"区委办\"\r\n", f);
    rewind(f);
    sl_csv_t *csv = sl_csv_from_file(f);
    char got[256];
    long line = 0;
    s_read_all(csv, got, sizeof got, &line);
    s_check(strcmp(got, "code|name;u01|区委办;") == 0 && line == 2,
            "from a FILE*: BOM, CRLF, quoted Chinese (got \"%s\")", got);
    sl_csv_destroy(&csv);
    sl_csv_destroy(&csv);
    s_check(csv == NULL, "destroy twice is safe and NULLs the pointer");
    fclose(f);

    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
