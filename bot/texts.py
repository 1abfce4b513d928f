"""Every (Chinese, English) text pair the bot says in chat: thread status lines and command answers.

One module so a translation is fixed in one place and a new language is one more column. A text is
looked up by key and filled in with `say(key, language, *args)`.
"""

from __future__ import annotations

from typing import Any

Pair = tuple[str, str]


def localize(pair: Pair, language: str, *args: Any) -> str:
    """A (Chinese, English) text pair in the user's language, filled in."""
    return pair[0 if language == "zh" else 1].format(*args)


# ---- a recording's thread ------------------------------------------------------------------------------
THREAD: dict[str, Pair] = {
    "ack": ("收到录音《{0}》，正在转写…", "Got the recording {0}, transcribing…"),
    "decoding": ("正在解码音频…", "Decoding audio…"),
    "transcribing": ("正在转写：{0}/{1} 段", "Transcribing: {0}/{1} chunks"),
    "analysing": ("正在分析…", "Analysing…"),
    "held": (
        "录音已暂存，尚未转写：还没有候选人同意录音分析的记录。记录同意后（consent 姓名 grant）会自动开始处理；"
        "超过等待期未同意将删除。",
        "Recording held, not transcribed: the candidate's consent is not recorded. It starts by itself once "
        "consent is recorded (consent NAME grant); without consent it is deleted after the waiting period.",
    ),
    "done": ("✅ 报告已生成（见本话题）", "✅ Report ready (in this thread)"),
    "failed": ("⚠️ 无法处理这段录音：{0}", "⚠️ Could not process this recording: {0}"),
    "retrying": ("转写暂时失败，稍后自动重试。", "Transcription failed for now; retrying automatically."),
    "disk_full": (
        "服务器存储空间已满，这个文件没能保存，请稍后重新上传。",
        "The server has no room left to store this file; please upload it again later.",
    ),
    "too_big": (
        "这个文件超过了 {0} MB 的上限，请压缩或截短后再上传。",
        "This file is over the {0} MB limit; please compress or trim it and upload again.",
    ),
}

