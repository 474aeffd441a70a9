"""What validated rows look like: the raw zone's schemas, and the code version that says when
the same delivered file would become other rows."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa

from ml_platform_assets.core.spec import ModelSpec

# The training label: 1 for a bad loan, 0 for a good one.
LABEL = "is_bad"
# The label as delivered, kept beside the flag in the validated outcomes.
DELIVERED_LABEL = "label"


def application_schema(spec: ModelSpec) -> pa.Schema:
    """Columns and types of validated applications, the raw zone's schema."""
    categorical = [*spec.features.categorical, *spec.protected_attributes]
    return pa.schema(
        [
            (spec.entity_id_column, pa.string()),
            (spec.event_timestamp_column, pa.timestamp("ns")),
            *((col, pa.float64()) for col in spec.features.numeric),
            *((col, pa.string()) for col in categorical),
        ]
    )


# Bump when parsing or validation turns the same delivered file into other rows.
INGESTION_LOGIC_VERSION = 2  # 2: missing-value tokens, float level codes, comma groups sniffed
# Spec sections that do not decide how a delivered file becomes validated rows.
_NOT_INGESTION = {
    "description",
    "owner",
    "monotone_constraints",
    "lightgbm",
    "windows",
    "gates",
    "drift",
    "data_quality",
    "decision",
}


def ingestion_code_version(spec: ModelSpec, kind: str) -> str:
    """Code version of a model's raw ``kind`` asset ("applications" or "outcomes"): the parsing
    and validation logic version plus every part of the spec that can change the rows a
    delivered file becomes (data source, timezone, columns, target, features and their rules).
    A section added to the spec counts unless listed as not deciding ingestion."""
    declared = spec.model_dump(mode="json", exclude=_NOT_INGESTION)
    digest = hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:12]
    return f"raw_{kind}-v{INGESTION_LOGIC_VERSION}-{digest}"


def outcome_schema(spec: ModelSpec) -> pa.Schema:
    """Columns and types of validated outcomes: ``is_bad`` is 1 or 0, null when the label is
    indeterminate or blank; ``label`` is the label as delivered."""
    return pa.schema(
        [
            (spec.entity_id_column, pa.string()),
            ("outcome_date", pa.timestamp("ns")),
            ("is_bad", pa.int8()),
            ("label", pa.string()),
        ]
    )
