//! The UI's two languages (繁體中文, English): which one a request wants, and every UI string.
//! Document text is never translated here; that is the translators' work in the repository.

use std::collections::BTreeMap;

use axum::http::HeaderMap;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhTw,
    En,
}

pub const COOKIE: &str = "lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::ZhTw => Lang::En,
            Lang::En => Lang::ZhTw,
        }
    }

    /// `zh-TW`, `zh`, `zh-Hant`... → Chinese; `en`, `en-GB`... → English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") || tag.starts_with("zh_") {
            Some(Lang::ZhTw)
        } else if tag == "en" || tag.starts_with("en-") || tag.starts_with("en_") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The UI language of a request: `?lang=`, then the `lang` cookie, then
    /// `Accept-Language` (by q-value), then Chinese.
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = query.and_then(Lang::from_tag) {
            return lang;
        }
        let cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| Lang::from_tag(v));
        if let Some(lang) = cookie {
            return lang;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut best: Option<(f32, Lang)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::ZhTw, |(_, lang)| lang)
    }

    /// Every UI string in this language, keyed as templates use them (`t.history`).
    pub fn strings(self) -> BTreeMap<&'static str, &'static str> {
        STRINGS
            .iter()
            .map(|(key, zh, en)| (*key, if self == Lang::ZhTw { *zh } else { *en }))
            .collect()
    }
}

