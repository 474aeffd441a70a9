"""Fairness: approval rates per protected group at the cutoff and the adverse impact ratio,
on hand-made cases."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml_platform_assets.core.fairness import (
    MISSING,
    adverse_impact,
    fairness,
    lowest_ratio,
    unmeasured,
)
from ml_platform_assets.core.spec import load_specs

SPEC = load_specs()["credit_default"]  # age_band, cutoff 0.15
BANDS = SPEC.protected_attributes["age_band"].values


def _groups(counts: dict[str | None, tuple[int, int]]) -> tuple[pd.Series, np.ndarray]:
    """Rows per group: (rows, approved), approved rows first within each group."""
    groups, approved = [], []
    for group, (n, yes) in counts.items():
        groups += [group] * n
        approved += [True] * yes + [False] * (n - yes)
    return pd.Series(groups, dtype=object), np.array(approved)


def _by_group(block: dict) -> dict:
    return {g["group"]: g for g in block["groups"]}


def test_the_ratio_is_each_groups_approval_rate_over_the_most_approved() -> None:
    block = adverse_impact(*_groups({"A": (100, 80), "B": (100, 60)}), ["A", "B"])
    assert block["reference_group"] == "A"
    assert block["min_ratio"] == pytest.approx(0.75)
    assert block["groups"] == [
        {"group": "A", "n": 100, "approved": 80, "approval_rate": 0.8,
         "adverse_impact_ratio": 1.0, "missing_value": False},
        {"group": "B", "n": 100, "approved": 60, "approval_rate": 0.6,
         "adverse_impact_ratio": pytest.approx(0.75), "missing_value": False},
    ]  # fmt: skip


def test_a_tie_for_most_approved_takes_the_first_declared_group() -> None:
    block = adverse_impact(*_groups({"C": (50, 20), "B": (40, 32), "A": (10, 8)}), ["A", "B", "C"])
    assert block["reference_group"] == "A"
    ratios = {g: row["adverse_impact_ratio"] for g, row in _by_group(block).items()}
    assert ratios == {"A": 1.0, "B": 1.0, "C": pytest.approx(0.5)}
    assert [g["group"] for g in block["groups"]] == ["A", "B", "C"]  # declared order


def test_a_group_without_rows_is_listed_without_a_rate() -> None:
    block = adverse_impact(*_groups({"A": (10, 9), "C": (10, 6)}), ["A", "B", "C"])
    assert _by_group(block)["B"] == {
        "group": "B", "n": 0, "approved": 0, "approval_rate": None, "adverse_impact_ratio": None,
        "missing_value": False,
    }  # fmt: skip
    assert block["min_ratio"] == pytest.approx(0.6 / 0.9)


def test_missing_values_are_reported_but_never_the_reference() -> None:
    # Applicants without an age band are approved most often, yet the reference is a group.
    counts = {"A": (100, 70), None: (20, 19), "B": (100, 63), "Z": (5, 5)}
    block = adverse_impact(*_groups(counts), ["A", "B"])
    # An undeclared level seen in the data is a group, after the declared ones.
    assert [g["group"] for g in block["groups"]] == ["A", "B", "Z", MISSING]
    assert block["reference_group"] == "Z"
    missing = _by_group(block)[MISSING]
    assert (missing["n"], missing["approved"]) == (20, 19)
    assert missing["adverse_impact_ratio"] == pytest.approx(0.95)
    assert block["min_ratio"] == pytest.approx(0.63)
    without_z = adverse_impact(*_groups({k: v for k, v in counts.items() if k != "Z"}), ["A", "B"])
    assert without_z["reference_group"] == "A"
    assert without_z["min_ratio"] == pytest.approx(0.9)
    # Nor do they count as the lowest ratio: they are no group of people sharing the attribute.
    rarely = adverse_impact(*_groups({"A": (100, 70), "B": (100, 63), None: (20, 5)}), ["A", "B"])
    assert _by_group(rarely)[MISSING]["adverse_impact_ratio"] == pytest.approx(0.25 / 0.7)
    assert rarely["min_ratio"] == pytest.approx(0.9)
    record = {"cutoff": 0.5, "attributes": {"band": rarely}}
    assert lowest_ratio(record) == (pytest.approx(0.9), "band B vs A")


def test_a_group_called_missing_is_a_group_of_people_and_counts_in_the_gate() -> None:
    """A lender's level literally named "missing" must neither merge with the rows without a
    value nor leave the gate with them."""
    counts = {"A": (100, 80), "missing": (100, 40), None: (20, 19)}
    block = adverse_impact(*_groups(counts), ["A", "missing"])
    assert [(g["group"], g["missing_value"]) for g in block["groups"]] == [
        ("A", False),
        ("missing", False),
        ("(missing)", True),
    ]
    assert (_by_group(block)["missing"]["n"], _by_group(block)["(missing)"]["n"]) == (100, 20)
    assert block["min_ratio"] == pytest.approx(0.5)
    record = {"cutoff": 0.5, "attributes": {"band": block}}
    assert lowest_ratio(record) == (pytest.approx(0.5), "band missing vs A")
    # Seen in the data without being declared, the name is taken all the same.
    undeclared = adverse_impact(*_groups(counts), ["A"])
    assert _by_group(undeclared)["missing"]["missing_value"] is False
    assert undeclared["min_ratio"] == pytest.approx(0.5)


def test_no_approvals_leave_no_reference_and_no_ratio() -> None:
    block = adverse_impact(*_groups({"A": (10, 0), "B": (5, 0)}), ["A", "B"])
    assert block["reference_group"] is None and block["min_ratio"] is None
    assert all(g["adverse_impact_ratio"] is None for g in block["groups"])
    assert [g["approval_rate"] for g in block["groups"]] == [0.0, 0.0]


def _scored_rows() -> tuple[pd.DataFrame, np.ndarray]:
    """age_band rows and scores: 18-24 approved 60 of 100, 25-34 80 of 100, 65+ 30 of 40,
    three rows without a band; the other bands have no rows. A score at the cutoff itself
    is approved."""
    cutoff = SPEC.decision.cutoff
    bands, score = [], []
    for band, n, yes in (("18-24", 100, 60), ("25-34", 100, 80), ("65+", 40, 30), (None, 3, 1)):
        bands += [band] * n
        score += [cutoff] * yes + [cutoff + 0.01] * (n - yes)
    return pd.DataFrame({"age_band": bands}), np.array(score)


def test_fairness_of_a_spec_at_its_cutoff() -> None:
    rows, score = _scored_rows()
    record = fairness(SPEC, rows, score)
    assert record["cutoff"] == SPEC.decision.cutoff
    block = record["attributes"]["age_band"]
    assert [g["group"] for g in block["groups"]] == [*BANDS, MISSING]
    by_group = _by_group(block)
    assert by_group["25-34"]["adverse_impact_ratio"] == 1.0
    assert by_group["18-24"]["adverse_impact_ratio"] == pytest.approx(0.75)
    assert by_group["65+"]["adverse_impact_ratio"] == pytest.approx(0.9375)
    assert by_group["45-54"]["n"] == 0 and by_group["45-54"]["adverse_impact_ratio"] is None
    assert lowest_ratio(record) == (pytest.approx(0.75), "age_band 18-24 vs 25-34")
    table = pa.Table.from_pandas(rows, preserve_index=False)
    assert fairness(SPEC, table, score) == record


def test_lowest_ratio_is_none_when_nothing_was_measured() -> None:
    rows, score = _scored_rows()
    assert lowest_ratio(fairness(SPEC, rows, np.ones(len(rows)))) is None
    assert lowest_ratio({"cutoff": 0.1, "attributes": {}}) is None


def test_rows_without_the_protected_attribute_are_refused() -> None:
    with pytest.raises(ValueError, match="lack the protected attribute column.* age_band"):
        fairness(SPEC, pd.DataFrame({"other": [1]}), np.zeros(1))


def test_attributes_that_could_not_be_measured_are_named_with_why() -> None:
    nobody = adverse_impact(*_groups({None: (20, 19)}), ["A", "B"])
    refused = adverse_impact(*_groups({"A": (10, 0), "B": (5, 0), None: (3, 3)}), ["A", "B"])
    fine = adverse_impact(*_groups({"A": (10, 8), "B": (5, 3)}), ["A", "B"])
    record = {"cutoff": 0.5, "attributes": {"age": nobody, "sex": refused, "region": fine}}
    assert unmeasured(record) == {
        "age": "no applicant had a value",
        "sex": "no applicant with a value was approved",
    }


def test_groups_are_read_as_the_text_the_features_store() -> None:
    """A protected attribute delivered as numbers is read as its levels' text, from Arrow or
    pandas, and odd group types (categories, undeclared numbers beside text) are listed."""
    fields = SPEC.model_dump(mode="json")
    fields["protected_attributes"] = {"age_band": {"values": ["1", "2"]}}
    spec = type(SPEC).model_validate(fields)
    approved = np.array([True, True, False, True])
    table = pa.table({"age_band": pa.array([1, 2, 2, None], pa.int64())})
    block = fairness(spec, table, np.where(approved, 0.0, 1.0))["attributes"]["age_band"]
    counts = [(g["group"], g["n"]) for g in block["groups"]]
    assert counts == [("1", 1), ("2", 2), ("missing", 1)]
    mixed = pd.Series(["A", 3, "B", None], dtype=object)
    block = adverse_impact(mixed, approved, ["A"])
    assert [g["group"] for g in block["groups"]] == ["A", 3, "B", "missing"]
    as_category = pd.Series(["A", "B", None, "B"], dtype="category")
    assert adverse_impact(as_category, approved, ["A", "B"])["groups"][-1]["n"] == 1
