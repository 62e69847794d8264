#!/usr/bin/env python3
"""Size and `triage snapshot --json` time of two or more triage binaries, taken in turns in
the same run (the machine is shared: compare the ratios, not the absolute figures).

    scripts/measure_static.py target/release/triage target/static/triage [-n 15]

Per binary: file size, then medians over the runs of the wall time of the whole process
(start, sampling interval, collectors, JSON out), the snapshot's own duration_ms, the CPU
time (user + system). Runs on the live host with the default 250 ms
sampling interval, and on the `healthy` fixture tree (no sampling: parsing and rendering
only).
"""

import argparse
import json
import os
import statistics
import subprocess
import time

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "triage-core", "tests", "fixtures", "healthy")


def run(binary, args):
    start = time.perf_counter()
    proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if status != 0:
        raise SystemExit(f"{binary} {args}: exit status {status}")
    snap = json.loads(out)
    return {
        "wall_ms": wall,
        "duration_ms": snap["duration_ms"],
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("-n", type=int, default=15)
    opts = parser.parse_args()
    cases = {
        "live host, snapshot --json": ["snapshot", "--json"],
        "healthy fixture, snapshot --json --root": ["snapshot", "--json", "--root", FIXTURE],
    }
    print(f"load average before: {os.getloadavg()}")
    for name, args in cases.items():
        results = {b: [] for b in opts.binaries}
        for _ in range(opts.n):
            for b in opts.binaries:
                results[b].append(run(b, args))
        print(f"\n{name} (medians of {opts.n}, taken in turns)")
        print("| binary | size | wall ms | duration_ms | CPU ms |")
        print("|---|---:|---:|---:|---:|")
        for b, rs in results.items():
            med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            size = os.path.getsize(b) / 1e6
            print(
                f"| {b} | {size:.1f} MB | {med['wall_ms']:.1f} | {med['duration_ms']:.0f} "
                f"| {med['cpu_ms']:.1f} |"
            )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
