"""The ladder's rules as pages: the default ladder and every course's own rules in plain words,
and the program manager's form for one rung of one scope (the default or a course).

Master trainers and program managers read (they decide and explain awards); only program
managers change the rules, so a master trainer gets 403 on the edit pages, which they can see
exist, and everyone else 404 everywhere. GET never changes anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cascade.certification import rules
from cascade.certification.forms_ladder import LadderRuleForm
from cascade.certification.models import LadderRule, Level
from cascade.certification.selectors import awards as selectors
from cascade.certification.selectors.awards import Rule
from cascade.certification.services import ladder_rules as services
from cascade.core.errors import ApplicationError
from cascade.delivery.models import Course
from cascade.people.models import Person

DEFAULT_SCOPE = "default"
LEVELS = list(Level.values)  # the ladder's order: co-facilitator, certified, master

# --- The rules in words ----------------------------------------------------------------------

_COUNTS = {
    "programs_completed": (
        "%(n)s trainer-development program completed",
        "%(n)s trainer-development programs completed",
    ),
    "teach_backs_passed": ("%(n)s teach-back passed", "%(n)s teach-backs passed"),
    "co_deliveries": ("%(n)s session co-delivered", "%(n)s sessions co-delivered"),
    "lead_deliveries": ("%(n)s session led", "%(n)s sessions led"),
    "solo_observed": (
        "%(n)s observed solo delivery passed",
        "%(n)s observed solo deliveries passed",
    ),
}
_CODE = re.compile(r"(.*?)(\d+)")


def _code_key(code: str) -> tuple[str, int, str]:
    match = _CODE.fullmatch(code)
    return (match.group(1), int(match.group(2)), code) if match else (code, -1, code)


def competency_ranges(levels: Mapping[str, int]) -> list[str]:
    """``{"C01": 2, ..., "C10": 2}`` as "C01–C10 at level 2 or above": a run of codes numbered
    one after another with the same level reads as one range, so a ten-line rule is one line."""
    runs: list[list[Any]] = []  # [first code, last code, level]
    previous: tuple[str, int, str] | None = None
    for code in sorted(levels, key=_code_key):
        key = _code_key(code)
        follows = (
            previous is not None
            and key[1] >= 0
            and key[0] == previous[0]
            and key[1] == previous[1] + 1
        )
        if follows and runs[-1][2] == levels[code]:
            runs[-1][1] = code
        else:
            runs.append([code, code, levels[code]])
        previous = key
    return [
        _("%(codes)s at level %(level)s or above")
        % {"codes": first if first == last else f"{first}–{last}", "level": level}
        for first, last, level in runs
    ]


def _level_name(level: str) -> str:
    label = str(Level(level).label)
    return label[:1].lower() + label[1:]


def requirement_phrases(requirements: Mapping[str, Any]) -> list[str]:
    """A level's requirements in the words of the candidate's checklist."""
    phrases: list[str] = []
    if requirements.get("holds") in Level.values:
        phrases.append(_("Holds %(level)s") % {"level": _level_name(requirements["holds"])})
    for key, (one, many) in _COUNTS.items():
        if key in requirements:
            n = requirements[key]
            phrases.append(ngettext(one, many, n) % {"n": n})
    phrases += competency_ranges(requirements.get("competencies") or {})
    if requirements.get("calibrated"):
        phrases.append(_("Calibrated (certifying) observer"))
    if requirements.get("min_feedback") is not None:
        phrases.append(
            _("Learner feedback %(rating).1f or above") % {"rating": requirements["min_feedback"]}
        )
    return phrases


def renewal_phrases(renewal: Mapping[str, Any]) -> list[str]:
    """What renewing takes, within the validity period."""
    phrases: list[str] = []
    if "deliveries" in renewal:
        n = renewal["deliveries"]
        phrases.append(
            ngettext(
                "%(n)s session delivered in the period",
                "%(n)s sessions delivered in the period",
                n,
            )
            % {"n": n}
        )
    if renewal.get("re_observation"):
        phrases.append(_("A re-observation passed in the period"))
    if "development_hours" in renewal:
        hours = renewal["development_hours"]
        phrases.append(
            ngettext("%(h)s development hour", "%(h)s development hours", 1 if hours == 1 else 2)
            % {"h": f"{hours:g}"}
        )
    if renewal.get("calibrated"):
        phrases.append(_("Still a calibrated (certifying) observer"))
    return phrases


@dataclass(frozen=True)
class LevelRow:
    """One rung as the overview shows it; ``rule`` is None where a course follows the
    default."""

    level: str
    name: str
    rule: Rule | None
    own: bool

    @property
    def requirements(self) -> list[str]:
        return requirement_phrases(self.rule.requirements) if self.rule else []

    @property
    def renewal(self) -> list[str]:
        return renewal_phrases(self.rule.renewal) if self.rule else []


@dataclass(frozen=True)
class Scope:
    """One table of the overview: the default ladder or one course's."""

    key: str  # "default" or the course id, as in the edit URLs
    course: Course | None
    rows: list[LevelRow]


def _name(level: str) -> str:
    return str(Level(level).label)


# --- Who is asking, and about what -----------------------------------------------------------


