"""Casework's services: detection (proactive cases), applications (online and at the counter), the
transitions of a case, and what happens to cases when the person's data must go."""

from services_portal.casework.errors import CaseConflict, CaseNotFound
from services_portal.casework.services.data_rights import cases_account_closed, cases_consent_withdrawn
from services_portal.casework.services.detection import (
    benefit_period,
    cases_detect,
    cases_people_reassess,
    criteria_record,
    period_of,
)
from services_portal.casework.services.reassessment import (
    Reassessment,
    benefits_reassess,
    review_case_event,
    review_respond,
    reviews_people_reassess,
)
from services_portal.casework.services.transitions import (
    case_accept,
    case_approve,
    case_deliver,
    case_in_scope,
    case_news_push,
    case_object,
    case_refuse,
    case_reject,
    case_return,
    case_withdraw,
    materials_missing,
    required_materials,
)

__all__ = [
    "CaseConflict",
    "CaseNotFound",
    "Reassessment",
    "benefit_period",
    "benefits_reassess",
    "case_accept",
    "case_approve",
    "case_deliver",
    "case_in_scope",
    "case_news_push",
    "case_object",
    "case_refuse",
    "case_reject",
    "case_return",
    "case_withdraw",
    "cases_account_closed",
    "cases_consent_withdrawn",
    "cases_detect",
    "cases_people_reassess",
    "criteria_record",
    "materials_missing",
    "period_of",
    "required_materials",
    "review_case_event",
    "review_respond",
    "reviews_people_reassess",
]
