"""The `aduan` command line: train, predict, and the commands that later issues add.

Every expected failure (bad file, bad config, missing model or data) ends with one readable line
on stderr and a non-zero exit code; set ADUAN_DEBUG=1 to see the traceback instead.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import pandas as pd

from classifier.model import ModelNotFound, find_latest_model
from aduan.batch import BatchInputError, BatchJob, progress_bar, run_local
from aduan.parallel import default_jobs, map_ordered
from classifier.predict import load_model
from classifier.registry import ModelRegistry, RegistryError
from classifier.duplicates import DEFAULT_THRESHOLD as DUPLICATE_THRESHOLD
from classifier.duplicates import DEFAULT_WINDOW_DAYS as DUPLICATE_WINDOW_DAYS
from classifier.table_output import TableWriter, output_suffix
from classifier.tables import BadRowError, TableError, read_table
from training.config import PRIMARY_METRICS, ConfigError, TrainingConfig
from training.data_dir import DataDirNotFound, resolve_data_dir
from training.readers import DataError, require_columns

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
EXIT_USAGE = 2

log = logging.getLogger("aduan")


class CliError(Exception):
    """An error worded for the user; printed as one line."""


def models_dir() -> Path:
    return Path(os.environ.get("ADUAN_MODELS_DIR", "models"))


def resolve_model(path: str | None) -> Path:
    return Path(path) if path else find_latest_model(models_dir())


def warn(message: str) -> None:
    print(f"aduan: warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- train
def cmd_train(args: argparse.Namespace) -> int:
    from training.train import train

    config = TrainingConfig.from_toml(args.config or DEFAULT_CONFIG)
    data_dir = resolve_data_dir(args.data_dir)
    out = args.output or os.environ.get("ADUAN_MODELS_DIR")
    target = train(config, data_dir, Path(out) if out else None, log=lambda m: print(m, file=sys.stderr))
    registry = ModelRegistry(target.parent)
    production = registry.production()
    if production is None:  # the first model becomes production; later ones through retrain or promote
        registry.promote(target.name, "first production model (aduan train)")
        print(f"{target.name} promoted to production (there was none)", file=sys.stderr)
    else:
        print(f"production stays {production}; to serve {target.name}: aduan models promote {target.name}",
              file=sys.stderr)
    return 0


# ---------------------------------------------------------------- predict
def read_input_table(path: str, skip_bad_lines: bool, text_col: str | None = None) -> pd.DataFrame:
    """The input file; malformed rows refuse it, or with --skip-bad-lines are skipped and listed on stderr."""
    try:
        table = read_table(path, on_bad_lines="skip" if skip_bad_lines else "error")
    except BadRowError as exc:
        raise CliError(f"{exc} (--skip-bad-lines skips malformed rows)") from None
    if table.skipped:
        warn(f"{path}: {table.skipped_summary()}")
    frame = table.frame
    if text_col is not None:
        require_columns(frame, [text_col], path)
    if frame.empty:
        raise DataError(f"{path}: no rows")
    return frame


def run_batch(job: BatchJob, args: argparse.Namespace) -> int:
    """Read, predict and write in chunks, here (forked workers) or on a Dask cluster (--engine dask)."""
    if args.output:
        output_suffix(args.output)  # refused before anything is read
    on_bad_lines = "skip" if args.skip_bad_lines else "error"
    if args.scheduler and args.engine != "dask":
        raise CliError("--scheduler needs --engine dask")
    try:
        if args.engine == "dask":
            from aduan.dask_engine import run_dask  # dask loads only for this engine

            summary = run_dask(job, args.input, args.output, resolve_model(args.model), scheduler=args.scheduler,
                               workers=args.jobs, on_bad_lines=on_bad_lines, progress=progress_bar)
        else:
            summary = run_local(job, args.input, args.output, resolve_model(args.model), jobs=args.jobs,
                                on_bad_lines=on_bad_lines, progress=progress_bar)
    except BadRowError as exc:
        raise CliError(f"{exc} (--skip-bad-lines skips malformed rows)") from None
    if summary.skipped:
        warn(f"{args.input}: {summary.skipped}")
    for message in job.warnings(summary.counts, summary.columns):
        warn(message)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    return run_batch(BatchJob("predict", args.text_col, args.known_topic_col, args.explain), args)


def cmd_sentiment(args: argparse.Namespace) -> int:
    return run_batch(BatchJob("sentiment", args.text_col), args)


# ---------------------------------------------------------------- ikm
IKM_OUTPUTS = (".html", ".json", ".csv", ".pdf")  # .pdf: the HTML printed by headless Chromium (aduan/html_pdf.py)


def survey_sentiment(model_path: str | None):
    """Sentiment labels from the model, or None (report without sentiment) when no default model exists."""
    try:
        model = load_model(resolve_model(model_path))
    except ModelNotFound:
        if model_path:  # a model the user named must exist
            raise
        return None
    return lambda texts: [p.label for p in model.sentiment(texts)]


def cmd_ikm(args: argparse.Namespace) -> int:
    from classifier.ikm_report import IkmInputError, build_report, render_csv, render_html, render_json

    suffix = Path(args.output).suffix.lower() if args.output else ".json"
    if suffix not in IKM_OUTPUTS:
        raise CliError(f"-o {args.output}: unsupported output type {suffix!r}; use .html, .json, .csv or .pdf")
    browser = None
    if suffix == ".pdf":  # before the survey is read: a missing browser is known at once
        from aduan.html_pdf import PdfUnavailable, find_chromium, html_to_pdf
        try:
            browser = find_chromium()
        except PdfUnavailable as exc:
            raise CliError(f"-o {args.output}: {exc}") from None
    frame = read_input_table(args.input, args.skip_bad_lines)
    try:
        report = build_report(frame, by=args.by.split(",") if args.by else (), sentiment=survey_sentiment(args.model),
                              weight=args.weight, population=args.population, comment_col=args.comment_col)
    except IkmInputError as exc:
        raise CliError(f"{args.input}: {exc}") from None
    for message in report.warnings:
        warn(message)
    if browser is not None:
        try:
            html_to_pdf(render_html(report), Path(args.output), browser)
        except PdfUnavailable as exc:
            raise CliError(f"-o {args.output}: {exc}") from None
        return 0
    render = {".html": render_html, ".json": render_json, ".csv": render_csv}[suffix]
    if args.output:
        Path(args.output).write_text(render(report), encoding="utf-8")
    else:
        sys.stdout.write(render(report) + "\n")
    return 0


# ---------------------------------------------------------------- group
MASK_BATCH = 5000


def masked_texts(texts: list) -> list[str]:
    from classifier.pii import mask_pii

    return [mask_pii(str(t)) for t in texts]


def cmd_group(args: argparse.Namespace) -> int:
    from classifier.duplicates import OUTPUT_COLUMNS, DuplicateGrouper, DuplicateInputError

    if args.output:
        output_suffix(args.output)  # refused before anything is read
    frame = read_input_table(args.input, args.skip_bad_lines, "text")
    if "created_at" not in frame.columns:
        warn(f"{args.input}: no created_at column: complaints are grouped whatever their dates (no time window)")
    # Masking is the slowest step: spread over processes.
    texts = frame["text"].fillna("").astype(str).tolist()
    batches = [texts[start:start + MASK_BATCH] for start in range(0, len(texts), MASK_BATCH)]
    masked = [text for _, part in map_ordered(masked_texts, batches, args.jobs) for text in part]
    try:
        grouper = DuplicateGrouper(threshold=args.threshold, window_days=args.window_days, masked=True)
        groups = grouper.fit_predict(frame.assign(text=masked))
    except DuplicateInputError as exc:
        raise CliError(f"{args.input}: {exc}") from None
    except ValueError as exc:  # a threshold or window out of range
        raise CliError(str(exc)) from None
    grouped = groups["group_size"] > 1
    print(f"{len(frame)} complaints: {int(grouped.sum())} in {groups.loc[grouped, 'group_id'].nunique()} group(s) of "
          f"near-duplicates (cosine >= {args.threshold}, at most {args.window_days:g} days apart)", file=sys.stderr)
    clash = [c for c in OUTPUT_COLUMNS if c in frame.columns]
    if clash:
        warn(f"input column(s) {clash} are replaced by the grouping")
    with TableWriter(args.output) as writer:
        writer.write(pd.concat([frame.drop(columns=clash), groups], axis=1))
    return 0


# ---------------------------------------------------------------- drift
def cmd_drift(args: argparse.Namespace) -> int:
    from aduan.drift_command import (DRIFT_OUTPUTS, current_predictions, labeled_reference, model_reference)
    from classifier.drift import DriftInputError, Reference, build_report
    from classifier.drift_report import render_html, render_json

    suffix = Path(args.output).suffix.lower() if args.output else ".json"
    if suffix not in DRIFT_OUTPUTS:
        raise CliError(f"-o {args.output}: unsupported output type {suffix!r}; use .html or .json")
    model_path = resolve_model(args.model)
    model = load_model(model_path)
    try:
        if args.reference is None:
            reference = Reference.from_metadata(model.bundle.metadata, f"model {model.version}")
        elif Path(args.reference).is_dir():
            reference = model_reference(Path(args.reference))
        else:
            reference = labeled_reference(read_input_table(args.reference, args.skip_bad_lines), args.reference,
                                          args.text_col, model.bundle.normalizer)
        current = current_predictions(read_input_table(args.current, args.skip_bad_lines), args.current,
                                      args.text_col, args.date_col, model, args.jobs)
    except DriftInputError as exc:
        raise CliError(str(exc)) from None
    report = build_report(reference, current)
    text = render_html(report) if suffix == ".html" else render_json(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    reasons = "; ".join(report.retrain["reasons"])
    verdict = f"retraining advised: {reasons}" if report.retrain["advised"] else \
        "no retraining needed" + (f" ({reasons})" if reasons else "")
    print(f"{report.current['complaints']} complaints vs {reference.source}: {verdict}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- models, retrain
def primary_metrics_of(metadata: dict) -> list[str]:
    """"topic frequent_macro_f1 0.8120" per task, with the metrics the model's own config chose."""
    promotion = (metadata.get("config") or {}).get("promotion") or {}
    chosen = {**PRIMARY_METRICS, **promotion.get("primary_metrics", {})}
    figures = []
    for task, info in metadata.get("tasks", {}).items():
        value = info.get("metrics", {}).get(chosen.get(task))
        figures.append(f"{task} {chosen.get(task, '?')} " + ("-" if value is None else f"{value:.4f}"))
    return figures