def _viewer(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _reader(request: HttpRequest) -> Person:
    viewer = _viewer(request)
    if not rules.can_manage_observations(viewer):
        raise Http404
    return viewer


def _editor(request: HttpRequest) -> Person:
    viewer = _reader(request)
    if not rules.can_award(viewer):
        raise PermissionDenied
    return viewer


def _course(scope: str) -> Course | None:
    """``default`` is the ladder of every course without its own rule; anything else must be
    an existing course's id."""
    if scope == DEFAULT_SCOPE:
        return None
    course = Course.objects.filter(pk=int(scope)).first() if scope.isdigit() else None
    if course is None:
        raise Http404
    return course


def _level(level: str) -> str:
    if level not in Level.values:
        raise Http404
    return level


def _overview_url(course: Course | None) -> str:
    url = reverse("certification:ladder")
    return f"{url}?course={course.pk}#ladder-{course.pk}" if course else f"{url}#ladder-default"


# --- Pages -----------------------------------------------------------------------------------


@login_required
@require_GET
def ladder_overview(request: HttpRequest) -> HttpResponse:
    """The default ladder, the course picked in the selector (its full effective ladder), and
    every course with rules of its own: a fixed number of queries however many courses."""
    viewer = _reader(request)
    own: dict[int, dict[str, LadderRule]] = {}
    courses_with_rules: dict[int, Course] = {}
    for row in (
        LadderRule.objects.filter(course__isnull=False)
        .select_related("course")
        .order_by("course__title", "course_id")
    ):
        course = row.course
        if course is None:  # excluded by the filter; narrows the type
            continue
        own.setdefault(course.pk, {})[row.level] = row
        courses_with_rules[course.pk] = course

    default = selectors.ladder_rules(None)
    default_scope = Scope(
        DEFAULT_SCOPE, None, [LevelRow(lv, _name(lv), default[lv], False) for lv in LEVELS]
    )

    wanted = request.GET.get("course", "")
    selected = Course.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    selected_scope = None
    if selected is not None:
        effective = selectors.ladder_rules(selected.pk)
        mine = own.get(selected.pk, {})
        selected_scope = Scope(
            str(selected.pk),
            selected,
            [LevelRow(lv, _name(lv), effective[lv], lv in mine) for lv in LEVELS],
        )

    course_scopes = []
    for course_id, course in courses_with_rules.items():
        if selected is not None and course_id == selected.pk:
            continue
        mine = own[course_id]
        rows = []
        for lv in LEVELS:
            saved = mine.get(lv)
            rule = (
                Rule(lv, saved.requirements, saved.valid_months, saved.renewal) if saved else None
            )
            rows.append(LevelRow(lv, _name(lv), rule, saved is not None))
        course_scopes.append(Scope(str(course_id), course, rows))

    return render(
        request,
        "certification/ladder/overview.html",
        {
            "default_scope": default_scope,
            "selected_scope": selected_scope,
            "course_scopes": course_scopes,
            "courses": Course.objects.filter(archived_at__isnull=True).order_by("title"),
            "selected": selected,
            "wanted": wanted,
            "can_edit": rules.can_award(viewer),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ladder_edit(request: HttpRequest, scope: str, level: str) -> HttpResponse:
    """One rung of one scope, prefilled from the rule in force there (so a course without its
    own rule starts from the default); saving gives the course (or the default) its own rule."""
    viewer = _editor(request)
    course, level = _course(scope), _level(level)
    rule = selectors.ladder_rules(course.pk if course else None)[level]
    names = selectors.competency_names()
    codes = sorted(
        set(names) | set(rule.requirements.get("competencies") or {}),
        key=lambda code: (code not in names, *_code_key(code)),
    )
    form = LadderRuleForm(
        request.POST if request.method == "POST" else None,
        initial=LadderRuleForm.initial_for(rule),
        competencies=[(code, names.get(code, "")) for code in codes],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.ladder_rule_save(
                course=course,
                level=level,
                requirements=form.requirements(),
                valid_months=form.cleaned_data["valid_months"],
                renewal=form.renewal(),
                actor=viewer,
            )
        except ApplicationError as exc:
            form.apply_rule_error(exc)
        else:
            messages.success(
                request,
                _("Saved: the %(level)s rule of %(scope)s.")
                % {"level": _level_name(level), "scope": course or _("the default ladder")},
            )
            return redirect(_overview_url(course))
    has_own = course is not None and LadderRule.objects.filter(course=course, level=level).exists()
    return render(
        request,
        "certification/ladder/edit.html",
        {
            "form": form,
            "course": course,
            "scope": scope,
            "level": level,
            "level_name": _name(level),
            "has_own": has_own,
            "unpublished": [code for code in codes if code not in names],
            "overview_url": _overview_url(course),
        },
    )


@login_required
@require_POST
def ladder_reset(request: HttpRequest, scope: str, level: str) -> HttpResponse:
    """ "Use the default": the course's own rule for this level goes, the default applies."""
    viewer = _editor(request)
    course, level = _course(scope), _level(level)
    if course is None:
        raise Http404  # the default has no default of its own to go back to
    try:
        removed = services.ladder_rule_reset(course=course, level=level, actor=viewer)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if removed:
            messages.success(
                request,
                _("%(course)s now follows the default ladder for %(level)s.")
                % {"course": course, "level": _level_name(level)},
            )
        else:
            messages.info(request, _("This course already follows the default for that level."))
    return redirect(_overview_url(course))
