"""Data quality: implausible entries are flagged; scientists verify or reject them."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from greenapp.models.log import DailySummary, EcoLog
from greenapp.services import summary


def _history(factory, owner, values, days_back=20):
    for i, value in enumerate(values):
        factory.log(
            owner, quantity=str(value), action_date=date.today() - timedelta(days=days_back - i)
        )


def _total(db, owner_id):
    return db.session.scalar(
        select(func.sum(DailySummary.quantity)).where(
            DailySummary.owner_id == owner_id, DailySummary.owner_type == "resident"
        )
    )


def test_far_above_the_usual_value_is_flagged(factory, db):
    resident = factory.user("resident")
    _history(factory, resident, [10, 12, 9, 11, 10])  # median 10
    normal = factory.log(resident, quantity="50")  # exactly 5x: not flagged
    odd = factory.log(resident, quantity="60")  # median now 10.5: 60 > 52.5
    assert normal.review_status == "ok"
    assert odd.review_status == "flagged"
    # No text is stored: each reader gets the explanation in their own language.
    assert odd.review_reason == ""


def test_an_automatic_flag_is_explained_in_the_owners_language(client, factory, login, db):
    resident = factory.user("resident", locale="ru")
    _history(factory, resident, [10, 12, 9, 11, 10])
    odd = factory.log(resident, quantity="600")
    login(resident)
    page = client.get(f"/logs/{odd.id}").get_data(as_text=True)
    assert "flagged automatically" not in page.lower()
    assert "far above this owner" not in page  # not left in English
    assert 'lang="ru"' in page
    assert "проверит учёный" in page


def test_too_little_history_flags_nothing(factory, db):
    resident = factory.user("resident")
    _history(factory, resident, [10, 10, 10, 10])
    assert factory.log(resident, quantity="5000").review_status == "ok"


def test_other_owners_and_old_logs_are_not_compared(factory, db):
    resident = factory.user("resident")
    _history(factory, resident, [10, 10, 10, 10, 10], days_back=200)
    other = factory.user("resident")
    _history(factory, other, [10, 10, 10, 10, 10])
    assert factory.log(resident, quantity="1000").review_status == "ok"


def test_an_edit_to_an_implausible_value_is_flagged(client, factory, login, db):
    resident = factory.user("resident")
    _history(factory, resident, [10, 10, 10, 10, 10])
    log = factory.log(resident, quantity="10")
    login(resident)
    client.post(
        f"/logs/{log.id}/edit",
        data={
            "category": "water",
            "fraction": "",
            "quantity": "900",
            "unit": "L",
            "action_date": log.action_date.isoformat(),
            "evidence": "self",
            "note": "",
            "version": str(log.version),
        },
    )
    db.session.refresh(log)
    assert log.quantity == Decimal("900") and log.review_status == "flagged"


def test_scientist_rejects_with_reason_owner_sees_why(client, factory, login, db):
    resident = factory.user("resident")
    _history(factory, resident, [10, 10, 10, 10, 10])
    odd = factory.log(resident, quantity="700")
    assert _total(db, resident.id) == Decimal("750")
    scientist = factory.user("scientist")
    login(scientist)
    page = client.get("/experts/quality").get_data(as_text=True)
    assert "700 L" in page
    page = client.post(
        f"/experts/quality/{odd.id}",
        data={"decision": "rejected", "reason": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Say why the entry is rejected" in page
    db.session.refresh(odd)
    assert odd.review_status == "flagged"
    client.post(
        f"/experts/quality/{odd.id}",
        data={"decision": "rejected", "reason": "Meter misread: 7.00 m3 typed as L"},
    )
    db.session.refresh(odd)
    assert odd.review_status == "rejected" and odd.deleted_at is None
    assert _total(db, resident.id) == Decimal("50")
    assert summary.stored_rows() == summary.recompute_rows()
    client.post("/auth/logout")
    login(resident)
    page = client.get(f"/logs/{odd.id}").get_data(as_text=True)
    assert "Meter misread" in page and "rejected" in page
    home = client.get("/community/notifications").get_data(as_text=True)
    assert "rejected your entry" in home and "Meter misread" in home


def test_scientist_verifies(client, factory, login, db):
    resident = factory.user("resident")
    _history(factory, resident, [10, 10, 10, 10, 10])
    odd = factory.log(resident, quantity="700")
    login(factory.user("scientist"))
    client.post(f"/experts/quality/{odd.id}", data={"decision": "verified", "reason": ""})
    db.session.refresh(odd)
    assert odd.review_status == "verified"
    assert _total(db, resident.id) == Decimal("750")
    assert (
        db.session.scalar(
            select(func.count()).select_from(EcoLog).where(EcoLog.review_status == "flagged")
        )
        == 0
    )


def test_school_logs_flagged_and_coordinators_notified(client, factory, login, db):
    coordinator = factory.user("coordinator")
    _history(factory, coordinator, [100, 100, 100, 100, 100])
    odd = factory.log(coordinator, quantity="9000")
    assert odd.review_status == "flagged"
    login(factory.user("scientist"))
    client.post(f"/experts/quality/{odd.id}", data={"decision": "rejected", "reason": "typo"})
    client.post("/auth/logout")
    login(coordinator)
    assert 'bell-count">1<' in client.get("/logs/").get_data(as_text=True)


def test_a_flagged_entry_awards_no_badge_until_verified(client, factory, login, db):
    from greenapp.models.community import Badge
    from greenapp.services import challenges
    from tests.helpers import make_challenge

    resident = factory.user("resident")
    challenge = make_challenge(
        db, factory.user("scientist"), target="500", start_date=date.today() - timedelta(days=30)
    )
    challenges.join(resident, challenge, date.today())
    db.session.commit()
    _history(factory, resident, [10, 10, 10, 10, 10])
    odd = factory.log(resident, quantity="700")
    assert odd.review_status == "flagged"
    assert db.session.scalar(select(func.count()).select_from(Badge)) == 0
    login(factory.user("scientist"))
    client.post(f"/experts/quality/{odd.id}", data={"decision": "verified", "reason": ""})
    assert db.session.scalar(select(func.count()).select_from(Badge)) == 1


POOL = ["0.5", "1", "2", "2.5", "9", "10", "10.001", "10.5", "11", "12", "50", "52.5", "100"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.lists(st.sampled_from(POOL), max_size=9),
    new=st.sampled_from([*POOL, "25", "50.001", "52.49", "53", "262.5", "500"]),
)
@example(history=["9", "10", "11", "12", "2", "100"], new="52.5")  # even: exactly 5x 10.5
@example(history=["9", "10", "11", "12", "2", "100"], new="52.501")  # even: just above
@example(history=["10", "10", "11", "9", "12"], new="50")  # odd: exactly 5x the median
@example(history=["10", "10", "11", "9", "12"], new="50.001")  # odd: just above
def test_the_one_pass_check_flags_exactly_what_the_median_rule_flags(factory, db, history, new):
    """A new entry is flagged when it is more than 5 times its owner's median (count and
    median read by usual_for); the write path decides it in one pass without the median,
    and must agree on every history, even counts and exact 5x boundaries included."""
    from greenapp.services import quality

    resident = factory.user("resident")
    _history(factory, resident, history)
    day = date.today()
    n, median = quality.usual_for(False, resident.id, "water", day)
    expected = median is not None and Decimal(new) > quality.FACTOR * median
    values = {"category": "water", "action_date": day, "quantity": Decimal(new)}
    assert quality.is_implausible_new(False, resident.id, values) is expected
    assert factory.log(resident, quantity=new, action_date=day).review_status == (
        "flagged" if expected else "ok"
    )


def _latest_median(history, day, cap):
    """The rule, written plainly: the latest `cap` (newest date first, then larger
    quantity first) of the entries dated in the 90 days up to `day`, and their median."""
    import statistics

    from greenapp.services import quality

    window = [(d, q) for d, q in history if day - timedelta(days=quality.WINDOW_DAYS) < d <= day]
    peers = [q for _d, q in sorted(window, reverse=True)[:cap]]
    if len(peers) < quality.MIN_PRIOR:
        return len(peers), None
    return len(peers), statistics.median(peers)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.lists(
        st.tuples(st.integers(0, 100), st.sampled_from(POOL)), min_size=5, max_size=12
    ),
    new=st.sampled_from([*POOL, "25", "53", "262.5", "500"]),
)
@example(  # habits changed: the latest 6 say 100, the 5 before them 2
    history=[(60, "2")] * 5 + [(d, "100") for d in range(1, 7)], new="262.5"
)
@example(  # one busy day: of its 8 entries the larger ones are the latest
    history=[(3, q) for q in ["2", "2", "2", "2", "100", "100", "100", "100"]], new="262.5"
)
def test_the_usual_value_is_the_median_of_the_latest_entries(
    factory, db, monkeypatch, history, new
):
    """With a busy owner only the latest entries count (cap made small here: 6), so the
    check reads the same few index entries for a school logging 3 or 3,000 entries a day
    and the usual value follows the owner's recent habits. Count, median, the one-pass
    check and the stored flag all follow the plain rule."""
    from greenapp.services import quality

    monkeypatch.setattr(quality, "LATEST", 6)
    resident = factory.user("resident")
    today = date.today()
    dated = [(today - timedelta(days=back), Decimal(q)) for back, q in history]
    for day, q in dated:
        factory.log(resident, quantity=str(q), action_date=day)
    n, median = _latest_median(dated, today, 6)
    assert quality.usual_for(False, resident.id, "water", today) == (n, median)
    expected = median is not None and Decimal(new) > quality.FACTOR * median
    values = {"category": "water", "action_date": today, "quantity": Decimal(new)}
    assert quality.is_implausible_new(False, resident.id, values) is expected
    assert factory.log(resident, quantity=new, action_date=today).review_status == (
        "flagged" if expected else "ok"
    )


@settings(max_examples=300)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 130), st.sampled_from(POOL), st.booleans()), max_size=40
    ),
    cap=st.integers(5, 9),
)
def test_an_import_flags_exactly_what_the_form_would(rows, cap):
    """The import's sweep (every entry of a file at once) flags the entries the rule
    flags one by one: the same window, the same cap of latest entries, itself left out,
    whatever the mix of days, busy days and entries already stored."""
    from unittest import mock

    from greenapp.services import bulk_write, quality

    start = date(2026, 1, 1)
    stored = sorted(
        (
            (i + 1, "water", start + timedelta(days=d), Decimal(q), is_new)
            for i, (d, q, is_new) in enumerate(rows)
        ),
        key=lambda r: (r[2], r[3]),
    )
    new = {r[0]: r[3] for r in stored if r[4]}
    expected = []
    for row in stored:
        if row[0] not in new:
            continue
        others = [(r[2], r[3]) for r in stored if r[0] != row[0]]
        _n, median = _latest_median(others, row[2], cap)
        if median is not None and row[3] > quality.FACTOR * median:
            expected.append(row[0])
    with mock.patch.object(quality, "LATEST", cap):
        flagged = bulk_write._sweep(
            [r[:4] for r in stored], new, timedelta(days=quality.WINDOW_DAYS)
        )
    assert sorted(flagged) == sorted(expected)
