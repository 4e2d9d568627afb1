"""Flask extensions, created unbound; `create_app` binds them."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from eventkit.db import db

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
csrf = CSRFProtect()
talisman = Talisman()

__all__ = ["db", "migrate", "login_manager", "csrf", "talisman"]
