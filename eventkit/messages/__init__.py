"""Messages: the organiser writes to the right guests, now or on a schedule, through the outbox."""
