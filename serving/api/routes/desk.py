"""/desk: the desk page in the browser (server-rendered, Indonesian), signed in with a session cookie.

Pages: sign-in (a desk-scope API key exchanged for a session cookie, serving/desk_session.py), the
review queue (serving/desk_queue.py) with one-click accept or correct per complaint, filters and
keyboard shortcuts, a paste-and-classify box for a phone call or walk-in complaint, and sign-out.
Accept / correct writes feedback through ``record_feedback``, the very code of POST /v1/feedback;
a pasted complaint is classified and stored by ``service.classify``, as POST /v1/complaints/classify.

These routes are left out of the OpenAPI schema, so AccessMiddleware (which reads the schema and
guards /v1) leaves them to the session check here. Every POST needs the session's CSRF token (the
sign-in form: the pre-session cookie's); pages carry a Content-Security-Policy that allows nothing
but this server: no page loads or posts anything from elsewhere.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import ImmutableMultiDict

from classifier.labels import clean_label, model_label_set
from serving import service
from serving.api.deps import SessionDep
from serving.api.errors import ApiError
from serving.api.routes.feedback import NEW_LABEL_FIELDS, record_feedback
from serving.db.models import Prediction
from serving.desk_queue import (FIELD_NAMES, FIELDS, LEVEL_NAMES, LEVELS, ORDERS, FilterError, QueueFilters,
                                age_text, load_queue)
from serving.desk_session import (SESSION_COOKIE, DeskSession, SignInRefused, end_session, read_session,
                                  set_session_cookie, set_sign_in_csrf, sign_in, sign_in_csrf, sign_in_csrf_ok)
from serving.holder import LoadedModel
from serving.schemas import ComplaintIn, FeedbackRequest

router = APIRouter(include_in_schema=False)

SERVING_DIR = Path(__file__).resolve().parents[2]
templates = Jinja2Templates(directory=SERVING_DIR / "templates")
STATIC_DIR = SERVING_DIR / "static"
STATIC_FILES = {"desk.css": "text/css; charset=utf-8", "desk.js": "text/javascript; charset=utf-8"}
# Nothing but this server: scripts and styles from /desk/static only (no inline ones), forms post here.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # the queue shows complaints: not for the browser's or a proxy's cache
}
PREDICTION_ID = re.compile(r"[0-9a-f]{32}")
SIGN_IN = "/desk/masuk"
Text = Annotated[str, Form()]


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _page(request: Request, name: str, context: dict, status: int = 200) -> Response:
    return _secured(templates.TemplateResponse(request, name, context, status_code=status))


def _redirect(url: str) -> Response:
    return _secured(RedirectResponse(url, status_code=303))


def _max_age(request: Request) -> int:
    return request.app.state.settings.desk_session_minutes * 60


def current_desk(request: Request) -> DeskSession | None:
    return read_session(request.app.state.sessions, request.cookies.get(SESSION_COOKIE), _max_age(request))


def _refused(request: Request, desk: DeskSession | None, status: int, message: str) -> Response:
    return _page(request, "desk/error.html", {"desk": desk, "csrf": desk.csrf_token if desk else "",
                                              "message": message}, status)


def _csrf_refused(request: Request, desk: DeskSession | None) -> Response:
    return _refused(request, desk, 403, "Formulir ditolak: token keamanan (CSRF) tidak ada atau tidak sah. "
                                        "Muat ulang halaman lalu coba lagi.")


# ---------------------------------------------------------------- sign in and out
@router.get(SIGN_IN)
def sign_in_page(request: Request) -> Response:
    if current_desk(request) is not None:
        return _redirect("/desk")
    return _sign_in_form(request, 200, None, signed_out="keluar" in request.query_params)


def _sign_in_form(request: Request, status: int, error: str | None, signed_out: bool = False) -> Response:
    token = sign_in_csrf(request)
    response = _page(request, "desk/sign_in.html", {"csrf": token, "error": error, "signed_out": signed_out,
                                                     "desk": None}, status)
    set_sign_in_csrf(response, request, token)
    return response


@router.post(SIGN_IN)
def sign_in_submit(request: Request, db: SessionDep, kunci: Text = "", csrf: Text = "") -> Response:
    if not sign_in_csrf_ok(request, csrf):
        return _sign_in_form(request, 403, "Formulir kedaluwarsa (token CSRF). Silakan coba lagi.")
    try:
        key = sign_in(db, kunci)
    except SignInRefused as exc:
        return _sign_in_form(request, exc.status, str(exc))
    response = _redirect("/desk")
    set_session_cookie(response, request, key, _max_age(request))
    return response


@router.post("/desk/keluar")
def sign_out(request: Request, csrf: Text = "") -> Response:
    desk = current_desk(request)
    if desk is not None and not desk.csrf_ok(csrf):
        return _csrf_refused(request, desk)
    response = _redirect(f"{SIGN_IN}?keluar=1")
    end_session(response)
    return response


# ---------------------------------------------------------------- the queue
def _labels(loaded: LoadedModel | None) -> dict[str, list[str]]:
    if loaded is None:
        return {task: [] for task in FIELDS}
    return {task: sorted(model_label_set(loaded.model.bundle, task).by_key.values()) for task in FIELDS}


def _queue(request: Request, desk: DeskSession, db, filters: QueueFilters, *, status: int = 200,
           error: str | None = None, notice: str | None = None, pinned: str | None = None,
           pasted: dict | None = None) -> Response:
    loaded = request.app.state.holder.current
    page = load_queue(db, loaded, filters, pinned)
    return _page(request, "desk/queue.html", {
        "desk": desk, "csrf": desk.csrf_token, "filters": filters, "page": page, "labels": _labels(loaded),
        "model_version": loaded.model.version if loaded else None,
        "unavailable": None if loaded else request.app.state.holder.unavailable_reason,
        "error": error, "notice": notice, "pasted": pasted or {}, "field_names": FIELD_NAMES,
        "level_names": LEVEL_NAMES, "levels": LEVELS, "orders": ORDERS, "age_text": age_text,
        "new_label_fields": NEW_LABEL_FIELDS,
    }, status)


@router.get("/desk")
def queue_page(request: Request, db: SessionDep) -> Response:
    desk = current_desk(request)
    if desk is None:
        return _redirect(SIGN_IN)
    query = request.query_params
    pinned = query.get("baru") if PREDICTION_ID.fullmatch(query.get("baru", "")) else None
    notice = None
    if saved := query.get("disimpan", ""):
        notice = f"Tinjauan aduan #{saved[:8]} disimpan." if PREDICTION_ID.fullmatch(saved) else None
    try:
        filters = QueueFilters.from_query(query)
    except FilterError as exc:
        return _queue(request, desk, db, QueueFilters(), status=422, error=f"Filter tidak dipakai: {exc}")
    if pinned:
        notice = f"Aduan #{pinned[:8]} diklasifikasikan dan disimpan; tinjau di bawah."
    return _queue(request, desk, db, filters, notice=notice, pinned=pinned)


def _filters_from(kembali: str) -> QueueFilters:
    """The queue filters a form came from (re-encoded: the redirect never goes anywhere but /desk)."""
    try:
        return QueueFilters.from_query(ImmutableMultiDict(parse_qsl(kembali)))
    except FilterError:
        return QueueFilters()


def _error_text(exc: Exception, field: str) -> str:
    if isinstance(exc, (RequestValidationError, ValidationError)):
        problems = [f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors()]
    else:
        problems = [str(getattr(exc, "detail", exc))]
    return f"{FIELD_NAMES.get(field, field)} — " + "; ".join(problems)


@router.post("/desk/tinjau")
def review(request: Request, db: SessionDep, csrf: Text = "", prediction_id: Text = "", aksi: Text = "terima",
           topic: Text = "", agency: Text = "", urgency: Text = "", label_baru: Text = "", kembali: Text = "",
           berikut: Text = "") -> Response:
    """Accept every predicted field (aksi=terima), or save the fields as shown (aksi=simpan): a field
    left at its prediction is accepted, a changed one is a correction. All fields are stored or none."""
    desk = current_desk(request)
    if desk is None:
        return _redirect(SIGN_IN)
    if not desk.csrf_ok(csrf):
        return _csrf_refused(request, desk)
    filters = _filters_from(kembali)
    loaded = request.app.state.holder.current
    if loaded is None:
        return _queue(request, desk, db, filters, status=503, error="Model belum dimuat: tinjauan tidak disimpan.")
    prediction = db.get(Prediction, prediction_id) if PREDICTION_ID.fullmatch(prediction_id) else None
    if prediction is None:
        return _queue(request, desk, db, filters, status=404, error="Aduan itu tidak ditemukan.")
    submitted = {"topic": topic, "agency": agency, "urgency": urgency}
    for field in FIELDS:
        predicted = ((prediction.outputs or {}).get(field) or {}).get("label")
        if predicted is None:
            continue
        value = clean_label(submitted[field])
        if aksi != "terima" and not value:
            db.rollback()
            return _queue(request, desk, db, filters, status=422, error=f"Tidak disimpan (aduan #{prediction.id[:8]}): "
                                                                       f"{FIELD_NAMES[field]} kosong; pilih labelnya.")
        unchanged = aksi == "terima" or model_label_set(loaded.model.bundle, field).canonical(value) == predicted
        body = {"prediction_id": prediction.id, "field": field, "kind": "accept" if unchanged else "correct"}
        if not unchanged:
            body.update(correct_value=value, new_label=bool(label_baru) and field in NEW_LABEL_FIELDS)
        try:
            record_feedback(db, FeedbackRequest.model_validate(body), loaded, desk.key.id)
        except (ApiError, RequestValidationError, ValidationError) as exc:
            db.rollback()
            return _queue(request, desk, db, filters, status=422,
                          error=f"Tidak disimpan (aduan #{prediction.id[:8]}): {_error_text(exc, field)}")
    db.commit()
    anchor = f"#p-{berikut}" if PREDICTION_ID.fullmatch(berikut) else ""
    query = filters.query()
    return _redirect(f"/desk?{query + '&' if query else ''}disimpan={prediction.id}{anchor}")


@router.post("/desk/klasifikasi")
def classify_pasted(request: Request, db: SessionDep, csrf: Text = "", teks: Text = "", alamat: Text = "",
                    kecamatan: Text = "", kelurahan: Text = "", topik_diketahui: Text = "") -> Response:
    """A complaint taken by phone or at the counter: classified and stored like POST
    /v1/complaints/classify, then shown first in the queue for review."""
    desk = current_desk(request)
    if desk is None:
        return _redirect(SIGN_IN)
    if not desk.csrf_ok(csrf):
        return _csrf_refused(request, desk)
    fields = {"text": teks.strip(), "alamat": alamat.strip(), "kecamatan": kecamatan.strip(),
              "kelurahan": kelurahan.strip(), "known_topic": topik_diketahui.strip()}
    loaded = request.app.state.holder.current
    if loaded is None:
        return _queue(request, desk, db, QueueFilters(), status=503, pasted=fields,
                      error="Model belum dimuat: aduan tidak diklasifikasikan.")
    names = {"text": "teks", "known_topic": "topik_diketahui"}
    try:
        complaint = ComplaintIn.model_validate({k: v or None for k, v in fields.items()} | {"text": fields["text"]})
    except ValidationError as exc:
        problems = "; ".join(f"{names.get(str(e['loc'][0]), e['loc'][0])}: "
                             + ("wajib diisi" if e["type"] in ("string_too_short", "string_type") else e["msg"])
                             for e in exc.errors())
        return _queue(request, desk, db, QueueFilters(), status=422, pasted=fields,
                      error=f"Aduan tidak diklasifikasikan: {problems}")
    [result] = service.classify(loaded, [complaint], False, db, desk.key.id, request.app.state.metrics)
    return _redirect(f"/desk?baru={result.prediction_id}#p-{result.prediction_id}")


# ---------------------------------------------------------------- static files
@router.get("/desk/static/{name}")
def static_file(name: str) -> Response:
    """The page's own CSS and JS (a fixed list: no path from the URL reaches the file system)."""
    if name not in STATIC_FILES:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(STATIC_DIR / name, media_type=STATIC_FILES[name],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
