"""``ml-platform report``: a version's model document, for a model-risk reviewer to keep.

Reads the registry, the object store and the audit ledger; writes only the file asked for. The
copy kept in the store (``reports/v<N>/model_document.html``) is written by the lifecycle and
by people's decisions about the version; it is a view that names the ledger records it was made
from, not a record the ledger vouches for.
"""

from __future__ import annotations

from pathlib import Path

import click

from ml_platform_assets.cli.common import VERSION, Context, one_sentence, unknown_model
from ml_platform_assets.services.documents import model_document
from resources.stores import open_object_store


@click.command()
@click.argument("model")
@click.argument("version", type=VERSION)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write MODEL-vVERSION-model-document.html into; created if missing.",
)
@one_sentence
def report(model: str, version: int, out_dir: Path) -> None:
    """Write MODEL VERSION's model document: one self-contained HTML file (no scripts, no
    external resources) with purpose, data, features, metrics, fairness, reason codes,
    gates, decisions, deployment history and the audit-ledger records, and print its path."""
    ctx = Context()
    store = open_object_store(ctx.environment)

    def render(reg) -> str:
        known = set(ctx.specs) | set(reg.list_models())
        if model not in known:
            raise unknown_model(model, sorted(known))
        return model_document(store, reg, model, version)

    page = ctx.read(render)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{model}-v{version}-model-document.html"
    path.write_text(page, encoding="utf-8")
    click.echo(str(path.resolve()))
