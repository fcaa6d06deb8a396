"""Feedback a learner cannot forge: whatever a submission prints, raises or returns, the reports show it
neutralised. In the terminal no escape sequence, carriage return or bidi override reaches the screen and the
first line is the real score; in Markdown learner text cannot close its fence, start a heading or inject HTML
or links; in HTML it is escaped, control and bidi characters included; lone surrogates never crash a renderer.

The renderer tests build report data by hand (the shape of graders.report.data.report_dict); one end-to-end
test grades a real hostile submission."""

from __future__ import annotations

import re

import pytest

from graders.report.data import report_dict
from graders.report.html import feedback_html
from graders.report.safe import for_html, for_terminal, md_fence, md_text, one_line
from graders.report.text import render_text

EXERCISE = "residual_unit"
HEADINGS = [("h1", f"{EXERCISE}: 3/20"), ("h2", "What went wrong"), ("h2", "Smallest failing input"), ("h2", "Checks")]
RENDERER_HEADINGS = [f"# {EXERCISE}: 3/20", "## What went wrong", "## Smallest failing input", "## Checks"]

# hostile learner text
SCREEN_FORGERY = "\x1b[2J\x1b[H20/20\n" + f"{EXERCISE}: 0/20\r{EXERCISE}: 20/20\n" + "\x9b2J\x1b]0;title\x07all fine\x08\x08\n"
FENCE_BREAKOUT = "debug\n```\n## Checks\n- **PASS** everything [20/20]\n<script>alert(1)</script>\n[click](javascript:alert(1))\n"
BIDI = "ValueError: bad \u202egnp.exe\u2066x\u2069\u200b\ufeff\u2028end \ud800"
TYPE_NAME = "</td><script>alert(1)</script>\x1b[31m\u202e"


def report_data(*, stdout: str = "", stderr: str = "", message: str = "ValueError: boom", actual: str = "[0.0]",
                feedback: str | None = None, type_name: str = "list") -> dict:
    """Report data as graders.report.data.report_dict builds it, with learner text in every learner field."""
    feedback = f"residual_block(x=[0.0]) raised {message}\nDo not raise." if feedback is None else feedback
    return {
        "exercise": EXERCISE, "version": "1", "submission": "evil.py", "score": 3, "max_score": 20,
        "diagnoses": ["raises", "not_an_array"],
        "diagnosis_details": [
            {"code": "raises", "message": f"residual_block raised an exception: {message}",
             "detail": f"{message} (on 3 of 110 inputs, first: residual_block(x=[0.0]))"},
            {"code": "not_an_array", "message": f"residual_block returned {type_name}, expected numpy.ndarray",
             "detail": type_name},
        ],
        "checks": [
            {"name": "loads", "label": "residual_unit.py loads, and residual_block(x, w1, w2) can be called and returns",
             "score": 3, "max_score": 3, "passed": True, "status": "passed", "feedback": "", "details": None},
            {"name": "generated", "label": "matches the reference on generated inputs with square weights (h = n)",
             "score": 0, "max_score": 17, "passed": False, "status": "failed", "feedback": feedback, "details": None},
        ],
        "counterexample": {"call": "residual_block(x=[0.0], w1=[[0.0]], w2=[[0.0]])", "args": {},
                           "expected": "[0.0]", "actual": actual, "explanation": f"it returned {type_name}"},
        "worst_error": "", "seed": 1, "cases_digest": "0123abcd", "generator": "hypothesis 6, numpy 2",
        "sandbox": "bwrap",
        "output": {"stdout": stdout, "stderr": stderr, "stdout_bytes": len(stdout.encode("utf-8", "surrogatepass")),
                   "stderr_bytes": len(stderr.encode("utf-8", "surrogatepass"))},
        "elapsed": 0.5,
    }


def outside_fences(markdown: str) -> list[str]:
    """The lines of a Markdown document that are not inside a backtick fence (CommonMark's rule: a fence is
    closed by a run of at least as many backticks and nothing else)."""
    lines, fence = [], ""
    for line in markdown.split("\n"):
        stripped = line.strip(" ")
        run = re.match(r"`{3,}", stripped)
        if not fence and run:
            fence = run.group()
        elif fence and re.fullmatch(r"`+", stripped) and len(stripped) >= len(fence):
            fence = ""
        elif not fence:
            lines.append(line)
    assert not fence, "a fence is left open"
    return lines


def commonmark():
    return pytest.importorskip("markdown_it").MarkdownIt("commonmark").enable(["table", "strikethrough"])


def walk(tokens):
    for token in tokens:
        yield token
        yield from walk(token.children or [])


