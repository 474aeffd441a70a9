"""``promoted_in_run`` (services/promotion.py) on a plain registry, SQLite and MariaDB: a run
promoted a version only when that version is the champion and the alias move that made it so was
recorded by that run."""

from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.promotion import promoted_in_run
from tests.registry_versions import register_passed

MODEL = "credit_default"
RUN = "0f6d1c2e-5b7a-4c3d-9e8f-a1b2c3d4e5f6"


def test_promoted_only_by_the_run_that_moved_the_alias(registry: ModelRegistry) -> None:
    first, second = register_passed(registry, MODEL), register_passed(registry, MODEL)
    assert not promoted_in_run(registry, MODEL, first, RUN)  # no champion at all

    registry.promote(MODEL, first, reason="passed every gate", actor=f"dagster run {RUN}")
    assert promoted_in_run(registry, MODEL, first, RUN)
    assert not promoted_in_run(registry, MODEL, first, "another-run")
    assert not promoted_in_run(registry, MODEL, second, RUN)  # evaluated, not champion

    # Promoted by someone else: the champion, but not this run's doing.
    registry.promote(MODEL, second, reason="approved by hand", actor="model-risk reviewer")
    assert not promoted_in_run(registry, MODEL, second, RUN)
    # Promoted by the run, then replaced: no longer the champion.
    assert not promoted_in_run(registry, MODEL, first, RUN)
    # Rolled back to the version the run once promoted: the rollback moved it, not the run.
    registry.rollback(MODEL, reason="incident", actor="on-call")
    assert registry.champion(MODEL).version == first
    assert not promoted_in_run(registry, MODEL, first, RUN)
