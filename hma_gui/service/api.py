"""The HTTP API (`hma-ingest serve`): the seed's ``POST /jobs`` and ``GET /health``, and more.

* ``POST /jobs {"path": ..., "scope": "mba"}`` plans the file like every other
  front-end (key convention, duplicate screen with the settings' policy) and
  sends it to the configured queue: ``201 {"id", "bucket", "key"}``; ``200`` with
  ``"skipped"`` when the screen skips it (already in S3); ``400`` with the reason
  for a missing file, an unknown scope or a refused key; ``409`` for a conflict.
* ``GET /jobs/{id}``: queued, done or failed (with the reason).
* ``GET /health``: 200, or 503 naming the dependencies that are down (S3, queue,
  database).
* ``GET /stats``: the queue's counters.
* ``POST /ingest?key=s3://bucket/key`` sends the S3 event of one object to the
  ETL queue (``etl_queue_url``) for ``hma-ingest worker --kinds etl`` (or the
  Lambda) to load: ``202 {"bucket", "key", "message_id"}``; ``400`` with the
  reason for a key the ETL does not load; ``503`` when no ETL queue is configured.

Every route but ``/health`` and the OpenAPI pages needs ``Authorization: Bearer
<api_token>`` when a token is configured; `serve` refuses a non-loopback address
without one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from hma_gui import __version__
from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import ConfigError, HmaError
from hma_gui.core.etl.ingest_request import IngestRefused, ingest_target, s3_event_body
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.store import JobState
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.producer import messages_for, screen
from hma_gui.core.queue.sent_jobs import SentJobs, state_of
from hma_gui.core.s3.client import S3Client


class JobRequest(BaseModel):
    path: str
    scope: str = "auto"


class JobCreated(BaseModel):
    id: str | None
    bucket: str
    key: str
    skipped: str | None = None


class EventQueue(Protocol):
    """Where ``POST /ingest`` sends S3 events (`SqsQueue` of the ETL queue)."""

    name: str

    def send_body(self, body: str) -> str: ...


@dataclass
class ApiDeps:
    settings: Settings
    queue: JobQueue
    s3: S3Client
    sender: str = "api"
    token: str | None = None
    database_check: Callable[[], None] | None = None  # raises when the database is down
    sent: SentJobs = field(default_factory=SentJobs)
    etl_queue: EventQueue | None = None  # POST /ingest: the S3-event queue of the ETL


def create_app(deps: ApiDeps) -> FastAPI:
    app = FastAPI(
        title="HMA Ingest",
        version=__version__,
        description="Send files to the shared upload queue; see its counters and health.",
    )

    def authorised(request: Request) -> None:
        if deps.token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {deps.token}".encode()):
            raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorised)]

    @app.post("/jobs", status_code=201, response_model=JobCreated, dependencies=guarded)
    def post_job(body: JobRequest) -> Any:
        return _post_job(deps, body)

    @app.get("/jobs/{job_id}", dependencies=guarded)
    def get_job(job_id: str) -> dict[str, Any]:
        return _job_state(deps, job_id)

    @app.post("/ingest", status_code=202, dependencies=guarded)
    def post_ingest(key: str) -> dict[str, str]:
        return _post_ingest(deps, key)

    @app.get("/stats", dependencies=guarded)
    def stats() -> dict[str, Any]:
        return {"queue": deps.queue.name, **deps.queue.counters().as_dict()}

    @app.get("/health")
    def health() -> JSONResponse:
        down = _down(deps)
        if down:
            return JSONResponse({"status": "unavailable", "down": down}, status_code=503)
        return JSONResponse({"status": "ok", "queue": deps.queue.name})

    return app


def _post_job(deps: ApiDeps, body: JobRequest) -> Any:
    settings = deps.settings
    path = Path(body.path)
    if not path.is_file():
        raise HTTPException(400, f"no such file: {body.path}")
    try:
        if body.scope != "auto":
            settings.scope(body.scope)
        planned = plan([path], settings, PlanOptions.from_settings(settings, scope=body.scope))
    except ConfigError as exc:
        raise HTTPException(400, str(exc)) from None
    if not planned.jobs or planned.jobs[0].state is JobState.FAILED:
        reason = planned.jobs[0].error if planned.jobs else "the file was filtered out"
        raise HTTPException(400, reason)
    try:
        jobs, review = screen(planned.jobs, settings=settings, client=deps.s3)
    except HmaError as exc:
        raise HTTPException(503, f"the duplicate screen failed: {exc}") from None
    job = jobs[0]
    if review is not None and review.unresolved():
        raise HTTPException(409, review.unresolved()[0].detail or "conflict in S3")
    if job.state is JobState.SKIPPED:
        return JSONResponse(
            {"id": None, "bucket": job.bucket, "key": job.key, "skipped": job.error},
            status_code=200,
        )
    messages = messages_for(jobs, sender=deps.sender)
    ids = deps.queue.send(messages)
    deps.sent.add(ids, messages)
    return JobCreated(id=ids[0], bucket=messages[0].bucket, key=messages[0].key)


def _post_ingest(deps: ApiDeps, uri: str) -> dict[str, str]:
    if deps.etl_queue is None:
        raise HTTPException(503, "no ETL queue is configured (etl_queue_url, HMA_ETL_QUEUE_URL)")
    try:
        bucket, key, _table = ingest_target(uri, deps.settings)
    except IngestRefused as exc:
        raise HTTPException(400, str(exc)) from None
    body = s3_event_body(bucket, key, sender=deps.sender, region=deps.settings.region or "")
    try:
        message_id = deps.etl_queue.send_body(body)
    except Exception as exc:  # noqa: BLE001 - SQS unreachable: the caller may try again
        raise HTTPException(503, f"the ETL queue refused the message: {_short(exc)}") from None
    return {"bucket": bucket, "key": key, "message_id": message_id}


def _job_state(deps: ApiDeps, job_id: str) -> dict[str, Any]:
    found = state_of(job_id, deps.sent.get(job_id), deps.queue, deps.s3)
    if found is None:
        raise HTTPException(404, f"no job {job_id} was sent through this API")
    result: dict[str, Any] = {"id": job_id, "state": found.state, "error": found.error}
    if found.message.source:
        message = found.message
        result.update(source=message.source, bucket=message.bucket, key=message.key)
    return result


def _down(deps: ApiDeps) -> dict[str, str]:
    down: dict[str, str] = {}
    try:
        for bucket in sorted({scope.bucket for scope in deps.settings.scopes.values()}):
            deps.s3.head_bucket(Bucket=bucket)
    except Exception as exc:  # noqa: BLE001 - the reason is the answer
        down["s3"] = _short(exc)
    try:
        deps.queue.counters()
    except Exception as exc:  # noqa: BLE001
        down["queue"] = _short(exc)
    if deps.database_check is not None:
        try:
            deps.database_check()
        except Exception as exc:  # noqa: BLE001
            down["database"] = _short(exc)
    return down


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."
