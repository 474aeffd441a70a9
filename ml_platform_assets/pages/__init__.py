"""The platform's HTML pages: the evaluation report, the model document and the daily drift page.

Plain data in, one self-contained HTML string out: Jinja2 templates with autoescaping
(``templates/``), inline CSS, charts drawn as inline SVG from geometry computed in Python, no
scripts and no external resources, so an archived page opens anywhere years later. Nothing
here imports Dagster or reads storage.
"""
