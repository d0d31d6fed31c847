from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.models import Artist, Product, Retailer, Video


class PagesSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["storefront:home", "storefront:video-list", "storefront:artist-list"]

    def location(self, item):
        return reverse(item)


class ArtistSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Artist.objects.filter(videos__status=Video.Status.PUBLISHED).distinct()

    def lastmod(self, item):
        return item.updated_at


class VideoSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Video.objects.published().order_by("-release_date", "pk")

    def lastmod(self, item):
        return item.updated_at


class ProductSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Product.objects.published().order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class RetailerSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        return Retailer.objects.order_by("pk")

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "pages": PagesSitemap,
    "artists": ArtistSitemap,
    "videos": VideoSitemap,
    "products": ProductSitemap,
    "retailers": RetailerSitemap,
}
