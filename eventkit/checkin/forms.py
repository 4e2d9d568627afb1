"""Forms of the checkin feature."""
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class DoorLinkForm(FlaskForm):
    label = StringField(
        "Label", validators=[DataRequired(message="Give the link a label, e.g. Front door."), Length(max=60)],
        description="Where it is used or who holds it, e.g. “Front door” or “Sam’s phone”.",
    )
