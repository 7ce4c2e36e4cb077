#!/usr/bin/env bash
# Drift read benchmark: symguard drift against a sequential boto3 script doing the same
# reads, on one moto server seeded with GROUPS groups of MEMBERS members.
#
# usage: benches/drift/run.sh [GROUPS] [MEMBERS] [RUNS]   (default 1000 10 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
groups=${1:-1000}
members=${2:-10}
runs=${3:-5}

if [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==5.*"
fi
cargo build --release --quiet
work=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto; rm -rf "$work"' EXIT
endpoint="http://127.0.0.1:$port"
until curl -s "$endpoint/moto-api/" >/dev/null; do sleep 0.2; done

echo "seeding $groups groups x $members members..." >&2
.venv/bin/python benches/drift/seed.py "$endpoint" "$work" "$groups" "$members"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
# Seconds of one run of a command, wall clock.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# symguard exits 1 (every member is unexpected); that is the finding, not a failure.
symguard() { target/release/symguard drift "$work" --endpoint-url "$endpoint" --format json "$@" || [ $? -eq 1 ]; }
found=$(target/release/symguard drift "$work" --endpoint-url "$endpoint" --format json | grep -c '"drift-unexpected-member"' || true)
read_by_boto3=$(.venv/bin/python benches/drift/boto3_reads.py "$endpoint" "$groups")
echo "members reported by symguard: $found, read by boto3: $read_by_boto3" >&2

declare -A results
for concurrency in 1 8 32; do
  results[$concurrency]=$(for _ in $(seq "$runs"); do seconds symguard --concurrency "$concurrency"; done | median)
done
boto3=$(for _ in $(seq "$runs"); do seconds .venv/bin/python benches/drift/boto3_reads.py "$endpoint" "$groups"; done | median)

echo "drift reads: $groups groups x $members members on moto, median of $runs runs, $(nproc) cores"
printf '| %-36s | %8s | %8s |\n' "reader" "seconds" "vs boto3"
printf '|%s|%s|%s|\n' "--------------------------------------" "----------" "----------"
for concurrency in 1 8 32; do
  printf '| %-36s | %8.2f | %7.2fx |\n' "symguard drift --concurrency $concurrency" "${results[$concurrency]}" "$(echo "$boto3 / ${results[$concurrency]}" | bc -l)"
done
printf '| %-36s | %8.2f | %7.2fx |\n' "boto3, sequential" "$boto3" 1
