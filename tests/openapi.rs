//! The OpenAPI document at `/api/openapi.json`: it is OpenAPI 3.1, every operation has a summary
//! and responses, it describes exactly the JSON routes of the router (read from the source of
//! `src/web/mod.rs`, both ways), and every route it describes answers JSON on a real server
//! with the demo plan (never the fallback's "no page").

mod common;

use std::collections::BTreeSet;

use serde_json::Value;

use common::routes::{router_source, source_routes, METHODS};

/// Whether a route of the router must be described: the JSON API and the health check.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz"
}

fn document_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if METHODS.contains(&method.as_str()) {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op));
            }
        }
    }
    out
}

#[test]
fn the_route_parser_reads_what_rustfmt_writes() {
    let src = r#"
        Router::new()
            .route("/a", get(x::a)) // .route("/api/commented", get(c))
            .route(
                "/api/b",
                get(y::list)
                    .post(y::submit)
                    .layer(DefaultBodyLimit::max(y::get(1))),
            )
            /* .route("/api/block", post(z)) */
            .route("/api/c/{n}", post(z::post)) // '"'
            .route("/api/d", get(|| async { ('\'', '"', "\"/api/no\"") }))
            .route("/plan.git/info/refs", get(git::refs))
    "#;
    let found = source_routes(src);
    let want: BTreeSet<(String, String)> = [
        ("get", "/a"),
        ("get", "/api/b"),
        ("post", "/api/b"),
        ("post", "/api/c/{n}"),
        ("get", "/api/d"),
        ("get", "/plan.git/info/refs"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(found, want);
}

#[tokio::test]
async fn the_document_describes_exactly_the_routes_of_the_router() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let r = reqwest::get(format!("{base}/api/openapi.json"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).expect("the document is JSON");

    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "not OpenAPI 3.1: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert!(doc["components"]["schemas"]["Error"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let ops = operations(&doc);
    for (method, path, op) in &ops {
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.trim().is_empty()),
            "{method} {path}: no summary"
        );
        let responses = op["responses"].as_object();
        assert!(
            responses.is_some_and(|r| !r.is_empty()),
            "{method} {path}: no responses"
        );
        // Every `{param}` of the path is declared as a path parameter.
        let declared: BTreeSet<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(
                doc["paths"][path]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            )
            .filter(|p| p["in"] == "path" || p["$ref"].is_string())
            .map(|p| resolve(&doc, p)["name"].as_str().unwrap_or("").to_string())
            .collect();
        for name in path_params(path) {
            assert!(
                declared.contains(&name),
                "{method} {path}: path parameter {name} is not declared"
            );
        }
    }

    let in_source: BTreeSet<(String, String)> = source_routes(&router_source())
        .into_iter()
        .filter(|(_, p)| is_api(p))
        .collect();
    let described = document_routes(&doc);
    assert!(
        in_source.contains(&("get".into(), "/api/openapi.json".into())),
        "the route parser found no /api/openapi.json in src/web/mod.rs: {in_source:?}"
    );
    let undescribed: Vec<_> = in_source.difference(&described).collect();
    let missing: Vec<_> = described.difference(&in_source).collect();
    assert!(
        undescribed.is_empty() && missing.is_empty(),
        "routes of src/web/mod.rs the document does not describe: {undescribed:?}\n\
         operations of the document that are not routes: {missing:?}"
    );
    println!("{} operations described", described.len());
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {r}"))
        }
        None => v,
    }
}

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}

/// The answer is JSON and not the fallback's `no page at …`: the route exists.
async fn assert_route_answers(method: &str, url: &str, r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let ctype = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert!(
        ctype.starts_with("application/json"),
        "{method} {url}: {status} {ctype:?}, not JSON: {}",
        text.chars().take(200).collect::<String>()
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(
        !(status == 404
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no page at"))),
        "{method} {url}: the fallback answered: {body}"
    );
    (status, body)
}

#[tokio::test]
async fn every_described_route_answers_json_on_the_demo() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let (_, doc) = common::get_json(&format!("{base}/api/openapi.json")).await;
    let repo = codraft::workflow::setup::repo_path(dir.path());
    let forum_commit = common::git(&repo, &["log", "-1", "--format=%H", "main", "--", "forum/"]);
    let commit = match forum_commit.trim() {
        "" => common::git(&repo, &["rev-parse", "main"])
            .trim()
            .to_string(),
        c => c.to_string(),
    };
    let example = |name: &str| -> String {
        match name {
            "id" => "c04-information-access".into(),
            "lang" => "en".into(),
            "name" => "msf-2".into(),
            "n" => "1".into(),
            "commit" => commit.clone(),
            other => panic!("no example value for the path parameter {{{other}}}"),
        }
    };
    let client = reqwest::Client::new();
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        let mut url = path.clone();
        for name in path_params(&path) {
            url = url.replace(&format!("{{{name}}}"), &example(&name));
        }
        // Required query parameters with the document's example.
        let mut query = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&doc, p);
            if p["in"] == "query" && p["required"] == true {
                let value = p["example"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: {} has no example", p["name"]));
                query.push(format!("{}={}", p["name"].as_str().unwrap(), value));
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        // A token is required when every alternative of `security` names the bearer scheme
        // (`[{}, {"bearer": []}]`: a token is optional).
        let secured = op["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|s| s.get("bearer").is_some()));
        let full = format!("{base}{url}");
        match method.as_str() {
            "get" => {
                let r = client.get(&full).send().await.unwrap();
                let (status, body) = assert_route_answers("GET", &url, r).await;
                println!("GET {url} → {status}");
                if secured {
                    assert_eq!(status, 401, "GET {url} without a token: {body}");
                } else {
                    assert!(
                        status == 200 || (status == 404 && body["error"]["code"] == "not_found"),
                        "GET {url}: {status} {body}"
                    );
                    assert!(
                        op["responses"][status.to_string()].is_object(),
                        "GET {url}: answered {status}, which the document does not list"
                    );
                }
            }
            "post" => {
                let r = client
                    .post(&full)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                let (status, body) = assert_route_answers("POST", &url, r).await;
                println!("POST {url} {{}} → {status} {}", body["error"]["code"]);
                let want = if secured { 401 } else { 400 };
                assert_eq!(status, want, "POST {url} with {{}} and no token: {body}");
                assert!(body["error"]["code"].is_string(), "POST {url}: {body}");
            }
            other => panic!("{other} {path}: the test knows only GET and POST"),
        }
        checked += 1;
    }
    assert!(checked > 40, "only {checked} operations");
}
