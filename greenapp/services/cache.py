"""The one cache: viewer-independent results keyed on (what, scope, locale, version).

(Entries that hold formatted text or HTML key on the mount point too, SCRIPT_NAME, which
is empty at the root: their links carry it.)

Everything the dashboards reuse between requests goes through `cached()` here and is
stored in Flask-Caching (`greenapp.extensions.cache`): Redis when `REDIS_URL` is set,
so every worker and host shares one copy, an in-process SimpleCache otherwise.

Scopes and their versions
    A *scope* names the data an entry was computed from: ``school:<id>`` (one school's
    logs, pupils, targets and the factors/tariffs of its country and city) or
    ``programme`` (every school). Each scope has a counter in the ``cache_versions``
    table; a write bumps the counters of exactly the scopes it touched, in the same
    transaction as the write (see `invalidate`), so an entry is never newer than the
    database and never survives a change to its inputs. A write to school A moves
    ``school:A`` and ``programme``; school B's entries stay valid.

    Versions live in the database, not in the cache: with the in-process cache every
    worker still sees another worker's write, and a reader that read the version
    before the data cannot store old figures under a new version.

Lag
    Programme-wide pages may lag: with ``lag=PROGRAMME_CACHE_LAG_SECONDS`` an entry
    checked less than that many seconds ago is served without reading any version, so
    ten writes a second cost the overview one recomputation every few seconds, not ten.
    The entry carries the time its figures were last known current (`Entry.as_of`),
    which the page shows ("as of 14:05"). A school's own dashboard never lags: its
    coordinator sees a new entry at once.

Nothing here depends on the viewer: the person's name, the bell and the CSRF token are
rendered around the cached HTML on every request (tokens expire as Flask-WTF's default
says, independently of any entry's age).

Releases
    Entries hold HTML and figures made by this code from these templates, and Redis
    outlives a deploy. Keyed on data versions alone, a new release would serve the old
    one's pages (old markup, old stylesheet URLs) until their data moved or they expired
    (a day). So every key carries the release (`init_cache`): a digest of the code,
    templates, static files and catalogs, the same in every worker of one deploy.

``GREENAPP_STATS_CACHE=0`` in the environment turns caching off (benchmarks compare).
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import get_locale
from sqlalchemy import TextClause, bindparam, event, text, update
from sqlalchemy.orm import Session

from greenapp.extensions import cache as _store
from greenapp.extensions import db
from greenapp.models.cache import CacheVersion
from greenapp.models.community import Notification
from greenapp.models.user import User

T = TypeVar("T")
PROGRAMME = "programme"
_VERSIONS = "_greenapp_cache_versions"
_MEMO = "_greenapp_request_memo"


@functools.cache
def _bump(n_scopes: int) -> TextClause:
    """One upsert moving n scopes (built once per n: every write runs it; the same SQL
    on SQLite and PostgreSQL). Rows are written in the order of the VALUES list."""
    rows = ", ".join(f"(:scope{i}, 1, :changed_at)" for i in range(n_scopes))
    return text(
        f"INSERT INTO cache_versions (scope, n, changed_at) VALUES {rows} "  # noqa: S608  # nosec B608
        "ON CONFLICT (scope) DO UPDATE SET n = cache_versions.n + 1, "
        "changed_at = excluded.changed_at"
    ).bindparams(bindparam("changed_at", type_=CacheVersion.__table__.c.changed_at.type))


def school_scope(school_id: int) -> str:
    """The scope of one school's figures."""
    return f"school:{school_id}"


