"""Decide, on the code side, whether the plan can answer a question — and if not, what it lacks.

The model never decides scope: small models refuse good questions and answer bad ones.
``decide_scope`` checks, in order:

1. **requests to act** — write, translate, compute, role-play, announce, invent an article,
   reveal or change the instructions — refused whatever else they mention (reason
   ``instructions``);
2. **questions about the assistant itself** (who made it, which model, does it remember) and
   requests for its **opinion** of the plan ("你觉得能实现吗", "这份规划有哪些不足");
3. **questions the plan cannot answer by their nature** — who holds an office, weather and
   today's news, prices, personal advice, personal life, how to get a personal service done,
   general knowledge (origins, "where is", other places' sights) — each a family of phrases,
   Chinese and English, matched with dialect question words in their Mandarin forms
   (``plain_words``: "么子材料" → "什么材料", "好多钱" → "多少钱");
4. a question naming an article or glossary term is in scope (``reference``);
5. **another region's plan** ("深圳十四五规划…", "Chongqing's 14th Five-Year Plan"): refused
   even when the plan uses the same words; a place or body the plan itself names
   ("武汉双柳长江大桥", "Ezhou Airport") is fine;
6. **grounding** (``app.grounding``): names the plan must contain whole (institutions,
   outside places, numbered items, a name put in quotes, what the question says the plan proposes
   or has a section on, the things compared or asked a list of), years the plan never mentions, and the share of the
   question's topic made of words neither the plan nor the reviewed lexicon uses
   (``Settings.scope_unknown_share``) — unless the classifier finds the question very like the plan's
   own questions (``Settings.offtopic_keep``: "村里的水电路这些,以后会不会弄好点?" is everyday speech);
7. **what is asked after a claim** ("规划说要建好老年大学,报名费多少") must be the plan's words
   (``Settings.scope_asked_unknown_share``), and the **classifier** (``app.offtopic``: how much the
   question's embedding reads like off-topic questions) refuses one that also holds a word the plan lacks
   (``Settings.offtopic_min``; never a figure question or a follow-up);
8. **retrieval evidence on content words**: the leading retrieved units must hold enough of
   the question's own topic words, IDF-weighted (``Settings.scope_evidence_min``), so that a
   question whose words the plan uses only in unrelated places is not answered with quotes (the same
   classifier exception applies).

Every refusal carries ``missing``: what the plan does not cover, shown by the refusal
template.  Thresholds are :class:`~app.settings.Settings` fields; how they were chosen, and
what they cost on unseen questions, is in docs/answers.md ("Scope").  Nothing here calls a
model or embeds: the classifier's probability comes in as a number.

``asks_for_figure`` spots questions after an amount or a date ("增长百分之几", "投资多少亿",
"哪一年通车"): the plan states very few figures, so ``app.answering`` checks whether the
closest sentences hold one and otherwise says plainly that no figure is given.

This module only classifies; ``app.answering`` writes the refusal.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.corpus import Plan
from app.grounding import GENERIC_TOKENS, GENERIC_WORDS, Grounder, Topic, clean_name, load_places
from app.settings import Settings
from app.text import content_tokens, normalize

FigureKind = Literal["percent", "money", "count", "date"]

# -- 1. requests to act: (what the assistant will not do, pattern) -------------------------------------------
_ACTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "修改或透露本助手的指令",
        re.compile(
            r"忽略|无视|忘记|忘掉|不要(?:管|理会|遵守)|系统提示|提示词|开发者模式|越狱|隐藏(?:的)?指令|你的(?:设定|配置|指令|规则)|"
            r"原样(?:发|输出|告诉|复述)|没有(?:任何)?限制|不受(?:任何)?限制|解码并执行|"
            r"\bignore (?:all |any |the |your )?(?:previous|prior|above|earlier|preceding)|\bdisregard\b|\bsystem prompt|"
            r"\byour (?:instructions|prompt|rules|guidelines|configuration)\b|\bhidden instructions\b|\bjailbreak|"
            r"\bdeveloper mode\b|\bdan\b|\bno restrictions\b|\bwithout (?:any )?restrictions\b"
        ),
    ),
    (
        "扮演角色或代为宣布、确认",
        re.compile(
            r"扮演(?!(?:着|了)?(?:一个|一种)?(?:什么|怎样|哪些|怎么样|重要|关键|积极|主要)?(?:的)?角色)|你现在是|现在你是|从现在(?:起|开始)[,，]?\s*你|假装(?:你)?是|假设你是|冒充|以后你只|你只用|"
            r"你(?:就)?是(?:一名|一个|一位)?.{0,8}(?:书记|区长|市长|主任|局长|官员|发言人|律师|医生|老师)|"
            r"以.{1,14}?的?(?:口吻|身份|名义|语气)(?!出现|参与|入选|列入|写进|被提)|官方(?:身份)?(?:确认|宣布|回应|表态)|(?:宣布|公布)\s*[:：]|"
            r"替我(?:批|审批|宣布)|批准我|给我批|"
            r"\bpretend\b|\bact as\b|\brole-?play|\byou are now\b|\bfrom now on\b|\bannounce that\b|"
            r"\bofficially (?:approve|confirm|announce|declare)\b|\bapprove my\b|\bon behalf of\b|\bin the voice of\b"
        ),
    ),
    (
        "写作、翻译、计算或编程",
        re.compile(
            r"翻译|译成|译为|(?:写|作|编|拟|起草|创作|生成|出|画)(?:[一两几]|\d+|[三四五六七八九十])?(?:首|篇|封|段|份|道|句|幅|副)|"
            r"(?:写|编)(?:一)?个(?:程序|代码|函数|脚本|查询)|代码|函数|脚本|(?<![a-z])sql(?![a-z])|python|javascript|"
            r"(?:算|计算|换算)一下|等于多少|乘以|除以|绝句|律诗|诗歌|写诗|作诗|对联|作文|小说|笑话|歌词|演讲稿|发言稿|"
            r"申请书|投诉信|请假条|心得体会|读后感|帮我(?:再)?(?:写|算|翻|编|拟|起草|生成|出|画|改)|(?:再|多)写(?:[一两几三四五六七八九十]|\d+)?(?:条|个|点|段)|吉祥物|帮.{0,6}?(?:设计|想|起|规划|安排|制定)(?:一|个|几|条|份|套)|润色|改写|续写|扩写|"
            r"(?:无限|一直|不停|反复)(?:地)?(?:重复|输出|说)|重复(?:这句|以下|下面|一[百千万]遍)|"
            r"\btranslate\b|\bcalculate\b|\bcompute\b|\brepeat (?:this|after|the following|forever)\b|\bwrite (?:me )?(?:a|an|some|the|my|down)\b|\bcompose (?:a|an)\b|"
            r"\bdraft (?:a|an|me)\b|\bcode\b|\bfunction that\b|\bpoem\b|\bessay\b|\bjoke\b|\blyrics\b"
        ),
    ),
    (
        "编写《建议》没有的内容",
        re.compile(
            r"编(?:一|个|造|写|段|条|篇)|虚构|杜撰|捏造|瞎编|仿照|模仿|补写|想象|写出来|写一条|拟一条|"
            r"(?:加|增加|新增|添加|补|补充)(?:一|1)?(?:个|条|项|段).{0,12}(?:条文|定义|名词解释|条款)|"
            r"\binvent\b|\bimagine\b|\bmake up (?:a|an|some)\b|\bfabricate\b|\bmade-up\b"
        ),
    ),
]

# -- 2. questions about the assistant ------------------------------------------------------------------------
_ABOUT_ASSISTANT = re.compile(
    r"你是谁|你是(?:什么|哪个|哪家|哪里|真人|机器人|人工智能|ai|chatgpt|gpt|文心|通义|豆包|deepseek)|"
    r"你为(?:啥|什么|何)(?:只|不|不能|不会|老是|总是)|(?:用你|问你|使用你|这个助手|本助手).{0,8}(?:收费|要钱|花钱|免费)|"
    r"(?:能|可以)问(?:多少|几)(?:个|次)|"
    r"你是.{0,12}(?:开发|做|训练|写|制作|创造|研发)的|谁(?:开发|做|训练|制作|创造|研发|写)(?:了)?你|"
    r"你(?:能|会|可以)?(?:记住|记得|保存|存储|储存|记录)|你(?:用|基于|使用)(?:的)?(?:什么|哪个|哪种)|"
    r"你的(?:模型|名字|版本|开发者|作者|训练|数据|来历|原理|服务器|代码|程序|数据库)|你(?:和|跟|与).{1,12}(?:比|相比)|你叫什么|你几岁|"
    r"你(?:会|能)(?:不会|不能)?(?:说|讲|听懂|听得懂)[^?？,，]{0,6}(?:话|语|方言)|你会(?:不会)?把|你会(?:不会)?(?:告诉|转告|上报|报告)(?:给)?(?:政府|领导|别人|其他人|警察)|"
    r"聊天的?记录|对话的?记录|你还(?:记得|记住)|你是.{0,6}(?:工作人员|员工|客服|真人|官方)(?:吗|吧|不|么)|"
    r"你在哪.{0,6}(?:服务器|运行)|你有(?:没有)?(?:自我)?(?:意识|感情|记忆)|你(?:能|会|可以)(?:不能)?(?:联网|上网|搜索|搜一下)|你.{0,8}(?:存下来|存起来|记下来|保存下来)|"
    r"(?:我的|我们的)(?:问题|对话|聊天|信息|数据|隐私).{0,6}(?:存|保存|记录|上传|泄露)|"
    r"\bwho (?:made|built|created|developed|trained|programmed|designed|wrote) you\b|\blanguage model\b|"
    r"\bwhat (?:ai |llm )model\b|\bwhat model (?:are|is|does|do|powers|runs)\b.{0,12}\byou\b|\bare you (?:a |an )?(?:ai|bot|robot|human|chatgpt|gpt|real|person|machine)\b|"
    r"\bwho are you\b|\bwhat are you\b|\byour (?:name|creator|developer|model|training|memory)\b|"
    r"\bdo you (?:store|remember|keep|save|record|log|collect|track)\b|\bcan you remember\b|\brunning on\b|"
    r"\bchatgpt\b|\bgpt-?\d|\bopenai\b|\bllm\b|\bare you\b|\bwhat can you do\b|"
    r"\bcan you (?!tell|explain|show|summari|list|give|find|describe|recommend|suggest|expand|elaborate|say more|go into|"
    r"clarify|break|walk|compare|quote|point|read|translate the quote)\w+"
)

# Asking the assistant for its own opinion of the plan or of Huarong.
_OPINION = re.compile(
    r"你(?:觉得|认为|怎么看|怎么评价|的看法|的意见|的观点|喜欢|最喜欢|爱吃|爱去)|评价一下|打个分|打几分|"
    r"(?:规划|建议|文件|这份)(?:本身)?(?:有|存在)?(?:哪些|什么)?(?:不足|缺点|漏洞|毛病|缺陷)|写得(?:好不好|怎么样)|"
    r"(?:完成|实现|做)不了|(?:能|可以|会)(?:完成|实现|做到)吗|靠谱吗|可信吗|吹牛|空话|"
    r"\bwhat do you think\b|\byour (?:opinion|view|thoughts)\b|\bdo you (?:think|believe|like|agree)\b|"
    r"\bis (?:the|this) plan (?:good|bad|realistic|achievable|feasible)\b|"
    r"\b(?:weaknesses|flaws|shortcomings) (?:of|in) (?:the|this) (?:plan|proposal)\b|\bcriticis(?:e|es|m of) (?:the|this) plan\b"
)

# -- 3. questions the plan cannot answer by their nature: (reason, what is missing by default, pattern) -------
_OFFICE = (
    r"(?:书记|区长|县长|市长|省长|主任|局长|部长|厅长|镇长|乡长|村长|领导|负责人|主席|委员|常委|代表|专家|院士|老板|董事长|"
    r"总经理|校长|院长)"
)
_RULES: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "person",
        "人员任职情况",
        re.compile(
            _OFFICE
            + r".{0,4}(?:是谁|叫什么|姓什么|是哪位|是哪个|是哪一位|的名字|都有谁|有谁|有哪些人|名单)|谁(?:是|当|担任).{0,8}"
            + _OFFICE
            + r"|"
            r"现任|名单|是哪里人|调走|调任|调离|落马|被查|(?:手机|电话)号码?|"
            r"\bwho (?:is|was|are|were)\b.{0,40}\b(?:mayor|secretary|head|leader|governor|director|chief)\b|哪里人|籍贯|生平|事迹|历史贡献|候选人|下一?届|出生(?:于|在|地)|做过(?:什么|哪些)|干过(?:什么|哪些)|什么来历|"
            r"谁(?:设计|发明|创建|创办|修建|建造|画|唱)|状元|首富|"
            r"\bwho (?:founded|built|designed|owns|created|invented)\b|(?<![-\w])born\b|\bbiography\b|"
            r"\bwho (?:is|was|are|were|will be) (?:the )?(?:current |present |new |former )?"
            r"(?:(?:communist|cpc|district|county|city|municipal|local) )*(?:party )?"
            r"(?:mayor|secretary|party secretary|head|leader|governor|director|chair|chairman|president|members?|deputy|"
            r"officials?)\b|\bwho (?:presided|chaired|signed|attended|drafted|wrote|approved|runs|leads|heads|won)\b|"
            r"\bnames? of (?:the )?(?:mayor|secretary|officials|leaders|members)\b|选举|换届|\belections?\b|"
            r"哪(?:位|个|一位)(?:领导|官员|局长|区长|副区长|书记|主任|负责人)|谁(?:作|做)(?:的)?(?:工作)?报告|谁投了|"
            r"个人(?:担责|负责|担责任)|(?:领导|官员)(?:要)?担责|拍板|\bwhich official\b|\bwho personally\b"
        ),
    ),
    (
        "weather",
        "天气情况",
        re.compile(
            r"(?<!污染)天气|(?<!一)下(?:大|暴|小|中|阵)?(?:雨|雪)(?!天)|降雨|气温|温度(?:多少|几度)|刮风|台风|空气质量指数|\baqi\b|pm2\.5|紫外线|"
            r"\bweather\b|\bforecast\b|\brain\b|\bsnow\b|\btemperature\b"
        ),
    ),
    (
        "realtime",
        "实时信息",
        re.compile(
            r"今天|明天|昨天|后天|今晚|本周|这周|上周|下周|(?:这|本|上|下)个?周末|这个月|本月|上个月|下个?月|今年|去年|前年|几点|最新|新闻|实时|"
            r"(?:现在|目前|已经)入驻了?(?:哪些|几家|多少)|入驻了(?:哪些|几家|多少)|"
            r"进展到哪|(?:已经|现在|目前|还没).{0,10}(?:通车|开通|建成|开业|完工|竣工|开放|投用|运营)|"
            r"(?:通车|开通|建成|开业|完工|竣工)了(?:吗|没)|(?:开|通|到|修|建|破产|倒闭)了没|了没有[?？]?$|现在.{0,14}了没|最近有没有|停电|停水|"
            r"\bright now\b|\btoday\b|\btonight\b|\btomorrow\b|\byesterday\b|\bthis (?:week|weekend|month|year)\b|"
            r"\blast (?:week|month|year)\b|\bnext (?:week|month|year)\b|\bcurrent status\b|\blatest\b|\bnews\b|"
            r"\byet\b|\bwhat time\b|\breal-time\b"
        ),
    ),
    (
        "price",
        "价格行情",
        re.compile(
            r"股价|股票|股市|炒股|理财|房价|均价|单价|租金|房租|油价|金价|汇率|彩票|比特币|多少钱一|价格(?:是)?多少|票价|门票|"
            r"收费标准|(?:房子|房|车|票|菜|肉|东西).{0,6}多少钱|"
            r"\bstocks?\b|\bshare price|\bhouse prices?\b|\bhousing prices\b|\brent\b|\bexchange rate\b|\blottery\b|"
            r"\bbitcoin\b|\bcrypto|\bticket price"
        ),
    ),
    (
        "advice",
        "个人选择的建议",
        re.compile(
            r"还是.{0,14}(?:好|划算|合适|赚钱|值得|更好)[?？!！。]*$|哪个(?:更|比较)?(?:好|赚钱|划算|合适|适合|厉害|值得)|"
            r"(?:买|投资|入手|租|开店).{0,14}(?:合适|划算|值得|好不好|怎么样)|合适吗|划算吗|值不值|"
            r"(?:能|会|可以)(?:赚钱|挣钱)(?:吗|不|么|冇)|赚不赚钱|划(?:不划)?得来|划不来|(?:要不要|该不该|需不需要)(?:一次性|提前|补缴|补交|退|卖|换)|"
            r"该(?:怎么|怎样|么样)办[?？!！。]*$|值得(?:买|投资|去|入手)|适合(?:买|投资|入手)|该不该|"
            r"要不要(?:买|去|辞职|投资|考|报)|我(?:应该|该|要不要)|存银行|买基金|买股票|(?:学|选|报)什么专业|报志愿|哪只|定投|(?:选|报|学).{0,8}专业还是|你(?:建议|推荐)|推荐(?:一下|几|哪)|有什么推荐|"
            r"推荐.*(?:餐馆|饭店|酒店|美食|小吃|好吃)|好吃的|哪家.*好|"
            r"哪(?:个|家|款|所|里|儿|种|只|些)[^?？]{0,12}(?:最|比较|更)(?:好|适合|合适|划算|好玩|便宜)|"
            r"(?:选|去|读|买|报|租)[^?？,，]{0,12}还是[^?？]{0,12}[?？]?$|(?:去|到)哪(?:里|儿)?(?:玩|耍|逛|旅游)|"
            r"该去哪(?:家|个|里|儿)|(?:买|选|报)哪(?:款|个|种|家|所)|"
            r"\bshould i\b|\bshould we\b|\bis it (?:a )?good (?:time|idea|investment)\b|\bworth (?:it|buying|investing)\b|"
            r"\bgood investment\b|\bretirement savings\b|\bor\b.{0,40}\bbetter\b[?.!]*$|\b(?:would|do) you recommend\b|\brecommend (?:a|an|some)\b|\bwhich is better\b|"
            r"\bis (?:it|\w+) (?:safe|worth|expensive|cheap|nice) (?:to|for)\b|"
            r"\brestaurants?\b|\bhotels? near\b"
        ),
    ),
    (
        "personal",
        "个人生活问题",
        re.compile(
            r"吃什么药|该吃|(?:病|症|疼|痛|伤).{0,4}怎么治|怎么治疗|看什么科|挂什么科|头疼|头痛|失眠|感冒|发烧|咳嗽|减肥|失恋|分手|男朋友|女朋友|老公|老婆|"
            r"相亲|结婚|离婚|恋爱|礼物|喜欢的人|表白|加薪|不回我|心情|难过|伤心|郁闷|我.{0,8}压力|辞职|跳槽|写作业|做作业|我(?:最近|老是|总是)|"
            r"沉迷|叛逆|不听话|我家孩子|睡不好|吵架了|"
            r"\bbreak ?up\b|\bgirlfriend\b|\bboyfriend\b|\bmy boss\b|\bmy wife\b|\bmy husband\b|\blose weight\b|"
            r"\binsomnia\b|\bheadache\b|\bdepressed\b|\blonely\b|\bmy relationship\b|\bget over\b|\bdating\b"
        ),
    ),
    (
        "service",
        "个人办事指南",
        re.compile(
            r"补办|挂失|换证|办理(?:流程|手续|条件|地点|时间)|需要(?:带|准备|提供)?(?:什么|哪些)(?:材料|证件|手续|资料|条件|证明)|"
            r"找哪个部门|哪个部门(?:管|负责|办)|去哪(?:里|儿)?(?:办|交|领|查)|办(?:个|张|一张).{0,4}证|迁户口|户口迁|"
            r"缴费|交多少|地址(?:是|在)?(?:哪|什么)|邮政编码|邮编|招不招人|招人吗|在招人|招聘信息|到哪(?:了|里了)|查快递|"
            r"帮我查(?!.{0,4}(?:规划|建议|原文|第))|举报|投诉|维权|打官司|怎么告|被.{1,6}(?:占|骗|打|咬)了?|"
            r"什么材料|手续|怎么(?:申请|办理|报名|预约|缴费|领取|认证|注册|提取|开户|考)|"
            r"在哪(?:里|儿)?(?:办|换|补|查|交|领|做|买|考|报名|申请|挂号|缴)|哪里(?:可以|能)(?:办|查|买|领)|"
            r"开放时间|营业时间|上班时间|办公时间|航班|班次|时刻表|\bflights?\b|\btimetable\b|\bschedule for\b|周[一二三四五六日末天]上班|学费|报名时间|什么时候(?:开始)?报名|婚姻登记|几点(?:开门|关门|上班|下班)|电话(?:是)?多少|联系方式|地址(?:在)?哪|"
            r"怎么(?:去|走)|坐几路|怎么坐车|坐什么车|几路(?:车|公交)|哪路(?:车|公交)|(?:开不开|开不开门|开门吗|关门吗)|"
            r"设了?(?:哪些|哪几个)站|学区(?:怎么|会)?划|划到哪|拆迁范围|在不在拆迁|我家.{0,6}(?:拆不拆|要拆|被拆|征收)|"
            r"预约.*(?:疫苗|挂号|接种)|挂号|核酸|\bwhich bus\b|\bbus (?:number|route|line)\b|"
            r"\bopening hours\b|\boffice hours\b|\bbusiness hours\b|\bphone number\b|\bcontact number\b|\baddress of\b|"
            r"\bhow (?:do|can) i (?:renew|apply|get|register|book|replace|obtain|check|pay|claim|enrol|enroll|sign up)\b|"
            r"\bwhere (?:can|do|should) i (?:renew|apply|get|register|book|buy|find|pay|go)\b|"
            r"\b(?:what|which) documents\b|\bhow to (?:apply|renew|register|book)\b|\badmissions?\b|\benrol|"
            r"录取|分数线|招生(?:条件|简章|计划|要求)|报考"
        ),
    ),
    (
        "general",
        "常识或历史知识",
        re.compile(
            r"的历史(?:是|有)|历史上(?:有|出过|发生)|来历|由来|起源|发源地|省会|"
            r"(?:景点|好玩的地方|美食|特色菜|特产|小吃|方言|气候)(?:有哪些|是什么|有什么)|"
            r"有(?:哪些|什么)(?:好玩的|好吃的)?(?:景点|美食|特色菜|特产|小吃)|"
            r"(?<!建|放|设|落|局)在哪(?:里|儿)?[?？]?$|位于哪|在什么地方|具体位置|(?<![省市国到于个])什么位置|"
            r"是(?:一种)?什么(?:植物|动物|鸟|鱼|树|病)|怎么(?:种植|栽培|饲养|唱|玩|做成|制造|造出来)|通关|游戏|化学|方程式|公式|圆周率|光速|原理是|"
            r"华容道|曹操|三国|关羽|世界杯|奥运|哪个国家的人|是哪国人|\bworld cup\b|\bolympics?\b|\bhow does (?!.*\b(?:plan|huarong|district|proposal|article|wuhan|ezhou)\b)(?:\w+ ){1,4}(?:actually |really )?work\b|"
            r"\bspeed of light\b|\btheoretical\b|\bwhat (?:kind of )?(?:plant|animal|species)\b|"
            r"\bhistory of\b|\borigin of\b|\bwhere (?:is|are)\b(?!.*\b(?:plan|planned|built|to be|supposed|meant|going|run|runs|located in the)\b)"
        ),
    ),
    (
        "chitchat",
        "闲聊",
        re.compile(
            r"陪我聊|聊聊天|心情不好|你好吗|^(?:你好|您好|早上好|晚上好|下午好)[啊呀哇,，!！。.]*$|吃(?:了|过)(?:饭)?(?:吗|没|冇|了没|没有)?[?？!！。]*$|吃饭(?:了)?(?:吗|没|冇)|"
            r"^(?:谢谢|多谢|再见|拜拜)[你您啦了啊呀!！。.，,]*$|^(?:hi|hello|hey)[!.]?$|\bhow are you\b|\btell me a joke\b"
        ),
    ),
]

# -- 5. another region's plan --------------------------------------------------------------------------------
_OWN_PLACES = ("华容", "庙岭", "临江", "段店", "蒲团", "红莲湖", "三江港")
# Huarong County in Hunan (岳阳), a different place with the same name; the plan never mentions Hunan.
_OTHER_HUARONG = re.compile(
    r"华容县(?!域)|湖南.{0,6}华容|华容.{0,4}湖南|岳阳|洞庭湖|\bhuarong county\b|\bhunan\b|\byueyang\b|\bdongting\b"
)
_PERIOD = re.compile(r"(20\d\d)\s*(?:-|–|—|~|至|到)\s*(20\d\d)")
_PLAN_PERIOD = re.compile(r"十三五|十四五|2035|二〇三五|\b1[34]th\b|\bfive-year\b")
_PLAN_WORDS_ZH = r"(?:十四五|十五五|十三五|规划|2035|二〇三五|远景目标|五年计划)"
_PLAN_WORDS_EN = r"(?:14th five-year plan|five-year plan|fyp|2035|long-range|development plan|master plan|plan)"
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")

_REGIONS: tuple[str, str] | None = None  # the place-name alternations of ``other_region_plan``, built once
_grounders: weakref.WeakKeyDictionary[Any, Grounder] = weakref.WeakKeyDictionary()
_plan_grounders: dict[str, Grounder] = {}
_lock = threading.Lock()
_DEFAULTS = Settings.model_construct()


@dataclass(frozen=True)
class Scope:
    in_scope: bool
    reason: str  # "reference", "ok", or the rule that fired
    missing: str = ""  # what the question asks about that the plan does not cover


def grounder_for(plan: Plan, retriever: Any = None) -> Grounder:
    """The grounder for this plan and the retriever's lexicon, built once."""
    with _lock:
        if retriever is not None:
            g = _grounders.get(retriever)
            if g is None:
                g = _grounders[retriever] = Grounder(plan, getattr(retriever, "expansions", ()))
            return g
        g = _plan_grounders.get(plan.sha256)
        if g is None:
            from app.retrieve import load_expansions

            g = _plan_grounders[plan.sha256] = Grounder(plan, load_expansions())
        return g


