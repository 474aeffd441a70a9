"""deploy/Dockerfile, read (no image is built here): a build stage and a final stage, the final one
without compilers or installers and running as a non-root user, installing exactly the locked
dependencies, a base image pinned to a release, a build that refuses to run without the commit,
a build context (.dockerignore) holding only what is copied, and a lock that still satisfies
every dependency pyproject.toml declares."""

import os
import re
import subprocess
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.k8s.kustomize import ROOT

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


def _run_lines(stage: list[str]) -> list[str]:
    return [line[4:] for line in stage if line.upper().startswith("RUN ")]


def test_no_installer_is_left_in_the_image() -> None:
    """pip, setuptools and wheel install code at run time; the image needs none of them."""
    build, final = _stages()[0], _stages()[-1]
    build_runs = " && ".join(_run_lines(build))
    last_install = build_runs.rindex("pip install")
    uninstall = re.search(r"-m pip uninstall --yes ([a-z ]+)", build_runs[last_install:])
    assert uninstall and set(uninstall[1].split()) == {"pip", "setuptools", "wheel"}
    assert "/opt/ml-platform/bin/python -m pip uninstall" in build_runs
    # The base image's own Python has them too.
    final_runs = " && ".join(_run_lines(final))
    assert re.search(r"(^|&& )python -m pip uninstall --yes setuptools wheel pip", final_runs)


def test_the_base_image_is_an_exact_release() -> None:
    [default] = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", default)
    for stage in _stages():
        assert stage[0].split()[1] == "${PYTHON_IMAGE}", stage[0]


@pytest.mark.parametrize(
    ("value", "builds"),
    [("", False), ("unknown", False), ("abc", False), ("0123abc", True), ("f" * 40, True)],
)
def test_the_build_requires_the_commit(value, builds) -> None:
    """An image without GIT_COMMIT would record no commit with its model versions."""
    final = _stages()[-1]
    assert "ARG GIT_COMMIT" in final, "GIT_COMMIT has no default"
    [check] = [line for line in _run_lines(final) if "$GIT_COMMIT" in line]
    done = subprocess.run(["sh", "-c", check], env={"GIT_COMMIT": value, "PATH": "/usr/bin:/bin"})
    assert (done.returncode == 0) is builds
    env = " ".join(line for line in final if line.startswith("ENV "))
    assert "ML_PLATFORM_GIT_COMMIT=${GIT_COMMIT}" in env


def _dockerignore_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as Docker matches it: `*` and `?` within a path segment, `**`
    across segments."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _sent(path: str) -> bool:
    """Whether the build context holds ``path`` (relative to the root) after .dockerignore:
    the last pattern that matches the path or one of its parents decides."""
    sent = True
    parents = [path.rsplit("/", n)[0] for n in range(path.count("/"), -1, -1)]
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        regex = _dockerignore_regex(os.path.normpath(line.lstrip("!")).lstrip("/"))
        if any(regex.fullmatch(p) for p in parents):
            sent = negated
    return sent


def test_the_build_context_holds_what_the_image_copies_and_nothing_else() -> None:
    copied = [
        words[1:-1]
        for stage in _stages()
        for words in (line.split() for line in stage)
        if words[0] == "COPY" and not words[1].startswith("--from")
    ]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for sources in copied:
        for source in sources:
            files = [f for f in tracked if f == source or f.startswith(f"{source}/")]
            assert files, source
            for file in files:
                assert _sent(file), f"{file} is copied into the image but .dockerignore drops it"
    for left_out in (
        ".git/HEAD",
        ".venv/bin/python",
        ".env",
        ".ml_platform/registry.db",
        "data/applications.csv",
        "ml_platform_assets/data/x.parquet",
        "resources/.env",
        "resources/__pycache__/kubernetes.cpython-311.pyc",
        ".pytest_cache/v/cache",
        ".ruff_cache/x",
        "tests/k8s/cluster.py",
        "bench/run.py",
        "deploy/kubernetes/base/rbac.yaml",
    ):
        assert not _sent(left_out), left_out
