//! The console's security at the HTTP level: nothing of `/staff` without a session, a form
//! without its token refused and nothing written, the cookies and headers as promised.

use reqwest::header;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::web_server::{self, STAFF_NAME, STAFF_PASSWORD};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).no_proxy().build().unwrap()
}

/// The `name=value` of a Set-Cookie of `response` named `name`, and the whole header.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let pair = v.split(';').next()?.trim();
        pair.starts_with(&format!("{name}=")).then(|| (pair.to_string(), v.to_string()))
    })
}

/// The value of the hidden csrf field of an HTML page.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_string()
}

/// Signs in over HTTP; the session cookie (`name=value`) and a page's csrf token.
async fn sign_in(base: &str) -> (String, String) {
    let http = client();
    let login = http.get(format!("{base}/staff/login")).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&login, "madoguchi_login").expect("the login form's cookie");
    let token = csrf_of(&login.text().await.unwrap());
    let response = http
        .post(format!("{base}/staff/login"))
        .header(header::COOKIE, &login_cookie)
        .form(&[("name", STAFF_NAME), ("password", STAFF_PASSWORD), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (session, whole) = set_cookie(&response, "madoguchi_staff").expect("a session cookie");
    assert!(
        whole.contains("HttpOnly") && whole.contains("SameSite=Strict") && whole.contains("Path=/staff"),
        "{whole}"
    );
    let page = http.get(format!("{base}/staff")).header(header::COOKIE, &session).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());
    (session, csrf)
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_of_the_console_answers_without_a_session() {
    let server = web_server::start_editable().await;
    let http = client();
    for page in [
        "/staff",
        "/staff/entry?id=setagaya/haishoku-service",
        "/staff/test?q=a",
        "/staff/inbox",
        "/staff/usage",
        "/staff/csv",
        "/staff/csv/export",
    ] {
        let response = http.get(format!("{}{page}", server.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(response.headers()[header::LOCATION], "/staff/login", "{page}");
    }
    let before =
        std::fs::read(server.workspace.as_ref().unwrap().path("index/setagaya/haishoku-service.toml")).unwrap();
    let forged = http
        .post(format!("{}/staff/entry", server.base))
        .form(&[("id", "setagaya/haishoku-service"), ("title", "書き換え"), ("csrf", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let after = std::fs::read(server.workspace.as_ref().unwrap().path("index/setagaya/haishoku-service.toml")).unwrap();
    assert_eq!(before, after, "a refused form writes nothing");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_needs_the_right_password_and_the_forms_own_token() {
    let server = web_server::start_editable().await;
    let http = client();
    let login = http.get(format!("{}/staff/login", server.base)).send().await.unwrap();
    let csp = login.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors"),
        "{csp}"
    );
    assert_eq!(login.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let (cookie, _) = set_cookie(&login, "madoguchi_login").unwrap();
    let token = csrf_of(&login.text().await.unwrap());
    let wrong = http
        .post(format!("{}/staff/login", server.base))
        .header(header::COOKIE, &cookie)
        .form(&[("name", STAFF_NAME), ("password", "ちがうパスワード"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong, "madoguchi_staff").is_none());
    assert!(wrong.text().await.unwrap().contains("名前かパスワードが違います"));
    // The right password from a form that did not come from the login page: refused.
    let forged = http
        .post(format!("{}/staff/login", server.base))
        .form(&[("name", STAFF_NAME), ("password", STAFF_PASSWORD), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&forged, "madoguchi_staff").is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_form_without_its_token_is_refused_and_writes_nothing() {
    let server = web_server::start_editable().await;
    let (session, csrf) = sign_in(&server.base).await;
    let http = client();
    let file = server.workspace.as_ref().unwrap().path("index/setagaya/haishoku-service.toml");
    let before = std::fs::read(&file).unwrap();
    for token in ["", "0000", &"f".repeat(64)] {
        let response = http
            .post(format!("{}/staff/entry", server.base))
            .header(header::COOKIE, &session)
            .form(&[("id", "setagaya/haishoku-service"), ("mode", "edit"), ("title", "書き換え"), ("csrf", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    // The right token from another site's page (its Origin): refused too.
    let response = http
        .post(format!("{}/staff/inbox/handled", server.base))
        .header(header::COOKIE, &session)
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("reference", "1"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // And when the browser says the form came from another site, whatever Origin claims.
    let response = http
        .post(format!("{}/staff/inbox/handled", server.base))
        .header(header::COOKIE, &session)
        .header("sec-fetch-site", "cross-site")
        .header(header::ORIGIN, "null")
        .form(&[("reference", "1"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(before, std::fs::read(&file).unwrap());
    // What axum itself refuses (a query that does not parse, a form over the limit) is told in
    // Japanese as well, with its status.
    let bad = http.get(format!("{}/staff/usage?days=たくさん", server.base)).header(header::COOKIE, &session).send();
    let bad = bad.await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("読み取れませんでした"));
    let huge = http
        .post(format!("{}/staff/entry", server.base))
        .header(header::COOKIE, &session)
        // Just over the 256 KiB limit (あ is 9 bytes in a form): small enough that loopback takes
        // the whole body before the server answers from its Content-Length and closes.
        .form(&[("id", "setagaya/haishoku-service".to_string()), ("details", "あ".repeat(30_000))])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(huge.text().await.unwrap().contains("大きすぎます"));
    assert_eq!(before, std::fs::read(&file).unwrap());
    // Signing out ends the session.
    let out = http
        .post(format!("{}/staff/logout", server.base))
        .header(header::COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = http.get(format!("{}/staff", server.base)).header(header::COOKIE, &session).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    server.stop().await;
}

/// A multipart body as a browser's file upload sends it, with its boundary.
fn upload(csrf: &str, csv: &[u8], dry_run: bool) -> (String, Vec<u8>) {
    let boundary = "madoguchi-test-boundary-7f3a";
    let mut body = Vec::new();
    let mut field = |name: &str, filename: Option<&str>, value: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(filename) = filename {
            body.extend_from_slice(format!("; filename=\"{filename}\"\r\nContent-Type: text/csv").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    };
    field("csrf", None, csrf.as_bytes());
    if dry_run {
        field("dry_run", None, b"1");
    }
    field("file", Some("index.csv"), csv);
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads `csv` to the console's import as the signed-in `session`.
async fn import(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    csrf: &str,
    csv: &[u8],
    dry_run: bool,
) -> reqwest::Response {
    let (content_type, body) = upload(csrf, csv, dry_run);
    http.post(format!("{base}/staff/csv/import"))
        .header(header::COOKIE, session)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_spreadsheet_goes_out_and_back_with_a_dry_run_first() {
    let server = web_server::start_editable().await;
    let (session, csrf) = sign_in(&server.base).await;
    let http = client();
    let export = http.get(format!("{}/staff/csv/export", server.base)).header(header::COOKIE, &session).send().await;
    let export = export.unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert!(export.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    let csv = String::from_utf8(export.bytes().await.unwrap().to_vec()).unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("setagaya/haishoku-service"));
    let row = "setagaya/haishoku-service,配食サービス,";
    assert!(csv.contains(row), "{csv}");
    let changed = csv.replacen(row, "setagaya/haishoku-service,配食サービス(表で直した名前),", 1).into_bytes();
    let file = server.workspace.as_ref().unwrap().path("index/setagaya/haishoku-service.toml");
    let before = std::fs::read(&file).unwrap();

    let dry = import(&http, &server.base, &session, &csrf, &changed, true).await;
    assert_eq!(dry.status(), StatusCode::OK);
    let report = dry.text().await.unwrap();
    assert!(report.contains("id=\"report\"") && report.contains("setagaya/haishoku-service"), "{report}");
    assert_eq!(before, std::fs::read(&file).unwrap(), "a dry run writes nothing");

    // Without its token the upload is refused, whatever the file holds.
    let forged = import(&http, &server.base, &session, &"0".repeat(64), &changed, false).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(before, std::fs::read(&file).unwrap());

    let real = import(&http, &server.base, &session, &csrf, &changed, false).await;
    assert_eq!(real.status(), StatusCode::OK);
    assert!(std::fs::read_to_string(&file).unwrap().contains("表で直した名前"));
    // The change is live and in the entry's history, under the account that made it.
    let test = http
        .get(format!("{}/staff/test?q=食事を届けてほしい&area=世田谷区", server.base))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert!(test.text().await.unwrap().contains("表で直した名前"));
    let history = server.store.changes(Some("setagaya/haishoku-service"), 5).unwrap();
    assert!(
        history.first().is_some_and(|c| c.who == STAFF_NAME && c.fields.contains(&"title".to_string())),
        "{history:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_save_never_overwrites_what_someone_else_saved_since_the_form_was_opened() {
    let server = web_server::start_editable().await;
    let (session, _) = sign_in(&server.base).await;
    let http = client();
    let form = http
        .get(format!("{}/staff/entry?id=setagaya/haishoku-service", server.base))
        .header(header::COOKIE, &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&form);
    let at = form.find("name=\"seen\" value=\"").expect("the form's fingerprint") + "name=\"seen\" value=\"".len();
    let seen = form[at..at + 24].to_string();
    // Meanwhile another member of staff changes the file (by hand, or in another tab).
    let file = server.workspace.as_ref().unwrap().path("index/setagaya/haishoku-service.toml");
    let theirs = std::fs::read_to_string(&file).unwrap().replacen("summary = \"", "summary = \"(ほかの人が直した)", 1);
    std::fs::write(&file, &theirs).unwrap();

    let post = |fields: Vec<(&'static str, String)>| {
        let http = http.clone();
        let (base, session) = (server.base.clone(), session.clone());
        async move {
            let response = http
                .post(format!("{base}/staff/entry"))
                .header(header::COOKIE, &session)
                .form(&fields)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let mut fields: Vec<(&'static str, String)> = madoguchi::content::csv::COLUMNS
        .iter()
        .map(|c| (*c, String::new()))
        .chain([("csrf", csrf.clone()), ("mode", "edit".into()), ("seen", seen)])
        .collect();
    fields[0].1 = "setagaya/haishoku-service".into();
    fields[1].1 = "私の書き換え".into();
    let (status, page) = post(fields.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ほかの人") && page.contains("何も変えていません"), "{page}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs, "their change stays");

    // A new entry under an id that is taken is refused too, and the entry stays as it is.
    let mode = fields.iter().position(|(k, _)| *k == "mode").unwrap();
    fields[mode].1 = "new".into();
    let (status, page) = post(fields).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("もうあります"), "{page}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs);
    server.stop().await;
}
