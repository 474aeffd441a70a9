"""Running ``ml-platform`` in the tests: the command in process, a spec on delivered files, and
the environment of the real backends."""

import datetime as dt
import uuid
from pathlib import Path

import yaml
from click.testing import CliRunner

from ml_platform_assets.cli import main
from ml_platform_assets.core.simulate import simulate_day
from ml_platform_assets.core.spec import BUILTIN_SPECS_DIR, load_specs

START = dt.date(2026, 1, 1)


def invoke(*args: str):
    """Runs ``ml-platform ARGS`` in process and returns the result; exceptions propagate."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def files_spec(folder: Path, days: int) -> Path:
    """A model on delivered CSV files (target column inside), short windows."""
    base = yaml.safe_load((BUILTIN_SPECS_DIR / "credit_default.yaml").read_text())
    spec = load_specs()["credit_default"]
    for day in (START + dt.timedelta(days=i) for i in range(days)):
        frame = simulate_day(spec, day, 800, seed=11).drop(columns=["outcome_date"])
        frame.to_csv(folder / f"apps_{day.isoformat()}.csv", index=False)
    base |= {
        "name": "pay_in_four",
        "data_source": {"kind": "files", "applications": str(folder / "apps_{date}.csv")},
        "windows": {"training_days": 6, "validation_days": 2, "oot_days": 3,
                    "label_maturity_days": 3},
    }  # fmt: skip
    specs = folder / "specs"
    specs.mkdir()
    (specs / "pay_in_four.yaml").write_text(yaml.safe_dump(base))
    return specs


def use_real_backends(monkeypatch, request) -> None:
    """Point the environment at the run's SeaweedFS bucket and a fresh MariaDB database."""
    s3 = request.getfixturevalue("s3_settings")
    bucket = s3["ML_PLATFORM_TEST_S3_BUCKET"]
    monkeypatch.setenv("ML_PLATFORM_OBJECT_STORE", f"s3://{bucket}/cli-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3["ML_PLATFORM_TEST_S3_ENDPOINT"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3["ML_PLATFORM_TEST_S3_ACCESS_KEY"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3["ML_PLATFORM_TEST_S3_SECRET_KEY"])
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    database = request.getfixturevalue("make_mysql_database")()
    monkeypatch.setenv("ML_PLATFORM_DATABASE_URL", database)
