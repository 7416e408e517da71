# lib.sh: shared helpers for integration tests (sourced, not run).
#
# Every test starts real shuanglian processes on 127.0.0.1 in a private
# temporary directory, and the EXIT trap kills whatever it started, so a
# failing test leaves no process behind.  Set SL_KEEP=1 to keep the directory.
# SL_WRAP (e.g. "valgrind --leak-check=full --error-exitcode=99") prefixes
# every program started in the background.
#
# Time: a test never sleeps and then checks.  It waits for a condition
# (wait_for, wait_value, wait_until, wait_exit), polling it until a generous
# deadline: the machine may be busy (CI runs on 2 cores beside other work),
# and a deadline is only there so that a broken product fails instead of
# hanging.  SL_TIME_SCALE multiplies every deadline (default 1; 5 under
# SL_WRAP, since valgrind runs everything ~20x slower).  A wait that gives up
# says what it waited for and what it saw instead, and a failing test prints
# the last lines of the server's and the sites' logs.
set -u
SL_BIN=${SL_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
SERVER=$SL_BIN/shuanglian-server
SITE=$SL_BIN/shuanglian-site
SL_PROBE=$SL_BIN/tests/sl-probe
SL_WRAP=${SL_WRAP:-}
if [ -z "${SL_TIME_SCALE:-}" ]; then
  SL_TIME_SCALE=1
  [ -n "$SL_WRAP" ] && SL_TIME_SCALE=5
fi
SL_WAIT_S=${SL_WAIT_S:-60}          # default deadline of wait_for and wait_value
# --wait of an sl-probe run that expects replies (it returns at the reply).
SL_PROBE_WAIT_MS=$(( 30000 * SL_TIME_SCALE ))
T=$(mktemp -d /tmp/sl-test.XXXXXX)
PIDS=()
SL_LOGS=()                          # logs of background programs (bg_start)
SERVER_PID=
TEST_NAME=$(basename "$0" .sh)
SL_T0=$(( $(date +%s%N) / 1000000 ))

# secs N: N seconds of deadline, scaled by SL_TIME_SCALE.
secs() { echo $(( $1 * SL_TIME_SCALE )); }

# On failure: the last lines of the server's log and of the sites' logs (the
# background programs' logs, and the outputs written last).
sl_show_logs() {
  local f n=0 shown=" "
  for f in "$T"/server*.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of ${f#"$T"/} (server):"
    tail -n 25 "$f" | cut -c1-300
  done
  # Background programs, newest first, then other outputs by modification time.
  for f in $( (for ((i = ${#SL_LOGS[@]} - 1; i >= 0; i--)); do echo "${SL_LOGS[$i]}"; done
              ls -t "$T"/*.out "$T"/*.log "$T"/*.err 2>/dev/null) | awk '!seen[$0]++'); do
    case $f in "$T"/server*.log) continue ;; esac
    [ -s "$f" ] || continue
    [[ $shown == *" $f "* ]] && continue
    shown+="$f "
    echo "--- last lines of ${f#"$T"/}:"
    tail -n 8 "$f" | cut -c1-300
    n=$((n + 1)); [ $n -ge 4 ] && break
  done
}

sl_cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ $rc -eq 0 ] && [ "$SL_SOFT_FAILS" -gt 0 ]; then
    echo "FAIL [$TEST_NAME]: $SL_SOFT_FAILS check(s) failed" >&2
    rc=1
  fi
  if [ $rc -ne 0 ]; then
    echo "--- $TEST_NAME failed after $(( ($(now_ms) - SL_T0) / 1000 )) s, in $T" >&2
    sl_show_logs >&2
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
# port_listens PORT: a socket on this machine listens on PORT now (state
# LISTEN in /proc/net/tcp).  Not port_in_use, which a previous server's
# connections still in TIME_WAIT on that port would satisfy at once.
port_listens() {
  local hex
  printf -v hex ':%04X' "$1"
  awk -v h="$hex" 'FNR > 1 && substr($2, length($2) - 4) == h && $4 == "0A" { found = 1 }
                   END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
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
# A one-shot sync gets a generous timeout (60 s without progress, scaled)
# unless the test set one itself: the default 10 s is for people, and a busy
# machine must not turn a slow answer into "unreachable".
site() {
  if [ "${1:-}" = sync ] && [[ " $* " != *" --timeout "* ]]; then
    set -- "$@" --timeout "$(secs 60)"
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
  local attempt deadline
  for attempt in 1 2 3; do
    $SL_WRAP "$SERVER" run --data "$T/srv" --bind "$EP" ${SL_INSECURE:+--insecure} "$@" >>"$T/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    deadline=$(( $(now_ms) + $(secs 60) * 1000 ))
    while [ "$(now_ms)" -lt "$deadline" ]; do
      (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill -0 "$SERVER_PID" 2>/dev/null && fail "server did not listen on $EP within $(secs 60) s"
    # Seen on a busy shared machine: the server gone at once, once with an
    # empty log, once with "Address already in use" (before free_port kept
    # out of the ephemeral range).  Say so with its exit status, and try
    # again.
    local rc=0
    wait "$SERVER_PID" 2>/dev/null || rc=$?
    pid_forget "$SERVER_PID"
    echo "warning [$TEST_NAME]: server exited at start (status $rc, attempt $attempt); log:" >&2
    tail -n 3 "$T/server.log" >&2 2>/dev/null
    sleep "$attempt"
  done
  fail "server exited at start three times (see the server log below)"
}
server_kill9() {
  kill -9 "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; pid_forget "$SERVER_PID"; SERVER_PID=
}
# Graceful stop; returns the server's exit status (124 when it did not stop
# within 60 s of SIGTERM, scaled, and had to be killed).
server_stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null
  if ! wait_exit "$SERVER_PID" 60; then
    kill9 "$SERVER_PID"; SERVER_PID=
    echo "server did not stop within $(secs 60) s of SIGTERM" >&2
    return 124
  fi
  SERVER_PID=
  return "$WAIT_RC"
}

# site_init ID: enrolls the site (a bundle from the server's own files, the
# same as shuanglian-admin site enroll) and installs it.
site_init() {
  if [ -n "${SL_INSECURE:-}" ]; then site_init_plain "$1"; return; fi
  publish_community
  "$SERVER" site enroll --data "$T/srv" --site "$1" --community c1 --out "$T/$1.bundle" \
      >/dev/null || fail "enroll $1"
  site init --data "$T/$1" --bundle "$T/$1.bundle" >/dev/null || fail "site init $1"
}
# A plaintext site (no keys), for peers that do not speak CurveZMQ.
site_init_plain() { site init --data "$T/$1" --site "$1" --server "$EP" >/dev/null || fail "site init $1"; }

# gen_matters N FILE [PREFIX]: a CSV of N records for bulk tests: problem
# reports (a type that names no reference data, so a site that never synced
# can enter them: the sync tests start offline).
gen_matters() {
  awk -v n="$1" -v p="${3:-}" 'BEGIN {
    print "reporter_kind,summary,location,on";
    for (i = 1; i <= n; i++)
      printf "grid_worker,%s问题上报 %d 号,%d号楼,2025-%02d-%02d\n", p, i, i % 67, i % 12 + 1, i % 28 + 1;
  }' > "$2"
}
site_import() { site record import --data "$T/$1" problem_report "$2" >/dev/null || fail "import into $1"; }
# add_report SITE SUMMARY: one record entered at a site (a problem report).
add_report() {
  site record add --data "$T/$1" problem_report reporter_kind=grid_worker "summary=$2" on=2025-03-01 \
    >>"$T/record-add.out" 2>&1 || fail "record add at $1: $(tail -1 "$T/record-add.out")"
}
# publish_community [CODE NAME]: a community entry in the server's reference
# data (a site is enrolled with its community's code); c1 测试社区 by default.
publish_community() {
  "$SERVER" ref put community "${1:-c1}" "name=${2:-测试社区}" --data "$T/srv" >/dev/null \
    || fail "ref put community ${1:-c1}"
}
# publish_units: the units u1 and u2 in the server's reference data (sites
# get them at their next sync; records naming units need them).
publish_units() {
  "$SERVER" ref put unit u1 name=区委办 --data "$T/srv" >/dev/null || fail "ref put u1"
  "$SERVER" ref put unit u2 name=司法局 --data "$T/srv" >/dev/null || fail "ref put u2"
}

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
  [[ " ${SL_LOGS[*]} " == *" $log "* ]] || SL_LOGS+=("$log")
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
# wait_exit PID SECS: waits at most SECS (scaled) for PID to end; sets
# WAIT_RC to its exit status and returns 0, or returns 1 (PID still running)
# on timeout.
wait_exit() {
  local pid=$1 deadline=$(( $(now_ms) + $(secs "$2") * 1000 ))
  while running "$pid"; do
    [ "$(now_ms)" -ge "$deadline" ] && return 1
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
# wait_until SECS CMD…: polls CMD every 50 ms until it succeeds; 1 after
# SECS (scaled).  Prefer wait_for, which says what it saw when it gives up.
wait_until() {
  local deadline=$(( $(now_ms) + $(secs "$1") * 1000 )); shift
  until "$@"; do
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}
# wait_for [--secs S] [--soft] WHAT CMD…: polls CMD (every 100 ms, in a
# subshell) until it succeeds, at most S seconds (default SL_WAIT_S = 60,
# scaled).  CMD may print what it sees: when the deadline passes, the test
# fails with "gave up after S s waiting for WHAT; saw: <CMD's last output>"
# (with --soft it counts as a failed soft_check and returns 1 instead).
# WAITED_MS is how long the wait took.
wait_for() {
  local s=$SL_WAIT_S soft= what seen t0 deadline
  while :; do
    case ${1:-} in
      --secs) s=$2; shift 2 ;;
      --soft) soft=1; shift ;;
      *) break ;;
    esac
  done
  what=$1; shift
  t0=$(now_ms)
  deadline=$(( t0 + $(secs "$s") * 1000 ))
  while :; do
    if seen=$("$@" 2>&1); then
      WAITED_MS=$(( $(now_ms) - t0 ))
      return 0
    fi
    [ "$(now_ms)" -ge "$deadline" ] && break
    sleep 0.1
  done
  WAITED_MS=$(( $(now_ms) - t0 ))
  local msg="gave up after $(( WAITED_MS / 1000 )) s waiting for: $what; saw instead: ${seen:-(nothing)}"
  if [ -n "$soft" ]; then
    echo "FAIL [$TEST_NAME]: $msg" >&2
    SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1))
    return 1
  fi
  fail "$msg"
}
# wait_value [--secs S] [--soft] WHAT WANT CMD…: wait_for "$(CMD)" = WANT;
# a failure shows the last value seen.
wait_value() {
  local opts=()
  while :; do
    case ${1:-} in
      --secs) opts+=("$1" "$2"); shift 2 ;;
      --soft) opts+=("$1"); shift ;;
      *) break ;;
    esac
  done
  local what=$1 want=$2; shift 2
  wait_for "${opts[@]}" "$what = $want" sl_value_is "$want" "$@"
}
sl_value_is() { local want=$1 got; shift; got=$("$@" 2>&1); echo "$got"; [ "$got" = "$want" ]; }
# sqlite3 that waits for a lock (WAL recovery after a kill -9) instead of failing.
sq() { sqlite3 -cmd ".timeout 30000" "$@"; }
# Committed records of one site, read straight from the central store
# (cheap enough to poll while the server runs; 0 when the site is unknown).
central_count() {
  sq "$T/srv/central.db" "SELECT count(*) FROM events e JOIN sites s USING(site_no) WHERE s.site_id='$1'" 2>/dev/null || echo 0
}
# "count last_seq" of one site, read in one transaction (consistent while
# the server commits).
central_count_seq() {
  sq -separator ' ' "$T/srv/central.db" "SELECT (SELECT count(*) FROM events e JOIN sites s USING(site_no)
      WHERE s.site_id='$1'), coalesce((SELECT last_seq FROM sites WHERE site_id='$1'), 0)"
}
central_last_seq() {
  local v
  v=$(sq "$T/srv/central.db" "SELECT last_seq FROM sites WHERE site_id='$1'" 2>/dev/null)
  echo "${v:-0}"
}
site_count() { sq "$T/$1/site.db" "SELECT count(*) FROM events"; }
site_acked() { sq "$T/$1/site.db" "SELECT value FROM meta WHERE key='acked_seq'"; }

# ---- reference data (RECORDS.md "Reference data") --------------------------
ADMIN_TOOL=$SL_BIN/shuanglian-admin
# admin ARGS…: shuanglian-admin with the district's first administrator
# credential (made by server_init), wrapped like the other programs.
admin() {
  local extra=()
  [ -n "$SL_WRAP" ] && extra=(--timeout 60)
  if [ "$BASHPID" != "$$" ]; then exec $SL_WRAP "$ADMIN_TOOL" "$@" --cred "$T/srv/admin.cred" "${extra[@]}"; fi
  $SL_WRAP "$ADMIN_TOOL" "$@" --cred "$T/srv/admin.cred" "${extra[@]}"
}
# refused WHAT EXIT TEXT CMD…: CMD must exit with EXIT and say TEXT (a fixed
# string) on stderr; a soft check, so that every refusal is tried.
refused() {
  local what=$1 want=$2 text=$3 rc=0; shift 3
  "$@" >"$T/refused.out" 2>"$T/refused.err" || rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$text" "$T/refused.err"; then
    pass "$what (exit $rc)"
  else
    echo "FAIL [$TEST_NAME]: $what: exit $rc (want $want), stderr: $(head -c 600 "$T/refused.err")" >&2
    SL_SOFT_FAILS=$((SL_SOFT_FAILS + 1))
  fi
}
# ---- keys: waiting until the running server has seen a change --------------
# The server reloads its keys within about 500 ms of a change another process
# made (shuanglian-server site enroll, sqlite3): on a busy machine, later.
# server_accepts_key KEYFILE: true when the running server's handshake
# accepts this key now (a PING with it gets any answer); prints what it got.
server_accepts_key() {
  local spub out
  spub=$(sed -n 's/^public = //p' "$T/srv/server.pub")
  out=$("$SL_PROBE" --endpoint "$EP" --keyfile "$1" --server-public "$spub" --wait 1500 ping 2>&1)
  echo "${out%%$'\n'*}" | cut -c1-160
  case $out in PONG*|ERROR*) return 0 ;; esac
  return 1
}
# wait_key_known KEYFILE WHAT: waits until the running server accepts the key.
wait_key_known() { wait_for "the server accepts $2 at the handshake" server_accepts_key "$1"; }
# keys_update SQL: runs SQL on the central store in one transaction that also
# adds a fresh admin key (a sentinel), then waits until the running server
# accepts the sentinel: from then on its cache of keys holds the change too.
SL_SENTINELS=0
keys_update() {
  SL_SENTINELS=$((SL_SENTINELS + 1))
  local kf="$T/sentinel-$SL_SENTINELS.key" pub
  "$SL_PROBE" keygen "$kf" >/dev/null || fail "sl-probe keygen"
  pub=$(sed -n 's/^public = //p' "$kf")
  sq "$T/srv/central.db" "BEGIN; $1;
    INSERT INTO keys(public, role, site_id, name, status, expires_ms, created_ms, changed_ms)
    VALUES ('$pub', 'admin', NULL, 'test-sentinel-$SL_SENTINELS', 'active', 0, 0, 0); COMMIT;" \
    || fail "keys_update: $1"
  wait_for "the server reloads its keys (sentinel $SL_SENTINELS accepted)" server_accepts_key "$kf"
}
