#!/usr/bin/env bash
# Benchmark: wall time of a healthy doctor run with one RDS connector against the lab (identity,
# chain, and the RDS link: describe, token, verified TLS login to a real PostgreSQL, rds_iam),
# beside the RDS link done by hand as the seeds do it: `aws rds generate-db-auth-token`, then
# `psql` with the token over verify-full TLS running `select version()` and the rds_iam question.
# Needs a build (release for honest numbers: `cargo build --release --workspace`), psql, and the
# AWS CLI on PATH (or in $AWS_CLI) for the comparison.
#
#   bench/rds.sh [runs] [profile]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
profile=${2:-release}
doctor=target/$profile/connector-doctor
lab=target/$profile/connector-lab
aws_cli=${AWS_CLI:-aws}
scenario=tests/scenarios/vcluster-rds-healthy.toml

env_file=$(mktemp)
"$lab" serve "$scenario" > "$env_file" &
lab_pid=$!
trap 'kill $lab_pid 2>/dev/null; rm -f "$env_file"' EXIT
for _ in $(seq 100); do grep -q CONNECTOR_DOCTOR_CONNECT_TO "$env_file" && break; sleep 0.1; done
# shellcheck disable=SC1090
. "$env_file"
cd "$(dirname "$CONNECTOR_DOCTOR_CONFIG")"

# Milliseconds of wall time for each of $runs runs of a command; prints the median.
median_ms() {
  local samples=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    end=$(date +%s%N)
    samples+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

doctor_ms=$(median_ms "$OLDPWD/$doctor" --json)
echo "connector-doctor --json (identity + chain + RDS link): median ${doctor_ms} ms over ${runs} runs"

# The endpoint and where the lab really serves it: HOST:PORT:127.0.0.1:REAL for the instance.
rule=$(tr ',' '\n' <<< "$CONNECTOR_DOCTOR_CONNECT_TO" | grep '^vcluster-db\.' | head -1)
IFS=: read -r host port _ real <<< "$rule"
by_hand() {
  local token
  token=$("$aws_cli" rds generate-db-auth-token --hostname "$host" --port "$port" --username postgres --region "$AWS_REGION")
  PGPASSWORD=$token psql "host=$host hostaddr=127.0.0.1 port=$real dbname=postgres user=postgres sslmode=verify-full sslrootcert=$PGSSLROOTCERT" \
    -Atc "select version()" -c "select pg_has_role(current_user, 'rds_iam', 'member')"
}
if command -v "$aws_cli" > /dev/null && command -v psql > /dev/null; then
  hand_ms=$(median_ms by_hand)
  echo "aws rds generate-db-auth-token + psql (the RDS link alone): median ${hand_ms} ms over ${runs} runs"
  awk -v a="$hand_ms" -v b="$doctor_ms" 'BEGIN { printf "the by-hand RDS link takes %.1fx the doctor'"'"'s whole run\n", a / b }'
else
  echo "(no AWS CLI or psql on PATH: no comparison)"
fi
