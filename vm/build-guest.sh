#!/usr/bin/env bash
# Builds a bootable "base" guest for the whole-agent VM tests:
#   OUT_DIR/vmlinuz            Debian's stock kernel (linux-image-<ver>-amd64)
#   OUT_DIR/initramfs.cpio.gz  busybox + kernel modules + jlinked JRE + the agent jar + /init
#
# Per-scenario content (/scenario.sh, step scripts) is NOT part of this image: the test appends it
# as a second gzip'd cpio archive (the kernel unpacks concatenated archives in order).
#
# The image is assembled from two concatenated archives too:
#   platform.cpio.gz  everything except the agent jar; cached, keyed by kernel version, JDK version,
#                     module list and the hash of this script (a second run reuses it as is)
#   agent.cpio.gz     /opt/chameleon/chameleon.jar (rebuilt each run; takes well under a second)
#
# Usage: vm/build-guest.sh AGENT_JAR OUT_DIR
# Env:   CHAMELEON_VM_CACHE        cache directory (default /var/cache/chameleon-vm)
#        CHAMELEON_VM_KERNEL_PKG   force a kernel package, e.g. linux-image-6.1.0-56-amd64
#        CHAMELEON_VM_EXTRA_MODULES  extra kernel modules to put in the image (space separated)
#        JAVA_HOME                 JDK used for jlink/jdeps (default: the `java` on PATH)
set -euo pipefail

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
log() { printf '[build-guest] %s\n' "$*" >&2; }
die() { printf '[build-guest] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 2 ]] || { echo "usage: $0 AGENT_JAR OUT_DIR" >&2; exit 2; }
AGENT_JAR="$(readlink -f "$1")"
OUT_DIR="$2"
[[ -f "$AGENT_JAR" ]] || die "agent jar not found: $1"
mkdir -p "$OUT_DIR"
OUT_DIR="$(readlink -f "$OUT_DIR")"
CACHE="${CHAMELEON_VM_CACHE:-/var/cache/chameleon-vm}"
if ! mkdir -p "$CACHE" 2>/dev/null || [[ ! -w "$CACHE" ]]; then
  [[ -z "${CHAMELEON_VM_CACHE:-}" ]] || die "cache directory $CACHE is not writable"
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/chameleon-vm"   # not root: a per-user cache
  mkdir -p "$CACHE"
fi
CACHE="$(readlink -f "$CACHE")"
# One build at a time per cache (two Maven builds may run this concurrently).
exec 9>"$CACHE/.lock"
flock 9
START=$SECONDS

# Kernel modules a scenario may need (dependencies are added automatically).
MODULES=(
  vmw_pvscsi vmxnet3 vmw_balloon vmw_vmci
  virtio_pci virtio_net virtio_blk virtio_scsi virtio_balloon virtio_console virtio_rng
  e1000 e1000e tulip sd_mod sr_mod scsi_mod ata_piix ahci
  hv_vmbus hv_netvsc hv_storvsc hv_utils hv_balloon
  xen-netfront xen-blkfront
  nvme ena gve
  cpuid
)
# shellcheck disable=SC2206
MODULES+=(${CHAMELEON_VM_EXTRA_MODULES:-})

# --------------------------------------------------------------------------------------------
# 1. Host tools
# --------------------------------------------------------------------------------------------
is_static_busybox() {
  [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1
}
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
is_static_busybox || need_pkgs+=(busybox-static)
{ command -v depmod && command -v modprobe && command -v kmod; } >/dev/null || need_pkgs+=(kmod)
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v zstd >/dev/null || need_pkgs+=(zstd)
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this harness needs a Debian-based host"
command -v apt-get >/dev/null || die "apt-get not found: this harness needs a Debian-based host"
APT_UPDATED=0
apt_update_once() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
}
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    die "missing host packages: ${need_pkgs[*]} (run: sudo apt-get install ${need_pkgs[*]})"
  fi
  log "installing host packages: ${need_pkgs[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2 \
    || die "apt-get install ${need_pkgs[*]} failed"
  is_static_busybox || die "/bin/busybox is not a static binary even after installing busybox-static"
fi
export PATH="$PATH:/sbin:/usr/sbin"

# --------------------------------------------------------------------------------------------
# 2. JDK
# --------------------------------------------------------------------------------------------
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/jlink" ]]; then
  JDK="$(readlink -f "$JAVA_HOME")"
else
  command -v java >/dev/null || die "no JDK: set JAVA_HOME or put java on PATH"
  JDK="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
fi
[[ -x "$JDK/bin/jlink" && -x "$JDK/bin/jdeps" ]] || die "$JDK has no jlink/jdeps (need a full JDK 17)"
JDK_VERSION="$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/{print $2}')"
[[ -n "$JDK_VERSION" ]] || die "cannot read the version of $JDK"
log "JDK $JDK ($JDK_VERSION)"

# --------------------------------------------------------------------------------------------
# 3. Kernel package -> $CACHE/kernel/<ver>/root (extracted, depmod'ed)
# --------------------------------------------------------------------------------------------
resolve_kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
KPKG="${CHAMELEON_VM_KERNEL_PKG:-}"
if [[ -z "$KPKG" ]]; then
  KPKG="$(resolve_kernel_pkg || true)"
  if [[ -z "$KPKG" && $(id -u) -eq 0 ]]; then
    apt_update_once
    KPKG="$(resolve_kernel_pkg || true)"
  fi
fi
if [[ -z "$KPKG" ]]; then
  # Offline and no apt lists: fall back to the newest kernel already in the cache.
  cached="$(find "$CACHE/kernel" -mindepth 2 -maxdepth 2 -name .done 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$cached" ]] || die "cannot resolve linux-image-amd64 to a versioned kernel package (apt-cache depends linux-image-amd64 gave nothing)"
  KPKG="linux-image-$(basename "$(dirname "$cached")")"
  log "apt cannot resolve the kernel; using cached $KPKG"
