"""What a training set must not be built from (services/training_sets.py): a segment lost to
the quarantine a few rows a day (core/selective_loss.py), under the daily share yet one a model
would never learn; and outcomes whose ids lost their leading zeros (core/window_losses.py).
Each stops training with the cause, never the windows' width."""

import datetime as dt

import pandas as pd
import pytest

from tests.deliveries import lender_files as L


def _no_hit_segment(tmp_path, accepted: list[str] | None = None):
    frames = {}
    for day in L.days():
        frame = L.make_day(day)
        frame["bureau_score"] = frame["bureau_score"].astype(object)
        # Three applicants a day without a bureau file, all of whom default.
        frame.loc[:2, "bureau_score"] = "NO HIT"
        frame.loc[:2, "is_bad"] = 1
        frames[day] = frame
    spec = L.base_spec("no_hit", L.write_days(tmp_path / "data", frames))
    if accepted:
        spec["data_quality"] = {"accepted_reasons": accepted}
    return L.write_spec(tmp_path / f"specs_{bool(accepted)}", spec)


def test_a_segment_lost_a_few_rows_a_day_stops_training_unless_accepted(lender, tmp_path):
    result = lender.run(_no_hit_segment(tmp_path), "no_hit")
    assert result.exit_code == 1, result.output
    assert "102 quarantined (bureau_score: not a number (102))" in result.output
    assert "Warning: raw_applications" not in result.output  # 3 % a day: under the share
    assert "no_hit: the training set as of 2026-02-03 would learn without a segment: " in (
        result.output
    )
    assert "'bureau_score: not a number' removed 81 labelled applications (e.g. 'NO HIT') with" in (
        result.output
    )
    assert "a bad rate of 100% against" in result.output
    assert "accept the reason in data_quality.accepted_reasons" in result.output
    assert lender.versions("no_hit") == []

    accepted = lender.run(_no_hit_segment(tmp_path, ["bureau_score: not a number"]), "no_hit")
    assert accepted.exit_code == 0, accepted.output
    assert "without 81 rows its days quarantined at ingestion" in accepted.output
    assert (
        "trained without the rows of reasons data_quality.accepted_reasons accepts: "
        "bureau_score: not a number" in accepted.output
    )


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_outcome_ids_that_lost_their_leading_zeros_stop_with_an_example(
    lender, tmp_path, kind
) -> None:
    """Zero-padded application ids ('0004250000'); the servicing system's outcome files lost
    the zeros (a CSV through Excel, or int64 ids in parquet): not one outcome matches."""
    apps, outcomes = tmp_path / "apps", tmp_path / "outcomes"
    apps.mkdir()
    outcomes.mkdir()
    counter, matured = 4_250_000, []
    for day in L.days():
        frame = L.make_day(day)
        frame["app_id"] = [f"{counter + i:010d}" for i in range(len(frame))]
        counter += len(frame)
        frame.drop(columns="is_bad").to_csv(apps / f"apps_{day}.csv", index=False)
        outcome_day = (day + dt.timedelta(days=3)).isoformat()
        matured.append(
            pd.DataFrame({
                "app_id": frame["app_id"].astype(int),  # the zeros are gone
                "outcome_date": outcome_day,
                "is_bad": frame["is_bad"],
            })
        )  # fmt: skip
    every = pd.concat(matured, ignore_index=True)
    for day, rows in every.groupby("outcome_date"):
        if kind == "csv":
            rows.to_csv(outcomes / f"outcomes_{day}.csv", index=False)
        else:
            rows.to_parquet(outcomes / f"outcomes_{day}.parquet", index=False)
    source = {
        "kind": "files",
        "applications": str(apps / "apps_{date}.csv"),
        "outcomes": str(outcomes / f"outcomes_{{date}}.{kind}"),
    }
    spec = L.base_spec("zeros", source["applications"], data_source=source)
    result = lender.run(L.write_spec(tmp_path / "specs", spec), "zeros")
    assert result.exit_code == 1, result.output
    assert "zeros: the training set as of 2026-02-03 cannot be labelled: " in result.output
    assert "outcomes match a delivered application id only when written otherwise (e.g. " in (
        result.output
    )
    assert "(e.g. outcome id '42" in result.output
    assert "vs application id '00042" in result.output
    assert "--redeliver 2026-01-08..2026-02-03 --reason TEXT" in result.output
    assert "widen" not in result.output
    assert lender.versions("zeros") == []
    if kind == "parquet":
        return
    # The advice, followed: the ids corrected at the source, those days redelivered.
    every["app_id"] = every["app_id"].map(lambda i: f"{i:010d}")
    for day, rows in every.groupby("outcome_date"):
        rows.to_csv(outcomes / f"outcomes_{day}.csv", index=False)
    specs = tmp_path / "specs"
    fixed = lender.run(
        specs, "zeros", "--redeliver", "2026-01-08..2026-02-03", "--reason", "ids corrected"
    )
    assert fixed.exit_code == 0, fixed.output
    assert "2026-01-08: redelivered (outcomes); the replaced files are kept" in fixed.output
    assert "source file is unchanged" not in fixed.output
    assert "zeros v1: AUC" in fixed.output
