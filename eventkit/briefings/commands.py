"""CLI commands of the briefings feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

from pathlib import Path

import click

from eventkit.briefings import services
from eventkit.cli import event_or_fail, eventkit_cli, transaction
from eventkit.events.models import Event


@eventkit_cli.command("briefings")
@click.argument("slug")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the pack, the run-sheet and one PDF per guest (created if missing).")
@click.option("--paper", type=click.Choice(sorted(services.PAPERS)), default="a4", show_default=True)
def briefings_command(slug: str, out_dir: Path, paper: str) -> None:
    """Write the print pack, the run-sheet and every guest's briefing of gathering SLUG as PDF files."""
    event = event_or_fail(slug)
    out_dir.mkdir(parents=True, exist_ok=True)
    with transaction():
        _write_all(event, services.paper_for(paper), out_dir)


def _write_all(event: Event, paper: services.Paper, out_dir: Path) -> None:
    click.echo(f"Rendering the pack of {event.title!r} on {paper.label} paper...")
    result = services.print_pack(event, paper, split=True)
    (out_dir / services.filename(event, kind="briefings")).write_bytes(result.pdf)
    with click.progressbar(result.sections.items(), label="Writing briefings", show_pos=True) as sections:
        for attendee_id, pdf in sections:
            (out_dir / services.filename(event, attendee_id)).write_bytes(pdf)
    (out_dir / services.filename(event, kind="run-sheet")).write_bytes(services.run_sheet(event, paper))
    click.echo(f"Wrote {len(result.sections)} briefings, the pack ({result.pages} pages) and the run-sheet to {out_dir}.")