fi
KVER="${KPKG#linux-image-}"
KDIR="$CACHE/kernel/$KVER"
KROOT="$KDIR/root"
if [[ ! -f "$KDIR/.done" ]]; then
  log "downloading $KPKG"
  rm -rf "$KDIR"
  mkdir -p "$KDIR/dl"
  chmod 777 "$KDIR/dl"   # apt-get download drops privileges to _apt when it can
  (cd "$KDIR/dl" && apt-get download -q "$KPKG" >&2) || die "apt-get download $KPKG failed"
  deb="$(ls "$KDIR"/dl/*.deb)"
  log "extracting $(basename "$deb")"
  dpkg-deb -x "$deb" "$KROOT"
  rm -rf "$KDIR/dl"
  [[ -f "$KROOT/boot/vmlinuz-$KVER" ]] || die "no /boot/vmlinuz-$KVER in $KPKG"
  [[ -d "$KROOT/lib/modules/$KVER" ]] || die "no /lib/modules/$KVER in $KPKG"
  # The package ships no modules.dep (its postinst runs depmod); make one for dependency lookups.
  depmod -b "$KROOT" "$KVER"
  touch "$KDIR/.done"
fi
log "kernel $KVER"

# --------------------------------------------------------------------------------------------
# 4. jlinked runtime -> $CACHE/jre/<key>
# --------------------------------------------------------------------------------------------
FALLBACK_JMODS="java.base,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,java.desktop"
# jdeps takes ~5 s on the shaded jar: cache its answer, keyed by the entries' names and CRCs
# (stable across rebuilds of unchanged code, unlike the jar's own bytes).
if command -v unzip >/dev/null; then
  JAR_KEY="$(unzip -v "$AGENT_JAR" | awk 'NR > 3 && NF >= 8 { print $7, $8 }' | sha256sum | cut -c1-16)"
else
  JAR_KEY="$(sha256sum "$AGENT_JAR" | cut -c1-16)"
fi
JDEPS_CACHE="$CACHE/jdeps/$JAR_KEY-$JDK_VERSION"
if [[ -s "$JDEPS_CACHE" ]]; then
  JMODS="$(cat "$JDEPS_CACHE")"
