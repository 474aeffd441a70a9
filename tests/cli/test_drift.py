"""``ml-platform demo --drift`` and ``ml-platform drift status`` (cli/demo.py, cli/drift.py): the
drift loop told as it runs, and every day's drift and decision listed afterwards."""

import json
import re

from tests.cli.commands import invoke


def _fewer_post_drift_labels(monkeypatch, labels: int) -> None:
    """credit_default retrains after ``labels`` post-drift labels (25,000 in the spec): two
    days of this test's 700 rows instead of 36."""
    import ml_platform_assets.cli.common as cli_common

    real = cli_common.load_specs

    def load(*args, **kwargs):
        specs = real(*args, **kwargs)
        spec = specs["credit_default"]
        guard = spec.drift.model_copy(update={"min_matured_labels": labels})
        return specs | {"credit_default": spec.model_copy(update={"drift": guard})}

    monkeypatch.setattr(cli_common, "load_specs", load)


def test_drift_demo_shows_the_loop_and_drift_status_lists_it(cli_env, monkeypatch) -> None:
    _fewer_post_drift_labels(monkeypatch, 1400)
    result = invoke(
        "demo", "--days", "158", "--rows-per-day", "700",
        "--drift-from", "2026-04-10", "--drift", "merchant_mix",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The champion predates the drift; the sensor waits for the new regime's outcomes, then the
    # retrain learns from post-drift days and is judged on post-drift days only.
    assert "Training set" in result.output and "as of 2026-04-14" in result.output
    assert "before the drift began: waiting for outcomes of the new regime" in result.output
    assert "sensor: still waiting, as above" in result.output
    assert "have matured outcomes in the training split of a set cut on" in result.output
    assert "sensor fired:" in result.output
    assert "retraining run" in result.output
    trained = re.search(
        r"trained on applications of .* \((\d+) of 50 days on or after", result.output
    )
    assert trained and int(trained.group(1)) >= 2, result.output
    assert re.search(r"judged on .* \((14) of 14 days on or after", result.output)
    assert re.search(r"on those [\d,]+ out-of-time rows: v2 AUC 0\.\d+, champion v1", result.output)

    status = json.loads(invoke("drift", "status", "credit_default", "--json").output)
    assert status["champion_version"] >= 1
    shares = {d["day"]: d["share"] for d in status["days"]}
    assert max(shares.values()) >= 0.1
    triggered = [d for d in status["decisions"] if d["triggered"]]
    assert len(triggered) == 1 and "retraining" in triggered[0]["reason"]
    assert any(not d["triggered"] and d["reason"] for d in status["decisions"])
    text = invoke("drift", "status", "credit_default")
    assert text.exit_code == 0 and "2026-04-" in text.output
    # The decision that triggered comes before the many that did not.
    fired = text.output.index(triggered[0]["reason"])
    assert (
        fired
        < text.output.index("NOT TRIGGERED")
        < text.output.index(next(d["reason"] for d in status["decisions"] if not d["triggered"]))
    )
    only = json.loads(invoke("drift", "status", "credit_default", "--triggered", "--json").output)
    assert [d["reason"] for d in only["decisions"]] == [triggered[0]["reason"]]
