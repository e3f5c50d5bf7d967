"""The product's URLs plus the bench's comparison views."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    # Under /api/ like the intake, so both go through exactly the same middleware.
    path("api/bench/bare", views.bare),
    # The same view through the intake's lean stack (bench/settings.py): the intake's ratio
    # to it is the ratio with no difference in middleware at all.
    path("api/bench/bare-lean", views.bare),
    path("bench/drf/services/<str:slug>/reports", views.DrfReportCreate.as_view()),
    *product_urlpatterns,
]
