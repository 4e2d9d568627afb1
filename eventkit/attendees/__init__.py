"""The attendees feature: the guest list, magic links, invitations and the guest's page."""
