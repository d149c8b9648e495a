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
