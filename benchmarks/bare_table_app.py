"""The baseline for the till benchmark: a bare Textual app with a 40-row table and a total.

Enter adds a row and updates the total ("41 lines"); F8 removes the last row. Nothing else.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static


class BareTable(App[None]):
    BINDINGS = [Binding("f8", "remove", "Remove")]

    def compose(self) -> ComposeResult:
        yield DataTable(id="table")
        yield Static(id="total")
        yield Input(id="entry")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "Product", "Qty", "Price", "Amount")
        self.cents = 0
        for n in range(40):
            self.add_row(n)
        self.query_one(Input).focus()

    def add_row(self, n: int) -> None:
        table = self.query_one(DataTable)
        table.add_row(str(n + 1), f"Product {n}", "×1", "1.20", "1.20", key=str(n))
        table.move_cursor(row=table.row_count - 1)  # keep the new row in view, as the till does
        self.cents += 120
        self.query_one("#total", Static).update(
            f"TOTAL {self.cents // 100}.{self.cents % 100:02d} USD · {table.row_count} lines")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.add_row(self.query_one(DataTable).row_count)
        event.input.value = ""

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        table.remove_row(str(table.row_count - 1))
        self.cents -= 120
        self.query_one("#total", Static).update(
            f"TOTAL {self.cents // 100}.{self.cents % 100:02d} USD · {table.row_count} lines")


if __name__ == "__main__":
    BareTable().run()