# Complaints about running back and forth for an errand ask about the plan's 最多跑一次 reform, not the errand.
# "梁子湖在规划里是在什么地方提到的": where the plan's text says it, not where the place is
_WHERE_IN_TEXT = re.compile(
    r"(?:在哪|哪里|什么地方|哪儿|哪部分|哪一部分)(?:里|儿)?(?:被)?(?:提到|出现|写到|说到|讲到|提及)|"
    r"(?:出现|提到|提及|写)在(?:哪|什么地方)"
)
# "以后在手机上能不能直接办": whether services go online (掌上办事, 一网通办), not how to get one done today
_ONLINE_SOON = re.compile(
    r"(?:以后|将来|今后|能不能|可不可以|能否|会不会)[^?？,，]{0,8}(?:手机|网上|线上|掌上)[^?？,，]{0,6}办|"
    r"(?:手机|网上|线上|掌上)[^?？,，]{0,4}(?:能不能|可不可以|能否)[^?？,，]{0,4}办"
)
_FEWER_TRIPS = re.compile(
    r"跑(?:了)?(?:好几|几|两|三|多)趟|来回跑|跑来跑去|少跑|跑一次|一趟(?:就|搞定|办完|办好)|多次跑|(?:少|多)?折腾几趟"
)


_UNITS = r"(?:钱|块|元|亿|万|人|家|个|公里|米|亩|张|所|条|户|班|趟|次|层|间|台|栋|辆|床|位|斤|吨|公斤|平方)"
# Hubei / colloquial question words, read as their Mandarin forms by the phrase families below ("么子材料" asks
# "什么材料", "好多钱" asks "多少钱"); the topic itself is grounded on the question as written.
_DIALECT = [
    (re.compile(r"么子|么事|啥子|哪样"), "什么"),
    (re.compile(r"(?<![什怎那这])么样"), "怎么"),
    (re.compile(r"(?<![什怎那这要])么时候|啥时候"), "什么时候"),
    # 好多 asks "how many" only before a unit, after a verb or ending the question ("要花好多钱", "一年好多钱?";
    # not "好多年了": for many years, nor "村里好多人不懂法": many people); 几多 always asks
    (
        re.compile(
            rf"(?<=[有要花用投建修招是搞卖赚拿给补收交发涨到达共总产])好多(?={_UNITS}(?!了))|"
            rf"好多(?={_UNITS}(?:[?？,，。!！呢啊哦吧嘛撒]|$))|"
            # "博士能拿好多安家费?", "贷款利率是好多?": what is got or is, asked at the end of the question
            r"(?<=[拿给补发领是])好多(?=[\u4e00-\u9fff]{0,4}[?？呢啊]*$)"
        ),
        "多少",
    ),
    (re.compile(r"几多"), "多少"),
    (re.compile(r"(?<=[有是])好长(?=[?？呢啊]*$)"), "多长"),
    (re.compile(r"冇得|冇有"), "没有"),
    (re.compile(r"(?<![为])啥"), "什么"),
    (re.compile(r"咋(?!办)"), "怎么"),
]