/// (key, 繁體中文, English)
const STRINGS: &[(&str, &str, &str)] = &[
    ("site_name", "codraft 共筆行動方案", "codraft"),
    ("lang_name", "中文", "English"),
    ("switch_to", "English", "中文"),
    ("skip_to_content", "跳至主要內容", "Skip to main content"),
    ("home", "首頁", "Home"),
    ("period", "期程", "Period"),
    ("area", "範疇", "Area"),
    ("areas", "範疇與承諾事項", "Areas and commitments"),
    ("commitment", "承諾事項", "Commitment"),
    ("commitments_count", "項承諾事項", "commitments"),
    ("number", "編號", "No."),
    ("lead_agencies", "主辦機關", "Lead agencies"),
    ("co_agencies", "協辦機關", "Co-lead agencies"),
    ("ogp_values", "OGP 核心價值", "OGP values"),
    ("ogp_transparency", "透明", "Transparency"),
    ("ogp_participation", "公共參與", "Civic participation"),
    ("ogp_accountability", "課責", "Public accountability"),
    ("sdgs", "永續發展目標", "Sustainable Development Goals"),
    ("milestones", "可量化或驗證之衡量指標", "Verifiable milestones"),
    ("milestone", "指標", "Milestone"),
    ("start", "起始", "Start"),
    ("end", "結束", "End"),
    ("contact", "聯絡資訊", "Contact"),
    ("contact_name", "承辦人員", "Name"),
    ("contact_title", "職稱與部門", "Title and unit"),
    ("contact_email_phone", "Email 與電話", "Email and phone"),
    ("participants", "其他參與人員", "Other participants"),
    ("participants_government", "相關政府機關人員", "Government"),
    ("participants_civil_society", "公民社會團體、私部門或工作團隊", "Civil society, private sector, working groups"),
    ("none", "（無）", "(none)"),
    ("history", "修訂歷程", "History"),
    ("history_of", "修訂歷程：", "History of "),
    ("history_intro", "每一次修改都是 git 儲存庫中的一個 commit；點選版本可檢視當時的全文。", "Every change is a commit in the git repository; open a version to read the whole text as it was."),
    ("author", "作者", "Author"),
    ("date", "時間", "Date"),
    ("change", "修改說明", "Change"),
    ("version", "版本", "Version"),
    ("view_version", "檢視此版本", "View this version"),
    ("viewing_version", "您正在檢視的版本：", "You are reading the version at "),
    ("back_to_current", "回到目前版本", "Back to the current version"),
    ("sector_government", "政府", "Government"),
    ("sector_civil_society", "民間", "Civil society"),
    ("json_twin", "JSON 格式", "JSON"),
    ("document_language", "文件語言", "Document language"),
    ("doc_lang_zh-TW", "中文（主版本）", "Chinese (master)"),
    ("doc_lang_en", "英文翻譯", "English translation"),
    ("no_translation", "尚無此語言版本。", "No version in this language yet."),
    ("invalid_document", "此文件目前有格式問題，無法顯示：", "This document has problems and cannot be shown:"),
    ("problems_in_plan", "儲存庫中有文件需要修正：", "Some documents in the repository need fixing:"),
    ("clone_hint", "整份行動方案與完整歷程都存放在 git 儲存庫中，任何人都可以複製、查核。", "The whole plan and its full history live in a git repository that anyone can clone and audit."),
    ("not_found", "找不到頁面", "Not found"),
    ("bad_request", "請求有誤", "Bad request"),
    ("server_error", "伺服器錯誤", "Server error"),
    ("error_back", "回到首頁", "Back to the home page"),
    ("footer", "codraft — 政府與民間共同撰寫開放政府國家行動方案", "codraft — government and civil society write the open-government national action plan together"),
    // proposals, reviews, diffs
    ("proposals", "修正提案", "Proposals"),
    ("proposals_intro", "每一項修正提案都是 git 儲存庫中的一個分支；兩個部門的工作小組成員都核可目前版本後，才能併入主線。", "Every proposal is a branch of the git repository; it reaches main only after working-group members of both sectors approved its current version."),
    ("no_proposals", "目前沒有修正提案。", "No proposals yet."),
    ("new_proposal", "提出修正", "New proposal"),
    ("propose_change", "提出修正", "Propose a change"),
    ("new_proposal_intro", "先寫下標題與說明，接著在表單中修改承諾事項；提案會建立自己的分支，不會直接改動主線。", "Give a title and a description, then edit the commitment in the form; the proposal gets its own branch and does not touch main."),
    ("proposal_title", "提案標題", "Title"),
    ("proposal_description", "說明（為何修改）", "Description (why this change)"),
    ("edit_which", "要修改的承諾事項", "Commitment to edit"),
    ("or_new_commitment", "或新增承諾事項（代碼）", "Or add a new commitment (id)"),
    ("open_proposal", "建立提案", "Open the proposal"),
    ("state_open", "審查中", "Open"),
    ("state_merged", "已併入", "Merged"),
    ("state_closed", "已撤回", "Closed"),
    ("branch", "分支", "Branch"),
    ("head", "目前版本", "Head"),
    ("merged_as", "已併入主線：", "Merged into main as "),
    ("behind_main", "主線在此提案之後已有其他修改。", "main has changed since this proposal branched off."),
    ("update_from_main", "同步主線的修改", "Bring up to date with main"),
    ("approval", "核可狀態", "Approval"),
    ("approval_rule_1", "規則：提案涉及的每一項承諾事項，都需要該工作小組中至少 ", "Rule: for every commitment the proposal touches, at least "),
    ("approval_rule_2", " 位政府代表與 ", " government and "),
    ("approval_rule_3", " 位民間代表核可目前版本，且沒有未解決的修改要求。", " civil-society member(s) of its working group must approve the current version, and no request for changes may stand."),
    ("nothing_changed_yet", "此提案尚未修改任何文件。", "This proposal changes nothing yet."),
    ("missing", "尚缺", "Missing"),
    ("complete", "已齊備", "Complete"),
    ("working_group", "工作小組：", "Working group: "),
    ("forum_approves", "由論壇成員核可", "approved by forum members"),
    ("changes_requested_by", "要求修改：", "Changes requested by: "),
    ("ready_to_merge", "已符合核可規則，可以併入主線。", "The rule is met: the proposal can be merged."),
    ("merge", "併入主線", "Merge into main"),
    ("edit_proposal", "修改提案內容", "Edit the proposal"),
    ("edit", "編輯", "Edit"),
    ("edit_live", "共同即時編輯", "Co-edit live"),
    ("edit_live_which", "與工作小組即時共筆", "Co-edit live with the working group"),
    ("add_commitment", "新增", "Add"),
    ("delete_which", "刪除承諾事項", "Delete a commitment"),
    ("delete_commitment", "在此提案中刪除", "Delete in this proposal"),
    ("changes", "修改內容", "Changes"),
    ("view", "檢視方式", "View"),
    ("view_inline", "合併檢視", "Inline"),
    ("view_split", "左右對照", "Side by side"),
    ("reviews", "審查意見", "Reviews"),
    ("your_review", "您對此版本的審查：", "Your review of version "),
    ("verdict_comment", "意見", "Comment"),
    ("verdict_approve", "核可", "Approve"),
    ("verdict_request_changes", "要求修改", "Request changes"),
    ("own_proposal_note", "（提案人不能核可自己的提案）", "(authors cannot approve their own proposal)"),
    ("review_section", "針對段落（選填）", "About a section (optional)"),
    ("review_body", "內容", "Text"),
    ("submit_review", "送出審查", "Submit review"),
    ("sign_in_to_review", "後即可審查。", "to review."),
    ("no_reviews", "尚無審查意見。", "No reviews yet."),
    ("stale", "已過時（版本已更新）", "Stale (the proposal changed)"),
    ("counts", "計入核可", "Counts"),
    ("on_version", "版本", "on"),
    ("close_proposal", "撤回提案", "Close the proposal"),
    ("brought_up_to_date", "主線與此提案修改了同一段文字：提案已與主線合併更新（請檢視下方差異），需要重新核可後才能併入。", "main and this proposal changed the same text: the proposal was brought up to date with main (see the diff below) and must be approved again before it can merge."),
    ("proposal_not_open", "此提案已結束，不能再修改。", "This proposal is no longer open."),
    ("compare", "比較版本", "Compare versions"),
    ("from_ref", "從（分支、標籤或版本）", "From (branch, tag or commit)"),
    ("to_ref", "到", "To"),
    ("changed_commitments", "有修改的承諾事項", "Commitments changed"),
    ("diff_empty", "兩個版本之間沒有差異。", "The two versions are the same."),
    ("diff_invalid", "此文件在其中一個版本有格式問題，無法比較。", "This document is invalid in one of the versions and cannot be compared."),
    ("diff_timed_out", "差異過大，部分內容以較粗略的方式比較。", "The change is very large: some parts are compared coarsely."),
    ("other_files", "其他檔案", "Other files"),
    ("heading_was", "原標題：", "Heading was:"),
    ("before", "修改前", "Before"),
    ("after", "修改後", "After"),
    ("unchanged_sections", "未修改的段落數：", "Unchanged sections: "),
    ("status_added", "新增", "added"),
    ("status_deleted", "刪除", "deleted"),
    ("status_changed", "修改", "changed"),
    ("status_unchanged", "未修改", "unchanged"),
    ("status_invalid", "格式有誤", "invalid"),
    ("lead_agency", "主辦機關", "Lead agency"),
    ("co_agency", "協辦機關", "Co-lead agency"),
    ("field_id", "代碼", "Id"),
    ("field_title", "承諾事項名稱", "Title"),
    ("field_period_start", "期程起", "Period start"),
    ("field_period_end", "期程迄", "Period end"),
    ("field_contact_title", "職稱", "Title"),
    ("field_contact_unit", "單位", "Unit"),
    ("field_contact_email", "Email", "Email"),
    ("field_contact_phone", "電話", "Phone"),
    // the edit form
    ("new_document", "撰寫", "Write"),
    ("edit_intro", "每個欄位與段落都可以直接修改；儲存後會成為此提案分支上的一個 commit，並重新送審。", "Edit any field or section; saving adds a commit to the proposal's branch and the proposal goes back to review."),
    ("form_problems", "請修正以下問題後再儲存：", "Please fix these problems and save again:"),
    ("basic_fields", "基本資料", "Basic fields"),
    ("one_per_line", "（每行一個）", "(one per line)"),
    ("milestones_help", "留空的列不會儲存；新指標可不填代碼，系統會自動編號。", "Empty rows are ignored; a new milestone without an id is numbered for you."),
    ("remove", "移除", "Remove"),
    ("sections", "段落", "Sections"),
    ("sections_help", "段落代碼（例如 problem）讓翻譯、意見與差異能對應到同一段落，請勿任意更改。留空的最後一段不會儲存。", "Section ids (e.g. problem) let translations, comments and diffs follow a section: keep them. The empty last section is ignored unless you fill it."),
    ("section_heading", "段落標題", "Heading"),
    ("section_id", "段落代碼", "Section id"),
    ("section_text", "內容（Markdown）", "Text (Markdown)"),
    ("commit_message", "修改說明（選填）", "What you changed (optional)"),
    ("commit_message_placeholder", "例如：依第二次論壇決議修正指標文字", "e.g. reword milestone 2 as agreed at the forum"),
    ("save_to_proposal", "儲存到提案", "Save to the proposal"),
    // signing in
    ("sign_in", "登入", "Sign in"),
    ("sign_out", "登出", "Sign out"),
    ("login_name", "帳號或 Email", "Account or email"),
    ("password", "密碼", "Password"),
    ("sign_in_help", "帳號由秘書處以 codraft user add 建立。", "Accounts are created by the secretariat with codraft user add."),
    ("sign_in_first", "請先登入。", "Please sign in first."),
    ("login_failed", "帳號或密碼不正確。", "Wrong account or password."),
    ("login_limited", "登入失敗次數過多，請稍後再試。", "Too many failed sign-ins; try again later."),
    ("csrf_failed", "表單已過期，請重新整理頁面後再試一次。", "The form has expired; reload the page and try again."),
    ("bad_form", "表單內容無法解讀。", "The form could not be read."),
    // live editing (templates/editor.html, static/live.js)
    ("live_heading", "即時共筆", "Live editing"),
    ("live_group_basic", "基本資料", "Basic fields"),
    ("live_group_contact", "聯絡資訊", "Contact"),
    ("live_group_participants", "其他參與人員", "Other participants"),
    ("live_group_milestones", "可量化或驗證之衡量指標", "Verifiable milestones"),
    ("live_group_sections", "段落", "Sections"),
    ("live_noscript", "您的瀏覽器沒有執行 JavaScript，以下內容僅供閱讀。", "JavaScript is not running in your browser: the text below is read-only."),
    ("live_needs_js", "即時共筆需要 JavaScript。", "Live editing needs JavaScript."),
    ("live_use_plain_form", "改用一般編輯表單", "Use the plain edit form"),
    ("live_panel", "共筆狀態", "Editing status"),
    ("live_connecting", "連線中…", "Connecting…"),
    ("live_live", "即時共筆中：所有修改都已存到伺服器。", "Live: every change is saved on the server."),
    ("live_saving", "正在傳送您的修改…", "Sending your changes…"),
    ("live_offline", "目前離線：您的修改保留在這個頁面，恢復連線後會自動送出。", "Offline: your changes are kept on this page and will be sent when you are back online."),
    ("live_reconnecting", "連線中斷，正在重新連線；您的修改會保留。", "Connection lost, reconnecting; your changes are kept."),
    ("live_error", "錯誤：", "Error: "),
    ("live_stopped", "即時共筆已停止，請重新載入頁面或改用一般編輯表單。", "Live editing stopped: reload the page or use the plain edit form."),
    ("live_saved_as", "已儲存為版本 ", "Saved as version "),
    ("live_save_version", "儲存版本", "Save a version"),
    ("live_saving_version", "正在儲存版本…", "Saving a version…"),
    ("live_save_help", "您輸入的內容會即時存到伺服器；「儲存版本」會把目前的內容提交為分支上的一個 commit。停止輸入 30 秒後也會自動儲存版本。", "What you type is kept on the server at once; “Save a version” commits the current text to the branch. A version is also saved 30 seconds after the last edit."),
    ("live_people", "正在編輯的人", "Who is editing"),
    ("live_you", "（您）", "(you)"),
    ("live_alone", "目前沒有其他人在編輯。", "Nobody else is editing right now."),
    ("live_in_field", "正在編輯：", "in: "),
    ("live_not_in_field", "未在任何欄位中", "not in a field"),
    ("live_editing", "正在編輯此欄位", "is editing this field"),
    ("live_field_removed", "此欄位已被移除，無法再編輯。", "This field was removed and can no longer be edited."),
    ("live_structure_changed", "有人以提交新增或移除了段落或指標。", "A commit added or removed sections or milestones."),
    ("live_reload", "重新載入頁面", "Reload the page"),
    ("live_structure_help", "新增或移除段落與指標，請使用一般編輯表單：", "To add or remove sections and milestones:"),
    // ---- translation sync
    ("ts_stale_label", "翻譯可能已過時：", "The translation may be out of date:"),
    ("ts_stale_on", "中文主版本於 {date} 修改。", "the Chinese changed on {date}."),
    ("ts_stale_since", "中文主版本自 {commit} 後有修改。", "the Chinese changed since {commit}."),
    ("ts_read_master", "閱讀中文主版本", "Read the Chinese"),
    ("ts_nav", "翻譯", "Translations"),
    ("ts_dashboard_title", "翻譯同步", "Translation sync"),
    ("ts_dashboard_intro", "每項承諾的譯文與中文主版本是否同步：最需要更新的排在最前。", "Whether each commitment's translation follows the Chinese master: the most out of date first."),
    ("ts_dashboard_caption", "各承諾事項的譯文狀態（單位數）", "Translation status of each commitment (units)"),
    ("ts_baseline", "比對基準", "Compare with"),
    ("ts_show", "顯示", "Show"),
    ("ts_baseline_is", "基準：{baseline}", "Baseline: {baseline}"),
    ("ts_state_up_to_date", "已同步", "Up to date"),
    ("ts_state_stale", "待更新", "Stale"),
    ("ts_state_missing", "未翻譯", "Missing"),
    ("ts_state_orphaned", "已刪除", "Orphaned"),
    ("ts_changes_since", "同步後主版本修改 {n} 次", "master changed {n}× since the sync"),
    ("ts_no_record", "尚無同步紀錄", "no sync record yet"),
    ("ts_view_title", "翻譯：承諾事項", "Translation: commitment"),
    ("ts_read_translation", "閱讀譯文頁面", "Read the translation"),
    ("ts_synced_done", "已標記 {n} 個單位為同步。", "{n} units marked synced."),
    ("ts_master_last_changed", "主版本最後修改於", "master last changed in"),
    ("ts_edit_title", "編輯{language}譯文", "Edit the {language}"),
    ("ts_edit_help", "譯文的修改與其他修改一樣經由提案送出；提案合併後，再回到此頁標記同步。", "Translations change through proposals like any other change; once the proposal is merged, come back here to mark the units synced."),
    ("ts_edit_in", "在即時編輯器中編輯：提案", "Edit live in proposal"),
    ("ts_proposal_page", "提案頁面", "proposal page"),
    ("ts_new_proposal_title", "新提案標題", "New proposal's title"),
    ("ts_new_proposal", "開啟提案並編輯譯文", "Open a proposal and edit the translation"),
    ("ts_units", "逐段比對", "Section by section"),
    ("ts_not_translated", "尚未翻譯。", "Not translated yet."),
    ("ts_master_diff", "主版本自同步版本 {commit} 以來的修改", "How the master changed since {commit}, the version last synced"),
    ("ts_mark_unit", "標記為同步", "Mark synced"),
    ("ts_edit_unit", "在即時編輯器中編輯此欄", "Edit this field live"),
    ("ts_orphaned_title", "主版本已刪除的單位", "Units the master no longer has"),
    ("ts_orphaned_help", "譯文或同步紀錄中仍有這些單位，但中文主版本已刪除它們：請在譯文中一併刪除。", "The translation or its record still has these units, but the master removed them: remove them from the translation too."),
    ("ts_mark_title", "標記勾選的單位為同步", "Mark the ticked units synced"),
    ("ts_mark_help", "同步對象為主版本 {commit}；若主版本在此期間又被修改，將拒絕標記。譯文未修改的單位須說明理由（例如主版本只改了標點）。", "They are synced with master {commit}; if the master changes meanwhile, the marking is refused. A unit whose translation did not change needs a reason (e.g. the master only changed punctuation)."),
    ("ts_reason", "理由（譯文未修改時必填）", "Reason (needed when the translation did not change)"),
    ("ts_mark_submit", "標記為同步", "Mark synced"),
    ("ts_sign_in_to_sync", "後，譯者可標記同步。", "— translators can then mark units synced."),
    ("ts_err_master_moved", "主版本在您檢視後又有修改：請重新檢視修改內容後再標記。", "The master changed since you loaded this page: look at the change and mark again."),
    ("ts_err_reason_required", "有單位的譯文自上次同步後未修改：請填寫理由說明為何仍然適用。", "A ticked unit's translation did not change since its last sync: give a reason why it still fits."),
    ("ts_err_no_units", "請至少勾選一個單位。", "Tick at least one unit."),
    ("ts_err_not_translated", "勾選的單位尚未翻譯。", "A ticked unit is not translated yet."),
    // ---- public input
    ("in_nav", "民眾意見", "Input"),
    ("in_title", "民眾意見與回應", "Public input and responses"),
    ("in_intro", "任何人都可以對行動方案提出意見：新增承諾事項、修改承諾事項或段落、或刪除承諾事項。每則意見都會分派給主辦機關，並公開其採納與否及理由。", "Anyone can send input on the plan: a new commitment, a change to a commitment or one of its sections, or a deletion. Each input goes to the lead agency, whose answer — adopted or not, and why — is public."),
    ("in_send", "提出意見", "Send input"),
    ("in_send_intro", "不需登入。您的姓名與單位會公開；聯絡方式僅供秘書處聯繫您，不會公開，也不會存入公開的儲存庫。", "No account needed. Your name and organisation are public; your contact is only for the secretariat to reach you, never published and never stored in the public repository."),
    ("in_filtered", "只顯示關於此承諾事項的意見：", "Only input on:"),
    ("in_all", "顯示全部", "Show all"),
    ("in_waiting_title", "待回應（依機關）", "Waiting for an answer, per agency"),
    ("in_waiting_none", "目前沒有待回應的意見。", "No input is waiting for an answer."),
    ("in_agency", "機關", "Agency"),
    ("in_count", "件數", "Inputs"),
    ("in_oldest", "最久", "Oldest"),
    ("in_inputs", "意見", "Input"),
    ("in_days", "{n} 天", "{n} days"),
    ("in_unrouted", "尚未分派（秘書處）", "Not routed yet (secretariat)"),
    ("in_all_title", "所有意見", "All input"),
    ("in_none", "尚無任何意見。", "No input yet."),
    ("in_hidden_title", "（已隱藏）", "(hidden)"),
    ("in_state_hidden", "已隱藏", "Hidden"),
    ("in_state_waiting", "待回應", "Waiting"),
    ("in_kind", "意見類型", "What kind of input"),
    ("in_kind_change", "修改承諾事項", "Change a commitment"),
    ("in_kind_deletion", "刪除承諾事項", "Delete a commitment"),
    ("in_kind_new_commitment", "新增承諾事項", "New commitment"),
    ("in_kind_help_change", "對某承諾事項或其中一段提出修改建議", "a change to a commitment or one of its sections"),
    ("in_kind_help_deletion", "建議刪除整個承諾事項並說明理由", "remove a whole commitment, with your reasons"),
    ("in_kind_help_new_commitment", "依承諾事項建議表提出新的承諾事項", "propose a new commitment with the commitment form"),
    ("in_commitment", "相關承諾事項", "Commitment"),
    ("in_commitment_help", "修改或刪除時必填；新增承諾事項時免填。", "Needed for a change or a deletion; leave empty for a new commitment."),
    ("in_section", "段落", "Section"),
    ("in_whole_commitment", "整個承諾事項", "The whole commitment"),
    ("in_input_title", "意見摘要（一句話）", "Your input in one line"),
    ("in_text", "內容", "Details"),
    ("in_text_help", "修改或刪除時必填：希望如何修改、為什麼。可使用 Markdown。", "Needed for a change or a deletion: what should change, and why. Markdown works."),
    ("in_new_fields", "新增承諾事項建議表", "The commitment form (for a new commitment)"),
    ("in_new_fields_help", "依「我國開放政府行動方案承諾事項建議表」，填寫您能提供的欄位。", "The fields of the plan's commitment form: fill in what you can."),
    ("in_field_agencies", "建議主（協）辦機關", "Suggested lead and supporting agencies"),
    ("in_field_problem", "承諾事項將涉及哪些公共問題？", "What public problem does it address?"),
    ("in_field_commitment", "承諾事項為何？（內容、預期成果與總目標）", "What is the commitment? (content, expected results, overall objective)"),
    ("in_field_contribution", "對於解決這些公共問題有何貢獻與助益？", "How will it contribute to solving the problem?"),
    ("in_field_ogp_relevance", "與 OGP 核心價值（透明、公共參與、課責）的關連", "Why is it relevant to OGP values (transparency, participation, accountability)?"),
    ("in_field_milestones", "可量化或驗證之衡量指標與期程", "Verifiable milestones and their dates"),
    ("in_field_other", "其他資訊（預算、相關計畫、永續發展目標等）", "Other information (budget, related plans, SDGs…)"),
    ("in_about_you", "關於您", "About you"),
    ("in_name", "姓名（公開）", "Name (public)"),
    ("in_organisation", "單位或組織（公開，可免填）", "Organisation (public, optional)"),
    ("in_contact", "聯絡方式（不公開，可免填）", "Contact (private, optional)"),
    ("in_contact_help", "電子郵件或電話，僅秘書處可見。", "E-mail or phone, seen only by the secretariat."),
    ("in_public_note", "送出後，您的意見會有編號與公開頁面，並記錄在行動方案的公開儲存庫。", "Once sent, your input gets a number and a public page, and is recorded in the plan's public repository."),
    ("in_submit", "送出意見", "Send"),
    ("in_one", "意見", "Input"),
    ("in_sent", "已收到您的意見，編號 #{n}。此頁面會顯示機關的回應。", "Your input was received as #{n}. This page will show the agency's answer."),
    ("in_hidden_notice", "此意見已由秘書處隱藏，理由：", "The secretariat hid this input. Reason:"),
    ("in_hidden_no_answer", "已隱藏的意見不再回應。", "Hidden input is not answered."),
    ("in_contact_private", "聯絡方式（僅秘書處可見）：", "Contact (secretariat only):"),
    ("in_response", "回應", "Response"),
    ("in_outcome_adopted", "採納", "Adopted"),
    ("in_outcome_partly_adopted", "部分採納", "Partly adopted"),
    ("in_outcome_not_adopted", "不採納", "Not adopted"),
    ("in_adopted_by", "納入於：", "Taken in by:"),
    ("in_link_proposal", "修正提案", "Proposal"),
    ("in_link_round", "論壇會議", "Forum round"),
    ("in_link_commit", "版本", "Commit"),
    ("in_routed_to", "已分派給", "Routed to"),
    ("in_not_routed", "等待秘書處分派", "Waiting for the secretariat to route it"),
    ("in_waiting_days", "已等待 {n} 天", "waiting for {n} days"),
    ("in_answer_title", "回應此意見", "Answer this input"),
    ("in_outcome", "採納情形", "Outcome"),
    ("in_reasons", "理由（公開）", "Reasons (public)"),
    ("in_link_help", "採納或部分採納時，請填寫納入的修正提案編號、論壇會議名稱或版本（擇一）。", "For adopted input, name the proposal number, the forum round or the commit that took it in (one of them)."),
    ("in_answer_submit", "送出回應", "Answer"),
    ("in_route_title", "分派給機關", "Route to an agency"),
    ("in_route_submit", "分派", "Route"),
    ("in_hide_title", "隱藏此意見", "Hide this input"),
    ("in_hide_reason", "公開的理由", "Public reason"),
    ("in_hide_submit", "隱藏", "Hide"),
    ("in_bad_proposal", "修正提案編號須為數字。", "The proposal number must be a number."),
    ("in_on_commitment", "對此承諾事項提出意見", "Send input on this commitment"),
    ("in_on_section", "對此段提出意見", "Input on this section"),
    ("in_count_on_commitment", "民眾意見 {n} 則", "{n} inputs from the public"),
    // ---- forum, timeline, rounds compare
    ("forum", "論壇", "Forum"),
    ("forum_title", "多元利害關係人論壇", "Multi-stakeholder forum"),
    ("forum_intro", "論壇由政府與民間代表共同組成，逐次開會審議行動方案；成員、運作規範與每一次修改都記錄在 git 儲存庫中。", "The forum brings government and civil-society members together to review the plan at each meeting; its members, its rules and every change to them are recorded in the git repository."),
    ("forum_on_this_page", "本頁內容", "On this page"),
    ("forum_members", "論壇成員", "Members"),
    ("forum_member_count", "{n} 人", "{n} members"),
    ("forum_no_members", "此部門目前沒有成員。", "No members from this sector yet."),
    ("forum_role_convener", "召集人", "Convener"),
    ("forum_role_co-convener", "共同召集人", "Co-convener"),
    ("forum_role_member", "委員", "Member"),
    ("forum_organization", "所屬單位", "Organization"),
    ("forum_working_groups", "參與工作分組", "Working groups"),
    ("forum_no_such_commitment", "（此版本中沒有這項承諾事項）", "(no such commitment in this version)"),
    ("forum_members_file", "成員名單存放於", "The member list is kept in"),
    ("forum_rules", "論壇運作規範", "Operating rules"),
    ("forum_rules_file", "運作規範存放於", "The rules are kept in"),
    ("forum_no_rules", "儲存庫中尚無論壇運作規範（forum/rules.md）。", "The repository has no operating rules yet (forum/rules.md)."),
    ("forum_history", "成員與規範的修訂歷程", "History of members and rules"),
    ("forum_history_intro", "每一次修改論壇成員名單或運作規範的 commit，最新的在前；點選可逐行檢視修改內容。", "Every commit that changed the member list or the rules, newest first; open one to see the change line by line."),
    ("forum_no_history", "尚無修改紀錄。", "No changes yet."),
    ("forum_files_changed", "修改的檔案", "Files changed"),
    ("forum_view_change", "檢視修改內容", "View the change"),
    ("forum_change_title", "論壇檔案的修改", "Change to the forum's files"),
    ("forum_change_against", "與前一版本比較：", "Compared with the previous version:"),
    ("forum_change_first", "這是儲存庫的第一個版本。", "This is the repository's first version."),
    ("forum_as_it_was", "檢視當時的論壇頁面", "See the forum page as it was then"),
    ("forum_line_legend", "以「+」標示新增的行，以「−」標示刪除的行；左側為修改前與修改後的行號。", "Lines marked “+” were added, lines marked “−” removed; the numbers are the line numbers before and after."),
    ("forum_old_line", "修改前行號", "Line before"),
    ("forum_new_line", "修改後行號", "Line after"),
    ("forum_line_change", "修改", "Change"),
    ("forum_line_text", "內容", "Text"),
    ("forum_line_added", "新增：", "added:"),
    ("forum_line_removed", "刪除：", "removed:"),
    ("timeline", "時程", "Timeline"),
    ("timeline_title", "行動方案時程", "Plan timeline"),
    ("timeline_period", "方案期程", "Plan period"),
    ("timeline_rounds_count", "論壇會議（已通過共識）", "Forum rounds (consensus reached)"),
    ("timeline_milestones_count", "衡量指標", "Milestones"),
    ("timeline_rounds", "論壇會議", "Forum rounds"),
    ("timeline_rounds_intro", "論壇每次會議通過的共識版本，都以 git 標籤 rounds/名稱 記錄；日期為會議結束、標籤建立的時間。", "The consensus version approved at each forum round is tagged rounds/NAME in git; the date is when the round closed and the tag was made."),
    ("timeline_no_rounds", "目前還沒有任何論壇會議通過共識版本。", "No forum round has approved a consensus version yet."),
    ("timeline_no_date", "日期未定", "Date not set"),
    ("timeline_round", "論壇會議", "Forum round"),
    ("timeline_state_approved", "已通過共識", "consensus reached"),
    ("timeline_state_scheduled", "已排定", "scheduled"),
    ("timeline_state_open", "進行中", "in progress"),
    ("timeline_state_closed", "已結束", "closed"),
    ("timeline_view_round", "檢視此次會議通過的版本", "See the version this round approved"),
    ("timeline_changes_since_previous", "與前次會議相比的修改", "Changes since the previous round"),
    ("timeline_plan_at_round", "當時的行動方案", "The plan at that round"),
    ("timeline_by_month", "各月份的會議與到期指標", "Rounds and milestones due, by month"),
    ("timeline_by_month_intro", "依指標的結束月份排列；每項指標都標示所屬的承諾事項與起迄月份。", "Milestones are listed under the month they end; each names its commitment and its start and end months."),
    ("timeline_due", "本月到期的指標：{n} 項", "Milestones due this month: {n}"),
    ("timeline_milestone_period", "期程", "Period"),
    ("timeline_outside_period", "（在方案期程之外）", "(outside the plan period)"),
    ("rc_title", "比較兩次論壇會議", "Compare two forum rounds"),
    ("rc_intro", "選擇兩次論壇會議，檢視其間整份行動方案的修改：先列出有修改的承諾事項，再逐項顯示差異。", "Pick two forum rounds to see how the whole plan changed between them: first the commitments that changed, then each change."),
    ("rc_from", "從（較早的會議）", "From (the earlier round)"),
    ("rc_to", "到", "To"),
    ("cr_title", "論壇會議通過紀錄", "Approved at forum rounds"),
    ("cr_intro", "論壇每次會議通過的共識版本都以 git 標籤記錄；以下依主版本（中文）的文字比較各次會議通過的版本。", "Each forum round's consensus version is tagged in git; versions are compared on the master (Chinese) text."),
    ("cr_none", "尚未有論壇會議通過此承諾事項的任何版本。", "No forum round has approved any version of this commitment yet."),
    ("cr_status_not_approved", "尚未經論壇會議通過。", "Not yet approved at a forum round."),
    ("cr_status_unchanged", "與論壇會議 {round}（{date}）通過的版本相同。", "Unchanged since the forum approved it at {round} ({date})."),
    ("cr_status_changed", "論壇會議 {round}（{date}）通過後已有修改。", "Changed since the forum approved it at {round} ({date})."),
    ("cr_see_changes", "查看修改", "See the changes"),
    ("cr_since_last", "上次會議 {round} 以來的修改", "What changed since the last round, {round}"),
    ("cr_unchanged", "未修改：主版本的文字與上次論壇會議 {round}（{date}）通過的相同。", "Unchanged: the master text is the one the forum approved at its last round, {round} ({date})."),
    ("cr_changed", "已修改：主版本的文字在上次論壇會議 {round}（{date}）通過後有所修改，差異如下。", "Changed: the master text has changed since the forum approved it at its last round, {round} ({date}); the changes are below."),
    ("cr_record", "會議紀錄：", "Record:"),
    ("cr_read_approved", "閱讀當時通過的全文", "Read the text it approved"),
    ("cr_whole_plan_diff", "整份方案自該次會議以來的修改", "Everything in the plan changed since that round"),
    ("cr_versions", "各次會議通過的版本", "Versions approved at each round"),
    ("cr_version", "版本", "Version"),
    ("cr_current", "（即目前的文字）", "(the current text)"),
    ("cr_approved_at", "通過於：", "approved at "),
    ("cr_list_sep", "、", ", "),
    ("cr_compare_rounds", "比較兩次論壇會議", "Compare two forum rounds"),
    // Forum rounds: the words for the codes of /api/rounds (states, choices, outcomes,
    // minutes, warnings). `{days}` and `{notice}` are replaced by the page.
    ("round", "論壇會議", "Forum round"),
    ("rounds", "論壇會議", "Forum rounds"),
    ("round_state_scheduled", "已公告", "Scheduled"),
    ("round_state_voting", "表決中", "Voting"),
    ("round_state_closed", "已結束", "Closed"),
    ("round_outcome_consensus", "達成共識", "Consensus"),
    ("round_outcome_no_consensus", "未達共識", "No consensus"),
    ("choice_agree", "同意", "Agree"),
    ("choice_abstain", "棄權", "Abstain"),
    ("choice_disagree", "不同意", "Disagree"),
    ("choice_block", "否決", "Block"),
    ("round_no_vote", "未投票", "No vote"),
    ("round_reason", "理由", "Reason"),
    ("round_candidate", "表決版本", "Version voted on"),
    ("round_minutes", "會議紀錄", "Minutes"),
    ("minutes_state_none", "尚未公開", "Not published yet"),
    ("minutes_state_draft", "草案（更正期間內，委員得以修正提案更正）", "Draft (members may propose corrections during the correction window)"),
    ("minutes_state_final", "定稿", "Final"),
    ("round_warning_short_notice", "本次會議於會前 {days} 天公告，少於本方案要求之 {notice} 天。", "Announced {days} day(s) before the meeting; the plan asks for {notice}."),
    ("round_warning_no_place", "尚未提供會議地點或連結。", "Neither a place nor a link is given."),
    ("round_warning_candidate_moved", "表決開始後主分支已有新的修改；本次表決之版本不因此改變。", "The candidate has moved on since the vote opened; the version voted on does not change."),
    // ---- round pages
    ("rp_nav", "論壇會議", "Rounds"),
    ("rp_intro", "論壇每次會議都在此公告、表決與記錄：開始表決時固定表決版本，委員公開表決與理由，達成共識的版本以 git 標籤 rounds/代碼 標記。", "Every forum round is announced, voted on and recorded here: opening the vote pins the version voted on, members vote in public with their reasons, and a version that reaches consensus is tagged rounds/NAME in git."),
    ("rp_none", "尚未排定任何論壇會議。", "No forum round has been scheduled yet."),
    ("rp_view", "檢視會議", "Open the round"),
    ("rp_schedule", "排定論壇會議", "Schedule a round"),
    ("rp_schedule_intro", "會議一經排定即公開。會前公告天數少於本方案要求時，會議頁面會提醒。", "A round is public as soon as it is scheduled. The round's page warns when it is announced with less notice than the plan asks for."),
    ("rp_schedule_denied", "只有論壇召集人、共同召集人（forum/members.toml）或秘書處可以排定會議。", "Only a convener or co-convener of the forum (forum/members.toml) or the secretariat may schedule a round."),
    ("rp_name", "會議代碼", "Name"),
    ("rp_name_help", "小寫英文字母、數字與「-」，例如 msf-3；達成共識時，表決版本會標記為 git 標籤 rounds/代碼。", "Lowercase letters, digits and “-”, e.g. msf-3; on consensus the version voted on is tagged rounds/NAME in git."),
    ("rp_title", "會議名稱", "Title"),
    ("rp_date", "會議日期", "Date"),
    ("rp_date_help", "格式為 YYYY-MM-DD，不得早於今天。", "YYYY-MM-DD, not before today."),
    ("rp_place", "地點", "Place"),
    ("rp_link", "線上會議連結", "Online meeting link"),
    ("rp_place_help", "以 http:// 或 https:// 開頭；地點與連結至少提供一項。", "Starts with http:// or https://; give a place, a link or both."),
    ("rp_optional", "（選填）", "(optional)"),
    ("rp_agenda", "議程", "Agenda"),
    ("rp_agenda_none", "尚無議程。", "No agenda yet."),
    ("rp_markdown_help", "可使用 Markdown，例如以「1.」開頭的編號清單。", "Markdown, e.g. a numbered list with “1.”."),
    ("rp_candidate_ref", "表決版本（分支、標籤或版本代碼）", "Version to vote on (branch, tag or commit)"),
    ("rp_candidate_help", "預設為 main；開始表決時會固定為它當時所指的版本。", "Usually main; opening the vote pins it to the commit it names at that moment."),
    ("rp_state", "狀態", "State"),
    ("rp_conveners", "召集人", "Conveners"),
    ("rp_scheduled_by", "排定者", "Scheduled by"),
    ("rp_opened_by", "開始表決", "Vote opened by"),
    ("rp_closed_by", "結束會議", "Closed by"),
    ("rp_warnings", "請注意", "Please note"),
    ("rp_outcome_heading", "會議結果", "Outcome"),
    ("rp_tagged", "共識版本已標記為 git 標籤", "The consensus version is tagged"),
    ("rp_on_commit", "，版本 ", " on commit "),
    ("rp_git_show_hint", "完整紀錄（會議、召集人、每一票與理由）可用 git 查看：", "The whole record (meeting, conveners, every vote and reason) is in git:"),
    ("rp_no_tag", "未達共識，因此沒有建立標籤；所有表決仍保留在紀錄中。", "No consensus, so no tag was made; every vote stays on the record."),
    ("rp_candidate_is", "表決對象：", "Candidate: "),
    ("rp_pinned", "開始表決時固定的版本：", "Pinned when the vote opened: "),
    ("rp_not_pinned", "尚未開始表決；開始表決時，表決版本會固定為 {ref} 當時所指的版本。", "The vote has not opened; opening it pins the version to the commit {ref} names then."),
    ("rp_read_plan", "閱讀此版本的行動方案", "Read the plan at this version"),
    ("rp_changes_since_round", "與前次會議 {round} 的共識版本相比的修改", "What changed since the last round, {round}"),
    ("rp_changes_in_commit", "此版本所做的修改", "What this version changed"),
    ("rp_compare_rounds", "比較本次與前次會議 {round}", "Compare this round with {round}"),
    ("rp_open_vote", "開始表決", "Open the vote"),
    ("rp_open_help", "開始表決後，表決版本即固定為 {ref} 目前所指的版本；之後的修改不會改變表決的內容。", "Opening the vote pins the version to the commit {ref} names now; later changes do not change what is voted on."),
    ("rp_your_vote", "您的表決", "Your vote"),
    ("rp_current_vote", "您目前的表決：", "Your current vote: "),
    ("rp_change_until_close", "（會議結束前都可以變更）", " (you may change it until the round closes)"),
    ("rp_not_voted_yet", "您尚未表決。", "You have not voted yet."),
    ("rp_choice_legend", "您對表決版本的意見", "What you say about the version voted on"),
    ("rp_reason_help", "不同意或否決時必須說明理由。表決與理由都會公開。", "Disagree and block need a reason. Votes and reasons are public."),
    ("rp_submit_vote", "送出表決", "Cast your vote"),
    ("rp_sign_in_to_vote", "後，名冊上的委員即可表決。", "to vote (members on the roll)."),
    ("rp_roll", "名冊與表決", "Roll and votes"),
    ("rp_roll_intro", "名冊為表決版本中的 forum/members.toml；每位委員目前的表決與理由都公開。", "The roll is forum/members.toml at the version voted on; every member's current vote and reason are public."),
    ("rp_rule", "共識規則：沒有人否決，且每個部門至少 {quorum}% 的委員同意。", "Consensus rule: nobody blocks, and in each sector at least {quorum}% of the members agree."),
    ("rp_rule_no_veto", "共識規則：每個部門至少 {quorum}% 的委員同意（否決不具否決效力）。", "Consensus rule: in each sector at least {quorum}% of the members agree (a block does not veto)."),
    ("rp_reached_now", "若現在結束會議：達成共識。", "If the round closed now: consensus."),
    ("rp_not_reached_now", "若現在結束會議：未達共識。", "If the round closed now: no consensus."),
    ("rp_blocked_by", "否決：", "Blocked by: "),
    ("rp_tally_later", "開始表決後才會計票。", "Votes are counted once the vote opens."),
    ("rp_tally_line", "同意 {agree} 人（共 {members} 人，需 {need} 人）", "{agree} of {members} agree ({need} needed)"),
    ("rp_quorum_met", "已達門檻", "quorum met"),
    ("rp_quorum_not_met", "未達門檻", "quorum not met"),
    ("rp_counts", "同意 {agree}、棄權 {abstain}、不同意 {disagree}、否決 {block}、未投票 {not_voted}", "agree {agree}, abstain {abstain}, disagree {disagree}, block {block}, no vote {not_voted}"),
    ("rp_vote", "表決", "Vote"),
    ("rp_close", "結束會議", "Close the round"),
    ("rp_close_consensus", "結束後即停止表決。目前已達共識：版本 {commit} 將標記為 git 標籤 {tag}，標籤不會再移動或刪除。", "Closing ends the vote. Consensus is reached now: commit {commit} will be tagged {tag}, and the tag is never moved or deleted."),
    ("rp_close_no_consensus", "結束後即停止表決。目前未達共識：會議將以「未達共識」結束，不建立標籤，所有表決仍保留在紀錄中。", "Closing ends the vote. Consensus is not reached now: the round will close with no consensus and no tag; every vote stays on the record."),
    ("rp_minutes_draft_until", "於 {at} 公開；委員得於 {until} 前以修正提案更正。", "Published {at}; members may propose corrections until {until}."),
    ("rp_minutes_final_since", "於 {at} 公開；更正期間已於 {until} 結束。", "Published {at}; the correction window ended {until}."),
    ("rp_minutes_text", "會議紀錄（Markdown）", "Minutes (Markdown)"),
    ("rp_publish_minutes", "公開會議紀錄", "Publish the minutes"),
    ("rp_publish_help", "會議紀錄將以 {path} 提交至 main，在 {days} 日內為草案；公開後的任何修改都需以修正提案進行。", "The minutes are committed to main as {path} and are a draft for {days} day(s); every later change is a proposal."),
    ("rp_propose_correction", "提出會議紀錄更正", "Propose a correction"),
    ("rp_sign_in_to_correct", "後，論壇委員即可提出更正。", "to propose a correction (forum members)."),
    ("rp_correction_heading", "更正會議紀錄：{name}", "Correct the minutes of {name}"),
    ("rp_correction_default_title", "更正 {name} 會議紀錄", "Correct the minutes of {name}"),
    ("rp_correction_intro", "更正會成為一項修正提案，經兩個部門的論壇委員核可後才會併入 main。", "A correction is a proposal: forum members of both sectors approve it before it reaches main."),
    ("rp_correction_until", "更正期間至 {until}。", "Corrections are open until {until}."),
    ("rp_open_correction", "建立更正提案", "Open the correction proposal"),
    ("rp_err_reason_required", "不同意或否決時必須說明理由：請填寫理由後再送出。", "A disagree or block vote must give its reason: write the reason and send it again."),
    ("rp_err_bad_choice", "請選擇同意、棄權、不同意或否決。", "Choose agree, abstain, disagree or block."),
    // ---- export
    ("ex_nav", "匯出行動方案", "Export the plan"),
    ("ex_title", "匯出行動方案", "Export the plan"),
    ("ex_intro", "整份行動方案（目前版本或論壇會議通過的版本）匯出為單一文件，每種語言一份，提供 Markdown 與可列印的 HTML，附承諾事項一覽，供提交與審閱。", "The whole plan (the current version or a version a forum round approved) as one document per language, in Markdown and print-ready HTML, with a table of commitments, for submission and review."),
    ("ex_main_version", "目前版本", "Current version"),
    ("ex_round_version", "論壇會議{round}通過的版本", "Approved at round {round}"),
    ("ex_cli_hint", "也可在命令列匯出：", "From the command line:"),
    ("ex_toc", "承諾事項一覽", "Commitments"),
    ("ex_ref", "版本名稱", "Ref"),
    ("ex_commit", "版本代碼（commit）", "Commit"),
    ("ex_date", "日期", "Date"),
    ("ex_colon", "：", ": "),
    ("ex_commitment_no", "承諾事項{n}", "Commitment {n}"),
    ("ex_version_round", "本文件為論壇會議{round}於{date}達成共識通過的版本。", "This is the version the forum approved by consensus at round {round} on {date}."),
    ("ex_version_ref", "本文件為{ref}於{date}的版本。", "This is the version of {ref} as of {date}."),
    ("ex_not_translated_label", "尚未翻譯：", "Not translated yet:"),
    ("ex_not_translated", "此承諾事項尚無英文版本，以下為中文主版本。", "this commitment has no English version yet; the Chinese master text follows."),
    ("ex_invalid", "以下承諾事項的文件有格式問題，未列入本文件", "Left out because their documents have problems"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn query_then_cookie_then_accept_language() {
        let h = headers(&[("cookie", "a=b; lang=en"), ("accept-language", "zh-TW")]);
        assert_eq!(Lang::negotiate(Some("zh-TW"), &h), Lang::ZhTw);
        assert_eq!(Lang::negotiate(None, &h), Lang::En);
        let h = headers(&[("accept-language", "fr;q=1, en-GB;q=0.8, zh;q=0.5")]);
        assert_eq!(Lang::negotiate(None, &h), Lang::En);
        assert_eq!(
            Lang::negotiate(Some("klingon"), &HeaderMap::new()),
            Lang::ZhTw
        );
    }

    #[test]
    fn every_string_has_both_languages() {
        for (key, zh, en) in STRINGS {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
