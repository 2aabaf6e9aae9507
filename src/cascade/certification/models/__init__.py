"""Certification's records, one module per concept: rubrics (frameworks, competencies,
rubrics, criteria), observations (teach-backs, score sheets, moderation), calibration
(reference recordings, attempts) and awards (ladder rules, certifications, credentials)."""

from cascade.certification.models.awards import (
    LEVEL_ORDER,
    Certification,
    CertificationEvent,
    CertificationStatus,
    CompetencyRating,
    DevelopmentActivity,
    LadderRule,
    Level,
    SigningKey,
)
from cascade.certification.models.calibration import CalibrationAttempt, CalibrationExercise
from cascade.certification.models.observations import (
    ModerationNote,
    Observation,
    ObservationKind,
    ObservationMode,
    ObservationStatus,
    ObserverRole,
    ScoreSheet,
)
from cascade.certification.models.rubrics import (
    LEVELS,
    Competency,
    Criterion,
    Framework,
    Rubric,
    VersionStatus,
)

__all__ = [
    "LEVELS",
    "LEVEL_ORDER",
    "CalibrationAttempt",
    "CalibrationExercise",
    "Certification",
    "CertificationEvent",
    "CertificationStatus",
    "Competency",
    "CompetencyRating",
    "Criterion",
    "DevelopmentActivity",
    "Framework",
    "LadderRule",
    "Level",
    "ModerationNote",
    "Observation",
    "ObservationKind",
    "ObservationMode",
    "ObservationStatus",
    "ObserverRole",
    "Rubric",
    "ScoreSheet",
    "SigningKey",
    "VersionStatus",
]