def plain_words(question: str) -> str:
    """The question, normalised, with dialect question words in their Mandarin forms."""
    q = normalize(question)
    for pattern, plain in _DIALECT:
        q = pattern.sub(plain, q)
    return q


def requested_act(question: str) -> str:
    """What the question asks the assistant to *do* instead of answer (empty if nothing)."""
    q = normalize(question)
    return next((label for label, pattern in _ACTS if pattern.search(q)), "")


def other_region_plan(question: str) -> str:
    """The place whose own plan the question asks about ("深圳", "chongqing"), or ""."""
    q = normalize(question)
    zh, en = _region_names()
    m = re.search(
        rf"({zh})(?:市|省|区|县|镇|新区|开发区|高新区)?(?:自己|本身|当地)?的?\s*[“\"]?{_PLAN_WORDS_ZH}", q
    ) or re.search(r"(?:其他|别的|外地|兄弟)(?:地方|区县|城市|省份|地区)的?[“\"]?" + _PLAN_WORDS_ZH, q)
    if m and not any(p in m.group(0) for p in _OWN_PLACES):
        return m.group(1) if m.lastindex else m.group(0)
    # the national plan, asked about for itself (not how Huarong fits into it)
    m = re.search(
        r"(国家|全国|中央)(?:层面)?(?:的)?\s*(?:第)?[“\"]?(?:十四五|十五五|十三五|十四个五年|十五个五年)[”\"]?\s*(?:规划|纲要)",
        q,
    ) or re.search(r"\b(national|china's|country's) (?:14th |15th |13th )?five-year plan\b", q)
    if m and not any(p in q for p in (*_OWN_PLACES, "我区", "区里", "本区", "huarong")):
        return "国家" if m.group(1) in ("national", "china's", "country's") else m.group(1)
    m = re.search(rf"\b({en})(?:'s| city's| province's| district's)\s+(?:own\s+)?{_PLAN_WORDS_EN}", q) or re.search(
        rf"\b(?:14th five-year plan|five-year plan|fyp|2035 (?:goals|vision|targets)|long-range goals) (?:of|for) "
        rf"(?:the )?(?:city of |province of )?({en})\b",
        q,
    )
    return m.group(1) if m else ""


