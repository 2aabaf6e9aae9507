"""The question coach: Bloom level and open/closed for a trainer's planned questions. Pure.

Trainers write the questions they mean to ask before a live session; the coach labels each one
with a level of Bloom's revised taxonomy (Anderson & Krathwohl 2001) and as open or closed, and
sums the plan up ("7 of 9 questions are recall-level — add an apply/analyse question").

It is a small rule set, not a model: every decision can be explained in a line (``reasons``),
it runs anywhere with the standard library, and a trainer can argue with it. The rules live in
:mod:`cascade.live.coach_rules`; this module scores them. Rules look for three kinds of cue in
the lower-cased question:

* **lead** cues at the start of a clause — the imperative verb ("Compare …") or question stem
  ("What would you do if …") that says what the learner must *do*. They weigh most. Polite or
  framing openers ("Can you …", "In pairs, …", "How would you …") are skipped to find them.
* **phrase** cues anywhere ("difference between", "pros and cons", "in your own words").
* **verb** cues anywhere, counted only where a word is plainly a verb ("you *compare*",
  "to *design*"), because many Bloom verbs are also nouns here ("session *plan*",
  "respiratory *rate*", "*use* of gloves").

Each level adds up its cues (each rule counts once, at its strongest); the highest total wins.
A classification is *unsure* (``confident=False``) when no rule matched (a fallback level is
given), when only a weak cue matched, when two levels tie, or when a second level comes close —
the domain notes warn that many verbs sit at more than one level in published lists. The
reasons say which.

Open vs closed follows our heuristic (domain notes, "Open vs closed questions"): yes/no
auxiliaries and ``which/who/when/where/how many`` start a closed question, as do a choice
between options and an instruction with one right answer (list, calculate, demonstrate);
``why``, ``how``, ``what if``, explain, compare and the like start an open one; a bare ``what``
question is closed at recall level and open above it. "… and why?" makes any question open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cascade.live.coach_rules import (
    ANALYZE,
    APPLY,
    CLOSED_VERB_PHRASES,
    CREATE,
    EVALUATE,
    LEAD_INS,
    LEVEL_NAMES,
    LEVELS,
    OPEN_VERB_PHRASES,
    REMEMBER,
    RULES,
    UNDERSTAND,
    verb_pattern,
)

__all__ = [
    "ANALYZE",
    "APPLY",
    "CREATE",
    "EVALUATE",
    "LEVELS",
    "LEVEL_NAMES",
    "RECALL_LEVELS",
    "REMEMBER",
    "UNDERSTAND",
    "Classification",
    "PlanSummary",
    "classify",
    "normalise",
    "openness",
    "plan_summary",
]

# "Recall-level": the two lower levels, which reproduce or restate what was taught.
RECALL_LEVELS = frozenset({REMEMBER, UNDERSTAND})
HIGHER_ORDER_LEVELS = frozenset({EVALUATE, CREATE})
STRONG = 2  # a level whose cues add up to less than this is a guess


@dataclass(frozen=True)
class Classification:
    question: str
    level: str  # one of LEVELS (the BloomLevel values)
    open: bool
    confident: bool
    reasons: tuple[str, ...]  # e.g. 'verb "compare" → analyse', 'starts with "is" … → closed'


@dataclass(frozen=True)
class PlanSummary:
    """A plan's mix of questions; shares are 0.0 for an empty plan."""

    total: int
    counts: dict[str, int]  # every level, zeros included
    recall: int
    open: int
    unsure: int
    recall_share: float
    open_share: float
    advice: tuple[str, ...]  # at most three lines, most useful first


# --- Reading the question -------------------------------------------------------------------

# Clauses start at the beginning, after sentence punctuation, commas and dashes; a full stop
# after a single letter is an abbreviation ("C. difficile"), not the end of a sentence.
_CLAUSE_BREAK = re.compile(r"(?<!\b\w)[.?!:;,]\s+|\s+-\s+|\s+—\s+")
# An opening phrase before a comma ("In this scenario, …"): the clause after it is the main one.
_INTRO = re.compile(
    r"(?:in|given|from|looking|using|if|when|after|before|during|for|with|based on|now that|as)\b"
)
_INTRO_CLAUSE = re.compile(_INTRO.pattern + r"[^,?]{0,80},\s*")
_SENTENCE = re.compile(r"(?:[^.?!:]|(?<=\b\w)\.)*\?")


def normalise(question: str) -> str:
    """Lower case, straight quotes, single spaces: the text the rules read."""
    text = question.casefold().translate(str.maketrans("‘’“”", "''\"\""))
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class _Cue:
    level: str
    weight: int
    position: int
    text: str  # what matched, as quoted in the reason
    kind: str

    @property
    def reason(self) -> str:
        return f'{self.kind} "{self.text}" → {LEVEL_NAMES[self.level]}'


