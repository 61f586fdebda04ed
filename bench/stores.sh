#!/usr/bin/env bash
# Revocation stores over HTTP, against real servers on 127.0.0.1 (bounded: about 3 min
# after the build):
#   1. GET /me on the quickstart with each store (memory, sqlite, redis), interleaved
#      rounds, each as a ratio to the in-memory store measured in the same round;
#   2. the propagation delay: a session logged out on instance A, the time until
#      instance B refuses its access token, for two instances sharing Redis and two
#      sharing an SQLite file (examples/quickstart/examples/propagation.rs).
#
#   bench/stores.sh
#   ROUNDS=1 DURATION=3 ITERATIONS=50 bench/stores.sh     # a quick smoke run
#
# Needs Redis at REDIS_URL (default redis://127.0.0.1:6379/); installs wrk with apt when
# missing. Writes a Markdown report to stdout and bench/results/stores-<UTC time>.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
ITERATIONS="${ITERATIONS:-200}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/}"
RESULTS_DIR="${RESULTS_DIR:-$root/bench/results}"
HOST=127.0.0.1
SECRET="stores-bench-secret-stores-bench-secret-0123456789"
EMAIL="bench@stores.example"
PASSWORD="bench-password-0123"

log() { printf 'stores: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$DURATION" -le 60 ] && [ "$ROUNDS" -le 10 ] && [ "$ITERATIONS" -le 2000 ] ||
    die "keep it bounded: DURATION <= 60, ROUNDS <= 10, ITERATIONS <= 2000"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/auth-stores-bench.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

command -v wrk >/dev/null 2>&1 || {
    log "installing wrk (apt-get install -y wrk)"
    apt-get install -y wrk >/dev/null 2>&1 || die "cannot install wrk"
}
command -v redis-cli >/dev/null 2>&1 && redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 ||
    die "Redis is not reachable at $REDIS_URL (set REDIS_URL)"

log "building the quickstart and the propagation probe (release)"
cargo build --release --locked -p quickstart --bins --examples >&2
target="${CARGO_TARGET_DIR:-$root/target}/release"

# Servers on core 0 and the load generator on core 1, when there are two cores: the
# numbers then measure the server, not the contest between it and wrk.
pin_server=() pin_wrk=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
    pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Not called in $(...): the server's pid must reach `pids` in this shell, or the
# cleanup trap would leave it running.
start() { # name store db prefix -> sets $started to the port
    local name="$1" store="$2" db="$3" prefix="$4" port
    port="$(free_port)"
    env -i PATH="$PATH" ROCKET_ADDRESS="$HOST" ROCKET_PORT="$port" ROCKET_LOG_LEVEL=off \
        ROCKET_WORKERS=1 ROCKET_AUTH_SECRET="$SECRET" ROCKET_DATABASE="$db" \
        ROCKET_AUTH_STORE="$store" ROCKET_AUTH_STORE_PATH="$db" \
        ROCKET_AUTH_REDIS_URL="$REDIS_URL" ROCKET_AUTH_REDIS_PREFIX="$prefix" \
        ROCKET_AUTH_PASSWORDS='{m_cost=1024,t_cost=1,p_cost=1}' \
        "${pin_server[@]}" "$target/quickstart" >"$tmp/$name.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 200); do
        curl -fsS "http://$HOST:$port/health" >/dev/null 2>&1 && { started="$port"; return; }
        sleep 0.05
    done
    cat "$tmp/$name.log" >&2
    die "$name did not start"
}

login() { # port -> access token
    curl -fsS "http://$HOST:$1/register" -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >/dev/null 2>&1 || true
    curl -fsS "http://$HOST:$1/login" -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# wrk --latency output -> "req/s p99_ms"
wrk_me() { # port token
    "${pin_wrk[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -H "Authorization: Bearer $2" "http://$HOST:$1/me" |
        awk '
            /Requests\/sec/ { rps = $2 }
            $1 == "99%" { v = $2; unit = v; gsub(/[0-9.]/, "", unit); sub(/[a-z]+$/, "", v);
                          if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; p99 = v }
            END { printf "%.0f %.2f\n", rps, p99 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

stamp="$(date -u +%Y-%m-%d-%H%M)"
prefix="bench-$stamp-$$"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "starting one quickstart per store"
declare -A port token
for store in memory sqlite redis; do
    db="$tmp/$store.sqlite3"
    start "$store" "$store" "$db" "$prefix-$store"
    port[$store]="$started"
    token[$store]="$(login "${port[$store]}")"
    wrk -t1 -c4 -d1s -H "Authorization: Bearer ${token[$store]}" "http://$HOST:${port[$store]}/me" >/dev/null
done

declare -A rps p99 ratio
order=(memory sqlite redis)
for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS: GET /me, stores ${order[*]}"
    for store in "${order[@]}"; do
        read -r r p < <(wrk_me "${port[$store]}" "${token[$store]}")
        rps[$store]+="$r " p99[$store]+="$p "
        eval "round_$store=$r"
    done
    for store in sqlite redis; do
        eval "r=\$round_$store"
        ratio[$store]+="$(awk -v a="$r" -v b="$round_memory" 'BEGIN { printf "%.3f", a / b }') "
    done
    order=("${order[@]:1}" "${order[0]}")
done

log "propagation: two instances on one Redis, then two on one SQLite file"
declare -A prop
for store in redis sqlite; do
    db="$tmp/prop-$store.sqlite3"
    start "prop-$store-a" "$store" "$db" "$prefix-prop"
    a="$started"
    start "prop-$store-b" "$store" "$db" "$prefix-prop"
    b="$started"
    curl -fsS "http://$HOST:$a/register" -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" >/dev/null
    prop[$store]="$("$target/examples/propagation" "http://$HOST:$a" "http://$HOST:$b" "$ITERATIONS" "$EMAIL" "$PASSWORD")"
done

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
fmt() { printf '%s' "$1" | tr ' ' '\n' | grep -v '^$' | median; }

report="$(
    cat <<EOF
# Revocation stores over HTTP, $(date -u '+%Y-%m-%d %H:%M') UTC

- code: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores), load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)
- quickstart --release, 1 worker, HS256; wrk 1 thread, $CONNECTIONS connections, $ROUNDS interleaved rounds × ${DURATION} s of GET /me per store; servers pinned to core 0 and wrk to core 1 when possible (${pin_server[*]:-no pinning})
- Redis: $(redis-cli -u "$REDIS_URL" info server 2>/dev/null | grep -m1 redis_version | tr -d '\r'); SQLite: the users' file, WAL
- median over rounds; the ratio is taken within each round against the in-memory store

## GET /me with each revocation store

| store | req/s | p99 ms | req/s ÷ memory (same round) |
|---|---:|---:|---:|
| memory | $(fmt "${rps[memory]}") | $(fmt "${p99[memory]}") | 1 |
| sqlite | $(fmt "${rps[sqlite]}") | $(fmt "${p99[sqlite]}") | $(fmt "${ratio[sqlite]}")× |
| redis | $(fmt "${rps[redis]}") | $(fmt "${p99[redis]}") | $(fmt "${ratio[redis]}")× |

Access-token checks use each instance's in-memory view of the revocations, whatever the
store: the store is only on the path of login, refresh and logout.

## Propagation: logout on instance A until instance B refuses the session's access token

| shared store | iterations | p50 ms | p90 ms | p99 ms | max ms |
|---|---:|---:|---:|---:|---:|
| redis | $(field "${prop[redis]}" iterations) | $(field "${prop[redis]}" p50_ms) | $(field "${prop[redis]}" p90_ms) | $(field "${prop[redis]}" p99_ms) | $(field "${prop[redis]}" max_ms) |
| sqlite | $(field "${prop[sqlite]}" iterations) | $(field "${prop[sqlite]}" p50_ms) | $(field "${prop[sqlite]}" p90_ms) | $(field "${prop[sqlite]}" p99_ms) | $(field "${prop[sqlite]}" max_ms) |

Measured from A's answer to the logout to B's first 401, B being polled on a keep-alive
connection meanwhile (0 when B already refused it by the time A answered). Target: p99
under 100 ms between instances.

EOF
)"
printf '%s\n' "$report"
mkdir -p "$RESULTS_DIR"
printf '%s\n' "$report" >"$RESULTS_DIR/stores-$stamp.md"
log "report written to $RESULTS_DIR/stores-$stamp.md"
