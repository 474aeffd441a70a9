"""``ml-platform report MODEL VERSION --out DIR`` (cli/report.py): the model document of a
version trained from delivered files, for a model with a champion and one without, read back
from the registry, the object store and the audit ledger as the command read them."""

import json
import re
from pathlib import Path

import pytest
import yaml

from ml_platform_assets.core import layout
from ml_platform_assets.pages.charts import CALIBRATION
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.documents import publish_model_document
from resources.database import get_engine
from resources.environment import read_environment
from resources.stores import open_object_store
from tests.cli.commands import files_spec, invoke, use_real_backends

MODEL = "pay_in_four"


def _trained(cli_env: Path, monkeypatch, model: str = MODEL, **gates) -> None:
    """``model`` v1 trained from 14 days of delivered files, with the given gates."""
    specs = files_spec(cli_env, 14)
    if model != MODEL:
        spec = yaml.safe_load((specs / f"{MODEL}.yaml").read_text())
        spec["name"] = model
        spec["gates"] |= gates
        (specs / f"{MODEL}.yaml").unlink()
        (specs / f"{model}.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
    result = invoke("run", model, "--start", "2026-01-01", "--end", "2026-01-14")
    assert result.exit_code == 0, result.output


def _report(model: str, out: Path) -> str:
    result = invoke("report", model, "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    path = out / f"{model}-v1-model-document.html"
    assert result.output.strip() == str(path.resolve())
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert all(ref.startswith("#") for ref in re.findall(r'(?:src|href)="([^"]*)"', page))
    return page


def _registry() -> ModelRegistry:
    return ModelRegistry(get_engine(read_environment().database_url))


@pytest.mark.parametrize("backend", ["embedded", "real"])
def test_the_document_of_a_champion(cli_env, monkeypatch, request, backend) -> None:
    if backend == "real":
        use_real_backends(monkeypatch, request)
    _trained(cli_env, monkeypatch)
    page = _report(MODEL, cli_env / "documents" / "new")

    reg = _registry()
    version, evaluation = reg.get_version(MODEL, 1), reg.latest_evaluation(MODEL, 1)
    assert "This version is the champion in service since" in page
    for value in (
        version.model_sha256,
        version.training_set_fingerprint,
        evaluation["report_sha256"],
    ):
        assert value in page  # fmt: skip
    assert "The record read for this document has exactly that SHA-256." in page
    assert f"<td>{evaluation['metrics']['auc']:.4f}</td>" in page
    records = reg.audit_history(MODEL, version=1)
    assert {"registered", "evaluated", "promoted"} <= {r.event_type for r in records}
    for record in records:
        assert f'<td class="hash">{record.record_sha256}</td>' in page
    assert '<td class="this">became champion</td>' in page
    # The calibration and gains charts, drawn inline.
    assert page.count("<svg") == 2 and f'aria-label="{CALIBRATION}"' in page
    assert "was never evaluated" not in page and "could not be read" not in page

    # An evaluation record changed in the store after it was recorded is named as such.
    store = open_object_store(read_environment())
    key = layout.report_key(MODEL, 1, "evaluation.json")
    record = store.get_json(key)
    record["challenger"]["metrics"]["auc"] = 0.999
    store.put_bytes(key, json.dumps(record).encode())
    changed = _report(MODEL, cli_env / "documents" / "new")
    assert "not the one on record: it was changed after it was recorded" in changed
    assert "<td>0.9990</td>" in changed

    # The lifecycle's stored copy: the same document, published whole, with its SHA-256.
    stored = publish_model_document(store, reg, MODEL, 1)
    assert stored.key == f"{MODEL}/reports/v1/model_document.html"
    assert stored.uri == store.uri(stored.key)
    assert store.get_bytes(stored.key).decode().startswith("<!DOCTYPE html>")


def test_the_document_of_a_model_without_a_champion(cli_env, monkeypatch) -> None:
    _trained(cli_env, monkeypatch, "pay_in_four_strict", min_auc=0.99)
    page = _report("pay_in_four_strict", cli_env)
    assert "No champion is in service for pay_in_four_strict." in page
    assert "pay_in_four_strict has never had a champion." in page
    assert '<td class="fail">FAIL</td>' in page and "Status of the version now: rejected" in page
    assert "No champion was in service at evaluation" in page


def test_an_unknown_model_or_version_is_one_sentence(cli_env) -> None:
    assert invoke("home", "--create").exit_code == 0
    unknown = invoke("report", "nope", "1", "--out", str(cli_env))
    assert unknown.exit_code == 1
    assert "no model named 'nope'; known models: credit_default" in unknown.output
    missing = invoke("report", "credit_default", "7", "--out", str(cli_env))
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    assert "model 'credit_default' has no version 7" in missing.output
    assert not list(cli_env.glob("*.html"))
