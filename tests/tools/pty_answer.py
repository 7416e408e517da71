#!/usr/bin/env python3
"""pty_answer.py: runs a program on a terminal (a pseudo-terminal) and
answers its questions, as a person at the keyboard would.

usage: pty_answer.py TRANSCRIPT ANSWER... -- PROGRAM ARGS...

Each time the program waits at a prompt (its output ends with ": "), the
next ANSWER is typed followed by Enter; the answer ^D ends the input
(Ctrl-D).  Everything the terminal shows (the program's output and the
echoed answers) is written to TRANSCRIPT.  Exits with the program's exit
status, or 124 when it does not finish within 30 s.  Used by the entry
tests (tests/integration/it_i7_prompts.sh) and by the user guide's
examples (scripts/guide_examples.py)."""
import os
import pty
import select
import sys
import time


def main():
    if "--" not in sys.argv or len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 64
    cut = sys.argv.index("--")
    transcript, answers, argv = sys.argv[1], sys.argv[2:cut], sys.argv[cut + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "dumb"
        os.execvp(argv[0], argv)
    shown = b""
    pending = b""
    deadline = time.time() + 30
    status = None
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            shown += data
            pending += data
        elif pending.endswith(b": ") and answers:
            answer = answers.pop(0)
            os.write(fd, b"\x04" if answer == "^D" else answer.encode() + b"\r")
            pending = b""
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st     # reaped; read what it still wrote
        if status is not None and not ready:
            break
    while status is not None:                       # what it wrote before it ended
        ready, _, _ = select.select([fd], [], [], 0.2)
        try:
            data = os.read(fd, 4096) if ready else b""
        except OSError:
            data = b""
        if not data:
            break
        shown += data
    end = time.time() + 5
    while status is None and time.time() < end:     # the output ended: it is exiting
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
        else:
            time.sleep(0.02)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    with open(transcript, "wb") as out:
        out.write(shown.replace(b"\r\n", b"\n"))
    if status is None:
        return 124
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