def _region_names() -> tuple[str, str]:
    """Alternations of every place name (Chinese, English) for the other-region patterns."""
    global _REGIONS
    if _REGIONS is None:
        places = load_places()
        zh = {v for v in places.values()} | {"东湖高新", "光谷", "临空经济区", "东湖"}
        en = {k for k in places if k.isascii()}
        _REGIONS = (
            "|".join(sorted((re.escape(z) for z in zh), key=len, reverse=True)),
            "|".join(sorted((re.escape(e) for e in en), key=len, reverse=True)),
        )
    return _REGIONS


@dataclass(frozen=True)
class Signals:
    """What ``decide_scope`` knows about a question before its thresholds apply."""

    decided: Scope | None  # a decision no threshold changes (a rule, a reference, a name the plan lacks)
    topic: Topic
    unknown_share: float  # 0 for a follow-up: its topic is the previous question's
    evidence: float | None  # None: no content words to look for
    asked: Topic | None = None  # what is asked after a claim about the plan ("规划说要建好老年大学,报名费多少")
    offtopic: float | None = None  # the classifier's probability that the question is off topic (app.offtopic)


def scope_signals(
    question: str,
    plan: Plan,
    named_units: bool,
    retriever: Any = None,
    hits: Sequence[Any] = (),
    previous: str = "",
    offtopic: float | None = None,
) -> Signals:
    """Steps 1–6 of the module docstring, and the measurements the thresholds are applied to.

    ``previous`` is the earlier question a follow-up ("那段店镇呢?") leans on: its own words are still
    checked for names the plan lacks, but how much of its topic is unknown is not (the topic was asked
    before).
    """
    q = plain_words(question)
    grounder = grounder_for(plan, retriever)
    topic = grounder.topic(question)
    share = 0.0 if previous else topic.unknown_share

    def done(scope: Scope) -> Signals:
        return Signals(scope, topic, share, None)

    act = requested_act(q)
    if act:
        return done(Scope(False, "instructions", act))
    if _ABOUT_ASSISTANT.search(q):
        return done(Scope(False, "about_assistant", "本问答助手自身的情况"))
    if _OPINION.search(q):
        return done(Scope(False, "opinion", "对规划的评价或预测"))
    if _OTHER_HUARONG.search(q):
        return done(Scope(False, "other_region", "湖南省华容县"))
    for name, label, pattern in _RULES:
        m = pattern.search(q)
        if m and not (
            (name == "realtime" and _PLAN_PERIOD.search(q))  # "十三五时就已经建成了吗" asks the plan
            or (name == "service" and (_FEWER_TRIPS.search(q) or _ONLINE_SOON.search(q)))  # 最多跑一次, 掌上办事
            or (name == "general" and _WHERE_IN_TEXT.search(q))
        ):
            return done(Scope(False, name, _rule_missing(name, label, m.group(0), topic)))
    region = other_region_plan(q)
    if region:
        return done(Scope(False, "other_region", f"{region}自己的规划"))
    # "深圳前海的总部经济扶持政策": a glossary term does not make another place's policy the plan's (an English
    # name beside a named unit is more likely its transliteration: "the Xueliang (Sharp Eyes) project")
    names = [n for n in topic.names if not (named_units and n.text.isascii())]
    if names:
        return done(Scope(False, "not_in_plan", names[0].text))
    if named_units:
        return done(Scope(True, "reference"))
    claimed = grounder.quoted_absent(q) or claimed_but_absent(q, topic) or asked_thing_absent(q, topic)
    if claimed:  # "规划提出的华容国际马拉松赛…", "荷花和睡莲有什么区别", "…举办过哪些比赛": a thing the plan lacks
        return done(Scope(False, "not_in_plan", claimed))
    # the plan's own periods: "2021-2025" (十四五), "2016到2020年" (十三五), "到2025年" (the end of 十四五)
    periods = {y for m in _PERIOD.finditer(q) for y in m.groups() if 2016 <= int(y) <= 2025}
    periods |= set(re.findall(r"(?:到|至|在)(202[1-5])年?(?:前|底|末|时|以前|之前)?", q))
    periods |= set(re.findall(r"\b(?:by|in|until|before|through|till)(?: the end of)? (202[1-5])\b", q))
    for year in _YEAR.findall(q):
        if year not in plan.body and year not in periods:
            return done(Scope(False, "year_not_in_plan", f"{year}年的情况"))
    ev = evidence(topic, hits, plan, retriever) if hits and retriever is not None and not previous else None
    rest = _ASKED_FRAME.sub(" ", asked_after_claim(q))
    asked = grounder.topic(rest) if rest.strip() else None
    # an amount the plan does not state gets the "没有给出" reply naming the figure, not a classifier's refusal
    return Signals(None, topic, share, ev, asked, None if asks_for_figure(q) else offtopic)


