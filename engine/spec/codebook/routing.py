"""The codebook's part on routing: the reasons the spec declares, each routing rule, and the
reasons the engine raises by itself. Reasons are named from their definitions (built in:
`engine.spec.reasons.BUILT_IN`; declared: `routing_reasons:`), never from a second list here."""

from __future__ import annotations

from collections.abc import Callable

from engine.spec.codebook.document import Block, Group, Heading, Para, Table, anchor
from engine.spec.codebook.text import all_languages, both, code, tx
from engine.spec.expressions import CompiledExpression
from engine.spec.model import Questionnaire, RoutingKind, RoutingRule
from engine.spec.reasons import BUILT_IN

Said = Callable[[CompiledExpression, str, str], str]  # an expression in words, in its zh and en sentence

KINDS = {
    RoutingKind.HAND_OVER: ("交给普查员上门登记，住户自主填报随即结束",
                            "handed over to an enumerator, who visits; the household's self-response ends"),
    RoutingKind.NOTIFY: ("通知普查员跟进，住户仍可继续自主填报",
                         "the enumerator is notified; the household may still fill in the form itself"),
}


def reason_name(reason_id: str, q: Questionnaire) -> str:
    """What a reason is called: a declared one in the spec's languages, a built-in one in the
    codebook's (Chinese and English); an id neither knows, as itself."""
    declared = q.reasons.get(reason_id)
    if declared is not None:
        return all_languages(declared.label, q)
    built_in = BUILT_IN.get(reason_id)
    return both(tx(built_in.label, "zh"), tx(built_in.label, "en")) if built_in else reason_id


def routing_blocks(q: Questionnaire, said: Said) -> list[Block]:
    blocks: list[Block] = [Heading(2, "转交普查员 Routing to an enumerator", "routing")]
    if q.reasons:
        blocks.append(Para(both("本问卷自定义的转交原因（工作清单按优先级排列，1 最紧急）：",
                                "Reasons this questionnaire declares (the enumerator's queue lists them by "
                                "priority, 1 most urgent):")))
        rows = tuple((code(r.id), all_languages(r.label, q), all_languages(r.queue, q), str(r.priority))
                     for r in q.reasons.values())
        blocks.append(Table(("编号 Id", "名称 Name", "工作清单说明 Queue says", "优先级 Priority"), rows, "reasons"))
    if not q.routing:
        blocks.append(Para(both("本问卷没有自定义的转交规则。",
                                "This questionnaire has no routing rules of its own.")))
    for rule in q.routing:
        blocks.append(rule_group(rule, q, said))
    auto = [r for r in BUILT_IN.values() if r.engine_raised]
    blocks.append(Para(both(
        "此外，系统自行提出以下原因：" + "；".join(f"{tx(r.label, 'zh')}（{code(r.id)}）" for r in auto) + "。",
        "In addition, the system raises these reasons by itself: "
        + "; ".join(f"{tx(r.label, 'en')} ({code(r.id)})" for r in auto) + ".")))
    return blocks


def rule_group(rule: RoutingRule, q: Questionnaire, said: Said) -> Group:
    name = reason_name(rule.reason, q)
    zh_kind, en_kind = KINDS[rule.kind]
    group = Group("rule", [Heading(3, name, anchor("route", rule.reason))])
    rows: list[tuple[str, str]] = [
        ("原因 Reason", name + f"\n{code(rule.reason)}"),
        ("处理 What happens", both(zh_kind, en_kind)),
    ]
    if rule.form:
        rows.append(("普查员使用的问卷 Form used", code(rule.form)))
    rows.append(("条件 When", said(rule.when, "当{}时", "When {}") + f"\n{code(rule.when.source)}"))
    rows.append(("向住户说明 Explanation", all_languages(rule.explanation, q)
                 or both("不告知住户", "the household is not told")))
    group.blocks.append(Table(("项目 Item", "内容 Details"), tuple(rows), "fields"))
    return group
