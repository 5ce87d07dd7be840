"""Command implementations registered on the `hotline` CLI."""
