"""`aduan predict` and `aduan sentiment` on a table of any size.

A ``BatchJob`` turns one chunk of the input table into its output chunk (the input columns, then the
prediction columns). The local engine reads the file in chunks (``classifier.table_stream``), predicts
them in forked workers (``aduan.parallel``) and writes them in input order (``classifier.table_output``),
so memory holds a few chunks, never the file; ``aduan.dask_engine`` runs the same job on a cluster.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from aduan.parallel import map_ordered
from classifier.predict import EXPLANATION_COLUMNS, MAX_TEXT_CHARS, PREDICTION_COLUMNS, TaskNotTrained, load_model
from classifier.table_output import TableWriter
from classifier.table_stream import CHUNK_ROWS, TableStream
from classifier.tables import TableLimits

LOCATION_COLUMNS = ("alamat", "kecamatan", "kelurahan")
SENTIMENT_COLUMNS = ["sentiment", "sentiment_confidence", "language"]
# Streamed inputs are bounded by the chunk in memory, not by the file: rows are not limited either.
STREAM_LIMITS = TableLimits(max_rows=sys.maxsize)


class BatchInputError(ValueError):
    """The input cannot be triaged as asked (a column or the model's task is missing)."""


@dataclass
class ChunkCounts:
    """What the warnings at the end of a run add up."""

    rows: int = 0
    empty: int = 0
    too_long: int = 0

    def add(self, other: "ChunkCounts") -> None:
        self.rows += other.rows
        self.empty += other.empty
        self.too_long += other.too_long


@dataclass(frozen=True)
class BatchJob:
    """``command`` is "predict" (topic, agency, urgency) or "sentiment"."""

    command: str
    text_col: str = "text"
    known_topic_col: str | None = None
    explain: bool = False

    @property
    def columns(self) -> list[str]:
        if self.command == "sentiment":
            return SENTIMENT_COLUMNS
        return PREDICTION_COLUMNS + (EXPLANATION_COLUMNS if self.explain else [])

    def check_columns(self, columns, source: str) -> None:
        if self.text_col not in columns:
            raise BatchInputError(f"{source}: missing column {self.text_col!r} "
                                  f"(columns present: {', '.join(map(repr, columns))})")
        if self.known_topic_col and self.known_topic_col not in columns:
            raise BatchInputError(f"--known-topic-col: no column '{self.known_topic_col}' in {source}")

    def check_model(self, model) -> None:
        if self.command == "sentiment" and "sentiment" not in model.tasks:
            raise BatchInputError(str(TaskNotTrained(f"model {model.version} has no sentiment model: "
                                                     "add [tasks.sentiment] and retrain")))

    def payload(self, frame: pd.DataFrame) -> tuple[list, ChunkCounts]:
        """What the model needs from a chunk (it crosses to the workers), and its counts."""
        texts = frame[self.text_col].fillna("").astype(str)
        empty = (texts.str.strip() == "").to_numpy()
        counts = ChunkCounts(len(frame), int(empty.sum()), int((texts.str.len() > MAX_TEXT_CHARS).sum()))
        if self.command == "sentiment":
            return [None if blank else text for text, blank in zip(texts.tolist(), empty)], counts
        inputs = {c: c for c in LOCATION_COLUMNS if c in frame.columns}
        if self.known_topic_col:
            inputs["known_topic"] = self.known_topic_col
        values = [frame[c].fillna("").astype(str).tolist() for c in inputs.values()]
        return [{"text": text, **dict(zip(inputs, row))} for text, *row in zip(texts.tolist(), *values)], counts

    def predict(self, model, payload: list) -> list:
        """Plain rows (dicts or tuples), cheap to send back from a worker process."""
        if not payload:  # a chunk whose rows were all skipped
            return []
        if self.command == "sentiment":
            texts = [t for t in payload if t is not None]
            predictions = iter(model.sentiment(texts) if texts else [])
            return [None if t is None else _sentiment_row(next(predictions)) for t in payload]
        return [{**p.to_row(), **(p.explanation_row() if self.explain else {})}
                for p in model.predict(payload, explain=self.explain)]

    def output(self, frame: pd.DataFrame, rows: list) -> pd.DataFrame:
        """Every input column in input order, then the prediction columns (which win a name clash)."""
        if self.command == "sentiment":
            predictions = pd.DataFrame([("", "", "") if r is None else r for r in rows], columns=self.columns,
                                       index=frame.index, dtype=object)
        else:
            predictions = pd.DataFrame(rows, columns=self.columns, index=frame.index)
        clash = [c for c in self.columns if c in frame.columns]
        return pd.concat([frame.drop(columns=clash), predictions], axis=1)

    def warnings(self, counts: ChunkCounts, input_columns) -> list[str]:
        found = []
        clash = [c for c in self.columns if c in input_columns]
        if clash:
            found.append(f"input column(s) {clash} are replaced by the prediction")
        if counts.empty:
            consequence = "sentiment left empty" if self.command == "sentiment" else "predicted as needing review"
            found.append(f"{counts.empty} row(s) with an empty '{self.text_col}': {consequence}")
        if counts.too_long:
            found.append(f"{counts.too_long} text(s) longer than {MAX_TEXT_CHARS} characters: only the start was used")
        return found


def _sentiment_row(prediction) -> tuple:
    return prediction.label, round(prediction.confidence, 4), prediction.language


@dataclass
class RunSummary:
    counts: ChunkCounts = field(default_factory=ChunkCounts)
    columns: list = field(default_factory=list)
    skipped: str | None = None  # tables.skipped_summary of the input


def run_local(job: BatchJob, input_path: str, output: str | None, model_path: Path, *, jobs: int,
              on_bad_lines: str = "error", chunk_rows: int = CHUNK_ROWS,
              progress: Callable | None = None) -> RunSummary:
    """Read, predict and write ``input_path`` chunk by chunk; ``progress(stream)`` wraps the loop (a bar)."""
    stream = TableStream(input_path, chunk_rows=chunk_rows, limits=STREAM_LIMITS, on_bad_lines=on_bad_lines)
    chunks = iter(stream)
    first = next(chunks)
    job.check_columns(first.columns, input_path)  # before the model loads: a wrong column fails fast
    if first.empty:
        raise BatchInputError(f"{input_path}: no rows")
    model = load_model(model_path)
    job.check_model(model)
    # The model's lazy parts (py3langid's model, lexicon maps) load here, once, before workers are forked.
    job.predict(model, job.payload(first.head(1).assign(**{job.text_col: "jalan rusak, lampu mati"}))[0])
    summary = RunSummary(columns=list(first.columns))

    def batches():
        for frame in _chain(first, chunks):
            payload, counts = job.payload(frame)
            yield frame, payload, counts

    with TableWriter(output) as writer, (progress or no_progress)(stream) as advance:
        for (frame, _, counts), rows in map_ordered(partial(job.predict, model), batches(), jobs,
                                                    send=lambda batch: batch[1]):
            writer.write(job.output(frame, rows))
            summary.counts.add(counts)
            advance()
    summary.skipped = stream.skipped_summary()
    return summary


def _chain(first, rest):
    yield first
    yield from rest


@contextmanager
def progress_bar(stream) -> Iterator[Callable[[], None]]:
    """A tqdm bar on stderr over the input read so far (bytes, or rows); silent when stderr is no
    terminal. Yields the function that moves it to ``stream.done``."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: workers are forked while the bar runs
    with tqdm(total=stream.total, unit=stream.unit, unit_scale=True, disable=None, file=sys.stderr,
              desc=Path(stream.source).name, leave=False) as bar:
        yield lambda: bar.update(stream.done - bar.n)


@contextmanager
def no_progress(stream) -> Iterator[Callable[[], None]]:
    yield lambda: None
