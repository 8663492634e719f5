"""Changing the catalog: import (idempotent, row by row) from the versioned data file format.

The format is the one `services_portal/catalog/data/catalog.yaml` uses and `catalog_export`
writes; docs/catalog-format.md describes it. Importing updates by code and never duplicates.
A bad row is reported with its reason and the rest of the file is kept.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from profiles.facts import FactsInvalid, facts_clean
from services_portal.catalog import hooks
from services_portal.catalog.models import (
    Bundle,
    BundleItem,
    Category,
    Criterion,
    Department,
    LifeEvent,
    ServiceItem,
)
from services_portal.core.errors import PortalError
from services_portal.eligibility.engine import ExpressionInvalid, Outcome, Status, expression_check


class RowInvalid(PortalError):
    pass


@dataclass(frozen=True)
class ImportProblem:
    section: str
    row: int
    code: str
    reason: str


@dataclass
class ImportReport:
    version: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, section: str, created: bool) -> None:
        tally = self.created if created else self.updated
        tally[section] = tally.get(section, 0) + 1


def catalog_file_read(path: Path | str) -> dict[str, Any]:
    """Read a catalog file (YAML or JSON); raises PortalError when it cannot be parsed at all."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PortalError("unreadable_file", _("The file cannot be read: %(error)s") % {"error": error}) from None
    return catalog_text_parse(text)


