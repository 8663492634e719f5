"""Citizens, staff, facts with provenance, consent and the access log.

The consent ledger (ConsentEvent) and the access log (AccessLogEntry) are append-only: the code has
no path that updates or deletes them, and on PostgreSQL a trigger refuses it (migration 0003).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from encrypted_fields.fields import EncryptedCharField
from knox.models import AuthToken

from profiles.purposes import Purpose
from services_portal.core.i18n import translated


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    COUNTER_STAFF = "counter_staff", _("Counter staff")
    CASEWORKER = "caseworker", _("Caseworker")
    CATALOG_EDITOR = "catalog_editor", _("Catalog editor")
    DEPARTMENT_FEED = "department_feed", _("Department feed")
    AUDITOR = "auditor", _("Auditor")
    FINANCE = "finance", _("Finance")
    # the operator's view (态势感知) of their region and all under it: figures only
    REGION_HEAD = "region_head", _("Region head")
    ADMINISTRATOR = "administrator", _("Administrator")


STAFF_SITE_ROLES = frozenset({Role.CATALOG_EDITOR, Role.AUDITOR, Role.ADMINISTRATOR})


class User(AbstractUser):
    """Anyone who signs in. Citizens sign in with their resident ID number (kept only as a keyed hash
    in `username`); staff with a user name. Staff carry a region scope: a code and all under it."""

    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.CITIZEN)
    region_scope = models.CharField(_("region scope"), max_length=6, blank=True)
    department = models.CharField(_("department"), max_length=64, blank=True)

    class Meta:
        db_table = "profiles_user"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs) -> None:
        if self.is_superuser and self.role == Role.CITIZEN:
            self.role = Role.ADMINISTRATOR
        # The administration is for catalog editors, auditors and administrators only.
        self.is_staff = self.is_superuser or self.role in STAFF_SITE_ROLES
        super().save(*args, **kwargs)


class Citizen(models.Model):
    """A person the portal holds data on: signed up, known from a department feed, or a child held
    under a guardian's account (PIPL art. 31).

    `resident_id_hash` is a verified identity: set only on records a department feed made, records the
    counter made after checking the ID card, and accounts that proved whose they are (`bound_at`,
    `bound_by`; profiles.identity). An account not yet bound has a record of its own holding only what
    its owner declared, and the number they typed as `claimed_id_hash`: a claim, which several accounts
    may make and which opens nothing (docs/adr/0006-real-name-binding.md)."""

    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="citizen")
    resident_id_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    claimed_id_hash = models.CharField(max_length=64, null=True, blank=True, db_index=True)  # noqa: DJ001 - NULL: no claim
    bound_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    # with a database default: the population simulator inserts records by raw SQL
    bound_by = models.CharField(_("identity verified by"), max_length=32, blank=True, default="", db_default="")
    resident_id_masked = models.CharField(_("resident ID number"), max_length=18, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    guardian = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="wards", verbose_name=_("guardian")
    )
    region_code = models.CharField(_("region"), max_length=6, blank=True, db_index=True)
    personalisation_enabled = models.BooleanField(_("personalisation on"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    erased_at = models.DateTimeField(null=True, blank=True, verbose_name=_("erased at"))

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self) -> str:
        return self.resident_id_masked or f"#{self.pk}"

    @property
    def identity_verified(self) -> bool:
        """Whether the record is known to be the person of its ID number: a bound account, or a record
        without an account that a department or the counter made (a claim is not)."""
        return self.bound_at is not None or (self.user_id is None and self.resident_id_hash is not None)

    @property
    def consent_holder(self) -> Citizen:
        """Whose consent covers this person's data: the guardian's for a ward. For many people at once,
        `profiles.selectors.consent_holders` and `consent_in_force`."""
        if self.guardian_id and self.guardian is not None:
            return self.guardian
        return self


class Household(models.Model):
    """A household as household registration knows it: its members' facts make the household's."""

    external_id = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(Citizen, related_name="households")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.external_id


class FactSource(models.TextChoices):
    SELF_DECLARED = "self_declared", _("You told us")
    DEPARTMENT_FEED = "department_feed", _("Government department")
    COUNTER_STAFF = "counter_staff", _("Counter staff")


class FactValue(models.Model):
    """One value of one fact, with where it came from. A new value supersedes the current one,
    which stays as history."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="fact_values")
    key = models.CharField(max_length=64, verbose_name=_("fact"))
    value = models.JSONField(verbose_name=_("value"))
    source = models.CharField(max_length=20, choices=FactSource, verbose_name=_("source"))
    department = models.CharField(max_length=64, blank=True, verbose_name=_("department"))
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    observed_at = models.DateTimeField(verbose_name=_("observed at"))
    expires_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))
    superseded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("superseded at"))

    class Meta:
        ordering = ["citizen", "key", "-recorded_at"]
        indexes = [models.Index(fields=["citizen", "key", "superseded_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "key"], condition=models.Q(superseded_at__isnull=True), name="one_current_value"
            )
        ]
        verbose_name = _("fact value")
        verbose_name_plural = _("fact values")

    def __str__(self) -> str:
        return f"{self.citizen_id}:{self.key}"


class FactErrorReport(models.Model):
    """A citizen says a department's value is wrong; the department corrects it at the source."""

    fact_value = models.ForeignKey(FactValue, on_delete=models.CASCADE, related_name="error_reports")
    text = models.TextField(_("what is wrong"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report of a wrong fact")
        verbose_name_plural = _("reports of wrong facts")

    def __str__(self) -> str:
        return f"error report on {self.fact_value}"


class TagSuppression(models.Model):
    """A life-event tag the citizen deleted. It stays away while the facts behind it are the same
    values and no consent has been granted since."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="tag_suppressions")
    life_event = models.CharField(max_length=64)
    basis = models.JSONField(default=list, help_text="ids of the FactValues the tag was derived from")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("removed life-event tag")
        verbose_name_plural = _("removed life-event tags")

    def __str__(self) -> str:
        return f"{self.citizen_id} without {self.life_event}"


class ConsentNotice(models.Model):
    """The text a person agrees to, versioned per purpose."""

    purpose = models.CharField(max_length=32, choices=Purpose)
    version = models.PositiveIntegerField()
    text_zh = models.TextField()
    text_en = models.TextField()
    published_at = models.DateTimeField()

    text = translated("text")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="notice_version_unique")]
        ordering = ["purpose", "-version"]
        verbose_name = _("consent notice")
        verbose_name_plural = _("consent notices")

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"


class ConsentChannel(models.TextChoices):
    WEB = "web", _("Web")
    APP = "app", _("App")
    COUNTER = "counter", _("Service counter")


class ConsentEvent(models.Model):
    """The consent ledger: every grant and every withdrawal is a new row. Append-only."""

    # `manage.py db_roles` gives the application's role INSERT and SELECT only on this table
    append_only = True

    citizen = models.ForeignKey(
        Citizen, on_delete=models.PROTECT, related_name="consent_events", verbose_name=_("person")
    )
    purpose = models.CharField(max_length=32, choices=Purpose, verbose_name=_("purpose"))
    granted = models.BooleanField(verbose_name=_("granted"))
    notice = models.ForeignKey(ConsentNotice, on_delete=models.PROTECT, related_name="+", verbose_name=_("notice"))
    channel = models.CharField(max_length=10, choices=ConsentChannel, verbose_name=_("channel"))
    witness = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("witness")
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        # "the latest row of this person" must not make the database walk the whole ledger by time
        indexes = [models.Index(fields=["citizen", "-created_at"], name="consent_citizen_latest")]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.citizen_id} {'grant' if self.granted else 'withdraw'} {self.purpose}"


class AccessPurpose(models.TextChoices):
    CASEWORK = "casework", _("Assessing a benefit case")
    COUNTER_SERVICE = "counter_service", _("Serving the person at a counter")
    OUTREACH = "outreach", _("Reaching a person who is not online")
    AUDIT = "audit", _("Audit")
    DATA_SUBJECT_REQUEST = "data_subject_request", _("Answering the person's own request")
    FEED_RECONCILIATION = "feed_reconciliation", _("Checking a department's delivered data")
    SUPPORT = "support", _("Technical support")
    PAYMENT = "payment", _("Paying a benefit")


class AccessChannel(models.TextChoices):
    PAGE = "page", _("Staff page")
    API = "api", _("API")
    ADMIN = "admin", _("Administration")
    EXPORT = "export", _("Export")
    FEED = "feed", _("Department feed")


class AccessLogEntry(models.Model):
    """One read of a person's data by someone other than that person. Append-only."""

    append_only = True

    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor"))
    actor_role = models.CharField(max_length=20, choices=Role, verbose_name=_("actor's role"))
    subject = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="access_log", verbose_name=_("person"))
    fields = models.JSONField(default=list, verbose_name=_("what was read"))
    purpose = models.CharField(max_length=32, choices=AccessPurpose, verbose_name=_("purpose"))
    channel = models.CharField(max_length=10, choices=AccessChannel, verbose_name=_("channel"))
    request_id = models.CharField(max_length=64, blank=True, verbose_name=_("request ID"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.actor_id} read {self.subject_id} for {self.purpose}"


class CodePurpose(models.TextChoices):
    BIND_BY_PHONE = "bind_by_phone", _("Proving who you are by a code to your phone")
    COUNTER_ACTIVATION = "counter_activation", _("Activation code from the service counter")
    PASSWORD_RESET = "password_reset", _("Resetting a password")
    SIGN_IN_STEP_UP = "sign_in_step_up", _("Signing in after failed attempts")


class OneTimeCode(models.Model):
    """A short secret sent to a phone or handed over at the counter. Only a keyed hash of it is kept;
    it expires, allows a few tries, and is used once. `citizen` is the person it proves; `user` the
    account that may redeem it (none for a counter activation code, which whoever holds the slip uses)."""

    purpose = models.CharField(max_length=24, choices=CodePurpose)
    citizen = models.ForeignKey(Citizen, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    sent_to = models.CharField(_("sent to"), max_length=20, blank=True, help_text="masked phone number")
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["purpose", "citizen", "-created_at"], name="code_citizen_latest")]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


class AppToken(models.Model):
    """The device an app token was given to, as the person named it ("Xiaomi 14 app"), so that the list
    of signed-in devices can tell the tokens apart. The token itself is django-rest-knox's AuthToken,
    kept only as a hash."""

    auth_token = models.OneToOneField(
        "knox.AuthToken", primary_key=True, on_delete=models.CASCADE, related_name="device"
    )
    device_name = models.CharField(_("device name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("app token")
        verbose_name_plural = _("app tokens")

    def __str__(self) -> str:
        return self.device_name or "app"


class AppSignInToken(AuthToken):
    """django-rest-knox's token, under a translated name in the administration (knox's model has none)."""

    class Meta:
        proxy = True
        verbose_name = _("app sign-in token")
        verbose_name_plural = _("app sign-in tokens")


class BankAccount(models.Model):
    """The account a person's benefits are paid into: a sensitive fact, its number encrypted in the
    database (django-fernet-encrypted-fields under SECRET_KEY and SALT_KEY) and shown masked. A new
    one replaces the last (selectors.bank_account_of: the latest); they go with the account."""

    citizen = models.ForeignKey(Citizen, on_delete=models.CASCADE, related_name="bank_accounts")
    bank_name = models.CharField(_("bank"), max_length=100)
    account_number = EncryptedCharField(_("account number"), max_length=19)
    holder_name = models.CharField(_("account holder"), max_length=100)
    source = models.CharField(max_length=20, choices=FactSource)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return f"{self.bank_name} {self.masked}"

    @property
    def masked(self) -> str:
        return account_number_mask(self.account_number)


def account_number_mask(number: str) -> str:
    """An account number as it may be shown: its first and last four digits ("6222 **** **** 1234")."""
    number = number or ""
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:4]} **** **** {number[-4:]}"