# ---- command answers -----------------------------------------------------------------------------------
COMMAND: dict[str, Pair] = {
    "help": ("用法", "Usage"),
    "verdict_not_member": (
        "只有报告所在频道的成员可以评价这份报告。",
        "Only members of the channel this report was posted in can give a verdict on it.",
    ),
    "verdict_gone": (
        "这场面试已被删除，评价没有保存。",
        "This interview was deleted; the verdict was not stored.",
    ),
    "verdict_bad": ("无法识别这个评价。", "That verdict could not be read."),
    "verdict_saved": ("已记录：{}（{}）", "Recorded: {} ({})"),
    "no_verdicts": ("这个频道还没有评价。", "No verdicts in this channel yet."),
    "verdict_stats": (
        "评价统计（面试官与报告的一致率）",
        "Verdicts: how often interviewers agree with the scores",
    ),
    "no_access": (
        "没有找到这个面试，或者你不在上传它的频道里。",
        "No such interview, or you are not in the channel it was uploaded to.",
    ),
    "none": ("还没有面试记录。", "No interviews yet."),
    "no_hits": ("没有找到匹配的内容。", "Nothing matched."),
    "unknown": (
        "不认识的命令：{0}。发送 help / 帮助 查看用法。",
        "Unknown command: {0}. Send help for usage.",
    ),
    "need_arg": ("请给出{0}。", "Please give {0}."),
    "qa_title": ("按问题整理的笔记", "notes by question"),
    "no_answers": ("没有找到相关的回答。", "No answer matched."),
    "consent_title": ("候选人同意记录", "Candidate consent"),
    "sent_privately": ("结果已私信发给你。", "Sent to you privately."),
    "consent_not_all": (
        "{0} 的部分面试在你不在的频道里，同意记录会影响全部面试：请管理员来记录。",
        "Some of {0}'s interviews are in channels you are not in, and consent acts on all of them: "
        "ask an admin.",
    ),
    "coach_dm_failed": (
        "无法私信面试官 {0}，这些提醒只发到了这里。",
        "The interviewer {0} could not be messaged privately; these notes reached only this channel.",
    ),
    "coaching_dm_failed": (
        "无法私信面试官 {0}：{1} 的辅导周报（{2} 场面试）没有送达。",
        "The interviewer {0} could not be messaged privately: their coaching digest of {1} ({2} "
        "interviews) was not delivered.",
    ),
    "coaching_on": (
        "本频道已开启辅导周报：{0}，每位本周在本频道有面试的面试官私信收到自己的一周复盘（不发到本频道）。",
        "This channel now has the weekly coaching digest: {0}, each interviewer with an interview here that "
        "week gets their own week privately (nothing is posted in this channel).",
    ),
    "coaching_status": (
        "本频道的辅导周报：{0}，私信发给每位面试官。关闭：辅导周报 关",
        "This channel's weekly coaching digest: {0}, privately to each interviewer. To stop: coaching off",
    ),
    "coaching_not_member": (
        "只有本频道的成员可以开关本频道的辅导周报。",
        "Only members of this channel can switch its weekly coaching digest on or off.",
    ),
    "coaching_off": ("本频道已关闭辅导周报。", "This channel no longer has the weekly coaching digest."),
    "coaching_was_off": (
        "本频道没有开启辅导周报。开启：辅导周报 开 [周一] [09:00] [时区]",
        "This channel has no weekly coaching digest. To start one: coaching on [monday] [09:00] [zone]",
    ),
    "coach_not_member": (
        "面试官 {0} 不是本次面试所在频道的成员，私信没有发出：这些提醒只发到了这里。",
        "The interviewer {0} is not a member of the interview's channel, so nothing went to them privately; "
        "these notes reached only this channel.",
    ),
    "coach_no_dm": (
        "面试官 {0} 不是可以私信的平台用户，没有私信可发：这些提醒只发到了这里。",
        "The interviewer {0} is not a platform user the bot can message: no private delivery was possible; "
        "these notes reached only this channel.",
    ),
    "interviewer_named": (
        "已记下面试官：{0}。复盘将私信发给面试官本人。",
        "Interviewer noted: {0}. The coaching note goes to them privately.",
    ),
    "interviewer_named_text": (
        "已记下面试官：{0}。不是平台用户，无法私信：复盘提醒只发到合规频道。",
        "Interviewer noted: {0}. Not a platform user, so nothing can go to them privately: the notes go only "
        "to the compliance channel.",
    ),
    "interviewer_late": (
        "面试复盘已经发出，面试官不能再改为 {0}。",
        "The coaching note has already gone out; the interviewer can no longer be changed to {0}.",
    ),
    "coach_title": ("你的面试趋势（仅你可见）", "Your interviewing trend (for you alone)"),
    "consent_granted": ("已记录：{0} 同意录音与分析。", "Recorded: {0} consents to recording and analysis."),
    "consent_refused": ("已记录：{0} 拒绝录音与分析。", "Recorded: {0} refuses recording and analysis."),
    "consent_withdrawn": ("已记录：{0} 撤回同意。", "Recorded: {0} withdraws consent."),
    "consent_released": ("{0} 段暂存的录音开始处理。", "{0} held recording(s) released for processing."),
    "consent_erased": (
        "已删除 {0} 场面试的录音、转写、分析、评价和搜索记录；删除了机器人发过的 {1} 条消息。",
        "Erased {0} interview(s): audio, transcripts, analyses, verdicts and search entries; deleted {1} "
        "of the bot's messages.",
    ),
    "qa_link": ("完整笔记（可点时间跳转录音）：{0}", "All notes, with the recording at each time: {0}"),
    "qa_more": ("……还有 {0} 个问题，见完整笔记。", "… {0} more questions: see all notes."),
    "deleted": (
        "已删除 {0}：录音、转写、分析、报告和搜索记录。",
        "Deleted {0}: audio, transcript, analysis, reports and search entries.",
    ),
    "profile_set": ("本频道的岗位模型已设为 {0}。", "This channel's job profile is now {0}."),
    "not_ready": ("面试 {0} 还在处理中（{1}）。", "Interview {0} is still being processed ({1})."),
    "no_candidate": (
        "没有找到候选人 {0}，或者你看不到他/她的任何面试。",
        "No candidate {0}, or none of their interviews is visible to you.",
    ),
    "renamed": ("候选人 {0} 已改名为 {1}。", "Candidate {0} is now called {1}."),
    "merged": (
        "已把 {0} 合并到 {1}（移动了 {2} 场面试）；以后名为 {0} 的录音也归到 {1}。",
        "Merged {0} into {1} ({2} interviews moved); recordings named {0} now link to {1}.",
    ),
    "assigned": ("面试 {0} 现在属于候选人 {1}。", "Interview {0} now belongs to {1}."),
    "decided": ("已记录对 {0} 的决定：{1}。", "Recorded the decision on {0}: {1}."),
    "two_names": ("请用 -> 分开两个名字，例如：{0}", "Separate the two names with ->, for example: {0}"),
    "subscribed": (
        "已订阅日报：每天 {0}（{1}）发到{2}，语言：{3}{4}。",
        "Subscribed: a digest every day at {0} ({1}) to {2}, in {3}{4}.",
    ),
    "unsubscribed": ("已退订{0}的日报。", "Unsubscribed {0} from the digest."),
    "not_subscribed": ("{0}没有订阅日报。", "{0} has no digest subscription."),
    "subscriptions": ("本频道的日报订阅", "Digest subscriptions of this channel"),
    "recent": ("最近的面试", "Recent interviews"),
    "search_title": ("搜索：{0}", "Search: {0}"),
    "summary": ("摘要", "summary"),
    "skip_note": ("，没有面试的日子不发", ", nothing on days without interviews"),
    "to_dm": ("你的私信", "your direct messages"),
    "to_channel": ("本频道", "this channel"),
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
    # what a command is missing ("请给出…" / "Please give …")
    "arg_words": ("关键词", "search words"),
    "arg_question": (
        "一个问题（最多 300 字），例如：提问 谁做过支付幂等？",
        "a question (at most 300 characters), e.g. ask who has built payment idempotency?",
    ),
    "arg_consent": (
        "候选人姓名和 同意|拒绝|撤回（grant|refuse|withdraw），例如：同意 张伟 grant",
        "the candidate's name and grant|refuse|withdraw, e.g. consent Jane grant",
    ),
    "arg_profile": ("岗位名", "a profile name"),
    "arg_interview": ("面试 id", "an interview id"),
    "arg_candidate": ("候选人姓名", "a candidate name"),
    "arg_decision": ("姓名和决定（通过/淘汰/录用）", "a name and advance, reject or offer"),
}

