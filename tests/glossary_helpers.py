"""Small glossary data sets for the glossary tests."""

from pathlib import Path

from greenapp.services import glossary as svc
from greenapp.services.glossary_exchange import read_yaml

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "glossary" / "terms.yaml"

SMALL = """
sources:
  kz-ec: {title: "Environmental Code of the Republic of Kazakhstan (2021)"}
defaults:
  status: {kk: proposed, be: proposed, ru: admitted, en: admitted}
fields:
  waste:
  - key: waste-sorting
    kk: [қалдықтарды сұрыптау, {text: сұрыптау}]
    ru: [сортировка отходов, {text: сортировка}]
    be: [сартаванне адходаў, {text: сартаванне}]
    en: [waste sorting, {text: sorting, status: deprecated}]
    def_ru: Разделение отходов по видам.
    def_en: Separating waste by type.
    src: kz-ec
    ref: Art. 320
    related: [recycling]
  - key: recycling
    kk: қайта өңдеу
    ru: переработка отходов
    be: перапрацоўка адходаў
    en: {text: recycling, status: preferred, context: "Paper goes to recycling.", context_source: "UNEP"}
    def_en: Processing waste into new materials.
    src: kz-ec
  water:
  - key: water
    kk: су
    ru: вода
    be: вада
    en: water
    def_en: H2O.
"""


def load_small(db, actor=None):
    """Load three concepts (waste sorting, recycling, water)."""
    result = svc.apply(read_yaml(SMALL), actor)
    db.session.commit()
    return result


def load_full(db):
    """Load the repository's data file."""
    result = svc.apply(read_yaml(DATA_FILE.read_text(encoding="utf-8")), None)
    db.session.commit()
    return result