# A question that first states what the plan says and then asks ("规划说要建好老年大学,报名费多少,几时开学?",
# "The plan encourages entrepreneurs to return home; what is the exact subsidy?"): the plan may well say the first
# part; what is asked is the rest.
_CLAIM_LEAD = re.compile(
    r"^(?:听说|我看|据说|看到)?(?:规划|建议|文件|原文|《建议》)(?:里|中|上|里面|里头)?(?:提出|提到|说|讲|写|明确|要求)(?:了)?"
    r"[^?？,，。!！;；]{2,30}[,，;；](.+)$|"
    r"^the (?:plan|proposal|document) (?:says|said|mentions|mentioned|encourages|proposes|calls for|wants|plans|"
    r"promises|aims|will|lists|includes)\b[^?;,]{2,120}[;,](.+)$"
)


# what a claim means, its context or effect: asked of the plan's own words, not a new topic
_ASKED_FRAME = re.compile(
    r"意味着|意味|语境|上下文|背景|含义|意思|怎么理解|如何理解|解读|影响|意义|\bmeans?\b|\bcontext\b"
)


def asked_after_claim(question: str) -> str:
    """What a question asks after stating what the plan says, or "" when it does not open with such a claim."""
    m = _CLAIM_LEAD.search(question.strip())
    return (m.group(1) or m.group(2) or "").strip() if m else ""