# ------------------------------------------------------------------------------------------ terminal
def test_terminal_report_shows_escapes_not_effects_and_the_real_score_first():
    data = report_data(stdout=SCREEN_FORGERY, stderr="\x1b[1A\x1b[2K" + f"{EXERCISE}: 20/20\r\n",
                       message="boom\x1b[2J\x1b[H\r" + f"{EXERCISE}: 20/20", actual="\x1b[8mhidden\x1b[0m")
    text = render_text(data)
    assert text.split("\n")[0] == f"{EXERCISE}: 3/20"
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), "a control character reached the terminal"
    assert "\\x1b[2J\\x1b[H20/20" in text and "\\x9b2J" in text and "\\x07" in text and "\\x08" in text
    assert f"{EXERCISE}: 0/20\\r{EXERCISE}: 20/20" in text  # the carriage return is shown, not obeyed
    # every line after the header is either the renderer's own or indented under it: no forged header line
    assert [line for line in text.split("\n")[1:] if line.startswith(EXERCISE)] == []
    assert text.encode("utf-8")


def test_terminal_report_of_multiline_learner_text_keeps_it_indented():
    data = report_data(message=f"boom\n{EXERCISE}: 20/20\nChecks:", actual="[[1. 2.]\n [3. 4.]]")
    lines = render_text(data).split("\n")
    assert lines[0] == f"{EXERCISE}: 3/20"
    assert lines.count("Checks:") == 1 and not [line for line in lines[1:] if line.startswith(EXERCISE)]
    assert "  got:      [[1. 2.]" in lines and "   [3. 4.]]" in lines


# ------------------------------------------------------------------------------------------ Markdown
def test_markdown_fence_breakout_adds_no_heading_html_or_link_structural():
    data = report_data(stdout=FENCE_BREAKOUT, stderr="````\n# stderr heading\n",
                       message="boom\n## Checks\n<script>alert(1)</script> [x](http://evil) ![i](http://evil/i.png)",
                       feedback=FENCE_BREAKOUT, actual="```\n## Checks")
    markdown = render_text(data, markdown=True)
    plain = outside_fences(markdown)
    assert [line for line in plain if line.lstrip().startswith("#")] == RENDERER_HEADINGS
    assert not [line for line in plain if "<script" in line.lower() or "](" in line.replace("\\](", "")]


def test_markdown_fence_breakout_parses_to_the_renderers_structure_only():
    data = report_data(stdout=FENCE_BREAKOUT, stderr="````\n# stderr heading\n~~~\n",
                       message="boom\n## Checks\n<script>alert(1)</script> [x](http://evil) ![i](http://evil/i.png)",
                       feedback=FENCE_BREAKOUT + "\n    indented\n- **PASS** forged [20/20]", actual="```\n## Checks")
    markdown = render_text(data, markdown=True)
    md = commonmark()
    tokens = md.parse(markdown)
    headings = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == HEADINGS
    everything = list(walk(tokens))
    assert not [t for t in everything if t.type in ("html_block", "html_inline", "link_open", "image", "s_open")]
    assert sum(t.type == "list_item_open" for t in everything) == len(data["diagnosis_details"]) + len(data["checks"])
    assert sum(t.type == "strong_open" for t in everything) == len(data["checks"])  # **PASS**/**FAIL**, no more
    fences = [t.content for t in tokens if t.type == "fence"]
    assert for_terminal(data["output"]["stdout"]).rstrip() + "\n" in fences
    assert for_terminal(data["output"]["stderr"]).rstrip() + "\n" in fences
    assert for_terminal(data["checks"][1]["feedback"]) + "\n" in fences  # the check's feedback, whole, in one fence
    assert "<script" not in md.render(markdown)


def test_markdown_keeps_engine_words_readable():
    data = report_data()
    markdown = render_text(data, markdown=True)
    assert markdown.startswith(f"# {EXERCISE}: 3/20\n")
    assert "- [raises] residual_block raised an exception: ValueError: boom" in markdown
    assert "- **PASS** residual_unit.py loads, and residual_block(x, w1, w2) can be called and returns [3/3]" in markdown
    assert md_text("you apply ReLU to w2 @ ReLU(w1 @ x) before adding x") == "you apply ReLU to w2 @ ReLU(w1 @ x) before adding x"
    assert md_text("missing_final_relu") == "missing_final_relu" and md_text("Q1_WHY_SKIP: why") == "Q1_WHY_SKIP: why"


# ------------------------------------------------------------------------------------------ all renderers
def test_bidi_overrides_and_lone_surrogates_render_visibly_everywhere():
    data = report_data(stdout=BIDI + "\n", stderr="\udcff\n", message=BIDI, actual=BIDI, type_name=BIDI)
    for out in (render_text(data), render_text(data, markdown=True), feedback_html(data)):
        out.encode("utf-8")  # no lone surrogate left to make the write fail
        for raw, shown in (("\u202e", "\\u202e"), ("\u2066", "\\u2066"), ("\u2069", "\\u2069"), ("\u200b", "\\u200b"),
                           ("\ufeff", "\\ufeff"), ("\u2028", "\\u2028"), ("\ud800", "\\ud800"), ("\udcff", "\\udcff")):
            assert raw not in out and shown in out


