"""Controlled vocabularies shared by every service: Art. 20 categories, request channels, outcomes of table 三."""

from __future__ import annotations

__all__ = [
    "APPLICANT_COLUMNS",
    "ART20_CATEGORIES",
    "CHANNEL_LABELS",
    "LETTER_CATEGORY_LABELS",
    "LETTER_CHANNEL_LABELS",
    "LETTER_KIND_LABELS",
    "OUTCOME_LABELS",
    "PROPOSAL_KIND_LABELS",
    "RATING_LABELS",
    "RESULT_CLASS_LABELS",
    "category_label",
    "is_known_category",
]

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


#: 申请渠道 (条例 Art. 31).
CHANNEL_LABELS: dict[str, str] = {
    "internet": "互联网（网上申请）",
    "in_person": "当面提交",
    "registered_post": "邮寄（需签收）",
    "ordinary_post": "平常信函",
    "fax": "传真",
}

#: The seven columns of table 三: 自然人, the five kinds of 法人或其他组织, 总计.
APPLICANT_COLUMNS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_service": "法律服务机构",
    "other": "其他",
    "total": "总计",
}

#: One outcome per data row of table 三 (办理结果), labelled as the 2021 format words them.
OUTCOME_LABELS: dict[str, str] = {
    "disclosed": "（一）予以公开",
    "partially_disclosed": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "withheld.state_secret": "（三）不予公开 1.属于国家秘密",
    "withheld.prohibited_by_law": "（三）不予公开 2.其他法律行政法规禁止公开",
    "withheld.security_stability": "（三）不予公开 3.危及“三安全一稳定”",
    "withheld.third_party_rights": "（三）不予公开 4.保护第三方合法权益",
    "withheld.internal_affairs": "（三）不予公开 5.属于三类内部事务信息",
    "withheld.process_information": "（三）不予公开 6.属于四类过程性信息",
    "withheld.enforcement_file": "（三）不予公开 7.属于行政执法案卷",
    "withheld.administrative_inquiry": "（三）不予公开 8.属于行政查询事项",
    "unavailable.not_held": "（四）无法提供 1.本机关不掌握相关政府信息",
    "unavailable.needs_creation": "（四）无法提供 2.没有现成信息需要另行制作",
    "unavailable.unclear_after_correction": "（四）无法提供 3.补正后申请内容仍不明确",
    "not_processed.petition_complaint": "（五）不予处理 1.信访举报投诉类申请",
    "not_processed.repeat": "（五）不予处理 2.重复申请",
    "not_processed.publication": "（五）不予处理 3.要求提供公开出版物",
    "not_processed.excessive": "（五）不予处理 4.无正当理由大量反复申请",
    "not_processed.confirmation": "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
    "other.no_correction": "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.fee_unpaid": "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "（六）其他处理 3.其他",
}

#: 来信类型: 市长信箱, 部门信箱, 在线咨询, and the two kinds of proposals.
LETTER_KIND_LABELS: dict[str, str] = {
    "mayor_mailbox": "市长信箱",
    "department_mailbox": "部门信箱",
    "consultation": "在线咨询",
}
#: 来信方式: how a letter reached the agency. ``online`` is the public form; the others are entered by clerks.
LETTER_CHANNEL_LABELS: dict[str, str] = {
    "online": "网上来信",
    "post": "信件邮寄",
    "phone": "电话",
    "visit": "来访",
    "fax": "传真",
    "email": "电子邮件",
}
PROPOSAL_KIND_LABELS: dict[str, str] = {"npc_suggestion": "人大代表建议", "cppcc_proposal": "政协提案"}
#: 来信类别 (spec §D).
LETTER_CATEGORY_LABELS: dict[str, str] = {
    "consultation": "咨询",
    "complaint": "投诉",
    "suggestion": "建议",
    "help": "求助",
}
#: 评价: of a letter's reply by its writer, of a proposal's reply by its proposer.
RATING_LABELS: dict[str, str] = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
#: The default reply classes of suggestions and proposals (spec §D, configurable per jurisdiction).
RESULT_CLASS_LABELS: dict[str, str] = {
    "A": "所提问题已经解决或者基本解决",
    "B": "正在解决或者列入规划逐步解决",
    "C": "因目前条件限制或者其他原因需待以后解决",
    "D": "留作参考",
}
