"""好差评: the applicant's rating of a case once it has ended, and the department's follow-up of a
dissatisfied one (国办发〔2019〕51号; GB/T 39735-2020 政务服务评价工作指南).

    case ended (ENDED_STATES) -> rated once by its applicant, five levels, reasons and text
    不满意 / 非常不满意 -> a follow-up for the case's department, due in working days
    follow-up open -> answered by a caseworker of that department and region (the applicant is told)
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from profiles.models import Citizen, User
from services_portal.casework.models import Case
from services_portal.catalog.models import Department


class RatingLevel(models.IntegerChoices):
    """The five levels of the national 好差评 system; the higher, the more satisfied."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    FAIRLY_SATISFIED = 3, _("Fairly satisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


# 好评: the three satisfied levels; 差评: the two dissatisfied ones, which the department must verify
# and rectify (整改) and answer.
SATISFIED_LEVELS = (RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.FAIRLY_SATISFIED)
DISSATISFIED_LEVELS = (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


class RatingReason(models.TextChoices):
    """Reasons from the national 好差评 lists: the good ones fit the satisfied levels, the bad ones the
    dissatisfied levels; "other" fits any level and needs the person's own words."""

    # 好评
    GUIDE_ACCURATE = "guide_accurate", _("The service guide was accurate and clear")
    FEW_MATERIALS = "few_materials", _("Only a few materials were needed")
    EASY_PROCESS = "easy_process", _("The process was simple and convenient")
    FAST = "fast", _("It was handled quickly")
    DONE_IN_ONE_GO = "done_in_one_go", _("Done in one go, without extra trips")
    ONLINE_EASY = "online_easy", _("Easy to do online")
    HELPFUL_STAFF = "helpful_staff", _("The staff were helpful and friendly")
    OUTCOME_CLEAR = "outcome_clear", _("The result and its reasons were clear")
    # 差评
    GUIDE_UNCLEAR = "guide_unclear", _("The service guide was inaccurate or unclear")
    TOO_MANY_MATERIALS = "too_many_materials", _("Too many materials were asked for")
    SEVERAL_TRIPS = "several_trips", _("I had to make several trips")
    OVERDUE = "overdue", _("It took longer than promised")
    NOT_TOLD_AT_ONCE = "not_told_at_once", _("I was not told everything needed at once")
    POOR_ATTITUDE = "poor_attitude", _("The staff were unhelpful or impolite")
    ONLINE_HARD = "online_hard", _("The online service was hard to use")
    OUTCOME_UNCLEAR = "outcome_unclear", _("The result or its reasons were not explained")
    # either
    OTHER = "other", _("Other (say what in your own words)")


GOOD_REASONS = (
    RatingReason.GUIDE_ACCURATE,
    RatingReason.FEW_MATERIALS,
    RatingReason.EASY_PROCESS,
    RatingReason.FAST,
    RatingReason.DONE_IN_ONE_GO,
    RatingReason.ONLINE_EASY,
    RatingReason.HELPFUL_STAFF,
    RatingReason.OUTCOME_CLEAR,
)
BAD_REASONS = (
    RatingReason.GUIDE_UNCLEAR,
    RatingReason.TOO_MANY_MATERIALS,
    RatingReason.SEVERAL_TRIPS,
    RatingReason.OVERDUE,
    RatingReason.NOT_TOLD_AT_ONCE,
    RatingReason.POOR_ATTITUDE,
    RatingReason.ONLINE_HARD,
    RatingReason.OUTCOME_UNCLEAR,
)


def reasons_for(level: int) -> tuple[RatingReason, ...]:
    """The reasons that fit a level: the good ones for a satisfied level, the bad ones otherwise."""
    return (*(GOOD_REASONS if level in SATISFIED_LEVELS else BAD_REASONS), RatingReason.OTHER)


class RatingChannel(models.TextChoices):
    WEB = "web", _("On the portal")
    API = "api", _("In the app")
    COUNTER = "counter", _("At a service counter")


class Rating(models.Model):
    """The applicant's rating of one ended case: one a case."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="rating")
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="ratings")
    level = models.PositiveSmallIntegerField(_("rating"), choices=RatingLevel)
    # RatingReason codes that fit the level
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    # the person's own words: erased when they close their account, the level and reasons kept
    text = models.TextField(_("comment"), blank=True, max_length=1000)
    channel = models.CharField(max_length=10, choices=RatingChannel, default=RatingChannel.WEB)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="rating_level_1_to_5"),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("service rating")
        verbose_name_plural = _("service ratings")

    def __str__(self) -> str:
        return f"rating of case {self.case_id}: {self.level}"

    @property
    def dissatisfied(self) -> bool:
        return self.level in DISSATISFIED_LEVELS

    def reason_items(self) -> list[dict[str, str]]:
        """The reasons with their labels in the active language."""
        return [
            {"code": code, "label": str(RatingReason(code).label)}
            for code in self.reasons
            if code in RatingReason.values
        ]

    def reason_labels(self) -> list[str]:
        return [item["label"] for item in self.reason_items()]


class FollowUpState(models.TextChoices):
    OPEN = "open", _("Being looked into")
    ANSWERED = "answered", _("Answered")


class FollowUp(models.Model):
    """The department's verification and rectification (核实整改) of a dissatisfied rating, answered to
    the applicant by a due date counted in working days."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("answer due by"), db_index=True)
    state = models.CharField(max_length=10, choices=FollowUpState, default=FollowUpState.OPEN, db_index=True)
    response = models.TextField(_("answer"), blank=True, max_length=2000)
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_on"], name="follow_up_queue")]
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up of a rating")
        verbose_name_plural = _("follow-ups of ratings")

    def __str__(self) -> str:
        return f"follow-up of {self.rating}"
