"""Imports every model so that metadata (and Alembic autogenerate) sees the whole schema."""
from eventkit.attendees.models import Attendee, AttendeeStatus, GuestLink, Person  # noqa: F401
from eventkit.audit import AuditEntry  # noqa: F401
from eventkit.auth.models import LoginThrottle, Organiser  # noqa: F401
from eventkit.checkin.models import CheckIn, DoorConflict, DoorLink, FailedScan, RetiredCheckinCode, ScanRequest  # noqa: F401
from eventkit.events.models import Event, EventOrganiser, EventStatus, Tag  # noqa: F401
from eventkit.followup.models import (  # noqa: F401
    Connection,
    ConnectionLink,
    Encounter,
    FollowUpAction,
    FollowUpReminder,
    FollowUpTask,
)
from eventkit.jobs.models import Job, JobFile  # noqa: F401
from eventkit.live.models import LiveChange, LiveState, LiveTap, ScreenLink  # noqa: F401
from eventkit.mail.models import OutboundAttachment, OutboundEmail  # noqa: F401
from eventkit.matching.models import Conversation, PairConstraint, Plan  # noqa: F401
from eventkit.messages.models import Message, MessageSettings  # noqa: F401
from eventkit.profiles.models import Intent, ResearchNote  # noqa: F401
from eventkit.registration.models import Answer, Application, Question, RegistrationSettings, SignUp  # noqa: F401
