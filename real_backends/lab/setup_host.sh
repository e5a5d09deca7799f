#!/usr/bin/env bash
# Prepare this machine for the live lab and the report tests: Debian packages (root only), the
# lab's Python packages in the venv, a running libvirtd (started without systemd, as
# docs/lab-notes.md describes), and Chromium for the headless-browser tests of the reports.
# Never fatal outside CI: a machine that cannot host a lab gets a note, and the live tests skip.
set -u
PY=${1:-.venv/bin/python}
PKGS="libvirt-daemon-system qemu-system-x86 ipxe-qemu libvirt-dev pkg-config ipmitool curl"
BROWSER_PKGS="chromium"  # tests/browser: reports opened in headless Chromium (no recommends needed)
note() { echo "lab-host: $*" >&2; }
fail() { note "$*"; if [ "${CI:-}" = "true" ]; then exit 1; fi; exit 0; }

missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    note "installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq $missing || { apt-get update -qq && apt-get install -y -qq $missing; }; } \
      >/tmp/twin-lab-apt.log 2>&1 || fail "apt-get install failed, see /tmp/twin-lab-apt.log"
  else
    fail "missing Debian packages:$missing (run 'make test' as root to install them)"
  fi
fi

missing=""
for p in $BROWSER_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    note "installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq --no-install-recommends $missing ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; }; } \
      >/tmp/twin-browser-apt.log 2>&1 || fail "apt-get install failed, see /tmp/twin-browser-apt.log"
  else
    note "missing Debian packages:$missing (the browser tests will skip; run 'make test' as root)"
  fi
fi

if ! "$PY" -c 'import libvirt, virtualbmc, sushy, sushy_tools' >/dev/null 2>&1; then
  "$PY" -m pip --disable-pip-version-check -q install -e '.[lab]' || fail "pip install .[lab] failed"
fi

if ! timeout 10 virsh -c qemu:///system version >/dev/null 2>&1; then
  [ "$(id -u)" = "0" ] || fail "libvirtd is not running and only root can start it here"
  mkdir -p /var/log/libvirt /var/run/libvirt
  pgrep -x virtlogd >/dev/null || virtlogd -d
  pgrep -x libvirtd >/dev/null || libvirtd -d
  for _ in $(seq 1 30); do timeout 5 virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 1; done
  timeout 10 virsh -c qemu:///system version >/dev/null 2>&1 || fail "libvirtd did not answer on qemu:///system"
fi
note "ready (libvirtd answers on qemu:///system)"