def cmd_models(args: argparse.Namespace) -> int:
    registry = ModelRegistry(models_dir())
    if args.action == "promote":
        registry.promote(args.version, args.reason)
        print(f"{args.version} is production; every worker of a running API serves it within "
              "ADUAN_MODEL_SYNC_SECONDS (5 s)")
    elif args.action == "rollback":
        print(f"rolled back: {registry.rollback()} is production; every worker of a running API serves it "
              "within ADUAN_MODEL_SYNC_SECONDS (5 s)")
    elif args.action == "show":
        show_model(registry, args.version)
    else:
        production = registry.production()
        versions = registry.versions()
        for v in versions:
            marker = "*" if v.version == production else " "
            print(f"{marker} {v.version}  {v.created_at}  {', '.join(primary_metrics_of(v.metadata))}")
        if not versions:
            print(f"no models under {registry.models_dir}")
        elif production is None:
            print(f"(nothing promoted: the newest, {versions[0].version}, is served)")
        else:
            print("* production")
    return 0


def show_model(registry: ModelRegistry, version: str) -> None:
    model = registry.show(version)
    meta = model.metadata
    promotions = [h for h in registry.state()["history"] if h.get("version") == version]
    print(f"version     {version}{' (production)' if registry.production() == version else ''}")
    print(f"path        {model.path}")
    print(f"created_at  {model.created_at}  ({meta.get('training_seconds', '?')} s of training)")
    for path, digest in meta.get("data_files", {}).items():
        print(f"data        {path}  sha256 {digest[:12]}")
    for entry in promotions:
        print(f"promoted    {entry.get('promoted_at')}  {entry.get('reason', '')}")
    for task, info in meta.get("tasks", {}).items():
        metrics = info.get("metrics", {})
        figures = ", ".join(f"{k} {metrics[k]:.4f}" for k in
                            ("accuracy", "macro_f1", "frequent_accuracy", "frequent_macro_f1") if k in metrics)
        print(f"{task:<11} {info.get('n_train', '?')} rows + {info.get('n_extra', 0)} corrections, "
              f"{len(info.get('labels', []))} labels; {figures} ({metrics.get('split', 'no split recorded')})")


