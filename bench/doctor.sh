#!/usr/bin/env bash
# Benchmark: wall time of a healthy doctor run against the lab (the identity link alone, or a
# two-connector xpander chain), beside one of the same questions answered by hand with the AWS
# CLI (`aws sts get-caller-identity` through the same Pod Identity agent and STS). Needs a
# release build, and the AWS CLI on PATH (or in $AWS_CLI) for the comparison.
#
#   cargo build --release --workspace && bench/doctor.sh [runs] [scenario]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
scenario=${2:-tests/scenarios/healthy-pod-identity.toml}
doctor=target/release/connector-doctor
lab=target/release/connector-lab
aws_cli=${AWS_CLI:-aws}

env_file=$(mktemp)
"$lab" serve "$scenario" > "$env_file" &
lab_pid=$!
trap 'kill $lab_pid 2>/dev/null; rm -f "$env_file"' EXIT
for _ in $(seq 50); do grep -q AWS_ENDPOINT_URL "$env_file" && break; sleep 0.1; done
# shellcheck disable=SC1090
. "$env_file"

# Milliseconds of wall time for each of $runs runs of a command; prints the median.
median_ms() {
  local samples=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" > /dev/null 2>&1 || true
    end=$(date +%s%N)
    samples+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

doctor_ms=$(median_ms "$doctor" --json)
echo "connector-doctor --json ($(basename "$scenario" .toml)): median ${doctor_ms} ms over ${runs} runs"
if command -v "$aws_cli" > /dev/null; then
  cli_ms=$(median_ms "$aws_cli" sts get-caller-identity)
  echo "aws sts get-caller-identity (one of the manual steps): median ${cli_ms} ms"
  awk -v a="$cli_ms" -v b="$doctor_ms" 'BEGIN { if (b > 0) printf "ratio: the doctor is %.1fx faster than that one step\n", a / b }'
fi
