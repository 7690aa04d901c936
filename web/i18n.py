"""Every interface text shown to households, enumerators and the office: Chinese first.

Questionnaire texts come from the specs; these are the words around them. One catalogue, so
a missing translation is caught by a test rather than by a household.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh", "en")
DEFAULT_LANGUAGE: Final = "zh"

TEXTS: Final[dict[str, tuple[str, str]]] = {
    # {census}: the name in the served questionnaire's branding block (web/branding.py)
    "service": ("{census} · 自主填报", "{census} · Self-response"),
    "service_short": ("{census}自主填报", "{census} self-response"),
    "skip": ("跳到主要内容", "Skip to main content"),
    "language_switch": ("English", "中文"),
    "language_switch_label": ("Switch to English", "切换到中文"),
    "sign_out": ("退出", "Sign out"),
    "error_prefix": ("错误：", "Error: "),
    "continue": ("继续", "Continue"),
    "save_continue": ("保存并继续", "Save and continue"),
    "hand_over_title": ("本户需由普查员上门登记", "Your enumerator needs to visit"),
    "hand_over_choice": ("这是按照已填写的内容得出的。如果填错了，请修改相关答案；"
                         "如果无误，请确认，普查员将上门完成登记，已填写的内容都会保留。",
                         "This follows from the answers given. If one is a mistake, change it; if they are right, "
                         "confirm, and your enumerator will visit to complete the form. Everything typed is kept."),
    "hand_over_confirm": ("确认，由普查员上门登记", "Confirm: my enumerator will visit"),
    "hand_over_cause": ("{name}：{answer}", "{name}: {answer}"),
    "hand_over_pending": ("请注意：按照这一回答，本户需由普查员上门登记，之后将不能继续自行填报。如果选错了，请修改；"
                          "如果无误，请点击“保存并继续”。",
                          "Please note: with this answer your enumerator will visit to complete your household's "
                          "form, and you will not be able to carry on yourself. If it is a mistake, change it; if "
                          "it is right, press “Save and continue”."),
    "back": ("返回", "Back"),
    "optional": ("（选填）", "(optional)"),
    "there_is_a_problem": ("有问题需要处理", "There is a problem"),
    "warnings_title": ("请确认以下内容", "Please check these answers"),
    "this_is_correct": ("我已核对，内容无误", "I have checked: this is correct"),
    "confirmed": ("已确认", "Confirmed"),
    # start page
    "start_title": ("登录自主填报", "Sign in to fill in the census"),
    "start_intro": ("请使用普查员发给您的自主填报码和密码登录，或扫描登记单上的二维码。",
                    "Sign in with the account code and password your enumerator gave you, or scan the QR code "
                    "on your slip."),
    "account": ("自主填报码", "Account code"),
    "account_hint": ("10 位数字，例如 4821-7730-15", "10 digits, for example 4821-7730-15"),
    "password": ("密码", "Password"),
    "sign_in": ("登录", "Sign in"),
    "signing_in": ("正在登录…", "Signing in…"),
    "login_failed": ("自主填报码或密码不正确，请核对登记单后重试。", "The account code or password is not right. "
                     "Check your slip and try again."),
    "login_busy": ("现在登录的人很多，请等一分钟再登录。",
                   "Many people are signing in right now. Please wait a minute, then sign in again."),
    "login_throttled": ("尝试次数过多，请 {seconds} 秒后再试。", "Too many attempts. Try again in {seconds} seconds."),
    "login_throttled_new_device": ("此自主填报码的登录尝试过多。请 {seconds} 秒后再试，"
                                   "或扫描登记单上的二维码立即登录。",
                                   "Too many sign-in attempts for this account code. Try again in {seconds} seconds, "
                                   "or scan the QR code on your slip to sign in now."),
    "qr_failed": ("这个二维码已失效，请使用自主填报码和密码登录，或联系普查员。", "This QR code no longer works. "
                  "Sign in with your account code and password, or contact your enumerator."),
    "privacy_title": ("隐私说明", "How we protect your information"),
    "privacy_how": ("保护：传输和存储全程加密；工作人员看到的信息均已脱敏；工作人员每次查看完整信息、"
                    "每次修改答案，都记入审计日志。",
                    "How: encrypted in transit and at rest; staff see it masked; every time staff see it in full, "
                    "and every change to your answers, is recorded in an audit log."),
    "help_title": ("需要帮助", "Help"),
    "help_line": ("{label}：", "{label}: "),  # a help line's label (the census's words) before its number
    "help_web": ("网站：", "Website: "),
    "help_email": ("电子邮件：", "Email: "),
    # hub
    "hub_title": ("本户普查表", "Your household's census form"),
    "household_info": ("住户信息", "Household information"),
    "members": ("住户成员", "People in your household"),
    "add_member": ("添加成员", "Add a person"),
    "household_first": ("请先完成住户信息，再添加住户成员。", "Complete the household information first, then add "
                        "the people who live here."),
    "add_first_member": ("添加第一位成员", "Add the first person"),
    "add_first_member_as": ("添加第一位成员（{role}）", "Add the first person ({role})"),
    "members_to_add": ("本户应登记 {expected} 人，已添加 {entered} 人，还需添加 {n} 人。",
                       "Your household has {expected} people to register: {entered} added, {n} still to add."),
    "unanswered_n": ("还有 {n} 个问题未回答", "Questions not answered yet: {n}"),
    "answer_to_change": ("请修改：{label}", "Change this answer: {label}"),
    "change_on_page": ("到“{page}”页修改", "Change it on the page “{page}”"),
    "remove": ("删除", "Remove"),
    "change": ("修改", "Change"),
    "start": ("开始填写", "Start"),
    "status_not_started": ("未开始", "Not started"),
    "status_in_progress": ("未完成", "In progress"),
    "status_complete": ("已完成", "Completed"),
    "progress": ("已完成 {done}/{total} 页", "{done} of {total} pages completed"),
    "review_submit": ("核对并提交", "Check answers and submit"),
    "your_enumerator": ("您的普查员", "Your enumerator"),
    "phone": ("电话", "Phone"),
    "ask_help": ("请普查员协助", "Ask my enumerator for help"),
    "help_sent": ("已通知您的普查员，他们会与您联系。您可以继续填写。",
                  "Your enumerator has been told and will contact you. You can carry on filling in."),
    "deadline": ("自主填报截止时间：{closes}", "Self-response closes: {closes}"),
    # members
    "remove_title": ("删除 {name}？", "Remove {name}?"),
    "remove_text": ("删除后，这位成员已填写的内容将从本户普查表中移除。", "Their answers will be removed from "
                    "your household's form."),
    "remove_yes": ("是的，删除", "Yes, remove"),
    "remove_no": ("不，返回", "No, go back"),
    "person_n": ("第{n}位成员", "Person {n}"),
    # review and submission
    "review_title": ("核对您的答案", "Check your answers"),
    "review_intro": ("提交前请逐项核对。可以点击“修改”更正。", "Check each answer before you submit. "
                     "Use “Change” to correct one."),
    "not_answered": ("未填写", "Not answered"),
    "code_search_label": ("或者输入地名搜索（如：朝阳）", "Or type a place name to search (for example 朝阳)"),
    "code_search_count": ("找到 {count} 个地方，选择一个：", "{count} places found; choose one:"),
    "code_search_none": ("没有找到这个地名，请换个写法，或逐级选择", "No place of that name; try another spelling, "
                         "or choose one level at a time"),
    "fix_first": ("还有 {n} 处需要修改或确认，请先处理。", "{n} answers still need changing or confirming."),
    "review_more_problems": ("另有 {n} 处，已在各位成员的答案处和页码旁标出。",
                             "{n} more are marked at the answers and beside the page numbers."),
    "review_pages": ("答案分页", "Pages of answers"),
    "review_pages_end": ("答案分页（页尾）", "Pages of answers (end of the page)"),
    "review_page_of": ("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    "review_page_people": ("第 {first}–{last} 位成员", "People {first} to {last}"),
    "review_page_problems": ("{n} 处需修改", "{n} to fix"),
    "roster_search": ("查找成员", "Find a person"),
    "roster_search_hint": ("输入姓名或序号", "Type a name or a number"),
    "roster_find": ("查找", "Find"),
    "roster_open_only": ("只看还没填完的成员", "Only people not yet done"),
    "roster_count": ("显示 {found} 位，共 {total} 位成员", "Showing {found} of {total} people"),
    "roster_none": ("没有符合的成员。", "Nobody matches."),
    "roster_pages": ("成员分页", "Pages of people"),
    "page_previous": ("上一页", "Previous page"),
    "page_next": ("下一页", "Next page"),
    "declaration_title": ("申报声明", "Declaration"),
    "declaration_text": ("本人郑重承诺：本户申报的信息真实、准确、完整。", "I solemnly promise that the information "
                         "given for this household is true, accurate and complete."),
    "declarant_name": ("申报人姓名（作为签名）", "Your full name (as your signature)"),
    "promise": ("本人郑重承诺", "I solemnly promise"),
    "submit": ("提交", "Submit"),
    "confirmation_title": ("提交成功", "Submitted"),
    "reference": ("您的提交编号", "Your reference number"),
    "next_steps": ("截止前您可以再次登录修改并重新提交。截止后如需更正，请联系您的普查员。",
                   "You can sign in again to change and resubmit until self-response closes. After that, "
                   "contact your enumerator to correct anything."),
    "reopen": ("修改已提交的答案", "Change my submitted answers"),
    "submitted_state": ("本户已于 {at} 提交，编号 {reference}。", "Submitted on {at}, reference {reference}."),
    "reopened_state": ("您正在修改已提交的答案。之前的提交（编号 {reference}）仍然有效；"
                       "改好后请重新提交，否则截止时以之前的提交为准。",
                       "You are changing your submitted answers. Your earlier submission (reference {reference}) "
                       "still stands: submit again when you have finished, or the earlier one is what counts at the "
                       "close."),
    "signed_out_idle": ("为了安全，长时间未操作后已自动退出登录。之前保存的答案都在，请重新登录后继续；"
                        "退出后填写的内容没有保存，请再填一次。",
                        "For your security you were signed out after a time without activity. Everything saved "
                        "before is kept: sign in again to carry on. Anything typed after that was not saved, so "
                        "please give it again."),
    "closed_title": ("自主填报已截止", "Self-response has closed"),
    "closed_text": ("您可以查看已提交的内容。如需更正，请联系您的普查员。",
                    "You can view what you submitted. To correct anything, contact your enumerator."),
    "closed_unsubmitted_text": ("本户没有在截止前提交，普查员将上门完成登记。您已填写的内容都已保存，不会丢失，"
                                "您可以在这里查看。",
                                "Your household did not submit before the close, so your enumerator will visit to "
                                "complete the form with you. Everything you typed is saved and nothing is lost; you "
                                "can view it here."),
    "view_answers": ("查看已填写的内容", "View what you have given"),
    "handed_title": ("普查员将上门登记", "Your enumerator will visit"),
    "handed_text": ("本户将由普查员上门完成登记。您已填写的内容都已保存，不会丢失。",
                    "Your enumerator will complete your household's form with you in person. Everything you have "
                    "typed is saved and nothing is lost."),
    "reason": ("原因", "Why"),
    # sessions
    "session_expires": ("为保护您的信息，{minutes} 分钟无操作将自动退出。", "To protect your information, you will be "
                        "signed out after {minutes} minutes without activity."),
    "session_warning": ("您即将因长时间无操作而退出。", "You are about to be signed out because of inactivity."),
    "session_extend": ("继续填写", "Stay signed in"),
    "session_ended": ("您已退出。已保存的内容不会丢失。", "You have been signed out. Everything saved is kept."),
    # errors
    "not_found_title": ("找不到该页面", "Page not found"),
    "not_found_text": ("网址可能有误，或者该页面已不再需要填写。", "The address may be wrong, or the page is no longer "
                       "needed."),
    "forbidden_title": ("无法访问", "You cannot see this page"),
    "forbidden_text": ("您没有权限查看此页面，或登录已过期。", "You do not have access to this page, or your sign-in "
                       "has expired."),
    "error_title": ("抱歉，系统出现问题", "Sorry, there is a problem with the service"),
    "error_text": ("您已保存的内容不会丢失。请稍后再试；如问题持续，请联系您的普查员。",
                   "Nothing you saved is lost. Try again later; if it keeps happening, contact your enumerator."),
    "conflict_title": ("内容已在别处修改", "Your answers were changed elsewhere"),
    "conflict_text": ("本户的答案刚刚在另一台设备上被修改。请查看最新内容后再修改。",
                      "Your household's answers were just changed on another device. Check the latest version, "
                      "then make your change again."),
    "csrf_title": ("页面已过期", "This page has expired"),
    "csrf_text": ("为了安全，请返回并重新提交。", "For your security, go back and submit again."),
    "home": ("返回首页", "Go to the start page"),
    "conflict_again": ("查看最新的答案", "See the latest answers"),
    "too_large": ("提交的内容过多", "Too much was sent"),
    "busy_title": ("现在使用的人很多", "Many people are using the service right now"),
    "busy_text": ("请等一分钟再试。您已保存的内容不会丢失。",
                  "Please wait a minute, then try again. Nothing you saved is lost."),
    "window_not_open": ("自主填报尚未开始", "Self-response has not opened yet"),
}


# Each language's texts as a plain mapping, for templates: `T['back']` is an item lookup, where
# `t('back')` is a call through Jinja's machinery (a few microseconds, a dozen times a page).
# Texts with parameters stay calls: `t('progress', done=1, total=3)`.
BY_LANGUAGE: Final[dict[str, dict[str, str]]] = {
    lang: {key: texts[i] for key, texts in TEXTS.items()} for i, lang in enumerate(LANGUAGES)
}


def add_texts(texts: dict[str, tuple[str, str]]) -> None:
    """Join more texts (the staff pages') to the catalogue, for `t` and `T` alike."""
    TEXTS.update(texts)
    for i, lang in enumerate(LANGUAGES):
        BY_LANGUAGE[lang].update({key: pair[i] for key, pair in texts.items()})


def t(key: str, lang: str, **params: object) -> str:
    zh, en = TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
