"""The code location Dagster loads (``workspace.yaml``, ``pyproject.toml``): every spec's
asset chain, wired to the resources and executor of the environment this process runs in."""

import dagster as dg

from ml_platform_assets.code_location import build_definitions
from ml_platform_assets.core.spec import load_specs
from resources.environment import read_environment
from resources.kubernetes import load_kubernetes_settings
from resources.wiring import platform_resources


def _from_environment() -> dg.Definitions:
    environment = read_environment()
    return build_definitions(
        load_specs(environment.specs_dir),
        platform_resources(environment),
        load_kubernetes_settings(environment.executor, environment.compute_profiles),
    )


defs = _from_environment()
