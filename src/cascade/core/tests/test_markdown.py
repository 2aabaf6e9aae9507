"""The one Markdown renderer: formatting survives, script never does."""

from __future__ import annotations

import re

import pytest
from django.utils.safestring import SafeString

from cascade.core.markdown import render_markdown

# (user input, exact sanitised HTML)
ATTACKS = [
    pytest.param(
        "<script>alert(1)</script>hi",
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;hi</p>\n",
        id="script-tag",
    ),
    pytest.param(
        "<img src=x onerror=alert(1)>",
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n",
        id="img-onerror",
    ),
    pytest.param(
        "<svg onload=alert(1)>",
        "<p>&lt;svg onload=alert(1)&gt;</p>\n",
        id="svg-onload",
    ),
    pytest.param(
        "<body onload=alert(1)>",
        "<p>&lt;body onload=alert(1)&gt;</p>\n",
        id="body-onload",
    ),
    pytest.param(
        "[click](javascript:alert(1))",
        "<p>[click](javascript:alert(1))</p>\n",
        id="javascript-link",
    ),
    pytest.param(
        "[click](JaVaScRiPt:alert(1))",
        "<p>[click](JaVaScRiPt:alert(1))</p>\n",
        id="javascript-link-mixed-case",
    ),
    pytest.param(
        "[click](&#106;avascript:alert(1))",
        "<p>[click](javascript:alert(1))</p>\n",
        id="javascript-link-entity",
    ),
    pytest.param(
        "[click][1]\n\n[1]: javascript:alert(1)",
        "<p>[click][1]</p>\n<p>[1]: javascript:alert(1)</p>\n",
        id="javascript-reference-link",
    ),
    pytest.param(
        "![img](javascript:alert(1))",
        "<p>![img](javascript:alert(1))</p>\n",
        id="javascript-image",
    ),
    pytest.param(
        "[click](vbscript:msgbox(1))",
        "<p>[click](vbscript:msgbox(1))</p>\n",
        id="vbscript-link",
    ),
    pytest.param(
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "<p>![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)</p>\n",
        id="data-url-svg-image",
    ),
    pytest.param(
        "![x](data:image/png;base64,AAAA)",
        '<p><img alt="x"></p>\n',
        id="data-url-png-image-loses-its-source",
    ),
    pytest.param(
        '<a href="javascript:alert(1)">x</a>',
        "<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>\n",
        id="raw-anchor",
    ),
    pytest.param(
        '[x](https://ok.example/ "t" onmouseover="alert(1)")',
        '<p>[x](https://ok.example/ "t" onmouseover="alert(1)")</p>\n',
        id="attribute-breakout",
    ),
    pytest.param(
        "<iframe src=https://evil.example></iframe>",
        "<p>&lt;iframe src=https://evil.example&gt;&lt;/iframe&gt;</p>\n",
        id="iframe",
    ),
    pytest.param(
        "<style>*{display:none}</style>",
        "<p>&lt;style&gt;*{display:none}&lt;/style&gt;</p>\n",
        id="style",
    ),
]


def _normalise_quotes(html: str) -> str:
    # nh3 writes a quote in text as a plain quote; both spellings are safe in text content.
    return html.replace("&quot;", '"')


@pytest.mark.parametrize(("text", "expected"), ATTACKS)
def test_render_markdown_neutralises_script(text, expected):
    html = render_markdown(text)
    assert _normalise_quotes(html) == _normalise_quotes(expected)
    # and, whatever the exact spelling, no tag carries script
    tags = re.findall(r"<[a-z][^>]*>", html.lower())
    assert not [t for t in tags if t.startswith(("<script", "<svg", "<iframe", "<style", "<body"))]
    assert not [t for t in tags if re.search(r"\son\w+=", t)]
    assert not [t for t in tags if re.search(r"(href|src)=\"\s*(javascript|vbscript|data):", t)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "**bold** and _em_", "<p><strong>bold</strong> and <em>em</em></p>\n", id="em"
        ),
        pytest.param("`<b>`", "<p><code>&lt;b&gt;</code></p>\n", id="code-escaped"),
        pytest.param(
            "[docs](https://ok.example/a?b=1&c=2)",
            '<p><a href="https://ok.example/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">'
            "docs</a></p>\n",
            id="https-link",
        ),
        pytest.param(
            "[mail](mailto:robin@example.org)",
            '<p><a href="mailto:robin@example.org" rel="noopener noreferrer nofollow">'
            "mail</a></p>\n",
            id="mailto-link",
        ),
        pytest.param(
            "- one\n- two",
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n",
            id="list",
        ),
        pytest.param(
            # column alignment comes out as a style attribute, which the allowlist (and the CSP)
            # drop: tables keep their structure, not their alignment
            "| a | b |\n|---|:-:|\n| 1 | 2 |",
            "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
            "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n",
            id="table",
        ),
        pytest.param("", "", id="empty"),
    ],
)
def test_render_markdown_keeps_formatting(text, expected):
    assert render_markdown(text) == expected


def test_render_markdown_handles_none_as_empty():
    assert render_markdown(None) == ""  # type: ignore[arg-type]


def test_render_markdown_tricky_characters_follow_commonmark():
    # given the string of characters that break naive escaping
    text = "< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\"
    # when it is rendered
    html = render_markdown(text)
    # then every markup character is escaped exactly once; entities mean what CommonMark says
    # (&lt; is "<"), backslash escapes are honoured (\' is "'", \\ is "\"), and the rest is kept
    assert html == "<p>&lt; &gt; &amp; &lt; &gt; &amp; ' ' 碁 \\ \\</p>\n"
    assert "&amp;lt;" not in html
    assert "&amp;amp;" not in html


def test_render_markdown_tricky_characters_in_code_are_shown_literally():
    # in code, entities and backslashes are not interpreted: the text is shown as typed
    text = "`< > & &lt; &gt; &amp; ' \\' 碁 \\ \\\\`"
    html = render_markdown(text)
    assert html == (
        "<p><code>&lt; &gt; &amp; &amp;lt; &amp;gt; &amp;amp; ' \\' 碁 \\ \\\\</code></p>\n"
    )


def test_render_markdown_returns_safe_html():
    assert isinstance(render_markdown("hi"), SafeString)
