"""The demo's training calendar as data: its courses, venues, sessions and discussions.

Pure constants (no database), read by :mod:`cascade.demo.delivery`, which loads them. Days are
counted from the day of loading; times are local to the demo organisation (Europe/London).
"""

from __future__ import annotations

from dataclasses import dataclass

from cascade.delivery.models import Modality, RequiredLevel, Session, Thread
from cascade.demo.learning import SPRING
from cascade.demo.organisation import CANDIDATE_EMAIL, MASTER_EMAIL, ROOT_CODE, TRAINER_EMAIL


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    summary: str
    objectives: str
    audience: str
    duration_minutes: int
    required_level: str = RequiredLevel.CERTIFIED


COURSES: tuple[CourseSpec, ...] = (
    CourseSpec(
        "safe-patient-handling",
        "Safe Patient Handling",
        "Two practical days on moving people safely: risk assessment at the bedside, slide "
        "sheets, standing and full-body hoists, and what to do after a fall.",
        "Assess a person's moving and handling needs using the care plan\n"
        "Reposition a person in bed with a slide sheet and a colleague\n"
        "Choose and check a sling, and transfer with a hoist\n"
        "Follow the falls pathway without lifting manually",
        "Registered nurses, healthcare assistants and therapists on inpatient wards",
        780,
    ),
    CourseSpec(
        "infection-prevention-essentials",
        "Infection Prevention Essentials",
        "Standard precautions in practice: hand hygiene at the five moments, choosing and "
        "removing PPE, isolation, and keeping the environment and equipment clean.",
        "Perform hand hygiene at the five moments\n"
        "Put on and take off PPE in the right order\n"
        "Decide when a patient needs isolation and what signage to use",
        "All clinical staff",
        180,
    ),
    CourseSpec(
        "de-escalating-conflict",
        "De-escalating Conflict",
        "Recognising rising tension early and calming it: what to say, how to stand, when to "
        "step back, and looking after yourself and your team afterwards.",
        "Notice early signs of agitation and distress\n"
        "Use calm, non-confrontational language and body position\n"
        "Decide when to withdraw and call for help\n"
        "Lead a short debrief after an incident",
        "Staff in emergency, acute and outpatient areas",
        240,
        RequiredLevel.MASTER,
    ),
    CourseSpec(
        "sepsis-recognition",
        "Sepsis Recognition and Response",
        "Spotting sepsis with NEWS2 and the screening tool, escalating with SBAR, and "
        "delivering the Sepsis Six within the hour.",
        "Screen a deteriorating patient for sepsis\n"
        "Escalate with a structured SBAR handover\n"
        "Start the Sepsis Six within one hour",
        "Registered nurses, nursing associates and junior doctors",
        150,
    ),
    CourseSpec(
        "clinical-record-keeping-online",
        "Clinical Record Keeping (online)",
        "A live online workshop on writing records that stand up: contemporaneous, legible, "
        "signed, and useful to the next person who reads them.",
        "Write an entry that meets the professional standards\n"
        "Correct an error in a record the right way\n"
        "Record consent and capacity decisions clearly",
        "All staff who write in patient records",
        90,
    ),
)


@dataclass(frozen=True)
class VenueSpec:
    key: str
    name: str
    address: str
    region: str
    capacity: int
    unit: str  # the org unit that owns it


VENUES: tuple[VenueSpec, ...] = (
    VenueSpec(
        "hri",
        "Harrowgate Royal Infirmary, Education Centre",
        "Education Centre, Level 2\nHarrowgate Royal Infirmary\nInfirmary Road\nHarrowgate HG4 7RN",
        "North",
        24,
        f"{ROOT_CODE}-north-hri",
    ),
    VenueSpec(
        "ngh",
        "Northbridge General Hospital, Clinical Skills Lab",
        "Clinical Skills Lab, Ground Floor, Castle Wing\nNorthbridge General Hospital\n"
        "Castle Hill Road\nNorthbridge NB2 5QT",
        "Central",
        16,
        f"{ROOT_CODE}-central-ngh",
    ),
    VenueSpec(
        "ald",
        "Aldermoor Hospital, Postgraduate Centre",
        "Seminar Room 3, Postgraduate Centre\nAldermoor Hospital\nMoor Lane\nAldermoor AM6 2DX",
        "Central",
        30,
        f"{ROOT_CODE}-central-ald",
    ),
)

