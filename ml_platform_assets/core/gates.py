"""Promotion gates: the spec's thresholds applied to an evaluation.

Each gate yields a result that says in a sentence what was observed against what was required,
because the same words end up in the UI, the registry and the audit trail. A gate the spec
leaves unset (the benchmark and adverse-impact gates are optional) passes with its value
reported and a description that says it is not set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ml_platform_assets.core.spec_policies import Gates

GATE_NAMES = ("min_auc", "auc_vs_champion", "score_psi", "auc_vs_benchmark", "adverse_impact_ratio")


@dataclass(frozen=True)
class GateResult:
    """One promotion gate's verdict on a challenger, with what was observed against what."""

    name: str
    passed: bool
    observed: float | None  # None when it could not be measured (e.g. no champion)
    threshold: float | None  # None for an optional gate the spec leaves unset
    description: str

    def as_dict(self) -> dict:
        """The verdict as the evaluation record stores it."""
        return asdict(self)


def _vs_champion(gates: Gates, auc: float, champion_auc: float | None) -> GateResult:
    tolerance = gates.max_auc_drop_vs_champion
    if champion_auc is None:
        description = "no champion yet: the first model only needs the absolute gates"
        return GateResult("auc_vs_champion", True, None, tolerance, description)
    return GateResult(
        "auc_vs_champion",
        auc >= champion_auc - tolerance,
        auc - champion_auc,
        tolerance,
        f"OOT AUC {auc:.4f} vs champion {champion_auc:.4f} on the same rows: may be at most "
        f"{tolerance:.4f} lower",
    )


def _vs_benchmark(gates: Gates, auc: float, benchmark_auc: float | None) -> GateResult:
    tolerance = gates.max_auc_gap_vs_benchmark
    if benchmark_auc is None:
        unset = "; not set" if tolerance is None else ""
        description = f"no benchmark was scored to compare with{unset}"
        return GateResult("auc_vs_benchmark", tolerance is None, None, tolerance, description)
    gap = auc - benchmark_auc
    measured = f"OOT AUC {auc:.4f} vs logistic-regression benchmark {benchmark_auc:.4f}"
    if tolerance is None:
        return GateResult(
            "auc_vs_benchmark", True, gap, None, f"{measured}; not set: reported only"
        )
    return GateResult(
        "auc_vs_benchmark",
        auc >= benchmark_auc - tolerance,
        gap,
        tolerance,
        f"{measured} on the same rows: may be at most {tolerance:.4f} lower",
    )


def _adverse_impact(
    gates: Gates, lowest: tuple[float, str] | None, unmeasured: dict[str, str]
) -> GateResult:
    floor = gates.min_adverse_impact_ratio
    unset = "; not set: reported only" if floor is None else ""
    # An attribute that could not be measured cannot count as passing when the gate is set,
    # even when another attribute was measured.
    missed = "; ".join(f"{name}: {why}" for name, why in unmeasured.items())
    missed = f"adverse impact not measured for {missed}" if missed else ""
    if lowest is None:
        description = missed or "no protected attribute to measure"
        return GateResult("adverse_impact_ratio", floor is None, None, floor, description + unset)
    ratio, where = lowest
    measured = f"lowest adverse impact ratio {ratio:.4f} ({where})"
    also = f"; {missed}" if missed else ""
    if floor is None:
        return GateResult("adverse_impact_ratio", True, ratio, None, measured + also + unset)
    return GateResult(
        "adverse_impact_ratio",
        ratio >= floor and not unmeasured,
        ratio,
        floor,
        f"{measured} must be at least {floor:.4f}{also}",
    )


def evaluate_gates(
    gates: Gates,
    auc: float,
    champion_auc: float | None,
    score_psi: float,
    benchmark_auc: float | None = None,
    lowest_air: tuple[float, str] | None = None,
    unmeasured_air: dict[str, str] | None = None,
) -> list[GateResult]:
    """All gates for a challenger, in ``GATE_NAMES`` order.

    Args:
        champion_auc: None when there is no champion yet.
        benchmark_auc: the logistic-regression benchmark's AUC on the same out-of-time rows;
            None when none was scored (the gate then fails if set).
        lowest_air: the lowest adverse impact ratio and where it is, as
            ``core.fairness.lowest_ratio`` gives it; None when unmeasured (fails if set).
        unmeasured_air: protected attributes whose adverse impact could not be measured, with
            why (``core.fairness.unmeasured``); any fails the gate if set.
    """
    return [
        GateResult(
            "min_auc",
            auc >= gates.min_auc,
            auc,
            gates.min_auc,
            f"OOT AUC {auc:.4f} must be at least {gates.min_auc:.4f}",
        ),
        _vs_champion(gates, auc, champion_auc),
        GateResult(
            "score_psi",
            score_psi < gates.max_score_psi,
            score_psi,
            gates.max_score_psi,
            f"score PSI training vs OOT {score_psi:.4f} must be below {gates.max_score_psi:.4f}",
        ),
        _vs_benchmark(gates, auc, benchmark_auc),
        _adverse_impact(gates, lowest_air, unmeasured_air or {}),
    ]


def failed_summary(results: list[GateResult]) -> str:
    """One sentence naming every failed gate, for the record of a rejection."""
    failed = [r.description for r in results if not r.passed]
    return "; ".join(failed) if failed else "all gates passed"
