"""``python -m scanner.cli`` runs the command line."""
from scanner.cli import main

main()
