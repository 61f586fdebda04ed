#!/usr/bin/env bash
# HTTP benchmark of the quickstart against the original (hawkapi-auth on HawkAPI), plus
# GET /me under login (argon2) pressure. Bounded: about 8 minutes with the defaults, plus
# the first release build and venv. Only loopback traffic; every process it starts is
# stopped on exit (trap).
#
#   bench/http.sh                          # everything, defaults below
#   ROUNDS=1 DURATION=3 bench/http.sh      # a quick smoke run (numbers not meaningful)
#   SKIP_PYTHON=1 bench/http.sh            # Rust only (no Python baseline)
#
# What it does:
#   1. installs wrk (`apt-get install -y wrk`) when missing; builds the quickstart in
#      release mode; creates the Python venv of bench/python/requirements.txt (Python
#      >= 3.12; BENCH_VENV, default ~/.cache/rocket-jwt-auth/bench-venv);
#   2. starts on 127.0.0.1 (random free ports), with one HS256 secret and one SQLite file:
#        rust-w1     the quickstart, ROCKET_WORKERS=1       (same worker count as Python)
#        rust-wN     the quickstart, Rocket's default workers (= CPU count)
#        python      bench/python/app.py: hawkapi-auth on HawkAPI, Granian, 1 worker
#        rust-wN-mcX the quickstart, default workers, passwords.max_concurrent=MC_VARIANT
#                    (login-pressure variant only; default MC_VARIANT: the CPU count,
#                    i.e. argon2 may take every core)
#      registers an admin (ROCKET_ADMINS) and logs in once: that access token is used
#      for /me and /admin on every server (same secret, so Python accepts it too);
#   3. warms each route up, then ROUNDS rounds of DURATION seconds per server x route
#      (GET /health, /me, /admin), CONNECTIONS connections, one wrk thread; the server
#      order rotates every round, and ratios are taken within a round, then the median;
#   4. login pressure: PRESSURE_ROUNDS rounds of [GET /me alone, GET /me while a second
#      wrk POSTs /login with LOGIN_CONCURRENCY connections], on rust-wN and rust-wN-mcX,
#      alternating which comes first;
#   5. prints a Markdown report and writes it to bench/results/http-<UTC date-time>.md.
#
# Settings (environment): ROUNDS=3 DURATION=10 CONNECTIONS=32 PRESSURE_ROUNDS=3
# LOGIN_CONCURRENCY=2 MC_VARIANT=<CPU count> WARMUP=2 SKIP_PYTHON=0
# BENCH_PYTHON=<interpreter> BENCH_VENV=<dir> BENCH_COMMIT=<label for the report>
# RESULTS_DIR=<dir> CARGO_TARGET_DIR (as for cargo).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
PRESSURE_ROUNDS="${PRESSURE_ROUNDS:-3}"
LOGIN_CONCURRENCY="${LOGIN_CONCURRENCY:-2}"
WARMUP="${WARMUP:-2}"
SKIP_PYTHON="${SKIP_PYTHON:-0}"
RESULTS_DIR="${RESULTS_DIR:-$root/bench/results}"
BENCH_VENV="${BENCH_VENV:-$HOME/.cache/rocket-jwt-auth/bench-venv}"

# Same-machine only: every URL below is on the loopback.
HOST=127.0.0.1
SECRET="bench-secret-shared-by-rust-and-python-0123456789abcdef"
ADMIN_EMAIL="admin@bench.example"
ADMIN_PASSWORD="bench-password-0123"

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

