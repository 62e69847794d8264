#!/usr/bin/env python3
"""Write N syslog lines of ten kinds (sshd, kernel, systemd, CRON, nginx, a key=value app
log, dockerd, postgres, a postgres URL with a password, a systemd unit) to PATH: the input
of the README's redaction-cost figure (`triage logs --json` with and without
`--no-redact`). Every tenth line holds a password; about half are `key=value`.

    python3 scripts/redaction_bench_log.py 2000000 /tmp/sec.log
"""
import sys

KINDS = [
    lambda i: f"sshd[{1000+i%3000}]: Accepted publickey for deploy from 10.0.{i%250}.{i%13} port {40000+i%20000} ssh2: RSA SHA256:abcDEF{i%97}",
    lambda i: f"kernel: [{i/1000:.6f}] TCP: request_sock_TCP: Possible SYN flooding on port {8000+i%5}. Sending cookies.",
    lambda i: f"systemd[1]: Started Session {i} of user app{i%40}.",
    lambda i: f"CRON[{2000+i%5000}]: (root) CMD (/usr/local/bin/backup.sh --quiet >/dev/null 2>&1)",
    lambda i: f"nginx[{900+i%8}]: 10.1.{i%200}.{i%250} - - \"GET /api/v1/items/{i%5000}?page={i%9} HTTP/1.1\" 200 {500+i%9000} \"-\" \"curl/7.88.1\"",
    lambda i: f"app[{4000+i%30}]: level=info msg=\"request done\" method=GET path=/orders/{i%7000} status=200 duration_ms={i%400} user_id={i%900}",
    lambda i: f"dockerd[812]: time=\"2026-11-30T10:{i%60:02d}:00Z\" level=info msg=\"ignoring event\" container={i%100000:016x} module=libcontainerd namespace=moby",
    lambda i: f"postgres[{3000+i%50}]: LOG:  duration: {i%1000}.{i%997:03d} ms  statement: SELECT * FROM orders WHERE id = {i}",
    lambda i: f"app[4100]: connecting to postgres://svc_user:Pa55w0rd{i%10}@db{i%3}.internal:5432/orders",
    lambda i: f"systemd[1]: app-worker@{i%16}.service: Succeeded.",
]


def main() -> None:
    n, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "w") as out:
        for i in range(n):
            s = i // 200
            stamp = f"Nov 30 {(s // 3600) % 24:02d}:{(s // 60) % 60:02d}:{s % 60:02d}"
            out.write(f"{stamp} web1 {KINDS[i % len(KINDS)](i)}\n")


if __name__ == "__main__":
    main()
