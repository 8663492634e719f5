from django.contrib.auth.views import LogoutView
from django.urls import path

from profiles import identity_views, views

app_name = "profiles"
urlpatterns = [
    path("account/signup/", views.signup_page, name="signup"),
    path("account/login/", views.LoginPage.as_view(), name="login"),
    path("account/login/code/", views.login_code_page, name="login_code"),
    path("account/logout/", LogoutView.as_view(), name="logout"),
    path("account/closed/", views.account_closed_page, name="account_closed"),
    path("account/verify/", identity_views.verify_page, name="verify"),
    path("account/password-reset/", views.password_reset_page, name="password_reset"),
    path("account/password-reset/code/", views.password_reset_confirm_page, name="password_reset_confirm"),
    path("account/password/", views.password_change_page, name="password_change"),
    path("me/devices/", views.devices_page, name="devices"),
    path("me/", views.profile_page, name="profile"),
    path("me/facts/", views.facts_edit_page, name="facts_edit"),
    path("me/facts/report/", views.fact_error_report_page, name="fact_error_report"),
    path("me/tags/", views.tags_page, name="tags"),
    path("me/consents/", views.consents_page, name="consents"),
    path("me/personalisation/", views.personalisation_page, name="personalisation"),
    path("me/access-log/", views.access_log_page, name="access_log"),
    path("me/bank-account/", views.bank_account_page, name="bank_account"),
    path("me/export/", views.export_page, name="export"),
    path("me/export.json", views.export_json, name="export_json"),
    path("me/close/", views.close_page, name="close"),
    path("audit/", views.audit_home, name="audit"),
    path("audit/access-log/", views.audit_access_log_page, name="audit_access_log"),
    path("audit/access-log.csv", views.audit_access_log_csv, name="audit_access_log_csv"),
]
