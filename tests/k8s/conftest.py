"""Fixtures for the Kubernetes tests: rendered manifests, and a real API server per session.

The manifests are rendered and checked by ``tests/k8s/kustomize.py`` (``kubectl kustomize``,
then ``kubernetes-validate --strict`` offline against the newest Kubernetes it ships).
``cluster`` builds kube-apiserver once per machine (``.ci/kube-apiserver-build``, started in
the background when the tests are collected) and starts etcd and kube-apiserver on loopback
for the session. When that is impossible the tests that
need it fail and say why; ``ML_PLATFORM_TEST_KUBERNETES=off`` skips them on purpose.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from tests.k8s.cluster import (
    Build,
    Cluster,
    ClusterError,
    build_binaries,
    finish_build,
    start_build,
    stop_build,
)
from tests.k8s.kustomize import KUSTOMIZATIONS, render

TIER_VARIABLE = "ML_PLATFORM_TEST_KUBERNETES"


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict]]:
    """Every kustomization of deploy/kubernetes, rendered: name -> objects."""
    return {name: render(path) for name, path in KUSTOMIZATIONS.items()}


def _tier_off() -> bool:
    return os.environ.get(TIER_VARIABLE, "on").lower() == "off"


_BUILD: dict[str, Build] = {}


def pytest_collection_modifyitems(config, items) -> None:
    """Starts building kube-apiserver in the background as soon as a selected test needs the
    server: a first build (several minutes, at low priority) then overlaps the tests that run
    before the Kubernetes ones, and ``cluster`` waits for whatever is left of it.

    Under pytest-xdist the tests that need the server form one group, so one worker starts one
    server for all of them (``--dist loadgroup``); every worker starts the build script, which
    builds once and lets the others wait for it."""
    needing = [item for item in items if "cluster" in item.fixturenames]
    for item in needing:
        item.add_marker(pytest.mark.xdist_group("kubernetes"))
    if _tier_off() or not needing:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            "tests/k8s: building kube-apiserver in the background unless cached "
            "(.ci/kube-apiserver-build)"
        )
    _BUILD["build"] = start_build()


def pytest_sessionfinish(session, exitstatus) -> None:
    """A build still running when the session ends (it stopped before the Kubernetes tests)
    is stopped with it: nothing the tests started outlives them. A pytest-xdist worker whose
    tests all passed lets its build finish instead: another worker may be waiting for it."""
    build = _BUILD.pop("build", None)
    if build is None:
        return
    worker = hasattr(session.config, "workerinput")
    if worker and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        # A failed build is reported by the worker that runs the Kubernetes tests.
        with contextlib.suppress(ClusterError):
            finish_build(build)
        return
    stop_build(build)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """etcd + kube-apiserver on 127.0.0.1 for the session, or a failure that says why."""
    if _tier_off():
        pytest.skip(f"Kubernetes API server tier turned off ({TIER_VARIABLE}=off)")
    try:
        build = _BUILD.pop("build", None)
        bin_dir = finish_build(build) if build is not None else build_binaries()
        server = Cluster(tmp_path_factory.mktemp("kube"), bin_dir).start()
    except ClusterError as exc:
        reason = str(exc)
    else:
        reason = None
    if reason is not None:
        pytest.fail(
            f"No Kubernetes API server for the tests: {reason}\nSet {TIER_VARIABLE}=off to run "
            "the suite without this tier on purpose.",
            pytrace=False,
        )
    yield server
    server.stop()
