"""Applying at the counter desk: casework's steps of counter.hooks (the counter stands beside casework
and may not import it). Staff apply for the person they serve with the same form and the same
submission as online, the origin COUNTER and the staff member recorded, the materials scanned at the
desk; the desk hands the person a receipt."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from profiles.models import Citizen
from services_portal.casework.models import UNDECIDED_STATES, Application, Case, CaseOrigin
from services_portal.casework.services.applications import (
    ApplicationForm,
    application_form_for,
    application_submit,
)
from services_portal.catalog.models import Bundle, ServiceItem
from services_portal.core.i18n import pick
from services_portal.counter.hooks import CounterApplication, OpenCase, Receipt, ReceiptCase, ReceiptFile


def desk_application_form(citizen: Citizen, services: Sequence[ServiceItem], bundle: Bundle | None) -> ApplicationForm:
    """counter.hooks.application_form_at_counter: the form the person would see online."""
    return application_form_for(citizen, services=services, bundle=bundle)


def desk_application_submit(application: CounterApplication) -> Receipt:
    """counter.hooks.application_at_counter: submit for the person, as the staff member, at the counter."""
    made = application_submit(
        citizen=application.citizen,
        services=application.services,
        bundle=application.bundle,
        confirmed=application.confirmed,
        given=application.given,
        files=application.files,
        declared=application.declared,
        origin=CaseOrigin.COUNTER,
        staff=application.staff,
        idempotency_key=application.idempotency_key,
    )
    return _receipt(made)


def desk_application_receipt(citizen: Citizen, application_id: int) -> Receipt | None:
    """counter.hooks.application_receipt_at_counter: the receipt of the person's application made at a
    counter, with its cases and files; None if the person made none of that number there."""
    application = (
        Application.objects.filter(pk=application_id, citizen=citizen, origin=CaseOrigin.COUNTER)
        .select_related("bundle", "staff")
        .first()
    )
    return None if application is None else _receipt(application)


def _receipt(application: Application) -> Receipt:
    cases = application.cases.select_related("service", "service__department").order_by("id")
    names: dict[str, str] = {}
    for case in cases:
        for material in case.service.materials:
            names.setdefault(material["code"], pick(material))
    return Receipt(
        application_id=application.pk,
        citizen_id=application.citizen_id,
        submitted_at=application.declared_at,
        staff_name=application.staff.get_full_name() or application.staff.get_username() if application.staff else "",
        bundle=application.bundle,
        cases=tuple(
            ReceiptCase(
                case_id=case.pk,
                service=case.service,
                department=case.service.department.name,
                state=case.get_state_display(),
                due_on=case.due_on,
            )
            for case in cases
        ),
        files=tuple(
            ReceiptFile(material=names.get(file.material, file.material), name=file.name, pages=file.pages)
            for file in application.files.order_by("uploaded_at", "id")
        ),
        tracking_link=reverse("casework:my_application", kwargs={"application_id": application.pk}),
    )


def desk_open_cases(citizen: Citizen) -> list[OpenCase]:
    """counter.hooks.open_cases_at_counter: the person's cases not yet decided, oldest first."""
    cases = (
        Case.objects.filter(citizen=citizen, state__in=UNDECIDED_STATES)
        .select_related("service", "service__department", "application")
        .order_by("opened_at", "id")
    )
    return [
        OpenCase(
            case_id=case.pk,
            service=case.service,
            department=case.service.department.name,
            state=case.get_state_display(),
            opened_at=case.opened_at,
            counter_application_id=case.application_id
            if case.application is not None and case.application.origin == CaseOrigin.COUNTER
            else None,
        )
        for case in cases
    ]
