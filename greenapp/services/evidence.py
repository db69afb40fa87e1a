"""Evidence files: check what a file really is, clean it, store it, decide who sees it.

    prepared = prepare_uploads(request.files.getlist("files"))   # ValidationFailed
    attach(actor, prepared, log=log)                              # quota, store, rows

- The type is decided by the bytes (magic numbers), never by the name or the browser's
  content type: JPEG, PNG, WebP, HEIC/HEIF (phones, via pillow-heif) and PDF. Anything
  else (a renamed .exe, a script, an SVG) is refused.
- Images are decoded and re-encoded by Pillow: orientation applied
  (ImageOps.exif_transpose), every metadata block (EXIF with GPS, XMP, ICC comments)
  dropped, at most IMAGE_MAX_SIDE px on the longest side, saved as JPEG; a thumbnail
  of THUMB_SIDE px is made too. Decompression bombs (more than IMAGE_MAX_PIXELS) are
  refused before decoding.
- PDFs are stored as they are and only ever served as downloads, with a sandboxing CSP.
- Limits: EVIDENCE_MAX_FILE_BYTES per file, EVIDENCE_MAX_FILES per entry and
  EVIDENCE_QUOTA_BYTES per school (or resident).
- Who may see a file is exactly who may see its entry or reading.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from greenapp.extensions import db
from greenapp.models.evidence import FILE_IMAGE, FILE_PDF, EvidenceFile
from greenapp.models.log import EcoLog
from greenapp.models.meters import MeterReading
from greenapp.models.user import COORDINATOR, RESIDENT, User
from greenapp.services.errors import ValidationFailed
from greenapp.services.storage import get_storage

IMAGE_MAX_SIDE = 2000  # plenty to read a meter dial or a receipt
THUMB_SIDE = 320
JPEG_QUALITY = 85
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
DEFAULT_MAX_FILE = 15 * 1024 * 1024
DEFAULT_MAX_FILES = 5
DEFAULT_QUOTA = 500 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
FIELD = "files"

_heif_ready = False


def _register_heif() -> None:
    global _heif_ready
    if not _heif_ready:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_ready = True


def sniff(data: bytes) -> str | None:
    """The file's real type from its first bytes: jpeg, png, webp, heic, pdf or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    if data[:5] == b"%PDF-":
        return "pdf"
    return None


def limit(name: str, default: int) -> int:
    """A size limit from the app's config."""
    return int(current_app.config.get(name, default))


def mb(n: int) -> str:
    """Bytes as whole megabytes for messages."""
    return f"{n / (1024 * 1024):.0f}"


@dataclass
class Prepared:
    """A checked, cleaned upload ready to store."""

    data: bytes
    file_type: str
    content_type: str
    original_name: str
    thumb: bytes | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        """Bytes this file takes in storage, thumbnail included."""
        return len(self.data) + len(self.thumb or b"")


def _clean_name(name: str | None) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')[:120]


