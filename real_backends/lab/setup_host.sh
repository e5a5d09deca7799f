#!/usr/bin/env bash
# Prepare this machine for the live lab and the report tests: Debian packages (root only), the
# lab's deploy ramdisk and user image (built once, real_backends/lab/images.py), the
# lab's Python packages in the venv, a running libvirtd (started without systemd, as
# docs/lab-notes.md describes), and Chromium for the headless-browser tests of the reports.
# Never fatal outside CI: a machine that cannot host a lab gets a note, and the live tests skip.
set -u
PY=${1:-.venv/bin/python}
PKGS="libvirt-daemon-system qemu-system-x86 ipxe-qemu libvirt-dev pkg-config ipmitool curl"
# the lab's deploy ramdisk and user image (real_backends/lab/images.py): kernel, busybox, boot loader, FAT tools
IMAGE_PKGS="linux-image-amd64 busybox-static syslinux syslinux-common mtools"
BROWSER_PKGS="chromium"  # tests/browser: reports opened in headless Chromium (no recommends needed)
note() { echo "lab-host: $*" >&2; }
fail() { note "$*"; if [ "${CI:-}" = "true" ]; then exit 1; fi; exit 0; }

# install_missing LIST APT_OPTIONS LOG IF_NOT_ROOT: apt-get install the packages of LIST that are
# missing (as root); IF_NOT_ROOT ("fail" or "note") says what a machine without root gets.
install_missing() {
  local missing="" p
  for p in $1; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    note "installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq $2 $missing || { apt-get update -qq && apt-get install -y -qq $2 $missing; }; } \
      >"$3" 2>&1 || fail "apt-get install failed, see $3"
  else
    "$4" "missing Debian packages:$missing (run 'make test' as root to install them)"
  fi
}

install_missing "$PKGS" "" /tmp/twin-lab-apt.log fail
install_missing "$IMAGE_PKGS" --no-install-recommends /tmp/twin-lab-images-apt.log fail
install_missing "$BROWSER_PKGS" --no-install-recommends /tmp/twin-browser-apt.log note  # browser tests skip

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
# build the deploy ramdisk and the user image once (a cache outside the repository; kept while valid)
"$PY" -m real_backends.lab.images || fail "the lab's boot images could not be built"
note "ready (libvirtd answers on qemu:///system)"
