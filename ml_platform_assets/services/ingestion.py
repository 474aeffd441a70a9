"""A day's ingestion: the landing file validated against the spec, its valid rows stored as the
day's partition, rejected rows quarantined with a reason each, and applications featurized.

A rerun replaces the day's partition and quarantine, never appends to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from ml_platform_assets.core import layout
from ml_platform_assets.core.features import build_features
from ml_platform_assets.core.parsing import LandingFileError
from ml_platform_assets.core.quarantine import Validation, reason_counts
from ml_platform_assets.core.schemas import application_schema, outcome_schema
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource
from ml_platform_assets.core.validation import read_table, validate_applications, validate_outcomes
from ml_platform_assets.services.errors import Refused
from ml_platform_assets.services.landing_zone import delivery_record
from resources.object_store import ObjectNotFound, ObjectStore

KINDS = ("applications", "outcomes")


@dataclass
class Landed:
    """A day's landing file as parsed, and the names to quote: the user's source file and the
    landing copy's URI."""

    rows: pa.Table | None  # None: no file was delivered for the day
    source: str
    uri: str | None
    sha256: str | None
    etag: str | None = None  # the store's tag of the file read (see ObjectStore.etag)


def read_landing(store: ObjectStore, spec: ModelSpec, kind: str, day: dt.date) -> Landed:
    """The day's landing file of ``kind`` (applications or outcomes), parsed.

    Raises:
        LandingFileError: no file for the day where one is required, or one that cannot be read.
    """
    for key in layout.landing_keys(spec.name, kind, day):
        if store.exists(key):
            # The tag before the bytes: a file replaced in between is then seen as changed by
            # the landing sensor, never as already ingested.
            etag = store.etag(key)
            data, uri = store.get_bytes(key), store.uri(key)
            sha = hashlib.sha256(data).hexdigest()
            record = delivery_record(store, spec.name, kind, day) or {}
            # Messages quote the user's own file when the record vouches for these bytes; a
            # file dropped straight into the landing zone is its own source.
            source = record["source"] if record.get("sha256") == sha else uri
            rows = read_table(data, source, spec, key.rsplit(".", 1)[-1])
            return Landed(rows, source, uri, sha, etag)
    source = spec.data_source
    if not isinstance(source, FilesSource):
        expected = " or ".join(store.uri(k) for k in layout.landing_keys(spec.name, kind, day))
        raise LandingFileError(f"no {kind} file delivered for {day}: expected {expected}")
    if source.missing_days == "empty":
        return Landed(None, f"no file delivered for {day}", None, None)
    raise LandingFileError(
        f"no {kind} file delivered for {day}: deliver it, start the run after it (--start), or "
        "set data_source.missing_days: empty to ingest such days as days without applications"
    )


@dataclass
class IngestedDay:
    """One day of one kind after validation: what was kept, quarantined, and from where."""

    day: dt.date
    uri: str
    delivered_from: str
    valid: pa.Table
    quarantined: pa.Table
    delivered: int
    notes: dict[str, int]
    landing_sha256: str | None
    landing_etag: str | None

    @property
    def quarantine_share(self) -> float:
        """Quarantined rows over delivered rows, 0 for a day without rows."""
        return self.quarantined.num_rows / self.delivered if self.delivered else 0.0


def _validator(spec: ModelSpec, kind: str) -> Callable[[pa.Table, dt.date, str], Validation]:
    if kind == "applications":
        return lambda rows, day, source: validate_applications(rows, spec, day, source)
    date_column = (
        spec.data_source.outcome_date_column
        if isinstance(spec.data_source, FilesSource)
        else "outcome_date"
    )
    return lambda rows, day, source: validate_outcomes(rows, spec, day, source, date_column)


def ingest_day(store: ObjectStore, spec: ModelSpec, kind: str, day: dt.date) -> IngestedDay:
    """Validates the day's landing file of ``kind`` and replaces that day's partition and
    quarantine. A day without a file is an empty day (a feed that skips weekends and
    holidays), unless the spec's ``data_source.missing_days`` is ``fail``.

    Raises:
        Refused: the file is missing where required, or cannot be read as the spec says.
    """
    schema = application_schema(spec) if kind == "applications" else outcome_schema(spec)
    try:
        landed = read_landing(store, spec, kind, day)
        if landed.rows is None:
            checked = Validation(schema.empty_table(), pa.table({}), {"no file delivered": 1})
        else:
            checked = _validator(spec, kind)(landed.rows, day, landed.source)
    except LandingFileError as exc:
        raise Refused(str(exc)) from exc
    quarantine = layout.quarantine_key(spec.name, kind, day)
    bad = checked.quarantined
    if bad.num_rows == 0:
        store.delete(quarantine)  # a rerun of a now-clean file clears its old quarantine
    else:
        store.put_table(quarantine, bad)
    out_key = layout.raw_key if kind == "applications" else layout.outcomes_key
    stored = store.put_table(out_key(spec.name, day), checked.valid)
    return IngestedDay(
        day,
        stored.uri,
        landed.source,
        checked.valid,
        bad,
        landed.rows.num_rows if landed.rows is not None else 0,
        checked.notes,
        landed.sha256,
        landed.etag,
    )


@dataclass
class FeatureDay:
    """A day's features as stored."""

    day: dt.date
    uri: str
    table: pa.Table


def featurize_day(
    store: ObjectStore, spec: ModelSpec, day: dt.date, rows: pa.Table | None = None
) -> FeatureDay:
    """Features of one day's validated applications (``rows``, else the stored raw day),
    replacing that day's partition.

    Raises:
        Refused: ``rows`` is None and the day's raw applications are not stored.
    """
    if rows is None:
        try:
            rows = store.get_table(layout.raw_key(spec.name, day))
        except ObjectNotFound as exc:
            raise Refused(
                f"features of {day} need raw_applications of {day}, which is not "
                f"materialized ({exc})"
            ) from exc
    table = build_features(rows, spec)
    return FeatureDay(day, store.put_table(layout.features_key(spec.name, day), table).uri, table)


def top_reasons(quarantined: pa.Table, n: int = 2) -> str:
    """'channel: unknown value (75); applied_at: ... (3)': the commonest reasons first."""
    counts = list(reason_counts(quarantined).items())[:n]
    return "; ".join(f"{reason} ({count})" for reason, count in counts)


def quarantine_verdict(spec: ModelSpec, days: list[IngestedDay]) -> tuple[bool, str, int, float]:
    """Whether every day stayed within ``data_quality.max_quarantine_share``: (passed, a
    sentence naming the worst days and their reasons, days over the limit, largest share)."""
    limit = spec.data_quality.max_quarantine_share
    over = [r for r in days if r.quarantine_share > limit]
    worst = sorted(over, key=lambda r: -r.quarantine_share)[:5]
    lines = [
        f"{r.day} ({r.delivered_from}): {r.quarantined.num_rows} of {r.delivered} rows "
        f"({r.quarantine_share:.0%}) quarantined, mostly {top_reasons(r.quarantined)}"
        for r in worst
    ]
    if over:
        description = (
            f"{len(over)} of {len(days)} day(s) quarantined more than {limit:.0%} of their "
            "rows: " + " | ".join(lines)
        )
    else:
        description = f"every one of {len(days)} day(s) quarantined at most {limit:.0%}"
    largest = max((r.quarantine_share for r in days), default=0.0)
    return not over, description, len(over), float(largest)
