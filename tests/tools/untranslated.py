#!/usr/bin/python3
"""untranslated.py: finds sentences a reader of Chinese would not read, in
the recorded outputs of a scenario (tests/integration/it_i7_11_catalog.sh).

usage: untranslated.py zh|en DIR

DIR holds, per command N: N.cmd (its words, one line), N.kind ("msg": every
line is a message; "data": its standard output is data -- a table, a CSV,
JSON --, so only the headings line and standard error are read; "report":
a district report as a terminal table, whose labels are read and whose data
is not: the title (first line), each table's title ("【…】", "[…]"), group
line ("======== … ========"), headings line (the line above the dashes),
"(none)", and every row of a figures table (its label column is a label,
its values are numbers, dates and status words); "page": a web page of
the dashboard or of the site, whose labels are read -- the title,
headings, table headings, menu and links, buttons, form labels and
choices, paragraphs but the prose of a report, hints, badges and messages,
list items, the footer, the label cell of each figure, the terms of a
definition list and their values but a record's field values (dd id
"v-…"), and in the site's list of records the type and synced cells --
and whose data is not: other cells, a reference entry's choice ("u1
区委办": its key, then its name), the recent records a field may name
(a datalist), and in English a quoted value in a message),
N.out and N.err; and any *.log (a program's log: the machine prefix
"2026-01-02T03:04:05.678Z NAME LEVEL:" is left out).

zh (the default language): a line fails when it holds no CJK character and
has an English sentence, that is three or more English words in a row once
what is not prose is taken out: URLs, paths, --options, identifiers
(qu01.a, service_matter, set-endpoint), placeholders in capitals (FILE,
YYYY-MM-DD), quoted values and numbers.  "中文 English" side by side passes.

en (--lang en, LANG=en_*): a line of a message fails when it holds any CJK
character (a data line may: the records are in Chinese).

Prints each offending line with the command that wrote it; exit 1 if any.
"""
import html.parser
import os
import re
import sys

CJK = re.compile('[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]')
QUOTED = re.compile(r'"[^"]*"|“[^”]*”')        # a value quoted in a page's message
LOG_PREFIX = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z? \S+ [A-Za-z]+: ')
NOT_PROSE = [
    re.compile(r'\b[a-z]+://\S*'),                       # URLs, endpoints
    re.compile(r'"[^"]*"|\'[^\']*\''),                   # quoted values
    re.compile(r'\S*[/\\=@$#<>{}|]\S*'),                 # paths, KEY=VALUE, $VAR, #SEQ
    re.compile(r'(?<!\w)--?[A-Za-z][\w-]*'),             # options
    re.compile(r'\b\w*[_\d]\w*\b'),                      # identifiers, numbers
    re.compile(r'\b\w+(?:[.-]\w+)+\b'),                  # qu01.a, set-endpoint, x.cred
    re.compile(r'\b[A-Z]{2,}\w*\b'),                     # FILE, VERB, UTF, CSV
]
WORD = r"[A-Za-z][a-z]+(?:'[a-z]+)?"
SENTENCE = re.compile(WORD + r"(?:[,;:]?[ ]+" + WORD + r"){2,}")


def english_sentence(line):
    text = line
    for pattern in NOT_PROSE:
        text = pattern.sub(' | ', text)
    m = SENTENCE.search(text)
    return m.group(0) if m else None


DASHES = re.compile(r'^-+(  +-+)*$')
GROUP = re.compile(r'^=+ .* =+$')


def report_labels(lines):
    """The lines of a report (terminal table) that are labels, not data."""
    out = []
    figures = False
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ''
        if i == 0 or GROUP.match(line) or line.startswith(('【', '[')) or line in ('(none)', '（无 none）'):
            out.append(line)
            figures = False
        elif DASHES.match(nxt):
            out.append(line)
            heads = line.split()
            figures = heads[:1] in (['figure'], ['指标']) and 'key' in line
        elif not line.strip():
            figures = False
        elif figures and not DASHES.match(line):
            out.append(line)
    return out


