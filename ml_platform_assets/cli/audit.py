"""``ml-platform audit``: a model's audit ledger, oldest first, and its verification."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import sys

import click
from tabulate import tabulate

from ml_platform_assets.cli.common import Context, one_sentence, plural, unknown_model
from ml_platform_assets.registry.audit import verify_ledger
from resources.object_store import ObjectNotFound
from resources.stores import open_object_store


def _short(sha: str | None) -> str:
    return f"{sha[:12]}…" if sha else "-"


def _gates(payload: dict) -> str:
    gates = payload.get("row", {}).get("gates") or []
    failed = [g.get("name", "?") for g in gates if not g.get("passed")]
    return f"failed {', '.join(failed)}" if failed else "passed every gate"


def describe(record) -> str:
    """One line saying what a ledger record records."""
    p, row = record.payload, record.payload.get("row", {})
    kind = record.event_type
    if kind == "registered":
        return f"trained by {record.actor}; model sha256 {_short(row.get('model_sha256'))}"
    if kind == "evaluated":
        auc = (row.get("metrics") or {}).get("auc")
        shown = f"AUC {auc:.4f}" if isinstance(auc, int | float) else "AUC n/a"
        return f"{shown}, {_gates(p)}; report sha256 {_short(p.get('report_sha256'))}"
    if kind in ("promoted", "override", "rolled_back"):
        was = f"v{row['from_version']}" if row.get("from_version") else "none"
        line = f"champion {was} -> v{row.get('to_version')}: {row.get('reason', '')}"
        if kind == "override":
            failed = ", ".join(g.get("name", "?") for g in p.get("failed_gates", []))
            line += f" (override approved by {p.get('approver')}; failed {failed})"
        if kind == "rolled_back":
            line += f" (approved by {p.get('approver')})"
        return line
    if kind in ("approved", "rejected"):
        return f"{row.get('reviewer')}: {row.get('note')}"
    if kind == "pending_approval":
        return f"passed every gate; awaits a reviewer other than {p.get('trained_by') or '?'}"
    if kind == "report_completed":
        return f"report completed with the decision; sha256 {_short(p.get('report_sha256'))}"
    if kind == "redelivered":
        replaced = (p.get("replaces") or [{}])[-1]
        return (
            f"{p.get('kind')} of {p.get('day')} replaced (sha256 "
            f"{_short(replaced.get('sha256'))} -> {_short(p.get('sha256'))}): "
            f"{replaced.get('reason', '')}"
        )
    if kind == "retrain_triggered":
        return str(row.get("reason", ""))
    return kind


def _history(ctx: Context, model: str, since: dt.date | None, fmt: str) -> None:
    records = ctx.read(lambda reg: reg.audit_history(model, since=since))
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in records], indent=2))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(
            [
                "sequence",
                "created_at",
                "event_type",
                "version",
                "actor",
                "summary",
                "payload",
                "artifacts",
                "previous_sha256",
                "record_sha256",
            ]
        )
        for r in records:
            d = r.as_dict()
            writer.writerow(
                [
                    r.sequence,
                    d["created_at"],
                    r.event_type,
                    r.version,
                    r.actor,
                    describe(r),
                    json.dumps(r.payload, sort_keys=True),
                    json.dumps(r.artifacts, sort_keys=True),
                    r.previous_sha256 or "",
                    r.record_sha256,
                ]
            )
        return
    if not records:
        after = f" since {since}" if since else ""
        click.echo(f"{model} has no audit records{after}")
        return
    rows = [
        [
            r.sequence,
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.event_type,
            f"v{r.version}" if r.version else "-",
            r.actor,
            describe(r),
            _short(r.record_sha256),
        ]
        for r in records
    ]
    headers = ["#", "time (UTC)", "event", "version", "actor", "what", "sha256"]
    click.echo(
        tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=[None] * 5 + [70, None])
    )


def _read_sha256(store):
    def read(key: str) -> str | None:
        try:
            return hashlib.sha256(store.get_bytes(key)).hexdigest()
        except ObjectNotFound:
            return None

    return read


def _verify(ctx: Context, model: str | None) -> None:
    if model:
        ctx.spec(model)
    checks = ctx.read(
        lambda reg: verify_ledger(
            reg.engine, _read_sha256(open_object_store(ctx.environment)), model
        )
    )
    if not checks or (model and checks[0].records == 0 and not checks[0].problems):
        # Nothing verified is not a success: a wrong ML_PLATFORM_HOME would look intact.
        whose = f"{model} has no" if model else "no model has any"
        click.secho(
            f"nothing verified: {whose} audit records {ctx.environment.where()}",
            fg="red",
            err=True,
        )
        raise SystemExit(1)
    broken = False
    for check in checks:
        if not check.problems:
            click.echo(
                f"{check.model}: {plural(check.records, 'record')} intact; head sha256 {check.head}"
            )
            continue
        broken = True
        first, rest = check.problems[0], len(check.problems) - 1
        more = f" (and {plural(rest, 'more problem')})" if rest else ""
        click.secho(f"{first}{more}", fg="red", err=True)
        for problem in check.problems[1:]:
            click.echo(f"  {problem}", err=True)
    if broken:
        raise SystemExit(1)


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("words", nargs=-1, metavar="MODEL | verify [MODEL]")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the records as CSV.")
@click.option("--since", help="Only records from this day on (YYYY-MM-DD, UTC).")
@one_sentence
def audit(words: tuple[str, ...], as_json: bool, as_csv: bool, since: str | None) -> None:
    """A model's audit ledger, oldest first; `audit verify [MODEL]` checks it.

    \b
    ml-platform audit credit_default [--json|--csv] [--since 2026-11-01]
    ml-platform audit verify [credit_default]

    verify recomputes each model's hash chain, compares every record with the registry rows it
    speaks for and each artifact's sha256 with the object store, and exits 1 naming the first
    bad record; when intact, it prints each chain's head hash, worth keeping elsewhere.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv: choose one")
    fmt = "json" if as_json else "csv" if as_csv else None
    ctx = Context()
    if words[:1] == ("verify",):
        if len(words) > 2:
            raise click.UsageError("audit verify takes at most one MODEL")
        if fmt or since is not None:
            raise click.UsageError("--json, --csv and --since are for the history, not verify")
        _verify(ctx, words[1] if len(words) == 2 else None)
        return
    if len(words) != 1:
        raise click.UsageError("give one MODEL (or: audit verify [MODEL])")
    model = words[0]
    if model not in ctx.specs and model not in ctx.read(lambda reg: reg.list_models()):
        raise unknown_model(model, sorted(ctx.specs))
    day = None
    if since is not None:
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            raise click.UsageError(f"--since must be a date (YYYY-MM-DD), not '{since}'") from None
    _history(ctx, model, day, fmt or "table")
