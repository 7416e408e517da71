#!/usr/bin/env bash
# P3, P9 (test g): 50 sites with 2,000 records each sync at the same time
# against one server; 10 of them are killed with kill -9 mid-sync and
# restarted.  Beside them a "dead" peer: a site (with a larger backlog) that
# is SIGSTOPped mid-sync, its connection open, for the whole time.  Every
# other site must finish while it is frozen (no site waits on another's slow
# or dead connection); then it is resumed (SIGCONT) and must finish too,
# although it was frozen longer than its own --timeout: a process that was
# suspended has not been waiting for the server.
# Checks: each site's count and last seq on the server, chain verified,
# total == 50 * 2,000 + the frozen site's backlog.
source "$(dirname "$0")/lib.sh"
NS=50
PER=$(scaled 2000)
KILLED=10
FROZEN=qu01.frozen
FROZEN_N=$(scaled 20000)
FROZEN_MIN_S=12             # frozen at least this long: more than its --timeout
                            # (10 s) and the server's heartbeat timeout (6 s)
SARGS=(--batch 50 --credit 2)
sid() { printf 'qu01.s%02d' "$1"; }

server_init
gen_matters "$PER" "$T/m.csv"
for i in $(seq 1 $NS); do
  site_init "$(sid "$i")"
  site_import "$(sid "$i")" "$T/m.csv"
done
site_init $FROZEN
gen_matters "$FROZEN_N" "$T/f.csv" 冻结
site_import $FROZEN "$T/f.csv"
server_start "${SARGS[@]}"

# The dead peer: stopped as soon as the server has some of its records.
bg_start FROZEN_PID "$T/frozen.log" "$SITE" sync --data "$T/$FROZEN" --timeout 10
frozen_started() { local c; c=$(central_count $FROZEN); echo "central store has $c of $FROZEN's records"; [ "$c" -gt 0 ]; }
wait_for "$FROZEN to start syncing (some of its records on the server)" frozen_started
kill -STOP "$FROZEN_PID"
frozen_at=$(now_ms)
fc=$(central_count $FROZEN)
echo "froze $FROZEN (pid $FROZEN_PID) with $fc of its $FROZEN_N records on the server"
check "the frozen site was stopped mid-sync (0 < $fc < $FROZEN_N)" [ "$fc" -lt "$FROZEN_N" ]

# All 50 at once: each waits for its line on a FIFO, then execs its sync.
mkfifo "$T/go"
exec 3<>"$T/go"
gated() { read -r -t "$(secs 600)" _ <"$T/go" || exit 99; exec "$@"; }
declare -A PID_OF
for i in $(seq 1 $NS); do
  bg_start p "$T/sync-$i.log" gated "$SITE" sync --data "$T/$(sid "$i")" --timeout 60
  PID_OF[$i]=$p