def cmd_retrain(args: argparse.Namespace) -> int:
    from aduan.reviews import load_reviewed
    from serving.core.config import Settings
    from training.retrain import retrain

    config = TrainingConfig.from_toml(args.config or DEFAULT_CONFIG)
    data_dir = resolve_data_dir(args.data_dir)
    if args.tolerance is not None and not 0 <= args.tolerance < 1:
        raise CliError(f"--tolerance {args.tolerance}: expected a number in [0, 1)")
    reviewed = load_reviewed(Settings().database_url, config.retrain)
    result = retrain(config, data_dir, reviewed, ModelRegistry(models_dir()), args.tolerance,
                     allow_new_labels=args.allow_new_labels, reference=not args.no_reference,
                     log=lambda m: print(m, file=sys.stderr))
    print(result.report())
    if result.decision.promote:
        print("Every worker of a running API serves it within ADUAN_MODEL_SYNC_SECONDS (5 s).")
    return 0


# ---------------------------------------------------------------- serve, keys
def cmd_serve(args: argparse.Namespace) -> int:
    from serving.commands import serve  # the API's dependencies load only for this command

    try:
        serve(args.host, args.port, args.workers, args.model)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from serving.commands import keys

    try:
        return keys(args.action, scopes=getattr(args, "scope", None), name=getattr(args, "name", ""),
                    key_id=getattr(args, "id", None))
    except (ValueError, LookupError) as exc:
        raise CliError(str(exc)) from None


