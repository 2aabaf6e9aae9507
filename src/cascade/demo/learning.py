"""Trainer development in the demo organisation: Trainer Essentials with two cohorts, and a
learner follow-up program built by a trainer.

* **Autumn 2025 intake** (about seven months ago): the demo trainer and two colleagues, every
  step done, their on-the-job tasks signed off and teach-backs marked.
* **Spring 2026 intake** (started five weeks ago): eleven candidates spread from "just started"
  to "nearly done". The demo candidate has finished lessons 1 to 4 (failing one quiz before
  passing it, and writing a reflection the master trainer answered) and is on the questioning
  quiz, some steps overdue; two others are behind too. An on-the-job task and a teach-back wait
  for sign-off and some reflections for a reply, so the master trainer's review queue has work.
  Graduates of the autumn intake mentor a few candidates.
* **Safe Patient Handling — follow-up**: a learner path (lesson, three-question quiz, on-the-job
  task) the demo trainer built for eight ward staff, the demo learner among them.

Everything goes through the learning services (prerequisites, grading, sign-off and audit work
as in real use), so progress is stamped with the time of loading; only the cohorts' start dates
are set in the past, relative to today. Quiz responses are built from each attempt's answer key,
right or deliberately wrong. Which people, scores and texts appear comes from a seeded
``random.Random``; only the served order of quiz questions (shuffled by the quiz engine) varies.

Idempotent per cohort: a cohort that exists (by program and name) is left as it is, so a second
run reads one row set and writes nothing. The notifications the services send along the way stay
in-app only: their emails are cancelled before the transaction commits, so loading never mails
(or prints to the console) a backlog of reviews nobody asked for.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.utils import timezone

from cascade.core.models import Notification
from cascade.demo.organisation import (
    CANDIDATE_EMAIL,
    DEMO_SEED,
    LEARNER_EMAIL,
    MASTER_EMAIL,
    PM_EMAIL,
    ROOT_CODE,
    TRAINER_EMAIL,
    DemoSummary,
    PersonSpec,
    plan_people,
)
from cascade.learning.curriculum.install import (
    TRAINER_ESSENTIALS_SLUG,
    install_trainer_essentials,
    load_curriculum,
)
from cascade.learning.models import (
    Audience,
    Cohort,
    Enrolment,
    Program,
    QuizAttempt,
    Step,
    StepKind,
)
from cascade.learning.services import cohorts as cohort_services
from cascade.learning.services import programs as program_services
from cascade.learning.services import progress as progress_services
from cascade.learning.services import quizzes as quiz_services
from cascade.learning.step_config import quiz_config
from cascade.people.models import OrgUnit, Person

SPRING = "Spring 2026 intake"
AUTUMN = "Autumn 2025 intake"
SPRING_STARTED_DAYS_AGO = 35
AUTUMN_STARTED_DAYS_AGO = 217  # 26 weeks before the spring intake; a 10-week program
FOLLOW_UP_SLUG = "safe-patient-handling-follow-up"
FOLLOW_UP_TITLE = "Safe Patient Handling — follow-up"
FOLLOW_UP_COHORT = "Northbridge General wards"
FOLLOW_UP_STARTED_DAYS_AGO = 9
FOLLOW_UP_SITE = "nbh-central-ngh"

# Trainer Essentials in path order (the curriculum's step slugs). The spring intake's live
# workshop is three days away, so nobody in it has attended yet.
ESSENTIALS_ORDER: tuple[str, ...] = (
    "lesson-01", "quiz-01", "lesson-02", "quiz-02", "reflection-01",
    "lesson-03", "quiz-03", "lesson-04", "quiz-04", "lesson-05", "quiz-05",
    "lesson-06", "quiz-06", "lesson-07", "quiz-07", "live-workshop", "reflection-02",
    "lesson-08", "quiz-08", "lesson-09", "quiz-09", "on-the-job", "mentoring",
    "lesson-10", "quiz-10", "lesson-11", "quiz-11", "teach-back", "reflection-03",
)  # fmt: skip
SPRING_ORDER: tuple[str, ...] = tuple(s for s in ESSENTIALS_ORDER if s != "live-workshop")


@dataclass(frozen=True)
class Profile:
    """How far one spring candidate has got: the first ``done`` steps of SPRING_ORDER complete
    (quizzes in ``failed_first`` failed once before passing; reflections in ``unanswered`` still
    waiting for a reply), then ``then``: what they are in the middle of."""

    done: int
    failed_first: tuple[str, ...] = ()
    unanswered: tuple[str, ...] = ()
    then: tuple[str, ...] = ()  # "fail:<quiz>", "submit:<task>", "meet:<n>"
    mentored: bool = False


# The demo candidate: lessons 1-4 done, quiz 2 failed then passed, a reflection answered, now on
# the questioning quiz with five steps overdue.
CANDIDATE_PROFILE = Profile(done=8, failed_first=("quiz-02",), mentored=True)
# Everyone else in the spring intake, shuffled over the other eleven candidates.
SPRING_PROFILES: tuple[Profile, ...] = (
    Profile(done=1, then=("fail:quiz-01",)),  # just started, behind
    Profile(done=6, failed_first=("quiz-01",), then=("fail:quiz-03", "fail:quiz-03")),  # stuck
    Profile(done=13),
    Profile(done=13, failed_first=("quiz-05",), unanswered=("reflection-01",)),
    Profile(done=14, failed_first=("quiz-02",)),
    Profile(done=16, unanswered=("reflection-02",)),
    Profile(done=18, failed_first=("quiz-06",)),
    # Nearly done: the on-the-job task waits for sign-off, one mentoring meeting held.
    Profile(done=20, then=("submit:on-the-job", "meet:1"), mentored=True),
    Profile(done=24, failed_first=("quiz-08",), mentored=True),
    # Further still: the teach-back waits to be marked.
    Profile(done=26, unanswered=("reflection-02",), then=("submit:teach-back",), mentored=True),
)

SESSION_TOPICS: tuple[str, ...] = (
    "Using a slide sheet for repositioning",
    "Spotting deterioration early with NEWS2",
    "Safe insulin prescribing and administration",
    "Preventing falls at night",
    "Keeping an accurate fluid balance chart",
    "Giving a structured SBAR handover",
    "Pressure area care in the first 24 hours",
    "Sepsis screening at triage",
)

REFLECTIONS: dict[str, tuple[str, ...]] = {
    "reflection-01": (
        "The thing I learned as an adult that I still use every shift is how to cannulate. "
        "I did the classroom session in my first year, but it was a senior colleague on nights "
        "who really taught me: she let me try on patients with good veins, stood next to me, "
        "and asked me what I would do differently after each attempt. Looking at Knowles, that "
        "worked because I needed to know it for my job straight away, I was ready because I was "
        "embarrassed to keep asking for help, and it was problem-centred rather than a lecture "
        "about anatomy. My own experience was used as a resource: she always started from what "
        "I had just done. Retrieval and spacing happened without anyone planning them, because "
        "I had to do it again a few days later and remember the steps on my own. The course "
        "that did not work for me was a mandatory e-learning module I clicked through in one "
        "sitting and forgot within a week. For my next session I will start with a question "
        "about what people already do, instead of opening with ten slides of background.",
        "When I moved to this unit I had to learn the electronic prescribing system, and I "
        "still use what I learned every day. I did not learn it on the course: I learned it by "
        "sitting with a pharmacist for two mornings and then being left to try, with a list of "
        "questions to bring back. Of Knowles's assumptions, the need to know and the orientation "
        "to problems explain it best: every example was a real patient on our ward, and I could "
        "see why it mattered. Self-concept mattered too, because I was trusted to work it out "
        "and not watched over. The formal training day had the opposite effect; we sat through "
        "every screen whether we needed it or not. Spacing happened because the pharmacist came "
        "back a week later and asked me to show her how I would reconcile a discharge, which "
        "forced me to retrieve it. In the next huddle I lead, I will ask people to recall the "
        "last incident before I explain the change, and I will come back to it a week later.",
    ),
    "reflection-02": (
        "At the workshop I timed myself and I was waiting about one second after a question "
        "before answering it myself. When I forced myself to count to five, the silence felt "
        "very long, but two people who had not spoken all morning answered, and one of them "
        "had a better example than mine. In my ward huddles the same three people always speak: "
        "the nurse in charge, the senior healthcare assistant and me. I have started using "
        "write-first for a minute on a whiteboard before asking anyone, and that brought in a "
        "newly qualified nurse who is usually quiet. The awkward moment was a doctor who said "
        "the whole session was pointless because the policy would change again. My first "
        "reaction was to defend the policy, which made it worse. Now I would acknowledge the "
        "frustration, ask what would make the session useful for him, and park the policy "
        "discussion for the end. The habit I will practise in my on-the-job session is the "
        "wait time, and I will know it worked if more than half of the group say something.",
        "I noticed that I ask a lot of closed questions, mostly 'does that make sense?', and "
        "that nobody ever says no. In the workshop drills I tried asking 'what would you do "
        "first if this patient's score went up?' and waited, and the answers told me much more "
        "about what people had understood. In the teaching I did last week on the day unit, the "
        "people who spoke were the ones standing closest to me; the two support workers at the "
        "back said nothing. Next time I will use think-pair-share so that everyone has talked "
        "to someone before I ask the room, and I will move around rather than stand at the "
        "front. One difficult moment was a colleague checking her phone throughout. I ignored "
        "it, but I could have given her a role, such as reading the scenario aloud. In my "
        "on-the-job session I will practise redirecting questions to the group instead of "
        "answering them myself, and I will count how many different people answer.",
    ),
    "reflection-03": (
        "The feedback on my teach-back was clearer than I expected. My two strengths were the "
        "opening, where I linked the topic to an incident everyone on the ward remembered, and "
        "the activity, where people practised the skill in pairs rather than watching me. The "
        "two criteria I most need to improve are checking understanding, because I asked the "
        "group if they were happy instead of getting a response from everyone, and timing, "
        "because I ran four minutes over and rushed the close. What surprised me most is how "
        "different teaching is from knowing the subject. I have done this procedure hundreds "
        "of times, but explaining the reasons behind each step in order, at the right level, "
        "without drowning people in detail, was much harder than doing it. My first "
        "development goal: when I plan a session, I will write the check for understanding "
        "before I write the content. My second: when I reach the halfway point, I will look at "
        "the clock and cut an example rather than the practice. To evaluate my first sessions I "
        "will collect a Level 1 measure of usefulness and confidence on a short card, and a "
        "Level 3 measure by asking the ward manager to observe whether people use the slide "
        "sheet a month later. From my mentor I need one observation of a real session in the "
        "next three months and a debrief afterwards; from my manager I need protected time on "
        "the rota to prepare, because planning properly took me far longer than I had thought.",
    ),
}
REPLIES: tuple[str, ...] = (
    "Thank you, {name}: a thoughtful reflection. You have spotted exactly what makes learning "
    "stick for adults. Keep that opening question; it will tell you what people already know.",
    "Really good to read, {name}. I like the concrete change you have chosen; try it next week "
    "and tell your mentor how it went. Notice what happens in the silence after you ask.",
    "Well observed, {name}. Bring this example to the live workshop: it is a good one to "
    "practise with, and others in the group will recognise it.",
)


# --- Quiz responses --------------------------------------------------------------------------


def _response(item: dict[str, Any], *, right: bool) -> Any:
    """The answer to one served question, right or wrong (wrong earns no partial credit)."""
    key, kind = item["key"], item["kind"]
    if kind in ("single", "true_false"):
        wrong = [o["token"] for o in item["options"] if o["token"] not in key["correct"]]
        return key["correct"][0] if right else wrong[0]
    if kind == "multiple":
        wrong = [o["token"] for o in item["options"] if o["token"] not in key["correct"]]
        return list(key["correct"]) if right else wrong[:1]
    if kind == "short":
        return key["accepted"][0] if right else "I am not sure"
    if kind == "ordering":
        order = list(key["order"])
        return order if right else order[1:] + order[:1]  # every item one place out
    pairs: dict[str, str] = dict(key["pairs"])
    if right:
        return pairs
    lefts = list(pairs)
    return {left: pairs[lefts[(i + 1) % len(lefts)]] for i, left in enumerate(lefts)}


def quiz_responses(
    attempt: QuizAttempt, rng: random.Random, *, passing: bool, pass_mark: int
) -> dict[str, Any]:
    """Responses to an attempt built from its answer key: a pass with a few slips, or a fail.

    Questions are taken in bank order (not the served order, which the engine shuffles) so the
    same seed gets the same questions wrong.
    """
    items = sorted(attempt.served, key=lambda item: item["qid"])
    n = len(items)
    slips = max(k for k in range(n + 1) if 100 * (n - k) >= pass_mark * n) if n else 0
    wrong = rng.choice((0, 0, min(1, slips), slips)) if passing else min(n, slips + 1)
    wrong_ids = {item["qid"] for item in rng.sample(items, wrong)}
    return {str(i["qid"]): _response(i, right=i["qid"] not in wrong_ids) for i in items}


# --- Working through a path ------------------------------------------------------------------


def _first_name(person: Person) -> str:
    return person.display_name.split()[0]


class _Learner:
    """Works one enrolment through its steps as the person (and their reviewers) would."""

    def __init__(
        self,
        enrolment: Enrolment,
        steps: dict[str, Step],
        rng: random.Random,
        reviewer: Person,
        today: date,
        *,
        signer: Person | None = None,
    ) -> None:
        self.enrolment = enrolment
        self.person: Person = enrolment.person
        self.steps = steps
        self.rng = rng
        self.reviewer = reviewer  # answers reflections, records attendance
        self.signer = signer or reviewer  # signs off tasks and teach-backs
        self.today = today
        self.topic = rng.choice(SESSION_TOPICS)
        self.meetings = 0

    def complete(self, slug: str, *, fail_first: bool = False, answered: bool = True) -> None:
        step = self.steps[slug]
        if step.kind == StepKind.LESSON:
            progress_services.lesson_complete(enrolment=self.enrolment, step=step)
        elif step.kind == StepKind.QUIZ:
            if fail_first:
                self.attempt(step, passing=False)
            self.attempt(step, passing=True)
        elif step.kind == StepKind.REFLECTION:
            self.reflect(step, answered=answered)
        elif step.kind in (StepKind.ON_THE_JOB, StepKind.TEACH_BACK):
            self.submit(step)
            progress_services.work_sign_off(
                progress=self.enrolment.progress.get(step=step),
                actor=self.signer,
                approve=True,
                note=f"Well done, {_first_name(self.person)}: clear evidence on every point.",
            )
        elif step.kind == StepKind.MENTORING:
            while self.meetings < int(step.config.get("meetings_required", 1)):
                self.meet(step)
        elif step.kind == StepKind.LIVE_SESSION:
            progress_services.attendance_record(
                enrolment=self.enrolment, step=step, attended=True, actor=self.reviewer
            )

    def attempt(self, step: Step, *, passing: bool) -> QuizAttempt:
        attempt = quiz_services.attempt_start(enrolment=self.enrolment, step=step)
        responses = quiz_responses(
            attempt, self.rng, passing=passing, pass_mark=quiz_config(step.config).pass_mark
        )
        attempt = quiz_services.attempt_submit(attempt=attempt, responses=responses)
        if attempt.passed is not passing:  # the answer key was misread: a demo bug
            raise RuntimeError(f"demo quiz attempt on {step.title!r} scored {attempt.score}")
        return attempt

    def reflect(self, step: Step, *, answered: bool) -> None:
        slug = next(s for s, st in self.steps.items() if st.pk == step.pk)
        text = self.rng.choice(REFLECTIONS[slug])
        progress = progress_services.reflection_submit(
            enrolment=self.enrolment, step=step, text=text
        )
        if answered:
            reply = self.rng.choice(REPLIES).format(name=_first_name(self.person))
            progress_services.reflection_reply(progress=progress, actor=self.reviewer, text=reply)

    def submit(self, step: Step, *, note: str = "", evidence: str = "") -> None:
        """Tick the whole checklist and upload a small text file as evidence."""
        checklist = list(step.config.get("checklist") or [])
        if step.kind == StepKind.TEACH_BACK:
            filename = "teach-back-plan.txt"
            note = note or f"Teach-back segment: {self.topic}."
        else:
            filename = "session-plan-and-feedback.txt"
            note = note or f"Ran a 25-minute session for the day team: {self.topic}."
        evidence = evidence or (
            f"Session plan: {self.topic}\n"
            f"Trainer: {self.person.display_name}\n\n"
            "Objective: by the end of the session, each participant will be able to carry out "
            "the procedure on a colleague, without prompts, following the ward checklist.\n"
            "Opening: why it matters here (a recent incident on the ward).\n"
            "Activity: think-pair-share on a case, then practice in pairs.\n"
            "Check: every participant demonstrates one step; hinge question with cards.\n"
            "Close: retrieval question and a 'when X, I will Y' action.\n\n"
            "Feedback (8 participants): usefulness 4.5/5, confidence before 2.8, after 4.1.\n"
            "Next time: shorten the introduction and leave more time for practice.\n"
        )
        upload = SimpleUploadedFile(filename, evidence.encode(), content_type="text/plain")
        progress_services.task_submit(
            enrolment=self.enrolment,
            step=step,
            checked_items=range(len(checklist)),
            note=note,
            uploads=[upload],
        )

    def meet(self, step: Step, met_on: date | None = None) -> None:
        """Log a mentoring meeting (by the mentor): planning the session, then the debrief."""
        mentor = self.enrolment.mentor or self.reviewer
        self.meetings += 1
        before = self.meetings == 1
        progress_services.mentoring_log(
            enrolment=self.enrolment,
            step=step,
            met_on=met_on or self.today - timedelta(days=(12 if before else 4)),
            notes=(
                f"Walked through the plan for '{self.topic}'; the objective is measurable and "
                "the check matches it. Rehearsed the opening question."
                if before
                else "Debriefed the session: the practice in pairs worked; the introduction ran "
                "long. Looked at the participants' feedback together."
            ),
            actions=(
                "Cut the introduction to two minutes; plan the hinge question."
                if before
                else "Use the same topic for the teach-back; practise the close with a timer."
            ),
            actor=mentor,
        )

    def then(self, action: str) -> None:
        verb, _sep, arg = action.partition(":")
        if verb == "fail":
            self.attempt(self.steps[arg], passing=False)
        elif verb == "submit":
            self.submit(self.steps[arg])
        elif verb == "meet":
            self.meet(self.steps["mentoring"])


# --- Loading ---------------------------------------------------------------------------------


@dataclass
class _Context:
    rng: random.Random
    today: date
    summary: DemoSummary
    specs: list[PersonSpec]
    people: dict[str, Person]

    def person(self, email: str) -> Person:
        return self.people[email]

    def of_kind(self, kind: str, keep: Callable[[PersonSpec], bool] = lambda s: True) -> list[str]:
        """Emails of active, signed-up demo people of ``kind``, in plan order."""
        return [
            s.email
            for s in self.specs
            if s.kind == kind
            and not (s.invite or s.leaver)
            and s.email in self.people
            and self.people[s.email].is_active
            and keep(s)
        ]


def _essentials_steps(version_id: int) -> dict[str, Step]:
    """The steps of a Trainer Essentials version by curriculum slug (matched on their title)."""
    slug_by_title = {s.title: s.slug for s in load_curriculum().steps}
    steps = Step.objects.filter(version_id=version_id).order_by("position", "id")
    return {slug_by_title[s.title]: s for s in steps if s.title in slug_by_title}


def _open(
    ctx: _Context,
    program: Program,
    name: str,
    started_days_ago: int,
    actor: Person,
    masters: list[Person],
    emails: list[str],
) -> tuple[Cohort, dict[str, Enrolment]]:
    cohort = cohort_services.cohort_create(
        program=program,
        name=name,
        start_date=ctx.today - timedelta(days=started_days_ago),
        actor=actor,
        master_trainers=masters,
    )
    result = cohort_services.cohort_enrol(
        cohort=cohort, people=[ctx.person(e) for e in emails], actor=actor, notify=False
    )
    ctx.summary.cohorts_created += 1
    ctx.summary.enrolments_created += len(result.enrolled)
    enrolments = Enrolment.objects.filter(cohort=cohort).select_related(
        "cohort", "version", "person", "mentor"
    )
    return cohort, {e.person.email: e for e in enrolments}


def _load_autumn(ctx: _Context, program: Program, steps: dict[str, Step]) -> list[str]:
    """The earlier intake, finished: returns its graduates, who mentor in the spring."""
    pm, master = ctx.person(PM_EMAIL), ctx.person(MASTER_EMAIL)
    north = ctx.of_kind("master_trainer", lambda s: s.unit == f"{ROOT_CODE}-north")
    others = ctx.of_kind("trainer", lambda s: s.email != TRAINER_EMAIL)
    graduates = [TRAINER_EMAIL, *ctx.rng.sample(others, 2)]
    cohort, enrolments = _open(
        ctx,
        program,
        AUTUMN,
        AUTUMN_STARTED_DAYS_AGO,
        pm,
        [master, *map(ctx.person, north)],
        graduates,
    )
    start = cohort.start_date
    for email in graduates:
        learner = _Learner(enrolments[email], steps, ctx.rng, master, ctx.today)
        stumbles = set(ctx.rng.sample([s for s in ESSENTIALS_ORDER if s.startswith("quiz")], 1))
        for slug in ESSENTIALS_ORDER:
            if slug == "mentoring":
                # Logged (by the master trainer) on the days they met, during the course.
                for day in (50, 56):
                    learner.meet(steps[slug], met_on=start + timedelta(days=day))
            elif slug in steps:
                learner.complete(slug, fail_first=slug in stumbles)
    return graduates


def _load_spring(
    ctx: _Context, program: Program, steps: dict[str, Step], mentors: list[str]
) -> None:
    """The current intake, part-way through."""
    pm, master = ctx.person(PM_EMAIL), ctx.person(MASTER_EMAIL)
    central = ctx.of_kind("master_trainer", lambda s: s.unit == f"{ROOT_CODE}-central")
    candidates = [e for e in ctx.of_kind("candidate") if e != CANDIDATE_EMAIL]
    # Newer trainers who have not done the program yet fill the intake.
    newer = [e for e in ctx.of_kind("trainer") if e not in mentors]
    others = candidates + ctx.rng.sample(newer, len(SPRING_PROFILES) - len(candidates))
    profiles = list(SPRING_PROFILES)
    ctx.rng.shuffle(profiles)
    plan = [(CANDIDATE_EMAIL, CANDIDATE_PROFILE), *zip(others, profiles, strict=True)]
    masters = [master, *map(ctx.person, central)]
    _cohort, enrolments = _open(
        ctx, program, SPRING, SPRING_STARTED_DAYS_AGO, pm, masters, [e for e, _p in plan]
    )
    # The demo trainer mentors the demo candidate (they work at the same hospital); the other
    # graduates of the autumn intake, then she again, mentor the candidates furthest on.
    spare_mentors = itertools.cycle([m for m in mentors if m != TRAINER_EMAIL] + [TRAINER_EMAIL])
    for n, (email, profile) in enumerate(plan):
        enrolment = enrolments[email]
        if profile.mentored:
            mentor = TRAINER_EMAIL if email == CANDIDATE_EMAIL else next(spare_mentors)
            cohort_services.enrolment_set_mentor(
                enrolment=enrolment, mentor=ctx.person(mentor), actor=pm
            )
        # The two master trainers share the reflections; the lead master signs off the work.
        reviewer = masters[n % len(masters)] if email != CANDIDATE_EMAIL else master
        learner = _Learner(enrolment, steps, ctx.rng, reviewer, ctx.today, signer=master)
        for slug in SPRING_ORDER[: profile.done]:
            learner.complete(
                slug,
                fail_first=slug in profile.failed_first,
                answered=slug not in profile.unanswered,
            )
        for action in profile.then:
            learner.then(action)


FOLLOW_UP_LESSON = """\
# Safe patient handling: what to keep doing on the ward

