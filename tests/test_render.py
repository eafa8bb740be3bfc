"""Rendering: the HTML part (Jinja2 + CommonMark + premailer) and what it must keep."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

import pytest

from dripcourse.build import build, load_course, render_course
from dripcourse.preview import index_template
from dripcourse.render import Renderer, inline_css

PREVIEW = date(2026, 1, 5)


def built(course: Path) -> list:
    return render_course(load_course(course), PREVIEW)


def test_doctype_survives_inlining(mini_course: Path) -> None:
    html = built(mini_course)[0].html
    assert html.startswith('<!DOCTYPE html>\n<html lang="en" dir="ltr">')


def test_media_rules_stay_in_a_style_block_with_important(mini_course: Path) -> None:
    html = built(mini_course)[0].html
    outside_comments = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    styles = re.findall(r"<style>(.*?)</style>", outside_comments, re.S)
    assert len(styles) == 1, "the inlined stylesheet is removed, the responsive one kept"
    assert "@media only screen and (max-width: 480px)" in styles[0]
    assert "@media (prefers-color-scheme: dark)" in styles[0]
    assert ".content { padding: 24px 20px 24px 20px !important; }" in styles[0]


def test_styles_are_inlined(mini_course: Path) -> None:
    html = built(mini_course)[0].html
    assert re.search(r"<td class=\"content\" style='[^']*font-family:Georgia, \"Times New Roman\"", html)
    assert "color:#2f6b4f" in html  # the brand colour from the syllabus


def test_mso_conditional_comments_survive_untouched(mini_course: Path) -> None:
    html = built(mini_course)[1].html  # the email with a button
    assert (
        '<!--[if mso]><table role="presentation" align="center" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->'
        in html
    )
    # Outlook for Windows ignores padding on links, so it gets a padded cell of its own.
    assert (
        '<!--[if mso]><td class="button-cell" style="padding: 15px 32px; border-radius: 8px; background-color: #2f6b4f;"><![endif]-->'
        in html
    )
    assert "<!--[if !mso]><!-->" in html and "<!--<![endif]-->" in html


def test_preheader_is_hidden_and_padded(mini_course: Path) -> None:
    html = built(mini_course)[0].html
    match = re.search(r'<div class="preheader" style="([^"]*)">(.*?)</div>', html, re.S)
    assert match
    assert "display:none" in match.group(1)
    assert match.group(2).startswith("Three small changes that make the biggest difference to everyday tea.")
    assert match.group(2).count("\u034f\u200c\u00a0") == 60


def test_footer_has_unsubscribe_link_and_postal_address(mini_course: Path) -> None:
    html = built(mini_course)[0].html
    footer = html[html.index('<td class="footer"') :]
    assert 'href="https://tea-at-home.example/unsubscribe"' in footer
    assert "Tea at Home, 12 Kettle Row, Leeds LS1 4AB, United Kingdom" in footer


def test_greeting_is_a_merge_tag_filled_by_its_fallback_in_preview(mini_course: Path) -> None:
    email = built(mini_course)[0]
    assert (
        '<p class="greeting" style="margin:0 0 16px 0; font-size:17px; line-height:26px; color:#2b2523">Hi there,</p>'
        in email.html
    )
    assert [t.name for t in email.rendered.tags] == ["first_name", "unsubscribe_url", "postal_address"]
    token = email.rendered.tags.pattern
    assert token.search(email.rendered.html) and "dcmt" not in email.html


def test_course_links_get_utm_parameters_and_others_do_not(mini_course: Path) -> None:
    html = built(mini_course)[1].html
    assert (
        'href="https://tea-at-home.example/guide?utm_source=dripcourse&amp;utm_medium=email'
        '&amp;utm_campaign=tea-at-home&amp;utm_content=water-matters"'
    ) in html
    assert 'href="https://tea-at-home.example/unsubscribe"' in html


def test_utm_can_be_switched_off(mini_course: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(
        syllabus.read_text().replace(
            'brand_color: "#2f6b4f"', 'brand_color: "#2f6b4f"\n  tracking:\n    enabled: false'
        )
    )
    assert "utm_" not in built(mini_course)[1].html


def test_syllabus_strings_are_escaped(mini_course: Path) -> None:
    syllabus = mini_course / "syllabus.yaml"
    syllabus.write_text(syllabus.read_text().replace("subject: Your first better cup", "subject: Tea & <b>toast</b>"))
    html = built(mini_course)[0].html
    assert "<title>Tea &amp; &lt;b&gt;toast&lt;/b&gt;</title>" in html
    assert "<b>toast</b>" not in html


def test_raw_html_in_sources_is_shown_as_text(mini_course: Path) -> None:
    """README: raw HTML in a source is shown as text, never passed into an email; Markdown's own links stay."""
    source = mini_course / "sources" / "water.md"
    source.write_text(
        source.read_text()
        + '\n<p onclick="steal()">A <strong>bold</strong> claim, <a href="javascript:alert(1)">a trap</a>.</p>\n'
        + '\n<script>alert(1)</script>\n\n<iframe src="https://evil.example/"></iframe>\n\n'
        + "\n[click](javascript:alert(2)) and [a page](https://tea-at-home.example/jugs)\n"
    )
    email = built(mini_course)[1]
    html, text = email.html, email.text
    assert "&lt;strong&gt;bold&lt;/strong&gt;" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for bad in ("<script", "<iframe", "<strong", "<p onclick", '<a href="javascript:'):
        assert bad not in html, bad
    assert "<script>alert(1)</script>" in text and "A <strong>bold</strong> claim" in text
    # A link, but without its address: only dripcourse's link schemes are kept (and `check` names it)
    assert "[click](" not in html and not re.search(r"<a\b[^>]*javascript", html)
    assert re.search(r"<a\b[^>]*>click</a>", html) and not re.search(r"<a\b[^>]*href[^>]*>click</a>", html)
    assert 'href="https://tea-at-home.example/jugs' in html


