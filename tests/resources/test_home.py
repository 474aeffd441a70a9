"""The platform home's Dagster instance (resources/home.py): a new home gets the repository's
dagster.yaml."""

from pathlib import Path

import yaml


def test_the_repository_instance_config_is_the_one_a_new_home_gets() -> None:
    """The repository's dagster.yaml and the one ml-platform writes into a new home agree."""
    from resources.home import INSTANCE_YAML

    repository = yaml.safe_load((Path(__file__).resolve().parents[2] / "dagster.yaml").read_text())
    assert repository == yaml.safe_load(INSTANCE_YAML)
