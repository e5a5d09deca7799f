#!/bin/busybox sh
# The lab's deploy ramdisk and deployed OS (real_backends/lab/images.py packs this as /init).
# (busybox 1.35 wget segfaults with -T: time limits go through busybox timeout instead)
# twin.mode=deploy (kernel command line from the boot endpoint's iPXE script): bring up the NIC
#   (QEMU user-mode DHCP), call back, then ask the endpoint for commands: "write URL BYTES SHA256
#   IDENTITY_SECTOR NAME THEN" streams the image onto /dev/vda, verifies its sha256 from the disk,
#   writes the node's identity in the sector after the image and reports the outcome
#   (status=ok, or status=fail with the exact cause); "poweroff"/"reboot" do that; "wait" waits.
# twin.mode=disk (from the image's syslinux.cfg): read the identity from the disk this kernel was
#   booted from and call back "booted from disk" with it.
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /etc/modules); do insmod /lib/modules/$m.ko 2>/dev/null; done
arg() { for kv in $(cat /proc/cmdline); do case "$kv" in "$1"=*) echo "${kv#*=}" ;; esac; done; }
MODE=$(arg twin.mode)
say() { echo "twin-$MODE [$(now)]: $*" > /dev/console; }
now() { cut -d' ' -f1 /proc/uptime; }

cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
ip addr add "$ip/${mask:-24}" dev "$interface"
[ -n "$router" ] && ip route add default via "$router" dev "$interface"
exit 0
EOF
chmod 755 /tmp/udhcpc.sh
net_up() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done
  ip link set lo up
  ip link set eth0 up
  udhcpc -i eth0 -q -f -n -t 10 -T 2 -s /tmp/udhcpc.sh >/dev/null 2>&1
}
idle() { while true; do sleep 60; done; }

report() {  # report BODY-LINES...: POSTed to the endpoint, retried a few times
  body=$(printf '%s\n' "$@")
  for _ in 1 2 3 4 5; do
    timeout 20 wget -q -O /dev/null --post-data "$body" "$URL/agent/report?mac=$MAC" 2>/dev/null && return 0
    sleep 1
  done
}

do_write() {  # IMAGE_URL BYTES SHA256 IDENTITY_SECTOR NAME THEN
  img=$1 bytes=$2 sum=$3 idsector=$4 name=$5
  disk=$(( $(cat /sys/block/vda/size 2>/dev/null || echo 0) * 512 ))
  need=$(( idsector * 512 + 512 ))
  if [ ! -b /dev/vda ]; then report status=fail "cause=no disk: /dev/vda is missing"; return; fi
  if [ "$disk" -lt "$need" ]; then
    report status=fail "cause=disk too small: /dev/vda has $disk bytes, the image needs $need" "disk_bytes=$disk"
    return
  fi
  say "writing $bytes bytes from $img to /dev/vda"
  t0=$(now)
  if ! timeout 60 wget -q -O /dev/vda "$img" 2>/tmp/wget.err; then
    report status=fail "cause=HTTP error fetching the image: $(tr '\n' ' ' </tmp/wget.err | cut -c1-200)" "disk_bytes=$disk"
    return
  fi
  sync
  t1=$(now)
  echo 3 > /proc/sys/vm/drop_caches  # the checksum is read back from the disk, not the page cache
  got=$(head -c "$bytes" /dev/vda | sha256sum | cut -d' ' -f1)
  t2=$(now)
  if [ "$got" != "$sum" ]; then
    report status=fail "cause=checksum mismatch: /dev/vda holds sha256 $got, the image's is $sum" "disk_bytes=$disk" \
      "write_s=$(awk "BEGIN{print $t1-$t0}")"
    return
  fi
  printf 'twin-identity name=%s mac=%s url=%s\n' "$name" "$MAC" "$URL" > /tmp/identity
  dd if=/tmp/identity of=/dev/vda bs=512 seek="$idsector" count=1 conv=sync,notrunc 2>/dev/null
  sync
  report status=ok "bytes=$bytes" "disk_bytes=$disk" "write_s=$(awk "BEGIN{print $t1-$t0}")" \
    "verify_s=$(awk "BEGIN{print $t2-$t1}")" "sha256=$got"
  say "image written and verified"
}

if [ "$MODE" = deploy ]; then
  URL=$(arg twin.url) MAC=$(arg twin.mac)
  say "up $(now) s after boot; DHCP on eth0"
  net_up || { say "no DHCP lease"; idle; }
  say "calling back to $URL as $MAC"
  timeout 20 wget -q -O /dev/null "$URL/callback/deploy?mac=$MAC&uptime=$(now)" 2>/dev/null
  while true; do
    if ! timeout 60 wget -q -O /tmp/cmd "$URL/agent/command?mac=$MAC" 2>/dev/null; then sleep 2; continue; fi
    read -r verb a1 a2 a3 a4 a5 a6 < /tmp/cmd
    case "$verb" in
      write) do_write "$a1" "$a2" "$a3" "$a4" "$a5"
             case "$a6" in poweroff) sync; poweroff -f ;; reboot) sync; reboot -f ;; esac ;;
      poweroff) sync; poweroff -f ;;
      reboot) sync; reboot -f ;;
      *) sleep 1 ;;
    esac
  done
elif [ "$MODE" = disk ]; then
  idsector=$(arg twin.identity)
  line=$(dd if=/dev/vda bs=512 skip="$idsector" count=1 2>/dev/null | head -n1 | tr -d '\0')
  case "$line" in twin-identity*) ;; *) say "no identity on /dev/vda at sector $idsector"; idle ;; esac
  for kv in $line; do case "$kv" in name=*) NAME=${kv#name=} ;; mac=*) MAC=${kv#mac=} ;; url=*) URL=${kv#url=} ;; esac; done
  net_up || { say "no DHCP lease"; idle; }
  say "booted from disk as $NAME ($MAC)"
  timeout 20 wget -q -O /dev/null "$URL/callback/local_boot?mac=$MAC&from=disk&name=$NAME&nic=$(cat /sys/class/net/eth0/address)&uptime=$(now)" 2>/dev/null
  idle
fi
say "unknown twin.mode"
idle
