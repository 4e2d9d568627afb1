"""CLI commands of the mail feature (registered on the `flask eventkit` group)."""
