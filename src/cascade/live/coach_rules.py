"""What the question coach knows: Bloom levels, verb forms, and the cue rules for each level.

The rules are data, kept apart from the scoring in :mod:`cascade.live.coach` so that adding a
verb or a stem is a one-line change here. Each comment says why a rule exists. Sources: the seed
verbs per level in the domain notes (Anderson & Krathwohl 2001), the usual question stems of
each level, and our open/closed heuristic. Pure, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The values of ``cascade.learning.models.BloomLevel`` (kept literal: this module has no Django).
REMEMBER = "remember"
UNDERSTAND = "understand"
APPLY = "apply"
ANALYZE = "analyze"
EVALUATE = "evaluate"
CREATE = "create"
LEVELS: tuple[str, ...] = (REMEMBER, UNDERSTAND, APPLY, ANALYZE, EVALUATE, CREATE)
# How the levels read in reasons and advice (British spelling, like the BloomLevel labels).
LEVEL_NAMES: dict[str, str] = {level: level for level in LEVELS} | {ANALYZE: "analyse"}

LEAD_WEIGHT = 3  # the verb or stem that opens a clause says what the learner must do


# --- Verb forms -----------------------------------------------------------------------------

_IRREGULAR: dict[str, tuple[str, ...]] = {
    "break": ("broke", "broken"),
    "build": ("built",),
    "choose": ("chose", "chosen"),
    "come": ("came",),
    "make": ("made",),
    "put": ("put",),
    "show": ("shown",),
    "tell": ("told",),
    "think": ("thought",),
    "write": ("wrote", "written"),
    "label": ("labelled", "labelling"),
    "practise": ("practice", "practices", "practiced", "practicing"),
}


def verb_forms(lemma: str) -> tuple[str, ...]:
    """The base, -s, -ed and -ing forms of a verb, with both -ise and -ize spellings.

    Trainers write "compares", "comparing" and "analyze" as often as "compare" and "analyse".
    """
    forms = {lemma, *_IRREGULAR.get(lemma, ())}
    if lemma.endswith("e") and not lemma.endswith("ee"):
        forms |= {lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    elif lemma.endswith("y") and lemma[-2:-1] not in ("a", "e", "o", "u"):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    elif lemma.endswith(("s", "sh", "ch", "x", "z")):
        forms |= {lemma + "es", lemma + "ed", lemma + "ing"}
    elif re.fullmatch(r"[^aeiou]*[aeiou][bdgklmnprt]", lemma):  # plan → planned, planning
        forms |= {lemma + "s", lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    else:
        forms |= {lemma + "s", lemma + "ed", lemma + "ing"}
    for form in list(forms):
        for british, american in (("is", "iz"), ("ys", "yz")):
            for ending in ("e", "es", "ed", "ing"):
                if form.endswith(british + ending):
                    forms.add(form[: -len(british + ending)] + american + ending)
    return tuple(sorted(forms, key=len, reverse=True))


def verb_pattern(phrase: str) -> str:
    """A regex for a verb phrase ("break down") whose first word may be inflected."""
    head, _, rest = phrase.partition(" ")
    pattern = "(?:" + "|".join(re.escape(f) for f in verb_forms(head)) + ")"
    return pattern + (r"\s+" + r"\s+".join(map(re.escape, rest.split())) if rest else "")


# --- Rules ----------------------------------------------------------------------------------
#
# Weights: a lead cue (the clause's opening verb or stem) 3; a telling phrase anywhere 2 or 3;
# a Bloom verb elsewhere in the sentence 1; a hint that only leans one way 1.


@dataclass(frozen=True)
class Rule:
    """A cue for one level. ``lead`` rules match only where a clause starts."""

    level: str
    kind: str  # "verb", "stem" or "phrase": how the reason names the cue
    pattern: re.Pattern[str]
    weight: int
    lead: bool
    key: str  # rules sharing a key count once (the lead and anywhere forms of one verb)
    label: str | None = None  # how a reason quotes a pattern with gaps ("is … or …?")


# Words after which a Bloom verb is a verb, not a noun ("you plan", "to rate", "and compare").
_VERB_CONTEXT = (
    r"(?:\b(?:to|you|we|i|they|and|or|would|could|should|will|can|might|must|please|then|"
    r"also|help|helps|let's)\s+)"
)


def _verbs(level: str, *phrases: str, weight: int = LEAD_WEIGHT, unless: str = "") -> list[Rule]:
    """A lead rule per verb (imperative or after "how would you"), and a weak anywhere rule.

    ``unless`` is a lookahead that stops a verb matching inside a phrasal verb of another level
    ("write" is create, "write down" is remember).
    """
    rules = []
    end = r"\b" + (f"(?!{unless})" if unless else "")
    for phrase in phrases:
        verb = verb_pattern(phrase)
        rules.append(Rule(level, "verb", re.compile(verb + end), weight, True, phrase))
        anywhere = re.compile(_VERB_CONTEXT + f"(?P<cue>{verb}){end}")
        rules.append(Rule(level, "verb", anywhere, 1, False, phrase))
    return rules


def _stem(level: str, pattern: str, weight: int = LEAD_WEIGHT, label: str | None = None) -> Rule:
    return Rule(level, "stem", re.compile(pattern + r"(?!\w)"), weight, True, pattern, label)


def _phrase(level: str, pattern: str, weight: int = 2, label: str | None = None) -> Rule:
    compiled = re.compile(r"\b" + pattern + r"(?!\w)")
    return Rule(level, "phrase", compiled, weight, False, pattern, label)


RULES: tuple[Rule, ...] = (
    # Remember: retrieve a fact, a name, a list or a number as taught.
    *_verbs(REMEMBER, "define", "list", "name", "recall", "recognise", "state", "identify"),
    *_verbs(REMEMBER, "label", "recite", "memorise", "repeat", "write down"),
    _phrase(REMEMBER, r"stands? for", 3),  # what an acronym stands for
    _stem(REMEMBER, r"who"),
    _stem(REMEMBER, r"(?:when|where)(?! (?:would|might|could) you)"),
    _stem(REMEMBER, r"how (?:many|much|long|often|old|far|soon)"),
    _stem(
        REMEMBER,
        r"(?:in |at )?(?:what|which) (?:year|date|time|age|colou?r|temperature|percentage|"
        r"number|dose|score|level|value|range|rate)",
    ),
    _stem(
        REMEMBER,
        r"what(?:'s| is| are| was| were) the (?:name|names|definition|term|acronym|abbreviation|"
        r"threshold|limit|maximum|minimum|normal|recommended|correct|first|last)",
    ),
    # A bare "What is X?" usually asks for a definition, but it is a weak cue on its own.
    _stem(REMEMBER, r"what(?:'s| is| are) (?:an? |the )?[\w'’ -]{1,40}\?$", 1, "what is …?"),
    _phrase(REMEMBER, r"(?:do|can) you remember|from memory|remind (?:me|us)", 3),
    # The answer is what a source or the course said, not the learner's own reasoning.
    _phrase(REMEMBER, r"according to|as (?:taught|shown)"),
    _phrase(REMEMBER, r"we (?:covered|learned|learnt|discussed|practised|practiced|looked at)"),
    _phrase(REMEMBER, r"the name of|(?:do|does) we (?:use|call|keep)"),
    # Recounting one's own experience is recall, although "describe" is an understand verb.
    _phrase(REMEMBER, r"(?:describe|tell (?:me|us) about) (?:a|one) (?:time|occasion) when", 4),
    # Understand: construct meaning — explain, summarise, give examples, classify, infer.
    *_verbs(UNDERSTAND, "explain", "summarise", "paraphrase", "interpret", "infer", "classify"),
    *_verbs(UNDERSTAND, "describe", "outline", "restate", "rephrase", "illustrate", "discuss"),
    *_verbs(UNDERSTAND, "clarify", "translate", "exemplify", "tell me about", "talk me through"),
    _phrase(UNDERSTAND, r"in (?:your|their|his|her) own words", 3),
    _phrase(UNDERSTAND, r"what (?:is|was) meant by|what\b[^?]*\bmean(?:s|t)?", 3, "what … mean"),
    # "Why does/is …" asks for the principle behind something general ("why did" is analyse).
    _stem(
        UNDERSTAND,
        r"why (?:does|do|is|are|should|must|can|can't|cannot|don't|doesn't|isn't|aren't|"
        r"would|might|we)",
    ),
    _phrase(UNDERSTAND, r"give (?:an?|one|two|three|some|another) (?:\w+ )?examples?", 3),
    _stem(UNDERSTAND, r"what (?:happens|is happening|will happen)"),
    _phrase(UNDERSTAND, r"(?:main|key|central) (?:idea|point|message)s?|(?:purpose|point) of"),
    _stem(UNDERSTAND, r"how (?:does|do|is|are)", 2),  # how something works
    _stem(UNDERSTAND, r"what can you (?:infer|tell)"),
    _phrase(UNDERSTAND, r"(?:what|which) (?:type|kind|sort) of"),
    _phrase(UNDERSTAND, r"an? (?:example|sign|type|form|case) of", 2),
    _phrase(
        UNDERSTAND, r"what (?:does|do|did|can) [^?]{1,60} tell (?:you|us)", 2, "what … tell us"
    ),
    # "Is X an A or a B?" asks the learner to put something in a category.
    _stem(UNDERSTAND, r"(?:is|are|was|were) [^?,]{1,80} or [^?,]{1,40}\?$", 2, "is … or …?"),
    # Apply: carry out a procedure or use what was learnt in a (new) situation.
    *_verbs(APPLY, "apply", "use", "execute", "implement", "solve", "demonstrate", "calculate"),
    *_verbs(APPLY, "compute", "work out", "show", "practise", "carry out", "perform"),
    *_verbs(APPLY, "complete", "fill in", "role-play", "act out", "operate", "rehearse"),
    *_verbs(APPLY, "estimate", "measure", "convert", "administer", "adapt", "try out"),
    # What the learner would *do* in a situation: the verbs of "how would you … ?".
    *_verbs(APPLY, "respond", "react", "handle", "deal with", "manage", "approach", "tackle"),
    *_verbs(APPLY, "intervene", "set up", "position", "prepare", "choose", "select", "pick"),
    _stem(APPLY, r"what (?:would|will|should|do|must) (?:you|we|i) (?:do|say|try|check)"),
    _stem(APPLY, r"what steps (?:would|will|should|do|must) (?:you|we)"),
    _stem(
        APPLY,
        r"which [\w' -]{1,40}? (?:would|should|will|do) you (?:choose|use|select|pick|try)",
        label="which … would you choose",
    ),
    _stem(APPLY, r"given"),  # given these observations: use them in a new situation
    _stem(APPLY, r"what if", 2),  # a hypothetical: take what you know somewhere new
    _phrase(APPLY, r"(?:in|for) (?:this|the following|each of these) (?:scenario|situation)s?"),
    _phrase(APPLY, r"put [^?]{1,40} into practice", 3, "put … into practice"),
    # Analyse: break material into parts, find causes, relations, evidence, differences.
    *_verbs(ANALYZE, "analyse", "differentiate", "distinguish", "organise", "attribute"),
    *_verbs(ANALYZE, "deconstruct", "examine", "compare", "contrast", "break down"),
    *_verbs(ANALYZE, "investigate", "dissect", "scrutinise", "correlate"),
    _stem(ANALYZE, r"what(?:'s| is| are) the (?:main |key )?differences?"),
    _phrase(ANALYZE, r"differences? between|similarit(?:y|ies)|in common|differ(?:s|ed)?", 3),
    # "Why did …" asks why one particular case went as it did — reasoning from evidence.
    _stem(ANALYZE, r"why (?:did|was|were|has|had|didn't|wasn't|weren't)"),
    _stem(ANALYZE, r"what evidence"),
    _phrase(ANALYZE, r"what in (?:the|their|this|these|his|her)", 3),
    _stem(ANALYZE, r"what (?:patterns?|trends?|themes?|assumptions?|factors?|motives?)"),
    _phrase(ANALYZE, r"patterns?|trends?|themes|assumptions?|motives?|motivation|factors"),
    _phrase(ANALYZE, r"(?:underlying|root) causes?|caus(?:e|es|ed|ing)|contribut(?:e|es|ed|ing)"),
    # How parts bear on one another is the core of analysis (A&K: "organising").
    _phrase(ANALYZE, r"relationship|relate[sd]?|connect(?:ed|ion|ions)|links? between", 3),
    _phrase(ANALYZE, r"affect(?:s|ed)?|impact(?:s|ed)? on|influence[sd]?|interact(?:s|ed)?", 3),
    _phrase(ANALYZE, r"combine to|compared (?:with|to)", 3),
    _stem(ANALYZE, r"what(?:'s| is| was) missing"),
    _stem(ANALYZE, r"what (?:led|triggered|caused|prompted|made)"),
    _stem(ANALYZE, r"what (?:could|might|would) explain"),
    _stem(ANALYZE, r"what (?:do|did) you notice"),
    _phrase(ANALYZE, r"(?:more|most|less|least) likely"),
    _stem(ANALYZE, r"look(?:ing)? at (?:the|this|these|your)", 1),
    _phrase(ANALYZE, r"data|results|figures|statistics|transcript|incident reports?", 1),
    # Evaluate: judge against criteria or standards, and defend the judgement.
    *_verbs(EVALUATE, "evaluate", "judge", "critique", "justify", "assess", "defend", "appraise"),
    *_verbs(EVALUATE, "rate", "rank", "prioritise", "argue", "criticise", "recommend", "check"),
    *_verbs(EVALUATE, "verify", "grade", "weigh up", "decide", "review", "reflect on"),
    _phrase(EVALUATE, r"(?:do|would) you agree|agree or disagree|to what extent", 3),
    _stem(
        EVALUATE,
        r"how (?:effective|well|useful|successful|convincing|safe|appropriate|good|valuable|"
        r"helpful|important|reliable|accurate|fair|realistic|suitable|practical)",
    ),
    _stem(
        EVALUATE, r"which (?:is|was|would be|one is|option is)? ?(?:the )?(?:better|best|more|most)"
    ),
    _phrase(EVALUATE, r"better|best|worse|worst", 1),
    _phrase(
        EVALUATE,
        r"strengths? and weaknesses|pros and cons|advantages and disadvantages|"
        r"benefits and (?:risks|drawbacks|limitations)|merits",
        3,
    ),
    _phrase(
        EVALUATE,
        r"justified|justifiable|appropriate|adequate|acceptable|reasonable|wise|effective|"
        r"sufficient|convincing|worthwhile|successful|ethical|proportionate",
    ),
    _phrase(EVALUATE, r"(?:was|is|were) (?:it|this|that) (?:right|wrong|safe|fair|ok|sensible)"),
    _stem(EVALUATE, r"should [^?]{1,60}? have", label="should … have"),  # a past action
    _stem(EVALUATE, r"(?:do|did) you think", 2),
    _phrase(EVALUATE, r"(?:your|in my|in your) (?:opinion|view|judgement|judgment)", 3),
    _phrase(EVALUATE, r"what (?:went|worked|didn't work|did not work)|even better if", 3),
    _stem(EVALUATE, r"(?:would|should) you recommend|give [\w ]{0,20}feedback"),
    _phrase(EVALUATE, r"quality of"),
    # A request to give reasons turns an answer into a judgement to defend.
    _phrase(
        EVALUATE,
        r"(?:and|,) (?:say |explain )?why[.?!]*$|why or why not|give (?:your )?reasons|"
        r"explain your (?:choice|answer|reasoning|order|decision)",
        1,
    ),
    # Create: put elements together into something new — a plan, a design, a product.
    *_verbs(CREATE, "create", "design", "plan", "compose", "generate", "formulate", "devise"),
    *_verbs(CREATE, "develop", "invent", "construct", "produce", "draft", "propose"),
    *_verbs(CREATE, "write", unless=" down"),
    *_verbs(CREATE, "suggest", "build", "make up", "come up with", "put together", "redesign"),
    *_verbs(CREATE, "hypothesise", "combine", "compile", "brainstorm", "improve", "think of"),
    *_verbs(CREATE, "rewrite", "imagine", weight=2),
    # What the learner would bring that is not there yet.
    _stem(
        CREATE,
        r"what (?:could|can|might|would|should) (?:you|we|i) (?:add|include|build|create|design|"
        r"invent|introduce|put in place)|what (?:could|can|might) (?:you|we|i) try",
    ),
    _stem(
        CREATE,
        r"how (?:could|can|might|would|should) (?:we|you|i) (?:improve|make|change|redesign|"
        r"reduce|increase|raise|prevent|encourage)",
    ),
    _phrase(CREATE, r"improved|improvements?"),  # "could be improved"; the verb is above
    _phrase(CREATE, r"what would [^?]{1,60} look like", 3, "what would … look like"),
    _phrase(CREATE, r"if you (?:were|could) \w+", 3),
    _phrase(CREATE, r"from scratch|as many ideas|ideas for|alternatives?"),
    _phrase(
        CREATE,
        r"(?:new|novel|fresh|creative|different) (?:ways?|approach(?:es)?|ideas?|solutions?|"
        r"strateg(?:y|ies)|methods?|layout|design)",
    ),
    _phrase(CREATE, r"turn [^?]{1,40} into", 2, "turn … into"),
)

# Words that open a clause without saying what to do; the lead cue comes after them. A method
# question ("how would you …") leans to apply on its own, so it adds a weak apply cue.
LEAD_INS: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern + r"(?!\w),?\s*"), level)
    for pattern, level in (
        (r"how (?:would|will|should|do|did|could|can|might) (?:you|we|i)", APPLY),
        (
            r"(?:please|now|so|ok|okay|then|first(?:ly)?|next|finally|quickly|briefly|together)",
            None,
        ),
        (r"in (?:small |your )?(?:pairs|groups|teams|table groups)", None),
        (r"with (?:a|your) (?:partner|neighbour|neighbor|group)", None),
        (r"as a (?:group|team)|on your own|individually", None),
        (r"i(?:'d| would) like you to|i want you to|try to|let's|let us", None),
        (r"take (?:a|one|two|three|five|ten|\d+) minutes? to", None),
        (r"(?:can|could) (?:you|we)(?= \w+)", None),
    )
)


# Instructions with one right answer — reproduce, compute, pick or perform as taught — are
# closed; every other Bloom verb in the rules asks for an answer in the learner's own words.
CLOSED_VERB_PHRASES: tuple[str, ...] = (
    "define", "list", "name", "recall", "recognise", "state", "identify", "label", "recite",
    "calculate", "compute", "work out", "choose", "select", "pick", "classify", "sort", "match",
    "demonstrate", "show", "count", "convert", "measure", "estimate", "solve",
)  # fmt: skip
OPEN_VERB_PHRASES: tuple[str, ...] = tuple(
    dict.fromkeys(
        rule.key
        for rule in RULES
        if rule.kind == "verb" and rule.lead and rule.key not in CLOSED_VERB_PHRASES
    )
)
