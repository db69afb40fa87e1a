"""Benchmark: server time to accept a 5 MB phone photo, and the school dashboard with meters.

Serves the app with gunicorn (2 sync workers) on 127.0.0.1 against a private SQLite
database, signs in as a coordinator and posts the log form with a 5 MB, 12-megapixel
JPEG (the size a phone camera sends) N times; reports the p50 and p90 of the time from
sending to the redirect (reading, decoding, orienting, re-encoding, thumbnail, storing).
Then loads 26 months of readings on two meters with a baseline and compares the school
dashboard's p50 (caches off) with and without the measured section.

    .venv/bin/python bench/upload.py            # writes bench/upload_results.json
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PORT = int(os.environ.get("BENCH_UPLOAD_PORT", "5520"))
RUNS = int(os.environ.get("BENCH_UPLOAD_RUNS", "15"))
PAGE_RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "15"))
PASSWORD = "bench-password-2026"  # noqa: S105 - throwaway benchmark account


def photo_5mb() -> bytes:
    """A 4032x3024 JPEG of about 5 MB (noise keeps it from compressing)."""
    from PIL import Image

    rng = __import__("random").Random(2026)
    w, h = 4032, 3024
    img = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=55)
    return out.getvalue()


def setup(db: Path, env: dict) -> None:
    """Schema, one school with a coordinator (joined two years ago)."""
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade", "heads"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    code = f"""
from datetime import date, timedelta
from greenapp import create_app
from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.place import City
from greenapp.models.school import School
from greenapp.models.user import User
app = create_app()
with app.app_context():
    city = db.session.scalar(db.select(City).where(City.name_en == "Kyzylorda"))
    s = School(name="Bench School", city="Kyzylorda", city_id=city.id, country="KZ",
               pupils=800, joined_on=date.today() - timedelta(days=700),
               timezone="Asia/Qyzylorda")
    db.session.add(s)
    u = User(email="bench@example.org", display_name="Bench", role="coordinator", school=s,
             email_confirmed_at=utcnow())
    u.set_password({PASSWORD!r})
    db.session.add(u)
    db.session.commit()
"""
    subprocess.run([str(BIN / "python"), "-c", code], env=env, check=True, cwd=ROOT)


def add_meters(env: dict) -> None:
    """Two meters with monthly readings since a year before joining, and a baseline."""
    code = """
from decimal import Decimal
from greenapp import create_app
from greenapp.extensions import db
from greenapp.models.user import User
from greenapp.services import meters as ms
from greenapp.services.clock import today_in
app = create_app()
with app.app_context():
    u = db.session.scalar(db.select(User).where(User.email == "bench@example.org"))
    s = u.school
    water = ms.add_meter(u, s, ms.MeterInput("water", "m3", "Water"))
    power = ms.add_meter(u, s, ms.MeterInput("electricity", "kWh", "Power"))
    month = ms.add_months(ms.month_start(s.joined_on), -12)
    w, e = Decimal(100), Decimal(10000)
    while month <= today_in(s.timezone):
        ms.add_reading(u, water, ms.ReadingInput("index", month, str(w)))
        ms.add_reading(u, power, ms.ReadingInput("index", month, str(e)))
        w += Decimal("31.5")
        e += Decimal(2100)
        month = ms.add_months(month, 1)
    ms.set_baseline(u, s, ms.BaselineInput("year_before_joining", "780"))
    db.session.commit()
"""
    subprocess.run([str(BIN / "python"), "-c", code], env=env, check=True, cwd=ROOT)


def serve(env: dict) -> subprocess.Popen:
    """gunicorn with 2 sync workers on 127.0.0.1."""
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def token(op, path: str) -> str:
    html = op.open(f"http://127.0.0.1:{PORT}{path}").read().decode()
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def login(op) -> None:
    data = urllib.parse.urlencode(
        {"csrf_token": token(op, "/auth/login"), "email": "bench@example.org", "password": PASSWORD}
    ).encode()
    try:
        op.open(f"http://127.0.0.1:{PORT}/auth/login", data)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.code


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="IMG_0001.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_times(op, photo: bytes) -> list[float]:
    out = []
    day = (date.today() - timedelta(days=1)).isoformat()
    for i in range(RUNS):
        fields = {
            "csrf_token": token(op, "/logs/new"),
            "category": "water",
            "quantity": str(10 + i),
            "unit": "L",
            "action_date": day,
            "evidence": "document",
            "fraction": "",
            "note": f"bench {i}",
        }
        body, ctype = multipart(fields, photo)
        req = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/logs/new", data=body, headers={"Content-Type": ctype}
        )
        start = time.perf_counter()
        try:
            op.open(req)
            raise RuntimeError("the upload was not accepted (no redirect)")
        except urllib.error.HTTPError as exc:
            if exc.code != 302:
                raise
        out.append((time.perf_counter() - start) * 1000)
    return out


def page_times(op, path: str) -> list[float]:
    out = []
    for _ in range(PAGE_RUNS):
        start = time.perf_counter()
        body = op.open(f"http://127.0.0.1:{PORT}{path}").read()
        out.append((time.perf_counter() - start) * 1000)
        assert body
    return out


def main() -> int:
    photo = photo_5mb()
    with tempfile.TemporaryDirectory(prefix="greenapp-bench-upload-") as tmp:
        db = Path(tmp) / "bench.db"
        env = dict(
            os.environ,
            DATABASE_URL=f"sqlite:///{db}",
            FLASK_APP="greenapp:create_app",
            GREENAPP_ENV="development",
            EVIDENCE_DIR=str(Path(tmp) / "evidence"),
            GREENAPP_STATS_CACHE="0",
            PYTHONPATH=str(ROOT),
        )
        setup(db, env)
        proc = serve(env)
        try:
            op = opener()
            login(op)
            school_id = 1
            before = page_times(op, f"/dashboards/school/{school_id}")
            times = upload_times(op, photo)
        finally:
            proc.terminate()
            proc.wait()
        add_meters(env)
        proc = serve(env)
        try:
            op = opener()
            login(op)
            page = op.open(f"http://127.0.0.1:{PORT}/dashboards/school/1").read().decode()
            assert "measured-saving" in page, "the measured section is missing"
            after = page_times(op, "/dashboards/school/1")
        finally:
            proc.terminate()
            proc.wait()
    result = {
        "date": date.today().isoformat(),
        "photo_bytes": len(photo),
        "photo_pixels": "4032x3024",
        "upload_runs": RUNS,
        "upload_p50_ms": round(statistics.median(times), 1),
        "upload_p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 1),
        "dashboard_caches_off_p50_ms_without_meters": round(statistics.median(before), 1),
        "dashboard_caches_off_p50_ms_with_meters": round(statistics.median(after), 1),
    }
    print(json.dumps(result, indent=2))
    (ROOT / "bench" / "upload_results.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
