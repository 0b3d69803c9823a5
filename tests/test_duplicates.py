"""Near-duplicate grouping: the n-gram vectors, the exact all-pairs search, the place and time rules,
the incremental index, `aduan group` and the API (duplicate_of in classify, GET /v1/complaints/groups).
Every text here is invented."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from fastapi.testclient import TestClient

from aduan.cli import main
from api_support import app, client, keys, make_app, models_dir, new_key  # noqa: F401 (fixtures)
from classifier import char_ngrams, duplicate_index
from classifier.char_ngrams import CharNgramTfidf, comparable_text, hashed_counts
from classifier.duplicate_index import DuplicateIndex
from classifier.duplicates import DuplicateGrouper, DuplicateInputError, Places, find_links
from classifier.char_ngrams import prefix_bounds, prefixes, rarest_first
from classifier.duplicates import candidate_pairs

LAMP = "Lampu penerangan jalan di gang Melati tiga sudah mati empat hari, mohon segera diganti petugas"
LAMP_AGAIN = "lampu penerangan jalan di gang melati tiga sudah mati 4 hari mohon segera diganti petugas ya"
DRAIN = "Saluran got depan pasar tersumbat plastik, air meluap ke jalan tiap kali hujan deras"
WORDS = ("lampu jalan mati gang saluran got banjir sampah tumpuk pohon tumbang kabel putus trotoar rusak "
         "parkir liar pasar taman anjing liar bau asap bakar jembatan retak").split()


def complaint(id_, text, kelurahan="Airlangga", kecamatan="Gubeng", created_at="2024-03-01T08:00:00", alamat=""):
    return {"id": id_, "text": text, "kelurahan": kelurahan, "kecamatan": kecamatan, "alamat": alamat,
            "created_at": created_at}


def random_texts(n, seed=0):
    rng = np.random.default_rng(seed)
    base = [" ".join(rng.choice(WORDS, size=12)) for _ in range(n // 3)]
    # Variants: a base text with one word swapped, so that similarities spread over the whole range.
    out = []
    for k in range(n):
        words = base[k % len(base)].split()
        for _ in range(int(rng.integers(0, 5))):
            words[int(rng.integers(len(words)))] = str(rng.choice(WORDS))
        out.append(" ".join(words))
    return out


# ---------------------------------------------------------------- vectors and the exact search
def test_comparable_text_masks_lowercases_and_drops_punctuation():
    text = comparable_text("Hubungi SAYA di 0812-3456-7890!!\\nTerima kasih.")
    assert "[telepon]" in text and "0812" not in text
    assert text == text.lower() and "!" not in text and "\\n" not in text


def test_a_text_gets_the_same_counts_alone_as_in_a_batch_of_any_chunking(monkeypatch):
    texts = random_texts(30) + ["", "x"]
    together = hashed_counts(texts, (3, 5), 2**20)
    monkeypatch.setattr(char_ngrams, "TEXTS_PER_CHUNK", 7)
    chunked = hashed_counts(texts, (3, 5), 2**20)
    assert (together != chunked).nnz == 0
    alone = hashed_counts([texts[4]], (3, 5), 2**20)
    assert (alone != together[4]).nnz == 0
    assert together[len(texts) - 2].nnz == 0  # an empty text has no n-gram
    # one n-gram per position and length: "ab" padded to " ab " has two 3-grams and one 4-gram
    assert hashed_counts(["ab"], (3, 4), 2**20).sum() == 3


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.9])
def test_the_all_pairs_search_finds_exactly_the_pairs_of_a_brute_force_product(threshold):
    texts = random_texts(240, seed=int(threshold * 10))
    vectorizer = CharNgramTfidf((3, 5), 2**20)
    vectors = vectorizer.fit_transform(texts)
    bounds = prefix_bounds(vectors, rarest_first(vectorizer.document_frequency_), threshold)
    blank = [None] * len(texts)
    links = find_links(vectors, bounds, threshold, 30.0, None, Places.encode(blank, blank, blank))
    brute = sp.triu(vectors @ vectors.T, k=1).tocoo()
    expected = {(i, j) for i, j, c in zip(brute.row, brute.col, brute.data) if c >= threshold}
    assert expected, "the fixture must hold similar pairs"
    assert set(zip(links.left.tolist(), links.right.tolist())) == expected
    assert np.allclose(links.cosine, [(vectors[i] @ vectors[j].T).toarray()[0, 0]
                                      for i, j in zip(links.left, links.right)], atol=1e-5)


@pytest.mark.parametrize("threshold", [0.4, 0.7])
def test_the_bound_from_the_prefixes_is_never_below_the_cosine(threshold):
    vectorizer = CharNgramTfidf((3, 5), 2**20)
    vectors = vectorizer.fit_transform(random_texts(200, seed=5))
    bounds = prefix_bounds(vectors, rarest_first(vectorizer.document_frequency_), threshold, checkpoints=8)
    left, right, pp = candidate_pairs(bounds.cut, np.full(200, -1), None, 30.0)
    exact = (vectors[left].multiply(vectors[right])).sum(axis=1).A.ravel()
    prefix_part = (bounds.cut[left].multiply(bounds.cut[right])).sum(axis=1).A.ravel()
    assert len(left) > 1000 and np.allclose(pp, prefix_part, atol=1e-5)
    assert (bounds.upper_bounds(left, right, pp) >= exact - 1e-5).all()
    assert (bounds.upper_bounds(left, right, pp) < threshold).mean() > 0.5  # and it prunes


def test_prefixes_keep_the_rarest_features_until_the_rest_is_below_the_threshold():
    vectorizer = CharNgramTfidf((3, 3), 2**16)
    vectors = vectorizer.fit_transform(random_texts(20))
    rank = rarest_first(vectorizer.document_frequency_)
    cut = prefixes(vectors, rank, 0.6)
    for row in range(vectors.shape[0]):
        kept = set(cut[row].indices)
        rest = [(rank[f], w) for f, w in zip(vectors[row].indices, vectors[row].data) if f not in kept]
        assert sum(w * w for _, w in rest) < 0.36 + 1e-6
        assert all(rank[f] < min((r for r, _ in rest), default=np.inf) for f in kept)


# ---------------------------------------------------------------- grouping rules
def test_grouping_links_similar_texts_of_one_place_within_the_window():
    frame = pd.DataFrame([
        complaint("a", LAMP, created_at="2024-03-01T08:00:00"),
        complaint("b", LAMP_AGAIN, created_at="2024-03-05T10:00:00"),
        complaint("c", LAMP, kelurahan="Ketabang", kecamatan="Genteng", created_at="2024-03-02T08:00:00"),
        complaint("d", LAMP, created_at="2024-06-01T08:00:00"),  # three months later: a new failure
        complaint("e", DRAIN, created_at="2024-03-02T09:00:00"),
    ] + [complaint(f"x{k}", text) for k, text in enumerate(random_texts(30))])
    groups = DuplicateGrouper(threshold=0.7).fit_predict(frame).set_index(frame["id"])
    assert groups.loc["b", "duplicate_of"] == "a" and groups.loc["a", "duplicate_of"] == ""
    assert groups.loc["a", "group_id"] == groups.loc["b", "group_id"] == "a"
    assert groups.loc["a", "group_size"] == 2
    for alone in ("c", "d", "e"):  # another kelurahan, beyond 30 days, another problem
        assert groups.loc[alone, "group_size"] == 1 and groups.loc[alone, "group_id"] == alone
        assert groups.loc[alone, "duplicate_of"] == ""


def test_groups_chain_and_point_to_the_earliest_whatever_the_row_order():
    frame = pd.DataFrame([complaint("late", LAMP_AGAIN, created_at="2024-03-20T08:00:00"),
                          complaint("middle", LAMP, created_at="2024-03-10T08:00:00"),
                          complaint("first", LAMP, created_at="2024-03-01T08:00:00"),
                          complaint("other", DRAIN)])
    groups = DuplicateGrouper(threshold=0.7).fit_predict(frame).set_index(frame["id"])
    assert groups.loc[["late", "middle"], "duplicate_of"].tolist() == ["first", "first"]
    assert groups.loc["first", "group_size"] == 3


def test_without_a_kelurahan_the_addresses_must_share_a_street_word():
    frame = pd.DataFrame([
        complaint("a", LAMP, kelurahan="", kecamatan="", alamat="Jl. Kenanga 5"),
        complaint("b", LAMP, kelurahan="", kecamatan="", alamat="jalan kenanga gang 2"),
        complaint("c", LAMP, kelurahan="", kecamatan="", alamat="Jl. Anggrek 9"),
        complaint("d", LAMP, kelurahan="", kecamatan="", alamat=""),  # no address: compatible with any
    ])
    groups = DuplicateGrouper(threshold=0.9).fit(frame)
    linked = {tuple(sorted((frame["id"][i], frame["id"][j]))) for i, j in zip(groups.links_.left, groups.links_.right)}
    assert linked == {("a", "b"), ("a", "d"), ("b", "d"), ("c", "d")}


def test_without_created_at_there_is_no_window():
    frame = pd.DataFrame([{"id": 1, "text": LAMP}, {"id": 2, "text": LAMP_AGAIN}])
    groups = DuplicateGrouper(threshold=0.7).fit_predict(frame)
    assert groups["group_size"].tolist() == [2, 2] and groups["duplicate_of"].tolist() == ["", "1"]


@pytest.mark.parametrize("frame, words", [
    (pd.DataFrame({"text": [LAMP]}), "missing column 'id'"),
    (pd.DataFrame({"id": ["1", "1"], "text": [LAMP, DRAIN]}), "'1' occurs more than once"),
    (pd.DataFrame({"id": ["1", ""], "text": [LAMP, DRAIN]}), "id: row 2 is empty"),
    (pd.DataFrame({"id": ["1", "2"], "text": [LAMP, DRAIN], "created_at": ["2024-03-01", "kemarin"]}),
     "created_at: row 2: 'kemarin' is not an ISO date-time"),
    (pd.DataFrame({"id": ["1", "2"], "text": [LAMP, DRAIN], "created_at": ["2024-03-01", ""]}),
     "created_at: row 2 is empty"),
])
def test_bad_tables_are_refused_naming_the_column(frame, words):
    with pytest.raises(DuplicateInputError, match=words):
        DuplicateGrouper().fit(frame)


@pytest.mark.parametrize("params, words", [({"threshold": 0}, "threshold"), ({"threshold": 1.5}, "threshold"),
                                           ({"window_days": 0}, "window_days")])
def test_bad_parameters_are_refused(params, words):
    with pytest.raises(ValueError, match=words):
        DuplicateGrouper(**params).fit(pd.DataFrame({"id": ["1"], "text": [LAMP]}))


# ---------------------------------------------------------------- the incremental index
def test_adding_complaints_one_by_one_gives_the_groups_of_a_rebuild(monkeypatch):
    monkeypatch.setattr(duplicate_index, "MERGE_EVERY", 16)  # the merge of the recent block runs too
    rng = np.random.default_rng(1)
    places = [("Airlangga", "Gubeng"), ("Ketabang", "Genteng"), ("", "")]
    rows = []
    for k, text in enumerate(random_texts(150, seed=2)):
        kelurahan, kecamatan = places[int(rng.integers(3))]
        day = int(rng.integers(0, 90))
        rows.append(complaint(f"c{k:03d}", text, kelurahan, kecamatan,
                              (pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)).isoformat()))
    frame = pd.DataFrame(rows).sort_values("created_at", kind="stable").reset_index(drop=True)
    cutoff = pd.Timestamp(frame["created_at"].iloc[60])
    whole = DuplicateIndex(threshold=0.7).rebuild(frame, fit_before=cutoff)
    growing = DuplicateIndex(threshold=0.7).rebuild(frame.iloc[:60], fit_before=cutoff)
    for row in frame.iloc[60:].to_dict("records"):
        growing.add(row["id"], row["text"], row["created_at"], row["kelurahan"], row["kecamatan"], row["alamat"])
    as_sets = lambda index: {(g.group_id, tuple(sorted(g.members))) for g in index.groups()}  # noqa: E731
    assert as_sets(whole) and as_sets(whole) == as_sets(growing)


def test_add_answers_the_group_a_new_complaint_joined():
    index = DuplicateIndex(threshold=0.7)
    assert index.add("p1", LAMP, "2024-03-01T08:00:00", "Airlangga") is None
    assert index.add("p2", DRAIN, "2024-03-01T09:00:00", "Airlangga") is None
    match = index.add("p3", LAMP_AGAIN, "2024-03-02T08:00:00+07:00", "airlangga")  # names compared loosely
    assert (match.duplicate_of, match.group_id, match.group_size) == ("p1", "p1", 2)
    assert [cid for cid, _ in match.similar] == ["p1"] and 0.7 <= match.similar[0][1] <= 1
    assert index.add("p4", LAMP, "2024-03-02T08:00:00", "Ketabang") is None
    assert index.add("p3", LAMP_AGAIN, "2024-03-02T08:00:00", "Airlangga").group_size == 2  # held once
    [group] = index.groups()
    assert group.members == ["p1", "p3"]


# ---------------------------------------------------------------- aduan group
def test_cli_group_adds_the_three_columns(tmp_path, capsys):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame([complaint("a", LAMP), complaint("b", LAMP_AGAIN, created_at="2024-03-03T08:00:00"),
                  complaint("c", DRAIN)]).to_csv(source, index=False)
    assert main(["group", str(source), "-o", str(target), "--threshold", "0.7"]) == 0
    out = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(out.columns)[-3:] == ["group_id", "group_size", "duplicate_of"]
    assert out["duplicate_of"].tolist() == ["", "a", ""] and out["group_size"].tolist() == ["2", "2", "1"]
    assert "2 in 1 group(s)" in capsys.readouterr().err


@pytest.mark.parametrize("rows, args, words", [
    ([{"id": 1, "text": LAMP, "created_at": "besok"}], [], "created_at: row 1: 'besok' is not an ISO date-time"),
    ([{"id": 1, "keluhan": LAMP}], [], "missing column 'text'"),
    ([{"id": 1, "text": LAMP}], ["--threshold", "2"], "threshold: expected a cosine in (0, 1]"),
    ([{"id": 1, "text": LAMP}], ["-o", "out.xml"], "unsupported output type"),
])
def test_cli_group_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, rows, args, words):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame(rows).to_csv("in.csv", index=False)
    assert main(["group", "in.csv", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("aduan: error:") and words in err[-1]


def test_cli_group_warns_when_there_are_no_dates(tmp_path, capsys):
    pd.DataFrame([{"id": 1, "text": LAMP}, {"id": 2, "text": DRAIN}]).to_csv(tmp_path / "in.csv", index=False)
    assert main(["group", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.jsonl")]) == 0
    assert "no created_at column" in capsys.readouterr().err


# ---------------------------------------------------------------- the API
def test_classify_names_the_stored_complaint_a_new_one_duplicates(client, keys):
    desk = keys["desk"]
    first = client.post("/v1/complaints/classify", json={"text": LAMP, "kelurahan": "Airlangga"}, headers=desk).json()
    assert first["duplicate_of"] is None and first["group_id"] is None
    again = client.post("/v1/complaints/classify", json={"text": LAMP_AGAIN, "kelurahan": "Airlangga"},
                        headers=desk).json()
    assert again["duplicate_of"] == again["group_id"] == first["prediction_id"] and again["group_size"] == 2
    elsewhere = client.post("/v1/complaints/classify", json={"text": LAMP, "kelurahan": "Ketabang"},
                            headers=desk).json()
    assert elsewhere["duplicate_of"] is None
    batch = client.post("/v1/complaints/classify-batch", headers=desk, json={"complaints": [
        {"text": DRAIN, "kelurahan": "Ujung"}, {"text": DRAIN + " lagi", "kelurahan": "Ujung"}]}).json()["results"]
    assert batch[1]["duplicate_of"] == batch[0]["prediction_id"]  # within one batch too


def test_groups_are_listed_for_a_desk_largest_first(client, keys, app):
    desk = keys["desk"]
    ids = [client.post("/v1/complaints/classify", json={"text": text, "kelurahan": "Airlangga"},
                       headers=desk).json()["prediction_id"] for text in (LAMP, LAMP_AGAIN, LAMP + " lagi")]
    drains = [client.post("/v1/complaints/classify", json={"text": text, "kelurahan": "Ujung"},
                          headers=desk).json()["prediction_id"] for text in (DRAIN, DRAIN + " juga")]
    answer = client.get("/v1/complaints/groups", headers=desk)
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == 2 and body["window_days"] == 30
    assert [g["prediction_ids"] for g in body["groups"]] == [ids, drains]
    assert body["groups"][0]["group_id"] == ids[0] and body["groups"][0]["size"] == 3
    assert body["groups"][0]["text"] == LAMP and body["groups"][0]["topic"]
    assert client.get("/v1/complaints/groups?min_size=3", headers=desk).json()["total"] == 1
    assert client.get("/v1/complaints/groups?limit=1", headers=desk).json()["groups"][0]["size"] == 3


@pytest.mark.parametrize("query, field", [("min_size=1", "min_size"), ("limit=0", "limit"), ("limit=x", "limit")])
def test_groups_refuse_bad_queries_naming_the_field(client, keys, query, field):
    answer = client.get(f"/v1/complaints/groups?{query}", headers=keys["desk"])
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == field


def test_groups_need_a_desk_key(client, keys):
    assert client.get("/v1/complaints/groups").status_code == 401
    answer = client.get("/v1/complaints/groups", headers=keys["reporting"])
    assert answer.status_code == 403 and "desk" in answer.json()["detail"]


def test_workers_converge_and_a_restart_rebuilds_from_the_database(make_app, app, keys):
    desk = keys["desk"]
    with TestClient(app) as one, TestClient(make_app()) as two:  # two workers on one database
        first = one.post("/v1/complaints/classify", json={"text": LAMP, "kelurahan": "Airlangga"}, headers=desk).json()
        second = two.post("/v1/complaints/classify", json={"text": LAMP_AGAIN, "kelurahan": "Airlangga"},
                          headers=desk).json()
        assert second["duplicate_of"] == first["prediction_id"]  # worker two read worker one's row
        listed = [one.get("/v1/complaints/groups", headers=desk).json()["groups"],
                  two.get("/v1/complaints/groups", headers=desk).json()["groups"]]
        assert listed[0] == listed[1] and listed[0][0]["prediction_ids"] == [first["prediction_id"],
                                                                             second["prediction_id"]]
    with TestClient(make_app()) as restarted:
        [group] = restarted.get("/v1/complaints/groups", headers=desk).json()["groups"]
        assert group["group_id"] == first["prediction_id"] and group["size"] == 2


def test_the_duplicate_fields_are_not_stored_with_the_outputs(client, app, keys):
    for text in (LAMP, LAMP_AGAIN):
        client.post("/v1/complaints/classify", json={"text": text, "kelurahan": "Airlangga"}, headers=keys["desk"])
    from serving.db.models import Prediction
    with app.state.sessions() as session:
        outputs = [p.outputs for p in session.query(Prediction).all()]
    assert outputs and not any({"duplicate_of", "group_id", "group_size"} & set(o) for o in outputs)
