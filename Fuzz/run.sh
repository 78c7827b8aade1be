#!/usr/bin/env bash
# Replays FailCases/ (inputs that once crashed), then runs each fuzz target for N seconds
# (default 60) from corpus/. A new crash is saved under FailCases/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
targets=("FuzzFrameDecoder:frame" "FuzzHTTPParser:http")
for entry in "${targets[@]}"; do
  name="${entry%%:*}"; dir="${entry##*:}"
  swift build --product "$name" -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz 2>&1 | tail -1
done
bin=$(swift build --scratch-path .build-fuzz --show-bin-path)
for entry in "${targets[@]}"; do
  name="${entry%%:*}"; dir="${entry##*:}"
  cases=(FailCases/"$dir"/*)
  inputs=()
  for f in "${cases[@]}"; do [ -f "$f" ] && [ "$(basename "$f")" != ".keep" ] && inputs+=("$f"); done
  if [ "${#inputs[@]}" -gt 0 ]; then
    echo "== $name: replaying ${#inputs[@]} past crash inputs"
    "$bin/$name" "${inputs[@]}" >/dev/null
  fi
  work=$(mktemp -d)
  cp corpus/"$dir"/* "$work"/
  echo "== $name: fuzzing for ${seconds}s"
  "$bin/$name" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="FailCases/$dir/" \
    -rss_limit_mb=2048 "$work" 2>&1 | grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done' || true
  rm -rf "$work"
  if ls FailCases/"$dir"/crash-* FailCases/"$dir"/leak-* FailCases/"$dir"/oom-* >/dev/null 2>&1; then
    echo "$name found a failing input: see Fuzz/FailCases/$dir/"; exit 1
  fi
done
