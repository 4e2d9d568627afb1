"""CLI commands of the auth feature (registered on the `flask eventkit` group)."""
