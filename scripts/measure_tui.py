#!/usr/bin/env python3
"""Measure the TUI end to end in tmux: startup to first frame, key response, idle CPU.

usage: scripts/measure_tui.py [path/to/triage]   (default target/release/triage)

Times are upper bounds: they include tmux's own capture-pane round trip (polled every
2 ms). Idle CPU is utime+stime of the triage process from /proc/PID/stat over 10 s while
it sits on a step (the 2 s background refresh included).
"""
import os, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/triage")
SOCK = os.path.join(tempfile.mkdtemp(), "tmux.sock")

def tmux(*args):
    return subprocess.run(["tmux", "-S", SOCK, *args], capture_output=True, text=True)

def screen():
    return tmux("capture-pane", "-p", "-t", "m").stdout

def wait_for(text, timeout=10.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if text in screen():
            return time.monotonic()
        time.sleep(0.002)
    raise SystemExit(f"timeout waiting for {text!r}:\n{screen()}")

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime

home = tempfile.mkdtemp()
try:
    runs = []
    for _ in range(5):
        tmux("kill-server")
        time.sleep(0.3)  # let the old server go away
        t0 = time.monotonic()
        r = tmux("new-session", "-d", "-s", "m", "-x", "100", "-y", "30",
                 f"env TRIAGE_HOME={home} {BIN}")
        if r.returncode != 0:
            raise SystemExit(f"tmux: {r.stderr}")
        t1 = wait_for("Detect")
        runs.append((t1 - t0) * 1000)
    print(f"startup to first frame: median {sorted(runs)[2]:.0f} ms, max {max(runs):.0f} ms (5 runs)")
    wait_for("refreshed")
    keys = []
    for step_key, text in [("2", "Status message"), ("5", "Processes by"), ("4", "Logs"),
                           ("1", "Findings"), ("6", "Output"), ("2", "Status message"),
                           ("7", "Postmortem preview"), ("3", "Impact")] * 2:
        t0 = time.monotonic()
        tmux("send-keys", "-t", "m", step_key)
        keys.append((wait_for(text) - t0) * 1000)
    keys.sort()
    print(f"key response (step switch until drawn): median {keys[len(keys)//2]:.0f} ms, "
          f"max {keys[-1]:.0f} ms ({len(keys)} keys)")
    pid = int(tmux("list-panes", "-t", "m", "-F", "#{pane_pid}").stdout.split()[0])
    # The pane runs `env … triage`: env execs, so the pane pid is triage itself.
    hz = os.sysconf("SC_CLK_TCK")
    for key, name in [("3", "Scope"), ("5", "State")]:
        tmux("send-keys", "-t", "m", key)
        time.sleep(3)
        a = cpu_ticks(pid); t0 = time.monotonic()
        time.sleep(10)
        b = cpu_ticks(pid); t1 = time.monotonic()
        print(f"idle CPU on the {name} step over {t1-t0:.0f} s: {100*(b-a)/hz/(t1-t0):.2f}% of a core "
              f"(refresh every 2 s included)")
    # The same figures for `top -d 2` (a 2 s refresh too), in the same run, for scale.
    tmux("kill-server")
    time.sleep(0.3)
    t0 = time.monotonic()
    tmux("new-session", "-d", "-s", "m", "-x", "100", "-y", "30", "top -d 2")
    t1 = wait_for("PID")
    print(f"top -d 2, startup to first frame: {(t1-t0)*1000:.0f} ms")
    pid = int(tmux("list-panes", "-t", "m", "-F", "#{pane_pid}").stdout.split()[0])
    time.sleep(3)
    a = cpu_ticks(pid); t0 = time.monotonic()
    time.sleep(10)
    b = cpu_ticks(pid); t1 = time.monotonic()
    print(f"top -d 2, idle CPU over {t1-t0:.0f} s: {100*(b-a)/hz/(t1-t0):.2f}% of a core")
finally:
    tmux("kill-server")
