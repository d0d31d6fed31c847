"""The studio's edits of one video's timeline: scenes, their cast and their looks.

Every edit is one transaction that locks the video row, checks the version the curator
saw (optimistic locking: a second curator's stale edit is refused, never merged
silently), validates each row it writes with the model's own rules (`Scene.clean()`:
no overlap, not past the video's end; the constraints) and raises the video's version.
A refused edit raises ValidationError and writes nothing.
"""

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max

from ..models import Appearance, CastMember, Scene, Video
from ..services import save_instance, validate_instance

STALE = (
    "Someone else changed this video since you loaded it. Reload the studio to see their "
    "changes, then make yours again."
)
NO_DURATION = "Set the video's duration first: a new scene runs to the end of the video."
SPLIT_AT_EDGE = "A scene already starts or ends here; move the playhead into a scene."
AT_END = "The playhead is at the end of the video; there is nothing after it to tag."
NOTHING_AFTER = "This is the last scene: there is no next scene to merge with."
EDGE_EMPTY = "A scene must end after it starts."
UNKNOWN = "That {what} is not part of this video; reload the studio."
EDGES = ("start", "end")


class StaleVersion(ValidationError):
    def __init__(self):
        super().__init__(STALE, code="stale")


def _scene(video: Video, scene_id) -> Scene:
    scene = video.scenes.filter(pk=scene_id).first()
    if scene is None:
        raise ValidationError(UNKNOWN.format(what="scene"), code="unknown")
    scene.video = video
    return scene


def _cast_member(video: Video, cast_member_id) -> CastMember | None:
    if cast_member_id in (None, ""):
        return None
    cast_member = video.cast_members.filter(pk=cast_member_id).first()
    if cast_member is None:
        raise ValidationError(UNKNOWN.format(what="cast member"), code="unknown")
    return cast_member


def _appearance(video: Video, appearance_id) -> Appearance:
    appearance = (
        Appearance.objects.filter(pk=appearance_id, scene__video=video)
        .select_related("scene")
        .first()
    )
    if appearance is None:
        raise ValidationError(UNKNOWN.format(what="look"), code="unknown")
    appearance.scene.video = video
    return appearance


def _save_scene(scene: Scene) -> Scene:
    return save_instance(scene)


def split_scene(video: Video, *, at: timedelta) -> Scene:
    """Split the scene playing at `at` in two; in a gap, start a scene there.

    The second half keeps the first's cast and looks. A scene started in a gap runs to
    the next scene or to the end of the video.
    """
    scenes = list(video.scenes.order_by("start"))
    if any(at in (scene.start, scene.end) for scene in scenes):
        raise ValidationError(SPLIT_AT_EDGE, code="split_at_edge")
    playing = next((scene for scene in scenes if scene.start < at < scene.end), None)
    if playing is None:
        following = next((scene for scene in scenes if scene.start > at), None)
        if following is not None:
            end = following.start
        elif video.duration is None:
            raise ValidationError(NO_DURATION, code="no_duration")
        else:
            end = video.duration
        if at >= end:
            raise ValidationError(AT_END, code="at_end")
        return _save_scene(Scene(video=video, start=at, end=end))
    playing.video = video
    old_end = playing.end
    playing.end = at
    _save_scene(playing)
    second = _save_scene(Scene(video=video, title=playing.title, start=at, end=old_end))
    second.cast_members.set(playing.cast_members.all())
    for look in playing.appearances.all():
        save_instance(
            Appearance(
                scene=second,
                product_id=look.product_id,
                cast_member_id=look.cast_member_id,
                match=look.match,
                position=look.position,
            )
        )
    return second


def move_edge(video: Video, *, scene: int, edge: str, at: timedelta) -> Scene:
    """Move a scene's start or end to `at`; a scene touching that edge moves with it."""
    if edge not in EDGES:
        raise ValidationError({"edge": "Choose start or end."}, code="invalid")
    moving = _scene(video, scene)
    old = getattr(moving, edge)
    neighbour_edge = "end" if edge == "start" else "start"
    neighbour = video.scenes.filter(**{neighbour_edge: old}).exclude(pk=moving.pk).first()
    rows = [(moving, edge)]
    if neighbour is not None:
        neighbour.video = video
        rows.append((neighbour, neighbour_edge))
    for row, name in rows:
        setattr(row, name, at)
        if row.end <= row.start:
            raise ValidationError({"end": EDGE_EMPTY}, code="scene_empty")
    # Save the scene that shrinks first, so that neither overlaps the other on the way.
    rows.sort(key=lambda pair: (pair[1] == "start") != (at > old))
    for row, _name in rows:
        _save_scene(row)
    return moving


def rename_scene(video: Video, *, scene: int, title: str) -> Scene:
    row = _scene(video, scene)
    row.title = title.strip()
    return _save_scene(row)


def merge_with_next(video: Video, *, scene: int) -> Scene:
    """Join a scene and the one after it: one scene, both casts, every look once."""
    row = _scene(video, scene)
    following = video.scenes.filter(start__gte=row.end).order_by("start").first()
    if following is None:
        raise ValidationError(NOTHING_AFTER, code="nothing_after")
    cast = list(following.cast_members.all())
    looks = list(following.appearances.exclude(product__appearances__scene=row))
    end = following.end
    following.delete()
    row.end = end
    _save_scene(row)
    row.cast_members.add(*cast)
    first = next_position(row)
    for offset, look in enumerate(looks):
        save_instance(
            Appearance(
                scene=row,
                product_id=look.product_id,
                cast_member_id=look.cast_member_id,
                match=look.match,
                position=first + offset,
            )
        )
    return row


