"""Renders benches/run.sh's results as one markdown table, with the issue's targets.

usage: report.py RESULTS

RESULTS has one line per fact: `meta KEY VALUE...`, `result KEY SECONDS PEAK_MIB
[REQUESTS]`, SECONDS and PEAK_MIB being medians, or `ratio KEY MEDIAN LOW HIGH`, the
per-round ratios of a pair that alternated (measure.py).
"""
import sys

meta, results, spreads = {}, {}, {}
for line in open(sys.argv[1]):
    kind, key, *rest = line.split()
    if kind == "meta":
        meta[key] = " ".join(rest)
    elif kind == "ratio":
        spreads[key] = tuple(float(r) for r in rest)
    else:
        results[key] = (float(rest[0]), float(rest[1]), int(rest[2]) if len(rest) > 2 else None)

rows = []
missed = []


def row(name, seconds, mib, baseline, ratio, target="", met=None):
    """met: None (no target), or a list of (label, bool)."""
    if met is None:
        verdict = ""
    else:
        verdict = ", ".join(
            ("yes" if ok else "**no**") + (f" ({label})" if label and len(met) > 1 else "")
            for label, ok in met
        )
        missed.extend(f"{name}: {label or target}" for label, ok in met if not ok)
    rows.append((name, seconds, mib, baseline, ratio, target, verdict))


def secs(s):
    return f"{s:.3f}" if s < 10 else f"{s:.1f}"


def rounds(spread):
    """The middle half of a pair's per-round ratios, when the pair ran more than one round."""
    return f" (rounds: {spread[1]:.2f}x to {spread[2]:.2f}x)" if spread and spread[1] < spread[2] else ""


def faster(baseline, this):
    """How many times faster `this` is than `baseline`, as words."""
    r = baseline / this
    return f"{r:.2f}x faster" if r >= 1 else f"{1 / r:.2f}x slower"


for n in (100, 1000, 5000):
    if f"check-{n}" not in results:
        continue
    s, mib, _ = results[f"check-{n}"]
    ps, pmib, _ = results[f"parse-{n}"]
    ratio = s / ps
    met = [("<= 1.3x parse-only", ratio <= 1.3)]
    target = "<= 1.3x parse-only"
    if n == 1000:
        met = [("< 0.5 s", s < 0.5), ("< 200 MiB", mib < 200)] + met
        target = "< 0.5 s, < 200 MiB, " + target
    files, size = meta[f"corpus_{n}"].split()
    # The target is judged on the ratio of the medians; the rounds' own ratios show how
    # much a single round moves.
    row(f"check, {n:,} roots ({int(files):,} files, {int(size) / 1e6:.1f} MB)", secs(s), f"{mib:.0f}",
        f"parse-only {secs(ps)} s, {pmib:.0f} MiB", f"{ratio:.2f}x parse-only{rounds(spreads.get(f'check-{n}'))}", target, met)

if "scale-5000" in spreads:
    # Judged, like the floor, on the ratio of the medians of the two sizes alternating.
    r = results["scale-5000"][0] / results["scale-1000"][0]
    pr = results["parse-5000"][0] / results["parse-1000"][0]
    row(f"check scaling, 5,000 / 1,000 roots, the two alternating ({results['scale-5000'][0]:.3f} s "
        f"and {results['scale-1000'][0]:.3f} s)", "", "", f"parse-only, rows above: {pr:.2f}x",
        f"{r:.2f}x{rounds(spreads['scale-5000'])}", "<= 5.5x", [("", r <= 5.5)])

if "cold" in results:
    s, mib, _ = results["cold"]
    row(f"check, one small root (examples/aws-iam), median of {meta.get('cold_runs')}",
        f"{s * 1000:.1f} ms", f"{mib:.0f}", "", "", "< 20 ms", [("", s < 0.020)])

if "checkov-100" in results:
    s, mib, _ = results["checkov-100"]
    cs = results["check-100"][0]
    r = s / cs
    row("checkov -d, 100 roots", secs(s), f"{mib:.0f}", f"symguard check {secs(cs)} s",
        f"symguard {r:.0f}x faster", ">= 200x", [("", r >= 200)])

