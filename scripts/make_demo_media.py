#!/usr/bin/env python3
"""Generate the demo catalog's pictures and its self-hosted MP4 from fixtures/demo_catalog.json.

    .venv/bin/python scripts/make_demo_media.py

The fixture is the single source: every image path it names is drawn here (artist cards with
initials, video thumbnails, product shots as simple shapes with the brand name, retailer
wordmarks), and the MP4 follows the scenes of the video whose source is provider "mp4", so
the clip's timeline and the fixture's cannot drift apart. Output goes to fixtures/media/ and
is committed; `manage.py load_demo` copies it into the media storage. Nothing is fetched.

The output is deterministic (same fixture, same bytes), so re-running it leaves git clean.

Needs Pillow (requirements.txt), ffmpeg with libx264 and the DejaVu fonts:
    apt-get install -y ffmpeg fonts-dejavu-core

Codec: H.264 (constrained baseline, yuv420p) in MP4 with +faststart. Debian's Chromium
plays it (its build includes the proprietary codecs), so no VP9/AV1 fallback is needed.

    .venv/bin/python scripts/make_demo_media.py --check

plays the committed MP4 in headless Chromium from a local HTTP server that answers byte
ranges, seeks to the middle of each scene and prints what the browser saw as JSON. The exit
status is 1 if it did not play or a scene does not show its colour at its time in the
fixture. catalog/tests/test_fixtures.py runs it.
"""

import argparse
import colorsys
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "demo_catalog.json"
MEDIA = ROOT / "fixtures" / "media"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
REGULAR = FONT_DIR / "DejaVuSans.ttf"
MP4_MAX_BYTES = 200 * 1024
MP4_SIZE = (320, 180)
# One background per scene, distinct enough to tell apart at a glance.
SCENE_COLOURS = ["#e4572e", "#17bebb", "#76b041", "#6c4f9e", "#ffc914", "#2e86ab"]


def font(size: int, *, bold: bool = True) -> ImageFont.FreeTypeFont:
    path = BOLD if bold else REGULAR
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def colour_for(text: str, *, lightness: float = 0.5, saturation: float = 0.55) -> tuple:
    """Return a stable colour for a name, so a product keeps its colour across runs."""
    hue = int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) / 0xFFFF
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return (round(red * 255), round(green * 255), round(blue * 255))


def centred_text(draw, box, text, size, fill, *, bold=True):
    """Draw text centred in box, shrinking it until it fits the box's width."""
    left, top, right, bottom = box
    while True:
        face = font(size, bold=bold)
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=face)
        if x1 - x0 <= (right - left) or size <= 8:
            break
        size -= 1
    x = left + ((right - left) - (x1 - x0)) / 2 - x0
    y = top + ((bottom - top) - (y1 - y0)) / 2 - y0
    draw.text((x, y), text, font=face, fill=fill)


def save_png(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A 64-colour palette keeps flat drawings to a few KB.
    image.convert("RGB").quantize(64).save(path, optimize=True)


def save_jpeg(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, quality=80, optimize=True)


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper()


# Artists, retailers and videos


def draw_artist(fields: dict, path: Path) -> None:
    size = 240
    image = Image.new("RGB", (size, size), colour_for(fields["name"], lightness=0.42))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 24, 200, 184), fill=colour_for(fields["name"], lightness=0.62))
    centred_text(draw, (40, 24, 200, 184), initials(fields["name"]), 72, "white")
    centred_text(draw, (10, 192, 230, 230), fields["name"], 22, "white")
    save_png(image, path)


def draw_retailer(fields: dict, path: Path) -> None:
    image = Image.new("RGB", (240, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 72, 240, 80), fill=colour_for(fields["name"], lightness=0.4))
    centred_text(draw, (12, 8, 228, 68), fields["name"].upper(), 30, (20, 20, 20))
    save_png(image, path)


def draw_thumbnail(fields: dict, artist_names: list[str], path: Path) -> None:
    width, height = 480, 270
    top = colour_for(fields["title"], lightness=0.35)
    bottom = colour_for(fields["title"] + "/", lightness=0.6)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    # A play button, so the thumbnail reads as a video.
    draw.ellipse((205, 70, 275, 140), fill=(255, 255, 255))
    draw.polygon([(230, 88), (230, 122), (258, 105)], fill=top)
    centred_text(draw, (20, 160, 460, 205), fields["title"], 30, "white")
    centred_text(draw, (20, 210, 460, 245), ", ".join(artist_names), 20, "white", bold=False)
    save_jpeg(image, path)


# Products: a simple drawing of the product's type, tinted per product.


