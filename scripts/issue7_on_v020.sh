#!/usr/bin/env bash
# Shows that each test of issue 7 fails on 0.2.0 and passes now: builds the
# programs of tag v0.2.0 (from `git archive`, in a temporary directory; the
# working tree and its branches are not touched), runs every
# tests/integration/it_i7_*.sh against them and against build/, and prints
# for each the first check 0.2.0 fails.  Exits 1 when a test passes on
# 0.2.0 or fails now.  usage: scripts/issue7_on_v020.sh [TEST-NAME-PART]
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
old=${SL_V020_DIR:-/tmp/sl-v020-build}
if [ ! -x "$old/build/shuanglian-site" ]; then
  echo "building v0.2.0 in $old …"
  rm -rf "$old" && mkdir -p "$old/src"
  git archive v0.2.0 | tar -x -C "$old/src" || exit 1
  cmake -S "$old/src" -B "$old/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
  cmake --build "$old/build" -j2 --target shuanglian-server shuanglian-site shuanglian-admin >/dev/null || exit 1
fi
[ -x build/shuanglian-site ] || scripts/build.sh release >/dev/null || exit 1
bad=0
for t in tests/integration/it_i7_*${1:-}*.sh; do
  name=$(basename "$t" .sh)
  SL_BIN="$old/build" bash "$t" >"/tmp/$name.v020.log" 2>&1
  then_rc=$?
  SL_BIN="$root/build" bash "$t" >"/tmp/$name.now.log" 2>&1
  now_rc=$?
  first=$(grep -m1 '^FAIL' "/tmp/$name.v020.log" | cut -c1-220)
  printf '%-32s 0.2.0: %-6s now: %-6s %s\n' "$name" "$([ $then_rc = 0 ] && echo pass || echo FAIL)" \
    "$([ $now_rc = 0 ] && echo pass || echo FAIL)" "${first:-(no check failed: $(tail -1 "/tmp/$name.v020.log" | cut -c1-120))}"
  [ $then_rc != 0 ] && [ $now_rc = 0 ] || bad=1
done
exit $bad
