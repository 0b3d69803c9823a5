"""Request and response bodies of the HTTP API. Every request field has its limits here, so they
are enforced by validation (422 naming the field) and published in the OpenAPI schema."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from classifier.predict import MAX_TEXT_CHARS

MAX_BATCH = 1000
MAX_SURVEY_ROWS = 100_000
MAX_LOCATION_CHARS = 500
MAX_LABEL_CHARS = 200
MAX_NOTE_CHARS = 2000

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
# Stored times are UTC; SQLite gives them back without an offset, which RFC 3339 date-time requires.
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]
Location = Annotated[str, StringConstraints(max_length=MAX_LOCATION_CHARS)]


class Strict(BaseModel):
    # A misspelt field ("txt") is an error naming it, not silently ignored; and a value must have the
    # JSON type the schema declares: `"explain": 0` or `"population": "5"` is a 422, not coerced.
    model_config = ConfigDict(extra="forbid", strict=True)


# ---------------------------------------------------------------- classify
class ComplaintIn(Strict):
    text: Text = Field(description=f"The complaint, 1–{MAX_TEXT_CHARS} characters")
    alamat: Location | None = Field(None, description="Address typed by the reporter")
    kecamatan: Location | None = None
    kelurahan: Location | None = None
    known_topic: Location | None = Field(None, description="A topic already chosen by the reporter or the desk; "
                                                        "the agency is then routed with it")


class ClassifyRequest(ComplaintIn):
    explain: bool = Field(False, description="Add the model's explanation of each field, when it has one")


class ClassifyBatchRequest(Strict):
    complaints: list[ComplaintIn] = Field(min_length=1, max_length=MAX_BATCH)
    explain: bool = False


class LabelScore(BaseModel):
    label: str
    confidence: float


class TaskResult(BaseModel):
    label: str
    confidence: float = Field(description="Calibrated probability of the label, 0–1")
    level: str | None = Field(None, description="Confidence level: high, medium or low")
    action: str | None = Field(None, description="Automation the confidence allows: auto, suggest or recommend")
    top: list[LabelScore] = Field(description="Best labels, best first (up to three)")
    explanation: list[str] | None = Field(None, description="With explain=true: the words of the text "
                                                            "behind the answer")


class AgencyResult(TaskResult):
    unresolved: bool = Field(False, description="A kelurahan/kecamatan-level agency whose unit was not found")


class UrgencyResult(TaskResult):
    reasons: list[str] = Field(default_factory=list, description="The cues that decided the urgency")


LANGUAGE_DESCRIPTION = ("Language of the text: id, jv (Javanese), mad (Madurese), su (Sundanese), en, or "
                        "mixed:<main>+<other> such as mixed:id+jv (README, Languages)")


class ClassifyResponse(BaseModel):
    prediction_id: str = Field(description="Quote it in POST /v1/feedback")
    model_version: str
    topic: TaskResult | None = Field(description="null when the model has no topic task")
    agency: AgencyResult | None
    urgency: UrgencyResult | None
    needs_review: bool
    language: str = Field("", description=LANGUAGE_DESCRIPTION)
    duplicate_of: str | None = Field(None, description="A near-duplicate of complaints stored in the last "
                                     "ADUAN_DUPLICATE_WINDOW_DAYS (30) days: the prediction_id of its group's "
                                     "earliest complaint; null when it duplicates none")
    group_id: str | None = Field(None, description="Its near-duplicate group (the earliest member's prediction_id, "
                                 "as GET /v1/complaints/groups lists it); null when it duplicates none")
    group_size: int | None = Field(None, description="Complaints in that group, this one included")


DUPLICATE_FIELDS = ("duplicate_of", "group_id", "group_size")


class ClassifyBatchResponse(BaseModel):
    model_version: str
    results: list[ClassifyResponse]


# ---------------------------------------------------------------- sentiment
class SentimentRequest(Strict):
    texts: list[Text] = Field(min_length=1, max_length=MAX_BATCH)


class SentimentResult(BaseModel):
    label: str
    confidence: float
    level: str | None = None
    scores: dict[str, float] = Field(description="Probability of each class")
    language: str = Field("", description=LANGUAGE_DESCRIPTION)


class SentimentResponse(BaseModel):
    model_version: str
    results: list[SentimentResult]


# ---------------------------------------------------------------- IKM
Cell = str | int | float | bool | None


class IkmOptions(Strict):
    # Also read from the fields of a multipart form, whose values are all strings ("true", "120").
    model_config = ConfigDict(strict=False)

    by: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=5, description="Columns to group by, e.g. [\"service\"]")
    weight: Literal["exact", "0.111"] = Field("exact", description="1/9 as the regulation says, or the rounded 0.111")
    population: int | None = Field(None, ge=1, le=1_000_000_000,
                                   description="Population served, to check the sample size")
    comment_col: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "comment"
    sentiment: bool = Field(True, description="Label comments with the sentiment model when one is loaded")


class IkmReportRequest(IkmOptions):
    model_config = ConfigDict(strict=True)  # JSON: typed values, as for every other request body

    rows: list[dict[str, Cell]] = Field(min_length=1, max_length=MAX_SURVEY_ROWS,
                                        description="One object per respondent: u1..u9 (1–4), optional "
                                                    "comment, period, service and demographic columns")


# ---------------------------------------------------------------- feedback
class FeedbackRequest(Strict):
    prediction_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    field: Literal["topic", "agency", "urgency"]
    kind: Literal["correct", "accept"] = Field("correct", description="correct: correct_value replaces the "
                                               "prediction; accept: the desk confirms the predicted value")
    correct_value: Annotated[str, StringConstraints(min_length=1, max_length=MAX_LABEL_CHARS)] | None = Field(
        None, description="Required for kind=correct: a label of the served model for this field (for the "
                          "agency also any kelurahan/kecamatan of its gazetteer), any case or spacing; "
                          "omit it for kind=accept")
    new_label: bool = Field(False, description="correct_value is a topic or agency the served model does not "
                                               "know yet; used by `aduan retrain --allow-new-labels` only")
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARS)] | None = None


class FeedbackResponse(BaseModel):
    id: int
    prediction_id: str
    field: str
    kind: str
    predicted_value: str | None
    correct_value: str = Field(description="As stored: the served model's spelling of the label")
    new_label: bool
    created_at: UtcDatetime


class ReviewQueueItem(BaseModel):
    prediction_id: str
    created_at: UtcDatetime
    text: str = Field(description="The stored complaint, personal data masked")
    topic: str | None
    agency: str | None
    needs_review: bool
    score: float = Field(description="How much a review would teach: the mean of uncertainty and novelty, 0–1")
    uncertainty: float = Field(description="1 − the margin between the two best topic / agency confidences")
    novelty: float = Field(description="Share of the complaint's words the served model never learned")


class ReviewQueueResponse(BaseModel):
    model_version: str = Field(description="The model whose vocabulary measured novelty")
    scanned: int = Field(description="Unreviewed complaints ranked (the newest first, up to `scan`)")
    items: list[ReviewQueueItem] = Field(description="Highest score first")


# ---------------------------------------------------------------- near-duplicate groups
class ComplaintGroup(BaseModel):
    group_id: str = Field(description="The prediction_id of the group's earliest complaint")
    size: int = Field(description="Complaints in the group")
    first_created_at: UtcDatetime
    last_created_at: UtcDatetime
    prediction_ids: list[str] = Field(description="Members, earliest first (up to `members`)")
    text: str = Field(description="The earliest complaint as stored, personal data masked")
    topic: str | None = Field(description="The earliest complaint's predicted topic")
    agency: str | None = Field(description="The earliest complaint's predicted agency")


class ComplaintGroupsResponse(BaseModel):
    threshold: float = Field(description="Char n-gram TF-IDF cosine from which two texts are similar")
    window_days: float = Field(description="Longest time between two duplicates; a group is open while a "
                                           "member is younger than this")
    total: int = Field(description="Open groups of at least `min_size` complaints")
    groups: list[ComplaintGroup] = Field(description="Largest first, then the most recently active")


# ---------------------------------------------------------------- drift report
class LabelMove(BaseModel):
    label: str
    reference_share: float = Field(description="Share in the served model's training data")
    current_share: float = Field(description="Share among the predictions of the period")
    change: float
    p_value: float = Field(description="Two-proportion test, Benjamini-Hochberg adjusted over the labels")
    flagged: bool = Field(description="Moved significantly and by at least the configured share")


class TaskDrift(BaseModel):
    psi: float = Field(description="Population stability index: < 0.1 stable, 0.1-0.25 watch, >= 0.25 shifted")
    chi2: float
    dof: int
    p_value: float = Field(description="Chi-square test that both mixes are one (rare labels pooled)")
    status: Literal["stable", "watch", "shifted"]
    reference_complaints: int
    current_complaints: int
    flagged: list[str]
    new_labels: list[str]
    moved: list[LabelMove] = Field(description="Every label, largest absolute change first")


class DriftReportResponse(BaseModel):
    generated_at: str
    reference: dict
    current: dict
    config: dict = Field(description="The thresholds used (classifier.drift.DriftConfig)")
    tasks: dict[str, TaskDrift]
    confidence: dict
    needs_review_share: float
    unseen_token_share: float = Field(description="Share of the words never seen in training")
    new_terms: list[dict] = Field(description="Frequent words and phrases rare in training: candidate new topics")
    timeline: list[dict] = Field(description="Month by month")
    retrain: dict = Field(description="advised, reasons and the command")


# ---------------------------------------------------------------- models
class ModelInfo(BaseModel):
    version: str
    path: str
    tasks: list[str]
    created_at: str | None
    serving: bool = Field(description="True for the model this worker answers with")


class ModelsResponse(BaseModel):
    current: ModelInfo | None
    unavailable_reason: str | None = None
    available: list[ModelInfo]


class ReloadRequest(Strict):
    version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")] | None = Field(
        None, description="A model directory name under the models dir; default: the latest")


class ReloadResponse(BaseModel):
    previous_version: str | None
    current: ModelInfo


# ---------------------------------------------------------------- health and errors
class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    pid: int = Field(description="The worker process that answered: with several workers, each serves "
                                 "its own copy of the model")
    model_version: str | None = Field(description="The model this worker serves")
    problems: list[str]


class ErrorBody(BaseModel):
    detail: str
    field: str | None = Field(None, description="The request field at fault, when there is one")
