"""Model versions registered straight into a registry, for the tests that need versions to
promote, record drift against or race over, but no trained model."""

from ml_platform_assets.registry import ModelRegistry


def register(registry: ModelRegistry, model: str = "credit_default", **fields) -> int:
    """Registers the next version of ``model`` with placeholder training facts (``fields``
    replace any of them) and returns its number."""
    defaults = dict(
        artifact_uri=f"s3://artifacts/{model}/models/vN/model.txt",
        model_sha256="ab" * 32,
        training_set_fingerprint="f1e2d3",
        code_version="0.1.0",
        git_commit=None,
        params={},
        windows={},
        features=["income"],
        spec={"name": model},
    )
    return registry.register_version(model, **(defaults | fields)).version


def register_passed(registry: ModelRegistry, model: str = "credit_default", **fields) -> int:
    """A version that passed its gates (the only kind promoted without an override)."""
    version = register(registry, model, **fields)
    registry.record_evaluation(
        model,
        version,
        metrics={"auc": 0.8},
        gates=[],
        passed=True,
        report_uri=f"s3://artifacts/{model}/reports/v{version}/evaluation.json",
        report_sha256="cd" * 32,
        champion_version=None,
    )
    return version