def _stripes(width: int, height: int, band: int) -> Image.Image:
    """Paul Smith-like multi-coloured stripes, to fill a shape with."""
    colours = ["#1d3557", "#e63946", "#f1c453", "#2a9d8f", "#f4a261", "#8d5a97", "#a8dadc"]
    stripes = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(stripes)
    for index, y in enumerate(range(0, height, band)):
        draw.rectangle((0, y, width, y + band), fill=colours[index % len(colours)])
    return stripes


def _shape_mask(kind: str, size: int) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    s = size / 300
    if kind == "hat":
        draw.pieslice((60 * s, 50 * s, 240 * s, 250 * s), 180, 360, fill=255)
        draw.rectangle((60 * s, 148 * s, 240 * s, 200 * s), fill=255)
        draw.ellipse((135 * s, 30 * s, 165 * s, 60 * s), fill=255)
    elif kind in {"jacket", "coat", "knitwear", "top", "shirt"}:
        length = 250 if kind == "coat" else 210
        draw.polygon(
            [
                (105 * s, 40 * s),
                (195 * s, 40 * s),
                (260 * s, 80 * s),
                (280 * s, 190 * s),
                (240 * s, 195 * s),
                (225 * s, 110 * s),
                (225 * s, length * s),
                (75 * s, length * s),
                (75 * s, 110 * s),
                (60 * s, 195 * s),
                (20 * s, 190 * s),
                (40 * s, 80 * s),
            ],
            fill=255,
        )
        draw.polygon([(125 * s, 40 * s), (175 * s, 40 * s), (150 * s, 85 * s)], fill=0)
    elif kind == "dress":
        draw.polygon(
            [
                (115 * s, 40 * s),
                (185 * s, 40 * s),
                (200 * s, 110 * s),
                (250 * s, 250 * s),
                (50 * s, 250 * s),
                (100 * s, 110 * s),
            ],
            fill=255,
        )
    elif kind in {"jeans", "trousers", "shorts"}:
        leg = 150 if kind == "shorts" else 255
        draw.polygon(
            [
                (80 * s, 40 * s),
                (220 * s, 40 * s),
                (235 * s, leg * s),
                (160 * s, leg * s),
                (150 * s, 100 * s),
                (140 * s, leg * s),
                (65 * s, leg * s),
            ],
            fill=255,
        )
    elif kind == "shoe":
        draw.polygon(
            [
                (40 * s, 120 * s),
                (120 * s, 115 * s),
                (170 * s, 150 * s),
                (255 * s, 165 * s),
                (270 * s, 200 * s),
                (40 * s, 200 * s),
            ],
            fill=255,
        )
        draw.rectangle((40 * s, 186 * s, 270 * s, 200 * s), fill=255)
    elif kind == "eyewear":
        draw.ellipse((45 * s, 110 * s, 140 * s, 185 * s), fill=255)
        draw.ellipse((160 * s, 110 * s, 255 * s, 185 * s), fill=255)
        draw.rectangle((135 * s, 130 * s, 165 * s, 140 * s), fill=255)
    else:
        draw.rounded_rectangle((70 * s, 60 * s, 230 * s, 230 * s), 20 * s, fill=255)
    return mask


# The first of these words in a product's name or description sets its colour, so the
# drawing looks like the item ("washed black lambskin" is drawn black).
PRODUCT_COLOURS = [
    ("black", (34, 34, 38)),
    ("white", (246, 246, 244)),
    ("ivory", (238, 230, 210)),
    ("oatmeal", (216, 200, 168)),
    ("pink", (232, 160, 180)),
    ("navy", (34, 49, 79)),
    ("yellow", (242, 195, 0)),
    ("indigo", (44, 62, 122)),
    ("lighter-wash", (143, 176, 216)),
    ("mid wash", (90, 127, 181)),
    ("mid-wash", (90, 127, 181)),
    ("denim", (62, 95, 138)),
]


def product_colour(product: dict) -> tuple:
    text = f"{product['name']} {product['description']}".lower()
    found = [(text.find(word), colour) for word, colour in PRODUCT_COLOURS if word in text]
    if found:
        return min(found)[1]
    return colour_for(product["slug"], lightness=0.45)


