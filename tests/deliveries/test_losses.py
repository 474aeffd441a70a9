"""A segment lost to the quarantine, a few rows a day (services/training_sets.py over
core/selective_loss.py): under the daily share, yet a model trained without it would never see
its risk, so training stops naming the reason, an example and both bad rates until the spec
accepts the reason."""

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
