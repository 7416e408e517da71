/* test_text.c: text, ids and clocks (common/sl_text.c, sl_id.c, sl_hlc.c).
 *
 *   - sl_utf8_valid / sl_utf8_chars / sl_utf8_valid_prefix: overlongs,
 *     surrogates, code points, cutting a text to fit
 *     above U+10FFFF, truncated sequences, stray continuation bytes and
 *     controls are refused (P9: invalid UTF-8 never gets in);
 *   - sl_display_width: CJK and full-width forms take two columns;
 *   - sl_table: exact output of aligned tables mixing Chinese and ASCII;
 *   - sl_hlc_next / sl_hlc_observe: stamps never go backwards when the wall
 *     clock does, and a peer's stamp more than a day ahead is not adopted
 *     (P10: clocks lie);
 *   - sl_id: UUIDv7 layout, text form round trip, malformed text refused;
 *     sl_site_id_check.
 * Prints one line per check; exits 1 on any failure. */
#include "sl_hlc.h"
#include "sl_id.h"
#include "sl_text.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"

static void s_utf8(void)
{
    static const struct { const char *what; const char *s; size_t len; long chars; } cases[] = {
        { "empty", "", 0, 0 },
        { "ASCII", "abc", 3, 3 },
        { "CJK 社区", "\xe7\xa4\xbe\xe5\x8c\xba", 6, 2 },
        { "mixed 社区a1", "\xe7\xa4\xbe\xe5\x8c\xba" "a1", 8, 4 },
        { "2-byte é", "\xc3\xa9", 2, 1 },
        { "U+0080 (C1 control: allowed, only ASCII controls are refused)", "\xc2\x80", 2, 1 },
        { "U+07FF", "\xdf\xbf", 2, 1 },
        { "U+0800", "\xe0\xa0\x80", 3, 1 },
        { "U+D7FF (last before the surrogates)", "\xed\x9f\xbf", 3, 1 },
        { "U+E000 (first after the surrogates)", "\xee\x80\x80", 3, 1 },
        { "U+FFFF", "\xef\xbf\xbf", 3, 1 },
        { "emoji U+1F600", "\xf0\x9f\x98\x80", 4, 1 },
        { "U+10FFFF (the last code point)", "\xf4\x8f\xbf\xbf", 4, 1 },
        { "tab and newline", "a\tb\nc", 5, 5 },
        { "overlong NUL c0 80", "\xc0\x80", 2, -1 },
        { "overlong '/' c0 af", "\xc0\xaf", 2, -1 },
        { "overlong c1 bf", "\xc1\xbf", 2, -1 },
        { "overlong 3-byte U+007F", "\xe0\x81\xbf", 3, -1 },
        { "overlong 3-byte U+07FF", "\xe0\x9f\xbf", 3, -1 },
        { "overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf", 4, -1 },
        { "overlong 4-byte NUL", "\xf0\x80\x80\x80", 4, -1 },
        { "surrogate U+D800", "\xed\xa0\x80", 3, -1 },
        { "surrogate U+DFFF", "\xed\xbf\xbf", 3, -1 },
        { "surrogate pair (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80", 6, -1 },
        { "U+110000", "\xf4\x90\x80\x80", 4, -1 },
        { "lead byte f5", "\xf5\x80\x80\x80", 4, -1 },
        { "lead byte f8 (5-byte form)", "\xf8\x88\x80\x80\x80", 5, -1 },
        { "byte fe", "\xfe", 1, -1 },
        { "byte ff", "\xff", 1, -1 },
        { "truncated 2-byte", "\xc3", 1, -1 },
        { "truncated 3-byte", "a\xe7\xa4", 3, -1 },
        { "truncated 4-byte", "\xf0\x9f\x98", 3, -1 },
        { "3-byte cut by ASCII", "\xe7\xa4" "a", 3, -1 },
        { "lone continuation 80", "\x80", 1, -1 },
        { "lone continuation bf after ASCII", "ab\xbf", 3, -1 },
        { "NUL inside", "a\0b", 3, -1 },
        { "control 01", "\x01", 1, -1 },
        { "control 1f", "x\x1f", 2, -1 },
        { "carriage return", "a\r\n", 3, -1 },
        { "escape", "\x1b[1m", 4, -1 },
        { "DEL 7f", "\x7f", 1, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool valid = cases[i].chars >= 0;
        s_check(sl_utf8_valid(cases[i].s, cases[i].len) == valid
                && sl_utf8_chars(cases[i].s, cases[i].len) == cases[i].chars,
                "%s: %s, %ld characters", cases[i].what, valid ? "valid" : "refused",
                cases[i].chars);
    }
    /* Only `len` bytes are read: a valid prefix of an invalid buffer. */
    s_check(sl_utf8_valid("ab\xff", 2), "the first 2 bytes of \"ab\\xff\" are valid");
    s_check(sl_utf8_chars("\xe7\xa4\xbe\xe5\x8c\xba", 4) == -1,
            "社 plus the first byte of 区 is not");
    /* Cutting a text to fit a field: never inside a character, never past
     * a byte that is not text. */
    const char *sq = "\xe7\xa4\xbe\xe5\x8c\xba";       /* 社区 */
    s_check(sl_utf8_valid_prefix(sq, 6, 6) == 6, "社区 fits in 6 bytes whole");
    s_check(sl_utf8_valid_prefix(sq, 6, 5) == 3 && sl_utf8_valid_prefix(sq, 6, 4) == 3
            && sl_utf8_valid_prefix(sq, 6, 2) == 0, "cut to 5, 4 or 2 bytes: before 区, or before 社");
    s_check(sl_utf8_valid_prefix("ab\xff" "cd", 5, 100) == 2, "stops before a byte that is not UTF-8");
    s_check(sl_utf8_valid_prefix("ab\rcd", 5, 100) == 2, "stops before a control character");
    s_check(sl_utf8_valid_prefix(sq, 4, 100) == 3, "a character cut by the end is left out");
}

static void s_width(void)
{
    static const struct { const char *s; size_t width; } cases[] = {
        { "", 0 }, { "abc", 3 }, { "社区", 4 }, { "公园社区a", 9 }, { "é", 1 },
        { "\xef\xbc\xa1", 2 },          /* U+FF21 full-width A */
        { "\xef\xbd\xb1", 1 },          /* U+FF71 half-width katakana */
        { "\xe3\x80\x87", 2 },          /* U+3007 〇 */
        { "\xe3\x80\x80", 2 },          /* U+3000 ideographic space */
        { "\xed\x95\x9c", 2 },          /* U+D55C Hangul */
        { "\xf0\x9f\x98\x80", 2 },      /* U+1F600 */
        { "\xf0\xa0\x80\x80", 2 },      /* U+20000 CJK extension B */
        { "\xef\xbc\x8c", 2 },          /* U+FF0C full-width comma */
        { "1,234", 5 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_check(sl_display_width(cases[i].s) == cases[i].width, "width of \"%s\" is %zu",
                cases[i].s, cases[i].width);
}

static char *s_print(sl_table_t *t)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    sl_table_print(t, f);
    fclose(f);
    return buf;
}

static void s_tables(void)
{
    const char *head[] = { "社区", "记录数" };
    sl_table_t *t = sl_table_new(2, head);
    const char *r1[] = { "公园社区", "12" };
    const char *r2[] = { "hexi", "3" };
    sl_table_add(t, r1);
    sl_table_add(t, r2);
    sl_table_align(t, 1, 'r');
    char *out = s_print(t);
    const char *want =
        "社区      记录数\n"
        "--------  ------\n"
        "公园社区      12\n"
        "hexi           3\n";
    if (!s_check(strcmp(out, want) == 0, "table with a right-aligned count column"))
        printf("%s", out);
    free(out);
    sl_table_destroy(&t);
    s_check(t == NULL, "sl_table_destroy clears the pointer");
    sl_table_destroy(&t);

    const char *h2[] = { "a", "bb" };
    t = sl_table_new(2, h2);
    const char *r3[] = { "社", NULL };
    const char *r4[] = { "x", "区区" };
    sl_table_add(t, r3);
    sl_table_add(t, r4);
    sl_table_align(t, 7, 'r');  /* no such column: ignored */
    out = s_print(t);
    want =
        "a   bb\n"
        "--  ----\n"
        "社  \n"
        "x   区区\n";
    if (!s_check(strcmp(out, want) == 0, "left-aligned last column has no trailing padding; "
                 "a NULL cell is empty"))
        printf("%s", out);
    free(out);
    sl_table_destroy(&t);

    /* Many rows: the table grows. */
    const char *h3[] = { "n" };
    t = sl_table_new(1, h3);
    for (int i = 0; i < 100; i++) {
        char cell[8];
        snprintf(cell, sizeof cell, "%d", i);
        const char *row[] = { cell };
        sl_table_add(t, row);
    }
    sl_table_align(t, 0, 'r');
    out = s_print(t);
    s_check(strncmp(out, " n\n--\n 0\n 1\n", 12) == 0 && strstr(out, "\n99\n") != NULL,
            "a table of 100 rows, right-aligned");
    free(out);
    sl_table_destroy(&t);
}

static void s_hlc(void)
{
    const uint64_t T = 1732752000000ULL;
    s_check(sl_hlc_next(0, (int64_t) T) == T << 16, "first stamp is the wall clock << 16");
    s_check(sl_hlc_next(T << 16, (int64_t) T) == (T << 16) + 1,
            "same millisecond: the counter goes up");
    s_check(sl_hlc_next((T << 16) + 5, (int64_t) T + 1) == (T + 1) << 16,
            "next millisecond: counter back to 0");
    s_check(sl_hlc_next(((T + 60000) << 16) + 7, (int64_t) T) == ((T + 60000) << 16) + 8,
            "wall clock one minute behind the last stamp: last + 1");
    s_check(sl_hlc_next((T << 16) | 0xFFFF, (int64_t) T) == (T + 1) << 16,
            "counter overflow carries into the milliseconds");
    s_check(sl_hlc_next(42, -5) == 43, "a negative wall clock: last + 1");

    /* A wall clock that jumps back and forth: stamps strictly increase, and
     * never fall behind the wall clock when it moves forward. */
    uint64_t last = 0, rng = 12345;
    int64_t now = (int64_t) T;
    bool increasing = true, not_behind = true;
    for (int i = 0; i < 10000; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t step = (int64_t) (rng >> 33) % 2000 - 700;   /* -700..1299 ms */
        now += step;
        uint64_t next = sl_hlc_next(last, now);
        if (next <= last)
            increasing = false;
        if (now > 0 && next < (uint64_t) now << 16)
            not_behind = false;
        last = next;
    }
    s_check(increasing, "10000 stamps with the wall clock jumping back: strictly increasing");
    s_check(not_behind, "and never behind the wall clock");

    const int64_t day = 86400000;
    uint64_t mine = T << 16;
    s_check(sl_hlc_observe(mine, ((T + 5000) << 16) + 3, (int64_t) T) == ((T + 5000) << 16) + 3,
            "a peer stamp 5 s ahead is adopted");
    s_check(sl_hlc_observe(mine, (T + (uint64_t) day) << 16, (int64_t) T) == (T + (uint64_t) day) << 16,
            "a peer stamp exactly a day ahead is adopted");
    s_check(sl_hlc_observe(mine, ((T + (uint64_t) day) << 16) + 1, (int64_t) T) == mine,
            "a peer stamp more than a day ahead is not adopted");
    s_check(sl_hlc_observe(mine, (T + 365ULL * (uint64_t) day) << 16, (int64_t) T) == mine,
            "a peer stamp a year ahead is not adopted");
    s_check(sl_hlc_observe(mine, (T - 1000) << 16, (int64_t) T) == mine,
            "a peer stamp behind ours changes nothing");
    s_check(sl_hlc_observe(mine, UINT64_MAX, (int64_t) T) == mine,
            "the largest possible stamp is not adopted");
    uint64_t merged = sl_hlc_observe(mine, ((T + 5000) << 16) + 3, (int64_t) T);
    s_check(sl_hlc_next(merged, (int64_t) T) == ((T + 5000) << 16) + 4,
            "after adopting, our next stamp follows the peer's");
}

static void s_ids(void)
{
    static const uint8_t bytes[16] = { 0x01, 0x93, 0x70, 0x11, 0x44, 0x00, 0x7f, 0xdc,
                                       0xb9, 0x16, 0x33, 0x50, 0x6d, 0x8a, 0xa7, 0xc4 };
    char text[SL_ID_TEXT];
    sl_id_format(bytes, text);
    s_check(strcmp(text, "01937011-4400-7fdc-b916-33506d8aa7c4") == 0, "format: %s", text);
    uint8_t parsed[16];
    s_check(sl_id_parse(text, parsed) == 0 && memcmp(parsed, bytes, 16) == 0,
            "parse gives the bytes back");
    s_check(sl_id_parse("01937011-4400-7FDC-B916-33506D8AA7C4", parsed) == 0
            && memcmp(parsed, bytes, 16) == 0, "upper-case hex parses too");
    static const char *bad[] = {
        "", "01937011-4400-7fdc-b916-33506d8aa7c", "01937011-4400-7fdc-b916-33506d8aa7c4a",
        "0193701144007fdcb91633506d8aa7c4", "01937011-4400-7fdc-b91633506d8aa7c4-",
        "0193701-14400-7fdc-b916-33506d8aa7c4", "01937011-4400-7fdc-b916-33506d8aa7cg",
        "01937011_4400_7fdc_b916_33506d8aa7c4", "01937011-4400-7fdc-b916-33506d8aa7c ",
        " 1937011-4400-7fdc-b916-33506d8aa7c4", "01937011-+400-7fdc-b916-33506d8aa7c4",
        "{1937011-4400-7fdc-b916-33506d8aa7c}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_check(sl_id_parse(bad[i], parsed) == -1, "refused: \"%s\"", bad[i]);

    const uint64_t T = 1732752000000ULL;
    uint8_t a[16], b[16];
    sl_id_new(a, (T << 16) + 9);
    sl_id_new(b, (T << 16) + 9);
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | a[i];
    s_check(ms == T, "sl_id_new: first 48 bits are the HLC milliseconds");
    s_check((a[6] >> 4) == 7 && (a[8] >> 6) == 2, "sl_id_new: version 7, variant 10");
    s_check(memcmp(a, b, 16) != 0 && memcmp(a, b, 6) == 0,
            "two ids of the same stamp differ in their random bits");
    sl_id_new(b, (T + 1) << 16);
    s_check(memcmp(a, b, 16) < 0, "an id of a later millisecond sorts after");

    char hex[7];
    sl_hex((const uint8_t *) "\x00\xab\xff", 3, hex);
    s_check(strcmp(hex, "00abff") == 0, "sl_hex: 00abff");

    static const struct { const char *s; bool ok; } sites[] = {
        { "qu01.gongyuan", true }, { "a", true }, { "7", true }, { "A-Z_9.x", true },
        { "0123456789012345678901234567890123456789012345678901234567890123", true },
        { "01234567890123456789012345678901234567890123456789012345678901234", false },
        { "", false }, { ".a", false }, { "-a", false }, { "_a", false }, { "a b", false },
        { "a/b", false }, { "社区", false }, { "a\t", false }, { "a:b", false },
    };
    for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
        const char *why = sl_site_id_check(sites[i].s, strlen(sites[i].s));
        s_check(sites[i].ok ? why == NULL : why != NULL, "site id \"%s\": %s", sites[i].s,
                why ? why : "valid");
    }
    s_check(sl_site_id_check("ab\0c", 4) != NULL, "site id with a NUL inside: refused");
}

int main(void)
{
    s_utf8();
    s_width();
    s_tables();
    s_hlc();
    s_ids();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
