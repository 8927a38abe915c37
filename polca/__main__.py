"""``python -m polca`` runs the CLI."""

from polca.cli import main

main()
