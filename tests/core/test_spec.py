"""Model specs: the built-in spec loads, bad specs name their file and field."""

from pathlib import Path

import pytest
import yaml

from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, SpecError, load_spec, load_specs


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _builtin() -> dict:
    return yaml.safe_load((BUILTIN_SPECS_DIR / "credit_default.yaml").read_text())


def test_builtin_credit_default_loads_with_ordered_inputs() -> None:
    spec = load_specs()["credit_default"]
    assert spec.model_features[:2] == ["annual_income", "debt_to_income"]
    assert "age_band" not in spec.model_features
    assert len(spec.features.numeric) == 30 and len(spec.features.categorical) == 6
    by_name = dict(zip(spec.model_features, spec.monotone_vector, strict=True))
    assert by_name["bureau_score"] == -1 and by_name["prior_delinquencies"] == 1


def test_extra_folder_adds_models(tmp_path: Path) -> None:
    data = _builtin() | {"name": "merchant_fraud"}
    _write(tmp_path, "merchant_fraud.yaml", data)
    assert set(load_specs(tmp_path)) == {"credit_default", "merchant_fraud"}


def test_duplicate_model_name_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "copy.yaml", _builtin())
    with pytest.raises(SpecError, match=r"copy\.yaml: model 'credit_default' is already defined"):
        load_specs(tmp_path)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["gates"].update(min_auc="high"), "gates.min_auc"),
        (lambda d: d["windows"].pop("oot_days"), "windows.oot_days"),
        (lambda d: d.update(name="Credit Default"), "name"),
        (lambda d: d["monotone_constraints"].update(age_band="increasing"), ""),
        (lambda d: d["features"]["numeric"]["loan_amount"].update(maxx=3), "maxx"),
    ],
)
def test_bad_spec_names_file_and_field(tmp_path: Path, change, field: str) -> None:
    data = _builtin()
    change(data)
    path = _write(tmp_path, "bad.yaml", data)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(path) in str(info.value)
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("features.categorical.merchant_category", [" grocery", "travel"], "blanks around it"),
        ("features.categorical.merchant_category", ["grocery", ""], "must not be empty"),
        ("features.categorical.merchant_category", ["grocery", " "], "must not be empty"),
        ("protected_attributes.age_band", ["18-24", "18-24", "25-34"], "more than once: 18-24"),
    ],
)
def test_levels_ingestion_could_never_match_are_refused(
    tmp_path: Path, section: str, values: list[str], message: str
) -> None:
    """Delivered text is stripped and a blank reads as missing: a padded or empty level would
    never match, and a repeated one would be listed as two groups."""
    data = _builtin()
    parent, name = section.rsplit(".", 1)
    block = data
    for key in parent.split("."):
        block = block[key]
    block[name]["values"] = values
    path = _write(tmp_path, "levels.yaml", data)
    with pytest.raises(SpecError, match=message) as info:
        load_spec(path)
    assert str(path) in str(info.value) and f"{section}.values" in str(info.value)


def test_protected_attribute_cannot_be_a_feature(tmp_path: Path) -> None:
    data = _builtin()
    data["features"]["categorical"]["age_band"] = data["protected_attributes"]["age_band"]
    with pytest.raises(SpecError, match="must not be model features"):
        load_spec(_write(tmp_path, "leak.yaml", data))


def test_unreadable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed")
    with pytest.raises(SpecError, match="broken.yaml: not valid YAML"):
        load_spec(path)


def test_every_builtin_feature_has_a_reviewed_reason_statement() -> None:
    spec = load_specs()["credit_default"]
    declared = {**spec.features.numeric, **spec.features.derived, **spec.features.categorical}
    assert set(declared) == set(spec.model_features)
    assert all(declared[name].reason for name in spec.model_features)
    assert spec.features.numeric["debt_to_income"].reason == (
        "Debt payments are high relative to income"
    )
    assert spec.gates.min_adverse_impact_ratio == 0.8
    assert spec.gates.max_auc_gap_vs_benchmark == 0.01
    assert "planned" not in (BUILTIN_SPECS_DIR / "credit_default.yaml").read_text().lower()


def test_a_reason_statement_is_optional_and_never_blank(tmp_path: Path) -> None:
    data = _builtin()
    del data["features"]["numeric"]["loan_amount"]["reason"]
    data["features"]["derived"]["loan_to_income"]["reason"] = "  Loan is large for the income "
    spec = load_spec(_write(tmp_path, "ok.yaml", data))
    assert spec.features.numeric["loan_amount"].reason is None
    assert spec.features.derived["loan_to_income"].reason == "Loan is large for the income"
    data["features"]["categorical"]["channel"]["reason"] = "   "
    with pytest.raises(SpecError, match=r"features\.categorical\.channel\.reason"):
        load_spec(_write(tmp_path, "blank.yaml", data))


def test_a_protected_attribute_has_no_reason_statement(tmp_path: Path) -> None:
    data = _builtin()
    data["protected_attributes"]["age_band"]["reason"] = "Age"
    with pytest.raises(SpecError, match=r"protected_attributes\.age_band\.reason: a protected"):
        load_spec(_write(tmp_path, "age.yaml", data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["gates"].update(min_adverse_impact_ratio=1.2), "gates.min_adverse_impact"),
        (lambda d: d["gates"].update(max_auc_gap_vs_benchmark=-0.01), "gates.max_auc_gap"),
        (lambda d: d.pop("protected_attributes"), "declares no protected_attributes"),
    ],
)
def test_optional_gates_are_checked(tmp_path: Path, change, message: str) -> None:
    data = _builtin()
    change(data)
    with pytest.raises(SpecError, match=message):
        load_spec(_write(tmp_path, "gates.yaml", data))


def test_unset_optional_fields_leave_the_dumped_spec_as_it_was(tmp_path: Path) -> None:
    # Code versions and a version's recorded identity hash the dumped spec: a spec that uses
    # none of the new fields must dump exactly as before they existed.
    data = _builtin()
    for kind in ("numeric", "categorical", "derived"):
        for feature in data["features"][kind].values():
            feature.pop("reason")
    for gate in ("min_adverse_impact_ratio", "max_auc_gap_vs_benchmark"):
        data["gates"].pop(gate)
    dumped = load_spec(_write(tmp_path, "plain.yaml", data)).model_dump(mode="json")
    assert dumped["gates"] == data["gates"]
    assert "reason" not in dumped["features"]["numeric"]["loan_amount"]
    assert "reason" not in dumped["protected_attributes"]["age_band"]
    full = load_specs()["credit_default"].model_dump(mode="json")
    assert full["features"]["numeric"]["loan_amount"]["reason"] == "Amount of credit requested"
    assert full["gates"]["min_adverse_impact_ratio"] == 0.8


def test_files_source_headers_and_missing_values() -> None:
    from pydantic import ValidationError

    from ml_platform_assets.core.spec_source import FilesSource

    renamed = {"Income": "annual_income", "AnnualIncome": "annual_income"}
    source = FilesSource(applications="a_{date}.csv", columns=renamed, missing_values=["?"])
    assert source.columns == renamed and source.missing_values == ["?"]
    assert FilesSource(applications="a_{date}.csv").missing_values == []
    with pytest.raises(ValidationError, match="the same once stripped"):
        FilesSource(applications="a.csv", columns={"Income": "a", " Income ": "b"})
    for field in ("columns", "missing_values", "csv"):
        assert FilesSource.model_fields[field].description
