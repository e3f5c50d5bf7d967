"""The spam rules' pure part: what counts as a link, repetition, and the score's reasons."""

from __future__ import annotations

import pytest

from comments import spam
from comments.templatetags.comments_text import comment_text


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links here", 0),
        ("see https://a.example/x", 1),
        ("www.b.example and http://c.example", 2),
        ("cheap-pills.com now", 1),
        ("ｈｔｔｐｓ://fullwidth.example", 1),  # NFKC folds fullwidth letters
        ("version 2.0 is out", 0),
    ],
)
def test_links_are_counted_as_a_reader_would_see_them(text, links):
    assert spam.links_in(text) == links


def test_repetition_ignores_case_accents_spacing_and_punctuation():
    assert spam.normalise("Ça  NE marche PAS !!!") == spam.normalise("ca ne marche pas")


def test_an_ordinary_comment_scores_zero():
    score = spam.spam_score(
        text="The app crashes when I open my messages.",
        name="Lea",
        fill_seconds=40,
        min_fill_seconds=3,
    )
    assert score == spam.Score(0, ())


def test_each_sign_adds_its_reason_and_the_score_is_capped():
    score = spam.spam_score(
        text="BUY NOW CASINO CASINO CASINO CASINO CASINO CASINO CASINO https://x.example "
        "!!!!!!!!!!!!\u200b",
        name="www.shop.example",
        fill_seconds=1,
        min_fill_seconds=3,
    )
    assert score.value == 100
    assert set(score.reasons) >= {
        "links:1",
        "link in name",
        "repeated characters",
        "repeated words",
        "shouting",
        "sales words",
        "filled very fast",
        "invisible characters",
    }


def test_comment_text_escapes_everything_and_links_only_http():
    html = comment_text('a <b> & "q" https://ok.example/p?x=1&y=2. javascript:alert(1)\nend')

    assert html == (
        "a &lt;b&gt; &amp; &quot;q&quot; "
        '<a href="https://ok.example/p?x=1&amp;y=2" rel="nofollow ugc noopener noreferrer">'
        "https://ok.example/p?x=1&amp;y=2</a>. javascript:alert(1)<br>end"
    )


def test_comment_text_shortens_long_addresses_but_links_them_whole():
    url = "https://example.org/" + "a" * 100

    html = comment_text(url)

    assert f'href="{url}"' in html and "…</a>" in html
