#!/usr/bin/env bash
# relproof's protection-rule server on loopback under sustained, signed
# deliveries against the fake GitHub (every run deploys a digest already
# decided on: the cached case), for 60 s: throughput, p50/p99 decision
# latency, and none lost or answered twice (exit 1 otherwise).
#
#   bash bench/serve/run.sh [RATE] [DURATION]     (default 250/s for 60s)
set -euo pipefail
cd "$(dirname "$0")/../.."
go run ./bench/serve -rate "${1:-250}" -duration "${2:-60s}"
