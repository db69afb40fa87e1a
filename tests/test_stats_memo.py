"""One page asks for overlapping groupings of one scope; answers rolled up from an
earlier, finer aggregate of the same request equal what SQL gives on its own."""

from datetime import timedelta
from itertools import combinations

from greenapp.services import stats
from greenapp.services.stats import Scope
from tests.helpers import local_today, meters_read


def _canon(rows):
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)


def test_rolled_up_aggregates_equal_direct_sql(app, factory, db):
    today = local_today()
    kz = factory.school(name="Kyzylorda Lyceum", city="Kyzylorda", country="KZ")
    by = factory.school(name="Minsk Gymnasium", city="Minsk", country="BY", timezone="Europe/Minsk")
    for i, school in enumerate((kz, by)):
        coordinator = factory.user("coordinator", school=school)
        meters_read(school)  # "metered" water needs readings around its dates
        for n, (cat, unit, frac, ev) in enumerate(
            [
                ("water", "L", "", "metered"),
                ("water", "L", "", "self"),
                ("energy", "kWh", "", "document"),
                ("waste", "kg", "paper", "document"),
                ("waste", "kg", "glass", "self"),
            ]
        ):
            for back in (3, 40, 95):
                factory.log(
                    coordinator,
                    category=cat,
                    unit=unit,
                    fraction=frac,
                    evidence=ev,
                    quantity=str(10 + i + n + back),
                    action_date=today - timedelta(days=back),
                )
    scope = Scope(date_from=today - timedelta(days=120), date_to=today)
    bounds = (today - timedelta(days=50),)
    keys = ("owner", "category", "fraction", "segment")
    subsets = [c for n in range(1, len(keys) + 1) for c in combinations(keys, n)]
    subsets += [("city",), ("city", "category"), ("country", "segment"), ("owner", "city")]
    with app.app_context():  # no request: every call is its own SQL query
        direct = {k: _canon(stats.aggregate(scope, k, "month", bounds)) for k in subsets}
    with app.test_request_context("/"):
        stats.aggregate(
            scope, ("owner", "category", "fraction", "evidence", "segment"), "month", bounds
        )  # the finest first: the rest are rolled up
        memo_size = len(stats._request_memo())
        for k in subsets:
            assert _canon(stats.aggregate(scope, k, "month", bounds)) == direct[k], k
        assert len(stats._request_memo()) == memo_size  # nothing more went to SQL
        # Different factor boundaries: a grouping by segment must not reuse them.
        other = (today - timedelta(days=10),)
        assert _canon(stats.aggregate(scope, ("segment",), "month", other)) != direct[("segment",)]
