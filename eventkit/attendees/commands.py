"""CLI commands of the attendees feature (registered on the `flask eventkit` group)."""
