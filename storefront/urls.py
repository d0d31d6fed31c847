from django.urls import path

from . import views

app_name = "storefront"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("artists/<slug:slug>/", views.ArtistDetailView.as_view(), name="artist-detail"),
    path("videos/<slug:slug>/", views.VideoDetailView.as_view(), name="video-detail"),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="product-detail"),
    path("retailers/<slug:slug>/", views.RetailerDetailView.as_view(), name="retailer-detail"),
]
