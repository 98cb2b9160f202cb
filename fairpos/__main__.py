"""``python -m fairpos`` runs the ``fairpos`` command."""

from fairpos.cli import main

main(prog_name="fairpos")
