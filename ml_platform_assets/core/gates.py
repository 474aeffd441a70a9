"""Promotion gates: the spec's thresholds applied to an evaluation.

Each gate yields a result that says in a sentence what was observed against what was required,
because the same words end up in the UI, the registry and the audit trail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ml_platform_assets.core.spec import Gates

GATE_NAMES = ("min_auc", "auc_vs_champion", "score_psi")


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    observed: float | None
    threshold: float
    description: str

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate_gates(
    gates: Gates, auc: float, champion_auc: float | None, score_psi: float
) -> list[GateResult]:
    """All gates for a challenger; ``champion_auc`` is None when there is no champion yet."""
    results = [
        GateResult(
            "min_auc",
            auc >= gates.min_auc,
            auc,
            gates.min_auc,
            f"OOT AUC {auc:.4f} must be at least {gates.min_auc:.4f}",
        ),
        GateResult(
            "score_psi",
            score_psi < gates.max_score_psi,
            score_psi,
            gates.max_score_psi,
            f"score PSI training vs OOT {score_psi:.4f} must be below {gates.max_score_psi:.4f}",
        ),
    ]
    if champion_auc is None:
        results.insert(
            1,
            GateResult(
                "auc_vs_champion",
                True,
                None,
                gates.max_auc_drop_vs_champion,
                "no champion yet: the first model only needs the absolute gates",
            ),
        )
    else:
        floor = champion_auc - gates.max_auc_drop_vs_champion
        results.insert(
            1,
            GateResult(
                "auc_vs_champion",
                auc >= floor,
                auc - champion_auc,
                gates.max_auc_drop_vs_champion,
                f"OOT AUC {auc:.4f} vs champion {champion_auc:.4f} on the same rows: may be at "
                f"most {gates.max_auc_drop_vs_champion:.4f} lower",
            ),
        )
    return results


def failed_summary(results: list[GateResult]) -> str:
    """One sentence naming every failed gate, for the record of a rejection."""
    failed = [r.description for r in results if not r.passed]
    return "; ".join(failed) if failed else "all gates passed"
