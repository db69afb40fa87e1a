"""Home page, language switch, error pages and template helpers."""
