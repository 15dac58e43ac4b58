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
        std::fs::read(server.workspace.as_ref().unwrap().path().join("index/setagaya/haishoku-service.toml")).unwrap();
    let forged = http
        .post(format!("{}/staff/entry", server.base))
        .form(&[("id", "setagaya/haishoku-service"), ("title", "書き換え"), ("csrf", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let after =
        std::fs::read(server.workspace.as_ref().unwrap().path().join("index/setagaya/haishoku-service.toml")).unwrap();
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
    let file = server.workspace.as_ref().unwrap().path().join("index/setagaya/haishoku-service.toml");
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
