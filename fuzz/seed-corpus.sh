#!/usr/bin/env bash
# Writes the fuzzer's seed corpus: every fixture directory's Terraform files, and its
# symguard.toml if any, joined as the fuzz target splits them (see tests/support/pipeline.rs).
set -euo pipefail
cd "$(dirname "$0")"
out=corpus/check
mkdir -p "$out"
find ../fixtures ../examples -name '*.tf' -printf '%h\n' | sort -u | while read -r dir; do
  python3 - "$dir" "$out" <<'PY'
import hashlib, pathlib, sys
d, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
tf = sorted(d.glob("*.tf"))
parts = [tf[0].read_bytes() if tf else b"",
         b"\n".join(p.read_bytes() for p in tf[1:]),
         (d / "terraform.tfvars").read_bytes() if (d / "terraform.tfvars").exists() else b"",
         b"",
         (d / "symguard.toml").read_bytes() if (d / "symguard.toml").exists() else b""]
data = b"\n#~~file~~\n".join(parts)
(out / hashlib.sha1(data).hexdigest()).write_bytes(data)
PY
done
echo "$(ls "$out" | wc -l) seeds in fuzz/$out"
