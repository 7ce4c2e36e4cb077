#!/usr/bin/env bash
# The performance benchmark: symguard check against its parse-only floor and checkov, and
# symguard drift against sequential boto3 and Cloud Custodian, on bare moto and through a
# proxy adding latency. Prints one markdown table (also saved to target/bench-results.md).
# See docs/performance.md for what each row measures.
#
# usage: benches/run.sh [--quick] [--runs N] [--groups N] [--members N] [--latency-ms MS]
#                       [--skip-check] [--skip-checkov] [--skip-drift]
#   --quick   1 run each, drift on 100 groups: checks that the harness works (~5 min)
#   --runs N  measured runs of each row (3), but check and its parse-only floor, which run
#             21 times each, alternating
# The latency proxy pages GetAccountAuthorizationDetails 1,000 items a page, as IAM does;
# bare moto answers it in one page.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3            # measured runs per row; the table shows medians
check_runs=21     # check and its parse-only floor: short, alternated, and the ratio is a target
cold_runs=20      # the single-root cold start is short, so more runs
groups=1000
members=10
latency_ms=50
roots=(100 1000 5000)
targets=8         # gen-corpus's default: 1,000 roots are 7,000 files, about 9 MB
skip_check=0
skip_checkov=0
skip_drift=0
# Pinned so that results stay comparable between runs of the benchmark.
checkov_version=3.3.30
c7n_version=0.9.53

while [ $# -gt 0 ]; do
  case $1 in
    --quick) runs=1 check_runs=1 cold_runs=5 groups=100 ;;
    --runs) runs=$2; shift ;;
    --groups) groups=$2; shift ;;
    --members) members=$2; shift ;;
    --latency-ms) latency_ms=$2; shift ;;
    --skip-check) skip_check=1 skip_checkov=1 ;;
    --skip-checkov) skip_checkov=1 ;;
    --skip-drift) skip_drift=1 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

