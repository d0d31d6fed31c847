"""Uploaded media in production: on S3-compatible object storage (moto's server) when a
bucket is configured, otherwise served by the site itself with byte ranges."""

import contextlib
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client

import boto3
import pytest

from catalog.models import Product, VideoSource
from catalog.tests.admin_files import csv_bytes, import_file, product_row
from catalog.tests.factories import ProductImageFactory
from catalog.tests.processes import (
    BIN,
    free_port,
    running_web,
    site_environment,
    stop,
    wait_for,
)
from catalog.tests.test_import_export import image_server, png_bytes  # noqa: F401 (a fixture)

DEMO_MP4 = sorted(
    (Path(django_settings.BASE_DIR) / "fixtures/media/demo/videos/sources").glob("*.mp4")
)[0]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def get(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (ours)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (ours)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server on 127.0.0.1, for this module's tests."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own program, fixed arguments)
            [BIN / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"

    def answers():
        with contextlib.suppress(OSError):
            urllib.request.urlopen(endpoint, timeout=1).close()
            return True
        return False

    try:
        wait_for(answers, timeout=30, what="moto_server", process=process, log=log)
        yield endpoint
    finally:
        stop(process)


def public_read_policy(bucket_name: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket_name}/*",
            }
        ],
    }


@pytest.fixture
def bucket(s3_endpoint, settings, request):
    name = f"media-{request.node.name[:30].replace('_', '-').lower()}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    s3.create_bucket(Bucket=name)
    # Media are public, as a deployment's bucket policy (or its CDN) makes them.
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "querystring_auth": False,
                "file_overwrite": False,
            },
        },
    }
    yield s3, name


def keys(s3, bucket_name) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket_name)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


@pytest.mark.django_db
def test_a_product_image_upload_lands_in_the_bucket_and_its_url_points_there(bucket, s3_endpoint):
    s3, name = bucket
    image = ProductImageFactory()

    assert image.image.name in keys(s3, name)
    assert not (Path(django_settings.MEDIA_ROOT) / image.image.name).exists()
    url = image.image.url
    assert url.startswith(f"{s3_endpoint}/{name}/products/")
    status, headers, body = get(url)
    assert (status, headers["Content-Type"]) == (200, "image/jpeg")
    assert body == image.image.open("rb").read()


@pytest.mark.django_db
def test_image_urls_of_an_admin_import_are_stored_in_the_bucket(
    bucket,
    curator_client,
    image_server,  # noqa: F811
    settings,
):
    s3, name = bucket
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]

    import_file(
        curator_client, "product", csv_bytes([product_row(images=f"{image_server.url}/shirt.png")])
    )

    stored = Product.objects.get().images.get().image.name
    assert stored.startswith("products/imported/")
    assert stored in keys(s3, name)
    assert default_storage.open(stored).read() == png_bytes()


@pytest.mark.django_db
def test_the_demo_media_load_into_the_bucket_and_the_video_seeks_there(bucket, s3_endpoint):
    s3, name = bucket
    call_command("load_demo", verbosity=0)

    stored = keys(s3, name)
    assert f"demo/videos/sources/{DEMO_MP4.name}" in stored
    assert any(key.startswith("demo/products/") for key in stored)
    source = VideoSource.objects.filter(file__endswith=".mp4").select_related("video").first()
    page = Client().get(source.video.get_absolute_url())
    video_url = f"{s3_endpoint}/{name}/{source.file.name}"
    assert f'src="{video_url}' in page.text
    # The bucket answers byte ranges, so the player seeks.
    status, _, body = get(video_url, Range="bytes=100-199")
    assert status == 206
    assert body == DEMO_MP4.read_bytes()[100:200]
    # A second run finds every file there and copies none.
    call_command("load_demo", verbosity=0)
    assert keys(s3, name) == stored


def test_without_a_bucket_a_production_site_serves_media_with_byte_ranges(settings, tmp_path):
    """gunicorn with debug off, as deployed without object storage."""
    media_root = tmp_path / "served"
    (media_root / "demo").mkdir(parents=True)
    (media_root / "imports/0123abcd").mkdir(parents=True)
    (media_root / "imports/0123abcd/offers.csv").write_text("upc,retailer,url\n")
    shutil.copy(DEMO_MP4, media_root / "demo/clip.mp4")
    data = DEMO_MP4.read_bytes()
    env = site_environment(DJANGO_MEDIA_ROOT=str(media_root))
    env.pop("DJANGO_DEBUG", None)

    with running_web(env, tmp_path / "web.log") as base:
        url = f"{base}/media/demo/clip.mp4"
        whole = get(url)
        middle = get(url, Range="bytes=1000-1999")
        tail = get(url, Range="bytes=-10")
        beyond = get(url, Range=f"bytes={len(data) + 5}-")
        missing = get(f"{base}/media/demo/none.mp4")
        escape = get(f"{base}/media/%2e%2e/manage.py")
        feeds = [
            get(f"{base}/media/imports/0123abcd/offers.csv"),
            get(f"{base}/media/demo/%2e%2e/imports/0123abcd/offers.csv"),
        ]

    assert whole[0] == 200
    assert whole[1]["Accept-Ranges"] == "bytes"
    assert whole[1]["Content-Type"] == "video/mp4"
    assert whole[2] == data
    assert middle[0] == 206
    assert middle[1]["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert middle[2] == data[1000:2000]
    assert (tail[0], tail[2]) == (206, data[-10:])
    assert beyond[0] == 416
    assert beyond[1]["Content-Range"] == f"bytes */{len(data)}"
    assert missing[0] == 404
    # A path out of the media folder is refused, never served.
    assert escape[0] in {400, 404}
    assert b"DJANGO_SETTINGS_MODULE" not in escape[2]
    # Feeds uploaded for import are business data, never served as media.
    assert [status for status, _, _ in feeds] == [404, 404]
