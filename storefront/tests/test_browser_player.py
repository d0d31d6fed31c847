"""The video page in a real browser: the MP4 plays and drives the "In this scene" panel."""

import shutil
import subprocess
import threading
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings

import pytest

from catalog.tests.factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    SceneFactory,
    VideoFactory,
    VideoSourceFactory,
)

pytestmark = pytest.mark.browser

DEMO_MP4S = sorted((Path(settings.BASE_DIR) / "fixtures/media/demo/videos/sources").glob("*.mp4"))


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """Serve files with byte ranges and CORS, as a CDN does, so that the browser can seek."""

    def log_message(self, format, *args):
        pass

    def end_headers(self):
        # hls.js fetches playlists and segments with XHR, which a CDN allows by CORS.
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def send_head(self):
        header = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not header.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first, _, last = header[6:].partition("-")
        start = int(first or 0)
        end = min(int(last) if last else size - 1, size - 1)
        if start > end:
            self.send_error(416)
            return None
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.remaining = end - start + 1
        return handle

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "remaining", None)
        if remaining is None:
            return super().copyfile(source, outputfile)
        outputfile.write(source.read(remaining))
        return None


class LocalServer:
    """A plain HTTP server on 127.0.0.1 serving one folder, in a thread."""

    def __init__(self, folder):
        handler = partial(RangeRequestHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def media_server(tmp_path_factory):
    """Serve a ~12 s MP4: the committed demo video, or one ffmpeg makes for this session."""
    folder = tmp_path_factory.mktemp("cdn")
    target = folder / "clip.mp4"
    if DEMO_MP4S:
        shutil.copy(DEMO_MP4S[0], target)
    else:
        ffmpeg = shutil.which("ffmpeg")
        if not ffmpeg:
            pytest.fail("No demo MP4 in fixtures/media and no ffmpeg to make one.")
        subprocess.run(  # noqa: S603 - fixed arguments, no user input
            [
                ffmpeg,
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x180:rate=24",
                "-t",
                "12",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                str(target),
            ],
            check=True,
        )
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        pytest.fail("ffmpeg is needed to cut the HLS copy (make test installs it).")
    # The same clip as an HLS stream: a VOD playlist of 4-second segments.
    subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [
            ffmpeg,
            "-loglevel",
            "error",
            "-i",
            str(target),
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            "4",
            "-hls_playlist_type",
            "vod",
            str(folder / "clip.m3u8"),
        ],
        check=True,
    )
    with LocalServer(folder) as server:
        yield server


def make_video(media_server, offset=timedelta(0), provider="mp4"):
    """A published video with three 4-second scenes, one product each."""
    video = VideoFactory(title="Neon Test")
    if provider in ("mp4", "hls"):
        VideoSourceFactory(
            video=video,
            provider=provider,
            external_id="",
            url=f"{media_server.url}/clip.{'mp4' if provider == 'mp4' else 'm3u8'}",
            offset=offset,
        )
    else:
        VideoSourceFactory(video=video, provider=provider, external_id="abc123", offset=offset)
    scenes, products = [], []
    for index, name in enumerate(["Red Jacket", "Blue Boots", "Gold Hat"]):
        scene = SceneFactory(
            video=video,
            title=f"Part {index + 1}",
            start=timedelta(seconds=4 * index),
            end=timedelta(seconds=4 * index + 4),
        )
        product = ProductFactory(brand="Test", name=name)
        OfferFactory(product=product)
        AppearanceFactory(scene=scene, product=product)
        scenes.append(scene)
        products.append(product)
    return video, scenes, products


def visible_scene_products(page):
    return page.locator(
        "[data-scene-panel] .scene-products:visible .card__title"
    ).all_inner_texts()


# wait_for_function() takes arrow functions, which Playwright runs through the DevTools
# protocol: a bare expression would be eval()ed in the page, which its CSP forbids.
def wait_for_scene(page, scene):
    page.wait_for_function(
        "id => document.querySelector('[data-scene-panel]').dataset.currentScene === id",
        arg=str(scene.pk),
    )


