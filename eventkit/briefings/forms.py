"""Forms of the briefings feature."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from eventkit.briefings.services import PAPERS


class EmailBriefingsForm(FlaskForm):
    """Email every confirmed guest their briefing, on the paper size chosen here."""

    paper = SelectField("Paper", choices=[SelectChoice(p.key, p.label) for p in PAPERS.values()], default="a4")
