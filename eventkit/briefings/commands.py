"""CLI commands of the briefings feature (registered on the `flask eventkit` group)."""
