"""Fixtures for the whole suite; each storage fixture runs once per backend.

``object_store`` / ``object_store_resource``: ``local`` (a temp folder) and ``s3`` (SeaweedFS,
a fresh prefix per test). ``database_url`` / ``database_resource`` / ``registry``: ``sqlite`` (a
temp file) and ``mysql`` (a fresh MariaDB database per test, dropped afterwards).

``platform_resources`` / ``small_platform``: the small platform of ``tests/platforms.py`` on a
real (ephemeral) Dagster instance, ``embedded`` (a local folder and SQLite) and ``real``
(SeaweedFS S3 and MariaDB), so each chain test runs once per backend.

The real backends come from ``.ci/with-services``. Without its variables those parameters fail
and say so, because a suite that silently skips its integration tests proves little; set
``ML_PLATFORM_EMBEDDED_ONLY=1`` to skip them on purpose.
"""

import os

# Before anything imports LightGBM: OpenMP busy-waiting starves a shared 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
# LightGBM trains on one thread in tests: results stay reproducible and the suite shares a
# small machine well. OpenMP reads this when the library loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# No test reads or writes the user's own platform (~/.ml_platform): a test that needs a
# platform home sets its own, and anything else finds an empty one here.
os.environ["ML_PLATFORM_HOME"] = __import__("tempfile").mkdtemp(prefix="ml-platform-tests-")
for _name in ("DAGSTER_HOME", "ML_PLATFORM_OBJECT_STORE", "ML_PLATFORM_DATABASE_URL"):
    os.environ.pop(_name, None)

import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

import dagster as dg  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from ml_platform_assets.registry import ModelRegistry  # noqa: E402
from resources.database import dispose_engine  # noqa: E402
from resources.database_resource import DatabaseResource  # noqa: E402
from resources.object_store import ObjectStore  # noqa: E402
from resources.object_store_resource import ObjectStoreResource  # noqa: E402
from tests.platforms import SmallPlatform, small_spec  # noqa: E402

S3_VARIABLES = (
    "ML_PLATFORM_TEST_S3_ENDPOINT",
    "ML_PLATFORM_TEST_S3_BUCKET",
    "ML_PLATFORM_TEST_S3_ACCESS_KEY",
    "ML_PLATFORM_TEST_S3_SECRET_KEY",
)
MYSQL_VARIABLES = ("ML_PLATFORM_TEST_MYSQL_URL", "ML_PLATFORM_TEST_MYSQL_ADMIN_URL")


def require_services(*names: str) -> dict[str, str]:
    """Returns the named service variables; fails (or skips, embedded-only) when unset."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        message = (
            f"{', '.join(missing)} not set: run the tests through .ci/with-services "
            "(e.g. `.ci/with-services .venv/bin/pytest`), which starts MariaDB and SeaweedFS; "
            "or set ML_PLATFORM_EMBEDDED_ONLY=1 to skip the real backends."
        )
        if os.environ.get("ML_PLATFORM_EMBEDDED_ONLY") == "1":
            pytest.skip("real backend skipped: ML_PLATFORM_EMBEDDED_ONLY=1")
        pytest.fail(message, pytrace=False)
    return {name: os.environ[name] for name in names}


@pytest.fixture
def s3_settings() -> dict[str, str]:
    """The SeaweedFS of this test run: endpoint, bucket and keys."""
    return require_services(*S3_VARIABLES)


@pytest.fixture
def make_s3_resource(s3_settings) -> Callable[..., ObjectStoreResource]:
    """Builds ``ObjectStoreResource``s on the test SeaweedFS; keys pass as ``dg.EnvVar``.

    Without arguments the resource gets a fresh prefix in the run's bucket; keyword arguments
    replace any field (``uri``, ``aws_secret_access_key``, ...).
    """

    def make(**overrides) -> ObjectStoreResource:
        fields = dict(
            uri=f"s3://{s3_settings['ML_PLATFORM_TEST_S3_BUCKET']}/tests/{uuid.uuid4().hex[:12]}",
            endpoint_url=s3_settings["ML_PLATFORM_TEST_S3_ENDPOINT"],
            region_name="us-east-1",
            aws_access_key_id=dg.EnvVar("ML_PLATFORM_TEST_S3_ACCESS_KEY"),
            aws_secret_access_key=dg.EnvVar("ML_PLATFORM_TEST_S3_SECRET_KEY"),
            max_attempts=3,
        )
        return ObjectStoreResource(**{**fields, **overrides})

    return make


@pytest.fixture(params=["local", "s3"])
def object_store_resource(request, tmp_path) -> ObjectStoreResource:
    """The object store resource, once on a local folder and once on S3."""
    if request.param == "local":
        return ObjectStoreResource(uri=str(tmp_path / "store"))
    return request.getfixturevalue("make_s3_resource")()


@pytest.fixture
def object_store(object_store_resource) -> Iterator[ObjectStore]:
    """The store behind ``object_store_resource``; an S3 test's prefix is emptied afterwards."""
    store = object_store_resource.get_store()
    yield store
    if object_store_resource.uri.startswith("s3://"):
        store.delete_prefix("")


@pytest.fixture
def make_mysql_database() -> Iterator[Callable[[], str]]:
    """Creates fresh MariaDB databases on demand (URL returned); all dropped at teardown."""
    settings = require_services(*MYSQL_VARIABLES)
    admin = sa.create_engine(settings["ML_PLATFORM_TEST_MYSQL_ADMIN_URL"], poolclass=sa.NullPool)
    # Named after the run's database so .ci/with-services drops any that a crash left behind.
    run_database = sa.make_url(settings["ML_PLATFORM_TEST_MYSQL_URL"]).database
    created: list[str] = []

    def create() -> str:
        name = f"{run_database}_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        created.append(name)
        return (
            sa.make_url(settings["ML_PLATFORM_TEST_MYSQL_ADMIN_URL"])
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    yield create
    with admin.begin() as conn:
        for name in created:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture(params=["sqlite", "mysql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A database URL, once SQLite in a temp folder and once a fresh MariaDB database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'registry.db'}"
    else:
        url = request.getfixturevalue("make_mysql_database")()
    yield url
    # Close pooled connections before make_mysql_database drops the database.
    dispose_engine(url)


@pytest.fixture
def database_resource(database_url) -> DatabaseResource:
    """The database resource on ``database_url``, not yet migrated."""
    return DatabaseResource(url=database_url)


@pytest.fixture
def registry(database_resource) -> ModelRegistry:
    """A model registry on a freshly migrated database of each backend."""
    database_resource.migrate()
    return ModelRegistry(database_resource.get_engine())


@pytest.fixture(params=["embedded", "real"])
def platform_resources(request, tmp_path) -> dict:
    """Local folder + SQLite, or SeaweedFS S3 + MariaDB: the two ways the platform runs."""
    if request.param == "embedded":
        return {
            "object_store": ObjectStoreResource(uri=str(tmp_path / "store")),
            "database": DatabaseResource(url=f"sqlite:///{tmp_path / 'registry.db'}"),
        }
    url = request.getfixturevalue("make_mysql_database")()
    request.addfinalizer(lambda: dispose_engine(url))
    return {
        "object_store": request.getfixturevalue("make_s3_resource")(),
        "database": DatabaseResource(url=url),
    }


@pytest.fixture
def small_platform(platform_resources) -> Iterator[SmallPlatform]:
    """The small credit_default on ``platform_resources`` and an ephemeral Dagster instance."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield SmallPlatform(small_spec(), platform_resources, instance)