You did the practical day. This short refresher picks out what matters most in the first weeks
back on the ward.

## Before every move

- **Assess**: can the person help? Check the moving and handling plan at the bedside and the
  equipment it names.
- **Explain** what will happen and agree a clear command ("ready, steady, slide").
- **Set the bed** to the right height for the shortest person handling, brakes on.

## Equipment you will use most

- Slide sheets for repositioning in bed: always two people, never for lifting.
- A standing hoist only when the person can bear weight and follow instructions.
- A full-body hoist and the correct sling size from the plan; check the sling before every use.

## When something is not right

Stop. Do not lift a person who has fallen; make them safe, call for help and use the falls
pathway. Report near misses: they show where the risks are.
"""
FOLLOW_UP_QUESTIONS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    (
        "single",
        "A patient slides down the bed and needs moving up. What do you use?",
        {
            "options": [
                {"id": "a", "text": "A slide sheet, with two staff", "correct": True},
                {
                    "id": "b",
                    "text": "An underarm drag, with two staff",
                    "correct": False,
                    "feedback": "The drag lift injures patients and staff; it is never used.",
                },
                {"id": "c", "text": "A standing hoist", "correct": False},
            ]
        },
        "Slide sheets reduce friction so the patient is slid, not lifted.",
    ),
    (
        "true_false",
        "You may lift a patient off the floor after a fall if two of you are available.",
        {"answer": False},
        "Never lift manually after a fall: check for injury, make safe and use the hoist.",
    ),
    (
        "short",
        "What do you check at the bedside before every move? (two words)",
        {"accepted": ["handling plan", "moving and handling plan", "the handling plan"]},
        "The moving and handling plan says how this person is moved and with what.",
    ),
)


FOLLOW_UP_NOTE = (
    "Moved a patient from bed to chair with the standing hoist, observed by a colleague."
)
FOLLOW_UP_EVIDENCE = (
    "Observed transfer record\n"
    "Transfer: bed to chair, standing hoist (as in the moving and handling plan)\n"
    "Plan checked at the bedside: yes. Bed height and brakes set: yes.\n"
    "Command agreed with the patient and colleague: 'ready, steady, stand'.\n"
    "Observer's comment: calm and clear; sling checked before use.\n"
)


def _load_follow_up(ctx: _Context) -> None:
    """The demo trainer's learner path for ward staff, and a cohort of eight learners."""
    trainer = ctx.person(TRAINER_EMAIL)
    program = Program.objects.filter(slug=FOLLOW_UP_SLUG).first()
    if program is None:
        program = program_services.program_create(
            title=FOLLOW_UP_TITLE,
            slug=FOLLOW_UP_SLUG,
            actor=trainer,
            summary=(
                "The blended follow-up of the Safe Patient Handling practical day: a refresher, "
                "a short quiz and an observed transfer on your own ward."
            ),
            audience=Audience.LEARNERS,
            org_unit=OrgUnit.objects.filter(code=FOLLOW_UP_SITE).first(),
        )
        ctx.summary.programs_created += 1
        version = program_services.draft_version(program)
        assert version is not None
        lesson = program_services.step_create(
            version=version,
            kind="lesson",
            title="Refresher: safe patient handling on the ward",
            body=FOLLOW_UP_LESSON,
            due_offset_days=7,
        )
        quiz = program_services.step_create(
            version=version,
            kind="quiz",
            title="Check: safe patient handling",
            due_offset_days=14,
            config={"pass_mark": 66, "attempts_limit": 3},
        )
        program_services.step_set_prerequisites(step=quiz, prerequisite_ids=[lesson.pk])
        questions = [
            program_services.question_create(
                program=program,
                kind=kind,
                prompt=prompt,
                data=data,
                explanation=explanation,
                topic="moving and handling",
                bloom_level="apply" if kind == "single" else "remember",
            )
            for kind, prompt, data, explanation in FOLLOW_UP_QUESTIONS
        ]
        program_services.step_questions_set(step=quiz, question_ids=[q.pk for q in questions])
        task = program_services.step_create(
            version=version,
            kind="on_the_job",
            title="Observed transfer on your ward",
            body="Carry out a planned transfer with a colleague observing, and note what you did.",
            due_offset_days=28,
            config={
                "checklist": [
                    "Checked the moving and handling plan",
                    "Explained the move and agreed a command",
                    "Set the bed height and brakes",
                    "Used the equipment named in the plan",
                ],
                "evidence_required": True,
            },
        )
        program_services.step_set_prerequisites(step=task, prerequisite_ids=[quiz.pk])
        program_services.version_publish(
            version=version, actor=trainer, notes="First version, after the spring practical days."
        )
    learners = ctx.of_kind(
        "learner",
        lambda s: s.unit.startswith(f"{FOLLOW_UP_SITE}-") and s.email != LEARNER_EMAIL,
    )
    group = [LEARNER_EMAIL, *ctx.rng.sample(learners, 7)]
    cohort, enrolments = _open(
        ctx, program, FOLLOW_UP_COHORT, FOLLOW_UP_STARTED_DAYS_AGO, trainer, [trainer], group
    )
    steps = {s.kind: s for s in Step.objects.filter(version=cohort.version)}
    order = [StepKind.LESSON, StepKind.QUIZ, StepKind.ON_THE_JOB]
    # (steps done, quiz failed first, task waiting for sign-off); the demo learner has read
    # the lesson, three have not started (the lesson is overdue).
    plan = [(1, False, False), (2, False, False), (2, True, False), (3, False, True)]
    plan += [(3, True, False), (0, False, False), (0, False, False), (0, False, False)]
    for email, (done, fail_first, waiting) in zip(group, plan, strict=True):
        learner = _Learner(enrolments[email], steps, ctx.rng, trainer, ctx.today)
        for kind in order[:done]:
            if kind != StepKind.ON_THE_JOB:
                learner.complete(kind, fail_first=fail_first)
                continue
            learner.submit(steps[kind], note=FOLLOW_UP_NOTE, evidence=FOLLOW_UP_EVIDENCE)
            if not waiting:
                progress_services.work_sign_off(
                    progress=learner.enrolment.progress.get(step=steps[kind]),
                    actor=trainer,
                    approve=True,
                    note="Safe, and well explained to the patient. Well done.",
                )