DIGEST_HELP: Pair = (
    "日报 订阅 [我] [HH:MM] [时区] [跳过空] — 每天定时发送日报（默认 18:00）；日报 退订 [我]；日报 列表；"
    "日报 — 预览最近 24 小时",
    "digest subscribe [me] [HH:MM] [timezone] [skip-empty] — a daily digest (default 18:00); "
    "digest unsubscribe [me]; digest list; digest — preview the last 24 hours",
)
HELP_LINES: list[Pair] = [
    ("报告 [id|最新] — 查看面试报告", "report [id|latest] — show an interview report"),
    (
        "笔记 [id|最新] — 按问题整理的笔记（问题、回答要点、能力、追问）",
        "qa [id|latest] — notes by question (answers' key sentences, competencies, follow-ups)",
    ),
    ("提问 <问题> — 跨面试查找候选人的回答", "ask <question> — candidates' answers across interviews"),
    (
        "同意 <姓名> grant|refuse|withdraw — 记录候选人是否同意录音分析（拒绝或撤回会删除其数据）",
        "consent <name> grant|refuse|withdraw — record a candidate's consent (refusal erases their data)",
    ),
    ("告知 — 给候选人的录音与分析告知", "notice — the recording and analysis notice for candidates"),
    (
        "复盘 — 你自己最近 30 天的面试方式，对比团队（仅你可见）",
        "coach — your own interviewing over 30 days against the team (only you see it)",
    ),
    (
        "辅导周报 开 [周一] [09:00] [时区] | 关 | 状态 — 每周私信每位面试官自己的一周复盘（本频道）",
        "coaching on [monday] [09:00] [zone] | off | status — each interviewer's week, privately, weekly",
    ),
    ("列表 [n] — 最近的面试", "list [n] — recent interviews"),
    ("搜索 <关键词> — 搜索逐字稿", "search <words> — search transcripts"),
    (
        "候选人 <姓名> — 候选人全景图（各轮、走势、矛盾、下一轮重点）",
        "candidate <name> — the candidate panorama (rounds, trends, contradictions, next-round focus)",
    ),
    (
        "候选人 改名 <旧名> -> <新名> | 合并 <名字> -> <名字> | 归属 <面试 id> -> <名字> — 修正候选人关联",
        "candidate rename <old> -> <new> | merge <name> -> <name> | assign <interview id> -> <name> — "
        "fix links",
    ),
    (
        "决定 <姓名> 通过|淘汰|录用 — 记录招聘决定",
        "decide <name> advance|reject|offer — record a hiring decision",
    ),
    DIGEST_HELP,
    (
        "岗位 <backend|frontend|data|hrbp|product> — 设置本频道的岗位模型",
        "profile <backend|frontend|data|hrbp|product> — set this channel's job profile",
    ),
    (
        "删除 <id> — 删除一场面试的全部数据",
        "delete <id> — delete an interview and everything derived from it",
    ),
    (
        "评价 — 本频道面试官对报告评分的一致率（按能力、按分析版本）",
        "verdicts — how often this channel's interviewers agree with the scores (per competency, version)",
    ),
    ("帮助 — 显示本说明", "help — this help"),
]

