"""The eco glossary: a reviewed kk-ru-be-en term base (pages, review, exchange)."""
