"""Per-job start-up: import seconds of every rule script, in a fresh interpreter each.

For each scripts/*.py, the script's module-level imports (read with ``ast``, so the script's own
work never runs) are timed in a new ``python`` process, best of --repeats; for the extractor
scripts also with the module of each extractor kind the default config.yaml runs through that
rule (the import a real job of that kind does before its first frame). Printed per script: import
seconds, the ratio to ``import pandas`` measured in the same run (every job needs pandas to write
Parquet), and which heavy packages (torch, transformers, sklearn, matplotlib, cv2, mediapipe)
ended up loaded.

    python benchmarks/script_imports.py [--repeats 3] [--scripts extract_audio,score_model]
    python benchmarks/script_imports.py --smoke   # CI: four scripts (and their extractor kinds), one repeat

It measures the tree it sits in (scripts/, workflow/, config.yaml beside it). Before/after a
change: ``git archive main scripts workflow config.yaml | tar -x -C /tmp/before``, copy this file
to /tmp/before/benchmarks/ and run both.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sklearn", "matplotlib", "cv2", "mediapipe", "opensmile")
# the rule script each extractor modality runs through
SCRIPT_OF_MODALITY = {"audio": "extract_audio", "video": "extract_face", "text": "extract_text"}
# rules that never touch torch or sklearn at import (tests/test_benchmarks.py holds them to it)
SMOKE = ["extract_audio", "extract_text", "tzirakis_table6", "sequence_tables"]

PROBE = """
import json, sys, time
t = time.perf_counter()
{imports}
elapsed = time.perf_counter() - t
print(json.dumps({{"s": elapsed, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def module_imports(script: Path) -> str:
    """The script's top-level import statements, as source."""
    tree = ast.parse(script.read_text())
    return "\n".join(ast.unparse(n) for n in tree.body
                     if isinstance(n, ast.Import) or (isinstance(n, ast.ImportFrom) and n.module != "__future__"))


def time_imports(imports: str, repeats: int) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "workflow"), os.environ.get("PYTHONPATH", "")])}
    best, loaded = float("inf"), []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports or "pass", heavy=HEAVY)], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
        if res["s"] < best:
            best, loaded = res["s"], res["loaded"]
    return best, loaded


def extractor_kinds() -> dict[str, list[tuple[str, str]]]:
    """script -> the default config's extractor kinds it runs."""
    sys.path.insert(0, str(REPO / "workflow"))
    from affectflow.extractors.base import KINDS

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    out: dict[str, list[tuple[str, str]]] = {}
    for params in cfg["features"].values():
        module, modality = KINDS[params["kind"]][0].split(":")[0], KINDS[params["kind"]][1]
        out.setdefault(SCRIPT_OF_MODALITY[modality], [])
        if (params["kind"], module) not in out[SCRIPT_OF_MODALITY[modality]]:
            out[SCRIPT_OF_MODALITY[modality]].append((params["kind"], module))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scripts", default="", help="comma-separated script names (default: every scripts/*.py)")
    ap.add_argument("--smoke", action="store_true", help="four scripts, one repeat (CI)")
    args = ap.parse_args(argv)
    scripts = REPO / "scripts"
    names = args.scripts.split(",") if args.scripts else sorted(p.stem for p in scripts.glob("*.py"))
    if args.smoke:
        names, args.repeats = SMOKE, 1
    base, _ = time_imports("import pandas, pyarrow.parquet", args.repeats)
    kinds = extractor_kinds()
    rows = []
    for name in names:
        imports = module_imports(scripts / f"{name}.py")
        rows.append((name, *time_imports(imports, args.repeats)))
        for kind, module in kinds.get(name, []):
            rows.append((f"{name} ({kind})", *time_imports(f"{imports}\nimport {module}", args.repeats)))
    print(f"\n## Rule script imports (fresh interpreter, best of {args.repeats}); baseline `import pandas, pyarrow.parquet` = {base:.2f} s")
    print("| script | import s | ratio to baseline | heavy packages loaded |\n|---|---:|---:|---|")
    for name, s, loaded in rows:
        print(f"| {name} | {s:.2f} | {s / base:.2f} | {', '.join(loaded) or '-'} |")
    print(f"| total over {len(rows)} rows | {sum(r[1] for r in rows):.1f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
