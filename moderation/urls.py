from django.urls import path

from moderation import views

app_name = "moderation"
urlpatterns = [
    path("incidents/", views.incident_queue, name="incident_queue"),
    path("incidents/<int:pk>/", views.incident_review, name="incident_review"),
]
