"""The codebook's part on the census's own texts (`branding:`): what every page says around the
questions, in every language, for the people who approve them."""

from __future__ import annotations

from engine.spec.codebook.document import Block, Heading, Para, Table
from engine.spec.codebook.text import all_languages, both, code
from engine.spec.model import Questionnaire


def branding_blocks(q: Questionnaire) -> list[Block]:
    b = q.branding
    heading = Heading(2, "页面上的固定文字 Texts on every page", "branding")
    if b is None:
        return [heading, Para(both("本问卷没有 branding: 部分：页面顶部显示问卷标题，不显示隐私说明、页脚和求助方式。",
                                   "This spec has no branding: block: pages show its title at the top, and no "
                                   "privacy notice, footer or help contacts."))]
    rows: list[tuple[str, str]] = [("名称 Name", all_languages(b.name, q))]
    if b.short_name != b.name:
        rows.append(("简称 Short name", all_languages(b.short_name, q)))
    if b.issuer:
        rows.append(("发布机构 Issued by", all_languages(b.issuer, q)))
    for n, paragraph in enumerate(b.privacy, 1):
        rows.append((f"隐私说明 Privacy notice ({n})", all_languages(paragraph, q)))
    if b.privacy_link:
        rows.append(("隐私说明全文 Full privacy notice", "\n".join(filter(None, (
            code(b.privacy_link.url), all_languages(b.privacy_link.label, q))))))
    if b.footer:
        rows.append(("页脚 Footer", all_languages(b.footer, q)))
    if b.help:
        for phone in b.help.phones:
            rows.append(("求助电话 Help line", "\n".join(filter(None, (phone.number, all_languages(phone.label, q))))))
        if b.help.hours:
            rows.append(("服务时间 Hours", all_languages(b.help.hours, q)))
        if b.help.web:
            rows.append(("求助网站 Help website", code(b.help.web.url)))
        if b.help.email:
            rows.append(("求助邮箱 Help email", code(b.help.email)))
    return [heading, Table(("项目 Item", "文字 Text"), tuple(rows), "about")]