def user_scope(user_id: int) -> str:
    """The scope of one account: its row and its bell (see `track_user_changes`)."""
    return f"user:{user_id}"


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A cached value with the scope versions it was computed at and when that was."""

    value: T
    versions: tuple[int, ...]
    as_of: float  # epoch seconds: the value was current at this moment

    @property
    def as_of_datetime(self) -> datetime:
        """`as_of` as an aware UTC datetime (for format_time in the viewer's zone)."""
        return datetime.fromtimestamp(self.as_of, UTC)


def now() -> float:
    """The wall clock in epoch seconds (a function, so tests can move it)."""
    return time.time()


def enabled() -> bool:
    """False when GREENAPP_STATS_CACHE=0 (every figure computed on every request)."""
    return os.environ.get("GREENAPP_STATS_CACHE", "1") != "0"


def locale() -> str:
    """The locale part of a key: numbers and labels are formatted once per locale."""
    if not has_request_context():
        return "en"
    # Flask-Babel 4 keeps the request's locale in g._flask_babel (force_locale swaps it
    # there too); its text is remembered per locale object, as every key asks for it.
    current = getattr(g.get("_flask_babel"), "babel_locale", None) or get_locale()
    known = g.get("_greenapp_locale")
    if known is None or known[0] is not current:
        known = g._greenapp_locale = (current, str(current or "en"))
    return known[1]


# --- releases ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
RELEASE_FOLDERS = ("greenapp", "templates", "static")


def init_cache(app: Flask) -> None:
    """Flask-Caching for this app, its keys in this release's namespace (module doc).

    CACHE_RELEASE names the release instead of the digest (tests)."""
    release = app.config.get("CACHE_RELEASE") or release_digest(ROOT)
    app.config["CACHE_KEY_PREFIX"] = f"{app.config['CACHE_KEY_PREFIX']}{release}:"
    _store.init_app(app)


@functools.cache
def release_digest(root: Path) -> str:
    """12 hex digits of the SHA-1 of every source file under RELEASE_FOLDERS: the code,
    its translation catalogs, the templates and the static files (3 MB, read once per
    process). Compiled files (.pyc, .mo) are left out: they follow their sources."""
    digest = hashlib.sha1(usedforsecurity=False)
    for folder in RELEASE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix not in (".pyc", ".mo"):
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- versions ------------------------------------------------------------------------


def versions(*scopes: str) -> tuple[int, ...]:
    """The current version of each scope (0 for a scope never written), one query.

    Remembered for the rest of the request, so the figures of one page share one
    reading of the versions.
    """
    memo: dict[str, int] = g.setdefault(_VERSIONS, {}) if has_request_context() else {}
    missing = [s for s in scopes if s not in memo]
    if missing:
        rows = _read_versions(missing)
        for s in missing:
            memo[s] = int(rows.get(s, 0))
    return tuple(memo[s] for s in scopes)


_HAS_CONNECTION = "_greenapp_has_connection"


def _read_versions(scopes: list[str]) -> dict[str, int]:
    """`SELECT scope, n FROM cache_versions WHERE scope IN (...)` as cheaply as it goes.

    Every cached page view runs it, so it is plain driver SQL (no statement compiling).
    While the request's session holds no connection (a page served from the cache
    never needs one) it borrows a pooled DBAPI connection for just this read: a fresh
    reading of the committed versions, without the session's checkout, transaction
    and teardown (about a sixth of a cached page's cost). Once the session has a
    connection (it may have written), the read goes through it, so a writer sees its
    own moves.
    """
    session = db.session()
    if session.info.get(_HAS_CONNECTION):
        conn = session.connection()
        sql = _versions_sql(len(scopes), conn.dialect.paramstyle)
        return {s: n for s, n in conn.exec_driver_sql(sql, tuple(scopes)).all()}
    engine = db.engine
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(_versions_sql(len(scopes), engine.dialect.paramstyle), tuple(scopes))
            return {s: n for s, n in cursor.fetchall()}
        finally:
            cursor.close()
    finally:
        raw.close()  # back to the pool (which ends any transaction the read began)


def _versions_sql(count: int, paramstyle: str) -> str:
    # Only placeholders are joined into it; the scopes are bound parameters.
    mark = "?" if paramstyle == "qmark" else "%s"
    return f"SELECT scope, n FROM cache_versions WHERE scope IN ({', '.join([mark] * count)})"  # noqa: S608, E501  # nosec B608


def _connection_begun(session: Any, _transaction: Any, _connection: Any) -> None:
    session.info[_HAS_CONNECTION] = True


def _transaction_ended(session: Any, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost: the session gives its connection back
        session.info.pop(_HAS_CONNECTION, None)


def invalidate(scopes: Iterable[str]) -> None:
    """Move the versions of these scopes (part of the caller's transaction).

    Called as the LAST write of a transaction: every writer then takes these row locks
    after its summary rows, always in the same order, so two writers cannot deadlock.
    """
    wanted = sorted(set(scopes))  # sorted: one lock order for every writer
    if not wanted:
        return
    params: dict[str, Any] = {f"scope{i}": scope for i, scope in enumerate(wanted)}
    params["changed_at"] = datetime.now(UTC)
    db.session.execute(_bump(len(wanted)), params)  # one statement for all of them
    forget_request()


# --- users -----------------------------------------------------------------------------

_USERS_CHANGED = "_greenapp_users_changed"
_tracking = False


def user_changed(session: Any, user_id: int | None) -> None:
    """Note that a user's row or bell changed: `user:<id>` moves when the session commits.

    Changes through ORM objects are noted by `track_user_changes`; bulk UPDATEs on
    users or notifications call this themselves (notifications.mark_read)."""
    if user_id is not None:
        session.info.setdefault(_USERS_CHANGED, set()).add(int(user_id))


def _note_flushed(session: Any, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User):
            user_changed(session, obj.id)
        elif isinstance(obj, Notification):
            user_changed(session, obj.user_id)


def _bump_users(session: Any) -> None:
    session.flush()  # changes still pending are noted by _note_flushed first
    changed = session.info.pop(_USERS_CHANGED, None)
    if changed:
        ids = sorted(changed)  # one lock order for every writer
        params: dict[str, Any] = {f"scope{i}": user_scope(u) for i, u in enumerate(ids)}
        params["changed_at"] = datetime.now(UTC)
        session.execute(_bump(len(ids)), params)


def track_user_changes() -> None:
    """Move `user:<id>` in the transaction of every change to that user's row or
    notifications, so a worker's kept copy of the signed-in user (auth/loader.py)
    is never used after the row changed (installed once per process)."""
    global _tracking
    if _tracking:
        return
    _tracking = True
    event.listen(Session, "after_flush", _note_flushed)
    event.listen(Session, "before_commit", _bump_users)
    # Whether a session holds a connection (see _read_versions): its own hooks, in the
    # same once-per-process install.
    event.listen(Session, "after_begin", _connection_begun)
    event.listen(Session, "after_transaction_end", _transaction_ended)


def invalidate_everything() -> None:
    """Move every known scope and empty the cache (after a rebuild of the summaries)."""
    db.session.execute(update(CacheVersion).values(n=CacheVersion.n + 1))
    forget_request()
    _store.clear()
    _near().clear()


def forget_request() -> None:
    """Drop this request's remembered versions and aggregates (after a write)."""
    if has_request_context():
        g.pop(_VERSIONS, None)
        g.pop(_MEMO, None)


# --- entries -------------------------------------------------------------------------


# Entries are immutable and always checked against the scope versions (or `lag`), so
# each process also keeps the ones it last read or wrote, already decoded: a page view
# or an overview that reads 200 schools' parts then unpickles nothing (the store
# pickles every value, in-process SimpleCache included). Bounded; emptied when full.
NEAR_MAX = 4000


def _near() -> dict[str, Entry]:
    return local_memory("near")


def _set(key: str, value: Entry) -> None:
    _set_many({key: value})


def _set_many(items: dict[str, Entry]) -> None:
    near = _near()
    if len(near) + len(items) > NEAR_MAX:
        near.clear()
    near.update(items)
    _store.set_many(items)


def _get(key: str) -> Entry | None:
    return _get_many([key])[0]


def _get_many(keys: list[str]) -> list[Entry | None]:
    near = _near()
    found: list[Entry | None] = [near.get(k) for k in keys]
    missing = [i for i, item in enumerate(found) if item is None]
    if missing:
        for i, item in zip(missing, _store.get_many(*(keys[i] for i in missing)), strict=True):
            if item is not None:
                found[i] = near[keys[i]] = item
    return found


def _key(what: str, scopes: tuple[str, ...], key: Hashable, localized: bool = True) -> str:
    digest = hashlib.sha1(repr(key).encode(), usedforsecurity=False).hexdigest()[:20]
    place = "-"
    if localized:
        # Localized entries hold formatted text and rendered HTML, whose links carry the
        # mount point (SCRIPT_NAME, "" at the root): a part cached under one mount is
        # never served under another.
        place = locale() + (request.script_root if has_request_context() else "")
    return f"{what}|{','.join(scopes)}|{place}|{digest}"


def entry(
    what: str,
    scopes: str | tuple[str, ...],
    key: Hashable,
    compute: Callable[[], T],
    *,
    lag: float = 0.0,
) -> Entry[T]:
    """The cached entry for (what, scopes, locale, key), computed if missing or stale.

    `key` is anything whose repr() tells the entries of one `what` apart (a Scope, the
    query string, the local date). With `lag` > 0 an entry checked less than `lag`
    seconds ago is returned without reading the versions (see the module doc).
    """
    scope_t = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    if not enabled():
        return Entry(compute(), (), now())
    full_key = _key(what, scope_t, key)
    found: Entry[T] | None = _get(full_key)
    at = now()
    if found is not None and lag > 0 and at - found.as_of < lag:
        return found
    current = versions(*scope_t)
    if found is not None and found.versions == current:
        if lag > 0:  # still current: say so from now on, and skip checks for `lag` s
            found = Entry(found.value, current, at)
            _set(full_key, found)
        return found
    made = Entry(compute(), current, at)
    _set(full_key, made)
    return made


def cached(
    what: str,
    scopes: str | tuple[str, ...],
    key: Hashable,
    compute: Callable[[], T],
    *,
    lag: float = 0.0,
) -> T:
    """`entry(...).value`: the cached result of compute() (see `entry`)."""
    return entry(what, scopes, key, compute, lag=lag).value


def cached_per_scope(
    what: str, scopes: Sequence[str], key: Hashable, compute: Callable[[list[str]], dict[str, T]]
) -> dict[str, T]:
    """One entry per scope for the same key (not per locale): plain data such as one
    school's sums, for a page that shows many schools.

    Reads every entry and every version at once; compute(stale) is called once with
    the scopes whose entry is missing or stale and must return a value for each. After
    a write to one school only that school's part is computed again.
    """
    if not enabled():
        return compute(list(scopes))
    current = dict(zip(scopes, versions(*scopes), strict=True))
    keys = {s: _key(what, (s,), key, localized=False) for s in scopes}
    found = _get_many(list(keys.values()))
    out: dict[str, T] = {}
    stale: list[str] = []
    for scope, item in zip(scopes, found, strict=True):
        if item is not None and item.versions == (current[scope],):
            out[scope] = item.value
        else:
            stale.append(scope)
    if stale:
        made = compute(stale)
        at = now()
        _set_many({keys[s]: Entry(made[s], (current[s],), at) for s in stale})
        out.update(made)
    return out


# --- process-local pieces -------------------------------------------------------------

LOCAL_MAX = 2000


def local_memory(name: str, app: Flask | None = None) -> dict[Any, Any]:
    """This process's memory `name` (one per app): the one place where something is
    kept between requests outside the store above. Only for values that follow from
    their key alone, or that their user checks on every read (the signed-in user
    against its version, a session cookie against its expiry). Fill it with `keep`.

    The memories: ``near`` (decoded store entries), ``local`` (`cached_local`),
    ``users`` (auth/loader.py), ``sessions`` (verified cookies, extensions.py),
    ``csrf`` (signed CSRF tokens, main/csrf.py), ``nav`` (permissions.nav_links),
    ``glossary-links`` (services/glossary_links.py), ``urls`` (`fixed_url`).
    """
    return (app or current_app).extensions.setdefault(f"greenapp_memory_{name}", {})


def keep(memory: dict[Any, Any], key: Hashable, value: T, limit: int = LOCAL_MAX) -> T:
    """memory[key] = value, the memory emptied first when it is full (bounded)."""
    if len(memory) >= limit and key not in memory:
        memory.clear()
    memory[key] = value
    return value


def fixed_url(endpoint: str, **values: Any) -> str:
    """url_for for a link that is the same on every request of this app and mount point
    (a header link, a static file's hashed URL), built once and then read from the
    ``urls`` memory: a page has a dozen such links, each about 20 µs to build. Outside a
    request, and where URL defaults could add values, it is built each time."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not has_request_context() or any(app.url_default_functions.values()):
        return url_for(endpoint, **values)
    blueprint = request.blueprint if endpoint.startswith(".") else None
    key = (endpoint, blueprint, request.script_root, tuple(sorted(values.items())))
    memory = local_memory("urls", app)
    url = memory.get(key)
    if url is None:
        url = keep(memory, key, url_for(endpoint, **values))
    return url


def cached_local(what: str, key: Hashable, compute: Callable[[], T]) -> T:
    """compute() kept in this process per (what, locale, key): only for values that
    follow from their key alone (nothing read from the database), such as the viewer's
    corner of a page rendered for a given name, role, language and URL. Never stale;
    kept per app, emptied when it grows past LOCAL_MAX entries."""
    if not enabled():
        return compute()
    local = local_memory("local")
    full_key = _key(what, (), key)
    found = local.get(full_key)
    if found is None:
        found = keep(local, full_key, compute())
    return found


def programme_lag() -> float:
    """Seconds a programme-wide page may lag behind the last write (configuration)."""
    return float(current_app.config.get("PROGRAMME_CACHE_LAG_SECONDS", 5))


def request_memo() -> dict[Any, Any] | None:
    """A dict living for this request only (None outside requests).

    Used for the aggregates of one page render, which ask for overlapping groupings of
    one scope; emptied by `invalidate`, so a request that writes never reads its own
    stale sums.
    """
    if not has_request_context():
        return None
    return g.setdefault(_MEMO, {})
