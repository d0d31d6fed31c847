"""A shopper's own pages under /accounts/, beside allauth's sign-in and settings pages."""

from django.urls import path

from . import account_views as views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("saved/", views.SavedListView.as_view(), name="saved-list"),
    path("saved/<slug:slug>/add/", views.SaveProductView.as_view(), name="save-product"),
    path("saved/<slug:slug>/remove/", views.UnsaveProductView.as_view(), name="unsave-product"),
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/digest/", views.DigestView.as_view(), name="digest"),
    path("alerts/<slug:slug>/add/", views.AlertCreateView.as_view(), name="alert-add"),
    path("alerts/<int:pk>/remove/", views.AlertDeleteView.as_view(), name="alert-remove"),
    path("alerts/<int:pk>/active/", views.AlertPauseView.as_view(), name="alert-active"),
    path("following/", views.FollowingListView.as_view(), name="following-list"),
    path("following/<slug:slug>/add/", views.FollowArtistView.as_view(), name="follow-artist"),
    path(
        "following/<slug:slug>/remove/",
        views.UnfollowArtistView.as_view(),
        name="unfollow-artist",
    ),
]
