# lib.sh: shared helpers for integration tests (sourced, not run).
#
# Every test starts real shuanglian processes on 127.0.0.1 in a private
# temporary directory, and the EXIT trap kills whatever it started, so a
# failing test leaves no process behind.  Set SL_KEEP=1 to keep the directory.
# SL_WRAP (e.g. "valgrind --leak-check=full --error-exitcode=99") prefixes
# every program started in the background.
set -u
SL_BIN=${SL_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
SERVER=$SL_BIN/shuanglian-server
SITE=$SL_BIN/shuanglian-site
SL_WRAP=${SL_WRAP:-}
T=$(mktemp -d /tmp/sl-test.XXXXXX)
PIDS=()
SERVER_PID=
TEST_NAME=$(basename "$0" .sh)

sl_cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ $rc -ne 0 ]; then
    echo "--- $TEST_NAME failed; last server log lines:" >&2
    tail -n 30 "$T"/server*.log 2>/dev/null >&2
  fi
  [ -n "${SL_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
  exit $rc
}
trap sl_cleanup EXIT

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
pass() { echo "ok   [$TEST_NAME]: $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# A free TCP port on 127.0.0.1 (nothing answers on it right now).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}
PORT=$(free_port)
EP=tcp://127.0.0.1:$PORT

# Foreground calls, wrapped like background ones (valgrind runs check them too).
site() { $SL_WRAP "$SITE" "$@"; }
server() { $SL_WRAP "$SERVER" "$@"; }

server_init() { "$SERVER" init --data "$T/srv" >/dev/null || fail "server init"; }

# Starts the server in the background and waits until it listens.
server_start() {
  $SL_WRAP "$SERVER" run --data "$T/srv" --bind "$EP" "$@" >>"$T/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 200); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start (see $T/server.log)"
    sleep 0.05
  done
  fail "server did not listen on $EP"
}
server_kill9() { kill -9 "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
# Graceful stop; returns the server's exit status.
server_stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  return $rc
}

site_init() { site init --data "$T/$1" --site "$1" --server "$EP" >/dev/null || fail "site init $1"; }

# gen_matters N FILE [PREFIX]: a CSV of N service matters.
gen_matters() {
  awk -v n="$1" -v p="${3:-}" 'BEGIN {
    print "unit,title,community,done_on,beneficiaries";
    for (i = 1; i <= n; i++)
      printf "区直单位%d,%s民生实事 %d 号,公园社区,2025-%02d-%02d,%d\n", i % 67, p, i, i % 12 + 1, i % 28 + 1, i % 500;
  }' > "$2"
}
site_import() { site record import --data "$T/$1" service_matter "$2" >/dev/null || fail "import into $1"; }

# Central store figures for one site: "records last_seq".
central_site() {
  "$SERVER" stats --data "$T/srv" --tsv | awk -F'\t' -v s="$1" '$1 == s { print $2, $3 }'
}
central_total() { "$SERVER" stats --data "$T/srv" --tsv | awk -F'\t' '$1 == "TOTAL" { print $2 }'; }
central_verify() { "$SERVER" verify --data "$T/srv" >"$T/verify.out" 2>&1; }
# The same event content on both sides: site's hash at seq == central's.
same_last_hash() {
  local site=$1 seq=$2 a b
  a=$(sqlite3 "$T/$site/site.db" "SELECT hex(hash) FROM events WHERE seq=$seq")
  b=$(sqlite3 "$T/srv/central.db" "SELECT hex(e.hash) FROM events e JOIN sites s USING(site_no) WHERE s.site_id='$site' AND e.seq=$seq")
  [ -n "$a" ] && [ "$a" = "$b" ]
}
site_status() { "$SITE" status --data "$T/$1" --tsv | awk -F'\t' -v k="$2" '$1 == k { print $2 }'; }
