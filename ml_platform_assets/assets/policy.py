"""Where and how each stage's steps run: pod sizes on Kubernetes, and ingestion's backfills.

Built from the compute settings ``definitions.py`` passes in, so building the assets reads no
environment.
"""

from dataclasses import dataclass, field

import dagster as dg

from resources.kubernetes import KubernetesSettings, Stage

# The concurrency pool of ingestion steps on Kubernetes: a backfill runs one step per day and
# the instance's `concurrency.pools.default_limit` caps how many run at once.
INGESTION_POOL = "ml_platform_ingestion"


@dataclass(frozen=True)
class AssetPolicy:
    """The compute settings as the assets apply them."""

    compute: KubernetesSettings = field(default_factory=KubernetesSettings)

    def op_tags(self, stage: Stage) -> dict:
        """A ``stage`` asset's ``op_tags``: the pod its step gets on Kubernetes; other
        executors ignore them."""
        return self.compute.op_tags(stage)

    def ingestion_backfill_policy(self) -> dg.BackfillPolicy:
        """One run per day on Kubernetes (each its own step Job, capped by the ingestion
        pool); one run over the whole range elsewhere, where per-run overhead dominates."""
        if self.compute.enabled:
            return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
        return dg.BackfillPolicy.single_run()

    def ingestion_pool(self) -> str | None:
        """Ingestion's concurrency pool on Kubernetes; none elsewhere."""
        return INGESTION_POOL if self.compute.enabled else None
