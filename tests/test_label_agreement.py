import pandas as pd
import pytest

from training.label_agreement import agreement, main


def test_agreement_counts_only_shared_ids_and_reports_kappa():
    first = pd.DataFrame({"id": [1, 2, 3, 4, 5], "urgency": ["tinggi", "sedang", "sedang", "rendah", "rendah"]})
    second = pd.DataFrame({"id": [2, 3, 4, 5, 9], "urgency": ["sedang", "rendah", "rendah", "rendah", "tinggi"]})
    text = agreement(first, second)
    assert "shared items: 4" in text
    assert "raw agreement: 0.750" in text
    # 2x2 table (sedang, rendah): observed 0.75, expected 0.5 * 0.25 + 0.5 * 0.75 = 0.5 → kappa 0.5
    assert "Cohen's kappa: 0.500" in text


def test_no_shared_id_is_a_readable_error(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("id,urgency\n1,tinggi\n")
    b.write_text("id,urgency\n2,tinggi\n")
    assert main([str(a), str(b)]) == 2
    assert "share no id" in capsys.readouterr().err


def test_pairs_are_matched_on_both_ids():
    first = pd.DataFrame({"id_a": [1, 1, 2], "id_b": [2, 3, 3], "label": ["dup", "not", "not"]})
    second = pd.DataFrame({"id_a": [1, 2], "id_b": [3, 3], "label": ["not", "dup"]})
    text = agreement(first, second, ("id_a", "id_b"), "label")
    assert "shared items: 2" in text
    assert "raw agreement: 0.500" in text
