"""The catalog: departments, service items with eligibility criteria, life events and bundles."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from services_portal.core.i18n import pick, translated
from services_portal.eligibility.engine import ExpressionInvalid, expression_compile


class CodedEntry(models.Model):
    """A catalog entry named by a stable code, with a name in both languages."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    name = translated("name")

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DescribedEntry(CodedEntry):
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    description = translated("description")

    class Meta(CodedEntry.Meta):
        abstract = True


class Department(CodedEntry):
    class Meta(CodedEntry.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Category(CodedEntry):
    class Meta(CodedEntry.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class LifeEvent(DescribedEntry):
    """A named group of people derived from facts by an expression (newborn parents, graduates...)."""

    expression = models.TextField(_("expression"), help_text=_("A rule-engine expression over facts."))

    class Meta(DescribedEntry.Meta):
        verbose_name = _("life event")
        verbose_name_plural = _("life events")


class ServiceItem(models.Model):
    class BenefitPeriod(models.TextChoices):
        MONTH = "month", _("a month")
        YEAR = "year", _("a year")
        ONCE = "once", _("once")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese)"))
    description_en = models.TextField(_("description (English)"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="services", verbose_name=_("category")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="services", verbose_name=_("department")
    )
    life_events = models.ManyToManyField(LifeEvent, blank=True, related_name="services", verbose_name=_("life events"))
    online = models.BooleanField(_("can be done online"), default=True)
    counter = models.BooleanField(_("can be done at a counter"), default=True)
    proactive = models.BooleanField(
        _("granted without application"), default=False, help_text=_("免申即享: found by data matching.")
    )
    essential = models.BooleanField(_("essential assistance"), default=False)
    # The reach ledger's escalation rule: where reaching out in person helps (essential, proactive and
    # time-limited benefits), an eligible person not reached after this many days is gone after on a
    # channel that can reach them, ending at the counter of their area. Not for a certificate one asks for.
    outreach = models.BooleanField(
        _("reach out when not reached"),
        default=False,
        help_text=_("Escalate to text message and then the counter when an eligible person has not been reached."),
    )
    escalate_after_days = models.PositiveSmallIntegerField(_("escalate after (days)"), default=2)
    processing_days = models.PositiveIntegerField(_("processing time (working days)"), null=True, blank=True)
    fee_cny = models.DecimalField(_("fee (CNY)"), max_digits=10, decimal_places=2, default=0)
    benefit_amount_cny = models.DecimalField(
        _("benefit amount (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    benefit_period = models.CharField(_("benefit period"), max_length=8, choices=BenefitPeriod, blank=True)
    benefit_note_zh = models.CharField(_("benefit note (Chinese)"), max_length=300, blank=True)
    benefit_note_en = models.CharField(_("benefit note (English)"), max_length=300, blank=True)
    materials = models.JSONField(_("required materials"), default=list, blank=True)
    legal_basis_zh = models.TextField(_("legal basis (Chinese)"), blank=True)
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)
    examples = models.JSONField(_("example cases"), default=list, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    catalog_version = models.CharField(_("catalog version"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    name = translated("name")
    description = translated("description")
    benefit_note = translated("benefit_note")
    legal_basis = translated("legal_basis")

    class Meta:
        ordering = ["category__code", "code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def material_names(self) -> list[str]:
        return [pick(material) for material in self.materials]


class Criterion(models.Model):
    service = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(_("key"), max_length=64)
    label_zh = models.CharField(_("label (Chinese)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    expression = models.TextField(_("expression"), help_text=_("A rule-engine expression over facts."))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    label = translated("label")

    class Meta:
        ordering = ["service", "position"]
        constraints = [models.UniqueConstraint(fields=["service", "key"], name="criterion_key_unique")]
        verbose_name = _("eligibility criterion")
        verbose_name_plural = _("eligibility criteria")

    def __str__(self) -> str:
        return f"{self.key}: {self.expression}"

    def clean(self) -> None:
        try:
            expression_compile(self.expression)
        except ExpressionInvalid as error:
            raise ValidationError({"expression": error.message}) from None


class Bundle(DescribedEntry):
    """一件事: the several items one life event needs, done together."""

    life_event = models.ForeignKey(
        LifeEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bundles",
        verbose_name=_("life event"),
    )
    services = models.ManyToManyField(ServiceItem, through="BundleItem", related_name="bundles")

    class Meta(DescribedEntry.Meta):
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items", verbose_name=_("bundle"))
    service = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="bundle_items", verbose_name=_("service")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["bundle", "position"]
        constraints = [models.UniqueConstraint(fields=["bundle", "service"], name="bundle_item_unique")]
        verbose_name = _("service in a bundle")
        verbose_name_plural = _("services in bundles")

    def __str__(self) -> str:
        return f"{self.bundle.code} #{self.position}: {self.service.code}"
