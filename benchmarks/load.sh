#!/usr/bin/env bash
# Load on the quickstart, over loopback only, with wrk (Debian package
# `wrk`): the public page, the protected page, GET /v1/me and the JWKS,
# each for $DURATION with $CONNS connections on $THREADS threads. A user is
# signed up first (cmd/loadsignin), and signed in again before each signed-in
# run so that its 60-second token is fresh: what is measured is the cached
# token, not a refresh per request (wrk does not keep cookies).
#
#   ./load.sh                      # refuses while the load average is 2 or more
#   FORCE=1 DURATION=20s ./load.sh
#
# The quickstart renders its pages with html/template and the user button
# component on every request; that, not Latch's middleware, dominates the
# page figures (compare the cached round trip in the README's table).
set -euo pipefail
cd "$(dirname "$0")"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PORT=${PORT:-18080}
base="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "load.sh: needs wrk (apt-get install -y wrk)" >&2; exit 1; }
load=$(cut -d' ' -f1 /proc/loadavg)
if [ -z "${FORCE:-}" ] && awk -v l="$load" 'BEGIN { exit !(l >= 2) }'; then
	echo "load.sh: load average $load: the figures would measure the other work; run when quiet, or FORCE=1" >&2
	exit 1
fi

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd .. && go build -o "$tmp/quickstart" ./examples/quickstart)
go build -o "$tmp/loadsignin" ./cmd/loadsignin
(cd "$tmp" && exec ./quickstart -addr "127.0.0.1:$PORT" -db "$tmp/quickstart.db" 2>"$tmp/quickstart.log") &
pid=$!
for _ in $(seq 50); do curl -fso /dev/null "$base/" && break; sleep 0.1; done
"$tmp/loadsignin" -base "$base" -log "$tmp/quickstart.log" -signup >/dev/null

echo "$(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $load;"
echo "wrk -t$THREADS -c$CONNS -d$DURATION, quickstart on 127.0.0.1:$PORT (SQLite)"
printf '\n| %s | %s | %s | %s | %s |\n| --- | --- | --- | --- | --- |\n' "what" "path" "requests/s" "latency p50" "latency p99"

run() { # name path cookie
	local name=$1 path=$2 cookie=$3 status out
	local hdr=()
	if [ -n "$cookie" ]; then hdr=(-H "Cookie: $cookie"); fi
	status=$(curl -so /dev/null -w '%{http_code}' "${hdr[@]}" "$base$path")
	if [ "$status" != 200 ]; then echo "load.sh: $path answered $status before the run" >&2; exit 1; fi
	out=$(wrk --latency -t"$THREADS" -c"$CONNS" -d"$DURATION" "${hdr[@]}" "$base$path")
	if grep -q 'Non-2xx' <<<"$out"; then echo "load.sh: $path: $(grep 'Non-2xx' <<<"$out")" >&2; exit 1; fi
	printf '| %s | `%s` | %s | %s | %s |\n' "$name" "$path" \
		"$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")" \
		"$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

run "public page" / ""
run "protected page" /dashboard "$("$tmp/loadsignin" -base "$base")"
run "the user, JSON" /v1/me "$("$tmp/loadsignin" -base "$base")"
run "JWKS" /.well-known/jwks.json ""
