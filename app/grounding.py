"""Ground a question in the plan's own words: what is it about, and does the plan use those words?

``Grounder.topic`` reduces a question to its topic.  Question words ("是什么", "有没有",
"咋办"), words that only point at the plan ("规划里", "提到") and English stopwords are set
aside; what is left is matched against the plan's text (articles, glossary, titles) and
the reviewed lexicon (``corpus/query_expansions.tsv``, everyday and English words → plan
words).  Chinese is matched without a dictionary: the question is cut into the fewest
pieces that the plan (or the lexicon, or the list of question words) contains, and
characters no such piece covers are words the plan never uses.

The :class:`Topic` it returns lists the known pieces and the unknown ones, and flags three
kinds of names that must occur in the plan whole to be asked about: institutions
("武汉大学" is not "武汉" + "大学"), places outside Huarong that the plan never names
("深圳", "Shanghai", from ``corpus/places.tsv``) and numbered items ("30号线", "500亿").

It only describes the question.  Whether that is enough to answer, and every threshold,
lives in ``app.scope``; nothing here reads retrieval scores or calls a model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.corpus import Plan
from app.refs import find_refs
from app.text import normalize

DEFAULT_PLACES = Path(__file__).resolve().parent.parent / "corpus" / "places.tsv"
DISTRICT_PLACES = Path(__file__).resolve().parent.parent / "corpus" / "district_places.tsv"

# -- how a question is asked, not what it is about -----------------------------------------------------------
# Matched as whole pieces when the question is cut up; colloquial forms included ("咋办", "有啥说法").
_FRAME = """
什么样 什么是 是什么 为什么 什么时候 什么 啥子 啥 咋样 咋办 咋整 咋 怎么样 怎么办 怎么着 怎么 怎样 如何 哪些 哪个
哪里 哪儿 哪几 哪 多少 几个 几项 几大 几条 几次 是否 有没有 能不能 会不会 是不是 要不要 可不可以 有无 为何 何时
吗 呢 吧 啊 嘛 么 呀 没有 没 不 管不管 管这个 管这事 管 行不行 说法 讲法 这块 这方面 方面 这事 这件事 这个 那个
这些 那些 规划 建议 这份 文件 文中 原文 里面 里头 当中 其中 提到 提出 提及 提了 说了 讲了 讲的 说的 写的 写了
讲 说 谈 谈到 写到 涉及 关于 对于 有关 主要内容 主要 内容 具体 情况 部分 概括 总结 介绍 解释 意思 是指 指的是 指
理解 含义 定义 描述 区别 了解 知道 拿 拿到 拿了 获得 机关 部门 单位 领域 门类 类别 种类 成绩 称号 荣誉 牌子 名头 场馆 告诉 一下 一点 请问 请 问 安排 打算 措施 举措 政策 办法 计划 要求 定位 角色 作用
意义 关系 背景 语境 上下文 场合 地位 方向 重点 做法 思路 体现 怎么说 怎么讲 怎么提 咱们 咱 我们 我 你们 你 他们 它 大家 老百姓
群众 以后 今后 将来 未来 现在 目前 当前 听说 据说 搞 干 弄 做 用 起 带来 帮扶 帮助 照顾 改进 解决 新的 有 是
的 了 和 与 及 或 在 把 被 让 从 到 向 为 等 这 那 要 将 会 能 可以 应该 需要 对 给 由 都 也 还 就 又 很 更 最 该 啦
过 着 得 地 里 上 下 中 之 一 个 些 次 它们 什么的 方面的 相关 怎么回事 哪方面 讲什么 说什么 干什么 干啥 干嘛
几 多长 多久 多大 多高 多远 多宽 多深 多重 多快 期间 时候 分别 各自 一起 还有 另外 以及 其他 别的 之后 之前
每年 每月 每天 每人 每个 每户
想 想要 找 再 往 像 挺 太 蛮 越 才 刚 已 曾 仍 却 而 且 但 只 便 即 您 俺 他 她 谁 趟 遍 够 很 能够 可能 希望 觉得
感觉 好像 已经 一直 马上 越来越 特别 非常 比较 有点 一些 好几 好几趟 几趟 到处 一样 那样 这样 真正 保证 确保 讲究
老是 总是 经常 常常 一到 一下子 之类 等等 而且 但是 因为 所以 如果 虽然 然后 还是 或者 其实 到底 究竟 那股 这股
劲儿 骨子里 老家 外地 本地 当地 那种 这种 各种 一般 平时 以前 过去 从前 往后 季节 地方 东西 事情 样子 程度 周边
附近 身边 家门口 家里 村里 城里 一带 左右 方便 快一点 快点 少跑 多跑 跑腿 帮忙 介绍 支不支持 有没有人 有人
会变成 变成 成为 能否 可否 是否会 会否 将会 打算在 准备 考虑 开始 继续 进一步 写完 做完 弄完 搞完 完了
建 修 盖 装 多建 多修 多装 孩子 娃 小孩 提法 表述 论述 部署 态度 看法 观点 设想 构想 蓝图 愿景 前景
好点 好一点 好些 更好 变好 改善 好起来 多起来 起来 一点儿 点儿 咋回事 啥时候 什么时候能 能不能够
出去 进来 回来 过来 过去 吃 吃个 喝 玩玩 看看 走走 跟 同
么样 么事 么子 搞么事 有冇得 冇得 冇 伢 伢们 屋里 屋门口 晓得 帮衬 蛮 几多 好多 咯 啵 嘞 撒 说实话 一年到头
动不动 隔三差五 一辈子 天天 整天 到底 还是 爹妈 爸妈 两口子 家里人 老家伙 我家 我们家 我们这 我们这边 这边 那边
"""
FRAME_WORDS: frozenset[str] = frozenset(_FRAME.split())
_MAX_PIECE = 16
_EDGE = set("的了吗呢吧啊呀嘛在和与对为把被让从向给是有谁啥咋哪")
# One more character after a plan word that makes a different thing of it ("社保卡", "养老金", "新生儿").
_FUNCTION = _EDGE | set("不没能会要到去来得着过也都还就又很更最该想")  # never part of a name
_SUFFIXES = set("性化者员们子")  # a word never starts with one: "性补缴" is the tail of "一次性补缴"
_AFTER_A_THING = set("丢坏掉没被换补办怎要去")
_NOUN_ENDS = set("金卡证费票站馆院所局处科室队团节奖儿员税险价率额表单号")
# Words so common in the plan that sharing them says nothing about what a question asks.
_GENERIC = """
华容 华容区 全区 我区 本区 区里 建设 发展 规划 十四五 十三五 时期 期间 五年 武汉 鄂州 湖北 推进 推动
加快 加强 实施 提升 完善 打造 工作 方面 全面 重点 重要 积极 大力 进一步 更加 不断 有效 深入 持续 坚持
构建 形成 实现 成为 促进 支持 落实 提高 建立 健全
"""
GENERIC_WORDS: frozenset[str] = frozenset(_GENERIC.split())

# Bigrams of those words and of the question words: sharing one is no reason to suggest an article.
GENERIC_TOKENS: frozenset[str] = frozenset(
    w[i : i + 2] for w in GENERIC_WORDS | FRAME_WORDS if len(w) >= 2 for i in range(len(w) - 1)
)

# Endings of names of one particular body or facility: such a name must be in the plan as a whole
# ("武汉大学" is not "武汉" + "大学").  Kinds of things ("学校", "公园") are not here.
_INSTITUTION = re.compile(
    r"大学|学院|医院|卫生院|公司|集团|银行|号线|机场|火车站|高铁站|动车站|体育场|体育馆|博物馆|纪念馆|图书馆|展馆|"
    r"中学|小学|研究院|研究所|实验室|委员会|管委会|开发区|高新区|自贸区|保税区|景区|大桥|高速|商场|广场|法院|检察院|"
    r"派出所|公安局|税务局|车管所|政务中心|居委会|村委会|县(?!域|城|市|区|乡|级|委|政府|里)"
)
# The same for English names made of a place and such an ending ("Wuhan University" is not in the plan,
# "Ezhou Airport" is: 鄂州机场).
_EN_INSTITUTION = {
    "university": "大学", "hospital": "医院", "bank": "银行", "airport": "机场", "station": "站", "museum": "博物馆",
    "library": "图书馆", "stadium": "体育场", "college": "学院", "company": "公司", "group": "集团", "port": "港",
    "bridge": "大桥", "court": "法院", "zone": "区", "district": "区", "city": "市", "province": "省",
}  # fmt: skip
# Verbs a question puts before a facility it asks about ("纳入自贸区", "建成开发区"): not part of a name.
_VERBS_BEFORE_A_PLACE = ("纳入", "加入", "进入", "建设", "建成", "打造", "依托", "对接", "申报", "争创", "创建", "升级")
# "跟武汉大学合作": a partner in what is asked, not what is asked about
_PARTNER = re.compile(r"(?:合作|共建|联合|一起|搞出|研发)")
# "镇上卫生院", "村里小学", "家门口医院": where the place is, not its name
_WHERE_AROUND = ("上", "里", "下", "边", "头", "门口", "附近", "周边")
# A modifier that does not make a name: "一所大学", "新的医院".
_NOT_A_NAME = re.compile(
    r"^(?:.|(?:[一二三四五六七八九十几两多每这那哪新旧大小好建修盖办开设]|[0-9]+)*[所家座个条间处]?)$"
)
# Numbered things: an amount or an item with its number must be in the plan as written ("30号线", "500亿").
_NUMBERED = re.compile(
    r"(?<![\d.a-z])(\d+(?:\.\d+)?)\s*(号线|号|亿|万|千|元|块|吨|%|个|家|条|项|公里|千米|米|亩|人|所|座|届|强|级|小时|分钟|天|年代)"
)
_QUOTED = re.compile(r"[“\"「『]([^“”\"「」『』?？,，。]{2,16})[”\"」』]")
# the plan's counted shorthands and "X+" forms ("三换", "五张名片", "数字+")
_SHORTHAND = re.compile(r"^(?:[一二三四五六七八九十两几百千万]+[\u4e00-\u9fff]{1,3}|.*\+.*)$")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[a-z][a-z0-9'’\-]*[a-z0-9]|[a-z0-9]+")

# English words that say how a question is asked, or that every question about the plan uses.
_EN_STOP = """
a an the of to in on at for from by with about into over under between and or but not no nor so if then than
as is are was were be been being am do does did doing done have has had having will would shall should can
could may might must it its this that these those there here what which who whom whose when where why how
whether i me my we our you your he she they them their his her us any some all each every more most much many
such other tell say says said mention mentioned mentions describe explain give show list summarize summarise
gist stand plan plans planned planning proposal proposals document text article articles part parts chapter
section huarong district according regarding concerning related relate relates also just only very really
please get got make makes made up out there's what's it's plan's district's huarong's one ones new main key
major improve improving improved build building built strengthen strengthening ensure ensuring propose
proposes proposed connect connected connecting link linked links involve involved involves adopt adopts
adopted develop developing developed development promote promoting support supporting supported boost enhance
enhancing way ways role roles measures measure steps step policy policies efforts effort system systems level
levels network networks area areas project projects work working thing things kind kinds type types future
years year period people residents local government overall specific detail details aim aims intend intends
intended going want wants like better best good well high higher less toward towards within across through
upon via per now still yet already ever time times based focus focuses focused during periods five-year year's
two three four five six seven eight nine ten first second third deal handle handles tackle tackles address
addresses public affairs become becomes reduce reduced reducing increase increased increasing raise raised
lower cut cuts expand expanded expanding grow growing grown keep take taken given help helps helped need needs
needed use used using provide provides provided create created creating set put bring brings turn change
changed changes move run start started continue include includes including allow allows let serve meet face
faces solve solves fix prevent prevents manage managed control controls accelerate speed encourage encourages
guide lead leads lift rely relies depend depends anything something everything nothing anyone everyone someone
person persons whole entire modern large big bigger biggest small smaller little old older efficient effective
easier easy faster fast cheaper quick quickly least enough too here's happen happens happening goal's
specifically particular particularly exactly actually achieve achieved achieving mainly primarily generally
respect terms against young younger leadership leading aspect aspects matter matters issue issues
last mean meaning means practice practical practically promise promises promised heard hear sorry end ending
back play plays played formula places place thing stuff bit lot lots kind sort really actually basically
exactly sure maybe perhaps anyway okay ok hello hi thanks thank know knows let's tell told wonder wondering
curious interested interesting question questions answer answers called call named name mentioned talk talks
talking said saying read reading see seen look looking find found understand explain explained
"""
EN_QUESTION_WORDS = Path(__file__).resolve().parent.parent / "corpus" / "en_question_words.txt"
EN_STOPWORDS: frozenset[str] = frozenset(_EN_STOP.split()) | frozenset(
    w.strip() for w in EN_QUESTION_WORDS.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")
)


# English words every question about the plan may hold (the district, its city and province).
_EN_GENERIC = """
huarong wuhan ezhou hubei china chinese district city county province
"""
EN_GENERIC: frozenset[str] = frozenset(_EN_GENERIC.split())


@dataclass(frozen=True)
class Piece:
    """One stretch of a question's topic."""

    text: str
    known: bool  # the plan (or the reviewed lexicon) uses it
    kind: str = "word"  # word | institution | place | number | english
    generic: bool = False  # a word every question about the plan shares (华容, 建设, 发展 …)
    size: int = 0  # characters that count toward the topic's share, when not all of ``text`` does

    @property
    def weight(self) -> float:
        """How much of the topic this piece is: characters for Chinese, two per English word."""
        if self.generic:
            return 0.0
        if self.kind == "english":
            return 2.0
        size = self.size or len(self.text)
        return 0.5 if size == 1 and not self.known else float(size)  # a lone unknown character is mostly a verb


