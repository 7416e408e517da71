/* test_lang.c: the message catalog (common/sl_lang.c).
 *
 *   - the language from LC_ALL / LC_MESSAGES / LANG (the first set decides)
 *     and from --lang, which is taken out of argv; a wrong --lang refused;
 *   - SL_T and sl_tf: 中文 English by default, English only in English,
 *     both marked in dual; a text of several lines pairs its lines;
 *   - dual text rendered for its reader: nested pairs show one language
 *     inside each side, a text cut inside a pair still shows what it holds,
 *     stray marks are dropped, text without marks is left alone;
 *   - an "either" pair (SL_E, sl_epair) shows its Chinese only by default,
 *     its English only in English, and inside a pair its own side;
 *   - sl_table renders its cells and counts the marks as no width. */
#include "sl_lang.h"
#include "sl_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"

static char s_buf[4096];

static const char *s_render(sl_lang_t lang, const char *text)
{
    sl_lang_render_as(lang, text, strlen(text), s_buf, sizeof s_buf);
    return s_buf;
}

static void s_env(void)
{
    s_check(sl_lang_from_env(NULL, NULL, NULL) == SL_LANG_ZH, "nothing set: Chinese first");
    s_check(sl_lang_from_env(NULL, NULL, "C.UTF-8") == SL_LANG_ZH, "LANG=C.UTF-8: Chinese first");
    s_check(sl_lang_from_env(NULL, NULL, "zh_CN.UTF-8") == SL_LANG_ZH, "LANG=zh_CN: Chinese first");
    s_check(sl_lang_from_env(NULL, NULL, "en_US.UTF-8") == SL_LANG_EN, "LANG=en_US.UTF-8: English");
    s_check(sl_lang_from_env(NULL, NULL, "en") == SL_LANG_EN, "LANG=en: English");
    s_check(sl_lang_from_env(NULL, NULL, "eng") == SL_LANG_ZH, "LANG=eng is not en");
    s_check(sl_lang_from_env(NULL, "en_GB", "zh_CN.UTF-8") == SL_LANG_EN,
            "LC_MESSAGES=en_GB over LANG=zh_CN");
    s_check(sl_lang_from_env("zh_CN.UTF-8", "en_GB", "en_US") == SL_LANG_ZH,
            "LC_ALL=zh_CN over LC_MESSAGES and LANG");
    s_check(sl_lang_from_env("", "", "en_US") == SL_LANG_EN, "empty LC_ALL does not count");

    char a0[] = "prog", a1[] = "record", a2[] = "--lang", a3[] = "en", a4[] = "list";
    char *argv[] = { a0, a1, a2, a3, a4, NULL };
    int argc = 5;
    s_check(sl_lang_init(&argc, argv) == 0 && argc == 3 && strcmp(argv[1], "record") == 0
            && strcmp(argv[2], "list") == 0 && argv[3] == NULL, "--lang en taken out of argv");
    s_check(sl_lang_reader() == SL_LANG_EN && sl_lang() == SL_LANG_EN, "--lang en: English");
    char b1[] = "--lang=zh", b2[] = "x";
    char *argv2[] = { a0, b1, b2, NULL };
    argc = 3;
    s_check(sl_lang_init(&argc, argv2) == 0 && argc == 2 && sl_lang() == SL_LANG_ZH,
            "--lang=zh: Chinese first");
    char c1[] = "--", c2[] = "--lang", c3[] = "en";
    char *argv3[] = { a0, c1, c2, c3, NULL };
    argc = 4;
    s_check(sl_lang_init(&argc, argv3) == 0 && argc == 4 && sl_lang() == SL_LANG_ZH,
            "--lang after -- is an argument");
    char d1[] = "--lang", d2[] = "fr";
    char *argv4[] = { a0, d1, d2, NULL };
    argc = 3;
    fprintf(stderr, "(a refusal follows) ");
    s_check(sl_lang_init(&argc, argv4) == -1, "--lang fr refused");
    sl_lang_set(SL_LANG_ZH);
}

