"""Replay of the learning loop on the shared 2022 complaints: does a desk's review work make the next
month better?

    python -m benchmarks.bench_learning_loop [--data-dir DIR] [--base-until 8] [--review-months 9,10]
                                             [--k 200] [--behaviours corrects,accepts,active,random]

The base model learns the months up to --base-until (topic and agency tasks of configs/default.toml,
its data cut to those months). Then, month by month, for each desk behaviour in its own API (in
process, through TestClient: classify-batch, feedback, review-queue, models/reload) and feedback store:
the month is classified with its location fields (no known topic), the desk reviews it, `aduan
retrain`'s function retrains on everything reviewed so far (new labels allowed, the reference skipped
for time) and the API reloads what it promoted; the next month is classified by that model. Stored
predictions carry the complaint's date, so recency weights and the newest-slice gate see replayed time.

Desk behaviours: corrects (fixes only the wrong topic / agency of every complaint), accepts (also
accepts the right ones), active (reviews the top --k of GET /v1/review-queue: corrects and accepts),
random (reviews --k random complaints the same way). "none" never retrains. Printed: each month's
scores per behaviour and the gain over "none" (agency exact, agency among agencies with >= 50 base
rows, exact kelurahan / kecamatan unit, topic accuracy, topic macro-F1), and whether retrain promoted.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient
from sklearn.metrics import f1_score
from sqlalchemy import update

from aduan.reviews import load_reviewed
from classifier.registry import ModelRegistry
from classifier.router import agency_level
from serving.core.config import Settings
from serving.db.models import Prediction
from serving.keys import create_key
from serving.main import create_app
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.retrain import retrain
from training.train import train

COMPLAINTS = "complaints/surabaya/keluhan_2022.csv"
BASE_FILE = "complaints/surabaya/replay_base.csv"
LOCATION = ("alamat", "kecamatan", "kelurahan")
BEHAVIOURS = ("corrects", "accepts", "active", "random")
FREQUENT_MIN = 50


def replay_data_dir(data_dir: Path, base: pd.DataFrame, tmp: Path) -> Path:
    """A data dir whose complaints file holds the base months only; lookups and lexicons linked."""
    root = tmp / "data"
    (root / "complaints/surabaya").mkdir(parents=True)
    (root / "complaints/surabaya/lookups").symlink_to(data_dir / "complaints/surabaya/lookups")
    (root / "lexicons").symlink_to(data_dir / "lexicons")
    base.to_csv(root / BASE_FILE, index=False)
    return root


def replay_config(path: str) -> TrainingConfig:
    data = TrainingConfig.from_toml(path).to_dict()
    data["tasks"] = {name: data["tasks"][name] for name in ("topic", "agency")}
    for task in data["tasks"].values():
        for source in task["sources"]:
            source["path"] = BASE_FILE
    data["routing_table"]["source"] = BASE_FILE
    return TrainingConfig.from_dict(data)


class Desk:
    """One behaviour: its own API, feedback store and models dir."""

    def __init__(self, name: str, tmp: Path, base_model: Path):
        self.name = name
        self.models = tmp / name / "models"
        shutil.copytree(base_model.parent, self.models)
        self.url = f"sqlite:///{tmp / name / 'api.db'}"
        self.app = create_app(Settings(database_url=self.url, models_dir=self.models))
        with self.app.state.sessions() as session:
            self.key = {"X-API-Key": create_key(session, ["desk", "admin"], name=name).key}
        self.client = TestClient(self.app)
        self.rejected = Counter()
        self.promotions: list[str] = []

    def classify(self, month: pd.DataFrame) -> list[dict]:
        results = []
        for start in range(0, len(month), 1000):
            part = month.iloc[start:start + 1000]
            complaints = [{"text": text, **{f: str(row[f]) for f in LOCATION if isinstance(row[f], str)}}
                          for text, (_, row) in zip(part["keluhan"], part.iterrows())]
            answer = self.client.post("/v1/complaints/classify-batch", headers=self.key, json={"complaints": complaints})
            answer.raise_for_status()
            results += answer.json()["results"]
        with self.app.state.sessions() as session:  # replayed time: the complaint's own date
            for result, date in zip(results, month["date"]):
                session.execute(update(Prediction).where(Prediction.id == result["prediction_id"])
                                .values(created_at=date.to_pydatetime()))
            session.commit()
        return results

    def review(self, result: dict, truth: dict, accept: bool) -> None:
        for field in ("topic", "agency"):
            if result[field]["label"] == truth[field]:
                body = {"kind": "accept"} if accept else None
            else:
                body = {"correct_value": truth[field]}
            if body is None:
                continue
            answer = self.client.post("/v1/feedback", headers=self.key,
                                      json={"prediction_id": result["prediction_id"], "field": field, **body})
            if answer.status_code == 422 and "new_label" in answer.text:  # a label the model does not know yet
                answer = self.client.post("/v1/feedback", headers=self.key, json={
                    "prediction_id": result["prediction_id"], "field": field, **body, "new_label": True})
            if answer.status_code != 201:
                self.rejected[(field, answer.status_code)] += 1

    def queue(self, n_month: int, k: int) -> list[str]:
        answer = self.client.get("/v1/review-queue", headers=self.key, params={"limit": k, "scan": n_month})
        answer.raise_for_status()
        return [item["prediction_id"] for item in answer.json()["items"]]

    def retrain(self, config: TrainingConfig, data_dir: Path) -> None:
        result = retrain(config, data_dir, load_reviewed(self.url, config.retrain), ModelRegistry(self.models),
                         allow_new_labels=True, reference=False, log=lambda m: None)
        self.promotions.append("promoted" if result.decision.promote else f"refused: {result.decision.reason}")
        self.client.post("/v1/models/reload", headers=self.key, json={}).raise_for_status()


def scores(results: list[dict], month: pd.DataFrame, frequent: set[str]) -> dict[str, float]:
    agency = [r["agency"]["label"] for r in results]
    topic = [r["topic"]["label"] for r in results]
    truth_agency, truth_topic = month["instansi"].tolist(), month["topik"].tolist()

    def accuracy(pairs):
        pairs = list(pairs)
        return sum(p == t for p, t in pairs) / len(pairs) if pairs else float("nan")

    return {
        "agency": accuracy(zip(agency, truth_agency)),
        "agency_frequent": accuracy((p, t) for p, t in zip(agency, truth_agency) if t in frequent),
        "local_unit": accuracy((p, t) for p, t in zip(agency, truth_agency) if agency_level(t) != t),
        "topic": accuracy(zip(topic, truth_topic)),
        "topic_macro_f1": float(f1_score(truth_topic, topic, average="macro", zero_division=0)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--base-until", type=int, default=8, help="last base month (default 8: Jan-Aug)")
    parser.add_argument("--review-months", default="9,10", help="months reviewed, each scored on the next")
    parser.add_argument("--k", type=int, default=200, help="complaints reviewed per month by active / random")
    parser.add_argument("--behaviours", default=",".join(BEHAVIOURS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data_dir = resolve_data_dir(args.data_dir)
    frame = pd.read_csv(data_dir / COMPLAINTS).dropna(subset=["keluhan", "topik", "instansi"])
    frame["date"] = pd.to_datetime(frame["tanggal_keluhan"], errors="coerce")
    frame = frame.dropna(subset=["date"]).sort_values("date", kind="stable")
    frame["month"] = frame["date"].dt.month
    months = [int(m) for m in args.review_months.split(",")]
    scored = months[1:] + [months[-1] + 1]
    behaviours = args.behaviours.split(",")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = frame[frame["month"] <= args.base_until]
        replay_dir = replay_data_dir(data_dir, base.drop(columns=["date", "month"]), tmp)
        config = replay_config(args.config)
        base_model = train(config, replay_dir, tmp / "base" / "models", log=lambda m: None)
        ModelRegistry(base_model.parent).promote(base_model.name, "replay base")
        print(f"base: months 1-{args.base_until}, {len(base)} complaints, trained in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        frequent = {a for a, n in Counter(base["instansi"]).items() if n >= FREQUENT_MIN}
        desks = {name: Desk(name, tmp, base_model) for name in ["none"] + behaviours}
        table = []
        for month_number in sorted(set(months + scored)):
            month = frame[frame["month"] == month_number]
            for name, desk in desks.items():
                if name == "none" and month_number not in scored:
                    continue
                results = desk.classify(month)
                if month_number in scored:
                    table.append((month_number, name, scores(results, month, frequent)))
                if month_number not in months or name == "none":
                    continue
                truth = [{"topic": t, "agency": a} for t, a in zip(month["topik"], month["instansi"])]
                if name in ("corrects", "accepts"):
                    chosen = range(len(results))
                else:
                    ids = (desk.queue(len(results), args.k) if name == "active"
                           else rng.sample([r["prediction_id"] for r in results], min(args.k, len(results))))
                    position = {r["prediction_id"]: i for i, r in enumerate(results)}
                    chosen = [position[i] for i in ids]
                for i in chosen:
                    desk.review(results[i], truth[i], accept=name != "corrects")
                desk.retrain(config, replay_dir)
                print(f"month {month_number} {name}: reviewed {len(chosen)}, retrain {desk.promotions[-1]} "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        for desk in desks.values():
            desk.client.close()
    print_table(table, scored)
    for name, desk in desks.items():
        if desk.rejected:
            print(f"{name}: feedback refused: {dict(desk.rejected)}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


def print_table(table: list, scored: list[int]) -> None:
    keys = ("agency", "agency_frequent", "local_unit", "topic", "topic_macro_f1")
    none = {month: s for month, name, s in table if name == "none"}
    print(f"\n{'month':<6}{'behaviour':<10}" + "".join(f"{k:>17}" for k in keys))
    for month, name, s in table:
        cells = "".join(f"{s[k]:>9.3f}" + (f" ({s[k] - none[month][k]:+.3f})" if name != "none" else " " * 8)
                        for k in keys)
        print(f"{month:<6}{name:<10}{cells}")


if __name__ == "__main__":
    sys.exit(main())