@dataclass(frozen=True)
class Topic:
    """What a question is about, as far as the plan's words go."""

    pieces: tuple[Piece, ...] = ()
    plan_words: tuple[str, ...] = ()  # plan words the lexicon gives for everyday / English words
    english: bool = False

    @property
    def known(self) -> list[Piece]:
        return [p for p in self.pieces if p.known and not p.generic]

    @property
    def unknown(self) -> list[Piece]:
        return [p for p in self.pieces if not p.known]

    @property
    def names(self) -> list[Piece]:
        """Unknown names: institutions, outside places and numbered items the plan does not contain."""
        return [p for p in self.unknown if p.kind in ("institution", "place", "number")]

    @property
    def unknown_share(self) -> float:
        """Share of the topic (weighted by length) made of words the plan never uses; 0 for no topic."""
        words = [p for p in self.pieces if p.kind in ("word", "english") and not p.generic]
        total = sum(p.weight for p in words)
        return sum(p.weight for p in words if not p.known) / total if total else 0.0

    def missing(self) -> str:
        """What a refusal names: the first unknown name, else the longest unknown word that reads as a word
        ("驾照"; a run of a colloquial sentence such as "子在外面读完大学" only when nothing better is left)."""
        if self.names:
            return self.names[0].text
        words = sorted(self.unknown, key=lambda p: (not clean_name(p.text), -p.weight))
        return words[0].text if words else ""


