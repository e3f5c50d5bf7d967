"""The service page's "notify me" form (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from alerts.models import Subscription
from outages.vocabulary import Platform, Problem, problems_of


class NotifyForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("By"),
        choices=Subscription.Channel.choices,
        initial="email",
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    url = forms.URLField(
        label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https"
    )
    format = forms.ChoiceField(
        label=_("Webhook format"), choices=Subscription.Format.choices, initial="standard"
    )
    min_level = forms.TypedChoiceField(
        label=_("Notify me of"), coerce=int, initial=1, choices=Subscription.Level.choices
    )
    platform = forms.ChoiceField(
        label=_("Only on platform"),
        required=False,
        choices=[("", _("Any"))] + list(Platform.choices),
    )
    problem = forms.ChoiceField(
        label=_("Only for problem"),
        required=False,
        choices=[("", _("Any"))] + list(Problem.choices),
    )
    country = forms.ChoiceField(
        label=_("Only in country"), required=False, choices=lambda: [("", _("Any")), *countries]
    )

    daily_digest = forms.BooleanField(
        label=_("E-mail: one daily digest instead of a message per change"), required=False
    )
    only_unacknowledged = forms.BooleanField(
        label=_("Only when the company has not acknowledged it"), required=False
    )

    def __init__(self, *args: Any, category: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service's own problem types: no other is ever reported about it.
        choices: list[tuple[str, Any]] = [("", _("Any"))]
        choices += [(problem.value, problem.label) for problem in problems_of(category)]
        self.fields["problem"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()  # (returns cleaned_data; typed as maybe None)
        data = self.cleaned_data
        if data.get("channel") == "email" and not data.get("email"):
            self.add_error("email", _("An e-mail subscription needs an address."))
        if data.get("channel") == "webhook" and not data.get("url"):
            self.add_error("url", _("A webhook subscription needs a URL."))
        return data
