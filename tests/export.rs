//! Export over HTTP on a real port with the demo plan, and `codraft export`: the whole plan as
//! one Markdown or HTML document per language and version (`main`, a round tag), with a table
//! of commitments; a round's version is the text the forum approved (before the demo's
//! 2021-01-05 wording change of c04); the English marks c04's stale units and every commitment
//! without English; bad input answers the API's JSON errors.

mod common;

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use codraft::workflow::setup;

const C04_NEW_M2: &str = "徵詢民眾及政府機關承辦人員申請及處理政府資訊遇到之問題";
const C04_OLD_M2: &str = "徵詢民眾向政府機關申請政府資訊遇到之問題";

struct Doc {
    content_type: String,
    disposition: String,
    csp: String,
    body: String,
}

async fn get(base: &str, query: &str) -> Doc {
    let r = reqwest::get(format!("{base}/export?{query}"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    Doc {
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        csp: header("content-security-policy"),
        body: r.text().await.unwrap(),
    }
}

/// The part of a Markdown export about one commitment: from its anchor to the next one.
fn md_part<'a>(md: &'a str, id: &str) -> &'a str {
    let start = md
        .find(&format!("<a id=\"{id}\"></a>"))
        .unwrap_or_else(|| panic!("no anchor for {id}"));
    let rest = &md[start + 1..];
    let end = rest.find("<a id=\"").map_or(md.len(), |e| start + 1 + e);
    &md[start..end]
}

