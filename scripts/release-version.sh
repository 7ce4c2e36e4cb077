#!/usr/bin/env bash
# The release workflow's first step: the version a tag releases, checked against the crate,
# so no wheel, archive or crate is published under a tag that names another version.
#
# Usage: scripts/release-version.sh TAG   (v0.1.0, or GitHub's refs/tags/v0.1.0)
# Prints the version (0.1.0) and writes version=0.1.0 to GITHUB_OUTPUT when that is set.
# Exits 1 with one line when TAG is not v followed by Cargo.toml's version; the wheels take
# their version from Cargo.toml (pyproject.toml's version is dynamic), so that one check
# covers them too.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:?usage: scripts/release-version.sh TAG}
tag=${tag#refs/tags/}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
if [ "$tag" != "v$version" ]; then
  echo "::error title=release::the tag $tag does not release Cargo.toml's version $version: tag v$version, or change the version in Cargo.toml first"
  exit 1
fi
echo "$version"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "version=$version" >>"$GITHUB_OUTPUT"
fi
