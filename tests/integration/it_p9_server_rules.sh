#!/usr/bin/env bash
# P9 and the fold on the server: a client that speaks the protocol (sl-probe
# holding a real site's keys) cannot store what the site tool would refuse.
# Each rule-breaking record is refused with 422 and the payload field at
# fault, the refusal names the item's current status and the allowed next
# ones, and nothing of the batch is stored: an illegal lifecycle move, a
# rating of an unfinished item, a second rating of the same closure (0.2.0's
# server stored it), a rating of ANOTHER site's record (0.2.0 allowed it), a
# reference key the site cannot have held.  A key deleted after the site got
# it is still accepted (an old roster never blocks a sync).
source "$(dirname "$0")/lib.sh"
PROBE=$SL_BIN/tests/sl-probe
[ -x "$PROBE" ] || fail "sl-probe not built ($PROBE)"
A=qu01.a B=qu01.b
# mp K=V…: hex of a msgpack map; V is text, i:N an integer, or id:SITE:SEQ
# the 16-byte id of that site's record SEQ.
mp() {
  local args=() kv k v
  for kv in "$@"; do
    k=${kv%%=*}; v=${kv#*=}
    case $v in
      id:*) local s=${v#id:}; s=${s%%:*}; local q=${v##*:}
            v="bin:$(sqlite3 "$T/$s/site.db" "SELECT hex(id) FROM events WHERE seq=$q")";;
    esac
    args+=("$k" "$v")
  done
  python3 - "${args[@]}" <<'PY'
import sys
a = sys.argv[1:]
def s(b):
    n = len(b)
    return (bytes([0xa0 | n]) if n < 32 else bytes([0xd9, n]) if n < 256 else b'\xda' + n.to_bytes(2, 'big')) + b
out = bytes([0x80 | (len(a) // 2)])
for k, v in zip(a[::2], a[1::2]):
    out += s(k.encode())
    if v.startswith('i:'):
        n = int(v[2:]); out += bytes([n]) if 0 <= n < 128 else b'\xd3' + n.to_bytes(8, 'big', signed=True)
    elif v.startswith('bin:'):
        b = bytes.fromhex(v[4:]); out += bytes([0xc4, len(b)]) + b
    else:
        out += s(v.encode())
print(out.hex())
PY
}
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2; exit }'; }
# probe NAME SITE OPS…: one sl-probe run as SITE; replies in $T/NAME.out
probe() {
  local name=$1 s=$2; shift 2
  "$PROBE" --endpoint "$EP" --data "$T/$s" --wait 10000 hello "$@" >"$T/$name.out" 2>"$T/$name.err" \
    || fail "sl-probe $name: $(cat "$T/$name.err")"
  sed -n '2,$p' "$T/$name.out" | cut -c1-400 | sed 's/^/    /'
}
refused() {   # refused NAME FIELD TEXT…: the last reply is ERROR 422 on FIELD, mentioning TEXT
  local line; line=$(tail -1 "$T/$1.out")
  [ "$(field code "$line")" = 422 ] && [ "$(field field "$line")" = "$2" ] || return 1
  shift 2
  local t; for t in "$@"; do grep -qF -- "$t" <<<"$line" || return 1; done
}
count() { central_count "$1"; }

server_init
site_init $A
site_init $B
server_start
publish_units
site record add --data "$T/$A" problem_report reporter_kind=courier summary=井盖缺失 on=2025-03-01 >/dev/null \
  || fail "record add at $A"
site record add --data "$T/$B" problem_report reporter_kind=resident summary=路灯不亮 on=2025-03-01 >/dev/null \
  || fail "record add at $B"
site sync --data "$T/$A" >/dev/null 2>&1 || fail "sync $A"
site sync --data "$T/$B" >/dev/null 2>&1 || fail "sync $B"
check "both sites synced, and $A has the units" [ "$(count $A)/$(count $B)" = "1/1" ]

echo "-- an illegal lifecycle move: reported → closed"
probe move $A event update "$(mp item=id:$A:1 status=closed on=2025-03-02)"
soft_check "422 on field status, naming the current status and the allowed moves" \
  refused move status "当前状态「已上报」" "「已受理」、「不予受理」" "it may go to: accepted, rejected"
echo "-- a rating of an item that is not closed"
probe early $A event rating "$(mp item=id:$A:1 stars=i:5)"
soft_check "422 on field item: only a closed problem report can be rated" refused early item closed
echo "-- a rating of another site's record"
probe cross $A event rating "$(mp item=id:$B:1 stars=i:1)"
soft_check "422 on field item: not one of this site's records" refused cross item "this site does not have"
echo "-- a unit the site cannot have held (published after its cursor)"
server ref put unit u9 name=新单位 --data "$T/srv" >/dev/null
probe unknown $A event service_matter "$(mp unit=u9 title=x status=done on=2025-03-05)"
soft_check "422 on field unit" refused unknown unit u9
soft_check "nothing stored from any of these" [ "$(count $A)" = 1 ]

echo "-- a valid record and a refused one in one batch: nothing of it is stored"
probe pair $A pair update "$(mp item=id:$A:1 status=accepted on=2025-03-02)" \
                   update "$(mp item=id:$A:1 status=handled on=2025-03-03)"
soft_check "the batch is refused on its second record (field status)" refused pair status
soft_check "… and its first record is not stored either" [ "$(count $A)" = 1 ]

echo "-- the site closes the item; a second rating of that closure is refused"
n=1
for st in "status=accepted" "status=assigned unit=u1" "status=handled" "status=closed"; do
  # shellcheck disable=SC2086
  site record add --data "$T/$A" update item=#1 $st on=2025-03-0$((n + 1)) >/dev/null || fail "update $st"
  n=$((n + 1))
done
site record add --data "$T/$A" rating item=#1 stars=5 >/dev/null || fail "rating at the site"
site sync --data "$T/$A" >/dev/null 2>&1 || fail "sync after closing"
check "the site's updates and rating are accepted: 6" [ "$(count $A)" = 6 ]
probe twice $A event rating "$(mp item=id:$A:1 stars=i:1)"
soft_check "a second rating of the same closure: 422 on field item, naming the first" \
  refused twice item "already rated" "#6"
soft_check "nothing stored" [ "$(count $A)" = 6 ]

echo "-- an old roster: a unit deleted after the site got it is still accepted"
site sync --data "$T/$A" >/dev/null 2>&1 || fail "sync to get u9"
site record add --data "$T/$A" service_matter unit=u9 title=新单位的实事 status=done on=2025-03-10 >/dev/null \
  || fail "record naming u9 at the site"
server ref del unit u9 --data "$T/srv" >/dev/null || fail "ref del u9"
rc=0; site sync --data "$T/$A" >"$T/old-roster.out" 2>&1 || rc=$?
soft_check "the site's record naming the deleted unit syncs (exit $rc): 7" [ "$rc/$(count $A)" = "0/7" ]
check "chain verified" central_verify
server_stop || fail "server exit status"
