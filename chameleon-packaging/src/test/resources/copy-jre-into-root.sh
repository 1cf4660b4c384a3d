#!/bin/sh
# copy-jre-into-root.sh JAVA_HOME ROOT: puts the running Java runtime into a throwaway root
# (hard links when on the same file system), with the shared libraries it loads and the targets
# of its absolute symbolic links (Debian links conf/ to /etc/java-N-openjdk), so the packaged
# launcher can run under chroot there.
set -e
J="$1"; R="$2"
mkdir -p "$R$(dirname "$J")"
cp -al "$J" "$R$J" 2>/dev/null || cp -a "$J" "$R$J"
find "$J" -type l -lname '/*' | while read -r l; do
  t="$(readlink -f "$l")" || continue
  [ -f "$t" ] || continue
  mkdir -p "$R$(dirname "$t")"; cp -L "$t" "$R$t"
done
for f in $(ldd "$J/bin/java" "$J"/lib/server/libjvm.so "$J"/lib/*.so 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
  case "$f" in "$J"*|*:) continue ;; esac
  [ -e "$f" ] || continue
  mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"
done
mkdir -p "$R/usr/bin"; ln -sf "$J/bin/java" "$R/usr/bin/java"