else
  JMODS="$("$JDK/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 "$AGENT_JAR" 2>/dev/null | tail -n1 || true)"
  if [[ "$JMODS" =~ ^[a-z][a-z0-9.,]*$ ]]; then
    mkdir -p "$CACHE/jdeps"
    printf '%s\n' "$JMODS" >"$JDEPS_CACHE"
  fi
fi
if [[ ! "$JMODS" =~ ^[a-z][a-z0-9.,]*$ ]]; then
  log "jdeps failed on the agent jar; using the fixed module list"
  JMODS="$FALLBACK_JMODS"
fi
# Always there: zip file system, the EC crypto provider (TLS) and the random generators behind
# RandomGenerator.getDefault() (the agent loop's splay), which are service-loaded: jdeps cannot see them.
JMODS="$({ tr ',' '\n' <<<"$JMODS"; printf '%s\n' java.base jdk.zipfs jdk.crypto.ec jdk.random; } | sort -u | paste -sd, -)"
JRE_KEY="$(printf '%s|%s|%s' "$JDK_VERSION" "$JMODS" "cds1" | sha256sum | cut -c1-16)"
JRE="$CACHE/jre/$JRE_KEY"
if [[ ! -f "$JRE/.done" ]]; then
  log "jlink $JMODS"
  rm -rf "$JRE"
  mkdir -p "$(dirname "$JRE")"
  jlink_args=(--add-modules "$JMODS" --strip-debug --no-header-files --no-man-pages --compress=2
              --output "$JRE")
  # A default CDS archive makes the JVM start noticeably faster under TCG.
  # (its "Preload Warning"s about classes of modules left out are harmless, hence the log file)
  if ! "$JDK/bin/jlink" "${jlink_args[@]}" --generate-cds-archive >"$JRE.jlink.log" 2>&1; then
    log "jlink --generate-cds-archive failed (see $JRE.jlink.log); retrying without"
    rm -rf "$JRE"
    "$JDK/bin/jlink" "${jlink_args[@]}" >&2 || die "jlink failed"
  fi
  printf '%s\n' "$JMODS" >"$JRE/.modules"
  touch "$JRE/.done"
fi
log "runtime $JRE ($(du -sh "$JRE" | cut -f1))"

# --------------------------------------------------------------------------------------------
# 5. Platform archive (everything but the agent jar), cached
# --------------------------------------------------------------------------------------------
MOD_KEY="$(printf '%s\n' "${MODULES[@]}" | sort -u | paste -sd, -)"
PLATFORM_KEY="$(printf '%s|%s|%s|%s' "$KVER" "$JRE_KEY" "$MOD_KEY" "$(sha256sum "$SELF" | cut -c1-64)" \
  | sha256sum | cut -c1-16)"
PLATFORM="$CACHE/platform/$PLATFORM_KEY.cpio.gz"

copy_with_libs() {   # copy_with_libs STAGING FILE... : copies the shared libraries FILEs need
  local staging="$1"; shift
  local lib
  ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }' | sort -u \
    | while read -r lib; do
        [[ -e "$lib" ]] || continue
        mkdir -p "$staging$(dirname "$lib")"
        [[ -e "$staging$lib" ]] || cp -L "$lib" "$staging$lib"
      done
}

