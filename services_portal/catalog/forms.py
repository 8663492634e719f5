from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from services_portal.catalog.selectors import facets


class ServiceFilterForm(forms.Form):
    """The catalog page's filters; every field optional, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Topic"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    life_event = forms.ChoiceField(label=_("Life event"), required=False)
    bundle = forms.ChoiceField(label=_("One-stop bundle"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, objects in facets().items():
            field_name = {
                "categories": "category",
                "departments": "department",
                "life_events": "life_event",
                "bundles": "bundle",
            }[name]
            choices = [("", _("Any"))] + [(obj.code, obj.name) for obj in objects]
            cast(forms.ChoiceField, self.fields[field_name]).choices = choices

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
