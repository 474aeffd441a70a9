"""Resolving resource fields configured from environment variables.

``resources.environment`` decides which variables configure which resource and passes secrets as
``dg.EnvVar`` references, so run configs never hold their values. Inside a Dagster run those
fields arrive resolved; outside one (the command line, tests) a field still holds the reference,
and this is where its value is read, when a resource opens its connection.
"""

from __future__ import annotations

from typing import Any

import dagster as dg


def resolved(value: Any) -> Any:
    """``value``, or the environment variable's value when it is a ``dg.EnvVar``."""
    return value.get_value() if isinstance(value, dg.EnvVar) else value
