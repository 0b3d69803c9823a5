"""`--engine dask`: a real `dask scheduler` and two `dask worker` processes on 127.0.0.1 (started here on
free ports, stopped at the end), and a LocalCluster; every output is compared with the local engine's
run on the same file, row for row."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the dask extra: pip install -e '.[dask]'")
from distributed import Client  # noqa: E402

from aduan.batch import BatchJob, run_local  # noqa: E402
from aduan.cli import main  # noqa: E402
from aduan.dask_engine import run_dask, worker_model_loads  # noqa: E402
from batch_support import complaints_frame, train_model  # noqa: E402
from classifier.tables import BadRowError  # noqa: E402

DASK = Path(sys.executable).with_name("dask")
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler with two single-threaded workers, all on loopback."""
    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    started = []

    def start(name, *args):
        log = open(logs / f"{name}.log", "w")
        started.append(subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, cwd=logs,
                                        start_new_session=True))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
        for n in (1, 2):
            start(f"worker{n}", "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                  "--no-dashboard", "--name", f"w{n}", "--local-directory", str(logs))
        with Client(address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(2, timeout=STARTUP_SECONDS)
        yield address
    finally:
        for process in reversed(started):
            stop(process)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return train_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("input")
    frame = complaints_frame(400)
    frame.to_csv(folder / "complaints.csv", index=False)
    with open(folder / "complaints.jsonl", "w", encoding="utf-8") as out:  # keys that come and go
        for i, row in enumerate(frame.to_dict("records")):
            row = {k: v for k, v in row.items() if not (k == "kecamatan" and i % 3 == 0)}
            out.write(json.dumps({**row, **({"late": i} if i > 350 else {})}, ensure_ascii=False) + "\n")
    frame.to_parquet(folder / "complaints.parquet", row_group_size=64)
    return folder


def local(job, src, out, model_dir, **options):
    return run_local(job, str(src), str(out), model_dir, jobs=1, **options)


@pytest.mark.parametrize("command, name", [("predict", "complaints.csv"), ("sentiment", "complaints.jsonl"),
                                           ("predict", "complaints.parquet")])
def test_cluster_output_is_the_local_output(scheduler, model_dir, inputs, tmp_path, command, name):
    job = BatchJob(command)
    suffix = ".parquet" if name.endswith(".parquet") else ".csv"
    local(job, inputs / name, tmp_path / f"local{suffix}", model_dir)
    summary = run_dask(job, str(inputs / name), str(tmp_path / f"dask{suffix}"), model_dir, scheduler=scheduler,
                       target_bytes=3000)  # many partitions over the two workers
    assert summary.counts.rows == 400
    if suffix == ".csv":
        assert (tmp_path / "dask.csv").read_text() == (tmp_path / "local.csv").read_text()
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask.parquet"),
                                      pd.read_parquet(tmp_path / "local.parquet"))


def test_each_worker_loads_the_model_once(scheduler, model_dir, inputs, tmp_path):
    with Client(scheduler) as client:
        before = client.run(worker_model_loads)
        run_dask(BatchJob("predict"), str(inputs / "complaints.csv"), str(tmp_path / "a.csv"), model_dir,
                 scheduler=scheduler, target_bytes=2000)
        after = client.run(worker_model_loads)
    assert set(after) == set(before) and all(after[w] - before[w] <= 1 for w in after)
    assert sum(after.values()) <= 2  # the earlier tests' runs loaded it already: never once per partition


def test_bad_rows_are_skipped_or_refused_as_locally(scheduler, model_dir, tmp_path):
    src = tmp_path / "bad.csv"
    rows = [f"{i},keluhan nomor {i} lampu mati" for i in range(120)]
    rows[37], rows[90] = '37,"kutip "rusak" sini"', "90,satu,dua"
    src.write_text("id,text\n" + "\n".join(rows) + "\n")
    summary_local = local(BatchJob("predict"), src, tmp_path / "local.csv", model_dir, on_bad_lines="skip")
    summary = run_dask(BatchJob("predict"), str(src), str(tmp_path / "dask.csv"), model_dir, scheduler=scheduler,
                       on_bad_lines="skip", target_bytes=500)
    assert summary.skipped == summary_local.skipped and "line 39" in summary.skipped and "line 92" in summary.skipped
    assert (tmp_path / "dask.csv").read_text() == (tmp_path / "local.csv").read_text()
    with pytest.raises(BadRowError, match="line 39"):
        run_dask(BatchJob("predict"), str(src), str(tmp_path / "x.csv"), model_dir, scheduler=scheduler,
                 target_bytes=500)
    assert not (tmp_path / "x.csv").exists()


def test_the_command_on_a_local_cluster(model_dir, inputs, tmp_path, capsys):
    src = inputs / "complaints.csv"
    assert main(["predict", str(src), "--model", str(model_dir), "-o", str(tmp_path / "local.csv"), "--jobs", "1"]) == 0
    assert main(["predict", str(src), "--model", str(model_dir), "-o", str(tmp_path / "dask.csv"), "--engine", "dask",
                 "--jobs", "2"]) == 0
    assert (tmp_path / "dask.csv").read_text() == (tmp_path / "local.csv").read_text()
    assert "40 row(s) with an empty 'text'" in capsys.readouterr().err


def test_what_the_engine_refuses_is_one_line(model_dir, tmp_path, capsys):
    xlsx = tmp_path / "in.xlsx"
    pd.DataFrame({"text": ["lampu mati"]}).to_excel(xlsx, index=False)
    for args, message in [([str(xlsx), "--engine", "dask"], "XLSX files and JSON arrays are read whole"),
                          ([str(xlsx), "--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask")]:
        assert main(["predict", "--model", str(model_dir), *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