def load_learning(rng: random.Random, summary: DemoSummary | None = None) -> DemoSummary:
    """Add the learning part of the demo: what exists (by cohort name) is left alone.

    Needs the demo people (``load_demo`` runs it after them). One read when all is loaded.
    """
    summary = summary if summary is not None else DemoSummary()
    have = set(
        Cohort.objects.filter(
            name__in=[SPRING, AUTUMN, FOLLOW_UP_COHORT],
            program__slug__in=[TRAINER_ESSENTIALS_SLUG, FOLLOW_UP_SLUG],
        ).values_list("program__slug", "name")
    )
    wanted = {
        (TRAINER_ESSENTIALS_SLUG, AUTUMN),
        (TRAINER_ESSENTIALS_SLUG, SPRING),
        (FOLLOW_UP_SLUG, FOLLOW_UP_COHORT),
    }
    if wanted <= have:
        return summary

    specs = plan_people(random.Random(DEMO_SEED))
    people = {p.email: p for p in Person.objects.filter(email__in=[s.email for s in specs])}
    ctx = _Context(rng=rng, today=timezone.localdate(), summary=summary, specs=specs, people=people)
    first_notification = (Notification.objects.aggregate(n=Max("pk"))["n"] or 0) + 1

    installed = Program.objects.filter(slug=TRAINER_ESSENTIALS_SLUG).exists()
    program = install_trainer_essentials(actor=ctx.person(PM_EMAIL))
    summary.programs_created += 0 if installed else 1
    version = program_services.current_version(program)
    if version is None:  # installed earlier without publishing
        raise RuntimeError("Publish Trainer Essentials, then load the demo again.")
    steps = _essentials_steps(version.pk)

    if (TRAINER_ESSENTIALS_SLUG, AUTUMN) in have:
        graduates = list(
            Enrolment.objects.filter(cohort__program=program, cohort__name=AUTUMN)
            .order_by("pk")
            .values_list("person__email", flat=True)
        )
    else:
        graduates = _load_autumn(ctx, program, steps)
        # Old news by now: what the autumn intake sent is read.
        Notification.objects.filter(pk__gte=first_notification, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    if (TRAINER_ESSENTIALS_SLUG, SPRING) not in have:
        _load_spring(ctx, program, steps, mentors=graduates)
    if (FOLLOW_UP_SLUG, FOLLOW_UP_COHORT) not in have:
        _load_follow_up(ctx)

    # The services queued an email with each notification (reviews, replies, sign-offs); the
    # demo's history is for the in-app view only, so none is sent. Their delivery tasks run
    # after commit and find nothing pending.
    Notification.objects.filter(
        pk__gte=first_notification, email_status=Notification.EmailStatus.PENDING
    ).update(email_status=Notification.EmailStatus.NONE)
    return summary