# ---- scorecard drafts sent to the ATS (bot.ats) -------------------------------------------------------
ATS: dict[str, Pair] = {
    "ats_sent": (
        "已作为草稿笔记发送到 {0}（笔记 {1}），请在 ATS 中审阅。",
        "Sent to {0} as a draft note ({1}) for a person to review.",
    ),
    "ats_already_sent": (
        "这份分析已经发送到 {0}（笔记 {1}），此后没有变化，没有再发。",
        "Already sent to {0} (note {1}); nothing changed since, so nothing was sent.",
    ),
    "ats_superseded": (
        "已发送到 {0}（笔记 {1}），注明取代之前的笔记。",
        "Sent to {0} (note {1}); it says it supersedes the earlier note.",
    ),
    "ats_failed": (
        "发送到 ATS 没有成功：{0}。稍后再点一次即可，不会重复发送。",
        "Sending to the ATS did not work: {0}. Click again later; nothing will be sent twice.",
    ),
    "ats_ask": (
        "{0} 在 ATS 中有多个申请，请选择要发送到哪一个：",
        "{0} has several applications in the ATS; pick the one to send the draft to:",
    ),
    "ats_not_member": (
        "只有报告所在频道的成员可以把它发送到 ATS。",
        "Only members of the channel this report was posted in can send it to the ATS.",
    ),
    "ats_pending": (
        "正在发送到 ATS，结果稍后发在本话题。",
        "Sending to the ATS; the outcome follows in this thread.",
    ),
}

TEXTS: dict[str, Pair] = {**THREAD, **COMMAND, **ATS}


def say(key: str, language: str, *args: Any) -> str:
    return localize(TEXTS[key], language, *args)


def help_lines(language: str) -> list[str]:
    return [localize(pair, language) for pair in HELP_LINES]


# ---- reports, digests and panoramas (bot/render.py fills the templates with these) -------------------------
# ---- report labels ---------------------------------------------------------------------------------------
REPORT: dict[str, Pair] = {
    "summary": ("摘要", "Summary"),
    "strengths": ("核心优势", "Strengths"),
    "to_verify": ("待验证点", "To verify"),
    "recommendation": ("综合建议", "Recommendation"),
    "competencies": ("能力评估", "Competencies"),
    "followups": ("建议追问", "Suggested follow-up questions"),
    "corrections": ("术语修正", "Term corrections"),
    "transcript": ("逐字稿", "Transcript"),
    "overall": ("综合", "Overall"),
    "no_evidence": ("无证据", "no evidence"),
    "full_report": ("查看完整报告", "Open the full report"),
    "qa": ("按问题整理的笔记", "Notes by question"),
    "human_decision": (
        "本报告辅助招聘团队作决定，不是自动化决定。",
        "This report supports a human decision; it is not an automated one.",
    ),
    "report_tab": ("报告", "Report"),
    "evidence": ("证据", "Evidence"),
    "original": ("原始识别", "heard"),
    "corrected": ("上下文修正", "corrected to"),
    "interviewer": ("面试官", "Interviewer"),
    "candidate": ("候选人", "Candidate"),
    "speech": ("表达特征（仅供参考，不计分）", "Speech features (for context, never scored)"),
    "pause": ("思考停顿", "thinking pause"),
    "filler": ("语气词", "filler"),
    "none": ("无", "none"),
    "agree": ("同意", "agree"),
    "too_high": ("偏高", "too high"),
    "too_low": ("偏低", "too low"),
    "wrong_evidence": ("证据不对", "wrong evidence"),
    "missed": ("漏评", "missed"),
    "add_missed": ("补一项漏评的能力", "Add a competency it missed"),
    "send_ats": ("发送到 ATS", "Send to ATS"),
    "verdicts": ("评价", "Verdicts"),
    "your_name": ("你的名字", "Your name"),
    "need_name": (
        "请先填写你的名字（只保存在这个浏览器里）。",
        "Enter your name first (kept in this browser only).",
    ),
    "vote_saved": ("已记录：{0}", "Recorded: {0}"),
    "vote_failed": ("没有保存，请稍后再试。", "Not stored; please try again shortly."),
    "vote_expired": (
        "报告链接无效或已过期，评价没有保存。",
        "This report link is invalid or has expired; not stored.",
    ),
    "vote_gone": (
        "这场面试已被删除，评价没有保存。",
        "This interview was deleted; the verdict was not stored.",
    ),
}

