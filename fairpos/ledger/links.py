"""The links every page makes: to a business date, to a sale, to a lane's page, a lane by its
name."""

from __future__ import annotations

from urllib.parse import quote

from fairpos.i18n import _
from fairpos.ledger.render import Cell


def day_link(day: str, fair: str | None) -> Cell:
    return Cell(day, href=f"/day/{quote(day)}" + (f"?fair={quote(fair)}" if fair else ""))


def sale_link(sale_id: str | None) -> Cell | str:
    if not sale_id:
        return ""
    return Cell(sale_id, href=f"/sale/{quote(sale_id)}")


def lane_link(device_id: str | None) -> Cell | str:
    if not device_id:
        return "—"
    return Cell(device_id, href=f"/lane/{quote(device_id)}")


def lane_named(lane: int, fair: str | None, device_id: str | None) -> Cell:
    """A lane by its number and fair (None: the page is one fair's), its device's link
    under it."""
    link = lane_link(device_id)
    name = _("Lane {lane}").format(lane=lane) if fair is None else \
        _("Lane {lane} · {fair}").format(lane=lane, fair=fair)
    return Cell(name, under=link if isinstance(link, Cell) else Cell(link))
