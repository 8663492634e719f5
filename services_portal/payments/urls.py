"""Finance pages, mounted at the site root under /finance/."""

from django.urls import path

from services_portal.payments import views

app_name = "payments"
urlpatterns = [
    path("finance/payments/", views.payments_page, name="payments"),
    path("finance/payments/<int:payment_id>/send-again/", views.payment_send_again, name="send_again"),
    path("finance/payment-batches/", views.batch_export, name="batch_export"),
    path("finance/payment-batches/<int:batch_id>.csv", views.batch_download, name="batch_download"),
    path("finance/payment-results/", views.results_upload, name="results_upload"),
]
