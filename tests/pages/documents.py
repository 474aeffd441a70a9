"""The model document's input for the page tests: version 3 of credit_default with its spec,
an evaluation record built with the real metrics functions on synthetic scores, the ledger
records in the shape ``LedgerRecord.as_dict()`` gives and the champion's moves. Some strings
hold markup (``HOSTILE``), as a lender's text might."""

from __future__ import annotations

import hashlib

from ml_platform_assets.core.evaluation_record import RECORD_VERSION
from ml_platform_assets.pages.document_data import ModelDocument
from tests.evaluation_records import model_result

SPEC = {
    "name": "credit_default",
    "description": "Probability of default for pay-over-time applications.",
    "owner": "team:credit-risk",
    "data_source": {"kind": "simulator", "seed": 7},
    "features": {
        "numeric": {
            "annual_income": {"min": 0, "max": 5e6, "description": "Income <b>as stated</b>",
                              "reason": "Level of income"},
            "bureau_score": {"min": 300, "max": 850, "description": "Bureau-like credit score.",
                             "reason": "Credit bureau score is too low"},
        },
        "derived": {"loan_to_income": {"ratio": ["loan_amount", "annual_income"],
                                       "description": "Amount financed over annual income."}},
        "categorical": {"merchant_category": {"values": ["electronics", "travel"],
                                              "description": "Merchant category.",
                                              "reason": "Type of purchase"}},
    },
    "protected_attributes": {"age_band": {"values": ["18-24", "45-54", "65+"],
                                          "description": "Applicant's age band."}},
    "monotone_constraints": {"bureau_score": "decreasing"},
    "windows": {"training_days": 60, "validation_days": 10, "oot_days": 14,
                "label_maturity_days": 30},
    "gates": {"min_auc": 0.6, "max_auc_drop_vs_champion": 0.01, "max_score_psi": 0.25},
    "decision": {"cutoff": 0.15},
}  # fmt: skip
HOSTILE = "<script>alert('x')</script>"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def evaluation(champion: bool) -> dict:
    challenger = model_result(1, 0.0)
    bench = model_result(3, 0.02)
    record = {
        "record_version": RECORD_VERSION,
        "model": "credit_default",
        "version": 3,
        "champion_version": 2 if champion else None,
        "created_at": "2026-11-29T12:00:00+00:00",
        "windows": {"train_start": "2026-01-01", "train_end": "2026-08-31",
                    "oot_start": "2026-09-01", "oot_end": "2026-10-15"},
        "training_set_fingerprint": "ab" * 32,
        "model_sha256": "cd" * 32,
        "challenger": challenger,
        "champion": model_result(2, 0.01) if champion else None,
        "benchmark": {
            "method": "logistic_regression",
            "description": f"L2-regularised logistic regression on 40,000 training rows {HOSTILE}",
            "train_rows": 40_000,
            "converged": True,
            "params": {"C": 1.0, "penalty": "l2"},
            "metrics": bench["metrics"],
            "calibration": bench["calibration"],
            "coefficients": [{"feature": "bureau_score", "coefficient": -0.8123},
                             {"feature": "merchant_category_travel", "coefficient": 0.4411}],
            "auc_gap": challenger["metrics"]["auc"] - bench["metrics"]["auc"],
        },
        "csi": {"bureau_score": 0.02, "debt_to_income": 0.14, "loan_amount": 0.31},
        "feature_importance": [{"feature": "bureau_score", "gain": 600.0, "split": 40},
                               {"feature": "debt_to_income", "gain": 400.0, "split": 30}],
        "fairness": {
            "cutoff": 0.15,
            "attributes": {"age_band": {"reference_group": "45-54", "min_ratio": 0.7312,
                "groups": [
                    {"group": "18-24", "n": 400, "approved": 250, "approval_rate": 0.625,
                     "adverse_impact_ratio": 0.7312, "missing_value": False},
                    {"group": "45-54", "n": 600, "approved": 513, "approval_rate": 0.855,
                     "adverse_impact_ratio": 1.0, "missing_value": False},
                    {"group": "65+", "n": 0, "approved": 0, "approval_rate": None,
                     "adverse_impact_ratio": None, "missing_value": False},
                    {"group": "missing", "n": 40, "approved": 10, "approval_rate": 0.25,
                     "adverse_impact_ratio": 0.2924, "missing_value": True},
                ]}},
        },
        "reason_codes": {
            "cutoff": 0.15, "top_n": 4, "scored": 4_000, "declined": 612, "explained": 612,
            "without_reason": 3,
            "statements": {"bureau_score": {"statement": "Credit bureau score is too low",
                                            "reviewed": True},
                           "hour_of_day": {"statement": "Local hour", "reviewed": False}},
            "frequency": [
                {"feature": "bureau_score", "statement": "Credit bureau score is too low",
                 "top_reason_share": 0.4216, "any_reason_share": 0.8333},
                {"feature": "hour_of_day", "statement": "Local hour",
                 "top_reason_share": 0.0523, "any_reason_share": 0.2111},
            ],
            "examples": [],
            "fidelity": {"definition": "Share of declines whose risk falls.", "share": 0.9137,
                         "n": 609},
        },
        "gates": [
            {"name": "min_auc", "passed": True, "observed": challenger["metrics"]["auc"],
             "threshold": 0.6, "description": "OOT AUC must be at least 0.6000"},
            {"name": "adverse_impact_ratio", "passed": True, "observed": 0.7312,
             "threshold": None, "description": "lowest ratio 0.7312; not set: reported only"},
        ],
        "passed": True,
        "decision": "pending",
    }  # fmt: skip
    return record


