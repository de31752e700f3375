"""One process serving the web chat at ``/`` and the HTTP API at ``/v1``.

``build_app`` composes the FastAPI app (API router + the Gradio page mounted beside it,
SSR off, no upload route) behind the limits of ``app.limits`` — body sizes, per-visitor
rates, security headers — and prunes generated files on a schedule (``app.housekeeping``);
``serve`` runs it with uvicorn, in the foreground or, for tests and embedding, in a
background thread.  Binds 127.0.0.1 unless settings say otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import webbrowser
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.routing import Mount

from app.answering import Pipeline
from app.api import create_router, error_response
from app.feedback import FeedbackStore
from app.housekeeping import DiskCap, DownloadStore, Housekeeper
from app.limits import (
    LimitsMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    api_classifier,
    validation_message,
)
from app.settings import Settings
from app.ui import CSS, HEAD, THEME, create_ui

log = logging.getLogger(__name__)
INTERNAL_ERROR = "服务器内部错误，请稍后再试。"


def build_app(answerer: Pipeline, settings: Settings, store: FeedbackStore, with_ui: bool = True) -> FastAPI:
    """The API and (with ``with_ui``) the page, sharing one pipeline (and through it one model gate)."""
    limiter = RateLimiter.from_settings(settings)
    downloads = DownloadStore.from_settings(settings)
    app = FastAPI(
        title="华容规划问答 API",
        docs_url="/v1/docs" if settings.api_docs else None,
        openapi_url="/v1/openapi.json",
        redoc_url=None,
    )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        response = error_response(exc.status_code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Any:
        return error_response(400, validation_message(exc.errors()))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Any:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, INTERNAL_ERROR)

    app.include_router(create_router(answerer))

    @app.get(f"/{DownloadStore.url_prefix}/{{token}}/{{name}}", include_in_schema=False)
    def download(token: str, name: str) -> FileResponse:
        path = downloads.resolve(token, name)
        if path is None:
            raise HTTPException(404, "文件不存在或已过期，请重新生成。")
        return FileResponse(path, filename=path.name, headers={"Cache-Control": "private, no-store"})

    jobs = [(downloads.root, downloads.cap)]
    if with_ui:
        demo = create_ui(answerer, settings, store, limiter=limiter, downloads=downloads)
        # api_open=False: every call goes through the queue — its concurrency limits and the page's rate validators.
        demo.queue(max_size=settings.web_queue_max, default_concurrency_limit=1, api_open=False)
        demo.state_session_capacity = settings.web_sessions_max  # bounds the memory a crowd of sessions takes
        app = gr.mount_gradio_app(
            app,
            demo,
            path="/",
            server_name=settings.host,
            server_port=settings.port,
            ssr_mode=False,
            show_error=False,
            max_file_size="1kb",
            footer_links=[],
            css=CSS,
            head=HEAD,
            theme=THEME,
        )
        jobs.append(
            (Path(demo.GRADIO_CACHE), DiskCap(settings.gradio_cache_max_age_s, settings.gradio_cache_max_bytes))
        )
        _bound_queue_statistics(demo, settings.gradio_analytics_events)
        app.state.page = demo
        _quiet_validation_errors(app)

    _run_housekeeping(app, Housekeeper(jobs, settings.housekeeping_interval_s))
    app.add_middleware(
        LimitsMiddleware,
        body_limit=settings.max_body_bytes,
        page_body_limit=settings.max_page_body_bytes,
        limiter=limiter,
        classify=api_classifier,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _bound_queue_statistics(demo: gr.Blocks, events: int) -> None:
    """Gradio's queue rebuilds a pandas table of its last 10,000 events after every event (for its monitoring
    page): keep ``events`` and rebuild once per ``events``, so a flood of cheap calls is not amplified."""
    queue = getattr(demo, "_queue", None)
    if queue is None or not hasattr(queue, "ANALYTICS_MAX_EVENTS"):
        log.error("Gradio's queue has no analytics settings to bound; a flood of page calls may stall the server")
        return
    queue.ANALYTICS_MAX_EVENTS = events
    queue.ANAYLTICS_CACHE_FREQUENCY = events  # sic: Gradio's spelling


def _quiet_validation_errors(app: FastAPI) -> None:
    """Gradio's own app answers malformed calls with FastAPI's default 422, which echoes the input: name the
    fields instead."""

    async def invalid(request: Request, exc: Exception) -> Any:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        return JSONResponse({"detail": validation_message(errors)}, status_code=422)

    for route in app.routes:
        if isinstance(route, Mount) and hasattr(route.app, "get_blocks"):
            route.app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[attr-defined]


def _run_housekeeping(app: FastAPI, keeper: Housekeeper) -> None:
    """Prune on a schedule while the app runs (started and stopped with the app's lifespan)."""
    inner_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        keeper.start()
        try:
            async with inner_lifespan(a) as state:
                yield state
        finally:
            keeper.stop()

    app.router.lifespan_context = lifespan
    app.state.housekeeper = keeper


def api_from_env() -> FastAPI:
    """The API alone, built from ``HUARONG_*`` variables: the factory each ``huarong-qa api --workers N`` process runs.

    Answers are code-composed in milliseconds, so API processes scale with cores; each holds its own index
    (≈ 200 MB) and, when refinement is on, its own model — point them at one ``llama_cpp.server`` with
    ``HUARONG_LLM_BASE_URL`` instead (docs/deploy.md).  The feedback store and answer cache are SQLite files
    shared safely by all processes; per-visitor rate limits are counted per process.
    """
    from app.retrieve import open_retriever

    from_env: dict[str, Any] = {}  # every field from HUARONG_* variables
    settings = Settings(**from_env)
    pipeline = Pipeline.create(open_retriever(settings), settings)
    return build_app(pipeline, settings, FeedbackStore(settings.feedback_db), with_ui=False)


def serve_workers(settings: Settings, workers: int) -> None:
    """Run the API in ``workers`` processes on one port (the page stays in one process: Gradio's queue is local)."""
    uvicorn.run("app.server:api_from_env", factory=True, workers=workers, **_uvicorn_options(settings))


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Address, quiet logs, no server banner, client addresses from the trusted proxy only."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def serve(app: FastAPI, settings: Settings, background: bool = False, open_browser: bool = False) -> Any:
    """Run uvicorn; with ``background`` return the server once it accepts connections."""
    server = uvicorn.Server(uvicorn.Config(app, **_uvicorn_options(settings)))
    if not background:
        if open_browser:
            threading.Timer(2.0, lambda: webbrowser.open(f"http://{settings.host}:{settings.port}/")).start()
        server.run()
        return server
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return server
