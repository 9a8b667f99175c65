"""SQLAlchemy models of the whole domain; see each module for one area."""

from .audit import AuditEntry
from .base import Base, utcnow
from .cares import CaresItemUpdate
from .catalogue import Activity, ActivitySession
from .course import Context, CourseMembership, LineItem, ResourceLink
from .credentials import Credential, CredentialStatusChange
from .outbox import OutboxJob
from .people import Municipality, Official
from .platform import AccessToken, Deployment, Launch, LaunchState, Platform, ToolKey, UsedNonce
from .programmes import (
    Certification,
    CertificationStatusChange,
    ContinuingEducationCycle,
    Enrollment,
    FeePayment,
)
from .records import Completion
from .settings import Setting

__all__ = [
    "AccessToken",
    "Activity",
    "ActivitySession",
    "AuditEntry",
    "Base",
    "CaresItemUpdate",
    "Certification",
    "CertificationStatusChange",
    "Completion",
    "Context",
    "ContinuingEducationCycle",
    "CourseMembership",
    "Credential",
    "CredentialStatusChange",
    "Deployment",
    "Enrollment",
    "FeePayment",
    "Launch",
    "LaunchState",
    "LineItem",
    "Municipality",
    "Official",
    "OutboxJob",
    "Platform",
    "ResourceLink",
    "Setting",
    "ToolKey",
    "UsedNonce",
    "utcnow",
]