static void s_texts(void)
{
    sl_lang_set(SL_LANG_ZH);
    s_check(strcmp(SL_T("已保存", "saved"), "已保存 saved") == 0, "SL_T: 中文 English");
    char buf[200];
    sl_tf(buf, sizeof buf, "已保存 %d 条\n", "saved %d records\n", 3);
    s_check(strcmp(buf, "已保存 3 条 saved 3 records\n") == 0, "sl_tf: one line, one line end (%s)",
            buf);
    sl_tf(buf, sizeof buf, "  注册完成", "  enrolled");
    s_check(strcmp(buf, "  注册完成 enrolled") == 0, "indentation kept once (%s)", buf);
    const char *two = SL_T("第一行\n第二行", "line one\nline two");
    s_check(strcmp(two, "第一行 line one\n第二行 line two") == 0, "lines paired (%s)", two);
    s_check(SL_T("第一行\n第二行", "line one\nline two") == two, "a paired text is kept");
    sl_tf(buf, sizeof buf, "甲\n乙\n", "one line\n");
    s_check(strcmp(buf, "甲\n乙 one line\n") == 0, "lines that do not pair: one after the other");

    sl_lang_set(SL_LANG_EN);
    s_check(strcmp(SL_T("已保存", "saved"), "saved") == 0, "SL_T in English");
    sl_tf(buf, sizeof buf, "已保存 %d 条\n", "saved %d records\n", 3);
    s_check(strcmp(buf, "saved 3 records\n") == 0, "sl_tf in English");

    sl_lang_t was = sl_lang_use(SL_LANG_DUAL);
    s_check(sl_lang() == SL_LANG_DUAL && sl_lang_reader() == SL_LANG_EN, "this thread writes dual");
    char dual[300];
    sl_tf(dual, sizeof dual, "站点 %s 已吊销", "site %s revoked", "s01");
    s_check(strcmp(dual, SL_D("站点 s01 已吊销", "site s01 revoked")) == 0, "dual text marked");
    s_check(sl_lang_is_dual(dual) && !sl_lang_is_dual("plain"), "sl_lang_is_dual");
    char outer[600];
    sl_tf(outer, sizeof outer, "拒绝：%s。", "refused: %s.", dual);
    sl_lang_use(was);
    s_check(sl_lang() == SL_LANG_EN, "back to the process's language");
    s_check(strcmp(s_render(SL_LANG_ZH, dual), "站点 s01 已吊销 site s01 revoked") == 0,
            "dual rendered both");
    s_check(strcmp(s_render(SL_LANG_EN, dual), "site s01 revoked") == 0, "dual rendered English");
    s_check(strcmp(s_render(SL_LANG_ZH, outer), "拒绝：站点 s01 已吊销。 refused: site s01 revoked.")
            == 0, "nested: one language inside each side (%s)", s_buf);
    s_check(strcmp(s_render(SL_LANG_EN, outer), "refused: site s01 revoked.") == 0,
            "nested in English");
    char prefixed[700];
    snprintf(prefixed, sizeof prefixed, "shuanglian-admin: %s (403)", dual);
    s_check(strcmp(s_render(SL_LANG_EN, prefixed), "shuanglian-admin: site s01 revoked (403)") == 0,
            "plain text around a pair stays");
    char cut[40];
    memcpy(cut, dual, 13);
    cut[13] = 0;
    s_check(strcmp(s_render(SL_LANG_ZH, cut), "站点 s01") == 0, "cut inside the Chinese (%s)", s_buf);
    size_t mid = strstr(dual, "site") - dual;
    memcpy(cut, dual, mid + 4);
    cut[mid + 4] = 0;
    s_check(strcmp(s_render(SL_LANG_EN, cut), "site") == 0, "cut inside the English");
    s_check(strcmp(s_render(SL_LANG_ZH, "a" SL_DUAL_CLOSE "b"), "ab") == 0, "a stray mark dropped");
    s_check(strcmp(s_render(SL_LANG_EN, "社区 — 7 ★"), "社区 — 7 ★") == 0,
            "text without marks unchanged");
    s_check(strcmp(s_render(SL_LANG_DUAL, dual), dual) == 0, "dual copied as it is");
    char small[12];
    sl_lang_render_as(SL_LANG_ZH, dual, strlen(dual), small, sizeof small);
    s_check(strcmp(small, "站点 s01 ") == 0, "cut at a character boundary (%s)", small);

    sl_lang_set(SL_LANG_ZH);
    char pair[100];
    sl_tpair(pair, sizeof pair, "民生实事", "service_matter");
    s_check(strcmp(pair, "民生实事 service_matter") == 0, "sl_tpair both");
    sl_tpair(pair, sizeof pair, "", "service_matter");
    s_check(strcmp(pair, "service_matter") == 0, "sl_tpair without Chinese");
    sl_lang_set(SL_LANG_EN);
    sl_tpair(pair, sizeof pair, "民生实事", "service_matter");
    s_check(strcmp(pair, "service_matter") == 0, "sl_tpair in English");
    sl_lang_set(SL_LANG_ZH);
}

