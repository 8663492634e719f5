import yaml
from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiles.permissions import allowed
from services_portal.catalog import hooks
from services_portal.catalog.models import (
    Bundle,
    BundleItem,
    Category,
    Criterion,
    Department,
    LifeEvent,
    ServiceItem,
)
from services_portal.catalog.selectors import catalog_export
from services_portal.catalog.services import catalog_import, catalog_text_parse
from services_portal.core.errors import PortalError


class CatalogPolicy:
    """Catalog editors and administrators edit the catalog; the policy lives in profiles.permissions."""

    def _may_edit(self, request: HttpRequest, *args) -> bool:
        return allowed(request.user, "catalog.edit")

    has_module_permission = has_view_permission = _may_edit
    has_add_permission = has_change_permission = has_delete_permission = _may_edit


class CatalogEditorAdmin(CatalogPolicy, admin.ModelAdmin):
    pass


class CatalogFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Catalog file (YAML or JSON)"))


class CriterionInline(CatalogPolicy, admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ["position", "key", "label_zh", "label_en", "expression"]


@admin.register(ServiceItem)
class ServiceItemAdmin(CatalogEditorAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "category",
        "department",
        "proactive",
        "essential",
        "outreach",
        "is_published",
    ]
    list_filter = ["category", "department", "proactive", "essential", "outreach", "is_published", "life_events"]
    search_fields = ["code", "name_zh", "name_en"]
    filter_horizontal = ["life_events"]
    inlines = [CriterionInline]
    change_list_template = "admin/catalog/serviceitem/change_list.html"

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # with its life events saved: a service published now is pushed to their people after commit
        if form.instance.is_published and not (change and form.initial.get("is_published")):
            hooks.on_service_published(form.instance)

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="catalog_serviceitem_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="catalog_serviceitem_export"),
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not allowed(request.user, "catalog.edit"):
            return HttpResponse(status=403)
        form = CatalogFileForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8")
                report = catalog_import(data=catalog_text_parse(text))
            except UnicodeDecodeError:
                form.add_error("file", _("The file must be UTF-8 text."))
            except PortalError as error:
                form.add_error("file", error.message)
            if report and report.ok:
                messages.success(request, _("Catalog %(version)s imported.") % {"version": report.version})
                return redirect("admin:catalog_serviceitem_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "report": report,
            "opts": self.model._meta,
            "title": _("Import the catalog"),
        }
        return TemplateResponse(request, "admin/catalog/serviceitem/import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not allowed(request.user, "catalog.edit"):
            return HttpResponse(status=403)
        text = yaml.safe_dump(catalog_export(), allow_unicode=True, sort_keys=False, width=120)
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="catalog.yaml"'
        return response


class BundleItemInline(CatalogPolicy, admin.TabularInline):
    model = BundleItem
    extra = 1


@admin.register(Bundle)
class BundleAdmin(CatalogEditorAdmin):
    list_display = ["code", "name_zh", "name_en", "life_event"]
    inlines = [BundleItemInline]


@admin.register(LifeEvent)
class LifeEventAdmin(CatalogEditorAdmin):
    list_display = ["code", "name_zh", "name_en", "expression"]


admin.site.register(Department, CatalogEditorAdmin)
admin.site.register(Category, CatalogEditorAdmin)
