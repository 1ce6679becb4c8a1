"""Synthetic government documents in Chinese for the search benchmark and load tests.

Deterministic for a seed. Words follow a Zipf law over about ten thousand compounds (常用词
then a long tail), with project names the dictionary does not know, numbers, dates and Latin
abbreviations, so posting lists look like a real agency's: a few terms in nearly every
document, most in few.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gongkai.index import IndexedDocument
from gongkai.text import to_simplified

__all__ = ["Corpus", "Query"]

FIELDS = [
    "城市",
    "乡村",
    "交通",
    "水利",
    "能源",
    "教育",
    "医疗",
    "养老",
    "住房",
    "生态",
    "环境",
    "财政",
    "税收",
    "金融",
    "科技",
    "数字",
    "产业",
    "农业",
    "工业",
    "文化",
    "旅游",
    "体育",
    "卫生",
    "食品",
    "药品",
    "安全",
    "应急",
    "消防",
    "社区",
    "街道",
    "园区",
    "港口",
    "机场",
    "铁路",
    "公路",
    "地铁",
    "公交",
    "电力",
    "燃气",
    "供水",
    "污水",
    "垃圾",
    "土地",
    "规划",
    "市场",
    "价格",
    "就业",
    "社保",
    "人才",
    "民政",
    "救助",
    "儿童",
    "妇女",
    "老年",
    "青年",
    "学校",
    "医院",
    "企业",
    "资金",
    "预算",
    "采购",
    "审计",
    "统计",
    "信息",
    "数据",
    "网络",
    "政务",
    "审批",
    "许可",
    "执法",
    "监管",
    "质量",
    "标准",
    "信用",
    "营商",
    "招商",
    "外贸",
    "口岸",
    "物流",
    "商贸",
    "消费",
    "农村",
    "耕地",
    "森林",
    "湿地",
    "河湖",
    "海洋",
    "大气",
    "土壤",
    "噪声",
    "节能",
    "光伏",
    "风电",
    "氢能",
    "储能",
    "充电",
    "智能",
    "制造",
    "装备",
    "材料",
    "生物",
    "医药",
    "健康",
    "疾控",
    "法治",
    "司法",
    "信访",
    "档案",
    "保密",
    "粮食",
    "水产",
    "畜牧",
    "种业",
    "航运",
    "邮政",
    "通信",
    "广播",
    "出版",
    "文物",
    "非遗",
    "考古",
    "气象",
    "地震",
    "测绘",
    "人防",
    "退役",
    "残疾",
    "慈善",
    "殡葬",
    "婚姻",
    "户籍",
    "出入境",
    "口腔",
    "中医",
    "护理",
    "托育",
    "学前",
]
ACTIONS = [
    "建设",
    "改革",
    "发展",
    "管理",
    "服务",
    "保障",
    "工程",
    "项目",
    "规划",
    "计划",
    "方案",
    "办法",
    "细则",
    "意见",
    "试点",
    "示范",
    "体系",
    "机制",
    "平台",
    "中心",
    "工作",
    "整治",
    "治理",
    "提升",
    "改造",
    "更新",
    "振兴",
    "补贴",
    "资金",
    "基金",
    "标准",
    "清单",
    "目录",
    "考核",
    "评估",
    "监测",
    "检查",
    "验收",
    "招标",
    "公示",
    "报告",
    "调查",
    "统筹",
    "协同",
    "转型",
    "升级",
    "创新",
    "开放",
    "合作",
    "普查",
    "备案",
    "登记",
    "许可",
    "监督",
    "督查",
    "巡查",
    "改善",
    "保护",
    "修复",
    "利用",
]
VERBS = [
    "推进",
    "落实",
    "加强",
    "完善",
    "深化",
    "推动",
    "优化",
    "健全",
    "强化",
    "统筹",
    "做好",
    "抓好",
    "加快",
    "扎实推进",
    "持续推进",
    "全面落实",
]
SUBJECTS = [
    "各区人民政府",
    "市政府各部门",
    "各直属机构",
    "各街道办事处",
    "各有关单位",
    "各县（市、区）人民政府",
    "市级各部门",
    "各乡镇人民政府",
]
DEPARTMENTS = [
    "市人民政府办公厅",
    "市发展和改革委员会",
    "市财政局",
    "市生态环境局",
    "市教育局",
    "市卫生健康委员会",
    "市住房和城乡建设局",
    "市交通运输局",
    "市水务局",
    "市农业农村局",
    "市商务局",
    "市文化和旅游局",
    "市市场监督管理局",
    "市应急管理局",
    "市民政局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市科学技术局",
    "市工业和信息化局",
    "市统计局",
    "市审计局",
    "市司法局",
    "市医疗保障局",
    "市城市管理局",
    "市政务服务数据管理局",
    "市退役军人事务局",
    "市体育局",
    "市林业局",
    "市粮食和物资储备局",
    "市信访局",
]
DOC_KINDS = ["通知", "意见", "办法", "方案", "公告", "通告", "报告", "决定", "批复", "规定", "细则", "公示"]
PLACES = [
    "东城",
    "西湖",
    "南湖",
    "北港",
    "滨江",
    "临港",
    "前海",
    "翠屏",
    "云栖",
    "青山",
    "白沙",
    "金桥",
    "银湖",
    "龙湾",
    "凤岭",
    "锦江",
    "望江",
    "石门",
    "桃源",
    "柳溪",
]
NAME_CHARS = "澜璟珑瑄琮珈琪玥瑾璞璐瑛珺琰栎桉榕楠槿檀蔚芊茵菁萱苒禾穗稷粟浔渝溪澈潇湛泓沐淞汀"
PROJECT_KINDS = ["片区", "工程", "产业园", "示范区", "大道", "枢纽", "新城", "科创园", "综合体", "生态廊道"]
LATIN = ["PM2.5", "GDP", "5G", "CPI", "PPP", "O3", "ETC", "AI", "IPv6", "CBD", "LNG", "VOCs"]
CATEGORIES = [f"art20.{n}" for n in range(1, 16)]


@dataclass(frozen=True, slots=True)
class Query:
    """A benchmark query and the kind of search it stands for."""

    kind: str
    q: str
    category: str | None = None
    year: int | None = None


class Corpus:
    """``Corpus(seed).documents(n)``: n documents of about ``length`` characters, newest last."""

    def __init__(self, seed: int = 2026, *, length: int = 1500) -> None:
        self.seed = seed
        self.length = length
        rng = random.Random(seed)
        self.compounds = [field + action for field, action in itertools.product(FIELDS, ACTIONS)]
        rng.shuffle(self.compounds)
        # Zipf–Mandelbrot: the k-th word is drawn with weight 1/(k + 20), so the commonest
        # compound is in about two thirds of the documents and most are in few.
        self.weights = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(self.compounds))))
        self.projects = [
            rng.choice(PLACES) + rng.choice(NAME_CHARS) + rng.choice(NAME_CHARS) + rng.choice(PROJECT_KINDS)
            for _ in range(3000)
        ]
        self.start = datetime(2015, 1, 1, tzinfo=UTC)

    def word(self, rng: random.Random) -> str:
        return rng.choices(self.compounds, cum_weights=self.weights)[0]

    def sentence(self, rng: random.Random) -> str:
        form = rng.randrange(8)
        w = self.word
        if form == 0:
            return f"{rng.choice(SUBJECTS)}要{rng.choice(VERBS)}{w(rng)}，{rng.choice(VERBS)}{w(rng)}和{w(rng)}。"
        if form == 1:
            return f"根据《{w(rng)}条例》第{rng.randint(2, 60)}条，{rng.choice(DEPARTMENTS)}负责{w(rng)}工作。"
        if form == 2:
            return (
                f"{rng.randint(2015, 2026)}年，全市{w(rng)}完成{rng.randint(3, 900)}个，"
                f"总投资{rng.randint(1, 999)}.{rng.randint(0, 9)}亿元，"
                f"同比增长{rng.randint(1, 30)}.{rng.randint(0, 9)}%。"
            )
        if form == 3:
            return f"{rng.choice(self.projects)}{w(rng)}项目于{rng.randint(1, 12)}月开工，{rng.choice(VERBS)}{w(rng)}。"
        if form == 4:
            return f"{rng.choice(LATIN)}指标纳入{w(rng)}考核，{rng.choice(VERBS)}{w(rng)}{w(rng)}。"
        if form == 5:
            return f"{rng.choice(VERBS)}{w(rng)}，{rng.choice(VERBS)}{w(rng)}，{rng.choice(VERBS)}{w(rng)}。"
        if form == 6:
            phone = rng.randint(10_000_000, 99_999_999)
            return f"联系电话：{phone}，地址：{rng.choice(PLACES)}路{rng.randint(1, 999)}号。"
        return f"各单位要{rng.choice(VERBS)}{w(rng)}，确保{w(rng)}落到实处，{rng.choice(VERBS)}{w(rng)}。"

    def document(self, n: int) -> IndexedDocument:
        rng = random.Random(self.seed * 1_000_003 + n)
        department = rng.choice(DEPARTMENTS)
        topic = self.word(rng)
        title = f"{department}关于{rng.choice(VERBS)}{topic}{self.word(rng)}的{rng.choice(DOC_KINDS)}"
        parts: list[str] = [f"{rng.choice(SUBJECTS)}："]
        size = len(parts[0])
        while size < self.length:
            sentence = self.sentence(rng)
            parts.append(sentence)
            size += len(sentence)
            if rng.random() < 0.15:
                parts.append("\n")
        return IndexedDocument(
            id=f"{n:032x}",
            title=title,
            body="".join(parts),
            category=rng.choice(CATEGORIES),
            department=department,
            doc_number=f"{department[1:3]}发〔{2015 + n % 12}〕{n % 300 + 1}号",
            published_at=self.start + timedelta(minutes=50 * n + rng.randrange(50)),
            version=1,
            doc_type=rng.choices(["regulation", "normative", "other"], [1, 3, 16])[0],
            validity=rng.choices(["in_force", "amended", "repealed"], [18, 1, 1])[0],
        )

    def documents(self, n: int) -> Iterator[IndexedDocument]:
        return (self.document(i) for i in range(n))

    def queries(self, n: int, *, seed: int = 7) -> list[Query]:
        """A mix like a portal's: common and rare words, phrases, names, traditional script, filters."""
        rng = random.Random(seed)
        mix: list[Query] = []
        for i in range(n):
            kind = rng.choices(
                ["word", "two_words", "dictionary", "project", "traditional", "filtered", "latin", "empty"],
                [30, 20, 15, 10, 10, 8, 5, 2],
            )[0]
            if kind == "word":
                mix.append(Query(kind, self.word(rng)))
            elif kind == "two_words":
                mix.append(Query(kind, f"{self.word(rng)} {self.word(rng)}"))
            elif kind == "dictionary":
                mix.append(Query(kind, rng.choice(FIELDS + ACTIONS)))
            elif kind == "project":
                mix.append(Query(kind, rng.choice(self.projects)[:-2]))
            elif kind == "traditional":
                mix.append(Query(kind, _traditional(self.word(rng))))
            elif kind == "filtered":
                mix.append(Query(kind, self.word(rng), category=rng.choice(CATEGORIES), year=rng.randint(2015, 2026)))
            elif kind == "latin":
                mix.append(Query(kind, rng.choice(LATIN)))
            else:
                mix.append(Query(kind, "", year=2015 + i % 12))
        return mix


_TRADITIONAL = str.maketrans(
    "发规划财税环数产业农医养乡书报处统计审执监质标营贸网络车铁电气资筹协验调试开护修专项区镇卫药应检测办级险济门务创",
    "發規劃財稅環數產業農醫養鄉書報處統計審執監質標營貿網絡車鐵電氣資籌協驗調試開護修專項區鎮衛藥應檢測辦級險濟門務創",
)


def _traditional(word: str) -> str:
    """The word in traditional script where a character has another form (checked to fold back)."""
    traditional = word.translate(_TRADITIONAL)
    return traditional if to_simplified(traditional) == word else word
