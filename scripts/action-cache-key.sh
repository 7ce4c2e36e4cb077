#!/usr/bin/env bash
# The cache key step of action.yml: which built symguard the action can reuse.
#
# The key names the runner (OS, architecture, image), symguard's version and a hash of
# everything the binary is built from in the action's own source (Cargo.lock, Cargo.toml,
# src/, rules/). hashFiles() cannot be used: it only sees files inside GITHUB_WORKSPACE,
# and the action's source is outside it.
#
# Inputs (environment): GITHUB_ACTION_PATH (the action's source), INPUT_VERSION (optional:
# the symguard version the workflow expects; the step fails if the source is another one).
# Output: key, written to GITHUB_OUTPUT (and printed).
set -euo pipefail

cd "${GITHUB_ACTION_PATH:?set GITHUB_ACTION_PATH to the action source}"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
expected=${INPUT_VERSION:-}
expected=${expected#v}
if [ -n "$expected" ] && [ "$expected" != "$version" ]; then
  echo "::error title=symguard::this action builds symguard $version, not the version input $expected: pin the action to the release you want (uses: ...@v$expected)"
  exit 1
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum; }
else
  sha256() { shasum -a 256; } # macOS runners
fi
hash=$(
  find Cargo.lock Cargo.toml src rules -type f -print | LC_ALL=C sort |
    while IFS= read -r file; do
      printf '%s %s\n' "$(sha256 <"$file" | cut -c1-64)" "$file"
    done | sha256 | cut -c1-20
)

key="symguard-${RUNNER_OS:-local}-${RUNNER_ARCH:-local}-${ImageOS:-local}-v$version-$hash"
echo "cache key: $key"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "key=$key" >>"$GITHUB_OUTPUT"
fi
