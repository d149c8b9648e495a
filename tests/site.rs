//! `codraft export --site DIR`: the static public site of the demo. Its pages exist in both UI
//! languages, every internal link and asset resolves to a written file, no file holds the
//! private contact of a public input, and the Atom feeds are there.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use codraft::store::Store;
use codraft::web::site;
use codraft::workflow::inputs::{Inputs, NewInput};
use codraft::workflow::{setup, PlanReader};

const CONTACT: &str = "secret-contact-7f3a@example.org";

/// Every file under `dir`, relative, `/`-separated.
fn files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy();
                out.insert(rel.replace('\\', "/"));
            }
        }
    }
    out
}

/// The `href`/`src`/`action` values in an HTML text (double-quoted, as the site writes them).
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for name in [" href=\"", " src=\"", " action=\"", "\nhref=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(name) {
            rest = &rest[i + name.len()..];
            let end = rest.find('"').unwrap();
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}

/// `href` on the file `from` (relative to the site's root), as a path from the root, or None
/// for a link outside the site.
fn target(from: &str, href: &str) -> Option<String> {
    if href.starts_with('#')
        || href.starts_with("mailto:")
        || href.starts_with("http://")
        || href.starts_with("https://")
    {
        return None;
    }
    assert!(
        !href.starts_with('/'),
        "{from}: the root-relative link {href} breaks on file:// and in a sub-folder"
    );
    let href = href.split('#').next().unwrap().split('?').next().unwrap();
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for p in href.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                assert!(parts.pop().is_some(), "{from}: {href} leaves the site");
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Adds one public input with a contact, through the domain.
async fn add_input(data: &Path) -> u32 {
    let store = Store::open(&setup::repo_path(data)).unwrap();
    let plan = PlanReader::new(store.clone());
    let main = plan.at("main").await.unwrap();
    let commitment = main.commitments[0].id.clone();
    let inputs = Inputs::new(store, data, codraft::workflow::system_clock());
    let checked = inputs
        .check(
            NewInput {
                kind: "change".into(),
                commitment: Some(commitment),
                title: "請公開會議紀錄的逐字稿".into(),
                text: "每次會議後兩週內公開逐字稿。".into(),
                name: "王小明".into(),
                organisation: "開放文化基金會".into(),
                contact: CONTACT.into(),
                ..NewInput::default()
            },
            None,
        )
        .unwrap();
    inputs.submit(checked).await.unwrap().number
}

/// Checks an exported site; returns how many HTML pages it has.
fn check_site(dir: &Path, input: u32, commitments: &[String], rounds: &[String]) -> usize {
    let all = files(dir);
    let must = |f: &str| assert!(all.contains(f), "{f} is missing");
    must("index.html");
    must("live-only.html");
    must("static/style.css");
    for lang in ["zh-TW", "en"] {
        must(&format!("{lang}/index.html"));
        must(&format!("{lang}/rounds/index.html"));
        must(&format!("{lang}/timeline/index.html"));
        must(&format!("{lang}/inputs/index.html"));
        must(&format!("{lang}/inputs/{input}/index.html"));
        must(&format!("{lang}/forum/index.html"));
        for c in commitments {
            must(&format!("{lang}/commitments/{c}/index.html"));
        }
        for r in rounds {
            must(&format!("{lang}/rounds/{r}/index.html"));
        }
    }
    // Commitment 4 in English (the demo's translation) as a document, in both UI languages.
    let c04 = commitments.iter().find(|c| c.starts_with("c04")).unwrap();
    must(&format!("en/commitments/{c04}/@doc=en/index.html"));
    must(&format!("zh-TW/commitments/{c04}/@doc=en/index.html"));

    let mut pages = 0;
    let mut broken = Vec::new();
    for f in &all {
        let bytes = std::fs::read(dir.join(f)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(CONTACT), "{f} holds the sender's contact");
        assert!(!text.contains("secret-contact"), "{f} holds the contact");
        if !f.ends_with(".html") {
            continue;
        }
        pages += 1;
        for href in links(&text) {
            if let Some(t) = target(f, &href) {
                if !all.contains(&t) {
                    broken.push(format!("{f}: {href}"));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken links, e.g.:\n{}",
        broken.len(),
        broken[..broken.len().min(20)].join("\n")
    );

    for feed in ["changes", "rounds", "inputs"] {
        let xml = std::fs::read_to_string(dir.join(format!("feeds/{feed}.atom"))).unwrap();
        assert!(xml.starts_with("<?xml"), "{feed}");
        assert!(
            xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""),
            "{feed}"
        );
        let entries = xml.matches("<entry>").count();
        assert!(entries > 0, "{feed} has no entries");
        assert_eq!(entries, xml.matches("</entry>").count(), "{feed}");
        assert!(!xml.contains(CONTACT), "{feed} holds the contact");
        assert!(!xml.contains("@example.org"), "{feed} holds an address");
        // Every entry's links resolve to a page of the site.
        for href in links(&xml) {
            if href.ends_with(".atom") {
                continue;
            }
            let t = target(&format!("feeds/{feed}.atom"), &href).unwrap();
            assert!(all.contains(&t), "{feed}: {href} is not in the site");
        }
    }
    let inputs = std::fs::read_to_string(dir.join("feeds/inputs.atom")).unwrap();
    assert!(inputs.contains("請公開會議紀錄的逐字稿"));
    let rounds_feed = std::fs::read_to_string(dir.join("feeds/rounds.atom")).unwrap();
    for r in rounds {
        assert!(
            rounds_feed.contains(&format!("rounds/{r}")),
            "{r} not in the feed"
        );
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_site_is_complete_linked_and_public() {
    let data = common::demo_dir();
    let input = add_input(data.path()).await;
    let store = Store::open(&setup::repo_path(data.path())).unwrap();
    let main = PlanReader::new(store.clone()).at("main").await.unwrap();
    let commitments: Vec<String> = main.commitments.iter().map(|c| c.id.clone()).collect();
    assert_eq!(commitments.len(), 19);
    let rounds: Vec<String> = codraft::workflow::round_tags::list(&store)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert!(!rounds.is_empty());

    // The library function.
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let report = site::export(data.path(), out.path(), &mut site::Progress::silent())
        .await
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        report.errors.is_empty(),
        "pages answered errors:\n{}",
        report.errors.join("\n")
    );
    let pages = check_site(out.path(), input, &commitments, &rounds);
    // The demo's input #1 is followed in the static site from its page to the agency's answer
    // and to the diff of the commit that took it in.
    let page = std::fs::read_to_string(out.path().join("en/inputs/1/index.html")).unwrap();
    assert!(
        page.contains("badge-outcome-adopted\">Adopted</span>"),
        "{page}"
    );
    let diff_link = links(&page)
        .into_iter()
        .find(|l| l.contains("compare"))
        .expect("the answer links to the change");
    let diff_file = target("en/inputs/1/index.html", &diff_link).unwrap();
    let diff = std::fs::read_to_string(out.path().join(&diff_file)).unwrap();
    assert!(
        diff.contains("<ins>") && diff.contains("承辦人員"),
        "{diff_file}"
    );
    println!(
        "site export: {} fetched, {pages} HTML pages, {:.1} s",
        report.pages, seconds
    );
    assert!(seconds < 300.0, "the export took {seconds:.0} s");

    // The command line, into a folder of its own; a non-empty folder needs --force.
    let cli_out = tempfile::tempdir().unwrap();
    let site_dir: PathBuf = cli_out.path().join("site");
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codraft"));
        cmd.arg("export")
            .arg(data.path())
            .arg("--site")
            .arg(&site_dir)
            .args(extra)
            .env("RUST_LOG", "warn");
        cmd.output().unwrap()
    };
    let started = Instant::now();
    let first = run(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    println!(
        "codraft export --site: {:.1} s; {}",
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&first.stderr).trim()
    );
    check_site(&site_dir, input, &commitments, &rounds);
    let again = run(&[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    std::fs::write(site_dir.join("zh-TW/stale.html"), "old").unwrap();
    let forced = run(&["--force"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert!(!site_dir.join("zh-TW/stale.html").exists());
    // --site does not mix with one document's flags.
    let mixed = run(&["--format", "html"]);
    assert!(!mixed.status.success());
}
