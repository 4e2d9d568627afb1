"""CLI commands of the matching feature (registered on the `flask eventkit` group)."""