readers = [
    ("symguard-bulk", "symguard drift --read bulk (auto's choice above 30 groups)"),
    ("symguard-8", "symguard drift --read per-group (--concurrency 8)"),
    ("symguard-32", "symguard drift --read per-group --concurrency 32"),
    ("c7n", "Cloud Custodian (c7n), aws.iam-group"),
    ("boto3", "boto3, sequential"),
]
# Targets per reader and place: (text, times faster than boto3 at least, most requests).
targets = {
    ("bare", "symguard-8"): ("no slower than boto3", 1.0, None),
    ("proxy", "symguard-8"): (">= 5x faster than boto3", 5.0, None),
    ("bare", "symguard-bulk"): ("<= 10 requests", None, 10),
    ("proxy", "symguard-bulk"): (">= 50x faster than boto3, <= 10 requests", 50.0, 10),
}
for where, label in (("bare", "bare moto"), ("proxy", f"+{meta.get('latency_ms')} ms proxy")):
    if f"drift-{where}-boto3" not in results:
        continue
    boto3 = results[f"drift-{where}-boto3"][0]
    for key, name in readers:
        if f"drift-{where}-{key}" not in results:
            continue
        s, mib, requests = results[f"drift-{where}-{key}"]
        ratio = faster(boto3, s) if key != "boto3" else "baseline"
        target, need, most = targets.get((where, key), ("", None, None))
        met = []
        if need is not None:
            met.append((f">= {need:g}x", boto3 / s >= need))
        if most is not None:
            met.append((f"<= {most} requests", requests <= most))
        row(f"drift, {label}: {name}, {requests:,} requests", secs(s), f"{mib:.0f}",
            f"boto3 {secs(boto3)} s" if key != "boto3" else "", ratio,
            target, met or None)

print(f"# symguard benchmark, {meta.get('date')}")
print()
print(f"- machine: {meta.get('nproc')} cores (nproc), {meta.get('cpu')}; load average "
      f"{meta.get('load_start')} at the start, {meta.get('load_end')} at the end")
print(f"- symguard at {meta.get('commit')}, release build")
runs = int(meta.get("runs", 1))
check_runs = int(meta.get("check_runs", runs))
print(f"- {f'medians of {runs} runs' if runs > 1 else 'one run each'}"
      f"{f'; check and parse-only: medians of {check_runs} runs, the two alternating (rounds: the middle half of the per-round ratios)' if check_runs > 1 else ''}"
      f"; peak = max RSS of the process (MiB); corpora from "
      f"gen-corpus with {meta.get('targets')} targets per root (7 files per root, 6 of them .tf)")
if "drift-bare-boto3" in results:
    print(f"- drift: {int(meta['groups']):,} groups x {meta.get('members')} members on moto "
          f"{meta.get('moto')}; boto3 {meta.get('boto3')} for both the script and Custodian")
print()
header = ("Measurement", "Seconds", "Peak MiB", "Baseline", "Ratio", "Target", "Met")
print("| " + " | ".join(header) + " |")
print("|" + "|".join("---" for _ in header) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
if "checkov_summary" in meta:
    print(f"checkov: {meta['checkov_summary']}")
bare, proxied = results.get("drift-bare-boto3"), results.get("drift-proxy-boto3")
if bare and proxied and proxied[2]:
    added = (proxied[0] - bare[0]) / proxied[2] * 1000
    print(f"The proxy added {added:.0f} ms per request to sequential boto3 "
          f"({meta.get('latency_ms')} ms configured).")
if "drift-bare-symguard-bulk" in results:
    print("Bulk reads: bare moto answers GetAccountAuthorizationDetails in one page; the proxy "
          "splits it into pages of 1,000 items as IAM does. Requests include sts:GetCallerIdentity.")
print(f"Targets not met: {', '.join(missed) if missed else 'none'}.")
print(f"Total wall time of the benchmark: {int(meta['elapsed']) // 60} min "
      f"{int(meta['elapsed']) % 60} s.")
