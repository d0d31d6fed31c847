"""Review before publishing: which status a video may move to, and who may move it.

    draft ──submit──▶ in review ──publish──▶ published ──unpublish──▶ unpublished
      ▲                  │                                               │
      └────send back─────┘◀──────────────────submit──────────────────────┘

Only "published" is public. Reviewers (the group holding `catalog.publish_video`) publish;
curators submit for review. With `CATALOG_REVIEW_REQUIRED` off, whoever may change a video
may publish it, from any state. The admin's form and actions, the API and the studio all
ask `check_transition()`.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Video

Status = Video.Status

TRANSITIONS = {
    Status.DRAFT: {Status.IN_REVIEW, Status.PUBLISHED},
    Status.IN_REVIEW: {Status.DRAFT, Status.PUBLISHED},
    Status.PUBLISHED: {Status.UNPUBLISHED, Status.DRAFT},
    Status.UNPUBLISHED: {Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED},
}

NOT_ALLOWED = "A video cannot go from {current} to {target}."
REVIEWERS_ONLY = "Only reviewers may publish videos; submit it for review instead."


def review_required() -> bool:
    return settings.CATALOG_REVIEW_REQUIRED


def can_publish(user) -> bool:
    if not user.has_perm("catalog.change_video"):
        return False
    return not review_required() or user.has_perm("catalog.publish_video")


def allowed_statuses(current: str | None, user) -> list[str]:
    """Return the statuses `user` may give a video that now has `current` (None: a new one)."""
    targets = set(TRANSITIONS[Status(current)]) if current else set(Status.values)
    if not review_required() and current:
        targets.add(Status.PUBLISHED)
    if not can_publish(user):
        targets.discard(Status.PUBLISHED)
    if current:
        targets.add(Status(current))
    return [status for status in Status.values if status in targets]


def check_transition(current: str | None, target: str, user) -> None:
    """Raise PermissionDenied or ValidationError unless `user` may move a video to `target`."""
    if current == target:
        return
    if target == Status.PUBLISHED and not can_publish(user):
        raise PermissionDenied(REVIEWERS_ONLY)
    if target not in allowed_statuses(current, user):
        raise ValidationError(
            {
                "status": NOT_ALLOWED.format(
                    current=Status(current).label.lower(), target=Status(target).label.lower()
                )
            },
            code="status_transition",
        )


@transaction.atomic
def change_status(*, video: Video, status: str, user) -> Video:
    """Move one video to `status`, as `user`; its products' published flags follow.

    A save, not an UPDATE: the history records who did it, and catalog/signals.py
    refreshes the products' flags.
    """
    video = Video.objects.select_for_update().get(pk=video.pk)
    check_transition(video.status, status, user)
    if video.status != status:
        video.status = status
        video._history_user = user
        video.save(update_fields=["status", "updated_at"])
    return video
