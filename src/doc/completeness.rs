//! What a commitment still has to fill in. Plans are approved before every detail is known
//! (the budget "once the annual budget is approved", the contact person once appointed); those
//! fields are filled later through proposals, and pages say which are still open.
//!
//! Looked at: the contact fields, the participants, empty sections, and each item of the
//! "other information" section (`{#other-info}`: a Markdown list of `label：value` lines, as the
//! commitment form has them) whose value is empty or says it will be added later
//! (「俟…補充」, 「待補」, "to be added", "TBD"). Pure: reads one document.

use serde::Serialize;

use super::Commitment;

/// The id of the section holding "other information" (budget, related plans, SDGs…).
pub const OTHER_INFO: &str = "other-info";

/// One thing still to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// A form key (`contact.name`), `section.<id>`, or `other-info` for an item of that section.
    pub key: String,
    /// The item's label as written (other information), empty otherwise.
    pub label: String,
    /// `empty`, or `pending` (the text says it will be added later).
    pub state: &'static str,
    /// For a pending item: what it says now.
    pub text: String,
}

const PENDING: &[&str] = &[
    "後補充",
    "待補",
    "待定",
    "to be added",
    "tbd",
    "to be confirmed",
];

fn pending(text: &str) -> bool {
    let lower = text.to_lowercase();
    PENDING.iter().any(|p| lower.contains(p))
}

/// Everything `c` still has to fill in, in form order.
pub fn gaps(c: &Commitment) -> Vec<Gap> {
    let mut out = Vec::new();
    let mut empty = |key: &str, value: &str| {
        if value.trim().is_empty() {
            out.push(Gap {
                key: key.to_string(),
                label: String::new(),
                state: "empty",
                text: String::new(),
            });
        }
    };
    let f = &c.front;
    empty("contact.name", &f.contact.name);
    empty("contact.title", &f.contact.title);
    empty("contact.unit", &f.contact.unit);
    empty("contact.email", &f.contact.email);
    empty("contact.phone", &f.contact.phone);
    empty(
        "participants.government",
        &f.participants.government.join(""),
    );
    empty(
        "participants.civil_society",
        &f.participants.civil_society.join(""),
    );
    for s in &c.sections {
        if s.text().trim().is_empty() {
            out.push(Gap {
                key: format!("section.{}", s.id),
                label: s.heading.clone(),
                state: "empty",
                text: String::new(),
            });
        }
    }
    if let Some(s) = c.sections.iter().find(|s| s.id == OTHER_INFO) {
        for line in s.text().lines() {
            let Some(item) = line
                .trim()
                .strip_prefix("- ")
                .or_else(|| line.trim().strip_prefix("* "))
            else {
                continue;
            };
            let Some((label, value)) = item.split_once('：').or_else(|| item.split_once(':'))
            else {
                continue;
            };
            let (label, value) = (label.trim(), value.trim());
            let state = if value.is_empty() {
                "empty"
            } else if pending(value) {
                "pending"
            } else {
                continue;
            };
            out.push(Gap {
                key: OTHER_INFO.into(),
                label: label.to_string(),
                state,
                text: value.to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"+++
id = "c01-x"
number = 1
area = "general"
title = "標題"
period = { start = "2021-01", end = "2024-05" }
lead_agencies = ["國家發展委員會"]
co_agencies = []
ogp_values = ["transparency"]
sdgs = []

[contact]
name = "王"
title = ""
unit = "處"
email = "a@example.org"
phone = "02"

[participants]
government = ["國家發展委員會"]
civil_society = []

[[milestones]]
id = "m1"
text = "指標"
start = "2021-01"
end = "2021-12"
+++

## 承諾事項之描述 {#description}

描述。

## 承諾事項將涉及哪些公共問題？ {#problem}

問題。

## 承諾事項為何？ {#commitment}

內容。

## 其他資訊 {#other-info}

- 落實承諾事項之預算：由年度預算支應，金額俟年度預算核定後補充。
- 與其他政府相關計畫之關連性：
- 與永續發展目標的關連性：SDG 16
"#;

    #[test]
    fn empty_fields_and_pending_items() {
        let c = Commitment::parse("commitments/c01-x/zh-TW.md", DOC).unwrap();
        let g = gaps(&c);
        let keys: Vec<(&str, &str, &str)> = g
            .iter()
            .map(|g| (g.key.as_str(), g.label.as_str(), g.state))
            .collect();
        assert_eq!(
            keys,
            [
                ("contact.title", "", "empty"),
                ("participants.civil_society", "", "empty"),
                ("other-info", "落實承諾事項之預算", "pending"),
                ("other-info", "與其他政府相關計畫之關連性", "empty"),
            ]
        );
        assert!(g[2].text.contains("俟年度預算核定後補充"));
    }
}