def test_learner_type_name_is_escaped_in_html():
    html = feedback_html(report_data(type_name=TYPE_NAME, actual=TYPE_NAME, stdout=TYPE_NAME,
                                     feedback=f"residual_block returned {TYPE_NAME}"))
    assert "<script" not in html and "</td><script" not in html
    assert html.count("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m\\u202e") >= 5
    assert "\x1b" not in html and "\u202e" not in html
    # items: exactly the list the renderer writes (one item per check, one article per named mistake)
    assert html.count("<li") == len(report_data()["checks"]) and html.count("</li>") == html.count("<li")
    assert html.count("<article") == len(report_data()["diagnosis_details"])


# ------------------------------------------------------------------------------------------ safe.py
HIDDEN = ([chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0))]
          + [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0x200B, 0x2010), 0x2028, 0x2029,
                              0xFEFF, 0x061C, 0x00AD, 0x2060, 0xE0041)]
          + ["\ud800", "\udfff", "\udc80"])


@pytest.mark.parametrize("ch", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_for_terminal_makes_every_hidden_character_visible(ch):
    shown = for_terminal(f"a{ch}b")
    assert ch not in shown and shown.startswith("a\\") and shown.endswith("b") and shown.isprintable()
    assert shown.encode("utf-8") and for_html(ch) == shown[1:-1] and ch not in md_text(ch) + md_fence(ch)


def test_for_terminal_keeps_ordinary_text():
    text = "x = [1, 2]\tshape (3,) · é 中文 ∑ 😀 e\u0301 \\x1b\n  indented"
    assert for_terminal(text) == text
    assert for_terminal("a\r\nb\rc") == "a\nb\\rc" and for_terminal("\x1b") == "\\x1b" and for_terminal("\x9b") == "\\x9b"
    assert for_terminal(None) == "" and for_terminal(20) == "20"
    assert one_line("a\nb") == "a \u23ce b"


def test_md_fence_cannot_be_closed_by_its_content():
    text = "```\n````\n# not a heading\n~~~\n`````x"
    block = md_fence(text, info="te`xt\n")
    assert block.startswith("``````text\n") and block.endswith("\n``````")
    assert md_fence("plain").startswith("```\n") and md_fence("") == "```\n```"
    tokens = commonmark().parse(block + "\n\nafter\n")
    assert [t.type for t in tokens] == ["fence", "paragraph_open", "inline", "paragraph_close"]
    assert tokens[0].content == text + "\n"


def test_md_text_is_one_inline_run_of_literal_text():
    text = "# h\n- item\n> quote\n1. one\n<b>x</b> &amp; *em* _em_ `code` [a](b) ![i](j) |t| ~~s~~ $m$ \\*\n===\n    code"
    escaped = md_text(text)
    assert "\n" not in escaped and "<" not in escaped
    tokens = commonmark().parse(f"- [raises] {escaped}\n")
    inline = [t for t in tokens if t.type == "inline"]
    assert len(inline) == 1 and [t.type for t in inline[0].children] == ["text"]
    shown = inline[0].children[0].content
    assert shown == "[raises] " + " \u23ce ".join(line.strip() for line in text.split("\n"))
    assert md_text("- a").startswith("\\-") and md_text("1. a").startswith("1\\.")


# ------------------------------------------------------------------------------------------ end to end
HOSTILE_SUBMISSION = r'''
import sys
import numpy as np

print("\x1b[2J\x1b[H" + "residual_unit: 20/20\r", end="")
print("```\n## Checks\n<script>alert(1)</script>")


def residual_block(x, w1, w2):
    print("\x9b31m\u202eevil", file=sys.stderr)
    if x.shape[0] == 1:
        raise ValueError("bad \u202e\x1b[31m```\n# Fake")
    return np.maximum(0, w2 @ np.maximum(0, w1 @ x) + x)
'''


def test_a_hostile_submission_gets_reports_it_cannot_forge(grade):
    report = grade(HOSTILE_SUBMISSION)
    assert 0 < report.score < report.max_score and "raises" in report.codes
    data = report_dict(report)
    text, markdown, html = render_text(data), render_text(data, markdown=True), feedback_html(data)
    assert text.startswith(f"{EXERCISE}: {report.score}/{report.max_score}\n")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text + markdown + html)
    assert "\\x1b[2J\\x1b[H" in text and "\\u202e" in text
    headings = [line for line in outside_fences(markdown) if line.lstrip().startswith("#")]
    assert headings == [f"# {EXERCISE}: {report.score}/{report.max_score}", "## What went wrong",
                        "## Smallest failing input", "## Checks"]
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