def _lead_positions(text: str) -> tuple[list[tuple[int, int]], list[_Cue]]:
    """Where lead cues may start, each with its weight reduction, and the lead-ins' own cues.

    A clause after a plain comma ("…, and identify the step") is subordinate, so its lead cue
    weighs one less; the first clause, whole sentences and the clause after an opening phrase
    weigh in full.
    """
    starts = [(0, 0)]
    clause_start = 0
    for brk in _CLAUSE_BREAK.finditer(text):
        subordinate = brk.group().startswith(",") and not _INTRO.match(text, clause_start)
        clause_start = brk.end()
        starts.append((clause_start, 1 if subordinate else 0))
    positions: list[tuple[int, int]] = []
    cues: list[_Cue] = []
    for start, reduction in starts:
        positions.append((start, reduction))
        moved = True
        while moved:  # skip any run of lead-ins ("So, in pairs, can you …")
            moved = False
            for pattern, level in LEAD_INS:
                found = pattern.match(text, start)
                if found and found.end() > start:
                    if level is not None:
                        said = found.group().rstrip(", ")
                        cues.append(_Cue(level, 1, start, said, "stem"))
                    start = found.end()
                    positions.append((start, reduction))
                    moved = True
    return positions, cues


def _cues(text: str) -> list[_Cue]:
    """Every rule that matched, once per rule key at its strongest, strongest first."""
    best: dict[tuple[str, str], _Cue] = {}

    def keep(key: tuple[str, str], cue: _Cue) -> None:
        old = best.get(key)
        if old is None or (cue.weight, -cue.position) > (old.weight, -old.position):
            best[key] = cue

    positions, lead_in_cues = _lead_positions(text)
    for rule in RULES:
        if rule.lead:
            for position, reduction in positions:
                if match := rule.pattern.match(text, position):
                    said = rule.label or match.group().strip(" ,.?")
                    cue = _Cue(rule.level, rule.weight - reduction, position, said, rule.kind)
                    keep((rule.level, rule.key), cue)
        else:
            for match in rule.pattern.finditer(text):
                said = rule.label or (match.groupdict().get("cue") or match.group()).strip(" ,.?")
                cue = _Cue(rule.level, rule.weight, match.start(), said, rule.kind)
                keep((rule.level, rule.key), cue)
    for cue in lead_in_cues:
        keep((cue.level, "lead-in"), cue)
    return sorted(best.values(), key=lambda c: (-c.weight, c.position))


def _reasons(cues: list[_Cue], limit: int = 4) -> list[str]:
    """The strongest cues, leaving out those inside a stronger cue for the same level."""
    shown: list[_Cue] = []
    for cue in cues:
        if not any(cue.level == s.level and cue.text in s.text for s in shown):
            shown.append(cue)
    return [cue.reason for cue in shown[:limit]]


# --- Open or closed -------------------------------------------------------------------------

_YES_NO = re.compile(
    r"(?:is|are|was|were|am|do|does|did|can|could|will|would|should|shall|have|has|had|must|"
    r"may|might|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|can't|couldn't|won't|"
    r"wouldn't|shouldn't|haven't|hasn't)\b"
)
_OPEN_TAIL = re.compile(
    r"(?:\band|,) (?:say |explain |tell (?:me|us) )?why[.?!]*$|\bwhy or why not\b|\bwhy\?$|"
    # a closed question with an open follow-up ("Which …, and what should she have done?")
    r", and (?:what|how|why)\b|"
    r"\bgive (?:your )?reasons\b|\bexplain your (?:choice|answer|reasoning|order|decision)\b"
)
_POLITE = re.compile(r"(?:can|could) you (?:please )?")  # "Can you explain …" is a request
_CLOSED_WH = re.compile(
    r"(?:who|whom|whose|when|where|which|how (?:many|much|long|often|old|far|soon)|"
    r"(?:in |at )?what (?:year|date|time|age|colou?r|temperature|percentage|number|dose)|"
    r"at what (?:point|stage))\b"
)
_OPEN_WH = re.compile(r"(?:why|how|what if|what (?:would|could|might|should|will))\b")
_CHOICE = re.compile(r"\b[\w' -]{1,40} or (?!not\b)[\w' -]{1,40}\?$")  # "…, A or B?"
_CLOSED_VERB = re.compile("(?:" + "|".join(map(verb_pattern, CLOSED_VERB_PHRASES)) + r")\b")
_OPEN_VERB = re.compile("(?:" + "|".join(map(verb_pattern, OPEN_VERB_PHRASES)) + r")\b")


def _question_clause(text: str) -> str:
    """The interrogative sentence if any ("A visitor shouts. What …?"), after its opening."""
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip()
        if re.search(r"\w", sentence):
            text = sentence
            break
    intro = _INTRO_CLAUSE.match(text)
    return text[intro.end() :] if intro else text