def draw_product(product: dict, position: int, path: Path) -> None:
    size = 300
    background = colour_for(product["slug"], lightness=0.93, saturation=0.3)
    # Later pictures of a product are a tighter crop on a slightly different backdrop.
    if position:
        background = tuple(max(0, c - 12 * position) for c in background)
    image = Image.new("RGB", (size, size), background)
    kind = product["product_type"][0]
    mask = _shape_mask(kind, size)
    if "striped" in product["name"].lower():
        # Each tier of the striped beanie gets its own stripe width, to tell them apart.
        band = {"original": 14, "low_end": 24, "high_end": 8}.get(product["style"][0], 14)
        fill = _stripes(size, size, band)
    else:
        fill = Image.new("RGB", (size, size), product_colour(product))
    if position == 2:
        # The close-up: the same drawing, enlarged around its centre.
        mask = mask.crop((60, 60, 240, 240)).resize((size, size))
        fill = fill.crop((60, 60, 240, 240)).resize((size, size))
    # An outline keeps white and pale items visible on the pale backdrop.
    outline = mask.filter(ImageFilter.MaxFilter(5))
    image.paste((120, 120, 120), (0, 0), outline.point(lambda value: 255 if value else 0))
    image.paste(fill, (0, 0), mask)
    draw = ImageDraw.Draw(image)
    if kind == "shoe" and position != 2:
        draw.rectangle((41, 187, 269, 199), fill=(235, 232, 222), outline=(120, 120, 120))
    draw.rectangle((0, 256, size, size), fill="white")
    centred_text(draw, (8, 258, size - 8, size - 2), product["brand"], 24, (30, 30, 30))
    save_png(image, path)


# The MP4


def parse_duration(text: str) -> timedelta:
    hours, minutes, seconds = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))


def drawtext_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\u2019")


def make_mp4(video: dict, scenes: list[dict], path: Path) -> None:
    """Encode one coloured segment per scene, numbered, with a running clock."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        sys.exit("ffmpeg is needed for the demo MP4: apt-get install -y ffmpeg")
    expected = timedelta(0)
    for scene in scenes:
        if parse_duration(scene["start"]) != expected:
            sys.exit(f"The MP4's scenes must follow each other without gaps: {scene}")
        expected = parse_duration(scene["end"])
    if expected != parse_duration(video["duration"]):
        sys.exit("The MP4 video's duration must equal the end of its last scene.")

    width, height = MP4_SIZE
    inputs, filters, labels = [], [], []
    for index, scene in enumerate(scenes):
        length = (parse_duration(scene["end"]) - parse_duration(scene["start"])).total_seconds()
        colour = SCENE_COLOURS[index % len(SCENE_COLOURS)].replace("#", "0x")
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s={width}x{height}:d={length}:r=24"]
        title = drawtext_escape(scene["title"])
        filters.append(
            f"[{index}]"
            f"drawtext=fontfile={BOLD}:text='Scene {index + 1}':fontsize=44:fontcolor=white"
            ":x=(w-tw)/2:y=(h-th)/2-18,"
            f"drawtext=fontfile={REGULAR}:text='{title}':fontsize=18:fontcolor=white"
            f":x=(w-tw)/2:y=(h/2)+24[s{index}]"
        )
        labels.append(f"[s{index}]")
    # The clock runs over the joined clip, so it shows the timeline's own seconds.
    filters.append(
        "".join(labels)
        + f"concat=n={len(scenes)}:v=1:a=0,"
        + f"drawtext=fontfile={REGULAR}:text='%{{pts\\:hms}}':fontsize=14:fontcolor=white"
        + ":x=w-tw-8:y=h-th-8,format=yuv420p[v]"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", ";".join(filters), "-map", "[v]",
        "-c:v", "libx264", "-profile:v", "baseline", "-preset", "veryslow", "-crf", "30",
        # A keyframe every second, so seeking to a scene's start is instant.
        "-g", "24",
        "-movflags", "+faststart", "-map_metadata", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact",
        str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True)  # noqa: S603 - fixed arguments, no shell
    if path.stat().st_size >= MP4_MAX_BYTES:
        sys.exit(f"{path} is {path.stat().st_size} bytes; the demo MP4 must stay under 200 KB.")


# Playback check

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--autoplay-policy=no-user-gesture-required",
]
PLAYER_PAGE = '<!doctype html><video id="v" src="clip.mp4" muted autoplay playsinline></video>'
# Runs in the page: once playing, seek to the middle of each scene and read a pixel, so
# the check sees that the scenes are where the fixture says they are.
PROBE_SCRIPT = """async (times) => {
  const video = document.getElementById("v");
  const played = {currentTime: video.currentTime, readyState: video.readyState,
                  duration: video.duration, width: video.videoWidth,
                  height: video.videoHeight, error: video.error && video.error.code};
  video.pause();
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  const colours = [];
  for (const time of times) {
    await new Promise((resolve) => {
      video.addEventListener("seeked", resolve, {once: true});
      video.currentTime = time;
    });
    context.drawImage(video, 0, 0);
    colours.push(Array.from(context.getImageData(6, 6, 1, 1).data.slice(0, 3)));
  }
  return {...played, colours};
}"""


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """A static server that answers byte-range requests, as nginx or S3 do.

    Chromium only seeks in media whose server accepts ranges; without them the clip plays
    but `seekable` is empty and setting currentTime jumps back to 0.
    """

    def end_headers(self):
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        data = path.read_bytes()
        first, last = match.groups()
        start = int(first) if first else max(0, len(data) - int(last or 0))
        end = min(int(last), len(data) - 1) if first and last else len(data) - 1
        if start >= len(data) or start > end:
            self.send_error(416, "Requested range not satisfiable")
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return io.BytesIO(data[start : end + 1])

    def log_message(self, format, *args):
        # Keep stdout to the one JSON line the check prints.
        pass


def demo_records() -> dict[str, list[dict]]:
    by_model: dict[str, list[dict]] = {}
    for record in json.loads(FIXTURE.read_text()):
        by_model.setdefault(record["model"], []).append(record["fields"])
    return by_model


def mp4_scenes(by_model: dict[str, list[dict]]) -> tuple[dict, list[dict]]:
    """Return the self-hosted source and its video's scenes, in time order."""
    source = next(s for s in by_model["catalog.videosource"] if s["provider"] == "mp4")
    scenes = [s for s in by_model["catalog.scene"] if s["video"] == source["video"]]
    return source, sorted(scenes, key=lambda scene: parse_duration(scene["start"]))


