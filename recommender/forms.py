"""What a person may tell the portal about a suggestion: the form of the "for you" page's buttons,
and the choices the API accepts for the same."""

from __future__ import annotations

from django import forms

from recommender.models import InteractionChannel, InteractionKind

# The buttons on a suggestion: each is recorded as the interaction of the same name.
FEEDBACK_ACTIONS = [
    (kind.value, kind.label) for kind in (InteractionKind.SAVE, InteractionKind.DISMISS, InteractionKind.NOT_RELEVANT)
]
# What an app reports on its own: using a service, as opposed to judging a suggestion.
REPORTED_KINDS = [
    (kind.value, kind.label)
    for kind in (InteractionKind.VIEW, InteractionKind.SAVE, InteractionKind.APPLY, InteractionKind.COMPLETE)
]
# Where a citizen may say they acted; "counter" is recorded by staff at the counter, never claimed.
CITIZEN_CHANNELS = [(channel.value, channel.label) for channel in (InteractionChannel.WEB, InteractionChannel.APP)]


class FeedbackForm(forms.Form):
    service = forms.SlugField(max_length=80)
    action = forms.ChoiceField(choices=FEEDBACK_ACTIONS)
