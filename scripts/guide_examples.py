#!/usr/bin/env python3
"""guide_examples.py: the user guide's examples are run, never pasted.

usage: scripts/guide_examples.py [--write | --check] [--bin BUILD_DIR] [GUIDE.md]

In docs/USER-GUIDE.md a code block that follows the line

    <!-- guide-run -->

holds commands (lines starting with "$ ") and their output.  This script
runs the commands, in the order of the guide, in one scratch directory
with the programs of BUILD_DIR (default build/) first on PATH, and compares
what they print (standard output and error together) with the block:
--check (the default, and the ctest doc_user_guide) fails with a diff when
they differ; --write puts the programs' output into the guide.

    <!-- guide-run tty: 2 | 3 | -->

runs the block's one command on a terminal (tests/tools/pty_answer.py)
and types the answers, separated by "|", at its prompts.

    <!-- guide-setup
    commands
    -->

runs commands the reader does not see (bash, set -e): a server, its
reference data, files to import.  $GUIDE_EP is a free endpoint on
127.0.0.1; a command may append the pid of a program it leaves running to
.pids, which is killed at the end.

What changes from run to run is compared as a placeholder: record ids,
clock times, the port, and today's date (the guide keeps the date it was
written on in <!-- guide-date YYYY-MM-DD -->).
"""
import argparse
import datetime
import difflib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PTY = os.path.join(ROOT, "tests", "tools", "pty_answer.py")

RUN = re.compile(r"^<!-- guide-run(?: tty:(.*))? -->\s*$")
DATE = re.compile(r"^<!-- guide-date (\d{4}-\d\d-\d\d) -->\s*$")


def free_port():
    """A free port below the ephemeral range (see tests/integration/lib.sh)."""
    for port in range(17000, 30000, 7):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("guide: no free port")


def normalise(text, today):
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", "<time>", text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?", "<time>", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)
    if today:
        text = text.replace(today, "<today>")
    return text


class Runner:
    def __init__(self, bindir, work):
        self.work = work
        self.env = dict(os.environ)
        self.env["PATH"] = bindir + os.pathsep + self.env.get("PATH", "")
        self.env["GUIDE_EP"] = "tcp://127.0.0.1:%d" % free_port()
        self.env["LC_ALL"] = "C.UTF-8"
        self.env.pop("SL_WRAP", None)
        self.status = 0

    def setup(self, script, where):
        r = subprocess.run(["bash", "-ec", script], cwd=self.work, env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if r.returncode:
            raise SystemExit("guide: the setup at line %d failed (exit %d):\n%s"
                             % (where, r.returncode, r.stdout.decode(errors="replace")))

    def run(self, command, answers):
        """Runs one command; `$?` in it is the exit status of the one before,
        as in the reader's shell."""
        script = "(exit %d); %s" % (self.status, command)
        if answers is None:
            r = subprocess.run(["bash", "-c", script], cwd=self.work, env=self.env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            self.status = r.returncode
            return r.stdout.decode(errors="replace")
        transcript = os.path.join(self.work, ".transcript")
        r = subprocess.run([sys.executable, PTY, transcript] + answers + ["--", "bash", "-c", script],
                           cwd=self.work, env=self.env, timeout=120)
        self.status = r.returncode
        with open(transcript, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        try:
            with open(os.path.join(self.work, ".pids")) as f:
                for pid in f.read().split():
                    try:
                        os.kill(int(pid), signal.SIGTERM)
                    except (OSError, ValueError):
                        pass
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description="Runs the user guide's examples.")
    ap.add_argument("guide", nargs="?", default=os.path.join(ROOT, "docs", "USER-GUIDE.md"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="put the programs' output into the guide")
    mode.add_argument("--check", action="store_true", help="fail when the guide differs (default)")
    args = ap.parse_args()
    bindir = os.path.abspath(args.bin)
    if not os.access(os.path.join(bindir, "shuanglian-site"), os.X_OK):
        raise SystemExit("guide: no programs in %s (build first: scripts/build.sh)" % bindir)
    with open(args.guide, encoding="utf-8") as f:
        lines = f.read().split("\n")

    guide_date = None
    for line in lines:
        m = DATE.match(line)
        if m:
            guide_date = m.group(1)
    today = datetime.date.today().isoformat()
    work = tempfile.mkdtemp(prefix="sl-guide.")
    runner = Runner(bindir, work)
    out = []                    # the guide as the programs write it
    want, got = [], []          # normalised, for --check
    blocks = 0
    i = 0
    try:
        while i < len(lines):
            line = lines[i]
            if line.startswith("<!-- guide-setup"):
                start = i
                body = []
                out.append(line)
                i += 1
                while i < len(lines) and lines[i].strip() != "-->":
                    body.append(lines[i])
                    out.append(lines[i])
                    i += 1
                if i == len(lines):
                    raise SystemExit("guide: line %d: guide-setup is not closed by -->" % (start + 1))
                out.append(lines[i])
                i += 1
                runner.setup("\n".join(body), start + 1)
                continue
            if DATE.match(line):
                out.append("<!-- guide-date %s -->" % today)
                i += 1
                continue
            m = RUN.match(line)
            if not m:
                out.append(line)
                i += 1
                continue
            answers = None if m.group(1) is None else [a.strip() for a in m.group(1).split("|")]
            if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
                raise SystemExit("guide: line %d: guide-run is not followed by a code block" % (i + 1))
            out.append(line)
            out.append(lines[i + 1])
            j = i + 2
            block = []
            while j < len(lines) and not lines[j].startswith("```"):
                block.append(lines[j])
                j += 1
            if j == len(lines):
                raise SystemExit("guide: line %d: the code block is not closed" % (i + 2))
            commands = [b[2:] for b in block if b.startswith("$ ")]
            if not commands:
                raise SystemExit("guide: line %d: a guide-run block without a $ command" % (i + 1))
            fresh = []
            for c in commands:
                fresh.append("$ " + c)
                text = runner.run(c, answers)
                if text.strip():
                    # A file shown with cat may end its lines with CR: the guide keeps LF.
                    fresh.extend(piece.rstrip("\r") for piece in text.rstrip("\n").split("\n"))
            out.extend(fresh)
            out.append(lines[j])
            want.append((i + 1, "\n".join(block)))
            got.append((i + 1, "\n".join(fresh)))
            blocks += 1
            i = j + 1
    finally:
        runner.stop()
        shutil.rmtree(work, ignore_errors=True)

    if args.write:
        with open(args.guide, "w", encoding="utf-8") as f:
            f.write("\n".join(out))
        print("guide: %d examples run and written into %s" % (blocks, args.guide))
        return 0
    differ = 0
    for (line, a), (_, b) in zip(want, got):
        na, nb = normalise(a, guide_date) + "\n", normalise(b, today) + "\n"
        if na != nb:
            differ += 1
            sys.stdout.write("guide: the example at line %d differs from the programs' output:\n" % line)
            sys.stdout.writelines(difflib.unified_diff(
                na.splitlines(True), nb.splitlines(True), "guide", "programs", n=1))
            sys.stdout.write("\n")
    if differ:
        print("guide: %d of %d examples differ; if the programs are right, run "
              "scripts/guide_examples.py --write and review the change" % (differ, blocks))
        return 1
    print("guide: all %d examples agree with the programs" % blocks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
