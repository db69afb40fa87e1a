"""Files people can open: no formulas, the reader's language, a unit column, a BOM, totals
that add up; and the entries list as CSV and XLSX with totals that leave rejected out."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from greenapp.models.impact import Tariff
from greenapp.services import logs as log_service
from greenapp.services.downloads import FORMULA_STARTS, csv_text, neutralise
from tests.helpers import signed_in_client

EVIL = '=HYPERLINK("http://evil.example","x")'


def _rows(resp) -> list[list[str]]:
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff"), "UTF-8 with a BOM, so Excel reads Cyrillic right"
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(start):
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("Lyceum 3") == "Lyceum 3"
    assert neutralise(Decimal("-5")) == Decimal("-5")  # numbers stay numbers
    assert csv_text(["h"], [[f"{start}cmd"]]).splitlines()[1].strip('"').startswith("'")


def test_a_school_named_like_a_formula_is_text_in_every_dashboard_csv(app, factory, db):
    school = factory.school(name=EVIL)
    coordinator = factory.user("coordinator", school=school)
    factory.log(coordinator, quantity="120")
    client = signed_in_client(app, factory.user("admin"))
    resp = client.get("/dashboards/programme/ranking.csv")
    rows = _rows(resp)
    cells = [c for row in rows for c in row]
    assert "'" + EVIL in cells
    assert not any(c.startswith(FORMULA_STARTS) for c in cells)
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]


def test_chart_csv_speaks_the_readers_language_and_has_a_unit_column(app, factory, db):
    school = factory.school()
    coordinator = factory.user("coordinator", school=school)
    factory.log(coordinator, quantity="120")
    reader = factory.user("admin", locale="ru")
    client = signed_in_client(app, reader)
    rows = _rows(client.get(f"/dashboards/school/{school.id}/cat-water.csv"))
    assert rows[0][0] != "Series" and rows[0][-1] == "Единица измерения"
    assert rows[1:] and all(row[-1] == "л" for row in rows[1:])


def test_savings_csv_rows_add_up_to_the_printed_total(app, factory, db):
    db.session.add(
        Tariff(
            city="Kyzylorda",
            country="KZ",
            category="water",
            fraction="",
            currency="KZT",
            price_per_unit=Decimal("0.333333"),
            valid_from=date(2000, 1, 1),
            source="test",
        )
    )
    db.session.commit()
    school = factory.school(name="=cmd|' /C calc'!A0", pupils=3)
    coordinator = factory.user("coordinator", school=school)
    for days, qty in ((3, "1"), (40, "2"), (70, "4")):
        factory.log(coordinator, quantity=qty, action_date=date.today() - timedelta(days=days))
    client = signed_in_client(app, factory.user("economist"))
    rows = _rows(client.get(f"/experts/savings.csv?subject={school.id}"))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Report for", "Month", "Category", "Quantity", "Unit"]
    total = [r for r in body if r[2] == "Total"]
    months = [r for r in body if r[2] != "Total"]
    assert len(total) == 1 and months
    assert sum(Decimal(r[6]) for r in months) == Decimal(total[0][6])
    assert all(r[0].startswith("'") for r in body)  # the school name cannot run
    assert all(r[2] == "Water saved" and r[4] == "L" for r in months)


def test_entries_list_downloads_as_csv_and_xlsx_in_the_readers_language(app, factory, db):
    from openpyxl import load_workbook

    coordinator = factory.user("coordinator", locale="kk")
    factory.log(coordinator, quantity="1.5", unit="m3", note="@SUM(A1:A9)")
    client = signed_in_client(app, coordinator)
    rows = _rows(client.get("/logs/export.csv"))
    assert rows[0][0] == "Күні"
    assert rows[1][4] == "1500.000" and rows[1][10] == "'@SUM(A1:A9)"
    resp = client.get("/logs/export.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(resp.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][4] == 1500 and values[1][10] == "'@SUM(A1:A9)"
    assert values[0] == tuple(rows[0])


def test_entries_list_totals_leave_rejected_entries_out_and_name_the_period(app, factory, db):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, quantity="100")
    wrong = factory.log(coordinator, quantity="900")
    log_service.set_review(factory.user("scientist"), wrong, "rejected", "typo")
    db.session.commit()
    client = signed_in_client(app, coordinator)
    page = client.get("/logs/?date_from=2025-01-01").get_data(as_text=True)
    assert "100 L" in page and "1,000 L" not in page
    assert "Totals from" in page and "not counted" in page
    assert "Totals over all dates." in client.get("/logs/").get_data(as_text=True)


def test_the_entries_download_keeps_to_what_the_reader_may_see(app, factory, db):
    mine = factory.user("coordinator")
    other = factory.user("coordinator")
    factory.log(other, quantity="7", note="OTHER-SCHOOL")
    client = signed_in_client(app, mine)
    assert "OTHER-SCHOOL" not in client.get("/logs/export.csv").get_data(as_text=True)
    assert signed_in_client(app, None).get("/logs/export.csv").status_code == 302
