"""CLI commands of the checkin feature (registered on the `flask eventkit` group)."""
