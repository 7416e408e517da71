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
  if [ $rc -eq 0 ] && [ "$SL_SOFT_FAILS" -gt 0 ]; then
    echo "FAIL [$TEST_NAME]: $SL_SOFT_FAILS check(s) failed" >&2
    rc=1
  fi
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
# soft_check WHAT CMD…: like check, but a failure is counted and the test goes
# on, so that one product bug does not hide the checks after it; the test
# still fails at exit when any soft check failed.
SL_SOFT_FAILS=0
soft_check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else echo "FAIL [$TEST_NAME]: $what" >&2; SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1)); fi
}

# port_in_use PORT: some TCP socket on this machine has PORT as its local
# port (listening, connected or closing), or something answers on it.
port_in_use() {
  local hex
  printf -v hex ':%04X' "$1"
  awk -v h="$hex" 'FNR > 1 && substr($2, length($2) - 4) == h { found = 1 }
                   END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0
  (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null
}
# A free TCP port on 127.0.0.1, below the kernel's range of ephemeral ports:
# a port in that range may be the local end of any outgoing connection on
# this machine (tests open thousands), and the server's bind then fails with
# "Address already in use" although nothing answers on it.
free_port() {
  local p lo=32768 base=10000
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
  [ "$lo" -gt $((base + 1000)) ] || { base=20000; lo=60000; }
  for _ in $(seq 1 100); do
    p=$(( base + (RANDOM * 32768 + RANDOM) % (lo - base) ))
    port_in_use "$p" || { echo "$p"; return; }
  done
  fail "no free port"
}
PORT=$(free_port)
EP=tcp://127.0.0.1:$PORT

# Foreground calls, wrapped like background ones (valgrind runs check them too).
# Run in a subshell (`site sync --watch &`, a pipeline, $(…)) they exec the
# program, so that $! is the program itself and the EXIT trap's kill reaches
# it: a plain function call there would leave it orphaned and running.
# Under a wrapper (valgrind runs everything ~20x slower) a one-shot sync gets
# a longer timeout unless the test set one itself.
site() {
  if [ -n "$SL_WRAP" ] && [ "${1:-}" = sync ] && [[ " $* " != *" --timeout "* ]]; then
    set -- "$@" --timeout 60
  fi
  if [ "$BASHPID" != "$$" ]; then exec $SL_WRAP "$SITE" "$@"; fi
  $SL_WRAP "$SITE" "$@"
}
server() { if [ "$BASHPID" != "$$" ]; then exec $SL_WRAP "$SERVER" "$@"; fi; $SL_WRAP "$SERVER" "$@"; }

# Security is on, as in production: the server has its CURVE keys and every
# site is enrolled with a bundle.  SL_INSECURE=1 runs plaintext instead.
server_init() { "$SERVER" init --data "$T/srv" --endpoint "$EP" >/dev/null || fail "server init"; }

# Starts the server in the background and waits until it listens.
server_start() {
  local attempt
  for attempt in 1 2; do
    $SL_WRAP "$SERVER" run --data "$T/srv" --bind "$EP" ${SL_INSECURE:+--insecure} "$@" >>"$T/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 1 200); do
      (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$SERVER_PID" 2>/dev/null && fail "server did not listen on $EP"
    # Seen once on a busy shared machine: the server gone at once with an
    # empty log.  Say so with its exit status, and try once more.
    local rc=0
    wait "$SERVER_PID" 2>/dev/null || rc=$?
    pid_forget "$SERVER_PID"
    echo "warning [$TEST_NAME]: server exited at start (status $rc, attempt $attempt); log:" >&2
    tail -n 5 "$T/server.log" >&2 2>/dev/null
    sleep 0.5
  done
  fail "server exited at start twice (see $T/server.log)"
}
server_kill9() {
  kill -9 "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; pid_forget "$SERVER_PID"; SERVER_PID=
}
# Graceful stop; returns the server's exit status (124 when it did not stop
# within 30 s of SIGTERM and had to be killed).
server_stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null
  if ! wait_exit "$SERVER_PID" 30; then
    kill9 "$SERVER_PID"; SERVER_PID=
    echo "server did not stop within 30 s of SIGTERM" >&2
    return 124
  fi
  SERVER_PID=
  return "$WAIT_RC"
}

# site_init ID: enrolls the site (a bundle from the server's own files, the
# same as shuanglian-admin site enroll) and installs it.
site_init() {
  if [ -n "${SL_INSECURE:-}" ]; then site_init_plain "$1"; return; fi
  "$SERVER" site enroll --data "$T/srv" --site "$1" --community 测试社区 --out "$T/$1.bundle" \
      >/dev/null || fail "enroll $1"
  site init --data "$T/$1" --bundle "$T/$1.bundle" >/dev/null || fail "site init $1"
}
# A plaintext site (no keys), for peers that do not speak CurveZMQ.
site_init_plain() { site init --data "$T/$1" --site "$1" --server "$EP" >/dev/null || fail "site init $1"; }

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

# ---- helpers for crash tests (kill -9 at random moments) -------------------
# SL_SCALE (default 1) divides record counts for slow builds; the release run
# uses the full numbers.  scaled N prints max(N / SL_SCALE, 1).
SL_SCALE=${SL_SCALE:-1}
scaled() { local n=$(( $1 / SL_SCALE )); [ "$n" -lt 1 ] && n=1; echo "$n"; }

# rand_ms LO HI: a random number of milliseconds in [LO, HI]; sleep_ms MS.
rand_ms() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
sleep_ms() { local s; printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); sleep "$s"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# bg_start VAR LOG CMD…: starts CMD in the background (output to LOG), stores
# its pid in VAR and registers it for the EXIT trap.
bg_start() {
  local var=$1 log=$2; shift 2
  "$@" >>"$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
}
# Forgets a pid that has been reaped (so the EXIT trap never signals a reused pid).
pid_forget() {
  local p keep=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
# running PID: true while PID is alive (a stopped process counts as alive).
running() { kill -0 "$1" 2>/dev/null; }
# wait_exit PID SECS: waits at most SECS for PID to end; sets WAIT_RC to its
# exit status and returns 0, or returns 1 (PID still running) on timeout.
wait_exit() {
  local pid=$1 deadline=$(( $(date +%s%N) / 1000000 + $2 * 1000 ))
  while running "$pid"; do
    [ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
    sleep 0.02
  done
  WAIT_RC=0
  wait "$pid" 2>/dev/null || WAIT_RC=$?
  pid_forget "$pid"
  return 0
}
# kill9 PID: kill -9 and reap; sets WAIT_RC (137 when it was still running).
kill9() {
  kill -9 "$1" 2>/dev/null
  WAIT_RC=0
  wait "$1" 2>/dev/null || WAIT_RC=$?
  pid_forget "$1"
}
# wait_until SECS CMD…: polls CMD every 50 ms until it succeeds; 1 on timeout.
wait_until() {
  local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
  until "$@"; do
    [ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
    sleep 0.05
  done
}
# sqlite3 that waits for a lock (WAL recovery after a kill -9) instead of failing.
sq() { sqlite3 -cmd ".timeout 10000" "$@"; }
# Committed records of one site, read straight from the central store
# (cheap enough to poll while the server runs; 0 when the site is unknown).
central_count() {
  sq "$T/srv/central.db" "SELECT count(*) FROM events e JOIN sites s USING(site_no) WHERE s.site_id='$1'" 2>/dev/null || echo 0
}
central_last_seq() {
  local v
  v=$(sq "$T/srv/central.db" "SELECT last_seq FROM sites WHERE site_id='$1'" 2>/dev/null)
  echo "${v:-0}"
}
site_count() { sq "$T/$1/site.db" "SELECT count(*) FROM events"; }
site_acked() { sq "$T/$1/site.db" "SELECT value FROM meta WHERE key='acked_seq'"; }
