#!/usr/bin/env bash
# Remake triage-core/tests/fixtures/fleet/: one snapshot per host, as the Ansible playbook
# leaves them, taken by the real binary from variants of the `healthy` fixture root:
#   web-1  load 2.5/CPU, a zombie, nginx upgraded, nginx.conf edited 2-3 h before (sick)
#   web-2  disk 97 % full, the same nginx upgrade and nginx.conf edit          (sick)
#   web-3  no findings, the same nginx upgrade                                 (healthy)
#   db-1   a process in D state and a zombie (the untouched fixture), another upgrade
# and five files the fleet view must list as unreadable, not crash on.
# Usage: scripts/fleet-fixtures.sh [TRIAGE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
triage=${1:-target/debug/triage}
out=triage-core/tests/fixtures/fleet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ago() { date -d "-$1" '+%Y-%m-%d %H:%M:%S'; }
variant() {
  local name=$1 root=$work/$1
  cp -r triage-core/tests/fixtures/healthy "$root"
  echo "$name" >"$root/proc/sys/kernel/hostname"
  # Files copied now would all look "modified just now": age them.
  find "$root/etc" -exec touch -d '2026-01-01 00:00' {} +
  mkdir -p "$root/var/log"
}
healthy() { rm -rf "$1/proc/951" "$1/proc/1300"; }
nginx_upgrade() {
  echo "$(ago '150 min') upgrade nginx:amd64 1.22.1-9 1.22.1-9+deb12u1" >>"$1/var/log/dpkg.log"
  mkdir -p "$1/etc/nginx" && echo 'worker_connections 4096;' >"$1/etc/nginx/nginx.conf"
  touch -d "-140 min" "$1/etc/nginx/nginx.conf" "$1/etc/nginx"
}

variant web-1; rm -rf "$work/web-1/proc/951"; nginx_upgrade "$work/web-1"
echo "9.80 7.10 4.00 12/400 5000" >"$work/web-1/proc/loadavg"

variant web-2; healthy "$work/web-2"; nginx_upgrade "$work/web-2"
sed -i 's|^/dev/sda1 .*|/dev/sda1       51343840 49800000   1543840  97% /|' \
  "$work/web-2/sos_commands/filesys/df_-al_-x_autofs"

variant web-3; healthy "$work/web-3"; nginx_upgrade "$work/web-3"
rm -rf "$work/web-3/etc/nginx"

variant db-1
echo "$(ago '5 hours') upgrade libssl3:amd64 3.0.14-1~deb12u2 3.0.15-1~deb12u1" >"$work/db-1/var/log/dpkg.log"

mkdir -p "$out"
rm -f "$out"/*.json
for h in web-1 web-2 web-3 db-1; do
  "$triage" snapshot --json --root "$work/$h" -o "$out/$h.json"
done
head -c 2000 "$out/web-3.json" >"$out/cut-short.json"
echo '{"kind": "List", "items": []}' >"$out/foreign.json"
sed 's/"schema_version": 1,/"schema_version": 2,/' "$out/db-1.json" >"$out/future.json"
: >"$out/empty.json"
printf 'not json at all\n' >"$out/garbage.json"
ls -l "$out"
