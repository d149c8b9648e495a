//! The static public site (`codraft export --site DIR`): everything an anonymous visitor can
//! read, as files any static web server (or `file://`) can serve, plus Atom feeds.
//!
//! It owns the crawl, the URL → file mapping, the link rewriting, the feeds and the progress
//! line. It renders nothing itself: it asks the very [`Router`] the live server runs
//! ([`super::app`]), in process (`tower::ServiceExt::oneshot`, no port, no cookie, no session),
//! starting from the home page in both UI languages and following every internal `href`/`src`
//! it finds. So a page added to the router is exported as soon as a page links to it, and a
//! page shows in the static site exactly what it shows an anonymous visitor (who never sees a
//! sender's contact: that lives in `<data>/private/` and only the signed-in secretariat gets it).
//!
//! Rules:
//! - Only GET, only pages and the JSON twins they link to (`/api/...`, not `/api/me`), and
//!   `/static/...` assets. Pages that act (sign-in, the editor, the `new` and `correction` forms,
//!   `/live`) and every form's target point to `live-only.html`, a notice that the action needs
//!   the live server; forms there are sent with GET so a static server answers them.
//! - Query parameters kept: [`KEPT_QUERY`]; others are dropped before fetching. A link without
//!   `lang` gets the UI language of the page it is on (what the live server's language cookie
//!   does), so every page file has exactly one UI language.
//! - A URL maps to `<lang>/<path segments>/@<key>=<value>/.../index.<ext>` (`api/...` and
//!   `static/...` have no language). Segments and values keep `[A-Za-z0-9_-]` and escape every
//!   other byte as `~XX`, so no two URLs share a file and no segment starts with `@`.
//! - Every internal link in a written HTML page is rewritten to the relative path of its file.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use super::anyhow_like::Result;
use super::i18n::Lang;
use crate::store::Store;
use crate::workflow::inputs::{InputRecord, Inputs};
use crate::workflow::round_tags;

/// Query parameters that select a different page; every other one is dropped.
pub const KEPT_QUERY: &[&str] = &[
    "lang",
    "ref",
    "doc",
    "view",
    "from",
    "to",
    "baseline",
    "commitment",
    "format",
];

/// Entries per feed (the newest).
pub const FEED_ENTRIES: usize = 50;

/// Requests in flight at once.
const CONCURRENCY: usize = 8;

/// The page every action (form, sign-in, editor) points to.
const LIVE_ONLY: &str = "live-only.html";