build_platform() {
  local st="$1"
  mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,var/log,mnt,opt/chameleon}
  chmod 1777 "$st/tmp"

  # busybox + applet links (created here so /init needs no --install)
  cp /bin/busybox "$st/bin/busybox"
  local applet
  for applet in $("$st/bin/busybox" --list-full); do
    [[ -e "$st/$applet" ]] || ln -s /bin/busybox "$st/$applet"
  done

  # kmod's modprobe, rmmod, insmod, lsmod, modinfo and depmod over busybox's, as on any Debian
  # system: busybox's "modprobe -r M" exits 1 when it cannot also remove a dependency of M that is
  # still in use (virtio_ring under virtio_pci), after it did remove M; kmod leaves such a
  # dependency alone and succeeds, which is what the agent's kernelModule undo expects.
  local kmod
  kmod="$(readlink -f "$(command -v kmod)")"
  cp "$kmod" "$st/bin/kmod"
  for applet in modprobe rmmod insmod lsmod modinfo depmod; do
    rm -f "$st/sbin/$applet" "$st/bin/$applet"
    ln -s /bin/kmod "$st/sbin/$applet"
  done
  copy_with_libs "$st" "$st/bin/kmod"
  # iproute2's ip over busybox's, as on any Debian system: busybox's "ip link set" knows no
  # txqueuelen, which the agent's nic kind sets with ip
  cp "$(readlink -f "$(command -v ip)")" "$st/bin/ip.iproute2"
  rm -f "$st/sbin/ip" "$st/bin/ip"
  mv "$st/bin/ip.iproute2" "$st/bin/ip"
  copy_with_libs "$st" "$st/bin/ip"

  # device nodes the kernel wants before /init runs (devtmpfs is mounted over /dev later)
  if [[ $(id -u) -eq 0 ]]; then
    mknod -m 600 "$st/dev/console" c 5 1
    mknod -m 666 "$st/dev/null" c 1 3
  fi

  # kernel modules + dependencies
  local kmods="$st/lib/modules/$KVER" m line path n=0
  mkdir -p "$kmods"
  for m in "${MODULES[@]}"; do
    local deps
    deps="$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>/dev/null)" \
      || die "kernel $KVER has no module $m"
    while read -r line; do
      case "$line" in
        insmod\ *)
          path="${line#insmod }"; path="${path%% *}"
          rel="${path#"$KROOT/lib/modules/$KVER/"}"
          if [[ ! -e "$kmods/$rel" ]]; then
            mkdir -p "$(dirname "$kmods/$rel")"
            case "$rel" in
              *.ko.xz)  xz -dc "$path" >"$kmods/${rel%.xz}" ;;
              *.ko.zst) zstd -qdc "$path" >"$kmods/${rel%.zst}" ;;
              *.ko.gz)  gzip -dc "$path" >"$kmods/${rel%.gz}" ;;
              *)        cp "$path" "$kmods/$rel" ;;
            esac
            n=$((n + 1))
          fi ;;
      esac
    done <<<"$deps"
  done
  cp "$KROOT/lib/modules/$KVER"/modules.{builtin,builtin.modinfo,order} "$kmods/"
  depmod -b "$st" "$KVER"
  log "copied $n kernel modules"

  # Java runtime + the shared libraries it needs
  cp -a "$JRE" "$st/opt/chameleon/jre"
  rm -f "$st/opt/chameleon/jre/.done" "$st/opt/chameleon/jre/.modules"
  # the CDS archive for heaps >= 32 GB (no compressed oops) is never used in a 1 GB guest
  rm -f "$st/opt/chameleon/jre/lib/server/classes_nocoops.jsa"
  # java.desktop comes in for java.beans (Jackson/SnakeYAML refer to it); its native AWT, font,
  # image and sound libraries are never loaded headless and would drag in X11/freetype/glib.
  (cd "$st/opt/chameleon/jre/lib" && rm -f libawt.so libawt_xawt.so libawt_headless.so libfontmanager.so \
    libsplashscreen.so libjsound.so libjavajpeg.so liblcms.so libmlib_image.so)
  if command -v strip >/dev/null; then   # Debian's libjvm.so keeps its symbol table
    find "$st/opt/chameleon/jre" -name '*.so' -exec strip --strip-unneeded {} +
  fi
  local elfs=("$st/opt/chameleon/jre/bin/java")
  while IFS= read -r -d '' f; do elfs+=("$f"); done < <(find "$st/opt/chameleon/jre/lib" -name '*.so' -print0)
  copy_with_libs "$st" "${elfs[@]}"
  # libraries dlopen()ed by glibc/the JVM that ldd cannot see
  local extra
  for extra in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2 libgcc_s.so.1; do
    for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
      if [[ -e "$d/$extra" ]]; then
        mkdir -p "$st$d"; cp -L "$d/$extra" "$st$d/$extra"; break
      fi
    done
  done
  [[ -e "$st/lib64/ld-linux-x86-64.so.2" ]] || {
    mkdir -p "$st/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$st/lib64/"; }

  # The agent's own class-data archive (built with the agent archive below) when there is one:
  # JVM start and class loading are most of a command's time under TCG. JVM log lines go to
  # stderr, never into JSON on stdout.
  cat >"$st/usr/bin/chameleon" <<'EOF'