_CLAIMED = re.compile(
    r"(?:规划|建议|文件|原文)(?:里|中|上|里面|里头)?(?:提出|提到|说|讲|写|列)(?:了)?的([^?？,，。!！]{2,20})|"
    r"(?:规划|建议|文件|原文)(?:里|中)(?:关于|对)([^?？,，。!！]{2,12}?)(?:是|的|怎么|如何)|"
    r"(?:规划|建议|文件|原文)(?:里|中)?([^?？,，。!！]{2,10}?)(?:那|这)(?:一)?(?:章|部分|节)|"
    r"^(?:听说|据说)?(?:规划|建议|文件|原文)(?:里|中|上)?(?:提出|提到|说|讲|写)(?:了)?([^?？,，。!！;；]{2,24})[,，;；]|"
    r"^([^?？,，。!！]{2,14})(?:是|作为)(?:规划|建议|文件)(?:里|中|上)(?:的|提出的|提到的|说的)"
)


def claimed_but_absent(question: str, topic: Topic) -> str:
    """A word the plan never uses inside what the question says the plan proposes ("规划提出的…免费午餐计划"),
    or ""."""
    m = _CLAIMED.search(question)
    if not m:
        return ""
    said = next(g for g in m.groups() if g)
    words = [p.text for p in topic.unknown if p.kind == "word" and len(p.text) >= 2 and p.text in said]
    return words[0] if words else ""


# What a question asks for: the things compared ("X和Y有什么区别"), or the noun after 哪些/哪个/什么 at its end
# ("红莲湖国际水上运动中心举办过哪些比赛").  The plan must use that word for the question to be answerable.
_COMPARED = re.compile(
    r"([^,，?？。]{2,12})(?:和|与|跟|同|\band\b)([^,，?？。]{2,12}?)(?:有)?(?:什么|啥|哪些|怎么|如何)?(?:区别|不同|差别|区分|分辨|异同)"
)
_VERB_END = re.compile(
    r"(?:组成|构成|组合|包括|包含|入驻|举办|开展|实施|建设|发展)$"
)  # "哪几个字组成": a verb, not the thing
_ASKED_FOR = re.compile(r"(?:哪些|哪个|哪几个|哪几家|哪几种|什么样的)([\u4e00-\u9fff]{2,8})(?=[?？。!！,，]|$)")


def asked_thing_absent(question: str, topic: Topic) -> str:
    """An unknown word (two or more characters) in what the question compares or asks a list of, or ""."""
    spans = [s.strip() for m in _COMPARED.finditer(question) for s in (m.group(1), m.group(2))]
    spans += [
        m.group(1) for m in _ASKED_FOR.finditer(question) if len(m.group(1)) <= 4 and not _VERB_END.search(m.group(1))
    ]
    if not spans:
        return ""
    for p in topic.unknown:
        # the unknown word must be (nearly) all of the thing asked for: "哪几个字组成的" does not ask about "字组"
        if (
            p.kind in ("word", "english")
            and len(p.text) >= 2
            and clean_name(p.text)  # "哪个镇来建": "镇来" is no thing
            and any(p.text in s and len(s) - len(p.text) <= 1 for s in spans)
        ):
            return p.text
    return ""


def apply_thresholds(signals: Signals, settings: Settings) -> Scope:
    """Steps 6–8: the share of unknown topic words, what is asked after a claim, the classifier, then retrieval
    evidence on content words."""
    if signals.decided is not None:
        return signals.decided
    topic = signals.topic
    # the classifier finds it very like the plan's questions: words the plan lacks are taken as everyday speech
    like_plan = signals.offtopic is not None and signals.offtopic < settings.offtopic_keep
    if signals.unknown_share >= settings.scope_unknown_share and not like_plan:
        return Scope(False, "not_in_plan", topic.missing())
    asked = signals.asked
    if asked is not None and asked.unknown_share >= settings.scope_asked_unknown_share:
        lacking = asked.missing()
        if lacking:
            return Scope(False, "not_in_plan", lacking)
    # the classifier alone never refuses a question made only of the plan's words: the refusal names one it lacks
    if signals.offtopic is not None and signals.offtopic >= settings.offtopic_min:
        word = unknown_word(topic)
        if word:
            return Scope(False, "unlike_plan", word)
    if signals.evidence is not None and signals.evidence < settings.scope_evidence_min and not like_plan:
        words = _topic_words(topic)
        return Scope(False, "weak_evidence", topic.missing() or (f"{words}方面的具体内容" if words else "这方面的内容"))
    return Scope(True, "ok")


