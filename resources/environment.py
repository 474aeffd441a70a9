"""The one place that reads the environment: ``ML_PLATFORM_*``, ``AWS_*`` and ``DAGSTER_HOME``.

Everything lives in one platform home: ``ML_PLATFORM_HOME`` when set, else the ``.ml_platform``
folder of the current directory or the nearest folder above it that has one (as git finds its
repository), else ``./.ml_platform``, where a command that runs the lifecycle makes one. The
home is the local object store (``<model>/...``) and holds the registry (``registry.db``) and
the Dagster instance (``.dagster/``). Production replaces any part:
``ML_PLATFORM_OBJECT_STORE=s3://...``, ``ML_PLATFORM_DATABASE_URL=mysql+pymysql://...``,
``DAGSTER_HOME``, and ``ML_PLATFORM_EXECUTOR=kubernetes`` for steps as Kubernetes Jobs. Every
variable is listed in ``.env.example``. Nothing here imports Dagster.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from resources.store_uri import checked_store_uri, is_s3

HOME_SETTING = "ML_PLATFORM_HOME"
HOME_FOLDER = ".ml_platform"
# The embedded Dagster instance's folder in the home: a dot keeps it out of the object store's
# keys, so no model name can collide with it.
INSTANCE_FOLDER = ".dagster"
DATABASE_SETTING = "ML_PLATFORM_DATABASE_URL"
# Secrets: passed to Dagster as references to these variables, never as their values.
S3_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class Environment:
    """Where the platform keeps everything and how it runs, as the environment says.

    ``settings`` holds every variable read (name -> value) so that callers building Dagster
    resources can pass secrets as references to the variable instead of its value.
    """

    home: Path
    object_store: str
    database_url: str
    dagster_home: Path
    specs_dir: str | None
    executor: str
    compute_profiles: str | None
    debug: bool
    workspace: str | None  # the deployment's Dagster workspace file, to submit runs with
    from_process: bool
    settings: Mapping[str, str] = field(repr=False)

    @property
    def local_database(self) -> Path | None:
        """The registry's SQLite file when the registry is one, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :].split("?", 1)[0])
        return None

    @property
    def database_is_set(self) -> bool:
        """Whether ``ML_PLATFORM_DATABASE_URL`` chose the database (else the home's SQLite)."""
        return bool(self.settings.get(DATABASE_SETTING))

    @property
    def instance_is_embedded(self) -> bool:
        """Whether the Dagster instance is the home's own (``DAGSTER_HOME`` unset)."""
        return not self.settings.get("DAGSTER_HOME")

    @property
    def home_is_set(self) -> bool:
        """Whether ``ML_PLATFORM_HOME`` named the home (else it was found from the current
        directory, or is the current directory's ``.ml_platform`` to be made)."""
        return bool(self.settings.get(HOME_SETTING))

    def where(self) -> str:
        """Where the platform was looked for, for messages: 'at ...' or 'in ...'."""
        if self.database_is_set:
            return f"in the registry database of {DATABASE_SETTING}"
        if self.home_is_set:
            return f"at {self.home} ({HOME_SETTING})"
        if self.home.is_dir():
            return f"at {self.home}"
        return f"in {self.home.parent} or any folder above it"


def read_environment(env: Mapping[str, str] | None = None) -> Environment:
    """The environment of this process (or of ``env``, for tests and tools).

    The process reads the current directory's ``.env`` too (as ``dagster dev`` does); a
    variable set in the process wins. Relative folders and ``~`` are taken from the current
    directory and home and stored absolute.

    Raises:
        ValueError: ``ML_PLATFORM_OBJECT_STORE`` names neither a folder nor S3.
    """
    from_process = env is None
    env = {**dotenv_values(Path.cwd() / ".env"), **os.environ} if env is None else env
    settings = {k: v for k, v in env.items() if v and _is_ours(k)}
    home = find_home(settings.get(HOME_SETTING))
    store = checked_store_uri(settings.get("ML_PLATFORM_OBJECT_STORE") or str(home))
    if not is_s3(store):
        store = str(Path(store).expanduser().resolve())
    return Environment(
        home=home,
        object_store=store,
        database_url=settings.get(DATABASE_SETTING) or f"sqlite:///{home / 'registry.db'}",
        dagster_home=_folder(settings.get("DAGSTER_HOME")) or home / INSTANCE_FOLDER,
        specs_dir=str(specs) if (specs := _folder(settings.get("ML_PLATFORM_SPECS_DIR"))) else None,
        executor=settings.get("ML_PLATFORM_EXECUTOR") or "in_process",
        compute_profiles=settings.get("ML_PLATFORM_COMPUTE_PROFILES"),
        debug=bool(settings.get("ML_PLATFORM_DEBUG")),
        workspace=settings.get("ML_PLATFORM_WORKSPACE"),
        from_process=from_process,
        settings=settings,
    )


def find_home(setting: str | None, start: Path | None = None) -> Path:
    """The platform home: ``setting`` (``~`` expanded, relative to the current directory),
    else the nearest ``.ml_platform`` folder in ``start`` (the current directory) or above it,
    else ``start/.ml_platform``."""
    if setting:
        return Path(os.path.expanduser(setting)).resolve()
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / HOME_FOLDER).is_dir():
            return folder / HOME_FOLDER
    return start / HOME_FOLDER


def _folder(setting: str | None) -> Path | None:
    return Path(os.path.expanduser(setting)).resolve() if setting else None


def _is_ours(name: str) -> bool:
    return name.startswith(("ML_PLATFORM_", "AWS_")) or name == "DAGSTER_HOME"


def debug_tracebacks() -> bool:
    """Whether the command line prints tracebacks besides its sentence (``ML_PLATFORM_DEBUG``),
    read without the rest of the environment, which may be what failed."""
    return bool(os.environ.get("ML_PLATFORM_DEBUG"))


@functools.cache
def code_git_commit() -> str | None:
    """The git commit of the running code, recorded with every model version.

    ``ML_PLATFORM_GIT_COMMIT`` wins (images have no .git); otherwise git is asked where the
    package lives. None when neither knows.
    """
    if os.environ.get("ML_PLATFORM_GIT_COMMIT"):
        return os.environ["ML_PLATFORM_GIT_COMMIT"]
    try:
        found = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None
