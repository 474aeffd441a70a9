"""The one place that reads the environment and turns it into resources.

Embedded by default (a local folder and SQLite inside it); production by setting
``ML_PLATFORM_OBJECT_STORE=s3://...`` and ``ML_PLATFORM_DATABASE_URL=mysql+pymysql://...``, and
on Kubernetes ``ML_PLATFORM_EXECUTOR=kubernetes`` (steps as Kubernetes Jobs).
Every variable is documented in ``.env.example`` at the repository root. Dagster is imported only
by the functions that build its resources and instance: ``database_url_from_env`` serves the
command line's read-only commands, which open the registry alone.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from resources.database import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    import dagster as dg

    from resources.kubernetes import KubernetesSettings

logger = logging.getLogger(__name__)

DEFAULT_OBJECT_STORE = ".ml_platform"
_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _setting(env: Mapping[str, str], name: str, *, from_process: bool) -> str | None:
    """Returns a variable's value, or a ``dg.EnvVar`` when it comes from the process.

    An ``EnvVar`` keeps the value out of the run's stored config: Dagster shows the variable's
    name and resolves it when the run starts. An explicit mapping (tests, tools) is used as is.
    """
    value = env.get(name) or None
    if value is None or not from_process:
        return value
    import dagster as dg

    return dg.EnvVar(name)


def default_database_url(object_store: str) -> str:
    """SQLite next to a local object store; the embedded default when the store is S3.

    The path is absolute: engines are pooled per URL, and a relative one would keep pointing at
    the folder the first connection was made from.
    """
    if object_store.startswith("s3://"):
        return DEFAULT_DATABASE_URL
    return f"sqlite:///{Path(object_store).resolve()}/registry.db"


def resources_from_env(env: Mapping[str, str] | None = None) -> dict[str, dg.ConfigurableResource]:
    """Returns the ``object_store`` and ``database`` resources the environment describes.

    Args:
        env: Variables to read; the process environment when None. Secrets read from the
            process environment are passed as ``dg.EnvVar``, never as literal config.
    """
    from resources.database_resource import DatabaseResource
    from resources.object_store_resource import ObjectStoreResource

    from_process = env is None
    env = os.environ if env is None else env
    store_uri = _object_store_uri(env)
    object_store = ObjectStoreResource(
        uri=store_uri,
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        **{name.lower(): _setting(env, name, from_process=from_process) for name in _SECRETS},
    )
    database_url = _setting(env, "ML_PLATFORM_DATABASE_URL", from_process=from_process)
    if database_url is None:
        database_url = default_database_url(store_uri)
        if store_uri.startswith("s3://"):
            logger.warning(
                "The object store is S3 but ML_PLATFORM_DATABASE_URL is unset: the registry "
                "falls back to a local SQLite file (%s).",
                database_url,
            )
    return {"object_store": object_store, "database": DatabaseResource(url=database_url)}


def _object_store_uri(env: Mapping[str, str]) -> str:
    # Checked here, where it is read: the registry's default database sits in this folder.
    return checked_store_uri(env.get("ML_PLATFORM_OBJECT_STORE") or DEFAULT_OBJECT_STORE)


def checked_store_uri(uri: str) -> str:
    """``uri`` when it names a store: a local folder or ``s3://bucket/prefix``.

    Raises:
        ValueError: another scheme (a typo such as ``s4://`` would otherwise become a local
            folder named ``s4:``, with a registry in it; ``file://`` too: give the folder).
    """
    if "://" in uri and not uri.startswith("s3://"):
        raise ValueError(
            f"the object store (ML_PLATFORM_OBJECT_STORE) {uri!r} is neither a local folder "
            "nor s3://bucket/prefix"
        )
    return uri


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """The registry database's URL as a plain string, for code that runs outside Dagster.

    The same database ``resources_from_env`` configures, without building any resource.
    """
    env = os.environ if env is None else env
    url = env.get("ML_PLATFORM_DATABASE_URL") or None
    return url or default_database_url(_object_store_uri(env))


def specs_dir_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """Returns the folder of extra model specs (``ML_PLATFORM_SPECS_DIR``), if set."""
    env = os.environ if env is None else env
    return env.get("ML_PLATFORM_SPECS_DIR") or None


EXECUTORS = ("in_process", "kubernetes")


def kubernetes_settings(env: Mapping[str, str] | None = None) -> KubernetesSettings:
    """How runs execute their steps: ``ML_PLATFORM_EXECUTOR`` (``in_process``, the default, or
    ``kubernetes``) and the compute profiles of ``ML_PLATFORM_COMPUTE_PROFILES`` (a YAML file of
    overrides, optional). Read once per distinct pair of values.

    Raises:
        ValueError: an unknown executor, or a profiles file that is missing or invalid (the
            message names the file and the field).
    """
    env = os.environ if env is None else env
    executor = env.get("ML_PLATFORM_EXECUTOR") or "in_process"
    return _kubernetes_settings(executor, env.get("ML_PLATFORM_COMPUTE_PROFILES") or None)


@functools.cache
def _kubernetes_settings(executor: str, profiles_file: str | None) -> KubernetesSettings:
    import pydantic
    import yaml

    from resources.kubernetes import KubernetesSettings

    if executor not in EXECUTORS:
        raise ValueError(f"ML_PLATFORM_EXECUTOR={executor!r} is not one of {', '.join(EXECUTORS)}.")
    enabled = executor == "kubernetes"
    if not profiles_file:
        return KubernetesSettings(enabled=enabled)
    try:
        overrides = yaml.safe_load(Path(profiles_file).read_text()) or {}
        if not isinstance(overrides, dict):
            raise ValueError("it must be a mapping with profiles and max_concurrent_steps")
        return KubernetesSettings.with_overrides(overrides, enabled=enabled)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        reason = f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    except (OSError, yaml.YAMLError, ValueError) as exc:
        reason = str(exc)
    raise ValueError(
        f"The compute profiles file {profiles_file} (ML_PLATFORM_COMPUTE_PROFILES) is not "
        f"usable: {reason}"
    )


def debug_tracebacks(env: Mapping[str, str] | None = None) -> bool:
    """Whether the command line prints tracebacks (``ML_PLATFORM_DEBUG``) besides its sentence."""
    env = os.environ if env is None else env
    return bool(env.get("ML_PLATFORM_DEBUG"))


LOCAL_INSTANCE_YAML = """# Created by ml-platform for runs made without DAGSTER_HOME.
telemetry:
  enabled: false
"""


def dagster_instance(env: Mapping[str, str] | None = None) -> dg.DagsterInstance:
    """Returns the Dagster instance under ``DAGSTER_HOME``.

    When it is unset, runs still persist: a local instance under ``.ml_platform/dagster`` is
    created, so the Dagster UI started with that DAGSTER_HOME shows them.
    """
    env = os.environ if env is None else env
    home = env.get("DAGSTER_HOME")
    if not home:
        local = Path(DEFAULT_OBJECT_STORE, "dagster").resolve()
        local.mkdir(parents=True, exist_ok=True)
        config = local / "dagster.yaml"
        if not config.exists():
            config.write_text(LOCAL_INSTANCE_YAML)
        logger.info("DAGSTER_HOME is unset: using the local instance in %s", local)
        home = str(local)
    import dagster as dg

    return dg.DagsterInstance.from_config(home)


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