def unknown_word(topic: Topic) -> str:
    """A word of the topic that the plan and the lexicon never use and that a refusal can name ("驾照"), or ""
    (none, or only fragments of a sentence such as "年通车")."""
    word = topic.missing() if topic.unknown_share > 0 else ""
    return word if len(word) >= 2 and nameable(word) else ""


def decide_scope(
    question: str,
    plan: Plan,
    named_units: bool,
    retriever: Any = None,
    hits: Sequence[Any] = (),
    settings: Settings | None = None,
    previous: str = "",
    offtopic: float | None = None,
) -> Scope:
    """Classify a question; ``named_units`` = it names an article/part/glossary term; ``previous`` = the
    question a follow-up leans on; ``offtopic`` = the classifier's probability (None: no classifier)."""
    signals = scope_signals(question, plan, named_units, retriever, hits, previous, offtopic)
    return apply_thresholds(signals, settings or _DEFAULTS)


def content_tokens_of(question: str, plan: Plan, retriever: Any = None) -> set[str]:
    """Tokens of the question's real content words: the plan words it uses, question words and the words
    every question shares (华容, 建设, 发展, 规划 …) set aside, plus the lexicon's plan words for its everyday
    and English words."""
    return _content_tokens(grounder_for(plan, retriever).topic(question))


def _content_tokens(topic: Topic) -> set[str]:
    words: set[str] = set()
    for p in topic.known:
        if p.kind in ("word", "place"):
            words |= set(content_tokens(p.text))
    for w in topic.plan_words:
        words |= set(content_tokens(w))
    return words - GENERIC_TOKENS


def topic_name(question: str, plan: Plan, retriever: Any = None) -> str:
    """What a refusal names when no rule did: the word the plan lacks, else the question's own topic words."""
    topic = grounder_for(plan, retriever).topic(question)
    return topic.missing() or _topic_words(topic) or "这个问题问的内容"


def figure_subject(question: str, plan: Plan, retriever: Any = None) -> str:
    """What an amount is asked *of*: the longest stretch of the question's own topic words, e.g.
    "地区生产总值年均增速" from "规划中华容区地区生产总值年均增速的具体目标是百分之几"."""
    g = grounder_for(plan, retriever)
    text = figure_topic(question)
    best = ""
    for run in re.findall(r"[\u3400-\u9fff0-9a-z+]+", text):
        chunk: list[tuple[str, str]] = []
        for seg in [*g.segment(run), ("", "frame")]:
            if seg[1] != "frame":
                chunk.append(seg)
                continue
            while chunk and chunk[0][0] in GENERIC_WORDS:
                chunk.pop(0)
            while chunk and chunk[-1][0] in GENERIC_WORDS:
                chunk.pop()
            words = "".join(t for t, _ in chunk)
            if len(words) > len(best) and any(kind == "known" for _, kind in chunk):
                best = words
            chunk = []
    if not best:
        best = "、".join(g.topic(text).plan_words[:2])
    return best


def _rule_missing(name: str, label: str, matched: str, topic: Topic) -> str:
    if name == "person":
        office = re.search(_OFFICE, matched)
        return f"{office.group(0)}的人选" if office else label
    if name == "price" and not matched.isascii():
        return matched
    if name in ("realtime", "weather", "chitchat"):
        return label  # "实时信息": what the question needs, not a fragment of it ("高铁票订一张明天…")
    name_ = topic.missing()
    return name_ if name_ and nameable(name_) else label


def _topic_words(topic: Topic) -> str:
    """The question's longest topic word that reads as a thing ("总投资", not "达到" or "亿元"), or ""."""
    things = [p.text for p in topic.known if nameable(p.text)]
    return max(things, key=len, default="")


# Verbs, amounts and units: what a question does with its topic, never the topic a refusal can name.
_NOT_A_THING = re.compile(
    r"^(?:达到|实现|突破|增长|提高|提升|完成|需要|进行|开展|推进|加快|申请|办理|补办|换新|激活|准备|报名|提交|领取)$|[亿万千百]?元$|^多少|^几|"
    r"^(?i:apply|applying|renew|get|getting|make|do|find|take|register|book|buy|pay|use|go|see|know|tell|help|need|"
    r"want|step|steps|online|process|procedure|start|open|join|visit|check|change|replace|submit)$"
)


def nameable(word: str) -> bool:
    """Can a refusal name it: a word that reads as a thing, not a run of a sentence, a verb or an amount?"""
    return clean_name(word) and not _NOT_A_THING.search(word)


def evidence(topic: Topic, hits: Sequence[Any], plan: Plan, retriever: Any, units: int = 3) -> float | None:
    """IDF-weighted share of the question's topic tokens that the best of the leading retrieved units holds.

    Only content words count: the known topic pieces (question words and words every question shares
    set aside) and the plan words the lexicon gives for everyday / English words.  None when the
    question has no such words (a follow-up, "第8条讲什么").
    """
    weights = {t: retriever.idf(t) for t in _content_tokens(topic)}
    weights = {t: v for t, v in weights.items() if v > 0}
    total = sum(weights.values())
    if not total:
        return None
    # the leading units, and an article holding one of the question's longer plan phrases verbatim ("企业总部"
    # is 第11条's "三江港华中企业总部建设" however retrieval ranked it)
    texts = [plan.unit_text(h.ref) for h in list(hits)[:units]]
    phrases = [p.text for p in topic.known if not p.generic and p.kind == "word" and len(p.text) >= 4]
    texts += [a.text for a in plan.articles if any(x in a.text for x in phrases)]
    best = 0.0
    for text in texts:
        have = set(content_tokens(text))
        best = max(best, sum(v for t, v in weights.items() if t in have) / total)
    return best


def asks_for_figure(question: str) -> FigureKind | None:
    """The kind of figure the question asks for (a percentage, a sum, a count, a date), if any.  A count asked
    together with the items ("有几个,分别是什么", "how many … and what are they") is a list question."""
    q = plain_words(question)
    if _FEWER_TRIPS.search(q):  # "能不能少跑几趟": the 最多跑一次 reform, not a count
        return None
    kind = next((kind for kind, pattern in _ASKS if pattern.search(q)), None)
    if kind == "count" and _ITEMS_TOO.search(q):
        return None
    return kind


_ITEMS_TOO = re.compile(
    r"分别是|分别叫|各是|是哪些|有哪些|都是什么|都有什么|哪几|\bwhat are they\b|\bwhich are they\b|\bname them\b|"
    r"\blist them\b|\band what are\b"
)


