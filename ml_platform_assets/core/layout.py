"""Where each artifact of a model lives in the object store (keys relative to its root)."""

from __future__ import annotations

import datetime as dt
import re

LANDING_FORMATS = ("parquet", "csv")
LANDING_KINDS = ("applications", "outcomes")
_LANDING_KEY = re.compile(
    rf"(?P<model>.+)/landing/(?P<kind>{'|'.join(LANDING_KINDS)})/"
    rf"(?P<day>\d{{4}}-\d{{2}}-\d{{2}})\.(?P<ext>{'|'.join(LANDING_FORMATS)})"
)


def landing_keys(model: str, kind: str, day: dt.date) -> list[str]:
    """Candidate keys of a delivered file, in the order they are looked for."""
    return [f"{model}/landing/{kind}/{day.isoformat()}.{ext}" for ext in LANDING_FORMATS]


def parse_landing_key(key: str) -> tuple[str, str, dt.date] | None:
    """(model, kind, day) of a delivered file ``<model>/landing/<kind>/<YYYY-MM-DD>.<ext>``;
    None for any other key (records, replaced copies, a day that is not a date)."""
    match = _LANDING_KEY.fullmatch(key)
    if match is None:
        return None
    try:
        return match["model"], match["kind"], dt.date.fromisoformat(match["day"])
    except ValueError:
        return None


def delivery_record_key(model: str, kind: str, day: dt.date) -> str:
    """Who delivered a landing file, from which source, with which sha256, and what it
    replaced."""
    return f"{model}/landing/{kind}/{day.isoformat()}.delivery.json"


def replaced_landing_key(model: str, kind: str, day: dt.date, sha256: str, ext: str) -> str:
    """Where a redelivery keeps the landing file it replaced."""
    return f"{model}/landing/{kind}/replaced/{day.isoformat()}.{sha256[:12]}.{ext}"


def raw_key(model: str, day: dt.date) -> str:
    """Validated applications of a day."""
    return f"{model}/raw/dt={day.isoformat()}/data.parquet"


def outcomes_key(model: str, day: dt.date) -> str:
    """Validated outcomes that became known on a day."""
    return f"{model}/outcomes/dt={day.isoformat()}/data.parquet"


def quarantine_key(model: str, kind: str, day: dt.date) -> str:
    """Rows of a day's ``kind`` file rejected by validation, each with its reason."""
    return f"{model}/quarantine/{kind}/dt={day.isoformat()}/rows.parquet"


def features_key(model: str, day: dt.date) -> str:
    """Model features of a day's applications."""
    return f"{model}/features/dt={day.isoformat()}/data.parquet"


def training_set_key(model: str, fingerprint: str, split: str) -> str:
    """One split (train, valid, oot) of a training set, by its fingerprint."""
    return f"{model}/training_sets/{fingerprint}/{split}.parquet"


def model_artifact_key(model: str, version: int, name: str) -> str:
    """``name`` is model.txt, card.json or reference.parquet."""
    return f"{model}/models/v{version}/{name}"


def report_key(model: str, version: int, name: str) -> str:
    """``name`` is evaluation.html or evaluation.json."""
    return f"{model}/reports/v{version}/{name}"


def drift_key(model: str, day: dt.date, name: str) -> str:
    """``name`` is drift.json, drift.html or (on demand) drift_full.html, Evidently's page."""
    return f"{model}/drift/dt={day.isoformat()}/{name}"


def manifest_key(asset_path: list[str]) -> str:
    """The small JSON record an unpartitioned asset hands to the next one."""
    model, *rest = asset_path
    return f"{model}/manifests/{'__'.join(rest)}.json"
