"""``ml-platform models``: the registry's versions, champions, metrics and provenance.

Read-only: the specs and the registry database, never the Dagster definitions.
"""

from __future__ import annotations

import json

import click

from ml_platform_assets.cli.common import VERSION, Context, one_sentence, unknown_model


def _version_label(version: int | None) -> str:
    return f"v{version}" if version is not None else "none"


@click.group()
def models() -> None:
    """The model registry: versions, champions, metrics and provenance."""


def _list_rows(ctx: Context) -> list[dict]:
    specs = ctx.specs  # a spec that cannot be read is named before the registry is opened

    def query(reg) -> list[dict]:
        rows = []
        for name in sorted(set(specs) | set(reg.list_models())):
            versions = reg.list_versions(name)
            champion = reg.champion(name)
            rows.append(
                {
                    "model": name,
                    "versions": len(versions),
                    "latest_version": versions[-1].version if versions else None,
                    "champion_version": champion.version if champion else None,
                    "champion_auc": (champion.metrics or {}).get("auc") if champion else None,
                }
            )
        return rows

    return ctx.read(query)


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@one_sentence
def models_list(as_json: bool) -> None:
    """Every model with its versions and champion."""
    rows = _list_rows(Context())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'MODEL':<24}{'VERSIONS':>9}{'LATEST':>8}{'CHAMPION':>10}{'AUC':>8}")
    for r in rows:
        auc = f"{r['champion_auc']:.4f}" if r["champion_auc"] is not None else "-"
        latest = f"v{r['latest_version']}" if r["latest_version"] is not None else "-"
        click.echo(
            f"{r['model']:<24}{r['versions']:>9}{latest:>8}"
            f"{_version_label(r['champion_version']):>10}{auc:>8}"
        )


def _version_record(reg, version) -> dict:
    return {
        "version": version.version,
        "status": version.status,
        "trained_by": version.trained_by,
        "created_at": version.created_at.isoformat(),
        "artifact_uri": version.artifact_uri,
        "model_sha256": version.model_sha256,
        "training_set_fingerprint": version.training_set_fingerprint,
        "code_version": version.code_version,
        "git_commit": version.git_commit,
        "windows": version.windows,
        "metrics": version.metrics,
        "evaluation": reg.latest_evaluation(version.model, version.version),
    }


# How the ledger names an alias move, and who answered for it.
_MOVE_KINDS = {"promoted": "promoted", "override": "override", "rolled_back": "rolled back"}


def _champion_history(reg, model: str) -> list[dict]:
    """Every move of the champion with the kind of decision and who approved it, from the
    audit ledger record written with the move (a move without one, which `audit verify`
    reports, says so)."""
    records = {
        r.payload.get("registry_row", {}).get("id"): r
        for r in reg.audit_history(model)
        if r.event_type in _MOVE_KINDS
    }
    approvals = {a["id"]: a["reviewer"] for a in reg.approvals(model)}
    history = []
    for e in reg.alias_history(model):
        record = records.get(e.id)
        kind, approved_by = "not in the audit ledger", None
        if record is not None:
            kind = _MOVE_KINDS[record.event_type]
            approved_by = record.payload.get("approver") or approvals.get(
                record.payload.get("approval_id")
            )
        history.append(
            {
                "from": e.from_version,
                "to": e.to_version,
                "action": kind,
                "approved_by": approved_by,
                "reason": e.reason,
                "actor": e.actor,
                "at": e.created_at.isoformat(),
            }
        )
    return history


def _show_payload(ctx: Context, model: str, version: int | None) -> dict:
    specs = ctx.specs  # a spec that cannot be read is named before the registry is opened

    def query(reg) -> dict:
        if model not in specs and model not in reg.list_models():
            raise unknown_model(model, sorted(set(specs) | set(reg.list_models())))
        versions = (
            [reg.get_version(model, version)] if version is not None else reg.list_versions(model)
        )
        champion = reg.champion(model)
        return {
            "model": model,
            "champion_version": champion.version if champion else None,
            "versions": [_version_record(reg, v) for v in versions],
            "champion_history": _champion_history(reg, model),
        }

    return ctx.read(query)


def _print_show(payload: dict) -> None:
    model = payload["model"]
    if not payload["versions"]:
        click.echo(
            f"{model}: no versions yet, champion none; "
            f"'ml-platform run {model}' trains the first one"
        )
        return
    click.echo(f"{model}: champion {_version_label(payload['champion_version'])}")
    for v in payload["versions"]:
        m = v["metrics"] or {}
        auc = f"AUC {m['auc']:.4f} KS {m['ks']:.4f}" if "auc" in m else "not evaluated"
        trained = f" by {v['trained_by']}" if v.get("trained_by") else ""
        click.echo(f"  v{v['version']} [{v['status']}] {auc} created {v['created_at']}{trained}")
        gates = (v.get("evaluation") or {}).get("gates") or []
        failed = [g.get("name", "?") for g in gates if not g.get("passed")]
        if gates:
            click.echo(f"     gates: {'failed ' + ', '.join(failed) if failed else 'all passed'}")
        click.echo(f"     model {v['artifact_uri']} sha256 {v['model_sha256'][:16]}…")
        click.echo(
            f"     training set {v['training_set_fingerprint'][:16]}… "
            f"code {v['code_version']} commit {v['git_commit'] or 'unknown'}"
        )
    for e in payload["champion_history"]:
        approved = f", approved by {e['approved_by']}" if e.get("approved_by") else ""
        click.echo(
            f"  champion {_version_label(e['from'])} -> {_version_label(e['to'])} "
            f"({e['action']}{approved}) at {e['at']} by {e['actor']}: {e['reason']}"
        )


@models.command("show")
@click.argument("model")
@click.argument("version", required=False, type=VERSION)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@one_sentence
def models_show(model: str, version: int | None, as_json: bool) -> None:
    """MODEL's versions (or one VERSION) with metrics, provenance and champion history."""
    payload = _show_payload(Context(), model, version)
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
    else:
        _print_show(payload)
