from django.views.generic import DetailView, TemplateView

from catalog.models import Artist, Product, Retailer, Video


class HomeView(TemplateView):
    template_name = "storefront/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["featured_videos"] = Video.objects.published().featured().for_listing()[:8]
        context["artists"] = Artist.objects.all()[:24]
        return context


class ArtistDetailView(DetailView):
    queryset = Artist.objects.all()
    template_name = "storefront/artist_detail.html"


class VideoDetailView(DetailView):
    template_name = "storefront/video_detail.html"

    def get_queryset(self):
        return Video.objects.visible_to(self.request.user).for_detail()


class ProductDetailView(DetailView):
    template_name = "storefront/product_detail.html"

    def get_queryset(self):
        return Product.objects.visible_to(self.request.user).for_detail()


class RetailerDetailView(DetailView):
    queryset = Retailer.objects.all()
    template_name = "storefront/retailer_detail.html"