def test_course_templates_override_the_default_theme(mini_course: Path) -> None:
    (mini_course / "templates").mkdir()
    (mini_course / "templates" / "email.css").write_text(".content p { color: #101010; }\n")
    html = built(mini_course)[0].html
    assert "color:#101010" in html
    assert "<!DOCTYPE html>" in html  # email.html still comes from the default theme


def test_template_lookup_order(mini_course: Path) -> None:
    (mini_course / "templates").mkdir()
    course = load_course(mini_course)
    dirs = Renderer(course.syllabus).template_dirs
    assert dirs[0] == mini_course / "templates"
    assert (dirs[1] / "email.html").is_file()


def test_inline_css_produces_no_cssutils_noise(capsys, caplog) -> None:  # type: ignore[no-untyped-def]
    html = "<!DOCTYPE html><html><head><style>p { mso-line-height-rule: exactly; -webkit-foo: 1; }</style></head><body><p>x</p></body></html>"
    inline_css(html)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_compiled_templates_are_kept_between_runs_and_a_broken_cache_only_compiles_again(
    mini_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    fresh = [e.eml for e in built(mini_course)]
    kept = sorted((tmp_path / "tmp").glob("_jinja2-cache-*/__dripcourse_*.cache"))
    assert {p.name.split("_")[3] for p in kept} == {"html", "text"}  # one set of entries per environment
    assert [e.eml for e in built(mini_course)] == fresh  # built from the kept templates
    for path in kept:
        path.write_bytes(b"not a compiled template")
    assert [e.eml for e in built(mini_course)] == fresh
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("no folder can be made here")
    assert [e.eml for e in built(mini_course)] == fresh


def test_the_preview_page_template_is_kept_between_runs_and_a_broken_copy_only_compiles_again(
    mini_course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def page(out: str) -> bytes:
        index_template.cache_clear()  # as a new process would: no template compiled yet
        build(mini_course, tmp_path / out, PREVIEW)
        return (tmp_path / out / "index.html").read_bytes()

    fresh = page("first")
    kept = list((tmp_path / "tmp").glob("_jinja2-cache-*/__dripcourse_preview_*.cache"))
    assert kept  # the page and the templates it includes
    assert page("second") == fresh
    for path in kept:
        path.write_bytes(b"not a compiled template")
    assert page("third") == fresh
    index_template.cache_clear()
