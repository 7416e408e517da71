/* test_csv: the CSV reader (common/sl_csv.c) from memory and from a file:
 * quotes, "" escapes, line breaks inside quotes, CRLF, the UTF-8 BOM (also
 * before a quoted heading), blank lines, and refusals that name the line:
 * a NUL byte, an unclosed quote, a quote inside an unquoted field, too many
 * fields, a row too long.  Decoding spreadsheet files (issue 7 item 6):
 * UTF-8 with and without BOM, GBK, GB18030, UTF-16LE and BE with a BOM and
 * without; workbooks, UTF-32 and a GBK line in a UTF-8 file refused by
 * name and line; the separator of Excel's "Unicode text" (tab); the writer
 * quotes what must be quoted and reads back. */
#include "sl_check.h"
#include "sl_csv.h"
#include "sl_lang.h"
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

/* Decodes data; want is the UTF-8 text and encoding name, or "ERR:<part of the message>". */
static void s_decode(const char *what, const char *data, size_t len, const char *want,
                     size_t want_len, const char *want_encoding)
{
    char *out = NULL, encoding[64], err[600];
    size_t outlen = 0;
    int rc = sl_csv_decode(data, len, &out, &outlen, encoding, sizeof encoding, err, sizeof err);
    /* The name is kept dual (an import's history shows it to any reader):
     * compared as a reader of English sees it. */
    char shown[64];
    sl_lang_render_as(SL_LANG_EN, encoding, strlen(encoding), shown, sizeof shown);
    if (strncmp(want, "ERR:", 4) == 0)
        s_check(rc != 0 && strstr(err, want + 4) && out == NULL, "%s: refused (%s)", what, err);
    else
        s_check(rc == 0 && outlen == want_len && memcmp(out, want, outlen) == 0
                && strcmp(shown, want_encoding) == 0,
                "%s: reads as \"%s\", %s (got rc %d \"%.100s\" %s %s)", what, want, want_encoding,
                rc, rc == 0 ? out : "", shown, rc ? err : "");
    free(out);
}

#define DECODE(what, lit, want, enc) \
    s_decode(what, lit, sizeof lit - 1, want, sizeof want - 1, enc)

