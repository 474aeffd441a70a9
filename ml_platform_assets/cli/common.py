"""What every command shares: the environment it runs in, the registry it reads, and
one-sentence errors.

Nothing here imports Dagster, pandas or LightGBM (an import contract checks it), nor the
object store's libraries: the registry's read-only commands need the specs and the registry
database alone, and answer in about a second. They never create a platform: where none
exists they say so.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

import click

from ml_platform_assets.core.spec import ModelSpec, load_specs
from ml_platform_assets.registry import ModelRegistry
from resources.database import get_engine
from resources.environment import Environment, debug_tracebacks, read_environment
from resources.home import require_platform

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
        """The version number of ``3`` or ``v3``; fails the command on anything else."""
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"[vV]?(\d+)", str(value).strip())
        if match is None:
            self.fail(f"'{value}' is not a version number (3 or v3)", param, ctx)
        return int(match.group(1))


VERSION = VersionType()


class Context:
    """The environment of one command, each part read when first asked for."""

    @functools.cached_property
    def environment(self) -> Environment:
        """The environment's settings (``resources.environment``)."""
        return read_environment()

    @functools.cached_property
    def specs(self) -> dict[str, ModelSpec]:
        """Every model spec: the built-in ones and those of ``ML_PLATFORM_SPECS_DIR``."""
        return load_specs(self.environment.specs_dir)

    def spec(self, name: str) -> ModelSpec:
        """The spec named ``name``; raises the one sentence for an unknown model."""
        if name not in self.specs:
            raise unknown_model(name, sorted(self.specs))
        return self.specs[name]

    @functools.cache  # noqa: B019 - one Context per command
    def registry(self) -> ModelRegistry:
        """The registry of the existing platform.

        Raises:
            resources.home.NoPlatformError: none where the environment points; nothing is
                created in finding out.
        """
        require_platform(self.environment)
        return ModelRegistry(get_engine(self.environment.database_url))

    def read(self, query: Callable[[ModelRegistry], T]) -> T:
        """``query(registry)`` on the existing platform (see ``registry``)."""
        return query(self.registry())


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
            if debug_tracebacks():
                traceback.print_exc()
            raise click.ClickException(_sentence(str(exc)) or type(exc).__name__) from exc

    return wrapper