def openness(text: str, level: str) -> tuple[bool, str]:
    """Whether a normalised question is open, and the reason."""
    if tail := _OPEN_TAIL.search(text):
        return True, f'asks "{tail.group().strip(" ,.?")}" → open'
    clause = _question_clause(text)
    polite = _POLITE.match(clause)
    request = clause[polite.end() :] if polite else clause
    yes_no = None if polite else _YES_NO.match(clause)
    closed_wh = _CLOSED_WH.match(clause)
    if (yes_no or closed_wh) and _CHOICE.search(clause):
        return False, "a choice between options → closed"
    if yes_no:
        return False, f'starts with "{yes_no.group()}" (yes/no question) → closed'
    if closed_wh:
        return False, f'"{closed_wh.group()}" asks for one fact or choice → closed'
    if wh := _OPEN_WH.match(clause):
        return True, f'"{wh.group()}" invites an explanation → open'
    if _CHOICE.search(clause):
        return False, "a choice between options → closed"
    if verb := _CLOSED_VERB.match(request):
        return False, f'"{verb.group()}" has one right answer → closed'
    if verb := _OPEN_VERB.match(request):
        return True, f'"{verb.group()}" asks for an answer in the learner\'s words → open'
    if level == REMEMBER:
        return False, "a recall question has one right answer → closed"
    return True, f"{LEVEL_NAMES[level]}-level question → open"


# --- Classification -------------------------------------------------------------------------


def _fallback(text: str) -> str:
    """The level to guess when no rule matched: closed-looking questions are mostly recall."""
    clause = _question_clause(text)
    if _YES_NO.match(clause) or _CLOSED_WH.match(clause) or clause.startswith("what "):
        return REMEMBER
    return UNDERSTAND


def classify(question: str) -> Classification:
    """The Bloom level and openness of one question, with the reasons and whether we're sure."""
    text = normalise(question)
    cues = _cues(text)
    totals: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for cue in cues:
        totals[cue.level] = totals.get(cue.level, 0) + cue.weight
        first_seen[cue.level] = min(first_seen.get(cue.level, cue.position), cue.position)
    reasons = _reasons(cues)
    confident = True
    if not totals:
        level = _fallback(text)
        confident = False
        reasons.append(f"no rule matched; guessed {LEVEL_NAMES[level]}")
    else:
        # Highest total; a tie goes to the level whose cue comes first (usually the lead verb).
        ranked = sorted(totals, key=lambda lv: (-totals[lv], first_seen[lv]))
        level, top = ranked[0], totals[ranked[0]]
        runner_up = ranked[1] if len(ranked) > 1 else None
        second = totals[runner_up] if runner_up else 0
        if runner_up and second == top:
            confident = False
            reasons.append(
                f"tie between {LEVEL_NAMES[level]} and {LEVEL_NAMES[runner_up]}; "
                "took the earlier cue"
            )
        elif runner_up and second >= STRONG and second >= top - 1:
            confident = False
            reasons.append(f"cues conflict: also {LEVEL_NAMES[runner_up]} ({second} vs {top})")
        elif top < STRONG:
            confident = False
            reasons.append("only a weak cue")
    is_open, why = openness(text, level)
    reasons.append(why)
    return Classification(
        question=question.strip(),
        level=level,
        open=is_open,
        confident=confident,
        reasons=tuple(reasons),
    )


# --- Plan summary ---------------------------------------------------------------------------


def plan_summary(classifications: Iterable[Classification]) -> PlanSummary:
    """Counts per level, recall and open shares, and up to three lines of advice."""
    items = list(classifications)
    total = len(items)
    counts = dict.fromkeys(LEVELS, 0)
    for item in items:
        counts[item.level] += 1
    recall = sum(counts[level] for level in RECALL_LEVELS)
    opened = sum(1 for item in items if item.open)
    unsure = sum(1 for item in items if not item.confident)
    return PlanSummary(
        total=total,
        counts=counts,
        recall=recall,
        open=opened,
        unsure=unsure,
        recall_share=round(recall / total, 3) if total else 0.0,
        open_share=round(opened / total, 3) if total else 0.0,
        advice=_advice(total=total, counts=counts, recall=recall, opened=opened, unsure=unsure),
    )


def _advice(
    *, total: int, counts: dict[str, int], recall: int, opened: int, unsure: int
) -> tuple[str, ...]:
    """Plain-English nudges, most useful first; a plan of one or two is not judged on its mix."""
    if total == 0:
        return ("No questions yet — plan a few, from recall up to apply and beyond.",)
    advice: list[str] = []
    if recall * 2 > total:
        # Mostly recall: the usual gap is using knowledge and taking it apart.
        advice.append(
            f"{recall} of {total} questions are recall-level — add an apply/analyse question."
        )
    elif total >= 3 and counts[APPLY] + counts[ANALYZE] == 0:
        advice.append("No question asks learners to apply or analyse — add one.")
    if total >= 3 and not any(counts[level] for level in HIGHER_ORDER_LEVELS):
        advice.append(
            "No question asks learners to judge or create — add an evaluate/create question "
            "such as “Which is better here, and why?”."
        )
    if total >= 2 and opened * 2 < total:
        advice.append(
            f"Only {opened} of {total} questions are open — reword one as a why or how question."
        )
    if unsure:
        noun = "question is" if unsure == 1 else "questions are"
        advice.append(f"{unsure} {noun} hard to classify — check they say what learners must do.")
    return tuple(advice[:3])
