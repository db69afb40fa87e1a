"""All models, imported here so Alembic and the app see the whole schema."""

from greenapp.models.audit import AuditRecord
from greenapp.models.cache import CacheVersion, ProgrammeRollup  # noqa: F401
from greenapp.models.community import Badge, Challenge, ChallengeParticipant, Notification
from greenapp.models.experts import Guide, Proposal, ProposalEvent, ProposalSupport
from greenapp.models.impact import ImpactFactor, MonthlySummary, StatsVersion, Tariff  # noqa: E501, F401
from greenapp.models.log import DailySummary, EcoLog
from greenapp.models.school import School, SchoolTarget
from greenapp.models.user import User

__all__ = [
    "AuditRecord", "Badge", "Challenge", "ChallengeParticipant", "Guide", "Notification",
    "Proposal", "ProposalEvent", "ProposalSupport",
    "DailySummary", "EcoLog", "School", "SchoolTarget", "User"]
