"""What every command shares: the environment it runs in, and one-sentence errors."""

from __future__ import annotations

import functools
import traceback

import click

from ml_platform_assets.core.spec import ModelSpec, load_specs


class Context:
    """Loads the environment once per command: specs, resources, definitions, instance."""

    def __init__(self) -> None:
        from ml_platform_assets.definitions import build_definitions
        from resources.environment import resources_from_env, specs_dir_from_env

        self.specs = load_specs(specs_dir_from_env())
        self.resources = resources_from_env()
        self.defs = build_definitions(self.specs, self.resources)

    def spec(self, name: str) -> ModelSpec:
        if name not in self.specs:
            known = ", ".join(sorted(self.specs))
            raise click.ClickException(f"no model named '{name}'; known models: {known}")
        return self.specs[name]

    def store(self):
        return self.resources["object_store"].get_store()

    def registry(self):
        from ml_platform_assets.assets.common import registry

        return registry(self.resources["database"])

    def instance(self):
        from resources.environment import dagster_instance

        return dagster_instance()


def one_sentence(fn):
    """An expected failure becomes one sentence and exit status 1, never a bare traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except Exception as exc:  # noqa: BLE001 - the command line's last line of defence
            from resources.environment import debug_tracebacks

            if debug_tracebacks():
                traceback.print_exc()
            lines = str(exc).strip().splitlines()
            raise click.ClickException(lines[0] if lines else type(exc).__name__) from exc

    return wrapper
