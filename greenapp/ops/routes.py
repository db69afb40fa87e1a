"""Operations endpoints: /healthz for load balancers and monitoring."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from greenapp.extensions import db
from greenapp.permissions import public

bp = Blueprint("ops", __name__)
logger = logging.getLogger("greenapp.ops")


@bp.route("/healthz")
@public
def healthz():
    """200 {"status": "ok"} when the database answers SELECT 1, else 503."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        logger.exception("health check: the database does not answer")
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up"), 200
