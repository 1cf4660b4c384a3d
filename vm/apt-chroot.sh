#!/usr/bin/env bash
# The package setting kind with the real apt-get, apt-cache and dpkg (issue 19), in a Debian 12 root
# (the one vm/deb-guest.sh builds) chrooted inside a private mount and PID namespace: a local apt
# repository made here (two versions of a stand-in intel-microcode, built with dpkg-deb, indexed
# with dpkg-scanpackages) is the root's only source. Nothing outside WORKDIR is written.
#   vm/apt-chroot.sh ROOTFS.tar CHAMELEON.deb|chameleon.jar WORKDIR
# Prints @key=value lines; PackageVersionChrootIT asserts on them.
set -u
TAR="$1"; PKG="$2"; WORK="$3"
[[ $(id -u) -eq 0 ]] || { echo "apt-chroot: needs root (chroot, mounts)" >&2; exit 2; }
[[ -f "$TAR" && -f "$PKG" ]] || { echo "apt-chroot: no $TAR or $PKG" >&2; exit 2; }
command -v dpkg-scanpackages >/dev/null || { echo "apt-chroot: dpkg-scanpackages missing (apt-get install dpkg-dev)" >&2; exit 2; }
R="$WORK/root"
mkdir -p "$R"
exec 9>"$(dirname "$TAR")/.lock"   # vm/deb-guest.sh holds it while it (re)builds the root
flock -s 9
tar -xf "$TAR" -C "$R" || { echo "apt-chroot: cannot extract $TAR" >&2; exit 1; }
flock -u 9
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
if [[ "$PKG" == *.deb ]]; then
  mkdir -p "$WORK/deb"
  dpkg-deb -x "$PKG" "$WORK/deb"
  cp -a "$WORK/deb/usr/share/chameleon" "$R/usr/share/"
  cp -a "$WORK/deb/usr/bin/chameleon" "$R/usr/bin/"
  CHAMELEON=(chroot "$R" /usr/bin/chameleon)
else
  cp "$PKG" "$R/opt/chameleon.jar"
  CHAMELEON=(chroot "$R" java -jar /opt/chameleon.jar)
fi
# the local repository: intel-microcode 1.0-1 and 2.0-1 (a file recording the version, nothing else)
mkdir -p "$R/srv/repo"
mk() {
  local d="$WORK/build-$1"
  mkdir -p "$d/DEBIAN" "$d/usr/share/chameleon-test"
  printf 'Package: intel-microcode\nVersion: %s\nArchitecture: all\nMaintainer: chameleon tests <root@localhost>\nSection: non-free-firmware/admin\nPriority: optional\nDescription: stand-in for the microcode package (chameleon test)\n' "$1" > "$d/DEBIAN/control"
  echo "$1" > "$d/usr/share/chameleon-test/intel-microcode-version"
  dpkg-deb --root-owner-group -Zxz --build "$d" "$R/srv/repo/intel-microcode_$1_all.deb" >/dev/null
}
mk 1.0-1; mk 2.0-1
(cd "$R/srv/repo" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages)
mkdir -p "$WORK/apt-sources-off"
mv "$R"/etc/apt/sources.list* "$WORK/apt-sources-off/" 2>/dev/null
mkdir -p "$R/etc/apt/sources.list.d"
echo "deb [trusted=yes] file:/srv/repo ./" > "$R/etc/apt/sources.list.d/local.list"
chroot "$R" apt-get update -o Acquire::Languages=none >"$WORK/update.log" 2>&1; echo "@update.rc=$?"
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y intel-microcode=1.0-1 >"$WORK/install1.log" 2>&1; echo "@install1.rc=$?"
ver() { chroot "$R" dpkg-query -W -f '${Version}' intel-microcode 2>/dev/null; }
sum() { sha256sum < "$R$1" | cut -c1-64; }
echo "@version.before=$(ver)"
echo "@status.before=$(sum /var/lib/dpkg/status)"
cat > "$R/tmp/microcode.yaml" <<'YAML'
apiVersion: chameleon/v1
kind: Policy
metadata: {name: microcode-update}
spec:
  when: has(updates.packages) && "intel-microcode" in updates.packages && has(updates.packages["intel-microcode"].candidateNewer) && updates.packages["intel-microcode"].candidateNewer
  settings:
    - package: {name: intel-microcode, version: candidate, optIn: true}
