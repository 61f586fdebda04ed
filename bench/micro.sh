#!/usr/bin/env bash
# Micro benchmarks (criterion, auth-core/benches) and their report.
#
#   bench/micro.sh                    # full run (~4 min on 2 cores after the build)
#   FLOOR_ROUNDS=5 bench/micro.sh     # more repetitions of the floor comparison
#
# 1. `cargo bench -p auth-core` once: issue/verify for every algorithm, the HS256
#    verification floor group, password hash/verify for each preset, the revocation
#    check at 0 / 1k / 1M revoked entries and the memory per entry;
# 2. FLOOR_ROUNDS (default 3) more runs of the `verify_floor` group alone (ours, raw
#    jsonwebtoken::decode, HMAC+base64+JSON floor, back to back), so the ratios come from
#    several runs, each measured against its own baseline;
# 3. prints a Markdown report of criterion's medians and the ratios, and writes it to
#    bench/results/micro-<UTC date-time>.md.
#
# Reads criterion's `new/estimates.json` under $CARGO_TARGET_DIR/criterion (or
# <repo>/target/criterion). Extra arguments go to criterion (e.g. --measurement-time 5).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
FLOOR_ROUNDS="${FLOOR_ROUNDS:-3}"
RESULTS_DIR="${RESULTS_DIR:-$root/bench/results}"
[[ "$FLOOR_ROUNDS" =~ ^[0-9]+$ ]] && [ "$FLOOR_ROUNDS" -le 10 ] || {
    echo "FLOOR_ROUNDS must be 0..10" >&2
    exit 1
}
criterion_dir="${CARGO_TARGET_DIR:-$root/target}/criterion"
python="$(command -v python3)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/auth-micro-bench.XXXXXX")"
trap 'rm -rf -- "$tmp"' EXIT

# Appends "<label>\t<full id>\t<median ns>" for every benchmark criterion has results for.
collect() { # label
    "$python" - "$criterion_dir" "$1" >>"$tmp/medians.tsv" <<'PY'
import json, os, sys
root, label = sys.argv[1], sys.argv[2]
for dirpath, _, files in os.walk(root):
    if os.path.basename(dirpath) == "new" and "benchmark.json" in files:
        bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
        est = json.load(open(os.path.join(dirpath, "estimates.json")))
        print(f"{label}\t{bench['full_id']}\t{est['median']['point_estimate']}")
PY
}

rm -rf -- "$criterion_dir/issue" "$criterion_dir/verify" "$criterion_dir/verify_cached" \
    "$criterion_dir/verify_floor" "$criterion_dir/password" "$criterion_dir/revocation_check" \
    "$criterion_dir/revocation_verify_cached"
echo "bench: cargo bench -p auth-core (full run)" >&2
cargo bench -p auth-core "$@" | tee "$tmp/full.log" >&2
# The revocation bench prints the memory per entry before its timings.
BENCH_MEMORY="$(grep -m1 '^memory per revoked entry' "$tmp/full.log" || echo 'memory per revoked entry: not printed')"
export BENCH_MEMORY
collect full
for i in $(seq 1 "$FLOOR_ROUNDS"); do
    echo "bench: floor round $i/$FLOOR_ROUNDS" >&2
    cargo bench -p auth-core --bench tokens -- verify_floor "$@" >&2
    collect "floor-$i"
done

