"""CLI commands of the profiles feature (registered on the `flask eventkit` group)."""
