//! A browser without JavaScript, for the tests of HTML forms: signing in with the demo
//! accounts' passwords (session cookie), getting pages and posting forms with the session's
//! CSRF token, redirects not followed.

use std::path::Path;

use reqwest::StatusCode;

use codraft::auth::demo::DEMO_PASSWORD;
use codraft::doc::Forum;

/// A fresh demo data directory with the demo's accounts (every forum member, `secretariat`,
/// `translator`; password `codraft-demo`).
pub fn demo_with_accounts() -> tempfile::TempDir {
    let dir = super::demo_dir();
    let members = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/forum/members.toml"),
    )
    .unwrap();
    codraft::auth::demo::seed(dir.path(), &Forum::parse(&members).unwrap())
        .unwrap()
        .expect("a fresh data directory gets the demo accounts");
    dir
}

/// A signed-in person: the session cookie and the session's CSRF token.
pub struct Person {
    pub cookie: String,
    pub csrf: String,
}

/// An answer: status, `Location` (redirects are not followed), body.
pub struct Answer {
    pub status: StatusCode,
    pub location: String,
    pub body: String,
}

/// The server's pages as a form-posting client sees them.
pub struct Web {
    pub base: String,
    pub client: reqwest::Client,
}

impl Web {
    pub fn new(base: &str) -> Web {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Web {
            base: base.to_string(),
            client,
        }
    }

    /// Signs `who` in with the demo password through the sign-in form.
    pub async fn sign_in(&self, who: &str) -> Person {
        let res = self
            .client
            .get(format!("{}/login", self.base))
            .send()
            .await
            .unwrap();
        let login_cookie = set_cookie(&res, "codraft_login");
        let login_csrf = hidden(&res.text().await.unwrap(), "csrf");
        let res = self
            .client
            .post(format!("{}/login", self.base))
            .header("cookie", format!("codraft_login={login_cookie}"))
            .form(&[
                ("login", who),
                ("password", DEMO_PASSWORD),
                ("csrf", &login_csrf),
                ("next", "/rounds"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {who}");
        let cookie = format!("codraft_session={}", set_cookie(&res, "codraft_session"));
        let mut person = Person {
            cookie,
            csrf: String::new(),
        };
        let page = self.get(Some(&person), "/rounds?lang=en").await;
        assert!(
            page.body.contains(&format!("title=\"{who}\"")),
            "{who} is signed in"
        );
        person.csrf = hidden(&page.body, "csrf");
        person
    }

    pub async fn get(&self, who: Option<&Person>, path: &str) -> Answer {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(p) = who {
            req = req.header("cookie", &p.cookie);
        }
        answer(req.send().await.unwrap()).await
    }

    /// Posts a form as `who` with their CSRF token.
    pub async fn post(&self, who: &Person, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &who.csrf));
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &who.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        answer(res).await
    }
}

pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    Answer {
        status,
        location,
        body: res.text().await.unwrap(),
    }
}

/// The value of cookie `name` a response sets.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// The value of the first input called `name` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The page's `<main>`, for messages.
pub fn main_text(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("</main>").unwrap_or(html.len());
    &html[start..end]
}

/// The fields of the first `<form class="edit-form">` of a page, in order, as a browser sends
/// them (hidden inputs, text inputs, textareas, checked boxes, selected options).
pub fn form_pairs(html: &str) -> Vec<(String, String)> {
    let start = html.find("class=\"edit-form\"").unwrap();
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let i = tag.find(&marker)? + marker.len();
        Some(unescape(&tag[i..i + tag[i..].find('"')?]))
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..=end];
        if tag.starts_with("<input") {
            let kind = attr(tag, "type").unwrap_or_default();
            if let Some(name) = attr(tag, "name") {
                if kind != "checkbox" || tag.contains(" checked") {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let name = attr(tag, "name").unwrap();
            let body = &rest[end + 1..];
            let close = body.find("</textarea>").unwrap();
            out.push((name, unescape(&body[..close])));
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap();
            let body = &rest[end + 1..];
            let close = body.find("</select>").unwrap();
            let options = &body[..close];
            let chosen = options
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| options.split("<option").nth(1))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            out.push((name, chosen));
        }
        rest = &rest[end + 1..];
    }
    out
}