#!/bin/sh
CDS=-Xshare:auto
[ -f /opt/chameleon/chameleon.jsa ] && CDS="-XX:SharedArchiveFile=/opt/chameleon/chameleon.jsa -Xshare:auto"
exec /opt/chameleon/jre/bin/java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $CDS -Xlog:disable -Xlog:all=error:stderr \
  -jar /opt/chameleon/chameleon.jar "$@"
EOF
  chmod 755 "$st/usr/bin/chameleon"

  # minimal /etc
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$st/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$st/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$st/etc/nsswitch.conf"
  printf '127.0.0.1 localhost chameleon-guest\n::1 localhost\n' >"$st/etc/hosts"
  printf 'chameleon-guest\n' >"$st/etc/hostname"
  printf 'PRETTY_NAME="Chameleon test guest (busybox)"\nNAME="chameleon-guest"\nID=chameleon-guest\nID_LIKE=debian\nVERSION_ID="1"\n' >"$st/etc/os-release"
  : >"$st/etc/fstab"

  cat >"$st/init" <<'EOF'
#!/bin/busybox sh
# Chameleon VM-test init: mount the pseudo file systems, run /scenario.sh, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo 1 >/proc/sys/kernel/printk          # keep kernel chatter out of the step output
hostname chameleon-guest
ip link set lo up 2>/dev/null
up() { cut -d' ' -f1 /proc/uptime; }
echo "CHAMELEON-VM-BOOTED uptime=$(up) kernel=$(uname -r)"
if [ -f /scenario.sh ]; then
  sh /scenario.sh
  rc=$?
else
  echo "CHAMELEON-VM: no /scenario.sh in the image"
  rc=0
fi
echo "CHAMELEON-VM-DONE rc=$rc uptime=$(up)"
sync
poweroff -f
sleep 5
echo o >/proc/sysrq-trigger
EOF
  chmod 755 "$st/init"
}