for v in ROUNDS DURATION CONNECTIONS PRESSURE_ROUNDS LOGIN_CONCURRENCY WARMUP; do
    [[ "${!v}" =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a positive integer"
done
[ "$DURATION" -le 60 ] && [ "$ROUNDS" -le 10 ] && [ "$PRESSURE_ROUNDS" -le 10 ] ||
    die "keep it bounded: DURATION <= 60, ROUNDS <= 10, PRESSURE_ROUNDS <= 10"

# ---------------------------------------------------------------- processes, cleanup

tmp="$(mktemp -d "${TMPDIR:-/tmp}/auth-http-bench.XXXXXX")"
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        # Each server runs in its own session (setsid): its id is its process group's,
        # which also holds Granian's worker process.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (apt-get install -y wrk)"
    if ! apt-get install -y wrk >&2; then
        apt-get update >&2 && apt-get install -y wrk >&2 || die "cannot install wrk"
    fi
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

usable_python() {
    [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1
}

find_python() {
    local c
    if [ -n "${BENCH_PYTHON:-}" ]; then
        usable_python "$BENCH_PYTHON" || die "BENCH_PYTHON=$BENCH_PYTHON is not a Python >= 3.12"
        printf '%s\n' "$BENCH_PYTHON"
        return
    fi
    for c in python3.13 python3.12 python3; do
        if command -v "$c" >/dev/null 2>&1 && usable_python "$(command -v "$c")"; then
            command -v "$c"
            return
        fi
    done
    for c in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python; do
        if [ -x "$c" ] && usable_python "$c"; then
            printf '%s\n' "$c"
            return
        fi
    done
    die "no Python >= 3.12 found (hawkapi-auth needs it; the report needs one too): set BENCH_PYTHON"
}

base_python="$(find_python)"

# The Python baseline's venv: rebuilt whenever the requirements or the interpreter change.
requirements="$root/bench/python/requirements.txt"
venv_python="$BENCH_VENV/bin/python"
stamp() { { cat "$requirements"; "$1" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1; }
if [ "$SKIP_PYTHON" != 1 ]; then
    if ! { [ -x "$venv_python" ] && [ -f "$BENCH_VENV/.bench-stamp" ] &&
        [ "$(cat "$BENCH_VENV/.bench-stamp")" = "$(stamp "$venv_python")" ]; }; then
        if [ -e "$BENCH_VENV" ]; then
            [ -f "$BENCH_VENV/pyvenv.cfg" ] || die "$BENCH_VENV exists and is not a venv"
            rm -rf -- "$BENCH_VENV"
        fi
        log "creating the Python venv $BENCH_VENV with $base_python"
        "$base_python" -m venv "$BENCH_VENV"
        "$venv_python" -m pip install --disable-pip-version-check --no-input -q -r "$requirements" >&2 ||
            die "pip install failed"
        stamp "$venv_python" >"$BENCH_VENV/.bench-stamp"
    fi
    report_python="$venv_python"
else
    report_python="$base_python"
fi

log "building the quickstart (release)"
cargo build --release --locked -p quickstart >&2 || cargo build --release -p quickstart >&2
quickstart="${CARGO_TARGET_DIR:-$root/target}/release/quickstart"
[ -x "$quickstart" ] || die "no quickstart binary at $quickstart"

# ---------------------------------------------------------------- servers

free_port() {
    "$report_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

declare -A port spid
db="$tmp/users.sqlite3"

wait_ready() { # name
    local url="http://$HOST:${port[$1]}/health"
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.2
    done
    cat "$tmp/$1.log" >&2 || true
    die "$1 did not answer on $url"
}

start_rust() { # name workers(or "") [passwords table]
    local name="$1" workers="$2" passwords="${3:-}"
    port[$name]="$(free_port)"
    (
        export ROCKET_ADDRESS="$HOST" ROCKET_PORT="${port[$name]}" ROCKET_LOG_LEVEL=off \
            ROCKET_AUTH_SECRET="$SECRET" ROCKET_AUTH_ACCESS_TTL=7200 \
            ROCKET_DATABASE="$db" ROCKET_ADMINS="$ADMIN_EMAIL"
        [ -n "$workers" ] && export ROCKET_WORKERS="$workers"
        [ -n "$passwords" ] && export ROCKET_AUTH_PASSWORDS="$passwords"
        if [ "$workers" = 1 ]; then exec setsid "${pin_server[@]}" "$quickstart"; fi
        exec setsid "$quickstart"
    ) >"$tmp/$name.log" 2>&1 &
    pids+=("$!")
    spid[$name]="$!"
    wait_ready "$name"
    log "$name on port ${port[$name]} (workers: ${workers:-default})"
}

start_python() {
    port[python]="$(free_port)"
    (
        cd "$root/bench/python"
        export ROCKET_AUTH_SECRET="$SECRET" ROCKET_AUTH_ACCESS_TTL=7200
        exec setsid "${pin_server[@]}" "$BENCH_VENV/bin/granian" --interface asgi --workers 1 --loop uvloop \
            --host "$HOST" --port "${port[python]}" --log-level warning --no-access-log app:app
    ) >"$tmp/python.log" 2>&1 &
    pids+=("$!")
    spid[python]="$!"
    wait_ready python
    log "python on port ${port[python]} (granian, 1 worker)"
}

ncpu="$(nproc)"
# With two cores or more, the one-worker servers run on core 0 and wrk on core 1
# (PIN=0 turns it off): the comparison then measures the servers, not how each shares a
# core with the load generator. Multi-worker servers are not pinned.
PIN="${PIN:-1}"
pin_server=() pin_wrk=()
if [ "$PIN" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
start_rust rust-w1 1
start_rust rust-wN ""
MC_VARIANT="${MC_VARIANT:-$ncpu}"
[[ "$MC_VARIANT" =~ ^[0-9]+$ ]] && [ "$MC_VARIANT" -ge 1 ] || die "MC_VARIANT must be a positive integer"
start_rust rust-wN-mcX "" "{max_concurrent=$MC_VARIANT}"
servers=(rust-w1 rust-wN)
if [ "$SKIP_PYTHON" != 1 ]; then
    start_python
    servers+=(python)
fi

json_field() { "$report_python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

base="http://$HOST:${port[rust-wN]}"
credentials="{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
status="$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$credentials" "$base/register")"
[ "$status" = 201 ] || die "register answered $status"
token="$(curl -fsS -H 'Content-Type: application/json' -d "$credentials" "$base/login" | json_field access_token)"
[ -n "$token" ] || die "no access token from /login"

# Every server answers 200 on every route with that token before anything is timed.
for s in "${servers[@]}" rust-wN-mcX; do
    for r in health me admin; do
        code="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://$HOST:${port[$s]}/$r")"
        [ "$code" = 200 ] || die "$s GET /$r answered $code"
    done
done

# ---------------------------------------------------------------- wrk

# Exact numbers from wrk's Lua API: requests, duration (µs), p50/p99 (µs), errors.
cat >"$tmp/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
LUA
{
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
    printf 'wrk.body = [[%s]]\n' "$credentials"
    cat "$tmp/report.lua"
} >"$tmp/login.lua"

raw="$tmp/raw.tsv"
: >"$raw"

clk_tck="$(getconf CLK_TCK)"

# CPU time (clock ticks) used so far by every process of a server's session (Granian's
# worker included): server CPU per request does not depend on how fast the load
# generator is, and less on what else the machine runs than req/s does.
server_ticks() { # name
    local sum=0 p f a
    for p in $(pgrep -s "${spid[$1]}"); do
        f="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
        f="${f##*) }"
        read -r -a a <<<"$f"
        sum=$((sum + a[11] + a[12]))
    done
    echo "$sum"
}

# Runs wrk; prints "requests duration_us p50_us p99_us non2xx errors wrk_cpu_ms".
wrk_run() { # duration connections script url [wrk args...]
    local d="$1" c="$2" script="$3" url="$4" out cpu TIMEFORMAT='%3U %3S'
    shift 4
    out="$(mktemp "$tmp/wrk.XXXXXX")"
    { time timeout $((d + 30)) "${pin_wrk[@]}" wrk -t1 -c"$c" -d"${d}s" --timeout 10s -s "$script" "$@" "$url" \
        >"$out"; } 2>"$out.time" || die "wrk failed on $url"
    cpu="$(tail -n1 "$out.time" | awk '{ printf "%d", ($1 + $2) * 1000 }')"
    printf '%s %s\n' "$(grep '^RESULT ' "$out" | cut -d' ' -f2-)" "$cpu"
}

measure() { # phase round server route
    local phase="$1" round="$2" s="$3" r="$4" res t0 t1
    t0="$(server_ticks "$s")"
    res="$(wrk_run "$DURATION" "$CONNECTIONS" "$tmp/report.lua" "http://$HOST:${port[$s]}/$r" \
        -H "Authorization: Bearer $token")"
    t1="$(server_ticks "$s")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$round" "$s" "$r" "${res// /$'\t'}" \
        $(((t1 - t0) * 1000 / clk_tck)) >>"$raw"
}

total=$(((${#servers[@]} * 3 * (ROUNDS * DURATION + WARMUP)) + (2 * 2 * PRESSURE_ROUNDS * (DURATION + 2))))
log "measuring: about $((total / 60)) min $((total % 60)) s from now"

for s in "${servers[@]}"; do
    for r in health me admin; do
        wrk_run "$WARMUP" "$CONNECTIONS" "$tmp/report.lua" "http://$HOST:${port[$s]}/$r" \
            -H "Authorization: Bearer $token" >/dev/null
    done
done

n=${#servers[@]}
for round in $(seq 1 "$ROUNDS"); do
    for i in $(seq 0 $((n - 1))); do
        s="${servers[$(((i + round - 1) % n))]}"
        for r in health me admin; do
            log "round $round/$ROUNDS: $s GET /$r"
            measure routes "$round" "$s" "$r"
        done
    done
done

# Login pressure: GET /me alone, and GET /me while another wrk POSTs /login.
pressure() { # round server
    local round="$1" s="$2" lp res
    wrk_run $((DURATION + 2)) "$LOGIN_CONCURRENCY" "$tmp/login.lua" "http://$HOST:${port[$s]}/login" \
        >"$tmp/login.out" &
    lp=$!
    sleep 1
    measure pressure-me "$round" "$s" me
    wait "$lp" || die "the login client failed"
    res="$(cat "$tmp/login.out")"
    printf '%s\t%s\t%s\t%s\t%s\t0\n' pressure-login "$round" "$s" login "${res// /$'\t'}" >>"$raw"
}

for round in $(seq 1 "$PRESSURE_ROUNDS"); do
    for s in rust-wN rust-wN-mcX; do
        log "pressure round $round/$PRESSURE_ROUNDS: $s GET /me alone and with logins"
        if [ $((round % 2)) = 1 ]; then
            measure alone-me "$round" "$s" me
            pressure "$round" "$s"
        else
            pressure "$round" "$s"
            measure alone-me "$round" "$s" me
        fi
    done
done

# ---------------------------------------------------------------- report

mkdir -p "$RESULTS_DIR"
stamp_utc="$(date -u +%Y-%m-%d-%H%M)"
out="$RESULTS_DIR/http-$stamp_utc.md"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="${BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
if [ -z "${BENCH_COMMIT:-}" ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit + uncommitted changes"
fi
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
py_version="$([ "$SKIP_PYTHON" = 1 ] && echo "(skipped)" || "$venv_python" -c 'import sys; print(sys.version.split()[0])')"

BENCH_COMMIT="$commit" BENCH_MC_VARIANT="$MC_VARIANT" BENCH_LOAD_BEFORE="$load_before" BENCH_LOAD="$load" \
    BENCH_CPU="${cpu:-unknown} (${ncpu} cores)" BENCH_KERNEL="$(uname -sr)" \
    BENCH_RUSTC="$(rustc --version)" BENCH_PY="$py_version" \
    BENCH_WRK="$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)" \
    BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" BENCH_NCPU="$ncpu" BENCH_PIN="${pin_server[*]:-}" \
    BENCH_ROUNDS="$ROUNDS" BENCH_DURATION="$DURATION" BENCH_CONNECTIONS="$CONNECTIONS" \
    BENCH_PRESSURE_ROUNDS="$PRESSURE_ROUNDS" BENCH_LOGIN_CONCURRENCY="$LOGIN_CONCURRENCY" \
    "$report_python" - "$raw" <<'PY' | tee "$out"
import os, statistics, sys
from collections import defaultdict

E = os.environ
rows = []
for line in open(sys.argv[1]):
    phase, rnd, server, route, req, dur, p50, p99, non2xx, errors, wrk_ms, srv_ms = line.split("\t")
    rows.append(dict(phase=phase, round=int(rnd), server=server, route=route,
                     rps=int(req) / (int(dur) / 1e6), p50=int(p50) / 1000, p99=int(p99) / 1000,
                     non2xx=int(non2xx), errors=int(errors), requests=int(req),
                     # server CPU µs per request; wrk's CPU use as a share of one core
                     cpu_us=int(srv_ms) * 1000 / max(int(req), 1),
                     wrk_cpu=int(wrk_ms) / (int(dur) / 1000)))

by = defaultdict(list)
for r in rows:
    by[(r["phase"], r["server"], r["route"])].append(r)

def med(xs):
    return statistics.median(xs) if xs else float("nan")

def get(phase, server, route, rnd):
    for r in by[(phase, server, route)]:
        if r["round"] == rnd:
            return r
    return None

def ratio(phase_a, sa, ra, phase_b, sb, rb, key):
    """Median over rounds of a[key] / b[key], both from the same round."""
    out = []
    for a in by[(phase_a, sa, ra)]:
        b = get(phase_b, sb, rb, a["round"])
        if b and b[key]:
            out.append(a[key] / b[key])
    return out

def fmt_ratio(xs):
    if not xs:
        return "n/a"
    return f"{med(xs):.2f}× ({min(xs):.2f}–{max(xs):.2f})"

ncpu = E["BENCH_NCPU"]
names = {"rust-w1": "Rust quickstart, 1 worker", "rust-wN": f"Rust quickstart, {ncpu} workers (default)",
         "python": "Python hawkapi-auth, 1 worker", "rust-wN-mcX": f"Rust, {ncpu} workers, passwords.max_concurrent={E['BENCH_MC_VARIANT']}"}
servers = [s for s in ("rust-w1", "rust-wN", "python") if by[("routes", s, "health")]]

p = print
p(f"# HTTP benchmark, {E['BENCH_DATE']}\n")
p(f"- code: {E['BENCH_COMMIT']}")
p(f"- machine: {E['BENCH_CPU']}, {E['BENCH_KERNEL']}; shared with other work, so expect noise "
  f"(load average before: {E['BENCH_LOAD_BEFORE']}, after: {E['BENCH_LOAD']})")
p(f"- {E['BENCH_RUSTC']}, quickstart built `--release`; Python {E['BENCH_PY']}, HawkAPI 0.2.0 + hawkapi-auth 0.2.1 on Granian (1 worker, uvloop); {E['BENCH_WRK']}")
p(f"- load: wrk, 1 thread, {E['BENCH_CONNECTIONS']} connections, {E['BENCH_DURATION']} s per run, "
  f"{E['BENCH_ROUNDS']} interleaved rounds (server order rotated each round); "
  + ("one-worker servers pinned to core 0 and wrk to core 1 (taskset); the default-workers quickstart unpinned"
     if E.get('BENCH_PIN') else f"load generator and servers share the {ncpu} cores"))
p("- one HS256 access token (with `scope: admin`) from the quickstart's /login, used on every server")
p("- values are medians over rounds; ratios are taken within a round, then the median (min–max in brackets)")
p("- server CPU/req: CPU time of the server's processes during the run ÷ requests (10 ms tick resolution); "
  "wrk CPU: the load generator's CPU time ÷ run time (near 100 % means wrk, not the server, set the pace)\n")

p("## Throughput and latency\n")
p("| server | route | req/s | p50 ms | p99 ms | server CPU/req | wrk CPU | non-2xx | socket errors |")
p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for s in servers:
    for route in ("health", "me", "admin"):
        rs = by[("routes", s, route)]
        p(f"| {names[s]} | GET /{route} | {med([r['rps'] for r in rs]):,.0f} | {med([r['p50'] for r in rs]):.2f} | "
          f"{med([r['p99'] for r in rs]):.2f} | {med([r['cpu_us'] for r in rs]):.1f} µs | {med([r['wrk_cpu'] for r in rs]):.0%} | "
          f"{sum(r['non2xx'] for r in rs)} | {sum(r['errors'] for r in rs)} |")
p("")

p("## Guarded route vs open route (target: ≥ 0.90× the req/s)\n")
p("| server | /me ÷ /health req/s | /admin ÷ /health req/s | /me p99 ÷ /health p99 | server CPU/req /me − /health | /admin − /health | target |")
p("|---|---:|---:|---:|---:|---:|---|")
for s in servers:
    me = ratio("routes", s, "me", "routes", s, "health", "rps")
    ad = ratio("routes", s, "admin", "routes", s, "health", "rps")
    lat = ratio("routes", s, "me", "routes", s, "health", "p99")
    ok = me and ad and med(me) >= 0.9 and med(ad) >= 0.9
    cpu = {r: med([x["cpu_us"] for x in by[("routes", s, r)]]) for r in ("health", "me", "admin")}
    p(f"| {names[s]} | {fmt_ratio(me)} | {fmt_ratio(ad)} | {fmt_ratio(lat)} | {cpu['me'] - cpu['health']:+.1f} µs | "
      f"{cpu['admin'] - cpu['health']:+.1f} µs | {'met' if ok else 'missed'} |")
p("")

if "python" in servers:
    p("## Rust vs Python (target: GET /me ≥ 10× the req/s at the same worker count, with lower p99)\n")
    p("| route | Rust 1 worker ÷ Python req/s | p99 Rust 1 worker | p99 Python | "
      f"Rust {ncpu} workers ÷ Python req/s | p99 Rust {ncpu} workers | Python ÷ Rust 1 worker server CPU/req | target (1 worker vs 1 worker) |")
    p("|---|---:|---:|---:|---:|---:|---:|---|")
    for route in ("health", "me", "admin"):
        r1 = ratio("routes", "rust-w1", route, "routes", "python", route, "rps")
        rn = ratio("routes", "rust-wN", route, "routes", "python", route, "rps")
        p99 = {s: med([r["p99"] for r in by[("routes", s, route)]]) for s in servers}
        if route == "me":
            ok = r1 and med(r1) >= 10 and p99["rust-w1"] < p99["python"]
            verdict = "met" if ok else "missed"
        else:
            verdict = "(not a target)"
        eff = ratio("routes", "python", route, "routes", "rust-w1", route, "cpu_us")
        p(f"| GET /{route} | {fmt_ratio(r1)} | {p99['rust-w1']:.2f} ms | {p99['python']:.2f} ms | "
          f"{fmt_ratio(rn)} | {p99['rust-wN']:.2f} ms | {fmt_ratio(eff)} | {verdict} |")
    p("")

p(f"## GET /me under login pressure (target: p99 with logins ≤ 2× p99 without)\n")
p(f"A second wrk POSTs /login (argon2id, hawkapi-auth's 64 MiB / t=3 / p=4) with {E['BENCH_LOGIN_CONCURRENCY']} "
  f"connections during each 'with logins' run; {E['BENCH_PRESSURE_ROUNDS']} rounds, alternating which run comes first.\n")
p("The default-workers server uses the password pool's default `max_concurrent` (the CPU count minus one "
  "since commit c15601e, the CPU count before); the variant sets it explicitly. "
  "Server CPU/req of the 'with logins' runs in the per-run table includes the argon2 work of the logins.\n")
p("| server | /me alone req/s | p50 | p99 | /me with logins req/s | p50 | p99 | p99 ratio | logins/s | login p99 | login non-2xx | target |")
p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for s in ("rust-wN", "rust-wN-mcX"):
    alone = by[("alone-me", s, "me")]
    if not alone:
        continue
    press = by[("pressure-me", s, "me")]
    logins = by[("pressure-login", s, "login")]
    rr = ratio("pressure-me", s, "me", "alone-me", s, "me", "p99")
    ok = rr and med(rr) <= 2
    p(f"| {names[s]} | {med([r['rps'] for r in alone]):,.0f} | {med([r['p50'] for r in alone]):.2f} ms | "
      f"{med([r['p99'] for r in alone]):.2f} ms | {med([r['rps'] for r in press]):,.0f} | "
      f"{med([r['p50'] for r in press]):.2f} ms | {med([r['p99'] for r in press]):.2f} ms | {fmt_ratio(rr)} | "
      f"{med([r['rps'] for r in logins]):.1f} | {med([r['p99'] for r in logins]):.0f} ms | "
      f"{sum(r['non2xx'] for r in logins)} | {'met' if ok else 'missed'} |")
p("")

p("## Every run\n")
p("| phase | round | server | route | requests | req/s | p50 ms | p99 ms | server CPU/req µs | wrk CPU | non-2xx | errors |")
p("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    # Login runs overlap a /me run on the same server: its CPU is not the logins' alone.
    cpu = "–" if r["phase"] == "pressure-login" else f"{r['cpu_us']:.1f}"
    p(f"| {r['phase']} | {r['round']} | {r['server']} | {r['route']} | {r['requests']} | {r['rps']:,.1f} | "
      f"{r['p50']:.2f} | {r['p99']:.2f} | {cpu} | {r['wrk_cpu']:.0%} | {r['non2xx']} | {r['errors']} |")
PY

log "report written to $out"
