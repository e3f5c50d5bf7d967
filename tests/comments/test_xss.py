"""Stored XSS: over a hundred hostile comments, posted through the form and approved, never put
a script, an event handler or a javascript: link on the public page, the flag page or the
moderators' queue. The pages are parsed as a browser would (html5lib), not grepped."""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import quote
from xml.etree.ElementTree import Element

import html5lib
import pytest
from django.contrib.auth.models import User
from django.test import Client

from comments import services
from comments.models import Comment
from tests.comments.helpers import form_data, make_moderator
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

CORE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<img src=x onerror=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<img src=`x`onerror=alert(1)>",
    '<img src="x" onerror="&#97;lert(1)">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert`1`>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="9">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><set attributeName=href to=javascript:alert(1)>",
    '<svg><use href="data:image/svg+xml,<svg id=x onload=alert(1)>#x"></use></svg>',
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "<body onload=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</p></article></section><script>alert(1)</script>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select onfocus=alert(1) autofocus>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)">',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<button formaction=javascript:alert(1)>x</button>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<table background="javascript:alert(1)">',
    "<frameset onload=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<xss onpointerenter=alert(1)>hover</xss>",
    "<isindex action=javascript:alert(1) type=image>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<plaintext><script>alert(1)</script>",
    "<xmp><script>alert(1)</script></xmp>",
    "<textarea><script>alert(1)</script></textarea>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!--<script>alert(1)</script>-->",
    "--><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<script\x20type="text/javascript">alert(1)</script>',
    "<script>/*\u2028*/alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "&amp;lt;script&amp;gt;alert(1)",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",  # fullwidth angle brackets
    "\u202e<script>alert(1)</script>",  # right-to-left override
    "<scri\u200bpt>alert(1)</scri\u200bpt>",  # zero-width space
    "<\u017fcript>alert(1)</\u017fcript>",  # long s, uppercases to S
    "\u0130<img src=x onerror=alert(1)>",
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/<script>alert(1)</script>",
    'http://example.com/?q="><svg/onload=alert(1)>',
    "https://ex.example/'onfocus='alert(1)'autofocus='",
    "https://example.com/`onerror=alert(1)",
    'http://example.com/\\"><img src=x onerror=alert(1)>',
    "https://ok.example/path?x=1&y=<b>2</b>",
    "https://javascript:alert(1)@example.com/",
    "{{ request }} {% csrf_token %} {{ comment.email }}",
    "${alert(1)} #{alert(1)} <%= alert(1) %>",
]


def _variants() -> list[str]:
    out = list(CORE)
    for payload in CORE[:12]:
        out.append(html.escape(payload))  # entity-encoded once
        out.append(quote(payload))  # percent-encoded
    out.append("line one\r\n<script>alert(1)</script>\nline <b>three</b>")
    return out


PAYLOADS = _variants()
NAMES = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "Ada</strong><script>x</script>",
]


# json_script blocks the pages render from their own figures (never from comments).
DATA_BLOCKS = {"spike-figure", "map-figure"}
SCRIPT_SOURCES = ("/static/", "/admin/jsi18n/")  # our own files, never inline code


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def clean_url(value: str) -> str:
    """What a browser compares against a scheme: no spaces or control characters, lower case."""
    return "".join(c for c in value if c > " " and c not in "\x7f").lower()


BANNED = {
    "iframe",
    "object",
    "embed",
    "base",
    "frameset",
    "frame",
    "math",
    "svg",
    "style",
    "template",
    "meta",
    "isindex",
}


def assert_no_active_content(document: Element, where: str, banned: set[str] = BANNED) -> None:
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        tag = local(element.tag)
        if tag == "script":  # our static files, or the page's own JSON data blocks
            if element.get("type") == "application/json":
                assert element.get("id") in DATA_BLOCKS, (where, element.attrib)
            else:
                assert element.get("src", "").startswith(SCRIPT_SOURCES), (where, element.attrib)
                assert not (element.text or "").strip(), where
        if tag == "svg" and element.get("class") == "sparkline":  # our own, checked below
            assert [local(child.tag) for child in element] == ["polyline"], where
        else:
            assert tag not in banned or (tag == "meta" and "http-equiv" not in element.attrib), (
                where,
                tag,
            )
        if tag == "use":  # the admin's icons point into the page itself
            hrefs = [v for k, v in element.attrib.items() if local(k) == "href"]
            assert hrefs and all(h.startswith("#") for h in hrefs), (where, element.attrib)
        for attribute, value in element.attrib.items():
            assert not local(attribute).startswith("on"), (where, tag, attribute)
            assert not clean_url(value).startswith(("javascript:", "vbscript:", "data:text")), (
                where,
                tag,
                attribute,
                value,
            )