static void s_either(void)
{
    const char *e = SL_E("5星", "5 stars");
    s_check(strcmp(s_render(SL_LANG_ZH, e), "5星") == 0, "either: Chinese only (%s)", s_buf);
    s_check(strcmp(s_render(SL_LANG_EN, e), "5 stars") == 0, "either: English only (%s)", s_buf);
    s_check(strcmp(s_render(SL_LANG_DUAL, e), e) == 0, "either: kept as it is in dual");
    char label[200];
    snprintf(label, sizeof label, "%s %s", SL_E("民生实事", "service_matter"), SL_D("完成", "done"));
    s_check(strcmp(s_render(SL_LANG_ZH, label), "民生实事 完成 done") == 0, "either beside a pair "
            "(%s)", s_buf);
    s_check(strcmp(s_render(SL_LANG_EN, label), "service_matter done") == 0, "… in English (%s)",
            s_buf);
    char buf[100];
    sl_epair(buf, sizeof buf, "", ": 0/1");
    s_check(strcmp(s_render(SL_LANG_ZH, buf), "") == 0 && strcmp(s_render(SL_LANG_EN, buf), ": 0/1")
            == 0, "either with no Chinese: nothing by default");
    char outer[300];
    sl_df(outer, sizeof outer, "状态：%s", "status: %s", e);
    s_check(strcmp(s_render(SL_LANG_ZH, outer), "状态：5星 status: 5 stars") == 0,
            "either inside a pair: each side its own (%s)", s_buf);
    char small[10];
    sl_epair(small, sizeof small, "民生实事", "service_matter");
    s_check(strlen(small) < sizeof small && strcmp(s_render(SL_LANG_ZH, small), "民生") == 0,
            "sl_epair cut at a character (%s)", s_buf);
}

static void s_table(void)
{
    s_check(sl_display_width(SL_D("社区", "x")) == 6, "marks take no columns");
    sl_lang_set(SL_LANG_EN);
    static const char *const heads[] = { SL_D("站点", "site"), SL_D("记录", "records") };
    sl_table_t *t = sl_table_new(2, heads);
    const char *row[] = { "s01", "3" };
    sl_table_add(t, row);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sl_table_print(t, f);
    fclose(f);
    s_check(strcmp(text, "site  records\n----  -------\ns01   3\n") == 0, "table headings in "
            "English (%s)", text);
    free(text);
    sl_table_destroy(&t);
    sl_lang_set(SL_LANG_ZH);
}

int main(void)
{
    s_env();
    s_texts();
    s_either();
    s_table();
    printf("%d checks, %d failed\n", s_checks, s_failures);
    return s_failures ? 1 : 0;
}
