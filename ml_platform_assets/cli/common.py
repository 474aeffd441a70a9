"""What every command shares: the environment it runs in, and one-sentence errors.

Nothing here imports Dagster, LightGBM or Evidently: the read-only commands (``models``,
``drift status``) need the specs and the registry database alone, and answer in about a second.
The commands that run the lifecycle ask for the definitions and the instance, which load Dagster.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ml_platform_assets.core.spec import ModelSpec
    from ml_platform_assets.registry import ModelRegistry

T = TypeVar("T")


def unknown_model(name: str, known: list[str]) -> click.ClickException:
    """The one sentence every command gives for a model it does not know."""
    return click.ClickException(f"no model named '{name}'; known models: {', '.join(known)}")


def plural(count: int, unit: str) -> str:
    """'1 day', '14 days', '1,200 applications'."""
    return f"{count:,} {unit}{'' if count == 1 else 's'}"


class VersionType(click.ParamType):
    """A model version as people write it: ``3`` or ``v3`` (every output prints ``v3``)."""

    name = "version"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"[vV]?(\d+)", str(value).strip())
        if match is None:
            self.fail(f"'{value}' is not a version number (3 or v3)", param, ctx)
        return int(match.group(1))


VERSION = VersionType()


class Context:
    """The environment of one command, each part loaded when first asked for."""

    @functools.cached_property
    def specs(self) -> dict[str, ModelSpec]:
        from ml_platform_assets.core.spec import load_specs
        from resources.environment import specs_dir_from_env

        return load_specs(specs_dir_from_env())

    def spec(self, name: str) -> ModelSpec:
        if name not in self.specs:
            raise unknown_model(name, sorted(self.specs))
        return self.specs[name]

    @functools.cached_property
    def resources(self) -> dict[str, Any]:
        from resources.environment import resources_from_env

        return resources_from_env()

    @functools.cached_property
    def defs(self):
        """The Dagster definitions of every spec (imports Dagster, LightGBM and Evidently)."""
        from ml_platform_assets.definitions import build_definitions

        return build_definitions(self.specs, self.resources)

    def store(self):
        return self.resources["object_store"].get_store()

    @functools.cached_property
    def _registry(self) -> ModelRegistry:
        from ml_platform_assets.registry import ModelRegistry
        from resources.database import get_engine
        from resources.environment import database_url_from_env

        return ModelRegistry(get_engine(database_url_from_env()))

    def read(self, query: Callable[[ModelRegistry], T]) -> T:
        """``query(registry)``; a database without the current schema is migrated first.

        Reading needs no migration tool while the schema is current; only a new database, or
        one from an older release, costs the migration (missing tables and columns show as
        errors of the query, which then runs once more).
        """
        import sqlalchemy as sa

        from resources.database import migrate

        registry = self._registry
        try:
            return query(registry)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            migrate(registry.engine)
            return query(registry)

    def instance(self):
        from resources.environment import dagster_instance

        return dagster_instance()


def _sentence(message: str) -> str:
    """The first line of ``message`` in this tool's style: lower-case first word (names and
    acronyms keep their capitals: 'SQLite ...', 'LightGBM ...'), no closing full stop."""
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    if re.match(r"[A-Z][a-z]", first):
        first = first[0].lower() + first[1:]
    return first.removesuffix(".")


def one_sentence(fn):
    """An expected failure becomes one sentence and exit status 1, never a bare traceback;
    ``ML_PLATFORM_DEBUG=1`` prints the traceback too."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except BrokenPipeError:
            # The reader closed the pipe (``| head``): it has what it wanted. Later writes,
            # the interpreter's final flush included, go nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:  # noqa: BLE001 - the command line's last line of defence
            from resources.environment import debug_tracebacks

            if debug_tracebacks():
                traceback.print_exc()
            raise click.ClickException(_sentence(str(exc)) or type(exc).__name__) from exc

    return wrapper
