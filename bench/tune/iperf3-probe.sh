#!/bin/sh
# One measurement for bench/tune-loopback.sh: a loopback TCP stream with iperf3 (server on 127.0.0.1:5201,
# started by the bench inside its network namespace), printing the receiver's throughput in Gbit/s.
# Seconds per measurement: TUNE_PROBE_SECONDS (default 2).
set -eu
out=$(iperf3 -c 127.0.0.1 -p "${TUNE_PORT:-5201}" -t "${TUNE_PROBE_SECONDS:-2}" -J)
# the last "bits_per_second" of iperf3's JSON is end.sum_received's
printf '%s\n' "$out" | sed -n 's/.*"bits_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' | tail -n 1 | awk '{ printf "%.3f\n", $1 / 1e9 }'
