from django.urls import path

from decision import views

app_name = "decision"

urlpatterns = [
    path("", views.assess, name="assess"),
    path("assessments/", views.save_assessment, name="save"),
    path("assessments/<uuid:assessment_id>/", views.assessment, name="assessment"),
    path("assessments/<uuid:assessment_id>/pdf/", views.assessment_pdf, name="assessment_pdf"),
]
