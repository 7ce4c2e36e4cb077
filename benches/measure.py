"""Times a command: WARMUP unmeasured runs (warm page cache and imports), then RUNS
measured ones, each in its own child so that wait4 gives that run's own peak RSS.
Prints `MEDIAN_SECONDS MEDIAN_PEAK_MIB` on one line.

Commands separated by `::` run in turn (A B A B ...), and each gets its own line: a ratio
of two commands timed one after the other moved by a quarter between runs a minute apart
(the machine's speed drifts), while runs that alternate share the drift. With exactly two
commands a third line follows, `MEDIAN LOW HIGH` of the ratios A/B of each round's pair:
their median and interquartile range, how far a single round can be trusted.

A run whose exit code is not in --ok fails the measurement (exit 1) with its stderr: a
benchmark of a command that broke is worthless. For a command that starts subprocesses
(checkov, custodian), the peak is that of its largest single process, not their sum.

usage: measure.py [--runs N] [--warmup N] [--ok 0,1] [--stdout FILE] -- COMMAND... [:: COMMAND...]
  --stdout FILE  keeps the last run's standard output there (of the last command, to check
                 what it did); otherwise it goes to /dev/null.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--warmup", type=int, default=1)
parser.add_argument("--ok", default="0", help="exit codes that count as success")
parser.add_argument("--stdout", help="file for the last run's standard output")
parser.add_argument("command", nargs=argparse.REMAINDER)
args = parser.parse_args()
words = args.command[1:] if args.command[:1] == ["--"] else args.command
commands = [[]]
for word in words:
    if word == "::":
        commands.append([])
    else:
        commands[-1].append(word)
if not all(commands) or args.runs < 1:
    parser.error("need a COMMAND (each side of `::`) and --runs of at least 1")
ok = {int(code) for code in args.ok.split(",")}


def run_once(command, keep_stdout):
    out = open(args.stdout, "wb") if keep_stdout else subprocess.DEVNULL
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not reap it again
        if keep_stdout:
            out.close()
        if child.returncode not in ok:
            stderr.seek(0)
            sys.stderr.write(stderr.read().decode(errors="replace")[-4000:])
            sys.exit(f"measure.py: `{' '.join(command)}` exited with {child.returncode}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


for _ in range(args.warmup):
    for command in commands:
        run_once(command, False)
runs = [[] for _ in commands]
for i in range(args.runs):
    for c, command in enumerate(commands):
        keep = bool(args.stdout) and i == args.runs - 1 and c == len(commands) - 1
        runs[c].append(run_once(command, keep))
for measured in runs:
    seconds = statistics.median(s for s, _ in measured)
    print(f"{seconds:.4f} {statistics.median(m for _, m in measured):.1f}")
if len(runs) == 2:
    ratios = [a / b for (a, _), (b, _) in zip(*runs)]
    # With one round there is no spread: the quartiles are that ratio.
    low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    print(f"{statistics.median(ratios):.4f} {low:.4f} {high:.4f}")
