from django.urls import path

from . import clickout, currency, integration_views, views

app_name = "storefront"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("artists/", views.ArtistListView.as_view(), name="artist-list"),
    path("artists/<slug:slug>/", views.ArtistDetailView.as_view(), name="artist-detail"),
    path("videos/", views.VideoListView.as_view(), name="video-list"),
    path("videos/<slug:slug>/", views.VideoDetailView.as_view(), name="video-detail"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="product-detail"),
    path("retailers/<slug:slug>/", views.RetailerDetailView.as_view(), name="retailer-detail"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("go/<int:offer_id>/", clickout.go, name="go"),
    path(
        "unsubscribe/<str:token>/",
        integration_views.UnsubscribeView.as_view(),
        name="unsubscribe",
    ),
    path(
        "embed/videos/<slug:slug>/",
        integration_views.EmbedVideoView.as_view(),
        name="embed-video",
    ),
    path("oembed", integration_views.oembed, name="oembed"),
    path(
        "share/scenes/<int:pk>/",
        integration_views.SharePageView.as_view(kind="scene"),
        name="share-scene",
    ),
    path(
        "share/scenes/<int:pk>/card.png",
        integration_views.share_card,
        {"kind": "scene"},
        name="share-scene-card",
    ),
    path(
        "share/products/<slug:slug>/",
        integration_views.SharePageView.as_view(kind="product"),
        name="share-product",
    ),
    path(
        "share/products/<slug:slug>/card.png",
        integration_views.share_card,
        {"kind": "product"},
        name="share-product-card",
    ),
    path("currency/", currency.choose_currency, name="choose-currency"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path(
        "sitemap-<slug:section>-<int:page>.xml",
        views.sitemap_section,
        name="sitemap-section",
    ),
    path(
        "feeds/products.<str:fmt>",
        integration_views.merchant_feed,
        name="merchant-feed",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
]
