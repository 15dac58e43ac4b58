//! A staff member in the console, in the browser: signs in, edits an entry and sees the
//! resident's answer change in the test pane, turns a question of the inbox into an example
//! question, and sees the use charts. Screenshots of each page at phone and desktop width.

use fantoccini::Locator;

use crate::browser::{Browser, DESKTOP};
use crate::web_server::{self, STAFF_NAME, STAFF_PASSWORD};

async fn fill(browser: &Browser, css: &str, text: &str) {
    let field = browser.wait(css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn page_text(browser: &Browser) -> String {
    browser.wait("main").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_edit_an_entry_test_it_and_answer_the_inbox() {
    let server = web_server::start_editable().await;
    // A resident's question the bot is unsure about, for the inbox.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let asked = http
        .post(format!("{}/chat", server.base))
        .header("x-madoguchi", "1")
        .json(&serde_json::json!({ "text": "世田谷区です。父がひとりで暮らしていて、毎日の献立を考えるのがもう無理みたい" }))
        .send()
        .await
        .unwrap();
    assert!(asked.status().is_success());

    let browser = Browser::start().await;
    browser.size(DESKTOP).await;
    browser.client.goto(&format!("{}/staff", server.base)).await.unwrap();
    // No session: the login page.
    browser.wait("#password").await;
    assert!(browser.client.current_url().await.unwrap().path().ends_with("/staff/login"));
    browser.screenshots("staff-login").await;
    fill(&browser, "#name", STAFF_NAME).await;
    fill(&browser, "#password", STAFF_PASSWORD).await;
    browser.wait("#login").await.click().await.unwrap();

    // The entries, filtered to one municipality.
    browser.wait("table.entries").await;
    browser.client.goto(&format!("{}/staff?area=世田谷区&q=配食", server.base)).await.unwrap();
    let list = browser.wait("table.entries").await.text().await.unwrap();
    assert!(list.contains("配食サービス") && !list.contains("大垣市") && !list.contains("西東京市"), "{list}");
    browser.screenshots("staff-entries").await;

    // Edit: a new sentence in what the service does; saved, and the resident's card shows it.
    browser.client.find(Locator::LinkText("配食サービス")).await.unwrap().click().await.unwrap();
    let summary = browser.wait("#summary").await;
    let old = summary.prop("value").await.unwrap().unwrap_or_default();
    let new_summary = format!("{old}(この説明は職員の画面で書き足しました)");
    fill(&browser, "#summary", &new_summary).await;
    // A mistake first: a date that is not one is shown beside its field, nothing written.
    fill(&browser, "#verified", "きのう").await;
    browser.wait("#save").await.click().await.unwrap();
    let refused = browser.wait(".field.invalid .error").await.text().await.unwrap();
    assert!(!refused.is_empty());
    let file = server.workspace.as_ref().unwrap().path("index/setagaya/haishoku-service.toml");
    assert!(!std::fs::read_to_string(&file).unwrap().contains("職員の画面で書き足しました"));
    browser.screenshots("staff-entry-error").await;
    fill(&browser, "#verified", &madoguchi::app::today().format("%Y-%m-%d").to_string()).await;
    browser.wait("#save").await.click().await.unwrap();
    let saved = browser.wait(".notice.done").await.text().await.unwrap();
    assert!(saved.contains("保存しました"), "{saved}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("職員の画面で書き足しました"), "{text}");
    let history = browser.wait("table.history").await.text().await.unwrap();
    assert!(history.contains(STAFF_NAME) && history.contains("どんなサービスか"), "{history}");
    browser.screenshots("staff-entry-saved").await;

    browser.client.goto(&format!("{}/staff/test?q=食事を届けてほしい&area=世田谷区", server.base)).await.unwrap();
    let reply = browser.wait("#resident-reply").await.text().await.unwrap();
    assert!(reply.contains("配食サービス") && reply.contains("職員の画面で書き足しました"), "{reply}");
    assert!(!browser.wait("#explain").await.text().await.unwrap().is_empty());
    browser.screenshots("staff-test").await;

    // The inbox: the resident's question becomes an example of 配食サービス.
    browser.client.goto(&format!("{}/staff/inbox", server.base)).await.unwrap();
    let inbox = page_text(&browser).await;
    assert!(inbox.contains("献立"), "{inbox}");
    browser.screenshots("staff-inbox").await;
    let select = browser.wait("ol.inbox select").await;
    select.select_by_value("setagaya/haishoku-service").await.unwrap();
    browser.wait("ol.inbox button.assign").await.click().await.unwrap();
    // The inbox shows no notice: one on the page means the answer to the click has come.
    browser.wait("main .notice").await;
    let done = page_text(&browser).await;
    assert!(done.contains("「配食サービス」の質問の例に加えました"), "{done}");
    assert!(std::fs::read_to_string(&file).unwrap().contains("献立"));
    browser.client.goto(&format!("{}/staff/inbox", server.base)).await.unwrap();
    assert!(page_text(&browser).await.contains("見直しの必要な質問はありません"));

    browser.client.goto(&format!("{}/staff/usage", server.base)).await.unwrap();
    assert_eq!(browser.wait("#questions").await.text().await.unwrap(), "1");
    browser.wait("svg.chart").await;
    browser.screenshots("staff-usage").await;

    // The spreadsheet page: the export downloads from a link, the upload is a dry run unless unticked.
    browser.client.goto(&format!("{}/staff/csv", server.base)).await.unwrap();
    assert!(browser.wait("input[type=checkbox][name=dry_run]").await.is_selected().await.unwrap());
    browser.wait("a[href='/staff/csv/export']").await;
    browser.screenshots("staff-csv").await;
    browser.close().await;
    server.stop().await;
}
