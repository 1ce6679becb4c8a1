"""Controlled vocabularies shared by every service: the 条例 Art. 20 categories of proactive disclosure."""

from __future__ import annotations

__all__ = ["ART20_CATEGORIES", "category_label", "is_known_category"]

#: 条例第二十条 items (一)–(十五), coded ``art20.N``; labels as the regulation words them.
ART20_CATEGORIES: dict[str, str] = {
    "art20.1": "行政法规、规章和规范性文件",
    "art20.2": "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名",
    "art20.3": "国民经济和社会发展规划、专项规划、区域规划及相关政策",
    "art20.4": "国民经济和社会发展统计信息",
    "art20.5": "办理行政许可和其他对外管理服务事项的依据、条件、程序以及办理结果",
    "art20.6": "实施行政处罚、行政强制的依据、条件、程序以及本行政机关认为具有一定社会影响的行政处罚决定",
    "art20.7": "财政预算、决算信息",
    "art20.8": "行政事业性收费项目及其依据、标准",
    "art20.9": "政府集中采购项目的目录、标准及实施情况",
    "art20.10": "重大建设项目的批准和实施情况",
    "art20.11": "扶贫、教育、医疗、社会保障、促进就业等方面的政策、措施及其实施情况",
    "art20.12": "突发公共事件的应急预案、预警信息及应对情况",
    "art20.13": "环境保护、公共卫生、安全生产、食品药品、产品质量的监督检查情况",
    "art20.14": "公务员招考的职位、名额、报考条件等事项以及录用结果",
    "art20.15": "其他依法应当主动公开的政府信息",
}


def is_known_category(code: str, agency_categories: dict[str, str] | None = None) -> bool:
    return code in ART20_CATEGORIES or code in (agency_categories or {})


def category_label(code: str, agency_categories: dict[str, str] | None = None) -> str:
    return ART20_CATEGORIES.get(code) or (agency_categories or {}).get(code) or code
