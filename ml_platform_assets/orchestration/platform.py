"""The platform a lifecycle command works on: the environment's specs, storage, definitions,
Dagster instance and the runner that executes its jobs."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import dagster as dg

from ml_platform_assets.code_location import build_definitions
from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.orchestration.runs import Runner, runner_for
from ml_platform_assets.registry import ModelRegistry
from ml_platform_assets.services.registry_access import open_registry
from resources.environment import Environment
from resources.home import create_platform
from resources.kubernetes import load_kubernetes_settings
from resources.object_store import ObjectStore
from resources.stores import open_object_store
from resources.wiring import dagster_instance, platform_resources


class Platform:
    """One environment's platform, each part built when first asked for.

    Asking for the instance, the registry or the runner makes the home folder, the embedded
    instance and the registry's schema when they are missing, so a command that fails on its
    input before that creates nothing. Only commands that run the lifecycle use this.
    """

    def __init__(self, environment: Environment, specs: Mapping[str, ModelSpec]):
        self.environment, self.specs = environment, specs
        self._made = False

    def _make(self) -> None:
        if not self._made:
            create_platform(self.environment)
            self._made = True

    @functools.cached_property
    def defs(self) -> dg.Definitions:
        """The Dagster definitions of every spec (imports LightGBM and the asset graph)."""
        environment = self.environment
        compute = load_kubernetes_settings(environment.executor, environment.compute_profiles)
        return build_definitions(self.specs, platform_resources(environment), compute)

    @functools.cached_property
    def instance(self) -> dg.DagsterInstance:
        """The Dagster instance the environment names."""
        self._make()
        return dagster_instance(self.environment)

    @functools.cached_property
    def runner(self) -> Runner:
        """In process on the default run launcher, through the instance on any other."""
        return runner_for(
            self.defs,
            self.instance,
            self.environment.dagster_home,
            self.environment.workspace,
        )

    @functools.cached_property
    def store(self) -> ObjectStore:
        """The object store."""
        return open_object_store(self.environment)

    @functools.cached_property
    def registry(self) -> ModelRegistry:
        """The model registry, migrated."""
        self._make()
        return open_registry(self.environment.database_url)
