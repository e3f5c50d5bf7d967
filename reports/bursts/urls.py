from django.urls import path

from reports.bursts import views

urlpatterns = [
    path("", views.burst_list, name="burst_list"),
    path("void", views.burst_void_view, name="burst_void"),
    path("<int:pk>/undo", views.burst_undo_view, name="burst_undo"),
]
