"""The take-home checklist: the person's services, what to bring, where to go and the hotline, in the
language the person chooses. The page and the PDF print the same words, made here once.

The catalog holds no addresses: "where to go" names the person's region and its government service
centre (政务服务中心), and the department's window there; the centre's street address, opening hours and
phone come from the reference data of the person's region (`reference.service_centres`), when it has them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from profiles.models import Citizen
from services_portal.catalog.models import ServiceItem
from services_portal.reference import regions, service_centres

CHECKLIST_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    name: str
    department: str
    essential: str  # "Essential assistance", or "" for other services
    materials: tuple[str, ...]
    where: str
    how_long: str
    no_application: str  # for a service granted without application, what that means; else ""


@dataclass(frozen=True)
class ChecklistCentre:
    """The government service centre of the person's region, with the labels of its lines."""

    heading: str
    name: str
    address_label: str
    address: str
    hours_label: str
    hours: str
    phone_label: str
    phone: str


@dataclass(frozen=True)
class Checklist:
    language: str  # "zh-hans" or "en"
    html_lang: str  # "zh-Hans" or "en"
    title: str
    person: str
    made_on: str
    intro: str
    bring_heading: str
    where_heading: str
    how_long_heading: str
    hotline_heading: str
    hotline_text: str
    hotline: str
    items: tuple[ChecklistItem, ...]
    empty: str
    centre: ChecklistCentre | None  # None when the reference data has no centre for the person's region


def checklist_language(requested: str, fallback: str) -> str:
    """A checklist language the portal speaks: the one requested, else `fallback`'s, else Chinese."""
    for code in (requested, fallback):
        if code in CHECKLIST_LANGUAGES:
            return code
        if code and code.split("-")[0] in CHECKLIST_LANGUAGES:
            return code.split("-")[0]
    return CHECKLIST_LANGUAGES[0]


def _where(service: ServiceItem, region: str) -> str:
    department = service.department.name
    if service.counter:
        where = _("The government service centre (政务服务中心) of %(region)s: ask for the %(department)s window.") % {
            "region": region,
            "department": department,
        }
        if service.online:
            where += " " + _("You can also do it online, on the portal or its app.")
        return where
    return _(
        "Online, on the portal or its app. Staff at the government service centre (政务服务中心) of %(region)s "
        "can help you do it."
    ) % {"region": region}


def _how_long(service: ServiceItem) -> str:
    if service.processing_days is None:
        return _("Ask at the window how long it takes.")
    days = service.processing_days
    return ngettext(
        "Usually decided within %(days)s working day.", "Usually decided within %(days)s working days.", days
    ) % {"days": days}


def _centre(region_code: str) -> ChecklistCentre | None:
    centre = service_centres.of_region(region_code)
    if centre is None:
        return None
    return ChecklistCentre(
        heading=_("Your government service centre"),
        name=centre.name,
        address_label=pgettext("service centre", "Address"),
        address=centre.address,
        hours_label=_("Opening hours"),
        hours=centre.hours,
        phone_label=pgettext("service centre", "Phone"),
        phone=centre.phone,
    )


def _item(service: ServiceItem, region: str) -> ChecklistItem:
    return ChecklistItem(
        code=service.code,
        name=service.name,
        department=service.department.name,
        essential=_("Essential assistance") if service.essential else "",
        materials=tuple(service.material_names) or (_("No documents are listed: bring your resident identity card."),),
        where=_where(service, region),
        how_long=_how_long(service),
        no_application=_(
            "You do not need to apply: it is granted from the data government departments hold, "
            "once you have agreed to benefits without application (免申即享)."
        )
        if service.proactive
        else "",
    )


def checklist_build(
    *, citizen: Citizen, services: Sequence[ServiceItem], language: str, on: datetime.date
) -> Checklist:
    """The checklist for `services`, every word in `language`."""
    with translation.override(language):
        region = regions.display_name(citizen.region_code) if citizen.region_code else _("your area")
        hotline = settings.PORTAL_HOTLINE
        return Checklist(
            language=language,
            html_lang="en" if language == "en" else "zh-Hans",
            title=_("Your services checklist"),
            person=citizen.name,
            made_on=_("Made at the service counter on %(date)s.") % {"date": formats.date_format(on)},
            intro=_("The services below are for you. Take what is listed to the place named, or call the hotline."),
            bring_heading=_("What to bring"),
            where_heading=_("Where to go"),
            how_long_heading=_("How long it takes"),
            hotline_heading=_("Questions?"),
            hotline_text=_("Call the government service hotline:"),
            hotline=hotline,
            items=tuple(_item(service, region) for service in services),
            empty=_("No services were chosen for this checklist."),
            centre=_centre(citizen.region_code) if citizen.region_code else None,
        )