# What kind of amount a question asks for; checked in this order.
_ASKS: list[tuple[FigureKind, re.Pattern[str]]] = [
    (
        "percent",
        re.compile(
            r"百分之几|百分之多少|几个百分点|多少个百分点|(?:增长率|增速|比例|占比|比重|率)(?:目标)?(?:是|有|能到|要到|达到)?多少|"
            r"\bwhat (?:percentage|percent)\b|\bgrowth rate\b|\bhow many percent|\bcoverage rate\b|\bwhat rate\b"
        ),
    ),
    (
        "money",
        re.compile(
            r"(?:投资|投入|花|拨|补贴|补助|奖励|造价|预算|经费|收入|工资|费|费用|负债|债务)(?:了|费|款|额)?(?:是|有|要|需要|大概)?多少|"
            r"(?:投资额|总投资|收入|补贴|造价|预算|经费)(?![^,，。?？]{0,6}(?:增长|增加|提高|提升|翻))[^,，。?？]{0,6}多少|"
            r"多少(?:亿|万|元|钱|块|资金)|"
            r"几(?:块|毛)钱|"
            r"几(?:亿|千万|百万|十万|万)|\bhow much (?:money|funding|investment)\b|"
            r"\bhow much\b(?= (?:will|does|did|would|is)\b.{0,60}\bcost)|\bwhat(?:'s| is) the budget\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"哪一年|哪年|几几年|哪个月|几月份|哪天|哪一天|几号(?!线)|具体(?:的|什么)?(?:时间|日期|年份)|"
            r"(?:什么时候|啥时候|何时|几时)(?:能|会|可以|才|就|正式|开始)?(?:通|建|修|完工|开工|开业|开通|竣工|投用|投入|运营|落地|动工|完成|实现|开幕|招生|开放|开学|开馆|开园|开门|开课|开张|搬|发|发放|兑现|到账|到位|领)|"
            r"\bwhat year\b|\bwhich year\b|\bwhat date\b|\bwhen (?:was|were|did)\b|"
            r"\bwhen will\b(?=.*\b(?:open|opens|finished|completed|built|ready|start|done)\b)"
        ),
    ),
    (
        "count",
        re.compile(
            r"多少(?:公里|千米|米|平方|亩|吨|人|名|户|套|家|所|座|条|张|辆|床|个|项|班|趟|次|层|间|台|栋|位)|多长|全长|总长|多大面积|"
            r"(?:达到|突破|增长|增加|提高|提升|减少|下降|有)(?:了|到)?多少|具体(?:数字|数额|金额|指标|数据|数量|额度|数值)|"
            r"多少(?=[\u4e00-\u9fff])|(?<=[每人户个是有])多少[?？呢啊]*$|多深|多高|多重|"
            r"(?<![哪这那])(?<![多新][修建盖装开办搞弄招])几(?:条|个|家|所|座|项|名|人|户|批|类|大|强|级|纵|横|站|辆|张|亩|吨|公里|千米|米|小时|分钟|年|倍|班|趟|层|间|台|栋|次|场|天)"
            r"(?=[\u4e00-\u9fff]{0,6}[?？]?$)|"
            r"(?:吞吐量|运量|货运量|产量|面积|长度|规模|人口)(?:是|有|能到|要到|达到)?多[少大长]|"
            r"(?:目标|指标|数量|总量|总数)(?:是|为|有|定为)?多少|"
            r"\bhow many\b|\bhow long\b|\bhow big\b|\bhow large\b|\bhow (?:deep|high|tall|wide|far|heavy)\b|"
            r"\bwhat(?:'s| is| was) (?:the |its |[a-z]+(?: district)?'s )?(?:current |present |total |latest )?"
            r"(?:length|area|size|population|throughput|capacity|height|width|tonnage|volume)\b"
        ),
    ),
]

# The unit a count question asks in ("多少家" → 家, "多长" → 公里/米, "几大工程" → 大): a number with another
# unit ("1小时" beside "30号线红莲湖段有多长") does not answer it.
_UNIT_ASKED = re.compile(
    r"(?:多少|几)(公里|千米|平方米|平方公里|小时|分钟|个|家|名|人|所|座|条|项|户|亩|吨|年|批|大|强|级|纵|次|站|类|张|辆|班|趟|层|间|台|栋|米|天)"
)
_LENGTH_ASKED = re.compile(
    r"多长|多远|多宽|多深|多高|长度|全长|总长|\blength\b|\bhow (?:long|far|wide|deep|high|tall)\b|\bkilomet|\bmiles?\b"
)


_AREA_ASKED = re.compile(r"多大面积|面积(?:是|有)?多[大少]|占地多|\bhow big\b|\bhow large\b|\barea\b|\bsquare\b")
_VOLUME_ASKED = re.compile(r"吞吐量|运量|货运量|产量|\bthroughput\b|\bcapacity\b|\btonnage\b|\bvolume\b")


def asked_units(question: str) -> tuple[str, ...]:
    """Units a count question asks in; empty when it names none ("有多少", "how many")."""
    q = plain_words(question)
    units = [m.group(1) for m in _UNIT_ASKED.finditer(q)]
    if not units:  # "多少集装箱": the thing counted stands in for a unit
        units = [m.group(1) for m in re.finditer(r"多少([\u4e00-\u9fff]{2})", q) if m.group(1) not in ("钱", "年")]
    if "名" in units or "位" in units:  # a rank: "前几名" is answered by "前十强"
        units += ["强", "名", "位"]
    if _LENGTH_ASKED.search(q):
        units += ["公里", "千米", "米"]
        if re.search(r"通勤|车程|多长时间|多久|\bcommut|\b(?:ride|drive|trip|journey)\b|\btakes?\b", q):  # "1小时"
            units += ["小时", "分钟", "年"]
    if _AREA_ASKED.search(q):
        units += ["平方公里", "平方米", "亩", "公顷"]
    if _VOLUME_ASKED.search(q):
        units += ["吨", "万吨", "亿吨", "标箱", "万标箱"]
    if re.search(r"人口|\bpopulation\b|\binhabitants\b|\bresidents\b", q) and not units:
        units += ["人", "万人"]
    return tuple(dict.fromkeys(units))


_AMOUNT_WORDS = re.compile(
    r"[几多]少|[一二三四五六七八九十百千万亿几]*[亿万]元?|[百千]?元|百分之?|百分点|%|percent(?:age)?"
)


def figure_topic(question: str) -> str:
    """The question without its asking-for-an-amount words: what the amount is *of*.

    "三江港物流园要投资多少亿元" → "三江港物流园要", so that a sentence about some other sum of
    money ("地区生产总值突破百亿元") does not look relevant just for sharing "亿元".
    """
    q = plain_words(question)
    measured = " ".join(_MEASURED.findall(q))  # "人口有多少", "what is the population": the noun is the topic
    for _, pattern in _ASKS:
        q = pattern.sub(" ", q)
    return _PLACE_AND_TIME.sub(" ", _AMOUNT_WORDS.sub(" ", f"{q} {measured}"))


_MEASURED = re.compile(
    r"吞吐量|货运量|运量|产量|面积|长度|规模|人口|\b(?:length|area|size|population|throughput|capacity|height|width)\b"
)


# Words every question about the plan may hold; they say nothing about what an amount is of.
_PLACE_AND_TIME = re.compile(r"华容区|华容|全区|我区|规划|建议|“?十四五”?|期间|时期")