def check_playback() -> dict:
    """Play the demo MP4 in headless Chromium; return what the page measured."""
    # Playwright's sync API starts its own event loop; nothing else runs in this process.
    from playwright.sync_api import sync_playwright

    source, scenes = mp4_scenes(demo_records())
    middles = [
        (parse_duration(s["start"]) + parse_duration(s["end"])).total_seconds() / 2 for s in scenes
    ]
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(MEDIA / source["file"], Path(folder) / "clip.mp4")
        (Path(folder) / "index.html").write_text(PLAYER_PAGE)

        handler = functools.partial(RangeRequestHandler, directory=folder)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"),
                    args=CHROMIUM_ARGS,
                )
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
                page.wait_for_function(
                    "() => document.getElementById('v').currentTime > 1", timeout=15_000
                )
                result = page.evaluate(PROBE_SCRIPT, middles)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    expected = [SCENE_COLOURS[i % len(SCENE_COLOURS)] for i in range(len(scenes))]
    result["expected_colours"] = [
        [int(colour[i : i + 2], 16) for i in (1, 3, 5)] for colour in expected
    ]
    result["probed_at"] = middles
    return result


def playback_ok(result: dict) -> bool:
    """Did the clip play, and does each scene show its own colour where the fixture says?"""
    played = not result["error"] and result["readyState"] >= 2 and result["currentTime"] > 0
    # Colours survive H.264's 4:2:0 round trip to within a few levels.
    colours_match = all(
        abs(seen - wanted) <= 16
        for pixel, expected in zip(result["colours"], result["expected_colours"], strict=True)
        for seen, wanted in zip(pixel, expected, strict=True)
    )
    return played and colours_match


def generate() -> None:
    by_model = demo_records()
    artists = {fields["slug"]: fields["name"] for fields in by_model["catalog.artist"]}
    products = {fields["upc"]: fields for fields in by_model["catalog.product"]}

    for fields in by_model["catalog.artist"]:
        if fields["image"]:
            draw_artist(fields, MEDIA / fields["image"])
    for fields in by_model["catalog.retailer"]:
        if fields["logo"]:
            draw_retailer(fields, MEDIA / fields["logo"])
    for fields in by_model["catalog.video"]:
        if fields["thumbnail"]:
            names = [artists[slug] for (slug,) in fields["artists"]]
            draw_thumbnail(fields, names, MEDIA / fields["thumbnail"])
    for fields in by_model["catalog.productimage"]:
        draw_product(products[fields["product"][0]], fields["position"], MEDIA / fields["image"])

    videos = {fields["slug"]: fields for fields in by_model["catalog.video"]}
    source, scenes = mp4_scenes(by_model)
    make_mp4(videos[source["video"][0]], scenes, MEDIA / source["file"])

    files = sorted(p for p in MEDIA.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    print(f"Wrote {len(files)} files, {total / 1024:.0f} KB, under {MEDIA.relative_to(ROOT)}/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="play the committed MP4 in headless Chromium"
    )
    if parser.parse_args().check:
        result = check_playback()
        print(json.dumps(result))
        if not playback_ok(result):
            sys.exit(1)
    else:
        generate()


if __name__ == "__main__":
    main()
