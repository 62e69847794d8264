#!/usr/bin/env bash
# Run every cargo-fuzz target in fuzz/ for MINUTES minutes each (default 5) and print what
# each found. Not part of CI: it needs a nightly toolchain and cargo-fuzz
# (`rustup toolchain install nightly && cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]
#
# Corpora grow in fuzz/corpus/TARGET (seeded once from the test fixtures), crashes land in
# fuzz/artifacts/TARGET/ with the input that caused them; reproduce one with
# `cargo +nightly fuzz run -O -a TARGET fuzz/artifacts/TARGET/crash-…` (optimised, with debug
# assertions and overflow checks: an overflow is a crash too). Exit 1 if any target crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-5}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(log_line kmsg proc_files redact)
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
  echo "needs a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz)" >&2
  exit 2
fi

fixtures=triage-core/tests/fixtures
seed() { # seed TARGET FILE...: each file (and each of its lines, for line targets) as an input
  local dir=fuzz/corpus/$1
  shift
  [ -d "$dir" ] && return
  mkdir -p "$dir"
  local i=0 f
  for f in "$@"; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    head -c 65536 "$f" >"$dir/seed-$i"
  done
}
seed log_line $(find "$fixtures" -path '*var/log/*' -type f | head -200)
seed kmsg $(find "$fixtures" \( -name 'dmesg*' -o -name 'kern.log*' -o -name '*kmsg*' \) -type f | head -100)
seed redact "$fixtures/redaction/corpus.toml" $(find "$fixtures" -path '*var/log/*' -type f | head -50)
# proc_files: the first byte picks the parser (triage-core/src/fuzzing.rs), the rest is a file.
if [ ! -d fuzz/corpus/proc_files ]; then
  mkdir -p fuzz/corpus/proc_files
  i=0
  for pair in 0:stat 1:status 2:proc/stat 3:meminfo 5:loadavg 6:pressure/cpu 7:diskstats \
    8:net/dev 10:mountinfo 11:mounts 13:os-release 14:passwd 15:buddyinfo; do
    n=${pair%%:*}
    for f in $(find "$fixtures" -path "*${pair#*:}" -type f | head -5); do
      i=$((i + 1))
      { printf "\\x$(printf %02x "$n")"; head -c 65536 "$f"; } >fuzz/corpus/proc_files/seed-$i
    done
  done
fi

crashed=0
for t in "${targets[@]}"; do
  echo "== $t: ${minutes} min"
  log=fuzz/artifacts/$t.log
  mkdir -p "fuzz/artifacts/$t"
  cargo +nightly fuzz run -O -a "$t" "fuzz/corpus/$t" -- \
    -max_total_time=$((minutes * 60)) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ *DONE|cov:' "$log" | tail -3
  if [ $rc -ne 0 ]; then
    crashed=1
    echo "$t: CRASH (exit $rc), see $log and fuzz/artifacts/$t/"
    grep -E 'panicked at|ERROR: |Test unit written' "$log" | head -5
  else
    echo "$t: no crash"
  fi
done
exit $crashed
