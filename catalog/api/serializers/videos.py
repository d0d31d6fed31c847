"""Artists, videos and their sources, scenes and cast."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError

from rest_framework import serializers

from catalog import review
from catalog.models import (
    Artist,
    CastMember,
    Scene,
    Video,
    VideoSource,
)

from .fields import TIMESTAMPS, ModelCleanSerializer, WebUrlField, slug_of


class ArtistSerializer(ModelCleanSerializer):
    web_url = WebUrlField()

    class Meta:
        model = Artist
        fields = [
            "id",
            "name",
            "slug",
            "first_name",
            "last_name",
            "bio",
            "image",
            "web_url",
            *TIMESTAMPS,
        ]


class ArtistBriefSerializer(serializers.ModelSerializer):
    web_url = WebUrlField()

    class Meta:
        model = Artist
        fields = ["id", "name", "slug", "web_url"]


class VideoSerializer(ModelCleanSerializer):
    artists = ArtistBriefSerializer(many=True, read_only=True)
    artist_slugs = slug_of(
        Artist,
        source="artists",
        many=True,
        required=False,
        write_only=True,
        help_text="On write: the slugs of the video's artists.",
    )
    web_url = WebUrlField()

    class Meta:
        model = Video
        fields = [
            "id",
            "title",
            "slug",
            "artists",
            "artist_slugs",
            "description",
            "thumbnail",
            "duration",
            "release_date",
            "status",
            "is_featured",
            "web_url",
            *TIMESTAMPS,
        ]

    def validate_status(self, value):
        """Publishing is for reviewers (catalog/review.py), through the API too."""
        current = self.instance.status if self.instance else None
        try:
            review.check_transition(current, value, self.context["request"].user)
        except DjangoPermissionDenied as exc:
            raise serializers.ValidationError(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class VideoSourceBriefSerializer(serializers.ModelSerializer):
    playback_url = serializers.CharField(read_only=True)

    class Meta:
        model = VideoSource
        fields = ["id", "provider", "external_id", "url", "offset", "is_primary", "playback_url"]


class SceneBriefSerializer(serializers.ModelSerializer):
    start_seconds = serializers.FloatField(read_only=True)
    end_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = Scene
        fields = ["id", "title", "start", "end", "start_seconds", "end_seconds"]


class VideoDetailSerializer(VideoSerializer):
    sources = VideoSourceBriefSerializer(many=True, read_only=True)
    scenes = SceneBriefSerializer(many=True, read_only=True)

    class Meta(VideoSerializer.Meta):
        fields = [*VideoSerializer.Meta.fields, "sources", "scenes"]


def video_page(obj):
    return obj.video.get_absolute_url()


class VideoSourceSerializer(ModelCleanSerializer):
    video = slug_of(Video)
    file = serializers.FileField(read_only=True)
    playback_url = serializers.CharField(read_only=True)
    web_url = WebUrlField(path=video_page)

    class Meta:
        model = VideoSource
        fields = [
            "id",
            "video",
            "provider",
            "external_id",
            "url",
            "file",
            "offset",
            "is_primary",
            "playback_url",
            "web_url",
            *TIMESTAMPS,
        ]


class CastMemberSerializer(ModelCleanSerializer):
    video = slug_of(Video)
    artist = slug_of(Artist, required=False, allow_null=True)
    web_url = WebUrlField(path=video_page)

    class Meta:
        model = CastMember
        fields = [
            "id",
            "video",
            "name",
            "performer_name",
            "artist",
            "web_url",
            *TIMESTAMPS,
        ]


class CastMemberBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CastMember
        fields = ["id", "name", "performer_name"]


class SceneSerializer(ModelCleanSerializer):
    video = slug_of(Video)
    cast_members = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CastMember.objects.all()
    )
    start_seconds = serializers.FloatField(read_only=True)
    end_seconds = serializers.FloatField(read_only=True)
    web_url = WebUrlField()

    class Meta:
        model = Scene
        fields = [
            "id",
            "video",
            "title",
            "start",
            "end",
            "start_seconds",
            "end_seconds",
            "cast_members",
            "web_url",
            *TIMESTAMPS,
        ]
