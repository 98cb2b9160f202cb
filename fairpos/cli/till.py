"""``fairpos till`` (and plain ``fairpos``): the till a volunteer uses."""

from __future__ import annotations

from fairpos.cli.base import main, pass_lane
from fairpos.lane import Lane


@main.command()
@pass_lane
def till(lane: Lane) -> None:
    """Open the till (the default when no command is given)."""
    run_till(lane)


def run_till(lane: Lane) -> None:
    from fairpos.tui.app import make_till

    lane.open()
    make_till(lane).run()


@main.command()
@pass_lane
def display(lane: Lane) -> None:
    """The sale in large type for a screen turned to the customer, following this lane's
    till (run it beside the till, on the same data folder)."""
    from fairpos.tui.customer import make_customer_view

    lane.open()
    make_customer_view(lane).run()
