"""A shopper's own pages under /accounts/, beside allauth's sign-in and settings pages."""

from django.urls import path

from . import account_views as views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("saved/", views.SavedListView.as_view(), name="saved-list"),
    path("saved/<slug:slug>/add/", views.SaveProductView.as_view(), name="save-product"),
    path("saved/<slug:slug>/remove/", views.UnsaveProductView.as_view(), name="unsave-product"),
    path("following/", views.FollowingListView.as_view(), name="following-list"),
    path("following/<slug:slug>/add/", views.FollowArtistView.as_view(), name="follow-artist"),
    path(
        "following/<slug:slug>/remove/",
        views.UnfollowArtistView.as_view(),
        name="unfollow-artist",
    ),
]
