"""The person's inbox (/me/inbox/): notifications in the page language, unread ones first."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiles.requests import AuthenticatedHttpRequest
from profiles.selectors import citizen_of
from services_portal.core.i18n import active_suffix
from services_portal.notifications.models import Notification
from services_portal.notifications.selectors import inbox_for, inbox_unread_first
from services_portal.notifications.services import notification_mark_read

INBOX_PAGE_SIZE = 20


@dataclass(frozen=True)
class InboxItem:
    """A notification as the page shows it: in the page language, as it was written when it was sent."""

    notification: Notification
    title: str
    body: str

    @classmethod
    def of(cls, notification: Notification) -> InboxItem:
        suffix = active_suffix()
        return cls(
            notification,
            getattr(notification, f"title_{suffix}") or notification.title_zh,
            getattr(notification, f"body_{suffix}") or notification.body_zh,
        )


@login_required
@require_GET
def inbox_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    citizen = citizen_of(request.user)
    paginator = Paginator(inbox_unread_first(citizen), request.display.page_size(INBOX_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": [InboxItem.of(notification) for notification in page],
        "unread": inbox_for(citizen, unread_only=True).count(),
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def notification_read(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    notification = notification_mark_read(citizen=citizen_of(request.user), notification_id=notification_id)
    messages.success(request, _("Marked as read: %(title)s") % {"title": InboxItem.of(notification).title})
    return redirect("notifications:inbox")


@login_required
@require_GET
def notification_open(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link; following it is reading it (marking it again changes nothing)."""
    notification = notification_mark_read(citizen=citizen_of(request.user), notification_id=notification_id)
    link = notification.link
    local = url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if link and local:
        return HttpResponseRedirect(link)
    return redirect("notifications:inbox")
