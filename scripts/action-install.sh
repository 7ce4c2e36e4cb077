#!/usr/bin/env bash
# The install step of action.yml: symguard from a prebuilt wheel, in seconds, when there is
# one for this runner.
#
# With the version input set, pip installs symguard==VERSION into a virtual environment of
# its own under RUNNER_TEMP (nothing touches the job's Python), from wheels only: pip never
# falls back to building the sdist, which would take the ~9 minutes this step avoids. The
# version input must be the action's own version, because the check step runs the action's
# own scripts against that binary. When the version input is empty, or no wheel fits the
# runner, the step says so and sets method=source: action.yml's next steps then build the
# action's source with cargo, cached between runs, as before wheels existed.
#
# Inputs (environment): GITHUB_ACTION_PATH (the action's source), INPUT_VERSION (optional,
# with or without a leading v), RUNNER_TEMP, RUNNER_OS and RUNNER_ARCH (for the messages).
# pip reads its own settings from the environment as usual (PIP_INDEX_URL, PIP_FIND_LINKS,
# PIP_NO_INDEX): a runner behind a package mirror works, and tests/action.rs installs from
# a local directory of wheels.
# Outputs (GITHUB_OUTPUT): method (wheel or source) and, after a wheel, bin (symguard's path).
# Exits 1 with one line when the version input is not the action's version, or the wheel's
# symguard reports another version.
set -euo pipefail

started=$SECONDS
cd "${GITHUB_ACTION_PATH:?set GITHUB_ACTION_PATH to the action source}"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
expected=${INPUT_VERSION:-}
expected=${expected#v}

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1" >>"$GITHUB_OUTPUT"
  fi
}

# fallback WHY: hands over to the source build.
fallback() {
  echo "symguard: $1; building symguard $version from the action's source instead (cargo install, cached between runs)"
  output method=source
  exit 0
}

if [ -z "$expected" ]; then
  fallback "no version input, so no wheel to install"
fi
if [ "$expected" != "$version" ]; then
  echo "::error title=symguard::this action installs symguard $version, not the version input $expected: pin the action to the release you want (uses: ...@v$expected)"
  exit 1
fi

python=""
for candidate in python3 python; do
  # Runs it rather than trusting PATH: `python3` can be the Windows store's stub.
  if "$candidate" -c 'import venv' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  fallback "no Python with venv on this runner"
fi

venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/symguard-venv"
rm -rf "$venv"
if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
  fallback "$python -m venv $venv failed"
fi
bin="$venv/bin"
if [ -d "$venv/Scripts" ]; then
  bin="$venv/Scripts" # Windows
fi
log="$venv/pip.log"
if ! "$bin/python" -m pip install --disable-pip-version-check --no-input \
  --only-binary :all: "symguard==$expected" >"$log" 2>&1; then
  reason=$(grep -m 1 '^ERROR' "$log" || tail -n 1 "$log")
  fallback "no symguard $expected wheel for this runner (${RUNNER_OS:-$(uname -s)} ${RUNNER_ARCH:-$(uname -m)}; pip: $reason)"
fi

symguard="$bin/symguard"
if [ -f "$symguard.exe" ]; then
  symguard="$symguard.exe"
fi
if ! installed=$("$symguard" --version 2>&1); then
  echo "::error title=symguard::the symguard the wheel installed does not run: $installed"
  exit 1
fi
installed=${installed#symguard }
installed=${installed%% *} # after the version: the commit, when built from a checkout
if [ "$installed" != "$expected" ]; then
  echo "::error title=symguard::the wheel installed symguard $installed, not $expected"
  exit 1
fi

echo "symguard: installed symguard $expected from a wheel in $((SECONDS - started)) s ($symguard)"
output method=wheel
output "bin=$symguard"
