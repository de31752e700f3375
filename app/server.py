"""One process serving the web chat at ``/`` and the HTTP API at ``/v1``.

``build_app`` composes the FastAPI app (API router + the Gradio page mounted beside it,
SSR off, no uploads); ``serve`` runs it with uvicorn, in the foreground or, for tests
and embedding, in a background thread.  Binds 127.0.0.1 unless settings say otherwise.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError

from app.answering import Pipeline
from app.api import create_router, error_response
from app.feedback import FeedbackStore
from app.settings import Settings
from app.ui import CSS, HEAD, THEME, create_ui


def build_app(answerer: Pipeline, settings: Settings, store: FeedbackStore, with_ui: bool = True) -> FastAPI:
    """The API and (with ``with_ui``) the page, sharing one pipeline (and through it one model gate)."""
    app = FastAPI(title="华容规划问答 API", docs_url="/v1/docs", openapi_url="/v1/openapi.json", redoc_url=None)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        response = error_response(exc.status_code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Any:
        return error_response(400, f"invalid request: {exc.errors()[:3]}")

    app.include_router(create_router(answerer))
    if with_ui:
        demo = create_ui(answerer, settings, store)
        demo.queue(max_size=settings.web_queue_max, default_concurrency_limit=1)
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
    return app


def serve(app: FastAPI, settings: Settings, background: bool = False, open_browser: bool = False) -> Any:
    """Run uvicorn; with ``background`` return the server once it accepts connections."""
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
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
