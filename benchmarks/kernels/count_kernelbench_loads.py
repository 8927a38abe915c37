"""Count which problem files of a KernelBench checkout polca's loader reads, per level, and why the rest are not.

Every ``.py`` file under ``KERNELBENCH/KernelBench/level{1..4}/`` is put through the loader
(:func:`polca.kernels_bench.problems.problem_files` for the names, then
:func:`~polca.kernels_bench.problems.read_problem` on each problem file, as ``polca
kernelbench run`` does for the ids it selects). A file is *loaded* when it reads as a
problem; otherwise it is *skipped*, with the loader's own reason. The JSON (``--out``) holds
counts and file names only, never file contents.

    python benchmarks/kernels/count_kernelbench_loads.py /path/to/KernelBench-checkout \\
        --source "ScalingIntelligence/KernelBench@<commit>" \\
        --out benchmarks/kernels/results/kernelbench-loads.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from polca.kernels_bench.problems import LEVELS, problem_directory, problem_files, read_problem


def count_level(root: Path, level: int) -> dict:
    """Loaded and skipped files of one level, each skipped file with the loader's reason."""
    directory = problem_directory(root, level)
    named = problem_files(directory)
    loaded, skipped = [], []
    for path in sorted(directory.glob("*.py"), key=lambda p: p.name):
        if path not in named.values():
            skipped.append({"file": path.name, "reason": "not named NN_name.py"})
            continue
        try:
            read_problem(path, level)
        except ValueError as exc:
            skipped.append({"file": path.name, "reason": str(exc).replace(str(directory) + "/", "")})
        else:
            loaded.append(path.name)
    return {"files": len(loaded) + len(skipped), "loaded": len(loaded), "skipped": skipped, "loaded_files": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a folder holding KernelBench/level{1..4}/")
    parser.add_argument("--source", default="", help="where the files came from, recorded in the JSON")
    parser.add_argument("--out", type=Path, help="write the JSON here")
    args = parser.parse_args()
    levels = {f"level{n}": count_level(args.checkout, n) for n in LEVELS if (args.checkout / "KernelBench" / f"level{n}").is_dir()}
    data = {"source": args.source, "levels": levels}
    if args.out:
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    print("| level | files | loaded | skipped |\n| --- | ---: | ---: | --- |")
    for name, row in levels.items():
        reasons = "; ".join(f"{s['file']}: {s['reason']}" for s in row["skipped"]) or "none"
        print(f"| {name} | {row['files']} | {row['loaded']} | {reasons} |")


if __name__ == "__main__":
    main()
