import datetime
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from profiles.models import Citizen, ConsentChannel, FactSource, Role, User
from profiles.purposes import Purpose
from profiles.resident_id import check_character
from profiles.services.accounts import citizen_for_resident_id, citizen_register
from profiles.services.bank_accounts import bank_account_record
from profiles.services.consent import consent_grant
from profiles.services.facts import facts_self_declare
from profiles.services.identity import activation_code_issue, identity_complete, person_record_at_counter
from recommender.models import InteractionChannel, RecommenderModel
from recommender.services.interactions import interaction_record
from recommender.simulator import population_simulate
from recommender.tasks import sweep
from services_portal.feeds.services import feed_batch_ingest
from services_portal.reach.models import ReachEntry, ReachFigure
from services_portal.reach.services.escalation import reach_escalate
from services_portal.reach.services.figures import reach_figures_take
from services_portal.reach.services.ledger import reach_events_apply, reach_ledger_refresh

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - embedded demo only; refused in production below
DEMO_STAFF = [
    # user name, role, region scope, department
    ("admin", Role.ADMINISTRATOR, "450000", ""),
    ("caseworker", Role.CASEWORKER, "450100", ""),
    ("caseworker2", Role.CASEWORKER, "450100", ""),
    # the three departments of the birth bundle, each seeing only its own services' applications
    ("health-caseworker", Role.CASEWORKER, "450100", "health"),
    ("police-caseworker", Role.CASEWORKER, "450100", "public_security"),
    ("insurance-caseworker", Role.CASEWORKER, "450100", "healthcare_security"),
    ("finance", Role.FINANCE, "450100", ""),
    ("counter", Role.COUNTER_STAFF, "450103", ""),
    ("auditor", Role.AUDITOR, "450000", ""),
    # the head of Nanning's government: the operator's view of the city and its counties (/oversight/)
    ("region-head", Role.REGION_HEAD, "450100", ""),
    ("editor", Role.CATALOG_EDITOR, "", ""),
    ("health-feed", Role.DEPARTMENT_FEED, "", "health"),
    ("police-feed", Role.DEPARTMENT_FEED, "", "public_security"),
]
DEMO_PARENT_ID_FIRST_17 = "45010319900315002"
# The account the demo parent's benefits are paid into (a valid card number: Luhn check digit).
DEMO_PARENT_BANK = ("中国工商银行", "6222021234567890128")
# A person the health department knows with a name and a mobile number, who has not signed up: to try
# verifying an account by a code by text message (the console SMS backend prints it).
DEMO_PATIENT_ID_FIRST_17 = "45010319850607004"
DEMO_PATIENT_NAME = "王芳"
DEMO_PATIENT_PHONE = "13800138000"
# An 83-year-old in Qingxiu District who does not use the portal: she agreed at the counter that departments
# may send her records, and the public security bureau delivers her age, household registration, address
# and mobile number. Eligible for the old-age allowance and not reached, she is on the counter's outreach
# list with a phone to call and an address to visit.
DEMO_ELDER_ID_FIRST_17 = "45010319430412026"
DEMO_ELDER_NAME = "赵桂兰"
DEMO_ELDER_PHONE = "13800138026"
DEMO_ELDER_ADDRESS = "南宁市青秀区民族大道88号3栋2单元501室"
# The reach ledger as if kept this many days: the operator's view has a trend to show.
DEMO_REACH_DAYS = 10
# A simulated province small enough to set up in seconds and large enough for the models to learn from.
DEMO_POPULATION = 2000