static void s_decoding(void)
{
    DECODE("UTF-8", "unit,title\n区委办,x\n", "unit,title\n区委办,x\n", "UTF-8");
    DECODE("UTF-8 with a BOM (Excel's CSV UTF-8)", "\xEF\xBB\xBF" "单位\r\n区委办\r\n",
           "单位\r\n区委办\r\n", "UTF-8 (BOM)");
    DECODE("GBK (Excel's CSV on Chinese Windows)", "unit\r\n\xC7\xF8\xCE\xAF\xB0\xEC\r\n",
           "unit\r\n区委办\r\n", "GBK");
    DECODE("GB18030 (a four-byte character)", "name\n\x95\x32\x82\x36\xC7\xF8\n",
           "name\n\xF0\xA0\x80\x80区\n", "GB18030");
    DECODE("UTF-16LE with a BOM (Excel's Unicode text)",
           "\xFF\xFE" "u\0\t\0" "\x0A\x4E\n\0", "u\t上\n", "UTF-16LE");
    DECODE("UTF-16BE with a BOM", "\xFE\xFF" "\0u\0,\x4E\x0A\0\n", "u,上\n", "UTF-16BE");
    DECODE("UTF-16LE without a BOM", "a\0,\0b\0\n\0\x0A\x4E\n\0", "a,b\n上\n",
           "UTF-16LE (no BOM)");
    DECODE("an empty file", "", "", "UTF-8");
    DECODE("one stray NUL in UTF-8 is left to the reader", "a,b\nc,d\0e\n", "a,b\nc,d\0e\n",
           "UTF-8");
    DECODE("an .xlsx workbook", "PK\x03\x04\x14\0\0\0", "ERR:Excel workbook (.xlsx)", NULL);
    DECODE("an .xls workbook", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", "ERR:(.xls)", NULL);
    DECODE("UTF-32", "\xFF\xFE\0\0u\0\0\0", "ERR:this file is UTF-32", NULL);
    DECODE("UTF-16 cut short (an odd number of bytes)", "\xFF\xFE" "a\0b", "ERR:this file is "
           "UTF-16LE, but line 1", NULL);
    DECODE("a BOM-marked UTF-8 file with a GBK line names the line",
           "\xEF\xBB\xBF" "unit\n区委办\n\xC7\xF8\n", "ERR:this file is UTF-8, but line 3 is not", NULL);
    DECODE("a UTF-8 file with one GBK line names the line",
           "单位,事项,日期\n区委办,长椅,2026-03-05\n区委办,路灯,2026-03-06\n区委办,长椅,2026\n"
           "\xC7\xF8\xCE\xAF\xB0\xEC,x,2026-03-07\n", "ERR:第 5 行不是", NULL);
    DECODE("bytes that are no text encoding", "a\n\x81\x20\xFF\xFF\n", "ERR:neither UTF-8 nor "
           "GBK/GB18030 (line 2", NULL);
    /* The decoded NUL-terminated text is what the reader reads. */
    char *out;
    size_t outlen;
    char enc[64], err[300];
    const char gbk[] = "\xC9\xE7\xC7\xF8,\"\xC7\xF8\xCE\xAF\xB0\xEC\"\r\n";
    int rc = sl_csv_decode(gbk, sizeof gbk - 1, &out, &outlen, enc, sizeof enc, err, sizeof err);
    char got[256];
    long line = 0;
    sl_csv_t *csv = rc == 0 ? sl_csv_from_buffer(out, outlen) : NULL;
    if (csv)
        s_read_all(csv, got, sizeof got, &line);
    s_check(rc == 0 && strcmp(got, "社区|区委办;") == 0, "a GBK file decoded, then read (%s)", got);
    sl_csv_destroy(&csv);
    if (rc == 0)
        free(out);
}

static void s_separator_and_writer(void)
{
    s_check(sl_csv_guess_separator("a\tb\tc\nx,y\n", 11) == '\t', "tabs in the first line: TAB");
    s_check(sl_csv_guess_separator("a,b\tc\n", 6) == ',', "more commas: comma");
    s_check(sl_csv_guess_separator("\"a\tb\",c\n", 8) == ',', "a tab inside quotes does not count");
    s_check(sl_csv_guess_separator("", 0) == ',', "an empty file: comma");

    sl_csv_t *csv = sl_csv_from_buffer("a\t\"b\tc\"\t,\n", 10);
    sl_csv_set_separator(csv, '\t');
    char got[256];
    long line = 0;
    s_read_all(csv, got, sizeof got, &line);
    s_check(strcmp(got, "a|b\tc|,;") == 0, "tab-separated, a quoted tab (got \"%s\")", got);
    sl_csv_destroy(&csv);

    FILE *f = tmpfile();
    const char *row[] = { "plain", "a,b", "say \"hi\"", "two\nlines", " padded", "", "区委办" };
    s_check(sl_csv_write_row(f, row, 7, ',') == 0, "a row written");
    rewind(f);
    char text[256] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    s_check(strcmp(text, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" padded\",,区委办\r\n") == 0,
            "… quoting what must be (got \"%s\")", text);
    rewind(f);
    csv = sl_csv_from_file(f);
    s_read_all(csv, got, sizeof got, &line);
    s_check(strcmp(got, "plain|a,b|say \"hi\"|two\nlines| padded||区委办;") == 0,
            "… and reads back cell for cell (got \"%s\")", got);
    sl_csv_destroy(&csv);
    rewind(f);
    char *all;
    size_t len;
    s_check(sl_csv_slurp(f, 1000, &all, &len, got, sizeof got) == 0 && len == n,
            "slurp reads a whole file (%zu bytes)", len);
    free(all);
    rewind(f);
    s_check(sl_csv_slurp(f, 10, &all, &len, got, sizeof got) != 0 && strstr(got, "larger"),
            "slurp refuses a file larger than its limit: %s", got);
    fclose(f);
}

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

    s_decoding();
    s_separator_and_writer();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
