"""deploy/Dockerfile, read (no image is built here): a build stage and a final stage, the final one
without compilers and running as a non-root user, installing exactly the locked dependencies,
and a lock that still satisfies every dependency pyproject.toml declares."""

import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

from tests.k8s.conftest import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCK = ROOT / "deploy" / "requirements.lock"
BUILD_TOOLS = ("gcc", "g++", "clang", "make", "build-essential", "cmake", "cc", "libc6-dev")


def _stages() -> list[list[str]]:
    """Each stage's instructions, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    stages: list[list[str]] = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def _locked() -> dict[str, Version]:
    pins = re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\]+)", LOCK.read_text(), re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower(): Version(v) for name, v in pins}


def test_the_image_is_built_in_stages() -> None:
    stages = _stages()
    assert len(stages) >= 2
    assert any(line.startswith("COPY --from=build") for line in stages[-1])


def test_the_final_stage_runs_as_a_non_root_user() -> None:
    users = [line.split()[1] for line in _stages()[-1] if line.upper().startswith("USER ")]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit(), "a numeric USER lets Kubernetes check runAsNonRoot"


def test_the_final_stage_installs_no_build_tools() -> None:
    final = " ".join(_stages()[-1])
    for package in re.findall(r"apt-get install ([^&;]+)", final):
        names = [w for w in package.split() if not w.startswith("-")]
        assert not set(names) & set(BUILD_TOOLS), names
    assert "pip install" not in final, "the final stage copies the virtualenv; it installs nothing"


def test_the_build_installs_the_locked_dependencies_and_only_them() -> None:
    build = " ".join(_stages()[0])
    assert "--require-hashes" in build and "-r /tmp/requirements.lock" in build
    assert "COPY deploy/requirements.lock" in build
    # The project itself goes in without resolving anything beyond the lock.
    assert re.search(r"pip install --no-deps --no-build-isolation /src", build)


def test_the_image_holds_every_package_of_the_wheel() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    build = _stages()[0]
    for package in packages:
        assert f"COPY {package} /src/{package}" in build, package


def test_the_lock_satisfies_every_declared_dependency() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    locked = _locked()
    for text in pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]:
        requirement = Requirement(text)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in locked, (
            f"{name} is not in deploy/requirements.lock: run deploy/lock-requirements"
        )
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"deploy/requirements.lock pins {name} {locked[name]}, outside {requirement}: "
            "run deploy/lock-requirements"
        )
    assert "--hash=sha256:" in LOCK.read_text()
