"""The desk page (/desk) through TestClient: sign-in with a desk key → session cookie, CSRF on every
form, the review queue and its filters, accept / correct writing the same feedback rows as
POST /v1/feedback, paste-and-classify, sign-out. The real browser tests are in tests/browser/."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api_support import app, client, keys, make_app, models_dir  # noqa: F401 (fixtures)
from serving.db.models import Feedback, Prediction
from serving.desk_queue import highlight
from serving.desk_session import SESSION_COOKIE
from serving.keys import revoke_key

ROAD = "jalan berlubang besar sudah ada motor jatuh, telepon saya 081234567890"
TRASH = "sampah menumpuk di pinggir jalan belum diangkut"
LAMP = "lampu jalan depan gang mati rawan begal"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def classify(client, keys, text: str, **fields) -> str:
    answer = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": text, **fields})
    assert answer.status_code == 200
    return answer.json()["prediction_id"]


def sign_in(client, key: str):
    form = client.get("/desk/masuk")
    return client.post("/desk/masuk", data={"kunci": key, "csrf": csrf_of(form.text)}, follow_redirects=False)


@pytest.fixture
def desk(client, keys):
    """A browser-like client signed in with the desk key; returns the queue page's CSRF token."""
    assert sign_in(client, keys["desk"]["X-API-Key"]).status_code == 303
    return client


def queue_csrf(client, query: str = "") -> tuple[str, str]:
    page = client.get(f"/desk{query}")
    assert page.status_code == 200
    return page.text, csrf_of(page.text)


def feedback_rows(app) -> list[Feedback]:
    with app.state.sessions() as session:
        return session.scalars(select(Feedback).order_by(Feedback.id)).all()


def set_cookie_attributes(response, name: str) -> dict[str, str]:
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie and cookie[name].value:
            morsel = cookie[name]
            return {k: str(v) for k, v in morsel.items() if v} | {"value": morsel.value}
    raise AssertionError(f"no {name} cookie set")


