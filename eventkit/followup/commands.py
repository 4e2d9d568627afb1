"""CLI commands of the followup feature (registered on the `flask eventkit` group)."""
