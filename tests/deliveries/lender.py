"""A lender's working folder for the delivery tests: ``ml-platform run`` there, on the embedded
platform it makes (``./.ml_platform``), and what it stored, read back."""

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from click.testing import CliRunner

from ml_platform_assets.cli import main

END = "2026-02-03"


class Lender:
    """A fresh working folder and embedded platform home for one case."""

    def __init__(self, root: Path, monkeypatch) -> None:
        self.root = root
        monkeypatch.chdir(root)
        # As the cases' run.sh does: no setting, so the platform is ./.ml_platform.
        for name in (
            "ML_PLATFORM_HOME",
            "ML_PLATFORM_OBJECT_STORE",
            "ML_PLATFORM_DATABASE_URL",
            "DAGSTER_HOME",
        ):
            monkeypatch.delenv(name, raising=False)
        self.monkeypatch = monkeypatch

    def run(self, specs: Path, model: str, *extra: str, end: str = END):
        self.monkeypatch.setenv("ML_PLATFORM_SPECS_DIR", str(specs))
        args = ["run", model, "--start", "2026-01-01", "--end", end, *extra]
        return CliRunner().invoke(main, args, catch_exceptions=False)

    @property
    def store(self) -> Path:
        return self.root / ".ml_platform"

    def table(self, model: str, zone: str, day: str) -> pd.DataFrame:
        return pq.read_table(self.store / model / zone / f"dt={day}" / "data.parquet").to_pandas()

    def quarantined(self, model: str, kind: str = "applications") -> pd.DataFrame:
        files = sorted((self.store / model / "quarantine" / kind).glob("*/rows.parquet"))
        frames = [pq.read_table(f).to_pandas() for f in files]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def versions(self, model: str) -> list[dict]:
        result = CliRunner().invoke(main, ["models", "show", model, "--json"])
        return json.loads(result.output)["versions"] if result.exit_code == 0 else []

    def manifest(self, model: str, name: str) -> dict:
        return json.loads((self.store / model / "manifests" / f"{name}.json").read_text())