def _record(sequence: int, event: str, version: int | None, payload: dict, **extra) -> dict:
    return {
        "id": sequence,
        "model": "credit_default",
        "sequence": sequence,
        "version": version,
        "event_type": event,
        "actor": extra.get("actor", "dagster run 1234"),
        "created_at": f"2026-11-{sequence:02d}T10:00:00.000000Z",
        "payload": payload,
        "artifacts": extra.get("artifacts", []),
        "previous_sha256": _sha(f"record {sequence - 1}") if sequence > 1 else None,
        "record_sha256": _sha(f"record {sequence}"),
    }


def _move(id_: int, before: int | None, to: int, action: str = "promote", **extra) -> dict:
    return {"id": id_, "model": "credit_default", "alias": "champion", "from_version": before,
            "to_version": to, "reason": extra.get("reason", f"v{to} passed every gate"),
            "actor": extra.get("actor", "dagster run 1234"),
            "created_at": f"2026-11-{10 + id_:02d}T09:00:00+00:00", "action": action}  # fmt: skip


def _alias_payload(move: dict, **extra) -> dict:
    return {"registry_row": {"table": "alias_events", "id": move["id"]}, "row": move, **extra}


def document(champion: bool = True) -> ModelDocument:
    """v3 of credit_default; with ``champion``, v1 and v2 served before it, v2 by an override,
    v3 was approved by a reviewer and is the champion now."""
    record = evaluation(champion)
    moves = [_move(1, None, 1), _move(2, 1, 2), _move(3, 2, 3, reason=f"approved: {HOSTILE}")]
    artifact = {"key": "credit_default/models/v3/model.txt", "sha256": "cd" * 32,
                "uri": "file:///store/credit_default/models/v3/model.txt"}  # fmt: skip
    ledger = [_record(1, "registered", 3, {}, artifacts=[artifact]),
              _record(2, "evaluated", 3, {"decision": "pending"})]  # fmt: skip
    if champion:
        ledger += [
            _record(3, "promoted", 1, _alias_payload(moves[0])),
            _record(4, "override", 2, _alias_payload(
                moves[1], approver="carol", override_reason="Regulator deadline",
                failed_gates=[{"name": "score_psi", "description": "score PSI 0.31 too high"}])),
            _record(5, "approved", 3, {"row": {"note": "Looks sound"}}, actor="dana"),
            _record(6, "promoted", 3, _alias_payload(moves[2]), actor="dana"),
        ]  # fmt: skip
    return ModelDocument(
        version={
            "model": "credit_default", "version": 3, "artifact_uri": artifact["uri"],
            "model_sha256": "cd" * 32, "training_set_fingerprint": "ab" * 32,
            "code_version": "features-v3; training_set-v2-abc; training-v4",
            "git_commit": "0123456789abcdef", "created_at": "2026-11-01T10:00:00+00:00",
            "status": "champion" if champion else "evaluated",
            "params": {"learning_rate": 0.08, "num_leaves": 31, "monotone_constraints": [1, -1]},
            "windows": {"as_of": "2026-11-14", "train_start": "2026-01-01",
                        "valid_start": "2026-08-22", "train_end": "2026-08-31",
                        "oot_start": "2026-09-01", "oot_end": "2026-10-15"},
            "metrics": record["challenger"]["metrics"],
            "features": ["annual_income", "bureau_score", "loan_to_income", "merchant_category"],
            "spec": SPEC, "trained_by": "bob",
        },
        spec=SPEC,
        evaluation=record,
        ledger=ledger,
        approvals=[{"model": "credit_default", "version": 3, "decision": "approved",
                    "reviewer": "dana", "note": f"Looks sound {HOSTILE}",
                    "created_at": "2026-11-05T10:00:00+00:00"}] if champion else [],
        champion_history=moves if champion else [],
        current_champion=3 if champion else None,
        generated_at="2026-12-01T08:00:00+00:00",
        recorded_evaluation={"report_uri": "file:///store/credit_default/reports/v3/evaluation.json",
                             "report_sha256": "ef" * 32, "created_at": "2026-11-02T10:00:00+00:00",
                             "metrics": record["challenger"]["metrics"],
                             "gates": record["gates"], "passed": True},
        evaluation_sha256="ef" * 32,
    )  # fmt: skip