YAML
P=(--no-default-policies --no-system-policies --policies /tmp/microcode.yaml)
"${CHAMELEON[@]}" facts updates -o json >"$WORK/facts.before.json" 2>&1; echo "@facts.rc=$?"
grep -A6 '"intel-microcode"' "$WORK/facts.before.json" | tr -d ' \n' | sed 's/^/@facts.microcode=/'; echo
"${CHAMELEON[@]}" plan "${P[@]}" >"$WORK/plan.out" 2>&1; echo "@plan.rc=$?"
grep -c 'installed 2.0-1' "$WORK/plan.out" | sed 's/^/@plan.target=/'
"${CHAMELEON[@]}" apply --yes "${P[@]}" >"$WORK/apply.out" 2>&1; echo "@apply.rc=$?"
echo "@version.applied=$(ver)"
echo "@file.applied=$(cat "$R/usr/share/chameleon-test/intel-microcode-version")"
grep -c '^Reboot required' "$WORK/apply.out" | sed 's/^/@apply.reboot=/'
"${CHAMELEON[@]}" facts updates -o json >"$WORK/facts.applied.json" 2>&1
grep -A3 '"reboot"' "$WORK/facts.applied.json" | tr -d ' \n' | sed 's/^/@facts.reboot.applied=/'; echo
"${CHAMELEON[@]}" plan --exit-code "${P[@]}" >"$WORK/replan.out" 2>&1; echo "@replan.rc=$?"
"${CHAMELEON[@]}" rollback --last >"$WORK/rollback.out" 2>&1; echo "@rollback.rc=$?"
echo "@version.after=$(ver)"
echo "@file.after=$(cat "$R/usr/share/chameleon-test/intel-microcode-version")"
"${CHAMELEON[@]}" facts updates -o json >"$WORK/facts.after.json" 2>&1
grep -A1 '"reboot"' "$WORK/facts.after.json" | tr -d ' \n' | sed 's/^/@facts.reboot.after=/'; echo
echo "@status.after=$(sum /var/lib/dpkg/status)"

# bad input 1: a version apt does not have
sed 's/version: candidate/version: 9.9-1/' "$R/tmp/microcode.yaml" > "$R/tmp/bad-version.yaml"
"${CHAMELEON[@]}" apply --yes --no-default-policies --no-system-policies --policies /tmp/bad-version.yaml >"$WORK/bad-version.out" 2>&1; echo "@badversion.rc=$?"
grep -c 'apt does not offer intel-microcode 9.9-1 (it offers: 2.0-1, 1.0-1)' "$WORK/bad-version.out" | sed 's/^/@badversion.message=/'
echo "@badversion.status=$(sum /var/lib/dpkg/status)"
# bad input 2: a package that does not exist
sed 's/name: intel-microcode/name: no-such-package/' "$R/tmp/microcode.yaml" > "$R/tmp/bad-name.yaml"
"${CHAMELEON[@]}" apply --yes --no-default-policies --no-system-policies --policies /tmp/bad-name.yaml >"$WORK/bad-name.out" 2>&1; echo "@badname.rc=$?"
grep -c 'apt does not know a package no-such-package' "$WORK/bad-name.out" | sed 's/^/@badname.message=/'
echo "@badname.status=$(sum /var/lib/dpkg/status)"
# bad input 3: the dpkg lock held by a real process in the root (perl's fcntl lock, as apt and dpkg take it)
chroot "$R" perl -e 'use Fcntl; open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die "open: $!";
  my $l = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLK, $l) or die "lock: $!"; $| = 1; print "locked\n"; sleep 600' \
  >"$WORK/locker.out" 2>&1 &
LOCKER=$!
for _ in $(seq 1 100); do grep -q locked "$WORK/locker.out" 2>/dev/null && break; sleep 0.1; done
echo "@locker.ready=$(grep -c locked "$WORK/locker.out")"
"${CHAMELEON[@]}" apply --yes "${P[@]}" >"$WORK/locked.out" 2>&1; echo "@locked.rc=$?"
grep -c 'Could not get lock' "$WORK/locked.out" | sed 's/^/@locked.message=/'
echo "@locked.version=$(ver)"
echo "@locked.status=$(sum /var/lib/dpkg/status)"
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null
for f in update install1 facts.before plan apply facts.applied replan rollback bad-version bad-name locked; do
  echo "--- $f"; tail -25 "$WORK/$f".* 2>/dev/null
done
