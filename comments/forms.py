"""The comment and flag forms: required fields, a honeypot and a signed start time.

The checks that need the database (rate limit, repetition) are the service's
(comments.services.comment_submit); these are the ones the request alone can answer.
"""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from comments import spam
from comments.models import CommentFlag

_SALT = "comments.form.started"


def form_started_token(*, slug: str, now: datetime) -> str:
    """When the form was handed out, signed, so a bot cannot claim it took its time."""
    return signing.dumps({"s": slug, "t": now.timestamp()}, salt=_SALT)


class CommentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    email = forms.EmailField(
        label=_("E-mail"), help_text=_("Never shown: only the moderators see it.")
    )
    # Stored exactly as written (not even stripped).
    text = forms.CharField(
        label=_("Comment"), strip=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, slug: str, now: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.slug = slug
        self.now = now
        self.fields["text"].validators.append(MaxLengthValidator(settings.COMMENTS_MAX_LENGTH))
        self.fields["text"].widget.attrs["maxlength"] = settings.COMMENTS_MAX_LENGTH
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        # Re-shown with errors, the form keeps its start time (the reader is not "too fast"
        # for fixing a typo); otherwise it gets a fresh one.
        self.started_token = form_started_token(slug=slug, now=now)
        if self.is_bound:
            seconds = self._started_seconds(self.data.get("started", ""))
            if seconds is not None and seconds <= settings.COMMENTS_FORM_MAX_AGE:
                self.started_token = self.data["started"]

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("This field is required."), code="required")
        links = spam.links_in(text)
        if links > settings.COMMENTS_MAX_LINKS:
            raise forms.ValidationError(
                ngettext(
                    "At most %(max)d link per comment (this one has %(n)d).",
                    "At most %(max)d links per comment (this one has %(n)d).",
                    settings.COMMENTS_MAX_LINKS,
                )
                % {"max": settings.COMMENTS_MAX_LINKS, "n": links},
                code="links",
            )
        return text

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("This field is required."), code="required")
        if spam.links_in(name):
            raise forms.ValidationError(_("A name cannot contain a link."), code="links")
        return name

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise forms.ValidationError(_("Leave this field empty."), code="honeypot")
        return ""

    def _started_seconds(self, token: object) -> float | None:
        """Seconds since this page handed out the form, or None for a token it did not sign."""
        try:
            started = signing.loads(str(token), salt=_SALT)
            if started["s"] != self.slug:
                return None
            return self.now.timestamp() - float(started["t"])
        except (signing.BadSignature, ValueError, KeyError, TypeError):
            return None

    def clean_started(self) -> float:
        seconds = self._started_seconds(self.cleaned_data["started"])
        if seconds is None:
            raise forms.ValidationError(
                _("This form was not handed out by this page: please post again."),
                code="token",
            )
        if seconds < settings.COMMENTS_MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very fast: please read your comment over and post it again."),
                code="too_fast",
            )
        if seconds > settings.COMMENTS_FORM_MAX_AGE:
            raise forms.ValidationError(
                _("This form has expired: please post again."), code="expired"
            )
        return seconds


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=CommentFlag.Reason.choices)
