"""`make benchmark`: the core figures, then the API latency table on the model trained by them.

    python -m benchmarks.run_all [--data-dir DIR]

Both read the real data directory; the API benchmark starts servers on 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks import bench_api, bench_core
from benchmarks import bench_duplicates


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    extra = ["--data-dir", args.data_dir] if args.data_dir else []
    print("== near-duplicates: 100k complaints grouped, one new complaint checked against a 100k index")
    bench_duplicates.main(extra)
    print()
    with tempfile.TemporaryDirectory() as models:
        print("== core: normalize, train, model size, predict, memory")
        bench_core.main(extra + ["--models-dir", models])
        [model_dir] = [p.parent for p in Path(models).glob("*/model.json")]
        print("\n== HTTP API: latency and throughput")
        return bench_api.main(["--model", str(model_dir)])


if __name__ == "__main__":
    sys.exit(main())
