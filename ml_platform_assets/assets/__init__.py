"""The asset graph: Dagster definitions that read inputs, call ``core`` and describe results."""
