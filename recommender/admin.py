from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.admin import ReadOnlyAdmin
from profiles.permissions import allowed
from recommender.models import RecommenderModel
from recommender.services.training import model_activate
from recommender.tasks import train
from services_portal.core.errors import PortalError


@admin.register(RecommenderModel)
class RecommenderModelAdmin(ReadOnlyAdmin):
    """The model registry: auditors read it, administrators train and choose the model that serves."""

    list_display = ["version", "status", "created_at", "window_end", "ndcg", "people_count", "interaction_count"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in RecommenderModel._meta.fields]
    actions = ["serve"]
    change_list_template = "admin/recommender/recommendermodel/change_list.html"

    def _may_read(self, request: HttpRequest, obj: RecommenderModel | None = None) -> bool:
        return allowed(request.user, "recommender.read")

    has_module_permission = has_view_permission = _may_read

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return allowed(request.user, "recommender.manage")

    @admin.display(description=gettext_lazy("NDCG@10 on its hold-out"))
    def ndcg(self, model: RecommenderModel) -> str:
        value = model.metrics.get("ndcg@10")
        return "–" if value is None else f"{value:.4f}"

    @admin.action(description=gettext_lazy("Serve the selected model"), permissions=["manage"])
    def serve(self, request: HttpRequest, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one model to serve."), messages.ERROR)
            return
        try:
            model = model_activate(model_id=queryset.get().pk)
        except PortalError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, _("Model v%(version)s is serving now.") % {"version": model.version})

    def get_urls(self):
        extra = [path("train/", self.admin_site.admin_view(self.train_view), name="recommender_recommendermodel_train")]
        return extra + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "may_train": self.has_manage_permission(request)}
        return super().changelist_view(request, extra_context)

    def train_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_manage_permission(request):
            return HttpResponse(status=403)
        train.delay()
        self.message_user(
            request, _("Training started. The new model appears here when it is done, serving if it is no worse.")
        )
        return redirect("admin:recommender_recommendermodel_changelist")
