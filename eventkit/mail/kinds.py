"""Every kind of email eventkit sends, and what each kind's headers are: the one table that decides.

A kind is transactional (the invitation, the lost-link answer, an offered place, a briefing the
organiser sends, a request to confirm an encounter): it always reaches the guest and carries no
List-Unsubscribe. Or it belongs to a topic the guest can stop (`Topic`): it then carries the
RFC 8058 one-click headers, and the code that queues it skips guests who opted out.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Topic(StrEnum):
    """What a guest can switch off, per gathering or across one organiser's gatherings."""

    #: follow-up reminders (due soon, overdue) and the organiser's profile reminders
    REMINDERS = "reminders"
    #: the weekly follow-up digest (one email per person, across their gatherings)
    DIGEST = "digest"
    #: news from the organiser: announcements and the day-before reminder
    ANNOUNCEMENTS = "announcements"

    @property
    def label(self) -> str:
        return TOPIC_LABELS[self]

    @property
    def column(self) -> str:
        """The Attendee column that holds a guest's opt-out of this topic."""
        return f"{self.value}_opt_out"


TOPIC_LABELS = {
    Topic.REMINDERS: "Follow-up reminders",
    Topic.DIGEST: "Weekly digest",
    Topic.ANNOUNCEMENTS: "Announcements from the organiser",
}


class EmailKind(StrEnum):
    INVITATION = "invitation"
    PLACE_OFFERED = "place_offered"
    BRIEFING = "briefing"
    ENCOUNTER = "encounter"
    PROFILE_REMINDER = "profile_reminder"
    FOLLOWUP_REMINDER = "followup_reminder"
    DIGEST = "digest"
    ESCALATION = "escalation"
    NUDGE = "nudge"
    ACCOUNT = "account"
    ANNOUNCEMENT = "announcement"
    DAY_BEFORE = "day_before"
    REGISTRATION_CONFIRM = "registration_confirm"
    REGISTRATION_KNOWN = "registration_known"
    REGISTRATION_DECISION = "registration_decision"
    #: anything not listed above: transactional, automatic
    NOTICE = "notice"


@dataclass(frozen=True)
class KindRule:
    #: who gets it and when (the README's email table says the same)
    description: str
    #: the topic a guest can stop; None: transactional, always sent, no List-Unsubscribe
    topic: Topic | None = None
    #: sent by eventkit on its own (a sweep, a waitlist move, a guest's request): Auto-Submitted
    automatic: bool = True
    #: replies go to the organiser (or MAIL_REPLY_TO) rather than to MAIL_FROM
    reply_to_organiser: bool = False


RULES: dict[EmailKind, KindRule] = {
    EmailKind.INVITATION: KindRule("the invitation with the guest's personal link, and the answer to a lost-link "
                                   "request", automatic=False, reply_to_organiser=True),
    EmailKind.PLACE_OFFERED: KindRule("a place freed up for a waitlisted guest"),
    EmailKind.BRIEFING: KindRule("the briefing PDF the organiser sends", automatic=False, reply_to_organiser=True),
    EmailKind.ENCOUNTER: KindRule("another guest logged meeting you and asks you to confirm"),
    EmailKind.PROFILE_REMINDER: KindRule("the organiser reminds unready guests to finish their profile",
                                         topic=Topic.REMINDERS),
    EmailKind.FOLLOWUP_REMINDER: KindRule("a follow-up task falls due soon or is overdue", topic=Topic.REMINDERS),
    EmailKind.DIGEST: KindRule("the weekly follow-up digest to guests with overdue tasks", topic=Topic.DIGEST),
    EmailKind.ESCALATION: KindRule("to organisers: their gatherings' tasks overdue by a day or more"),
    EmailKind.NUDGE: KindRule("the organiser's \"nudge both\" to a connection losing touch", topic=Topic.REMINDERS,
                              automatic=False, reply_to_organiser=True),
    EmailKind.ACCOUNT: KindRule("to a new organiser: confirm the email address of the account"),
    EmailKind.ANNOUNCEMENT: KindRule("an announcement the organiser writes", topic=Topic.ANNOUNCEMENTS,
                                     automatic=False, reply_to_organiser=True),
    EmailKind.DAY_BEFORE: KindRule("the reminder the day before the gathering", topic=Topic.ANNOUNCEMENTS),
    EmailKind.REGISTRATION_CONFIRM: KindRule("a sign-up on the public page: confirm the address (the link becomes "
                                             "the guest's personal link)"),
    EmailKind.REGISTRATION_KNOWN: KindRule("the public form sent with an address already on the list: use your "
                                           "personal link (a fresh one)"),
    EmailKind.REGISTRATION_DECISION: KindRule("the organiser approved, waitlisted or declined an application",
                                              automatic=False, reply_to_organiser=True),
    EmailKind.NOTICE: KindRule("any other automatic notice"),
}


def kind_of(value: str | None) -> EmailKind:
    """The kind named `value`; NOTICE for a name this table does not know (an older row, a new caller)."""
    try:
        return EmailKind(value or EmailKind.NOTICE)
    except ValueError:
        return EmailKind.NOTICE


def rule_for(value: str | None) -> KindRule:
    return RULES[kind_of(value)]


def kinds_of_topic(topic: Topic) -> list[EmailKind]:
    return [kind for kind, rule in RULES.items() if rule.topic == topic]
