"""Small invented credit data sets shaped the way lenders' systems export them.

About 100 applications a day over 34 days with a learnable default signal and the target inside
the files; each delivery case below starts from ``make_day`` and ``base_spec`` and bends one
thing the way a real export does. Every row is synthetic (seeded numpy).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

START = dt.date(2026, 1, 1)
DAYS = 34
CHANNELS = ["web", "app", "branch"]


def days(n: int = DAYS, start: dt.date = START) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def make_day(day: dt.date, n: int = 100, seed: int = 1, bad_boost: float = 0.0) -> pd.DataFrame:
    """``n`` invented applications on ``day``, with ``is_bad`` 0/1."""
    rng = np.random.default_rng(seed * 100_000 + day.toordinal())
    income = np.round(rng.lognormal(10.8, 0.5, n), 2)
    dti = np.round(rng.beta(2, 5, n) * 1.5, 4)
    loan = np.round(rng.uniform(200, 20000, n), 2)
    score = rng.integers(450, 830, n)
    channel = rng.choice(CHANNELS, n, p=[0.5, 0.35, 0.15])
    logit = -3.0 + 2.5 * dti - 0.012 * (score - 650) + 0.00003 * loan + (channel == "web") * 0.4
    p = 1 / (1 + np.exp(-(logit + bad_boost)))
    bad = (rng.random(n) < p).astype(int)
    secs = np.sort(rng.integers(0, 86400, n))
    stamps = [dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=int(s)) for s in secs]
    return pd.DataFrame(
        {
            "app_id": [f"A{day.strftime('%Y%m%d')}{i:05d}" for i in range(n)],
            "applied_at": [s.strftime("%Y-%m-%d %H:%M:%S") for s in stamps],
            "annual_income": income,
            "debt_to_income": dti,
            "loan_amount": loan,
            "bureau_score": score,
            "channel": channel,
            "is_bad": bad,
        }
    )


def base_spec(name: str, applications: str | Path, **overrides) -> dict:
    spec = {
        "name": name,
        "description": f"delivery case {name}",
        "owner": "team:credit-risk",
        "start_date": START.isoformat(),
        "data_source": {"kind": "files", "applications": str(applications)},
        "entity_id_column": "app_id",
        "event_timestamp_column": "applied_at",
        "target": {"column": "is_bad", "bad_value": 1},
        "features": {
            "numeric": {
                "annual_income": {"min": 0},
                "debt_to_income": {"min": 0, "max": 5},
                "loan_amount": {"min": 0, "max": 100000},
                "bureau_score": {"min": 300, "max": 850},
            },
            "categorical": {"channel": {"values": list(CHANNELS)}},
            "derived": {"loan_to_income": {"ratio": ["loan_amount", "annual_income"]}},
        },
        "monotone_constraints": {"debt_to_income": "increasing"},
        "lightgbm": {
            "objective": "binary",
            "learning_rate": 0.1,
            "num_leaves": 7,
            "min_data_in_leaf": 20,
            "num_boost_round": 60,
            "early_stopping_rounds": 10,
        },
        "windows": {
            "training_days": 20,
            "validation_days": 5,
            "oot_days": 7,
            "label_maturity_days": 3,
        },
        "gates": {"min_auc": 0.55, "max_auc_drop_vs_champion": 0.05, "max_score_psi": 0.5},
        "drift": {
            "share_threshold": 0.3,
            "consecutive_days": 2,
            "min_matured_labels": 100,
            "cooldown_days": 7,
        },
        "decision": {"cutoff": 0.3},
    }
    spec.update(overrides)
    return spec


def write_days(folder: Path, frames: dict[dt.date, pd.DataFrame], **to_csv) -> str:
    """One CSV per day as ``apps_<day>.csv``; returns the spec's ``{date}`` pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for day, frame in frames.items():
        frame.to_csv(folder / f"apps_{day}.csv", index=False, **to_csv)
    return str(folder / "apps_{date}.csv")


def write_spec(folder: Path, spec: dict, text: str | None = None) -> Path:
    """The spec as YAML in its own folder (one invalid spec would block every model)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{spec['name']}.yaml").write_text(
        text if text is not None else yaml.safe_dump(spec, sort_keys=False)
    )
    return folder
