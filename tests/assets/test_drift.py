"""drift_report (assets/drift.py) on a real instance, embedded and on MariaDB + SeaweedFS: what
it writes and says."""

import dagster as dg
import numpy as np
import pytest

from ml_platform_assets.assets.factory import drift_job_name
from ml_platform_assets.core.layout import drift_key, landing_keys
from ml_platform_assets.core.simulate import DriftPlan, simulate_day, split_outcomes
from ml_platform_assets.orchestration.runs import QUIET
from tests.drift_platform import DAYS, DRIFT_START, DriftPlatform, drift_spec
from tests.platforms import ROWS_PER_DAY


def test_a_day_of_drift_is_stored_recorded_and_described(small_platform) -> None:
    p = DriftPlatform(drift_spec(), small_platform.resources, small_platform.instance)
    p.prepare()
    day = DRIFT_START + 2
    p.report(day, html_rows=1500)

    record = p.store.get_json(drift_key(p.spec.name, p.day(day), "drift.json"))
    assert record["champion_version"] == 1 and record["day"] == p.day(day).isoformat()
    assert {"annual_income", "debt_to_income"} <= set(record["drifted_columns"])
    assert [c["column"] for c in record["columns"]] == p.spec.drift_columns
    page = p.store.get_bytes(drift_key(p.spec.name, p.day(day), "drift.html")).decode()
    assert "<html" in page[:200] and f"on {p.day(day)} against v1</title>" in page
    # The decisions drawn from, and the drifted columns' shares; Evidently's page on demand.
    assert '<table id="columns">' in page and "<script" not in page and len(page) < 100_000
    for column in record["drifted_columns"]:
        assert f'data-column="{column}"' in page
    assert not p.store.exists(drift_key(p.spec.name, p.day(day), "drift_full.html"))

    [result] = p.drift_store.results(p.spec.name)
    assert result.day == p.day(day) and result.share == pytest.approx(record["share"])
    assert result.report_uri.endswith("drift.json")

    event = p.instance.get_latest_materialization_event(dg.AssetKey([p.spec.name, "drift_report"]))
    metadata = event.asset_materialization.metadata
    assert event.asset_materialization.partition == p.day(day).isoformat()
    assert metadata["drift_share"].value == pytest.approx(result.share)
    assert metadata["drifted_columns"].value == len(record["drifted_columns"])
    assert metadata["drifted_column_names"].value == record["drifted_columns"]
    assert metadata["dataset_drift"].value is True
    assert "| annual_income" in metadata["column_scores"].value
    assert metadata["html_uri"].value.endswith("drift.html")


def test_without_a_champion_the_report_fails_with_a_sentence(small_platform) -> None:
    p = DriftPlatform(drift_spec(), small_platform.resources, small_platform.instance)
    p.land(1)
    p.ingest(0, 0)
    result = p.report_run(0)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "has no champion yet" in failure.step_failure_data.user_failure_data.description
    assert not p.drift_store.results(p.spec.name)


def test_a_day_without_bureau_data_is_recorded_as_drift_and_its_page_says_so(
    small_platform,
) -> None:
    p = DriftPlatform(drift_spec(), small_platform.resources, small_platform.instance)
    day, bureau = DAYS - 1, [c for c in p.spec.drift_columns if c.startswith("bureau_")]
    # The day is delivered as the simulator makes it, except that the credit bureau answered
    # nothing all day; prepare() keeps a delivered day as it is.
    plan = DriftPlan("income_shock", p.day(DRIFT_START))
    raw = simulate_day(p.spec, p.day(day), ROWS_PER_DAY, seed=p.spec.data_source.seed, drift=plan)
    applications, _ = split_outcomes(raw, p.spec)
    applications[bureau] = np.nan
    p.store.put_parquet(landing_keys(p.spec.name, "applications", p.day(day))[0], applications)
    p.prepare()
    # Both pages: the daily one and Evidently's full one, asked for.
    name = f"{p.spec.name}__drift_report"
    config = {"html_rows": 300, "full_preset_page": True}
    run = p.defs.resolve_job_def(drift_job_name(p.spec)).execute_in_process(
        instance=p.instance,
        partition_key=p.day(day).isoformat(),
        run_config={**QUIET, "ops": {name: {"config": config}}},
    )
    assert run.success

    record = p.store.get_json(drift_key(p.spec.name, p.day(day), "drift.json"))
    assert record["columns_without_values"] == bureau
    assert set(bureau) <= set(record["drifted_columns"])
    by_column = {c["column"]: c for c in record["columns"]}
    assert all(by_column[c]["method"] == "no current values" for c in bureau)
    assert all(by_column[c]["score"] is None for c in bureau)

    [result] = p.drift_store.results(p.spec.name)
    assert result.drifted_columns == record["drifted_columns"]
    assert result.share == pytest.approx(record["share"])
    assert result.share >= len(bureau) / len(p.spec.drift_columns)
    stored = {c["column"]: c for c in result.columns}
    assert all(stored[c]["drifted"] and stored[c]["method"] == "no current values" for c in bureau)

    event = p.instance.get_latest_materialization_event(dg.AssetKey([p.spec.name, "drift_report"]))
    metadata = event.asset_materialization.metadata
    assert set(bureau) <= set(metadata["drifted_column_names"].value)
    assert metadata["columns_without_values"].value == bureau
    assert metadata["dataset_drift"].value is True
    assert "| bureau_score" in metadata["column_scores"].value

    page = p.store.get_bytes(drift_key(p.spec.name, p.day(day), "drift.html")).decode()
    assert f"No values in the current data: {', '.join(bureau)}." in page
    assert 'data-column="annual_income"' in page
    assert all(f"<td>{c}</td><td>no current values</td>" in page for c in bureau)
    assert not any(f'data-column="{c}"' in page for c in bureau)
    assert metadata["html_uri"].value.endswith("drift.html")
    full = p.store.get_bytes(drift_key(p.spec.name, p.day(day), "drift_full.html")).decode()
    assert f"No values in the current data: {', '.join(bureau)}." in full
    assert '"column_name": "annual_income"' in full
    assert not any(f'"column_name": "{c}"' in full for c in bureau)
    assert metadata["html_full_uri"].value.endswith("drift_full.html")


def test_a_day_without_applications_is_reported_without_a_drift_result(small_platform) -> None:
    """A feed that skips weekends materializes empty days; their drift report succeeds, says
    nothing was measured, and records no share for the retrain sensor to count."""
    from ml_platform_assets.core.features import feature_schema
    from ml_platform_assets.core.layout import features_key

    p = DriftPlatform(drift_spec(), small_platform.resources, small_platform.instance)
    p.prepare()
    day = DRIFT_START + 1
    p.store.put_table(features_key(p.spec.name, p.day(day)), feature_schema(p.spec).empty_table())
    p.report(day)
    assert p.drift_store.results(p.spec.name) == []
    event = p.instance.get_latest_materialization_event(dg.AssetKey([p.spec.name, "drift_report"]))
    assert event.asset_materialization.metadata["rows_current"].value == 0
    assert not p.store.exists(drift_key(p.spec.name, p.day(day), "drift.json"))
