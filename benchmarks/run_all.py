"""`make benchmark`: the core figures, then the HTTP API, streaming and Dask figures on the model
trained by the first. Every figure is printed beside a reference measured in the same run (the plain
TF-IDF + LinearSVC model's predict on the same rows, benchmarks/reference.py): the machines are
shared, and a ratio survives a busy machine better than an absolute figure.

    python -m benchmarks.run_all [--data-dir DIR] [--stream-rows 1000000] [--no-dask]

All read the real data directory; the API benchmark starts servers on 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks import bench_api, bench_core, bench_stream
from benchmarks import bench_duplicates


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--stream-rows", default="1000000", help="rows of the streaming benchmark's CSV")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask scaling figures")
    args = parser.parse_args(argv)
    extra = ["--data-dir", args.data_dir] if args.data_dir else []
    status = 0
    print("== near-duplicates: 100k complaints grouped, one new complaint checked against a 100k index")
    bench_duplicates.main(extra)
    print()
    with tempfile.TemporaryDirectory() as models:
        print("== core: normalize, train, model size, predict, sentiment, memory")
        bench_core.main(extra + ["--models-dir", models])
        [model_dir] = [p.parent for p in Path(models).glob("*/model.json")]
        model = ["--model", str(model_dir)]
        print("\n== HTTP API: latency and throughput")
        status |= bench_api.main(model)
        print("\n== streaming: a file far larger than memory needs")
        status |= bench_stream.main(extra + model + ["--rows", args.stream_rows])
        if not args.no_dask:
            from benchmarks import bench_dask  # needs the dask extra

            print("\n== Dask: one worker and two")
            status |= bench_dask.main(extra + model)
    return status


if __name__ == "__main__":
    sys.exit(main())
