"""Test files for evidence uploads: photos with GPS EXIF, PDFs, disguised executables."""

from __future__ import annotations

import io

import pytest
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_with_gps(
    width: int = 64, height: int = 32, fmt: str = "JPEG", orientation: int | None = 6
) -> bytes:
    """A small photo whose EXIF carries a GPS position (and a rotation, by default)."""
    img = Image.new("RGB", (width, height), (30, 140, 60))
    for x in range(width // 2):  # a visible mark in the top-left corner
        img.putpixel((x, 0), (255, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if orientation:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (44.0, 50.0, 30.0)  # Kyzylorda
    gps[3] = "E"
    gps[4] = (65.0, 30.0, 10.0)
    out = io.BytesIO()
    img.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def png_with_alpha() -> bytes:
    """A small transparent PNG."""
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


def heic_photo() -> bytes:
    """A small HEIC image, as iPhones take them."""
    from pillow_heif import from_pillow

    heif = from_pillow(Image.new("RGB", (40, 30), (200, 100, 0)))
    out = io.BytesIO()
    heif.save(out, quality=70)
    return out.getvalue()


def small_pdf() -> bytes:
    """A minimal but complete PDF."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def windows_exe() -> bytes:
    """The start of a Windows executable (MZ header)."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def bomb_png(side: int = 10_000) -> bytes:
    """A tiny PNG that claims side x side pixels (100 MP): a decompression bomb."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def exif_of(data: bytes) -> dict:
    """Every EXIF tag left in an image (empty when stripped)."""
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        found = dict(exif)
        found.update({f"gps:{k}": v for k, v in exif.get_ifd(GPS_IFD).items()})
        found.update({f"info:{k}": 1 for k in img.info if k in ("exif", "xmp")})
        return found


# --- a local S3-speaking server (moto's server mode), never the internet ------------

S3_BUCKET = "greenapp-evidence-test"


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free port of 127.0.0.1 for the whole run; its endpoint URL."""
    import os

    from moto.server import ThreadedMotoServer

    # Fake credentials for the local server only; boto3 reads them from the environment.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh, empty bucket on the local server; its name."""
    import uuid

    import boto3

    name = f"{S3_BUCKET}-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def evidence_backend(request, app, tmp_path):
    """The app's evidence storage set to a private local directory, then to S3."""
    if request.param == "local":
        app.config.update(EVIDENCE_STORAGE="local", EVIDENCE_DIR=str(tmp_path / "ev"))
    else:
        server = request.getfixturevalue("s3_server")
        bucket = request.getfixturevalue("s3_bucket")
        app.config.update(
            EVIDENCE_STORAGE="s3",
            EVIDENCE_S3_BUCKET=bucket,
            EVIDENCE_S3_ENDPOINT_URL=server,
            EVIDENCE_S3_REGION="us-east-1",
        )
    app.extensions.pop("greenapp_storage", None)
    return request.param
