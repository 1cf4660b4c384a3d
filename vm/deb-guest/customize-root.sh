#!/bin/sh
# mmdebstrap customize hook of vm/deb-guest.sh: $1 is the Debian root being built. Its hash is
# part of the root's cache key: an edit here rebuilds the root.
set -eu
R="$1"
chroot "$R" update-initramfs -u -k all >/dev/null 2>&1 || true
# TuneD: installed but off (its package enables and starts it); the scenario-10 policy starts it.
# Its profile is a site profile of one sysctl, so that starting TuneD changes kernel.printk and
# nothing else (by itself TuneD would pick virtual-guest, which rewrites many sysctls and the
# disks' queues, and "balanced" reloads a cpufreq module); the policy switches it to the shipped
# optimize-serial-console, which also sets only kernel.printk.
chroot "$R" systemctl disable tuned.service >/dev/null 2>&1
mkdir -p "$R/etc/tuned/vmtest-quiet"
printf '[main]\nsummary=Chameleon VM test: a quiet console\n\n[sysctl]\nkernel.printk=3 4 1 3\n' \
  >"$R/etc/tuned/vmtest-quiet/tuned.conf"
echo vmtest-quiet >"$R/etc/tuned/active_profile"
echo manual >"$R/etc/tuned/profile_mode"
# GRUB (grub-pc; grub-install runs in the guest, on its disk): no menu delay, the console on the
# serial port, as a cloud image has it.
sed -i 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/; s/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=ttyS0 systemd.show_status=0 panic=-1"/' \
  "$R/etc/default/grub"
# A local package repository (the guest has no network) with one small package, hello, for the
# package kind: apt-get and dpkg install it from there for real.
mkdir -p "$R/var/local/vmtest-repo"
chmod 777 "$R/var/local/vmtest-repo"
chroot "$R" sh -c 'cd /var/local/vmtest-repo && apt-get download -q hello' >/dev/null
chmod 755 "$R/var/local/vmtest-repo"
cd "$R/var/local/vmtest-repo"
for deb in *.deb; do
  dpkg-deb -f "$deb"
  echo "Filename: ./$deb"
  echo "Size: $(stat -c %s "$deb")"
  echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
  echo
done >Packages
rm -f "$R/etc/apt/sources.list.d/"*
echo 'deb [trusted=yes] file:/var/local/vmtest-repo ./' >"$R/etc/apt/sources.list"
chroot "$R" apt-get update -qq
