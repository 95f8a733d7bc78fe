"""The operator's SMS page (/admin/sms): conversations with the gateway, failures, unknown senders."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from logistics.permissions import Permission
from logistics.queries.sms_log import sms_log, when
from siaga.auth import requires
from siaga.election import local_zone
from siaga.extensions import db

bp = Blueprint("admin_sms", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/sms")
@requires(Permission.SMS_LOG_VIEW)
def index():
    return render_template("admin/sms.html", log=sms_log(db.session), when=lambda moment: when(moment, local_zone()),
                           gateway=current_app.config.get("SMS_GATEWAY", ""),
                           number=current_app.config.get("SMS_NUMBER", ""))
