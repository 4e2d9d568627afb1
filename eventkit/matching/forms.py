"""Forms of the matching feature."""
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

from eventkit.matching.services import MAX_ROUNDS


class GuestSelect(Select):
    """wtforms' Select with a quicker option for plain choices (the guest pickers list every guest, four times
    on the plan page): the same HTML as wtforms writes, without building the attributes through html_params."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.render_kw or kwargs or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        return Markup(f'<option{selected} value="{escape(choice.value)}">{escape(choice.label or choice.value)}</option>')


class SettingsForm(FlaskForm):
    rounds = IntegerField("Rounds", validators=[DataRequired(), NumberRange(1, MAX_ROUNDS)],
                          description="How many rounds of 1:1 conversations (3 to 5 is plenty).")
    round_minutes = IntegerField("Minutes per round", validators=[DataRequired(), NumberRange(3, 90)])
    per_guest_cap = IntegerField("Conversations per guest, at most",
                                 validators=[DataRequired(), NumberRange(1, MAX_ROUNDS)])
    odd_policy = SelectField("With an odd number of guests", choices=[
        SelectChoice("trio", "a table of three"), SelectChoice("rest", "one guest rests")],
        description="in each round")


class ConstraintForm(FlaskForm):
    first = SelectField("Guest", coerce=int, widget=GuestSelect())
    second = SelectField("and guest", coerce=int, widget=GuestSelect())
    kind = SelectField("Rule", choices=[
        SelectChoice("never", "never pair them"), SelectChoice("must", "make sure they meet")])
    note = StringField("Note (only you see it)", validators=[Optional(), Length(max=200)])


class SwapForm(FlaskForm):
    round = IntegerField("Round", validators=[DataRequired(), NumberRange(1, MAX_ROUNDS)])
    first = SelectField("Swap guest", coerce=int, widget=GuestSelect())
    second = SelectField("with guest", coerce=int, widget=GuestSelect())


class HeldForm(FlaskForm):
    rounds_held = IntegerField("Rounds already held", validators=[NumberRange(0, MAX_ROUNDS)])
