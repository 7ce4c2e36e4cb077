#!/usr/bin/env bash
# The standalone archive of one target's binary, for the GitHub release, with its SHA-256.
#
# Usage: scripts/release-archive.sh VERSION TARGET BINARY OUTDIR
#   VERSION  the release's version (0.1.0)
#   TARGET   the Rust target triple the binary was built for (x86_64-unknown-linux-gnu)
#   BINARY   the built binary (target/TARGET/release/symguard, symguard.exe on Windows)
# Writes OUTDIR/symguard-VERSION-TARGET.tar.gz (.zip for Windows targets) holding the
# directory symguard-VERSION-TARGET/ with the binary and README.md, and beside it
# ARCHIVE.sha256 in sha256sum's format (`sha256sum -c` checks it). Prints the archive's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

version=${1:?usage: release-archive.sh VERSION TARGET BINARY OUTDIR}
target=${2:?usage: release-archive.sh VERSION TARGET BINARY OUTDIR}
binary=${3:?usage: release-archive.sh VERSION TARGET BINARY OUTDIR}
outdir=${4:?usage: release-archive.sh VERSION TARGET BINARY OUTDIR}
if [ ! -f "$binary" ]; then
  echo "release-archive.sh: $binary: no such file (build the target first)" >&2
  exit 1
fi

name="symguard-$version-$target"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$root/README.md" "$stage/$name/"

case "$target" in
  *windows*)
    archive="$name.zip"
    # Python's zipfile: GNU tar (the one on PATH in a Windows runner's bash) cannot write
    # zip. `python3` can be the Windows store's stub there, so each candidate is tried.
    for python in python3 python; do
      if "$python" -c '' 2>/dev/null; then
        (cd "$stage" && "$python" -m zipfile -c "$outdir/$archive" "$name")
        break
      fi
    done
    ;;
  *)
    archive="$name.tar.gz"
    tar -C "$stage" -czf "$outdir/$archive" "$name"
    ;;
esac
if [ ! -f "$outdir/$archive" ]; then
  echo "release-archive.sh: could not write $archive (a Windows archive needs Python)" >&2
  exit 1
fi

if command -v sha256sum >/dev/null 2>&1; then
  (cd "$outdir" && sha256sum "$archive" >"$archive.sha256")
else
  (cd "$outdir" && shasum -a 256 "$archive" >"$archive.sha256") # macOS runners
fi
echo "$outdir/$archive"
