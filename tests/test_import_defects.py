"""Every importer defect that issue 14 lists, as a small article of its own and the result a reader expects."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dripcourse.cli import app
from dripcourse.importer import split_article
from dripcourse.sources import parse_source


def titles(text: str, suffix: str = ".txt") -> list[str]:
    return [s.title for s in split_article(text, suffix, f"a{suffix}").sections]


def test_numbered_headings_that_end_with_a_full_stop_are_found_and_lose_their_numbers() -> None:
    article = split_article(
        "Why Space Helps\n\nA short opening paragraph that sets up the whole article for the reader.\n\n"
        "1. Independence breeds attraction.\n\nPeople are drawn to partners who have lives of their own to share.\n\n"
        "2. Go to bed at the same time every night.\n\nA steady bedtime keeps both of you rested and kind.\n",
        ".txt",
        "a.txt",
    )
    assert [(s.number, s.title) for s in article.sections] == [
        (None, "Introduction"),
        ("1.", "Independence breeds attraction"),
        ("2.", "Go to bed at the same time every night"),
    ]
    assert "## Independence breeds attraction {#independence-breeds-attraction}" in article.markdown()


def test_an_option_keeps_the_numbering_in_the_headings() -> None:
    text = "Title\n\nStep 1: Mix the dough\n\nFlour and water first, salt after ten minutes.\n"
    article = split_article(text, ".txt", "a.txt", keep_numbers=True)
    assert "## Step 1: Mix the dough {#mix-the-dough}" in article.markdown()
    assert parse_source("a", article.markdown(), "a.md").sections["mix-the-dough"].title == "Step 1: Mix the dough"


def test_every_kind_of_leading_numbering_is_stripped_and_kept_as_data() -> None:
    text = (
        "Title\n\n1) First shape\n\nBody text that explains the first shape in a sentence.\n\n"
        "Reason #2 - Second shape\n\nBody text that explains the second shape in a sentence.\n\n"
        "Tip 3: Third shape\n\nBody text that explains the third shape in a sentence.\n"
    )
    sections = split_article(text, ".txt", "a.txt").sections
    assert [(s.number, s.title) for s in sections] == [
        ("1)", "First shape"),
        ("Reason #2 -", "Second shape"),
        ("Tip 3:", "Third shape"),
    ]


def test_a_lead_in_that_introduces_a_list_is_not_a_heading() -> None:
    text = (
        "Spotting Secure Attachment\n\nSecure attachment starts in childhood and shows up again in adult love.\n\n"
        "In adulthood, secure attachment looks like:\n\nTrusting a partner without checking on them\n"
        "Saying what you need out loud\nRecovering quickly after an argument\n\n"
        "Warning Signs\n\nSome patterns deserve a closer look before you commit to anything.\n\n"
        "Here are a few things to watch for:\n\n• He changes plans at the last minute\n• He keeps his friends apart\n\n"
        "Action Tips:\n\n- Write down what you noticed this week\n- Talk about one thing, not all of them\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "Warning Signs"]
    intro = article.sections[0].markdown
    assert "In adulthood, secure attachment looks like:\n\n- Trusting a partner without checking on them\n" in intro
    assert "Action Tips:\n\n- Write down what you noticed this week" in article.sections[1].markdown


def test_bylines_and_page_clutter_are_dropped_with_a_warning_naming_the_line() -> None:
    text = (
        "Why He Goes Quiet\nAna Baker\nPosted on March 3, 2025 by Ana Baker\nWritten by Ana Baker\nBy: Ana Baker\n"
        "1,204 views\n\nSilence after an argument is rarely about you, and it rarely lasts long.\n\n"
        "What the Silence Is For\n\nMost people go quiet to calm down before they say something unkind.\n\n"
        "To Top\nShare this:\nFacebook\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "What the Silence Is For"]
    assert article.dropped == [
        "byline (line 2): Ana Baker",
        "byline (line 3): Posted on March 3, 2025 by Ana Baker",
        "byline (line 4): Written by Ana Baker",
        "byline (line 5): By: Ana Baker",
        "counter (line 6): 1,204 views",
        "page navigation (line 14): To Top",
        "share line (line 15): Share this:",
        "share line (line 16): Facebook",
    ]
    assert "Ana Baker" not in article.markdown() and "To Top" not in article.markdown()


def test_a_saved_page_byline_and_inline_emphasis() -> None:
    html = (
        "<html><head><title>Why He Goes Quiet | Blog</title></head><body><article><h1>Why He Goes Quiet</h1>"
        '<p class="byline">By Ana Baker · 8 min read</p>'
        "<p>Silence after an argument is <strong>rarely about you</strong>, and it <em>rarely</em> lasts long. "
        'Read <a href="https://example.org/calm">how to calm down</a> first, then come back to this page.</p>'
        "<p><strong>What the silence is for</strong></p>"
        "<p>Most people go quiet to calm down before they say something they would regret later on.</p>"
        "</article></body></html>"
    )
    article = split_article(html, ".html", "a.html")
    assert [s.title for s in article.sections] == ["Introduction", "What the silence is for"]
    text = article.markdown()
    assert "Ana Baker" not in text and "min read" not in text
    assert "**rarely about you**" in text and "*rarely*" in text
    assert "[how to calm down](https://example.org/calm)" in text


def test_short_numbered_list_items_stay_items_while_questions_and_capitals_are_headings() -> None:
    text = (
        "Is He Losing Interest?\n\nA distracted partner and a drifting one can look alike at first glance.\n\n"
        "What Readers Ask Me\n\nThe worries people send me usually sound like one of these:\n\n"
        "1. He doesn't text back like he used to\n2. He's losing interest in you\n3. He cancels at the last minute\n\n"
        "Why do men pull away?\n\nSome withdraw to deal with pressure alone, a habit many learned as boys.\n\n"
        "What NOT to do when he loses interest\n\nDo not flood his phone or set little tests for his feelings.\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == [
        "Introduction",
        "What Readers Ask Me",
        "Why do men pull away?",
        "What NOT to do when he loses interest",
    ]
    assert article.sections[1].markdown.endswith(
        "1. He doesn't text back like he used to\n2. He's losing interest in you\n3. He cancels at the last minute"
    )


def test_an_editor_note_is_dropped_and_a_sign_off_is_no_closing_section() -> None:
    text = (
        "Calm Mornings\n\nA calm morning starts the evening before, with a few small choices.\n\n"
        "[Editor's note: add a photo of the kitchen here]\n\n"
        "Lay Out Tomorrow\n\nPut the keys, the bag and the lunch by the door before you go to bed.\n\n\n"
        "Talk soon,\nMaya\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "Lay Out Tomorrow"]
    assert article.dropped == [
        "editorial note (line 5): [Editor's note: add a photo of the kitchen here]",
        "sign-off (line 12): Talk soon,",
        "sign-off (line 13): Maya",
    ]


def test_cli_warns_about_each_dropped_line(tmp_path: Path) -> None:
    article = tmp_path / "quiet.txt"
    article.write_text(
        "Why He Goes Quiet\nBy: Ana Baker\n\nSilence after an argument is rarely about you, and it passes.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["import", str(article), "--into", str(tmp_path / "sources")])
    assert result.exit_code == 0, result.output
    assert result.stderr == "Warning: quiet.txt: dropped byline (line 2): By: Ana Baker\n"


# Follow-up: shapes a second reviewer's articles had and the first corpus did not.


def test_hard_wrapped_paragraphs_are_joined_before_headings_are_found() -> None:
    text = (
        "Ten Signs You Are Ready\n\nMost people wait to be noticed. The ones who get promoted usually ask, and\n"
        "they ask when the evidence is on their side of the table.\n\nYou Already Do the Next Job\n\n"
        "If you run the stand-up while your manager is away, or new hires bring you\n"
        "their questions first, you are halfway there already.\n\nYour Results Have Numbers\n\n"
        "A result with a number on it travels further in a review than a warm word\n"
        "does, so keep a note of what changed because of you.\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == [
        "Introduction",
        "You Already Do the Next Job",
        "Your Results Have Numbers",
    ]
    assert article.sections[0].markdown == (
        "Most people wait to be noticed. The ones who get promoted usually ask, and they ask when the evidence is "
        "on their side of the table."
    )


def test_short_lines_that_are_not_wrapped_stay_apart() -> None:
    text = (
        "Packing List\n\nThe things I never travel without, after twenty years of getting it wrong:\n\n"
        "A scarf that doubles as a blanket\nEarplugs and a sleep mask\nA paper copy of the booking\n"
    )
    intro = split_article(text, ".txt", "a.txt").sections[0].markdown
    assert "- A scarf that doubles as a blanket\n- Earplugs and a sleep mask\n" in intro


def test_underlined_headings_in_plain_text() -> None:
    text = (
        "Balcony Tomatoes\n================\n\nA sunny railing and a deep pot are all the start you need.\n\n"
        "Watering\n--------\n\nLittle and often, at the roots, never on the leaves.\n\n----------\n\n"
        "Feeding\n-------\n\nA liquid feed once the first flowers open, every week after that.\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert article.title == "Balcony Tomatoes"
    assert [s.title for s in article.sections] == ["Introduction", "Watering", "Feeding"]
    assert "---" not in article.markdown().split("---\n", 2)[2] and "===" not in article.markdown()


def test_markdown_written_in_a_text_file_is_read_as_markdown() -> None:
    text = (
        "# Moving In Together\n\nThe first month sets the habits of the next year.\n\n"
        "## 1. How will we split the bills?\n\nDecide before the first one lands.\n\n"
        "## 2. Whose turn is it?\n\nA rota on the fridge ends most arguments before they start.\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert article.title == "Moving In Together"
    assert [(s.number, s.title) for s in article.sections] == [
        (None, "Introduction"),
        ("1.", "How will we split the bills?"),
        ("2.", "Whose turn is it?"),
    ]


def test_a_markdown_files_own_ids_and_front_matter_are_kept() -> None:
    text = (
        '---\ntitle: Soda bread\noriginal_title: "The Easiest Loaf"\noriginal_url: https://example.org/loaf\n'
        "author: Róisín Byrne\n---\n\nNo yeast, no waiting.\n\n## Ingredients {#ingredients}\n\nFlour, soda, salt, "
        "buttermilk.\n\n## Baking it {#bake}\n\nForty minutes in a hot oven.\n"
    )
    article = split_article(text, ".md", "soda.md")
    assert [(s.id, s.title) for s in article.sections] == [
        ("intro", "Introduction"),
        ("ingredients", "Ingredients"),
        ("bake", "Baking it"),
    ]
    source = parse_source("soda", article.markdown(), "soda.md")
    assert source.original_title == "The Easiest Loaf"
    assert source.original_url == "https://example.org/loaf"
    assert source.author == "Róisín Byrne"
    assert "{#ingredients} {#" not in article.markdown()


def test_numbers_that_belong_to_the_words_are_kept_and_roman_numerals_are_stripped() -> None:
    markdown = (
        "# Training Notes\n\nShort notes from the gym floor.\n\n## 5 - 10 reps is plenty\n\nFor most lifts.\n\n"
        "## #1 rule: show up\n\nEverything else follows.\n"
    )
    assert titles(markdown, ".md")[1:] == ["5 - 10 reps is plenty", "#1 rule: show up"]
    text = (
        "Four Moves\n\nSitting all day folds you into one shape; these undo some of it.\n\n"
        "I. Open the chest\n\nClasp your hands behind you and lift them gently.\n\n"
        "II. Loosen the neck\n\nTilt one ear towards a shoulder and rest there.\n\n"
        "III - Wake up the hips\n\nStep back into a short lunge and tuck the tailbone.\n"
    )
    assert [(s.number, s.title) for s in split_article(text, ".txt", "a.txt").sections[1:]] == [
        ("I.", "Open the chest"),
        ("II.", "Loosen the neck"),
        ("III -", "Wake up the hips"),
    ]


def test_build_keeps_numbers_that_belong_to_the_words() -> None:
    from dripcourse.assemble import without_number

    assert without_number("5 - 10 reps is plenty") == "5 - 10 reps is plenty"
    assert without_number("#1 rule: show up") == "#1 rule: show up"
    assert without_number("#1 Rule of thumb") == "Rule of thumb"
    assert without_number("3. Rest") == "Rest"


def test_a_saved_pages_relative_links_are_resolved_against_its_canonical_address() -> None:
    html = (
        '<html><head><title>Porto on a Budget</title><link rel="canonical" href="https://blog.example.org/p/porto">'
        "</head><body><article><h1>Porto on a Budget</h1><p>Rooms by the river cost less than you think; see "
        '<a href="/p/guesthouses.html">my guesthouse list</a> or jump <a href="#top">back up</a> when done.</p>'
        "<h2>Where to eat</h2><p>Lunch menus near the market are the best value in the whole city, by far.</p>"
        "</article></body></html>"
    )
    article = split_article(html, ".html", "porto.html")
    text = article.markdown()
    assert "[my guesthouse list](https://blog.example.org/p/guesthouses.html)" in text
    assert "back up" in text and "(#top)" not in text
    assert parse_source("porto", text, "porto.md").original_url == "https://blog.example.org/p/porto"


def test_an_empty_file_and_a_script_only_page_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    shell = tmp_path / "app.html"
    shell.write_text(
        '<html><head><script src="app.js"></script></head><body><noscript>You need to enable JavaScript to run '
        'this app.</noscript><div id="root"></div></body></html>',
        encoding="utf-8",
    )
    into = tmp_path / "sources"
    result = CliRunner().invoke(app, ["import", str(empty), "--into", str(into)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {empty}: is empty; there is no article to import\n"
    result = CliRunner().invoke(app, ["import", str(shell), "--into", str(into)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {shell}: has no article text to import (a page that only shows")
    assert not into.exists()


def test_one_stray_byte_in_a_utf8_file_is_replaced_and_named_not_read_as_cp1252(tmp_path: Path) -> None:
    article = tmp_path / "cafe.txt"
    article.write_bytes(
        "Café Notes\n\nHere’s the plan for the week — short and kind.\n\nOne stray ".encode() + b"\xe9 byte.\n"
    )
    result = CliRunner().invoke(app, ["import", str(article), "--into", str(tmp_path / "sources")])
    assert result.exit_code == 0, result.output
    assert "(utf-8)" in result.stdout
    assert "Warning: cafe.txt: line 5: a byte that is not UTF-8 was replaced with \ufffd" in result.stderr
    written = (tmp_path / "sources" / "cafe.md").read_text(encoding="utf-8")
    assert "Here’s the plan for the week — short and kind." in written and "â€" not in written


def test_a_whole_cp1252_file_is_still_read_as_cp1252(tmp_path: Path) -> None:
    article = tmp_path / "old.txt"
    article.write_bytes("Old Post\n\nIt’s “fine” — really, it is fine.\n".encode("cp1252"))
    result = CliRunner().invoke(app, ["import", str(article), "--into", str(tmp_path / "sources")])
    assert result.exit_code == 0, result.output
    assert "(cp1252)" in result.stdout and "not UTF-8" not in result.stderr


def test_an_article_larger_than_a_source_may_be_is_refused_by_import(tmp_path: Path) -> None:
    from dripcourse.sources import MAX_SOURCE_BYTES

    article = tmp_path / "huge.txt"
    article.write_text("Huge\n\n" + "A sentence that goes on. " * (MAX_SOURCE_BYTES // 25 + 10), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(article), "--into", str(tmp_path / "sources")])
    assert result.exit_code == 2
    assert f"may be at most {MAX_SOURCE_BYTES:,} bytes" in result.stderr


def test_a_zero_width_joiner_at_a_headings_end_is_removed_but_kept_inside_an_emoji() -> None:
    text = (
        "Family Evenings\n\nSmall rituals that make the hour before bed a good deal calmer for everyone.\n\n"
        "Show\u200b One Result\u200d\n\nPick the one win of the day and say it out loud at dinner.\n\n"
        "Read Together \U0001f468\u200d\U0001f469\u200d\U0001f467\n\nTen minutes, one book, every night of the week.\n"
    )
    assert titles(text)[1:] == ["Show One Result", "Read Together \U0001f468\u200d\U0001f469\u200d\U0001f467"]


PAGE_BODY = (
    "<h1>Starter Care</h1><p>A starter is a pet in a jar that raises every loaf you bake, if it is fed on time.</p>"
    "<h2>Feeding schedule</h2><p>Once a day on the counter: discard most of it, then add flour and water.</p>"
    "<h2>Storing it</h2><p>A glass jar with a loose lid, so the gas can escape while it works away.</p>"
    "<h3>Going away</h3><p>A stiff feed and the back of the fridge will see it through a fortnight.</p>"
)


@pytest.mark.parametrize("wrapper", ["div", 'div id="page"', 'div id="wrapper"', 'div class="container"', "section"])
def test_a_pages_headings_survive_whatever_container_holds_the_article(wrapper: str) -> None:
    tag = wrapper.split()[0]
    html = f"<html><head><title>Starter Care</title></head><body><{wrapper}>{PAGE_BODY}</{tag}></body></html>"
    article = split_article(html, ".html", "a.html")
    assert [s.title for s in article.sections] == ["Introduction", "Feeding schedule", "Storing it", "Going away"]
    assert article.notes == []


def test_text_split_with_line_breaks_keeps_its_words_apart_and_its_sentences_whole() -> None:
    html = (
        "<html><body><div class='post-body entry-content'>Everyone said the coast was dear in May; it is not, if "
        "you stay a street back from the beach.<br/><br/><h4>Where I slept</h4>A <i>pensão</i> cost 32 euros a "
        "night. See my <a href='https://example.org/rooms'>list of rooms</a> for more.<br/><br/>"
        "<h4>How much did I spend?</h4>About 15 euros a day on food, and the ferry is <b>cheap</b>.<br/></div>"
        "</body></html>"
    )
    text = split_article(html, ".html", "a.html").markdown()
    assert "A *pensão* cost 32 euros a night. See my [list of rooms](https://example.org/rooms) for more." in text
    assert "## How much did I spend? {#how-much-did-i-spend}" in text
    assert "the ferry is **cheap**." in text


def test_word_and_google_docs_exports_keep_their_headings_and_title() -> None:
    gdoc = (
        '<html><body class="c6 doc-content"><p class="c3 title"><span>Sunday Meal Prep</span></p>'
        '<p class="c1"><span>Two hours on a Sunday can spare you five evenings of staring into the fridge.</span></p>'
        '<h2 class="c2"><span class="c4">Cook one grain</span></h2><p class="c1"><span>Rice keeps for four days'
        " in a cold fridge, and goes with everything.</span></p><h2><span>Label the lids</span></h2><p><span>Write"
        " the day on masking tape, so nothing is a guess.</span></p></body></html>"
    )
    article = split_article(gdoc, ".html", "doc.html")
    assert article.title == "Sunday Meal Prep"
    assert [s.title for s in article.sections] == ["Introduction", "Cook one grain", "Label the lids"]
    word = (
        "<html><head><meta name=ProgId content=Word.Document><title>Volunteering</title></head><body>"
        "<div class=WordSection1><p class=MsoTitle>Volunteering<o:p></o:p></p><p class=MsoNormal>Giving your "
        "time is kind, and easy to overdo; a few limits keep it going.<o:p></o:p></p><h2>Say yes to one "
        "thing<o:p></o:p></h2><p class=MsoNormal>Learn one role well before you take a second one on.<o:p></o:p>"
        "</p><h2>Guard your calendar</h2><p class=MsoNormal>Block the hours like a paid shift.</p></div></body></html>"
    )
    article = split_article(word, ".htm", "word.htm")
    assert [s.title for s in article.sections] == ["Introduction", "Say yes to one thing", "Guard your calendar"]
    assert article.markdown().count("Volunteering") == 1


def test_clutter_sections_inside_a_saved_article_are_dropped() -> None:
    html = (
        "<html><body><article><h1>Quick Pickles</h1><p>Vinegar, salt, sugar and an hour: that is all a quick "
        "pickle needs.</p><h2>Table of Contents</h2><ul><li><a href='#brine'>The brine</a></li></ul>"
        "<h2 id='brine'>The brine</h2><p>Equal parts vinegar and water, a spoon of salt, half a spoon of sugar.</p>"
        "<h2>Subscribe to my newsletter</h2><p>Get new recipes every Friday.</p>"
        "<h2>You might also like</h2><ul><li><a href='/a'>Fridge jam</a></li><li><a href='/b'>Soda bread</a></li></ul>"
        "<h2>Leave a comment</h2><p>Your email address will not be published.</p>"
        "<p>This page has been visited 4,210 times.</p><p>© 2023 Jo's Kitchen</p></article></body></html>"
    )
    article = split_article(html, ".html", "a.html")
    assert [s.title for s in article.sections] == ["Introduction", "The brine"]
    text = article.markdown()
    for clutter in ("Table of Contents", "Subscribe", "Fridge jam", "Leave a comment", "4,210", "©"):
        assert clutter not in text


def test_a_sign_off_followed_by_a_bio_and_a_related_list_is_all_dropped() -> None:
    text = (
        "Slow Mornings\n\nViews: 1,204 | Comments: 9\n\nThe first hour sets the tone, so it deserves more care than "
        "a phone screen gives it.\n\nSound familiar?\n\nMost of us can change that hour without changing anything "
        "else in the day.\n\nBoil the Kettle First\n\nBefore any screen, put the kettle on and stand by the window "
        "while it boils.\n\nLike this post? Share it with a friend!\n\nUntil next time,\nThe Slow Mornings Team\n\n"
        "Ines Duarte writes about small routines. She lives in Porto with a very loud cat.\n\n"
        "You Might Also Like\nCoffee and Sleep\nWalking Meetings\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "Boil the Kettle First"]
    written = article.markdown()
    assert "Sound familiar?" in written
    for clutter in ("Views", "Share it", "Until next time", "Team", "Ines Duarte", "Might Also", "Coffee", "Walking"):
        assert clutter not in written


def test_a_multi_line_valediction_in_markdown_and_a_related_posts_section() -> None:
    text = (
        "# Gratitude Jars\n\nA jar, a pen and a stack of paper slips is all you need to begin.\n\n## Fill it daily\n\n"
        "One slip a day, one good thing on it, folded and dropped in before bed.\n\nLove & light,  \nAsha 💛\n\n"
        "### Related posts\n\n- [Journaling for beginners](https://example.org/j)\n"
    )
    article = split_article(text, ".md", "a.md")
    assert [s.title for s in article.sections] == ["Introduction", "Fill it daily"]
    assert "Asha" not in article.markdown() and "Related" not in article.markdown()


def test_a_medium_subtitle_is_intro_text_not_a_heading() -> None:
    html = (
        "<html><body><article><h1 class='pw-post-title'>Letters to Yourself</h1><h2 class='pw-subtitle-paragraph'>"
        "A ten-minute habit for the new year</h2><p>Every January I wrote goals and lost them by February, so I "
        "tried a letter instead.</p><h2>What to put in it</h2><p>An ordinary Tuesday as you live it now, and one "
        "hope.</p><p>Thanks for reading! If this helped, give it a clap and follow for more.</p></article></body></html>"
    )
    article = split_article(html, ".html", "a.html")
    assert [s.title for s in article.sections] == ["Introduction", "What to put in it"]
    assert "A ten-minute habit for the new year" in article.sections[0].markdown
    assert "clap" not in article.markdown()


def test_a_box_the_extractor_drops_comes_back_with_its_heading_and_cards_are_not_counted() -> None:
    html = (
        "<html><body><article><h1 class='article-title'>Index Funds</h1><div class='key-takeaways'><h2>Key "
        "takeaways</h2><ul><li>An index fund owns a slice of every company in its index.</li><li>Fees are far "
        "lower than for picked funds.</li></ul></div><div class='article-body'><p>If investing makes you picture "
        "traders shouting at screens, index funds are the calm answer to that picture.</p><h2>What is an index "
        "fund?</h2><p>A list of companies chosen by a simple rule, bought in proportion to their size.</p>"
        "<h2>Why fees matter</h2><p>One percent a year sounds tiny and can eat a quarter of a pot over thirty "
        "years.</p></div></article><div data-hook='recent-posts'><a href='/p/x'><h3>Pensions Made Plain</h3></a>"
        "</div></body></html>"
    )
    article = split_article(html, ".html", "a.html")
    assert [s.title for s in article.sections] == ["Key takeaways", "What is an index fund?", "Why fees matter"]
    assert "- Fees are far lower than for picked funds." in article.sections[0].markdown
    assert article.notes == []


def test_reimporting_a_shipped_source_keeps_its_ids_and_title() -> None:
    from dripcourse.importer import import_article
    from dripcourse.sources import read_text_file

    for path in sorted((Path(__file__).parents[1] / "course" / "sources").glob("*.md")):
        shipped = parse_source("s", read_text_file(path, path), path)
        again = parse_source("s", import_article(path).markdown(), path)
        assert list(again.sections) == list(shipped.sections), path.name
        assert (again.title, again.original_title) == (shipped.title, shipped.original_title), path.name


def test_a_list_of_long_lines_is_not_mistaken_for_wrapped_text() -> None:
    text = (
        "What I Pack\n\nAfter twenty years of travel, these are the things that always come with me:\n\n"
        "A thin wool scarf that doubles as a blanket on night trains and cold flights\n"
        "Earplugs, a sleep mask and a small pouch of the medicines I might need late\n"
        "A paper copy of every booking, because phones run out of battery at the worst time\n"
    )
    intro = split_article(text, ".txt", "a.txt").sections[0].markdown
    assert intro.count("\n- ") == 3 and intro.endswith("because phones run out of battery at the worst time")


def test_a_page_nested_hundreds_deep_keeps_its_text_and_a_contents_label_goes() -> None:
    inner = (
        "<h1>Deep Page</h1><p><strong>Contents:</strong></p><p>Words enough to be an opening paragraph that a "
        "reader would keep, written plainly.</p><h2>Second part</h2><p>More words for the second part of it.</p>"
    )
    html = "<html><body>" + "<div>" * 500 + inner + "</div>" * 500 + "</body></html>"
    article = split_article(html, ".html", "deep.html")
    assert [s.title for s in article.sections] == ["Introduction", "Second part"]
    assert "Contents" not in article.markdown()


def test_a_sign_off_before_a_share_line_is_dropped_and_the_name_is_no_heading() -> None:
    text = (
        "Lunch Breaks\n\nA real lunch break, away from the desk, makes the afternoon shorter than it looks.\n\n"
        "Leave the Building\n\nEven ten minutes outside resets your attention better than scrolling does.\n\n"
        "Cheers,\nMarcus\n\nTweet this\n"
    )
    article = split_article(text, ".txt", "a.txt")
    assert [s.title for s in article.sections] == ["Introduction", "Leave the Building"]
    assert "Marcus" not in article.markdown() and "Tweet" not in article.markdown()
