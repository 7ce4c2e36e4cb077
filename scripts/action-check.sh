#!/usr/bin/env bash
# The check step of action.yml, kept here so tests/action.rs can run it outside GitHub.
#
# Inputs (environment, as action.yml passes them; all optional):
#   INPUT_PATH           paths to check, separated by spaces or newlines (default: .)
#   INPUT_CONFIG         --config FILE
#   INPUT_FAIL_ON        --fail-on error|warning|note|never (default: error)
#   INPUT_FORMAT         what the log shows besides the annotations (default: github,
#                        i.e. the annotations alone; human, json, ... print that report too)
#   INPUT_SARIF_FILE     write a SARIF report to this file
#   INPUT_CHANGED_SINCE  --changed-since REV
#   SYMGUARD_BIN         the symguard to run (default: symguard from PATH)
# GitHub's files: GITHUB_OUTPUT (outputs findings, errors, warnings, notes, sarif-file),
# GITHUB_STEP_SUMMARY (the markdown report), GITHUB_WORKSPACE (where paths are resolved
# and what annotation paths are relative to), RUNNER_TEMP (the JSON report).
#
# Exits with the exit code of `symguard check`: 0 clean, 1 a finding reaches fail-on,
# 2 the check could not run.
set -euo pipefail

symguard=${SYMGUARD_BIN:-symguard}
report="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/symguard.json"

cd "${GITHUB_WORKSPACE:-.}"

paths=()
if [ -n "${INPUT_PATH:-}" ]; then
  # read returns 1 at the end of its input, which -d '' always reaches.
  IFS=$' \t\n' read -r -d '' -a paths <<<"$INPUT_PATH" || true
fi
args=()
if [ -n "${INPUT_CONFIG:-}" ]; then
  args+=(--config "$INPUT_CONFIG")
fi
if [ -n "${INPUT_CHANGED_SINCE:-}" ]; then
  args+=(--changed-since "$INPUT_CHANGED_SINCE")
fi
format=${INPUT_FORMAT:-github}

# check PATHS... ARGS... EXTRA...: runs symguard check and sets $code to its exit code.
check() {
  code=0
  "$symguard" check ${paths[@]+"${paths[@]}"} ${args[@]+"${args[@]}"} "$@" || code=$?
}

# 1. The verdict and the counts, from the JSON report. stdout gets the one-line summary.
check --fail-on "${INPUT_FAIL_ON:-error}" --format json --output "$report"
verdict=$code
if [ "$verdict" -ne 0 ] && [ "$verdict" -ne 1 ]; then
  echo "::error title=symguard::symguard check could not run (exit code $verdict): see the message above"
  exit "$verdict"
fi
# python3 rather than jq: it is on GitHub's runners and on every machine the tests run on.
read -r findings errors warnings notes < <(python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
summary = report["summary"]
print(len(report["findings"]), summary["errors"], summary["warnings"], summary["notes"])
' "$report")

# The later runs report the same findings in other formats; --fail-on never makes any exit
# code but 0 a failure of that run.
must_succeed() {
  if [ "$code" -ne 0 ]; then
    echo "::error title=symguard::symguard check --format $1 failed (exit code $code)"
    exit 2
  fi
}

# 2. Annotations on the pull request's files.
check --fail-on never --format github
must_succeed github
if [ "$format" != github ]; then
  check --fail-on never --format "$format"
  must_succeed "$format"
fi

# 3. The job summary.
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  check --fail-on never --format markdown >>"$GITHUB_STEP_SUMMARY"
  must_succeed markdown
fi

# 4. SARIF for code scanning.
sarif_file=""
if [ -n "${INPUT_SARIF_FILE:-}" ]; then
  mkdir -p "$(dirname "$INPUT_SARIF_FILE")"
  check --fail-on never --format sarif --output "$INPUT_SARIF_FILE" >/dev/null
  must_succeed sarif
  sarif_file="$(cd "$(dirname "$INPUT_SARIF_FILE")" && pwd)/$(basename "$INPUT_SARIF_FILE")"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "findings=$findings"
    echo "errors=$errors"
    echo "warnings=$warnings"
    echo "notes=$notes"
    echo "sarif-file=$sarif_file"
  } >>"$GITHUB_OUTPUT"
fi

exit "$verdict"