# ---------------------------------------------------------------- routing table
def cmd_routing_table(args: argparse.Namespace) -> int:
    from training.routing_table import build_routing_table

    source = resolve_data_dir(args.data_dir) / args.source
    table = build_routing_table(source, args.topic_col, args.agency_col, args.min_complaints)
    header = (f"Generated by `aduan routing-table` from {args.source} ({len(table)} topics, most frequent\n"
              f"agency per topic; local units as their level). Regenerate, do not edit by hand.")
    if args.output:
        Path(args.output).write_text(table.to_toml(header), encoding="utf-8")
        print(f"{len(table)} topics written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(table.to_toml(header))
    return 0


# ---------------------------------------------------------------- parser
SKIP_BAD_LINES_HELP = ("skip malformed rows (more fields than the header, a broken quote, a line that is not JSON) "
                       "and list them on stderr, instead of refusing the file")


def add_engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=default_jobs(),
                   help="worker processes (default: the CPUs available); with --engine dask and no --scheduler, "
                        "the workers of the local cluster")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this machine, the file streamed in chunks; dask: partitions on a Dask cluster "
                        "(pip install -e '.[dask]')")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="with --engine dask: an existing cluster's scheduler (default: a local cluster); "
                        "its workers must read INPUT at the same path")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aduan", description="Indonesian complaint triage")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train the models of a config (default: configs/default.toml)")
    p.add_argument("--config", help="training config TOML")
    p.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    p.add_argument("--output", help="parent directory of the new model (default: the config's output_dir)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="add topic, agency and urgency columns to a CSV/XLSX/JSONL/Parquet file")
    p.add_argument("input", help="CSV, XLSX, JSONL or Parquet file with a text column")
    p.add_argument("-o", "--output", help=".csv, .jsonl or .parquet (default: JSONL on stdout)")
    p.add_argument("--model", help="model directory (default: the latest under models/)")
    p.add_argument("--text-col", default="text", help="name of the text column (default: text)")
    add_engine_options(p)
    p.add_argument("--explain", action="store_true",
                   help="add topic_cues, agency_cues, urgency_cues: the words that drove each prediction")
    p.add_argument("--known-topic-col", metavar="COLUMN",
                   help="column with a topic already chosen by the reporter or the desk (e.g. topik): "
                        "the agency is then routed with it (see report.md, 'topic known')")
    p.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("sentiment", help="add sentiment (positive / neutral / negative) columns to a "
                                         "CSV/XLSX/JSONL/Parquet file")
    p.add_argument("input", help="CSV, XLSX, JSONL or Parquet file with a text column")
    p.add_argument("-o", "--output", help=".csv, .jsonl or .parquet (default: JSONL on stdout)")
    p.add_argument("--model", help="model directory (default: the latest under models/)")
    p.add_argument("--text-col", default="text", help="name of the text column (default: text)")
    add_engine_options(p)
    p.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    p.set_defaults(func=cmd_sentiment)

    p = sub.add_parser("routing-table", help="generate the topic → agency routing table from labeled complaints")
    p.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    p.add_argument("--source", default="complaints/surabaya/keluhan_2022.csv", help="file under the data dir")
    p.add_argument("--topic-col", default="topik")
    p.add_argument("--agency-col", default="instansi")
    p.add_argument("--min-complaints", type=int, default=1,
                   help="skip topics with fewer complaints (default: 1, as configs/default.toml)")
    p.add_argument("-o", "--output", help="TOML file to write (default: stdout)")
    p.set_defaults(func=cmd_routing_table)

    p = sub.add_parser("ikm", help="IKM report (PermenPANRB 14/2017) from an SKM survey CSV/XLSX")
    p.add_argument("input", help="CSV or XLSX, one row per respondent with answers u1..u9 (1-4)")
    p.add_argument("-o", "--output", help=".html, .json, .csv or .pdf (printed with a locally installed headless "
                                          "Chromium; default: JSON on stdout)")
    p.add_argument("--by", help="comma-separated grouping columns, e.g. unit,period")
    p.add_argument("--population", type=int, help="population size: warn when respondents are below the minimum sample")
    p.add_argument("--weight", choices=("exact", "0.111"), default="exact",
                   help="unsur weight: exact 1/9 (default) or the 0.111 of many published reports")
    p.add_argument("--comment-col", default="comment", help="name of the free-text comment column (default: comment)")
    p.add_argument("--model", help="model directory for comment sentiment (default: the latest under models/)")
    p.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    p.set_defaults(func=cmd_ikm)

    p = sub.add_parser("group", help="group near-duplicate complaints: adds group_id, group_size, duplicate_of")
    p.add_argument("input", help="CSV, XLSX or JSONL with id and text; optional kelurahan, kecamatan, alamat, "
                                 "created_at (ISO date-time)")
    p.add_argument("-o", "--output", help=".csv, .jsonl or .parquet (default: JSON lines on stdout)")
    p.add_argument("--threshold", type=float, default=DUPLICATE_THRESHOLD,
                   help=f"char n-gram TF-IDF cosine from which texts are similar (default: {DUPLICATE_THRESHOLD})")
    p.add_argument("--window-days", type=float, default=DUPLICATE_WINDOW_DAYS,
                   help=f"longest time between two duplicates (default: {DUPLICATE_WINDOW_DAYS:g})")
    p.add_argument("--jobs", type=int, default=default_jobs(), help="processes for masking (default: the CPUs available)")
    p.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    p.set_defaults(func=cmd_group)

    p = sub.add_parser("drift", help="drift report: a file of complaints against what the model was trained on")
    p.add_argument("--current", required=True, help="CSV, XLSX or JSONL of complaints (text; created_at for the "
                                                    "timeline; aduan predict's columns are used when present)")
    p.add_argument("--reference", help="a model directory or a labeled table (text + topic/agency/urgency); "
                                       "default: the model's own training mix and vocabulary")
    p.add_argument("--model", help="model that predicts and normalizes (default: the served one under models/)")
    p.add_argument("-o", "--output", help=".html or .json (default: JSON on stdout)")
    p.add_argument("--text-col", default="text", help="name of the text column (default: text)")
    p.add_argument("--date-col", default="created_at", help="name of the date column (default: created_at)")
    p.add_argument("--jobs", type=int, default=default_jobs(), help="processes for predicting (default: the CPUs available)")
    p.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("models", help="list, show, promote or roll back the models under the models dir")
    models_sub = p.add_subparsers(dest="action", required=True)
    models_sub.add_parser("list", help="versions, newest first; * marks production")
    m = models_sub.add_parser("show", help="summary of one version's model.json")
    m.add_argument("version")
    m = models_sub.add_parser("promote", help="make a version production")
    m.add_argument("version")
    m.add_argument("--reason", default="promoted by hand (aduan models promote)")
    models_sub.add_parser("rollback", help="make the previous production version production again")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("retrain", help="train with the reviewed complaints; promote only if worse on neither the "
                                       "newest reviews nor the base split")
    p.add_argument("--config", help="training config TOML (default: configs/default.toml)")
    p.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    p.add_argument("--tolerance", type=float, help="largest allowed drop of a primary metric (default: the "
                                                   "config's [promotion] tolerance, 0.005)")
    p.add_argument("--allow-new-labels", action="store_true",
                   help="learn labels the production model has never seen (with [retrain] min_examples each)")
    p.add_argument("--no-reference", action="store_true", help="skip the plain TF-IDF + LinearSVC reference")
    p.set_defaults(func=cmd_retrain)

    p = sub.add_parser("serve", help="serve the HTTP API (docs at /docs)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--model", help="model directory (default: the latest under models/)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("keys", help="create, list or revoke API keys")
    keys_sub = p.add_subparsers(dest="action", required=True)
    k = keys_sub.add_parser("create", help="create a key and print it once")
    k.add_argument("--scope", action="append", required=True,
                   help="desk, reporting or admin; repeat for several scopes")
    k.add_argument("--name", default="", help="who or what the key is for")
    keys_sub.add_parser("list", help="list keys (never the secrets)")
    k = keys_sub.add_parser("revoke", help="revoke a key by id")
    k.add_argument("id", type=int, help="key id from `aduan keys list`")
    p.set_defaults(func=cmd_keys)
    return parser


EXPECTED_ERRORS = (CliError, DataError, TableError, BatchInputError, ConfigError, DataDirNotFound, ModelNotFound,
                   RegistryError, FileNotFoundError, PermissionError, IsADirectoryError)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EXPECTED_ERRORS as exc:
        if os.environ.get("ADUAN_DEBUG"):
            raise
        print(f"aduan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise is one readable line, never a traceback
        if os.environ.get("ADUAN_DEBUG"):
            raise
        print(f"aduan: error: {exc.__class__.__name__}: {exc} (set ADUAN_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