# ---------------------------------------------------------------- sign in, session, sign out
def test_the_queue_needs_a_sign_in(client):
    answer = client.get("/desk", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/masuk"
    form = client.get("/desk/masuk")
    assert form.status_code == 200 and 'type="password"' in form.text and "Masuk" in form.text
    assert set_cookie_attributes(form, "aduan_desk_csrf")["httponly"]


def test_a_desk_key_is_exchanged_for_a_strict_httponly_session_cookie(client, keys):
    key = keys["desk"]["X-API-Key"]
    answer = sign_in(client, key)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk"
    cookie = set_cookie_attributes(answer, SESSION_COOKIE)
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict" and cookie["path"] == "/desk"
    assert int(cookie["max-age"]) == 480 * 60 and "secure" not in cookie  # plain http here
    assert key not in cookie["value"]  # the browser holds a signed session, never the key
    assert client.get("/desk").status_code == 200


def test_over_https_the_session_cookie_is_secure(app, keys):
    with TestClient(app, base_url="https://testserver") as secure:
        cookie = set_cookie_attributes(sign_in(secure, keys["desk"]["X-API-Key"]), SESSION_COOKIE)
    assert cookie["secure"]


@pytest.mark.parametrize("scope, status, words", [(None, 401, "tidak dikenal"), ("reporting", 403, "cakupan desk")])
def test_an_unknown_or_non_desk_key_does_not_sign_in(client, keys, scope, status, words):
    key = keys[scope]["X-API-Key"] if scope else "aduan_not-a-real-key"
    answer = sign_in(client, key)
    assert answer.status_code == status and words in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_sign_in_without_its_csrf_token_is_refused(client, keys):
    client.get("/desk/masuk")
    answer = client.post("/desk/masuk", data={"kunci": keys["desk"]["X-API-Key"], "csrf": "forged"})
    assert answer.status_code == 403 and "CSRF" in answer.text
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_a_tampered_or_expired_session_is_no_session(desk, app, keys, monkeypatch):
    value = desk.cookies.get(SESSION_COOKIE)
    desk.cookies.clear()
    desk.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert desk.get("/desk", follow_redirects=False).status_code == 303
    # A token signed 9 hours ago (the session lasts 8): itsdangerous reads the signing time from time.time.
    import itsdangerous.timed
    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 9 * 3600)
    old = sign_in(desk, keys["desk"]["X-API-Key"])
    monkeypatch.undo()
    desk.cookies.clear()
    desk.cookies.set(SESSION_COOKIE, set_cookie_attributes(old, SESSION_COOKIE)["value"])
    assert desk.get("/desk", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(desk, app):
    with app.state.sessions() as session:
        key_id = int(desk.cookies.get(SESSION_COOKIE).split(":")[0])
        revoke_key(session, key_id)
    assert desk.get("/desk", follow_redirects=False).headers["location"] == "/desk/masuk"


def test_sign_out_deletes_the_session_and_needs_csrf(desk):
    _, token = queue_csrf(desk)
    assert desk.post("/desk/keluar", data={"csrf": "forged"}).status_code == 403
    assert desk.get("/desk").status_code == 200  # still signed in
    answer = desk.post("/desk/keluar", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/desk/masuk?keluar=1"
    assert desk.get("/desk", follow_redirects=False).status_code == 303
    assert "Anda sudah keluar" in desk.get("/desk/masuk?keluar=1").text


def test_the_api_key_header_does_not_open_the_desk_and_desk_routes_are_not_in_the_schema(client, keys):
    assert client.get("/desk", headers=keys["desk"], follow_redirects=False).status_code == 303
    assert not [path for path in client.get("/openapi.json").json()["paths"] if path.startswith("/desk")]


# ---------------------------------------------------------------- the queue
def test_the_queue_shows_unreviewed_complaints_masked_needing_review_first(desk, keys, app):
    ids = [classify(desk, keys, text, kelurahan="Airlangga") for text in (LAMP, ROAD, TRASH)]
    short = classify(desk, keys, "tolong")  # too short to judge: needs review
    html, _ = queue_csrf(desk)
    order = re.findall(r'<article class="row[^"]*" id="p-([0-9a-f]{32})"', html)
    assert sorted(order) == sorted(ids + [short])
    with app.state.sessions() as session:
        review = {p.id: p.needs_review for p in session.scalars(select(Prediction))}
    flags = [review[i] for i in order]
    assert flags == sorted(flags, reverse=True)  # every complaint needing review comes before the others
    assert "081234567890" not in html and "[telepon]" in html
    assert 'class="cue cue-' in html  # cited words marked in the text
    assert html.count("<meter") >= 3 * 3 * len(order) - 3 * len(order)  # top-3 with confidences per field


def test_correcting_a_field_writes_the_same_feedback_as_the_api(desk, keys, app):
    via_desk = classify(desk, keys, ROAD)
    via_api = classify(desk, keys, ROAD)
    _, token = queue_csrf(desk)
    answer = desk.post("/desk/tinjau", follow_redirects=False, data={
        "csrf": token, "prediction_id": via_desk, "aksi": "simpan", "topic": "sampah",
        "agency": "  dinas   perhubungan ", "urgency": "tinggi", "kembali": "keyakinan=low"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/desk?keyakinan=low&disimpan={via_desk}"
    with app.state.sessions() as session:
        predicted = session.get(Prediction, via_api).outputs
    for field, value in (("topic", "Sampah"), ("agency", "Dinas Perhubungan")):
        if predicted[field]["label"] != value:
            body = {"prediction_id": via_api, "field": field, "kind": "correct", "correct_value": value}
        else:
            body = {"prediction_id": via_api, "field": field, "kind": "accept"}
        assert desk.post("/v1/feedback", headers=keys["desk"], json=body).status_code == 201
    rows = feedback_rows(app)
    mine = {r.field: r for r in rows if r.prediction_id == via_desk}
    theirs = {r.field: r for r in rows if r.prediction_id == via_api}
    for field in ("topic", "agency"):
        assert (mine[field].kind, mine[field].predicted_value, mine[field].correct_value) == \
               (theirs[field].kind, theirs[field].predicted_value, theirs[field].correct_value)
    assert mine["agency"].correct_value == "Dinas Perhubungan"  # the model's spelling
    assert mine["urgency"].correct_value == "tinggi"
    assert mine["topic"].api_key_id == theirs["topic"].api_key_id  # the signed-in key
    assert f'id="p-{via_desk}"' not in desk.get("/desk").text  # reviewed: out of the queue


def test_accept_confirms_every_predicted_field(desk, keys, app):
    prediction = classify(desk, keys, TRASH)
    _, token = queue_csrf(desk)
    assert desk.post("/desk/tinjau", data={"csrf": token, "prediction_id": prediction, "aksi": "terima"},
                     follow_redirects=False).status_code == 303
    rows = feedback_rows(app)
    assert {r.field for r in rows} == {"topic", "agency", "urgency"}
    assert all(r.kind == "accept" and r.correct_value == r.predicted_value for r in rows)


def test_an_unknown_label_is_refused_naming_the_field_and_nothing_is_stored(desk, keys, app):
    prediction = classify(desk, keys, TRASH)
    _, token = queue_csrf(desk)
    answer = desk.post("/desk/tinjau", data={"csrf": token, "prediction_id": prediction, "aksi": "simpan",
                                             "topic": "Sampah", "agency": "Dinas Urusan Karangan",
                                             "urgency": "rendah"})
    assert answer.status_code == 422 and "Instansi" in answer.text and "Karangan" not in answer.text
    assert feedback_rows(app) == []  # all fields or none
    answer = desk.post("/desk/tinjau", data={"csrf": token, "prediction_id": prediction, "aksi": "simpan",
                                             "topic": "Sampah", "agency": "Dinas Urusan Karangan",
                                             "urgency": "rendah", "label_baru": "1"}, follow_redirects=False)
    assert answer.status_code == 303
    agency = next(r for r in feedback_rows(app) if r.field == "agency")
    assert agency.new_label and agency.correct_value == "Dinas Urusan Karangan"


def test_review_and_paste_without_the_csrf_token_are_refused(desk, keys, app):
    prediction = classify(desk, keys, TRASH)
    for data in ({"prediction_id": prediction, "aksi": "terima"},
                 {"prediction_id": prediction, "aksi": "terima", "csrf": "forged"}):
        answer = desk.post("/desk/tinjau", data=data)
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert desk.post("/desk/klasifikasi", data={"teks": LAMP, "csrf": ""}).status_code == 403
    assert feedback_rows(app) == []
    with app.state.sessions() as session:
        assert len(session.scalars(select(Prediction)).all()) == 1


def test_a_pasted_complaint_is_classified_stored_masked_and_pinned_first(desk, keys, app):
    classify(desk, keys, ROAD)
    _, token = queue_csrf(desk)
    answer = desk.post("/desk/klasifikasi", follow_redirects=False, data={
        "csrf": token, "teks": "  sampah belum diangkut, hubungi 081298765432  ", "kelurahan": "Airlangga",
        "alamat": "jl contoh 3 telp 081211112222"})
    assert answer.status_code == 303
    new = re.fullmatch(r"/desk\?baru=([0-9a-f]{32})#p-\1", answer.headers["location"]).group(1)
    with app.state.sessions() as session:
        stored = session.get(Prediction, new)
        assert "081298765432" not in stored.text and "081211112222" not in stored.alamat
        assert stored.kelurahan == "Airlangga" and stored.outputs["topic"]["label"]
        assert stored.api_key_id is not None
    page = desk.get(answer.headers["location"]).text
    assert re.search(r'<article class="row[^"]*" id="p-([0-9a-f]{32})"', page).group(1) == new
    empty = desk.post("/desk/klasifikasi", data={"csrf": token, "teks": "   "})
    assert empty.status_code == 422 and "teks: wajib diisi" in empty.text


def test_filters_by_confidence_level_agency_and_date(desk, keys, app):
    ids = {text: classify(desk, keys, text) for text in (LAMP, ROAD, TRASH)}
    with app.state.sessions() as session:
        session.execute(update(Prediction).where(Prediction.id == ids[TRASH])
                        .values(created_at=datetime.now(timezone.utc) - timedelta(days=40)))
        session.commit()
        outputs = {p.id: p.outputs for p in session.scalars(select(Prediction))}

    def shown(query: str) -> set[str]:
        page = desk.get(f"/desk?{query}")
        assert page.status_code == 200
        return set(re.findall(r'id="p-([0-9a-f]{32})"', page.text))

    agency = outputs[ids[LAMP]]["agency"]["label"]
    assert shown(f"instansi={agency.lower()}") == {i for i, o in outputs.items() if o["agency"]["label"] == agency}
    for level in ("high", "medium", "low"):
        assert shown(f"bidang=topic&keyakinan={level}") == {
            i for i, o in outputs.items() if o["topic"]["level"] == level}
    recent = (datetime.now(timezone.utc) - timedelta(days=7)).date().isoformat()
    assert shown(f"dari={recent}") == {ids[LAMP], ids[ROAD]}
    assert shown(f"sampai={recent}") == {ids[TRASH]}
    assert shown("urutan=aktif") == set(ids.values())
    bad = desk.get("/desk?dari=kemarin")
    assert bad.status_code == 422 and "dari: tanggal harus berbentuk YYYY-MM-DD" in bad.text


# ---------------------------------------------------------------- pages and assets
def test_pages_name_no_outside_host_and_forbid_one_by_policy(desk, keys):
    classify(desk, keys, ROAD)
    for path in ("/desk", "/desk/masuk"):
        page = desk.get(path)
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', page.text):
            assert url.startswith(("/desk", "#")), url
        assert "http://" not in page.text and "https://" not in page.text and "//" not in page.text.replace("://", "")
    assert desk.get("/desk/static/desk.js").headers["content-type"].startswith("text/javascript")
    assert desk.get("/desk/static/main.py").status_code == 404
    assert desk.get("/desk/static/..%2Fapi%2Froutes%2Fdesk.py").status_code == 404


def test_highlight_marks_urgency_reasons_over_cue_words():
    segments = highlight("Kabel listrik putus di jalan", ["kabel listrik putus"], {"topic": ["jalan", "kabel"]})
    assert segments == [("Kabel listrik putus", "urgency"), (" di ", None), ("jalan", "topic")]
    assert highlight("", [], {}) == []
