"""@mentions in posts: finding them, resolving them to people, and linking them in the page.

A mention is ``@jane.doe`` (an email's local part) or ``@jane.doe@example.org`` (a whole email).
It resolves only among the people who can see the thread (``thread_members``), so a mention can
never tell anyone whether somebody outside exists: the post is stored as typed, an unresolved
handle stays plain text, and nobody outside is ever told. A local part shared by two members
resolves to no one (the whole email is needed then).

Mentions are found in the *rendered* post, in its text outside links and code, so what links in
the page and who is notified always agree. Links are added after the sanitiser has run, from
our own escaped markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from html import escape
from html.parser import HTMLParser

from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe

from cascade.core.markdown import render_markdown
from cascade.delivery.models import Thread
from cascade.delivery.selectors_discussions import local_part, local_parts_q, thread_members
from cascade.people.models import Person

MAX_MENTIONS = 20

# Not after a word character, "@", "." or "+" (so "robin@example.org" is an address, not a
# mention); a local part that does not end in a dot; optionally "@" and a dotted domain.
MENTION_RE = re.compile(
    r"(?<![\w@.+\-])@"
    r"([A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-]*[A-Za-z0-9_%+\-])?"
    r"(?:@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)?)"
)

_NOT_IN = frozenset({"a", "code", "pre"})


class _TextRewriter(HTMLParser):
    """Copies sanitised HTML through, passing the text outside links and code to ``rewrite``."""

    def __init__(self, rewrite: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=False)
        self.rewrite = rewrite
        self.out: list[str] = []
        self.inside = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")
        if tag in _NOT_IN:
            self.inside += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if tag in _NOT_IN and self.inside:
            self.inside -= 1

    def handle_data(self, data: str) -> None:
        self.out.append(self.rewrite(data) if not self.inside else data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")


def _rewrite_text(html: str, rewrite: Callable[[str], str]) -> str:
    parser = _TextRewriter(rewrite)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


def handles_in(html: str) -> list[str]:
    """The distinct handles (lower case, in order of appearance, at most 20) in rendered HTML."""
    found: list[str] = []

    def collect(text: str) -> str:
        for match in MENTION_RE.finditer(text):
            handle = match.group(1).lower()
            if handle not in found and len(found) < MAX_MENTIONS:
                found.append(handle)
        return text

    _rewrite_text(html, collect)
    return found


def parse_mentions(body: str) -> list[str]:
    """The handles a post's Markdown mentions, as the page will show them."""
    return handles_in(render_markdown(body))


def resolve_mentions(thread: Thread, handles: Iterable[str]) -> dict[str, Person]:
    """Handle → member of the thread, in one query; handles that name nobody who can see the
    thread (or name two members) are left out, whoever exists elsewhere."""
    wanted = {h.lower() for h in handles}
    if not wanted:
        return {}
    emails = {h for h in wanted if "@" in h}
    locals_ = wanted - emails
    q = local_parts_q(locals_)
    for email in emails:
        q |= Q(email__iexact=email)
    people = list(thread_members(thread).filter(q).only("pk", "email", "display_name"))
    resolved: dict[str, Person] = {}
    for handle in wanted:
        if "@" in handle:
            matches = [p for p in people if p.email.lower() == handle]
        else:
            matches = [p for p in people if local_part(p.email) == handle]
        if len(matches) == 1:
            resolved[handle] = matches[0]
    return resolved


def link_mentions(html: str, people: Mapping[str, Person]) -> SafeString:
    """Highlight the resolved handles in sanitised HTML; the rest stays as it was."""
    if not people:
        return mark_safe(html)  # noqa: S308 - the caller passes sanitised HTML

    def link(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            person = people.get(match.group(1).lower())
            if person is None:
                return match.group(0)
            # A highlighted name, not a link: members need not see each other's addresses.
            return (
                f'<strong class="mention" title="{escape(person.display_name)}">'
                f"@{escape(match.group(1))}</strong>"
            )

        return MENTION_RE.sub(one, text)

    return mark_safe(_rewrite_text(html, link))  # noqa: S308 - our own escaped markup only


def render_post(body: str, people: Mapping[str, Person]) -> SafeString:
    """A post's Markdown as sanitised HTML with its resolved mentions linked."""
    return link_mentions(render_markdown(body), people)
