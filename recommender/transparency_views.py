"""The public algorithm page (算法公示) at /algorithm/, and the auditor's download of the serving model's
full evaluation report at /algorithm/evaluation-report.zip (policy "recommender.read")."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from profiles.permissions import allowed
from recommender.transparency import evaluation_report_archive, serving_model, transparency_read


@require_GET
def algorithm_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "recommender/algorithm.html",
        {"transparency": transparency_read(), "may_download": allowed(request.user, "recommender.read")},
    )


@login_required
@require_GET
def evaluation_report_download(request: HttpRequest) -> HttpResponse:
    if not allowed(request.user, "recommender.read"):
        raise PermissionDenied
    model = serving_model()
    if model is None:
        raise Http404("No model is serving.")
    response = HttpResponse(evaluation_report_archive(model), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="recommender-model-v{model.version}-evaluation.zip"'
    return response