class Command(BaseCommand):
    help = "Load the catalog and the demo data into an embedded (local) portal. Safe to run again."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_setup is for the embedded portal only; use catalog_import in production.")
        call_command("catalog_import", str(settings.CATALOG_DATA_FILE), stdout=self.stdout, stderr=self.stderr)
        staff = {name: self._staff(name, role, scope, department) for name, role, scope, department in DEMO_STAFF}
        parent_id = DEMO_PARENT_ID_FIRST_17 + check_character(DEMO_PARENT_ID_FIRST_17)
        parent = self._parent_with_a_newborn(parent_id, staff["health-feed"], staff["counter"])
        patient_id = DEMO_PATIENT_ID_FIRST_17 + check_character(DEMO_PATIENT_ID_FIRST_17)
        self._known_to_the_health_department(patient_id, staff["health-feed"])
        elder_id = DEMO_ELDER_ID_FIRST_17 + check_character(DEMO_ELDER_ID_FIRST_17)
        self._offline_elder(elder_id, staff["police-feed"], staff["counter"])
        self._recommender(parent)
        self._reach()
        self.stdout.write(
            "Demo ready at http://127.0.0.1:8000/ — every demo password is "
            f"{DEMO_PASSWORD}.\n"
            f"  citizen: sign in with resident ID {parent_id} (a parent whose baby's birth the health feed\n"
            "           delivered: see /me/, apply for the birth bundle at /bundles/birth/apply/ and follow\n"
            "           it under /me/cases/; README 'Apply, follow, get paid' walks it through to payment)\n"
            "           and /me/for-you/ for the services the recommender suggests, with the reasons why\n"
            "           (verified at the counter: staff checked the ID card and printed an activation code)\n"
            f"  verify:  sign up with resident ID {patient_id} and the name {DEMO_PATIENT_NAME}: the account\n"
            "           sees nothing of that person until it proves who it is. At /account/verify/ ask for a\n"
            "           code by text message: the health department holds this person's mobile number, and\n"
            "           the code is printed on this console. Or sign in as counter, look the number up,\n"
            "           and print an activation code\n"
            "  staff:   caseworker and caseworker2 (/casework/, the childcare subsidy needs both),\n"
            "           health-caseworker, police-caseworker and insurance-caseworker (their department's\n"
            "           applications), finance (/finance/payments/), auditor (/audit/), editor and admin\n"
            "           (/admin/), counter (/counter/outreach/: people to call or visit, among them\n"
            f"           {DEMO_ELDER_NAME}, 83, not online), region-head (/oversight/: reach of services in Nanning,\n"
            "           drilling down to its counties; README 'Nobody left unreached (the demo)')"
        )

    def _staff(self, username: str, role: str, scope: str, department: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"role": role, "region_scope": scope, "department": department}
        )
        if created:
            user.is_superuser = role == Role.ADMINISTRATOR
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _known_to_the_health_department(self, resident_id: str, health_feed: User) -> None:
        """The health department delivers a person's name and mobile number (identity facts: stored without
        consent, only to prove who they are), which makes their record."""
        rows = [
            {"resident_id": resident_id, "fact": "full_name", "value": DEMO_PATIENT_NAME, "observed_at": "2025-01-01"},
            {
                "resident_id": resident_id,
                "fact": "mobile_phone",
                "value": DEMO_PATIENT_PHONE,
                "observed_at": "2025-01-01",
            },
        ]
        feed_batch_ingest(account=health_feed, batch_id="DEMO-IDENTITY-1", rows=rows)

    def _offline_elder(self, resident_id: str, police_feed: User, counter: User) -> None:
        """Counter staff recorded her and her consents at the counter; the public security bureau's feed
        delivers what makes her eligible and how to reach her."""
        if citizen_for_resident_id(resident_id) is None:
            elder = person_record_at_counter(
                staff=counter, resident_id=resident_id, name=DEMO_ELDER_NAME, region_code="450103"
            )
            for purpose in (Purpose.DATA_MATCHING, Purpose.NOTIFY_COUNTER):
                consent_grant(citizen=elder, purpose=purpose, channel=ConsentChannel.COUNTER, witness=counter)
        observed = "2025-06-01"
        values = {
            "birth_date": "1943-04-12",
            "hukou_region_code": "450103",
            "address": DEMO_ELDER_ADDRESS,
            "mobile_phone": DEMO_ELDER_PHONE,
        }
        rows = [
            {"resident_id": resident_id, "fact": fact, "value": value, "observed_at": observed}
            for fact, value in values.items()
        ]
        feed_batch_ingest(account=police_feed, batch_id="DEMO-ELDER-1", rows=rows)

    def _reach(self) -> None:
        """The reach ledger as if kept for DEMO_REACH_DAYS: everyone eligible since then, the escalation
        rule's two steps taken when they fell due (a reminder, then the counter), what reached people read
        from what happened, and a day's figures for each day, for the operator's view."""
        if ReachFigure.objects.exists():
            return
        # The demo's past is simulated, as the benchmarks' is: time-machine (installed with `make demo`'s
        # development packages) moves the clock to each morning a step fell due, so that the reminders are
        # pushed and delivered then, and the ledger reads them as they would have happened.
        import time_machine

        local = timezone.get_current_timezone()
        began = datetime.datetime.combine(
            timezone.localdate() - datetime.timedelta(days=DEMO_REACH_DAYS), datetime.time(10), local
        )
        ledger = reach_ledger_refresh(now=began)
        # the people whose records the demo's feeds delivered a moment ago were entered then: as if before
        ReachEntry.objects.filter(eligible_at__gt=began).update(eligible_at=began)
        escalated = []
        for days in (3, 6):
            moment = began + datetime.timedelta(days=days)
            with time_machine.travel(moment, tick=False):
                escalated.append(reach_escalate(now=moment))
        reach_events_apply()
        for day in range(DEMO_REACH_DAYS + 1):
            reach_figures_take(on=timezone.localdate(began + datetime.timedelta(days=day)))
        self.stdout.write(
            f"reach: {ledger.eligible:,} people and services eligible; escalated with "
            f"{escalated[0].pushes:,} reminders, then {escalated[1].outreach_tasks:,} outreach tasks"
        )

    def _recommender(self, parent) -> None:
        """A simulated province, the parent's own use of the portal, and a trained model serving."""
        if RecommenderModel.objects.exists():
            return
        population_simulate(people=DEMO_POPULATION, stdout=self.stdout)
        for code, kind in (("gx-birth-medical-certificate", "complete"), ("gx-newborn-hukou", "apply")):
            interaction_record(citizen=parent, service_code=code, kind=kind, channel=InteractionChannel.WEB)
        call_command("recommender_train", stdout=self.stdout)
        # the daily sweep once now: what the recommender found goes out, to the inbox, by text message,
        # or, for people who are not online, to the outreach list of their counter
        self.stdout.write(f"sweep: {sweep.delay().get()} people looked at")

    def _parent_with_a_newborn(self, resident_id: str, health_feed: User, counter: User) -> Citizen:
        """A citizen who agreed to data matching, sensitive facts and benefits without applying, and the
        health department's feed delivering their baby's birth: detection opens a childcare case. The
        parent verified their account at the counter: staff checked the ID card, recorded the person and
        printed an activation code, which the parent entered in the account they opened online."""
        parent = citizen_for_resident_id(resident_id)
        if parent is None or parent.user_id is None:
            if parent is None:
                parent = person_record_at_counter(
                    staff=counter, resident_id=resident_id, name="李华", region_code="450103"
                )
            _code, plain = activation_code_issue(staff=counter, citizen=parent)
            account = citizen_register(resident_id=resident_id, name="李华", password=DEMO_PASSWORD)
            parent = identity_complete(citizen=account, method="counter", data={"code": plain})
            for purpose in Purpose:
                consent_grant(citizen=parent, purpose=purpose, channel=ConsentChannel.WEB)
            place = {"region_code": "450103", "hukou_region_code": "450103", "hukou_type": "urban"}
            facts_self_declare(citizen=parent, values=place)
            bank_name, account_number = DEMO_PARENT_BANK
            bank_account_record(
                citizen=parent,
                bank_name=bank_name,
                account_number=account_number,
                holder_name="李华",
                source=FactSource.SELF_DECLARED,
            )
            # the parent uses the portal: pushes reach them in the inbox rather than at the counter
            User.objects.filter(citizen=parent).update(last_login=timezone.now())
        born = timezone.localdate() - datetime.timedelta(days=30)
        rows: list[dict[str, Any]] = [
            {
                "resident_id": resident_id,
                "fact": "children_birth_dates",
                "value": [born.isoformat()],
                "observed_at": born.isoformat(),
            },
            {"resident_id": resident_id, "fact": "birth_date", "value": "1990-03-15", "observed_at": "2024-01-01"},
        ]
        feed_batch_ingest(account=health_feed, batch_id="DEMO-BIRTH-1", rows=rows)
        return parent