JOIN = "https://meet.northbridge.example/j/"
WORKSHOP_TITLE = f"Live workshop: questioning and participation ({SPRING})"


@dataclass(frozen=True)
class SessionSpec:
    """One demo session. Staff are ``trainer``/``master`` (the demo logins) or
    ``trainer:<region>:<n>``/``master:<region>`` (the n-th other demo trainer of a region)."""

    title: str
    course: str  # a course slug; "" for the spring intake's live workshop
    days: tuple[int, ...]  # days from today, one part each
    hours: tuple[str, str]
    modality: str
    venue: str | None
    capacity: int
    lead: str
    co: str = ""
    learners: int = 0  # booked besides the demo learner
    region: str = ""  # where those learners work ("" for anywhere)
    demo_learner: str = ""  # "enrolled" or "waitlisted"
    waitlist: int = 0  # others queued after a full session
    nominated: int = 0  # nominations waiting for approval
    status: str = Session.Status.OPEN
    mark: bool = True  # past sessions: attendance marked
    needs_approval: bool = False
    cancel_reason: str = ""
    description: str = ""


IN_PERSON, VIRTUAL, HYBRID = Modality.IN_PERSON, Modality.VIRTUAL, Modality.HYBRID
SESSIONS: tuple[SessionSpec, ...] = (
    SessionSpec(
        "Infection Prevention Essentials", "infection-prevention-essentials", (-19,),
        ("09:30", "12:30"), IN_PERSON, "hri", 20, "trainer:North:0", learners=14, region="North",
    ),
    SessionSpec(
        "Sepsis Recognition and Response: ED and AMU", "sepsis-recognition", (-12,),
        ("13:30", "16:00"), IN_PERSON, "ngh", 16, "trainer", co="trainer:Central:0",
        learners=12, region="Central",
    ),
    SessionSpec(
        "Clinical Record Keeping (online): morning", "clinical-record-keeping-online", (-7,),
        ("10:00", "11:30"), VIRTUAL, None, 30, "trainer:South:0", learners=17,
        demo_learner="enrolled",
    ),
    SessionSpec(
        "De-escalating Conflict: Aldermoor", "de-escalating-conflict", (-4,), ("13:00", "17:00"),
        HYBRID, "ald", 20, "master:Central", co="trainer:Central:1", learners=15,
        region="Central",
    ),
    SessionSpec(
        "Safe Patient Handling: two-day practical", "safe-patient-handling", (-1, 0),
        ("09:00", "16:30"), IN_PERSON, "ngh", 12, "trainer", co="trainer:Central:2", learners=11,
        region="Central", mark=False,
        description="Day one covers assessment and slide sheets; day two hoists and falls. "
        "Wear comfortable clothes and flat shoes.",
    ),
    SessionSpec(
        WORKSHOP_TITLE, "", (3,), ("09:30", "16:00"), IN_PERSON, "ngh", 14, "master",
        co="master:Central",
        description="The Spring 2026 intake's workshop: bring one question you often ask in "
        "your own teaching.",
    ),
    SessionSpec(
        "Sepsis Recognition and Response: ward teams", "sepsis-recognition", (5,),
        ("13:30", "16:00"), IN_PERSON, "ngh", 16, "trainer", learners=9, region="Central",
        demo_learner="enrolled",
    ),
    SessionSpec(
        "Clinical Record Keeping (online): afternoon", "clinical-record-keeping-online", (8,),
        ("14:00", "15:30"), VIRTUAL, None, 40, "trainer:North:1", learners=22,
    ),
    SessionSpec(
        "Infection Prevention Essentials: Aldermoor", "infection-prevention-essentials", (9,),
        ("09:30", "12:30"), IN_PERSON, "ald", 20, "trainer:Central:3", learners=6,
        region="Central", status=Session.Status.CANCELLED,
        cancel_reason="The infection prevention team is supporting the norovirus response on "
        "Ward 4 this week. Please book the session at Northbridge General instead.",
    ),
    SessionSpec(
        "De-escalating Conflict: Northbridge General", "de-escalating-conflict", (10,),
        ("13:00", "17:00"), IN_PERSON, "ngh", 12, "master", co="trainer:Central:1",
        learners=12, region="Central", demo_learner="waitlisted", waitlist=2,
    ),
    SessionSpec(
        "Infection Prevention Essentials: Northbridge General",
        "infection-prevention-essentials", (15,), ("09:30", "12:30"), HYBRID, "ngh", 20,
        "trainer:Central:0", learners=7, region="Central",
    ),
    SessionSpec(
        "Safe Patient Handling: two-day practical, Harrowgate", "safe-patient-handling",
        (22, 23), ("09:00", "16:30"), IN_PERSON, "hri", 12, "trainer:North:1",
        co="trainer:North:0", learners=8, region="North",
    ),
    SessionSpec(
        "De-escalating Conflict: Harrowgate", "de-escalating-conflict", (29,),
        ("13:00", "17:00"), IN_PERSON, "hri", 20, "master:North", co="trainer:North:2",
        learners=16, region="North", nominated=2, needs_approval=True,
    ),
    SessionSpec(
        "Sepsis Recognition and Response: theatres and day surgery", "sepsis-recognition",
        (36,), ("08:30", "11:00"), IN_PERSON, "ald", 16, "trainer:Central:2",
        status=Session.Status.DRAFT,
    ),
)  # fmt: skip

