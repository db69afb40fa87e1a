"""All models, imported here so Alembic and the app see the whole schema."""

from greenapp.models.api import ApiToken, IdempotencyRecord  # noqa: F401
from greenapp.models.audit import AuditRecord
from greenapp.models.cache import CacheVersion, ProgrammeRollup  # noqa: F401
from greenapp.models.community import Badge, Challenge, ChallengeParticipant, Notification
from greenapp.models.evidence import EvidenceFile
from greenapp.models.experts import Guide, Proposal, ProposalEvent, ProposalSupport
from greenapp.models.glossary import GlossaryConcept  # noqa: F401
from greenapp.models.impact import ImpactFactor, MonthlySummary, Tariff  # noqa: F401
from greenapp.models.imports import ImportBatch, ImportMapping
from greenapp.models.log import DailySummary, EcoLog
from greenapp.models.meters import CityTemperature, Meter, MeterBaseline, MeterReading
from greenapp.models.place import City
from greenapp.models.school import School, SchoolTarget
from greenapp.models.user import User

__all__ = [
    "AuditRecord",
    "Badge",
    "City",
    "Challenge",
    "ChallengeParticipant",
    "Guide",
    "Notification",
    "Proposal",
    "ProposalEvent",
    "ProposalSupport",
    "DailySummary",
    "EcoLog",
    "ImportBatch",
    "ImportMapping",
    "School",
    "SchoolTarget",
    "User",
    "CityTemperature",
    "EvidenceFile",
    "Meter",
    "MeterBaseline",
    "MeterReading",
]
