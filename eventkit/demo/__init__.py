"""`flask eventkit seed-demo`: a realistic gathering so a newcomer sees every feature working."""
