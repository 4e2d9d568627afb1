"""The followup feature: connections, follow-up tasks, reminders and the follow-up dashboard."""