# (place: "course:<slug>" | "session:<title>" | "cohort", kind, title, [(author, body), ...]);
# authors are emails, or "learner:<session title>" for the n-th learner booked on that session.
THREADS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "course:safe-patient-handling",
        Thread.Kind.QUESTION,
        "Slide sheets on the new pressure-relieving mattresses?",
        (
            (
                "learner:Safe Patient Handling: two-day practical",
                "We have the new air mattresses on Ward 4. The slide sheet seems to sink into "
                "them. Is it still safe to reposition with two of us, or do we need a hoist?",
            ),
            (
                TRAINER_EMAIL,
                "Still two people and a slide sheet, but set the mattress to **max inflate** "
                "(or 'firm') first and wait a minute: it stops the sheet sinking. Put it back "
                "to the prescribed setting afterwards, and write that in the care plan.",
            ),
            (
                "learner:Safe Patient Handling: two-day practical",
                "That makes sense, thank you. We will add it to the ward's handling notes.",
            ),
        ),
    ),
    (
        "cohort",
        Thread.Kind.DISCUSSION,
        "Before the live workshop: the question you ask most",
        (
            (
                MASTER_EMAIL,
                "Ahead of the workshop, post the question you ask most often when you teach. "
                "We will rework a few of them together in the questioning drills.",
            ),
            (
                CANDIDATE_EMAIL,
                "Mine is 'does everyone understand?' at the end of every huddle. Nobody has "
                "ever said no, which probably tells me something.",
            ),
            (
                MASTER_EMAIL,
                "A perfect one to start with, Tomasz. Think about what you would ask instead "
                "if you wanted everyone to show you, not tell you.",
            ),
        ),
    ),
    (
        "session:Safe Patient Handling: two-day practical",
        Thread.Kind.DISCUSSION,
        "Day two: hoists and the falls pathway",
        (
            (
                TRAINER_EMAIL,
                "Thanks for a great first day. Today we start at 09:00 in the skills lab; we "
                "will work with both hoists, so bring the sling chart from your ward if you "
                "have one.",
            ),
            (
                "learner:Safe Patient Handling: two-day practical",
                "Will we practise with the bariatric sling as well?",
            ),
        ),
    ),
)
