"""The finance pages and API, and the person's own payments: finance of the region only, reads logged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from profiles.models import AccessChannel, AccessLogEntry, Role
from services_portal.casework.models import Case, CaseState
from services_portal.payments.models import Payment, PaymentState
from tests.factories import MODEL_BACKEND, StaffFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def result_file(batch_id: int, reference: str, *rows: str) -> SimpleUploadedFile:
    today = timezone.localdate().isoformat()
    content = "batch,reference,result,amount_cny,paid_on,failure_code,failure_reason\n"
    content += f"{batch_id},{reference},paid,3600.00,{today},,\n"
    content += "".join(row + "\n" for row in rows)
    return SimpleUploadedFile("result.csv", content.encode(), content_type="text/csv")


@pytest.mark.parametrize("role", [None, Role.CASEWORKER, Role.COUNTER_STAFF, Role.AUDITOR])
def test_only_finance_reaches_the_finance_pages_and_api(client, api_client, approved_case, citizen, role):
    user = citizen.user if role is None else StaffFactory(role=role)
    client.force_login(user, backend=MODEL_BACKEND)
    api_client.force_authenticate(user=user)
    assert client.get("/finance/payments/").status_code == 403
    assert client.post("/finance/payment-batches/").status_code == 403
    assert api_client.get("/api/v1/finance/payments/").status_code == 403
    assert api_client.post("/api/v1/finance/payment-batches/").status_code == 403
    assert Payment.objects.get().state == PaymentState.PENDING


def test_the_finance_page_lists_filters_and_totals(client, approved_case, bank_account, finance, parent):
    client.force_login(finance, backend=MODEL_BACKEND)
    page = client.get("/finance/payments/?state=pending", **EN)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"P{approved_case.pk:010d}" in html and "3,600.00" in html
    # showing the person is a read of their data, logged
    assert AccessLogEntry.objects.filter(subject=parent, actor=finance, channel=AccessChannel.PAGE).exists()
    assert f"P{approved_case.pk:010d}" not in client.get("/finance/payments/?state=paid", **EN).content.decode()
    assert client.get("/finance/payments/?period=bad%20period", **EN).status_code == 400


def test_finance_elsewhere_sees_nothing(client, approved_case, bank_account):
    elsewhere = StaffFactory(role=Role.FINANCE, region_scope="450200")
    client.force_login(elsewhere, backend=MODEL_BACKEND)
    html = client.get("/finance/payments/", **EN).content.decode()
    assert f"P{approved_case.pk:010d}" not in html
    assert not AccessLogEntry.objects.filter(actor=elsewhere).exists()


def test_export_and_results_through_the_pages(client, approved_case, bank_account, finance):
    client.force_login(finance, backend=MODEL_BACKEND)
    download = client.post("/finance/payment-batches/")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download.content.startswith(b"\xef\xbb\xbf")
    payment = Payment.objects.get()
    reference = payment.reference
    again = client.get(f"/finance/payment-batches/{payment.batch_id}.csv")
    assert again.content == download.content
    # the result file with one good row and one bad row: the report shows both
    upload = result_file(payment.batch_id, reference, f"{payment.batch_id},P0000000000,paid,1.00,2026-01-01,,")
    response = client.post("/finance/payment-results/", {"file": upload}, **EN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rejected rows" in html and "P0000000000" in html
    assert Case.objects.get(pk=approved_case.pk).state == CaseState.DELIVERED
    # nothing left: the page says so
    response = client.post("/finance/payment-batches/", follow=True, **EN)
    assert "No payment is waiting" in response.content.decode()


def test_export_and_results_through_the_api(api_client, approved_case, bank_account, finance, parent):
    api_client.force_authenticate(user=finance)
    listed = api_client.get("/api/v1/finance/payments/", {"state": "pending"}).json()
    [row] = listed["results"]
    assert row["account_masked"] == "" and row["amount_cny"] == "3600.00"
    exported = api_client.post("/api/v1/finance/payment-batches/")
    assert exported.status_code == 200 and b"6222021234567890128" in exported.content
    batch_id = int(exported["X-Payment-Batch"])
    upload = result_file(batch_id, row["reference"], f"{batch_id},{row['reference']},paid,3600.00,nonsense,,")
    report = api_client.post("/api/v1/finance/payment-results/", {"file": upload}, format="multipart").json()
    assert (report["paid"], report["applied"], report["already_applied"]) == (1, 1, 1)
    assert report["rejected"] == []  # the second row is the same result: already applied
    bad = api_client.post(
        "/api/v1/finance/payment-results/",
        {"file": SimpleUploadedFile("r.csv", b"reference\nP1\n")},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "file_columns"
    # the person sees the date it was paid, on their case
    api_client.force_authenticate(user=parent.user)
    [mine] = api_client.get(f"/api/v1/me/cases/{approved_case.pk}/payments/").json()
    assert (mine["state"], mine["paid_on"], mine["account_masked"]) == (
        "paid",
        timezone.localdate().isoformat(),
        "6222 **** **** 0128",
    )


def test_a_person_reads_only_their_own_case_payments(api_client, approved_case, other_citizen):
    api_client.force_authenticate(user=other_citizen.user)
    assert api_client.get(f"/api/v1/me/cases/{approved_case.pk}/payments/").status_code == 404


def test_the_case_part_asks_for_a_bank_account_while_none(approved_case, parent):
    from django.test import RequestFactory

    from services_portal.payments.parts import case_payments_part

    request = RequestFactory().get("/", **EN)
    request.user = parent.user
    html = case_payments_part(Case.objects.get(pk=approved_case.pk), request)
    assert "/me/bank-account/" in html


def test_the_pages_speak_chinese_and_finance_finds_its_page(client, approved_case, bank_account, finance, parent):
    client.force_login(finance, backend=MODEL_BACKEND)
    html = client.get("/finance/payments/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "补贴拨付" in html and "生成并下载拨付文件" in html
    assert 'href="/finance/payments/" aria-current="page"' in html
    client.force_login(parent.user, backend=MODEL_BACKEND)
    html = client.get("/me/bank-account/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您领取补贴的银行账户" in html and "6222 **** **** 0128" in html


def test_a_payment_file_is_downloaded_again_only_by_finance_of_its_region(client, approved_case, bank_account, finance):
    client.force_login(finance, backend=MODEL_BACKEND)
    client.post("/finance/payment-batches/")
    batch_id = Payment.objects.get().batch_id
    assert client.get(f"/finance/payment-batches/{batch_id}.csv").status_code == 200
    client.force_login(StaffFactory(role=Role.FINANCE, region_scope="450200"), backend=MODEL_BACKEND)
    assert client.get(f"/finance/payment-batches/{batch_id}.csv").status_code == 404
