"""Start-up rules for production that protect the sign-in limits."""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence

ALLOW_MEMORY_LIMITER = "GREENAPP_ALLOW_MEMORY_LIMITER"


def _workers_in_args(args: Sequence[str]) -> int | None:
    """The gunicorn worker count given as -w N, -wN, --workers N or --workers=N."""
    found = None
    for i, arg in enumerate(args):
        value = None
        if arg in ("-w", "--workers") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--workers="):
            value = arg.split("=", 1)[1]
        elif re.fullmatch(r"-w\d+", arg):
            value = arg[2:]
        if value is not None and value.strip().isdigit():
            found = int(value)
    return found


def worker_count(
    environ: Mapping[str, str] | None = None, argv: Sequence[str] | None = None
) -> int:
    """How many server processes will serve the app, as far as the app can tell.

    gunicorn's order: its command line (`-w`/`--workers`), then ``GUNICORN_CMD_ARGS``,
    then ``WEB_CONCURRENCY`` (the default of ``--workers``), else 1. The workers are forked
    from the master, so they see the master's ``sys.argv``. A worker count set only in a
    gunicorn config file (``-c``) is not seen: set WEB_CONCURRENCY too.
    """
    environ = os.environ if environ is None else environ
    argv = sys.argv if argv is None else argv
    own_args = (
        list(argv[1:])
        if argv
        and "gunicorn"
        in os.path.basename(
            os.path.dirname(argv[0]) if argv[0].endswith("__main__.py") else argv[0]
        )
        else []
    )
    for source in (own_args, shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))):
        workers = _workers_in_args(source)
        if workers is not None:
            return workers
    concurrency = environ.get("WEB_CONCURRENCY", "").strip()
    return int(concurrency) if concurrency.isdigit() else 1


def check_production_limiter(
    storage_uri: str, environ: Mapping[str, str] | None = None, argv: Sequence[str] | None = None
) -> None:
    """Refuse several workers with per-process (memory) sign-in counters.

    Each worker would count failures on its own, so an attacker gets N times the tries.
    Set REDIS_URL, or GREENAPP_ALLOW_MEMORY_LIMITER=1 to accept that knowingly.
    """
    environ = os.environ if environ is None else environ
    if not storage_uri.startswith("memory"):
        return
    workers = worker_count(environ, argv)
    if workers > 1 and environ.get(ALLOW_MEMORY_LIMITER, "") != "1":
        raise RuntimeError(
            f"{workers} workers would each keep their own sign-in counters. Set REDIS_URL "
            f"(e.g. redis://127.0.0.1:6379/0) so that they share one store, run one worker, "
            f"or set {ALLOW_MEMORY_LIMITER}=1 to start anyway."
        )


def warn_without_public_url(public_base_url: str) -> None:
    """Links in mails should not come from the request's Host header in production."""
    if not public_base_url:
        import logging

        logging.getLogger("greenapp").warning(
            "PUBLIC_BASE_URL is not set: links in mails use the request's Host header. "
            "Set it to the site's address (e.g. https://green.example.kz)."
        )