def open_video(page, video, query=""):
    page.goto(video.get_absolute_url() + query)
    page.wait_for_selector("html[data-player-ready='mp4']")
    page.wait_for_function("() => document.querySelector('#player-media').readyState >= 1")


def test_the_mp4_plays_and_the_panel_follows_the_scenes(page, media_server):
    video, scenes, _ = make_video(media_server)
    open_video(page, video)

    assert visible_scene_products(page) == ["Red Jacket"]
    page.evaluate(
        "() => { const v = document.querySelector('#player-media'); v.muted = true; v.play(); }"
    )
    page.wait_for_function("() => document.querySelector('#player-media').currentTime > 0.5")
    wait_for_scene(page, scenes[1])  # after 4 s of real playback

    assert visible_scene_products(page) == ["Blue Boots"]
    assert page.locator(f"#scene-{scenes[1].pk}").get_attribute("class") == "is-current"
    assert page.locator(".scene-panel__live").get_attribute("aria-live") == "polite"


def test_clicking_a_chapter_seeks_and_shows_its_products(page, media_server):
    video, scenes, _ = make_video(media_server)
    open_video(page, video)

    page.get_by_role("link", name="Part 3").click()
    wait_for_scene(page, scenes[2])

    assert visible_scene_products(page) == ["Gold Hat"]
    assert page.evaluate("document.querySelector('#player-media').currentTime") >= 8
    assert page.url.endswith(f"?t=8#scene-{scenes[2].pk}")


def test_a_chapter_works_from_the_keyboard(page, media_server):
    video, scenes, _ = make_video(media_server)
    open_video(page, video)

    page.get_by_role("link", name="Part 2").focus()
    page.keyboard.press("Enter")
    wait_for_scene(page, scenes[1])

    assert visible_scene_products(page) == ["Blue Boots"]


def test_seeking_the_player_updates_the_panel(page, media_server):
    video, scenes, _ = make_video(media_server)
    open_video(page, video)

    page.evaluate("document.querySelector('#player-media').currentTime = 9.5")
    wait_for_scene(page, scenes[2])
    assert visible_scene_products(page) == ["Gold Hat"]

    page.evaluate("document.querySelector('#player-media').currentTime = 1")
    wait_for_scene(page, scenes[0])
    assert visible_scene_products(page) == ["Red Jacket"]


def test_t_and_the_scene_anchor_open_the_video_at_that_moment(page, media_server):
    video, scenes, _ = make_video(media_server)

    open_video(page, video, "?t=5")
    wait_for_scene(page, scenes[1])
    assert page.evaluate("document.querySelector('#player-media').currentTime") == pytest.approx(
        5, abs=0.5
    )

    open_video(page, video, f"#scene-{scenes[2].pk}")
    wait_for_scene(page, scenes[2])
    assert page.evaluate("document.querySelector('#player-media').currentTime") == pytest.approx(
        8, abs=0.5
    )


def test_the_source_offset_is_applied(page, media_server):
    """This copy starts 2 s later than the timeline: player time 7 s is scene time 5 s."""
    video, scenes, _ = make_video(media_server, offset=timedelta(seconds=2))
    open_video(page, video)

    page.evaluate("document.querySelector('#player-media').currentTime = 9")
    wait_for_scene(page, scenes[1])  # timeline 7 s; without the offset it would be Part 3

    page.get_by_role("link", name="Part 1").click()
    wait_for_scene(page, scenes[0])
    # The chapter starts playing, so the clock may have moved on a little from 2 s.
    assert 1.9 <= page.evaluate("document.querySelector('#player-media').currentTime") < 4


