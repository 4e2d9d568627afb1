"""Background jobs: the Huey queue, the worker, long renders with progress, periodic tasks."""
