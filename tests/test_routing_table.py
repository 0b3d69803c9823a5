"""The topic → agency routing table: generated from data, used when there is no agency model."""
import json
from pathlib import Path

import pytest

from aduan.cli import main
from classifier.routing_table import Route, RoutingTable
import classifier

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"


def test_table_is_generated_from_labeled_data(tmp_path):
    out = tmp_path / "routes.toml"
    assert main(["routing-table", "--data-dir", str(FIXTURES), "--source", "complaints_small.csv",
                 "--min-complaints", "3", "-o", str(out)]) == 0
    table = RoutingTable.load(out)
    assert table.get("Lampu Jalan").agency == "Dinas Perhubungan"
    assert table.get("Lampu Jalan").share == 1.0 and table.get("Lampu Jalan").complaints == 8
    # 8 of the 12 "Permasalahan Wilayah" complaints went to a kelurahan: stored as the level
    wilayah = table.get("Permasalahan Wilayah")
    assert wilayah.agency == "Kelurahan" and round(wilayah.share, 3) == 0.667
    assert "do not edit by hand" in out.read_text()
    assert wilayah.counts == {"Kelurahan": 8, "Kecamatan": 4}


def test_agency_prior_follows_the_counts_and_keeps_every_agency_possible():
    table = RoutingTable({"Wilayah": Route("Kelurahan", 0.75, 4, {"Kelurahan": 3, "Dinas Sosial": 1})})
    prior = table.agency_prior("Wilayah", ["Dinas Sosial", "Kecamatan", "Kelurahan"], smoothing=0.3)
    assert prior == pytest.approx([1.1 / 4.3, 0.1 / 4.3, 3.1 / 4.3])
    assert table.agency_prior("Tidak Ada", ["Dinas Sosial"]) is None and table.agency_prior(None, ["x"]) is None
    assert table.get("  wilayah ") is table.get("WILAYAH") is table.routes["Wilayah"]  # case and spacing


def test_toml_round_trip_keeps_the_counts(tmp_path):
    table = RoutingTable({'Sampah "liar"': Route("Dinas Lingkungan Hidup", 0.8, 5,
                                                  {"Dinas Lingkungan Hidup": 4, "Kelurahan": 1})})
    path = tmp_path / "routes.toml"
    path.write_text(table.to_toml("generated"), encoding="utf-8")
    assert RoutingTable.load(path).routes == table.routes


def test_topic_only_deployment_routes_through_the_table(tmp_path):
    routes = tmp_path / "routes.toml"
    main(["routing-table", "--data-dir", str(FIXTURES), "--source", "complaints_small.csv",
          "--min-complaints", "3", "-o", str(routes)])
    config = tmp_path / "topic_only.toml"
    text = (FIXTURES / "config_small.toml").read_text()
    config.write_text(f'routing_table = {{ file = "{routes}" }}\n' + text[:text.index("[tasks.agency]")])
    assert main(["train", "--config", str(config), "--data-dir", str(FIXTURES), "--output", str(tmp_path)]) == 0
    [model_dir] = [p.parent for p in tmp_path.glob("*/model.json")]
    assert "agency" not in json.loads((model_dir / "model.json").read_text())["tasks"]
    [p] = classifier.load_model(model_dir).predict(["sampah menumpuk tidak diangkut petugas"])
    assert p.topic.label == "Sampah" and p.agency.label == "Dinas Lingkungan Hidup"
    assert p.agency.explanation == ["routing table: topic Sampah"]


def test_table_can_be_built_at_training_time(tmp_path):
    config = tmp_path / "from_source.toml"
    text = (FIXTURES / "config_small.toml").read_text()
    config.write_text('routing_table = { source = "complaints_small.csv", topic = "topik", agency = "instansi", '
                      'min_complaints = 3 }\n' + text)
    assert main(["train", "--config", str(config), "--data-dir", str(FIXTURES), "--output", str(tmp_path)]) == 0
    [meta] = [json.loads(p.read_text()) for p in tmp_path.glob("*/model.json")]
    assert meta["routing_table"]["Sampah"] == {"agency": "Dinas Lingkungan Hidup", "share": 1.0, "complaints": 8,
                                               "counts": {"Dinas Lingkungan Hidup": 8}}


def test_routing_table_config_needs_exactly_one_origin(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('routing_table = { topic = "topik" }\n' + (FIXTURES / "config_small.toml").read_text())
    assert main(["train", "--config", str(config), "--data-dir", str(FIXTURES), "--output", str(tmp_path)]) == 2
    assert "routing_table: set exactly one of source" in capsys.readouterr().err