# YouTube and Vimeo are unreachable from the test machine, so their player APIs are
# replaced by small fakes that behave as documented; the adapters under test are ours.
FAKE_YOUTUBE_API = """
window.YT = {
  PlayerState: { PLAYING: 1, PAUSED: 2 },
  Player: class {
    constructor(element, options) {
      this.time = 0; this.seeks = []; this.options = options; window.fakePlayer = this;
      setTimeout(() => options.events.onReady({ target: this }), 0);
    }
    getCurrentTime() { return this.time; }
    seekTo(seconds) { this.time = seconds; this.seeks.push(seconds); }
    playVideo() { this.options.events.onStateChange({ data: 1 }); }
  },
};
window.onYouTubeIframeAPIReady();
"""

FAKE_VIMEO_API = """
window.Vimeo = {
  Player: class {
    constructor(element) { this.handlers = {}; this.seeks = []; window.fakePlayer = this; }
    on(name, callback) { (this.handlers[name] ||= []).push(callback); }
    emit(name, seconds) { (this.handlers[name] || []).forEach((cb) => cb({ seconds })); }
    setCurrentTime(seconds) {
      this.seeks.push(seconds);
      this.emit("seeked", seconds);
      return Promise.resolve(seconds);
    }
    play() { return Promise.resolve(); }
  },
};
"""


def fake_provider(page, api_url, script):
    page.route(api_url, lambda route: route.fulfill(body=script, content_type="text/javascript"))
    for embed in ["https://www.youtube-nocookie.com/**", "https://player.vimeo.com/video/**"]:
        page.route(embed, lambda route: route.fulfill(body="<!doctype html><title>embed</title>"))


def test_the_youtube_adapter_polls_time_and_seeks_with_the_offset(page):
    video, scenes, _ = make_video(None, offset=timedelta(seconds=2), provider="youtube")
    fake_provider(page, "https://www.youtube.com/iframe_api", FAKE_YOUTUBE_API)
    page.goto(video.get_absolute_url())
    page.wait_for_selector("html[data-player-ready='youtube']")

    page.evaluate("() => { fakePlayer.time = 7; fakePlayer.playVideo(); }")
    wait_for_scene(page, scenes[1])  # player 7 s is timeline 5 s
    assert visible_scene_products(page) == ["Blue Boots"]

    page.get_by_role("link", name="Part 3").click()
    wait_for_scene(page, scenes[2])
    assert page.evaluate("fakePlayer.seeks") == [10]


def test_the_vimeo_adapter_follows_timeupdate_and_seeks(page):
    video, scenes, _ = make_video(None, provider="vimeo")
    fake_provider(page, "https://player.vimeo.com/api/player.js", FAKE_VIMEO_API)
    page.goto(video.get_absolute_url())
    page.wait_for_selector("html[data-player-ready='vimeo']")

    page.evaluate("fakePlayer.emit('timeupdate', 9)")
    wait_for_scene(page, scenes[2])
    assert visible_scene_products(page) == ["Gold Hat"]

    page.get_by_role("link", name="Part 1").click()
    wait_for_scene(page, scenes[0])
    assert page.evaluate("fakePlayer.seeks") == [0]


def test_an_hls_stream_plays_through_hls_js_where_the_browser_has_no_native_hls(
    page, media_server
):
    # Chromium here plays HLS natively; pretend it does not, as Firefox does not.
    page.add_init_script(
        "const original = HTMLMediaElement.prototype.canPlayType;"
        "HTMLMediaElement.prototype.canPlayType = function (type) {"
        "  return type.includes('mpegurl') ? '' : original.call(this, type); };"
    )
    video, scenes, _ = make_video(media_server, provider="hls")
    page.goto(video.get_absolute_url())
    page.wait_for_selector("html[data-player-ready='hls']")

    assert page.evaluate("typeof window.Hls") == "function"
    page.wait_for_function("() => document.querySelector('#player-media').readyState >= 1")
    page.get_by_role("link", name="Part 3").click()
    wait_for_scene(page, scenes[2])
    assert visible_scene_products(page) == ["Gold Hat"]
    page.wait_for_function("() => document.querySelector('#player-media').currentTime >= 8")
    assert page.locator(".player__fallback").is_hidden()
