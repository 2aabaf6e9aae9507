"""The shipped defaults, in our own words: a 13-competency trainer framework with four
proficiency levels, the 10-criterion teach-back rubric (3 = the certification standard) and its
virtual-delivery add-on. Plain data; :mod:`cascade.certification.services` installs it."""

from __future__ import annotations

FRAMEWORK_SLUG = "trainer-competencies"
TEACH_BACK_SLUG = "teach-back"
VIRTUAL_SLUG = "virtual-delivery"

LEVEL_NAMES = ["Foundational", "Proficient", "Advanced", "Expert"]
LEVEL_DESCRIPTIONS = [
    "Works from a script or with guidance.",
    "Meets the standard without help.",
    "Adapts to different audiences and modalities.",
    "Models the practice, coaches and assesses other trainers.",
]

# (code, name, what it looks like)
COMPETENCIES: list[tuple[str, str, str]] = [
    (
        "C01",
        "Subject credibility",
        "Teaches accurate, current content and answers questions correctly.",
    ),
    (
        "C02",
        "Needs and audience analysis",
        "Finds out what learners already know and need, and adjusts.",
    ),
    (
        "C03",
        "Objectives and design",
        "Writes measurable objectives and lines up activities and checks with them.",
    ),
    (
        "C04",
        "Preparation and environment",
        "Has the room or platform, equipment and materials ready before learners arrive.",
    ),
    (
        "C05",
        "Presentation and communication",
        "Speaks clearly, uses voice and body well, and keeps visuals clean.",
    ),
    (
        "C06",
        "Facilitation and engagement",
        "Gets learners practising, discussing and trying things, not just listening.",
    ),
    (
        "C07",
        "Questioning",
        "Asks open and closed questions at several levels of thinking, and waits for answers.",
    ),
    (
        "C08",
        "Feedback and checking understanding",
        "Checks understanding often and gives specific, useful feedback.",
    ),
    (
        "C09",
        "Retention and transfer",
        "Uses recall, spacing and job examples so learning is used at work.",
    ),
    (
        "C10",
        "Inclusion and difficult situations",
        "Keeps the climate safe, shares the floor fairly and handles conflict calmly.",
    ),
    ("C11", "Modality fluency", "Delivers well in the classroom, online, blended and on the job."),
    (
        "C12",
        "Assessment and evaluation",
        "Uses feedback, test and observation data to improve the training.",
    ),
    (
        "C13",
        "Professional practice and coaching",
        "Acts ethically, reflects, keeps developing and mentors other trainers.",
    ),
]

# (code, name, critical, anchors 1..4, competency codes)
TEACH_BACK: list[tuple[str, str, bool, tuple[str, str, str, str], tuple[str, ...]]] = [
    (
        "R1",
        "Opening and objectives",
        False,
        (
            "No objectives given.",
            "Objectives read out; why they matter is unclear.",
            "Objectives stated with why they matter for the job.",
            "Objectives tied to the learners' own goals.",
        ),
        ("C03", "C02"),
    ),
    (
        "R2",
        "Content accuracy and fidelity",
        True,
        (
            "Errors or key points missing.",
            "Small departures from the approved content.",
            "Accurate, with every core point covered.",
            "Accurate and adapted to the group while keeping to the approved content.",
        ),
        ("C01",),
    ),
    (
        "R3",
        "Structure and timing",
        False,
        (
            "Disordered, or more than a fifth over or under time.",
            "Some pacing problems.",
            "Logical order, on time.",
            "Adjusts the pace to what learners show.",
        ),
        ("C04", "C03"),
    ),
    (
        "R4",
        "Delivery",
        False,
        (
            "Reads from slides, or distracting habits.",
            "Mostly clear.",
            "Clear voice and eye contact; visuals support the message.",
            "Compelling, with media chosen for a purpose.",
        ),
        ("C05",),
    ),
    (
        "R5",
        "Active learning",
        False,
        (
            "Lecture only.",
            "A token activity.",
            "Practice tied to an objective.",
            "Learners practise, reflect and teach each other.",
        ),
        ("C06",),
    ),
    (
        "R6",
        "Questioning",
        False,
        (
            "No questions, or only rhetorical ones.",
            "Closed recall questions, with little waiting for answers.",
            "A mix of questions, at least one at the apply level or above; waits about 3 s.",
            "Higher-order questions in sequence, with follow-up probes.",
        ),
        ("C07",),
    ),
    (
        "R7",
        "Checking understanding and feedback",
        False,
        (
            "No checks.",
            "Only \u201cAny questions?\u201d.",
            "Planned checks and specific feedback.",
            "Spots and corrects misconceptions as they appear.",
        ),
        ("C08",),
    ),
    (
        "R8",
        "Inclusion and participation",
        False,
        (
            "A few people dominate.",
            "Notices the imbalance but does not act on it.",
            "Draws in quieter people.",
            "Participation is balanced across the group.",
        ),
        ("C10",),
    ),
    (
        "R9",
        "Transfer to the job",
        False,
        (
            "No link to the job.",
            "Generic examples.",
            "Examples from the job and an action plan.",
            "Learners make concrete commitments.",
        ),
        ("C09",),
    ),
    (
        "R10",
        "Close",
        False,
        (
            "Ends abruptly.",
            "A summary only.",
            "A summary and a recall check.",
            "Learners summarise, and follow-up is agreed.",
        ),
        ("C09", "C08"),
    ),
]

VIRTUAL: list[tuple[str, str, bool, tuple[str, str, str, str], tuple[str, ...]]] = [
    (
        "V1",
        "Tool fluency",
        False,
        (
            "Struggles with the platform; time is lost.",
            "Manages the basics with some stumbles.",
            "Moves smoothly between slides, sharing and tools.",
            "Uses the platform's tools to deepen learning.",
        ),
        ("C11",),
    ),
    (
        "V2",
        "Chat, reactions and polls",
        False,
        (
            "Ignores the chat.",
            "Reads the chat now and then.",
            "Uses chat, reactions or polls to involve everyone.",
            "Weaves the chat into the session; nobody is left out.",
        ),
        ("C06", "C11", "C10"),
    ),
    (
        "V3",
        "Breakouts and practice online",
        False,
        (
            "No interaction beyond listening.",
            "Breakouts without a clear task.",
            "Breakouts with a clear task, time and debrief.",
            "Breakouts that produce work the whole group builds on.",
        ),
        ("C06", "C11"),
    ),
]
