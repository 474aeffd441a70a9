"""ml-platform: a credit model's whole life as Dagster assets."""
