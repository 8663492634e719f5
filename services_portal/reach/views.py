"""The operator's view (态势感知) at /oversight/ and /oversight/<region>/, for region heads and administrators
(policy "reach.view"), scoped like staff: a region outside the scope is not found. Its tables export as CSV
and JSON at /oversight/<region>/<table>.<csv|json>, suppressed as on the page.

The views parse input, call the selectors and render."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from profiles.permissions import permission_required
from profiles.requests import AuthenticatedHttpRequest
from services_portal.reach.selectors import TABLES, oversight_path_for, oversight_region_for, reach_oversight

ALL_SERVICES = "all"


def _essential_only(request: AuthenticatedHttpRequest) -> bool:
    return request.GET.get("services") != ALL_SERVICES


@permission_required("reach.view")
@require_GET
def oversight_page(request: AuthenticatedHttpRequest, region_code: str | None = None) -> HttpResponse:
    region = oversight_region_for(request.user, region_code)
    essential_only = _essential_only(request)
    oversight = reach_oversight(region=region, essential_only=essential_only)
    charts = {key: table.chart for key, table in oversight.tables.items() if table.chart}
    context = {
        "oversight": oversight,
        "path": oversight_path_for(request.user, region),
        "charts": charts,
        "tables": [oversight.tables[key] for key in TABLES if key in oversight.tables],
        "services_query": "" if essential_only else f"?services={ALL_SERVICES}",
        "all_services": ALL_SERVICES,
        "within_days": settings.REACH_WITHIN_DAYS,
        "small_cell": settings.REACH_SMALL_CELL,
    }
    return render(request, "reach/oversight.html", context)


@permission_required("reach.view")
@require_GET
def oversight_export(request: AuthenticatedHttpRequest, region_code: str, table: str, fmt: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    region = oversight_region_for(request.user, region_code)
    oversight = reach_oversight(region=region, essential_only=_essential_only(request), only=[table])
    chosen = oversight.tables.get(table)
    if chosen is None:  # no figures taken yet, or a county's areas
        raise Http404
    name = f"oversight-{region.code}-{table}"
    if fmt == "json":
        body = {
            "region": region.code,
            "day": oversight.day.isoformat() if oversight.day else None,
            "essential_only": oversight.essential_only,
            **chosen.as_json(),
        }
        response: HttpResponse = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([column.label for column in chosen.columns])
        writer.writerows([row.get(column.key, "") for column in chosen.columns] for row in chosen.rows)
        # a byte-order mark, so spreadsheet programs read the Chinese as UTF-8
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