def delete_scene(video: Video, *, scene: int) -> None:
    _scene(video, scene).delete()


def set_duration(video: Video, *, seconds: timedelta) -> Video:
    video.duration = seconds
    validate_instance(video)
    if video.scenes.filter(end__gt=seconds).exists():
        raise ValidationError(
            {"duration": "A scene ends after this; shorten it first."}, code="scene_past_end"
        )
    video.save(update_fields=["duration", "updated_at"])
    return video


def add_cast_member(
    video: Video, *, name: str, performer_name: str = "", scene: int | None = None
) -> CastMember:
    """Add a cast member to the video, and to the scene playing when one is given."""
    cast_member = save_instance(
        CastMember(video=video, name=name.strip(), performer_name=performer_name.strip())
    )
    if scene is not None:
        _scene(video, scene).cast_members.add(cast_member)
    return cast_member


def set_scene_cast(video: Video, *, scene: int, cast_member: int, present: bool) -> Scene:
    row = _scene(video, scene)
    member = _cast_member(video, cast_member)
    if present:
        row.cast_members.add(member)
    else:
        row.cast_members.remove(member)
    return row


def next_position(scene: Scene) -> int:
    highest = scene.appearances.aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


def add_look(
    video: Video,
    *,
    scene: int,
    product: int,
    cast_member: int | None = None,
    match: str = Appearance.Match.EXACT,
) -> Appearance:
    """Add a product to a scene, worn by one of the cast; the wearer joins the scene."""
    row = _scene(video, scene)
    member = _cast_member(video, cast_member)
    look = save_instance(
        Appearance(
            scene=row,
            product_id=product,
            cast_member=member,
            match=match,
            position=next_position(row),
        )
    )
    if member is not None:
        row.cast_members.add(member)
    return look


def change_look(
    video: Video, *, appearance: int, cast_member: int | None = None, match: str | None = None
) -> Appearance:
    look = _appearance(video, appearance)
    look.cast_member = _cast_member(video, cast_member)
    if match is not None:
        look.match = match
    save_instance(look)
    if look.cast_member is not None:
        look.scene.cast_members.add(look.cast_member)
    return look


def move_look(video: Video, *, appearance: int, by: int) -> Appearance:
    """Move a look up (`by` < 0) or down the scene's list; positions become 0..n-1."""
    look = _appearance(video, appearance)
    looks = list(look.scene.appearances.order_by("position", "id"))
    index = next(i for i, other in enumerate(looks) if other.pk == look.pk)
    looks.insert(max(0, min(len(looks) - 1, index + by)), looks.pop(index))
    for position, other in enumerate(looks):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position", "updated_at"])
    return look


def remove_look(video: Video, *, appearance: int) -> None:
    _appearance(video, appearance).delete()


def restore_timeline(video: Video, *, snapshot: Mapping[str, Any]) -> None:
    """Put back the scenes, cast and looks of an earlier `timeline_state()` (undo).

    Scenes are written anew; cast members missing from the snapshot are removed and
    those missing from the video are added back under their names.
    """
    cast_ids = {}
    kept_cast = set()
    for member in snapshot.get("cast", []):
        existing = video.cast_members.filter(name=member["name"]).first()
        if existing is None:
            existing = save_instance(
                CastMember(
                    video=video, name=member["name"], performer_name=member["performer_name"]
                )
            )
        cast_ids[member["id"]] = existing.pk
        kept_cast.add(existing.pk)
    video.scenes.all().delete()
    video.cast_members.exclude(pk__in=kept_cast).delete()
    for data in snapshot.get("scenes", []):
        scene = _save_scene(
            Scene(
                video=video,
                title=data["title"],
                start=timedelta(seconds=data["start"]),
                end=timedelta(seconds=data["end"]),
            )
        )
        scene.cast_members.set([cast_ids[i] for i in data["cast"] if i in cast_ids])
        for position, look in enumerate(data["looks"]):
            save_instance(
                Appearance(
                    scene=scene,
                    product_id=look["product"]["id"],
                    cast_member_id=cast_ids.get(look["cast_member"]),
                    match=look["match"],
                    position=position,
                )
            )


EDITS: dict[str, Callable[..., Any]] = {
    "split": split_scene,
    "move_edge": move_edge,
    "rename": rename_scene,
    "merge": merge_with_next,
    "delete_scene": delete_scene,
    "set_duration": set_duration,
    "add_cast": add_cast_member,
    "set_scene_cast": set_scene_cast,
    "add_look": add_look,
    "change_look": change_look,
    "move_look": move_look,
    "remove_look": remove_look,
    "restore": restore_timeline,
}


@transaction.atomic
def edit_timeline(*, video_id: int, version: int, edit: str, args: Mapping[str, Any]) -> int:
    """Apply one studio edit to the video at `version`; return the video's new version.

    Raises StaleVersion when another edit came first, ValidationError when the edit
    breaks a rule; in both cases nothing is written.
    """
    video = Video.objects.select_for_update().get(pk=video_id)
    if video.version != version:
        raise StaleVersion()
    EDITS[edit](video, **args)
    Video.objects.filter(pk=video.pk).update(version=F("version") + 1)
    return version + 1
