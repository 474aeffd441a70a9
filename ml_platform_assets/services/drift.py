"""A day's drift against the champion's training reference, measured, recorded and published.

The result is recorded in the database (what the retrain decision reads) before any page is
drawn: the decision never depends on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

from ml_platform_assets.core import layout
from ml_platform_assets.core.drift import DEFAULT_SAMPLE_ROWS, DriftResult, measure_drift
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.pages.drift import HTML_ROWS, render_drift_html, render_full_preset_html
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.registry.drift import DriftStore
from ml_platform_assets.services.errors import Refused
from resources.object_store import ObjectNotFound, ObjectStore

RECORD_VERSION = 1


@dataclass(frozen=True)
class Reference:
    """The champion whose training data a day is compared with, and that data's sample."""

    version: int
    key: str
    rows: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class PageOptions:
    """How much of each side is measured and drawn (see ``DriftReportConfig``)."""

    sample_rows: int = DEFAULT_SAMPLE_ROWS
    html_rows: int = HTML_ROWS
    full_preset_page: bool = False


@dataclass
class DayDrift:
    """One day's drift: None for a day without applications, with the URIs written by name
    (``json``, ``html``, ``html_full``)."""

    day: dt.date
    champion: int
    result: DriftResult | None
    uris: dict[str, str] = field(default_factory=dict)


def _read(store: ObjectStore, key: str, what: str) -> pd.DataFrame:
    try:
        return store.get_parquet(key)
    except ObjectNotFound as exc:
        raise Refused(f"{what} is missing: {exc}") from exc


def champion_reference(store: ObjectStore, registry: ModelRegistry, spec: ModelSpec) -> Reference:
    """The current champion's training sample, which every day is measured against.

    Raises:
        Refused: there is no champion (recording "no drift" would be a false statement), or
            its reference sample is missing from the store.
    """
    champion = registry.champion(spec.name)
    if champion is None:
        raise Refused(
            f"{spec.name} has no champion yet: drift is measured against the champion's "
            "training data, so train and promote a model first."
        )
    key = layout.model_artifact_key(spec.name, champion.version, "reference.parquet")
    rows = _read(store, key, f"The reference sample of champion v{champion.version}")
    return Reference(champion.version, key, rows)


def measure_day(
    store: ObjectStore,
    registry: ModelRegistry,
    spec: ModelSpec,
    day: dt.date,
    reference: Reference,
    options: PageOptions,
    run_id: str,
) -> DayDrift:
    """Measures ``day`` against ``reference``, records the result (by run ``run_id``) and
    publishes ``drift.json`` and the pages ``options`` ask for.

    A day without applications (a weekend of a feed that skips them) records nothing, so it
    neither raises nor clears a drift streak.

    Raises:
        Refused: the day's features are not stored.
    """
    # The day's application features stand for production data until the decision log exists.
    current = _read(store, layout.features_key(spec.name, day), f"Features of {day}")
    if current.empty:
        return DayDrift(day, reference.version, None)
    seed = day.toordinal()
    result = measure_drift(
        reference.rows, current, spec, sample_rows=options.sample_rows, seed=seed
    )
    payload = result.to_dict() | {
        "record_version": RECORD_VERSION,
        "model": spec.name,
        "day": day.isoformat(),
        "champion_version": reference.version,
        "share_threshold": spec.drift.share_threshold,
        "reference_uri": store.uri(reference.key),
        "current_uri": store.uri(layout.features_key(spec.name, day)),
    }
    uris = {"json": store.put_json(layout.drift_key(spec.name, day, "drift.json"), payload).uri}
    DriftStore(registry.engine).record_result(
        spec.name,
        day,
        reference.version,
        share=result.share,
        drifted_columns=result.drifted_columns,
        columns=[asdict(c) for c in result.columns],
        rows_reference=result.rows_reference,
        rows_current=result.rows_current,
        report_uri=uris["json"],
        run_id=run_id,
    )
    if options.html_rows > 0:
        title = f"Data drift of {spec.name} on {day} against v{reference.version}"
        page = render_drift_html(
            reference.rows,
            current,
            spec,
            rows=options.html_rows,
            seed=seed,
            result=result,
            title=title,
        )
        key = layout.drift_key(spec.name, day, "drift.html")
        uris["html"] = store.put_bytes(key, page.encode()).uri
    if options.full_preset_page:
        page = render_full_preset_html(reference.rows, current, spec, seed=seed, result=result)
        key = layout.drift_key(spec.name, day, "drift_full.html")
        uris["html_full"] = store.put_bytes(key, page.encode()).uri
    return DayDrift(day, reference.version, result, uris)
