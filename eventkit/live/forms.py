"""Forms of the live feature."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional


class ScreenLinkForm(FlaskForm):
    label = StringField("Label", validators=[DataRequired(message="Give the screen a label, e.g. Projector."),
                                             Length(max=60)],
                        description="Where it is shown, e.g. “Projector” or “Bar screen”.")


class TapForm(FlaskForm):
    """One conversation's answers: did it happen, was it worth it, follow up?"""

    outcome = RadioField("Did you meet?", choices=[SelectChoice("met", "We met"), SelectChoice("not_there", "They were not there")],
                         validators=[DataRequired(message="Say whether you met.")])
    worth = RadioField("Worth it?", choices=[SelectChoice("yes", "Yes"), SelectChoice("somewhat", "Somewhat"), SelectChoice("no", "No")],
                       validators=[Optional()])
    follow_up = RadioField("Follow up?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")], validators=[Optional()])