/// What the site's top level holds (all of it written by the export; `--force` removes these).
pub const OWNED: &[&str] = &[
    "index.html",
    LIVE_ONLY,
    "static",
    "feeds",
    "api",
    "zh-TW",
    "en",
];

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Report {
    /// Files fetched from the router and written (pages, JSON twins, assets).
    pub pages: usize,
    /// Pages the router answered with an error status, each as "URL answered STATUS (linked
    /// from URL)": a page links to something that does not exist.
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

/// The progress line on stderr.
pub struct Progress {
    mode: Mode,
    last: Option<Instant>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Silent,
    /// One updating line (a terminal).
    Bar,
    /// A plain line every few seconds (a log).
    Lines,
}

impl Progress {
    pub fn silent() -> Progress {
        Progress {
            mode: Mode::Silent,
            last: None,
        }
    }

    /// A bar when stderr is a terminal, plain periodic lines otherwise.
    pub fn stderr() -> Progress {
        Progress {
            mode: if std::io::stderr().is_terminal() {
                Mode::Bar
            } else {
                Mode::Lines
            },
            last: None,
        }
    }

    fn update(&mut self, done: usize, total: usize, force: bool) {
        let every = match self.mode {
            Mode::Silent => return,
            Mode::Bar => Duration::from_millis(100),
            Mode::Lines => Duration::from_secs(2),
        };
        let now = Instant::now();
        if !force && self.last.is_some_and(|t| now.duration_since(t) < every) {
            return;
        }
        self.last = Some(now);
        let mut err = std::io::stderr().lock();
        match self.mode {
            Mode::Bar => {
                const WIDTH: usize = 30;
                let filled = (done * WIDTH).checked_div(total).unwrap_or(0).min(WIDTH);
                let _ = write!(
                    err,
                    "\r[{}{}] {done}/{total} pages",
                    "#".repeat(filled),
                    ".".repeat(WIDTH - filled)
                );
            }
            _ => {
                let _ = writeln!(err, "{done}/{total} pages");
            }
        }
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.mode == Mode::Bar {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// Exports the public site of the data directory `data` into `dir` (created if missing).
/// `dir` should be empty: files already there are overwritten, others left alone.
pub async fn export(data: &Path, dir: &Path, progress: &mut Progress) -> Result<Report> {
    let started = Instant::now();
    let router = super::app(data)?;
    let store = Store::open(&crate::workflow::setup::repo_path(data))?;
    let feeds = Feeds::read(&store, data).await?;

    let mut crawl = Crawl::new(router);
    for lang in [Lang::ZhTw, Lang::En] {
        crawl.enqueue(Url::parse_root(&format!("/?lang={}", lang.code())), None);
        for url in feeds.urls() {
            crawl.enqueue(url.in_lang(lang), None);
        }
    }
    crawl.enqueue(Url::parse_root("/static/style.css"), None);
    crawl.run(progress).await?;

    std::fs::create_dir_all(dir)?;
    let done = crawl.fetched.len();
    let mut written = 0;
    for (url, page) in &crawl.fetched {
        let file = &crawl.files[url];
        let body = if page.html {
            let text = String::from_utf8_lossy(&page.body);
            crawl.rewrite(url, file, &text).into_bytes()
        } else {
            page.body.clone()
        };
        write(dir, file, &body)?;
        written += 1;
        if written % 50 == 0 {
            progress.update(done, done, false);
        }
    }
    write(dir, "index.html", ROOT_INDEX.as_bytes())?;
    write(dir, LIVE_ONLY, LIVE_ONLY_PAGE.as_bytes())?;
    feeds.write(dir, &crawl)?;
    progress.update(done, done, true);
    progress.finish();
    Ok(Report {
        pages: done,
        errors: crawl.errors,
        elapsed: started.elapsed(),
    })
}

fn write(dir: &Path, file: &str, body: &[u8]) -> Result<()> {
    let path: PathBuf = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

// ---------------------------------------------------------------- URLs

/// An internal URL as the site knows it: decoded path segments, the kept query pairs (sorted,
/// `lang` apart), and the UI language.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Url {
    segments: Vec<String>,
    query: Vec<(String, String)>,
    lang: Option<&'static str>,
}

/// Where a link goes.
enum Link {
    /// Another site, `mailto:`, or a fragment of this page: left as it is.
    Keep,
    /// A page that only the live server can serve.
    Live,
    Page(Url, Option<String>),
}

impl Url {
    fn is_api(&self) -> bool {
        self.segments.first().is_some_and(|s| s == "api")
    }

    fn is_static(&self) -> bool {
        self.segments.first().is_some_and(|s| s == "static")
    }

    /// A root-relative URL (`/path?query`) without a base page.
    fn parse_root(href: &str) -> Url {
        match Url::resolve(None, href) {
            Link::Page(url, _) => url,
            _ => unreachable!("a root-relative URL"),
        }
    }

    /// `href` as found on the page `base` (None: `href` starts with `/`).
    fn resolve(base: Option<&Url>, href: &str) -> Link {
        let href = href.trim();
        if href.starts_with('#') || href.starts_with("//") || has_scheme(href) {
            return Link::Keep;
        }
        let (href, fragment) = match href.split_once('#') {
            Some((h, f)) => (h, Some(f.to_string())),
            None => (href, None),
        };
        let (path, query) = match href.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (href, None),
        };
        let mut segments: Vec<String> = match base {
            Some(b) if !path.starts_with('/') => {
                let mut s = b.segments.clone();
                if !path.is_empty() {
                    // A relative path replaces the last segment (pages have no trailing slash).
                    s.pop();
                }
                s
            }
            _ => Vec::new(),
        };
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                p => segments.push(percent_decode(p)),
            }
        }
        let pairs: Vec<(String, String)> = match (query, base) {
            (Some(q), _) => parse_query(q),
            // `href=""` is this very page.
            (None, Some(b)) if path.is_empty() => {
                let mut q = b.query.clone();
                if let Some(l) = b.lang {
                    q.push(("lang".into(), l.into()));
                }
                q
            }
            (None, _) => Vec::new(),
        };
        let mut url = Url {
            segments,
            query: Vec::new(),
            lang: None,
        };
        if url.live_only() {
            return Link::Live;
        }
        for (k, v) in pairs {
            if k == "lang" {
                url.lang = url.lang.or(Lang::from_tag(&v).map(Lang::code));
            } else if KEPT_QUERY.contains(&k.as_str()) && !url.query.iter().any(|(q, _)| *q == k) {
                url.query.push((k, v));
            }
        }
        url.query.sort();
        if url.is_api() || url.is_static() {
            url.lang = None;
            if url.is_static() {
                url.query.clear();
            }
        } else if url.lang.is_none() {
            url.lang = Some(base.and_then(|b| b.lang).unwrap_or(Lang::ZhTw.code()));
        }
        Link::Page(url, fragment)
    }

    /// This page in the UI language `lang`.
    fn in_lang(mut self, lang: Lang) -> Url {
        if !self.is_api() && !self.is_static() {
            self.lang = Some(lang.code());
        }
        self
    }

    /// Pages that act or need a session: the live server's only.
    fn live_only(&self) -> bool {
        let s: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        matches!(
            s.as_slice(),
            ["login" | "logout" | "edit" | "live" | "healthz", ..] | ["api", "me", ..]
        ) || matches!(s.last(), Some(&("new" | "edit" | "correction")))
    }

    /// What the router is asked for.
    fn request_uri(&self) -> String {
        let mut uri = String::new();
        for s in &self.segments {
            uri.push('/');
            uri.push_str(&encode(s, b"-_.~"));
        }
        if uri.is_empty() {
            uri.push('/');
        }
        let mut sep = '?';
        let lang = self.lang.map(|l| ("lang".to_string(), l.to_string()));
        for (k, v) in self.query.iter().chain(lang.as_ref()) {
            uri.push(sep);
            sep = '&';
            uri.push_str(&format!("{k}={}", encode(v, b"-_.~")));
        }
        uri
    }

    /// The file (relative to the site's root, `/`-separated) for this URL with `ext`.
    fn file(&self, ext: &str) -> String {
        if self.is_static() {
            return self
                .segments
                .iter()
                .map(|s| {
                    if !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                        && !s.starts_with('.')
                    {
                        s.clone()
                    } else {
                        file_segment(s)
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
        }
        let mut parts: Vec<String> = Vec::new();
        if let Some(lang) = self.lang {
            parts.push(lang.to_string());
        }
        parts.extend(self.segments.iter().map(|s| file_segment(s)));
        for (k, v) in &self.query {
            parts.push(format!("@{}={}", file_segment(k), file_segment(v)));
        }
        parts.push(format!("index.{ext}"));
        parts.join("/")
    }
}

fn has_scheme(href: &str) -> bool {
    match href.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `[A-Za-z0-9_-]` as they are, every other byte `~XX` (also `.`: no segment is `..` and no
/// page directory is named like a file; a static asset keeps its name).
fn file_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("~{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('~');
    }
    out
}

fn encode(s: &str, safe: &[u8]) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || safe.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// The relative path from the file `from` to the file `to` (both from the site's root).
fn relative(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = from.split('/').collect();
    let from_dir = &from_dir[..from_dir.len() - 1];
    let to: Vec<&str> = to.split('/').collect();
    let common = from_dir
        .iter()
        .zip(&to)
        .take_while(|(a, b)| a == b)
        .count()
        .min(to.len() - 1);
    let mut out = "../".repeat(from_dir.len() - common);
    out.push_str(&to[common..].join("/"));
    out
}

// ---------------------------------------------------------------- the crawl

struct Fetched {
    body: Vec<u8>,
    html: bool,
}

struct Crawl {
    router: Router,
    queue: VecDeque<Url>,
    /// Every URL ever queued, and the page that first linked to it.
    known: HashMap<Url, Option<Url>>,
    fetched: BTreeMap<Url, Fetched>,
    files: HashMap<Url, String>,
    errors: Vec<String>,
}

impl Crawl {
    fn new(router: Router) -> Crawl {
        Crawl {
            router,
            queue: VecDeque::new(),
            known: HashMap::new(),
            fetched: BTreeMap::new(),
            files: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn enqueue(&mut self, url: Url, from: Option<&Url>) {
        if !self.known.contains_key(&url) {
            self.known.insert(url.clone(), from.cloned());
            self.queue.push_back(url);
        }
    }

    async fn run(&mut self, progress: &mut Progress) -> Result<()> {
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < CONCURRENCY {
                let Some(url) = self.queue.pop_front() else {
                    break;
                };
                let router = self.router.clone();
                running.spawn(async move {
                    let request = Request::get(url.request_uri()).body(Body::empty())?;
                    let response = router.oneshot(request).await?;
                    let status = response.status();
                    let (parts, body) = response.into_parts();
                    let header_of = |name| {
                        parts
                            .headers
                            .get(name)
                            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
                            .map(str::to_string)
                    };
                    let location = header_of(header::LOCATION);
                    let content_type = header_of(header::CONTENT_TYPE).unwrap_or_default();
                    let body = axum::body::to_bytes(body, usize::MAX).await?;
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>((
                        url,
                        status,
                        location,
                        content_type,
                        body.to_vec(),
                    ))
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let (url, status, location, content_type, body) = joined??;
            self.take(url, status, location, &content_type, body);
            progress.update(self.fetched.len(), self.known.len(), false);
        }
        Ok(())
    }

    /// Keeps a fetched page and queues what it links to.
    fn take(
        &mut self,
        url: Url,
        status: StatusCode,
        location: Option<String>,
        content_type: &str,
        body: Vec<u8>,
    ) {
        if !status.is_success() && !status.is_redirection() {
            let from = self.known.get(&url).cloned().flatten();
            self.errors.push(format!(
                "{} answered {} (linked from {})",
                url.request_uri(),
                status.as_u16(),
                from.map_or("the start".to_string(), |f| f.request_uri())
            ));
        }
        let (ext, html, body) = if status.is_redirection() {
            // A redirect becomes a page that sends the browser on.
            let target = location.map(|l| Url::resolve(Some(&url), &l));
            let body = match target {
                Some(Link::Page(target, fragment)) => {
                    self.enqueue(target.clone(), Some(&url));
                    let href = target.request_uri()
                        + &fragment.map(|f| format!("#{f}")).unwrap_or_default();
                    format!(
                        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>→</title>\
                         <meta http-equiv=\"refresh\" content=\"0; url={0}\"></head>\
                         <body><p><a href=\"{0}\">→</a></p></body></html>",
                        escape(&href)
                    )
                }
                _ => format!(
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>→</title></head>\
                     <body><p><a href=\"/{LIVE_ONLY}\">→</a></p></body></html>"
                ),
            };
            ("html", true, body.into_bytes())
        } else {
            let mime = content_type.split(';').next().unwrap_or("").trim();
            let (ext, html) = match mime {
                "text/html" => ("html", true),
                "application/json" => ("json", false),
                "text/markdown" => ("md", false),
                "text/css" => ("css", false),
                "text/javascript" | "application/javascript" => ("js", false),
                "text/plain" => ("txt", false),
                _ => ("bin", false),
            };
            if html {
                for attr in attributes(&String::from_utf8_lossy(&body)) {
                    if !matches!(attr.name, "href" | "src") {
                        continue;
                    }
                    if let Link::Page(target, _) = Url::resolve(Some(&url), &attr.value) {
                        self.enqueue(target, Some(&url));
                    }
                }
            }
            (ext, html, body)
        };
        self.files.insert(url.clone(), url.file(ext));
        self.fetched.insert(url, Fetched { body, html });
    }

    /// `html` (the page `url`, written to `file`) with every internal link relative.
    fn rewrite(&self, url: &Url, file: &str, html: &str) -> String {
        let live_only = relative(file, LIVE_ONLY);
        let mut out = String::with_capacity(html.len() + 512);
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            if rest.starts_with("<!--") {
                let end = rest.find("-->").map_or(rest.len(), |e| e + 3);
                out.push_str(&rest[..end]);
                rest = &rest[end..];
                continue;
            }
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = &rest[..end];
            rest = &rest[end..];
            if tag.starts_with("</head") {
                for (name, title) in FEEDS {
                    out.push_str(&format!(
                        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{title}\" href=\"{}\">\n",
                        relative(file, &format!("feeds/{name}.atom"))
                    ));
                }
            }
            let is_form = tag.starts_with("<form");
            let mut tag_out = String::with_capacity(tag.len());
            let mut last = 0;
            for attr in attributes(tag) {
                tag_out.push_str(&tag[last..attr.start]);
                let new = if attr.name == "action" {
                    live_only.clone()
                } else if attr.name == "method" {
                    if is_form {
                        "get".to_string()
                    } else {
                        escape(&attr.value)
                    }
                } else {
                    match Url::resolve(Some(url), &attr.value) {
                        Link::Keep => escape(&attr.value),
                        Link::Live => live_only.clone(),
                        Link::Page(target, fragment) => match self.files.get(&target) {
                            Some(to) => {
                                let mut r = relative(file, to);
                                if let Some(f) = fragment {
                                    r.push('#');
                                    r.push_str(&escape(&f));
                                }
                                r
                            }
                            None => live_only.clone(),
                        },
                    }
                };
                tag_out.push_str(&new);
                last = attr.end;
            }
            tag_out.push_str(&tag[last..]);
            out.push_str(&tag_out);
        }
        out.push_str(rest);
        out
    }
}

/// An attribute value in HTML text: which attribute, its byte range (between the quotes),
/// the value unescaped.
struct Attr {
    name: &'static str,
    start: usize,
    end: usize,
    value: String,
}

/// The `href`, `src`, `action` (and `method`) attributes in `html` (double-quoted, as tera and
/// ammonia write them; text never holds a raw `"`).
fn attributes(html: &str) -> Vec<Attr> {
    let mut found = Vec::new();
    for name in ["href", "src", "action", "method"] {
        let needle = format!("{name}=\"");
        let mut from = 0;
        while let Some(i) = html[from..].find(&needle) {
            let at = from + i;
            from = at + needle.len();
            let before = html[..at].chars().next_back();
            if !before.is_some_and(char::is_whitespace) {
                continue;
            }
            let start = from;
            let Some(len) = html[start..].find('"') else {
                break;
            };
            found.push(Attr {
                name,
                start,
                end: start + len,
                value: unescape(&html[start..start + len]),
            });
            from = start + len;
        }
    }
    found.sort_by_key(|a| a.start);
    found
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Escapes text for XML and HTML (text and quoted attributes).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- feeds

const FEEDS: [(&str, &str); 3] = [
    ("changes", "計畫的變更 · Changes to the plan"),
    ("rounds", "論壇回合 · Forum rounds"),
    ("inputs", "公眾意見 · Public input"),
];

struct Entry {
    id: String,
    title: String,
    updated: i64,
    author: String,
    summary: String,
    /// Root-relative URL of its page, without `lang`.
    url: String,
}

/// The three feeds, read through the domain (never the private folder).
struct Feeds {
    changes: Vec<Entry>,
    rounds: Vec<Entry>,
    inputs: Vec<Entry>,
}

impl Feeds {
    async fn read(store: &Store, data: &Path) -> Result<Feeds> {
        let changes = store
            .read(|repo| {
                let main = crate::store::git::resolve(repo, super::DEFAULT_REF)?;
                let mut walk = repo.revwalk()?;
                walk.push(main)?;
                walk.simplify_first_parent()?;
                let mut out = Vec::new();
                for oid in walk.take(FEED_ENTRIES) {
                    let info = crate::store::git::commit_info(repo, oid?)?;
                    out.push(info);
                }
                Ok(out)
            })
            .await?
            .into_iter()
            .map(|c| Entry {
                url: match c.parents.first() {
                    Some(parent) => format!("/compare?from={parent}&to={}", c.id),
                    None => format!("/?ref={}", c.id),
                },
                id: format!("tag:codraft,2021:commit/{}", c.id),
                title: c.summary.clone(),
                updated: c.time,
                // The name only: the site carries no one's address.
                author: c.author_name,
                summary: c.message,
            })
            .collect();
        let mut tags = round_tags::list(store).await?;
        tags.reverse();
        let rounds = tags
            .into_iter()
            .take(FEED_ENTRIES)
            .map(|r| Entry {
                id: format!("tag:codraft,2021:round/{}", r.name),
                title: format!("{}: {}", r.tag, r.summary),
                updated: r.time,
                author: r.tagger,
                summary: r.message,
                url: format!("/rounds/{}", encode(&r.name, b"-_.~")),
            })
            .collect();
        let inputs = Inputs::new(store.clone(), data, crate::workflow::system_clock())
            .list()
            .await?
            .iter()
            .take(FEED_ENTRIES)
            .map(|i| input_entry(&i.public()))
            .collect();
        Ok(Feeds {
            changes,
            rounds,
            inputs,
        })
    }

    /// The pages the feeds link to.
    fn urls(&self) -> Vec<Url> {
        self.changes
            .iter()
            .chain(&self.rounds)
            .chain(&self.inputs)
            .map(|e| Url::parse_root(&e.url))
            .collect()
    }

    fn write(&self, dir: &Path, crawl: &Crawl) -> Result<()> {
        for ((name, title), entries) in
            FEEDS
                .iter()
                .zip([&self.changes, &self.rounds, &self.inputs])
        {
            let file = format!("feeds/{name}.atom");
            let link = |url: &str, lang: Lang| -> Option<String> {
                let target = Url::parse_root(url).in_lang(lang);
                crawl.files.get(&target).map(|to| relative(&file, to))
            };
            let updated = entries.iter().map(|e| e.updated).max().unwrap_or(0);
            let mut xml = String::new();
            xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-TW\">\n");
            xml.push_str(&format!("<title>{}</title>\n", escape(title)));
            xml.push_str(&format!("<id>tag:codraft,2021:feed/{name}</id>\n"));
            xml.push_str(&format!("<updated>{}</updated>\n", rfc3339(updated)));
            xml.push_str(&format!("<link rel=\"self\" href=\"{name}.atom\"/>\n"));
            xml.push_str(
                "<link rel=\"alternate\" hreflang=\"zh-TW\" href=\"../zh-TW/index.html\"/>\n",
            );
            xml.push_str("<link rel=\"alternate\" hreflang=\"en\" href=\"../en/index.html\"/>\n");
            xml.push_str("<generator>codraft</generator>\n");
            for e in entries {
                xml.push_str("<entry>\n");
                xml.push_str(&format!("<id>{}</id>\n", escape(&e.id)));
                xml.push_str(&format!("<title>{}</title>\n", escape(&e.title)));
                xml.push_str(&format!("<updated>{}</updated>\n", rfc3339(e.updated)));
                let author = if e.author.trim().is_empty() {
                    "codraft"
                } else {
                    e.author.trim()
                };
                xml.push_str(&format!(
                    "<author><name>{}</name></author>\n",
                    escape(author)
                ));
                for lang in [Lang::ZhTw, Lang::En] {
                    if let Some(href) = link(&e.url, lang) {
                        xml.push_str(&format!(
                            "<link rel=\"alternate\" type=\"text/html\" hreflang=\"{}\" href=\"{}\"/>\n",
                            lang.code(),
                            escape(&href)
                        ));
                    }
                }
                xml.push_str(&format!(
                    "<summary type=\"text\">{}</summary>\n",
                    escape(&e.summary)
                ));
                xml.push_str("</entry>\n");
            }
            xml.push_str("</feed>\n");
            write(dir, &file, xml.as_bytes())?;
        }
        Ok(())
    }
}

fn input_entry(i: &InputRecord) -> Entry {
    let mut updated = i.submitted_at;
    let state = if let Some(h) = &i.hidden {
        updated = updated.max(h.at);
        format!("已隱藏 hidden: {}", h.reason)
    } else if let Some(r) = &i.response {
        updated = updated.max(r.at);
        let outcome = serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        format!("已回應 answered ({}, {outcome}): {}", r.agency, r.reasons)
    } else if let Some(a) = &i.assignment {
        updated = updated.max(a.at);
        format!("等待回應 waiting: {}", a.agencies.join("、"))
    } else {
        "等待分派 waiting to be routed".to_string()
    };
    let title = if i.hidden.is_some() {
        format!("#{}", i.number)
    } else {
        format!("#{} {}", i.number, i.title)
    };
    Entry {
        id: format!("tag:codraft,2021:input/{}", i.number),
        title,
        updated,
        // The name the sender made public; never their contact.
        author: if i.organisation.is_empty() {
            i.name.clone()
        } else {
            format!("{} ({})", i.name, i.organisation)
        },
        summary: state,
        url: format!("/inputs/{}", i.number),
    }
}

fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

// ---------------------------------------------------------------- fixed pages

const ROOT_INDEX: &str = r#"<!DOCTYPE html>
<html lang="zh-TW">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0; url=zh-TW/index.html">
<title>codraft</title>
<link rel="stylesheet" href="static/style.css">
</head>
<body>
<main class="wrap">
<p><a href="zh-TW/index.html" hreflang="zh-TW">繁體中文</a> · <a href="en/index.html" hreflang="en" lang="en">English</a></p>
<p><a href="feeds/changes.atom">Atom: 變更 changes</a> · <a href="feeds/rounds.atom">回合 rounds</a> · <a href="feeds/inputs.atom">意見 input</a></p>
</main>
</body>
</html>
"#;

const LIVE_ONLY_PAGE: &str = r#"<!DOCTYPE html>
<html lang="zh-TW">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>codraft</title>
<link rel="stylesheet" href="static/style.css">
</head>
<body>
<main class="wrap">
<h1>這是靜態副本</h1>
<p>這是公開網站的靜態副本。登入、提出修改、提交意見、投票與其他操作，需要在 codraft 線上伺服器上進行。</p>
<h1 lang="en">This is a static copy</h1>
<p lang="en">This is a static copy of the public site. Signing in, proposing changes, sending input, voting and every other action happen on the live codraft server.</p>
<p><a href="zh-TW/index.html" hreflang="zh-TW">繁體中文首頁</a> · <a href="en/index.html" hreflang="en" lang="en">English home</a></p>
</main>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn page(href: &str) -> Url {
        match Url::resolve(None, href) {
            Link::Page(u, _) => u,
            _ => panic!("{href} is not a page"),
        }
    }

    #[test]
    fn urls_map_to_files() {
        assert_eq!(page("/?lang=en").file("html"), "en/index.html");
        assert_eq!(
            page("/commitments/c04?doc=en&lang=en&next=/x").file("html"),
            "en/commitments/c04/@doc=en/index.html"
        );
        assert_eq!(
            page("/?ref=rounds/msf-2").file("html"),
            "zh-TW/@ref=rounds~2Fmsf-2/index.html"
        );
        assert_eq!(
            page("/api/plan?lang=en").file("json"),
            "api/plan/index.json"
        );
        assert_eq!(page("/static/style.css").file("css"), "static/style.css");
        let base = page("/compare?from=a&to=b&lang=en");
        match Url::resolve(Some(&base), "?view=split") {
            Link::Page(u, _) => assert_eq!(u.request_uri(), "/compare?view=split&lang=en"),
            _ => panic!(),
        }
        assert!(matches!(
            Url::resolve(Some(&base), "/login?next=/"),
            Link::Live
        ));
        assert!(matches!(
            Url::resolve(Some(&base), "/inputs/new"),
            Link::Live
        ));
        assert!(matches!(Url::resolve(Some(&base), "#x"), Link::Keep));
        assert!(matches!(
            Url::resolve(Some(&base), "mailto:a@b"),
            Link::Keep
        ));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative("en/index.html", "en/rounds/index.html"),
            "rounds/index.html"
        );
        assert_eq!(
            relative("en/commitments/c04/index.html", "static/style.css"),
            "../../../static/style.css"
        );
        assert_eq!(relative("en/index.html", "en/index.html"), "index.html");
    }
}