def clean_name(text: str) -> bool:
    """Is it a word a refusal can name ("驾照", "补办身份证"), not a run of a colloquial sentence
    ("子在外面读完大学", "铁票订")?"""
    return text.isascii() or (2 <= len(text) <= 5 and not set(text) & _FUNCTION and text[0] not in _SUFFIXES)


def load_district_places(path: Path = DISTRICT_PLACES) -> list[tuple[str, tuple[str, ...]]]:
    """Reviewed places inside the district: (name, the forms a question may use, longest first)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, aliases = line.partition("\t")
            out.append((name.strip(), tuple(sorted(aliases.split(), key=len, reverse=True))))
    return out


def load_places(path: Path = DEFAULT_PLACES) -> dict[str, str]:
    """Outside places: every Chinese or English name (normalised) → the Chinese name."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        zh, _, en = line.partition("\t")
        zh = normalize(zh.strip())
        out[zh] = zh
        for name in en.split(","):
            if name.strip():
                out[normalize(name.strip())] = zh
    return out


class Grounder:
    """Topic extraction against one plan and lexicon (build once; safe for concurrent reads)."""

    def __init__(
        self,
        plan: Plan,
        expansions: Sequence[tuple[re.Pattern[str], list[str]]] = (),
        places: dict[str, str] | None = None,
    ) -> None:
        self.plan = plan
        parts = [plan.preamble, *(a.text for a in plan.articles), *(g.text for g in plan.glossary)]
        parts += [p.title + "。" + p.preamble for p in plan.parts]
        self.text = normalize(re.sub(r"[“”\"'‘’《》]", "", "\n".join(parts)))
        self.expansions = list(expansions)
        self._zh_lexicon = {_trigger(p) for p, _ in self.expansions if not _trigger(p).isascii()}
        self._en_lexicon = {_trigger(p) for p, _ in self.expansions if _trigger(p).isascii()}
        # compiled once: a pattern built per question and phrase would thrash ``re``'s cache
        self._en_phrases = [
            (t, re.compile(rf"(?<![a-z]){re.escape(t)}(?![a-z])"))
            for t in sorted(self._en_lexicon)
            if re.search(r"[ \-]", t)
        ]
        self.places = load_places() if places is None else places
        self._zh_places = {zh for zh in self.places.values() if not self.in_plan(zh)}  # outside places it never names
        # the district's own towns and sites, in every form a question may use ("临江乡" where the plan says 临江)
        self._district = {a for _, aliases in load_district_places() for a in aliases}
        self._known = lru_cache(maxsize=1 << 16)(self._is_known)

    # -- vocabulary ----------------------------------------------------------------------------------------------
    def _is_known(self, s: str) -> bool:
        return s in self.text or s in self._zh_lexicon or s in self._district

    def quoted_absent(self, question: str) -> str:
        """A Chinese name the question puts in quotes that the plan never uses ("规划提出的“华容数字人民币试点”"),
        or "".  Counted shorthands ("三换", "五张名片") and near spellings (three in four of its character pairs in
        the plan) pass: the plan explains its own shorthands in other words, and people mistype."""
        for m in _QUOTED.finditer(normalize(question)):
            name = m.group(1).strip()
            if not _CJK_RUN.search(name) or _SHORTHAND.match(name) or self.in_plan(name):
                continue
            if "、" in name and all(self.in_plan(x) for x in name.split("、") if x):
                continue  # "下乡、回乡、兴乡": each item is the plan's ("市民下乡、能人回乡、企业兴乡")
            pairs = [name[i : i + 2] for i in range(len(name) - 1)]
            if sum(p in self.text for p in pairs) < 0.75 * len(pairs):
                return name
        return ""

    def in_plan(self, s: str) -> bool:
        """Does the plan's own text contain ``s``?"""
        return normalize(s) in self.text

    def lexicon_words(self, text: str) -> list[str]:
        """Plan words the reviewed lexicon gives for the everyday / English words of ``text``."""
        q = normalize(text)
        return list(dict.fromkeys(w for pattern, words in self.expansions if pattern.search(q) for w in words))

    # -- topic ---------------------------------------------------------------------------------------------------
    def topic(self, question: str) -> Topic:
        q = normalize(question)
        for m in reversed(find_refs(q)):  # units named by number are checked elsewhere
            q = q[: m.start] + " " + q[m.end :]
        q = re.sub(r"[“”\"‘’《》「」()（）\[\]【】]", " ", q)
        english = len(re.findall(r"[a-z]", q)) > 2 * len(re.findall(r"[\u3400-\u9fff]", q))
        pieces: list[Piece] = [*self._numbers(q)]
        for run in _CJK_RUN.findall(q):
            pieces += self._chinese(run)
        phrases = self._phrase_words(q)  # the lexicon's English phrases found whole
        pieces += self._latin(q, phrases)
        pieces += self._places(q, pieces, phrases)
        pieces += self._english_names(question.replace("–", "-"), phrases)
        return Topic(tuple(_dedupe(pieces)), tuple(self.lexicon_words(q)), english)

    def segment(self, run: str) -> list[tuple[str, str]]:
        """Cut a run of Chinese into the cheapest pieces (see :func:`segment`)."""
        return segment(run, self._known, self._zh_places)

    def _chinese(self, run: str) -> list[Piece]:
        segs = self.segment(run)
        out: list[Piece] = []
        pending = ""  # consecutive characters no known piece covers

        at = 0  # where the current segment starts in ``run``
        locked = [False] * len(run)  # characters inside a plan word or a place: never part of a neighbour's name
        i = 0
        for text, kind in segs:
            if kind in ("known", "place", "frame") and len(text) >= 2:
                locked[i : i + len(text)] = [True] * len(text)
            i += len(text)

        def flush() -> None:
            nonlocal pending
            if len(pending) == 1 and not self._known(pending):
                # a lone character is named with the word around it ("摄" → "摄像头"), weighted as one character
                word = _whole_word(run, at - 1, locked)
                out.append(Piece(word, False, size=1 if len(word) > 1 else 0))
            elif len(pending) >= 2:
                out.append(Piece(pending, False))
            pending = ""

        for k, (text, kind) in enumerate(segs):
            at += len(text)
            if kind == "unknown":
                pending += text
                continue
            at -= len(text)
            flush()
            at += len(text)
            if kind == "place":
                out.append(Piece(text, False, "place"))
            if kind == "known":
                generic = _all_generic(text)
                after = segs[k + 1] if k + 1 < len(segs) else ("", "")
                # the compound ends where a known piece, or a verb of what befell it, follows ("社保卡坏了")
                closes = k + 2 >= len(segs) or segs[k + 2][1] != "unknown" or segs[k + 2][0] in _AFTER_A_THING
                if after[1] == "unknown" and after[0] in _NOUN_ENDS and closes and not generic:
                    # "社保" + "卡", "养老" + "金": a plan word with one more character is another thing
                    compound = text + after[0]
                    if not self._known(compound):
                        out.append(Piece(compound, False, size=1))
                        segs[k + 1] = ("", "frame")  # the character is used up
                        continue
                out.append(Piece(text, True, generic=generic))
        flush()
        out += self._institutions(segs)
        return out

    def _institutions(self, segs: list[tuple[str, str]]) -> list[Piece]:
        """Names ending in an institution word, back to the previous question word: in the plan as a whole?"""
        out = []
        text = "".join(t for t, _ in segs)
        bounds = [0]
        for t, _ in segs:
            bounds.append(bounds[-1] + len(t))
        for m in _INSTITUTION.finditer(text):
            # the name starts after the last question word before the ending
            start = 0
            for k, (_, kind) in enumerate(segs):
                if bounds[k + 1] <= m.start() and kind == "frame":
                    start = bounds[k + 1]
            # "伢子在外面读完大学", "公司跟武汉大学": a name never holds a function word; it starts after the last
            cut = max(
                (i for i, c in enumerate(text[start : m.start()]) if c in _FUNCTION or c in "跟同读完考"), default=-1
            )
            start += cut + 1
            name, modifier = text[start : m.end()], text[start : m.start()]
            if _PARTNER.match(text[m.end() :]) and text[:start].endswith(("跟", "和", "与", "同")):
                continue  # "跟武汉大学合作…": a partner in what is asked, not what is asked about
            if (
                not modifier
                or _NOT_A_NAME.match(modifier)
                or modifier[-1] in "大小好新老"
                or _INSTITUTION.fullmatch(modifier)
                or modifier.endswith(_VERBS_BEFORE_A_PLACE)
                or modifier.endswith(_WHERE_AROUND)
            ):
                # "武汉大医院", "城里好学校": a kind of place described, not a name
                continue
            if (
                self._known(m.group(0))
                and re.search(r"[院馆场园站所校]$|中心$", modifier)
                and any(
                    bounds[k] == start and bounds[k + 1] == m.start() and kind == "known"
                    for k, (_, kind) in enumerate(segs)
                )
            ):
                continue  # "电影院博物馆": two things the plan names side by side (影院, 博物馆), not one name
            # known when the plan holds the ending with at least two characters of the name before it
            # ("华容跟武汉东湖高新区" holds 武汉东湖高新区)
            if not any(self._known(name[i:]) for i in range(0, len(modifier) - 1)):
                out.append(Piece(name, False, "institution"))
        return out

    def _numbers(self, q: str) -> list[Piece]:
        out = []
        for m in _NUMBERED.finditer(q):
            item = m.group(1) + m.group(2)
            if not re.search(rf"(?<![\d.]){re.escape(item)}", self.text):
                out.append(Piece(item, False, "number"))
        return out

    def _phrase_words(self, q: str) -> set[str]:
        """The words of the lexicon's English phrases found whole in ``q`` ("cold chain" → cold, chain)."""
        return {w for t, pattern in self._en_phrases if pattern.search(q) for w in t.split()}

    def _latin(self, q: str, covered: set[str]) -> list[Piece]:
        """English (and other Latin-script) words: known when the lexicon (``covered``: words of its phrases
        found in ``q``) or the plan has them."""
        out = []
        for word in _LATIN.findall(q):
            word = word.strip("'’-")
            if not word or word in EN_STOPWORDS or word.isdigit():
                continue
            parts = [p for p in re.split(r"[-']", word) if p and p not in EN_STOPWORDS and p not in ("s", "based")]
            known = (
                word in covered
                or self._plan_place(word)
                or self._en_known(word)
                or (bool(parts) and all(p in covered or self._en_known(p) for p in parts))
            )
            if not parts:
                continue
            out.append(Piece(word, known, "english", generic=word.removesuffix("'s") in EN_GENERIC))
        return out

    def _english_names(self, question: str, in_phrases: set[str]) -> list[Piece]:
        """Capitalised names the plan does not contain: a run of capitalised words none of which the lexicon
        or the plan knows ("Alibaba", "Tesla") — a run with a known word ("Mao Zedong Thought", "Wuhan East
        Lake High-tech Zone") is a name the plan may hold — or a place with an institution ending whose
        Chinese name is not in the plan ("Wuhan University" → 武汉大学, while "Ezhou Airport" is 鄂州机场)."""
        out = []
        q = normalize(question)
        text = unicodedata.normalize("NFKC", question)
        cap = r"(?:[A-Z][A-Za-z'’\-]*|[A-Z]{2,})"
        for m in re.finditer(rf"(?<![\w'’]){cap}(?:\s+(?:(?:of|and|the|for|de)\s+)?{cap})*(?![\w])", text):
            before = text[: m.start()].rstrip()
            words = [w.lower().strip("'’-").removesuffix("'s").removesuffix("’s") for w in m.group(0).split()]
            if not before or before[-1] in '.?!:;"“(':  # a sentence's first word is capitalised anyway
                words = words[1:]
            words = [
                w for w in words if w and w not in EN_STOPWORDS and w not in EN_GENERIC and not self._plan_place(w)
            ]
            if words and not any(
                w in in_phrases
                or self._en_known(w)
                or all(self._en_known(p) for p in re.split(r"[-'’]", w) if p and p not in EN_STOPWORDS)
                for w in words
            ):
                out.append(Piece(m.group(0).strip(), False, "institution"))
        for place, zh in self.places.items():
            if not place.isascii():
                continue
            for m in re.finditer(rf"(?<![a-z]){re.escape(place)}\s+([a-z]+)", q):
                ending = _EN_INSTITUTION.get(m.group(1).rstrip("s"))
                # "Wuhan bridge": the plan's 武汉双柳长江大桥 is one (a place's name, a few characters, the ending)
                held = (
                    re.search(rf"{re.escape(zh)}[\u4e00-\u9fff]{{0,6}}{re.escape(ending)}", self.text)
                    if ending
                    else None
                )
                if ending and held is None:
                    out.append(Piece(f"{zh}{ending}", False, "institution"))
        return out

    def _plan_place(self, word: str) -> bool:
        """An English name of a place the plan names ("zhejiang" → 浙江)."""
        zh = self.places.get(word)
        return zh is not None and self.in_plan(zh)

    def _en_known(self, word: str) -> bool:
        for w in _english_forms(word):
            if w in self._en_lexicon or (
                len(w) >= 2 and re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z])", self.text)
            ):
                return True
        return False

    def _places(self, q: str, pieces: list[Piece], phrases: Collection[str] = ()) -> list[Piece]:
        """Places outside Huarong named in the question.  Chinese names count where the plan's words do not
        already explain the characters (so "幸福建设" holds no "福建"); English ones outside the lexicon's phrases
        (``phrases``: "wuhan-huangshi" is the plan's 武黄高速, not 黄石)."""
        unknown_text = " ".join(p.text for p in pieces if not p.known)
        out = []
        for name, zh in self.places.items():
            if name.isascii():
                if any(name in w for w in phrases):
                    continue
                if re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", q):
                    out.append(Piece(zh, self.in_plan(zh), "place"))
            elif self.in_plan(name):
                if name in q:
                    out.append(Piece(zh, True, "place"))
            elif name in unknown_text:  # inside a run of unknown characters ("去海南")
                out.append(Piece(zh, False, "place"))
        return out


