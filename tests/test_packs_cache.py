from app.answer import Answerer
from app.llm import PackState
from app.packs import PackStore
from app.refs import Ref
from tests.fakes import ScriptedGenerator

REPLY = "华容将加快三江港铁路物流基地二期建设。[第13条]"


class TemplatedFake(ScriptedGenerator):
    """A fake with a chat template and pack states, like LlamaCppGenerator."""

    def __init__(self):
        super().__init__(REPLY)
        self.states_used = []
        self.prefixes = []

    def format(self, messages):
        return "".join(f"<{m['role']}>{m['content']}</>" for m in messages) + "<assistant>", ["</>"]

    def prefix_state(self, prefix):
        self.prefixes.append(prefix)
        return PackState(tuple(ord(c) for c in prefix), b"kv")

    def stream(self, messages, max_tokens, deadline_s, state=None):
        prompt, _ = self.format(messages)
        if state is not None:
            assert prompt.startswith("".join(chr(t) for t in state.tokens))  # the pack is a true prefix
        self.states_used.append(state)
        yield from super().stream(messages, max_tokens, deadline_s)


def _answerer(fake_retriever, settings, tmp_path, strategy):
    gen = TemplatedFake()
    s = settings.model_copy(update={"strategy": strategy})
    a = Answerer(fake_retriever, gen, s)
    a.packs = PackStore(tmp_path / "packs", "k", lambda ref: gen.prefix_state(a.pack_prefix(ref)))
    return a, gen


def test_pack_used_and_persisted(fake_retriever, settings, tmp_path):
    a, gen = _answerer(fake_retriever, settings, tmp_path, "packs")
    ans = a.answer("三江港要建设哪些物流项目?")
    assert ans.mode == "llm" and gen.states_used[-1] is not None
    top = next(h.ref for h in ans.hits if h.kind == "article")
    assert a.packs.path(top).exists() and len(gen.prefixes) == 1
    a.answer("三江港铁路物流基地二期什么时候建?")  # same top article: no new pack built
    assert len(gen.prefixes) == 1 or a.packs.misses == len(gen.prefixes)


def test_rag_strategy_uses_no_pack(fake_retriever, settings, tmp_path):
    a, gen = _answerer(fake_retriever, settings, tmp_path, "rag")
    a.packs = None
    a.answer("三江港要建设哪些物流项目?")
    assert gen.states_used == [None]


def test_auto_needs_a_dominant_article(fake_retriever, settings, tmp_path):
    from app.retrieve import Hit

    a, _ = _answerer(fake_retriever, settings, tmp_path, "auto")
    h = lambda n, sc: Hit(Ref("article", n), 1, "t", "x", sc)  # noqa: E731
    assert a.pack_for([h(13, 1.0), h(14, 0.5)]) == Ref("article", 13)
    assert a.pack_for([h(13, 1.0), h(14, 0.95)]) is None


def test_answer_cache_serves_repeats(fake_retriever, settings, tmp_path):
    from app.answer_cache import AnswerCache

    a, gen = _answerer(fake_retriever, settings, tmp_path, "rag")
    a.packs = None
    a.cache = AnswerCache(tmp_path / "answers.sqlite3")
    first = a.answer("三江港要建设哪些物流项目?")
    second = a.answer("三江港要建设哪些物流项目？ ")
    assert len(gen.prompts) == 1 and second.answer == first.answer and second.citations == first.citations
    assert second.timings.get("cached") is True
    a.answer("那物流园呢?", [])
    assert len(gen.prompts) == 2