def _image(data: bytes, kind: str, name: str) -> Prepared:
    if kind == "heic":
        _register_heif()
    max_pixels = limit("EVIDENCE_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > max_pixels:
                    raise Image.DecompressionBombError("too many pixels")
                if img.format == "JPEG":
                    # Decode at a reduced DCT scale when the photo is far larger than we
                    # keep: a 12 MP phone photo decodes about 4x faster.
                    k = IMAGE_MAX_SIDE / max(img.size)
                    if k < 1:
                        img.draft("RGB", (int(img.width * k), int(img.height * k)))
                img.load()
                img = ImageOps.exif_transpose(img)  # type: ignore[assignment]
                if img.mode in ("RGBA", "LA", "P"):
                    img = img.convert("RGBA")  # type: ignore[assignment]
                    flat = Image.new("RGB", img.size, (255, 255, 255))
                    flat.paste(img, mask=img.getchannel("A"))
                    img = flat  # type: ignore[assignment]
                elif img.mode != "RGB":
                    img = img.convert("RGB")  # type: ignore[assignment]
                img.thumbnail(
                    (IMAGE_MAX_SIDE, IMAGE_MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0
                )
                out = io.BytesIO()
                # A fresh encode without exif=/icc_profile=/comment: no metadata survives.
                img.save(out, "JPEG", quality=JPEG_QUALITY)
                thumb_img = img.copy()
                thumb_img.thumbnail(
                    (THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0
                )
                thumb = io.BytesIO()
                thumb_img.save(thumb, "JPEG", quality=80)
                width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed(
            _l(
                "“%(name)s” has too many pixels to be a photo (at most %(mp)s megapixels).",
                name=name,
                mp=max_pixels // 1_000_000,
            ),
            FIELD,
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationFailed(
            _l("“%(name)s” could not be read as an image; it may be damaged.", name=name), FIELD
        ) from None
    return Prepared(
        data=out.getvalue(),
        file_type=FILE_IMAGE,
        content_type="image/jpeg",
        original_name=name,
        thumb=thumb.getvalue(),
        width=width,
        height=height,
    )


def _pdf(data: bytes, name: str) -> Prepared:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationFailed(_l("“%(name)s” is not a complete PDF file.", name=name), FIELD)
    return Prepared(
        data=data, file_type=FILE_PDF, content_type="application/pdf", original_name=name
    )


def prepare(data: bytes, filename: str | None) -> Prepared:
    """Check one upload by its content and clean it; ValidationFailed if refused."""
    name = _clean_name(filename) or "file"
    max_file = limit("EVIDENCE_MAX_FILE_BYTES", DEFAULT_MAX_FILE)
    if len(data) > max_file:
        raise ValidationFailed(
            _l(
                "“%(name)s” is larger than %(mb)s MB; send a smaller photo or scan.",
                name=name,
                mb=mb(max_file),
            ),
            FIELD,
        )
    if not data:
        raise ValidationFailed(_l("“%(name)s” is empty.", name=name), FIELD)
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed(
            _l(
                "“%(name)s” is not a photo (JPEG, PNG, WebP, HEIC) or a PDF, whatever its "
                "name says.",
                name=name,
            ),
            FIELD,
        )
    if kind == "pdf":
        return _pdf(data, name)
    return _image(data, kind, name)


def prepare_uploads(files: list[Any]) -> list[Prepared]:
    """Check every uploaded file (werkzeug FileStorage); nothing is stored yet."""
    chosen = [f for f in files if f is not None and (f.filename or "")]
    max_files = limit("EVIDENCE_MAX_FILES", DEFAULT_MAX_FILES)
    if len(chosen) > max_files:
        raise ValidationFailed(_l("At most %(n)s files per entry.", n=max_files), FIELD)
    max_file = limit("EVIDENCE_MAX_FILE_BYTES", DEFAULT_MAX_FILE)
    out = []
    for f in chosen:
        data = f.stream.read(max_file + 1)
        out.append(prepare(data, f.filename))
    return out


def used_bytes(school_id: int | None, resident_id: int | None) -> int:
    """Bytes an owner's files take in storage (files and thumbnails)."""
    stmt = select(func.coalesce(func.sum(EvidenceFile.size + EvidenceFile.thumb_size), 0))
    if school_id is not None:
        stmt = stmt.where(EvidenceFile.school_id == school_id)
    else:
        stmt = stmt.where(EvidenceFile.resident_id == resident_id)
    return int(db.session.scalar(stmt) or 0)


def attach(
    actor: User,
    prepared: list[Prepared],
    *,
    log: EcoLog | None = None,
    reading: MeterReading | None = None,
) -> list[EvidenceFile]:
    """Store cleaned files for an entry or a reading, within the owner's quota."""
    if not prepared:
        return []
    if log is not None:
        school_id, resident_id = log.school_id, log.resident_id
    elif reading is not None:
        school_id, resident_id = reading.meter.school_id, reading.meter.resident_id
    else:
        raise ValueError("attach needs a log or a reading")
    quota = limit("EVIDENCE_QUOTA_BYTES", DEFAULT_QUOTA)
    used = used_bytes(school_id, resident_id)
    adding = sum(p.size for p in prepared)
    if used + adding > quota:
        raise ValidationFailed(
            _l(
                "Not enough storage left: %(used)s of %(quota)s MB are used and these files "
                "need %(need)s MB more. Ask the programme staff for more space, or send "
                "smaller files.",
                used=mb(used),
                quota=mb(quota),
                need=mb(adding) or "1",
            ),
            FIELD,
        )
    storage = get_storage()
    rows = []
    for p in prepared:
        key = storage.put(p.data)
        thumb_key = storage.put(p.thumb) if p.thumb else None
        row = EvidenceFile(
            sha256=key,
            thumb_sha256=thumb_key,
            file_type=p.file_type,
            content_type=p.content_type,
            size=len(p.data),
            thumb_size=len(p.thumb or b""),
            width=p.width,
            height=p.height,
            original_name=p.original_name,
            log_id=log.id if log else None,
            reading_id=reading.id if reading else None,
            school_id=school_id,
            resident_id=resident_id,
            created_by_id=actor.id,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def files_for_logs(log_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    """The files of several entries at once (one query), oldest first."""
    if not log_ids:
        return {}
    out: dict[int, list[EvidenceFile]] = {}
    stmt = (
        select(EvidenceFile)
        .where(EvidenceFile.log_id.in_(log_ids), EvidenceFile.purged_at.is_(None))
        .order_by(EvidenceFile.id)
    )
    for f in db.session.scalars(stmt):
        out.setdefault(f.log_id, []).append(f)  # type: ignore[arg-type]
    return out


def files_for_readings(reading_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    """The files of several meter readings at once (one query)."""
    if not reading_ids:
        return {}
    out: dict[int, list[EvidenceFile]] = {}
    stmt = (
        select(EvidenceFile)
        .where(EvidenceFile.reading_id.in_(reading_ids), EvidenceFile.purged_at.is_(None))
        .order_by(EvidenceFile.id)
    )
    for f in db.session.scalars(stmt):
        out.setdefault(f.reading_id, []).append(f)  # type: ignore[arg-type]
    return out


def count_for_log(log_id: int) -> int:
    """How many files an entry has."""
    return int(
        db.session.scalar(
            select(func.count(EvidenceFile.id)).where(
                EvidenceFile.log_id == log_id, EvidenceFile.purged_at.is_(None)
            )
        )
        or 0
    )


def can_view(user: User, f: EvidenceFile) -> bool:
    """Exactly who may see the file's entry or reading (deny by default)."""
    if not user.is_authenticated or f.purged_at is not None:
        return False
    if f.log_id is not None:
        from greenapp.services import logs as log_service

        log = db.session.get(EcoLog, f.log_id)
        return log is not None and log_service.can_view(user, log)
    if f.reading_id is not None:
        from greenapp.services.meters import can_view_meter

        reading = db.session.get(MeterReading, f.reading_id)
        return reading is not None and can_view_meter(user, reading.meter)
    return False


def may_upload(user: User) -> bool:
    """Coordinators and residents attach files to what they log."""
    return user.role in (COORDINATOR, RESIDENT)
