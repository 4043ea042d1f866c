# Interim views: the clinician form, the printable summary and the PDF are being built (issue 5).
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST


@require_GET
def assess(request: HttpRequest) -> HttpResponse:
    return render(request, "decision/assess.html")


@require_POST
def save_assessment(request: HttpRequest) -> HttpResponse:
    raise Http404


@require_GET
def assessment(request: HttpRequest, assessment_id) -> HttpResponse:
    raise Http404


@require_GET
def assessment_pdf(request: HttpRequest, assessment_id) -> HttpResponse:
    raise Http404
