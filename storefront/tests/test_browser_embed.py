"""The oEmbed answer pasted into another site's page: the framed player plays and its
products panel follows the scenes, in a real browser."""

import json
from urllib.parse import urlencode

import pytest

from catalog.models import Click

from .test_browser_player import LocalServer, make_video, media_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_oembed_html_plays_and_syncs_in_a_host_page(
    page,
    live_server,
    media_server,  # noqa: F811 - the player tests' fixture, imported above
    settings,
    tmp_path,
):
    settings.SITE_URL = live_server.url
    video, scenes, _ = make_video(media_server)
    answer = page.request.get(
        live_server.url
        + "/oembed?"
        + urlencode({"url": live_server.url + video.get_absolute_url()})
    )
    assert answer.ok
    html = json.loads(answer.body())["html"]
    (tmp_path / "post.html").write_text(
        f"<!doctype html><html><body><h1>A blog post</h1>{html}</body></html>"
    )
    with LocalServer(tmp_path) as blog:
        page.goto(f"{blog.url}/post.html")
        frame = page.frame_locator("iframe").first
        frame.locator("html[data-player-ready='mp4']").wait_for(state="attached")
        embed = next(f for f in page.frames if "/embed/videos/" in f.url)
        embed.wait_for_function("document.querySelector('#player-media').readyState >= 1")

        def panel():
            return embed.locator(
                "[data-scene-panel] .scene-products:visible .card__title"
            ).all_inner_texts()

        assert panel() == ["Red Jacket"]
        embed.evaluate(
            "() => { const v = document.querySelector('#player-media');"
            " v.muted = true; v.play(); }"
        )
        embed.wait_for_function(
            "id => document.querySelector('[data-scene-panel]').dataset.currentScene === id",
            arg=str(scenes[1].pk),
            timeout=15_000,
        )
        assert panel() == ["Blue Boots"]

        # The click-out names the embed and the blog that framed it.
        link = embed.locator(".scene-products:visible a[data-embed-clickout]").first
        href = link.get_attribute("href")
        assert "via=embed" in href and f"host=127.0.0.1%3A{blog.httpd.server_port}" in href
        page.request.get(href, max_redirects=0)
        click = Click.objects.get()
        assert click.channel == "embed"
        assert click.embed_host == f"127.0.0.1:{blog.httpd.server_port}"
        assert click.scene_id == scenes[1].pk