mkdir -p "$RESULTS_DIR"
commit="${BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
if [ -z "${BENCH_COMMIT:-}" ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit + uncommitted changes"
fi
out="$RESULTS_DIR/micro-$(date -u +%Y-%m-%d-%H%M).md"
BENCH_COMMIT="$commit" BENCH_CPU="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)" \
    BENCH_RUSTC="$(rustc --version)" BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$python" - "$tmp/medians.tsv" <<'PY' | tee "$out"
import os, statistics, sys
from collections import defaultdict

E = os.environ
runs = defaultdict(dict)
for line in open(sys.argv[1]):
    label, bid, ns = line.rstrip("\n").split("\t")
    runs[label][bid] = float(ns)
full = runs["full"]

def t(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"

p = print
p(f"# Micro benchmarks (criterion), {E['BENCH_DATE']}\n")
p(f"- code: {E['BENCH_COMMIT']}")
p(f"- machine: {E['BENCH_CPU']}, shared with other work; {E['BENCH_RUSTC']}, `cargo bench` (release, default `rust-crypto` backend)")
p("- criterion medians; 1 s warm-up + 2 s measurement per token bench, 10 flat samples per password bench\n")

algs = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
p("## Tokens: issue, first verification, verification of a token seen before\n")
p("| algorithm | issue_access | verify_access (first, cache off) | verify ÷ verify HS256 | seen before (cache hit) | first ÷ seen before |")
p("|---|---:|---:|---:|---:|---:|")
hs = full.get("verify/HS256")
for a in algs:
    i, v = full.get(f"issue/{a}"), full.get(f"verify/{a}")
    if i is None or v is None:
        continue
    c = full.get(f"verify_cached/{a}")
    cached = f"{t(c)} | {v / c:.0f}×" if c else "– | –"
    p(f"| {a} | {t(i)} | {t(v)} | {v / hs:.1f}× | {cached} |")
p("")

floor_labels = [l for l in runs if l == "full" or l.startswith("floor-")]
ours_k, jwt_k, floor_k = ("verify_floor/auth_core_verify_access", "verify_floor/jsonwebtoken_decode",
                          "verify_floor/floor_hmac_b64_json")
pre_k = "verify_floor/floor_prekeyed_hmac_b64_json"
cached_k = "verify_floor/auth_core_verify_cached"
p("## HS256 verification against its floor (same token, same run)\n")
p("| run | auth-core first verification | auth-core seen before | raw jsonwebtoken::decode | HMAC + base64 + JSON floor | floor, HMAC keyed once | ours ÷ jsonwebtoken | ours ÷ floor | jsonwebtoken ÷ floor | floor keyed once ÷ floor | seen before ÷ jsonwebtoken |")
p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
r_jwt, r_floor, r_jf, r_pre, r_cached = [], [], [], [], []
for l in floor_labels:
    r = runs[l]
    if not all(k in r for k in (ours_k, jwt_k, floor_k)):
        continue
    o, j, f = r[ours_k], r[jwt_k], r[floor_k]
    k = r.get(pre_k, float("nan"))
    c = r.get(cached_k, float("nan"))
    r_jwt.append(o / j); r_floor.append(o / f); r_jf.append(j / f); r_pre.append(k / f); r_cached.append(c / j)
    p(f"| {l} | {t(o)} | {t(c)} | {t(j)} | {t(f)} | {t(k)} | {o / j:.2f}× | {o / f:.2f}× | {j / f:.2f}× | {k / f:.2f}× | {c / j:.2f}× |")
if r_jwt:
    m = statistics.median
    p(f"| **median** | | | | | | **{m(r_jwt):.2f}×** | **{m(r_floor):.2f}×** | **{m(r_jf):.2f}×** | **{m(r_pre):.2f}×** | **{m(r_cached):.2f}×** |")
    p("")
    verdict = "met" if m(r_jwt) <= 2 else "missed"
    p(f"Target \"first verification ≤ 2× the raw jsonwebtoken decode\": {m(r_jwt):.2f}× → **{verdict}**.")
p("")

p("## Passwords (argon2id)\n")
p("| preset | hash | verify |")
p("|---|---:|---:|")
for preset, desc in (("HAWKAPI", "m=64 MiB, t=3, p=4"), ("OWASP_MINIMUM", "m=19 MiB, t=2, p=1")):
    h, v = full.get(f"password/hash/{preset}"), full.get(f"password/verify/{preset}")
    if h is None or v is None:
        continue
    p(f"| `{preset}` ({desc}) | {t(h)} | {t(v)} |")
p("")
p("## Revocation check with 0, 1 thousand and 1 million revoked tokens\n")
p("| revoked entries | check, same token | ÷ 0 entries | check, 4096 tokens in turn | ÷ 0 entries | whole verification of a token seen before | ÷ 0 entries |")
p("|---:|---:|---:|---:|---:|---:|---:|")
zero = (full.get("revocation_check/0/same_token"), full.get("revocation_check/0/many_tokens"),
        full.get("revocation_verify_cached/0"))
worst = None
for n in ("0", "1000", "1000000"):
    row = (full.get(f"revocation_check/{n}/same_token"), full.get(f"revocation_check/{n}/many_tokens"),
           full.get(f"revocation_verify_cached/{n}"))
    if None in row or None in zero:
        continue
    ratios = [v / z for v, z in zip(row, zero)]
    if n == "1000000":
        worst = max(ratios[:2])
    p(f"| {int(n):,} | {t(row[0])} | {ratios[0]:.2f}× | {t(row[1])} | {ratios[1]:.2f}× | {t(row[2])} | {ratios[2]:.2f}× |")
p("")
p(E.get("BENCH_MEMORY", "memory per revoked entry: not measured") + ".")
p("")
if worst is not None:
    verdict = "met" if worst <= 1.2 else "missed"
    p(f"Target \"the check at 1 million entries within 1.2× of the check at 0\": at most {worst:.2f}× → **{verdict}** "
      "(memory: see the line above; target under 100 bytes an entry). With 0 entries the hash "
      "table answers without hashing at all, so the 0 column is the cheapest possible check.")
PY
echo "bench: report written to $out" >&2
