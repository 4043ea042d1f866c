from django.urls import path

from decision import views

app_name = "decision"

urlpatterns = [
    path("", views.assess, name="assess"),
]
