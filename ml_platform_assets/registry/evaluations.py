"""Evaluations of versions: their metrics and gates, and the report each was judged in."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ml_platform_assets.registry import ledger
from ml_platform_assets.registry.base import RegistryBase
from ml_platform_assets.registry.ledger_records import Artifact, LedgerEvent, LedgerRecord
from ml_platform_assets.registry.records import (
    RegistryError,
    Status,
    dumps,
    fetch_version,
    loads,
)
from resources.schema import evaluations, model_versions, utcnow


class RegistryEvaluations(RegistryBase):
    """The registry's evaluations: each one marks its version evaluated or rejected."""

    def record_evaluation(
        self,
        model: str,
        version: int,
        *,
        metrics: dict,
        gates: list | dict,
        passed: bool,
        report_uri: str,
        report_sha256: str,
        champion_version: int | None,
        actor: str = "ml-platform",
        artifacts: Sequence[Artifact] = (),
        summary: dict | None = None,
    ) -> LedgerRecord:
        """Appends an evaluation and marks the version evaluated (passed) or rejected.

        The champion keeps its status: only a move of the alias changes who is champion.

        Returns:
            The ``evaluated`` ledger record, written in the same transaction: the metrics,
            gates, ``summary`` (other findings a reviewer reads: benchmark, fairness, reason
            codes) and the reports' SHA-256 (``artifacts``).

        Raises:
            VersionNotFoundError: The version was never registered.
        """

        def record(conn: Connection) -> LedgerRecord:
            current = fetch_version(conn, model, version, lock=True)
            inserted = conn.execute(
                evaluations.insert().values(
                    model=model,
                    version=version,
                    created_at=utcnow(),
                    metrics_json=dumps(metrics),
                    gates_json=dumps(gates),
                    passed=passed,
                    report_uri=report_uri,
                    report_sha256=report_sha256,
                    champion_version=champion_version,
                )
            )
            status = Status.EVALUATED if passed else Status.REJECTED
            if current.status == Status.CHAMPION:
                status = Status.CHAMPION
            conn.execute(
                model_versions.update()
                .where(model_versions.c.model == model, model_versions.c.version == version)
                .values(status=status, metrics_json=dumps(metrics))
            )
            return ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.EVALUATED,
                actor=actor,
                payload={
                    "registry_row": {
                        "table": "evaluations",
                        "id": inserted.inserted_primary_key[0],
                    },
                    "row": {
                        "version": version,
                        "passed": passed,
                        "gates": gates,
                        "metrics": metrics,
                    },
                    "decision": "pending" if passed else "rejected",
                    "champion_version": champion_version,
                    "report_uri": report_uri,
                    "report_sha256": report_sha256,
                    **({"summary": summary} if summary else {}),
                },
                artifacts=artifacts,
            )

        return self._write(record)

    def record_report(
        self,
        model: str,
        version: int,
        *,
        report_uri: str,
        report_sha256: str,
        actor: str = "ml-platform",
        artifacts: Sequence[Artifact] = (),
    ) -> LedgerRecord:
        """Points a version's newest evaluation at its report as rewritten after the decision.

        The report's first form said the decision was still to come; the completed one
        replaces it in the store, so the checksum on record must follow it.

        Returns:
            The ``report_completed`` ledger record, written in the same transaction.

        Raises:
            RegistryError: The version has no evaluation.
        """

        def record(conn: Connection) -> LedgerRecord:
            # Two statements: MySQL refuses an UPDATE whose subquery reads the same table.
            newest = conn.execute(
                sa.select(sa.func.max(evaluations.c.id)).where(
                    evaluations.c.model == model, evaluations.c.version == version
                )
            ).scalar()
            if newest is None:
                raise RegistryError(f"Model '{model}' v{version} has no evaluation on record.")
            conn.execute(
                evaluations.update()
                .where(evaluations.c.id == newest)
                .values(report_uri=report_uri, report_sha256=report_sha256)
            )
            return ledger.append(
                conn,
                model=model,
                version=version,
                event_type=LedgerEvent.REPORT_COMPLETED,
                actor=actor,
                payload={
                    "registry_row": {"table": "evaluations", "id": newest},
                    "row": {"version": version},
                    "report_uri": report_uri,
                    "report_sha256": report_sha256,
                },
                artifacts=artifacts,
            )

        return self._write(record)

    def latest_evaluation(self, model: str, version: int) -> dict | None:
        """Returns the newest evaluation of a version, or None if it was never evaluated.

        The dict holds the ``evaluations`` row with ``metrics`` and ``gates`` decoded and
        ``passed`` a bool.
        """
        query = (
            sa.select(evaluations)
            .where(evaluations.c.model == model, evaluations.c.version == version)
            .order_by(evaluations.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        record = dict(row._mapping)
        for column in ("metrics", "gates"):
            record[column] = loads(record.pop(f"{column}_json"))
        record["passed"] = bool(record["passed"])
        return record
