"""Specs of models small enough to reason about by hand, for the core tests that train one: a
simulator source, ``is_bad`` as the target, windows of 2 + 1 + 1 days with labels known at once,
the lowest gates, and drift guardrails that hold no decision back."""

from ml_platform_assets.core.spec import ModelSpec


def hand_spec(
    name: str, description: str, features: dict, lightgbm: dict, cutoff: float, **gates
) -> ModelSpec:
    """The spec of ``name`` over ``features``, trained with ``lightgbm``, declining scores above
    ``cutoff``; ``gates`` add to (or replace) the lowest gates."""
    return ModelSpec.model_validate(
        {
            "name": name,
            "description": description,
            "owner": "team:test",
            "start_date": "2026-01-01",
            "data_source": {"kind": "simulator"},
            "entity_id_column": "application_id",
            "event_timestamp_column": "applied_at",
            "target": {"column": "is_bad", "bad_value": 1},
            "features": features,
            "lightgbm": lightgbm,
            "windows": {
                "training_days": 2,
                "validation_days": 1,
                "oot_days": 1,
                "label_maturity_days": 0,
            },
            "gates": {
                "min_auc": 0.5,
                "max_auc_drop_vs_champion": 0.01,
                "max_score_psi": 0.25,
                **gates,
            },
            "drift": {
                "share_threshold": 0.1,
                "consecutive_days": 1,
                "min_matured_labels": 0,
                "cooldown_days": 0,
            },
            "decision": {"cutoff": cutoff},
        }
    )


def files_spec(numeric: dict, timezone: str = "UTC", **source) -> ModelSpec:
    """A small spec of daily CSV files (``apps_{date}.csv``) with ``numeric`` features and a
    ``channel`` level web/app; ``source`` adds data_source fields."""
    return ModelSpec.model_validate(
        {
            "name": "lender",
            "description": "test",
            "owner": "team:test",
            "start_date": "2026-01-01",
            "timezone": timezone,
            "data_source": {"kind": "files", "applications": "apps_{date}.csv", **source},
            "entity_id_column": "app_id",
            "event_timestamp_column": "applied_at",
            "target": {"column": "is_bad", "bad_value": 1},
            "features": {
                "numeric": numeric,
                "categorical": {"channel": {"values": ["web", "app"]}},
            },
            "windows": {
                "training_days": 10,
                "validation_days": 2,
                "oot_days": 3,
                "label_maturity_days": 1,
            },
            "gates": {"min_auc": 0.6, "max_auc_drop_vs_champion": 0.01, "max_score_psi": 0.25},
            "drift": {
                "share_threshold": 0.3,
                "consecutive_days": 2,
                "min_matured_labels": 10,
                "cooldown_days": 3,
            },
            "decision": {"cutoff": 0.2},
        }
    )
