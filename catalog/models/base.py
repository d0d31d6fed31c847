"""The timestamps every catalog row carries and the constants the models share."""

from django import forms
from django.db import models
from django.utils import timezone

URL_MAX_LENGTH = 2048
NEGATIVE_PRICE = "A price cannot be negative."


class PastedURLFormField(forms.URLField):
    """A URL input without `maxlength`: a browser would cut a longer paste silently and
    save a broken link; the form's length check says what is wrong instead."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class LinkField(models.URLField):
    """A URLField whose forms refuse a too-long URL with an error instead of cutting it.

    Stored and migrated as a plain URLField.
    """

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PastedURLFormField, **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs


class TimeStampedQuerySet(models.QuerySet):
    """Keep `updated_at` honest on bulk writes, which skip `auto_now`."""

    def update(self, **kwargs):
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        fields = list(fields)
        if "updated_at" not in fields:
            fields.append("updated_at")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = TimeStampedQuerySet.as_manager()

    class Meta:
        abstract = True


class SlugKeyedQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)