if [[ ! -f "$PLATFORM" ]]; then
  log "building platform archive $PLATFORM_KEY"
  mkdir -p "$CACHE/platform"
  staging="$(mktemp -d "$CACHE/platform/staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  build_platform "$staging"
  (cd "$staging" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    | gzip -6 >"$PLATFORM.tmp"
  mv "$PLATFORM.tmp" "$PLATFORM"
  rm -rf "$staging"
  trap - EXIT
  # keep the three newest platform archives
  find "$CACHE/platform" -maxdepth 1 -name '*.cpio.gz' -printf '%T@ %p\n' | sort -rn | tail -n +4 \
    | cut -d' ' -f2- | xargs -r rm -f
else
  log "platform archive $PLATFORM_KEY cached"
fi

# --------------------------------------------------------------------------------------------
# 6. Agent archive + outputs
# --------------------------------------------------------------------------------------------
agent_st="$(mktemp -d)"
trap 'rm -rf "$agent_st"' EXIT
mkdir -p "$agent_st/opt/chameleon"
cp "$AGENT_JAR" "$agent_st/opt/chameleon/chameleon.jar"
# A fixed modification time: the class-data archive records the jar's, and the kernel restores
# it when it unpacks the initramfs; this way an archive fits every build of the same classes.
touch -d @1000000000 "$agent_st/opt/chameleon/chameleon.jar"

# An application class-data archive of the agent (AppCDS: the classes of the JDK and of the agent
# that detect, plan, explain and a plan-mode pass of run load, pre-parsed), cached by the jar's
# content and the runtime. Built on this host in a chroot of the platform tree, so that the
# paths it records are the guest's; the agent reads an empty tree there (no /proc, /sys), which
# still loads its sensors, CEL, the pack and the planner. Optional: without it the guest runs
# with the runtime's default archive.
APPCDS="$CACHE/appcds/$JAR_KEY-$JRE_KEY.jsa"
if [[ ! -f "$APPCDS" && $(id -u) -eq 0 ]] && command -v chroot >/dev/null && command -v unshare >/dev/null; then
  log "building the agent's class-data archive"
  ch="$(mktemp -d "$CACHE/platform/chroot.XXXXXX")"
  (gzip -dc "$PLATFORM" | (cd "$ch" && cpio -idm --quiet 2>/dev/null)) || true
  cp -p "$agent_st/opt/chameleon/chameleon.jar" "$ch/opt/chameleon/chameleon.jar"
  mkdir -p "$ch/tmp/cds"
  # (the dynamic loader finds the JRE's libraries through /proc/self/exe: a /proc in a mount
  # namespace of its own, gone with the command)
  in_chroot() { unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$ch" "$@"; }
  J=(in_chroot /opt/chameleon/jre/bin/java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto)
  n=0
  for cmd in "detect --output json" "plan --output json" "explain sysctl:vm.swappiness" "history --state-dir /tmp/cds/s" \
             "run --mode plan --max-passes 1 --no-uevents --state-dir /tmp/cds/s"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    "${J[@]}" -XX:DumpLoadedClassList=/tmp/cds/$n.lst -jar /opt/chameleon/chameleon.jar $cmd >/dev/null 2>&1 || true
  done
  cat "$ch"/tmp/cds/*.lst 2>/dev/null | grep -v '^#' | LC_ALL=C sort -u >"$ch/tmp/cds/all.lst" || true
  mkdir -p "$CACHE/appcds"
  if [[ -s "$ch/tmp/cds/all.lst" ]] && timeout 300 unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
       "$ch" /opt/chameleon/jre/bin/java -Xshare:dump \
       -XX:SharedClassListFile=/tmp/cds/all.lst -XX:SharedArchiveFile=/tmp/cds/chameleon.jsa \
       -cp /opt/chameleon/chameleon.jar >"$CACHE/appcds/dump.log" 2>&1; then
    mv "$ch/tmp/cds/chameleon.jsa" "$APPCDS.tmp" && mv "$APPCDS.tmp" "$APPCDS"
    log "class-data archive: $(wc -l <"$ch/tmp/cds/all.lst") classes, $(du -h "$APPCDS" | cut -f1)"
  else
    log "no class-data archive (the dump failed: $CACHE/appcds/dump.log); the guest runs without it"
  fi
  rm -rf "$ch"
  # keep the three newest archives
  find "$CACHE/appcds" -maxdepth 1 -name '*.jsa' -printf '%T@ %p\n' | sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -f
fi
[[ -f "$APPCDS" ]] && cp "$APPCDS" "$agent_st/opt/chameleon/chameleon.jsa"
(cd "$agent_st" && find opt | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT_DIR/agent.cpio.gz"

cp "$KROOT/boot/vmlinuz-$KVER" "$OUT_DIR/vmlinuz.tmp" && mv "$OUT_DIR/vmlinuz.tmp" "$OUT_DIR/vmlinuz"
cat "$PLATFORM" "$OUT_DIR/agent.cpio.gz" >"$OUT_DIR/initramfs.cpio.gz.tmp"
mv "$OUT_DIR/initramfs.cpio.gz.tmp" "$OUT_DIR/initramfs.cpio.gz"
rm -f "$OUT_DIR/agent.cpio.gz"
cat >"$OUT_DIR/guest.properties" <<EOF
kernel.version=$KVER
kernel.package=$KPKG
jdk.version=$JDK_VERSION
jre.modules=$JMODS
platform.key=$PLATFORM_KEY
initramfs.bytes=$(stat -c %s "$OUT_DIR/initramfs.cpio.gz")
EOF
log "done in $((SECONDS - START))s: $OUT_DIR/vmlinuz, $OUT_DIR/initramfs.cpio.gz ($(du -h "$OUT_DIR/initramfs.cpio.gz" | cut -f1))"
