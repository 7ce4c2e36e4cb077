#!/usr/bin/env bash
# The release's SHA256SUMS: one sha256sum line for every file the release attaches (wheels,
# sdist, archives), so `sha256sum -c SHA256SUMS` checks a whole download at once.
#
# Usage: scripts/release-checksums.sh DIR   (DIR holds the release's files, and nothing else)
# Writes DIR/SHA256SUMS, sorted by file name; the per-archive *.sha256 files are left out of
# it (they are sums themselves). Fails when DIR holds no file to sum.
set -euo pipefail

dir=${1:?usage: scripts/release-checksums.sh DIR}
cd "$dir"
files=()
for file in *; do
  case "$file" in
    SHA256SUMS | *.sha256) ;;
    *) [ -f "$file" ] && files+=("$file") ;;
  esac
done
if [ "${#files[@]}" -eq 0 ]; then
  echo "release-checksums.sh: no files in $dir to sum" >&2
  exit 1
fi
printf '%s\n' "${files[@]}" | LC_ALL=C sort | while IFS= read -r file; do
  sha256sum "$file"
done >SHA256SUMS.tmp
mv SHA256SUMS.tmp SHA256SUMS
echo "$dir/SHA256SUMS: ${#files[@]} files"
