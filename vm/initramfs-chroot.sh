#!/usr/bin/env bash
# The initramfs setting kind with the real update-initramfs, in a Debian 12 root (the one
# vm/deb-guest.sh builds, linux-image-cloud-amd64 and initramfs-tools), chrooted inside a private
# mount and PID namespace: nothing of this machine's /boot or /etc is touched.
#   vm/initramfs-chroot.sh ROOTFS.tar CHAMELEON.deb|chameleon.jar WORKDIR
# Prints @key=value lines; InitramfsChrootIT asserts on them.
set -u
TAR="$1"; PKG="$2"; WORK="$3"
[[ $(id -u) -eq 0 ]] || { echo "initramfs-chroot: needs root (chroot, mounts)" >&2; exit 2; }
[[ -f "$TAR" && -f "$PKG" ]] || { echo "initramfs-chroot: no $TAR or $PKG" >&2; exit 2; }
R="$WORK/root"
mkdir -p "$R"
exec 9>"$(dirname "$TAR")/.lock"   # vm/deb-guest.sh holds it while it (re)builds the root
flock -s 9
tar -xf "$TAR" -C "$R" || { echo "initramfs-chroot: cannot extract $TAR" >&2; exit 1; }
flock -u 9
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
if [[ "$PKG" == *.deb ]]; then
  # the package's program files, without its maintainer scripts (no systemd here); not 'dpkg-deb -x'
  # into the root, which would replace merged-/usr's /lib symlink with the package's lib/ folder
  mkdir -p "$WORK/deb"
  dpkg-deb -x "$PKG" "$WORK/deb"
  cp -a "$WORK/deb/usr/share/chameleon" "$R/usr/share/"
  cp -a "$WORK/deb/usr/bin/chameleon" "$R/usr/bin/"
  CHAMELEON=(chroot "$R" /usr/bin/chameleon)
else
  cp "$PKG" "$R/opt/chameleon.jar"
  CHAMELEON=(chroot "$R" java -jar /opt/chameleon.jar)
fi
KVER="$(ls "$R/lib/modules" | head -1)"
[[ -n "$KVER" ]] || { echo "initramfs-chroot: no kernel in $R/lib/modules" >&2; exit 1; }
echo "@kernel=$KVER"
# a "VMware-like" image: only the modules listed (none), so no virtio driver is in it
sed -i 's/^MODULES=.*/MODULES=list/' "$R/etc/initramfs-tools/initramfs.conf"
chroot "$R" update-initramfs -u -k "$KVER" >"$WORK/build.log" 2>&1; echo "@build.rc=$?"
has() { chroot "$R" lsinitramfs "/boot/initrd.img-$KVER" | grep -c "/$1\.ko"; }
sum() { sha256sum < "$R$1" | cut -c1-64; }
echo "@virtio_blk.before=$(has virtio_blk)"
echo "@image.before=$(sum /boot/initrd.img-$KVER)"
echo "@modules.before=$(sum /etc/initramfs-tools/modules)"
cat > "$R/tmp/migrate.yaml" <<YAML
apiVersion: chameleon/v1
kind: Policy
metadata: {name: migrate-to-kvm}
spec:
  settings:
    - initramfs: {drivers: [virtio_blk, virtio_scsi, virtio_net, virtio_pci], kernel: $KVER}
YAML
P=(--no-default-policies --no-system-policies --policies /tmp/migrate.yaml)
"${CHAMELEON[@]}" plan "${P[@]}" >"$WORK/plan.out" 2>&1; echo "@plan.rc=$?"
grep -c "missing virtio_blk" "$WORK/plan.out" | sed 's/^/@plan.missing=/'
"${CHAMELEON[@]}" apply --yes "${P[@]}" >"$WORK/apply.out" 2>&1; echo "@apply.rc=$?"
echo "@virtio_blk.applied=$(has virtio_blk)"
echo "@virtio_net.applied=$(has virtio_net)"
echo "@image.applied=$(sum /boot/initrd.img-$KVER)"
grep -c '^virtio_blk$' "$R/etc/initramfs-tools/modules" | sed 's/^/@modules.listed=/'
ls "$R/var/lib/chameleon/initramfs" | wc -l | sed 's/^/@kept=/'
"${CHAMELEON[@]}" plan --exit-code "${P[@]}" >"$WORK/replan.out" 2>&1; echo "@replan.rc=$?"
"${CHAMELEON[@]}" rollback --last >"$WORK/rollback.out" 2>&1; echo "@rollback.rc=$?"
echo "@virtio_blk.after=$(has virtio_blk)"
echo "@image.after=$(sum /boot/initrd.img-$KVER)"
echo "@modules.after=$(sum /etc/initramfs-tools/modules)"
ls "$R/var/lib/chameleon/initramfs" | wc -l | sed 's/^/@kept.after=/'
for f in build plan apply replan rollback; do echo "--- $f"; tail -20 "$WORK/$f".* 2>/dev/null; done