class PageLabels(html.parser.HTMLParser):
    """The labels of a web page: what it says, not the data it shows."""
    LABELS = {'title', 'h1', 'h2', 'h3', 'th', 'a', 'button', 'label', 'option', 'footer', 'p',
              'span', 'nav', 'li', 'dt', 'div'}
    # the site's list of records: type and synced are words of the page
    RECORD_LABEL_CELLS = (2, 4)

    def __init__(self):
        super().__init__()
        self.stack = []
        self.texts = []
        self.figure_row = False
        self.cell = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'tr':
            self.cell = 0
        if tag == 'td':
            self.cell += 1
        if tag not in ('br', 'img', 'input', 'meta', 'link'):
            self.stack.append((tag, a.get('class') or '', a.get('id') or '',
                               a.get('value') or ''))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not data.strip() or not self.stack:
            return
        tags = [t for t, _, _, _ in self.stack]
        if any('prose' in c for _, c, _, _ in self.stack) or 'script' in tags or 'style' in tags:
            return
        if 'datalist' in tags:
            return                      # recent records: their titles
        tag, cls, ident, value = self.stack[-1]
        text = data.strip()
        if tag == 'option' and value and text.startswith(value + ' ') \
                and not text[len(value) + 1:].startswith(('(', '（')):
            text = value                # "u1 区委办": a reference entry's key, then its name
        in_figures = any(t == 'table' and i == 't-figures' for t, _, i, _ in self.stack)
        in_records = any(t == 'table' and i == 'records' for t, _, i, _ in self.stack)
        label = tag in self.LABELS \
            or (tag == 'dd' and not ident.startswith('v-')) \
            or (tag == 'td' and 'rowerr' in cls) \
            or (in_figures and tag == 'td' and self.cell == 1) \
            or (in_records and tag == 'td' and self.cell in self.RECORD_LABEL_CELLS)
        if label:
            self.texts.append(text)


def page_labels(text):
    p = PageLabels()
    p.feed(text)
    return p.texts


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('zh', 'en'):
        sys.stderr.write(__doc__)
        return 64
    mode, d = sys.argv[1], sys.argv[2]
    found = 0
    seen = 0
    sources = []
    for name in sorted(os.listdir(d), key=lambda n: (len(n), n)):
        if name.endswith('.cmd'):
            n = name[:-4]
            cmd = open(os.path.join(d, name), encoding='utf-8', errors='replace').read().strip()
            kind = open(os.path.join(d, n + '.kind')).read().strip()
            for stream in ('out', 'err'):
                sources.append((cmd, stream, kind, os.path.join(d, n + '.' + stream)))
        elif name.endswith('.log'):
            sources.append(('log ' + name, 'log', 'msg', os.path.join(d, name)))
    for cmd, stream, kind, path in sources:
        if not os.path.exists(path):
            continue
        text = open(path, encoding='utf-8', errors='replace').read()
        lines = text.splitlines()
        if kind == 'data' and stream == 'out':
            lines = lines[:1]           # the headings
        elif kind == 'report' and stream == 'out':
            lines = report_labels([l.replace('\u2061', '').replace('\u2062', '')
                                   .replace('\u2063', '') for l in lines])
        elif kind == 'page' and stream == 'out':
            lines = page_labels(text)
        for line in lines:
            if stream == 'log':
                line = LOG_PREFIX.sub('', line)
            line = line.replace('\u2061', '').replace('\u2062', '').replace('\u2063', '')
            if not line.strip():
                continue
            seen += 1
            if mode == 'zh':
                if CJK.search(line):
                    continue
                bad = english_sentence(line)
                if not bad:
                    continue
                why = 'English only ("%s")' % bad
            else:
                shown = QUOTED.sub('""', line) if kind == 'page' else line
                if not CJK.search(shown):
                    continue
                why = 'CJK in English mode'
            found += 1
            print('%s [%s]: %s\n    %s' % (cmd, stream, why, line[:300]))
    print('%d line(s) read, %d untranslated (%s)' % (seen, found, mode))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
