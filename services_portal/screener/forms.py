"""The screener's question pages, built from the fact registry."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from profiles.facts import FactDefinition
from profiles.facts.fields import fact_field, fact_form_value
from services_portal.core.errors import PortalError
from services_portal.screener.screening import screener_answers_clean


class StepForm(forms.Form):
    """One page of questions. Radio and select values outside the choices reach the registry check too."""

    def __init__(self, *args: Any, facts: tuple[FactDefinition, ...], today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facts = facts
        self.today = today
        for fact in facts:
            self.fields[fact.key] = fact_field(fact)

    def full_clean(self) -> None:
        # The registry is the one judge of a value, so that the page and the API give the same messages.
        self._errors = forms.utils.ErrorDict()
        self.cleaned_data = {}
        if not self.is_bound:
            return
        raw = {fact.key: fact_form_value(fact, self.data) for fact in self.facts}
        try:
            self.cleaned_data = screener_answers_clean(raw, today=self.today)
        except PortalError as error:
            for key, messages in error.fields.items():
                self._errors[key] = self.error_class(messages)
