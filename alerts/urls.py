from django.urls import path

from alerts import apis, views

urlpatterns = [
    path("s/<slug:slug>/notify/", views.notify, name="alerts_notify"),
    path("alerts/confirm/<str:signed>/", views.confirm, name="alerts_confirm"),
    path("alerts/unsubscribe/<str:signed>/", views.unsubscribe, name="alerts_unsubscribe"),
    path(
        "api/v1/services/<slug:slug>/subscriptions",
        apis.SubscriptionCreateApi.as_view(),
        name="api_subscription_create",
    ),
    path(
        "api/v1/subscriptions/<int:pk>",
        apis.SubscriptionDetailApi.as_view(),
        name="api_subscription_detail",
    ),
    path(
        "api/v1/subscriptions/<int:pk>/secret/rotate",
        apis.SubscriptionSecretRotateApi.as_view(),
        name="api_subscription_secret_rotate",
    ),
    path(
        "api/v1/subscriptions/<int:pk>/deliveries",
        apis.SubscriptionDeliveriesApi.as_view(),
        name="api_subscription_deliveries",
    ),
]
