"""Interface texts of the enumerator and census-office pages, Chinese first.

Kept apart from `web.i18n` (the household pages' words) so the two can change without
editing one file; merged into its catalogue when this module is imported (the staff route
modules import it), so `t()` and templates use one catalogue. A key may not be defined twice.
"""

from __future__ import annotations

from typing import Final

from engine.enumeration import HOUSEHOLD_TYPES, VISIT_OUTCOMES
from engine.runtime.lifecycle import HouseholdState
from web.i18n import TEXTS, add_texts

STAFF_TEXTS: Final[dict[str, tuple[str, str]]] = {
    # frame
    "staff_service": ("{census} · 普查员与普查机构", "{census} · Staff"),  # {census}: see web/branding.py
    "staff_service_short": ("人口普查工作平台", "Census staff"),
    "staff_account_nav": ("账户", "Account"),
    "staff_main_nav": ("工作菜单", "Main menu"),
    "staff_privacy": ("普查对象的个人信息依法保密，均脱敏显示；完整信息页、入户登记的问卷页面和不脱敏导出除外，"
                      "这些每次查看都会被记录。",
                      "Respondents' personal data is confidential by law and shown masked, except on the full "
                      "view, the interview pages and the unmasked export, each view of which is recorded."),
    "nav_queue": ("工作清单", "Work queue"),
    "nav_register": ("登记住户", "Register a household"),
    "nav_dashboard": ("进度", "Progress"),
    "nav_sample": ("长表抽样", "Long-form sample"),
    "nav_close": ("截止自主填报", "Close self-response"),
    "nav_duplicates": ("疑似重复", "Duplicates"),
    "nav_export": ("导出", "Export"),
    "nav_staff": ("普查员管理", "Enumerators"),
    "none": ("无", "None"),
    "staff_session_expires": ("为保护普查对象的信息，{minutes} 分钟无操作将自动退出。",
                              "To protect respondents' information, you will be signed out after {minutes} minutes "
                              "without activity."),
    "staff_session_extend": ("保持登录", "Stay signed in"),
    "last_activity": ("最近活动", "Last activity"),
    # sign-in
    "staff_login_title": ("工作人员登录", "Staff sign-in"),
    "staff_login_intro": ("普查员和普查机构工作人员请使用分配的用户名和密码登录。",
                          "Enumerators and census office staff: sign in with the username and password you "
                          "were given."),
    "staff_username": ("用户名", "Username"),
    "staff_login_failed": ("用户名或密码不正确。", "The username or password is not right."),
    "staff_login_throttled_new_device": ("此用户名的登录尝试过多。请 {seconds} 秒后再试，"
                                         "或在您以前登录过的设备上立即登录。",
                                         "Too many sign-in attempts for this username. Try again in {seconds} "
                                         "seconds, or sign in now on a device you have signed in on before."),
    "staff_signed_out": ("您已退出。", "You have signed out."),
    "staff_link": ("普查员和普查机构工作人员登录", "Sign-in for enumerators and census office staff"),
    "staff_household_login": ("住户请从这里登录自主填报", "Households: sign in to fill in the census here"),
    # the queue
    "queue_title": ("工作清单", "Work queue"),
    "queue_intro": ("需要上门的住户，限您负责的普查区：{areas}。", "Households that need a visit, in your areas: "
                    "{areas}."),
    "queue_counts": ("按原因统计", "By reason"),
    "queue_filter": ("筛选", "Filter"),
    "queue_reason": ("原因", "Reason"),
    "queue_state": ("状态", "State"),
    "queue_any_state": ("全部状态", "Any state"),
    "queue_apply": ("筛选", "Apply filter"),
    "queue_clear": ("清除筛选", "Clear the filter"),
    "queue_list": ("住户", "Households"),
    "queue_total": ("共 {n} 户", "{n} households"),
    "queue_refresh": ("列表每 {seconds} 秒自动更新。", "The list updates itself every {seconds} seconds."),
    "queue_reload": ("立即刷新", "Reload now"),
    "queue_empty": ("没有符合条件的住户。", "No households match."),
    "queue_no_address": ("（无地址）", "(no address)"),
    "queue_pages": ("分页", "Pages"),
    "queue_previous": ("上一页", "Previous page"),
    "queue_next": ("下一页", "Next page"),
    "queue_page": ("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    "head_masked": ("户主（脱敏）", "Head (masked)"),
    "address_masked": ("地址（脱敏）", "Address (masked)"),
    "household_code": ("自主填报码", "Account code"),
    "queue_not_here": ("工作清单只列出需要上门的住户。", "The work queue lists only the households that need a visit."),
    "queue_find_others": ("查找其他住户", "Find any other household"),
    "queue_empty_search": ("在“查找住户”中按状态查找所有住户", "Look through every household by state under “Find a "
                           "household”"),
    # finding a household (web.routes.search)
    "nav_search": ("查找住户", "Find a household"),
    "search_title": ("查找住户", "Find a household"),
    "search_intro": ("查找您负责的普查区中的任何住户，包括不在工作清单中的（已拒绝、已提交、已结案等）。"
                     "地址加密保存，按地址查找时最多比对最近活动的 {batch} 户。",
                     "Find any household of your areas, including those off the work queue (refused, submitted, "
                     "closed...). Addresses are stored encrypted: an address search compares at most the {batch} "
                     "households with the newest activity."),
    "search_form": ("查找条件", "Search by"),
    "search_code_hint": ("10 位数字，例如 1234-5678-90", "10 digits, for example 1234-5678-90"),
    "search_address": ("地址中的字词", "Words of the address"),
    "search_address_hint": ("例如：吉祥里 208。每个词都要出现在地址中。", "For example: 吉祥里 208. Every word must be "
                            "in the address."),
    "search_any_outcome": ("全部走访结果", "Any visit outcome"),
    "search_any_area": ("我负责的全部普查区", "All my areas"),
    "search_submit": ("查找", "Search"),
    "search_results": ("查找结果", "Results"),
    "search_incomplete": ("只比对了最近活动的 {batch} 户的地址。请选择状态、走访结果或普查区，缩小查找范围。",
                          "Only the addresses of the {batch} households with the newest activity were compared: "
                          "choose a state, visit outcome or area to narrow the search."),
    "search_none": ("没有找到符合条件的住户。", "No household matches."),
    "search_reissue": ("补发登记单（生成新密码）", "Reissue the slip (a new password)"),
    # registration and the slip
    "register_title": ("登记住户", "Register a household"),
    "register_intro": ("登记后会生成本户的自主填报码、初始密码和二维码，请打印登记单交给住户。",
                       "Registering creates the household's account code, first password and QR code: print "
                       "the slip and hand it to the household."),
    "register_address": ("住址", "Address"),
    "register_address_hint": ("省、市、区县、街道、门牌号、楼栋、单元、房号", "Province, city, district, street, "
                              "number, building, entrance and flat"),
    "register_area": ("普查区", "Census area"),
    "register_type": ("户别", "Household type"),
    "register_submit": ("登记并生成登记单", "Register and make the slip"),
    "staff_pick_area": ("请选择您负责的普查区。", "Choose one of your census areas."),
    "type_family": ("家庭户", "Family household"),
    "type_collective": ("集体户", "Collective household"),
    "slip_title": ("住户自主填报登记单", "Census self-response slip"),
    "slip_once": ("初始密码只在发放后 {minutes} 分钟内（到 {until}）在本浏览器中显示，系统不保存密码。"
                  "请现在打印或抄写登记单。",
                  "The password is shown only for {minutes} minutes after it is issued (until {until}), in this "
                  "browser, and is not stored. Print or copy the slip now."),
    "slip_gone_title": ("登记单已不再显示", "The slip is no longer shown"),
    "slip_gone_text": ("为保护住户，初始密码只在发放后 {minutes} 分钟内、在发放它的浏览器中显示，"
                       "之后系统无法再显示。",
                       "To protect the household, the password is shown only for {minutes} minutes after it is "
                       "issued, in the browser that issued it. After that it cannot be shown again."),
    "slip_gone_reissue": ("如果住户还没有拿到登记单，请重新发放账号：旧密码和二维码将立即失效。",
                          "If the household has not got its slip yet, issue new credentials: the old password and "
                          "QR code stop working at once."),
    "register_form_used": ("这份登记表已经登记过住户 {code}，没有再次登记。如要登记另一户，请核对下面的内容后再提交。",
                           "This form already registered household {code}, so nothing was registered again. To "
                           "register another household, check the details below and register again."),
    "slip_print": ("打印登记单", "Print the slip"),
    "slip_print_hint": ("打印时只输出登记单（A4 或 A6 纸）。也可使用浏览器的打印功能（Ctrl+P）。",
                        "Printing outputs the slip only (A4 or A6 paper). You can also use your browser's "
                        "print command (Ctrl+P)."),
    "slip_qr_label": ("扫码登录自主填报的二维码", "QR code to sign in to the census"),
    "slip_qr_caption": ("用手机扫码即可登录", "Scan with a phone to sign in"),
    "slip_site": ("填报网址", "Website"),
    "slip_deadline": ("自主填报截止时间", "Self-response closes"),
    "slip_address": ("住址", "Address"),
    "slip_keep": ("请妥善保管本登记单，不要告诉他人密码。如有疑问请联系您的普查员。",
                  "Keep this slip safe and do not share the password. Questions: contact your enumerator."),
    "slip_to_household": ("查看本户", "View this household"),
    "slip_register_next": ("登记下一户", "Register the next household"),
    # the household
    "back_to_queue": ("返回工作清单", "Back to the work queue"),
    "detail_title": ("住户 {code}", "Household {code}"),
    "detail_form": ("问卷", "Form"),
    "detail_visit": ("走访结果", "Visit outcome"),
    "detail_issued": ("账号发放时间", "Credentials issued"),
    "detail_no_credentials": ("无有效账号", "No valid credentials"),
    "detail_no_members": ("尚未登记成员。", "No people yet."),
    "staff_members": ("住户成员", "People in the household"),
    "staff_reference": ("提交编号", "Reference number"),
    "reveal_title": ("查看完整信息", "Full view"),
    "reveal_hint": ("显示本户未脱敏的全部答案和住址。每次查看都会记录在审计日志中。",
                    "Shows every answer and the address unmasked. Each view is recorded in the audit log."),
    "reveal_button": ("查看完整信息（将被记录）", "Show the full view (recorded)"),
    "reveal_page_title": ("住户 {code} 的完整信息", "Full view of household {code}"),
    "reveal_audited": ("本次查看已记录。请勿截屏或抄录。", "This view has been recorded. Do not copy or "
                       "photograph it."),
    "interview_title": ("入户登记", "In-person interview"),
    "take_over": ("接手本户", "Take this household over"),
    "take_over_hint": ("接手后住户不能再自行修改，由您上门完成登记；住户已填内容都会保留。",
                       "Once you take it over, the household can no longer change its answers and you complete "
                       "the form in person; everything it typed is kept."),
    "interview_start": ("开始（继续）入户登记", "Start (or continue) the interview"),
    "interview_not_now": ("本户仍在自主填报期内，暂不需要入户登记。", "This household is still responding "
                          "itself; no interview is needed now."),
    "interview_of": ("入户登记 · 住户 {code}", "Interview · household {code}"),
    "interview_overview": ("返回本户概览", "Back to the household overview"),
    "complete_button": ("完成入户登记", "Complete the interview"),
    "staff_confirm_warning": ("已与住户核对，内容无误", "Checked with the household: this is correct"),
    "visit_title": ("走访记录", "Visit record"),
    "visit_outcome": ("本次走访结果", "Outcome of this visit"),
    "visit_record": ("保存走访结果", "Record the outcome"),
    "staff_pick_outcome": ("请选择走访结果。", "Choose the outcome of the visit."),
    "credentials_title": ("自主填报账号", "Self-response credentials"),
    "credentials_hint": ("重新发放会生成新密码和二维码，旧的立即失效；停用则住户无法再登录。",
                         "Reissuing makes a new password and QR code and stops the old ones at once; revoking "
                         "stops the household signing in."),
    "reissue_button": ("重新发放账号并打印", "Reissue and print"),
    "revoke_button": ("停用账号", "Revoke the credentials"),
    "done_revoked": ("账号已停用，住户的登录已全部结束。", "The credentials are revoked and the household's "
                     "sessions ended."),
    "done_taken_over": ("已接手本户。", "You have taken this household over."),
    "done_visit": ("走访结果已保存。", "The visit outcome is recorded."),
    "done_completed": ("入户登记已完成。", "The interview is complete."),
    "done_member_removed": ("已删除这位成员及其答案。", "The person and their answers are removed."),
    # confirmations (web.confirm)
    "confirm_cancel": ("取消，返回", "Cancel and go back"),
    "confirm_revoke_title": ("停用住户 {code} 的自主填报账号？", "Revoke the credentials of household {code}?"),
    "confirm_revoke_effect": ("住户现在的密码和二维码立即失效，正在进行的登录随即结束。",
                              "The household's password and QR code stop working at once, and anyone signed in "
                              "with them is signed out."),
    "confirm_revoke_kept": ("已填写的内容不受影响；需要时可以重新发放账号。",
                            "Nothing answered is lost; you can reissue credentials when needed."),
    "confirm_revoke_button": ("确认停用", "Yes, revoke them"),
    "confirm_visit_title": ("记录走访结果“{outcome}”？", "Record the visit outcome “{outcome}”?"),
    "confirm_visit_effect": ("本户将离开工作清单，不再需要上门。", "The household leaves the work queue: no more "
                             "visits are due."),
    "confirm_visit_found": ("之后仍可在“查找住户”中找到本户，改记其他走访结果。",
                            "You can still find it under “Find a household” and record another outcome."),
    "confirm_visit_button": ("确认记录", "Yes, record it"),
    "confirm_sample_title": ("抽取长表户？", "Draw the long-form sample?"),
    "confirm_sample_effect": ("将按抽样比例 {rate}%、随机种子“{seed}”抽中 {n} 户，转普查员入户登记长表。",
                              "{n} households will be drawn at a rate of {rate}% with the seed “{seed}” and sent "
                              "to their enumerators for the long form."),
    "confirm_sample_final": ("抽中的住户不会撤销。", "A household once drawn stays drawn: this cannot be undone."),
    "confirm_sample_button": ("确认抽取", "Yes, draw the sample"),
    "confirm_close_title": ("截止自主填报？", "Close self-response?"),
    "confirm_close_routed": ("{n} 户未提交的住户将转普查员入户登记。",
                             "{n} households that have not submitted will go to their enumerators."),
    "confirm_close_resubmitted": ("{n} 户重新打开但未再次提交的住户，以上次提交的内容为准。",
                                  "{n} households that reopened and did not submit again keep their last "
                                  "submission."),
    "confirm_close_button": ("确认截止", "Yes, close self-response"),
    # the office
    "dash_title": ("普查进度", "Census progress"),
    "dash_table": ("各普查区进度", "Progress by area"),
    "dash_area": ("普查区", "Area"),
    "dash_registered": ("已登记", "Registered"),
    "dash_self_responded": ("自主填报", "Self-responded"),
    "dash_in_progress": ("填报中", "In progress"),
    "dash_routed": ("转普查员", "With enumerator"),
    "dash_enumerated": ("入户登记", "Enumerated"),
    "dash_outstanding": ("未完成", "Outstanding"),
    "dash_rate": ("完成率", "Response rate"),
    "dash_total": ("合计", "Total"),
    "dash_routed_by_reason": ("需要上门的住户（按原因）", "Households to visit, by reason"),
    "dash_routed_note": ("与普查员工作清单的统计相同；一户可能有多个原因。",
                         "Counted as the enumerators' work queues count them; a household may have more than "
                         "one reason."),
    "dash_charts": ("图表", "Charts"),
    "dash_chart_title": ("{area}：各状态户数", "{area}: households by state"),
    "dash_rate_title": ("{area}：完成率", "{area}: response rate"),
    "dash_rate_text": ("{rate}%（{done}/{registered} 户）", "{rate}% ({done} of {registered} households)"),
    "window_closes": ("自主填报截止时间：{at}", "Self-response closes: {at}"),
    "window_closed_at": ("自主填报已于 {at} 截止。", "Self-response was closed at {at}."),
    "sample_title": ("长表抽样", "Long-form sample"),
    "sample_intro": ("按比例从符合条件的住户中抽取长表户，抽中的住户转普查员入户登记。同一随机种子结果相同，可复核。",
                     "Draw households for the long form at a rate; drawn households go to their enumerator. The "
                     "same seed draws the same households, so the draw can be checked."),
    "sample_rate": ("抽样比例", "Rate"),
    "sample_rate_hint": ("百分比，0 到 100，例如 10", "A percentage from 0 to 100, for example 10"),
    "sample_seed": ("随机种子", "Seed"),
    "sample_seed_hint": ("请记录此值，用于复核", "Write this down: it lets anyone check the draw"),
    "sample_preview": ("预览（不抽取）", "Preview (draw nothing)"),
    "sample_draw": ("抽取", "Draw the sample"),
    "sample_bad_rate": ("抽样比例应为 0 到 100 之间的数字。", "The rate is a number from 0 to 100."),
    "sample_no_seed": ("请填写随机种子。", "Give a seed."),
    "sample_preview_title": ("预览结果", "Preview"),
    "sample_drawn_title": ("已完成抽样", "Sample drawn"),
    "sample_frame": ("抽样框（户）", "Sampling frame (households)"),
    "sample_eligible": ("可抽户数", "Eligible"),
    "sample_drawn_before": ("此前已抽中", "Drawn before"),
    "sample_overseas_only": ("仅有境外人员（不抽）", "Overseas members only (excluded)"),
    "sample_target": ("目标户数", "Target"),
    "sample_drawn_now": ("本次抽中", "Drawn now"),
    "sample_would_draw": ("将抽中", "Would draw"),
    "close_title": ("截止自主填报", "Close self-response"),
    "close_confirm_title": ("确认截止后将：", "Closing will:"),
    "close_effect_routed": ("未提交的住户全部转普查员入户登记（截止未提交）。",
                            "send every household that has not submitted to its enumerator (not submitted "
                            "by the close)."),
    "close_effect_reopened": ("重新打开但未再次提交的住户，以上次提交的内容为准。",
                              "keep the last submission of households that reopened and did not submit again."),
    "close_effect_final": ("此操作不能撤销。", "This cannot be undone."),
    "close_button": ("截止自主填报", "Close self-response"),
    "close_cancel": ("取消，返回进度", "Cancel and go back to progress"),
    "close_not_yet": ("自主填报将于 {at} 截止，之后才能执行。", "Self-response closes at {at}; you can do this "
                      "after that."),
    "close_done": ("自主填报已截止", "Self-response is closed"),
    "close_routed": ("转普查员的住户", "Households sent to enumerators"),
    "close_resubmitted": ("恢复为上次提交的住户", "Households back to their last submission"),
    "close_again": ("此前已经截止过，本次处理了新增的住户。", "It had been closed before; this run handled the "
                    "households added since."),
    "dup_title": ("疑似重复登记", "Suspected duplicates"),
    "dup_intro": ("同一公民身份号码出现在多个住户中的人员（姓名已脱敏）。", "People whose identity number appears "
                  "in more than one household (names masked)."),
    "dup_group": ("第 {n} 组", "Group {n}"),
    "dup_name": ("姓名（脱敏）", "Name (masked)"),
    "dup_member": ("成员", "Person"),
    "dup_none": ("没有发现重复登记的人员。", "No one is counted twice."),
    "dup_flag": ("标记以上住户，交普查员核实", "Flag these households for their enumerators to check"),
    "dup_flagged": ("共 {groups} 组、{households} 户，新标记 {flagged} 户。", "{groups} groups, {households} "
                    "households, {flagged} newly flagged."),
    "export_title": ("导出数据", "Export"),
    "export_intro": ("导出已提交和已入户登记住户的数据（CSV，每人一行），附编码说明。每次导出都会记录。",
                     "Download the data of submitted and enumerated households (CSV, one row per person), with a "
                     "codebook. Every export is recorded."),
    "export_masking": ("个人信息", "Personal data"),
    "export_masked": ("脱敏（默认）：姓名、身份号码、电话、住址部分隐藏，文字答案不导出", "Masked (default): names, "
                      "identity numbers, phones and addresses partly hidden, free-text answers left out"),
    "export_unmasked": ("不脱敏：包含完整个人信息", "Unmasked: personal data in full"),
    "export_confirm": ("我确认需要不脱敏的数据，并将依法保管", "I confirm I need the unmasked data and will keep it "
                       "as the law requires"),
    "export_confirm_hint": ("仅在选择“不脱敏”时需要。", "Needed only for the unmasked export."),
    "export_confirm_needed": ("导出不脱敏数据前，请勾选确认。", "Tick the confirmation to export unmasked data."),
    "export_download": ("下载 CSV", "Download the CSV"),
    "export_codebook": ("下载编码说明（Markdown）", "Download the codebook (Markdown)"),
    # staff administration (web.routes.staff_admin)
    "staff_title": ("普查员管理", "Enumerators"),
    "staff_intro": ("添加普查员账户，停用或恢复账户，把一位普查员的住户移交给另一位。每项操作都会记录。",
                    "Add enumerator accounts, disable or enable them, and move one enumerator's households to "
                    "another. Every change is recorded."),
    "staff_list": ("普查员", "Enumerators"),
    "staff_none": ("还没有普查员。", "No enumerators yet."),
    "staff_areas": ("负责的普查区", "Census areas"),
    "staff_households": ("负责的住户", "Households"),
    "staff_status": ("状态", "Status"),
    "staff_active": ("在用", "Active"),
    "staff_disabled": ("已停用", "Disabled"),
    "staff_disable": ("停用 {username}", "Disable {username}"),
    "staff_enable": ("恢复 {username}", "Enable {username}"),
    "staff_done_disabled": ("{username} 已停用，其登录已全部结束。", "{username} is disabled and signed out "
                            "everywhere."),
    "staff_done_enabled": ("{username} 已恢复，可以重新登录。", "{username} is enabled and can sign in again."),
    "staff_done_reassigned": ("已移交 {n} 户住户。", "{n} households moved."),
    "staff_add": ("添加普查员", "Add an enumerator"),
    "staff_add_intro": ("住户会在填报页面看到普查员的姓名和电话。", "Households see the enumerator's name and phone "
                        "number on their pages."),
    "staff_username_hint": ("用于登录：字母、数字和 . _ -", "Used to sign in: letters, digits and . _ -"),
    "staff_name": ("姓名", "Name"),
    "staff_name_hint": ("住户看到的姓名", "The name households see"),
    "staff_phone": ("手机或固定电话", "Mobile or landline number"),
    "staff_add_submit": ("添加并生成初始密码", "Add and make a first password"),
    "staff_added_title": ("已添加普查员 {username}", "Enumerator {username} added"),
    "staff_added_once": ("初始密码只显示这一次，系统不保存密码。请当面交给普查员。",
                         "The password is shown only this once and is not stored. Hand it to the enumerator in "
                         "person."),
    "staff_back": ("返回普查员管理", "Back to the enumerators"),
    "reassign_title": ("移交住户", "Move households"),
    "reassign_intro": ("把一位普查员的住户移交给另一位，住户页面随即显示新普查员的姓名和电话。新普查员须负责这些住户"
                       "所在的普查区，否则不移交任何住户。",
                       "Move one enumerator's households to another, whose name and phone their pages then show. "
                       "The new enumerator must work in the households' areas, or nothing moves."),
    "reassign_from": ("从普查员", "From"),
    "reassign_to": ("移交给", "To"),
    "reassign_every_area": ("全部普查区", "Every area"),
    "reassign_submit": ("移交住户", "Move the households"),
    "confirm_disable_title": ("停用普查员 {username}？", "Disable enumerator {username}?"),
    "confirm_disable_effect": ("该账户立即不能登录，正在进行的登录随即结束；以后可以恢复。",
                               "The account can no longer sign in and its open sessions end at once; you can "
                               "enable it again later."),
    "confirm_disable_households": ("{n} 户住户仍显示该普查员的姓名和电话，请把它们移交给其他普查员。",
                                   "{n} households still show this enumerator's name and phone: move them to "
                                   "another."),
    "confirm_disable_button": ("确认停用", "Yes, disable it"),
}

# Words for the engine's codes: every state, visit outcome, household type and form. (Routing
# reasons are named by their definitions: `engine.spec.reasons`, `web.reason_words`.)
STAFF_TEXTS.update({
    "state_registered": ("已登记", "Registered"),
    "state_credentials_issued": ("已发放账号", "Credentials issued"),
    "state_in_progress": ("填报中", "In progress"),
    "state_submitted": ("已提交", "Submitted"),
    "state_reopened": ("重新打开", "Reopened"),
    "state_routed": ("转普查员", "With enumerator"),
    "state_enumerated": ("已入户登记", "Enumerated"),
    "state_closed": ("已结案", "Closed"),
    "outcome_completed": ("完成登记", "Completed"),
    "outcome_nobody_home": ("无人在家（需再访）", "Nobody home (visit again)"),
    "outcome_refused": ("拒绝", "Refused"),
    "outcome_vacant": ("空房", "Vacant"),
    "outcome_demolished": ("已拆除", "Demolished"),
    "outcome_moved_away": ("已搬走", "Moved away"),
})

_MISSING = ([f"state_{s.value}" for s in HouseholdState]
            + [f"outcome_{o}" for o in VISIT_OUTCOMES] + [f"type_{t}" for t in HOUSEHOLD_TYPES])
if [k for k in _MISSING if k not in STAFF_TEXTS]:
    raise RuntimeError(f"staff texts missing: {[k for k in _MISSING if k not in STAFF_TEXTS]}")
_TWICE = sorted(k for k in STAFF_TEXTS if k in TEXTS and TEXTS[k] != STAFF_TEXTS[k])
if _TWICE:
    raise RuntimeError(f"staff texts redefine household texts: {_TWICE}")
add_texts(STAFF_TEXTS)

