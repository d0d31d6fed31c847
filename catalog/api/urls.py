from django.urls import path

from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter()
router.register("artists", views.ArtistViewSet)
router.register("videos", views.VideoViewSet)
router.register("video-sources", views.VideoSourceViewSet)
router.register("scenes", views.SceneViewSet)
router.register("cast-members", views.CastMemberViewSet)
router.register("appearances", views.AppearanceViewSet)
router.register("products", views.ProductViewSet)
router.register("product-images", views.ProductImageViewSet)
router.register("product-types", views.ProductTypeViewSet)
router.register("product-styles", views.ProductStyleViewSet)
router.register("retailers", views.RetailerViewSet)
router.register("offers", views.OfferViewSet)
router.register("webhooks", views.WebhookEndpointViewSet)

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    *router.urls,
]