done
t0=$(now_ms)
for i in $(seq 1 $NS); do echo go >&3; done
# Kill 10 of them mid-sync (sites the server has part of), at random
# moments, then restart them.  (The deadline is generous: on a busy machine
# 50 processes take a while to start; the loop ends as soon as 10 are killed.)
declare -A KILLED_SITE
mid=0 kills=0 deadline=$(( $(now_ms) + $(secs 120) * 1000 ))
while [ $kills -lt $KILLED ] && [ "$(now_ms)" -lt $deadline ]; do
  sleep_ms "$(rand_ms 10 80)"
  victims=()
  while read -r s c; do
    i=$((10#${s#qu01.s}))
    [ -z "${KILLED_SITE[$i]:-}" ] && [ "$c" -gt 0 ] && [ "$c" -lt "$PER" ] && running "${PID_OF[$i]}" \
      && victims+=("$i")
  done < <(sq -separator ' ' "$T/srv/central.db" \
             "SELECT site_id, last_seq FROM sites WHERE site_id LIKE 'qu01.s%' ORDER BY random()")
  for victim in "${victims[@]:0:3}"; do
    [ $kills -lt $KILLED ] || break
    kill9 "${PID_OF[$victim]}"
    KILLED_SITE[$victim]=1
    kills=$((kills + 1))
    c=$(central_count "$(sid "$victim")")
    tag=""; if [ "$c" -gt 0 ] && [ "$c" -lt "$PER" ]; then mid=$((mid + 1)); tag=" (mid-sync)"; fi
    echo "killed $(sid "$victim") at +$(( $(now_ms) - t0 )) ms (exit $WAIT_RC): $c of $PER on the server$tag"
  done
  [ ${#victims[@]} = 0 ] && [ "$(jobs -rp | wc -l)" -le 2 ] && break   # nothing left mid-sync
done
check "$KILLED sites killed with kill -9 ($kills), at least 5 of them mid-sync ($mid)" \
  [ $kills -ge $KILLED -a $mid -ge 5 ]
for i in "${!KILLED_SITE[@]}"; do
  bg_start p "$T/sync-$i.log" "$SITE" sync --data "$T/$(sid "$i")" --timeout 60
  PID_OF[$i]=$p
done
bad=0
for i in $(seq 1 $NS); do
  if ! wait_exit "${PID_OF[$i]}" 600; then
    echo "$(sid "$i") still syncing after $(secs 600) s more" >&2; bad=$((bad + 1))
  elif [ "$WAIT_RC" != 0 ]; then
    echo "$(sid "$i") sync exited $WAIT_RC: $(tail -3 "$T/sync-$i.log")" >&2; bad=$((bad + 1))
  fi
done
echo "all $NS sites done in $(( $(now_ms) - t0 )) ms while $FROZEN was frozen"
check "every one of the $NS syncs ended 0 while the dead peer was frozen" [ $bad = 0 ]
check "the dead peer is still frozen" [ "$(ps -o stat= -p "$FROZEN_PID" | cut -c1)" = T ]
"$SERVER" stats --data "$T/srv" --tsv >"$T/stats.tsv" || fail "stats"
bad=0
for i in $(seq 1 $NS); do
  got=$(awk -F'\t' -v s="$(sid "$i")" '$1 == s { print $2, $3 }' "$T/stats.tsv")
  [ "$got" = "$PER $PER" ] || { echo "$(sid "$i"): $got" >&2; bad=$((bad + 1)); }
done
check "each of the $NS sites: $PER records, last seq $PER" [ $bad = 0 ]

# Resume the dead peer after at least FROZEN_MIN_S seconds.
left=$(( FROZEN_MIN_S * 1000 - ($(now_ms) - frozen_at) ))
[ $left -gt 0 ] && sleep_ms $left
echo "resuming $FROZEN after $(( ($(now_ms) - frozen_at) / 1000 )) s frozen"
kill -CONT "$FROZEN_PID"
wait_exit "$FROZEN_PID" 600 || fail "the resumed site did not finish within $(secs 600) s"
echo "  its sync: $(grep -E '同步|sync' "$T/frozen.log" | grep -v ' info: ' | head -2 | tr '\n' ' ')"
check "the resumed site's sync ends 0 (exit $WAIT_RC)" [ "$WAIT_RC" = 0 ]
check "frozen site: $FROZEN_N records, last seq $FROZEN_N" [ "$(central_site $FROZEN)" = "$FROZEN_N $FROZEN_N" ]
check "total is $NS * $PER + $FROZEN_N" [ "$(central_total)" = $((NS * PER + FROZEN_N)) ]
check "chain verified, no gaps" central_verify
bad=0
for i in $(seq 1 $NS); do
  s=$(sid "$i")
  same_last_hash "$s" "$PER" && [ "$(site_status "$s" outbox_pending)" = 0 ] || bad=$((bad + 1))
done
check "every site: same content at its last seq on both sides, outbox empty" [ $bad = 0 ]
check "frozen site: same content, outbox empty" same_last_hash $FROZEN "$FROZEN_N"
server_stop || fail "server exit status"