def segment(run: str, known: Callable[[str], bool], places: Collection[str]) -> list[tuple[str, str]]:
    """Cut a run of Chinese into the cheapest pieces: (text, "frame" | "known" | "place" | "unknown").

    Question words cost least, plan (or lexicon) strings of two or more characters (``known``) next, a string
    that swallows a particle more, and a character no piece covers most, so the plan's own words win.
    """
    n = len(run)
    inf = float("inf")
    cost = [0.0] + [inf] * n
    back: list[tuple[int, str]] = [(0, "")] * (n + 1)
    for i in range(n):
        if cost[i] == inf:
            continue
        for j in range(min(n, i + _MAX_PIECE), i, -1):
            s = run[i:j]
            if s in FRAME_WORDS:
                kind, c = "frame", 0.9
            elif s in places:
                kind, c = "place", 1.0
            elif j - i >= 2 and known(s):
                # a plan string that swallows a particle ("的华容", "鄂州机场的") loses to the split
                kind, c = "known", 1.0 + (2.0 if s[0] in _EDGE or s[-1] in _EDGE else 0.0)
            elif j - i == 1:
                kind, c = "unknown", 3.0
            else:
                continue
            if cost[i] + c < cost[j]:
                cost[j], back[j] = cost[i] + c, (i, kind)
    out: list[tuple[str, str]] = []
    j = n
    while j > 0:
        i, kind = back[j]
        out.append((run[i:j], kind))
        j = i
    return out[::-1]