def comment_texts(document: Element) -> list[Element]:
    return [
        e
        for e in document.iter()
        if isinstance(e.tag, str) and "comment-text" in e.get("class", "").split()
    ]


def text_of(element: Element) -> str:
    return "".join(element.itertext())


@pytest.fixture
def approved(client, settings, monkeypatch):
    settings.COMMENTS_MAX_LINKS = 100
    settings.COMMENTS_RATE = (1000, 3600)
    settings.COMMENTS_ON_PAGE = 500
    settings.COMMENTS_QUEUE_PAGE = 500
    monkeypatch.setattr(services, "REPEAT_WINDOW", timedelta(0))
    ServiceFactory(slug="twitter", name="Twitter")
    for i, payload in enumerate(PAYLOADS):
        data = form_data("twitter", text=payload, name=NAMES[i % len(NAMES)])
        response = client.post("/s/twitter/comments/", data)
        assert response.status_code == 302, (payload, response.context["comment_form"].errors)
    assert Comment.objects.count() == len(PAYLOADS) >= 100
    moderator = Client()
    moderator.force_login(make_moderator())
    response = moderator.post(
        "/moderation/comments/",
        {"action": "approve", "ids": list(Comment.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 302
    assert not Comment.objects.exclude(state="approved").exists()
    return moderator


def parse(response) -> Element:
    assert response.status_code == 200
    return html5lib.parse(response.content, treebuilder="etree", namespaceHTMLElements=False)


# One test per audience, each over every payload: posting and approving 113 comments is the
# slow part, so it is done once per audience rather than once per page.


def test_the_public_pages_show_hostile_comments_as_inert_text(client, approved):
    document = parse(client.get("/s/twitter/"))

    assert_no_active_content(document, "service page")
    texts = comment_texts(document)
    assert len(texts) == len(PAYLOADS)
    shown = {text_of(t) for t in texts}
    for payload in PAYLOADS:
        if "http" not in payload:  # links may shorten long addresses
            assert payload.replace("\r\n", "").replace("\n", "") in shown, payload
    for element in texts:
        for child in element.iter():
            if child is element:
                continue
            assert local(child.tag) in {"a", "br"}, local(child.tag)
            if local(child.tag) == "a":
                assert child.get("href", "").startswith(("http://", "https://"))
                assert set(child.get("rel", "").split()) >= {"nofollow", "ugc"}
                assert set(child.attrib) == {"href", "rel"}
    names = {
        text_of(e)
        for e in document.iter()
        if isinstance(e.tag, str) and "comment-name" in e.get("class", "")
    }
    assert names == set(NAMES)  # hostile names are text too
    for comment in Comment.objects.order_by("pk")[::5]:
        flag_page = parse(client.get(f"/s/twitter/comments/{comment.pk}/flag/"))
        assert_no_active_content(flag_page, f"flag page {comment.pk}")


def test_the_moderators_pages_show_hostile_comments_as_inert_text(approved):
    document = parse(approved.get("/moderation/comments/?view=all"))

    assert_no_active_content(document, "queue")
    texts = comment_texts(document)
    assert len(texts) == len(PAYLOADS)
    for element in texts:
        assert {local(c.tag) for c in element.iter() if c is not element} <= {"br"}

    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password="pw"))
    icons = BANNED - {"svg"}  # the admin draws its own icons inline
    listing = parse(admin.get("/admin/comments/comment/?all="))
    assert_no_active_content(listing, "admin list", icons)
    for comment in Comment.objects.order_by("pk")[::10]:
        change = parse(admin.get(f"/admin/comments/comment/{comment.pk}/change/"))
        assert_no_active_content(change, f"admin change {comment.pk}", icons)