/// The rows of the table of commitments (after its header and separator).
fn toc_rows(md: &str, heading: &str) -> Vec<String> {
    let at = md
        .find(&format!("## {heading}\n"))
        .expect("table of commitments");
    md[at..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(str::to_string)
        .collect()
}

async fn commitments(base: &str) -> Vec<Value> {
    let (s, v) = common::get_json(&format!("{base}/api/commitments")).await;
    assert_eq!(s, StatusCode::OK);
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn markdown_of_main_and_of_a_round_in_chinese() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let repo = setup::repo_path(dir.path());
    let all = commitments(&base).await;
    assert_eq!(all.len(), 19);

    let doc = get(&base, "lang=zh-TW&ref=main&format=md").await;
    assert_eq!(doc.content_type, "text/markdown; charset=utf-8");
    assert_eq!(doc.disposition, "inline; filename=\"plan-main-zh-TW.md\"");
    let md = doc.body;
    assert!(
        md.starts_with("# 開放政府國家行動方案（2021–2024）\n"),
        "{md}"
    );
    let main = common::git(&repo, &["rev-parse", "main"]);
    assert!(md.contains(&format!("- 版本代碼（commit）：`{}`", main.trim())));
    let rows = toc_rows(&md, "承諾事項一覽");
    assert_eq!(rows.len(), 19, "{rows:?}");
    for (c, row) in all.iter().zip(&rows) {
        let (id, title) = (c["id"].as_str().unwrap(), c["title"].as_str().unwrap());
        let number = c["number"].as_u64().unwrap();
        // Plan order; the title links to the commitment's anchor.
        assert!(
            row.starts_with(&format!("| {number} | [{title}](#{id}) | ")),
            "{row}"
        );
        // Each commitment's title is a heading, with no space inserted into the Chinese.
        assert!(
            md.contains(&format!("\n### 承諾事項{number}：{title}\n")),
            "{id}"
        );
        assert!(md_part(&md, id).contains("#### 可量化或驗證之衡量指標\n"));
    }
    // Grouped by area, in plan.toml's order; each commitment's fields and sections.
    let areas = ["## 推動資料開放與資訊公開\n", "## 擴大公共參與機制\n"];
    assert!(md.find(areas[0]).unwrap() < md.find(areas[1]).unwrap());
    let c04 = md_part(&md, "c04-information-access");
    for expected in [
        "- 主辦機關：法務部\n",
        "- OGP 核心價值：透明、課責\n",
        "- 永續發展目標：SDG 16\n",
        "#### 承諾事項為何？\n",
        "- 承辦人員：郭淑芬\n",
        "- 公民社會團體、私部門或工作團隊：資訊近用權研究會、開放資料公民實驗室\n",
        &format!("| m2 | {C04_NEW_M2} | 2021-01 | 2022-12 |"),
    ] {
        assert!(c04.contains(expected), "{expected}\n{c04}");
    }
    assert!(
        !md.contains("尚未翻譯"),
        "the master is never 'not translated'"
    );

    // The version the forum approved at msf-2: before the 2021-01-05 wording change.
    let doc = get(&base, "lang=zh-TW&ref=rounds/msf-2&format=md").await;
    assert_eq!(
        doc.disposition,
        "inline; filename=\"plan-rounds-msf-2-zh-TW.md\""
    );
    let round_md = doc.body;
    let tagged = common::git(&repo, &["rev-parse", "rounds/msf-2^{commit}"]);
    assert!(round_md.contains(&format!("`{}`", tagged.trim())));
    assert!(
        round_md.contains("本文件為論壇會議msf-2於2020-12-31達成共識通過的版本。"),
        "{round_md}"
    );
    assert!(round_md.contains("- 版本名稱：`rounds/msf-2`"));
    let c04_then = md_part(&round_md, "c04-information-access");
    assert!(!c04_then.contains(C04_NEW_M2), "{c04_then}");
    assert!(c04_then.contains(&format!("| m2 | {C04_OLD_M2} |")));
    assert!(!c04_then.contains("並請各機關提供受理申請件數"));
    assert!(c04.contains("並請各機關提供受理申請件數"));
    // Without a format: Markdown of the master.
    let default = get(&base, "ref=rounds/msf-2").await;
    assert_eq!(default.body, round_md);

    // The list page links every language × version × format; the home page links to it.
    let list = get(&base, "").await.body;
    for rev in ["main", "rounds/msf-1", "rounds/msf-2"] {
        for lang in ["zh-TW", "en"] {
            for format in ["md", "html"] {
                let link =
                    format!("href=\"/export?lang={lang}&amp;ref={rev}&amp;format={format}\"");
                assert!(list.contains(&link), "{link}");
            }
        }
    }
    assert!(list.contains("匯出行動方案"));
    let list_en = get(&base, "lang=en").await.body;
    assert!(list_en.contains("<h1>Export the plan</h1>"), "{list_en}");
    let home = reqwest::get(format!("{base}/?lang=en"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("<a href=\"/export\">Export the plan</a>"));
}

#[tokio::test]
async fn english_marks_stale_and_untranslated_commitments_and_html_prints() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let all = commitments(&base).await;
    let untranslated: Vec<&str> = all
        .iter()
        .filter(|c| !c["languages"].as_array().unwrap().iter().any(|l| l == "en"))
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(untranslated.len(), 18, "only c04 has English in the demo");

    let md = get(&base, "lang=en&ref=main&format=md").await.body;
    assert!(md.starts_with("# Taiwan Open Government National Action Plan 2021–2024\n"));
    assert_eq!(toc_rows(&md, "Commitments").len(), 19);
    let c04 = md_part(&md, "c04-information-access");
    assert!(c04.contains("\n### Commitment 4: Implementing the right of access to information"));
    assert!(c04.contains("- Lead agencies: Ministry of Justice\n"));
    assert!(c04.contains("- OGP values: Transparency, Public accountability\n"));
    // Exactly the two stale units carry the notice: section `commitment` and milestone m2.
    let notice = "The translation may be out of date: the Chinese changed on 2021-01-05.";
    assert_eq!(c04.matches(notice).count(), 2, "{c04}");
    assert!(c04.contains(&format!("#### What is the commitment?\n\n> ⚠ {notice}\n")));
    let m2 = c04.lines().find(|l| l.starts_with("| m2 |")).unwrap();
    assert!(m2.contains(notice), "{m2}");
    let m1 = c04.lines().find(|l| l.starts_with("| m1 |")).unwrap();
    assert!(!m1.contains("out of date"), "{m1}");
    assert!(!c04.contains("Not translated yet"));
    assert_eq!(md.matches("out of date").count(), 2);
    // Every other commitment: the master text, with the note in both languages.
    for id in &untranslated {
        let part = md_part(&md, id);
        assert!(
            part.contains("> ⚠ Not translated yet: this commitment has no English version yet"),
            "{id}"
        );
        assert!(
            part.contains("> ⚠ 尚未翻譯：此承諾事項尚無英文版本，以下為中文主版本。"),
            "{id}"
        );
        assert!(part.contains("- Lead agencies: "), "English labels: {id}");
    }
    assert_eq!(md.matches("Not translated yet").count(), 18);

    // HTML: a standalone page with its print stylesheet, the table, a section per commitment.
    let doc = get(&base, "lang=en&ref=main&format=html").await;
    assert_eq!(doc.content_type, "text/html; charset=utf-8");
    assert_eq!(doc.disposition, "inline; filename=\"plan-main-en.html\"");
    assert!(doc.csp.contains("style-src 'unsafe-inline'"), "{}", doc.csp);
    let html = doc.body;
    assert_eq!(html.matches("<html").count(), 1);
    assert_eq!(html.matches("</html>").count(), 1);
    assert_eq!(html.matches("<body>").count(), 1);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    for css in [
        "@page { size: A4;",
        "break-before: page",
        "thead { display: table-header-group; }",
        "a[href]::after { content: none !important; }",
        "\"Noto Sans TC\"",
    ] {
        assert!(html.contains(css), "{css}");
    }
    assert!(!html.contains("/static/style.css"), "not the site chrome");
    assert!(!html.contains("<script"));
    assert_eq!(html.matches("<section class=\"commitment\"").count(), 19);
    for c in &all {
        let id = c["id"].as_str().unwrap();
        assert_eq!(
            html.matches(&format!("<section class=\"commitment\" id=\"{id}\""))
                .count(),
            1,
            "{id}"
        );
        assert_eq!(html.matches(&format!("href=\"#{id}\"")).count(), 1, "{id}");
    }
    assert_eq!(html.matches("class=\"notice\" role=\"note\" lang=\"en\"><strong>The translation may be out of date:").count(), 2);
    assert_eq!(
        html.matches("<strong>尚未翻譯：</strong>此承諾事項")
            .count(),
        18
    );
    // Section Markdown is rendered (a numbered list in c04's `commitment`).
    let c04_html = &html[html.find("id=\"c04-information-access\"").unwrap()..];
    assert!(c04_html.contains("<ol>"), "markdown rendered");

    let zh = get(&base, "lang=zh-TW&format=html").await.body;
    assert!(zh.starts_with("<!DOCTYPE html>\n<html lang=\"zh-TW\">"));
    assert!(zh.contains("<th scope=\"col\">主辦機關</th>"));
    assert_eq!(zh.matches("<section class=\"commitment\"").count(), 19);

    // Bad input: the API's JSON errors.
    for (query, status, code) in [
        ("lang=fr&format=md", StatusCode::NOT_FOUND, "not_found"),
        (
            "lang=en&ref=rounds/no-such-round&format=md",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        ("lang=en&ref=main~1", StatusCode::NOT_FOUND, "not_found"),
        (
            "lang=en&ref=main&format=pdf",
            StatusCode::BAD_REQUEST,
            "bad_format",
        ),
    ] {
        let (s, v) = common::get_json(&format!("{base}/export?{query}")).await;
        assert_eq!(s, status, "{query}: {v}");
        common::assert_error(&v, code);
    }
}

#[tokio::test]
async fn cli_export_writes_what_the_web_serves() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let data = dir.path().to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_codraft"))
            .arg("export")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let web = get(&base, "lang=en&ref=rounds/msf-2&format=md").await.body;
    assert_eq!(run(&[&data, "--lang", "en", "--ref", "rounds/msf-2"]), web);
    let web = get(&base, "lang=zh-TW&ref=main&format=md").await.body;
    assert_eq!(run(&[&data]), web);
    // A bare repository and -o FILE, HTML.
    let file = dir.path().join("plan.html");
    let repo = setup::repo_path(dir.path());
    let stdout = run(&[
        repo.to_str().unwrap(),
        "--lang",
        "en",
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(stdout.is_empty());
    let web = get(&base, "lang=en&ref=main&format=html").await.body;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), web);
    // Refusals: a message, exit 1.
    for args in [
        &[data.as_str(), "--lang", "fr"][..],
        &[data.as_str(), "--ref", "rounds/nope"],
        &[data.as_str(), "--format", "pdf"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_codraft"))
            .arg("export")
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let help = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(["export", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage"));
}