_GENERIC_PARTS = GENERIC_WORDS | FRAME_WORDS | set("区市省县")


@lru_cache(maxsize=4096)
def _all_generic(text: str) -> bool:
    """Is ``text`` made only of generic and question words ("规划建设", "区十四五")?"""
    if not text:
        return True
    return any(text[:k] in _GENERIC_PARTS and _all_generic(text[k:]) for k in range(min(len(text), 8), 0, -1))


def _whole_word(run: str, i: int, locked: Sequence[bool] = ()) -> str:
    """The word around the character at ``i``: up to two neighbours on each side, stopping at particles and at
    plan words and question words (``locked``), so a refusal names "摄像头" rather than "摄"."""

    def free(j: int) -> bool:
        return run[j] not in _FUNCTION and not (locked and locked[j])

    a = i
    while a > 0 and i - a < 2 and free(a - 1):
        a -= 1
    b = i + 1
    while b < len(run) and b - i <= 2 and free(b):
        b += 1
    return run[a:b]


def _trigger(pattern: re.Pattern[str]) -> str:
    """The plain trigger text of a lexicon pattern (see ``app.retrieve.load_expansions``)."""
    p = pattern.pattern
    if p.startswith("(?<![a-z0-9])"):
        p = p[len("(?<![a-z0-9])") : -len("(?![a-z0-9])")]
    return re.sub(r"\\(.)", r"\1", p)


def _english_forms(word: str) -> list[str]:
    """The word and its likely singular / stem forms ("emergencies" → "emergency")."""
    forms = [word]
    if word.endswith("'s"):
        forms.append(word[:-2])
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 4:
        forms.append(word[:-2])
    if word.endswith("s") and len(word) > 3:
        forms.append(word[:-1])
    for ending in ("ing", "ed"):  # "attracting" → attract, "reformed" → reform, "supplying" → supply
        if word.endswith(ending) and len(word) > len(ending) + 3:
            stem = word[: -len(ending)]
            forms += [stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem]
    return forms


def _dedupe(pieces: Iterable[Piece]) -> list[Piece]:
    seen: dict[tuple[str, bool], Piece] = {}
    for p in pieces:
        key = (p.text, p.known)
        if key not in seen or seen[key].kind in ("word", "english"):
            seen[key] = p
    return list(seen.values())
