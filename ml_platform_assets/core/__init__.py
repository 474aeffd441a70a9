"""The ML domain as plain functions: no Dagster, no storage, no environment."""
