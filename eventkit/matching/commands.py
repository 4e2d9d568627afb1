"""CLI commands of the matching feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import click

from eventkit.cli import event_or_fail, eventkit_cli, transaction
from eventkit.db import utcnow
from eventkit.matching import services


@eventkit_cli.command("plan")
@click.argument("slug")
@click.option("--rounds", type=click.IntRange(1, services.MAX_ROUNDS), help="Rounds of conversations.")
@click.option("--minutes", type=click.IntRange(3, 90), help="Minutes per round.")
@click.option("--cap", type=click.IntRange(1, services.MAX_ROUNDS), help="Conversations per guest, at most.")
@click.option("--odd", type=click.Choice(["trio", "rest"]), help="Odd count: one trio or one rest per round.")
@click.option("--lock", is_flag=True, help="Lock the plan afterwards so guests see it.")
def plan_command(slug, rounds, minutes, cap, odd, lock):
    """Plan (or re-plan the rounds not yet held of) a gathering's conversations and print a summary."""
    event = event_or_fail(slug)
    with transaction():
        plan = services.get_or_create_plan(event)
        plan = services.replan(event, rounds or plan.rounds, minutes or plan.round_minutes,
                               cap or plan.per_guest_cap, odd or plan.odd_policy, utcnow(), actor="cli")
        if lock:
            services.set_locked(event, True, utcnow(), actor="cli")
    _summary(plan)


def _summary(plan) -> None:
    conversations = plan.conversations
    guests = {m.id for c in conversations for m in c.members}
    click.echo(f"{len(conversations)} conversations for {len(guests)} guests in {plan.rounds} rounds "
               f"of {plan.round_minutes} minutes ({'locked' if plan.is_locked else 'not locked'}).")
    for c in conversations:
        names = " + ".join(m.name for m in c.members)
        click.echo(f"  round {c.round} table {c.table_no}: {names} [{c.score:.2f}]")
        for reason in c.reasons:
            click.echo(f"      - {reason}")