started=$(date +%s)
log() { echo "[$(date +%T)] $*" >&2; }
work=$(mktemp -d)
pids=()
# Only the servers this script started are stopped.
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
results=$work/results
record() { echo "$*" >>"$results"; }
# timed KEY MEASURE.PY-ARGS...: records one row; a failed measurement stops the run.
timed() {
  local key=$1 timing
  shift
  timing=$(python3 benches/measure.py "$@") || exit 1
  record result "$key" "$timing"
}
# timed_pair KEY1 KEY2 MEASURE.PY-ARGS... -- COMMAND1... :: COMMAND2...: the two commands
# alternate (see measure.py), each gets its row, and KEY1 the spread of the rounds' ratios.
timed_pair() {
  local first=$1 second=$2 timing
  shift 2
  timing=$(python3 benches/measure.py "$@") || exit 1
  record result "$first" "$(sed -n 1p <<<"$timing")"
  record result "$second" "$(sed -n 2p <<<"$timing")"
  record ratio "$first" "$(sed -n 3p <<<"$timing")"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fail() { echo "run.sh: $*" >&2; exit 1; }

# A virtualenv with PACKAGES, made once (again when the pins change). checkov pins
# boto3==1.35.49 and c7n a newer one, so each tool gets its own.
venv() {
  local dir=$1
  shift
  if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$*" ]; then
    log "installing $* into $dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" >"$dir/.installed"
  fi
}

log "building (release)"
cargo build --release --bin symguard --example gen-corpus --example parse-only --example latency-proxy
symguard=target/release/symguard

record meta date "$(date '+%Y-%m-%d %H:%M %Z')"
record meta nproc "$(nproc)"
record meta cpu "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
record meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
record meta commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
record meta runs "$runs"
record meta check_runs "$check_runs"
record meta cold_runs "$cold_runs"
record meta targets "$targets"
record meta groups "$groups"
record meta members "$members"
record meta latency_ms "$latency_ms"

# --- symguard check, and the parse-only floor over the same files ----------------------
corpus=target/bench-corpus
[ "$skip_check" = 1 ] && roots=()
for n in "${roots[@]}"; do
  dir=$corpus/roots-$n
  rm -rf "$dir"
  target/release/examples/gen-corpus "$dir" --roots "$n" --targets "$targets" 2>/dev/null
  # Files and bytes of the roots (not the top-level expected.json).
  record meta "corpus_$n" "$(find "$dir" -mindepth 2 -type f | wc -l)" \
    "$(find "$dir" -mindepth 2 -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
  log "check: $n roots"
  # The corpus has no seeded defects, so any finding (exit 1) is a bug, not a result.
  timed_pair "check-$n" "parse-$n" --runs "$check_runs" --stdout "$work/parsed" -- \
    "$symguard" check "$dir" :: target/release/examples/parse-only "$dir"
  # Six .tf files per root: a smaller count would mean a smaller floor.
  [ "$(cat "$work/parsed")" -eq $((6 * n)) ] || fail "parse-only parsed $(cat "$work/parsed") files of $((6 * n))"
done

# Scaling compares two sizes, so they alternate too: taken from the rows above, they were
# timed minutes apart, and a drift of the host's speed between them read as a scaling miss
# (6.22x, where the two alternating gave 5.24x right after).
if [ "$skip_check" = 0 ]; then
  log "check: 5,000 against 1,000 roots"
  timed_pair scale-5000 scale-1000 --runs "$check_runs" -- \
    "$symguard" check "$corpus/roots-5000" :: "$symguard" check "$corpus/roots-1000"
  log "check: one small root, cold start"
  timed cold --runs "$cold_runs" --warmup 3 -- "$symguard" check examples/aws-iam
fi

# --- checkov on the 100-root corpus ----------------------------------------------------
if [ "$skip_checkov" = 0 ]; then
  venv benches/.venv/checkov "checkov==$checkov_version"
  log "checkov: 100 roots"
  # checkov exits 1 when checks fail (CKV_TF_1 does on every module call); --skip-download:
  # no calls to Prisma Cloud, which the benchmark must not depend on.
  timed checkov-100 --runs "$runs" --warmup 0 --ok 0,1 --stdout "$work/checkov" -- \
    benches/.venv/checkov/bin/checkov -d "$corpus/roots-100" --framework terraform --quiet --compact --skip-download
  summary=$(grep -m1 'Passed checks' "$work/checkov" || true)
  [ -n "$summary" ] || fail "checkov printed no summary"
  record meta checkov_summary "$summary"
fi

# --- symguard drift against boto3 and Cloud Custodian, on moto -------------------------
if [ "$skip_drift" = 0 ]; then
  if [ ! -x .venv/bin/moto_server ]; then
    log "installing moto into .venv"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==5.*"
  fi
  # Custodian's venv also runs the boto3 script: the same boto3 and botocore for both.
  venv benches/.venv/c7n "c7n==$c7n_version"

  moto_port=$(free_port)
  moto=http://127.0.0.1:$moto_port
  # moto logs one line per request: how the benchmark counts what each reader asked.
  .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do curl -s -o /dev/null "$moto/moto-api/" && break; sleep 0.2; done
  curl -s -o /dev/null "$moto/moto-api/" || fail "moto did not start: $(cat "$work/moto.log")"

  proxy_port=$(free_port)
  proxy=http://127.0.0.1:$proxy_port
  target/release/examples/latency-proxy --listen "127.0.0.1:$proxy_port" --upstream "$moto" \
    --latency-ms "$latency_ms" --page-items 1000 2>/dev/null &
  pids+=($!)
  for _ in $(seq 50); do curl -s -o /dev/null "$proxy/moto-api/" && break; sleep 0.1; done

  log "drift: seeding $groups groups x $members members"
  mkdir "$work/root"
  .venv/bin/python benches/drift/seed.py "$moto" "$work/root" "$groups" "$members"
  record meta moto "$(.venv/bin/pip show moto 2>/dev/null | sed -n 's/^Version: //p')"
  record meta boto3 "$(benches/.venv/c7n/bin/pip show boto3 2>/dev/null | sed -n 's/^Version: //p')"

  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  requests_so_far() { grep -c '"POST ' "$work/moto.log" || true; }
  # One row: times READER against ENDPOINT, counts the requests moto saw per run, and
  # checks from the last run's output that the reader read every member or group.
  drift_row() {
    local where=$1 endpoint=$2 reader=$3 warmup=$4 ok=0 before after timing expected found
    local out=$work/out-$where-$reader
    local -a command
    case $reader in
      symguard-bulk)
        ok=1
        command=("$symguard" drift "$work/root" --endpoint-url "$endpoint" --format json --read bulk --cloudtrail off) ;;
      symguard-*)
        ok=1 # every seeded member is unexpected: exit 1 is the finding
        command=("$symguard" drift "$work/root" --endpoint-url "$endpoint" --format json --read per-group --cloudtrail off --concurrency "${reader#symguard-}") ;;
      boto3)
        command=(benches/.venv/c7n/bin/python benches/drift/boto3_reads.py "$endpoint" "$groups") ;;
      c7n)
        command=(env "AWS_ENDPOINT_URL=$endpoint" benches/.venv/c7n/bin/custodian run --cache-period 0
          -s "$work/c7n-$where" --region us-east-1 benches/drift/c7n-policy.yml) ;;
    esac
    log "drift, $where: $reader"
    before=$(requests_so_far)
    timing=$(python3 benches/measure.py --runs "$runs" --warmup "$warmup" --ok "$ok" --stdout "$out" -- "${command[@]}") || exit 1
    sleep 0.3 # moto logs a request after answering it, maybe after the client exited
    after=$(requests_so_far)
    record result "drift-$where-$reader" "$timing" $(((after - before) / (runs + warmup)))
    case $reader in
      symguard-*) expected=$((groups * members)) found=$(grep -c '"drift-unexpected-member"' "$out" || true) ;;
      boto3) expected=$((groups * members)) found=$(cat "$out") ;;
      c7n) expected=$groups found=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/c7n-$where/sym-groups/resources.json") ;;
    esac
    [ "$found" = "$expected" ] || fail "drift, $where: $reader found $found, expected $expected"
  }
  # Through the proxy the slow readers take minutes a run and imports are already warm.
  for reader in symguard-bulk symguard-8 symguard-32 boto3 c7n; do drift_row bare "$moto" "$reader" 1; done
  for reader in symguard-bulk symguard-8 symguard-32 boto3 c7n; do drift_row proxy "$proxy" "$reader" 0; done
fi

record meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
record meta elapsed "$(($(date +%s) - started))"
mkdir -p target
[ -s "$results" ] || fail "nothing was measured"
python3 benches/report.py "$results" | tee target/bench-results.md