def catalog_text_parse(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as error:
        raise PortalError(
            "unparsable_file", _("The file is not valid YAML or JSON: %(error)s") % {"error": error}
        ) from None
    if not isinstance(data, dict):
        raise PortalError("unparsable_file", _("The file must hold a mapping with a 'services' list."))
    return data


# -- row checks ----------------------------------------------------------------------------------


def _texts(row: Mapping[str, Any], key: str, *, required: bool = True) -> tuple[str, str]:
    value = row.get(key)
    if value is None and not required:
        return "", ""
    if not isinstance(value, Mapping) or (required and not value.get("zh-hans")):
        raise RowInvalid("missing_text", _("'%(key)s' needs a 'zh-hans' and an 'en' text.") % {"key": key})
    return str(value.get("zh-hans") or ""), str(value.get("en") or "")


def _code(row: Mapping[str, Any]) -> str:
    code = row.get("code")
    if not isinstance(code, str) or not code.strip():
        raise RowInvalid("missing_code", _("The row has no code."))
    return code.strip()


def _decimal(value: Any, key: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RowInvalid("invalid_amount", _("'%(key)s' must be a number.") % {"key": key}) from None
    if amount < 0:
        raise RowInvalid("invalid_amount", _("'%(key)s' cannot be negative.") % {"key": key})
    return amount


def _lookup(model: type[Category | Department | LifeEvent | ServiceItem], code: Any, what: str) -> Any:
    try:
        return model.objects.get(code=code)
    except model.DoesNotExist:
        raise RowInvalid("unknown_reference", _("Unknown %(what)s: %(code)s") % {"what": what, "code": code}) from None


def _check_examples(examples: Any, criteria_keys: list[str]) -> list[dict[str, Any]]:
    if examples is None:
        return []
    if not isinstance(examples, list):
        raise RowInvalid("invalid_examples", _("'examples' must be a list."))
    outcomes = {outcome.value for outcome in Outcome}
    statuses = {status.value for status in Status}
    clean = []
    for number, example in enumerate(examples, start=1):
        where = _("Example %(number)d: ") % {"number": number}
        if not isinstance(example, Mapping):
            raise RowInvalid("invalid_examples", where + _("must be a mapping."))
        reference = example.get("reference_date")
        if isinstance(reference, str):
            try:
                reference = datetime.date.fromisoformat(reference)
            except ValueError:
                reference = None
        if not isinstance(reference, datetime.date):
            raise RowInvalid("invalid_examples", where + _("'reference_date' must be a date."))
        try:
            facts_clean(example.get("facts") or {}, today=reference)
        except FactsInvalid as error:
            raise RowInvalid("invalid_examples", where + str(error)) from None
        if example.get("expected") not in outcomes:
            raise RowInvalid("invalid_examples", where + _("'expected' must be eligible, not_eligible, maybe or open."))
        expected_criteria = example.get("criteria") or {}
        if sorted(expected_criteria) != sorted(criteria_keys) or not set(expected_criteria.values()) <= statuses:
            raise RowInvalid(
                "invalid_examples", where + _("'criteria' must give met, not_met or unknown for every criterion.")
            )
        clean.append(
            {**example, "reference_date": reference.isoformat(), "facts": _jsonable(example.get("facts") or {})}
        )
    return clean


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# -- sections ------------------------------------------------------------------------------------


def _named_import(model: type[Category | Department]) -> Callable[[Mapping[str, Any]], bool]:
    def save(row: Mapping[str, Any]) -> bool:
        name_zh, name_en = _texts(row, "name")
        _, created = model.objects.update_or_create(code=_code(row), defaults={"name_zh": name_zh, "name_en": name_en})
        return created

    return save


def _life_event_import(row: Mapping[str, Any]) -> bool:
    name_zh, name_en = _texts(row, "name")
    description_zh, description_en = _texts(row, "description", required=False)
    expression = str(row.get("expression") or "")
    expression_check(expression, field="expression")
    _, created = LifeEvent.objects.update_or_create(
        code=_code(row),
        defaults={
            "name_zh": name_zh,
            "name_en": name_en,
            "description_zh": description_zh,
            "description_en": description_en,
            "expression": expression,
        },
    )
    return created


def material_code(material: Mapping[str, Any]) -> str:
    """A material's code: given, or made from its English name; the same code in several services is
    the same material, uploaded once for a bundle."""
    return str(material.get("code") or slugify(str(material.get("en") or material.get("zh-hans"))))[:80]


def _materials(materials: Any) -> list[dict[str, Any]]:
    """The materials an applicant supplies: each with its texts, a code, whether it is required
    (default yes) and whether the department obtains it itself from shared e-licences (default no)."""
    if not isinstance(materials, list) or not all(isinstance(m, Mapping) and m.get("zh-hans") for m in materials):
        raise RowInvalid("invalid_materials", _("'materials' must be a list of texts in both languages."))
    normalised = [
        {
            **dict(material),
            "code": material_code(material),
            "required": bool(material.get("required", True)),
            "shared": bool(material.get("shared", False)),
        }
        for material in materials
    ]
    codes = [material["code"] for material in normalised]
    if not all(codes) or len(set(codes)) != len(codes):
        raise RowInvalid("invalid_materials", _("Every material needs a code, unique within the service."))
    return normalised


def _service_import(row: Mapping[str, Any], version: str) -> bool:
    code = _code(row)
    name_zh, name_en = _texts(row, "name")
    description_zh, description_en = _texts(row, "description")
    legal_zh, legal_en = _texts(row, "legal_basis", required=False)
    benefit = row.get("benefit") or {}
    note_zh, note_en = _texts(benefit, "note", required=False)
    period = benefit.get("period", "") if benefit else ""
    if period not in {"", *ServiceItem.BenefitPeriod.values}:
        raise RowInvalid("invalid_period", _("'benefit.period' must be month, year or once."))
    materials = _materials(row.get("materials") or [])
    criteria = row.get("criteria") or []
    if not isinstance(criteria, list):
        raise RowInvalid("invalid_criteria", _("'criteria' must be a list."))
    keys = [str(c.get("key", "")) if isinstance(c, Mapping) else "" for c in criteria]
    if not all(keys) or len(set(keys)) != len(keys):
        raise RowInvalid("invalid_criteria", _("Every criterion needs a key, unique within the service."))
    for criterion in criteria:
        _texts(criterion, "label")
        try:
            expression_check(str(criterion.get("expression") or ""), field=f"criteria.{criterion['key']}")
        except ExpressionInvalid as error:
            raise RowInvalid(error.code, f"{criterion['key']}: {error.message}") from None
    life_events = [_lookup(LifeEvent, event, _("life event")) for event in row.get("life_events") or []]
    processing_days = row.get("processing_days")
    if processing_days is not None and (not isinstance(processing_days, int) or processing_days < 0):
        raise RowInvalid("invalid_processing_days", _("'processing_days' must be a whole number of days."))
    escalate_after_days = row.get("escalate_after_days", 2)
    if not isinstance(escalate_after_days, int) or isinstance(escalate_after_days, bool) or escalate_after_days < 0:
        raise RowInvalid("invalid_escalate_after_days", _("'escalate_after_days' must be a whole number of days."))
    was_published = ServiceItem.objects.filter(code=code, is_published=True).exists()
    service, created = ServiceItem.objects.update_or_create(
        code=code,
        defaults={
            "name_zh": name_zh,
            "name_en": name_en,
            "description_zh": description_zh,
            "description_en": description_en,
            "category": _lookup(Category, row.get("category"), _("category")),
            "department": _lookup(Department, row.get("department"), _("department")),
            "online": bool(row.get("online", True)),
            "counter": bool(row.get("counter", True)),
            "proactive": bool(row.get("proactive", False)),
            "essential": bool(row.get("essential", False)),
            "outreach": bool(row.get("outreach", False)),
            "escalate_after_days": escalate_after_days,
            "processing_days": processing_days,
            "fee_cny": _decimal(row.get("fee_cny"), "fee_cny") or Decimal(0),
            "benefit_amount_cny": _decimal(benefit.get("amount_cny"), "benefit.amount_cny") if benefit else None,
            "benefit_period": period,
            "benefit_note_zh": note_zh,
            "benefit_note_en": note_en,
            "materials": materials,
            "legal_basis_zh": legal_zh,
            "legal_basis_en": legal_en,
            "examples": _check_examples(row.get("examples"), keys),
            "is_published": bool(row.get("published", True)),
            "catalog_version": version,
        },
    )
    service.life_events.set(life_events)
    service.criteria.exclude(key__in=keys).delete()
    for position, criterion in enumerate(criteria):
        label_zh, label_en = _texts(criterion, "label")
        Criterion.objects.update_or_create(
            service=service,
            key=criterion["key"],
            defaults={
                "label_zh": label_zh,
                "label_en": label_en,
                "expression": criterion["expression"],
                "position": position,
            },
        )
    if service.is_published and not was_published:
        hooks.on_service_published(service)  # pushed to its life-event groups after commit
    return created


def _bundle_import(row: Mapping[str, Any]) -> bool:
    name_zh, name_en = _texts(row, "name")
    description_zh, description_en = _texts(row, "description", required=False)
    life_event = _lookup(LifeEvent, row["life_event"], _("life event")) if row.get("life_event") else None
    services = [_lookup(ServiceItem, code, _("service item")) for code in row.get("services") or []]
    bundle, created = Bundle.objects.update_or_create(
        code=_code(row),
        defaults={
            "name_zh": name_zh,
            "name_en": name_en,
            "description_zh": description_zh,
            "description_en": description_en,
            "life_event": life_event,
        },
    )
    bundle.items.exclude(service__in=services).delete()
    for position, service in enumerate(services):
        BundleItem.objects.update_or_create(bundle=bundle, service=service, defaults={"position": position})
    return created


@transaction.atomic
def catalog_import(*, data: Mapping[str, Any]) -> ImportReport:
    """Import a whole catalog document. Each row commits or fails on its own."""
    version = str(data.get("version") or timezone.now().strftime("%Y.%m.%d"))
    report = ImportReport(version=version)
    sections: list[tuple[str, Callable[[Mapping[str, Any]], bool]]] = [
        ("departments", _named_import(Department)),
        ("categories", _named_import(Category)),
        ("life_events", _life_event_import),
        ("services", lambda row: _service_import(row, version)),
        ("bundles", _bundle_import),
    ]
    if not isinstance(data.get("services"), list):
        raise PortalError("no_services", _("The file has no 'services' list."))
    for section, save in sections:
        rows = data.get(section) or []
        if not isinstance(rows, list):
            report.problems.append(ImportProblem(section, 0, "", _("The section must be a list.")))
            continue
        for number, row in enumerate(rows, start=1):
            code = str(row.get("code", "")) if isinstance(row, Mapping) else ""
            try:
                if not isinstance(row, Mapping):
                    raise RowInvalid("invalid_row", _("The row must be a mapping."))
                with transaction.atomic():
                    report.count(section, save(row))
            except PortalError as error:
                report.problems.append(ImportProblem(section, number, code, error.message))
    return report
