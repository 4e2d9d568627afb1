"""CLI commands of the events feature (registered on the `flask eventkit` group)."""