# ---- digest labels ---------------------------------------------------------------------------------------
DIGEST: dict[str, Pair] = {
    "title": ("面试日报", "Interview digest"),
    "window": ("时间段", "Window"),
    "late": (
        "迟发：原定 {0}（{1}）发送，当时服务不在线；本期覆盖上次日报以来的全部面试。",
        "Late: this digest was due at {0} ({1}) while the service was down; it covers everything since "
        "the last one.",
    ),
    "empty": ("这段时间没有完成的面试。", "No interviews were completed in this period."),
    "interviews": ("今日面试", "Interviews"),
    "waiting": ("等待决定的候选人", "Waiting for a decision"),
    "questions": ("尚未追问的问题", "Follow-up questions not yet asked"),
    "strength": ("亮点", "Strength"),
    "to_verify": ("待验证", "To verify"),
    "report": ("查看报告", "Open report"),
    "processing": ("另有 {0} 场面试正在处理。", "{0} more interviews are still being processed."),
    "failed": ("处理失败：{0}", "Failed: {0}"),
    "days": ("已等待 {0} 天", "waiting {0} days"),
    "rounds": ("{0} 轮", "{0} rounds"),
    "more": ("……另有 {0} 场，见 `list`", "…and {0} more, see `list`"),
    "agreement": (
        "近 7 天面试官认同 {1} 个评分中的 {0}",
        "Interviewers agreed with {0} of {1} scores in the last 7 days",
    ),
    "disputed": ("；争议最多：{0}（{1}）", "; most disputed: {0} ({1})"),
}

# ---- panorama labels -------------------------------------------------------------------------------------
PANORAMA: dict[str, Pair] = {
    "title": ("候选人全景图", "Candidate panorama"),
    "rounds": ("各轮面试", "Rounds"),
    "trend": ("能力走势", "Competency trend"),
    "unverified": ("仍待验证", "Still unverified"),
    "pending": ("尚未追问", "Not yet asked"),
    "contradictions": ("前后矛盾的说法", "Statements that contradict each other"),
    "focus": ("下一轮建议重点", "Focus for the next round"),
    "none": ("无", "none"),
    "interviewer": ("面试官", "interviewer"),
    "report": ("报告", "report"),
    "overall": ("综合", "overall"),
}

# ---- recommendations and decisions -----------------------------------------------------------------------
RECOMMENDATION: dict[str, Pair] = {
    "advance": ("建议推进", "advance"),
    "hold": ("暂缓", "hold"),
    "decline": ("不建议", "decline"),
}

DECISION: dict[str, Pair] = {
    "advance": ("已决定：进入下一轮", "decided: next round"),
    "reject": ("已决定：不通过", "decided: rejected"),
    "offer": ("已决定：录用", "decided: offer"),
}

DIGEST_TITLE: Pair = ("面试日报", "Interview digest")

# ---- facts compared across rounds (panorama) ------------------------------------------------------------
FACT_KIND: dict[str, Pair] = {
    "years": ("工作年限", "years of experience"),
    "team_size": ("团队规模", "team size"),
    "peak_requests": ("峰值请求量", "peak load"),
    "led_team": ("是否带过团队", "whether they led a team"),
    "role": ("在项目中的角色", "their role in the project"),
}
PANORAMA_LINES: dict[str, Pair] = {
    "clarify": ("核实{0}：{1}说“{2}”，{3}说“{4}”", 'Clarify {0}: {1} said "{2}", {3} said "{4}"'),
    "no_evidence_any": ("{0}：各轮都没有证据", "{0}: no evidence in any round"),
}


def table(pairs: dict[str, Pair], language: str) -> dict[str, str]:
    """A whole table of pairs in one language, unformatted (a template fills in the {0}s itself)."""
    return {key: pair[0 if language == "zh" else 1] for key, pair in pairs.items()}
